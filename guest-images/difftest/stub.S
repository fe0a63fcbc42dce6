@ Entry into and exit from a difftest case (ARM state).
@
@ run_case(state) saves the runner's callee-saved registers and SP, loads the
@ whole guest state (r0-r14, APSR, FPSCR, d0-d15) and jumps to the case's code
@ through the stub at STUB_GO. The case's code ends with a terminator that loads
@ the PC with STUB (= save routine), which stores the guest state into the save
@ area and returns from run_case.
@
@ The save routine must run without a free register or a usable stack, so it is
@ a position-independent blob (stub_start..stub_end) that main() copies to the
@ fixed, writable and executable address STUB; it addresses its save area
@ PC-relatively.

    .syntax unified
    .arch armv7-a
    .fpu vfpv3-d16
    .arm
    .text

    .equ STUB, 0x49ff0000

@ State layout (shared with runner.c): r0-r14 at 0, apsr at 60, fpscr at 64, d0-d15 at 68.

    .global stub_start, stub_end, stub_save_area, stub_target
    .p2align 4
stub_start:
    @ STUB + 0: the save routine, reached from the case's terminator.
    setend  le                      @ in case the code set CPSR.E (not compared)
    str     r0, stub_save_area
    adr     r0, stub_save_area + 4
    stmia   r0, {r1-r14}
    mrs     r1, APSR
    str     r1, [r0, #56]
    vmrs    r1, fpscr
    str     r1, [r0, #60]
    add     r1, r0, #64
    vstmia  r1, {d0-d15}
    ldr     sp, host_sp
    vpop    {d8-d15}
    pop     {r4-r11, pc}
stub_go:
    ldr     pc, stub_target
    .p2align 4
stub_target:
    .word   0
host_sp:
    .word   0
    .p2align 4
stub_save_area:
    .space  68 + 128
stub_end:

    .equ STUB_HOST_SP, STUB + (host_sp - stub_start)
    .equ STUB_GO, STUB + (stub_go - stub_start)

    .global run_case
    .type run_case, %function
run_case:
    push    {r4-r11, lr}
    vpush   {d8-d15}
    clrex                           @ no exclusive access is open at the start of a case
    ldr     r1, =STUB_HOST_SP
    str     sp, [r1]
    add     r1, r0, #68
    vldmia  r1, {d0-d15}
    ldr     r1, [r0, #64]
    vmsr    fpscr, r1
    ldr     r1, [r0, #60]
    msr     APSR_nzcvqg, r1
    ldm     r0, {r0-r14}
    ldr     pc, =STUB_GO
    .ltorg
    .size run_case, . - run_case

    .section .note.GNU-stack,"",%progbits
