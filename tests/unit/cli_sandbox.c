/* The VM process's sandbox (cli/sandbox.h, docs/sandbox.md): each test
 * forks a child that installs the real filter (or drops capabilities) and
 * then does what the VM process may or may not do; the parent checks how
 * the child ended and what it wrote on stderr. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "cli/sandbox.h"
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tests/unit/virtio_9p_client.h"

struct outcome {
    int exited, status, signal;
    char err[1024];
};

/* Runs fn in a child whose stderr is captured; the child exits with fn's return. */
static struct outcome in_child(int (*fn)(void *), void *arg)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], STDERR_FILENO);
        close(p[1]);
        _exit(fn(arg));
    }
    close(p[1]);
    struct outcome o = { 0 };
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(o.err) - 1 && (r = read(p[0], o.err + n, sizeof(o.err) - 1 - n)) > 0)
        n += (size_t)r;
    o.err[n] = 0;
    close(p[0]);
    int ws;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    o.exited = WIFEXITED(ws);
    o.status = o.exited ? WEXITSTATUS(ws) : -1;
    o.signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    return o;
}

static int install(void)
{
    char err[256];
    if (sandbox_install(err, sizeof(err)) < 0) {
        fprintf(stderr, "install failed: %s\n", err);
        return 1;
    }
    return 0;
}

static int do_execve(void *a)
{
    (void)a;
    if (install())
        return 1;
    char *argv[] = { "true", NULL };
    execve("/bin/true", argv, NULL);
    return 2;                          /* never reached if the filter works */
}

static int do_socket(void *a)
{
    (void)a;
    if (install())
        return 1;
    socket(AF_INET, SOCK_STREAM, 0);
    return 2;
}

static int do_ptrace(void *a)
{
    (void)a;
    if (install())
        return 1;
    ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    return 2;
}

static int do_fork(void *a)
{
    (void)a;
    if (install())
        return 1;
    pid_t p = fork();
    if (p == 0)
        _exit(3);
    return 2;
}

static void expect_forbidden(int (*fn)(void *), const char *name)
{
    struct outcome o = in_child(fn, NULL);
    char want[128];
    snprintf(want, sizeof(want), "minivmm: sandbox: forbidden system call %s (", name);
    ck_assert_msg(o.exited && o.status == 255, "child: exited %d status %d signal %d, stderr %s",
                  o.exited, o.status, o.signal, o.err);
    ck_assert_msg(strstr(o.err, want) != NULL, "stderr '%s' lacks '%s'", o.err, want);
    ck_assert_msg(strstr(o.err, "run with --no-sandbox to debug\n") != NULL, "stderr '%s'", o.err);
    ck_assert_msg(strchr(o.err, '\n') == strrchr(o.err, '\n'), "not one line: '%s'", o.err);
}

START_TEST(forbidden_calls_end_with_one_line)
{
    expect_forbidden(do_execve, "execve");
    expect_forbidden(do_socket, "socket");
    expect_forbidden(do_ptrace, "ptrace");
    expect_forbidden(do_fork, "clone");
}
END_TEST

/* What the running VM does: threads (vCPUs), futexes, eventfd-style reads
 * and writes, timed waits, memory, stderr. */
static void *worker(void *arg)
{
    pthread_setname_np(pthread_self(), "vcpu0");
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
    return arg;
}

static int do_allowed(void *a)
{
    (void)a;
    if (install())
        return 1;
    pthread_t t;
    void *ret = NULL;
    if (pthread_create(&t, NULL, worker, (void *)42) || pthread_join(t, &ret) || ret != (void *)42)
        return 3;
    void *m = malloc(8 << 20);
    if (!m)
        return 4;
    memset(m, 1, 8 << 20);
    free(m);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    fprintf(stderr, "still here\n");
    return 0;
}

START_TEST(vm_calls_are_allowed)
{
    struct outcome o = in_child(do_allowed, NULL);
    ck_assert_msg(o.exited && o.status == 0, "status %d signal %d stderr %s", o.status,
                  o.signal, o.err);
    ck_assert_str_eq(o.err, "still here\n");
}
END_TEST

