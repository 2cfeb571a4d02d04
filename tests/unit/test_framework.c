/* Framework profiles (framework.h): the rows against the vocabulary, the data-parallel switch, and
 * the cluster step under DeepSpeed's blocking sends and its reduction after the flush, each
 * against a hand calculation over the step's own task durations (read from its trace). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/cluster.h"
#include "mlsim/framework.h"
#include "mlsim/sim.h"

#include "check.h"

static struct mlsim_kernel_model km = {.peak_flops = 312e12,
                                       .vector_flops = 19.5e12,
                                       .mem_bw_Bps = 2.0e12,
                                       .gemm_eff = 0.8,
                                       .mem_eff = 0.88,
                                       .overhead_s = 5e-6};

/* 16 layers of h = 4096 in PP stages, DP replicas, M micro-batches of one 2048-token sequence;
 * a 25 GB/s network between stages and replicas, nothing hidden by contention. */
static struct mlsim_cluster_config config(int pp, int dp, int m)
{
    struct mlsim_cluster_config c;
    memset(&c, 0, sizeof c);
    c.spec.model.layers = 16;
    c.spec.model.hidden = 4096;
    c.spec.model.heads = 32;
    c.spec.model.seq_len = 2048;
    c.spec.model.vocab = 64;
    c.spec.micro_batch = 1;
    c.spec.recompute = MLSIM_RECOMPUTE_NONE;
    c.spec.optimizer = MLSIM_OPTIMIZER_ADAM;
    c.spec.elem_bytes = 2;
    c.spec.tp = 1;
    c.km = &km;
    c.tp = 1;
    c.pp = pp;
    c.dp = dp;
    c.interleave = 1;
    c.microbatches = m;
    c.schedule = MLSIM_SCHEDULE_1F1B;
    c.grad_elem_bytes = 2;
    struct mlsim_link_cost net = {.bw_Bps = 25e9, .step_s = 3.4e-6, .base_s = 8.4e-6};
    for (int g = 0; g < MLSIM_GROUP_N; g++) {
        c.groups.g[g].size = 1;
        c.groups.g[g].link = c.groups.g[g].intra = net;
        c.groups.g[g].per_node = 1;
    }
    c.groups.g[MLSIM_GROUP_PP].size = pp;
    c.groups.g[MLSIM_GROUP_DP].size = dp;
    c.algo = mlsim_collective_find("ring");
    return c;
}

/* The duration of the first task named NAME of pipeline stage (layer field) VS, or -1. */
static double duration(struct mlsim_sim *sim, const char *name, int vs)
{
    for (size_t i = 0; i < mlsim_sim_task_count(sim); i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(sim, (int64_t)i);
        if (strcmp(t->name, name) == 0 && t->layer == vs)
            return t->duration_s;
    }
    return -1;
}

static double max2(double a, double b)
{
    return a > b ? a : b;
}

static void test_rows_follow_the_vocabulary(void **state)
{
    (void)state;
    for (int i = 0; i < MLSIM_FRAMEWORK_N; i++)
        assert_string_equal(mlsim_framework_get(i)->name, mlsim_framework_names[i]);
    /* the default and Megatron-LM's row: no host work, no switch (today's step) */
    const int plain[] = {MLSIM_FRAMEWORK_NONE, MLSIM_FRAMEWORK_MEGATRON};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        const struct mlsim_framework_type *f = mlsim_framework_get(plain[i]);
        assert_false(mlsim_framework_has_host_work(f));
        assert_int_equal(f->dp_after_flush + f->p2p_blocking + f->one_schedule + f->max_sharding,
                         0);
    }
    assert_true(mlsim_framework_has_host_work(mlsim_framework_get(MLSIM_FRAMEWORK_PYTORCH)));
    const struct mlsim_framework_type *ds = mlsim_framework_get(MLSIM_FRAMEWORK_DEEPSPEED);
    assert_false(mlsim_framework_has_host_work(ds));
    assert_true(ds->dp_after_flush && ds->p2p_blocking);
    assert_int_equal(ds->one_schedule - 1, MLSIM_SCHEDULE_1F1B);
    assert_int_equal(ds->max_sharding - 1, MLSIM_SHARD_ZERO1);
    /* out of range: the plain row */
    assert_ptr_equal(mlsim_framework_get(-1), mlsim_framework_get(MLSIM_FRAMEWORK_NONE));
    assert_ptr_equal(mlsim_framework_get(MLSIM_FRAMEWORK_N),
                     mlsim_framework_get(MLSIM_FRAMEWORK_NONE));
}

