/*
 * What a kernel costs on a device: a roofline with efficiencies. A kernel takes a fixed time
 * (launch and ramp) plus the longer of its compute time, FLOPs / (peak x GEMM efficiency), and
 * its memory time, bytes / (bandwidth x memory efficiency). A GEMM's efficiency falls for small
 * shapes: it is the large-GEMM efficiency times s(M) s(N) s(K), s(x) = x / (x + h), where h is the
 * dimension at which that dimension alone halves it (tiles and vector lanes left idle). The
 * efficiencies come from the device's `calibration:` block in hwdb (fitted to measurements by
 * `mlsim calibrate`), or else from the defaults below, each with its source; without fitted half
 * sizes a GEMM's efficiency does not depend on its shape. Where the calibration gives an on-chip
 * bandwidth, a kernel that moves no more bytes than the device's on-chip memory holds (its bytes
 * bound its footprint from above) streams at that bandwidth instead of the DRAM one: caches on a
 * CPU, whose bandwidth is several times DRAM's. A training run's precision recipe (precision.h)
 * gives two matmul rates: its linear layers' GEMMs at the linear precision's peak and efficiency
 * (fp8: the calibration's fp8 efficiency where measured), every other matmul at the compute
 * precision's.
 */
#ifndef MLSIM_KERNEL_H
#define MLSIM_KERNEL_H

#include "mlsim/hwdb.h"
#include "mlsim/workload.h"

/* Median of the 12 bf16 "maximum achievable matmul FLOPS" measurements (A100 to MI355X) in
 * S. Bekman, Machine Learning Engineering, compute/accelerator (78.1%). */
#define MLSIM_DEFAULT_GEMM_EFFICIENCY 0.781
/* A streaming read kernel on an A100 80GB SXM reached 1.80 of 2.04 TB/s (NVIDIA developer forum,
 * "Trouble to reach peak bandwidth of A100", citing a GTC talk where no kernel passed ~90%). */
#define MLSIM_DEFAULT_MEMORY_EFFICIENCY 0.88
/* Smallest GEMM time in the XLA GPU cost model's profiled table (sm_90, bf16, 256^3 at 6.72
 * TFLOP/s: 5.0 us), taken as the fixed time of any kernel. */
#define MLSIM_DEFAULT_KERNEL_OVERHEAD_S 5.0e-6

/* The device as the kernel model sees it, at one precision recipe. */
struct mlsim_kernel_model {
    double peak_flops;   /* matmuls at the recipe's compute precision */
    double linear_flops; /* linear-layer GEMMs (kernels marked linear) at its linear precision */
    double linear_eff;   /* their large-GEMM efficiency */
    double vector_flops; /* fp32, for the arithmetic of memory-bound kernels */
    double mem_bw_Bps;
    double gemm_eff;
    double flash_eff; /* FlashAttention's kernels, of peak_flops (the device's, or gemm_eff) */
    double mem_eff;
    double overhead_s;
    int calibrated_gemm, calibrated_mem, calibrated_overhead; /* from hwdb, not defaults */
    double gemm_half_m, gemm_half_n, gemm_half_k;             /* 0: no shape dependence */
    double onchip_bytes;  /* kernels moving at most this many bytes ... */
    double onchip_bw_Bps; /* ... stream at this bandwidth (effective); 0: one tier */
    /* The GEMM efficiency is an uncalibrated ceiling (no fit to measured training work: mlsim's
     * default, or a best-shape single-GEMM figure the device file marks `ceiling: true`); it
     * errs optimistic. The report says so (mlsim_kernel_ceiling_text). */
    int gemm_ceiling;
    int linear_measured; /* linear_eff measured at the linear precision (not carried from 16 bits)
                          */
};

/* Fill *M for a training run on DEV at PRECISION (enum mlsim_precision), by its recipe: matmuls at
 * the recipe's compute precision (or at PRECISION itself where the device lacks that one: the TPU
 * v1 has only int8), linear GEMMs at its linear precision. */
void mlsim_kernel_model_init(const struct mlsim_device *dev, int precision,
                             struct mlsim_kernel_model *m);

/* Set M's fused-attention efficiency (flash_eff) for attention backend ATTENTION (enum
 * mlsim_attention) on DEV: cuDNN's where DEV gives it and ATTENTION is MLSIM_ATTENTION_CUDNN,
 * FlashAttention-2's otherwise (as mlsim_kernel_model_init sets it). */
void mlsim_kernel_model_attention(struct mlsim_kernel_model *m, const struct mlsim_device *dev,
                                  int attention);

/* Fill *M for DEV with every kernel at PRECISION (inference; calibration against one peak). */
void mlsim_kernel_model_init_uniform(const struct mlsim_device *dev, int precision,
                                     struct mlsim_kernel_model *m);

/* Write into BUF (LEN bytes) the sentence that says M's GEMM efficiency is an uncalibrated ceiling
 * of DEV and which way it errs; "" if M is calibrated. Returns BUF. */
const char *mlsim_kernel_ceiling_text(const struct mlsim_device *dev,
                                      const struct mlsim_kernel_model *m, char *buf, size_t len);

/* GEMM efficiency of an M x N x K GEMM under MODEL (large-GEMM efficiency times the shape factor).
 */
double mlsim_kernel_gemm_efficiency(const struct mlsim_kernel_model *model, double m, double n,
                                    double k);

/* Seconds kernel K takes under M. */
double mlsim_kernel_time(const struct mlsim_kernel_model *m, const struct mlsim_kernel *k);

#endif
