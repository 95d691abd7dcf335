/* Parsing a job's results on the host after its VM has ended.  The result
 * directory was the guest's to write: every file in it is opened without
 * following links, only regular files are read and only so much of them,
 * and nothing the guest left is written over (files are made O_EXCL). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "stats/collect.h"

/* Up to MAX bytes of regular file NAME in DFD: 0 and *text (malloc'd,
 * NUL-terminated) and *len, *cut when the file is longer; -1 and errno. */
static int read_file(int dfd, const char *name, size_t max, char **text, size_t *len, bool *cut)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    size_t want = (size_t)st.st_size < max ? (size_t)st.st_size : max, got = 0;
    char *buf = malloc(want + 1);
    if (!buf) {
        close(fd);
        return -1;
    }
    while (got < want) {
        ssize_t r = read(fd, buf + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    *text = buf;
    *len = got;
    *cut = (size_t)st.st_size > max;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs PARSER with stdin the program's output (file NAME in DFD) and
 * RESULT_ROOT=DIR: 0 and *out (what it printed), or -1 and a reason. */
static int run_parser(const char *parser, int dfd, const char *name, const char *dir,
                      int (*stop)(void), char **out, const char **why)
{
    int in = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), p[2];
    struct stat st;
    if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (in >= 0)
            close(in);
        in = open("/dev/null", O_RDONLY | O_CLOEXEC);   /* no output: the parser says so */
    }
    if (in < 0 || pipe2(p, O_CLOEXEC) < 0) {
        *why = "cannot start it";
        if (in >= 0)
            close(in);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int fl = fcntl(in, F_GETFL);
        if (fl >= 0)
            fcntl(in, F_SETFL, fl & ~O_NONBLOCK);
        if (dup2(in, 0) < 0 || dup2(p[1], 1) < 0 || setenv("RESULT_ROOT", dir, 1) < 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execl(parser, parser, (char *)NULL);
        _exit(127);
    }
    close(in);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        *why = "cannot start it";
        return -1;
    }
    setpgid(pid, pid);
    struct sbuf b = { 0 };
    char buf[65536];
    double deadline = now() + STATS_PARSER_TIMEOUT;
    *why = NULL;
    for (;;) {
        double left = deadline - now();
        if (stop && stop()) {
            *why = "interrupted: it was killed";
            break;
        }
        if (left <= 0) {
            *why = "it ran longer than 60 s and was killed";
            break;
        }
        struct pollfd pf = { p[0], POLLIN, 0 };
        int r = poll(&pf, 1, left > 1 ? 1000 : (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t n = read(p[0], buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (b.len + (size_t)n > STATS_PARSER_OUT_MAX) {
            *why = "it printed more than 1 MiB";
            break;
        }
        sb_add(&b, buf, (size_t)n);
    }
    close(p[0]);
    if (*why)
        kill(-pid, SIGKILL);
    int status = 0;
    /* Its stdout closed is not its end: the same limits bind it until it
     * exits. */
    for (;;) {
        pid_t w = waitpid(pid, &status, *why ? 0 : WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            break;
        if (w != 0 || *why)
            continue;
        if (stop && stop())
            *why = "interrupted: it was killed";
        else if (now() >= deadline)
            *why = "it ran longer than 60 s and was killed";
        if (*why)
            kill(-pid, SIGKILL);
        else
            poll(NULL, 0, 10);
    }
    char *text = sb_finish(&b);
    if (!*why && !text)
        *why = "out of memory";
    if (!*why && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        *why = WIFEXITED(status) ? "it exited with a non-zero status" : "it was killed by a signal";
    if (*why) {
        free(text);
        return -1;
    }
    *out = text;
    return 0;
}

/* Writes S as JSON to new file NAME in DFD (never over an existing one). */
static int write_new(int dfd, const char *name, const struct stats *s)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -1;
    }
    int r = stats_write_json(f, s);
    return fclose(f) || r ? -1 : 0;
}

/* One program: its metrics into PS (nothing on a rejected output). */
static void one(const char *who, int dfd, const char *dir, const struct stats_prog *pg,
                int (*stop)(void), struct stats *ps)
{
    char parser[4096], err[256], *lines = NULL;
    struct stat st;
    const char *why = NULL;
    bool user = pg->dir && snprintf(parser, sizeof(parser), "%s/parse", pg->dir) < (int)sizeof(parser) &&
                stat(parser, &st) == 0 && S_ISREG(st.st_mode);
    if (user) {
        if (access(parser, X_OK) < 0)
            why = "it is not executable";
        else
            run_parser(parser, dfd, pg->name, dir, stop, &lines, &why);
        if (why) {
            fprintf(stderr, "%s: %s: %s\n", who, parser, why);
            return;
        }
    } else if (stats_has_builtin(pg->name)) {
        char *text;
        size_t len;
        bool cut;
        if (read_file(dfd, pg->name, STATS_INPUT_MAX, &text, &len, &cut) < 0) {
            if (errno != ENOENT)
                fprintf(stderr, "%s: %s: output not read: %s\n", who, pg->name,
                        errno == EINVAL ? "not a regular file" : strerror(errno));
            return;
        }
        if (cut)
            fprintf(stderr, "%s: %s: output over %u MiB: only its first %u MiB parsed\n", who,
                    pg->name, STATS_INPUT_MAX >> 20, STATS_INPUT_MAX >> 20);
        int r = stats_builtin(pg->name, text, len, &lines);
        free(text);
        if (r < 0) {
            fprintf(stderr, "%s: %s: out of memory parsing its output\n", who, pg->name);
            return;
        }
    }
    if (lines && stats_parse_lines(pg->name, lines, strlen(lines), ps, err, sizeof(err)) < 0)
        fprintf(stderr, "%s: %s: parser output rejected: %s\n", who,
                user ? parser : pg->name, err);
    free(lines);
}

int stats_collect(const char *who, const char *dir, const struct stats_prog *progs, size_t n,
                  int (*stop)(void), struct stats *out)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        fprintf(stderr, "%s: %s: %s\n", who, dir, strerror(errno));
        return -1;
    }
    struct stats *per = calloc(n ? n : 1, sizeof(*per));
    if (!per) {
        close(dfd);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t k = 0; k < i; k++)
            dup |= !strcmp(progs[k].name, progs[i].name);
        if (dup || (stop && stop()))
            continue;
        one(who, dfd, dir, &progs[i], stop, &per[i]);
        if (progs[i].test) {            /* NAME.exit_status, as minivmm_stats prints it */
            char sname[300], *text, key[STATS_KEY_MAX + 1];
            size_t len;
            bool cut;
            double v;
            snprintf(sname, sizeof(sname), "%s.status", progs[i].name);
            snprintf(key, sizeof(key), "%s.exit_status", progs[i].name);
            if (read_file(dfd, sname, 64, &text, &len, &cut) == 0) {
                while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
                    len--;
                if (stats_number(text, len, &v))
                    stats_set(&per[i], key, v);
                free(text);
            }
        }
        for (size_t k = 0; k < per[i].n; k++)
            if (stats_set(out, per[i].v[k].key, per[i].v[k].val) < 0) {
                fprintf(stderr, "%s: over %d metrics: the rest left out\n", who, STATS_MAX);
                break;
            }
    }
    int rc = 0;
    if (write_new(dfd, "stats.json", out) < 0) {
        fprintf(stderr, "%s: cannot write %s/stats.json: %s\n", who, dir,
                errno == EEXIST ? "a file of that name is there already (left by the guest?)"
                                : strerror(errno));
        rc = -1;
    }
    for (size_t i = 0; i < n; i++) {
        char name[300];
        snprintf(name, sizeof(name), "%s.json", progs[i].name);
        if (per[i].n && strcmp(progs[i].name, "stats") && write_new(dfd, name, &per[i]) < 0)
            fprintf(stderr, "%s: cannot write %s/%s: %s\n", who, dir, name,
                    errno == EEXIST ? "a file of that name is there already (left by the guest?)"
                                    : strerror(errno));
        stats_free(&per[i]);
    }
    free(per);
    close(dfd);
    return rc;
}
