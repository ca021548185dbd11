#!/usr/bin/env bash
# Fetches libvirt's source from Debian 13 (trixie: libvirt 11.3.0) and unpacks its QEMU capabilities
# test data (tests/qemucapabilitiesdata: caps_<version>_<arch>.xml and .replies, recorded by libvirt's
# developers on real hosts, QEMU 6.2 to 10.0) into vendor/libvirt-src (git-ignored; never committed).
# The system's apt state is untouched: a private apt state directory with one deb-src line is used.
# Only the upstream tarball is downloaded (about 10 MB, plus the 10 MB source index once); its SHA-256
# is checked against the signed index.
#   scripts/fetch-libvirt-source.sh            # prints the path of tests/qemucapabilitiesdata
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/vendor/libvirt-src"
data="$dest/tests/qemucapabilitiesdata"
if [ -f "$data/caps_7.2.0_x86_64.xml" ]; then echo "$data"; exit 0; fi

state="$root/vendor/libvirt-apt-state"
mkdir -p "$state/source"
. "$root/scripts/private-apt.sh"
private_apt "$state" deb-src trixie fetch-libvirt-source
"${apt[@]}" update >&2
record=$("${apt_cache[@]}" showsrc libvirt)
# The upstream tarball's name and SHA-256 from the (signed) source index.
line=$(printf '%s\n' "$record" | awk '/^Checksums-Sha256:/{on=1; next} /^[^ ]/{on=0} on && $3 ~ /orig\.tar\.xz$/ {print $1, $3; exit}')
sha=${line%% *}; tarball=${line##* }
[ -n "$tarball" ] || { echo "fetch-libvirt-source: no libvirt orig tarball in trixie's source index" >&2; exit 1; }
cd "$state/source"
if [ ! -f "$tarball" ]; then
  # apt fetches every file of the source package; some mirrors lack the .dsc or the signature, so its
  # exit status is not trusted: the tarball is checked below.
  "${apt[@]}" source --download-only libvirt/trixie >&2 || true
fi
echo "$sha  $tarball" | sha256sum -c --quiet - || { echo "fetch-libvirt-source: $tarball: bad SHA-256" >&2; rm -f "$tarball"; exit 1; }
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
tar -xJf "$tarball" -C "$dest.tmp" --strip-components=1 --wildcards '*/tests/qemucapabilitiesdata/*'
rm -rf "$dest" && mv "$dest.tmp" "$dest"
# The source index is only needed to fetch; the tarball stays cached.
rm -rf "$state/lists" "$state/cache"/*.bin
echo "$data"
