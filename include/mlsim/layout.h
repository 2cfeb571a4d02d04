/*
 * The parallel layout of a run: how its devices split the model and the batch (tensor, pipeline
 * and data parallelism, micro-batches, the schedule, sharding, recomputation), the one rule for
 * whether a layout tiles a model, the layout's communication groups with the link each one's
 * collectives run on, its memory per device in closed form, and the chooser for runs that give no
 * layout. Megatron-LM's rank order throughout: tensor ranks innermost, then data, then pipeline.
 * This header knows the model's description and the vocabulary only, so the scenario loader may
 * check a layout without reaching into the engine.
 */
#ifndef MLSIM_LAYOUT_H
#define MLSIM_LAYOUT_H

#include <stddef.h>

#include "mlsim/model.h"
#include "mlsim/status.h"
#include "mlsim/torus.h"
#include "mlsim/vocab.h"

struct mlsim_layout {
    int tp, pp, dp;   /* tensor, pipeline and data-parallel sizes; tp x pp x dp devices */
    int micro_batch;  /* sequences (samples) per device per micro-batch */
    int global_batch; /* sequences (samples) per step, all devices */
    int microbatches; /* per pipeline per step: global_batch / (micro_batch x dp) */
    int schedule;     /* enum mlsim_schedule */
    int interleave;   /* model chunks per pipeline rank (interleaved schedule) */
    int sharding;     /* enum mlsim_sharding */
    int recompute;    /* enum mlsim_recompute */
    int sequence_parallel;
    /* Uneven pipelines (Megatron-LM's decoder_first_pipeline_num_layers and
     * decoder_last_pipeline_num_layers): layers of the first and the last stage, the others split
     * evenly among the stages between; 0: that stage takes an even share like the rest. */
    int first_stage_layers, last_stage_layers;
    /* 1: the embedding and the loss each count as a layer when the stages split the layers
     * (Megatron-LM's --account-for-embedding-in-pipeline-split and
     * --account-for-loss-in-pipeline-split): L + 2 split evenly over the pp x interleave
     * chunks, the first and the last chunk a transformer layer short */
    int embedding_in_split;
    /* Context parallelism (Megatron-LM's context_parallel_size): each sequence split over cp ranks
     * just outside the tensor ranks (parallel_state.py's order tp-cp-ep-dp-pp), so devices are
     * tp x cp x pp x dp; cp_algo (enum mlsim_cp_algo) says how they exchange keys and values.
     * Gradients reduce over the dp x cp ranks that hold one weight (Megatron's data-parallel
     * group with context parallelism). cp 0 reads as 1. */
    int cp, cp_algo;
    /* Expert parallelism (moe.h): the routed experts split over ep ranks of the data-parallel
     * group (Megatron-LM), whose expert gradients reduce over the dp / ep ranks holding the
     * same experts. 1 without experts. */
    int ep;
    /* Expert-tensor parallelism (Megatron-core's expert_tensor_parallel_size): each expert's FFN
     * split over etp ranks, a divisor of tp (1: whole experts beside tensor-parallel attention);
     * the expert grid of etp x ep x edp ranks covers a stage's tp x dp. tp by default. */
    int etp;
};

/* Why a layout does not tile, in the order the rule checks. */
enum mlsim_layout_fault {
    MLSIM_LAYOUT_OK,
    MLSIM_LAYOUT_DEVICES,    /* tp x pp does not divide the devices */
    MLSIM_LAYOUT_SHAPE,      /* the heads do not divide the hidden width (no layout helps) */
    MLSIM_LAYOUT_MLP,        /* tensor or pipeline parallelism of an MLP */
    MLSIM_LAYOUT_HEADS,      /* tp does not divide the heads, nor the KV heads tp (or tp them) */
    MLSIM_LAYOUT_LAYERS,     /* the layers do not split into pp x interleave chunks */
    MLSIM_LAYOUT_STAGES,     /* uneven stages: the rest does not split evenly, or a stage's
                                layers not into its interleaved chunks */
    MLSIM_LAYOUT_NODE,       /* tp spans more than a node */
    MLSIM_LAYOUT_BATCH,      /* the batch does not split into micro-batches x data parallelism */
    MLSIM_LAYOUT_INTERLEAVE, /* interleaving needs the micro-batches to be a multiple of pp */
    MLSIM_LAYOUT_CONTEXT,    /* cp does not split the sequence into 2 cp chunks (or an MLP) */
    MLSIM_LAYOUT_EXPERTS,    /* ep does not divide the routed experts, nor ep x etp tp x dp, nor
                                etp tp */
};

