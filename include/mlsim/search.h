/*
 * The layout search: which layout (and, over several runs, which device and how many) trains a
 * run fastest, cheapest or with the least energy, within a deadline and a budget. Every layout of
 * a run is enumerated (tensor, pipeline and data parallelism, micro-batch, schedule and
 * interleaving, recomputation, ZeRO stage, sequence parallelism); those that do not tile or do not
 * fit memory are rejected before anything is costed; the rest are ranked by the closed form
 * (closed.h) and the best K simulated on the engine, which gives the final order.
 */
#ifndef MLSIM_SEARCH_H
#define MLSIM_SEARCH_H

#include <stddef.h>

#include "mlsim/closed.h"
#include "mlsim/diag.h"
#include "mlsim/layout.h"
#include "mlsim/par.h"
#include "mlsim/result.h"
#include "mlsim/status.h"

/* Micro-batches tried: 1 to 16 sequences (Megatron-LM's runs use 1 to 8; Narayanan et al. 2021,
 * Sec. 5). */
#define MLSIM_SEARCH_MAX_MICRO_BATCH 16

/* Context parallelism is tried (in powers of two) while each rank keeps this many tokens of a
 * sequence at least: a bound on the enumeration, not a rule of Megatron-LM's, whose context-
 * parallel runs split sequences of 8K and more (Llama 3's 131,072 over 16 ranks keeps 8,192;
 * Dubey et al. 2024, Table 4); short-context runs are searched as before. */
#define MLSIM_SEARCH_MIN_CP_TOKENS 4096

enum mlsim_objective { MLSIM_OBJECTIVE_TIME, MLSIM_OBJECTIVE_COST, MLSIM_OBJECTIVE_ENERGY };

struct mlsim_search_options {
    int objective;     /* enum mlsim_objective */
    double deadline_s; /* the run's wall-clock at most this; 0: none */
    double budget_usd; /* the run's cost at most this; 0: none */
    int max_devices;   /* 0: none */
    int top_k;         /* layouts simulated on the engine (at least 1) */
    int check;         /* simulate every candidate, to check the closed form's top K */
    /* called after each simulation with the count done and to do (NULL: not called); the library
     * prints nothing, its caller may */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    /* the ranks the costing and the simulations are spread over (par.h; NULL: this process
     * alone); every rank adds the same runs and gets the same rows */
    const struct mlsim_par *par;
};

/* One candidate: a run (its device and count) and a layout, its closed form, and what the
 * engine made of it when it was simulated. */
struct mlsim_search_row {
    const struct mlsim_run *run;
    size_t run_index; /* which run added (0 the first): ties between runs, rows between ranks */
    struct mlsim_layout layout;
    struct mlsim_closed_step closed;
    double run_s, cost_usd, energy_j; /* the whole run at the closed form's step */
    double objective;                 /* the value ranked (closed form, or simulated if done) */
    int simulated;
    struct mlsim_result sim; /* when simulated */
};

struct mlsim_search_stats {
    size_t considered;      /* layouts enumerated */
    size_t rejected_tiling; /* not tiling the model, devices or batch */
    size_t rejected_memory; /* not fitting the devices' memory */
    size_t rejected_limits; /* past the deadline, the budget or the device limit */
    size_t ranked;          /* left for the closed form to rank */
    size_t simulated;       /* simulated on the engine */
    /* --check: whether the closed form's top K holds the best of all simulated, and the ranks
     * (1-based, in the closed form's order) of the simulation's best */
    int check_done, check_holds;
    size_t check_rank_of_best;
};

struct mlsim_search;

/* A search with options O; NULL if memory runs out. */
struct mlsim_search *mlsim_search_alloc(const struct mlsim_search_options *o);
void mlsim_search_free(struct mlsim_search *s);

/* Enumerate the layouts of RUN (resolved, simulate mode; it must outlive S) into S: tiling and
 * memory are checked, the rest costed in closed form. MLSIM_ERR_NOMEM. */
enum mlsim_status mlsim_search_add(struct mlsim_search *s, const struct mlsim_run *run);

/* Rank the candidates, drop those past the limits, simulate the best K (all with check) and order
 * the rows by the objective, simulated rows first. Faults of a simulation are reported into D
 * (in a job of several ranks, rank 0's D gets every rank's). */
enum mlsim_status mlsim_search_finish(struct mlsim_search *s, struct mlsim_diags *d);

/* The ranked rows (the best first) and the statistics, after mlsim_search_finish. */
const struct mlsim_search_row *mlsim_search_rows(const struct mlsim_search *s, size_t *n);
const struct mlsim_search_stats *mlsim_search_stats(const struct mlsim_search *s);

/* Cost one layout of RUN in closed form into ROW with workspace W (the search's inner loop, for
 * benchmarks); returns 0 if it does not tile, 1 if it does not fit, 2 if it is a candidate, -1 if
 * memory ran out. */
int mlsim_search_cost(struct mlsim_closed_work *w, const struct mlsim_run *run,
                      const struct mlsim_layout *l, struct mlsim_search_row *row);

#endif
