# Stopping running tasks, tasks that submit tasks, and waiting for and listing nodes, against a real dask-scheduler and
# two one-slot DaskPS workers (so a task that held its slot while waiting would block the other half of the cluster).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:cluster = Start-TestCluster -WorkerCount 2 -Slots 1 -Name 'control'

    function script:New-Marker { Join-Path ([IO.Path]::GetTempPath()) "daskps-marker-$([guid]::NewGuid().ToString('N'))" }
}

AfterAll {
    Stop-TestCluster $script:cluster
}

Describe 'Stop-DaskTask on running tasks' {
    It 'stops a script block mid-sleep: its finally block runs, its slot is free and its result is a cancellation' {
        $started, $cleaned = (New-Marker), (New-Marker)
        try {
            $worker = (Get-DaskWorker -Name 'control-1').Address
            $node = Submit-DaskTask -Workers $worker {
                try { Set-Content $using:started 'started'; Start-Sleep -Seconds 600; 'late' }
                finally { Set-Content $using:cleaned 'cleaned up' }
            }
            Wait-Until { Test-Path $started } -Because 'the task to start sleeping'

            Stop-DaskTask $node -Confirm:$false -WarningVariable warnings
            $warnings | Should -BeNullOrEmpty
            Get-Content $cleaned | Should -Be 'cleaned up'
            Get-DaskResult $node -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskTaskCancelled*'
            $node.State | Should -Be 'Cancelled'
            # The worker's only slot runs the next task at once (the sleep had 600 s to go).
            Submit-DaskTask { 'next' } -Workers $worker | Get-DaskResult -Timeout '00:00:10' | Should -Be 'next'
        }
        finally { Remove-Item $started, $cleaned -ErrorAction Ignore }
    }

    It 'runs the finally block of every task stopped as it starts in a new runspace' {
        # A task's first commands once loaded their module in a pipeline nested in the task's; a stop that came then
        # also stopped the finally block's first command (about one task in twenty stopped that early). Here tasks
        # start in new runspaces of one worker and are stopped while they start: each task that started cleans up.
        $count = 24
        $worker = Start-DaskWorker -Scheduler $script:cluster.Scheduler.Address -Name 'fresh' -ThrottleLimit $count
        $markers = 1..$count | ForEach-Object { [pscustomobject]@{ Started = New-Marker; Cleaned = New-Marker } }
        try {
            Wait-Until { Get-DaskWorker -Name 'fresh' } -Because 'the fresh worker to register'
            $address = (Get-DaskWorker -Name 'fresh').Address
            $nodes = $markers | Submit-DaskTask -Workers $address {
                try { Set-Content $_.Started 'started'; Start-Sleep -Seconds 600 }
                finally { Set-Content $_.Cleaned 'cleaned up' }
            }
            Wait-Until { $markers | Where-Object { Test-Path $_.Started } } -Because 'the first tasks to start'

            Stop-DaskTask $nodes -Confirm:$false -WarningVariable warnings
            $warnings | Should -BeNullOrEmpty
            # A task the worker had not yet heard was cancelled may start just after: it is stopped a moment later.
            $unclean = { $markers | Where-Object { (Test-Path $_.Started) -and -not (Test-Path $_.Cleaned) } }
            Wait-Until { -not (& $unclean) } -Timeout '00:00:10' -Because 'every task that started to run its finally block'
        }
        finally {
            $worker | Remove-Job -Force
            Remove-Item ($markers.Started + $markers.Cleaned) -ErrorAction Ignore
        }
    }

    It 'warns, naming the worker and the key, of a task stuck in native code; -Force gives it up and frees the slot' {
        $worker = (Get-DaskWorker -Name 'control-2').Address
        $started = New-Marker
        # Opening a FIFO for reading blocks in native code until a writer comes: a stop cannot end it, the test can.
        $fifo = New-Marker
        & mkfifo $fifo
        try {
            $stuck = Submit-DaskTask -Workers $worker { Set-Content $using:started 'started'; [System.IO.File]::ReadAllText($using:fifo) }
            Wait-Until { Test-Path $started } -Because 'the stuck task to start'

            Stop-DaskTask $stuck -Confirm:$false -WarningVariable stuckWarnings -WarningAction SilentlyContinue
            $stuckWarnings | Should -HaveCount 1
            "$stuckWarnings" | Should -BeLike "*'$($stuck.Key)'*$worker*did not stop*-Force*"

            Stop-DaskTask $stuck -Force -Confirm:$false -WarningVariable givenUp -WarningAction SilentlyContinue
            "$givenUp" | Should -BeLike "*'$($stuck.Key)'*$worker*given up*"
            Submit-DaskTask { 'free again' } -Workers $worker | Get-DaskResult -Timeout '00:00:10' | Should -Be 'free again'
        }
        finally {
            # Lets the given-up thread end (the writer gives up if no reader is left), then tidies up.
            & timeout 5 sh -c "echo done > '$fifo'"
            Remove-Item $started, $fifo -ErrorAction Ignore
        }
    }

    It 'still cancels queued tasks, which never start' {
        $worker = (Get-DaskWorker -Name 'control-1').Address
        $ran, $started = (New-Marker), (New-Marker)
        try {
            # The busy task runs first: tasks sent in one batch may start in either order.
            $busy = Submit-DaskTask -Workers $worker { Set-Content $using:started 'started'; Start-Sleep -Seconds 600 }
            Wait-Until { Test-Path $started } -Because 'the busy task to start'
            $queued = Submit-DaskTask -Workers $worker { Set-Content $using:ran 'ran' }
            $before = "the busy task was $($busy.State) and the queued one $($queued.State) before the stop"
            Stop-DaskTask $queued, $busy -Confirm:$false
            $queued.State | Should -Be 'Cancelled' -Because $before
            Submit-DaskTask { 'after' } -Workers $worker | Get-DaskResult -Timeout '00:00:10' | Should -Be 'after'
            Test-Path $ran | Should -BeFalse
        }
        finally { Remove-Item $ran, $started -ErrorAction Ignore }
    }
}

