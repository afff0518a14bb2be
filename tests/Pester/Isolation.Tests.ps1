# The module's dependencies load in an AssemblyLoadContext of its own: a PowerShell 7 session that already loaded
# another MessagePack (as another module would) imports DaskPS and runs tasks, and each keeps its own version.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:dependencies = Join-Path (Split-Path (Get-DaskPSManifest)) 'Dependencies'
    $script:moduleVersion = [Reflection.AssemblyName]::GetAssemblyName((Join-Path $dependencies 'MessagePack.dll')).Version

    # The other version is the one TestModules.csproj downloads into the NuGet cache.
    $project = [xml](Get-Content (Join-Path $PSScriptRoot 'TestModules/TestModules.csproj') -Raw)
    $otherPackage = ($project.Project.ItemGroup.PackageDownload | Where-Object Include -EQ 'MessagePack').Version.Trim('[]')
    $packages = (dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $script:otherPath = Join-Path $packages "messagepack/$otherPackage/lib/net8.0/MessagePack.dll"
    if (-not (Test-Path $otherPath)) { throw "MessagePack $otherPackage is not at ${otherPath}: run scripts/install-powershell.sh." }
    $script:otherVersion = [Reflection.AssemblyName]::GetAssemblyName($otherPath).Version
}

Describe 'Dependency isolation' {
    It 'imports and runs tasks in a session that loaded another MessagePack first, and both versions stay loaded' {
        $otherVersion | Should -Not -Be $moduleVersion -Because 'the test needs a MessagePack other than the module''s'
        $script = @"
`$ErrorActionPreference = 'Stop'
function Get-MessagePack {
    [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'MessagePack' } | ForEach-Object {
        `$context = [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_)
        @{ Version = `$_.GetName().Version.ToString(); Location = `$_.Location; Default = `$context -eq [Runtime.Loader.AssemblyLoadContext]::Default; Context = `$context.ToString() }
    }
}
`$null = [Reflection.Assembly]::LoadFrom('$otherPath')
`$before = @(Get-MessagePack)
Import-Module '$(Get-DaskPSManifest)'
`$null = Connect-DaskScheduler -Local -WorkerCount 1
try { `$results = 1..3 | Submit-DaskTask { `$_ * 10 } | Get-DaskResult }
finally { Stop-DaskClient -Confirm:`$false }
`$core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'DaskPS.Core' }
@{
    Before = `$before
    Results = `$results
    After = @(Get-MessagePack)
    CoreContext = [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$core).ToString()
    ScriptsSee = [MessagePack.MessagePackSerializer].Assembly.GetName().Version.ToString()
    OtherStillWorks = [MessagePack.MessagePackSerializer]::ConvertToJson([ReadOnlyMemory[byte]][byte[]](0x93, 1, 2, 3))
} | ConvertTo-Json -Depth 3 -Compress
"@
        $process = Start-PowerShellProcess -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script
        try {
            $output = $process.StandardOutput.ReadToEndAsync()
            $errors = $process.StandardError.ReadToEndAsync()
            $process.WaitForExit(180000) | Should -BeTrue -Because 'the cluster starts and the task finishes within 3 minutes'
            $process.ExitCode | Should -Be 0 -Because "$($errors.Result)$($output.Result)"
            $report = $output.Result | ConvertFrom-Json

            $report.Before.Version | Should -Be "$otherVersion" -Because 'the other MessagePack is loaded before the import'
            $report.Results | Should -Be 10, 20, 30

            $report.After | Should -HaveCount 2
            $other = $report.After | Where-Object Version -EQ "$otherVersion"
            $other.Location | Should -Be $otherPath
            $other.Default | Should -BeTrue
            $own = $report.After | Where-Object Version -EQ "$moduleVersion"
            $own.Location | Should -Be (Join-Path $dependencies 'MessagePack.dll')
            $own.Default | Should -BeFalse
            $own.Context | Should -Be $report.CoreContext -Because 'DaskPS.Core uses the module''s MessagePack'

            $report.ScriptsSee | Should -Be "$otherVersion" -Because 'the session''s own MessagePack is untouched'
            $report.OtherStillWorks | Should -Be '[1,2,3]'
        }
        finally {
            Stop-PowerShellProcess $process
        }
    }
}
