/*
 * Report writers. CSV and JSON write the columns of columns.h, in its order, and nothing else
 * but JSON's assumptions; their numbers are printed with 15 significant digits in SI units (with
 * energy in kWh and mass in kg, as the column names say), each format through one function.
 * Numbers for people are rounded with their unit. The assumptions list is built once and shared
 * by every format.
 */
#include "mlsim/report.h"

#include <stdlib.h>
#include <string.h>

#include "mlsim/columns.h"
#include "mlsim/framework.h"
#include "mlsim/price.h"
#include "mlsim/model.h"
#include "mlsim/run.h"
#include "mlsim/textio.h"
#include "mlsim/units.h"
#include "mlsim/version.h"

/* TEXT for a terminal: control bytes (an escape sequence's ESC included) become '?', so a name
 * from a file cannot move the cursor or fake a line of the report. Into BUF, at most LEN - 1 bytes
 * and never the first bytes of a UTF-8 character without its last; returns BUF. */
static const char *term(const char *text, char *buf, size_t len)
{
    size_t i = 0;
    for (; text[i] && i + 1 < len; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (text[i]) { /* cut: drop a last character whose bytes did not all fit */
        size_t lead = i;
        while (lead > 0 && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
            lead--;
        if (lead > 0 && (unsigned char)buf[lead - 1] >= 0xC0) {
            unsigned char c = (unsigned char)buf[lead - 1];
            size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (i - (lead - 1) < need)
                i = lead - 1;
        }
    }
    buf[i] = '\0';
    return buf;
}

size_t mlsim_report_assumptions(const struct mlsim_result *res, int with_lines,
                                char lines[][MLSIM_REPORT_ASSUMPTION_LEN], size_t max)
{
    struct mlsim_assumptions a = {lines, 0, max, 0, with_lines};
    if (res->not_run[0])
        return 0; /* nothing was estimated, so nothing was assumed */
    mlsim_run_assumptions(res, &a);
    return a.n;
}

/* ---- predicted against measured ---- */

static void write_references(FILE *out, const struct mlsim_result *res, size_t n)
{
    double sum = 0, worst = 0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *metric;
        double pred, meas;
        if (!mlsim_columns_reference(&res[i], &metric, &pred, &meas))
            continue;
        if (count == 0)
            fprintf(out, "\nPredicted against measured\n%-30s %-22s %12s %12s %9s\n", "Run",
                    "Metric", "Predicted", "Measured", "Error");
        double err = 100.0 * (pred - meas) / meas;
        fprintf(out, "%-30.30s %-22s %12.4g %12.4g %+8.1f%%\n", res[i].run->name, metric, pred,
                meas, err);
        sum += err < 0 ? -err : err;
        worst = (err < 0 ? -err : err) > worst ? (err < 0 ? -err : err) : worst;
        count++;
    }
    if (count > 0)
        fprintf(out, "Mean absolute percentage error %.1f%% over %zu runs; largest %.1f%%\n",
                sum / (double)count, count, worst);
}

/* ---- table ---- */

/* The simulated step: its time and where it goes, utilization, memory, the closed form. */
static void write_step(FILE *out, const struct mlsim_result *res)
{
    const struct mlsim_run *r = res->run;
    char a[64], b[64], c[64], e[64];
    fprintf(out, "  %-14s %s: compute %s, exposed communication %s, %s %s", "Step",
            mlsim_units_format(res->step_s, MLSIM_DIM_TIME, a, sizeof a),
            mlsim_units_format(res->compute_s, MLSIM_DIM_TIME, b, sizeof b),
            mlsim_units_format(res->exposed_comm_s, MLSIM_DIM_TIME, c, sizeof c),
            res->pp > 1 ? "pipeline bubble" : "idle",
            mlsim_units_format(res->idle_s > 0 ? res->idle_s : 0.0, MLSIM_DIM_TIME, e, sizeof e));
    if (r->training.host_s > 0)
        fprintf(out, ", host %s",
                mlsim_units_format(r->training.host_s, MLSIM_DIM_TIME, a, sizeof a));
    fputc('\n', out);
    if (res->tp > 0) {
        char more[96] = ""; /* context and expert parallelism, where the layout has them */
        if (res->cp > 1)
            snprintf(more, sizeof more, " x context %d", res->cp);
        if (res->ep > 1)
            snprintf(more + strlen(more), sizeof more - strlen(more),
                     " (experts over %d of the data ranks)", res->ep);
        fprintf(out, "  %-14s tensor %d x pipeline %d x data %d%s%s\n", "Layout", res->tp, res->pp,
                res->dp, more,
                res->layout_chosen ? " (chosen by mlsim: the least model parallelism that fits)"
                                   : "");
    }
    fprintf(out, "  %-14s MFU %.1f%% (simulated), HFU %.1f%%; %s per device", "Utilization",
            100.0 * res->mfu, 100.0 * res->hfu,
            mlsim_units_format(res->tflops_per_device * 1e12, MLSIM_DIM_FLOPS, a, sizeof a));
    if (mlsim_schema_given(&mlsim_run_schema, r, "mfu"))
        fprintf(out, " (assumed: %s)", mlsim_units_format(r->mfu, MLSIM_DIM_RATIO, a, sizeof a));
    fprintf(out, "\n  %-14s %s %s/s; %.4g steps\n", "Throughput",
            mlsim_units_grouped(res->tokens_per_s, a, sizeof a),
            r->model.type == MLSIM_MODEL_MLP ? "samples" : "tokens", res->steps);
    char m1[64], m2[64], m3[64], m4[64];
    fprintf(out, "  %-14s %s per device of %s (weights, gradients, optimizer %s; activations %s)\n",
            "Memory", mlsim_units_format(res->mem_bytes, MLSIM_DIM_BYTES, m1, sizeof m1),
            mlsim_units_format(r->device->mem_bytes, MLSIM_DIM_BYTES, m2, sizeof m2),
            mlsim_units_format(res->mem_states_bytes, MLSIM_DIM_BYTES, m3, sizeof m3),
            mlsim_units_format(res->mem_act_bytes, MLSIM_DIM_BYTES, m4, sizeof m4));
    fprintf(out, "  %-14s %s per step (%+.2f%% against the simulation%s)\n", "Closed form",
            mlsim_units_format(res->closed_form_step_s, MLSIM_DIM_TIME, a, sizeof a),
            100.0 * (res->closed_form_step_s - res->step_s) / res->step_s,
            r->count > 1 && mlsim_framework_dp_overlap(mlsim_framework_get(r->training.framework),
                                                       r->training.overlap_comm, res->pp)
                ? ": it does not overlap communication"
                : "");
}

/* The P10 / P50 / P90 bands of a run's uncertain inputs' draws (no failures modelled). */
static void write_bands(FILE *out, const struct mlsim_reliability_result *w)
{
    char a[64], b[64], c[64], e[64], f[64], g[64];
    fprintf(out, "  %-14s time %s / %s / %s; cost %s / %s / %s (P10 / P50 / P90 of %d draws)\n",
            "Bands", mlsim_units_format(w->time_s.p10, MLSIM_DIM_TIME, a, sizeof a),
            mlsim_units_format(w->time_s.p50, MLSIM_DIM_TIME, b, sizeof b),
            mlsim_units_format(w->time_s.p90, MLSIM_DIM_TIME, c, sizeof c),
            mlsim_units_format(w->cost_usd.p10, MLSIM_DIM_MONEY, e, sizeof e),
            mlsim_units_format(w->cost_usd.p50, MLSIM_DIM_MONEY, f, sizeof f),
            mlsim_units_format(w->cost_usd.p90, MLSIM_DIM_MONEY, g, sizeof g), w->input_samples);
    fprintf(out, "  %-14s energy %s / %s / %s; CO2 %.4g / %.4g / %.4g t\n", "",
            mlsim_units_format(w->energy_j.p10, MLSIM_DIM_ENERGY, a, sizeof a),
            mlsim_units_format(w->energy_j.p50, MLSIM_DIM_ENERGY, b, sizeof b),
            mlsim_units_format(w->energy_j.p90, MLSIM_DIM_ENERGY, c, sizeof c),
            w->co2_kg.p10 / 1000.0, w->co2_kg.p50 / 1000.0, w->co2_kg.p90 / 1000.0);
}

/* The whole run with its failures: goodput, interruptions, checkpoints, where the time went,
 * and the P10 / P50 / P90 bands of the Monte Carlo. */
static void write_whole_run(FILE *out, const struct mlsim_result *res)
{
    const struct mlsim_reliability_result *w = &res->rel;
    char a[64], b[64], c[64], e[64], f[64];
    const double day = MLSIM_UNITS_S_PER_DAY;
    fprintf(out,
            "  %-14s goodput %.1f%% (P10 %.1f%%, P90 %.1f%%); %s interruptions (P10 %s, "
            "P90 %s; %s expected); job MTBF %s\n",
            "Whole run", 100.0 * w->goodput, 100.0 * w->goodput_band.p10,
            100.0 * w->goodput_band.p90, mlsim_units_grouped(w->failures.mean, a, sizeof a),
            mlsim_units_grouped(w->failures.p10, b, sizeof b),
            mlsim_units_grouped(w->failures.p90, c, sizeof c),
            mlsim_units_grouped(w->expected_failures, e, sizeof e),
            mlsim_units_format(w->mtbf_s, MLSIM_DIM_TIME, f, sizeof f));
    fprintf(out, "  %-14s %s each, written in %s, every %s of compute (%s; Young-Daly %s)\n",
            "Checkpoints", mlsim_units_format(w->ckpt_bytes, MLSIM_DIM_BYTES, a, sizeof a),
            mlsim_units_format(w->ckpt_write_s, MLSIM_DIM_TIME, b, sizeof b),
            mlsim_units_format(w->interval_s, MLSIM_DIM_TIME, c, sizeof c),
            w->interval_chosen ? "the simulated best" : "given",
            mlsim_units_format(w->young_daly_s, MLSIM_DIM_TIME, e, sizeof e));
    const struct mlsim_badput *bp = &w->badput;
    fprintf(out,
            "  %-14s lost work %.2f d, checkpoints %.2f d, detection %.2f d, restarts %.2f d, "
            "repairs %.2f d, stragglers %.2f d\n",
            "Time lost", bp->lost_s / day, bp->checkpoint_s / day, bp->detection_s / day,
            bp->restart_s / day, bp->repair_s / day, bp->straggler_s / day);
    fprintf(out,
            "  %-14s time %.1f / %.1f / %.1f d; cost %s / %s / %s (P10 / P50 / P90 of %d "
            "%s)\n",
            "Bands", w->time_s.p10 / day, w->time_s.p50 / day, w->time_s.p90 / day,
            mlsim_units_format(w->cost_usd.p10, MLSIM_DIM_MONEY, a, sizeof a),
            mlsim_units_format(w->cost_usd.p50, MLSIM_DIM_MONEY, b, sizeof b),
            mlsim_units_format(w->cost_usd.p90, MLSIM_DIM_MONEY, c, sizeof c),
            w->input_samples > 0 ? w->input_samples : w->samples,
            w->input_samples > 0 ? "draws of the uncertain inputs, a failure history each"
                                 : "replicates");
    fprintf(out, "  %-14s energy %s / %s / %s; CO2 %.4g / %.4g / %.4g t\n", "",
            mlsim_units_format(w->energy_j.p10, MLSIM_DIM_ENERGY, a, sizeof a),
            mlsim_units_format(w->energy_j.p50, MLSIM_DIM_ENERGY, b, sizeof b),
            mlsim_units_format(w->energy_j.p90, MLSIM_DIM_ENERGY, c, sizeof c),
            w->co2_kg.p10 / 1000.0, w->co2_kg.p50 / 1000.0, w->co2_kg.p90 / 1000.0);
}

/* A mass of KG for people, in the unit that keeps it readable: 215,058.6 kg as "215.1 t", a
 * small run's 0.042 kg as "42 g", never "0.0 t". */
static const char *mass(double kg, char *buf, size_t len)
{
    char g[64];
    if (kg >= 1e7) /* 18,434 t, not 1.843e+04 t */
        snprintf(buf, len, "%s t", mlsim_units_grouped(kg / 1000.0, g, sizeof g));
    else if (kg >= 1000.0)
        snprintf(buf, len, "%.4g t", kg / 1000.0);
    else if (kg >= 1.0 || kg == 0.0)
        snprintf(buf, len, "%.4g kg", kg);
    else
        snprintf(buf, len, "%.4g g", kg * 1000.0);
    return buf;
}

/* Characters in UTF-8 TEXT (its bytes less its continuation bytes): the width a terminal gives
 * it, for the scripts names are written in here. */
static size_t chars(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += ((unsigned char)*text & 0xC0) != 0x80;
    return n;
}

/* The widest of the runs' names (NAMES = 1) or device names, in characters, and at least MIN: a
 * column as wide as its longest entry, so no name is cut. */
static size_t widest(const struct mlsim_result *res, size_t n, int names, size_t min)
{
    size_t w = min;
    for (size_t i = 0; i < n; i++) {
        size_t l = chars(names ? res[i].run->name : res[i].run->device->name);
        w = l > w ? l : w;
    }
    return w;
}

/* TEXT left-aligned in a cell of WIDTH characters. */
static void cell(FILE *out, const char *text, size_t width)
{
    fputs(text, out);
    for (size_t k = chars(text); k < width; k++)
        fputc(' ', out);
}

static void write_full(FILE *out, const struct mlsim_scenario *sc, const struct mlsim_result *res)
{
    const struct mlsim_run *r = res->run;
    const struct mlsim_device *dev = r->device;
    char a[64], b[64], c[64];
    char lines[MLSIM_REPORT_MAX_ASSUMPTIONS][MLSIM_REPORT_ASSUMPTION_LEN];

    char t1[256], t2[256];
    fprintf(out, "%s\n", term(sc->title[0] ? sc->title : r->name, t1, sizeof t1));
    if (r->description[0])
        fprintf(out, "%s\n", term(r->description, t2, sizeof t2));
    fprintf(out, "mlsim %s, %s mode, scenario %s\n\n", MLSIM_VERSION, mlsim_mode_names[r->mode],
            sc->doc->file);
    char active[96] = ""; /* a mixture of experts: the parameters each token is computed with */
    if (r->model.experts > 0 && r->params_from_shape)
        snprintf(
            active, sizeof active, " (%s active)",
            mlsim_units_format(mlsim_model_active_params(&r->model), MLSIM_DIM_COUNT, b, sizeof b));
    fprintf(out, "  %-14s %s: %s parameters%s, %s %s\n", "Model",
            term(r->model.name[0] ? r->model.name : r->name, t1, sizeof t1),
            mlsim_units_format(r->model.params, MLSIM_DIM_COUNT, a, sizeof a), active,
            mlsim_units_format(r->model.tokens, MLSIM_DIM_COUNT, b, sizeof b),
            r->model.type == MLSIM_MODEL_MLP ? "samples" : "tokens");
    fprintf(out, "  %-14s %d x %s (%s)\n", "Hardware", r->count, dev->name, dev->id);
    fprintf(out, "  %-14s %s, dense peak %s per device\n", "Precision",
            mlsim_precision_names[r->precision],
            mlsim_units_format(res->peak_flops, MLSIM_DIM_FLOPS, a, sizeof a));
    fprintf(out, "  %-14s %.3g FLOP (%s)%s\n", "Compute", res->flops,
            mlsim_units_format(res->flops, MLSIM_DIM_FLOP, a, sizeof a),
            res->simulated ? ", the model's FLOPs counted kernel by kernel" : "");
    if (res->simulated)
        write_step(out, res);
    else
        fprintf(out, "  %-14s MFU %s (assumed)\n", "Utilization",
                mlsim_units_format(res->mfu, MLSIM_DIM_RATIO, a, sizeof a));
    fprintf(out, "  %-14s %s on %d device%s%s\n", "Time",
            mlsim_units_format(res->time_s, MLSIM_DIM_TIME, a, sizeof a), r->count,
            r->count == 1 ? "" : "s",
            res->rel.samples > 0 ? " (mean over the whole run's replicates)" : "");
    if (res->eval_passes > 0) /* inside the time above (wholerun.h) */
        fprintf(out, "  %-14s %.0f passes over %s tokens: %s\n", "Evaluation", res->eval_passes,
                mlsim_units_format(r->training.eval.tokens, MLSIM_DIM_COUNT, b, sizeof b),
                mlsim_units_format(res->eval_s, MLSIM_DIM_TIME, a, sizeof a));
    if (r->training.init_s > 0) /* what passes MLPerf's allowance is inside the time above */
        fprintf(out, "  %-14s %s, %s of it on the clock\n", "Initialization",
                mlsim_units_format(r->training.init_s, MLSIM_DIM_TIME, a, sizeof a),
                mlsim_units_format(res->init_timed_s, MLSIM_DIM_TIME, b, sizeof b));
    if (r->ref_time_to_train_s > 0) /* a published time to train, against the whole run */
        fprintf(out, "  %-14s %s to train (%s): predicted %+.1f%%\n", "Measured",
                mlsim_units_format(r->ref_time_to_train_s, MLSIM_DIM_TIME, a, sizeof a),
                r->ref_source[0] ? term(r->ref_source, t2, sizeof t2) : "no source given",
                100.0 * (res->time_s - r->ref_time_to_train_s) / r->ref_time_to_train_s);
    if (res->rel.samples > 0)
        write_whole_run(out, res);
    else if (res->rel.input_samples > 0)
        write_bands(out, &res->rel);
    fprintf(out, "  %-14s %s\n", "Device-hours",
            mlsim_units_grouped(res->device_hours, a, sizeof a));
    if (mlsim_price_known(r))
        fprintf(out, "  %-14s %s (at %s per device-hour)\n", "Cost",
                mlsim_units_format(res->cost_usd, MLSIM_DIM_MONEY, a, sizeof a),
                mlsim_units_format(r->econ.price_usd_per_s, MLSIM_DIM_MONEY_RATE, b, sizeof b));
    else
        fprintf(out, "  %-14s not known: %s has no rental price in hwdb\n", "Cost", dev->id);
    fprintf(out, "  %-14s %s (%s per device on average, PUE %.3g)\n", "Energy",
            mlsim_units_format(res->energy_j, MLSIM_DIM_ENERGY, a, sizeof a),
            mlsim_units_format(res->avg_power_w, MLSIM_DIM_POWER, b, sizeof b), r->econ.pue);
    if (res->energy_cost_usd > 0)
        fprintf(out, "  %-14s %s\n", "Electricity",
                mlsim_units_format(res->energy_cost_usd, MLSIM_DIM_MONEY, a, sizeof a));
    fprintf(out, "  %-14s %s CO2 (at %s)\n", "Emissions", mass(res->co2_kg, b, sizeof b),
            mlsim_units_format(r->econ.carbon_kg_per_j, MLSIM_DIM_CARBON_INTENSITY, c, sizeof c));
    size_t n = mlsim_report_assumptions(res, 1, lines, MLSIM_REPORT_MAX_ASSUMPTIONS);
    fprintf(out, "\nAssumptions\n");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  - %s\n", lines[i]);
}

/* A run's wall time in the unit that reads best: days for the deck's LLM runs, minutes or
 * seconds for the MNIST network. */
static const char *run_time(double s, char *buf, size_t n)
{
    if (s >= MLSIM_UNITS_S_PER_DAY)
        snprintf(buf, n, "%.1f d", s / MLSIM_UNITS_S_PER_DAY);
    else if (s >= 3600.0)
        snprintf(buf, n, "%.1f h", s / 3600.0);
    else if (s >= 60.0)
        snprintf(buf, n, "%.1f min", s / 60.0);
    else
        snprintf(buf, n, "%.1f s", s);
    return buf;
}

static void write_rows(FILE *out, const struct mlsim_scenario *sc, const struct mlsim_result *res,
                       size_t n)
{
    char a[64], b[64], c[64], e[64], en[64], t[64], m[64];
    char tn[256], td[256];
    size_t wn = widest(res, n, 1, 30), wd = widest(res, n, 0, 24);
    if (sc->title[0])
        fprintf(out, "%s\n", term(sc->title, tn, sizeof tn));
    fprintf(out, "mlsim %s, scenario %s\n\n", MLSIM_VERSION, sc->doc->file);
    cell(out, "Model", wn);
    fprintf(out, " %8s %8s  ", "Size", "Tokens");
    cell(out, "Device", wd);
    fprintf(out, " %5s %7s %9s %14s %10s %9s\n", "Count", "MFU", "Time", "Cost", "Energy", "CO2");
    for (size_t i = 0; i < n; i++) {
        const struct mlsim_run *r = res[i].run;
        cell(out, term(r->name, tn, sizeof tn), wn);
        fprintf(out, " %8s %8s  ",
                mlsim_units_format(r->model.params, MLSIM_DIM_COUNT, a, sizeof a),
                mlsim_units_format(r->model.tokens, MLSIM_DIM_COUNT, b, sizeof b));
        cell(out, term(r->device->name, td, sizeof td), wd);
        if (res[i].not_run[0]) { /* a row that was not estimated says why */
            fprintf(out, " %5d  %s\n", r->count, res[i].not_run);
            continue;
        }
        fprintf(out, " %5d %7s %9s %14s %10s %9s\n", r->count,
                mlsim_units_format(res[i].mfu, MLSIM_DIM_RATIO, c, sizeof c),
                run_time(res[i].time_s, t, sizeof t),
                mlsim_units_format(res[i].cost_usd, MLSIM_DIM_MONEY, e, sizeof e),
                mlsim_units_format(res[i].energy_j, MLSIM_DIM_ENERGY, en, sizeof en),
                mass(res[i].co2_kg, m, sizeof m));
    }
}

/* Print each distinct assumption of the runs once, at most MLSIM_REPORT_MAX_SHARED of them; the
 * count of those left out is said (JSON gives every run's own). A line that holds for some runs
 * only (a device's calibration, a run's own MFU) is labelled with the first run it holds for and
 * how many more, so a reader of a table knows which row it explains. */
static void write_shared_assumptions(FILE *out, const struct mlsim_result *res, size_t n)
{
    char seen[MLSIM_REPORT_MAX_SHARED][MLSIM_REPORT_ASSUMPTION_LEN]; /* 128 KiB of stack */
    size_t first[MLSIM_REPORT_MAX_SHARED], count[MLSIM_REPORT_MAX_SHARED];
    char lines[MLSIM_REPORT_MAX_ASSUMPTIONS][MLSIM_REPORT_ASSUMPTION_LEN];
    size_t n_seen = 0, left_out = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = mlsim_report_assumptions(&res[i], 0, lines, MLSIM_REPORT_MAX_ASSUMPTIONS);
        for (size_t j = 0; j < k; j++) {
            size_t s = 0;
            while (s < n_seen && strcmp(seen[s], lines[j]) != 0)
                s++;
            if (s < n_seen) {
                count[s]++;
                continue;
            }
            if (n_seen == MLSIM_REPORT_MAX_SHARED) {
                left_out++; /* may count a line twice: it is an upper bound, said as such */
                continue;
            }
            memcpy(seen[n_seen], lines[j], MLSIM_REPORT_ASSUMPTION_LEN);
            first[n_seen] = i;
            count[n_seen++] = 1;
        }
    }
    fprintf(out, "\nAssumptions\n");
    char tn[256];
    for (size_t s = 0; s < n_seen; s++) {
        if (count[s] >= n || n < 2)
            fprintf(out, "  - %s\n", seen[s]);
        else if (count[s] == 1)
            fprintf(out, "  - [%s] %s\n", term(res[first[s]].run->name, tn, sizeof tn), seen[s]);
        else
            fprintf(out, "  - [%s and %zu more] %s\n", term(res[first[s]].run->name, tn, sizeof tn),
                    count[s] - 1, seen[s]);
    }
    if (left_out > 0)
        fprintf(out,
                "  - (up to %zu more assumptions not shown here: --format json lists every "
                "run's)\n",
                left_out);
}

