<#
.SYNOPSIS
    Builds DaskPS and lays out an importable module at out/DaskPS (binaries, manifest, views and help).
.PARAMETER Package
    Also writes the packages to out/packages: DaskPS.<version>.nupkg, the module as a PowerShell resource (register
    the folder with Register-PSResourceRepository and Install-PSResource it), and DaskPS.Core.<version>.nupkg, the
    PowerShell-free core as a NuGet library.
.EXAMPLE
    ./build.ps1
.EXAMPLE
    ./build.ps1 -Package
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [switch] $Package
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$out = Join-Path $root 'out/DaskPS'

# The build lays out out/DaskPS itself, help included (the LayOutModule and LayOutHelp targets of
# DaskPS.Cmdlets.csproj); starting from an empty folder keeps files of earlier builds out of the module and its
# package.
if (Test-Path $out) { Remove-Item $out -Recurse -Force }
dotnet build (Join-Path $root 'src/DaskPS.Cmdlets/DaskPS.Cmdlets.csproj') -c $Configuration -nologo
if ($LASTEXITCODE -ne 0) { throw "dotnet build failed ($LASTEXITCODE)." }
Write-Host "Module ready: $out/DaskPS.psd1"

if ($Package) {
    $packages = Join-Path $root 'out/packages'
    if (Test-Path $packages) { Remove-Item $packages -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $packages
    Compress-PSResource -Path $out -DestinationPath $packages
    dotnet pack (Join-Path $root 'src/DaskPS.Core/DaskPS.Core.csproj') -c $Configuration -o $packages --no-build -nologo
    if ($LASTEXITCODE -ne 0) { throw "dotnet pack failed ($LASTEXITCODE)." }
    Get-ChildItem $packages -Filter '*.nupkg' | ForEach-Object { Write-Host "Package ready: $($_.FullName)" }
}
