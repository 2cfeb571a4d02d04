/*
 * The cluster step. Chunks are virtual stages: chunk c of rank r is virtual stage c P + r and
 * holds layers [vs L / (P V), (vs + 1) L / (P V)); the first holds the embedding, the last the
 * head. Each virtual stage is costed once (its forward and backward kernel times), then every
 * rank's schedule becomes tasks on its compute stream, joined across ranks by point-to-point
 * transfers of activations and gradients.
 */
#include "mlsim/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "mlsim/pipeline.h"

/* What one virtual stage costs and holds. */
struct stage {
    double fwd_s, bwd_s; /* one micro-batch */
    double tp_s;         /* of which tensor-parallel collectives, forward + backward */
    double model_flops, hw_flops;
    double params;    /* this rank's share of the stage */
    double act_bytes; /* kept per micro-batch in flight */
    double state_bytes_per_param;
    double act_send_bytes; /* activations (or their gradients) crossing to the next stage */
};

static double kernel_seconds(const struct mlsim_cluster_config *c, const struct mlsim_kernel *k,
                             double *tp_s)
{
    if (k->kind != MLSIM_KERNEL_COMM)
        return mlsim_kernel_time(c->km, k);
    const struct mlsim_layout_group *g = &c->groups.g[k->group];
    double t = c->algo->time(k->coll_op, g->size, k->bytes, &g->link);
    *tp_s += t;
    return t;
}

static enum mlsim_status cost_stage(const struct mlsim_cluster_config *c, int vs, int n_vs,
                                    struct stage *st)
{
    struct mlsim_workload_spec s = c->spec;
    struct mlsim_workload w;
    int per = s.model.layers / n_vs;
    s.first_layer = vs * per;
    s.n_layers = per;
    s.with_embedding = vs == 0;
    s.with_head = vs == n_vs - 1;
    enum mlsim_status status = mlsim_workload_build(&s, &w);
    if (status != MLSIM_OK)
        return status;
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < w.n_fwd; i++)
        st->fwd_s += kernel_seconds(c, &w.fwd[i], &st->tp_s);
    for (size_t i = 0; i < w.n_bwd; i++)
        st->bwd_s += kernel_seconds(c, &w.bwd[i], &st->tp_s);
    st->model_flops = w.model_flops_per_micro;
    st->hw_flops = w.hw_flops_per_micro;
    st->params = w.params;
    st->act_bytes = w.act_bytes_per_micro;
    st->state_bytes_per_param = w.state_bytes_per_param;
    /* Narayanan et al. 2021, Sec. 4.1: with the scatter/gather optimization each TP rank sends
     * 1/t of the b s h activation tensor to the next stage. */
    st->act_send_bytes = (double)s.micro_batch * s.model.seq_len * s.model.hidden * s.elem_bytes /
                         (c->tp > 0 ? c->tp : 1);
    mlsim_workload_release(&w);
    return MLSIM_OK;
}

enum { SLOTS = 5, NIC = 4 };

struct builder {
    struct mlsim_sim *sim;
    const struct mlsim_cluster_config *c;
    const struct stage *stages;
    int p, m, v;
    int64_t *fwd, *bwd, *send_f, *send_b; /* [vs * m + mb] */
    int64_t *last_bwd_of_chunk;           /* [vs] */
    int64_t *opt, *gather;                /* [rank]: the optimizer step, ZeRO's gather or -1 */
    struct mlsim_pipe_op *ops;            /* [rank][2 m v] */
    int *res; /* [rank * SLOTS + k]: streams compute, send fwd, send bwd, dp; the NIC link */
    enum mlsim_status st;
    /* unfolded data parallelism: REPS replicas; the arrays above point at the one being built */
    int reps;
    int64_t *fwd_all, *bwd_all, *send_f_all, *send_b_all, *last_all, *opt_all, *gather_all;
    int *res_all;
};

static int64_t task(struct builder *b, const char *name, int res, int cat, int layer, int mb,
                    double dur, double flops, double bytes)
{
    struct mlsim_sim_task t = {name, res, cat, layer, mb, dur, flops, bytes, 0, 0, 0};
    /* network traffic of a rank crosses its NIC, shared by every flow on it at the time */
    if (cat != 0 && res >= 0)
        t.link =
            b->res[(size_t)mlsim_sim_resource_group_of(b->sim, res) % (size_t)b->p * SLOTS + NIC];
    int64_t id = b->st == MLSIM_OK ? mlsim_sim_task(b->sim, &t) : -1;
    if (id < 0 && b->st == MLSIM_OK)
        b->st = mlsim_sim_status(b->sim); /* out of memory, or past MLSIM_SIM_MAX_TASKS */
    return id;
}

