#include <errno.h>
#include <sys/mman.h>
#include "vmm/mem.h"

int gmem_init(struct guest_mem *m, uint64_t size, uint64_t hole_start)
{
    m->low_size = size < hole_start ? size : hole_start;
    m->high_size = size - m->low_size;
    /* Anonymous and unreserved: pages the guest never touches cost nothing. */
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    madvise(p, size, MADV_HUGEPAGE);
    m->host = p;
    return 0;
}

void gmem_free(struct guest_mem *m)
{
    if (m->host)
        munmap(m->host, m->low_size + m->high_size);
    m->host = NULL;
}
