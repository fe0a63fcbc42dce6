/* mmu: the VMSAv7 short-descriptor MMU.
 * Identity map (1 MiB sections: device memory below 0x40000000, normal
 * memory for RAM), MMU on with caches enabled, then: a section alias,
 * 4 KiB small pages (a reversed page order) and a 64 KiB large page,
 * translation faults (section and page), permission faults (read-only
 * section, write), unprivileged LDRT/STRT against user permissions, domain
 * faults and manager domains, XN (prefetch abort with IFSR/IFAR), remapping
 * with TLBIMVA/TLBIALL, the TTBR0/TTBR1 split (TTBCR.N), ASID-tagged
 * non-global mappings, the ATS1CPR address translation operation (PAR), cache
 * and branch-predictor maintenance operations, a Thumb instruction whose halves
 * are on two pages (the second remapped), and finally MMU off again.
 * Fault status is compared as DFSR/IFSR bits [11:10,3:0] (WnR, FS). */
#include "rt.h"

#define SCRATCH 0x40800000u     /* 4 MiB of RAM the tests remap */

static uint32_t l1[4096] __attribute__((aligned(16384)));
static uint32_t l1b[4096] __attribute__((aligned(16384)));   /* for TTBR1 */
static uint32_t l2[256] __attribute__((aligned(1024)));
static uint32_t l2c[256] __attribute__((aligned(1024)));   /* code pages at VA 0xf0000000 */

#define MCR(crn, op1, crm, op2, v) __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : : "r"(v) : "memory")
#define MRC(crn, op1, crm, op2) ({ uint32_t _v; __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(_v) : : "memory"); _v; })

static void barrier(void) { __asm__ volatile("dsb\n\tisb" : : : "memory"); }
static void tlbiall(void) { MCR(c8, 0, c7, 0, 0); barrier(); }
static void tlbimva(uint32_t va) { MCR(c8, 0, c7, 1, va & ~0xfffu); barrier(); }

/* Section descriptor helpers */
#define SEC 0x2u
#define SEC_B (1u << 2)
#define SEC_C (1u << 3)
#define SEC_XN (1u << 4)
#define SEC_DOM(d) ((uint32_t)(d) << 5)
#define SEC_AP(ap) ((((uint32_t)(ap) & 3u) << 10) | (((uint32_t)(ap) >> 2) << 15))
#define SEC_TEX(t) ((uint32_t)(t) << 12)
#define SEC_NG (1u << 17)
#define SEC_NORMAL (SEC_TEX(1) | SEC_C | SEC_B)      /* write-back write-allocate */
#define SEC_DEVICE (SEC_B | SEC_XN)                   /* shareable device */

/* Small page descriptor helpers (L2) */
#define PG_SMALL 0x2u
#define PG_AP(ap) ((((uint32_t)(ap) & 3u) << 4) | (((uint32_t)(ap) >> 2) << 9))
#define PG_NORMAL ((1u << 6) | (1u << 3) | (1u << 2))  /* TEX=001 C B */
#define PG_LARGE 0x1u
#define LPG_AP(ap) PG_AP(ap)
#define LPG_NORMAL ((1u << 12) | (1u << 3) | (1u << 2))

static volatile int n_dabt, n_pabt;
static volatile uint32_t fsr, far;

static uint32_t insn_len(uint32_t addr, int thumb)
{
    if (!thumb) return 4;
    uint32_t hw1 = *(volatile uint16_t *)addr;
    return (hw1 >> 11) >= 0x1d ? 4 : 2;
}

int exc_handler(int type, struct exc_frame *f)
{
    int thumb = (f->spsr & CPSR_T) != 0;
    if (type == EXC_DABT) {
        n_dabt++;
        fsr = MRC(c5, 0, c0, 0);
        far = MRC(c6, 0, c0, 0);
        uint32_t addr = f->pc - 8;
        f->pc = addr + insn_len(addr, thumb);
        return 1;
    }
    if (type == EXC_PABT) {
        n_pabt++;
        fsr = MRC(c5, 0, c0, 1);
        far = MRC(c6, 0, c0, 2);
        /* return to the address the caller left in r4 (see call_at) */
        uint32_t ret = f->r[4];
        if (ret & 1) f->spsr |= CPSR_T; else f->spsr &= ~CPSR_T;
        f->pc = ret & ~1u;
        f->r[0] = 0xfa017;
        return 1;
    }
    return 0;
}

