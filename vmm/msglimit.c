#include <stdio.h>
#include "vmm/msglimit.h"

bool msg_limit_ok(struct msg_limit *l, const char *kind)
{
    unsigned n = __atomic_fetch_add(&l->count, 1, __ATOMIC_RELAXED);
    if (n < MSG_LIMIT_FIRST)
        return true;
    if (n == MSG_LIMIT_FIRST)
        fprintf(stderr, "minivmm: further %s suppressed\n", kind);
    else
        __atomic_store_n(&l->count, MSG_LIMIT_FIRST + 1, __ATOMIC_RELAXED);   /* no wrap */
    return false;
}
