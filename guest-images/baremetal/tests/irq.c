/* irq: interrupts through the GICv2 and the generic timer.
 * - GIC: distributor and CPU interface enable, spurious IAR (1023), the idle
 *   running priority, priorities and the priority mask (GICC_PMR), the binary
 *   point (GICC_BPR) and preemption seen through a nested IAR read inside a
 *   handler, active state, SGIs through GICD_SGIR (target list, "self" and
 *   "others" filters), per-interrupt enables, the distributor and CPU
 *   interface enables.
 * - Generic timer: CNTFRQ, the counters, TVAL/CVAL (both timers), ISTATUS
 *   polling, IMASK and ENABLE driving the interrupt line, interrupts taken
 *   in an IRQ handler (vector at VBAR, GICC_IAR acknowledge, GICC_EOIR), a
 *   level-sensitive interrupt that stays asserted, WFI woken by the timer
 *   (also with CPSR.I set, the idle pattern), and nested local_irq_save /
 *   local_irq_restore (CPSID/CPSIE, MSR cpsr_c).
 * - PL011 transmit interrupt (SPI 1 = ID 33) masked and unmasked in UARTIMSC.
 * Nothing printed depends on timing: the guest waits for each interrupt (WFI
 * or bounded polling) and prints counts and interrupt IDs only. */
#include "rt.h"

#define REG(a) (*(volatile uint32_t *)(a))
#define REG8(a) (*(volatile uint8_t *)(a))

#define GICD 0x08000000u
#define GICC 0x08010000u
#define GICD_CTLR REG(GICD + 0x000)
#define GICD_IIDR REG(GICD + 0x008)
#define GICD_ISENABLER(n) REG(GICD + 0x100 + 4 * (n))
#define GICD_ICENABLER(n) REG(GICD + 0x180 + 4 * (n))
#define GICD_ISPENDR(n) REG(GICD + 0x200 + 4 * (n))
#define GICD_ICPENDR(n) REG(GICD + 0x280 + 4 * (n))
#define GICD_ISACTIVER(n) REG(GICD + 0x300 + 4 * (n))
#define GICD_ICACTIVER(n) REG(GICD + 0x380 + 4 * (n))
#define GICD_IPRIORITY(i) REG8(GICD + 0x400 + (i))
#define GICD_IPRIORITYR(n) REG(GICD + 0x400 + 4 * (n))
#define GICD_ITARGETSR(n) REG(GICD + 0x800 + 4 * (n))
#define GICD_SGIR REG(GICD + 0xf00)
#define GICD_CPENDSGIR(n) REG(GICD + 0xf10 + 4 * (n))
#define GICD_SPENDSGIR(n) REG(GICD + 0xf20 + 4 * (n))
#define GICC_CTLR REG(GICC + 0x00)
#define GICC_PMR REG(GICC + 0x04)
#define GICC_BPR REG(GICC + 0x08)
#define GICC_IAR REG(GICC + 0x0c)
#define GICC_EOIR REG(GICC + 0x10)
#define GICC_RPR REG(GICC + 0x14)
#define GICC_HPPIR REG(GICC + 0x18)

#define UART_RIS REG(UART0_BASE + 0x03c)
#define UART_MIS REG(UART0_BASE + 0x040)
#define UART_IMSC REG(UART0_BASE + 0x038)
#define UART_ICR REG(UART0_BASE + 0x044)

#define ID_VTIMER 27
#define ID_PTIMER 30
#define ID_UART 33
#define SPURIOUS 1023

#define MCR(crn, op1, crm, op2, v) __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : : "r"(v) : "memory")
#define MRC(crn, op1, crm, op2) ({ uint32_t _v; __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(_v) : : "memory"); _v; })

static inline void isb(void) { __asm__ volatile("isb" : : : "memory"); }
static inline void dsb(void) { __asm__ volatile("dsb" : : : "memory"); }
static inline void irq_on(void) { __asm__ volatile("cpsie i" : : : "memory"); }
static inline void irq_off(void) { __asm__ volatile("cpsid i" : : : "memory"); }
static inline void wfi(void) { __asm__ volatile("dsb\n\twfi" : : : "memory"); }

