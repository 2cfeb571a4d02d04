/*
 * The layout search. Enumeration order is fixed (so ties and output are deterministic): tensor
 * sizes that divide the heads and fit a node, pipeline depths that divide the layers, the
 * micro-batches of 1 to MLSIM_SEARCH_MAX_MICRO_BATCH that split the batch, 1F1B and then
 * interleaving of 2 to 8 chunks, the three recomputations, the four ZeRO stages (one when there is
 * no data parallelism), sequence parallelism off and on (with tensor parallelism), and for a
 * mixture of experts every expert-parallel size that divides the data parallelism and the experts;
 * all of it for each context-parallel size, 1 first.
 */
#include "mlsim/search.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/cost.h"
#include "mlsim/framework.h"
#include "mlsim/mem.h"
#include "mlsim/par.h"
#include "mlsim/run.h"
#include "mlsim/scenario.h"

struct mlsim_search {
    struct mlsim_search_options o;
    struct mlsim_search_row *rows;
    size_t n, cap;
    struct mlsim_search_stats stats;
    const struct mlsim_run **runs; /* the runs added, so that a row names its run by index */
    size_t n_runs, cap_runs;
    struct mlsim_layout *layouts; /* mlsim_search_add's enumeration, reused run to run */
    size_t n_layouts, cap_layouts;
};

struct mlsim_search *mlsim_search_alloc(const struct mlsim_search_options *o)
{
    struct mlsim_search *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->o = *o;
    if (s->o.top_k < 1)
        s->o.top_k = 1;
    return s;
}

void mlsim_search_free(struct mlsim_search *s)
{
    if (!s)
        return;
    free(s->rows);
    free(s->runs);
    free(s->layouts);
    free(s);
}

/* The whole run at ROW's closed-form step: time, cost and energy as cost.c prices them. */
static void price(const struct mlsim_run *run, struct mlsim_search_row *row)
{
    struct mlsim_result r;
    memset(&r, 0, sizeof r);
    double tokens_step = (double)row->layout.global_batch *
                         (run->model.type == MLSIM_MODEL_TRANSFORMER ? run->model.seq_len : 1);
    double steps = run->model.tokens >= tokens_step ? run->model.tokens / tokens_step : 1.0;
    row->run_s = steps * row->closed.step_s;
    double busy = row->closed.step_s > 0 ? row->closed.compute_s / row->closed.step_s : 1.0;
    if (run->training.rampup.start > 0) { /* the ramp-up's steps, as a simulated run's (cost.h) */
        r.simulated = 1;
        r.step_s = row->closed.step_s;
        r.compute_s = row->closed.compute_s;
    }
    mlsim_cost_finish(run, row->run_s * run->count, busy < 1.0 ? busy : 1.0, &r);
    if (run->training.rampup.start > 0)
        row->run_s = r.time_s;
    row->cost_usd = r.cost_usd;
    row->energy_j = r.energy_j;
}

int mlsim_search_cost(struct mlsim_closed_work *w, const struct mlsim_run *run,
                      const struct mlsim_layout *l, struct mlsim_search_row *row)
{
    if (mlsim_layout_check(&run->model, run->count, run->node_size, l) != MLSIM_LAYOUT_OK)
        return 0;
    memset(row, 0, sizeof *row);
    row->run = run;
    row->layout = *l;
    enum mlsim_status st = mlsim_closed_step(w, l, &row->closed);
    if (st == MLSIM_ERR_NOMEM)
        return -1; /* not a verdict on the layout */
    if (st != MLSIM_OK)
        return 0;
    if (run->device->mem_bytes > 0 && row->closed.mem.total_bytes > run->device->mem_bytes)
        return 1;
    price(run, row);
    return 2;
}

static double objective_of(int objective, double run_s, double cost, double energy)
{
    return objective == MLSIM_OBJECTIVE_COST     ? cost
           : objective == MLSIM_OBJECTIVE_ENERGY ? energy
                                                 : run_s;
}

