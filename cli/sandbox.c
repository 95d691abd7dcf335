/* Seccomp filter, capability drop and signal handling: see cli/sandbox.h
 * and docs/sandbox.md for the rules. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif
#include "initrd/cpio.h"
#include "cli/sandbox.h"

/* ---- capabilities ---------------------------------------------------- */

int sandbox_drop_caps(char *err, size_t errlen)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof(d));
    if (syscall(SYS_capget, &h, d) < 0) {
        snprintf(err, errlen, "capget: %s", strerror(errno));
        return -1;
    }
    /* The bounding set first, while CAP_SETPCAP may still be held; without
     * it the drop fails with EPERM, which only matters for a capability
     * this process could ever regain, and it cannot: no-new-privs below. */
    for (int cap = 0; cap < 64; cap++) {
        if (cap < 32 && (SANDBOX_KEPT_MASK >> cap) & 1)
            continue;
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
            continue;                  /* not in the set, or past the last one */
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EPERM) {
            snprintf(err, errlen, "dropping capability %d from the bounding set: %s", cap,
                     strerror(errno));
            return -1;
        }
    }
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);   /* EINVAL on old kernels */
    uint32_t keep = (uint32_t)SANDBOX_KEPT_MASK;
    d[0].effective &= keep;
    d[0].permitted &= keep;
    d[0].inheritable = 0;
    d[1].effective = d[1].permitted = d[1].inheritable = 0;
    if (syscall(SYS_capset, &h, d) < 0) {
        snprintf(err, errlen, "capset: %s", strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- seccomp ------------------------------------------------------------ */

/* Names of the system calls by number, made before the filter is loaded
 * so that the SIGSYS handler only indexes an array. */
#define MAX_NR 512
static const char *sys_names[MAX_NR];

static size_t put_str(char *buf, size_t n, size_t cap, const char *s)
{
    while (*s && n < cap)
        buf[n++] = *s++;
    return n;
}

static size_t put_num(char *buf, size_t n, size_t cap, long v)
{
    char tmp[24];
    int i = 0;
    unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
    do {
        tmp[i++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0 && n < cap)
        buf[n++] = '-';
    while (i && n < cap)
        buf[n++] = tmp[--i];
    return n;
}

/* Async-signal-safe: a fixed buffer, write(2) and _exit(2). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    char buf[192];
    size_t n = 0;
    int nr = si->si_syscall;
    const char *name = nr >= 0 && nr < MAX_NR && sys_names[nr] ? sys_names[nr] : "unknown";
    n = put_str(buf, n, sizeof(buf), "minivmm: sandbox: forbidden system call ");
    n = put_str(buf, n, sizeof(buf), name);
    n = put_str(buf, n, sizeof(buf), " (");
    n = put_num(buf, n, sizeof(buf), nr);
    n = put_str(buf, n, sizeof(buf), "); run with --no-sandbox to debug\n");
    ssize_t w = write(STDERR_FILENO, buf, n);
    (void)w;
    _exit(255);
}

/* Every call the VM process makes once set up: the main thread (vm_wait,
 * the console, vm_stop and the teardown, the result pipe), the vCPU threads
 * (KVM_RUN, port and MMIO emulation), the virtio I/O thread (eventfds,
 * poll), the 9p workers (file-system calls on the export, see virtio/9p.c)
 * and what glibc and the ASan/UBSan runtime do underneath (memory, signals,
 * futexes, /proc/self/maps). */
static const char *const allowed[] = {
    /* I/O on descriptors the VM already holds */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
    "preadv2", "pwritev2", "lseek", "close", "dup", "dup3", "fcntl", "poll", "ppoll", "pipe2",
    /* memory */
    "mmap", "munmap", "mprotect", "madvise", "mremap", "brk",
    /* threads, locks, signals, time */
    "futex", "set_robust_list", "get_robust_list", "rseq", "sched_yield", "sched_getaffinity",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "rt_sigtimedwait",
    "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getppid", "umask",
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
    "getrandom", "prlimit64", "getrlimit", "restart_syscall", "exit", "exit_group",
    /* the 9p server on its exports */
    "openat", "openat2", "newfstatat", "fstat", "statx", "fstatfs", "statfs", "getdents64",
    "mkdirat", "mknodat", "unlinkat", "renameat", "renameat2", "linkat", "symlinkat",
    "readlinkat", "fchownat", "fchown", "fchmod", "fchmodat", "utimensat", "fsync",
    "fdatasync", "fallocate", "ftruncate", "flock", "fgetxattr", "fsetxattr", "flistxattr",
    "fremovexattr", "faccessat", "faccessat2", "readlink",
};

static int add_rules(scmp_filter_ctx ctx)
{
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr == __NR_SCMP_ERROR)
            continue;                  /* not on this architecture */
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
            return -1;
    }
    /* ioctl: KVM's requests (type 0xAE) and the two terminal queries of
     * stdio (TCGETS, TIOCGWINSZ); nothing else. */
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                         SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, 0xae00)) < 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                         SCMP_A1(SCMP_CMP_EQ, 0x5401, 0)) < 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                         SCMP_A1(SCMP_CMP_EQ, 0x5413, 0)) < 0)
        return -1;
    /* Threads, never processes: clone only with CLONE_THREAD; clone3 (whose
     * flags sit in memory the filter cannot read) says ENOSYS, and glibc
     * falls back to clone. */
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) < 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0)
        return -1;
    /* open (not openat): only the sanitizer runtime uses it, read-only,
     * for /proc/self/maps and friends when it reports an error. */
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                         SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT, O_RDONLY)) < 0)
        return -1;
    /* prctl: thread names only (pthread_setname_np of the vCPU threads). */
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                         SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME, 0)) < 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                         SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME, 0)) < 0)
        return -1;
    /* Signals only to this process's own threads (vm_stop's SIGUSR1, abort). */
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0)) < 0)
        return -1;
    return 0;
}

