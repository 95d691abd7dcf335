/* Walking an untrusted host directory tree: through directory file
 * descriptors (openat with O_NOFOLLOW at every level, fstat of what was
 * opened), iteratively with a depth bound, never re-resolving a path from
 * the top.  Used by the cpio tree walk and the module scan; the rules are
 * in docs/initrd.md ("Host trees are untrusted"). */
#ifndef INITRD_HOSTWALK_H
#define INITRD_HOSTWALK_H
#include <stddef.h>
#include <sys/stat.h>

#define HOSTWALK_REL_MAX 4095   /* longest path below the root, in bytes */

struct hostwalk_ent {
    int dirfd;                  /* open directory that holds `name` */
    const char *name;
    const char *rel;            /* "a/b/name", relative to the root */
    const struct stat *st;      /* lstat of the entry; of a directory: fstat of its open fd */
    unsigned depth;             /* 1 for the root's own entries */
};

/* Called for every entry, a directory before its contents, siblings in byte
 * order.  Returns 0 to go on (into a directory too), 1 to skip a
 * directory's contents, -1 to stop (the callback has set the message). */
typedef int (*hostwalk_fn)(void *ctx, const struct hostwalk_ent *e);

/* Walks the directory open at rootfd (which stays open and is not read
 * through its own file offset); label names the root in messages.  A
 * directory more than max_depth levels below the root, a path below the
 * root longer than HOSTWALK_REL_MAX, or a directory that is no longer the
 * one just examined (swapped for a symlink or another directory) stops the
 * walk.  Returns 0, or -1 with a one-line message in err. */
int hostwalk(int rootfd, const char *label, unsigned max_depth, hostwalk_fn fn, void *ctx,
             char *err, size_t errlen);

/* Opens rel (as hostwalk gives it) below rootfd one component at a time,
 * each directory with O_NOFOLLOW|O_DIRECTORY and the last one with
 * flags|O_NOFOLLOW|O_CLOEXEC.  Returns the fd, or -1 with errno (ELOOP or
 * ENOTDIR when a component has become a symlink). */
int hostwalk_open(int rootfd, const char *rel, int flags);

/* Formats a one-line message into err (newlines shown as '?'); returns -1. */
int initrd_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Test interface: when set, called once per directory after its entries
 * have been read and before any of them is examined ("" for the root). */
extern void (*hostwalk_test_hook)(const char *rel);
#endif
