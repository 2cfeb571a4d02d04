/*
 * The timeline chart: one simulated training step of the scenario's first run as a Gantt chart,
 * one row per stream of the discrete-event engine, with a zoom on the step's end where the
 * communication is. A pipelined run has a few streams per stage (compute, sends, the data
 * parallel all-reduce); past TIMELINE_MAX_ROWS streams each stage's streams share one row, so
 * that GPT-3's 16 stages x 4 streams read as 16 rows, not 64 labels printed over each other.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/chart.h"
#include "mlsim/run.h"
#include "mlsim/simulate.h"
#include "mlsim/step.h"
#include "mlsim/version.h"

/* ---- timeline: the simulated step as a Gantt chart, one row per stream ---- */

static const char *const category_names[] = {"compute", "communication", "copy"};

/* The most rows drawn one per stream, and the most row labels printed (past it, every k-th):
 * a panel of the 1080-pixel chart is 280 pixels high, and a 22 pt label needs 30 of them. */
#define TIMELINE_MAX_ROWS   16
#define TIMELINE_MAX_LABELS 9

/* The rows of the chart: each stream's row, and their names. */
struct rows {
    int *of;          /* row of each resource */
    char (*name)[96]; /* name of each row */
    size_t n_res, n;  /* resources, rows */
    int grouped;      /* rows are the streams' groups (pipeline ranks) */
};

static void rows_free(struct rows *r)
{
    free(r->of);
    free(r->name);
    r->of = NULL;
    r->name = NULL;
}

/* One row per stream, or per group of streams when there are too many and all have a group. */
static enum mlsim_status rows_make(const struct mlsim_sim *sim, struct rows *r)
{
    memset(r, 0, sizeof *r);
    r->n_res = mlsim_sim_resource_count(sim);
    size_t cap = r->n_res ? r->n_res : 1;
    r->of = calloc(cap, sizeof *r->of);
    r->name = calloc(cap, sizeof *r->name);
    if (!r->of || !r->name) {
        rows_free(r);
        return MLSIM_ERR_NOMEM;
    }
    int max_group = -1;
    r->grouped = r->n_res > TIMELINE_MAX_ROWS;
    for (size_t i = 0; i < r->n_res; i++) {
        int g = mlsim_sim_resource_group_of(sim, (int)i);
        if (g < 0 || (size_t)g >= cap)
            r->grouped = 0;
        else if (g > max_group)
            max_group = g;
    }
    for (size_t i = 0; i < r->n_res; i++) {
        int g = mlsim_sim_resource_group_of(sim, (int)i);
        const char *res = mlsim_sim_resource_name(sim, (int)i);
        if (r->grouped) {
            r->of[i] = g;
            snprintf(r->name[g], sizeof r->name[g], "rank %d", g);
        } else {
            r->of[i] = (int)i;
            if (g >= 0)
                snprintf(r->name[i], sizeof r->name[i], "rank %d %s", g, res);
            else
                snprintf(r->name[i], sizeof r->name[i], "%s", res);
        }
    }
    r->n = r->grouped ? (size_t)max_group + 1 : r->n_res;
    return MLSIM_OK;
}

static void write_task(FILE *f, const struct mlsim_sim_task *t, int row)
{
    int cat = t->category >= 0 && t->category <= 2 ? t->category : 0;
    fprintf(f, "%d,%d,%s", t->resource, cat, category_names[cat]);
    mlsim_chart_csv_num(f, t->start_s);
    mlsim_chart_csv_num(f, t->end_s);
    fprintf(f, ",%d,%d,", t->layer, t->microbatch);
    mlsim_chart_csv_str(f, t->name ? t->name : "");
    fprintf(f, ",%d\n", row);
}

