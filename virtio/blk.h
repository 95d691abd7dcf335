/* virtio-blk requests: turning a descriptor chain into a checked request.
 *
 * Pure code (no file, no thread, no transport): everything the guest put in
 * the chain is checked here, before the device (virtio/blk_dev.c) touches
 * the image.  The rules (docs/blk.md):
 *   - the 16-byte header (le32 type, le32 ioprio, le64 sector) is in the
 *     device-readable part, which starts the chain; it may span buffers;
 *   - the status byte is the last byte of the device-writable part; a chain
 *     without a writable byte cannot be answered (completed with length 0);
 *   - IN: readable part = the header only, data = writable part minus the
 *     status byte; OUT: data = readable part after the header, writable
 *     part = the status byte only; FLUSH: header + status only; GET_ID:
 *     header, writable bytes (the first 20 at most get the serial) +
 *     status; DISCARD/WRITE_ZEROES:
 *     header + 1..VIRTIO_BLK_DISCARD_SEG_MAX 16-byte segments, status only;
 *   - data lengths are whole sectors; sector + count never passes the
 *     capacity (no wrap); at most VIRTIO_BLK_SEG_MAX data buffers, each at
 *     most VIRTIO_BLK_SIZE_MAX bytes;
 *   - a read-only disk answers OUT, DISCARD and WRITE_ZEROES with IOERR;
 *   - unknown types, and discard/write-zeroes where the device does not
 *     offer them, or with unknown segment flags, get UNSUPP;
 *   - any other broken rule gets IOERR. */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTIO_ID_BLOCK            2

/* Feature bits. */
#define VIRTIO_BLK_F_SIZE_MAX      1
#define VIRTIO_BLK_F_SEG_MAX       2
#define VIRTIO_BLK_F_RO            5
#define VIRTIO_BLK_F_BLK_SIZE      6
#define VIRTIO_BLK_F_FLUSH         9
#define VIRTIO_BLK_F_DISCARD       13
#define VIRTIO_BLK_F_WRITE_ZEROES  14

/* Request types. */
#define VIRTIO_BLK_T_IN            0
#define VIRTIO_BLK_T_OUT           1
#define VIRTIO_BLK_T_FLUSH         4
#define VIRTIO_BLK_T_GET_ID        8
#define VIRTIO_BLK_T_DISCARD       11
#define VIRTIO_BLK_T_WRITE_ZEROES  13
/* Write-zeroes segment flag: the device may deallocate. */
#define VIRTIO_BLK_WZ_F_UNMAP      1

/* Status byte. */
#define VIRTIO_BLK_S_OK            0
#define VIRTIO_BLK_S_IOERR         1
#define VIRTIO_BLK_S_UNSUPP        2

#define VIRTIO_BLK_SECTOR          512u
#define VIRTIO_BLK_HDR             16u
#define VIRTIO_BLK_ID_BYTES        20u
/* Limits the device announces (config space) and enforces. */
#define VIRTIO_BLK_QUEUE_MAX       256
#define VIRTIO_BLK_SEG_MAX         (VIRTIO_BLK_QUEUE_MAX - 2)   /* data buffers */
#define VIRTIO_BLK_SIZE_MAX        (1u << 20)                    /* bytes per buffer */
#define VIRTIO_BLK_DISCARD_SEG_MAX 32
#define VIRTIO_BLK_DISCARD_SECTORS_MAX (1u << 23)                /* 4 GiB per segment */
#define VIRTIO_BLK_DISCARD_ALIGN   8                             /* sectors: 4 KiB */
#define VIRTIO_BLK_CONFIG_LEN      60
#define VIRTIO_BLK_MAX_DISKS       8
#define VIRTIO_BLK_SERIAL_MAX      20

/* What the device is: the limits a request is checked against. */
struct blk_limits {
    uint64_t capacity;          /* sectors */
    bool readonly;
    bool discard, write_zeroes; /* offered */
};

struct blk_range {
    uint64_t sector, count;     /* checked: inside the capacity */
    uint32_t flags;
};

/* A checked request. */
struct blk_req {
    uint32_t type;
    uint64_t sector;
    struct iovec *iov;          /* data: into guest RAM, the caller's scratch array */
    int niov;
    uint64_t len;               /* bytes of data */
    uint8_t *status;            /* NULL: no writable byte, nothing can be answered */
    struct blk_range ranges[VIRTIO_BLK_DISCARD_SEG_MAX];
    int nranges;
};

/* Checks the chain (in: device-readable buffers, out: device-writable ones)
 * against lim.  scratch (cap entries, at least nin + nout) receives the data
 * iovecs.  Returns VIRTIO_BLK_S_OK when r is a valid request to carry out,
 * else the status to answer with (r->status may then be NULL). */
uint8_t blk_parse(const struct iovec *in, int nin, const struct iovec *out, int nout,
                  const struct blk_limits *lim, struct iovec *scratch, int cap,
                  struct blk_req *r);

/* The config space for a disk (VIRTIO_BLK_CONFIG_LEN bytes). */
void blk_config(uint8_t *cfg, const struct blk_limits *lim);

/* --disk FILE[,ro][,serial=S][,cache=unsafe|writeback|none] */
enum blk_cache { BLK_CACHE_WRITEBACK = 0, BLK_CACHE_UNSAFE, BLK_CACHE_NONE };
struct blk_opt {
    char path[4096];
    bool readonly;
    char serial[VIRTIO_BLK_SERIAL_MAX + 1];
    enum blk_cache cache;
};
/* Returns 0, or -1 with a one-line reason naming --disk in err.  The serial
 * defaults to "minivmm-diskINDEX"; a serial is 1..20 printable ASCII
 * characters without space or comma. */
int blk_parse_opt(const char *s, int index, struct blk_opt *d, char *err, size_t errlen);
const char *blk_cache_name(enum blk_cache c);
#endif
