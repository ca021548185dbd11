#!/usr/bin/env bash
# Fetches one QEMU release Debian ships, with the libraries of its own suite, into
# vendor/qemu-releases/RELEASE/root (git-ignored), beside (not over) the installed QEMU. Done once:
# a second run only prints the directory. The system's apt state is untouched: a private apt state
# with an empty dpkg status, so apt resolves the whole dependency closure of the suite (libc and
# its loader included), downloads it, and every package is unpacked with dpkg-deb -x.
# Binaries in the tree run through scripts/run-in-tree.sh (the tree's own loader and libraries):
#   qcpu harvest --qemu-launcher scripts/run-in-tree.sh --qemu ROOT/usr/bin/qemu-system-x86_64 \
#     --qemu-arg -L --qemu-arg ROOT/usr/share/qemu
#   scripts/fetch-qemu-release.sh 5.2|10.0.13|11.1.3   # prints the tree's root directory
#   scripts/fetch-qemu-release.sh --list                # the releases it knows, one a line
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# release  suite  Debian version  packages (one binary package per architecture, plus the data)
releases=(
  "5.2     bullseye 1:5.2+dfsg-11+deb11u3  qemu-system-x86 qemu-system-arm qemu-system-misc qemu-system-ppc qemu-system-data"
  "10.0.13 trixie   1:10.0.13+ds-0+deb13u1 qemu-system-x86 qemu-system-arm qemu-system-s390x qemu-system-riscv qemu-system-ppc qemu-system-data"
  "11.1.3  sid      1:11.1.3+ds-1          qemu-system-x86 qemu-system-arm qemu-system-s390x qemu-system-riscv qemu-system-ppc qemu-system-data"
)
if [ "${1:-}" = "--list" ]; then for r in "${releases[@]}"; do echo "${r%% *}"; done; exit 0; fi
[ $# -eq 1 ] || { echo "usage: $0 RELEASE|--list" >&2; exit 64; }
line=""
for r in "${releases[@]}"; do [ "${r%% *}" = "$1" ] && line=$r; done
[ -n "$line" ] || { echo "fetch-qemu-release: unknown release '$1' (known: $("$0" --list | tr '\n' ' '))" >&2; exit 64; }
read -r release suite version packages <<<"$line"

dir="$root/vendor/qemu-releases/$release"
tree="$dir/root"
if [ -f "$dir/.fetched" ]; then echo "$tree"; exit 0; fi

state="$dir/apt-state"
rm -rf "$tree"
mkdir -p "$tree" "$state"
. "$root/scripts/private-apt.sh"
private_apt "$state" deb "$suite" fetch-qemu-release
: > "$state/status"
apt+=(-o "Dir::State::status=$state/status")
"${apt[@]}" update >&2
pinned=()
for p in $packages; do pinned+=("$p=$version"); done
# The packages and everything they depend on, resolved as on an empty system of that suite.
"${apt[@]}" install -y --download-only --no-install-recommends "${pinned[@]}" >&2
for deb in "$state"/cache/archives/*.deb; do dpkg-deb -x "$deb" "$tree"; done
# Absolute symlinks (firmware links such as usr/share/qemu/bios-256k.bin -> /usr/share/seabios/...)
# would reach the host's files: point them into the tree.
find "$tree" -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$tree$target")" "$link"
done
"$root/scripts/run-in-tree.sh" "$tree/usr/bin/qemu-system-x86_64" --version >&2 \
  || { echo "fetch-qemu-release: the unpacked QEMU $release does not run" >&2; exit 1; }
echo "$release $suite $version" > "$dir/.fetched"
echo "$tree"
