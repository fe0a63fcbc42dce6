/* Helpers for the `modes` guest: banked registers, user mode, SRS/RFE and
 * exception-return forms.  Assembled as ARM or Thumb-2 like the C part. */
    .syntax unified
    .arch armv7-a
#ifdef __thumb__
    .thumb
#define FUNC(name) .global name; .type name, %function; .thumb_func; name:
#else
    .arm
#define FUNC(name) .global name; .type name, %function; name:
#endif
    .text

#define M_FIQ 0x11
#define M_IRQ 0x12
#define M_SVC 0x13
#define M_ABT 0x17
#define M_UND 0x1b
#define M_SYS 0x1f

/* out layout (words):
 *   [0..14]   per mode (FIQ, IRQ, ABT, UND, SYS): sp, lr, spsr read back
 *   [15..19]  FIQ r8-r12 read back
 *   [20..24]  SVC r8-r12 after FIQ wrote its own
 *   [25..26]  SVC sp, lr unchanged flags (sp_before - sp_after, lr check)
 *   [32..41]  original sp/lr of the five modes (restored at the end) */

.macro SETMODE m, idx
    cps     #\m
    str     sp, [r0, #(128 + 8 * \idx)]
    str     lr, [r0, #(132 + 8 * \idx)]
    ldr     r2, =(0x5b000000 + (\m << 8))
    mov     sp, r2
    ldr     lr, =(0x1e000000 + (\m << 8))
    .if \m != M_SYS
    ldr     r2, =(0x000001c0 | \m | ((\idx + 8) << 28) | ((\idx + 1) << 16))
    msr     spsr_fsxc, r2
    .endif
    .if \m == M_FIQ
    ldr     r8, =0xf8f8f8f8
    ldr     r9, =0xf9f9f9f9
    ldr     r10, =0xfafafafa
    ldr     r11, =0xfbfbfbfb
    ldr     r12, =0xfcfcfcfc
    .endif
    cps     #M_SVC
.endm

.macro GETMODE m, idx
    cps     #\m
    str     sp, [r0, #(12 * \idx)]
    str     lr, [r0, #(12 * \idx + 4)]
    .if \m != M_SYS
    mrs     r2, spsr
    str     r2, [r0, #(12 * \idx + 8)]
    .else
    mov     r2, #0
    str     r2, [r0, #(12 * \idx + 8)]
    .endif
    .if \m == M_FIQ
    str     r8, [r0, #60]
    str     r9, [r0, #64]
    str     r10, [r0, #68]
    str     r11, [r0, #72]
    str     r12, [r0, #76]
    .endif
    ldr     r2, [r0, #(128 + 8 * \idx)]
    mov     sp, r2
    ldr     lr, [r0, #(132 + 8 * \idx)]
    cps     #M_SVC
.endm

/* void bank_test(uint32_t out[48]) -- called in SVC mode */
FUNC(bank_test)
    push    {r4-r11, lr}
    mov     r8, #8
    mov     r9, #9
    mov     r10, #10
    mov     r11, #11
    mov     r12, #12
    mov     r4, sp
    ldr     lr, =0x0e0e0e0e
    SETMODE M_FIQ, 0
    SETMODE M_IRQ, 1
    SETMODE M_ABT, 2
    SETMODE M_UND, 3
    SETMODE M_SYS, 4
    str     r8, [r0, #80]
    str     r9, [r0, #84]
    str     r10, [r0, #88]
    str     r11, [r0, #92]
    str     r12, [r0, #96]
    GETMODE M_FIQ, 0
    GETMODE M_IRQ, 1
    GETMODE M_ABT, 2
    GETMODE M_UND, 3
    GETMODE M_SYS, 4
    mov     r3, sp
    sub     r2, r4, r3
    str     r2, [r0, #100]
    ldr     r2, =0x0e0e0e0e
    sub     r2, lr, r2
    str     r2, [r0, #104]
    pop     {r4-r11, pc}
    .ltorg

#ifndef __thumb__
/* void user_bank_arm(uint32_t out[4]): STM/LDM with ^ (user registers) from SVC. ARM only. */
FUNC(user_bank_arm)
    push    {r4, r5, lr}
    cps     #M_SYS
    mov     r4, sp
    mov     r5, lr
    ldr     sp, =0x51515151
    ldr     lr, =0x1e1e1e1e
    cps     #M_SVC
    stmia   r0, {sp, lr}^           @ user sp, lr
    nop
    ldr     r1, =0x52525252
    ldr     r2, =0x2e2e2e2e
    str     r1, [r0, #8]
    str     r2, [r0, #12]
    add     r3, r0, #8
    ldmia   r3, {sp, lr}^           @ load user sp, lr
    nop
    cps     #M_SYS
    str     sp, [r0, #8]
    str     lr, [r0, #12]
    mov     sp, r4
    mov     lr, r5
    cps     #M_SVC
    pop     {r4, r5, pc}
    .ltorg
#endif

/* void user_mode_test(uint32_t out[8]): drops to USR mode, tries privileged
 * things there, and comes back with `svc #0x10` (the C handler returns to SVC). */
FUNC(user_mode_test)
    push    {r4-r11, lr}
    cps     #0x10
    mrs     r1, cpsr
    str     r1, [r0, #0]
    cps     #M_SVC                  @ ignored in user mode
    mrs     r1, cpsr
    str     r1, [r0, #4]
    mov     r1, #0xd3
    msr     cpsr_c, r1              @ control field ignored in user mode
    mrs     r1, cpsr
    str     r1, [r0, #8]
    ldr     r1, =0xabababab
    mrc     p15, 0, r1, c1, c0, 0   @ SCTLR: undefined in user mode
    str     r1, [r0, #12]
    mrc     p15, 0, r1, c13, c0, 3  @ TPIDRURO: readable in user mode
    str     r1, [r0, #16]
    mrc     p15, 0, r1, c13, c0, 2  @ TPIDRURW: readable in user mode
    str     r1, [r0, #20]
    ldr     r1, =0x0badf00d
    mcr     p15, 0, r1, c13, c0, 3  @ TPIDRURO: write undefined in user mode
    mov     r1, #0x90000000
    msr     APSR_nzcvq, r1          @ flags are writable
    svc     #0x10                   @ back to SVC
    mrs     r1, cpsr
    str     r1, [r0, #24]
    pop     {r4-r11, pc}
    .ltorg

/* uint32_t srs_rfe_test(uint32_t out[4]): SRS stores LR and SPSR on the
 * SVC stack; RFE loads PC and CPSR from memory (here: into SYS mode with
 * flags set, then back to SVC). */
FUNC(srs_rfe_test)
    push    {r4-r6, lr}
    mrs     r4, spsr                @ keep SPSR_svc
    ldr     r1, =0x600001d3
    msr     spsr_fsxc, r1
    mov     r5, lr
    ldr     lr, =0x12345679
    srsdb   sp!, #M_SVC             @ pushes lr then spsr
    ldr     r1, [sp, #0]
    str     r1, [r0, #0]
    ldr     r1, [sp, #4]
    str     r1, [r0, #4]
    add     sp, sp, #8
    mov     lr, r5
    /* RFE into SYS mode at label 1 with N and V set. */
    adr     r1, 1f
#ifdef __thumb__
    orr     r1, r1, #1
    ldr     r2, =0x900001ff         @ N V, A I F, T, SYS
#else
    ldr     r2, =0x900001df         @ N V, A I F, SYS
#endif
    push    {r1, r2}
    rfeia   sp!
    nop
1:  mrs     r1, cpsr
    str     r1, [r0, #8]
    cps     #M_SVC
    msr     spsr_fsxc, r4
    pop     {r4-r6, pc}
    .ltorg

/* void eret_test(uint32_t out[2]): exception-return forms from SVC mode:
 * ARM: LDM {..., pc}^ ; both: SUBS pc, lr, #imm. SPSR supplies flags. */
FUNC(eret_test)
    push    {r4, lr}
    mrs     r4, spsr
#ifdef __thumb__
    ldr     r1, =0x500001f3         @ Z V, A I F, T, SVC
#else
    ldr     r1, =0x500001d3         @ Z V, A I F, SVC
#endif
    msr     spsr_fsxc, r1
    adr     lr, 2f
#ifdef __thumb__
    orr     lr, lr, #1
    adds    lr, lr, #4              @ subs pc, lr, #4 takes it back
    subs    pc, lr, #4
#else
    add     lr, lr, #4
    subs    pc, lr, #4
#endif
    nop
2:  mrs     r1, cpsr
    str     r1, [r0, #0]
#ifndef __thumb__
    ldr     r1, =0x800001d3         @ N, A I F, SVC
    msr     spsr_fsxc, r1
    adr     r1, 3f
    push    {r0, r1}
    ldm     sp!, {r0, pc}^
    nop
3:  mrs     r1, cpsr
    str     r1, [r0, #4]
#endif
    msr     spsr_fsxc, r4
    pop     {r4, pc}
    .ltorg

    .section .note.GNU-stack, "", %progbits
