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

/* The x axis names the price the bars are at: the runs' one price per device-hour and their one
 * device when they share them (an H100 table is priced per H100-hour, not per A100-hour). */
static void cost_axis_label(const struct mlsim_scenario *sc, char *buf, size_t len)
{
    const struct mlsim_run *r0 = &sc->runs[0];
    int same_price = 1, same_device = 1;
    for (size_t i = 1; i < sc->n_runs; i++) {
        same_price &= sc->runs[i].econ.price_usd_per_s == r0->econ.price_usd_per_s;
        same_device &= sc->runs[i].device == r0->device;
    }
    double per_h = r0->econ.price_usd_per_s * 3600;
    if (same_price && same_device && per_h > 0)
        snprintf(buf, len, "Training cost (million US$, at $%.2f per %s hour)", per_h,
                 r0->device->id);
    else if (same_price && per_h > 0)
        snprintf(buf, len, "Training cost (million US$, at $%.2f per device-hour)", per_h);
    else
        snprintf(buf, len, "Training cost (million US$, at each run's price per device-hour)");
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
        char foot[1024], axis[256];
        /* the source of the table is the scenario's to name (its title or description), not
         * the chart's: a chart of one's own scenario claims no one else's table */
        snprintf(foot, sizeof foot,
                 "Source: mlsim %s, %s%s%s. Cost = 6 x parameters x tokens / (peak x MFU) x "
                 "price per device-hour; %s at %.3g TFLOP/s.",
                 MLSIM_VERSION, job->shown, sc->description[0] ? ": " : "", sc->description,
                 r0->device->name, res[0].peak_flops / 1e12);
        cost_axis_label(sc, axis, sizeof axis);
        struct mlsim_chart_out o = {0};
        st = mlsim_chart_script_begin(job, &o, mlsim_chart_title(sc), foot);
        size_t name_chars = 0;
        for (size_t i = 0; i < sc->n_runs; i++)
            name_chars =
                strlen(sc->runs[i].name) > name_chars ? strlen(sc->runs[i].name) : name_chars;
        if (st == MLSIM_OK) {
            mlsim_chart_gp_str(o.f, "cost_xlabel", axis);
            mlsim_chart_gp_num(o.f, "name_chars", (double)name_chars);
            st = mlsim_chart_script_end(job, &o);
        }
    }
    free(res);
    mlsim_scenario_free(sc);
    return st;
}
