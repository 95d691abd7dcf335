/* virtio-mmio transport: the register protocol as a driver drives it, and
 * full round trips with a fake device that echoes request bytes into the
 * writable buffers.  No KVM: guest RAM is an mmap with guard pages, the
 * register handler and the queue processing are called directly. */
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "virtio/9p_dev.h"
#include "virtio/mmio.h"

#define RAM_SIZE (1u << 20)
#define QMAX 16
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define BUF   0x10000
#define TAG   "hostshare"

static uint8_t *map_base;
static struct guest_mem mem;
static struct virtio_mmio *m;
static uint8_t config[2 + VIRTIO_9P_TAG_MAX];
static size_t config_len;
static uint16_t avail_idx;
static int fail_chain_allocs;     /* the next N virtq_chain_new calls fail */
static bool hold;                 /* fake device keeps chains instead of echoing */
static bool reset_in_handle;      /* the driver resets the device mid-request */
static struct virtq_chain *held[QMAX];
static int nheld;

/* Linked with -Wl,--wrap=virtq_chain_new (Makefile, LDFLAGS_virtio_mmio). */
struct virtq_chain *__real_virtq_chain_new(uint16_t num);
struct virtq_chain *__wrap_virtq_chain_new(uint16_t num);
struct virtq_chain *__wrap_virtq_chain_new(uint16_t num)
{
    if (fail_chain_allocs > 0) {
        fail_chain_allocs--;
        return NULL;
    }
    return __real_virtq_chain_new(num);
}

static void fake_config_read(void *dev, uint32_t off, void *data, uint32_t len)
{
    (void)dev;
    ck_assert_uint_le(off + len, config_len);
    memcpy(data, config + off, len);
}

/* Echo: copy the readable bytes into the writable buffers. */
static void fake_handle(void *dev, struct virtio_mmio *mm, uint16_t q, struct virtq_chain *c)
{
    (void)dev;
    ck_assert_int_eq(q, 0);
    if (hold) {
        held[nheld++] = c;
        return;
    }
    uint8_t tmp[4096];
    size_t n = 0;
    for (int i = 0; i < c->nin; i++) {
        size_t k = c->in[i].iov_len;
        if (k > sizeof(tmp) - n)
            k = sizeof(tmp) - n;
        memcpy(tmp + n, c->in[i].iov_base, k);
        n += k;
    }
    size_t done = 0;
    for (int i = 0; i < c->nout && done < n; i++) {
        size_t k = c->out[i].iov_len < n - done ? c->out[i].iov_len : n - done;
        memcpy(c->out[i].iov_base, tmp + done, k);
        done += k;
    }
    virtio_mmio_complete(mm, c, (uint32_t)done);
    if (reset_in_handle) {
        /* Another vCPU writes Status = 0 while this request is served. */
        uint8_t zero[4] = { 0 };
        virtio_mmio_io(mm, VIRTIO_MMIO_STATUS, zero, 4, true);
    }
}

static struct virtio_dev_ops ops = {
    .name = "test-dev",
    .device_id = VIRTIO_ID_9P,
    .features = 1ULL << VIRTIO_9P_MOUNT_TAG,
    .num_queues = 1,
    .queue_max = QMAX,
    .config_read = fake_config_read,
    .handle_chain = fake_handle,
};

