/*
 * difftest runner: runs hspt's differential test cases natively on an ARM
 * Linux machine or, as the test suite does, under `qemu-arm -cpu cortex-a15`.
 *
 * Reads cases from stdin (or the file named by argv[1]) and writes one result per
 * case to stdout. Formats (little-endian; see runtime/tests/difftest.rs):
 *   case:   u32 "CASE"; u32 flags (bit0 = Thumb); u32 code_addr; u32 code_len;
 *           state; u8 scratch[1024]; u8 code[code_len]
 *   result: u32 "RSLT" | u32 "FALT", u32 signal; state; u8 scratch[1024]
 *   state:  u32 r[15]; u32 apsr; u32 fpscr; u64 d[16]
 * Memory: scratch page at 0x48000000 (then a no-access guard page), code area
 * 0x49000000-0x4a000000, save stub at 0x49ff0000.
 * The case's code runs at code_addr, followed by a terminator that jumps to the
 * save routine at STUB (stub.S). A SIGILL/SIGSEGV/SIGBUS/SIGFPE/SIGTRAP in the
 * case is reported as FALT with the state at the faulting instruction, and a case
 * still running after 2 s as FALT with SIGALRM.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define SCRATCH 0x48000000u
#define SCRATCH_SIZE 0x1000u
#define SCRATCH_CASE 1024u
#define GUARD (SCRATCH + SCRATCH_SIZE) /* no access: cases fault there on purpose */
#define CODE_AREA 0x49000000u
#define CODE_AREA_SIZE 0x01000000u
#define STUB 0x49ff0000u

#define MAGIC_CASE 0x45534143u
#define MAGIC_RSLT 0x544c5352u
#define MAGIC_FALT 0x544c4146u

#define STATE_WORDS (15 + 2 + 32)
#define APSR_MASK 0xf80f0000u

extern void run_case(const uint32_t *state);
extern char stub_start[], stub_end[], stub_save_area[], stub_target[];

static sigjmp_buf fault_jb;
static uint32_t fault_state[STATE_WORDS];

static void put32(uint32_t v) { fwrite(&v, 4, 1, stdout); }

static void die(const char *msg) {
    fprintf(stderr, "difftest runner: %s\n", msg);
    exit(2);
}

static inline void set_fpscr(uint32_t v) { __asm__ volatile("vmsr fpscr, %0" : : "r"(v)); }

/* The VFP registers at the fault, from the signal frame's uc_regspace. */
static void vfp_from_frame(const ucontext_t *uc, uint32_t *st) {
    const uint32_t *p = (const uint32_t *)uc->uc_regspace;
    const uint32_t *end = p + sizeof(uc->uc_regspace) / 4;
    while (p + 2 <= end && p[0] != 0) {
        uint32_t magic = p[0], size = p[1];
        if (magic == 0x56465001u) { /* VFP_MAGIC: user_vfp { u64 fpregs[32]; u32 fpscr; } */
            memcpy(&st[17], p + 2, 16 * 8);
            st[16] = p[2 + 64];
            return;
        }
        if (size < 8 || size & 3) break;
        p += size / 4;
    }
}

static void on_fault(int sig, siginfo_t *info, void *ctx) {
    (void)info;
    const ucontext_t *uc = ctx;
    const mcontext_t *m = &uc->uc_mcontext;
    uint32_t r[15] = {m->arm_r0, m->arm_r1, m->arm_r2, m->arm_r3, m->arm_r4, m->arm_r5, m->arm_r6, m->arm_r7,
                      m->arm_r8, m->arm_r9, m->arm_r10, m->arm_fp, m->arm_ip, m->arm_sp, m->arm_lr};
    memset(fault_state, 0, sizeof fault_state);
    memcpy(fault_state, r, sizeof r);
    fault_state[15] = m->arm_cpsr & APSR_MASK;
    vfp_from_frame(uc, fault_state);
    siglongjmp(fault_jb, sig);
}

