/* kimage: the --kernel file read a part at a time.  Parts read hold the
 * file's bytes; the streaming SHA-256 and banner search see the whole file
 * (banners across the 1 MiB chunk boundaries included); a file that grew,
 * shrank or was rewritten since it was opened is detected, and run's
 * snapshot keeps the bytes it had; a file too large, a FIFO or a missing
 * file is refused with its status. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/kcache.h"
#include "tests/unit/testutil.h"
#include "cli/kimage.h"
#include "cli/status.h"

#define FLEN ((3u << 20) + 12345)     /* three chunks and a bit */
static char dir[] = "/tmp/minivmm-kimage-XXXXXX";
static char path[64];
static uint8_t data[FLEN];
static char err[512];

static void write_file(const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static void setup(void)
{
    ck_assert(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/k", dir);
    for (size_t i = 0; i < FLEN; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 13));
    write_file(data, FLEN);
}

static void teardown(void)
{
    unlink(path);
    char fifo[80];
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    unlink(fifo);
    rmdir(dir);
    memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

START_TEST(parts_read_hold_the_files_bytes)
{
    struct kimage k;
    ck_assert_int_eq(kimage_open(&k, path, err, sizeof(err)), 0);
    ck_assert_uint_eq(k.len, FLEN);
    ck_assert_int_eq(kimage_need(&k, 0, 100, err, sizeof(err)), 0);
    ck_assert(!memcmp(k.map, data, 100));
    ck_assert_int_eq(kimage_need(&k, FLEN - 10, 1000, err, sizeof(err)), 0);   /* clipped */
    ck_assert(!memcmp(k.map + FLEN - 10, data + FLEN - 10, 10));
    ck_assert_int_eq(kimage_need(&k, 2000000, 70000, err, sizeof(err)), 0);
    ck_assert(!memcmp(k.map + 2000000, data + 2000000, 70000));
    kimage_drop(&k, 2000000, 70000);
    ck_assert_int_eq(kimage_need(&k, 2000000, 70000, err, sizeof(err)), 0);  /* again */
    ck_assert(!memcmp(k.map + 2000000, data + 2000000, 70000));
    static uint8_t buf[FLEN];
    ck_assert_int_eq(kimage_pread(&k, 0, FLEN, buf, err, sizeof(err)), 0);
    ck_assert(!memcmp(buf, data, FLEN));
    ck_assert_int_eq(kimage_pread(&k, FLEN - 1, 2, buf, err, sizeof(err)), -1);  /* past the end */
    ck_assert_int_eq(kimage_check(&k, err, sizeof(err)), 0);
    kimage_close(&k);
}
END_TEST

START_TEST(key_streams_the_whole_file)
{
    struct kimage k;
    uint8_t got[KIMAGE_KEY_LEN], want[KCACHE_KEY_LEN];
    kcache_key(data, FLEN, want);
    ck_assert_int_eq(kimage_open(&k, path, err, sizeof(err)), 0);
    ck_assert_int_eq(kimage_key(&k, got, err, sizeof(err)), 0);
    ck_assert(!memcmp(got, want, KCACHE_KEY_LEN));
    kimage_close(&k);
}
END_TEST

/* The banner at offset at (or none when at < 0): the version found. */
static void version_at(long at, const char *want)
{
    static uint8_t img[FLEN];
    memset(img, 'x', FLEN);
    static const char b[] = "Linux version 6.1.0-57-amd64 (debian-kernel@lists)";
    if (at >= 0)
        memcpy(img + at, b, sizeof(b) - 1);
    write_file(img, FLEN);
    struct kimage k;
    char v[65];
    ck_assert_int_eq(kimage_open(&k, path, err, sizeof(err)), 0);
    kimage_elf_version(&k, v, sizeof(v));
    ck_assert_msg(!strcmp(v, want), "banner at %ld: got '%s', want '%s'", at, v, want);
    kimage_close(&k);
}

START_TEST(banner_found_wherever_it_is)
{
    static const long at[] = { 0, 5, (1 << 20) - 300, (1 << 20) - 256, (1 << 20) - 20,
                               (1 << 20) - 5, 1 << 20, (2 << 20) - 1, FLEN - 60 };
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
        version_at(at[i], "6.1.0-57-amd64");
    version_at(-1, "");
}
END_TEST

static int opened_then(void (*change)(void))
{
    struct kimage k;
    ck_assert_int_eq(kimage_open(&k, path, err, sizeof(err)), 0);
    ck_assert_int_eq(kimage_need(&k, 0, 4096, err, sizeof(err)), 0);
    change();
    int r = kimage_check(&k, err, sizeof(err));
    static uint8_t buf[FLEN];
    if (r == 0)
        r = kimage_pread(&k, 0, FLEN, buf, err, sizeof(err));
    kimage_close(&k);
    return r;
}

static void grow(void)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    ck_assert(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0);
}
static void shrink(void) { ck_assert_int_eq(truncate(path, FLEN / 2), 0); }
static void rewrite(void)
{
    int fd = open(path, O_WRONLY);
    ck_assert(fd >= 0 && pwrite(fd, "y", 1, 100) == 1);
    struct timespec t[2] = { { 1, 0 }, { 1, 0 } };   /* a time the file never had */
    ck_assert_int_eq(futimens(fd, t), 0);
    ck_assert_int_eq(close(fd), 0);
}
static void nothing(void) { }

START_TEST(changes_are_detected)
{
    ck_assert_int_eq(opened_then(nothing), 0);
    ck_assert_int_eq(opened_then(grow), -1);
    ck_assert_msg(strstr(err, "changed while being read"), "%s", err);
    write_file(data, FLEN);
    ck_assert_int_eq(opened_then(shrink), -1);
    ck_assert_msg(strstr(err, "changed while being read"), "%s", err);
    write_file(data, FLEN);
    ck_assert_int_eq(opened_then(rewrite), -1);
    ck_assert_msg(strstr(err, "changed while being read"), "%s", err);
}
END_TEST

/* run's snapshot: the bytes as they were, whatever happens to the file. */
START_TEST(snapshot_keeps_the_bytes)
{
    struct kimage k;
    static uint8_t buf[FLEN];
    ck_assert_int_eq(kimage_open(&k, path, err, sizeof(err)), 0);
    ck_assert_int_eq(kimage_snapshot(&k, err, sizeof(err)), 0);
    shrink();                                   /* then the file is rewritten */
    static uint8_t other[FLEN];
    memset(other, 0x5a, FLEN);
    write_file(other, FLEN);
    ck_assert_int_eq(kimage_need(&k, 0, 4096, err, sizeof(err)), 0);
    ck_assert(!memcmp(k.map, data, 4096));
    ck_assert_int_eq(kimage_pread(&k, 0, FLEN, buf, err, sizeof(err)), 0);
    ck_assert(!memcmp(buf, data, FLEN));
    ck_assert_int_eq(kimage_check(&k, err, sizeof(err)), 0);
    kimage_close(&k);
}
END_TEST

/* The snapshot is sealed: a VM process given its descriptor cannot change
 * the bytes later jobs boot. */
START_TEST(snapshot_is_sealed)
{
    struct kimage k;
    ck_assert_int_eq(kimage_open(&k, path, err, sizeof(err)), 0);
    ck_assert_int_eq(kimage_snapshot(&k, err, sizeof(err)), 0);
    ck_assert_int_lt(pwrite(k.fd, "x", 1, 0), 0);
    ck_assert_int_eq(errno, EPERM);
    ck_assert_int_lt(ftruncate(k.fd, 10), 0);
    ck_assert_int_lt(ftruncate(k.fd, FLEN + 4096), 0);
    int fl = fcntl(k.fd, F_GET_SEALS);
    ck_assert(fl & F_SEAL_WRITE);
    ck_assert(fl & F_SEAL_SEAL);
    ck_assert_msg(kimage_check(&k, err, sizeof(err)) == 0, "%s", err);
    kimage_close(&k);
}
END_TEST

START_TEST(bad_files_are_refused)
{
    struct kimage k;
    ck_assert_int_eq(truncate(path, (off_t)KIMAGE_MAX_SIZE + 1), 0);   /* sparse */
    ck_assert_int_eq(kimage_open(&k, path, err, sizeof(err)), EXIT_CANNOT_TEST);
    ck_assert_msg(strstr(err, "larger than any kernel image"), "%s", err);
    char fifo[80];
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(kimage_open(&k, fifo, err, sizeof(err)), EXIT_HOST_ERROR);
    ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
    ck_assert_int_eq(kimage_open(&k, "/nonexistent/k", err, sizeof(err)), EXIT_HOST_ERROR);
    ck_assert_msg(strstr(err, "cannot read kernel"), "%s", err);
    ck_assert_int_eq(truncate(path, 0), 0);                               /* empty: opens */
    ck_assert_int_eq(kimage_open(&k, path, err, sizeof(err)), 0);
    ck_assert_uint_eq(k.len, 0);
    ck_assert_int_eq(kimage_need(&k, 0, 4096, err, sizeof(err)), 0);
    kimage_close(&k);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli_kimage");
    TCase *tc = tcase_create("kimage");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, parts_read_hold_the_files_bytes);
    tcase_add_test(tc, key_streams_the_whole_file);
    tcase_add_test(tc, banner_found_wherever_it_is);
    tcase_add_test(tc, changes_are_detected);
    tcase_add_test(tc, snapshot_keeps_the_bytes);
    tcase_add_test(tc, snapshot_is_sealed);
    tcase_add_test(tc, bad_files_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
