/* The cpio "newc" (070701) writer: from the builder's entries a plan
 * (sorted, one entry a path, missing parents added, hard links found and
 * their data stored once), then headers and data, plain or gzip, into a
 * descriptor and a hash.  Host file data is read here, through the walked
 * tree's descriptor, and checked not to have changed.  See cpio.h and
 * docs/initrd.md. */
#include "initrd/cpio_int.h"
#include "initrd/hostwalk.h"
#include "initrd/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

/* ---- preparing the list to write ---- */

struct plan {
    struct entry **v;           /* sorted, deduplicated, with parents */
    size_t n;
    struct entry **extra;       /* synthesised parents, owned */
    size_t nextra;
};

static void plan_free(struct plan *p)
{
    for (size_t i = 0; i < p->nextra; i++)
        cpio_entry_free(p->extra[i]);
    free(p->extra);
    free(p->v);
}

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts v[0..*n) and keeps, of equal paths, the one added last. */
static void sort_dedup(struct entry **v, size_t *n)
{
    if (*n)
        qsort(v, *n, sizeof *v, cmp_entry);
    size_t o = 0;
    for (size_t i = 0; i < *n; i++) {
        if (o && !strcmp(v[o - 1]->path, v[i]->path))
            v[o - 1] = v[i];
        else
            v[o++] = v[i];
    }
    *n = o;
}

static struct entry *find(struct entry **v, size_t n, const char *path)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v[mid]->path, path);
        if (!c)
            return v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int cmp_link(const void *a, const void *b)
{
    const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
    if (x->hdev != y->hdev)
        return x->hdev < y->hdev ? -1 : 1;
    if (x->hino != y->hino)
        return x->hino < y->hino ? -1 : 1;
    return strcmp(x->path, y->path);   /* output order */
}

static int prepare(struct cpio_builder *b, struct plan *p)
{
    memset(p, 0, sizeof *p);
    size_t cap = b->n + 1;
    p->v = malloc(cap * sizeof *p->v);
    if (!p->v)
        return cpio_fail(b, "out of memory");
    if (b->n)
        memcpy(p->v, b->e, b->n * sizeof *p->v);
    p->n = b->n;
    sort_dedup(p->v, &p->n);

    /* Missing parent directories. */
    char path[CPIO_PATH_MAX + 1];
    size_t n0 = p->n;
    for (size_t i = 0; i < n0; i++) {
        snprintf(path, sizeof path, "%s", p->v[i]->path);
        for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
            *s = 0;
            bool have = find(p->v, n0, path) != NULL;
            for (size_t k = p->nextra; !have && k-- > 0 && k + 8 >= p->nextra;)
                have = !strcmp(p->extra[k]->path, path);   /* cheap recent check */
            if (!have) {
                struct entry *e = calloc(1, sizeof *e);
                struct entry **ne = realloc(p->extra, (p->nextra + 1) * sizeof *ne);
                if (ne)
                    p->extra = ne;
                if (!e || !ne || !(e->path = strdup(path))) {
                    free(e);
                    return cpio_fail(b, "out of memory");
                }
                e->mode = S_IFDIR | 0755;
                p->extra[p->nextra++] = e;
            }
            *s = '/';
        }
    }
    if (p->nextra) {
        struct entry **nv = realloc(p->v, (p->n + p->nextra) * sizeof *nv);
        if (!nv)
            return cpio_fail(b, "out of memory");
        p->v = nv;
        memcpy(p->v + p->n, p->extra, p->nextra * sizeof *nv);
        p->n += p->nextra;
        sort_dedup(p->v, &p->n);   /* real entries (seq > 0) win */
    }

    /* Parents must be directories; count subdirectories. */
    for (size_t i = 0; i < p->n; i++) {
        struct entry *e = p->v[i];
        e->nlink = S_ISDIR(e->mode) ? 2 : 1;
        e->store_data = true;
        e->leader = NULL;
    }
    for (size_t i = 0; i < p->n; i++) {
        struct entry *e = p->v[i];
        char *s = strrchr(e->path, '/');
        if (!s)
            continue;
        snprintf(path, sizeof path, "%.*s", (int)(s - e->path), e->path);
        struct entry *par = find(p->v, p->n, path);
        if (!par || !S_ISDIR(par->mode))
            return cpio_fail(b, "%s: its parent in the archive is not a directory", e->path);
        if (S_ISDIR(e->mode))
            par->nlink++;
    }

    /* Hard links: group host files by (dev, ino). */
    size_t nl = 0;
    struct entry **lk = malloc((p->n + 1) * sizeof *lk);
    if (!lk)
        return cpio_fail(b, "out of memory");
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i]->linkable && p->v[i]->src == SRC_HOST)
            lk[nl++] = p->v[i];
    if (nl)
        qsort(lk, nl, sizeof *lk, cmp_link);
    for (size_t i = 0; i < nl;) {
        size_t j = i + 1;
        while (j < nl && lk[j]->hdev == lk[i]->hdev && lk[j]->hino == lk[i]->hino)
            j++;
        if (j - i > 1) {
            for (size_t k = i; k < j; k++) {
                lk[k]->nlink = (uint32_t)(j - i);
                lk[k]->leader = lk[i];
                lk[k]->store_data = (k == j - 1);
                if (lk[k]->mode != lk[i]->mode || lk[k]->size != lk[i]->size) {
                    cpio_fail(b, "%s: hard link changed while scanning", lk[k]->host);
                    free(lk);
                    return -1;
                }
            }
        }
        i = j;
    }
    free(lk);

    uint32_t ino = 0;
    for (size_t i = 0; i < p->n; i++) {
        struct entry *e = p->v[i];
        if (e->leader && e->leader != e)
            e->ino = e->leader->ino;   /* the leader comes first in path order */
        else
            e->ino = ++ino;
    }
    return 0;
}