/* The tasks as CSV; *ZOOM gets the start of the first communication task (or -1). */
static enum mlsim_status write_tasks(struct mlsim_plot_job *job, const struct mlsim_sim *sim,
                                     const struct rows *rows, double *zoom)
{
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("resource,category,category_name,start_s,end_s,layer,microbatch,name,row\n", o.f);
    *zoom = -1;
    for (size_t i = 0; i < mlsim_sim_task_count(sim); i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(sim, (int64_t)i);
        if (!t || t->resource < 0 || (size_t)t->resource >= rows->n_res || t->start_s < 0)
            continue;
        write_task(o.f, t, rows->of[t->resource]);
        if (t->category == MLSIM_CAT_COMM && (*zoom < 0 || t->start_s < *zoom))
            *zoom = t->start_s;
    }
    return mlsim_chart_close(job, &o, MLSIM_OK);
}

static enum mlsim_status timeline_script(struct mlsim_plot_job *job, const struct mlsim_run *r,
                                         const struct mlsim_sim *sim, const struct rows *rows,
                                         double zoom)
{
    const char **items = calloc(rows->n ? rows->n : 1, sizeof *items);
    if (!items)
        return MLSIM_ERR_NOMEM;
    size_t longest = 0;
    for (size_t i = 0; i < rows->n; i++) {
        items[i] = rows->name[i];
        if (strlen(items[i]) > longest)
            longest = strlen(items[i]);
    }
    double end = mlsim_sim_makespan(sim);
    if (zoom < 0 || end - zoom < 1e-3 * end)
        zoom = end * 0.95;
    char title[256], foot[1024];
    snprintf(title, sizeof title, "One simulated training step: %s", r->name);
    snprintf(foot, sizeof foot,
             "Source: mlsim %s, %s: one step on the discrete-event engine, %zu tasks%s; data "
             "parallel replicas are identical, so one device is shown.",
             MLSIM_VERSION, job->shown, mlsim_sim_task_count(sim),
             rows->grouped ? "; a row per pipeline rank holds its compute and its sends" : "");
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_script_begin(job, &o, title, foot);
    if (st == MLSIM_OK) {
        mlsim_chart_gp_array(o.f, "stream_name", items, rows->n);
        size_t every = (rows->n + TIMELINE_MAX_LABELS - 1) / TIMELINE_MAX_LABELS; /* ceiling */
        mlsim_chart_gp_num(o.f, "label_every", (double)every);
        mlsim_chart_gp_num(o.f, "label_chars", (double)longest);
        mlsim_chart_gp_num(o.f, "step_end", end);
        mlsim_chart_gp_num(o.f, "zoom_from", zoom - 0.02 * (end - zoom));
        st = mlsim_chart_script_end(job, &o);
    }
    free(items);
    return st;
}

enum mlsim_status mlsim_chart_timeline(struct mlsim_plot_job *job)
{
    struct mlsim_scenario *sc = NULL;
    struct mlsim_sim *sim = NULL;
    enum mlsim_status st = mlsim_chart_load(job, job->input, NULL, 0, job->d, &sc);
    if (st != MLSIM_OK)
        return st;
    const struct mlsim_run *r = &sc->runs[0];
    if (r->mode != MLSIM_MODE_SIMULATE) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, r->loc,
                           "run '%s' is not 'mode: simulate': it has no timeline", r->name);
        st = MLSIM_ERR_INPUT;
    }
    struct mlsim_result res;
    if (st == MLSIM_OK)
        st = mlsim_run_estimate(r, &res, &sim, job->d);
    if (st == MLSIM_OK && !sim) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, r->loc, "run '%s' kept no simulated step",
                           r->name);
        st = MLSIM_ERR_INPUT;
    }
    double zoom = -1;
    struct rows rows = {0};
    if (st == MLSIM_OK)
        st = rows_make(sim, &rows);
    if (st == MLSIM_OK)
        st = write_tasks(job, sim, &rows, &zoom);
    if (st == MLSIM_OK)
        st = timeline_script(job, r, sim, &rows, zoom);
    rows_free(&rows);
    mlsim_sim_free(sim);
    mlsim_scenario_free(sc);
    return st;
}
