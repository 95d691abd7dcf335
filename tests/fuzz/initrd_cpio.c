/* Fuzz target: the cpio writer (initrd/cpio.h) on fuzzed entries.  The
 * input is a list of operations (file, directory, symlink, device) with
 * fuzzed names, modes, symlink targets and contents, added through the
 * public builder API; the archive is written (plain or gzip) into memory
 * and read back with the independent parser of tests/unit/initrd_newc.h.
 * Checked: a name is refused exactly when the documented rules say so
 * (empty, "..", over 4095 bytes, TRAILER!!!), the archive is well formed
 * and ends with exactly one trailer, entries are sorted, unique, below
 * directories, and every accepted entry (the last one for its path) is
 * there with its type, mode and data.
 *
 * Input: [flags] then per operation: [op] [name length: 2 bytes LE]
 * [name] [mode: 2 bytes] and for a file [length: 2 bytes][data], a
 * symlink [length: 1 byte][target], a device [major][minor]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "initrd/cpio.h"
#include "tests/unit/initrd_newc.h"

#define MAX_OPS 48

struct in {
    const uint8_t *p;
    size_t n;
};

static size_t take(struct in *in, size_t want, const uint8_t **out)
{
    size_t k = want < in->n ? want : in->n;
    *out = in->p;
    in->p += k;
    in->n -= k;
    return k;
}

static unsigned byte(struct in *in)
{
    const uint8_t *p;
    return take(in, 1, &p) ? p[0] : 0;
}

static unsigned u16(struct in *in)
{
    unsigned lo = byte(in);
    return lo | byte(in) << 8;
}

/* A C string from the next n input bytes (a NUL in them ends it, as it
 * would for any caller). */
static char *cstr(struct in *in, size_t n)
{
    const uint8_t *p;
    size_t k = take(in, n, &p);
    char *s = malloc(k + 1);
    if (!s)
        abort();
    memcpy(s, p, k);
    s[k] = 0;
    return s;
}

/* The documented normalisation, written independently: leading slashes,
 * empty and "." components dropped; "..", a result that is empty, longer
 * than 4095 bytes, or TRAILER!!! (or below it) refused.  Returns the
 * archive path (malloc'd) or NULL. */
static char *expect_norm(const char *in)
{
    size_t l = strlen(in);
    char *out = malloc(l + 1);
    size_t o = 0;
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        const char *q = p;
        while (*q && *q != '/')
            q++;
        size_t cl = (size_t)(q - p);
        if (cl == 2 && p[0] == '.' && p[1] == '.') {
            free(out);
            return NULL;
        }
        if (cl && !(cl == 1 && p[0] == '.')) {
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, cl);
            o += cl;
        }
        p = q;
    }
    out[o] = 0;
    if (!o || o > CPIO_PATH_MAX || !strcmp(out, "TRAILER!!!") ||
        !strncmp(out, "TRAILER!!!/", 11)) {
        free(out);
        return NULL;
    }
    return out;
}

struct want {
    char *path;
    uint32_t mode;
    unsigned char *data;
    size_t size;
    unsigned major, minor;
};

static unsigned char *inflate_all(const unsigned char *in, size_t n, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        abort();
    size_t cap = 4 * n + 4096;
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    int r;
    for (;;) {
        z.next_out = out + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        r = inflate(&z, Z_NO_FLUSH);
        if (r == Z_STREAM_END)
            break;
        if (r != Z_OK && r != Z_BUF_ERROR)
            abort();        /* the writer's gzip stream is corrupt */
        if (z.avail_out) {
            abort();        /* truncated gzip stream */
        }
        cap *= 2;
        out = realloc(out, cap);
    }
    if (z.avail_in)
        abort();            /* bytes after the gzip member */
    *outlen = z.total_out;
    inflateEnd(&z);
    return out;
}

