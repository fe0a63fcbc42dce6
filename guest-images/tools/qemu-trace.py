#!/usr/bin/env python3
"""Converts a QEMU ARM CPU log into hspt's --trace format, one line per instruction.

    qemu-system-arm -M virt -cpu cortex-a15 -nographic -kernel g.elf \
        -d exec,cpu,nochain -singlestep -D qemu.log
    (QEMU 8.1 and later: -accel tcg,one-insn-per-tb=on instead of -singlestep)
    guest-images/tools/qemu-trace.py qemu.log > qemu.trace
    hspt run --kernel g.elf --trace hspt.trace
    diff qemu.trace hspt.trace | head      # first divergence

Each output line is the state *before* an instruction: pc, mode, r0-r14, cpsr.
"""
import re
import sys

MODES = {0x10: "usr", 0x11: "fiq", 0x12: "irq", 0x13: "svc", 0x16: "mon", 0x17: "abt",
         0x1a: "hyp", 0x1b: "und", 0x1f: "sys"}


def main(path):
    regs = {}
    reg_re = re.compile(r"R(\d\d)=([0-9a-f]{8})")
    with open(path, errors="replace") as f:
        for line in f:
            for m in reg_re.finditer(line):
                regs[int(m.group(1))] = m.group(2)
            if line.startswith("PSR=") and len(regs) == 16:
                psr = int(line[4:12], 16)
                mode = MODES.get(psr & 0x1f, "???")
                rs = " ".join(f"r{i}={regs[i]}" for i in range(15))
                print(f"pc={regs[15]} {mode} {rs} cpsr={psr:08x}")
                regs = {}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