Describe 'Tasks that submit tasks' {
    It 'runs a recursive fan-out on two one-slot workers: waiting tasks give their slots up' {
        $fibonacci = {
            param($n, $code)
            if ($n -lt 2) { return $n }
            $self = [scriptblock]::Create($code)
            $parts = foreach ($m in ($n - 1), ($n - 2)) { Submit-DaskTask -ScriptBlock $self -ArgumentList $m, $code }
            ($parts | Get-DaskResult | Measure-Object -Sum).Sum
        }
        # fib(8): 21 tasks wait on others at once at its widest, far more than the two slots.
        Submit-DaskTask -ScriptBlock $fibonacci -ArgumentList 8, $fibonacci.ToString() | Get-DaskResult -Timeout '00:02:00' | Should -Be 21
    }

    It 'reaches the cluster it runs on without -Client or Connect-DaskScheduler' {
        $seen = Submit-DaskTask { (Get-DaskWorker).Name | Sort-Object } | Get-DaskResult -Timeout '00:00:30'
        $seen | Should -Be 'control-1', 'control-2'
    }

    It 'waits for what it submitted with Wait-DaskTask and Get-DaskResult -AsCompleted' {
        $result = Submit-DaskTask {
            $nodes = 3, 1, 2 | Submit-DaskTask { $_ * 10 }
            (Wait-DaskTask $nodes).Count
            ($nodes | Get-DaskResult -AsCompleted | Sort-Object) -join ','
        } | Get-DaskResult -Timeout '00:00:30'
        $result | Should -Be 3, '10,20,30'
    }
}

Describe 'Wait-DaskTask' {
    It 'writes nodes as they finish, failed ones too' {
        $nodes = @(
            Submit-DaskTask { Start-Sleep -Milliseconds 1500; 'slow' }
            Submit-DaskTask { throw 'broken' }
        )
        $finished = Wait-DaskTask $nodes -Timeout '00:00:30'
        $finished | Should -HaveCount 2
        $finished[0] | Should -Be $nodes[1]
        $nodes.State | Should -Be 'Memory', 'Erred'
    }

    It 'writes only the first with -Any' {
        $nodes = 4, 0 | Submit-DaskTask { Start-Sleep -Seconds $_; $_ }
        Wait-DaskTask $nodes -Any -Timeout '00:00:30' | Should -Be $nodes[1]
        Stop-DaskTask $nodes[0] -Confirm:$false
    }

    It 'writes only the nodes finished when -Timeout passes, as Wait-Job does' {
        $slow = Submit-DaskTask { Start-Sleep -Seconds 600 }
        $quick = Submit-DaskTask { 'quick' }
        $started = [datetime]::UtcNow
        Wait-DaskTask $slow, $quick -Timeout '00:00:02' | Should -Be $quick
        ([datetime]::UtcNow - $started).TotalSeconds | Should -BeLessThan 20
        $slow.State | Should -BeIn 'Pending', 'Processing'
        Stop-DaskTask $slow -Confirm:$false
    }
}

Describe 'Get-DaskResult -AsCompleted' {
    It 'writes each result as it arrives, not in input order' {
        $nodes = 2500, 10 | Submit-DaskTask { Start-Sleep -Milliseconds $_; $_ }
        $nodes | Get-DaskResult -AsCompleted -Timeout '00:00:30' | Should -Be 10, 2500
    }
}

Describe 'Get-DaskTask and node states' {
    It 'lists the session''s nodes with their states, filtered by -State and -Key' {
        $done = Submit-DaskTask { 'done' } -Key 'listing-done'
        $failed = Submit-DaskTask { throw 'no' } -Key 'listing-failed'
        $running = Submit-DaskTask { Start-Sleep -Seconds 600 } -Key 'listing-running'
        Wait-DaskTask $done, $failed -Timeout '00:00:30' | Out-Null
        Wait-Until { (Get-DaskTask -Key 'listing-running').State -eq 'Processing' } -Because 'the long task to be processing'

        $listed = Get-DaskTask -Key 'listing-*'
        $listed.Key | Sort-Object | Should -Be 'listing-done', 'listing-failed', 'listing-running'
        (Get-DaskTask -State Erred -Key 'listing-*').Key | Should -Be 'listing-failed'
        (Get-DaskTask -State Memory -Key 'listing-*').Key | Should -Be 'listing-done'
        Stop-DaskTask $running -Confirm:$false
        (Get-DaskTask -Key 'listing-running').State | Should -Be 'Cancelled'
    }

    It 'shows a node''s state in its default view' {
        $node = Submit-DaskTask { 1 }
        $node | Get-DaskResult | Out-Null
        $view = $node | Format-Table | Out-String
        $view | Should -Match 'State'
        $view | Should -Match "$($node.Key)\s+Memory"
        [DaskPS.Client.DaskNode]::Data('never-submitted').State | Should -Be 'New'
    }
}
