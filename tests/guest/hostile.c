/* Hostile actions of the tiny guest: a guest that misbehaves on purpose
 * must get a clear end, never a crash of minivmm.
 *   action=wildpio    reads and writes of 1, 2 and 4 bytes on all 65,536
 *                     ports (and string I/O), skipping only the writes that
 *                     end the VM by definition; then status 0
 *   action=wildmmio   every offset and width (1, 2, 4, 8) of the first
 *                     virtio-mmio window with garbage, the windows after it
 *                     and the rest of the MMIO hole; then checks the device
 *                     still works (needs --share) and reports 0
 *   action=vq:CASE    broken descriptor chains (vq.c)
 *   action=p9race     racing 9P requests (p9race.c)
 *   action=p9flip     9P requests rewritten while the server parses them
 *   action=mp:CASE    two vCPUs at odds (mp.c)
 *   action=seq:S1,... boot k of a series reports Sk (p9race.c; needs --share)
 *   action=p9load:N   many small 9P operations with interrupts (p9load.c)
 *   action=await:S    make "waiting" in the first share, wait for "go" there,
 *                     then report S (p9race.c; tests/direct/jobs.sh) */
#include <stddef.h>
#include "guest.h"
#include "vq.h"

/* The compiler may call these even in a freestanding program. */
void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}
void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

static uint64_t ram_end_in(const uint8_t *zp, uint64_t lo, uint64_t hi)
{
    uint64_t end = 0;
    for (int i = 0; i < zp[0x1e8]; i++) {
        const uint8_t *e = zp + 0x2d0 + 20 * i;
        uint64_t a = *(const uint64_t *)e, n = *(const uint64_t *)(e + 8);
        if (*(const uint32_t *)(e + 16) == 1 && a >= lo && a + n <= hi && a + n > end)
            end = a + n;
    }
    return end;
}
uint64_t ram_end_low(const uint8_t *zp) { return ram_end_in(zp, 0, 0x100000000ULL); }
uint64_t ram_end_high(const uint8_t *zp) { return ram_end_in(zp, 0x100000000ULL, ~0ULL); }

static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352d;
    x ^= x >> 15;
    x *= 0x846ca68b;
    return x ^ (x >> 16);
}

/* Value of round r at port/offset a: one hashed, the rest all-ones, zero,
 * and bytes that mean something to minivmm's own devices. */
static uint64_t wild_value(uint64_t a, int r)
{
    static const uint32_t special[] = { 0xffffffff, 0, 0x42424242, 0xfefefefe, 0x34343434, 0x80000001 };
    uint32_t v = r == 0 ? mix((uint32_t)a * 3 + 1) : special[(a + (uint64_t)r) % 6];
    return v | (uint64_t)mix(v) << 32;
}

/* Would writing v (width bytes) at port end the VM by definition? */
static int write_ends_vm(unsigned port, uint32_t v, int width)
{
    for (int i = 0; i < width; i++) {
        unsigned p = port + (unsigned)i;
        uint8_t b = (uint8_t)(v >> (8 * i));
        if (p >= PORT_EXIT && p < PORT_EXIT + 4)          /* exit device, any value */
            return 1;
        if (p == 0x600 && (b & 0x20) && ((b >> 2) & 7) == 5)   /* ACPI sleep S5 */
            return 1;
        if ((p == 0x602 && b == 0x42) || (p == 0x64 && b == 0xfe) || p == 0xcf9)   /* resets */
            return 1;
    }
    return 0;
}

/* Where the PC and minivmm have devices: every width both ways there. */
static int busy_port(unsigned p)
{
    return p < 0x100 || (p >= 0x3f0 && p < 0x400) || (p >= 0x5f0 && p < 0x620) ||
           (p >= 0xcf0 && p < 0xd00);
}

static void pio_write(uint16_t p, int w, uint32_t v)
{
    if (w == 1)
        outb(p, (uint8_t)v);
    else if (w == 2)
        outw(p, (uint16_t)v);
    else
        outl(p, v);
}

/* Each port: reads and writes of rotating widths and values (every
 * width and value near devices); a VM exit costs tens of microseconds on a
 * software hypervisor, so elsewhere one read and one write per port. */
