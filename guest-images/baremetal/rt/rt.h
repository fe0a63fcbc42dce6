/* hspt bare-metal test guest runtime: UART output, printf, mem/str, checks. */
#ifndef HSPT_RT_H
#define HSPT_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define UART0_BASE 0x09000000u

/* Console. */
void rt_putchar(int c);
void rt_puts(const char *s);            /* no newline added */
int putchar(int c);
int puts(const char *s);                /* appends a newline */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);

/* Power. */
void psci_system_off(void) __attribute__((noreturn));
uint32_t psci_call(uint32_t fn, uint32_t a1, uint32_t a2, uint32_t a3);
void rt_exit(int status) __attribute__((noreturn));

/* Memory and strings (also used by code GCC generates). */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *d, const char *s);
char *strchr(const char *s, int c);

/* Self-checks: each prints one line "what = value" and counts mismatches. */
extern int rt_errors;
void check_u32(const char *what, uint32_t got, uint32_t expect);  /* hex */
void check_i32(const char *what, int32_t got, int32_t expect);    /* decimal */
void check_u64(const char *what, uint64_t got, uint64_t expect);  /* hex */
void check_i64(const char *what, int64_t got, int64_t expect);    /* decimal */
void check_str(const char *what, const char *got, const char *expect);
void check_true(const char *what, int cond);
/* Prints "PASS name" or "FAIL name (N mismatches)"; returns 0 or 1. */
int finish(const char *name);

/* Exceptions.  The frame is what the vector stubs in start.S push. */
struct exc_frame {
    uint64_t d[8];      /* d0-d7 (only if FPEXC.EN was set on entry) */
    uint32_t spsr;
    uint32_t fpscr;
    uint32_t r[13];     /* r0-r12 of the interrupted mode */
    uint32_t pc;        /* raw LR on entry; the stub returns here (MOVS pc, lr) */
};
enum { EXC_RESET, EXC_UND, EXC_SVC, EXC_PABT, EXC_DABT, EXC_HYP, EXC_IRQ, EXC_FIQ };
/* Tests override this (weak default returns 0).  Return non-zero if handled;
 * an unhandled exception prints its name and powers off. */
int exc_handler(int type, struct exc_frame *f);
const char *exc_name(int type);

/* CPSR helpers. */
#define CPSR_T (1u << 5)
static inline uint32_t get_cpsr(void) { uint32_t v; __asm__ volatile("mrs %0, cpsr" : "=r"(v)); return v; }

#endif
