# Submit-DaskTask and Get-DaskResult against a real dask-scheduler and two DaskPS workers hosted as jobs.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:cluster = Start-TestCluster -WorkerCount 2 -Slots 2 -Name 'tasks'
}

AfterAll {
    Stop-TestCluster $script:cluster
}

Describe 'Script blocks as tasks' {
    It 'runs seed 001''s max(a, b) as a pipeline' {
        $a = Submit-DaskTask { 3 }
        $b = Submit-DaskTask { 4 }
        $c = Submit-DaskTask { param($x, $y) [Math]::Max($x, $y) } -ArgumentList $a, $b
        $c.Dependencies.Key | Should -Be $a.Key, $b.Key
        Get-DaskResult $c | Should -Be 4
    }

    It 'keeps input order for 1..200 | Submit-DaskTask { $_ * 2 } | Get-DaskResult' {
        $results = 1..200 | Submit-DaskTask { $_ * 2 } | Get-DaskResult
        $results.Count | Should -Be 200
        $results | Should -Be (1..200 | ForEach-Object { $_ * 2 })
    }

    It 'writes one DaskNode per input object' {
        $nodes = 'a', 'b', 'c' | Submit-DaskTask { $_.ToUpper() }
        $nodes | Should -HaveCount 3
        $nodes | ForEach-Object { $_ | Should -BeOfType ([DaskPS.Client.DaskNode]) }
        ($nodes.Key | Select-Object -Unique) | Should -HaveCount 3
        $nodes | Get-DaskResult | Should -Be 'A', 'B', 'C'
        'x' | Submit-DaskTask { "$PSItem$_" } | Get-DaskResult | Should -Be 'xx'
        , @(1, 2, 3) | Submit-DaskTask { $_.Count } | Get-DaskResult | Should -Be 3
    }

    It 'passes a piped DaskNode''s result in as $_' {
        $seven = Submit-DaskTask { 7 }
        $next = $seven | Submit-DaskTask { $_ + 1 }
        $next.Dependencies.Key | Should -Contain $seven.Key
        Get-DaskResult $next | Should -Be 8
    }

    It 'passes -ArgumentList values to param() and to $args' {
        Submit-DaskTask { param($x, $y) "$x-$y" } -ArgumentList 'left', 'right' | Get-DaskResult | Should -Be 'left-right'
        Submit-DaskTask { $args.Count } -ArgumentList 1, 2, 3 | Get-DaskResult | Should -Be 3
    }

    It 'captures $using: values at submit time, also in nested script blocks' {
        $factor = 6
        $name = 'it''s'
        $node = Submit-DaskTask { $inner = { $using:name }; "$(7 * $using:factor) $(& $inner)" }
        $inString = Submit-DaskTask { "name: $using:name, factor: ${using:factor}" }
        $factor = 0
        $name = 'changed'
        Get-DaskResult $node | Should -Be '42 it''s'
        Get-DaskResult $inString | Should -Be 'name: it''s, factor: 6'
    }

    It 'refuses a $using: expression that is not a plain variable, naming it' {
        $h = @{ a = 1 }
        { Submit-DaskTask { $using:h.a } } | Should -Throw -ErrorId 'DaskTaskInvalid*'
    }

    It 'runs under a given -Key' {
        $key = "pester-key-$([guid]::NewGuid().ToString('N'))"
        $node = Submit-DaskTask { 'keyed' } -Key $key
        $node.Key | Should -Be $key
        Get-DaskResult $node | Should -Be 'keyed'
    }

    It 'refuses -Key for more than one input object' {
        { 1, 2 | Submit-DaskTask { $_ } -Key 'one-key' } | Should -Throw -ErrorId 'DaskKeyForManyTasks*'
    }

    It 'reruns a failing task up to -Retries times' {
        $marker = Join-Path ([IO.Path]::GetTempPath()) "daskps-retry-$([guid]::NewGuid().ToString('N'))"
        try {
            $node = Submit-DaskTask {
                Add-Content -Path $using:marker -Value 'run'
                if ((Get-Content $using:marker).Count -lt 3) { throw 'not yet' }
                'third time'
            } -Retries 2
            Get-DaskResult $node | Should -Be 'third time'
            (Get-Content $marker).Count | Should -Be 3
        }
        finally {
            Remove-Item $marker -ErrorAction Ignore
        }
    }

    It 'runs a task on the worker named by -Workers' {
        $target = (Get-DaskWorker -Name 'tasks-2').Address
        $nodes = 1..6 | Submit-DaskTask { $_ } -Workers $target
        $nodes | Get-DaskResult | Out-Null
        $held = (Get-DaskWorker -Name 'tasks-2').Keys
        $nodes.Key | ForEach-Object { $held | Should -Contain $_ }
    }

    It 'refuses a -Workers that came back empty rather than letting the task run anywhere' {
        $none = (Get-DaskWorker -Name 'no-such-worker').Address
        { Submit-DaskTask { 1 } -Workers $none } | Should -Throw -ErrorId 'ParameterArgumentValidationError,DaskPS.Cmdlets.Commands.SubmitDaskTaskCommand'
        { Submit-DaskTask { 1 } -Workers @() } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }

    It 'ends only its own task on break, continue or exit, and leaves neither $_ nor messages to the next task' {
        # One after another on one worker: the tasks share its warm runspaces.
        $target = (Get-DaskWorker -Name 'tasks-1').Address
        $run = { param($script, $argument = 0) Submit-DaskTask $script -ArgumentList $argument -Workers $target | Get-DaskResult -WarningVariable w -WarningAction SilentlyContinue; , $w }
        $results, $warnings = & $run { 'before'; break; 'after' }
        $results | Should -Be 'before'
        $results, $warnings = & $run { 'one'; continue }
        $results | Should -Be 'one'
        $results, $warnings = & $run { Write-Warning 'only mine'; 'two'; exit; 'not this' }
        $results | Should -Be 'two'
        $warnings.Message | Should -Be 'only mine'
        foreach ($i in 1..4) {
            'input' | Submit-DaskTask { Write-Warning "run $_" } -ArgumentList $i -Workers $target | Get-DaskResult -WarningAction SilentlyContinue | Out-Null
            $results, $warnings = & $run { "[$_]" } $i
            $results | Should -Be '[]'
            $warnings | Should -BeNullOrEmpty
        }
    }

    It 'runs every kind of script block as it runs as a command of its own' {
        # Most bodies run inline in the worker loop; these would behave differently there, and must not.
        Submit-DaskTask { [CmdletBinding()] param($x) $PSCmdlet.WriteObject("bound $x") } -ArgumentList 5 | Get-DaskResult |
            Should -Be 'bound 5'
        Submit-DaskTask { begin { 'b' } process { 'p' } end { 'e' } } | Get-DaskResult | Should -Be 'b', 'p', 'e'
        Submit-DaskTask { "$($MyInvocation.MyCommand.CommandType)" } | Get-DaskResult | Should -Be 'Script'
        Submit-DaskTask { 'kept'; 1 | ForEach-Object { break }; 'not this' } | Get-DaskResult | Should -Be 'kept'
        # And the ones that do run inline: a loop's own break, parameters, $_ and $args, one array as one value.
        Submit-DaskTask { foreach ($i in 1..5) { if ($i -eq 3) { break }; $i }; 'end' } | Get-DaskResult | Should -Be 1, 2, 'end'
        'in' | Submit-DaskTask { param($a) "$a-$_-$($args.Count)" } -ArgumentList 'x', 'y' | Get-DaskResult | Should -Be 'x-in-1'
        $one = Submit-DaskTask { , @(1, 2, 3) } | Get-DaskResult
        , $one | Should -HaveCount 1
        $one | Should -Be 1, 2, 3
    }

    It 'keeps the variables, functions and strict mode a task sets to that task' {
        # One after another on one worker's warm runspaces.
        $target = (Get-DaskWorker -Name 'tasks-1').Address
        Submit-DaskTask { $left = 'behind'; function Get-Left { 'behind' }; Set-StrictMode -Version Latest; 'set' } -Workers $target |
            Get-DaskResult | Should -Be 'set'
        Submit-DaskTask { "[$left][$(Test-Path Function:\Get-Left)][$undefined]" } -Workers $target | Get-DaskResult |
            Should -Be '[][False][]'
    }

    It 'reports an error thrown from .NET in a task as PowerShell does' {
        Submit-DaskTask { [int]::Parse('nope') } | Get-DaskResult -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].Exception.RemoteType | Should -Be 'System.Management.Automation.MethodInvocationException'
        $errs[0].Exception.RemoteMessage | Should -BeLike 'Exception calling "Parse" with "1" argument(s):*'
        $errs[0].Exception.RemoteTraceback | Should -Match ([regex]::Escape("[int]::Parse('nope')"))
    }

    It 'writes verbose messages saying what was sent where' {
        $messages = Submit-DaskTask { 1 } -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $messages.Message | Should -Match ([regex]::Escape($cluster.Session.Address))
    }
}

