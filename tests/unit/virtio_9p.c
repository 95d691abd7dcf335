/* Unit tests of the 9P2000.L server: every operation against a temporary
 * directory, checked on the host afterwards (the wire format is tested in
 * virtio_9p_wire.c). */
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

#include <pthread.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/uio.h>

#include "tests/unit/virtio_9p_fixture.h"

static struct p9_server *start(bool ro) { return c_start(dir, ro); }

/* ---- fids and walks ------------------------------------------------- */

START_TEST(walk_and_fids)
{
    char p[512];
    hpath(p, "a");
    mkdir(p, 0755);
    hpath(p, "a/b");
    mkdir(p, 0755);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    struct qid q;
    ck_assert_int_eq(c_walk(S, 0, 1, "a/b", &q), 0);
    ck_assert_uint_eq(q.path, st.st_ino);
    ck_assert_uint_eq(q.type, 0x80);
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), EINVAL);         /* newfid in use */
    ck_assert_int_eq(c_attach(S, 1, 0, NULL), EINVAL);
    ck_assert_int_eq(c_walk(S, 77, 2, "a", NULL), EBADF);        /* unknown fid */
    ck_assert_int_eq(c_walk(S, 0, 2, "nope", NULL), ENOENT);
    ck_assert_int_eq(c_clunk(S, 2), EBADF);
    /* Partial walk: one qid, newfid not bound. */
    const char *names[] = { "a", "nope", "x" };
    ck_assert_int_eq(c_walkv(S, 0, 2, 3, names, NULL), 1);
    ck_assert_int_eq(c_clunk(S, 2), EBADF);
    /* newfid == fid moves the fid. */
    ck_assert_int_eq(c_walk(S, 0, 2, "a", NULL), 0);
    ck_assert_int_eq(c_walk(S, 2, 2, "b", &q), 0);
    ck_assert_uint_eq(q.path, st.st_ino);
    /* ".." goes up. */
    hpath(p, "a");
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(c_walk(S, 2, 3, "..", &q), 0);
    ck_assert_uint_eq(q.path, st.st_ino);
    /* Walking from a file is ENOTDIR. */
    ck_assert_int_eq(c_lcreate(S, 3, "f", 0, 0644, 0), 0);
    ck_assert_int_eq(c_walk(S, 3, 4, "x", NULL), ENOTDIR);
    ck_assert_int_eq(c_walk(S, 3, 3, "", NULL), EINVAL);         /* open fid cannot move */
    /* Clunk frees; the number can be reused. */
    ck_assert_int_eq(c_clunk(S, 1), 0);
    ck_assert_int_eq(c_clunk(S, 1), EBADF);
    ck_assert_int_eq(c_walk(S, 0, 1, "a", NULL), 0);
    ck_assert_int_eq(c_walk(S, 0, NOFID, "a", NULL), EINVAL);
    /* Attach with an auth fid is refused. */
    struct T t = tbegin(Tattach);
    struct R r;
    p32(&t, 9);
    p32(&t, 1);
    pstr(&t, "u");
    pstr(&t, "");
    p32(&t, 0);
    ck_assert_int_eq(rpc(S, &t, &r), EINVAL);
}
END_TEST

/* Linux 6.1 walks "/" from the root fid when two processes of one uid make
 * their first lookups at once (v9fs_fid_lookup_with_uid takes the root
 * dentry's parent, itself, and walks its name).  It means the root; from
 * any other directory a name with '/' is refused. */
START_TEST(walk_root_own_name)
{
    char p[512];
    hpath(p, "a");
    ck_assert_int_eq(mkdir(p, 0755), 0);
    struct stat root, a;
    ck_assert_int_eq(stat(dir, &root), 0);
    ck_assert_int_eq(stat(p, &a), 0);
    const char *slash[] = { "/" }, *slash_a[] = { "/", "a" }, *a_slash[] = { "a", "/" };
    struct qid q[2];
    ck_assert_int_eq(c_walkv(S, 0, 1, 1, slash, q), 1);
    ck_assert_uint_eq(q[0].path, root.st_ino);
    ck_assert_uint_eq(q[0].type, 0x80);
    ck_assert_int_eq(c_walkv(S, 1, 2, 2, slash_a, q), 2);      /* from the new fid on */
    ck_assert_uint_eq(q[1].path, a.st_ino);
    ck_assert_int_eq(c_walkv(S, 2, 3, 1, slash, NULL), -EINVAL);  /* from a: refused */
    ck_assert_int_eq(c_walkv(S, 0, 3, 2, a_slash, q), 1);      /* a, then stops */
    ck_assert_int_eq(c_clunk(S, 3), EBADF);
}
END_TEST

