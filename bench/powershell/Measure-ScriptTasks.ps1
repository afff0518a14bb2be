<#
.SYNOPSIS
    Script-block tasks from PowerShell: the DaskPS pipeline against ForEach-Object -Parallel (and Start-ThreadJob
    where installed) with the same number of slots, the scheduler's CPU per task and share of its limit, and where a
    task's time goes.
.DESCRIPTION
    A real dask-scheduler (a job) and -Slots one-slot DaskPS worker jobs in this session; cluster start-up is not
    timed and a warm-up batch opens the workers' runspaces first. Every run checks its results; best of -Repeat after a
    first run, which is reported apart.

    1. The pipeline `1..N | Submit-DaskTask { $_ + 1 } | Get-DaskResult` (N = -PipelineCount) against
       `ForEach-Object -Parallel { $_ + 1 } -ThrottleLimit <Slots>`: tasks/s, their ratio, the scheduler process's CPU
       per task (user + system, from the operating system, before and after the run) and the share of the scheduler's
       limit reached (tasks/s × scheduler CPU per task; 1 = the scheduler is the bottleneck), and this process's CPU
       per task (client and worker jobs together).
    2. Two more workloads against the same runners: trivial script blocks ($_ * 2, -Count) and script blocks that wait
       20 ms (how well the slots are kept busy).
    3. Where a task's time goes: each stage alone, per task (ScriptTaskProfile.cs, compiled here against the loaded
       module): the client's ScriptTask.Create (what Submit-DaskTask does per input: $using: capture, encoding, key)
       with and without a $using: variable, the spec's encoding alone, the Submit-DaskTask cmdlet in the running
       pipeline, Get-DaskResult of finished tasks, the worker's PowerShellRuntime on a warm runspace (target
       <= 0.1 ms), a bare warm runspace with a new pipeline per task (what the runtime's long-running loop pipeline
       avoids), and the script block invoked with no pipeline at all; with the throughput each stage
       alone allows.
.EXAMPLE
    dotnet pwsh -File bench/powershell/Measure-ScriptTasks.ps1 -PipelineCount 5000 -Count 2000 -Slots 2
.EXAMPLE
    dotnet pwsh -File bench/powershell/Measure-ScriptTasks.ps1 -PipelineCount 200 -Count 100 -ProfileCount 500 -Repeat 1
    A quick run that only checks the measurements work; its figures mean little.
#>
[CmdletBinding()]
param(
    [ValidateRange(10, 1000000)] [int] $PipelineCount = 5000,
    [ValidateRange(10, 1000000)] [int] $Count = 2000,
    [ValidateRange(1, 64)] [int] $Slots = 2,
    [ValidateRange(1, 20)] [int] $Repeat = 3,
    [ValidateRange(10, 1000000)] [int] $ProfileCount = 5000
)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../../out/DaskPS/DaskPS.psd1') -Force
# The module's assemblies, and the framework ones its types expose; CS1701 (DaskPS was built against an older PowerShell) is expected.
$references = @([DaskPS.Client.DaskNode], [DaskPS.Cmdlets.Scripts.ScriptTask], [psobject]).ForEach({ $_.Assembly.Location }) + 'netstandard', 'System.Runtime', 'System.Collections', 'System.Threading.Thread'
Add-Type -Path (Join-Path $PSScriptRoot 'ScriptTaskProfile.cs') -ReferencedAssemblies $references -IgnoreWarnings -WarningAction SilentlyContinue

# The one place that reads CPU time: user + system time of a process, as the operating system counts it.
function Get-CpuSeconds([int] $ProcessId) {
    [System.Diagnostics.Process]::GetProcessById($ProcessId).TotalProcessorTime.TotalSeconds
}

# Best of -Repeat runs of & $Run <run number>, each checked against $Expected (as sets, or in order with -InOrder), with
# the scheduler's and this process's CPU seconds over the best run. A first run comes before them, its time kept apart
# as FirstSeconds: .NET's tiered JIT and PowerShell's script compiler settle over the first thousands of items.
function Measure-Best([scriptblock] $Run, [object[]] $Expected, [switch] $InOrder) {
    $best = $null
    $first = $null
    for ($i = 0; $i -le $Repeat; $i++) {
        $scheduler0 = Get-CpuSeconds $schedulerJob.ProcessId
        $self0 = Get-CpuSeconds $PID
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $results = @(& $Run $i)
        $watch.Stop()
        $measured = [pscustomobject]@{
            Seconds = $watch.Elapsed.TotalSeconds
            SchedulerCpu = (Get-CpuSeconds $schedulerJob.ProcessId) - $scheduler0
            ProcessCpu = (Get-CpuSeconds $PID) - $self0
        }
        # ForEach-Object -Parallel writes results as they finish; DaskPS keeps input order.
        $actual = if ($InOrder) { $results } else { $results | Sort-Object }
        if ($results.Count -ne $Expected.Count -or (Compare-Object $actual $Expected -SyncWindow 0)) { throw "Wrong results: $($results.Count) of $($Expected.Count), first $($actual[0..2] -join ',') rather than $($Expected[0..2] -join ',')." }
        if ($i -eq 0) { $first = $measured.Seconds; continue }
        if ($null -eq $best -or $measured.Seconds -lt $best.Seconds) { $best = $measured }
    }
    $best | Add-Member FirstSeconds $first -PassThru
}