/* ---- output ---- */

struct sink {
    int fd;                     /* -1: discard */
    bool gz;
    z_stream z;
    uint64_t off;               /* uncompressed bytes so far */
    struct sha256 *hash;
    struct cpio_builder *b;
    unsigned char out[1 << 16];
};

int cpio_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int sink_deflate(struct sink *s, int flush)
{
    do {
        s->z.next_out = s->out;
        s->z.avail_out = sizeof s->out;
        int r = deflate(&s->z, flush);
        if (r == Z_STREAM_ERROR)
            return cpio_fail(s->b, "gzip compression failed");
        size_t have = sizeof s->out - s->z.avail_out;
        if (have && cpio_write_all(s->fd, s->out, have) < 0)
            return cpio_fail(s->b, "write: %s", strerror(errno));
    } while (s->z.avail_out == 0);
    return 0;
}

static int sink_write(struct sink *s, const void *data, size_t len)
{
    if (s->hash)
        sha256_update(s->hash, data, len);
    s->off += len;
    if (s->fd < 0 || !len)
        return 0;
    if (!s->gz) {
        if (cpio_write_all(s->fd, data, len) < 0)
            return cpio_fail(s->b, "write: %s", strerror(errno));
        return 0;
    }
    s->z.next_in = (Bytef *)data;
    s->z.avail_in = (uInt)len;   /* callers write at most 64 KiB at once */
    return sink_deflate(s, Z_NO_FLUSH);
}

static int sink_pad(struct sink *s)
{
    static const char zero[4];
    size_t pad = (4 - (s->off & 3)) & 3;
    return pad ? sink_write(s, zero, pad) : 0;
}

static int write_header(struct sink *s, const struct entry *e, uint32_t uid, uint32_t gid,
                        uint32_t mtime, uint32_t size)
{
    char hdr[111];
    size_t namesize = strlen(e->path) + 1;
    snprintf(hdr, sizeof hdr,
             "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             e->ino, e->mode, uid, gid, e->nlink, mtime, size, 0u, 0u,
             e->rmajor, e->rminor, (uint32_t)namesize, 0u);
    if (sink_write(s, hdr, 110) < 0 || sink_write(s, e->path, namesize) < 0)
        return -1;
    return sink_pad(s);
}

