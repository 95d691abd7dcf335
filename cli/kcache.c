/* The unpacked-kernel cache (see kcache.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include "boot/payload.h"
#include "vmm/fdio.h"
#include "cli/kcache.h"

#define MAGIC "minivmm-vmlinux1"
#define TRAILER 32
#define STALE_TMP_S 600            /* a temporary file this old was left by a dead process */

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Maps path and checks its trailer and hash: 1 usable, 0 absent, -1 corrupt. */
static int open_entry(const char *path, struct kcache_entry *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    struct stat st;
    int ok = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > TRAILER &&
        (uint64_t)st.st_size < (1ULL << 32) + TRAILER) {
        size_t n = (size_t)st.st_size;
        void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            const uint8_t *t = (const uint8_t *)m + n - TRAILER;
            if (!memcmp(t, MAGIC, 16) && get64(t + 16) == n - TRAILER &&
                get64(t + 24) == XXH3_64bits(m, n - TRAILER)) {
                e->map = m;
                e->maplen = n;
                e->elf = m;
                e->len = n - TRAILER;
                futimens(fd, NULL);            /* recently used: evicted last */
                ok = 1;
            } else {
                munmap(m, n);
            }
        }
    }
    close(fd);
    return ok;
}

struct aged { char name[128]; time_t mtime; off_t size; };

static int by_age(const void *a, const void *b)
{
    const struct aged *x = a, *y = b;
    return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

/* Removes dead processes' temporary files, then the least recently used
 * entries other than keep until the rest fit in max bytes. */
static void evict(const char *dir, uint64_t max, const char *keep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct aged *v = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    time_t now = time(NULL);
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        size_t nl = strlen(de->d_name);
        if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp-")) {
            if (now - st.st_mtime > STALE_TMP_S)
                unlinkat(dirfd(d), de->d_name, 0);
            continue;
        }
        if (nl < 5 || nl >= sizeof(v->name) || strcmp(de->d_name + nl - 4, ".elf"))
            continue;
        total += (uint64_t)st.st_size;
        if (!strcmp(de->d_name, keep))
            continue;
        if (n == cap) {
            struct aged *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        memcpy(v[n].name, de->d_name, nl + 1);   /* nl < sizeof(name), checked above */
        v[n].mtime = st.st_mtime;
        v[n++].size = st.st_size;
    }
    if (n)
        qsort(v, n, sizeof(*v), by_age);
    for (size_t i = 0; i < n && total > max; i++)
        if (unlinkat(dirfd(d), v[i].name, 0) == 0)
            total -= (uint64_t)v[i].size;
    free(v);
    closedir(d);
}

/* mkdir -p: 0, or -1 with errno. */
static int mkdirs(const char *path)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s", path);
    for (char *c = p + 1; *c; c++)
        if (*c == '/') {
            *c = 0;
            if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return -1;
            *c = '/';
        }
    return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Writes elf[len] and its trailer as dir/name, atomically. */
static int store(const char *dir, const char *name, const uint8_t *elf, size_t len)
{
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", dir, name);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    uint8_t t[TRAILER];
    memcpy(t, MAGIC, 16);
    put64(t + 16, len);
    put64(t + 24, XXH3_64bits(elf, len));
    int rc = fd_write_all(fd, elf, len) || fd_write_all(fd, t, TRAILER) ? -1 : 0;
    if (close(fd) < 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -1;
    if (rc < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    return rc;
}

void kcache_key(const uint8_t *img, size_t len, uint8_t key[KCACHE_KEY_LEN])
{
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(img, len));
    memcpy(key, c.digest, KCACHE_KEY_LEN);
}

struct names { char name[2 * KCACHE_KEY_LEN + 8], dir[4096], path[4200]; };

static void entry_names(const char *cache_dir, const uint8_t key[KCACHE_KEY_LEN], struct names *nm)
{
    char hex[2 * KCACHE_KEY_LEN + 1];
    for (int i = 0; i < KCACHE_KEY_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(nm->name, sizeof(nm->name), "%s.elf", hex);
    snprintf(nm->dir, sizeof(nm->dir), "%s/vmlinux", cache_dir);
    snprintf(nm->path, sizeof(nm->path), "%s/%s", nm->dir, nm->name);
}

bool kcache_lookup(const char *cache_dir, const uint8_t key[KCACHE_KEY_LEN], struct kcache_entry *e)
{
    memset(e, 0, sizeof(*e));
    struct names nm;
    entry_names(cache_dir, key, &nm);
    int r = open_entry(nm.path, e);
    if (r > 0) {
        e->hit = true;
        return true;
    }
    if (r < 0) {
        fprintf(stderr, "minivmm: the cached vmlinux %s is corrupt: unpacking it again\n", nm.path);
        unlink(nm.path);
    }
    return false;
}

int kcache_get(const char *cache_dir, const uint8_t *img, size_t len, const struct bz_info *bz,
               uint64_t max_bytes, struct kcache_entry *e, char *err, size_t errlen)
{
    uint8_t d[KCACHE_KEY_LEN];
    kcache_key(img, len, d);
    if (kcache_lookup(cache_dir, d, e))
        return 0;
    return kcache_fill(cache_dir, d, bz, max_bytes, e, err, errlen);
}

int kcache_fill(const char *cache_dir, const uint8_t key[KCACHE_KEY_LEN], const struct bz_info *bz,
                uint64_t max_bytes, struct kcache_entry *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof(*e));
    struct names nm;
    entry_names(cache_dir, key, &nm);
    const char *dir = nm.dir, *name = nm.name;
    size_t n;
    if (payload_unpack(bz->payload, bz->payload_len, bz->init_size, &e->heap, &n, err, errlen) < 0)
        return -1;
    e->elf = e->heap;
    e->len = n;
    if (mkdirs(dir) < 0 || store(dir, name, e->heap, n) < 0)
        fprintf(stderr, "minivmm: cannot keep the unpacked kernel in %s (%s); using it from "
                "memory\n", dir, strerror(errno));
    else
        evict(dir, max_bytes, name);
    return 0;
}

void kcache_release(struct kcache_entry *e)
{
    if (e->map)
        munmap(e->map, e->maplen);
    free(e->heap);
    memset(e, 0, sizeof(*e));
}
