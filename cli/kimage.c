/* The --kernel file, read a part at a time (see kimage.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>
#include "boot/vmlinux.h"
#include "cli/kimage.h"
#include "cli/status.h"

#define CHUNK (1u << 20)
#define BANNER_MAX 256               /* "Linux version " and the release after it */

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

/* pread of exactly n bytes at off: 0, or -1 (short: the file shrank). */
static int read_at(int fd, uint8_t *dst, size_t n, uint64_t off)
{
    while (n) {
        ssize_t r = pread(fd, dst, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        dst += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int kimage_open(struct kimage *k, const char *path, char *err, size_t errlen)
{
    memset(k, 0, sizeof(*k));
    k->path = path;
    k->fd = -1;
    struct stat st0;
    if (stat(path, &st0) < 0) {
        snprintf(err, errlen, "cannot read kernel %s: %s", path, strerror(errno));
        return EXIT_HOST_ERROR;
    }
    if (!S_ISREG(st0.st_mode)) {
        snprintf(err, errlen, "kernel %s is not a regular file", path);
        return EXIT_HOST_ERROR;
    }
    /* O_NONBLOCK: a FIFO swapped in after the stat cannot hang us. */
    k->fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (k->fd < 0 || fstat(k->fd, &k->st) < 0) {
        snprintf(err, errlen, "cannot read kernel %s: %s", path, strerror(errno));
        kimage_close(k);
        return EXIT_HOST_ERROR;
    }
    if (!S_ISREG(k->st.st_mode) || k->st.st_dev != st0.st_dev || k->st.st_ino != st0.st_ino) {
        snprintf(err, errlen, "kernel %s changed while being opened", path);
        kimage_close(k);
        return EXIT_HOST_ERROR;
    }
    fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) & ~O_NONBLOCK);
    k->cur = k->st;
    if (k->st.st_size > KIMAGE_MAX_SIZE) {       /* checked before reading a byte */
        snprintf(err, errlen, "cannot boot %s: it is %llu MiB, larger than any kernel image "
                 "(at most %d MiB)", path, (unsigned long long)(k->st.st_size >> 20),
                 KIMAGE_MAX_SIZE >> 20);
        kimage_close(k);
        return EXIT_CANNOT_TEST;
    }
    k->len = (size_t)k->st.st_size;
    size_t pg = page_size();
    k->maplen = (k->len + pg - 1) / pg * pg;
    if (k->maplen) {
        void *m = mmap(NULL, k->maplen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (m == MAP_FAILED) {
            snprintf(err, errlen, "cannot read kernel %s: %s", path, strerror(errno));
            kimage_close(k);
            return EXIT_HOST_ERROR;
        }
        k->map = m;
    } else {
        static uint8_t empty[1];
        k->map = empty;                          /* nothing to read: every parser refuses it */
    }
    return 0;
}

int kimage_need(struct kimage *k, uint64_t off, uint64_t n, char *err, size_t errlen)
{
    if (off >= k->len || n == 0)
        return 0;
    if (n > k->len - off)
        n = k->len - off;
    size_t pg = page_size();
    size_t start = (size_t)off / pg * pg;
    size_t end = ((size_t)(off + n) + pg - 1) / pg * pg;     /* within maplen */
    size_t fend = end < k->len ? end : k->len;
    if (mprotect(k->map + start, end - start, PROT_READ | PROT_WRITE) < 0) {
        snprintf(err, errlen, "cannot read kernel %s: %s", k->path, strerror(errno));
        return -1;
    }
    if (read_at(k->fd, k->map + start, fend - start, start) < 0 ||
        mprotect(k->map + start, end - start, PROT_READ) < 0) {
        snprintf(err, errlen, "cannot read kernel %s: it changed while being read", k->path);
        return -1;
    }
    return 0;
}

void kimage_drop(struct kimage *k, uint64_t off, uint64_t n)
{
    if (!k->maplen || off >= k->len || n == 0)
        return;
    if (n > k->len - off)
        n = k->len - off;
    size_t pg = page_size();
    size_t start = ((size_t)off + pg - 1) / pg * pg;
    size_t end = (size_t)(off + n) / pg * pg;
    if (off + n == k->len)
        end = k->maplen;                         /* the last page is the file's alone */
    if (end > start) {
        madvise(k->map + start, end - start, MADV_DONTNEED);
        mprotect(k->map + start, end - start, PROT_NONE);
    }
}

int kimage_pread(struct kimage *k, uint64_t off, uint64_t n, void *dst, char *err,
                 size_t errlen)
{
    if (off > k->len || n > k->len - off || read_at(k->fd, dst, (size_t)n, off) < 0) {
        snprintf(err, errlen, "cannot read kernel %s: it changed while being read", k->path);
        return -1;
    }
    return 0;
}

int kimage_key(struct kimage *k, uint8_t out[KIMAGE_KEY_LEN], char *err, size_t errlen)
{
    uint8_t *buf = malloc(CHUNK);
    XXH3_state_t *s = XXH3_createState();
    if (!buf || !s || XXH3_128bits_reset(s) != XXH_OK) {
        free(buf);
        XXH3_freeState(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t off = 0; off < k->len && rc == 0; off += CHUNK) {
        size_t n = k->len - off < CHUNK ? k->len - off : CHUNK;
        rc = kimage_pread(k, off, n, buf, err, errlen);
        if (rc == 0)
            XXH3_128bits_update(s, buf, n);
    }
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(s));
    memcpy(out, c.digest, KIMAGE_KEY_LEN);
    XXH3_freeState(s);
    free(buf);
    return rc;
}

void kimage_elf_version(struct kimage *k, char *out, size_t outlen)
{
    static const char banner[] = "Linux version ";
    if (outlen)
        out[0] = 0;
    uint8_t *buf = malloc(CHUNK + BANNER_MAX);
    if (!buf)
        return;
    /* Chunks overlap by BANNER_MAX bytes; a banner is taken from the chunk
     * in which it starts at least BANNER_MAX bytes before the end (or the
     * last chunk), so that it is never cut. */
    for (size_t off = 0; off < k->len; off += CHUNK) {
        size_t n = k->len - off < CHUNK + BANNER_MAX ? k->len - off : CHUNK + BANNER_MAX;
        bool last = off + n == k->len;
        if (kimage_pread(k, off, n, buf, NULL, 0) < 0)
            break;
        const uint8_t *p = memmem(buf, n, banner, sizeof(banner) - 1);
        if (p && (last || (size_t)(p - buf) < CHUNK)) {
            vmlinux_version(p, n - (size_t)(p - buf), out, outlen);
            break;
        }
        if (last)
            break;
    }
    free(buf);
}

int kimage_snapshot(struct kimage *k, char *err, size_t errlen)
{
    int m = memfd_create("minivmm-kernel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    uint8_t *buf = m >= 0 ? malloc(CHUNK) : NULL;
    if (!buf) {
        if (m >= 0)
            close(m);
        return 0;
    }
    int rc = 0;
    for (size_t off = 0; off < k->len && rc == 0; off += CHUNK) {
        size_t n = k->len - off < CHUNK ? k->len - off : CHUNK;
        rc = kimage_pread(k, off, n, buf, err, errlen);
        for (size_t done = 0; rc == 0 && done < n;) {
            ssize_t w = pwrite(m, buf + done, n - done, (off_t)(off + done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                close(m);                        /* no room: read the file per job */
                free(buf);
                return 0;
            }
            done += (size_t)w;
        }
    }
    free(buf);
    struct stat st;
    if (rc == 0)
        rc = kimage_check(k, err, errlen);
    /* Sealed: no VM process (each gets the descriptor) can change the bytes
     * the later jobs boot. */
    if (rc < 0 ||
        fcntl(m, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0 ||
        fstat(m, &st) < 0) {
        close(m);
        return rc;
    }
    close(k->fd);
    k->fd = m;
    k->cur = st;
    k->sealed = true;
    return 0;
}

int kimage_check(struct kimage *k, char *err, size_t errlen)
{
    struct stat st;
    uint8_t extra;
    const struct stat *o = &k->cur;
    if (k->sealed)              /* the bytes cannot change (a refused write still
                                 * moves its times) */
        return 0;
    if (fstat(k->fd, &st) < 0 || st.st_ino != o->st_ino || st.st_dev != o->st_dev ||
        st.st_size != o->st_size || st.st_mtim.tv_sec != o->st_mtim.tv_sec ||
        st.st_mtim.tv_nsec != o->st_mtim.tv_nsec || st.st_ctim.tv_sec != o->st_ctim.tv_sec ||
        st.st_ctim.tv_nsec != o->st_ctim.tv_nsec || pread(k->fd, &extra, 1, (off_t)k->len) != 0) {
        snprintf(err, errlen, "cannot read kernel %s: it changed while being read", k->path);
        return -1;
    }
    return 0;
}

void kimage_close(struct kimage *k)
{
    if (k->maplen && k->map)
        munmap(k->map, k->maplen);
    if (k->fd >= 0)
        close(k->fd);
    k->map = NULL;
    k->maplen = 0;
    k->fd = -1;
}
