/* The parts of `minivmm run`'s initrd, each a cached archive
 * (docs/run.md, "The initrd"): busybox or the user's rootfs, the modules,
 * the lkp tree and the job itself. */
#include "cli/run_initrd.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/disks.h"
#include "cli/fsutil.h"
#include "cli/rootfs.h"
#include "initrd/assets.h"
#include "initrd/cpio.h"
#include "initrd/lkptree.h"
#include "initrd/modules.h"

#define ERR(...) fprintf(stderr, "minivmm run: " __VA_ARGS__)

static int cache_archive(struct cpio_builder *b, const char *what, const char *cache,
                         char *out, size_t len)
{
    static const struct cpio_opts co = {
        .compress = CPIO_COMPRESS_GZIP, .reproducible = true, .gzip_level = 6,
    };
    if (cpio_cached(b, &co, cache, out, len, NULL) == 0)
        return 0;
    ERR("cannot write the %s archive in %s: %s\n", what, cache, cpio_error(b));
    return -1;
}

/* Busybox (or the user's rootfs directory) as a cached archive. */
int run_base_archive(const char *rootfs, const char *cache, char *out, size_t len)
{
    struct cpio_builder *b = cpio_builder_new();
    int rc = -1;
    if (!b)
        return -1;
    if (rootfs && !rootfs_is_host(rootfs)) {
        if (cpio_add_host(b, rootfs, "/") < 0) {
            ERR("--rootfs %s: %s\n", rootfs, cpio_error(b));
            goto out;
        }
    } else {
        const char *bb = cli_readable_file("/bin/busybox") ? "/bin/busybox" :
                         cli_readable_file("/usr/bin/busybox") ? "/usr/bin/busybox" : NULL;
        if (!bb) {
            ERR("busybox not found in /bin or /usr/bin: %s or give --rootfs\n",
                job_data()->kind == JOB_DATA_CHECKOUT ? "run `make deps`" :
                "install it (Debian: busybox-static)");
            goto out;
        }
        if (cpio_add_host_file(b, "bin/busybox", bb, 0755) < 0 ||
            cpio_add_symlink(b, "bin/sh", "busybox") < 0 ||
            cpio_add_chardev(b, "dev/console", 0600, 5, 1) < 0) {
            ERR("packing busybox: %s\n", cpio_error(b));
            goto out;
        }
    }
    if (cache_archive(b, "base", cache, out, len) < 0)
        goto out;
    rc = 0;
out:
    cpio_builder_free(b);
    return rc;
}

/* The lkp tree (--lkp-src) at /lkp/lkp/src, lkp's LKP_SRC in the guest. */
int run_lkp_archive(const char *dir, const char *cache, char *out, size_t len)
{
    struct cpio_builder *b = cpio_builder_new();
    char err[512];
    int rc = -1;
    if (!b)
        return -1;
    if (initrd_add_lkp_tree(b, dir, INITRD_LKP_SRC_DEST, err, sizeof(err)) < 0)
        ERR("--lkp-src: %s\n", err);
    else if (cache_archive(b, "lkp", cache, out, len) == 0)
        rc = 0;
    cpio_builder_free(b);
    return rc;
}

int run_modules_archive(const char *rootfs, const char *moddir, const char *kver,
                        const char *cache, const struct job_list *jobs, char *out, size_t len)
{
    struct initrd_modules mods = { 0 };
    char err[512];
    const char *const *names;
    const char *top;
    size_t nnames;
    rootfs_modules(rootfs, &names, &nnames, &top);      /* docs/rootfs.md */
    const char *fs[8];
    size_t nfs = job_disks_modules(jobs->v, jobs->n, fs, 8);
    if (initrd_modules_resolve_run(moddir, kver, names, nnames, fs, nfs, &mods, err,
                                   sizeof(err)) < 0) {
        ERR("modules: %s\n", err);
        return -1;
    }
    struct cpio_builder *b = cpio_builder_new();
    int rc = -1;
    if (!b)
        goto out;
    if (initrd_modules_add_at(b, &mods, top, err, sizeof(err)) < 0) {
        ERR("modules: %s\n", err);
        goto out;
    }
    if (cache_archive(b, "module", cache, out, len) < 0)
        goto out;
    rc = 0;
out:
    cpio_builder_free(b);
    initrd_modules_free(&mods);
    return rc;
}

/* /init, the runtime, the job script and the job's programs, cached by
 * content like the other archives: a re-run of the same job packs nothing. */
int run_job_archive(const struct job *j, const char *script, const char *cache,
                    char *path, size_t len)
{
    struct cpio_builder *b = cpio_builder_new();
    int rc;
    if (!b)
        return -1;
    if (cpio_add_file_mem(b, "init", 0755, initrd_init_sh, strlen(initrd_init_sh)) < 0 ||
        cpio_add_file_mem(b, "minivmm/runtime.sh", 0644, job_runtime_sh, strlen(job_runtime_sh)) < 0 ||
        cpio_add_file_mem(b, "minivmm/job.sh", 0755, script, strlen(script)) < 0)
        goto fail;
    for (size_t i = 0; i < job_nprograms(j); i++) {
        char dest[PATH_MAX];
        if (job_program_script(j, i))
            continue;           /* lkp's: in the lkp archive */
        snprintf(dest, sizeof(dest), "minivmm/programs/%s", job_program_name(j, i));
        if (cpio_add_host(b, job_program_dir(j, i), dest) < 0)
            goto fail;
    }
    rc = cache_archive(b, "job", cache, path, len);
    cpio_builder_free(b);
    return rc;
fail:
    ERR("packing the job: %s\n", cpio_error(b));
    cpio_builder_free(b);
    return -1;
}
