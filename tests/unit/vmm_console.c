/* The guest console: crash line detection and the bytes that reach the
 * console file. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "vmm/console.h"

/* ---- console_is_crash_line -------------------------------------------- */

START_TEST(crash_lines)
{
    static const char *const crash[] = {
        "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)",
        "[    2.345678] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009",
        "BUG: kernel NULL pointer dereference, address: 0000000000000000",
        "[   12.000001] BUG: unable to handle page fault for address: ffffffffc0000000",
        "[    3.1] BUG: KASAN: use-after-free in foo+0x1/0x2",
        "Oops: 0000 [#1] SMP",
        "[    5.5] Oops: 0002 [#1] PREEMPT SMP NOPTI",
        "[    1.0] kernel BUG at mm/slub.c:123!",
        "[    7.0] general protection fault, probably for non-canonical address "
        "0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI",
    };
    for (size_t i = 0; i < sizeof(crash) / sizeof(crash[0]); i++)
        ck_assert_msg(console_is_crash_line(crash[i]), "not seen as a crash: '%s'", crash[i]);
}
END_TEST

START_TEST(normal_lines)
{
    static const char *const normal[] = {
        "",
        "[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)",
        "[    0.000000] Command line: console=ttyS0 panic=-1 no_timer_check",
        "[    0.000000] Kernel command line: console=ttyS0 panic=-1 no_timer_check",
        "[    1.234567] Run /init as init process",
        "[    0.512345] Freeing unused kernel image (initmem) memory: 2784K",
        "[    0.100000] Spectre V2 : Mitigation: Retpolines",
        "[    0.000000] [Firmware Bug]: TSC doesn't count with P0 frequency!",
        "hackbench: Running in process mode with 10 groups",
        "PASS: all 12 tests",
        "kernel: booted",
        "panic",
        "Kernel panic",
    };
    for (size_t i = 0; i < sizeof(normal) / sizeof(normal[0]); i++)
        ck_assert_msg(!console_is_crash_line(normal[i]), "seen as a crash: '%s'", normal[i]);
}
END_TEST

/* Lines a job's own programs commonly print, and the kernel's report of a
 * user program's fault: none of them is a kernel crash, and seeing one as a
 * crash turns the job's status into 126 (bisect: bad). */
START_TEST(user_lines_are_not_crashes)
{
    static const char *const normal[] = {
        "DEBUG: starting test",
        "[  OK  ] DEBUG: value=3",
        "[   42.000000] traps: a.out[321] general protection fault ip:401136 sp:7ffd2f0c "
        "error:0 in a.out[401000+1000]",
        "[   42.000000] a.out[321]: segfault at 0 ip 0000000000401136 sp 00007ffd2f0c error 6",
    };
    char wrong[2048] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof(normal) / sizeof(normal[0]); i++)
        if (console_is_crash_line(normal[i]) && used < sizeof(wrong))
            used += (size_t)snprintf(wrong + used, sizeof(wrong) - used, " '%s'", normal[i]);
    ck_assert_msg(used == 0, "seen as crashes:%s", wrong);
}
END_TEST

/* ---- the console file ----------------------------------------------------- */

static char path[64];

static void tmp_setup(void)
{
    snprintf(path, sizeof(path), "/tmp/minivmm-console-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp");
    close(fd);
}

static void tmp_teardown(void) { unlink(path); }

static uint8_t *read_back(size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    ck_assert(b != NULL);
    ck_assert(fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static struct console *open_file(void)
{
    char err[256] = "";
    struct console *c = console_open(path, false, NULL, 0, err, sizeof(err));
    ck_assert_msg(c != NULL, "console_open: %s", err);
    return c;
}

START_TEST(file_holds_exact_bytes)
{
    /* the file existed with other content: it is replaced */
    FILE *f = fopen(path, "w");
    fputs("old content that must go away\n", f);
    fclose(f);
    struct console *c = open_file();
    static const char msg[] = "hello\r\nworld\n\0binary\xff";
    size_t n = sizeof(msg) - 1;
    console_write(c, (const uint8_t *)msg, 7);
    console_write(c, (const uint8_t *)msg + 7, n - 7);
    ck_assert_ptr_null(console_crash(c));
    console_close(c);
    size_t len;
    uint8_t *b = read_back(&len);
    ck_assert_uint_eq(len, n);
    ck_assert(memcmp(b, msg, n) == 0);
    free(b);
}
END_TEST

START_TEST(file_large_output)
{
    /* 300 KiB in writes of odd sizes: the 64 KiB buffer fills and flushes
     * several times; nothing is lost, duplicated or reordered */
    const size_t total = 300 * 1024 + 17;
    uint8_t *data = malloc(total);
    ck_assert(data != NULL);
    uint32_t x = 12345;
    for (size_t i = 0; i < total; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)(x >> 16);
        if (i % 97 == 96)
            data[i] = '\n';
    }
    struct console *c = open_file();
    size_t off = 0, step = 1;
    while (off < total) {
        size_t n = step < total - off ? step : total - off;
        console_write(c, data + off, n);
        off += n;
        step = step * 3 + 1;
        if (step > 100000)
            step = 7;
    }
    /* before the end the file already holds a prefix (flushed mid-way) */
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_msg(st.st_size >= 64 * 1024, "only %lld bytes written before close",
                  (long long)st.st_size);
    console_close(c);
    size_t len;
    uint8_t *b = read_back(&len);
    ck_assert_uint_eq(len, total);
    ck_assert(memcmp(b, data, total) == 0);
    free(b);
    free(data);
}
END_TEST

START_TEST(flush_writes_everything_so_far)
{
    struct console *c = open_file();
    console_write(c, (const uint8_t *)"abc", 3);
    console_flush(c);
    size_t len;
    uint8_t *b = read_back(&len);
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(b, "abc", 3) == 0);
    free(b);
    console_write(c, (const uint8_t *)"def", 3);
    console_close(c);
    b = read_back(&len);
    ck_assert_uint_eq(len, 6);
    ck_assert(memcmp(b, "abcdef", 6) == 0);
    free(b);
}
END_TEST

