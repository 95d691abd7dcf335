/* lkp `{{ }}` expressions: every operator of the subset, precedence, Ruby's
 * values, and refusals (with their place) of what lies outside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/lkpexpr.h"
#include "tests/unit/testutil.h"

/* Names: fs=ext4, n=8, neg=-3, none=nil, yes=true, aim7.test=disk_rw,
 * anything else unknown. */
static int lookup(void *ctx, const char *name, struct jlkp_val *out, char *err, size_t errlen)
{
    (void)ctx;
    *out = (struct jlkp_val){0};
    if (!strcmp(name, "fs") || !strcmp(name, "aim7.test")) {
        out->type = JLKP_STR;
        out->s = strdup(name[0] == 'f' ? "ext4" : "disk_rw");
    } else if (!strcmp(name, "n") || !strcmp(name, "neg")) {
        out->type = JLKP_INT;
        out->i = name[0] == 'n' && name[1] ? -3 : 8;
    } else if (!strncmp(name, "job[", 4)) { /* lkp's job hash: job['fs'] only */
        if (!strcmp(name, "job[fs]")) {
            out->type = JLKP_STR;
            out->s = strdup("ext4");
        }
    } else if (!strcmp(name, "none")) {
        out->type = JLKP_NIL;
    } else if (!strcmp(name, "yes")) {
        out->type = JLKP_BOOL;
        out->i = 1;
    } else {
        snprintf(err, errlen, "unknown key '%s'", name);
        return -1;
    }
    return 0;
}

static char err[300];
static unsigned long eline, ecol;

/* The value's text ("nil" for nil), or "ERR" */
static char *ev(const char *x)
{
    static char buf[300];
    struct jlkp_val v;
    if (jlkp_eval(x, strlen(x), lookup, NULL, &v, err, sizeof err, &eline, &ecol))
        return strcpy(buf, "ERR");
    int oom;
    char *t = jlkp_val_text(&v, &oom);
    ck_assert_int_eq(oom, 0);
    snprintf(buf, sizeof buf, "%s", t ? t : "nil");
    free(t);
    jlkp_val_free(&v);
    return buf;
}

#define EQ(x, want) ck_assert_msg(!strcmp(ev(x), want), "%s -> %s (%s), want %s", x, ev(x), err, want)

/* X fails at LINE:COL (0-based) with NEEDLE in the message */
static void bad(const char *x, unsigned long line, unsigned long col, const char *needle)
{
    ck_assert_msg(!strcmp(ev(x), "ERR"), "%s evaluated", x);
    ck_assert_msg(strstr(err, needle), "%s: '%s' lacks '%s'", x, err, needle);
    ck_assert_msg(eline == line && ecol == col, "%s: at %lu:%lu, want %lu:%lu (%s)", x, eline,
                  ecol, line, col, err);
}

START_TEST(values_and_names)
{
    EQ(" 42 ", "42");
    EQ("1_000", "1000");
    EQ("'a b'", "a b");
    EQ("'it\\'s'", "it's");
    EQ("'a\\nb'", "a\\nb");         /* single quotes keep \n */
    EQ("\"a\\tb\"", "a\tb");
    EQ("nil", "nil");
    EQ("true", "true");
    EQ("false", "false");
    EQ("fs", "ext4");
    EQ("aim7.test", "disk_rw");
    EQ("none", "nil");
    EQ("(fs)", "ext4");
}
END_TEST

START_TEST(operators)
{
    EQ("1 + 2", "3");
    EQ("7 - 10", "-3");
    EQ("6 * 7", "42");
    EQ("7 / 2", "3");
    EQ("-7 / 2", "-4");   /* Ruby floors */
    EQ("-7 % 3", "2");
    EQ("7 % -3", "-2");
    EQ("-neg", "3");
    EQ("'a' + 'b' + fs", "abext4");
    EQ("n == 8", "true");
    EQ("n == '8'", "false"); /* an integer is no string */
    EQ("fs != 'xfs'", "true");
    EQ("none == nil", "true");
    EQ("n < 9", "true");
    EQ("n <= 8", "true");
    EQ("n > 8", "false");
    EQ("n >= 9", "false");
    EQ("'abc' < 'abd'", "true");
    EQ("fs =~ /ext4|xfs/", "0");
    EQ("fs =~ /t4/", "2");
    EQ("fs =~ /btrfs/", "nil");
    EQ("fs =~ /EXT/i", "0");
    EQ("none =~ /x/", "nil");
    EQ("fs !~ /xfs/", "true");
    EQ("!none", "true");
    EQ("!0", "false");          /* 0 is true in Ruby */
    EQ("none || 'dflt'", "dflt");
    EQ("fs || x_unknown", "ext4"); /* short circuit: never looked up */
    EQ("none && x_unknown", "nil");
    EQ("yes && n", "8");
    EQ("fs == 'ext4' ? '1000n' : '4000n'", "1000n");
    EQ("fs == 'f2fs' ? nil : 'disk_src'", "disk_src");
    EQ("fs == 'ext4' ? nil : 'disk_src'", "nil");
}
END_TEST

