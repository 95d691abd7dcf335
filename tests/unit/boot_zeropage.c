/* The e820 map, the zero page and where the initrd goes.  zp_build is
 * checked on the real Debian kernel's setup header (found as in
 * boot_bzimage.c: $MINIVMM_TEST_KERNEL or build/debian/{,root/}boot/vmlinuz-*;
 * none found is a failure, never a skip). */
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/bzimage.h"
#include "boot/layout.h"
#include "boot/zeropage.h"
#include "tests/unit/testutil.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define HOLE 0xc0000000ULL   /* RAM below 4 GiB stops at 3 GiB (vmm/mem.c) */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* ---- e820 ---------------------------------------------------------------- */

/* Splits guest RAM like the VM does: below the hole, the rest from 4 GiB. */
static int e820_for(struct e820_entry *map, uint64_t ram)
{
    uint64_t low = ram < HOLE ? ram : HOLE;
    memset(map, 0xa5, sizeof(*map) * ZP_E820_MAX);
    int n = e820_build(map, low, ram - low);
    ck_assert_msg(n > 0 && n <= ZP_E820_MAX, "e820_build returned %d", n);
    return n;
}

/* Sorted, disjoint, non-empty, known types; returns the bytes of RAM. */
static uint64_t check_map(const struct e820_entry *map, int n)
{
    uint64_t ram = 0;
    for (int i = 0; i < n; i++) {
        ck_assert_msg(map[i].size > 0, "entry %d is empty", i);
        ck_assert_msg(map[i].type == E820_RAM || map[i].type == E820_RESERVED,
                      "entry %d type %u", i, map[i].type);
        ck_assert_msg(map[i].addr + map[i].size > map[i].addr, "entry %d wraps", i);
        if (i)
            ck_assert_msg(map[i - 1].addr + map[i - 1].size <= map[i].addr,
                          "entries %d [0x%llx,+0x%llx) and %d [0x%llx,...) overlap or are "
                          "not sorted", i - 1, (unsigned long long)map[i - 1].addr,
                          (unsigned long long)map[i - 1].size, i,
                          (unsigned long long)map[i].addr);
        if (map[i].type == E820_RAM) {
            ram += map[i].size;
            /* never RAM in the MMIO hole, the EBDA/BIOS area or the ACPI tables */
            uint64_t a = map[i].addr, e = a + map[i].size;
            ck_assert_msg(e <= HOLE || a >= 0x100000000ULL, "RAM [0x%llx,0x%llx) in the hole",
                          (unsigned long long)a, (unsigned long long)e);
            ck_assert_msg(e <= LAYOUT_EBDA || a >= LAYOUT_HIMEM,
                          "RAM [0x%llx,0x%llx) over the BIOS area / ACPI tables",
                          (unsigned long long)a, (unsigned long long)e);
        }
    }
    return ram;
}

static void expect_entry(const struct e820_entry *e, uint64_t addr, uint64_t size, uint32_t type)
{
    ck_assert_msg(e->addr == addr && e->size == size && e->type == type,
                  "entry [0x%llx,+0x%llx) type %u, want [0x%llx,+0x%llx) type %u",
                  (unsigned long long)e->addr, (unsigned long long)e->size, e->type,
                  (unsigned long long)addr, (unsigned long long)size, type);
}

/* RAM the guest gets: all of it but the EBDA/ROM area [0x9fc00, 1 MiB). */
#define USABLE(ram) ((ram) - (LAYOUT_HIMEM - LAYOUT_EBDA))

START_TEST(e820_512m)
{
    struct e820_entry map[ZP_E820_MAX];
    int n = e820_for(map, 512 * MiB);
    ck_assert_int_eq(n, 3);
    expect_entry(&map[0], 0, LAYOUT_EBDA, E820_RAM);
    expect_entry(&map[1], LAYOUT_EBDA, LAYOUT_HIMEM - LAYOUT_EBDA, E820_RESERVED);
    expect_entry(&map[2], LAYOUT_HIMEM, 512 * MiB - LAYOUT_HIMEM, E820_RAM);
    ck_assert_uint_eq(check_map(map, n), USABLE(512 * MiB));
}
END_TEST

