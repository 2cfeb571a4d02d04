/*
 * `mlsim calibrate LAYERS.yaml`: fit a device's large-GEMM efficiency to measured transformer-
 * layer times (src/layerfit.c) and print every layer's measured and fitted time and the
 * `calibration:` block for the device's hwdb file.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/layerfit.h"
#include "mlsim/outfile.h"
#include "mlsim/version.h"

#include "cli.h"

static void write_block(FILE *f, const char *path, const struct mlsim_layer_data *data,
                        const struct mlsim_layerfit *fit)
{
    fprintf(f, "# Fitted by `mlsim calibrate %s` (mlsim %s):\n", path, MLSIM_VERSION);
    fprintf(f, "# %d layer times, rms error of log time %.1f%%; with one standard error.\n",
            fit->n_points, 100 * fit->rms_rel);
    fprintf(f, "calibration:\n");
    fprintf(f, "  gemm_efficiency: %.4f\n", fit->gemm_eff);
    fprintf(f, "  gemm_efficiency_se: %.4f   # drawn with a run's uncertain inputs\n", fit->sigma);
    fprintf(f, "# and under sources:\n");
    fprintf(f, "#  - for: [calibration]\n");
    fprintf(f, "#    cite: \"Fitted by `mlsim calibrate %s` to %s\"\n", path,
            data->source[0] ? data->source : "measured layer times");
}

static void print_rows(const struct mlsim_layer_data *data, const struct mlsim_layerfit *fit)
{
    printf("  %-34s %27s   %27s\n", "", "forward (ms)", "backward (ms)");
    printf("  %-34s %9s %9s %7s   %9s %9s %7s\n", "layer", "measured", "fitted", "error",
           "measured", "fitted", "error");
    double worst = 0;
    for (int i = 0; i < data->n_rows; i++) {
        const struct mlsim_layer_row *r = &data->rows[i];
        double ef = fit->fwd_s[i] / r->forward_s - 1, eb = fit->bwd_s[i] / r->backward_s - 1;
        printf("  %-34.34s %9.3g %9.3g %+6.1f%%   %9.3g %9.3g %+6.1f%%\n", r->name,
               r->forward_s * 1e3, fit->fwd_s[i] * 1e3, 100 * ef, r->backward_s * 1e3,
               fit->bwd_s[i] * 1e3, 100 * eb);
        worst = fabs(ef) > worst ? fabs(ef) : worst;
        worst = fabs(eb) > worst ? fabs(eb) : worst;
    }
    printf("\n  %d times; rms error of log time %.1f%%, largest error %.1f%%\n", fit->n_points,
           100 * fit->rms_rel, 100 * worst);
}

static int report(const char *path, const char *out, int quiet, const struct mlsim_device *dev,
                  const struct mlsim_layer_data *data)
{
    struct mlsim_layerfit fit;
    struct mlsim_kernel_model km;
    struct mlsim_link_cost link;
    enum mlsim_status st = mlsim_layerfit_models(data, dev, &km, &link);
    if (st == MLSIM_OK)
        st = mlsim_layerfit_fit(data, dev, &fit);
    if (st == MLSIM_ERR_NOMEM) {
        fputs("mlsim calibrate: error: out of memory\n", stderr);
        return MLSIM_EXIT_INPUT;
    }
    if (st != MLSIM_OK) {
        fprintf(stderr,
                "mlsim calibrate: %s: cannot time these layers on %s (needs its %s peak, its "
                "memory bandwidth, the link '%s', and heads and widths that divide by tp %d)\n",
                path, dev->id, mlsim_precision_names[data->precision], data->link, data->tp);
        return MLSIM_EXIT_INPUT;
    }
    /* -o is checked before anything is printed: a refused target leaves stdout empty */
    struct mlsim_outfile *of = NULL;
    const char *why = "";
    if (out && mlsim_outfile_open(out, &path, 1, &of, &why) != MLSIM_OK) {
        fprintf(stderr, "mlsim calibrate: error: %s: %s\n", out, why);
        return MLSIM_EXIT_INPUT;
    }
    printf("Calibration of %s (%s) from %s\n", dev->name, dev->id, path);
    if (data->title[0])
        printf("  %s\n", data->title);
    printf("  layer: hidden %d, %d heads, sequences of %d, micro-batch %d, %s, tensor-parallel %d "
           "over %s at %.4g GB/s\n",
           data->hidden, data->heads, data->seq_len, data->micro_batch,
           mlsim_precision_names[data->precision], data->tp, data->link, link.bw_Bps / 1e9);
    printf("  peak %.4g TFLOP/s, memory %.4g GB/s at efficiency %.3g (held), %.3g us per kernel "
           "(held)\n\n",
           km.peak_flops / 1e12, km.mem_bw_Bps / 1e9, km.mem_eff, km.overhead_s * 1e6);
    printf(
        "  gemm_efficiency    %10.4f +/- %.4f  (large-GEMM rate %.4g TFLOP/s; hwdb has %.4g)\n\n",
        fit.gemm_eff, fit.sigma, fit.gemm_eff * km.peak_flops / 1e12, km.gemm_eff);
    if (!quiet)
        print_rows(data, &fit);
    printf("\n");
    write_block(stdout, path, data, &fit);
    if (of) {
        write_block(mlsim_outfile_stream(of), path, data, &fit);
        if (mlsim_outfile_commit(of, &why) != MLSIM_OK) {
            fprintf(stderr, "mlsim calibrate: error: %s: %s\n", out, why);
            return MLSIM_EXIT_INPUT;
        }
    }
    return MLSIM_EXIT_OK;
}

int mlsim_cli_calibrate_layers(const char *path, const char *device, const char *hwdb,
                               const char *out, int quiet)
{
    char buf[PATH_MAX + 32];
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(mlsim_cli_locate_hwdb(hwdb, buf, sizeof buf));
    struct mlsim_layer_data data;
    const struct mlsim_device *dev = NULL;
    int rc = MLSIM_EXIT_INPUT;
    memset(&data, 0, sizeof data);
    enum mlsim_status st = MLSIM_ERR_NOMEM;
    if (!d || !db || (st = mlsim_layerfit_read(path, &data, d)) == MLSIM_ERR_NOMEM) {
        fprintf(stderr, "mlsim calibrate: error: out of memory\n");
    } else if (st != MLSIM_OK) {
        mlsim_diags_print(d, stderr);
        if (mlsim_diags_errors(d) == 0)
            fprintf(stderr, "mlsim calibrate: cannot read %s\n", path);
    } else {
        const char *id = device ? device : data.device;
        if ((st = mlsim_hwdb_find(db, id, d, &dev)) == MLSIM_ERR_NOMEM) {
            fprintf(stderr, "mlsim calibrate: error: out of memory\n");
        } else if (st != MLSIM_OK) {
            mlsim_diags_print(d, stderr);
            if (mlsim_diags_errors(d) == 0) {
                char hint[600];
                fprintf(stderr, "mlsim calibrate: no device '%s' in %s%s\n", id, mlsim_hwdb_dir(db),
                        mlsim_hwdb_suggest(db, id, hint, sizeof hint));
            }
        } else {
            rc = report(path, out, quiet, dev, &data);
        }
    }
    mlsim_layerfit_release(&data);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    return rc;
}
