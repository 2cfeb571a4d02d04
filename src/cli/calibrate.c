/*
 * `mlsim calibrate FILE.csv --device ID`: fit the kernel-cost model to a benchmark's measured
 * kernel times (validate/bench_cpu, validate/bench_cuda) against the device's peak FLOP/s and
 * bandwidth from hwdb; print the fitted parameters with their standard errors, every point's
 * error, and the `calibration:` block (and its `sources:` entry) for the device's file.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/calibrate.h"
#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/outfile.h"
#include "mlsim/version.h"

#include "cli.h"

static const char usage_text[] =
    "usage: mlsim calibrate FILE.csv --device ID [--precision P] [--threads N] [--stream KIND]\n"
    "                       [--hwdb DIR] [-o BLOCK.yaml] [--quiet]\n"
    "  Fit gemm_efficiency, gemm_half_m/n/k, memory_efficiency and launch_overhead (and, if the\n"
    "  device gives memory.on_chip, onchip_bandwidth) to the measured kernel times in FILE.csv\n"
    "  against device ID's peak (at precision P, default fp32) and memory bandwidth, using the\n"
    "  rows measured with N threads (default: the most) and, of the memory-bound rows, those of\n"
    "  kind KIND (triad, update, ...; default: all).\n"
    "  -o writes the calibration block and its source entry to BLOCK.yaml.\n"
    "usage: mlsim calibrate LAYERS.yaml [--device ID] [--hwdb DIR] [-o BLOCK.yaml] [--quiet]\n"
    "  Fit gemm_efficiency to measured forward and backward times of transformer layers\n"
    "  (validate/published/korthikanti2022_table4.yaml), on the device the file names or ID.\n"
    "usage: mlsim calibrate RUNS.yaml [--device ID] [--hwdb DIR] [-o BLOCK.yaml] [--quiet]\n"
    "  Fit a scale on device ID's GEMM efficiencies (bf16 and fp8) to the references of a\n"
    "  scenario's runs on it (validate/published/mosaicml_mpt_fit.yaml); ID defaults to the\n"
    "  device of the first run with a reference.\n";

struct cal_opts {
    const char *csv, *device, *prec, *hwdb, *out, *stream;
    int threads, quiet;
};

static int parse_int(const char *s, int *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end || x < 1 || x > 1000000)
        return 0;
    *v = (int)x;
    return 1;
}

/* Set option A (one that takes a value) to V; 0 if V is not valid for it. */
static int set_option(struct cal_opts *o, const char *a, const char *v)
{
    if (strcmp(a, "--device") == 0)
        o->device = v;
    else if (strcmp(a, "--precision") == 0)
        o->prec = v;
    else if (strcmp(a, "--threads") == 0)
        return parse_int(v, &o->threads);
    else if (strcmp(a, "--hwdb") == 0)
        o->hwdb = v;
    else if (strcmp(a, "--stream") == 0)
        o->stream = v;
    else
        o->out = v; /* -o */
    return 1;
}

/* A file of layer timings (YAML) rather than a benchmark's CSV. */
static int is_yaml(const char *path)
{
    size_t n = strlen(path);
    return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

static int parse(int argc, char **argv, struct cal_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int takes = strcmp(a, "--device") == 0 || strcmp(a, "--precision") == 0 ||
                    strcmp(a, "--threads") == 0 || strcmp(a, "--hwdb") == 0 ||
                    strcmp(a, "--stream") == 0 || strcmp(a, "-o") == 0;
        if (strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
            continue;
        }
        if (takes) {
            if (i + 1 >= argc || !set_option(o, a, argv[i + 1]))
                return 0;
            i++;
            continue;
        }
        if (a[0] == '-') { /* with the option it may have meant */
            static const struct option known[] = {
                {"device", required_argument, NULL, 0},  {"precision", required_argument, NULL, 0},
                {"threads", required_argument, NULL, 0}, {"hwdb", required_argument, NULL, 0},
                {"stream", required_argument, NULL, 0},  {"quiet", no_argument, NULL, 0},
                {"help", no_argument, NULL, 0},          {NULL, 0, NULL, 0}};
            char bad[128];
            fprintf(stderr, "mlsim calibrate: unknown option %s\n",
                    mlsim_cli_bad_option(a, known, bad, sizeof bad));
            return 0;
        }
        if (o->csv)
            return 0;
        o->csv = a;
    }
    return o->csv && (o->device || is_yaml(o->csv));
}

