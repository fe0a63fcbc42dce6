/* hspt bare-metal test guest runtime: console, printf, mem/str, checks. */
#include "rt.h"

#define UART_DR (*(volatile uint32_t *)(UART0_BASE + 0x00))
#define UART_FR (*(volatile uint32_t *)(UART0_BASE + 0x18))
#define UART_FR_TXFF (1u << 5)

#ifdef HOST
/* gen/host-run.sh builds the portable tests for the build machine to
 * cross-check their output; there the console is stdout. */
extern int putchar(int c);
extern void exit(int status) __attribute__((noreturn));
void rt_putchar(int c) { putchar(c); }
void psci_system_off(void) { exit(0); }
#else
void rt_putchar(int c)
{
    while (UART_FR & UART_FR_TXFF)
        ;
    UART_DR = (uint32_t)(unsigned char)c;
}
#endif

void rt_puts(const char *s)
{
    while (*s)
        rt_putchar(*s++);
}

#ifndef HOST
/* libc-style names (puts appends a newline, like libc's). */
int putchar(int c)
{
    rt_putchar(c);
    return (unsigned char)c;
}

int puts(const char *s)
{
    rt_puts(s);
    rt_putchar('\n');
    return 0;
}
#endif

/* ---- memory and strings ---- */

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if ((((uintptr_t)dp | (uintptr_t)sp) & 3) == 0) {
        while (n >= 16) {
            uint32_t a = ((const uint32_t *)sp)[0], b = ((const uint32_t *)sp)[1];
            uint32_t c = ((const uint32_t *)sp)[2], e = ((const uint32_t *)sp)[3];
            ((uint32_t *)dp)[0] = a; ((uint32_t *)dp)[1] = b;
            ((uint32_t *)dp)[2] = c; ((uint32_t *)dp)[3] = e;
            dp += 16; sp += 16; n -= 16;
        }
        while (n >= 4) {
            *(uint32_t *)dp = *(const uint32_t *)sp;
            dp += 4; sp += 4; n -= 4;
        }
    }
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp == sp || n == 0)
        return d;
    if (dp < sp || dp >= sp + n)
        return memcpy(d, s, n);
    dp += n; sp += n;
    while (n--)
        *--dp = *--sp;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *dp = d;
    uint32_t w = (unsigned char)c;
    w |= w << 8;
    w |= w << 16;
    while (n && ((uintptr_t)dp & 3)) {
        *dp++ = (unsigned char)c;
        n--;
    }
    while (n >= 4) {
        *(uint32_t *)dp = w;
        dp += 4; n -= 4;
    }
    while (n--)
        *dp++ = (unsigned char)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strcpy(char *d, const char *s)
{
    char *r = d;
    while ((*d++ = *s++))
        ;
    return r;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return 0;
    }
}

/* ---- printf ----
 * Conversions: d i u x X o c s p %, flags '-' '0' '+' ' ' '#', width and
 * precision (also '*'), length modifiers hh h l ll z t j. */

struct out {
    char *buf;      /* NULL: console */
    size_t size;
    size_t len;
};

static void out_ch(struct out *o, char c)
{
    if (o->buf) {
        if (o->len + 1 < o->size)
            o->buf[o->len] = c;
    } else {
        rt_putchar(c);
    }
    o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_ch(o, c);
}

