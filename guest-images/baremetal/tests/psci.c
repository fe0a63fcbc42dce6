/* psci: the PSCI firmware interface over the HVC conduit (as on QEMU's virt
 * board without EL2/EL3).  PSCI_VERSION is 0.2 or later, PSCI_FEATURES
 * answers 0 for implemented functions and NOT_SUPPORTED (-1) otherwise, an
 * unknown PSCI function returns NOT_SUPPORTED, r4-r11 survive the call (SMC
 * Calling Convention), and main's return leads to SYSTEM_OFF. */
#include "rt.h"

#define PSCI_VERSION       0x84000000u
#define PSCI_FEATURES      0x8400000au
#define PSCI_SYSTEM_OFF    0x84000008u
#define PSCI_SYSTEM_RESET  0x84000009u
#define NOT_SUPPORTED      0xffffffffu

int main(void)
{
    uint32_t v = psci_call(PSCI_VERSION, 0, 0, 0);
    check_true("PSCI_VERSION >= 0.2", (v >> 16) > 0 || (v & 0xffff) >= 2);
    check_u32("FEATURES(PSCI_VERSION)", psci_call(PSCI_FEATURES, PSCI_VERSION, 0, 0), 0);
    check_u32("FEATURES(SYSTEM_OFF)", psci_call(PSCI_FEATURES, PSCI_SYSTEM_OFF, 0, 0), 0);
    check_u32("FEATURES(SYSTEM_RESET)", psci_call(PSCI_FEATURES, PSCI_SYSTEM_RESET, 0, 0), 0);
    check_u32("FEATURES(0x840000ff)", psci_call(PSCI_FEATURES, 0x840000ffu, 0, 0), NOT_SUPPORTED);
    check_u32("unknown PSCI function 0x840000ff", psci_call(0x840000ffu, 0, 0, 0), NOT_SUPPORTED);

    uint32_t regs[8];
    __asm__ volatile(
        "push {%0}\n\t"
        "push {r4-r11}\n\t"
        "ldr r4, =0x44444444\n\t"
        "ldr r5, =0x55555555\n\t"
        "ldr r6, =0x66666666\n\t"
        "ldr r7, =0x77777777\n\t"
        "ldr r8, =0x88888888\n\t"
        "ldr r9, =0x99999999\n\t"
        "ldr r10, =0xaaaaaaaa\n\t"
        "ldr r11, =0xbbbbbbbb\n\t"
        "ldr r0, =0x84000000\n\t"
        "hvc #0\n\t"
        "ldr r0, [sp, #32]\n\t"
        "stm r0, {r4-r11}\n\t"
        "pop {r4-r11}\n\t"
        "add sp, sp, #4"
        : : "r"(regs) : "r0", "r1", "r2", "r3", "memory");
    uint32_t x = 0;
    for (int i = 0; i < 8; i++) x |= regs[i] ^ (0x44444444u + 0x11111111u * (uint32_t)i);
    check_u32("r4-r11 preserved across HVC", x, 0);

    return finish("psci");      /* start.S then calls SYSTEM_OFF */
}