static enum mlsim_status keep(struct mlsim_search *s, const struct mlsim_search_row *row)
{
    void *grown = s->rows;
    if (mlsim_mem_grow(&grown, &s->cap, s->n + 1, sizeof *s->rows) != MLSIM_OK)
        return MLSIM_ERR_NOMEM;
    s->rows = grown;
    s->rows[s->n] = *row;
    s->rows[s->n].run_index = s->n_runs - 1;
    s->rows[s->n].objective =
        objective_of(s->o.objective, row->run_s, row->cost_usd, row->energy_j);
    s->n++;
    return MLSIM_OK;
}

/* Whether ROW keeps within the deadline, the budget and the device limit. */
static int within(const struct mlsim_search_options *o, const struct mlsim_search_row *row)
{
    return (o->deadline_s <= 0 || row->run_s <= o->deadline_s) &&
           (o->budget_usd <= 0 || row->cost_usd <= o->budget_usd) &&
           (o->max_devices <= 0 || row->run->count <= o->max_devices);
}

/* Whether context parallelism of CP (> 1) is tried for RUN: a transformer on fused attention
 * (the only attention Megatron-LM splits, scenario.c), CP dividing the devices and splitting the
 * sequence into 2 CP chunks, each rank keeping at least MLSIM_SEARCH_MIN_CP_TOKENS. */
static int context_worth_trying(const struct mlsim_run *run, int cp)
{
    const struct mlsim_model_spec *m = &run->model;
    return m->type == MLSIM_MODEL_TRANSFORMER &&
           MLSIM_ATTENTION_IS_FUSED(run->training.attention) && run->count % cp == 0 &&
           m->seq_len % (2 * cp) == 0 && m->seq_len / cp >= MLSIM_SEARCH_MIN_CP_TOKENS;
}

/* Append layout L to the search's enumeration. */
static enum mlsim_status push_layout(struct mlsim_search *s, const struct mlsim_layout *l)
{
    void *grown = s->layouts;
    if (mlsim_mem_grow(&grown, &s->cap_layouts, s->n_layouts + 1, sizeof *s->layouts) != MLSIM_OK)
        return MLSIM_ERR_NOMEM;
    s->layouts = grown;
    s->layouts[s->n_layouts++] = *l;
    return MLSIM_OK;
}

/* L at every expert-parallel and expert-tensor size that tile (layout.c's rule: ep divides the
 * routed experts, etp divides tp, ep x etp divides tp x dp); a dense model has ep 1, etp tp. */
static enum mlsim_status push_experts(struct mlsim_search *s, const struct mlsim_run *run,
                                      struct mlsim_layout *l)
{
    int experts = run->model.type == MLSIM_MODEL_TRANSFORMER ? run->model.experts : 0;
    enum mlsim_status st = MLSIM_OK;
    int tp = l->tp;
    for (int ep = 1; ep <= (experts > 0 ? l->dp * tp : 1) && st == MLSIM_OK; ep++) {
        if (experts > 0 && experts % ep != 0)
            continue;
        /* expert-tensor sizes dividing tp, whole experts first (tp itself last: the default) */
        for (int etp = experts > 0 ? 1 : tp; etp <= tp && st == MLSIM_OK; etp++) {
            if (tp % etp != 0 || ((long long)l->dp * tp) % ((long long)ep * etp) != 0)
                continue;
            l->ep = ep;
            l->etp = etp;
            st = push_layout(s, l);
        }
    }
    return st;
}

