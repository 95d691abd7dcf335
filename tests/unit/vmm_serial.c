/* The 16550A UART as a guest driver sees it through port I/O (uart_io with
 * offsets 0..7), with the output and IRQ callbacks recorded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/testutil.h"
#include "vmm/serial.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4,
       LSR = 5, MSR = 6, SCR = 7 };

struct rec {
    uint8_t out[4096];
    int nout;
    int level;          /* last level the IRQ callback got */
    int nirq;           /* callback invocations */
};

static struct rec rec;
static struct uart *u;

static void on_out(void *opaque, uint8_t b)
{
    struct rec *r = opaque;
    ck_assert_int_lt(r->nout, (int)sizeof(r->out));
    r->out[r->nout++] = b;
}

static void on_irq(void *opaque, int level)
{
    struct rec *r = opaque;
    r->level = level;
    r->nirq++;
}

static void setup(void)
{
    memset(&rec, 0, sizeof(rec));
    u = uart_new(on_out, on_irq, &rec);
    ck_assert(u != NULL);
}

static void teardown(void) { uart_free(u); }

static uint8_t in(unsigned reg)
{
    uint8_t v = 0x5a;
    uart_io(u, reg, &v, 1, false);
    return v;
}

static void out(unsigned reg, uint8_t v) { uart_io(u, reg, &v, 1, true); }

START_TEST(idle_lsr_and_defaults)
{
    ck_assert_uint_eq(in(LSR), 0x60);          /* THRE | TEMT, no data */
    ck_assert_uint_eq(in(LSR), 0x60);          /* reading does not change it */
    ck_assert_uint_eq(in(IIR), 0x01);          /* nothing pending, no FIFO */
    ck_assert_uint_eq(in(IER), 0);
    ck_assert_uint_eq(in(RBR), 0);             /* nothing received */
    ck_assert_uint_eq(in(LSR), 0x60);
    ck_assert_int_eq(rec.nout, 0);
    ck_assert_int_eq(rec.level, 0);
}
END_TEST

START_TEST(thr_reaches_output_in_order)
{
    const char *msg = "Linux version 6.1\r\n";
    for (const char *p = msg; *p; p++) {
        out(THR, (uint8_t)*p);
        ck_assert_uint_eq(in(LSR), 0x60);      /* THR is empty again at once */
    }
    for (int b = 0; b < 256; b++)
        out(THR, (uint8_t)b);                  /* every byte value, NUL and 0xff too */
    size_t n = strlen(msg);
    ck_assert_int_eq(rec.nout, (int)n + 256);
    ck_assert(memcmp(rec.out, msg, n) == 0);
    for (int b = 0; b < 256; b++)
        ck_assert_uint_eq(rec.out[n + (size_t)b], b);
}
END_TEST

START_TEST(dlab_divisor_latch)
{
    out(IER, 0x00);
    out(LCR, 0x83);                            /* DLAB, 8N1 */
    out(DLL, 0x01);                            /* 115200 baud */
    out(DLM, 0x00);
    ck_assert_uint_eq(in(DLL), 0x01);
    ck_assert_uint_eq(in(DLM), 0x00);
    out(DLM, 0x12);
    ck_assert_uint_eq(in(DLM), 0x12);
    ck_assert_int_eq(rec.nout, 0);             /* the divisor is not output */
    ck_assert_uint_eq(in(LCR), 0x83);
    out(LCR, 0x03);                            /* DLAB off */
    ck_assert_uint_eq(in(IER), 0x00);          /* IER was not touched by DLM writes */
    out(THR, 'x');
    ck_assert_int_eq(rec.nout, 1);
    ck_assert_uint_eq(rec.out[0], 'x');
    out(LCR, 0x83);                            /* the latch kept its value */
    ck_assert_uint_eq(in(DLL), 0x01);
    ck_assert_uint_eq(in(DLM), 0x12);
    out(LCR, 0x03);
    ck_assert_uint_eq(in(LCR), 0x03);
}
END_TEST

START_TEST(fifo_iir)
{
    ck_assert_uint_eq(in(IIR), 0x01);
    out(FCR, 0x07);                            /* enable, clear both FIFOs */
    ck_assert_uint_eq(in(IIR), 0xc1);
    out(FCR, 0xc7);                            /* trigger level 14 */
    ck_assert_uint_eq(in(IIR), 0xc1);
    out(FCR, 0x00);
    ck_assert_uint_eq(in(IIR), 0x01);
}
END_TEST

START_TEST(thri_needs_out2)
{
    out(IER, 0x02);                            /* THRI without OUT2 */
    ck_assert_int_eq(rec.level, 0);
    ck_assert_int_eq(rec.nirq, 0);
    out(MCR, 0x0b);                            /* DTR | RTS | OUT2: line now up */
    ck_assert_int_eq(rec.level, 1);
    ck_assert_int_eq(rec.nirq, 1);
    out(MCR, 0x03);                            /* OUT2 off: the line drops */
    ck_assert_int_eq(rec.level, 0);
}
END_TEST

