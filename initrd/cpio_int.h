/* Internal interface between the parts of the cpio packer (see cpio.h,
 * docs/initrd.md and docs/architecture.md); not for use outside
 * initrd/cpio_*.c.
 *
 *   cpio_entries.c  the builder: its entries, archive names, synthetic entries
 *   cpio_host.c     adding host files and trees (through hostwalk.c)
 *   cpio_newc.c     the newc writer: hard links, order, headers, data, gzip
 *   cpio_cache.c    temporary files, the content cache and initrd_concat */
#ifndef INITRD_CPIO_INT_H
#define INITRD_CPIO_INT_H
#include "initrd/cpio.h"
#include "initrd/sha256.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_FILE_SIZE 0xffffffffULL    /* newc's filesize field is 32 bits */

enum src { SRC_NONE, SRC_HOST, SRC_MEM };

struct entry {
    char *path;                 /* normalised archive path, no leading '/' */
    uint32_t mode;              /* file type and permissions */
    uint32_t uid, gid;
    uint32_t mtime;
    uint32_t rmajor, rminor;
    uint64_t size;              /* regular file size or symlink target length */
    enum src src;
    char *host;                 /* SRC_HOST: host path of a regular file */
    size_t root;                /* found by a tree walk: index + 1 of its root fd, else 0 */
    size_t relpos;              /* then host + relpos is its path below that root */
    unsigned char *data;        /* SRC_MEM data, or symlink target */
    dev_t hdev;                 /* host identity, for hard links */
    ino_t hino;
    bool linkable;              /* host file with st_nlink > 1 */
    size_t seq;                 /* order of addition; 0 = synthesised parent */
    /* Filled in by prepare(). */
    uint32_t ino, nlink;
    bool store_data;
    struct entry *leader;       /* first entry of its hard-link group */
};

struct cpio_builder {
    struct entry **e;
    size_t n, cap;
    size_t seq;
    int *roots;                 /* trees walked by cpio_add_host, open until freed */
    size_t nroots;
    char err[1024];
};

/* Sets the builder's one-line message (newlines shown as '?'); returns -1. */
int cpio_fail(struct cpio_builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cpio_entry_free(struct entry *e);
/* Refuses the reserved name TRAILER!!! (and anything below it). */
int cpio_check_name(struct cpio_builder *b, const char *ap, const char *shown);
/* Normalises an archive path: drops empty and "." components and leading
 * slashes, refuses "..".  out must hold CPIO_PATH_MAX + 1 bytes. */
int cpio_norm_path(struct cpio_builder *b, const char *in, char *out);
/* A new entry at a normalised archive path, added to the builder. */
struct entry *cpio_new_entry(struct cpio_builder *b, const char *normpath);
/* A new entry of that mode at a caller's archive path (normalised here). */
struct entry *cpio_synthetic(struct cpio_builder *b, const char *path, uint32_t mode);

/* write() until done (EINTR retried); -1 with errno. */
int cpio_write_all(int fd, const void *buf, size_t len);
/* Writes the archive to fd (or only hashes it when fd < 0) and feeds the
 * uncompressed bytes to hash when not NULL. */
int cpio_write_stream(struct cpio_builder *b, int fd, const struct cpio_opts *o,
                      struct sha256 *hash);
#endif
