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
}

double mlsim_kernel_time(const struct mlsim_kernel_model *m, const struct mlsim_kernel *k)
{
    int matmul = k->kind == MLSIM_KERNEL_GEMM || k->kind == MLSIM_KERNEL_ATTENTION;
    double rate = matmul ? m->peak_flops * m->gemm_eff : m->vector_flops;
    double compute = rate > 0 ? k->flops / rate : 0.0;
    double memory = m->mem_bw_Bps > 0 ? k->bytes / (m->mem_bw_Bps * m->mem_eff) : 0.0;
    return m->overhead_s + (compute > memory ? compute : memory);
}