static int do_printf(struct out *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_ch(o, *fmt);
            continue;
        }
        fmt++;
        int left = 0, zero = 0, plus = 0, space = 0, alt = 0;
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '0') zero = 1;
            else if (*fmt == '+') plus = 1;
            else if (*fmt == ' ') space = 1;
            else if (*fmt == '#') alt = 1;
            else break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) { left = 1; width = -width; }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long */
        for (;; fmt++) {
            if (*fmt == 'l') lng++;
            else if (*fmt == 'h') lng--;
            else if (*fmt == 'z' || *fmt == 't') lng = 1;
            else if (*fmt == 'j') lng = 2;
            else break;
        }
        char conv = *fmt;
        if (!conv)
            break;
        if (conv == '%') {
            out_ch(o, '%');
            continue;
        }
        if (conv == 'c') {
            char c = (char)va_arg(ap, int);
            if (!left) out_pad(o, ' ', width - 1);
            out_ch(o, c);
            if (left) out_pad(o, ' ', width - 1);
            continue;
        }
        if (conv == 's') {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int n = 0;
            while (s[n] && (prec < 0 || n < prec))
                n++;
            if (!left) out_pad(o, ' ', width - n);
            for (int i = 0; i < n; i++)
                out_ch(o, s[i]);
            if (left) out_pad(o, ' ', width - n);
            continue;
        }
        unsigned base = 10;
        int is_signed = 0, upper = 0;
        switch (conv) {
        case 'd': case 'i': is_signed = 1; break;
        case 'u': break;
        case 'x': base = 16; break;
        case 'X': base = 16; upper = 1; break;
        case 'o': base = 8; break;
        case 'p': base = 16; alt = 1; lng = 1; break;
        default:
            out_ch(o, '%');
            out_ch(o, conv);
            continue;
        }
        unsigned long long v;
        int neg = 0;
        if (is_signed) {
            long long sv;
            if (lng >= 2) sv = va_arg(ap, long long);
            else if (lng == 1) sv = va_arg(ap, long);
            else sv = va_arg(ap, int);
            if (lng == -1) sv = (short)sv;
            if (lng <= -2) sv = (signed char)sv;
            if (sv < 0) { neg = 1; v = 0ull - (unsigned long long)sv; }
            else v = (unsigned long long)sv;
        } else {
            if (lng >= 2) v = va_arg(ap, unsigned long long);
            else if (lng == 1) v = va_arg(ap, unsigned long);
            else v = va_arg(ap, unsigned int);
            if (lng == -1) v = (unsigned short)v;
            if (lng <= -2) v = (unsigned char)v;
        }
        char tmp[24];
        int n = 0;
        /* 64-bit values go through __aeabi_uldivmod (libgcc) on purpose. */
        if (v >> 32) {
            while (v) {
                unsigned d = (unsigned)(v % base);
                tmp[n++] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
                v /= base;
            }
        } else {
            uint32_t w = (uint32_t)v;
            while (w) {
                unsigned d = w % base;
                tmp[n++] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
                w /= base;
            }
        }
        int digits = n;
        if (prec >= 0) zero = 0;
        int mind = prec < 0 ? 1 : prec;
        if (digits < mind) digits = mind;
        const char *prefix = "";
        if (neg) prefix = "-";
        else if (is_signed && plus) prefix = "+";
        else if (is_signed && space) prefix = " ";
        if (alt && base == 16 && (n > 0 || conv == 'p')) prefix = upper ? "0X" : "0x";
        if (alt && base == 8 && digits <= n) digits = n + 1;
        int plen = (int)strlen(prefix);
        int total = plen + digits;
        if (!left && !zero) out_pad(o, ' ', width - total);
        for (const char *p = prefix; *p; p++) out_ch(o, *p);
        if (!left && zero) out_pad(o, '0', width - total);
        out_pad(o, '0', digits - n);
        while (n) out_ch(o, tmp[--n]);
        if (left) out_pad(o, ' ', width - total);
    }
    return (int)o->len;
}

