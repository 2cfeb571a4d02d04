/* Overlapped tensor parallelism (layout.h, mlsim_layout_hide_tensor_comm): sequence
 * parallelism's all-gathers and reduce-scatters under their GEMMs, against hand arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/collective.h"
#include "mlsim/layout.h"
#include "mlsim/workload.h"

enum { M = MLSIM_KERNEL_MEMORY, G = MLSIM_KERNEL_GEMM, C = MLSIM_KERNEL_COMM };

struct row {
    int kind, group, op, layer;
    double t;
};

static void fill(const struct row *r, size_t n, struct mlsim_kernel *k, double *t)
{
    memset(k, 0, n * sizeof *k);
    for (size_t i = 0; i < n; i++) {
        k[i].kind = r[i].kind;
        k[i].group = r[i].group;
        k[i].coll_op = r[i].op;
        k[i].layer = r[i].layer;
        t[i] = r[i].t;
    }
}

/* One layer's forward with sequence parallelism, tp 4, slowdown 0.2 (times in any unit):
 * all-gather 2 before the QKV GEMM 4: exposed 0 + 2/4 = 0.5, the GEMM 4 + 0.2 x 1.5 = 4.3;
 * reduce-scatter 3 after the projection GEMM 2: exposed (3 - 2) + 2/4 = 1.5, the GEMM 2 + 0.2 x
 * 1.5 = 2.3; the MLP's all-gather 1 before FC1 8: 0.25 and 8.15; its reduce-scatter 2 after FC2
 * 8: 0.5 and 8.3. Attention, norms and activations are not GEMMs and are left alone; a
 * reduce-scatter of the next layer finds no GEMM of its own layer before it and stays whole; a
 * tensor-parallel all-reduce (no sequence parallelism) is never hidden. */
static void test_hand_layer(void **state)
{
    (void)state;
    const int SP = MLSIM_GROUP_SP, TP = MLSIM_GROUP_TP;
    const int AG = MLSIM_COLL_ALL_GATHER, RS = MLSIM_COLL_REDUCE_SCATTER,
              AR = MLSIM_COLL_ALL_REDUCE;
    const struct row r[] = {
        {M, 0, 0, 0, 1},   {C, SP, AG, 0, 2},
        {G, 0, 0, 0, 4},   {MLSIM_KERNEL_ATTENTION, 0, 0, 0, 3},
        {G, 0, 0, 0, 2},   {C, SP, RS, 0, 3},
        {C, SP, AG, 0, 1}, {G, 0, 0, 0, 8},
        {M, 0, 0, 0, 1},   {G, 0, 0, 0, 8},
        {C, SP, RS, 0, 2}, {C, SP, RS, 1, 5},
        {C, TP, AR, 1, 6},
    };
    struct mlsim_kernel k[13];
    double t[13];
    fill(r, 13, k, t);
    mlsim_layout_hide_tensor_comm(k, 13, t, 4, 0.2);
    static const double want[] = {1, 0.5, 4.3, 3, 2.3, 1.5, 0.25, 8.15, 1, 8.3, 0.5, 5, 6};
    for (int i = 0; i < 13; i++)
        assert_near(t[i], want[i], 1e-12);
}

/* A collective longer than its GEMM keeps its excess and a quarter of the GEMM exposed (tp 4):
 * 10 beside 4 leaves 6 + 1 = 7, the GEMM 4 + 0.2 x 3 = 4.6. One tensor rank hides nothing. */
static void test_long_collective_and_one_rank(void **state)
{
    (void)state;
    struct row r[] = {{C, MLSIM_GROUP_SP, MLSIM_COLL_ALL_GATHER, 2, 10}, {G, 0, 0, 2, 4}};
    struct mlsim_kernel k[2];
    double t[2];
    fill(r, 2, k, t);
    mlsim_layout_hide_tensor_comm(k, 2, t, 4, 0.2);
    assert_near(t[0], 7.0, 1e-12);
    assert_near(t[1], 4.6, 1e-12);
    fill(r, 2, k, t);
    mlsim_layout_hide_tensor_comm(k, 2, t, 1, 0.2);
    assert_near(t[0], 10.0, 1e-12);
    assert_near(t[1], 4.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_layer),
        cmocka_unit_test(test_long_collective_and_one_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