static void depend(struct builder *b, int64_t t, int64_t on)
{
    if (b->st == MLSIM_OK && t >= 0 && on >= 0)
        b->st = mlsim_sim_depend(b->sim, t, on);
}

static double p2p_time(const struct mlsim_link_cost *l, double bytes)
{
    return l->base_s + l->step_s + bytes / l->bw_Bps;
}

/* A data-parallel collective of BYTES per rank: hierarchical when the group has several ranks in
 * each of several nodes, else flat on its link. */
static double dp_collective(const struct mlsim_cluster_config *c, int op, double bytes)
{
    const struct mlsim_layout_group *g = &c->groups.g[MLSIM_GROUP_DP];
    int per = g->per_node;
    if (per > 1 && per < c->dp && c->dp % per == 0)
        return mlsim_collective_hierarchical(c->algo, op, c->dp / per, per, bytes, &g->intra,
                                             &g->link);
    return c->algo->time(op, c->dp, bytes, &g->link);
}

/* Data-parallel collectives of a rank's gradients (GRAD_PARAMS of them) and, for ZeRO, the
 * parameters gathered back after the update. */
static double dp_reduce_time(const struct mlsim_cluster_config *c, double grad_params)
{
    int op = c->sharding == MLSIM_SHARD_NONE ? MLSIM_COLL_ALL_REDUCE : MLSIM_COLL_REDUCE_SCATTER;
    return dp_collective(c, op, grad_params * c->grad_elem_bytes);
}

/* Tasks of rank R, in its schedule's order, and its point-to-point sends. */
static void build_rank(struct builder *b, int r)
{
    const struct mlsim_cluster_config *c = b->c;
    int n_vs = b->p * b->v, ops_n = 2 * b->m * b->v;
    const struct mlsim_pipe_op *ops = &b->ops[(size_t)r * (size_t)ops_n];
    int compute = b->res[(size_t)r * SLOTS], sf = b->res[(size_t)r * SLOTS + 1],
        sb = b->res[(size_t)r * SLOTS + 2], dp = b->res[(size_t)r * SLOTS + 3];
    for (int i = 0; i < ops_n && b->st == MLSIM_OK; i++) {
        int vs = ops[i].chunk * b->p + r, mb = ops[i].microbatch;
        const struct stage *s = &b->stages[vs];
        size_t at = (size_t)vs * (size_t)b->m + (size_t)mb;
        if (c->sharding == MLSIM_SHARD_ZERO3 && c->dp > 1) {
            /* ZeRO-3 gathers the stage's parameters before each use (Rajbhandari et al. 2020) */
            double t = dp_collective(c, MLSIM_COLL_ALL_GATHER, s->params * c->grad_elem_bytes);
            int64_t g =
                task(b, "zero3.all_gather", dp, 1, vs, mb, t, 0, s->params * c->grad_elem_bytes);
            int64_t id = task(b, ops[i].backward ? "backward" : "forward", compute, 0, vs, mb,
                              ops[i].backward ? s->bwd_s : s->fwd_s, 0, 0);
            depend(b, id, g);
            (ops[i].backward ? b->bwd : b->fwd)[at] = id;
            if (ops[i].backward)
                b->last_bwd_of_chunk[vs] = id;
        } else if (!ops[i].backward) {
            b->fwd[at] = task(b, "forward", compute, 0, vs, mb, s->fwd_s, s->model_flops / 3.0, 0);
        } else {
            b->bwd[at] =
                task(b, "backward", compute, 0, vs, mb, s->bwd_s, 2.0 * s->model_flops / 3.0, 0);
            b->last_bwd_of_chunk[vs] = b->bwd[at];
        }
        if (!ops[i].backward && vs + 1 < n_vs)
            b->send_f[at] = task(b, "send.activations", sf, 2, vs, mb,
                                 p2p_time(&c->groups.g[MLSIM_GROUP_PP].link, s->act_send_bytes), 0,
                                 s->act_send_bytes);
        if (ops[i].backward && vs > 0)
            b->send_b[at] = task(b, "send.gradients", sb, 2, vs, mb,
                                 p2p_time(&c->groups.g[MLSIM_GROUP_PP].link, s->act_send_bytes), 0,
                                 s->act_send_bytes);
    }
}

