#!/usr/bin/env bash
# Fetch the Debian armhf guest (kernel + userland packages) and build the initramfs images.
#
#   guest-images/debian/fetch.sh [--update] [--force]
#
# Uses apt with its own sources list, lists, cache and an empty dpkg status under work/, so the host's apt
# configuration and package state are left alone. Safe to re-run: with everything in place it only checks
# and returns in a few seconds.
#   --update   refresh the package indexes (by default they are fetched once and then reused, which keeps the
#              package versions stable until you ask for newer ones)
#   --force    re-extract the packages and rebuild the images even if nothing changed
#
# Environment: HSPT_DEBIAN_MIRROR (default http://deb.debian.org/debian, as on the host),
#              HSPT_DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security; "none" to skip).
#
# Results in out/: vmlinuz (zImage), config (the kernel's .config), manifest.txt, initramfs.cpio.gz (interactive),
# initramfs-smoke.cpio.gz (runs workloads/smoke.sh and powers off), qemu-virt.dtb (if qemu-system-arm exists).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$HERE/work
OUT=$HERE/out
APTDIR=$WORK/apt
ROOTFS=$WORK/rootfs

SUITE=bookworm
MIRROR=${HSPT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${HSPT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
KERNEL_META=linux-image-armmp
PACKAGES=(busybox-static lua5.4 xz-utils sqlite3 gzip 7zip)

UPDATE=0
FORCE=0
for a in "$@"; do
    case $a in
        --update) UPDATE=1 ;;
        --force) FORCE=1 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "fetch.sh: unknown argument: $a (try --help)" >&2; exit 2 ;;
    esac
done

die() { echo "fetch.sh: ERROR: $*" >&2; exit 1; }
say() { echo "fetch.sh: $*" >&2; }

for tool in apt-get apt-cache dpkg-deb tar sha256sum python3; do
    command -v "$tool" >/dev/null || die "'$tool' is needed (Debian: apt-get install apt dpkg tar coreutils python3)"
done
[ -r "$KEYRING" ] || die "$KEYRING is missing (apt-get install debian-archive-keyring)"

mkdir -p "$APTDIR"/lists/partial "$APTDIR"/cache/archives/partial "$APTDIR"/etc/preferences.d "$OUT"
exec 9>"$WORK/.lock"
flock -n 9 || { say "another fetch.sh is running; waiting for it"; flock 9; }

# ------------------------------------------------------------------ apt with a private configuration
: >"$APTDIR/status.new"
[ -s "$APTDIR/status" ] || mv "$APTDIR/status.new" "$APTDIR/status"   # empty dpkg status: a bare system
rm -f "$APTDIR/status.new"
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
    -o APT::Architecture=armhf -o APT::Architectures=armhf
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