/* The 9p server set up before the filter (as virtio_9p_new does), then every
 * kind of request on the export with the filter on. */
static int do_9p(void *arg)
{
    const char *dir = arg;
    char err[256] = "";
    struct p9_server *s = p9_server_new(dir, false, err, sizeof(err));
    if (!s)
        return 10;
    if (install())
        return 1;
    uint32_t m;
    char v[64], buf[64];
    if (c_version(s, P9_MAX_MSIZE, "9P2000.L", &m, v) || c_attach(s, 0, 0, NULL))
        return 11;
    if (c_walk(s, 0, 1, "", NULL) || c_lcreate(s, 1, "f", 2, 0640, 0) ||
        c_write(s, 1, 0, "hello", 5) != 5 || c_read(s, 1, 0, 5, buf) != 5 ||
        memcmp(buf, "hello", 5))
        return 12;
    if (c_mkdir(s, 0, "d", 0755, 0) || c_symlink(s, 0, "l", "f", 0) ||
        c_mknod(s, 0, "p", S_IFIFO | 0644, 0, 0))
        return 13;
    if (c_walk(s, 0, 2, "f", NULL) || c_link(s, 0, 2, "hard") ||
        c_renameat(s, 0, "hard", 0, "hard2") || c_rename(s, 2, 0, "g"))
        return 14;
    if (c_walk(s, 0, 3, "l", NULL) || c_readlink(s, 3, buf, sizeof(buf)) || strcmp(buf, "f"))
        return 15;
    struct gattr ga;
    if (c_getattr(s, 2, &ga) || c_setattr(s, 2, 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20, 0600, 0, 0, 3, 0, 0))
        return 16;
    char names[512];
    if (c_walk(s, 0, 4, "", NULL) || c_lopen(s, 4, 0) || c_readdir_all(s, 4, 4096, names, sizeof(names)) < 0)
        return 17;
    if (c_unlinkat(s, 0, "hard2", 0) || c_unlinkat(s, 0, "d", 0x200) || c_unlinkat(s, 0, "p", 0))
        return 18;
    p9_server_free(s);
    return 0;
}

START_TEST(p9_server_works_under_the_filter)
{
    char dir[] = "/tmp/sandbox9p.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct outcome o = in_child(do_9p, dir);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_msg(o.exited && o.status == 0, "status %d signal %d stderr %s", o.status,
                  o.signal, o.err);
}
END_TEST

static unsigned long long status_hex(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long v = ~0ULL;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, field, n) && line[n] == ':')
            v = strtoull(line + n + 1, NULL, 16);
    if (f)
        fclose(f);
    return v;
}

static int do_caps(void *a)
{
    (void)a;
    char err[256];
    if (sandbox_drop_caps(err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    unsigned long long eff = status_hex("CapEff"), prm = status_hex("CapPrm"),
                       bnd = status_hex("CapBnd"), inh = status_hex("CapInh");
    fprintf(stderr, "CapEff %llx CapPrm %llx CapBnd %llx CapInh %llx NoNewPrivs %llu\n", eff,
            prm, bnd, inh, status_hex("NoNewPrivs"));
    if (status_hex("NoNewPrivs") != 1)
        return 2;
    if (geteuid() != 0)
        return eff == 0 ? 0 : 3;
    return eff == SANDBOX_KEPT_MASK && prm == SANDBOX_KEPT_MASK && bnd == SANDBOX_KEPT_MASK &&
           inh == 0 ? 0 : 4;
}

START_TEST(capabilities_are_the_documented_set)
{
    struct outcome o = in_child(do_caps, NULL);
    ck_assert_msg(o.exited && o.status == 0, "status %d: %s", o.status, o.err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli_sandbox");
    TCase *tc = tcase_create("sandbox");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forbidden_calls_end_with_one_line);
    tcase_add_test(tc, vm_calls_are_allowed);
    tcase_add_test(tc, p9_server_works_under_the_filter);
    tcase_add_test(tc, capabilities_are_the_documented_set);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
