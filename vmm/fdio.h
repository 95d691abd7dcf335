/* Whole reads and writes on a file descriptor, retrying after EINTR and
 * short transfers. */
#ifndef VMM_FDIO_H
#define VMM_FDIO_H
#include <stddef.h>

/* Writes all n bytes: 0, or -1 with errno on the first failure. */
int fd_write_all(int fd, const void *p, size_t n);
/* Reads up to n bytes; returns how many (short only at end of file or error). */
size_t fd_read_full(int fd, void *buf, size_t n);
#endif
