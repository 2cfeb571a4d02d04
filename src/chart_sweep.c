/*
 * The sweep charts: a scenario re-run over device counts. Amdahl and scaling sweep the first
 * run's device count (1 to 64) and show step time, speed-up and efficiency; pareto prices every
 * run at 128 to 1024 devices and marks the what-ifs that no other beats on both time and cost.
 * A scenario that sweeps hardware.count itself (`sweep: {hardware.count: ...}`) sets the counts
 * of scaling, and its runs are pareto's what-ifs. The search chart draws the layout search's
 * candidates (search.h) of every run the same way, its front across the runs' devices.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/chart.h"
#include "mlsim/run.h"
#include "mlsim/search.h"
#include "mlsim/version.h"
#include "mlsim/ydoc.h"

/* ---- the device counts a scenario sweeps itself ---- */

/* The most device counts a chart takes from a scenario's sweep. */
#define SWEEP_MAX 32

/* The distinct device counts of SC's runs, ascending, into COUNTS (at most MAX), when SC sweeps
 * hardware.count itself; 0 otherwise. */
static size_t own_counts(const struct mlsim_scenario *sc, int *counts, size_t max)
{
    const struct mlsim_ynode *sw = mlsim_chart_own_sweep(sc);
    if (!sw || !mlsim_ynode_get(sw, "hardware.count"))
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < sc->n_runs; i++) {
        int c = sc->runs[i].count, at = 0;
        while ((size_t)at < n && counts[at] < c)
            at++;
        if (((size_t)at < n && counts[at] == c) || n == max)
            continue;
        memmove(counts + at + 1, counts + at, (n - (size_t)at) * sizeof *counts);
        counts[at] = c;
        n++;
    }
    return n;
}

/* ---- a device-count sweep of a scenario's first run (amdahl, scaling) ---- */

static const int sweep_counts[] = {1, 2, 4, 8, 16, 32, 64};
#define SWEEP_N SWEEP_MAX
/* Beyond one node the sweep needs a network; without one in the scenario it assumes DGX A100
 * nodes: 8 x 200 Gb/s HDR InfiniBand (NVIDIA DGX A100 datasheet). */
#define SWEEP_NIC "hardware.nic_bandwidth=1600 Gb/s"

struct sweep {
    char run[128];
    char device[128];
    int assumed_nic; /* SWEEP_NIC was used */
    int own;         /* the counts are the scenario's own sweep's */
    size_t n;
    int devices[SWEEP_N];
    struct mlsim_result res[SWEEP_N];
};

/* Simulate the first run of the scenario at COUNT devices into *RES. */
static enum mlsim_status sweep_point(struct mlsim_plot_job *job, int count, int with_nic,
                                     struct mlsim_diags *d, struct mlsim_result *res,
                                     struct sweep *sw)
{
    char set_count[64];
    snprintf(set_count, sizeof set_count, "hardware.count=%d", count);
    const char *sets[] = {set_count, SWEEP_NIC};
    struct mlsim_scenario *sc = NULL;
    enum mlsim_status st = mlsim_chart_load(job, job->input, sets, with_nic ? 2 : 1, d, &sc);
    if (st != MLSIM_OK)
        return st;
    const struct mlsim_run *r = &sc->runs[0];
    if (r->mode != MLSIM_MODE_SIMULATE) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                           "run '%s' is not 'mode: simulate': a speed-up needs a simulated step",
                           r->name);
        st = MLSIM_ERR_INPUT;
    }
    if (st == MLSIM_OK)
        st = mlsim_run_estimate(r, res, NULL, d);
    snprintf(sw->run, sizeof sw->run, "%s", r->name);
    char *swept = strstr(sw->run, " (count="); /* a point of the scenario's own sweep */
    if (swept)
        *swept = '\0';
    snprintf(sw->device, sizeof sw->device, "%s", r->device->name);
    res->run = NULL; /* the scenario is freed below */
    mlsim_scenario_free(sc);
    return st;
}

