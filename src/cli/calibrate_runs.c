/*
 * `mlsim calibrate RUNS.yaml`: fit a device's GEMM efficiency scale to published whole runs
 * (src/runfit.c), print every run's measured, as-held and fitted figure and the `calibration:`
 * lines for the device's hwdb file. A YAML file with `layers:` is a layer fit instead
 * (calibrate_layers.c); this file tells the two apart.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/outfile.h"
#include "mlsim/runfit.h"
#include "mlsim/scenario.h"
#include "mlsim/version.h"
#include "mlsim/ydoc.h"

#include "cli.h"

static void write_block(FILE *f, const char *path, const struct mlsim_device *dev,
                        const struct mlsim_runfit *fit)
{
    fprintf(f, "# Fitted by `mlsim calibrate %s --device %s` (mlsim %s): %zu run%s, rms error\n",
            path, dev->id, MLSIM_VERSION, fit->n, fit->n == 1 ? "" : "s");
    fprintf(f, "# of the log reference %.1f%%; the held efficiencies x %.4f +/- %.4f.\n",
            100 * fit->rms_log, fit->scale, fit->sigma);
    fprintf(f, "calibration:\n");
    fprintf(f, "  gemm_efficiency: %.4f      # +/- %.4f\n", fit->gemm_eff,
            fit->sigma * dev->calibration.gemm_efficiency);
    if (fit->fp8_eff > 0)
        fprintf(f, "  fp8_gemm_efficiency: %.4f  # the same scale\n", fit->fp8_eff);
}

static void print_runs(const struct mlsim_scenario *sc, const struct mlsim_runfit *fit)
{
    printf("  %-32s %-9s %10s %18s %18s\n", "run", "unit", "measured", "as held", "fitted");
    for (size_t i = 0; i < fit->n; i++) {
        const struct mlsim_run *r = &sc->runs[fit->run[i]];
        double m = fit->measured[i];
        printf("  %-32.32s %-9s %10.4g %10.4g %+6.1f%% %10.4g %+6.1f%%\n", r->name,
               r->ref_flops_per_device > 0 ? "TFLOP/s" : "s", m, fit->unfitted[i],
               100 * (fit->unfitted[i] / m - 1), fit->predicted[i],
               100 * (fit->predicted[i] / m - 1));
    }
    printf("\n");
}

/* The device to fit: ID, else that of the first run with a reference. */
static const char *device_of(const struct mlsim_scenario *sc, const char *id)
{
    if (id)
        return id;
    for (size_t i = 0; i < sc->n_runs; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        if (r->device && (r->ref_flops_per_device > 0 || r->ref_step_s > 0))
            return r->device->id;
    }
    return NULL;
}

static int fit_runs(const char *path, const char *device, struct mlsim_hwdb *db, const char *out,
                    int quiet, struct mlsim_diags *d)
{
    struct mlsim_scenario *sc = NULL;
    enum mlsim_status st = mlsim_scenario_load(path, d, &sc);
    if (st == MLSIM_OK)
        st = mlsim_scenario_resolve(sc, db, d);
    const struct mlsim_device *dev = NULL;
    const char *id = st == MLSIM_OK && mlsim_diags_errors(d) == 0 ? device_of(sc, device) : NULL;
    int rc = MLSIM_EXIT_INPUT;
    struct mlsim_runfit fit;
    if (st == MLSIM_ERR_NOMEM) {
        fputs("mlsim calibrate: error: out of memory\n", stderr);
    } else if (st != MLSIM_OK || mlsim_diags_errors(d) > 0) {
        mlsim_diags_print(d, stderr);
    } else if (!id) {
        fprintf(stderr, "mlsim calibrate: %s: no run has a reference to fit\n", path);
    } else if (mlsim_hwdb_find(db, id, d, &dev) != MLSIM_OK) {
        mlsim_diags_print(d, stderr);
        char hint[600];
        if (mlsim_diags_errors(d) == 0)
            fprintf(stderr, "mlsim calibrate: no device '%s' in %s%s\n", id, mlsim_hwdb_dir(db),
                    mlsim_hwdb_suggest(db, id, hint, sizeof hint));
    } else if (mlsim_runfit_fit(sc, dev, &fit, d) != MLSIM_OK) {
        mlsim_diags_print(d, stderr);
        if (mlsim_diags_errors(d) == 0)
            fprintf(stderr, "mlsim calibrate: %s: cannot fit %s to these runs\n", path, id);
    } else {
        /* -o is checked before anything is printed: a refused target leaves stdout empty */
        struct mlsim_outfile *of = NULL;
        const char *why = "";
        if (out && mlsim_outfile_open(out, &path, 1, &of, &why) != MLSIM_OK) {
            fprintf(stderr, "mlsim calibrate: error: %s: %s\n", out, why);
        } else {
            printf("Calibration of %s (%s) from %zu run%s of %s\n", dev->name, dev->id, fit.n,
                   fit.n == 1 ? "" : "s", path);
            if (sc->title[0])
                printf("  %s\n", sc->title);
            printf("  scale on the held GEMM efficiencies %.4f +/- %.4f: gemm_efficiency %.4f "
                   "(hwdb has %.4f)\n\n",
                   fit.scale, fit.sigma, fit.gemm_eff, dev->calibration.gemm_efficiency);
            if (!quiet)
                print_runs(sc, &fit);
            printf("  %zu run%s; rms error of the log reference %.1f%% at the fit\n\n", fit.n,
                   fit.n == 1 ? "" : "s", 100 * fit.rms_log);
            write_block(stdout, path, dev, &fit);
            rc = MLSIM_EXIT_OK;
            if (of) {
                write_block(mlsim_outfile_stream(of), path, dev, &fit);
                if (mlsim_outfile_commit(of, &why) != MLSIM_OK) {
                    fprintf(stderr, "mlsim calibrate: error: %s: %s\n", out, why);
                    rc = MLSIM_EXIT_INPUT;
                }
            }
        }
    }
    mlsim_scenario_free(sc);
    return rc;
}

int mlsim_cli_calibrate_yaml(const char *path, const char *device, const char *hwdb,
                             const char *out, int quiet)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = NULL;
    enum mlsim_status st = d ? mlsim_ydoc_load_file(path, d, &doc) : MLSIM_ERR_NOMEM;
    int layers = doc && mlsim_ynode_get(doc->root, "layers") != NULL;
    mlsim_ydoc_free(doc);
    int rc = MLSIM_EXIT_INPUT;
    struct mlsim_hwdb *db = NULL;
    if (st == MLSIM_ERR_NOMEM) {
        fputs("mlsim calibrate: error: out of memory\n", stderr);
    } else if (st != MLSIM_OK || mlsim_diags_errors(d) > 0) {
        mlsim_diags_print(d, stderr);
    } else if (layers) {
        rc = mlsim_cli_calibrate_layers(path, device, hwdb, out, quiet);
    } else if ((rc = mlsim_cli_open_hwdb(hwdb, NULL, 0, &db)) == MLSIM_EXIT_OK) {
        rc = fit_runs(path, device, db, out, quiet, d);
    }
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    return rc;
}
