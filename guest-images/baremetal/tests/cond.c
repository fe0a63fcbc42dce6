/* cond: condition codes and conditional execution.
 * Every condition (EQ..LE, AL) under all 16 NZCV combinations, as a
 * conditionally executed MOV (ARM) / IT block (Thumb-2) and as a conditional
 * branch; multi-instruction IT blocks (ITTEE) against the ARM equivalent;
 * CBZ/CBNZ (Thumb); conditional flag-setting, loads and stores; flags from
 * CMP/CMN/TST/TEQ feeding conditions.  Each result is a 16-bit mask of the
 * flag combinations for which the instruction executed, compared with a C
 * model of the condition table. */
#include "rt.h"

#ifdef __thumb__
#define IT(c) "it " #c "\n\t"
#else
#define IT(c) ""
#endif

#define COND(c)                                                                 \
    static uint32_t mov_##c(uint32_t nzcv)                                      \
    {                                                                           \
        uint32_t r = 0;                                                         \
        __asm__ volatile("msr APSR_nzcvq, %1\n\t" IT(c) "mov" #c " %0, #1"      \
                         : "+r"(r) : "r"(nzcv << 28) : "cc");                   \
        return r;                                                               \
    }                                                                           \
    static uint32_t br_##c(uint32_t nzcv)                                       \
    {                                                                           \
        uint32_t r;                                                             \
        __asm__ volatile("msr APSR_nzcvq, %1\n\tb" #c " 1f\n\tmov %0, #0\n\tb 2f\n" \
                         "1:\tmov %0, #1\n2:"                                   \
                         : "=r"(r) : "r"(nzcv << 28) : "cc");                   \
        return r;                                                               \
    }
COND(eq) COND(ne) COND(cs) COND(cc) COND(mi) COND(pl) COND(vs) COND(vc)
COND(hi) COND(ls) COND(ge) COND(lt) COND(gt) COND(le)
#ifdef __thumb__
/* Thumb: an IT AL block is not accepted by the assembler; plain MOV and B. */
static uint32_t mov_al(uint32_t nzcv)
{
    uint32_t r = 0;
    __asm__ volatile("msr APSR_nzcvq, %1\n\tmov %0, #1" : "+r"(r) : "r"(nzcv << 28) : "cc");
    return r;
}
static uint32_t br_al(uint32_t nzcv)
{
    uint32_t r;
    __asm__ volatile("msr APSR_nzcvq, %1\n\tb 1f\n\tmov %0, #0\n\tb 2f\n1:\tmov %0, #1\n2:"
                     : "=r"(r) : "r"(nzcv << 28) : "cc");
    return r;
}
#else
COND(al)
#endif

struct cond { const char *name; uint32_t (*mov)(uint32_t); uint32_t (*br)(uint32_t); };
#define E(c) { #c, mov_##c, br_##c }
static const struct cond conds[15] = {
    E(eq), E(ne), E(cs), E(cc), E(mi), E(pl), E(vs), E(vc), E(hi), E(ls), E(ge), E(lt), E(gt), E(le), E(al),
};

static int model(int c, uint32_t nzcv)
{
    int n = (nzcv >> 3) & 1, z = (nzcv >> 2) & 1, cf = (nzcv >> 1) & 1, v = nzcv & 1;
    switch (c) {
    case 0: return z;
    case 1: return !z;
    case 2: return cf;
    case 3: return !cf;
    case 4: return n;
    case 5: return !n;
    case 6: return v;
    case 7: return !v;
    case 8: return cf && !z;
    case 9: return !cf || z;
    case 10: return n == v;
    case 11: return n != v;
    case 12: return !z && n == v;
    case 13: return z || n != v;
    default: return 1;
    }
}

/* ITTEE EQ / ARM equivalent: a = 1, b += 2 if EQ; c = 3, d += 4 otherwise. */
static uint32_t ittee(uint32_t nzcv)
{
    uint32_t a = 0, b = 10, c = 0, d = 20;
    __asm__ volatile("msr APSR_nzcvq, %4\n\t"
#ifdef __thumb__
                     "ittee eq\n\t"
#endif
                     "moveq %0, #1\n\t"
                     "addeq %1, %1, #2\n\t"
                     "movne %2, #3\n\t"
                     "addne %3, %3, #4"
                     : "+r"(a), "+r"(b), "+r"(c), "+r"(d) : "r"(nzcv << 28) : "cc");
    return a | b << 8 | c << 16 | d << 24;
}

