/* bits: data-processing instructions one at a time, against a Python model.
 *
 * Each op (shifts by register and immediate with carry-out, add/sub with
 * carry, logical ops with shifter carry, multiplies incl. long and DSP ones,
 * sdiv/udiv, clz/rbit/rev, bitfields, extends, saturation and the Q flag,
 * parallel add/sub with GE flags and SEL) runs on all pairs of 16 inputs;
 * (result, second result, NZCVQ+GE flags) are hashed and compared with the
 * hash gen/gen_bits.py computed from its model of the architecture.  Then a
 * few C-level checks: bitfields, builtins (clz/ctz/popcount/bswap), rotates.
 */
#include "rt.h"

struct res { uint32_t d, d2, f; };
struct op {
    const char *name;
    void (*fn)(uint32_t a, uint32_t b, uint32_t c, struct res *r);
    uint32_t hash;
};

#include "bits_ops.h"

#define NINPUTS (sizeof(inputs) / sizeof(inputs[0]))

static uint32_t fnv(uint32_t h, uint32_t w) { return (h ^ w) * 16777619u; }

static uint32_t run_op(const struct op *o, int dump)
{
    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < NINPUTS; i++) {
        for (unsigned j = 0; j < NINPUTS; j++) {
            uint32_t a = inputs[i], b = inputs[j], c = (a ^ 0x5a5a5a5au) + b;
            struct res r;
            o->fn(a, b, c, &r);
            if (dump)
                printf("  a=%08x b=%08x d=%08x d2=%08x f=%08x\n", a, b, r.d, r.d2, r.f);
            h = fnv(fnv(fnv(h, r.d), r.d2), r.f);
        }
    }
    return h;
}

/* C bitfields: GCC uses ubfx/sbfx/bfi/bfc for these. */
struct bf {
    unsigned lo : 3;
    signed mid : 7;
    unsigned wide : 13;
    signed top : 9;
};

static __attribute__((noinline)) uint32_t bf_pack(uint32_t x, int32_t y, uint32_t z, int32_t w)
{
    union { struct bf b; uint32_t u; } v;
    v.u = 0xffffffffu;
    v.b.lo = x;
    v.b.mid = y;
    v.b.wide = z;
    v.b.top = w;
    return v.u;
}

static __attribute__((noinline)) int32_t bf_sum(uint32_t u)
{
    union { struct bf b; uint32_t u; } v;
    v.u = u;
    return (int32_t)v.b.lo + v.b.mid + (int32_t)v.b.wide + v.b.top;
}

static __attribute__((noinline)) uint32_t rotl(uint32_t x, unsigned n) { return (x << (n & 31)) | (x >> ((32 - n) & 31)); }
static __attribute__((noinline)) uint32_t rotr(uint32_t x, unsigned n) { return (x >> (n & 31)) | (x << ((32 - n) & 31)); }

int main(void)
{
    unsigned nops = sizeof(ops) / sizeof(ops[0]);
    printf("bits: %u ops x %u input pairs\n", nops, (unsigned)(NINPUTS * NINPUTS));
    for (unsigned k = 0; k < nops; k++) {
        uint32_t h = run_op(&ops[k], 0);
        printf("%-20s 0x%08x", ops[k].name, h);
        if (h != ops[k].hash) {
            printf("  MISMATCH expected 0x%08x\n", ops[k].hash);
            run_op(&ops[k], 1);
            rt_errors++;
        } else {
            printf("\n");
        }
    }

    check_u32("bf_pack(5,-3,0x1abc,-200)", bf_pack(5, -3, 0x1abc, -200), 0x9c6af3ed);
    check_i32("bf_sum(0x9c6af3ed)", bf_sum(0x9c6af3ed), 5 - 3 + 0x1abc - 200);
    check_i32("bf_sum(0x12345678)", bf_sum(0x12345678), 0 + (-49) + 0xd15 + 36);
    check_u32("rotl(0x80000001,1)", rotl(0x80000001u, 1), 0x00000003);
    check_u32("rotr(0x12345678,12)", rotr(0x12345678u, 12), 0x67812345);
    check_u32("rotl(0xdeadbeef,0)", rotl(0xdeadbeefu, 0), 0xdeadbeef);

    volatile uint32_t x1 = 0x00f00000, x2 = 0, x3 = 0x12345678, x4 = 0xf0f0f0f0;
    volatile uint64_t y1 = 0x0000000100000000ull, y2 = 0x8000000000000001ull;
    check_i32("__builtin_clz(0x00f00000)", __builtin_clz(x1), 8);
    check_i32("__builtin_ctz(0x00f00000)", __builtin_ctz(x1), 20);
    check_i32("__builtin_ffs(0)", __builtin_ffs(x2), 0);
    check_i32("__builtin_popcount(0x12345678)", __builtin_popcount(x3), 13);
    check_i32("__builtin_popcount(0xf0f0f0f0)", __builtin_popcount(x4), 16);
    check_i32("__builtin_parity(0x12345678)", __builtin_parity(x3), 1);
    check_i32("__builtin_clzll(1<<32)", __builtin_clzll(y1), 31);
    check_i32("__builtin_ctzll(1<<32)", __builtin_ctzll(y1), 32);
    check_i32("__builtin_popcountll(0x8000000000000001)", __builtin_popcountll(y2), 2);
    check_u32("__builtin_bswap32(0x12345678)", __builtin_bswap32(x3), 0x78563412);
    check_u64("__builtin_bswap64(0x8000000000000001)", __builtin_bswap64(y2), 0x0100000000000080ull);
    check_u32("__builtin_bswap16(0x5678)", __builtin_bswap16((uint16_t)x3), 0x7856);

    return finish("bits");
}
