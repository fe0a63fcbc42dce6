/* mas: multiple address spaces.  A tiny kernel with several user processes,
 * each with its own first-level table and ASID, switched without TLB flushes.
 *
 * - Every process maps its own code, data, stack and other pages at the SAME
 *   user VAs (non-global small pages in domain 1) onto its own physical pages,
 *   so a stale translation shows up as another process's data or code (the two
 *   user programs in mas-asm.S differ in their code).  Kernel memory (RAM and
 *   the UART) is mapped by global sections, privileged only.  One global page
 *   in the user range is shared by all.
 * - User processes run in USR mode and talk to the kernel with SVC (r7 =
 *   syscall).  The kernel switches on SVC: CONTEXTIDR (PROCID = pid, ASID) and
 *   TTBR0 change, no TLB maintenance.
 * - ASIDs are handed out like Linux does (generation + bitmap, rollover with
 *   TLBIALL), from a pretend 3-bit ASID space (1-7) so that rollover happens.
 *   One exit frees its ASID with TLBIASID and the next process reuses it.
 * - TLB maintenance: TLBIMVA (with another process's ASID, and on a global
 *   page), TLBIASID, TLBIMVAA, TLBIALL, each after changing live PTEs.
 * - Faults: user access to privileged pages, to read-only and XN pages, to
 *   unmapped VAs and to kernel VAs (data and prefetch aborts, delivered as
 *   "signals"); copy-on-write after a fork (write to a read-only page, fix the
 *   PTE, TLBIMVA, retry).
 * - Linux's software PAN: the user domain is no-access in the kernel and is
 *   opened around each uaccess (LDRT/STRT and plain loads); domains no-access,
 *   client and manager, in the kernel and in user mode.
 * - Then the same processes again under a TTBR0/TTBR1 split (TTBCR.N = 2,
 *   kernel in TTBR1), with the ARM ARM's reserved-ASID switch sequence.
 * Fault status is compared as FSR bits [11:10,3:0] (WnR, FS). */
#include "rt.h"

#define MCR(crn, op1, crm, op2, v) __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : : "r"(v) : "memory")
#define MRC(crn, op1, crm, op2) ({ uint32_t _v; __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(_v) : : "memory"); _v; })

static void dsb(void) { __asm__ volatile("dsb" : : : "memory"); }
static void isb(void) { __asm__ volatile("isb" : : : "memory"); }
static void barrier(void) { dsb(); isb(); }
static void tlbiall(void) { dsb(); MCR(c8, 0, c7, 0, 0); barrier(); }
static void tlbimva(uint32_t va_asid) { dsb(); MCR(c8, 0, c7, 1, va_asid); barrier(); }
static void tlbiasid(uint32_t asid) { dsb(); MCR(c8, 0, c7, 2, asid); barrier(); }
static void tlbimvaa(uint32_t va) { dsb(); MCR(c8, 0, c7, 3, va & ~0xfffu); barrier(); }

/* ---- descriptors ---- */
#define SEC 0x2u
#define SEC_B (1u << 2)
#define SEC_C (1u << 3)
#define SEC_XN (1u << 4)
#define DOM(d) ((uint32_t)(d) << 5)
#define SEC_AP(ap) ((((uint32_t)(ap) & 3u) << 10) | (((uint32_t)(ap) >> 2) << 15))
#define SEC_NORMAL ((1u << 12) | SEC_C | SEC_B)     /* TEX=001 C B: write-back */
#define SEC_DEVICE (SEC_B | SEC_XN)
#define L1_TABLE 0x1u
#define PG_SMALL 0x2u
#define PG_XN 0x1u
#define PG_AP(ap) ((((uint32_t)(ap) & 3u) << 4) | (((uint32_t)(ap) >> 2) << 9))
#define PG_NORMAL ((1u << 6) | (1u << 3) | (1u << 2))
#define PG_NG (1u << 11)
#define TTB_FLAGS 0x59u         /* IRGN/RGN write-back, as Linux's TTB_FLAGS_UP */

/* ---- user address space ---- */
#define UCODE  0x00010000u      /* code, user RO, per process (or shared after fork) */
#define UDATA  0x00020000u      /* data, user RW: [0] identity, [1] counter, [2] COW word, [3] STRT word */
#define UAUX   0x00021000u      /* second data page: [0] identity */
#define UPRIV  0x00030000u      /* AP=001: privileged only */
#define URO    0x00040000u      /* AP=010: user read-only, XN */
#define UNMAP  0x00050000u      /* no PTE */
#define USTACK 0x0007f000u      /* one stack page, top 0x80000 */
#define UGLOB  0x000f0000u      /* global page, user RO, the same for every process */
#define UDOM3  0x00100000u      /* a page in domain 3 (AP=001) */
#define UHOLE  0x00300000u      /* no L1 entry */
#define KVA    0x40200000u      /* the kernel image */
#define KALIAS 0x80000000u      /* a kernel alias section (split mode) */

#define CMD_WORK  1
#define CMD_READ  2
#define CMD_WRITE 3
#define CMD_CALL  4
#define SYS_YIELD 1
#define SYS_DONE  2
#define PABT_MARK 0xfa0000abu

#define D_NOACC 0u
#define D_CLIENT 1u
#define D_MANAGER 3u

#define POOL 0x40800000u        /* page tables and physical pages come from here */
#define POOL_SIZE 0x00400000u     /* 0x40800000-0x40bfffff, as the mmu guest */

extern char user_a_start[], user_a_end[], user_b_start[], user_b_end[];

static uint32_t kl1[4096] __attribute__((aligned(16384)));  /* kernel (init_mm) table; TTBR1 in split mode */
static uint32_t *kl1s;          /* split mode: the kernel's TTBR0 table (UART only) */
static int split;               /* TTBCR.N = 2 */

/* ---- formatted checks ---- */
static char what[128];
#define WHAT(...) (snprintf(what, sizeof what, __VA_ARGS__), what)

/* ---- physical pages ---- */
static uint32_t pool_next = POOL;
static uint8_t refcnt[POOL_SIZE >> 12];

static uint32_t alloc(uint32_t size, uint32_t align)
{
    pool_next = (pool_next + align - 1) & ~(align - 1);
    uint32_t pa = pool_next;
    pool_next += size;
    if (pool_next > POOL + POOL_SIZE) {
        printf("FAIL mas (out of pool)\n");
        psci_system_off();
    }
    memset((void *)pa, 0, size);
    return pa;
}

