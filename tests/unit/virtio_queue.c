/* Split virtqueue: hostile descriptor chains, indirect tables, used ring,
 * event-index interrupt suppression.  Guest RAM is an mmap with PROT_NONE
 * guard pages on both sides, so any access outside it crashes the test
 * (and ASan sees it in the SAN=1 build). */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "virtio/virtqueue.h"

#define RAM_SIZE (1u << 20)
#define NUM 8
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define BUF   0x10000

static uint8_t *map_base;
static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain *c;
static uint16_t avail_idx;

static void ram_setup(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    map_base = mmap(NULL, RAM_SIZE + 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(map_base, MAP_FAILED);
    ck_assert_int_eq(mprotect(map_base + pg, RAM_SIZE, PROT_READ | PROT_WRITE), 0);
    mem.host = map_base + pg;
    mem.low_size = RAM_SIZE;
    mem.high_size = 0;
    avail_idx = 0;
    c = virtq_chain_new(NUM);
    ck_assert_ptr_nonnull(c);
}

static void ram_teardown(void)
{
    munmap(map_base, RAM_SIZE + 2 * sysconf(_SC_PAGESIZE));
    free(c);
}

static void *gpa(uint64_t a) { return mem.host + a; }

static void set_desc_at(uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
                        uint16_t flags, uint16_t next)
{
    struct virtq_desc d = { addr, len, flags, next };
    memcpy(gpa(table + 16ULL * i), &d, sizeof(d));
}

static void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    set_desc_at(DESC, i, addr, len, flags, next);
}

static uint16_t *avail16(unsigned i) { return (uint16_t *)gpa(AVAIL) + i; }

static void make_avail(uint16_t head)
{
    avail16(2)[avail_idx % NUM] = head;
    avail_idx++;
    __atomic_store_n(avail16(1), avail_idx, __ATOMIC_RELEASE);
}

static uint16_t used_idx(void) { return *(uint16_t *)gpa(USED + 2); }
static uint32_t used_id(unsigned i) { return *(uint32_t *)gpa(USED + 4 + 8 * (i % NUM)); }
static uint32_t used_len(unsigned i) { return *(uint32_t *)gpa(USED + 8 + 8 * (i % NUM)); }

static void setup_q(bool event_idx, bool indirect)
{
    ck_assert_int_eq(virtq_setup(&q, &mem, NUM, DESC, AVAIL, USED, event_idx, indirect), VIRTQ_OK);
}

/* ---- setup ---- */

START_TEST(setup_rejects_bad_rings)
{
    ck_assert_int_ne(virtq_setup(&q, &mem, 0, DESC, AVAIL, USED, false, false), VIRTQ_OK);
    ck_assert_int_ne(virtq_setup(&q, &mem, 6, DESC, AVAIL, USED, false, false), VIRTQ_OK);
    ck_assert_int_ne(virtq_setup(&q, &mem, NUM, DESC + 8, AVAIL, USED, false, false), VIRTQ_OK);
    ck_assert_int_ne(virtq_setup(&q, &mem, NUM, DESC, AVAIL + 1, USED, false, false), VIRTQ_OK);
    ck_assert_int_ne(virtq_setup(&q, &mem, NUM, DESC, AVAIL, USED + 2, false, false), VIRTQ_OK);
    /* Rings that end past RAM, or whose address wraps. */
    ck_assert_int_ne(virtq_setup(&q, &mem, NUM, RAM_SIZE - 64, AVAIL, USED, false, false), VIRTQ_OK);
    ck_assert_int_ne(virtq_setup(&q, &mem, NUM, DESC, AVAIL, RAM_SIZE - 64, false, false), VIRTQ_OK);
    ck_assert_int_ne(virtq_setup(&q, &mem, NUM, 0xfffffffffffffff0ULL, AVAIL, USED, false, false),
                     VIRTQ_OK);
    /* The used ring fits exactly without event idx but not with it (+2 bytes). */
    uint64_t used_end = RAM_SIZE - (4 + 8 * NUM);
    ck_assert_int_eq(virtq_setup(&q, &mem, NUM, DESC, AVAIL, used_end, false, false), VIRTQ_OK);
    ck_assert_int_ne(virtq_setup(&q, &mem, NUM, DESC, AVAIL, used_end, true, false), VIRTQ_OK);
    setup_q(false, false);
}
END_TEST

/* ---- ordinary chains ---- */

