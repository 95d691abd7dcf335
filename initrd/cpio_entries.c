/* The packer's builder: its entries, their archive names (normalised,
 * never "..", never TRAILER!!!) and the synthetic entries (memory files,
 * directories, symlinks, character devices).  See cpio.h and
 * docs/initrd.md. */
#include "initrd/cpio_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cpio_fail(struct cpio_builder *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, sizeof b->err, fmt, ap);
    va_end(ap);
    /* Keep it one line even when names contain newlines. */
    for (char *p = b->err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = '?';
    return -1;
}

struct cpio_builder *cpio_builder_new(void)
{
    return calloc(1, sizeof(struct cpio_builder));
}

void cpio_entry_free(struct entry *e)
{
    if (!e)
        return;
    free(e->path);
    free(e->host);
    free(e->data);
    free(e);
}

void cpio_builder_free(struct cpio_builder *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        cpio_entry_free(b->e[i]);
    free(b->e);
    for (size_t i = 0; i < b->nroots; i++)
        close(b->roots[i]);
    free(b->roots);
    free(b);
}

const char *cpio_error(const struct cpio_builder *b)
{
    return b ? b->err : "out of memory";
}

/* The kernel's unpacker stops at an entry named TRAILER!!!: no entry may
 * have that name, nor be below a directory of that name (which would be
 * added as a parent). */
int cpio_check_name(struct cpio_builder *b, const char *ap, const char *shown)
{
    static const char tr[] = "TRAILER!!!";
    size_t tl = sizeof tr - 1;
    if (!strncmp(ap, tr, tl) && (!ap[tl] || ap[tl] == '/'))
        return cpio_fail(b, "%.200s: the archive name TRAILER!!! is reserved (it ends the archive)",
                    shown);
    return 0;
}

/* Normalises an archive path: drops empty and "." components and leading
 * slashes, refuses "..".  out must hold CPIO_PATH_MAX + 1 bytes. */
int cpio_norm_path(struct cpio_builder *b, const char *in, char *out)
{
    size_t o = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && *q != '/')
            q++;
        size_t len = (size_t)(q - p);
        if (len == 1 && p[0] == '.') {
            p = q;
            continue;
        }
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return cpio_fail(b, "%s: archive path must not contain '..'", in);
        if (o + (o ? 1 : 0) + len > CPIO_PATH_MAX)
            return cpio_fail(b, "%.200s...: archive path longer than %d bytes", in, CPIO_PATH_MAX);
        if (o)
            out[o++] = '/';
        memcpy(out + o, p, len);
        o += len;
        p = q;
    }
    out[o] = 0;
    return cpio_check_name(b, out, in);
}

struct entry *cpio_new_entry(struct cpio_builder *b, const char *normpath)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        struct entry **ne = realloc(b->e, cap * sizeof *ne);
        if (!ne) {
            cpio_fail(b, "out of memory");
            return NULL;
        }
        b->e = ne;
        b->cap = cap;
    }
    struct entry *e = calloc(1, sizeof *e);
    if (!e || !(e->path = strdup(normpath))) {
        free(e);
        cpio_fail(b, "out of memory");
        return NULL;
    }
    e->seq = ++b->seq;
    b->e[b->n++] = e;
    return e;
}

struct entry *cpio_synthetic(struct cpio_builder *b, const char *path, uint32_t mode)
{
    char ap[CPIO_PATH_MAX + 1];
    if (!path || !*path) {
        cpio_fail(b, "empty archive path");
        return NULL;
    }
    if (cpio_norm_path(b, path, ap) < 0)
        return NULL;
    if (!*ap) {
        cpio_fail(b, "%s: cannot be stored as the archive root", path);
        return NULL;
    }
    struct entry *e = cpio_new_entry(b, ap);
    if (e)
        e->mode = mode;
    return e;
}

int cpio_add_file_mem(struct cpio_builder *b, const char *path, mode_t perm,
                      const void *data, size_t len)
{
    if (len > MAX_FILE_SIZE)
        return cpio_fail(b, "%s: larger than 4 GiB, too big for a newc archive", path);
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy)
        return cpio_fail(b, "out of memory");
    if (len)
        memcpy(copy, data, len);
    struct entry *e = cpio_synthetic(b, path, S_IFREG | (perm & 07777));
    if (!e) {
        free(copy);
        return -1;
    }
    e->data = copy;
    e->size = len;
    e->src = SRC_MEM;
    return 0;
}

int cpio_add_dir(struct cpio_builder *b, const char *path, mode_t perm)
{
    return cpio_synthetic(b, path, S_IFDIR | (perm & 07777)) ? 0 : -1;
}

int cpio_add_symlink(struct cpio_builder *b, const char *path, const char *target)
{
    size_t tl = target ? strlen(target) : 0;
    if (!tl)
        return cpio_fail(b, "%s: empty symlink target", path);
    if (tl > CPIO_PATH_MAX)
        return cpio_fail(b, "%s: symlink target longer than %d bytes", path, CPIO_PATH_MAX);
    char *t = strdup(target);
    if (!t)
        return cpio_fail(b, "out of memory");
    struct entry *e = cpio_synthetic(b, path, S_IFLNK | 0777);
    if (!e) {
        free(t);
        return -1;
    }
    e->data = (unsigned char *)t;
    e->size = tl;
    e->src = SRC_MEM;
    return 0;
}

int cpio_add_chardev(struct cpio_builder *b, const char *path, mode_t perm,
                     unsigned major, unsigned minor)
{
    struct entry *e = cpio_synthetic(b, path, S_IFCHR | (perm & 07777));
    if (!e)
        return -1;
    e->rmajor = major;
    e->rminor = minor;
    return 0;
}
