/* Fuzz target: the device side of a split virtqueue (virtio/virtqueue.c)
 * over a fuzzed guest memory image: queue size, ring addresses, features
 * and the device's avail/used indices come from the input, the rest of it
 * is guest RAM.  Whatever the guest wrote, every buffer handed out must lie
 * inside RAM, a chain never has more buffers than the queue size, and
 * nothing is read or written outside RAM (ASan: RAM is a heap block of
 * exactly its size). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "virtio/virtqueue.h"

#define RAM (64u << 10)

struct params {
    uint8_t num_log2, flags;
    uint16_t desc, avail, used;     /* ring addresses (bytes) */
    uint16_t last_avail, used_idx;
    uint16_t used_len;              /* pushed as the used length */
} __attribute__((packed));

static void check_chain(const struct virtq_chain *c, const uint8_t *ram, uint16_t num)
{
    if (c->nin < 0 || c->nout < 0 || c->nin + c->nout > num || c->head >= num)
        abort();
    uint64_t in = 0, out = 0;
    for (int i = 0; i < c->nin + c->nout; i++) {
        const uint8_t *b = c->iov[i].iov_base;
        size_t len = c->iov[i].iov_len;
        if (b < ram || b > ram + RAM || len > (size_t)(ram + RAM - b))
            abort();
        if (i < c->nin)
            in += len;
        else
            out += len;
        if (len)    /* touch both ends: ASan checks they are RAM */
            (void)*(volatile const uint8_t *)b, (void)*(volatile const uint8_t *)(b + len - 1);
    }
    if (in != c->in_len || out != c->out_len || c->in != c->iov || c->out != c->iov + c->nin)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct params p;
    if (len < sizeof(p))
        return 0;
    memcpy(&p, data, sizeof(p));
    data += sizeof(p);
    len -= sizeof(p);
    uint8_t *ram = calloc(1, RAM);
    if (!ram)
        return 0;
    memcpy(ram, data, len < RAM ? len : RAM);
    struct guest_mem mem = { .host = ram, .low_size = RAM, .high_size = 0 };
    uint16_t num = (uint16_t)(1u << (p.num_log2 % 9));     /* 1 .. 256 */
    struct virtq q;
    if (virtq_setup(&q, &mem, num, p.desc, p.avail, p.used, p.flags & 1, p.flags & 2) == VIRTQ_OK) {
        q.last_avail = p.last_avail;
        q.used_idx = p.used_idx;
        struct virtq_chain *c = virtq_chain_new(num);
        if (!c)
            abort();
        if (p.flags & 4)
            virtq_disable_notify(&q);
        for (int i = 0; i < 2 * num + 2; i++) {
            int r = virtq_pop(&q, c);
            if (r < -VIRTQ_E_INDIRECT || r > 1)
                abort();
            if (r <= 0)
                break;
            check_chain(c, ram, num);
            virtq_push(&q, c->head, p.used_len);
            if (p.flags & 8)
                virtq_need_interrupt(&q);
        }
        virtq_enable_notify(&q);
        virtq_need_interrupt(&q);
        free(c);
    }
    free(ram);
    return 0;
}
