/* The tiny test guest.  It reads what the boot protocol handed it (zero
 * page, command line, e820 map, initrd, ACPI RSDP), prints a report on the
 * 16550 UART, writes boot-timer markers, and ends as its command line
 * says:  action=status:N | poweroff | reset | acpireset | triple | hang | panic
 *        marks=A,B,...  (boot timer markers to write first)
 *        flood=BYTES    (write BYTES of console output, in lines of 64, before the action)
 *        vbad=N         (N times: misuse the first virtio-mmio device, then reset it)
 *        busy=N         (N thousand turns of an empty loop before the action: CPU time)
 *        bench=1        (bench/host: no report, only the TSC at entry and at the end)
 * and the hostile actions of hostile.c (wildpio, wildmmio, vq:CASE, p9race,
 * p9flip, seq:S1,S2,..., await:S). */
#include <stdint.h>
#include "guest.h"

static void putc_(char c)
{
    while (!(inb(0x3f8 + 5) & 0x20))
        ;
    outb(0x3f8, (uint8_t)c);
}
void puts_(const char *s) { while (*s) putc_(*s++); }
void putn(uint64_t v, int base)
{
    char buf[24];
    int i = 0;
    do {
        buf[i++] = "0123456789abcdef"[v % (uint64_t)base];
        v /= (uint64_t)base;
    } while (v);
    if (base == 16)
        puts_("0x");
    while (i)
        putc_(buf[--i]);
}
static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Value of "key=" in the command line, up to the next space, or 0. */
static const char *arg(const char *cmd, const char *key)
{
    for (const char *p = cmd; *p; p++) {
        if (p != cmd && p[-1] != ' ')
            continue;
        const char *k = key, *q = p;
        while (*k && *q == *k) k++, q++;
        if (!*k)
            return q;
    }
    return 0;
}
int starts(const char *s, const char *w) { while (*w) if (*s++ != *w++) return 0; return 1; }
unsigned num(const char **s) { unsigned v = 0; while (**s >= '0' && **s <= '9') v = v * 10 + (unsigned)(*(*s)++ - '0'); return v; }

