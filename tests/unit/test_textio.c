/* CSV, JSON and terminal text against RFC 4180, RFC 8259, Unicode 15 section 3.9 and OWASP's
 * CSV-injection advice, each expectation written by hand. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>

#include <cmocka.h>

#include "mlsim/textio.h"

static char *written(void (*fn)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, s);
    fclose(f);
    return buf;
}

static void check(void (*fn)(FILE *, const char *), const char *in, const char *want)
{
    char *got = written(fn, in);
    assert_string_equal(got, want);
    free(got);
}

static char *number(void (*fn)(FILE *, double), double x)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, x);
    fclose(f);
    return buf;
}

static void check_number(void (*fn)(FILE *, double), double x, const char *want)
{
    char *got = number(fn, x);
    assert_string_equal(got, want);
    free(got);
}

#define FFFD "\xef\xbf\xbd"

static void test_csv(void **state)
{
    (void)state;
    check(mlsim_csv_text, "plain", "plain");
    check(mlsim_csv_text, "a, b", "\"a, b\"");
    check(mlsim_csv_text, "say \"hi\"", "\"say \"\"hi\"\"\"");
    check(mlsim_csv_text, "two\nlines", "\"two\nlines\"");
    check(mlsim_csv_text, "", "");
    check(mlsim_csv_text, "tab\there", "\"tab\there\"");
    check(mlsim_csv_text, "bell\a, del\x7f", "\"bell" FFFD ", del" FFFD "\"");
    check(mlsim_csv_text, "c1\xc2\x9b", "c1" FFFD);
    check(mlsim_csv_text, "caf\xc3\xa9", "caf\xc3\xa9");
}

/* OWASP "CSV Injection": a leading = + - @ tab or CR makes a formula; quote it behind a '. */
static void test_csv_formula(void **state)
{
    (void)state;
    check(mlsim_csv_text, "=1+2", "\"'=1+2\"");
    check(mlsim_csv_text, "+cmd", "\"'+cmd\"");
    check(mlsim_csv_text, "-x", "\"'-x\"");
    check(mlsim_csv_text, "@SUM(A1)", "\"'@SUM(A1)\"");
    check(mlsim_csv_text, "\t=1", "\"'\t=1\"");
    check(mlsim_csv_text, "\r=1", "\"'\r=1\"");
    check(mlsim_csv_text, "=\"q\"", "\"'=\"\"q\"\"\"");
    check(mlsim_csv_text, "a=b", "a=b"); /* only the first character counts */
}

static void test_numbers(void **state)
{
    (void)state;
    check_number(mlsim_csv_number, -2.5, "-2.5"); /* a number, not a formula */
    check_number(mlsim_csv_number, 0.1, "0.1");
    check_number(mlsim_csv_number, 1.0 / 3.0, "0.333333333333333");
    check_number(mlsim_csv_number, 3.14e25, "3.14e+25");
    check_number(mlsim_csv_number, HUGE_VAL, "");
    check_number(mlsim_csv_number, -HUGE_VAL, "");
    check_number(mlsim_csv_number, NAN, "");
    check_number(mlsim_json_number, -2.5, "-2.5");
    check_number(mlsim_json_number, 123456789012345.0, "123456789012345");
    check_number(mlsim_json_number, HUGE_VAL, "null");
    check_number(mlsim_json_number, NAN, "null");
}

/* Unicode 15, section 3.9, table 3-8: one U+FFFD per maximal subpart of an ill-formed sequence. */
static void test_invalid_utf8(void **state)
{
    (void)state;
    check(mlsim_json_string, "\x80", "\"" FFFD "\"");                   /* lone continuation */
    check(mlsim_json_string, "\xc0\xaf", "\"" FFFD FFFD "\"");          /* overlong '/' */
    check(mlsim_json_string, "\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\""); /* overlong */
    check(mlsim_json_string, "\xed\xa0\x80", "\"" FFFD FFFD FFFD "\""); /* surrogate */
    check(mlsim_json_string, "\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""); /* >10FFFF */
    check(mlsim_json_string, "\xe2\x82", "\"" FFFD "\"");                 /* truncated at the end */
    check(mlsim_json_string, "\xe2\x82x", "\"" FFFD "x\"");               /* truncated, then text */
    check(mlsim_json_string, "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* U+1F600 */
    check(mlsim_json_string, "\xff", "\"" FFFD "\"");
    /* the table's own example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 */
    check(mlsim_csv_text,
          "a\xf1\x80\x80\xe1\x80\xc2"
          "b\x80"
          "c\x80\xbf"
          "d",
          "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d");
}

static void test_terminal(void **state)
{
    (void)state;
    check(mlsim_term_text, "plain caf\xc3\xa9", "plain caf\xc3\xa9");
    check(mlsim_term_text, "red\x1b[31;1mX", "red?X");   /* CSI */
    check(mlsim_term_text, "\x1b]0;pwned\x07t", "?t");   /* OSC title, BEL */
    check(mlsim_term_text, "\x1b]0;pwned\x1b\\t", "?t"); /* OSC title, ST */
    check(mlsim_term_text,
          "\x1b"
          "c",
          "?");                            /* reset */
    check(mlsim_term_text, "a\x1b", "a?"); /* cut short */
    check(mlsim_term_text, "a\x1b[12", "a?");
    check(mlsim_term_text, "line\nfeed\rtab\t", "line?feed?tab?");
    check(mlsim_term_text,
          "c1 csi\xc2\x9b"
          "31m",
          "c1 csi?31m");
    check(mlsim_term_text, "bad\xff", "bad?");
}

static void test_json(void **state)
{
    (void)state;
    check(mlsim_json_string, "plain", "\"plain\"");
    check(mlsim_json_string, "q\"b\\", "\"q\\\"b\\\\\"");
    check(mlsim_json_string, "tab\there", "\"tab\\u0009here\"");
    check(mlsim_json_string, "caf\xc3\xa9", "\"caf\xc3\xa9\""); /* UTF-8 passes through */
    check(mlsim_json_string, "nl\ncr\rdel\x7f", "\"nl\\u000acr\\u000ddel\\u007f\"");
    check(mlsim_json_string, "c1\xc2\x85", "\"c1\\u0085\""); /* NEL */
    check(mlsim_json_string, "\x1b[31m", "\"\\u001b[31m\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),          cmocka_unit_test(test_json),
        cmocka_unit_test(test_csv_formula),  cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_invalid_utf8), cmocka_unit_test(test_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