/* The device counts of the scenario's own sweep of hardware.count into COUNTS (at most
 * SWEEP_MAX), read from the file as loaded (not resolved: its faults are reported when it is);
 * 0 if it has none. */
static size_t job_own_counts(const struct mlsim_plot_job *job, int *counts)
{
    struct mlsim_diags *scratch = mlsim_diags_alloc();
    struct mlsim_scenario *sc = NULL;
    size_t n = 0;
    if (scratch && mlsim_scenario_load(job->input, scratch, &sc) == MLSIM_OK && sc)
        n = own_counts(sc, counts, SWEEP_MAX);
    mlsim_scenario_free(sc);
    mlsim_diags_free(scratch);
    return n;
}

/* The counts to sweep into COUNTS: the scenario's own sweep of hardware.count when OWN asks
 * for it and it has one (*IS_OWN set), else 1 to 64. */
static size_t counts_of(struct mlsim_plot_job *job, int own, int *counts, int *is_own)
{
    size_t n = own ? job_own_counts(job, counts) : 0;
    *is_own = n > 0;
    for (size_t i = 0; n == 0 && i < sizeof sweep_counts / sizeof sweep_counts[0]; i++)
        counts[i] = sweep_counts[i];
    return n ? n : sizeof sweep_counts / sizeof sweep_counts[0];
}

/* Sweep the device count over the counts (counts_of), stopping at the first count the run
 * cannot take (a batch that does not split, a layout that does not tile): the first must work. */
static enum mlsim_status sweep_run(struct mlsim_plot_job *job, struct sweep *sw, int own)
{
    memset(sw, 0, sizeof *sw);
    int counts[SWEEP_MAX];
    size_t n = counts_of(job, own, counts, &sw->own);
    enum mlsim_status st = sweep_point(job, counts[0], 0, job->d, &sw->res[0], sw);
    if (st != MLSIM_OK)
        return st;
    sw->devices[0] = counts[0];
    sw->n = 1;
    for (size_t i = 1; i < n; i++) {
        struct mlsim_diags *scratch = mlsim_diags_alloc();
        if (!scratch)
            return MLSIM_ERR_NOMEM;
        st = sweep_point(job, counts[i], 0, scratch, &sw->res[i], sw);
        if (st != MLSIM_OK) {
            mlsim_diags_free(scratch);
            scratch = mlsim_diags_alloc();
            if (!scratch)
                return MLSIM_ERR_NOMEM;
            st = sweep_point(job, counts[i], 1, scratch, &sw->res[i], sw);
            if (st == MLSIM_OK)
                sw->assumed_nic = 1;
        }
        mlsim_diags_free(scratch);
        if (st != MLSIM_OK)
            break;
        sw->devices[i] = counts[i];
        sw->n = i + 1;
    }
    return MLSIM_OK;
}

/* The sweep as CSV: devices, step, speed-up against one device, efficiency, and the parallel
 * fraction Amdahl's law would need for that speed-up, p = (1 - 1/S) / (1 - 1/N). */
static enum mlsim_status write_sweep(struct mlsim_plot_job *job, const char *suffix,
                                     const struct sweep *sw)
{
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, suffix, &o);
    if (st != MLSIM_OK)
        return st;
    fputs("devices,step_s,ideal_step_s,speedup,efficiency,amdahl_p,compute_s,exposed_comm_s,mfu,"
          "tokens_per_s\n",
          o.f);
    /* against the first count N0 (one device unless the scenario sweeps its own): the ideal
     * step is step(N0) N0 / N and the efficiency S N0 / N; Amdahl's p needs N0 = 1 */
    double t1 = sw->res[0].step_s, n0 = sw->devices[0];
    for (size_t i = 0; i < sw->n; i++) {
        const struct mlsim_result *r = &sw->res[i];
        double n = sw->devices[i], s = t1 / r->step_s;
        fprintf(o.f, "%d", sw->devices[i]);
        mlsim_chart_csv_num(o.f, r->step_s);
        mlsim_chart_csv_num(o.f, t1 * n0 / n);
        mlsim_chart_csv_num(o.f, s);
        mlsim_chart_csv_num(o.f, s * n0 / n);
        mlsim_chart_csv_num(o.f, n > 1 && n0 == 1 ? (1 - 1 / s) / (1 - 1 / n) : NAN);
        mlsim_chart_csv_num(o.f, r->compute_s);
        mlsim_chart_csv_num(o.f, r->exposed_comm_s);
        mlsim_chart_csv_num(o.f, r->mfu);
        mlsim_chart_csv_num(o.f, r->tokens_per_s);
        fputc('\n', o.f);
    }
    return mlsim_chart_close(job, &o, MLSIM_OK);
}

