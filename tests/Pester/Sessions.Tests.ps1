# Connect-DaskScheduler, Stop-DaskClient, -Local clusters, the module's manifest, views and completion.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:childrenBefore = @(Get-ChildProcess | ForEach-Object Id)
}

AfterAll {
    Get-Job | Where-Object PSJobTypeName -In 'DaskWorkerJob', 'DaskSchedulerJob' | Remove-Job -Force
}

Describe 'The module' {
    It 'exports exactly its cmdlets and runs on Desktop and Core' {
        $module = Get-Module DaskPS
        $module.ExportedCmdlets.Keys | Sort-Object | Should -Be @(
            'Clear-DaskEvent', 'Connect-DaskScheduler', 'Copy-DaskData', 'Enter-DaskLock', 'Enter-DaskMultiLock',
            'Enter-DaskSemaphore', 'Exit-DaskLock', 'Exit-DaskMultiLock', 'Exit-DaskSemaphore', 'Get-DaskQueue',
            'Get-DaskResult', 'Get-DaskTask', 'Get-DaskVariable', 'Get-DaskWorker', 'Receive-DaskQueueItem', 'Remove-DaskVariable',
            'Send-DaskData', 'Send-DaskQueueItem', 'Set-DaskEvent', 'Set-DaskVariable', 'Start-DaskScheduler',
            'Start-DaskWorker', 'Stop-DaskClient', 'Stop-DaskTask', 'Submit-DaskTask', 'Test-DaskEvent',
            'Wait-DaskEvent', 'Wait-DaskTask')
        $manifest = Import-PowerShellDataFile (Get-DaskPSManifest)
        $manifest.CompatiblePSEditions | Should -Be 'Desktop', 'Core'
        $manifest.CmdletsToExport | Should -Not -Contain '*'
    }
}

Describe 'Connect-DaskScheduler and Stop-DaskClient' {
    BeforeAll {
        $script:scheduler = Start-DaskScheduler
        $script:worker = Start-DaskWorker -Scheduler $scheduler.Address -Name 'sessions'
    }

    AfterAll {
        $script:worker, $script:scheduler | Remove-Job -Force
    }

    It 'connects (tcp:// may be left out) and becomes the default session' {
        $hostPort = $scheduler.Address -replace '^tcp://', ''
        $session = Connect-DaskScheduler $hostPort
        try {
            $session.IsConnected | Should -BeTrue
            $session.Address | Should -Be $scheduler.Address
            $session.IsLocal | Should -BeFalse
            # The default session is used without -Client.
            (Get-DaskWorker).Name | Should -Be 'sessions'
            Send-DaskData -InputObject 1 | Get-DaskResult | Should -Be 1
        }
        finally {
            Stop-DaskClient -Confirm:$false
        }
        $session.IsConnected | Should -BeFalse
    }

    It 'accepts the scheduler job from the pipeline (its Address property)' {
        $session = $scheduler | Connect-DaskScheduler -NoDefault
        try { $session.Address | Should -Be $scheduler.Address }
        finally { Stop-DaskClient -Client $session -Confirm:$false }
    }

    It 'does not replace the default session with -NoDefault' {
        $default = Connect-DaskScheduler $scheduler.Address
        $other = Connect-DaskScheduler $scheduler.Address -NoDefault
        try {
            $default.ClientId | Should -Not -Be $other.ClientId
            Stop-DaskClient -Confirm:$false
            $default.IsConnected | Should -BeFalse
            $other.IsConnected | Should -BeTrue
            # The -NoDefault session never became the default, so nothing is left to fall back on.
            { Submit-DaskTask { 1 } } | Should -Throw -ErrorId 'NoDaskSession*'
            Submit-DaskTask { 'explicit' } -Client $other | Get-DaskResult -Client $other | Should -Be 'explicit'
        }
        finally {
            Stop-DaskClient -Client $other -Confirm:$false
        }
    }

    It 'fails with an ErrorRecord naming a bad address' {
        { Connect-DaskScheduler 'udp://127.0.0.1:1' -ErrorAction Stop } | Should -Throw -ErrorId 'DaskConnectFailed*' -ExpectedMessage '*udp://127.0.0.1:1*'
        try { Connect-DaskScheduler 'udp://127.0.0.1:1' -ErrorAction Stop } catch { $_.CategoryInfo.Category | Should -Be 'InvalidArgument' }
    }

    It 'fails within -TimeoutSeconds when nothing listens' {
        $port = Get-UnusedTcpPort
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        { Connect-DaskScheduler "tcp://127.0.0.1:$port" -TimeoutSeconds 2 -ErrorAction Stop } | Should -Throw -ErrorId 'DaskConnectFailed*'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
    }

    It 'refuses to work on a closed session' {
        $session = Connect-DaskScheduler $scheduler.Address -NoDefault
        Stop-DaskClient -Client $session -Confirm:$false
        { Submit-DaskTask { 1 } -Client $session } | Should -Throw -ErrorId 'DaskSessionClosed*'
    }

    It 'keeps the session with -WhatIf' {
        $session = Connect-DaskScheduler $scheduler.Address -NoDefault
        try {
            Stop-DaskClient -Client $session -WhatIf
            $session.IsConnected | Should -BeTrue
        }
        finally {
            Stop-DaskClient -Client $session -Confirm:$false
        }
    }

    It 'says there is no session when none was connected in this runspace' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Get-DaskPSManifest)'; Submit-DaskTask { 1 }")
            $ps.Invoke() | Should -BeNullOrEmpty
            $ps.Streams.Error[0].FullyQualifiedErrorId | Should -BeLike 'NoDaskSession*'
            $ps.Streams.Error[0].CategoryInfo.Category | Should -Be 'ConnectionError'
            "$($ps.Streams.Error[0])" | Should -Match 'Connect-DaskScheduler'
        }
        finally {
            $ps.Dispose()
        }
    }
}

