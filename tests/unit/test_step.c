/* The training step: a hand-computed schedule, the simulation against its closed form where no
 * communication overlaps (they must agree within 1%), ring all-reduce against its alpha-beta
 * formula, and simulate mode's memory check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/simulate.h"
#include "mlsim/step.h"

#include "check.h"

static void test_ring_allreduce_formula(void **state)
{
    (void)state;
    const struct mlsim_collective_algo *ring = mlsim_collective_find("ring");
    assert_non_null(ring);
    assert_null(mlsim_collective_find("butterfly"));
    struct mlsim_link_cost link = {.bw_Bps = 300e9, .step_s = 3.4e-6, .base_s = 8.4e-6};
    /* 8 ranks, 1 GB: 2 (p - 1) = 14 steps of 1 GB / 8 each over 300 GB/s, plus latencies:
     * 8.4 us + 14 x 3.4 us + 14 x 125 MB / 300 GB/s = 56 us + 5.8333 ms */
    assert_rel(ring->time(MLSIM_COLL_ALL_REDUCE, 8, 1e9, &link), 56e-6 + 14.0 * 0.125 / 300.0,
               1e-12);
    /* reduce-scatter is half the steps */
    assert_rel(ring->time(MLSIM_COLL_REDUCE_SCATTER, 8, 1e9, &link),
               8.4e-6 + 7 * 3.4e-6 + 7.0 * 0.125 / 300.0, 1e-12);
    assert_near(ring->time(MLSIM_COLL_ALL_REDUCE, 1, 1e9, &link), 0.0, 0);
}

/* A tiny MLP on an ideal device: 1 TFLOP/s, no memory time, no overhead. */
static struct mlsim_kernel_model ideal = {.peak_flops = 1e12,
                                          .vector_flops = 1e12,
                                          .mem_bw_Bps = 1e30,
                                          .gemm_eff = 1.0,
                                          .mem_eff = 1.0,
                                          .overhead_s = 0.0,
                                          .calibrated_gemm = 1,
                                          .calibrated_mem = 1,
                                          .calibrated_overhead = 1};

static void mlp_widths(struct mlsim_workload *w, int batch, const int *widths, int n)
{
    struct mlsim_workload_spec s;
    memset(&s, 0, sizeof s);
    s.model.type = MLSIM_MODEL_MLP;
    memcpy(s.model.widths, widths, (size_t)n * sizeof *widths);
    s.model.n_widths = n;
    s.micro_batch = batch;
    s.optimizer = MLSIM_OPTIMIZER_SGD;
    s.elem_bytes = 4;
    assert_int_equal(mlsim_workload_build(&s, w), MLSIM_OK);
}

static void mlp(struct mlsim_workload *w, int batch)
{
    static const int widths[] = {784, 1024, 10};
    mlp_widths(w, batch, widths, 3);
}

static struct mlsim_step_config config(const struct mlsim_workload *w,
                                       const struct mlsim_kernel_model *km, int dp, int accum,
                                       int overlap)
{
    struct mlsim_step_config c;
    memset(&c, 0, sizeof c);
    c.w = w;
    c.km = km;
    c.dp = dp;
    c.grad_accum = accum;
    c.bucket_bytes = 1e6;
    c.grad_elem_bytes = 4;
    c.link = (struct mlsim_link_cost){.bw_Bps = 100e9, .step_s = 3.4e-6, .base_s = 8.4e-6};
    c.algo = mlsim_collective_find("ring");
    c.overlap_comm = overlap;
    return c;
}

static void test_hand_computed_step(void **state)
{
    (void)state;
    struct mlsim_workload w;
    mlp(&w, 100);
    struct mlsim_step_config c = config(&w, &ideal, 1, 3, 1);
    struct mlsim_step_result r;
    assert_int_equal(mlsim_step_simulate(&c, &r, NULL), MLSIM_OK);
    /* Weights W = 784*1024 + 1024*10 = 813,056. Per micro-batch of 100: forward 2*100*W =
     * 162,611,200, weight gradients the same, input gradient of the second layer only
     * 2*100*10240 = 2,048,000: 327,270,400 FLOP = 327.2704 us at 1 TFLOP/s; three micro-batches;
     * memory kernels and the optimizer take no time on this device. */
    assert_rel(r.step_s, 3 * 327.2704e-6, 1e-12);
    assert_rel(r.compute_s, r.step_s, 1e-12);
    assert_near(r.comm_s, 0.0, 0);
    mlsim_workload_release(&w);
}

