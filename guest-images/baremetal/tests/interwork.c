/* interwork: switching between ARM and Thumb state.
 * interwork-asm.S holds ARM and Thumb functions in the same image whatever
 * the build ISA; they call each other with BL (turned into BLX by the
 * linker), BLX register, BX, LDR pc, POP {pc} and (ARM state) an ALU write
 * to pc, and return with BX lr.  C calls both directly and through function
 * pointers; a Thumb MOV pc is checked not to change state. */
#include "rt.h"

uint32_t arm_double_plus1(uint32_t x);
uint32_t thumb_triple(uint32_t x);
uint32_t arm_tour(uint32_t x);
uint32_t thumb_tour(uint32_t x);

static uint32_t (*volatile fp_arm)(uint32_t) = arm_double_plus1;
static uint32_t (*volatile fp_thumb)(uint32_t) = thumb_triple;

int main(void)
{
    check_u32("arm_double_plus1(20) direct", arm_double_plus1(20), 41);
    check_u32("thumb_triple(20) direct", thumb_triple(20), 60);
    check_u32("arm function pointer bit 0", (uint32_t)fp_arm & 1, 0);
    check_u32("thumb function pointer bit 0", (uint32_t)fp_thumb & 1, 1);
    check_u32("arm_double_plus1(7) via pointer", fp_arm(7), 15);
    check_u32("thumb_triple(7) via pointer", fp_thumb(7), 21);
    check_u32("arm_tour(11): ARM -> Thumb five ways", arm_tour(11), 5 * 33);
    check_u32("thumb_tour(11): Thumb -> ARM five ways", thumb_tour(11), 5 * 23);
    uint32_t s = 0;
    for (uint32_t i = 0; i < 1000; i++) s += fp_arm(i) ^ fp_thumb(s);
    check_u32("1000 alternating calls", s, 0x191c46e1);
    return finish("interwork");
}
