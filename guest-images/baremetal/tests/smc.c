/* smc: self-modifying code with the architected maintenance: write new
 * instructions, clean the data cache to the point of unification (DCCMVAU),
 * DSB, invalidate the instruction cache (ICIMVAU, ICIALLU or ICIALLUIS) and
 * the branch predictor (BPIALL), DSB, ISB, then execute them.
 * - A buffer rewritten 1000 times at the same address with a different
 *   instruction each time: ARM, Thumb 16-bit and Thumb 32-bit, and ARM and
 *   Thumb code alternating at one address.
 * - One instruction changed in the middle of a 64-instruction function.
 * - Functions that straddle a 4 KiB page boundary (a Thumb 32-bit
 *   instruction split across it), with only the changed page invalidated.
 * - Code that patches the instruction it runs next, and a loop that rewrites
 *   its own body on every iteration (smc-asm.S, ARM and Thumb).
 * - With the MMU on: code written through the identity map and executed
 *   through virtual aliases (a section and small pages, two aliases of one
 *   page), and a remapped code page (TLBIMVA).
 * Everything printed is a sum over the values the generated code returned,
 * compared with the sum the C code computes. */
#include "rt.h"

#define SCRATCH 0x40800000u     /* code pages for the MMU part (RAM outside the image) */

#define MCR(crn, op1, crm, op2, v) __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : : "r"(v) : "memory")
#define MRC(crn, op1, crm, op2) ({ uint32_t _v; __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(_v) : : "memory"); _v; })

static inline void dsb(void) { __asm__ volatile("dsb" : : : "memory"); }
static inline void isb(void) { __asm__ volatile("isb" : : : "memory"); }

uint32_t smc_next_arm(uint32_t insn);
uint32_t smc_loop_arm(uint32_t n);
uint32_t smc_next_thumb(uint32_t insn);
uint32_t smc_next_thumb32(uint32_t hw1, uint32_t hw2);
uint32_t smc_loop_thumb(uint32_t n);

/* Encodings. */
static uint32_t arm_movw_r0(uint32_t imm) { return 0xe3000000u | (imm >> 12 & 0xf) << 16 | (imm & 0xfff); }
#define ARM_BX_LR 0xe12fff1eu
#define ARM_MOV_R0_0 0xe3a00000u
static uint32_t arm_add_r0(uint32_t imm8) { return 0xe2800000u | imm8; }
static uint32_t arm_mov_r0(uint32_t imm8) { return 0xe3a00000u | imm8; }
static uint16_t t16_movs_r0(uint32_t imm8) { return (uint16_t)(0x2000u | imm8); }
#define T16_BX_LR 0x4770u
static uint16_t t32_movw_r0_hw1(uint32_t imm) { return (uint16_t)(0xf240u | (imm >> 11 & 1) << 10 | (imm >> 12 & 0xf)); }
static uint16_t t32_movw_r0_hw2(uint32_t imm) { return (uint16_t)((imm >> 8 & 7) << 12 | (imm & 0xff)); }

/* Instruction-side maintenance after writing [wva, wva + len) that will be
 * executed at [xva, xva + len): variant 0 ICIMVAU per line, 1 ICIALLU,
 * 2 ICIALLUIS. */
static void sync_code(uint32_t wva, uint32_t xva, uint32_t len, int variant)
{
    for (uint32_t a = wva & ~31u; a < wva + len; a += 32)
        MCR(c7, 0, c11, 1, a);              /* DCCMVAU */
    dsb();
    if (variant == 0) {
        for (uint32_t a = xva & ~31u; a < xva + len; a += 32)
            MCR(c7, 0, c5, 1, a);           /* ICIMVAU */
    } else if (variant == 1) {
        MCR(c7, 0, c5, 0, 0);               /* ICIALLU */
    } else {
        MCR(c7, 0, c1, 0, 0);               /* ICIALLUIS */
    }
    MCR(c7, 0, c5, 6, 0);                   /* BPIALL */
    dsb();
    isb();
}

static uint32_t call(uint32_t addr) { return ((uint32_t(*)(void))addr)(); }

