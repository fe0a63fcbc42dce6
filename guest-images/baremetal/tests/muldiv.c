/* muldiv: multiplication and division at the C level, 32 and 64 bits.
 *
 * 32x32->64 multiplies (umull/smull, umlal/smlal when accumulating), hardware
 * sdiv/udiv (-mcpu=cortex-a15), 64-bit division and modulo through libgcc's
 * __aeabi_uldivmod/__aeabi_ldivmod, 64-bit shifts by variable amounts, 64-bit
 * multiply, overflow builtins.  Fixed cases check known constants; loops over
 * pseudo-random inputs are hashed and compared with hashes computed off-target
 * (gen/host-run.sh muldiv prints the same lines on the build machine).
 */
#include "rt.h"

static uint32_t rng = 0x2545f491u;
static uint32_t xs32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}
static uint64_t xs64(void) { uint64_t hi = xs32(); return hi << 32 | xs32(); }

static uint64_t h64;
static void mix(uint64_t v) { h64 = (h64 ^ v) * 0x100000001b3ull; }

/* noinline + volatile inputs keep GCC from folding the fixed cases. */
static __attribute__((noinline)) uint64_t umul64(uint32_t a, uint32_t b) { return (uint64_t)a * b; }
static __attribute__((noinline)) int64_t smul64(int32_t a, int32_t b) { return (int64_t)a * b; }
static __attribute__((noinline)) uint64_t umac64(uint64_t acc, uint32_t a, uint32_t b) { return acc + (uint64_t)a * b; }
static __attribute__((noinline)) int64_t smac64(int64_t acc, int32_t a, int32_t b) { return acc + (int64_t)a * b; }
static __attribute__((noinline)) uint64_t mul64(uint64_t a, uint64_t b) { return a * b; }
static __attribute__((noinline)) uint32_t udiv32(uint32_t a, uint32_t b) { return a / b; }
static __attribute__((noinline)) int32_t sdiv32(int32_t a, int32_t b) { return a / b; }
static __attribute__((noinline)) uint32_t umod32(uint32_t a, uint32_t b) { return a % b; }
static __attribute__((noinline)) int32_t smod32(int32_t a, int32_t b) { return a % b; }
static __attribute__((noinline)) uint64_t udiv64(uint64_t a, uint64_t b) { return a / b; }
static __attribute__((noinline)) int64_t sdiv64(int64_t a, int64_t b) { return a / b; }
static __attribute__((noinline)) uint64_t umod64(uint64_t a, uint64_t b) { return a % b; }
static __attribute__((noinline)) int64_t smod64(int64_t a, int64_t b) { return a % b; }
static __attribute__((noinline)) uint64_t shl64(uint64_t a, unsigned n) { return a << n; }
static __attribute__((noinline)) uint64_t shr64(uint64_t a, unsigned n) { return a >> n; }
static __attribute__((noinline)) int64_t sar64(int64_t a, unsigned n) { return a >> n; }

/* Fixed-point 16.16 and Q31 helpers built from 64-bit products. */
static __attribute__((noinline)) int32_t fix_mul(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b) >> 16); }
static __attribute__((noinline)) int32_t fix_div(int32_t a, int32_t b) { return (int32_t)(((int64_t)a << 16) / b); }

/* 64-bit integer square root by bisection (division-free) and Newton (division). */
static uint32_t isqrt64(uint64_t n)
{
    uint64_t lo = 0, hi = 0xffffffffull;
    while (lo < hi) {
        uint64_t mid = (lo + hi + 1) >> 1;
        if (mid * mid <= n) lo = mid; else hi = mid - 1;
    }
    return (uint32_t)lo;
}
static uint32_t isqrt64_newton(uint64_t n)
{
    if (n < 2) return (uint32_t)n;
    uint64_t x = n, y = (x + 1) / 2;
    while (y < x) { x = y; y = (x + n / x) / 2; }
    return (uint32_t)x;
}

