/*
 * Reading measured kernel times and fitting the kernel-cost model to them; see calibrate.h. The
 * fit works on the logarithms of the parameters (all are positive) and of the times (a 1 us
 * kernel and a 1 s kernel count alike), with GSL's trust-region Levenberg-Marquardt and a
 * finite-difference Jacobian: the model has a max() in it, so no closed-form derivative holds
 * everywhere.
 */
#include "mlsim/calibrate.h"

#include <errno.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/kernel.h"

enum column {
    COL_KIND,
    COL_PREC,
    COL_THREADS,
    COL_M,
    COL_N,
    COL_K,
    COL_FLOPS,
    COL_BYTES,
    COL_SEC,
    COL_N_REQUIRED
};

static const char *const column_names[COL_N_REQUIRED] = {
    "kind", "precision", "threads", "m", "n", "k", "flops", "bytes", "seconds"};

#define MAX_COLUMNS 64

/* A line split at commas, in place: FIELD[i] starts at column COL[i] (from 1). */
struct row {
    char *field[MAX_COLUMNS];
    int col[MAX_COLUMNS];
    int n;
};

static void split(char *line, struct row *r)
{
    r->n = 0;
    for (char *p = line;; p++) {
        if (r->n < MAX_COLUMNS) {
            r->field[r->n] = p;
            r->col[r->n] = (int)(p - line) + 1;
            r->n++;
        }
        p += strcspn(p, ",");
        if (*p != ',')
            break;
        *p = '\0';
    }
}

struct reader {
    const char *path;
    struct mlsim_diags *d;
    int line;
    int map[COL_N_REQUIRED]; /* field index of each required column */
    int n_columns;
};

static int parse_header(struct reader *rd, const struct row *r)
{
    int ok = 1;
    for (int c = 0; c < COL_N_REQUIRED; c++) {
        rd->map[c] = -1;
        for (int i = 0; i < r->n; i++) {
            if (strcmp(r->field[i], column_names[c]) == 0)
                rd->map[c] = i;
        }
        if (rd->map[c] < 0) {
            struct mlsim_loc loc = {rd->path, rd->line, 1};
            mlsim_diags_report(rd->d, MLSIM_SEVERITY_ERROR, loc, "missing column '%s'",
                               column_names[c]);
            ok = 0;
        }
    }
    rd->n_columns = r->n;
    return ok;
}

static int number(struct reader *rd, const struct row *r, int c, double *v)
{
    int i = rd->map[c];
    char *end;
    errno = 0;
    *v = strtod(r->field[i], &end);
    if (errno == 0 && end != r->field[i] && *end == '\0' && isfinite(*v) && *v >= 0 &&
        (c != COL_SEC || *v > 0))
        return 1;
    struct mlsim_loc loc = {rd->path, rd->line, r->col[i]};
    mlsim_diags_report(rd->d, MLSIM_SEVERITY_ERROR, loc, "%s: expected a %s number, got '%s'",
                       column_names[c], c == COL_SEC ? "positive" : "non-negative", r->field[i]);
    return 0;
}

static int parse_point(struct reader *rd, const struct row *r, struct mlsim_calib_point *p)
{
    if (r->n != rd->n_columns) {
        struct mlsim_loc loc = {rd->path, rd->line, 1};
        mlsim_diags_report(rd->d, MLSIM_SEVERITY_ERROR, loc, "expected %d fields, found %d",
                           rd->n_columns, r->n);
        return 0;
    }
    memset(p, 0, sizeof *p);
    p->line = rd->line;
    const char *kind = r->field[rd->map[COL_KIND]];
    int ok = 1;
    if (strcmp(kind, "gemm") == 0) {
        p->kind = MLSIM_CALIB_GEMM;
    } else if (strcmp(kind, "triad") == 0 || strcmp(kind, "copy") == 0 ||
               strcmp(kind, "update") == 0 || strcmp(kind, "memory") == 0) {
        p->kind = MLSIM_CALIB_MEMORY;
    } else {
        struct mlsim_loc loc = {rd->path, rd->line, r->col[rd->map[COL_KIND]]};
        mlsim_diags_report(rd->d, MLSIM_SEVERITY_ERROR, loc,
                           "kind: expected gemm, triad, copy or memory, got '%s'", kind);
        ok = 0;
    }
    snprintf(p->prec, sizeof p->prec, "%s", r->field[rd->map[COL_PREC]]);
    snprintf(p->name, sizeof p->name, "%s", kind);
    double threads = 0;
    int threads_ok = number(rd, r, COL_THREADS, &threads);
    ok &= threads_ok;
    ok &= number(rd, r, COL_M, &p->m) & number(rd, r, COL_N, &p->n) & number(rd, r, COL_K, &p->k);
    ok &= number(rd, r, COL_FLOPS, &p->flops) & number(rd, r, COL_BYTES, &p->bytes);
    ok &= number(rd, r, COL_SEC, &p->seconds);
    /* Converted only once known finite and in range: (int) of -inf or 1e300 is undefined. */
    p->threads = threads_ok && threads < 1e6 ? (int)threads : 0;
    if (ok && p->kind == MLSIM_CALIB_GEMM && (p->m < 1 || p->n < 1 || p->k < 1)) {
        struct mlsim_loc loc = {rd->path, rd->line, r->col[rd->map[COL_M]]};
        mlsim_diags_report(rd->d, MLSIM_SEVERITY_ERROR, loc,
                           "a gemm needs m, n and k of 1 or more");
        ok = 0;
    }
    return ok;
}

