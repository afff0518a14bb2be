<#
.SYNOPSIS
    Builds DaskPS and lays out an importable module at out/DaskPS, with its help in en-US.
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

# The build itself lays out out/DaskPS, help included (the LayOutModule and LayOutHelp targets of DaskPS.Cmdlets.csproj).

Write-Host "Module ready: $out/DaskPS.psd1"