/* Inference runs side by side, each against the baseline: the run whose published relative
 * throughput is 1 (the deck's TPU), else the first. */
static void write_inference_rows(FILE *out, const struct mlsim_scenario *sc,
                                 const struct mlsim_result *res, size_t n)
{
    char a[64], b[64], deck[32];
    size_t base = 0;
    for (size_t i = 0; i < n; i++) {
        if (res[i].run->ref_relative == 1.0)
            base = i;
    }
    char tn[256];
    if (sc->title[0])
        fprintf(out, "%s\n", term(sc->title, tn, sizeof tn));
    fprintf(out, "mlsim %s, inference mode, scenario %s\n\n", MLSIM_VERSION, sc->doc->file);
    fprintf(out, "%-30s %-24s %-9s %8s %11s %15s %10s %10s %7s\n", "Run", "Device", "Precision",
            "Batch", "Latency", "Inferences/s", "Relative", "Published", "Util.");
    for (size_t i = 0; i < n; i++) {
        const struct mlsim_run *r = res[i].run;
        if (r->ref_relative > 0)
            snprintf(deck, sizeof deck, "%.3gx", r->ref_relative);
        else
            snprintf(deck, sizeof deck, "-");
        fprintf(out, "%-30s %-24.24s %-9s %8d %11s %15s %9.3gx %10s %6.1f%%\n",
                term(r->name, tn, 31), r->device->name, mlsim_precision_names[r->precision],
                res[i].batch, mlsim_units_format(res[i].step_s, MLSIM_DIM_TIME, a, sizeof a),
                mlsim_units_grouped(res[i].tokens_per_s, b, sizeof b),
                res[i].tokens_per_s / res[base].tokens_per_s, deck, 100.0 * res[i].mfu);
    }
    fprintf(out,
            "Relative: inferences/s against %s; Published: the reference given in the scenario\n",
            res[base].run->name);
}

