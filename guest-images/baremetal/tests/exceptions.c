/* exceptions: taking and returning from synchronous exceptions.
 * - SVC with immediates read back from the instruction (ARM 24-bit, Thumb
 *   8-bit), arguments and results passed in the saved registers, SPSR
 *   contents (mode, T, flags), a handler that edits the saved flags.
 * - Undefined Instruction: UDF (ARM; Thumb 16- and 32-bit) and an access to
 *   an absent coprocessor (cp5), skipped by the handler (LR_und = insn + 4 in ARM, + 2 in Thumb even for 32-bit UDF.W);
 *   a VFP instruction with FPEXC.EN = 0 trapped, the handler enables the VFP
 *   and re-executes it (lazy FPU switching, as an OS does).
 * - Prefetch Abort from BKPT (IFSR debug event) and Data Aborts from
 *   alignment faults (unaligned LDREX/STREX/LDM, and LDR with SCTLR.A = 1):
 *   DFSR status and WnR, DFAR, LR_abt = insn + 8.
 * - The CPSR seen by each handler (mode, I/A/F masks, T = 0) and that the
 *   interrupted state comes back intact after the exception return. */
#include "rt.h"

static volatile int n_exc;
static volatile int last_type;
static volatile uint32_t last_cpsr, last_spsr, last_insn, last_fsr, last_far, last_len;
static volatile int lazy_vfp;

static uint32_t read_insn(uint32_t addr, int thumb, uint32_t *len)
{
    if (!thumb) {
        *len = 4;
        return *(volatile uint32_t *)addr;
    }
    uint32_t hw1 = *(volatile uint16_t *)addr;
    if ((hw1 >> 11) >= 0x1d) {
        *len = 4;
        return hw1 << 16 | *(volatile uint16_t *)(addr + 2);
    }
    *len = 2;
    return hw1;
}

