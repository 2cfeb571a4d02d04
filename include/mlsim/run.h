/*
 * One dispatcher for the modes. A mode is a type object (a name and an estimate function, GSL's
 * pattern); the table of them is the only place that knows which modes exist. The command line,
 * the charts, the fuzz target and the search all estimate a run through mlsim_run_estimate.
 */
#ifndef MLSIM_RUN_H
#define MLSIM_RUN_H

#include "mlsim/diag.h"
#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/sim.h"
#include "mlsim/status.h"

struct mlsim_mode_type {
    const char *name; /* as in the scenario's `mode:` */
    /* Estimate RUN into *OUT (zeroed first by the dispatcher). KEEP, when not NULL, receives the
     * simulated step (caller frees with mlsim_sim_free), or NULL where nothing was simulated.
     * Faults are reported into D with the run's place. */
    enum mlsim_status (*estimate)(const struct mlsim_run *run, struct mlsim_result *out,
                                  struct mlsim_sim **keep, struct mlsim_diags *d);
    /* The sentences behind a result of this mode, written by the code that made it. */
    void (*assumptions)(const struct mlsim_result *res, struct mlsim_assumptions *a);
};

/* The mode type of enum mlsim_mode MODE, or NULL. */
const struct mlsim_mode_type *mlsim_run_mode(int mode);

/* The sentences behind RES: its mode's, then its uncertain inputs' (uncertain.h). */
void mlsim_run_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a);

/* Estimate RUN (resolved) in its mode into *OUT; see struct mlsim_mode_type; a run with
 * uncertain inputs then gets its bands (uncertain.h). */
enum mlsim_status mlsim_run_estimate(const struct mlsim_run *run, struct mlsim_result *out,
                                     struct mlsim_sim **keep, struct mlsim_diags *d);

#endif
