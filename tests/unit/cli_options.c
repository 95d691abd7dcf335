/* `minivmm boot` options: sizes, every option, and every way to get them
 * wrong (each must give a one-line reason naming the problem). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/testutil.h"
#include "cli/options.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static struct boot_opts o;
static char err[512];

/* argv arrays end with NULL like a real argv; getopt may permute them. */
static int parse(int argc, char **argv)
{
    memset(err, 0, sizeof(err));
    return boot_parse_args(argc, argv, &o, err, sizeof(err));
}

#define PARSE(...) ({ char *argv_[] = { "boot", __VA_ARGS__, NULL }; parse(ARGC(argv_), argv_); })

/* Must fail with a one-line reason that contains `want`. */
#define EXPECT_BAD(want, ...) do {                                                   \
        int r_ = PARSE(__VA_ARGS__);                                                 \
        ck_assert_msg(r_ == -1, "%s: returned %d, want -1", #__VA_ARGS__, r_);       \
        ck_assert_msg(err[0] && !strchr(err, '\n'), "%s: reason '%s'", #__VA_ARGS__, err); \
        ck_assert_msg(strstr(err, want), "%s: reason '%s' does not mention '%s'",    \
                      #__VA_ARGS__, err, want);                                      \
    } while (0)

/* ---- parse_size ------------------------------------------------------------- */

START_TEST(sizes)
{
    static const struct { const char *s; uint64_t v; } good[] = {
        { "512M", 512 * MiB }, { "512m", 512 * MiB }, { "2G", 2 * GiB }, { "2g", 2 * GiB },
        { "1024K", 1 * MiB }, { "1024k", 1 * MiB }, { "64", 64 * MiB }, { "1GiB", GiB },
        { "1GB", GiB }, { "512MiB", 512 * MiB }, { "0", 0 }, { "16383G", 16383 * GiB },
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint64_t v = 12345;
        ck_assert_msg(parse_size(good[i].s, &v) == 0, "'%s' rejected", good[i].s);
        ck_assert_msg(v == good[i].v, "'%s' -> %llu, want %llu", good[i].s,
                      (unsigned long long)v, (unsigned long long)good[i].v);
    }
    static const char *const bad[] = {
        "", "-1", "-512M", "12X", "99999999999999999999G", "99999999999999999999",
        "17179869184G", "M", "G", "1.5G", "512 M", "512MM", "512Mx", "0x100", "2T",
        "1GiBs", "12i", " 512M", "+512M", "18446744073709551616", "18446744073709551615G",
        "\t1G",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 12345;
        ck_assert_msg(parse_size(bad[i], &v) == -1, "'%s' accepted as %llu", bad[i],
                      (unsigned long long)v);
        ck_assert_msg(v == 12345, "'%s' rejected but *out changed", bad[i]);
    }
    uint64_t v = 7;
    ck_assert_int_eq(parse_size(NULL, &v), -1);
}
END_TEST

/* ---- boot_parse_args --------------------------------------------------------- */

START_TEST(defaults)
{
    ck_assert_int_eq(PARSE("--kernel", "vmlinuz"), 0);
    ck_assert_str_eq(o.kernel, "vmlinuz");
    ck_assert_uint_eq(o.memory, 512 * MiB);
    ck_assert_int_eq(o.cpus, 1);
    ck_assert_int_eq(o.timeout, 600);
    ck_assert_int_eq(o.ninitrds, 0);
    ck_assert_ptr_null(o.append);
    ck_assert_ptr_null(o.console);
    ck_assert_int_eq(o.timing, TIMING_OFF);
    ck_assert(!o.quiet);
    ck_assert_int_eq(o.nshares, 0);
    ck_assert_int_eq(o.discovery, DISCOVER_BOTH);
}
END_TEST

START_TEST(every_option)
{
    int r = PARSE("--kernel", "bz", "--initrd", "a.cpio", "--append", "quiet loglevel=3",
                  "--memory", "2G", "--cpus", "4", "--timeout", "30", "--console", "con.log",
                  "--timing=json", "--quiet", "--share", "/srv/data,tag=data,ro",
                  "--virtio-discovery", "acpi");
    ck_assert_msg(r == 0, "%s", err);
    ck_assert_str_eq(o.kernel, "bz");
    ck_assert_int_eq(o.ninitrds, 1);
    ck_assert_str_eq(o.initrds[0], "a.cpio");
    ck_assert_str_eq(o.append, "quiet loglevel=3");
    ck_assert_uint_eq(o.memory, 2 * GiB);
    ck_assert_int_eq(o.cpus, 4);
    ck_assert_int_eq(o.timeout, 30);
    ck_assert_str_eq(o.console, "con.log");
    ck_assert_int_eq(o.timing, TIMING_JSON);
    ck_assert(o.quiet);
    ck_assert_int_eq(o.nshares, 1);
    ck_assert_str_eq(o.shares[0].dir, "/srv/data");
    ck_assert_str_eq(o.shares[0].tag, "data");
    ck_assert(o.shares[0].readonly);
    ck_assert_int_eq(o.discovery, DISCOVER_ACPI);

    /* --opt=value forms, options after the kernel, the other discovery modes */
    r = PARSE("--memory=1G", "--cpus=64", "--timeout=0", "--kernel=k",
              "--virtio-discovery=cmdline", "--append=", "--timing");
    ck_assert_msg(r == 0, "%s", err);
    ck_assert_uint_eq(o.memory, GiB);
    ck_assert_int_eq(o.cpus, 64);
    ck_assert_int_eq(o.timeout, 0);
    ck_assert_str_eq(o.kernel, "k");
    ck_assert_int_eq(o.discovery, DISCOVER_CMDLINE);
    ck_assert_str_eq(o.append, "");
    ck_assert_int_eq(o.timing, TIMING_TEXT);
    r = PARSE("--kernel", "k", "--virtio-discovery", "both", "--cpus", "1", "--memory", "32M");
    ck_assert_msg(r == 0, "%s", err);
    ck_assert_int_eq(o.discovery, DISCOVER_BOTH);
    ck_assert_uint_eq(o.memory, 32 * MiB);
}
END_TEST

START_TEST(initrd_order_and_limit)
{
    int r = PARSE("--initrd", "first", "--kernel", "k", "--initrd", "second", "--initrd=third");
    ck_assert_msg(r == 0, "%s", err);
    ck_assert_int_eq(o.ninitrds, 3);
    ck_assert_str_eq(o.initrds[0], "first");
    ck_assert_str_eq(o.initrds[1], "second");
    ck_assert_str_eq(o.initrds[2], "third");

    char *argv[2 + 2 * (MAX_INITRDS + 1) + 1];
    char names[MAX_INITRDS + 1][16];
    int argc = 0;
    argv[argc++] = "boot";
    argv[argc++] = "--kernel=k";
    for (int i = 0; i < MAX_INITRDS; i++) {
        snprintf(names[i], sizeof(names[i]), "i%d", i);
        argv[argc++] = "--initrd";
        argv[argc++] = names[i];
    }
    argv[argc] = NULL;
    ck_assert_msg(parse(argc, argv) == 0, "%d initrds: %s", MAX_INITRDS, err);
    ck_assert_int_eq(o.ninitrds, MAX_INITRDS);
    for (int i = 0; i < MAX_INITRDS; i++)
        ck_assert_str_eq(o.initrds[i], names[i]);
    snprintf(names[MAX_INITRDS], sizeof(names[0]), "one-too-many");
    argv[argc++] = "--initrd";
    argv[argc++] = names[MAX_INITRDS];
    argv[argc] = NULL;
    ck_assert_int_eq(parse(argc, argv), -1);
    ck_assert_msg(strstr(err, "--initrd"), "%s", err);
}
END_TEST

START_TEST(timing_values)
{
    ck_assert_int_eq(PARSE("--kernel", "k", "--timing"), 0);
    ck_assert_int_eq(o.timing, TIMING_TEXT);
    ck_assert_int_eq(PARSE("--kernel", "k", "--timing=text"), 0);
    ck_assert_int_eq(o.timing, TIMING_TEXT);
    ck_assert_int_eq(PARSE("--kernel", "k", "--timing=json"), 0);
    ck_assert_int_eq(o.timing, TIMING_JSON);
    EXPECT_BAD("xml", "--kernel", "k", "--timing=xml");
    EXPECT_BAD("--timing", "--kernel", "k", "--timing=");
    /* the value needs '=': a separate word is a stray argument */
    EXPECT_BAD("json", "--kernel", "k", "--timing", "json");
}
END_TEST

START_TEST(pit_flag)
{
    ck_assert_int_eq(PARSE("--kernel", "k"), 0);
    ck_assert(!o.pit);                          /* no PIT unless asked */
    ck_assert_int_eq(PARSE("--kernel", "k", "--pit"), 0);
    ck_assert(o.pit);
    EXPECT_BAD("--pit=1", "--kernel", "k", "--pit=1");   /* a flag takes no value */
    EXPECT_BAD("yes", "--kernel", "k", "--pit", "yes");
}
END_TEST

START_TEST(bad_cpus)
{
    EXPECT_BAD("--cpus", "--kernel", "k", "--cpus", "0");
    EXPECT_BAD("--cpus", "--kernel", "k", "--cpus", "65");
    EXPECT_BAD("--cpus", "--kernel", "k", "--cpus", "two");
    EXPECT_BAD("--cpus", "--kernel", "k", "--cpus", "-1");
    EXPECT_BAD("--cpus", "--kernel", "k", "--cpus", "4x");
    EXPECT_BAD("--cpus", "--kernel", "k", "--cpus", "");
    EXPECT_BAD("--cpus", "--kernel", "k", "--cpus", "99999999999999999999");
}
END_TEST

/* Values that wrap when read into a narrower type (4294967297 is 2^32 + 1:
 * 1 as an int) and the forms strtol would take (space, sign). */
START_TEST(numbers_do_not_wrap)
{
    static const char *const cpus[] = {
        "4294967297", "4294967296", "18446744073709551617", "9223372036854775808",
        " 4", "+4", "4 ", "0x4", "04x", "-0",
    };
    for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++)
        EXPECT_BAD("--cpus", "--kernel", "k", "--cpus", (char *)cpus[i]);
    static const char *const timeouts[] = {
        "4294967297", "18446744073709551616", "9223372036854775807", "1000001", " 5", "+5",
        "-0",
    };
    for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++)
        EXPECT_BAD("--timeout", "--kernel", "k", "--timeout", (char *)timeouts[i]);
    EXPECT_BAD("--memory", "--kernel", "k", "--memory", "17592186044417M");   /* 2^44 + 1 MiB */
    EXPECT_BAD("--memory", "--kernel", "k", "--memory", "18446744073709551617");
    EXPECT_BAD("--console-limit", "--kernel", "k", "--console-limit", "18446744073709551616");
    EXPECT_BAD("--console-limit", "--kernel", "k", "--console-limit", "1025G");
    EXPECT_BAD("--console-limit", "--kernel", "k", "--console-limit", "-1");
    /* leading zeros are still decimal */
    ck_assert_int_eq(PARSE("--kernel", "k", "--cpus", "0004", "--timeout", "010"), 0);
    ck_assert_int_eq(o.cpus, 4);
    ck_assert_int_eq(o.timeout, 10);
    ck_assert_int_eq(PARSE("--kernel", "k", "--timeout", "1000000"), 0);
    ck_assert_int_eq(o.timeout, 1000000);
}
END_TEST

