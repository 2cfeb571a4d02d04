/*
 * The vocabulary of mlsim's input language: every enum a scenario or a device file names, with its
 * words, in one X-macro table each (libuv's pattern: one table yields the enum and its names, so
 * the two cannot drift). The loaders (scenario, hwdb) and the engine (workload, cluster, pipeline,
 * collective) all include this header and neither includes the other to learn a word, as Lua's
 * lopnames.h serves its parser and its VM. A new word is one line of a table here.
 */
#ifndef MLSIM_VOCAB_H
#define MLSIM_VOCAB_H

/* Each table lists X(ENUM_SUFFIX, "word"); the enum is MLSIM_<PREFIX>_<ENUM_SUFFIX>, the names a
 * NULL-terminated array indexed by it (the form schema.h's enum fields take). */

#define MLSIM_PRECISION_TABLE(X)                                                                   \
    X(FP64, "fp64")                                                                                \
    X(FP32, "fp32")                                                                                \
    X(TF32, "tf32")                                                                                \
    X(FP16, "fp16")                                                                                \
    X(BF16, "bf16")                                                                                \
    X(FP8, "fp8")                                                                                  \
    X(INT8, "int8")

/* Device kinds; also the hwdb folder names. SYSTEM: a whole machine (a Top500 entry, its peak the
 * machine's Rpeak) or a system of nodes. */
#define MLSIM_KIND_TABLE(X)                                                                        \
    X(CPU, "cpu")                                                                                  \
    X(GPU, "gpu")                                                                                  \
    X(TPU, "tpu")                                                                                  \
    X(ASIC, "asic")                                                                                \
    X(SYSTEM, "system")

#define MLSIM_TOPOLOGY_TABLE(X)                                                                    \
    X(SWITCHED, "switched")                                                                        \
    X(FAT_TREE, "fat_tree")                                                                        \
    X(TORUS, "torus")

#define MLSIM_LINK_TABLE(X)                                                                        \
    X(NVLINK, "nvlink")                                                                            \
    X(PCIE, "pcie")                                                                                \
    X(ICI, "ici")                                                                                  \
    X(INFINIBAND, "infiniband")                                                                    \
    X(ETHERNET, "ethernet")                                                                        \
    X(OTHER, "other")

#define MLSIM_MODE_TABLE(X)                                                                        \
    X(ANALYTIC, "analytic")                                                                        \
    X(SIMULATE, "simulate")                                                                        \
    X(INFERENCE, "inference")

#define MLSIM_MODEL_TABLE(X)                                                                       \
    X(TRANSFORMER, "transformer")                                                                  \
    X(MLP, "mlp")

/* Where a transformer's positions come from: a learned table (GPT-2, GPT-3, OPT), no weights
 * at all (rotary embeddings: Llama, Mistral; ALiBi: MPT, BLOOM), or T5's relative position
 * biases (a scalar per bucket and head, model.h). */
#define MLSIM_POSITION_TABLE(X)                                                                    \
    X(LEARNED, "learned")                                                                          \
    X(ROTARY, "rotary")                                                                            \
    X(ALIBI, "alibi")                                                                              \
    X(RELATIVE, "relative")

#define MLSIM_RECOMPUTE_TABLE(X)                                                                   \
    X(NONE, "none")                                                                                \
    X(SELECTIVE, "selective")                                                                      \
    X(FULL, "full")

#define MLSIM_ATTENTION_TABLE(X)                                                                   \
    X(PLAIN, "plain")                                                                              \
    X(FLASH, "flash")                                                                              \
    X(CUDNN, "cudnn")

#define MLSIM_OPTIMIZER_TABLE(X)                                                                   \
    X(ADAM, "adam")                                                                                \
    X(RMSPROP, "rmsprop")                                                                          \
    X(SGD, "sgd")

#define MLSIM_SCHEDULE_TABLE(X)                                                                    \
    X(GPIPE, "gpipe")                                                                              \
    X(1F1B, "1f1b")                                                                                \
    X(INTERLEAVED, "interleaved")

/* Context parallelism's KV exchange (layout.h): Megatron-LM's ring, each step's send and receive
 * of a K and V chunk overlapped with the attention of the chunk before (Liu et al. 2023, Ring
 * Attention), or Llama 3's all-gather of every K and V before the attention, exposed (Dubey et
 * al. 2024, Sec. 3.3.2). */
#define MLSIM_CP_ALGO_TABLE(X)                                                                     \
    X(RING, "ring")                                                                                \
    X(ALLGATHER, "allgather")

