/* ldmstm: load/store multiple and the addressing modes (ldmstm-asm.S).
 * LDM/STM IA/DB (and IB/DA in ARM) with and without writeback, sparse
 * register lists, the base register in the list, LDM loading pc, PUSH/POP of
 * many registers and POP {pc}; single loads/stores with immediate and register
 * offsets, pre/post-index writeback, byte/halfword/signed variants, LDRD/STRD,
 * literal loads; VLDM/VSTM/VLDR/VSTR/VPUSH/VPOP.  Expected values are derived
 * from the memory contents in C, register by register. */
#include "rt.h"

uint32_t *ldm_test(uint32_t *mem, uint32_t *out);
uint32_t *stm_test(uint32_t *mem, uint32_t *out);
void vfp_ldst_test(uint32_t *mem, uint32_t *out);

static uint32_t mem[64] __attribute__((aligned(8)));
static uint32_t out[256];

static uint32_t M(int i) { return 0x80ff7f01u + (uint32_t)i * 0x10204081u; }
static void init_mem(void) { for (int i = 0; i < 64; i++) mem[i] = M(i); }
static uint32_t A(int word, int byte) { return (uint32_t)mem + 4u * (uint32_t)word + (uint32_t)byte; }
static uint32_t sx8(uint32_t v) { return (uint32_t)(int32_t)(int8_t)v; }
static uint32_t sx16(uint32_t v) { return (uint32_t)(int32_t)(int16_t)v; }

static int dump_no;
static void check_dump(const char *name, const uint32_t *got, const uint32_t *exp)
{
    char what[48];
    for (int r = 0; r < 12; r++) {
        snprintf(what, sizeof(what), "%s r%d", name, r);
        uint32_t g = got[r], e = exp[r];
        /* print addresses relative to mem, so the output doesn't depend on the link map */
        if (e >= (uint32_t)mem && e < (uint32_t)mem + 256 && g >= (uint32_t)mem && g < (uint32_t)mem + 256) {
            g -= (uint32_t)mem;
            e -= (uint32_t)mem;
            snprintf(what, sizeof(what), "%s r%d-mem", name, r);
        }
        check_u32(what, g, e);
    }
    dump_no++;
}

int main(void)
{
    init_mem();
    uint32_t *end = ldm_test(mem, out);
    const uint32_t *d = out;
    {
        uint32_t e[12] = { A(11, 0) };
        for (int r = 1; r <= 11; r++) e[r] = M(r - 1);
        check_dump("ldmia!", d, e); d += 12;
    }
    {
        uint32_t e[12] = { A(10, 0), M(10), M(11), M(12), M(13), 0, M(14), 0, M(15), 0, 0, 0 };
        check_dump("ldmdb! sparse", d, e); d += 12;
    }
#ifndef __thumb__
    {
        uint32_t e[12] = { A(2, 0), M(1), M(2), M(1), M(2) };
        check_dump("ldmib!/ldmda", d, e); d += 12;
    }
#endif
    {
        uint32_t e[12] = { M(0), M(1) };
        check_dump("ldm base in list", d, e); d += 12;
    }
    {
        uint32_t e[12] = { M(20), 0, A(20, 0), 0 };
        check_dump("ldm {r0, pc}", d, e); d += 12;
    }
    {
        uint32_t e[12] = { A(2, 3), M(2), M(2), 3, M(4), M(1) >> 16, sx16(M(2) >> 16), sx8(M(1) >> 24),
                           M(0) >> 24, (M(2) >> 8) & 0xff, sx16(M(2)), M(2) & 0xffff };
        check_dump("ldr/ldrh/ldrsh/ldrsb/ldrb modes", d, e); d += 12;
    }
    {
        uint32_t e[12] = { A(6, 0), 0, M(10), M(11), M(10), M(11), M(4), M(5) };
        check_dump("ldrd modes", d, e); d += 12;
    }
#ifndef __thumb__
    {
        uint32_t e[12] = { A(4, 2), M(5), M(11), 12, M(11), 2, sx16(M(5) >> 16), sx8(M(4) >> 16), 0x10, M(5) & 0xff };
        check_dump("ARM register-offset modes", d, e); d += 12;
    }
#endif
    {
        uint32_t e[12] = { 0, 0x2468ace0, 0x13579bdf, 0, 0x2468ace0 };
        check_dump("literal loads", d, e); d += 12;
    }
    check_i32("ldm_test dumps", (int32_t)(end - out), (int32_t)(d - out));

    init_mem();
    end = stm_test(mem, out);
    d = out;
    {
        uint32_t e[12] = { A(43, 0), 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab };
        check_dump("stmia!/stmdb", d, e); d += 12;
    }
#ifndef __thumb__
    {
        uint32_t e[12] = { A(45, 0), 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab };
        check_dump("stmib!/stmda!", d, e); d += 12;
    }
#endif
    {
        uint32_t e[12] = { A(56, 0), 0xa1, 0xa2, 2, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab };
        check_dump("str/strb/strh/strd modes", d, e); d += 12;
    }
    {
        uint32_t e[12] = { 0, 0xa1, 0x22, 0x33, 0x77, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab };
        check_dump("push/pop, pop {pc}", d, e); d += 12;
    }
    check_i32("stm_test dumps", (int32_t)(end - out), (int32_t)(d - out));
    uint32_t em[64];
    for (int i = 0; i < 64; i++) em[i] = M(i);
    for (int i = 32; i <= 40; i++) em[i] = 0xa1 + (uint32_t)(i - 32);
    em[41] = 0xa4;
    em[42] = 0xa9;
#ifndef __thumb__
    em[44] = 0xa1; em[45] = 0xa2; em[46] = 0xa5; em[47] = 0xa6;
#endif
    em[48] = A(48, 0); em[49] = 0xa2; em[50] = 0xa3; em[51] = 0xa4;
    em[52] = (M(52) & 0xff) | 0xa7u << 8 | 0x00a6u << 16;
    em[54] = 0xa8;
    em[56] = 0xaa; em[57] = 0xab; em[58] = 0xa9;
    int bad = 0;
    for (int i = 0; i < 64; i++)
        if (mem[i] != em[i]) {
            printf("mem[%d] = 0x%08x, expected 0x%08x\n", i, mem[i], em[i]);
            bad++;
        }
    check_i32("stm_test memory words wrong", bad, 0);

    init_mem();
    memset(out, 0, sizeof(out));
    vfp_ldst_test(mem, out);
    static const int8_t vidx[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 10, 11, 7, 8 };
    bad = 0;
    for (int i = 0; i < 16; i++)
        if (out[i] != M(vidx[i])) { printf("vfp out[%d] = 0x%08x\n", i, out[i]); bad++; }
    check_i32("vldm/vldr words wrong", bad, 0);
    check_u32("vldmia! writeback", out[16], 32);
    for (int i = 0; i < 64; i++) em[i] = M(i);
    for (int i = 32; i < 40; i++) em[i] = M(i - 32);
    em[30] = M(2); em[31] = M(3); em[29] = M(0);
    bad = 0;
    for (int i = 0; i < 64; i++)
        if (mem[i] != em[i]) { printf("mem[%d] = 0x%08x, expected 0x%08x\n", i, mem[i], em[i]); bad++; }
    check_i32("vstm/vstr memory words wrong", bad, 0);

    return finish("ldmstm");
}