START_TEST(fid_table_is_bounded)
{
    /* 65536 fids per export (ENFILE) when RLIMIT_NOFILE allows them (needs
     * CAP_SYS_RESOURCE here); below that, the descriptor bound (EMFILE,
     * tests/unit/virtio_9p_limits.c) comes first. */
    struct rlimit rl = { 140000, 140000 };
    bool high = setrlimit(RLIMIT_NOFILE, &rl) == 0;
    p9_server_free(S);
    S = start(false);
    int e = 0;
    uint32_t i;
    for (i = 1; i < 70000 && !e; i++)
        e = c_walk(S, 0, i, "", NULL);
    ck_assert_int_eq(e, high ? ENFILE : EMFILE);
    if (high)
        ck_assert_uint_eq(i - 1, 65536);    /* fid 0 + 65535 clones */
    ck_assert_int_eq(c_clunk(S, 5), 0);
    ck_assert_int_eq(c_walk(S, 0, 5, "", NULL), 0);
}
END_TEST

/* ---- files ---------------------------------------------------------- */

START_TEST(create_read_write)
{
    char p[512], buf[64];
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 1, "f", 2, 0640, 0), 0);
    hpath(p, "f");
    struct stat st;
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0640);
    ck_assert_int_eq(c_write(S, 1, 0, "hello", 5), 5);
    ck_assert_int_eq(c_write(S, 1, 10, "world", 5), 5);
    ck_assert_int_eq(c_read(S, 1, 0, 5, buf), 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    ck_assert_int_eq(c_read(S, 1, 15, 5, buf), 0);
    ck_assert_int_eq(c_read(S, 1, (uint64_t)1 << 63, 5, buf), -EINVAL);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_int_eq(st.st_size, 15);
    ck_assert_int_eq(c_lopen(S, 1, 0), EINVAL);                  /* already open */
    /* Existing name: opened without EXCL (with TRUNC), refused with EXCL. */
    ck_assert_int_eq(c_walk(S, 0, 2, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 2, "f", 0200 | 2, 0644, 0), EEXIST);
    ck_assert_int_eq(c_lcreate(S, 2, "f", 01000 | 2, 0644, 0), 0);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_int_eq(st.st_size, 0);
    /* lopen: read-only fid cannot write, unopened fid cannot read. */
    put_file(p, "content");
    ck_assert_int_eq(c_walk(S, 0, 3, "f", NULL), 0);
    ck_assert_int_eq(c_read(S, 3, 0, 5, buf), -EBADF);
    ck_assert_int_eq(c_lopen(S, 3, 0), 0);
    ck_assert_int_eq(c_write(S, 3, 0, "x", 1), -EBADF);
    ck_assert_int_eq(c_read(S, 3, 0, 64, buf), 7);
    ck_assert_int_eq(memcmp(buf, "content", 7), 0);
    /* Append mode. */
    ck_assert_int_eq(c_walk(S, 0, 4, "f", NULL), 0);
    ck_assert_int_eq(c_lopen(S, 4, 1 | 02000), 0);
    ck_assert_int_eq(c_write(S, 4, 0, "++", 2), 2);
    ck_assert_str_eq(slurp(p, buf, sizeof(buf)), "content++");
    /* Directories open read-only only; reading one is EISDIR. */
    ck_assert_int_eq(c_walk(S, 0, 5, "", NULL), 0);
    ck_assert_int_eq(c_lopen(S, 5, 2), EISDIR);
    ck_assert_int_eq(c_lopen(S, 5, 0), 0);
    ck_assert_int_eq(c_read(S, 5, 0, 5, buf), -EISDIR);
    /* fsync. */
    struct T t = tbegin(Tfsync);
    struct R r;
    p32(&t, 4);
    p32(&t, 1);
    ck_assert_int_eq(rpc(S, &t, &r), 0);
    t = tbegin(Tfsync);
    p32(&t, 0);
    p32(&t, 0);
    ck_assert_int_eq(rpc(S, &t, &r), EBADF);
}
END_TEST

