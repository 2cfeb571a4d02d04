/* The cluster step: tensor-parallel collectives, pipeline bubbles, ZeRO memory against the ZeRO
 * paper's formulas, a NIC shared by concurrent flows, layouts that cannot be built. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/cluster.h"
#include "mlsim/pipeline.h"
#include "mlsim/sim.h"

#include "check.h"

static struct mlsim_kernel_model km = {.peak_flops = 312e12,
                                       .vector_flops = 19.5e12,
                                       .mem_bw_Bps = 2.0e12,
                                       .gemm_eff = 0.8,
                                       .mem_eff = 0.88,
                                       .overhead_s = 5e-6};

static struct mlsim_cluster_config config(int tp, int pp, int dp, int m)
{
    struct mlsim_cluster_config c;
    memset(&c, 0, sizeof c);
    c.spec.model.layers = 16;
    c.spec.model.hidden = 4096;
    c.spec.model.heads = 32;
    c.spec.model.seq_len = 2048;
    c.spec.model.vocab = 64; /* a tiny head, so stages are near uniform */
    c.spec.micro_batch = 1;
    c.spec.recompute = MLSIM_RECOMPUTE_NONE;
    c.spec.optimizer = MLSIM_OPTIMIZER_ADAM;
    c.spec.elem_bytes = 2;
    c.spec.tp = tp;
    c.km = &km;
    c.tp = tp;
    c.pp = pp;
    c.dp = dp;
    c.interleave = 1;
    c.microbatches = m;
    c.schedule = MLSIM_SCHEDULE_1F1B;
    c.grad_elem_bytes = 2;
    /* NVLink-like inside the tensor group, a 25 GB/s network for pipeline and data parallelism */
    struct mlsim_link_cost fast = {300e9, 3.4e-6, 8.4e-6}, net = {25e9, 3.4e-6, 8.4e-6};
    for (int g = 0; g < MLSIM_GROUP_N; g++) {
        c.groups.g[g].size = 1;
        c.groups.g[g].link = c.groups.g[g].intra = fast;
        c.groups.g[g].per_node = 1;
    }
    c.groups.g[MLSIM_GROUP_TP].size = c.groups.g[MLSIM_GROUP_SP].size = tp;
    c.groups.g[MLSIM_GROUP_PP].size = pp;
    c.groups.g[MLSIM_GROUP_PP].link = net;
    c.groups.g[MLSIM_GROUP_DP].size = dp;
    c.groups.g[MLSIM_GROUP_DP].link = net;
    c.algo = mlsim_collective_find("ring");
    return c;
}

static void test_tensor_parallel_collectives(void **state)
{
    (void)state;
    struct mlsim_cluster_result r1, r8;
    struct mlsim_cluster_config c = config(1, 1, 1, 2);
    assert_int_equal(mlsim_cluster_simulate(&c, &r1, NULL), MLSIM_OK);
    assert_near(r1.tp_comm_s, 0.0, 0);
    c = config(8, 1, 1, 2);
    assert_int_equal(mlsim_cluster_simulate(&c, &r8, NULL), MLSIM_OK);
    /* Per micro-batch: 4 all-reduces per layer (2 forward, 2 backward) x 16 layers, plus the
     * vocabulary-parallel embedding's (forward) and the logits' input gradient (backward): 66 of
     * the b s h activations, each a ring over 8 ranks of 2048 x 4096 x 2 bytes = 16.8 MB:
     * 8.4 us + 14 x 3.4 us + 14 x 2.097 MB / 300 GB/s = 153.9 us; two micro-batches. */
    double one = 8.4e-6 + 14 * 3.4e-6 + 14 * (2048.0 * 4096 * 2 / 8) / 300e9;
    assert_rel(r8.tp_comm_s, 66 * 2 * one, 1e-9);
    /* the model is the same: equal FLOPs in all */
    assert_rel(r8.model_flops, r1.model_flops, 1e-12);
    assert_true(r8.step_s < r1.step_s);
}

