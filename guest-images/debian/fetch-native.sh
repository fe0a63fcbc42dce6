#!/usr/bin/env bash
# Fetch Debian's amd64 builds of the guest's benchmark programs, for `hspt bench`'s native column.
#
#   guest-images/debian/fetch-native.sh [--update] [--force]
#
# The same method as fetch.sh uses for armhf: apt with its own sources list, lists, cache and an empty dpkg
# status under work/native/apt (APT::Architecture=amd64), so the host's apt configuration and package state are
# left alone. It resolves busybox-static lua5.4 xz-utils sqlite3 gzip 7zip and everything a bare system needs
# for them, pins the programs to the versions in out/manifest.txt (the armhf guest's) when the index still has
# them, downloads the .deb files and extracts them into work/native/rootfs with dpkg-deb -x. Nothing is
# installed on the host. Safe to re-run: with everything in place it only checks and returns.
#   --update   refresh the package indexes (by default they are fetched once and then reused)
#   --force    re-extract the packages even if nothing changed
#
# Environment: HSPT_DEBIAN_MIRROR, HSPT_DEBIAN_SECURITY_MIRROR as for fetch.sh.
#
# Results: work/native/rootfs (the programs run there with their own loader: bench-native.sh shows how),
# out/manifest-native.txt (package, version, architecture, sha256 of the .deb).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$HERE/work/native
OUT=$HERE/out
APTDIR=$WORK/apt
ROOTFS=$WORK/rootfs
ARCH=amd64

SUITE=bookworm
MIRROR=${HSPT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${HSPT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PACKAGES=(busybox-static lua5.4 xz-utils sqlite3 gzip 7zip)

UPDATE=0
FORCE=0
for a in "$@"; do
    case $a in
        --update) UPDATE=1 ;;
        --force) FORCE=1 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "fetch-native.sh: unknown argument: $a (try --help)" >&2; exit 2 ;;
    esac
done

die() { echo "fetch-native.sh: ERROR: $*" >&2; exit 1; }
say() { echo "fetch-native.sh: $*" >&2; }

[ "$(uname -m)" = x86_64 ] || die "the native column needs an x86-64 host (this is $(uname -m))"
for tool in apt-get apt-cache dpkg-deb tar sha256sum; do
    command -v "$tool" >/dev/null || die "'$tool' is needed (Debian: apt-get install apt dpkg tar coreutils)"
done
[ -r "$KEYRING" ] || die "$KEYRING is missing (apt-get install debian-archive-keyring)"

mkdir -p "$APTDIR"/lists/partial "$APTDIR"/cache/archives/partial "$APTDIR"/etc/preferences.d "$OUT"
exec 9>"$WORK/.lock"
flock -n 9 || { say "another fetch-native.sh is running; waiting for it"; flock 9; }

# ------------------------------------------------------------------ apt with a private configuration
[ -f "$APTDIR/status" ] || : >"$APTDIR/status"      # empty dpkg status: a bare system
: >"$APTDIR/etc/preferences"
SOURCES="deb [signed-by=$KEYRING] $MIRROR $SUITE main
deb [signed-by=$KEYRING] $MIRROR $SUITE-updates main"
if [ "$SECURITY_MIRROR" != none ]; then
    SOURCES="$SOURCES
deb [signed-by=$KEYRING] $SECURITY_MIRROR $SUITE-security main"
fi
if [ ! -f "$APTDIR/etc/sources.list" ] || [ "$(cat "$APTDIR/etc/sources.list")" != "$SOURCES" ]; then
    printf '%s\n' "$SOURCES" >"$APTDIR/etc/sources.list"
    UPDATE=1
fi

APT_OPTS=(
    -o APT::Architecture=$ARCH -o APT::Architectures=$ARCH
    -o Dir::Etc::SourceList="$APTDIR/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences="$APTDIR/etc/preferences" -o Dir::Etc::PreferencesParts="$APTDIR/etc/preferences.d"
    -o Dir::State="$APTDIR" -o Dir::State::Lists="$APTDIR/lists" -o Dir::State::status="$APTDIR/status"
    -o Dir::State::extended_states="$APTDIR/extended_states"
    -o Dir::Cache="$APTDIR/cache" -o Dir::Cache::pkgcache="$APTDIR/cache/pkgcache.bin"
    -o Dir::Cache::srcpkgcache="$APTDIR/cache/srcpkgcache.bin"
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
    -o APT::Install-Recommends=false -o APT::Install-Suggests=false
    -o Acquire::Retries=3 -o Acquire::http::Timeout=30 -o Acquire::Languages=none
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false
    -q
)
apt_get() { apt-get "${APT_OPTS[@]}" "$@"; }
apt_cache() { apt-cache "${APT_OPTS[@]}" "$@"; }

