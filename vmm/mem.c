#include <errno.h>
#include <sys/mman.h>
#include "vmm/mem.h"

int gmem_init(struct guest_mem *m, uint64_t size, uint64_t hole_start)
{
    m->low_size = size < hole_start ? size : hole_start;
    m->high_size = size - m->low_size;
    /* Anonymous and unreserved: pages the guest never touches cost nothing.
     * Aligned to 2 MiB so that transparent huge pages can back guest RAM
     * (and KVM can map it with large pages). */
    const uint64_t align = 2ULL << 20;
    uint8_t *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    uint8_t *start = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
    if (start > p)
        munmap(p, (size_t)(start - p));
    munmap(start + size, (size_t)(p + align - start));
    madvise(start, size, MADV_HUGEPAGE);
    m->host = start;
    return 0;
}

void gmem_free(struct guest_mem *m)
{
    if (m->host)
        munmap(m->host, m->low_size + m->high_size);
    m->host = NULL;
}
