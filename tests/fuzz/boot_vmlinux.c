/* Fuzz target: an ELF vmlinux (vmlinux_parse, vmlinux_place).  Whatever the
 * bytes, parsing stays inside the buffer, and what it accepts describes
 * segments inside the file that, once placed, lie inside guest RAM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "boot/layout.h"
#include "boot/vmlinux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    uint8_t *img = malloc(len ? len : 1);
    if (!img)
        return 0;
    memcpy(img, data, len);
    struct vmlinux_info v;
    char err[256];
    if (vmlinux_parse(img, len, &v, err, sizeof(err)) == 0) {
        const uint64_t ram = 256ULL << 20;
        uint64_t base = vmlinux_place(&v, ram, err, sizeof(err));
        for (int k = 0; k < v.nsegs; k++) {
            const struct vmlinux_seg *s = &v.segs[k];
            if (s->filesz > s->memsz || s->offset > len || s->filesz > len - s->offset)
                abort();
            if (s->paddr < v.paddr_lo || s->paddr - v.paddr_lo + s->memsz > v.span)
                abort();
        }
        if (base && (base < LAYOUT_HIMEM || base > ram || v.span > ram - base))
            abort();
    }
    free(img);
    return 0;
}
