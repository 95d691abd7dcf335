/* minivmm's exit status, following `git bisect run`: 0 good, 1..127 but
 * 125 bad, 125 skip, >= 128 abort.  The table is in README.md and the man page. */
#ifndef CLI_STATUS_H
#define CLI_STATUS_H
#include <stdbool.h>
#include "vmm/vm.h"

#define EXIT_GUEST_HIGH  123   /* the guest reported a status >= 123 */
#define EXIT_TIMEOUT     124
#define EXIT_CANNOT_TEST 125   /* kernel image unusable: bisect skip */
#define EXIT_CRASH       126   /* panic, oops, BUG or triple fault before a status */
#define EXIT_NO_STATUS   127   /* the guest ended without reporting a status */
#define EXIT_HOST_ERROR  255   /* usage or host error: bisect aborts */

/* crashed: a crash message was seen on the console before the VM ended. */
int exit_status(enum vm_end end, int guest_status, bool crashed);
const char *vm_end_name(enum vm_end end);
/* One word or two for an exit status: "pass", "fail", "timeout", "crash"... */
const char *exit_status_meaning(int status);
#endif
