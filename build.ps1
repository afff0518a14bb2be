<#
.SYNOPSIS
    Builds DaskPS and lays out an importable module at out/DaskPS.
.EXAMPLE
    ./build.ps1
    ./build.ps1 -Configuration Debug
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$out = Join-Path $root 'out/DaskPS'

if (Test-Path $out) { Remove-Item $out -Recurse -Force }
dotnet build (Join-Path $root 'src/DaskPS.Cmdlets/DaskPS.Cmdlets.csproj') -c $Configuration -nologo
if ($LASTEXITCODE -ne 0) { throw "dotnet build failed ($LASTEXITCODE)." }

# The build itself lays out out/DaskPS (see the LayOutModule target of DaskPS.Cmdlets.csproj).

# Help: MAML from docs/cmdlets when PlatyPS is installed.
if (Get-Module -ListAvailable platyPS) {
    Import-Module platyPS
    New-ExternalHelp -Path (Join-Path $root 'docs/cmdlets') -OutputPath (Join-Path $out 'en-US') -Force | Out-Null
} else {
    Write-Warning 'platyPS is not installed: the module is built without MAML help.'
}

Write-Host "Module ready: $out/DaskPS.psd1"
