/* bz_parse and bz_load_address on a real Debian bzImage and on corrupt
 * images derived from it (or built here byte by byte).  Every corrupt image
 * lives in a malloc block of exactly its length, so an ASan build catches a
 * read past its end.
 *
 * The Debian kernel: $MINIVMM_TEST_KERNEL, else build/debian/boot/vmlinuz-*
 * or build/debian/root/boot/vmlinuz-* (what `make deps` unpacks), looked up
 * from the current directory and from the tree this binary was built in.
 * No kernel found is a failure, never a skip. */
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/bzimage.h"
#include "boot/layout.h"
#include "tests/unit/testutil.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }

/* ---- the real kernel ---------------------------------------------------- */

static uint8_t *kimg;
static size_t klen;
static char kpath[4096];

static int first_match(const char *pattern, char *out, size_t outlen)
{
    glob_t g;
    int found = 0;
    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        snprintf(out, outlen, "%s", g.gl_pathv[0]);
        found = 1;
    }
    globfree(&g);
    return found;
}

/* Fills kpath; returns 0 when no kernel was found (tried is then set). */
static int find_kernel(char *tried, size_t triedlen)
{
    const char *env = getenv("MINIVMM_TEST_KERNEL");
    if (env && *env) {
        snprintf(kpath, sizeof(kpath), "%s", env);
        return 1;
    }
    /* Relative to the current directory, then to the top of the tree that
     * holds this binary (TOP/build/tests/NAME or TOP/build-san/tests/NAME). */
    char tops[2][4096] = { ".", "" };
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = 0;
        }
        snprintf(tops[1], sizeof(tops[1]), "%s", exe);
    }
    static const char *const rel[] = { "build/debian/boot/vmlinuz-*",
                                       "build/debian/root/boot/vmlinuz-*" };
    size_t used = 0;
    tried[0] = 0;
    for (int t = 0; t < 2; t++) {
        if (!tops[t][0])
            continue;
        for (size_t r = 0; r < sizeof(rel) / sizeof(rel[0]); r++) {
            char pat[8300];
            snprintf(pat, sizeof(pat), "%s/%s", tops[t], rel[r]);
            if (first_match(pat, kpath, sizeof(kpath)))
                return 1;
            if (used < triedlen)
                used += (size_t)snprintf(tried + used, triedlen - used, " %s", pat);
        }
    }
    return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = sz > 0 ? malloc((size_t)sz) : NULL;
    if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)sz;
    return buf;
}

static void kernel_setup(void)
{
    char tried[2048];
    ck_assert_msg(find_kernel(tried, sizeof(tried)),
                  "no Debian kernel to test with: set MINIVMM_TEST_KERNEL=/path/to/vmlinuz or "
                  "run `make deps` (tests/deps.sh) or `apt-get download linux-image-6.1.0-56-amd64 "
                  "&& dpkg -x *.deb build/debian/`; looked for:%s", tried);
    kimg = slurp(kpath, &klen);
    ck_assert_msg(kimg != NULL, "cannot read kernel %s", kpath);
    ck_assert_msg(klen > 1024 * 1024, "%s is only %zu bytes: not a distribution kernel", kpath, klen);
}

static void kernel_teardown(void)
{
    free(kimg);
    kimg = NULL;
}

/* A copy of the first len bytes of the kernel in a block of exactly len bytes. */
static uint8_t *kcopy(size_t len)
{
    ck_assert(len <= klen);
    uint8_t *p = malloc(len ? len : 1);
    ck_assert(p != NULL);
    memcpy(p, kimg, len);
    return p;
}

static size_t setup_size_of(const uint8_t *img)
{
    return ((img[0x1f1] ? img[0x1f1] : 4) + 1) * 512u;
}

static size_t syssize_bytes(const uint8_t *img) { return (size_t)rd32(img + 0x1f4) * 16; }

static int parse(const uint8_t *img, size_t len, struct bz_info *bz, char *err, size_t errlen)
{
    memset(err, 0, errlen);
    return bz_parse(img, len, bz, err, errlen);
}

