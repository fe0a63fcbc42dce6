#!/usr/bin/env bash
# Build an initramfs (gzip'd newc cpio) for the hspt Debian armhf guest from the packages fetch.sh extracted.
#
#   build-initramfs.sh [--script FILE] [--program PATH]... -o OUT.cpio.gz
#
#   --script FILE   embed FILE as /workload.sh: /init runs it at boot, prints marker lines and powers off
#   --program PATH  also include PATH (relative to the extracted rootfs, e.g. usr/bin/lua5.4) with the
#                   shared libraries it needs; repeatable
#
# The image holds busybox-static as /bin/busybox with its applet links, the programs listed below with their
# shared libraries and the dynamic loader (/lib/ld-linux-armhf.so.3), every script in workloads/ under
# /workloads, mount points /dev /proc /sys /tmp, init (this folder's init, as /init), and /usr/bin/memrand
# (memrand.c, built here with arm-linux-gnueabihf-gcc -O2 -static; left out with a warning when that compiler
# is missing). Reproducible: the same inputs give the same bytes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOTFS=$HERE/work/rootfs

# programs from the Debian packages (paths inside the packages), and extra names for them
PROGRAMS=(usr/bin/lua5.4 usr/bin/xz bin/gzip usr/bin/sqlite3 usr/bin/7zz)
LINKS=(usr/bin/lua:lua5.4 usr/bin/unxz:xz usr/bin/xzcat:xz usr/bin/7z:7zz)

SCRIPT=
OUTPUT=
while [ $# -gt 0 ]; do
    case $1 in
        --script) SCRIPT=${2:?--script needs a file}; shift 2 ;;
        --program) PROGRAMS+=("${2:?--program needs a path}"); shift 2 ;;
        -o) OUTPUT=${2:?-o needs a file}; shift 2 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-initramfs.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done
die() { echo "build-initramfs.sh: ERROR: $*" >&2; exit 1; }
[ -n "$OUTPUT" ] || die "no output file given (-o OUT.cpio.gz)"
[ -z "$SCRIPT" ] || [ -f "$SCRIPT" ] || die "script $SCRIPT does not exist"
[ -x "$ROOTFS/bin/busybox" ] || die "$ROOTFS has no bin/busybox: run $HERE/fetch.sh first"
command -v python3 >/dev/null || die "python3 is needed"

mkdir -p "$HERE/work"
TREE=$(mktemp -d "$HERE/work/tree.XXXXXX")
trap 'rm -rf "$TREE"' EXIT

mkdir -p "$TREE"/{bin,sbin,usr/bin,usr/sbin,lib,dev,proc,sys,tmp,root,etc,run,workloads}
chmod 1777 "$TREE/tmp"
chmod 700 "$TREE/root"

# programs, their libraries and the loader, copied with the symlinks that lead to them
python3 "$HERE/imgtool.py" closure "$ROOTFS" bin/busybox "${PROGRAMS[@]}" >"$TREE.files"
(cd "$ROOTFS" && xargs -d '\n' cp -a --parents -t "$TREE") <"$TREE.files"
rm -f "$TREE.files"
for l in "${LINKS[@]}"; do
    [ -e "$TREE/$(dirname "${l%%:*}")/${l#*:}" ] && ln -sfn "${l#*:}" "$TREE/${l%%:*}"
done

# our own programs, built from source for the guest (statically: no libraries to collect)
CROSS_CC=${HSPT_CROSS_CC:-arm-linux-gnueabihf-gcc}
if command -v "$CROSS_CC" >/dev/null; then
    "$CROSS_CC" -O2 -static -Wall -o "$TREE/usr/bin/memrand" "$HERE/memrand.c" ||
        die "$CROSS_CC could not build memrand.c"
else
    echo "build-initramfs.sh: WARNING: $CROSS_CC not found (scripts/setup.sh installs it): no /usr/bin/memrand" >&2
fi

# busybox applet links (real programs win over applets of the same name)
if command -v qemu-arm >/dev/null && applets=$(qemu-arm "$ROOTFS/bin/busybox" --list-full 2>/dev/null) &&
   [ -n "$applets" ]; then
    :
else
    applets=$(grep -v '^#' "$HERE/busybox-applets.txt")
fi
while read -r a; do
    [ -n "$a" ] && [ "$a" != bin/busybox ] || continue
    [ -e "$TREE/$a" ] || [ -L "$TREE/$a" ] || ln -s /bin/busybox "$TREE/$a"
done <<<"$applets"

# init, workloads, a few files that programs expect
install -m 755 "$HERE/init" "$TREE/init"
for w in "$HERE"/workloads/*.sh; do install -m 755 "$w" "$TREE/workloads/"; done
if [ -n "$SCRIPT" ]; then
    install -m 755 "$SCRIPT" "$TREE/workload.sh"
    basename "$SCRIPT" >"$TREE/etc/hspt-workload-name"   # the name /init prints in its marker lines
fi
printf 'root::0:0:root:/root:/bin/sh\n' >"$TREE/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$TREE/etc/group"
printf 'hspt\n' >"$TREE/etc/hostname"
cat >"$TREE/etc/profile" <<'EOF'
export PS1='\h:\w\$ '
# busybox sh runs its applets before searching PATH; functions win over applets, so xz and gzip here
# are the Debian programs (busybox's own: busybox xz, busybox gzip)
xz() { /usr/bin/xz "$@"; }
gzip() { /bin/gzip "$@"; }
EOF
chmod 644 "$TREE"/etc/*

mkdir -p "$(dirname "$OUTPUT")"
python3 "$HERE/imgtool.py" cpio -o "$OUTPUT" "$TREE" --dev dev/console:c:5:1:600 --dev dev/null:c:1:3:666
echo "build-initramfs.sh: wrote $OUTPUT ($(du -k "$OUTPUT" | cut -f1) KiB)${SCRIPT:+ with /workload.sh from $SCRIPT}" >&2
