#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vmm/console.h"

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

struct console *console_open(const char *file, bool to_stdout, char *err, size_t errlen)
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
        c->fd_file = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (c->fd_file < 0) {
            snprintf(err, errlen, "cannot open console file %s: %s", file, strerror(errno));
            free(c);
            return NULL;
        }
    }
    return c;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (fd >= 0 && n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;        /* a closed stdout must not stop the guest */
        p += w;
        n -= (size_t)w;
    }
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
            memcpy(c->crash, c->line, n);
            c->crash[n] = 0;
        }
        c->line_len = 0;
        if (ch == '\n')
            return;
    }
    c->line[c->line_len++] = (char)ch;
}

void console_write(struct console *c, const uint8_t *p, size_t n)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        if (c->len == BUF_SIZE)
            flush_locked(c);
        c->buf[c->len++] = p[i];
        scan(c, p[i]);
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
