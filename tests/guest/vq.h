/* The tiny guest's virtio-mmio driver (vq.c) for the first virtio-9p device
 * and its 9P message helpers (p9race.c).  One queue of VQN entries, polled
 * (no interrupts); request slot i uses descriptors 2i (request, readable)
 * and 2i+1 (reply, writable). */
#ifndef TINYGUEST_VQ_H
#define TINYGUEST_VQ_H
#include <stdint.h>

#define VQN 16
#define VQ_SLOTS (VQN / 2)
#define VQ_REQ_SIZE 512
#define VQ_RESP_SIZE 1024

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4

#define VSTATUS_NEEDS_RESET 0x40

struct vdesc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vused_elem { uint32_t id, len; };

/* vq_wait results */
enum { VQ_USED = 1, VQ_NEEDS_RESET, VQ_TIMEOUT };

/* Resets the device and sets it up with ring set `set` (0 or 1, each in
 * its own place in RAM); `indirect` also accepts INDIRECT_DESC.  Returns 0,
 * or a non-zero step number and prints what failed. */
int vq_start(int set, int indirect);
/* Resets the device and sets queue 0 up: features word 0 `want` (word 1:
 * VERSION_1), num entries, the three ring addresses; then DRIVER_OK, or,
 * with ready_only, stops after QueueReady.  0 or a step number (1..7),
 * after printing what failed.  vq_start() uses it. */
int vq_setup(uint32_t want, uint16_t num, uint64_t desc, uint64_t avail, uint64_t used,
             int ready_only);
/* Writes 0 to Status; returns 0 when Status then reads 0. */
int vq_reset(void);
uint32_t vq_reg(unsigned off);
struct vdesc *vq_desc(void);
/* Puts head on the avail ring (no notify). */
void vq_post(uint16_t head);
/* Moves the avail index by n without filling entries. */
void vq_bump_avail(uint16_t n);
void vq_notify(void);
/* Waits until n more used entries appear, or the device asks for a reset,
 * or about a few seconds pass. */
int vq_wait(uint16_t n);
/* The k-th used entry since the last vq_wait that returned VQ_USED... */
struct vused_elem vq_used_elem(uint16_t k);
uint16_t vq_used_idx(void);
/* After vq_wait: the used index the next wait starts from. */
void vq_consume(uint16_t n);
/* Request and reply buffers of slot i. */
uint8_t *vq_req(int slot);
uint8_t *vq_resp(int slot);
/* Links slot's descriptors (request of reqlen bytes) and posts its head. */
void vq_post_slot(int slot, uint32_t reqlen);
/* Runs the chain cases of action=vq:NAME; returns the status to report. */
int vq_action(const char *name, const uint8_t *zp);

/* p9race.c: writes a Tversion into slot's request buffer; its length. */
uint32_t p9_build_version(int slot);
/* p9race.c: Tversion on slot 0, waits, checks Rversion.  0 or error. */
int p9_version_check(void);
/* A new session (msize `size`) with fid open for reading on name. */
int p9_open(const char *name, uint32_t fid, uint32_t size);
/* Writes a Tread of count bytes at offset 0 into slot's request buffer. */
uint32_t p9_build_read(int slot, uint32_t fid, uint32_t count);
/* action=p9race */
int p9_race(void);
/* action=seq:S1,S2,... (p9race.c) */
int p9_seq(const char *list);
int p9_await(const char *status);
/* action=mp:NAME (mp.c) */
int mp_action(const char *name);
/* action=p9flip (p9flip.c) */
int p9_flip(void);
/* action=p9load:N[:LANES[:noidx]] (p9load.c); a points after "p9load:" */
int p9_load(const char *a, const uint8_t *zp);
#endif