static void test_pipeline_bubble(void **state)
{
    (void)state;
    struct mlsim_cluster_result one, pipe, inter;
    struct mlsim_cluster_config c = config(1, 1, 1, 16);
    assert_int_equal(mlsim_cluster_simulate(&c, &one, NULL), MLSIM_OK);
    c = config(1, 4, 1, 16);
    assert_int_equal(mlsim_cluster_simulate(&c, &pipe, NULL), MLSIM_OK);
    /* four stages of a quarter of the work each: (m + p - 1) / m of a quarter of the one-stage
     * step, up to the head and embedding on the end stages and the transfers (within 3%) */
    assert_rel(pipe.step_s, one.step_s / 4 * (16 + 3) / 16.0, 0.03);
    /* the step splits into compute, exposed communication and bubble; with one data-parallel
     * replica nothing is waited for but neighbours */
    assert_near(one.exposed_comm_s, 0.0, 0);
    assert_near(one.bubble_s, 0.0, 1e-12);
    assert_near(pipe.exposed_comm_s, 0.0, 0);
    assert_rel(pipe.compute_s + pipe.bubble_s, pipe.step_s, 1e-12);
    /* with transfers made free, the busiest stage idles (p - 1) of its m micro-batches' time:
     * 3/16 of its compute, up to the optimizer inside that compute (~4% of it) */
    struct mlsim_cluster_result fast;
    c.groups.g[MLSIM_GROUP_PP].link.bw_Bps = 1e18;
    c.groups.g[MLSIM_GROUP_PP].link.step_s = c.groups.g[MLSIM_GROUP_PP].link.base_s = 0;
    assert_int_equal(mlsim_cluster_simulate(&c, &fast, NULL), MLSIM_OK);
    assert_rel(fast.bubble_s / fast.compute_s, 3.0 / 16.0, 0.05);
    c = config(1, 4, 1, 16);
    c.schedule = MLSIM_SCHEDULE_INTERLEAVED;
    c.interleave = 2;
    assert_int_equal(mlsim_cluster_simulate(&c, &inter, NULL), MLSIM_OK);
    assert_true(inter.step_s < pipe.step_s);
    assert_rel(inter.step_s, one.step_s / 4 * (16 + 1.5) / 16.0, 0.03);
}

static void test_zero_memory(void **state)
{
    (void)state;
    /* Rajbhandari et al. 2020, Fig. 1, per parameter with N_d data-parallel ranks:
     * baseline 16; P_os 4 + 12 / N_d; P_os+g 2 + 14 / N_d; P_os+g+p 16 / N_d. */
    struct mlsim_cluster_result r;
    double want[] = {16.0, 4.0 + 12.0 / 8, 2.0 + 14.0 / 8, 16.0 / 8};
    double params = 0;
    for (int z = MLSIM_SHARD_NONE; z <= MLSIM_SHARD_ZERO3; z++) {
        struct mlsim_cluster_config c = config(1, 1, 8, 2);
        c.sharding = z;
        assert_int_equal(mlsim_cluster_simulate(&c, &r, NULL), MLSIM_OK);
        if (z == MLSIM_SHARD_NONE)
            params = r.mem_states_bytes / 16.0;
        assert_rel(r.mem_states_bytes, params * want[z], 1e-12);
        assert_true(r.dp_comm_s > 0);
        /* not overlapped: the reduction (and ZeRO-1/2's gather after the update) is waited for
         * whole; ZeRO-3's gathers run ahead of the passes, hidden */
        if (z != MLSIM_SHARD_ZERO3)
            assert_rel(r.exposed_comm_s, r.dp_comm_s, 1e-9);
        else
            assert_true(r.exposed_comm_s > 0 && r.exposed_comm_s < r.dp_comm_s);
    }
}

static void test_folded_and_unfolded_agree(void **state)
{
    (void)state;
    /* Data-parallel replicas do the same work: simulating all of them, their gradient collectives
     * waiting for every replica, must give the step of the one folded replica. */
    for (int dp = 2; dp <= 4; dp *= 2) {
        struct mlsim_cluster_result folded, unfolded;
        struct mlsim_cluster_config c = config(2, 2, dp, 4);
        assert_int_equal(mlsim_cluster_simulate(&c, &folded, NULL), MLSIM_OK);
        c.unfold_dp = 1;
        assert_int_equal(mlsim_cluster_simulate(&c, &unfolded, NULL), MLSIM_OK);
        assert_rel(unfolded.step_s, folded.step_s, 1e-12);
        assert_rel(unfolded.model_flops, folded.model_flops, 1e-12);
        assert_true(unfolded.tasks > folded.tasks); /* it really simulated more */
        c.schedule = MLSIM_SCHEDULE_INTERLEAVED;
        c.interleave = 2;
        c.unfold_dp = 0;
        assert_int_equal(mlsim_cluster_simulate(&c, &folded, NULL), MLSIM_OK);
        c.unfold_dp = 1;
        assert_int_equal(mlsim_cluster_simulate(&c, &unfolded, NULL), MLSIM_OK);
        assert_rel(unfolded.step_s, folded.step_s, 1e-12);
    }
}

