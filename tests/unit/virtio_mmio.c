/* virtio-mmio transport: the register protocol as a driver drives it (the
 * round trips are in virtio_mmio_serve.c).  No KVM: guest RAM is an mmap
 * with guard pages, the register handler is called directly. */
#include "tests/unit/virtio_mmio_fixture.h"

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
    TCase *r = tcase_create("cmdline");
    tcase_add_checked_fixture(r, setup, teardown);
    tcase_add_test(r, cmdline);
    suite_add_tcase(s, r);
    return s;
}

TEST_MAIN(suite)