/* Calls code at `target` (ARM code) with the return address also in r4,
 * so a prefetch abort handler can return to the caller. */
static uint32_t call_at(uint32_t target)
{
    register uint32_t r0 __asm__("r0");
    register uint32_t t __asm__("r5") = target;
    __asm__ volatile(
#ifdef __thumb__
        "adr r4, 1f\n\t"
        "orr r4, r4, #1\n\t"
#else
        "adr r4, 1f\n\t"
#endif
        "blx r5\n\t"
        ".balign 4\n"
        "1:"
        : "=r"(r0) : "r"(t) : "r1", "r2", "r3", "r4", "r12", "lr", "memory", "cc");
    return r0;
}

/* Single accesses with a known instruction, for the fault tests. */
static uint32_t rd(uint32_t va) { uint32_t v = 0xeeeeeeee; __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(va) : "memory"); return v; }
static void wr(uint32_t va, uint32_t v) { __asm__ volatile("str %0, [%1]" : : "r"(v), "r"(va) : "memory"); }
static uint32_t rdt(uint32_t va) { uint32_t v = 0xeeeeeeee; __asm__ volatile("ldrt %0, [%1]" : "+r"(v) : "r"(va) : "memory"); return v; }
static void wrt(uint32_t va, uint32_t v) { __asm__ volatile("strt %0, [%1]" : : "r"(v), "r"(va) : "memory"); }

static uint32_t fault_of(void) { return fsr & 0xc0f; }

#define CHECK_FAULT(what, expr, n_before, want_fsr, want_far)       \
    do {                                                            \
        int _b = n_before;                                          \
        expr;                                                       \
        check_i32(what ": faults", n_dabt + n_pabt - _b, 1);        \
        check_u32(what ": FSR", fault_of(), want_fsr);              \
        check_u32(what ": FAR", far, want_far);                     \
    } while (0)

