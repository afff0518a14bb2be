<#
.SYNOPSIS
    Script-block throughput: DaskPS on a local cluster against ForEach-Object -Parallel (and Start-ThreadJob where
    installed), the same script blocks with the same number of concurrent slots.
.DESCRIPTION
    Two workloads: trivial script blocks (overhead per task) and script blocks that each wait 20 ms (how well the
    slots are kept busy). Cluster start-up is not timed; a warm-up batch fills the runspace pools first. Every run
    checks its results.
.EXAMPLE
    pwsh -File bench/powershell/Measure-ScriptTasks.ps1 -Count 2000 -Slots 2
#>
[CmdletBinding()]
param(
    [ValidateRange(10, 1000000)] [int] $Count = 2000,
    [ValidateRange(1, 64)] [int] $Slots = 2,
    [ValidateRange(1, 20)] [int] $Repeat = 3
)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../../out/DaskPS/DaskPS.psd1') -Force

$workloads = [ordered]@{
    trivial = @{ Items = $Count; Script = { $_ * 2 } }
    'wait 20 ms' = @{ Items = [Math]::Max(10, [int]($Count / 20)); Script = { Start-Sleep -Milliseconds 20; $_ * 2 } }
}

function Measure-Best([scriptblock] $Run, [int[]] $Expected) {
    $best = [double]::MaxValue
    for ($i = 0; $i -lt $Repeat; $i++) {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $results = & $Run $i
        $watch.Stop()
        # ForEach-Object -Parallel writes results as they finish; DaskPS keeps input order. Compare as sets.
        if ($results.Count -ne $Expected.Count -or (Compare-Object ($results | Sort-Object) $Expected -SyncWindow 0)) { throw 'Wrong results.' }
        $best = [Math]::Min($best, $watch.Elapsed.TotalSeconds)
    }
    $best
}

$session = Connect-DaskScheduler -Local -WorkerCount $Slots
try {
    # Warm-up: every worker's runspace pool opens its runspaces.
    $null = 1..($Slots * 20) | Submit-DaskTask { $_ } -ArgumentList 'warm-up' | Get-DaskResult
    $rows = foreach ($name in $workloads.Keys) {
        $work = $workloads[$name]
        $items = 1..$work.Items
        $expected = $items | ForEach-Object { $_ * 2 }
        $script = $work.Script
        $runs = [ordered]@{
            # A fresh argument per run: task keys are content hashes, and a repeated submission would reuse results.
            'DaskPS (local cluster)' = { param($run) $items | Submit-DaskTask $script -ArgumentList "$name-$run" | Get-DaskResult }
            'ForEach-Object -Parallel' = { $items | ForEach-Object -Parallel $script -ThrottleLimit $Slots }
        }
        if (Get-Command Start-ThreadJob -ErrorAction Ignore) {
            $runs['Start-ThreadJob'] = { $items | ForEach-Object { Start-ThreadJob -ScriptBlock $script -InputObject $_ -ThrottleLimit $Slots } | Receive-Job -Wait -AutoRemoveJob }
        }
        foreach ($runner in $runs.Keys) {
            $seconds = Measure-Best $runs[$runner] $expected
            [pscustomobject]@{
                Workload = $name
                Runner = $runner
                Items = $work.Items
                Seconds = [Math]::Round($seconds, 3)
                'Items/s' = [Math]::Round($work.Items / $seconds)
            }
        }
    }
    "Slots: $Slots; best of $Repeat; dask.distributed $($session.SchedulerVersion); PowerShell $($PSVersionTable.PSVersion)"
    $rows | Format-Table -AutoSize | Out-String -Width 120
    if (-not (Get-Command Start-ThreadJob -ErrorAction Ignore)) { 'Start-ThreadJob: not installed here, not measured.' }
}
finally {
    Stop-DaskClient -Client $session -Confirm:$false
}
