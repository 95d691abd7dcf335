/* A device bus: address ranges (port I/O or MMIO) mapped to device handlers.
 * Devices are registered before any vCPU runs; lookups are then lock-free.
 * Each device does its own locking, since several vCPUs may call it at once. */
#ifndef VMM_BUS_H
#define VMM_BUS_H
#include <stdbool.h>
#include <stdint.h>

/* offset is relative to the registered base; data holds len (1, 2, 4 or 8)
 * bytes, little-endian: to be filled on a read, to be consumed on a write. */
typedef void (*bus_io_fn)(void *opaque, uint64_t offset, uint8_t *data,
                          uint32_t len, bool is_write);

struct bus_range {
    uint64_t base, len;
    bus_io_fn fn;
    void *opaque;
    const char *name;
};

#define BUS_MAX 32
struct bus {
    struct bus_range r[BUS_MAX];
    int n;
};

/* Returns 0, or -1 when the range overlaps another or the bus is full. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn,
                 void *opaque, const char *name);
/* Returns false when nothing is mapped at addr (reads then see all ones). */
bool bus_dispatch(const struct bus *b, uint64_t addr, uint8_t *data,
                  uint32_t len, bool is_write);
#endif
