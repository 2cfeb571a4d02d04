/* The measured-CSV reader: comments, blank lines, CRLF and quoted fields read as written; far more
 * than 16 columns and 256 rows (the old reader's silent limits); and every fault of a bad file
 * reported at its line and column, counted by hand in the test's comments. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mlsim/plot_csv.h"

#include "check.h"

/* The diagnostic at LINE:COL whose message holds TEXT exists. */
static int has_diag(const struct mlsim_diags *d, int line, int col, const char *text)
{
    for (size_t i = 0; i < mlsim_diags_count(d); i++) {
        struct mlsim_loc loc = mlsim_diags_loc(d, i);
        if (loc.line == line && loc.col == col && strstr(mlsim_diags_message(d, i), text))
            return 1;
    }
    return 0;
}

static void test_good(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_plot_csv *t = NULL;
    assert_int_equal(mlsim_plot_csv_read(MLSIM_TEST_DATA "/plot_csv_good.csv", &t, d), MLSIM_OK);
    assert_int_equal(mlsim_diags_count(d), 0);
    assert_int_equal(mlsim_plot_csv_cols(t), 3);
    assert_int_equal(mlsim_plot_csv_rows(t), 3);
    /* a quoted header name keeps its comma; "" is a quote; CR before LF is not part of a field */
    assert_int_equal(mlsim_plot_csv_column(t, "sec, per step", d), 2);
    assert_string_equal(mlsim_plot_csv_text(t, 0, 0), "a \"quoted\" name");
    assert_string_equal(mlsim_plot_csv_text(t, 0, 2), "1.5e-3");
    assert_string_equal(mlsim_plot_csv_text(t, 2, 0), "last");
    double x = 0;
    assert_int_equal(mlsim_plot_csv_number(t, 1, 2, &x, d), MLSIM_OK);
    assert_near(x, 2.5, 0);
    assert_int_equal(mlsim_plot_csv_number(t, 2, 1, &x, d), MLSIM_OK);
    assert_near(x, 64, 0);
    assert_null(mlsim_plot_csv_text(t, 3, 0));
    assert_null(mlsim_plot_csv_text(t, 0, 3));
    assert_int_equal(mlsim_plot_csv_number(t, 3, 0, &x, d), MLSIM_ERR_RANGE);
    assert_int_equal(mlsim_diags_count(d), 0);

    /* "plain" (line 6, column 1) is not a number; a missing column is reported at the header
     * (line 3) */
    assert_int_equal(mlsim_plot_csv_number(t, 1, 0, &x, d), MLSIM_ERR_INPUT);
    assert_true(has_diag(d, 6, 1, "'name' is 'plain': expected a finite number"));
    assert_int_equal(mlsim_plot_csv_column(t, "seconds", d), -1);
    assert_true(has_diag(d, 3, 1, "no column 'seconds'"));
    assert_int_equal(mlsim_plot_csv_column(t, "seconds", NULL), -1);
    mlsim_plot_csv_free(t);
    mlsim_plot_csv_free(NULL);
    mlsim_diags_free(d);
}

static void test_bad_rows(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_plot_csv *t = NULL;
    assert_int_equal(mlsim_plot_csv_read(MLSIM_TEST_DATA "/plot_csv_bad_rows.csv", &t, d),
                     MLSIM_ERR_INPUT);
    assert_null(t);
    /* line 3 "32,26506": 2 fields, reported at its end (8 characters, column 9); line 4
     * "64,55050,4e-4,extra": the 4th field starts at column 15; line 5 opens a quote at
     * column 1 that never closes; line 6 '"256"x': the x after the quote is column 6. */
    assert_int_equal(mlsim_diags_errors(d), 4);
    assert_true(has_diag(d, 3, 9, "2 fields, but the header (line 1) names 3 columns"));
    assert_true(has_diag(d, 4, 15, "4 fields, but the header (line 1) names 3 columns"));
    assert_true(has_diag(d, 5, 1, "quote left open"));
    assert_true(has_diag(d, 6, 6, "text after a closing quote"));
    mlsim_diags_free(d);
}