main_list() {
    local host=${MIRROR#*://}; host=${host%/}
    ls "$APTDIR/lists/${host//\//_}_dists_${SUITE}_main_binary-${ARCH}_Packages"* 2>/dev/null | head -1
}

update_indexes() {
    say "downloading package indexes for $ARCH from $MIRROR ($SUITE, $SUITE-updates) and $SECURITY_MIRROR"
    local log=$WORK/apt-update.log
    apt_get update >"$log" 2>&1 || true
    if [ -z "$(main_list)" ] || grep -q "^E: Failed to fetch ${MIRROR%/}/dists/$SUITE/" "$log"; then
        cat "$log" >&2
        die "could not download the Debian package index from $MIRROR (network or mirror problem, see above)"
    fi
    if grep -qE '^(E|W): ' "$log"; then
        say "WARNING: some package indexes failed to download; continuing with the ones that did:"
        grep -E '^(E: Failed to fetch|W: Failed to fetch|Err:)' "$log" | sed 's/^/    /' >&2
    fi
}

if [ "$UPDATE" = 1 ] || [ -z "$(main_list)" ]; then
    update_indexes
fi

# ------------------------------------------------------------------ resolve
# The programs at the guest's versions (same upstream code on both sides) when this index still has them.
# A binNMU suffix (+bN) is rebuilt per architecture, so it is dropped before comparing.
WANT=()
for p in "${PACKAGES[@]}"; do
    v=
    if [ -f "$OUT/manifest.txt" ]; then
        v=$(awk -v p="$p" '$1 == p { print $2 }' "$OUT/manifest.txt")
    fi
    if [ -n "$v" ]; then
        have=$(apt_cache madison "$p" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
        match=$(grep -Fx -- "$v" <<<"$have" || grep -F -- "${v%+b[0-9]*}" <<<"$have" | head -1 || true)
        if [ -n "$match" ]; then
            WANT+=("$p=$match")
            continue
        fi
        say "WARNING: $p $v (the guest's version) is not in the $ARCH index; using the newest"
    fi
    WANT+=("$p")
done
PLAN=$(apt_get -s install "${WANT[@]}" 2>&1) || { echo "$PLAN" >&2; die "apt cannot resolve ${WANT[*]}"; }
PLAN=$(sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) [^[]*\[\([a-z0-9]*\)\]).*/\1 \2 \3/p' <<<"$PLAN" | sort)
[ -n "$PLAN" ] || die "apt resolved nothing for ${WANT[*]}"
deb_file() { echo "$APTDIR/cache/archives/${1}_${2//:/%3a}_${3}.deb"; }
missing_debs() {
    local n v a
    while read -r n v a; do [ -f "$(deb_file "$n" "$v" "$a")" ] || echo "$n"; done <<<"$PLAN"
}

if [ -n "$(missing_debs)" ]; then
    say "downloading: ${WANT[*]} and their dependencies ($ARCH)"
    if ! apt_get install --download-only -y "${WANT[@]}" >"$WORK/apt-download.log" 2>&1; then
        say "download failed; refreshing the package indexes once and retrying"
        update_indexes
        apt_get install --download-only -y "${WANT[@]}" >"$WORK/apt-download.log" 2>&1 || {
            cat "$WORK/apt-download.log" >&2
            die "downloading packages from $MIRROR failed (network or mirror problem, see above)"
        }
    fi
    [ -z "$(missing_debs)" ] || die "apt did not leave these packages in $APTDIR/cache/archives: $(missing_debs | xargs)"
fi

# ------------------------------------------------------------------ manifest and extraction
MANIFEST_NEW=$(
    echo "# hspt bench, native column: packages for $ARCH from $(grep -o 'http[^ ]* [^ ]*' "$APTDIR/etc/sources.list" | xargs | sed 's/ \(http\)/, \1/g')"
    echo "# package version architecture sha256 file"
    while read -r n v a; do
        f=$(deb_file "$n" "$v" "$a")
        echo "$n $v $a $(sha256sum <"$f" | cut -d' ' -f1) $(basename "$f")"
    done <<<"$PLAN"
)
if [ ! -f "$OUT/manifest-native.txt" ] || [ "$(cat "$OUT/manifest-native.txt")" != "$MANIFEST_NEW" ]; then
    printf '%s\n' "$MANIFEST_NEW" >"$OUT/manifest-native.txt"
fi
if [ "$FORCE" = 1 ] || [ ! -f "$ROOTFS/.manifest" ] || ! cmp -s "$ROOTFS/.manifest" "$OUT/manifest-native.txt"; then
    say "extracting packages into $ROOTFS"
    rm -rf "$ROOTFS"
    mkdir -p "$ROOTFS"
    while read -r n v a; do
        dpkg-deb -x "$(deb_file "$n" "$v" "$a")" "$ROOTFS"
    done <<<"$PLAN"
    cp "$OUT/manifest-native.txt" "$ROOTFS/.manifest"
fi
for f in bin/busybox usr/bin/lua5.4 usr/bin/xz bin/gzip usr/bin/sqlite3 usr/bin/7zz lib64/ld-linux-x86-64.so.2; do
    [ -e "$ROOTFS/$f" ] || die "$ROOTFS/$f is missing after extraction"
done
say "ready: $ARCH programs in $ROOTFS ($(awk '$1 == "busybox-static" || $1 == "xz-utils" || $1 == "7zip" { printf "%s %s; ", $1, $2 }' "$OUT/manifest-native.txt"))"
