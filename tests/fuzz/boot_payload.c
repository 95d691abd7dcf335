/* Fuzz target: a bzImage payload unpacked on the host (payload_unpack), in
 * whatever format its magic claims.  Whatever the bytes, the decoders must
 * stay inside their buffers, and an accepted output has exactly the size
 * the payload records, within the limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "boot/payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        return 0;
    memcpy(p, data, len);
    const size_t max = 16u << 20;
    uint8_t *out;
    size_t outlen;
    char err[256];
    if (payload_unpack(p, len, max, &out, &outlen, err, sizeof(err)) == 0) {
        uint32_t rec = len >= 4 ? (uint32_t)(p[len - 4] | p[len - 3] << 8 | p[len - 2] << 16 |
                                             (uint32_t)p[len - 1] << 24) : 0;
        if (outlen != rec || outlen > max)
            abort();
        free(out);
    } else if (strlen(err) == 0 || strchr(err, '\n')) {
        abort();
    }
    free(p);
    return 0;
}