function Format-Micro([double] $Seconds) { '{0:0.0}' -f ($Seconds * 1e6) }

$schedulerJob = Start-DaskScheduler
$workerJobs = @()
$session = $null
try {
    $workerJobs = @(Start-DaskWorker -Scheduler $schedulerJob.Address -Count $Slots -ThrottleLimit 1)
    $session = Connect-DaskScheduler $schedulerJob.Address
    # Warm-up: every worker opens its runspace.
    $null = 1..($Slots * 20) | Submit-DaskTask { $_ } -ArgumentList 'warm-up' | Get-DaskResult
    $cpuModel = ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -split ':', 2)[1].Trim()
    $load = ((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' '
    "machine: $([Environment]::ProcessorCount) cores, $cpuModel; load average $load; dask.distributed $($session.SchedulerVersion); PowerShell $($PSVersionTable.PSVersion)"
    "$Slots one-slot worker jobs; best of $Repeat"

    # 1. The pipeline of the issue, against ForEach-Object -Parallel on the same work.
    $items = 1..$PipelineCount
    $expected = $items | ForEach-Object { $_ + 1 }
    # A fresh argument per run: task keys are content hashes, and a repeated submission would reuse results.
    $daskps = Measure-Best { param($run) $items | Submit-DaskTask { $_ + 1 } -ArgumentList "pipeline-$run" | Get-DaskResult } $expected -InOrder
    $parallel = Measure-Best { $items | ForEach-Object -Parallel { $_ + 1 } -ThrottleLimit $Slots } $expected
    $perTask = $daskps.SchedulerCpu / $PipelineCount
    $share = $daskps.SchedulerCpu / $daskps.Seconds
    $ratio = $parallel.Seconds / $daskps.Seconds
    [pscustomobject][ordered]@{
        Pipeline = "1..$PipelineCount | Submit-DaskTask { `$_ + 1 } | Get-DaskResult"
        'DaskPS tasks/s' = [Math]::Round($PipelineCount / $daskps.Seconds)
        "ForEach-Object -Parallel -ThrottleLimit $Slots items/s" = [Math]::Round($PipelineCount / $parallel.Seconds)
        'first run (not counted): DaskPS tasks/s, ForEach-Object -Parallel items/s' = '{0:0}, {1:0}' -f ($PipelineCount / $daskps.FirstSeconds), ($PipelineCount / $parallel.FirstSeconds)
        'DaskPS / ForEach-Object -Parallel' = '{0:0.00}x (target >= 5x)' -f $ratio
        'scheduler CPU per task (us)' = Format-Micro $perTask
        'scheduler limit (tasks/s)' = if ($perTask -gt 0) { [Math]::Round(1 / $perTask) } else { 'n/a' }
        'share of scheduler limit' = '{0:0.00} (target >= 0.60)' -f $share
        'this process CPU per task (us), client + worker jobs' = Format-Micro ($daskps.ProcessCpu / $PipelineCount)
        'ForEach-Object -Parallel CPU per item (us)' = Format-Micro ($parallel.ProcessCpu / $PipelineCount)
    } | Format-List | Out-String -Width 160

    # 2. Trivial and waiting script blocks, every runner.
    $workloads = [ordered]@{
        trivial = @{ Items = $Count; Script = { $_ * 2 } }
        'wait 20 ms' = @{ Items = [Math]::Max(10, [int]($Count / 20)); Script = { Start-Sleep -Milliseconds 20; $_ * 2 } }
    }
    $rows = foreach ($name in $workloads.Keys) {
        $work = $workloads[$name]
        $workItems = 1..$work.Items
        $workExpected = $workItems | ForEach-Object { $_ * 2 }
        $script = $work.Script
        $runs = [ordered]@{
            'DaskPS (worker jobs)' = { param($run) $workItems | Submit-DaskTask $script -ArgumentList "$name-$run" | Get-DaskResult }
            'ForEach-Object -Parallel' = { $workItems | ForEach-Object -Parallel $script -ThrottleLimit $Slots }
        }
        if (Get-Command Start-ThreadJob -ErrorAction Ignore) {
            # A thread job sees its input as $input, not $_; the body travels as text, as script blocks cannot.
            $body = $script.ToString()
            # Jobs are collected and waited for with a deadline: `Start-ThreadJob ... | Receive-Job -Wait` sometimes
            # never returned on PowerShell 7.6.9 (every job done, Receive-Job still waiting).
            $runs['Start-ThreadJob'] = {
                $jobs = @($workItems | ForEach-Object { Start-ThreadJob -ScriptBlock { param($b) $input | ForEach-Object ([scriptblock]::Create($b)) } -ArgumentList $body -InputObject $_ -ThrottleLimit $Slots })
                $null = $jobs | Wait-Job -Timeout 600
                $unfinished = @($jobs | Where-Object State -NE 'Completed')
                if ($unfinished) { throw "Start-ThreadJob: $($unfinished.Count) of $($jobs.Count) jobs did not complete within 600 s ($($unfinished[0].State))." }
                $jobs | Receive-Job -AutoRemoveJob -Wait
            }
        }
        foreach ($runner in $runs.Keys) {
            $m = Measure-Best $runs[$runner] $workExpected
            [pscustomobject]@{
                Workload = $name
                Runner = $runner
                Items = $work.Items
                Seconds = [Math]::Round($m.Seconds, 3)
                'Items/s' = [long]($work.Items / $m.Seconds)
                'Scheduler CPU/item (us)' = if ($runner -like 'DaskPS*') { Format-Micro ($m.SchedulerCpu / $work.Items) } else { '' }
            }
        }
    }
    $rows | Format-Table -AutoSize | Out-String -Width 160
    if (-not (Get-Command Start-ThreadJob -ErrorAction Ignore)) { 'Start-ThreadJob: not installed here, not measured.' }

    # 3. Where a task's time goes: each stage alone, per task.
    $offset = 1
    $lookup = $ExecutionContext.SessionState.PSVariable
    $stages = [ordered]@{}
    $stages['client: ScriptTask.Create { $_ + 1 } (capture, encoding, key)'] = [DaskPS.Benchmarks.ScriptTaskProfile]::CreateMicroseconds({ $_ + 1 }, $ProfileCount, $lookup)
    $stages['client: ScriptTask.Create { $using:offset + $_ }'] = [DaskPS.Benchmarks.ScriptTaskProfile]::CreateMicroseconds({ $using:offset + $_ }, $ProfileCount, $lookup)
    $stages['client: encoding a spec alone (TaskSpec.ToPayload)'] = [DaskPS.Benchmarks.ScriptTaskProfile]::EncodeMicroseconds({ $_ + 1 }, $ProfileCount, $lookup)
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $nodes = $items | Submit-DaskTask { $_ + 1 } -ArgumentList 'profile'
    $stages['client: Submit-DaskTask in the pipeline, per input'] = $watch.Elapsed.TotalMilliseconds * 1000 / $PipelineCount
    $null = $nodes | Wait-DaskTask
    $watch.Restart()
    $results = @($nodes | Get-DaskResult)
    $stages['result path: Get-DaskResult of finished tasks, per task'] = $watch.Elapsed.TotalMilliseconds * 1000 / $PipelineCount
    if (Compare-Object $results $expected -SyncWindow 0) { throw 'Wrong results from the profiled pipeline.' }
    $stages['worker: PowerShellRuntime, warm runspace (target <= 100)'] = [DaskPS.Benchmarks.ScriptTaskProfile]::RuntimeMicroseconds('$_ + 1', $ProfileCount)
    $stages['worker floor: bare warm runspace, Invoke'] = [DaskPS.Benchmarks.ScriptTaskProfile]::BareRunspaceMicroseconds('$_ + 1', $ProfileCount, $false)
    $stages['worker floor: bare warm runspace, BeginInvoke'] = [DaskPS.Benchmarks.ScriptTaskProfile]::BareRunspaceMicroseconds('$_ + 1', $ProfileCount, $true)
    $stages['worker floor: script block in a warm runspace, no pipeline'] = [DaskPS.Benchmarks.ScriptTaskProfile]::ScriptBlockMicroseconds('$_ + 1', $ProfileCount)
    $stages['scheduler: CPU per task (pipeline run above)'] = $perTask * 1e6
    $stages['whole pipeline: wall time per task (pipeline run above)'] = $daskps.Seconds * 1e6 / $PipelineCount
    'Where a task''s time goes (each stage alone, microseconds per task; the pipeline overlaps them):'
    $stages.Keys | ForEach-Object {
        [pscustomobject]@{
            Stage = $_
            'us/task' = '{0:0.0}' -f $stages[$_]
            'tasks/s it allows alone' = if ($stages[$_] -gt 0) { [long](1e6 / $stages[$_]) } else { '' }
        }
    } | Format-Table -AutoSize | Out-String -Width 160
    "A worker stage allows $Slots times its tasks/s with $Slots workers; the client stages run in this one session."
}
finally {
    if ($session) { Stop-DaskClient -Client $session -Confirm:$false }
    $workerJobs | Stop-Job
    $workerJobs | Remove-Job -Force
    $schedulerJob | Stop-Job
    $schedulerJob | Remove-Job -Force
}
