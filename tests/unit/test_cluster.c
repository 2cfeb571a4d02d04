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
    struct mlsim_link_cost fast = {.bw_Bps = 300e9, .step_s = 3.4e-6, .base_s = 8.4e-6},
                           net = {.bw_Bps = 25e9, .step_s = 3.4e-6, .base_s = 8.4e-6};
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
        /* buckets during the backward pass, and ZeRO-3's gathers and reduce-scatters per unit:
         * each replica's collective waits for all of them */
        for (int z = 0; z < 2; z++) {
            c = config(1, 2, dp, 4);
            c.overlap_comm = 1;
            c.bucket_bytes = 25.0 * 1048576;
            c.sharding = z ? MLSIM_SHARD_ZERO3 : MLSIM_SHARD_NONE;
            assert_int_equal(mlsim_cluster_simulate(&c, &folded, NULL), MLSIM_OK);
            c.unfold_dp = 1;
            assert_int_equal(mlsim_cluster_simulate(&c, &unfolded, NULL), MLSIM_OK);
            assert_rel(unfolded.step_s, folded.step_s, 1e-12);
            assert_true(unfolded.tasks > folded.tasks);
        }
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

/* A ring all-gather or reduce-scatter over P ranks of BYTES (collective.h): 8.4 us + (P - 1) x
 * (3.4 us + BYTES / P / bandwidth). */
static double ring_ag(int p, double bytes, double bw)
{
    return 8.4e-6 + (p - 1) * 3.4e-6 + (p - 1) * (bytes / p) / bw;
}

static void count_tasks(struct mlsim_sim *sim, const char *name, int *n, double *busy)
{
    *n = 0;
    *busy = 0;
    for (size_t i = 0; i < mlsim_sim_task_count(sim); i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(sim, (int64_t)i);
        if (strcmp(t->name, name) == 0) {
            (*n)++;
            *busy += t->duration_s;
        }
    }
}

/* ZeRO-3 per unit, by hand. config's layer: 12 h^2 + 13 h = 201,379,840 parameters (h = 4096; the
 * QKV, projection and MLP weights and biases, two LayerNorms); the first also holds the embedding,
 * (64 + 2048) x 4096 = 8,650,752, the last the final LayerNorm, 8192. In bf16 over 8 ranks on the
 * 25 GB/s network: every unit gathered before each of its 4 passes (2 micro-batches, forward and
 * backward) and reduce-scattered after each of its 2 backward passes, every collective a ring. */
static void test_zero3_per_unit(void **state)
{
    (void)state;
    struct mlsim_cluster_config c = config(1, 1, 8, 2);
    c.sharding = MLSIM_SHARD_ZERO3;
    struct mlsim_cluster_result r;
    struct mlsim_sim *sim = NULL;
    assert_int_equal(mlsim_cluster_simulate(&c, &r, &sim), MLSIM_OK);
    double layer = 12.0 * 4096 * 4096 + 13.0 * 4096, emb = (64.0 + 2048) * 4096, norm = 8192;
    double each = 14 * ring_ag(8, 2 * layer, 25e9) + ring_ag(8, 2 * (layer + emb), 25e9) +
                  ring_ag(8, 2 * (layer + norm), 25e9);
    int n_g, n_rs;
    double g_s, rs_s;
    count_tasks(sim, "zero3.all_gather", &n_g, &g_s);
    count_tasks(sim, "zero3.reduce_scatter", &n_rs, &rs_s);
    assert_int_equal(n_g, 4 * 16);
    assert_int_equal(n_rs, 2 * 16);
    assert_rel(g_s, 4 * each, 1e-12);
    assert_rel(rs_s, 2 * each, 1e-12);
    assert_rel(r.dp_comm_s, 6 * each, 1e-12);
    /* the gathered units and one unit's gradient: 6 bytes per parameter of the largest unit */
    assert_rel(r.mem_buffer_bytes, 6.0 * (layer + emb), 1e-12);
    /* A unit's 400 MB take 14 ms on 25 GB/s, its forward pass (24 h^2 t FLOPs, 3.3 ms at 250
     * TFLOP/s) less: the step is the network's, and its waits are communication, not idle. */
    assert_true(r.step_s >= r.dp_comm_s);
    assert_rel(r.compute_s + r.exposed_comm_s, r.step_s, 1e-6);
    mlsim_sim_free(sim);

    /* On 300 GB/s a gather (1.2 ms) hides behind the unit before it: what is left exposed is the
     * first unit's gather before the first forward and the last unit's reduce-scatter before
     * the update. */
    for (int g = 0; g < MLSIM_GROUP_N; g++)
        c.groups.g[g].link.bw_Bps = 300e9;
    assert_int_equal(mlsim_cluster_simulate(&c, &r, NULL), MLSIM_OK);
    double first = ring_ag(8, 2 * (layer + emb), 300e9);
    assert_rel(r.exposed_comm_s, 2 * first, 1e-9);
}

