/*
 * Charts as data and gnuplot scripts. Each chart is an entry of one const table: a function that
 * runs the simulator for the chart's scenario (or reads the hardware database and a measured
 * CSV), writes the numbers as CSV, and writes a script made of a few generated variables followed
 * by the shared style and the chart's template from plots/. Rendering is left to the caller.
 * Every number is printed with a fixed format and every list is in a fixed order, so a rerun
 * gives the same bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlsim/calibrate.h"
#include "mlsim/hwtable.h"
#include "mlsim/run.h"
#include "mlsim/scenario.h"
#include "mlsim/simulate.h"
#include "mlsim/step.h"
#include "mlsim/version.h"

/* Numbers in data files and scripts: enough digits to round-trip what a chart shows. */
#define NUM "%.10g"

#define PATH_LEN 1024

struct mlsim_plot_job {
    const struct mlsim_plot_chart *chart;
    const struct mlsim_plot_request *req;
    struct mlsim_hwdb *db;
    struct mlsim_diags *d;
    char input[PATH_LEN]; /* the scenario path or device id in use */
    char shown[200];      /* the same for people: relative to the root when under it */
};

/* A file written under a temporary name and renamed into place when complete. */
struct outfile {
    FILE *f;
    char path[PATH_LEN];
    char tmp[PATH_LEN + 32];
};

static struct mlsim_loc nowhere(const char *file)
{
    struct mlsim_loc loc = {file, 0, 0};
    return loc;
}

/* Open DIR/STEM SUFFIX for writing. Returns MLSIM_ERR_IO (reported) if it cannot be. */
static enum mlsim_status out_open(struct mlsim_plot_job *job, const char *suffix, struct outfile *o)
{
    int n =
        snprintf(o->path, sizeof o->path, "%s/%s%s", job->req->out_dir, job->chart->name, suffix);
    if (n < 0 || (size_t)n >= sizeof o->path) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, nowhere(job->req->out_dir),
                           "output path too long");
        return MLSIM_ERR_IO;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp%ld", o->path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, nowhere(o->path), "cannot write '%s'",
                           o->path);
        return MLSIM_ERR_IO;
    }
    return MLSIM_OK;
}

/* Close O and rename it into place, or remove it when ST is not MLSIM_OK. */
static enum mlsim_status out_close(struct mlsim_plot_job *job, struct outfile *o,
                                   enum mlsim_status st)
{
    if (!o->f)
        return st;
    int bad = ferror(o->f);
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    if (st == MLSIM_OK && !bad && rename(o->tmp, o->path) == 0)
        return MLSIM_OK;
    remove(o->tmp);
    if (st != MLSIM_OK)
        return st;
    mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, nowhere(o->path), "cannot write '%s'",
                       o->path);
    return MLSIM_ERR_IO;
}

/* A CSV text field, always quoted; a double quote becomes a single one (gnuplot reads quoted
 * fields but not doubled quotes). */
static void csv_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : *s, f);
    fputc('"', f);
}

/* A number for CSV and scripts: NaN for unknown values. */
static void put_num(FILE *f, double x)
{
    if (isnan(x) || isinf(x))
        fputs("NaN", f);
    else
        fprintf(f, NUM, x);
}

static void csv_num(FILE *f, double x)
{
    fputc(',', f);
    put_num(f, x);
}

/* A gnuplot single-quoted string literal (a quote inside is doubled; nothing else is special). */
static void gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputc('\'', f);
}

static void gp_str(FILE *f, const char *key, const char *value)
{
    fprintf(f, "%s = ", key);
    gp_quote(f, value);
    fputc('\n', f);
}

static void gp_num(FILE *f, const char *key, double value)
{
    fprintf(f, "%s = ", key);
    put_num(f, value);
    fputc('\n', f);
}

/* The footnote, broken at spaces into lines of at most FOOT_LINE characters, joined by "\n". */
#define FOOT_LINE 150
static void gp_footnote(FILE *f, const char *text)
{
    fputs("footnote = ", f);
    size_t len = strlen(text);
    const char *p = text;
    while (1) {
        size_t rest = len - (size_t)(p - text), cut = rest;
        if (rest > FOOT_LINE) {
            cut = FOOT_LINE;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = FOOT_LINE;
        }
        char line[FOOT_LINE + 1];
        memcpy(line, p, cut);
        line[cut] = '\0';
        gp_quote(f, line);
        p += cut;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        fputs(" . \"\\n\" . ", f);
    }
    fputc('\n', f);
}

/* A gnuplot array of N strings. */
static void gp_array(FILE *f, const char *key, const char *const *items, size_t n)
{
    fprintf(f, "array %s[%zu] = [", key, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        gp_quote(f, items[i]);
    }
    if (!n)
        fputs("''", f);
    fputs("]\n", f);
}

/* Read the whole file PATH into a malloc'd, NUL-terminated *TEXT. */
static enum mlsim_status read_text(const char *path, char **text, struct mlsim_diags *d)
{
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, nowhere(path), "cannot read '%s'", path);
        return MLSIM_ERR_IO;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return MLSIM_ERR_NOMEM;
    if (bad) {
        free(buf);
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, nowhere(path), "cannot read '%s'", path);
        return MLSIM_ERR_IO;
    }
    buf[n] = '\0';
    *text = buf;
    return MLSIM_OK;
}

/* Copy ROOT/plots/FILE into F under a banner naming it. */
static enum mlsim_status copy_template(struct mlsim_plot_job *job, FILE *f, const char *file)
{
    char path[PATH_LEN];
    int n = snprintf(path, sizeof path, "%s/plots/%s", job->req->root, file);
    if (n < 0 || (size_t)n >= sizeof path)
        return MLSIM_ERR_IO;
    char *text;
    enum mlsim_status st = read_text(path, &text, job->d);
    if (st != MLSIM_OK)
        return st;
    fprintf(f, "\n# ---- plots/%s ----\n", file);
    fputs(text, f);
    size_t len = strlen(text);
    if (len && text[len - 1] != '\n')
        fputc('\n', f);
    free(text);
    return MLSIM_OK;
}

