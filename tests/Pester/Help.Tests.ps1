# Help as Get-Help shows it (MAML built from docs/cmdlets), and every example in it run against a real scheduler.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest

    # What each example's remarks promise, checked after it ran. $Output holds what it wrote (errors included); the
    # example's own variables are in scope. Errors lists the ErrorIds it is expected to write.
    $checks = @{
        'Connect-DaskScheduler 1' = @{ Check = {
                $session.IsConnected | Should -BeTrue
                $session.Address | Should -Be $exampleScheduler.Address
                $Output | Should -Contain $session
            } }
        'Connect-DaskScheduler 2' = @{ Check = {
                $Output | Where-Object { $_ -isnot [DaskPS.Cmdlets.Sessions.DaskSession] } | Should -Be (1..10 | ForEach-Object { $_ * $_ })
                ($Output | Where-Object { $_ -is [DaskPS.Cmdlets.Sessions.DaskSession] }).IsConnected | Should -BeFalse
            } }
        'Copy-DaskData 1'         = @{ Check = {
                $Output | Should -Be 1, 3
                @(Get-DaskWorker -Client $runnerSession | Where-Object { $_.Keys -contains $lookup.Key }).Count | Should -Be 2
            } }
        'Copy-DaskData 2'         = @{ Check = { $Output | Should -HaveCount 1; $Output[0] | Should -BeGreaterOrEqual 0 } }
        'Get-DaskResult 1'        = @{ Check = { $Output | Should -Be (1..200 | ForEach-Object { $_ * 2 }) } }
        'Get-DaskResult 2'        = @{ Errors = 'DaskTaskFailed'; Check = {
                $Output | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] } | Should -Be 1, 2, 4, 5, $nodes[2].Key
            } }
        'Get-DaskWorker 1'        = @{ Check = { $Output.Name | Sort-Object | Should -Be "$workerPrefix-1", "$workerPrefix-2" } }
        'Get-DaskWorker 2'        = @{ Check = { $Output | Should -HaveCount 1; $Output[0].Keys | Should -Contain $node.Key } }
        'Send-DaskData 1'         = @{ Check = { $Output | Should -Be 30 } }
        'Send-DaskData 2'         = @{ Check = {
                @(Get-DaskWorker -Client $runnerSession | Where-Object { $_.Keys -contains $config.Key }).Count | Should -Be 2
                Get-DaskResult $config | Should -Be (Get-Content ./config.json -Raw)
            } }
        'Start-DaskScheduler 1'   = @{ Check = {
                $scheduler.State | Should -Be 'Running'
                $Output | Where-Object PSJobTypeName -EQ 'DaskWorkerJob' | Should -HaveCount 2
                $started = $Output | Where-Object { $_ -is [DaskPS.Cmdlets.Sessions.DaskSession] }
                $started.IsConnected | Should -BeTrue
                Wait-Until { @(Get-DaskWorker -Client $started).Count -eq 2 } -Because 'both new workers to register'
                Stop-DaskClient -Client $started -Confirm:$false
            } }
        'Start-DaskScheduler 3'   = @{ Check = {
                $scheduler.Address | Should -Match '^tls://127\.0\.0\.1:\d+$'
                $worker = $Output | Where-Object PSJobTypeName -EQ 'DaskWorkerJob'
                $worker.Address | Should -Match '^tls://'
                $started = $Output | Where-Object { $_ -is [DaskPS.Cmdlets.Sessions.DaskSession] }
                $started.Address | Should -Be $scheduler.Address
                Wait-Until { @(Get-DaskWorker -Client $started).Count -eq 1 } -Because 'the worker to register over TLS'
                Stop-DaskClient -Client $started -Confirm:$false
            } }
        'Start-DaskWorker 1'      = @{ Check = {
                $workers | Should -HaveCount 2
                $workers.State | Should -Be 'Running', 'Running'
                $workers | ForEach-Object { $Output | Should -Contain $_ }
                Wait-Until { @(Get-DaskWorker -Client $runnerSession).Count -eq 4 } -Because 'both new workers to register'
            } }
        'Stop-DaskClient 1'       = @{ Check = { $runnerSession.IsConnected | Should -BeFalse } }
        'Stop-DaskClient 2'       = @{ Check = { $Output | Should -Be 1; $session.IsConnected | Should -BeFalse } }
        'Stop-DaskTask 1'         = @{ Check = {
                Get-DaskResult $slow -Timeout '00:00:30' -ErrorVariable cancelled -ErrorAction SilentlyContinue
                $cancelled[0].FullyQualifiedErrorId | Should -BeLike 'DaskTaskCancelled*'
            } }
        'Stop-DaskTask 2'         = @{ Check = {
                Get-DaskResult $nodes -Timeout '00:00:30' -ErrorVariable cancelled -ErrorAction SilentlyContinue
                $cancelled | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'DaskTaskCancelled*' }
                $cancelled | Should -HaveCount 3
            } }
        'Stop-DaskTask 3'         = @{ Check = {
                $stuck.State | Should -Be 'Cancelled'
                # Given up: no worker runs it any more.
                $runnerSession.Client.StopAsync([DaskPS.Client.DaskNode[]] @($stuck), $false, $false, [timespan]::Zero).GetAwaiter().GetResult() | Should -BeNullOrEmpty
            } }
        'Get-DaskResult 3'        = @{ Check = { $Output | Should -Be 'slept 1 s', 'slept 2 s', 'slept 3 s' } }
        'Get-DaskTask 1'          = @{ Check = {
                $Output.Key | Should -Be $nodes.Key
                $Output.State | ForEach-Object { $_ | Should -BeIn 'Pending', 'Processing' }
            } }
        'Get-DaskTask 2'          = @{ Check = {
                $Output | Should -Be 2
                $failures.TargetObject.Key | Should -Be $jobs[2].Key, $jobs[5].Key
            } }
        'Wait-DaskTask 1'         = @{ Check = { $Output | Sort-Object | Should -Be 1, 2, 3, 4 } }
        'Wait-DaskTask 2'         = @{ Check = {
                $Output | Should -Be 'answer from fast'
                $mirrors[0].State | Should -Be 'Cancelled'
            } }
        'Send-DaskQueueItem 1'    = @{ Check = { $Output | Should -Be 1, 2, 3, 4, 5 } }
        'Send-DaskQueueItem 2'    = @{ Check = { $Output | Should -Be 42 } }
        'Receive-DaskQueueItem 1' = @{ Check = { $Output | Should -Be 'a', 'b', 'c' } }
        'Receive-DaskQueueItem 2' = @{ Check = { $Output | Should -BeLike 'DaskQueueEmpty,*' } }
        'Get-DaskQueue 1'         = @{ Check = {
                $Output | Should -HaveCount 1
                $Output[0].Name | Should -Be 'backlog'
                $Output[0].Count | Should -Be 3
                (Get-DaskQueue 'backlog').Count | Should -Be 0
            } }
        'Get-DaskQueue 2'         = @{ Check = { $Output | Should -Be 0 } }
        'Set-DaskVariable 1'      = @{ Check = { $Output | Should -Be 'fast' } }
        'Set-DaskVariable 2'      = @{ Check = { $Output | Should -Be 5050; Get-DaskVariable 'dataset' | Should -BeOfType ([DaskPS.Client.DaskNode]) } }
        'Get-DaskVariable 1'      = @{ Check = { $Output | Should -Be 'hello' } }
        'Get-DaskVariable 2'      = @{ Check = { "$Output" | Should -Be 'OperationTimeout' } }
        'Remove-DaskVariable 1'   = @{ Check = {
                $Output | Should -BeNullOrEmpty
                Wait-Until { $null -eq (Get-DaskVariable 'temp' -Timeout 0 -ErrorAction SilentlyContinue) } -Because 'the variable to be deleted'
            } }
        'Remove-DaskVariable 2'   = @{ Check = { $Output | Should -Be 1 } }
        'Enter-DaskLock 1'        = @{ Check = { $Output | Should -BeLike 'written by *'; Enter-DaskLock 'report' -Timeout '00:00:05' { 'free' } | Should -Be 'free' } }
        'Enter-DaskLock 2'        = @{ Check = { $Output | Should -Be 'holding db'; Enter-DaskLock 'db' -Timeout '00:00:05' { 'free' } | Should -Be 'free' } }
        'Exit-DaskLock 1'         = @{ Check = { $Output | Should -Be 'updating the cache'; Enter-DaskLock 'cache' -Timeout '00:00:05' { 'free' } | Should -Be 'free' } }
        'Exit-DaskLock 2'         = @{ Check = { $Output | Should -BeLike 'DaskLockNotHeld,*' } }
        'Enter-DaskMultiLock 1'   = @{ Check = {
                $Output | Should -Be 'moving data from input to output'
                Enter-DaskMultiLock 'output', 'input' -Timeout '00:00:05' { 'free' } | Should -Be 'free'
            } }
        'Enter-DaskMultiLock 2'   = @{ Check = {
                $Output | Should -Be 'using one of two GPUs'
                Enter-DaskMultiLock 'gpu0', 'gpu1' -Timeout '00:00:05' { 'free' } | Should -Be 'free'
            } }
        'Exit-DaskMultiLock 1'    = @{ Check = {
                $Output | Should -Be 'holding left and right'
                Enter-DaskMultiLock 'left', 'right' -Timeout '00:00:05' { 'free' } | Should -Be 'free'
            } }
        'Exit-DaskMultiLock 2'    = @{ Check = { $Output | Should -BeLike 'DaskMultiLockNotHeld,*' } }
        'Enter-DaskSemaphore 1'   = @{ Check = { $Output | Should -Be 'one of at most two downloads' } }
        'Enter-DaskSemaphore 2'   = @{ Check = { $Output | Should -BeLike 'DaskSemaphoreTimeout,*' } }
        'Exit-DaskSemaphore 1'    = @{ Check = { $Output | Should -Be 'uploading' } }
        'Exit-DaskSemaphore 2'    = @{ Check = { $Output | Should -BeLike 'DaskSemaphoreNotHeld,*' } }
        'Set-DaskEvent 1'         = @{ Check = { $Output | Should -Be $true } }
        'Set-DaskEvent 2'         = @{ Check = { $Output | Should -Be 'released' } }
        'Clear-DaskEvent 1'       = @{ Check = { $Output | Should -Be $false } }
        'Clear-DaskEvent 2'       = @{ Check = { $Output | Should -Be $false } }
        'Wait-DaskEvent 1'        = @{ Check = { $Output | Should -Be 'started' } }
        'Wait-DaskEvent 2'        = @{ Check = { $Output | Should -BeLike 'DaskEventTimeout,*' } }
        'Test-DaskEvent 1'        = @{ Check = { $Output | Should -Be $false } }
        'Test-DaskEvent 2'        = @{ Check = { $Output | Should -Be 'flag is set' } }
        'Submit-DaskTask 1'       = @{ Check = { $Output | Should -Be 4 } }
        'Submit-DaskTask 3'       = @{ Check = { $Output | Should -Be 136 } }
        'Submit-DaskTask 2'       = @{ Check = { $Output | Should -Be $true, $false } }
    }
    $cannotRunHere = @{
        'Connect-DaskScheduler 3' = 'it needs a TLS scheduler on another host; Start-DaskScheduler 3 connects over TLS here'
        'Start-DaskScheduler 2'   = 'it listens on every interface with the dask of a virtual environment this machine does not have'
        'Start-DaskWorker 2'      = 'it runs a worker in the foreground until it is stopped, for a scheduler on another host'
        'Start-DaskWorker 3'      = 'it needs a TLS scheduler on another host; Start-DaskScheduler 3 runs a worker over TLS here'
        'Start-DaskWorker 4'      = 'it logs in to other hosts over ssh; tests/Pester/RemoteWorkers.Tests.ps1 starts, uses and stops workers on namespace hosts with their own sshd the same way'
        'Start-DaskWorker 5'      = 'it needs a host behind a jump host with PowerShell, DaskPS and TLS files installed; tests/Pester/RemoteWorkers.Tests.ps1 covers -Port, -SshOption, -RemotePowerShell and -RemoteModulePath'
    }

    $examples = foreach ($command in Get-Command -Module DaskPS) {
        $number = 0
        foreach ($example in (Get-Help $command.Name -Full).Examples.Example) {
            $number++
            $id = "$($command.Name) $number"
            @{ Id = $id; Code = ($example.Code -join "`n"); Expected = $checks[$id]; Reason = $cannotRunHere[$id] }
        }
    }
    $script:runnable = @($examples | Where-Object { $_.Expected })
    $script:coverage = @{
        Unaccounted = @($examples | Where-Object { -not $_.Expected -and -not $_.Reason } | ForEach-Object Id)
        Stale       = @(@($checks.Keys) + @($cannotRunHere.Keys) | Where-Object { $_ -notin $examples.Id })
    }
    $script:commands = @(Get-Command -Module DaskPS | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:exampleScheduler = Start-DaskScheduler
    # The TLS files the examples name (cluster-ca.pem, cluster-cert.pem, cluster-key.pem), copied into each example's folder.
    $script:certificateFolder = Join-Path ([IO.Path]::GetTempPath()) "daskps-example-tls-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory -Path $certificateFolder
    $script:certificateFiles = New-TestCertificateFiles -Path $certificateFolder -Name cluster
    $script:exampleCount = 0
}

