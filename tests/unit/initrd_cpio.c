/* Tests for the cpio newc writer (initrd/cpio.h): archives are checked with
 * GNU cpio and gzip, byte for byte where determinism is promised. */
#include "initrd/cpio.h"
#include "initrd/sha256.h"
#include "tests/unit/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static char *tmpdir(void)
{
    char *t = strdup("/tmp/initrd_cpio_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t));
    return t;
}

static void put(const char *dir, const char *rel, const void *data, size_t len, mode_t mode)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_msg(fd >= 0, "create %s: %s", p, strerror(errno));
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

static void mkd(const char *dir, const char *rel, mode_t mode)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    ck_assert_msg(mkdir(p, 0700) == 0, "mkdir %s: %s", p, strerror(errno));
    ck_assert_int_eq(chmod(p, mode), 0);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "command failed: %s", cmd);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s", path);
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static size_t count(const unsigned char *hay, size_t n, const char *needle)
{
    size_t c = 0, nl = strlen(needle);
    for (size_t i = 0; i + nl <= n; i++)
        if (!memcmp(hay + i, needle, nl))
            c++;
    return c;
}

/* Recursively compares two trees: names, types, permissions, contents,
 * symlink targets. */
static int cmp_name(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static size_t listdir(const char *d, char **names)
{
    DIR *dir = opendir(d);
    ck_assert_msg(dir != NULL, "opendir %s", d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dir)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            names[n++] = strdup(de->d_name);
    closedir(dir);
    qsort(names, n, sizeof *names, cmp_name);
    return n;
}

static void compare_tree(const char *a, const char *b)
{
    struct stat sa, sb;
    ck_assert_msg(lstat(a, &sa) == 0, "lstat %s", a);
    ck_assert_msg(lstat(b, &sb) == 0, "missing after extraction: %s", b);
    ck_assert_msg((sa.st_mode & S_IFMT) == (sb.st_mode & S_IFMT), "type differs: %s", b);
    if (!S_ISLNK(sa.st_mode))
        ck_assert_msg((sa.st_mode & 07777) == (sb.st_mode & 07777), "mode %o != %o: %s",
                      sa.st_mode & 07777, sb.st_mode & 07777, b);
    if (S_ISREG(sa.st_mode)) {
        size_t la, lb;
        unsigned char *da = slurp(a, &la), *db = slurp(b, &lb);
        ck_assert_msg(la == lb && !memcmp(da, db, la), "content differs: %s", b);
        free(da);
        free(db);
    } else if (S_ISLNK(sa.st_mode)) {
        char ta[4096], tb[4096];
        ssize_t na = readlink(a, ta, sizeof ta), nb = readlink(b, tb, sizeof tb);
        ck_assert_msg(na == nb && na > 0 && !memcmp(ta, tb, (size_t)na), "link differs: %s", b);
    } else if (S_ISDIR(sa.st_mode)) {
        char *na[64], *nb[64];
        size_t ca = listdir(a, na), cb = listdir(b, nb);
        ck_assert_msg(ca == cb, "entry count %zu != %zu in %s", ca, cb, b);
        for (size_t i = 0; i < ca; i++) {
            ck_assert_msg(!strcmp(na[i], nb[i]), "name %s != %s in %s", na[i], nb[i], b);
            char pa[8192], pb[8192];
            snprintf(pa, sizeof pa, "%s/%s", a, na[i]);
            snprintf(pb, sizeof pb, "%s/%s", b, nb[i]);
            compare_tree(pa, pb);
            free(na[i]);
            free(nb[i]);
        }
    }
}

#define LONGDIR "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define LONGFILE "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff.txt"
#define ODDNAME "odd \x01\x7f\xff\xc3\xa9 'q\" *?[x]\\"

/* A tree with every kind of entry the writer must handle. */
static char *make_tree(void)
{
    char *d = tmpdir();
    put(d, "hello.txt", "hello, world\n", 13, 0644);
    put(d, "script.sh", "#!/bin/sh\necho hi\n", 18, 0755);
    put(d, "private", "secret", 6, 0600);
    put(d, "empty", "", 0, 0640);
    mkd(d, "emptydir", 0700);
    mkd(d, "sub", 0755);
    mkd(d, "sub/deeper", 0750);
    put(d, "sub/deeper/data.bin", "\0\1\2\3\377binary", 11, 0444);
    put(d, "hardlink-a", "HARDLINK-PAYLOAD-0123456789", 27, 0644);
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/hardlink-a", d);
    snprintf(b, sizeof b, "%s/sub/hardlink-b", d);
    ck_assert_int_eq(link(a, b), 0);
    snprintf(b, sizeof b, "%s/zz-hardlink-c", d);
    ck_assert_int_eq(link(a, b), 0);
    snprintf(b, sizeof b, "%s/link-rel", d);
    ck_assert_int_eq(symlink("hello.txt", b), 0);
    snprintf(b, sizeof b, "%s/sub/link-dangling", d);
    ck_assert_int_eq(symlink("../nowhere/at/all", b), 0);
    snprintf(b, sizeof b, "%s/link-abs", d);
    ck_assert_int_eq(symlink("/etc/passwd", b), 0);
    mkd(d, LONGDIR, 0755);
    put(d, LONGDIR "/" LONGFILE, "long name\n", 10, 0644);
    put(d, ODDNAME, "odd\n", 4, 0644);
    return d;
}

static void pack(const char *src, const char *out, enum cpio_compress c, bool repro)
{
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_msg(cpio_add_host(b, src, "") == 0, "add: %s", cpio_error(b));
    struct cpio_opts o = { .compress = c, .reproducible = repro };
    ck_assert_msg(cpio_write_file(b, out, &o) == 0, "write: %s", cpio_error(b));
    cpio_builder_free(b);
}

static void check_hardlinks(const char *x)
{
    char p[4096];
    struct stat s1, s2, s3;
    snprintf(p, sizeof p, "%s/hardlink-a", x);
    ck_assert_int_eq(stat(p, &s1), 0);
    snprintf(p, sizeof p, "%s/sub/hardlink-b", x);
    ck_assert_int_eq(stat(p, &s2), 0);
    snprintf(p, sizeof p, "%s/zz-hardlink-c", x);
    ck_assert_int_eq(stat(p, &s3), 0);
    ck_assert_msg(s1.st_ino == s2.st_ino && s1.st_ino == s3.st_ino,
                  "hard links not linked after extraction");
    ck_assert_int_eq(s1.st_nlink, 3);
    ck_assert_int_eq(s1.st_size, 27);
}

START_TEST(test_roundtrip_plain)
{
    char *src = make_tree(), *x = tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s.cpio", x);
    pack(src, out, CPIO_COMPRESS_NONE, false);
    sh("cd %s && cpio -idm --no-absolute-filenames --quiet < %s", x, out);
    compare_tree(src, x);
    check_hardlinks(x);
    size_t n;
    unsigned char *a = slurp(out, &n);
    ck_assert_int_eq(n % 4, 0);
    ck_assert_msg(!memcmp(a, "070701", 6), "bad magic");
    ck_assert_uint_eq(count(a, n, "HARDLINK-PAYLOAD"), 1);    /* data stored once */
    /* ... with the last link in archive order (newc convention). */
    unsigned char *pl = memmem(a, n, "HARDLINK-PAYLOAD", 16);
    unsigned char *last = memmem(a, n, "zz-hardlink-c", 13);
    ck_assert_msg(pl && last && pl > last, "hard-link data not stored with the last link");
    ck_assert_uint_eq(count(a, n, "TRAILER!!!"), 1);
    /* Every header starts 4-byte aligned: walk the archive ourselves. */
    size_t off = 0, entries = 0;
    for (;;) {
        ck_assert_msg(off + 110 <= n && !memcmp(a + off, "070701", 6), "bad header at %zu", off);
        char f[9] = { 0 };
        memcpy(f, a + off + 54, 8);
        size_t fsize = strtoul(f, NULL, 16);
        memcpy(f, a + off + 94, 8);
        size_t nsize = strtoul(f, NULL, 16);
        bool last = !strcmp((char *)a + off + 110, "TRAILER!!!");
        off = (off + 110 + nsize + 3) & ~(size_t)3;
        off = (off + fsize + 3) & ~(size_t)3;
        entries++;
        if (last)
            break;
    }
    ck_assert_uint_eq(off, n);
    ck_assert_uint_eq(entries, 17 + 1);   /* make_tree's entries + trailer */
    /* Non-reproducible: host mtimes survive (cpio -m). */
    struct stat s1, s2;
    char p[4096];
    snprintf(p, sizeof p, "%s/hello.txt", src);
    ck_assert_int_eq(stat(p, &s1), 0);
    snprintf(p, sizeof p, "%s/hello.txt", x);
    ck_assert_int_eq(stat(p, &s2), 0);
    ck_assert_int_eq(s1.st_mtime, s2.st_mtime);
    free(a);
    sh("rm -rf %s %s %s", src, x, out);
    free(src);
    free(x);
}
END_TEST

START_TEST(test_roundtrip_gzip)
{
    char *src = make_tree(), *x = tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s.cpio.gz", x);
    pack(src, out, CPIO_COMPRESS_GZIP, true);
    sh("gzip -t %s", out);
    sh("cd %s && gzip -dc %s | cpio -idm --no-absolute-filenames --quiet", x, out);
    compare_tree(src, x);
    check_hardlinks(x);
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/sub/deeper/data.bin", x);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mtime, 0);   /* reproducible: mtime 0 */
    sh("rm -rf %s %s %s", src, x, out);
    free(src);
    free(x);
}
END_TEST

START_TEST(test_deterministic)
{
    char *src = make_tree();
    char o1[4096], o2[4096], o3[4096];
    snprintf(o1, sizeof o1, "%s.1", src);
    snprintf(o2, sizeof o2, "%s.2", src);
    snprintf(o3, sizeof o3, "%s.3", src);
    pack(src, o1, CPIO_COMPRESS_GZIP, true);
    /* Touch a file: reproducible output must not change. */
    char p[4096];
    snprintf(p, sizeof p, "%s/hello.txt", src);
    struct timespec ts[2] = { { 12345, 0 }, { 12345, 0 } };
    ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
    pack(src, o2, CPIO_COMPRESS_GZIP, true);
    size_t n1, n2, n3;
    unsigned char *a = slurp(o1, &n1), *b = slurp(o2, &n2);
    ck_assert_msg(n1 == n2 && !memcmp(a, b, n1), "two reproducible packs differ");
    /* Synthetic entries added in a different order: same bytes. */
    struct cpio_builder *b1 = cpio_builder_new(), *b2 = cpio_builder_new();
    struct cpio_opts o = { .compress = CPIO_COMPRESS_NONE, .reproducible = true };
    ck_assert_int_eq(cpio_add_file_mem(b1, "/x/init", 0755, "A", 1), 0);
    ck_assert_int_eq(cpio_add_chardev(b1, "/dev/console", 0600, 5, 1), 0);
    ck_assert_int_eq(cpio_add_chardev(b2, "/dev/console", 0600, 5, 1), 0);
    ck_assert_int_eq(cpio_add_file_mem(b2, "/x/init", 0755, "A", 1), 0);
    ck_assert_int_eq(cpio_write_file(b1, o1, &o), 0);
    ck_assert_int_eq(cpio_write_file(b2, o3, &o), 0);
    free(a);
    a = slurp(o1, &n1);
    unsigned char *c = slurp(o3, &n3);
    ck_assert_msg(n1 == n3 && !memcmp(a, c, n1), "order of addition changed the output");
    cpio_builder_free(b1);
    cpio_builder_free(b2);
    free(a);
    free(b);
    free(c);
    sh("rm -rf %s %s %s %s", src, o1, o2, o3);
    free(src);
}
END_TEST

/* The exact bytes of a header, independent of GNU cpio's leniency. */
START_TEST(test_header_bytes)
{
    char *d = tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/a.cpio", d);
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_chardev(b, "dev/console", 0600, 5, 1), 0);
    struct cpio_opts o = { 0 };
    ck_assert_int_eq(cpio_write_file(b, out, &o), 0);
    size_t n;
    unsigned char *a = slurp(out, &n);
    static const char want[] =
        /* "dev": synthesised parent, ino 1, dir 0755, nlink 2 */
        "070701" "00000001" "000041ED" "00000000" "00000000" "00000002" "00000000"
        "00000000" "00000000" "00000000" "00000000" "00000000" "00000004" "00000000"
        "dev\0" "\0\0"
        "070701" "00000002" "00002180" "00000000" "00000000" "00000001" "00000000"
        "00000000" "00000000" "00000000" "00000005" "00000001" "0000000C" "00000000"
        "dev/console\0" "\0\0"
        "070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
        "00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
        "TRAILER!!!\0" "\0\0\0";
    ck_assert_uint_eq(n, sizeof want - 1);
    ck_assert_msg(!memcmp(a, want, n), "header bytes differ");
    free(a);
    cpio_builder_free(b);
    sh("rm -rf %s", d);
    free(d);
}
END_TEST

