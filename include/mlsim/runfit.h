/*
 * Calibration from measured whole runs. Where a device's GEMMs are measured one at a time (a
 * single-GEMM sweep, a best-shape search) but its training runs are also published, the runs
 * measure what the sweep cannot: sustained clocks under power for hours, and the kernels a
 * framework really launches. This module fits the one factor such runs pin down, a scale on the
 * device's large-GEMM efficiencies (bf16 and fp8 alike: the same chip at the same power), so that
 * mlsim's predictions of the runs' references (reference.tflops_per_device or iteration_time)
 * match them in the least squares of the logarithm, as layerfit.h does for layers.
 *
 * The runs are a scenario's (validate/published/mosaicml_mpt_fit.yaml): every run of the file on
 * the device is fitted, so the split between the runs fitted and the runs checked is the split of
 * the files, and a check file holds none of the fitted runs.
 */
#ifndef MLSIM_RUNFIT_H
#define MLSIM_RUNFIT_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/scenario.h"
#include "mlsim/status.h"

#define MLSIM_RUNFIT_MAX_RUNS 64

struct mlsim_runfit {
    double scale;    /* the fitted factor on the device's gemm and fp8 efficiencies */
    double sigma;    /* one standard error of SCALE (curvature, residual variance) */
    double rms_log;  /* root mean square of log(predicted / measured) at the fit */
    double gemm_eff; /* the device's gemm_efficiency times SCALE */
    double fp8_eff;  /* and its fp8_gemm_efficiency times SCALE (0 if it has none) */
    size_t n;        /* runs fitted */
    size_t run[MLSIM_RUNFIT_MAX_RUNS];       /* their indices in the scenario */
    double predicted[MLSIM_RUNFIT_MAX_RUNS]; /* at the fit, in the reference's unit */
    double measured[MLSIM_RUNFIT_MAX_RUNS];  /* the reference */
    double unfitted[MLSIM_RUNFIT_MAX_RUNS];  /* predicted with the device as it is (scale 1) */
};

/* Fit DEV's GEMM efficiency scale to the references of SC's runs (resolved) whose device is DEV
 * (by id). Each run is estimated with a scaled copy of its own device (its hardware.override
 * kept) and left as it was; FIT's efficiencies are DEV's (hwdb's) times the scale.
 * MLSIM_ERR_INPUT, reported into D, if no run of SC on DEV has a reference, more than
 * MLSIM_RUNFIT_MAX_RUNS do, or a run cannot be estimated. */
enum mlsim_status mlsim_runfit_fit(struct mlsim_scenario *sc, const struct mlsim_device *dev,
                                   struct mlsim_runfit *fit, struct mlsim_diags *d);

#endif