/* The rank's data-parallel reduction and optimizer step. */
static void build_update(struct builder *b, int r, const struct mlsim_workload *opt_w)
{
    const struct mlsim_cluster_config *c = b->c;
    int compute = b->res[(size_t)r * SLOTS], dp = b->res[(size_t)r * SLOTS + 3];
    int64_t reduces[64];
    int n_red = 0;
    double params = 0;
    for (int ch = 0; ch < b->v; ch++)
        params += b->stages[ch * b->p + r].params;
    if (c->dp > 1) {
        if (c->overlap_comm && b->v <= 64) {
            for (int ch = b->v - 1; ch >= 0; ch--) {
                int vs = ch * b->p + r;
                int64_t t =
                    task(b, "dp.reduce", dp, 1, vs, -1, dp_reduce_time(c, b->stages[vs].params), 0,
                         b->stages[vs].params * c->grad_elem_bytes);
                for (int rep = 0; rep < b->reps; rep++) /* a collective waits for every replica */
                    depend(b, t,
                           b->last_all[(size_t)rep * ((size_t)b->p * (size_t)b->v) + (size_t)vs]);
                reduces[n_red++] = t;
            }
        } else {
            int64_t last = -1;
            for (int ch = 0; ch < b->v; ch++) {
                int64_t id = b->last_bwd_of_chunk[ch * b->p + r];
                last = id > last ? id : last;
            }
            int64_t t = task(b, "dp.reduce", dp, 1, -1, -1, dp_reduce_time(c, params), 0,
                             params * c->grad_elem_bytes);
            for (int rep = 0; rep < b->reps; rep++) {
                for (int ch = 0; ch < b->v; ch++)
                    depend(b, t,
                           b->last_all[(size_t)rep * ((size_t)b->p * (size_t)b->v) +
                                       ((size_t)ch * (size_t)b->p + (size_t)r)]);
            }
            reduces[n_red++] = t;
        }
    }
    double shard = c->sharding == MLSIM_SHARD_NONE ? 1.0 : (double)c->dp;
    struct mlsim_kernel k = opt_w->opt[0];
    k.bytes = k.bytes / opt_w->params * params / shard;
    int64_t opt =
        task(b, "optimizer", compute, 0, -1, -1, mlsim_kernel_time(c->km, &k), 0, k.bytes);
    b->opt[r] = opt;
    b->gather[r] = -1;
    for (int i = 0; i < n_red; i++)
        depend(b, opt, reduces[i]);
    if (c->dp > 1 && c->sharding != MLSIM_SHARD_NONE && c->sharding != MLSIM_SHARD_ZERO3) {
        double t = dp_collective(c, MLSIM_COLL_ALL_GATHER, params * c->grad_elem_bytes);
        int64_t g = task(b, "zero.all_gather", dp, 1, -1, -1, t, 0, params * c->grad_elem_bytes);
        depend(b, g, opt);
        b->gather[r] = g;
    }
}

/* Cross-rank edges: a forward waits for the previous stage's activations, a backward for the
 * next stage's gradients (the last stage's backward for its own forward, already before it). */
static void link_ranks(struct builder *b)
{
    int n_vs = b->p * b->v;
    for (int vs = 0; vs < n_vs; vs++) {
        for (int mb = 0; mb < b->m; mb++) {
            size_t at = (size_t)vs * (size_t)b->m + (size_t)mb;
            if (vs > 0)
                depend(b, b->fwd[at], b->send_f[at - (size_t)b->m]);
            if (vs + 1 < n_vs) {
                depend(b, b->send_f[at], b->fwd[at]);
                depend(b, b->bwd[at], b->send_b[at + (size_t)b->m]);
            } else {
                depend(b, b->bwd[at], b->fwd[at]);
            }
            if (vs > 0)
                depend(b, b->send_b[at], b->bwd[at]);
        }
    }
}

static enum mlsim_status alloc_builder(struct builder *b, size_t n_vs)
{
    size_t cells = n_vs * (size_t)b->m * (size_t)b->reps;
    if (cells > MLSIM_SIM_MAX_TASKS / 2) /* a forward and a backward task each: refuse early */
        return MLSIM_ERR_RANGE;
    b->fwd_all = calloc(cells, sizeof *b->fwd_all);
    b->bwd_all = calloc(cells, sizeof *b->bwd_all);
    b->send_f_all = malloc(cells * sizeof *b->send_f_all);
    b->send_b_all = malloc(cells * sizeof *b->send_b_all);
    b->last_all = malloc(n_vs * (size_t)b->reps * sizeof *b->last_all);
    b->ops = malloc((size_t)b->p * 2 * (size_t)b->m * (size_t)b->v * sizeof *b->ops);
    b->res_all = malloc((size_t)b->p * SLOTS * (size_t)b->reps * sizeof *b->res_all);
    b->opt_all = malloc((size_t)b->p * (size_t)b->reps * sizeof *b->opt_all);
    b->gather_all = malloc((size_t)b->p * (size_t)b->reps * sizeof *b->gather_all);
    if (!b->fwd_all || !b->bwd_all || !b->send_f_all || !b->send_b_all || !b->last_all || !b->ops ||
        !b->res_all || !b->opt_all || !b->gather_all)
        return MLSIM_ERR_NOMEM;
    for (size_t i = 0; i < cells; i++)
        b->send_f_all[i] = b->send_b_all[i] = -1;
    return MLSIM_OK;
}

