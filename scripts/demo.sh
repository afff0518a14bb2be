#!/usr/bin/env bash
# The DaskPS demo: sets up what it needs, then runs the PowerShell pipeline sample when pwsh is present,
# and the C# equivalent otherwise. Leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-prerequisites.sh
dotnet build DaskPS.slnx -c Release -nologo -v quiet

if command -v pwsh >/dev/null 2>&1; then
  echo "== PowerShell demo (samples/Invoke-DaskDemo.ps1)"
  pwsh -NoProfile -NonInteractive -File samples/Invoke-DaskDemo.ps1
else
  echo "== pwsh not found: running the C# demo (samples/DaskPS.Demo)"
  dotnet run --project samples/DaskPS.Demo -c Release --no-build
fi

if pgrep -f 'dask_scheduler|dask-scheduler' >/dev/null; then
  echo "warning: a dask-scheduler process is still running:" >&2
  pgrep -fa 'dask_scheduler|dask-scheduler' >&2 || true
fi