/* Open the script and write its banner and the variables every chart has. */
static enum mlsim_status script_begin(struct mlsim_plot_job *job, struct outfile *o,
                                      const char *title, const char *footnote)
{
    enum mlsim_status st = out_open(job, ".gp", o);
    if (st != MLSIM_OK)
        return st;
    const char *name = job->chart->name;
    fprintf(o->f,
            "# %s.gp: %s\n"
            "# Written by mlsim %s (`mlsim plot %s %s`); the data are in %s*.csv beside it.\n"
            "# Render it in this folder: gnuplot -e \"fmt='png'\" %s.gp   (fmt: png, svg or pdf)\n"
            "# Below: the chart's variables, then plots/style.gp and plots/%s.gp copied in.\n\n"
            "if (!exists(\"fmt\")) fmt = 'png'\n",
            name, job->chart->summary, MLSIM_VERSION, name, job->shown, name, name, name);
    gp_str(o->f, "name", name);
    char data[PATH_LEN];
    snprintf(data, sizeof data, "%s.csv", name);
    gp_str(o->f, "data", data);
    gp_str(o->f, "chart_title", title);
    gp_footnote(o->f, footnote);
    return MLSIM_OK;
}

/* Append the style and the chart's template, and close the script. */
static enum mlsim_status script_end(struct mlsim_plot_job *job, struct outfile *o)
{
    char tpl[128];
    snprintf(tpl, sizeof tpl, "%s.gp", job->chart->name);
    enum mlsim_status st = copy_template(job, o->f, "style.gp");
    if (st == MLSIM_OK)
        st = copy_template(job, o->f, tpl);
    return out_close(job, o, st);
}

/* Load, override with N SETS and resolve the scenario PATH into *SC (freed here on failure). */
static enum mlsim_status load_scenario(struct mlsim_plot_job *job, const char *path,
                                       const char *const *sets, size_t n, struct mlsim_diags *d,
                                       struct mlsim_scenario **sc)
{
    enum mlsim_status st = mlsim_scenario_load(path, d, sc);
    if (*sc && st == MLSIM_OK && n)
        st = mlsim_scenario_set(*sc, sets, n, d);
    if (*sc && st == MLSIM_OK)
        st = mlsim_scenario_resolve(*sc, job->db, d);
    if (st == MLSIM_OK && mlsim_diags_errors(d) == 0)
        return MLSIM_OK;
    mlsim_scenario_free(*sc);
    *sc = NULL;
    return st == MLSIM_OK || st == MLSIM_ERR_IO ? MLSIM_ERR_INPUT : st;
}

/* Estimate every run of SC into a malloc'd *RES. */
static enum mlsim_status estimate_all(struct mlsim_plot_job *job, const struct mlsim_scenario *sc,
                                      struct mlsim_result **res)
{
    *res = calloc(sc->n_runs ? sc->n_runs : 1, sizeof **res);
    if (!*res)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = MLSIM_OK;
    for (size_t i = 0; i < sc->n_runs; i++) {
        enum mlsim_status s = mlsim_run_estimate(&sc->runs[i], &(*res)[i], NULL, job->d);
        if (s != MLSIM_OK)
            st = s;
    }
    if (st != MLSIM_OK) {
        free(*res);
        *res = NULL;
    }
    return st;
}

/* The job's scenario, loaded and every run estimated. */
static enum mlsim_status load_estimated(struct mlsim_plot_job *job, struct mlsim_scenario **sc,
                                        struct mlsim_result **res)
{
    enum mlsim_status st = load_scenario(job, job->input, NULL, 0, job->d, sc);
    if (st == MLSIM_OK && !*sc) /* never so today; said for the analyzer */
        return MLSIM_ERR_INPUT;
    return st == MLSIM_OK ? estimate_all(job, *sc, res) : st;
}

static const char *scenario_title(const struct mlsim_scenario *sc)
{
    if (sc->title[0])
        return sc->title;
    return sc->n_runs ? sc->runs[0].name : "";
}

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
    struct outfile o = {0};
    enum mlsim_status st = out_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("name,params,tokens,device,count,precision,mfu,time_s,device_hours,cost_usd,energy_kwh,"
          "cost_label\n",
          o.f);
    for (size_t i = 0; i < sc->n_runs; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        char label[64];
        dollars(label, sizeof label, res[i].cost_usd);
        csv_str(o.f, r->name);
        csv_num(o.f, r->model.params);
        csv_num(o.f, r->model.tokens);
        fputc(',', o.f);
        csv_str(o.f, r->device->id);
        fprintf(o.f, ",%d,%s", r->count, mlsim_precision_names[r->precision]);
        csv_num(o.f, res[i].mfu);
        csv_num(o.f, res[i].time_s);
        csv_num(o.f, res[i].device_hours);
        csv_num(o.f, res[i].cost_usd);
        csv_num(o.f, res[i].energy_j / 3.6e6);
        fputc(',', o.f);
        csv_str(o.f, label);
        fputc('\n', o.f);
    }
    return out_close(job, &o, MLSIM_OK);
}

static enum mlsim_status chart_cost_table(struct mlsim_plot_job *job)
{
    struct mlsim_scenario *sc = NULL;
    struct mlsim_result *res = NULL;
    enum mlsim_status st = load_estimated(job, &sc, &res);
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
        struct outfile o = {0};
        st = script_begin(job, &o, scenario_title(sc), foot);
        if (st == MLSIM_OK)
            st = script_end(job, &o);
    }
    free(res);
    mlsim_scenario_free(sc);
    return st;
}

/* ---- series: runs grouped by device, in order of first appearance ---- */

#define MAX_SERIES 16

struct series {
    const char *id[MAX_SERIES];
    const char *label[MAX_SERIES];
    size_t n;
};

/* The series of device DEV (added if new), or -1 when there are too many. */
static int series_of(struct series *s, const struct mlsim_device *dev)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->id[i], dev->id) == 0)
            return (int)i;
    }
    if (s->n == MAX_SERIES)
        return -1;
    s->id[s->n] = dev->id;
    s->label[s->n] = dev->name;
    return (int)s->n++;
}

/* ---- a small reader for measured CSV files: '#' comments, a header, numeric columns ---- */

struct table {
    char *text;     /* the file, split in place */
    char *cols[16]; /* header names */
    size_t n_cols;
    char *rows[256]; /* data lines */
    size_t n_rows;
};