static void w32(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static void w16(uint32_t a, uint32_t v) { *(volatile uint16_t *)a = (uint16_t)v; }

static uint32_t codebuf[2048] __attribute__((aligned(4096)));   /* two pages */

/* ---- MMU off ---- */

static void test_rewrite(void)
{
    uint32_t buf = (uint32_t)codebuf + 0x100;
    uint32_t sum = 0, want = 0;

    /* ARM: movw r0, #v; bx lr at one address, 1000 versions. */
    w32(buf + 4, ARM_BX_LR);
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t v = (i * 2654435761u) >> 16;
        w32(buf, arm_movw_r0(v));
        sync_code(buf, buf, 8, i % 3);
        sum += call(buf);
        want += v;
    }
    check_u32("ARM movw rewritten 1000 times: sum", sum, want);

    /* Thumb 16-bit: movs r0, #v; bx lr. */
    sum = want = 0;
    w16(buf + 2, T16_BX_LR);
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t v = (i * 7 + 3) & 0xff;
        w16(buf, t16_movs_r0(v));
        sync_code(buf, buf, 4, i % 3);
        sum += call(buf | 1);
        want += v;
    }
    check_u32("Thumb movs rewritten 1000 times: sum", sum, want);

    /* Thumb 32-bit: movw r0, #v; bx lr. */
    sum = want = 0;
    w16(buf + 4, T16_BX_LR);
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t v = (i * 40503u + 11) & 0xffff;
        w16(buf, t32_movw_r0_hw1(v));
        w16(buf + 2, t32_movw_r0_hw2(v));
        sync_code(buf, buf, 6, i % 3);
        sum += call(buf | 1);
        want += v;
    }
    check_u32("Thumb movw rewritten 1000 times: sum", sum, want);

    /* ARM and Thumb code in turn at one address. */
    sum = want = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t v = i * 3 + 1;
        if (i & 1) {
            w16(buf, t32_movw_r0_hw1(v));
            w16(buf + 2, t32_movw_r0_hw2(v));
            w16(buf + 4, T16_BX_LR);
            sync_code(buf, buf, 8, i % 3);
            sum += call(buf | 1);
        } else {
            w32(buf, arm_movw_r0(v));
            w32(buf + 4, ARM_BX_LR);
            sync_code(buf, buf, 8, i % 3);
            sum += call(buf);
        }
        want += v;
    }
    check_u32("ARM and Thumb alternating at one address: sum", sum, want);
}

/* A 64-instruction function: mov r0, #0; 62 x add r0, r0, #1; bx lr.
 * Each round changes one add in the middle to add #2 (and restores the
 * previous one), so the result is always 63 if the change is seen. */
static void test_long_function(void)
{
    uint32_t f = (uint32_t)codebuf + 0x400;
    w32(f, ARM_MOV_R0_0);
    for (int k = 1; k <= 62; k++)
        w32(f + 4 * k, arm_add_r0(1));
    w32(f + 4 * 63, ARM_BX_LR);
    sync_code(f, f, 256, 1);
    check_i32("64-instruction function", (int32_t)call(f), 62);
    uint32_t ok = 0, prev = 0;
    for (uint32_t i = 0; i < 300; i++) {
        uint32_t k = (i * 13) % 62 + 1;
        if (prev)
            w32(f + 4 * prev, arm_add_r0(1));
        w32(f + 4 * k, arm_add_r0(2));
        /* invalidate just the lines written */
        sync_code(f + 4 * k, f + 4 * k, 4, 0);
        if (prev)
            sync_code(f + 4 * prev, f + 4 * prev, 4, 0);
        ok += call(f) == 63;
        prev = k;
    }
    check_i32("one instruction changed in the middle, 300 rounds: right results", (int32_t)ok, 300);
    /* The last instruction before bx lr becomes mov r0, #200. */
    w32(f + 4 * 62, arm_mov_r0(200));
    sync_code(f + 4 * 62, f + 4 * 62, 4, 0);
    check_i32("last instruction replaced by mov r0, #200", (int32_t)call(f), 200);
}

/* Code across the boundary between codebuf's two pages. */
static void test_page_cross(void)
{
    uint32_t b = (uint32_t)codebuf + 0x1000;    /* second page */
    /* ARM: 2 instructions in page 1, 2 in page 2. */
    uint32_t f = b - 8;
    w32(f, arm_mov_r0(10));
    w32(f + 4, arm_add_r0(1));
    w32(b, arm_add_r0(100));
    w32(b + 4, ARM_BX_LR);
    sync_code(f, f, 16, 1);
    check_i32("ARM across a page boundary", (int32_t)call(f), 111);
    uint32_t ok = 0;
    for (uint32_t i = 0; i < 100; i++) {
        w32(b, arm_add_r0(i));
        sync_code(b, b, 4, 0);                  /* only the second page */
        ok += call(f) == 11 + i;
    }
    check_i32("ARM, second page rewritten, 100 rounds: right results", (int32_t)ok, 100);
    ok = 0;
    for (uint32_t i = 0; i < 100; i++) {
        w32(f, arm_mov_r0(i));
        sync_code(f, f, 4, 0);                  /* only the first page */
        ok += call(f) == i + 1 + 99;
    }
    check_i32("ARM, first page rewritten, 100 rounds: right results", (int32_t)ok, 100);

    /* Thumb: nop at -4, then a 32-bit movw split 2/2 across the boundary,
     * then bx lr. */
    f = b - 4;
    w16(f, 0xbf00);                             /* nop */
    w16(f + 2, t32_movw_r0_hw1(0x1234));
    w16(b, t32_movw_r0_hw2(0x1234));
    w16(b + 2, T16_BX_LR);
    sync_code(f, f, 8, 1);
    check_u32("Thumb movw split across a page boundary", call(f | 1), 0x1234);
    ok = 0;
    for (uint32_t i = 0; i < 100; i++) {
        uint32_t v = 0x1200 + i;                /* only the second halfword changes */
        w16(b, t32_movw_r0_hw2(v));
        sync_code(b, b, 2, 0);
        ok += call(f | 1) == v;
    }
    check_i32("Thumb, second halfword rewritten, 100 rounds: right results", (int32_t)ok, 100);
    ok = 0;
    for (uint32_t i = 0; i < 32; i++) {
        /* only the first halfword (imm4, i) changes; the second holds 0x263 */
        uint32_t v = (i & 15) << 12 | (i >> 4) << 11 | 0x263;
        w16(f + 2, t32_movw_r0_hw1(v));
        sync_code(f + 2, f + 2, 2, 0);
        ok += call(f | 1) == (v & 0xffff);
    }
    check_i32("Thumb, first halfword rewritten, 32 rounds: right results", (int32_t)ok, 32);
}

