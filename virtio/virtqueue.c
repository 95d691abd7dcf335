/* Split virtqueue, device side: see virtqueue.h for the rules. */
#include "virtio/virtqueue.h"

#include <stdlib.h>
#include <string.h>

const char *virtq_strerror(enum virtq_err e)
{
    switch (e) {
    case VIRTQ_OK:          return "no error";
    case VIRTQ_E_HEAD:      return "head index out of range";
    case VIRTQ_E_AVAIL_IDX: return "avail index jumped more than the queue size";
    case VIRTQ_E_NEXT:      return "next index out of range";
    case VIRTQ_E_LOOP:      return "descriptor chain longer than the queue size";
    case VIRTQ_E_ADDR:      return "buffer or ring outside guest RAM";
    case VIRTQ_E_ORDER:     return "device-readable descriptor after a writable one";
    case VIRTQ_E_INDIRECT:  return "bad indirect descriptor";
    }
    return "unknown error";
}

/* Ring area sizes (with the event-index fields when negotiated). */
static uint64_t avail_size(uint16_t num, bool ev) { return 4 + 2ULL * num + (ev ? 2 : 0); }
static uint64_t used_size(uint16_t num, bool ev)  { return 4 + 8ULL * num + (ev ? 2 : 0); }

static uint16_t load16(const uint16_t *p, int order)
{
    return __atomic_load_n(p, order);
}

