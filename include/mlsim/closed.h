/*
 * The closed form of a cluster's step: a function of a run's model, a layout and the run's
 * system to the step time, its breakdown and the memory per device, with no simulation. Each
 * distinct piece of a stage (a transformer layer, what the embedding adds to the first stage and
 * the head to the last) is costed once per tensor-parallel shape and cached in a workspace, so a
 * layout costs a few dozen operations: the search ranks tens of thousands of layouts with it and
 * simulates only the best on the engine. It follows the simulation's own accounting (cluster.c):
 * Narayanan et al. 2021's pipeline of (m + (p - 1) / v) micro-batch times on the busiest rank,
 * point-to-point sends at the fill and drain, the data-parallel reduction after each rank's last
 * backward pass and its update, ZeRO-3's gathers hidden behind compute unless longer than it.
 */
#ifndef MLSIM_CLOSED_H
#define MLSIM_CLOSED_H

#include "mlsim/layout.h"
#include "mlsim/status.h"

struct mlsim_run;

struct mlsim_closed_step {
    double step_s;       /* the step */
    double compute_s;    /* the busiest rank's compute, its update included */
    double bubble_s;     /* the pipeline's fill and drain on that rank */
    double pp_comm_s;    /* point-to-point sends on the critical path */
    double dp_exposed_s; /* data-parallel reduction (and ZeRO's gathers) not hidden */
    double model_flops;  /* per step, all devices, recomputation not counted */
    double hw_flops;     /* the same with recomputation */
    struct mlsim_layout_memory mem;
};

/* A workspace for one run's layouts: the cached costs of each tensor-parallel shape. */
struct mlsim_closed_work;

/* Allocate a workspace for RUN (resolved; it must outlive the workspace). NULL if memory runs
 * out. */
struct mlsim_closed_work *mlsim_closed_work_alloc(const struct mlsim_run *run);
void mlsim_closed_work_free(struct mlsim_closed_work *w);

/* The step of RUN under layout L (which must tile the model: mlsim_layout_check) into *OUT.
 * MLSIM_ERR_INPUT for a shape the workload cannot build, MLSIM_ERR_NOMEM. */
enum mlsim_status mlsim_closed_step(struct mlsim_closed_work *w, const struct mlsim_layout *l,
                                    struct mlsim_closed_step *out);

#endif
