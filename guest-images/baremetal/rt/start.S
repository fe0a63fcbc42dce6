/*
 * hspt bare-metal test guest runtime: entry point and exception vectors.
 *
 * Entered at e_entry in SVC mode, MMU and caches off, IRQ/FIQ masked (as
 * qemu-system-arm -M virt -kernel guest.elf does).  Always assembled as ARM
 * code; the C part may be ARM or Thumb-2 (the linker inserts BLX as needed).
 */
    .syntax unified
    .arch armv7-a
    .arch_extension sec
    .arch_extension virt
    .fpu vfpv3-d16
    .arm

#define MODE_USR 0x10
#define MODE_FIQ 0x11
#define MODE_IRQ 0x12
#define MODE_SVC 0x13
#define MODE_ABT 0x17
#define MODE_UND 0x1b
#define MODE_SYS 0x1f

    .section .text.start, "ax"
    .global _start
    .type _start, %function
_start:
    cpsid   aif
    /* Exceptions go to our table: VBAR, and SCTLR.V = 0 (low vectors, so
     * VBAR is used), SCTLR.TE = 0 (handlers are ARM code). */
    ldr     r0, =vectors
    mcr     p15, 0, r0, c12, c0, 0
    mrc     p15, 0, r0, c1, c0, 0
    bic     r0, r0, #(1 << 13)          @ V
    bic     r0, r0, #(1 << 30)          @ TE
    mcr     p15, 0, r0, c1, c0, 0
    isb

    /* One stack per mode. */
    cps     #MODE_FIQ
    ldr     sp, =__stack_fiq_top
    cps     #MODE_IRQ
    ldr     sp, =__stack_irq_top
    cps     #MODE_ABT
    ldr     sp, =__stack_abt_top
    cps     #MODE_UND
    ldr     sp, =__stack_und_top
    cps     #MODE_SYS
    ldr     sp, =__stack_sys_top
    cps     #MODE_SVC
    ldr     sp, =__stack_svc_top

    /* Zero .bss. */
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
    mov     r3, #0
1:  cmp     r0, r1
    strdlo  r2, r3, [r0], #8
    blo     1b

    /* Enable VFP: CPACR cp10/cp11 full access, ISB, FPEXC.EN = 1. */
    mrc     p15, 0, r0, c1, c0, 2
    orr     r0, r0, #(0xf << 20)
    mcr     p15, 0, r0, c1, c0, 2
    isb
    mov     r0, #0x40000000
    vmsr    fpexc, r0
    mov     r0, #0
    vmsr    fpscr, r0

    mov     fp, #0
    mov     lr, #0
    bl      main
    b       rt_exit                     @ r0 = main's return value
    .size _start, . - _start

/* PSCI 0.2 SYSTEM_OFF over the HVC conduit.  Never returns. */
    .global psci_system_off
    .type psci_system_off, %function
psci_system_off:
    ldr     r0, =0x84000008
    hvc     #0
1:  wfi
    b       1b
    .size psci_system_off, . - psci_system_off

/* uint32_t psci_call(uint32_t fn, uint32_t a1, uint32_t a2, uint32_t a3) */
    .global psci_call
    .type psci_call, %function
psci_call:
    hvc     #0
    bx      lr
    .size psci_call, . - psci_call

    .ltorg

/*
 * Vector table.  Every handler saves a struct exc_frame (see rt.h) on the
 * stack of the mode it was taken to and calls
 *     void rt_exception(int type, struct exc_frame *f);
 * which may change any saved register, including pc (the raw LR on entry)
 * and spsr, before the stub returns with an exception return.
 */
    .section .text.vectors, "ax"
    .balign 32
    .global vectors
vectors:
    b       vec_reset
    b       vec_und
    b       vec_svc
    b       vec_pabt
    b       vec_dabt
    b       vec_hyp
    b       vec_irq
    b       vec_fiq

.macro EXC_STUB label, type
\label:
    push    {r0-r12, lr}
    mrs     r0, spsr
    vmrs    r4, fpexc                   @ VFP state is saved only if enabled
    mov     r1, #0
    tst     r4, #(1 << 30)
    vmrsne  r1, fpscr
    push    {r0, r1}
    sub     sp, sp, #64
    vstmiane sp, {d0-d7}
    mov     r0, #\type
    mov     r1, sp
    bl      rt_exception
    tst     r4, #(1 << 30)
    vldmiane sp, {d0-d7}
    add     sp, sp, #64
    pop     {r0, r1}
    msr     spsr_fsxc, r0
    vmsrne  fpscr, r1
    pop     {r0-r12, lr}
    movs    pc, lr
.endm

    EXC_STUB vec_reset, 0
    EXC_STUB vec_und,   1
    EXC_STUB vec_svc,   2
    EXC_STUB vec_pabt,  3
    EXC_STUB vec_dabt,  4
    EXC_STUB vec_hyp,   5
    EXC_STUB vec_irq,   6
    EXC_STUB vec_fiq,   7

    .section .note.GNU-stack, "", %progbits
