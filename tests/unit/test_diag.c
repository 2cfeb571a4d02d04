/* Diagnostics: a fault found twice at the same place is said once (a device file that every run of
 * a table loads); faults at other places, or other faults at the same place, are all kept. The
 * limits on printing, each at its edge, and the reading of files that are not regular files. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mlsim/diag.h"
#include "mlsim/mem.h"

static void test_same_fault_said_once(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    assert_non_null(d);
    char name[] = "hwdb/gpu/x.yaml"; /* a copy, as loaders pass their own buffers */
    struct mlsim_loc at = {name, 3, 7};
    for (int i = 0; i < 14; i++)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "'%s' is bad", "peak");
    assert_int_equal(mlsim_diags_count(d), 1);
    assert_true(mlsim_diags_errors(d) > 0);
    struct mlsim_loc other_col = {name, 3, 8};
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, other_col, "'%s' is bad", "peak");
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "'%s' is bad", "power");
    mlsim_diags_report(d, MLSIM_SEVERITY_NOTE, at, "'%s' is bad", "peak");
    assert_int_equal(mlsim_diags_count(d), 4);
    assert_string_equal(mlsim_diags_message(d, 2), "'power' is bad");
    mlsim_diags_free(d);
}

/* What D prints, in a malloc'd string (through a temporary file: GCC 12 takes open_memstream's
 * buffer for a dangling pointer). */
static char *printed(const struct mlsim_diags *d)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    mlsim_diags_print(d, f);
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    char *buf = malloc((size_t)len + 1);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* N distinct errors in one file, one per line of a source of N lines. */
static struct mlsim_diags *errors_in_one_file(int n)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    char *text = malloc((size_t)n * 16 + 1);
    size_t used = 0;
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(text + used, 16, "line%d\n", i + 1);
    assert_int_equal(mlsim_diags_add_source(d, "f.yaml", text, used), MLSIM_OK);
    free(text);
    for (int i = 0; i < n; i++) {
        struct mlsim_loc at = {"f.yaml", i + 1, 1};
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "fault %d", i + 1);
    }
    return d;
}

static void test_print_cap_at_its_edge(void **state)
{
    (void)state;
    struct mlsim_diags *d = errors_in_one_file(MLSIM_DIAG_MAX_PER_FILE);
    char *out = printed(d);
    assert_int_equal(count_of(out, ": error: fault"), MLSIM_DIAG_MAX_PER_FILE);
    assert_null(strstr(out, "more error"));
    free(out);
    mlsim_diags_free(d);
    d = errors_in_one_file(MLSIM_DIAG_MAX_PER_FILE + 1);
    struct mlsim_loc other = {"g.yaml", 0, 0}; /* another file's own count starts at 0 */
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, other, "g fault");
    out = printed(d);
    assert_int_equal(count_of(out, ": error: fault"), MLSIM_DIAG_MAX_PER_FILE);
    assert_non_null(strstr(out, "g.yaml: error: g fault\n"));
    assert_non_null(strstr(out, "f.yaml: note: 1 more error not shown (at most 50 are shown per "
                                "file)\n"));
    assert_int_equal(mlsim_diags_errors(d), MLSIM_DIAG_MAX_PER_FILE + 2);
    free(out);
    mlsim_diags_free(d);
}

/* 200,000 faults, each on its own line: the repeats are found by hashing and the lines by the
 * sparse index; the excerpt of the last printed fault is its own line, not a neighbour's. */
static void test_many_faults_near_linear(void **state)
{
    (void)state;
    struct mlsim_diags *d = errors_in_one_file(200000);
    for (int i = 0; i < 200000; i++) { /* every one again: said once */
        struct mlsim_loc at = {"f.yaml", i + 1, 1};
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "fault %d", i + 1);
    }
    assert_int_equal(mlsim_diags_count(d), 200000);
    assert_string_equal(mlsim_diags_message(d, 199999), "fault 200000");
    char *out = printed(d);
    assert_non_null(strstr(out, "f.yaml:50:1: error: fault 50\n  line50\n  ^\n"));
    assert_non_null(strstr(out, "199950 more errors not shown"));
    free(out);
    mlsim_diags_free(d);
}

