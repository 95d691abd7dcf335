/* Kernel module collection: see modules.h and docs/initrd.md. */
#include "initrd/modules.h"
#include "initrd/hostwalk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MOD_FILE_MAX   (64u << 20)   /* largest module file we read */
#define MOD_UNPACK_MAX (256u << 20)  /* largest decompressed module */
#define MOD_NAME_MAX   55            /* MODULE_NAME_LEN - 1 */
#define MOD_DEPTH_MAX  128           /* longest dependency chain */
#define MOD_TREE_DEPTH_MAX 64        /* directory levels below the module tree */
#define BUILTIN_MAX    (8u << 20)

const char *const initrd_default_modules[] = { "virtio_mmio", "9pnet_virtio", "9p" };
const size_t initrd_n_default_modules = 3;
/* --rootfs host: the host's / over 9p under a tmpfs overlay (docs/rootfs.md). */
const char *const initrd_host_root_modules[] = { "virtio_mmio", "9pnet_virtio", "9p", "overlay" };
const size_t initrd_n_host_root_modules = 4;

#define errf initrd_errf     /* one line into err, returns -1 (hostwalk.h) */

/* ---- ELF ---- */

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Is [off, off+size) inside a buffer of len bytes? */
static int in_bounds(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

int initrd_modinfo_get(const unsigned char *elf, size_t len, const char *key,
                       const char **val, size_t *vlen, char *err, size_t errlen)
{
    if (len < 64 || memcmp(elf, "\177ELF", 4))
        return errf(err, errlen, "not an ELF file");
    if (elf[4] != 2 || elf[5] != 1)
        return errf(err, errlen, "not a 64-bit little-endian ELF file");
    uint64_t shoff = le64(elf + 0x28);
    uint16_t shentsize = le16(elf + 0x3a);
    uint64_t shnum = le16(elf + 0x3c);
    uint32_t shstrndx = le16(elf + 0x3e);
    if (!shoff || shentsize != 64)
        return errf(err, errlen, "ELF has no usable section headers");
    if (!in_bounds(shoff, 64, len))
        return errf(err, errlen, "ELF section headers outside the file");
    const unsigned char *sh0 = elf + shoff;
    if (shnum == 0)                     /* extended numbering */
        shnum = le64(sh0 + 32);
    if (shstrndx == 0xffff)
        shstrndx = le32(sh0 + 40);
    if (shnum == 0 || shnum > (len - shoff) / 64)
        return errf(err, errlen, "ELF section headers outside the file");
    if (shstrndx >= shnum)
        return errf(err, errlen, "ELF section name table index out of range");
    const unsigned char *ss = elf + shoff + 64 * (uint64_t)shstrndx;
    uint64_t stroff = le64(ss + 24), strsize = le64(ss + 32);
    if (le32(ss + 4) == 8 /* SHT_NOBITS */ || !in_bounds(stroff, strsize, len))
        return errf(err, errlen, "ELF section name table outside the file");
    const char *strtab = (const char *)elf + stroff;

    for (uint64_t i = 0; i < shnum; i++) {
        const unsigned char *sh = elf + shoff + 64 * i;
        uint32_t name = le32(sh);
        if (name >= strsize)
            return errf(err, errlen, "ELF section name outside the name table");
        if (!memchr(strtab + name, 0, strsize - name))
            return errf(err, errlen, "ELF section name not terminated");
        if (strcmp(strtab + name, ".modinfo"))
            continue;
        uint64_t off = le64(sh + 24), size = le64(sh + 32);
        if (le32(sh + 4) == 8 || !in_bounds(off, size, len))
            return errf(err, errlen, "ELF .modinfo section outside the file");
        const char *p = (const char *)elf + off, *end = p + size;
        size_t kl = strlen(key);
        while (p < end) {
            const char *z = memchr(p, 0, (size_t)(end - p));
            size_t sl = z ? (size_t)(z - p) : (size_t)(end - p);
            if (sl > kl && !memcmp(p, key, kl) && p[kl] == '=') {
                *val = p + kl + 1;
                *vlen = sl - kl - 1;
                return 1;
            }
            p += sl + 1;
        }
        return 0;
    }
    return errf(err, errlen, "no .modinfo section (not a kernel module?)");
}

/* ---- reading module files ---- */

static enum initrd_kmod_comp comp_of(const char *name, size_t *stem)
{
    size_t l = strlen(name);
    static const struct { const char *suf; enum initrd_kmod_comp c; } s[] = {
        { ".ko", KMOD_PLAIN }, { ".ko.gz", KMOD_GZIP }, { ".ko.xz", KMOD_XZ },
        { ".ko.zst", KMOD_ZSTD },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        size_t sl = strlen(s[i].suf);
        if (l > sl && !strcmp(name + l - sl, s[i].suf)) {
            *stem = l - sl;
            return s[i].c;
        }
    }
    *stem = 0;
    return (enum initrd_kmod_comp)-1;
}

/* Reads the regular file open at fd (closed here); path names it in messages. */
static int read_fd(int fd, const char *path, size_t max, unsigned char **data, size_t *len,
                   char *err, size_t errlen)
{
    if (fd < 0)
        return errf(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        close(fd);
        return errf(err, errlen, "%s: not a regular file of at most %zu bytes", path, max);
    }
    size_t n = (size_t)st.st_size, got = 0;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return errf(err, errlen, "out of memory");
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : 0;
            close(fd);
            free(buf);
            return errf(err, errlen, "%s: %s", path, e ? strerror(e) : "file shrank while being read");
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = n;
    return 0;
}

static int gunzip(const char *path, const unsigned char *in, size_t inlen,
                  unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return errf(err, errlen, "%s: zlib initialisation failed", path);
    size_t cap = inlen * 4 + 4096, n = 0;
    unsigned char *buf = NULL;
    int r = Z_OK;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)inlen;   /* inlen <= MOD_FILE_MAX */
    for (;;) {
        if (cap > MOD_UNPACK_MAX)
            cap = MOD_UNPACK_MAX;
        unsigned char *nb = realloc(buf, cap);
        if (!nb) {
            r = Z_MEM_ERROR;
            break;
        }
        buf = nb;
        z.next_out = buf + n;
        z.avail_out = (uInt)(cap - n);
        r = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
        if (r == Z_STREAM_END)
            break;
        if (r != Z_OK && r != Z_BUF_ERROR)
            break;
        if (z.avail_out != 0) {     /* no more input: truncated */
            r = Z_DATA_ERROR;
            break;
        }
        if (cap == MOD_UNPACK_MAX) {
            r = Z_BUF_ERROR;
            break;
        }
        cap *= 2;
    }
    inflateEnd(&z);
    if (r != Z_STREAM_END) {
        free(buf);
        return errf(err, errlen, "%s: %s", path,
                    r == Z_BUF_ERROR ? "decompresses to more than 256 MiB"
                    : r == Z_MEM_ERROR ? "out of memory" : "corrupt or truncated gzip data");
    }
    *out = buf;
    *outlen = n;
    return 0;
}

