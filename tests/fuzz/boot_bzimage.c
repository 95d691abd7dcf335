/* Fuzz target: a kernel image's setup header (bz_parse) and its placement
 * in guest RAM (bz_load_address).  Whatever bytes come in, parsing must not
 * read outside the buffer, and a placement it accepts must lie inside RAM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "boot/bzimage.h"
#include "boot/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    /* A copy of exactly len bytes, so that ASan sees any read past the end. */
    uint8_t *img = malloc(len ? len : 1);
    if (!img)
        return 0;
    memcpy(img, data, len);
    struct bz_info bz;
    char err[256];
    if (bz_parse(img, len, &bz, err, sizeof(err)) == 0) {
        if (bz.kernel < img || bz.kernel + bz.kernel_size != img + len)
            abort();
        if (strlen(bz.version) >= sizeof(bz.version))
            abort();
        /* The kernel is copied whole at the load address: init_size, the
         * size checked against RAM, must cover it. */
        if (bz.init_size < bz.kernel_size)
            abort();
        static const uint64_t rams[] = { 64 << 20, 256 << 20, 3ULL << 30 };
        for (size_t i = 0; i < sizeof(rams) / sizeof(rams[0]); i++) {
            uint64_t at = bz_load_address(&bz, rams[i], err, sizeof(err));
            /* Accepted: the whole init_size lies in RAM, above 1 MiB, no wrap. */
            if (at && (at < LAYOUT_HIMEM || at > rams[i] || bz.init_size > rams[i] - at))
                abort();
        }
    }
    free(img);
    return 0;
}
