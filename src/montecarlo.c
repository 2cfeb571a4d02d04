/*
 * Monte Carlo of whole runs. The buffers (one double per replicate and figure) are allocated
 * once per run; the interval search reuses the workspace for every interval it tries.
 */
#include "mlsim/montecarlo.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/par.h"

uint64_t mlsim_montecarlo_seed(uint64_t seed, uint64_t i)
{
    /* splitmix64 (Steele, Lea and Flood 2014) of the seed and the index. */
    uint64_t z = seed * 0x9E3779B97F4A7C15u + (i + 1) * 0xD1B54A32D192ED03u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Mean wall-clock time of replicates 0..K-1 at INTERVAL_S, spread over PAR's ranks: each
 * simulates its block of a chunk of them, and the sum is taken in replicate order, as one process
 * takes it. */
static enum mlsim_status mean_wall(struct mlsim_wholerun *w, const struct mlsim_par *par,
                                   uint64_t seed, int k, double interval_s, double *mean)
{
    struct {
        double wall_s;
        int status;
    } rep[MLSIM_MONTECARLO_SEARCH_SAMPLES];
    const size_t chunk = sizeof rep / sizeof rep[0];
    enum mlsim_status st = MLSIM_OK;
    double sum = 0;
    for (size_t first = 0; first < (size_t)k && st == MLSIM_OK; first += chunk) {
        size_t m = (size_t)k - first < chunk ? (size_t)k - first : chunk, lo, hi;
        memset(rep, 0, sizeof rep);
        mlsim_par_block(par, m, &lo, &hi);
        for (size_t j = lo; j < hi; j++) {
            struct mlsim_wholerun_sample s;
            rep[j].status = (int)mlsim_wholerun_simulate(
                w, interval_s, mlsim_montecarlo_seed(seed, first + j), &s);
            rep[j].wall_s = s.wall_s;
            if (rep[j].status != MLSIM_OK)
                break;
        }
        st = mlsim_par_share(par, rep, m, sizeof rep[0]);
        for (size_t j = 0; j < m && st == MLSIM_OK; j++) {
            st = (enum mlsim_status)rep[j].status;
            sum += rep[j].wall_s;
        }
    }
    *mean = sum / k;
    return st;
}

/* Grid steps of 2^(1/4) over a factor of 8 each way of Young-Daly's interval. */
#define GRID_HALF 12

static enum mlsim_status best_interval(struct mlsim_wholerun *w, const struct mlsim_par *par,
                                       uint64_t seed, int k, double *best)
{
    double base = mlsim_wholerun_young_daly_s(w);
    if (!isfinite(base)) {
        *best = INFINITY; /* nothing fails: never checkpoint */
        return MLSIM_OK;
    }
    if (!(base > 0))
        base = 1e-3 * mlsim_wholerun_mtbf_s(w); /* free checkpoints: as often as the grid goes */
    double lo_f = INFINITY;
    int best_j = -GRID_HALF;
    for (int j = -GRID_HALF; j <= GRID_HALF; j++) {
        double f;
        enum mlsim_status st = mean_wall(w, par, seed, k, base * exp2(j / 4.0), &f);
        if (st != MLSIM_OK)
            return st;
        if (f < lo_f) {
            lo_f = f;
            best_j = j;
        }
    }
    /* Golden-section search in the grid's bracket around its best point. */
    const double g = (sqrt(5.0) - 1.0) / 2.0;
    double a = base * exp2((best_j - 1) / 4.0), b = base * exp2((best_j + 1) / 4.0);
    double c = b - g * (b - a), d = a + g * (b - a), fc, fd;
    enum mlsim_status st = mean_wall(w, par, seed, k, c, &fc);
    if (st == MLSIM_OK)
        st = mean_wall(w, par, seed, k, d, &fd);
    while (st == MLSIM_OK && b - a > MLSIM_MONTECARLO_SEARCH_TOL * a) {
        if (fc <= fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            st = mean_wall(w, par, seed, k, c, &fc);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            st = mean_wall(w, par, seed, k, d, &fd);
        }
    }
    *best = 0.5 * (a + b);
    return st;
}

enum mlsim_status mlsim_montecarlo_best_interval(struct mlsim_wholerun *w, uint64_t seed, int k,
                                                 double *best)
{
    return best_interval(w, NULL, seed, k, best);
}

/* Per-replicate figures, one array each. */
enum { FIG_WALL, FIG_COST, FIG_ENERGY, FIG_CO2, FIG_FAILURES, FIG_GOODPUT, FIG_N };

struct mlsim_band mlsim_montecarlo_band(double *v, size_t n)
{
    struct mlsim_band b;
    b.mean = gsl_stats_mean(v, 1, n);
    gsl_sort(v, 1, n);
    b.p10 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.10);
    b.p50 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.50);
    b.p90 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.90);
    return b;
}

