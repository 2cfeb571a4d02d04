/*
 * The hardware charts, drawn from the hardware database: the deck's TPU-vs-GPU slide with today's
 * devices beside it, mu and eta (FLOP/s per dollar and per watt) of every device by year, and a
 * device's roofline with the measured points of its calibration (validate/<kind>-<id>.csv).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlsim/calibrate.h"
#include "mlsim/chart.h"
#include "mlsim/hwtable.h"
#include "mlsim/run.h"
#include "mlsim/version.h"

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
    if (scratch && mlsim_chart_load(job, job->input, sets, 2, scratch, &sc) == MLSIM_OK &&
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
    mlsim_chart_csv_str(f, label);
    fputc(',', f);
    mlsim_chart_csv_str(f, dev->id);
    fprintf(f, ",%d,%d,%s", group, dev->year, mlsim_precision_names[precision]);
    mlsim_chart_csv_num(f, peak);
    mlsim_chart_csv_num(f, dev->tdp_w > 0 ? dev->tdp_w : NAN);
    mlsim_chart_csv_num(f, dev->tdp_w > 0 ? peak / dev->tdp_w : NAN);
    mlsim_chart_csv_num(f, dev->mem_bw_Bps > 0 ? dev->mem_bw_Bps : NAN);
    mlsim_chart_csv_num(f, inferences);
    fputc('\n', f);
}

static enum mlsim_status write_tpu_gpu_data(struct mlsim_plot_job *job,
                                            const struct mlsim_scenario *sc,
                                            const struct mlsim_result *res)
{
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, ".csv", &o);
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
    return mlsim_chart_close(job, &o, MLSIM_OK);
}

enum mlsim_status mlsim_chart_tpu_vs_gpu(struct mlsim_plot_job *job)
{
    struct mlsim_scenario *sc = NULL;
    struct mlsim_result *res = NULL;
    enum mlsim_status st = mlsim_chart_load_estimated(job, &sc, &res);
    if (st == MLSIM_OK)
        st = write_tpu_gpu_data(job, sc, res);
    if (st == MLSIM_OK) {
        char foot[1024];
        snprintf(foot, sizeof foot,
                 "Source: hwdb (dense peaks at the precision shown, TDP); inferences/s simulated "
                 "by mlsim %s from %s, each device at int8 where it has it.",
                 MLSIM_VERSION, job->shown);
        struct mlsim_chart_out o = {0};
        st = mlsim_chart_script_begin(
            job, &o, "TPU vs GPU: the deck's K80, TPU v1 and P40, and today's", foot);
        if (st == MLSIM_OK)
            st = mlsim_chart_script_end(job, &o);
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

/* Label geometry of the mu-eta panels at 1920 x 1080 (plots/mu-eta.gp), measured on the
 * rendered PNG: a panel is 690 pixels wide for its 23 years (30 a year) and 746 high; a marker
 * reaches 11 pixels from its centre; a label starts 15 pixels right of its point, in 18 pt
 * DejaVu Sans, 13.5 pixels a character and 26 high. */
#define MERIT_YEAR0    2004
#define MERIT_YEARS    23
#define MERIT_YEAR_PX  30.0
#define MERIT_PANEL_PX 746.0
#define MERIT_MARK_PX  11.0
#define MERIT_GAP_PX   15.0
#define MERIT_CHAR_PX  13.5
#define MERIT_LINE_PX  26.0

/* The devices of the deck's inference slide: named first, whatever they come near. */
static const char *const merit_deck[] = {"k80", "tpu-v1", "p40"};

static int merit_is_deck(const struct merit_point *pt)
{
    for (size_t i = 0; i < sizeof merit_deck / sizeof merit_deck[0]; i++) {
        if (strcmp(pt->dev->id, merit_deck[i]) == 0)
            return 1;
    }
    return 0;
}

static double merit_value(const struct merit_point *pt, int mu)
{
    double v = mu ? pt->row.mu_usd : pt->row.eta_w;
    return v > 0 && pt->row.basis == MLSIM_HWTABLE_DENSE ? v : 0;
}

/* The decades gnuplot's log axis shows for the drawn values of PTS: from the decade below the
 * smallest to the one above the largest. */
static double merit_decades(const struct merit_point *pts, size_t n, int mu)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = merit_value(&pts[i], mu);
        if (v > 0) {
            lo = fmin(lo, log10(v));
            hi = fmax(hi, log10(v));
        }
    }
    return hi >= lo ? fmax(1.0, ceil(hi) - floor(lo)) : 1.0;
}

