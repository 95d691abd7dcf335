/* A real userland for jobs (docs/rootfs.md): `minivmm rootfs` builds a
 * Debian tree with debootstrap and packs it as a cached .cgz; `run --rootfs
 * FILE.cgz|DIR|host` boots with it. */
#ifndef CLI_ROOTFS_H
#define CLI_ROOTFS_H
#include <stdbool.h>
#include <stddef.h>

#define ROOTFS_MAX_PACKAGES 256
#define ROOTFS_DEFAULT_SUITE "bookworm"
#define ROOTFS_DEFAULT_MIRROR "http://deb.debian.org/debian"
#define ROOTFS_ARCH "amd64"         /* minivmm boots x86-64 kernels only */

/* What a rootfs is built from: everything that goes into its cache key. */
struct rootfs_spec {
    const char *packages[ROOTFS_MAX_PACKAGES];    /* sorted, no duplicates */
    size_t npackages;
    const char *suite, *mirror, *arch, *version;
};

/* Splits "P1,P2,..." (modified in place) into spec->packages, sorted and
 * without duplicates.  Each name must be a Debian package name: 2+
 * characters of a-z 0-9 + - . starting with a letter or digit.  Returns 0,
 * or -1 with a one-line message. */
int rootfs_parse_packages(char *list, struct rootfs_spec *spec, char *err, size_t errlen);
/* A suite name (a-z 0-9 - _, 1..64, starting with a letter or digit) / a mirror URL (http://, https:// or
 * file:/, no space or control character, at most 1024 bytes).  0 or -1. */
int rootfs_check_suite(const char *suite, char *err, size_t errlen);
int rootfs_check_mirror(const char *url, char *err, size_t errlen);
/* The cache key: SHA-256 (64 hex digits) of the spec's fields. */
void rootfs_cache_key(const struct rootfs_spec *spec, char hex[65]);
/* The first `deb` URI in an APT sources text whose suites include suite
 * (deb822 .sources when deb822, else one-line sources.list); 0 if found
 * (copied into out), -1 if not. */
int rootfs_mirror_from_apt(const char *text, bool deb822, const char *suite, char *out,
                           size_t len);

/* `minivmm rootfs ...`; argv[0] is the command name. */
int rootfs_main(int argc, char **argv);

/* ---- For `run --rootfs` (cli/rootfs_run.c) ---- */
struct cpio_builder;
/* --rootfs host: the host's / read-only over 9p with a tmpfs overlay. */
bool rootfs_is_host(const char *rootfs);
#define ROOTFS_HOST_TAG "minivmm-root"
/* Module names to collect and where they go in the initrd: below "usr/"
 * when a userland is given (its /lib may be a symlink to usr/lib), with
 * overlay for host. */
void rootfs_modules(const char *rootfs, const char *const **names, size_t *n, const char **top);
/* The small archive that goes on top of a --rootfs userland: busybox at
 * /minivmm/bin/busybox (init's tools where the userland lacks them; left
 * out when the host has none, except for host, which needs it),
 * /dev/console, and for host the marker /minivmm/rootfs-host. */
int rootfs_tools_add(struct cpio_builder *b, const char *rootfs, char *err, size_t errlen);
/* For host: adds the host's / as a read-only share with tag ROOTFS_HOST_TAG. */
struct boot_opts;
void rootfs_host_share(const char *rootfs, struct boot_opts *b);
/* The same as a cached archive in cache (path into out); 0, or -1 with a
 * "minivmm run: --rootfs ..." line on stderr. */
int rootfs_tools_archive(const char *rootfs, const char *cache, char *out, size_t len);
#endif
