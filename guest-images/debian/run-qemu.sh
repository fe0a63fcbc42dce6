#!/usr/bin/env bash
# Boot the Debian armhf kernel with an initramfs under qemu-system-arm (the reference for hspt).
#
#   run-qemu.sh [options] [INITRAMFS]       (default INITRAMFS: out/initramfs.cpio.gz, an interactive shell)
#
#   --script NAME     add hspt.script=NAME to the command line (runs /workloads/NAME[.sh] in the guest)
#   --append ARGS     more kernel command line after the default "console=ttyAMA0 cryptomgr.notests quiet panic=-1"
#   --kernel FILE     kernel (default out/vmlinuz)
#   -m MIB            guest RAM (default 512)
#   --time            report on stderr when /init's first marker line appeared, when the workload ended and
#                     when QEMU exited (seconds since QEMU was started); exit with the workload's status
#   --timeout SECS    stop QEMU after SECS seconds (exit status 124)
#   --dumpdtb FILE    write the device tree QEMU would pass to the kernel, and exit
#   --qemu ARG        pass ARG to qemu-system-arm (repeatable)
#
# Guest console output goes to stdout, nothing else does. Examples:
#   run-qemu.sh out/initramfs-smoke.cpio.gz            # runs the smoke workload and powers off
#   run-qemu.sh --time out/initramfs-smoke.cpio.gz >console.txt
#   run-qemu.sh                                        # interactive shell (Ctrl-A x quits QEMU)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KERNEL=$HERE/out/vmlinuz
INITRD=
APPEND="console=ttyAMA0 cryptomgr.notests quiet panic=-1"
MEM=512
TIME=0
TIMEOUT=0
DUMPDTB=
QEMU_EXTRA=()
while [ $# -gt 0 ]; do
    case $1 in
        --script) APPEND="$APPEND hspt.script=${2:?}"; shift 2 ;;
        --append) APPEND="$APPEND ${2:?}"; shift 2 ;;
        --kernel) KERNEL=${2:?}; shift 2 ;;
        -m) MEM=${2:?}; shift 2 ;;
        --time) TIME=1; shift ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --dumpdtb) DUMPDTB=${2:?}; shift 2 ;;
        --qemu) QEMU_EXTRA+=("${2:?}"); shift 2 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run-qemu.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
        *) [ -z "$INITRD" ] || { echo "run-qemu.sh: more than one initramfs given" >&2; exit 2; }
           INITRD=$1; shift ;;
    esac
done
INITRD=${INITRD:-$HERE/out/initramfs.cpio.gz}
command -v qemu-system-arm >/dev/null || { echo "run-qemu.sh: qemu-system-arm not found (apt-get install qemu-system-arm)" >&2; exit 1; }
for f in "$KERNEL" "$INITRD"; do
    [ -f "$f" ] || { echo "run-qemu.sh: $f not found (run $HERE/fetch.sh first)" >&2; exit 1; }
done

MACHINE=virt,highmem=off
[ -z "$DUMPDTB" ] || MACHINE="virt,dumpdtb=$DUMPDTB"
# highmem=off: no PCIe ECAM above 4 GiB, which this non-LPAE kernel cannot reach (it complains otherwise);
# -nodefaults: no NIC or other default devices, so the guest sees only the board (closest to hspt's machine);
# -no-reboot: a guest reboot or panic (panic=-1) ends QEMU instead of looping
CMD=(qemu-system-arm -M "$MACHINE" -cpu cortex-a15 -smp 1 -m "$MEM" -nodefaults -no-reboot
     -display none -serial mon:stdio
     -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" "${QEMU_EXTRA[@]}")
[ "$TIMEOUT" = 0 ] || CMD=(timeout -k 5 "$TIMEOUT" "${CMD[@]}")

if [ -n "$DUMPDTB" ]; then
    "${CMD[@]}" </dev/null
    exit
fi
if [ "$TIME" = 0 ]; then
    exec "${CMD[@]}"
fi

# --time: copy the console line by line (byte for byte) and note when the marker lines pass
start=$EPOCHREALTIME
t_init= t_end= wstatus=
set +e
{ "${CMD[@]}"; echo $? >"${TMPDIR:-/tmp}/run-qemu.$$.rc"; } | {
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\n' "$line"
        case $line in
            HSPT-WORKLOAD-BEGIN*|"hspt: interactive shell"*) [ -n "$t_init" ] || t_init=$EPOCHREALTIME ;;
            HSPT-WORKLOAD-END*) t_end=$EPOCHREALTIME; wstatus=${line##*status=}; wstatus=${wstatus%$'\r'} ;;
        esac
    done
    t_exit=$EPOCHREALTIME
    rel() { [ -n "$1" ] && awk -v a="$start" -v b="$1" 'BEGIN { printf "%.2f s", b - a }' || echo "never"; }
    {
        echo "run-qemu.sh: /init started (first marker line): $(rel "$t_init")"
        echo "run-qemu.sh: workload ended: $(rel "$t_end")${wstatus:+ (status $wstatus)}"
        [ -z "$t_init" ] || [ -z "$t_end" ] ||
            echo "run-qemu.sh: workload wall time: $(awk -v a="$t_init" -v b="$t_end" 'BEGIN { printf "%.2f s", b - a }')"
        echo "run-qemu.sh: QEMU exited: $(rel "$t_exit")"
    } >&2
    echo "${wstatus:-}" >"${TMPDIR:-/tmp}/run-qemu.$$.ws"
}
rc=$(cat "${TMPDIR:-/tmp}/run-qemu.$$.rc" 2>/dev/null || echo 1)
ws=$(cat "${TMPDIR:-/tmp}/run-qemu.$$.ws" 2>/dev/null || true)
rm -f "${TMPDIR:-/tmp}/run-qemu.$$.rc" "${TMPDIR:-/tmp}/run-qemu.$$.ws"
[ "$rc" = 0 ] || exit "$rc"
exit "${ws:-0}"
