/* vmlinux_parse / vmlinux_place / vmlinux_load: an ELF vmlinux checked as
 * strictly as a bzImage.  The Debian kernel's own vmlinux (unpacked from its
 * bzImage) must parse and load where its decompressor would put it; small
 * hand-made ELF files break one rule each. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bzimage.h"
#include "boot/payload.h"
#include "boot/vmlinux.h"
#include "tests/unit/testutil.h"

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }

/* A small valid vmlinux: two PT_LOADs (text at 16 MiB, data+bss after). */
#define ELF_LEN 0x3000
static uint8_t elf[ELF_LEN];
static void phdr(int i, uint32_t type, uint64_t off, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
    uint8_t *ph = elf + 64 + 56 * i;
    w32(ph, type);
    w64(ph + 8, off);
    w64(ph + 16, 0xffffffff81000000ULL + (paddr - 0x1000000));  /* vaddr: unused */
    w64(ph + 24, paddr);
    w64(ph + 32, filesz);
    w64(ph + 40, memsz);
}
static void make_elf(void)
{
    memset(elf, 0, sizeof(elf));
    memcpy(elf, "\x7f" "ELF", 4);
    elf[4] = 2;                  /* 64-bit */
    elf[5] = 1;                  /* little-endian */
    elf[6] = 1;
    w16(elf + 16, 2);            /* ET_EXEC */
    w16(elf + 18, 62);           /* x86-64 */
    w64(elf + 24, 0x1000000);    /* entry */
    w64(elf + 32, 64);           /* phoff */
    w16(elf + 52, 64);
    w16(elf + 54, 56);
    w16(elf + 56, 3);
    phdr(0, 1, 0x1000, 0x1000000, 0x1000, 0x1000);
    phdr(1, 4, 0, 0, 0, 0);                                   /* PT_NOTE: ignored */
    phdr(2, 1, 0x2000, 0x1200000, 0x800, 0x200000);            /* data, then bss */
    memset(elf + 0x1000, 0xcc, 0x1000);
    memset(elf + 0x2000, 0xdd, 0x800);
}

static void expect_fail(const char *what, size_t len, const char *needle)
{
    struct vmlinux_info v;
    char err[256] = "";
    ck_assert_msg(vmlinux_parse(elf, len, &v, err, sizeof(err)) == -1, "%s: accepted", what);
    ck_assert_msg(strstr(err, needle), "%s: error '%s' lacks '%s'", what, err, needle);
}