START_TEST(parse_uint_ranges)
{
    uint64_t v = 99;
    ck_assert_int_eq(parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -1);
    ck_assert_int_eq(parse_uint("99999999999999999999", 0, UINT64_MAX, &v), -1);
    ck_assert_int_eq(parse_uint("", 0, 10, &v), -1);
    ck_assert_int_eq(parse_uint(NULL, 0, 10, &v), -1);
    ck_assert_int_eq(parse_uint("5", 6, 10, &v), -1);
    ck_assert_int_eq(parse_uint("11", 6, 10, &v), -1);
    ck_assert_uint_eq(v, UINT64_MAX);                  /* untouched on failure */
    ck_assert_int_eq(parse_uint("10", 6, 10, &v), 0);
    ck_assert_uint_eq(v, 10);
}
END_TEST

START_TEST(console_limit_values)
{
    ck_assert_int_eq(PARSE("--kernel", "k"), 0);
    ck_assert_uint_eq(o.console_limit, 64 * MiB);
    ck_assert_int_eq(PARSE("--kernel", "k", "--console-limit", "1M"), 0);
    ck_assert_uint_eq(o.console_limit, MiB);
    ck_assert_int_eq(PARSE("--kernel", "k", "--console-limit=64K"), 0);
    ck_assert_uint_eq(o.console_limit, 64 * 1024);
    ck_assert_int_eq(PARSE("--kernel", "k", "--console-limit", "0"), 0);
    ck_assert_uint_eq(o.console_limit, 0);
    EXPECT_BAD("--console-limit", "--kernel", "k", "--console-limit", "lots");
}
END_TEST