/* Amdahl's law: speed-up S(N) = 1 / ((1 - p) + p / N) for the deck's four p, N = 2^(k/4). */
static enum mlsim_status write_amdahl_curves(struct mlsim_plot_job *job)
{
    static const double ps[] = {0.5, 0.75, 0.9, 0.95};
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("processors,p50,p75,p90,p95\n", o.f);
    for (int k = 0; k <= 64; k++) {
        double n = ldexp(1.0, k / 4) * pow(2.0, (k % 4) / 4.0);
        mlsim_chart_num(o.f, n);
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
            mlsim_chart_csv_num(o.f, 1.0 / ((1.0 - ps[i]) + ps[i] / n));
        fputc('\n', o.f);
    }
    return mlsim_chart_close(job, &o, MLSIM_OK);
}

/* What a sweep shows and assumes, for a footnote. */
static void sweep_footnote(const struct mlsim_plot_job *job, const struct sweep *sw, char *buf,
                           size_t len)
{
    snprintf(buf, len,
             "Source: mlsim %s, %s: '%s' simulated on %d to %d x %s%s, the scenario's global "
             "batch fixed (strong scaling)%s.",
             MLSIM_VERSION, job->shown, sw->run, sw->devices[0], sw->devices[sw->n - 1], sw->device,
             sw->own ? " (the scenario's sweep)" : "",
             sw->assumed_nic ? "; beyond one node 8 x 200 Gb/s InfiniBand per node, assumed" : "");
}

enum mlsim_status mlsim_chart_amdahl(struct mlsim_plot_job *job)
{
    struct sweep *sw = malloc(sizeof *sw);
    if (!sw)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = sweep_run(job, sw, 0); /* Amdahl's law counts from one device */
    if (st == MLSIM_OK)
        st = write_amdahl_curves(job);
    if (st == MLSIM_OK)
        st = write_sweep(job, "-simulated.csv", sw);
    if (st == MLSIM_OK) {
        char foot[1024], label[256];
        sweep_footnote(job, sw, foot, sizeof foot);
        /* the run is named in the footnote; a short key leaves the top left of the plot, where
         * the simulated curve climbs, uncovered */
        snprintf(label, sizeof label, "simulated training step");
        struct mlsim_chart_out o = {0};
        st = mlsim_chart_script_begin(
            job, &o, "Amdahl's law, and the speed-up of a simulated training step", foot);
        if (st == MLSIM_OK) {
            const struct mlsim_result *last = &sw->res[sw->n - 1];
            double n_last = sw->devices[sw->n - 1], s_last = sw->res[0].step_s / last->step_s;
            mlsim_chart_gp_str(o.f, "sim_title", label);
            mlsim_chart_gp_num(o.f, "sim_n", n_last);
            mlsim_chart_gp_num(o.f, "sim_s", s_last);
            mlsim_chart_gp_num(o.f, "sim_p", n_last > 1 ? (1 - 1 / s_last) / (1 - 1 / n_last) : 1);
            st = mlsim_chart_script_end(job, &o);
        }
    }
    free(sw);
    return st;
}

