/*
 * The whole-run simulation against hand calculations: component counts, checkpoint size and
 * time, the job's MTBF, a run with no failures, expected failures = rate x component-hours,
 * Young-Daly's optimum, spares and repairs, the same bytes for the same seed, and its limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "check.h"
#include "mlsim/montecarlo.h"
#include "mlsim/wholerun.h"

/* A run as resolve leaves it: COUNT devices in nodes of 8, PARAMS parameters, no failures yet,
 * no downtime, checkpoints written at 12.5 GB/s per node. */
static struct mlsim_run make_run(int count, double params)
{
    struct mlsim_run r;
    memset(&r, 0, sizeof r);
    r.count = count;
    r.node_size = 8;
    r.model.params = params;
    r.reliability.enabled = 1;
    r.reliability.weibull_shape = 1.0;
    r.reliability.nics_per_node = 8;
    r.reliability.ckpt_bytes_per_param = 14.0;
    r.reliability.ckpt_write_node_Bps = 12.5e9;
    r.reliability.samples = 16;
    return r;
}

static struct mlsim_wholerun *alloc_ok(const struct mlsim_run *r, double work_s)
{
    struct mlsim_wholerun *w = NULL;
    assert_int_equal(mlsim_wholerun_alloc(r, work_s, &w), MLSIM_OK);
    assert_non_null(w);
    return w;
}

static void test_counts_and_checkpoint(void **state)
{
    (void)state;
    struct mlsim_run r = make_run(1024, 70e9);
    r.reliability.ckpt_write_total_Bps = 1e12;
    r.reliability.rate_per_h[MLSIM_COMPONENT_NODE] = 1e-3;
    r.reliability.rate_per_h[MLSIM_COMPONENT_GPU] = 1e-4;
    struct mlsim_wholerun *w = alloc_ok(&r, 1000.0);
    /* 1024 / 8 = 128 nodes; 128 x 8 = 1024 NICs; 3 x 1024 / 64 = 48 switches. */
    assert_near(mlsim_wholerun_count(w, MLSIM_COMPONENT_GPU), 1024, 0);
    assert_near(mlsim_wholerun_count(w, MLSIM_COMPONENT_NODE), 128, 0);
    assert_near(mlsim_wholerun_count(w, MLSIM_COMPONENT_NIC), 1024, 0);
    assert_near(mlsim_wholerun_count(w, MLSIM_COMPONENT_SWITCH), 48, 0);
    /* 70e9 x 14 B = 9.8e11 B; nodes could write 128 x 12.5e9 = 1.6e12 B/s but the storage takes
     * 1e12 B/s: 0.98 s. */
    assert_rel(mlsim_wholerun_ckpt_bytes(w), 9.8e11, 1e-12);
    assert_rel(mlsim_wholerun_ckpt_write_s(w), 0.98, 1e-12);
    /* 128 x 1e-3 + 1024 x 1e-4 = 0.2304 failures per hour: MTBF 3600 / 0.2304 = 15625 s. */
    assert_rel(mlsim_wholerun_mtbf_s(w), 15625.0, 1e-12);
    /* Young-Daly: sqrt(2 x 0.98 x 15625) = 175.0 s. */
    assert_rel(mlsim_wholerun_young_daly_s(w), 175.0, 1e-12);
    mlsim_wholerun_free(w);
}

static void test_single_node_has_no_network(void **state)
{
    (void)state;
    struct mlsim_run r = make_run(8, 1e9);
    struct mlsim_wholerun *w = alloc_ok(&r, 10.0);
    assert_near(mlsim_wholerun_count(w, MLSIM_COMPONENT_NIC), 0, 0);
    assert_near(mlsim_wholerun_count(w, MLSIM_COMPONENT_SWITCH), 0, 0);
    mlsim_wholerun_free(w);
}