static void write_table(FILE *out, const struct mlsim_scenario *sc, const struct mlsim_result *res,
                        size_t n)
{
    int all_inference = 1;
    for (size_t i = 0; i < n; i++)
        all_inference &= res[i].run->mode == MLSIM_MODE_INFERENCE;
    if (all_inference) {
        write_inference_rows(out, sc, res, n);
        write_shared_assumptions(out, res, n);
        return;
    }
    if (n == 1 && !sc->is_table) {
        write_full(out, sc, res);
        return;
    }
    write_rows(out, sc, res, n);
    write_references(out, res, n);
    write_shared_assumptions(out, res, n);
}

/* ---- CSV and JSON: every column of columns.h, in its order ---- */

/* The one place each format prints a number: SI units, 15 significant digits. */
/* Numbers for programs: 15 significant digits, and never inf or nan (textio.h: an empty CSV cell,
 * a JSON null), so that the output always parses. */
static void csv_number(FILE *out, double v)
{
    mlsim_csv_number(out, v);
}

static void json_number(FILE *out, double v)
{
    mlsim_json_number(out, v);
}

/* Column C of X as a CSV cell: nothing where X has no such figure. */
static void csv_cell(FILE *out, const struct mlsim_column *c, const struct mlsim_result *x)
{
    struct mlsim_column_value v;
    if (!mlsim_columns_value(c, x, &v))
        return;
    if (c->kind == MLSIM_COLUMN_TEXT)
        mlsim_csv_text(out, v.text);
    else if (c->kind == MLSIM_COLUMN_BOOL)
        fputs(v.flag ? "true" : "false", out);
    else
        csv_number(out, v.number);
}