static uint32_t alloc_page(uint32_t ident)
{
    uint32_t pa = alloc(0x1000, 0x1000);
    *(volatile uint32_t *)pa = ident;
    refcnt[(pa - POOL) >> 12] = 1;
    return pa;
}

static volatile uint32_t *phys(uint32_t pa) { return (volatile uint32_t *)pa; }

/* ---- domains (Linux's software PAN) ---- */
static uint32_t dom1_kernel = D_NOACC;  /* user domain while in the kernel */
static uint32_t dom1_user = D_CLIENT;   /* user domain while in user mode */
static uint32_t dom3 = D_CLIENT;

static uint32_t dacr(uint32_t d1) { return D_CLIENT | d1 << 2 | D_CLIENT << 4 | dom3 << 6; }
static void set_dacr(uint32_t v) { MCR(c3, 0, c0, 0, v); isb(); }
static void dacr_kernel(void) { set_dacr(dacr(dom1_kernel)); }
static void dacr_user(void) { set_dacr(dacr(dom1_user)); }
static void uaccess_begin(void) { set_dacr(dacr(D_CLIENT)); }
static void uaccess_end(void) { dacr_kernel(); }

/* ---- single accesses with a known instruction ---- */
static uint32_t rd(uint32_t va) { uint32_t v = 0xeeeeeeee; __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(va) : "memory"); return v; }
static void wr(uint32_t va, uint32_t v) { __asm__ volatile("str %0, [%1]" : : "r"(v), "r"(va) : "memory"); }
static uint32_t rdt(uint32_t va) { uint32_t v = 0xeeeeeeee; __asm__ volatile("ldrt %0, [%1]" : "+r"(v) : "r"(va) : "memory"); return v; }
static void wrt(uint32_t va, uint32_t v) { __asm__ volatile("strt %0, [%1]" : : "r"(v), "r"(va) : "memory"); }
static uint32_t rdht(uint32_t va) { uint32_t v = 0; __asm__ volatile("ldrht %0, [%1]" : "+r"(v) : "r"(va) : "memory"); return v; }

/* get_user for a halfword, as the kernel does it: open the user domain, LDRHT. */
static uint32_t get_user16(uint32_t va)
{
    uaccess_begin();
    uint32_t v = rdht(va);
    uaccess_end();
    return v;
}

/* ---- processes ---- */
#define NPROC 16
#define NUM_ASIDS 8             /* ASIDs 1..7; 0 is reserved */

struct proc {
    int pid, live, runnable, variant;
    uint32_t *l1, *l1s, *l2, *l2d3;
    uint32_t ctx_id;            /* generation << 8 | ASID */
    uint32_t r[13], pc, cpsr, sp, lr;
    uint32_t code_pa, data_pa, aux_pa, priv_pa, ro_pa, stack_pa, d3_pa;
    uint32_t ident, code_ident, aux_ident;
    uint32_t counter, round, bad, result;
    uint32_t nsig, sig_fsr, sig_far;    /* faults delivered as signals */
    int cow;                            /* data page shared copy-on-write */
};

static struct proc procs[NPROC];
static int nprocs;
static struct proc *current;            /* running in user mode (NULL in the kernel) */
static struct proc *cur_mm;             /* whose TTBR0/ASID is loaded (NULL: init_mm) */
static uint32_t asid_gen = 0x100, asid_used;
static int n_rollover, n_switch, n_syscall, n_cow, n_bad_print;
static uint32_t glob_pa;
static uint32_t kframe_r[13], kframe_pc, kframe_spsr;  /* the kernel's SVC frame */
static volatile int k_faults;
static volatile uint32_t k_fsr, k_far;

#ifdef __thumb__
#define USR_CPSR (0x1d0u | CPSR_T)
#define UENTRY (UCODE | 1u)
#else
#define USR_CPSR 0x1d0u
#define UENTRY UCODE
#endif

static uint32_t asid_of(struct proc *p) { return p->ctx_id & 0xff; }
static int asid_valid(struct proc *p) { return p->ctx_id && (p->ctx_id & ~0xffu) == asid_gen; }
static uint32_t step_of(struct proc *p) { return p->variant ? 3 : 1; }
static uint32_t marker_of(struct proc *p) { return p->variant ? 0xb : 0xa; }

static void new_context(struct proc *p)
{
    uint32_t a;
    for (a = 1; a < NUM_ASIDS; a++)
        if (!(asid_used & (1u << a))) break;
    if (a == NUM_ASIDS) {       /* rollover: new generation, flush everything */
        asid_gen += 0x100;
        asid_used = 0;
        n_rollover++;
        tlbiall();
        a = 1;
    }
    asid_used |= 1u << a;
    p->ctx_id = asid_gen | a;
}

static void set_ttbr0_asid(uint32_t ttb, uint32_t cid)
{
    if (!split) {
        /* Linux's cpu_v7_switch_mm: CONTEXTIDR, then TTBR0. */
        MCR(c13, 0, c0, 1, cid);
        isb();
        MCR(c2, 0, c0, 0, ttb);
        isb();
    } else {
        /* The ARM ARM's sequence: reserved ASID 0, TTBR0, the new ASID. */
        MCR(c13, 0, c0, 1, 0);
        isb();
        MCR(c2, 0, c0, 0, ttb);
        isb();
        MCR(c13, 0, c0, 1, cid);
        isb();
    }
}

static void switch_mm(struct proc *p)
{
    if (cur_mm == p) return;
    if (!asid_valid(p)) new_context(p);
    set_ttbr0_asid((uint32_t)(split ? p->l1s : p->l1) | TTB_FLAGS, (uint32_t)p->pid << 8 | asid_of(p));
    cur_mm = p;
    n_switch++;
}

static void switch_to_init_mm(void)
{
    set_ttbr0_asid((uint32_t)(split ? kl1s : kl1) | TTB_FLAGS, 0);
    cur_mm = NULL;
}

/* Flushes one user page of p after its PTE changed (flush_tlb_page). */
static void flush_page(struct proc *p, uint32_t va)
{
    if (asid_valid(p)) tlbimva((va & ~0xfffu) | asid_of(p));
}

