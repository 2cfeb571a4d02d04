/*
 * A training step at cluster scale: tensor (TP), pipeline (PP) and data (DP) parallelism, with
 * optional ZeRO sharding. One device per pipeline rank is simulated: the TP ranks of a stage and
 * the DP replicas do identical work, so they are folded into the one simulated device and their
 * collectives are costed on the links they would use. Each pipeline rank has a compute stream
 * (each forward or backward of a model chunk for one micro-batch is one task, its duration the sum
 * of its kernels, tensor-parallel collectives included), a stream for activations sent to the next
 * rank and one for gradients sent to the previous rank, and a data-parallel stream.
 *
 * Data-parallel gradients are reduced as PyTorch DDP does (torch/nn/parallel/distributed.py,
 * Reducer): in buckets of bucket_cap_mb, in reverse layer order, each launched as the backward pass
 * of the last micro-batch finishes its layers. ZeRO-3 (FSDP's FULL_SHARD) instead gathers each
 * unit's parameters before its forward and its backward, one unit prefetched ahead, and
 * reduce-scatters each unit's gradients after its backward (torch.distributed.fsdp; Rajbhandari et
 * al. 2020, Sec. 5.3), every micro-batch. A compute task's wait for a gather is exposed
 * communication.
 */
#ifndef MLSIM_CLUSTER_H
#define MLSIM_CLUSTER_H

#include <stdint.h>

#include "mlsim/collective.h"
#include "mlsim/kernel.h"
#include "mlsim/layout.h"
#include "mlsim/sim.h"
#include "mlsim/vocab.h"
#include "mlsim/workload.h"

struct mlsim_cluster_config {
    struct mlsim_workload_spec spec; /* the whole model; tp, sequence_parallel and cp set (a
                                        stage's dp x cp ranks reduce its gradients) */
    const struct mlsim_kernel_model *km;
    int tp, pp, dp;
    int interleave;      /* model chunks per pipeline rank (interleaved schedule) */
    int microbatches;    /* per pipeline per step */
    int schedule;        /* enum mlsim_schedule */
    int sharding;        /* enum mlsim_sharding */
    int overlap_comm;    /* data-parallel reduction in buckets during the last backward pass */
    double bucket_bytes; /* gradient bytes per bucket (PyTorch DDP's bucket_cap_mb); 0: 25 MiB */
    double grad_elem_bytes;
    int first_stage_layers, last_stage_layers; /* uneven stages (layout.h); 0: even */
    int embedding_in_split;                    /* layout.h */
    /* The layout's groups (layout.h): each collective runs over its kernel's group, on that
     * group's link; pipeline sends on the PP group's. A data-parallel group with more than one rank
     * per node reduces hierarchically (a ring in the node on its intra link around the collective
     * across nodes). With share_nic, pipeline sends and data-parallel collectives both cross each
     * device's NIC and share its bandwidth while they overlap. */
    struct mlsim_layout_groups groups;
    /* Simulate every data-parallel replica instead of folding them into one (for checking the
     * folding: identical replicas must give the same step). */
    int unfold_dp;
    const struct mlsim_collective_algo *algo;
    /* Simulate every micro-batch instead of folding a long step's steady state (for checking the
     * folding; mlsim_cluster_simulate). */
    int no_fold;
    /* Compute seconds each second of a data-parallel collective takes from the compute beside it
     * (MLSIM_OVERLAP_SLOWDOWN; 0: none): a task of that length on the rank's compute stream, ready
     * when the collective is. Where the compute is waiting for it anyway, it costs nothing. */
    double overlap_slowdown;
    /* Sends between stages block both stages' compute, in DeepSpeed's order of sends and
     * receives (framework.h's p2p_blocking; 1F1B only): each send starts once the sender and the
     * receiver have both reached it, and neither computes until it is done. 0: Megatron-LM's
     * sends, on streams of their own, that the sender's compute does not wait for. */
    int p2p_blocking;
};

struct mlsim_cluster_result {
    double step_s;
    double compute_s;      /* busiest rank's compute stream */
    double dp_comm_s;      /* a rank's data-parallel communication per step */
    double tp_comm_s;      /* tensor-parallel collectives inside a rank's compute per step */
    double exposed_comm_s; /* the busiest rank's wait for data-parallel communication */
    double bubble_s;       /* the rest of its step beyond compute: pipeline bubble and waits */
    double model_flops;    /* per step, all devices */
    double hw_flops;       /* per step, all devices, recomputation included */
    double params;         /* the whole model */
    double mem_bytes;      /* the fullest device: states + activations */
    double mem_states_bytes;
    double mem_act_bytes;
    double mem_buffer_bytes; /* ZeRO-3's gathered units (layout.h) */
    uint64_t events;         /* simulated: a folded step's are its four short steps' */
    size_t tasks;            /* the most simulated at once */
    int in_flight;           /* micro-batch chunks whose activations rank 0 holds at once */
    int folded;              /* the steady state was folded (mlsim_cluster_simulate) */
};

/* Simulate one step of C into *R (KEEP as in mlsim_step_simulate). MLSIM_ERR_INPUT for a layout
 * that cannot be built (layers not divisible among the chunks, interleaving without M a multiple
 * of P). A step of many micro-batches (at least 8 x (max(32, 4 P V) + 4 P)) with no KEEP is
 * folded: its steady state is simulated at four short counts and extended along their line,
 * which they are checked to lie on (else every micro-batch is simulated); R->folded says so. */
enum mlsim_status mlsim_cluster_simulate(const struct mlsim_cluster_config *c,
                                         struct mlsim_cluster_result *r, struct mlsim_sim **keep);

#endif
