/* Collective costs against their alpha-beta closed forms (Thakur, Rabenseifner and Gropp 2005),
 * computed by hand in the comments: alpha = 8.4 us per collective + 3.4 us per step (NCCL's ring
 * latencies), beta = 1 / 300 GB/s (NVLink3, one direction) or 1 / 25 GB/s (one HDR NIC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mlsim/collective.h"
#include "mlsim/hwdb.h"

#include "check.h"

static const struct mlsim_link_cost nvlink = {.bw_Bps = 300e9, .step_s = 3.4e-6, .base_s = 8.4e-6};
static const struct mlsim_link_cost nic = {.bw_Bps = 25e9, .step_s = 3.4e-6, .base_s = 8.4e-6};

static void test_ring(void **state)
{
    (void)state;
    const struct mlsim_collective_algo *ring = mlsim_collective_find("ring");
    /* all-reduce, 8 ranks, 1 GB: 2 x 7 steps of 125 MB: 8.4 + 14 x 3.4 us + 14 x 125 MB / 300 GB/s
     */
    assert_rel(ring->time(MLSIM_COLL_ALL_REDUCE, 8, 1e9, &nvlink), 56e-6 + 14 * 0.125 / 300.0,
               1e-12);
    /* all-gather: 7 steps */
    assert_rel(ring->time(MLSIM_COLL_ALL_GATHER, 8, 1e9, &nvlink),
               8.4e-6 + 7 * 3.4e-6 + 7 * 0.125 / 300.0, 1e-12);
    /* all-to-all: 7 exchanges of 125 MB */
    assert_rel(ring->time(MLSIM_COLL_ALL_TO_ALL, 8, 1e9, &nvlink),
               8.4e-6 + 7 * (3.4e-6 + 0.125 / 300.0), 1e-12);
    /* send/receive: one step of the whole message */
    assert_rel(ring->time(MLSIM_COLL_SEND_RECV, 2, 1e9, &nic), 8.4e-6 + 3.4e-6 + 1.0 / 25.0, 1e-12);
    assert_near(ring->time(MLSIM_COLL_ALL_REDUCE, 1, 1e9, &nvlink), 0.0, 0);
}

static void test_tree(void **state)
{
    (void)state;
    const struct mlsim_collective_algo *tree = mlsim_collective_find("tree");
    assert_non_null(tree);
    /* recursive halving/doubling, 8 ranks: 2 log2 8 = 6 steps, 2 x 7/8 of 1 GB on the wire:
     * 8.4 + 6 x 3.4 us + 1.75 GB / 300 GB/s = 28.8 us + 5.8333 ms */
    assert_rel(tree->time(MLSIM_COLL_ALL_REDUCE, 8, 1e9, &nvlink), 28.8e-6 + 1.75 / 300.0, 1e-12);
    /* fewer latencies than the ring's 14 steps: faster for a small message */
    const struct mlsim_collective_algo *ring = mlsim_collective_find("ring");
    assert_true(tree->time(MLSIM_COLL_ALL_REDUCE, 64, 1e3, &nvlink) <
                ring->time(MLSIM_COLL_ALL_REDUCE, 64, 1e3, &nvlink));
}

static void test_hierarchical(void **state)
{
    (void)state;
    const struct mlsim_collective_algo *ring = mlsim_collective_find("ring");
    /* 4 nodes of 8, 1 GB: reduce-scatter in the node (7 steps of 125 MB on NVLink), all-reduce of
     * 125 MB across the 4 nodes (6 steps of 31.25 MB on the NIC), all-gather in the node. */
    double rs = 8.4e-6 + 7 * 3.4e-6 + 7 * 0.125 / 300.0;
    double ar = 8.4e-6 + 6 * 3.4e-6 + 6 * 0.03125 / 25.0;
    assert_rel(mlsim_collective_hierarchical(ring, MLSIM_COLL_ALL_REDUCE, 4, 8, 1e9, &nvlink, &nic),
               rs + ar + rs, 1e-12);
    /* one node: the plain ring inside it */
    assert_rel(mlsim_collective_hierarchical(ring, MLSIM_COLL_ALL_REDUCE, 1, 8, 1e9, &nvlink, &nic),
               ring->time(MLSIM_COLL_ALL_REDUCE, 8, 1e9, &nvlink), 1e-15);
    /* it beats a flat ring of 32 whose every step crosses the network */
    assert_true(
        mlsim_collective_hierarchical(ring, MLSIM_COLL_ALL_REDUCE, 4, 8, 1e9, &nvlink, &nic) <
        ring->time(MLSIM_COLL_ALL_REDUCE, 32, 1e9, &nic));
}

/* What NCCL reaches, from its maintainer's figures: 370 of 450 GB/s on NVLink4 ("~20%" protocol
 * overhead), 160 of 200 GB/s on A800 NVLink, 24 of 25 GB/s per HDR NIC. Links without a
 * measurement keep their full bandwidth. */
static void test_link_efficiency(void **state)
{
    (void)state;
    double nv = mlsim_link_efficiency(MLSIM_LINK_NVLINK);
    assert_true(nv >= 160.0 / 200.0 - 1e-12 && nv <= 370.0 / 450.0);
    assert_rel(mlsim_link_efficiency(MLSIM_LINK_INFINIBAND), 24.0 / 25.0, 1e-12);
    assert_rel(mlsim_link_efficiency(MLSIM_LINK_PCIE), 1.0, 0);
    assert_rel(mlsim_link_efficiency(MLSIM_LINK_ICI), 1.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_hierarchical),
        cmocka_unit_test(test_link_efficiency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
