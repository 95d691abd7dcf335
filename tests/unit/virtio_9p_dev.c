/* virtio-9p device: the server behind the virtio-mmio transport and its
 * worker pool, driven as the Linux driver drives it.  No KVM: guest RAM is
 * an mmap, the test calls the queue processing as the I/O thread would and
 * waits for the workers' completions in the used ring. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "vmm/msglimit.h"
/* Only the message builders and reply decoder of the shared client are used. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tests/unit/virtio_9p_client.h"
#include "virtio/9p_dev.h"
#include "virtio/mmio.h"
#include "vmm/mem.h"

#define RAM_SIZE (16u << 20)
#define QNUM  16
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define REQ   0x10000               /* request slot i at REQ + i * 0x1000 */
#define REPLY 0x100000              /* reply slot i at REPLY + i * RSLOT */
#define RSLOT (P9_MAX_MSIZE + 0x10000)
#define FILE_SIZE (4u << 20)

static struct guest_mem mem;
static struct virtio_9p *dev;
static struct virtio_mmio *m;
static uint16_t avail_idx, seen_used;
static char dir[64];
static uint8_t *content;

static void *gpa(uint64_t a) { return mem.host + a; }

static void w32(uint64_t off, uint32_t v)
{
    uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    virtio_mmio_io(m, off, d, 4, true);
}

static void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    struct virtq_desc d = { addr, len, flags, next };
    memcpy(gpa(DESC + 16ULL * i), &d, sizeof(d));
}

static uint16_t used_idx(void) { return __atomic_load_n((uint16_t *)gpa(USED + 2), __ATOMIC_ACQUIRE); }
static uint32_t used_id(unsigned i) { return *(uint32_t *)gpa(USED + 4 + 8 * (i % QNUM)); }
static uint32_t used_len(unsigned i) { return *(uint32_t *)gpa(USED + 8 + 8 * (i % QNUM)); }

/* Puts the message in tb (size field set, tag replaced) into request slot
 * `slot` with a reply buffer and makes it available; nothing is processed. */
static void post(struct T *t, int slot, uint16_t tag)
{
    tend(t);
    tb[5] = (uint8_t)tag;
    tb[6] = (uint8_t)(tag >> 8);
    memcpy(gpa(REQ + 0x1000ULL * slot), tb, t->n);
    uint16_t h = (uint16_t)(2 * slot);
    set_desc(h, REQ + 0x1000ULL * slot, (uint32_t)t->n, VIRTQ_DESC_F_NEXT, (uint16_t)(h + 1));
    set_desc((uint16_t)(h + 1), REPLY + (uint64_t)RSLOT * slot, RSLOT, VIRTQ_DESC_F_WRITE, 0);
    uint16_t *a = gpa(AVAIL);
    a[2 + avail_idx % QNUM] = h;
    avail_idx++;
    __atomic_store_n(&a[1], avail_idx, __ATOMIC_RELEASE);
}

/* Hands what is available to the workers and waits (hang guard: 10 s, not
 * a speed check) until n more chains are used. */
static void run_queue(uint16_t n)
{
    ck_assert_int_ge(virtio_mmio_process_queue(m, 0), 0);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((uint16_t)(used_idx() - seen_used) < n) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        ck_assert_int_lt(t.tv_sec - t0.tv_sec, 10);
        usleep(50);
    }
    ck_assert_uint_eq((uint16_t)(used_idx() - seen_used), n);
}

/* The reply of the k-th used element (since the last check) into rb. */
static int reply_of(unsigned k, struct R *r, uint8_t ttype, uint16_t tag, int *slot)
{
    unsigned u = (unsigned)(uint16_t)(seen_used + k);
    *slot = (int)used_id(u) / 2;
    size_t len = used_len(u);
    ck_assert_uint_le(len, RSLOT);
    memcpy(rb, gpa(REPLY + (uint64_t)RSLOT * *slot), len);
    return decode_reply(r, len, ttype, tag);
}

