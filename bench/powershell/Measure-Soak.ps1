<#
.SYNOPSIS
    Memory over a long session: many script-block tasks from one pwsh session, results kept by nobody, with the
    client's and each worker's memory sampled as the tasks go by.
.DESCRIPTION
    A real dask-scheduler (a job), two DaskPS workers in their own pwsh processes (Start-DaskWorker -Wait) and this
    session as the client. Tasks go in batches through `Submit-DaskTask | Get-DaskResult`, each batch checked; every
    -Every tasks the client collects its garbage and the script samples the client's managed heap and resident set,
    each worker's resident set and the keys the workers still hold. The growth per 1,000 tasks is fitted over the
    samples after the first (warm-up) one.
.EXAMPLE
    dotnet pwsh -File bench/powershell/Measure-Soak.ps1 -Tasks 100000
#>
[CmdletBinding()]
param(
    [ValidateRange(1000, 10000000)] [int] $Tasks = 100000,
    [ValidateRange(10, 100000)] [int] $Batch = 1000,
    [ValidateRange(1000, 1000000)] [int] $Every = 10000
)

$ErrorActionPreference = 'Stop'
$manifest = Join-Path $PSScriptRoot '../../out/DaskPS/DaskPS.psd1'
Import-Module $manifest -Force

function Get-ResidentMegabytes([int] $ProcessId) {
    $line = Get-Content "/proc/$ProcessId/status" | Where-Object { $_ -like 'VmRSS:*' }
    [double](($line -split '\s+')[1]) / 1024
}

# Least-squares slope of Y over X.
function Get-Slope([double[]] $X, [double[]] $Y) {
    $mx = ($X | Measure-Object -Average).Average
    $my = ($Y | Measure-Object -Average).Average
    $num = 0.0; $den = 0.0
    for ($i = 0; $i -lt $X.Count; $i++) { $num += ($X[$i] - $mx) * ($Y[$i] - $my); $den += ($X[$i] - $mx) * ($X[$i] - $mx) }
    $num / $den
}

# A worker in another engine like this one: pwsh itself, or dotnet + pwsh.dll when this one runs as a dotnet tool.
function Start-WorkerProcess([string] $Address, [string] $Name) {
    $info = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ([IO.Path]::GetFileNameWithoutExtension($info.FileName) -eq 'dotnet') { $info.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
    $command = "Import-Module '$manifest'; Start-DaskWorker -Scheduler '$Address' -Name $Name -ThrottleLimit 1 -Wait"
    foreach ($argument in '-NoProfile', '-NonInteractive', '-Command', $command) { $info.ArgumentList.Add($argument) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    # Its log is read and dropped, so a full pipe never stalls it.
    $process.BeginOutputReadLine()
    $process.BeginErrorReadLine()
    $process
}

$scheduler = Start-DaskScheduler
$workers = @()
try {
    $workers = 1..2 | ForEach-Object { Start-WorkerProcess $scheduler.Address "soak-$_" }
    $session = Connect-DaskScheduler $scheduler.Address
    $deadline = [datetime]::UtcNow.AddSeconds(60)
    while (@(Get-DaskWorker).Count -lt 2) {
        if ([datetime]::UtcNow -gt $deadline) { throw 'The two workers did not register within 60 s.' }
        Start-Sleep -Milliseconds 100
    }

    $started = [System.Diagnostics.Stopwatch]::StartNew()
    $samples = for ($done = 0; $done -lt $Tasks; ) {
        $first = $done + 1
        $results = $first..($done + $Batch) | Submit-DaskTask { $_ + 1 } | Get-DaskResult
        if ($results.Count -ne $Batch -or $results[-1] -ne $done + $Batch + 1) { throw "Wrong results in the batch from $first." }
        $done += $Batch
        if ($done % $Every -eq 0) {
            [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
            [pscustomobject]@{
                Tasks = $done
                Seconds = [Math]::Round($started.Elapsed.TotalSeconds, 1)
                ClientHeapMB = [Math]::Round([GC]::GetTotalMemory($true) / 1MB, 1)
                ClientRssMB = [Math]::Round((Get-ResidentMegabytes $PID), 1)
                Worker1RssMB = [Math]::Round((Get-ResidentMegabytes $workers[0].Id), 1)
                Worker2RssMB = [Math]::Round((Get-ResidentMegabytes $workers[1].Id), 1)
                KeysHeld = (Get-DaskWorker | ForEach-Object { $_.Keys.Count } | Measure-Object -Sum).Sum
            }
        }
    }

    $samples | Format-Table -AutoSize | Out-String | Write-Host
    $fitted = @($samples | Select-Object -Skip 1)
    if ($fitted.Count -ge 2) {
        $x = [double[]]@($fitted.Tasks | ForEach-Object { $_ / 1000 })
        foreach ($column in 'ClientHeapMB', 'ClientRssMB', 'Worker1RssMB', 'Worker2RssMB') {
            $slope = Get-Slope $x ([double[]]@($fitted.$column))
            Write-Host ("{0,-13} {1,7:N3} MB per 1,000 tasks after warm-up" -f $column, $slope)
        }
    }
    Write-Host ("{0:N0} tasks in {1:N1} s ({2:N0} tasks/s)" -f $Tasks, $started.Elapsed.TotalSeconds, ($Tasks / $started.Elapsed.TotalSeconds))
}
finally {
    if ($session) { Stop-DaskClient -Client $session -Confirm:$false }
    foreach ($worker in $workers) { if (-not $worker.HasExited) { $worker.Kill($true) }; $worker.WaitForExit() }
    $scheduler | Remove-Job -Force
}
