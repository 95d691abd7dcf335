/* Messages a guest can provoke over and over (a device it misuses in a loop,
 * a vCPU error on every CPU): the first few of a kind reach stderr, then one
 * line says the rest are suppressed, so a guest cannot flood the host's log. */
#ifndef VMM_MSGLIMIT_H
#define VMM_MSGLIMIT_H
#include <stdbool.h>

#define MSG_LIMIT_FIRST 5

struct msg_limit {
    unsigned count;            /* zero-initialised: nothing printed yet */
};

/* True if this message may be printed (one of the first MSG_LIMIT_FIRST).
 * The next call prints "minivmm: further KIND suppressed" and returns false,
 * as do all later ones.  Thread-safe. */
bool msg_limit_ok(struct msg_limit *l, const char *kind);
#endif