static int call(struct T *t, struct R *r)
{
    uint8_t type = tb[4];
    post(t, 0, 1);
    run_queue(1);
    int slot;
    int e = reply_of(0, r, type, 1, &slot);
    seen_used++;
    return e;
}

/* The driver's bring-up: reset, VERSION_1, one queue with empty rings. */
static void bring_up(void)
{
    w32(VIRTIO_MMIO_STATUS, 0);
    memset(gpa(DESC), 0, USED + 0x1000 - DESC);
    avail_idx = seen_used = 0;
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_9P_MOUNT_TAG);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(1ULL << VIRTIO_F_VERSION_1 >> 32));
    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    w32(VIRTIO_MMIO_STATUS, st);
    w32(VIRTIO_MMIO_QUEUE_SEL, 0);
    w32(VIRTIO_MMIO_QUEUE_NUM, QNUM);
    w32(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
    w32(VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL);
    w32(VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED);
    w32(VIRTIO_MMIO_QUEUE_READY, 1);
    w32(VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
    ck_assert_uint_eq(virtio_mmio_status(m), st | VIRTIO_STATUS_DRIVER_OK);
}

static void setup(void)
{
    mem.host = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(mem.host, MAP_FAILED);
    mem.low_size = RAM_SIZE;
    mem.high_size = 0;
    avail_idx = seen_used = 0;

    snprintf(dir, sizeof(dir), "/tmp/minivmm-9pdev-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    content = malloc(FILE_SIZE);
    ck_assert_ptr_nonnull(content);
    for (uint32_t i = 0; i < FILE_SIZE; i++)
        content[i] = (uint8_t)(i * 2654435761u >> 13);
    char path[128];
    snprintf(path, sizeof(path), "%s/big", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, FILE_SIZE), FILE_SIZE);
    close(fd);

    char err[256] = "";
    dev = virtio_9p_new(NULL, &mem, 0xd0000000, 5, dir, "t", false, err, sizeof(err));
    ck_assert_msg(dev != NULL, "%s", err);
    m = virtio_9p_transport(dev);

    bring_up();

    /* version, attach, walk to big, open it. */
    struct R r;
    struct T t = tbegin(Tversion);
    p32(&t, P9_MAX_MSIZE);
    pstr(&t, "9P2000.L");
    ck_assert_int_eq(call(&t, &r), 0);
    ck_assert_uint_eq(g32(&r), P9_MAX_MSIZE);
    t = tbegin(Tattach);
    p32(&t, 1);
    p32(&t, NOFID);
    pstr(&t, "root");
    pstr(&t, "");
    p32(&t, 0);
    ck_assert_int_eq(call(&t, &r), 0);
    t = tbegin(Twalk);
    p32(&t, 1);
    p32(&t, 2);
    p16(&t, 1);
    pstr(&t, "big");
    ck_assert_int_eq(call(&t, &r), 0);
    t = tbegin(Tlopen);
    p32(&t, 2);
    p32(&t, O_RDONLY);
    ck_assert_int_eq(call(&t, &r), 0);
}

static void teardown(void)
{
    virtio_9p_free(dev);
    rm_rf(dir);
    free(content);
    munmap(mem.host, RAM_SIZE);
}

static void post_read(int slot, uint16_t tag, uint64_t off, uint32_t count)
{
    struct T t = tbegin(Tread);
    p32(&t, 2);
    p64(&t, off);
    p32(&t, count);
    post(&t, slot, tag);
}

/* 9P: "if a response to the flushed request is received before the
 * Rflush, the client must honor it"; the Linux client frees the request
 * (and unpins its pages) on Rflush.  So Rflush must come after the replies
 * of every request made available before the Tflush, even when the worker
 * pool serves them at the same time. */
START_TEST(rflush_after_flushed_replies)
{
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 3; i++)
            post_read(i, (uint16_t)(10 + i), (uint64_t)((round + i) % 8) << 19, 1u << 19);
        struct T t = tbegin(Tflush);
        p16(&t, 12);                        /* the last read */
        post(&t, 3, 13);
        run_queue(4);
        for (unsigned k = 0; k < 4; k++) {
            struct R r;
            int slot;
            unsigned u = (unsigned)(uint16_t)(seen_used + k);
            if (used_id(u) == 6) {
                ck_assert_msg(k == 3, "round %d: Rflush was used element %u of 4, before a "
                              "reply to an earlier read", round, k + 1);
                ck_assert_int_eq(reply_of(k, &r, Tflush, 13, &slot), 0);
                ck_assert_uint_eq(r.n, 7);
                continue;
            }
            /* The read replies are whole and right. */
            slot = (int)used_id(u) / 2;
            ck_assert_int_lt(slot, 3);
            ck_assert_int_eq(reply_of(k, &r, Tread, (uint16_t)(10 + slot), &slot), 0);
            ck_assert_uint_eq(g32(&r), 1u << 19);
            uint64_t off = (uint64_t)((round + slot) % 8) << 19;
            ck_assert_int_eq(memcmp(rb + r.pos, content + off, 1u << 19), 0);
        }
        seen_used = (uint16_t)(seen_used + 4);
    }
}
END_TEST

