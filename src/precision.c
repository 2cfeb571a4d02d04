/*
 * The recipes, one row per word of vocab.h's precision table, in its order. A 16-bit or wider
 * recipe runs every kernel at one precision (linear == compute, no casts), which keeps those
 * runs as they were before recipes existed.
 */
#include "mlsim/precision.h"

static const struct mlsim_precision_type recipes[MLSIM_PRECISION_N] = {
    [MLSIM_PRECISION_FP64] = {"fp64", MLSIM_PRECISION_FP64, MLSIM_PRECISION_FP64, 8.0, 8.0, 0.0,
                              8.0,
                              "IEEE 754 binary64 throughout (HPC practice; no ML framework "
                              "trains so by default)"},
    [MLSIM_PRECISION_FP32] = {"fp32", MLSIM_PRECISION_FP32, MLSIM_PRECISION_FP32, 4.0, 4.0, 0.0,
                              4.0,
                              "fp32 throughout: weights, activations and optimizer states, no "
                              "master copy (PyTorch's default dtype)"},
    [MLSIM_PRECISION_TF32] = {"tf32", MLSIM_PRECISION_TF32, MLSIM_PRECISION_TF32, 4.0, 4.0, 0.0,
                              4.0,
                              "fp32 tensors whose matmuls round inputs to TF32 on tensor cores "
                              "(NVIDIA A100 whitepaper 2020; PyTorch allow_tf32): stored in fp32"},
    [MLSIM_PRECISION_FP16] = {"fp16", MLSIM_PRECISION_FP16, MLSIM_PRECISION_FP16, 2.0, 2.0, 0.0,
                              2.0,
                              "mixed precision (Micikevicius et al. 2018, ICLR): fp16 weights, "
                              "activations and gradients, fp32 master weights and optimizer "
                              "states, loss scaling"},
    [MLSIM_PRECISION_BF16] = {"bf16", MLSIM_PRECISION_BF16, MLSIM_PRECISION_BF16, 2.0, 2.0, 0.0,
                              2.0,
                              "bf16 mixed precision (Kalamkar et al. 2019, arXiv:1905.12322; "
                              "Megatron-LM --bf16): bf16 weights, activations and gradients, fp32 "
                              "master weights and optimizer states"},
    /* Transformer Engine's fp8 recipe (NVIDIA TE docs, "Using FP8 with Transformer Engine";
     * Micikevicius et al. 2022, arXiv:2209.05433): te.Linear / LayerNormLinear / LayerNormMLP run
     * their GEMMs in FP8, E4M3 for weights and activations forward and E5M2 for gradients
     * (the HYBRID format; both one byte, both at the FP8 tensor-core peak), outputs in bf16.
     * Each FP8 GEMM input comes from a fused cast-transpose kernel that also takes the amax for
     * delayed scaling: it reads the bf16 tensor and writes the FP8 copy and its transpose (the
     * transpose feeds the other gradient GEMM), 2 + 1 + 1 bytes per element. Attention (core
     * attention is a bf16 kernel), norms, softmax and the LM head (Megatron-core's output layer
     * is a plain ColumnParallelLinear) stay bf16; activations are stored in bf16; the fp32 master
     * weights and Adam states are untouched (Megatron-LM --fp8-format hybrid with --bf16). */
    [MLSIM_PRECISION_FP8] = {"fp8", MLSIM_PRECISION_BF16, MLSIM_PRECISION_FP8, 2.0, 1.0, 4.0, 2.0,
                             "Transformer Engine FP8 (NVIDIA TE docs; Micikevicius et al. 2022, "
                             "arXiv:2209.05433): linear-layer GEMMs in FP8 (E4M3 forward, E5M2 "
                             "gradients) after cast-transpose+amax kernels, attention, norms and "
                             "the LM head in bf16, bf16 activations, fp32 master weights and "
                             "optimizer states"},
    /* AQT int8 training (Google Cloud blog, "Accurate Quantized Training (AQT) for TPU v5e",
     * 2023; google/aqt; MaxText `quantization: int8`): the dense layers' dot_generals take int8
     * operands quantized per tensor in the graph, the rest runs in bf16 with fp32 parameters and
     * optimizer states. The quantization reads bf16 and writes int8 (2 + 1 bytes per element);
     * XLA's dot takes either layout, so no transpose is kept. */
    [MLSIM_PRECISION_INT8] = {"int8", MLSIM_PRECISION_BF16, MLSIM_PRECISION_INT8, 2.0, 1.0, 3.0,
                              1.0,
                              "AQT int8 training (Google Cloud, 'Accurate Quantized Training "
                              "for TPU v5e', 2023; MaxText quantization: int8): dense-layer "
                              "matmuls on int8 operands quantized in the graph, the rest bf16, "
                              "fp32 master weights and optimizer states"},
};

const struct mlsim_precision_type *mlsim_precision_recipe(int precision)
{
    if (precision < 0 || precision >= MLSIM_PRECISION_N)
        precision = MLSIM_PRECISION_BF16;
    return &recipes[precision];
}

int mlsim_precision_is_split(const struct mlsim_precision_type *recipe)
{
    return recipe->linear != recipe->compute || recipe->cast_bytes > 0;
}