/* ZeRO-3 over 16 ranks in 4 nodes of 4: each gather moves the hierarchical collective's bytes
 * (B / 4 per rank across nodes on 25 GB/s, then B inside the node on 300 GB/s) but, as NCCL's one
 * ring through all 16 ranks, pays 15 step latencies and one base latency: 8.4 us + 15 x 3.4 us
 * + 3 (B / 16) / 25 GB/s + 3 (B / 4) / 300 GB/s for a middle layer's B = 402,759,680 bytes. */
static void test_zero3_ring_latency(void **state)
{
    (void)state;
    struct mlsim_cluster_config c = config(1, 1, 16, 1);
    c.sharding = MLSIM_SHARD_ZERO3;
    c.groups.g[MLSIM_GROUP_DP].per_node = 4;
    struct mlsim_cluster_result r;
    struct mlsim_sim *sim = NULL;
    assert_int_equal(mlsim_cluster_simulate(&c, &r, &sim), MLSIM_OK);
    double b = 2 * (12.0 * 4096 * 4096 + 13.0 * 4096);
    double want = 8.4e-6 + 15 * 3.4e-6 + 3 * (b / 16) / 25e9 + 3 * (b / 4) / 300e9;
    const struct mlsim_sim_task *g = NULL;
    for (size_t i = 0; i < mlsim_sim_task_count(sim) && !g; i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(sim, (int64_t)i);
        if (strcmp(t->name, "zero3.all_gather") == 0 && t->bytes == b)
            g = t;
    }
    assert_non_null(g);
    assert_rel(g->duration_s, want, 1e-12);
    mlsim_sim_free(sim);
}

/* PyTorch DDP's buckets: config's layers hold 402.8 MB of bf16 gradients each, so each layer is a
 * bucket of ceil(402.8 / 26.2) = 16 calls of 25 MiB or less (the first, with the embedding's 17.3
 * MB, 420.1 MB in 17), reduced as its backward pass ends.
 * One bucket as large as all the gradients is one all-reduce after the backward pass: the step
 * without overlap, exactly. */
static void test_buckets_during_backward(void **state)
{
    (void)state;
    struct mlsim_cluster_config c = config(1, 1, 4, 2);
    struct mlsim_cluster_result after, overlapped, one;
    assert_int_equal(mlsim_cluster_simulate(&c, &after, NULL), MLSIM_OK);
    c.overlap_comm = 1;
    c.bucket_bytes = 25.0 * 1048576;
    struct mlsim_sim *sim = NULL;
    assert_int_equal(mlsim_cluster_simulate(&c, &overlapped, &sim), MLSIM_OK);
    int n;
    double busy;
    count_tasks(sim, "dp.reduce.bucket", &n, &busy);
    mlsim_sim_free(sim);
    assert_int_equal(n, 16);
    double layer = 2 * (12.0 * 4096 * 4096 + 13.0 * 4096), emb = 2 * (64.0 + 2048) * 4096;
    double cap = 25.0 * 1048576;
    /* 2 (P - 1) steps for an all-reduce over 4 ranks, 16 calls per bucket */
    double ar_mid = 16 * (8.4e-6 + 6 * 3.4e-6 + 6 * (layer / 16 / 4) / 25e9);
    double ar_first = 17 * (8.4e-6 + 6 * 3.4e-6 + 6 * ((layer + emb) / 17 / 4) / 25e9);
    double ar_last = 16 * (8.4e-6 + 6 * 3.4e-6 + 6 * ((layer + 2 * 8192) / 16 / 4) / 25e9);
    assert_true(layer + emb > 16 * cap && layer + emb < 17 * cap && layer > 15 * cap);
    assert_rel(busy, 14 * ar_mid + ar_first + ar_last, 1e-12);
    assert_true(overlapped.step_s < after.step_s);
    c.bucket_bytes = 1e15;
    assert_int_equal(mlsim_cluster_simulate(&c, &one, NULL), MLSIM_OK);
    assert_rel(one.step_s, after.step_s, 1e-12);
}

