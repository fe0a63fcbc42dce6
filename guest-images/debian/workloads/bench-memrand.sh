#!/bin/sh
# hspt bench: memory-heavy random access in one process: memrand (guest-images/debian/memrand.c) touches a
# 64 MiB array, then does 12,000,000 dependent pseudo-random read-modify-writes across it, and prints a checksum.
# The working set (16384 pages) is far beyond a 256-entry software TLB's reach (1 MiB).
set -e
. "$(dirname "$0")/bench-lib.sh"
if [ -n "$R" ]; then
    memrand() { "${HSPT_NATIVE_MEMRAND:?natively, HSPT_NATIVE_MEMRAND names memrand built for the host}" "$@"; }
else
    memrand() { /usr/bin/memrand "$@"; }
fi
# the kernel command line may set other parameters: hspt.memrand=MIB,STEPS
mib=64 steps=12000000
if [ -z "$R" ]; then
    for a in $(cat /proc/cmdline); do
        case $a in hspt.memrand=*,*) a=${a#hspt.memrand=}; mib=${a%,*}; steps=${a#*,} ;; esac
    done
fi
bench_begin memrand
memrand "$mib" "$steps" >out.txt
bench_end memrand
cat out.txt
