/* Tests for kernel module collection (initrd/modules.h): a real Debian
 * module tree (MINIVMM_TEST_MODULES) and hand-made ELF modules. */
#include "initrd/modules.h"
#include "tests/unit/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define KVER "6.1.0-test"

static void sh(const char *cmd)
{
    int st = system(cmd);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "command failed: %s", cmd);
}

static size_t index_of(const struct initrd_modules *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->v[i].name, name))
            return i;
    ck_abort_msg("module %s not in the resolved list", name);
    return 0;
}

START_TEST(test_debian_tree)
{
    const char *dir = getenv("MINIVMM_TEST_MODULES");
    ck_assert_msg(dir && *dir, "MINIVMM_TEST_MODULES is not set: it must name a Debian module "
                  "tree .../lib/modules/VERSION (e.g. from `apt-get download "
                  "linux-image-6.1.0-56-amd64; dpkg -x`)");
    char *copy = strdup(dir);
    size_t l = strlen(copy);
    while (l > 1 && copy[l - 1] == '/')
        copy[--l] = 0;
    const char *kver = basename(copy);
    struct initrd_modules m;
    char err[512];
    const char *want[] = { "9p", "9pnet_virtio", "virtio_mmio" };
    ck_assert_msg(initrd_modules_resolve(dir, kver, want, 3, &m, err, sizeof err) == 0, "%s", err);
    const char *all[] = { "virtio_ring", "virtio", "virtio_mmio", "9pnet", "9pnet_virtio",
                          "netfs", "fscache", "9p" };
    ck_assert_uint_eq(m.n, 8);
    for (size_t i = 0; i < 8; i++)
        index_of(&m, all[i]);
    /* Dependencies (as Debian 6.1 declares them) come first. */
    static const char *const deps[][2] = {
        { "9p", "9pnet" }, { "9p", "fscache" }, { "9p", "netfs" },
        { "9pnet_virtio", "virtio" }, { "9pnet_virtio", "9pnet" },
        { "9pnet_virtio", "virtio_ring" }, { "virtio_mmio", "virtio" },
        { "virtio_mmio", "virtio_ring" },
    };
    for (size_t i = 0; i < sizeof deps / sizeof deps[0]; i++)
        ck_assert_msg(index_of(&m, deps[i][1]) < index_of(&m, deps[i][0]), "%s not before %s",
                      deps[i][1], deps[i][0]);
    /* Every dependency a module declares is loaded before it. */
    for (size_t i = 0; i < m.n; i++) {
        unsigned char *elf;
        size_t len;
        ck_assert_msg(initrd_module_read(m.v[i].host_path, &elf, &len, err, sizeof err) == 0,
                      "%s", err);
        const char *val;
        size_t vl;
        ck_assert_int_eq(initrd_modinfo_get(elf, len, "depends", &val, &vl, err, sizeof err), 1);
        char d[256];
        snprintf(d, sizeof d, "%.*s", (int)vl, val);
        for (char *s = strtok(d, ","); s; s = strtok(NULL, ","))
            ck_assert_msg(index_of(&m, s) < i, "%s loaded after %s", s, m.v[i].name);
        free(elf);
        char pre[256];
        snprintf(pre, sizeof pre, "lib/modules/%s/kernel/", kver);
        ck_assert_msg(!strncmp(m.v[i].archive_path, pre, strlen(pre)), "%s",
                      m.v[i].archive_path);
    }
    initrd_modules_free(&m);
    /* The default list is the same set. */
    ck_assert_int_eq(initrd_modules_resolve(dir, kver, initrd_default_modules,
                                            initrd_n_default_modules, &m, err, sizeof err), 0);
    ck_assert_uint_eq(m.n, 8);
    initrd_modules_free(&m);
    /* What run collects: virtio_blk too, and a job's fs module when the tree
     * has it; an unknown one is left out, not an error. */
    const char *fs[] = { "ext4" }, *nofs[] = { "nosuchfs" };
    ck_assert_int_eq(initrd_modules_resolve_run(dir, kver, initrd_default_modules, initrd_n_default_modules, fs, 1, &m, err, sizeof err), 0);
    index_of(&m, "virtio_blk");
    index_of(&m, "ext4");
    index_of(&m, "jbd2");
    ck_assert_int_lt(index_of(&m, "virtio_ring"), index_of(&m, "virtio_blk"));
    initrd_modules_free(&m);
    ck_assert_int_eq(initrd_modules_resolve_run(dir, kver, initrd_default_modules, initrd_n_default_modules, nofs, 1, &m, err, sizeof err), 0);
    ck_assert_uint_eq(m.n, 9);
    index_of(&m, "virtio_blk");
    initrd_modules_free(&m);
    /* --rootfs host's list: the same and overlay (Debian: a module, no dependencies). */
    ck_assert_msg(initrd_modules_resolve(dir, kver, initrd_host_root_modules,
                                         initrd_n_host_root_modules, &m, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_uint_eq(m.n, 9);
    index_of(&m, "overlay");
    initrd_modules_free(&m);
    /* Wrong kernel version: caught by vermagic. */
    ck_assert_int_eq(initrd_modules_resolve(dir, "5.10.0-99-amd64", want, 1, &m, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "built for kernel"), "%s", err);
    free(copy);
}
END_TEST

/* A minimal ELF64 relocatable file with a .modinfo section. */
static size_t make_elf(unsigned char *buf, size_t cap, const char *modinfo, size_t milen)
{
    static const char shstr[] = "\0.modinfo\0.shstrtab";
    size_t mi_off = 64, ss_off = mi_off + milen, sh_off = (ss_off + sizeof shstr + 7) & ~7u;
    size_t total = sh_off + 3 * 64;
    ck_assert_uint_le(total, cap);
    memset(buf, 0, total);
    memcpy(buf, "\177ELF\2\1\1", 7);
    buf[16] = 1;                    /* ET_REL */
    buf[18] = 62;                   /* EM_X86_64 */
    buf[20] = 1;
    for (int i = 0; i < 8; i++)
        buf[0x28 + i] = (unsigned char)(sh_off >> (8 * i));
    buf[0x34] = 64;
    buf[0x3a] = 64;
    buf[0x3c] = 3;
    buf[0x3e] = 2;
    memcpy(buf + mi_off, modinfo, milen);
    memcpy(buf + ss_off, shstr, sizeof shstr);
    unsigned char *sh = buf + sh_off + 64;          /* [1] .modinfo */
    sh[0] = 1;
    sh[4] = 1;
    for (int i = 0; i < 8; i++) {
        sh[24 + i] = (unsigned char)(mi_off >> (8 * i));
        sh[32 + i] = (unsigned char)(milen >> (8 * i));
    }
    sh += 64;                                       /* [2] .shstrtab */
    sh[0] = 10;
    sh[4] = 3;
    for (int i = 0; i < 8; i++) {
        sh[24 + i] = (unsigned char)(ss_off >> (8 * i));
        sh[32 + i] = (unsigned char)(sizeof shstr >> (8 * i));
    }
    return total;
}

static char *tree;

static void write_ko(const char *rel, const char *depends, const char *vermagic, bool gz)
{
    char mi[512], path[4096];
    int n = snprintf(mi, sizeof mi, "license=GPL%cdepends=%s%cvermagic=%s SMP mod_unload%c",
                     0, depends, 0, vermagic ? vermagic : KVER, 0);
    unsigned char elf[2048];
    size_t len = make_elf(elf, sizeof elf, mi, (size_t)n);
    snprintf(path, sizeof path, "mkdir -p \"$(dirname %s/%s)\"", tree, rel);
    sh(path);
    snprintf(path, sizeof path, "%s/%s", tree, rel);
    if (gz) {
        gzFile g = gzopen(path, "wb");
        ck_assert_int_eq(gzwrite(g, elf, (unsigned)len), (int)len);
        gzclose(g);
    } else {
        FILE *f = fopen(path, "wb");
        ck_assert_uint_eq(fwrite(elf, 1, len, f), len);
        fclose(f);
    }
}

static void write_raw(const char *rel, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tree, rel);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
}

static void setup(void)
{
    tree = strdup("/tmp/initrd_mod_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tree));
    write_ko("kernel/a/alpha.ko", "beta-mod,gamma", NULL, false);
    write_ko("kernel/b/beta_mod.ko", "gamma", NULL, false);
    write_ko("kernel/gamma.ko.gz", "", NULL, true);
    write_ko("kernel/c/cyc1.ko", "cyc2", NULL, false);
    write_ko("kernel/c/cyc2.ko", "cyc3", NULL, false);
    write_ko("kernel/c/cyc3.ko", "cyc1", NULL, false);
    write_ko("kernel/m/needsmissing.ko", "gamma,nothere", NULL, false);
    write_ko("kernel/m/usesbuiltin.ko", "builtin_thing", NULL, false);
    write_ko("kernel/m/oldkernel.ko", "", "5.10.0-1-amd64", false);
    write_ko("kernel/m/baddep.ko", "../../etc/passwd", NULL, false);
    write_raw("kernel/m/garbage.ko", "this is not an ELF file at all, not even close......"
              "..............", 66);
    write_raw("kernel/m/xzmod.ko.xz", "\3757zXZ\0", 6);
    write_raw("kernel/m/badgz.ko.gz", "\037\213\010\0garbage", 12);
    write_raw("modules.builtin", "kernel/fs/builtin_thing.ko\nkernel/x/y/other.ko\n", 47);
}

static void teardown(void)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tree);
    sh(cmd);
    free(tree);
}