START_TEST(bad_memory)
{
    EXPECT_BAD("--memory", "--kernel", "k", "--memory", "16M");
    EXPECT_BAD("--memory", "--kernel", "k", "--memory", "31M");
    EXPECT_BAD("--memory", "--kernel", "k", "--memory", "0");
    EXPECT_BAD("--memory", "--kernel", "k", "--memory", "lots");
    EXPECT_BAD("--memory", "--kernel", "k", "--memory", "-1G");
    EXPECT_BAD("--memory", "--kernel", "k", "--memory", "1025G");
    EXPECT_BAD("--memory", "--kernel", "k", "--memory", "99999999999999999999G");
    ck_assert_int_eq(PARSE("--kernel", "k", "--memory", "1024G"), 0);
    ck_assert_uint_eq(o.memory, 1024 * GiB);
}
END_TEST

START_TEST(bad_timeout)
{
    EXPECT_BAD("--timeout", "--kernel", "k", "--timeout", "-1");
    EXPECT_BAD("--timeout", "--kernel", "k", "--timeout", "10s");
    EXPECT_BAD("--timeout", "--kernel", "k", "--timeout", "1.5");
}
END_TEST

START_TEST(bad_discovery)
{
    EXPECT_BAD("--virtio-discovery", "--kernel", "k", "--virtio-discovery", "pci");
}
END_TEST

