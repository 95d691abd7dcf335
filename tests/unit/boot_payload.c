/* payload_unpack: a bzImage's compressed vmlinux unpacked on the host.
 * The real Debian kernel ($MINIVMM_TEST_KERNEL) must unpack byte for byte
 * as the xz tool unpacks it; every other format is made here with its
 * command-line tool, laid out as the kernel's build lays it out, and then
 * broken in each way a hostile image could be. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/bzimage.h"
#include "boot/payload.h"
#include "tests/unit/testutil.h"

static char dir[] = "/tmp/minivmm-payload-XXXXXX";

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static void spit(const char *path, const uint8_t *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* 9 MiB that compress like a kernel: text, runs and noise (two lz4 blocks). */
#define SAMPLE_LEN ((9u << 20) + 12345)
static uint8_t *sample(void)
{
    uint8_t *p = malloc(SAMPLE_LEN);
    uint32_t x = 12345;
    for (size_t i = 0; i < SAMPLE_LEN; i++) {
        x = x * 1103515245u + 12345u;
        size_t blk = (i >> 12) % 3;
        p[i] = blk == 0 ? (uint8_t)"minivmm unpacks kernels on the host. "[i % 37] :
               blk == 1 ? (uint8_t)(i >> 9) : (uint8_t)(x >> 24);
    }
    return p;
}

struct fmt {
    const char *name, *cmd;    /* cmd compresses IN to OUT */
    bool sized;                /* the build appends the size (all but gzip) */
    bool checksummed;          /* a flipped byte near the end is always caught */
};
static const struct fmt fmts[] = {
    { "gzip", "gzip -n -9 -c IN > OUT", false, true },
    { "bzip2", "bzip2 -9 -c IN > OUT", true, true },
    { "lzma", "xz --format=lzma -6 -c IN > OUT", true, false },
    { "xz", "xz --check=crc32 --x86 --lzma2=dict=32MiB -6 -c IN > OUT", true, true },
    { "lzo", "lzop -9 -c IN > OUT", true, true },
    { "lz4", "lz4 -l -9 -c IN > OUT", true, false },
    { "zstd", "zstd -q -9 -c IN > OUT", true, true },
};
#define NFMTS (sizeof(fmts) / sizeof(fmts[0]))

/* The payload of format i for data[len], as the kernel's build makes it;
 * *slen gets the length of the stream alone. */
static uint8_t *make_payload(size_t i, const uint8_t *data, size_t len, size_t *plen, size_t *slen)
{
    char in[128], out[128], cmd[512];
    snprintf(in, sizeof(in), "%s/in", dir);
    snprintf(out, sizeof(out), "%s/out.%s", dir, fmts[i].name);
    spit(in, data, len);
    const char *c = fmts[i].cmd;
    size_t n = 0;
    while (*c && n < sizeof(cmd) - 200) {
        if (!strncmp(c, "IN", 2)) { n += (size_t)sprintf(cmd + n, "%s", in); c += 2; }
        else if (!strncmp(c, "OUT", 3)) { n += (size_t)sprintf(cmd + n, "%s", out); c += 3; }
        else cmd[n++] = *c++;
    }
    cmd[n] = 0;
    ck_assert_msg(system(cmd) == 0, "%s failed (is its tool installed? tests/deps.sh)", cmd);
    uint8_t *p = slurp(out, slen);
    ck_assert_ptr_nonnull(p);
    *plen = *slen;
    if (fmts[i].sized) {
        p = realloc(p, *slen + 4);
        put_le32(p + *slen, (uint32_t)len);
        *plen += 4;
    }
    return p;
}

static void expect_fail(const char *what, const uint8_t *p, size_t len, size_t max,
                        const char *needle)
{
    uint8_t *out = (uint8_t *)1;
    size_t outlen = 7;
    char err[256] = "";
    ck_assert_msg(payload_unpack(p, len, max, &out, &outlen, err, sizeof(err)) == -1,
                  "%s: accepted", what);
    ck_assert_msg(out == NULL && outlen == 0, "%s: output left behind", what);
    ck_assert_msg(strstr(err, needle), "%s: error '%s' lacks '%s'", what, err, needle);
    ck_assert_msg(!strchr(err, '\n'), "%s: error is not one line", what);
}

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(dir)); }
static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir + strlen(dir) - 6, "XXXXXX");
}

START_TEST(every_format_round_trips)
{
    size_t i = (size_t)_i;
    uint8_t *data = sample();
    size_t plen, slen;
    uint8_t *p = make_payload(i, data, SAMPLE_LEN, &plen, &slen);
    ck_assert_int_eq(payload_format(p, plen), (int)(i + 1));
    ck_assert_str_eq(payload_format_name(payload_format(p, plen)), fmts[i].name);
    uint8_t *out;
    size_t outlen;
    char err[256];
    ck_assert_msg(payload_unpack(p, plen, SAMPLE_LEN, &out, &outlen, err, sizeof(err)) == 0,
                  "%s: %s", fmts[i].name, err);
    ck_assert_uint_eq(outlen, SAMPLE_LEN);
    ck_assert_msg(!memcmp(out, data, SAMPLE_LEN), "%s: unpacked bytes differ", fmts[i].name);
    free(out);
    free(p);
    free(data);
}
END_TEST