static size_t split_fields(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

/* Read PATH into *T. Returns MLSIM_ERR_IO (not reported) if the file cannot be read. */
static enum mlsim_status table_read(const char *path, struct table *t, struct mlsim_diags *d)
{
    memset(t, 0, sizeof *t);
    if (access(path, R_OK) != 0)
        return MLSIM_ERR_IO;
    enum mlsim_status st = read_text(path, &t->text, d);
    if (st != MLSIM_OK)
        return st;
    char *save = t->text;
    int header = 0;
    while (save && *save) {
        char *line = save;
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (!header) {
            t->n_cols = split_fields(line, t->cols, 16);
            header = 1;
        } else if (t->n_rows < 256) {
            t->rows[t->n_rows++] = line;
        }
    }
    return MLSIM_OK;
}

static int table_col(const struct table *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++) {
        if (strcmp(t->cols[i], name) == 0)
            return (int)i;
    }
    return -1;
}

/* Column COL of row R as a number (NaN if absent or not a number). Splits a copy of the row. */
static double table_num(const struct table *t, size_t r, int col)
{
    char line[512];
    snprintf(line, sizeof line, "%s", t->rows[r]);
    char *fields[16];
    size_t n = split_fields(line, fields, 16);
    if (col < 0 || (size_t)col >= n)
        return NAN;
    char *end;
    double x = strtod(fields[col], &end);
    return end == fields[col] ? NAN : x;
}

/* ---- cpu-vs-gpu: training time against trainable parameters, per device ---- */

struct mnist_point {
    int series;
    int n;        /* hidden width */
    double steps; /* steps of the run */
};

/* Write the measured points of validate/train-<id>.csv for each series, scaled to the steps of
 * the simulated run of the same device and width. */
static void write_measured(struct mlsim_plot_job *job, FILE *f, const struct series *s,
                           const struct mnist_point *pts, size_t n_pts)
{
    fputs("series,device,n,params,step_s,steps,time_s\n", f);
    for (size_t si = 0; si < s->n; si++) {
        char path[PATH_LEN];
        snprintf(path, sizeof path, "%s/validate/train-%s.csv", job->req->root, s->id[si]);
        struct table t;
        if (table_read(path, &t, job->d) != MLSIM_OK)
            continue;
        int cn = table_col(&t, "n"), cp = table_col(&t, "params");
        int cs = table_col(&t, "seconds_per_step");
        for (size_t r = 0; r < t.n_rows; r++) {
            double n = table_num(&t, r, cn), step = table_num(&t, r, cs);
            for (size_t i = 0; i < n_pts; i++) {
                if (pts[i].series != (int)si || (double)pts[i].n != n)
                    continue;
                fprintf(f, "%zu,", si);
                csv_str(f, s->id[si]);
                csv_num(f, n);
                csv_num(f, table_num(&t, r, cp));
                csv_num(f, step);
                csv_num(f, pts[i].steps);
                csv_num(f, step * pts[i].steps);
                fputc('\n', f);
            }
        }
        free(t.text);
    }
}

static enum mlsim_status write_mnist_data(struct mlsim_plot_job *job,
                                          const struct mlsim_scenario *sc,
                                          const struct mlsim_result *res, struct series *s)
{
    struct mnist_point pts[256];
    size_t n_pts = 0;
    struct outfile o = {0};
    enum mlsim_status st = out_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("series,device,name,n,params,step_s,steps,time_s\n", o.f);
    for (size_t i = 0; i < sc->n_runs; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        int k = series_of(s, r->device);
        if (k < 0)
            continue;
        int width = r->model.n_widths > 2 ? r->model.widths[1] : 0;
        fprintf(o.f, "%d,", k);
        csv_str(o.f, r->device->id);
        fputc(',', o.f);
        csv_str(o.f, r->name);
        fprintf(o.f, ",%d", width);
        csv_num(o.f, r->model.params);
        csv_num(o.f, res[i].step_s);
        csv_num(o.f, res[i].steps);
        csv_num(o.f, res[i].time_s);
        fputc('\n', o.f);
        if (n_pts < 256)
            pts[n_pts++] = (struct mnist_point){k, width, res[i].steps};
    }
    st = out_close(job, &o, MLSIM_OK);
    if (st == MLSIM_OK)
        st = out_open(job, "-measured.csv", &o);
    if (st != MLSIM_OK)
        return st;
    write_measured(job, o.f, s, pts, n_pts);
    return out_close(job, &o, MLSIM_OK);
}

static enum mlsim_status chart_cpu_vs_gpu(struct mlsim_plot_job *job)
{
    struct mlsim_scenario *sc = NULL;
    struct mlsim_result *res = NULL;
    struct series s = {0};
    enum mlsim_status st = load_estimated(job, &sc, &res);
    if (st == MLSIM_OK)
        st = write_mnist_data(job, sc, res, &s);
    if (st == MLSIM_OK) {
        char foot[1024];
        snprintf(foot, sizeof foot,
                 "Source: mlsim %s, %s (simulated step x steps). Measured: validate/train-<device>"
                 ".csv, seconds per step x the same steps. Keras mnist_mlp, batch 128.",
                 MLSIM_VERSION, job->shown);
        struct outfile o = {0};
        st = script_begin(job, &o, scenario_title(sc), foot);
        if (st == MLSIM_OK) {
            gp_array(o.f, "series_title", s.label, s.n);
            st = script_end(job, &o);
        }
    }
    free(res);
    mlsim_scenario_free(sc);
    return st;
}

/* ---- a device-count sweep of a scenario's first run (amdahl, scaling) ---- */

static const int sweep_counts[] = {1, 2, 4, 8, 16, 32, 64};
#define SWEEP_N (sizeof sweep_counts / sizeof sweep_counts[0])
/* Beyond one node the sweep needs a network; without one in the scenario it assumes DGX A100
 * nodes: 8 x 200 Gb/s HDR InfiniBand (NVIDIA DGX A100 datasheet). */
#define SWEEP_NIC "hardware.nic_bandwidth=1600 Gb/s"

struct sweep {
    char run[128];
    char device[128];
    int assumed_nic; /* SWEEP_NIC was used */
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
    enum mlsim_status st = load_scenario(job, job->input, sets, with_nic ? 2 : 1, d, &sc);
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
    snprintf(sw->device, sizeof sw->device, "%s", r->device->name);
    res->run = NULL; /* the scenario is freed below */
    mlsim_scenario_free(sc);
    return st;
}

/* Sweep the device count over sweep_counts, stopping at the first count the run cannot take
 * (a batch that does not split, a layout that does not tile): one device must work. */
