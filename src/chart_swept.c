/*
 * The sweep chart: any numeric result column (mlsim's one column table, columns.h) against any
 * numeric field a scenario sweeps (`sweep: {FIELD: ...}`), one line per combination of its other
 * swept fields. Where the runs carry Monte Carlo bands (a reliability block: P10, P50, P90 over
 * the replicates, columns NAME_p10 ...), the P10-P90 band is drawn around the P50 line. Axis
 * labels come from the field's path and dimension and the column's meaning and unit.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/chart.h"
#include "mlsim/columns.h"
#include "mlsim/run.h"
#include "mlsim/schema.h"
#include "mlsim/units.h"
#include "mlsim/version.h"
#include "mlsim/ydoc.h"

/* The most fields a sweep varies (scenario.c's SWEEP_MAX_DIMS) and lines a chart draws. */
#define SWEPT_MAX_DIMS   8
#define SWEPT_MAX_SERIES 8

/* One run of the sweep: its point, its line, its value and band (NaN where none). */
struct swept_point {
    int series;
    double x, y, p10, p50, p90;
};

/* What the chart draws: the x field, the y column and its band columns, the lines. */
struct swept {
    const struct mlsim_field *xf;
    const char *x_path;
    const struct mlsim_column *yc, *band[3]; /* band: p10, p50, p90, or NULL */
    const char *other[SWEPT_MAX_DIMS];       /* the other swept fields: they make the lines */
    size_t n_other;
    char series[SWEPT_MAX_SERIES][160];
    size_t n_series;
    struct swept_point *pts;
    size_t n, samples;
};

/* Field F of RUN as a number; NaN if it is not a number (a name, a text). */
static double field_number(const struct mlsim_field *f, const struct mlsim_run *run)
{
    const char *at = (const char *)run + f->offset;
    double v = NAN;
    int i;
    if (f->kind == MLSIM_FIELD_QUANTITY)
        memcpy(&v, at, sizeof v);
    else if (f->kind == MLSIM_FIELD_INT) {
        memcpy(&i, at, sizeof i);
        v = i;
    }
    return v;
}

/* Field F of RUN as text, into BUF. */
static void field_text(const struct mlsim_field *f, const struct mlsim_run *run, char *buf,
                       size_t len)
{
    const char *at = (const char *)run + f->offset;
    int i;
    if (f->kind == MLSIM_FIELD_ENUM && f->names) {
        memcpy(&i, at, sizeof i);
        snprintf(buf, len, "%s", i >= 0 ? f->names[i] : "?");
    } else if (f->kind == MLSIM_FIELD_STRING) {
        snprintf(buf, len, "%.*s", (int)f->size, at);
    } else {
        snprintf(buf, len, "%.6g", field_number(f, run));
    }
}

/* The swept fields of SW (its keys but 'combine') into PATHS; returns how many. */
static size_t swept_fields(const struct mlsim_ynode *sw, const char **paths, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sw->n && n < max; i++) {
        if (strcmp(sw->keys[i]->value, "combine") != 0)
            paths[n++] = sw->keys[i]->value;
    }
    return n;
}

/* Choose the x field (ASKED, or the sweep's first) and the y column (ASKED, or time_s) into S;
 * a fault is reported at the sweep. */
static enum mlsim_status choose_axes(struct mlsim_plot_job *job, const struct mlsim_ynode *sw,
                                     struct swept *s)
{
    const char *paths[SWEPT_MAX_DIMS];
    size_t n = swept_fields(sw, paths, SWEPT_MAX_DIMS);
    const char *want = job->req->x_field ? job->req->x_field : n ? paths[0] : "";
    size_t xi = 0;
    while (xi < n && strcmp(paths[xi], want) != 0)
        xi++;
    if (xi == n) {
        const char *near = mlsim_diag_suggest(want, paths, n);
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, sw->loc,
                           "--x '%s' is not a field this sweep varies%s%s%s", want,
                           near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        return MLSIM_ERR_INPUT;
    }
    s->x_path = paths[xi];
    s->xf = mlsim_schema_find(&mlsim_run_schema, s->x_path);
    if (!s->xf || (s->xf->kind != MLSIM_FIELD_INT && s->xf->kind != MLSIM_FIELD_QUANTITY)) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, sw->keys[xi]->loc,
                           "'%s' is not a number: the sweep chart draws against a numeric field",
                           s->x_path);
        return MLSIM_ERR_INPUT;
    }
    for (size_t i = 0; i < n; i++) {
        if (i != xi)
            s->other[s->n_other++] = paths[i];
    }
    const char *y = job->req->y_column ? job->req->y_column : "time_s";
    s->yc = mlsim_columns_find(y);
    if (!s->yc || s->yc->kind != MLSIM_COLUMN_NUMBER) {
        const char *names[512];
        size_t k = 0;
        for (size_t i = 0; i < mlsim_columns_count() && k < 512; i++) {
            if (mlsim_columns_get(i)->kind == MLSIM_COLUMN_NUMBER)
                names[k++] = mlsim_columns_get(i)->name;
        }
        const char *near = mlsim_diag_suggest(y, names, k);
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere("--y"),
                           "'%s' is not a numeric result column%s%s%s (mlsim's README lists them)",
                           y, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        return MLSIM_ERR_INPUT;
    }
    return MLSIM_OK;
}

