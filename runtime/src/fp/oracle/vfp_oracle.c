/*
 * VFP oracle for validating runtime/src/fp against qemu-arm (or real
 * hardware).  Not part of the cargo build; see README.md in this directory.
 *
 * Reads 32-byte records from stdin:  u32 op | u32 fpscr | u64 a | u64 b | u64 c
 * Writes 16-byte records to stdout:  u64 result | u32 fpscr_after | u32 0
 * op = opcode | fbits << 8 (fbits only for the fixed-point conversions).
 * Semantics of a, b, c per opcode: see the switch below (c is the addend /
 * accumulator of VFMA and VMLA & co.).  Everything is little-endian.
 *
 * Build: arm-linux-gnueabihf-gcc -O2 -static -march=armv7-a -mfpu=vfpv4
 *        -mfloat-abi=hard -o vfp_oracle vfp_oracle.c
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint32_t u32;
typedef uint64_t u64;

struct in { u32 op, fpscr; u64 a, b, c; };
struct out { u64 r; u32 fpscr, pad; };

#define LO(x) ((u32)(x))
#define HI(x) ((u32)((x) >> 32))

/* Single precision: s0 = a, s1 = b, s2 = c/result. */
#define S3(INSN) do { \
    u32 r_, f_ = fpscr; \
    __asm__ volatile("vmov s0, %[a]\n\tvmov s1, %[b]\n\tvmov s2, %[c]\n\t" \
                     "vmsr fpscr, %[f]\n\t" INSN "\n\tvmrs %[f], fpscr\n\tvmov %[r], s2" \
                     : [r] "=r"(r_), [f] "+r"(f_) \
                     : [a] "r"(LO(a)), [b] "r"(LO(b)), [c] "r"(LO(c)) \
                     : "s0", "s1", "s2", "memory"); \
    res = r_; fpscr = f_; } while (0)

/* Double precision: d0 = a, d1 = b, d2 = c/result. */
#define D3(INSN) do { \
    u32 rl_, rh_, f_ = fpscr; \
    __asm__ volatile("vmov d0, %[al], %[ah]\n\tvmov d1, %[bl], %[bh]\n\t" \
                     "vmov d2, %[cl], %[ch]\n\t" \
                     "vmsr fpscr, %[f]\n\t" INSN "\n\tvmrs %[f], fpscr\n\t" \
                     "vmov %[rl], %[rh], d2" \
                     : [rl] "=&r"(rl_), [rh] "=&r"(rh_), [f] "+r"(f_) \
                     : [al] "r"(LO(a)), [ah] "r"(HI(a)), [bl] "r"(LO(b)), \
                       [bh] "r"(HI(b)), [cl] "r"(LO(c)), [ch] "r"(HI(c)) \
                     : "d0", "d1", "d2", "memory"); \
    res = ((u64)rh_ << 32) | rl_; fpscr = f_; } while (0)

