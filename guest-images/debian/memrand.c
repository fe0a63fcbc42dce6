/* memrand: a memory-heavy random-access program for `hspt bench` (workload "memrand").
 *
 *   memrand [MIB [STEPS]]      defaults: 64 MiB, 4000000 steps
 *
 * Allocates MIB MiB of 32-bit words, writes every word (so every page is touched once, in order), then does
 * STEPS read-modify-writes at pseudo-random word indexes. Each index depends on the value loaded by the step
 * before (a dependent chain: the next address is not known until the previous load completes), so the cost
 * of reaching memory -- host TLB, the emulator's translation -- shows up instead of being overlapped. The
 * working set is the whole array: with 64 MiB it is 16384 pages, far beyond the reach of a 256-entry software
 * TLB (1 MiB) and of the host's own TLB.
 *
 * Prints a checksum of the final array (deterministic: it depends only on MIB and STEPS) and, on a line
 * starting "HSPT-BENCH-INFO", the time of each phase by CLOCK_MONOTONIC (not deterministic).
 *
 * Built statically for the guest by build-initramfs.sh (arm-linux-gnueabihf-gcc -O2 -static), and for the
 * host by `hspt bench` for the native column.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    unsigned long mib = argc > 1 ? strtoul(argv[1], 0, 0) : 64;
    unsigned long steps = argc > 2 ? strtoul(argv[2], 0, 0) : 4000000;
    if (mib == 0 || mib > 1024 || (mib & (mib - 1)) != 0) {
        fprintf(stderr, "memrand: MIB must be a power of two from 1 to 1024\n");
        return 2;
    }
    uint32_t words = (uint32_t)(mib << 18); /* 4-byte words */
    uint32_t mask = words - 1;
    uint32_t *a = malloc((size_t)words * 4);
    if (!a) {
        fprintf(stderr, "memrand: cannot allocate %lu MiB\n", mib);
        return 1;
    }

    double t0 = now();
    for (uint32_t i = 0; i < words; i++)
        a[i] = i * 2654435761u;
    double t1 = now();

    /* An LCG for the step's own randomness, mixed with the loaded value, so each address depends on the
     * previous load. */
    uint32_t x = 12345, v = 0;
    for (unsigned long s = 0; s < steps; s++) {
        x = x * 1664525u + 1013904223u;
        uint32_t idx = (x ^ v) & mask;
        v = a[idx];
        a[idx] = v + x;
        v = v >> 7;
    }
    double t2 = now();

    uint32_t sum = 0;
    for (uint32_t i = 0; i < words; i++)
        sum = (sum ^ a[i]) * 16777619u;
    double t3 = now();

    printf("memrand: %lu MiB, %lu steps, checksum %08x\n", mib, steps, (unsigned)sum);
    printf("HSPT-BENCH-INFO memrand touch %.3f s, random %.3f s, checksum pass %.3f s\n", t1 - t0, t2 - t1,
           t3 - t2);
    return 0;
}
