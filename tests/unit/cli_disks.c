/* minivmm run's disks (cli/disks.c): lkp's disk: NHDD|NSSD read with the
 * repository's disk program and as a plain value, the images made, placed
 * first with lkp's partition variables on the command line, removed or
 * kept; the options; the fs modules. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job/job.h"
#include "tests/unit/testutil.h"
#include "cli/disks.h"

static struct job_list jobs;

/* Loads TEXT with the repository's programs (disk, fs, pass) when progs. */
static struct job *load(const char *text, bool progs)
{
    static const char *dirs[] = { "programs" };
    static const char *none[] = { "tests/data/job/programs" };
    struct job_opts o = { .program_dirs = progs ? dirs : none, .nprogram_dirs = 1,
                          .nr_cpu = 1, .memory = 512ULL << 20 };
    char err[512];
    job_list_free(&jobs);
    memset(&jobs, 0, sizeof(jobs));
    ck_assert_msg(job_load_text("t.yaml", text, strlen(text), &o, &jobs, err, sizeof(err)) == 0,
                  "%s", err);
    ck_assert_uint_ge(jobs.n, 1);
    return jobs.v[0];
}

START_TEST(counts)
{
    int h, s;
    char err[256];
    ck_assert_int_eq(job_disks_count(load("testcase: t\ndisk: 2HDD\npass:\n", true), &h, &s,
                                     err, sizeof(err)), 0);
    ck_assert_int_eq(h, 2);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(job_disks_count(load("testcase: t\ndisk: 1SSD\npass:\n", true), &h, &s,
                                     err, sizeof(err)), 0);
    ck_assert_int_eq(h + 10 * s, 10);
    /* Without a disk program the value stays plain: read the same way. */
    ck_assert_int_eq(job_disks_count(load("testcase: t\ndisk: 3HDD\npass:\n", false), &h, &s,
                                     err, sizeof(err)), 0);
    ck_assert_int_eq(h, 3);
    ck_assert_int_eq(job_disks_count(load("testcase: t\ndisk: 1BRD_48G\npass:\n", true), &h, &s,
                                     err, sizeof(err)), 0);
    ck_assert_int_eq(h + s, 0);
    ck_assert_int_eq(job_disks_count(load("testcase: t\npass:\n", true), &h, &s, err,
                                     sizeof(err)), 0);
    ck_assert_int_eq(h + s, 0);
    ck_assert_int_eq(job_disks_count(load("testcase: t\ndisk: 9HDD\npass:\n", true), &h, &s,
                                     err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "9 disks asked for"), "%s", err);
    /* Too many as a plain value too: refused, never read as no disks. */
    ck_assert_int_eq(job_disks_count(load("testcase: t\ndisk: 17HDD\npass:\n", false), &h, &s,
                                     err, sizeof(err)), -1);
    ck_assert_int_eq(job_disks_count(load("testcase: t\ndisk: 99999999999999999999SSD\npass:\n",
                                          false), &h, &s, err, sizeof(err)), -1);
}
END_TEST

START_TEST(options)
{
    struct run_disk_opts d = { 0 };
    char err[256];
    ck_assert_int_eq(run_disk_opt(&d, "keep-disks", NULL, err, sizeof(err)), 0);
    ck_assert(d.keep);
    ck_assert_int_eq(run_disk_opt(&d, "disk-size", "2G", err, sizeof(err)), 0);
    ck_assert_uint_eq(d.size, 2ULL << 30);
    ck_assert_int_eq(run_disk_opt(&d, "disk-size", "512K", err, sizeof(err)), -1);
    ck_assert_int_eq(run_disk_opt(&d, "disk-size", "x", err, sizeof(err)), -1);
    ck_assert_int_eq(run_disk_opt(&d, "disk", "a.img,ro", err, sizeof(err)), 0);
    ck_assert_int_eq(d.nuser, 1);
    ck_assert(d.user[0].readonly);
    ck_assert_int_eq(run_disk_opt(&d, "disk", "a.img,bad", err, sizeof(err)), -1);
    for (int i = 1; i < MAX_DISKS; i++)
        ck_assert_int_eq(run_disk_opt(&d, "disk", "b.img", err, sizeof(err)), 0);
    ck_assert_int_eq(run_disk_opt(&d, "disk", "c.img", err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "too many disks"), "%s", err);
}
END_TEST