/* Point the builder's arrays at replica REP. */
static void select_replica(struct builder *b, int rep)
{
    size_t n_vs = ((size_t)b->p * (size_t)b->v), cells = n_vs * (size_t)b->m;
    b->fwd = b->fwd_all + (size_t)rep * cells;
    b->bwd = b->bwd_all + (size_t)rep * cells;
    b->send_f = b->send_f_all + (size_t)rep * cells;
    b->send_b = b->send_b_all + (size_t)rep * cells;
    b->last_bwd_of_chunk = b->last_all + (size_t)rep * n_vs;
    b->res = b->res_all + (size_t)rep * (size_t)b->p * SLOTS;
    b->opt = b->opt_all + (size_t)rep * (size_t)b->p;
    b->gather = b->gather_all + (size_t)rep * (size_t)b->p;
}

static void free_builder(struct builder *b)
{
    free(b->fwd_all);
    free(b->bwd_all);
    free(b->send_f_all);
    free(b->send_b_all);
    free(b->last_all);
    free(b->ops);
    free(b->res_all);
    free(b->opt_all);
    free(b->gather_all);
}

/* Communication RANK waits for around its update: from its last backward pass to its optimizer
 * step (the data-parallel reduction not hidden), and after it, ZeRO's parameter gather. */
static double exposed_update(const struct builder *b, int rank)
{
    const struct mlsim_sim_task *opt = mlsim_sim_task_get(b->sim, b->opt[rank]);
    const struct mlsim_sim_task *g =
        b->gather[rank] >= 0 ? mlsim_sim_task_get(b->sim, b->gather[rank]) : NULL;
    double last = 0;
    for (int ch = 0; ch < b->v; ch++) {
        const struct mlsim_sim_task *t =
            mlsim_sim_task_get(b->sim, b->last_bwd_of_chunk[ch * b->p + rank]);
        last = t && t->end_s > last ? t->end_s : last;
    }
    if (!opt || opt->start_s < 0)
        return 0;
    double before = opt->start_s - last, after = g ? g->end_s - opt->end_s : 0;
    return (before > 0 ? before : 0) + (after > 0 ? after : 0);
}

static void summarize(const struct builder *b, const struct stage *stages,
                      struct mlsim_cluster_result *r)
{
    const struct mlsim_cluster_config *c = b->c;
    int n_vs = b->p * b->v;
    r->step_s = mlsim_sim_makespan(b->sim);
    r->events = mlsim_sim_events(b->sim);
    r->tasks = mlsim_sim_task_count(b->sim);
    for (int rank = 0; rank < b->p; rank++) {
        double busy = mlsim_sim_resource_busy(b->sim, b->res[(size_t)rank * SLOTS]);
        double dp = mlsim_sim_resource_busy(b->sim, b->res[(size_t)rank * SLOTS + 3]);
        double params = 0, act = 0, tp = 0;
        for (int ch = 0; ch < b->v; ch++) {
            const struct stage *s = &stages[ch * b->p + rank];
            params += s->params;
            act += s->act_bytes / b->v;
            tp += s->tp_s * b->m;
        }
        const struct mlsim_pipe_op *ops = &b->ops[(size_t)rank * 2 * (size_t)b->m * (size_t)b->v];
        int in_flight = mlsim_pipeline_in_flight(ops, 2 * (size_t)b->m * (size_t)b->v);
        double per_param = mlsim_layout_sharded_bytes(stages[rank].state_bytes_per_param,
                                                      c->spec.elem_bytes, c->dp, c->sharding);
        double states = params * per_param, acts = act * in_flight;
        if (states + acts > r->mem_bytes) {
            r->mem_bytes = states + acts;
            r->mem_states_bytes = states;
            r->mem_act_bytes = acts;
        }
        if (rank == 0)
            r->in_flight = in_flight;
        if (busy > r->compute_s) {
            r->compute_s = busy;
            r->dp_comm_s = dp;
            r->tp_comm_s = tp;
            r->exposed_comm_s = exposed_update(b, rank);
        }
    }
    for (int vs = 0; vs < n_vs; vs++) {
        r->model_flops += stages[vs].model_flops * b->m * c->tp * c->dp;
        r->hw_flops += stages[vs].hw_flops * b->m * c->tp * c->dp;
        r->params += stages[vs].params * c->tp;
    }
    r->bubble_s = r->step_s - r->compute_s - r->exposed_comm_s;
}

