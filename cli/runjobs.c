/* minivmm run -j N (see runjobs.h, docs/run.md "Many jobs at once").
 *
 * This process picks each job's result directory in job order, then forks
 * one process per job, which packs the job and boots its VM exactly as a
 * sequential run does (machine_run forks the VM process below it).  A job's
 * stdout and stderr go to two unlinked temporary files; when the job ends
 * they are copied out whole, its stderr before its summary line, so the
 * output of jobs that run at once never mixes.  Signals are blocked here
 * except inside ppoll: a SIGCHLD wakes the loop, a SIGINT, SIGTERM or
 * SIGHUP is forwarded to every job process (each forwards it to its VM). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/options.h"
#include "cli/runjobs.h"
#include "cli/sandbox.h"
#include "cli/status.h"

#define ERR(...) fprintf(stderr, "minivmm run: " __VA_ARGS__)

int runjobs_fit(int want, size_t njobs, int cpus, uint64_t memory, long host_cpus,
                uint64_t host_mem)
{
    long n = want;
    if ((size_t)n > njobs)
        n = (long)njobs;
    if (cpus > 0 && host_cpus / cpus < n)
        n = host_cpus / cpus;
    if (memory && host_mem / memory < (uint64_t)n)
        n = (long)(host_mem / memory);
    return n < 1 ? 1 : (int)n;
}

void jobsched_init(struct jobsched *s, size_t n, int limit, bool keep_going)
{
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->limit = limit < 1 ? 1 : limit;
    s->keep_going = keep_going;
    s->failed = n;
}

long jobsched_next(struct jobsched *s)
{
    if (s->stopped || s->next >= s->n || s->running >= s->limit)
        return -1;
    s->running++;
    return (long)s->next++;
}

bool jobsched_done(struct jobsched *s, size_t i, int st)
{
    if (s->running > 0)
        s->running--;
    if (st == 0)
        return false;
    if (i < s->failed) {
        s->failed = i;
        s->status = st;
    }
    if (s->keep_going || s->stopped)
        return false;
    s->stopped = true;
    return true;
}

void jobsched_stop(struct jobsched *s)
{
    s->stopped = true;
}

bool jobsched_over(const struct jobsched *s)
{
    return s->running == 0 && (s->stopped || s->next >= s->n);
}

int jobsched_status(const struct jobsched *s)
{
    return s->failed < s->n ? s->status : 0;
}

/* A tests-only stand-in for the host's size; -1 when unset or not a number. */
static int64_t test_host(const char *var, bool size)
{
    const char *v = getenv(var);
    uint64_t n;
    if (!v || (size ? parse_size(v, &n) : parse_uint(v, 1, 1 << 20, &n)))
        return -1;
    return (int64_t)n;
}

int runjobs_limit(int want, size_t njobs, int cpus, uint64_t memory)
{
    long hc = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    uint64_t hm = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : UINT64_MAX;
    int64_t t;
    if ((t = test_host("MINIVMM_TEST_HOST_CPUS", false)) > 0)
        hc = (long)t;
    if ((t = test_host("MINIVMM_TEST_HOST_MEMORY", true)) > 0)
        hm = (uint64_t)t;
    if (hc < 1)
        hc = 1;
    int n = runjobs_fit(want, njobs, cpus, memory, hc, hm);
    if (n < want && (size_t)n < njobs)
        ERR("-j %d: %d VM(s) of %d CPU(s) and %llu MiB fit this host (%ld CPUs, %llu MiB): "
            "running at most %d at once\n", want, n, cpus, (unsigned long long)(memory >> 20),
            hc, (unsigned long long)(hm >> 20), n);
    return n;
}

/* Job i ended with st: counts it, and says so when this stops the run. */
static void ended(struct jobsched *s, size_t i, int st)
{
    if (jobsched_done(s, i, st) && s->next < s->n && !sig_caught())
        ERR("stopping after a failed job (--keep-going runs the other %zu)\n", s->n - s->next);
}

static int run_status(const struct jobsched *s)
{
    if (sig_caught() && s->next < s->n)
        ERR("interrupted by signal %d: %zu job(s) not started\n", sig_caught(), s->n - s->next);
    return sig_caught() ? 128 + sig_caught() : jobsched_status(s);
}

/* -j 1: one job after the other, in this process (its output as it comes). */
static int run_in_order(const struct runjobs *r)
{
    struct jobsched s;
    jobsched_init(&s, r->n, 1, r->keep_going);
    for (;;) {
        if (sig_caught())
            jobsched_stop(&s);
        long i = jobsched_next(&s);
        if (i < 0)
            break;
        char dir[4096];
        int st = r->prepare(r->ctx, (size_t)i, dir, sizeof(dir));
        if (!st)
            st = r->run(r->ctx, (size_t)i, dir);
        ended(&s, (size_t)i, st);
    }
    return run_status(&s);
}

/* ---- the job processes (-j 2 and more) ---- */

struct slot {
    pid_t pid;                  /* 0: free */
    size_t job;
    int out, err;               /* the job's stdout and stderr, unlinked files */
};

/* Where the summary line starts in each slot's stdout (-1: not printed);
 * shared with the job processes. */
static off_t *line_at;
static off_t *my_line_at;       /* in a job process: its entry */

void runjobs_line(void)
{
    if (!my_line_at)
        return;
    fflush(stdout);
    *my_line_at = lseek(STDOUT_FILENO, 0, SEEK_END);
}