static enum mlsim_status sweep_run(struct mlsim_plot_job *job, struct sweep *sw)
{
    memset(sw, 0, sizeof *sw);
    enum mlsim_status st = sweep_point(job, 1, 0, job->d, &sw->res[0], sw);
    if (st != MLSIM_OK)
        return st;
    sw->devices[0] = 1;
    sw->n = 1;
    for (size_t i = 1; i < SWEEP_N; i++) {
        struct mlsim_diags *scratch = mlsim_diags_alloc();
        if (!scratch)
            return MLSIM_ERR_NOMEM;
        st = sweep_point(job, sweep_counts[i], 0, scratch, &sw->res[i], sw);
        if (st != MLSIM_OK) {
            mlsim_diags_free(scratch);
            scratch = mlsim_diags_alloc();
            if (!scratch)
                return MLSIM_ERR_NOMEM;
            st = sweep_point(job, sweep_counts[i], 1, scratch, &sw->res[i], sw);
            if (st == MLSIM_OK)
                sw->assumed_nic = 1;
        }
        mlsim_diags_free(scratch);
        if (st != MLSIM_OK)
            break;
        sw->devices[i] = sweep_counts[i];
        sw->n = i + 1;
    }
    return MLSIM_OK;
}

/* The sweep as CSV: devices, step, speed-up against one device, efficiency, and the parallel
 * fraction Amdahl's law would need for that speed-up, p = (1 - 1/S) / (1 - 1/N). */
static enum mlsim_status write_sweep(struct mlsim_plot_job *job, const char *suffix,
                                     const struct sweep *sw)
{
    struct outfile o = {0};
    enum mlsim_status st = out_open(job, suffix, &o);
    if (st != MLSIM_OK)
        return st;
    fputs("devices,step_s,ideal_step_s,speedup,efficiency,amdahl_p,compute_s,exposed_comm_s,mfu,"
          "tokens_per_s\n",
          o.f);
    double t1 = sw->res[0].step_s;
    for (size_t i = 0; i < sw->n; i++) {
        const struct mlsim_result *r = &sw->res[i];
        double n = sw->devices[i], s = t1 / r->step_s;
        fprintf(o.f, "%d", sw->devices[i]);
        csv_num(o.f, r->step_s);
        csv_num(o.f, t1 / n);
        csv_num(o.f, s);
        csv_num(o.f, s / n);
        csv_num(o.f, n > 1 ? (1 - 1 / s) / (1 - 1 / n) : NAN);
        csv_num(o.f, r->compute_s);
        csv_num(o.f, r->exposed_comm_s);
        csv_num(o.f, r->mfu);
        csv_num(o.f, r->tokens_per_s);
        fputc('\n', o.f);
    }
    return out_close(job, &o, MLSIM_OK);
}

/* Amdahl's law: speed-up S(N) = 1 / ((1 - p) + p / N) for the deck's four p, N = 2^(k/4). */
static enum mlsim_status write_amdahl_curves(struct mlsim_plot_job *job)
{
    static const double ps[] = {0.5, 0.75, 0.9, 0.95};
    struct outfile o = {0};
    enum mlsim_status st = out_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("processors,p50,p75,p90,p95\n", o.f);
    for (int k = 0; k <= 64; k++) {
        double n = ldexp(1.0, k / 4) * pow(2.0, (k % 4) / 4.0);
        put_num(o.f, n);
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
            csv_num(o.f, 1.0 / ((1.0 - ps[i]) + ps[i] / n));
        fputc('\n', o.f);
    }
    return out_close(job, &o, MLSIM_OK);
}

/* What a sweep shows and assumes, for a footnote. */
static void sweep_footnote(const struct mlsim_plot_job *job, const struct sweep *sw, char *buf,
                           size_t len)
{
    snprintf(buf, len,
             "Source: mlsim %s, %s: '%s' simulated on 1 to %d x %s, the scenario's global batch "
             "fixed (strong scaling)%s.",
             MLSIM_VERSION, job->shown, sw->run, sw->devices[sw->n - 1], sw->device,
             sw->assumed_nic ? "; beyond one node 8 x 200 Gb/s InfiniBand per node, assumed" : "");
}

static enum mlsim_status chart_amdahl(struct mlsim_plot_job *job)
{
    struct sweep *sw = malloc(sizeof *sw);
    if (!sw)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = sweep_run(job, sw);
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
        struct outfile o = {0};
        st = script_begin(job, &o, "Amdahl's law, and the speed-up of a simulated training step",
                          foot);
        if (st == MLSIM_OK) {
            const struct mlsim_result *last = &sw->res[sw->n - 1];
            double n_last = sw->devices[sw->n - 1], s_last = sw->res[0].step_s / last->step_s;
            gp_str(o.f, "sim_title", label);
            gp_num(o.f, "sim_n", n_last);
            gp_num(o.f, "sim_s", s_last);
            gp_num(o.f, "sim_p", n_last > 1 ? (1 - 1 / s_last) / (1 - 1 / n_last) : 1);
            st = script_end(job, &o);
        }
    }
    free(sw);
    return st;
}

static enum mlsim_status chart_scaling(struct mlsim_plot_job *job)
{
    struct sweep *sw = malloc(sizeof *sw);
    if (!sw)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = sweep_run(job, sw);
    if (st == MLSIM_OK)
        st = write_sweep(job, ".csv", sw);
    if (st == MLSIM_OK) {
        char foot[1024], title[256];
        sweep_footnote(job, sw, foot, sizeof foot);
        snprintf(title, sizeof title, "Scaling with device count: %s", sw->run);
        struct outfile o = {0};
        st = script_begin(job, &o, title, foot);
        if (st == MLSIM_OK)
            st = script_end(job, &o);
    }
    free(sw);
    return st;
}

/* ---- tpu-vs-gpu: the deck's K80 / TPU / P40 slide, and today's devices ---- */

/* Today's inference devices beside the deck's three. */
static const char *const today_devices[] = {"t4",     "l4",      "a100-sxm4-80gb", "h100-sxm5-80gb",
                                            "tpu-v4", "tpu-v5e", "tpu-v6e"};

/* The precision a device serves inference at: int8 where it has it, else its headline. */
static int inference_precision(const struct mlsim_device *dev)
{
    if (dev->peak_flops[MLSIM_PRECISION_INT8] > 0)
        return MLSIM_PRECISION_INT8;
    struct mlsim_hwtable_row row;
    mlsim_hwtable_row_fill(&row, dev, MLSIM_HWTABLE_HEADLINE);
    return row.precision;
}

/* Inferences per second of the scenario's first run on device ID at PRECISION; NaN if it
 * cannot run there. */
