<#
.SYNOPSIS
    Runs the DaskPS Pester suite against the built module (out/DaskPS) and writes "passed failed skipped" to -ResultFile.
.DESCRIPTION
    Pester 5.7.1 is imported from out/modules, where scripts/install-powershell.sh lays it out. The scheduler
    release under test is the dask.distributed that /usr/bin/python3 imports (PYTHONPATH selects another one);
    DASKPS_DASK_VERSION, when set, names the release the tests must find.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $ResultFile
)

$ErrorActionPreference = 'Stop'
$modules = Join-Path $PSScriptRoot '../../out/modules'
$env:PSModulePath = (Resolve-Path $modules).Path + [IO.Path]::PathSeparator + $env:PSModulePath
Import-Module Pester -RequiredVersion 5.7.1

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $configuration

# Inconclusive and not-run tests did not pass: they are reported with the skipped ones.
$notPassed = $result.SkippedCount + $result.InconclusiveCount + $result.NotRunCount
"$($result.PassedCount) $($result.FailedCount) $notPassed" | Set-Content -Path $ResultFile
if ($result.Result -ne 'Passed') { exit 1 }