/* The layouts of one context-parallel size LP->cp, into S's enumeration. */
static enum mlsim_status enumerate_cp(struct mlsim_search *s, const struct mlsim_run *run,
                                      const struct mlsim_layout *lp, int node, int layers)
{
    static const int shardings[] = {MLSIM_SHARD_NONE, MLSIM_SHARD_ZERO1, MLSIM_SHARD_ZERO2,
                                    MLSIM_SHARD_ZERO3};
    struct mlsim_layout l = *lp;
    enum mlsim_status st = MLSIM_OK;
    long long cp = l.cp;
    /* the run's uneven stages are kept: the tiling rule, not a divisibility of the layers,
     * decides which pipelines and chunks they fit */
    int uneven = l.first_stage_layers != 0 || l.last_stage_layers != 0 || l.embedding_in_split;
    const struct mlsim_framework_type *fw = mlsim_framework_get(run->training.framework);
    for (int tp = 1; tp <= node && st == MLSIM_OK; tp++) {
        if (run->model.type == MLSIM_MODEL_TRANSFORMER && run->model.heads % tp != 0)
            continue;
        for (int pp = 1; pp <= layers && st == MLSIM_OK; pp++) {
            if ((!uneven && layers % pp != 0) || run->count % ((long long)tp * pp * cp) != 0)
                continue;
            int dp = (int)(run->count / ((long long)tp * pp * cp));
            for (int mb = 1; mb <= MLSIM_SEARCH_MAX_MICRO_BATCH && st == MLSIM_OK; mb++) {
                if (l.global_batch % ((long long)mb * dp) != 0)
                    continue;
                for (int v = 1; v <= 8 && st == MLSIM_OK; v++) {
                    if (v > 1 && (pp == 1 || (!uneven && layers % (pp * v) != 0)))
                        continue;
                    if (v > 1 && fw->one_schedule) /* its engine's one schedule (framework.h) */
                        continue;
                    for (int rc = 0; rc < MLSIM_RECOMPUTE_N && st == MLSIM_OK; rc++) {
                        for (int sh = 0; sh < (dp > 1 ? 4 : 1) && st == MLSIM_OK; sh++) {
                            if (pp > 1 && fw->max_sharding && shardings[sh] >= fw->max_sharding)
                                continue; /* more ZeRO than its pipeline engine runs */
                            for (int sp = 0; sp < (tp > 1 ? 2 : 1) && st == MLSIM_OK; sp++) {
                                l.tp = tp;
                                l.pp = pp;
                                l.dp = dp;
                                l.micro_batch = mb;
                                l.microbatches = (int)(l.global_batch / ((long long)mb * dp));
                                l.schedule =
                                    v > 1 ? MLSIM_SCHEDULE_INTERLEAVED : MLSIM_SCHEDULE_1F1B;
                                l.interleave = v;
                                l.recompute = rc;
                                l.sharding = shardings[sh];
                                l.sequence_parallel = sp;
                                st = push_experts(s, run, &l);
                            }
                        }
                    }
                }
            }
        }
    }
    return st;
}

/* Every layout of RUN, in the order of the file's header comment, into S's enumeration. */
static enum mlsim_status enumerate(struct mlsim_search *s, const struct mlsim_run *run)
{
    struct mlsim_layout l;
    enum mlsim_status st = MLSIM_OK;
    s->n_layouts = 0;
    mlsim_layout_of_run(run, &l);
    int node = run->node_size > 0 ? run->node_size : run->count;
    int layers = run->model.type == MLSIM_MODEL_TRANSFORMER ? run->model.layers : 1;
    for (int cp = 1; cp <= run->count && st == MLSIM_OK; cp *= 2) {
        if (cp > 1 && !context_worth_trying(run, cp))
            continue;
        l.cp = cp;
        st = enumerate_cp(s, run, &l, node, layers);
    }
    return st;
}

/* A layout costed in closed form, as the ranks share it: the verdict of mlsim_search_cost and
 * what the row needs besides its run and layout. */
struct costed {
    int verdict;
    struct mlsim_closed_step closed;
    double run_s, cost_usd, energy_j;
};