static double inferences_on(struct mlsim_plot_job *job, const char *id, int precision)
{
    char set_dev[128], set_prec[64];
    snprintf(set_dev, sizeof set_dev, "hardware.device=%s", id);
    snprintf(set_prec, sizeof set_prec, "precision=%s", mlsim_precision_names[precision]);
    const char *sets[] = {set_dev, set_prec};
    struct mlsim_diags *scratch = mlsim_diags_alloc();
    struct mlsim_scenario *sc = NULL;
    double out = NAN;
    if (scratch && load_scenario(job, job->input, sets, 2, scratch, &sc) == MLSIM_OK &&
        sc->runs[0].mode == MLSIM_MODE_INFERENCE) {
        struct mlsim_result res;
        if (mlsim_run_estimate(&sc->runs[0], &res, NULL, scratch) == MLSIM_OK)
            out = res.tokens_per_s;
    }
    mlsim_scenario_free(sc);
    mlsim_diags_free(scratch);
    return out;
}

static void write_device_row(FILE *f, const struct mlsim_device *dev, const char *label, int group,
                             int precision, double inferences)
{
    double peak = dev->peak_flops[precision];
    csv_str(f, label);
    fputc(',', f);
    csv_str(f, dev->id);
    fprintf(f, ",%d,%d,%s", group, dev->year, mlsim_precision_names[precision]);
    csv_num(f, peak);
    csv_num(f, dev->tdp_w > 0 ? dev->tdp_w : NAN);
    csv_num(f, dev->tdp_w > 0 ? peak / dev->tdp_w : NAN);
    csv_num(f, dev->mem_bw_Bps > 0 ? dev->mem_bw_Bps : NAN);
    csv_num(f, inferences);
    fputc('\n', f);
}

static enum mlsim_status write_tpu_gpu_data(struct mlsim_plot_job *job,
                                            const struct mlsim_scenario *sc,
                                            const struct mlsim_result *res)
{
    struct outfile o = {0};
    enum mlsim_status st = out_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("label,device,group,year,precision,peak_ops,tdp_w,ops_per_w,mem_bw_Bps,"
          "inferences_per_s\n",
          o.f);
    for (size_t i = 0; i < sc->n_runs; i++) {
        const struct mlsim_device *dev = sc->runs[i].device;
        char label[160];
        snprintf(label, sizeof label, "%s (%d)", dev->id, dev->year);
        write_device_row(o.f, dev, label, 0, sc->runs[i].precision,
                         sc->runs[i].mode == MLSIM_MODE_INFERENCE ? res[i].tokens_per_s : NAN);
    }
    for (size_t i = 0; i < sizeof today_devices / sizeof today_devices[0]; i++) {
        const struct mlsim_device *dev;
        if (mlsim_hwdb_find(job->db, today_devices[i], job->d, &dev) != MLSIM_OK)
            continue;
        int p = inference_precision(dev);
        char label[160];
        snprintf(label, sizeof label, "%s (%d)", dev->id, dev->year);
        write_device_row(o.f, dev, label, 1, p, inferences_on(job, dev->id, p));
    }
    return out_close(job, &o, MLSIM_OK);
}

static enum mlsim_status chart_tpu_vs_gpu(struct mlsim_plot_job *job)
{
    struct mlsim_scenario *sc = NULL;
    struct mlsim_result *res = NULL;
    enum mlsim_status st = load_estimated(job, &sc, &res);
    if (st == MLSIM_OK)
        st = write_tpu_gpu_data(job, sc, res);
    if (st == MLSIM_OK) {
        char foot[1024];
        snprintf(foot, sizeof foot,
                 "Source: hwdb (dense peaks at the precision shown, TDP); inferences/s simulated "
                 "by mlsim %s from %s, each device at int8 where it has it.",
                 MLSIM_VERSION, job->shown);
        struct outfile o = {0};
        st = script_begin(job, &o, "TPU vs GPU: the deck's K80, TPU v1 and P40, and today's", foot);
        if (st == MLSIM_OK)
            st = script_end(job, &o);
    }
    free(res);
    mlsim_scenario_free(sc);
    return st;
}

/* ---- mu-eta: FLOP/s per dollar and per watt of every device, by year ---- */

static const char *const basis_names[] = {"dense", "sparse", "hash", "none"};

/* A point of the mu-eta charts and whether its name is printed beside it. */
struct merit_point {
    const struct mlsim_device *dev;
    struct mlsim_hwtable_row row;
    int label_eta, label_mu;
};

/* Name a point only where its label would not run into one already placed: labels start just
 * right of their point, are about a quarter of a year wide per character at the chart's font and
 * about a tenth of a decade high (measured on the rendered 1920 x 1080 PNG). Points keep the
 * database's order, so the choice is deterministic. */
static void place_labels(struct merit_point *pts, size_t n, int mu)
{
    for (size_t i = 0; i < n; i++) {
        double v = mu ? pts[i].row.mu_usd : pts[i].row.eta_w;
        int *flag = mu ? &pts[i].label_mu : &pts[i].label_eta;
        *flag = v > 0 && pts[i].row.basis == MLSIM_HWTABLE_DENSE;
        for (size_t j = 0; j < i && *flag; j++) {
            double w = mu ? pts[j].row.mu_usd : pts[j].row.eta_w;
            if (!(mu ? pts[j].label_mu : pts[j].label_eta))
                continue;
            int left = pts[j].dev->year <= pts[i].dev->year ? (int)j : (int)i;
            double width = 1.0 + 0.25 * (double)strlen(pts[left].dev->id);
            if (fabs(log10(v / w)) < 0.13 && abs(pts[i].dev->year - pts[j].dev->year) < width)
                *flag = 0;
        }
    }
}

static void write_mu_eta_row(FILE *f, const struct merit_point *pt)
{
    const struct mlsim_device *dev = pt->dev;
    const struct mlsim_hwtable_row *row = &pt->row;
    csv_str(f, dev->id);
    fputc(',', f);
    csv_str(f, dev->name);
    fprintf(f, ",%s,%d,%d,%s,%s", mlsim_kind_names[dev->kind], dev->kind, dev->year,
            row->precision >= 0 ? mlsim_precision_names[row->precision] : "sha256",
            basis_names[row->basis]);
    csv_num(f, row->peak > 0 ? row->peak : NAN);
    csv_num(f, dev->price_usd > 0 ? dev->price_usd : NAN);
    csv_num(f, dev->tdp_w > 0 ? dev->tdp_w : NAN);
    csv_num(f, row->mu_usd > 0 ? row->mu_usd : NAN);
    csv_num(f, row->mu_usd_h > 0 ? row->mu_usd_h : NAN);
    csv_num(f, row->eta_w > 0 ? row->eta_w : NAN);
    fputc(',', f);
    csv_str(f, pt->label_eta ? dev->id : "");
    fputc(',', f);
    csv_str(f, pt->label_mu ? dev->id : "");
    fputc('\n', f);
}

