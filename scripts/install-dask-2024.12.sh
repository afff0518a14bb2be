#!/usr/bin/env bash
# Makes dask.distributed 2024.12.1 (Debian 13's packages) importable by /usr/bin/python3 without installing it:
# the .debs are fetched with a private apt state and unpacked into the user's cache folder. Prints the folder to
# put on PYTHONPATH. A second run only checks what is there.
#
#   DASKPS_DEBIAN_MIRROR   the Debian archive to fetch from (default: the one this machine's apt uses)
set -euo pipefail

root=${XDG_CACHE_HOME:-$HOME/.cache}/daskps/dask-2024.12.1
site="$root/site-packages"
# Debian 13's dask and distributed, and the newer libraries they need than Debian 12 has; the rest (msgpack,
# tornado, toolz, tblib, psutil, yaml, ...) are Debian 12's.
packages=(
  python3-distributed=2024.12.1+ds-1
  python3-dask=2024.12.1+dfsg-2
  python3-cloudpickle=3.1.1-1
  python3-zict=3.0.0-2
  python3-partd=1.4.2-1
  python3-importlib-metadata=8.7.0-1
  python3-zipp=3.21.0-1
)

installed() { [ -f "$root/installed" ] && [ "$(cat "$root/installed")" = "${packages[*]}" ]; }

if ! installed; then
  mirror=${DASKPS_DEBIAN_MIRROR:-$(sed -nE 's/^URIs: *(\S+\/debian)\/?$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}
  [ -n "$mirror" ] || mirror=$(sed -nE 's/^deb +(\S+\/debian)\/? +bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
  [ -n "$mirror" ] || { echo "No Debian mirror found in this machine's apt sources: set DASKPS_DEBIAN_MIRROR." >&2; exit 1; }

  apt="$root/apt"
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$apt/sources.list"
  options=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$apt/lists"
           -o "Dir::Cache=$apt" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "Acquire::Languages=none"
           -o "APT::Sandbox::User=$(id -un)")
  echo "Fetching dask.distributed 2024.12.1 from $mirror (trixie) into $root" >&2
  apt-get "${options[@]}" -qq update >/dev/null
  rm -f "$apt"/debs/*.deb
  (cd "$apt/debs" && apt-get "${options[@]}" -qq download "${packages[@]}" >/dev/null)

  # Unpacked beside the old copy, then swapped in, so an interrupted run leaves no half-made folder in use.
  rm -rf "$root/unpacked"
  for deb in "$apt"/debs/*.deb; do dpkg-deb -x "$deb" "$root/unpacked"; done
  /usr/bin/python3 -m compileall -q "$root/unpacked/usr/lib/python3/dist-packages" >/dev/null || true
  rm -rf "$site"
  mv "$root/unpacked/usr/lib/python3/dist-packages" "$site"
  rm -rf "$root/unpacked" "$apt/debs"
  echo "${packages[*]}" > "$root/installed"
fi

version=$(PYTHONPATH="$site" /usr/bin/python3 -c 'import distributed; print(distributed.__version__)')
[ "$version" = 2024.12.1 ] || { echo "$site holds dask.distributed $version, not 2024.12.1: delete $root and run again." >&2; exit 1; }
echo "$site"
