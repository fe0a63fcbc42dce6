/* hello: the smallest guest.  Prints one line and powers off. */
#include "rt.h"

int main(void)
{
    rt_puts("Hello from hspt bare-metal guest\n");
    return 0;
}
