#!/bin/sh
# Runs a QEMU binary unpacked by scripts/fetch-qemu-release.sh with its own tree's loader and
# libraries, so a binary of another Debian suite runs here unchanged (its bytes, and so its SHA-256,
# are Debian's). qcpu passes it as --qemu-launcher: the first argument is ROOT/usr/bin/qemu-system-*.
#   scripts/run-in-tree.sh ROOT/usr/bin/qemu-system-x86_64 ARGS...
set -eu
[ $# -ge 1 ] || { echo "usage: $0 ROOT/usr/bin/qemu-system-ARCH [ARGS...]" >&2; exit 64; }
bin=$1
tree=$(dirname "$(dirname "$(dirname "$bin")")")
loader=""
for l in "$tree/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$tree/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
         "$tree/usr/lib64/ld-linux-x86-64.so.2" "$tree/lib64/ld-linux-x86-64.so.2"; do
  if [ -e "$l" ]; then loader=$l; break; fi
done
[ -n "$loader" ] || { echo "run-in-tree: no ld-linux-x86-64.so.2 under $tree" >&2; exit 69; }
# QEMU's modules (accel-tcg-*, display, ...) from the tree, not the installed QEMU's.
QEMU_MODULE_DIR="$tree/usr/lib/x86_64-linux-gnu/qemu"
export QEMU_MODULE_DIR
exec "$loader" --library-path "$tree/usr/lib/x86_64-linux-gnu:$tree/lib/x86_64-linux-gnu" "$@"