/* A box on the panel, in pixels. */
struct box {
    double x0, x1, y0, y1;
};

static int overlap(const struct box *a, const struct box *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

static struct box label_box(const struct merit_point *pt, int mu, double decade_px)
{
    double x = (pt->dev->year - MERIT_YEAR0) * MERIT_YEAR_PX + MERIT_GAP_PX;
    double y = log10(merit_value(pt, mu)) * decade_px;
    struct box b = {x, x + MERIT_CHAR_PX * (double)strlen(pt->dev->id), y - MERIT_LINE_PX / 2,
                    y + MERIT_LINE_PX / 2};
    return b;
}

static struct box mark_box(const struct merit_point *pt, int mu, double decade_px)
{
    double x = (pt->dev->year - MERIT_YEAR0) * MERIT_YEAR_PX;
    double y = log10(merit_value(pt, mu)) * decade_px;
    struct box b = {x - MERIT_MARK_PX, x + MERIT_MARK_PX, y - MERIT_MARK_PX, y + MERIT_MARK_PX};
    return b;
}

/* May the label of point I be printed, with the labels flagged so far placed? Not if its box
 * would leave the panel or cover a label already placed or another device's marker. */
static int label_fits(const struct merit_point *pts, size_t n, size_t i, int mu, double decade_px)
{
    struct box b = label_box(&pts[i], mu, decade_px);
    if (b.x1 > MERIT_YEARS * MERIT_YEAR_PX - 2 * MERIT_CHAR_PX) /* clear of the frame */
        return 0;
    if (merit_is_deck(&pts[i]))
        return 1;
    for (size_t j = 0; j < n; j++) {
        if (j == i || merit_value(&pts[j], mu) <= 0)
            continue;
        struct box m = mark_box(&pts[j], mu, decade_px);
        if (overlap(&b, &m))
            return 0;
        struct box l = label_box(&pts[j], mu, decade_px);
        if ((mu ? pts[j].label_mu : pts[j].label_eta) && overlap(&b, &l))
            return 0;
    }
    return 1;
}

/* Name a point only where its label fits (label_fits): the deck's devices first, then the
 * others in the database's order, so the choice is deterministic. */
static void place_labels(struct merit_point *pts, size_t n, int mu)
{
    double decade_px = MERIT_PANEL_PX / merit_decades(pts, n, mu);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            int *flag = mu ? &pts[i].label_mu : &pts[i].label_eta;
            if (merit_is_deck(&pts[i]) != (pass == 0))
                continue;
            *flag = merit_value(&pts[i], mu) > 0 && label_fits(pts, n, i, mu, decade_px);
        }
    }
}

static void write_mu_eta_row(FILE *f, const struct merit_point *pt)
{
    const struct mlsim_device *dev = pt->dev;
    const struct mlsim_hwtable_row *row = &pt->row;
    mlsim_chart_csv_str(f, dev->id);
    fputc(',', f);
    mlsim_chart_csv_str(f, dev->name);
    fprintf(f, ",%s,%d,%d,%s,%s", mlsim_kind_names[dev->kind], dev->kind, dev->year,
            row->precision >= 0 ? mlsim_precision_names[row->precision] : "sha256",
            basis_names[row->basis]);
    mlsim_chart_csv_num(f, row->peak > 0 ? row->peak : NAN);
    mlsim_chart_csv_num(f, dev->price_usd > 0 ? dev->price_usd : NAN);
    mlsim_chart_csv_num(f, dev->tdp_w > 0 ? dev->tdp_w : NAN);
    mlsim_chart_csv_num(f, row->mu_usd > 0 ? row->mu_usd : NAN);
    mlsim_chart_csv_num(f, row->mu_usd_h > 0 ? row->mu_usd_h : NAN);
    mlsim_chart_csv_num(f, row->eta_w > 0 ? row->eta_w : NAN);
    fputc(',', f);
    mlsim_chart_csv_str(f, pt->label_eta ? dev->id : "");
    fputc(',', f);
    mlsim_chart_csv_str(f, pt->label_mu ? dev->id : "");
    fputc('\n', f);
}

