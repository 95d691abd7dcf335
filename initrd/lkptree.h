/* An lkp-tests checkout packed the way `minivmm run --lkp-src` gives it to
 * the guest (docs/jobs.md "--lkp-src"). */
#ifndef INITRD_LKPTREE_H
#define INITRD_LKPTREE_H
struct cpio_builder;

#include <stddef.h>

/* Where lkp's qemu flow and `minivmm run --lkp-src` put the tree (lkp's
 * LKP_SRC, /lkp/${user:-lkp}/src); job/job.h's JOB_LKP_SRC_GUEST is the same. */
#define INITRD_LKP_SRC_DEST "lkp/lkp/src"

/* Adds every top-level entry of DIR whose name does not start with '.'
 * (.git, editor files) below DEST, in byte order, through cpio_add_host
 * (symlinks stored, never followed).  0, or -1 with a one-line message in
 * ERR. */
int initrd_add_lkp_tree(struct cpio_builder *b, const char *dir, const char *dest, char *err,
                        size_t errlen);
#endif