START_TEST(large_io)
{
    size_t len = 900 * 1024;
    char *data = malloc(len), *back = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(i ^ (i >> 9));
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 1, "big", 2, 0644, 0), 0);
    ck_assert_int_eq(c_write(S, 1, 0, data, (uint32_t)len), (long)len);
    ck_assert_int_eq(c_read(S, 1, 0, (uint32_t)len, back), (long)len);
    ck_assert_int_eq(memcmp(data, back, len), 0);
    /* A count beyond msize is clamped to what fits the reply. */
    ck_assert_int_eq(c_read(S, 1, 0, 0xffffffffu, back), (long)len);
    char p[512];
    hpath(p, "big");
    int fd = open(p, O_RDONLY);
    memset(back, 0, len);
    ck_assert_int_eq(pread(fd, back, len, 0), (long)len);
    close(fd);
    ck_assert_int_eq(memcmp(data, back, len), 0);
    free(data);
    free(back);
}
END_TEST

START_TEST(dirs_links_renames)
{
    char p[512], buf[256];
    struct stat st;
    ck_assert_int_eq(c_mkdir(S, 0, "d", 0750, 0), 0);
    hpath(p, "d");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0750);
    ck_assert_int_eq(c_mkdir(S, 0, "d", 0750, 0), EEXIST);
    /* symlink + readlink */
    ck_assert_int_eq(c_symlink(S, 0, "l", "target/x", 0), 0);
    hpath(p, "l");
    ssize_t n = readlink(p, buf, sizeof(buf));
    ck_assert_int_eq(n, 8);
    ck_assert_int_eq(memcmp(buf, "target/x", 8), 0);
    ck_assert_int_eq(c_walk(S, 0, 1, "l", NULL), 0);
    ck_assert_int_eq(c_readlink(S, 1, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "target/x");
    ck_assert_int_eq(c_readlink(S, 0, buf, sizeof(buf)), EINVAL);
    /* mknod: regular files and fifos only. */
    ck_assert_int_eq(c_mknod(S, 0, "p", S_IFIFO | 0600, 0, 0), 0);
    hpath(p, "p");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    ck_assert_int_eq(c_mknod(S, 0, "r", S_IFREG | 0604, 0, 0), 0);
    hpath(p, "r");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0604);
    ck_assert_int_eq(c_mknod(S, 0, "c", S_IFCHR | 0600, 1, 3), EPERM);
    ck_assert_int_eq(c_mknod(S, 0, "b", S_IFBLK | 0600, 7, 0), EPERM);
    ck_assert_int_eq(c_mknod(S, 0, "s", S_IFSOCK | 0600, 0, 0), EPERM);
    ck_assert_int_eq(c_mknod(S, 0, "x", 0170000 | 0600, 0, 0), EINVAL);
    /* link */
    ck_assert_int_eq(c_walk(S, 0, 2, "r", NULL), 0);
    ck_assert_int_eq(c_link(S, 0, 2, "hard"), 0);
    hpath(p, "r");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_uint_eq(st.st_nlink, 2);
    ck_assert_int_eq(c_walk(S, 0, 3, "d", NULL), 0);
    ck_assert_int_eq(c_link(S, 0, 3, "dirlink"), EPERM);
    /* renameat and rename (the fid follows its file) */
    ck_assert_int_eq(c_renameat(S, 0, "hard", 3, "moved"), 0);
    hpath(p, "d/moved");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_int_eq(c_rename(S, 2, 3, "r2"), 0);
    hpath(p, "r");
    ck_assert_int_eq(lstat(p, &st), -1);
    hpath(p, "d/r2");
    ck_assert_int_eq(lstat(p, &st), 0);
    struct gattr a;
    ck_assert_int_eq(c_getattr(S, 2, &a), 0);
    ck_assert_uint_eq(a.qid.path, st.st_ino);
    ck_assert_int_eq(c_rename(S, 0, 0, "root"), EBUSY);
    /* remove follows the renamed fid and clunks it */
    ck_assert_int_eq(c_remove(S, 2), 0);
    ck_assert_int_eq(lstat(p, &st), -1);
    ck_assert_int_eq(c_clunk(S, 2), EBADF);
    ck_assert_int_eq(c_remove(S, 0), EBUSY);
    ck_assert_int_eq(c_clunk(S, 0), EBADF);
    ck_assert_int_eq(c_attach(S, 0, 0, NULL), 0);
    /* unlinkat */
    ck_assert_int_eq(c_unlinkat(S, 0, "d", 0), EISDIR);
    ck_assert_int_eq(c_unlinkat(S, 0, "d", 0x200), ENOTEMPTY);
    ck_assert_int_eq(c_unlinkat(S, 3, "moved", 0), 0);
    ck_assert_int_eq(c_unlinkat(S, 0, "d", 0x200), 0);
    ck_assert_int_eq(c_unlinkat(S, 0, "l", 0), 0);
    ck_assert_int_eq(c_unlinkat(S, 0, "l", 0), ENOENT);
    ck_assert_int_eq(c_unlinkat(S, 0, "p", 0x1000), EINVAL);
    hpath(p, "d");
    ck_assert_int_eq(lstat(p, &st), -1);
    hpath(p, "l");
    ck_assert_int_eq(lstat(p, &st), -1);
}
END_TEST

