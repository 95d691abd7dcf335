/* Kernel module collection for the initrd: find the modules the guest
 * needs and their dependencies (read from each module's ELF .modinfo
 * section, since modules.dep may be absent), in load order.  See
 * docs/initrd.md. */
#ifndef INITRD_MODULES_H
#define INITRD_MODULES_H
#include <stddef.h>
#include "initrd/cpio.h"

/* What the guest needs for virtio-mmio + 9p: virtio_mmio, 9pnet_virtio, 9p. */
extern const char *const initrd_default_modules[];
extern const size_t initrd_n_default_modules;
/* For `run --rootfs host`: the default ones and overlay (docs/rootfs.md). */
extern const char *const initrd_host_root_modules[];
extern const size_t initrd_n_host_root_modules;

/* Wanted when the tree has them (a kernel without a block layer has no
 * virtio_blk): virtio_blk, for --disk (docs/blk.md). */
extern const char *const initrd_optional_modules[];
extern const size_t initrd_n_optional_modules;

enum initrd_kmod_comp { KMOD_PLAIN, KMOD_GZIP, KMOD_XZ, KMOD_ZSTD };

struct initrd_module {
    char *name;             /* normalised ('-' -> '_'), e.g. "9pnet_virtio" */
    char *host_path;        /* the file in the module tree */
    char *archive_path;     /* "lib/modules/VERSION/kernel/.../NAME.ko" (always .ko) */
    enum initrd_kmod_comp comp;
    unsigned char *data;    /* the module as read and checked (decompressed) */
    size_t len;
};

struct initrd_modules {
    struct initrd_module *v;    /* dependencies before dependents */
    size_t n;
    char *kver;
};

/* Resolves `names` (and their dependencies) in moddir (NULL means
 * /lib/modules/KVER).  The tree is read through directory descriptors,
 * never following a symlink below moddir, at most 64 levels deep; each
 * module is read once, into the result.  Modules listed in moddir/modules.builtin are
 * skipped (built into the kernel).  Returns 0, or -1 with a one-line
 * message in err (missing module, dependency cycle, malformed ELF, module
 * built for another kernel, unsupported compression). */
int initrd_modules_resolve(const char *moddir, const char *kver, const char *const *names,
                           size_t n_names, struct initrd_modules *out, char *err, size_t errlen);
void initrd_modules_free(struct initrd_modules *m);
/* base[0..nbase) (the default list, or --rootfs host's) plus, when this tree
 * has them (built in or as files), the optional ones and then
 * extra[0..nextra) (e.g. ext4 for a job's fs:).  Returns as
 * initrd_modules_resolve. */
int initrd_modules_resolve_run(const char *moddir, const char *kver, const char *const *base,
                               size_t nbase, const char *const *extra, size_t nextra,
                               struct initrd_modules *out, char *err, size_t errlen);

/* Adds the resolved modules (their data as read, decompressed) at their archive paths and the
 * load-order file lib/modules/KVER/minivmm.load: one absolute .ko path per
 * line, in insmod order. */
int initrd_modules_add(struct cpio_builder *b, const struct initrd_modules *m,
                       char *err, size_t errlen);
/* The same below top ("" or a relative directory ending in '/', e.g. "usr/"
 * so that a rootfs whose /lib is a symlink to usr/lib keeps it): the modules
 * at TOPlib/modules/..., the load-order file lists "/TOPlib/modules/...". */
int initrd_modules_add_at(struct cpio_builder *b, const struct initrd_modules *m,
                          const char *top, char *err, size_t errlen);

/* Reads a module file (decompressing .ko.gz) into a malloc'd buffer. */
int initrd_module_read(const char *path, unsigned char **data, size_t *len,
                       char *err, size_t errlen);
/* Finds "KEY=" in the ELF64 .modinfo section of a module image; on success
 * *val points into elf (not NUL-terminated), *vlen is its length.  Returns
 * 1 found, 0 absent, -1 malformed ELF (err set). */
int initrd_modinfo_get(const unsigned char *elf, size_t len, const char *key,
                       const char **val, size_t *vlen, char *err, size_t errlen);
/* The metadata resolution uses, from a module image in memory: checks
 * vermagic= against kver (if kver and the key are there) and returns the
 * depends= names, each valid and normalised, malloc'd (free with
 * initrd_module_deps_free).  Returns 0, or -1 with a one-line message. */
int initrd_module_meta(const unsigned char *elf, size_t len, const char *kver, char ***deps,
                       size_t *ndeps, char *err, size_t errlen);
void initrd_module_deps_free(char **deps, size_t n);
/* Decompresses a .ko.gz image in memory (at most 256 MiB out). */
int initrd_module_gunzip(const unsigned char *in, size_t inlen, unsigned char **data,
                         size_t *len, char *err, size_t errlen);
#endif