enum mlsim_status mlsim_chart_scaling(struct mlsim_plot_job *job)
{
    struct sweep *sw = malloc(sizeof *sw);
    if (!sw)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = sweep_run(job, sw, 1);
    if (st == MLSIM_OK)
        st = write_sweep(job, ".csv", sw);
    if (st == MLSIM_OK) {
        char foot[1024], title[256], ideal[96], eff[128];
        sweep_footnote(job, sw, foot, sizeof foot);
        snprintf(title, sizeof title, "Scaling with device count: %s", sw->run);
        int n0 = sw->devices[0];
        if (n0 == 1) {
            snprintf(ideal, sizeof ideal, "ideal: step(1) / N");
            snprintf(eff, sizeof eff, "Parallel efficiency S(N) / N (%%)");
        } else {
            snprintf(ideal, sizeof ideal, "ideal: step(%d) x %d / N", n0, n0);
            snprintf(eff, sizeof eff, "Efficiency against %d devices (%%)", n0);
        }
        struct mlsim_chart_out o = {0};
        st = mlsim_chart_script_begin(job, &o, title, foot);
        if (st == MLSIM_OK) {
            mlsim_chart_gp_str(o.f, "ideal_title", ideal);
            mlsim_chart_gp_str(o.f, "efficiency_label", eff);
            st = mlsim_chart_script_end(job, &o);
        }
    }
    free(sw);
    return st;
}

/* ---- pareto: cost against time over what-ifs of device count, the front marked ---- */

static const int pareto_counts[] = {128, 256, 512, 1024};
#define PARETO_N        (sizeof pareto_counts / sizeof pareto_counts[0])
#define PARETO_MAX_RUNS 8

struct whatif {
    char label[160];
    int run, count;
    double time_s, cost_usd, mfu;
    int front;
};

/* Every run of the scenario at COUNT devices; what cannot run is left out. */
static size_t whatifs_at(struct mlsim_plot_job *job, int count, struct whatif *w, size_t max,
                         char series[][128], size_t *n_series)
{
    char set[64];
    snprintf(set, sizeof set, "hardware.count=%d", count);
    const char *sets[] = {set};
    struct mlsim_diags *scratch = mlsim_diags_alloc();
    struct mlsim_scenario *sc = NULL;
    size_t n = 0;
    if (scratch && mlsim_chart_load(job, job->input, sets, 1, scratch, &sc) == MLSIM_OK) {
        for (size_t i = 0; i < sc->n_runs && i < PARETO_MAX_RUNS && n < max; i++) {
            struct mlsim_result res;
            if (mlsim_run_estimate(&sc->runs[i], &res, NULL, scratch) != MLSIM_OK ||
                res.cost_usd <= 0)
                continue;
            snprintf(series[i], 128, "%s", sc->runs[i].device->name);
            if (i + 1 > *n_series)
                *n_series = i + 1;
            w[n] = (struct whatif){.run = (int)i,
                                   .count = count,
                                   .time_s = res.time_s,
                                   .cost_usd = res.cost_usd,
                                   .mfu = res.mfu};
            snprintf(w[n].label, sizeof w[n].label, "%d", count);
            n++;
        }
    }
    mlsim_scenario_free(sc);
    mlsim_diags_free(scratch);
    return n;
}

/* The what-ifs of a scenario that sweeps hardware.count itself: its runs as they are, one series
 * per device. Returns how many (what cannot run is left out); *OWN says whether it sweeps. */
static size_t whatifs_own(struct mlsim_plot_job *job, struct whatif *w, size_t max,
                          char series[][128], size_t *n_series, int *own)
{
    int counts[SWEEP_MAX];
    *own = job_own_counts(job, counts) > 0;
    if (!*own)
        return 0;
    struct mlsim_diags *scratch = mlsim_diags_alloc();
    struct mlsim_scenario *sc = NULL;
    size_t n = 0;
    /* loaded already as given (mlsim_chart_pareto): this load's faults are known */
    if (scratch && mlsim_chart_load(job, job->input, NULL, 0, scratch, &sc) == MLSIM_OK) {
        for (size_t i = 0; i < sc->n_runs && n < max; i++) {
            struct mlsim_result res;
            const struct mlsim_run *r = &sc->runs[i];
            if (mlsim_run_estimate(r, &res, NULL, scratch) != MLSIM_OK || res.cost_usd <= 0)
                continue;
            size_t k = 0;
            while (k < *n_series && strcmp(series[k], r->device->name) != 0)
                k++;
            if (k == PARETO_MAX_RUNS)
                continue;
            if (k == *n_series)
                snprintf(series[(*n_series)++], 128, "%s", r->device->name);
            w[n] = (struct whatif){.run = (int)k,
                                   .count = r->count,
                                   .time_s = res.time_s,
                                   .cost_usd = res.cost_usd,
                                   .mfu = res.mfu};
            snprintf(w[n].label, sizeof w[n].label, "%d", r->count);
            n++;
        }
    }
    mlsim_scenario_free(sc);
    mlsim_diags_free(scratch);
    return n;
}

