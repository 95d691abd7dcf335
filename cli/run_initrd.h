/* The cached archives that make up `minivmm run`'s initrd (cli/run_initrd.c).
 * Each writes the archive's path to out and returns 0, or prints one line
 * ("minivmm run: ...") and returns -1. */
#ifndef CLI_RUN_INITRD_H
#define CLI_RUN_INITRD_H

#include <stddef.h>
#include "job/job.h"

/* Busybox, /bin/sh and /dev/console; or the --rootfs directory as it is. */
int run_base_archive(const char *rootfs, const char *cache, char *out, size_t len);
/* The lkp tree (--lkp-src) at /lkp/lkp/src. */
int run_lkp_archive(const char *dir, const char *cache, char *out, size_t len);
/* The modules for this rootfs mode and these jobs' disks, from moddir. */
int run_modules_archive(const char *rootfs, const char *moddir, const char *kver,
                        const char *cache, const struct job_list *jobs, char *out, size_t len);
/* /init, the runtime, the job script and the job's own programs. */
int run_job_archive(const struct job *j, const char *script, const char *cache,
                    char *path, size_t len);
#endif