int vprintf(const char *fmt, va_list ap)
{
    struct out o = { 0, 0, 0 };
    return do_printf(&o, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vprintf(fmt, ap);
    va_end(ap);
    return r;
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct out o = { buf, n, 0 };
    int r = do_printf(&o, fmt, ap);
    if (n)
        buf[o.len < n ? o.len : n - 1] = 0;
    return r;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- checks ---- */

int rt_errors;

void check_u32(const char *what, uint32_t got, uint32_t expect)
{
    printf("%s = 0x%08x", what, (unsigned)got);
    if (got != expect) {
        printf("  MISMATCH expected 0x%08x", (unsigned)expect);
        rt_errors++;
    }
    rt_putchar('\n');
}

void check_i32(const char *what, int32_t got, int32_t expect)
{
    printf("%s = %d", what, (int)got);
    if (got != expect) {
        printf("  MISMATCH expected %d", (int)expect);
        rt_errors++;
    }
    rt_putchar('\n');
}

void check_u64(const char *what, uint64_t got, uint64_t expect)
{
    printf("%s = 0x%016llx", what, (unsigned long long)got);
    if (got != expect) {
        printf("  MISMATCH expected 0x%016llx", (unsigned long long)expect);
        rt_errors++;
    }
    rt_putchar('\n');
}

void check_i64(const char *what, int64_t got, int64_t expect)
{
    printf("%s = %lld", what, (long long)got);
    if (got != expect) {
        printf("  MISMATCH expected %lld", (long long)expect);
        rt_errors++;
    }
    rt_putchar('\n');
}

void check_str(const char *what, const char *got, const char *expect)
{
    printf("%s = \"%s\"", what, got);
    if (strcmp(got, expect) != 0) {
        printf("  MISMATCH expected \"%s\"", expect);
        rt_errors++;
    }
    rt_putchar('\n');
}

void check_true(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "MISMATCH");
    if (!cond)
        rt_errors++;
}

int finish(const char *name)
{
    if (rt_errors) {
        printf("FAIL %s (%d mismatches)\n", name, rt_errors);
        return 1;
    }
    printf("PASS %s\n", name);
    return 0;
}

void rt_exit(int status)
{
    (void)status;
    psci_system_off();
}

#ifndef HOST
/* ---- exceptions ---- */

static const char *const exc_names[8] = {
    "Reset", "Undefined Instruction", "Supervisor Call", "Prefetch Abort",
    "Data Abort", "Hyp Trap", "IRQ", "FIQ",
};

const char *exc_name(int type)
{
    return (type >= 0 && type < 8) ? exc_names[type] : "?";
}

__attribute__((weak)) int exc_handler(int type, struct exc_frame *f)
{
    (void)type;
    (void)f;
    return 0;
}

void rt_exception(int type, struct exc_frame *f)
{
    if (exc_handler(type, f))
        return;
    uint32_t cpsr = get_cpsr();
    printf("\nUNHANDLED EXCEPTION: %s (lr 0x%08x, spsr 0x%08x, mode 0x%02x)\n",
           exc_name(type), (unsigned)f->pc, (unsigned)f->spsr, (unsigned)(cpsr & 0x1f));
    if (type == EXC_DABT) {
        uint32_t dfsr, dfar;
        __asm__ volatile("mrc p15, 0, %0, c5, c0, 0" : "=r"(dfsr));
        __asm__ volatile("mrc p15, 0, %0, c6, c0, 0" : "=r"(dfar));
        printf("DFSR 0x%08x DFAR 0x%08x\n", (unsigned)dfsr, (unsigned)dfar);
    } else if (type == EXC_PABT) {
        uint32_t ifsr, ifar;
        __asm__ volatile("mrc p15, 0, %0, c5, c0, 1" : "=r"(ifsr));
        __asm__ volatile("mrc p15, 0, %0, c6, c0, 2" : "=r"(ifar));
        printf("IFSR 0x%08x IFAR 0x%08x\n", (unsigned)ifsr, (unsigned)ifar);
    }
    printf("FAIL (unhandled exception)\n");
    psci_system_off();
}

#endif /* !HOST */

/* Division by zero in libgcc's helpers lands here (the Linux flavour of
 * libgcc would call raise(SIGFPE)).  The quotient is then 0. */
int __aeabi_idiv0(int r) { (void)r; return 0; }
long long __aeabi_ldiv0(long long r) { (void)r; return 0; }