static void keep_header_line(struct mlsim_calib_data *data, const char *line)
{
    if (data->n_header < MLSIM_CALIB_MAX_HEADER)
        snprintf(data->header[data->n_header++], sizeof data->header[0], "%s", line + 1);
}

static enum mlsim_status parse_lines(struct reader *rd, char *text, struct mlsim_calib_data *data)
{
    size_t cap = 0;
    int have_header = 0, ok = 1;
    struct row r;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line[strcspn(line, "\r")] = '\0';
        rd->line++;
        if (line[0] == '#') {
            keep_header_line(data, line);
            continue;
        }
        if (line[strspn(line, " \t")] == '\0')
            continue;
        split(line, &r);
        if (!have_header) {
            have_header = 1;
            ok &= parse_header(rd, &r);
            if (!ok)
                break;
            continue;
        }
        if (data->n == cap) {
            cap = cap ? 2 * cap : 256;
            struct mlsim_calib_point *p = realloc(data->points, cap * sizeof *p);
            if (!p)
                return MLSIM_ERR_NOMEM;
            data->points = p;
        }
        if (parse_point(rd, &r, &data->points[data->n]))
            data->n++;
        else
            ok = 0;
    }
    if (ok && data->n == 0) {
        struct mlsim_loc loc = {rd->path, 0, 0};
        mlsim_diags_report(rd->d, MLSIM_SEVERITY_ERROR, loc,
                           have_header ? "no measurements after the header line"
                                       : "no header line naming the columns");
        ok = 0;
    }
    return ok ? MLSIM_OK : MLSIM_ERR_INPUT;
}

enum mlsim_status mlsim_calibrate_read(const char *path, struct mlsim_calib_data *data,
                                       struct mlsim_diags *d)
{
    memset(data, 0, sizeof *data);
    size_t len = 0;
    char *text = NULL;
    enum mlsim_status st = mlsim_diags_read_file(d, path, &text, &len);
    if (st != MLSIM_OK)
        return st == MLSIM_ERR_NOMEM ? st : MLSIM_ERR_IO;
    st = mlsim_diags_add_source(d, path, text, len);
    struct reader rd = {path, d, 0, {0}, 0};
    if (st == MLSIM_OK)
        st = parse_lines(&rd, text, data);
    free(text);
    if (st != MLSIM_OK)
        mlsim_calibrate_release(data);
    return st;
}

void mlsim_calibrate_release(struct mlsim_calib_data *data)
{
    if (!data)
        return;
    free(data->points);
    memset(data, 0, sizeof *data);
}

double mlsim_calibrate_predict(const struct mlsim_calib_point *p, const double *value,
                               double peak_flops, double bw_Bps)
{
    struct mlsim_kernel_model km = {
        .peak_flops = peak_flops,
        .vector_flops = peak_flops,
        .mem_bw_Bps = bw_Bps,
        .gemm_eff = value[MLSIM_CALIB_GEMM_EFF],
        .flash_eff = value[MLSIM_CALIB_GEMM_EFF],
        .mem_eff = value[MLSIM_CALIB_MEM_EFF],
        .overhead_s = value[MLSIM_CALIB_OVERHEAD],
        .calibrated_gemm = 1,
        .calibrated_mem = 1,
        .calibrated_overhead = 1,
        .gemm_half_m = value[MLSIM_CALIB_HALF_M],
        .gemm_half_n = value[MLSIM_CALIB_HALF_N],
        .gemm_half_k = value[MLSIM_CALIB_HALF_K],
        .onchip_bytes = value[MLSIM_CALIB_ONCHIP_BYTES],
        .onchip_bw_Bps = value[MLSIM_CALIB_ONCHIP_BW],
    };
    int gemm = p->kind == MLSIM_CALIB_GEMM;
    /* A stream's arithmetic is not what limits it: mlsim's memory kernels carry bytes only. */
    struct mlsim_kernel k = {
        .name = "calibration point",
        .kind = gemm ? MLSIM_KERNEL_GEMM : MLSIM_KERNEL_MEMORY,
        .phase = MLSIM_PHASE_FWD,
        .layer = -1,
        .m = p->m,
        .n = p->n,
        .k = p->k,
        .batch = 1,
        .flops = gemm ? p->flops : 0.0,
        .bytes = p->bytes,
    };
    return mlsim_kernel_time(&km, &k);
}

