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
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$dest"
# The machine's own Debian mirror (from its deb822 or one-line sources), with the backports suite.
mirror=$(grep -hE '^URIs: .*debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
if [ -z "$mirror" ]; then
  mirror=$(grep -hE '^deb [^ ]+ bookworm ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
fi
[ -n "$mirror" ] || { echo "fetch-qemu-backports: no Debian source found in /etc/apt" >&2; exit 1; }
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" > "$state/sources.list"
apt=(apt-get -q -o "Dir::State=$state" -o "Dir::State::Lists=$state/lists" -o "Dir::State::status=/var/lib/dpkg/status"
     -o "Dir::Cache=$state/cache" -o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
     -o "Debug::NoLocking=1")
"${apt[@]}" update >&2
# The x86 system emulator, its data (firmware, keymaps) and the common library package.
cd "$state/cache/archives"
for pkg in qemu-system-x86 qemu-system-data qemu-system-common; do
  "${apt[@]}" download "$pkg/bookworm-backports" >&2
done
for deb in "$state"/cache/archives/*.deb; do dpkg-deb -x "$deb" "$dest"; done
"$bin" --version >&2 || { echo "fetch-qemu-backports: the unpacked QEMU does not run" >&2; exit 1; }
echo "$bin"