static void setup(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    map_base = mmap(NULL, RAM_SIZE + 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(map_base, MAP_FAILED);
    ck_assert_int_eq(mprotect(map_base + pg, RAM_SIZE, PROT_READ | PROT_WRITE), 0);
    mem.host = map_base + pg;
    mem.low_size = RAM_SIZE;
    mem.high_size = 0;
    config_len = virtio_9p_config(config, sizeof(config), TAG);
    ck_assert_uint_eq(config_len, 2 + strlen(TAG));
    ops.config_len = (uint32_t)config_len;
    avail_idx = 0;
    hold = false;
    reset_in_handle = false;
    nheld = 0;
    fail_chain_allocs = 0;
    m = virtio_mmio_create(&mem, 0xd0000000, 5, &ops, NULL);
    ck_assert_ptr_nonnull(m);
}

static void teardown(void)
{
    virtio_mmio_free(m);
    for (int i = 0; i < nheld; i++)
        free(held[i]);
    munmap(map_base, RAM_SIZE + 2 * sysconf(_SC_PAGESIZE));
}

/* ---- driver-side helpers ---- */

static void w32(uint64_t off, uint32_t v)
{
    uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    virtio_mmio_io(m, off, d, 4, true);
}

static uint32_t r32(uint64_t off)
{
    uint8_t d[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
    virtio_mmio_io(m, off, d, 4, false);
    return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static uint64_t read_fd(int fd)
{
    uint64_t v = 0;
    if (read(fd, &v, sizeof(v)) != sizeof(v))
        return 0;
    return v;
}

static uint64_t irqs(void) { return read_fd(virtio_mmio_irq_fd(m)); }

static bool needs_reset(void) { return r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET; }

#define F_VERSION_1  (1ULL << VIRTIO_F_VERSION_1)
#define F_INDIRECT   (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX  (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_TAG        (1ULL << VIRTIO_9P_MOUNT_TAG)

/* Reset, ACKNOWLEDGE, DRIVER, write features, FEATURES_OK; returns status. */
static uint32_t negotiate(uint64_t features)
{
    w32(VIRTIO_MMIO_STATUS, 0);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                            VIRTIO_STATUS_FEATURES_OK);
    return r32(VIRTIO_MMIO_STATUS);
}

static void queue_regs(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    w32(VIRTIO_MMIO_QUEUE_SEL, 0);
    w32(VIRTIO_MMIO_QUEUE_NUM, num);
    w32(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    w32(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    w32(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    w32(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    w32(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    w32(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
}

static void bring_up(uint64_t features)
{
    memset(mem.host, 0, 0x4000);
    avail_idx = 0;
    ck_assert_uint_eq(negotiate(features) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
    queue_regs(QMAX, DESC, AVAIL, USED);
    w32(VIRTIO_MMIO_QUEUE_READY, 1);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_QUEUE_READY), 1);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                            VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_STATUS), 0x0f);
    read_fd(virtio_mmio_notify_fd(m, 0));   /* DRIVER_OK kicks the queue once */
}

static void *gpa(uint64_t a) { return mem.host + a; }

static void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    struct virtq_desc d = { addr, len, flags, next };
    memcpy(gpa(DESC + 16ULL * i), &d, sizeof(d));
}

static void make_avail(uint16_t head)
{
    uint16_t *a = gpa(AVAIL);
    a[2 + avail_idx % QMAX] = head;
    avail_idx++;
    __atomic_store_n(&a[1], avail_idx, __ATOMIC_RELEASE);
}

static uint16_t used_idx(void) { return __atomic_load_n((uint16_t *)gpa(USED + 2), __ATOMIC_ACQUIRE); }
static uint32_t used_id(unsigned i) { return *(uint32_t *)gpa(USED + 4 + 8 * (i % QMAX)); }
static uint32_t used_len(unsigned i) { return *(uint32_t *)gpa(USED + 8 + 8 * (i % QMAX)); }

/* A request "hello, virtio" in two readable pieces, a 64-byte reply buffer. */
static void post_echo(uint16_t head, uint64_t out)
{
    memcpy(gpa(BUF), "hello, ", 7);
    memcpy(gpa(BUF + 0x100), "virtio", 6);
    set_desc(head, BUF, 7, VIRTQ_DESC_F_NEXT, head + 1);
    set_desc(head + 1, BUF + 0x100, 6, VIRTQ_DESC_F_NEXT, head + 2);
    set_desc(head + 2, out, 64, VIRTQ_DESC_F_WRITE, 0);
    make_avail(head);
}

/* ---- identification and features ---- */

START_TEST(ids)
{
    ck_assert_uint_eq(r32(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_VERSION), 2);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_DEVICE_ID), 9);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_CONFIG_GENERATION), 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_QUEUE_NUM_MAX), QMAX);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_STATUS), 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);   /* no shared memory */
    ck_assert(!needs_reset());
}
END_TEST

