/* atomic: exclusive loads/stores and the GCC atomics built on them.
 * LDREX/STREX success and failure (CLREX, STREX with the monitor already
 * released), LDREXB/H and LDREXD/STREXD, the __atomic builtins (fetch_add/
 * sub/and/or/xor, exchange, compare_exchange on 8/16/32/64-bit data, which
 * GCC turns into LDREX/STREX loops with DMB), a spinlock, a lock-free stack
 * (CAS loops), and the barriers DMB/DSB/ISB and SEV/WFE (the event register
 * set by SEV makes WFE return at once). */
#include "rt.h"

static volatile uint32_t word = 100;
static volatile uint16_t half = 0xfff0;
static volatile uint8_t byte = 0xf0;
static volatile uint64_t dword = 0xffffffff00000000ull;

static uint32_t ldrex(volatile uint32_t *p) { uint32_t v; __asm__ volatile("ldrex %0, [%1]" : "=r"(v) : "r"(p) : "memory"); return v; }
static uint32_t strex(volatile uint32_t *p, uint32_t v) { uint32_t r; __asm__ volatile("strex %0, %2, [%1]" : "=&r"(r) : "r"(p), "r"(v) : "memory"); return r; }

struct node { struct node *next; uint32_t val; };
static struct node *top;
static struct node nodes[64];

static void push(struct node *n)
{
    struct node *old = __atomic_load_n(&top, __ATOMIC_RELAXED);
    do n->next = old;
    while (!__atomic_compare_exchange_n(&top, &old, n, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

static struct node *pop(void)
{
    struct node *old = __atomic_load_n(&top, __ATOMIC_ACQUIRE);
    while (old && !__atomic_compare_exchange_n(&top, &old, old->next, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ;
    return old;
}

static volatile uint32_t lock;
static void spin_lock(volatile uint32_t *l)
{
    uint32_t tmp, fail;
    __asm__ volatile(
        "1: ldrex %0, [%2]\n\t"
        "   teq %0, #0\n\t"
        "   bne 1b\n\t"
        "   strex %1, %3, [%2]\n\t"
        "   teq %1, #0\n\t"
        "   bne 1b\n\t"
        "   dmb ish"
        : "=&r"(tmp), "=&r"(fail) : "r"(l), "r"(1) : "cc", "memory");
}
static void spin_unlock(volatile uint32_t *l) { __asm__ volatile("dmb ish" : : : "memory"); *l = 0; __asm__ volatile("dsb ish\n\tsev" : : : "memory"); }

int main(void)
{
    /* Raw exclusives. */
    uint32_t v = ldrex(&word);
    check_u32("ldrex", v, 100);
    check_u32("strex after ldrex (success = 0)", strex(&word, v + 1), 0);
    check_u32("word after strex", word, 101);
    check_u32("strex again, monitor released (fail = 1)", strex(&word, 999), 1);
    check_u32("word unchanged by failed strex", word, 101);
    v = ldrex(&word);
    __asm__ volatile("clrex" : : : "memory");
    check_u32("strex after clrex (fail = 1)", strex(&word, 555), 1);
    check_u32("word unchanged", word, 101);

    uint32_t b, r;
    __asm__ volatile("ldrexb %0, [%2]\n\tadd %0, %0, #0x20\n\tstrexb %1, %0, [%2]" : "=&r"(b), "=&r"(r) : "r"(&byte) : "memory");
    check_u32("ldrexb/strexb status", r, 0);
    check_u32("byte (0xf0 + 0x20, truncated)", byte, 0x10);
    __asm__ volatile("ldrexh %0, [%2]\n\tadd %0, %0, #0x20\n\tstrexh %1, %0, [%2]" : "=&r"(b), "=&r"(r) : "r"(&half) : "memory");
    check_u32("ldrexh/strexh status", r, 0);
    check_u32("half (0xfff0 + 0x20, truncated)", half, 0x0010);

    /* 64-bit: GCC uses ldrexd/strexd. */
    uint64_t old64 = __atomic_fetch_add(&dword, 0x100000001ull, __ATOMIC_SEQ_CST);
    check_u64("fetch_add64 old", old64, 0xffffffff00000000ull);
    check_u64("fetch_add64 new (carry into the high word)", dword, 0x0000000000000001ull);
    uint64_t exp64 = 1;
    int ok = __atomic_compare_exchange_n(&dword, &exp64, 0x123456789abcdef0ull, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    check_i32("cas64 success", ok, 1);
    exp64 = 2;
    ok = __atomic_compare_exchange_n(&dword, &exp64, 7, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    check_i32("cas64 failure", ok, 0);
    check_u64("cas64 failure returns current", exp64, 0x123456789abcdef0ull);
    check_u64("exchange64", __atomic_exchange_n(&dword, 42, __ATOMIC_SEQ_CST), 0x123456789abcdef0ull);

    /* 32/16/8-bit builtins. */
    uint32_t w = 0;
    for (int i = 1; i <= 1000; i++) __atomic_fetch_add(&w, (uint32_t)i, __ATOMIC_SEQ_CST);
    check_u32("sum 1..1000 via fetch_add", w, 500500);
    check_u32("fetch_sub old", __atomic_fetch_sub(&w, 500, __ATOMIC_RELAXED), 500500);
    check_u32("and_fetch", __atomic_and_fetch(&w, 0xff00ff, __ATOMIC_RELAXED), 500000 & 0xff00ff);
    check_u32("or_fetch", __atomic_or_fetch(&w, 0x80000000u, __ATOMIC_RELAXED), (500000 & 0xff00ff) | 0x80000000u);
    check_u32("xor_fetch", __atomic_xor_fetch(&w, 0xffffffffu, __ATOMIC_RELAXED), ~((500000u & 0xff00ff) | 0x80000000u));
    uint16_t h = 65535;
    check_u32("fetch_add16 wraps", __atomic_add_fetch(&h, 2, __ATOMIC_SEQ_CST), 1);
    uint8_t c = 200, ce = 200;
    ok = __atomic_compare_exchange_n(&c, &ce, 7, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    check_true("cas8 success", ok && c == 7);
    check_u32("exchange8", __atomic_exchange_n(&c, 1, __ATOMIC_SEQ_CST), 7);

    /* Lock-free stack. */
    for (int i = 0; i < 64; i++) { nodes[i].val = (uint32_t)i * 3; push(&nodes[i]); }
    uint32_t sum = 0, order = 0;
    struct node *n;
    int cnt = 0;
    while ((n = pop())) { sum += n->val; order = order * 31 + n->val; cnt++; }
    check_i32("stack pops", cnt, 64);
    check_u32("stack sum", sum, 3 * 63 * 64 / 2);
    check_u32("stack order hash (LIFO)", order, 0x017233a0);

    /* Spinlock. */
    uint32_t counter = 0;
    for (int i = 0; i < 1000; i++) { spin_lock(&lock); counter++; spin_unlock(&lock); }
    check_u32("spinlock counter", counter, 1000);
    check_u32("lock released", lock, 0);

    __asm__ volatile("dmb sy\n\tdsb sy\n\tisb sy\n\tdmb ishst\n\tdsb nsh" : : : "memory");
    __asm__ volatile("sev\n\twfe" : : : "memory");     /* returns at once: event register was set */
    check_true("barriers and sev/wfe executed", 1);

    return finish("atomic");
}