START_TEST(attributes)
{
    char p[512];
    struct stat st;
    hpath(p, "f");
    put_file(p, "0123456789");
    ck_assert_int_eq(c_walk(S, 0, 1, "f", NULL), 0);
    struct gattr a;
    ck_assert_int_eq(c_getattr(S, 1, &a), 0);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_uint_eq(a.qid.path, st.st_ino);
    ck_assert_uint_eq(a.mode, st.st_mode);
    ck_assert_uint_eq(a.size, 10);
    ck_assert_uint_eq(a.nlink, 1);
    ck_assert_int_eq(c_setattr(S, 1, SA_MODE, 0600, 0, 0, 0, 0, 0), 0);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    /* set-user/group-ID bits never reach the host for files. */
    ck_assert_int_eq(c_setattr(S, 1, SA_MODE, 06755, 0, 0, 0, 0, 0), 0);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0755);
    ck_assert_int_eq(c_setattr(S, 1, SA_SIZE, 0, 0, 0, 3, 0, 0), 0);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_int_eq(st.st_size, 3);
    ck_assert_int_eq(c_setattr(S, 1, SA_ATIME | SA_ATIME_SET | SA_MTIME | SA_MTIME_SET, 0, 0, 0, 0, 1000, 2000), 0);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_int_eq(st.st_atim.tv_sec, 1000);
    ck_assert_int_eq(st.st_atim.tv_nsec, 5);
    ck_assert_int_eq(st.st_mtim.tv_sec, 2000);
    ck_assert_int_eq(st.st_mtim.tv_nsec, 7);
    ck_assert_int_eq(c_setattr(S, 1, SA_MTIME, 0, 0, 0, 0, 0, 0), 0);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_int_gt(st.st_mtim.tv_sec, 2000);
    if (geteuid() == 0) {
        ck_assert_int_eq(c_setattr(S, 1, SA_UID | SA_GID, 0, 1234, 5678, 0, 0, 0), 0);
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert_uint_eq(st.st_uid, 1234);
        ck_assert_uint_eq(st.st_gid, 5678);
    } else {
        ck_assert_int_eq(c_setattr(S, 1, SA_UID, 0, 0, 0, 0, 0, 0), EPERM);
    }
    /* Directories: size is EISDIR, set-group-ID survives. */
    ck_assert_int_eq(c_setattr(S, 0, SA_SIZE, 0, 0, 0, 0, 0, 0), EISDIR);
    ck_assert_int_eq(c_setattr(S, 0, SA_MODE, 02755, 0, 0, 0, 0, 0), 0);
    ck_assert_int_eq(lstat(dir, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 02755);
    /* Open for writing: truncate through the open file. */
    ck_assert_int_eq(c_lopen(S, 1, 2), 0);
    ck_assert_int_eq(c_setattr(S, 1, SA_SIZE, 0, 0, 0, 1, 0, 0), 0);
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_int_eq(st.st_size, 1);
    /* statfs matches the host. */
    struct T t = tbegin(Tstatfs);
    struct R r;
    p32(&t, 0);
    ck_assert_int_eq(rpc(S, &t, &r), 0);
    struct statfs sf;
    ck_assert_int_eq(statfs(dir, &sf), 0);
    ck_assert_uint_eq(g32(&r), (uint32_t)sf.f_type);
    ck_assert_uint_eq(g32(&r), (uint32_t)sf.f_bsize);
    ck_assert_uint_eq(g64(&r), sf.f_blocks);
    g64(&r);
    g64(&r);
    ck_assert_uint_eq(g64(&r), sf.f_files);
    g64(&r);
    g64(&r);
    ck_assert_uint_eq(g32(&r), (uint32_t)sf.f_namelen);
    ck_assert_uint_eq(r.pos, r.n);
}
END_TEST

