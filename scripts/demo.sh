#!/usr/bin/env bash
# The DaskPS demo: sets up what it needs (Debian packages when run as root, pwsh), builds the module, and runs the
# PowerShell pipeline in samples/Invoke-DaskDemo.ps1 on a local cluster. Leaves no process behind: every process
# it starts carries a marker in its environment, and any still alive afterwards is reported and the demo fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-prerequisites.sh
bash scripts/install-powershell.sh >/dev/null
dotnet build src/DaskPS.Cmdlets -c Release -nologo -v quiet

marker="DASKPS_DEMO_RUN=$$-$RANDOM"
started_here() {  # pids of live processes that inherited the marker
  grep -lzx "$marker" /proc/[0-9]*/environ 2>/dev/null | sed -E 's#/proc/([0-9]+)/environ#\1#' || true
}

echo "== samples/Invoke-DaskDemo.ps1"
sed -n '/^\$session = /,$p' samples/Invoke-DaskDemo.ps1 | sed 's/^/   | /'
echo
env "$marker" dotnet pwsh -NoProfile -NonInteractive -File samples/Invoke-DaskDemo.ps1

left=$(started_here)
if [ -n "$left" ]; then
  echo "The demo left processes behind:" >&2
  for pid in $left; do ps -o pid=,args= -p "$pid" >&2 || true; done
  exit 1
fi
echo "== done: no process left behind"