START_TEST(device_features)
{
    w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)(F_TAG | F_INDIRECT | F_EVENT_IDX));
    w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_DEVICE_FEATURES), 1);   /* VERSION_1 */
    w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_DEVICE_FEATURES), 0);
}
END_TEST

START_TEST(features_ok_needs_version_1)
{
    /* A legacy driver (no VERSION_1): FEATURES_OK does not stick, and that
     * is a refusal, not a device error. */
    uint32_t st = negotiate(F_TAG);
    ck_assert_uint_eq(st & VIRTIO_STATUS_FEATURES_OK, 0);
    ck_assert_uint_eq(st & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* A feature the device did not offer. */
    st = negotiate(F_VERSION_1 | (1ULL << 5));
    ck_assert_uint_eq(st & VIRTIO_STATUS_FEATURES_OK, 0);
    /* Bits in feature word 2. */
    negotiate(F_VERSION_1);
    w32(VIRTIO_MMIO_STATUS, 0);
    w32(VIRTIO_MMIO_STATUS, 1);
    w32(VIRTIO_MMIO_STATUS, 3);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, 1);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, 4);
    w32(VIRTIO_MMIO_STATUS, 0xb);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
    /* Everything offered is accepted. */
    st = negotiate(F_VERSION_1 | F_TAG | F_INDIRECT | F_EVENT_IDX);
    ck_assert_uint_eq(st, 0x0b);
    ck_assert_uint_eq(irqs(), 0);
}
END_TEST

START_TEST(driver_ok_without_features_ok)
{
    negotiate(F_TAG);   /* refused */
    ck_assert_uint_eq(irqs(), 0);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                            VIRTIO_STATUS_DRIVER_OK);
    ck_assert(needs_reset());
    ck_assert_uint_eq(r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK, 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    ck_assert_uint_eq(irqs(), 1);
    /* Further violations do not raise more interrupts (no storm). */
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 9);
    ck_assert(needs_reset());
    ck_assert_uint_eq(irqs(), 0);
    char buf[160];
    ck_assert_ptr_nonnull(strstr(virtio_mmio_error(m, buf, sizeof(buf)), "FEATURES_OK"));
}
END_TEST

START_TEST(status_rules)
{
    negotiate(F_VERSION_1);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);   /* clears DRIVER, FEATURES_OK */
    ck_assert(needs_reset());
    ck_assert_uint_eq(irqs(), 1);
    /* Features once FEATURES_OK is set. */
    negotiate(F_VERSION_1);
    ck_assert(!needs_reset());
    w32(VIRTIO_MMIO_DRIVER_FEATURES, 0);
    ck_assert(needs_reset());
    /* Features before DRIVER. */
    w32(VIRTIO_MMIO_STATUS, 0);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, 0);
    ck_assert(needs_reset());
    /* FEATURES_OK without DRIVER. */
    w32(VIRTIO_MMIO_STATUS, 0);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_FEATURES_OK);
    ck_assert(needs_reset());
}
END_TEST

/* ---- queue setup ---- */