/* Distributions an uncertain input may be given as (scenario.h, struct mlsim_dist). */
#define MLSIM_DIST_TABLE(X)                                                                        \
    X(NORMAL, "normal")                                                                            \
    X(LOGNORMAL, "lognormal")                                                                      \
    X(UNIFORM, "uniform")                                                                          \
    X(TRIANGULAR, "triangular")

/* ZeRO stages (Rajbhandari et al. 2020): 1 optimizer states, 2 + gradients, 3 + weights. */
#define MLSIM_SHARD_TABLE(X)                                                                       \
    X(NONE, "none")                                                                                \
    X(ZERO1, "zero1")                                                                              \
    X(ZERO2, "zero2")                                                                              \
    X(ZERO3, "zero3")

/* The framework that drives a training step (framework.h: each one's host work per kernel and
 * per step, and its pipeline and data-parallel switches): none is mlsim's lean C trainer, whose
 * cluster step is Megatron-LM's; megatron names that default; deepspeed is Megatron-DeepSpeed
 * under DeepSpeed's pipeline engine. */
#define MLSIM_FRAMEWORK_TABLE(X)                                                                   \
    X(NONE, "none")                                                                                \
    X(PYTORCH, "pytorch")                                                                          \
    X(MEGATRON, "megatron")                                                                        \
    X(DEEPSPEED, "deepspeed")

/* How a published throughput was counted: model FLOPs (MFU) or hardware FLOPs (HFU). */
#define MLSIM_COUNTING_TABLE(X)                                                                    \
    X(MODEL, "model")                                                                              \
    X(HARDWARE, "hardware")

#define MLSIM_BOOL_TABLE(X)                                                                        \
    X(FALSE, "false")                                                                              \
    X(TRUE, "true")

#define MLSIM_COLL_TABLE(X)                                                                        \
    X(ALL_REDUCE, "all_reduce")                                                                    \
    X(REDUCE_SCATTER, "reduce_scatter")                                                            \
    X(ALL_GATHER, "all_gather")                                                                    \
    X(ALL_TO_ALL, "all_to_all")                                                                    \
    X(SEND_RECV, "send_recv")

/* The communication groups of a layout: each collective runs over one of them, on its link. TP
 * tensor, SP sequence (the tensor group, norms and dropout split along the sequence), CP context,
 * EP expert, PP pipeline neighbours, DP data-parallel replicas. */
#define MLSIM_GROUP_TABLE(X)                                                                       \
    X(TP, "tp")                                                                                    \
    X(SP, "sp")                                                                                    \
    X(CP, "cp")                                                                                    \
    X(EP, "ep")                                                                                    \
    X(PP, "pp")                                                                                    \
    X(DP, "dp")

/* The enums, written out for readers and debuggers (each value's word is in the table above). */
#define MLSIM_VOCAB_X_PRECISION(name, word) MLSIM_PRECISION_##name,
#define MLSIM_VOCAB_X_KIND(name, word)      MLSIM_KIND_##name,
#define MLSIM_VOCAB_X_TOPOLOGY(name, word)  MLSIM_TOPOLOGY_##name,
#define MLSIM_VOCAB_X_LINK(name, word)      MLSIM_LINK_##name,
#define MLSIM_VOCAB_X_MODE(name, word)      MLSIM_MODE_##name,
#define MLSIM_VOCAB_X_MODEL(name, word)     MLSIM_MODEL_##name,
#define MLSIM_VOCAB_X_POSITION(name, word)  MLSIM_POSITION_##name,
#define MLSIM_VOCAB_X_RECOMPUTE(name, word) MLSIM_RECOMPUTE_##name,
#define MLSIM_VOCAB_X_ATTENTION(name, word) MLSIM_ATTENTION_##name,
#define MLSIM_VOCAB_X_OPTIMIZER(name, word) MLSIM_OPTIMIZER_##name,
#define MLSIM_VOCAB_X_SCHEDULE(name, word)  MLSIM_SCHEDULE_##name,
#define MLSIM_VOCAB_X_SHARD(name, word)     MLSIM_SHARD_##name,
#define MLSIM_VOCAB_X_CP_ALGO(name, word)   MLSIM_CP_ALGO_##name,
#define MLSIM_VOCAB_X_DIST(name, word)      MLSIM_DIST_##name,
#define MLSIM_VOCAB_X_COUNTING(name, word)  MLSIM_COUNTING_##name,
#define MLSIM_VOCAB_X_FRAMEWORK(name, word) MLSIM_FRAMEWORK_##name,
#define MLSIM_VOCAB_X_BOOL(name, word)      MLSIM_BOOL_##name,
#define MLSIM_VOCAB_X_COLL(name, word)      MLSIM_COLL_##name,
#define MLSIM_VOCAB_X_GROUP(name, word)     MLSIM_GROUP_##name,

