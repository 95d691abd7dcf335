/* action=blk:rw | blk:ro  a polled virtio-blk client for the first
 * virtio-mmio device (a --disk without --share), for tests/direct/blk.sh.
 *
 * blk:rw, on an image of at least 2048 sectors whose sectors 0..7 the host
 * filled: reads sectors 0..7 and writes them to 100..107; writes 16
 * sectors at 200, sector 200 + k all bytes 'A' + k, in three buffers;
 * write-zeroes sectors 300..307; flush; discards sectors 512..1023; reads
 * the serial (GET_ID).  Then hostile requests, each with the status it must
 * get and nothing written: a read past the end, a wrapping sector, a write
 * of 100 bytes at 400, an unknown type, a write with writable data, a
 * discard with flags, a discard past the end, a chain without a writable
 * byte (used length 0).  A header split over two buffers must work.
 * blk:ro: the device says RO; a write at sector 0 gets IOERR, a discard
 * UNSUPP (not offered), a read and a flush OK.
 *
 * Prints "tinyguest: blk: N checks, M failed" and reports status M (0 when
 * all behaved), 90 when the device could not be set up. */
#include "guest.h"
#include "vq.h"

enum { MAGIC = 0x000, DEVICE_ID = 0x008, DEV_FEAT = 0x010, DEV_FEAT_SEL = 0x014,
       DRV_FEAT = 0x020, DRV_FEAT_SEL = 0x024, QSEL = 0x030, QNUM_MAX = 0x034, QNUM = 0x038,
       QREADY = 0x044, QNOTIFY = 0x050, STATUS = 0x070, QDESC = 0x080, QDRIVER = 0x090,
       QDEVICE = 0x0a0, CONFIG = 0x100 };
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WZ = 13 };
enum { F_RO = 5, F_FLUSH = 9, F_DISCARD = 13, F_WZ = 14 };
#define N 8

static struct {
    struct vdesc desc[N];
    struct { uint16_t flags, idx, ring[N], used_event; } avail;
    struct { uint16_t flags, idx; struct vused_elem ring[N]; uint16_t avail_event; }
        used __attribute__((aligned(4)));
} ring __attribute__((aligned(4096)));
static uint8_t hdr[32] __attribute__((aligned(64)));
static uint8_t data[16384] __attribute__((aligned(4096)));
static uint8_t status[4];
static uint16_t avail_idx;
static unsigned checks, failed;

static void wreg(unsigned off, uint32_t v) { mw32(VIRTIO_MMIO_BASE + off, v); }
static uint32_t rreg(unsigned off) { return mr32(VIRTIO_MMIO_BASE + off); }
static void wreg64(unsigned off, uint64_t v) { wreg(off, (uint32_t)v); wreg(off + 4, (uint32_t)(v >> 32)); }

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void header(uint32_t type, uint64_t sector)
{
    put64(hdr, type);
    put64(hdr + 8, sector);
}

static void check(const char *what, int good)
{
    checks++;
    if (good)
        return;
    failed++;
    puts_("tinyguest: blk: FAILED ");
    puts_(what);
    puts_("\n");
}

/* Submits the chain d[0..n) and waits; returns the used length, or
 * 0xffffffff when nothing came back. */
static uint32_t submit(const struct vdesc *d, int n)
{
    for (int i = 0; i < n; i++) {
        ring.desc[i] = d[i];
        ring.desc[i].flags |= i + 1 < n ? VRING_DESC_F_NEXT : 0;
        ring.desc[i].next = (uint16_t)(i + 1);
    }
    status[0] = 0xee;
    ring.avail.ring[avail_idx % N] = 0;
    avail_idx++;
    __atomic_store_n(&ring.avail.idx, avail_idx, __ATOMIC_RELEASE);
    barrier();
    wreg(QNOTIFY, 0);
    uint64_t start = rdtsc();
    while (__atomic_load_n(&ring.used.idx, __ATOMIC_ACQUIRE) != avail_idx) {
        if (rdtsc() - start > 20000000000ULL || (rreg(STATUS) & VSTATUS_NEEDS_RESET))
            return 0xffffffffu;
        __asm__ volatile("pause");
    }
    return ring.used.ring[(uint16_t)(avail_idx - 1) % N].len;
}

#define D(a, l, f) ((struct vdesc){ (uintptr_t)(a), (l), (f), 0 })
#define W VRING_DESC_F_WRITE

/* header + one data buffer + status; returns the status byte (0xee: none). */
static uint8_t rw(uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
    header(type, sector);
    struct vdesc d[3] = { D(hdr, 16, 0), D(buf, len, type == T_IN ? W : 0), D(status, 1, W) };
    if (!len)
        d[1] = d[2];
    if (submit(d, len ? 3 : 2) == 0xffffffffu)
        return 0xff;
    return status[0];
}

static uint8_t ranges(uint32_t type, uint64_t sector, uint32_t count, uint32_t flags)
{
    header(type, 0);
    put64(hdr + 16, sector);
    put64(hdr + 24, count | (uint64_t)flags << 32);
    struct vdesc d[2] = { D(hdr, 32, 0), D(status, 1, W) };
    return submit(d, 2) == 0xffffffffu ? 0xff : status[0];
}