START_TEST(test_synthetic_and_prefix)
{
    char *src = make_tree(), *x = tmpdir();
    char out[4096], list[4096];
    snprintf(out, sizeof out, "%s.cpio", x);
    snprintf(list, sizeof list, "%s.list", x);
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_msg(cpio_add_host(b, src, "/lkp/") == 0, "%s", cpio_error(b));
    char hp[4096];
    snprintf(hp, sizeof hp, "%s/hello.txt", src);
    ck_assert_int_eq(cpio_add_host(b, hp, "/etc/"), 0);          /* -> etc/hello.txt */
    ck_assert_int_eq(cpio_add_host(b, hp, "/renamed"), 0);       /* -> renamed */
    ck_assert_int_eq(cpio_add_file_mem(b, "/init", 0755, "#!/bin/sh\n", 10), 0);
    ck_assert_int_eq(cpio_add_file_mem(b, "/job/empty", 0600, NULL, 0), 0);
    ck_assert_int_eq(cpio_add_dir(b, "/proc", 0555), 0);
    ck_assert_int_eq(cpio_add_symlink(b, "/bin/sh", "busybox"), 0);
    ck_assert_int_eq(cpio_add_chardev(b, "/dev/console", 0600, 5, 1), 0);
    ck_assert_int_eq(cpio_add_file_mem(b, "/init", 0700, "#!/bin/sh\nX\n", 12), 0); /* replaces */
    struct cpio_opts o = { .reproducible = true };
    ck_assert_msg(cpio_write_file(b, out, &o) == 0, "%s", cpio_error(b));
    cpio_builder_free(b);
    /* Character device: check the listing (extracting it needs root). */
    sh("cpio -itv --quiet < %s > %s", out, list);
    size_t n;
    unsigned char *l = slurp(list, &n);
    l = realloc(l, n + 1);
    l[n] = 0;
    ck_assert_msg(strstr((char *)l, "crw-------") && strstr((char *)l, "5,   1") &&
                  strstr((char *)l, "dev/console"), "no /dev/console char device in:\n%s", l);
    ck_assert_msg(strstr((char *)l, "bin/sh -> busybox"), "no symlink in listing");
    ck_assert_msg(strstr((char *)l, "dr-xr-xr-x"), "no /proc 0555 in listing");
    ck_assert_msg(!strstr((char *)l, "TRAILER"), "trailer listed as a file");
    free(l);
    sh("cd %s && cpio -idm --no-absolute-filenames --quiet --nonmatching 'dev/console' < %s",
       x, out);
    char p[4096];
    snprintf(p, sizeof p, "%s/lkp", x);
    compare_tree(src, p);
    snprintf(p, sizeof p, "%s/etc/hello.txt", x);
    compare_tree(hp, p);
    snprintf(p, sizeof p, "%s/renamed", x);
    compare_tree(hp, p);
    snprintf(p, sizeof p, "%s/init", x);
    unsigned char *init = slurp(p, &n);
    ck_assert_msg(n == 12 && !memcmp(init, "#!/bin/sh\nX\n", 12), "last /init did not win");
    free(init);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    snprintf(p, sizeof p, "%s/job/empty", x);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_size, 0);
    sh("rm -rf %s %s %s %s", src, x, out, list);
    free(src);
    free(x);
}
END_TEST