START_TEST(thri_raise_clear_rearm)
{
    out(MCR, 0x08);                            /* OUT2 */
    ck_assert_int_eq(rec.level, 0);
    out(IER, 0x02);                            /* THR empty: interrupt at once */
    ck_assert_int_eq(rec.level, 1);
    ck_assert_int_eq(rec.nirq, 1);
    ck_assert_uint_eq(in(IIR), 0x02);          /* reading IIR clears THRE ... */
    ck_assert_int_eq(rec.level, 0);            /* ... and the line drops */
    ck_assert_uint_eq(in(IIR), 0x01);
    ck_assert_int_eq(rec.level, 0);
    out(THR, 'a');                             /* writing THR re-arms it */
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(in(IIR), 0x02);
    ck_assert_int_eq(rec.level, 0);
    /* same with FIFOs on: 0xc2 */
    out(FCR, 0x01);
    out(THR, 'b');
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(in(IIR), 0xc2);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(in(IIR), 0xc1);
    /* disabling THRI while pending drops the line */
    out(THR, 'c');
    ck_assert_int_eq(rec.level, 1);
    out(IER, 0x00);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(in(IIR), 0xc1);
    ck_assert_int_eq(rec.nout, 3);
}
END_TEST

START_TEST(receive)
{
    const uint8_t typed[] = "ls\n";
    ck_assert_int_eq(uart_receive(u, typed, 3), 3);
    ck_assert_uint_eq(in(LSR), 0x61);          /* DR */
    ck_assert_uint_eq(in(IIR), 0x01);          /* RDI not enabled */
    ck_assert_int_eq(rec.level, 0);
    out(MCR, 0x08);
    out(IER, 0x01);                            /* RDI */
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(in(IIR), 0x04);
    ck_assert_uint_eq(in(IIR), 0x04);          /* reading IIR does not clear RDI */
    ck_assert_uint_eq(in(RBR), 'l');
    ck_assert_uint_eq(in(RBR), 's');
    ck_assert_uint_eq(in(LSR), 0x61);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(in(RBR), '\n');
    ck_assert_uint_eq(in(LSR), 0x60);          /* drained */
    ck_assert_uint_eq(in(IIR), 0x01);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_int_eq(rec.nout, 0);             /* nothing echoed */
}
END_TEST

START_TEST(receive_fifo_full_and_priority)
{
    uint8_t buf[40];
    for (int i = 0; i < 40; i++)
        buf[i] = (uint8_t)('A' + i);
    int took = uart_receive(u, buf, 40);
    ck_assert_int_ge(took, 1);
    ck_assert_int_le(took, 40);
    /* the bytes that were taken come back in order, and no more */
    for (int i = 0; i < took; i++) {
        ck_assert_uint_eq(in(LSR) & 1, 1);
        ck_assert_uint_eq(in(RBR), buf[i]);
    }
    ck_assert_uint_eq(in(LSR), 0x60);
    /* received data outranks THRE */
    out(MCR, 0x08);
    out(IER, 0x03);
    ck_assert_int_eq(uart_receive(u, buf, 1), 1);
    ck_assert_uint_eq(in(IIR), 0x04);
    in(RBR);
    ck_assert_uint_eq(in(IIR), 0x02);
    ck_assert_uint_eq(in(IIR), 0x01);
    /* FCR bit 1 clears the receive FIFO */
    ck_assert_int_eq(uart_receive(u, buf, 5), 5);
    out(FCR, 0x03);
    ck_assert_uint_eq(in(LSR) & 1, 0);
    ck_assert_int_eq(rec.level, 0);
}
END_TEST

START_TEST(loopback)
{
    out(MCR, 0x1a);                            /* the Linux autoconfig check */
    ck_assert_uint_eq(in(MSR) & 0xf0, 0x90);   /* CTS | DCD */
    out(MCR, 0x1f);
    ck_assert_uint_eq(in(MSR) & 0xf0, 0xf0);
    out(MCR, 0x10);
    ck_assert_uint_eq(in(MSR) & 0xf0, 0x00);
    out(MCR, 0x11);                            /* DTR -> DSR */
    ck_assert_uint_eq(in(MSR) & 0xf0, 0x20);
    out(MCR, 0x14);                            /* OUT1 -> RI */
    ck_assert_uint_eq(in(MSR) & 0xf0, 0x40);

    out(MCR, 0x10);
    out(THR, 0x55);                            /* goes to RBR, not out */
    out(THR, 0xaa);
    ck_assert_int_eq(rec.nout, 0);
    ck_assert_uint_eq(in(LSR) & 0x61, 0x61);
    ck_assert_uint_eq(in(RBR), 0x55);
    ck_assert_uint_eq(in(RBR), 0xaa);
    ck_assert_uint_eq(in(LSR), 0x60);

    out(MCR, 0x0b);                            /* loopback off: a connected line */
    ck_assert_uint_eq(in(MSR) & 0xf0, 0xb0);
    out(THR, 'z');
    ck_assert_int_eq(rec.nout, 1);
    ck_assert_uint_eq(rec.out[0], 'z');
    ck_assert_uint_eq(in(LSR), 0x60);
}
END_TEST

