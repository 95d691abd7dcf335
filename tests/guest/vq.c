/* A minimal virtio-mmio driver for the first virtio-9p device, polled, and
 * the descriptor-chain cases of action=vq:NAME.  Each case breaks one rule
 * of the split virtqueue (docs/virtio.md "Rules the device enforces"); the
 * device must mark itself DEVICE_NEEDS_RESET (status 0x40) with a config
 * interrupt, never touch memory outside guest RAM, and work again after a
 * reset.  Status 0 means every step behaved so. */
#include "guest.h"
#include "vq.h"

enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, DEV_FEAT = 0x010, DEV_FEAT_SEL = 0x014,
    DRV_FEAT = 0x020, DRV_FEAT_SEL = 0x024, QSEL = 0x030, QNUM_MAX = 0x034, QNUM = 0x038,
    QREADY = 0x044, QNOTIFY = 0x050, ISR = 0x060, ISR_ACK = 0x064, STATUS = 0x070,
    QDESC = 0x080, QDRIVER = 0x090, QDEVICE = 0x0a0,
};
#define F_INDIRECT (1u << 28)

struct ring {
    struct vdesc desc[VQN];
    struct { uint16_t flags, idx, ring[VQN], used_event; } avail;
    struct { uint16_t flags, idx; struct vused_elem ring[VQN]; uint16_t avail_event; }
        used __attribute__((aligned(4)));
    struct vdesc table[4 * VQN] __attribute__((aligned(16)));  /* indirect */
};
static struct ring rings[2] __attribute__((aligned(4096)));
static uint8_t reqbuf[VQ_SLOTS][VQ_REQ_SIZE] __attribute__((aligned(64)));
static uint8_t respbuf[VQ_SLOTS][VQ_RESP_SIZE] __attribute__((aligned(64)));
static struct ring *cur = &rings[0];
static uint16_t avail_idx, used_seen;
static uint64_t desc_override;   /* vq:ring: where QueueDesc points instead */

uint32_t vq_reg(unsigned off) { return mr32(VIRTIO_MMIO_BASE + off); }
static void wreg(unsigned off, uint32_t v) { mw32(VIRTIO_MMIO_BASE + off, v); }
static void wreg64(unsigned off, uint64_t v) { wreg(off, (uint32_t)v); wreg(off + 4, (uint32_t)(v >> 32)); }

struct vdesc *vq_desc(void) { return cur->desc; }
uint8_t *vq_req(int slot) { return reqbuf[slot]; }
uint8_t *vq_resp(int slot) { return respbuf[slot]; }

static int fail(int step, const char *what)
{
    puts_("tinyguest: vq: ");
    puts_(what);
    puts_("\n");
    return step;
}

int vq_reset(void)
{
    wreg(STATUS, 0);
    return vq_reg(STATUS) != 0;
}

int vq_setup(uint32_t want, uint16_t num, uint64_t desc, uint64_t avail, uint64_t used,
             int ready_only)
{
    if (vq_reset())
        return fail(1, "Status does not read 0 after reset");
    if (vq_reg(MAGIC) != 0x74726976 || vq_reg(VERSION) != 2 || vq_reg(DEVICE_ID) != 9)
        return fail(2, "no virtio-mmio 9p device at 0xd0000000");
    wreg(STATUS, 1);
    wreg(STATUS, 3);
    wreg(DEV_FEAT_SEL, 1);
    if (!(vq_reg(DEV_FEAT) & 1))
        return fail(3, "VERSION_1 not offered");
    wreg(DEV_FEAT_SEL, 0);
    if ((vq_reg(DEV_FEAT) & want) != want)
        return fail(3, "features not offered");
    wreg(DRV_FEAT_SEL, 0);
    wreg(DRV_FEAT, want);
    wreg(DRV_FEAT_SEL, 1);
    wreg(DRV_FEAT, 1);
    wreg(STATUS, 0xb);
    if (!(vq_reg(STATUS) & 8))
        return fail(4, "FEATURES_OK refused");
    wreg(QSEL, 0);
    if (vq_reg(QNUM_MAX) < num)
        return fail(5, "queue too small");
    wreg(QNUM, num);
    wreg64(QDESC, desc);
    wreg64(QDRIVER, avail);
    wreg64(QDEVICE, used);
    wreg(QREADY, 1);
    if (ready_only)
        return 0;                       /* the caller checks what happened */
    if (vq_reg(QREADY) != 1)
        return fail(6, "queue not ready");
    wreg(STATUS, 0xf);
    if (vq_reg(STATUS) != 0xf)
        return fail(7, "DRIVER_OK refused");
    return 0;
}