static void test_no_failures(void **state)
{
    (void)state;
    /* One node, 1e9 x 14 B at 1.4e9 B/s: C = 10 s. 1000 s of work in intervals of 100 s:
     * 9 checkpoints (none after the last segment), 1000 + 90 = 1090 s. */
    struct mlsim_run r = make_run(8, 1e9);
    r.reliability.ckpt_write_node_Bps = 1.4e9;
    struct mlsim_wholerun *w = alloc_ok(&r, 1000.0);
    struct mlsim_wholerun_sample s;
    assert_int_equal(mlsim_wholerun_simulate(w, 100.0, 7, &s), MLSIM_OK);
    assert_rel(s.wall_s, 1090.0, 1e-12);
    assert_rel(s.badput.checkpoint_s, 90.0, 1e-12);
    assert_rel(s.badput.useful_s, 1000.0, 1e-12);
    assert_near(s.failures, 0, 0);
    /* Asynchronous, a 1 s snapshot, the 10 s write behind the compute: 1000 + 9 = 1009 s. */
    r.reliability.ckpt_mode = MLSIM_CHECKPOINT_ASYNC;
    r.reliability.ckpt_stall_s = 1.0;
    assert_int_equal(mlsim_wholerun_simulate(w, 100.0, 7, &s), MLSIM_OK);
    assert_rel(s.wall_s, 1009.0, 1e-12);
    /* With stragglers 10% slower: 1100 s of compute, of which 100 s the stragglers'. */
    r.reliability.ckpt_mode = MLSIM_CHECKPOINT_SYNC;
    r.reliability.straggler_slowdown = 0.1;
    mlsim_wholerun_free(w);
    w = alloc_ok(&r, 1000.0);
    assert_int_equal(mlsim_wholerun_simulate(w, 100.0, 7, &s), MLSIM_OK);
    /* 1100 s of compute in intervals of 100 s: 10 checkpoints, 1100 + 100 = 1200 s. */
    assert_rel(s.wall_s, 1200.0, 1e-12);
    assert_rel(s.badput.straggler_s, 100.0, 1e-12);
    mlsim_wholerun_free(w);
}

/* Badput parts add up to the wall-clock time. */
static void assert_parts_add_up(const struct mlsim_wholerun_sample *s)
{
    const struct mlsim_badput *b = &s->badput;
    double sum = b->useful_s + b->straggler_s + b->lost_s + b->checkpoint_s + b->detection_s +
                 b->restart_s + b->repair_s;
    assert_rel(sum, s->wall_s, 1e-9);
}

static void test_expected_failures(void **state)
{
    (void)state;
    /* 1024 GPUs at 2e-4 per GPU-hour and 128 nodes at 1e-3 per node-hour: 0.3328 per hour. Over
     * 100 replicates the failures over the hours of wall-clock time are 0.3328 (the end of a run
     * is a stopping time of the Poisson process, so E[failures] = rate x E[hours]: the ratio of
     * the sums, not the mean of the ratios, which is biased low); ~333 failures a replicate,
     * ~33,300 in all (Poisson: sd 0.55%), so within 2% (3.6 sigma). */
    struct mlsim_run r = make_run(1024, 70e9);
    r.reliability.rate_per_h[MLSIM_COMPONENT_GPU] = 2e-4;
    r.reliability.rate_per_h[MLSIM_COMPONENT_NODE] = 1e-3;
    r.reliability.detection_s = 300;
    r.reliability.restart_s = 600;
    r.reliability.reschedule_s = 300;
    for (int weibull = 0; weibull <= 1; weibull++) {
        /* Weibull of shape 1 is the exponential again, drawn one component at a time. */
        r.reliability.distribution = weibull ? MLSIM_FAILURE_WEIBULL : MLSIM_FAILURE_EXPONENTIAL;
        struct mlsim_wholerun *w = alloc_ok(&r, 3.6e6);
        double failures = 0, hours = 0, gpu = 0;
        for (int i = 0; i < 100; i++) {
            struct mlsim_wholerun_sample s;
            assert_int_equal(
                mlsim_wholerun_simulate(w, 600.0, mlsim_montecarlo_seed(3, (uint64_t)i), &s),
                MLSIM_OK);
            assert_parts_add_up(&s);
            failures += s.failures;
            hours += s.wall_s / 3600.0;
            gpu += s.by_component[MLSIM_COMPONENT_GPU];
        }
        assert_rel(failures / hours, 0.3328, 0.02);
        /* GPUs: 0.2048 of 0.3328 = 61.5% of the failures. */
        assert_rel(gpu / failures, 0.2048 / 0.3328, 0.03);
        mlsim_wholerun_free(w);
    }
}