START_TEST(scratch)
{
    for (int v = 0; v < 256; v += 17) {
        out(SCR, (uint8_t)v);
        ck_assert_uint_eq(in(SCR), v);
    }
    out(SCR, 0xa5);
    ck_assert_uint_eq(in(SCR), 0xa5);
    out(LCR, 0x80);                            /* DLAB does not hide SCR */
    ck_assert_uint_eq(in(SCR), 0xa5);
    out(LCR, 0x00);
    ck_assert_int_eq(rec.nout, 0);
    /* LSR and MSR are read-only */
    out(LSR, 0x00);
    ck_assert_uint_eq(in(LSR), 0x60);
}
END_TEST

START_TEST(wide_access)
{
    uint8_t d[4];
    /* a 16-bit read at LSR reads LSR then MSR */
    memset(d, 0, sizeof(d));
    uart_io(u, LSR, d, 2, false);
    ck_assert_uint_eq(d[0], 0x60);
    ck_assert_uint_eq(d[1], in(MSR));
    /* a 16-bit write with DLAB sets the whole divisor */
    out(LCR, 0x80);
    d[0] = 0x34;
    d[1] = 0x12;
    uart_io(u, DLL, d, 2, true);
    ck_assert_uint_eq(in(DLL), 0x34);
    ck_assert_uint_eq(in(DLM), 0x12);
    memset(d, 0, sizeof(d));
    uart_io(u, DLL, d, 2, false);
    ck_assert_uint_eq(d[0], 0x34);
    ck_assert_uint_eq(d[1], 0x12);
    out(LCR, 0x03);
    /* a 32-bit write at MCR: MCR, LSR (ignored), MSR (ignored), SCR */
    d[0] = 0x03; d[1] = 0x00; d[2] = 0x00; d[3] = 0x77;
    uart_io(u, MCR, d, 4, true);
    ck_assert_uint_eq(in(MCR), 0x03);
    ck_assert_uint_eq(in(SCR), 0x77);
    ck_assert_uint_eq(in(LSR), 0x60);
    /* a 32-bit read at 0: RBR, IER, IIR, LCR */
    memset(d, 0xee, sizeof(d));
    uart_io(u, 0, d, 4, false);
    ck_assert_uint_eq(d[0], 0x00);
    ck_assert_uint_eq(d[1], 0x00);
    ck_assert_uint_eq(d[2], 0x01);
    ck_assert_uint_eq(d[3], 0x03);
    /* a 16-bit THR write sends the low byte, then writes IER */
    d[0] = 'w'; d[1] = 0x00;
    uart_io(u, THR, d, 2, true);
    ck_assert_int_eq(rec.nout, 1);
    ck_assert_uint_eq(rec.out[0], 'w');
}
END_TEST

/* The probes Linux's 8250 driver makes before it trusts the port. */
START_TEST(linux_probe)
{
    /* autoconfig: IER holds exactly its four bits */
    out(IER, 0x00);
    ck_assert_uint_eq(in(IER) & 0x0f, 0x00);
    out(IER, 0x0f);
    ck_assert_uint_eq(in(IER) & 0x0f, 0x0f);
    out(IER, 0xff);
    ck_assert_uint_eq(in(IER), 0x0f);
    out(IER, 0x00);
    /* 16550A: FIFO enable shows in IIR bits 7:6; no 64-byte FIFO (16750) */
    out(FCR, 0x07);
    ck_assert_uint_eq(in(IIR) >> 6, 3);
    out(FCR, 0x21);                            /* ENABLE_FIFO | FCR7_64BYTE */
    ck_assert_uint_eq((in(IIR) >> 5) & 1, 0);
    out(FCR, 0x00);
    ck_assert_int_eq(rec.nout, 0);
    ck_assert_int_eq(rec.level, 0);
}
END_TEST

START_TEST(no_callbacks)
{
    struct uart *q = uart_new(NULL, NULL, NULL);
    ck_assert(q != NULL);
    uint8_t v = 'x';
    uart_io(q, THR, &v, 1, true);              /* no output callback: dropped */
    v = 0x08;
    uart_io(q, MCR, &v, 1, true);
    v = 0x02;
    uart_io(q, IER, &v, 1, true);              /* IRQ with no callback */
    uart_io(q, IIR, &v, 1, false);
    ck_assert_uint_eq(v, 0x02);
    uart_free(q);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vmm_serial");
    TCase *tc = tcase_create("uart");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, idle_lsr_and_defaults);
    tcase_add_test(tc, thr_reaches_output_in_order);
    tcase_add_test(tc, dlab_divisor_latch);
    tcase_add_test(tc, fifo_iir);
    tcase_add_test(tc, thri_needs_out2);
    tcase_add_test(tc, thri_raise_clear_rearm);
    tcase_add_test(tc, receive);
    tcase_add_test(tc, receive_fifo_full_and_priority);
    tcase_add_test(tc, loopback);
    tcase_add_test(tc, scratch);
    tcase_add_test(tc, wide_access);
    tcase_add_test(tc, linux_probe);
    tcase_add_test(tc, no_callbacks);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
