/* Disks for `minivmm run`: see disks.h and docs/blk.md. */
#include "cli/disks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "job/job.h"

int run_disk_opt(struct run_disk_opts *d, const char *name, const char *val, char *err,
                 size_t errlen)
{
    if (!strcmp(name, "keep-disks")) {
        d->keep = true;
        return 0;
    }
    if (!strcmp(name, "disk-size")) {
        if (parse_size(val, &d->size) || d->size < JOB_DISK_MIN_SIZE || d->size % 512) {
            snprintf(err, errlen, "--disk-size '%s': give a size of at least 1M, whole "
                     "512-byte sectors, e.g. 16G", val);
            return -1;
        }
        return 0;
    }
    if (d->nuser == MAX_DISKS) {
        snprintf(err, errlen, "--disk %s: too many disks (at most %d)", val, MAX_DISKS);
        return -1;
    }
    return blk_parse_opt(val, d->nuser, &d->user[d->nuser], err, errlen) ? -1 :
           (d->nuser++, 0);
}

/* "N" + suffix (lkp's "2HDD"): N; -1 for another kind of value; -2 for
 * too many (never read as none). */
static int count_of(const char *v, const char *suffix)
{
    char *end;
    if (!v || *v < '0' || *v > '9')
        return -1;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (strcmp(end, suffix))
        return -1;
    return errno || n > MAX_DISKS * 2 ? -2 : (int)n;
}

static int option_count(const struct job *j, const char *key, const char *suffix)
{
    const char *v = job_program_option(j, "disk", key);
    if (v) {
        char *end;
        long n = strtol(v, &end, 10);
        return *v && !*end && n >= 0 && n <= MAX_DISKS * 2 ? (int)n : -2;
    }
    int n = count_of(job_param(j, "disk"), suffix);
    return n == -1 ? 0 : n;
}

int job_disks_count(const struct job *j, int *nhdd, int *nssd, char *err, size_t errlen)
{
    *nhdd = option_count(j, "nr_hdd", "HDD");
    *nssd = option_count(j, "nr_ssd", "SSD");
    if (*nhdd < 0 || *nssd < 0) {
        snprintf(err, errlen, "%s: disk: nr_hdd/nr_ssd must be whole numbers up to %d",
                 job_name(j), MAX_DISKS);
        return -1;
    }
    if (*nhdd + *nssd > MAX_DISKS) {
        snprintf(err, errlen, "%s: disk: %d disks asked for; minivmm attaches at most %d",
                 job_name(j), *nhdd + *nssd, MAX_DISKS);
        return -1;
    }
    return 0;
}

static uint64_t disk_size(const struct job *j, const struct run_disk_opts *o, int *bad)
{
    *bad = 0;
    if (o->size)
        return o->size;
    const char *v = job_param(j, "disk_size");
    uint64_t s;
    if (!v)
        return JOB_DISK_DEFAULT_SIZE;
    if (parse_size(v, &s) || s < JOB_DISK_MIN_SIZE) {
        *bad = 1;
        return 0;
    }
    return s & ~511ULL;
}