enum mlsim_status mlsim_chart_mu_eta(struct mlsim_plot_job *job)
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
    struct mlsim_chart_out o = {0};
    if (st == MLSIM_OK) {
        place_labels(pts, n, 0);
        place_labels(pts, n, 1);
        st = mlsim_chart_open(job, ".csv", &o);
    }
    if (st == MLSIM_OK) {
        fputs("id,name,kind,kind_index,year,precision,basis,peak,price_usd,tdp_w,mu_per_usd,"
              "mu_per_usd_h,eta_per_w,label_eta,label_mu\n",
              o.f);
        for (size_t i = 0; i < n; i++)
            write_mu_eta_row(o.f, &pts[i]);
        st = mlsim_chart_close(job, &o, st);
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
    st = mlsim_chart_script_begin(
        job, &o, "Figures of merit: \xce\xbc = FLOP/s per $, \xce\xb7 = FLOP/s per W", foot);
    if (st == MLSIM_OK) {
        const char *kinds[MLSIM_KIND_N];
        for (int k = 0; k < MLSIM_KIND_N; k++)
            kinds[k] = mlsim_kind_names[k];
        mlsim_chart_gp_array(o.f, "kind_name", kinds, MLSIM_KIND_N);
        st = mlsim_chart_script_end(job, &o);
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
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, "-roofs.csv", &o);
    if (st != MLSIM_OK)
        return st;
    fputs("intensity,roof_flops_s,fitted_flops_s\n", o.f);
    for (int k = -16; k <= 48; k++) {
        double ai = pow(2.0, k / 4.0);
        mlsim_chart_num(o.f, ai);
        mlsim_chart_csv_num(o.f, fmin(rf->peak, ai * rf->bw));
        mlsim_chart_csv_num(
            o.f, rf->ge > 0 && rf->me > 0 ? fmin(rf->peak * rf->ge, ai * rf->bw * rf->me) : NAN);
        fputc('\n', o.f);
    }
    return mlsim_chart_close(job, &o, MLSIM_OK);
}

/* The measured points at the roof's precision and calibration threads, with the model's
 * prediction of each. */
static enum mlsim_status write_points(struct mlsim_plot_job *job, const struct roof *rf,
                                      const struct mlsim_calib_data *data)
{
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_open(job, ".csv", &o);
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
        mlsim_chart_csv_num(o.f, p->m);
        mlsim_chart_csv_num(o.f, p->n);
        mlsim_chart_csv_num(o.f, p->k);
        mlsim_chart_csv_num(o.f, p->flops);
        mlsim_chart_csv_num(o.f, p->bytes);
        mlsim_chart_csv_num(o.f, p->seconds);
        mlsim_chart_csv_num(o.f, p->flops / p->bytes);
        mlsim_chart_csv_num(o.f, p->flops / p->seconds);
        mlsim_chart_csv_num(o.f, model > 0 ? p->flops / model : NAN);
        fputc('\n', o.f);
    }
    return mlsim_chart_close(job, &o, MLSIM_OK);
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
    struct mlsim_chart_out o = {0};
    enum mlsim_status st = mlsim_chart_script_begin(job, &o, title, foot);
    if (st != MLSIM_OK)
        return st;
    mlsim_chart_gp_str(o.f, "roofs", "roofline-roofs.csv");
    mlsim_chart_gp_num(o.f, "peak", rf->peak);
    mlsim_chart_gp_num(o.f, "bandwidth", rf->bw);
    mlsim_chart_gp_num(o.f, "ridge", rf->peak / rf->bw);
    mlsim_chart_gp_num(o.f, "calibrated", rf->ge > 0 && rf->me > 0 ? 1 : 0);
    mlsim_chart_gp_num(o.f, "has_points", points[0] ? 1 : 0);
    return mlsim_chart_script_end(job, &o);
}

enum mlsim_status mlsim_chart_roofline(struct mlsim_plot_job *job)
{
    const struct mlsim_device *dev;
    enum mlsim_status st = mlsim_hwdb_find(job->db, job->input, job->d, &dev);
    if (st == MLSIM_ERR_NOT_FOUND) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere("roofline"),
                           "no device '%s' in the hardware database", job->input);
        return MLSIM_ERR_INPUT;
    }
    if (st != MLSIM_OK)
        return st;
    if (dev->mem_bw_Bps <= 0) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(dev->path),
                           "device '%s' has no memory bandwidth: no roofline", dev->id);
        return MLSIM_ERR_INPUT;
    }
    struct mlsim_calib_data data;
    char points[MLSIM_CHART_PATH_LEN];
    st = read_points(job, dev, &data, points, sizeof points);
    struct roof rf;
    roof_init(&rf, dev, &data);
    if (st == MLSIM_OK && rf.peak <= 0) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(dev->path),
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