/* Fixed-point conversions: the immediate must be a literal. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define FIX_S(FB, T) case FB: S3("vmov s2, s0\n\tvcvt." T " s2, s2, #" STR(FB)); break;
#define FIX_D(FB, T) case FB: D3("vmov.f64 d2, d0\n\tvcvt." T " d2, d2, #" STR(FB)); break;
#define L1_16(M, T) M(1,T) M(2,T) M(3,T) M(4,T) M(5,T) M(6,T) M(7,T) M(8,T) \
    M(9,T) M(10,T) M(11,T) M(12,T) M(13,T) M(14,T) M(15,T) M(16,T)
#define L16(M, T) M(0,T) L1_16(M, T)
#define L32(M, T) L1_16(M, T) M(17,T) M(18,T) M(19,T) M(20,T) M(21,T) M(22,T) \
    M(23,T) M(24,T) M(25,T) M(26,T) M(27,T) M(28,T) M(29,T) M(30,T) M(31,T) M(32,T)
#define FIX16S(T) switch (fb) { L16(FIX_S, T) default: bad = 1; }
#define FIX32S(T) switch (fb) { L32(FIX_S, T) default: bad = 1; }
#define FIX16D(T) switch (fb) { L16(FIX_D, T) default: bad = 1; }
#define FIX32D(T) switch (fb) { L32(FIX_D, T) default: bad = 1; }

int main(void) {
    static struct in ibuf[4096];
    static struct out obuf[4096];
    size_t n;
    while ((n = fread(ibuf, sizeof ibuf[0], 4096, stdin)) > 0) {
        for (size_t i = 0; i < n; i++) {
            u32 fpscr = ibuf[i].fpscr;
            u64 a = ibuf[i].a, b = ibuf[i].b, c = ibuf[i].c, res = 0;
            u32 fb = ibuf[i].op >> 8;
            int bad = 0;
            switch (ibuf[i].op & 0xFF) {
            case 0: S3("vadd.f32 s2, s0, s1"); break;
            case 1: S3("vsub.f32 s2, s0, s1"); break;
            case 2: S3("vmul.f32 s2, s0, s1"); break;
            case 3: S3("vdiv.f32 s2, s0, s1"); break;
            case 4: S3("vsqrt.f32 s2, s0"); break;
            case 5: S3("vfma.f32 s2, s0, s1"); break; /* c + a*b */
            case 6: D3("vadd.f64 d2, d0, d1"); break;
            case 7: D3("vsub.f64 d2, d0, d1"); break;
            case 8: D3("vmul.f64 d2, d0, d1"); break;
            case 9: D3("vdiv.f64 d2, d0, d1"); break;
            case 10: D3("vsqrt.f64 d2, d0"); break;
            case 11: D3("vfma.f64 d2, d0, d1"); break;
            case 12: S3("vcmp.f32 s0, s1"); res = 0; break;
            case 13: S3("vcmpe.f32 s0, s1"); res = 0; break;
            case 14: D3("vcmp.f64 d0, d1"); res = 0; break;
            case 15: D3("vcmpe.f64 d0, d1"); res = 0; break;
            case 16: D3("vcvt.f64.f32 d2, s0"); break;
            case 17: D3("vcvt.f32.f64 s4, d0"); res &= 0xFFFFFFFFu; break;
            case 18: S3("vcvt.s32.f32 s2, s0"); break;
            case 19: S3("vcvt.u32.f32 s2, s0"); break;
            case 20: S3("vcvtr.s32.f32 s2, s0"); break;
            case 21: S3("vcvtr.u32.f32 s2, s0"); break;
            case 22: D3("vcvt.s32.f64 s4, d0"); res &= 0xFFFFFFFFu; break;
            case 23: D3("vcvt.u32.f64 s4, d0"); res &= 0xFFFFFFFFu; break;
            case 24: D3("vcvtr.s32.f64 s4, d0"); res &= 0xFFFFFFFFu; break;
            case 25: D3("vcvtr.u32.f64 s4, d0"); res &= 0xFFFFFFFFu; break;
            case 26: S3("vcvt.f32.s32 s2, s0"); break;
            case 27: S3("vcvt.f32.u32 s2, s0"); break;
            case 28: D3("vcvt.f64.s32 d2, s0"); break;
            case 29: D3("vcvt.f64.u32 d2, s0"); break;
            case 30: S3("vcvtb.f32.f16 s2, s0"); break;
            case 31: S3("vcvtb.f16.f32 s2, s0"); res &= 0xFFFF; break;
            /* float -> fixed (round towards zero); result sign/zero extended */
            case 32: FIX16S("s16.f32"); break;
            case 33: FIX16S("u16.f32"); break;
            case 34: FIX32S("s32.f32"); break;
            case 35: FIX32S("u32.f32"); break;
            case 36: FIX16D("s16.f64"); break;
            case 37: FIX16D("u16.f64"); break;
            case 38: FIX32D("s32.f64"); break;
            case 39: FIX32D("u32.f64"); break;
            /* fixed -> float */
            case 40: FIX16S("f32.s16"); break;
            case 41: FIX16S("f32.u16"); break;
            case 42: FIX32S("f32.s32"); break;
            case 43: FIX32S("f32.u32"); break;
            case 44: FIX16D("f64.s16"); break;
            case 45: FIX16D("f64.u16"); break;
            case 46: FIX32D("f64.s32"); break;
            case 47: FIX32D("f64.u32"); break;
            /* non-fused multiply-accumulate: d = c, n = a, m = b */
            case 48: S3("vmla.f32 s2, s0, s1"); break;
            case 49: S3("vmls.f32 s2, s0, s1"); break;
            case 50: S3("vnmla.f32 s2, s0, s1"); break;
            case 51: S3("vnmls.f32 s2, s0, s1"); break;
            case 52: S3("vnmul.f32 s2, s0, s1"); break;
            case 53: D3("vmla.f64 d2, d0, d1"); break;
            case 54: D3("vmls.f64 d2, d0, d1"); break;
            case 55: D3("vnmla.f64 d2, d0, d1"); break;
            case 56: D3("vnmls.f64 d2, d0, d1"); break;
            case 57: D3("vnmul.f64 d2, d0, d1"); break;
            default: bad = 1;
            }
            if (bad) { fprintf(stderr, "bad op %#x\n", ibuf[i].op); return 1; }
            obuf[i].r = res;
            obuf[i].fpscr = fpscr;
            obuf[i].pad = 0;
        }
        if (fwrite(obuf, sizeof obuf[0], n, stdout) != n) return 1;
    }
    return 0;
}