static void printable(const uint8_t *p, int n)
{
    for (int i = 0; i < n; i++)
        putc_(p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.');
}

/* flood=BYTES: lines of 63 'F' and a newline, BYTES bytes in all, the last a newline
 * (straight to THR: minivmm's transmitter is always empty). */
static void flood(const char *cmd)
{
    const char *f = arg(cmd, "flood=");
    unsigned n = f ? num(&f) : 0;
    for (unsigned i = 0; i < n; i++)
        outb(0x3f8, i % 64 == 63 || i + 1 == n ? '\n' : 'F');
}

/* busy=N: N thousand turns of an empty loop, no I/O: CPU time a
 * job spends (bench/jobs). */
static void busy(const char *cmd)
{
    const char *b = arg(cmd, "busy=");
    unsigned n = b ? num(&b) : 0;
    for (unsigned i = 0; i < n; i++)
        for (volatile unsigned j = 0; j < 1000; j++)
            ;
}

/* vbad=N: write the read-only MagicValue register of the virtio-mmio device
 * at 0xd0000000 (a guest error), then reset it (Status 0), N times. */
static void vbad(const char *cmd)
{
    const char *v = arg(cmd, "vbad=");
    unsigned n = v ? num(&v) : 0;
    volatile uint32_t *regs = (volatile uint32_t *)(uintptr_t)0xd0000000;
    for (unsigned i = 0; i < n; i++) {
        regs[0] = 1;
        regs[0x70 / 4] = 0;
    }
}

/* bench=1 (bench/host): after "hello", one line with the TSC the first
 * instruction read, then the status of action=status:N (default 0) is
 * written right after a line with the TSC read just before its digits: the
 * host can place both in its own time when its TSC is the guest's. */
static void bench(const char *cmd)
{
    puts_("tinyguest: bench entry=");
    puts_(entry_realmode ? "real-mode" : "64-bit");
    puts_(" tsc=");
    putn(entry_tsc, 10);
    if (entry_realmode) {
        puts_(" tsc64=");
        putn(entry64_tsc, 10);
    }
    puts_("\n");
    const char *a = arg(cmd, "action=status:");
    unsigned st = a ? num(&a) : 0;
    puts_("tinyguest: bench end tsc=");
    putn(rdtsc(), 10);
    puts_("\n");
    outb(PORT_EXIT, (uint8_t)st);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void guest_main(uint8_t *zp)
{
    puts_("tinyguest: hello\n");
    const char *cmd = (const char *)(uintptr_t)rd32(zp + 0x228);
    if (arg(cmd, "bench="))
        bench(cmd);
    if (entry_realmode)
        puts_("tinyguest: entry=real-mode\n");
    puts_("tinyguest: lsr=");
    putn(inb(0x3f8 + 5), 16);
    puts_(" header=");
    puts_(rd32(zp + 0x202) == 0x53726448 ? "HdrS" : "missing");
    puts_(" loader=");
    putn(zp[0x210], 16);
    puts_("\n");

    puts_("tinyguest: cmdline=[");
    puts_(cmd);
    puts_("]\n");

    int n = zp[0x1e8];
    uint64_t ram = 0;
    for (int i = 0; i < n; i++) {
        const uint8_t *e = zp + 0x2d0 + 20 * i;
        puts_("tinyguest: e820 ");
        putn(rd64(e), 16);
        puts_(" ");
        putn(rd64(e + 8), 16);
        puts_(" type ");
        putn(rd32(e + 16), 10);
        puts_("\n");
        if (rd32(e + 16) == 1)
            ram += rd64(e + 8);
    }
    puts_("tinyguest: ram-kib=");
    putn(ram >> 10, 10);
    puts_("\n");

    uint64_t rd = rd32(zp + 0x218) | (uint64_t)rd32(zp + 0xc0) << 32;
    uint64_t rs = rd32(zp + 0x21c) | (uint64_t)rd32(zp + 0xc4) << 32;
    puts_("tinyguest: initrd size=");
    putn(rs, 10);
    if (rs >= 8) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)rd;
        puts_(" head=[");
        printable(p, 8);
        puts_("] tail=[");
        uint64_t t = rs;
        while (t > 8 && p[t - 1] == 0)          /* skip the 4-byte padding */
            t--;
        printable(p + t - 8, 8);
        puts_("]");
    }
    puts_("\n");

    const uint8_t *rsdp = (const uint8_t *)(uintptr_t)rd64(zp + 0x70);
    puts_("tinyguest: rsdp=");
    putn((uintptr_t)rsdp, 16);
    puts_(" sig=[");
    if (rsdp)
        printable(rsdp, 8);
    puts_("]\n");

    puts_("tinyguest: mp=[");
    printable((const uint8_t *)(uintptr_t)0xf0000, 4);   /* MP floating pointer */
    puts_("]\n");

    const char *m = arg(cmd, "marks=");
    while (m && *m >= '0' && *m <= '9') {
        unsigned v = num(&m);
        outb(0x608, (uint8_t)v);
        if (*m == ',')
            m++;
    }

    flood(cmd);
    vbad(cmd);
    busy(cmd);
    const char *a = arg(cmd, "action=");
    if (a && starts(a, "status:")) {
        a += 7;
        unsigned st = num(&a);
        puts_("tinyguest: status ");
        putn(st, 10);
        puts_("\n");
        outb(0x604, (uint8_t)st);
    } else if (a && starts(a, "poweroff")) {
        outb(0x600, (5 << 2) | (1 << 5));
    } else if (a && starts(a, "acpireset")) {
        outb(0x602, 0x42);
    } else if (a && starts(a, "reset")) {
        outb(0x64, 0xfe);
    } else if (a && starts(a, "triple")) {
        static const struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idt = { 0, 0 };
        __asm__ volatile("lidt %0; ud2" : : "m"(idt));
    } else if (a && starts(a, "panic")) {
        puts_("Kernel panic - not syncing: tinyguest was asked to panic\n");
        outb(0x64, 0xfe);
    } else if (a && starts(a, "blk:")) {
        outb(0x604, (uint8_t)blk_action(a + 4));
    } else if (a && hostile(a, zp)) {
    } else if (a && starts(a, "hang")) {
        puts_("tinyguest: hanging\n");
        for (;;)
            __asm__ volatile("cli; hlt");
    } else {
        outb(0x604, 0);
    }
    for (;;)
        __asm__ volatile("cli; hlt");
}
