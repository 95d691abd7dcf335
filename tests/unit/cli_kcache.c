/* kcache: the unpacked-kernel cache.  A hand-made "bzImage" whose payload is
 * a gzip stream of 1 MiB: unpacked once, then taken from the cache; a
 * corrupt or truncated entry is rebuilt, never used; processes racing on an
 * empty cache all succeed; the directory stays under its size bound. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "tests/unit/testutil.h"
#include "cli/kcache.h"

#define VLEN (1u << 20)
static char dir[] = "/tmp/minivmm-kcache-XXXXXX";
static uint8_t vmlinux[VLEN];

/* img: 64 bytes of "image" (the cache key) + the payload; bz points into it. */
struct fake { uint8_t img[64 + VLEN + 1024]; size_t len; struct bz_info bz; };

static void make_fake(struct fake *f, uint8_t tag)
{
    for (size_t i = 0; i < VLEN; i++)
        vmlinux[i] = (uint8_t)(i * 31 + (i >> 11));
    memset(f->img, tag, 64);
    z_stream z = { 0 };
    ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = vmlinux;
    z.avail_in = VLEN;
    z.next_out = f->img + 64;
    z.avail_out = sizeof(f->img) - 64;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    f->len = 64 + z.total_out;
    memset(&f->bz, 0, sizeof(f->bz));
    f->bz.payload = f->img + 64;
    f->bz.payload_len = z.total_out;
    f->bz.init_size = 2 * VLEN;
    deflateEnd(&z);
}

/* The one entry file in dir/vmlinux (path into p); how many there are. */
static int entries(char *p, size_t plen, int *tmps)
{
    char d[128];
    snprintf(d, sizeof(d), "%s/vmlinux", dir);
    DIR *dd = opendir(d);
    int n = 0;
    *tmps = 0;
    if (!dd)
        return 0;
    struct dirent *de;
    while ((de = readdir(dd))) {
        if (strstr(de->d_name, ".tmp-"))
            (*tmps)++;
        else if (strstr(de->d_name, ".elf")) {
            n++;
            if (p)
                snprintf(p, plen, "%s/%s", d, de->d_name);
        }
    }
    closedir(dd);
    return n;
}

static void get(struct fake *f, uint64_t max, bool want_hit)
{
    struct kcache_entry e;
    char err[256];
    ck_assert_msg(kcache_get(dir, f->img, f->len, &f->bz, max, &e, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(e.hit == want_hit, "hit %d, want %d", e.hit, want_hit);
    ck_assert_uint_eq(e.len, VLEN);
    ck_assert(!memcmp(e.elf, vmlinux, VLEN));
    kcache_release(&e);
}

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(dir)); }
static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir + strlen(dir) - 6, "XXXXXX");
}

static struct fake fa, fb;

START_TEST(unpacked_once_then_cached)
{
    make_fake(&fa, 'a');
    get(&fa, 1ULL << 30, false);
    char p[512];
    int tmps;
    ck_assert_int_eq(entries(p, sizeof(p), &tmps), 1);
    ck_assert_int_eq(tmps, 0);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_size, VLEN + 32);
    get(&fa, 1ULL << 30, true);
}
END_TEST

static void damage(const char *p, long at, int truncate_it)
{
    FILE *f = fopen(p, "r+b");
    ck_assert_ptr_nonnull(f);
    if (truncate_it) {
        ck_assert_int_eq(ftruncate(fileno(f), at), 0);
    } else {
        fseek(f, at, SEEK_SET);
        int c = fgetc(f);
        fseek(f, at, SEEK_SET);
        fputc(c ^ 1, f);
    }
    fclose(f);
}

START_TEST(corrupt_entries_are_rebuilt)
{
    make_fake(&fa, 'a');
    get(&fa, 1ULL << 30, false);
    char p[512];
    int tmps;
    entries(p, sizeof(p), &tmps);
    damage(p, VLEN / 2, 0);                  /* one bit in the middle of the kernel */
    get(&fa, 1ULL << 30, false);             /* detected: unpacked again, correct bytes */
    get(&fa, 1ULL << 30, true);              /* and the rebuilt entry is good */
    damage(p, VLEN / 3, 1);                  /* truncated */
    get(&fa, 1ULL << 30, false);
    damage(p, VLEN + 20, 0);                 /* the trailer's length */
    get(&fa, 1ULL << 30, false);
    get(&fa, 1ULL << 30, true);
}
END_TEST

START_TEST(racing_processes_all_succeed)
{
    make_fake(&fa, 'a');
    pid_t kids[6];
    for (int i = 0; i < 6; i++) {
        kids[i] = fork();
        ck_assert_int_ge(kids[i], 0);
        if (kids[i] == 0) {
            struct kcache_entry e;
            char err[256];
            int ok = kcache_get(dir, fa.img, fa.len, &fa.bz, 1ULL << 30, &e, err, sizeof(err)) == 0 &&
                     e.len == VLEN && !memcmp(e.elf, vmlinux, VLEN);
            _exit(ok ? 0 : 1);
        }
    }
    for (int i = 0; i < 6; i++) {
        int st;
        ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "process %d failed", i);
    }
    int tmps;
    ck_assert_int_eq(entries(NULL, 0, &tmps), 1);
    ck_assert_int_eq(tmps, 0);
    get(&fa, 1ULL << 30, true);
}
END_TEST

START_TEST(least_recently_used_is_evicted)
{
    make_fake(&fa, 'a');
    make_fake(&fb, 'b');
    uint64_t max = VLEN + VLEN / 2;          /* room for one entry */
    get(&fa, max, false);
    sleep(1);                                /* mtimes a second apart */
    get(&fb, max, false);                    /* evicts a */
    int tmps;
    ck_assert_int_eq(entries(NULL, 0, &tmps), 1);
    get(&fb, max, true);
    get(&fa, max, false);
}
END_TEST

START_TEST(unwritable_cache_still_boots)
{
    make_fake(&fa, 'a');
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/vmlinux", dir);
    FILE *f = fopen(sub, "w");               /* a file where the directory should be */
    ck_assert_ptr_nonnull(f);
    fclose(f);
    get(&fa, 1ULL << 30, false);
    get(&fa, 1ULL << 30, false);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli_kcache");
    TCase *tc = tcase_create("kcache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, unpacked_once_then_cached);
    tcase_add_test(tc, corrupt_entries_are_rebuilt);
    tcase_add_test(tc, racing_processes_all_succeed);
    tcase_add_test(tc, least_recently_used_is_evicted);
    tcase_add_test(tc, unwritable_cache_still_boots);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