AfterAll {
    Get-Job | Where-Object PSJobTypeName -In 'DaskWorkerJob', 'DaskRemoteWorkerJob', 'DaskSchedulerJob' | Remove-Job -Force
    Remove-Item $certificateFolder -Recurse -Force -ErrorAction Ignore
}

Describe 'Get-Help' {
    It 'shows <Name> in full: synopsis, description, every parameter and two examples with remarks' -ForEach $commands {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeLike "$Name*" -Because 'without MAML, Get-Help makes the synopsis from the syntax'
        $help.Synopsis | Should -Not -BeNullOrEmpty
        ($help.Description.Text -join '') | Should -Not -BeNullOrEmpty
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $described = $help.Parameters.Parameter | Where-Object Name -EQ $parameter
            ($described.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
        $examples = @($help.Examples.Example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            ($example.Code -join '') | Should -Not -BeNullOrEmpty
            ($example.Remarks.Text -join '') | Should -Not -BeNullOrEmpty
        }
    }

    It 'shows the about_DaskPS topic' {
        $topic = Get-Help about_DaskPS | Out-String
        foreach ($concept in 'Connect-DaskScheduler', 'DaskNode', 'CliXml', 'Start-DaskWorker', '-Local', '2022.12', '2026.7.1', 'DeathTimeoutSeconds', 'secede', 'Get-DaskTask', '-HostName') {
            $topic | Should -Match ([regex]::Escape($concept))
        }
    }
}

Describe 'Help examples' {
    It 'runs every example, or says why one cannot run here' -ForEach $coverage {
        $Unaccounted | Should -BeNullOrEmpty -Because 'each example needs a check of what its remarks say, or a reason it cannot run here'
        $Stale | Should -BeNullOrEmpty -Because 'checks and reasons must name examples that exist'
    }

    It '<Id> does what its remarks say' -ForEach $runnable {
        # Each example gets two new workers and a new default session on the shared scheduler, and runs in an empty
        # folder with the files the examples read. Addresses in examples use dask's default port on this machine.
        $script:exampleCount++
        $workerPrefix = "example$exampleCount"
        $jobsBefore = @(Get-Job | ForEach-Object InstanceId)
        $folder = Join-Path ([IO.Path]::GetTempPath()) "daskps-example-$([guid]::NewGuid().ToString('N'))"
        $null = New-Item -ItemType Directory -Path $folder
        1..150 | Set-Content (Join-Path $folder 'a.log')
        1..50 | Set-Content (Join-Path $folder 'b.log')
        '{ "retries": 2 }' | Set-Content (Join-Path $folder 'config.json')
        $certificateFiles.PSObject.Properties.Value | Copy-Item -Destination $folder
        $runnerSession = $null
        Push-Location $folder
        try {
            $null = Start-DaskWorker -Scheduler $exampleScheduler.Address -Count 2 -ThrottleLimit 2 -Name $workerPrefix
            $runnerSession = Connect-DaskScheduler -Address $exampleScheduler.Address
            Wait-Until {
                $names = @(Get-DaskWorker -Client $runnerSession).Name
                $names.Count -eq 2 -and -not ($names | Where-Object { $_ -notlike "$workerPrefix-*" })
            } -Because 'only this example''s workers to be registered'

            $code = $Code -replace 'tcp://127\.0\.0\.1:8786', $exampleScheduler.Address
            # Dot-sourced, so the check sees the example's variables; with PowerShell's default error preference, as
            # a user runs it (the test runner stops on every error).
            $ErrorActionPreference = 'Continue'
            $Output = @(. ([scriptblock]::Create($code)) 2>&1)

            $errors = @($Output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            ($errors | ForEach-Object { $_.FullyQualifiedErrorId -replace ',.*', '' }) -join ', ' | Should -Be (@($Expected.Errors) -join ', ') -Because "$($errors -join '; ')"
            . $Expected.Check
        }
        finally {
            Pop-Location
            @($Output) + @($runnerSession) | Where-Object { $_ -is [DaskPS.Cmdlets.Sessions.DaskSession] -and $_.IsConnected } |
                ForEach-Object { Stop-DaskClient -Client $_ -Confirm:$false }
            Get-Job | Where-Object InstanceId -NotIn $jobsBefore | Remove-Job -Force
            Remove-Item $folder -Recurse -Force -ErrorAction Ignore
        }
    }
}
