/* The fixture of the virtio-mmio transport's unit tests (virtio_mmio.c:
 * registers; virtio_mmio_serve.c: round trips): guest RAM as an mmap with
 * guard pages, a fake device that echoes request bytes into the writable
 * buffers, and driver-side helpers.  Included by one test file each. */
#ifndef TESTS_UNIT_VIRTIO_MMIO_FIXTURE_H
#define TESTS_UNIT_VIRTIO_MMIO_FIXTURE_H

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

/* Linked with -Wl,--wrap=virtq_chain_new (Makefile, LDFLAGS_virtio_mmio*). */
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

static inline void fake_config_read(void *dev, uint32_t off, void *data, uint32_t len)
{
    (void)dev;
    ck_assert_uint_le(off + len, config_len);
    memcpy(data, config + off, len);
}

/* Echo: copy the readable bytes into the writable buffers. */
static inline void fake_handle(void *dev, struct virtio_mmio *mm, uint16_t q, struct virtq_chain *c)
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

static inline void setup(void)
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

static inline void teardown(void)
{
    virtio_mmio_free(m);
    for (int i = 0; i < nheld; i++)
        free(held[i]);
    munmap(map_base, RAM_SIZE + 2 * sysconf(_SC_PAGESIZE));
}

/* ---- driver-side helpers ---- */

static inline void w32(uint64_t off, uint32_t v)
{
    uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    virtio_mmio_io(m, off, d, 4, true);
}

static inline uint32_t r32(uint64_t off)
{
    uint8_t d[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
    virtio_mmio_io(m, off, d, 4, false);
    return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static inline uint64_t read_fd(int fd)
{
    uint64_t v = 0;
    if (read(fd, &v, sizeof(v)) != sizeof(v))
        return 0;
    return v;
}

static inline uint64_t irqs(void) { return read_fd(virtio_mmio_irq_fd(m)); }

static inline bool needs_reset(void) { return r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET; }

#define F_VERSION_1  (1ULL << VIRTIO_F_VERSION_1)
#define F_INDIRECT   (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX  (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_TAG        (1ULL << VIRTIO_9P_MOUNT_TAG)

/* Reset, ACKNOWLEDGE, DRIVER, write features, FEATURES_OK; returns status. */
static inline uint32_t negotiate(uint64_t features)
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

static inline void queue_regs(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
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

static inline void bring_up(uint64_t features)
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

static inline void *gpa(uint64_t a) { return mem.host + a; }

static inline void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    struct virtq_desc d = { addr, len, flags, next };
    memcpy(gpa(DESC + 16ULL * i), &d, sizeof(d));
}

static inline void make_avail(uint16_t head)
{
    uint16_t *a = gpa(AVAIL);
    a[2 + avail_idx % QMAX] = head;
    avail_idx++;
    __atomic_store_n(&a[1], avail_idx, __ATOMIC_RELEASE);
}

static inline uint16_t used_idx(void) { return __atomic_load_n((uint16_t *)gpa(USED + 2), __ATOMIC_ACQUIRE); }
static inline uint32_t used_id(unsigned i) { return *(uint32_t *)gpa(USED + 4 + 8 * (i % QMAX)); }
static inline uint32_t used_len(unsigned i) { return *(uint32_t *)gpa(USED + 8 + 8 * (i % QMAX)); }

/* A request "hello, virtio" in two readable pieces, a 64-byte reply buffer. */
static inline void post_echo(uint16_t head, uint64_t out)
{
    memcpy(gpa(BUF), "hello, ", 7);
    memcpy(gpa(BUF + 0x100), "virtio", 6);
    set_desc(head, BUF, 7, VIRTQ_DESC_F_NEXT, head + 1);
    set_desc(head + 1, BUF + 0x100, 6, VIRTQ_DESC_F_NEXT, head + 2);
    set_desc(head + 2, out, 64, VIRTQ_DESC_F_WRITE, 0);
    make_avail(head);
}

#endif