static int setup(uint64_t *cap, int *ro)
{
    wreg(STATUS, 0);
    if (rreg(MAGIC) != 0x74726976 || rreg(DEVICE_ID) != 2) {
        puts_("tinyguest: blk: no virtio-blk device at 0xd0000000\n");
        return -1;
    }
    wreg(STATUS, 3);
    wreg(DEV_FEAT_SEL, 0);
    uint32_t f = rreg(DEV_FEAT);
    *ro = (f >> F_RO) & 1;
    uint32_t want = f & (1u << F_RO | 1u << F_FLUSH | 1u << F_DISCARD | 1u << F_WZ);
    wreg(DRV_FEAT_SEL, 0);
    wreg(DRV_FEAT, want);
    wreg(DRV_FEAT_SEL, 1);
    wreg(DRV_FEAT, 1);
    wreg(STATUS, 0xb);
    if (!(rreg(STATUS) & 8))
        return -1;
    wreg(QSEL, 0);
    if (rreg(QNUM_MAX) < N)
        return -1;
    wreg(QNUM, N);
    wreg64(QDESC, (uintptr_t)ring.desc);
    wreg64(QDRIVER, (uintptr_t)&ring.avail);
    wreg64(QDEVICE, (uintptr_t)&ring.used);
    wreg(QREADY, 1);
    wreg(STATUS, 0xf);
    ring.avail.flags = 1;
    *cap = rreg(CONFIG) | (uint64_t)rreg(CONFIG + 4) << 32;
    puts_("tinyguest: blk: capacity ");
    putn(*cap, 10);
    puts_(*ro ? " ro\n" : " rw\n");
    return 0;
}

static void do_rw(uint64_t cap)
{
    check("read 0..7", rw(T_IN, 0, data, 4096) == 0);
    check("write 100..107", rw(T_OUT, 100, data, 4096) == 0);
    for (unsigned i = 0; i < 8192; i++)
        data[i] = (uint8_t)('A' + i / 512);
    header(T_OUT, 200);
    struct vdesc d[5] = { D(hdr, 16, 0), D(data, 512, 0), D(data + 512, 4096, 0),
                          D(data + 4608, 3584, 0), D(status, 1, W) };
    check("write 200..215 in three buffers", submit(d, 5) == 1 && status[0] == 0);
    check("write-zeroes 300..307", ranges(T_WZ, 300, 8, 0) == 0);
    check("flush", rw(T_FLUSH, 0, 0, 0) == 0);
    check("discard 512..1023", ranges(T_DISCARD, 512, 512, 0) == 0);
    header(T_GET_ID, 0);
    for (int i = 0; i < 20; i++)
        data[i] = 0;
    struct vdesc g[3] = { D(hdr, 16, 0), D(data, 20, W), D(status, 1, W) };
    check("get-id", submit(g, 3) == 21 && status[0] == 0);
    puts_("tinyguest: blk: serial ");
    data[20] = 0;
    puts_((const char *)data);
    puts_("\n");
    /* A header in two pieces is still a header. */
    header(T_IN, 0);
    struct vdesc s[4] = { D(hdr, 8, 0), D(hdr + 8, 8, 0), D(data, 512, W), D(status, 1, W) };
    check("split header", submit(s, 4) == 513 && status[0] == 0);

    /* Hostile requests. */
    check("read past the end", rw(T_IN, cap - 4, data, 4096) == 1);
    check("wrapping sector", rw(T_IN, ~0ULL, data, 512) == 1);
    check("write of 100 bytes", rw(T_OUT, 400, data, 100) == 1);
    check("unknown type", rw(99, 0, data, 512) == 2);
    header(T_OUT, 400);
    struct vdesc x[3] = { D(hdr, 16, 0), D(data, 512, W), D(status, 1, W) };
    check("write with writable data", submit(x, 3) == 1 && status[0] == 1);
    check("discard with flags", ranges(T_DISCARD, 400, 8, 1) == 2);
    check("discard past the end", ranges(T_DISCARD, cap - 1, 8, 0) == 1);
    header(T_OUT, 400);
    struct vdesc nw[2] = { D(hdr, 16, 0), D(data, 512, 0) };
    check("no writable byte", submit(nw, 2) == 0);
}

static void do_ro(void)
{
    check("ro read", rw(T_IN, 0, data, 4096) == 0);
    check("ro write refused", rw(T_OUT, 0, data, 4096) == 1);
    check("ro discard not offered", ranges(T_DISCARD, 0, 8, 0) == 2);
    check("ro flush", rw(T_FLUSH, 0, 0, 0) == 0);
}

/* blk:bench:COUNT:KIB  COUNT reads of KIB KiB (at most 16), one at a time,
 * sequentially over the disk; for timing by the host (docs/blk.md). */
static void do_bench(const char *a, uint64_t cap)
{
    unsigned count = num(&a);
    if (*a == ':')
        a++;
    unsigned kib = num(&a);
    if (kib == 0 || kib > 16)
        kib = 4;
    uint64_t sectors = kib * 2ULL, s = 0;
    for (unsigned i = 0; i < count; i++) {
        if (s + sectors > cap)
            s = 0;
        if (rw(T_IN, s, data, kib * 1024) != 0) {
            check("bench read", 0);
            return;
        }
        s += sectors;
    }
    checks++;
}

int blk_action(const char *a)
{
    uint64_t cap;
    int ro;
    if (setup(&cap, &ro))
        return 90;
    if (starts(a, "bench:")) {
        do_bench(a + 6, cap);
    } else if (starts(a, "ro")) {
        check("device is read-only", ro);
        do_ro();
    } else {
        check("device is writable", !ro);
        do_rw(cap);
    }
    puts_("tinyguest: blk: ");
    putn(checks, 10);
    puts_(" checks, ");
    putn(failed, 10);
    puts_(" failed\n");
    return (int)failed;
}