static uint32_t rd_dfsr(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c5, c0, 0" : "=r"(v)); return v; }
static uint32_t rd_dfar(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c6, c0, 0" : "=r"(v)); return v; }
static uint32_t rd_ifsr(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c5, c0, 1" : "=r"(v)); return v; }
static uint32_t rd_fpexc(void) { uint32_t v; __asm__ volatile("vmrs %0, fpexc" : "=r"(v)); return v; }
static void wr_fpexc(uint32_t v) { __asm__ volatile("vmsr fpexc, %0" : : "r"(v) : "memory"); }

int exc_handler(int type, struct exc_frame *f)
{
    int thumb = (f->spsr & CPSR_T) != 0;
    uint32_t addr, len, insn;
    n_exc++;
    last_type = type;
    last_cpsr = get_cpsr() & 0x1ff;
    last_spsr = f->spsr;
    switch (type) {
    case EXC_SVC:
        addr = f->pc - (thumb ? 2 : 4);
        insn = read_insn(addr, thumb, &len);
        last_insn = insn;
        switch (thumb ? insn & 0xff : insn & 0xffffff) {
        case 1: f->r[0] = f->r[0] + f->r[1]; break;
        case 2: f->r[0] = f->r[0] * f->r[1] + f->r[2] - f->r[3]; break;
        case 0x42: f->spsr = (f->spsr & 0x0fffffff) | 0x40000000; break;   /* set Z only */
        case 0xab: f->r[0] = f->r[12] ^ f->r[11]; f->r[12] = 0x12121212; break;
        default: f->r[0] = 0xdeadbeef; break;
        }
        return 1;
    case EXC_UND:
        addr = f->pc - (thumb ? 2 : 4);
        insn = read_insn(addr, thumb, &len);
        if (!(rd_fpexc() & 0x40000000)) {
            /* lazy VFP: enable and retry the same instruction */
            lazy_vfp++;
            wr_fpexc(0x40000000);
            f->pc = addr;
            last_insn = insn;
            return 1;
        }
        last_insn = insn;
        last_len = len;
        f->pc = addr + len;
        return 1;
    case EXC_PABT:
        addr = f->pc - 4;
        insn = read_insn(addr, thumb, &len);
        last_insn = insn;
        last_fsr = rd_ifsr();
        f->pc = addr + len;
        return 1;
    case EXC_DABT:
        addr = f->pc - 8;
        insn = read_insn(addr, thumb, &len);
        last_insn = insn;
        last_fsr = rd_dfsr();
        last_far = rd_dfar();
        f->pc = addr + len;
        return 1;
    }
    return 0;
}

static uint32_t aligned_buf[8] __attribute__((aligned(8))) = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };

int main(void)
{
    uint32_t r0, fl;
#ifdef __thumb__
    const uint32_t T = CPSR_T;
#else
    const uint32_t T = 0;
#endif
    __asm__ volatile("cpsie a");  /* so the handlers can show which exceptions set CPSR.A */

    /* ---- SVC ---- */
    {
        register uint32_t a0 __asm__("r0") = 40, a1 __asm__("r1") = 2;
        __asm__ volatile("svc #1" : "+r"(a0) : "r"(a1) : "lr", "memory");
        r0 = a0;
    }
    check_i32("svc #1 (r0 + r1)", (int32_t)r0, 42);
    check_u32("svc: handler CPSR (SVC, I and F set, A unchanged)", last_cpsr, 0xd3);
    check_u32("svc: SPSR mode|T", last_spsr & 0x3f, 0x13 | T);
#ifdef __thumb__
    check_u32("svc: insn", last_insn, 0xdf01);
#else
    check_u32("svc: insn", last_insn, 0xef000001);
#endif
    {
        register uint32_t a0 __asm__("r0") = 1000, a1 __asm__("r1") = 1000, a2 __asm__("r2") = 7, a3 __asm__("r3") = 3;
        __asm__ volatile("svc #2" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3) : "lr", "memory");
        r0 = a0;
    }
    check_i32("svc #2 (r0*r1 + r2 - r3)", (int32_t)r0, 1000004);
    /* Flags: set N,C,V and Q before the SVC; the handler replaces NZCV with Z. */
    __asm__ volatile("msr APSR_nzcvq, %1\n\tsvc #0x42\n\tmrs %0, APSR" : "=r"(fl) : "r"(0xb8000000u) : "lr", "cc", "memory");
    check_u32("svc: SPSR flags on entry", last_spsr & 0xf8000000u, 0xb8000000u);
    check_u32("svc: flags after return (handler set Z, Q kept)", fl & 0xf8000000u, 0x48000000u);
    {
        register uint32_t a0 __asm__("r0");
        register uint32_t a11 __asm__("r11") = 0x0f0f0f0f, a12 __asm__("r12") = 0xf0f0f0ff;
        __asm__ volatile("svc #0xab" : "=r"(a0), "+r"(a12) : "r"(a11) : "lr", "memory");
        uint32_t v0 = a0, v12 = a12;   /* copy before any call clobbers r0/r12 */
        check_u32("svc #0xab (r12 ^ r11)", v0, 0xfffffff0);
        check_u32("svc #0xab r12 written by handler", v12, 0x12121212);
    }

    /* ---- Undefined Instruction ---- */
    int before = n_exc;
#ifdef __thumb__
    __asm__ volatile("udf #0x42" : : : "memory");
    check_u32("udf #0x42 (16-bit) insn", last_insn, 0xde42);
    check_i32("udf 16-bit length", (int32_t)last_len, 2);
    __asm__ volatile("udf.w #0x1234" : : : "memory");
    check_u32("udf.w #0x1234 (32-bit) insn", last_insn, 0xf7f1a234);
    check_i32("udf.w length (LR_und = insn+2, handler adds 4)", (int32_t)last_len, 4);
#else
    __asm__ volatile("udf #0xabcd" : : : "memory");
    check_u32("udf #0xabcd insn", last_insn, 0xe7fabcfd);
    check_i32("udf length", (int32_t)last_len, 4);
#endif
    /* An access to a coprocessor that does not exist (cp5) is undefined too. */
    __asm__ volatile("mrc p5, 0, r0, c0, c0, 0" : : : "r0", "memory");
    check_u32("mrc p5 insn (cp5 absent)", last_insn & 0x0f00, 0x0500);
    check_u32("und: handler CPSR (UND, I and F set, A unchanged)", last_cpsr, 0xdb);
    check_u32("und: SPSR mode|T", last_spsr & 0x3f, 0x13 | T);
    #ifdef __thumb__
    check_i32("und: exceptions taken", n_exc - before, 3);
#else
    check_i32("und: exceptions taken", n_exc - before, 2);
#endif

    /* Lazy VFP: disable, use, get trapped, handler enables, insn re-executed. */
    {
        volatile double x = 1.25, y = 2.5;
        double z;
        wr_fpexc(0);
        before = n_exc;
        __asm__ volatile("vadd.f64 %P0, %P1, %P2" : "=w"(z) : "w"(x), "w"(y) : "memory");
        check_i32("lazy VFP: traps", lazy_vfp, 1);
        check_u32("lazy VFP: FPEXC.EN now", rd_fpexc(), 0x40000000);
        check_true("lazy VFP: result 3.75", z == 3.75);
        check_u32("lazy VFP: trapped insn is a cp10/cp11 one", last_insn & 0xe00, 0xa00);
    }

    /* ---- Prefetch Abort: BKPT ---- */
    __asm__ volatile("bkpt #0x12" : : : "memory");
    check_i32("bkpt: exception type (3 = prefetch abort)", last_type, EXC_PABT);
    check_u32("bkpt: IFSR status (debug event)", last_fsr & 0x40f, 0x002);
#ifdef __thumb__
    check_u32("bkpt: insn", last_insn, 0xbe12);
#else
    check_u32("bkpt: insn", last_insn, 0xe1200172);
#endif
    check_u32("pabt: handler CPSR (ABT, A, I and F set)", last_cpsr, 0x1d7);

    /* ---- Data Abort: alignment faults ---- */
    {
        uint32_t v = 0x5a5a5a5a, st = 7;
        uint32_t p = (uint32_t)aligned_buf + 1;
        __asm__ volatile("ldrex %0, [%1]" : "+r"(v) : "r"(p) : "memory");
        check_i32("ldrex unaligned: type (4 = data abort)", last_type, EXC_DABT);
        check_u32("ldrex unaligned: DFSR (alignment, read)", last_fsr & 0xc0f, 0x001);
        check_u32("ldrex unaligned: DFAR", last_far - (uint32_t)aligned_buf, 1);
        check_u32("ldrex unaligned: destination untouched", v, 0x5a5a5a5a);
        check_u32("dabt: handler CPSR (ABT, A, I and F set)", last_cpsr, 0x1d7);
        check_u32("dabt: SPSR mode|T", last_spsr & 0x3f, 0x13 | T);
        /* (An unaligned STREX is not tested: whether the monitor check comes
         * before the alignment check is IMPLEMENTATION DEFINED, and QEMU
         * fails the STREX without faulting.) */
        p = (uint32_t)aligned_buf + 2;
        {
            register uint32_t x2 __asm__("r2") = st, x3 __asm__("r3") = v;
            __asm__ volatile("stm %0, {%1, %2}" : : "r"(p), "r"(x2), "r"(x3) : "memory");
        }
        check_u32("stm unaligned: DFSR (alignment, write)", last_fsr & 0xc0f, 0x801);
        check_u32("stm unaligned: DFAR", last_far - (uint32_t)aligned_buf, 2);
        uint64_t dw = 0x0123456789abcdefull;
        p = (uint32_t)aligned_buf + 6;
        __asm__ volatile("ldrd %Q0, %R0, [%1]" : "+r"(dw) : "r"(p) : "memory");
        check_u32("ldrd unaligned: DFSR", last_fsr & 0xc0f, 0x001);
        check_u32("ldrd unaligned: DFAR", last_far - (uint32_t)aligned_buf, 6);
        check_u64("ldrd unaligned: registers untouched", dw, 0x0123456789abcdefull);
        register uint32_t a __asm__("r2") = 1, b __asm__("r3") = 2;
        p = (uint32_t)aligned_buf + 2;
        __asm__ volatile("ldm %2, {%0, %1}" : "+&r"(a), "+&r"(b) : "r"(p) : "memory");
        uint32_t ab_ok = a == 1 && b == 2;
        check_u32("ldm unaligned: DFSR", last_fsr & 0xc0f, 0x001);
        check_u32("ldm unaligned: DFAR", last_far - (uint32_t)aligned_buf, 2);
        check_true("ldm unaligned: registers untouched", ab_ok);

        /* SCTLR.A = 1: a plain unaligned LDR faults too. */
        uint32_t sctlr;
        __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(sctlr));
        __asm__ volatile("mcr p15, 0, %0, c1, c0, 0\n\tisb" : : "r"(sctlr | 2) : "memory");
        p = (uint32_t)aligned_buf + 3;
        v = 0x77;
        before = n_exc;
        __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(p) : "memory");
        uint32_t fsr1 = last_fsr, far1 = last_far;
        p = (uint32_t)aligned_buf + 1;
        __asm__ volatile("strh %0, [%1]" : : "r"(v), "r"(p) : "memory");
        uint32_t fsr2 = last_fsr, far2 = last_far;
        __asm__ volatile("ldrb %0, [%1]" : "=r"(v) : "r"(p) : "memory");   /* bytes never fault */
        __asm__ volatile("mcr p15, 0, %0, c1, c0, 0\n\tisb" : : "r"(sctlr) : "memory");
        check_i32("SCTLR.A=1: faults taken", n_exc - before, 2);
        check_u32("SCTLR.A=1 ldr: DFSR", fsr1 & 0xc0f, 0x001);
        check_u32("SCTLR.A=1 ldr: DFAR", far1 - (uint32_t)aligned_buf, 3);
        check_u32("SCTLR.A=1 strh: DFSR", fsr2 & 0xc0f, 0x801);
        check_u32("SCTLR.A=1 strh: DFAR", far2 - (uint32_t)aligned_buf, 1);
        check_u32("SCTLR.A=1 ldrb", v, 0x11);
    }
    check_u32("buffer unchanged", aligned_buf[0] ^ aligned_buf[1] ^ aligned_buf[2] ^ aligned_buf[3], 0x44444444);
    #ifdef __thumb__
    check_i32("total exceptions", n_exc, 15);
#else
    check_i32("total exceptions", n_exc, 14);
#endif

    return finish("exceptions");
}