/* bz_parse must fail with a one-line reason containing `want`. */
static void expect_fail(const uint8_t *img, size_t len, const char *want, const char *what)
{
    struct bz_info bz;
    char err[256];
    int r = parse(img, len, &bz, err, sizeof(err));
    ck_assert_msg(r == -1, "%s: bz_parse returned %d, want -1", what, r);
    ck_assert_msg(err[0] != 0, "%s: no reason given", what);
    ck_assert_msg(!strchr(err, '\n'), "%s: reason is not one line: '%s'", what, err);
    if (want)
        ck_assert_msg(strstr(err, want), "%s: reason '%s' does not mention '%s'", what, err, want);
}

/* ---- the real kernel parses ------------------------------------------- */

START_TEST(debian_kernel_header)
{
    struct bz_info bz;
    char err[256];
    int r = parse(kimg, klen, &bz, err, sizeof(err));
    ck_assert_msg(r == 0, "bz_parse(%s) failed: %s", kpath, err);
    ck_assert_msg(bz.protocol >= 0x020c, "protocol 0x%x", bz.protocol);
    ck_assert_uint_eq(bz.protocol, rd16(kimg + 0x206));
    ck_assert(bz.xloadflags & XLF_KERNEL_64);
    ck_assert_uint_eq(bz.xloadflags, rd16(kimg + 0x236));
    ck_assert_uint_eq(bz.relocatable, 1);
    ck_assert_msg(strncmp(bz.version, "6.1", 3) == 0, "version '%s'", bz.version);
    /* The version is the first word of the kernel_version string and is what
     * the package calls the image: vmlinuz-VERSION. */
    const char *base = strrchr(kpath, '/') ? strrchr(kpath, '/') + 1 : kpath;
    if (strncmp(base, "vmlinuz-", 8) == 0)
        ck_assert_str_eq(bz.version, base + 8);
    ck_assert_msg(bz.init_size > bz.kernel_size, "init_size %u <= kernel_size %zu",
                  bz.init_size, bz.kernel_size);
    ck_assert_uint_eq(bz.init_size, rd32(kimg + 0x260));
    ck_assert_uint_ge(bz.cmdline_size, 2047);
    ck_assert_uint_eq(bz.setup_size, setup_size_of(kimg));
    ck_assert_ptr_eq(bz.kernel, kimg + bz.setup_size);
    ck_assert_uint_eq(bz.kernel_size, klen - bz.setup_size);
    ck_assert_uint_ge(bz.kernel_size, syssize_bytes(kimg));
    ck_assert_uint_eq(bz.hdr_len, 0x202u + kimg[0x201] - 0x1f1u);
    ck_assert_uint_ge(bz.hdr_len, 0x268u - 0x1f1u);
    ck_assert_uint_eq(bz.kernel_alignment, rd32(kimg + 0x230));
    ck_assert(bz.kernel_alignment && !(bz.kernel_alignment & (bz.kernel_alignment - 1)));
    ck_assert_uint_ge(bz.pref_address, LAYOUT_HIMEM);
    ck_assert_uint_eq(bz.pref_address % bz.kernel_alignment, 0);
    ck_assert_uint_ge(bz.initrd_addr_max, 0x37ffffff);
}
END_TEST

/* Without the appended signature (setup + syssize*16 bytes) it still parses:
 * the truncation checks are not stricter than the protocol. */
START_TEST(debian_kernel_exact_syssize)
{
    size_t len = setup_size_of(kimg) + syssize_bytes(kimg);
    ck_assert_uint_le(len, klen);
    uint8_t *img = kcopy(len);
    struct bz_info bz;
    char err[256];
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(bz.kernel_size, syssize_bytes(kimg));
    free(img);
}
END_TEST

/* ---- truncated copies of the real kernel ------------------------------ */

START_TEST(truncated_kernel)
{
    size_t setup = setup_size_of(kimg), sys = syssize_bytes(kimg);
    const struct { size_t len; const char *what; } cuts[] = {
        { 0x300, "inside the setup code" },
        { setup - 1, "one byte short of the setup sectors" },
        { setup, "setup sectors only" },
        { setup + 1, "one kernel byte" },
        { setup + 4096, "one kernel page" },
        { klen / 2, "half the file" },
        { setup + sys - 1, "one byte short of syssize*16" },
    };
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        uint8_t *img = kcopy(cuts[i].len);
        char what[128];
        snprintf(what, sizeof(what), "cut at %zu bytes (%s)", cuts[i].len, cuts[i].what);
        expect_fail(img, cuts[i].len, "truncated", what);
        free(img);
    }
}
END_TEST