/* Is nm[0..plen) a directory among the sorted entries a->v[0..hi)? */
static bool dir_before(const struct newc *a, size_t hi, const char *nm, size_t plen)
{
    size_t lo = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *v = a->v[mid].name;
        int c = strncmp(v, nm, plen);
        if (!c && v[plen])
            c = 1;
        if (!c)
            return S_ISDIR(a->v[mid].mode);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct in in = { data, len };
    unsigned flags = byte(&in);
    struct cpio_builder *b = cpio_builder_new();
    if (!b)
        return 0;
    struct want *w = calloc(MAX_OPS, sizeof *w);
    size_t nw = 0;
    for (int op = 0; op < MAX_OPS && in.n; op++) {
        unsigned kind = byte(&in) % 4;
        char *name = cstr(&in, u16(&in) % (CPIO_PATH_MAX + 8));
        unsigned perm = u16(&in);
        char *exp = expect_norm(name);
        bool ok = exp != NULL;
        struct want x = { .path = exp };
        int rc;
        switch (kind) {
        case 0: {
            const uint8_t *d;
            size_t dl = take(&in, u16(&in), &d);
            x.mode = S_IFREG | (perm & 07777);
            x.data = malloc(dl ? dl : 1);
            memcpy(x.data, d, dl);
            x.size = dl;
            rc = cpio_add_file_mem(b, name, perm, d, dl);
            break;
        }
        case 1:
            x.mode = S_IFDIR | (perm & 07777);
            rc = cpio_add_dir(b, name, perm);
            break;
        case 2: {
            char *t = cstr(&in, byte(&in));
            ok = ok && *t;
            x.mode = S_IFLNK | 0777;
            x.data = (unsigned char *)t;
            x.size = strlen(t);
            rc = cpio_add_symlink(b, name, t);
            break;
        }
        default:
            x.major = byte(&in);
            x.minor = byte(&in);
            x.mode = S_IFCHR | (perm & 07777);
            rc = cpio_add_chardev(b, name, perm, x.major, x.minor);
            break;
        }
        if ((rc == 0) != ok) {
            fprintf(stderr, "name '%s': rc %d, expected %s (%s)\n", name, rc,
                    ok ? "accepted" : "refused", cpio_error(b));
            abort();
        }
        const char *e = cpio_error(b);
        if (rc && (!*e || strchr(e, '\n')))
            abort();        /* a refusal says why, on one line */
        if (rc == 0) {
            /* A path added again replaces the earlier entry. */
            for (size_t i = 0; i < nw; i++)
                if (w[i].path && !strcmp(w[i].path, exp)) {
                    free(w[i].path);
                    free(w[i].data);
                    w[i].path = NULL;
                    w[i].data = NULL;
                }
            w[nw++] = x;
        } else {
            free(x.path);
            free(x.data);
        }
        free(name);
    }

    int fd = memfd_create("cpio", 0);
    if (fd < 0)
        abort();
    struct cpio_opts o = { .reproducible = flags & 1,
                           .compress = flags & 2 ? CPIO_COMPRESS_GZIP : CPIO_COMPRESS_NONE,
                           .gzip_level = 1 };
    int rc = cpio_write_fd(b, fd, &o);
    if (rc) {
        /* The one refusal at write time for API-made entries: a path below
         * something that is not a directory. */
        if (!strstr(cpio_error(b), "its parent in the archive is not a directory"))
            abort();
    } else {
        off_t end = lseek(fd, 0, SEEK_END);
        size_t n = (size_t)end;
        unsigned char *buf = malloc(n ? n : 1);
        if (end < 0 || pread(fd, buf, n, 0) != (ssize_t)n)
            abort();
        if (flags & 2) {
            size_t m;
            unsigned char *raw = inflate_all(buf, n, &m);
            free(buf);
            buf = raw;
            n = m;
        }
        struct newc a;
        if (newc_parse(buf, n, &a) < 0) {
            fprintf(stderr, "malformed archive: %s\n", a.why);
            abort();
        }
        for (size_t i = 0; i < a.n; i++) {
            const struct newc_ent *e = &a.v[i];
            const char *nm = e->name;
            /* Sorted and unique; a normalised path; its parent precedes it as a directory. */
            if (i && strcmp(a.v[i - 1].name, nm) >= 0)
                abort();
            char *norm = expect_norm(nm);
            if (!norm || strcmp(norm, nm))
                abort();
            free(norm);
            const char *sl = strrchr(nm, '/');
            if (sl && !dir_before(&a, i, nm, (size_t)(sl - nm)))
                abort();
            if (e->ino != i + 1)
                abort();
        }
        for (size_t i = 0; i < nw; i++) {
            if (!w[i].path)
                continue;
            const struct newc_ent *e = newc_find(&a, w[i].path);
            if (!e || e->mode != w[i].mode) {
                fprintf(stderr, "entry '%s' missing or with another mode\n", w[i].path);
                abort();
            }
            if (S_ISREG(w[i].mode) || S_ISLNK(w[i].mode)) {
                if (e->size != w[i].size || memcmp(e->data, w[i].data, w[i].size))
                    abort();
            } else if (e->size) {
                abort();
            }
            if (S_ISCHR(w[i].mode) && (e->rmajor != w[i].major || e->rminor != w[i].minor))
                abort();
            if (e->uid || e->gid || e->mtime)
                abort();    /* API entries have owner 0 and mtime 0 */
        }
        newc_free(&a);
        free(buf);
    }
    close(fd);
    for (size_t i = 0; i < nw; i++) {
        free(w[i].path);
        free(w[i].data);
    }
    free(w);
    cpio_builder_free(b);
    return 0;
}
