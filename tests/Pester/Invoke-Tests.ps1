<#
.SYNOPSIS
    Runs the DaskPS Pester suite against the built module (out/DaskPS) and writes "passed failed skipped" to -ResultFile.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $ResultFile
)

$ErrorActionPreference = 'Stop'
Import-Module Pester -MinimumVersion 5.0

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $configuration

# Inconclusive and not-run tests did not pass: they are reported with the skipped ones.
$notPassed = $result.SkippedCount + $result.InconclusiveCount + $result.NotRunCount
"$($result.PassedCount) $($result.FailedCount) $notPassed" | Set-Content -Path $ResultFile
if ($result.Result -ne 'Passed') { exit 1 }
