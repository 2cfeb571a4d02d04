/*
 * The result of a run: what it costs and, for a simulated run, where its step goes. Every mode
 * fills the same struct (run.h's dispatcher picks the mode); the writers of report.h print it
 * through the column table of columns.h, where a field added here gets its name, unit and meaning.
 */
#ifndef MLSIM_RESULT_H
#define MLSIM_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "mlsim/scenario.h"

/* What a run costs. SI units throughout. */
struct mlsim_result {
    const struct mlsim_run *run;
    double flops;           /* model FLOPs of the whole run */
    double peak_flops;      /* per device, at the run's precision */
    double mfu;             /* model FLOPs utilization used */
    double time_s;          /* wall-clock time */
    double device_hours;    /* devices x hours */
    double cost_usd;        /* device-hours x rental price */
    double avg_power_w;     /* per device, device + host share, before PUE */
    double energy_j;        /* facility energy: devices x power x time x PUE */
    double energy_cost_usd; /* energy x electricity price (0 if not priced) */
    double co2_kg;          /* energy x grid intensity */
    /* simulate mode only (0 otherwise) */
    int simulated;
    double step_s;                /* one training step */
    double compute_s;             /* compute stream busy per step */
    double exposed_comm_s;        /* waiting on gradient all-reduce per step */
    double idle_s;                /* the rest of the step */
    double closed_form_step_s;    /* the step in closed form */
    double hfu;                   /* hardware FLOPs utilization (recomputation counted) */
    double tflops_per_device;     /* model FLOP/s per device, in units of 1e12 */
    double tokens_per_s;          /* tokens (samples for an MLP) per second, all devices */
    double steps;                 /* steps in the run */
    double mem_bytes;             /* per device: states + activations + reserve */
    double mem_states_bytes;      /* weights, gradients, optimizer states */
    double mem_act_bytes;         /* activations kept for the backward pass */
    double state_bytes_per_param; /* weights, gradients and optimizer states, before sharding */
    double busy_fraction;         /* compute stream busy / step */
    uint64_t events;              /* simulation events per step */
    int batch;                    /* inference: the largest batch under the latency bound */
    int tp, pp, dp;               /* the parallel layout simulated */
    int cp, ep;                   /* its context- and expert-parallel sizes (0 or 1: none) */
    int layout_chosen;            /* mlsim chose it (the run gave none) */
    int sharding;                 /* enum mlsim_sharding of the layout simulated (cluster only) */
    int cluster;                  /* simulated with tensor, pipeline or multi-node parallelism */
    int schedule;                 /* enum mlsim_schedule of the pipeline simulated (cluster only) */
    int interleave;               /* model chunks per pipeline rank simulated (cluster only) */
    double tp_comm_s;             /* tensor-parallel collectives inside the compute, per step */
    double dp_comm_s;             /* data-parallel communication per step, overlapped or not */
    double eval_passes;           /* evaluation passes of the run (wholerun.h; 0: none) */
    double eval_s;                /* their wall-clock time, inside time_s */
    double init_timed_s;          /* initialization past MLPerf's allowance, inside time_s */
    /* a row of a table that was not estimated, and why (does not tile, does not fit); then
     * nothing else of the result is set but RUN */
    char not_run[192];
    /* the whole run with failures and checkpoints (runs with a reliability block; 0 otherwise) */
    struct mlsim_reliability_result rel;
};

/* Assumptions are said by the code that assumes: each mode, and the pricing, write the sentences
 * behind their numbers, with the values they used, into a list the report prints. */
#define MLSIM_ASSUMPTION_LEN 512

struct mlsim_assumptions {
    char (*lines)[MLSIM_ASSUMPTION_LEN];
    size_t n, max;  /* lines written; room for MAX (a line past it is counted in DROPPED) */
    size_t dropped; /* lines that found no room */
    int with_lines; /* cite a field given in a file with its line number */
};

/* Add one sentence to A (printf-style); past A's room it is counted, not written. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void mlsim_assume(struct mlsim_assumptions *a, const char *fmt, ...);

#endif