/* The context-parallel size of L (1 when unset), and the ranks one weight's gradient is reduced
 * over: L's data-parallel replicas times its context-parallel ranks. */
int mlsim_layout_cp(const struct mlsim_layout *l);
int mlsim_layout_grad_ranks(const struct mlsim_layout *l);

/* The one tiling rule: whether L tiles model M on COUNT devices in nodes of NODE_SIZE (0: the
 * node check is skipped). Products are taken in 64 bits, so no field can make them overflow.
 * Context parallelism needs tp x cp x pp to divide the devices and, as Megatron-LM's
 * get_batch_on_this_cp_rank splits each sequence into 2 cp chunks (rank i takes chunks i and
 * 2 cp - 1 - i, so every rank does the same share of causal attention), 2 cp to divide the
 * sequence. */
enum mlsim_layout_fault mlsim_layout_check(const struct mlsim_model_spec *m, int count,
                                           int node_size, const struct mlsim_layout *l);

/* The layers of virtual stage VS of N_VS (chunk c of rank r is virtual stage c pp + r) under L for
 * a model of LAYERS layers: *FIRST, *COUNT. Even chunks of LAYERS / N_VS, or with uneven stages
 * (L's first_stage_layers, last_stage_layers) the given first and last stages and an even share
 * of the rest for each stage between; interleaved, as Megatron-LM does it, each stage's layers in
 * N_VS / pp equal chunks, chunk c of every rank from the c-th part of the model. Returns 0 where
 * they do not tile. */
int mlsim_layout_stage_layers(const struct mlsim_layout *l, int layers, int vs, int n_vs,
                              int *first, int *count);

/* A sentence saying why FAULT (from mlsim_layout_check of the same arguments) does not tile,
 * written into BUF of LEN bytes; returns BUF. */
const char *mlsim_layout_fault_text(enum mlsim_layout_fault fault, const struct mlsim_model_spec *m,
                                    int count, int node_size, const struct mlsim_layout *l,
                                    char *buf, size_t len);

/* The expert-data-parallel size: the ranks of a stage's TP x DP that hold the same experts,
 * tp x dp / (ep x etp) (dp / ep when etp is tp); at least 1. Expert gradients reduce over them. */
int mlsim_layout_expert_dp(int tp, int dp, int ep, int etp);

/* Bytes of states per device for PARAMS parameters of which EXPERT_PARAMS are routed experts'
 * (sharded by ZeRO over the EDP ranks that hold the same experts; the rest over DP), from
 * PER_PARAM unsharded bytes at ELEM_BYTES per weight. */
double mlsim_layout_states_bytes(double params, double expert_params, double per_param,
                                 double elem_bytes, int dp, int edp, int sharding);

/* Expert all-to-alls overlapped with compute (DeepSeek-V3's DualPipe, arXiv:2412.19437, Sec.
 * 3.2.1: a forward and a backward chunk run together, each one's all-to-all under the other's
 * compute): in each layer of the N kernels K, whose times are T, the expert group's all-to-alls
 * keep only what exceeds the layer's other kernels (the layer's own compute stands for its
 * partner chunk's); T is scaled in place. The cluster step and the closed form both call it. */
struct mlsim_kernel;
void mlsim_layout_hide_expert_comm(const struct mlsim_kernel *k, size_t n, double *t);