static int most_threads(const struct mlsim_calib_data *data, const char *prec)
{
    int t = 0;
    for (size_t i = 0; i < data->n; i++) {
        const struct mlsim_calib_point *p = &data->points[i];
        if (p->kind == MLSIM_CALIB_GEMM && strcmp(p->prec, prec) == 0 && p->threads > t)
            t = p->threads;
    }
    return t;
}

static const char *const param_names[MLSIM_CALIB_NPARAM] = {
    "gemm_efficiency",   "gemm_half_m",     "gemm_half_n",      "gemm_half_k",
    "memory_efficiency", "launch_overhead", "onchip_bandwidth", "on-chip size"};

static void print_points(const struct mlsim_calib_data *data, const struct mlsim_calib_fit *fit,
                         const double *rel, const struct mlsim_calib_spec *spec)
{
    printf("\n  %-6s %6s %6s %6s %12s %12s %12s %8s\n", "kind", "m", "n", "k", "measured",
           "predicted", "rate", "error");
    double worst = 0;
    for (size_t i = 0; i < data->n; i++) {
        const struct mlsim_calib_point *p = &data->points[i];
        if (isnan(rel[i]))
            continue;
        double t = mlsim_calibrate_predict(p, fit->value, spec->peak_flops, spec->bw_Bps);
        int gemm = p->kind == MLSIM_CALIB_GEMM;
        printf("  %-6s %6.0f %6.0f %6.0f %9.4g us %9.4g us %7.4g %s %+7.1f%%\n", p->name, p->m,
               p->n, p->k, p->seconds * 1e6, t * 1e6,
               (gemm ? p->flops : p->bytes) / p->seconds / 1e9, gemm ? "GF/s" : "GB/s",
               100 * rel[i]);
        worst = fabs(rel[i]) > worst ? fabs(rel[i]) : worst;
    }
    printf("\n  %zu points; rms error of log time %.1f%%, largest error %.1f%%\n", fit->n_used,
           100 * fit->rms_rel, 100 * worst);
}

/* The command that reproduces the fit, for the block's comments. */
static void print_command(FILE *f, const struct cal_opts *o, int threads)
{
    fprintf(f, "mlsim calibrate %s --device %s --precision %s --threads %d", o->csv, o->device,
            o->prec, threads);
    if (o->stream)
        fprintf(f, " --stream %s", o->stream);
}

static void write_block(FILE *f, const struct cal_opts *o, const struct mlsim_calib_fit *fit,
                        int threads)
{
    const double *v = fit->value, *s = fit->sigma;
    fprintf(f, "# Fitted by `");
    print_command(f, o, threads);
    fprintf(f,
            "`\n# (mlsim %s): %zu points, rms error of log time %.1f%%; +/- one standard error.\n",
            MLSIM_VERSION, fit->n_used, 100 * fit->rms_rel);
    fprintf(f, "calibration:\n");
    fprintf(f, "  gemm_efficiency: %.4f      # +/- %.4f\n", v[0], s[0]);
    for (int i = MLSIM_CALIB_HALF_M; i <= MLSIM_CALIB_HALF_K; i++)
        fprintf(f, "  %s: %-10.3g  # +/- %.2g\n", param_names[i], v[i], s[i]);
    if (!fit->gemm_only)
        fprintf(f, "  memory_efficiency: %.4f    # +/- %.4f\n", v[4], s[4]);
    fprintf(f, "  launch_overhead: %.4g us   # +/- %.2g us\n", v[5] * 1e6, s[5] * 1e6);
    if (fit->gemm_only) /* single matmuls, no training work: the report flags it */
        fprintf(f, "  ceiling: true\n");
    if (v[MLSIM_CALIB_ONCHIP_BW] > 0)
        fprintf(f, "  onchip_bandwidth: %.4g GB/s  # +/- %.2g GB/s, kernels of up to %.4g MB\n",
                v[MLSIM_CALIB_ONCHIP_BW] / 1e9, s[MLSIM_CALIB_ONCHIP_BW] / 1e9,
                v[MLSIM_CALIB_ONCHIP_BYTES] / 1e6);
    fprintf(f, "  threads: %d\n", threads);
    fprintf(f, "# and under sources:\n");
    fprintf(f, "#  - for: [calibration]\n");
    fprintf(f, "#    cite: \"Measured: %s, fitted by `", o->csv);
    print_command(f, o, threads);
    fprintf(f, "`\"\n");
}