Describe 'Local sessions' {
    It 'starts a scheduler and workers in one command and stops them all again' {
        $local = Connect-DaskScheduler -Local -WorkerCount 2 -NoDefault
        try {
            $local.IsLocal | Should -BeTrue
            @(Get-DaskWorker -Client $local).Count | Should -Be 2
            Submit-DaskTask { 2 + 2 } -Client $local | Get-DaskResult -Client $local | Should -Be 4
            @(Get-ChildProcess | Where-Object Id -NotIn $childrenBefore).Count | Should -BeGreaterThan 0
        }
        finally {
            Stop-DaskClient -Client $local -Confirm:$false
        }
        $local.IsConnected | Should -BeFalse
        Wait-Until { @(Get-ChildProcess | Where-Object Id -NotIn $childrenBefore).Count -eq 0 } -Because 'the local scheduler process to end'
    }

    It 'becomes the default session' {
        $local = Connect-DaskScheduler -Local -WorkerCount 1
        try {
            Submit-DaskTask { 'default' } | Get-DaskResult | Should -Be 'default'
        }
        finally {
            Stop-DaskClient -Confirm:$false
        }
        { Submit-DaskTask { 1 } } | Should -Throw -ErrorId 'NoDaskSession*'
    }
}

Describe 'Views and completion' {
    BeforeAll {
        $script:cluster = Start-TestCluster -WorkerCount 1 -Name 'views'
    }

    AfterAll {
        Stop-TestCluster $script:cluster
    }

    It 'shows nodes, workers and sessions as tables with their key columns' {
        $nodeView = Submit-DaskTask { 1 } | Out-String
        $nodeView | Should -Match 'Key\s+State\s+Runtime\s+Dependencies'
        $workerView = Get-DaskWorker | Out-String
        $workerView | Should -Match 'Name\s+Address\s+Slots\s+Keys'
        $workerView | Should -Match '\bviews\b'
        $sessionView = $cluster.Session | Out-String
        $sessionView | Should -Match 'Address\s+Version\s+Connected'
    }

    It 'completes -Scheduler and -Address from known sessions' {
        $line = 'Start-DaskWorker -Scheduler '
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $completions.ListItemText | Should -Contain $cluster.Session.Address
        $line = 'Connect-DaskScheduler -Address tcp://127'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.ListItemText | Should -Contain $cluster.Session.Address
    }

    It 'completes -Workers from the scheduler''s workers' {
        $line = 'Submit-DaskTask { 1 } -Workers '
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $completions.ListItemText | Should -Contain (Get-DaskWorker).Address
    }
}

