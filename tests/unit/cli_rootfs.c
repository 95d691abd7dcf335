/* `minivmm rootfs`: the package list, suite and mirror checks, the cache
 * key (same inputs in any order -> same archive; any input changed -> a
 * new one), and reading the mirror from the host's APT sources. */
#include <string.h>

#include "tests/unit/testutil.h"
#include "cli/rootfs.h"

static void spec_init(struct rootfs_spec *s)
{
    memset(s, 0, sizeof(*s));
    s->suite = "bookworm";
    s->mirror = "http://deb.debian.org/debian";
    s->arch = "amd64";
    s->version = "0.1.0";
}

static void key_of(const char *pkgs, struct rootfs_spec *s, char hex[65])
{
    static char buf[4][4096];
    static int n;
    char err[256];
    char *b = buf[n++ % 4];
    snprintf(b, sizeof(buf[0]), "%s", pkgs);
    ck_assert_msg(rootfs_parse_packages(b, s, err, sizeof err) == 0, "%s: %s", pkgs, err);
    rootfs_cache_key(s, hex);
}

START_TEST(packages_sorted_unique)
{
    struct rootfs_spec s;
    char err[256], list[] = "stress-ng,rt-tests,fio,rt-tests,g++-12,libc6.1";
    spec_init(&s);
    ck_assert_int_eq(rootfs_parse_packages(list, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.npackages, 5);
    ck_assert_str_eq(s.packages[0], "fio");
    ck_assert_str_eq(s.packages[1], "g++-12");
    ck_assert_str_eq(s.packages[2], "libc6.1");
    ck_assert_str_eq(s.packages[3], "rt-tests");
    ck_assert_str_eq(s.packages[4], "stress-ng");
}
END_TEST

START_TEST(packages_refused)
{
    static const char *const bad[] = {
        "rt-tests,,fio", ",fio", "fio,", "a", "Fio", "-fio", ".fio", "fio bar", "fio;rm",
        "fio/../x", "fi\no", "f\x01o", "fio=1.0", "fio:amd64", "$(x)",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rootfs_spec s;
        char err[256] = "", b[64];
        spec_init(&s);
        snprintf(b, sizeof b, "%s", bad[i]);
        ck_assert_msg(rootfs_parse_packages(b, &s, err, sizeof err) == -1, "'%s' accepted",
                      bad[i]);
        ck_assert_msg(strstr(err, "--packages:") && !strchr(err, '\n'), "'%s': %s", bad[i], err);
    }
    /* 256 names are fine, 257 are not */
    static char many[257 * 8];
    size_t n = 0;
    for (int i = 0; i < 257; i++)
        n += (size_t)sprintf(many + n, "%sp%d", i ? "," : "", i);
    struct rootfs_spec s;
    char err[256];
    spec_init(&s);
    ck_assert_int_eq(rootfs_parse_packages(many, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "more than 256"));
    n = 0;                                  /* the list was split in place: again */
    for (int i = 0; i < 256; i++)
        n += (size_t)sprintf(many + n, "%sp%d", i ? "," : "", i);
    ck_assert_int_eq(rootfs_parse_packages(many, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.npackages, 256);
}
END_TEST

START_TEST(suite_and_mirror)
{
    char err[256];
    ck_assert_int_eq(rootfs_check_suite("bookworm", err, sizeof err), 0);
    ck_assert_int_eq(rootfs_check_suite("bookworm-backports", err, sizeof err), 0);
    ck_assert_int_eq(rootfs_check_suite("", err, sizeof err), -1);
    ck_assert_int_eq(rootfs_check_suite("../x", err, sizeof err), -1);
    ck_assert_int_eq(rootfs_check_suite("Bookworm", err, sizeof err), -1);
    /* debootstrap reads a leading '-' as one of its options. */
    ck_assert_int_eq(rootfs_check_suite("--no-check-gpg", err, sizeof err), -1);
    ck_assert_int_eq(rootfs_check_suite("-x", err, sizeof err), -1);
    ck_assert_int_eq(rootfs_check_suite("_x", err, sizeof err), -1);
    ck_assert_int_eq(rootfs_check_suite("1", err, sizeof err), 0);
    ck_assert_int_eq(rootfs_check_mirror("http://deb.debian.org/debian", err, sizeof err), 0);
    ck_assert_int_eq(rootfs_check_mirror("https://m.example/debian/", err, sizeof err), 0);
    ck_assert_int_eq(rootfs_check_mirror("file:///srv/mirror", err, sizeof err), 0);
    ck_assert_int_eq(rootfs_check_mirror("ftp://x/debian", err, sizeof err), -1);
    ck_assert_int_eq(rootfs_check_mirror("http://", err, sizeof err), -1);
    ck_assert_int_eq(rootfs_check_mirror("http://a b/debian", err, sizeof err), -1);
    ck_assert_int_eq(rootfs_check_mirror("http://a\n/debian", err, sizeof err), -1);
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_int_eq(rootfs_check_mirror("--help", err, sizeof err), -1);
}
END_TEST

START_TEST(key_same_inputs)
{
    struct rootfs_spec a, b;
    char ka[65], kb[65];
    spec_init(&a);
    spec_init(&b);
    key_of("rt-tests,fio", &a, ka);
    key_of("fio,rt-tests,fio", &b, kb);
    ck_assert_str_eq(ka, kb);
    ck_assert_int_eq(strlen(ka), 64);
    ck_assert_int_eq(strspn(ka, "0123456789abcdef"), 64);
}
END_TEST

START_TEST(key_each_input_counts)
{
    struct rootfs_spec s;
    char base[65], k[65];
    spec_init(&s);
    key_of("rt-tests", &s, base);
    key_of("rt-tests,fio", &s, k);
    ck_assert_str_ne(base, k);
    key_of("", &s, k);
    ck_assert_str_ne(base, k);
    spec_init(&s);
    s.suite = "trixie";
    key_of("rt-tests", &s, k);
    ck_assert_str_ne(base, k);
    spec_init(&s);
    s.mirror = "http://ftp.de.debian.org/debian";
    key_of("rt-tests", &s, k);
    ck_assert_str_ne(base, k);
    spec_init(&s);
    s.arch = "arm64";
    key_of("rt-tests", &s, k);
    ck_assert_str_ne(base, k);
    spec_init(&s);
    s.version = "0.1.1";
    key_of("rt-tests", &s, k);
    ck_assert_str_ne(base, k);
    /* fields cannot run into each other: packages "ab" vs "a","b" */
    spec_init(&s);
    key_of("ab,cd", &s, base);
    key_of("abcd", &s, k);
    ck_assert_str_ne(base, k);
}
END_TEST

START_TEST(mirror_from_sources_list)
{
    char out[256];
    const char *text =
        "# comment\n"
        "deb http://security.debian.org/debian-security bookworm-security main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib\n"
        "deb http://later.example/debian bookworm main\n";
    ck_assert_int_eq(rootfs_mirror_from_apt(text, false, "bookworm", out, sizeof out), 0);
    ck_assert_str_eq(out, "http://mirror.example/debian");
    ck_assert_int_eq(rootfs_mirror_from_apt(text, false, "trixie", out, sizeof out), -1);
    ck_assert_int_eq(rootfs_mirror_from_apt("", false, "bookworm", out, sizeof out), -1);
    ck_assert_int_eq(rootfs_mirror_from_apt("deb", false, "bookworm", out, sizeof out), -1);
    ck_assert_int_eq(rootfs_mirror_from_apt("deb [x\n", false, "bookworm", out, sizeof out), -1);
}
END_TEST

START_TEST(mirror_from_deb822)
{
    char out[256];
    const char *text =
        "Types: deb\n"
        "URIs: http://deb.example/debian-security\n"
        "Suites: bookworm-security\n"
        "Components: main\n"
        "\n"
        "Types: deb-src\n"
        "URIs: http://src.example/debian\n"
        "Suites: bookworm\n"
        "\n"
        "Types: deb\n"
        "URIs: http://off.example/debian\n"
        "Suites: bookworm\n"
        "Enabled: no\n"
        "\n"
        "Types: deb deb-src\n"
        "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
        "URIs: http://deb.debian.org/debian http://second.example/debian\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main\n";
    ck_assert_int_eq(rootfs_mirror_from_apt(text, true, "bookworm", out, sizeof out), 0);
    ck_assert_str_eq(out, "http://deb.debian.org/debian");
    ck_assert_int_eq(rootfs_mirror_from_apt(text, true, "bookworm-security", out, sizeof out), 0);
    ck_assert_str_eq(out, "http://deb.example/debian-security");
    ck_assert_int_eq(rootfs_mirror_from_apt(text, true, "sid", out, sizeof out), -1);
    /* an URI longer than the buffer is not used */
    ck_assert_int_eq(rootfs_mirror_from_apt(text, true, "bookworm", out, 10), -1);
}
END_TEST

START_TEST(host_keyword)
{
    ck_assert(rootfs_is_host("host"));
    ck_assert(!rootfs_is_host("./host"));
    ck_assert(!rootfs_is_host("host.cgz"));
    ck_assert(!rootfs_is_host(NULL));
    const char *const *names;
    const char *top;
    size_t n;
    rootfs_modules("host", &names, &n, &top);
    ck_assert_str_eq(top, "");
    ck_assert_str_eq(names[n - 1], "overlay");
    rootfs_modules("x.cgz", &names, &n, &top);
    ck_assert_str_eq(top, "usr/");
    for (size_t i = 0; i < n; i++)
        ck_assert_str_ne(names[i], "overlay");
    rootfs_modules(NULL, &names, &n, &top);
    ck_assert_str_eq(top, "");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli_rootfs");
    TCase *tc = tcase_create("rootfs");
    tcase_add_test(tc, packages_sorted_unique);
    tcase_add_test(tc, packages_refused);
    tcase_add_test(tc, suite_and_mirror);
    tcase_add_test(tc, key_same_inputs);
    tcase_add_test(tc, key_each_input_counts);
    tcase_add_test(tc, mirror_from_sources_list);
    tcase_add_test(tc, mirror_from_deb822);
    tcase_add_test(tc, host_keyword);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
