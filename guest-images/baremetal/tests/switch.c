/* switch: control flow.
 * Dense switch statements (jump tables: TBB and TBH in Thumb-2, LDR pc /
 * ADD pc in ARM), a sparse switch (compare trees), a bytecode interpreter
 * dispatched by computed goto (indirect branches), function-pointer tables,
 * recursion (Ackermann, Fibonacci, Towers of Hanoi), mutual recursion, and
 * variadic functions.  Results are hashed and compared with values computed
 * off-target (gen/host-run.sh switch). */
#include "rt.h"


static __attribute__((noinline)) uint32_t small_switch(uint32_t x)
{
    switch (x) {
    case 0: return 11;
    case 1: return 23;
    case 2: return 5;
    case 3: return 99;
    case 4: return 1234;
    case 5: return 7;
    case 6: return 0xfff;
    case 7: return 42;
    case 8: return 3;
    case 9: return 77777;
    default: return 0xdead;
    }
}

static volatile uint32_t sink;
#define C4(n) case (n): sink = (n) * 3u; return ((n) * 2654435761u) ^ ((n) << 7); \
              case (n) + 1: sink = (n); return ((n) + 1) * 40503u + sink; \
              case (n) + 2: sink = 0; return (((n) + 2) >> 1) | 0x80000000u; \
              case (n) + 3: return small_switch((n) % 11) + (n);
#define C16(n) C4(n) C4(n + 4) C4(n + 8) C4(n + 12)
#define C64(n) C16(n) C16(n + 16) C16(n + 32) C16(n + 48)

/* 320 cases with bodies large enough for halfword table offsets (TBH). */
static __attribute__((noinline)) uint32_t big_switch(uint32_t x)
{
    switch (x) {
    C64(0) C64(64) C64(128) C64(192) C64(256)
    default: return 0x12345678u ^ x;
    }
}

static __attribute__((noinline)) const char *sparse_switch(int x)
{
    switch (x) {
    case -1000000: return "minus a million";
    case -7: return "minus seven";
    case 0: return "zero";
    case 13: return "thirteen";
    case 100: return "hundred";
    case 4096: return "4k";
    case 65535: return "64k-1";
    case 1 << 30: return "2^30";
    default: return "other";
    }
}

/* A tiny stack machine dispatched with computed goto. */
enum { OP_PUSH, OP_ADD, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_POP, OP_HALT, OP_OVER, OP_XOR };
static __attribute__((noinline)) uint32_t run_vm(const int32_t *code)
{
    static void *const table[] = { &&op_push, &&op_add, &&op_mul, &&op_dup, &&op_swap, &&op_jnz,
                                   &&op_dec, &&op_pop, &&op_halt, &&op_over, &&op_xor };
    uint32_t stack[32];
    int sp = 0, pc = 0;
#define NEXT goto *table[code[pc++]]
    NEXT;
op_push: stack[sp++] = (uint32_t)code[pc++]; NEXT;
op_add: sp--; stack[sp - 1] += stack[sp]; NEXT;
op_mul: sp--; stack[sp - 1] *= stack[sp]; NEXT;
op_dup: stack[sp] = stack[sp - 1]; sp++; NEXT;
op_swap: { uint32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; } NEXT;
op_jnz: { int32_t target = code[pc++]; if (stack[--sp]) pc = target; } NEXT;
op_dec: stack[sp - 1]--; NEXT;
op_pop: sp--; NEXT;
op_over: stack[sp] = stack[sp - 2]; sp++; NEXT;
op_xor: sp--; stack[sp - 1] ^= stack[sp]; NEXT;
op_halt: return stack[sp - 1];
#undef NEXT
}

/* acc = 1; n = 12; loop: acc = acc * 3 + n ^ acc; n--; while n */
static const int32_t program[] = {
    OP_PUSH, 1, OP_PUSH, 12,                 /* acc n */
    /* 4: */ OP_SWAP, OP_PUSH, 3, OP_MUL,    /* n acc*3 */
    OP_OVER, OP_ADD,                         /* n acc*3+n */
    OP_DUP, OP_PUSH, 0x5bd1e995, OP_MUL, OP_XOR, /* n acc' */
    OP_SWAP, OP_DEC, OP_DUP, OP_JNZ, 4,      /* acc n-1 */
    OP_POP, OP_HALT,
};

