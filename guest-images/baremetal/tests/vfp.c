/* vfp: VFPv3-D16 single and double precision.
 * Arithmetic (add/sub/mul/div/sqrt/abs/neg, vmla/vmls/vnmla/vnmls/vnmul),
 * conversions (int<->float/double, float<->double, u64/s64 via libgcc, the
 * VFPv3 fixed-point vcvt forms, vcvtr with the FPSCR rounding mode), vmov
 * immediates, comparisons and the vcmp/vcmpe flags (NaN unordered), FPSCR
 * cumulative exception flags, rounding modes, flush-to-zero and default NaN,
 * NaN propagation, denormals, and the d0-d15 / s0-s31 register file aliasing.
 * Values are checked as bit patterns against constants (IEEE 754 results,
 * cross-checked on the build machine with gen/host-run.sh for the portable
 * part). */
#include "rt.h"

static uint32_t fbits(float f) { union { float f; uint32_t u; } v = { .f = f }; return v.u; }
static uint64_t dbits(double d) { union { double d; uint64_t u; } v = { .d = d }; return v.u; }
static float bitsf(uint32_t u) { union { float f; uint32_t u; } v = { .u = u }; return v.f; }
static double bitsd(uint64_t u) { union { double d; uint64_t u; } v = { .u = u }; return v.d; }

/* volatile globals keep GCC from constant-folding */
static volatile float f1 = 1.0f, f3 = 3.0f, fpi = 3.14159265f, fm = -2.5f, fbig = 3.0e38f, ftiny = 1.0e-38f;
static volatile double d1 = 1.0, d3 = 3.0, dpi = 3.14159265358979323846, dm = -2.5, dbig = 1.0e308, dtiny = 1.0e-308;
static volatile int32_t i_neg = -123456789, i_max = INT32_MAX;
static volatile uint32_t u_big = 0xfffffff0u;
static volatile int64_t l_neg = -1234567890123456789ll;
static volatile uint64_t ul_big = 0xfedcba9876543210ull;

static __attribute__((noinline)) float fmla(float acc, float a, float b) { return acc + a * b; }
static __attribute__((noinline)) double dmls(double acc, double a, double b) { return acc - a * b; }
static __attribute__((noinline)) double dnmul(double a, double b) { return -(a * b); }

#ifndef HOST
/* "memory" clobbers plus noinline operations keep the FP work between the
 * FPSCR write and read. */
static inline uint32_t get_fpscr(void) { uint32_t v; __asm__ volatile("vmrs %0, fpscr" : "=r"(v) : : "memory"); return v; }
static inline void set_fpscr(uint32_t v) { __asm__ volatile("vmsr fpscr, %0" : : "r"(v) : "memory"); }

/* FPSCR bits */
#define IOC (1u << 0)
#define DZC (1u << 1)
#define OFC (1u << 2)
#define UFC (1u << 3)
#define IXC (1u << 4)
#define IDC (1u << 7)
#define FZ (1u << 24)
#define DN (1u << 25)
#define RMODE(x) ((uint32_t)(x) << 22)

static uint32_t flags_after_f(float (*fn)(float, float), float a, float b, uint32_t *res)
{
    set_fpscr(0);
    *res = fbits(fn(a, b));
    return get_fpscr() & 0x9f;
}
static __attribute__((noipa)) float op_div(float a, float b) { return a / b; }
static __attribute__((noipa)) float op_mul(float a, float b) { return a * b; }
static __attribute__((noipa)) float op_add(float a, float b) { return a + b; }
static __attribute__((noipa)) float op_sqrt(float a, float b) { (void)b; return __builtin_sqrtf(a); }

static uint32_t vcmp_flags(double a, double b, int e)
{
    uint32_t f;
    if (e)
        __asm__ volatile("vcmpe.f64 %P1, %P2\n\tvmrs APSR_nzcv, fpscr\n\tmrs %0, APSR" : "=r"(f) : "w"(a), "w"(b) : "cc");
    else
        __asm__ volatile("vcmp.f64 %P1, %P2\n\tvmrs APSR_nzcv, fpscr\n\tmrs %0, APSR" : "=r"(f) : "w"(a), "w"(b) : "cc");
    return f & 0xf0000000u;
}