static int wild_pio(void)
{
    unsigned skipped = 0;
    for (unsigned port = 0; port < 0x10000; port++) {
        uint16_t p = (uint16_t)port;
        int all = busy_port(port);
        for (int r = 0; r < (all ? 6 : 1); r++) {
            int w = 1 << ((port + (unsigned)r) % 3);
            if (w == 1)
                (void)inb(p);
            else if (w == 2)
                (void)inw(p);
            else
                (void)inl(p);
            uint32_t v = (uint32_t)wild_value(port, all ? r : (int)(port >> 2) % 7);
            if (write_ends_vm(port, v, w))
                skipped++;
            else
                pio_write(p, w, v);
        }
    }
    for (unsigned i = 0; i < 1000; i++)          /* boot timer: keeps 64 */
        outw(0x608, (uint16_t)i);
    /* String I/O: many elements per exit. */
    static uint8_t buf[8192];
    __asm__ volatile("rep outsb" : : "S"(buf), "c"(sizeof(buf)), "d"(0x80) : "memory");
    __asm__ volatile("rep insw" : : "D"(buf), "c"(sizeof(buf) / 2), "d"(0x1234) : "memory");
    __asm__ volatile("rep insb" : : "D"(buf), "c"(64), "d"(0x3f8) : "memory");
    /* Back to a UART the console can use: DLAB off, no loopback, no IRQs. */
    outb(0x3fb, 0x03);
    outb(0x3f9, 0x00);
    outb(0x3fc, 0x03);
    outb(0x3fa, 0x07);
    while (inb(0x3fd) & 1)
        (void)inb(0x3f8);
    puts_("\ntinyguest: wildpio: done, skipped ");
    putn(skipped, 10);
    puts_(" writes that end the VM\n");
    /* Ports nothing answers read as all ones (docs/devices.md). */
    if (inb(0x1234) != 0xff || inw(0x1234) != 0xffff || inl(0xcfc) != 0xffffffff ||
        buf[0] != 0xff) {
        puts_("tinyguest: wildpio: an unanswered port does not read all ones\n");
        return 60;
    }
    return 0;
}

static void mmio_poke(uint64_t a, int width, uint64_t v, int write)
{
    if (!write) {
        switch (width) {
        case 1: (void)mr8(a); break;
        case 2: (void)mr16(a); break;
        case 4: (void)mr32(a); break;
        default: (void)mr64(a); break;
        }
        return;
    }
    switch (width) {
    case 1: mw8(a, (uint8_t)v); break;
    case 2: mw16(a, (uint16_t)v); break;
    case 4: mw32(a, (uint32_t)v); break;
    default: mw64(a, v); break;
    }
}

/* KVM's own devices and private pages: the interrupt controllers (a write
 * there can send INIT to ourselves) and the TSS/identity-map pages. */
static int kvm_owned(uint64_t a)
{
    return (a >> 12) == 0xfec00 || (a >> 12) == 0xfee00 ||
           (a >= 0xfffbc000ULL && a < 0xfffc0000ULL);
}

static int wild_mmio(const uint8_t *zp)
{
    const uint64_t w = VIRTIO_MMIO_BASE;
    /* Every offset of the first window, every width, read then write
     * (the last ones reach into the next window); Status is reset three
     * times along the way. */
    for (uint64_t off = 0; off < 0x1000; off++) {
        for (int width = 1; width <= 8; width <<= 1) {   /* the last ones straddle */
            mmio_poke(w + off, width, 0, 0);
            uint64_t v = wild_value(off * 8 + (uint64_t)width, (int)(off + (uint64_t)width) % 3);
            mmio_poke(w + off, width, v, 1);
        }
        if (off == 0x100 || off == 0x400 || off == 0xc00)
            mw32(w + 0x70, 0);
    }
    /* The windows after it (no device unless --share was given again). */
    for (uint64_t a = w + 0x1000; a < w + 0x10000; a += 0x24)
        mmio_poke(a, 1 << (a % 4), wild_value(a, 0), (int)(a & 1));
    /* The rest of the hole and the unbacked space between RAM and 3 GiB. */
    uint64_t step = 0x10000;
    for (uint64_t a = ram_end_low(zp); a < 0x100000000ULL; a += step) {
        if (a < 0xc0000000ULL)
            step = 0x100000;
        else
            step = 0x10000;
        if (kvm_owned(a) || (a >= w && a < w + 0x10000))
            continue;
        uint64_t at = a + (a >> 16) % 0xff8;  /* a varying offset in the page */
        mmio_poke(at, 1 << ((a >> 16) % 4), wild_value(a, 1), 0);
        mmio_poke(at, 1 << ((a >> 17) % 4), wild_value(a, 0), 1);
    }
    puts_("tinyguest: wildmmio: done\n");
    /* The device answers as before and serves a request after a reset. */
    if (vq_reg(0) != 0x74726976) {
        puts_("tinyguest: wildmmio: the virtio window no longer reads \"virt\"\n");
        return 61;
    }
    int e = vq_start(0, 0);
    return e ? e : p9_version_check();
}

int hostile(const char *a, const uint8_t *zp)
{
    int st;
    if (starts(a, "wildpio"))
        st = wild_pio();
    else if (starts(a, "wildmmio"))
        st = wild_mmio(zp);
    else if (starts(a, "vq:"))
        st = vq_action(a + 3, zp);
    else if (starts(a, "p9race"))
        st = p9_race();
    else if (starts(a, "p9flip"))
        st = p9_flip();
    else if (starts(a, "seq:"))
        st = p9_seq(a + 4);
    else if (starts(a, "await:"))
        st = p9_await(a + 6);
    else if (starts(a, "mp:"))
        st = mp_action(a + 3);
    else if (starts(a, "p9load:"))
        st = p9_load(a + 7, zp);
    else
        return 0;
    puts_("tinyguest: status ");
    putn((unsigned)st, 10);
    puts_("\n");
    outb(PORT_EXIT, (uint8_t)st);
    for (;;)
        __asm__ volatile("cli; hlt");
}
