/* Walking an untrusted host tree through directory fds: see hostwalk.h. */
#include "initrd/hostwalk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void (*hostwalk_test_hook)(const char *rel);

int initrd_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; errlen && *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = '?';
    return -1;
}

/* One directory being walked: its fd and its sorted entry names. */
struct frame {
    int fd;
    char **names;
    size_t n, i;
    size_t rellen;              /* length of its path below the root */
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void frame_close(struct frame *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    if (f->fd >= 0)
        close(f->fd);
    *f = (struct frame){ .fd = -1 };
}

/* Reads the names of the directory open at f->fd (through a new open file
 * description, so the offset of f->fd does not matter).  0 or an errno. */
static int read_names(struct frame *f)
{
    int dfd = openat(f->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno;
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return e;
    }
    size_t cap = 0;
    int e = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (f->n == cap) {
            cap = cap ? 2 * cap : 16;
            char **nn = realloc(f->names, cap * sizeof *nn);
            if (!nn) {
                e = ENOMEM;
                break;
            }
            f->names = nn;
        }
        if (!(f->names[f->n] = strdup(de->d_name))) {
            e = ENOMEM;
            break;
        }
        f->n++;
        errno = 0;
    }
    if (!e && errno)
        e = errno;
    closedir(d);
    if (!e && f->n)
        qsort(f->names, f->n, sizeof *f->names, cmp_str);
    return e;
}

int hostwalk(int rootfd, const char *label, unsigned max_depth, hostwalk_fn fn, void *ctx,
             char *err, size_t errlen)
{
    struct frame *fr = malloc(((size_t)max_depth + 1) * sizeof *fr);
    char *rel = malloc(HOSTWALK_REL_MAX + 1);
    if (!fr || !rel) {
        free(fr);
        free(rel);
        return initrd_errf(err, errlen, "out of memory");
    }
    for (size_t i = 0; i <= max_depth; i++)
        fr[i] = (struct frame){ .fd = -1 };
    rel[0] = 0;
    int rc = 0, e = 0;
    size_t top = 0;
    fr[0].fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
    if (fr[0].fd < 0 || (e = read_names(&fr[0])) != 0)
        rc = initrd_errf(err, errlen, "%s: %s", label, strerror(fr[0].fd < 0 ? errno : e));
    else if (hostwalk_test_hook)
        hostwalk_test_hook("");
    while (!rc) {
        struct frame *f = &fr[top];
        if (f->i == f->n) {
            frame_close(f);
            if (!top)
                break;
            top--;
            continue;
        }
        const char *name = f->names[f->i++];
        size_t nl = strlen(name), o = f->rellen;
        if (o + (o ? 1 : 0) + nl > HOSTWALK_REL_MAX) {
            rc = initrd_errf(err, errlen, "%.200s/%.200s...: path longer than %d bytes", label, rel,
                      HOSTWALK_REL_MAX);
            break;
        }
        if (o)
            rel[o++] = '/';
        memcpy(rel + o, name, nl + 1);
        struct stat st, dst;
        if (fstatat(f->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = initrd_errf(err, errlen, "%.200s/%.200s: %s", label, rel, strerror(errno));
            break;
        }
        struct hostwalk_ent he = { f->fd, name, rel, &st, (unsigned)top + 1 };
        if (!S_ISDIR(st.st_mode)) {
            rc = fn(ctx, &he) < 0 ? -1 : 0;
            continue;
        }
        if (top + 1 > max_depth) {
            rc = initrd_errf(err, errlen, "%.200s/%.200s...: directory tree deeper than %u levels",
                      label, rel, max_depth);
            break;
        }
        /* O_NOFOLLOW: a directory swapped for a symlink since the fstatat is
         * refused here, and a swap for another directory is caught by the
         * device/inode comparison. */
        int fd = openat(f->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &dst) < 0 || dst.st_dev != st.st_dev || dst.st_ino != st.st_ino) {
            e = errno;
            bool changed = fd >= 0 || e == ELOOP || e == ENOTDIR;
            if (fd >= 0)
                close(fd);
            rc = initrd_errf(err, errlen, "%.200s/%.200s: %s", label, rel,
                      changed ? "changed while the tree was being read" : strerror(e));
            break;
        }
        he.st = &dst;
        int r = fn(ctx, &he);
        if (r) {
            close(fd);
            rc = r < 0 ? -1 : 0;
            continue;
        }
        fr[++top] = (struct frame){ .fd = fd, .rellen = strlen(rel) };
        if ((e = read_names(&fr[top])) != 0) {
            rc = initrd_errf(err, errlen, "%.200s/%.200s: %s", label, rel, strerror(e));
            break;
        }
        if (hostwalk_test_hook)
            hostwalk_test_hook(rel);
    }
    for (size_t i = 0; i <= max_depth; i++)
        if (fr[i].fd >= 0 || fr[i].names)
            frame_close(&fr[i]);
    free(fr);
    free(rel);
    return rc;
}

int hostwalk_open(int rootfd, const char *rel, int flags)
{
    int dfd = rootfd;
    const char *p = rel;
    char comp[NAME_MAX + 1];
    for (const char *s; (s = strchr(p, '/')); p = s + 1) {
        size_t l = (size_t)(s - p);
        if (!l || l > NAME_MAX || (l <= 2 && !strncmp(p, "..", l))) {
            if (dfd != rootfd)
                close(dfd);
            errno = EINVAL;
            return -1;
        }
        memcpy(comp, p, l);
        comp[l] = 0;
        int nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        if (dfd != rootfd)
            close(dfd);
        if (nfd < 0) {
            errno = e;
            return -1;
        }
        dfd = nfd;
    }
    int fd = -1;
    if (!*p || !strcmp(p, ".") || !strcmp(p, ".."))
        errno = EINVAL;
    else
        fd = openat(dfd, p, flags | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    if (dfd != rootfd)
        close(dfd);
    errno = e;
    return fd;
}
