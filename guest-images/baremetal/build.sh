#!/bin/sh
# Builds every bare-metal test guest twice (ARM and Thumb-2) into build/.
#   build/<name>-arm.elf  build/<name>-thumb.elf
# Usage: ./build.sh [name...]      (default: every tests/*.c)
# Needs the Debian packages gcc-arm-linux-gnueabihf and libc6-dev-armhf-cross
# (only the compiler and libgcc are used; nothing from glibc is linked).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CROSS=${CROSS:-arm-linux-gnueabihf-}
CC=${CROSS}gcc
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "build.sh: $CC not found; install it with: apt-get install -y gcc-arm-linux-gnueabihf libc6-dev-armhf-cross" >&2
    exit 1
fi
out=$here/build
mkdir -p "$out/obj"

CPUFLAGS="-mcpu=cortex-a15 -mfpu=vfpv3-d16 -mfloat-abi=hard"
CFLAGS="$CPUFLAGS -masm-syntax-unified -O2 -g -ffreestanding -nostdlib -fno-pie -fno-common \
 -fno-unwind-tables -fno-asynchronous-unwind-tables -fno-stack-protector \
 -fno-tree-loop-distribute-patterns -fno-math-errno -ffp-contract=off -Wall -Wextra -Wno-unused-parameter -I$here/rt"
LDFLAGS="$CPUFLAGS -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-T,$here/rt/link.ld -Wl,--no-warn-rwx-segments"

if [ $# -gt 0 ]; then
    names="$*"
else
    names=$(cd "$here/tests" && ls *.c | sed 's/\.c$//')
fi

for isa in arm thumb; do
    o=$out/obj/$isa
    mkdir -p "$o"
    $CC $CFLAGS -marm -c "$here/rt/start.S" -o "$o/start.o"
    $CC $CFLAGS -m$isa -c "$here/rt/rt.c" -o "$o/rt.o"
    for n in $names; do
        objs="$o/start.o $o/rt.o"
        $CC $CFLAGS -m$isa -c "$here/tests/$n.c" -o "$o/$n.o"
        objs="$objs $o/$n.o"
        # Optional companion assembly: tests/<name>-asm.S (assembled in the same ISA).
        if [ -f "$here/tests/$n-asm.S" ]; then
            $CC $CFLAGS -m$isa -c "$here/tests/$n-asm.S" -o "$o/$n-asm.o"
            objs="$objs $o/$n-asm.o"
        fi
        $CC $LDFLAGS -m$isa $objs -lgcc -o "$out/$n-$isa.elf"
        echo "built build/$n-$isa.elf"
    done
done