/* The band columns of column Y: "time_s" has time_p10_s ..., "goodput" goodput_p10 ...; NULL
 * where Y has none. */
static void find_band(const struct mlsim_column *y, const struct mlsim_column **band)
{
    static const char *const q[] = {"p10", "p50", "p90"};
    const char *unit = strrchr(y->name, '_');
    for (int i = 0; i < 3; i++) {
        char a[96], b[96];
        snprintf(a, sizeof a, "%.*s_%s%s", unit ? (int)(unit - y->name) : 0, y->name, q[i],
                 unit ? unit : "");
        snprintf(b, sizeof b, "%s_%s", y->name, q[i]);
        band[i] = unit ? mlsim_columns_find(a) : NULL;
        if (!band[i])
            band[i] = mlsim_columns_find(b);
    }
    if (!band[0] || !band[1] || !band[2])
        band[0] = band[1] = band[2] = NULL;
}

static double column_number(const struct mlsim_column *c, const struct mlsim_result *res)
{
    struct mlsim_column_value v = {0};
    return c && mlsim_columns_value(c, res, &v) ? v.number : NAN;
}

/* The line of RUN: the values of the other swept fields ("pp=4, micro_batch=1"); its index in
 * S, added if new, or -1 past SWEPT_MAX_SERIES. */
static int series_of(struct swept *s, const struct mlsim_run *run)
{
    char key[160] = "";
    size_t used = 0;
    for (size_t i = 0; i < s->n_other; i++) {
        const struct mlsim_field *f = mlsim_schema_find(&mlsim_run_schema, s->other[i]);
        char val[64] = "?";
        if (f)
            field_text(f, run, val, sizeof val);
        const char *dot = strrchr(s->other[i], '.');
        int w = snprintf(key + used, sizeof key - used, "%s%s=%s", used ? ", " : "",
                         dot ? dot + 1 : s->other[i], val);
        used = w > 0 && (size_t)w < sizeof key - used ? used + (size_t)w : sizeof key - 1;
    }
    for (size_t i = 0; i < s->n_series; i++) {
        if (strcmp(s->series[i], key) == 0)
            return (int)i;
    }
    if (s->n_series == SWEPT_MAX_SERIES)
        return -1;
    memcpy(s->series[s->n_series], key, sizeof key);
    return (int)s->n_series++;
}

/* Estimate every run of SC that can run into S's points; a row that does not tile or fit is
 * left out, as it is a row with its reason in the scenario's table. */
static enum mlsim_status estimate_points(struct mlsim_plot_job *job,
                                         const struct mlsim_scenario *sc, struct swept *s)
{
    s->pts = calloc(sc->n_runs ? sc->n_runs : 1, sizeof *s->pts);
    if (!s->pts)
        return MLSIM_ERR_NOMEM;
    for (size_t i = 0; i < sc->n_runs; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        struct mlsim_diags *scratch = mlsim_diags_alloc();
        struct mlsim_result res;
        if (!scratch)
            return MLSIM_ERR_NOMEM;
        enum mlsim_status st =
            r->not_run[0] ? MLSIM_ERR_INPUT : mlsim_run_estimate(r, &res, NULL, scratch);
        mlsim_diags_free(scratch);
        if (st == MLSIM_ERR_NOMEM)
            return st;
        if (st != MLSIM_OK || res.not_run[0])
            continue; /* a point that does not fit: a row with its reason in the table */
        res.run = r;
        struct swept_point *p = &s->pts[s->n];
        p->series = series_of(s, r);
        p->x = field_number(s->xf, r);
        p->y = column_number(s->yc, &res);
        int banded = res.rel.samples > 0; /* a run without replicates has no band */
        p->p10 = banded ? column_number(s->band[0], &res) : NAN;
        p->p50 = banded ? column_number(s->band[1], &res) : NAN;
        p->p90 = banded ? column_number(s->band[2], &res) : NAN;
        if (p->series < 0) {
            mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, r->loc,
                               "the sweep makes more than %d lines: choose --x so that the other "
                               "swept fields take fewer values",
                               SWEPT_MAX_SERIES);
            return MLSIM_ERR_INPUT;
        }
        if (!isnan(p->p50) && (size_t)res.rel.samples > s->samples)
            s->samples = (size_t)res.rel.samples;
        s->n++;
    }
    return MLSIM_OK;
}