int initrd_module_read(const char *path, unsigned char **data, size_t *len,
                       char *err, size_t errlen)
{
    size_t stem;
    enum initrd_kmod_comp c = comp_of(path, &stem);
    if (c == KMOD_XZ || c == KMOD_ZSTD)
        return errf(err, errlen, "%s: %s-compressed modules are not supported; decompress the "
                    "module tree first (e.g. `find DIR -name '*.ko.%s' -exec %s -d {} +`)",
                    path, c == KMOD_XZ ? "xz" : "zstd", c == KMOD_XZ ? "xz" : "zst",
                    c == KMOD_XZ ? "xz" : "zstd");
    unsigned char *raw;
    size_t rawlen;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (read_fd(fd, path, MOD_FILE_MAX, &raw, &rawlen, err, errlen) < 0)
        return -1;
    if (c != KMOD_GZIP) {
        *data = raw;
        *len = rawlen;
        return 0;
    }
    int rc = gunzip(path, raw, rawlen, data, len, err, errlen);
    free(raw);
    return rc;
}

int initrd_module_gunzip(const unsigned char *in, size_t inlen, unsigned char **data,
                         size_t *len, char *err, size_t errlen)
{
    if (inlen > MOD_FILE_MAX)
        return errf(err, errlen, "compressed module larger than %u bytes", MOD_FILE_MAX);
    return gunzip("module", in, inlen, data, len, err, errlen);
}