static void add_badput(struct mlsim_badput *sum, const struct mlsim_badput *b, double scale)
{
    sum->useful_s += b->useful_s * scale;
    sum->straggler_s += b->straggler_s * scale;
    sum->lost_s += b->lost_s * scale;
    sum->checkpoint_s += b->checkpoint_s * scale;
    sum->detection_s += b->detection_s * scale;
    sum->restart_s += b->restart_s * scale;
    sum->repair_s += b->repair_s * scale;
}

/* One replicate as the ranks share it: its sample, its price and its status. */
struct replicate {
    struct mlsim_wholerun_sample s;
    double cost_usd, energy_j, co2_kg;
    int status;
};

/* Simulate replicates [LO, HI) of the run (their block of a chunk) into REP (indexed from the
 * chunk's start FIRST); stop at the first that fails, its status kept. */
static void simulate_block(const struct mlsim_run *run, struct mlsim_wholerun *w, double busy,
                           mlsim_montecarlo_price_fn *price, const struct mlsim_result *out,
                           size_t first, size_t lo, size_t hi, struct replicate *rep)
{
    for (size_t i = lo; i < hi; i++) {
        struct replicate *r = &rep[i - first];
        r->status = (int)mlsim_wholerun_simulate(
            w, out->rel.interval_s, mlsim_montecarlo_seed((uint64_t)run->reliability.seed, i),
            &r->s);
        if (r->status != MLSIM_OK)
            return;
        struct mlsim_result priced = *out;
        price(run, r->s.wall_s * run->count, busy * r->s.busy_s / r->s.wall_s, &priced);
        r->cost_usd = priced.cost_usd;
        r->energy_j = priced.energy_j;
        r->co2_kg = priced.co2_kg;
    }
}

/* Run the N replicates at the chosen interval into FIG and the sums of OUT->rel: chunk by chunk,
 * each chunk's replicates spread over the run's ranks and then summed in replicate order. */
static enum mlsim_status replicate_all(const struct mlsim_run *run, struct mlsim_wholerun *w,
                                       double busy, mlsim_montecarlo_price_fn *price,
                                       double *fig[FIG_N], double *busy_sum,
                                       struct mlsim_result *out)
{
    struct mlsim_reliability_result *rr = &out->rel;
    const struct mlsim_par *par = run->reliability.par;
    size_t n = (size_t)rr->samples;
    size_t chunk = n < MLSIM_MONTECARLO_CHUNK ? n : MLSIM_MONTECARLO_CHUNK;
    struct replicate *rep = calloc(chunk, sizeof *rep);
    enum mlsim_status st = mlsim_par_max(par, rep == NULL) || !rep ? MLSIM_ERR_NOMEM : MLSIM_OK;
    for (size_t first = 0; first < n && st == MLSIM_OK; first += chunk) {
        size_t m = n - first < chunk ? n - first : chunk, lo, hi;
        memset(rep, 0, m * sizeof *rep);
        mlsim_par_block(par, m, &lo, &hi);
        simulate_block(run, w, busy, price, out, first, first + lo, first + hi, rep);
        st = mlsim_par_share(par, rep, m, sizeof *rep);
        for (size_t j = 0; j < m && st == MLSIM_OK; j++) {
            const struct replicate *r = &rep[j];
            size_t i = first + j;
            st = (enum mlsim_status)r->status;
            if (st != MLSIM_OK)
                break;
            fig[FIG_WALL][i] = r->s.wall_s;
            fig[FIG_COST][i] = r->cost_usd;
            fig[FIG_ENERGY][i] = r->energy_j;
            fig[FIG_CO2][i] = r->co2_kg;
            fig[FIG_FAILURES][i] = r->s.failures;
            fig[FIG_GOODPUT][i] = r->s.badput.useful_s / r->s.wall_s;
            *busy_sum += r->s.busy_s;
            add_badput(&rr->badput, &r->s.badput, 1.0 / (double)n);
            for (int c = 0; c < MLSIM_COMPONENT_N; c++)
                rr->failures_by_component[c] += r->s.by_component[c] / (double)n;
        }
    }
    free(rep);
    return st;
}

