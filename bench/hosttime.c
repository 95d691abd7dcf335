/* hosttime: run one VMM with the tiny guest's bench=1 mode and measure it
 * (bench/host; docs/bench.md, "Host benchmark").
 *
 *   hosttime CONSOLE_FILE KILL_SECONDS CMD [ARG...]
 *
 * CMD's stdout (the guest's console) is a pipe read here; each read is
 * timestamped with CLOCK_MONOTONIC.  stdin and stderr are inherited (the
 * caller redirects them).  The clock and the TSC are read just before
 * fork(); the process is waited for with wait4() (woken by a pidfd) and the
 * clock and the TSC are read again, so wall is fork/exec to wait4.  This
 * process is a child subreaper: what CMD leaves running when it exits (a
 * VMM that frees its VM in another process after it returns: minivmm's
 * asynchronous teardown, QEMU's -async-teardown) is reparented here and
 * waited for too, so maxrss_kb (the largest of them) and utime_us +
 * stime_us (their sum) cover every process CMD started, including the work
 * after its exit; after_us is when the last of them ended.  The console
 * goes to CONSOLE_FILE.  One line on stdout, times in us from just before
 * fork():
 *   status=N killed=0|1 wall_us=W maxrss_kb=R utime_us=U stime_us=S after_us=A
 *   first_byte_us=F last_byte_us=L bytes=B tsc_ok=0|1 entry_us=E end_us=D
 * status is the exit status or 128+signal.  first/last_byte: when the first
 * and the last console bytes reached this process (-1: none).  entry/end:
 * the TSC values the guest printed ("bench entry=... tsc=T" at its first
 * instruction, "bench end tsc=T" just before its exit write), placed on
 * this clock by the host's TSC read around the run; tsc_ok=1 only when both
 * lie inside the run (the guest's TSC is the host's: no TSC offset), else
 * entry/end are -1.  Exit 0, or 2 on a usage or system error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define CON_MAX (1 << 20)

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The decimal number after `key` in the console text, or 0. */
static uint64_t tsc_after(const char *con, const char *key)
{
    const char *p = strstr(con, key);
    if (!p)
        return 0;
    p = strstr(p, "tsc=");
    return p ? strtoull(p + 4, NULL, 10) : 0;
}

static int die(const char *what)
{
    fprintf(stderr, "hosttime: %s: %s\n", what, strerror(errno));
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: hosttime CONSOLE_FILE KILL_SECONDS CMD [ARG...]\n");
        return 2;
    }
    char *end;
    long secs = strtol(argv[2], &end, 10);
    if (*end || secs <= 0) {
        fprintf(stderr, "hosttime: bad KILL_SECONDS '%s'\n", argv[2]);
        return 2;
    }
    static char con[CON_MAX + 1];
    size_t ncon = 0;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return die("pipe");

    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return die("PR_SET_CHILD_SUBREAPER");
    uint64_t tsc0 = __rdtsc();
    double t0 = now_us();
    pid_t pid = fork();
    if (pid < 0)
        return die("fork");
    if (pid == 0) {
        setpgid(0, 0);                  /* its own group: a kill reaches all it starts */
        dup2(pfd[1], STDOUT_FILENO);
        execvp(argv[3], argv + 3);
        fprintf(stderr, "hosttime: exec %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return die("pidfd_open");

    double first = -1, last = -1, t1 = 0;
    uint64_t tsc1 = 0;
    int killed = 0, st = 0, pipe_open = 1;
    struct rusage ru;
    double deadline = t0 + secs * 1e6;
    for (;;) {
        struct pollfd p[2] = { { pidfd, POLLIN, 0 }, { pipe_open ? pfd[0] : -1, POLLIN, 0 } };
        double left = deadline - now_us();
        int r = poll(p, 2, left > 0 ? (int)(left / 1000) + 1 : 0);
        if (r < 0 && errno != EINTR)
            return die("poll");
        if (r == 0 && now_us() >= deadline) {
            if (killed) {
                fprintf(stderr, "hosttime: %s survives SIGKILL\n", argv[3]);
                return 2;
            }
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            killed = 1;
            deadline = now_us() + 60e6;
            continue;
        }
        if (r > 0 && (p[1].revents & (POLLIN | POLLHUP))) {
            char buf[4096];
            ssize_t n = read(pfd[0], buf, sizeof(buf));
            double t = now_us() - t0;
            if (n > 0) {
                if (first < 0)
                    first = t;
                last = t;
                size_t k = (size_t)n < CON_MAX - ncon ? (size_t)n : CON_MAX - ncon;
                memcpy(con + ncon, buf, k);
                ncon += k;
            } else {
                pipe_open = 0;      /* EOF (or an error): stop reading */
            }
            continue;               /* bytes before the exit are read before wait4 */
        }
        if (r > 0 && (p[0].revents & POLLIN)) {
            if (wait4(pid, &st, 0, &ru) < 0)
                return die("wait4");
            t1 = now_us();
            tsc1 = __rdtsc();
            break;
        }
    }
    /* What was still in the pipe (a VMM that writes its console at exit). */
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    for (ssize_t n; pipe_open && ncon < CON_MAX && (n = read(pfd[0], con + ncon, CON_MAX - ncon)) > 0;) {
        if (first < 0)
            first = now_us() - t0;
        last = now_us() - t0;
        ncon += (size_t)n;
    }
    con[ncon] = 0;
    /* Whatever CMD left behind (reparented here), then every process's use;
     * what is still running at the deadline is killed (it is in CMD's
     * process group) and counted as it ended. */
    for (;;) {
        pid_t w = waitpid(-1, NULL, WNOHANG);
        if (w > 0)
            continue;
        if (w < 0 && errno != EINTR)
            break;                      /* ECHILD: none left */
        if (now_us() >= deadline && !killed) {
            kill(-pid, SIGKILL);
            killed = 1;
        }
        usleep(200);
    }
    double after = now_us() - t0;
    if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
        return die("getrusage");
    FILE *f = fopen(argv[1], "w");
    if (!f || fwrite(con, 1, ncon, f) != ncon || fclose(f))
        return die(argv[1]);

    double wall = t1 - t0;
    uint64_t te = tsc_after(con, "bench entry="), td = tsc_after(con, "bench end ");
    int tsc_ok = te > tsc0 && te <= td && td < tsc1;
    double per_us = (double)(tsc1 - tsc0) / wall;   /* TSC ticks per us over this run */
    double entry = tsc_ok ? (double)(te - tsc0) / per_us : -1;
    double gend = tsc_ok ? (double)(td - tsc0) / per_us : -1;
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    printf("status=%d killed=%d wall_us=%.1f maxrss_kb=%ld utime_us=%.0f stime_us=%.0f "
           "after_us=%.1f first_byte_us=%.1f last_byte_us=%.1f bytes=%zu tsc_ok=%d entry_us=%.1f "
           "end_us=%.1f\n", status, killed, wall, ru.ru_maxrss,
           ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec, ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec,
           after, first, last, ncon, tsc_ok, entry, gend);
    return 0;
}
