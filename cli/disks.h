/* Disks for `minivmm run`: the user's --disk images and the ones lkp's
 * `disk: NHDD|NSSD` asks for (docs/blk.md, "Jobs with disks"). */
#ifndef CLI_DISKS_H
#define CLI_DISKS_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cli/options.h"

struct job;

/* lkp's qemu flow makes 256G qcow2 images; minivmm's are sparse raw files,
 * smaller by default so that mkfs stays quick: `disk_size:` in the job or
 * --disk-size changes it. */
#define JOB_DISK_DEFAULT_SIZE (16ULL << 30)
#define JOB_DISK_MIN_SIZE (1ULL << 20)

struct run_disk_opts {
    struct blk_opt user[MAX_DISKS];     /* run --disk, attached after the job's */
    int nuser;
    uint64_t size;                      /* --disk-size; 0: the job's, or the default */
    bool keep;                          /* --keep-disks */
};

/* One of run's options --disk, --disk-size, --keep-disks (name without the
 * dashes, val NULL for --keep-disks).  0, or -1 with a reason in err. */
int run_disk_opt(struct run_disk_opts *d, const char *name, const char *val, char *err,
                 size_t errlen);

/* The disks of one job while it runs. */
struct job_disks {
    int nhdd, nssd;
    char tmpdir[PATH_MAX];              /* RESULT_ROOT/.disks-XXXXXX, "" when none */
    char path[MAX_DISKS][PATH_MAX];
    char name[MAX_DISKS][16];           /* hdd0, ssd0, ... */
    int n;
    char append[1024];                  /* kernel command line with the partitions */
};

/* How many disks the job asks for (lkp's `disk: NHDD`/`NSSD`, with a disk
 * program or as a plain value).  0, or -1 with a reason in err. */
int job_disks_count(const struct job *j, int *nhdd, int *nssd, char *err, size_t errlen);
/* Creates the job's images (sparse, in a new directory under root), puts
 * them first in b->disks (/dev/vda, ...), the user's after them, and
 * appends hdd_partitions="..." ssd_partitions="..." (lkp's host variables)
 * to the command line (b->append then points into jd).  0, or -1 with a
 * reason in err (nothing left behind). */
int job_disks_attach(const struct job *j, const struct run_disk_opts *o, const char *root,
                     struct boot_opts *b, struct job_disks *jd, char *err, size_t errlen);
/* After the VM: removes the images, or with keep moves them into
 * result_dir/disks/.  Prints a line if that fails. */
void job_disks_release(struct job_disks *jd, bool keep, const char *result_dir);
/* The kernel modules the jobs need: for `fs:` "ext4" (ext2, ext3, ext4),
 * "xfs" or "btrfs"; for `disk: NBRD` "brd"; each once.  Returns how many
 * were put in names. */
size_t job_disks_modules(struct job *const *jobs, size_t njobs, const char **names,
                         size_t max);
#endif