int virtq_setup(struct virtq *q, const struct guest_mem *mem, uint16_t num,
                uint64_t desc, uint64_t avail, uint64_t used,
                bool event_idx, bool indirect)
{
    memset(q, 0, sizeof(*q));
    if (num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
        return VIRTQ_E_ADDR;
    if ((desc & 15) || (avail & 1) || (used & 3))
        return VIRTQ_E_ADDR;
    void *d = gmem_ptr(mem, desc, 16ULL * num);
    void *a = gmem_ptr(mem, avail, avail_size(num, event_idx));
    void *u = gmem_ptr(mem, used, used_size(num, event_idx));
    if (!d || !a || !u)
        return VIRTQ_E_ADDR;
    q->mem = mem;
    q->num = num;
    q->event_idx = event_idx;
    q->indirect = indirect;
    q->desc_gpa = desc;
    q->avail_gpa = avail;
    q->used_gpa = used;
    q->desc = d;
    q->avail = a;
    q->used = u;
    return VIRTQ_OK;
}

struct virtq_chain *virtq_chain_new(uint16_t num)
{
    struct virtq_chain *c = calloc(1, sizeof(*c) + (size_t)num * sizeof(struct iovec));
    if (c)
        c->cap = num;
    return c;
}

/* One descriptor, read once, byte by byte through a volatile pointer: the
 * guest may rewrite it concurrently, and indirect tables need not be
 * aligned. */
static void read_desc(const void *p, struct virtq_desc *d)
{
    const volatile uint8_t *s = p;
    uint8_t tmp[sizeof(*d)];
    for (size_t i = 0; i < sizeof(tmp); i++)
        tmp[i] = s[i];
    memcpy(d, tmp, sizeof(tmp));
}

bool virtq_has_avail(struct virtq *q)
{
    return load16(&q->avail[1], __ATOMIC_ACQUIRE) != q->last_avail;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
    uint16_t aidx = load16(&q->avail[1], __ATOMIC_ACQUIRE);
    uint16_t pending = (uint16_t)(aidx - q->last_avail);
    if (pending == 0)
        return 0;
    if (pending > q->num)
        return -VIRTQ_E_AVAIL_IDX;
    uint16_t head = load16(&q->avail[2 + (q->last_avail & (q->num - 1))], __ATOMIC_RELAXED);
    if (head >= q->num)
        return -VIRTQ_E_HEAD;

    const uint8_t *table = (const uint8_t *)q->desc;
    uint32_t tsize = q->num;
    bool in_indirect = false, seen_write = false;
    int n = 0, nin = 0;
    uint64_t in_len = 0, out_len = 0;
    uint32_t i = head;
    int cap = c->cap < q->num ? c->cap : q->num;

    for (;;) {
        struct virtq_desc d;
        read_desc(table + 16ULL * i, &d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            /* Only one table per chain, only when negotiated, only as the
             * last direct descriptor, a whole number of entries and no
             * more entries than a chain may have. */
            if (!q->indirect || in_indirect || (d.flags & VIRTQ_DESC_F_NEXT))
                return -VIRTQ_E_INDIRECT;
            if (d.len == 0 || d.len % 16 || d.len / 16 > q->num)
                return -VIRTQ_E_INDIRECT;
            const uint8_t *t = gmem_ptr(q->mem, d.addr, d.len);
            if (!t)
                return -VIRTQ_E_ADDR;
            table = t;
            tsize = d.len / 16;
            in_indirect = true;
            i = 0;
            /* It has no NEXT, so the direct walk ends here; a second
             * indirect descriptor inside the table was refused above. */
            continue;
        }
        /* Every buffer descriptor (even of length 0) counts, so a loop
         * ends here after at most queue size steps. */
        if (n >= cap)
            return -VIRTQ_E_LOOP;
        void *p = gmem_ptr(q->mem, d.addr, d.len);
        if (!p)
            return -VIRTQ_E_ADDR;
        if (d.flags & VIRTQ_DESC_F_WRITE) {
            seen_write = true;
            out_len += d.len;
        } else {
            if (seen_write)
                return -VIRTQ_E_ORDER;
            in_len += d.len;
            nin++;
        }
        c->iov[n].iov_base = p;
        c->iov[n].iov_len = d.len;
        n++;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        if (d.next >= tsize)
            return -VIRTQ_E_NEXT;
        i = d.next;
    }

    c->head = head;
    c->nin = nin;
    c->nout = n - nin;
    c->in = c->iov;
    c->out = c->iov + nin;
    c->in_len = in_len;
    c->out_len = out_len;
    q->last_avail++;
    return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
    uint8_t *e = q->used + 4 + 8ULL * (q->used_idx & (q->num - 1));
    __atomic_store_n((uint32_t *)e, (uint32_t)head, __ATOMIC_RELAXED);
    __atomic_store_n((uint32_t *)(e + 4), len, __ATOMIC_RELAXED);
    q->used_idx++;
    /* The element must be visible before the index that publishes it. */
    __atomic_store_n((uint16_t *)(q->used + 2), q->used_idx, __ATOMIC_RELEASE);
}

bool virtq_need_interrupt(struct virtq *q)
{
    /* Our used idx store must be ordered before reading the driver's
     * suppression fields, or both sides could miss each other. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!q->event_idx)
        return !(load16(&q->avail[0], __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    uint16_t old = q->signalled_used, new = q->used_idx;
    bool valid = q->signalled_valid;
    q->signalled_used = new;
    q->signalled_valid = true;
    uint16_t event = load16(&q->avail[2 + q->num], __ATOMIC_RELAXED);
    return !valid || vring_need_event(event, new, old);
}

void virtq_disable_notify(struct virtq *q)
{
    if (q->event_idx)
        return;   /* avail_event stays behind: the driver will not notify */
    uint16_t *flags = (uint16_t *)q->used;
    __atomic_store_n(flags, (uint16_t)VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}

bool virtq_enable_notify(struct virtq *q)
{
    if (q->event_idx) {
        uint16_t *avail_event = (uint16_t *)(q->used + 4 + 8ULL * q->num);
        __atomic_store_n(avail_event, q->last_avail, __ATOMIC_RELAXED);
    } else {
        __atomic_store_n((uint16_t *)q->used, (uint16_t)0, __ATOMIC_RELAXED);
    }
    /* Publish the request before looking at avail idx again. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return virtq_has_avail(q);
}
