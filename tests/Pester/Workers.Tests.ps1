# Start-DaskScheduler and Start-DaskWorker: the real dask-scheduler and DaskPS workers as PowerShell jobs.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:scheduler = Start-DaskScheduler
    $script:session = Connect-DaskScheduler -Address $scheduler.Address
}

AfterAll {
    if ($script:session) { Stop-DaskClient -Client $script:session -Confirm:$false }
    Get-Job | Where-Object PSJobTypeName -In 'DaskWorkerJob', 'DaskSchedulerJob' | Remove-Job -Force
}

Describe 'Start-DaskScheduler' {
    It 'runs the real dask-scheduler as a job with an Address' {
        $scheduler.PSJobTypeName | Should -Be 'DaskSchedulerJob'
        $scheduler.State | Should -Be 'Running'
        $scheduler.Address | Should -Match '^tcp://127\.0\.0\.1:\d+$'
        (Get-Process -Id $scheduler.ProcessId).Parent.Id | Should -Be $PID
        $session.SchedulerVersion | Should -Match '^20\d\d\.\d+\.\d+'
        # The test command picks the release through PYTHONPATH and says which one it expects.
        if ($env:DASKPS_DASK_VERSION) { $session.SchedulerVersion | Should -BeLike "$env:DASKPS_DASK_VERSION*" }
        Receive-Job $scheduler -Keep | Should -Not -BeNullOrEmpty
    }

    It 'listens on the given -Port and -HostName' {
        $port = Get-UnusedTcpPort
        $own = Start-DaskScheduler -Port $port -HostName '127.0.0.1'
        try {
            $own.Address | Should -Be "tcp://127.0.0.1:$port"
        }
        finally {
            $own | Stop-Job
        }
        $own.State | Should -Be 'Stopped'
        Wait-Until { -not (Get-Process -Id $own.ProcessId -ErrorAction Ignore) } -Because 'the scheduler process to end'
        $own | Remove-Job
    }

    It 'says how to install dask when dask-scheduler is not on PATH' {
        $path = $env:PATH
        try {
            $env:PATH = Join-Path ([IO.Path]::GetTempPath()) 'daskps-empty-path'
            { Start-DaskScheduler -ErrorAction Stop } | Should -Throw -ErrorId 'DaskSchedulerStartFailed*' -ExpectedMessage '*pip install distributed*apt-get install python3-distributed*'
        }
        finally {
            $env:PATH = $path
        }
    }

    It 'runs "dask scheduler" where no dask-scheduler command is installed (dask.distributed 2026.6 and later)' -Skip:$IsWindows {
        $path = $env:PATH
        $folder = Join-Path ([IO.Path]::GetTempPath()) "daskps-dask-cli-$([guid]::NewGuid().ToString('N'))"
        $null = New-Item -ItemType Directory -Path $folder
        try {
            # Only a "dask" command, as newer releases install: it runs the real scheduler when called as "dask scheduler".
            $shim = Join-Path $folder 'dask'
            Set-Content $shim "#!/bin/sh`n[ `"`$1`" = scheduler ] || exit 64`nshift`nexec /usr/bin/python3 -m distributed.cli.dask_scheduler `"`$@`"`n"
            chmod +x $shim
            $env:PATH = $folder
            $scheduler = Start-DaskScheduler
            $env:PATH = $path
            $scheduler.State | Should -Be 'Running'
            $session = Connect-DaskScheduler -Address $scheduler.Address -NoDefault
            $session.IsConnected | Should -BeTrue
            Stop-DaskClient -Client $session -Confirm:$false
        }
        finally {
            $env:PATH = $path
            if ($scheduler) { $scheduler | Remove-Job -Force }
            Remove-Item $folder -Recurse -Force -ErrorAction Ignore
        }
    }

    It 'starts nothing with -WhatIf' {
        $before = @(Get-Job).Count
        Start-DaskScheduler -WhatIf | Should -BeNullOrEmpty
        @(Get-Job).Count | Should -Be $before
    }
}

