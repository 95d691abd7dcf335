/* Fuzz target: raw 9P2000.L requests handled by the server (virtio/9p_*.c)
 * against a small export made afresh for every input, so that an input
 * always does the same thing.  Tversion and Tattach (fid 0), a walk to the
 * file "f" opened read-write (fid 1) and to the directory "d" (fid 2) come
 * first, so fuzzed requests reach the fid operations at once.
 *
 * Input: a sequence of chunks  len[2] flags[1] bytes[len]; each chunk is
 * one request, as the guest would put it in its buffers (flags: the size
 * of the reply buffers, and whether both are split in two).
 *
 * Checked after every input: the server's replies are well-formed, the
 * canary next to the export is untouched and nothing new appeared beside
 * the export (confinement), and no descriptor is left open.  Disk use is
 * bounded by max= (1 MiB) and the export is removed after each input. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "virtio/9p.h"

static char base[64], exp_[96], canary[96];
static struct stat canary_st;

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
}

/* The guest may have taken every permission away (matters when not root). */
static int unlock_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)f;
    if (type == FTW_D || type == FTW_DNR)
        chmod(p, 0700);
    (void)st;
    return 0;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)st, (void)type, (void)f;
    if (remove(p))
        abort();
    return 0;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        abort();
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void cleanup(void)
{
    unlink(canary);
    rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(base, sizeof(base), "/tmp/minivmm-fuzz9p.XXXXXX");
    if (!mkdtemp(base))
        abort();
    snprintf(exp_, sizeof(exp_), "%s/export", base);
    snprintf(canary, sizeof(canary), "%s/canary", base);
    put(canary, "secret");
    if (stat(canary, &canary_st))
        abort();
    atexit(cleanup);
    return 0;
}

/* One request in, the reply checked. */
static void request(struct p9_server *s, const uint8_t *msg, size_t len, uint8_t flags)
{
    static const size_t outs[4] = { P9_MAX_MSIZE + 4096, 11, 100, 4096 };
    size_t outlen = outs[flags & 3];
    uint8_t *in = malloc(len ? len : 1), *out = malloc(outlen);
    if (!in || !out)
        abort();
    memcpy(in, msg, len);
    struct iovec iv[2] = { { in, len } }, ov[2] = { { out, outlen } };
    int nin = 1, nout = 1;
    if (flags & 4) {            /* split both in the middle */
        iv[1] = (struct iovec){ in + len / 2, len - len / 2 };
        iv[0].iov_len = len / 2;
        ov[1] = (struct iovec){ out + outlen / 2, outlen - outlen / 2 };
        ov[0].iov_len = outlen / 2;
        nin = nout = 2;
    }
    size_t n = p9_handle(s, iv, nin, ov, nout);
    if (n > outlen || (n && n < 7))
        abort();
    if (n) {
        uint32_t size = (uint32_t)out[0] | (uint32_t)out[1] << 8 | (uint32_t)out[2] << 16 |
                        (uint32_t)out[3] << 24;
        if (size != n || (out[4] & 1) == 0)     /* R-messages are odd */
            abort();
    } else if (outlen >= 11) {
        abort();                /* room for an Rlerror: there must be a reply */
    }
    free(in);
    free(out);
}

/* A well-formed request built here (for the fixed start). */
static void say(struct p9_server *s, uint8_t type, const void *body, size_t blen)
{
    uint8_t m[128];
    size_t n = 7 + blen;
    m[0] = (uint8_t)n, m[1] = m[2] = m[3] = 0, m[4] = type, m[5] = 1, m[6] = 0;
    memcpy(m + 7, body, blen);
    request(s, m, n, 0);
}

static void check_outside(void)
{
    struct stat st;
    char buf[16] = "";
    int fd = open(canary, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, sizeof(buf)) != 6 || memcmp(buf, "secret", 6) || fstat(fd, &st))
        abort();
    close(fd);
    if (st.st_ino != canary_st.st_ino || st.st_mode != canary_st.st_mode ||
        st.st_uid != canary_st.st_uid || st.st_nlink != 1 ||
        st.st_mtim.tv_sec != canary_st.st_mtim.tv_sec ||
        st.st_mtim.tv_nsec != canary_st.st_mtim.tv_nsec)
        abort();
    DIR *d = opendir(base);
    if (!d)
        abort();
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "canary") &&
            strcmp(e->d_name, "export"))
            abort();            /* something appeared beside the export */
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    int fds = count_fds();
    char p[160];
    if (mkdir(exp_, 0755))
        abort();
    snprintf(p, sizeof(p), "%s/f", exp_);
    put(p, "0123456789");
    snprintf(p, sizeof(p), "%s/d", exp_);
    if (mkdir(p, 0755))
        abort();
    snprintf(p, sizeof(p), "%s/d/g", exp_);
    put(p, "g");
    snprintf(p, sizeof(p), "%s/up", exp_);
    if (symlink("../canary", p))
        abort();
    snprintf(p, sizeof(p), "%s/abs", exp_);
    if (symlink(base, p))
        abort();

    char err[256];
    struct p9_server *s = p9_server_new(exp_, false, err, sizeof(err));
    if (!s)
        abort();
    p9_server_set_max(s, 1u << 20);
    /* Tversion msize 65536 "9P2000.L"; Tattach fid 0; walks; Tlopen fid 1 O_RDWR. */
    say(s, 100, "\x00\x00\x01\x00\x08\x009P2000.L", 14);
    say(s, 104, "\x00\x00\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00", 16);
    say(s, 110, "\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x01\x00" "f", 13);
    say(s, 110, "\x00\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01\x00" "d", 13);
    say(s, 12, "\x01\x00\x00\x00\x02\x00\x00\x00", 8);

    while (len >= 3) {
        size_t n = (size_t)data[0] | (size_t)data[1] << 8;
        uint8_t flags = data[2];
        data += 3;
        len -= 3;
        if (n > len)
            n = len;
        request(s, data, n, flags);
        data += n;
        len -= n;
    }
    p9_server_free(s);
    check_outside();
    chmod(exp_, 0700);
    nftw(exp_, unlock_one, 16, FTW_PHYS);
    if (nftw(exp_, rm_one, 16, FTW_DEPTH | FTW_PHYS))
        abort();
    if (count_fds() != fds)
        abort();                /* a descriptor was left open */
    return 0;
}