START_TEST(queue_setup_rules)
{
    /* Before FEATURES_OK. */
    w32(VIRTIO_MMIO_STATUS, 0);
    w32(VIRTIO_MMIO_STATUS, 3);
    w32(VIRTIO_MMIO_QUEUE_NUM, 8);
    ck_assert(needs_reset());

    static const uint32_t bad_num[] = { 0, 3, 12, QMAX * 2 };
    for (unsigned i = 0; i < sizeof(bad_num) / sizeof(bad_num[0]); i++) {
        negotiate(F_VERSION_1);
        ck_assert(!needs_reset());
        w32(VIRTIO_MMIO_QUEUE_NUM, bad_num[i]);
        ck_assert_msg(needs_reset(), "QueueNum %u accepted", bad_num[i]);
    }

    /* Ready with rings outside RAM, misaligned, or never set. */
    static const uint64_t bad_rings[][3] = {
        { RAM_SIZE - 16, AVAIL, USED },
        { DESC, AVAIL, RAM_SIZE - 8 },
        { DESC, AVAIL, 0x100000000000ULL },
        { DESC + 4, AVAIL, USED },
        { DESC, AVAIL + 1, USED },
        { DESC, AVAIL, USED + 2 },
    };
    for (unsigned i = 0; i < sizeof(bad_rings) / sizeof(bad_rings[0]); i++) {
        negotiate(F_VERSION_1);
        queue_regs(QMAX, bad_rings[i][0], bad_rings[i][1], bad_rings[i][2]);
        ck_assert(!needs_reset());
        w32(VIRTIO_MMIO_QUEUE_READY, 1);
        ck_assert_msg(needs_reset(), "rings %u accepted", i);
        ck_assert_uint_eq(r32(VIRTIO_MMIO_QUEUE_READY), 0);
    }

    /* Changing a ready queue. */
    negotiate(F_VERSION_1);
    queue_regs(QMAX, DESC, AVAIL, USED);
    w32(VIRTIO_MMIO_QUEUE_READY, 1);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_QUEUE_READY), 1);
    w32(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x8000);
    ck_assert(needs_reset());

    /* Setup after DRIVER_OK. */
    bring_up(F_VERSION_1);
    w32(VIRTIO_MMIO_QUEUE_READY, 0);
    ck_assert(needs_reset());
    bring_up(F_VERSION_1);
    w32(VIRTIO_MMIO_QUEUE_NUM, 8);
    ck_assert(needs_reset());

    /* A queue that does not exist. */
    negotiate(F_VERSION_1);
    w32(VIRTIO_MMIO_QUEUE_SEL, 1);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    ck_assert(!needs_reset());
    w32(VIRTIO_MMIO_QUEUE_NUM, 8);
    ck_assert(needs_reset());
    bring_up(F_VERSION_1);
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
    ck_assert(needs_reset());
}
END_TEST

START_TEST(reset_clears_everything)
{
    bring_up(F_VERSION_1 | F_EVENT_IDX);
    post_echo(0, BUF + 0x200);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 1);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 7);   /* a violation as well */
    ck_assert(needs_reset());

    w32(VIRTIO_MMIO_STATUS, 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_STATUS), 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_QUEUE_READY), 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_QUEUE_NUM), QMAX);
    /* Features are gone: FEATURES_OK alone (without writing features) is
     * refused because VERSION_1 is no longer accepted. */
    w32(VIRTIO_MMIO_STATUS, 1);
    w32(VIRTIO_MMIO_STATUS, 3);
    w32(VIRTIO_MMIO_STATUS, 0xb);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_STATUS), 3);
    /* Queues do not run before DRIVER_OK. */
    memset(gpa(USED), 0, 0x100);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 0);
    /* And the device works again after a new initialisation. */
    bring_up(F_VERSION_1);
    post_echo(0, BUF + 0x200);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 1);
    ck_assert_uint_eq(used_idx(), 1);
}
END_TEST

/* ---- access width ---- */

START_TEST(wrong_width)
{
    uint8_t d[8];
    memset(d, 0xaa, sizeof(d));
    virtio_mmio_io(m, VIRTIO_MMIO_MAGIC_VALUE, d, 2, false);
    ck_assert_uint_eq(d[0], 0);
    ck_assert_uint_eq(d[1], 0);
    ck_assert(needs_reset());
    ck_assert_uint_eq(irqs(), 1);

    w32(VIRTIO_MMIO_STATUS, 0);
    virtio_mmio_io(m, VIRTIO_MMIO_MAGIC_VALUE + 1, d, 4, false);   /* unaligned */
    ck_assert(needs_reset());

    w32(VIRTIO_MMIO_STATUS, 0);
    memset(d, 0, sizeof(d));
    d[0] = 1;
    virtio_mmio_io(m, VIRTIO_MMIO_STATUS, d, 8, true);
    ck_assert(needs_reset());
    ck_assert_uint_eq(r32(VIRTIO_MMIO_STATUS) & 1, 0);   /* the write was not done */

    w32(VIRTIO_MMIO_STATUS, 0);
    virtio_mmio_io(m, VIRTIO_MMIO_STATUS, d, 1, true);
    ck_assert(needs_reset());

    w32(VIRTIO_MMIO_STATUS, 0);
    w32(VIRTIO_MMIO_MAGIC_VALUE, 0);   /* read-only register */
    ck_assert(needs_reset());
    w32(VIRTIO_MMIO_STATUS, 0);
    w32(0x0f0, 0);                     /* nothing there */
    ck_assert(needs_reset());
    w32(VIRTIO_MMIO_STATUS, 0);
    ck_assert_uint_eq(r32(0x0f0), 0);  /* reading nothing is harmless */
    ck_assert(!needs_reset());
}
END_TEST