START_TEST(ownership_of_created_files)
{
    char p[512];
    struct stat st;
    ck_assert_int_eq(c_attach(S, 1, 1000, NULL), 0);
    ck_assert_int_eq(c_walk(S, 1, 2, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 2, "f", 2, 0644, 2000), 0);
    ck_assert_int_eq(c_mkdir(S, 1, "d", 0755, 2001), 0);
    ck_assert_int_eq(c_symlink(S, 1, "l", "f", 2002), 0);
    uid_t u = geteuid() == 0 ? 1000 : geteuid();
    hpath(p, "f");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_uint_eq(st.st_uid, u);
    if (geteuid() == 0)
        ck_assert_uint_eq(st.st_gid, 2000);
    hpath(p, "d");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_uint_eq(st.st_uid, u);
    if (geteuid() == 0)
        ck_assert_uint_eq(st.st_gid, 2001);
    hpath(p, "l");
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert_uint_eq(st.st_uid, u);
    if (geteuid() == 0)
        ck_assert_uint_eq(st.st_gid, 2002);
}
END_TEST

START_TEST(readdir_offsets)
{
    char p[512], names[65536];
    for (int i = 0; i < 300; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "file-with-a-longish-name-%03d", i);
        hpath(p, rel);
        put_file(p, "");
    }
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), 0);
    ck_assert_int_eq(c_readdir_all(S, 1, 4096, names, sizeof(names)), -EBADF);
    ck_assert_int_eq(c_lopen(S, 1, 0), 0);
    /* Small replies force many calls resuming from returned offsets. */
    uint32_t counts[] = { 100, 333, 4096, 65536 };
    for (int c = 0; c < 4; c++) {
        int n = c_readdir_all(S, 1, counts[c], names, sizeof(names));
        ck_assert_int_eq(n, 302);
        for (int i = 0; i < 300; i++) {
            char want[80];
            snprintf(want, sizeof(want), "\nfile-with-a-longish-name-%03d\n", i);
            char *hit = strstr(names, want + 1);
            ck_assert_ptr_nonnull(hit);
            ck_assert_ptr_null(strstr(hit + 1, want));   /* exactly once */
        }
    }
    /* A count too small for the first entry is an error, not end-of-dir. */
    struct T t = tbegin(Treaddir);
    struct R r;
    p32(&t, 1);
    p64(&t, 0);
    p32(&t, 20);
    ck_assert_int_eq(rpc(S, &t, &r), EINVAL);
    ck_assert_int_eq(c_walk(S, 0, 2, "file-with-a-longish-name-000", NULL), 0);
    ck_assert_int_eq(c_lopen(S, 2, 0), 0);
    t = tbegin(Treaddir);
    p32(&t, 2);
    p64(&t, 0);
    p32(&t, 4096);
    ck_assert_int_eq(rpc(S, &t, &r), ENOTDIR);
}
END_TEST

