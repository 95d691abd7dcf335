/* virtio-mmio transport: full round trips with the fake echo device of
 * virtio_mmio_fixture.h, served by the caller, the I/O thread or the
 * notifying vCPU; hostile chains, resets and allocation failures on the way. */
#include "tests/unit/virtio_mmio_fixture.h"

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

static Suite *suite(void)
{
    Suite *s = suite_create("virtio_mmio_serve");
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
    suite_add_tcase(s, r);
    return s;
}

TEST_MAIN(suite)
