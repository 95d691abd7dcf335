/* Adding host files and trees to the packer.  The tree below a directory
 * is read only through its descriptor, by hostwalk() (hostwalk.c: openat
 * with O_NOFOLLOW at every level, a depth bound); a symlink is stored,
 * never followed, and file data is read when the archive is written.  See
 * cpio.h and docs/initrd.md ("Host trees are untrusted"). */
#include "initrd/cpio_int.h"
#include "initrd/hostwalk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define CPIO_TREE_DEPTH_MAX 256         /* directory levels below a cpio_add_host root */

static uint32_t clamp_time(time_t t)
{
    if (t < 0)
        return 0;
    if ((unsigned long long)t > 0xffffffffULL)
        return 0xffffffffU;
    return (uint32_t)t;
}

/* e's data is the regular host file at host (lstat'ed as st). */
static int host_data(struct cpio_builder *b, struct entry *e, const char *host,
                     const struct stat *st, bool linkable)
{
    if (!(e->host = strdup(host)))
        return cpio_fail(b, "out of memory");
    e->src = SRC_HOST;
    e->size = (uint64_t)st->st_size;
    e->hdev = st->st_dev;
    e->hino = st->st_ino;
    e->linkable = linkable;
    return 0;
}

/* Adds one host object (already lstat'ed) at normalised archive path ap;
 * a symlink's target is read with readlinkat(dirfd, name).  Returns the
 * entry or NULL. */
static struct entry *add_host_entry(struct cpio_builder *b, const char *ap, const char *host,
                                    const struct stat *st, int dirfd, const char *name)
{
    if (!*ap) {
        cpio_fail(b, "%s: cannot be stored as the archive root", host);
        return NULL;
    }
    if (S_ISSOCK(st->st_mode)) {
        cpio_fail(b, "%s: is a socket; sockets cannot be archived", host);
        return NULL;
    }
    if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode) &&
        !S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode) && !S_ISFIFO(st->st_mode)) {
        cpio_fail(b, "%s: unsupported file type", host);
        return NULL;
    }
    if (S_ISREG(st->st_mode) && (unsigned long long)st->st_size > MAX_FILE_SIZE) {
        cpio_fail(b, "%s: larger than 4 GiB, too big for a newc archive", host);
        return NULL;
    }
    char *target = NULL;
    if (S_ISLNK(st->st_mode)) {
        target = malloc(CPIO_PATH_MAX + 2);
        ssize_t n = target ? readlinkat(dirfd, name, target, CPIO_PATH_MAX + 1) : -1;
        if (n < 0 || n > CPIO_PATH_MAX) {
            int e = errno;
            free(target);
            if (n > CPIO_PATH_MAX)
                cpio_fail(b, "%s: symlink target longer than %d bytes", host, CPIO_PATH_MAX);
            else
                cpio_fail(b, "%s: %s", host, target ? strerror(e) : "out of memory");
            return NULL;
        }
        target[n] = 0;
    }
    struct entry *e = cpio_new_entry(b, ap);
    if (!e) {
        free(target);
        return NULL;
    }
    e->mode = st->st_mode;
    e->uid = st->st_uid;
    e->gid = st->st_gid;
    e->mtime = clamp_time(st->st_mtime);
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        e->rmajor = major(st->st_rdev);
        e->rminor = minor(st->st_rdev);
    }
    if (S_ISLNK(st->st_mode)) {
        e->data = (unsigned char *)target;
        e->size = strlen(target);
        e->src = SRC_MEM;
    } else if (S_ISREG(st->st_mode) && host_data(b, e, host, st, st->st_nlink > 1) < 0) {
        return NULL;
    }
    return e;
}

/* A tree walk in progress (cpio_add_host). */
struct walk_ctx {
    struct cpio_builder *b;
    const char *host;           /* the root's host path */
    const char *ap;             /* its archive path ("" for the root) */
    size_t root;                /* index + 1 in b->roots */
};