static void print_params(const struct mlsim_calib_fit *fit, const struct mlsim_calib_spec *spec)
{
    for (int i = 0; i <= MLSIM_CALIB_ONCHIP_BW; i++) {
        if (i == MLSIM_CALIB_ONCHIP_BW && fit->value[i] <= 0)
            break;
        if (i == MLSIM_CALIB_MEM_EFF && fit->gemm_only)
            continue;
        double scale = i == MLSIM_CALIB_OVERHEAD ? 1e6 : i == MLSIM_CALIB_ONCHIP_BW ? 1e-9 : 1.0;
        const char *unit = i == MLSIM_CALIB_OVERHEAD    ? " us"
                           : i == MLSIM_CALIB_ONCHIP_BW ? " GB/s"
                                                        : "";
        printf("  %-18s %10.4g +/- %-9.2g%s\n", param_names[i], fit->value[i] * scale,
               fit->sigma[i] * scale, unit);
    }
    printf("  large-GEMM rate %.4g GFLOP/s, stream %.4g GB/s",
           fit->value[0] * spec->peak_flops / 1e9, fit->value[4] * spec->bw_Bps / 1e9);
    if (fit->value[MLSIM_CALIB_ONCHIP_BW] > 0)
        printf(" (%.4g GB/s up to %.4g MB on chip)", fit->value[MLSIM_CALIB_ONCHIP_BW] / 1e9,
               spec->onchip_bytes / 1e6);
    printf("; %zu iterations\n", fit->iterations);
}

/* The largest memory-bound row that SPEC selects (bytes; 0 if none). */
static double largest_stream(const struct mlsim_calib_data *data,
                             const struct mlsim_calib_spec *spec)
{
    double most = 0;
    for (size_t i = 0; i < data->n; i++) {
        const struct mlsim_calib_point *p = &data->points[i];
        if (p->kind == MLSIM_CALIB_MEMORY && p->threads == spec->threads &&
            strcmp(p->prec, spec->prec) == 0 &&
            (!spec->stream || strcmp(p->name, spec->stream) == 0))
            most = p->bytes > most ? p->bytes : most;
    }
    return most;
}

/* Why the fit was refused, with the sizes that decide it: a sweep whose streams stop inside the
 * device's on-chip memory (an old bench_cpu --quick) cannot fit the DRAM tier. */
static void refused(const struct cal_opts *o, const struct mlsim_calib_data *data,
                    const struct mlsim_calib_spec *spec, enum mlsim_status st)
{
    fprintf(stderr,
            "mlsim calibrate: %s: %s (%s at %d threads; needs GEMM rows and %s rows larger "
            "than the device's on-chip memory, and the device's %s peak and memory "
            "bandwidth)\n",
            o->csv, mlsim_status_message(st), o->prec, spec->threads,
            o->stream ? o->stream : "stream", o->prec);
    double most = largest_stream(data, spec);
    if (st == MLSIM_ERR_INPUT && spec->onchip_bytes > 0 && most <= spec->onchip_bytes)
        fprintf(stderr,
                "mlsim calibrate: the largest %s row is %.4g MB, the device's on-chip memory "
                "%.4g MB: measure beyond it (validate/bench_cpu, --quick included, streams to "
                "640 MiB)\n",
                o->stream ? o->stream : "stream", most / 1e6, spec->onchip_bytes / 1e6);
}

