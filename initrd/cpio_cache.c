/* The packer's output files: the temporary file every archive is written
 * through (removed on failure or by a signal, renamed into place on
 * success), the content cache and initrd_concat.  See cpio.h and
 * docs/initrd.md. */
#include "initrd/cpio_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary file being written, for cpio_remove_temp() in a signal
 * handler.  Registering and unregistering happen with the signals blocked. */
static char temp_name[PATH_MAX + 32];
static volatile sig_atomic_t temp_active;

static void temp_signals(int how, sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    sigprocmask(how, how == SIG_BLOCK ? &s : old, how == SIG_BLOCK ? old : NULL);
}

int cpio_remove_temp(void)
{
    if (!temp_active)
        return 0;
    temp_active = 0;
    unlink(temp_name);
    return 1;
}

/* Creates a temporary file next to path; returns its fd and name (malloc'd). */
static int open_temp(const char *path, char **tmpname, char *err, size_t errlen)
{
    size_t len = strlen(path) + 16;
    char *t = malloc(len);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(t, len, "%s.tmp-XXXXXX", path);
    sigset_t old;
    temp_signals(SIG_BLOCK, &old);
    int fd = mkostemp(t, O_CLOEXEC);
    if (fd >= 0 && len <= sizeof(temp_name)) {
        memcpy(temp_name, t, len);
        temp_active = 1;
    }
    temp_signals(SIG_SETMASK, &old);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(t);
        return -1;
    }
    if (fchmod(fd, 0644) < 0) {
        snprintf(err, errlen, "%s: %s", t, strerror(errno));
        close(fd);
        temp_signals(SIG_BLOCK, &old);
        temp_active = 0;
        unlink(t);
        temp_signals(SIG_SETMASK, &old);
        free(t);
        return -1;
    }
    *tmpname = t;
    return fd;
}

/* Syncs, closes and renames the temporary file over path (or removes it if
 * rc < 0).  Returns 0 or -1 with err set. */
static int finish_temp(int fd, char *tmpname, const char *path, int rc, char *err, size_t errlen)
{
    if (rc == 0 && fsync(fd) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (close(fd) < 0 && rc == 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    sigset_t old;
    temp_signals(SIG_BLOCK, &old);
    if (rc == 0 && rename(tmpname, path) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        unlink(tmpname);
    temp_active = 0;
    temp_signals(SIG_SETMASK, &old);
    free(tmpname);
    return rc;
}

/* The cache key starts with the options, then takes the uncompressed archive. */
static void key_start(struct sha256 *h, const struct cpio_opts *o)
{
    sha256_init(h);
    char pre[64];
    int pl = snprintf(pre, sizeof pre, "minivmm-initrd-cache 1 %d %d\n",
                      (int)o->compress, o->gzip_level);
    sha256_update(h, pre, (size_t)pl);
}

static int write_file_checked(struct cpio_builder *b, const char *out_path,
                              const struct cpio_opts *o, const uint8_t *expect)
{
    char *tmp;
    b->err[0] = 0;
    int fd = open_temp(out_path, &tmp, b->err, sizeof b->err);
    if (fd < 0)
        return -1;
    struct sha256 h;
    uint8_t key[SHA256_LEN];
    int rc;
    if (expect)
        key_start(&h, o);
    rc = cpio_write_stream(b, fd, o, expect ? &h : NULL);
    if (!rc && expect) {
        sha256_final(&h, key);
        if (memcmp(key, expect, SHA256_LEN))
            rc = cpio_fail(b, "input files changed while the archive was being written");
    }
    return finish_temp(fd, tmp, out_path, rc, b->err, sizeof b->err);
}

int cpio_write_file(struct cpio_builder *b, const char *out_path, const struct cpio_opts *o)
{
    return write_file_checked(b, out_path, o, NULL);
}

static int mkdir_p(const char *dir, char *err, size_t errlen)
{
    size_t len = strlen(dir);
    if (!len || len >= PATH_MAX) {
        snprintf(err, errlen, "%s: bad cache directory", dir);
        return -1;
    }
    char buf[PATH_MAX];
    memcpy(buf, dir, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
                snprintf(err, errlen, "%s: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", dir);
        return -1;
    }
    return 0;
}

int cpio_cached(struct cpio_builder *b, const struct cpio_opts *o, const char *cache_dir,
                char *out_path, size_t out_len, bool *hit)
{
    static const struct cpio_opts defaults;
    if (!o)
        o = &defaults;
    b->err[0] = 0;
    if (hit)
        *hit = false;
    if (mkdir_p(cache_dir, b->err, sizeof b->err) < 0)
        return -1;
    struct sha256 h;
    key_start(&h, o);
    if (cpio_write_stream(b, -1, o, &h) < 0)
        return -1;
    uint8_t key[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    sha256_final(&h, key);
    sha256_hex(key, hex);
    int n = snprintf(out_path, out_len, "%s/%s.cpio%s", cache_dir, hex,
                     o->compress == CPIO_COMPRESS_GZIP ? ".gz" : "");
    if (n < 0 || (size_t)n >= out_len)
        return cpio_fail(b, "%s: cache path too long", cache_dir);
    struct stat st;
    if (lstat(out_path, &st) == 0 && S_ISREG(st.st_mode)) {
        if (hit)
            *hit = true;
        return 0;
    }
    return write_file_checked(b, out_path, o, key);
}

int initrd_concat(const char *out_path, const char *const *parts, size_t n,
                  char *err, size_t errlen)
{
    char *tmp;
    int fd = open_temp(out_path, &tmp, err, errlen);
    if (fd < 0)
        return -1;
    int rc = 0;
    uint64_t total = 0;
    char *buf = malloc(1 << 16);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        int in = open(parts[i], O_RDONLY | O_CLOEXEC);
        if (in < 0) {
            snprintf(err, errlen, "%s: %s", parts[i], strerror(errno));
            rc = -1;
            break;
        }
        for (;;) {
            ssize_t r = read(in, buf, 1 << 16);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                snprintf(err, errlen, "%s: %s", parts[i], strerror(errno));
                rc = -1;
                break;
            }
            if (r == 0)
                break;
            if (cpio_write_all(fd, buf, (size_t)r) < 0) {
                snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
                rc = -1;
                break;
            }
            total += (uint64_t)r;
        }
        close(in);
        static const char zero[4];
        size_t pad = (4 - (total & 3)) & 3;
        if (!rc && pad) {
            if (cpio_write_all(fd, zero, pad) < 0) {
                snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
                rc = -1;
            }
            total += pad;
        }
    }
    free(buf);
    return finish_temp(fd, tmp, out_path, rc, err, errlen);
}
