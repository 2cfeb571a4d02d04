/*
 * The whole run as one simulation: compute, checkpoints, failures, detection, restarts, spare
 * nodes and repairs, skipping from failure to failure (between two failures the run's progress
 * and its checkpoints follow in closed form, so a 90-day run on 16,384 GPUs costs a few hundred
 * events). A workspace is allocated once per run and reused for every replicate and every
 * checkpoint interval tried; each replicate is seeded, so the same seed gives the same numbers.
 */
#ifndef MLSIM_WHOLERUN_H
#define MLSIM_WHOLERUN_H

#include <stdint.h>

#include "mlsim/diag.h"
#include "mlsim/reliability.h"
#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/status.h"

/* A replicate is stopped (MLSIM_ERR_RANGE) once it has met this many failures, or once its
 * wall-clock time passes its failure-free time over MLSIM_WHOLERUN_MIN_GOODPUT: such a run
 * cannot finish in any useful sense, as when failures come faster than it can restart. */
#define MLSIM_WHOLERUN_MAX_FAILURES 10000000L
#define MLSIM_WHOLERUN_MIN_GOODPUT  0.01

struct mlsim_wholerun;

/* One replicate: where its wall-clock time went and what failed. */
struct mlsim_wholerun_sample {
    double wall_s;      /* wall-clock time of the run */
    double busy_s;      /* devices computing (useful, lost, stragglers) */
    double failures;    /* interruptions, restarts included */
    double rate_factor; /* the replicate's draw of the rates' uncertainty */
    double by_component[MLSIM_COMPONENT_N];
    struct mlsim_badput badput;
};

/* MLPerf Training's allowance of model initialization before the clock must start (MLPerf
 * Training rules v1.0 and later, training_rules.adoc, "Run Results": "a maximum of 20 minutes of
 * model initialization time"; loading a benchmark's starting checkpoint is part of it). A run's
 * time to train leaves it out, as a submission's result does. */
#define MLSIM_WHOLERUN_INIT_ALLOWANCE_S 1200.0

/* The most evaluation passes a run may make (model.tokens / training.evaluation.every): past it
 * resolve reports a located error, so no run's time is a sum of more terms than that or overflows
 * (MLPerf's GPT-3 makes about 25). */
#define MLSIM_WHOLERUN_MAX_EVAL_PASSES 1e9

/* Fill the defaults of RUN's reliability block (when it has one), derive the counts of NICs and
 * switches, and check what spans fields; check its evaluation block (training.evaluation: both
 * numbers, at most MLSIM_WHOLERUN_MAX_EVAL_PASSES passes) and warn of it and of
 * training.init_time in inference mode, where they are dropped. Called by
 * mlsim_scenario_resolve; faults into D. Returns 1 if the blocks are usable (or absent), 0
 * otherwise. */
int mlsim_wholerun_resolve(struct mlsim_run *run, struct mlsim_diags *d);

/* The evaluation passes of RUN (resolved): one after each training.evaluation.every tokens
 * trained and, where model.tokens is not a whole number of intervals, one at the end (the pass
 * that finds the target), so ceil(tokens / every); 0 without an evaluation block. */
double mlsim_wholerun_eval_passes(const struct mlsim_run *run);

/* The time of one evaluated token as a share of one trained token's: the forward pass's third
 * of the model FLOPs (2 of 6 per parameter, Kaplan et al. 2020, Sec. 2.1; attention the same
 * split) over the FLOPs the training step computes per model FLOP, HFU / MFU (recomputation
 * counted). 1/3 where HFU is not known (analytic mode). */
double mlsim_wholerun_eval_share(double mfu, double hfu);

/* Seconds of RUN's evaluation passes when it trains TOKENS_PER_S tokens a second (all devices)
 * at MFU and HFU: passes x training.evaluation.tokens x share / TOKENS_PER_S. The passes into
 * *PASSES. 0 (and 0 passes) without evaluation or without a rate. */
double mlsim_wholerun_eval_seconds(const struct mlsim_run *run, double tokens_per_s, double mfu,
                                   double hfu, double *passes);

/* The part of RUN's model initialization (training.init_time) that MLPerf's clock counts: what
 * passes MLSIM_WHOLERUN_INIT_ALLOWANCE_S, else 0. */
double mlsim_wholerun_init_timed_s(const struct mlsim_run *run);

/* The evaluation's sentence (the passes, the share, the time on the clock) and, for a run with
 * training.init_time or reference.time_to_train, what MLPerf's clock leaves out, into A. Nothing
 * without any of them. */
void mlsim_wholerun_eval_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a);

/* A workspace for RUN (resolved, reliability enabled) whose failure-free compute takes WORK_S
 * seconds of wall-clock time. Returns MLSIM_ERR_NOMEM or MLSIM_ERR_INPUT (no work, no devices);
 * *OUT is NULL then. RUN must outlive the workspace. */
enum mlsim_status mlsim_wholerun_alloc(const struct mlsim_run *run, double work_s,
                                       struct mlsim_wholerun **out);

/* Free W. NULL is a no-op. */
void mlsim_wholerun_free(struct mlsim_wholerun *w);

/* Bytes of one checkpoint: the run's parameters x the bytes of state per parameter. */
double mlsim_wholerun_ckpt_bytes(const struct mlsim_wholerun *w);
/* Seconds to write it: its shards in parallel, one per node, at the slower of the nodes' and the
 * storage's bandwidth. */
double mlsim_wholerun_ckpt_write_s(const struct mlsim_wholerun *w);
/* The job's mean time between failures: 1 / (sum over components of count x rate). */
double mlsim_wholerun_mtbf_s(const struct mlsim_wholerun *w);
/* The pause a checkpoint costs the run: the write (sync) or the snapshot (async). */
double mlsim_wholerun_ckpt_cost_s(const struct mlsim_wholerun *w);
/* Young-Daly's first-order optimum interval, sqrt(2 C MTBF), with C the pause above. */
double mlsim_wholerun_young_daly_s(const struct mlsim_wholerun *w);
/* Random draws one replicate is expected to take: its failures without downtime (work / MTBF)
 * and, for Weibull failures, one life per component to start with. */
double mlsim_wholerun_draws(const struct mlsim_wholerun *w);
/* Components of kind C in the job (devices, nodes, NICs, switches, nodes for software). */
double mlsim_wholerun_count(const struct mlsim_wholerun *w, enum mlsim_component c);

/* Simulate one replicate with checkpoints every INTERVAL_S seconds of compute (> 0), its failure
 * draws seeded with SEED, into *OUT. Allocates nothing. Returns MLSIM_ERR_RANGE past the limits
 * above, MLSIM_ERR_NOMEM if a queue cannot grow. */
enum mlsim_status mlsim_wholerun_simulate(struct mlsim_wholerun *w, double interval_s,
                                          uint64_t seed, struct mlsim_wholerun_sample *out);

#endif
