/*
 * The frameworks (framework.h), one sourced row each: host figures and the cluster step's
 * switches. A host figure is a published measurement of one operator or one launch; the
 * framework's real count of operators per step can exceed mlsim's kernels (an eager framework
 * does not fuse a bias, an activation and a dropout), so these rows err on the side of too little
 * host work. A switch names a mechanism of the simulated step (cluster.c), never a factor on it.
 */
#include "mlsim/framework.h"

/* Gradient buckets (framework.h): a row's bucket_*, sourced: Megatron-core's
 * DistributedDataParallelConfig
 * ("If unspecified, MCore uses a default value of max(40000000, 1000000 * dp_size) parameters
 * (larger DP sizes need larger buckets to ensure collectives do not become latency-bound)"),
 * mlsim's default step and Megatron-LM's; PyTorch DDP's bucket_cap_mb of 25 MiB; DeepSpeed's
 * zero_optimization.reduce_bucket_size of 5e8 elements (its configuration docs' default). */
#define MEGATRON_BUCKETS "Megatron-core DDP: max(40M, 1M x dp) parameters"

static const struct mlsim_framework_type frameworks[MLSIM_FRAMEWORK_N] = {
    [MLSIM_FRAMEWORK_NONE] = {"none", 0, 0, 0, "mlsim's lean C trainer: no host work per kernel",
                              .bucket_min_params = 40e6, .bucket_params_per_rank = 1e6,
                              .bucket_source = MEGATRON_BUCKETS},
    /* Dispatch: "an overhead of ~7 microseconds for the simplest tensor operations" with autograd
     * on (y = 2 * x, a million times in 6.8 s; PyTorch issue 41383, 2020). Launch and sync:
     * NVIDIA's "Getting Started with CUDA Graphs" (A. Gray, 2019, V100): back to back, kernels
     * of 2.9 us took 3.8 us each, the launch path's rate, taken as a launch's host time; with a
     * stream synchronisation after each, 9.6 us: 5.8 us for one synchronisation. A cross-check:
     * eager PyTorch issued small CUDA adds at 8 us each on an A100 (flagos-ai/Torch-FL pull request
     * 27, 2026), against 7 + 3.8 us here from the older figures. */
    [MLSIM_FRAMEWORK_PYTORCH] = {"pytorch", 7e-6, 3.8e-6, 5.8e-6,
                                 "eager PyTorch: 7 us of dispatch per operator (PyTorch issue "
                                 "41383), 3.8 us per CUDA launch and 5.8 us per synchronisation "
                                 "(NVIDIA, Getting Started with CUDA Graphs, 2019)",
                                 .bucket_bytes = 25.0 * 1048576.0,
                                 .bucket_source = "PyTorch DDP's bucket_cap_mb"},
    /* mlsim's default step is Megatron-LM's (cluster.h): sends between stages on streams of their
     * own, gradients in buckets during the last backward when training.overlap_comm is on, every
     * schedule (interleaving is Megatron-LM's, Narayanan et al. 2021). Its kernels are long at
     * the scales it pipelines, so its host work is left out, as none's. */
    [MLSIM_FRAMEWORK_MEGATRON] = {"megatron", 0, 0, 0, "Megatron-LM: no host work per kernel", 0, 0,
                                  0, 0, "Megatron-LM (Narayanan et al. 2021): mlsim's default step",
                                  .bucket_min_params = 40e6, .bucket_params_per_rank = 1e6,
                                  .bucket_source = MEGATRON_BUCKETS},
    /* Megatron-DeepSpeed: Megatron-LM's layers and fused kernels under DeepSpeed's PipelineEngine
     * (deepspeed/runtime/pipe/engine.py, schedule.py, p2p.py). Its engine sets
     * enable_backward_allreduce = False ("We schedule the all-reduces") and TrainSchedule issues
     * ReduceGrads only in the batch's last step, after the flush; p2p.send and p2p.recv refuse
     * async_op and SendActivation, RecvActivation, SendGrad and RecvGrad are documented as
     * blocking, each paired with its neighbour's; TrainSchedule is 1F1B without interleaving (the
     * engine's only training schedule); the engine asserts "ZeRO-2 and ZeRO-3 are incompatible
     * with pipeline parallelism". What it shares with Megatron-LM needs no switch: its kernels
     * are Megatron-LM's (fused), and it partitions activations and gradients over the tensor group
     * before sending them (runtime/config.py: pipe_partitioned and grad_partitioned default true),
     * the bytes of Megatron-LM's scatter/gather. */
    [MLSIM_FRAMEWORK_DEEPSPEED] = {"deepspeed", 0, 0, 0, "DeepSpeed: no host work per kernel", 1, 1,
                                   MLSIM_SCHEDULE_1F1B + 1, MLSIM_SHARD_ZERO1 + 1,
                                   "DeepSpeed's PipelineEngine (deepspeed/runtime/pipe/engine.py: "
                                   "enable_backward_allreduce off, ReduceGrads after the flush; "
                                   "schedule.py: TrainSchedule, 1F1B, blocking sends and "
                                   "receives; ZeRO-2 and -3 refused beside a pipeline)",
                                   .bucket_min_params = 5e8,
                                   .bucket_source = "DeepSpeed's reduce_bucket_size, 5e8 elements"},
};

const struct mlsim_framework_type *mlsim_framework_get(int framework)
{
    if (framework < 0 || framework >= MLSIM_FRAMEWORK_N)
        framework = MLSIM_FRAMEWORK_NONE;
    return &frameworks[framework];
}

int mlsim_framework_offloaded(int kind)
{
    return kind != MLSIM_KIND_CPU;
}

double mlsim_framework_kernel_s(const struct mlsim_framework_type *f, int kind)
{
    return f->dispatch_s + (mlsim_framework_offloaded(kind) ? f->launch_s : 0.0);
}

int mlsim_framework_has_host_work(const struct mlsim_framework_type *f)
{
    return f->dispatch_s > 0 || f->launch_s > 0 || f->sync_s > 0;
}

int mlsim_framework_dp_overlap(const struct mlsim_framework_type *f, int overlap_comm, int pp)
{
    return overlap_comm && !(f->dp_after_flush && pp > 1);
}

double mlsim_framework_bucket_bytes(const struct mlsim_framework_type *f, double given, int ranks,
                                    double grad_bytes)
{
    if (given > 0)
        return given;
    if (f->bucket_bytes > 0)
        return f->bucket_bytes;
    double params = f->bucket_params_per_rank * (ranks > 0 ? ranks : 1);
    return (params > f->bucket_min_params ? params : f->bucket_min_params) * grad_bytes;
}
