/* virtio-blk: request parsing (every bounds and layout rule, hostile
 * chains), --disk option parsing, the image file side (open checks, lock,
 * read/write/flush/discard/write-zeroes on a host file, read-only
 * refusals) and the device's registers and config space. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "virtio/blk.h"
#include "virtio/blk_dev.h"
#include "virtio/mmio.h"
#include "vmm/mem.h"

#define CAP 2048                      /* sectors of the test disk */

static const struct blk_limits rw_lim = { CAP, false, true, true };
static const struct blk_limits ro_lim = { CAP, true, false, false };

static uint8_t hdr[16 + 16 * 40];
static uint8_t buf[1 << 16];
static uint8_t st;
static struct iovec scratch[512];
static struct blk_req r;

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void set_hdr(uint32_t type, uint64_t sector)
{
    memset(hdr, 0, 16);
    put64(hdr, type);
    put64(hdr + 8, sector);
}

/* A segment i of a discard/write-zeroes payload. */
static void set_seg(int i, uint64_t sector, uint32_t count, uint32_t flags)
{
    put64(hdr + 16 + 16 * i, sector);
    put64(hdr + 24 + 16 * i, count | (uint64_t)flags << 32);
}

#define IOV(p, n) ((struct iovec){ (void *)(p), (n) })

/* header (hlen bytes) + data on the side `write_data` says + status. */
static uint8_t parse_simple(const struct blk_limits *lim, size_t hlen, size_t dlen,
                            bool data_readable)
{
    struct iovec in[2] = { IOV(hdr, hlen), IOV(buf, dlen) };
    struct iovec out[2] = { IOV(buf, dlen), IOV(&st, 1) };
    if (data_readable)
        return blk_parse(in, dlen ? 2 : 1, out + 1, 1, lim, scratch, 512, &r);
    return blk_parse(in, 1, dlen ? out : out + 1, dlen ? 2 : 1, lim, scratch, 512, &r);
}

START_TEST(read_and_write_ok)
{
    set_hdr(VIRTIO_BLK_T_IN, 10);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 4096, false), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(r.len, 4096);
    ck_assert_int_eq(r.niov, 1);
    ck_assert_ptr_eq(r.iov[0].iov_base, buf);
    ck_assert_ptr_eq(r.status, &st);
    ck_assert_uint_eq(r.sector, 10);
    set_hdr(VIRTIO_BLK_T_OUT, CAP - 8);       /* up to the last sector */
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 4096, true), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(r.len, 4096);
    set_hdr(VIRTIO_BLK_T_IN, CAP);            /* nothing, at the end: fine */
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 0, false), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(header_split_and_empty_buffers)
{
    set_hdr(VIRTIO_BLK_T_IN, 3);
    struct iovec in[3] = { IOV(hdr, 5), IOV(hdr + 5, 0), IOV(hdr + 5, 11) };
    struct iovec out[4] = { IOV(buf, 512), IOV(buf + 512, 0), IOV(buf + 512, 512), IOV(&st, 1) };
    ck_assert_int_eq(blk_parse(in, 3, out, 4, &rw_lim, scratch, 512, &r), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(r.sector, 3);
    ck_assert_int_eq(r.niov, 2);              /* the empty one left out */
    /* Status byte in the same buffer as the data. */
    struct iovec one = IOV(buf, 1025);
    ck_assert_int_eq(blk_parse(in, 3, &one, 1, &rw_lim, scratch, 512, &r), VIRTIO_BLK_S_OK);
    ck_assert_ptr_eq(r.status, buf + 1024);
    ck_assert_uint_eq(r.len, 1024);
    /* Write data in the header's buffer, after the header. */
    set_hdr(VIRTIO_BLK_T_OUT, 0);
    struct iovec w = IOV(hdr, 16 + 512);
    ck_assert_int_eq(blk_parse(&w, 1, out + 3, 1, &rw_lim, scratch, 512, &r), VIRTIO_BLK_S_OK);
    ck_assert_ptr_eq(r.iov[0].iov_base, hdr + 16);
    ck_assert_uint_eq(r.len, 512);
}
END_TEST

START_TEST(bounds)
{
    set_hdr(VIRTIO_BLK_T_IN, CAP - 7);        /* one sector past the end */
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 4096, false), VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_OUT, CAP + 1);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 0, true), VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_IN, UINT64_MAX);     /* wraps */
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 512, false), VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_OUT, UINT64_MAX / 512);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 1024, true), VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_OUT, 0);             /* not whole sectors */
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 100, true), VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_IN, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 513, false), VIRTIO_BLK_S_IOERR);
}
END_TEST

