/*
 * The analytic model: a whole training run from its FLOP count and an assumed utilization, the
 * way the deck's cost table is computed. FLOPs = 6 N D (forward 2 N D, backward 4 N D per token;
 * Kaplan et al. 2020, Sec. 2.1); time = FLOPs / (devices * peak * MFU); everything else follows
 * from device-hours (cost.h).
 */
#ifndef MLSIM_ANALYTIC_H
#define MLSIM_ANALYTIC_H

#include "mlsim/diag.h"
#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/status.h"

/* Estimate RUN (resolved: its device is set) into *OUT. Returns MLSIM_ERR_INPUT if the run cannot
 * be estimated (no device, zero peak or MFU). */
enum mlsim_status mlsim_analytic_estimate(const struct mlsim_run *run, struct mlsim_result *out);

/* Add a note to D when RUN's weights, gradients and Adam states (16 bytes per parameter, ZeRO
 * paper Sec. 3.1) cannot fit in its devices' memory even spread over all of them, or when the
 * device's memory is not known: the analytic model does not check memory otherwise. */
void mlsim_analytic_memory_note(const struct mlsim_run *run, struct mlsim_diags *d);

/* The assumptions behind an analytic result RES, its pricing's included (cost.h), into A. */
void mlsim_analytic_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a);

#endif