/* Cost S's enumeration of RUN into C (one per layout), each rank its block, then shared. */
static enum mlsim_status cost_all(struct mlsim_search *s, const struct mlsim_run *run,
                                  struct costed *c)
{
    struct mlsim_closed_work *w = mlsim_closed_work_alloc(run);
    if (mlsim_par_max(s->o.par, w == NULL) || !w) {
        mlsim_closed_work_free(w);
        return MLSIM_ERR_NOMEM;
    }
    size_t lo, hi;
    mlsim_par_block(s->o.par, s->n_layouts, &lo, &hi);
    struct mlsim_search_row row;
    for (size_t i = lo; i < hi; i++) {
        c[i].verdict = mlsim_search_cost(w, run, &s->layouts[i], &row);
        if (c[i].verdict != 2)
            continue; /* ROW holds nothing more (C was zeroed) */
        c[i].closed = row.closed;
        c[i].run_s = row.run_s;
        c[i].cost_usd = row.cost_usd;
        c[i].energy_j = row.energy_j;
    }
    mlsim_closed_work_free(w);
    return mlsim_par_share(s->o.par, c, s->n_layouts, sizeof *c);
}

enum mlsim_status mlsim_search_add(struct mlsim_search *s, const struct mlsim_run *run)
{
    void *grown = s->runs;
    enum mlsim_status st = mlsim_mem_grow(&grown, &s->cap_runs, s->n_runs + 1, sizeof *s->runs);
    if (st == MLSIM_OK) {
        s->runs = grown;
        s->runs[s->n_runs++] = run;
        st = enumerate(s, run);
    }
    struct costed *c = st == MLSIM_OK ? calloc(s->n_layouts ? s->n_layouts : 1, sizeof *c) : NULL;
    if (mlsim_par_max(s->o.par, c == NULL) || !c) { /* every rank stops, or none */
        free(c);
        return MLSIM_ERR_NOMEM;
    }
    st = cost_all(s, run, c);
    struct mlsim_search_row row;
    for (size_t i = 0; i < s->n_layouts && st == MLSIM_OK; i++) {
        if (c[i].verdict < 0) {
            st = MLSIM_ERR_NOMEM;
            break;
        }
        s->stats.considered++;
        if (c[i].verdict == 0) {
            s->stats.rejected_tiling++;
            continue;
        }
        if (c[i].verdict == 1) {
            s->stats.rejected_memory++;
            continue;
        }
        memset(&row, 0, sizeof row);
        row.run = run;
        row.layout = s->layouts[i];
        row.closed = c[i].closed;
        row.run_s = c[i].run_s;
        row.cost_usd = c[i].cost_usd;
        row.energy_j = c[i].energy_j;
        if (!within(&s->o, &row))
            s->stats.rejected_limits++;
        else
            st = keep(s, &row);
    }
    free(c);
    return st;
}

/* Order: simulated rows first, by their objective; then the others by theirs; ties by the order
 * of enumeration (kept as the index in IDX). */
static int by_objective(const void *pa, const void *pb)
{
    const struct mlsim_search_row *a = pa, *b = pb;
    if (a->simulated != b->simulated)
        return a->simulated ? -1 : 1;
    if (a->objective != b->objective)
        return a->objective < b->objective ? -1 : 1;
    if (a->run_index != b->run_index)
        return a->run_index < b->run_index ? -1 : 1;
    const struct mlsim_layout *x = &a->layout, *y = &b->layout;
    int keys[2][9] = {{x->tp, x->pp, x->micro_batch, x->interleave, x->recompute, x->sharding,
                       x->sequence_parallel, x->schedule, x->cp},
                      {y->tp, y->pp, y->micro_batch, y->interleave, y->recompute, y->sharding,
                       y->sequence_parallel, y->schedule, y->cp}};
    for (int i = 0; i < 9; i++) {
        if (keys[0][i] != keys[1][i])
            return keys[0][i] < keys[1][i] ? -1 : 1;
    }
    if (x->ep != y->ep)
        return x->ep < y->ep ? -1 : 1;
    if (x->etp != y->etp)
        return x->etp < y->etp ? -1 : 1;
    return 0;
}