int vq_start(int set, int indirect)
{
    cur = &rings[set];
    uint8_t *p = (uint8_t *)cur;
    for (unsigned i = 0; i < sizeof(*cur); i++)
        p[i] = 0;
    avail_idx = used_seen = 0;
    /* mount tag, indirect */
    int e = vq_setup(1 | (indirect ? F_INDIRECT : 0), VQN,
                     desc_override ? desc_override : (uint64_t)(uintptr_t)cur->desc,
                     (uintptr_t)&cur->avail, (uintptr_t)&cur->used, desc_override != 0);
    if (e || desc_override)
        return e;
    cur->avail.flags = 1;               /* polled: no interrupts please */
    return 0;
}

void vq_post(uint16_t head)
{
    cur->avail.ring[avail_idx % VQN] = head;
    avail_idx++;
    __atomic_store_n(&cur->avail.idx, avail_idx, __ATOMIC_RELEASE);
}

void vq_bump_avail(uint16_t n)
{
    avail_idx += n;
    __atomic_store_n(&cur->avail.idx, avail_idx, __ATOMIC_RELEASE);
}

void vq_notify(void)
{
    barrier();
    wreg(QNOTIFY, 0);
}

uint16_t vq_used_idx(void) { return __atomic_load_n(&cur->used.idx, __ATOMIC_ACQUIRE); }

int vq_wait(uint16_t n)
{
    uint64_t start = rdtsc();
    for (;;) {
        if ((uint16_t)(vq_used_idx() - used_seen) >= n)
            return VQ_USED;
        if (vq_reg(STATUS) & VSTATUS_NEEDS_RESET)
            return VQ_NEEDS_RESET;
        if (rdtsc() - start > 8000000000ULL)   /* 2 to 8 s */
            return VQ_TIMEOUT;
        __asm__ volatile("pause");
    }
}

struct vused_elem vq_used_elem(uint16_t k)
{
    struct vused_elem *e = &cur->used.ring[(uint16_t)(used_seen + k) % VQN];
    return (struct vused_elem){ __atomic_load_n(&e->id, __ATOMIC_RELAXED),
                                __atomic_load_n(&e->len, __ATOMIC_RELAXED) };
}

void vq_consume(uint16_t n) { used_seen += n; }

void vq_post_slot(int slot, uint32_t reqlen)
{
    struct vdesc *d = cur->desc;
    d[2 * slot] = (struct vdesc){ (uintptr_t)reqbuf[slot], reqlen, VRING_DESC_F_NEXT,
                                  (uint16_t)(2 * slot + 1) };
    d[2 * slot + 1] = (struct vdesc){ (uintptr_t)respbuf[slot], VQ_RESP_SIZE,
                                      VRING_DESC_F_WRITE, 0 };
    vq_post((uint16_t)(2 * slot));
}

/* ---- the cases ---- */

static uint64_t ram_end, ram_end_hi;

/* Posts head (descriptors already written), notifies and expects the device
 * to ask for a reset with a config interrupt and nothing on the used ring;
 * then resets and checks a fresh queue (other ring set) serves Tversion. */
static int expect_refused(const char *what, uint16_t head, int indirect)
{
    puts_("tinyguest: vq case: ");
    puts_(what);
    puts_("\n");
    uint16_t before = vq_used_idx();
    vq_post(head);
    vq_notify();
    int r = vq_wait(1);
    if (r == VQ_TIMEOUT)
        return fail(20, "device neither completed nor asked for a reset");
    if (r == VQ_USED || vq_used_idx() != before)
        return fail(21, "device used a chain it should have refused");
    if (!(vq_reg(ISR) & 2))
        return fail(22, "no config interrupt with DEVICE_NEEDS_RESET");
    wreg(ISR_ACK, 2);
    int e = vq_start(cur == &rings[0], indirect);
    if (e)
        return e;
    if ((e = p9_version_check()))
        return fail(23, "no Tversion after the reset");
    return vq_start(cur == &rings[0], indirect);
}

/* For chains that are legal but nasty: any outcome but a hang is fine
 * (a reply or a reset request); then a fresh queue must work. */