/* Finds where the gzip member at the start of buf ends. */
static size_t gzip_member_len(const unsigned char *buf, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
    unsigned char out[65536];
    z.next_in = (Bytef *)buf;
    z.avail_in = (uInt)n;
    int r;
    do {
        z.next_out = out;
        z.avail_out = sizeof out;
        r = inflate(&z, Z_NO_FLUSH);
    } while (r == Z_OK);
    ck_assert_int_eq(r, Z_STREAM_END);
    size_t used = n - z.avail_in;
    inflateEnd(&z);
    return used;
}

START_TEST(test_concat)
{
    char *src = make_tree(), *d = tmpdir();
    char p1[4096], p2[4096], all[4096], tmp[4096];
    snprintf(p1, sizeof p1, "%s/part1.cpio.gz", d);
    snprintf(p2, sizeof p2, "%s/part2.cpio", d);
    snprintf(all, sizeof all, "%s/initrd", d);
    pack(src, p1, CPIO_COMPRESS_GZIP, true);
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_file_mem(b, "/init", 0755, "#!/bin/sh\n", 10), 0);
    ck_assert_int_eq(cpio_add_file_mem(b, "/lkp/job.sh", 0644, "echo job\n", 9), 0);
    struct cpio_opts o = { .compress = CPIO_COMPRESS_NONE };
    ck_assert_int_eq(cpio_write_file(b, p2, &o), 0);
    cpio_builder_free(b);
    const char *parts[] = { p1, p2 };
    char err[256];
    ck_assert_msg(initrd_concat(all, parts, 2, err, sizeof err) == 0, "%s", err);

    size_t n1, n2, n;
    unsigned char *a1 = slurp(p1, &n1), *a2 = slurp(p2, &n2), *a = slurp(all, &n);
    size_t m1 = gzip_member_len(a, n);
    ck_assert_uint_eq(m1, n1);
    size_t off = m1;
    while (off < n && a[off] == 0)    /* the kernel skips zero padding */
        off++;
    ck_assert_msg(off % 4 == 0, "second archive not 4-byte aligned (%zu)", off);
    ck_assert_uint_eq(n - off, n2);
    ck_assert_msg(!memcmp(a + off, a2, n2), "second part differs");
    /* Each member lists like its reference (GNU cpio -t). */
    snprintf(tmp, sizeof tmp, "%s/m2", d);
    FILE *f = fopen(tmp, "wb");
    fwrite(a + off, 1, n - off, f);
    fclose(f);
    sh("cd %s && head -c %zu initrd | gzip -dc | cpio -it --quiet > l1 && "
       "gzip -dc part1.cpio.gz | cpio -it --quiet > r1 && cmp l1 r1 && "
       "cpio -it --quiet < m2 > l2 && cpio -it --quiet < part2.cpio > r2 && cmp l2 r2 && "
       "grep -qx lkp/job.sh l2 && grep -qx hello.txt l1", d, m1);
    free(a1);
    free(a2);
    free(a);
    sh("rm -rf %s %s", src, d);
    free(src);
    free(d);
}
END_TEST