/* Appends " KEY=\"/dev/vdX ...\"" for disks [from, from + n). */
static void add_partitions(char *buf, size_t len, const char *key, int from, int n)
{
    if (!n)
        return;
    size_t k = strlen(buf);
    k += (size_t)snprintf(buf + k, k < len ? len - k : 0, "%s%s=\"", k ? " " : "", key);
    for (int i = 0; i < n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s/dev/vd%c", i ? " " : "", 'a' + from + i);
    if (k < len)
        snprintf(buf + k, len - k, "\"");
}

static void remove_all(struct job_disks *jd)
{
    for (int i = 0; i < jd->n; i++)
        unlink(jd->path[i]);
    if (jd->tmpdir[0])
        rmdir(jd->tmpdir);
    jd->n = 0;
    jd->tmpdir[0] = 0;
}

int job_disks_attach(const struct job *j, const struct run_disk_opts *o, const char *root,
                     struct boot_opts *b, struct job_disks *jd, char *err, size_t errlen)
{
    memset(jd, 0, sizeof(*jd));
    if (job_disks_count(j, &jd->nhdd, &jd->nssd, err, errlen))
        return -1;
    int n = jd->nhdd + jd->nssd;
    /* Disks come after the shares (b->nshares: all of them) in the virtio
     * windows: MAX_VIRTIO_DEVS in all. */
    int most = MAX_VIRTIO_DEVS - b->nshares < MAX_DISKS ? MAX_VIRTIO_DEVS - b->nshares : MAX_DISKS;
    if (n + o->nuser > most) {
        snprintf(err, errlen, "%s: %d disks of the job and %d --disk: at most %d in all%s",
                 job_name(j), n, o->nuser, most,
                 most < MAX_DISKS ? " beside the shares" : "");
        return -1;
    }
    int bad;
    uint64_t size = disk_size(j, o, &bad);
    if (bad) {
        snprintf(err, errlen, "%s: disk_size '%s': give a size of at least 1M, e.g. 16G",
                 job_name(j), job_param(j, "disk_size"));
        return -1;
    }
    if (n) {
        int w = snprintf(jd->tmpdir, sizeof(jd->tmpdir), "%s/.disks-XXXXXX", root);
        if (w < 0 || (size_t)w >= sizeof(jd->tmpdir) || !mkdtemp(jd->tmpdir)) {
            snprintf(err, errlen, "%s: cannot create a directory for its disks under %s: %s",
                     job_name(j), root, strerror(w < 0 || (size_t)w >= sizeof(jd->tmpdir) ?
                                                 ENAMETOOLONG : errno));
            jd->tmpdir[0] = 0;
            return -1;
        }
    }
    for (int i = 0; i < n; i++) {
        bool hdd = i < jd->nhdd;
        char name[16], path[PATH_MAX];
        snprintf(name, sizeof(name), "%s%d", hdd ? "hdd" : "ssd", hdd ? i : i - jd->nhdd);
        snprintf(path, sizeof(path), "%.*s/%.15s.img", (int)(sizeof(path) - 32), jd->tmpdir, name);
        memcpy(jd->name[i], name, sizeof(name));
        memcpy(jd->path[i], path, sizeof(path));
        int fd = open(jd->path[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
            snprintf(err, errlen, "%s: cannot create the %llu-byte disk image %s: %s",
                     job_name(j), (unsigned long long)size, jd->path[i], strerror(errno));
            if (fd >= 0) {
                close(fd);
                jd->n = i + 1;
            } else {
                jd->n = i;
            }
            remove_all(jd);
            return -1;
        }
        close(fd);
        jd->n = i + 1;
        struct blk_opt *d = &b->disks[i];
        memset(d, 0, sizeof(*d));
        snprintf(d->path, sizeof(d->path), "%s", jd->path[i]);
        snprintf(d->serial, sizeof(d->serial), "lkp-%s", jd->name[i]);
    }
    for (int i = 0; i < o->nuser; i++)
        b->disks[n + i] = o->user[i];
    b->ndisks = n + o->nuser;
    /* lkp's host variables, as its qemu flow sets them: the guest's init
     * gets them in its environment from the command line. */
    snprintf(jd->append, sizeof(jd->append), "%s", b->append ? b->append : "");
    add_partitions(jd->append, sizeof(jd->append), "hdd_partitions", 0, jd->nhdd);
    add_partitions(jd->append, sizeof(jd->append), "ssd_partitions", jd->nhdd, jd->nssd);
    if (strlen(jd->append) + 1 >= sizeof(jd->append)) {
        snprintf(err, errlen, "%s: kernel command line too long with the disks", job_name(j));
        remove_all(jd);
        return -1;
    }
    if (n)
        b->append = jd->append;
    return 0;
}

void job_disks_release(struct job_disks *jd, bool keep, const char *result_dir)
{
    if (!jd->n)
        return;
    if (keep) {
        /* The result directory was the guest's to write: `disks` is made or
         * opened there without following a link it may have left. */
        char dir[PATH_MAX], to[32];
        snprintf(dir, sizeof(dir), "%s/disks", result_dir);
        int rfd = open(result_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), dfd = -1;
        if (rfd >= 0 && (mkdirat(rfd, "disks", 0755) == 0 || errno == EEXIST))
            dfd = openat(rfd, "disks", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0) {
            fprintf(stderr, "minivmm: cannot keep the disks in %s: %s; they stay in %s\n", dir,
                    errno == ELOOP || errno == ENOTDIR ? "not a directory (left by the guest?)"
                                                       : strerror(errno), jd->tmpdir);
            if (rfd >= 0)
                close(rfd);
            return;
        }
        for (int i = 0; i < jd->n; i++) {
            snprintf(to, sizeof(to), "%s.img", jd->name[i]);
            if (renameat(AT_FDCWD, jd->path[i], dfd, to) < 0)
                fprintf(stderr, "minivmm: cannot move %s to %s/%s: %s\n", jd->path[i], dir, to,
                        strerror(errno));
        }
        close(dfd);
        close(rfd);
        rmdir(jd->tmpdir);
        jd->n = 0;
        return;
    }
    remove_all(jd);
}

size_t job_disks_modules(struct job *const *jobs, size_t njobs, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < njobs; i++) {
        const char *fs = job_program_option(jobs[i], "fs", "fs");
        if (!fs)
            fs = job_param(jobs[i], "fs");
        const char *m = !fs ? NULL :
                        !strcmp(fs, "ext2") || !strcmp(fs, "ext3") || !strcmp(fs, "ext4") ?
                        "ext4" : !strcmp(fs, "xfs") ? "xfs" : !strcmp(fs, "btrfs") ? "btrfs" :
                        NULL;
        const char *brd = job_program_option(jobs[i], "disk", "nr_brd");
        const char *plain = job_param(jobs[i], "disk");
        bool want_brd = (brd && strcmp(brd, "0")) || (plain && strstr(plain, "BRD"));
        /* ext4, xfs and btrfs ask the crypto API for crc32c when they
         * mount ("Cannot load crc32c driver" otherwise): no module
         * dependency names it, so it is collected beside them. */
        const char *want[3] = { m, m ? "crc32c_generic" : NULL, want_brd ? "brd" : NULL };
        for (int w = 0; w < 3; w++) {
            bool seen = !want[w];
            for (size_t k = 0; !seen && k < n; k++)
                seen = !strcmp(names[k], want[w]);
            if (!seen && n < max)
                names[n++] = want[w];
        }
    }
    return n;
}