static uint32_t pte(uint32_t pa, uint32_t ap, int global, int xn)
{
    return pa | PG_SMALL | PG_NORMAL | PG_AP(ap) | (global ? 0 : PG_NG) | (xn ? PG_XN : 0);
}
#define L2I(va) (((va) >> 12) & 0xff)

static void build_l1s(struct proc *p)
{
    p->l1s = (uint32_t *)alloc(0x1000, 0x1000);
    p->l1s[0] = p->l1[0];
    p->l1s[1] = p->l1[1];
    p->l1s[0x090] = kl1[0x090];
}

static struct proc *proc_new(int variant)
{
    struct proc *p = &procs[nprocs++];
    memset(p, 0, sizeof *p);
    p->pid = nprocs;
    p->live = 1;
    p->variant = variant;
    p->l1 = (uint32_t *)alloc(0x4000, 0x4000);
    memcpy(p->l1, kl1, sizeof kl1);             /* the global kernel sections */
    p->l2 = (uint32_t *)alloc(0x400, 0x400);
    p->l2d3 = (uint32_t *)alloc(0x400, 0x400);
    p->l1[0] = (uint32_t)p->l2 | L1_TABLE | DOM(1);
    p->l1[1] = (uint32_t)p->l2d3 | L1_TABLE | DOM(3);
    p->aux_ident = 0xa0c50000u + p->pid;
    p->aux_pa = alloc_page(p->aux_ident);
    p->priv_pa = alloc_page(0x5ec00000u + p->pid);
    p->ro_pa = alloc_page(0x0e0d0000u + p->pid);
    p->stack_pa = alloc_page(0);
    p->d3_pa = alloc_page(0xd3d30000u + p->pid);
    p->l2[L2I(UAUX)] = pte(p->aux_pa, 3, 0, 1);
    p->l2[L2I(UPRIV)] = pte(p->priv_pa, 1, 0, 1);
    p->l2[L2I(URO)] = pte(p->ro_pa, 2, 0, 1);
    p->l2[L2I(USTACK)] = pte(p->stack_pa, 3, 0, 1);
    p->l2[L2I(UGLOB)] = pte(glob_pa, 2, 1, 1);
    p->l2d3[0] = pte(p->d3_pa, 1, 0, 1);
    if (split) build_l1s(p);
    p->pc = UENTRY;
    p->cpsr = USR_CPSR;
    p->sp = USTACK + 0x1000;
    return p;
}

static void code_sync(uint32_t pa, uint32_t len)
{
    for (uint32_t a = pa & ~63u; a < pa + len; a += 64) MCR(c7, 0, c11, 1, a);   /* DCCMVAU */
    dsb();
    MCR(c7, 0, c5, 0, 0);                       /* ICIALLU */
    MCR(c7, 0, c5, 6, 0);                       /* BPIALL */
    barrier();
}

/* A new process with its own code and data pages. */
static struct proc *proc_create(int variant)
{
    struct proc *p = proc_new(variant);
    const char *s = variant ? user_b_start : user_a_start;
    const char *e = variant ? user_b_end : user_a_end;
    uint32_t len = (uint32_t)(e - s);
    p->code_ident = 0xc0de0000u + p->pid;
    p->code_pa = alloc_page(0);
    memcpy((void *)p->code_pa, s, len);
    phys(p->code_pa)[len / 4 - 1] = p->code_ident;     /* the literal at the end */
    code_sync(p->code_pa, len);
    p->ident = 0xda7a0000u + p->pid;
    p->data_pa = alloc_page(p->ident);
    phys(p->data_pa)[1] = 1000u * p->pid;
    phys(p->data_pa)[2] = 0x5a5a0000u + p->pid;
    p->l2[L2I(UCODE)] = pte(p->code_pa, 2, 0, 0);
    p->l2[L2I(UDATA)] = pte(p->data_pa, 3, 0, 1);
    dsb();
    return p;
}

/* fork(): the child shares the code page, and the data page copy-on-write. */
static struct proc *proc_fork(struct proc *parent)
{
    struct proc *c = proc_new(parent->variant);
    c->code_pa = parent->code_pa;
    c->code_ident = parent->code_ident;
    refcnt[(c->code_pa - POOL) >> 12]++;
    c->data_pa = parent->data_pa;
    c->ident = parent->ident;
    refcnt[(c->data_pa - POOL) >> 12]++;
    c->l2[L2I(UCODE)] = pte(c->code_pa, 2, 0, 0);
    c->l2[L2I(UDATA)] = pte(c->data_pa, 2, 0, 1);       /* read-only */
    parent->l2[L2I(UDATA)] = pte(parent->data_pa, 2, 0, 1);
    dsb();
    flush_page(parent, UDATA);
    c->cow = parent->cow = 1;
    return c;
}

static void proc_exit(struct proc *p, int free_asid)
{
    p->live = 0;
    p->runnable = 0;
    if (cur_mm == p) switch_to_init_mm();
    if (free_asid && asid_valid(p)) {
        tlbiasid(asid_of(p));
        asid_used &= ~(1u << asid_of(p));
    }
}

/* ---- the scheduler ---- */
static struct proc *pick_next(struct proc *after)
{
    int start = after ? (int)(after - procs) + 1 : 0;
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &procs[(start + i) % NPROC];
        if (p->live && p->runnable) return p;
    }
    return NULL;
}

static void usr_get(uint32_t *sp, uint32_t *lr)
{
    uint32_t s, l, c;
    __asm__ volatile("mrs %2, cpsr\n\tcps #0x1f\n\tmov %0, sp\n\tmov %1, lr\n\tmsr cpsr_c, %2"
                     : "=&r"(s), "=&r"(l), "=&r"(c) : : "memory");
    *sp = s;
    *lr = l;
}

static void usr_set(uint32_t sp, uint32_t lr)
{
    uint32_t c;
    __asm__ volatile("mrs %0, cpsr\n\tcps #0x1f\n\tmov sp, %1\n\tmov lr, %2\n\tmsr cpsr_c, %0"
                     : "=&r"(c) : "r"(sp), "r"(lr) : "memory");
}