START_TEST(test_socket_refused)
{
    char *d = tmpdir();
    put(d, "ok", "x", 1, 0644);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock", d);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_host(b, d, ""), -1);
    ck_assert_msg(strstr(cpio_error(b), "socket") && strstr(cpio_error(b), "/sock"),
                  "unclear error: %s", cpio_error(b));
    cpio_builder_free(b);
    close(s);
    sh("rm -rf %s", d);
    free(d);
}
END_TEST

static int pack_expect_fail(const char *src, const char *out, void (*mutate)(const char *),
                            const char *want)
{
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_host(b, src, ""), 0);
    mutate(src);
    struct cpio_opts o = { .compress = CPIO_COMPRESS_GZIP };
    int rc = cpio_write_file(b, out, &o);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(cpio_error(b), want), "error '%s' lacks '%s'", cpio_error(b), want);
    cpio_builder_free(b);
    return rc;
}

static void shrink(const char *d)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/f", d);
    ck_assert_int_eq(truncate(p, 3), 0);
}
static void grow(const char *d)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/f", d);
    FILE *f = fopen(p, "ab");
    fputs("more", f);
    fclose(f);
}
static void delete(const char *d)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/f", d);
    ck_assert_int_eq(unlink(p), 0);
}

START_TEST(test_changed_inputs)
{
    char *d = tmpdir(), *src = tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/out.gz", d);
    put(d, "out.gz", "KEEP", 4, 0644);   /* an existing output must survive failures */
    put(src, "f", "0123456789", 10, 0644);
    pack_expect_fail(src, out, shrink, "changed");
    put(src, "f", "0123456789", 10, 0644);
    pack_expect_fail(src, out, grow, "changed");
    put(src, "f", "0123456789", 10, 0644);
    pack_expect_fail(src, out, delete, "No such file");
    size_t n;
    unsigned char *k = slurp(out, &n);
    ck_assert_msg(n == 4 && !memcmp(k, "KEEP", 4), "failed write clobbered the output");
    free(k);
    char *names[8];
    ck_assert_uint_eq(listdir(d, names), 1);   /* no temporary file left */
    free(names[0]);
    sh("rm -rf %s %s", d, src);
    free(d);
    free(src);
}
END_TEST