Describe 'Start-DaskWorker' {
    It 'writes one job per worker; -ThrottleLimit sets its task slots' {
        $jobs = Start-DaskWorker -Scheduler $scheduler.Address -Count 2 -ThrottleLimit 3 -Name 'slots'
        try {
            $jobs | Should -HaveCount 2
            $jobs.Name | Should -Be 'slots-1', 'slots-2'
            $jobs | ForEach-Object { $_.PSJobTypeName | Should -Be 'DaskWorkerJob'; $_.State | Should -Be 'Running' }
            Wait-Until { @(Get-DaskWorker -Name 'slots-*').Count -eq 2 } -Because 'both workers'
            (Get-DaskWorker -Name 'slots-*').Slots | Should -Be 3, 3
        }
        finally {
            $jobs | Remove-Job -Force
        }
    }

    It 'works with Get-Job, Receive-Job, Stop-Job, Wait-Job and Remove-Job' {
        $job = Start-DaskWorker -Scheduler $scheduler.Address -Name 'jobby'
        try {
            (Get-Job -Id $job.Id) | Should -Be $job
            (Get-Job -Name 'jobby').InstanceId | Should -Be $job.InstanceId
            Get-Job -State Running | Should -Contain $job
            Wait-Until { Get-DaskWorker -Name 'jobby' } -Because 'the worker to register'

            $job | Stop-Job
            $job.State | Should -Be 'Stopped'
            Wait-Job $job -Timeout 10 | Should -Be $job
            Wait-Until { -not (Get-DaskWorker -Name 'jobby') } -Because 'the worker to leave the scheduler'
            $log = Receive-Job $job
            ($log -join "`n") | Should -Match "Worker 'jobby' at tcp://127\.0\.0\.1:\d+ registered with"
            $job.HasMoreData | Should -BeFalse
        }
        finally {
            $job | Remove-Job -Force
        }
        Get-Job -Id $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'stops a running worker when Remove-Job -Force removes it' {
        $job = Start-DaskWorker -Scheduler $scheduler.Address -Name 'removed'
        Wait-Until { Get-DaskWorker -Name 'removed' } -Because 'the worker to register'
        $job | Remove-Job -Force
        Wait-Until { -not (Get-DaskWorker -Name 'removed') } -Because 'the removed worker to leave'
    }

    It 'advertises -Resources, and tasks asking for them run only there' {
        $plain = Start-DaskWorker -Scheduler $scheduler.Address -Name 'plain'
        $gpu = Start-DaskWorker -Scheduler $scheduler.Address -Name 'gpu' -Resources @{ GPU = 2 }
        try {
            Wait-Until { @(Get-DaskWorker -Name 'plain', 'gpu').Count -eq 2 } -Because 'both workers'
            $nodes = 1..6 | Submit-DaskTask { $_ } -Resources @{ GPU = 1 }
            $nodes | Get-DaskResult | Should -Be (1..6)
            $held = (Get-DaskWorker -Name 'gpu').Keys
            $nodes.Key | ForEach-Object { $held | Should -Contain $_ }
        }
        finally {
            $plain, $gpu | Remove-Job -Force
        }
    }

    It 'applies -InitializationScript and -Module once in each runspace of the worker' {
        $moduleFile = Join-Path ([IO.Path]::GetTempPath()) "DaskPSPesterHelper$([guid]::NewGuid().ToString('N')).psm1"
        Set-Content -Path $moduleFile -Value 'function Get-Answer { 42 }'
        $counter = Join-Path ([IO.Path]::GetTempPath()) "daskps-init-$([guid]::NewGuid().ToString('N'))"
        $init = [scriptblock]::Create("Add-Content -Path '$counter' -Value init; function Get-Greeting { 'hello from init' }")
        $job = Start-DaskWorker -Scheduler $scheduler.Address -Name 'initialized' -ThrottleLimit 2 -InitializationScript $init -Module $moduleFile
        try {
            Wait-Until { Get-DaskWorker -Name 'initialized' } -Because 'the worker to register'
            $target = (Get-DaskWorker -Name 'initialized').Address
            $results = 1..20 | Submit-DaskTask { "$(Get-Greeting) $(Get-Answer)" } -Workers $target | Get-DaskResult
            $results | Select-Object -Unique | Should -Be 'hello from init 42'
            # A warm pool of at most two runspaces: the script ran once per runspace, not once per task.
            (Get-Content $counter).Count | Should -BeIn 1, 2
        }
        finally {
            $job | Remove-Job -Force
            Remove-Item $moduleFile, $counter -ErrorAction Ignore
        }
    }

    It 'listens on -ListenAddress' {
        $port = Get-UnusedTcpPort
        $job = Start-DaskWorker -Scheduler $scheduler.Address -Name 'listening' -ListenAddress "tcp://127.0.0.1:$port"
        try {
            $job.Address | Should -Be "tcp://127.0.0.1:$port"
            Wait-Until { Get-DaskWorker -Name 'listening' } -Because 'the worker to register'
            (Get-DaskWorker -Name 'listening').Address | Should -Be "tcp://127.0.0.1:$port"
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'runs higher -Priority tasks first on a busy worker' {
        $job = Start-DaskWorker -Scheduler $scheduler.Address -Name 'busy' -ThrottleLimit 1
        $gate = Join-Path ([IO.Path]::GetTempPath()) "daskps-gate-$([guid]::NewGuid().ToString('N'))"
        $log = "$gate.log"
        try {
            Wait-Until { Get-DaskWorker -Name 'busy' } -Because 'the worker to register'
            $target = (Get-DaskWorker -Name 'busy').Address
            Set-Content -Path $gate -Value 1
            # The one slot is held until the gate file goes; meanwhile low and high priority tasks queue.
            $blocker = Submit-DaskTask { while (Test-Path $using:gate) { Start-Sleep -Milliseconds 20 } } -Workers $target
            $low = 1..3 | Submit-DaskTask { Add-Content -Path $using:log -Value "low $_" } -Workers $target -Priority -10
            $high = 1..3 | Submit-DaskTask { Add-Content -Path $using:log -Value "high $_" } -Workers $target -Priority 10
            Remove-Item $gate
            $null = Get-DaskResult (@($blocker) + $low + $high)
            $order = Get-Content $log
            ($order | Select-Object -First 3) -replace ' \d', '' | Should -Be 'high', 'high', 'high'
        }
        finally {
            $job | Remove-Job -Force
            Remove-Item $gate, $log -ErrorAction Ignore
        }
    }

    It 'writes an error naming the scheduler it cannot reach' {
        $port = Get-UnusedTcpPort
        $jobs = Start-DaskWorker -Scheduler "tcp://127.0.0.1:$port" -ErrorVariable errs -ErrorAction SilentlyContinue
        $jobs | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskWorkerStartFailed*'
        "$($errs[0])" | Should -Match "127\.0\.0\.1:$port"
    }

    It 'refuses -Wait with -Count' {
        { Start-DaskWorker -Scheduler $scheduler.Address -Count 2 -Wait } | Should -Throw -ErrorId 'DaskWorkerWaitCount*'
    }

    It 'refuses -StopWhenInputEnds without -Wait' {
        { Start-DaskWorker -Scheduler $scheduler.Address -StopWhenInputEnds } | Should -Throw -ErrorId 'DaskWorkerInputEndNeedsWait*'
    }

    It 'with -Wait -StopWhenInputEnds, stops the worker properly when its standard input is closed' -Skip:$IsWindows {
        $process = Start-ForegroundWorker -Scheduler $scheduler.Address -Name 'held' -StopWhenInputEnds
        try {
            Wait-Until { Get-DaskWorker -Name 'held' } -Because 'the foreground worker to register'
            # Input that arrives is not an end; only closing it is.
            $process.StandardInput.WriteLine('not the end')
            $process.StandardInput.Flush()
            $process.WaitForExit(1000) | Should -BeFalse
            $process.StandardInput.Close()
            $process.WaitForExit(20000) | Should -BeTrue
            $process.ExitCode | Should -Be 0
            $process.StandardOutput.ReadToEnd() | Should -Match "Worker 'held' stopped"
            Wait-Until { -not (Get-DaskWorker -Name 'held') } -Because 'the worker to leave the scheduler'
        }
        finally {
            Stop-PowerShellProcess $process
        }
    }

    It 'starts nothing with -WhatIf' {
        Start-DaskWorker -Scheduler $scheduler.Address -Name 'whatif' -WhatIf | Should -BeNullOrEmpty
        Get-Job -Name 'whatif' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'gives up fetching from a holder that does not answer when Get-DaskResult -Timeout runs out' -Skip:$IsWindows {
        $process = Start-ForegroundWorker -Scheduler $scheduler.Address -Name 'frozen'
        try {
            Wait-Until { Get-DaskWorker -Name 'frozen' } -Because 'the worker to register'
            $node = Submit-DaskTask { 'held' } -Workers (Get-DaskWorker -Name 'frozen').Address
            Wait-Until { (Get-DaskWorker -Name 'frozen').Keys -contains $node.Key } -Because 'the result to be in memory there'
            # Paused, the holder keeps its connections open but never answers: only the deadline ends the fetch.
            & kill -STOP $process.Id
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            Get-DaskResult $node -Timeout '00:00:02' -ErrorVariable late -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
            $late[0].FullyQualifiedErrorId | Should -BeLike 'DaskResultTimeout,*'
        }
        finally {
            & kill -CONT $process.Id
            Stop-PowerShellProcess $process
        }
    }

    It 'runs one worker in the foreground with -Wait until SIG<Signal> (<Meaning>)' -Skip:$IsWindows -ForEach @(
        @{ Signal = 'INT'; Meaning = 'Ctrl+C' }
        @{ Signal = 'TERM'; Meaning = 'a service manager stopping it' }
    ) {
        $name = "waiter-$Signal"
        $process = Start-ForegroundWorker -Scheduler $scheduler.Address -Name $name
        try {
            Wait-Until { Get-DaskWorker -Name $name } -Because 'the foreground worker to register'
            Submit-DaskTask { "ran $args" } -ArgumentList $Signal -Workers (Get-DaskWorker -Name $name).Address | Get-DaskResult | Should -Be "ran $Signal"
            & kill "-$Signal" $process.Id
            $process.WaitForExit(20000) | Should -BeTrue
            $process.StandardOutput.ReadToEnd() | Should -Match "Worker '$name' .* registered"
            Wait-Until { -not (Get-DaskWorker -Name $name) } -Because 'the foreground worker to leave'
            # It closed (said 'close-stream' on its stream) rather than vanished; both scheduler releases log that line.
            $log = @(Receive-Job $scheduler -Keep)
            $registered = ($log | Select-String -Pattern "Register worker.* name: $name\b" | Select-Object -Last 1).LineNumber
            $registered | Should -Not -BeNullOrEmpty -Because 'the scheduler logs each registration'
            $stream = $log | Select-Object -Skip $registered | Select-String -Pattern 'Starting established connection to (\S+)' | Select-Object -First 1
            $peer = $stream.Matches[0].Groups[1].Value
            $log | Where-Object { $_ -match "Received 'close-stream' from $([regex]::Escape($peer))" } | Should -Not -BeNullOrEmpty
        }
        finally {
            Stop-PowerShellProcess $process
        }
    }
}

Describe 'Workers whose scheduler goes away' {
    It 'registers again when a scheduler is back on the same address, and runs new tasks there' {
        $port = Get-UnusedTcpPort
        $first = Start-DaskScheduler -Port $port
        $worker = Start-DaskWorker -Scheduler $first.Address -Name 'comeback' -DeathTimeoutSeconds 120
        $before = Connect-DaskScheduler $first.Address -NoDefault
        try {
            Submit-DaskTask { 'before' } -Client $before | Get-DaskResult -Client $before | Should -Be 'before'
            $first | Remove-Job -Force
            Wait-Until { $worker.Warning.Count -gt 0 } -Because 'the worker to notice the scheduler is gone'
            "$($worker.Warning[0])" | Should -BeLike '*lost the scheduler*registering again*'

            $second = Start-DaskScheduler -Port $port
            $after = Connect-DaskScheduler $second.Address -NoDefault
            Wait-Until { @(Get-DaskWorker -Client $after).Name -contains 'comeback' } -Because 'the worker to register with the new scheduler'
            $worker.State | Should -Be 'Running'
            Submit-DaskTask { 'after' } -Client $after | Get-DaskResult -Client $after -Timeout ([timespan]::FromSeconds(60)) | Should -Be 'after'
            Stop-DaskClient -Client $after -Confirm:$false
        }
        finally {
            if ($before.IsConnected) { Stop-DaskClient -Client $before -Confirm:$false }
            $worker | Remove-Job -Force
            Get-Job | Where-Object { $_.PSJobTypeName -eq 'DaskSchedulerJob' -and $_.Address -like "*:$port" } | Remove-Job -Force
        }
    }

    It 'with -Wait, writes the warning as it happens and exits non-zero once -DeathTimeoutSeconds passes' -Skip:$IsWindows {
        $own = Start-DaskScheduler
        $process = Start-PowerShellProcess '-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$(Get-DaskPSManifest)'; Start-DaskWorker -Scheduler $($own.Address) -Name 'gone' -DeathTimeoutSeconds 2 -Wait"
        $watching = Connect-DaskScheduler $own.Address -NoDefault
        try {
            Wait-Until { @(Get-DaskWorker -Client $watching).Name -contains 'gone' -or $process.HasExited } -Because 'the -Wait worker to register'
            Stop-DaskClient -Client $watching -Confirm:$false
            $own | Remove-Job -Force
            $process.WaitForExit(60000) | Should -BeTrue -Because 'the worker stops once the death timeout passes'
            $output = $process.StandardOutput.ReadToEnd() + $process.StandardError.ReadToEnd()
            $process.ExitCode | Should -Not -Be 0
            $output | Should -Match 'WARNING: .*lost the scheduler'
            $output | Should -Match 'could not reach its scheduler .* again within 2 s \(death timeout\)'
        }
        finally {
            Stop-PowerShellProcess $process
        }
    }
}