static void save_ctx(struct exc_frame *f, struct proc *p)
{
    memcpy(p->r, f->r, sizeof p->r);
    p->pc = f->pc;
    p->cpsr = f->spsr;
    usr_get(&p->sp, &p->lr);
}

static void load_ctx(struct exc_frame *f, struct proc *p)
{
    switch_mm(p);
    memcpy(f->r, p->r, sizeof p->r);
    f->pc = p->pc;
    f->spsr = p->cpsr;
    usr_set(p->sp, p->lr);
    current = p;
}

static void to_kernel(struct exc_frame *f, uint32_t result)
{
    memcpy(f->r, kframe_r, sizeof kframe_r);
    f->pc = kframe_pc;
    f->spsr = kframe_spsr;
    f->r[0] = result;
    current = NULL;
}

static void check_yield(struct proc *p)
{
    p->counter += step_of(p);
    uint32_t *r = p->r;
    int ok = r[1] == p->ident && r[2] == p->counter && r[3] == p->code_ident && r[4] == p->ident &&
             r[5] == p->round && r[6] == marker_of(p);
    p->round++;
    if (!ok) {
        p->bad++;
        if (n_bad_print++ < 8)
            printf("MISMATCH pid %d round %u: data 0x%08x counter %u code 0x%08x stack 0x%08x round %u marker 0x%x\n",
                   p->pid, (unsigned)p->round - 1, (unsigned)r[1], (unsigned)r[2], (unsigned)r[3],
                   (unsigned)r[4], (unsigned)r[5], (unsigned)r[6]);
        p->counter = r[2];
    }
}

static int do_syscall(struct exc_frame *f)
{
    struct proc *p = current;
    n_syscall++;
    save_ctx(f, p);
    struct proc *n;
    if (p->r[7] == SYS_YIELD) {
        check_yield(p);
        n = pick_next(p);
    } else {
        if (p->r[7] != SYS_DONE) printf("MISMATCH pid %d: unknown syscall %u\n", p->pid, (unsigned)p->r[7]);
        p->result = p->r[0];
        p->runnable = 0;
        n = pick_next(p);
    }
    if (n)
        load_ctx(f, n);
    else
        to_kernel(f, p->result);
    return 1;
}

static uint32_t insn_len(uint32_t hw1, int thumb)
{
    return !thumb ? 4 : (hw1 >> 11) >= 0x1d ? 4 : 2;
}

static void do_cow(struct proc *p)
{
    uint32_t old = p->data_pa;
    if (refcnt[(old - POOL) >> 12] > 1) {
        uint32_t n = alloc_page(0);
        memcpy((void *)n, (void *)old, 0x1000);
        refcnt[(old - POOL) >> 12]--;
        p->data_pa = n;
    }
    p->l2[L2I(UDATA)] = pte(p->data_pa, 3, 0, 1);
    dsb();
    flush_page(p, UDATA);
    n_cow++;
}

static uint32_t cow_fsr, cow_far;

static int user_dabt(struct exc_frame *f)
{
    struct proc *p = current;
    uint32_t fsr = MRC(c5, 0, c0, 0), far = MRC(c6, 0, c0, 0);
    uint32_t addr = f->pc - 8;
    if (p->cow && (fsr & 0xc0f) == 0x80f && (far & ~0xfffu) == UDATA) {
        cow_fsr = fsr;
        cow_far = far;
        do_cow(p);
        f->pc = addr;           /* retry */
        return 1;
    }
    p->nsig++;
    p->sig_fsr = fsr;
    p->sig_far = far;
    int thumb = (f->spsr & CPSR_T) != 0;
    f->pc = addr + insn_len(thumb ? get_user16(addr) : 0, thumb);
    return 1;
}

static int user_pabt(struct exc_frame *f)
{
    struct proc *p = current;
    uint32_t sp, lr;
    p->nsig++;
    p->sig_fsr = MRC(c5, 0, c0, 1);
    p->sig_far = MRC(c6, 0, c0, 2);
    usr_get(&sp, &lr);          /* back to the caller of the BLX */
    if (lr & 1) f->spsr |= CPSR_T; else f->spsr &= ~CPSR_T;
    f->pc = lr & ~1u;
    f->r[0] = PABT_MARK;
    return 1;
}

static int kernel_dabt(struct exc_frame *f)
{
    k_faults++;
    k_fsr = MRC(c5, 0, c0, 0);
    k_far = MRC(c6, 0, c0, 0);
    uint32_t addr = f->pc - 8;
    int thumb = (f->spsr & CPSR_T) != 0;
    f->pc = addr + insn_len(thumb ? *(volatile uint16_t *)addr : 0, thumb);
    return 1;
}

int exc_handler(int type, struct exc_frame *f)
{
    int from_user = (f->spsr & 0x1f) == 0x10;
    int r = 0;
    if (from_user) dacr_kernel();
    if (type == EXC_SVC) {
        if (from_user) {
            r = do_syscall(f);
        } else {                /* the kernel starts the scheduler */
            memcpy(kframe_r, f->r, sizeof kframe_r);
            kframe_pc = f->pc;
            kframe_spsr = f->spsr;
            struct proc *n = pick_next(NULL);
            if (n) load_ctx(f, n);
            else f->r[0] = 0xffffffffu;
            r = 1;
        }
    } else if (type == EXC_DABT) {
        r = from_user ? user_dabt(f) : kernel_dabt(f);
    } else if (type == EXC_PABT && from_user) {
        r = user_pabt(f);
    }
    if ((f->spsr & 0x1f) == 0x10) dacr_user();
    return r;
}

/* Runs the runnable processes until none is left; returns the last result. */
static uint32_t schedule(void)
{
    register uint32_t r0 __asm__("r0");
    __asm__ volatile("svc #0" : "=r"(r0) : : "r1", "r2", "r3", "r12", "lr", "memory", "cc");
    return r0;
}

static uint32_t run_one(struct proc *p, uint32_t cmd, uint32_t a1, uint32_t a2)
{
    for (int i = 0; i < nprocs; i++) procs[i].runnable = 0;
    p->r[0] = cmd;
    p->r[1] = a1;
    p->r[2] = a2;
    p->runnable = 1;
    return schedule();
}

