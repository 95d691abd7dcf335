/* What a hostile guest can make the 9P server hold or add: descriptors
 * (one per fid whatever the depth, a process-wide fid bound from
 * RLIMIT_NOFILE) and bytes (max=, EDQUOT and one stderr line). */
#include "virtio/9p.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tests/unit/virtio_9p_client.h"

#include "tests/unit/virtio_9p_fixture.h"

static struct p9_server *start(void) { return c_start(dir, false); }

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 2;
}

#define DEPTH 2000

/* One fid walked down a chain of DEPTH directories the guest made holds one
 * descriptor, not one per level; "..", Trename and Tremove still work at
 * that depth (the path is longer than PATH_MAX). */
START_TEST(deep_walk_costs_one_descriptor)
{
    struct gattr root;
    struct qid q;
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), 0);
    ck_assert_int_eq(c_getattr(S, 0, &root), 0);
    int base = open_fds();
    for (int i = 0; i < DEPTH; i++) {
        ck_assert_int_eq(c_mkdir(S, 1, "level", 0755, 0), 0);
        ck_assert_int_eq(c_walk(S, 1, 1, "level", NULL), 0);
    }
    int deep = open_fds();
    ck_assert_msg(deep <= base + 2, "%d descriptors open at depth %d, %d at the root",
                  deep, DEPTH, base);
    /* Clones of the deep fid cost nothing more. */
    for (uint32_t f = 2; f < 10; f++)
        ck_assert_int_eq(c_walk(S, 1, f, "", NULL), 0);
    ck_assert_int_le(open_fds(), base + 2);
    /* Back up to the root, 16 ".." per walk. */
    const char *up[16];
    for (int i = 0; i < 16; i++)
        up[i] = "..";
    struct qid qs[16];
    ck_assert_int_eq(c_walk(S, 1, 10, "..", NULL), 0);
    for (int left = DEPTH - 1; left > 0; left -= 16) {
        int n = left < 16 ? left : 16;
        ck_assert_int_eq(c_walkv(S, 10, 10, n, up, qs), n);
    }
    ck_assert_int_eq(c_walkv(S, 10, 10, 1, up, &q), 1);
    ck_assert_uint_eq(q.path, root.qid.path);
    /* The deepest directory can be renamed and removed through its fid. */
    ck_assert_int_eq(c_walk(S, 1, 11, "..", NULL), 0);
    ck_assert_int_eq(c_rename(S, 2, 11, "renamed"), 0);
    ck_assert_int_eq(c_walk(S, 11, 12, "renamed", NULL), 0);
    ck_assert_int_eq(c_remove(S, 2), 0);
    ck_assert_int_eq(c_walk(S, 11, 13, "renamed", NULL), ENOENT);
    ck_assert_int_le(open_fds(), base + 4);
}
END_TEST

/* Every fid of every export together stays within RLIMIT_NOFILE: past the
 * bound the guest gets EMFILE, and the VMM can still open files. */
START_TEST(fids_bounded_by_rlimit)
{
    struct rlimit rl = { 700, 700 };
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    struct p9_server *s = start();      /* takes the new limit */
    int e = 0;
    uint32_t n;
    for (n = 1; n < 5000 && !e; n++) {
        e = c_walk(s, 0, n, "", NULL);
        if (!e)
            ck_assert_int_eq(c_lopen(s, n, 0), 0);  /* a second descriptor each */
    }
    ck_assert_int_eq(e, EMFILE);
    ck_assert_int_lt(n, 700 / 2);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "the VMM cannot open files any more: %s", strerror(errno));
    close(fd);
    /* A clunk makes room again; the other export shares the bound. */
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), EMFILE);
    ck_assert_int_eq(c_clunk(s, 5), 0);
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), 0);
    ck_assert_int_eq(c_walk(s, 0, 5, "", NULL), EMFILE);
    p9_server_free(s);
    ck_assert_int_eq(c_walk(S, 0, 2, "", NULL), 0);
}
END_TEST

static off_t host_size(const char *rel)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    ck_assert_int_eq(stat(p, &st), 0);
    return st.st_size;
}

/* max=: growth and new names count, overwrites do not, nothing is given
 * back; past the bound EDQUOT (a write is cut to what is left first) and
 * exactly one line on stderr. */
