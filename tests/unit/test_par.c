/* par: the block split (contiguous, in rank order, sizes within one, every item once) and the
 * form in which diagnostics travel to rank 0 (severity, place and message kept, order kept). A
 * job of several ranks is tested end to end by tests/cli/test_mpi.py in the MPI build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/par.h"

/* Blocks worked by hand: 10 items on 4 ranks are 3, 3, 2, 2 (the first 10 % 4 = 2 ranks get
 * one more); 2 items on 3 ranks are 1, 1, 0. */
static void test_block_by_hand(void **state)
{
    (void)state;
    static const size_t want10[4][2] = {{0, 3}, {3, 6}, {6, 8}, {8, 10}};
    for (int r = 0; r < 4; r++) {
        struct mlsim_par p = {r, 4};
        size_t lo, hi;
        mlsim_par_block(&p, 10, &lo, &hi);
        assert_int_equal(lo, want10[r][0]);
        assert_int_equal(hi, want10[r][1]);
    }
    static const size_t want2[3][2] = {{0, 1}, {1, 2}, {2, 2}};
    for (int r = 0; r < 3; r++) {
        struct mlsim_par p = {r, 3};
        size_t lo, hi;
        mlsim_par_block(&p, 2, &lo, &hi);
        assert_int_equal(lo, want2[r][0]);
        assert_int_equal(hi, want2[r][1]);
    }
}

/* For many N and sizes: block r ends where block r + 1 starts, the first starts at 0, the last
 * ends at N, and no two differ by more than one item. */
static void test_block_tiles(void **state)
{
    (void)state;
    for (int size = 1; size <= 17; size++) {
        for (size_t n = 0; n <= 100; n++) {
            size_t at = 0, least = SIZE_MAX, most = 0;
            for (int r = 0; r < size; r++) {
                struct mlsim_par p = {r, size};
                size_t lo, hi;
                mlsim_par_block(&p, n, &lo, &hi);
                assert_int_equal(lo, at);
                assert_true(hi >= lo);
                least = hi - lo < least ? hi - lo : least;
                most = hi - lo > most ? hi - lo : most;
                at = hi;
            }
            assert_int_equal(at, n);
            assert_true(most - least <= 1);
        }
    }
    /* a NULL job is one rank, which gets everything; so does a huge N on a large job */
    size_t lo, hi;
    mlsim_par_block(NULL, 7, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 7);
    struct mlsim_par last = {4095, 4096};
    mlsim_par_block(&last, SIZE_MAX, &lo, &hi);
    assert_int_equal(hi, SIZE_MAX);
    assert_int_equal(hi - lo, SIZE_MAX / 4096);
}

/* One process is a job of one rank: sharing and gathering leave everything as it is. */
static void test_one_rank(void **state)
{
    (void)state;
    struct mlsim_par p;
    mlsim_par_world(&p);
    assert_int_equal(p.rank, 0);
    assert_int_equal(p.size, 1);
    int items[3] = {1, 2, 3};
    assert_int_equal(mlsim_par_share(&p, items, 3, sizeof items[0]), MLSIM_OK);
    assert_int_equal(items[2], 3);
    assert_int_equal(mlsim_par_max(&p, 5), 5);
    assert_int_equal(mlsim_par_share(NULL, items, 3, sizeof items[0]), MLSIM_OK);
}

/* Diagnostics from index 1 on travel: the first stays behind, the others arrive in order with
 * their severity, file, line, column and message; one with no file arrives with none. */
static void test_diags_travel(void **state)
{
    (void)state;
    struct mlsim_diags *src = mlsim_diags_alloc(), *dst = mlsim_diags_alloc();
    assert_non_null(src);
    assert_non_null(dst);
    struct mlsim_loc here = {"a.yaml", 3, 7}, none = {NULL, 0, 0};
    mlsim_diags_report(src, MLSIM_SEVERITY_ERROR, here, "stays on its rank");
    mlsim_diags_report(src, MLSIM_SEVERITY_WARNING, here, "has no effect: %d", 42);
    mlsim_diags_report(src, MLSIM_SEVERITY_ERROR, none, "no place");
    assert_int_equal(mlsim_par_copy_diags(dst, src, 1), MLSIM_OK);
    assert_int_equal(mlsim_diags_count(dst), 2);
    assert_int_equal(mlsim_diags_errors(dst), 1);
    assert_string_equal(mlsim_diags_message(dst, 0), "has no effect: 42");
    assert_int_equal(mlsim_diags_severity(dst, 0), MLSIM_SEVERITY_WARNING);
    struct mlsim_loc l = mlsim_diags_loc(dst, 0);
    assert_string_equal(l.file, "a.yaml");
    assert_int_equal(l.line, 3);
    assert_int_equal(l.col, 7);
    assert_string_equal(mlsim_diags_message(dst, 1), "no place");
    assert_null(mlsim_diags_loc(dst, 1).file);
    /* the same diagnostics again are kept once, as one process keeps them */
    assert_int_equal(mlsim_par_copy_diags(dst, src, 1), MLSIM_OK);
    assert_int_equal(mlsim_diags_count(dst), 2);
    mlsim_diags_free(src);
    mlsim_diags_free(dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_by_hand),
        cmocka_unit_test(test_block_tiles),
        cmocka_unit_test(test_one_rank),
        cmocka_unit_test(test_diags_travel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
