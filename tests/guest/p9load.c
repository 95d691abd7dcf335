/* action=p9load:N[:D[:noidx]]  many small 9P operations driven the way
 * Linux's virtio_mmio + virtio_ring + 9p drivers drive them: interrupts on,
 * EVENT_IDX negotiated (unless noidx), used_event written after each used
 * entry taken, QueueNotify only when avail_event asks for it (or, with
 * noidx, when used->flags allows it).  The interrupt handler reads
 * InterruptStatus, acknowledges what it read, takes the used entries and
 * sends EOI; the main loop only ever learns of a reply through that
 * handler, as a Linux process sleeping in p9_client_rpc does.
 *
 * N files f0..f(N-1) in the export root, D lanes (default 4) each with one
 * request in flight.  Per file: Twalk (clone of the root fid), Tlcreate,
 * Tgetattr, Tclunk, and for odd-numbered files Tunlinkat: N/2 files are
 * left, which the test script counts on the host.
 *
 * A watchdog on the local APIC timer (10 ms ticks) ends a wait without
 * progress after WATCHDOG_TICKS and tells the two failures apart:
 *   61  the reply is on the used ring but no interrupt brought it (a lost
 *       interrupt),
 *   62  the device never used the entry (a lost notification / wake-up),
 * and 60 setup failed, 63 a malformed reply or an Rlerror, 64 the device
 * asked for a reset, 65 an unexpected CPU exception or vector. */
#include "guest.h"
#include "p9msg.h"

enum { TGETATTR = 24, TUNLINKAT = 76 };
enum { QNOTIFY = 0x050, ISR = 0x060, ISR_ACK = 0x064, STATUS = 0x070 };
#define F_EVENT_IDX (1u << 29)
#define QN 64
#define LANES_MAX 16
#define REQ_SIZE 256
#define RESP_SIZE 512
#define VEC_DEV 0x40
#define VEC_TICK 0x41
#define IOAPIC 0xfec00000ULL
#define LAPIC 0xfee00000ULL
#define WATCHDOG_TICKS 2000           /* 20 s without any reply */

static struct {
    struct vdesc desc[QN];
    struct { uint16_t flags, idx, ring[QN], used_event; } avail;
    struct { uint16_t flags, idx; struct vused_elem ring[QN]; uint16_t avail_event; }
        used __attribute__((aligned(4)));
} ring __attribute__((aligned(4096)));
static uint8_t req[LANES_MAX][REQ_SIZE] __attribute__((aligned(64)));
static uint8_t resp[LANES_MAX][RESP_SIZE] __attribute__((aligned(64)));

static int event_idx;
static uint16_t avail_idx;
/* Written by the interrupt handler. */
static volatile uint16_t last_used;
static volatile uint32_t lane_len[LANES_MAX];
static volatile uint8_t lane_done[LANES_MAX];
static volatile uint64_t ticks, irqs, irq_no_status, irq_no_used;
static volatile int bad_used;
static uint64_t notifies, requests;

static void wreg(unsigned off, uint32_t v) { mw32(VIRTIO_MMIO_BASE + off, v); }
static uint32_t rreg(unsigned off) { return mr32(VIRTIO_MMIO_BASE + off); }
static uint16_t used_idx(void) { return __atomic_load_n(&ring.used.idx, __ATOMIC_ACQUIRE); }

static int say(int st, const char *what)
{
    puts_("tinyguest: p9load: ");
    puts_(what);
    puts_("\n");
    return st;
}

/* ---- interrupts ---- */