static void test_self_patching(const char *when)
{
    char what[96];
    uint32_t sum = 0, want = 0;
    for (uint32_t i = 0; i < 256; i++) {
        sum += smc_next_arm(arm_mov_r0(i));
        want += i;
    }
    snprintf(what, sizeof(what), "%s: ARM code patching its next instruction, 256 times: sum", when);
    check_u32(what, sum, want);
    sum = 0;
    for (uint32_t i = 0; i < 256; i++)
        sum += smc_next_thumb(t16_movs_r0(i));
    snprintf(what, sizeof(what), "%s: Thumb code patching its next instruction, 256 times: sum", when);
    check_u32(what, sum, want);
    sum = want = 0;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t v = i * 251;
        sum += smc_next_thumb32(t32_movw_r0_hw1(v), t32_movw_r0_hw2(v));
        want += v;
    }
    snprintf(what, sizeof(what), "%s: Thumb code patching its next 32-bit instruction, 256 times: sum", when);
    check_u32(what, sum, want);
    want = 0;
    for (uint32_t i = 0; i < 1000; i++)
        want += (i * 37) & 0xff;
    snprintf(what, sizeof(what), "%s: ARM loop rewriting its own body, 1000 iterations: sum", when);
    check_u32(what, smc_loop_arm(1000), want);
    snprintf(what, sizeof(what), "%s: Thumb loop rewriting its own body, 1000 iterations: sum", when);
    check_u32(what, smc_loop_thumb(1000), want);
}

/* ---- MMU on ---- */

static uint32_t l1[4096] __attribute__((aligned(16384)));
static uint32_t l2[256] __attribute__((aligned(1024)));

#define SEC 0x2u
#define SEC_B (1u << 2)
#define SEC_C (1u << 3)
#define SEC_XN (1u << 4)
#define SEC_AP_RW (3u << 10)
#define SEC_NORMAL ((1u << 12) | SEC_C | SEC_B)      /* TEX=001 C B: write-back */
#define SEC_DEVICE (SEC_B | SEC_XN)
#define PG_SMALL 0x2u
#define PG_AP_RW (3u << 4)
#define PG_NORMAL ((1u << 6) | (1u << 3) | (1u << 2))

#define XA 0x80000000u          /* section alias of SCRATCH */
#define XB 0x90000000u          /* small-page aliases: page 0 and 2 -> SCRATCH, page 1 -> SCRATCH + 0x1000 */

