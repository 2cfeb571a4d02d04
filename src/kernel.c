/* The roofline kernel cost. */
#include "mlsim/kernel.h"

void mlsim_kernel_model_init(const struct mlsim_device *dev, int precision,
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
    m->mem_eff = m->calibrated_mem ? c->memory_efficiency : MLSIM_DEFAULT_MEMORY_EFFICIENCY;
    m->overhead_s = m->calibrated_overhead ? c->launch_s : MLSIM_DEFAULT_KERNEL_OVERHEAD_S;
    m->gemm_half_m = c->gemm_half_m;
    m->gemm_half_n = c->gemm_half_n;
    m->gemm_half_k = c->gemm_half_k;
    m->onchip_bytes = dev->onchip_bytes;
    m->onchip_bw_Bps = c->onchip_bw_Bps;
}

/* x / (x + h): 1 for no shape dependence (h = 0) or an unknown dimension (x = 0). */
static double saturate(double x, double h)
{
    return h > 0 && x > 0 ? x / (x + h) : 1.0;
}

double mlsim_kernel_gemm_efficiency(const struct mlsim_kernel_model *model, double m, double n,
                                    double k)
{
    return model->gemm_eff * saturate(m, model->gemm_half_m) * saturate(n, model->gemm_half_n) *
           saturate(k, model->gemm_half_k);
}

double mlsim_kernel_time(const struct mlsim_kernel_model *m, const struct mlsim_kernel *k)
{
    int matmul = k->kind == MLSIM_KERNEL_GEMM || k->kind == MLSIM_KERNEL_ATTENTION;
    double eff = k->kind == MLSIM_KERNEL_GEMM ? mlsim_kernel_gemm_efficiency(m, k->m, k->n, k->k)
                                              : m->gemm_eff;
    double rate = matmul ? m->peak_flops * eff : m->vector_flops;
    double compute = rate > 0 ? k->flops / rate : 0.0;
    double bw = m->mem_bw_Bps * m->mem_eff;
    if (m->onchip_bw_Bps > 0 && k->bytes <= m->onchip_bytes)
        bw = m->onchip_bw_Bps;
    double memory = m->mem_bw_Bps > 0 ? k->bytes / bw : 0.0;
    return m->overhead_s + (compute > memory ? compute : memory);
}