START_TEST(layout)
{
    /* No writable byte: nothing can be answered. */
    set_hdr(VIRTIO_BLK_T_OUT, 0);
    struct iovec in[2] = { IOV(hdr, 16), IOV(buf, 512) };
    ck_assert_int_eq(blk_parse(in, 2, NULL, 0, &rw_lim, scratch, 512, &r), VIRTIO_BLK_S_IOERR);
    ck_assert_ptr_null(r.status);
    struct iovec empty = IOV(&st, 0);
    ck_assert_int_eq(blk_parse(in, 2, &empty, 1, &rw_lim, scratch, 512, &r), VIRTIO_BLK_S_IOERR);
    ck_assert_ptr_null(r.status);
    /* A short header. */
    struct iovec s = IOV(&st, 1);
    ck_assert_int_eq(blk_parse(in, 0, &s, 1, &rw_lim, scratch, 512, &r), VIRTIO_BLK_S_IOERR);
    ck_assert_ptr_eq(r.status, &st);
    struct iovec h15 = IOV(hdr, 15);
    ck_assert_int_eq(blk_parse(&h15, 1, &s, 1, &rw_lim, scratch, 512, &r), VIRTIO_BLK_S_IOERR);
    /* Data on the wrong side. */
    set_hdr(VIRTIO_BLK_T_OUT, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 512, false), VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_IN, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 512, true), VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_FLUSH, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 512, true), VIRTIO_BLK_S_IOERR);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 512, false), VIRTIO_BLK_S_IOERR);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 0, false), VIRTIO_BLK_S_OK);
    set_hdr(VIRTIO_BLK_T_GET_ID, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 512, true), VIRTIO_BLK_S_IOERR);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 512, false), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(r.len, VIRTIO_BLK_ID_BYTES);
    set_hdr(VIRTIO_BLK_T_DISCARD, 0);
    set_seg(0, 0, 8, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 32, 512, false), VIRTIO_BLK_S_IOERR);
    /* Unknown types. */
    set_hdr(3, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 0, false), VIRTIO_BLK_S_UNSUPP);
    set_hdr(0x80000001u, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 512, true), VIRTIO_BLK_S_UNSUPP);
}
END_TEST