static void write_csv(FILE *out, const struct mlsim_scenario *sc, const struct mlsim_result *res,
                      size_t n)
{
    const struct mlsim_column *c;
    (void)sc;
    for (size_t k = 0; (c = mlsim_columns_get(k)) != NULL; k++) {
        mlsim_csv_text(out, c->name);
        fputc(',', out);
    }
    fputs(MLSIM_COLUMNS_SCHEMA_KEY "\n", out);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; (c = mlsim_columns_get(k)) != NULL; k++) {
            csv_cell(out, c, &res[i]);
            fputc(',', out);
        }
        csv_number(out, MLSIM_COLUMNS_SCHEMA_VERSION);
        fputc('\n', out);
    }
}

/* Column C of X as a JSON member after SEP; returns whether it was written (absent where X has
 * no such figure). */
static int json_member(FILE *out, const struct mlsim_column *c, const struct mlsim_result *x,
                       const char *sep)
{
    struct mlsim_column_value v;
    if (!mlsim_columns_value(c, x, &v))
        return 0;
    fprintf(out, "%s      ", sep);
    mlsim_json_string(out, c->name);
    fputs(": ", out);
    if (c->kind == MLSIM_COLUMN_TEXT)
        mlsim_json_string(out, v.text);
    else if (c->kind == MLSIM_COLUMN_BOOL)
        fputs(v.flag ? "true" : "false", out);
    else
        json_number(out, v.number);
    return 1;
}

