/*
 * The frameworks' host figures (framework.h), one sourced row each. A figure is a published
 * measurement of one operator or one launch; the framework's real count of operators per step
 * can exceed mlsim's kernels (an eager framework does not fuse a bias, an activation and a
 * dropout), so these rows err on the side of too little host work.
 */
#include "mlsim/framework.h"

static const struct mlsim_framework_type frameworks[MLSIM_FRAMEWORK_N] = {
    [MLSIM_FRAMEWORK_NONE] = {"none", 0, 0, 0, "mlsim's lean C trainer: no host work per kernel"},
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
                                 "(NVIDIA, Getting Started with CUDA Graphs, 2019)"},
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
