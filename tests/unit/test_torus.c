/* Collectives on a torus against hand calculations (in each comment), slice shapes against
 * Google Cloud's published ones, and groups' places against the rank order (tensor innermost).
 * Links are TPU v5e's, 50 GB/s each way (4 ports of 100 GB/s two-way: 400 GB/s a chip), and
 * TPU v4's, 50 GB/s each way; latencies alpha = 8.4 us a collective + 3.4 us a step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mlsim/collective.h"
#include "mlsim/torus.h"

#include "check.h"

#define LINK_BPS 50e9
#define BASE_S   8.4e-6
#define STEP_S   3.4e-6

static struct mlsim_link_cost on(const int shape[MLSIM_TORUS_DIMS], int wrap, long stride,
                                 long size)
{
    struct mlsim_link_cost c = {.bw_Bps = LINK_BPS, .step_s = STEP_S, .base_s = BASE_S};
    assert_true(mlsim_torus_span_of(shape, wrap, stride, size, LINK_BPS, &c.torus));
    return c;
}

/* Google Cloud's slice topologies: v5e 2x4, 4x4, 4x8, 8x16, 16x16; v5p 2x2x1, 2x2x2, 2x4x4,
 * 4x4x8, 8x16x16, 16x16x24 (docs "TPU v5e", "TPU v5p": the table of shapes). */