START_TEST(precedence)
{
    EQ("1 + 2 * 3", "7");
    EQ("(1 + 2) * 3", "9");
    EQ("10 - 2 - 3", "5");
    EQ("2 * 3 % 4", "2");
    EQ("-2 * 3", "-6");
    EQ("1 + 2 == 3", "true");
    EQ("1 < 2 == true", "true");
    EQ("!yes || yes", "true");
    EQ("yes || none && none", "true");
    EQ("none && none || 5", "5");
    EQ("yes ? 1 : 2 + 10", "1");
    EQ("none ? 1 : yes ? 2 : 3", "2");
    EQ("n > 4 ? n * 2 : n", "16");
}
END_TEST

START_TEST(if_and_case)
{
    const char *aim7 = "\n          if fs == 'btrfs'\n            if aim7.test == 'disk_src' || "
                       "aim7.test == 'disk_rw'\n              500\n            else\n"
                       "              1500\n            end\n          else\n            3000\n"
                       "          end\n        ";
    EQ(aim7, "3000");
    EQ("if fs == 'ext4' then 1 elsif fs == 'xfs' then 2 else 3 end", "1");
    EQ("if fs == 'xfs'\n 1\nelsif fs == 'ext4'\n 2\nend", "2");
    EQ("if fs == 'xfs' then 1 end", "nil");
    EQ("case fs\nwhen 'btrfs' then 10\nwhen 'ext4', 'xfs' then 20\nelse 600\nend", "20");
    EQ("case fs\nwhen 'btrfs' then 10\nelse 600\nend", "600");
    EQ("case fs when /^ext/ then 'extN' end", "extN");
    EQ("case n when 8 then 'eight' end", "eight");
    EQ("case n when '8' then 'eight' end", "nil");
    EQ("case fs\n when 'ext4' then none == nil ? '50M' : '100M'\n else '400M'\n end", "50M");
    /* a branch not taken is parsed but never evaluated */
    EQ("if false then x_unknown + 1 else 2 end", "2");
}
END_TEST

START_TEST(errors_with_place)
{
    bad("x_unknown", 0, 0, "unknown key 'x_unknown'");
    bad("\n  1 +\n  zz", 2, 2, "unknown key 'zz'");
    bad("1 + 'a'", 0, 2, "'+' of an integer and a string");
    bad("fs - 1", 0, 3, "'-' of a string and an integer");
    bad("1 / 0", 0, 2, "division by zero");
    bad("n % 0", 0, 2, "division by zero");
    bad("9223372036854775807 + 1", 0, 20, "integer overflow");
    bad("99999999999999999999", 0, 0, "integer too large");
    bad("n < 'a'", 0, 2, "between an integer and a string");
    bad("n =~ /x/", 0, 2, "needs a string");
    bad("fs =~ 'x'", 0, 3, "needs a string");
    bad("'a", 0, 0, "unterminated string");
    bad("/ab", 0, 0, "unterminated regular expression");
    bad("(1", 0, 2, "')' expected");
    bad("yes ? 1", 0, 7, "':' of '? :' expected");
    bad("if yes then 1", 0, 13, "'end' expected");
    bad("case fs end", 0, 0, "'case' without 'when'");
    bad("", 0, 0, "empty {{ }} expression");
    bad("1 2", 0, 2, "after the expression");
    bad("/x/", 0, 0, "not a value");
}
END_TEST