START_TEST(missing_kernel)
{
    EXPECT_BAD("--kernel", "--memory", "1G");
    char *argv[] = { "boot", NULL };
    ck_assert_int_eq(parse(1, argv), -1);
    ck_assert_msg(strstr(err, "--kernel"), "%s", err);
}
END_TEST

START_TEST(unknown_option)
{
    EXPECT_BAD("--bogus", "--kernel", "k", "--bogus");
    EXPECT_BAD("--bogus", "--bogus", "--kernel", "k");
    EXPECT_BAD("-z", "--kernel", "k", "-z");
    /* a value to an option that takes none */
    EXPECT_BAD("--quiet", "--kernel", "k", "--quiet=yes");
}
END_TEST

START_TEST(stray_argument)
{
    EXPECT_BAD("stray", "--kernel", "k", "stray");
    EXPECT_BAD("stray", "stray", "--kernel", "k");
    /* after "--" everything is an argument */
    EXPECT_BAD("--cpus", "--kernel", "k", "--", "--cpus");
}
END_TEST

START_TEST(missing_value)
{
    static const char *const opts[] = { "--kernel", "--initrd", "--append", "--memory", "--cpus",
                                        "--timeout", "--console", "--share",
                                        "--virtio-discovery", "--console-limit" };
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        char *argv[] = { "boot", "--kernel=k", (char *)opts[i], NULL };
        ck_assert_msg(parse(3, argv) == -1, "%s without a value accepted", opts[i]);
        ck_assert_msg(strstr(err, opts[i]) && strstr(err, "value"), "%s: reason '%s'", opts[i],
                      err);
        ck_assert(!strchr(err, '\n'));
    }
}
END_TEST

START_TEST(help_and_version)
{
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    ck_assert(stdout != NULL);
    int h = PARSE("--help");
    int v = PARSE("--version");
    fclose(stdout);
    stdout = saved;
    ck_assert_int_eq(h, 1);
    ck_assert_int_eq(v, 1);
}
END_TEST

/* ---- --share ---------------------------------------------------------------- */