int main(void)
{
    volatile uint32_t u1 = 0xffffffffu, u2 = 0x12345678u, u3 = 7;
    volatile int32_t s1 = -123456789, s2 = 987654, s3 = -7;

    check_u64("umul64(0xffffffff,0xffffffff)", umul64(u1, u1), 0xfffffffe00000001ull);
    check_u64("umul64(0x12345678,0xffffffff)", umul64(u2, u1), 0x12345677edcba988ull);
    check_i64("smul64(-123456789,987654)", smul64(s1, s2), -121932591483006ll);
    check_i64("smul64(-2^31,-2^31)", smul64(INT32_MIN, INT32_MIN), 4611686018427387904ll);
    check_u64("umac64(2^64-1,0xffffffff,0xffffffff)", umac64(~0ull, u1, u1), 0xfffffffe00000000ull);
    check_i64("smac64(10^12,-123456789,987654)", smac64(1000000000000ll, s1, s2), -120932591483006ll);
    check_u64("mul64(0x123456789abcdef0,0x0fedcba987654321)", mul64(0x123456789abcdef0ull, 0x0fedcba987654321ull), 0x2236d88fe5618cf0ull);

    check_u32("udiv32(0xffffffff,7)", udiv32(u1, u3), 613566756u);
    check_u32("umod32(0xffffffff,7)", umod32(u1, u3), 3);
    check_i32("sdiv32(-123456789,-7)", sdiv32(s1, s3), 17636684);
    check_i32("smod32(-123456789,-7)", smod32(s1, s3), -1);
    check_i32("sdiv32(-123456789,987654)", sdiv32(s1, s2), -125);
    check_i32("smod32(-123456789,987654)", smod32(s1, s2), -39);

    check_u64("udiv64(2^64-1,10)", udiv64(~0ull, 10), 1844674407370955161ull);
    check_u64("umod64(2^64-1,10)", umod64(~0ull, 10), 5);
    check_u64("udiv64(2^64-1,0x100000001)", udiv64(~0ull, 0x100000001ull), 0xffffffffull);
    check_u64("udiv64(0x123456789abcdef0,0x12345678)", udiv64(0x123456789abcdef0ull, 0x12345678), 0x100000008ull);
    check_u64("umod64(0x123456789abcdef0,0x12345678)", umod64(0x123456789abcdef0ull, 0x12345678), 0x091a2b30ull);
    check_i64("sdiv64(-9223372036854775807,3)", sdiv64(-9223372036854775807ll, 3), -3074457345618258602ll);
    check_i64("smod64(-9223372036854775807,3)", smod64(-9223372036854775807ll, 3), -1);
    check_i64("sdiv64(10^18,-999999999989)", sdiv64(1000000000000000000ll, -999999999989ll), -1000000);
    check_i64("smod64(10^18,-999999999989)", smod64(1000000000000000000ll, -999999999989ll), 11000000);

    check_u64("shl64(0x8000000180000001,1)", shl64(0x8000000180000001ull, 1), 0x0000000300000002ull);
    check_u64("shl64(0x00000000deadbeef,32)", shl64(0xdeadbeefull, 32), 0xdeadbeef00000000ull);
    check_u64("shl64(0x00000000deadbeef,44)", shl64(0xdeadbeefull, 44), 0xdbeef00000000000ull);
    check_u64("shr64(0xdeadbeef00000000,36)", shr64(0xdeadbeef00000000ull, 36), 0x000000000deadbeeull);
    check_u64("shr64(0xdeadbeefcafebabe,0)", shr64(0xdeadbeefcafebabeull, 0), 0xdeadbeefcafebabeull);
    check_i64("sar64(-2^63,63)", sar64(INT64_MIN, 63), -1);
    check_i64("sar64(-1000000000000,20)", sar64(-1000000000000ll, 20), -953675);

    check_i32("fix_mul(3.5,-2.25)", fix_mul(0x38000, -0x24000), -0x7e000);
    check_i32("fix_div(1.0,3.0)", fix_div(0x10000, 0x30000), 0x5555);
    check_u32("isqrt64(2^64-1)", isqrt64(~0ull), 0xffffffffu);
    check_u32("isqrt64(10^18+12345)", isqrt64(1000000000000012345ull), 1000000000u);
    check_u32("isqrt64_newton(10^18-1)", isqrt64_newton(999999999999999999ull), 999999999u);
    check_u32("isqrt64_newton(12345678987654321)", isqrt64_newton(12345678987654321ull), 111111111u);

    int32_t r32;
    int64_t r64;
    check_i32("add_overflow(INT32_MAX,1)", __builtin_add_overflow((int32_t)s2 + INT32_MAX - 987654, 1, &r32), 1);
    check_i32("mul_overflow(65536,32768)", __builtin_mul_overflow((int32_t)65536, (int32_t)s2 - 954886, &r32), 1);
    check_i32("mul_overflow(65536,32767)", __builtin_mul_overflow((int32_t)65536, (int32_t)s2 - 954887, &r32), 0);
    check_i32("  product", r32, 2147418112);
    check_i32("mul_overflow64(3037000500,3037000500)", __builtin_mul_overflow((int64_t)3037000500ll + s3 + 7, (int64_t)3037000500ll, &r64), 1);
    check_i32("sub_overflow64(INT64_MIN,1)", __builtin_sub_overflow(INT64_MIN + (s3 + 7), (int64_t)1, &r64), 1);

    /* Random sweeps. */
    h64 = 0xcbf29ce484222325ull;
    for (int i = 0; i < 2000; i++) {
        uint32_t a = xs32(), b = xs32() >> (i & 31);
        int32_t sa = (int32_t)a, sb = (int32_t)b;
        if (b == 0) b = 1, sb = 1;
        if (sa == INT32_MIN && sb == -1) sb = 1;
        mix(umul64(a, b));
        mix((uint64_t)smul64(sa, sb));
        mix(udiv32(a, b));
        mix(umod32(a, b));
        mix((uint32_t)sdiv32(sa, sb));
        mix((uint32_t)smod32(sa, sb));
    }
    check_u64("hash32 (2000 random mul/div)", h64, 0xd07ad359c3037c43ull);
    h64 = 0xcbf29ce484222325ull;
    for (int i = 0; i < 2000; i++) {
        uint64_t a = xs64(), b = xs64() >> (i % 64);
        int64_t sa = (int64_t)a, sb = (int64_t)b;
        if (b == 0) b = 1, sb = 1;
        if (sa == INT64_MIN && sb == -1) sb = 1;
        mix(udiv64(a, b));
        mix(umod64(a, b));
        mix((uint64_t)sdiv64(sa, sb));
        mix((uint64_t)smod64(sa, sb));
        mix(mul64(a, b));
        mix(shl64(a, i % 64));
        mix(shr64(a, (i * 7) % 64));
        mix((uint64_t)sar64(sa, (i * 13) % 64));
    }
    check_u64("hash64 (2000 random div/mod/mul/shift)", h64, 0xd24ade4520479be4ull);

    return finish("muldiv");
}
