/*
 * Monte Carlo over the failure draws of a whole run: N replicates of wholerun.h's simulation,
 * each seeded from the run's seed and its index, give P10, P50, P90 and the mean of the run's
 * wall-clock time, cost, energy and CO2. The checkpoint interval is the run's, or the one that
 * minimizes the mean wall-clock time over common random numbers (the same draws for every
 * interval tried), found by a grid around Young-Daly's interval and a golden-section search.
 */
#ifndef MLSIM_MONTECARLO_H
#define MLSIM_MONTECARLO_H

#include <stdint.h>

#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/status.h"
#include "mlsim/wholerun.h"

/* Replicates used to compare intervals in the search (fewer if the run asks fewer). */
#define MLSIM_MONTECARLO_SEARCH_SAMPLES 32
/* The search stops when the bracket is this share of the interval. */
#define MLSIM_MONTECARLO_SEARCH_TOL 0.002
/* The most random draws a run's Monte Carlo may take (the interval search included), counted
 * before it starts from the expected failures and the Weibull components: about 10 s on one
 * core. A run past it is refused with MLSIM_ERR_RANGE and rel.too_much_work set. */
#define MLSIM_MONTECARLO_MAX_DRAWS 2e8
/* Replicates simulated between two shares among MPI ranks (par.h): the size of the buffer that
 * holds them, whatever the count. */
#define MLSIM_MONTECARLO_CHUNK 4096
/* Replicate runs the search costs, for that count: a grid of 25 and ~25 golden-section steps. */
#define MLSIM_MONTECARLO_SEARCH_RUNS 50

/* Prices a run of DEVICE_SECONDS device-seconds whose devices compute BUSY of the time into
 * OUT's cost fields (cost.c's pricing, passed in so that this module does not call back into
 * cost.c's dispatch). */
typedef void mlsim_montecarlo_price_fn(const struct mlsim_run *run, double device_seconds,
                                       double busy, struct mlsim_result *out);

/* The seed of replicate I of a run seeded SEED (splitmix64 of both, so that neighbouring seeds
 * and indices give unrelated streams). */
uint64_t mlsim_montecarlo_seed(uint64_t seed, uint64_t i);

/* The interval in [LO, HI] that minimizes the mean wall-clock time of replicates 0..K-1 of W
 * seeded from SEED, into *BEST. Errors of the simulation are returned. */
enum mlsim_status mlsim_montecarlo_best_interval(struct mlsim_wholerun *w, uint64_t seed, int k,
                                                 double *best);

/* The whole run of RUN (reliability enabled): its failure-free compute takes WORK_S seconds of
 * wall-clock time with its devices busy BUSY of it. Fills OUT->rel, sets OUT->time_s to the mean
 * wall-clock time and prices it with PRICE (cost, energy and CO2 as means over the replicates).
 * On error OUT->rel.status says which and OUT is priced as if nothing failed. */
enum mlsim_status mlsim_montecarlo_run(const struct mlsim_run *run, double work_s, double busy,
                                       mlsim_montecarlo_price_fn *price, struct mlsim_result *out);

/* The P10, P50, P90 and mean of the N values V (sorted in place). */
struct mlsim_band mlsim_montecarlo_band(double *v, size_t n);

/* The whole run's assumptions (failure rates and their source, recovery times, checkpoints,
 * the bands), for a run with a reliability block, into A. */
void mlsim_montecarlo_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a);

#endif