static void test_shapes(void **state)
{
    (void)state;
    static const struct {
        int pod[3];
        long chips;
        int shape[3];
    } cases[] = {
        {{16, 16, 0}, 8, {1, 2, 4}},        {{16, 16, 0}, 16, {1, 4, 4}},
        {{16, 16, 0}, 32, {1, 4, 8}},       {{16, 16, 0}, 128, {1, 8, 16}},
        {{16, 16, 0}, 256, {1, 16, 16}},    {{16, 16, 24}, 4, {1, 2, 2}},
        {{16, 16, 24}, 8, {2, 2, 2}},       {{16, 16, 24}, 32, {2, 4, 4}},
        {{16, 16, 24}, 128, {4, 4, 8}},     {{16, 16, 24}, 2048, {8, 16, 16}},
        {{16, 16, 24}, 6144, {16, 16, 24}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int s[3] = {0, 0, 0};
        assert_true(mlsim_torus_shape(cases[i].pod, cases[i].chips, s));
        for (int d = 0; d < 3; d++)
            assert_int_equal(s[d], cases[i].shape[d]);
    }
    int s[3];
    assert_false(mlsim_torus_shape((int[]){16, 16, 0}, 512, s)); /* more than the pod */
    assert_false(mlsim_torus_shape((int[]){16, 16, 0}, 17, s));  /* 17 fits no 16 x 16 box */
}

/* A 1 GB all-reduce on a full v5e pod, 16 x 16, both dimensions wrapped: each dimension's ring
 * runs both ways, 2 x 50 = 100 GB/s. Two shares of 0.5 GB, one starting on x, one on y; each:
 * 15/16 x 0.5 GB / 100 GB/s = 4.6875 ms on its first dimension, then 15/16 x (0.5 GB / 16) /
 * 100 GB/s = 0.29296875 ms, and 15 + 15 steps: 4.98046875 ms + 102 us. The all-reduce is twice
 * that plus one base: 9.9609375 ms + 204 us + 8.4 us. Check: (1 - 1/256) x 2 x 1 GB / (2 x 100
 * GB/s) = 9.9609375 ms, the bound for 4 links of 50 GB/s each way. */
static void test_allreduce_16x16(void **state)
{
    (void)state;
    struct mlsim_link_cost c = on((int[]){1, 16, 16}, 16, 1, 256);
    assert_int_equal(c.torus.n_dims, 2);
    assert_true(c.torus.wraps[0] && c.torus.wraps[1]);
    double share = 15.0 / 16.0 * 0.5e9 / 100e9 + 15.0 / 16.0 * (0.5e9 / 16.0) / 100e9;
    assert_rel(share, 4.98046875e-3, 1e-12);
    double ar = BASE_S + 2.0 * (share + 30.0 * STEP_S);
    assert_rel(mlsim_collective_torus(MLSIM_COLL_ALL_REDUCE, 1e9, &c), ar, 1e-12);
    const struct mlsim_collective_algo *ring = mlsim_collective_find("ring");
    assert_rel(ring->time(MLSIM_COLL_ALL_REDUCE, 256, 1e9, &c), ar, 1e-12);
    assert_rel(ring->time(MLSIM_COLL_REDUCE_SCATTER, 256, 1e9, &c), BASE_S + share + 30 * STEP_S,
               1e-12);
    assert_rel(ring->time(MLSIM_COLL_ALL_GATHER, 256, 1e9, &c), BASE_S + share + 30 * STEP_S,
               1e-12);
    /* a tree on a torus runs the torus's rings */
    assert_rel(mlsim_collective_find("tree")->time(MLSIM_COLL_ALL_REDUCE, 256, 1e9, &c), ar, 1e-12);
    /* a count the span does not hold is a ring on the one link: 2 x 127 steps of 1 GB / 128 */
    assert_rel(ring->time(MLSIM_COLL_ALL_REDUCE, 128, 1e9, &c),
               BASE_S + 254 * STEP_S + 254.0 * (1e9 / 128) / LINK_BPS, 1e-12);
}

/* A 1 GB all-reduce on a 4 x 4 slice. On v5e (wraps only at 16) both dimensions are open
 * lines, one link each way: 50 GB/s. Shares of 0.5 GB: 3/4 x 0.5 GB / 50 GB/s = 7.5 ms, then
 * 3/4 x 0.125 GB / 50 GB/s = 1.875 ms, 3 + 3 steps: all-reduce 2 x (9.375 ms + 20.4 us) + 8.4
 * us. On v4 (wraps at multiples of 4, optical switches) both are rings: half, 4.6875 ms each. */
static void test_allreduce_4x4(void **state)
{
    (void)state;
    struct mlsim_link_cost line = on((int[]){1, 4, 4}, 16, 1, 16);
    assert_false(line.torus.wraps[0] || line.torus.wraps[1]);
    assert_rel(mlsim_collective_torus(MLSIM_COLL_ALL_REDUCE, 1e9, &line),
               BASE_S + 2.0 * (9.375e-3 + 6 * STEP_S), 1e-12);
    struct mlsim_link_cost ring = on((int[]){1, 4, 4}, 4, 1, 16);
    assert_true(ring.torus.wraps[0] && ring.torus.wraps[1]);
    assert_rel(mlsim_collective_torus(MLSIM_COLL_ALL_REDUCE, 1e9, &ring),
               BASE_S + 2.0 * (4.6875e-3 + 6 * STEP_S), 1e-12);
    /* all-to-all: the steps, and a quarter of a reduce-scatter's bytes: 4.6875 ms / 4 */
    assert_rel(mlsim_collective_torus(MLSIM_COLL_ALL_TO_ALL, 1e9, &ring),
               BASE_S + 6 * STEP_S + 4.6875e-3 / 4.0, 1e-12);
    /* a send is one link: 1 GB / 50 GB/s = 20 ms */
    assert_rel(mlsim_collective_torus(MLSIM_COLL_SEND_RECV, 1e9, &ring), BASE_S + STEP_S + 20e-3,
               1e-12);
}

/* Groups in the rank order on a 16 x 16 slice: 4 tensor ranks are an open line of x (4 of 16
 * does not wrap); the 64 data ranks after them take every 4th chip of x (4 of them, the 4
 * tensor groups sharing each x link: 2 x 50 / 4 = 25 GB/s) and all 16 of y (a ring, 100 GB/s). */
static void test_groups(void **state)
{
    (void)state;
    const int shape[3] = {1, 16, 16};
    struct mlsim_torus_span s;
    assert_true(mlsim_torus_span_of(shape, 16, 1, 4, LINK_BPS, &s));
    assert_int_equal(s.n_dims, 1);
    assert_int_equal(s.extent[0], 4);
    assert_false(s.wraps[0]);
    assert_rel(s.bw_Bps[0], 50e9, 1e-12);
    assert_true(mlsim_torus_span_of(shape, 16, 4, 64, LINK_BPS, &s));
    assert_int_equal(s.n_dims, 2);
    assert_int_equal(s.extent[0], 4);
    assert_int_equal(s.extent[1], 16);
    assert_true(s.wraps[0] && s.wraps[1]);
    assert_rel(s.bw_Bps[0], 25e9, 1e-12);
    assert_rel(s.bw_Bps[1], 100e9, 1e-12);
    assert_int_equal(mlsim_torus_ranks(&s), 64);
    /* 32 tensor ranks: all of x, 2 of y (an open line) */
    assert_true(mlsim_torus_span_of(shape, 16, 1, 32, LINK_BPS, &s));
    assert_int_equal(s.extent[0], 16);
    assert_int_equal(s.extent[1], 2);
    /* a stride that cuts x unevenly, and a group larger than the slice, have no place */
    assert_false(mlsim_torus_span_of(shape, 16, 3, 4, LINK_BPS, &s));
    assert_int_equal(s.n_dims, 0);
    assert_false(mlsim_torus_span_of(shape, 16, 1, 512, LINK_BPS, &s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_allreduce_16x16),
        cmocka_unit_test(test_allreduce_4x4),
        cmocka_unit_test(test_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