START_TEST(segment_limits)
{
    /* VIRTIO_BLK_SEG_MAX data buffers are fine, one more is not. */
    static struct iovec out[VIRTIO_BLK_SEG_MAX + 2];
    struct iovec in = IOV(hdr, 16);
    set_hdr(VIRTIO_BLK_T_IN, 0);
    for (int i = 0; i < VIRTIO_BLK_SEG_MAX + 1; i++)
        out[i] = IOV(buf, 512);
    out[VIRTIO_BLK_SEG_MAX] = IOV(&st, 1);
    ck_assert_int_eq(blk_parse(&in, 1, out, VIRTIO_BLK_SEG_MAX + 1, &rw_lim, scratch, 512, &r),
                     VIRTIO_BLK_S_OK);
    out[VIRTIO_BLK_SEG_MAX] = IOV(buf, 512);
    out[VIRTIO_BLK_SEG_MAX + 1] = IOV(&st, 1);
    ck_assert_int_eq(blk_parse(&in, 1, out, VIRTIO_BLK_SEG_MAX + 2, &rw_lim, scratch, 512, &r),
                     VIRTIO_BLK_S_IOERR);
    /* A scratch array too small is refused, not overrun. */
    ck_assert_int_eq(blk_parse(&in, 1, out, 4, &rw_lim, scratch, 2, &r), VIRTIO_BLK_S_IOERR);
    /* One buffer over VIRTIO_BLK_SIZE_MAX. */
    static uint8_t big[VIRTIO_BLK_SIZE_MAX + 512];
    struct iovec o2[2] = { IOV(big, sizeof(big)), IOV(&st, 1) };
    ck_assert_int_eq(blk_parse(&in, 1, o2, 2, &rw_lim, scratch, 512, &r), VIRTIO_BLK_S_IOERR);
    o2[0].iov_len = VIRTIO_BLK_SIZE_MAX;
    ck_assert_int_eq(blk_parse(&in, 1, o2, 2, &rw_lim, scratch, 512, &r), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(discard_rules)
{
    set_hdr(VIRTIO_BLK_T_DISCARD, 0);
    set_seg(0, 0, 8, 0);
    set_seg(1, CAP - 8, 8, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 48, 0, true), VIRTIO_BLK_S_OK);
    ck_assert_int_eq(r.nranges, 2);
    ck_assert_uint_eq(r.ranges[1].sector, CAP - 8);
    ck_assert_int_eq(parse_simple(&rw_lim, 16, 0, true), VIRTIO_BLK_S_IOERR);   /* none */
    ck_assert_int_eq(parse_simple(&rw_lim, 40, 0, true), VIRTIO_BLK_S_IOERR);   /* partial */
    for (int i = 0; i < VIRTIO_BLK_DISCARD_SEG_MAX + 1; i++)
        set_seg(i, 0, 1, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 16 + 16 * VIRTIO_BLK_DISCARD_SEG_MAX, 0, true),
                     VIRTIO_BLK_S_OK);
    ck_assert_int_eq(parse_simple(&rw_lim, 32 + 16 * VIRTIO_BLK_DISCARD_SEG_MAX, 0, true),
                     VIRTIO_BLK_S_IOERR);
    set_seg(0, CAP - 7, 8, 0);                 /* past the end */
    ck_assert_int_eq(parse_simple(&rw_lim, 32, 0, true), VIRTIO_BLK_S_IOERR);
    set_seg(0, UINT64_MAX - 2, 8, 0);          /* wraps */
    ck_assert_int_eq(parse_simple(&rw_lim, 32, 0, true), VIRTIO_BLK_S_IOERR);
    struct blk_limits huge = { UINT64_MAX, false, true, true };
    set_seg(0, 0, VIRTIO_BLK_DISCARD_SECTORS_MAX + 1, 0);
    ck_assert_int_eq(parse_simple(&huge, 32, 0, true), VIRTIO_BLK_S_IOERR);
    set_seg(0, 0, 8, VIRTIO_BLK_WZ_F_UNMAP);   /* discard has no flags */
    ck_assert_int_eq(parse_simple(&rw_lim, 32, 0, true), VIRTIO_BLK_S_UNSUPP);
    set_hdr(VIRTIO_BLK_T_WRITE_ZEROES, 0);
    ck_assert_int_eq(parse_simple(&rw_lim, 32, 0, true), VIRTIO_BLK_S_OK);
    set_seg(0, 0, 8, 2);
    ck_assert_int_eq(parse_simple(&rw_lim, 32, 0, true), VIRTIO_BLK_S_UNSUPP);
    /* Not offered. */
    struct blk_limits nod = { CAP, false, false, false };
    set_seg(0, 0, 8, 0);
    ck_assert_int_eq(parse_simple(&nod, 32, 0, true), VIRTIO_BLK_S_UNSUPP);
}
END_TEST

