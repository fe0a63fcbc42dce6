/* modes: processor modes, banked registers and system registers.
 * - sp/lr/SPSR banked per mode (FIQ, IRQ, ABT, UND, SYS) and FIQ's own
 *   r8-r12, written in one pass and read back in another (modes-asm.S);
 * - SYS shares sp/lr with USR: STM/LDM with ^ from SVC (ARM only);
 * - USR mode: CPS and MSR cpsr_c ignored, privileged CP15 access undefined,
 *   TPIDRURO/TPIDRURW readable, TPIDRURO not writable, SVC back to SVC;
 * - SRS and RFE; exception returns with SUBS pc, lr and LDM {pc}^;
 * - CPS/MSR to switch modes and masks; CP15 registers that read back what
 *   was written (TPIDR*, CONTEXTIDR, DACR, TTBR0/1, TTBCR, VBAR, PRRR/NMRR). */
#include "rt.h"

void bank_test(uint32_t *out);
void user_bank_arm(uint32_t *out);
void user_mode_test(uint32_t *out);
void srs_rfe_test(uint32_t *out);
void eret_test(uint32_t *out);

static volatile int n_und, n_svc;

int exc_handler(int type, struct exc_frame *f)
{
    int thumb = (f->spsr & CPSR_T) != 0;
    if (type == EXC_SVC) {
        n_svc++;
        uint32_t addr = f->pc - (thumb ? 2 : 4);
        uint32_t imm = thumb ? *(volatile uint16_t *)addr & 0xff : *(volatile uint32_t *)addr & 0xffffff;
        if (imm == 0x10)    /* return to SVC mode instead of the caller's mode */
            f->spsr = (f->spsr & ~0x1fu) | 0x13;
        return 1;
    }
    if (type == EXC_UND) {
        n_und++;
        uint32_t addr = f->pc - (thumb ? 2 : 4);
        f->pc = addr + 4;       /* all the undefined insns here are 32-bit */
        return 1;
    }
    return 0;
}

#define MCR(crn, op1, crm, op2, v) __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : : "r"(v) : "memory")
#define MRC(crn, op1, crm, op2) ({ uint32_t _v; __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(_v)); _v; })

static const char *const mode_names[5] = { "FIQ", "IRQ", "ABT", "UND", "SYS" };
static const uint32_t mode_nums[5] = { 0x11, 0x12, 0x17, 0x1b, 0x1f };