START_TEST(e820_3g_exactly)
{
    struct e820_entry map[ZP_E820_MAX];
    int n = e820_for(map, 3 * GiB);
    ck_assert_int_eq(n, 3);
    expect_entry(&map[2], LAYOUT_HIMEM, HOLE - LAYOUT_HIMEM, E820_RAM);
    ck_assert_uint_eq(check_map(map, n), USABLE(3 * GiB));
    for (int i = 0; i < n; i++)
        ck_assert(map[i].addr + map[i].size <= HOLE);   /* nothing above the hole */
}
END_TEST

START_TEST(e820_4g_split)
{
    struct e820_entry map[ZP_E820_MAX];
    int n = e820_for(map, 4 * GiB);
    ck_assert_int_eq(n, 4);
    expect_entry(&map[0], 0, LAYOUT_EBDA, E820_RAM);
    expect_entry(&map[1], LAYOUT_EBDA, LAYOUT_HIMEM - LAYOUT_EBDA, E820_RESERVED);
    expect_entry(&map[2], LAYOUT_HIMEM, HOLE - LAYOUT_HIMEM, E820_RAM);
    expect_entry(&map[3], 4 * GiB, 1 * GiB, E820_RAM);
    ck_assert_uint_eq(check_map(map, n), USABLE(4 * GiB));
}
END_TEST

START_TEST(e820_other_sizes)
{
    static const uint64_t sizes[] = { 32 * MiB, 3 * GiB + 4096, 3 * GiB - 4096, 16 * GiB,
                                      1024 * GiB };
    struct e820_entry map[ZP_E820_MAX];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        int n = e820_for(map, sizes[i]);
        ck_assert_msg(check_map(map, n) == USABLE(sizes[i]), "%llu bytes of RAM",
                      (unsigned long long)sizes[i]);
    }
}
END_TEST

/* ---- zp_build on the real kernel --------------------------------------- */

static uint8_t *kimg;
static size_t klen;
static char kpath[4096];

static int first_match(const char *pattern)
{
    glob_t g;
    int found = 0;
    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        snprintf(kpath, sizeof(kpath), "%s", g.gl_pathv[0]);
        found = 1;
    }
    globfree(&g);
    return found;
}

static int find_kernel(void)
{
    const char *env = getenv("MINIVMM_TEST_KERNEL");
    if (env && *env) {
        snprintf(kpath, sizeof(kpath), "%s", env);
        return 1;
    }
    char top[4096] = "";
    ssize_t n = readlink("/proc/self/exe", top, sizeof(top) - 1);
    if (n > 0) {
        top[n] = 0;
        for (int up = 0; up < 3; up++)      /* TOP/build/tests/NAME */
            if (strrchr(top, '/'))
                *strrchr(top, '/') = 0;
    }
    const char *tops[] = { ".", top };
    for (int t = 0; t < 2; t++) {
        char pat[8300];
        if (!tops[t][0])
            continue;
        snprintf(pat, sizeof(pat), "%s/build/debian/boot/vmlinuz-*", tops[t]);
        if (first_match(pat))
            return 1;
        snprintf(pat, sizeof(pat), "%s/build/debian/root/boot/vmlinuz-*", tops[t]);
        if (first_match(pat))
            return 1;
    }
    return 0;
}

static void kernel_setup(void)
{
    ck_assert_msg(find_kernel(), "no Debian kernel to test with: set MINIVMM_TEST_KERNEL or "
                  "run `make deps` (it unpacks build/debian/root/boot/vmlinuz-*)");
    FILE *f = fopen(kpath, "rb");
    ck_assert_msg(f != NULL, "cannot open kernel %s", kpath);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    ck_assert_msg(sz > 1024 * 1024, "%s: %ld bytes, not a distribution kernel", kpath, sz);
    kimg = malloc((size_t)sz);
    ck_assert(kimg && fread(kimg, 1, (size_t)sz, f) == (size_t)sz);
    fclose(f);
    klen = (size_t)sz;
}

