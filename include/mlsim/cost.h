/*
 * From a step to a run: the whole run's time, device-hours, rental cost, energy, electricity
 * bill and CO2, written once for every mode. A mode fills the run's wall-clock time and its busy
 * share; this module prices it with the run's economics. Goodput (failures, restarts,
 * checkpoints) will stretch the time here, before it is priced.
 */
#ifndef MLSIM_COST_H
#define MLSIM_COST_H

#include "mlsim/result.h"
#include "mlsim/scenario.h"

/* Price OUT's run: from DEVICE_SECONDS (devices x wall-clock seconds, as the mode computed it) and
 * BUSY (the share of the time the device computes, 0..1: power follows utilization between the
 * device's idle figure and its average draw; 1 when the mode assumes a device kept busy), fill
 * device_hours, cost_usd, avg_power_w, energy_j, energy_cost_usd and co2_kg. */
void mlsim_cost_finish(const struct mlsim_run *run, double device_seconds, double busy,
                       struct mlsim_result *out);

/* The wall-clock seconds of a run of TOKENS in sequences of SEQ_TOKENS under T's batch ramp-up
 * (scenario.h), its steps into *STEPS. Megatron-LM's schedule (megatron/core/num_microbatches_
 * calculator.py, RampupBatchsizeNumMicroBatches): the ramp's samples split evenly among its
 * (global_batch - start) / increment batch sizes, start, start + increment, ...; then the full
 * batch for the rest. A step of B sequences takes STEP_S less the busiest device's compute for
 * the sequences left out, COMPUTE_S x (1 - B / global_batch): its micro-batches are fewer, while
 * the pipeline's fill and drain, the gradient reduction and the update stay (Narayanan et al.
 * 2021, Sec. 2.2). Without a ramp-up: TOKENS / (global_batch x SEQ_TOKENS) steps of STEP_S, one at
 * least. */
double mlsim_cost_rampup_seconds(const struct mlsim_training *t, double tokens, double seq_tokens,
                                 double step_s, double compute_s, double *steps);

/* The assumptions of the pricing (price, power, PUE, grid, electricity), with the values used and
 * where each came from, into A. */
void mlsim_cost_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a);

#endif