static int walk_entry(void *ctx, const struct hostwalk_ent *he)
{
    struct walk_ctx *w = ctx;
    struct cpio_builder *b = w->b;
    size_t hl = strlen(w->host), al = strlen(w->ap), rl = strlen(he->rel);
    const char *sep = hl && w->host[hl - 1] == '/' ? "" : "/";
    char *hp = malloc(hl + rl + 2), *cp = malloc(al + rl + 2);
    int rc = -1;
    if (!hp || !cp) {
        cpio_fail(b, "out of memory");
        goto out;
    }
    sprintf(hp, "%s%s%s", w->host, sep, he->rel);
    sprintf(cp, "%s%s%s", w->ap, al ? "/" : "", he->rel);
    if (strlen(cp) > CPIO_PATH_MAX) {
        cpio_fail(b, "%.200s...: archive path longer than %d bytes", hp, CPIO_PATH_MAX);
        goto out;
    }
    if (cpio_check_name(b, cp, hp) < 0)
        goto out;
    struct entry *e = add_host_entry(b, cp, hp, he->st, he->dirfd, he->name);
    if (e && e->host) {
        e->root = w->root;
        e->relpos = strlen(hp) - rl;
    }
    rc = e ? 0 : -1;
out:
    free(hp);
    free(cp);
    return rc;
}

/* Adds the contents of the directory open at fd (kept open in b->roots
 * until the builder is freed) below archive directory ap. */
static int walk(struct cpio_builder *b, int fd, const char *host, const char *ap)
{
    int *nr = realloc(b->roots, (b->nroots + 1) * sizeof *nr);
    if (!nr) {
        close(fd);
        return cpio_fail(b, "out of memory");
    }
    b->roots = nr;
    b->roots[b->nroots++] = fd;
    struct walk_ctx w = { b, host, ap, b->nroots };
    return hostwalk(fd, host, CPIO_TREE_DEPTH_MAX, walk_entry, &w, b->err, sizeof b->err);
}

int cpio_add_host(struct cpio_builder *b, const char *host_path, const char *dest)
{
    char ap[CPIO_PATH_MAX + 1];
    if (!host_path || !*host_path)
        return cpio_fail(b, "empty host path");
    if (strlen(host_path) >= PATH_MAX)
        return cpio_fail(b, "%.200s...: host path longer than %d bytes", host_path, PATH_MAX - 1);
    if (cpio_norm_path(b, dest ? dest : "", ap) < 0)
        return -1;
    struct stat st;
    if (lstat(host_path, &st) < 0)
        return cpio_fail(b, "%s: %s", host_path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        /* From here on only this fd: the tree below is read through it. */
        int fd = open(host_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return cpio_fail(b, "%s: %s", host_path, strerror(e));
        }
        if (*ap && !add_host_entry(b, ap, host_path, &st, AT_FDCWD, host_path)) {
            close(fd);
            return -1;
        }
        return walk(b, fd, host_path, ap);
    }
    size_t dl = dest ? strlen(dest) : 0;
    if (!*ap || (dl && dest[dl - 1] == '/')) {
        /* dest is a directory: append the host file's base name. */
        size_t hl = strlen(host_path);
        while (hl > 1 && host_path[hl - 1] == '/')
            hl--;
        const char *base = host_path;
        for (size_t i = 0; i < hl; i++)
            if (host_path[i] == '/' && i + 1 < hl)
                base = host_path + i + 1;
        size_t bl = (size_t)(host_path + hl - base);
        size_t al = strlen(ap);
        if (al + 1 + bl > CPIO_PATH_MAX)
            return cpio_fail(b, "%s: archive path longer than %d bytes", host_path, CPIO_PATH_MAX);
        if (al)
            ap[al++] = '/';
        memcpy(ap + al, base, bl);
        ap[al + bl] = 0;
        char tmp[CPIO_PATH_MAX + 1];
        memcpy(tmp, ap, al + bl + 1);
        if (cpio_norm_path(b, tmp, ap) < 0)
            return -1;
    }
    return add_host_entry(b, ap, host_path, &st, AT_FDCWD, host_path) ? 0 : -1;
}

int cpio_add_host_file(struct cpio_builder *b, const char *path, const char *host_path,
                       mode_t perm)
{
    struct stat st;
    if (lstat(host_path, &st) < 0)
        return cpio_fail(b, "%s: %s", host_path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return cpio_fail(b, "%s: not a regular file", host_path);
    if ((unsigned long long)st.st_size > MAX_FILE_SIZE)
        return cpio_fail(b, "%s: larger than 4 GiB, too big for a newc archive", host_path);
    struct entry *e = cpio_synthetic(b, path, S_IFREG | (perm & 07777));
    if (!e)
        return -1;
    /* An explicit copy, not a link. */
    return host_data(b, e, host_path, &st, false);
}
