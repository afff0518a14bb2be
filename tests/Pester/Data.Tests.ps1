# Send-DaskData, Copy-DaskData, Stop-DaskTask and Get-DaskWorker against a real dask-scheduler and DaskPS workers.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:cluster = Start-TestCluster -WorkerCount 3 -Slots 2 -Name 'data'

    # Workers holding a key. (Take their addresses with ForEach-Object: on an array, .Address is Array.Address.)
    function Get-Holder([string] $Key) { @(Get-DaskWorker | Where-Object { $_.Keys -contains $Key }) }
}

AfterAll {
    Stop-TestCluster $script:cluster
}

Describe 'Send-DaskData' {
    It 'places values on the cluster and writes a node for each, usable by tasks' {
        $data = 10, 20 | Send-DaskData
        $data | Should -HaveCount 2
        $data | ForEach-Object { $_ | Should -BeOfType ([DaskPS.Client.DaskNode]) }
        $sum = Submit-DaskTask { param($x, $y) $x + $y } -ArgumentList $data[0], $data[1]
        Get-DaskResult $sum | Should -Be 30
        $data | Get-DaskResult | Should -Be 10, 20
    }

    It 'sends objects that are not plain values and gets them back Deserialized' {
        $node = [pscustomobject]@{ Name = 'sent' } | Send-DaskData
        $back = Get-DaskResult $node
        $back.Name | Should -Be 'sent'
        $back.PSObject.TypeNames[0] | Should -BeLike 'Deserialized.*'
    }

    It 'places data on the workers named by -Workers' {
        $target = (Get-DaskWorker -Name 'data-3').Address
        $node = 'pinned' | Send-DaskData -Workers $target
        (Get-Holder $node.Key | ForEach-Object Address) | Should -Be $target
    }

    It 'refuses a -Workers that came back empty rather than placing or copying anywhere' {
        $none = (Get-DaskWorker -Name 'no-such-worker').Address
        { 'anywhere' | Send-DaskData -Workers $none } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
        $node = 'kept' | Send-DaskData
        { Copy-DaskData $node -Workers $none -Confirm:$false } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }

    It 'places every value on every worker with -Broadcast' {
        $node = 'everywhere' | Send-DaskData -Broadcast
        Wait-Until { (Get-Holder $node.Key).Count -eq 3 } -Because 'a copy on each of the three workers'
    }

    It 'sends nothing with -WhatIf' {
        'not sent' | Send-DaskData -WhatIf | Should -BeNullOrEmpty
    }
}

Describe 'Copy-DaskData' {
    It 'copies data onto every worker by default' {
        $node = Submit-DaskTask { 'copied' }
        Get-DaskResult $node | Out-Null
        Copy-DaskData $node -Confirm:$false -ErrorAction Stop
        Wait-Until { (Get-Holder $node.Key).Count -eq 3 } -Because 'a replica on all three workers'
    }

    It 'keeps -Count copies' {
        $node = Submit-DaskTask { 'twice' }
        Get-DaskResult $node | Out-Null
        $node | Copy-DaskData -Count 2 -Confirm:$false -ErrorAction Stop
        Wait-Until { (Get-Holder $node.Key).Count -eq 2 } -Because 'two replicas'
    }

    It 'copies onto the workers named by -Workers' {
        $node = Submit-DaskTask { 'placed' } -Workers (Get-DaskWorker -Name 'data-1').Address
        Get-DaskResult $node | Out-Null
        $target = (Get-DaskWorker -Name 'data-3').Address
        Copy-DaskData $node -Workers $target -Confirm:$false -WarningVariable warnings -ErrorAction Stop
        Wait-Until { (Get-Holder $node.Key | ForEach-Object Address) -contains $target } -Because 'a replica on data-3'
        (Get-Holder $node.Key).Name | Should -Not -Contain 'data-2'
        # Schedulers DaskPS starts run without the Active Memory Manager, which would drop the copy again.
        $warnings | Should -BeNullOrEmpty
    }

    It 'warns that copies may not last where the scheduler''s Active Memory Manager runs' {
        $setting = 'DASK_DISTRIBUTED__SCHEDULER__ACTIVE_MEMORY_MANAGER__START'
        $env:DASK_DISTRIBUTED__SCHEDULER__ACTIVE_MEMORY_MANAGER__START = 'True'
        try { $amm = Start-TestCluster -WorkerCount 2 -Name 'amm' -NoDefault }
        finally { Remove-Item "env:$setting" }
        try {
            $node = Send-DaskData -InputObject 'copy me' -Client $amm.Session
            Copy-DaskData $node -Client $amm.Session -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
            $warnings.Message | Should -Match 'Active Memory Manager'
        }
        finally {
            Stop-DaskClient -Client $amm.Session -Confirm:$false
            $amm.Workers, $amm.Scheduler | Remove-Job -Force
        }
    }

    It 'writes the nodes on with -PassThru and copies nothing with -WhatIf' {
        $node = Submit-DaskTask { 'once' } -Workers (Get-DaskWorker -Name 'data-1').Address
        Get-DaskResult $node | Out-Null
        Copy-DaskData $node -WhatIf | Should -BeNullOrEmpty
        (Get-Holder $node.Key).Count | Should -Be 1
        Copy-DaskData $node -PassThru -Confirm:$false | Should -Be $node
    }
}

