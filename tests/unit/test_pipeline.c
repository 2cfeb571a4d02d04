/* Pipeline schedules: orders checked by hand, and the bubble they produce on the engine against
 * the closed forms of Narayanan et al. 2021, Sec. 2.2: with uniform stages a 1F1B or GPipe step
 * takes (m + p - 1)(tf + tb); interleaving V chunks cuts the bubble to (p - 1)(tf + tb) / V. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/pipeline.h"
#include "mlsim/sim.h"

#include "check.h"

static void expect(const struct mlsim_pipe_op *ops, const char *want)
{
    /* WANT: "F0 F1 B0 ..." with an optional chunk suffix ".c" */
    char got[512] = "";
    size_t used = 0;
    for (size_t i = 0; used < sizeof got - 16 && want[used] != '\0'; i++) {
        int w = snprintf(got + used, sizeof got - used, "%s%c%d", i ? " " : "",
                         ops[i].backward ? 'B' : 'F', ops[i].microbatch);
        used += (size_t)w;
        if (ops[i].chunk > 0 || strchr(want, '.')) {
            w = snprintf(got + used, sizeof got - used, ".%d", ops[i].chunk);
            used += (size_t)w;
        }
    }
    assert_string_equal(got, want);
}

static void test_1f1b_orders(void **state)
{
    (void)state;
    struct mlsim_pipe_op ops[16];
    /* p = 4, m = 4: rank 0 warms up with 3 forwards, the last rank alternates at once */
    assert_int_equal(mlsim_pipeline_order(MLSIM_SCHEDULE_1F1B, 4, 4, 1, 0, ops), MLSIM_OK);
    expect(ops, "F0 F1 F2 F3 B0 B1 B2 B3");
    assert_int_equal(mlsim_pipeline_order(MLSIM_SCHEDULE_1F1B, 4, 4, 1, 2, ops), MLSIM_OK);
    expect(ops, "F0 F1 B0 F2 B1 F3 B2 B3");
    assert_int_equal(mlsim_pipeline_order(MLSIM_SCHEDULE_1F1B, 4, 4, 1, 3, ops), MLSIM_OK);
    expect(ops, "F0 B0 F1 B1 F2 B2 F3 B3");
    assert_int_equal(mlsim_pipeline_in_flight(ops, 8), 1);
    assert_int_equal(mlsim_pipeline_order(MLSIM_SCHEDULE_GPIPE, 4, 4, 1, 3, ops), MLSIM_OK);
    expect(ops, "F0 F1 F2 F3 B0 B1 B2 B3");
    assert_int_equal(mlsim_pipeline_in_flight(ops, 8), 4);
}

static void test_interleaved_order(void **state)
{
    (void)state;
    struct mlsim_pipe_op ops[16];
    /* p = 2, m = 4, v = 2, rank 0: warm-up 2 (p - 1) + (v - 1) p = 4 forwards; micro-batches go
     * through a chunk in groups of p: F0.0 F1.0 F0.1 F1.1, then F2.0 B0.1, F3.0 B1.1, ... */
    assert_int_equal(mlsim_pipeline_order(MLSIM_SCHEDULE_INTERLEAVED, 2, 4, 2, 0, ops), MLSIM_OK);
    expect(ops, "F0.0 F1.0 F0.1 F1.1 F2.0 B0.1 F3.0 B1.1 F2.1 B0.0 F3.1 B1.0 B2.1 B3.1 B2.0 B3.0");
    /* m must be a multiple of p */
    assert_int_equal(mlsim_pipeline_order(MLSIM_SCHEDULE_INTERLEAVED, 4, 6, 2, 0, ops),
                     MLSIM_ERR_INPUT);
    assert_int_equal(mlsim_pipeline_order(MLSIM_SCHEDULE_1F1B, 4, 6, 1, 4, ops), MLSIM_ERR_INPUT);
}

/* Run P ranks of M micro-batches under SCHEDULE with V chunks, forward TF and backward TB per
 * micro-batch per rank (split evenly over chunks), no transfer time; return the step time. */