/* Every live process does `rounds` rounds of work, interleaved. */
static void run_all(uint32_t rounds, const char *phase)
{
    for (int i = 0; i < nprocs; i++) {
        struct proc *p = &procs[i];
        p->runnable = p->live;
        if (!p->live) continue;
        p->r[0] = CMD_WORK;
        p->r[1] = rounds;
        p->counter = phys(p->data_pa)[1];
        p->round = 0;
        p->bad = 0;
        p->result = 0;
    }
    schedule();
    for (int i = 0; i < nprocs; i++) {
        struct proc *p = &procs[i];
        if (!p->live) continue;
        check_i32(WHAT("%s: pid %d: rounds, all with its own code, data and stack", phase, p->pid),
                  (int)(p->result - p->bad), (int)rounds);
        check_u32(WHAT("%s: pid %d: counter in its data page", phase, p->pid), phys(p->data_pa)[1], p->counter);
    }
}

static void user_read(struct proc *p, uint32_t va, uint32_t expect, const char *name)
{
    uint32_t n = p->nsig;
    uint32_t v = run_one(p, CMD_READ, va, 0);
    check_u32(WHAT("pid %d (asid %u): user read %s", p->pid, (unsigned)asid_of(p), name), v, expect);
    if (p->nsig != n) check_true(WHAT("pid %d: no fault reading %s", p->pid, name), 0);
}

static void user_fault(struct proc *p, uint32_t cmd, uint32_t va, uint32_t want_fsr, const char *name)
{
    uint32_t n = p->nsig;
    uint32_t v = run_one(p, cmd, va, 0x0badbad0);
    const char *op = cmd == CMD_READ ? "read" : cmd == CMD_WRITE ? "write" : "call";
    check_i32(WHAT("pid %d: user %s %s: faults", p->pid, op, name), (int)(p->nsig - n), 1);
    check_u32(WHAT("pid %d: user %s %s: FSR", p->pid, op, name), p->sig_fsr & 0xc0f, want_fsr);
    check_u32(WHAT("pid %d: user %s %s: FAR", p->pid, op, name), p->sig_far, va);
    if (cmd == CMD_CALL) check_u32(WHAT("pid %d: user call %s: resumed at LR", p->pid, name), v, PABT_MARK);
}

#define KFAULT(name, expr, want_fsr, want_far)                                  \
    do {                                                                        \
        int _n = k_faults;                                                      \
        expr;                                                                   \
        check_i32(name ": faults", k_faults - _n, 1);                           \
        check_u32(name ": FSR", k_fsr & 0xc0f, want_fsr);                       \
        check_u32(name ": FAR", k_far, want_far);                               \
    } while (0)

static struct proc *P(int pid) { return &procs[pid - 1]; }

/* The user VA of the code-identity literal, the last word of the program. */
static uint32_t code_lit(struct proc *p)
{
    return UCODE + (uint32_t)(p->variant ? user_b_end - user_b_start : user_a_end - user_a_start) - 4;
}

static void set_pte(struct proc *p, uint32_t va, uint32_t pa, uint32_t ap)
{
    p->l2[L2I(va)] = pte(pa, ap, 0, 1);
    dsb();
}