START_TEST(open_errors)
{
    char err[256] = "";
    struct console *c = console_open("/nonexistent-dir/console.log", false, NULL, 0, err,
                                     sizeof(err));
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "/nonexistent-dir/console.log"), "reason '%s'", err);
    /* no file, no stdout: still works as a crash watcher */
    c = console_open(NULL, false, NULL, 0, err, sizeof(err));
    ck_assert_ptr_nonnull(c);
    const char *l = "Oops: 0000 [#1] SMP\n";
    console_write(c, (const uint8_t *)l, strlen(l));
    ck_assert_ptr_nonnull(console_crash(c));
    ck_assert_str_eq(console_crash(c), "Oops: 0000 [#1] SMP");
    console_close(c);
    console_close(NULL);
}
END_TEST

/* ---- console_crash ---------------------------------------------------------- */

static void write_str(struct console *c, const char *s)
{
    console_write(c, (const uint8_t *)s, strlen(s));
}

START_TEST(first_crash_line)
{
    struct console *c = open_file();
    write_str(c, "[    1.000000] Run /init as init process\r\n");
    ck_assert_ptr_null(console_crash(c));
    write_str(c, "[    2.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008\r\n"
                 "[    2.000001] #PF: supervisor read access in kernel mode\r\n"
                 "[    2.000100] Kernel panic - not syncing: Fatal exception\r\n");
    ck_assert_ptr_nonnull(console_crash(c));
    ck_assert_str_eq(console_crash(c),
                     "[    2.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008");
    write_str(c, "Oops: 0000 [#2] SMP\n");
    ck_assert_str_eq(console_crash(c),
                     "[    2.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008");
    console_close(c);
}
END_TEST

START_TEST(crash_line_split_across_writes)
{
    const char *line = "[    3.141592] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n";
    /* one byte at a time */
    struct console *c = open_file();
    write_str(c, "boot\n");
    for (const char *p = line; *p; p++)
        console_write(c, (const uint8_t *)p, 1);
    ck_assert_ptr_nonnull(console_crash(c));
    ck_assert_str_eq(console_crash(c),
                     "[    3.141592] Kernel panic - not syncing: VFS: Unable to mount root fs");
    console_close(c);
    /* split inside the marker, the \r and the \n in separate writes */
    c = open_file();
    write_str(c, "[    3.141592] Kernel pa");
    ck_assert_ptr_null(console_crash(c));
    write_str(c, "nic - not sync");
    write_str(c, "ing: VFS: Unable to mount root fs\r");
    write_str(c, "\n");
    ck_assert_ptr_nonnull(console_crash(c));
    ck_assert_str_eq(console_crash(c),
                     "[    3.141592] Kernel panic - not syncing: VFS: Unable to mount root fs");
    console_close(c);
    /* a marker split across two lines is not a crash */
    c = open_file();
    write_str(c, "Kernel pa\nnic - not syncing\n");
    ck_assert_ptr_null(console_crash(c));
    console_close(c);
}
END_TEST

/* The crash line is quoted on stderr and in summary.json: the guest's control
 * characters (a \r that rewrites the terminal line, an escape sequence) are
 * shown as '?'. */
START_TEST(crash_line_is_plain_text)
{
    struct console *c = open_file();
    write_str(c, "Kernel panic - not syncing: a\rb\x1b[2Jc\x7f\td\xc3\xa9\r\n");
    ck_assert_ptr_nonnull(console_crash(c));
    ck_assert_str_eq(console_crash(c), "Kernel panic - not syncing: a?b?[2Jc??d\xc3\xa9");
    console_close(c);
}
END_TEST

/* A crash after a very long line (longer than the line buffer) is found,
 * and the file still gets every byte. */