enum mlsim_precision { MLSIM_PRECISION_TABLE(MLSIM_VOCAB_X_PRECISION) MLSIM_PRECISION_N };
enum mlsim_device_kind { MLSIM_KIND_TABLE(MLSIM_VOCAB_X_KIND) MLSIM_KIND_N };
enum mlsim_topology { MLSIM_TOPOLOGY_TABLE(MLSIM_VOCAB_X_TOPOLOGY) MLSIM_TOPOLOGY_N };
enum mlsim_link_type { MLSIM_LINK_TABLE(MLSIM_VOCAB_X_LINK) MLSIM_LINK_N };
enum mlsim_mode { MLSIM_MODE_TABLE(MLSIM_VOCAB_X_MODE) MLSIM_MODE_N };
enum mlsim_model_kind { MLSIM_MODEL_TABLE(MLSIM_VOCAB_X_MODEL) MLSIM_MODEL_N };
enum mlsim_position { MLSIM_POSITION_TABLE(MLSIM_VOCAB_X_POSITION) MLSIM_POSITION_N };
enum mlsim_recompute { MLSIM_RECOMPUTE_TABLE(MLSIM_VOCAB_X_RECOMPUTE) MLSIM_RECOMPUTE_N };
enum mlsim_attention { MLSIM_ATTENTION_TABLE(MLSIM_VOCAB_X_ATTENTION) MLSIM_ATTENTION_N };
/* Whether attention A runs as one fused kernel (FlashAttention-2, or cuDNN's fused flash
 * attention, which Transformer Engine prefers on Hopper: NeMo docs, memory optimizations,
 * NVIDIA/NeMo PR 9188), not a plain masked softmax between two matmuls. */
#define MLSIM_ATTENTION_IS_FUSED(a) ((a) != MLSIM_ATTENTION_PLAIN)
enum mlsim_optimizer { MLSIM_OPTIMIZER_TABLE(MLSIM_VOCAB_X_OPTIMIZER) MLSIM_OPTIMIZER_N };
enum mlsim_schedule { MLSIM_SCHEDULE_TABLE(MLSIM_VOCAB_X_SCHEDULE) MLSIM_SCHEDULE_N };
enum mlsim_sharding { MLSIM_SHARD_TABLE(MLSIM_VOCAB_X_SHARD) MLSIM_SHARD_N };
enum mlsim_cp_algo { MLSIM_CP_ALGO_TABLE(MLSIM_VOCAB_X_CP_ALGO) MLSIM_CP_ALGO_N };
enum mlsim_dist_kind { MLSIM_DIST_TABLE(MLSIM_VOCAB_X_DIST) MLSIM_DIST_N };
enum mlsim_framework { MLSIM_FRAMEWORK_TABLE(MLSIM_VOCAB_X_FRAMEWORK) MLSIM_FRAMEWORK_N };
enum mlsim_counting { MLSIM_COUNTING_TABLE(MLSIM_VOCAB_X_COUNTING) MLSIM_COUNTING_N };
enum mlsim_bool { MLSIM_BOOL_TABLE(MLSIM_VOCAB_X_BOOL) MLSIM_BOOL_N };
enum mlsim_collective_op { MLSIM_COLL_TABLE(MLSIM_VOCAB_X_COLL) MLSIM_COLL_N };
enum mlsim_group { MLSIM_GROUP_TABLE(MLSIM_VOCAB_X_GROUP) MLSIM_GROUP_N };

/* NULL-terminated words of each enum, indexed by it. */
extern const char *const mlsim_precision_names[];
extern const char *const mlsim_kind_names[];
extern const char *const mlsim_topology_names[];
extern const char *const mlsim_link_type_names[];
extern const char *const mlsim_mode_names[];
extern const char *const mlsim_model_type_names[];
extern const char *const mlsim_position_names[];
extern const char *const mlsim_recompute_names[];
extern const char *const mlsim_attention_names[];
extern const char *const mlsim_optimizer_names[];
extern const char *const mlsim_schedule_names[];
extern const char *const mlsim_sharding_names[];
extern const char *const mlsim_cp_algo_names[];
extern const char *const mlsim_dist_names[];
extern const char *const mlsim_framework_names[];
extern const char *const mlsim_counting_names[];
extern const char *const mlsim_bool_names[];
/* "true", "false": a flag stored negated, so that its default (true) is 0. */
extern const char *const mlsim_bool_negated_names[];
extern const char *const mlsim_collective_op_names[];
extern const char *const mlsim_group_names[];

#endif