Describe 'Values' {
    It 'returns plain values with their types' {
        $r = Submit-DaskTask { 42; 'text'; $true; 2.5; , [byte[]](1, 2, 3) } | Get-DaskResult
        $r[0] | Should -Be 42
        $r[1] | Should -BeOfType [string]
        $r[2] | Should -BeTrue
        $r[3] | Should -Be 2.5
        $r[4].GetType() | Should -Be ([byte[]])
        $r[4] | Should -Be 1, 2, 3
    }

    It 'returns a byte array as one byte array, whether the script unrolled it or not' {
        foreach ($script in { [byte[]]::new(1MB) }, { , [byte[]]::new(1MB) }) {
            $results = @(Submit-DaskTask $script | Get-DaskResult)
            $results | Should -HaveCount 1
            $results[0].GetType() | Should -Be ([byte[]])
            $results[0].Length | Should -Be 1MB
        }
    }

    It 'returns hashtables of plain values as hashtables' {
        $result = Submit-DaskTask { @{ a = 1; b = 'two'; c = @(1, 2) } } | Get-DaskResult
        $result | Should -BeOfType [hashtable]
        $result.b | Should -Be 'two'
        $result.c | Should -Be 1, 2
    }

    It 'returns other objects as Deserialized objects, like Start-Job' {
        $result = Submit-DaskTask { [pscustomobject]@{ Name = 'x'; When = [datetime]'2026-01-02' } } | Get-DaskResult
        $result.Name | Should -Be 'x'
        $result.When | Should -BeOfType [datetime]
        $result.PSObject.TypeNames[0] | Should -BeLike 'Deserialized.*'

        $process = Submit-DaskTask { Get-Process -Id $PID } | Get-DaskResult
        $process.PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Diagnostics.Process'
        $process.Id | Should -BeGreaterThan 0
    }

    It 'sends objects that are not plain values to the task as Deserialized objects' {
        $item = [pscustomobject]@{ Size = 3 }
        Submit-DaskTask { param($o) "$($o.PSObject.TypeNames[0]) $($o.Size)" } -ArgumentList $item | Get-DaskResult |
            Should -Be 'Deserialized.System.Management.Automation.PSCustomObject 3'
    }

    It 'refuses a hashtable that contains itself, as an argument, as input or as a result, with an error naming the depth limit' {
        $cyclic = @{ name = 'loop' }
        $cyclic.self = $cyclic
        $nodes = Submit-DaskTask { $args[0].name } -ArgumentList $cyclic -ErrorVariable refused -ErrorAction SilentlyContinue
        $nodes | Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'DaskValueTooDeep,*'
        $refused[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        "$($refused[0])" | Should -Match '64 levels'

        # One bad input object: the others are still submitted.
        $results = 1, $cyclic, 3 | Submit-DaskTask { $_ } -ErrorVariable refused -ErrorAction SilentlyContinue | Get-DaskResult
        $results | Should -Be 1, 3
        $refused | Should -HaveCount 1

        # A task whose result contains itself fails; the worker lives on and runs the next task.
        Submit-DaskTask { $h = @{}; $h.self = $h; , $h } | Get-DaskResult -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DaskTaskFailed,*'
        "$($failed[0])" | Should -Match '64 levels'
        Submit-DaskTask { 'still here' } | Get-DaskResult | Should -Be 'still here'
    }

    It 'honours -Depth for nested objects' {
        $directory = [System.IO.DirectoryInfo][IO.Path]::GetTempPath()
        Submit-DaskTask { param($d) $d.Parent.GetType().Name } -ArgumentList $directory -Depth 1 | Get-DaskResult | Should -Be 'String'
        Submit-DaskTask { param($d) $d.Parent.PSObject.TypeNames[0] } -ArgumentList $directory -Depth 2 | Get-DaskResult |
            Should -Be 'Deserialized.System.IO.DirectoryInfo'
    }
}

Describe 'Streams' {
    It 'carries warnings, verbose, information and error messages back with the result' {
        $node = Submit-DaskTask { Write-Warning 'careful'; Write-Verbose 'details' -Verbose; Write-Information 'info'; Write-Error 'soft'; 5 }
        $out = Get-DaskResult $node -WarningVariable warnings -WarningAction SilentlyContinue -InformationVariable infos `
            -ErrorVariable errs -ErrorAction SilentlyContinue -Verbose 4>&1
        ($out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }) | Should -Be 5
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'details'
        $warnings.Message | Should -Contain 'careful'
        $infos.MessageData | Should -Contain 'info'
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskTaskWroteError*'
        "$($errs[0])" | Should -Be 'soft'
    }

    It 'carries the messages a failing task wrote back with its error' {
        $node = Submit-DaskTask { Write-Warning 'before failing'; throw 'then failed' }
        Get-DaskResult $node -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].Exception.RemoteMessage | Should -Be 'then failed'
        $errs[0].Exception.RemoteTraceback | Should -Match 'WARNING: before failing'
    }
}

Describe 'Errors' {
    It 'writes a non-terminating ErrorRecord for a failed task and still returns the others' {
        $good = Submit-DaskTask { 1 }
        $bad = Submit-DaskTask { function Inner { throw 'broken on purpose' }; Inner }
        $last = Submit-DaskTask { 3 }
        $results = Get-DaskResult $good, $bad, $last -ErrorVariable errs -ErrorAction SilentlyContinue
        $results | Should -Be 1, 3
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskTaskFailed*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $errs[0].TargetObject | Should -Be $bad
        $errs[0].Exception.RemoteMessage | Should -Be 'broken on purpose'
        $errs[0].ErrorDetails.Message | Should -Match 'broken on purpose'
        # The remote script stack trace names the function that threw.
        $errs[0].Exception.RemoteTraceback | Should -Match 'at Inner'
        ($errs[0] | Get-Error | Out-String) | Should -Match 'at Inner'
    }

    It 'names the failed dependency for dependent tasks' {
        $bad = Submit-DaskTask { throw 'root failure' }
        $dependent = Submit-DaskTask { param($x) $x + 1 } -ArgumentList $bad
        Get-DaskResult $dependent -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskDependencyFailed*'
        $errs[0].Exception.Message | Should -Match $bad.Key
        $errs[0].Exception.Message | Should -Match 'root failure'
    }

    It 'stops with -ErrorAction Stop on the first failure' {
        $bad = Submit-DaskTask { throw 'stop here' }
        { Get-DaskResult $bad -ErrorAction Stop } | Should -Throw -ErrorId 'DaskTaskFailed*'
    }

    It 'writes a timeout error for nodes not done within -Timeout and still returns the finished ones' {
        $fast = Submit-DaskTask { 'fast' }
        $slow = Submit-DaskTask { Start-Sleep -Seconds 20; 'slow' }
        Get-DaskResult $fast | Out-Null
        $results = Get-DaskResult $fast, $slow -Timeout ([timespan]::FromMilliseconds(500)) -ErrorVariable errs -ErrorAction SilentlyContinue
        $results | Should -Be 'fast'
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DaskResultTimeout*'
        $errs[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $errs[0].TargetObject | Should -Be $slow
        Stop-DaskTask $slow -Confirm:$false
    }

    It 'stops waiting at once on Ctrl+C (StopProcessing), leaving the session usable' {
        $started = Join-Path ([IO.Path]::GetTempPath()) "daskps-started-$([guid]::NewGuid().ToString('N'))"
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Get-DaskPSManifest)'; `$null = Connect-DaskScheduler '$($cluster.Session.Address)'
                Submit-DaskTask { Set-Content -Path '$started' -Value 1; while (Test-Path '$started') { Start-Sleep -Milliseconds 50 } } | Get-DaskResult")
            $null = $ps.BeginInvoke()
            # The task runs, so Get-DaskResult is waiting for it.
            Wait-Until { Test-Path $started } -Because 'the task to start'
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $ps.Dispose()
            # Ends the task (it runs while this file exists).
            Remove-Item $started -ErrorAction Ignore
        }
        Submit-DaskTask { 'still fine' } | Get-DaskResult | Should -Be 'still fine'
    }

    It 'reports progress while many results are outstanding' {
        # A runspace of its own, whose progress records can be read afterwards.
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Get-DaskPSManifest)'; `$null = Connect-DaskScheduler '$($cluster.Session.Address)'
                1..40 | Submit-DaskTask { Start-Sleep -Milliseconds 100; `$_ } | Get-DaskResult
                Stop-DaskClient -Confirm:`$false")
            $results = $ps.Invoke()
            $results | Should -HaveCount 40
            $ps.Streams.Progress.Count | Should -BeGreaterThan 0
            $ps.Streams.Progress[-1].RecordType | Should -Be 'Completed'
        }
        finally {
            $ps.Dispose()
        }
    }
}

Describe 'Results nobody holds' {
    It 'are released to the scheduler once no node refers to them, and the workers drop them' {
        $marker = [guid]::NewGuid().ToString('N')
        $keys = [System.Collections.Generic.List[string]]::new()
        $results = 1..30 | Submit-DaskTask { "$_-$using:marker" } | ForEach-Object { $keys.Add($_.Key); $_ } | Get-DaskResult
        $results | Should -HaveCount 30
        @(Get-DaskWorker | ForEach-Object Keys | Where-Object { $_ -in $keys }) | Should -HaveCount 30

        $kept = Submit-DaskTask { "kept-$using:marker" }
        $kept | Get-DaskResult | Should -Be "kept-$marker"
        Wait-Until {
            [GC]::Collect(); [GC]::WaitForPendingFinalizers()
            -not (Get-DaskWorker | ForEach-Object Keys | Where-Object { $_ -in $keys })
        } -Because 'the forgotten results to leave the workers'
        (Get-DaskWorker | ForEach-Object Keys) | Should -Contain $kept.Key
    }
}