Describe 'Stop-DaskTask' {
    It 'cancels a running task: its result becomes a cancellation error' {
        $node = Submit-DaskTask { Start-Sleep -Seconds 30; 'late' }
        Stop-DaskTask $node -Confirm:$false
        Get-DaskResult $node -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskTaskCancelled*'
        $errs[0].CategoryInfo.Category | Should -Be 'OperationStopped'
        $errs[0].TargetObject | Should -Be $node
    }

    It 'stops the running script block, freeing its slot for the next task' {
        $worker = Start-DaskWorker -Scheduler $cluster.Scheduler.Address -Name 'one-slot' -ThrottleLimit 1
        try {
            Wait-Until { Get-DaskWorker -Name 'one-slot' } -Because 'the one-slot worker to register'
            $address = (Get-DaskWorker -Name 'one-slot').Address
            $started = Join-Path ([IO.Path]::GetTempPath()) "daskps-started-$([guid]::NewGuid().ToString('N'))"
            $node = Submit-DaskTask { Set-Content -Path $using:started -Value 'started'; Start-Sleep -Seconds 600; Remove-Item $using:started } -Workers $address
            Wait-Until { Test-Path $started } -Because 'the long task to start'
            Stop-DaskTask $node -Confirm:$false

            # The only slot is free again long before the 600 s the script would sleep, and the script did not go on.
            Submit-DaskTask { 'next' } -Workers $address | Get-DaskResult -Timeout ([timespan]::FromSeconds(30)) | Should -Be 'next'
            Test-Path $started | Should -BeTrue
        }
        finally {
            $worker | Remove-Job -Force
            if ($started) { Remove-Item $started -ErrorAction Ignore }
        }
    }

    It 'cancels nothing with -WhatIf' {
        $node = Submit-DaskTask { Start-Sleep -Milliseconds 300; 'kept' }
        Stop-DaskTask $node -WhatIf
        Get-DaskResult $node | Should -Be 'kept'
    }
}

Describe 'Get-DaskWorker' {
    It 'shows workers as the scheduler sees them: address, name, slots, keys held' {
        $workers = Get-DaskWorker
        $workers | Should -HaveCount 3
        $workers.Name | Sort-Object | Should -Be 'data-1', 'data-2', 'data-3'
        $workers | ForEach-Object {
            $_.Slots | Should -Be 2
            $_.Address | Should -Match '^tcp://127\.0\.0\.1:\d+$'
        }
    }

    It 'filters by name or address with wildcards' {
        Get-DaskWorker -Name 'data-2' | Should -HaveCount 1
        Get-DaskWorker -Name 'DATA-*' | Should -HaveCount 3
        $address = (Get-DaskWorker -Name 'data-1').Address
        (Get-DaskWorker -Name $address).Name | Should -Be 'data-1'
        Get-DaskWorker -Name 'nobody-*' | Should -BeNullOrEmpty
    }
}
