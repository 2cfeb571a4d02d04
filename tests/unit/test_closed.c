/* The closed form of a cluster's step against the simulation: equal where nothing overlaps,
 * memory equal to the layout's own account everywhere, and close where things do overlap. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/closed.h"
#include "mlsim/run.h"
#include "mlsim/scenario.h"
#include "mlsim/search.h"

/* A GPT-3 XL-like model (24 layers of 2048, 16 heads) on two DGX A100 nodes. */
static const char model[] =
    "name: xl\nmode: simulate\n"
    "model: {layers: 24, hidden: 2048, heads: 16, seq_len: 2048, vocab: 51200, tokens: 20B}\n"
    "hardware: {system: dgx-a100-80gb-hdr, count: 16}\nprecision: bf16\n"
    "training: {tp: 1, pp: 1, micro_batch: 1, global_batch: 64, attention: flash}\n";

struct fixture {
    struct mlsim_diags *d;
    struct mlsim_hwdb *db;
    struct mlsim_scenario *sc;
};

static struct mlsim_run *load(struct fixture *f, const char *text)
{
    char path[] = "/tmp/mlsim-closed-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    f->d = mlsim_diags_alloc();
    f->db = mlsim_hwdb_alloc(MLSIM_TEST_HWDB);
    assert_int_equal(mlsim_scenario_load(path, f->d, &f->sc), MLSIM_OK);
    unlink(path);
    assert_int_equal(mlsim_scenario_resolve(f->sc, f->db, f->d), MLSIM_OK);
    return &f->sc->runs[0];
}

static void release(struct fixture *f)
{
    mlsim_scenario_free(f->sc);
    mlsim_hwdb_free(f->db);
    mlsim_diags_free(f->d);
}

/* Simulate RUN under layout L (the search's way: the run's training block set from L). */
static double simulated(const struct mlsim_run *run, const struct mlsim_layout *l,
                        struct mlsim_result *res, struct mlsim_diags *d)
{
    struct mlsim_run r = *run;
    mlsim_layout_apply(l, &r);
    r.count = l->tp * l->pp * l->dp;
    assert_int_equal(mlsim_run_estimate(&r, res, NULL, d), MLSIM_OK);
    return res->step_s;
}

static void test_equal_where_nothing_overlaps(void **state)
{
    struct fixture f = {0};
    (void)state;
    /* one pipeline of tensor-parallel ranks, no data parallelism: the step is m micro-batches
     * of forward and backward and the update, in series; the closed form is exact */
    struct mlsim_run *run = load(&f, model);
    run->count = 8;
    run->node_size = 8;
    struct mlsim_closed_work *w = mlsim_closed_work_alloc(run);
    struct mlsim_layout l = {.tp = 8,
                             .pp = 1,
                             .dp = 1,
                             .micro_batch = 1,
                             .global_batch = 64,
                             .microbatches = 64,
                             .schedule = MLSIM_SCHEDULE_1F1B,
                             .interleave = 1,
                             .sequence_parallel = 1};
    struct mlsim_closed_step cs;
    struct mlsim_result res;
    assert_int_equal(mlsim_closed_step(w, &l, &cs), MLSIM_OK);
    assert_rel(cs.step_s, simulated(run, &l, &res, f.d), 1e-9);
    assert_rel(cs.mem.total_bytes, res.mem_bytes, 1e-12);
    assert_rel(cs.model_flops, res.tflops_per_device * 1e12 * res.step_s * 8, 1e-9);
    mlsim_closed_work_free(w);
    release(&f);
}

static void test_memory_and_bound_over_a_space(void **state)
{
    struct fixture f = {0};
    (void)state;
    const struct mlsim_run *run = load(&f, model);
    struct mlsim_closed_work *cw = mlsim_closed_work_alloc(run);
    struct mlsim_layout_work *lw = mlsim_layout_work_alloc();
    struct mlsim_layout l;
    struct mlsim_search_row row;
    mlsim_layout_of_run(run, &l);
    double worst = 0;
    int n = 0;
    for (int tp = 1; tp <= 8; tp *= 2) {
        for (int pp = 1; pp <= 4; pp *= 2) {
            for (int sh = 0; sh < MLSIM_SHARD_N && tp * pp <= 8; sh++) {
                l.tp = tp;
                l.pp = pp;
                l.dp = 16 / (tp * pp);
                l.micro_batch = 2;
                l.microbatches = 64 / (2 * l.dp);
                l.sharding = sh;
                l.sequence_parallel = tp > 1;
                if (mlsim_search_cost(cw, run, &l, &row) != 2)
                    continue;
                struct mlsim_layout_memory mem;
                assert_int_equal(mlsim_layout_memory(lw, run, &l, &mem), MLSIM_OK);
                assert_rel(row.closed.mem.total_bytes, mem.total_bytes, 1e-9);
                struct mlsim_result res;
                double sim = simulated(run, &l, &res, f.d);
                double err = row.closed.step_s / sim - 1;
                worst = err < 0 ? (-err > worst ? -err : worst) : (err > worst ? err : worst);
                n++;
            }
        }
    }
    assert_true(n >= 20);
    /* the bound the README states for the closed form against the simulation: 15% */
    printf("closed form against the simulation over %d layouts: worst %.1f%%\n", n, 100 * worst);
    assert_true(worst < 0.15);
    mlsim_layout_work_free(lw);
    mlsim_closed_work_free(cw);
    release(&f);
}