START_TEST(test_bad_paths)
{
    struct cpio_builder *b = cpio_builder_new();
    char *longp = malloc(5000);
    memset(longp, 'a', 4999);
    longp[4999] = 0;
    for (int i = 100; i < 4999; i += 100)
        longp[i] = '/';
    ck_assert_int_eq(cpio_add_file_mem(b, longp, 0644, "x", 1), -1);
    ck_assert_msg(strstr(cpio_error(b), "longer than"), "%s", cpio_error(b));
    ck_assert_int_eq(cpio_add_symlink(b, "l", longp), -1);
    ck_assert_msg(strstr(cpio_error(b), "longer than"), "%s", cpio_error(b));
    ck_assert_int_eq(cpio_add_file_mem(b, "/a/../../etc/x", 0644, "x", 1), -1);
    ck_assert_msg(strstr(cpio_error(b), ".."), "%s", cpio_error(b));
    ck_assert_int_eq(cpio_add_dir(b, "/", 0755), -1);
    ck_assert_int_eq(cpio_add_host(b, "/nonexistent/minivmm/x", ""), -1);
    ck_assert_msg(strstr(cpio_error(b), "/nonexistent/minivmm/x: No such file"), "%s",
                  cpio_error(b));
    /* A file where a directory is needed. */
    ck_assert_int_eq(cpio_add_file_mem(b, "/a", 0644, "x", 1), 0);
    ck_assert_int_eq(cpio_add_file_mem(b, "/a/b", 0644, "x", 1), 0);
    int fd = open("/dev/null", O_WRONLY);
    ck_assert_int_eq(cpio_write_fd(b, fd, NULL), -1);
    ck_assert_msg(strstr(cpio_error(b), "not a directory"), "%s", cpio_error(b));
    close(fd);
    free(longp);
    cpio_builder_free(b);
}
END_TEST

