#!/usr/bin/env bash
# Records the small transcripts the tests replay for one QEMU release of another Debian suite
# (qcpu's recorder: qcpu harvest --record), into Tests/QCPUTestSupport/Fixtures/qemu-<version>:
# x86_64 under TCG, the release's newest pc-q35 machine type and microvm, three models.
#   scripts/record-release-fixtures.sh RELEASE QCPU
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 RELEASE QCPU" >&2; exit 64; }
release=$1 qcpu=$2
here="$(cd "$(dirname "$0")" && pwd)"
tree=$("$here/fetch-qemu-release.sh" "$release")
bin="$tree/usr/bin/qemu-system-x86_64"
version=$("$here/run-in-tree.sh" "$bin" --version | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p')
series=${version%.*}
audio=()
[ "${version%%.*}" -lt 8 ] || audio=(--qemu-arg -audio --qemu-arg none)   # as scripts/harvest-release.sh
dest="$here/../Tests/QCPUTestSupport/Fixtures/qemu-$version"
rm -rf "$dest"
SOURCE_DATE_EPOCH=$(stat -c %Y "$bin") nice -n 10 "$qcpu" harvest --quiet --accel tcg --qemu-launcher "$here/run-in-tree.sh" \
  --qemu "$bin" --qemu-arg -L --qemu-arg "$tree/usr/share/qemu" "${audio[@]}" \
  --machine "pc-q35-$series" --machine microvm \
  --model EPYC --model EPYC-Genoa --model qemu64 \
  --record "$dest" -o "/tmp/qcpu-fixture-$version.sqlite"
du -sh "$dest" >&2
