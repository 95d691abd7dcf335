/* `run --rootfs`: what goes on top of a userland (docs/rootfs.md). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "initrd/cpio.h"
#include "initrd/hostwalk.h"
#include "initrd/modules.h"
#include "cli/options.h"
#include "cli/rootfs.h"

bool rootfs_is_host(const char *rootfs)
{
    return rootfs && !strcmp(rootfs, "host");
}

void rootfs_modules(const char *rootfs, const char *const **names, size_t *n, const char **top)
{
    *names = initrd_default_modules;
    *n = initrd_n_default_modules;
    *top = "";
    if (rootfs_is_host(rootfs)) {
        *names = initrd_host_root_modules;      /* the initrd is busybox: /lib is ours */
        *n = initrd_n_host_root_modules;
    } else if (rootfs) {
        *top = "usr/";          /* a merged-/usr userland keeps its /lib -> usr/lib */
    }
}

static const char *host_busybox(void)
{
    static const char *const where[] = { "/bin/busybox", "/usr/bin/busybox" };
    struct stat st;
    for (size_t i = 0; i < 2; i++)
        if (stat(where[i], &st) == 0 && S_ISREG(st.st_mode) && access(where[i], R_OK) == 0)
            return where[i];
    return NULL;
}

int rootfs_tools_add(struct cpio_builder *b, const char *rootfs, char *err, size_t errlen)
{
    const char *bb = host_busybox();
    /* A userland without the host's busybox must bring init's tools itself
     * (an lkp rootfs does); host's chroot needs it. */
    if (!bb && rootfs_is_host(rootfs))
        return initrd_errf(err, errlen, "busybox not found in /bin or /usr/bin: --rootfs host "
                           "needs it for the guest's init (Debian: busybox-static)");
    if ((bb && cpio_add_host_file(b, "minivmm/bin/busybox", bb, 0755) < 0) ||
        cpio_add_chardev(b, "dev/console", 0600, 5, 1) < 0 ||
        (rootfs_is_host(rootfs) &&
         cpio_add_file_mem(b, "minivmm/rootfs-host", 0644, "host\n", 5) < 0))
        return initrd_errf(err, errlen, "%s", cpio_error(b));
    return 0;
}

int rootfs_tools_archive(const char *rootfs, const char *cache, char *out, size_t len)
{
    static const struct cpio_opts co = {
        .compress = CPIO_COMPRESS_GZIP, .reproducible = true, .gzip_level = 6,
    };
    char err[512];
    struct cpio_builder *b = cpio_builder_new();
    int rc = b ? rootfs_tools_add(b, rootfs, err, sizeof err) : -1;
    if (!b)
        snprintf(err, sizeof err, "out of memory");
    else if (rc == 0 && (rc = cpio_cached(b, &co, cache, out, len, NULL)) < 0)
        snprintf(err, sizeof err, "cannot write the tools archive in %s: %s", cache,
                 cpio_error(b));
    if (rc < 0 || !b)
        fprintf(stderr, "minivmm run: --rootfs %s: %s\n", rootfs, err);
    cpio_builder_free(b);
    return rc < 0 || !b ? -1 : 0;
}

void rootfs_host_share(const char *rootfs, struct boot_opts *b)
{
    if (!rootfs_is_host(rootfs) || b->nshares >= MAX_SHARES)
        return;
    struct share_opt *sh = &b->shares[b->nshares++];
    snprintf(sh->dir, sizeof(sh->dir), "/");
    snprintf(sh->tag, sizeof(sh->tag), ROOTFS_HOST_TAG);
    sh->readonly = true;        /* the 9p server refuses every change (docs/9p.md) */
    sh->max = 0;
}
