/* lkp's include/ templates: the ERB subset (job/lkperb.c) gives what Ruby's
 * ERB with trim_mode '%' gives on the same text, and refuses (with the place)
 * what lies outside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/lkperb.h"
#include "tests/unit/testutil.h"

/* ___ = raid5 (or, with ___.test, a map holding test=cve-01), job['fs'] =
 * xfs; other names raise lkp's KeyError (counted). */
static int keyerrors;
static int lookup(void *ctx, const char *name, struct jlkp_val *out, char *err, size_t errlen)
{
    (void)ctx;
    *out = (struct jlkp_val){0};
    const char *s = !strcmp(name, "___") ? "raid5" : !strcmp(name, "___.test") ? "cve-01"
                  : !strcmp(name, "job[fs]") ? "xfs" : !strcmp(name, "___.upcase") ? "RAID5" : NULL;
    if (s) {
        out->type = JLKP_STR;
        out->s = strdup(s);
        return 0;
    }
    if (!strncmp(name, "job[", 4))
        return 0; /* nil */
    keyerrors++;
    snprintf(err, errlen, "unknown key '%s'", name);
    return -1;
}

static char err[400];
static unsigned long eline, ecol;

/* The expansion, or "ERR" */
static char *erb(const char *t)
{
    static char buf[2000];
    char *out = NULL;
    size_t n = 0;
    if (jlkp_erb(t, strlen(t), lookup, NULL, &out, &n, err, sizeof err, &eline, &ecol))
        return strcpy(buf, "ERR");
    ck_assert_uint_eq(strlen(out), n);
    snprintf(buf, sizeof buf, "%s", out);
    free(out);
    return buf;
}

#define EQ(t, want) ck_assert_msg(!strcmp(erb(t), want), "%s -> [%s] (%s), want [%s]", t, erb(t), err, want)

static void bad(const char *t, unsigned long line, unsigned long col, const char *needle)
{
    ck_assert_msg(!strcmp(erb(t), "ERR"), "%s expanded", t);
    ck_assert_msg(strstr(err, needle), "%s: '%s' lacks '%s'", t, err, needle);
    ck_assert_msg(eline == line && ecol == col, "%s: at %lu:%lu, want %lu:%lu (%s)", t, eline, ecol,
                  line, col, err);
}

START_TEST(plain_text_and_tags)
{
    EQ("", "");
    EQ("a: 1\nb: 2\n", "a: 1\nb: 2\n");
    EQ("a: 1\nb: 2", "a: 1\nb: 2");
    EQ("fs: <%= job['fs'] %>\n", "fs: xfs\n");
    EQ("x: <%= job['no'] %>.\n", "x: .\n");       /* nil is "" */
    EQ("<%# a comment %>k: v\n", "k: v\n");
    EQ("%% literal\n", "% literal\n");
    EQ("a: 50%\n", "a: 50%\n");
    EQ("<%=\n\tcase ___\n\twhen 'JBOD'\n\twhen /^raid[456]$/\n\t\t\"need_kconfig: MD_RAID456\"\n"
       "\telse\n\t\t\"need_kconfig: MD_#{___.upcase}\"\n\tend\n%>\n",
       "need_kconfig: MD_RAID456\n");
}
END_TEST

START_TEST(control_lines)
{
    EQ("a\n% if job['fs'] == 'xfs'\nb\n% end\nc\n", "a\nb\nc\n");
    EQ("a\n% if job['fs'] == 'ext4'\nb\n% end\nc\n", "a\nc\n");
    EQ("% if job['x']\n1\n% elsif ___ =~ /raid/\n2\n% else\n3\n% end\n", "2\n");
    EQ("% if job['x']\n1\n% elsif job['y']\n2\n% else\n3\n% end\n", "3\n");
    EQ("% unless job['x'] and job['x'] > 1\nyes\n% end\n", "yes\n");
    EQ("% if ___.test == 'cve-01'\n% if job['fs']\nin\n% else\nout\n% end\n% end\n", "in\n");
    EQ("%  if job['fs']  \nk\n%end\n", "k\n");
    EQ("% # a Ruby comment\nk\n", "k\n");
}
END_TEST

/* Branches not taken are checked, never evaluated (no name looked up). */
START_TEST(untaken_branches)
{
    keyerrors = 0;
    EQ("% if job['fs'] == 'xfs'\n1\n% elsif ___.nosuch == 'x'\n2\n% end\n<%= 1 %>\n", "1\n1\n");
    EQ("% if job['x']\n<%= nosuch %>\n% end\n", "");
    ck_assert_int_eq(keyerrors, 0);
    bad("% if job['x']\n<%= 1 +* %>\n% end\n", 2, 8, "outside the subset");
    bad("% if job['x']\n% elsif fs[0]\n% end\n", 2, 11, "index");
}
END_TEST

START_TEST(key_errors)
{
    keyerrors = 0;
    bad("% if ___.nosuch == 'x'\nk\n% end\n", 1, 6, "unknown key '___.nosuch'");
    ck_assert_int_eq(keyerrors, 1);
    bad("v: <%= nosuch %>\n", 1, 8, "unknown key 'nosuch'");
    ck_assert_int_eq(keyerrors, 2);
}
END_TEST

START_TEST(outside_the_subset)
{
    bad("<% x = 1 %>\n", 1, 1, "<% code %>");
    bad("a\n<%= 1 -%>\n", 2, 1, "-%>");
    bad("% x = 1\n", 1, 3, "the Ruby code 'x = 1'");
    bad("% while true\n", 1, 3, "'while true'");
    bad("% if\n", 1, 3, "'if' without a condition");
    bad("% end\n", 1, 3, "'end' without 'if'");
    bad("% else\n", 1, 3, "'else' without 'if'");
    bad("% elsif 1\n", 1, 3, "'elsif' without 'if'");
    bad("% if 1\nk\n", 3, 1, "'if' without 'end'");
    bad("a: <%= 1\n", 1, 4, "'<%' without '%>'");
    bad("<%= /x/ %>\n", 1, 4, "regular expression is not a value");
    char nul[] = "a\0b";
    ck_assert_int_eq(jlkp_erb(nul, 3, lookup, NULL, &(char *){0}, &(size_t){0}, err, sizeof err,
                              &eline, &ecol), -1);
    ck_assert_ptr_nonnull(strstr(err, "NUL"));
    char deep[33 * 8 + 1] = "";
    for (int i = 0; i < 33; i++)
        strcat(deep, "% if 1\n");
    bad(deep, 33, 3, "nested more than 32");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_lkperb");
    TCase *tc = tcase_create("lkperb");
    tcase_add_test(tc, plain_text_and_tags);
    tcase_add_test(tc, control_lines);
    tcase_add_test(tc, untaken_branches);
    tcase_add_test(tc, key_errors);
    tcase_add_test(tc, outside_the_subset);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
