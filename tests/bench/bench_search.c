/*
 * The search's inner loop: layouts of GPT-3 175B on 1,024 A100s (scenarios/
 * gpt3_a100_simulated.yaml) tiled, checked for memory and costed in closed form, on one core.
 * Prints configurations per second (issue 12's bar: at least 500,000) and the whole search's
 * time with its simulated top 8 (bar: under 1 s). A benchmark, not a test: it prints figures.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mlsim/closed.h"
#include "mlsim/scenario.h"
#include "mlsim/search.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *hwdb = argc > 1 ? argv[1] : MLSIM_BENCH_HWDB;
    const char *file = argc > 2 ? argv[2] : MLSIM_BENCH_SCENARIOS "/gpt3_a100_simulated.yaml";
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(hwdb);
    struct mlsim_scenario *sc = NULL;
    if (!d || !db || mlsim_scenario_load(file, d, &sc) != MLSIM_OK ||
        mlsim_scenario_resolve(sc, db, d) != MLSIM_OK) {
        mlsim_diags_print(d, stderr);
        return 1;
    }
    const struct mlsim_run *run = &sc->runs[0];
    struct mlsim_closed_work *w = mlsim_closed_work_alloc(run);
    struct mlsim_layout l;
    struct mlsim_search_row row;
    mlsim_layout_of_run(run, &l);
    /* the search's own space, walked here without keeping rows: each layout tiled or rejected,
     * then costed and checked for memory */
    long configs = 0, fit = 0;
    double t0 = now_s(), t = 0;
    int rounds = 0;
    while (t < 1.0) {
        for (int tp = 1; tp <= 8; tp++) {
            for (int pp = 1; pp <= 96; pp++) {
                if (96 % pp || 1024 % (tp * pp))
                    continue;
                l.tp = tp;
                l.pp = pp;
                l.dp = 1024 / (tp * pp);
                for (int mb = 1; mb <= 16; mb++) {
                    if (l.global_batch % (mb * l.dp))
                        continue;
                    l.micro_batch = mb;
                    l.microbatches = l.global_batch / (mb * l.dp);
                    for (int rc = 0; rc < 3; rc++) {
                        for (int sh = 0; sh < 4; sh++) {
                            l.recompute = rc;
                            l.sharding = sh;
                            l.sequence_parallel = tp > 1;
                            fit += mlsim_search_cost(w, run, &l, &row) == 2;
                            configs++;
                        }
                    }
                }
            }
        }
        rounds++;
        t = now_s() - t0;
    }
    printf("closed form: %ld configurations in %.3f s (%d passes of %ld, %ld fit): %.0f "
           "configurations/s, %.2f us each\n",
           configs, t, rounds, configs / rounds, fit / rounds, (double)configs / t,
           1e6 * t / (double)configs);
    struct mlsim_search_options o = {.top_k = 8};
    struct mlsim_search *s = mlsim_search_alloc(&o);
    t0 = now_s();
    mlsim_search_add(s, run);
    mlsim_search_finish(s, d);
    t = now_s() - t0;
    const struct mlsim_search_stats *st = mlsim_search_stats(s);
    printf("mlsim search: %zu layouts considered, %zu ranked, %zu simulated, in %.3f s\n",
           st->considered, st->ranked, st->simulated, t);
    mlsim_search_free(s);
    mlsim_closed_work_free(w);
    mlsim_scenario_free(sc);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    return 0;
}
