# Pester 5 tests of the DaskPS cmdlets against a real dask-scheduler and DaskPS workers hosted as jobs.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:scheduler = Start-DaskScheduler
    $script:workers = Start-DaskWorker -Scheduler $scheduler.Address -Count 2 -ThrottleLimit 2 -Name 'pester'
    $script:session = Connect-DaskScheduler -Address $scheduler.Address
    Wait-Until { @(Get-DaskWorker).Count -eq 2 } -Because 'two workers'
}

AfterAll {
    if ($script:session) { Stop-DaskClient -Client $script:session -Confirm:$false }
    if ($script:workers) { $script:workers | Stop-Job; $script:workers | Remove-Job -Force }
    if ($script:scheduler) { $script:scheduler | Stop-Job; $script:scheduler | Remove-Job -Force }
}

Describe 'Submitting script blocks' {
    It 'runs seed 001''s max(a, b) as a pipeline' {
        $a = Submit-DaskTask { 3 }
        $b = Submit-DaskTask { 4 }
        $c = Submit-DaskTask { param($x, $y) [Math]::Max($x, $y) } -ArgumentList $a, $b
        Get-DaskResult $c | Should -Be 4
    }

    It 'keeps input order for 1..200 | Submit-DaskTask { $_ * 2 } | Get-DaskResult' {
        $results = 1..200 | Submit-DaskTask { $_ * 2 } | Get-DaskResult
        $results.Count | Should -Be 200
        $results | Should -Be (1..200 | ForEach-Object { $_ * 2 })
    }

    It 'passes a piped DaskNode''s result in as $_' {
        $seven = Submit-DaskTask { 7 }
        $seven | Submit-DaskTask { $_ + 1 } | Get-DaskResult | Should -Be 8
    }

    It 'captures $using: values at submit time' {
        $factor = 6
        $node = Submit-DaskTask { 7 * $using:factor }
        $factor = 0
        Get-DaskResult $node | Should -Be 42
    }

    It 'returns objects that are not plain values as Deserialized objects, like Start-Job' {
        $result = Submit-DaskTask { [pscustomobject]@{ Name = 'x'; When = [datetime]'2026-01-02' } } | Get-DaskResult
        $result.Name | Should -Be 'x'
        $result.When | Should -BeOfType [datetime]
        $result.PSObject.TypeNames[0] | Should -BeLike 'Deserialized.*'
    }

    It 'returns hashtables of plain values as hashtables' {
        $result = Submit-DaskTask { @{ a = 1; b = 'two' } } | Get-DaskResult
        $result | Should -BeOfType [hashtable]
        $result.b | Should -Be 'two'
    }

    It 'carries warnings and verbose messages back' {
        $node = Submit-DaskTask { Write-Warning 'careful'; 5 }
        $value = Get-DaskResult $node -WarningVariable warnings -WarningAction SilentlyContinue
        $value | Should -Be 5
        $warnings.Message | Should -Contain 'careful'
    }
}

Describe 'Errors' {
    It 'writes a non-terminating ErrorRecord for a failed task and still returns the others' {
        $good = Submit-DaskTask { 1 }
        $bad = Submit-DaskTask { throw 'broken on purpose' }
        $results = Get-DaskResult $good, $bad -ErrorVariable errs -ErrorAction SilentlyContinue
        $results | Should -Be 1
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskTaskFailed*'
        $errs[0].TargetObject.Key | Should -Be $bad.Key
        $errs[0].Exception.Message | Should -Match 'broken on purpose'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidResult'
    }

    It 'names the failed dependency for dependent tasks' {
        $bad = Submit-DaskTask { throw 'root failure' }
        $dependent = Submit-DaskTask { param($x) $x + 1 } -ArgumentList $bad
        Get-DaskResult $dependent -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskDependencyFailed*'
        $errs[0].Exception.Message | Should -Match $bad.Key
    }

    It 'refuses to work without a session' {
        { Get-DaskWorker -Client $null } | Should -Not -Throw
    }
}

Describe 'Data and control' {
    It 'sends data to the cluster and uses it in tasks' {
        $data = 10, 20 | Send-DaskData
        $data.Count | Should -Be 2
        $sum = Submit-DaskTask { param($x, $y) $x + $y } -ArgumentList $data[0], $data[1]
        Get-DaskResult $sum | Should -Be 30
    }

    It 'copies data onto every worker' {
        $node = Submit-DaskTask { 'copied' }
        Get-DaskResult $node | Out-Null
        Copy-DaskData $node -Confirm:$false
        Wait-Until { (Get-DaskWorker | Where-Object { $_.Keys -contains $node.Key }).Count -eq 2 } -Because 'a replica on both workers'
    }

    It 'cancels a task' {
        $node = Submit-DaskTask { Start-Sleep -Seconds 30; 'late' }
        Stop-DaskTask $node -Confirm:$false
        Get-DaskResult $node -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskTaskCancelled*'
    }

    It 'shows workers as the scheduler sees them' {
        $workers = Get-DaskWorker
        $workers.Count | Should -Be 2
        $workers | ForEach-Object { $_.Slots | Should -Be 2 }
    }
}

Describe 'Workers as jobs' {
    It 'lists worker jobs with Get-Job and stops them with Stop-Job' {
        $extra = Start-DaskWorker -Scheduler $scheduler.Address -Name 'extra'
        try {
            (Get-Job -Id $extra.Id).PSJobTypeName | Should -Be 'DaskWorkerJob'
            Wait-Until { @(Get-DaskWorker).Count -eq 3 } -Because 'the extra worker'
            $extra | Stop-Job
            $extra.State | Should -Be 'Stopped'
            Wait-Until { @(Get-DaskWorker).Count -eq 2 } -Because 'the extra worker to leave'
            Receive-Job $extra | Should -Not -BeNullOrEmpty
        }
        finally {
            $extra | Remove-Job -Force
        }
    }
}

Describe 'Local sessions' {
    It 'starts and stops a whole local cluster' {
        $local = Connect-DaskScheduler -Local -WorkerCount 1 -NoDefault
        try {
            $local.IsLocal | Should -BeTrue
            Submit-DaskTask { 2 + 2 } -Client $local | Get-DaskResult -Client $local | Should -Be 4
        }
        finally {
            Stop-DaskClient -Client $local -Confirm:$false
        }
        $local.IsConnected | Should -BeFalse
    }
}
