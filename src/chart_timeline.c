/*
 * The timeline chart: one simulated training step of the scenario's first run as a Gantt chart,
 * one row per stream of the discrete-event engine, with a zoom on the step's end where the
 * communication is.
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

static void write_task(FILE *f, const struct mlsim_sim_task *t)
{
    int cat = t->category >= 0 && t->category <= 2 ? t->category : 0;
    fprintf(f, "%d,%d,%s", t->resource, cat, category_names[cat]);
    mlsim_chart_csv_num(f, t->start_s);
    mlsim_chart_csv_num(f, t->end_s);
    fprintf(f, ",%d,%d,", t->layer, t->microbatch);
    mlsim_chart_csv_str(f, t->name ? t->name : "");
    fputc('\n', f);
}

/* The tasks as CSV; *ZOOM gets the start of the first communication task (or -1). */
static enum mlsim_status write_tasks(struct mlsim_plot_job *job, const struct mlsim_sim *sim,
                                     double *zoom)
{
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("resource,category,category_name,start_s,end_s,layer,microbatch,name\n", o.f);
    *zoom = -1;
    for (size_t i = 0; i < mlsim_sim_task_count(sim); i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(sim, (int64_t)i);
        if (!t || t->resource < 0 || t->start_s < 0)
            continue;
        write_task(o.f, t);
        if (t->category == MLSIM_CAT_COMM && (*zoom < 0 || t->start_s < *zoom))
            *zoom = t->start_s;
    }
    return mlsim_chart_close(job, &o, MLSIM_OK);
}

static enum mlsim_status timeline_script(struct mlsim_plot_job *job, const struct mlsim_run *r,
                                         const struct mlsim_sim *sim, double zoom)
{
    size_t nres = mlsim_sim_resource_count(sim);
    char(*names)[96] = calloc(nres ? nres : 1, sizeof *names);
    const char **items = calloc(nres ? nres : 1, sizeof *items);
    if (!names || !items) {
        free(names);
        free(items);
        return MLSIM_ERR_NOMEM;
    }
    for (size_t i = 0; i < nres; i++) {
        int g = mlsim_sim_resource_group_of(sim, (int)i);
        if (g >= 0)
            snprintf(names[i], sizeof names[i], "rank %d %s", g,
                     mlsim_sim_resource_name(sim, (int)i));
        else
            snprintf(names[i], sizeof names[i], "%s", mlsim_sim_resource_name(sim, (int)i));
        items[i] = names[i];
    }
    double end = mlsim_sim_makespan(sim);
    if (zoom < 0 || end - zoom < 1e-3 * end)
        zoom = end * 0.95;
    char title[256], foot[1024];
    snprintf(title, sizeof title, "One simulated training step: %s", r->name);
    snprintf(foot, sizeof foot,
             "Source: mlsim %s, %s: one step on the discrete-event engine, %zu tasks; data "
             "parallel replicas are identical, so one device is shown.",
             MLSIM_VERSION, job->shown, mlsim_sim_task_count(sim));
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_script_begin(job, &o, title, foot);
    if (st == MLSIM_OK) {
        mlsim_chart_gp_array(o.f, "stream_name", items, nres);
        mlsim_chart_gp_num(o.f, "step_end", end);
        mlsim_chart_gp_num(o.f, "zoom_from", zoom - 0.02 * (end - zoom));
        st = mlsim_chart_script_end(job, &o);
    }
    free(names);
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
    if (st == MLSIM_OK)
        st = write_tasks(job, sim, &zoom);
    if (st == MLSIM_OK)
        st = timeline_script(job, r, sim, zoom);
    mlsim_sim_free(sim);
    mlsim_scenario_free(sc);
    return st;
}