static int run_pack(const char *errfile, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, errfile);
    char *a;
    while ((a = va_arg(ap, char *)))
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stderr);
    int saved = dup(2);
    int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    int rc = initrd_pack_main(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return rc;
}

static void expect_stderr(const char *errfile, const char *want)
{
    size_t n;
    unsigned char *e = slurp(errfile, &n);
    e = realloc(e, n + 1);
    e[n] = 0;
    ck_assert_msg(!strncmp((char *)e, "minivmm pack: ", 14), "no prefix: %s", e);
    ck_assert_msg(strstr((char *)e, want), "stderr '%s' lacks '%s'", e, want);
    ck_assert_msg(n > 0 && e[n - 1] == '\n' && !memchr(e, '\n', n - 1), "not one line: %s", e);
    free(e);
}

START_TEST(test_pack_main)
{
    char *src = make_tree(), *d = tmpdir();
    char out[4096], errf[4096], file[4096];
    snprintf(out, sizeof out, "%s/out.cpio", d);
    snprintf(errf, sizeof errf, "%s/stderr", d);
    snprintf(file, sizeof file, "%s/hello.txt", src);
    ck_assert_int_eq(run_pack(errf, "pack", NULL), 255);
    expect_stderr(errf, "missing -o");
    ck_assert_int_eq(run_pack(errf, "pack", "-o", out, NULL), 255);
    expect_stderr(errf, "no input");
    ck_assert_int_eq(run_pack(errf, "pack", "--compress", "bzip2", "-o", out, src, NULL), 255);
    expect_stderr(errf, "bzip2");
    ck_assert_int_eq(run_pack(errf, "pack", "--frobnicate", "-o", out, src, NULL), 255);
    expect_stderr(errf, "--frobnicate");
    ck_assert_int_eq(run_pack(errf, "pack", "-o", out, "/nonexistent/zzz", NULL), 255);
    expect_stderr(errf, "/nonexistent/zzz");
    ck_assert_int_eq(access(out, F_OK), -1);    /* nothing half-written */

    ck_assert_int_eq(run_pack(errf, "pack", "--compress=none", "--reproducible", "-o", out,
                              src, file, NULL), 0);
    char x[4096];
    snprintf(x, sizeof x, "%s/x", d);
    ck_assert_int_eq(mkdir(x, 0700), 0);   /* like the mkdtemp'd source root */
    sh("cd %s && cpio -idm --no-absolute-filenames --quiet < %s", x, out);
    compare_tree(src, x);   /* the directory's contents are the root; hello.txt twice */
    ck_assert_int_eq(run_pack(errf, "pack", "--compress", "gzip", "-o", out, src, NULL), 0);
    sh("gzip -dc %s | cpio -it --quiet | grep -qx script.sh", out);
    sh("rm -rf %s %s", src, d);
    free(src);
    free(d);
}
END_TEST

