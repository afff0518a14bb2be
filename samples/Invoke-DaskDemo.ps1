<#
.SYNOPSIS
    The DaskPS demo as a PowerShell pipeline: a local cluster, a small graph (max of two task results), and 1..200
    doubled on the workers.
#>
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/DaskPS/DaskPS.psd1') -Force

$session = Connect-DaskScheduler -Local -WorkerCount 2
try {
    "Local cluster at $($session.Address) (dask.distributed $($session.SchedulerVersion))"

    # Two independent tasks, and a third that takes their results as arguments.
    $a = Submit-DaskTask { 3 }
    $b = Submit-DaskTask { 4 }
    $c = Submit-DaskTask { param($x, $y) [Math]::Max($x, $y) } -ArgumentList $a, $b
    "max(a, b) = $(Get-DaskResult $c)"

    $doubled = 1..200 | Submit-DaskTask { $_ * 2 } | Get-DaskResult
    "1..200 doubled: first $($doubled[0]), last $($doubled[-1]), sum $(($doubled | Measure-Object -Sum).Sum)"

    Get-DaskWorker | Format-Table Name, Address, Slots
}
finally {
    Stop-DaskClient -Client $session -Confirm:$false
}
