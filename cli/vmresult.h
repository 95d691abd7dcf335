/* The VM process's result, sent to minivmm through a pipe (cli/machine.c,
 * docs/sandbox.md), and the VM processes minivmm no longer waits for. */
#ifndef CLI_VMRESULT_H
#define CLI_VMRESULT_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cli/machine.h"

/* What the VM process sends back through the result pipe; the timing
 * report's tlen bytes follow.  detached: the VM process has finished
 * everything the user sees (console, --console file, stderr, 9p exports)
 * and let go of its stdio; the parent need not wait for its teardown. */
struct wire_result {
    int32_t status, end, guest_status, detached;
    uint32_t tlen;
    char crash[sizeof(((struct machine_result *)0)->crash)];
};

/* Writes the result (and its timing report) to fd. */
void send_result(int fd, int status, const struct machine_result *r, bool detached);
/* Reads the VM process's result; 0 when a whole one arrived (its status
 * and whether the process detached in *w). */
int recv_result(int fd, struct machine_result *r, struct wire_result *w);
/* VM processes that sent their result and are still tearing their VM
 * down: reap_later notes one, reap_lingering reaps those that ended,
 * without blocking (docs/speed.md). */
void reap_later(pid_t pid);
void reap_lingering(void);
#endif
