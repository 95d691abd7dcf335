/* Helpers shared by the tiny guest's files (no libc): port and MMIO access,
 * console output (guest.c), command-line words. */
#ifndef TINYGUEST_H
#define TINYGUEST_H
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* MMIO: one instruction of exactly the given width (the device sees it). */
static inline uint8_t mr8(uint64_t a) { uint8_t v; __asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory"); return v; }
static inline uint16_t mr16(uint64_t a) { uint16_t v; __asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline uint32_t mr32(uint64_t a) { uint32_t v; __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline uint64_t mr64(uint64_t a) { uint64_t v; __asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline void mw8(uint64_t a, uint8_t v) { __asm__ volatile("movb %0, (%1)" : : "q"(v), "r"(a) : "memory"); }
static inline void mw16(uint64_t a, uint16_t v) { __asm__ volatile("movw %0, (%1)" : : "r"(v), "r"(a) : "memory"); }
static inline void mw32(uint64_t a, uint32_t v) { __asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(a) : "memory"); }
static inline void mw64(uint64_t a, uint64_t v) { __asm__ volatile("movq %0, (%1)" : : "r"(v), "r"(a) : "memory"); }

static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return lo | (uint64_t)hi << 32; }
#define barrier() __asm__ volatile("mfence" : : : "memory")

#define PORT_EXIT 0x604
#define VIRTIO_MMIO_BASE 0xd0000000ULL

/* entry.S: the TSC at the first instruction and at the 64-bit entry, and 1
 * when the 16-bit real-mode entry (setup16.S) came first. */
extern uint64_t entry_tsc, entry64_tsc;
extern uint8_t entry_realmode;

/* guest.c */
void puts_(const char *s);
void putn(uint64_t v, int base);
int starts(const char *s, const char *w);
unsigned num(const char **s);
/* hostile.c: the highest end of e820 RAM below 4 GiB (zero page's map). */
uint64_t ram_end_low(const uint8_t *zp);
/* ... and the end of RAM above 4 GiB, 0 when there is none. */
uint64_t ram_end_high(const uint8_t *zp);
/* hostile.c: runs the hostile action `a` names and ends the VM through the
 * exit port; returns 0 when `a` names none of them. */
int hostile(const char *a, const uint8_t *zp);
/* blk.c: action=blk:rw|ro; a points after "blk:"; returns the status. */
int blk_action(const char *a);
#endif