/* Uneven stages: 16 layers on 4 stages as 1, 6, 6, 3. A middle stage's forward is 6 identical
 * layers, 1.5 times the 4 of an even split; the model and its FLOPs are the same. */
static void test_uneven_stages(void **state)
{
    (void)state;
    struct mlsim_cluster_config c = config(1, 4, 1, 8);
    struct mlsim_cluster_result even, uneven;
    struct mlsim_sim *s_even = NULL, *s_uneven = NULL;
    assert_int_equal(mlsim_cluster_simulate(&c, &even, &s_even), MLSIM_OK);
    c.first_stage_layers = 1;
    c.last_stage_layers = 3;
    assert_int_equal(mlsim_cluster_simulate(&c, &uneven, &s_uneven), MLSIM_OK);
    double f_even = 0, f_uneven = 0;
    for (size_t i = 0; i < mlsim_sim_task_count(s_even); i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(s_even, (int64_t)i);
        if (strcmp(t->name, "forward") == 0 && t->layer == 1)
            f_even = t->duration_s;
    }
    for (size_t i = 0; i < mlsim_sim_task_count(s_uneven); i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(s_uneven, (int64_t)i);
        if (strcmp(t->name, "forward") == 0 && t->layer == 1)
            f_uneven = t->duration_s;
    }
    assert_rel(f_uneven, 1.5 * f_even, 1e-12);
    assert_rel(uneven.model_flops, even.model_flops, 1e-12);
    assert_rel(uneven.params, even.params, 1e-12);
    assert_true(uneven.step_s > even.step_s);
    mlsim_sim_free(s_even);
    mlsim_sim_free(s_uneven);
    c.first_stage_layers = 2; /* 11 layers do not split among 2 stages */
    assert_int_equal(mlsim_cluster_simulate(&c, &uneven, NULL), MLSIM_ERR_INPUT);
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

/* A long step is folded (its steady state simulated at three short counts and extended along
 * their line): it must give the step, its parts and its memory that simulating every micro-batch
 * gives, for each schedule, with data-parallel buckets, ZeRO-3 per unit, uneven stages and a NIC
 * shared by sends and reductions; and it must simulate fewer tasks. */
static void test_steady_state_folding(void **state)
{
    (void)state;
    int n_folded = 0;
    for (int sched = 0; sched < MLSIM_SCHEDULE_N; sched++) {
        for (int variant = 0; variant < 3; variant++) {
            struct mlsim_cluster_result folded, full;
            struct mlsim_cluster_config c = config(2, 4, 2, 512);
            c.schedule = sched;
            c.interleave = sched == MLSIM_SCHEDULE_INTERLEAVED ? 2 : 1;
            if (variant == 1) {
                c.sharding = MLSIM_SHARD_ZERO3;
                c.groups.share_nic = 1;
            } else if (variant == 2) {
                c.overlap_comm = 1;
                if (sched != MLSIM_SCHEDULE_INTERLEAVED)
                    c.first_stage_layers = c.last_stage_layers = 3; /* 3, 5, 5, 3 of 16 */
            }
            assert_int_equal(mlsim_cluster_simulate(&c, &folded, NULL), MLSIM_OK);
            c.no_fold = 1;
            assert_int_equal(mlsim_cluster_simulate(&c, &full, NULL), MLSIM_OK);
            assert_false(full.folded);
            n_folded += folded.folded;
            if (!folded.folded)
                continue; /* off the line: simulated whole, the same by construction */
            assert_rel(folded.step_s, full.step_s, 1e-9);
            assert_rel(folded.compute_s, full.compute_s, 1e-9);
            assert_rel(folded.dp_comm_s, full.dp_comm_s, 1e-9);
            assert_near(folded.exposed_comm_s, full.exposed_comm_s, 1e-9 * full.step_s);
            assert_near(folded.bubble_s, full.bubble_s, 1e-9 * full.step_s);
            assert_rel(folded.model_flops, full.model_flops, 1e-9);
            assert_rel(folded.mem_bytes, full.mem_bytes, 1e-9);
            assert_int_equal(folded.in_flight, full.in_flight);
            assert_true(folded.tasks * 2 < full.tasks);
        }
    }
    assert_true(n_folded >= 6);
    /* a short step is not folded */
    struct mlsim_cluster_result r;
    struct mlsim_cluster_config c = config(2, 4, 2, 16);
    assert_int_equal(mlsim_cluster_simulate(&c, &r, NULL), MLSIM_OK);
    assert_false(r.folded);
}

/* Communication overlapping compute slows it (NCCL's kernels take SMs): each data-parallel
 * collective puts OVERLAP_SLOWDOWN times its length on its rank's compute stream. With ZeRO-3
 * every collective is one of those, so the compute stream's busy time grows by exactly s times
 * the data-parallel communication, and the step by at most that. */
static void test_overlap_contention(void **state)
{
    (void)state;
    struct mlsim_cluster_result r0, r1;
    struct mlsim_cluster_config c = config(1, 1, 4, 2);
    c.sharding = MLSIM_SHARD_ZERO3;
    c.groups.g[MLSIM_GROUP_DP].link.bw_Bps = 1e12; /* gathers well inside the compute */
    assert_int_equal(mlsim_cluster_simulate(&c, &r0, NULL), MLSIM_OK);
    assert_true(r0.exposed_comm_s < 0.5 * r0.dp_comm_s);
    c.overlap_slowdown = 0.25;
    assert_int_equal(mlsim_cluster_simulate(&c, &r1, NULL), MLSIM_OK);
    assert_rel(r1.dp_comm_s, r0.dp_comm_s, 1e-12);
    assert_rel(r1.compute_s, r0.compute_s + 0.25 * r0.dp_comm_s, 1e-9);
    assert_true(r1.step_s > r0.step_s);
    assert_true(r1.step_s <= r0.step_s + 0.25 * r0.dp_comm_s * (1 + 1e-12));
    /* where the compute waits for the collectives anyway (a slow network), it costs little */
    c = config(1, 1, 4, 2);
    c.sharding = MLSIM_SHARD_ZERO3;
    assert_int_equal(mlsim_cluster_simulate(&c, &r0, NULL), MLSIM_OK);
    c.overlap_slowdown = 0.25;
    assert_int_equal(mlsim_cluster_simulate(&c, &r1, NULL), MLSIM_OK);
    assert_true(r1.step_s - r0.step_s < 0.1 * 0.25 * r0.dp_comm_s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor_parallel_collectives),
        cmocka_unit_test(test_pipeline_bubble),
        cmocka_unit_test(test_zero_memory),
        cmocka_unit_test(test_folded_and_unfolded_agree),
        cmocka_unit_test(test_nic_shared_by_sends_and_reduction),
        cmocka_unit_test(test_zero3_per_unit),
        cmocka_unit_test(test_zero3_ring_latency),
        cmocka_unit_test(test_buckets_during_backward),
        cmocka_unit_test(test_uneven_stages),
        cmocka_unit_test(test_layouts_that_cannot_be_built),
        cmocka_unit_test(test_steady_state_folding),
        cmocka_unit_test(test_overlap_contention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