static uint32_t f_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t f_sub(uint32_t a, uint32_t b) { return a - b; }
static uint32_t f_mul(uint32_t a, uint32_t b) { return a * b; }
static uint32_t f_div(uint32_t a, uint32_t b) { return b ? a / b : 0; }
static uint32_t f_rot(uint32_t a, uint32_t b) { return (a << (b & 31)) | (a >> ((32 - b) & 31)); }
static uint32_t (*const fns[])(uint32_t, uint32_t) = { f_add, f_sub, f_mul, f_div, f_rot };

static uint32_t ackermann(uint32_t m, uint32_t n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}
static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static uint32_t hanoi_moves, hanoi_hash;
static void hanoi(int n, int from, int to, int via)
{
    if (!n) return;
    hanoi(n - 1, from, via, to);
    hanoi_moves++;
    hanoi_hash = hanoi_hash * 31 + (uint32_t)(from * 3 + to);
    hanoi(n - 1, via, to, from);
}
static int is_odd(uint32_t n);
static __attribute__((noinline)) int is_even(uint32_t n) { return n == 0 ? 1 : is_odd(n - 1); }
static __attribute__((noinline)) int is_odd(uint32_t n) { return n == 0 ? 0 : is_even(n - 1); }

static __attribute__((noinline)) int64_t vsum(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    int64_t s = 0;
    for (int i = 0; i < n; i++) {
        int kind = va_arg(ap, int);
        if (kind == 0) s += va_arg(ap, int32_t);
        else if (kind == 1) s += va_arg(ap, int64_t);
        else s += (int64_t)(va_arg(ap, double) * 1000.0);
    }
    va_end(ap);
    return s;
}

int main(void)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < 12; i++) h = (h ^ small_switch(i)) * 16777619u;
    check_u32("small switch hash (0..11)", h, 0xa9f78a53u);
    h = 2166136261u;
    for (uint32_t i = 0; i < 330; i++) h = (h ^ big_switch(i)) * 16777619u;
    check_u32("big switch hash (0..329)", h, 0xe0e37f4fu);
    check_u32("big_switch(257)", big_switch(257), 0x009ed637u);
    static const int sp_in[] = { -1000000, -7, 0, 13, 100, 4096, 65535, 1 << 30, 5, -8 };
    char buf[160];
    buf[0] = 0;
    for (int i = 0; i < 10; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof(buf) - l, "%s%s", i ? "," : "", sparse_switch(sp_in[i]));
    }
    check_str("sparse switch", buf, "minus a million,minus seven,zero,thirteen,hundred,4k,64k-1,2^30,other,other");

    check_u32("computed-goto VM", run_vm(program), 0x0cfa9c34u);

    h = 2166136261u;
    for (uint32_t i = 0; i < 100; i++) h = (h ^ fns[i % 5](i * 7919u, i + 3)) * 16777619u;
    check_u32("function pointer table hash", h, 0xa5e3a46fu);

    check_u32("ackermann(2,3)", ackermann(2, 3), 9);
    check_u32("ackermann(3,4)", ackermann(3, 4), 125);
    check_u32("fib(24)", fib(24), 46368);
    hanoi(12, 1, 3, 2);
    check_u32("hanoi(12) moves", hanoi_moves, 4095);
    check_u32("hanoi(12) move hash", hanoi_hash, 0xf146b81cu);
    check_i32("is_even(1001) (mutual recursion)", is_even(1001), 0);
    check_i32("is_odd(777)", is_odd(777), 1);
    check_i64("vsum(int, int64, double, ...)",
              vsum(6, 0, (int32_t)-5, 1, (int64_t)10000000000ll, 2, 2.5, 0, (int32_t)7, 1, (int64_t)-3, 2, -0.25),
              10000000000ll - 5 + 2500 + 7 - 3 - 250);

    return finish("switch");
}
