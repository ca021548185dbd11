# Sourced by the fetch scripts: a private apt state directory, so the system's apt state is
# untouched, with one source line on the machine's own Debian mirror (from its deb822 or one-line
# sources). After `private_apt STATE KIND SUITE WHO` (KIND deb or deb-src), "${apt[@]}" and
# "${apt_cache[@]}" run apt-get and apt-cache on that state.
private_apt() {
  local state=$1 kind=$2 suite=$3 who=$4 mirror
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  mirror=$(grep -hE '^URIs: .*debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
  if [ -z "$mirror" ]; then
    mirror=$(grep -hE '^deb [^ ]+ bookworm ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
  fi
  [ -n "$mirror" ] || { echo "$who: no Debian source found in /etc/apt" >&2; exit 1; }
  echo "$kind [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" > "$state/sources.list"
  local dirs=(-o "Dir::State=$state" -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
              -o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=/dev/null")
  apt=(apt-get -q "${dirs[@]}" -o "Dir::State::status=/var/lib/dpkg/status" -o "Debug::NoLocking=1")
  apt_cache=(apt-cache "${dirs[@]}")
}