START_TEST(crash_after_long_line)
{
    struct console *c = open_file();
    char longline[3000];
    memset(longline, 'x', sizeof(longline) - 2);
    longline[sizeof(longline) - 2] = '\n';
    longline[sizeof(longline) - 1] = 0;
    write_str(c, longline);
    ck_assert_ptr_null(console_crash(c));
    write_str(c, "Oops: 0002 [#1] SMP\r\n");
    ck_assert_ptr_nonnull(console_crash(c));
    ck_assert_str_eq(console_crash(c), "Oops: 0002 [#1] SMP");
    console_close(c);
    size_t len;
    uint8_t *b = read_back(&len);
    ck_assert_uint_eq(len, strlen(longline) + strlen("Oops: 0002 [#1] SMP\r\n"));
    free(b);
}
END_TEST

/* ---- the console file is never an input; the limit ------------------------ */

static void put_file(const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(text, f);
    fclose(f);
}

START_TEST(input_file_refused_untouched)
{
    put_file("kernel image bytes\n");
    struct stat st, other;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(stat("/", &other), 0);
    struct console_input in[2] = {
        { other.st_dev, other.st_ino, "/" },
        { st.st_dev, st.st_ino, "kernel.bz" },
    };
    char err[256] = "";
    ck_assert_ptr_null(console_open(path, false, in, 2, err, sizeof(err)));
    ck_assert_msg(strstr(err, "kernel.bz") && strstr(err, path) && !strchr(err, '\n'),
                  "reason '%s'", err);
    size_t len;
    uint8_t *b = read_back(&len);
    ck_assert_uint_eq(len, strlen("kernel image bytes\n"));
    ck_assert(memcmp(b, "kernel image bytes\n", len) == 0);
    free(b);
    /* a different file in the list: opened and emptied as before */
    struct console *c = console_open(path, false, in, 1, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    console_close(c);
    b = read_back(&len);
    ck_assert_uint_eq(len, 0);
    free(b);
}
END_TEST

static void write_past_limit(void)
{
    struct console *c = open_file();
    console_set_limit(c, 1000);
    char chunk[300];
    memset(chunk, 'a', sizeof(chunk));
    chunk[sizeof(chunk) - 1] = '\n';
    for (int i = 0; i < 10; i++)              /* 3000 bytes against a 1000-byte limit */
        console_write(c, (const uint8_t *)chunk, sizeof(chunk));
    ck_assert_ptr_null(console_crash(c));
    /* after the limit the output is dropped, but a crash is still seen */
    const char *l = "[   9.9] Kernel panic - not syncing: late\n";
    console_write(c, (const uint8_t *)l, strlen(l));
    ck_assert_ptr_nonnull(console_crash(c));
    ck_assert_str_eq(console_crash(c), "[   9.9] Kernel panic - not syncing: late");
    console_close(c);
}

START_TEST(limit_keeps_a_prefix_and_says_so_once)
{
    char *msg = test_capture_stderr(write_past_limit);
    size_t len;
    uint8_t *b = read_back(&len);
    ck_assert_uint_eq(len, 1000);
    for (size_t i = 0; i < len; i++)
        ck_assert_int_eq(b[i], i % 300 == 299 ? '\n' : 'a');
    free(b);
    ck_assert_msg(strstr(msg, "console output reached 1000 bytes; the rest is dropped"),
                  "stderr: '%s'", msg);
    ck_assert_msg(strchr(msg, '\n') == msg + strlen(msg) - 1, "not one line: '%s'", msg);
    free(msg);
}
END_TEST

static void write_mib(void)
{
    struct console *c = open_file();
    console_set_limit(c, 1 << 20);
    static uint8_t chunk[64 * 1024];
    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 20; i++)
        console_write(c, chunk, sizeof(chunk));
    console_close(c);
}

START_TEST(limit_in_mib_and_no_limit)
{
    char *msg = test_capture_stderr(write_mib);
    ck_assert_msg(strstr(msg, "console output reached 1 MiB;"), "stderr: '%s'", msg);
    free(msg);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 1 << 20);
    /* limit 0 (the default of console_open): everything is kept */
    struct console *c = open_file();
    console_set_limit(c, 0);
    static uint8_t chunk[4096];
    for (int i = 0; i < 300; i++)
        console_write(c, chunk, sizeof(chunk));
    console_close(c);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 300 * 4096);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vmm_console");
    TCase *tc = tcase_create("crash_line");
    tcase_add_test(tc, crash_lines);
    tcase_add_test(tc, normal_lines);
    tcase_add_test(tc, user_lines_are_not_crashes);
    suite_add_tcase(s, tc);

    tc = tcase_create("console");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, file_holds_exact_bytes);
    tcase_add_test(tc, file_large_output);
    tcase_add_test(tc, flush_writes_everything_so_far);
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, first_crash_line);
    tcase_add_test(tc, crash_line_split_across_writes);
    tcase_add_test(tc, crash_after_long_line);
    tcase_add_test(tc, crash_line_is_plain_text);
    tcase_add_test(tc, input_file_refused_untouched);
    tcase_add_test(tc, limit_keeps_a_prefix_and_says_so_once);
    tcase_add_test(tc, limit_in_mib_and_no_limit);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