/* ---- config space ---- */

START_TEST(config_space_tag)
{
    uint8_t d[8];
    memset(d, 0xaa, sizeof(d));
    virtio_mmio_io(m, VIRTIO_MMIO_CONFIG, d, 2, false);
    ck_assert_uint_eq(d[0] | d[1] << 8, strlen(TAG));
    char tag[sizeof(TAG)] = { 0 };
    for (size_t i = 0; i < strlen(TAG); i++) {
        virtio_mmio_io(m, VIRTIO_MMIO_CONFIG + 2 + i, d, 1, false);
        tag[i] = (char)d[0];
    }
    ck_assert_str_eq(tag, TAG);
    /* 32-bit read: tag_len and the first two characters. */
    ck_assert_uint_eq(r32(VIRTIO_MMIO_CONFIG),
                      (uint32_t)strlen(TAG) | (uint32_t)'h' << 16 | (uint32_t)'o' << 24);
    /* Straddling the end, and beyond: zeros. */
    virtio_mmio_io(m, VIRTIO_MMIO_CONFIG + config_len - 1, d, 4, false);
    ck_assert_uint_eq(d[0], 'e');
    ck_assert_uint_eq(d[1] | d[2] | d[3], 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_CONFIG + 0x400), 0);
    ck_assert_uint_eq(r32(0xffc), 0);
    /* Writes to the read-only config space change nothing. */
    w32(VIRTIO_MMIO_CONFIG, 0xffffffff);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_CONFIG) & 0xffff, strlen(TAG));
    ck_assert(!needs_reset());
    /* 64-bit config access is not allowed on virtio-mmio. */
    virtio_mmio_io(m, VIRTIO_MMIO_CONFIG, d, 8, false);
    ck_assert(needs_reset());
}
END_TEST

START_TEST(tag_validation)
{
    uint8_t buf[300];
    char t[300];
    ck_assert(virtio_9p_tag_valid("share"));
    ck_assert(virtio_9p_tag_valid("my_share-1.x"));
    ck_assert(!virtio_9p_tag_valid(""));
    ck_assert(!virtio_9p_tag_valid(NULL));
    ck_assert(!virtio_9p_tag_valid("a b"));
    ck_assert(!virtio_9p_tag_valid("a,b"));
    ck_assert(!virtio_9p_tag_valid("a\nb"));
    ck_assert(!virtio_9p_tag_valid("caf\xc3\xa9"));
    memset(t, 'x', VIRTIO_9P_TAG_MAX);
    t[VIRTIO_9P_TAG_MAX] = 0;
    ck_assert(virtio_9p_tag_valid(t));
    ck_assert_uint_eq(virtio_9p_config(buf, sizeof(buf), t), 2 + VIRTIO_9P_TAG_MAX);
    ck_assert_uint_eq(buf[0] | buf[1] << 8, VIRTIO_9P_TAG_MAX);
    t[VIRTIO_9P_TAG_MAX] = 'x';
    t[VIRTIO_9P_TAG_MAX + 1] = 0;
    ck_assert(!virtio_9p_tag_valid(t));
    ck_assert_uint_eq(virtio_9p_config(buf, sizeof(buf), t), 0);
    ck_assert_uint_eq(virtio_9p_config(buf, 4, "share"), 0);   /* does not fit */
}
END_TEST

/* ---- round trips ---- */

