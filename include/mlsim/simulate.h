/*
 * Simulate mode: a run's MFU derived, not assumed. The run's model becomes a workload, its
 * device a kernel model; one training step is simulated on the discrete-event engine and the
 * whole run follows from it (steps = tokens / tokens per step). Memory per device is checked
 * against the device's capacity first.
 */
#ifndef MLSIM_SIMULATE_H
#define MLSIM_SIMULATE_H

#include "mlsim/analytic.h"
#include "mlsim/diag.h"
#include "mlsim/sim.h"

/* Simulate RUN (resolved, mode simulate) into *OUT. A run that does not fit in memory, or whose
 * shape is impossible, is reported into D with the run's place (MLSIM_ERR_INPUT). If KEEP is not
 * NULL it receives the simulated step (caller frees) for a timeline. */
enum mlsim_status mlsim_simulate_estimate(const struct mlsim_run *run, struct mlsim_result *out,
                                          struct mlsim_sim **keep, struct mlsim_diags *d);

/* Inference: the largest batch whose forward pass (inputs copied in, forward kernels, outputs
 * copied out) stays under RUN's latency bound, its latency and the inferences per second it gives
 * on each of RUN's devices serving on its own. MLSIM_ERR_INPUT (reported) if not even one input
 * meets the bound. */
enum mlsim_status mlsim_inference_estimate(const struct mlsim_run *run, struct mlsim_result *out,
                                           struct mlsim_diags *d);

/* The assumptions behind a simulated training result RES (its pricing's included) or an
 * inference result, into A: each sentence is written here, beside the code that assumes it. */
void mlsim_simulate_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a);
void mlsim_inference_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a);

#endif
