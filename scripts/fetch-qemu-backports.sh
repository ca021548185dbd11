#!/usr/bin/env bash
# Fetches QEMU from Debian 12's bookworm-backports suite and unpacks it into vendor/qemu-backports,
# beside (not over) the installed QEMU. The system's apt state is untouched: a private apt state
# directory is used, with the backports suite added beside the machine's own Debian source.
#   scripts/fetch-qemu-backports.sh            # prints the path of the unpacked qemu-system-x86_64
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/vendor/qemu-backports"
bin="$dest/usr/bin/qemu-system-x86_64"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

state="$root/vendor/apt-state"
mkdir -p "$dest"
. "$root/scripts/private-apt.sh"
private_apt "$state" deb bookworm-backports fetch-qemu-backports
"${apt[@]}" update >&2
# The x86 system emulator, its data (firmware, keymaps) and the common library package.
cd "$state/cache/archives"
for pkg in qemu-system-x86 qemu-system-data qemu-system-common; do
  "${apt[@]}" download "$pkg/bookworm-backports" >&2
done
for deb in "$state"/cache/archives/*.deb; do dpkg-deb -x "$deb" "$dest"; done
"$bin" --version >&2 || { echo "fetch-qemu-backports: the unpacked QEMU does not run" >&2; exit 1; }
echo "$bin"
