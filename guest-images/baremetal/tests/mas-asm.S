/* User programs for the `mas` guest (multiple address spaces).  Assembled as
 * ARM or Thumb-2 like the C part.  They are never run where they are linked:
 * the kernel copies one of them into each process's own code page, which it
 * maps at the same user VA (UCODE) in every process.  So the code is position
 * independent: PC-relative branches and one PC-relative literal only.
 *
 * The two programs differ in their code (the step they add to the counter, and
 * a marker), so a translation of one process's code must never run in another.
 *
 * Protocol (see mas.c): the kernel starts a process, or resumes it after an
 * SVC, with a command in r0 and its arguments in r1, r2.  The program does it
 * and reports with  r7 = SYS_DONE, svc #0  (result in r0), or, while working,
 * r7 = SYS_YIELD, svc #0  after each round.
 *
 *   CMD_WORK  r1 = rounds: each round reads the data page's identity word
 *             (UDATA+0) and counter (UDATA+4), adds the step to the counter,
 *             stores it, reads the code page's identity (a literal in the code
 *             page itself) and a word it pushed on its stack, then yields with
 *             r1 = data identity, r2 = counter, r3 = code identity,
 *             r4 = stack word, r5 = round, r6 = marker.
 *   CMD_READ  r1 = VA: result = the word at VA (r1 itself if the load faults and
 *             the kernel skips it).
 *   CMD_WRITE r1 = VA, r2 = value: stores; result = 0.
 *   CMD_CALL  r1 = VA: BLX to VA (a prefetch abort: the kernel resumes at LR with
 *             r0 = its marker); result = r0.
 */
    .syntax unified
    .arch armv7-a
#ifdef __thumb__
    .thumb
#else
    .arm
#endif
    .section .rodata.mas_user, "a"

#define CMD_WORK  1
#define CMD_READ  2
#define CMD_WRITE 3
#define CMD_CALL  4
#define SYS_YIELD 1
#define SYS_DONE  2
#define UDATA     0x00020000

.macro USER_PROG name, step, marker
    .balign 64
    .global \name\()_start
    .global \name\()_end
\name\()_start:
1:  cmp     r0, #CMD_WORK
    beq     10f
    cmp     r0, #CMD_READ
    beq     20f
    cmp     r0, #CMD_WRITE
    beq     30f
    cmp     r0, #CMD_CALL
    beq     40f
    mvn     r0, #0                      @ unknown command: result -1
    b       90f

10: mov     r8, r1                      @ rounds
    mov     r5, #0                      @ round
    mov     r9, #UDATA
    ldr     r4, [r9]
    push    {r4}                        @ the data identity, kept on the user stack
11: ldr     r1, [r9]                    @ data identity
    ldr     r2, [r9, #4]                @ counter
    add     r2, r2, #\step
    str     r2, [r9, #4]
    ldr     r3, 80f                     @ code identity (literal in this page)
    ldr     r4, [sp]                    @ stack word
    mov     r6, #\marker
    mov     r7, #SYS_YIELD
    svc     #0
    add     r5, r5, #1
    cmp     r5, r8
    blo     11b
    pop     {r4}
    mov     r0, r5
    b       90f

20: ldr     r1, [r1]
    mov     r0, r1
    b       90f

30: str     r2, [r1]
    mov     r0, #0
    b       90f

40: blx     r1
    b       90f

90: mov     r7, #SYS_DONE
    svc     #0
    b       1b

    .balign 4
80: .word   0                           @ code identity: patched by the kernel
\name\()_end:
.endm

    USER_PROG user_a, 1, 0xa
    USER_PROG user_b, 3, 0xb

    .section .note.GNU-stack, "", %progbits
