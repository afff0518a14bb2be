# Dask queues, variables, locks, semaphores and events from PowerShell, from inside tasks, and with a Python client.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:cluster = Start-TestCluster -WorkerCount 2 -Slots 2 -Name 'coord'
    $script:address = $cluster.Session.Address
    $script:manifest = Get-DaskPSManifest
    # A second client of the same scheduler, as another PowerShell session would be.
    $script:other = Connect-DaskScheduler $address -NoDefault

    # Runs -Script in another runspace of this process (its own default session), after it sets the event -Ready,
    # and stops it there as Ctrl+C would; returns how long the stop took.
    function Measure-StoppedWait([string] $Ready, [string] $Script) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$manifest'; `$null = Connect-DaskScheduler '$address'; Set-DaskEvent '$Ready'; $Script")
            $null = $ps.BeginInvoke()
            Wait-Until { Test-DaskEvent $Ready } -Because 'the wait to start'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose() }
    }
}

AfterAll {
    if ($script:other) { Stop-DaskClient -Client $script:other -Confirm:$false }
    Stop-TestCluster $script:cluster
}

Describe 'Queues' {
    It 'takes pipeline values and gives them back in order, as PowerShell values' {
        1, 'two', 3.5, $true, $null, @{ a = 1; b = @(1, 2) }, [byte[]](0, 255), @('x', 'y') | Send-DaskQueueItem 'pipe'
        (Get-DaskQueue 'pipe').Count | Should -Be 8

        $items = Receive-DaskQueueItem 'pipe' -Count 8 -Client $other
        $items.Count | Should -Be 8
        $items[0..3] | Should -Be 1, 'two', 3.5, $true
        $items[4] | Should -BeNullOrEmpty
        $items[5] | Should -BeOfType ([hashtable])
        $items[5].b | Should -Be 1, 2
        $items[6].GetType() | Should -Be ([byte[]])
        $items[6] | Should -Be 0, 255
        $items[7] | Should -Be 'x', 'y'
        (Get-DaskQueue 'pipe').Count | Should -Be 0
    }

    It 'takes every waiting item with -All, and none from an empty queue' {
        1..3 | Send-DaskQueueItem 'all'
        Receive-DaskQueueItem 'all' -All | Should -Be 1, 2, 3
        Receive-DaskQueueItem 'all' -All | Should -BeNullOrEmpty
    }

    It 'writes an OperationTimeout error DaskQueueEmpty when no item comes in time, after the items that did' {
        Send-DaskQueueItem 'short' 'only one'
        $items = Receive-DaskQueueItem 'short' -Count 2 -Timeout '0:0:0.3' -ErrorAction SilentlyContinue -ErrorVariable failed
        $items | Should -Be 'only one'
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DaskQueueEmpty,*'
        $failed[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $failed[0].Exception.Message | Should -BeLike "*'short' gave 1 of the 2 items*"
    }

    It 'refuses a value a Python client could not read, naming its type' {
        { [pscustomobject]@{ a = 1 } | Send-DaskQueueItem 'refused' -ErrorAction Stop } |
            Should -Throw -ErrorId 'DaskValueNotPlain,*' -ExpectedMessage '*PSCustomObject*'
        { Send-DaskQueueItem 'refused' (Get-Date) -ErrorAction Stop } | Should -Throw -ErrorId 'DaskValueNotPlain,*' -ExpectedMessage '*System.DateTime*'
        { Send-DaskQueueItem 'refused' @{ 1 = 'one' } -ErrorAction Stop } | Should -Throw -ErrorId 'DaskValueNotPlain,*' -ExpectedMessage '*string keys only*'
        (Get-DaskQueue 'refused').Count | Should -Be 0
    }

    It 'ends a waiting Receive on Ctrl+C without losing a later item' {
        $elapsed = Measure-StoppedWait 'receive-waiting' "Receive-DaskQueueItem 'stopped'"
        $elapsed | Should -BeLessThan ([timespan]::FromSeconds(5))
        Send-DaskQueueItem 'stopped' 'kept'
        Receive-DaskQueueItem 'stopped' -Timeout '0:0:10' -Client $other | Should -Be 'kept'
    }

    It 'carries a DaskNode as a node the reader can get the result of' {
        $node = Submit-DaskTask { 6 * 7 }
        Send-DaskQueueItem 'nodes' $node
        $received = Receive-DaskQueueItem 'nodes' -Timeout '0:0:10' -Client $other
        $received | Should -BeOfType ([DaskPS.Client.DaskNode])
        $received.Key | Should -Be $node.Key
        Get-DaskResult $received -Client $other | Should -Be 42
    }

    It 'is read by a Python client after a DaskPS task filled it (the task reaches its own cluster by default)' {
        $filled = Submit-DaskTask {
            1, 'two', @{ k = @(1, 2) }, [byte[]](1, 2) | Send-DaskQueueItem 'from-task'
            (Get-DaskQueue 'from-task').Count
        }
        Get-DaskResult $filled -Timeout '0:1:0' | Should -Be 4

        $json = & /usr/bin/python3 (Join-Path $PSScriptRoot 'python/coordination_reader.py') $address 'from-task' 4 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$json"
        $json | Should -Be '[1,"two",{"k":[1,2]},{"bytes":"0102"}]'
        $fromPython = Get-DaskVariable 'from-python' -Timeout '0:0:10'
        $fromPython.answer | Should -Be 42
        $fromPython.list | Should -Be 1, 'two'
        Receive-DaskQueueItem 'to-pwsh' -Timeout '0:0:10' | Should -Be 'from python'
    }
}

Describe 'Variables' {
    It 'is shared by two sessions, replaced by the last set, and deleted for both' {
        Set-DaskVariable 'shared' @{ n = 1 }
        (Get-DaskVariable 'shared' -Client $other).n | Should -Be 1
        'second' | Set-DaskVariable 'shared' -Client $other
        Get-DaskVariable 'shared' | Should -Be 'second'

        Remove-DaskVariable 'shared' -Confirm:$false
        Wait-Until { -not (Get-DaskVariable 'shared' -Client $other -Timeout 0 -ErrorAction SilentlyContinue) } -Because 'the variable to be deleted'
    }

    It 'writes an OperationTimeout error DaskVariableNotSet for a variable that is not set in time' {
        Get-DaskVariable 'never-set' -Timeout '0:0:0.2' -ErrorAction SilentlyContinue -ErrorVariable failed | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DaskVariableNotSet,*'
        $failed[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
    }

    It 'does not change on -WhatIf' {
        Set-DaskVariable 'whatif' 1
        Set-DaskVariable 'whatif' 2 -WhatIf
        Get-DaskVariable 'whatif' | Should -Be 1
    }
}

Describe 'Locks' {
    It 'excludes a second session until the first releases it' {
        Enter-DaskLock 'L'
        try {
            Enter-DaskLock 'L' -Client $other -Timeout '0:0:0.3' -ErrorAction SilentlyContinue -ErrorVariable failed
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'DaskLockTimeout,*'
            $failed[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        }
        finally { Exit-DaskLock 'L' }
        Enter-DaskLock 'L' -Client $other -Timeout '0:0:10'
        Exit-DaskLock 'L' -Client $other
    }

    It 'writes DaskLockNotHeld (InvalidOperation) for a release of a lock this session does not hold' {
        { Exit-DaskLock 'not-held' -ErrorAction Stop } | Should -Throw -ErrorId 'DaskLockNotHeld,*'
        Exit-DaskLock 'not-held' -ErrorAction SilentlyContinue -ErrorVariable failed
        $failed[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'runs -ScriptBlock while held and releases it also when the block throws' {
        Enter-DaskLock 'scoped' { 'inside' } | Should -Be 'inside'
        { Enter-DaskLock 'scoped' { throw 'boom' } } | Should -Throw 'boom'
        Enter-DaskLock 'scoped' -Client $other -Timeout '0:0:10' { 'free again' } | Should -Be 'free again'
    }

    It 'lets one of two tasks at a time hold it' {
        # Tasks on one worker share its client: each Enter still takes the lock for itself.
        $tasks = 'a', 'b' | Submit-DaskTask {
            foreach ($round in 1..3) {
                Enter-DaskLock 'tasks' -Timeout '0:1:0' -ErrorAction Stop {
                    Send-DaskQueueItem 'turns' "enter $_"
                    Start-Sleep -Milliseconds 100  # the work done under the lock
                    Send-DaskQueueItem 'turns' "exit $_"
                }
            }
        }
        $null = Get-DaskResult $tasks -Timeout '0:2:0' -ErrorAction Stop
        $turns = @(Receive-DaskQueueItem 'turns' -All)
        $turns.Count | Should -Be 12
        for ($i = 0; $i -lt 12; $i += 2) {
            $who = $turns[$i] -replace '^enter '
            $turns[$i + 1] | Should -Be "exit $who" -Because "turn $i ($($turns -join ', '))"
        }
    }

    It 'ends a waiting Enter on Ctrl+C and leaves the lock to its holder' {
        Enter-DaskLock 'stop-wait'
        try {
            (Measure-StoppedWait 'enter-waiting' "Enter-DaskLock 'stop-wait'") | Should -BeLessThan ([timespan]::FromSeconds(5))
        }
        finally { Exit-DaskLock 'stop-wait' }
        Enter-DaskLock 'stop-wait' -Client $other -Timeout '0:0:10' { 'free' } | Should -Be 'free'
    }
}

Describe 'Multi-locks' {
    It 'takes overlapping sets of locks in turn, or -Count of them, with their own error ids' {
        Enter-DaskMultiLock 'a', 'b'
        try {
            Enter-DaskMultiLock 'b', 'c' -Client $other -Timeout '0:0:0.3' -ErrorAction SilentlyContinue -ErrorVariable failed
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'DaskMultiLockTimeout,*'
            $failed[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
            Enter-DaskMultiLock 'b', 'c' -Count 1 -Client $other -Timeout '0:0:10' { 'took c' } | Should -Be 'took c'
        }
        finally { Exit-DaskMultiLock 'b', 'a' }
        Enter-DaskMultiLock 'c', 'b' -Client $other -Timeout '0:0:10' { 'both free' } | Should -Be 'both free'

        { Exit-DaskMultiLock 'a', 'b' -ErrorAction Stop } | Should -Throw -ErrorId 'DaskMultiLockNotHeld,*'
        { Enter-DaskMultiLock 'a', 'b' -Count 3 -ErrorAction Stop } | Should -Throw -ErrorId 'DaskMultiLockMismatch,*'
    }
}

Describe 'Semaphores' {
    It 'grants -MaxLeases leases over two sessions and no more' {
        Enter-DaskSemaphore 'pool' -MaxLeases 2
        Enter-DaskSemaphore 'pool' -MaxLeases 2 -Client $other
        Enter-DaskSemaphore 'pool' -MaxLeases 2 -Timeout '0:0:0.3' -ErrorAction SilentlyContinue -ErrorVariable failed
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DaskSemaphoreTimeout,*'
        Exit-DaskSemaphore 'pool' -Client $other
        Enter-DaskSemaphore 'pool' -MaxLeases 2 -Timeout '0:0:10' { 'leased' } | Should -Be 'leased'
        Exit-DaskSemaphore 'pool'
    }

    It 'writes DaskSemaphoreNotHeld for a release more than acquired, and DaskSemaphoreMismatch for other -MaxLeases' {
        Enter-DaskSemaphore 'counted' -MaxLeases 3
        Exit-DaskSemaphore 'counted'
        { Exit-DaskSemaphore 'counted' -ErrorAction Stop } | Should -Throw -ErrorId 'DaskSemaphoreNotHeld,*'
        { Enter-DaskSemaphore 'counted' -MaxLeases 1 -ErrorAction Stop } | Should -Throw -ErrorId 'DaskSemaphoreMismatch,*' -ExpectedMessage '*Inconsistent max leases*'
    }
}

Describe 'Events' {
    It 'wakes a task waiting on it' {
        Clear-DaskEvent 'go'
        $waiter = Submit-DaskTask {
            Send-DaskQueueItem 'waiting' 'ready'
            Wait-DaskEvent 'go' -Timeout '0:1:0' -ErrorAction Stop
            'woke'
        }
        Receive-DaskQueueItem 'waiting' -Timeout '0:1:0' | Should -Be 'ready'
        Test-DaskEvent 'go' | Should -BeFalse
        Set-DaskEvent 'go'
        Get-DaskResult $waiter -Timeout '0:1:0' | Should -Be 'woke'
        Test-DaskEvent 'go' -Client $other | Should -BeTrue
        Clear-DaskEvent 'go'
        Test-DaskEvent 'go' | Should -BeFalse
    }

    It 'writes an OperationTimeout error DaskEventTimeout when it stays clear' {
        Wait-DaskEvent 'never' -Timeout '0:0:0.2' -ErrorAction SilentlyContinue -ErrorVariable failed
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DaskEventTimeout,*'
        $failed[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
    }
}