static int expect_survived(const char *what)
{
    puts_("tinyguest: vq case: ");
    puts_(what);
    puts_("\n");
    vq_post(0);
    vq_notify();
    if (vq_wait(1) == VQ_TIMEOUT)
        return fail(24, "device neither completed nor asked for a reset");
    int e = vq_start(cur == &rings[0], 0);
    if (e || (e = p9_version_check()))
        return e ? e : fail(23, "no Tversion afterwards");
    return vq_start(cur == &rings[0], 0);
}

/* The request is a valid Tversion in slot 0; d0 is its first descriptor. */
static struct vdesc *prepare(void)
{
    vq_post_slot(0, p9_build_version(0));   /* fills descriptors 0 and 1 ... */
    avail_idx--;                        /* ... but does not post yet */
    __atomic_store_n(&cur->avail.idx, avail_idx, __ATOMIC_RELEASE);
    return cur->desc;
}

static int case_outside(void)
{
    static const struct { const char *what; uint64_t addr; uint32_t len; int desc; } c[] = {
        { "request in the virtio window", VIRTIO_MMIO_BASE, 64, 0 },
        { "request straddles the end of RAM", 0, 64, 0 },
        { "reply straddles the end of RAM", 0, 64, 1 },
        { "request wraps around 2^64", 0xfffffffffffffff0ULL, 0x20, 0 },
        { "reply at 4 GiB, or straddling the end of RAM above it", 0x100000000ULL, 4096, 1 },
        { "reply in the MMIO hole", 0xc0000000ULL, 4096, 1 },
        { "reply of 1 byte just past the end of RAM", 0, 1, 1 },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct vdesc *d = prepare();
        uint64_t a = c[i].addr ? c[i].addr : ram_end - c[i].len / 2;
        if (i == 6)
            a = ram_end;
        if (i == 4 && ram_end_hi)       /* --memory above 3 GiB: RAM at 4 GiB */
            a = ram_end_hi - 2048;
        d[c[i].desc].addr = a;
        d[c[i].desc].len = c[i].len;
        int e = expect_refused(c[i].what, 0, 0);
        if (e)
            return e;
    }
    return 0;
}

static int case_loop(void)
{
    struct vdesc *d = prepare();
    d[1].flags = VRING_DESC_F_WRITE | VRING_DESC_F_NEXT;
    d[1].next = 1;                      /* reply descriptor points at itself */
    int e = expect_refused("descriptor loops onto itself", 0, 0);
    if (e)
        return e;
    d = prepare();
    d[0].next = 2;                      /* 0 -> 2 -> 3 -> 0 -> ... (readable only) */
    d[2] = (struct vdesc){ d[0].addr, 8, VRING_DESC_F_NEXT, 3 };
    d[3] = (struct vdesc){ d[0].addr, 0, VRING_DESC_F_NEXT, 0 };
    return expect_refused("three descriptors in a loop (one of length 0)", 0, 0);
}

static int case_long(void)
{
    int e = vq_start(0, 1);
    if (e)
        return e;
    /* Every direct descriptor in one chain, the last pointing back: longer
     * than the queue. */
    struct vdesc *d = cur->desc;
    for (int i = 0; i < VQN; i++)
        d[i] = (struct vdesc){ (uintptr_t)reqbuf[0], 8, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % VQN) };
    if ((e = expect_refused("chain through all descriptors and back", 0, 1)))
        return e;
    /* An indirect table with more entries than the queue has. */
    struct vdesc *t = cur->table;
    for (int i = 0; i < 2 * VQN; i++)
        t[i] = (struct vdesc){ (uintptr_t)reqbuf[0], 8, VRING_DESC_F_NEXT, (uint16_t)(i + 1) };
    t[2 * VQN - 1].flags = 0;
    cur->desc[0] = (struct vdesc){ (uintptr_t)t, 2 * VQN * 16, VRING_DESC_F_INDIRECT, 0 };
    if ((e = expect_refused("indirect table longer than the queue", 0, 1)))
        return e;
    /* An indirect table that loops inside itself. */
    t = cur->table;
    t[0] = (struct vdesc){ (uintptr_t)reqbuf[0], 8, VRING_DESC_F_NEXT, 1 };
    t[1] = (struct vdesc){ (uintptr_t)reqbuf[0], 8, VRING_DESC_F_NEXT, 0 };
    cur->desc[0] = (struct vdesc){ (uintptr_t)t, 32, VRING_DESC_F_INDIRECT, 0 };
    if ((e = expect_refused("indirect table that loops", 0, 1)))
        return e;
    /* An indirect table outside RAM, and one nested in another. */
    cur->desc[0] = (struct vdesc){ ram_end - 16, 64, VRING_DESC_F_INDIRECT, 0 };
    if ((e = expect_refused("indirect table straddles the end of RAM", 0, 1)))
        return e;
    t = cur->table;
    t[0] = (struct vdesc){ (uintptr_t)t, 32, VRING_DESC_F_INDIRECT, 0 };
    cur->desc[0] = (struct vdesc){ (uintptr_t)t, 16, VRING_DESC_F_INDIRECT, 0 };
    return expect_refused("indirect table inside an indirect table", 0, 1);
}

