/* Hostile host trees and names for the cpio writer and the module scan:
 * a directory swapped for a symlink while the tree is read, trees 1,000
 * levels deep, reserved and malformed archive names.  The archives written
 * are read back with the independent parser in initrd_newc.h. */
#include "initrd/cpio.h"
#include "initrd/hostwalk.h"
#include "initrd/modules.h"
#include "tests/unit/initrd_newc.h"
#include "tests/unit/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET "SECRET-OUTSIDE-THE-TREE-4711"

static char base[64];

static void setup(void)
{
    snprintf(base, sizeof base, "/tmp/initrd_hostile_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *rel, const char *text)
{
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Writes the builder into memory; *rc gets cpio_write_fd's result. */
static unsigned char *write_mem(struct cpio_builder *b, size_t *len, int *rc)
{
    int fd = memfd_create("cpio", MFD_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    struct cpio_opts o = { .reproducible = true };
    *rc = cpio_write_fd(b, fd, &o);
    off_t end = lseek(fd, 0, SEEK_END);
    ck_assert_int_ge(end, 0);
    *len = (size_t)end;
    unsigned char *buf = malloc(*len + 1);
    ck_assert_int_eq(pread(fd, buf, *len, 0), (ssize_t)*len);
    close(fd);
    return buf;
}

/* Writes the builder into memory and parses the archive: both must work. */
static unsigned char *write_parse(struct cpio_builder *b, struct newc *a, size_t *len)
{
    int rc;
    unsigned char *out = write_mem(b, len, &rc);
    ck_assert_msg(rc == 0, "%s", cpio_error(b));
    ck_assert_msg(newc_parse(out, *len, a) == 0, "%s", a->why);
    return out;
}

static int has(const unsigned char *buf, size_t len, const char *s)
{
    return memmem(buf, len, s, strlen(s)) != NULL;
}

/* ---- a directory swapped for a symlink while the walk is inside it ---- */

static char swap_dir[512], swap_target[512];

/* The walk's test hook: once the entries of directory swap_at have been
 * read, swap_dir is moved aside (to swap_dir.moved) and a symlink to
 * swap_target is put in its place. */
static const char *swap_at;
static void swap_hook(const char *rel)
{
    if (!swap_at || strcmp(rel, swap_at))
        return;
    char moved[600];
    snprintf(moved, sizeof moved, "%s.moved", swap_dir);
    ck_assert_int_eq(rename(swap_dir, moved), 0);
    ck_assert_int_eq(symlink(swap_target, swap_dir), 0);
    swap_at = NULL;             /* once */
}

/* Arms the hook: swap base/dir_rel when the walk has read directory `at`. */
static void arm(const char *dir_rel, const char *at)
{
    snprintf(swap_dir, sizeof swap_dir, "%s/%s", base, dir_rel);
    snprintf(swap_target, sizeof swap_target, "%s/outside", base);
    hostwalk_test_hook = swap_hook;
    swap_at = at;
}

/* Undoes the swap. */
static void unswap(void)
{
    char moved[600];
    snprintf(moved, sizeof moved, "%s.moved", swap_dir);
    ck_assert_int_eq(unlink(swap_dir), 0);
    ck_assert_int_eq(rename(moved, swap_dir), 0);
}

START_TEST(test_swap_during_cpio_walk)
{
    put("tree/a/b/file", "inside\n");
    put("outside/b/secret", SECRET "\n");
    char tree[512];
    snprintf(tree, sizeof tree, "%s/tree", base);

    /* Swapped while the walk is inside tree/a: the walk stays in the
     * directory it opened; writing then finds a symlink on the way to
     * a/b/file and refuses it.  Nothing from outside is read. */
    arm("tree/a", "a");
    struct cpio_builder *b = cpio_builder_new();
    int rc = cpio_add_host(b, tree, "");
    hostwalk_test_hook = NULL;
    ck_assert_ptr_null(swap_at);                    /* the swap happened */
    size_t len = 0;
    unsigned char *out = NULL;
    if (rc == 0)
        out = write_mem(b, &len, &rc);
    ck_assert_msg(!out || (!has(out, len, SECRET) && !has(out, len, "secret")),
                  "a file from outside the tree is in the archive");
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(cpio_error(b), "a/b/file: changed since it was scanned"), "%s",
                  cpio_error(b));
    free(out);
    cpio_builder_free(b);

    /* Swapped before the walk looks at it: stored as the symlink it now is. */
    unswap();
    arm("tree/a", "");
    b = cpio_builder_new();
    rc = cpio_add_host(b, tree, "");
    hostwalk_test_hook = NULL;
    ck_assert_msg(rc == 0, "%s", cpio_error(b));
    struct newc a;
    out = write_parse(b, &a, &len);
    const struct newc_ent *e = newc_find(&a, "a");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->mode & S_IFMT, S_IFLNK);
    ck_assert_uint_eq(e->size, strlen(swap_target));
    ck_assert(!memcmp(e->data, swap_target, e->size));
    for (size_t i = 0; i < a.n; i++)
        ck_assert_msg(strncmp(a.v[i].name, "a/", 2), "%s in the archive", a.v[i].name);
    ck_assert(!has(out, len, SECRET));
    newc_free(&a);
    free(out);
    cpio_builder_free(b);
}
END_TEST

/* A minimal ELF64 module: .modinfo with vermagic (see initrd_modules.c). */
static void put_ko(const char *rel)
{
    static const char mi[] = "license=GPL\0depends=\0vermagic=6.1.0-test SMP";
    static const char shstr[] = "\0.modinfo\0.shstrtab";
    unsigned char buf[512] = { 0 };
    size_t mi_off = 64, ss_off = mi_off + sizeof mi, sh_off = (ss_off + sizeof shstr + 7) & ~7u;
    memcpy(buf, "\177ELF\2\1\1", 7);
    buf[16] = 1;
    buf[18] = 62;
    buf[0x28] = (unsigned char)sh_off;
    buf[0x3a] = 64;
    buf[0x3c] = 3;
    buf[0x3e] = 2;
    memcpy(buf + mi_off, mi, sizeof mi);
    memcpy(buf + ss_off, shstr, sizeof shstr);
    unsigned char *sh = buf + sh_off + 64;
    sh[0] = 1;
    sh[4] = 1;
    sh[24] = (unsigned char)mi_off;
    sh[32] = sizeof mi;
    sh += 64;
    sh[0] = 10;
    sh[4] = 3;
    sh[24] = (unsigned char)ss_off;
    sh[32] = sizeof shstr;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    put(rel, "");
    FILE *f = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(buf, 1, sh_off + 3 * 64, f), sh_off + 3 * 64);
    fclose(f);
}

START_TEST(test_swap_during_module_scan)
{
    put_ko("mods/kernel/x/inside.ko");
    put_ko("outside/x/secretmod.ko");
    char mods[512];
    snprintf(mods, sizeof mods, "%s/mods", base);
    arm("mods/kernel", "kernel");
    struct initrd_modules m;
    char err[512];
    const char *want[] = { "secretmod" };
    int rc = initrd_modules_resolve(mods, "6.1.0-test", want, 1, &m, err, sizeof err);
    hostwalk_test_hook = NULL;
    ck_assert_ptr_null(swap_at);
    if (rc == 0) {
        for (size_t i = 0; i < m.n; i++)
            ck_assert_msg(!strstr(m.v[i].host_path, "secretmod"), "%s from outside the tree",
                          m.v[i].host_path);
        initrd_modules_free(&m);
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, "module secretmod not found"), "%s", err);
    /* Put back, the module that was always inside is found and packed. */
    unswap();
    const char *in[] = { "inside" };
    ck_assert_msg(initrd_modules_resolve(mods, "6.1.0-test", in, 1, &m, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_uint_eq(m.n, 1);
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_msg(initrd_modules_add(b, &m, err, sizeof err) == 0, "%s", err);
    size_t len;
    struct newc a;
    unsigned char *out = write_parse(b, &a, &len);
    const struct newc_ent *e = newc_find(&a, "lib/modules/6.1.0-test/kernel/x/inside.ko");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->size, m.v[0].len);
    newc_free(&a);
    free(out);
    cpio_builder_free(b);
    initrd_modules_free(&m);
}
END_TEST

/* ---- deep trees ---- */

/* base/rel/d/d/.../d (levels directories), with `leaf` (if not NULL) a
 * file in the deepest one. */
static void deep_tree(const char *rel, int levels, const char *leaf, void (*put_leaf)(int))
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(fd, 0);
    for (int i = 0; i < levels; i++) {
        ck_assert_int_eq(mkdirat(fd, "d", 0755), 0);
        int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        ck_assert_int_ge(nfd, 0);
        close(fd);
        fd = nfd;
    }
    if (leaf) {
        int f = openat(fd, leaf, O_WRONLY | O_CREAT | O_EXCL, 0644);
        ck_assert_int_ge(f, 0);
        if (put_leaf)
            put_leaf(f);
        close(f);
    }
    close(fd);
}