static void test_mmu(void)
{
    for (uint32_t i = 0; i < 0x400; i++)
        l1[i] = i << 20 | SEC | SEC_DEVICE | SEC_AP_RW;
    for (uint32_t i = 0x400; i < 0x480; i++)
        l1[i] = i << 20 | SEC | SEC_NORMAL | SEC_AP_RW;
    l1[XA >> 20] = SCRATCH | SEC | SEC_NORMAL | SEC_AP_RW;
    l2[0] = SCRATCH | PG_SMALL | PG_NORMAL | PG_AP_RW;
    l2[1] = (SCRATCH + 0x1000) | PG_SMALL | PG_NORMAL | PG_AP_RW;
    l2[2] = SCRATCH | PG_SMALL | PG_NORMAL | PG_AP_RW;
    l1[XB >> 20] = (uint32_t)l2 | 0x1;
    dsb();
    MCR(c3, 0, c0, 0, 0x55555555u);             /* DACR: clients */
    MCR(c2, 0, c0, 2, 0);                       /* TTBCR */
    MCR(c2, 0, c0, 0, (uint32_t)l1);            /* TTBR0 */
    MCR(c8, 0, c7, 0, 0);                       /* TLBIALL */
    MCR(c7, 0, c5, 0, 0);                       /* ICIALLU */
    dsb();
    isb();
    uint32_t sctlr = MRC(c1, 0, c0, 0);
    MCR(c1, 0, c0, 0, sctlr | 1u | (1u << 2) | (1u << 12) | (1u << 11));   /* M, C, I, Z */
    isb();
    check_u32("SCTLR.M", MRC(c1, 0, c0, 0) & 1, 1);

    /* Written at SCRATCH + 0x100 (identity), executed at XA + 0x100. */
    uint32_t w = SCRATCH + 0x100, x = XA + 0x100;
    uint32_t sum = 0, want = 0;
    w32(w + 4, ARM_BX_LR);
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t v = (i * 2246822519u) >> 16;
        w32(w, arm_movw_r0(v));
        sync_code(w, x, 8, i % 3);
        sum += call(x);
        want += v;
    }
    check_u32("MMU on: ARM code written at the PA, run at a section alias, 1000 versions: sum", sum, want);

    /* Thumb through a small-page alias. */
    w = SCRATCH + 0x200;
    x = XB + 0x200;
    sum = want = 0;
    w16(w + 4, T16_BX_LR);
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t v = (i * 977u) & 0xffff;
        w16(w, t32_movw_r0_hw1(v));
        w16(w + 2, t32_movw_r0_hw2(v));
        sync_code(w, x, 6, i % 3);
        sum += call(x | 1);
        want += v;
    }
    check_u32("MMU on: Thumb code written at the PA, run at a page alias, 1000 versions: sum", sum, want);

    /* One physical page, three executable aliases. */
    w = SCRATCH + 0x300;
    uint32_t ok = 0;
    w32(w + 4, ARM_BX_LR);
    for (uint32_t i = 0; i < 200; i++) {
        w32(w, arm_movw_r0(i + 1000));
        sync_code(w, w, 8, 1);
        ok += call(XA + 0x300) == i + 1000;
        ok += call(XB + 0x300) == i + 1000;
        ok += call(XB + 0x2300) == i + 1000;
        ok += call(w) == i + 1000;
    }
    check_i32("MMU on: one page run at four addresses, 200 versions: right results", (int32_t)ok, 800);

    /* Written through one alias, run through another. */
    sum = want = 0;
    for (uint32_t i = 0; i < 200; i++) {
        w32(XA + 0x400, arm_movw_r0(i * 5));
        w32(XA + 0x404, ARM_BX_LR);
        sync_code(XA + 0x400, XB + 0x2400, 8, 0);
        sum += call(XB + 0x2400);
        want += i * 5;
    }
    check_u32("MMU on: written at one alias, run at another, 200 versions: sum", sum, want);

    /* Remapping the page under an executable VA (TLBIMVA, BPIALL, ISB). */
    w32(SCRATCH + 0x1500, arm_movw_r0(111));
    w32(SCRATCH + 0x1504, ARM_BX_LR);
    w32(SCRATCH + 0x3500, arm_movw_r0(222));
    w32(SCRATCH + 0x3504, ARM_BX_LR);
    sync_code(SCRATCH + 0x1500, SCRATCH + 0x1500, 8, 1);
    sync_code(SCRATCH + 0x3500, SCRATCH + 0x3500, 8, 1);
    ok = 0;
    for (uint32_t i = 0; i < 100; i++) {
        uint32_t pa = (i & 1) ? SCRATCH + 0x3000 : SCRATCH + 0x1000;
        l2[1] = pa | PG_SMALL | PG_NORMAL | PG_AP_RW;
        MCR(c7, 0, c10, 1, (uint32_t)&l2[1]);   /* DCCMVAC: the walker sees it */
        dsb();
        MCR(c8, 0, c7, 1, XB + 0x1000);         /* TLBIMVA */
        MCR(c7, 0, c5, 6, 0);                   /* BPIALL */
        dsb();
        isb();
        ok += call(XB + 0x1500) == ((i & 1) ? 222u : 111u);
    }
    check_i32("MMU on: code page remapped under its VA, 100 times: right results", (int32_t)ok, 100);

    test_self_patching("MMU on");

    MCR(c1, 0, c0, 0, sctlr);
    isb();
    MCR(c7, 0, c5, 0, 0);
    isb();
    check_u32("SCTLR.M after turning the MMU off", MRC(c1, 0, c0, 0) & 1, 0);
}

int main(void)
{
    test_rewrite();
    test_long_function();
    test_page_cross();
    test_self_patching("MMU off");
    test_mmu();
    return finish("smc");
}