static double run_pipeline(int schedule, int p, int m, int v, double tf, double tb)
{
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int nvs = p * v;
    int64_t *f = malloc((size_t)(nvs * m) * sizeof *f), *b = malloc((size_t)(nvs * m) * sizeof *b);
    struct mlsim_pipe_op *ops = malloc((size_t)(2 * m * v) * sizeof *ops);
    for (int r = 0; r < p; r++) {
        int res = mlsim_sim_resource(sim, "rank");
        assert_int_equal(mlsim_pipeline_order(schedule, p, m, v, r, ops), MLSIM_OK);
        for (int i = 0; i < 2 * m * v; i++) {
            int vs = ops[i].chunk * p + r;
            struct mlsim_sim_task t = {
                "x", res, 0, vs, ops[i].microbatch, ops[i].backward ? tb / v : tf / v, 0,
                0,   0,   0, 0};
            (ops[i].backward ? b : f)[vs * m + ops[i].microbatch] = mlsim_sim_task(sim, &t);
        }
    }
    for (int vs = 0; vs < nvs; vs++) {
        for (int mb = 0; mb < m; mb++) {
            if (vs > 0)
                mlsim_sim_depend(sim, f[vs * m + mb], f[(vs - 1) * m + mb]);
            if (vs + 1 < nvs)
                mlsim_sim_depend(sim, b[vs * m + mb], b[(vs + 1) * m + mb]);
            else
                mlsim_sim_depend(sim, b[vs * m + mb], f[vs * m + mb]);
        }
    }
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    double t = mlsim_sim_makespan(sim);
    mlsim_sim_free(sim);
    free(f);
    free(b);
    free(ops);
    return t;
}

static void test_bubble_from_the_schedule(void **state)
{
    (void)state;
    /* tf = 1, tb = 2: (m + p - 1) x 3 for GPipe and 1F1B */
    assert_near(run_pipeline(MLSIM_SCHEDULE_GPIPE, 4, 8, 1, 1, 2), (8 + 3) * 3.0, 1e-9);
    assert_near(run_pipeline(MLSIM_SCHEDULE_1F1B, 4, 8, 1, 1, 2), (8 + 3) * 3.0, 1e-9);
    assert_near(run_pipeline(MLSIM_SCHEDULE_1F1B, 8, 32, 1, 1, 2), (32 + 7) * 3.0, 1e-9);
    /* interleaved: (m + (p - 1) / v) x 3 */
    assert_near(run_pipeline(MLSIM_SCHEDULE_INTERLEAVED, 4, 8, 2, 1, 2), (8 + 3.0 / 2) * 3.0, 1e-9);
    assert_near(run_pipeline(MLSIM_SCHEDULE_INTERLEAVED, 4, 8, 4, 1, 2), (8 + 3.0 / 4) * 3.0, 1e-9);
}

/* The peak in flight without building the order equals the order's own count, every schedule,
 * over a grid of pipelines; and 1F1B's rank 0 holds P micro-batches (Narayanan et al. 2021,
 * Sec. 2.2: "at most p micro-batches in flight"). */
static void test_peak_in_closed_form(void **state)
{
    (void)state;
    static struct mlsim_pipe_op ops[2 * 48 * 4];
    static const int schedules[] = {MLSIM_SCHEDULE_GPIPE, MLSIM_SCHEDULE_1F1B,
                                    MLSIM_SCHEDULE_INTERLEAVED};
    for (int s = 0; s < 3; s++) {
        for (int p = 1; p <= 8; p++) {
            for (int m = p; m <= 48; m += p) {
                for (int v = 1; v <= (s == 2 ? 4 : 1); v++) {
                    for (int r = 0; r < p; r++) {
                        int vv = s == 2 ? v : 1;
                        assert_int_equal(mlsim_pipeline_order(schedules[s], p, m, vv, r, ops),
                                         MLSIM_OK);
                        assert_int_equal(mlsim_pipeline_peak(schedules[s], p, m, vv, r),
                                         mlsim_pipeline_in_flight(ops, 2 * (size_t)m * (size_t)vv));
                    }
                }
            }
        }
    }
    assert_int_equal(mlsim_pipeline_peak(MLSIM_SCHEDULE_1F1B, 8, 64, 1, 0), 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_1f1b_orders),
        cmocka_unit_test(test_interleaved_order),
        cmocka_unit_test(test_bubble_from_the_schedule),
        cmocka_unit_test(test_peak_in_closed_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
