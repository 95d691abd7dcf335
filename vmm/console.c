#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vmm/console.h"
#include "vmm/fdio.h"

#define BUF_SIZE (64 * 1024)
#define LINE_MAX_LEN 256

struct console {
    pthread_mutex_t lock;
    int fd_out, fd_file;
    uint8_t buf[BUF_SIZE];
    size_t len;
    char line[LINE_MAX_LEN];
    size_t line_len;
    char crash[LINE_MAX_LEN];
    bool crashed;
    uint64_t limit, kept;       /* bytes allowed (0: any) and bytes taken so far */
    bool capped;                /* the limit was hit (said once on stderr) */
};

/* How the kernel starts the messages that mean it crashed.  They are matched
 * at the start of the message (after the "[ 1.234567] " timestamp), so user
 * output such as "DEBUG: ..." or "traps: prog[1] general protection fault"
 * does not count. */
static const char *const crash_marks[] = {
    "Kernel panic - not syncing", "BUG: ", "Oops: ", "kernel BUG at ",
    "general protection fault, ", "general protection fault: ",
};

bool console_is_crash_line(const char *line)
{
    while (*line == '\r' || *line == ' ')
        line++;
    if (*line == '[') {                      /* printk timestamp */
        const char *end = strchr(line, ']');
        if (end) {
            line = end + 1;
            while (*line == ' ')
                line++;
        }
    }
    for (size_t i = 0; i < sizeof(crash_marks) / sizeof(crash_marks[0]); i++)
        if (!strncmp(line, crash_marks[i], strlen(crash_marks[i])))
            return true;
    return false;
}

struct console *console_open(const char *file, bool to_stdout, const struct console_input *inputs,
                             int ninputs, char *err, size_t errlen)
{
    struct console *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->fd_out = to_stdout ? STDOUT_FILENO : -1;
    c->fd_file = -1;
    if (file) {
        struct stat st;
        /* O_NONBLOCK: a FIFO nobody reads fails at once instead of hanging */
        int fd = open(file, O_WRONLY | O_CREAT | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0644);
        if (fd < 0 && errno == ENXIO) {
            snprintf(err, errlen, "console file %s is a FIFO that nobody reads", file);
            goto fail;
        }
        if (fd < 0 || fstat(fd, &st) < 0 || fcntl(fd, F_SETFL, 0) < 0) {
            snprintf(err, errlen, "cannot open console file %s: %s", file, strerror(errno));
            if (fd >= 0)
                close(fd);
            goto fail;
        }
        c->fd_file = fd;
        for (int i = 0; i < ninputs; i++)
            if (st.st_dev == inputs[i].dev && st.st_ino == inputs[i].ino) {
                snprintf(err, errlen, "--console %s is the same file as %s, an input of this "
                         "boot: it is not overwritten", file, inputs[i].name);
                goto fail;
            }
        if (S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
            snprintf(err, errlen, "cannot empty console file %s: %s", file, strerror(errno));
            goto fail;
        }
    }
    return c;
fail:
    if (c->fd_file >= 0)
        close(c->fd_file);
    free(c);
    return NULL;
}

void console_set_limit(struct console *c, uint64_t bytes)
{
    pthread_mutex_lock(&c->lock);
    c->limit = bytes;
    pthread_mutex_unlock(&c->lock);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    if (fd >= 0)
        fd_write_all(fd, p, n);   /* a failure (a closed stdout) must not stop the guest */
}

static void flush_locked(struct console *c)
{
    write_all(c->fd_out, c->buf, c->len);
    write_all(c->fd_file, c->buf, c->len);
    c->len = 0;
}

static void scan(struct console *c, uint8_t ch)
{
    if (ch == '\n' || c->line_len == LINE_MAX_LEN - 1) {
        c->line[c->line_len] = 0;
        if (!c->crashed && console_is_crash_line(c->line)) {
            c->crashed = true;
            size_t n = c->line_len;
            while (n && (c->line[n - 1] == '\r'))
                n--;
            for (size_t i = 0; i < n; i++) {     /* quoted on stderr: one plain line */
                unsigned char ch = (unsigned char)c->line[i];
                c->crash[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
            }
            c->crash[n] = 0;
        }
        c->line_len = 0;
        if (ch == '\n')
            return;
    }
    c->line[c->line_len++] = (char)ch;
}

/* "64 MiB", "100 KiB" or "1000 bytes", for the message at the limit. */
static void size_words(char *buf, size_t len, uint64_t v)
{
    if (v && !(v & ((1 << 20) - 1)))
        snprintf(buf, len, "%llu MiB", (unsigned long long)(v >> 20));
    else if (v && !(v & ((1 << 10) - 1)))
        snprintf(buf, len, "%llu KiB", (unsigned long long)(v >> 10));
    else
        snprintf(buf, len, "%llu bytes", (unsigned long long)v);
}

void console_write(struct console *c, const uint8_t *p, size_t n)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        scan(c, p[i]);
        if (c->limit && c->kept >= c->limit) {
            if (!c->capped) {
                c->capped = true;
                flush_locked(c);        /* everything kept comes before the message */
                char sz[32];
                size_words(sz, sizeof(sz), c->limit);
                fprintf(stderr, "minivmm: console output reached %s; the rest is dropped "
                        "(--console-limit)\n", sz);
            }
            continue;
        }
        if (c->len == BUF_SIZE)
            flush_locked(c);
        c->buf[c->len++] = p[i];
        c->kept++;
    }
    pthread_mutex_unlock(&c->lock);
}

void console_flush(struct console *c)
{
    pthread_mutex_lock(&c->lock);
    flush_locked(c);
    pthread_mutex_unlock(&c->lock);
}

const char *console_crash(struct console *c)
{
    pthread_mutex_lock(&c->lock);
    const char *r = c->crashed ? c->crash : NULL;
    pthread_mutex_unlock(&c->lock);
    return r;
}

void console_close(struct console *c)
{
    if (!c)
        return;
    console_flush(c);
    if (c->fd_file >= 0) {
        fsync(c->fd_file);
        close(c->fd_file);
    }
    free(c);
}
