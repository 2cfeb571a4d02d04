/*
 * Calibration: fit mlsim's kernel-cost model (src/kernel.c) to measured kernel times. A
 * benchmark in validate/ writes CSV, one kernel per row; this module reads it and fits, by GSL's
 * nonlinear least squares on the logarithm of time (every point weighs by its relative error),
 * the large-GEMM efficiency, the three GEMM half sizes, the memory efficiency, the per-kernel
 * overhead and, where the device gives its on-chip memory size, the bandwidth of kernels whose
 * bytes fit on chip, against a device's peak FLOP/s and memory bandwidth. The model evaluated in
 * the fit is mlsim_kernel_time itself, so what is fitted is what the simulator uses.
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
    char name[16];  /* the kind as the file names it: "gemm", "triad", "update" ... */
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
    MLSIM_CALIB_MEM_EFF,      /* of peak bandwidth */
    MLSIM_CALIB_OVERHEAD,     /* seconds per kernel */
    MLSIM_CALIB_ONCHIP_BW,    /* bytes/s of kernels that fit on chip (fitted); 0: one tier */
    MLSIM_CALIB_ONCHIP_BYTES, /* the on-chip size: held at the device's, never fitted */
    MLSIM_CALIB_NPARAM
};

/* What to fit: the rows of one precision and thread count (and, for memory-bound rows, of one
 * kind, or all if STREAM is NULL), against the device's peak FLOP/s at that precision, its memory
 * bandwidth and its on-chip memory size (0: no on-chip tier). */
struct mlsim_calib_spec {
    const char *prec;
    int threads;
    const char *stream;
    double peak_flops, bw_Bps, onchip_bytes;
};

struct mlsim_calib_fit {
    double value[MLSIM_CALIB_NPARAM];
    double sigma[MLSIM_CALIB_NPARAM]; /* one standard error, scaled by the residual variance */
    double rms_rel;                   /* root mean square of log(model / measured) */
    size_t n_used;
    size_t iterations;
    /* 1: the points were GEMMs alone (published sweeps): the efficiency, one half size shared
     * by M, N and K, and the overhead were fitted; the memory efficiency is mlsim's default */
    int gemm_only;
};

/* Read the CSV at PATH into *DATA. The first line that is not a '#' comment names the columns;
 * kind, precision, threads, m, n, k, flops, bytes and seconds are required (others are ignored).
 * kind is "gemm" or "triad"/"copy"/"memory". Every fault is reported into D as file:line:col.
 * Returns MLSIM_OK, MLSIM_ERR_IO, MLSIM_ERR_INPUT or MLSIM_ERR_NOMEM; on error *DATA is empty. */
enum mlsim_status mlsim_calibrate_read(const char *path, struct mlsim_calib_data *data,
                                       struct mlsim_diags *d);

/* Free the points of DATA (not DATA itself). */
void mlsim_calibrate_release(struct mlsim_calib_data *data);

/* Fit the model to the points of DATA that SPEC selects. A selection of GEMMs alone (a published
 * size sweep) fits the GEMM efficiency, one half size for all three dimensions and the overhead
 * (fit->gemm_only). The on-chip bandwidth is fitted only
 * where spec->onchip_bytes > 0 and memory points lie on both sides of it (fit->value of it is 0
 * otherwise); fit->value[MLSIM_CALIB_ONCHIP_BYTES] is spec->onchip_bytes. REL_ERR, if not NULL,
 * gets data->n entries: model / measured - 1 for the points used, NAN for the others. Returns
 * MLSIM_ERR_INPUT if the selection lacks GEMM points or memory points beyond the on-chip size, or
 * the peaks are not positive; MLSIM_ERR_RANGE if the solver fails to converge; MLSIM_ERR_NOMEM on
 * malloc failure. */
enum mlsim_status mlsim_calibrate_fit(const struct mlsim_calib_data *data,
                                      const struct mlsim_calib_spec *spec,
                                      struct mlsim_calib_fit *fit, double *rel_err);

/* Predicted seconds of point P under parameters VALUE (MLSIM_CALIB_NPARAM of them; a zero
 * MLSIM_CALIB_ONCHIP_BW means one bandwidth for every size). */
double mlsim_calibrate_predict(const struct mlsim_calib_point *p, const double *value,
                               double peak_flops, double bw_Bps);

#endif