enum mlsim_status mlsim_cluster_simulate(const struct mlsim_cluster_config *c,
                                         struct mlsim_cluster_result *r, struct mlsim_sim **keep)
{
    struct builder b;
    memset(&b, 0, sizeof b);
    memset(r, 0, sizeof *r);
    if (keep)
        *keep = NULL;
    b.c = c;
    b.p = c->pp;
    b.m = c->microbatches;
    b.v = c->schedule == MLSIM_SCHEDULE_INTERLEAVED ? c->interleave : 1;
    b.reps = c->unfold_dp && c->dp > 1 ? c->dp : 1;
    int n_vs = b.p * b.v;
    if (b.p < 1 || b.m < 1 || b.v < 1 || c->spec.model.layers % n_vs != 0)
        return MLSIM_ERR_INPUT;
    struct stage *stages = calloc((size_t)n_vs, sizeof *stages);
    struct mlsim_workload opt_w;
    struct mlsim_workload_spec whole = c->spec;
    memset(&opt_w, 0, sizeof opt_w);
    enum mlsim_status st = stages ? MLSIM_OK : MLSIM_ERR_NOMEM;
    for (int vs = 0; vs < n_vs && st == MLSIM_OK; vs++)
        st = cost_stage(c, vs, n_vs, &stages[vs]);
    whole.n_layers = 1; /* any slice: only the optimizer's bytes per parameter are needed */
    whole.with_embedding = whole.with_head = 0;
    if (st == MLSIM_OK)
        st = mlsim_workload_build(&whole, &opt_w);
    b.sim = st == MLSIM_OK ? mlsim_sim_alloc() : NULL;
    if (st == MLSIM_OK && !b.sim)
        st = MLSIM_ERR_NOMEM;
    if (st == MLSIM_OK)
        st = alloc_builder(&b, (size_t)n_vs);
    b.stages = stages;
    static const char *const names[] = {"compute", "send forward", "send backward",
                                        "data parallel"};
    for (int rank = 0; rank < b.p && st == MLSIM_OK; rank++)
        st = mlsim_pipeline_order(c->schedule, b.p, b.m, b.v, rank,
                                  &b.ops[(size_t)rank * 2 * (size_t)b.m * (size_t)b.v]);
    for (int rep = 0; rep < b.reps && st == MLSIM_OK; rep++) {
        select_replica(&b, rep);
        for (int rank = 0; rank < b.p && st == MLSIM_OK; rank++) {
            for (int k = 0; k < 4 && st == MLSIM_OK; k++) {
                b.res[(size_t)rank * SLOTS + (size_t)k] =
                    mlsim_sim_resource_group(b.sim, names[k], rep * b.p + rank);
                if (b.res[(size_t)rank * SLOTS + (size_t)k] < 0)
                    st = MLSIM_ERR_NOMEM;
            }
            int nic = c->groups.share_nic ? mlsim_sim_link(b.sim, "nic") : 0;
            b.res[(size_t)rank * SLOTS + NIC] = nic;
            if (nic < 0)
                st = MLSIM_ERR_NOMEM;
        }
    }
    b.st = st;
    for (int rep = 0; rep < b.reps && b.st == MLSIM_OK; rep++) {
        select_replica(&b, rep);
        for (int rank = 0; rank < b.p && b.st == MLSIM_OK; rank++)
            build_rank(&b, rank);
        if (b.st == MLSIM_OK)
            link_ranks(&b);
    }
    for (int rep = 0; rep < b.reps && b.st == MLSIM_OK; rep++) {
        select_replica(&b, rep);
        for (int rank = 0; rank < b.p && b.st == MLSIM_OK; rank++)
            build_update(&b, rank, &opt_w);
    }
    select_replica(&b, 0);
    st = b.st;
    if (st == MLSIM_OK)
        st = mlsim_sim_run(b.sim);
    if (st == MLSIM_OK)
        summarize(&b, stages, r);
    if (keep && st == MLSIM_OK) {
        *keep = b.sim;
        b.sim = NULL;
    }
    mlsim_sim_free(b.sim);
    free_builder(&b);
    mlsim_workload_release(&opt_w);
    free(stages);
    return st;
}