/* Runs the prepared case; returns the state to report after writing the magic. */
static __attribute__((noinline)) const uint32_t *run_one(const uint32_t *state, uint32_t *save_area) {
    int sig = sigsetjmp(fault_jb, 1);
    if (sig == 0) {
        alarm(2); /* a case that never reaches its end is reported as SIGALRM */
        run_case(state);
        alarm(0);
        set_fpscr(0);
        save_area[15] &= APSR_MASK;
        put32(MAGIC_RSLT);
        return save_area;
    }
    alarm(0);
    set_fpscr(0);
    put32(MAGIC_FALT);
    put32((uint32_t)sig);
    return fault_state;
}

static uint8_t *read_all(FILE *f, size_t *len) {
    size_t cap = 1 << 20, n = 0;
    uint8_t *b = malloc(cap);
    if (!b) die("out of memory");
    for (;;) {
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap);
            if (!b) die("out of memory");
        }
        size_t k = fread(b + n, 1, cap - n, f);
        if (k == 0) break;
        n += k;
    }
    *len = n;
    return b;
}

static uint32_t rd32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

int main(int argc, char **argv) {
    FILE *in = stdin;
    if (argc > 1 && !(in = fopen(argv[1], "rb"))) die("cannot open input");
    size_t len;
    uint8_t *buf = read_all(in, &len);

    if (mmap((void *)SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
        (void *)SCRATCH)
        die("cannot map the scratch page");
    if (mmap((void *)GUARD, 0x1000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (void *)GUARD)
        die("cannot map the guard page");
    if (mmap((void *)CODE_AREA, CODE_AREA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (void *)CODE_AREA)
        die("cannot map the code area");
    memcpy((void *)STUB, stub_start, stub_end - stub_start);
    __builtin___clear_cache((char *)STUB, (char *)STUB + (stub_end - stub_start));
    uint32_t *save_area = (uint32_t *)(STUB + (stub_save_area - stub_start));
    uint32_t *target = (uint32_t *)(STUB + (stub_target - stub_start));

    static uint8_t altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL)) die("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP, SIGALRM};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL)) die("sigaction");

    size_t pos = 0;
    const size_t hdr = 16 + STATE_WORDS * 4 + SCRATCH_CASE;
    while (pos < len) {
        if (len - pos < hdr) die("truncated case");
        const uint8_t *c = buf + pos;
        if (rd32(c) != MAGIC_CASE) die("bad case magic");
        uint32_t flags = rd32(c + 4), code_addr = rd32(c + 8), code_len = rd32(c + 12);
        if (len - pos - hdr < code_len) die("truncated code");
        if (code_addr < CODE_AREA || code_addr + code_len + 16 > STUB) die("code outside the code area");
        int thumb = flags & 1;
        static uint32_t state[STATE_WORDS];
        memcpy(state, c + 16, sizeof state);
        memset((void *)SCRATCH, 0, SCRATCH_SIZE);
        memcpy((void *)SCRATCH, c + 16 + sizeof state, SCRATCH_CASE);
        uint8_t *code = (uint8_t *)code_addr;
        memcpy(code, c + hdr, code_len);
        /* Terminator: load the PC with STUB (ARM state). */
        uint32_t end = code_addr + code_len;
        if (thumb) {
            if (end & 2) {
                memcpy((void *)end, "\x00\xbf", 2); /* NOP */
                end += 2;
            }
            memcpy((void *)end, "\xdf\xf8\x00\xf0", 4); /* LDR.W PC, [PC, #0] */
        } else {
            memcpy((void *)end, "\x04\xf0\x1f\xe5", 4); /* LDR PC, [PC, #-4] */
        }
        uint32_t stub = STUB;
        memcpy((void *)(end + 4), &stub, 4);
        end += 8;
        __builtin___clear_cache((char *)code_addr, (char *)end);
        *target = code_addr | (thumb ? 1 : 0);

        const uint32_t *out = run_one(state, save_area);
        fwrite(out, 4, STATE_WORDS, stdout);
        fwrite((void *)SCRATCH, 1, SCRATCH_CASE, stdout);
        memset((void *)code_addr, 0, end - code_addr);
        pos += hdr + code_len;
    }
    fflush(stdout);
    return 0;
}
