/*
 * A training framework as the host sees it: the work the host does per kernel before the kernel
 * can run (the framework's dispatch of an operator, the driver's launch of a kernel) and per step
 * (a synchronisation with the device, to read the loss back). A framework is a const row of
 * figures, each with its source; a run names one in `training.framework` (vocab.h's words, the
 * rows in the same order). On a CPU the host runs the kernels itself, so the dispatch adds to
 * every kernel; on an accelerator the host issues kernels ahead of the device and a kernel starts
 * once it has been issued and the device is free (step.c), so host work hides behind long kernels
 * and shows behind short ones: the lecture's "GPU slower than CPU" for small networks.
 */
#ifndef MLSIM_FRAMEWORK_H
#define MLSIM_FRAMEWORK_H

#include "mlsim/vocab.h"

struct mlsim_framework_type {
    const char *name;   /* the word in training.framework */
    double dispatch_s;  /* host work per kernel (operator), on every device */
    double launch_s;    /* and per kernel launched on an accelerator (not a CPU) */
    double sync_s;      /* one host-device synchronisation per step, on an accelerator */
    const char *source; /* where the figures come from, for the assumptions */
    /* The cluster step's switches, under pipelining (pp > 1); 0 is Megatron-LM's behaviour. */
    int dp_after_flush; /* gradients reduced only after the pipeline's flush, never in buckets
                           during the backward pass, whatever training.overlap_comm says */
    int p2p_blocking;   /* each send between stages blocks both stages' compute until it is
                           received, in the engine's order of sends and receives (cluster.c) */
    int one_schedule;   /* the one pipeline schedule it has (enum mlsim_schedule + 1; 0: all) */
    int max_sharding;   /* the most ZeRO it runs beside a pipeline (enum mlsim_sharding + 1; 0:
                           any) */
    const char *pipeline_source; /* where the switches come from, for the assumptions */
    /* Its gradient buckets where training.bucket_size is not given: BUCKET_BYTES each, or
     * else max(BUCKET_MIN_PARAMS, BUCKET_PARAMS_PER_RANK x data-parallel ranks) parameters */
    double bucket_bytes, bucket_min_params, bucket_params_per_rank;
    const char *bucket_source; /* where the bucket comes from, for the assumptions */
};

/* The row of FRAMEWORK (enum mlsim_framework); MLSIM_FRAMEWORK_NONE's figures are all 0, as are
 * MLSIM_FRAMEWORK_MEGATRON's: the default step is Megatron-LM's. */
const struct mlsim_framework_type *mlsim_framework_get(int framework);

/* Whether F does host work per kernel or per step (a step that step.c must issue kernel by
 * kernel): a one-node mechanism, refused on cluster runs. */
int mlsim_framework_has_host_work(const struct mlsim_framework_type *f);

/* Whether a step of F with PP pipeline stages reduces its data-parallel gradients in buckets
 * during the backward pass, given OVERLAP_COMM (training.overlap_comm): every consumer of the
 * flag (the cluster step, the closed form, the report) asks this. */
int mlsim_framework_dp_overlap(const struct mlsim_framework_type *f, int overlap_comm, int pp);

/* The bytes of one gradient bucket under F: GIVEN (training.bucket_size) where it is above 0,
 * else F's default for RANKS data-parallel ranks at GRAD_BYTES per gradient. */
double mlsim_framework_bucket_bytes(const struct mlsim_framework_type *f, double given, int ranks,
                                    double grad_bytes);

/* The host work per kernel of FRAMEWORK on a device of KIND (enum mlsim_device_kind), seconds. */
double mlsim_framework_kernel_s(const struct mlsim_framework_type *f, int kind);

/* Whether a device of KIND runs its kernels apart from the host (an accelerator), so that the
 * host issues them ahead of it; a CPU is its own host. */
int mlsim_framework_offloaded(int kind);

#endif