static int write_host_data(struct sink *s, const struct entry *e, unsigned char *buf,
                           size_t bufsz)
{
    struct cpio_builder *b = s->b;
    int fl = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, fd;
    if (e->root)    /* found by a walk: reopened below its root, never through a symlink */
        fd = hostwalk_open(b->roots[e->root - 1], e->host + e->relpos, fl);
    else
        fd = open(e->host, fl);
    if (fd < 0 && e->root && (errno == ELOOP || errno == ENOTDIR))
        return cpio_fail(b, "%s: changed since it was scanned", e->host);
    if (fd < 0)
        return cpio_fail(b, "%s: %s", e->host, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = cpio_fail(b, "%s: %s", e->host, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_dev != e->hdev || st.st_ino != e->hino ||
        (uint64_t)st.st_size != e->size) {
        rc = cpio_fail(b, "%s: changed since it was scanned", e->host);
        goto out;
    }
    uint64_t left = e->size;
    while (left) {
        size_t want = left < bufsz ? (size_t)left : bufsz;
        ssize_t n = read(fd, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = cpio_fail(b, "%s: %s", e->host, strerror(errno));
            goto out;
        }
        if (n == 0) {
            rc = cpio_fail(b, "%s: file shrank while being read", e->host);
            goto out;
        }
        if ((rc = sink_write(s, buf, (size_t)n)) < 0)
            goto out;
        left -= (uint64_t)n;
    }
    ssize_t n;
    do
        n = read(fd, buf, 1);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        rc = cpio_fail(b, "%s: file grew while being read", e->host);
    else if (n < 0)
        rc = cpio_fail(b, "%s: %s", e->host, strerror(errno));
out:
    close(fd);
    return rc;
}

static int write_plan(struct cpio_builder *b, const struct plan *p, struct sink *s,
                      const struct cpio_opts *o)
{
    size_t bufsz = 1 << 16;
    unsigned char *buf = malloc(bufsz);
    if (!buf)
        return cpio_fail(b, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < p->n && !rc; i++) {
        const struct entry *e = p->v[i];
        uint32_t uid = 0, gid = 0, mtime = 0;   /* synthetic entries have 0 */
        if (!o->reproducible) {
            uid = e->uid;
            gid = e->gid;
            mtime = e->mtime;
        }
        uint32_t size = e->store_data ? (uint32_t)e->size : 0;
        if (S_ISDIR(e->mode) || S_ISCHR(e->mode) || S_ISBLK(e->mode) || S_ISFIFO(e->mode))
            size = 0;
        if ((rc = write_header(s, e, uid, gid, mtime, size)) < 0)
            break;
        if (!size)
            continue;
        if (e->src == SRC_HOST) {
            rc = write_host_data(s, e, buf, bufsz);
        } else {
            for (uint64_t off = 0; off < size && !rc; off += bufsz) {
                size_t chunk = size - off < bufsz ? (size_t)(size - off) : bufsz;
                rc = sink_write(s, e->data + off, chunk);
            }
        }
        if (!rc)
            rc = sink_pad(s);
    }
    if (!rc) {
        struct entry tr = { .path = "TRAILER!!!", .nlink = 1 };
        rc = write_header(s, &tr, 0, 0, 0, 0);
    }
    free(buf);
    return rc;
}

/* Writes the archive to fd (or only hashes it when fd < 0); hash may be NULL. */
int cpio_write_stream(struct cpio_builder *b, int fd, const struct cpio_opts *o,
                      struct sha256 *hash)
{
    static const struct cpio_opts defaults;
    if (!o)
        o = &defaults;
    if (o->compress != CPIO_COMPRESS_NONE && o->compress != CPIO_COMPRESS_GZIP)
        return cpio_fail(b, "unknown compression %d", (int)o->compress);
    if (o->gzip_level < 0 || o->gzip_level > 9)
        return cpio_fail(b, "gzip level %d out of range 1..9", o->gzip_level);
    struct plan p;
    if (prepare(b, &p) < 0) {
        plan_free(&p);
        return -1;
    }
    struct sink *s = calloc(1, sizeof *s);
    if (!s) {
        plan_free(&p);
        return cpio_fail(b, "out of memory");
    }
    s->fd = fd;
    s->b = b;
    s->hash = hash;
    s->gz = fd >= 0 && o->compress == CPIO_COMPRESS_GZIP;
    int rc = 0;
    if (s->gz && deflateInit2(&s->z, o->gzip_level ? o->gzip_level : 6, Z_DEFLATED,
                              15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        s->gz = false;
        rc = cpio_fail(b, "gzip initialisation failed");
    }
    if (!rc)
        rc = write_plan(b, &p, s, o);
    if (!rc && s->gz) {
        s->z.next_in = NULL;
        s->z.avail_in = 0;
        rc = sink_deflate(s, Z_FINISH);
    }
    if (s->gz)
        deflateEnd(&s->z);
    free(s);
    plan_free(&p);
    return rc;
}

int cpio_write_fd(struct cpio_builder *b, int fd, const struct cpio_opts *o)
{
    if (fd < 0)
        return cpio_fail(b, "bad file descriptor");
    b->err[0] = 0;
    return cpio_write_stream(b, fd, o, NULL);
}