/* Tensor-parallel communication under the GEMMs it feeds or follows (Megatron-LM's
 * --tp-comm-overlap, Transformer Engine's userbuffers; Megatron Bridge docs, "Communication
 * Overlap": it needs tp >= 2 and sequence parallelism, whose all-gathers and reduce-scatters it
 * splits; Wang et al. 2023, ASPLOS, "Overlap Communication with Dependent Computation via
 * Decomposition"). Each sequence-parallel all-gather is paired with the next GEMM of its layer,
 * each reduce-scatter with the one before it, every GEMM used once; the GEMM runs in TP chunks,
 * each beside the transfer of the next, so of a collective of time C beside a GEMM of time G
 * max(0, C - G) + min(C, G) / TP stays exposed (one chunk's worth of the shorter), and the GEMM
 * is slowed by SLOWDOWN per second of the collective under it (collective.h). In the N kernels K
 * whose times are T, scaled in place; all-reduces (no sequence parallelism) are left as they
 * are. The cluster step and the closed form both call it. */
void mlsim_layout_hide_tensor_comm(const struct mlsim_kernel *k, size_t n, double *t, int tp,
                                   double slowdown);

/* Say into A how RUN's experts are laid out (a mixture of experts only): experts per rank, the
 * all-to-alls' group and link, their overlap, and the group that reduces expert gradients. */
struct mlsim_assumptions;
void mlsim_layout_expert_assumptions(const struct mlsim_run *run, struct mlsim_assumptions *a);

/* A link as collectives see it. */
struct mlsim_link_cost {
    double bw_Bps;                 /* per direction, per rank */
    double step_s;                 /* latency of one step */
    double base_s;                 /* fixed cost of one collective */
    struct mlsim_torus_span torus; /* the group's place on a torus (torus.h); none: n_dims 0 */
};

/* One communication group of a layout: its size and the link its collectives run on. */
struct mlsim_layout_group {
    int size;                     /* ranks in one group */
    struct mlsim_link_cost link;  /* the group's link: the node's fast link, or the network */
    int per_node;                 /* ranks of one group in a node (a hierarchical collective when
                                     more than 1 and the group spans nodes); 1 otherwise */
    struct mlsim_link_cost intra; /* the link inside a node, for hierarchical collectives */
    int crosses_network;          /* its traffic leaves the node through the NICs */
};

struct mlsim_layout_groups {
    struct mlsim_layout_group g[MLSIM_GROUP_N]; /* indexed by enum mlsim_group */
    int share_nic;  /* pipeline sends and data-parallel collectives share each device's NIC */
    double h2d_Bps; /* host-to-device bandwidth (the device's first PCIe link), 0 if none */
};

struct mlsim_run;
struct mlsim_device;
struct mlsim_link;

/* The layout RUN asks for (its training block, its defaults applied: tp and pp of 1, one chunk),
 * with dp and the micro-batches per step derived (0 where they do not divide). */
void mlsim_layout_of_run(const struct mlsim_run *run, struct mlsim_layout *l);

/* Write L into RUN's training block (tp, pp, micro-batch, schedule, interleave, stages,
 * recomputation, sharding, sequence parallelism), as a run that asked for it; the layout is then
 * no longer the chooser's to make. */
void mlsim_layout_apply(const struct mlsim_layout *l, struct mlsim_run *run);

/* The workload spec of one device of RUN under L: RUN's model and options at L's tensor
 * parallelism, sequence parallelism, micro-batch and recomputation. */
struct mlsim_workload_spec;
void mlsim_layout_workload_spec(const struct mlsim_run *run, const struct mlsim_layout *l,
                                struct mlsim_workload_spec *s);

/* The link of DEV named NAME, or NULL. */
const struct mlsim_link *mlsim_layout_find_link(const struct mlsim_device *dev, const char *name);

/* LINK as collectives see it: its per-direction bandwidth at the share NCCL reaches of its type
 * (collective.h), its latency (NCCL's NVLink step latency where hwdb gives none) and NCCL's base
 * latency. A NULL link costs nothing to describe and carries nothing (bandwidth 0). */
struct mlsim_link_cost mlsim_layout_link_cost(const struct mlsim_link *link);

/* The groups of L on RUN's devices: tensor (and sequence) parallelism inside a node on the run's
 * fast link; pipeline neighbours and data-parallel peers on the network when their group spans
 * nodes, with one NIC's share per device (a bandwidth given without a system is taken at face
 * value); context and expert groups of one rank until those dimensions exist. */
void mlsim_layout_groups(const struct mlsim_run *run, const struct mlsim_layout *l,
                         struct mlsim_layout_groups *g);