/* A line found past many marks of the sparse index, and past a line over 64 KiB long. */
static void test_excerpt_found_past_index_marks(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    size_t n = 70000 + 3000 * 8 + 16;
    char *text = malloc(n);
    size_t used = 0;
    memset(text, 'x', 70000);
    used = 70000;
    text[used++] = '\n';
    for (int i = 2; i <= 3000; i++)
        used += (size_t)snprintf(text + used, 9, "L%d\n", i);
    assert_int_equal(mlsim_diags_add_source(d, "f.yaml", text, used), MLSIM_OK);
    free(text);
    struct mlsim_loc at = {"f.yaml", 2999, 2};
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "here");
    char *out = printed(d);
    assert_string_equal(out, "f.yaml:2999:2: error: here\n  L2999\n   ^\n");
    free(out);
    mlsim_diags_free(d);
}

/* A line wider than MLSIM_DIAG_MAX_EXCERPT is shown as a window around the caret. */
static void test_excerpt_cap_at_its_edge(void **state)
{
    (void)state;
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = MLSIM_DIAG_MAX_EXCERPT + (size_t)extra;
        char *line = malloc(n + 1);
        memset(line, 'a', n);
        line[n] = '\0';
        struct mlsim_diags *d = mlsim_diags_alloc();
        assert_int_equal(mlsim_diags_add_source(d, "f.yaml", line, n), MLSIM_OK);
        struct mlsim_loc at = {"f.yaml", 1, (int)n};
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "x");
        char *out = printed(d);
        const char *excerpt = strchr(out, '\n') + 1;
        size_t shown = (size_t)(strchr(excerpt, '\n') - excerpt);
        if (extra) { /* "  ..." + 120 bytes; the caret still under the last 'a' */
            assert_int_equal(shown, 2 + 3 + MLSIM_DIAG_MAX_EXCERPT);
            assert_int_equal(strncmp(excerpt, "  ...a", 6), 0);
            const char *caret = strchr(excerpt, '\n') + 1;
            assert_int_equal(strchr(caret, '^') - caret, (long)shown - 1);
        } else {
            assert_int_equal(shown, 2 + MLSIM_DIAG_MAX_EXCERPT);
            assert_null(strstr(out, "..."));
        }
        free(out);
        free(line);
        mlsim_diags_free(d);
    }
}

/* An excerpt is text: a NUL, a control byte and invalid UTF-8 each show as one '?' (so the caret
 * keeps its column); a tab and valid UTF-8 are kept. */
static void test_excerpt_is_text(void **state)
{
    (void)state;
    static const char line[] = "a\0b\x01\t\xc3\xa9\xff: x";
    struct mlsim_diags *d = mlsim_diags_alloc();
    assert_int_equal(mlsim_diags_add_source(d, "f.yaml", line, sizeof line - 1), MLSIM_OK);
    struct mlsim_loc at = {"f.yaml", 1, 11};
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "x");
    char *out = printed(d);
    assert_string_equal(out, "f.yaml:1:11: error: x\n  a?b?\t\xc3\xa9?: x\n      \t     ^\n");
    free(out);
    mlsim_diags_free(d);
}

/* Found by fuzzing (tests/data/hostile_fuzz_excerpt_continuation.yaml): a wide line of UTF-8
 * continuation bytes made the window's end walk back past its start (a size_t below 0) and read
 * past the text. The window now steps back at most 3 bytes and shows such bytes as '?'. */