static void test_young_daly(void **state)
{
    (void)state;
    /* Young's assumptions: exponential failures, no downtime, C = 10 s << MTBF = 3600 s. Then
     * sqrt(2 C M) = sqrt(72000) = 268.3 s, and Daly's higher-order optimum (Daly 2006, FGCS 22,
     * eq. 37) sqrt(2CM) (1 + sqrt(C/2M)/3 + C/(18M)) - C = 261.7 s: the simulated best is to
     * agree with Young-Daly within 5%. One node writing 1e9 x 14 B at 1.4e9 B/s (C = 10 s) and
     * failing once an hour; 1e7 s of work, ~2800 failures in each of 64 replicates (over seeds the
     * search lands within a few % of Daly's optimum, a little below Young's, as it should). */
    struct mlsim_run r = make_run(8, 1e9);
    r.reliability.ckpt_write_node_Bps = 1.4e9;
    r.reliability.rate_per_h[MLSIM_COMPONENT_NODE] = 1.0;
    struct mlsim_wholerun *w = alloc_ok(&r, 1e7);
    assert_rel(mlsim_wholerun_young_daly_s(w), 268.3282, 1e-5);
    double best = 0;
    assert_int_equal(mlsim_montecarlo_best_interval(w, 11, 64, &best), MLSIM_OK);
    assert_rel(best, 268.3, 0.05);
    mlsim_wholerun_free(w);
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    struct mlsim_run r = make_run(1024, 70e9);
    r.reliability.rate_per_h[MLSIM_COMPONENT_NODE] = 1e-3;
    r.reliability.distribution = MLSIM_FAILURE_WEIBULL;
    r.reliability.weibull_shape = 0.7;
    struct mlsim_wholerun *w = alloc_ok(&r, 3.6e5);
    struct mlsim_wholerun_sample a, b, c;
    assert_int_equal(mlsim_wholerun_simulate(w, 900.0, 42, &a), MLSIM_OK);
    assert_int_equal(mlsim_wholerun_simulate(w, 900.0, 43, &c), MLSIM_OK);
    assert_int_equal(mlsim_wholerun_simulate(w, 900.0, 42, &b), MLSIM_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.wall_s != c.wall_s);
    assert_true(a.failures > 0);
    mlsim_wholerun_free(w);
}

static void test_rate_uncertainty(void **state)
{
    (void)state;
    struct mlsim_run r = make_run(64, 1e9);
    r.reliability.rate_per_h[MLSIM_COMPONENT_NODE] = 1e-2;
    struct mlsim_wholerun *w = alloc_ok(&r, 3.6e5);
    struct mlsim_wholerun_sample known, one;
    assert_int_equal(mlsim_wholerun_simulate(w, 600.0, 9, &known), MLSIM_OK);
    /* A geometric sd of 1 is no uncertainty: the same draws, the same bytes. */
    r.reliability.rate_uncertainty = 1.0;
    assert_int_equal(mlsim_wholerun_simulate(w, 600.0, 9, &one), MLSIM_OK);
    assert_memory_equal(&known, &one, sizeof known);
    assert_near(known.rate_factor, 1.0, 0.0);
    /* A geometric sd of 2: the logs of 400 replicates' factors have mean 0 and sd ln 2 = 0.693
     * (standard errors 0.035 and 0.025: within 0.1 and 8%). */
    r.reliability.rate_uncertainty = 2.0;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < 400; i++) {
        struct mlsim_wholerun_sample s;
        assert_int_equal(
            mlsim_wholerun_simulate(w, 600.0, mlsim_montecarlo_seed(9, (uint64_t)i), &s), MLSIM_OK);
        sum += log(s.rate_factor);
        sum2 += log(s.rate_factor) * log(s.rate_factor);
    }
    double mean = sum / 400, sd = sqrt(sum2 / 400 - mean * mean);
    assert_near(mean, 0.0, 0.1);
    assert_rel(sd, log(2.0), 0.08);
    mlsim_wholerun_free(w);
}