static enum mlsim_status chart_mu_eta(struct mlsim_plot_job *job)
{
    char **ids = NULL;
    size_t n = 0;
    enum mlsim_status st = mlsim_hwdb_list(job->db, &ids, &n);
    if (st != MLSIM_OK)
        return st;
    struct merit_point *pts = calloc(n ? n : 1, sizeof *pts);
    if (!pts)
        st = MLSIM_ERR_NOMEM;
    for (size_t i = 0; i < n && st == MLSIM_OK; i++) {
        st = mlsim_hwdb_find(job->db, ids[i], job->d, &pts[i].dev);
        if (st == MLSIM_OK)
            mlsim_hwtable_row_fill(&pts[i].row, pts[i].dev, MLSIM_HWTABLE_HEADLINE);
    }
    struct outfile o = {0};
    if (st == MLSIM_OK) {
        place_labels(pts, n, 0);
        place_labels(pts, n, 1);
        st = out_open(job, ".csv", &o);
    }
    if (st == MLSIM_OK) {
        fputs("id,name,kind,kind_index,year,precision,basis,peak,price_usd,tdp_w,mu_per_usd,"
              "mu_per_usd_h,eta_per_w,label_eta,label_mu\n",
              o.f);
        for (size_t i = 0; i < n; i++)
            write_mu_eta_row(o.f, &pts[i]);
        st = out_close(job, &o, st);
    }
    free(pts);
    mlsim_hwdb_free_ids(ids, n);
    if (st != MLSIM_OK)
        return st;
    char foot[1024];
    snprintf(foot, sizeof foot,
             "Source: mlsim %s hardware database (hwdb/), %zu devices: each at its largest dense "
             "fp16/bf16/fp32 peak (fp64 for whole systems), TDP, purchase price where known.",
             MLSIM_VERSION, n);
    st = script_begin(job, &o, "Figures of merit: \xce\xbc = FLOP/s per $, \xce\xb7 = FLOP/s per W",
                      foot);
    if (st == MLSIM_OK) {
        const char *kinds[MLSIM_KIND_N];
        for (int k = 0; k < MLSIM_KIND_N; k++)
            kinds[k] = mlsim_kind_names[k];
        gp_array(o.f, "kind_name", kinds, MLSIM_KIND_N);
        st = script_end(job, &o);
    }
    return st;
}

/* ---- roofline: a device's roofs, its fitted roofs and its measured kernels ---- */

struct roof {
    int precision;
    double peak, bw; /* datasheet */
    double ge, me;   /* fitted efficiencies; 0 if the device has no calibration */
    int threads;     /* calibration threads: the points shown (0: all) */
    double value[MLSIM_CALIB_NPARAM];
};

static void roof_init(struct roof *rf, const struct mlsim_device *dev,
                      const struct mlsim_calib_data *data)
{
    memset(rf, 0, sizeof *rf);
    struct mlsim_hwtable_row row;
    mlsim_hwtable_row_fill(&row, dev, MLSIM_HWTABLE_HEADLINE);
    rf->precision = row.precision >= 0 ? row.precision : MLSIM_PRECISION_FP32;
    if (data->n) {
        int p = mlsim_precision_from_name(data->points[0].prec);
        if (p >= 0 && dev->peak_flops[p] > 0)
            rf->precision = p;
    }
    const struct mlsim_calibration *c = &dev->calibration;
    rf->peak = dev->peak_flops[rf->precision];
    rf->bw = dev->mem_bw_Bps;
    rf->ge = c->gemm_efficiency;
    rf->me = c->memory_efficiency;
    rf->threads = c->threads;
    rf->value[MLSIM_CALIB_GEMM_EFF] = c->gemm_efficiency;
    rf->value[MLSIM_CALIB_HALF_M] = c->gemm_half_m;
    rf->value[MLSIM_CALIB_HALF_N] = c->gemm_half_n;
    rf->value[MLSIM_CALIB_HALF_K] = c->gemm_half_k;
    rf->value[MLSIM_CALIB_MEM_EFF] = c->memory_efficiency;
    rf->value[MLSIM_CALIB_OVERHEAD] = c->launch_s;
}