static void arm_specific(void)
{
    uint32_t r, fl;
    volatile float z = 0.0f, inf = bitsf(0x7f800000), two = 2.0f, half = 0.5f;

    /* Cumulative exception flags. */
    fl = flags_after_f(op_div, f1, f3, &r);
    check_u32("1/3 fpscr flags (IXC)", fl, IXC);
    fl = flags_after_f(op_div, f1, z, &r);
    check_u32("1/0 result", r, 0x7f800000);
    check_u32("1/0 fpscr flags (DZC)", fl, DZC);
    fl = flags_after_f(op_div, z, z, &r);
    check_u32("0/0 result (default NaN)", r, 0x7fc00000);
    check_u32("0/0 fpscr flags (IOC)", fl, IOC);
    fl = flags_after_f(op_mul, fbig, fbig, &r);
    check_u32("3e38*3e38 result", r, 0x7f800000);
    check_u32("3e38*3e38 fpscr flags (OFC|IXC)", fl, OFC | IXC);
    fl = flags_after_f(op_mul, ftiny, ftiny, &r);
    check_u32("1e-38*1e-38 result", r, 0x00000000);
    check_u32("1e-38*1e-38 fpscr flags (UFC|IXC)", fl, UFC | IXC);
    fl = flags_after_f(op_sqrt, fm, fm, &r);
    check_u32("sqrt(-2.5) result", r, 0x7fc00000);
    check_u32("sqrt(-2.5) fpscr flags (IOC)", fl, IOC);
    fl = flags_after_f(op_add, inf, bitsf(0xff800000), &r);
    check_u32("inf+-inf fpscr flags (IOC)", fl, IOC);
    fl = flags_after_f(op_add, f1, f3, &r);
    check_u32("1+3 fpscr flags (none)", fl, 0);

    /* NaN propagation: quiet NaN payload kept, signalling NaN quietened. */
    fl = flags_after_f(op_add, bitsf(0x7fc12345), f1, &r);
    check_u32("qNaN(0x12345)+1", r, 0x7fc12345);
    check_u32("qNaN+1 flags", fl, 0);
    fl = flags_after_f(op_add, f1, bitsf(0x7f812345), &r);
    check_u32("1+sNaN(0x12345)", r, 0x7fc12345);
    check_u32("1+sNaN flags (IOC)", fl, IOC);
    fl = flags_after_f(op_mul, bitsf(0xffc00001), bitsf(0x7f800002), &r);
    check_u32("qNaN*sNaN (sNaN wins)", r, 0x7fc00002);
    set_fpscr(DN);
    r = fbits(op_add(bitsf(0x7fc12345), f1));
    check_u32("DN=1: qNaN+1 -> default NaN", r, 0x7fc00000);

    /* Flush-to-zero: denormal inputs and results become zero. */
    volatile float den = bitsf(0x00400000);   /* 2^-127, denormal */
    set_fpscr(0);
    check_u32("FZ=0: denormal*2", fbits(op_mul(den, two)), 0x00800000);
    set_fpscr(FZ);
    check_u32("FZ=1: denormal*2", fbits(op_mul(den, two)), 0x00000000);
    check_u32("FZ=1: flags (IDC)", get_fpscr() & 0x9f, IDC);
    set_fpscr(FZ);
    check_u32("FZ=1: 2^-126 * 0.5", fbits(op_mul(bitsf(0x00800000), half)), 0x00000000);
    check_u32("FZ=1: flags (UFC)", get_fpscr() & 0x9f, UFC);

    /* Rounding modes on 1/3 and -1/3, and vcvtr (uses RMode) vs vcvt (RZ). */
    static const char *const rm_names[4] = { "RN", "RP", "RM", "RZ" };
    static const uint32_t third[4] = { 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaaa };
    static const uint32_t mthird[4] = { 0xbeaaaaab, 0xbeaaaaaa, 0xbeaaaaab, 0xbeaaaaaa };
    static const int32_t cvtr[4][2] = { { 2, -2 }, { 3, -2 }, { 2, -3 }, { 2, -2 } };
    for (int m = 0; m < 4; m++) {
        char what[64];
        set_fpscr(RMODE(m));
        snprintf(what, sizeof(what), "%s: 1/3", rm_names[m]);
        check_u32(what, fbits(op_div(f1, f3)), third[m]);
        snprintf(what, sizeof(what), "%s: -1/3", rm_names[m]);
        check_u32(what, fbits(op_div(-f1, f3)), mthird[m]);
        float x = 2.5f, y = -2.5f;
        int32_t a, b, c;
        __asm__ volatile("vcvtr.s32.f32 %0, %1" : "=t"(x) : "t"(x));
        __asm__ volatile("vcvtr.s32.f32 %0, %1" : "=t"(y) : "t"(y));
        a = (int32_t)fbits(x);
        b = (int32_t)fbits(y);
        snprintf(what, sizeof(what), "%s: vcvtr.s32(2.5)", rm_names[m]);
        check_i32(what, a, cvtr[m][0]);
        snprintf(what, sizeof(what), "%s: vcvtr.s32(-2.5)", rm_names[m]);
        check_i32(what, b, cvtr[m][1]);
        x = -2.7f;
        __asm__ volatile("vcvt.s32.f32 %0, %1" : "=t"(x) : "t"(x));
        c = (int32_t)fbits(x);
        snprintf(what, sizeof(what), "%s: vcvt.s32(-2.7) (always RZ)", rm_names[m]);
        check_i32(what, c, -2);
    }
    set_fpscr(0);
    /* RN ties-to-even on a double add: 2^53 + 1 -> 2^53, 2^53 + 3 -> 2^53 + 4 */
    volatile double p53 = 9007199254740992.0;
    check_u64("2^53+1 (ties to even)", dbits(p53 + 1.0), 0x4340000000000000ull);
    check_u64("2^53+3 (ties to even)", dbits(p53 + 3.0), 0x4340000000000002ull);

    /* Out-of-range float->int conversions saturate (C leaves them undefined). */
    float big = 1e10f, nbig = -1e10f, nan = bitsf(0x7fc00000);
    uint32_t s1, s2, s3, s4, s5;
    __asm__ volatile("vcvt.s32.f32 %0, %1" : "=t"(big) : "t"(big));
    __asm__ volatile("vcvt.s32.f32 %0, %1" : "=t"(nbig) : "t"(nbig));
    __asm__ volatile("vcvt.s32.f32 %0, %1" : "=t"(nan) : "t"(nan));
    s1 = fbits(big); s2 = fbits(nbig); s3 = fbits(nan);
    float neg1 = -1.0f, u5 = 5e9f;
    __asm__ volatile("vcvt.u32.f32 %0, %1" : "=t"(neg1) : "t"(neg1));
    __asm__ volatile("vcvt.u32.f32 %0, %1" : "=t"(u5) : "t"(u5));
    s4 = fbits(neg1); s5 = fbits(u5);
    check_u32("vcvt.s32(1e10)", s1, 0x7fffffff);
    check_u32("vcvt.s32(-1e10)", s2, 0x80000000);
    check_u32("vcvt.s32(NaN)", s3, 0);
    check_u32("vcvt.u32(-1.0)", s4, 0);
    check_u32("vcvt.u32(5e9)", s5, 0xffffffff);

    /* VFPv3 fixed-point conversions (in place). */
    float fx = 3.140625f, fy = -1.5f;
    __asm__ volatile("vcvt.s32.f32 %0, %0, #16" : "+t"(fx));
    __asm__ volatile("vcvt.s16.f32 %0, %0, #8" : "+t"(fy));
    check_u32("vcvt.s32.f32 #16 (3.140625)", fbits(fx), 0x00032400);
    check_u32("vcvt.s16.f32 #8 (-1.5)", fbits(fy), 0xfffffe80);
    float fz = bitsf(0x00032400);
    __asm__ volatile("vcvt.f32.s32 %0, %0, #16" : "+t"(fz));
    check_u32("vcvt.f32.s32 #16 (0x32400)", fbits(fz), fbits(3.140625f));
    float fw = bitsf(0x0000ff80);
    __asm__ volatile("vcvt.f32.u16 %0, %0, #4" : "+t"(fw));
    check_u32("vcvt.f32.u16 #4 (0xff80)", fbits(fw), fbits(4088.0f));
    double dx = -2.75;
    __asm__ volatile("vcvt.s32.f64 %P0, %P0, #30" : "+w"(dx));
    check_u32("vcvt.s32.f64 #30 (-2.75) saturates", (uint32_t)dbits(dx), 0x80000000);
    dx = 0.999999;
    __asm__ volatile("vcvt.u32.f64 %P0, %P0, #32" : "+w"(dx));
    check_u32("vcvt.u32.f64 #32 (0.999999)", (uint32_t)dbits(dx), 0xffffef39);

    /* vmov immediates and core<->VFP moves. */
    float i1, i2;
    double i3;
    __asm__ volatile("vmov.f32 %0, #1.5" : "=t"(i1));
    __asm__ volatile("vmov.f32 %0, #-0.1875" : "=t"(i2));
    __asm__ volatile("vmov.f64 %P0, #31.0" : "=w"(i3));
    check_u32("vmov.f32 #1.5", fbits(i1), 0x3fc00000);
    check_u32("vmov.f32 #-0.1875", fbits(i2), 0xbe400000);
    check_u64("vmov.f64 #31.0", dbits(i3), 0x403f000000000000ull);
    uint32_t lo, hi;
    __asm__ volatile("vmov %0, %1, %P2" : "=r"(lo), "=r"(hi) : "w"(dpi));
    check_u32("vmov r,r,d (pi lo)", lo, 0x54442d18);
    check_u32("vmov r,r,d (pi hi)", hi, 0x400921fb);

    /* Comparisons: NZCV after vcmp. */
    check_u32("vcmp 1<3 flags", vcmp_flags(d1, d3, 0), 0x80000000);
    check_u32("vcmp 3>1 flags", vcmp_flags(d3, d1, 0), 0x20000000);
    check_u32("vcmp 1==1 flags", vcmp_flags(d1, d1, 0), 0x60000000);
    check_u32("vcmp NaN flags", vcmp_flags(bitsd(0x7ff8000000000000ull), d1, 0), 0x30000000);
    set_fpscr(0);
    (void)vcmp_flags(bitsd(0x7ff8000000000000ull), d1, 0);
    check_u32("vcmp qNaN: IOC", get_fpscr() & 0x9f, 0);
    set_fpscr(0);
    (void)vcmp_flags(bitsd(0x7ff8000000000000ull), d1, 1);
    check_u32("vcmpe qNaN: IOC", get_fpscr() & 0x9f, IOC);
    set_fpscr(0);

    /* Register file: s/d aliasing and vldm/vstm of d0-d15. */
    uint64_t in[16], out[16];
    uint32_t sout[4];
    for (int i = 0; i < 16; i++) in[i] = 0x0101010101010101ull * (uint64_t)(i + 1) ^ 0x8000000000000000ull;
    __asm__ volatile(
        "vpush {d8-d15}\n\t"
        "vldmia %0, {d0-d15}\n\t"
        "vstmia %1, {d0-d15}\n\t"
        "vmov r0, s3\n\t"
        "vmov r1, s30\n\t"
        "vmov s31, r0\n\t"
        "vmov r2, r3, d15\n\t"
        "stmia %2, {r0-r3}\n\t"
        "vpop {d8-d15}"
        : : "r"(in), "r"(out), "r"(sout)
        : "r0", "r1", "r2", "r3", "memory",
          "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7");
    int same = 1;
    for (int i = 0; i < 16; i++) if (in[i] != out[i]) same = 0;
    check_true("vldm/vstm d0-d15 round trip", same);
    check_u32("s3 (high half of d1)", sout[0], 0x82020202);
    check_u32("s30 (low half of d15)", sout[1], 0x10101010);
    check_u32("d15 low after vmov s31", sout[2], 0x10101010);
    check_u32("d15 high after vmov s31", sout[3], 0x82020202);

    /* FPEXC and the ID registers. */
    uint32_t fpexc;
    __asm__ volatile("vmrs %0, fpexc" : "=r"(fpexc));
    check_u32("FPEXC.EN", fpexc & 0x40000000u, 0x40000000u);
}
#endif

