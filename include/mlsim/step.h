/*
 * One training step of data parallelism on one node, as a DAG on the discrete-event engine:
 * per device a compute stream (forward and backward kernels of each micro-batch, then the
 * optimizer), a communication stream (gradient all-reduce in buckets, started as the backward pass
 * of the last micro-batch produces them, as PyTorch DDP does) and a copy stream (each
 * micro-batch's input, host to device). Replicas are identical, so one device is simulated and the
 * collectives are costed for all of them. A closed form of the same step sits beside it.
 */
#ifndef MLSIM_STEP_H
#define MLSIM_STEP_H

#include <stdint.h>

#include "mlsim/collective.h"
#include "mlsim/kernel.h"
#include "mlsim/sim.h"
#include "mlsim/workload.h"

/* Task categories, for breakdowns and traces. */
enum mlsim_step_category { MLSIM_CAT_COMPUTE, MLSIM_CAT_COMM, MLSIM_CAT_COPY, MLSIM_CAT_HOST };

struct mlsim_step_config {
    const struct mlsim_workload *w;
    const struct mlsim_kernel_model *km;
    int dp;                 /* data-parallel devices */
    int grad_accum;         /* micro-batches per device per step */
    double bucket_bytes;    /* gradient bytes per all-reduce bucket */
    double grad_elem_bytes; /* bytes per gradient element on the wire */
    struct mlsim_link_cost link;
    const struct mlsim_collective_algo *algo;
    double h2d_Bps;   /* host-to-device bandwidth; 0: inputs already on the device */
    int overlap_comm; /* all-reduce during the backward pass (else after it) */
    double host_s;    /* the host's own work per step (framework, data loading) before the
                         device starts; 0: none */
    int no_fold;      /* simulate every micro-batch (for checking the folding, below) */
    /* compute seconds each second of an overlapped all-reduce takes from the compute beside it
     * (MLSIM_OVERLAP_SLOWDOWN; 0: none), as mlsim_cluster_config's */
    double overlap_slowdown;
    /* The framework's host work (framework.h). KERNEL_HOST_S per kernel: with HOST_ISSUES the
     * host issues each kernel on its own stream ahead of the device and the kernel waits for it
     * (an accelerator); without, the host is the device and the time adds to the kernel's (a
     * CPU). SYNC_S: the host waits for the device once at the end of the step. 0: none. */
    double kernel_host_s;
    int host_issues;
    double sync_s;
};

struct mlsim_step_result {
    double step_s;
    double compute_s; /* compute stream busy */
    double comm_s;    /* communication stream busy */
    double copy_s;    /* copy stream busy */
    double
        exposed_comm_s;   /* the optimizer's wait for the last all-reduce after the backward pass */
    double closed_form_s; /* the same step without queueing (see mlsim_step_closed_form) */
    uint64_t events;      /* simulated: a folded step's are its short steps' */
    size_t tasks;         /* the most simulated at once */
    int folded;           /* its accumulation was folded (below) */
};

/* Simulate one step of C into *R. If KEEP is not NULL, *KEEP receives the finished simulation
 * (for traces; the caller frees it), else it is freed here. Without KEEP, a step of at least 64
 * micro-batches is folded: the micro-batches before the last carry no communication and repeat,
 * so the step is simulated at four short accumulations and extended along their line, which they
 * are checked to lie on (else every micro-batch is simulated); R->folded says so. */
enum mlsim_status mlsim_step_simulate(const struct mlsim_step_config *c,
                                      struct mlsim_step_result *r, struct mlsim_sim **keep);

/* The step in closed form: every compute kernel back to back, the first input copy, and, with
 * more than one device, every all-reduce bucket after the backward pass. Host work issued per
 * kernel is followed kernel by kernel (a kernel starts when both it is issued and the one before
 * it is done), so the closed form stays exact on one device. Equal to the simulation
 * when communication does not overlap (one device, or overlap off); with overlap the simulation
 * is the reference and the gap is reported. */
double mlsim_step_closed_form(const struct mlsim_step_config *c);

#endif
