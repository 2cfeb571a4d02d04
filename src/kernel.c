/* The roofline kernel cost, with two matmul rates where a precision recipe splits them. */
#include "mlsim/kernel.h"

#include "mlsim/precision.h"

#include <stdio.h>

void mlsim_kernel_model_init_uniform(const struct mlsim_device *dev, int precision,
                                     struct mlsim_kernel_model *m)
{
    const struct mlsim_calibration *c = &dev->calibration;
    m->peak_flops = dev->peak_flops[precision];
    m->vector_flops = dev->peak_flops[MLSIM_PRECISION_FP32] > 0
                          ? dev->peak_flops[MLSIM_PRECISION_FP32]
                          : m->peak_flops;
    m->mem_bw_Bps = dev->mem_bw_Bps;
    m->calibrated_gemm = c->gemm_efficiency > 0;
    m->calibrated_mem = c->memory_efficiency > 0;
    m->calibrated_overhead = c->launch_s > 0;
    m->gemm_eff = m->calibrated_gemm ? c->gemm_efficiency : MLSIM_DEFAULT_GEMM_EFFICIENCY;
    mlsim_kernel_model_attention(m, dev, MLSIM_ATTENTION_FLASH);
    m->mem_eff = m->calibrated_mem ? c->memory_efficiency : MLSIM_DEFAULT_MEMORY_EFFICIENCY;
    m->overhead_s = m->calibrated_overhead ? c->launch_s : MLSIM_DEFAULT_KERNEL_OVERHEAD_S;
    m->gemm_half_m = c->gemm_half_m;
    m->gemm_half_n = c->gemm_half_n;
    m->gemm_half_k = c->gemm_half_k;
    m->onchip_bytes = dev->onchip_bytes;
    m->onchip_bw_Bps = c->onchip_bw_Bps;
    m->linear_flops = m->peak_flops;
    m->linear_eff = m->gemm_eff;
    m->linear_measured = 1;
    m->gemm_ceiling = !m->calibrated_gemm || c->gemm_ceiling == MLSIM_BOOL_TRUE;
}

void mlsim_kernel_model_attention(struct mlsim_kernel_model *m, const struct mlsim_device *dev,
                                  int attention)
{
    const struct mlsim_calibration *c = &dev->calibration;
    if (attention == MLSIM_ATTENTION_CUDNN && c->cudnn_efficiency > 0)
        m->flash_eff = c->cudnn_efficiency;
    else
        m->flash_eff = c->flash_efficiency > 0 ? c->flash_efficiency : m->gemm_eff;
}

void mlsim_kernel_model_init(const struct mlsim_device *dev, int precision,
                             struct mlsim_kernel_model *m)
{
    const struct mlsim_precision_type *r = mlsim_precision_recipe(precision);
    int compute = dev->peak_flops[r->compute] > 0 ? r->compute : precision;
    mlsim_kernel_model_init_uniform(dev, compute, m);
    if (!mlsim_precision_is_split(r))
        return;
    m->linear_flops = dev->peak_flops[r->linear];
    /* An fp8 GEMM reaches less of its (doubled) peak than a bf16 one: the H100's best shapes reach
     * 70.9% against 80.3% (Bekman's MAMF table). Where the device's calibration has an fp8
     * figure it is used; otherwise the 16-bit one is carried, which errs optimistic. */
    double narrow = r->linear == MLSIM_PRECISION_FP8 ? dev->calibration.fp8_gemm_efficiency : 0;
    m->linear_measured = narrow > 0;
    m->linear_eff = narrow > 0 ? narrow : m->gemm_eff;
}

/* x / (x + h): 1 for no shape dependence (h = 0) or an unknown dimension (x = 0). */
static double saturate(double x, double h)
{
    return h > 0 && x > 0 ? x / (x + h) : 1.0;
}

/* EFF times the shape factor, multiplied left to right (the order fixes the rounding). */
static double shaped(const struct mlsim_kernel_model *model, double eff, double m, double n,
                     double k)
{
    return eff * saturate(m, model->gemm_half_m) * saturate(n, model->gemm_half_n) *
           saturate(k, model->gemm_half_k);
}

double mlsim_kernel_gemm_efficiency(const struct mlsim_kernel_model *model, double m, double n,
                                    double k)
{
    return shaped(model, model->gemm_eff, m, n, k);
}

double mlsim_kernel_time(const struct mlsim_kernel_model *m, const struct mlsim_kernel *k)
{
    int matmul = k->kind == MLSIM_KERNEL_GEMM || k->kind == MLSIM_KERNEL_ATTENTION;
    int linear = k->kind == MLSIM_KERNEL_GEMM && k->linear;
    double eff = k->kind == MLSIM_KERNEL_GEMM ? mlsim_kernel_gemm_efficiency(m, k->m, k->n, k->k)
                                              : m->flash_eff;
    double rate = matmul ? m->peak_flops * eff : m->vector_flops;
    if (linear) /* the same shape falloff, on the linear precision's peak and efficiency */
        rate = m->linear_flops * shaped(m, m->linear_eff, k->m, k->n, k->k);
    double compute = rate > 0 ? k->flops / rate : 0.0;
    double bw = m->mem_bw_Bps * m->mem_eff;
    if (m->onchip_bw_Bps > 0 && k->bytes <= m->onchip_bytes)
        bw = m->onchip_bw_Bps;
    double memory = m->mem_bw_Bps > 0 ? k->bytes / bw : 0.0;
    return m->overhead_s + (compute > memory ? compute : memory);
}

const char *mlsim_kernel_ceiling_text(const struct mlsim_device *dev,
                                      const struct mlsim_kernel_model *m, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (m->gemm_ceiling && !m->calibrated_gemm)
        snprintf(
            buf, len,
            "%s: UNCALIBRATED: its GEMM efficiency %.3g is mlsim's default ceiling (the median "
            "best-shape matmul of 12 accelerators), fitted to no measurement of this device; "
            "it errs optimistic (step times short) wherever real work falls below the best "
            "shape, as the A100's layer-fitted 0.696 does below its 0.869",
            dev->id, m->gemm_eff);
    else if (m->gemm_ceiling)
        snprintf(buf, len,
                 "%s: UNCALIBRATED ceiling: its GEMM efficiency %.3g is the best shape of a single "
                 "matmul, fitted to no training work%s; it errs optimistic (step times short), as "
                 "the A100's layer-fitted 0.696 sits below its best-shape 0.869",
                 dev->id, m->gemm_eff,
                 m->gemm_half_m > 0
                     ? " (its size falloff is fitted to a GEMM sweep)"
                     : " and without a size falloff (every GEMM at that efficiency)");
    return buf;
}
