/*
 * Precision recipes: what a run's `precision:` word means kernel by kernel. Frameworks do not run a
 * whole step at one precision: Transformer Engine runs the linear layers' GEMMs in FP8 and keeps
 * attention, norms, activations and master weights wider; AQT does the same with int8 on TPUs.
 * Each recipe is a type object (GSL's pattern) in one const table, with its source; the workload
 * builder, the kernel model and the memory account all read the run's recipe, so the FLOP rate and
 * bytes of every kernel and every memory term follow it.
 */
#ifndef MLSIM_PRECISION_H
#define MLSIM_PRECISION_H

#include "mlsim/vocab.h"

struct mlsim_precision_type {
    const char *name; /* the scenario's word (vocab.h) */
    /* enum mlsim_precision of attention, norms, the LM head and every matmul outside a linear
     * layer: the peak those kernels run at */
    int compute;
    /* enum mlsim_precision of the linear layers' GEMMs (QKV, projection, MLP; an MLP's dense
     * layers), forward and both gradients */
    int linear;
    double act_bytes; /* bytes per element of activations, weights and gradients stored */
    double
        linear_in_bytes; /* bytes per element of a linear GEMM's inputs (its output: act_bytes) */
    /* bytes a cast kernel moves per element of a linear GEMM input (read at act_bytes, write the
     * narrow copy and, where the recipe keeps one, its transpose); 0: no cast kernels */
    double cast_bytes;
    /* bytes per element when serving (inference runs every kernel at the named precision):
     * int8 serves quantized weights and activations (TPU v1, Jouppi et al. 2017) */
    double serve_bytes;
    const char *source; /* where the recipe is described */
};

/* The recipe of PRECISION (enum mlsim_precision); never NULL (an out-of-range value gets bf16's).
 */
const struct mlsim_precision_type *mlsim_precision_recipe(int precision);

/* 1 if RECIPE runs its linear GEMMs narrower than the rest (casts, a second peak). */
int mlsim_precision_is_split(const struct mlsim_precision_type *recipe);

#endif
