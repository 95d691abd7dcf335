/* A 16550A UART (COM1).  The transmitter is infinitely fast: THR is always
 * empty, so the line status register reads 0x60 when idle and the guest
 * never waits.  Interrupts follow the 16550 rules (IIR priorities, THRE
 * cleared by reading IIR or writing THR, OUT2 gating the IRQ line). */
#ifndef VMM_SERIAL_H
#define VMM_SERIAL_H
#include <stdbool.h>
#include <stdint.h>

struct uart;
typedef void (*uart_out_fn)(void *opaque, uint8_t byte);
typedef void (*uart_irq_fn)(void *opaque, int level);

struct uart *uart_new(uart_out_fn out, uart_irq_fn irq, void *opaque);
void uart_free(struct uart *u);
/* Bus handler (vmm/bus.h): offset 0..7. */
void uart_io(void *uart, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Bytes typed at the console; returns how many fitted in the receive FIFO. */
int uart_receive(struct uart *u, const uint8_t *buf, int n);
#endif
