/* ARM and Thumb code side by side, whatever the build ISA, for the
 * `interwork` guest: every way of switching instruction set in ARMv7. */
    .syntax unified
    .arch armv7-a
    .text

    .arm
    .global arm_double_plus1
    .type arm_double_plus1, %function
arm_double_plus1:               @ 2x + 1, ARM
    add     r0, r0, r0
    add     r0, r0, #1
    bx      lr

    .thumb
    .global thumb_triple
    .type thumb_triple, %function
    .thumb_func
thumb_triple:                   @ 3x, Thumb
    add     r0, r0, r0, lsl #1
    bx      lr

    .section .rodata
    .balign 4
thumb_triple_ptr:  .word thumb_triple          @ bit 0 set by the linker
arm_ptr:           .word arm_double_plus1
    .text

/* uint32_t arm_tour(uint32_t x): ARM code reaching Thumb code five ways.
 * Returns 5 * 3x. */
    .arm
    .global arm_tour
    .type arm_tour, %function
arm_tour:
    push    {r4, r5, r6, lr}
    mov     r4, r0
    bl      thumb_triple        @ BL to Thumb: the linker makes it BLX imm
    mov     r5, r0
    mov     r0, r4
    ldr     r1, =thumb_triple
    blx     r1                  @ BLX register
    add     r5, r5, r0
    mov     r0, r4
    adr     lr, 1f
    ldr     r1, =thumb_triple_ptr
    ldr     pc, [r1]            @ LDR pc interworks
1:  add     r5, r5, r0
    mov     r0, r4
    adr     lr, 2f
    ldr     r1, =thumb_triple
    mov     pc, r1              @ ALU write to pc interworks in ARM state (ARMv7)
2:  add     r5, r5, r0
    mov     r0, r4
    adr     lr, 3f
    ldr     r1, =thumb_triple
    push    {r1}
    pop     {pc}                @ POP/LDM pc interworks
3:  add     r5, r5, r0
    mov     r0, r5
    pop     {r4, r5, r6, pc}
    .ltorg

/* uint32_t thumb_tour(uint32_t x): Thumb code reaching ARM code five ways,
 * then a Thumb MOV pc (not interworking: stays Thumb).  Returns 5 * (2x+1). */
    .thumb
    .global thumb_tour
    .type thumb_tour, %function
    .thumb_func
thumb_tour:
    push    {r4, r5, r6, lr}
    mov     r4, r0
    bl      arm_double_plus1    @ BLX imm via the linker
    mov     r5, r0
    mov     r0, r4
    ldr     r1, =arm_double_plus1
    blx     r1                  @ BLX register to ARM
    add     r5, r5, r0
    mov     r0, r4
    adr     r2, 1f
    orr     lr, r2, #1          @ return address in Thumb
    ldr     r1, =arm_ptr
    ldr     pc, [r1]            @ LDR pc interworks
    .balign 4
1:  add     r5, r5, r0
    mov     r0, r4
    adr     r2, 2f
    orr     lr, r2, #1
    ldr     r1, =arm_double_plus1
    bx      r1                  @ BX register to ARM
    .balign 4
2:  add     r5, r5, r0
    mov     r0, r4
    adr     r2, 3f
    orr     lr, r2, #1
    ldr     r1, =arm_double_plus1
    push    {r1}
    pop     {pc}                @ POP pc interworks
    .balign 4
3:  add     r5, r5, r0
    adr     r1, 4f              @ bit 0 clear: MOV pc in Thumb ignores it
    mov     pc, r1
    nop
    .balign 4
4:  mov     r0, r5
    pop     {r4, r5, r6, pc}
    .ltorg

    .section .note.GNU-stack, "", %progbits