static void test_spares_and_repairs(void **state)
{
    (void)state;
    /* No spare and a 1000 s repair: each node failure waits the repair after its detection. With
     * 16 nodes at 1e-2 per node-hour (MTBF 6.25 h) a wait is rarely cut by another failure, so
     * the repair badput is close to 1000 s a failure. */
    struct mlsim_run r = make_run(128, 1e9);
    r.reliability.rate_per_h[MLSIM_COMPONENT_NODE] = 1e-2;
    r.reliability.detection_s = 60;
    r.reliability.repair_s = 1000;
    r.reliability.spares_given = 1;
    r.reliability.spare_nodes = 0;
    struct mlsim_wholerun *w = alloc_ok(&r, 3.6e6);
    struct mlsim_wholerun_sample s;
    assert_int_equal(mlsim_wholerun_simulate(w, 600.0, 5, &s), MLSIM_OK);
    assert_parts_add_up(&s);
    assert_true(s.failures > 100);
    assert_rel(s.badput.repair_s / s.failures, 1000.0, 0.05);
    assert_rel(s.badput.detection_s / s.failures, 60.0, 0.05);
    mlsim_wholerun_free(w);
    /* A pool of 4 spares: repairs of 1000 s rarely overlap 4 deep, so nothing waits. */
    r.reliability.spare_nodes = 4;
    w = alloc_ok(&r, 3.6e6);
    assert_int_equal(mlsim_wholerun_simulate(w, 600.0, 5, &s), MLSIM_OK);
    assert_near(s.badput.repair_s, 0.0, 0.0);
    mlsim_wholerun_free(w);
}

static void test_limits(void **state)
{
    (void)state;
    struct mlsim_run r = make_run(8, 1e9);
    struct mlsim_wholerun *w = NULL;
    assert_int_equal(mlsim_wholerun_alloc(&r, 0.0, &w), MLSIM_ERR_INPUT);
    assert_null(w);
    r.count = 0;
    assert_int_equal(mlsim_wholerun_alloc(&r, 10.0, &w), MLSIM_ERR_INPUT);
    r = make_run(8, 1e9);
    w = alloc_ok(&r, 10.0);
    struct mlsim_wholerun_sample s;
    assert_int_equal(mlsim_wholerun_simulate(w, 0.0, 1, &s), MLSIM_ERR_INPUT);
    mlsim_wholerun_free(w);
    mlsim_wholerun_free(NULL);
    /* Failures every 0.36 s on average and a 10 s restart: the run never gets anywhere; it is
     * stopped once 100 s of work have taken 100 / 0.01 = 10,000 s, after ~28,000 failures. */
    r.reliability.rate_per_h[MLSIM_COMPONENT_NODE] = 1e4;
    r.reliability.restart_s = 10;
    w = alloc_ok(&r, 100.0);
    assert_int_equal(mlsim_wholerun_simulate(w, 10.0, 1, &s), MLSIM_ERR_RANGE);
    mlsim_wholerun_free(w);
    /* A failure an hour, 10 minutes to restart, 100 s of work: it finishes (a goodput floor is not
     * the bar for a run that does progress). */
    r.reliability.rate_per_h[MLSIM_COMPONENT_NODE] = 1.0;
    r.reliability.restart_s = 600;
    w = alloc_ok(&r, 100.0);
    assert_int_equal(mlsim_wholerun_simulate(w, 10.0, 1, &s), MLSIM_OK);
    mlsim_wholerun_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_checkpoint),
        cmocka_unit_test(test_single_node_has_no_network),
        cmocka_unit_test(test_no_failures),
        cmocka_unit_test(test_expected_failures),
        cmocka_unit_test(test_young_daly),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_rate_uncertainty),
        cmocka_unit_test(test_spares_and_repairs),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