/* A download that stopped right after the setup header (0x1f1 + hdr_len
 * bytes: "HdrS", protocol and all header fields present) is a truncated
 * kernel, and the user should be told so, not "not a bzImage". */
START_TEST(truncated_after_setup_header)
{
    size_t hdr_end = 0x202u + kimg[0x201];
    ck_assert_uint_le(hdr_end, 0x300);
    uint8_t *img = kcopy(hdr_end);
    char what[64];
    snprintf(what, sizeof(what), "cut after the setup header (%zu bytes)", hdr_end);
    expect_fail(img, hdr_end, "truncated", what);
    free(img);
}
END_TEST

START_TEST(payload_beyond_file)
{
    size_t len = setup_size_of(kimg) + syssize_bytes(kimg);
    uint8_t *img = kcopy(len);
    /* payload_offset + payload_length one byte past the end of the kernel */
    wr32(img + 0x24c, (uint32_t)(syssize_bytes(kimg) - rd32(img + 0x248) + 1));
    expect_fail(img, len, "truncated", "payload_length past the end");
    /* ... and with a wrapping 32-bit sum */
    wr32(img + 0x248, 0xfffffff0u);
    wr32(img + 0x24c, 0x20);
    expect_fail(img, len, "truncated", "payload_offset + payload_length wraps");
    free(img);
}
END_TEST

/* ---- header corruptions of the real kernel ---------------------------- */

/* A copy of the first setup + 64 KiB (syssize patched to fit), so that a
 * field change is the only thing wrong. */
static uint8_t *small_valid(size_t *len)
{
    size_t setup = setup_size_of(kimg);
    *len = setup + 65536;
    uint8_t *img = kcopy(*len);
    wr32(img + 0x1f4, 65536 / 16);
    wr32(img + 0x248, 0x100);     /* payload inside the copy */
    wr32(img + 0x24c, 0x1000);
    struct bz_info bz;
    char err[256];
    ck_assert_msg(parse(img, *len, &bz, err, sizeof(err)) == 0, "base image: %s", err);
    return img;
}

START_TEST(no_hdrs_signature)
{
    size_t len;
    uint8_t *img = small_valid(&len);
    memcpy(img + 0x202, "HdrT", 4);
    expect_fail(img, len, "not a bzImage", "HdrS -> HdrT");
    free(img);
}
END_TEST

START_TEST(bad_boot_flag)
{
    size_t len;
    uint8_t *img = small_valid(&len);
    wr16(img + 0x1fe, 0x55aa);
    expect_fail(img, len, "not a bzImage", "boot_flag 0x55aa");
    wr16(img + 0x1fe, 0);
    expect_fail(img, len, "not a bzImage", "boot_flag 0");
    free(img);
}
END_TEST

START_TEST(protocol_too_old)
{
    size_t len;
    uint8_t *img = small_valid(&len);
    wr16(img + 0x206, 0x020b);
    expect_fail(img, len, "2.11", "protocol 2.11");
    expect_fail(img, len, "too old", "protocol 2.11");
    wr16(img + 0x206, 0x0100);
    expect_fail(img, len, "too old", "protocol 1.00");
    /* 2.12 is the oldest that is accepted */
    wr16(img + 0x206, 0x020c);
    struct bz_info bz;
    char err[256];
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "protocol 2.12: %s", err);
    ck_assert_uint_eq(bz.protocol, 0x020c);
    free(img);
}
END_TEST

START_TEST(no_64bit_entry)
{
    size_t len;
    uint8_t *img = small_valid(&len);
    wr16(img + 0x236, (uint16_t)(rd16(img + 0x236) & ~XLF_KERNEL_64));
    expect_fail(img, len, "64-bit", "xloadflags without XLF_KERNEL_64");
    free(img);
}
END_TEST

START_TEST(bad_kernel_alignment)
{
    size_t len;
    uint8_t *img = small_valid(&len);
    const uint32_t bad[] = { 0, 0x300000, 0x200001, 0xffffffff };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wr32(img + 0x230, bad[i]);
        char what[64];
        snprintf(what, sizeof(what), "kernel_alignment 0x%x", bad[i]);
        expect_fail(img, len, "kernel_alignment", what);
    }
    wr32(img + 0x230, 0x1000);             /* any power of two is fine */
    struct bz_info bz;
    char err[256];
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "alignment 4 KiB: %s", err);
    ck_assert_uint_eq(bz.kernel_alignment, 0x1000);
    free(img);
}
END_TEST