static void kernel_teardown(void)
{
    free(kimg);
    kimg = NULL;
}

static void parse_kernel(struct bz_info *bz)
{
    char err[256] = "";
    ck_assert_msg(bz_parse(kimg, klen, bz, err, sizeof(err)) == 0, "%s: %s", kpath, err);
}

static uint8_t zp[ZP_SIZE];

/* Offsets zp_build sets itself inside the setup header. */
static int written_by_zp_build(size_t off)
{
    return (off >= 0x1fa && off < 0x1fc) ||   /* vid_mode */
           off == 0x210 || off == 0x211 ||    /* type_of_loader, loadflags */
           (off >= 0x218 && off < 0x220) ||   /* ramdisk_image, ramdisk_size */
           (off >= 0x224 && off < 0x226) ||   /* heap_end_ptr */
           (off >= 0x228 && off < 0x22c);     /* cmd_line_ptr */
}

START_TEST(zp_low_addresses)
{
    struct bz_info bz;
    parse_kernel(&bz);
    struct zp_params p = {
        .cmdline_addr = LAYOUT_CMDLINE, .initrd_addr = 0x1f000000, .initrd_size = 0x123456,
        .rsdp_addr = LAYOUT_ACPI, .low_size = 512 * MiB, .high_size = 0,
    };
    memset(zp, 0xcc, sizeof(zp));
    zp_build(zp, kimg, &bz, &p);

    /* the setup header is the image's, byte for byte, but for the loader's fields */
    for (size_t off = 0x1f1; off < 0x1f1 + bz.hdr_len; off++)
        if (!written_by_zp_build(off))
            ck_assert_msg(zp[off] == kimg[off], "header byte 0x%zx: 0x%02x, image has 0x%02x",
                          off, zp[off], kimg[off]);
    ck_assert(memcmp(zp + 0x202, "HdrS", 4) == 0);
    ck_assert_uint_eq(rd16(zp + 0x206), bz.protocol);
    ck_assert_uint_eq(rd32(zp + 0x260), rd32(kimg + 0x260));     /* init_size */
    /* the image's setup code after the header is not copied */
    ck_assert_msg(kimg[0x1f1 + bz.hdr_len] != 0, "test needs code after the header");
    for (size_t off = 0x1f1 + bz.hdr_len; off < 0x2d0; off++)
        ck_assert_msg(zp[off] == 0, "byte 0x%zx after the header is 0x%02x", off, zp[off]);

    ck_assert_uint_eq(zp[0x210], 0xff);                        /* type_of_loader */
    ck_assert_uint_eq(zp[0x211], kimg[0x211] | CAN_USE_HEAP);  /* loadflags */
    ck_assert(zp[0x211] & LOADED_HIGH);
    ck_assert_uint_eq(rd16(zp + 0x224), 0xfe00 - 0x200);       /* heap_end_ptr */
    ck_assert_uint_eq(rd32(zp + 0x228), LAYOUT_CMDLINE);       /* cmd_line_ptr */
    ck_assert_uint_eq(rd32(zp + 0x0c8), 0);                    /* ext_cmd_line_ptr */
    ck_assert_uint_eq(rd32(zp + 0x218), 0x1f000000);           /* ramdisk_image */
    ck_assert_uint_eq(rd32(zp + 0x21c), 0x123456);             /* ramdisk_size */
    ck_assert_uint_eq(rd32(zp + 0x0c0), 0);                    /* ext_ramdisk_image */
    ck_assert_uint_eq(rd32(zp + 0x0c4), 0);                    /* ext_ramdisk_size */
    ck_assert_uint_eq(rd64(zp + 0x070), LAYOUT_ACPI);          /* acpi_rsdp_addr */
    ck_assert_uint_eq(zp[0x1ef], 0);                           /* sentinel */
    ck_assert_uint_eq(rd16(zp + 0x1fa), 0xffff);               /* vid_mode */

    /* e820_entries and the table at 0x2d0, as e820_build makes it */
    struct e820_entry map[ZP_E820_MAX];
    int n = e820_build(map, p.low_size, p.high_size);
    ck_assert_int_eq(zp[0x1e8], n);
    for (int i = 0; i < n; i++) {
        const uint8_t *e = zp + 0x2d0 + 20 * i;
        ck_assert_uint_eq(rd64(e), map[i].addr);
        ck_assert_uint_eq(rd64(e + 8), map[i].size);
        ck_assert_uint_eq(rd32(e + 16), map[i].type);
    }
    /* everything not set is zero: before the header and after the table */
    for (size_t off = 0; off < 0x1ef; off++)
        if (off != 0x1e8 && !(off >= 0x70 && off < 0x78))
            ck_assert_msg(zp[off] == 0, "byte 0x%zx is 0x%02x", off, zp[off]);
    for (size_t off = 0x2d0 + 20 * (size_t)n; off < ZP_SIZE; off++)
        ck_assert_msg(zp[off] == 0, "byte 0x%zx is 0x%02x", off, zp[off]);
}
END_TEST