START_TEST(share_parsing)
{
    ck_assert_msg(PARSE("--kernel", "k", "--share", "/srv/a", "--share", "/srv/b,ro",
                        "--share", "/srv/c,tag=results", "--share", "/srv/d,ro,tag=x") == 0,
                  "%s", err);
    ck_assert_int_eq(o.nshares, 4);
    ck_assert_str_eq(o.shares[0].dir, "/srv/a");
    ck_assert_str_eq(o.shares[0].tag, "share0");
    ck_assert(!o.shares[0].readonly);
    ck_assert_str_eq(o.shares[1].dir, "/srv/b");
    ck_assert_str_eq(o.shares[1].tag, "share1");
    ck_assert(o.shares[1].readonly);
    ck_assert_str_eq(o.shares[2].tag, "results");
    ck_assert(!o.shares[2].readonly);
    ck_assert_str_eq(o.shares[3].dir, "/srv/d");
    ck_assert_str_eq(o.shares[3].tag, "x");
    ck_assert(o.shares[3].readonly);
    ck_assert_uint_eq(o.shares[3].max, 0);
    ck_assert_int_eq(PARSE("--kernel", "k", "--share", "/srv/e,max=2G,ro", "--share", "/f,max=100"), 0);
    ck_assert_uint_eq(o.shares[0].max, 2ULL << 30);
    ck_assert(o.shares[0].readonly);
    ck_assert_uint_eq(o.shares[1].max, 100ULL << 20);

    /* the longest tag that fits (31 characters) */
    char tag31[64];
    snprintf(tag31, sizeof(tag31), "/d,tag=%s", "abcdefghijklmnopqrstuvwxyz01234");
    ck_assert_int_eq(PARSE("--kernel", "k", "--share", tag31), 0);
    ck_assert_str_eq(o.shares[0].tag, "abcdefghijklmnopqrstuvwxyz01234");
}
END_TEST

START_TEST(share_errors)
{
    EXPECT_BAD("tag", "--kernel", "k", "--share", "/d,tag=abcdefghijklmnopqrstuvwxyz012345");
    EXPECT_BAD("tag", "--kernel", "k", "--share", "/d,tag=abcdefghijklmnopqrstuvwxyz012345,ro");
    EXPECT_BAD("rw", "--kernel", "k", "--share", "/d,rw");
    EXPECT_BAD("cache=none", "--kernel", "k", "--share", "/d,cache=none");
    EXPECT_BAD("max=0", "--kernel", "k", "--share", "/d,max=0");
    EXPECT_BAD("max=lots", "--kernel", "k", "--share", "/d,max=lots");
    EXPECT_BAD("max=", "--kernel", "k", "--share", "/d,max=");
    EXPECT_BAD("--share", "--kernel", "k", "--share", "");
    EXPECT_BAD("--share", "--kernel", "k", "--share", ",ro");
    EXPECT_BAD("--kernel", "--share", "/d", "--share", "/e");   /* still needs --kernel */
    /* parse_share directly: an empty option between commas */
    struct share_opt sh;
    char e2[256] = "";
    ck_assert_int_eq(parse_share("/d,,ro", 0, &sh, e2, sizeof(e2)), -1);
    ck_assert(e2[0] != 0);
    /* too many shares */
    char *argv[2 + 2 * (MAX_SHARES + 1) + 1];
    int argc = 0;
    argv[argc++] = "boot";
    argv[argc++] = "--kernel=k";
    for (int i = 0; i <= MAX_SHARES; i++) {
        argv[argc++] = "--share";
        argv[argc++] = "/srv";
    }
    argv[argc] = NULL;
    ck_assert_int_eq(parse(argc, argv), -1);
    ck_assert_msg(strstr(err, "--share"), "%s", err);
    ck_assert_int_eq(parse(argc - 2, argv), 0);
    ck_assert_int_eq(o.nshares, MAX_SHARES);
    ck_assert_str_eq(o.shares[MAX_SHARES - 1].tag, "share7");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli_options");
    TCase *tc = tcase_create("parse_size");
    tcase_add_test(tc, sizes);
    suite_add_tcase(s, tc);

    tc = tcase_create("boot_parse_args");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, every_option);
    tcase_add_test(tc, initrd_order_and_limit);
    tcase_add_test(tc, timing_values);
    tcase_add_test(tc, pit_flag);
    tcase_add_test(tc, bad_cpus);
    tcase_add_test(tc, bad_memory);
    tcase_add_test(tc, numbers_do_not_wrap);
    tcase_add_test(tc, parse_uint_ranges);
    tcase_add_test(tc, console_limit_values);
    tcase_add_test(tc, bad_timeout);
    tcase_add_test(tc, bad_discovery);
    tcase_add_test(tc, missing_kernel);
    tcase_add_test(tc, unknown_option);
    tcase_add_test(tc, stray_argument);
    tcase_add_test(tc, missing_value);
    tcase_add_test(tc, help_and_version);
    tcase_add_test(tc, share_parsing);
    tcase_add_test(tc, share_errors);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