START_TEST(every_format_refuses_broken_payloads)
{
    size_t i = (size_t)_i;
    const char *f = fmts[i].name;
    uint8_t *data = sample();
    size_t plen, slen;
    uint8_t *p = make_payload(i, data, SAMPLE_LEN, &plen, &slen);
    uint8_t *b = malloc(plen + 64);
    char what[64];

    /* Truncated: half the stream, then the size as the build appends it. */
    size_t half = slen / 2;
    memcpy(b, p, half);
    if (fmts[i].sized)
        put_le32(b + half, SAMPLE_LEN);
    snprintf(what, sizeof(what), "%s truncated", f);
    if (fmts[i].sized)
        expect_fail(what, b, half + 4, SAMPLE_LEN, f);
    else      /* gzip's own trailer goes with the cut: its "size" is now noise */
        expect_fail(what, b, half, 1u << 30, f);

    /* Output larger than the kernel allows (init_size). */
    snprintf(what, sizeof(what), "%s larger than allowed", f);
    expect_fail(what, p, plen, SAMPLE_LEN - 1, "at most");

    /* Trailing garbage between the stream and the size. */
    memcpy(b, p, slen);
    memset(b + slen, 0xa5, 16);
    memcpy(b + slen + 16, p + slen, plen - slen);
    snprintf(what, sizeof(what), "%s trailing garbage", f);
    if (fmts[i].sized)
        expect_fail(what, b, plen + 16, SAMPLE_LEN, f);

    /* A recorded size smaller than what the stream holds. */
    if (fmts[i].sized) {
        memcpy(b, p, plen);
        put_le32(b + slen, SAMPLE_LEN - 4096);
        snprintf(what, sizeof(what), "%s more than recorded", f);
        expect_fail(what, b, plen, SAMPLE_LEN, fmts[i].checksummed ? "more than" : f);
        put_le32(b + slen, SAMPLE_LEN + 4096);
        snprintf(what, sizeof(what), "%s fewer than recorded", f);
        expect_fail(what, b, plen, SAMPLE_LEN + 4096, f);
    }

    /* A flipped byte in the middle of the stream: formats with checksums
     * always catch it (lzma and lz4's legacy frame have none). */
    if (fmts[i].checksummed) {
        memcpy(b, p, plen);
        b[slen * 3 / 4] ^= 0x40;
        snprintf(what, sizeof(what), "%s corrupt", f);
        expect_fail(what, b, plen, SAMPLE_LEN, "corrupt");
    }
    free(b);
    free(p);
    free(data);
}
END_TEST

START_TEST(unknown_and_tiny_payloads)
{
    static const uint8_t junk[16] = "not compressed!";
    expect_fail("junk", junk, sizeof(junk), 1 << 20, "not recognised");
    static const uint8_t tiny[5] = { 0x1f, 0x8b, 8, 0, 0 };
    expect_fail("tiny gzip", tiny, sizeof(tiny), 1 << 20, "truncated");
}
END_TEST

/* The Debian kernel's payload (xz) unpacks exactly as the xz tool does. */
START_TEST(debian_kernel_matches_xz)
{
    const char *k = getenv("MINIVMM_TEST_KERNEL");
    ck_assert_msg(k && *k, "MINIVMM_TEST_KERNEL is not set (run tests/deps.sh; tests/all "
                  "reads build/debian/env)");
    size_t klen;
    uint8_t *img = slurp(k, &klen);
    ck_assert_msg(img != NULL, "cannot read %s", k);
    struct bz_info bz;
    char err[256];
    ck_assert_msg(bz_parse(img, klen, &bz, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(payload_format(bz.payload, bz.payload_len), PAYLOAD_XZ);
    uint8_t *out;
    size_t outlen;
    ck_assert_msg(payload_unpack(bz.payload, bz.payload_len, bz.init_size, &out, &outlen, err,
                                 sizeof(err)) == 0, "%s", err);
    ck_assert_mem_eq(out, "\x7f" "ELF", 4);

    char in[128], ref[128], cmd[400];
    snprintf(in, sizeof(in), "%s/payload.xz", dir);
    snprintf(ref, sizeof(ref), "%s/vmlinux.bin", dir);
    spit(in, bz.payload, bz.payload_len - 4);           /* the stream, without the size */
    snprintf(cmd, sizeof(cmd), "xz -dc %s > %s", in, ref);
    ck_assert_int_eq(system(cmd), 0);
    size_t rlen;
    uint8_t *r = slurp(ref, &rlen);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(outlen, rlen);
    ck_assert_msg(!memcmp(out, r, rlen), "unpacked bytes differ from xz's");
    free(r);
    free(out);
    free(img);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("boot_payload");
    TCase *tc = tcase_create("formats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, every_format_round_trips, 0, NFMTS);
    tcase_add_loop_test(tc, every_format_refuses_broken_payloads, 0, NFMTS);
    tcase_add_test(tc, unknown_and_tiny_payloads);
    tcase_add_test(tc, debian_kernel_matches_xz);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