main_list() {   # the Packages index of the main suite, if apt has it
    local host=${MIRROR#*://}; host=${host%/}
    ls "$APTDIR/lists/${host//\//_}_dists_${SUITE}_main_binary-armhf_Packages"* 2>/dev/null | head -1
}

update_indexes() {
    say "downloading package indexes for armhf from $MIRROR ($SUITE, $SUITE-updates) and $SECURITY_MIRROR"
    local log=$WORK/apt-update.log
    apt_get update >"$log" 2>&1 || true     # apt-get update may fail for one source and still be usable
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
    UPDATED=1
else
    UPDATED=0
fi

# ------------------------------------------------------------------ resolve
resolve() {
    KERNEL_PKG=$(apt_cache depends "$KERNEL_META" 2>/dev/null |
                 sed -n 's/^ *Depends: \(linux-image-[^ ]*-armmp\)$/\1/p' | head -1)
    [ -n "$KERNEL_PKG" ] || die "cannot resolve $KERNEL_META to a kernel package (is the index complete?)"
    # "Inst NAME (VERSION SUITE [ARCH])" for everything a bare system needs for PACKAGES
    PLAN=$(apt_get -s install "${PACKAGES[@]}" 2>&1) || { echo "$PLAN" >&2; die "apt cannot resolve ${PACKAGES[*]}"; }
    PLAN=$(sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) [^[]*\[\([a-z0-9]*\)\]).*/\1 \2 \3/p' <<<"$PLAN")
    local kinfo
    kinfo=$(apt_cache show --no-all-versions "$KERNEL_PKG")
    PLAN="$PLAN
$KERNEL_PKG $(sed -n 's/^Version: //p' <<<"$kinfo") $(sed -n 's/^Architecture: //p' <<<"$kinfo")"
    PLAN=$(sort <<<"$PLAN")
}
deb_file() { echo "$APTDIR/cache/archives/${1}_${2//:/%3a}_${3}.deb"; }
missing_debs() {
    local n v a
    while read -r n v a; do [ -f "$(deb_file "$n" "$v" "$a")" ] || echo "$n"; done <<<"$PLAN"
}

download() {
    say "downloading: ${PACKAGES[*]} and their dependencies, $KERNEL_PKG"
    apt_get install --download-only -y "${PACKAGES[@]}" >"$WORK/apt-download.log" 2>&1 &&
        (cd "$APTDIR/cache/archives" && apt_get download "$KERNEL_PKG") >>"$WORK/apt-download.log" 2>&1
}

resolve
if [ -n "$(missing_debs)" ]; then
    if ! download; then
        if [ "$UPDATED" = 0 ]; then
            say "download failed; the package indexes may be stale, refreshing them"
            update_indexes; UPDATED=1; resolve
            download || { cat "$WORK/apt-download.log" >&2; die "downloading packages from $MIRROR failed (network or mirror problem, see above)"; }
        else
            cat "$WORK/apt-download.log" >&2
            die "downloading packages from $MIRROR failed (network or mirror problem, see above)"
        fi
    fi
    [ -z "$(missing_debs)" ] || die "apt did not leave these packages in $APTDIR/cache/archives: $(missing_debs | xargs)"
fi

# ------------------------------------------------------------------ manifest
KREL=${KERNEL_PKG#linux-image-}
MANIFEST_NEW=$(
    echo "# hspt Debian armhf guest: packages for armhf from $(grep -o 'http[^ ]* [^ ]*' "$APTDIR/etc/sources.list" | xargs | sed 's/ \(http\)/, \1/g')"
    echo "# kernel $KERNEL_PKG (kernel release $KREL), via $KERNEL_META"
    echo "# package version architecture sha256 file"
    while read -r n v a; do
        f=$(deb_file "$n" "$v" "$a")
        echo "$n $v $a $(sha256sum <"$f" | cut -d' ' -f1) $(basename "$f")"
    done <<<"$PLAN"
)
if [ ! -f "$OUT/manifest.txt" ] || [ "$(cat "$OUT/manifest.txt")" != "$MANIFEST_NEW" ]; then
    printf '%s\n' "$MANIFEST_NEW" >"$OUT/manifest.txt"
fi

# ------------------------------------------------------------------ extract
if [ "$FORCE" = 1 ] || [ ! -f "$ROOTFS/.manifest" ] || ! cmp -s "$ROOTFS/.manifest" "$OUT/manifest.txt" ||
   [ ! -f "$OUT/vmlinuz" ]; then
    say "extracting packages into $ROOTFS"
    rm -rf "$ROOTFS" "$WORK/kernel"
    mkdir -p "$ROOTFS" "$WORK/kernel"
    while read -r n v a; do
        f=$(deb_file "$n" "$v" "$a")
        if [ "$n" = "$KERNEL_PKG" ]; then
            # only /boot: the modules are not needed (the armmp kernel has PL011, GIC, timer, PSCI built in)
            dpkg-deb --fsys-tarfile "$f" | tar -x -C "$WORK/kernel" ./boot
        else
            dpkg-deb -x "$f" "$ROOTFS"
        fi
    done <<<"$PLAN"
    cp "$WORK/kernel/boot/vmlinuz-$KREL" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
    cp "$WORK/kernel/boot/config-$KREL" "$OUT/config"
    cp "$WORK/kernel/boot/System.map-$KREL" "$OUT/System.map"
    cp "$OUT/manifest.txt" "$ROOTFS/.manifest"
fi

# kernel symbols for `hspt aot` (older trees extracted before this line existed)
[ -f "$OUT/System.map" ] || cp "$WORK/kernel/boot/System.map-$KREL" "$OUT/System.map"

# ------------------------------------------------------------------ initramfs images
STAMP=$( { cat "$OUT/manifest.txt" "$HERE/build-initramfs.sh" "$HERE/imgtool.py" "$HERE/init" \
               "$HERE/busybox-applets.txt" "$HERE/memrand.c" "$HERE"/workloads/*.sh; command -v qemu-arm || true; } | sha256sum)
if [ "$FORCE" = 1 ] || [ ! -f "$OUT/.images-stamp" ] || [ "$(cat "$OUT/.images-stamp")" != "$STAMP" ] ||
   [ ! -f "$OUT/initramfs.cpio.gz" ] || [ ! -f "$OUT/initramfs-smoke.cpio.gz" ]; then
    say "building initramfs images"
    "$HERE/build-initramfs.sh" -o "$OUT/initramfs.cpio.gz"
    "$HERE/build-initramfs.sh" --script "$HERE/workloads/smoke.sh" -o "$OUT/initramfs-smoke.cpio.gz"
    echo "$STAMP" >"$OUT/.images-stamp"
fi

# the device tree QEMU's virt board gives this kernel (a reference for hspt's generated DTB)
if command -v qemu-system-arm >/dev/null && { [ ! -f "$OUT/qemu-virt.dtb" ] ||
        [ "$OUT/initramfs-smoke.cpio.gz" -nt "$OUT/qemu-virt.dtb" ]; }; then
    "$HERE/run-qemu.sh" --dumpdtb "$OUT/qemu-virt.dtb" "$OUT/initramfs-smoke.cpio.gz" >/dev/null 2>&1 ||
        say "WARNING: could not dump QEMU's device tree"
fi

say "ready: kernel $KERNEL_PKG ($(sed -n "s/^$KERNEL_PKG \([^ ]*\) .*/\1/p" "$OUT/manifest.txt")), images in $OUT"
