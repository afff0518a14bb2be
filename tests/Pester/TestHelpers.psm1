# Shared by the DaskPS Pester tests: the built module, and a real scheduler on a free loopback port.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Import-DaskPSUnderTest {
    $manifest = Join-Path $script:RepoRoot 'out/DaskPS/DaskPS.psd1'
    if (-not (Test-Path $manifest)) { throw "Build the module first (dotnet build): $manifest is missing." }
    # -Global: imported from inside this module, it would otherwise be visible only here.
    Import-Module $manifest -Force -Global
}

function Wait-Until {
    param([scriptblock] $Condition, [timespan] $Timeout = [timespan]::FromSeconds(60), [string] $Because = 'the condition')
    $deadline = [datetime]::UtcNow + $Timeout
    while (-not (& $Condition)) {
        if ([datetime]::UtcNow -gt $deadline) { throw "Timed out after $Timeout waiting for $Because." }
        Start-Sleep -Milliseconds 50
    }
}

Export-ModuleMember -Function Import-DaskPSUnderTest, Wait-Until