Describe 'Connect-DaskScheduler and the scheduler''s release' {
    BeforeEach {
        $script:reporting = $null
        # A real scheduler of the installed release that reports the given one.
        function Start-ReportingScheduler([string] $Release) {
            $port = Get-UnusedTcpPort
            $start = [System.Diagnostics.ProcessStartInfo]::new('/usr/bin/python3')
            foreach ($argument in (Join-Path $PSScriptRoot 'python/reported_release.py'), $Release, $port) { $start.ArgumentList.Add([string]$argument) }
            $start.RedirectStandardError = $true
            $start.RedirectStandardOutput = $true
            $script:reporting = [System.Diagnostics.Process]::Start($start)
            Wait-Until {
                $client = [System.Net.Sockets.TcpClient]::new()
                try { $client.Connect('127.0.0.1', $port); $true } catch { $false } finally { $client.Dispose() }
            } -Because "the scheduler reporting $Release to listen"
            "tcp://127.0.0.1:$port"
        }
    }

    AfterEach {
        if ($script:reporting) { $script:reporting.Kill($true); $script:reporting.WaitForExit(); $script:reporting.Dispose() }
    }

    It 'warns, naming the verified range, for a release newer than any verified one' {
        $address = Start-ReportingScheduler '2099.1.0'
        $session = Connect-DaskScheduler $address -NoDefault -WarningVariable warnings -WarningAction SilentlyContinue
        try {
            $session.SchedulerVersion | Should -Be '2099.1.0'
            "$warnings" | Should -BeLike '*2099.1.0*newer than the releases DaskPS was verified with (2022.12.0*2026.7.1)*'
        }
        finally { Stop-DaskClient -Client $session -Confirm:$false }
    }

    It 'refuses a release older than 2022.12 with an ErrorRecord naming the supported range' {
        $address = Start-ReportingScheduler '2022.11.1'
        { Connect-DaskScheduler $address -NoDefault -ErrorAction Stop } |
            Should -Throw -ErrorId 'DaskConnectFailed*' -ExpectedMessage '*2022.11.1*supports 2022.12.0 and later*'
        try { Connect-DaskScheduler $address -NoDefault -ErrorAction Stop } catch { $_.CategoryInfo.Category | Should -Be 'NotImplemented' }
    }

    It 'connects to the newest verified release without a warning' {
        $session = Connect-DaskScheduler (Start-ReportingScheduler '2026.7.1') -NoDefault -WarningVariable warnings
        try { $warnings | Should -BeNullOrEmpty } finally { Stop-DaskClient -Client $session -Confirm:$false }
    }
}

Describe 'Leaving nothing behind' {
    It 'has no DaskPS job and no child process left once everything is stopped' {
        Get-Job | Where-Object PSJobTypeName -In 'DaskWorkerJob', 'DaskSchedulerJob' | Remove-Job -Force
        Get-Job | Where-Object PSJobTypeName -In 'DaskWorkerJob', 'DaskSchedulerJob' | Should -BeNullOrEmpty
        Wait-Until { @(Get-ChildProcess | Where-Object Id -NotIn $childrenBefore).Count -eq 0 } -Because 'every child process to end'
    }
}
