# The packages build.ps1 -Package makes (out/packages): the module installs with PSResourceGet and runs; the core
# is a NuGet library with its README.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:packages = Join-Path (Split-Path (Get-DaskPSManifest) | Split-Path) 'packages'
    $script:version = (Import-PowerShellDataFile (Get-DaskPSManifest)).ModuleVersion
    foreach ($name in "DaskPS.$version.nupkg", "DaskPS.Core.$version.nupkg") {
        if (-not (Test-Path (Join-Path $packages $name))) { throw "$name is not in ${packages}: run ./build.ps1 -Package first." }
    }
}

Describe 'The module package' {
    It 'installs from a local repository with Install-PSResource, imports by name and runs a task' {
        # A new home: the repository registration and the CurrentUser scope live there, not in the user's own.
        $newHome = Join-Path ([IO.Path]::GetTempPath()) "daskps-install-$([guid]::NewGuid().ToString('N'))"
        $null = New-Item -ItemType Directory -Path $newHome
        $script = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name DaskPSLocal -Uri '$packages' -Trusted
Install-PSResource -Name DaskPS -Repository DaskPSLocal -Scope CurrentUser -Quiet
Import-Module DaskPS
'installed in ' + (Get-Module DaskPS).ModuleBase
`$null = Connect-DaskScheduler -Local -WorkerCount 1
try { 'results ' + ((1..3 | Submit-DaskTask { `$_ * 10 } | Get-DaskResult) -join ',') }
finally { Stop-DaskClient -Confirm:`$false }
"@
        $environment = @{ HOME = $newHome; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null; PSModulePath = $null }
        $process = Start-PowerShellProcess -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -Environment $environment
        try {
            $output = $process.StandardOutput.ReadToEndAsync()
            $errors = $process.StandardError.ReadToEndAsync()
            $process.WaitForExit(180000) | Should -BeTrue -Because 'the install and the task finish within 3 minutes'
            $process.ExitCode | Should -Be 0 -Because $errors.Result
            $output.Result | Should -Match ([regex]::Escape("installed in $newHome") + '.*DaskPS.' + [regex]::Escape($version))
            $output.Result | Should -Match 'results 10,20,30'
        }
        finally {
            Stop-PowerShellProcess $process
            Remove-Item $newHome -Recurse -Force -ErrorAction Ignore
        }
    }

    It 'holds the cmdlets at the top and what they depend on in Dependencies' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead((Join-Path $packages "DaskPS.$version.nupkg"))
        try {
            $binaries = $zip.Entries.FullName | Where-Object { $_ -like '*.dll' }
            $binaries | Where-Object { $_ -notlike '*/*' } | Should -Be 'DaskPS.dll'
            $binaries | Should -Contain 'Dependencies/DaskPS.Core.dll'
            $binaries | Should -Contain 'Dependencies/MessagePack.dll'
        }
        finally {
            $zip.Dispose()
        }
    }
}

Describe 'The core package' {
    It 'holds the netstandard2.0 library and a README that shows the C# API' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead((Join-Path $packages "DaskPS.Core.$version.nupkg"))
        try {
            $zip.Entries.FullName | Should -Contain 'lib/netstandard2.0/DaskPS.Core.dll'
            $nuspec = [xml][IO.StreamReader]::new(($zip.Entries | Where-Object FullName -EQ 'DaskPS.Core.nuspec').Open()).ReadToEnd()
            $nuspec.package.metadata.readme | Should -Be 'README.md'
            $readme = [IO.StreamReader]::new(($zip.Entries | Where-Object FullName -EQ 'README.md').Open()).ReadToEnd()
            $readme | Should -Match '```csharp'
            $readme | Should -Match 'DaskClient\.ConnectAsync'
        }
        finally {
            $zip.Dispose()
        }
    }
}