START_TEST(zp_addresses_above_4g)
{
    struct bz_info bz;
    parse_kernel(&bz);
    struct zp_params p = {
        .cmdline_addr = 0x123420000ULL, .initrd_addr = 0x2abcde000ULL,
        .initrd_size = 0x100000010ULL, .rsdp_addr = 0x1000e0000ULL,
        .low_size = 3 * GiB, .high_size = 13 * GiB,
    };
    zp_build(zp, kimg, &bz, &p);
    ck_assert_uint_eq(rd32(zp + 0x228), 0x23420000);   /* cmd_line_ptr */
    ck_assert_uint_eq(rd32(zp + 0x0c8), 0x1);          /* ext_cmd_line_ptr */
    ck_assert_uint_eq(rd32(zp + 0x218), 0xabcde000);   /* ramdisk_image */
    ck_assert_uint_eq(rd32(zp + 0x0c0), 0x2);          /* ext_ramdisk_image */
    ck_assert_uint_eq(rd32(zp + 0x21c), 0x10);         /* ramdisk_size */
    ck_assert_uint_eq(rd32(zp + 0x0c4), 0x1);          /* ext_ramdisk_size */
    ck_assert_uint_eq(rd64(zp + 0x070), 0x1000e0000ULL);
    ck_assert_uint_eq(zp[0x1e8], 4);
    ck_assert_uint_eq(rd64(zp + 0x2d0 + 3 * 20), 4 * GiB);
    ck_assert_uint_eq(rd64(zp + 0x2d0 + 3 * 20 + 8), 13 * GiB);
    ck_assert_uint_eq(rd32(zp + 0x2d0 + 3 * 20 + 16), E820_RAM);
    ck_assert_uint_eq(zp[0x1ef], 0);
}
END_TEST

START_TEST(zp_no_initrd)
{
    struct bz_info bz;
    parse_kernel(&bz);
    struct zp_params p = { .cmdline_addr = LAYOUT_CMDLINE, .low_size = 64 * MiB };
    memset(zp, 0xcc, sizeof(zp));
    zp_build(zp, kimg, &bz, &p);
    ck_assert_uint_eq(rd32(zp + 0x218), 0);
    ck_assert_uint_eq(rd32(zp + 0x21c), 0);
    ck_assert_uint_eq(rd32(zp + 0x0c0), 0);
    ck_assert_uint_eq(rd32(zp + 0x0c4), 0);
    ck_assert_uint_eq(rd64(zp + 0x070), 0);
}
END_TEST

/* ---- initrd_place -------------------------------------------------------- */

static const struct bz_info deb_like = { .initrd_addr_max = 0x7fffffff, .init_size = 0x3f98000 };

static void check_place(const struct bz_info *bz, uint64_t low, uint64_t kend, uint64_t size)
{
    uint64_t at = initrd_place(bz, low, kend, size);
    uint64_t max = bz->initrd_addr_max ? bz->initrd_addr_max : 0x37ffffff;
    uint64_t top = low < max + 1 ? low : max + 1;
    ck_assert_msg(at != 0, "size 0x%llx in low 0x%llx above 0x%llx: not placed",
                  (unsigned long long)size, (unsigned long long)low, (unsigned long long)kend);
    ck_assert_uint_eq(at % 4096, 0);
    ck_assert_uint_ge(at, kend);
    ck_assert_uint_le(at + size, low);
    ck_assert_uint_le(at + size - 1, max);
    /* as high as possible: the next page up would not fit */
    ck_assert_msg(at + 4096 + size > top, "0x%llx is not the highest place",
                  (unsigned long long)at);
}