static void test_closed_form_agrees_without_overlap(void **state)
{
    (void)state;
    struct mlsim_workload w;
    mlp(&w, 128);
    struct mlsim_kernel_model real = {.peak_flops = 19.5e12,
                                      .vector_flops = 19.5e12,
                                      .mem_bw_Bps = 1555e9,
                                      .gemm_eff = 0.8,
                                      .mem_eff = 0.88,
                                      .overhead_s = 5e-6,
                                      .calibrated_gemm = 1,
                                      .calibrated_mem = 1,
                                      .calibrated_overhead = 1};
    struct mlsim_step_result r;
    /* one device: nothing to overlap */
    struct mlsim_step_config c = config(&w, &real, 1, 4, 1);
    c.h2d_Bps = 32e9;
    assert_int_equal(mlsim_step_simulate(&c, &r, NULL), MLSIM_OK);
    assert_rel(r.step_s, r.closed_form_s, 0.01);
    assert_rel(r.step_s, r.closed_form_s, 1e-9); /* in fact exact */
    /* eight devices, all-reduce after the backward pass */
    c = config(&w, &real, 8, 4, 0);
    assert_int_equal(mlsim_step_simulate(&c, &r, NULL), MLSIM_OK);
    assert_rel(r.step_s, r.closed_form_s, 1e-9);
    assert_true(r.comm_s > 0);
    /* with overlap the simulation is faster, by at most the communication it hides; a deeper
     * network closes buckets before the end of the backward pass */
    mlsim_workload_release(&w);
    static const int deep[] = {784, 2048, 2048, 2048, 10};
    mlp_widths(&w, 128, deep, 5);
    c = config(&w, &real, 8, 4, 1);
    assert_int_equal(mlsim_step_simulate(&c, &r, NULL), MLSIM_OK);
    assert_true(r.step_s < r.closed_form_s);
    assert_true(r.closed_form_s - r.step_s <= r.comm_s * (1 + 1e-12));
    assert_true(r.exposed_comm_s < r.comm_s);
    mlsim_workload_release(&w);
}

/* Host work before the step (a framework's per-step cost) delays every device task by exactly its
 * length: the step and its closed form grow by it, and the first input copy starts at it. */
static void test_host_work_before_the_step(void **state)
{
    (void)state;
    struct mlsim_workload w;
    mlp(&w, 128);
    struct mlsim_step_config c = config(&w, &ideal, 1, 2, 1);
    c.h2d_Bps = 32e9;
    struct mlsim_step_result r0, r1;
    assert_int_equal(mlsim_step_simulate(&c, &r0, NULL), MLSIM_OK);
    c.host_s = 4e-3;
    struct mlsim_sim *sim = NULL;
    assert_int_equal(mlsim_step_simulate(&c, &r1, &sim), MLSIM_OK);
    assert_rel(r1.step_s, r0.step_s + 4e-3, 1e-12);
    assert_rel(r1.closed_form_s, r0.closed_form_s + 4e-3, 1e-12);
    assert_rel(r1.compute_s, r0.compute_s, 1e-12);
    int seen_host = 0;
    for (size_t i = 0; i < mlsim_sim_task_count(sim); i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(sim, (int64_t)i);
        if (strcmp(t->name, "host.step") == 0) {
            seen_host = 1;
            assert_near(t->start_s, 0.0, 0);
            assert_rel(t->end_s, 4e-3, 1e-12);
        } else {
            assert_true(t->start_s >= 4e-3 * (1 - 1e-12));
        }
    }
    assert_true(seen_host);
    mlsim_sim_free(sim);
    mlsim_workload_release(&w);
}

static void test_step_trace_kept(void **state)
{
    (void)state;
    struct mlsim_workload w;
    mlp(&w, 16);
    struct mlsim_step_config c = config(&w, &ideal, 2, 2, 1);
    struct mlsim_step_result r;
    struct mlsim_sim *sim = NULL;
    assert_int_equal(mlsim_step_simulate(&c, &r, &sim), MLSIM_OK);
    assert_non_null(sim);
    assert_int_equal(mlsim_sim_task_count(sim), r.tasks);
    assert_string_equal(mlsim_sim_resource_name(sim, 0), "compute");
    assert_string_equal(mlsim_sim_resource_name(sim, 1), "comm");
    mlsim_sim_free(sim);
    mlsim_workload_release(&w);
}

