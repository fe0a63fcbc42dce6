/* Load/store multiple and addressing-mode sequences for the `ldmstm` guest.
 * Each function takes r0 = mem (64 words, prepared by the C side) and
 * r1 = out; DUMP appends r0-r11 (12 words) to out. */
    .syntax unified
    .arch armv7-a
    .fpu vfpv3-d16
#ifdef __thumb__
    .thumb
#define FUNC(name) .global name; .type name, %function; .thumb_func; name:
#define CODEADDR(reg, label) adr reg, label; orr reg, reg, #1
#else
    .arm
#define FUNC(name) .global name; .type name, %function; name:
#define CODEADDR(reg, label) adr reg, label
#endif
    .text

/* stack frame: [sp] = out cursor, [sp, #4] = mem */
.macro DUMP
    ldr     r12, [sp]
    stmia   r12!, {r0-r11}
    str     r12, [sp]
.endm
.macro CLEAR
    mov     r0, #0
    mov     r1, #0
    mov     r2, #0
    mov     r3, #0
    mov     r4, #0
    mov     r5, #0
    mov     r6, #0
    mov     r7, #0
    mov     r8, #0
    mov     r9, #0
    mov     r10, #0
    mov     r11, #0
.endm
.macro MEM reg, idx
    ldr     \reg, [sp, #4]
    .if \idx
    add     \reg, \reg, #(4 * \idx)
    .endif
.endm

/* uint32_t *ldm_test(uint32_t *mem, uint32_t *out) -> returns final cursor */
FUNC(ldm_test)
    push    {r4-r11, lr}
    push    {r0, r1}
    str     r1, [sp]
    str     r0, [sp, #4]
    CLEAR
    /* A: ldmia with writeback */
    ldr     r0, [sp, #4]
    ldmia   r0!, {r1-r11}
    DUMP
    CLEAR
    /* B: ldmdb with writeback, sparse list */
    MEM     r0, 16
    ldmdb   r0!, {r1-r4, r6, r8}
    DUMP
#ifndef __thumb__
    CLEAR
    /* C: ldmib / ldmda (ARM only) */
    MEM     r0, 0
    ldmib   r0!, {r1, r2}
    ldmda   r0, {r3, r4}
    DUMP
#endif
    CLEAR
    /* D: base register in the list, no writeback */
    MEM     r0, 0
    ldmia   r0, {r0, r1}
    DUMP
    CLEAR
    /* E: ldm loading pc: mem[20] = value, mem[21] = code address */
    MEM     r2, 20
    CODEADDR(r3, 1f)
    str     r3, [r2, #4]
    mov     r0, #0
    ldmia   r2, {r0, pc}
    mov     r0, #0x99            @ skipped
1:  mov     r3, #0
    DUMP
    CLEAR
    /* F: single loads, immediate and register offsets, pre/post-index */
    MEM     r0, 0
    ldr     r1, [r0, #8]!        @ mem[2], r0 = &mem[2]
    ldr     r2, [r0], #-4        @ mem[2], r0 = &mem[1]
    mov     r3, #3
    ldr     r4, [r0, r3, lsl #2] @ mem[4]
    ldrh    r5, [r0, #2]         @ upper half of mem[1]
    ldrsh   r6, [r0, #6]         @ upper half of mem[2], sign-extended
    ldrsb   r7, [r0, #3]         @ top byte of mem[1], sign-extended
    ldrb    r8, [r0, #-1]        @ top byte of mem[0]
    ldrb    r9, [r0, #5]!        @ byte 1 of mem[2], r0 = &mem[1] + 5
    ldrsh   r10, [r0, #-1]!      @ low half of mem[2], r0 = &mem[2]
    ldrh    r11, [r0], #3        @ low half of mem[2], r0 = &mem[2] + 3
    DUMP
    CLEAR
    /* G: ldrd/strd with offsets and writeback */
    MEM     r0, 8
    ldrd    r2, r3, [r0, #8]!    @ mem[10], mem[11]; r0 = &mem[10]
    ldrd    r4, r5, [r0], #-16   @ mem[10], mem[11]; r0 = &mem[6]
    ldrd    r6, r7, [r0, #-8]    @ mem[4], mem[5]
    DUMP
#ifndef __thumb__
    CLEAR
    /* H: ARM-only addressing: negative register offset, register writeback,
     * rotated/shifted register offsets, ldrsh with register offset. */
    MEM     r0, 8
    mov     r3, #12
    ldr     r1, [r0, -r3]        @ mem[5]
    ldr     r2, [r0, r3]!        @ mem[11], r0 = &mem[11]
    ldr     r4, [r0], -r3, lsl #1 @ mem[11], r0 = &mem[5]
    mov     r5, #2
    ldrsh   r6, [r0, r5]         @ upper half of mem[5]
    ldrsb   r7, [r0, -r5]!       @ byte 2 of mem[4]; r0 = &mem[4] + 2
    mov     r8, #0x10
    ldrb    r9, [r0, r8, lsr #3] @ byte 0 of mem[5]
    DUMP
#endif
    CLEAR
    /* I: PC-relative literal and adr */
    ldr     r1, 2f
    ldr     r2, =0x13579bdf
    adr     r3, 2f
    ldr     r4, [r3]
    mov     r3, #0
    DUMP
    pop     {r0, r1}
    pop     {r4-r11, pc}
    .balign 4
2:  .word   0x2468ace0
    .ltorg

/* uint32_t *stm_test(uint32_t *mem, uint32_t *out): writes mem[32..63] */
FUNC(stm_test)
    push    {r4-r11, lr}
    push    {r0, r1}
    str     r1, [sp]
    str     r0, [sp, #4]
    mov     r1, #0xa1
    mov     r2, #0xa2
    mov     r3, #0xa3
    mov     r4, #0xa4
    mov     r5, #0xa5
    mov     r6, #0xa6
    mov     r7, #0xa7
    mov     r8, #0xa8
    mov     r9, #0xa9
    mov     r10, #0xaa
    mov     r11, #0xab
    /* A: stmia with writeback: mem[32..42] */
    MEM     r0, 32
    stmia   r0!, {r1-r11}
    /* B: stmdb without writeback: mem[41], mem[42] = r4, r9 */
    stmdb   r0, {r4, r9}
    DUMP
#ifndef __thumb__
    /* C: stmib/stmda (ARM only): mem[44], mem[45] = r1, r2 ; mem[46], mem[47]... */
    MEM     r0, 43
    stmib   r0!, {r1, r2}        @ mem[44], mem[45]; r0 = &mem[45]
    add     r0, r0, #8           @ r0 = &mem[47]
    stmda   r0!, {r5, r6}        @ mem[46], mem[47]; r0 = &mem[45]
    DUMP
#endif
    /* D: base register lowest in the list, no writeback: stores its original value */
    MEM     r1, 48
    stmia   r1, {r1-r4}          @ mem[48] = &mem[48]
    mov     r1, #0xa1
    /* E: single stores with writeback */
    MEM     r0, 52
    strb    r5, [r0, #1]!        @ byte 1 of mem[52] = 0xa5, r0 = &mem[52]+1
    strh    r6, [r0, #1]         @ half 1 of mem[52] = 0x00a6
    strb    r7, [r0], #7         @ byte 1 of mem[52] = 0xa7, r0 = &mem[54]
    str     r8, [r0], #-4        @ mem[54] = 0xa8, r0 = &mem[53]
    strd    r10, r11, [r0, #12]! @ mem[56], mem[57]; r0 = &mem[56]
    mov     r3, #2
    str     r9, [r0, r3, lsl #2] @ mem[58]
    DUMP
    /* F: push/pop of many registers, then pop into pc */
    mov     r12, sp
    push    {r1-r11}
    mov     r1, #0
    mov     r2, #0
    mov     r3, #0
    mov     r4, #0
    mov     r5, #0
    mov     r6, #0
    mov     r7, #0
    mov     r8, #0
    mov     r9, #0
    mov     r10, #0
    mov     r11, #0
    pop     {r1-r11}
    mov     r0, sp
    sub     r0, r12, r0          @ 0 if balanced
    CODEADDR(r2, 3f)
    mov     r3, #0x77
    push    {r2, r3}             @ [sp] = r2, [sp+4] = r3
    mov     r2, #0
    pop     {r3}                 @ r3 = code address
    push    {r3}
    pop     {pc}
    mov     r0, #0x99            @ skipped
3:  pop     {r4}                 @ r4 = 0x77
    mov     r2, #0x22
    mov     r3, #0x33
    DUMP
    pop     {r0, r1}
    pop     {r4-r11, pc}
    .ltorg

/* void vfp_ldst_test(uint32_t *mem, uint32_t *out): out[0..15] = d0-d7 halves,
 * out[16] = r0 offset after writebacks; writes mem[32..39] */
FUNC(vfp_ldst_test)
    push    {r4, lr}
    mov     r4, r0
    vldmia  r0!, {d0-d3}         @ mem[0..7]
    mov     r2, r0
    vldmdb  r2!, {s8-s11}        @ mem[4..7] -> d4, d5
    vldr    d6, [r0, #8]         @ mem[10], mem[11]
    vldr    s14, [r0, #-4]       @ mem[7]
    vldr    s15, [r0]            @ mem[8]
    vstmia  r1!, {d0-d7}
    sub     r2, r0, r4
    str     r2, [r1]
    add     r0, r4, #(4 * 40)
    vstmdb  r0!, {d0-d3}         @ mem[32..39] = mem[0..7]
    vpush   {d0-d1}
    vpop    {d2-d3}
    vstr    d3, [r0, #-8]        @ mem[30..31] = mem[2..3]
    vstr    s0, [r0, #-12]       @ mem[29] = mem[0]
    pop     {r4, pc}

    .section .note.GNU-stack, "", %progbits
