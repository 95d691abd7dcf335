/* cpio "newc" (070701) archive writer for the initrd.
 *
 * Usage: create a builder, add host paths (files or whole trees, walked
 * without following symlinks) and synthetic entries (memory files,
 * directories, symlinks, character devices), then write the archive
 * (plain or gzip, streamed) to a file descriptor or atomically to a path.
 * Entries are written sorted by archive path; missing parent directories
 * are added (mode 0755); a path added twice keeps the last addition.
 * Every function returning int returns 0 on success, -1 on error with a
 * one-line message available from cpio_error().  See docs/initrd.md. */
#ifndef INITRD_CPIO_H
#define INITRD_CPIO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest archive path (bytes, without the NUL) and symlink target we write;
 * the kernel's initramfs unpacker refuses names longer than PATH_MAX. */
#define CPIO_PATH_MAX 4095

enum cpio_compress { CPIO_COMPRESS_NONE = 0, CPIO_COMPRESS_GZIP = 1 };

struct cpio_opts {
    enum cpio_compress compress;
    /* mtime = 0, uid = gid = 0 for every entry (inode numbers are always
     * assigned sequentially, nlink always counts links inside the archive). */
    bool reproducible;
    int gzip_level;     /* 1..9; 0 means the default (6) */
};

struct cpio_builder;

struct cpio_builder *cpio_builder_new(void);
void cpio_builder_free(struct cpio_builder *b);
/* The message of the last failed call ("" if none). */
const char *cpio_error(const struct cpio_builder *b);

/* Adds host_path under dest (an archive path like "/lkp" or "" for the
 * root).  A directory's contents go below dest (the directory itself
 * becomes dest's entry unless dest is the root); any other file becomes
 * dest itself, or dest/BASENAME when dest ends in '/' ("" means
 * "/BASENAME").  Symlinks are stored, never followed; hard links inside
 * the added trees are stored once; sockets are refused.  Only metadata is
 * read now: file data is read (and checked not to have changed) when the
 * archive is written. */
int cpio_add_host(struct cpio_builder *b, const char *host_path, const char *dest);
/* A regular file at archive path `path` with data copied from host_path
 * (which must be a regular file; not followed if a symlink). */
int cpio_add_host_file(struct cpio_builder *b, const char *path, const char *host_path,
                       mode_t perm);
/* Synthetic entries.  perm is the permission bits (07777); the data of
 * cpio_add_file_mem is copied. */
int cpio_add_file_mem(struct cpio_builder *b, const char *path, mode_t perm,
                      const void *data, size_t len);
int cpio_add_dir(struct cpio_builder *b, const char *path, mode_t perm);
int cpio_add_symlink(struct cpio_builder *b, const char *path, const char *target);
int cpio_add_chardev(struct cpio_builder *b, const char *path, mode_t perm,
                     unsigned major, unsigned minor);

/* Writes the archive (including TRAILER!!!) to fd. */
int cpio_write_fd(struct cpio_builder *b, int fd, const struct cpio_opts *o);
/* Writes the archive to out_path through a temporary file in the same
 * directory and rename(): on failure out_path is left untouched. */
int cpio_write_file(struct cpio_builder *b, const char *out_path, const struct cpio_opts *o);

/* For a SIGINT/SIGTERM/SIGHUP handler (async-signal-safe): removes the
 * temporary file that cpio_write_file, cpio_cached or initrd_concat is
 * writing, if any.  Returns 1 if there was one (the caller should then end
 * the process: the writer's descriptor now points at a removed file), else 0. */
int cpio_remove_temp(void);

/* Content cache: the key is the SHA-256 of the uncompressed archive the
 * builder would write (so of every byte of content and metadata) plus the
 * options.  If cache_dir/KEY.cpio[.gz] exists its path is returned,
 * otherwise the archive is written there first (atomically).  *hit (may be
 * NULL) tells which.  The directory is created if missing. */
int cpio_cached(struct cpio_builder *b, const struct cpio_opts *o, const char *cache_dir,
                char *out_path, size_t out_len, bool *hit);

/* Concatenates archives (compressed or not) into out_path (atomically),
 * padding each part with zero bytes to a multiple of 4 so that the
 * kernel finds each next archive.  err gets a one-line message. */
int initrd_concat(const char *out_path, const char *const *parts, size_t n,
                  char *err, size_t errlen);

/* `minivmm pack [--compress gzip|none] [--reproducible] -o OUT PATH...`;
 * argv[0] is the command name.  Returns 0, or 255 with a one-line
 * "minivmm pack: ..." message on stderr. */
int initrd_pack_main(int argc, char **argv);
#endif