int main(void)
{
    /* Single precision arithmetic. */
    check_u32("1.0f/3.0f", fbits(f1 / f3), 0x3eaaaaabu);
    check_u32("pi*-2.5 (f)", fbits(fpi * fm), 0xc0fb53d2u);
    check_u32("pi+1/3 (f)", fbits(fpi + f1 / f3), 0x405e6530u);
    check_u32("pi-3 (f)", fbits(fpi - f3), 0x3e10fdb0u);
    check_u32("sqrtf(3)", fbits(__builtin_sqrtf(f3)), 0x3fddb3d7u);
    check_u32("fabsf(-2.5)", fbits(__builtin_fabsf(fm)), 0x40200000);
    check_u32("-(-2.5f)", fbits(-fm), 0x40200000);
    check_u32("fmla(1, pi, 3) (vmla)", fbits(fmla(f1, fpi, f3)), 0x4126cbe4u);

    /* Double precision arithmetic. */
    check_u64("1.0/3.0", dbits(d1 / d3), 0x3fd5555555555555ull);
    check_u64("pi*-2.5", dbits(dpi * dm), 0xc01f6a7a2955385eull);
    check_u64("pi/1e308", dbits(dpi / dbig), 0x0016972994076e32ull);
    check_u64("1e-308*1e-10 (denormal)", dbits(dtiny * 1e-10), 0x00000000000316a2ull);
    check_u64("sqrt(2)", dbits(__builtin_sqrt(d1 + 1.0)), 0x3ff6a09e667f3bcdull);
    check_u64("sqrt(1e-308)", dbits(__builtin_sqrt(dtiny)), 0x1ff573d68f903ea2ull);
    check_u64("dmls(1, pi, 3) (vmls)", dbits(dmls(d1, dpi, d3)), 0xc020d97c7f3321d2ull);
    check_u64("dnmul(pi, -2.5) (vnmul)", dbits(dnmul(dpi, dm)), 0x401f6a7a2955385eull);
    check_u64("1e308*10 (inf)", dbits(dbig * 10.0), 0x7ff0000000000000ull);

    /* Conversions. */
    check_u32("(float)-123456789", fbits((float)i_neg), 0xcceb79a3u);
    check_u64("(double)-123456789", dbits((double)i_neg), 0xc19d6f3454000000ull);
    check_u32("(float)0xfffffff0u", fbits((float)u_big), 0x4f800000u);
    check_u64("(double)INT32_MAX", dbits((double)i_max), 0x41dfffffffc00000ull);
    check_i32("(int)-2.5f", (int32_t)fm, -2);
    check_i32("(int)(pi*1e6)", (int32_t)(dpi * 1e6), 3141592);
    check_u32("(unsigned)3e9", (uint32_t)(d3 * 1e9), 3000000000u);
    check_u32("(float)pi (double->float)", fbits((float)dpi), 0x40490fdbu);
    check_u64("(double)pif (float->double)", dbits((double)fpi), 0x400921fb60000000ull);
    check_u32("(float)1e-308 (underflow to 0)", fbits((float)dtiny), 0);
    check_u32("(float)1e308 (overflow to inf)", fbits((float)dbig), 0x7f800000);
    check_u64("(double)-1234567890123456789ll", dbits((double)l_neg), 0xc3b12210f47de981ull);
    check_u64("(double)0xfedcba9876543210ull", dbits((double)ul_big), 0x43efdb97530eca86ull);
    check_u32("(float)0xfedcba9876543210ull", fbits((float)ul_big), 0x5f7edcbbu);
    check_i64("(int64)-1.234e18", (int64_t)(-1.234e18 * d1), -1234000000000000000ll);
    check_u64("(uint64)1.8e19", (uint64_t)(1.8e19 * d1), 18000000000000000000ull);
    check_i64("(int64)-2.5e9f", (int64_t)(-2.5e9f * f1), -2500000000ll);

    /* C comparisons, including NaN (unordered). */
    volatile double nan = bitsd(0x7ff8000000000000ull);
    int cmpbits = (d1 < d3) | (d1 <= d1) << 1 | (d3 > d1) << 2 | (d3 >= d3) << 3 | (d1 == d1) << 4 |
                  (nan < d1) << 5 | (nan > d1) << 6 | (nan == nan) << 7 | (nan != nan) << 8 |
                  __builtin_isunordered(nan, d1) << 9 | (fm < -f3) << 10 | (-0.0 == 0.0 * d1) << 11;
    check_u32("comparison bits", (uint32_t)cmpbits, 0xb1f);

#ifndef HOST
    arm_specific();
#endif
    return finish("vfp");
}