START_TEST(test_cache)
{
    char *src = make_tree(), *d = tmpdir();
    char cache[4096], p1[4096], p2[4096], p3[4096];
    snprintf(cache, sizeof cache, "%s/cache/sub", d);
    struct cpio_opts o = { .compress = CPIO_COMPRESS_GZIP, .reproducible = true };
    bool hit = true;
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_host(b, src, "/lkp"), 0);
    ck_assert_msg(cpio_cached(b, &o, cache, p1, sizeof p1, &hit) == 0, "%s", cpio_error(b));
    ck_assert(!hit);
    struct stat s1, s2;
    ck_assert_int_eq(stat(p1, &s1), 0);
    sh("gzip -dc %s | cpio -it --quiet | grep -qx lkp/hello.txt", p1);
    cpio_builder_free(b);

    b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_host(b, src, "/lkp"), 0);
    ck_assert_int_eq(cpio_cached(b, &o, cache, p2, sizeof p2, &hit), 0);
    ck_assert(hit);
    ck_assert_str_eq(p1, p2);
    ck_assert_int_eq(stat(p2, &s2), 0);
    ck_assert_int_eq(s1.st_ino, s2.st_ino);     /* not rewritten */
    cpio_builder_free(b);

    /* Same size, different content: a different key. */
    put(src, "hello.txt", "HELLO, WORLD\n", 13, 0644);
    b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_host(b, src, "/lkp"), 0);
    ck_assert_int_eq(cpio_cached(b, &o, cache, p3, sizeof p3, &hit), 0);
    ck_assert(!hit);
    ck_assert_str_ne(p1, p3);
    /* Other options: another key. */
    o.compress = CPIO_COMPRESS_NONE;
    ck_assert_int_eq(cpio_cached(b, &o, cache, p2, sizeof p2, &hit), 0);
    ck_assert(!hit);
    ck_assert_str_ne(p2, p3);
    cpio_builder_free(b);
    sh("rm -rf %s %s", src, d);
    free(src);
    free(d);
}
END_TEST

static void sha_hex(const char *msg, size_t len, size_t reps, char *hex)
{
    struct sha256 s;
    uint8_t d[SHA256_LEN];
    sha256_init(&s);
    for (size_t i = 0; i < reps; i++)
        sha256_update(&s, msg, len);
    sha256_final(&s, d);
    sha256_hex(d, hex);
}

START_TEST(test_sha256)
{
    char hex[65];
    sha_hex("", 0, 1, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha_hex("abc", 3, 1, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha_hex(m, strlen(m), 1, hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha_hex("a", 1, 1000000, hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("initrd_cpio");
    TCase *t = tcase_create("cpio");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_roundtrip_plain);
    tcase_add_test(t, test_roundtrip_gzip);
    tcase_add_test(t, test_deterministic);
    tcase_add_test(t, test_header_bytes);
    tcase_add_test(t, test_synthetic_and_prefix);
    tcase_add_test(t, test_concat);
    tcase_add_test(t, test_socket_refused);
    tcase_add_test(t, test_changed_inputs);
    tcase_add_test(t, test_bad_paths);
    tcase_add_test(t, test_pack_main);
    tcase_add_test(t, test_cache);
    tcase_add_test(t, test_sha256);
    suite_add_tcase(s, t);
    return s;
}

TEST_MAIN(suite)