int main(void)
{
    extern char __image_end[];
    check_true("image ends below the scratch area", (uint32_t)__image_end <= SCRATCH);

    /* Identity map. */
    for (uint32_t i = 0; i < 0x400; i++) l1[i] = i << 20 | SEC | SEC_DEVICE | SEC_AP(3);
    for (uint32_t i = 0x400; i < 0x480; i++) l1[i] = i << 20 | SEC | SEC_NORMAL | SEC_AP(3);
    /* Scratch data. */
    for (uint32_t i = 0; i < 0x100000; i++) ((volatile uint32_t *)SCRATCH)[i] = SCRATCH + 4 * i;

    MCR(c3, 0, c0, 0, 0x55555555u);           /* DACR: all domains client */
    MCR(c2, 0, c0, 2, 0);                     /* TTBCR: N = 0, short descriptors */
    MCR(c2, 0, c0, 0, (uint32_t)l1);          /* TTBR0 */
    MCR(c13, 0, c0, 1, 1);                    /* CONTEXTIDR: ASID 1 */
    tlbiall();
    uint32_t sctlr = MRC(c1, 0, c0, 0);
    MCR(c1, 0, c0, 0, sctlr | 1u | (1u << 2) | (1u << 12) | (1u << 11));   /* M, C, I, Z */
    barrier();
    check_u32("SCTLR.M", MRC(c1, 0, c0, 0) & 1, 1);
    printf("MMU on, identity mapped (this line went through a device mapping)\n");

    /* Section alias: VA 0x80000000 -> SCRATCH. */
    l1[0x800] = SCRATCH | SEC | SEC_NORMAL | SEC_AP(3);
    barrier();
    check_u32("alias read", rd(0x80000010), SCRATCH + 0x10);
    wr(0x80000020, 0xabcd0123);
    check_u32("alias write seen at PA", ((volatile uint32_t *)SCRATCH)[8], 0xabcd0123);
    wr(0x80000020, SCRATCH + 0x20);

    /* Small pages at VA 0x90000000: page i -> SCRATCH + (7 - i) * 4 KiB;
     * a large page at VA 0x90010000 -> SCRATCH + 0x30000; page 8 unmapped. */
    memset(l2, 0, sizeof(l2));
    for (uint32_t i = 0; i < 8; i++) l2[i] = (SCRATCH + (7 - i) * 0x1000) | PG_SMALL | PG_NORMAL | PG_AP(3);
    for (uint32_t i = 16; i < 32; i++) l2[i] = (SCRATCH + 0x30000) | PG_LARGE | LPG_NORMAL | LPG_AP(3);
    l1[0x900] = (uint32_t)l2 | 0x1;
    barrier();
    uint32_t ok = 1;
    for (uint32_t i = 0; i < 8; i++) if (rd(0x90000000 + i * 0x1000 + 0x44) != SCRATCH + (7 - i) * 0x1000 + 0x44) ok = 0;
    check_true("small pages map in reverse order", ok);
    check_u32("large page read (offset 0xabc4)", rd(0x9001abc4), SCRATCH + 0x3abc4);

    /* Translation faults. */
    int nb = n_dabt + n_pabt;
    CHECK_FAULT("section translation fault (read 0xa0000004)", rd(0xa0000004), nb, 0x005, 0xa0000004);
    nb = n_dabt + n_pabt;
    CHECK_FAULT("page translation fault (write 0x90008010)", wr(0x90008010, 1), nb, 0x807, 0x90008010);

    /* Permission: read-only section (AP = 101: PL1 RO). */
    l1[0xc00] = (SCRATCH + 0x100000) | SEC | SEC_NORMAL | SEC_AP(5);
    barrier();
    check_u32("read-only section: read", rd(0xc0000008), SCRATCH + 0x100008);
    nb = n_dabt + n_pabt;
    CHECK_FAULT("read-only section: write", wr(0xc0000008, 0), nb, 0x80d, 0xc0000008);
    check_u32("read-only section: data unchanged", ((volatile uint32_t *)SCRATCH)[0x40002], SCRATCH + 0x100008);

    /* Unprivileged accesses (LDRT/STRT) against AP = 010 (user read-only) and 001 (no user access). */
    l1[0xc01] = (SCRATCH + 0x100000) | SEC | SEC_NORMAL | SEC_AP(2);
    l1[0xc02] = (SCRATCH + 0x100000) | SEC | SEC_NORMAL | SEC_AP(1);
    barrier();
    check_u32("AP=010: LDRT allowed", rdt(0xc010000c), SCRATCH + 0x10000c);
    nb = n_dabt + n_pabt;
    CHECK_FAULT("AP=010: STRT", wrt(0xc010000c, 0), nb, 0x80d, 0xc010000c);
    nb = n_dabt + n_pabt;
    CHECK_FAULT("AP=001: LDRT", rdt(0xc0200010), nb, 0x00d, 0xc0200010);
    wr(0xc0200010, 0x5a5a5a5a);
    check_u32("AP=001: privileged STR allowed", ((volatile uint32_t *)SCRATCH)[0x40004], 0x5a5a5a5a);
    ((volatile uint32_t *)SCRATCH)[0x40004] = SCRATCH + 0x100010;

    /* Domains: section in domain 3; DACR domain 3 = no access, then manager. */
    l1[0xd00] = (SCRATCH + 0x200000) | SEC | SEC_NORMAL | SEC_AP(0) | SEC_DOM(3);
    barrier();
    MCR(c3, 0, c0, 0, 0x55555515u);           /* domain 3 = 00 (no access) */
    barrier();
    nb = n_dabt + n_pabt;
    CHECK_FAULT("domain fault (no access)", rd(0xd0000000), nb, 0x009, 0xd0000000);
    MCR(c3, 0, c0, 0, 0x55555555u);           /* domain 3 = client: AP=000 -> permission fault */
    barrier();
    nb = n_dabt + n_pabt;
    CHECK_FAULT("client domain, AP=000", rd(0xd0000000), nb, 0x00d, 0xd0000000);
    MCR(c3, 0, c0, 0, 0x555555d5u);           /* domain 3 = 11 (manager): no permission checks */
    barrier();
    check_u32("manager domain, AP=000: read allowed", rd(0xd0000004), SCRATCH + 0x200004);
    MCR(c3, 0, c0, 0, 0x55555555u);
    barrier();

    /* Execute from a remapped page, then XN. */
    volatile uint32_t *code = (volatile uint32_t *)(SCRATCH + 0x300000);
    code[0] = 0xe3a0002a;   /* mov r0, #42 */
    code[1] = 0xe12fff1e;   /* bx lr */
    MCR(c7, 0, c10, 1, (uint32_t)code);       /* DCCMVAC */
    barrier();
    MCR(c7, 0, c5, 0, 0);                     /* ICIALLU */
    MCR(c7, 0, c5, 6, 0);                     /* BPIALL */
    barrier();
    l1[0xb00] = (SCRATCH + 0x300000) | SEC | SEC_NORMAL | SEC_AP(3);
    barrier();
    check_u32("call code at VA 0xb0000000", call_at(0xb0000000), 42);
    l1[0xb00] |= SEC_XN;
    tlbimva(0xb0000000);
    MCR(c7, 0, c5, 0, 0);
    barrier();
    nb = n_dabt + n_pabt;
    uint32_t r = call_at(0xb0000000);
    check_u32("XN: call returns through the prefetch abort handler", r, 0xfa017);
    check_i32("XN: prefetch aborts", n_pabt, 1);
    check_u32("XN: IFSR", fault_of(), 0x00d);
    check_u32("XN: IFAR", far, 0xb0000000);

    /* Remap with TLB maintenance. */
    check_u32("before remap", rd(0x80000100), SCRATCH + 0x100);
    l1[0x800] = (SCRATCH + 0x100000) | SEC | SEC_NORMAL | SEC_AP(3);
    tlbimva(0x80000000);
    check_u32("after remap + TLBIMVA", rd(0x80000100), SCRATCH + 0x100100);
    l1[0x800] = (SCRATCH + 0x200000) | SEC | SEC_NORMAL | SEC_AP(3);
    tlbiall();
    check_u32("after remap + TLBIALL", rd(0x80000100), SCRATCH + 0x200100);
    l2[3] = (SCRATCH + 0x2000) | PG_SMALL | PG_NORMAL | PG_AP(3);
    l1[0x900] = (uint32_t)l2 | 0x1;
    tlbimva(0x90003000);
    check_u32("small page remap + TLBIMVA", rd(0x90003008), SCRATCH + 0x2008);

    /* ASIDs: a non-global mapping, changed while switching ASID 1 -> 2. */
    l1[0xe00] = (SCRATCH + 0x100000) | SEC | SEC_NORMAL | SEC_AP(3) | SEC_NG;
    barrier();
    check_u32("nG mapping, ASID 1", rd(0xe0000040), SCRATCH + 0x100040);
    l1[0xe00] = (SCRATCH + 0x200000) | SEC | SEC_NORMAL | SEC_AP(3) | SEC_NG;
    barrier();
    MCR(c13, 0, c0, 1, 2);                    /* ASID 2: no stale entry can match */
    barrier();
    check_u32("nG mapping, ASID 2 after table change", rd(0xe0000040), SCRATCH + 0x200040);
    MCR(c8, 0, c7, 2, 1);                     /* TLBIASID 1 */
    MCR(c13, 0, c0, 1, 1);
    barrier();
    check_u32("nG mapping, back to ASID 1 after TLBIASID", rd(0xe0000040), SCRATCH + 0x200040);

    /* TTBR0/TTBR1 split: TTBCR.N = 1 -> VAs >= 0x80000000 use TTBR1. */
    memcpy(l1b, l1, sizeof(l1b));
    l1b[0x800] = (SCRATCH + 0x300000) | SEC | SEC_NORMAL | SEC_AP(3);
    barrier();
    MCR(c2, 0, c0, 1, (uint32_t)l1b);         /* TTBR1 */
    MCR(c2, 0, c0, 2, 1);                     /* TTBCR.N = 1 */
    tlbiall();
    check_u32("TTBCR.N=1: 0x80000000 through TTBR1", rd(0x80000000), 0xe3a0002a);
    check_u32("TTBCR.N=1: low VA still through TTBR0", rd(SCRATCH + 4), SCRATCH + 4);
    MCR(c2, 0, c0, 2, 0);
    tlbiall();
    check_u32("TTBCR.N=0: 0x80000000 through TTBR0 again", rd(0x80000100), SCRATCH + 0x200100);

    /* ATS1CPR: VA -> PA through the MMU, result in PAR. */
    MCR(c7, 0, c8, 0, 0x9001abc4u);
    barrier();
    uint32_t par = MRC(c7, 0, c4, 0);
    check_u32("ATS1CPR(0x9001abc4): PAR PA", par & 0xfffff001u, (SCRATCH + 0x3a000) & 0xfffff000u);
    MCR(c7, 0, c8, 0, 0xa0000000u);
    barrier();
    par = MRC(c7, 0, c4, 0);
    check_u32("ATS1CPR(0xa0000000): PAR.F and FS", par & 0x7f, 0x0b);   /* F=1, FS=00101 << 1 */

    /* Data cache maintenance by set/way and by MVA are accepted. */
    MCR(c7, 0, c14, 1, SCRATCH);              /* DCCIMVAC */
    MCR(c7, 0, c6, 1, SCRATCH + 0x40);        /* DCIMVAC */
    MCR(c7, 0, c10, 2, 0);                    /* DCCSW */
    MCR(c7, 0, c1, 0, 0);                     /* ICIALLUIS */
    MCR(c8, 0, c3, 0, 0);                     /* TLBIALLIS */
    barrier();

    /* A 32-bit Thumb instruction across a page boundary: MOVW r0 at VA 0xf0000ffe, its second
     * halfword on the next virtual page, which is not the physical page after the first. Code:
     * NOP; MOVW r0, #imm; BX lr. Then that page is remapped to one with another immediate (TLB
     * maintenance only: the I-cache is PIPT). The result must follow the mapping, not the
     * physically next page (a decoy) nor the code seen before the remap. */
    {
        volatile uint16_t *pa = (volatile uint16_t *)(SCRATCH + 0x380000);
        volatile uint16_t *decoy = (volatile uint16_t *)(SCRATCH + 0x381000);
        volatile uint16_t *pb = (volatile uint16_t *)(SCRATCH + 0x384000);
        volatile uint16_t *pc = (volatile uint16_t *)(SCRATCH + 0x386000);
        pa[0xffc / 2] = 0xbf00;                 /* nop */
        pa[0xffe / 2] = 0xf241;                 /* movw r0, #0x12xx (first halfword) */
        decoy[0] = 0x2099; decoy[1] = 0x4770;   /* ... #0x1299; bx lr */
        pb[0] = 0x2034; pb[1] = 0x4770;         /* ... #0x1234; bx lr */
        pc[0] = 0x2077; pc[1] = 0x4770;         /* ... #0x1277; bx lr */
        for (uint32_t a = SCRATCH + 0x380000; a < SCRATCH + 0x387000; a += 64) MCR(c7, 0, c10, 1, a);
        barrier();
        MCR(c7, 0, c5, 0, 0);
        memset(l2c, 0, sizeof(l2c));
        l2c[0] = (SCRATCH + 0x380000) | PG_SMALL | PG_NORMAL | PG_AP(3);
        l2c[1] = (SCRATCH + 0x384000) | PG_SMALL | PG_NORMAL | PG_AP(3);
        l1[0xf00] = (uint32_t)l2c | 0x1;
        tlbiall();
        uint32_t good = 0;
        for (int i = 0; i < 8; i++) good += call_at(0xf0000ffc | 1) == 0x1234;
        for (int i = 0; i < 8; i++) good += call_at(0xf0000ffe | 1) == 0x1234;
        check_i32("Thumb instruction across pages: runs with its mapped halves", good, 16);
        l2c[1] = (SCRATCH + 0x386000) | PG_SMALL | PG_NORMAL | PG_AP(3);
        tlbimva(0xf0001000);
        MCR(c7, 0, c5, 6, 0);                   /* BPIALL */
        barrier();
        good = 0;
        for (int i = 0; i < 8; i++) good += call_at(0xf0000ffc | 1) == 0x1277;
        for (int i = 0; i < 8; i++) good += call_at(0xf0000ffe | 1) == 0x1277;
        check_i32("Thumb instruction across pages: its second page remapped", good, 16);
        l1[0xf00] = 0;
        tlbiall();
    }

    /* MMU off: identity again, aliases gone. */
    MCR(c1, 0, c0, 0, sctlr);
    barrier();
    check_u32("SCTLR.M after disabling", MRC(c1, 0, c0, 0) & 1, 0);
    check_u32("PA read with MMU off", rd(SCRATCH + 0x100), SCRATCH + 0x100);
    check_i32("data aborts", n_dabt, 7);
    return finish("mmu");
}