struct iframe;
__attribute__((interrupt)) static void on_dev(struct iframe *f)
{
    (void)f;
    irqs++;
    /* vm_interrupt(): read the status, acknowledge exactly that. */
    uint32_t st = rreg(ISR);
    wreg(ISR_ACK, st);
    if (!(st & 1)) {
        irq_no_status++;
    } else if (used_idx() == last_used) {
        irq_no_used++;              /* vring_interrupt(): "no work" */
    } else {
        /* virtqueue_get_buf() until empty, used_event = last used + mb. */
        uint16_t u = last_used;
        while (u != used_idx()) {
            struct vused_elem e = ring.used.ring[u % QN];
            u++;
            if (e.id % 2 || e.id / 2 >= LANES_MAX || lane_done[e.id / 2])
                bad_used = 1;
            else {
                lane_len[e.id / 2] = e.len;
                lane_done[e.id / 2] = 1;
            }
            last_used = u;
            if (event_idx) {
                __atomic_store_n(&ring.avail.used_event, u, __ATOMIC_RELAXED);
                barrier();
            }
        }
    }
    mw32(LAPIC + 0xb0, 0);
}
__attribute__((interrupt)) static void on_tick(struct iframe *f)
{
    (void)f;
    ticks++;
    mw32(LAPIC + 0xb0, 0);
}
__attribute__((interrupt)) static void on_other(struct iframe *f)
{
    (void)f;
    puts_("tinyguest: p9load: unexpected exception or vector\n");
    outb(PORT_EXIT, 65);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static struct __attribute__((packed)) { uint16_t lo, cs; uint8_t ist, type; uint16_t mid; uint32_t hi, zero; }
    idt[256] __attribute__((aligned(16)));

static void gate(int v, void (*fn)(struct iframe *))
{
    uint64_t a = (uintptr_t)fn;
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    idt[v].lo = (uint16_t)a;
    idt[v].cs = cs;
    idt[v].ist = 0;
    idt[v].type = 0x8e;
    idt[v].mid = (uint16_t)(a >> 16);
    idt[v].hi = (uint32_t)(a >> 32);
    idt[v].zero = 0;
}

static void ioapic_write(unsigned reg, uint32_t v)
{
    mw32(IOAPIC, reg);
    mw32(IOAPIC + 0x10, v);
}

static void setup_irqs(unsigned pin)
{
    for (int v = 0; v < 256; v++)
        gate(v, on_other);
    gate(VEC_DEV, on_dev);
    gate(VEC_TICK, on_tick);
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof(idt) - 1, (uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
    outb(0x21, 0xff);                           /* both 8259s masked */
    outb(0xa1, 0xff);
    mw32(LAPIC + 0xf0, 0x1ff);                  /* enabled, spurious vector 0xff */
    mw32(LAPIC + 0x80, 0);                      /* TPR */
    mw32(LAPIC + 0x350, 1u << 16);              /* LINT0 masked */
    mw32(LAPIC + 0x3e0, 0xb);                   /* timer: divide by 1 */
    mw32(LAPIC + 0x320, VEC_TICK | 1u << 17);   /* periodic */
    mw32(LAPIC + 0x380, 10000000);              /* 10 ms at KVM's 1 GHz APIC bus */
    ioapic_write(0x11 + 2 * pin, 0);            /* to APIC ID 0 */
    ioapic_write(0x10 + 2 * pin, VEC_DEV);      /* fixed, physical, high, edge, unmasked */
}

/* ---- the queue ---- */

static int start(int idx)
{
    if (vq_setup(1 | (idx ? F_EVENT_IDX : 0), QN, (uintptr_t)ring.desc, (uintptr_t)&ring.avail,
                 (uintptr_t)&ring.used, 0))
        return say(60, "the device could not be set up");
    event_idx = idx;
    return 0;
}

/* Posts the lane's request (descriptors 2l, 2l + 1). */
static void post(int l, uint32_t len)
{
    ring.desc[2 * l] = (struct vdesc){ (uintptr_t)req[l], len, VRING_DESC_F_NEXT, (uint16_t)(2 * l + 1) };
    ring.desc[2 * l + 1] = (struct vdesc){ (uintptr_t)resp[l], RESP_SIZE, VRING_DESC_F_WRITE, 0 };
    lane_done[l] = 0;
    ring.avail.ring[avail_idx % QN] = (uint16_t)(2 * l);
    avail_idx++;
    __atomic_store_n(&ring.avail.idx, avail_idx, __ATOMIC_RELEASE);
    requests++;
}

/* virtqueue_kick_prepare(): notify only if the device asked for it since
 * the index `old` the driver last kicked from. */
static void kick(uint16_t old)
{
    barrier();
    int need;
    if (event_idx) {
        uint16_t ev = __atomic_load_n(&ring.used.avail_event, __ATOMIC_RELAXED);
        need = (uint16_t)(avail_idx - ev - 1) < (uint16_t)(avail_idx - old);
    } else {
        need = !(__atomic_load_n(&ring.used.flags, __ATOMIC_RELAXED) & 1);
    }
    if (need) {
        wreg(QNOTIFY, 0);
        notifies++;
    }
}

static int any_done(int lanes)
{
    for (int l = 0; l < lanes; l++)
        if (lane_done[l])
            return 1;
    return 0;
}

/* Sleeps (sti; hlt) until a reply came through the interrupt handler. */
static int wait_any(int lanes)
{
    uint64_t start = ticks;
    __asm__ volatile("cli");
    while (!any_done(lanes) && !bad_used) {
        if (rreg(STATUS) & 0x40) {
            __asm__ volatile("sti");
            return say(64, "device needs reset");
        }
        if (ticks - start > WATCHDOG_TICKS) {
            __asm__ volatile("sti");
            uint16_t u = used_idx();
            puts_("tinyguest: p9load: stalled: avail ");
            putn(avail_idx, 10);
            puts_(" used ");
            putn(u, 10);
            puts_(" taken ");
            putn(last_used, 10);
            puts_(" avail_event ");
            putn(ring.used.avail_event, 10);
            puts_(" used_event ");
            putn(ring.avail.used_event, 10);
            puts_(" isr ");
            putn(rreg(ISR), 10);
            puts_("\n");
            if (u != last_used)
                return say(61, "lost interrupt: a reply is on the used ring, no interrupt came");
            return say(62, "lost notification: the device never used the request");
        }
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
    __asm__ volatile("sti");
    return bad_used ? say(63, "used ring names a head not in flight") : 0;
}

/* ---- 9P ---- */

static uint16_t tags[LANES_MAX];
static uint8_t types[LANES_MAX];

static struct msg start_msg(int l, uint8_t type)
{
    types[l] = type;
    tags[l] = type == TVERSION ? 0xffff : (uint16_t)(l + 1);
    struct msg m = { req[l], 4 };
    put(&m, type, 1);
    put(&m, tags[l], 2);
    return m;
}

static int check(int l)
{
    const uint8_t *p = resp[l];
    uint32_t size = le(p, 4);
    if (size < 7 || size > lane_len[l] || lane_len[l] > RESP_SIZE || le(p + 5, 2) != tags[l])
        return say(63, "malformed reply (size, used length or tag)");
    if (p[4] == RLERROR) {
        puts_("tinyguest: p9load: Rlerror ");
        putn(le(p + 7, 4), 10);
        puts_(" to type ");
        putn(types[l], 10);
        puts_("\n");
        return 63;
    }
    if (p[4] != types[l] + 1)
        return say(63, "reply of the wrong type");
    return 0;
}

/* One request on lane 0, waited for. */
static int one(struct msg *m)
{
    uint16_t old = avail_idx;
    post(0, finish(m));
    kick(old);
    int e = wait_any(1);
    lane_done[0] = 0;
    return e ? e : check(0);
}

static void name_of(char *b, unsigned k)
{
    char t[12];
    int n = 0;
    do t[n++] = (char)('0' + k % 10); while (k /= 10);
    *b++ = 'f';
    while (n)
        *b++ = t[--n];
    *b = 0;
}

/* Lane l's next request for its file k at step s: 0 walk, 1 lcreate,
 * 2 getattr, 3 clunk, 4 unlinkat (odd k only). */
static uint32_t build(int l, unsigned k, int s)
{
    char name[16];
    name_of(name, k);
    uint32_t fid = 100 + (uint32_t)l;
    struct msg m;
    switch (s) {
    case 0:
        m = start_msg(l, TWALK); put(&m, 0, 4); put(&m, fid, 4); put(&m, 0, 2);
        break;
    case 1:
        m = start_msg(l, TLCREATE); put(&m, fid, 4); put_str(&m, name);
        put(&m, 02 | 0100 | 0200, 4); put(&m, 0644, 4); put(&m, 0, 4);
        break;
    case 2:
        m = start_msg(l, TGETATTR); put(&m, fid, 4); put(&m, 0x7ff, 8);
        break;
    case 3:
        m = start_msg(l, TCLUNK); put(&m, fid, 4);
        break;
    default:
        m = start_msg(l, TUNLINKAT); put(&m, 0, 4); put_str(&m, name); put(&m, 0, 4);
        break;
    }
    return finish(&m);
}

static unsigned cmd_pin(const uint8_t *zp)
{
    const char *c = (const char *)(uintptr_t)(zp[0x228] | zp[0x229] << 8 | zp[0x22a] << 16 |
                                                (uint32_t)zp[0x22b] << 24);
    for (; *c; c++)
        if (starts(c, "@0xd0000000:")) {
            c += 12;
            return num(&c);
        }
    return 5;
}

int p9_load(const char *a, const uint8_t *zp)
{
    unsigned n = num(&a), lanes = 4;
    int idx = 1;
    if (*a == ':') {
        a++;
        lanes = num(&a);
    }
    if (starts(a, ":noidx"))
        idx = 0;
    if (n == 0 || lanes == 0 || lanes > LANES_MAX)
        return say(60, "usage: action=p9load:N[:LANES[:noidx]], 1 <= LANES <= 16");
    setup_irqs(cmd_pin(zp));
    __asm__ volatile("sti");
    int e = start(idx);
    if (e)
        return e;
    struct msg m = start_msg(0, TVERSION);
    put(&m, 8192, 4);
    put_str(&m, "9P2000.L");
    if ((e = one(&m)))
        return e;
    m = start_msg(0, TATTACH);
    put(&m, 0, 4); put(&m, NOFID, 4); put_str(&m, ""); put_str(&m, ""); put(&m, 0, 4);
    if ((e = one(&m)))
        return e;

    unsigned file[LANES_MAX], next = 0, finished = 0;
    int step[LANES_MAX];
    uint16_t old = avail_idx;
    for (unsigned l = 0; l < lanes; l++) {
        if (next >= n) {
            step[l] = -1;
            continue;
        }
        file[l] = next++;
        step[l] = 0;
        post((int)l, build((int)l, file[l], 0));
    }
    kick(old);
    while (finished < n) {
        if ((e = wait_any((int)lanes)))
            return e;
        old = avail_idx;
        for (unsigned l = 0; l < lanes; l++) {
            if (!lane_done[l])
                continue;
            lane_done[l] = 0;
            if ((e = check((int)l)))
                return e;
            int s = step[l] + 1;
            if (s == 4 && file[l] % 2 == 0)
                s = 5;
            if (s == 5) {
                finished++;
                if (finished % 1000 == 0) {
                    puts_("tinyguest: p9load: ");
                    putn(finished, 10);
                    puts_(" files\n");
                }
                if (next >= n) {
                    step[l] = -1;
                    continue;
                }
                file[l] = next++;
                s = 0;
            }
            step[l] = s;
            post((int)l, build((int)l, file[l], s));
        }
        kick(old);
    }
    puts_("tinyguest: p9load: ");
    putn(n, 10);
    puts_(" files, ");
    putn(requests, 10);
    puts_(" requests, ");
    putn(notifies, 10);
    puts_(" notifies, ");
    putn(irqs, 10);
    puts_(" interrupts (");
    putn(irq_no_status, 10);
    puts_(" with InterruptStatus 0, ");
    putn(irq_no_used, 10);
    puts_(" with nothing used), event_idx ");
    putn((unsigned)idx, 10);
    puts_("\n");
    __asm__ volatile("cli");
    mw32(LAPIC + 0x320, 1u << 16);               /* timer off */
    return 0;
}
