/* The VM process's confinement (docs/sandbox.md) and the signals that end
 * minivmm's commands.
 *
 * machine_run forks one process per VM.  That child drops capabilities
 * (sandbox_drop_caps, first thing, before any thread exists: capabilities
 * are per thread), sets the VM up, then installs the seccomp filter
 * (sandbox_install, on every thread) just before the vCPUs start.  The
 * command layer (run's job loop, pack, the cache) is never filtered. */
#ifndef CLI_SANDBOX_H
#define CLI_SANDBOX_H
#include <sys/types.h>

/* The capabilities kept for the 9p server (all others are dropped from the
 * effective, permitted, inheritable, ambient and bounding sets). */
#define SANDBOX_KEPT_CAPS "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID"
#define SANDBOX_KEPT_MASK 0x1fULL    /* bits 0..4: exactly the five above */

/* Keeps only SANDBOX_KEPT_CAPS (those the process has) and sets
 * PR_SET_NO_NEW_PRIVS.  Returns 0, or -1 with a one-line reason in err. */
int sandbox_drop_caps(char *err, size_t errlen);

/* Loads the seccomp filter of the running VM on every thread of the
 * process.  A forbidden call then ends the process at once with exit status
 * 255 and one stderr line "minivmm: sandbox: forbidden system call NAME
 * (NR); run with --no-sandbox to debug".  Returns 0, or -1 with err. */
int sandbox_install(char *err, size_t errlen);

/* SIGINT, SIGTERM and SIGHUP: the handler records the signal, forwards it
 * to the VM process if one runs (sig_set_child), and when a temporary
 * archive is being written (cpio) removes it and exits 128+N at once.
 * Everything else looks at sig_caught() and stops starting new work. */
void sig_install(void);
/* The first signal caught, or 0. */
int sig_caught(void);
/* The VM process that a caught signal is forwarded to (0: none). */
void sig_set_child(pid_t pid);
#endif