/* A Tflush of a tag nobody uses is answered at once. */
START_TEST(flush_unknown_tag)
{
    struct T t = tbegin(Tflush);
    p16(&t, 999);
    struct R r;
    ck_assert_int_eq(call(&t, &r), 0);
    ck_assert_uint_eq(r.n, 7);
}
END_TEST

/* Eight clients at once, each in a loop the Linux client makes for every
 * created file: clone the directory fid, create through the clone, write,
 * clunk, remove.  A fid number is reused as soon as its Rclunk is back, so
 * the worker pool must never answer a clunk before the fid is gone, nor see
 * a fid that another worker is still adding. */
#define NCLIENT 8
static const uint8_t client_step[] = { Twalk, Tlcreate, Twrite, Tclunk, Tunlinkat };
START_TEST(concurrent_create_clunk_reuse)
{
    int step[NCLIENT] = { 0 }, gen[NCLIENT] = { 0 };
    for (int round = 0; round < 400; round++) {
        for (int k = 0; k < NCLIENT; k++) {
            uint32_t fid = 100 + (uint32_t)k;
            char name[32];
            snprintf(name, sizeof(name), "f%d-%d", k, gen[k]);
            struct T t = tbegin(client_step[step[k]]);
            switch (step[k]) {
            case 0: p32(&t, 1); p32(&t, fid); p16(&t, 0); break;
            case 1: p32(&t, fid); pstr(&t, name); p32(&t, O_WRONLY); p32(&t, 0644); p32(&t, 0); break;
            case 2: p32(&t, fid); p64(&t, 0); p32(&t, 1); p8(&t, 'x'); break;
            case 3: p32(&t, fid); break;
            case 4: p32(&t, 1); pstr(&t, name); p32(&t, 0); break;
            }
            post(&t, k, (uint16_t)(20 + k));
        }
        run_queue(NCLIENT);
        for (unsigned u = 0; u < NCLIENT; u++) {
            int k = (int)used_id((unsigned)(uint16_t)(seen_used + u)) / 2, slot;
            struct R r;
            ck_assert_int_lt(k, NCLIENT);
            int e = reply_of(u, &r, client_step[step[k]], (uint16_t)(20 + k), &slot);
            ck_assert_msg(e == 0, "round %d client %d step %d: error %d", round, k, step[k], e);
            if (++step[k] == 5) {
                step[k] = 0;
                gen[k]++;
            }
        }
        seen_used = (uint16_t)(seen_used + NCLIENT);
    }
}
END_TEST


/* ---- a guest that misbehaves on purpose ---------------------------- */

static int count_lines(int fd, const char *what)
{
    char buf[8192];
    fflush(stderr);
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    ck_assert_int_ge(n, 0);
    buf[n] = 0;
    int k = 0;
    for (char *p = buf; (p = strstr(p, what)); p++)
        k++;
    return k;
}