/* The last stage's gradient send and its data-parallel reduction start together on its NIC.
 * Sharing it equally, the send (S seconds alone) ends after 2 S; the reduction (R > S alone) has
 * R - S left then and ends S + R after the start, when the NIC has carried both. The first stage
 * receives the gradients S late, so the step is longer than with unshared links. */
static void test_nic_shared_by_sends_and_reduction(void **state)
{
    (void)state;
    struct mlsim_cluster_config c = config(1, 2, 2, 1);
    struct mlsim_cluster_result alone, shared;
    assert_int_equal(mlsim_cluster_simulate(&c, &alone, NULL), MLSIM_OK);
    c.groups.share_nic = 1;
    struct mlsim_sim *sim = NULL;
    assert_int_equal(mlsim_cluster_simulate(&c, &shared, &sim), MLSIM_OK);
    const struct mlsim_sim_task *send = NULL, *reduce = NULL;
    for (size_t i = 0; i < mlsim_sim_task_count(sim); i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(sim, (int64_t)i);
        if (mlsim_sim_resource_group_of(sim, t->resource) != 1)
            continue;
        if (strcmp(t->name, "send.gradients") == 0)
            send = t;
        else if (strcmp(t->name, "dp.reduce") == 0)
            reduce = t;
    }
    assert_non_null(send);
    assert_non_null(reduce);
    assert_true(send->link > 0 && send->link == reduce->link);
    double s = send->duration_s, r = reduce->duration_s;
    assert_true(s > 0 && r > s);
    assert_rel(send->start_s, reduce->start_s, 1e-12);
    assert_rel(send->end_s - send->start_s, 2.0 * s, 1e-9);
    assert_rel(reduce->end_s - reduce->start_s, s + r, 1e-9);
    assert_true(shared.step_s > alone.step_s);
    mlsim_sim_free(sim);

    /* folding data-parallel replicas stays exact with shared NICs */
    struct mlsim_cluster_result unfolded;
    c = config(2, 2, 4, 4);
    c.groups.share_nic = 1;
    assert_int_equal(mlsim_cluster_simulate(&c, &shared, NULL), MLSIM_OK);
    c.unfold_dp = 1;
    assert_int_equal(mlsim_cluster_simulate(&c, &unfolded, NULL), MLSIM_OK);
    assert_rel(unfolded.step_s, shared.step_s, 1e-12);
}

static void test_layouts_that_cannot_be_built(void **state)
{
    (void)state;
    struct mlsim_cluster_result r;
    struct mlsim_cluster_config c = config(1, 3, 1, 3); /* 16 layers do not split into 3 */
    assert_int_equal(mlsim_cluster_simulate(&c, &r, NULL), MLSIM_ERR_INPUT);
    c = config(1, 4, 1, 6);
    c.schedule = MLSIM_SCHEDULE_INTERLEAVED; /* 6 micro-batches, not a multiple of 4 */
    c.interleave = 2;
    assert_int_equal(mlsim_cluster_simulate(&c, &r, NULL), MLSIM_ERR_INPUT);
    c = config(3, 1, 1, 2); /* 3 does not divide 32 heads */
    assert_int_equal(mlsim_cluster_simulate(&c, &r, NULL), MLSIM_ERR_INPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor_parallel_collectives),
        cmocka_unit_test(test_pipeline_bubble),
        cmocka_unit_test(test_zero_memory),
        cmocka_unit_test(test_folded_and_unfolded_agree),
        cmocka_unit_test(test_nic_shared_by_sends_and_reduction),
        cmocka_unit_test(test_layouts_that_cannot_be_built),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