START_TEST(initrd_place_fits)
{
    uint64_t kend = 0x1000000 + deb_like.init_size;
    check_place(&deb_like, 512 * MiB, kend, 0x123457);
    ck_assert_uint_eq(initrd_place(&deb_like, 512 * MiB, kend, 0x123457),
                      (512 * MiB - 0x123457) & ~0xfffULL);
    check_place(&deb_like, 512 * MiB, kend, 4096);
    check_place(&deb_like, 512 * MiB, kend, 1);
    /* 3 GiB of RAM: initrd_addr_max (2 GiB - 1) is the limit */
    check_place(&deb_like, 3 * GiB, kend, 100 * MiB);
    ck_assert_uint_eq(initrd_place(&deb_like, 3 * GiB, kend, 100 * MiB), 2 * GiB - 100 * MiB);
    /* an old kernel with no initrd_addr_max: below 0x38000000 */
    struct bz_info old = { .initrd_addr_max = 0 };
    check_place(&old, 2 * GiB, 16 * MiB, 5 * MiB + 3);
    ck_assert_uint_le(initrd_place(&old, 2 * GiB, 16 * MiB, 5 * MiB + 3) + 5 * MiB + 3,
                      0x38000000);
    /* initrd_addr_max = 4 GiB - 1 with 3 GiB of RAM: RAM is the limit */
    struct bz_info big = { .initrd_addr_max = 0xffffffff };
    check_place(&big, 3 * GiB, 16 * MiB, 10 * MiB);
}
END_TEST

START_TEST(initrd_place_exact_and_too_big)
{
    uint64_t kend = 32 * MiB;
    /* exactly the room between the kernel's end and RAM's end */
    ck_assert_uint_eq(initrd_place(&deb_like, 64 * MiB, kend, 32 * MiB), kend);
    /* one byte more: it would overlap the kernel */
    ck_assert_uint_eq(initrd_place(&deb_like, 64 * MiB, kend, 32 * MiB + 1), 0);
    /* rounding down to a page must not take it below the kernel's end */
    ck_assert_uint_eq(initrd_place(&deb_like, 64 * MiB, kend + 1, 32 * MiB - 4096), kend + 4096);
    ck_assert_uint_eq(initrd_place(&deb_like, 64 * MiB, kend + 1, 32 * MiB - 4095), 0);
    /* larger than RAM, than initrd_addr_max, than anything */
    ck_assert_uint_eq(initrd_place(&deb_like, 64 * MiB, kend, 65 * MiB), 0);
    ck_assert_uint_eq(initrd_place(&deb_like, 3 * GiB, kend, 2 * GiB + 1), 0);
    ck_assert_uint_eq(initrd_place(&deb_like, 3 * GiB, kend, UINT64_MAX), 0);
    ck_assert_uint_eq(initrd_place(&deb_like, 64 * MiB, 64 * MiB, 1), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("boot_zeropage");
    TCase *tc = tcase_create("e820");
    tcase_add_test(tc, e820_512m);
    tcase_add_test(tc, e820_3g_exactly);
    tcase_add_test(tc, e820_4g_split);
    tcase_add_test(tc, e820_other_sizes);
    suite_add_tcase(s, tc);

    tc = tcase_create("zero_page");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, kernel_setup, kernel_teardown);
    tcase_add_test(tc, zp_low_addresses);
    tcase_add_test(tc, zp_addresses_above_4g);
    tcase_add_test(tc, zp_no_initrd);
    suite_add_tcase(s, tc);

    tc = tcase_create("initrd_place");
    tcase_add_test(tc, initrd_place_fits);
    tcase_add_test(tc, initrd_place_exact_and_too_big);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