/* Flag-setting instruction executed conditionally: only when it executes
 * do the flags change. */
static uint32_t cond_adds(uint32_t nzcv, uint32_t x)
{
    uint32_t f;
    __asm__ volatile("msr APSR_nzcvq, %2\n\t"
#ifdef __thumb__
                     "it cs\n\t"
#endif
                     "addscs %1, %1, #0x80000000\n\t"   /* Thumb: 32-bit ADDS inside IT */
                     "mrs %0, APSR"
                     : "=r"(f), "+r"(x) : "r"(nzcv << 28) : "cc");
    return f >> 28;
}

static uint32_t cond_ldst(uint32_t a, uint32_t b, volatile uint32_t *p)
{
    uint32_t r = 0;
    __asm__ volatile("cmp %1, %2\n\t"
#ifdef __thumb__
                     "ite gt\n\t"
#endif
                     "ldrgt %0, [%3]\n\t"
                     "strle %1, [%3, #4]"
                     : "+&r"(r) : "r"(a), "r"(b), "r"(p) : "cc", "memory");
    return r;
}

#ifdef __thumb__
static uint32_t cbz_test(uint32_t x)
{
    uint32_t r;
    __asm__ volatile("mov %0, #0\n\tcbz %1, 1f\n\tadd %0, %0, #1\n1:\tcbnz %1, 2f\n\tadd %0, %0, #2\n2:"
                     : "=&l"(r) : "l"(x) : "cc");
    return r;
}
#endif

static uint32_t cmp_flags(int op, uint32_t a, uint32_t b)
{
    uint32_t f;
    switch (op) {
    case 0: __asm__ volatile("cmp %1, %2\n\tmrs %0, APSR" : "=r"(f) : "r"(a), "r"(b) : "cc"); break;
    case 1: __asm__ volatile("cmn %1, %2\n\tmrs %0, APSR" : "=r"(f) : "r"(a), "r"(b) : "cc"); break;
    case 2: __asm__ volatile("tst %1, %2\n\tmrs %0, APSR" : "=r"(f) : "r"(a), "r"(b) : "cc"); break;
    default: __asm__ volatile("teq %1, %2\n\tmrs %0, APSR" : "=r"(f) : "r"(a), "r"(b) : "cc"); break;
    }
    return f >> 28;
}

int main(void)
{
    char what[48];
    for (int c = 0; c < 15; c++) {
        uint32_t mm = 0, mb = 0, em = 0;
        for (uint32_t f = 0; f < 16; f++) {
            mm |= conds[c].mov(f) << f;
            mb |= conds[c].br(f) << f;
            em |= (uint32_t)model(c, f) << f;
        }
        snprintf(what, sizeof(what), "mov%s mask", conds[c].name);
        check_u32(what, mm, em);
        snprintf(what, sizeof(what), "b%s mask", conds[c].name);
        check_u32(what, mb, em);
    }
    check_u32("ittee eq, Z=1", ittee(0x4), 0x14000c01);
    check_u32("ittee eq, Z=0", ittee(0xb), 0x18030a00);
    check_u32("addscs 0x80000000+0x80000000, C=1: NZCV", cond_adds(0x2, 0x80000000u), 0x7);
    check_u32("addscs skipped, C=0: NZCV kept", cond_adds(0x9, 0x80000000u), 0x9);
    volatile uint32_t mem[2] = { 0x1234, 0 };
    check_u32("ldrgt executed (5 > 3)", cond_ldst(5, 3, mem), 0x1234);
    check_u32("strle skipped", mem[1], 0);
    check_u32("ldrgt skipped (3 > 5)", cond_ldst(3, 5, mem), 0);
    check_u32("strle executed", mem[1], 3);
#ifdef __thumb__
    check_u32("cbz/cbnz (0)", cbz_test(0), 2);
    check_u32("cbz/cbnz (7)", cbz_test(7), 1);
#endif
    /* CMP/CMN/TST/TEQ flags on edge values. */
    static const uint32_t v[6] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x55555555 };
    uint32_t h = 0;
    for (int op = 0; op < 4; op++)
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                /* TST/TEQ without a shift leave C and V alone: keep N and Z only */
                h = h * 16 + (cmp_flags(op, v[i], v[j]) & (op >= 2 ? 0xc : 0xf)) + (h >> 28) * 7;
    check_u32("cmp/cmn/tst/teq flags digest", h, 0x8d17dc25);
    return finish("cond");
}