/* Mark the what-ifs no other beats on both time and cost. */
static void mark_front(struct whatif *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        w[i].front = 1;
        for (size_t j = 0; j < n && w[i].front; j++) {
            int better = w[j].time_s <= w[i].time_s && w[j].cost_usd <= w[i].cost_usd &&
                         (w[j].time_s < w[i].time_s || w[j].cost_usd < w[i].cost_usd);
            if (better)
                w[i].front = 0;
        }
    }
}

static enum mlsim_status write_whatifs(struct mlsim_plot_job *job, const struct whatif *w, size_t n)
{
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("series,count,time_s,cost_usd,mfu,pareto,label\n", o.f);
    for (size_t i = 0; i < n; i++) {
        fprintf(o.f, "%d,%d", w[i].run, w[i].count);
        mlsim_chart_csv_num(o.f, w[i].time_s);
        mlsim_chart_csv_num(o.f, w[i].cost_usd);
        mlsim_chart_csv_num(o.f, w[i].mfu);
        fprintf(o.f, ",%d,", w[i].front);
        mlsim_chart_csv_str(o.f, w[i].label);
        fputc('\n', o.f);
    }
    st = mlsim_chart_close(job, &o, MLSIM_OK);
    if (st == MLSIM_OK)
        st = mlsim_chart_open(job, "-front.csv", &o);
    if (st != MLSIM_OK)
        return st;
    /* The front in order of time (then cost), for a line through it. */
    fputs("time_s,cost_usd\n", o.f);
    int *done = calloc(n ? n : 1, sizeof *done);
    if (!done)
        return mlsim_chart_close(job, &o, MLSIM_ERR_NOMEM);
    for (;;) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (w[i].front && !done[i] &&
                (best == n || w[i].time_s < w[best].time_s ||
                 (w[i].time_s == w[best].time_s && w[i].cost_usd < w[best].cost_usd)))
                best = i;
        }
        if (best == n)
            break;
        done[best] = 1;
        mlsim_chart_num(o.f, w[best].time_s);
        mlsim_chart_csv_num(o.f, w[best].cost_usd);
        fputc('\n', o.f);
    }
    free(done);
    return mlsim_chart_close(job, &o, MLSIM_OK);
}

enum mlsim_status mlsim_chart_pareto(struct mlsim_plot_job *job)
{
    struct whatif w[SWEEP_MAX * PARETO_MAX_RUNS];
    char series[PARETO_MAX_RUNS][128] = {{0}};
    size_t n = 0, n_series = 0;
    struct mlsim_scenario *sc = NULL;
    /* Load once as given, so that a broken file is reported as such. */
    enum mlsim_status st = mlsim_chart_load(job, job->input, NULL, 0, job->d, &sc);
    if (st != MLSIM_OK)
        return st;
    char title[200];
    snprintf(title, sizeof title, "Cost against time: %s", mlsim_chart_title(sc));
    char *swept = strstr(title, " (count="); /* a point of the scenario's own sweep */
    if (swept)
        *swept = '\0';
    mlsim_scenario_free(sc);
    int own = 0;
    n = whatifs_own(job, w, sizeof w / sizeof w[0], series, &n_series, &own);
    for (size_t i = 0; !own && i < PARETO_N; i++)
        n +=
            whatifs_at(job, pareto_counts[i], w + n, sizeof w / sizeof w[0] - n, series, &n_series);
    if (n == 0) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(job->input),
                           "no run of '%s' could be estimated%s", job->input,
                           own ? "" : " at 128 to 1024 devices");
        return MLSIM_ERR_INPUT;
    }
    mark_front(w, n);
    st = write_whatifs(job, w, n);
    if (st != MLSIM_OK)
        return st;
    char foot[1024];
    snprintf(foot, sizeof foot,
             "Source: mlsim %s, %s: %s (labels: devices); %zu what-ifs ran. Ringed: the Pareto "
             "front, no what-if both faster and cheaper.",
             MLSIM_VERSION, job->shown,
             own ? "the runs of the scenario's sweep of hardware.count"
                 : "every run at 128, 256, 512 and 1024 devices",
             n);
    struct mlsim_chart_out o = {0};
    st = mlsim_chart_script_begin(job, &o, title, foot);
    if (st == MLSIM_OK) {
        const char *items[PARETO_MAX_RUNS];
        for (size_t i = 0; i < n_series; i++)
            items[i] = series[i][0] ? series[i] : "(none)";
        mlsim_chart_gp_array(o.f, "series_title", items, n_series);
        mlsim_chart_gp_str(o.f, "front", "pareto-front.csv");
        st = mlsim_chart_script_end(job, &o);
    }
    return st;
}

