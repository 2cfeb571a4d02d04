/*
 * The CPU-vs-GPU chart of the MNIST MLP: the simulated training time of every run of the scenario
 * against its trainable parameters, one series per device, beside the times measured by
 * validate/train_mlp (validate/train-<device>.csv, read with plot_csv's located errors).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlsim/chart.h"
#include "mlsim/plot_csv.h"
#include "mlsim/version.h"

/* The devices of the runs, in order of first appearance: one series each. ID and LABEL have room
 * for one per run. */
struct series {
    const char **id;
    const char **label;
    size_t n;
};

static enum mlsim_status series_alloc(struct series *s, size_t n_runs)
{
    s->n = 0;
    s->id = calloc(n_runs ? n_runs : 1, sizeof *s->id);
    s->label = calloc(n_runs ? n_runs : 1, sizeof *s->label);
    return s->id && s->label ? MLSIM_OK : MLSIM_ERR_NOMEM;
}

static void series_release(struct series *s)
{
    free(s->id);
    free(s->label);
}

/* The series of device DEV, added if new. */
static size_t series_of(struct series *s, const struct mlsim_device *dev)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->id[i], dev->id) == 0)
            return i;
    }
    s->id[s->n] = dev->id;
    s->label[s->n] = dev->name;
    return s->n++;
}

/* The hidden width of an MLP run (its first hidden layer), or 0. */
static int hidden_width(const struct mlsim_run *r)
{
    return r->model.n_widths > 2 ? r->model.widths[1] : 0;
}

/* Write the measured points of the table T of series SI, each scaled to the steps of the
 * simulated runs of the same device and width. */
static enum mlsim_status write_measured_of(struct mlsim_plot_job *job, FILE *f,
                                           const struct series *s, size_t si,
                                           const struct mlsim_plot_csv *t,
                                           const struct mlsim_scenario *sc,
                                           const struct mlsim_result *res)
{
    int cn = mlsim_plot_csv_column(t, "n", job->d), cp = mlsim_plot_csv_column(t, "params", job->d);
    int cs = mlsim_plot_csv_column(t, "seconds_per_step", job->d);
    if (cn < 0 || cp < 0 || cs < 0)
        return MLSIM_ERR_INPUT;
    enum mlsim_status st = MLSIM_OK;
    for (size_t r = 0; r < mlsim_plot_csv_rows(t); r++) {
        double n, params, step;
        enum mlsim_status s1 = mlsim_plot_csv_number(t, r, (size_t)cn, &n, job->d);
        enum mlsim_status s2 = mlsim_plot_csv_number(t, r, (size_t)cp, &params, job->d);
        enum mlsim_status s3 = mlsim_plot_csv_number(t, r, (size_t)cs, &step, job->d);
        if (s1 != MLSIM_OK || s2 != MLSIM_OK || s3 != MLSIM_OK) {
            st = MLSIM_ERR_INPUT; /* every faulty field is reported */
            continue;
        }
        for (size_t i = 0; i < sc->n_runs; i++) {
            if (strcmp(sc->runs[i].device->id, s->id[si]) != 0 ||
                (double)hidden_width(&sc->runs[i]) != n)
                continue;
            fprintf(f, "%zu,", si);
            mlsim_chart_csv_str(f, s->id[si]);
            mlsim_chart_csv_num(f, n);
            mlsim_chart_csv_num(f, params);
            mlsim_chart_csv_num(f, step);
            mlsim_chart_csv_num(f, res[i].steps);
            mlsim_chart_csv_num(f, step * res[i].steps);
            fputc('\n', f);
        }
    }
    return st;
}

/* The measured points of validate/train-<id>.csv for each series that has one. */
static enum mlsim_status write_measured(struct mlsim_plot_job *job, FILE *f, const struct series *s,
                                        const struct mlsim_scenario *sc,
                                        const struct mlsim_result *res)
{
    fputs("series,device,n,params,step_s,steps,time_s\n", f);
    enum mlsim_status st = MLSIM_OK;
    for (size_t si = 0; si < s->n && st != MLSIM_ERR_NOMEM; si++) {
        char path[MLSIM_CHART_PATH_LEN];
        int len =
            snprintf(path, sizeof path, "%s/validate/train-%s.csv", job->req->root, s->id[si]);
        /* a device that was never measured has no file: its series has no measured points */
        if (len < 0 || (size_t)len >= sizeof path || access(path, F_OK) != 0)
            continue;
        struct mlsim_plot_csv *t = NULL;
        enum mlsim_status one = mlsim_plot_csv_read(path, &t, job->d);
        if (one == MLSIM_OK)
            one = write_measured_of(job, f, s, si, t, sc, res);
        mlsim_plot_csv_free(t);
        if (one != MLSIM_OK)
            st = one == MLSIM_ERR_IO ? MLSIM_ERR_INPUT : one;
    }
    return st;
}

static enum mlsim_status write_mnist_data(struct mlsim_plot_job *job,
                                          const struct mlsim_scenario *sc,
                                          const struct mlsim_result *res, struct series *s)
{
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("series,device,name,n,params,step_s,steps,time_s\n", o.f);
    for (size_t i = 0; i < sc->n_runs; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        fprintf(o.f, "%zu,", series_of(s, r->device));
        mlsim_chart_csv_str(o.f, r->device->id);
        fputc(',', o.f);
        mlsim_chart_csv_str(o.f, r->name);
        fprintf(o.f, ",%d", hidden_width(r));
        mlsim_chart_csv_num(o.f, r->model.params);
        mlsim_chart_csv_num(o.f, res[i].step_s);
        mlsim_chart_csv_num(o.f, res[i].steps);
        mlsim_chart_csv_num(o.f, res[i].time_s);
        fputc('\n', o.f);
    }
    st = mlsim_chart_close(job, &o, MLSIM_OK);
    if (st == MLSIM_OK)
        st = mlsim_chart_open(job, "-measured.csv", &o);
    if (st != MLSIM_OK)
        return st;
    st = write_measured(job, o.f, s, sc, res);
    return mlsim_chart_close(job, &o, st);
}

enum mlsim_status mlsim_chart_cpu_vs_gpu(struct mlsim_plot_job *job)
{
    struct mlsim_scenario *sc = NULL;
    struct mlsim_result *res = NULL;
    struct series s = {0};
    enum mlsim_status st = mlsim_chart_load_estimated(job, &sc, &res);
    if (st == MLSIM_OK)
        st = series_alloc(&s, sc->n_runs);
    if (st == MLSIM_OK)
        st = write_mnist_data(job, sc, res, &s);
    if (st == MLSIM_OK) {
        char foot[1024];
        snprintf(foot, sizeof foot,
                 "Source: mlsim %s, %s (simulated step x steps). Measured: validate/train-<device>"
                 ".csv, seconds per step x the same steps. Keras mnist_mlp, batch 128.",
                 MLSIM_VERSION, job->shown);
        struct mlsim_chart_out o = {0};
        st = mlsim_chart_script_begin(job, &o, mlsim_chart_title(sc), foot);
        if (st == MLSIM_OK) {
            mlsim_chart_gp_array(o.f, "series_title", s.label, s.n);
            st = mlsim_chart_script_end(job, &o);
        }
    }
    series_release(&s);
    free(res);
    mlsim_scenario_free(sc);
    return st;
}