static void expect_err(const char *name, const char *want1, const char *want2)
{
    struct initrd_modules m;
    char err[512];
    const char *names[] = { name };
    ck_assert_int_eq(initrd_modules_resolve(tree, KVER, names, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, want1) && (!want2 || strstr(err, want2)),
                  "error for %s: '%s' (want '%s' and '%s')", name, err, want1,
                  want2 ? want2 : "");
    ck_assert_ptr_null(memchr(err, '\n', strlen(err)));
    ck_assert_uint_eq(m.n, 0);
}

START_TEST(test_synthetic_order_and_pack)
{
    struct initrd_modules m;
    char err[512];
    const char *names[] = { "alpha", "beta_mod", "gamma" };
    ck_assert_msg(initrd_modules_resolve(tree, KVER, names, 3, &m, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_uint_eq(m.n, 3);
    ck_assert_str_eq(m.v[0].name, "gamma");
    ck_assert_str_eq(m.v[1].name, "beta_mod");
    ck_assert_str_eq(m.v[2].name, "alpha");
    ck_assert_str_eq(m.v[0].archive_path, "lib/modules/" KVER "/kernel/gamma.ko");
    ck_assert_int_eq(m.v[0].comp, KMOD_GZIP);
    /* Pack them: gamma is stored decompressed, plus the load-order file. */
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_msg(initrd_modules_add(b, &m, err, sizeof err) == 0, "%s", err);
    char out[4200], cmd[9000];
    snprintf(out, sizeof out, "%s.cpio", tree);
    struct cpio_opts o = { .reproducible = true };
    ck_assert_msg(cpio_write_file(b, out, &o) == 0, "%s", cpio_error(b));
    cpio_builder_free(b);
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s && mkdir x && cd x && cpio -idm --no-absolute-filenames --quiet < %s"
             " && printf '/lib/modules/" KVER "/kernel/gamma.ko\\n/lib/modules/" KVER
             "/kernel/b/beta_mod.ko\\n/lib/modules/" KVER "/kernel/a/alpha.ko\\n' > want"
             " && cmp want lib/modules/" KVER "/minivmm.load"
             " && gzip -dc ../kernel/gamma.ko.gz | cmp - lib/modules/" KVER "/kernel/gamma.ko"
             " && cmp ../kernel/a/alpha.ko lib/modules/" KVER "/kernel/a/alpha.ko"
             " && test ! -e lib/modules/" KVER "/kernel/c", tree, out);
    sh(cmd);
    unlink(out);
    initrd_modules_free(&m);
    /* '-' and '_' are the same name. */
    const char *dash[] = { "beta-mod" };
    ck_assert_int_eq(initrd_modules_resolve(tree, KVER, dash, 1, &m, err, sizeof err), 0);
    ck_assert_uint_eq(m.n, 2);
    ck_assert_str_eq(m.v[1].name, "beta_mod");
    initrd_modules_free(&m);
    /* A built-in dependency is not needed; a built-in module request is a no-op. */
    const char *bi[] = { "usesbuiltin", "builtin-thing" };
    ck_assert_msg(initrd_modules_resolve(tree, KVER, bi, 2, &m, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(m.n, 1);
    initrd_modules_free(&m);
}
END_TEST

/* Below "usr/" (run --rootfs, docs/rootfs.md): modules and the load-order
 * file under usr/lib/modules, the list naming those paths, and no "lib"
 * entry at all, so that a userland's /lib -> usr/lib symlink survives. */
START_TEST(test_pack_below_usr)
{
    struct initrd_modules m;
    char err[512];
    const char *names[] = { "beta_mod" };
    ck_assert_msg(initrd_modules_resolve(tree, KVER, names, 1, &m, err, sizeof err) == 0, "%s",
                  err);
    struct cpio_builder *b = cpio_builder_new();
    ck_assert_msg(initrd_modules_add_at(b, &m, "usr/", err, sizeof err) == 0, "%s", err);
    char out[4200], cmd[16000];
    snprintf(out, sizeof out, "%s.usr.cpio", tree);
    struct cpio_opts o = { .reproducible = true };
    ck_assert_msg(cpio_write_file(b, out, &o) == 0, "%s", cpio_error(b));
    cpio_builder_free(b);
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s && mkdir y && cd y && cpio -idm --no-absolute-filenames --quiet < %s"
             " && printf '/usr/lib/modules/" KVER "/kernel/gamma.ko\n/usr/lib/modules/" KVER
             "/kernel/b/beta_mod.ko\n' > want"
             " && cmp want usr/lib/modules/" KVER "/minivmm.load"
             " && cmp ../kernel/b/beta_mod.ko usr/lib/modules/" KVER "/kernel/b/beta_mod.ko"
             " && test ! -e lib && ! cpio -t --quiet < %s | grep -q '^lib'", tree, out, out);
    sh(cmd);
    unlink(out);
    initrd_modules_free(&m);
}
END_TEST

START_TEST(test_synthetic_errors)
{
    expect_err("absent", "module absent not found", tree);
    expect_err("needsmissing", "module nothere (needed by needsmissing) not found", NULL);
    expect_err("cyc2", "cycle", "cyc2 -> cyc3 -> cyc1 -> cyc2");
    expect_err("garbage", "garbage.ko", "not an ELF");
    expect_err("xzmod", "xz-compressed", "xzmod.ko.xz");
    expect_err("badgz", "badgz.ko.gz", "gzip");
    expect_err("oldkernel", "built for kernel 5.10.0-1-amd64", KVER);
    expect_err("baddep", "bad dependency name", NULL);
    expect_err("../alpha", "bad module name", NULL);
    struct initrd_modules m;
    char err[256];
    const char *names[] = { "alpha" };
    ck_assert_int_eq(initrd_modules_resolve("/nonexistent/mods", KVER, names, 1, &m, err,
                                            sizeof err), -1);
    ck_assert_msg(strstr(err, "/nonexistent/mods"), "%s", err);
    ck_assert_int_eq(initrd_modules_resolve(tree, "../x", names, 1, &m, err, sizeof err), -1);
}
END_TEST

/* Hostile ELF: every truncation and many corrupted header fields must be
 * rejected or parsed within bounds (ASan in the SAN=1 build checks). */
START_TEST(test_hostile_elf)
{
    const char mi[] = "depends=a,b\0vermagic=" KVER " SMP";
    unsigned char good[1024], bad[1024];
    size_t len = make_elf(good, sizeof good, mi, sizeof mi);
    const char *val;
    size_t vl;
    char err[256];
    ck_assert_int_eq(initrd_modinfo_get(good, len, "depends", &val, &vl, err, sizeof err), 1);
    ck_assert_uint_eq(vl, 3);
    ck_assert(!memcmp(val, "a,b", 3));
    ck_assert_int_eq(initrd_modinfo_get(good, len, "nokey", &val, &vl, err, sizeof err), 0);
    for (size_t n = 0; n < len; n++) {
        unsigned char *t = malloc(n ? n : 1);   /* exact size so ASan sees overruns */
        memcpy(t, good, n);
        int r = initrd_modinfo_get(t, n, "vermagic", &val, &vl, err, sizeof err);
        ck_assert_msg(r == -1, "truncated to %zu bytes but accepted", n);
        free(t);
    }
    /* Flip every byte of the ELF header and section headers to 0xff and 0x80. */
    size_t shoff = len - 3 * 64;
    for (size_t i = 0; i < len; i++) {
        if (i >= 64 && i < shoff)
            continue;
        static const unsigned char vals[] = { 0xff, 0x80, 0x00, 0x41 };
        for (size_t k = 0; k < sizeof vals; k++) {
            memcpy(bad, good, len);
            bad[i] = vals[k];
            unsigned char *t = malloc(len);
            memcpy(t, bad, len);
            int r = initrd_modinfo_get(t, len, "vermagic", &val, &vl, err, sizeof err);
            if (r == 1)
                ck_assert(val >= (const char *)t && val + vl <= (const char *)t + len);
            free(t);
        }
    }
    /* Specific lies. */
    memcpy(bad, good, len);
    bad[0x3c] = 0xff;                          /* shnum far too big */
    ck_assert_int_eq(initrd_modinfo_get(bad, len, "depends", &val, &vl, err, sizeof err), -1);
    memcpy(bad, good, len);
    bad[0x3e] = 7;                             /* shstrndx out of range */
    ck_assert_int_eq(initrd_modinfo_get(bad, len, "depends", &val, &vl, err, sizeof err), -1);
    memcpy(bad, good, len);
    bad[shoff + 64 + 32 + 3] = 0x10;           /* .modinfo size beyond the file */
    ck_assert_int_eq(initrd_modinfo_get(bad, len, "depends", &val, &vl, err, sizeof err), -1);
    ck_assert_msg(strstr(err, ".modinfo"), "%s", err);
    memcpy(bad, good, len);
    bad[4] = 1;                                /* ELFCLASS32 */
    ck_assert_int_eq(initrd_modinfo_get(bad, len, "depends", &val, &vl, err, sizeof err), -1);
    /* .modinfo without a final NUL: the last string ends at the section end. */
    const char open_end[] = { 'd', 'e', 'p', 'e', 'n', 'd', 's', '=', 'x' };
    len = make_elf(good, sizeof good, open_end, sizeof open_end);
    ck_assert_int_eq(initrd_modinfo_get(good, len, "depends", &val, &vl, err, sizeof err), 1);
    ck_assert_uint_eq(vl, 1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("initrd_modules");
    TCase *t = tcase_create("debian");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_debian_tree);
    suite_add_tcase(s, t);
    t = tcase_create("synthetic");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_synthetic_order_and_pack);
    tcase_add_test(t, test_pack_below_usr);
    tcase_add_test(t, test_synthetic_errors);
    tcase_add_test(t, test_hostile_elf);
    suite_add_tcase(s, t);
    return s;
}

TEST_MAIN(suite)