/* Break a rule, reset, break it again, 50 times: a few lines on stderr,
 * then one "suppressed" line; the device still works afterwards. */
START_TEST(guest_error_lines_bounded)
{
    char tmpl[] = "/tmp/p9err.XXXXXX";
    int log = mkstemp(tmpl), saved = dup(2);
    ck_assert_int_ge(log, 0);
    unlink(tmpl);
    dup2(log, 2);
    for (int i = 0; i < 50; i++) {
        w32(VIRTIO_MMIO_MAGIC_VALUE, 1);    /* read-only register */
        ck_assert(virtio_mmio_status(m) & VIRTIO_STATUS_NEEDS_RESET);
        bring_up();
    }
    int errs = count_lines(log, "guest error:"), supp = count_lines(log, "suppressed");
    dup2(saved, 2);
    close(saved);
    close(log);
    ck_assert_int_eq(errs, MSG_LIMIT_FIRST);
    ck_assert_int_eq(supp, 1);
    struct T t = tbegin(Tgetattr);
    p32(&t, 2);
    p64(&t, 0x7ff);
    struct R r;
    ck_assert_int_eq(call(&t, &r), 0);
}
END_TEST

/* Fills the reply slots with a pattern; true when it is still there. */
static void poison(int n)
{
    for (int i = 0; i < n; i++)
        memset(gpa(REPLY + (uint64_t)RSLOT * i), 0xa5, RSLOT);
}

static bool poisoned(int n)
{
    for (int i = 0; i < n; i++) {
        const uint8_t *p = gpa(REPLY + (uint64_t)RSLOT * i);
        for (size_t k = 0; k < RSLOT; k += 4096)
            if (p[k] != 0xa5 || p[k + 4095] != 0xa5)
                return false;
    }
    return true;
}

/* A reset (Status 0) while the workers serve requests returns only when no
 * worker writes into the old buffers any more, and nothing of the old
 * requests appears on the used ring the driver sets up again. */
START_TEST(reset_with_requests_in_flight)
{
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 6; i++)
            post_read(i, (uint16_t)(10 + i), (uint64_t)(i % 4) << 20, 1u << 20);
        ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 6);
        w32(VIRTIO_MMIO_STATUS, 0);
        poison(6);
        uint16_t after = used_idx();
        bring_up();
        /* A request on the new ring is answered, alone, and the old
         * buffers stay untouched. */
        struct T t = tbegin(Tgetattr);
        p32(&t, 2);
        p64(&t, 0x7ff);
        struct R r;
        post(&t, 7, 1);
        run_queue(1);
        int slot;
        ck_assert_int_eq(reply_of(0, &r, Tgetattr, 1, &slot), 0);
        ck_assert_int_eq(slot, 7);
        seen_used++;
        ck_assert_uint_eq(used_idx(), 1);
        ck_assert_msg(poisoned(6), "round %d: an old request was answered after the reset "
                      "(used idx %u at reset)", round, after);
    }
}
END_TEST

/* Disabling the queue after DRIVER_OK with requests in flight: the device
 * needs a reset, and what the workers finish is not put on the ring. */
START_TEST(queue_disabled_with_requests_in_flight)
{
    for (int i = 0; i < 4; i++)
        post_read(i, (uint16_t)(10 + i), 0, 1u << 20);
    ck_assert_int_eq(virtio_mmio_process_queue(m, 0), 4);
    w32(VIRTIO_MMIO_QUEUE_READY, 0);
    ck_assert(virtio_mmio_status(m) & VIRTIO_STATUS_NEEDS_RESET);
    uint16_t u = used_idx();
    w32(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x8000);
    w32(VIRTIO_MMIO_STATUS, 0);             /* waits for the workers */
    ck_assert_uint_le(used_idx(), u);
    ck_assert_uint_eq(used_idx(), u);
    bring_up();
    struct T t = tbegin(Tclunk);
    p32(&t, 2);
    struct R r;
    ck_assert_int_eq(call(&t, &r), 0);
}
END_TEST

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Requests on a fid race with a Tclunk or Tremove of that fid on the
 * worker pool: each is answered (done, or EBADF/ENOENT once the fid is
 * gone), nothing crashes, and no descriptor is left behind. */