START_TEST(locks_flush_xattrs)
{
    ck_assert_int_eq(c_lcreate(S, 0, "f", 2, 0644, 0), 0);
    struct T t = tbegin(Tlock);
    struct R r;
    p32(&t, 0);
    p8(&t, 1);
    p32(&t, 0);
    p64(&t, 0);
    p64(&t, 100);
    p32(&t, 42);
    pstr(&t, "guest");
    ck_assert_int_eq(rpc(S, &t, &r), 0);
    ck_assert_uint_eq(g8(&r), 0);
    ck_assert_uint_eq(r.pos, r.n);
    t = tbegin(Tlock);
    p32(&t, 0);
    p8(&t, 9);
    p32(&t, 0);
    p64(&t, 0);
    p64(&t, 100);
    p32(&t, 42);
    pstr(&t, "guest");
    ck_assert_int_eq(rpc(S, &t, &r), EINVAL);
    t = tbegin(Tgetlock);
    p32(&t, 0);
    p8(&t, 1);
    p64(&t, 5);
    p64(&t, 100);
    p32(&t, 42);
    pstr(&t, "guest");
    ck_assert_int_eq(rpc(S, &t, &r), 0);
    ck_assert_uint_eq(g8(&r), 2);
    ck_assert_uint_eq(g64(&r), 5);
    ck_assert_uint_eq(g64(&r), 100);
    ck_assert_uint_eq(g32(&r), 42);
    char cid[64];
    gstr(&r, cid, sizeof(cid));
    ck_assert_str_eq(cid, "guest");
    t = tbegin(Tflush);
    p16(&t, 1);
    ck_assert_int_eq(rpc(S, &t, &r), 0);
    ck_assert_uint_eq(r.n, 7);
    t = tbegin(Txattrwalk);
    p32(&t, 0);
    p32(&t, 1);
    pstr(&t, "user.foo");
    ck_assert_int_eq(rpc(S, &t, &r), EOPNOTSUPP);
    ck_assert_int_eq(c_clunk(S, 1), EBADF);
    t = tbegin(Txattrcreate);
    p32(&t, 0);
    pstr(&t, "user.foo");
    p64(&t, 3);
    p32(&t, 0);
    ck_assert_int_eq(rpc(S, &t, &r), EOPNOTSUPP);
}
END_TEST

/* ---- read-only export ----------------------------------------------- */

START_TEST(readonly_refuses_changes)
{
    char p[512], buf[64];
    hpath(p, "f");
    put_file(p, "data");
    hpath(p, "d");
    mkdir(p, 0755);
    struct stat before, st;
    hpath(p, "f");
    ck_assert_int_eq(stat(p, &before), 0);
    struct p9_server *ro = start(true);
    ck_assert_int_eq(c_walk(ro, 0, 1, "f", NULL), 0);
    ck_assert_int_eq(c_walk(ro, 0, 2, "d", NULL), 0);
    ck_assert_int_eq(c_lcreate(ro, 2, "new", 2, 0644, 0), EROFS);
    ck_assert_int_eq(c_mkdir(ro, 0, "nd", 0755, 0), EROFS);
    ck_assert_int_eq(c_symlink(ro, 0, "sl", "f", 0), EROFS);
    ck_assert_int_eq(c_mknod(ro, 0, "nn", S_IFREG | 0644, 0, 0), EROFS);
    ck_assert_int_eq(c_mknod(ro, 0, "nf", S_IFIFO | 0644, 0, 0), EROFS);
    ck_assert_int_eq(c_link(ro, 0, 1, "hl"), EROFS);
    ck_assert_int_eq(c_rename(ro, 1, 0, "g"), EROFS);
    ck_assert_int_eq(c_renameat(ro, 0, "f", 0, "g"), EROFS);
    ck_assert_int_eq(c_unlinkat(ro, 0, "f", 0), EROFS);
    ck_assert_int_eq(c_unlinkat(ro, 0, "d", 0x200), EROFS);
    uint32_t sets[] = { SA_MODE, SA_UID, SA_GID, SA_SIZE, SA_ATIME, SA_MTIME, 0x40 };
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(c_setattr(ro, 1, sets[i], 0777, 1, 1, 0, 0, 0), EROFS);
    ck_assert_int_eq(c_lopen(ro, 1, 1), EROFS);
    ck_assert_int_eq(c_lopen(ro, 1, 2), EROFS);
    ck_assert_int_eq(c_lopen(ro, 1, 01000), EROFS);
    struct T t = tbegin(Txattrcreate);
    struct R r;
    p32(&t, 1);
    pstr(&t, "user.x");
    p64(&t, 1);
    p32(&t, 0);
    ck_assert_int_eq(rpc(ro, &t, &r), EROFS);
    ck_assert_int_eq(c_walk(ro, 0, 3, "f", NULL), 0);
    ck_assert_int_eq(c_remove(ro, 3), EROFS);
    ck_assert_int_eq(c_clunk(ro, 3), EBADF);
    /* Reading still works. */
    ck_assert_int_eq(c_lopen(ro, 1, 0), 0);
    ck_assert_int_eq(c_write(ro, 1, 0, "x", 1), -EROFS);
    ck_assert_int_eq(c_read(ro, 1, 0, 64, buf), 4);
    p9_server_free(ro);
    /* Host unchanged. */
    hpath(p, "f");
    ck_assert_str_eq(slurp(p, buf, sizeof(buf)), "data");
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode, before.st_mode);
    ck_assert_uint_eq(st.st_uid, before.st_uid);
    ck_assert_int_eq(st.st_mtim.tv_sec, before.st_mtim.tv_sec);
    ck_assert_int_eq(st.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n++;
    closedir(d);
    ck_assert_int_eq(n, 4);     /* . .. f d */
}
END_TEST

