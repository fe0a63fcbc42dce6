/* smc: code that rewrites the instruction it is about to execute, in ARM
 * and in Thumb state (both are assembled into both builds).  Each routine
 * stores the new instruction, then DCCMVAU, DSB, ICIMVAU, BPIALL, DSB, ISB,
 * and runs straight into the patched instruction (same block, as far as a
 * translator is concerned). */
    .syntax unified
    .arch armv7-a
    .fpu vfpv3-d16

    .section .text.smc, "ax"

/* uint32_t smc_next_arm(uint32_t insn): patches the instruction after the
 * maintenance sequence with `insn` (an ARM instruction writing r0) and
 * returns r0 as it left it. */
    .arm
    .balign 64
    .global smc_next_arm
    .type smc_next_arm, %function
smc_next_arm:
    adr     r1, 1f
    str     r0, [r1]
    mcr     p15, 0, r1, c7, c11, 1      @ DCCMVAU
    dsb
    mcr     p15, 0, r1, c7, c5, 1       @ ICIMVAU
    mcr     p15, 0, r1, c7, c5, 6       @ BPIALL
    dsb
    isb
1:  mov     r0, #0                      @ patched
    bx      lr
    .size smc_next_arm, . - smc_next_arm

/* uint32_t smc_loop_arm(uint32_t n): a loop that rewrites its own
 * `add r2, r2, #k` with k = (iteration * 37) & 0xff each time round and
 * returns the sum. */
    .balign 64
    .global smc_loop_arm
    .type smc_loop_arm, %function
smc_loop_arm:
    push    {r4, lr}
    mov     r2, #0                      @ sum
    mov     r3, #0                      @ iteration
    adr     r1, 2f
    ldr     r4, =0xe2822000             @ add r2, r2, #0
1:  mov     r12, #37
    mul     r12, r3, r12
    and     r12, r12, #0xff
    orr     r12, r12, r4
    str     r12, [r1]
    mcr     p15, 0, r1, c7, c11, 1      @ DCCMVAU
    dsb
    mcr     p15, 0, r1, c7, c5, 1       @ ICIMVAU
    dsb
    isb
2:  add     r2, r2, #0                  @ patched
    add     r3, r3, #1
    cmp     r3, r0
    blo     1b
    mov     r0, r2
    pop     {r4, pc}
    .ltorg
    .size smc_loop_arm, . - smc_loop_arm

/* Thumb versions: the patched instruction is 16-bit (`movs r0, #imm8` for
 * smc_next_thumb, `adds r2, #k` for smc_loop_thumb). */
    .thumb
    .balign 64
    .global smc_next_thumb
    .type smc_next_thumb, %function
    .thumb_func
smc_next_thumb:
    adr     r1, 1f
    strh    r0, [r1]
    mcr     p15, 0, r1, c7, c11, 1      @ DCCMVAU
    dsb
    mcr     p15, 0, r1, c7, c5, 1       @ ICIMVAU
    mcr     p15, 0, r1, c7, c5, 6       @ BPIALL
    dsb
    isb
    .balign 4
1:  movs    r0, #0                      @ patched
    bx      lr
    .size smc_next_thumb, . - smc_next_thumb

/* uint32_t smc_next_thumb32(uint32_t hw1, uint32_t hw2): the patched
 * instruction is a 32-bit Thumb instruction (both halfwords rewritten). */
    .balign 64
    .global smc_next_thumb32
    .type smc_next_thumb32, %function
    .thumb_func
smc_next_thumb32:
    adr     r2, 1f
    strh    r0, [r2]
    strh    r1, [r2, #2]
    mcr     p15, 0, r2, c7, c11, 1      @ DCCMVAU
    dsb
    mcr     p15, 0, r2, c7, c5, 1       @ ICIMVAU
    mcr     p15, 0, r2, c7, c5, 6       @ BPIALL
    dsb
    isb
    .balign 4
1:  movw    r0, #0                      @ patched (32-bit)
    bx      lr
    .size smc_next_thumb32, . - smc_next_thumb32

    .balign 64
    .global smc_loop_thumb
    .type smc_loop_thumb, %function
    .thumb_func
smc_loop_thumb:
    push    {r4, lr}
    movs    r2, #0                      @ sum
    movs    r3, #0                      @ iteration
    adr     r1, 2f
    movw    r4, #0x3200                 @ adds r2, #0
1:  mov     r12, #37
    mul     r12, r3, r12
    and     r12, r12, #0xff
    orr     r12, r12, r4
    strh    r12, [r1]
    mcr     p15, 0, r1, c7, c11, 1      @ DCCMVAU
    dsb
    mcr     p15, 0, r1, c7, c5, 1       @ ICIMVAU
    dsb
    isb
    .balign 4
2:  adds    r2, #0                      @ patched
    adds    r3, #1
    cmp     r3, r0
    blo     1b
    mov     r0, r2
    pop     {r4, pc}
    .size smc_loop_thumb, . - smc_loop_thumb

    .section .note.GNU-stack, "", %progbits