START_TEST(test_deep_cpio_tree)
{
    char p[512];
    deep_tree("deep", 1000, "leaf", NULL);
    snprintf(p, sizeof p, "%s/deep", base);
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_host(b, p, ""), -1);
    ck_assert_msg(strstr(cpio_error(b), "directory tree deeper than 256 levels"), "%s",
                  cpio_error(b));
    ck_assert_ptr_null(strchr(cpio_error(b), '\n'));
    cpio_builder_free(b);
    /* 257 levels: refused; 256 levels: packed, the deepest file included. */
    deep_tree("d257", 257, NULL, NULL);
    snprintf(p, sizeof p, "%s/d257", base);
    b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_host(b, p, "/x"), -1);
    cpio_builder_free(b);
    deep_tree("d256", 256, "leaf", NULL);
    snprintf(p, sizeof p, "%s/d256", base);
    b = cpio_builder_new();
    ck_assert_msg(cpio_add_host(b, p, "/x") == 0, "%s", cpio_error(b));
    size_t len;
    struct newc a;
    unsigned char *out = write_parse(b, &a, &len);
    ck_assert_uint_eq(a.n, 1 + 256 + 1);            /* x, 256 directories, leaf */
    ck_assert_uint_eq(strlen(a.v[a.n - 1].name), 1 + 2 * 256 + 5);
    newc_free(&a);
    free(out);
    cpio_builder_free(b);
}
END_TEST