static void test_excerpt_of_stray_continuation_bytes(void **state)
{
    (void)state;
    char line[MLSIM_DIAG_MAX_EXCERPT + 31];
    memset(line, 0x96, sizeof line - 1);
    line[sizeof line - 1] = '\0';
    struct mlsim_diags *d = mlsim_diags_alloc();
    assert_int_equal(mlsim_diags_add_source(d, "f.yaml", line, sizeof line - 1), MLSIM_OK);
    struct mlsim_loc at = {"f.yaml", 1, 1};
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "x");
    char *out = printed(d);
    const char *excerpt = strchr(out, '\n') + 3;
    /* the end stepped back its 3 bytes looking for a character's start: 117 shown */
    assert_int_equal(strspn(excerpt, "?"), MLSIM_DIAG_MAX_EXCERPT - 3);
    assert_string_equal(excerpt + MLSIM_DIAG_MAX_EXCERPT - 3, "...\n  ^\n");
    free(out);
    mlsim_diags_free(d);
}

/* A message longer than MLSIM_DIAG_MAX_MESSAGE is cut with "...", not mid-character. */
static void test_message_cap(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    size_t n = 3 * MLSIM_DIAG_MAX_MESSAGE;
    char *big = malloc(n + 1);
    for (size_t i = 0; i + 1 < n; i += 2)
        memcpy(big + i, "\xc3\xa9", 2); /* e-acute, two bytes */
    big[n - 1] = '\0';
    struct mlsim_loc at = {"f.yaml", 0, 0};
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "v '%s'", big);
    const char *msg = mlsim_diags_message(d, 0);
    size_t len = strlen(msg);
    assert_true(len < MLSIM_DIAG_MAX_MESSAGE);
    assert_string_equal(msg + len - 3, "...");
    assert_int_equal((unsigned char)msg[len - 4], 0xa9); /* ends on a whole character */
    free(big);
    mlsim_diags_free(d);
}

static void read_fails(const char *path, enum mlsim_status want, const char *phrase)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    char *text = (char *)"unset";
    size_t len = 0;
    assert_int_equal(mlsim_diags_read_file(d, path, &text, &len), want);
    assert_null(text);
    assert_non_null(strstr(mlsim_diags_message(d, 0), phrase));
    assert_int_equal(mlsim_diags_loc(d, 0).line, 0);
    mlsim_diags_free(d);
}

static void test_read_file_refuses_what_is_not_a_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/mlsim-test-diag-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char fifo[64], big[64], link[64];
    snprintf(fifo, sizeof fifo, "%s/fifo.yaml", dir);
    snprintf(big, sizeof big, "%s/big.yaml", dir);
    snprintf(link, sizeof link, "%s/zero.yaml", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(symlink("/dev/zero", link), 0);
    read_fails(fifo, MLSIM_ERR_IO, "not a regular file"); /* and no wait for a writer */
    read_fails(link, MLSIM_ERR_IO, "not a regular file");
    read_fails(dir, MLSIM_ERR_IO, "not a regular file");
    read_fails("/nonexistent/x.yaml", MLSIM_ERR_IO, "cannot open: No such file");
    /* the size limit at its edge: a sparse file of exactly 64 MiB is read, one byte more is not */
    FILE *f = fopen(big, "w");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), (off_t)MLSIM_MEM_MAX_FILE_BYTES), 0);
    fclose(f);
    struct mlsim_diags *d = mlsim_diags_alloc();
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(mlsim_diags_read_file(d, big, &text, &len), MLSIM_OK);
    assert_int_equal(len, MLSIM_MEM_MAX_FILE_BYTES);
    free(text);
    mlsim_diags_free(d);
    assert_int_equal(truncate(big, (off_t)MLSIM_MEM_MAX_FILE_BYTES + 1), 0);
    read_fails(big, MLSIM_ERR_RANGE, "larger than 64 MiB");
    unlink(fifo);
    unlink(big);
    unlink(link);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_fault_said_once),
        cmocka_unit_test(test_print_cap_at_its_edge),
        cmocka_unit_test(test_many_faults_near_linear),
        cmocka_unit_test(test_excerpt_found_past_index_marks),
        cmocka_unit_test(test_excerpt_cap_at_its_edge),
        cmocka_unit_test(test_excerpt_is_text),
        cmocka_unit_test(test_excerpt_of_stray_continuation_bytes),
        cmocka_unit_test(test_message_cap),
        cmocka_unit_test(test_read_file_refuses_what_is_not_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