/* Memory per device of a layout: the fullest device's. */
struct mlsim_layout_memory {
    double states_bytes; /* weights, gradients and optimizer states, sharded as the layout says */
    double act_bytes;    /* activations kept for the backward pass, at the schedule's peak */
    double buffer_bytes; /* ZeRO-3's gathered units and their unsharded gradients (below) */
    double total_bytes;  /* the three, plus the run's reserve */
    double state_bytes_per_param; /* before sharding (workload.h) */
};

/* A workspace for costing many layouts of one run (the chooser, the search): allocated once,
 * reused for every layout. NULL on allocation failure. */
struct mlsim_layout_work;
struct mlsim_layout_work *mlsim_layout_work_alloc(void);
void mlsim_layout_work_free(struct mlsim_layout_work *w);

/* The memory per device of RUN's model under L (which must tile it), in closed form: each
 * pipeline rank's chunks built as workloads (no simulation), their states sharded by ZeRO's
 * stage, their activations times the schedule's peak in flight. MLSIM_ERR_INPUT if the model's
 * shape is impossible, MLSIM_ERR_NOMEM. */
enum mlsim_status mlsim_layout_memory(struct mlsim_layout_work *w, const struct mlsim_run *run,
                                      const struct mlsim_layout *l,
                                      struct mlsim_layout_memory *out);

/* ZeRO's bytes per parameter (Rajbhandari et al. 2020, Sec. 5) from PER_PARAM unsharded ones at
 * ELEM_BYTES per weight over DP ranks: stage 1 shards the optimizer states, stage 2 the gradients
 * too, stage 3 the weights too. */
double mlsim_layout_sharded_bytes(double per_param, double elem_bytes, int dp, int sharding);

/* ZeRO-3 and FSDP gather one unit (a transformer layer, the embedding and head folded into the
 * first and last) at a time and prefetch this many ahead: PyTorch FSDP's forward_prefetch and
 * BACKWARD_PRE issue the next unit's all-gather before the current unit computes (torch.distributed
 * .fsdp, FullyShardedDataParallel docs); DeepSpeed's stage3_prefetch_bucket_size plays this part.
 */
#define MLSIM_LAYOUT_ZERO3_PREFETCH 1

/* ZeRO-3's memory beyond its shards: the unit in use and the prefetched ones gathered whole
 * (UNIT_PARAMS each, the largest unit, at ELEM_BYTES), and the unit's full gradient before its
 * reduce-scatter (at GRAD_ELEM_BYTES). 0 for any other stage or one replica. */
double mlsim_layout_zero3_buffer_bytes(double unit_params, double elem_bytes,
                                       double grad_elem_bytes, int dp, int sharding);

/* Choose a layout for RUN (which gave none): the least model parallelism (tp x pp) that fits its
 * devices' memory, tensor parallelism inside a node before pipeline stages (Narayanan et al. 2021,
 * Sec. 3.3), 1F1B; first without sharding, then ZeRO-1 (no more communication than the all-reduce
 * it replaces, Sec. 7 of the ZeRO paper), then ZeRO-3. MLSIM_ERR_NOT_FOUND if none fits. */
enum mlsim_status mlsim_layout_choose(struct mlsim_layout_work *w, const struct mlsim_run *run,
                                      struct mlsim_layout *out);

/* Say into A how RUN's context parallelism was modelled at tensor size TP and DP replicas (the
 * layout simulated, which the chooser may have made), with its sizes and links (nothing without
 * it): the tokens each rank holds, the KV exchange and where it runs, the gradient group. */
struct mlsim_assumptions;
void mlsim_layout_cp_assumptions(const struct mlsim_run *run, int tp, int dp,
                                 struct mlsim_assumptions *a);

/* A data-parallel collective OP of BYTES per rank over DP ranks on GROUPS' DP group with ALGO:
 * hierarchical when the group has several ranks in each of several nodes (an all-gather or
 * reduce-scatter then pays NCCL's ring latency over all its ranks), else flat on its link. The
 * cluster step and the closed form both cost data-parallel traffic here. */
struct mlsim_collective_algo;
double mlsim_layout_dp_collective(const struct mlsim_layout_groups *groups,
                                  const struct mlsim_collective_algo *algo, int dp, int op,
                                  double bytes);

#endif