static int by_series_then_x(const void *a, const void *b)
{
    const struct swept_point *p = a, *q = b;
    if (p->series != q->series)
        return p->series < q->series ? -1 : 1;
    return p->x < q->x ? -1 : p->x > q->x;
}

static enum mlsim_status write_points(struct mlsim_plot_job *job, const struct swept *s)
{
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, ".csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("series,x,y,p10,p50,p90\n", o.f);
    for (size_t i = 0; i < s->n; i++) {
        const struct swept_point *p = &s->pts[i];
        fprintf(o.f, "%d", p->series);
        mlsim_chart_csv_num(o.f, p->x);
        mlsim_chart_csv_num(o.f, p->y);
        mlsim_chart_csv_num(o.f, p->p10);
        mlsim_chart_csv_num(o.f, p->p50);
        mlsim_chart_csv_num(o.f, p->p90);
        fputc('\n', o.f);
    }
    return mlsim_chart_close(job, &o, MLSIM_OK);
}

/* Do the positive values V (every STRIDE-th double from BASE, N of them) span more than
 * RATIO? Then the axis is logarithmic. */
static int spans(const struct swept *s, int y, double ratio)
{
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < s->n; i++) {
        double v = y ? s->pts[i].y : s->pts[i].x;
        if (!(v > 0))
            return 0;
        lo = fmin(lo, v);
        hi = fmax(hi, v);
    }
    return s->n > 1 && hi > ratio * lo;
}

static enum mlsim_status swept_script(struct mlsim_plot_job *job, const struct mlsim_scenario *sc,
                                      const struct swept *s)
{
    char title[256], foot[1024], xl[200], yl[300], bands[160] = "";
    snprintf(title, sizeof title, "%s against %s: %s", s->yc->name, s->x_path,
             mlsim_chart_title(sc));
    char *swept = strstr(title, " ("); /* the first run's name names its point */
    if (swept && !sc->title[0])
        *swept = '\0';
    if (s->xf->kind == MLSIM_FIELD_QUANTITY)
        snprintf(xl, sizeof xl, "%s (%s, SI units)", s->x_path, mlsim_units_dim_name(s->xf->dim));
    else
        snprintf(xl, sizeof xl, "%s", s->x_path);
    snprintf(yl, sizeof yl, "%s (%s)", s->yc->meaning, s->yc->unit);
    if (s->samples)
        snprintf(bands, sizeof bands,
                 "; bands: P10 to P90 around the P50 line over %zu Monte Carlo replicates",
                 s->samples);
    snprintf(foot, sizeof foot, "Source: mlsim %s, %s: %zu runs of the scenario's sweep%s.",
             MLSIM_VERSION, job->shown, s->n, bands);
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_script_begin(job, &o, title, foot);
    if (st != MLSIM_OK)
        return st;
    const char *items[SWEPT_MAX_SERIES];
    for (size_t i = 0; i < s->n_series; i++)
        items[i] = s->series[i][0] ? s->series[i] : s->yc->name;
    mlsim_chart_gp_array(o.f, "series_title", items, s->n_series);
    mlsim_chart_gp_str(o.f, "x_label", xl);
    mlsim_chart_gp_str(o.f, "y_label", yl);
    mlsim_chart_gp_num(o.f, "log_x", spans(s, 0, 10));
    mlsim_chart_gp_num(o.f, "log_y", spans(s, 1, 100));
    mlsim_chart_gp_num(o.f, "has_bands", s->samples ? 1 : 0);
    return mlsim_chart_script_end(job, &o);
}

enum mlsim_status mlsim_chart_swept(struct mlsim_plot_job *job)
{
    struct mlsim_scenario *sc = NULL;
    enum mlsim_status st = mlsim_chart_load(job, job->input, NULL, 0, job->d, &sc);
    if (st != MLSIM_OK)
        return st;
    struct swept s = {0};
    const struct mlsim_ynode *sw = mlsim_chart_own_sweep(sc);
    if (!sw) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(job->input),
                           "has no 'sweep:': the sweep chart draws a result against a swept "
                           "field");
        st = MLSIM_ERR_INPUT;
    }
    if (st == MLSIM_OK)
        st = choose_axes(job, sw, &s);
    if (st == MLSIM_OK) {
        find_band(s.yc, s.band);
        st = estimate_points(job, sc, &s);
    }
    if (st == MLSIM_OK && s.n == 0) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, sw->loc,
                           "no point of the sweep could be estimated");
        st = MLSIM_ERR_INPUT;
    }
    if (st == MLSIM_OK) {
        qsort(s.pts, s.n, sizeof *s.pts, by_series_then_x);
        st = write_points(job, &s);
    }
    if (st == MLSIM_OK)
        st = swept_script(job, sc, &s);
    free(s.pts);
    mlsim_scenario_free(sc);
    return st;
}