static void test_dp_overlap_switch(void **state)
{
    (void)state;
    const struct mlsim_framework_type *ds = mlsim_framework_get(MLSIM_FRAMEWORK_DEEPSPEED);
    const struct mlsim_framework_type *mg = mlsim_framework_get(MLSIM_FRAMEWORK_MEGATRON);
    assert_int_equal(mlsim_framework_dp_overlap(ds, 1, 2), 0); /* after the flush */
    assert_int_equal(mlsim_framework_dp_overlap(ds, 1, 1), 1); /* no pipeline: its plain engine */
    assert_int_equal(mlsim_framework_dp_overlap(mg, 1, 8), 1);
    assert_int_equal(mlsim_framework_dp_overlap(mg, 0, 8), 0);
    assert_int_equal(mlsim_framework_dp_overlap(ds, 0, 1), 0);
}

/* Two stages, four micro-batches, DeepSpeed's blocking sends, by hand. Stage 0 runs
 * F0 F1 B0 F2 B1 F3 B2 B3 and stage 1 F0 B0 F1 B1 F2 B2 F3 B3 (1F1B); before a pass each does
 * its exchange in TrainSchedule's order, a send taking s and holding both stages:
 *   stage 0: F0 [a0] F1 [a1 g0] B0 F2 [a2 g1] B1 F3 [a3 g2] B2 [g3] B3 opt
 *   stage 1: [a0] F0 B0 [a1 g0] F1 B1 [a2 g1] F2 B2 [a3 g2] F3 B3 [g3] opt
 * With f0, b0, f1, b1 the stages' passes: a0 ends at f0 + s, stage 1's B0 at T = f0 + s + f1 +
 * b1, stage 0's F1 at 2 f0 + s; so X1 = max(2 f0 + s, T) + 2 s starts stage 0's B0 and stage 1's
 * F1; each later round adds max(b0 + f0, f1 + b1) + 2 s (X2, X3); after X3 stage 0 runs B2 and
 * stage 1 F3 B3, g3 starts at the later of the two and takes s, then stage 0's B3 and its update:
 *   step = X3 + max(b0, f1 + b1) + s + b0 + opt0. */
static void test_blocking_sends_by_hand(void **state)
{
    (void)state;
    struct mlsim_cluster_config c = config(2, 1, 4);
    struct mlsim_cluster_result r, free_r;
    struct mlsim_sim *sim = NULL;
    c.p2p_blocking = 1;
    assert_int_equal(mlsim_cluster_simulate(&c, &r, &sim), MLSIM_OK);
    double f0 = duration(sim, "forward", 0), b0 = duration(sim, "backward", 0);
    double f1 = duration(sim, "forward", 1), b1 = duration(sim, "backward", 1);
    double s = duration(sim, "send.activations", 0), opt0 = duration(sim, "optimizer", -1);
    assert_true(f0 > 0 && b0 > 0 && f1 > 0 && b1 > 0 && s > 0 && opt0 > 0);
    assert_rel(duration(sim, "send.gradients", 1), s, 1e-12); /* the same bytes back */
    /* b s h x 2 bytes over 25 GB/s plus NCCL's latency: the send the step was given */
    assert_rel(s, 8.4e-6 + 3.4e-6 + 2048.0 * 4096 * 2 / 25e9, 1e-12);
    mlsim_sim_free(sim);
    double round = max2(b0 + f0, f1 + b1) + 2 * s;
    double x1 = max2(2 * f0 + s, f0 + s + f1 + b1) + 2 * s, x3 = x1 + 2 * round;
    assert_rel(r.step_s, x3 + max2(b0, f1 + b1) + s + b0 + opt0, 1e-12);
    /* Megatron-LM's sends, on streams of their own, cost less: the sender computes on */
    c.p2p_blocking = 0;
    assert_int_equal(mlsim_cluster_simulate(&c, &free_r, NULL), MLSIM_OK);
    assert_true(free_r.step_s < r.step_s);
    /* blocking sends need 1F1B's order: other schedules are refused */
    c.p2p_blocking = 1;
    c.schedule = MLSIM_SCHEDULE_GPIPE;
    assert_int_equal(mlsim_cluster_simulate(&c, &r, NULL), MLSIM_ERR_INPUT);
}

