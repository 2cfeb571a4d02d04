/*
 * Evaluation passes (wholerun.h) against hand calculations: how many passes a run makes, the
 * forward share of a trained token's time, and the seconds they add; a run without an
 * evaluation block adds nothing; initialization counts only past MLPerf's 20 minutes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "check.h"
#include "mlsim/wholerun.h"

/* A run of TOKENS tokens evaluated over EVAL tokens after every EVERY. */
static struct mlsim_run make_run(double tokens, double every, double eval)
{
    struct mlsim_run r;
    memset(&r, 0, sizeof r);
    r.count = 8;
    r.model.tokens = tokens;
    r.training.eval.every = every;
    r.training.eval.tokens = eval;
    return r;
}

/* One pass after each whole interval; a run that does not end on one ends with one more. */
static void test_passes(void **state)
{
    (void)state;
    struct mlsim_run r = make_run(1e9, 250e6, 30e6);
    assert_near(mlsim_wholerun_eval_passes(&r), 4.0, 0); /* 1e9 / 250e6, exactly */
    r.training.eval.every = 300e6;                       /* 3 whole intervals + the end */
    assert_near(mlsim_wholerun_eval_passes(&r), 4.0, 0);
    r.training.eval.every = 2e9; /* the run is shorter than one interval: the end only */
    assert_near(mlsim_wholerun_eval_passes(&r), 1.0, 0);
    /* MLPerf GPT-3 at batch 3072: 24 evaluations of 24,576 x 2048 tokens = 1,207,959,552 */
    r = make_run(1207959552.0, 24576.0 * 2048, 5662.0 * 2048);
    assert_near(mlsim_wholerun_eval_passes(&r), 24.0, 0);
    r.training.eval.every = 0; /* no block */
    assert_near(mlsim_wholerun_eval_passes(&r), 0.0, 0);
}

/* The forward pass is 2 of the 6 model FLOPs per parameter and token; a step that recomputes its
 * forward pass (HFU / MFU = 8 / 6) spends a quarter of its time forward, not a third. */
static void test_share(void **state)
{
    (void)state;
    assert_near(mlsim_wholerun_eval_share(0.5, 0.5), 1.0 / 3.0, 1e-15);
    assert_near(mlsim_wholerun_eval_share(0.3, 0.4), 0.25, 1e-15);
    assert_near(mlsim_wholerun_eval_share(0.5, 0.0), 1.0 / 3.0, 1e-15); /* analytic: no HFU */
}

/* 4 passes of 30M tokens at 1M trained tokens/s, a third of a trained token's time each:
 * 4 x 30e6 / 3 / 1e6 = 40 s; with full recomputation a quarter: 30 s. */
static void test_seconds(void **state)
{
    (void)state;
    struct mlsim_run r = make_run(1e9, 250e6, 30e6);
    double passes = -1;
    assert_near(mlsim_wholerun_eval_seconds(&r, 1e6, 0.5, 0.5, &passes), 40.0, 1e-12);
    assert_near(passes, 4.0, 0);
    assert_near(mlsim_wholerun_eval_seconds(&r, 1e6, 0.3, 0.4, &passes), 30.0, 1e-12);
    /* no rate, or no block: nothing, and no passes */
    assert_near(mlsim_wholerun_eval_seconds(&r, 0, 0.5, 0.5, &passes), 0.0, 0);
    assert_near(passes, 0.0, 0);
    assert_near(mlsim_wholerun_eval_seconds(&r, INFINITY, 0.5, 0.5, &passes), 0.0, 0);
    r.training.eval.every = 0;
    assert_near(mlsim_wholerun_eval_seconds(&r, 1e6, 0.5, 0.5, &passes), 0.0, 0);
    assert_near(passes, 0.0, 0);
}

/* MLPerf's clock starts 20 minutes into initialization at the latest (training_rules.adoc). */
static void test_init(void **state)
{
    (void)state;
    struct mlsim_run r = make_run(1e9, 0, 0);
    assert_near(mlsim_wholerun_init_timed_s(&r), 0.0, 0); /* not given */
    r.training.init_s = 600;
    assert_near(mlsim_wholerun_init_timed_s(&r), 0.0, 0);
    r.training.init_s = 1200; /* at the allowance: nothing yet */
    assert_near(mlsim_wholerun_init_timed_s(&r), 0.0, 0);
    r.training.init_s = 1800;
    assert_near(mlsim_wholerun_init_timed_s(&r), 600.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes),
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
