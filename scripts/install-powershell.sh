#!/usr/bin/env bash
# Installs the PowerShell the module is tested and demonstrated with: pwsh 7.6.9 (the local dotnet tool pinned in
# .config/dotnet-tools.json) and Pester 5.7.1 (a NuGet package, laid out in out/modules, where Invoke-Tests.ps1
# and the demo import it from). Everything lands in the NuGet cache and the repository's out/ folder.
# Fails, naming what is missing, when either cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."

pester_version=5.7.1
modules=out/modules

dotnet tool restore >/dev/null || { echo "Could not install pwsh: 'dotnet tool restore' failed (see .config/dotnet-tools.json)." >&2; exit 1; }
dotnet restore tests/Pester/TestModules -nologo -v quiet >/dev/null ||
  { echo "Could not download Pester $pester_version from NuGet (tests/Pester/TestModules)." >&2; exit 1; }

packages=$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: *//')
source="$packages/pester/$pester_version/tools"
[ -f "$source/Pester.psd1" ] || { echo "Pester $pester_version is not in the NuGet cache at $source." >&2; exit 1; }
if [ ! -f "$modules/Pester/$pester_version/Pester.psd1" ]; then
  rm -rf "$modules/Pester/$pester_version"
  mkdir -p "$modules/Pester"
  cp -R "$source" "$modules/Pester/$pester_version"
fi

dotnet pwsh -NoProfile -NonInteractive -Command "
  \$env:PSModulePath = '$PWD/$modules' + [IO.Path]::PathSeparator + \$env:PSModulePath
  Import-Module Pester -RequiredVersion $pester_version -ErrorAction Stop
  'PowerShell ' + \$PSVersionTable.PSVersion + ', Pester ' + (Get-Module Pester).Version" ||
  { echo "pwsh does not start or cannot import Pester $pester_version." >&2; exit 1; }
