#!/usr/bin/env bash
# Installs what DaskPS's tests and demo need on a fresh Debian 12 machine (as root), and nothing when it is all there.
set -euo pipefail

need=()
[ -x /usr/bin/dask-scheduler ] || need+=(python3-distributed)
/usr/bin/python3 -c 'import msgpack' 2>/dev/null || need+=(python3-msgpack)
/usr/bin/python3 -c 'import lz4.block' 2>/dev/null || need+=(python3-lz4)
# The multi-host tests: network namespaces (ip), and sshd in them for Start-DaskWorker -HostName (ssh, ssh-keygen).
[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need+=(iproute2)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || need+=(openssh-client)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "DaskPS needs: ${need[*]} — run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's policy-rc.d hook keeps the package from starting its own sshd on port 22 where there is an init system
  # (the tests start theirs in namespaces); a policy already in place is left as it is.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "The .NET SDK (dotnet) is required." >&2; exit 1; }