/* Simulate ROW's layout on the engine; its objective becomes the simulated one. */
static enum mlsim_status simulate_row(const struct mlsim_search_options *o,
                                      struct mlsim_search_row *row, struct mlsim_diags *d)
{
    struct mlsim_run r = *row->run;
    mlsim_layout_apply(&row->layout, &r);
    enum mlsim_status st = mlsim_run_estimate(&r, &row->sim, NULL, d);
    row->sim.run = row->run;
    if (st != MLSIM_OK)
        return st;
    row->simulated = 1;
    row->objective =
        objective_of(o->objective, row->sim.time_s, row->sim.cost_usd, row->sim.energy_j);
    return MLSIM_OK;
}

/* Simulate rows [0, UPTO) (the first K with D, the rest quietly), each rank its block, then
 * share them; every rank then holds every simulated row, its run pointers its own. */
static enum mlsim_status simulate_rows(struct mlsim_search *s, size_t upto, size_t k,
                                       struct mlsim_diags *d)
{
    struct mlsim_diags *quiet = mlsim_diags_alloc();
    if (mlsim_par_max(s->o.par, quiet == NULL) || !quiet) {
        mlsim_diags_free(quiet);
        return MLSIM_ERR_NOMEM;
    }
    size_t lo, hi, from = mlsim_diags_count(d);
    mlsim_par_block(s->o.par, upto, &lo, &hi);
    int nomem = 0;
    for (size_t i = lo; i < hi && !nomem; i++) {
        /* a layout the closed form accepts and the engine does not is reported, not fatal */
        nomem = simulate_row(&s->o, &s->rows[i], i < k ? d : quiet) == MLSIM_ERR_NOMEM;
        if (s->o.progress)
            s->o.progress(s->o.progress_ctx, i + 1 - lo, hi - lo);
    }
    mlsim_diags_free(quiet);
    if (mlsim_par_max(s->o.par, nomem))
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = mlsim_par_share(s->o.par, s->rows, upto, sizeof *s->rows);
    if (st == MLSIM_OK)
        st = mlsim_par_gather_diags(s->o.par, d, from);
    for (size_t i = 0; i < upto; i++) {
        s->rows[i].run = s->runs[s->rows[i].run_index];
        s->rows[i].sim.run = s->rows[i].run;
    }
    return st;
}

enum mlsim_status mlsim_search_finish(struct mlsim_search *s, struct mlsim_diags *d)
{
    s->stats.ranked = s->n;
    if (s->n == 0)
        return MLSIM_OK;
    qsort(s->rows, s->n, sizeof *s->rows, by_objective);
    size_t k = (size_t)s->o.top_k < s->n ? (size_t)s->o.top_k : s->n;
    assert(k >= 1 && k <= s->n);
    size_t upto = s->o.check ? s->n : k;
    enum mlsim_status st = simulate_rows(s, upto, k, d);
    if (st != MLSIM_OK)
        return st;
    size_t best = (size_t)-1;
    for (size_t i = 0; i < upto; i++) {
        if (!s->rows[i].simulated)
            continue;
        s->stats.simulated++;
        if (best == (size_t)-1 || s->rows[i].objective < s->rows[best].objective)
            best = i;
    }
    if (s->o.check && best != (size_t)-1) {
        s->stats.check_done = 1;
        s->stats.check_rank_of_best = best + 1;
        s->stats.check_holds = best < k;
    }
    qsort(s->rows, s->n, sizeof *s->rows, by_objective);
    return MLSIM_OK;
}

const struct mlsim_search_row *mlsim_search_rows(const struct mlsim_search *s, size_t *n)
{
    *n = s->n;
    return s->rows;
}

const struct mlsim_search_stats *mlsim_search_stats(const struct mlsim_search *s)
{
    return &s->stats;
}