START_TEST(max_bytes_added)
{
    char tmpl[] = "/tmp/p9max.XXXXXX", buf[4096];
    int log = mkstemp(tmpl), saved = dup(2);
    ck_assert_int_ge(log, 0);
    unlink(tmpl);
    dup2(log, 2);
    static uint8_t data[20000];
    memset(data, 'x', sizeof(data));
    p9_server_set_max(S, 3 * 4096 + 10000);
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 1, "f", 2, 0644, 0), 0);             /* 4096 */
    ck_assert_int_eq(c_write(S, 1, 0, data, 6000), 6000);              /* + 6000 */
    ck_assert_int_eq(c_write(S, 1, 0, data, 6000), 6000);              /* overwrite: 0 */
    ck_assert_int_eq(c_mkdir(S, 0, "d", 0755, 0), 0);                  /* + 4096 */
    ck_assert_int_eq(c_walk(S, 0, 2, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 2, "g", 2, 0644, 0), 0);             /* + 4096 */
    /* 4000 left: a write of 5000 at the end is cut to 4000. */
    ck_assert_int_eq(c_write(S, 1, 6000, data, 5000), 4000);
    ck_assert_int_eq(host_size("f"), 10000);
    stderr_text(log, buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "9p export ") && strstr(buf, "max=22288") && strstr(buf, "EDQUOT"),
                  "no line about the bound in: '%s'", buf);
    ck_assert_int_eq(c_write(S, 1, 10000, data, 1), -EDQUOT);
    ck_assert_int_eq(c_write(S, 2, 5, data, 1), -EDQUOT);              /* a hole counts too */
    ck_assert_int_eq(c_write(S, 1, 0, data, 10000), 10000);            /* inside: fine */
    ck_assert_int_eq(c_setattr(S, 1, SA_SIZE, 0, 0, 0, 1 << 30, 0, 0), EDQUOT);
    ck_assert_int_eq(c_mkdir(S, 0, "e", 0755, 0), EDQUOT);
    ck_assert_int_eq(c_symlink(S, 0, "l", "f", 0), EDQUOT);
    ck_assert_int_eq(c_mknod(S, 0, "p", S_IFIFO | 0644, 0, 0), EDQUOT);
    ck_assert_int_eq(c_link(S, 0, 1, "h"), EDQUOT);
    ck_assert_int_eq(c_walk(S, 0, 3, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 3, "h", 2, 0644, 0), EDQUOT);
    /* Shrinking and removing give nothing back. */
    ck_assert_int_eq(c_setattr(S, 1, SA_SIZE, 0, 0, 0, 0, 0, 0), 0);
    ck_assert_int_eq(c_unlinkat(S, 0, "d", 0x200), 0);
    ck_assert_int_eq(c_write(S, 1, 0, data, 1), -EDQUOT);
    ck_assert_int_eq(c_mkdir(S, 0, "d", 0755, 0), EDQUOT);
    /* Reading, renaming, removing still work. */
    ck_assert_int_eq(c_renameat(S, 0, "f", 0, "f2"), 0);
    ck_assert_int_eq(c_unlinkat(S, 0, "g", 0), 0);
    stderr_text(log, buf, sizeof(buf));
    dup2(saved, 2);
    close(saved);
    close(log);
    int lines = 0;
    for (char *p = buf; (p = strchr(p, '\n')); p++)
        lines++;
    ck_assert_msg(lines == 1, "%d lines on stderr: '%s'", lines, buf);
}
END_TEST

/* Without max= nothing is counted. */
START_TEST(no_max_by_default)
{
    static uint8_t data[65536];
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 1, "f", 2, 0644, 0), 0);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(c_write(S, 1, (uint64_t)i * sizeof(data), data, sizeof(data)), sizeof(data));
    ck_assert_int_eq(c_setattr(S, 1, SA_SIZE, 0, 0, 0, 1ULL << 32, 0, 0), 0);
    ck_assert_int_eq(host_size("f"), 1LL << 32);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("virtio_9p_limits");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, p9_fixture_setup, p9_fixture_teardown);
    tcase_add_test(tc, deep_walk_costs_one_descriptor);
    tcase_add_test(tc, fids_bounded_by_rlimit);
    tcase_add_test(tc, max_bytes_added);
    tcase_add_test(tc, no_max_by_default);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