START_TEST(malformed_jump)
{
    size_t len;
    uint8_t *img = small_valid(&len);
    uint8_t jmp = img[0x200], off = img[0x201];
    img[0x200] = 0xe9;                     /* near jmp, not the short jmp */
    expect_fail(img, len, "malformed", "jump opcode 0xe9");
    img[0x200] = 0;
    expect_fail(img, len, "malformed", "jump opcode 0");
    img[0x200] = jmp;
    img[0x201] = 0x10;                     /* header would end at 0x212 */
    expect_fail(img, len, "malformed", "jump to 0x212");
    img[0x201] = 0x65;                     /* ends at 0x267, before init_size ends */
    expect_fail(img, len, "malformed", "jump to 0x267");
    img[0x201] = off;
    struct bz_info bz;
    char err[256];
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "restored: %s", err);
    free(img);
}
END_TEST

START_TEST(tiny_files)
{
    static const size_t lens[] = { 0, 1, 16, 0x1ff, 0x200, 0x26f };
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        uint8_t *img = calloc(1, lens[i] ? lens[i] : 1);
        char what[64];
        snprintf(what, sizeof(what), "%zu zero bytes", lens[i]);
        expect_fail(img, lens[i], NULL, what);
        free(img);
    }
    /* Not a kernel at all: a text file */
    const char *text = "#!/bin/sh\necho this is not a kernel\n";
    size_t tl = strlen(text);
    uint8_t *img = malloc(tl);
    memcpy(img, text, tl);
    expect_fail(img, tl, NULL, "a shell script");
    free(img);
    /* 4 KiB of a shell script padded with spaces */
    img = malloc(4096);
    memset(img, ' ', 4096);
    memcpy(img, text, tl);
    expect_fail(img, 4096, "not a bzImage", "4 KiB of text");
    free(img);
}
END_TEST

/* ---- a minimal image built here: version string edge cases ----------- */

#define MINI_SETUP 1024
#define MINI_KERNEL 4096

/* A 2.15 image with one setup sector whose kernel is all 'K' (printable, so
 * a version copy that runs past the setup would pick it up). */
static uint8_t *mini_image(size_t *len)
{
    *len = MINI_SETUP + MINI_KERNEL;
    uint8_t *img = calloc(1, *len);
    ck_assert(img != NULL);
    img[0x1f1] = 1;
    wr32(img + 0x1f4, MINI_KERNEL / 16);
    wr16(img + 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x6a;
    memcpy(img + 0x202, "HdrS", 4);
    wr16(img + 0x206, 0x020f);
    img[0x211] = LOADED_HIGH;
    wr32(img + 0x22c, 0x7fffffff);
    wr32(img + 0x230, 0x200000);
    wr16(img + 0x236, XLF_KERNEL_64);
    wr32(img + 0x238, 2047);
    wr32(img + 0x260, 0x10000);
    memset(img + MINI_SETUP, 'K', MINI_KERNEL);
    return img;
}

START_TEST(mini_image_parses)
{
    size_t len;
    uint8_t *img = mini_image(&len);
    const char *v = "9.9.9-test (someone@example) #1";
    wr16(img + 0x20e, 0x300 - 0x200);
    memcpy(img + 0x300, v, strlen(v) + 1);
    struct bz_info bz;
    char err[256];
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(bz.version, "9.9.9-test");
    ck_assert_uint_eq(bz.setup_size, MINI_SETUP);
    ck_assert_uint_eq(bz.kernel_size, MINI_KERNEL);
    ck_assert_uint_eq(bz.relocatable, 0);
    ck_assert_uint_eq(bz.init_size, 0x10000);
    /* no kernel_version offset: empty version */
    wr16(img + 0x20e, 0);
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(bz.version, "");
    free(img);
}
END_TEST

START_TEST(version_unterminated_at_setup_end)
{
    size_t len;
    uint8_t *img = mini_image(&len);
    struct bz_info bz;
    char err[256];
    /* 20 printable bytes up to the last byte of setup, then the kernel ('K's) */
    memset(img + MINI_SETUP - 20, 'V', 20);
    wr16(img + 0x20e, (uint16_t)(MINI_SETUP - 20 - 0x200));
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(bz.version, "VVVVVVVVVVVVVVVVVVVV");
    /* Longer than the version buffer: cut at 64 characters, terminated */
    memset(img + 0x300, 'W', MINI_SETUP - 0x300);
    wr16(img + 0x20e, 0x100);
    memset(&bz, 0x55, sizeof(bz));
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(strlen(bz.version), sizeof(bz.version) - 1);
    for (size_t i = 0; i < sizeof(bz.version) - 1; i++)
        ck_assert_int_eq(bz.version[i], 'W');
    /* Offset pointing at the last setup byte, and beyond the setup or the file */
    wr16(img + 0x20e, (uint16_t)(MINI_SETUP - 1 - 0x200));
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(bz.version, "W");
    const uint16_t beyond[] = { MINI_SETUP - 0x200, MINI_SETUP - 0x200 + 100, 0xffff };
    for (size_t i = 0; i < 3; i++) {
        wr16(img + 0x20e, beyond[i]);
        ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "%s", err);
        ck_assert_msg(bz.version[0] == 0, "offset 0x%x: version '%s' read from outside setup",
                      beyond[i], bz.version);
    }
    free(img);
}
END_TEST

