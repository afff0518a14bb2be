#!/usr/bin/env bash
# Runs every DaskPS test suite and ends with one line: "tests: N passed, N failed, N skipped".
# Sets up what it needs first (Debian packages when run as root, pwsh and Pester, dask 2024.12.1 in the user's
# cache). Exit status is non-zero when anything failed or could not be set up.
set -uo pipefail
cd "$(dirname "$0")/.."

# Each stage with the seconds since the start, so a slow one shows in CI's output.
stage() { echo "== $1 (at $SECONDS s)"; }
fail_setup() { echo "$1"; echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }

stage "setup"
bash scripts/install-prerequisites.sh || fail_setup "Installing the Debian prerequisites failed."
bash scripts/install-powershell.sh || fail_setup "Installing pwsh and Pester failed."
dask2024=$(bash scripts/install-dask-2024.12.sh) || fail_setup "Installing dask 2024.12.1 failed."

# Each scheduler release under test: its version, and the PYTHONPATH that selects it for /usr/bin/python3 (the
# xunit suites choose it from DASKPS_DASK_VERSION, or DASKPS_DASK_PYTHONPATH for the extra ones; the Pester suite's
# dask-scheduler takes PYTHONPATH).
releases=("2022.12=" "2024.12=$dask2024")

# DASKPS_EXTRA_DASK: more installations to run the live suites against, a colon-separated list of folders that each
# hold one dask.distributed (and what it needs) for /usr/bin/python3 — see the README, "Other dask releases".
IFS=: read -r -a extra <<<"${DASKPS_EXTRA_DASK:-}"
for folder in "${extra[@]}"; do
  [ -n "$folder" ] || continue
  version=$(PYTHONPATH="$folder" /usr/bin/python3 -c 'import distributed; print(distributed.__version__)' 2>/dev/null) \
    || fail_setup "DASKPS_EXTRA_DASK names $folder, where /usr/bin/python3 cannot import distributed."
  releases+=("$version=$folder")
done
ran=()

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
passed=0 failed=0 skipped=0 status=0

count() {  # count <passed> <failed> <skipped>
  passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3))
  [ "$2" -eq 0 ] || status=1
}

stage "build"
dotnet build DaskPS.slnx -c Release -nologo -v quiet || fail_setup "The build failed."
# The module and core packages, which the Pester suite installs and inspects.
dotnet pwsh -NoProfile -NonInteractive -File build.ps1 -Package >/dev/null || fail_setup "build.ps1 -Package failed."

for release in "${releases[@]}"; do
  dask=${release%%=*}
  export DASKPS_DASK_VERSION=$dask
  # The two built-in releases are found by version; the extra ones by their folder.
  case $dask in 2022.12|2024.12) unset DASKPS_DASK_PYTHONPATH ;; *) export DASKPS_DASK_PYTHONPATH=${release#*=} ;; esac
  ran+=("$(PYTHONPATH=${release#*=} /usr/bin/python3 -c 'import distributed; print(distributed.__version__)' 2>/dev/null || echo "$dask?")")

  for project in tests/*.Tests; do
    [ -f "$project/$(basename "$project").csproj" ] || continue
    log="$results/$(basename "$project")-$dask.log"
    stage "$(basename "$project") against dask.distributed $dask"
    dotnet test "$project" -c Release --no-build -nologo 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    # dotnet test's summary: "Passed!  - Failed: 0, Passed: 5, Skipped: 0, Total: 5, ..."
    summary=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
      echo "No test summary from $project ($dask): counted as a failure."
      count 0 1 0; continue
    fi
    count "$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")" \
          "$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")" \
          "$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")"
  done

  pester_out="$results/pester-$dask.txt"
  stage "Pester suite against dask.distributed $dask"
  PYTHONPATH=${release#*=} dotnet pwsh -NoProfile -NonInteractive -File tests/Pester/Invoke-Tests.ps1 -ResultFile "$pester_out" \
    2>&1 | tee "$results/pester-$dask.out"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  if [ -f "$pester_out" ]; then
    read -r p f s < "$pester_out"
    count "$p" "$f" "$s"
  else
    echo "The Pester run ($dask) wrote no result counts: counted as a failure."
    count 0 1 0
  fi
done
unset DASKPS_DASK_VERSION DASKPS_DASK_PYTHONPATH
echo "dask.distributed releases the live suites ran against: ${ran[*]}"

# The benchmark harness at smoke size: it must keep working (its figures mean nothing at this size). Each part counts
# as one test: the cluster table, the scaling graphs with 16 workers, and the script-block pipeline with its profile.
smoke() {  # smoke <name> <command...>
  stage "benchmark smoke run: $1"
  if "${@:2}"; then count 1 0 0; else echo "The benchmark smoke run '$1' failed."; count 0 1 0; fi
}
smoke cluster dotnet run -c Release --project bench/DaskPS.Benchmarks --no-build -- cluster
smoke scaling dotnet run -c Release --project bench/DaskPS.Benchmarks --no-build -- cluster --scaling
smoke script-tasks dotnet pwsh -NoProfile -NonInteractive -File bench/powershell/Measure-ScriptTasks.ps1 \
  -PipelineCount 200 -Count 20 -ProfileCount 300 -Repeat 1

# The failed tests, last, where a truncated log still shows them (xunit's "[FAIL]", Pester's "[-]"), each with the
# first lines of its error.
if [ "$failed" -gt 0 ]; then
  echo "failed tests:"
  grep -hE -A 3 '\[FAIL\]|\[-\]' "$results"/*.log "$results"/*.out 2>/dev/null | sed -E 's/\x1b\[[0-9;]*m//g' \
    | grep -v '^--$' | awk '!seen[$0]++' | head -n 80
fi
stage "done"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || status=1
exit $status