/* Linux's local_irq_save/restore: nesting through the saved CPSR. */
static inline uint32_t irq_save(void)
{
    uint32_t f;
    __asm__ volatile("mrs %0, cpsr\n\tcpsid i" : "=r"(f) : : "memory");
    return f;
}
static inline void irq_restore(uint32_t f) { __asm__ volatile("msr cpsr_c, %0" : : "r"(f) : "memory"); }

/* Generic timer (B8.2): CP15 c14. */
static uint64_t cntpct(void) { uint32_t lo, hi; __asm__ volatile("isb\n\tmrrc p15, 0, %0, %1, c14" : "=r"(lo), "=r"(hi) : : "memory"); return (uint64_t)hi << 32 | lo; }
static uint64_t cntvct(void) { uint32_t lo, hi; __asm__ volatile("isb\n\tmrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi) : : "memory"); return (uint64_t)hi << 32 | lo; }
static uint64_t cntp_cval(void) { uint32_t lo, hi; __asm__ volatile("mrrc p15, 2, %0, %1, c14" : "=r"(lo), "=r"(hi) : : "memory"); return (uint64_t)hi << 32 | lo; }
static uint64_t cntv_cval(void) { uint32_t lo, hi; __asm__ volatile("mrrc p15, 3, %0, %1, c14" : "=r"(lo), "=r"(hi) : : "memory"); return (uint64_t)hi << 32 | lo; }
static void set_cntp_cval(uint64_t v) { __asm__ volatile("mcrr p15, 2, %0, %1, c14\n\tisb" : : "r"((uint32_t)v), "r"((uint32_t)(v >> 32)) : "memory"); }
static void set_cntv_cval(uint64_t v) { __asm__ volatile("mcrr p15, 3, %0, %1, c14\n\tisb" : : "r"((uint32_t)v), "r"((uint32_t)(v >> 32)) : "memory"); }
static uint32_t cntp_ctl(void) { return MRC(c14, 0, c2, 1); }
static uint32_t cntv_ctl(void) { return MRC(c14, 0, c3, 1); }
static void set_cntp_ctl(uint32_t v) { MCR(c14, 0, c2, 1, v); isb(); }
static void set_cntv_ctl(uint32_t v) { MCR(c14, 0, c3, 1, v); isb(); }
static int32_t cntv_tval(void) { return (int32_t)MRC(c14, 0, c3, 0); }
static void set_cntp_tval(uint32_t v) { MCR(c14, 0, c2, 0, v); isb(); }
static void set_cntv_tval(uint32_t v) { MCR(c14, 0, c3, 0, v); isb(); }
#define CTL_ENABLE 1u
#define CTL_IMASK 2u
#define CTL_ISTATUS 4u

/* ---- the IRQ handler ---- */

static volatile uint32_t n_irq, n_spurious;
static volatile uint32_t n_id[64];
static volatile uint32_t id_log[64];
static volatile uint32_t n_log;
static volatile uint32_t bad_state;        /* handler saw an unexpected CPSR/SPSR */
static volatile uint32_t sgi_source_bits;  /* OR of GICC_IAR[12:10] for SGIs */
static volatile uint32_t active_seen;      /* OR of "was active in GICD_ISACTIVER" */
static volatile int vtimer_storm;          /* EOI the virtual timer this many times before masking it */
static void (*volatile hook)(uint32_t id);

static uint32_t spsr_mode_expected = 0x13;

int exc_handler(int type, struct exc_frame *f)
{
    if (type != EXC_IRQ)
        return 0;
    f->pc -= 4;                         /* LR_irq = next instruction + 4, ARM and Thumb */
    uint32_t cpsr = get_cpsr();
    if ((cpsr & 0x1f) != 0x12 || !(cpsr & 0x80))
        bad_state |= 1;
    if ((f->spsr & 0x1f) != spsr_mode_expected || (f->spsr & 0x80))
        bad_state |= 2;
#ifdef __thumb__
    if (!(f->spsr & CPSR_T))
        bad_state |= 4;
#else
    if (f->spsr & CPSR_T)
        bad_state |= 4;
#endif
    uint32_t iar = GICC_IAR;
    uint32_t id = iar & 0x3ff;
    if (id == SPURIOUS) {
        n_spurious++;
        return 1;
    }
    n_irq++;
    if (id < 64)
        n_id[id]++;
    if (n_log < 64)
        id_log[n_log++] = id;
    if (id < 16)
        sgi_source_bits |= iar & 0x1c00;
    if (id < 32 && (GICD_ISACTIVER(0) >> id & 1))
        active_seen |= 1u << id;
    if (hook)
        hook(id);
    switch (id) {
    case ID_VTIMER:
        if (vtimer_storm > 0)
            vtimer_storm--;             /* leave it asserted: it comes back at once */
        else
            set_cntv_ctl(CTL_ENABLE | CTL_IMASK);
        break;
    case ID_PTIMER:
        set_cntp_ctl(0);
        break;
    case ID_UART:
        UART_IMSC = 0;
        break;
    }
    GICC_EOIR = iar;
    return 1;
}

/* Waits for n_irq to move past `old`, sleeping in WFI with the interrupt
 * masked around the check so that no wake-up is lost. */
static void wait_irq(uint32_t old)
{
    irq_off();
    while (n_irq == old) {
        wfi();
        irq_on();
        isb();
        irq_off();
    }
    irq_on();
}

/* Polls (IRQs enabled) until n_irq moves past `old`; 1 if it did. */
static int poll_irq(uint32_t old)
{
    for (int i = 0; i < 2000000; i++) {
        if (n_irq != old)
            return 1;
        isb();
    }
    return 0;
}

static void clear_log(void)
{
    n_log = 0;
    for (int i = 0; i < 64; i++)
        n_id[i] = 0;
}

static void print_log(const char *what, const char *expect)
{
    char buf[160];
    int p = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < n_log && p < 140; i++)
        p += snprintf(buf + p, sizeof(buf) - p, i ? " %u" : "%u", (unsigned)id_log[i]);
    check_str(what, buf, expect);
}

/* ---- tests ---- */

static void gic_setup(void)
{
    GICD_CTLR = 0;
    GICC_CTLR = 0;
    for (int n = 0; n < 3; n++) {
        GICD_ICENABLER(n) = 0xffffffffu;
        GICD_ICPENDR(n) = 0xffffffffu;
        GICD_ICACTIVER(n) = 0xffffffffu;
    }
    for (int n = 0; n < 4; n++)
        GICD_CPENDSGIR(n) = 0xffffffffu;
    for (int n = 0; n < 24; n++)
        GICD_IPRIORITYR(n) = 0xa0a0a0a0u;
    GICD_ITARGETSR(8) = 0x01010101u;    /* IDs 32-35 to CPU 0 */
    GICC_PMR = 0xff;
    GICC_BPR = 0;
    GICD_CTLR = 1;
    GICC_CTLR = 1;
}

static void test_gic_regs(void)
{
    check_u32("GICD_IIDR", GICD_IIDR, 0x0000043b);
    check_u32("GICC_PMR after writing 0xff", GICC_PMR, 0xff);
    check_u32("GICC_BPR after writing 0", GICC_BPR, 0);
    GICD_IPRIORITY(40) = 0xff;
    check_u32("GICD_IPRIORITYR byte after writing 0xff", GICD_IPRIORITY(40), 0xff);
    GICD_IPRIORITY(40) = 0xa0;
    check_u32("GICD_IPRIORITYR word 10 (byte writes)", GICD_IPRIORITYR(10), 0xa0a0a0a0);
    /* IHI 0048B 4.3.12: RAZ/WI in a uniprocessor implementation. */
    check_u32("GICD_ITARGETSR0 (uniprocessor: RAZ)", GICD_ITARGETSR(0), 0);
    check_u32("GICD_ITARGETSR8 (uniprocessor: RAZ/WI)", GICD_ITARGETSR(8), 0);
    check_u32("GICD_ISENABLER0 SGI bits are enabled", GICD_ISENABLER(0) & 0xffff, 0xffff);
    check_u32("GICD_ISENABLER0 PPI bits after ICENABLER", GICD_ISENABLER(0) >> 16, 0);
    check_u32("GICC_IAR with nothing pending", GICC_IAR & 0x3ff, SPURIOUS);
    check_u32("GICC_HPPIR with nothing pending", GICC_HPPIR & 0x3ff, SPURIOUS);
    check_u32("GICC_RPR when idle", GICC_RPR, 0xff);
}

static void test_timer_regs(void)
{
    check_u32("CNTFRQ", MRC(c14, 0, c0, 0), 62500000);
    uint64_t p0 = cntpct(), v0 = cntvct();
    uint64_t p1 = cntpct(), v1 = cntvct();
    check_true("CNTPCT does not go backwards", p1 >= p0);
    check_true("CNTVCT does not go backwards", v1 >= v0);
    check_true("CNTVCT is CNTPCT (CNTVOFF = 0)", v0 >= p0 && v0 <= p1);
    int moved = 0;
    for (int i = 0; i < 1000000 && !moved; i++)
        moved = cntvct() != v1;
    check_true("CNTVCT advances", moved);

    /* TVAL is CVAL - count, a signed 32-bit view; writing it sets CVAL. */
    set_cntv_ctl(0);
    set_cntp_ctl(0);
    uint64_t before = cntvct();
    set_cntv_tval(1000000000u);
    uint64_t after = cntvct();
    uint64_t cval = cntv_cval();
    check_true("CNTV_TVAL write sets CVAL = count + TVAL", cval >= before + 1000000000u && cval <= after + 1000000000u);
    int32_t tv = cntv_tval();
    check_true("CNTV_TVAL reads back CVAL - count (counting down)", tv <= 1000000000 && tv > 500000000);
    before = cntpct();
    set_cntp_tval(2000000000u);
    after = cntpct();
    cval = cntp_cval();
    check_true("CNTP_TVAL write sets CVAL = count + TVAL", cval >= before + 2000000000u && cval <= after + 2000000000u);
    set_cntp_cval(0x123456789abcull);
    check_u64("CNTP_CVAL reads back", cntp_cval(), 0x123456789abcull);
    set_cntv_cval(0xfedcba9876ull);
    check_u64("CNTV_CVAL reads back", cntv_cval(), 0xfedcba9876ull);

    /* A compare value in the past: ISTATUS set as soon as the timer is enabled. */
    set_cntv_cval(cntvct() - 1000);
    tv = cntv_tval();
    check_true("CNTV_TVAL is negative for a CVAL in the past", tv <= -1000 && tv > -500000000);
    set_cntv_cval(0);
    set_cntv_ctl(CTL_ENABLE | CTL_IMASK);
    check_u32("CNTV_CTL enabled+masked, CVAL past", cntv_ctl(), CTL_ENABLE | CTL_IMASK | CTL_ISTATUS);
    set_cntp_cval(0);
    set_cntp_ctl(CTL_ENABLE | CTL_IMASK);
    check_u32("CNTP_CTL enabled+masked, CVAL past", cntp_ctl(), CTL_ENABLE | CTL_IMASK | CTL_ISTATUS);
    /* A compare value far in the future: ISTATUS clear. */
    set_cntp_cval(cntpct() + (1ull << 40));
    check_u32("CNTP_CTL enabled, CVAL future", cntp_ctl(), CTL_ENABLE | CTL_IMASK);
    set_cntp_tval(0x7fffffff);
    check_u32("CNTP_CTL enabled, TVAL 2^31-1", cntp_ctl(), CTL_ENABLE | CTL_IMASK);
    set_cntp_ctl(0);
    set_cntv_ctl(0);
}

/* The timer output drives the GIC's level-sensitive PPI: IMASK and ENABLE
 * take it down, the pending bit follows (IRQs masked at the CPU). */
static void test_timer_lines(void)
{
    irq_off();
    GICD_ISENABLER(0) = 1u << ID_VTIMER | 1u << ID_PTIMER;
    set_cntv_cval(0);
    set_cntv_ctl(CTL_ENABLE | CTL_IMASK);
    check_u32("vtimer IMASK=1: GICD_ISPENDR0 bit 27", GICD_ISPENDR(0) >> ID_VTIMER & 1, 0);
    set_cntv_ctl(CTL_ENABLE);
    check_u32("vtimer IMASK=0: GICD_ISPENDR0 bit 27", GICD_ISPENDR(0) >> ID_VTIMER & 1, 1);
    check_u32("vtimer IMASK=0: GICC_HPPIR", GICC_HPPIR & 0x3ff, ID_VTIMER);
    check_u32("vtimer pending with CPSR.I set: taken", n_irq, 0);
    set_cntv_ctl(0);
    check_u32("vtimer disabled: GICD_ISPENDR0 bit 27", GICD_ISPENDR(0) >> ID_VTIMER & 1, 0);
    check_u32("vtimer disabled: GICC_HPPIR", GICC_HPPIR & 0x3ff, SPURIOUS);
    set_cntp_cval(0);
    set_cntp_ctl(CTL_ENABLE);
    check_u32("ptimer fired: GICD_ISPENDR0 bit 30", GICD_ISPENDR(0) >> ID_PTIMER & 1, 1);
    GICD_ICENABLER(0) = 1u << ID_PTIMER;
    check_u32("ptimer fired, ID 30 disabled: still pending", GICD_ISPENDR(0) >> ID_PTIMER & 1, 1);
    check_u32("ptimer fired, ID 30 disabled: GICC_HPPIR", GICC_HPPIR & 0x3ff, SPURIOUS);
    set_cntp_ctl(CTL_ENABLE | CTL_IMASK);
    check_u32("ptimer IMASK=1: GICD_ISPENDR0 bit 30", GICD_ISPENDR(0) >> ID_PTIMER & 1, 0);
    set_cntp_ctl(0);
    GICD_ISENABLER(0) = 1u << ID_PTIMER;
    irq_on();
    isb();
    check_u32("interrupts taken so far", n_irq, 0);
}

static void test_timer_irqs(void)
{
    clear_log();
    uint32_t f = MRC(c14, 0, c0, 0);
    /* Virtual timer: 5 interrupts, TVAL = 1 ms, wait in WFI. */
    for (int i = 0; i < 5; i++) {
        uint32_t old = n_irq;
        set_cntv_tval(f / 1000);
        set_cntv_ctl(CTL_ENABLE);
        wait_irq(old);
    }
    check_u32("vtimer: interrupts taken (TVAL 1 ms, WFI)", n_id[ID_VTIMER], 5);
    check_u32("vtimer: handler left it masked, ISTATUS set", cntv_ctl(), CTL_ENABLE | CTL_IMASK | CTL_ISTATUS);
    set_cntv_ctl(0);
    /* Physical timer: 5 interrupts, CVAL = count + 0.5 ms. */
    for (int i = 0; i < 5; i++) {
        uint32_t old = n_irq;
        set_cntp_cval(cntpct() + f / 2000);
        set_cntp_ctl(CTL_ENABLE);
        wait_irq(old);
        if (cntpct() < cntp_cval())
            bad_state |= 8;             /* taken before its compare value */
    }
    check_u32("ptimer: interrupts taken (CVAL +0.5 ms, WFI)", n_id[ID_PTIMER], 5);
    print_log("interrupt IDs in order", "27 27 27 27 27 30 30 30 30 30");
    check_u32("timer interrupts were active in their handlers", active_seen >> 24, (1u << 3) | (1u << 6));
    check_u32("no timer interrupt arrived before its compare value", bad_state & 8, 0);
    printf("took %u timer interrupts\n", (unsigned)(n_id[ID_VTIMER] + n_id[ID_PTIMER]));

    /* Level-sensitive: EOI without masking the source, it is taken again. */
    clear_log();
    vtimer_storm = 3;
    set_cntv_cval(0);
    uint32_t old = n_irq;
    set_cntv_ctl(CTL_ENABLE);
    wait_irq(old);
    for (int i = 0; i < 1000 && vtimer_storm; i++)
        isb();
    check_u32("vtimer left asserted across EOI: taken", n_id[ID_VTIMER], 4);
    set_cntv_ctl(0);
}

/* WFI with CPSR.I set wakes on the pending interrupt without taking it;
 * nested irq_save/irq_restore keep it masked until the outermost restore. */
static void test_masking(void)
{
    uint32_t f = MRC(c14, 0, c0, 0);
    clear_log();
    uint32_t outer = irq_save();
    uint32_t old = n_irq;
    set_cntv_tval(f / 1000);
    set_cntv_ctl(CTL_ENABLE);
    int wakes = 0;
    while (!(GICD_ISPENDR(0) >> ID_VTIMER & 1) && wakes < 100000) {
        wfi();
        wakes++;
    }
    check_u32("WFI with CPSR.I set: woke with vtimer pending", GICD_ISPENDR(0) >> ID_VTIMER & 1, 1);
    check_u32("WFI with CPSR.I set: ISTATUS", cntv_ctl() & CTL_ISTATUS, CTL_ISTATUS);
    check_u32("WFI with CPSR.I set: not taken", n_irq - old, 0);
    uint32_t inner = irq_save();
    check_u32("nested irq_save: I was already set", inner >> 7 & 1, 1);
    irq_restore(inner);
    isb();
    check_u32("inner irq_restore: still not taken", n_irq - old, 0);
    __asm__ volatile("cpsid i\n\tcpsid i" : : : "memory");
    isb();
    check_u32("CPSID twice: not taken", n_irq - old, 0);
    irq_restore(outer);
    poll_irq(old);
    check_u32("outer irq_restore: taken", n_irq - old, 1);
    check_u32("CPSR.I after the outer restore", get_cpsr() >> 7 & 1, 0);

    /* CPSID / CPSIE pairs. */
    old = n_irq;
    irq_off();
    set_cntv_cval(0);
    set_cntv_ctl(CTL_ENABLE);
    for (int i = 0; i < 1000; i++)
        isb();
    check_u32("CPSID: pending vtimer not taken", n_irq - old, 0);
    irq_on();
    poll_irq(old);
    check_u32("CPSIE: taken", n_irq - old, 1);
    set_cntv_ctl(0);
    print_log("interrupt IDs in order", "27 27");
}

/* SGIs: target list, "all but self" and "self" filters. */
static void test_sgis(void)
{
    clear_log();
    sgi_source_bits = 0;
    int lost = 0;
    for (uint32_t id = 0; id < 16; id++) {
        uint32_t old = n_irq;
        GICD_SGIR = 1u << 16 | id;      /* filter 0: target list = CPU 0 */
        lost += !poll_irq(old);
        old = n_irq;
        GICD_SGIR = 2u << 24 | id;      /* filter 2: the requesting CPU */
        lost += !poll_irq(old);
    }
    check_i32("SGIs lost", lost, 0);
    uint32_t all = 1;
    for (int id = 0; id < 16; id++)
        all &= n_id[id] == 2;
    check_true("each SGI taken twice", all);
    check_u32("SGIs: GICC_IAR CPUID bits", sgi_source_bits, 0);
    /* Filter 1 (all but self) and an empty target list reach nobody here. */
    uint32_t old = n_irq;
    GICD_SGIR = 1u << 24 | 3;
    GICD_SGIR = 0u << 24 | 0u << 16 | 4;
    for (int i = 0; i < 100000; i++)
        isb();
    check_u32("SGI to others / to an empty target list: taken", n_irq - old, 0);
    check_u32("... and not pending", GICD_ISPENDR(0) & 0xffff, 0);
}

static volatile uint32_t nest_rpr0, nest_hppir, nest_iar1, nest_rpr1, nest_rpr2, nest_iar2, nest_active;

static void nest_hook(uint32_t id)
{
    if (id != 1)
        return;
    nest_rpr0 = GICC_RPR;
    GICD_SGIR = 2u << 24 | 2;           /* priority 0xc0: lower */
    GICD_SGIR = 2u << 24 | 3;           /* priority 0x40: higher */
    nest_hppir = GICC_HPPIR & 0x3ff;
    nest_iar1 = GICC_IAR;               /* preempts: 0x40 is above the running 0x80 */
    nest_rpr1 = GICC_RPR;
    nest_active = GICD_ISACTIVER(0) & 0xffff;
    GICC_EOIR = nest_iar1;
    nest_rpr2 = GICC_RPR;
    nest_iar2 = GICC_IAR & 0x3ff;       /* 0xc0 cannot preempt 0x80 */
}

static volatile uint32_t bpr7_iar;
static void bpr_hook(uint32_t id)
{
    if (id != 1)
        return;
    GICD_SGIR = 2u << 24 | 3;
    bpr7_iar = GICC_IAR & 0x3ff;        /* BPR 7: one priority group, no preemption */
}

static void test_priorities(void)
{
    clear_log();
    GICD_IPRIORITY(1) = 0x80;
    GICD_IPRIORITY(2) = 0xc0;
    GICD_IPRIORITY(3) = 0x40;
    GICD_IPRIORITY(7) = 0x80;

    /* PMR: only priorities strictly above (numerically below) the mask. */
    GICC_PMR = 0x80;
    uint32_t old = n_irq;
    GICD_SGIR = 2u << 24 | 7;
    for (int i = 0; i < 100000; i++)
        isb();
    check_u32("PMR 0x80, SGI 7 at 0x80: taken", n_irq - old, 0);
    check_u32("PMR 0x80: SGI 7 pending (GICD_ISPENDR0)", GICD_ISPENDR(0) >> 7 & 1, 1);
    check_u32("PMR 0x80: SGI 7 pending from CPU 0 (GICD_SPENDSGIR1)", GICD_SPENDSGIR(1), 0x01000000);
    check_u32("PMR 0x80: GICC_IAR", GICC_IAR & 0x3ff, SPURIOUS);
    GICC_PMR = 0x81;
    poll_irq(old);
    check_u32("PMR 0x81: taken", n_irq - old, 1);
    GICC_PMR = 0xff;

    /* A clear-pending SGI is never taken. */
    irq_off();
    old = n_irq;
    GICD_SGIR = 2u << 24 | 9;
    check_u32("SGI 9 pending (GICD_SPENDSGIR2)", GICD_SPENDSGIR(2), 0x00000100);
    GICD_CPENDSGIR(2) = 0x00000100;
    check_u32("SGI 9 after GICD_CPENDSGIR2", GICD_ISPENDR(0) >> 9 & 1, 0);
    /* SGI 10 set pending from CPU 0 with a byte write: a word write makes
     * QEMU 7.2 set every SGI of the word pending, even those whose byte is 0,
     * and it then aborts on an assertion when one of those is acknowledged. */
    REG8(GICD + 0xf2a) = 0x01;
    check_u32("SGI 10 set pending through GICD_SPENDSGIR2", GICD_ISPENDR(0) >> 10 & 1, 1);
    irq_on();
    poll_irq(old);
    check_u32("SGI 10 taken", n_id[10], 1);

    /* Preemption: inside SGI 1 (0x80), SGI 3 (0x40) can be acknowledged,
     * SGI 2 (0xc0) cannot; SGI 2 comes after the handler returns. */
    clear_log();
    hook = nest_hook;
    old = n_irq;
    GICD_SGIR = 2u << 24 | 1;
    poll_irq(old);
    for (int i = 0; i < 100000 && n_irq - old < 2; i++)
        isb();
    hook = 0;
    check_u32("in SGI 1 (0x80): GICC_RPR", nest_rpr0, 0x80);
    check_u32("in SGI 1: GICC_HPPIR after SGIs 2 and 3", nest_hppir, 3);
    check_u32("in SGI 1: GICC_IAR (SGI 3 preempts)", nest_iar1 & 0x3ff, 3);
    check_u32("in SGI 3: GICC_RPR", nest_rpr1, 0x40);
    check_u32("in SGI 3: GICD_ISACTIVER0 SGI bits", nest_active, (1u << 1) | (1u << 3));
    check_u32("SGI 3 EOI: GICC_RPR back to", nest_rpr2, 0x80);
    check_u32("in SGI 1: GICC_IAR (SGI 2 cannot preempt)", nest_iar2, SPURIOUS);
    print_log("handler entries", "1 2");
    check_u32("after all EOIs: GICC_RPR", GICC_RPR, 0xff);
    check_u32("after all EOIs: GICD_ISACTIVER0", GICD_ISACTIVER(0), 0);

    /* BPR 7: a single group priority, no preemption at all. */
    clear_log();
    GICC_BPR = 7;
    hook = bpr_hook;
    old = n_irq;
    GICD_SGIR = 2u << 24 | 1;
    poll_irq(old);
    for (int i = 0; i < 100000 && n_irq - old < 2; i++)
        isb();
    hook = 0;
    GICC_BPR = 0;
    check_u32("BPR 7, in SGI 1: GICC_IAR with SGI 3 pending", bpr7_iar, SPURIOUS);
    print_log("handler entries", "1 3");

    /* Two pending at once: the higher priority one first. */
    clear_log();
    irq_off();
    GICD_SGIR = 2u << 24 | 2;           /* 0xc0 */
    GICD_SGIR = 2u << 24 | 1;           /* 0x80 */
    GICD_SGIR = 2u << 24 | 3;           /* 0x40 */
    check_u32("three pending: GICC_HPPIR", GICC_HPPIR & 0x3ff, 3);
    old = n_irq;
    irq_on();
    for (int i = 0; i < 100000 && n_irq - old < 3; i++)
        isb();
    print_log("taken in priority order", "3 1 2");
}

static void test_enables(void)
{
    clear_log();
    /* Distributor disabled: the SGI stays pending, then arrives. */
    GICD_CTLR = 0;
    uint32_t old = n_irq;
    GICD_SGIR = 2u << 24 | 5;
    for (int i = 0; i < 100000; i++)
        isb();
    check_u32("GICD_CTLR=0: SGI 5 taken", n_irq - old, 0);
    check_u32("GICD_CTLR=0: GICC_IAR", GICC_IAR & 0x3ff, SPURIOUS);
    GICD_CTLR = 1;
    poll_irq(old);
    check_u32("GICD_CTLR=1: SGI 5 taken", n_id[5], 1);
    /* CPU interface disabled. */
    GICC_CTLR = 0;
    old = n_irq;
    GICD_SGIR = 2u << 24 | 6;
    for (int i = 0; i < 100000; i++)
        isb();
    check_u32("GICC_CTLR=0: SGI 6 taken", n_irq - old, 0);
    GICC_CTLR = 1;
    poll_irq(old);
    check_u32("GICC_CTLR=1: SGI 6 taken", n_id[6], 1);
    /* A disabled PPI: the timer fires, nothing is taken until it is enabled. */
    GICD_ICENABLER(0) = 1u << ID_VTIMER;
    old = n_irq;
    set_cntv_cval(0);
    set_cntv_ctl(CTL_ENABLE);
    for (int i = 0; i < 100000; i++)
        isb();
    check_u32("ID 27 disabled: taken", n_irq - old, 0);
    check_u32("ID 27 disabled: pending", GICD_ISPENDR(0) >> ID_VTIMER & 1, 1);
    GICD_ISENABLER(0) = 1u << ID_VTIMER;
    poll_irq(old);
    check_u32("ID 27 enabled: taken", n_id[ID_VTIMER], 1);
    set_cntv_ctl(0);
    print_log("interrupt IDs in order", "5 6 27");
}

/* PL011: the transmit interrupt (UARTRIS.TXRIS) through SPI 1. */
static void test_uart_irq(void)
{
    clear_log();
    GICD_ISENABLER(1) = 1u << (ID_UART - 32);
    uint32_t old = n_irq;
    UART_IMSC = 0x20;                   /* TXIM */
    poll_irq(old);
    check_u32("UART TX interrupt: taken", n_id[ID_UART], 1);
    check_u32("UART TX interrupt: UARTIMSC after the handler", UART_IMSC, 0);
    check_u32("UART TX interrupt: UARTMIS", UART_MIS, 0);
    GICD_ICENABLER(1) = 1u << (ID_UART - 32);
}

int main(void)
{
    gic_setup();
    test_gic_regs();
    test_timer_regs();
    irq_on();
    test_timer_lines();
    test_timer_irqs();
    test_masking();
    test_sgis();
    test_priorities();
    test_enables();
    test_uart_irq();
    irq_off();
    check_u32("spurious acknowledges", n_spurious, 0);
    check_u32("CPSR/SPSR seen by the handler", bad_state, 0);
    check_i32("interrupts taken in all", (int32_t)n_irq, 61);
    return finish("irq");
}