static void test_bad_header(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_plot_csv *t = NULL;
    /* "n,,seconds,n" on line 2: the empty name starts at column 3, the second 'n' at 12 */
    assert_int_equal(mlsim_plot_csv_read(MLSIM_TEST_DATA "/plot_csv_bad_header.csv", &t, d),
                     MLSIM_ERR_INPUT);
    assert_null(t);
    assert_int_equal(mlsim_diags_errors(d), 2);
    assert_true(has_diag(d, 2, 3, "column 2 of the header has no name"));
    assert_true(has_diag(d, 2, 12, "column 'n' named twice (first in column 1)"));
    mlsim_diags_free(d);

    d = mlsim_diags_alloc();
    assert_int_equal(mlsim_plot_csv_read(MLSIM_TEST_DATA "/plot_csv_no_header.csv", &t, d),
                     MLSIM_ERR_INPUT);
    assert_true(has_diag(d, 0, 0, "no header line"));
    mlsim_diags_free(d);

    d = mlsim_diags_alloc();
    assert_int_equal(mlsim_plot_csv_read(MLSIM_TEST_DATA "/no-such-file.csv", &t, d), MLSIM_ERR_IO);
    assert_true(has_diag(d, 0, 0, "cannot read"));
    mlsim_diags_free(d);

    d = mlsim_diags_alloc();
    assert_int_equal(mlsim_plot_csv_read(MLSIM_TEST_DATA, &t, d), MLSIM_ERR_IO); /* a folder */
    mlsim_diags_free(d);
}

/* Write TEXT of LEN bytes to a new temporary file; its path into PATH. */
static void write_temp(char *path, size_t size, const char *text, size_t len)
{
    snprintf(path, size, "/tmp/mlsim-test-plot-csv-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* 40 columns and 1000 rows, far past the old reader's 16 and 256: every field is read, and the
 * last one is row * 40 + col = 999 * 40 + 39 = 39999. */
static void test_large(void **state)
{
    (void)state;
    enum { COLS = 40, ROWS = 1000 };
    size_t cap = 1 << 20, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int c = 0; c < COLS; c++)
        n += (size_t)snprintf(text + n, cap - n, "%sc%d", c ? "," : "", c);
    text[n++] = '\n';
    for (int r = 0; r < ROWS; r++) {
        for (int c = 0; c < COLS; c++)
            n += (size_t)snprintf(text + n, cap - n, "%s%d", c ? "," : "", r * COLS + c);
        text[n++] = '\n';
    }
    char path[64];
    write_temp(path, sizeof path, text, n);
    free(text);
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_plot_csv *t = NULL;
    assert_int_equal(mlsim_plot_csv_read(path, &t, d), MLSIM_OK);
    assert_int_equal(mlsim_plot_csv_cols(t), COLS);
    assert_int_equal(mlsim_plot_csv_rows(t), ROWS);
    assert_int_equal(mlsim_plot_csv_column(t, "c39", d), 39);
    double x = 0;
    assert_int_equal(mlsim_plot_csv_number(t, ROWS - 1, COLS - 1, &x, d), MLSIM_OK);
    assert_near(x, 39999, 0);
    assert_int_equal(mlsim_plot_csv_number(t, 300, 20, &x, d), MLSIM_OK);
    assert_near(x, 300 * 40 + 20, 0);
    mlsim_plot_csv_free(t);
    mlsim_diags_free(d);
    remove(path);
}

/* Numbers that are not (empty, inf, nan, trailing text) and a NUL byte, each at its place. */
static void test_bad_values(void **state)
{
    (void)state;
    static const char text[] = "a,b,c,d\n,inf,nan,1x\n";
    char path[64];
    write_temp(path, sizeof path, text, sizeof text - 1);
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_plot_csv *t = NULL;
    assert_int_equal(mlsim_plot_csv_read(path, &t, d), MLSIM_OK);
    double x = 7;
    /* line 2 ",inf,nan,1x": the fields start at columns 1, 2, 6 and 10 */
    assert_int_equal(mlsim_plot_csv_number(t, 0, 0, &x, d), MLSIM_ERR_INPUT);
    assert_int_equal(mlsim_plot_csv_number(t, 0, 1, &x, d), MLSIM_ERR_INPUT);
    assert_int_equal(mlsim_plot_csv_number(t, 0, 2, &x, d), MLSIM_ERR_INPUT);
    assert_int_equal(mlsim_plot_csv_number(t, 0, 3, &x, d), MLSIM_ERR_INPUT);
    assert_near(x, 7, 0);
    assert_true(has_diag(d, 2, 1, "'a' is empty"));
    assert_true(has_diag(d, 2, 2, "'b' is 'inf'"));
    assert_true(has_diag(d, 2, 6, "'c' is 'nan'"));
    assert_true(has_diag(d, 2, 10, "'d' is '1x'"));
    mlsim_plot_csv_free(t);
    mlsim_diags_free(d);
    remove(path);

    static const char nul[] = "a,b\n1,2\n3,\0\n";
    write_temp(path, sizeof path, nul, sizeof nul - 1);
    d = mlsim_diags_alloc();
    assert_int_equal(mlsim_plot_csv_read(path, &t, d), MLSIM_ERR_INPUT);
    assert_true(has_diag(d, 3, 3, "NUL byte"));
    mlsim_diags_free(d);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),       cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_bad_header), cmocka_unit_test(test_large),
        cmocka_unit_test(test_bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
