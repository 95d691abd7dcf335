/* Confinement tests of the 9P2000.L server: the guest must never name,
 * open, create, rename, link or follow anything outside the export.  Every
 * test ends by checking that a canary next to the export is untouched. */
/* ---- a tiny 9P2000.L client for the tests (own encoder/decoder) ------- */
#include "virtio/9p.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tests/unit/testutil.h"

#include "tests/unit/virtio_9p_client.h"

/* ---- fixture: <base>/export is exported, <base>/outside holds a canary -- */

#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

static char base[256], exp_[512], outside[512], canary[600];
static struct stat canary_st, outside_st;
static struct p9_server *S;

static void ep(char *buf, const char *rel)
{
    snprintf(buf, 600, "%s/%s", exp_, rel);
}

static void mk(const char *rel, int dirmode)
{
    char p[600];
    ep(p, rel);
    if (dirmode)
        ck_assert_int_eq(mkdir(p, (mode_t)dirmode), 0);
    else
        put_file(p, "inside");
}

static void sl(const char *target, const char *rel)
{
    char p[600];
    ep(p, rel);
    ck_assert_int_eq(symlink(target, p), 0);
}

static void setup(void)
{
    snprintf(base, sizeof(base), "/tmp/p9conf.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base));
    snprintf(exp_, sizeof(exp_), "%s/export", base);
    snprintf(outside, sizeof(outside), "%s/outside", base);
    snprintf(canary, sizeof(canary), "%s/canary", outside);
    ck_assert_int_eq(mkdir(exp_, 0755), 0);
    ck_assert_int_eq(mkdir(outside, 0755), 0);
    put_file(canary, "secret");
    ck_assert_int_eq(chmod(canary, 0600), 0);
    struct timespec old[2] = { { 1000000, 0 }, { 1000000, 0 } };
    ck_assert_int_eq(utimensat(AT_FDCWD, canary, old, 0), 0);
    ck_assert_int_eq(utimensat(AT_FDCWD, outside, old, 0), 0);
    ck_assert_int_eq(stat(canary, &canary_st), 0);
    ck_assert_int_eq(stat(outside, &outside_st), 0);
    /* Pre-existing host objects inside the export. */
    mk("dir", 0755);
    mk("dir/dir", 0755);
    mk("dir/dir/dir", 0755);
    mk("dir/dir/dir/dir", 0755);
    mk("dir/f", 0);
    sl(outside, "abs");
    sl("../outside", "rel");
    sl(canary, "abscanary");
    sl("../outside/canary", "relcanary");
    sl("/", "hostroot");
    char p[600];
    ep(p, "fifo");
    ck_assert_int_eq(mkfifo(p, 0666), 0);
    ep(p, "null");
    ck_assert_msg(mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0,
                  "creating a device node needs root (CAP_MKNOD): %s", strerror(errno));
    ep(p, "sock");
    int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    ck_assert_uint_lt(strlen(p), sizeof(sa.sun_path));
    strcpy(sa.sun_path, p);
    ck_assert_int_eq(bind(sfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(sfd);
    char err[256] = "";
    S = p9_server_new(exp_, false, err, sizeof(err));
    ck_assert_msg(S != NULL, "%s", err);
    uint32_t m;
    char v[64];
    ck_assert_int_eq(c_version(S, 65536, "9P2000.L", &m, v), 0);
    ck_assert_int_eq(c_attach(S, 0, 0, NULL), 0);
}

/* Nothing outside the export changed and nothing new appeared next to it. */
static void assert_outside_untouched(void)
{
    char buf[64];
    struct stat st;
    ck_assert_str_eq(slurp(canary, buf, sizeof(buf)), "secret");
    ck_assert_int_eq(lstat(canary, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_uint_eq(st.st_mode, canary_st.st_mode);
    ck_assert_uint_eq(st.st_uid, canary_st.st_uid);
    ck_assert_uint_eq(st.st_gid, canary_st.st_gid);
    ck_assert_uint_eq(st.st_nlink, 1);
    ck_assert_int_eq(st.st_size, 6);
    ck_assert_int_eq(st.st_mtim.tv_sec, canary_st.st_mtim.tv_sec);
    ck_assert_int_eq(st.st_ctim.tv_sec, canary_st.st_ctim.tv_sec);
    ck_assert_int_eq(st.st_ctim.tv_nsec, canary_st.st_ctim.tv_nsec);
    ck_assert_int_eq(lstat(outside, &st), 0);
    ck_assert_int_eq(st.st_mtim.tv_sec, outside_st.st_mtim.tv_sec);
    ck_assert_uint_eq(st.st_mode, outside_st.st_mode);
    ck_assert_uint_eq(st.st_uid, outside_st.st_uid);
    const char *want[2][3] = { { "canary" }, { "export", "outside" } };
    const char *dirs[2] = { outside, base };
    for (int k = 0; k < 2; k++) {
        DIR *d = opendir(dirs[k]);
        ck_assert_ptr_nonnull(d);
        int n = 0;
        for (struct dirent *e; (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            bool ok = false;
            for (int i = 0; i < 3 && want[k][i]; i++)
                ok |= !strcmp(e->d_name, want[k][i]);
            ck_assert_msg(ok, "unexpected %s/%s", dirs[k], e->d_name);
            n++;
        }
        closedir(d);
        ck_assert_int_eq(n, k ? 2 : 1);
    }
}

static void teardown(void)
{
    p9_server_free(S);
    rm_rf(base);
}

static ino_t ino_of(const char *rel)
{
    char p[600];
    struct stat st;
    ep(p, rel);
    ck_assert_msg(lstat(p, &st) == 0, "%s", p);
    return st.st_ino;
}

/* ---- tests ---------------------------------------------------------- */

START_TEST(dotdot_at_every_position)
{
    ino_t depth_ino[5];
    const char *rels[5] = { ".", "dir", "dir/dir", "dir/dir/dir", "dir/dir/dir/dir" };
    for (int i = 0; i < 5; i++)
        depth_ino[i] = ino_of(rels[i]);
    /* Every sequence of up to 7 steps made of ".." and "dir". */
    for (int len = 1; len <= 7; len++) {
        for (unsigned bits = 0; bits < (1u << len); bits++) {
            const char *names[7];
            int d = 0, ok = len;
            for (int i = 0; i < len; i++) {
                bool up = bits >> i & 1;
                names[i] = up ? ".." : "dir";
                if (up)
                    d = d ? d - 1 : 0;
                else if (d == 4 && ok == len)
                    ok = i;             /* dir/dir/dir/dir has no "dir" */
                else
                    d++;
            }
            struct qid qids[7];
            int k = c_walkv(S, 0, 1, len, (const char **)names, qids);
            if (ok == len) {
                ck_assert_int_eq(k, len);
                ck_assert_uint_eq(qids[len - 1].path, depth_ino[d]);
                ck_assert_int_eq(c_clunk(S, 1), 0);
            } else {
                ck_assert_int_eq(k, ok ? ok : -ENOENT);
            }
            for (int i = 0; i < (k > 0 ? k : 0); i++) {
                bool inside = false;
                for (int j = 0; j < 5; j++)
                    inside |= qids[i].path == depth_ino[j];
                ck_assert(inside);
                ck_assert_uint_ne(qids[i].path, outside_st.st_ino);
            }
        }
    }
    /* Up past the root and then sideways: never reaches "outside". */
    const char *esc[] = { "..", "..", "..", "outside", "canary" };
    ck_assert_int_eq(c_walkv(S, 0, 1, 5, esc, NULL), 3);
    ck_assert_int_eq(c_clunk(S, 1), EBADF);
    ck_assert_int_eq(c_walk(S, 0, 2, "dir/dir", NULL), 0);
    const char *esc2[] = { "..", "..", "..", "..", "..", "outside" };
    ck_assert_int_eq(c_walkv(S, 2, 3, 6, esc2, NULL), 5);
    const char *up16[16];
    for (int i = 0; i < 16; i++)
        up16[i] = "..";
    struct qid q16[16];
    ck_assert_int_eq(c_walkv(S, 2, 3, 16, up16, q16), 16);
    ck_assert_uint_eq(q16[15].path, depth_ino[0]);
    /* Creating through a fid that walked "up" from the root stays inside. */
    ck_assert_int_eq(c_lcreate(S, 3, "made", 2, 0644, 0), 0);
    ino_of("made");
    ck_assert_int_eq(c_walk(S, 0, 4, "..", NULL), 0);
    ck_assert_int_eq(c_mkdir(S, 4, "outside2", 0755, 0), 0);
    ino_of("outside2");
    assert_outside_untouched();
}
END_TEST

static const char *bad_names[] = {
    "..", ".", "", "/", "/tmp", "../outside", "../outside/canary", "a/b", "dir/..",
    "x/../../outside", "dir/", "/etc/passwd",
};
#define NBAD (int)(sizeof(bad_names) / sizeof(bad_names[0]))

START_TEST(names_are_single_components)
{
    ck_assert_int_eq(c_walk(S, 0, 1, "dir/f", NULL), 0);
    ck_assert_int_eq(c_walk(S, 0, 2, "dir", NULL), 0);
    for (int i = 0; i < NBAD; i++) {
        const char *n = bad_names[i];
        bool dotdot = !strcmp(n, "..");
        if (!dotdot) {          /* ".." is a valid walk name (tested above) */
            const char *one[1] = { n };
            if (!strcmp(n, "/")) {  /* the root's own name, from the root: the root */
                struct qid q;
                ck_assert_int_eq(c_walkv(S, 0, 9, 1, one, &q), 1);
                ck_assert_uint_eq(q.path, ino_of("."));
                ck_assert_int_eq(c_clunk(S, 9), 0);
            } else {
                ck_assert_msg(c_walkv(S, 0, 9, 1, one, NULL) == -EINVAL, "walk %s", n);
            }
            const char *two[2] = { "dir", n };
            ck_assert_msg(c_walkv(S, 0, 9, 2, two, NULL) == 1, "walk dir/%s", n);
        }
        ck_assert_msg(c_lcreate(S, 2, n, 2, 0644, 0) == EINVAL, "lcreate %s", n);
        ck_assert_msg(c_mkdir(S, 0, n, 0755, 0) == EINVAL, "mkdir %s", n);
        ck_assert_msg(c_symlink(S, 0, n, "x", 0) == EINVAL, "symlink %s", n);
        ck_assert_msg(c_mknod(S, 0, n, S_IFREG | 0644, 0, 0) == EINVAL, "mknod %s", n);
        ck_assert_msg(c_mknod(S, 0, n, S_IFIFO | 0644, 0, 0) == EINVAL, "mkfifo %s", n);
        ck_assert_msg(c_link(S, 0, 1, n) == EINVAL, "link %s", n);
        ck_assert_msg(c_rename(S, 1, 0, n) == EINVAL, "rename %s", n);
        ck_assert_msg(c_renameat(S, 2, "f", 0, n) == EINVAL, "renameat to %s", n);
        ck_assert_msg(c_renameat(S, 0, n, 0, "stolen") == EINVAL, "renameat from %s", n);
        ck_assert_msg(c_unlinkat(S, 0, n, 0) == EINVAL, "unlinkat %s", n);
        ck_assert_msg(c_unlinkat(S, 0, n, 0x200) == EINVAL, "rmdir %s", n);
    }
    char longname[300];
    memset(longname, 'a', 256);
    longname[256] = 0;
    ck_assert_int_eq(c_mkdir(S, 0, longname, 0755, 0), ENAMETOOLONG);
    /* The file is still where it was. */
    ino_of("dir/f");
    assert_outside_untouched();
}
END_TEST

/* Through a fid that is a symlink (to a directory outside) nothing works. */
static void through_symlink_fid(const char *name)
{
    struct qid q;
    ck_assert_int_eq(c_walk(S, 0, 1, name, &q), 0);
    ck_assert_uint_eq(q.type, 0x02);
    const char *two[2] = { name, "canary" };
    ck_assert_int_eq(c_walkv(S, 0, 9, 2, two, NULL), 1);
    ck_assert_int_eq(c_walk(S, 1, 9, "canary", NULL), ENOTDIR);
    ck_assert_int_eq(c_walk(S, 1, 9, "..", NULL), ENOTDIR);
    ck_assert_int_eq(c_lcreate(S, 1, "new", 2, 0644, 0), ENOTDIR);
    ck_assert_int_eq(c_walk(S, 0, 2, name, NULL), 0);
    ck_assert_int_eq(c_mkdir(S, 2, "new", 0755, 0), ENOTDIR);
    ck_assert_int_eq(c_symlink(S, 2, "new", "x", 0), ENOTDIR);
    ck_assert_int_eq(c_mknod(S, 2, "new", S_IFREG | 0644, 0, 0), ENOTDIR);
    ck_assert_int_eq(c_unlinkat(S, 2, "canary", 0), ENOTDIR);
    ck_assert_int_eq(c_renameat(S, 2, "canary", 0, "stolen"), ENOTDIR);
    ck_assert_int_eq(c_renameat(S, 0, "dir", 2, "planted"), ENOTDIR);
    ck_assert_int_eq(c_walk(S, 0, 3, "dir/f", NULL), 0);
    ck_assert_int_eq(c_link(S, 2, 3, "planted"), ENOTDIR);
    ck_assert_int_eq(c_lopen(S, 2, 0), ELOOP);
    ck_assert_int_eq(c_clunk(S, 1), 0);
    ck_assert_int_eq(c_clunk(S, 2), 0);
    ck_assert_int_eq(c_clunk(S, 3), 0);
}

/* Through a fid that is a symlink to the canary: only the link is touched. */
static void symlink_to_canary(const char *name)
{
    struct gattr a;
    char p[600];
    struct stat st;
    ck_assert_int_eq(c_walk(S, 0, 1, name, NULL), 0);
    ck_assert_int_eq(c_getattr(S, 1, &a), 0);
    ck_assert(S_ISLNK(a.mode));
    ck_assert_uint_ne(a.qid.path, canary_st.st_ino);
    for (uint32_t fl = 0; fl < 3; fl++) {
        ck_assert_int_eq(c_lopen(S, 1, fl), ELOOP);
        ck_assert_int_eq(c_lopen(S, 1, fl | 01000), ELOOP);
    }
    ck_assert_int_eq(c_setattr(S, 1, SA_SIZE, 0, 0, 0, 0, 0, 0), EINVAL);
    ck_assert_int_eq(c_setattr(S, 1, SA_MODE, 0777, 0, 0, 0, 0, 0), EOPNOTSUPP);
    ck_assert_int_eq(c_setattr(S, 1, SA_ATIME | SA_ATIME_SET | SA_MTIME | SA_MTIME_SET, 0, 0, 0, 0, 5, 6), 0);
    ep(p, name);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_int_eq(st.st_mtim.tv_sec, 6);         /* the link itself */
    if (geteuid() == 0) {
        ck_assert_int_eq(c_setattr(S, 1, SA_UID | SA_GID, 0, 4321, 4321, 0, 0, 0), 0);
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert_uint_eq(st.st_uid, 4321);
    }
    /* Creating over the name opens nothing. */
    ck_assert_int_eq(c_walk(S, 0, 2, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 2, name, 2 | 01000, 0644, 0), EEXIST);
    ck_assert_int_eq(c_lcreate(S, 2, name, 1, 0644, 0), EEXIST);
    ck_assert_int_eq(c_mkdir(S, 0, name, 0755, 0), EEXIST);
    ck_assert_int_eq(c_mknod(S, 0, name, S_IFREG | 0644, 0, 0), EEXIST);
    /* A hard link to the fid links the symlink, not the canary. */
    char hl[64];
    snprintf(hl, sizeof(hl), "hl-%s", name);
    ck_assert_int_eq(c_link(S, 0, 1, hl), 0);
    ep(p, hl);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    /* Readlink just reports the text. */
    char buf[600];
    ck_assert_int_eq(c_readlink(S, 1, buf, sizeof(buf)), 0);
    /* Rename and remove act on the link. */
    char mv[64];
    snprintf(mv, sizeof(mv), "mv-%s", name);
    ck_assert_int_eq(c_rename(S, 1, 0, mv), 0);
    ep(p, mv);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert_int_eq(c_remove(S, 1), 0);
    ck_assert_int_eq(lstat(p, &st), -1);
    ck_assert_int_eq(c_clunk(S, 2), 0);
}

START_TEST(host_symlinks_out)
{
    through_symlink_fid("abs");
    through_symlink_fid("rel");
    through_symlink_fid("hostroot");
    symlink_to_canary("abscanary");
    symlink_to_canary("relcanary");
    assert_outside_untouched();
}
END_TEST

START_TEST(guest_symlinks_out)
{
    char tgt[600];
    ck_assert_int_eq(c_symlink(S, 0, "gabs", outside, 0), 0);
    ck_assert_int_eq(c_symlink(S, 0, "grel", "../outside", 0), 0);
    ck_assert_int_eq(c_symlink(S, 0, "groot", "/", 0), 0);
    ck_assert_int_eq(c_symlink(S, 0, "gcanabs", canary, 0), 0);
    ck_assert_int_eq(c_symlink(S, 0, "gcanrel", "../outside/canary", 0), 0);
    ck_assert_int_eq(c_walk(S, 0, 5, "dir", NULL), 0);
    ck_assert_int_eq(c_symlink(S, 5, "deep", "../../outside/canary", 0), 0);
    ep(tgt, "gabs");
    char buf[600];
    ssize_t n = readlink(tgt, buf, sizeof(buf) - 1);
    ck_assert_int_ge(n, 0);
    buf[n] = 0;
    ck_assert_str_eq(buf, outside);
    through_symlink_fid("gabs");
    through_symlink_fid("grel");
    through_symlink_fid("groot");
    symlink_to_canary("gcanabs");
    symlink_to_canary("gcanrel");
    ck_assert_int_eq(c_walk(S, 5, 6, "deep", NULL), 0);
    ck_assert_int_eq(c_lopen(S, 6, 2 | 01000), ELOOP);
    assert_outside_untouched();
}
END_TEST

START_TEST(directory_swapped_for_symlink)
{
    char p[600], q[600], buf[64];
    struct stat st;
    mk("dir/f2", 0);
    mk("gone", 0755);
    ck_assert_int_eq(c_walk(S, 0, 1, "dir", NULL), 0);
    ck_assert_int_eq(c_walk(S, 0, 2, "dir/f", NULL), 0);
    ck_assert_int_eq(c_walk(S, 0, 3, "dir/f2", NULL), 0);
    ck_assert_int_eq(c_walk(S, 0, 4, "gone", NULL), 0);
    ino_t f2 = ino_of("dir/f2");
    /* Host: dir -> dir.old, dir becomes a symlink to outside;
     *       dir.old/f2 -> f2.old, f2 becomes a symlink to the canary;
     *       gone is removed and replaced by a symlink to outside. */
    ep(p, "dir");
    ep(q, "dir.old");
    ck_assert_int_eq(rename(p, q), 0);
    sl(outside, "dir");
    ep(p, "dir.old/f2");
    ep(q, "dir.old/f2.old");
    ck_assert_int_eq(rename(p, q), 0);
    sl(canary, "dir.old/f2");
    ep(p, "gone");
    ck_assert_int_eq(rmdir(p), 0);
    sl(outside, "gone");

    /* Everything through the old fids lands in dir.old (inside). */
    ck_assert_int_eq(c_walk(S, 1, 9, "canary", NULL), ENOENT);
    ck_assert_int_eq(c_unlinkat(S, 1, "canary", 0), ENOENT);
    ck_assert_int_eq(c_mkdir(S, 1, "nd", 0755, 0), 0);
    ck_assert_int_eq(c_symlink(S, 1, "sl", "x", 0), 0);
    ck_assert_int_eq(c_mknod(S, 1, "mk", S_IFIFO | 0644, 0, 0), 0);
    ck_assert_int_eq(c_walk(S, 1, 8, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 8, "new", 2, 0644, 0), 0);
    ck_assert_int_eq(c_write(S, 8, 0, "hi", 2), 2);
    ino_of("dir.old/nd");
    ino_of("dir.old/sl");
    ino_of("dir.old/mk");
    ino_of("dir.old/new");
    ck_assert_int_eq(c_renameat(S, 1, "new", 1, "canary"), 0);   /* inside dir.old */
    ino_of("dir.old/canary");
    /* The file fid keeps its inode. */
    ck_assert_int_eq(c_lopen(S, 2, 2), 0);
    ck_assert_int_eq(c_write(S, 2, 0, "X", 1), 1);
    ep(p, "dir.old/f");
    ck_assert_str_eq(slurp(p, buf, sizeof(buf)), "Xnside");
    /* f2's name now is a symlink to the canary; the fid still holds f2.old. */
    ck_assert_int_eq(c_setattr(S, 3, SA_SIZE, 0, 0, 0, 0, 0, 0), 0);
    ck_assert_int_eq(c_setattr(S, 3, SA_MODE, 0666, 0, 0, 0, 0, 0), 0);
    ck_assert_int_eq(c_setattr(S, 3, SA_MTIME | SA_MTIME_SET, 0, 0, 0, 0, 0, 77), 0);
    ep(p, "dir.old/f2.old");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_int_eq(st.st_size, 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0666);
    ck_assert_int_eq(st.st_mtim.tv_sec, 77);
    ck_assert_int_eq(c_link(S, 0, 3, "hl3"), 0);
    ck_assert_uint_eq(ino_of("hl3"), f2);
    ck_assert_int_eq(c_rename(S, 3, 0, "stolen"), ENOENT);       /* name no longer its own */
    ck_assert_int_eq(c_walk(S, 0, 7, "dir/f2", NULL), EIO);       /* partial: dir is a symlink now */
    ck_assert_int_eq(c_lopen(S, 3, 2 | 01000), 0);
    ck_assert_int_eq(c_write(S, 3, 0, "Y", 1), 1);
    ck_assert_int_eq(c_remove(S, 3), ENOENT);
    ep(p, "dir.old/f2");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    /* A removed directory: nothing can be created through its fid. */
    ck_assert_int_eq(c_mkdir(S, 4, "x", 0755, 0), ENOENT);
    ck_assert_int_eq(c_lcreate(S, 4, "x", 2, 0644, 0), ENOENT);
    ck_assert_int_eq(c_symlink(S, 4, "x", "y", 0), ENOENT);
    ck_assert_int_eq(c_walk(S, 4, 9, "canary", NULL), ENOENT);
    assert_outside_untouched();
}
END_TEST

START_TEST(no_device_nodes)
{
    const uint32_t types[] = { S_IFCHR, S_IFBLK, S_IFSOCK };
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(c_mknod(S, 0, "dev", types[i] | 0666, 1, 3), EPERM);
        ck_assert_int_eq(c_mknod(S, 0, "dev", types[i] | 0666, 8, 0), EPERM);
    }
    ck_assert_int_eq(c_mknod(S, 0, "dev", 0xf000 | 0666, 1, 3), EINVAL);
    char p[600];
    ep(p, "dev");
    ck_assert_int_eq(access(p, F_OK), -1);
    assert_outside_untouched();
}
END_TEST

START_TEST(special_files_never_opened)
{
    const char *names[] = { "fifo", "null", "sock" };
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(c_walk(S, 0, 1, names[i], NULL), 0);
        struct gattr a;
        ck_assert_int_eq(c_getattr(S, 1, &a), 0);   /* stat is fine */
        for (uint32_t fl = 0; fl < 3; fl++) {
            ck_assert_int_eq(c_lopen(S, 1, fl), EPERM);
            ck_assert_int_eq(c_lopen(S, 1, fl | 04000), EPERM);
        }
        ck_assert_int_eq(c_setattr(S, 1, SA_SIZE, 0, 0, 0, 0, 0, 0), EINVAL);
        ck_assert_int_eq(c_walk(S, 0, 2, "", NULL), 0);
        ck_assert_int_eq(c_lcreate(S, 2, names[i], 0, 0644, 0), EEXIST);
        ck_assert_int_eq(c_lcreate(S, 2, names[i], 1 | 01000, 0644, 0), EEXIST);
        char buf[8];
        ck_assert_int_eq(c_read(S, 1, 0, 8, buf), -EBADF);
        ck_assert_int_eq(c_clunk(S, 1), 0);
        ck_assert_int_eq(c_clunk(S, 2), 0);
    }
    /* A guest-made fifo is not opened either. */
    ck_assert_int_eq(c_mknod(S, 0, "gfifo", S_IFIFO | 0666, 0, 0), 0);
    ck_assert_int_eq(c_walk(S, 0, 1, "gfifo", NULL), 0);
    ck_assert_int_eq(c_lopen(S, 1, 0), EPERM);
    assert_outside_untouched();
}
END_TEST

START_TEST(renames_and_links_stay_inside)
{
    /* Renaming a symlink that points out moves the link only. */
    ck_assert_int_eq(c_renameat(S, 0, "abs", 0, "abs2"), 0);
    ck_assert_int_eq(c_renameat(S, 0, "abscanary", 0, "x"), 0);
    char p[600];
    struct stat st;
    ep(p, "x");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    /* Renaming a directory over a symlink replaces the link, not its target. */
    mk("victim", 0);
    ck_assert_int_eq(c_renameat(S, 0, "victim", 0, "relcanary"), 0);
    ep(p, "relcanary");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    /* Unlinking a symlink removes the link. */
    ck_assert_int_eq(c_unlinkat(S, 0, "rel", 0), 0);
    ck_assert_int_eq(c_unlinkat(S, 0, "abs2", 0x200), ENOTDIR);
    /* Links of everything reachable stay inside. */
    ck_assert_int_eq(c_walk(S, 0, 1, "dir/f", NULL), 0);
    ck_assert_int_eq(c_walk(S, 0, 2, "dir/dir", NULL), 0);
    ck_assert_int_eq(c_link(S, 2, 1, "f-link"), 0);
    ino_of("dir/dir/f-link");
    ck_assert_int_eq(c_walk(S, 0, 3, "hostroot", NULL), 0);
    ck_assert_int_eq(c_link(S, 3, 1, "etc"), ENOTDIR);
    assert_outside_untouched();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("virtio_9p_confine");
    TCase *tc = tcase_create("confinement");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, dotdot_at_every_position);
    tcase_add_test(tc, names_are_single_components);
    tcase_add_test(tc, host_symlinks_out);
    tcase_add_test(tc, guest_symlinks_out);
    tcase_add_test(tc, directory_swapped_for_symlink);
    tcase_add_test(tc, no_device_nodes);
    tcase_add_test(tc, special_files_never_opened);
    tcase_add_test(tc, renames_and_links_stay_inside);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
