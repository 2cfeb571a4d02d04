/*
 * Workloads: a model's training step as the kernels a device runs. A transformer decoder or a
 * multilayer perceptron becomes, per micro-batch, its forward kernels in order, its backward
 * kernels in order (with recomputation where asked), and the optimizer step: each kernel with its
 * GEMM shape, FLOPs and the bytes it moves. Counting follows Narayanan et al. 2021 (SC21) Sec. 5.1
 * and Korthikanti et al. 2022 (activation memory and recomputation).
 */
#ifndef MLSIM_WORKLOAD_H
#define MLSIM_WORKLOAD_H

#include <stddef.h>

#include "mlsim/model.h"
#include "mlsim/precision.h"
#include "mlsim/status.h"
#include "mlsim/vocab.h"

enum mlsim_kernel_kind {
    MLSIM_KERNEL_GEMM,      /* matrix multiply, compute-bound when large */
    MLSIM_KERNEL_ATTENTION, /* fused (flash) attention */
    MLSIM_KERNEL_MEMORY,    /* elementwise, norms, softmax: memory-bound */
    MLSIM_KERNEL_OPTIMIZER, /* the parameter update, memory-bound */
    MLSIM_KERNEL_COMM,      /* a collective: COLL_OP over the kernel's GROUP, BYTES per rank */
};

enum mlsim_phase { MLSIM_PHASE_FWD, MLSIM_PHASE_BWD, MLSIM_PHASE_RECOMPUTE, MLSIM_PHASE_OPT };

struct mlsim_kernel {
    const char *name; /* static */
    int kind;         /* enum mlsim_kernel_kind */
    int phase;        /* enum mlsim_phase */
    int layer;        /* -1: embedding / head / loss / optimizer */
    double m, n, k;   /* GEMM shape (M x K times K x N); 0 for other kinds */
    double batch;     /* GEMMs in a batched GEMM (1 otherwise) */
    double flops;
    double bytes;
    int coll_op; /* MLSIM_KERNEL_COMM: enum mlsim_collective_op */
    int group;   /* MLSIM_KERNEL_COMM: enum mlsim_group it runs over (TP, or SP for sequence
                    parallelism's all-gathers and reduce-scatters) */
    int linear;  /* MLSIM_KERNEL_GEMM: 1 if it runs at the recipe's linear-layer precision */
};

/* The time communication kernel K adds to its pass when one transfer takes STEP_S, the kernel
 * before it PREV_S and its group has RANKS ranks. A context-parallel send/receive is ring
 * attention's exchange: RANKS - 1 transfers of K's bytes, the attention cut in RANKS equal parts,
 * the first on the rank's own chunk and each later one once its chunk has arrived, which ran
 * beside the part before (Liu et al. 2023, Ring Attention, Sec. 3; Transformer Engine's
 * AttnFuncWithCPAndKVP2P, which Megatron-LM calls): (RANKS - 1) x max(0, STEP_S - PREV_S /
 * RANKS). Any other kernel adds STEP_S. */
double mlsim_workload_overlap_s(const struct mlsim_kernel *k, int ranks, double step_s,
                                double prev_s);

/* The shape of a model and how it is trained, for one device's share of a step. */
struct mlsim_workload_spec {
    struct mlsim_model_spec model; /* the shape (model.h); name, params and tokens unused */
    /* training */
    int micro_batch;   /* sequences (transformer) or samples (MLP) */
    int recompute;     /* enum mlsim_recompute */
    int attention;     /* enum mlsim_attention */
    int optimizer;     /* enum mlsim_optimizer */
    double elem_bytes; /* bytes per activation/weight element: 2 for 16-bit, 4 for fp32 */
    /* the precision recipe of a training run (precision.h): linear GEMMs at its linear precision
     * on operands of its linear_in_bytes, with its cast kernels; NULL: every kernel at one
     * precision on elem_bytes (inference, or a caller that names no recipe) */
    const struct mlsim_precision_type *recipe;
    /* parallelism (transformer): this rank's share */
    int tp;                /* tensor-parallel ranks (Megatron: heads, FFN and vocabulary split) */
    int sequence_parallel; /* norms and dropout split along the sequence (Korthikanti et al. 2022)
                            */
    int first_layer;       /* this pipeline stage's layers: [first_layer, first_layer + n_layers) */
    int n_layers;          /* 0: all */
    int with_embedding;    /* the stage holds the embedding (first stage) */
    int with_head;         /* the stage holds the final norm, logits and loss (last stage) */
    /* context parallelism (layout.h): each rank holds seq_len / cp tokens of every sequence and
     * attends all seq_len keys, exchanging K and V with the other cp - 1 ranks by CP_ALGO
     * (enum mlsim_cp_algo); 0 or 1: none */
    int cp, cp_algo;
    int ep; /* expert-parallel ranks (moe.h): experts / ep routed experts on this rank; 0: 1 */
    int overlap_ep; /* 1: the expert all-to-alls hide behind compute (layout.h) */
    int overlap_tp; /* 1: sequence parallelism's collectives under their GEMMs (layout.h) */
    int etp; /* expert-tensor-parallel ranks splitting each expert's FFN (a divisor of tp); 0: tp */
};

/* One micro-batch's kernels plus the optimizer step. */
struct mlsim_workload {
    struct mlsim_kernel *fwd, *bwd, *opt;
    size_t n_fwd, n_bwd, n_opt;
    double params;        /* trainable parameters */
    double *layer_params; /* per layer (embedding and head folded into the first and last) */
    int n_layers;
    double model_flops_per_micro; /* forward + backward, without recomputation */
    double hw_flops_per_micro;    /* everything the kernels do, recomputation included */
    double input_bytes_per_micro; /* host-to-device input copy */
    double act_bytes_per_micro;   /* activation memory kept for backward (Korthikanti Eq. 1-2) */
    double state_bytes_per_param; /* weights + gradients + optimizer states (ZeRO paper Sec. 3.1) */
    double expert_params; /* of params, the routed experts' (sharded and reduced over dp / ep) */
};

/* The encoder's output a stage of an encoder-decoder's decoder layers keeps for their
 * cross-attentions' backward, once however many layers read it: 2 s_e b h bytes (/ tp under
 * sequence parallelism); 0 for a decoder-only model. Counted in act_bytes_per_micro. */
double mlsim_workload_encoder_output_bytes(const struct mlsim_workload_spec *spec);

/* What a pipeline stage holding layers [FIRST, FIRST + COUNT) of M sends the next per micro-batch,
 * over the b s h of a decoder-only model's hidden state: 1, or for an encoder-decoder's stage
 * that holds decoder layers (s_e + s_d) / s_e, the encoder's output travelling beside the
 * decoder's hidden state (Megatron-LM's get_tensor_shapes: a stage past the encoder-decoder split
 * sends both). */
double mlsim_workload_send_scale(const struct mlsim_model_spec *m, int first, int count);

/* Build the workload of SPEC into *W. Returns MLSIM_ERR_INPUT for an impossible shape (heads not
 * dividing hidden without a head_dim, fewer than two widths, an encoder-decoder with no decoder
 * layer or beside experts, latent attention, parallel blocks, a window or context parallelism),
 * MLSIM_ERR_NOMEM on malloc failure. */
enum mlsim_status mlsim_workload_build(const struct mlsim_workload_spec *spec,
                                       struct mlsim_workload *w);

/* Free the arrays of W (not W itself). */
void mlsim_workload_release(struct mlsim_workload *w);

#endif