START_TEST(echo_round_trip)
{
    bring_up(F_VERSION_1);
    post_echo(3, BUF + 0x200);
    /* The fallback notification path: the register write signals the eventfd. */
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    ck_assert_uint_eq(read_fd(virtio_mmio_notify_fd(m, 0)), 1);
    ck_assert_uint_eq(virtio_mmio_slow_notifies(m), 1);
    ck_assert_uint_eq(irqs(), 0);

    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 1);
    ck_assert_uint_eq(used_idx(), 1);
    ck_assert_uint_eq(used_id(0), 3);
    ck_assert_uint_eq(used_len(0), 13);
    ck_assert_int_eq(memcmp(gpa(BUF + 0x200), "hello, virtio", 13), 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
    ck_assert_uint_eq(irqs(), 1);
    w32(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 0);

    /* Several at once; the reply is clamped to the writable space. */
    post_echo(0, BUF + 0x300);
    post_echo(6, BUF + 0x400);
    set_desc(8, BUF, 7, VIRTQ_DESC_F_NEXT, 9);
    set_desc(9, BUF + 0x500, 4, VIRTQ_DESC_F_WRITE, 0);
    make_avail(8);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 3);
    ck_assert_uint_eq(used_idx(), 4);
    ck_assert_uint_eq(used_id(1), 0);
    ck_assert_uint_eq(used_id(2), 6);
    ck_assert_uint_eq(used_id(3), 8);
    ck_assert_uint_eq(used_len(3), 4);
    ck_assert_int_eq(memcmp(gpa(BUF + 0x500), "hell", 4), 0);
    ck_assert_uint_eq(irqs(), 3);   /* no suppression asked for */
    ck_assert(!needs_reset());
}
END_TEST

START_TEST(indirect_round_trip)
{
    bring_up(F_VERSION_1 | F_INDIRECT);
    memcpy(gpa(BUF), "indirect!", 9);
    struct virtq_desc t[2] = {
        { BUF, 9, VIRTQ_DESC_F_NEXT, 1 },
        { BUF + 0x200, 32, VIRTQ_DESC_F_WRITE, 0 },
    };
    memcpy(gpa(0x6000), t, sizeof(t));
    set_desc(0, 0x6000, sizeof(t), VIRTQ_DESC_F_INDIRECT, 0);
    make_avail(0);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 1);
    ck_assert_uint_eq(used_len(0), 9);
    ck_assert_int_eq(memcmp(gpa(BUF + 0x200), "indirect!", 9), 0);

    /* The same chain when INDIRECT_DESC was not negotiated. */
    bring_up(F_VERSION_1);
    memcpy(gpa(0x6000), t, sizeof(t));
    set_desc(0, 0x6000, sizeof(t), VIRTQ_DESC_F_INDIRECT, 0);
    make_avail(0);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), -1);
    ck_assert(needs_reset());
    ck_assert_uint_eq(used_idx(), 0);
}
END_TEST

START_TEST(event_idx_round_trip)
{
    bring_up(F_VERSION_1 | F_EVENT_IDX);
    uint16_t *used_event = gpa(AVAIL + 4 + 2 * QMAX);
    uint16_t *avail_event = gpa(USED + 4 + 8 * QMAX);
    *used_event = 0;
    post_echo(0, BUF + 0x200);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 1);
    ck_assert_uint_eq(irqs(), 1);
    ck_assert_uint_eq(*avail_event, 1);   /* the device wants the next notification */
    /* The driver asks for an interrupt only after the 3rd completion. */
    *used_event = 2;
    post_echo(0, BUF + 0x200);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 1);
    ck_assert_uint_eq(irqs(), 0);
    post_echo(0, BUF + 0x200);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 1);
    ck_assert_uint_eq(irqs(), 1);
    ck_assert_uint_eq(used_idx(), 3);
}
END_TEST

START_TEST(hostile_chain_needs_reset)
{
    bring_up(F_VERSION_1);
    set_desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);   /* loop */
    make_avail(0);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), -1);
    ck_assert(needs_reset());
    ck_assert_uint_eq(r32(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    ck_assert_uint_eq(irqs(), 1);
    /* A broken device does nothing more until it is reset. */
    post_echo(4, BUF + 0x200);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 0);
    ck_assert_uint_eq(used_idx(), 0);
    /* Reading status and writing it back keeps NEEDS_RESET (device-owned). */
    w32(VIRTIO_MMIO_STATUS, r32(VIRTIO_MMIO_STATUS));
    ck_assert(needs_reset());
    bring_up(F_VERSION_1);
    ck_assert(!needs_reset());
    post_echo(0, BUF + 0x200);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 1);
}
END_TEST

