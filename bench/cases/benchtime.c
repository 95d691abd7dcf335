/* benchtime: run one command and measure its wall time with CLOCK_MONOTONIC.
 *
 *   benchtime RESULT_FILE KILL_SECONDS CMD [ARG...]
 *
 * Built statically by tests/rig/run (RIG_CASES_DIR) and run inside the rig's
 * L1 by bench/cases/bench.sh.  The clock is read just before fork() and just
 * after waitpid() returns, so the time covers exec, the whole VMM run and its
 * teardown, and nothing of the calling shell.  CMD's stdin/stdout/stderr are
 * inherited (the caller redirects them).  If CMD is still running after
 * KILL_SECONDS, it gets SIGKILL.  RESULT_FILE receives one line:
 *   status=N us=N killed=0|1
 * where N is the exit status, or 128+signal if CMD died of a signal.
 * benchtime itself exits 0, or 2 on a usage or system error. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t killed;
static volatile pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    if (child > 0) {
        kill(child, SIGKILL);
        killed = 1;
    }
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: benchtime RESULT_FILE KILL_SECONDS CMD [ARG...]\n");
        return 2;
    }
    char *end;
    long secs = strtol(argv[2], &end, 10);
    if (*end || secs <= 0) {
        fprintf(stderr, "benchtime: bad KILL_SECONDS '%s'\n", argv[2]);
        return 2;
    }
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        fprintf(stderr, "benchtime: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    struct sigaction sa = { .sa_handler = on_alarm };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);

    long long t0 = now_us();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "benchtime: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        execvp(argv[3], argv + 3);
        fprintf(stderr, "benchtime: exec %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    child = pid;
    alarm((unsigned)secs);
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "benchtime: waitpid: %s\n", strerror(errno));
            return 2;
        }
    }
    long long t1 = now_us();
    alarm(0);
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    fprintf(out, "status=%d us=%lld killed=%d\n", status, t1 - t0, (int)killed);
    return fclose(out) == 0 ? 0 : 2;
}
