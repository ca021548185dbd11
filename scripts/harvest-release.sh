#!/usr/bin/env bash
# Harvests one QEMU release of another Debian suite (scripts/fetch-qemu-release.sh fetches it once)
# into OUTDIR/qemu-<version>.sqlite: TCG only, every one of x86_64, aarch64, s390x, ppc64 and riscv64
# that the release packages, niced, then validates the file. SOURCE_DATE_EPOCH is the mtime of the
# package's qemu-system-x86_64 (the package's build time), so the same packages give the same bytes.
# QEMU 10.0 and 11.1 no longer read QEMU_AUDIO_DRV (which qcpu sets to none): -audio none keeps boards with
# built-in sound (musicpal, pegasos2) from probing the host's audio back-ends (without a sound device
# QEMU aborts: "no default audio driver available"). QEMU 11.1.3's qemu-system-riscv64 aborts on
# qom-list-properties of lowrisc-ibex-riscv-cpu (ERROR:target/riscv/cpu.c:509:satp_mode_str: code
# should not be reached), which every harvest asks, so that binary is left out of its snapshot.
#   scripts/harvest-release.sh RELEASE QCPU OUTDIR     # prints the snapshot's path
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 RELEASE QCPU OUTDIR" >&2; exit 64; }
release=$1 qcpu=$2 outdir=$3
here="$(cd "$(dirname "$0")" && pwd)"
tree=$("$here/fetch-qemu-release.sh" "$release")
case $release in
  11.1.3) skip=riscv64 ;;
  *) skip= ;;
esac
args=() n=0
for arch in x86_64 aarch64 s390x ppc64 riscv64; do
  [ "$arch" = "$skip" ] && continue
  if [ -x "$tree/usr/bin/qemu-system-$arch" ]; then args+=(--qemu "$tree/usr/bin/qemu-system-$arch"); n=$((n + 1)); fi
done
epoch=$(stat -c %Y "$tree/usr/bin/qemu-system-x86_64")
version=$("$here/run-in-tree.sh" "$tree/usr/bin/qemu-system-x86_64" --version | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p')
[ -n "$version" ] || { echo "harvest-release: cannot read the version of QEMU $release" >&2; exit 1; }
out="$outdir/qemu-$version.sqlite"
[ "${version%%.*}" -lt 8 ] || args+=(--qemu-arg -audio --qemu-arg none)
start=$(date +%s.%N)
SOURCE_DATE_EPOCH=$epoch nice -n 10 "$qcpu" harvest --accel tcg --qemu-launcher "$here/run-in-tree.sh" "${args[@]}" \
  --qemu-arg -L --qemu-arg "$tree/usr/share/qemu" -o "$out"
end=$(date +%s.%N)
"$qcpu" validate "$out" >&2
printf 'harvest-release: QEMU %s (%s binaries) in %.1f s: %s (%s bytes)\n' "$release" "$n" \
  "$(awk "BEGIN { print $end - $start }")" "$out" "$(stat -c %s "$out")" >&2
echo "$out"
