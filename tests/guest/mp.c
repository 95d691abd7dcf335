/* Two vCPUs (--cpus 2); the second is started with INIT/SIPI (ap.S).
 * action=mp:virtio  the second vCPU hammers the virtio-mmio device (resets,
 *                   register reads, notifies) while the boot CPU sets queues
 *                   up and sends requests.  Broken on purpose (a driver must
 *                   not do this); minivmm must neither crash nor hang, and the
 *                   boot CPU reports 0 once both are done.
 * action=mp:spin    the second vCPU spins without VM exits; the boot CPU
 *                   reports 0: the VM must end at once all the same.
 * action=mp:both    both write the exit device at the same moment (3 and 4).
 * action=mp:triple  the second vCPU triple-faults as the boot CPU reports 5. */
#include "guest.h"
#include "vq.h"

#define AP_TRAMPOLINE 0x3000
#define LAPIC 0xfee00000ULL

extern const uint8_t ap_tramp_start[], ap_tramp_end[];
static volatile int ap_alive, ap_stop, ap_done, ap_mode, ap_go;
enum { AP_VIRTIO, AP_SPIN, AP_EXIT, AP_TRIPLE };
static volatile unsigned ap_rounds;

void ap_main(void);
void ap_main(void)
{
    ap_alive = 1;
    if (ap_mode == AP_SPIN)
        for (;;)
            __asm__ volatile("pause");
    if (ap_mode != AP_VIRTIO) {
        while (!ap_go)
            __asm__ volatile("pause");
        if (ap_mode == AP_EXIT)
            outb(PORT_EXIT, 4);
        static const struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idt = { 0, 0 };
        __asm__ volatile("lidt %0; ud2" : : "m"(idt));
    }
    unsigned r = 0;
    while (!ap_stop) {
        uint32_t st = vq_reg(0x070);
        if (r % 3 == 0)
            mw32(VIRTIO_MMIO_BASE + 0x070, 0);          /* reset under the other CPU */
        else if (r % 3 == 1)
            mw32(VIRTIO_MMIO_BASE + 0x050, 0);          /* notify */
        else
            (void)vq_reg(0x034 + (st & 0x40));
        r++;
    }
    ap_rounds = r;
    ap_done = 1;
    for (;;)
        __asm__ volatile("cli; hlt");
}

static int start_ap(void)
{
    uint8_t *t = (uint8_t *)(uintptr_t)AP_TRAMPOLINE;
    for (const uint8_t *p = ap_tramp_start; p < ap_tramp_end; p++)
        *t++ = *p;
    barrier();
    mw32(LAPIC + 0x310, 1u << 24);                      /* to APIC ID 1 */
    mw32(LAPIC + 0x300, 0x00004500);                    /* INIT */
    mw32(LAPIC + 0x310, 1u << 24);
    mw32(LAPIC + 0x300, 0x00004600 | (AP_TRAMPOLINE >> 12));   /* SIPI */
    uint64_t t0 = rdtsc();
    while (!ap_alive)
        if (rdtsc() - t0 > 8000000000ULL)
            return 1;
    return 0;
}

static int mp_virtio(void);
int mp_action(const char *a)
{
    ap_mode = starts(a, "spin") ? AP_SPIN : starts(a, "both") ? AP_EXIT :
              starts(a, "triple") ? AP_TRIPLE : AP_VIRTIO;
    if (ap_mode == AP_VIRTIO)
        return mp_virtio();
    if (start_ap()) {
        puts_("tinyguest: mp: the second CPU did not start\n");
        return 80;
    }
    puts_("tinyguest: mp: second CPU running\n");
    if (ap_mode == AP_SPIN)
        return 0;
    ap_go = 1;
    return ap_mode == AP_EXIT ? 3 : 5;
}

static int mp_virtio(void)
{
    if (start_ap()) {
        puts_("tinyguest: mp: the second CPU did not start\n");
        return 80;
    }
    puts_("tinyguest: mp: second CPU running\n");
    unsigned used = 0;
    for (int round = 0; round < 300; round++) {
        if (vq_start(round & 1, 0))
            continue;                   /* the other CPU reset us midway */
        vq_post_slot(0, p9_build_version(0));
        vq_notify();
        uint64_t t0 = rdtsc();
        while (rdtsc() - t0 < 2000000)  /* a short wait: it may never come */
            if (vq_used_idx()) {
                used++;
                break;
            }
    }
    ap_stop = 1;
    uint64_t t0 = rdtsc();
    while (!ap_done)
        if (rdtsc() - t0 > 8000000000ULL) {
            puts_("tinyguest: mp: the second CPU does not stop\n");
            return 81;
        }
    puts_("tinyguest: mp: 300 rounds, ");
    putn(used, 10);
    puts_(" replies, ");
    putn(ap_rounds, 10);
    puts_(" accesses by the second CPU\n");
    /* Now alone: the device must work. */
    int e = vq_start(0, 0);
    return e ? e : p9_version_check();
}