START_TEST(pop_simple_chain)
{
    setup_q(false, false);
    ck_assert_int_eq(virtq_pop(&q, c), 0);   /* empty */
    set_desc(3, BUF, 10, VIRTQ_DESC_F_NEXT, 5);
    set_desc(5, BUF + 100, 20, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, BUF + 200, 64, VIRTQ_DESC_F_WRITE, 0);
    make_avail(3);
    ck_assert_int_eq(virtq_pop(&q, c), 1);
    ck_assert_int_eq(c->head, 3);
    ck_assert_int_eq(c->nin, 2);
    ck_assert_int_eq(c->nout, 1);
    ck_assert_ptr_eq(c->in[0].iov_base, gpa(BUF));
    ck_assert_uint_eq(c->in[0].iov_len, 10);
    ck_assert_ptr_eq(c->in[1].iov_base, gpa(BUF + 100));
    ck_assert_ptr_eq(c->out[0].iov_base, gpa(BUF + 200));
    ck_assert_uint_eq(c->out[0].iov_len, 64);
    ck_assert_uint_eq(c->in_len, 30);
    ck_assert_uint_eq(c->out_len, 64);
    ck_assert_int_eq(virtq_pop(&q, c), 0);
}
END_TEST

START_TEST(chain_of_queue_size_is_fine)
{
    setup_q(false, false);
    for (uint16_t i = 0; i < NUM; i++)
        set_desc(i, BUF + 16 * i, 16, i + 1 < NUM ? VIRTQ_DESC_F_NEXT : 0, i + 1);
    make_avail(0);
    ck_assert_int_eq(virtq_pop(&q, c), 1);
    ck_assert_int_eq(c->nin, NUM);
}
END_TEST

/* ---- hostile chains: each is refused and not consumed ---- */

static void expect_error(int err)
{
    uint16_t before = q.last_avail;
    ck_assert_int_eq(virtq_pop(&q, c), -err);
    ck_assert_int_eq(q.last_avail, before);
    ck_assert_int_eq(used_idx(), 0);
}

START_TEST(head_out_of_range)
{
    setup_q(false, false);
    make_avail(NUM);
    expect_error(VIRTQ_E_HEAD);
}
END_TEST

START_TEST(avail_idx_jumps)
{
    setup_q(false, false);
    set_desc(0, BUF, 8, 0, 0);
    *avail16(1) = NUM + 1;
    expect_error(VIRTQ_E_AVAIL_IDX);
    *avail16(1) = (uint16_t)-1;    /* "behind" us: 65535 entries pending */
    expect_error(VIRTQ_E_AVAIL_IDX);
    *avail16(1) = NUM;             /* exactly a full ring is legal */
    ck_assert_int_eq(virtq_pop(&q, c), 1);
}
END_TEST

START_TEST(chain_loops)
{
    setup_q(false, false);
    set_desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    make_avail(0);
    expect_error(VIRTQ_E_LOOP);
}
END_TEST

START_TEST(chain_self_loop_zero_length)
{
    setup_q(false, false);
    set_desc(2, BUF, 0, VIRTQ_DESC_F_NEXT, 2);
    make_avail(2);
    expect_error(VIRTQ_E_LOOP);
}
END_TEST

START_TEST(next_out_of_range)
{
    setup_q(false, false);
    set_desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, NUM);
    make_avail(0);
    expect_error(VIRTQ_E_NEXT);
}
END_TEST

