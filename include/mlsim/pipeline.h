/*
 * Pipeline schedules: the order in which one pipeline rank runs the forward and backward passes
 * of its micro-batches. GPipe runs every forward, then every backward (Huang et al. 2019); 1F1B
 * warms up with P - r - 1 forwards, then alternates one forward and one backward (PipeDream-Flush,
 * Narayanan et al. 2021); interleaved 1F1B gives each rank V model chunks and orders the chunks as
 * Narayanan et al. 2021, Sec. 2.2.2 describe. The bubble is not computed here: it falls out when
 * the simulator runs these orders with the real dependencies between ranks.
 */
#ifndef MLSIM_PIPELINE_H
#define MLSIM_PIPELINE_H

#include <stddef.h>

#include "mlsim/status.h"
#include "mlsim/vocab.h"

struct mlsim_pipe_op {
    int backward;   /* 0 forward, 1 backward */
    int microbatch; /* 0 .. M-1 */
    int chunk;      /* 0 .. V-1: model chunk on this rank (virtual stage chunk * P + rank) */
};

/* Fill OPS (2 M V entries) with rank RANK's order under SCHEDULE for P ranks, M micro-batches and
 * V chunks per rank (V = 1 except interleaved). Returns MLSIM_ERR_INPUT if the combination is not
 * possible (interleaving needs M to be a multiple of P). */
enum mlsim_status mlsim_pipeline_order(int schedule, int p, int m, int v, int rank,
                                       struct mlsim_pipe_op *ops);

/* The most micro-batch chunks whose activations OPS keeps at once (forwards not yet undone by
 * their backward), for memory accounting. */
int mlsim_pipeline_in_flight(const struct mlsim_pipe_op *ops, size_t n);

/* The same count as mlsim_pipeline_in_flight of rank RANK's order, without building it: M for
 * GPipe; for 1F1B and interleaving the rank's warm-up forwards plus one, at most all M V. */
int mlsim_pipeline_peak(int schedule, int p, int m, int v, int rank);

#endif
