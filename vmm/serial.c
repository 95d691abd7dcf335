#include <pthread.h>
#include <stdlib.h>
#include "vmm/serial.h"

enum { RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };
#define IER_RDI   0x01
#define IER_THRI  0x02
#define IER_MSI   0x08
#define IIR_NONE  0x01
#define IIR_MSI   0x00
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_FIFO  0xc0
#define LCR_DLAB  0x80
#define MCR_LOOP  0x10
#define MCR_OUT2  0x08
#define LSR_DR    0x01
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define FIFO_LEN  16

struct uart {
    pthread_mutex_t lock;
    uart_out_fn out;
    uart_irq_fn irq;
    void *opaque;
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    uint8_t msr_delta;
    bool thri_pending;
    int irq_level;
    uint8_t rx[FIFO_LEN];
    int rx_head, rx_len;
};

struct uart *uart_new(uart_out_fn out, uart_irq_fn irq, void *opaque)
{
    struct uart *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    pthread_mutex_init(&u->lock, NULL);
    u->out = out;
    u->irq = irq;
    u->opaque = opaque;
    u->dll = 12;                       /* 9600 baud until the guest says otherwise */
    return u;
}

void uart_free(struct uart *u) { free(u); }

static uint8_t msr(const struct uart *u)
{
    if (u->mcr & MCR_LOOP)             /* RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD */
        return (uint8_t)(((u->mcr & 0x02) << 3) | ((u->mcr & 0x01) << 5) |
                         ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4)) | u->msr_delta;
    return 0xb0 | u->msr_delta;        /* DCD, DSR, CTS: a connected line */
}

static uint8_t iir(const struct uart *u)
{
    uint8_t fifo = (u->fcr & 1) ? IIR_FIFO : 0;
    if ((u->ier & IER_RDI) && u->rx_len)
        return fifo | IIR_RDI;
    if ((u->ier & IER_THRI) && u->thri_pending)
        return fifo | IIR_THRI;
    if ((u->ier & IER_MSI) && u->msr_delta)
        return fifo | IIR_MSI;
    return fifo | IIR_NONE;
}

static void update_irq(struct uart *u)
{
    int level = (u->mcr & MCR_OUT2) && !(iir(u) & IIR_NONE);
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->irq)
            u->irq(u->opaque, level);
    }
}

static void rx_push(struct uart *u, uint8_t b)
{
    if (u->rx_len < FIFO_LEN)
        u->rx[(u->rx_head + u->rx_len++) % FIFO_LEN] = b;
}

static void write_reg(struct uart *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (reg) {
    case RBR_THR:
        if (dlab) {
            u->dll = v;
            break;
        }
        if (u->mcr & MCR_LOOP)
            rx_push(u, v);
        else if (u->out)
            u->out(u->opaque, v);
        u->thri_pending = true;        /* sent at once: THR is empty again */
        break;
    case IER:
        if (dlab) {
            u->dlm = v;
            break;
        }
        if (!(u->ier & IER_THRI) && (v & IER_THRI))
            u->thri_pending = true;    /* enabling THRI with THR empty interrupts */
        u->ier = v & 0x0f;
        break;
    case IIR_FCR:
        u->fcr = v & 0xc9;
        if (v & 0x02) {                /* clear receive FIFO */
            u->rx_len = 0;
            u->rx_head = 0;
        }
        break;
    case LCR:
        u->lcr = v;
        break;
    case MCR:
        u->mcr = v & 0x1f;
        break;
    case SCR:
        u->scr = v;
        break;
    default:                           /* LSR and MSR are read-only */
        break;
    }
}

static uint8_t read_reg(struct uart *u, unsigned reg)
{
    bool dlab = u->lcr & LCR_DLAB;
    uint8_t v = 0;
    switch (reg) {
    case RBR_THR:
        if (dlab)
            return u->dll;
        if (u->rx_len) {
            v = u->rx[u->rx_head];
            u->rx_head = (u->rx_head + 1) % FIFO_LEN;
            u->rx_len--;
        }
        return v;
    case IER:
        return dlab ? u->dlm : u->ier;
    case IIR_FCR:
        v = iir(u);
        if ((v & 0x0f) == IIR_THRI)
            u->thri_pending = false;   /* reading IIR clears a THRE interrupt */
        return v;
    case LCR:
        return u->lcr;
    case MCR:
        return u->mcr;
    case LSR:
        return LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0);
    case MSR:
        v = msr(u);
        u->msr_delta = 0;
        return v;
    case SCR:
        return u->scr;
    }
    return 0xff;
}

void uart_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    struct uart *u = opaque;
    pthread_mutex_lock(&u->lock);
    for (uint32_t i = 0; i < len; i++) {   /* a wide access touches consecutive registers */
        unsigned reg = (unsigned)((offset + i) & 7);
        if (is_write)
            write_reg(u, reg, data[i]);
        else
            data[i] = read_reg(u, reg);
    }
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
}

int uart_receive(struct uart *u, const uint8_t *buf, int n)
{
    pthread_mutex_lock(&u->lock);
    int i = 0;
    for (; i < n && u->rx_len < FIFO_LEN; i++)
        rx_push(u, buf[i]);
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
    return i;
}