static void ko_leaf(int fd)
{
    /* Not a module, but indexing only looks at the name; resolving reads it. */
    ck_assert_int_eq(write(fd, "x", 1), 1);
}

START_TEST(test_deep_module_tree)
{
    char p[512], err[512];
    deep_tree("mods", 1000, NULL, NULL);
    snprintf(p, sizeof p, "%s/mods", base);
    struct initrd_modules m;
    const char *want[] = { "virtio" };
    ck_assert_int_eq(initrd_modules_resolve(p, "6.1.0-test", want, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "directory tree deeper than 64 levels"), "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    /* 64 levels are indexed: the module at the bottom is found (and read). */
    deep_tree("mods64", 64, "deepmod.ko", ko_leaf);
    snprintf(p, sizeof p, "%s/mods64", base);
    const char *deep[] = { "deepmod" };
    ck_assert_int_eq(initrd_modules_resolve(p, "6.1.0-test", deep, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "deepmod.ko: not an ELF file"), "%s", err);
    deep_tree("mods65", 65, NULL, NULL);
    snprintf(p, sizeof p, "%s/mods65", base);
    ck_assert_int_eq(initrd_modules_resolve(p, "6.1.0-test", deep, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "deeper than 64 levels"), "%s", err);
}
END_TEST

/* ---- archive names ---- */

START_TEST(test_reserved_and_bad_names)
{
    static const struct { const char *name, *why; } bad[] = {
        { "TRAILER!!!", "TRAILER!!! is reserved" },
        { "./TRAILER!!!", "TRAILER!!! is reserved" },
        { "/TRAILER!!!", "TRAILER!!! is reserved" },
        { "//./TRAILER!!!/", "TRAILER!!! is reserved" },
        { "TRAILER!!!/x", "TRAILER!!! is reserved" },
        { "", "empty archive path" },
        { "/", "cannot be stored as the archive root" },
        { "./.", "cannot be stored as the archive root" },
        { "a/../b", "must not contain '..'" },
        { "..", "must not contain '..'" },
    };
    char err[600];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cpio_builder *b = cpio_builder_new();
        ck_assert_msg(cpio_add_file_mem(b, bad[i].name, 0644, "x", 1) == -1, "'%s' accepted",
                      bad[i].name);
        snprintf(err, sizeof err, "%s", cpio_error(b));
        ck_assert_msg(strstr(err, bad[i].why), "'%s': %s", bad[i].name, err);
        ck_assert_int_eq(cpio_add_dir(b, bad[i].name, 0755), -1);
        ck_assert_int_eq(cpio_add_symlink(b, bad[i].name, "t"), -1);
        ck_assert_int_eq(cpio_add_chardev(b, bad[i].name, 0600, 1, 3), -1);
        cpio_builder_free(b);
    }
    /* Too long: 4096 bytes; 4095 is the limit. */
    char *longname = malloc(4097);
    memset(longname, 'n', 4096);
    longname[4096] = 0;
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_int_eq(cpio_add_file_mem(b, longname, 0644, "x", 1), -1);
    ck_assert_msg(strstr(cpio_error(b), "longer than 4095 bytes"), "%s", cpio_error(b));
    longname[4095] = 0;
    ck_assert_msg(cpio_add_file_mem(b, longname, 0644, "x", 1) == 0, "%s", cpio_error(b));
    /* A NUL ends a name: what follows it is not part of the name. */
    ck_assert_int_eq(cpio_add_file_mem(b, "nul\0TRAILER!!!", 0644, "y", 1), 0);
    /* Names that only contain the word are fine. */
    ck_assert_int_eq(cpio_add_file_mem(b, "x/TRAILER!!!", 0644, "z", 1), 0);
    ck_assert_int_eq(cpio_add_file_mem(b, "TRAILER!!!x", 0644, "w", 1), 0);
    ck_assert_int_eq(cpio_add_symlink(b, "s", "TRAILER!!!"), 0);
    size_t len;
    struct newc a;
    unsigned char *out = write_parse(b, &a, &len);
    ck_assert_ptr_nonnull(newc_find(&a, longname));
    ck_assert_ptr_nonnull(newc_find(&a, "nul"));
    ck_assert_ptr_nonnull(newc_find(&a, "x/TRAILER!!!"));
    ck_assert_ptr_nonnull(newc_find(&a, "TRAILER!!!x"));
    ck_assert_uint_eq(a.n, 6);                      /* and the parent x */
    newc_free(&a);
    free(out);
    cpio_builder_free(b);
    free(longname);

    /* A host file or directory of that name, at the top of the archive. */
    put("t1/TRAILER!!!", "early end\n");
    put("t2/TRAILER!!!/f", "early end\n");
    put("t3/x/TRAILER!!!", "fine\n");
    static const char *const trees[] = { "t1", "t2", "t1/TRAILER!!!" };
    for (size_t i = 0; i < 3; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", base, trees[i]);
        b = cpio_builder_new();
        ck_assert_msg(cpio_add_host(b, p, "") == -1, "%s accepted", trees[i]);
        ck_assert_msg(strstr(cpio_error(b), "TRAILER!!! is reserved"), "%s", cpio_error(b));
        cpio_builder_free(b);
    }
    char p[512];
    snprintf(p, sizeof p, "%s/t3", base);
    b = cpio_builder_new();
    ck_assert_msg(cpio_add_host(b, p, "") == 0, "%s", cpio_error(b));
    cpio_builder_free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("initrd_hostile");
    TCase *t = tcase_create("hostile");
    tcase_set_timeout(t, 60);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_swap_during_cpio_walk);
    tcase_add_test(t, test_swap_during_module_scan);
    tcase_add_test(t, test_deep_cpio_tree);
    tcase_add_test(t, test_deep_module_tree);
    tcase_add_test(t, test_reserved_and_bad_names);
    suite_add_tcase(s, t);
    return s;
}

TEST_MAIN(suite)
