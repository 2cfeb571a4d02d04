/*
 * Calibration: fit mlsim's kernel-cost model (src/kernel.c) to measured kernel times. A
 * benchmark in validate/ writes CSV, one kernel per row; this module reads it and fits, by GSL's
 * nonlinear least squares on the logarithm of time (every point weighs by its relative error),
 * the large-GEMM efficiency, the three GEMM half sizes, the memory efficiency and the per-kernel
 * overhead, against a device's peak FLOP/s and memory bandwidth. The model evaluated in the fit is
 * mlsim_kernel_time itself, so what is fitted is what the simulator uses.
 */
#ifndef MLSIM_CALIBRATE_H
#define MLSIM_CALIBRATE_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/status.h"

enum mlsim_calib_kind { MLSIM_CALIB_GEMM, MLSIM_CALIB_MEMORY };

/* One measured kernel: a GEMM (M x K times K x N) or a memory-bound stream (bytes only). */
struct mlsim_calib_point {
    int kind;      /* enum mlsim_calib_kind */
    int threads;   /* CPU threads (or 1 for a GPU) */
    char prec[16]; /* "fp32", "fp64", "tf32", "fp16", "bf16" ... */
    double m, n, k;
    double flops, bytes;
    double seconds; /* median time of one call */
    int line;       /* in the CSV file, from 1 */
};

#define MLSIM_CALIB_MAX_HEADER 16

/* A CSV file's points and its '#' header lines (machine, BLAS, date). The caller owns it. */
struct mlsim_calib_data {
    struct mlsim_calib_point *points;
    size_t n;
    char header[MLSIM_CALIB_MAX_HEADER][256];
    int n_header;
};

/* The fitted parameters, in this order. */
enum mlsim_calib_param {
    MLSIM_CALIB_GEMM_EFF, /* large-GEMM efficiency, of peak */
    MLSIM_CALIB_HALF_M,   /* GEMM half sizes (elements) */
    MLSIM_CALIB_HALF_N,
    MLSIM_CALIB_HALF_K,
    MLSIM_CALIB_MEM_EFF,  /* of peak bandwidth */
    MLSIM_CALIB_OVERHEAD, /* seconds per kernel */
    MLSIM_CALIB_NPARAM
};

struct mlsim_calib_fit {
    double value[MLSIM_CALIB_NPARAM];
    double sigma[MLSIM_CALIB_NPARAM]; /* one standard error, scaled by the residual variance */
    double rms_rel;                   /* root mean square of log(model / measured) */
    size_t n_used;
    size_t iterations;
};

/* Read the CSV at PATH into *DATA. The first line that is not a '#' comment names the columns;
 * kind, precision, threads, m, n, k, flops, bytes and seconds are required (others are ignored).
 * kind is "gemm" or "triad"/"copy"/"memory". Every fault is reported into D as file:line:col.
 * Returns MLSIM_OK, MLSIM_ERR_IO, MLSIM_ERR_INPUT or MLSIM_ERR_NOMEM; on error *DATA is empty. */
enum mlsim_status mlsim_calibrate_read(const char *path, struct mlsim_calib_data *data,
                                       struct mlsim_diags *d);

/* Free the points of DATA (not DATA itself). */
void mlsim_calibrate_release(struct mlsim_calib_data *data);

/* Fit the model to the points of DATA at precision PREC and THREADS threads against PEAK_FLOPS
 * and BW_BPS. REL_ERR, if not NULL, gets data->n entries: model / measured - 1 for the points
 * used, NAN for the others. Returns MLSIM_ERR_INPUT if the selection lacks GEMM or memory points
 * or the peaks are not positive, MLSIM_ERR_RANGE if the solver fails to converge, MLSIM_ERR_NOMEM
 * on malloc failure. */
enum mlsim_status mlsim_calibrate_fit(const struct mlsim_calib_data *data, const char *prec,
                                      int threads, double peak_flops, double bw_Bps,
                                      struct mlsim_calib_fit *fit, double *rel_err);

/* Predicted seconds of point P under parameters VALUE (MLSIM_CALIB_NPARAM of them). */
double mlsim_calibrate_predict(const struct mlsim_calib_point *p, const double *value,
                               double peak_flops, double bw_Bps);

#endif