/* Context parallelism: tp 2 x cp 4 on one node, no pipeline, gradients reduced over the 4 context
 * ranks after the backward pass. Nothing overlaps but the ring inside each attention, which both
 * cost with the one rule (workload.h), so the closed form is exact, for both exchanges; and the
 * model's FLOPs per step are the whole model's, 4 ranks of a quarter each. */
static void test_context_parallel_exact(void **state)
{
    struct fixture f = {0};
    (void)state;
    struct mlsim_run *run = load(&f, model);
    run->count = 8;
    run->node_size = 8;
    run->training.overlap_comm = 0;
    struct mlsim_closed_work *w = mlsim_closed_work_alloc(run);
    struct mlsim_layout l = {.tp = 2,
                             .pp = 1,
                             .dp = 1,
                             .cp = 4,
                             .micro_batch = 1,
                             .global_batch = 64,
                             .microbatches = 64,
                             .schedule = MLSIM_SCHEDULE_1F1B,
                             .interleave = 1,
                             .sequence_parallel = 1};
    for (int algo = 0; algo < MLSIM_CP_ALGO_N; algo++) {
        l.cp_algo = algo;
        struct mlsim_closed_step cs, one;
        struct mlsim_result res;
        struct mlsim_run r = *run;
        mlsim_layout_apply(&l, &r);
        assert_int_equal(mlsim_closed_step(w, &l, &cs), MLSIM_OK);
        assert_int_equal(mlsim_run_estimate(&r, &res, NULL, f.d), MLSIM_OK);
        assert_rel(cs.step_s, res.step_s, 1e-9);
        assert_rel(cs.mem.total_bytes, res.mem_bytes, 1e-12);
        assert_rel(cs.model_flops, res.tflops_per_device * 1e12 * res.step_s * 8, 1e-9);
        struct mlsim_layout l1 = l;
        l1.cp = 1;
        l1.dp = 4;
        l1.microbatches = 16;
        assert_int_equal(mlsim_closed_step(w, &l1, &one), MLSIM_OK);
        assert_rel(cs.model_flops, one.model_flops, 1e-9);
    }
    mlsim_closed_work_free(w);
    release(&f);
}

/* Uneven stages interleaved: 24 layers on 4 stages of 3, 9, 9, 3 in 3 chunks each (1, 3, 3, 1
 * layers a chunk). The simulation builds every chunk of Megatron-LM's offsets and the closed form
 * the same chunks from the rule; memory is equal and the step within the bound of the space. */
static void test_uneven_interleaved_agrees(void **state)
{
    struct fixture f = {0};
    (void)state;
    struct mlsim_run *run = load(&f, model);
    run->count = 4;
    run->node_size = 8;
    struct mlsim_closed_work *w = mlsim_closed_work_alloc(run);
    struct mlsim_layout l = {.tp = 1,
                             .pp = 4,
                             .dp = 1,
                             .micro_batch = 1,
                             .global_batch = 64,
                             .microbatches = 64,
                             .schedule = MLSIM_SCHEDULE_INTERLEAVED,
                             .interleave = 3,
                             .first_stage_layers = 3,
                             .last_stage_layers = 3};
    struct mlsim_closed_step cs;
    struct mlsim_result res;
    assert_int_equal(mlsim_closed_step(w, &l, &cs), MLSIM_OK);
    double sim = simulated(run, &l, &res, f.d);
    assert_rel(cs.mem.total_bytes, res.mem_bytes, 1e-12);
    assert_rel(cs.model_flops, res.tflops_per_device * 1e12 * res.step_s * 4, 1e-9);
    assert_true(cs.step_s / sim - 1 < 0.15 && sim / cs.step_s - 1 < 0.15);
    mlsim_closed_work_free(w);
    release(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_where_nothing_overlaps),
        cmocka_unit_test(test_memory_and_bound_over_a_space),
        cmocka_unit_test(test_context_parallel_exact),
        cmocka_unit_test(test_uneven_interleaved_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
