#!/bin/sh
# Builds the difftest runner (build/runner), a static ARM Linux executable that
# runs test cases under `qemu-arm -cpu cortex-a15`. Used by runtime/tests/difftest.rs.
# Needs the Debian package gcc-arm-linux-gnueabihf (and libc6-dev-armhf-cross).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CC=${CROSS:-arm-linux-gnueabihf-}gcc
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "build.sh: $CC not found; install it with: apt-get install -y gcc-arm-linux-gnueabihf libc6-dev-armhf-cross" >&2
    exit 1
fi
mkdir -p "$here/build"
FLAGS="-mcpu=cortex-a15 -mfpu=vfpv3-d16 -mfloat-abi=hard -marm -O2 -Wall -Wextra"
$CC $FLAGS -static -Wl,--no-warn-rwx-segments -o "$here/build/runner.tmp.$$" "$here/runner.c" "$here/stub.S"
mv "$here/build/runner.tmp.$$" "$here/build/runner"
echo "built $here/build/runner"