/* The reply lands on the rings or on the request itself. */
static int case_alias(void)
{
    struct vdesc *d = prepare();
    d[1].addr = (uintptr_t)cur->desc;
    d[1].len = sizeof(cur->desc);
    int e = expect_survived("reply buffer is the descriptor table");
    if (e)
        return e;
    d = prepare();
    d[1].addr = (uintptr_t)&cur->avail;
    d[1].len = sizeof(cur->avail);
    if ((e = expect_survived("reply buffer is the avail ring")))
        return e;
    d = prepare();
    d[1].addr = (uintptr_t)&cur->used;
    d[1].len = sizeof(cur->used);
    if ((e = expect_survived("reply buffer is the used ring")))
        return e;
    d = prepare();
    d[1].addr = d[0].addr;
    return expect_survived("reply buffer is the request buffer");
}

static int case_huge(void)
{
    struct vdesc *d = prepare();
    d[0].len = 0xffffffffu;
    int e = expect_refused("request of 4 GiB - 1 bytes", 0, 0);
    if (e)
        return e;
    d = prepare();
    d[1].len = 0x80000000u;
    return expect_refused("reply buffer of 2 GiB", 0, 0);
}

static int case_avail(void)
{
    prepare();
    vq_bump_avail(1000);                /* idx far ahead of the queue */
    int e = expect_refused("avail index 1001 ahead of a queue of 16", 0, 0);
    if (e)
        return e;
    prepare();
    if ((e = expect_refused("head index 40000", 40000, 0)))
        return e;
    struct vdesc *d = prepare();
    d[0].next = VQN + 3;
    return expect_refused("next index past the table", 0, 0);
}

static int case_ring(void)
{
    /* Rings outside RAM are refused when the queue is enabled. */
    static const uint64_t where[] = { 0, VIRTIO_MMIO_BASE, 0xfffffffffffff000ULL };
    for (unsigned i = 0; i < 3; i++) {
        desc_override = where[i] ? where[i] : ram_end - 128;
        puts_("tinyguest: vq case: descriptor table at ");
        putn(desc_override, 16);
        puts_("\n");
        vq_start(0, 0);
        desc_override = 0;
        if (!(vq_reg(STATUS) & VSTATUS_NEEDS_RESET) || vq_reg(QREADY))
            return fail(30, "queue outside RAM accepted");
        int e = vq_start(1, 0);
        if (e || (e = p9_version_check()))
            return e ? e : 31;
    }
    return 0;
}

#define BIG_BUF 0x4000000ULL            /* 64 MiB: free RAM in the tiny guest */
#define BIG_LEN (1u << 20)
#define BIG_STRIDE (BIG_LEN + 4096)

/* A checksum of every 4093rd byte of the reply buffers (the guest CPU may
 * be emulated: touching every byte would be slow). */
static uint32_t sample(void)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)BIG_BUF;
    uint32_t s = 0;
    for (uint32_t i = 0; i < VQ_SLOTS * BIG_STRIDE; i += 4093)
        s = s * 31 + p[i];
    return s;
}

/* Posts VQ_SLOTS Treads of 1 MiB of fid 1, each to its own buffer. */
static void post_big_reads(void)
{
    struct vdesc *d = cur->desc;
    for (int k = 0; k < VQ_SLOTS; k++) {
        d[2 * k] = (struct vdesc){ (uintptr_t)reqbuf[k], p9_build_read(k, 1, BIG_LEN),
                                   VRING_DESC_F_NEXT, (uint16_t)(2 * k + 1) };
        d[2 * k + 1] = (struct vdesc){ BIG_BUF + (uint64_t)k * BIG_STRIDE, BIG_LEN + 11,
                                       VRING_DESC_F_WRITE, 0 };
        vq_post((uint16_t)(2 * k));
    }
}

