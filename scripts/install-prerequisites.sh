#!/usr/bin/env bash
# Installs what DaskPS's tests and demo need on a fresh Debian 12 machine (as root), and nothing when it is all there.
set -euo pipefail

need=()
[ -x /usr/bin/dask-scheduler ] || need+=(python3-distributed)
/usr/bin/python3 -c 'import msgpack' 2>/dev/null || need+=(python3-msgpack)
/usr/bin/python3 -c 'import lz4.block' 2>/dev/null || need+=(python3-lz4)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "DaskPS needs: ${need[*]} — run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "The .NET SDK (dotnet) is required." >&2; exit 1; }