/* ---- module metadata ---- */

static int valid_name(const char *s, size_t len)
{
    if (!len || len > MOD_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static void normalise(char *s)
{
    for (; *s; s++)
        if (*s == '-')
            *s = '_';
}

void initrd_module_deps_free(char **deps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(deps[i]);
    free(deps);
}

int initrd_module_meta(const unsigned char *elf, size_t len, const char *kver, char ***deps,
                       size_t *ndeps, char *err, size_t errlen)
{
    *deps = NULL;
    *ndeps = 0;
    const char *val;
    size_t vlen;
    int got = initrd_modinfo_get(elf, len, "vermagic", &val, &vlen, err, errlen);
    if (got < 0)
        return -1;
    if (got && kver) {
        size_t w = 0;
        while (w < vlen && val[w] != ' ')
            w++;
        if (w != strlen(kver) || memcmp(val, kver, w)) {
            char shown[65];
            size_t sl = w < 64 ? w : 64;
            memcpy(shown, val, sl);        /* may hold a NUL: shown up to it */
            shown[sl] = 0;
            return errf(err, errlen, "built for kernel %s, not %s", shown, kver);
        }
    }
    got = initrd_modinfo_get(elf, len, "depends", &val, &vlen, err, errlen);
    if (got < 0)
        return -1;
    char **v = NULL;
    size_t n = 0;
    for (size_t i = 0; got && i < vlen;) {
        size_t j = i;
        while (j < vlen && val[j] != ',')
            j++;
        if (j > i) {
            if (!valid_name(val + i, j - i)) {
                initrd_module_deps_free(v, n);
                return errf(err, errlen, "bad dependency name in .modinfo");
            }
            char **nv = realloc(v, (n + 1) * sizeof *nv);
            if (nv)
                v = nv;
            char *d = nv ? strndup(val + i, j - i) : NULL;
            if (!d) {
                initrd_module_deps_free(v, n);
                return errf(err, errlen, "out of memory");
            }
            normalise(d);
            v[n++] = d;
        }
        i = j + 1;
    }
    *deps = v;
    *ndeps = n;
    return 0;
}

/* ---- the module tree index ---- */

struct kmod {
    char *name;     /* normalised */
    char *rel;      /* path relative to moddir */
    enum initrd_kmod_comp comp;
    int state;      /* 0 new, 1 visiting, 2 done */
};

struct index {
    const char *dir;
    int rootfd;                 /* dir, opened once; every file is found below it */
    struct kmod *v;
    size_t n, cap;
    char **builtin;     /* normalised names, sorted */
    size_t nbuiltin;
    struct initrd_modules *out;
    const char *stack[MOD_DEPTH_MAX];
    char *err;
    size_t errlen;
};

static int scan_entry(void *ctx, const struct hostwalk_ent *he)
{
    struct index *ix = ctx;
    if (he->name[0] == '.')
        return 1;               /* hidden: skipped, directories with their contents */
    if (S_ISDIR(he->st->st_mode))
        return 0;
    size_t stem;
    enum initrd_kmod_comp c = comp_of(he->name, &stem);
    if ((int)c < 0 || !S_ISREG(he->st->st_mode) || !valid_name(he->name, stem))
        return 0;
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? 2 * ix->cap : 256;
        struct kmod *nv = realloc(ix->v, cap * sizeof *nv);
        if (!nv)
            return errf(ix->err, ix->errlen, "out of memory");
        ix->v = nv;
        ix->cap = cap;
    }
    struct kmod *k = &ix->v[ix->n];
    memset(k, 0, sizeof *k);
    k->name = strndup(he->name, stem);
    k->rel = strdup(he->rel);
    k->comp = c;
    if (!k->name || !k->rel) {
        free(k->name);
        free(k->rel);
        return errf(ix->err, ix->errlen, "out of memory");
    }
    normalise(k->name);
    ix->n++;
    return 0;
}

static int cmp_kmod(const void *a, const void *b)
{
    const struct kmod *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->rel, y->rel);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* modules.builtin: one "kernel/.../name.ko" per line; optional. */
static int load_builtin(struct index *ix)
{
    int fd = openat(ix->rootfd, "modules.builtin",
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 && errno == ENOENT)
        return 0;
    char path[256];
    snprintf(path, sizeof path, "%.200s/modules.builtin", ix->dir);
    unsigned char *data;
    size_t len;
    if (read_fd(fd, path, BUILTIN_MAX, &data, &len, ix->err, ix->errlen) < 0)
        return -1;
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < len && !rc;) {
        size_t j = i;
        while (j < len && data[j] != '\n')
            j++;
        size_t ls = i;
        for (size_t k = i; k < j; k++)
            if (data[k] == '/')
                ls = k + 1;
        size_t bl = j - ls;
        if (bl > 3 && !memcmp(data + j - 3, ".ko", 3) && valid_name((char *)data + ls, bl - 3)) {
            if (ix->nbuiltin == cap) {
                cap = cap ? 2 * cap : 256;
                char **nb = realloc(ix->builtin, cap * sizeof *nb);
                if (!nb) {
                    rc = errf(ix->err, ix->errlen, "out of memory");
                    break;
                }
                ix->builtin = nb;
            }
            char *s = strndup((char *)data + ls, bl - 3);
            if (!s) {
                rc = errf(ix->err, ix->errlen, "out of memory");
                break;
            }
            normalise(s);
            ix->builtin[ix->nbuiltin++] = s;
        }
        i = j + 1;
    }
    free(data);
    if (ix->nbuiltin)
        qsort(ix->builtin, ix->nbuiltin, sizeof *ix->builtin, cmp_str);
    return rc;
}