static int report(const struct cal_opts *o, const struct mlsim_device *dev,
                  const struct mlsim_calib_data *data, int threads, int prec)
{
    double *rel = malloc((data->n ? data->n : 1) * sizeof *rel);
    struct mlsim_calib_fit fit;
    struct mlsim_calib_spec spec = {
        o->prec, threads, o->stream, dev->peak_flops[prec], dev->mem_bw_Bps, dev->onchip_bytes};
    enum mlsim_status st = rel ? mlsim_calibrate_fit(data, &spec, &fit, rel) : MLSIM_ERR_NOMEM;
    if (st != MLSIM_OK) {
        refused(o, data, &spec, st);
        free(rel);
        return MLSIM_EXIT_INPUT;
    }
    /* -o is checked before anything is printed: a refused target leaves stdout empty */
    struct mlsim_outfile *of = NULL;
    const char *why = "";
    if (o->out && mlsim_outfile_open(o->out, &o->csv, 1, &of, &why) != MLSIM_OK) {
        fprintf(stderr, "mlsim calibrate: error: %s: %s\n", o->out, why);
        free(rel);
        return MLSIM_EXIT_INPUT;
    }
    printf("Calibration of %s (%s) from %s: %s, %d thread%s\n", dev->name, dev->id, o->csv, o->prec,
           threads, threads == 1 ? "" : "s");
    for (int i = 0; i < data->n_header; i++)
        printf("  #%s\n", data->header[i]);
    printf("  peak %.4g GFLOP/s, memory bandwidth %.4g GB/s, on chip %.4g MB (hwdb)\n\n",
           spec.peak_flops / 1e9, spec.bw_Bps / 1e9, spec.onchip_bytes / 1e6);
    print_params(&fit, &spec);
    if (!o->quiet)
        print_points(data, &fit, rel, &spec);
    printf("\n");
    write_block(stdout, o, &fit, threads);
    int rc = MLSIM_EXIT_OK;
    if (of) {
        write_block(mlsim_outfile_stream(of), o, &fit, threads);
        if (mlsim_outfile_commit(of, &why) != MLSIM_OK) {
            fprintf(stderr, "mlsim calibrate: error: %s: %s\n", o->out, why);
            rc = MLSIM_EXIT_INPUT;
        }
    }
    if (fit.value[0] > 1 || (!fit.gemm_only && fit.value[4] > 1)) {
        fprintf(stderr, "mlsim calibrate: an efficiency above 1: is the device's peak right?\n");
        rc = MLSIM_EXIT_INPUT;
    }
    free(rel);
    return rc;
}

int mlsim_cli_calibrate(int argc, char **argv)
{
    struct cal_opts o = {NULL, NULL, "fp32", NULL, NULL, NULL, 0, 0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return MLSIM_EXIT_OK;
        }
    }
    if (!parse(argc, argv, &o)) {
        fputs(usage_text, stderr);
        return MLSIM_EXIT_USAGE;
    }
    if (is_yaml(o.csv))
        return mlsim_cli_calibrate_yaml(o.csv, o.device, o.hwdb, o.out, o.quiet);
    int prec = -1;
    for (int i = 0; i < MLSIM_PRECISION_N; i++) {
        if (strcmp(mlsim_precision_names[i], o.prec) == 0)
            prec = i;
    }
    if (prec < 0) {
        fprintf(stderr, "mlsim calibrate: unknown precision '%s'\n", o.prec);
        return MLSIM_EXIT_USAGE;
    }
    char buf[PATH_MAX + 32];
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(mlsim_cli_locate_hwdb(o.hwdb, buf, sizeof buf));
    struct mlsim_calib_data data = {0};
    const struct mlsim_device *dev = NULL;
    int rc = MLSIM_EXIT_INPUT;
    /* the measurements, then the device; out of memory at either step is said as such */
    enum mlsim_status st = d && db ? mlsim_calibrate_read(o.csv, &data, d) : MLSIM_ERR_NOMEM;
    int read_ok = st == MLSIM_OK;
    if (read_ok)
        st = mlsim_hwdb_find(db, o.device, d, &dev);
    if (st == MLSIM_ERR_NOMEM) {
        fprintf(stderr, "mlsim calibrate: error: out of memory\n");
    } else if (st != MLSIM_OK) {
        mlsim_diags_print(d, stderr);
        char hint[600];
        if (read_ok && mlsim_diags_errors(d) == 0)
            fprintf(stderr, "mlsim calibrate: no device '%s' in %s%s\n", o.device,
                    mlsim_hwdb_dir(db), mlsim_hwdb_suggest(db, o.device, hint, sizeof hint));
    } else {
        int threads = o.threads ? o.threads : most_threads(&data, o.prec);
        rc = report(&o, dev, &data, threads, prec);
    }
    mlsim_calibrate_release(&data);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    return rc;
}
