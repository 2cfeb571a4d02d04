/* Step to run: the batch ramp-up's sum by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/cost.h"

/* A batch of 8 ramped from 2 by 2 over the first 30 tokens, in sequences of one token: sizes 2,
 * 4 and 6 take 30 / 3 = 10 sequences each, 5, 2.5 and 10 / 6 steps; the other 80 of the run's 110
 * take 10 steps of 8. The full step is 10 s with 8 s of compute, so a step of B takes
 * 10 - 8 (1 - B / 8) = 2 + B seconds: 5 x 4 + 2.5 x 6 + (10 / 6) x 8 + 10 x 10 = 148.33 s in
 * 19.17 steps, where the full batch throughout takes 110 / 8 = 13.75 steps, 137.5 s. */
static void test_rampup_by_hand(void **state)
{
    (void)state;
    struct mlsim_training t;
    memset(&t, 0, sizeof t);
    t.global_batch = 8;
    t.rampup.start = 2;
    t.rampup.increment = 2;
    t.rampup.tokens = 30;
    double steps = 0;
    assert_rel(mlsim_cost_rampup_seconds(&t, 110, 1, 10, 8, &steps),
               20.0 + 15.0 + 80.0 / 6.0 + 100.0, 1e-12);
    assert_rel(steps, 5.0 + 2.5 + 10.0 / 6.0 + 10.0, 1e-12);
    /* a run inside the ramp: 12 tokens, 10 at size 2 (5 steps) and 2 at size 4 (half a step) */
    assert_rel(mlsim_cost_rampup_seconds(&t, 12, 1, 10, 8, &steps), 5 * 4.0 + 0.5 * 6.0, 1e-12);
    assert_rel(steps, 5.5, 1e-12);
    /* shorter than a step: one step at the start's size */
    assert_rel(mlsim_cost_rampup_seconds(&t, 1, 1, 10, 8, &steps), 4.0, 1e-12);
    assert_rel(steps, 1.0, 0);
    t.rampup.start = 0; /* no ramp-up */
    assert_rel(mlsim_cost_rampup_seconds(&t, 110, 1, 10, 8, &steps), 137.5, 1e-12);
    assert_rel(steps, 13.75, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rampup_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
