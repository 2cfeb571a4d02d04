/*
 * Calibration from measured transformer layers. Where no GEMM benchmark of a GPU is at hand,
 * published timings of one transformer layer's forward and backward passes (Korthikanti et al.
 * 2022, Table 4, on A100s) still measure what its kernels reach. This module reads such timings
 * from a YAML file (validate/published/korthikanti2022_table4.yaml), times the same layers with
 * mlsim's kernel and collective models, and fits the one parameter those timings pin down best:
 * the device's large-GEMM efficiency. The fit minimises the squared logarithm of predicted over
 * measured time (GSL's Brent minimiser) and gives one standard error from the curvature, scaled by
 * the residual variance.
 */
#ifndef MLSIM_LAYERFIT_H
#define MLSIM_LAYERFIT_H

#include <stddef.h>

#include "mlsim/collective.h"
#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/kernel.h"
#include "mlsim/schema.h"
#include "mlsim/status.h"
#include "mlsim/workload.h"
#include "mlsim/ydoc.h"

/* One measured setting of the layer: its recomputation and sequence parallelism, and times. */
struct mlsim_layer_row {
    char name[64];
    int recompute;         /* enum mlsim_recompute */
    int sequence_parallel; /* 0 or 1 */
    double forward_s, backward_s;
    struct mlsim_loc loc;
    struct mlsim_provenance prov;
};

#define MLSIM_LAYERFIT_MAX_ROWS 16

/* A file of layer timings: the device and the layer's shape shared by every row. */
struct mlsim_layer_data {
    char title[128];
    char source[256];
    char device[64];
    int precision; /* enum mlsim_precision */
    char link[32]; /* the device link the tensor-parallel collectives use */
    int hidden, heads, seq_len, micro_batch, tp;
    int attention; /* enum mlsim_attention */
    struct mlsim_layer_row rows[MLSIM_LAYERFIT_MAX_ROWS];
    int n_rows;
    struct mlsim_provenance prov;
    struct mlsim_ydoc *doc; /* the file, which the places above point into */
};

/* Read PATH into *DATA; every fault (syntax, unknown key, missing field, bad value) is reported
 * into D with its place. Returns MLSIM_OK, MLSIM_ERR_IO or MLSIM_ERR_INPUT. */
enum mlsim_status mlsim_layerfit_read(const char *path, struct mlsim_layer_data *data,
                                      struct mlsim_diags *d);

/* Free what mlsim_layerfit_read kept (the document). */
void mlsim_layerfit_release(struct mlsim_layer_data *data);

/* The workload spec of ROW of DATA: one layer in the middle of a model (no embedding, no head). */
void mlsim_layerfit_spec(const struct mlsim_layer_data *data, const struct mlsim_layer_row *row,
                         struct mlsim_workload_spec *spec);

/* Forward and backward seconds of the layer of SPEC under KM, its tensor-parallel collectives
 * by a ring over TP_LINK (as the cluster simulation costs a stage). */
enum mlsim_status mlsim_layer_time(const struct mlsim_kernel_model *km,
                                   const struct mlsim_link_cost *tp_link,
                                   const struct mlsim_workload_spec *spec, double *fwd_s,
                                   double *bwd_s);

struct mlsim_layerfit {
    double gemm_eff, sigma; /* fitted large-GEMM efficiency and one standard error */
    double rms_rel;         /* root mean square of log(predicted / measured) */
    double fwd_s[MLSIM_LAYERFIT_MAX_ROWS], bwd_s[MLSIM_LAYERFIT_MAX_ROWS]; /* at the fit */
    int n_points;
};

/* The kernel model and tensor-parallel link of DATA's device DEV (link efficiency applied). */
enum mlsim_status mlsim_layerfit_models(const struct mlsim_layer_data *data,
                                        const struct mlsim_device *dev,
                                        struct mlsim_kernel_model *km,
                                        struct mlsim_link_cost *tp_link);

/* Fit DEV's large-GEMM efficiency to DATA. MLSIM_ERR_INPUT if a layer cannot be built or the
 * device lacks what the model needs (peak at the precision, bandwidth, the link). */
enum mlsim_status mlsim_layerfit_fit(const struct mlsim_layer_data *data,
                                     const struct mlsim_device *dev, struct mlsim_layerfit *fit);

#endif