/* ---- search: the layout search's candidates, time against cost, the front across devices ---- */

/* The most candidates drawn: the fastest by the closed form (the search ranks them so). */
#define SEARCH_MAX_ROWS 5000

/* Add every run of SC (each its device) to the search S. */
static enum mlsim_status search_runs(struct mlsim_search *s, const struct mlsim_scenario *sc,
                                     char series[][128], size_t *n_series)
{
    for (size_t i = 0; i < sc->n_runs && i < PARETO_MAX_RUNS; i++) {
        enum mlsim_status st = mlsim_search_add(s, &sc->runs[i]);
        if (st != MLSIM_OK)
            return st;
        snprintf(series[i], 128, "%s", sc->runs[i].device->name);
        *n_series = i + 1;
    }
    return MLSIM_OK;
}

static int by_time_then_cost(const void *a, const void *b)
{
    const struct whatif *p = a, *q = b;
    if (p->time_s != q->time_s)
        return p->time_s < q->time_s ? -1 : 1;
    return p->cost_usd < q->cost_usd ? -1 : p->cost_usd > q->cost_usd;
}

/* Mark the front of W (N what-ifs, sorted by time then cost) in one pass: a what-if is on it
 * when no faster one is as cheap and none as fast is cheaper (mark_front's rule, in O(N)). */
static void mark_front_sorted(struct whatif *w, size_t n)
{
    double best = INFINITY; /* the cheapest of the faster ones */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && w[j].time_s == w[i].time_s)
            j++;
        for (size_t k = i; k < j; k++)
            w[k].front = w[k].cost_usd < best && w[k].cost_usd == w[i].cost_usd;
        best = fmin(best, w[i].cost_usd);
        i = j;
    }
}

/* The search's rows as what-ifs (closed-form run time and cost) into *W (malloc'd), the front
 * marked over all of them and labelled with its layout; past SEARCH_MAX_ROWS the others are
 * thinned to every k-th, the front kept whole. Returns how many, or 0 (*W NULL) if memory runs
 * out or none is costed. */