int sandbox_install(char *err, size_t errlen)
{
    for (int nr = 0; nr < MAX_NR; nr++)
        if (!sys_names[nr])
            sys_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
#ifdef __SANITIZE_ADDRESS__
    /* The sanitizer runtime reads /proc/self/maps and prepares its
     * symbolizer now, while it still can (ASan/UBSan build only). */
    __sanitizer_sandbox_on_notify(NULL);
    char sym[256];              /* starts the symbolizer process (pipe, fork) now */
    __sanitizer_symbolize_pc(__builtin_return_address(0), "%p %F %L", sym, sizeof(sym));
#endif
    struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0) {
        snprintf(err, errlen, "sandbox: SIGSYS handler: %s", strerror(errno));
        return -1;
    }
    sigset_t sys;
    sigemptyset(&sys);
    sigaddset(&sys, SIGSYS);
    pthread_sigmask(SIG_UNBLOCK, &sys, NULL);

    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    int rc = -1;
    if (!ctx) {
        snprintf(err, errlen, "sandbox: seccomp_init failed");
        return -1;
    }
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0 ||
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) < 0) {
        snprintf(err, errlen, "sandbox: this libseccomp cannot filter every thread");
        goto out;
    }
    if (add_rules(ctx) < 0) {
        snprintf(err, errlen, "sandbox: building the seccomp filter failed");
        goto out;
    }
    int e = seccomp_load(ctx);
    if (e < 0) {
        snprintf(err, errlen, "sandbox: loading the seccomp filter failed: %s (--no-sandbox "
                 "runs without it)", strerror(-e));
        goto out;
    }
    rc = 0;
out:
    seccomp_release(ctx);
    return rc;
}

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t caught;
static volatile sig_atomic_t child;

static void on_signal(int sig)
{
    int saved = errno;
    if (!caught)
        caught = sig;
    if (child > 0)
        kill((pid_t)child, sig);
    if (cpio_remove_temp()) {
        /* Packing an archive: nothing else is half-written, stop now. */
        static const char msg[] = "minivmm: interrupted; temporary archive removed\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)w;
        _exit(128 + sig);
    }
    errno = saved;
}

void sig_install(void)
{
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (int i = 0; i < 3; i++) {
        struct sigaction old;
        /* A signal ignored by whoever started us (nohup, `cmd &` in a
         * script) stays ignored, as the caller asked. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
}

int sig_caught(void)
{
    return caught;
}

void sig_set_child(pid_t pid)
{
    child = pid;
}