int main(void)
{
    uint32_t out[48];
    char what[64];

    uint32_t cpsr = get_cpsr();
    check_u32("CPSR mode at entry (SVC)", cpsr & 0x1f, 0x13);
    check_u32("CPSR I,F masked", cpsr & 0xc0, 0xc0);
    check_u32("CPSR T reads as 0 through MRS (even in Thumb)", cpsr & 0x20, 0);

    memset(out, 0, sizeof(out));
    bank_test(out);
    for (int i = 0; i < 5; i++) {
        uint32_t m = mode_nums[i];
        snprintf(what, sizeof(what), "%s sp", mode_names[i]);
        check_u32(what, out[3 * i], 0x5b000000 + (m << 8));
        snprintf(what, sizeof(what), "%s lr", mode_names[i]);
        check_u32(what, out[3 * i + 1], 0x1e000000 + (m << 8));
        if (m != 0x1f) {
            snprintf(what, sizeof(what), "%s spsr", mode_names[i]);
            check_u32(what, out[3 * i + 2], 0x1c0 | m | (uint32_t)(i + 8) << 28 | (uint32_t)(i + 1) << 16);
        }
    }
    check_u32("FIQ r8", out[15], 0xf8f8f8f8);
    check_u32("FIQ r12", out[19], 0xfcfcfcfc);
    check_u32("SVC r8 after FIQ wrote its r8", out[20], 8);
    check_u32("SVC r12 after FIQ wrote its r12", out[24], 12);
    check_u32("SVC sp unchanged", out[25], 0);
    check_u32("SVC lr unchanged", out[26], 0);

#ifndef __thumb__
    memset(out, 0, sizeof(out));
    user_bank_arm(out);
    check_u32("STM ^: user sp (= SYS sp)", out[0], 0x51515151);
    check_u32("STM ^: user lr (= SYS lr)", out[1], 0x1e1e1e1e);
    check_u32("LDM ^: SYS sp after loading user sp", out[2], 0x52525252);
    check_u32("LDM ^: SYS lr after loading user lr", out[3], 0x2e2e2e2e);
#endif

    MCR(c13, 0, c0, 2, 0x11223344);   /* TPIDRURW */
    MCR(c13, 0, c0, 3, 0x55667788);   /* TPIDRURO */
    memset(out, 0, sizeof(out));
    n_und = n_svc = 0;
    user_mode_test(out);
    check_u32("USR: CPSR mode", out[0] & 0x1f, 0x10);
    check_u32("USR: CPS ignored", out[1] & 0x1f, 0x10);
    check_u32("USR: MSR cpsr_c ignored (mode, masks)", out[2] & 0x1ff, out[0] & 0x1ff);
    check_u32("USR: SCTLR read undefined (reg untouched)", out[3], 0xabababab);
    check_u32("USR: TPIDRURO read", out[4], 0x55667788);
    check_u32("USR: TPIDRURW read", out[5], 0x11223344);
    check_u32("after SVC: CPSR mode", out[6] & 0x1f, 0x13);
    check_u32("after SVC: flags written in USR kept", out[6] & 0xf8000000u, 0x90000000u);
    check_i32("USR: undefined insns", n_und, 2);
    check_i32("USR: svcs", n_svc, 1);
    check_u32("TPIDRURO unchanged by USR write", MRC(c13, 0, c0, 3), 0x55667788);

    memset(out, 0, sizeof(out));
    srs_rfe_test(out);
    check_u32("SRS: stored lr", out[0], 0x12345679);
    check_u32("SRS: stored spsr", out[1], 0x600001d3);
    check_u32("RFE: CPSR after (SYS, N V, masks)", out[2], 0x900001df);

    memset(out, 0, sizeof(out));
    eret_test(out);
    check_u32("SUBS pc, lr: CPSR from SPSR", out[0], 0x500001d3);
#ifndef __thumb__
    check_u32("LDM {pc}^: CPSR from SPSR", out[1], 0x800001d3);
#endif

    /* Masks with CPS and MSR. */
    __asm__ volatile("cpsie i" : : : "memory");
    uint32_t c1 = get_cpsr();
    __asm__ volatile("cpsid i" : : : "memory");
    uint32_t c2 = get_cpsr();
    __asm__ volatile("cpsie af" : : : "memory");
    uint32_t c3 = get_cpsr();
    __asm__ volatile("cpsid af" : : : "memory");
    check_u32("cpsie i", c1 & 0x1c0, 0x140);
    check_u32("cpsid i", c2 & 0x1c0, 0x1c0);
    check_u32("cpsie af", c3 & 0x1c0, 0x080);
    /* MSR cpsr_c to UND and back; sp/lr banked across. */
    uint32_t m1, m2;
    __asm__ volatile("msr cpsr_c, %2\n\tmrs %0, cpsr\n\tmsr cpsr_c, %3\n\tmrs %1, cpsr" : "=&r"(m1), "=&r"(m2) : "r"(0xdbu), "r"(0xd3u) : "memory");
    check_u32("msr cpsr_c -> UND", m1 & 0x1f, 0x1b);
    check_u32("msr cpsr_c -> SVC", m2 & 0x1f, 0x13);
    /* CPS with mode change and mask in one. */
    __asm__ volatile("cpsie f, #0x1f\n\tmrs %0, cpsr\n\tcpsid f, #0x13\n\tmrs %1, cpsr" : "=r"(m1), "=r"(m2) : : "memory");
    check_u32("cpsie f, #SYS", m1 & 0x5f, 0x1f);
    check_u32("cpsid f, #SVC", m2 & 0x5f, 0x53);

    /* CP15 registers that read back. */
    MCR(c13, 0, c0, 4, 0xcafef00d);
    check_u32("TPIDRPRW", MRC(c13, 0, c0, 4), 0xcafef00d);
    MCR(c13, 0, c0, 1, 0x00000042);
    check_u32("CONTEXTIDR", MRC(c13, 0, c0, 1), 0x00000042);
    uint32_t dacr = MRC(c3, 0, c0, 0);
    MCR(c3, 0, c0, 0, 0x5555aaaa);
    check_u32("DACR", MRC(c3, 0, c0, 0), 0x5555aaaa);
    MCR(c3, 0, c0, 0, dacr);
    MCR(c2, 0, c0, 0, 0x40004000);
    check_u32("TTBR0", MRC(c2, 0, c0, 0), 0x40004000);
    MCR(c2, 0, c0, 1, 0x40008000);
    check_u32("TTBR1", MRC(c2, 0, c0, 1), 0x40008000);
    MCR(c2, 0, c0, 2, 2);
    check_u32("TTBCR", MRC(c2, 0, c0, 2), 2);
    MCR(c2, 0, c0, 2, 0);
    MCR(c10, 0, c2, 0, 0xff0a81a8);
    check_u32("PRRR", MRC(c10, 0, c2, 0), 0xff0a81a8);
    MCR(c10, 0, c2, 1, 0x40e040e0);
    check_u32("NMRR", MRC(c10, 0, c2, 1), 0x40e040e0);
    extern char vectors[];
    check_u32("VBAR = vectors", MRC(c12, 0, c0, 0), (uint32_t)vectors);
    uint32_t midr = MRC(c0, 0, c0, 0);
    check_u32("MIDR implementer (ARM)", midr >> 24, 0x41);
    check_u32("MIDR architecture (CPUID scheme)", (midr >> 16) & 0xf, 0xf);
    check_u32("MPIDR multiprocessing format", MRC(c0, 0, c0, 5) >> 31, 1);
    check_u32("SCTLR.M (MMU off)", MRC(c1, 0, c0, 0) & 1, 0);

    return finish("modes");
}