static size_t search_whatifs(const struct mlsim_search *s, const struct mlsim_scenario *sc,
                             struct whatif **out)
{
    size_t n_rows = 0, n = 0, n_front = 0;
    const struct mlsim_search_row *rows = mlsim_search_rows(s, &n_rows);
    struct whatif *w = calloc(n_rows ? n_rows : 1, sizeof *w);
    *out = w;
    if (!w)
        return 0;
    for (size_t i = 0; i < n_rows; i++) {
        const struct mlsim_search_row *r = &rows[i];
        if (!(r->run_s > 0) || !(r->cost_usd > 0))
            continue;
        const struct mlsim_layout *l = &r->layout;
        w[n] = (struct whatif){.run = (int)(r->run - sc->runs),
                               .count = r->run->count,
                               .time_s = r->run_s,
                               .cost_usd = r->cost_usd,
                               .mfu = NAN};
        snprintf(w[n].label, sizeof w[n].label, "tp%d pp%d dp%d mb%d", l->tp, l->pp, l->dp,
                 l->micro_batch);
        n++;
    }
    qsort(w, n, sizeof *w, by_time_then_cost);
    mark_front_sorted(w, n);
    /* each device's cheapest layout survives the thinning too (sorted by time, its fastest is
     * its first), so that a device off the front still shows its best */
    size_t cheapest[PARETO_MAX_RUNS];
    for (int r = 0; r < PARETO_MAX_RUNS; r++)
        cheapest[r] = n;
    for (size_t i = 0; i < n; i++) {
        size_t *c = &cheapest[w[i].run];
        if (*c == n || w[i].cost_usd < w[*c].cost_usd)
            *c = i;
    }
    for (size_t i = 0; i < n; i++)
        n_front += (size_t)w[i].front;
    size_t room = SEARCH_MAX_ROWS > n_front ? SEARCH_MAX_ROWS - n_front : 1;
    size_t k = (n - n_front + room - 1) / room, kept = 0, seen = 0;
    for (size_t i = 0; i < n; i++) {
        int best = cheapest[w[i].run] == i;
        int keep = w[i].front || best || (k > 0 && seen++ % k == 0);
        if (!w[i].front)
            w[i].label[0] = '\0';
        if (keep)
            w[kept++] = w[i];
    }
    return kept;
}

enum mlsim_status mlsim_chart_search(struct mlsim_plot_job *job)
{
    const char *sets[] = {"mode=simulate"}; /* the search simulates its best layouts */
    struct mlsim_scenario *sc = NULL;
    enum mlsim_status st = mlsim_chart_load(job, job->input, sets, 1, job->d, &sc);
    if (st != MLSIM_OK)
        return st;
    struct mlsim_search_options opt = {.objective = MLSIM_OBJECTIVE_TIME, .top_k = 1};
    struct mlsim_search *s = mlsim_search_alloc(&opt);
    struct whatif *w = NULL;
    char series[PARETO_MAX_RUNS][128] = {{0}};
    size_t n_series = 0, n = 0;
    st = s ? search_runs(s, sc, series, &n_series) : MLSIM_ERR_NOMEM;
    if (st == MLSIM_OK)
        st = mlsim_search_finish(s, job->d);
    if (st == MLSIM_OK) {
        n = search_whatifs(s, sc, &w);
        if (!w)
            st = MLSIM_ERR_NOMEM;
    }
    if (st == MLSIM_OK && n == 0) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(job->input),
                           "no layout of '%s' tiles and fits its devices", job->input);
        st = MLSIM_ERR_INPUT;
    }
    if (st == MLSIM_OK)
        st = write_whatifs(job, w, n); /* its front file: the front in order of time */
    if (st == MLSIM_OK) {
        const struct mlsim_search_stats *stats = mlsim_search_stats(s);
        char title[200], foot[1024];
        snprintf(title, sizeof title, "Layout search: %s", mlsim_chart_title(sc));
        snprintf(foot, sizeof foot,
                 "Source: mlsim %s, %s: the layout search over every run's device; %zu layouts "
                 "considered, %zu drawn (whole run at the closed form's step). Ringed and "
                 "labelled: the Pareto front across devices.",
                 MLSIM_VERSION, job->shown, stats->considered, n);
        struct mlsim_chart_out o = {0};
        st = mlsim_chart_script_begin(job, &o, title, foot);
        if (st == MLSIM_OK) {
            const char *items[PARETO_MAX_RUNS];
            for (size_t i = 0; i < n_series; i++)
                items[i] = series[i];
            mlsim_chart_gp_array(o.f, "series_title", items, n_series);
            mlsim_chart_gp_str(o.f, "front", "search-front.csv");
            st = mlsim_chart_script_end(job, &o);
        }
    }
    free(w);
    mlsim_search_free(s);
    mlsim_scenario_free(sc);
    return st;
}
