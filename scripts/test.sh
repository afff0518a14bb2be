#!/usr/bin/env bash
# Runs every DaskPS test suite and ends with one line: "tests: N passed, N failed, N skipped".
# Exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-prerequisites.sh || exit 1

# dask 2024.12.1 (Debian 13's), unpacked privately beside the system's 2022.12.1; a re-run takes about a second.
versions="2022.12"
installer="../shared/peers/install-dask-2024.12.sh"
if [ -f "$installer" ]; then
  SMOKE=0 bash "$installer" >/dev/null || { echo "Installing dask 2024.12 failed ($installer)."; echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }
  versions="2022.12 2024.12"
else
  echo "dask 2024.12 suite SKIPPED: $installer not found (it installs the second scheduler release)"
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
passed=0 failed=0 skipped=0 status=0

dotnet build DaskPS.slnx -c Release -nologo -v quiet || { echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }

# The xunit suites run once per supported scheduler release.
for dask in $versions; do
  for project in tests/*.Tests; do
    [ -f "$project/$(basename "$project").csproj" ] || continue
    log="$results/$(basename "$project")-$dask.log"
    echo "== $(basename "$project") against dask.distributed $dask"
    DASKPS_DASK_VERSION=$dask dotnet test "$project" -c Release --no-build -nologo 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    # dotnet test's summary: "Passed!  - Failed: 0, Passed: 5, Skipped: 0, Total: 5, ..."
    summary=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
      echo "No test summary from $project ($dask): counted as a failure."
      failed=$((failed + 1)); status=1; continue
    fi
    failed=$((failed + $(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")))
    passed=$((passed + $(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")))
    skipped=$((skipped + $(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")))
  done
done

# The benchmark harness at smoke size: it must keep working (its figures mean nothing at this size).
echo "== benchmark smoke run"
if dotnet run -c Release --project bench/DaskPS.Benchmarks --no-build -- cluster; then
  passed=$((passed + 1))
else
  echo "The benchmark smoke run failed."
  failed=$((failed + 1)); status=1
fi

# The Pester suite needs pwsh 7.4+ with Pester 5; it runs once per scheduler release (PYTHONPATH selects 2024.12).
pester_ready() {
  pwsh -NoProfile -NonInteractive -Command \
    'if ($PSVersionTable.PSVersion -lt [version]"7.4" -or -not (Get-Module -ListAvailable Pester | Where-Object { $_.Version.Major -eq 5 })) { exit 1 }' \
    >/dev/null 2>&1
}
if ! command -v pwsh >/dev/null 2>&1; then
  echo "Pester suite SKIPPED: pwsh not found"
elif ! pester_ready; then
  echo "Pester suite SKIPPED: pwsh 7.4+ with Pester 5 not found ($(pwsh -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null))"
else
  # build.ps1 lays the module out again from scratch, help included (the help tests need it).
  echo "== build.ps1"
  pwsh -NoProfile -NonInteractive -File build.ps1 || { echo "build.ps1 failed."; failed=$((failed + 1)); status=1; }
  for dask in $versions; do
    pester_out="$results/pester-$dask.txt"
    echo "== Pester suite against dask.distributed $dask"
    pythonpath=""
    [ "$dask" = "2024.12" ] && pythonpath="${DASK2024_BASE:-${XDG_CACHE_HOME:-$HOME/.cache}/dask-2024.12}/prefix/usr/lib/python3/dist-packages"
    PYTHONPATH="$pythonpath" DASKPS_DASK_VERSION=$dask \
      pwsh -NoProfile -NonInteractive -File tests/Pester/Invoke-Tests.ps1 -ResultFile "$pester_out" || status=1
    if [ -f "$pester_out" ]; then
      read -r p f s < "$pester_out"
      passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    else
      echo "The Pester run ($dask) wrote no result counts: counted as a failure."
      failed=$((failed + 1)); status=1
    fi
  done
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || status=1
exit $status