/* A run: its columns, then its assumptions (a list, so no CSV column). */
static void json_run(FILE *out, const struct mlsim_result *x)
{
    char lines[MLSIM_REPORT_MAX_ASSUMPTIONS][MLSIM_REPORT_ASSUMPTION_LEN];
    const struct mlsim_column *c;
    const char *sep = "";
    fputs("    {\n", out);
    for (size_t k = 0; (c = mlsim_columns_get(k)) != NULL; k++) {
        if (json_member(out, c, x, sep))
            sep = ",\n";
    }
    fprintf(out, "%s      \"assumptions\": [", sep);
    size_t n = mlsim_report_assumptions(x, 1, lines, MLSIM_REPORT_MAX_ASSUMPTIONS);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n        " : "\n        ", out);
        mlsim_json_string(out, lines[i]);
    }
    fputs("\n      ]\n    }", out);
}

static void write_json(FILE *out, const struct mlsim_scenario *sc, const struct mlsim_result *res,
                       size_t n)
{
    fprintf(out,
            "{\n  \"mlsim_version\": \"%s\",\n  \"" MLSIM_COLUMNS_SCHEMA_KEY "\": ", MLSIM_VERSION);
    json_number(out, MLSIM_COLUMNS_SCHEMA_VERSION);
    fputs(",\n  \"scenario\": ", out);
    mlsim_json_string(out, sc->doc->file);
    fputs(",\n  \"title\": ", out);
    mlsim_json_string(out, sc->title);
    fputs(",\n  \"runs\": [\n", out);
    for (size_t i = 0; i < n; i++) {
        json_run(out, &res[i]);
        fputs(i + 1 < n ? ",\n" : "\n", out);
    }
    fputs("  ]\n}\n", out);
}

static const struct mlsim_report_format formats[] = {
    {"table", write_table},
    {"csv", write_csv},
    {"json", write_json},
};

const struct mlsim_report_format *mlsim_report_format_find(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    }
    return NULL;
}

void mlsim_report_write(FILE *out, const struct mlsim_report_format *format,
                        const struct mlsim_scenario *sc, const struct mlsim_result *res, size_t n)
{
    format->write(out, sc, res, n);
}
