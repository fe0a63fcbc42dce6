#!/bin/sh
# Runs one bare-metal guest under QEMU; the guest's console output (and nothing
# else) goes to stdout.  Usage: ./run-qemu.sh build/<name>-<isa>.elf
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 guest.elf" >&2
    exit 2
fi
exec timeout 30 qemu-system-arm -M virt -cpu cortex-a15 -m 128 -nographic \
    -monitor none -serial stdio -nodefaults -no-reboot -kernel "$1" </dev/null