/* The interval: the run's, or the simulated best; Young-Daly's beside it. */
static enum mlsim_status choose_interval(const struct mlsim_run *run, struct mlsim_wholerun *w,
                                         double work_s, struct mlsim_reliability_result *rr)
{
    int k = rr->samples < MLSIM_MONTECARLO_SEARCH_SAMPLES ? rr->samples
                                                          : MLSIM_MONTECARLO_SEARCH_SAMPLES;
    enum mlsim_status st = best_interval(w, run->reliability.par, (uint64_t)run->reliability.seed,
                                         k, &rr->best_interval_s);
    if (st != MLSIM_OK)
        return st;
    rr->interval_chosen = !(run->reliability.ckpt_interval_s > 0);
    rr->interval_s = rr->interval_chosen ? rr->best_interval_s : run->reliability.ckpt_interval_s;
    if (!isfinite(rr->interval_s))
        rr->interval_s = 2.0 * work_s * (1.0 + run->reliability.straggler_slowdown);
    return MLSIM_OK;
}

static enum mlsim_status simulate_run(const struct mlsim_run *run, struct mlsim_wholerun *w,
                                      double work_s, double busy, mlsim_montecarlo_price_fn *price,
                                      double *fig[FIG_N], struct mlsim_result *out)
{
    struct mlsim_reliability_result *rr = &out->rel;
    rr->ckpt_bytes = mlsim_wholerun_ckpt_bytes(w);
    rr->ckpt_write_s = mlsim_wholerun_ckpt_write_s(w);
    rr->mtbf_s = mlsim_wholerun_mtbf_s(w);
    rr->young_daly_s = mlsim_wholerun_young_daly_s(w);
    enum mlsim_status st = choose_interval(run, w, work_s, rr);
    double busy_sum = 0;
    if (st == MLSIM_OK)
        st = replicate_all(run, w, busy, price, fig, &busy_sum, out);
    if (st != MLSIM_OK)
        return st;
    size_t n = (size_t)rr->samples;
    rr->time_s = mlsim_montecarlo_band(fig[FIG_WALL], n);
    rr->cost_usd = mlsim_montecarlo_band(fig[FIG_COST], n);
    rr->energy_j = mlsim_montecarlo_band(fig[FIG_ENERGY], n);
    rr->co2_kg = mlsim_montecarlo_band(fig[FIG_CO2], n);
    rr->failures = mlsim_montecarlo_band(fig[FIG_FAILURES], n);
    rr->goodput_band = mlsim_montecarlo_band(fig[FIG_GOODPUT], n);
    rr->goodput = rr->badput.useful_s / rr->time_s.mean;
    rr->expected_failures = rr->time_s.mean / rr->mtbf_s;
    /* Mean cost and energy: both are linear in wall-clock and busy time, so pricing the means
     * gives the means of the replicates' prices. */
    out->time_s = rr->time_s.mean;
    price(run, rr->time_s.mean * run->count, busy * (busy_sum / (double)n) / rr->time_s.mean, out);
    return MLSIM_OK;
}

