/* mem: array growth (doubling, overflow refused) and whole-file reads (limits, non-regular
 * files refused). */
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

#include "mlsim/mem.h"

static void test_grow_doubles(void **state)
{
    (void)state;
    void *arr = NULL;
    size_t cap = 0;
    assert_int_equal(mlsim_mem_grow(&arr, &cap, 1, sizeof(int)), MLSIM_OK);
    assert_int_equal(cap, 8); /* the least capacity */
    assert_int_equal(mlsim_mem_grow(&arr, &cap, 9, sizeof(int)), MLSIM_OK);
    assert_int_equal(cap, 16);
    assert_int_equal(mlsim_mem_grow(&arr, &cap, 100, sizeof(int)), MLSIM_OK);
    assert_int_equal(cap, 128); /* 16 doubled until it holds 100 */
    ((int *)arr)[99] = 7;
    free(arr);
}

static void test_grow_refuses_overflow(void **state)
{
    (void)state;
    void *arr = NULL;
    size_t cap = 0;
    assert_int_equal(mlsim_mem_grow(&arr, &cap, SIZE_MAX / 4, 16), MLSIM_ERR_NOMEM);
    assert_null(arr);
    assert_int_equal(cap, 0);
}

static void test_read_file(void **state)
{
    (void)state;
    char path[] = "/tmp/mlsim-test-mem-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc\0def", 7), 7);
    close(fd);
    char *text;
    size_t len;
    assert_int_equal(mlsim_mem_read_file(path, 100, &text, &len), MLSIM_OK);
    assert_int_equal(len, 7); /* a NUL inside is kept: the caller decides what it means */
    assert_memory_equal(text, "abc\0def", 8);
    free(text);
    assert_int_equal(mlsim_mem_read_file(path, 6, &text, &len), MLSIM_ERR_RANGE);
    assert_null(text);
    unlink(path);
    assert_int_equal(mlsim_mem_read_file(path, 100, &text, &len), MLSIM_ERR_IO);
}

static void test_read_refuses_non_regular(void **state)
{
    (void)state;
    char *text;
    size_t len;
    assert_int_equal(mlsim_mem_read_file("/dev/zero", 100, &text, &len), MLSIM_ERR_IO);
    assert_int_equal(mlsim_mem_read_file("/tmp", 100, &text, &len), MLSIM_ERR_IO);
    char fifo[] = "/tmp/mlsim-test-fifo-XXXXXX";
    int fd = mkstemp(fifo);
    assert_true(fd >= 0);
    close(fd);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* no writer: a blocking open would hang here */
    assert_int_equal(mlsim_mem_read_file(fifo, 100, &text, &len), MLSIM_ERR_IO);
    unlink(fifo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_doubles),
        cmocka_unit_test(test_grow_refuses_overflow),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_read_refuses_non_regular),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
