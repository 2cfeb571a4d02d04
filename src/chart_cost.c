/*
 * The cost/table charts: the deck's LLM training cost table as bars, each run of the scenario
 * priced by the run layer (6 x parameters x tokens over the delivered rate, times the price per
 * device-hour), labelled in dollars.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/chart.h"
#include "mlsim/run.h"
#include "mlsim/version.h"

/* "$1,234,567" into BUF. */
static void dollars(char *buf, size_t len, double usd)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", usd);
    size_t n = strlen(digits), j = 0;
    if (len < 2)
        return;
    buf[j++] = '$';
    for (size_t i = 0; i < n && j + 2 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && digits[i - 1] != '-')
            buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
}

/* ---- cost-table: the deck's LLM training cost table as bars ---- */

static enum mlsim_status write_cost_table_data(struct mlsim_plot_job *job,
                                               const struct mlsim_scenario *sc,
                                               const struct mlsim_result *res)
{
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("name,params,tokens,device,count,precision,mfu,time_s,device_hours,cost_usd,energy_kwh,"
          "cost_label\n",
          o.f);
    for (size_t i = 0; i < sc->n_runs; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        char label[64];
        dollars(label, sizeof label, res[i].cost_usd);
        mlsim_chart_csv_str(o.f, r->name);
        mlsim_chart_csv_num(o.f, r->model.params);
        mlsim_chart_csv_num(o.f, r->model.tokens);
        fputc(',', o.f);
        mlsim_chart_csv_str(o.f, r->device->id);
        fprintf(o.f, ",%d,%s", r->count, mlsim_precision_names[r->precision]);
        mlsim_chart_csv_num(o.f, res[i].mfu);
        mlsim_chart_csv_num(o.f, res[i].time_s);
        mlsim_chart_csv_num(o.f, res[i].device_hours);
        mlsim_chart_csv_num(o.f, res[i].cost_usd);
        mlsim_chart_csv_num(o.f, res[i].energy_j / 3.6e6);
        fputc(',', o.f);
        mlsim_chart_csv_str(o.f, label);
        fputc('\n', o.f);
    }
    return mlsim_chart_close(job, &o, MLSIM_OK);
}

enum mlsim_status mlsim_chart_cost_table(struct mlsim_plot_job *job)
{
    struct mlsim_scenario *sc = NULL;
    struct mlsim_result *res = NULL;
    enum mlsim_status st = mlsim_chart_load_estimated(job, &sc, &res);
    if (st == MLSIM_OK)
        st = write_cost_table_data(job, sc, res);
    if (st == MLSIM_OK) {
        const struct mlsim_run *r0 = &sc->runs[0];
        char foot[1024];
        snprintf(foot, sizeof foot,
                 "Source: mlsim %s, %s. Cost = 6 x parameters x tokens / (peak x MFU) x price "
                 "per device-hour; %s at %.3g TFLOP/s. Table after SemiAnalysis, "
                 "'The AI Brick Wall'.",
                 MLSIM_VERSION, job->shown, r0->device->name, res[0].peak_flops / 1e12);
        struct mlsim_chart_out o = {0};
        st = mlsim_chart_script_begin(job, &o, mlsim_chart_title(sc), foot);
        if (st == MLSIM_OK)
            st = mlsim_chart_script_end(job, &o);
    }
    free(res);
    mlsim_scenario_free(sc);
    return st;
}