/* VQ_SLOTS Treads of 1 MiB each (the file "big" of the export) in flight
 * when the driver resets, at varying moments: once the reset write returns
 * the device must not write a reply buffer or the used ring any more; a new
 * queue works. */
static int case_reset(void)
{
    if (ram_end < BIG_BUF + VQ_SLOTS * BIG_STRIDE)
        return fail(43, "vq:reset needs more than 80 MiB of RAM");
    uint8_t *big = (uint8_t *)(uintptr_t)BIG_BUF;
    unsigned landed = 0;                /* replies written before the reset */
    for (int round = 0; round < 40; round++) {
        int e = vq_start(0, 0);
        if (e || (e = p9_open("big", 1, BIG_LEN + 11)))
            return e ? e : fail(44, "cannot open big in the export");
        for (uint32_t i = 0; i < VQ_SLOTS * BIG_STRIDE; i += 4093)
            big[i] = 0xa5;
        post_big_reads();
        uint16_t before = vq_used_idx();
        vq_notify();
        uint64_t t = rdtsc();
        while (rdtsc() - t < (uint64_t)(round % 10) * 20000)   /* 0 to ~70 us */
            __asm__ volatile("pause");
        if (vq_reset())
            return fail(40, "Status not 0 after reset");
        uint16_t used = rings[0].used.idx;
        uint32_t s = sample();
        landed += (uint16_t)(used - before);
        if ((e = vq_start(1, 0)))
            return e;
        if ((e = p9_version_check()))
            return fail(41, "no Tversion after a reset mid-request");
        if (rings[0].used.idx != used || sample() != s)
            return fail(42, "the reset queue was written after the reset");
    }
    puts_("tinyguest: vq: 40 resets mid-request survived (");
    putn(landed, 10);
    puts_(" of 320 replies landed before the reset)\n");
    return 0;
}

/* The VM ends (exit device) with eight 1 MiB reads in flight: minivmm must
 * stop its device threads cleanly (no use after free, no hang). */
static int case_exit(void)
{
    if (ram_end < BIG_BUF + VQ_SLOTS * BIG_STRIDE)
        return fail(43, "vq:exit needs more than 80 MiB of RAM");
    int e = vq_start(0, 0);
    if (e || (e = p9_open("big", 1, BIG_LEN + 11)))
        return e ? e : fail(44, "cannot open big in the export");
    post_big_reads();
    vq_notify();
    puts_("tinyguest: vq: exit with requests in flight\n");
    outb(PORT_EXIT, 0);
    return 45;                          /* not reached */
}

/* 1000 times: a rule broken, then a reset.  Each time the device asks for
 * a reset anew; minivmm's stderr must stay bounded all the same. */
static int case_flood(void)
{
    for (int i = 0; i < 1000; i++) {
        wreg(QNUM_MAX, 1);              /* read-only register: a violation */
        if (!(vq_reg(STATUS) & VSTATUS_NEEDS_RESET))
            return fail(46, "a write to QueueNumMax was accepted");
        if (vq_reset())
            return fail(40, "Status not 0 after reset");
    }
    puts_("tinyguest: vq: 1000 errors and resets\n");
    int e = vq_start(0, 0);
    return e ? e : p9_version_check();
}

int vq_action(const char *name, const uint8_t *zp)
{
    static const struct { const char *name; int (*fn)(void); } cases[] = {
        { "outside", case_outside }, { "loop", case_loop }, { "long", case_long },
        { "huge", case_huge }, { "avail", case_avail }, { "ring", case_ring },
        { "reset", case_reset }, { "exit", case_exit },
        { "alias", case_alias }, { "flood", case_flood },
    };
    ram_end = ram_end_low(zp);
    ram_end_hi = ram_end_high(zp);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (!starts(name, cases[i].name))
            continue;
        int e = vq_start(0, 0);
        if (e)
            return e;
        if ((e = p9_version_check()))
            return fail(10, "no Tversion on a fresh queue");
        if ((e = vq_start(0, 0)))
            return e;
        return cases[i].fn();
    }
    return fail(99, "unknown vq case");
}
