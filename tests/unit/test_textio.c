/* CSV and JSON text fields against RFC 4180 and RFC 8259 by hand. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

static void test_csv(void **state)
{
    (void)state;
    check(mlsim_csv_text, "plain", "plain");
    check(mlsim_csv_text, "a, b", "\"a, b\"");
    check(mlsim_csv_text, "say \"hi\"", "\"say \"\"hi\"\"\"");
    check(mlsim_csv_text, "two\nlines", "\"two\nlines\"");
    check(mlsim_csv_text, "", "");
}

static void test_json(void **state)
{
    (void)state;
    check(mlsim_json_string, "plain", "\"plain\"");
    check(mlsim_json_string, "q\"b\\", "\"q\\\"b\\\\\"");
    check(mlsim_json_string, "tab\there", "\"tab\\u0009here\"");
    check(mlsim_json_string, "caf\xc3\xa9", "\"caf\xc3\xa9\""); /* UTF-8 passes through */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
