/* Guest physical memory as the host sees it.
 *
 * RAM is one anonymous mapping (untouched pages cost nothing).  Guest
 * physical [0, low_size) maps to host [host, host + low_size); when RAM
 * is larger than the space below the MMIO hole, the rest appears at guest
 * physical [4 GiB, 4 GiB + high_size) and maps to host + low_size.
 *
 * Every guest-supplied address goes through gmem_ptr(), which checks the
 * whole range (with overflow checks) before handing out a host pointer. */
#ifndef VMM_MEM_H
#define VMM_MEM_H
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define GMEM_HIGH_BASE 0x100000000ULL

struct guest_mem {
    uint8_t *host;       /* mapping of all RAM, low then high */
    uint64_t low_size;   /* RAM at guest physical [0, low_size) */
    uint64_t high_size;  /* RAM at guest physical [4 GiB, 4 GiB + high_size) */
};

/* Host pointer for guest physical [gpa, gpa + len), or NULL when any byte of
 * it is not RAM or the range wraps.  len 0 is valid inside RAM. */
static inline void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    if (len > UINT64_MAX - gpa)
        return NULL;
    if (gpa + len <= m->low_size)
        return m->host + gpa;
    if (gpa >= GMEM_HIGH_BASE && gpa - GMEM_HIGH_BASE <= m->high_size &&
        len <= m->high_size - (gpa - GMEM_HIGH_BASE))
        return m->host + m->low_size + (gpa - GMEM_HIGH_BASE);
    return NULL;
}

/* Maps RAM of `size` bytes with the hole at [hole_start, 4 GiB).  Returns 0 or -errno. */
int gmem_init(struct guest_mem *m, uint64_t size, uint64_t hole_start);
void gmem_free(struct guest_mem *m);
#endif