/* The roofs against arithmetic intensity, 2^-4 to 2^12 FLOP/byte in quarter powers of two. */
static enum mlsim_status write_roofs(struct mlsim_plot_job *job, const struct roof *rf)
{
    struct outfile o = {0};
    enum mlsim_status st = out_open(job, "-roofs.csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("intensity,roof_flops_s,fitted_flops_s\n", o.f);
    for (int k = -16; k <= 48; k++) {
        double ai = pow(2.0, k / 4.0);
        put_num(o.f, ai);
        csv_num(o.f, fmin(rf->peak, ai * rf->bw));
        csv_num(o.f,
                rf->ge > 0 && rf->me > 0 ? fmin(rf->peak * rf->ge, ai * rf->bw * rf->me) : NAN);
        fputc('\n', o.f);
    }
    return out_close(job, &o, MLSIM_OK);
}

/* The measured points at the roof's precision and calibration threads, with the model's
 * prediction of each. */
static enum mlsim_status write_points(struct mlsim_plot_job *job, const struct roof *rf,
                                      const struct mlsim_calib_data *data)
{
    struct outfile o = {0};
    enum mlsim_status st = out_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("kind,threads,precision,m,n,k,flops,bytes,seconds,intensity,measured_flops_s,"
          "model_flops_s\n",
          o.f);
    for (size_t i = 0; i < data->n; i++) {
        const struct mlsim_calib_point *p = &data->points[i];
        if (mlsim_precision_from_name(p->prec) != rf->precision ||
            (rf->threads > 0 && p->threads != rf->threads) || p->bytes <= 0 || p->seconds <= 0)
            continue;
        double model = rf->ge > 0 ? mlsim_calibrate_predict(p, rf->value, rf->peak, rf->bw) : NAN;
        fprintf(o.f, "%s,%d,%s", p->kind == MLSIM_CALIB_GEMM ? "gemm" : "memory", p->threads,
                p->prec);
        csv_num(o.f, p->m);
        csv_num(o.f, p->n);
        csv_num(o.f, p->k);
        csv_num(o.f, p->flops);
        csv_num(o.f, p->bytes);
        csv_num(o.f, p->seconds);
        csv_num(o.f, p->flops / p->bytes);
        csv_num(o.f, p->flops / p->seconds);
        csv_num(o.f, model > 0 ? p->flops / model : NAN);
        fputc('\n', o.f);
    }
    return out_close(job, &o, MLSIM_OK);
}

/* Read validate/<kind>-<id>.csv if there is one (no points otherwise). */
static enum mlsim_status read_points(struct mlsim_plot_job *job, const struct mlsim_device *dev,
                                     struct mlsim_calib_data *data, char *path, size_t len)
{
    memset(data, 0, sizeof *data);
    snprintf(path, len, "%s/validate/%s-%s.csv", job->req->root, mlsim_kind_names[dev->kind],
             dev->id);
    if (access(path, R_OK) != 0) {
        path[0] = '\0';
        return MLSIM_OK;
    }
    return mlsim_calibrate_read(path, data, job->d);
}

static enum mlsim_status roofline_script(struct mlsim_plot_job *job, const struct mlsim_device *dev,
                                         const struct roof *rf, const char *points)
{
    char title[256], foot[640];
    snprintf(title, sizeof title, "Roofline: %s, %s", dev->name,
             mlsim_precision_names[rf->precision]);
    const char *shown = points[0] ? strstr(points, "validate/") : NULL;
    snprintf(foot, sizeof foot,
             "Source: hwdb (datasheet peak and bandwidth, fitted calibration)%s%s%s. Model: "
             "mlsim %s kernel cost.",
             shown ? "; measured: " : "", shown ? shown : "",
             rf->threads > 0 && shown ? " at the calibration's thread count" : "", MLSIM_VERSION);
    struct outfile o = {0};
    enum mlsim_status st = script_begin(job, &o, title, foot);
    if (st != MLSIM_OK)
        return st;
    gp_str(o.f, "roofs", "roofline-roofs.csv");
    gp_num(o.f, "peak", rf->peak);
    gp_num(o.f, "bandwidth", rf->bw);
    gp_num(o.f, "ridge", rf->peak / rf->bw);
    gp_num(o.f, "calibrated", rf->ge > 0 && rf->me > 0 ? 1 : 0);
    gp_num(o.f, "has_points", points[0] ? 1 : 0);
    return script_end(job, &o);
}

static enum mlsim_status chart_roofline(struct mlsim_plot_job *job)
{
    const struct mlsim_device *dev;
    enum mlsim_status st = mlsim_hwdb_find(job->db, job->input, job->d, &dev);
    if (st == MLSIM_ERR_NOT_FOUND) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, nowhere("roofline"),
                           "no device '%s' in the hardware database", job->input);
        return MLSIM_ERR_INPUT;
    }
    if (st != MLSIM_OK)
        return st;
    if (dev->mem_bw_Bps <= 0) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, nowhere(dev->path),
                           "device '%s' has no memory bandwidth: no roofline", dev->id);
        return MLSIM_ERR_INPUT;
    }
    struct mlsim_calib_data data;
    char points[PATH_LEN];
    st = read_points(job, dev, &data, points, sizeof points);
    struct roof rf;
    roof_init(&rf, dev, &data);
    if (st == MLSIM_OK && rf.peak <= 0) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, nowhere(dev->path),
                           "device '%s' has no dense peak: no roofline", dev->id);
        st = MLSIM_ERR_INPUT;
    }
    if (st == MLSIM_OK)
        st = write_points(job, &rf, &data);
    if (st == MLSIM_OK)
        st = write_roofs(job, &rf);
    if (st == MLSIM_OK)
        st = roofline_script(job, dev, &rf, points);
    mlsim_calibrate_release(&data);
    return st;
}

/* ---- timeline: the simulated step as a Gantt chart, one row per stream ---- */

static const char *const category_names[] = {"compute", "communication", "copy"};

static void write_task(FILE *f, const struct mlsim_sim_task *t)
{
    int cat = t->category >= 0 && t->category <= 2 ? t->category : 0;
    fprintf(f, "%d,%d,%s", t->resource, cat, category_names[cat]);
    csv_num(f, t->start_s);
    csv_num(f, t->end_s);
    fprintf(f, ",%d,%d,", t->layer, t->microbatch);
    csv_str(f, t->name ? t->name : "");
    fputc('\n', f);
}

/* The tasks as CSV; *ZOOM gets the start of the first communication task (or -1). */
static enum mlsim_status write_tasks(struct mlsim_plot_job *job, const struct mlsim_sim *sim,
                                     double *zoom)
{
    struct outfile o = {0};
    enum mlsim_status st = out_open(job, ".csv", &o);
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
    return out_close(job, &o, MLSIM_OK);
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
    struct outfile o = {0};
    enum mlsim_status st = script_begin(job, &o, title, foot);
    if (st == MLSIM_OK) {
        gp_array(o.f, "stream_name", items, nres);
        gp_num(o.f, "step_end", end);
        gp_num(o.f, "zoom_from", zoom - 0.02 * (end - zoom));
        st = script_end(job, &o);
    }
    free(names);
    free(items);
    return st;
}

static enum mlsim_status chart_timeline(struct mlsim_plot_job *job)
{
    struct mlsim_scenario *sc = NULL;
    struct mlsim_sim *sim = NULL;
    enum mlsim_status st = load_scenario(job, job->input, NULL, 0, job->d, &sc);
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
    if (scratch && load_scenario(job, job->input, sets, 1, scratch, &sc) == MLSIM_OK) {
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
    struct outfile o = {0};
    enum mlsim_status st = out_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("series,count,time_s,cost_usd,mfu,pareto,label\n", o.f);
    for (size_t i = 0; i < n; i++) {
        fprintf(o.f, "%d,%d", w[i].run, w[i].count);
        csv_num(o.f, w[i].time_s);
        csv_num(o.f, w[i].cost_usd);
        csv_num(o.f, w[i].mfu);
        fprintf(o.f, ",%d,", w[i].front);
        csv_str(o.f, w[i].label);
        fputc('\n', o.f);
    }
    st = out_close(job, &o, MLSIM_OK);
    if (st == MLSIM_OK)
        st = out_open(job, "-front.csv", &o);
    if (st != MLSIM_OK)
        return st;
    /* The front in order of time (then cost), for a line through it. */
    fputs("time_s,cost_usd\n", o.f);
    int *done = calloc(n ? n : 1, sizeof *done);
    if (!done)
        return out_close(job, &o, MLSIM_ERR_NOMEM);
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
        put_num(o.f, w[best].time_s);
        csv_num(o.f, w[best].cost_usd);
        fputc('\n', o.f);
    }
    free(done);
    return out_close(job, &o, MLSIM_OK);
}