/* Blocking sends repeat a pattern like any other step: a long step folds (its steady state
 * extended along a line, cluster.h) to what simulating every micro-batch gives, and replicas
 * simulated one by one give what one folded replica gives. */
static void test_blocking_sends_fold_and_unfold(void **state)
{
    (void)state;
    struct mlsim_cluster_result folded, whole, one, every;
    struct mlsim_cluster_config c = config(2, 1, 320); /* 8 x (32 + 2 x 4): past the fold */
    c.p2p_blocking = 1;
    assert_int_equal(mlsim_cluster_simulate(&c, &folded, NULL), MLSIM_OK);
    assert_true(folded.folded);
    c.no_fold = 1;
    assert_int_equal(mlsim_cluster_simulate(&c, &whole, NULL), MLSIM_OK);
    assert_false(whole.folded);
    assert_rel(folded.step_s, whole.step_s, 1e-9);
    c = config(2, 2, 4);
    c.p2p_blocking = 1;
    assert_int_equal(mlsim_cluster_simulate(&c, &one, NULL), MLSIM_OK);
    c.unfold_dp = 1;
    assert_int_equal(mlsim_cluster_simulate(&c, &every, NULL), MLSIM_OK);
    assert_rel(every.step_s, one.step_s, 1e-12);
}

/* The data-parallel reduction after the flush adds exactly its time to the step: stage 0 ends the
 * step (its last backward is the pipeline's last), and its all-reduce of 8 layers of
 * 12 h^2 + 13 h parameters plus the embedding's (64 + 2048) h, in 2 bytes, over a ring of two:
 * 8.4 us + 2 x 3.4 us + 2 x (bytes / 2) / 25 GB/s (collective.h). In buckets during the last
 * backward (Megatron-LM's overlap) most of it hides. */
static void test_reduction_after_the_flush(void **state)
{
    (void)state;
    const struct mlsim_framework_type *ds = mlsim_framework_get(MLSIM_FRAMEWORK_DEEPSPEED);
    const struct mlsim_framework_type *mg = mlsim_framework_get(MLSIM_FRAMEWORK_MEGATRON);
    struct mlsim_cluster_result one, flush, bucketed;
    struct mlsim_cluster_config c = config(2, 1, 4);
    assert_int_equal(mlsim_cluster_simulate(&c, &one, NULL), MLSIM_OK);
    c = config(2, 2, 4);
    c.unfold_dp = 1; /* both replicas simulated: nothing folded between them */
    c.overlap_comm = mlsim_framework_dp_overlap(ds, 1, c.pp);
    assert_int_equal(mlsim_cluster_simulate(&c, &flush, NULL), MLSIM_OK);
    double h = 4096, params = 8 * (12 * h * h + 13 * h) + (64 + 2048) * h;
    double reduce = 8.4e-6 + 2 * 3.4e-6 + 2 * (params * 2 / 2) / 25e9;
    assert_rel(flush.step_s - one.step_s, reduce, 1e-9);
    c.overlap_comm = mlsim_framework_dp_overlap(mg, 1, c.pp);
    assert_int_equal(mlsim_cluster_simulate(&c, &bucketed, NULL), MLSIM_OK);
    /* the buckets run beside stage 0's last backward (b0 long): at most b0 of them hides */
    struct mlsim_sim *sim = NULL;
    assert_int_equal(mlsim_cluster_simulate(&c, &bucketed, &sim), MLSIM_OK);
    double b0 = duration(sim, "backward", 0);
    mlsim_sim_free(sim);
    assert_true(bucketed.step_s - one.step_s < reduce);
    assert_true(bucketed.step_s - one.step_s >= reduce - b0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_follow_the_vocabulary),
        cmocka_unit_test(test_dp_overlap_switch),
        cmocka_unit_test(test_blocking_sends_by_hand),
        cmocka_unit_test(test_blocking_sends_fold_and_unfold),
        cmocka_unit_test(test_reduction_after_the_flush),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