static struct kmod *lookup(struct index *ix, const char *name)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {       /* first entry with this name */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->v[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->n && !strcmp(ix->v[lo].name, name) ? &ix->v[lo] : NULL;
}

static int is_builtin(struct index *ix, const char *name)
{
    const char *key = name;
    return ix->nbuiltin &&
           bsearch(&key, ix->builtin, ix->nbuiltin, sizeof *ix->builtin, cmp_str) != NULL;
}

static __attribute__((noinline)) int cycle_error(struct index *ix, const char *name, size_t depth)
{
    char chain[512] = "";
    size_t o = 0;
    size_t start = depth;
    while (start > 0 && strcmp(ix->stack[start - 1], name))
        start--;
    for (size_t i = start ? start - 1 : 0; i < depth && o < sizeof chain; i++)
        o += (size_t)snprintf(chain + o, sizeof chain - o, "%s -> ", ix->stack[i]);
    if (o < sizeof chain)
        snprintf(chain + o, sizeof chain - o, "%s", name);
    return errf(ix->err, ix->errlen, "module dependency cycle: %s", chain);
}

/* Reads module k (below the tree's fd, never through a symlink) and
 * decompresses it. */
static int read_module(struct index *ix, const struct kmod *k, const char *path,
                       unsigned char **data, size_t *len)
{
    if (k->comp == KMOD_XZ || k->comp == KMOD_ZSTD)
        return initrd_module_read(path, data, len, ix->err, ix->errlen);   /* the message */
    int fd = hostwalk_open(ix->rootfd, k->rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
        return errf(ix->err, ix->errlen, "%s: changed since the module tree was read", path);
    unsigned char *raw;
    size_t rawlen;
    if (read_fd(fd, path, MOD_FILE_MAX, &raw, &rawlen, ix->err, ix->errlen) < 0)
        return -1;
    if (k->comp != KMOD_GZIP) {
        *data = raw;
        *len = rawlen;
        return 0;
    }
    int rc = gunzip(path, raw, rawlen, data, len, ix->err, ix->errlen);
    free(raw);
    return rc;
}

/* Depth-first: the dependencies of `name`, then it.  Recursion is bounded
 * by MOD_DEPTH_MAX and each frame is small. */
static int visit(struct index *ix, const char *name, const char *kver, size_t depth,
                 const char *needed_by)
{
    struct kmod *k = lookup(ix, name);
    if (!k) {
        if (is_builtin(ix, name))
            return 0;
        if (needed_by)
            return errf(ix->err, ix->errlen, "module %s (needed by %s) not found in %s", name,
                        needed_by, ix->dir);
        return errf(ix->err, ix->errlen, "module %s not found in %s", name, ix->dir);
    }
    if (k->state == 2)
        return 0;
    if (k->state == 1)
        return cycle_error(ix, name, depth);
    if (depth >= MOD_DEPTH_MAX)
        return errf(ix->err, ix->errlen, "module %s: dependency chain deeper than %d", name,
                    MOD_DEPTH_MAX);
    k->state = 1;
    ix->stack[depth] = k->name;

    char *path = NULL, **deps = NULL;
    unsigned char *elf = NULL;
    size_t len = 0, ndeps = 0;
    int rc = 0;
    if (asprintf(&path, "%s/%s", ix->dir, k->rel) < 0) {
        path = NULL;
        rc = errf(ix->err, ix->errlen, "out of memory");
        goto out;
    }
    if ((rc = read_module(ix, k, path, &elf, &len)) < 0)
        goto out;
    if (initrd_module_meta(elf, len, kver, &deps, &ndeps, ix->err, ix->errlen) < 0) {
        char *e = strdup(ix->err);
        rc = errf(ix->err, ix->errlen, "%s: %s", path, e ? e : "out of memory");
        free(e);
        goto out;
    }
    for (size_t i = 0; i < ndeps && !rc; i++)
        rc = visit(ix, deps[i], kver, depth + 1, k->name);
    if (rc)
        goto out;

    struct initrd_modules *m = ix->out;
    struct initrd_module *nv = realloc(m->v, (m->n + 1) * sizeof *nv);
    if (!nv) {
        rc = errf(ix->err, ix->errlen, "out of memory");
        goto out;
    }
    m->v = nv;
    struct initrd_module *im = &m->v[m->n];
    memset(im, 0, sizeof *im);
    size_t stem;
    comp_of(k->rel, &stem);
    im->name = strdup(k->name);
    im->host_path = path;
    path = NULL;
    im->comp = k->comp;
    im->data = elf;             /* exactly what was checked is what is packed */
    im->len = len;
    elf = NULL;
    if (asprintf(&im->archive_path, "lib/modules/%s/%.*s.ko", kver, (int)stem, k->rel) < 0)
        im->archive_path = NULL;
    m->n++;
    if (!im->name || !im->archive_path)
        rc = errf(ix->err, ix->errlen, "out of memory");
    k->state = 2;
out:
    initrd_module_deps_free(deps, ndeps);
    free(path);
    free(elf);
    return rc;
}

int initrd_modules_resolve(const char *moddir, const char *kver, const char *const *names,
                           size_t n_names, struct initrd_modules *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!kver || !*kver || strlen(kver) > 128 || strchr(kver, '/') || strchr(kver, '\n') ||
        !strcmp(kver, ".") || !strcmp(kver, ".."))
        return errf(err, errlen, "bad kernel version string");
    char defdir[256];
    if (!moddir) {
        snprintf(defdir, sizeof defdir, "/lib/modules/%s", kver);
        moddir = defdir;
    }
    struct index ix = { .dir = moddir, .err = err, .errlen = errlen, .out = out };
    int rc = 0;
    /* The tree's own path is the user's choice (a symlink to it is fine);
     * below it nothing is followed. */
    ix.rootfd = open(moddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ix.rootfd < 0)
        rc = errf(err, errlen, "%s: %s", moddir, strerror(errno));
    if (!rc && !(out->kver = strdup(kver)))
        rc = errf(err, errlen, "out of memory");
    if (!rc)
        rc = hostwalk(ix.rootfd, moddir, MOD_TREE_DEPTH_MAX, scan_entry, &ix, err, errlen);
    if (!rc) {
        if (ix.n)
            qsort(ix.v, ix.n, sizeof *ix.v, cmp_kmod);
        rc = load_builtin(&ix);
    }
    for (size_t i = 0; i < n_names && !rc; i++) {
        if (!valid_name(names[i], strlen(names[i]))) {
            rc = errf(err, errlen, "bad module name '%.64s'", names[i]);
            break;
        }
        char name[MOD_NAME_MAX + 1];
        snprintf(name, sizeof name, "%s", names[i]);
        normalise(name);
        rc = visit(&ix, name, kver, 0, NULL);
    }
    if (ix.rootfd >= 0)
        close(ix.rootfd);
    for (size_t i = 0; i < ix.n; i++) {
        free(ix.v[i].name);
        free(ix.v[i].rel);
    }
    free(ix.v);
    for (size_t i = 0; i < ix.nbuiltin; i++)
        free(ix.builtin[i]);
    free(ix.builtin);
    if (rc)
        initrd_modules_free(out);
    return rc;
}

void initrd_modules_free(struct initrd_modules *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].name);
        free(m->v[i].host_path);
        free(m->v[i].archive_path);
        free(m->v[i].data);
    }
    free(m->v);
    free(m->kver);
    memset(m, 0, sizeof *m);
}