START_TEST(late_completion_after_reset_is_dropped)
{
    bring_up(F_VERSION_1);
    hold = true;
    post_echo(0, BUF + 0x200);
    post_echo(3, BUF + 0x300);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 2);
    ck_assert_int_eq(nheld, 2);
    virtio_mmio_complete(m, held[0], 5);
    held[0] = NULL;
    ck_assert_uint_eq(used_idx(), 1);
    ck_assert(virtio_mmio_chain_live(m, held[1]));
    w32(VIRTIO_MMIO_STATUS, 0);
    ck_assert(!virtio_mmio_chain_live(m, held[1]));
    virtio_mmio_complete(m, held[1], 5);   /* after the reset: not written */
    held[1] = NULL;
    nheld = 0;
    ck_assert_uint_eq(used_idx(), 1);
}
END_TEST

START_TEST(io_thread_round_trip)
{
    bring_up(F_VERSION_1 | F_EVENT_IDX | F_INDIRECT);
    ck_assert_int_eq(virtio_mmio_start(m), 0);
    for (int round = 0; round < 20; round++) {
        uint16_t want = (uint16_t)(round + 1);
        *(uint16_t *)gpa(AVAIL + 4 + 2 * QMAX) = (uint16_t)round;   /* used_event */
        post_echo((uint16_t)((round % 4) * 3), BUF + 0x200);
        /* What KVM does on the guest's QueueNotify write. */
        uint64_t one = 1;
        ck_assert_int_eq(write(virtio_mmio_notify_fd(m, 0), &one, 8), 8);
        struct pollfd p = { virtio_mmio_irq_fd(m), POLLIN, 0 };
        /* A hang guard, not a speed check. */
        ck_assert_int_eq(poll(&p, 1, 10000), 1);
        ck_assert_uint_eq(irqs(), 1);
        ck_assert_uint_eq(used_idx(), want);
        ck_assert_int_eq(memcmp(gpa(BUF + 0x200), "hello, virtio", 13), 0);
    }
    virtio_mmio_stop(m);
}
END_TEST

/* Served on the vCPU (the default with KVM): the QueueNotify write itself
 * drains the queue and interrupts; the I/O thread's eventfd stays quiet. */
START_TEST(notify_here_serves_on_the_writer)
{
    bring_up(F_VERSION_1 | F_EVENT_IDX);
    virtio_mmio_set_notify_here(m, true);
    for (uint16_t i = 1; i <= 3; i++) {
        *(uint16_t *)gpa(AVAIL + 4 + 2 * QMAX) = (uint16_t)(i - 1);   /* used_event */
        post_echo(0, BUF + 0x200);
        w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        ck_assert_uint_eq(used_idx(), i);
        ck_assert_uint_eq(used_len(i - 1), 13);
        ck_assert_uint_eq(irqs(), 1);
        ck_assert_uint_eq(read_fd(virtio_mmio_notify_fd(m, 0)), 0);
    }
    ck_assert_int_eq(memcmp(gpa(BUF + 0x200), "hello, virtio", 13), 0);
    /* Three chains, one notify, no suppression negotiated (an interrupt
     * wanted for each, as echo_round_trip gets from the I/O thread):
     * served in one drain, one interrupt for all three. */
    bring_up(F_VERSION_1);
    post_echo(0, BUF + 0x200);
    post_echo(3, BUF + 0x300);
    post_echo(6, BUF + 0x400);
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    ck_assert_uint_eq(used_idx(), 3);
    ck_assert_uint_eq(irqs(), 1);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
    /* Buffers posted before DRIVER_OK: served by the DRIVER_OK write
     * itself, not left to another thread. */
    w32(VIRTIO_MMIO_STATUS, 0);
    memset(mem.host, 0, 0x4000);
    avail_idx = 0;
    ck_assert_uint_eq(negotiate(F_VERSION_1) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
    queue_regs(QMAX, DESC, AVAIL, USED);
    w32(VIRTIO_MMIO_QUEUE_READY, 1);
    post_echo(0, BUF + 0x200);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                            VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    ck_assert_uint_eq(used_idx(), 1);
    ck_assert_uint_eq(read_fd(virtio_mmio_notify_fd(m, 0)), 0);
    irqs();
    /* A notify for a queue that does not exist is still a guest error. */
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 7);
    ck_assert(needs_reset());
}
END_TEST