/* ---- concurrency ---------------------------------------------------- */

static void *worker(void *arg)
{
    uint32_t base = (uint32_t)(uintptr_t)arg * 10 + 100;
    char buf[64];
    for (int i = 0; i < 300; i++) {
        ck_assert_int_eq(c_walk(S, 0, base, "f", NULL), 0);
        ck_assert_int_eq(c_lopen(S, base, 0), 0);
        ck_assert_int_eq(c_read(S, base, 0, 64, buf), 6);
        ck_assert_int_eq(memcmp(buf, "shared", 6), 0);
        ck_assert_int_eq(c_walk(S, 0, base + 1, "", NULL), 0);
        ck_assert_int_eq(c_clunk(S, base), 0);
        ck_assert_int_eq(c_clunk(S, base + 1), 0);
    }
    return NULL;
}

START_TEST(concurrent_requests)
{
    char p[512];
    hpath(p, "f");
    put_file(p, "shared");
    pthread_t th[8];
    for (uintptr_t i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, (void *)i), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
}
END_TEST

/* MINIVMM_TRACE_9P: "1" prints each request and error reply as it is
 * served; "ring" prints the same lines only when the server is freed. */
START_TEST(trace_modes)
{
    static const char *modes[] = { "1", "ring" };
    for (int i = 0; i < 2; i++) {
        char tmpl[] = "/tmp/p9trace.XXXXXX", buf[4096];
        int fd = mkstemp(tmpl), saved = dup(2);
        ck_assert_int_ge(fd, 0);
        unlink(tmpl);
        dup2(fd, 2);
        setenv("MINIVMM_TRACE_9P", modes[i], 1);
        struct p9_server *s = start(false);
        int e = c_walk(s, 0, 7, "missing", NULL);
        stderr_text(fd, buf, sizeof(buf));
        bool live = strstr(buf, "minivmm: 9p T110 tag") != NULL;
        p9_server_free(s);
        stderr_text(fd, buf, sizeof(buf));
        unsetenv("MINIVMM_TRACE_9P");
        dup2(saved, 2);
        close(saved);
        close(fd);
        ck_assert_int_eq(e, ENOENT);
        ck_assert_msg(live == (i == 0), "mode %s: lines %s before the server was freed",
                      modes[i], live ? "printed" : "not printed");
        ck_assert_msg(strstr(buf, "minivmm: 9p T110 tag") && strstr(buf, "0 7\n"),
                      "mode %s: no Twalk line in: %s", modes[i], buf);
        ck_assert_msg(strstr(buf, "-> Rlerror 2 (") && strstr(buf, "[request in 1 buffers, 26 bytes: "
                      "1a0000006e"), "mode %s: no error line with the request in: %s", modes[i], buf);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("virtio_9p");
    TCase *tc = tcase_create("protocol");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, p9_fixture_setup, p9_fixture_teardown);
    tcase_add_test(tc, walk_and_fids);
    tcase_add_test(tc, walk_root_own_name);
    tcase_add_test(tc, fid_table_is_bounded);
    tcase_add_test(tc, create_read_write);
    tcase_add_test(tc, large_io);
    tcase_add_test(tc, dirs_links_renames);
    tcase_add_test(tc, attributes);
    tcase_add_test(tc, ownership_of_created_files);
    tcase_add_test(tc, readdir_offsets);
    tcase_add_test(tc, locks_flush_xattrs);
    tcase_add_test(tc, readonly_refuses_changes);
    tcase_add_test(tc, concurrent_requests);
    tcase_add_test(tc, trace_modes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