START_TEST(buffer_outside_ram)
{
    setup_q(false, false);
    set_desc(0, RAM_SIZE - 4, 8, 0, 0);        /* crosses the end */
    make_avail(0);
    expect_error(VIRTQ_E_ADDR);
    set_desc(0, RAM_SIZE, 1, 0, 0);            /* one byte just past the end */
    expect_error(VIRTQ_E_ADDR);
    set_desc(0, 0xfffffffffffffff8ULL, 16, 0, 0);   /* wraps */
    expect_error(VIRTQ_E_ADDR);
    set_desc(0, BUF, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
    expect_error(VIRTQ_E_ADDR);
    set_desc(0, GMEM_HIGH_BASE, 8, 0, 0);      /* no high RAM here */
    expect_error(VIRTQ_E_ADDR);
}
END_TEST

START_TEST(readable_after_writable)
{
    setup_q(false, false);
    set_desc(0, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, BUF + 8, 8, 0, 0);
    make_avail(0);
    expect_error(VIRTQ_E_ORDER);
}
END_TEST

/* ---- indirect descriptors ---- */

#define ITAB 0x5003   /* deliberately not aligned: the spec does not require it */

START_TEST(indirect_ok)
{
    setup_q(false, true);
    set_desc(0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, ITAB, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    set_desc_at(ITAB, 0, BUF + 100, 12, VIRTQ_DESC_F_NEXT, 2);
    set_desc_at(ITAB, 2, BUF + 200, 40, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    set_desc_at(ITAB, 1, BUF + 300, 50, VIRTQ_DESC_F_WRITE, 0);
    make_avail(0);
    ck_assert_int_eq(virtq_pop(&q, c), 1);
    ck_assert_int_eq(c->head, 0);
    ck_assert_int_eq(c->nin, 2);
    ck_assert_int_eq(c->nout, 2);
    ck_assert_ptr_eq(c->in[0].iov_base, gpa(BUF));
    ck_assert_ptr_eq(c->in[1].iov_base, gpa(BUF + 100));
    ck_assert_ptr_eq(c->out[0].iov_base, gpa(BUF + 200));
    ck_assert_ptr_eq(c->out[1].iov_base, gpa(BUF + 300));
    ck_assert_uint_eq(c->out_len, 90);
}
END_TEST

START_TEST(indirect_not_negotiated)
{
    setup_q(false, false);
    set_desc(0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
    set_desc_at(ITAB, 0, BUF, 8, 0, 0);
    make_avail(0);
    expect_error(VIRTQ_E_INDIRECT);
}
END_TEST

START_TEST(indirect_bad_tables)
{
    setup_q(false, true);
    set_desc_at(ITAB, 0, BUF, 8, 0, 0);
    make_avail(0);
    set_desc(0, ITAB, 24, VIRTQ_DESC_F_INDIRECT, 0);          /* not a multiple of 16 */
    expect_error(VIRTQ_E_INDIRECT);
    set_desc(0, ITAB, 0, VIRTQ_DESC_F_INDIRECT, 0);           /* empty */
    expect_error(VIRTQ_E_INDIRECT);
    set_desc(0, ITAB, 16 * (NUM + 1), VIRTQ_DESC_F_INDIRECT, 0);   /* too many entries */
    expect_error(VIRTQ_E_INDIRECT);
    set_desc(0, ITAB, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);   /* INDIRECT|NEXT */
    expect_error(VIRTQ_E_INDIRECT);
    set_desc(0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0); /* table past RAM */
    expect_error(VIRTQ_E_ADDR);
    set_desc(0, 0xfffffffffffffff0ULL, 32, VIRTQ_DESC_F_INDIRECT, 0);
    expect_error(VIRTQ_E_ADDR);
}
END_TEST

START_TEST(indirect_nested)
{
    setup_q(false, true);
    set_desc(0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
    set_desc_at(ITAB, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    set_desc_at(ITAB, 1, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
    make_avail(0);
    expect_error(VIRTQ_E_INDIRECT);
}
END_TEST

START_TEST(indirect_loop_and_next)
{
    setup_q(false, true);
    set_desc(0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
    set_desc_at(ITAB, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    set_desc_at(ITAB, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
    make_avail(0);
    expect_error(VIRTQ_E_LOOP);
    set_desc_at(ITAB, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 2);   /* next beyond the table */
    expect_error(VIRTQ_E_NEXT);
}
END_TEST

START_TEST(indirect_chain_longer_than_queue)
{
    setup_q(false, true);
    set_desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, ITAB, 16 * NUM, VIRTQ_DESC_F_INDIRECT, 0);
    for (uint16_t i = 0; i < NUM; i++)
        set_desc_at(ITAB, i, BUF, 8, i + 1 < NUM ? VIRTQ_DESC_F_NEXT : 0, i + 1);
    make_avail(0);
    expect_error(VIRTQ_E_LOOP);
}
END_TEST

/* ---- used ring ---- */

START_TEST(push_and_wrap)
{
    setup_q(false, false);
    set_desc(4, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    /* Start both sides near the 16-bit wrap. */
    avail_idx = 65533;
    *avail16(1) = avail_idx;
    q.last_avail = avail_idx;
    q.used_idx = 65533;
    for (int i = 0; i < 6; i++) {
        make_avail(4);
        ck_assert_int_eq(virtq_pop(&q, c), 1);
        virtq_push(&q, c->head, 5 + i);
        uint16_t u = (uint16_t)(65534 + i);
        ck_assert_uint_eq(used_idx(), u);
        ck_assert_uint_eq(used_id((uint16_t)(u - 1)), 4);
        ck_assert_uint_eq(used_len((uint16_t)(u - 1)), 5 + i);
    }
    ck_assert_int_eq(virtq_pop(&q, c), 0);
}
END_TEST

/* ---- interrupt and notification suppression ---- */

START_TEST(need_event_rule)
{
    ck_assert(vring_need_event(0, 1, 0));
    ck_assert(!vring_need_event(1, 1, 0));
    ck_assert(vring_need_event(5, 7, 3));
    ck_assert(!vring_need_event(7, 7, 3));
    ck_assert(vring_need_event(65535, 1, 65534));   /* across the wrap */
    ck_assert(!vring_need_event(3, 1, 65534));
}
END_TEST

static void push_one(void)
{
    make_avail(0);
    ck_assert_int_eq(virtq_pop(&q, c), 1);
    virtq_push(&q, c->head, 0);
}

START_TEST(event_idx_suppresses)
{
    setup_q(true, false);
    set_desc(0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    uint16_t *used_event = avail16(2 + NUM);
    *used_event = 0;
    push_one();                         /* used idx 1: passes 0 */
    ck_assert(virtq_need_interrupt(&q));
    push_one();                         /* used idx 2: event 0 already passed */
    ck_assert(!virtq_need_interrupt(&q));
    *used_event = 3;
    push_one();                         /* 3: not past 3 yet */
    ck_assert(!virtq_need_interrupt(&q));
    push_one();                         /* 4: passes 3 */
    ck_assert(virtq_need_interrupt(&q));
    *used_event = 5;
    push_one();
    push_one();                         /* 6 in one batch since 4: passes 5 */
    ck_assert(virtq_need_interrupt(&q));
    /* The flag is ignored when event idx is on. */
    *avail16(0) = VIRTQ_AVAIL_F_NO_INTERRUPT;
    *used_event = 6;
    push_one();
    ck_assert(virtq_need_interrupt(&q));
}
END_TEST

START_TEST(no_interrupt_flag)
{
    setup_q(false, false);
    set_desc(0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    push_one();
    ck_assert(virtq_need_interrupt(&q));
    *avail16(0) = VIRTQ_AVAIL_F_NO_INTERRUPT;
    push_one();
    ck_assert(!virtq_need_interrupt(&q));
}
END_TEST

START_TEST(notify_suppression)
{
    uint16_t *used_flags = gpa(USED);
    setup_q(false, false);
    set_desc(0, BUF, 8, 0, 0);
    virtq_disable_notify(&q);
    ck_assert_uint_eq(*used_flags, VIRTQ_USED_F_NO_NOTIFY);
    ck_assert(!virtq_enable_notify(&q));
    ck_assert_uint_eq(*used_flags, 0);
    make_avail(0);
    ck_assert(virtq_enable_notify(&q));   /* arrived meanwhile: process again */

    uint16_t *avail_event = gpa(USED + 4 + 8 * NUM);
    memset(gpa(USED), 0, 0x100);
    avail_idx = 0;
    *avail16(1) = 0;
    setup_q(true, false);
    virtq_disable_notify(&q);
    ck_assert_uint_eq(*used_flags, 0);    /* event idx: the flag is not used */
    make_avail(0);
    make_avail(0);
    ck_assert_int_eq(virtq_pop(&q, c), 1);
    ck_assert_int_eq(virtq_pop(&q, c), 1);
    ck_assert(!virtq_enable_notify(&q));
    ck_assert_uint_eq(*avail_event, 2);   /* notify me when entry 2 is made available */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("virtio_queue");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, ram_setup, ram_teardown);
    tcase_add_test(t, setup_rejects_bad_rings);
    tcase_add_test(t, pop_simple_chain);
    tcase_add_test(t, chain_of_queue_size_is_fine);
    tcase_add_test(t, head_out_of_range);
    tcase_add_test(t, avail_idx_jumps);
    tcase_add_test(t, chain_loops);
    tcase_add_test(t, chain_self_loop_zero_length);
    tcase_add_test(t, next_out_of_range);
    tcase_add_test(t, buffer_outside_ram);
    tcase_add_test(t, readable_after_writable);
    tcase_add_test(t, indirect_ok);
    tcase_add_test(t, indirect_not_negotiated);
    tcase_add_test(t, indirect_bad_tables);
    tcase_add_test(t, indirect_nested);
    tcase_add_test(t, indirect_loop_and_next);
    tcase_add_test(t, indirect_chain_longer_than_queue);
    tcase_add_test(t, push_and_wrap);
    tcase_add_test(t, need_event_rule);
    tcase_add_test(t, event_idx_suppresses);
    tcase_add_test(t, no_interrupt_flag);
    tcase_add_test(t, notify_suppression);
    suite_add_tcase(s, t);
    return s;
}

TEST_MAIN(suite)