static enum mlsim_status chart_pareto(struct mlsim_plot_job *job)
{
    struct whatif w[PARETO_N * PARETO_MAX_RUNS];
    char series[PARETO_MAX_RUNS][128] = {{0}};
    size_t n = 0, n_series = 0;
    struct mlsim_scenario *sc = NULL;
    /* Load once as given, so that a broken file is reported as such. */
    enum mlsim_status st = load_scenario(job, job->input, NULL, 0, job->d, &sc);
    if (st != MLSIM_OK)
        return st;
    char title[200];
    snprintf(title, sizeof title, "Cost against time: %s", scenario_title(sc));
    mlsim_scenario_free(sc);
    for (size_t i = 0; i < PARETO_N; i++)
        n +=
            whatifs_at(job, pareto_counts[i], w + n, sizeof w / sizeof w[0] - n, series, &n_series);
    if (n == 0) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, nowhere(job->input),
                           "no run of '%s' could be estimated at 128 to 1024 devices", job->input);
        return MLSIM_ERR_INPUT;
    }
    mark_front(w, n);
    st = write_whatifs(job, w, n);
    if (st != MLSIM_OK)
        return st;
    char foot[1024];
    snprintf(foot, sizeof foot,
             "Source: mlsim %s, %s: every run at 128, 256, 512 and 1024 devices (labels); "
             "%zu what-ifs ran. Ringed: the Pareto front, no what-if both faster and cheaper.",
             MLSIM_VERSION, job->shown, n);
    struct outfile o = {0};
    st = script_begin(job, &o, title, foot);
    if (st == MLSIM_OK) {
        const char *items[PARETO_MAX_RUNS];
        for (size_t i = 0; i < n_series; i++)
            items[i] = series[i][0] ? series[i] : "(none)";
        gp_array(o.f, "series_title", items, n_series);
        gp_str(o.f, "front", "pareto-front.csv");
        st = script_end(job, &o);
    }
    return st;
}

/* ---- the chart table ---- */

static const struct mlsim_plot_chart charts[] = {
    {"cost-table", "the deck's LLM training cost table as bars", MLSIM_PLOT_INPUT_SCENARIO,
     "scenarios/llm_cost_table.yaml", chart_cost_table},
    {"cpu-vs-gpu", "MNIST MLP training time against trainable parameters, CPU vs GPU (log-log)",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/mnist_mlp_cpu_vs_gpu.yaml", chart_cpu_vs_gpu},
    {"amdahl", "Amdahl's law for p = 0.5 to 0.95, with a simulated step's speed-up",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/gpt_1.3b_dgx_a100.yaml", chart_amdahl},
    {"tpu-vs-gpu", "TPU vs GPU: throughput, power, throughput per watt, inferences/s",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/inference_k80_tpu_p40.yaml", chart_tpu_vs_gpu},
    {"mu-eta", "mu (FLOP/s per $) and eta (FLOP/s per W) of every device, by year",
     MLSIM_PLOT_INPUT_SCENARIO, "hwdb", chart_mu_eta},
    {"roofline", "a device's roofline with its measured calibration points",
     MLSIM_PLOT_INPUT_DEVICE, "epyc-zen5-2vcpu", chart_roofline},
    {"scaling", "step time and efficiency against device count", MLSIM_PLOT_INPUT_SCENARIO,
     "scenarios/gpt_1.3b_dgx_a100.yaml", chart_scaling},
    {"timeline", "the simulated step as a Gantt chart, one row per stream",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/gpt_1.3b_dgx_a100.yaml", chart_timeline},
    {"pareto", "cost against time over what-ifs of device count, Pareto front marked",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/tpu_vs_gpu.yaml", chart_pareto},
};

#define N_CHARTS (sizeof charts / sizeof charts[0])

size_t mlsim_plot_chart_count(void)
{
    return N_CHARTS;
}

const struct mlsim_plot_chart *mlsim_plot_chart_at(size_t i)
{
    return i < N_CHARTS ? &charts[i] : NULL;
}

const struct mlsim_plot_chart *mlsim_plot_chart_find(const char *name)
{
    for (size_t i = 0; name && i < N_CHARTS; i++) {
        if (strcmp(charts[i].name, name) == 0)
            return &charts[i];
    }
    return NULL;
}

int mlsim_plot_format_from_name(const char *name)
{
    static const char *const names[] = {"png", "svg", "pdf"};
    for (int i = 0; name && i < 3; i++) {
        if (strcmp(names[i], name) == 0)
            return 1 << i;
    }
    return 0;
}

enum mlsim_status mlsim_plot_write(const struct mlsim_plot_chart *c,
                                   const struct mlsim_plot_request *req, struct mlsim_hwdb *db,
                                   struct mlsim_diags *d)
{
    if (!c || !req || !req->out_dir || !req->root || !db || !d)
        return MLSIM_ERR_INPUT;
    struct mlsim_plot_job job = {.chart = c, .req = req, .db = db, .d = d};
    int n;
    if (req->input)
        n = snprintf(job.input, sizeof job.input, "%s", req->input);
    else if (c->input == MLSIM_PLOT_INPUT_DEVICE || strcmp(c->default_input, "hwdb") == 0)
        n = snprintf(job.input, sizeof job.input, "%s", c->default_input);
    else
        n = snprintf(job.input, sizeof job.input, "%s/%s", req->root, c->default_input);
    if (n < 0 || (size_t)n >= sizeof job.input) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, nowhere(c->name), "input path too long");
        return MLSIM_ERR_INPUT;
    }
    size_t rl = strlen(req->root);
    const char *shown = job.input;
    if (strncmp(shown, req->root, rl) == 0 && shown[rl] == '/')
        shown += rl + 1;
    size_t len = strlen(shown) < sizeof job.shown ? strlen(shown) : sizeof job.shown - 1;
    memcpy(job.shown, shown, len); /* a long path is cut short: it is only shown */
    job.shown[len] = '\0';
    return c->write(&job);
}