#define NRACE 8
START_TEST(requests_race_clunk_and_remove)
{
    static const uint8_t kinds[NRACE] = { Tread, Tgetattr, Twalk, Twrite, Treaddir, Tsetattr,
                                          Tfsync, Tclunk };
    int base = open_fds();
    struct R r;
    for (int round = 0; round < 200; round++) {
        char name[32];
        snprintf(name, sizeof(name), "race%d", round);
        struct T t = tbegin(Twalk);
        p32(&t, 1); p32(&t, 50); p16(&t, 0);
        ck_assert_int_eq(call(&t, &r), 0);
        t = tbegin(Tlcreate);
        p32(&t, 50); pstr(&t, name); p32(&t, O_RDWR); p32(&t, 0644); p32(&t, 0);
        ck_assert_int_eq(call(&t, &r), 0);
        /* The last request ends the fid: a clunk, or every other round a remove. */
        uint8_t last = round % 2 ? Tremove : Tclunk;
        for (int k = 0; k < NRACE; k++) {
            uint8_t type = k == NRACE - 1 ? last : kinds[(k + round) % (NRACE - 1)];
            t = tbegin(type);
            p32(&t, 50);
            switch (type) {
            case Tread: case Treaddir: p64(&t, 0); p32(&t, 4096); break;
            case Tgetattr: p64(&t, 0x7ff); break;
            case Twalk: p32(&t, 60 + (uint32_t)k); p16(&t, 0); break;
            case Twrite: p64(&t, 0); p32(&t, 1); p8(&t, 'x'); break;
            case Tsetattr:
                p32(&t, 0x8); p32(&t, 0); p32(&t, 0); p32(&t, 0); p64(&t, 3);
                for (int i = 0; i < 4; i++)
                    p64(&t, 0);
                break;
            case Tfsync: p32(&t, 0); break;
            default: break;
            }
            post(&t, k, (uint16_t)(30 + k));
        }
        run_queue(NRACE);
        for (unsigned u = 0; u < NRACE; u++) {
            int k = (int)used_id((unsigned)(uint16_t)(seen_used + u)) / 2, slot;
            ck_assert_int_lt(k, NRACE);
            uint8_t type = k == NRACE - 1 ? last : kinds[(k + round) % (NRACE - 1)];
            int e = reply_of(u, &r, type, (uint16_t)(30 + k), &slot);
            ck_assert_msg(e == 0 || e == EBADF || (type == Treaddir && e == ENOTDIR),
                          "round %d: T%u answered %d", round, type, e);
            if (k == NRACE - 1)
                ck_assert_int_eq(e, 0);
        }
        seen_used = (uint16_t)(seen_used + NRACE);
        for (uint32_t f = 60; f < 60 + NRACE; f++) {    /* clones that were made */
            t = tbegin(Tclunk);
            p32(&t, f);
            int e = call(&t, &r);
            ck_assert(e == 0 || e == EBADF);
        }
    }
    ck_assert_int_eq(open_fds(), base);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("virtio_9p_dev");
    TCase *t = tcase_create("device");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, rflush_after_flushed_replies);
    tcase_add_test(t, flush_unknown_tag);
    tcase_add_test(t, concurrent_create_clunk_reuse);
    tcase_add_test(t, guest_error_lines_bounded);
    tcase_add_test(t, reset_with_requests_in_flight);
    tcase_add_test(t, queue_disabled_with_requests_in_flight);
    tcase_add_test(t, requests_race_clunk_and_remove);
    suite_add_tcase(s, t);
    return s;
}

TEST_MAIN(suite)