/* What the solver's callback needs: the points, and how the solver's vector maps onto the
 * model's parameters (solver slot i fits parameter FREE[i], as a logarithm; the rest are held).
 * TIED: one half size for all three GEMM dimensions (a sweep of cubes cannot tell them apart). */
struct problem {
    const struct mlsim_calib_point **pts;
    size_t n;
    double peak, bw;
    double held[MLSIM_CALIB_NPARAM];
    size_t n_free;
    int free[MLSIM_CALIB_NPARAM];
    int tied;
};

static void unpack(const struct problem *pr, const gsl_vector *x, double *v)
{
    for (int i = 0; i < MLSIM_CALIB_NPARAM; i++)
        v[i] = pr->held[i];
    for (size_t i = 0; i < pr->n_free; i++)
        v[pr->free[i]] = exp(gsl_vector_get(x, i));
    if (pr->tied)
        v[MLSIM_CALIB_HALF_N] = v[MLSIM_CALIB_HALF_K] = v[MLSIM_CALIB_HALF_M];
}

static int residuals(const gsl_vector *x, void *arg, gsl_vector *f)
{
    const struct problem *pr = arg;
    double v[MLSIM_CALIB_NPARAM];
    unpack(pr, x, v);
    for (size_t i = 0; i < pr->n; i++) {
        double t = mlsim_calibrate_predict(pr->pts[i], v, pr->peak, pr->bw);
        gsl_vector_set(f, i, log(t / pr->pts[i]->seconds));
    }
    return GSL_SUCCESS;
}

/* Counts of the selected points: GEMMs, and memory points on chip and beyond it. */
struct tally {
    size_t gemm, onchip, offchip;
    size_t streams; /* memory rows of the precision and threads, of any kind */
};

static size_t select_points(const struct mlsim_calib_data *data,
                            const struct mlsim_calib_spec *spec,
                            const struct mlsim_calib_point **out, struct tally *t)
{
    size_t n = 0;
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < data->n; i++) {
        const struct mlsim_calib_point *p = &data->points[i];
        if (p->threads != spec->threads || strcmp(p->prec, spec->prec) != 0)
            continue;
        int gemm = p->kind == MLSIM_CALIB_GEMM;
        t->streams += !gemm;
        if (!gemm && spec->stream && strcmp(p->name, spec->stream) != 0)
            continue;
        out[n++] = p;
        if (gemm)
            t->gemm++;
        else if (p->bytes <= spec->onchip_bytes)
            t->onchip++;
        else
            t->offchip++;
    }
    return n;
}

/* Starting point: a typical BLAS (half its peak, 8-element half sizes), half the bandwidth, 1 us,
 * and on chip the DRAM peak itself (twice the starting DRAM figure). The last is not fitted. */
static const double start[MLSIM_CALIB_NPARAM] = {0.5, 8.0, 8.0, 8.0, 0.5, 1e-6, 1.0, 0.0};