START_TEST(attach_and_release)
{
    char root[] = "/tmp/minivmm-disks-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(root));
    struct job *j = load("testcase: t\ndisk: 1HDD\ndisk_size: 3M\npass:\n", true);
    struct run_disk_opts o = { 0 };
    char err[256];
    ck_assert_int_eq(run_disk_opt(&o, "disk", "/user.img", err, sizeof(err)), 0);
    struct boot_opts b = { .nshares = 1, .append = "x=1" };
    struct job_disks jd;
    ck_assert_int_eq(job_disks_attach(j, &o, root, &b, &jd, err, sizeof(err)), 0);
    ck_assert_int_eq(b.ndisks, 2);
    ck_assert_str_eq(b.disks[1].path, "/user.img");
    ck_assert_str_eq(b.disks[0].serial, "lkp-hdd0");
    ck_assert_str_eq(b.append, "x=1 hdd_partitions=\"/dev/vda\"");
    struct stat st;
    ck_assert_int_eq(stat(b.disks[0].path, &st), 0);
    ck_assert_int_eq(st.st_size, 3 << 20);
    ck_assert_int_lt(st.st_blocks, 64);            /* sparse */
    char res[128];
    snprintf(res, sizeof(res), "%s/res", root);
    ck_assert_int_eq(mkdir(res, 0755), 0);
    job_disks_release(&jd, true, res);
    char kept[160];
    snprintf(kept, sizeof(kept), "%s/disks/hdd0.img", res);
    ck_assert_int_eq(stat(kept, &st), 0);
    ck_assert_int_eq(st.st_size, 3 << 20);
    /* Without keep: nothing left.  Two kinds, HDDs first. */
    j = load("testcase: t\ndisk: 2SSD\npass:\n", true);
    o.nuser = 0;
    o.size = 1 << 20;
    b = (struct boot_opts){ .nshares = 1 };
    ck_assert_int_eq(job_disks_attach(j, &o, root, &b, &jd, err, sizeof(err)), 0);
    ck_assert_str_eq(b.append, "ssd_partitions=\"/dev/vda /dev/vdb\"");
    ck_assert_str_eq(b.disks[1].serial, "lkp-ssd1");
    job_disks_release(&jd, false, res);
    ck_assert_int_ne(stat(b.disks[0].path, &st), 0);
    /* A bad disk_size. */
    j = load("testcase: t\ndisk: 1HDD\ndisk_size: 10K\npass:\n", true);
    o.size = 0;
    ck_assert_int_eq(job_disks_attach(j, &o, root, &b, &jd, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "disk_size '10K'"), "%s", err);
    /* No disks: nothing made, the command line untouched. */
    j = load("testcase: t\npass:\n", true);
    b = (struct boot_opts){ .nshares = 1, .append = "y" };
    ck_assert_int_eq(job_disks_attach(j, &o, root, &b, &jd, err, sizeof(err)), 0);
    ck_assert_str_eq(b.append, "y");
    ck_assert_int_eq(b.ndisks, 0);
    job_disks_release(&jd, false, res);
    unlink(kept);
    snprintf(kept, sizeof(kept), "%s/disks", res);
    ck_assert_int_eq(rmdir(kept), 0);
    ck_assert_int_eq(rmdir(res), 0);
    ck_assert_int_eq(rmdir(root), 0);            /* nothing else was left */
}
END_TEST

/* --keep-disks moves the images into the result directory, which was the
 * guest's to write: a `disks` it left there as a link to elsewhere is not
 * followed (the images stay in their work directory, one line says so). */
START_TEST(keep_not_through_a_link)
{
    char root[] = "/tmp/minivmm-disks-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(root));
    struct job *j = load("testcase: t\ndisk: 1HDD\ndisk_size: 1M\npass:\n", true);
    struct run_disk_opts o = { 0 };
    char err[256], res[128], away[128], link[160], p[200];
    struct boot_opts b = { .nshares = 1 };
    struct job_disks jd;
    ck_assert_int_eq(job_disks_attach(j, &o, root, &b, &jd, err, sizeof(err)), 0);
    snprintf(res, sizeof(res), "%s/res", root);
    snprintf(away, sizeof(away), "%s/away", root);
    snprintf(link, sizeof(link), "%s/disks", res);
    ck_assert_int_eq(mkdir(res, 0755), 0);
    ck_assert_int_eq(mkdir(away, 0755), 0);
    ck_assert_int_eq(symlink(away, link), 0);
    char img[PATH_MAX];
    snprintf(img, sizeof(img), "%s", jd.path[0]);
    job_disks_release(&jd, true, res);
    snprintf(p, sizeof(p), "%s/hdd0.img", away);
    struct stat st;
    ck_assert_msg(lstat(p, &st) < 0, "the image was moved through the guest's link");
    ck_assert_int_eq(stat(img, &st), 0);          /* it stays where it was made */
    ck_assert_int_eq(unlink(img), 0);
    *strrchr(img, '/') = 0;
    ck_assert_int_eq(rmdir(img), 0);
    ck_assert_int_eq(unlink(link), 0);
    ck_assert_int_eq(rmdir(away), 0);
    ck_assert_int_eq(rmdir(res), 0);
    ck_assert_int_eq(rmdir(root), 0);
}
END_TEST

START_TEST(fs_modules)
{
    const char *names[8];
    struct job *js[3];
    js[0] = load("testcase: t\ndisk: 1HDD\nfs: ext2\npass:\n", true);
    struct job_list a = jobs;
    memset(&jobs, 0, sizeof(jobs));
    js[1] = load("testcase: t\ndisk: 1HDD\nfs: ext4\npass:\n", true);
    struct job_list b = jobs;
    memset(&jobs, 0, sizeof(jobs));
    js[2] = load("testcase: t\ndisk: 1BRD_4G\nfs: xfs\npass:\n", true);
    ck_assert_uint_eq(job_disks_modules(js, 3, names, 8), 4);
    ck_assert_str_eq(names[0], "ext4");
    ck_assert_str_eq(names[1], "crc32c_generic");   /* mount needs it */
    ck_assert_str_eq(names[2], "xfs");
    ck_assert_str_eq(names[3], "brd");
    ck_assert_uint_eq(job_disks_modules(js, 2, names, 8), 2);
    job_list_free(&a);
    job_list_free(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli_disks");
    TCase *t = tcase_create("disks");
    tcase_add_test(t, counts);
    tcase_add_test(t, options);
    tcase_add_test(t, attach_and_release);
    tcase_add_test(t, keep_not_through_a_link);
    tcase_add_test(t, fs_modules);
    suite_add_tcase(s, t);
    return s;
}

TEST_MAIN(suite)
