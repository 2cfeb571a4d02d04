/*
 * Uncertain inputs (run layer): a run whose quantity fields are given as distributions
 * (scenario.h, struct mlsim_dist) is estimated again for each of N draws of them, and its time,
 * cost, energy and CO2 get P10 / P50 / P90 bands and means. A run with a reliability block draws
 * one failure history per draw, so its bands hold both. Draw I of a run seeded S depends on S and
 * I alone (mlsim_montecarlo_seed): two runs with the same seed give the same bytes, in one process
 * or over MPI ranks (each its block of draws).
 */
#ifndef MLSIM_UNCERTAIN_H
#define MLSIM_UNCERTAIN_H

#include "mlsim/diag.h"
#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/status.h"

/* Draws when the run gives no reliability.samples. */
#define MLSIM_UNCERTAIN_DEFAULT_SAMPLES 200

/* How a draw is estimated: run.h's dispatcher, passed in (this module sits under it). */
typedef enum mlsim_status mlsim_uncertain_estimate_fn(const struct mlsim_run *run,
                                                      struct mlsim_result *out,
                                                      struct mlsim_diags *d);

/* Draw RUN's uncertain inputs reliability.samples times (seed reliability.seed), estimate each
 * draw with ESTIMATE, and write the bands into OUT->rel (its time, cost, energy and CO2 bands,
 * and input_samples). OUT holds RUN's own estimate (its inputs at their central values). A draw
 * that cannot be estimated is reported into D at RUN's place. */
enum mlsim_status mlsim_uncertain_run(const struct mlsim_run *run, struct mlsim_result *out,
                                      mlsim_uncertain_estimate_fn *estimate, struct mlsim_diags *d);

/* The uncertain inputs and what the draws gave, into A. */
struct mlsim_assumptions;
void mlsim_uncertain_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a);

#endif