static enum mlsim_status solve(struct problem *pr, struct mlsim_calib_fit *fit)
{
    const size_t p = pr->n_free;
    gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, pr->n, p);
    gsl_matrix *cov = gsl_matrix_alloc(p, p);
    gsl_vector *x = gsl_vector_alloc(p);
    enum mlsim_status st = MLSIM_ERR_NOMEM;
    if (w && cov && x) {
        for (size_t i = 0; i < p; i++)
            gsl_vector_set(x, i,
                           log(pr->free[i] == MLSIM_CALIB_ONCHIP_BW ? pr->bw : start[pr->free[i]]));
        gsl_multifit_nlinear_fdf fdf = {residuals, NULL, NULL, pr->n, p, pr, 0, 0, 0};
        int info = 0;
        int s = gsl_multifit_nlinear_init(x, &fdf, w);
        /* tolerances: GSL's recommended 1e-8 on the step and gradient (GSL manual, sec. 39.9) */
        if (s == GSL_SUCCESS)
            s = gsl_multifit_nlinear_driver(500, 1e-8, 1e-8, 0.0, NULL, NULL, &info, w);
        if (s == GSL_SUCCESS)
            s = gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, cov);
        st = s == GSL_SUCCESS ? MLSIM_OK : MLSIM_ERR_RANGE;
    }
    if (st == MLSIM_OK) {
        double chisq;
        gsl_blas_ddot(gsl_multifit_nlinear_residual(w), gsl_multifit_nlinear_residual(w), &chisq);
        double dof = pr->n > p ? (double)(pr->n - p) : 1.0;
        fit->rms_rel = sqrt(chisq / (double)pr->n);
        fit->iterations = gsl_multifit_nlinear_niter(w);
        unpack(pr, w->x, fit->value);
        for (size_t i = 0; i < p; i++) { /* d(exp u) = exp(u) du: the log-space error x value */
            int j = pr->free[i];
            fit->sigma[j] = fit->value[j] * sqrt(gsl_matrix_get(cov, i, i) * chisq / dof);
        }
        if (pr->tied)
            fit->sigma[MLSIM_CALIB_HALF_N] = fit->sigma[MLSIM_CALIB_HALF_K] =
                fit->sigma[MLSIM_CALIB_HALF_M];
    }
    gsl_vector_free(x);
    gsl_matrix_free(cov);
    gsl_multifit_nlinear_free(w);
    return st;
}

enum mlsim_status mlsim_calibrate_fit(const struct mlsim_calib_data *data,
                                      const struct mlsim_calib_spec *spec,
                                      struct mlsim_calib_fit *fit, double *rel_err)
{
    memset(fit, 0, sizeof *fit);
    if (!(spec->peak_flops > 0) || !(spec->bw_Bps > 0) || !(spec->onchip_bytes >= 0))
        return MLSIM_ERR_INPUT;
    const struct mlsim_calib_point **pts = malloc((data->n ? data->n : 1) * sizeof *pts);
    if (!pts)
        return MLSIM_ERR_NOMEM;
    struct tally t;
    struct problem pr = {
        pts, select_points(data, spec, pts, &t), spec->peak_flops, spec->bw_Bps, {0}, 0, {0}, 0};
    /* GEMMs alone only where the file has no streams (a --stream naming no rows is an error) */
    int gemm_only = t.gemm > 0 && t.streams == 0;
    if (gemm_only) {
        /* Published GEMM sweeps time matmuls alone: the GEMM efficiency, one half size shared
         * by the three dimensions, and the fixed time; the memory efficiency is held at
         * mlsim's default and not reported (fit->gemm_only). */
        static const int g[] = {MLSIM_CALIB_GEMM_EFF, MLSIM_CALIB_HALF_M, MLSIM_CALIB_OVERHEAD};
        for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
            pr.free[pr.n_free++] = g[i];
        pr.tied = 1;
        pr.held[MLSIM_CALIB_MEM_EFF] = MLSIM_DEFAULT_MEMORY_EFFICIENCY;
    } else {
        /* The on-chip tier is fitted where points lie on both sides of its size; else one. */
        int last =
            spec->onchip_bytes > 0 && t.onchip > 0 ? MLSIM_CALIB_ONCHIP_BW : MLSIM_CALIB_OVERHEAD;
        for (int i = 0; i <= last; i++)
            pr.free[pr.n_free++] = i;
        pr.held[MLSIM_CALIB_ONCHIP_BYTES] = last == MLSIM_CALIB_ONCHIP_BW ? spec->onchip_bytes : 0;
    }
    enum mlsim_status st = MLSIM_ERR_INPUT;
    /* Every parameter needs points: GEMMs for four, streams beyond the chip for one, on-chip
     * streams for the on-chip bandwidth, and more points than parameters in all; or GEMMs
     * alone for the GEMM-only fit's three. */
    if (t.gemm > 0 && (t.offchip > 0 || gemm_only) && pr.n > pr.n_free) {
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        st = solve(&pr, fit);
        gsl_set_error_handler(old);
    }
    fit->n_used = st == MLSIM_OK ? pr.n : 0;
    fit->gemm_only = st == MLSIM_OK && gemm_only;
    fit->value[MLSIM_CALIB_ONCHIP_BYTES] = st == MLSIM_OK ? pr.held[MLSIM_CALIB_ONCHIP_BYTES] : 0;
    for (size_t i = 0; rel_err && i < data->n; i++)
        rel_err[i] = NAN;
    for (size_t i = 0; rel_err && st == MLSIM_OK && i < pr.n; i++)
        rel_err[pts[i] - data->points] =
            mlsim_calibrate_predict(pts[i], fit->value, spec->peak_flops, spec->bw_Bps) /
                pts[i]->seconds -
            1.0;
    free(pts);
    return st;
}