static int capture_file(void)
{
    FILE *f = tmpfile();        /* unlinked at once: nothing to remove later */
    if (!f)
        return -1;
    int fd = dup(fileno(f));
    fclose(f);
    return fd;
}

/* Copies fd's bytes [from, to) (to < 0: to its end) to out. */
static void copy_out(int fd, off_t from, off_t to, FILE *out)
{
    char buf[65536];
    while (to < 0 || from < to) {
        size_t want = to < 0 || to - from > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)(to - from);
        ssize_t n = pread(fd, buf, want, from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        fwrite(buf, 1, (size_t)n, out);
        from += n;
    }
    fflush(out);
}

static void on_chld(int sig)
{
    (void)sig;                  /* only wakes ppoll */
}

/* Forks job i's process into slot sl; 0, or an exit status. */
static int start(const struct runjobs *r, struct slot *sl, int slotno, size_t i,
                 const sigset_t *orig, const struct sigaction *oldchld)
{
    char dir[4096];
    int st = r->prepare(r->ctx, i, dir, sizeof(dir));
    if (st)
        return st;
    sl->out = capture_file();
    sl->err = capture_file();
    if (sl->out < 0 || sl->err < 0) {
        ERR("%s: cannot make a temporary file for its output: %s\n", r->name(r->ctx, i),
            strerror(errno));
        return EXIT_HOST_ERROR;
    }
    line_at[slotno] = -1;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        ERR("%s: cannot fork its process: %s\n", r->name(r->ctx, i), strerror(errno));
        return EXIT_HOST_ERROR;
    }
    if (pid == 0) {
        sigaction(SIGCHLD, oldchld, NULL);
        /* This process ends with minivmm: a SIGKILL there ends the VMs too. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            raise(SIGTERM);
        if (dup2(sl->out, STDOUT_FILENO) < 0 || dup2(sl->err, STDERR_FILENO) < 0)
            _exit(EXIT_HOST_ERROR);
        sigprocmask(SIG_SETMASK, orig, NULL);
        my_line_at = &line_at[slotno];
        int rc = r->run(r->ctx, i, dir);
        fflush(NULL);
        /* The VM process may still be freeing its VM (vmresult.h): this
         * job is over, for minivmm, once it is gone too. */
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
            ;
        _exit(rc);
    }
    sl->pid = pid;
    sl->job = i;
    return 0;
}

static void close_slot(struct slot *sl)
{
    if (sl->out >= 0)
        close(sl->out);
    if (sl->err >= 0)
        close(sl->err);
    sl->pid = 0;
    sl->out = sl->err = -1;
}

/* Slot sl's process ended with ws: its output, then its status. */
static int finish(const struct runjobs *r, struct slot *sl, int slotno, int ws)
{
    int st = EXIT_HOST_ERROR;
    off_t at = line_at[slotno];
    copy_out(sl->out, 0, at, stdout);
    copy_out(sl->err, 0, -1, stderr);
    if (WIFEXITED(ws))
        st = WEXITSTATUS(ws);
    else if (WIFSIGNALED(ws))
        ERR("%s: its process was killed by signal %d\n", r->name(r->ctx, sl->job), WTERMSIG(ws));
    if (at >= 0)
        copy_out(sl->out, at, -1, stdout);
    close_slot(sl);
    return st;
}

int runjobs(const struct runjobs *r)
{
    if (r->limit <= 1)
        return run_in_order(r);
    struct jobsched s;
    jobsched_init(&s, r->n, r->limit, r->keep_going);
    struct slot *slots = calloc((size_t)s.limit, sizeof(*slots));
    line_at = mmap(NULL, (size_t)s.limit * sizeof(off_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!slots || line_at == MAP_FAILED) {
        ERR("out of memory\n");
        free(slots);
        line_at = NULL;
        return EXIT_HOST_ERROR;
    }
    for (int k = 0; k < s.limit; k++)
        slots[k].out = slots[k].err = -1;

    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &orig);
    struct sigaction chld = { .sa_handler = on_chld }, oldchld;
    sigemptyset(&chld.sa_mask);
    sigaction(SIGCHLD, &chld, &oldchld);

    int forwarded = 0;
    for (;;) {
        if (sig_caught() && !forwarded) {
            forwarded = sig_caught();
            jobsched_stop(&s);
            for (int k = 0; k < s.limit; k++)
                if (slots[k].pid > 0)
                    kill(slots[k].pid, forwarded);
        }
        long i;
        while ((i = jobsched_next(&s)) >= 0) {
            int k = 0;
            while (slots[k].pid)
                k++;
            int st = start(r, &slots[k], k, (size_t)i, &orig, &oldchld);
            if (st) {
                close_slot(&slots[k]);
                ended(&s, (size_t)i, st);
            }
        }
        int ws, reaped = 0;
        pid_t pid;
        while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
            for (int k = 0; k < s.limit; k++) {
                if (slots[k].pid != pid)
                    continue;
                size_t job = slots[k].job;
                ended(&s, job, finish(r, &slots[k], k, ws));
                reaped++;
            }
        }
        if (jobsched_over(&s))
            break;
        if (!reaped)
            ppoll(NULL, 0, NULL, &orig);    /* a job ended, or a signal */
    }
    sigaction(SIGCHLD, &oldchld, NULL);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    munmap(line_at, (size_t)s.limit * sizeof(off_t));
    line_at = NULL;
    free(slots);
    return run_status(&s);
}