START_TEST(small_vmlinux_parses_places_loads)
{
    make_elf();
    struct vmlinux_info v;
    char err[256];
    ck_assert_msg(vmlinux_parse(elf, ELF_LEN, &v, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(v.nsegs, 2);
    ck_assert_uint_eq(v.paddr_lo, 0x1000000);
    ck_assert_uint_eq(v.span, 0x400000);
    ck_assert_uint_eq(v.entry, 0x1000000);
    uint64_t ram = 64 << 20;
    uint64_t base = vmlinux_place(&v, ram, err, sizeof(err));
    ck_assert_uint_eq(base, 0x1000000);
    uint8_t *g = malloc(ram);
    memset(g, 0x55, ram);
    vmlinux_load(&v, elf, g, base);
    ck_assert_uint_eq(g[0x1000000], 0xcc);
    ck_assert_uint_eq(g[0x1000fff], 0xcc);
    ck_assert_uint_eq(g[0x1200000], 0xdd);
    ck_assert_uint_eq(g[0x1200800], 0);          /* bss zeroed */
    ck_assert_uint_eq(g[0x13fffff], 0);
    ck_assert_uint_eq(g[0x1400000], 0x55);       /* nothing past memsz */
    ck_assert_uint_eq(g[0xffffff], 0x55);
    free(g);
    /* Too little RAM: refused with the sizes. */
    ck_assert_uint_eq(vmlinux_place(&v, 18 << 20, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "guest RAM"), "%s", err);
}
END_TEST

START_TEST(loaded_at_its_link_address_only)
{
    make_elf();
    phdr(0, 1, 0x1000, 0x101000, 0x1000, 0x1000);      /* the tiny guest's: 1 MiB + 4 KiB */
    phdr(2, 1, 0x2000, 0x200000, 0x800, 0x1000);
    w64(elf + 24, 0x101000);
    struct vmlinux_info v;
    char err[256];
    ck_assert_msg(vmlinux_parse(elf, ELF_LEN, &v, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(vmlinux_place(&v, 64 << 20, err, sizeof(err)), 0x101000);
    phdr(0, 1, 0x1000, 0x80000, 0x1000, 0x1000);        /* below 1 MiB: refused */
    w64(elf + 24, 0x80000);
    ck_assert_msg(vmlinux_parse(elf, ELF_LEN, &v, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(vmlinux_place(&v, 64 << 20, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "below 1 MiB"), "%s", err);
}
END_TEST

START_TEST(version_and_setup_header)
{
    make_elf();
    char ver[16];
    vmlinux_version(elf, ELF_LEN, ver, sizeof(ver));
    ck_assert_str_eq(ver, "");
    memcpy(elf + 0x2100, "Linux version 6.13.0-rc1+ (me@here) #1", 38);
    vmlinux_version(elf, ELF_LEN, ver, sizeof(ver));
    ck_assert_str_eq(ver, "6.13.0-rc1+");
    vmlinux_version(elf, ELF_LEN, ver, 5);
    ck_assert_str_eq(ver, "6.13");                     /* bounded */
    struct vmlinux_info v;
    char err[256];
    ck_assert_msg(vmlinux_parse(elf, ELF_LEN, &v, err, sizeof(err)) == 0, "%s", err);
    uint8_t hdr[1024];
    struct bz_info bz;
    vmlinux_setup_header(&v, hdr, &bz);
    ck_assert_mem_eq(hdr + 0x202, "HdrS", 4);
    ck_assert_uint_eq(hdr[0x1fe] | hdr[0x1ff] << 8, 0xaa55);
    ck_assert_uint_eq(0x202 + hdr[0x201] - 0x1f1, bz.hdr_len);
    ck_assert_uint_eq(bz.init_size, v.span);
    ck_assert_uint_eq(bz.cmdline_size, 2047);
    ck_assert(bz.xloadflags & XLF_KERNEL_64);
}
END_TEST

START_TEST(each_rule_refuses)
{
    make_elf(); memcpy(elf, "\x7f" "ELG", 4);
    expect_fail("not ELF", ELF_LEN, "not an ELF");
    make_elf();
    expect_fail("header truncated", 40, "truncated");
    make_elf(); elf[4] = 1;
    expect_fail("32-bit", ELF_LEN, "64-bit");
    make_elf(); w16(elf + 18, 183);
    expect_fail("arm64", ELF_LEN, "not x86-64");
    make_elf(); w16(elf + 16, 3);
    expect_fail("ET_DYN", ELF_LEN, "not an executable");
    make_elf(); w16(elf + 54, 32);
    expect_fail("phentsize", ELF_LEN, "program header size");
    make_elf(); w16(elf + 56, 0);
    expect_fail("no phdrs", ELF_LEN, "program headers");
    make_elf(); w16(elf + 56, 60000);
    expect_fail("absurd phnum", ELF_LEN, "program headers");
    make_elf(); w64(elf + 32, ELF_LEN - 100);
    expect_fail("phdrs past the end", ELF_LEN, "truncated");
    make_elf(); w64(elf + 32, UINT64_MAX - 10);
    expect_fail("phoff wraps", ELF_LEN, "truncated");
    make_elf();
    expect_fail("segment past the end", 0x2400, "truncated: segment 2");
    make_elf(); phdr(2, 1, UINT64_MAX - 0x10, 0x1200000, 0x800, 0x200000);
    expect_fail("segment offset wraps", ELF_LEN, "truncated: segment 2");
    make_elf(); phdr(2, 1, 0x2000, 0x1200000, 0x800, 0x400);
    expect_fail("filesz > memsz", ELF_LEN, "more file bytes");
    make_elf(); phdr(2, 1, 0x2000, 0x1000800, 0x800, 0x800);
    expect_fail("overlap", ELF_LEN, "overlap");
    make_elf(); phdr(2, 1, 0x2000, UINT64_MAX - 0x100, 0x800, 0x800);
    expect_fail("paddr wraps", ELF_LEN, "outside low RAM");
    make_elf(); phdr(2, 1, 0x2000, 0xbff00000, 0x800, 0x200000);
    expect_fail("into the MMIO hole", ELF_LEN, "outside low RAM");
    make_elf(); w64(elf + 24, 0x1200900);
    expect_fail("entry in bss", ELF_LEN, "entry point");
    make_elf(); phdr(0, 4, 0, 0, 0, 0); phdr(2, 4, 0, 0, 0, 0);
    expect_fail("no PT_LOAD", ELF_LEN, "no loadable segment");
    make_elf(); w16(elf + 56, 17);
    for (int i = 0; i < 17; i++)
        phdr(i, 1, 0x1000, 0x1000000 + 0x1000 * (uint64_t)i, 0x100, 0x100);
    expect_fail("17 segments", ELF_LEN, "more than 16");
}
END_TEST

/* The Debian kernel's vmlinux, unpacked from its bzImage. */
START_TEST(debian_vmlinux)
{
    const char *k = getenv("MINIVMM_TEST_KERNEL");
    ck_assert_msg(k && *k, "MINIVMM_TEST_KERNEL is not set (run tests/deps.sh; tests/all "
                  "reads build/debian/env)");
    FILE *f = fopen(k, "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t img[32 << 20];
    size_t len = fread(img, 1, sizeof(img), f);
    fclose(f);
    struct bz_info bz;
    char err[256];
    ck_assert_msg(bz_parse(img, len, &bz, err, sizeof(err)) == 0, "%s", err);
    uint8_t *vm;
    size_t vlen;
    ck_assert_msg(payload_unpack(bz.payload, bz.payload_len, bz.init_size, &vm, &vlen, err,
                                 sizeof(err)) == 0, "%s", err);
    struct vmlinux_info v;
    ck_assert_msg(vmlinux_parse(vm, vlen, &v, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(v.paddr_lo, 0x1000000);          /* LOAD_PHYSICAL_ADDR */
    ck_assert_uint_eq(v.entry, 0x1000000);             /* phys_startup_64 */
    ck_assert_int_ge(v.nsegs, 3);
    ck_assert_msg(v.span > (32u << 20) && v.span <= bz.init_size, "span %llu, init_size %u",
                  (unsigned long long)v.span, bz.init_size);
    char ver[65];
    vmlinux_version(vm, vlen, ver, sizeof(ver));
    ck_assert_str_eq(ver, bz.version);                 /* the banner names the same release */
    uint64_t ram = 256 << 20;
    char err2[256];
    ck_assert_uint_eq(vmlinux_place(&v, ram, err2, sizeof(err2)), 0x1000000);
    uint8_t *g = calloc(1, ram);
    vmlinux_load(&v, vm, g, 0x1000000);
    /* The first segment's bytes are the file's bytes at its offset. */
    ck_assert(!memcmp(g + v.segs[0].paddr, vm + v.segs[0].offset, v.segs[0].filesz));
    free(g);
    free(vm);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("boot_vmlinux");
    TCase *tc = tcase_create("vmlinux");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, small_vmlinux_parses_places_loads);
    tcase_add_test(tc, loaded_at_its_link_address_only);
    tcase_add_test(tc, version_and_setup_header);
    tcase_add_test(tc, each_rule_refuses);
    tcase_add_test(tc, debian_vmlinux);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