/* The same, on a copy of the real kernel cut to setup + syssize*16 and the
 * string placed at the very end of its setup sectors. */
START_TEST(version_unterminated_real_kernel)
{
    size_t setup = setup_size_of(kimg), len = setup + syssize_bytes(kimg);
    uint8_t *img = kcopy(len);
    memcpy(img + setup - 5, "6.1.0", 5);
    memset(img + setup, 'X', 16);          /* printable kernel bytes right after */
    wr16(img + 0x20e, (uint16_t)(setup - 5 - 0x200));
    struct bz_info bz;
    char err[256];
    ck_assert_msg(parse(img, len, &bz, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(bz.version, "6.1.0");
    free(img);
}
END_TEST

/* ---- bz_load_address ----------------------------------------------------- */

START_TEST(load_address_debian)
{
    struct bz_info bz;
    char err[256];
    ck_assert_msg(parse(kimg, klen, &bz, err, sizeof(err)) == 0, "%s", err);
    err[0] = 0;
    uint64_t at = bz_load_address(&bz, 512ULL << 20, err, sizeof(err));
    ck_assert_msg(at != 0, "512 MiB: %s", err);
    ck_assert_uint_ge(at, LAYOUT_HIMEM);
    ck_assert_uint_eq(at % bz.kernel_alignment, 0);
    ck_assert_uint_eq(at, bz.pref_address);      /* aligned and usable: taken */
    ck_assert_uint_le(at + bz.init_size, 512ULL << 20);

    /* exactly enough RAM fits; one byte less does not */
    uint64_t need = at + bz.init_size;
    ck_assert_uint_eq(bz_load_address(&bz, need, err, sizeof(err)), at);
    err[0] = 0;
    ck_assert_uint_eq(bz_load_address(&bz, need - 1, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "MiB"), "reason '%s'", err);
    err[0] = 0;
    ck_assert_uint_eq(bz_load_address(&bz, 32ULL << 20, err, sizeof(err)), 0);
    ck_assert_msg(err[0] && !strchr(err, '\n'), "reason '%s'", err);
}
END_TEST

START_TEST(load_address_synthetic)
{
    struct bz_info bz = { .relocatable = 0, .kernel_alignment = 0x200000,
                          .pref_address = 0x1000000, .init_size = 0x100000 };
    char err[256] = "";
    /* not relocatable: 1 MiB */
    ck_assert_uint_eq(bz_load_address(&bz, 64ULL << 20, err, sizeof(err)), LAYOUT_HIMEM);
    ck_assert_uint_eq(bz_load_address(&bz, 2ULL << 20, err, sizeof(err)), LAYOUT_HIMEM);
    ck_assert_uint_eq(bz_load_address(&bz, (2ULL << 20) - 1, err, sizeof(err)), 0);
    /* relocatable with an unusable pref_address: aligned, at or above 1 MiB */
    const uint64_t prefs[] = { 0, 0x1000, 0x1000100 };
    bz.relocatable = 1;
    for (size_t i = 0; i < 3; i++) {
        bz.pref_address = prefs[i];
        uint64_t at = bz_load_address(&bz, 64ULL << 20, err, sizeof(err));
        ck_assert_msg(at >= LAYOUT_HIMEM && at % bz.kernel_alignment == 0 &&
                      at + bz.init_size <= (64ULL << 20),
                      "pref 0x%llx -> load at 0x%llx", (unsigned long long)prefs[i],
                      (unsigned long long)at);
    }
    /* init_size larger than all of RAM */
    bz.pref_address = 0x1000000;
    bz.init_size = 0xffffffffu;
    err[0] = 0;
    ck_assert_uint_eq(bz_load_address(&bz, 3ULL << 30, err, sizeof(err)), 0);
    ck_assert(err[0] != 0);
}
END_TEST

/* pref_address near 2^64, aligned, relocatable: at + init_size used to wrap
 * to a small number and the placement was accepted. */
START_TEST(load_address_no_wrap)
{
    struct bz_info bz = { .relocatable = 1, .kernel_alignment = 0x100000,
                          .pref_address = 0xfffffffffff00000ULL, .init_size = 2u << 20 };
    char err[256] = "";
    static const uint64_t rams[] = { 64ULL << 20, 3ULL << 30 };
    for (size_t i = 0; i < 2; i++) {
        err[0] = 0;
        uint64_t at = bz_load_address(&bz, rams[i], err, sizeof(err));
        ck_assert_msg(at == 0, "RAM %llu MiB: placed at 0x%llx",
                      (unsigned long long)(rams[i] >> 20), (unsigned long long)at);
        ck_assert_msg(strstr(err, "0xfffffffffff00000") && !strchr(err, '\n'), "reason '%s'", err);
    }
    /* The same kernel with a usable pref_address is placed there. */
    bz.pref_address = 0x1000000;
    ck_assert_uint_eq(bz_load_address(&bz, 64ULL << 20, err, sizeof(err)), 0x1000000);
}
END_TEST

/* A kernel part of 4 GiB or more: init_size (32 bits) used to be set from
 * the truncated size, so the kernel copied at the load address ran past
 * the init_size that bz_load_address had checked against RAM.  The image
 * is a sparse mapping; only its first pages are touched. */
START_TEST(kernel_over_4gib)
{
    size_t len = MINI_SETUP + (4ULL << 30) + 0x1000;
    uint8_t *img = mmap(NULL, len, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert(img != MAP_FAILED);
    size_t mlen;
    uint8_t *mini = mini_image(&mlen);
    memcpy(img, mini, MINI_SETUP + 64);
    free(mini);
    struct bz_info bz;
    char err[256];
    int r = parse(img, len, &bz, err, sizeof(err));
    ck_assert_msg(r == -1 || bz.init_size >= bz.kernel_size,
                  "accepted with init_size 0x%x < kernel size 0x%zx", bz.init_size,
                  bz.kernel_size);
    ck_assert_msg(strstr(err, "4 GiB"), "reason '%s'", err);
    munmap(img, len);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("boot_bzimage");
    TCase *tc = tcase_create("debian_kernel");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, kernel_setup, kernel_teardown);
    tcase_add_test(tc, debian_kernel_header);
    tcase_add_test(tc, debian_kernel_exact_syssize);
    tcase_add_test(tc, truncated_kernel);
    tcase_add_test(tc, truncated_after_setup_header);
    tcase_add_test(tc, payload_beyond_file);
    tcase_add_test(tc, no_hdrs_signature);
    tcase_add_test(tc, bad_boot_flag);
    tcase_add_test(tc, protocol_too_old);
    tcase_add_test(tc, no_64bit_entry);
    tcase_add_test(tc, bad_kernel_alignment);
    tcase_add_test(tc, malformed_jump);
    tcase_add_test(tc, version_unterminated_real_kernel);
    tcase_add_test(tc, load_address_debian);
    suite_add_tcase(s, tc);

    tc = tcase_create("synthetic");
    tcase_add_test(tc, tiny_files);
    tcase_add_test(tc, mini_image_parses);
    tcase_add_test(tc, version_unterminated_at_setup_end);
    tcase_add_test(tc, load_address_synthetic);
    tcase_add_test(tc, load_address_no_wrap);
    tcase_add_test(tc, kernel_over_4gib);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