/* Ruby that is not in the subset: refused, never misread. */
START_TEST(outside_the_subset)
{
    bad("fs.upcase", 0, 0, "unknown key 'fs.upcase'");
    bad("fs.size()", 0, 7, "a method call");
    bad("fs[0]", 0, 2, "a method call or index");
    bad("x = 1", 0, 2, "assignment");
    bad("\"a\\x41\"", 0, 2, "the escape \\x");
    bad("1.5", 0, 1, "float");
    bad("0x10", 0, 1, "float, hex");
    bad("017", 0, 0, "octal");
    bad("2 ** 3", 0, 2, "'**'");
    bad("1 <=> 2", 0, 2, "'<=>'");
    bad("1 << 2", 0, 2, "shift");
    bad("fs === 'x'", 0, 3, "'==='");
    bad("1 < 2 < 3", 0, 6, "chained comparisons");
    bad("1 if yes", 0, 4, "modifier if");
    bad("1 or 2 unless yes", 0, 13, "modifier if");
    bad("unless yes then 1 end", 0, 0, "'unless' is outside");
    bad("fs =~ /\\q/", 0, 7, "in a regular expression");
    bad("fs =~ /[\\d]/", 0, 8, "in a regular expression");
    bad("fs =~ /a(?!b)/", 0, 8, "only ^LITERAL(?!LITERAL)");
    bad("fs =~ /^a(?=b)/", 0, 9, "only ^LITERAL(?!LITERAL)");
    bad("fs =~ /^a(?!b)c/", 0, 9, "only ^LITERAL(?!LITERAL)");
    bad("job[fs]", 0, 4, "string literal key");
    bad("job['fs'].size", 0, 9, "after job[...]");
    bad("\"#{fs\"", 0, 1, "'}' of #{...} expected");
    bad("\"#{/x/}\"", 0, 1, "regular expression in #{...}");
    bad("yes and", 0, 7, "ends where a value");
    bad("fs =~ /x/m", 0, 9, "flag 'm'");
    /* Stacked or many repetitions: the C library's regcomp grows
     * exponentially on them (a fuzzer input took 2 GiB). */
    bad("fs =~ /ex++t4/", 0, 10, "right after another repetition");
    bad("fs =~ /a*?/", 0, 9, "right after another repetition");
    bad("fs =~ /a+b+c+d+e+f+g+h+i+/", 0, 24, "more than 8 repetitions");
    bad("1\n2", 1, 0, "after the expression");
    bad("if yes then 1; 2 end", 0, 15, "several statements");
    bad("`ls`", 0, 0, "'`' is outside");
    bad("$x", 0, 0, "'$' is outside");
    bad("@x", 0, 0, "'@' is outside");
    bad("[1, 2]", 0, 0, "'[' is outside");
    bad("{a: 1}", 0, 0, "'{' is outside");
    bad("File.read('x')", 0, 9, "a method call");
    bad("system 'ls'", 0, 0, "unknown key 'system'");
    bad("fs 'ls'", 0, 3, "after the expression");
}
END_TEST

/* What lkp's include/ templates need (job/lkperb.c): job['KEY'], and/or/not,
 * "#{}" interpolation, \w \d \s, ^LITERAL(?!LITERAL). */
START_TEST(template_forms)
{
    EQ("job['fs']", "ext4");
    EQ("job[\"fs\"] == 'ext4'", "true");
    EQ("job['arch']", "nil");
    EQ("!job['arch'] or job['arch'] =~ /x86|i*86/", "true");
    EQ("none and n", "nil");          /* the operand that decided */
    EQ("n and fs", "ext4");
    EQ("none or n", "8");
    EQ("n or none", "8");
    EQ("not none", "true");
    EQ("not n == 8", "false");         /* not is lower than == */
    EQ("none or yes and fs", "ext4");  /* and/or: equal precedence, left to right */
    EQ("yes or none and none", "nil");
    EQ("(none || n) and 1", "1");
    EQ("\"MD_#{fs}\"", "MD_ext4");
    EQ("\"#{n + 1}-#{none}-#{yes}\"", "9--true");
    EQ("\"a\\#{fs}\"", "a#{fs}");
    EQ("'#{fs}'", "#{fs}");            /* single quotes do not interpolate */
    EQ("\"#{\"x#{fs}y\"}\"", "xext4y");
    EQ("fs =~ /^ext\\d$/", "0");
    EQ("fs =~ /^\\w+$/", "0");
    EQ("fs =~ /\\s/", "nil");
    EQ("aim7.test =~ /^disk(?!_rw)/", "nil");
    EQ("aim7.test =~ /^disk(?!-rw)/", "0");
    EQ("aim7.test =~ /^dis(?!k)/", "nil");
    EQ("if not none then 1 else 2 end", "1");
}
END_TEST

START_TEST(deep_nesting)
{
    char x[400];
    memset(x, '(', 300);
    x[300] = '1';
    x[301] = 0;
    ck_assert_str_eq(ev(x), "ERR");
    ck_assert_ptr_nonnull(strstr(err, "nested too deeply"));
    memset(x, '-', 300);
    ck_assert_str_eq(ev(x), "ERR");
    ck_assert_ptr_nonnull(strstr(err, "nested too deeply"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_lkpexpr");
    TCase *tc = tcase_create("lkpexpr");
    tcase_add_test(tc, values_and_names);
    tcase_add_test(tc, operators);
    tcase_add_test(tc, precedence);
    tcase_add_test(tc, if_and_case);
    tcase_add_test(tc, errors_with_place);
    tcase_add_test(tc, outside_the_subset);
    tcase_add_test(tc, template_forms);
    tcase_add_test(tc, deep_nesting);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