int main(void)
{
    extern char __image_end[];
    check_true("image ends below the pool", (uint32_t)__image_end <= POOL);

    /* The kernel's table: the UART and RAM, global and privileged only. */
    kl1[0x090] = 0x09000000u | SEC | SEC_DEVICE | SEC_AP(1) | DOM(2);
    for (uint32_t i = 0x400; i < 0x480; i++) kl1[i] = i << 20 | SEC | SEC_NORMAL | SEC_AP(1) | DOM(0);
    glob_pa = alloc_page(0x610b0001u);
    uint32_t glob2_pa = alloc_page(0x610b0002u);

    dacr_kernel();
    MCR(c2, 0, c0, 2, 0);                       /* TTBCR.N = 0 */
    switch_to_init_mm();
    tlbiall();
    uint32_t sctlr = MRC(c1, 0, c0, 0);
    MCR(c1, 0, c0, 0, sctlr | 1u | (1u << 2) | (1u << 12) | (1u << 11));   /* M, C, I, Z */
    barrier();
    printf("MMU on; kernel in global sections, ASID 0\n");

    /* ---- 1. six processes, interleaved, same VAs, different pages ---- */
    for (int i = 0; i < 6; i++) proc_create(i & 1);
    run_all(4, "six processes");
    for (int pid = 1; pid <= 6; pid++) check_u32(WHAT("pid %d: ASID", pid), asid_of(P(pid)), pid);
    check_u32("CONTEXTIDR (PROCID = pid, ASID)", MRC(c13, 0, c0, 1), 6u << 8 | 6);
    check_true("TTBR0 = pid 6's table with the TTB flags", MRC(c2, 0, c0, 0) == ((uint32_t)P(6)->l1 | TTB_FLAGS));

    /* ---- 2. directed user accesses, switching address space each time ---- */
    for (int pid = 1; pid <= 6; pid++) user_read(P(pid), UDATA, P(pid)->ident, "UDATA");
    for (int pid = 6; pid >= 1; pid--) user_read(P(pid), UAUX, P(pid)->aux_ident, "UAUX");
    for (int pid = 1; pid <= 6; pid += 5) user_read(P(pid), UGLOB, 0x610b0001u, "global page");
    user_read(P(2), URO, 0x0e0d0002u, "read-only page");
    user_read(P(3), code_lit(P(3)), P(3)->code_ident, "code page literal");
    user_fault(P(1), CMD_READ, UPRIV, 0x00f, "privileged page");
    user_fault(P(1), CMD_WRITE, UPRIV + 4, 0x80f, "privileged page");
    user_fault(P(2), CMD_WRITE, URO + 8, 0x80f, "read-only page");
    user_fault(P(3), CMD_WRITE, UCODE + 0x800, 0x80f, "code page");
    user_fault(P(4), CMD_READ, UNMAP, 0x007, "unmapped page");
    user_fault(P(4), CMD_READ, UHOLE + 0x10, 0x005, "unmapped section");
    user_fault(P(5), CMD_READ, KVA, 0x00d, "kernel section");
    user_fault(P(5), CMD_WRITE, KVA + 0x100, 0x80d, "kernel section");
    user_fault(P(6), CMD_READ, UDOM3, 0x00f, "privileged page in domain 3");
    user_fault(P(2), CMD_CALL, URO, 0x00f, "XN page");
    user_fault(P(3), CMD_CALL, KVA, 0x00d, "kernel section");
    user_fault(P(4), CMD_CALL, UNMAP + 0x40, 0x007, "unmapped page");
    check_u32("pid 2: read-only page unchanged", phys(P(2)->ro_pa)[2], 0);
    check_u32("pid 1: privileged page unchanged", phys(P(1)->priv_pa)[1], 0);
    user_read(P(1), UDATA, P(1)->ident, "UDATA after the faults");

    /* ---- 3. TLB maintenance after changing live PTEs ---- */
    uint32_t alt[4];
    for (int i = 0; i < 4; i++) alt[i] = alloc_page(0xa17e0000u + i);
    /* TLBIMVA with pid 2's ASID, while pid 3's address space is loaded. */
    user_read(P(2), UDATA, P(2)->ident, "UDATA");
    user_read(P(3), UDATA, P(3)->ident, "UDATA");
    set_pte(P(2), UDATA, alt[0], 3);
    flush_page(P(2), UDATA);
    user_read(P(3), UDATA, P(3)->ident, "UDATA (its PTE unchanged)");
    user_read(P(2), UDATA, 0xa17e0000u, "UDATA after PTE change + TLBIMVA");
    set_pte(P(2), UDATA, P(2)->data_pa, 3);
    flush_page(P(2), UDATA);
    user_read(P(2), UDATA, P(2)->ident, "UDATA restored + TLBIMVA");
    /* TLBIASID: swap two pages of pid 4. */
    user_read(P(4), UDATA, P(4)->ident, "UDATA");
    user_read(P(4), UAUX, P(4)->aux_ident, "UAUX");
    user_read(P(5), UDATA, P(5)->ident, "UDATA");
    set_pte(P(4), UDATA, P(4)->aux_pa, 3);
    set_pte(P(4), UAUX, P(4)->data_pa, 3);
    tlbiasid(asid_of(P(4)));
    user_read(P(4), UDATA, P(4)->aux_ident, "UDATA after swap + TLBIASID");
    user_read(P(4), UAUX, P(4)->ident, "UAUX after swap + TLBIASID");
    set_pte(P(4), UDATA, P(4)->data_pa, 3);
    set_pte(P(4), UAUX, P(4)->aux_pa, 3);
    tlbiasid(asid_of(P(4)));
    user_read(P(4), UDATA, P(4)->ident, "UDATA swapped back + TLBIASID");
    user_read(P(4), UAUX, P(4)->aux_ident, "UAUX swapped back + TLBIASID");
    /* TLBIMVAA: the global page in every process, then one non-global page. */
    for (int i = 0; i < 6; i++) procs[i].l2[L2I(UGLOB)] = pte(glob2_pa, 2, 1, 1);
    tlbimvaa(UGLOB);
    for (int pid = 1; pid <= 6; pid++) user_read(P(pid), UGLOB, 0x610b0002u, "global page after TLBIMVAA");
    user_read(P(5), UAUX, P(5)->aux_ident, "UAUX");
    set_pte(P(5), UAUX, alt[1], 3);
    tlbimvaa(UAUX);
    user_read(P(5), UAUX, 0xa17e0001u, "UAUX after PTE change + TLBIMVAA");
    user_read(P(6), UAUX, P(6)->aux_ident, "UAUX (its PTE unchanged)");
    set_pte(P(5), UAUX, P(5)->aux_pa, 3);
    tlbimvaa(UAUX);
    /* TLBIMVA with any ASID also removes a global entry. */
    for (int i = 0; i < 6; i++) procs[i].l2[L2I(UGLOB)] = pte(glob_pa, 2, 1, 1);
    tlbimva(UGLOB | asid_of(P(5)));
    for (int pid = 6; pid >= 1; pid--) user_read(P(pid), UGLOB, 0x610b0001u, "global page after TLBIMVA");
    /* TLBIALL: two processes at once. */
    user_read(P(1), UDATA, P(1)->ident, "UDATA");
    user_read(P(6), UDATA, P(6)->ident, "UDATA");
    set_pte(P(1), UDATA, alt[2], 3);
    set_pte(P(6), UDATA, alt[3], 3);
    tlbiall();
    user_read(P(1), UDATA, 0xa17e0002u, "UDATA after PTE change + TLBIALL");
    user_read(P(6), UDATA, 0xa17e0003u, "UDATA after PTE change + TLBIALL");
    set_pte(P(1), UDATA, P(1)->data_pa, 3);
    set_pte(P(6), UDATA, P(6)->data_pa, 3);
    tlbiall();
    run_all(2, "after the TLB tests");

    /* ---- 4. domains: the kernel's software PAN, client, manager ---- */
    switch_mm(P(2));
    KFAULT("kernel LDR of a user page, user domain no-access", rd(UDATA), 0x00b, UDATA);
    KFAULT("kernel STR to a user page, user domain no-access", wr(UAUX + 4, 1), 0x80b, UAUX + 4);
    uaccess_begin();
    check_u32("uaccess: LDR user page", rd(UDATA), P(2)->ident);
    check_u32("uaccess: LDR privileged page", rd(UPRIV), 0x5ec00002u);
    check_u32("uaccess: LDRT user page", rdt(UDATA), P(2)->ident);
    check_u32("uaccess: LDRT global page", rdt(UGLOB), 0x610b0001u);
    check_u32("uaccess: LDRT code page", rdt(code_lit(P(2))), P(2)->code_ident);
    wrt(UDATA + 12, 0x57a70002u);
    check_u32("uaccess: STRT user page, seen at PA", phys(P(2)->data_pa)[3], 0x57a70002u);
    uaccess_end();
    uaccess_begin();
    KFAULT("uaccess: LDRT privileged page", rdt(UPRIV), 0x00f, UPRIV);
    KFAULT("uaccess: STRT read-only page", wrt(URO + 4, 1), 0x80f, URO + 4);
    KFAULT("uaccess: STRT code page", wrt(UCODE + 0x800, 1), 0x80f, UCODE + 0x800);
    KFAULT("uaccess: LDRT kernel section", rdt(KVA), 0x00d, KVA);
    KFAULT("uaccess: LDRT unmapped section", rdt(UHOLE), 0x005, UHOLE);
    KFAULT("uaccess: LDRT domain-3 privileged page", rdt(UDOM3 + 8), 0x00f, UDOM3 + 8);
    uaccess_end();
    KFAULT("kernel LDR after uaccess: no-access again", rd(UDATA + 12), 0x00b, UDATA + 12);
    /* Another process: the same VA, its own page, same rules. */
    switch_mm(P(3));
    KFAULT("pid 3: kernel LDR, user domain no-access", rd(UDATA), 0x00b, UDATA);
    uaccess_begin();
    check_u32("pid 3: uaccess: LDRT user page", rdt(UDATA), P(3)->ident);
    check_u32("pid 3: uaccess: LDR privileged page", rd(UPRIV), 0x5ec00003u);
    uaccess_end();
    /* Manager: no permission checks, privileged or not. */
    dom1_kernel = D_MANAGER;
    dacr_kernel();
    wr(URO + 8, 0x3a3a0003u);
    check_u32("manager: STR to a read-only page, seen at PA", phys(P(3)->ro_pa)[2], 0x3a3a0003u);
    check_u32("manager: LDRT privileged page", rdt(UPRIV), 0x5ec00003u);
    wrt(UCODE + 0x800, 0x3b3b0003u);
    check_u32("manager: STRT to the code page, seen at PA", phys(P(3)->code_pa)[0x200], 0x3b3b0003u);
    dom1_kernel = D_NOACC;
    dacr_kernel();
    KFAULT("no-access again after manager", rd(URO + 8), 0x00b, URO + 8);
    /* Domain 3 from user mode: no access, client (AP=001 faults), manager. */
    dom3 = D_NOACC;
    user_fault(P(4), CMD_READ, UDOM3, 0x00b, "domain-3 page, no access");
    user_fault(P(4), CMD_WRITE, UDOM3 + 4, 0x80b, "domain-3 page, no access");
    dacr_kernel();
    KFAULT("kernel LDR of the domain-3 page, no access", rd(UDOM3), 0x00b, UDOM3);
    dom3 = D_CLIENT;
    dacr_kernel();
    user_fault(P(4), CMD_READ, UDOM3, 0x00f, "domain-3 page, client");
    check_u32("kernel LDR of the domain-3 page, client", rd(UDOM3), 0xd3d30004u);
    dom3 = D_MANAGER;
    dacr_kernel();
    user_read(P(4), UDOM3, 0xd3d30004u, "domain-3 privileged page, manager");
    run_one(P(4), CMD_WRITE, UDOM3 + 4, 0x4d4d0004u);
    check_u32("pid 4: user write to domain-3 page, manager, seen at PA", phys(P(4)->d3_pa)[1], 0x4d4d0004u);
    user_read(P(5), UDOM3, 0xd3d30005u, "domain-3 privileged page, manager");
    dom3 = D_CLIENT;
    dacr_kernel();
    user_fault(P(4), CMD_READ, UDOM3, 0x00f, "domain-3 page, client again");
    /* The user domain as manager while in user mode, then client again. */
    dom1_user = D_MANAGER;
    user_read(P(5), UPRIV, 0x5ec00005u, "privileged page, user domain manager");
    run_one(P(5), CMD_WRITE, URO + 12, 0x4e4e0005u);
    check_u32("pid 5: user write to read-only page, manager, seen at PA", phys(P(5)->ro_pa)[3], 0x4e4e0005u);
    user_read(P(6), UPRIV, 0x5ec00006u, "privileged page, user domain manager");
    dom1_user = D_CLIENT;
    user_fault(P(5), CMD_READ, UPRIV, 0x00f, "privileged page, user domain client again");
    user_fault(P(5), CMD_WRITE, URO + 12, 0x80f, "read-only page, user domain client again");
    user_fault(P(6), CMD_READ, UPRIV, 0x00f, "privileged page, user domain client again");

    /* ---- 5. fork and copy-on-write ---- */
    user_read(P(6), UDATA + 8, 0x5a5a0006u, "COW word before fork");
    struct proc *child = proc_fork(P(6));
    check_i32("fork: child pid", child->pid, 7);
    user_read(child, UDATA, P(6)->ident, "UDATA shared with the parent");
    user_read(child, code_lit(child), P(6)->code_ident, "code page shared with the parent");
    check_u32("fork: child ASID", asid_of(child), 7);
    uint32_t nsig = child->nsig;
    run_one(child, CMD_WRITE, UDATA + 8, 0x11110007u);
    check_i32("child write: COW faults", n_cow, 1);
    check_u32("child write: COW fault FSR", cow_fsr & 0xc0f, 0x80f);
    check_u32("child write: COW fault FAR", cow_far, UDATA + 8);
    check_i32("child write: no signal", (int)(child->nsig - nsig), 0);
    check_true("child has its own data page now", child->data_pa != P(6)->data_pa);
    user_read(child, UDATA + 8, 0x11110007u, "COW word after its write");
    user_read(P(6), UDATA + 8, 0x5a5a0006u, "COW word after the child's write");
    nsig = P(6)->nsig;
    uint32_t parent_pa = P(6)->data_pa;
    run_one(P(6), CMD_WRITE, UDATA + 8, 0x22220006u);
    check_i32("parent write: COW faults", n_cow, 2);
    check_u32("parent write: COW fault FAR", cow_far, UDATA + 8);
    check_i32("parent write: no signal", (int)(P(6)->nsig - nsig), 0);
    check_true("parent kept its page (last reference)", P(6)->data_pa == parent_pa);
    user_read(P(6), UDATA + 8, 0x22220006u, "COW word after its write");
    user_read(child, UDATA + 8, 0x11110007u, "COW word after the parent's write");
    child->ident = 0xda7a0007u;
    phys(child->data_pa)[0] = child->ident;
    child->cow = P(6)->cow = 0;
    run_all(3, "with the child");

    /* ---- 6. ASID reuse: exit frees its ASID with TLBIASID ---- */
    user_read(P(3), UDATA, P(3)->ident, "UDATA before exit");
    user_read(P(3), UAUX, P(3)->aux_ident, "UAUX before exit");
    proc_exit(P(3), 1);
    struct proc *p8 = proc_create(1);
    check_i32("new process: pid", p8->pid, 8);
    user_read(p8, UDATA, p8->ident, "UDATA, reusing ASID 3");
    check_u32("pid 8 reuses ASID", asid_of(p8), 3);
    user_read(p8, UAUX, p8->aux_ident, "UAUX, reusing ASID 3");
    user_read(p8, code_lit(p8), p8->code_ident, "code page literal, reusing ASID 3");
    run_all(2, "after ASID reuse");

    /* ---- 7. ASID rollover (TLBIALL, new generation) ---- */
    proc_exit(child, 0);        /* as Linux: the ASID stays taken until rollover */
    struct proc *p9 = proc_create(0);
    check_i32("rollovers so far", n_rollover, 0);
    user_read(p9, UDATA, p9->ident, "UDATA, first ASID of a new generation");
    check_i32("rollovers after pid 9 ran", n_rollover, 1);
    check_u32("pid 9: ASID after rollover", asid_of(p9), 1);
    check_u32("pid 1: old generation", asid_valid(P(1)), 0);
    run_all(3, "after rollover");
    /* Handed out again in the order they ran: pid 9 took ASID 1 at the rollover. */
    static const uint8_t gen2_asid[10] = { 2, 3, 0, 4, 5, 6, 0, 7, 1, 0 };
    for (int i = 0; i < nprocs; i++)
        if (procs[i].live) check_u32(WHAT("pid %d: ASID in generation 2", procs[i].pid), asid_of(&procs[i]), gen2_asid[i]);
    struct proc *p10 = proc_create(1);
    (void)p10;
    run_all(3, "eight processes on seven ASIDs");
    check_i32("rollovers (one every seven new ASIDs)", n_rollover, 5);
    for (int pid = 1; pid <= 10; pid++)
        if (P(pid)->live) user_read(P(pid), UDATA, P(pid)->ident, "UDATA after rollovers");

    /* ---- 8. TTBR0/TTBR1 split: TTBCR.N = 2, kernel in TTBR1 ---- */
    switch_to_init_mm();
    kl1s = (uint32_t *)alloc(0x1000, 0x1000);
    kl1s[0x090] = kl1[0x090];
    for (int i = 0; i < nprocs; i++) build_l1s(&procs[i]);
    uint32_t alias_a = alloc(0x100000, 0x100000), alias_b = alloc(0x100000, 0x100000);
    phys(alias_a)[0] = 0xa11a0001u;
    phys(alias_b)[0] = 0xa11a0002u;
    kl1[KALIAS >> 20] = alias_a | SEC | SEC_NORMAL | SEC_AP(1) | DOM(0);
    dsb();
    MCR(c2, 0, c0, 1, (uint32_t)kl1 | TTB_FLAGS);   /* TTBR1 */
    MCR(c2, 0, c0, 2, 2);                           /* TTBCR.N = 2: TTBR0 below 1 GiB */
    isb();
    split = 1;
    switch_to_init_mm();
    tlbiall();
    check_u32("TTBCR", MRC(c2, 0, c0, 2), 2);
    printf("split: kernel through TTBR1 (this line went through TTBR0's UART entry)\n");
    check_u32("split: kernel alias through TTBR1", rd(KALIAS), 0xa11a0001u);
    run_all(2, "split");
    check_true("split: TTBR1 = the kernel's table with the TTB flags", MRC(c2, 0, c0, 1) == ((uint32_t)kl1 | TTB_FLAGS));
    check_true("split: TTBR0 = the last process's 4 KiB table", cur_mm && MRC(c2, 0, c0, 0) == ((uint32_t)cur_mm->l1s | TTB_FLAGS));
    for (int pid = 10; pid >= 1; pid--)
        if (P(pid)->live) user_read(P(pid), UDATA, P(pid)->ident, "split: UDATA");
    user_fault(P(2), CMD_READ, KVA, 0x00d, "split: kernel section (TTBR1)");
    user_fault(P(2), CMD_READ, KALIAS, 0x00d, "split: kernel alias (TTBR1)");
    user_fault(P(4), CMD_READ, 0x60000000u, 0x005, "split: unmapped TTBR1 section");
    /* A kernel mapping changed once in TTBR1 is seen from every address space. */
    switch_mm(P(4));
    check_u32("split: alias from pid 4's address space", rd(KALIAS + 0), 0xa11a0001u);
    kl1[KALIAS >> 20] = alias_b | SEC | SEC_NORMAL | SEC_AP(1) | DOM(0);
    tlbimvaa(KALIAS);
    check_u32("split: alias after change + TLBIMVAA", rd(KALIAS), 0xa11a0002u);
    switch_mm(P(5));
    check_u32("split: alias from pid 5's address space", rd(KALIAS), 0xa11a0002u);
    /* TLBIMVA of a user page in split mode. */
    user_read(P(5), UAUX, P(5)->aux_ident, "split: UAUX");
    set_pte(P(5), UAUX, alt[1], 3);
    flush_page(P(5), UAUX);
    user_read(P(6), UAUX, P(6)->aux_ident, "split: UAUX (its PTE unchanged)");
    user_read(P(5), UAUX, 0xa17e0001u, "split: UAUX after PTE change + TLBIMVA");
    set_pte(P(5), UAUX, P(5)->aux_pa, 3);
    flush_page(P(5), UAUX);
    /* A new process in split mode (and another rollover), then all of them. */
    struct proc *p11 = proc_create(0);
    user_read(p11, UDATA, p11->ident, "split: UDATA of a new process");
    proc_exit(P(1), 1);
    proc_exit(P(8), 0);
    run_all(3, "split, after exits");
    check_i32("rollovers", n_rollover, 11);

    /* ---- back to the kernel's own table, MMU off ---- */
    split = 0;
    switch_to_init_mm();        /* TTBR0 = the full kernel table, then N = 0 */
    MCR(c2, 0, c0, 2, 0);
    tlbiall();
    check_u32("N = 0: kernel alias through TTBR0 (the same table)", rd(KALIAS), 0xa11a0002u);
    MCR(c1, 0, c0, 0, sctlr);
    barrier();
    check_u32("SCTLR.M after disabling", MRC(c1, 0, c0, 0) & 1, 0);
    printf("context switches: %d, syscalls: %d, pool used: %u KiB\n", n_switch, n_syscall, (unsigned)(pool_next - POOL) / 1024);
    return finish("mas");
}