int initrd_modules_add(struct cpio_builder *b, const struct initrd_modules *m,
                       char *err, size_t errlen)
{
    return initrd_modules_add_at(b, m, "", err, errlen);
}

int initrd_modules_add_at(struct cpio_builder *b, const struct initrd_modules *m,
                          const char *top, char *err, size_t errlen)
{
    size_t cap = 64, n = 0;
    char *list = malloc(cap);
    if (!list)
        return errf(err, errlen, "out of memory");
    list[0] = 0;
    int rc = 0;
    for (size_t i = 0; i < m->n && !rc; i++) {
        const struct initrd_module *im = &m->v[i];
        /* The bytes read (and checked) by initrd_modules_resolve: the file
         * is not opened again. */
        char at[4096];
        if (snprintf(at, sizeof at, "%s%s", top, im->archive_path) >= (int)sizeof at)
            rc = errf(err, errlen, "module path too long: %s", im->archive_path);
        else if (cpio_add_file_mem(b, at, 0644, im->data, im->len) < 0)
            rc = errf(err, errlen, "%s", cpio_error(b));
        size_t need = n + strlen(at) + 3;
        if (!rc && need > cap) {
            while (cap < need)
                cap *= 2;
            char *nl = realloc(list, cap);
            if (!nl)
                rc = errf(err, errlen, "out of memory");
            else
                list = nl;
        }
        if (!rc)
            n += (size_t)sprintf(list + n, "/%s\n", at);
    }
    if (!rc) {
        char path[256];
        snprintf(path, sizeof path, "%slib/modules/%s/minivmm.load", top, m->kver);
        if (cpio_add_file_mem(b, path, 0644, list, n) < 0)
            rc = errf(err, errlen, "%s", cpio_error(b));
    }
    free(list);
    return rc;
}