static void test_memory_check(void **state)
{
    (void)state;
    /* GPT-3 XL shape, micro-batch 8, plain attention, on a 40 GB device. By hand:
     * parameters 24 (12 h^2 + 13 h) + (V + s) h = 1,317,650,432, at 16 bytes: 21,082,406,912 B;
     * activations (Korthikanti Eq. 1) 114 s b h x 24 layers = 91,804,925,952 B; fp32 logits
     * 4 s b V = 3,355,443,200 B; in all 116,242,776,064 B = 108.26 GiB. */
    struct mlsim_device dev;
    memset(&dev, 0, sizeof dev);
    snprintf(dev.id, sizeof dev.id, "small-gpu");
    dev.peak_flops[MLSIM_PRECISION_BF16] = 312e12;
    dev.mem_bytes = 40e9;
    dev.mem_bw_Bps = 1.5e12;
    struct mlsim_run r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "big");
    r.mode = MLSIM_MODE_SIMULATE;
    r.model.layers = 24;
    r.model.hidden = 2048;
    r.model.heads = 16;
    r.model.seq_len = 2048;
    r.model.vocab = 51200;
    r.model.tokens = 1e9;
    r.count = 1;
    r.precision = MLSIM_PRECISION_BF16;
    r.training.micro_batch = 8;
    r.training.global_batch = 8;
    r.training.bucket_bytes = 25e6;
    r.device = &dev;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_result res;
    assert_int_equal(mlsim_simulate_estimate(&r, &res, NULL, d), MLSIM_ERR_INPUT);
    const char *msg = mlsim_diags_message(d, 0);
    assert_non_null(strstr(msg, "run 'big' needs 108.3 GiB per device, small-gpu has 37 GiB"));
    assert_non_null(strstr(msg, "training.recompute: full needs"));
    assert_non_null(strstr(msg, "training.micro_batch: 1 needs"));
    /* with full recomputation it fits, and the step runs */
    r.training.recompute = MLSIM_RECOMPUTE_FULL;
    assert_int_equal(mlsim_simulate_estimate(&r, &res, NULL, d), MLSIM_OK);
    assert_true(res.mfu > 0 && res.mfu < 1);
    assert_true(res.hfu > res.mfu); /* recomputed forward passes count as hardware FLOPs only */
    /* power follows utilization: idle 50 W, 400 W busy */
    dev.idle_w = 50;
    r.econ.device_power_w = 400;
    r.econ.pue = 1;
    assert_int_equal(mlsim_simulate_estimate(&r, &res, NULL, d), MLSIM_OK);
    assert_true(res.busy_fraction > 0 && res.busy_fraction <= 1);
    assert_rel(res.avg_power_w, 50 + 350 * res.busy_fraction, 1e-12);
    assert_rel(res.energy_j, res.avg_power_w * res.time_s, 1e-12);
    mlsim_diags_free(d);
}

/* Gradient accumulation folded: 1,000 micro-batches simulated as four short accumulations give
 * the step that simulating all 1,000 gives, with input copies, host work and overlapped buckets
 * of eight devices; the hand-computed step of the ideal device scales by 1000 / 3. */
static void test_accumulation_folded(void **state)
{
    (void)state;
    struct mlsim_workload w;
    mlp(&w, 100);
    struct mlsim_step_config c = config(&w, &ideal, 1, 1000, 1);
    struct mlsim_step_result r, full;
    assert_int_equal(mlsim_step_simulate(&c, &r, NULL), MLSIM_OK);
    assert_true(r.folded);
    assert_rel(r.step_s, 1000 * 327.2704e-6, 1e-9); /* test_hand_computed_step's micro-batch */
    mlsim_workload_release(&w);
    static const int deep[] = {784, 2048, 2048, 2048, 10};
    mlp_widths(&w, 128, deep, 5);
    struct mlsim_kernel_model real = {.peak_flops = 19.5e12,
                                      .vector_flops = 19.5e12,
                                      .mem_bw_Bps = 1555e9,
                                      .gemm_eff = 0.8,
                                      .mem_eff = 0.88,
                                      .overhead_s = 5e-6,
                                      .calibrated_gemm = 1,
                                      .calibrated_mem = 1,
                                      .calibrated_overhead = 1};
    c = config(&w, &real, 8, 1000, 1);
    c.h2d_Bps = 32e9;
    c.host_s = 1e-3;
    assert_int_equal(mlsim_step_simulate(&c, &r, NULL), MLSIM_OK);
    c.no_fold = 1;
    assert_int_equal(mlsim_step_simulate(&c, &full, NULL), MLSIM_OK);
    assert_true(r.folded);
    assert_false(full.folded);
    assert_rel(r.step_s, full.step_s, 1e-9);
    assert_rel(r.compute_s, full.compute_s, 1e-9);
    assert_rel(r.comm_s, full.comm_s, 1e-9);
    assert_rel(r.copy_s, full.copy_s, 1e-9);
    assert_near(r.exposed_comm_s, full.exposed_comm_s, 1e-9 * full.step_s);
    assert_rel(r.closed_form_s, full.closed_form_s, 1e-12);
    assert_true(r.tasks * 10 < full.tasks);
    mlsim_workload_release(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_allreduce_formula),
        cmocka_unit_test(test_hand_computed_step),
        cmocka_unit_test(test_closed_form_agrees_without_overlap),
        cmocka_unit_test(test_host_work_before_the_step),
        cmocka_unit_test(test_step_trace_kept),
        cmocka_unit_test(test_memory_check),
        cmocka_unit_test(test_accumulation_folded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