START_TEST(readonly_refusals)
{
    set_hdr(VIRTIO_BLK_T_OUT, 0);
    ck_assert_int_eq(parse_simple(&ro_lim, 16, 512, true), VIRTIO_BLK_S_IOERR);
    struct blk_limits ro_offered = { CAP, true, true, true };
    set_hdr(VIRTIO_BLK_T_DISCARD, 0);
    set_seg(0, 0, 8, 0);
    ck_assert_int_eq(parse_simple(&ro_offered, 32, 0, true), VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_WRITE_ZEROES, 0);
    ck_assert_int_eq(parse_simple(&ro_offered, 32, 0, true), VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_IN, 0);
    ck_assert_int_eq(parse_simple(&ro_lim, 16, 512, false), VIRTIO_BLK_S_OK);
    set_hdr(VIRTIO_BLK_T_FLUSH, 0);
    ck_assert_int_eq(parse_simple(&ro_lim, 16, 0, false), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(options)
{
    struct blk_opt d;
    char err[256];
    ck_assert_int_eq(blk_parse_opt("a.img", 2, &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.path, "a.img");
    ck_assert_str_eq(d.serial, "minivmm-disk2");
    ck_assert(!d.readonly);
    ck_assert_int_eq(d.cache, BLK_CACHE_WRITEBACK);
    ck_assert_int_eq(blk_parse_opt("b,ro,serial=S1,cache=none", 0, &d, err, sizeof(err)), 0);
    ck_assert(d.readonly);
    ck_assert_str_eq(d.serial, "S1");
    ck_assert_int_eq(d.cache, BLK_CACHE_NONE);
    ck_assert_int_eq(blk_parse_opt("b,cache=unsafe", 0, &d, err, sizeof(err)), 0);
    ck_assert_int_eq(d.cache, BLK_CACHE_UNSAFE);
    ck_assert_int_eq(blk_parse_opt("b,serial=12345678901234567890", 0, &d, err, sizeof(err)), 0);
    ck_assert_int_eq(blk_parse_opt("b,serial=123456789012345678901", 0, &d, err, sizeof(err)), -1);
    ck_assert_int_eq(blk_parse_opt("b,serial=", 0, &d, err, sizeof(err)), -1);
    ck_assert_int_eq(blk_parse_opt("b,serial=a b", 0, &d, err, sizeof(err)), -1);
    ck_assert_int_eq(blk_parse_opt("b,rw", 0, &d, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "unknown option 'rw'"), "%s", err);
    ck_assert_int_eq(blk_parse_opt("b,cache=", 0, &d, err, sizeof(err)), -1);
    ck_assert_int_eq(blk_parse_opt("", 0, &d, err, sizeof(err)), -1);
    ck_assert_int_eq(blk_parse_opt(",ro", 0, &d, err, sizeof(err)), -1);
}
END_TEST

/* ---- the image ---- */

static char dir[64], img[96];

static void file_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/minivmm-blk-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(img, sizeof(img), "%s/img", dir);
    int fd = open(img, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    static uint8_t b[CAP * 512];
    for (size_t i = 0; i < sizeof(b); i++)
        b[i] = (uint8_t)(i * 7 + i / 512);
    ck_assert_int_eq(write(fd, b, sizeof(b)), (ssize_t)sizeof(b));
    close(fd);
}

static void file_teardown(void)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/odd", dir);
    unlink(p);
    unlink(img);
    rmdir(dir);
}

static int opened(struct blk_disk *d, const char *path, const char *opts, char *err)
{
    struct blk_opt o;
    char spec[256];
    snprintf(spec, sizeof(spec), "%s%s", path, opts);
    ck_assert_int_eq(blk_parse_opt(spec, 0, &o, err, 256), 0);
    return blk_disk_open(d, &o, err, 256);
}

START_TEST(open_checks)
{
    struct blk_disk d, e;
    char err[256];
    ck_assert_int_eq(opened(&d, "/nonexistent/x", "", err), -1);
    ck_assert_msg(strstr(err, "--disk /nonexistent/x: No such file"), "%s", err);
    ck_assert_int_eq(opened(&d, dir, "", err), -1);
    ck_assert_msg(strstr(err, "is a directory"), "%s", err);
    ck_assert_int_eq(opened(&d, "/dev/null", ",ro", err), -1);
    ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
    char odd[128];
    snprintf(odd, sizeof(odd), "%s/odd", dir);
    int fd = open(odd, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(opened(&d, odd, "", err), -1);
    ck_assert_msg(strstr(err, "is empty"), "%s", err);
    ck_assert_int_eq(write(fd, buf, 513), 513);
    close(fd);
    ck_assert_int_eq(opened(&d, odd, "", err), -1);
    ck_assert_msg(strstr(err, "size 513 is not a multiple of 512"), "%s", err);

    /* The lock: one writer, or any number of readers. */
    ck_assert_int_eq(opened(&d, img, "", err), 0);
    ck_assert_uint_eq(d.lim.capacity, CAP);
    ck_assert_int_eq(opened(&e, img, "", err), -1);
    ck_assert_msg(strstr(err, "locked by another process"), "%s", err);
    ck_assert_int_eq(opened(&e, img, ",ro", err), -1);
    blk_disk_close(&d);
    blk_disk_close(&d);                        /* idempotent */
    ck_assert_int_eq(opened(&d, img, ",ro", err), 0);
    ck_assert(d.lim.readonly && !d.lim.discard);
    ck_assert_int_eq(opened(&e, img, ",ro", err), 0);
    blk_disk_close(&e);
    ck_assert_int_eq(opened(&e, img, "", err), -1);
    blk_disk_close(&d);
}
END_TEST

static uint32_t serve(struct blk_disk *d, struct iovec *in, int nin, struct iovec *out, int nout)
{
    st = 0xee;
    return blk_disk_serve(d, in, nin, out, nout, scratch, 512);
}

START_TEST(serve_on_a_file)
{
    struct blk_disk d;
    char err[256];
    ck_assert_int_eq(opened(&d, img, ",serial=unit-serial", err), 0);
    /* Write 2 sectors at 5, read them back. */
    memset(buf, 0x5a, 1024);
    set_hdr(VIRTIO_BLK_T_OUT, 5);
    struct iovec win[2] = { IOV(hdr, 16), IOV(buf, 1024) }, sout = IOV(&st, 1);
    ck_assert_uint_eq(serve(&d, win, 2, &sout, 1), 1);
    ck_assert_uint_eq(st, VIRTIO_BLK_S_OK);
    uint8_t back[1024];
    int fd = open(img, O_RDONLY);
    ck_assert_int_eq(pread(fd, back, 1024, 5 * 512), 1024);
    ck_assert_mem_eq(back, buf, 1024);
    memset(buf, 0, 1024);
    set_hdr(VIRTIO_BLK_T_IN, 5);
    struct iovec rin = IOV(hdr, 16), rout[3] = { IOV(buf, 512), IOV(buf + 512, 512), IOV(&st, 1) };
    ck_assert_uint_eq(serve(&d, &rin, 1, rout, 3), 1025);
    ck_assert_uint_eq(st, VIRTIO_BLK_S_OK);
    ck_assert_mem_eq(back, buf, 1024);
    /* A write past the end: IOERR, the file keeps its size and bytes. */
    set_hdr(VIRTIO_BLK_T_OUT, CAP - 1);
    ck_assert_uint_eq(serve(&d, win, 2, &sout, 1), 1);
    ck_assert_uint_eq(st, VIRTIO_BLK_S_IOERR);
    struct stat s0;
    ck_assert_int_eq(fstat(fd, &s0), 0);
    ck_assert_int_eq(s0.st_size, CAP * 512);
    /* Flush. */
    set_hdr(VIRTIO_BLK_T_FLUSH, 0);
    ck_assert_uint_eq(serve(&d, &rin, 1, &sout, 1), 1);
    ck_assert_uint_eq(st, VIRTIO_BLK_S_OK);
    /* Get-id: 20 bytes, zero-padded. */
    set_hdr(VIRTIO_BLK_T_GET_ID, 0);
    memset(buf, 0xff, 32);
    struct iovec gout[2] = { IOV(buf, 20), IOV(&st, 1) };
    ck_assert_uint_eq(serve(&d, &rin, 1, gout, 2), 21);
    ck_assert_str_eq((char *)buf, "unit-serial");
    ck_assert_uint_eq(buf[19], 0);
    /* Discard 1 MiB (sectors 0..2047 minus the first 4 KiB): blocks shrink,
     * the bytes read back as zeros. */
    ck_assert_int_eq(fsync(fd), 0);
    ck_assert_int_eq(fstat(fd, &s0), 0);
    set_hdr(VIRTIO_BLK_T_DISCARD, 0);
    set_seg(0, 8, CAP - 8, 0);
    struct iovec din = IOV(hdr, 32);
    ck_assert_uint_eq(serve(&d, &din, 1, &sout, 1), 1);
    ck_assert_uint_eq(st, VIRTIO_BLK_S_OK);
    struct stat s1;
    ck_assert_int_eq(fstat(fd, &s1), 0);
    ck_assert_int_lt(s1.st_blocks, s0.st_blocks);
    ck_assert_int_eq(s1.st_size, s0.st_size);
    ck_assert_int_eq(pread(fd, back, 512, 100 * 512), 512);
    static const uint8_t zero[1024];
    ck_assert_mem_eq(back, zero, 512);
    /* Write-zeroes without unmap on the first sectors. */
    set_hdr(VIRTIO_BLK_T_WRITE_ZEROES, 0);
    set_seg(0, 5, 2, 0);
    ck_assert_uint_eq(serve(&d, &din, 1, &sout, 1), 1);
    ck_assert_uint_eq(st, VIRTIO_BLK_S_OK);
    ck_assert_int_eq(pread(fd, back, 1024, 5 * 512), 1024);
    ck_assert_mem_eq(back, zero, 1024);
    ck_assert_int_eq(pread(fd, back, 512, 4 * 512), 512);
    ck_assert_int_ne(back[1], 0);              /* the sector before is kept */
    /* No status byte: nothing written, length 0. */
    set_hdr(VIRTIO_BLK_T_OUT, 0);
    ck_assert_uint_eq(blk_disk_serve(&d, win, 2, NULL, 0, scratch, 512), 0);
    ck_assert_int_eq(pread(fd, back, 512, 0), 512);
    ck_assert_int_ne(back[1], 0x5a);
    close(fd);
    blk_disk_close(&d);
}
END_TEST

START_TEST(readonly_file)
{
    struct blk_disk d;
    char err[256];
    ck_assert_int_eq(opened(&d, img, ",ro", err), 0);
    uint8_t before[512], after[512];
    int fd = open(img, O_RDONLY);
    ck_assert_int_eq(pread(fd, before, 512, 0), 512);
    memset(buf, 0x11, 512);
    set_hdr(VIRTIO_BLK_T_OUT, 0);
    struct iovec win[2] = { IOV(hdr, 16), IOV(buf, 512) }, sout = IOV(&st, 1);
    ck_assert_uint_eq(serve(&d, win, 2, &sout, 1), 1);
    ck_assert_uint_eq(st, VIRTIO_BLK_S_IOERR);
    set_hdr(VIRTIO_BLK_T_WRITE_ZEROES, 0);
    set_seg(0, 0, 1, 0);
    struct iovec din = IOV(hdr, 32);
    ck_assert_uint_eq(serve(&d, &din, 1, &sout, 1), 1);
    ck_assert_uint_eq(st, VIRTIO_BLK_S_UNSUPP);
    ck_assert_int_eq(pread(fd, after, 512, 0), 512);
    ck_assert_mem_eq(before, after, 512);
    close(fd);
    blk_disk_close(&d);
}
END_TEST

START_TEST(device_registers)
{
    static uint8_t ram[1 << 20];
    struct guest_mem mem = { .host = ram, .low_size = sizeof(ram) };
    struct blk_disk d;
    char err[256];
    ck_assert_int_eq(opened(&d, img, "", err), 0);
    struct virtio_blk *b = virtio_blk_new(NULL, &mem, 0xd0000000, 5, &d, err, sizeof(err));
    ck_assert_msg(b != NULL, "%s", err);
    ck_assert_int_eq(d.fd, -1);                /* taken over */
    struct virtio_mmio *m = virtio_blk_transport(b);
    uint8_t v[4];
    virtio_mmio_io(m, VIRTIO_MMIO_DEVICE_ID, v, 4, false);
    ck_assert_uint_eq(v[0], VIRTIO_ID_BLOCK);
    virtio_mmio_io(m, VIRTIO_MMIO_DEVICE_FEATURES, v, 4, false);
    uint32_t f = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 |
                 (uint32_t)v[3] << 24;
    ck_assert(f & 1u << VIRTIO_BLK_F_FLUSH);
    ck_assert(f & 1u << VIRTIO_BLK_F_DISCARD);
    ck_assert(!(f & 1u << VIRTIO_BLK_F_RO));
    virtio_mmio_io(m, VIRTIO_MMIO_CONFIG, v, 4, false);
    ck_assert_uint_eq(v[0] | v[1] << 8, CAP);
    virtio_mmio_io(m, VIRTIO_MMIO_CONFIG + 12, v, 4, false);
    ck_assert_uint_eq(v[0], VIRTIO_BLK_SEG_MAX);
    /* The image stays locked while the device lives. */
    struct blk_disk e;
    ck_assert_int_eq(opened(&e, img, ",ro", err), -1);
    virtio_blk_free(b);
    ck_assert_int_eq(opened(&e, img, "", err), 0);
    blk_disk_close(&e);
}
END_TEST


/* ---- the device through the transport, worker pool (vm NULL) ---- */

#define QN 16
#define T_DESC 0x1000
#define T_AVAIL 0x2000
#define T_USED 0x3000
#define T_HDR 0x10000               /* request i: header at T_HDR + 32 i */
#define T_STATUS 0x11000            /* status byte i at T_STATUS + i */
#define T_DATA 0x100000             /* data of request i at T_DATA + 64 KiB i */

static uint8_t *tram;
static struct virtio_mmio *tm;
static uint16_t tavail;

static void tw32(uint64_t off, uint32_t v)
{
    uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    virtio_mmio_io(tm, off, d, 4, true);
}

static uint16_t tused(void) { return __atomic_load_n((uint16_t *)(tram + T_USED + 2), __ATOMIC_ACQUIRE); }

static void tbring_up(void)
{
    tw32(VIRTIO_MMIO_STATUS, 0);
    memset(tram + T_DESC, 0, 0x3000);
    tavail = 0;
    tw32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    tw32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    tw32(VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_BLK_F_FLUSH);
    tw32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    tw32(VIRTIO_MMIO_DRIVER_FEATURES, 1);
    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    tw32(VIRTIO_MMIO_STATUS, st);
    tw32(VIRTIO_MMIO_QUEUE_SEL, 0);
    tw32(VIRTIO_MMIO_QUEUE_NUM, QN);
    tw32(VIRTIO_MMIO_QUEUE_DESC_LOW, T_DESC);
    tw32(VIRTIO_MMIO_QUEUE_DRIVER_LOW, T_AVAIL);
    tw32(VIRTIO_MMIO_QUEUE_DEVICE_LOW, T_USED);
    tw32(VIRTIO_MMIO_QUEUE_READY, 1);
    tw32(VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
    ck_assert_uint_eq(virtio_mmio_status(tm), st | VIRTIO_STATUS_DRIVER_OK);
}

/* Request i (descriptors 3i..3i+2): 64 KiB of TYPE at sector 128 i. */
static void tpost(int i, uint32_t type)
{
    uint8_t *h = tram + T_HDR + 32 * i;
    memset(h, 0, 16);
    put64(h, type);
    put64(h + 8, 128ULL * (unsigned)i);
    struct virtq_desc d[3] = {
        { T_HDR + 32ULL * (unsigned)i, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(3 * i + 1) },
        { T_DATA + 0x10000ULL * (unsigned)i, 0x10000,
          (uint16_t)(VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0)),
          (uint16_t)(3 * i + 2) },
        { T_STATUS + (uint64_t)i, 1, VIRTQ_DESC_F_WRITE, 0 },
    };
    memcpy(tram + T_DESC + 16 * 3 * i, d, sizeof(d));
    tram[T_STATUS + i] = 0xee;
    uint16_t *a = (uint16_t *)(tram + T_AVAIL);
    a[2 + tavail % QN] = (uint16_t)(3 * i);
    tavail++;
    __atomic_store_n(&a[1], tavail, __ATOMIC_RELEASE);
}

/* Waits (hang guard 10 s, not a speed check) until the used index is n. */
static void twait(uint16_t n)
{
    for (int i = 0; tused() != n; i++) {
        ck_assert_int_lt(i, 200000);
        usleep(50);
    }
}

START_TEST(pool_through_transport)
{
    tram = mmap(NULL, T_DATA + 0x10000 * 5, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(tram, MAP_FAILED);
    struct guest_mem mem = { .host = tram, .low_size = T_DATA + 0x10000 * 5 };
    struct blk_disk d;
    char err[256];
    ck_assert_int_eq(opened(&d, img, "", err), 0);
    struct virtio_blk *b = virtio_blk_new(NULL, &mem, 0xd0000000, 5, &d, err, sizeof(err));
    ck_assert_msg(b != NULL, "%s", err);
    tm = virtio_blk_transport(b);
    tbring_up();
    /* Five 64 KiB writes at once, through the workers. */
    for (int i = 0; i < 5; i++) {
        memset(tram + T_DATA + 0x10000 * i, 'a' + i, 0x10000);
        tpost(i, VIRTIO_BLK_T_OUT);
    }
    ck_assert_int_eq(virtio_mmio_process_queue(tm, 0), 5);
    twait(5);
    int fd = open(img, O_RDONLY);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(tram[T_STATUS + i], VIRTIO_BLK_S_OK);
        uint8_t c[2];
        ck_assert_int_eq(pread(fd, c, 1, 0x10000 * i), 1);
        ck_assert_int_eq(pread(fd, c + 1, 1, 0x10000 * i + 0xffff), 1);
        ck_assert_int_eq(c[0], 'a' + i);
        ck_assert_int_eq(c[1], 'a' + i);
    }
    close(fd);
    /* Reads in flight, then a reset: once it returns nothing of the old
     * queue changes any more. */
    for (int round = 0; round < 20; round++) {
        tbring_up();
        for (int i = 0; i < 5; i++)
            tpost(i, VIRTIO_BLK_T_IN);
        ck_assert_int_eq(virtio_mmio_process_queue(tm, 0), 5);
        tw32(VIRTIO_MMIO_STATUS, 0);
        uint16_t u = tused();
        uint8_t snap[5];
        memcpy(snap, tram + T_STATUS, 5);
        usleep(2000);
        ck_assert_uint_eq(tused(), u);
        ck_assert_mem_eq(snap, tram + T_STATUS, 5);
    }
    /* And the device still works: the five writes read back. */
    tbring_up();
    memset(tram + T_DATA, 0, 0x10000 * 5);
    for (int i = 0; i < 5; i++)
        tpost(i, VIRTIO_BLK_T_IN);
    ck_assert_int_eq(virtio_mmio_process_queue(tm, 0), 5);
    twait(5);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(tram[T_STATUS + i], VIRTIO_BLK_S_OK);
        ck_assert_int_eq(tram[T_DATA + 0x10000 * i + 0x1234], 'a' + i);
    }
    virtio_blk_free(b);
    munmap(tram, T_DATA + 0x10000 * 5);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("virtio_blk");
    TCase *t = tcase_create("parse");
    tcase_add_test(t, read_and_write_ok);
    tcase_add_test(t, header_split_and_empty_buffers);
    tcase_add_test(t, bounds);
    tcase_add_test(t, layout);
    tcase_add_test(t, segment_limits);
    tcase_add_test(t, discard_rules);
    tcase_add_test(t, readonly_refusals);
    tcase_add_test(t, options);
    suite_add_tcase(s, t);
    TCase *f = tcase_create("file");
    tcase_add_checked_fixture(f, file_setup, file_teardown);
    tcase_add_test(f, open_checks);
    tcase_add_test(f, serve_on_a_file);
    tcase_add_test(f, readonly_file);
    tcase_add_test(f, device_registers);
    tcase_add_test(f, pool_through_transport);
    suite_add_tcase(s, f);
    return s;
}

TEST_MAIN(suite)
