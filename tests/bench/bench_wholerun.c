/*
 * Whole-run benchmark, on one core: a Monte Carlo of 1,000 replicates of a 1,024-GPU run (the
 * issue's bar: under 10 s), with exponential and with Weibull failures (the latter draws every
 * component's life), and one 90-day replicate on 16,384 GPUs. Prints figures; asserts nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mlsim/montecarlo.h"
#include "mlsim/wholerun.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Rental only, at $2 per device-hour: the benchmark times the simulation, not the pricing. */
static void price(const struct mlsim_run *run, double device_seconds, double busy,
                  struct mlsim_result *out)
{
    (void)run;
    (void)busy;
    out->cost_usd = device_seconds * 2.0 / 3600.0;
}

/* A run of COUNT GPUs of a 70B model, failing at Kokolis et al.'s RSC-1 rate per node. */
static struct mlsim_run make_run(int count, int dist, int samples)
{
    struct mlsim_run r;
    memset(&r, 0, sizeof r);
    r.count = count;
    r.node_size = 8;
    r.model.params = 70e9;
    struct mlsim_reliability *rel = &r.reliability;
    rel->enabled = 1;
    rel->rate_per_h[MLSIM_COMPONENT_NODE] = MLSIM_RELIABILITY_DEFAULT_NODE_RATE_PER_H;
    rel->rate_per_h[MLSIM_COMPONENT_GPU] = 1e-5; /* to give the heap two kinds */
    rel->distribution = dist;
    rel->weibull_shape = dist == MLSIM_FAILURE_WEIBULL ? 0.7 : 1.0;
    rel->nics_per_node = MLSIM_RELIABILITY_DEFAULT_NICS_PER_NODE;
    rel->detection_s = MLSIM_RELIABILITY_DEFAULT_DETECTION_S;
    rel->restart_s = MLSIM_RELIABILITY_DEFAULT_RESTART_S;
    rel->reschedule_s = MLSIM_RELIABILITY_DEFAULT_RESCHEDULE_S;
    rel->repair_s = MLSIM_RELIABILITY_DEFAULT_REPAIR_S;
    rel->ckpt_bytes_per_param = MLSIM_RELIABILITY_DEFAULT_CKPT_BYTES_PER_PARAM;
    rel->ckpt_write_node_Bps = MLSIM_RELIABILITY_DEFAULT_WRITE_NODE_BPS;
    rel->samples = samples;
    rel->seed = 1;
    return r;
}

static int monte_carlo(const char *what, int dist)
{
    struct mlsim_run r = make_run(1024, dist, 1000);
    struct mlsim_result out;
    memset(&out, 0, sizeof out);
    double t0 = now_s();
    /* 30 days of failure-free compute. */
    enum mlsim_status st = mlsim_montecarlo_run(&r, 30 * 86400.0, 1.0, price, &out);
    double dt = now_s() - t0;
    if (st != MLSIM_OK)
        return 1;
    printf("1,024 GPUs, 30 days, %s: 1,000 replicates (and the interval search) in %.3f s; "
           "failures P10/P50/P90 %.0f/%.0f/%.0f, goodput %.4f, interval %.0f s (Young-Daly %.0f)\n",
           what, dt, out.rel.failures.p10, out.rel.failures.p50, out.rel.failures.p90,
           out.rel.goodput, out.rel.interval_s, out.rel.young_daly_s);
    return 0;
}

static int big_replicate(int dist)
{
    struct mlsim_run r = make_run(16384, dist, 1);
    struct mlsim_wholerun *w = NULL;
    if (mlsim_wholerun_alloc(&r, 90 * 86400.0, &w) != MLSIM_OK)
        return 1;
    struct mlsim_wholerun_sample s;
    double t0 = now_s();
    enum mlsim_status st = mlsim_wholerun_simulate(w, mlsim_wholerun_young_daly_s(w), 1, &s);
    double dt = now_s() - t0;
    mlsim_wholerun_free(w);
    if (st != MLSIM_OK)
        return 1;
    printf("16,384 GPUs, 90 days, %s: one replicate in %.4f s (%.0f failures, %.1f days)\n",
           mlsim_failure_dist_names[dist], dt, s.failures, s.wall_s / 86400.0);
    return 0;
}

int main(void)
{
    int bad = monte_carlo("exponential", MLSIM_FAILURE_EXPONENTIAL);
    bad |= monte_carlo("Weibull k = 0.7", MLSIM_FAILURE_WEIBULL);
    bad |= big_replicate(MLSIM_FAILURE_EXPONENTIAL);
    bad |= big_replicate(MLSIM_FAILURE_WEIBULL);
    return bad;
}