enum mlsim_status mlsim_montecarlo_run(const struct mlsim_run *run, double work_s, double busy,
                                       mlsim_montecarlo_price_fn *price, struct mlsim_result *out)
{
    struct mlsim_reliability_result *rr = &out->rel;
    memset(rr, 0, sizeof *rr);
    rr->samples = run->reliability.samples;
    struct mlsim_wholerun *w = NULL;
    double *fig[FIG_N] = {NULL};
    enum mlsim_status st = rr->samples > 0 && rr->samples <= MLSIM_RELIABILITY_MAX_SAMPLES
                               ? mlsim_wholerun_alloc(run, work_s, &w)
                               : MLSIM_ERR_RANGE;
    for (int f = 0; f < FIG_N && st == MLSIM_OK; f++) {
        fig[f] = calloc((size_t)rr->samples, sizeof *fig[f]);
        if (!fig[f])
            st = MLSIM_ERR_NOMEM;
    }
    int k = rr->samples < MLSIM_MONTECARLO_SEARCH_SAMPLES ? rr->samples
                                                          : MLSIM_MONTECARLO_SEARCH_SAMPLES;
    double runs = rr->samples + (double)MLSIM_MONTECARLO_SEARCH_RUNS * k;
    if (st == MLSIM_OK && runs * mlsim_wholerun_draws(w) > MLSIM_MONTECARLO_MAX_DRAWS) {
        st = MLSIM_ERR_RANGE;
        rr->too_much_work = 1;
    }
    if (st == MLSIM_OK)
        st = simulate_run(run, w, work_s, busy, price, fig, out);
    for (int f = 0; f < FIG_N; f++)
        free(fig[f]);
    mlsim_wholerun_free(w);
    if (st != MLSIM_OK) {
        int samples = rr->samples, too_much = rr->too_much_work;
        memset(rr, 0, sizeof *rr);
        rr->status = (int)st;
        rr->samples = samples;
        rr->too_much_work = too_much;
        out->time_s = work_s;
        price(run, work_s * run->count, busy, out);
    }
    return st;
}

void mlsim_montecarlo_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_run *r = res->run;
    const struct mlsim_reliability *c = &r->reliability;
    char x[64], y[64], z[64], w[64];
    mlsim_assume(a,
                 "Failures: %s, %s; every failure restarts the whole job from its last "
                 "checkpoint",
                 c->rate_source[0] ? c->rate_source : MLSIM_RELIABILITY_DEFAULT_RATE_SOURCE,
                 c->distribution == MLSIM_FAILURE_WEIBULL ? "Weibull, every component new at the "
                                                            "start"
                                                          : "exponential (memoryless)");
    mlsim_assume(a,
                 "Recovery: detection %s, restart %s, a spare node swapped in %s, repair %s "
                 "(detection after Kokolis et al. 2024's 5-minute health checks; the others "
                 "assumed)",
                 mlsim_units_format(c->detection_s, MLSIM_DIM_TIME, x, sizeof x),
                 mlsim_units_format(c->restart_s, MLSIM_DIM_TIME, y, sizeof y),
                 mlsim_units_format(c->reschedule_s, MLSIM_DIM_TIME, z, sizeof z),
                 mlsim_units_format(c->repair_s, MLSIM_DIM_TIME, w, sizeof w));
    mlsim_assume(a,
                 "Checkpoints: %.3g bytes per parameter (weights and optimizer states, ZeRO "
                 "paper Sec. 3.1), written %s at %s per node%s; interval %s",
                 c->ckpt_bytes_per_param,
                 c->ckpt_mode == MLSIM_CHECKPOINT_ASYNC ? "asynchronously" : "synchronously",
                 mlsim_units_format(c->ckpt_write_node_Bps, MLSIM_DIM_BANDWIDTH, x, sizeof x),
                 c->ckpt_write_total_Bps > 0 ? " or the storage's total, whichever is slower" : "",
                 res->rel.interval_chosen ? "the simulated best, Young-Daly's shown beside it"
                                          : "given");
    if (res->rel.input_samples == 0) /* else the uncertain inputs' draws say it (uncertain.h) */
        mlsim_assume(a,
                     "Bands: P10 / P50 / P90 over %d replicates of the failure draws (seed %d)%s; "
                     "the other inputs are taken as given",
                     res->rel.samples, c->seed,
                     c->rate_uncertainty > 1 ? " and a log-normal uncertainty of the rates" : "");
}