/* A reset while the vCPU drains: the interrupt owed for the drain is
 * dropped with the rest of the device's state (a reset device raises none). */
START_TEST(notify_here_reset_mid_drain_raises_nothing)
{
    bring_up(F_VERSION_1);
    virtio_mmio_set_notify_here(m, true);
    post_echo(0, BUF + 0x200);
    reset_in_handle = true;
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_STATUS), 0);
    ck_assert_uint_eq(irqs(), 0);
    ck_assert_uint_eq(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}
END_TEST

/* No memory for a chain: the device fails visibly (NEEDS_RESET, a config
 * interrupt, the reason) instead of waiting for a kick that, with
 * EVENT_IDX, the driver never sends for what it already posted. */
START_TEST(chain_alloc_failure_needs_reset)
{
    bring_up(F_VERSION_1 | F_EVENT_IDX);
    post_echo(0, BUF + 0x200);
    fail_chain_allocs = 1;
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), -1);
    ck_assert(needs_reset());
    ck_assert_uint_eq(r32(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    ck_assert_uint_eq(irqs(), 1);
    char why[160];
    ck_assert_ptr_nonnull(strstr(virtio_mmio_error(m, why, sizeof(why)), "out of memory"));
    /* After the driver's reset it works again. */
    bring_up(F_VERSION_1 | F_EVENT_IDX);
    post_echo(0, BUF + 0x200);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 1);
    ck_assert_uint_eq(used_idx(), 1);
}
END_TEST

START_TEST(cmdline)
{
    char buf[64];
    ck_assert_int_eq(virtio_mmio_cmdline(buf, sizeof(buf), 0xd0000000, 0x1000, 5), 34);
    ck_assert_str_eq(buf, "virtio_mmio.device=4K@0xd0000000:5");
    ck_assert_int_gt(virtio_mmio_cmdline(buf, sizeof(buf), 0x100000000ULL, 0x200, 12), 0);
    ck_assert_str_eq(buf, "virtio_mmio.device=512@0x100000000:12");
    ck_assert_int_eq(virtio_mmio_cmdline(buf, 34, 0xd0000000, 0x1000, 5), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("virtio_mmio");
    TCase *t = tcase_create("registers");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, ids);
    tcase_add_test(t, device_features);
    tcase_add_test(t, features_ok_needs_version_1);
    tcase_add_test(t, driver_ok_without_features_ok);
    tcase_add_test(t, status_rules);
    tcase_add_test(t, queue_setup_rules);
    tcase_add_test(t, reset_clears_everything);
    tcase_add_test(t, wrong_width);
    tcase_add_test(t, config_space_tag);
    tcase_add_test(t, tag_validation);
    suite_add_tcase(s, t);
    TCase *r = tcase_create("round_trip");
    tcase_add_checked_fixture(r, setup, teardown);
    tcase_set_timeout(r, 30);
    tcase_add_test(r, echo_round_trip);
    tcase_add_test(r, indirect_round_trip);
    tcase_add_test(r, event_idx_round_trip);
    tcase_add_test(r, hostile_chain_needs_reset);
    tcase_add_test(r, late_completion_after_reset_is_dropped);
    tcase_add_test(r, io_thread_round_trip);
    tcase_add_test(r, notify_here_serves_on_the_writer);
    tcase_add_test(r, notify_here_reset_mid_drain_raises_nothing);
    tcase_add_test(r, chain_alloc_failure_needs_reset);
    tcase_add_test(r, cmdline);
    suite_add_tcase(s, r);
    return s;
}

TEST_MAIN(suite)
