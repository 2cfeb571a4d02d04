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

#include "mlsim/fold.h"
#include "mlsim/mem.h"
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
    /* Its units (layers; the embedding, the head and the loss folded into their neighbours), in
     * layer order: forward and backward seconds and this rank's parameters of each. */
    int n_units;
    double *unit_fwd_s, *unit_bwd_s, *unit_params;
    double max_unit_params;
    double expert_params; /* of params, the routed experts' (reduced over dp / ep ranks) */
};

/* Add kernel time T of layer LAYER (-1: embedding, head or loss) to the units of a pass: a layer
 * kernel to its own unit, the others to the unit last seen, or before any to the first that comes.
 */
static void add_to_unit(double *units, int n_units, int unit, double t, int *cur, double *pending)
{
    if (unit >= 0 && unit < n_units) {
        if (*cur < 0) {
            units[unit] += *pending;
            *pending = 0;
        }
        *cur = unit;
        units[unit] += t;
    } else if (*cur >= 0) {
        units[*cur] += t;
    } else {
        *pending += t;
    }
}

static void stage_units(const struct mlsim_workload *w, int first, struct stage *st,
                        const double *fwd_t, const double *bwd_t)
{
    int cur = -1;
    double pending = 0;
    for (size_t i = 0; i < w->n_fwd; i++)
        add_to_unit(st->unit_fwd_s, st->n_units, w->fwd[i].layer < 0 ? -1 : w->fwd[i].layer - first,
                    fwd_t[i], &cur, &pending);
    if (cur >= 0)
        st->unit_fwd_s[cur] += pending;
    cur = -1;
    pending = 0;
    for (size_t i = 0; i < w->n_bwd; i++)
        add_to_unit(st->unit_bwd_s, st->n_units, w->bwd[i].layer < 0 ? -1 : w->bwd[i].layer - first,
                    bwd_t[i], &cur, &pending);
    if (cur >= 0)
        st->unit_bwd_s[cur] += pending;
    for (int u = 0; u < st->n_units; u++) {
        st->unit_params[u] = w->layer_params[u];
        if (w->layer_params[u] > st->max_unit_params)
            st->max_unit_params = w->layer_params[u];
    }
}

/* Context-parallel ranks of C, and the ranks one weight's gradient is reduced over: the
 * data-parallel replicas times them (Megatron-LM reduces over the data-parallel group with
 * context parallelism; layout.h). */
static int cp_of(const struct mlsim_cluster_config *c)
{
    return c->spec.cp > 1 ? c->spec.cp : 1;
}

static int grad_ranks(const struct mlsim_cluster_config *c)
{
    return c->dp * cp_of(c);
}

/* Kernel K's time on its pass, PREV_S the kernel's before it (which a ring exchange of context
 * parallelism hides behind: workload.h); tensor-parallel collectives are counted into *TP_S. */
static double kernel_seconds(const struct mlsim_cluster_config *c, const struct mlsim_kernel *k,
                             double prev_s, double *tp_s)
{
    if (k->kind != MLSIM_KERNEL_COMM)
        return mlsim_kernel_time(c->km, k);
    const struct mlsim_layout_group *g = &c->groups.g[k->group];
    double t = c->algo->time(k->coll_op, g->size, k->bytes, &g->link);
    if (k->group == MLSIM_GROUP_CP)
        return mlsim_workload_overlap_s(k, g->size, t, prev_s);
    *tp_s += t;
    return t;
}

static enum mlsim_status cost_stage(const struct mlsim_cluster_config *c, int vs, int n_vs,
                                    struct stage *st)
{
    struct mlsim_workload_spec s = c->spec;
    struct mlsim_workload w;
    struct mlsim_layout l;
    memset(&l, 0, sizeof l);
    l.pp = c->pp;
    l.first_stage_layers = c->first_stage_layers;
    l.embedding_in_split = c->embedding_in_split;
    l.last_stage_layers = c->last_stage_layers;
    memset(st, 0, sizeof *st);
    if (s.model.type == MLSIM_MODEL_MLP) {
        s.first_layer = s.n_layers = 0; /* the whole MLP: one stage */
    } else if (!mlsim_layout_stage_layers(&l, s.model.layers, vs, n_vs, &s.first_layer,
                                          &s.n_layers)) {
        return MLSIM_ERR_INPUT;
    }
    s.with_embedding = vs == 0;
    s.with_head = vs == n_vs - 1;
    enum mlsim_status status = mlsim_workload_build(&s, &w);
    if (status != MLSIM_OK)
        return status;
    st->n_units = w.n_layers;
    st->unit_fwd_s = calloc(3 * (size_t)w.n_layers, sizeof *st->unit_fwd_s);
    double *times = malloc((w.n_fwd + w.n_bwd + 1) * sizeof *times);
    if (!st->unit_fwd_s || !times) {
        free(times);
        mlsim_workload_release(&w);
        return MLSIM_ERR_NOMEM;
    }
    st->unit_bwd_s = st->unit_fwd_s + w.n_layers;
    st->unit_params = st->unit_bwd_s + w.n_layers;
    double comm = 0; /* kernel_seconds's sum, made again below after any hiding */
    for (size_t i = 0; i < w.n_fwd; i++)
        times[i] = kernel_seconds(c, &w.fwd[i], i > 0 ? times[i - 1] : 0.0, &comm);
    for (size_t i = 0; i < w.n_bwd; i++)
        times[w.n_fwd + i] =
            kernel_seconds(c, &w.bwd[i], i > 0 ? times[w.n_fwd + i - 1] : 0.0, &comm);
    if (s.overlap_ep) {
        mlsim_layout_hide_expert_comm(w.fwd, w.n_fwd, times);
        mlsim_layout_hide_expert_comm(w.bwd, w.n_bwd, times + w.n_fwd);
    }
    if (s.overlap_tp) {
        mlsim_layout_hide_tensor_comm(w.fwd, w.n_fwd, times, c->tp, c->overlap_slowdown);
        mlsim_layout_hide_tensor_comm(w.bwd, w.n_bwd, times + w.n_fwd, c->tp, c->overlap_slowdown);
    }
    for (size_t i = 0; i < w.n_fwd + w.n_bwd; i++) {
        const struct mlsim_kernel *k = i < w.n_fwd ? &w.fwd[i] : &w.bwd[i - w.n_fwd];
        *(i < w.n_fwd ? &st->fwd_s : &st->bwd_s) += times[i];
        if (k->kind == MLSIM_KERNEL_COMM && k->group != MLSIM_GROUP_CP)
            st->tp_s += times[i];
    }
    stage_units(&w, s.first_layer, st, times, times + w.n_fwd);
    free(times);
    st->model_flops = w.model_flops_per_micro;
    st->hw_flops = w.hw_flops_per_micro;
    st->params = w.params;
    st->expert_params = w.expert_params;
    st->act_bytes = w.act_bytes_per_micro;
    st->state_bytes_per_param = w.state_bytes_per_param;
    /* Narayanan et al. 2021, Sec. 4.1: with the scatter/gather optimization each TP rank sends
     * 1/t of the b s h activation tensor to the next stage (of its s / cp tokens). */
    st->act_send_bytes = (double)s.micro_batch * s.model.seq_len * s.model.hidden * s.elem_bytes /
                         (c->tp > 0 ? c->tp : 1) / cp_of(c) *
                         mlsim_workload_send_scale(&s.model, s.first_layer, s.n_layers);
    mlsim_workload_release(&w);
    return MLSIM_OK;
}

enum { SLOTS = 5, NIC = 4 };

struct builder {
    struct mlsim_sim *sim;
    const struct mlsim_cluster_config *c;
    const struct stage *stages;
    int p, m, v;
    int mem_m; /* micro-batches whose peak memory is counted (M, or a folded step's) */
    int64_t *fwd, *bwd, *send_f, *send_b; /* [vs * m + mb]; fwd, bwd: a pass's last task */
    int64_t *fwd_head, *bwd_head;         /* [vs * m + mb]: its first (a pass split in units) */
    int64_t *prev1, *prev2;               /* [rank]: its last two compute tasks, or -1 */
    int64_t *last_dp;                     /* [rank]: its last data-parallel task, or -1 */
    struct gate *gates;                   /* replica 0's compute tasks that wait for a gather */
    size_t n_gates, cap_gates;
    struct coll
        *colls; /* unfolded: every replica's data-parallel collectives, replica by replica */
    size_t n_colls, cap_colls;
    int64_t *last_bwd_of_chunk; /* [vs] */
    int64_t *opt, *gather;      /* [rank]: the optimizer step, ZeRO's gather or -1 */
    struct mlsim_pipe_op *ops;  /* [rank][2 m v] */
    int *res; /* [rank * SLOTS + k]: streams compute, send fwd, send bwd, dp; the NIC link */
    enum mlsim_status st;
    /* unfolded data parallelism: REPS replicas; the arrays above point at the one being built */
    int reps;
    int64_t *fwd_all, *bwd_all, *send_f_all, *send_b_all, *last_all, *opt_all, *gather_all;
    int64_t *fwd_head_all, *bwd_head_all, *prev1_all, *prev2_all, *last_dp_all;
    int rep;
    int *res_all;
};

/* A data-parallel collective and the task it waits for (-1: none). */
struct coll {
    int64_t task, after;
};

/* A compute task of rank R waiting for ZeRO-3's gather G; PREV the compute task before it. */
struct gate {
    int64_t compute, gather, prev;
    int rank;
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

/* A data-parallel collective of BYTES per rank (layout.c: hierarchical, NCCL's ring latency). */
static double dp_collective(const struct mlsim_cluster_config *c, int op, double bytes)
{
    return mlsim_layout_dp_collective(&c->groups, c->algo, grad_ranks(c), op, bytes);
}

/* Data-parallel collectives of a rank's gradients (GRAD_PARAMS of them) and, for ZeRO, the
 * parameters gathered back after the update. */
static double dp_reduce_time(const struct mlsim_cluster_config *c, double grad_params)
{
    int op = c->sharding == MLSIM_SHARD_NONE ? MLSIM_COLL_ALL_REDUCE : MLSIM_COLL_REDUCE_SCATTER;
    return dp_collective(c, op, grad_params * c->grad_elem_bytes);
}

/* The same for a rank whose EXPERT_PARAMS of GRAD_PARAMS are routed experts': those reduce over
 * the dp / ep ranks that hold the same experts (Megatron-LM's expert-data-parallel group), after
 * the dense gradients' reduction over all dp. */
static double dp_reduce_moe_time(const struct mlsim_cluster_config *c, double grad_params,
                                 double expert_params)
{
    int edp = mlsim_layout_expert_dp(c->tp, c->dp, c->spec.ep, c->spec.etp);
    if (expert_params <= 0 || edp == c->dp) /* one group for all: one reduction */
        return dp_reduce_time(c, grad_params);
    int op = c->sharding == MLSIM_SHARD_NONE ? MLSIM_COLL_ALL_REDUCE : MLSIM_COLL_REDUCE_SCATTER;
    return dp_reduce_time(c, grad_params - expert_params) +
           mlsim_layout_dp_collective(&c->groups, c->algo, edp, op,
                                      expert_params * c->grad_elem_bytes);
}

/* Whether ZeRO-1/2's parameter all-gather after the update overlaps the next step's forward
 * passes (Megatron-LM's distributed optimizer, --overlap-param-gather: each bucket's gather is
 * waited for by its layers' forward, the next one dispatched meanwhile; NeMo's
 * overlap_param_sync): in the steady state a step starts with the gathers, each unit of a chunk
 * gathered before its first micro-batch's forward, one unit ahead, as ZeRO-3's forward gathers
 * are. With overlap_comm off the gather stays after the update. */
static int overlapped_param_gather(const struct mlsim_cluster_config *c)
{
    return grad_ranks(c) > 1 && c->overlap_comm &&
           (c->sharding == MLSIM_SHARD_ZERO1 || c->sharding == MLSIM_SHARD_ZERO2);
}

/* A compute task of rank R, after its stream's last; its last two remembered for prefetching. */
static int64_t compute_task(struct builder *b, int r, const char *name, int vs, int mb, double dur,
                            double flops)
{
    int64_t id = task(b, name, b->res[(size_t)r * SLOTS], 0, vs, mb, dur, flops, 0);
    b->prev2[r] = b->prev1[r];
    b->prev1[r] = id;
    return id;
}

/* A data-parallel collective of rank R after task AFTER (-1: none). Every replica builds the
 * same ones in the same order, so the I-th of each replica is one collective: remembered, it is
 * made to wait for all replicas (join_replicas). */
static int64_t dp_task(struct builder *b, int r, const char *name, int vs, int mb, double dur,
                       double bytes, int64_t after)
{
    int64_t id = task(b, name, b->res[(size_t)r * SLOTS + 3], 1, vs, mb, dur, 0, bytes);
    b->last_dp[r] = id;
    depend(b, id, after);
    if (b->c->overlap_slowdown > 0) /* the SMs it takes from the compute it overlaps */
        depend(b,
               task(b, "overlap.contention", b->res[(size_t)r * SLOTS], 0, vs, mb,
                    b->c->overlap_slowdown * dur, 0, 0),
               after);
    if (b->reps > 1 && b->st == MLSIM_OK) {
        void *colls = b->colls;
        b->st = mlsim_mem_grow(&colls, &b->cap_colls, b->n_colls + 1, sizeof *b->colls);
        b->colls = colls;
        if (b->st == MLSIM_OK)
            b->colls[b->n_colls++] = (struct coll){id, after};
    }
    return id;
}

/* Each replica's I-th collective waits for what every replica's I-th waits for. */
static void join_replicas(struct builder *b)
{
    size_t per = b->n_colls / (size_t)b->reps;
    for (size_t i = 0; i < per && b->st == MLSIM_OK; i++) {
        for (int x = 0; x < b->reps; x++) {
            for (int y = 0; y < b->reps; y++) {
                if (x != y)
                    depend(b, b->colls[(size_t)x * per + i].task,
                           b->colls[(size_t)y * per + i].after);
            }
        }
    }
}

/* The gradient bytes of one bucket (cluster.h: 0 is 25 MiB; simulate.c gives the framework's). */
static double bucket_cap(const struct mlsim_cluster_config *c)
{
    return c->bucket_bytes > 0 ? c->bucket_bytes : 25.0 * 1048576.0;
}

/* A bucket of BYTES of gradients reduced as one NCCL call per BUCKET_BYTES, after task AFTER. */
static void bucket_reduce(struct builder *b, int r, int vs, double bytes, int64_t after)
{
    const struct mlsim_cluster_config *c = b->c;
    double cap = bucket_cap(c);
    double calls = bytes > cap ? (double)(int64_t)((bytes + cap - 1) / cap) : 1.0;
    int op = c->sharding == MLSIM_SHARD_NONE ? MLSIM_COLL_ALL_REDUCE : MLSIM_COLL_REDUCE_SCATTER;
    double t = calls * dp_collective(c, op, bytes / calls);
    const struct stage *s = &b->stages[vs];
    if (s->expert_params > 0 && s->params > 0) /* experts' share over dp / ep (see above) */
        t = calls *
            dp_reduce_moe_time(c, bytes / calls / c->grad_elem_bytes,
                               bytes / calls / c->grad_elem_bytes * s->expert_params / s->params);
    dp_task(b, r, "dp.reduce.bucket", vs, -1, t, bytes, after);
}

/* ZeRO-3's reduce-scatter of a unit's gradients, held back until the next unit's gather has been
 * issued on the same stream (FSDP's BACKWARD_PRE prefetch: the gather goes first). */
struct held_rs {
    int64_t after;
    int vs, mb;
    double params;
};

static void flush_rs(struct builder *b, int r, struct held_rs *h)
{
    if (h->after < 0)
        return;
    double bytes = h->params * b->c->grad_elem_bytes;
    dp_task(b, r, "zero3.reduce_scatter", h->vs, h->mb,
            dp_collective(b->c, MLSIM_COLL_REDUCE_SCATTER, bytes), bytes, h->after);
    h->after = -1;
}

/* One pass (forward or backward) of virtual stage VS for micro-batch MB on rank R, unit by unit:
 * with ZeRO-3 each unit's parameters gathered first (prefetched: the gather may start once the
 * compute task two back is done, so at most the unit in use and one more are gathered) and, in
 * the backward pass, its gradients reduce-scattered after; with BUCKETS, the gradients reduced in
 * buckets as the units finish. *HEAD and *TAIL receive the pass's first and last tasks. */
static void emit_units(struct builder *b, int r, int vs, int mb, int backward, int buckets,
                       struct held_rs *held, int64_t *head, int64_t *tail)
{
    const struct mlsim_cluster_config *c = b->c;
    const struct stage *s = &b->stages[vs];
    int zero3 = c->sharding == MLSIM_SHARD_ZERO3 && grad_ranks(c) > 1, n = s->n_units;
    /* ZeRO-1/2's overlapped gather: the step's first forward of the chunk waits for its units */
    int gather = zero3 || (!backward && mb == 0 && overlapped_param_gather(c));
    double flops = (backward ? 2.0 : 1.0) * s->model_flops / 3.0,
           total = backward ? s->bwd_s : s->fwd_s;
    double acc = 0;
    *head = *tail = -1;
    for (int k = 0; k < n && b->st == MLSIM_OK; k++) {
        int u = backward ? n - 1 - k : k;
        double dur = backward ? s->unit_bwd_s[u] : s->unit_fwd_s[u];
        int64_t g = -1;
        if (gather) {
            double bytes = s->unit_params[u] * c->grad_elem_bytes;
            g = dp_task(b, r, zero3 ? "zero3.all_gather" : "zero.all_gather", vs, mb,
                        dp_collective(c, MLSIM_COLL_ALL_GATHER, bytes), bytes, b->prev2[r]);
            if (zero3)
                flush_rs(b, r, held);
        }
        int64_t prev = b->prev1[r];
        int64_t id = compute_task(b, r, backward ? "backward" : "forward", vs, mb, dur,
                                  total > 0 ? flops * dur / total : 0);
        depend(b, id, g);
        if (g >= 0 && b->rep == 0 && b->st == MLSIM_OK) {
            void *gates = b->gates;
            b->st = mlsim_mem_grow(&gates, &b->cap_gates, b->n_gates + 1, sizeof *b->gates);
            b->gates = gates;
            if (b->st == MLSIM_OK)
                b->gates[b->n_gates++] = (struct gate){id, g, prev, r};
        }
        if (*head < 0)
            *head = id;
        *tail = id;
        if (zero3 && backward)
            *held = (struct held_rs){id, vs, mb, s->unit_params[u]};
        if (buckets) {
            acc += s->unit_params[u] * c->grad_elem_bytes;
            if (acc >= bucket_cap(c) || k == n - 1) {
                bucket_reduce(b, r, vs, acc, id);
                acc = 0;
            }
        }
    }
}

/* Tasks of rank R, in its schedule's order, and its point-to-point sends. A pass is one task,
 * or split into its units where ZeRO-3 gathers them or the last micro-batch's backward pass
 * reduces its gradients in buckets. */
static void build_rank(struct builder *b, int r)
{
    const struct mlsim_cluster_config *c = b->c;
    int n_vs = b->p * b->v, ops_n = 2 * b->m * b->v;
    const struct mlsim_pipe_op *ops = &b->ops[(size_t)r * (size_t)ops_n];
    int sf = b->res[(size_t)r * SLOTS + 1], sb = b->res[(size_t)r * SLOTS + 2];
    int zero3 = c->sharding == MLSIM_SHARD_ZERO3 && grad_ranks(c) > 1;
    struct held_rs held = {-1, 0, 0, 0};
    for (int i = 0; i < ops_n && b->st == MLSIM_OK; i++) {
        int vs = ops[i].chunk * b->p + r, mb = ops[i].microbatch, bw = ops[i].backward;
        const struct stage *s = &b->stages[vs];
        size_t at = (size_t)vs * (size_t)b->m + (size_t)mb;
        /* a chunk's micro-batches run in order in every schedule: its last backward is m - 1's */
        int buckets = !zero3 && bw && c->overlap_comm && grad_ranks(c) > 1 && mb == b->m - 1;
        int gathered = !bw && mb == 0 && overlapped_param_gather(c);
        if (zero3 || buckets || gathered) {
            emit_units(b, r, vs, mb, bw, buckets, &held, bw ? &b->bwd_head[at] : &b->fwd_head[at],
                       bw ? &b->bwd[at] : &b->fwd[at]);
        } else if (!bw) {
            b->fwd[at] = b->fwd_head[at] =
                compute_task(b, r, "forward", vs, mb, s->fwd_s, s->model_flops / 3.0);
        } else {
            b->bwd[at] = b->bwd_head[at] =
                compute_task(b, r, "backward", vs, mb, s->bwd_s, 2.0 * s->model_flops / 3.0);
        }
        if (bw)
            b->last_bwd_of_chunk[vs] = b->bwd[at];
        if (!bw && vs + 1 < n_vs)
            b->send_f[at] = task(b, "send.activations", sf, 2, vs, mb,
                                 p2p_time(&c->groups.g[MLSIM_GROUP_PP].link, s->act_send_bytes), 0,
                                 s->act_send_bytes);
        if (bw && vs > 0)
            b->send_b[at] = task(b, "send.gradients", sb, 2, vs, mb,
                                 p2p_time(&c->groups.g[MLSIM_GROUP_PP].link, s->act_send_bytes), 0,
                                 s->act_send_bytes);
    }
    flush_rs(b, r, &held);
}

/* The rank's data-parallel reduction and optimizer step. */
static void build_update(struct builder *b, int r, const struct mlsim_workload *opt_w)
{
    const struct mlsim_cluster_config *c = b->c;
    int compute = b->res[(size_t)r * SLOTS], dp = b->res[(size_t)r * SLOTS + 3];
    int64_t reduces[1];
    int n_red = 0;
    double params = 0, experts = 0;
    for (int ch = 0; ch < b->v; ch++) {
        params += b->stages[ch * b->p + r].params;
        experts += b->stages[ch * b->p + r].expert_params;
    }
    if (grad_ranks(c) > 1) {
        if (c->sharding == MLSIM_SHARD_ZERO3 || c->overlap_comm) {
            /* reduced during the backward passes (build_rank): the update waits for the last */
            reduces[n_red++] = b->last_dp[r];
        } else {
            int64_t t = task(b, "dp.reduce", dp, 1, -1, -1, dp_reduce_moe_time(c, params, experts),
                             0, params * c->grad_elem_bytes);
            for (int rep = 0; rep < b->reps; rep++) {
                for (int ch = 0; ch < b->v; ch++)
                    depend(b, t,
                           b->last_all[(size_t)rep * ((size_t)b->p * (size_t)b->v) +
                                       ((size_t)ch * (size_t)b->p + (size_t)r)]);
            }
            reduces[n_red++] = t;
        }
    }
    double shard = c->sharding == MLSIM_SHARD_NONE ? 1.0 : (double)grad_ranks(c);
    struct mlsim_kernel k = opt_w->opt[0];
    k.bytes = k.bytes / opt_w->params * params / shard;
    int64_t opt =
        task(b, "optimizer", compute, 0, -1, -1, mlsim_kernel_time(c->km, &k), 0, k.bytes);
    b->opt[r] = opt;
    b->gather[r] = -1;
    for (int i = 0; i < n_red; i++)
        depend(b, opt, reduces[i]);
    /* TrainSchedule's last step: the rank's last gradients sent before ReduceGrads, the update */
    if (c->p2p_blocking && r > 0) {
        int64_t sent = b->send_b[(size_t)r * (size_t)b->m + (size_t)b->m - 1];
        depend(b, opt, sent);
        if (n_red > 0)
            depend(b, reduces[0], sent);
    }
    if (grad_ranks(c) > 1 && c->sharding != MLSIM_SHARD_NONE && c->sharding != MLSIM_SHARD_ZERO3 &&
        !overlapped_param_gather(c)) {
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
                depend(b, b->fwd_head[at], b->send_f[at - (size_t)b->m]);
            if (vs + 1 < n_vs) {
                depend(b, b->send_f[at], b->fwd[at]);
                depend(b, b->bwd_head[at], b->send_b[at + (size_t)b->m]);
            } else {
                depend(b, b->bwd_head[at], b->fwd[at]);
            }
            if (vs > 0)
                depend(b, b->send_b[at], b->bwd[at]);
        }
    }
}

/* DeepSpeed's blocking sends (cluster.h's p2p_blocking): each rank works through one chain of
 * its passes and of the sends it takes part in, in the order of TrainSchedule
 * (deepspeed/runtime/pipe/schedule.py), which issues a step's exchange before its pass: the
 * activations of the pass before (if a forward), then those this forward needs, then the
 * gradients of the pass before (if a backward), then those this backward needs. A send is in the
 * chains of its sender and its receiver, so it starts once both have reached it (a rendezvous),
 * and neither goes on until it ends. 1F1B only (one chunk per rank). */
static void block_sends(struct builder *b)
{
    int ops_n = 2 * b->m, last = b->p - 1;
    for (int r = 0; r < b->p && b->st == MLSIM_OK; r++) {
        const struct mlsim_pipe_op *ops = &b->ops[(size_t)r * (size_t)ops_n];
        int64_t prev = -1;
        for (int i = 0; i <= ops_n && b->st == MLSIM_OK; i++) {
            const struct mlsim_pipe_op *before = i > 0 ? &ops[i - 1] : NULL;
            const struct mlsim_pipe_op *op = i < ops_n ? &ops[i] : NULL;
            size_t here = (size_t)r * (size_t)b->m;
            int64_t items[4];
            int n = 0;
            if (before && !before->backward && r < last)
                items[n++] = b->send_f[here + (size_t)before->microbatch];
            if (op && !op->backward && r > 0)
                items[n++] = b->send_f[here - (size_t)b->m + (size_t)op->microbatch];
            if (before && before->backward && r > 0)
                items[n++] = b->send_b[here + (size_t)before->microbatch];
            if (op && op->backward && r < last)
                items[n++] = b->send_b[here + (size_t)b->m + (size_t)op->microbatch];
            for (int k = 0; k < n; k++) {
                depend(b, items[k], prev);
                prev = items[k];
            }
            if (!op)
                break;
            size_t at = here + (size_t)op->microbatch;
            depend(b, op->backward ? b->bwd_head[at] : b->fwd_head[at], prev);
            prev = op->backward ? b->bwd[at] : b->fwd[at];
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
    b->fwd_head_all = calloc(cells, sizeof *b->fwd_head_all);
    b->bwd_head_all = calloc(cells, sizeof *b->bwd_head_all);
    size_t ranks = (size_t)b->p * (size_t)b->reps;
    b->prev1_all = malloc(ranks * sizeof *b->prev1_all);
    b->prev2_all = malloc(ranks * sizeof *b->prev2_all);
    b->last_dp_all = malloc(ranks * sizeof *b->last_dp_all);
    if (!b->fwd_all || !b->bwd_all || !b->send_f_all || !b->send_b_all || !b->last_all || !b->ops ||
        !b->res_all || !b->opt_all || !b->gather_all || !b->fwd_head_all || !b->bwd_head_all ||
        !b->prev1_all || !b->prev2_all || !b->last_dp_all)
        return MLSIM_ERR_NOMEM;
    for (size_t i = 0; i < cells; i++)
        b->send_f_all[i] = b->send_b_all[i] = -1;
    for (size_t i = 0; i < ranks; i++)
        b->prev1_all[i] = b->prev2_all[i] = b->last_dp_all[i] = -1;
    return MLSIM_OK;
}

/* Point the builder's arrays at replica REP. */
static void select_replica(struct builder *b, int rep)
{
    size_t n_vs = ((size_t)b->p * (size_t)b->v), cells = n_vs * (size_t)b->m;
    b->rep = rep;
    if (!b->fwd_all || !b->bwd_all || !b->send_f_all || !b->send_b_all || !b->last_all ||
        !b->res_all || !b->opt_all || !b->gather_all || !b->fwd_head_all || !b->bwd_head_all ||
        !b->prev1_all || !b->prev2_all || !b->last_dp_all)
        return; /* not allocated (a layout that cannot be built): no offsets from NULL */
    b->fwd = b->fwd_all + (size_t)rep * cells;
    b->bwd = b->bwd_all + (size_t)rep * cells;
    b->send_f = b->send_f_all + (size_t)rep * cells;
    b->send_b = b->send_b_all + (size_t)rep * cells;
    b->last_bwd_of_chunk = b->last_all + (size_t)rep * n_vs;
    b->res = b->res_all + (size_t)rep * (size_t)b->p * SLOTS;
    b->opt = b->opt_all + (size_t)rep * (size_t)b->p;
    b->gather = b->gather_all + (size_t)rep * (size_t)b->p;
    b->fwd_head = b->fwd_head_all + (size_t)rep * cells;
    b->bwd_head = b->bwd_head_all + (size_t)rep * cells;
    b->prev1 = b->prev1_all + (size_t)rep * (size_t)b->p;
    b->prev2 = b->prev2_all + (size_t)rep * (size_t)b->p;
    b->last_dp = b->last_dp_all + (size_t)rep * (size_t)b->p;
    b->rep = rep;
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
    free(b->fwd_head_all);
    free(b->bwd_head_all);
    free(b->prev1_all);
    free(b->prev2_all);
    free(b->last_dp_all);
    free(b->gates);
    free(b->colls);
}

/* RANK's compute waits for ZeRO-3's gathers: of each gated task's wait after the task before it,
 * the part until its gather ended (a wait before the first task counts from the step's start). */
static double exposed_gathers(const struct builder *b, int rank)
{
    double sum = 0;
    for (size_t i = 0; i < b->n_gates; i++) {
        const struct gate *gt = &b->gates[i];
        if (gt->rank != rank)
            continue;
        const struct mlsim_sim_task *c = mlsim_sim_task_get(b->sim, gt->compute);
        const struct mlsim_sim_task *g = mlsim_sim_task_get(b->sim, gt->gather);
        const struct mlsim_sim_task *p =
            gt->prev >= 0 ? mlsim_sim_task_get(b->sim, gt->prev) : NULL;
        if (!c || !g)
            continue;
        double from = p ? p->end_s : 0, until = g->end_s < c->start_s ? g->end_s : c->start_s;
        sum += until > from ? until - from : 0;
    }
    return sum;
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
        double params = 0, act = 0, tp = 0, unit = 0, experts = 0;
        for (int ch = 0; ch < b->v; ch++) {
            const struct stage *s = &stages[ch * b->p + rank];
            params += s->params;
            experts += s->expert_params;
            act += s->act_bytes / b->v;
            tp += s->tp_s * b->m;
            unit = s->max_unit_params > unit ? s->max_unit_params : unit;
        }
        const struct mlsim_pipe_op *ops = &b->ops[(size_t)rank * 2 * (size_t)b->m * (size_t)b->v];
        int in_flight = b->mem_m == b->m
                            ? mlsim_pipeline_in_flight(ops, 2 * (size_t)b->m * (size_t)b->v)
                            : mlsim_pipeline_peak(c->schedule, b->p, b->mem_m, b->v, rank);
        double states = mlsim_layout_states_bytes(
            params, experts, stages[rank].state_bytes_per_param, c->spec.elem_bytes, grad_ranks(c),
            mlsim_layout_expert_dp(c->tp, c->dp, c->spec.ep, c->spec.etp), c->sharding);
        double acts = act * in_flight;
        double buffers = mlsim_layout_zero3_buffer_bytes(
            unit, c->spec.elem_bytes, c->grad_elem_bytes, grad_ranks(c), c->sharding);
        if (states + acts + buffers > r->mem_bytes) {
            r->mem_bytes = states + acts + buffers;
            r->mem_states_bytes = states;
            r->mem_act_bytes = acts;
            r->mem_buffer_bytes = buffers;
        }
        if (rank == 0)
            r->in_flight = in_flight;
        if (busy > r->compute_s) {
            r->compute_s = busy;
            r->dp_comm_s = dp;
            r->tp_comm_s = tp;
            r->exposed_comm_s = exposed_update(b, rank) + exposed_gathers(b, rank);
        }
    }
    for (int vs = 0; vs < n_vs; vs++) {
        r->model_flops += stages[vs].model_flops * b->m * c->tp * c->dp * cp_of(c);
        r->hw_flops += stages[vs].hw_flops * b->m * c->tp * c->dp * cp_of(c);
        r->params += stages[vs].params * c->tp;
    }
    r->bubble_s = r->step_s - r->compute_s - r->exposed_comm_s;
    /* a step of compute and exposed communication only leaves a rounding residue, not idle time */
    if (r->bubble_s < 1e-12 * r->step_s && r->bubble_s > -1e-12 * r->step_s)
        r->bubble_s = 0;
}

/* One step of C simulated whole, its memory counted at MEM_M micro-batches. */
static enum mlsim_status simulate_once(const struct mlsim_cluster_config *c, int mem_m,
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
    b.mem_m = mem_m;
    b.v = c->schedule == MLSIM_SCHEDULE_INTERLEAVED ? c->interleave : 1;
    b.reps = c->unfold_dp && c->dp > 1 ? c->dp : 1;
    int n_vs = b.p * b.v;
    if (b.p < 1 || b.m < 1 || b.v < 1 || (c->p2p_blocking && c->schedule != MLSIM_SCHEDULE_1F1B))
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
        if (b.st == MLSIM_OK && c->p2p_blocking)
            block_sends(&b);
    }
    for (int rep = 0; rep < b.reps && b.st == MLSIM_OK; rep++) {
        select_replica(&b, rep);
        for (int rank = 0; rank < b.p && b.st == MLSIM_OK; rank++)
            build_update(&b, rank, &opt_w);
    }
    if (b.reps > 1 && b.st == MLSIM_OK)
        join_replicas(&b);
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
    for (int vs = 0; stages && vs < n_vs; vs++)
        free(stages[vs].unit_fwd_s);
    free(stages);
    return st;
}

/* ---- folding the steady state ----
 * A step of M micro-batches repeats one pattern: after the pipeline fills, every further period
 * of micro-batches adds the same work to every stream, so the step and each of its sums grow by
 * the same amount each period; only the fill, the drain and the last backward's reductions
 * differ, and they are the same for any M past the fill. A long step is therefore simulated at
 * four short counts and extended along their line, which they are checked to lie on: three a
 * period apart (the pattern), a fourth four times as far (a backlog that builds up slowly, a
 * stream whose queue outgrows the compute, bends the line and is caught). Off the line, every
 * micro-batch is simulated. Memory stays that of the short steps' tasks instead of growing with
 * M (146 bytes a task); it is counted at M micro-batches from the schedule (pipeline.h). */

/* Micro-batches at which folding starts: well past the fill of any schedule here (1F1B fills in
 * P - 1, interleaving in (V - 1) P + 2 (P - 1) chunks, Narayanan et al. 2021). */
static int fold_base(const struct mlsim_cluster_config *c)
{
    int v = c->schedule == MLSIM_SCHEDULE_INTERLEAVED && c->interleave > 1 ? c->interleave : 1;
    int base = 4 * c->pp * v;
    return base < 32 ? 32 : base;
}

enum mlsim_status mlsim_cluster_simulate(const struct mlsim_cluster_config *c,
                                         struct mlsim_cluster_result *r, struct mlsim_sim **keep)
{
    /* The pattern repeats every 2 P micro-batches at most (1F1B's sends alternate between two
     * patterns; interleaving takes P at a time): the short counts are whole periods apart and
     * congruent to M, so that M lies on their line a whole number of periods on. */
    int period = 2 * (c->pp > 0 ? c->pp : 1);
    int base = fold_base(c);
    if (keep || c->no_fold || c->pp < 1 || c->microbatches < 8 * (base + 2 * period))
        return simulate_once(c, c->microbatches, r, keep);
    base += (c->microbatches - base) % period;
    int m[4] = {base, base + period, base + 2 * period, 4 * (base + 2 * period)};
    m[3] += (c->microbatches - m[3]) % period;
    struct mlsim_cluster_config short_c = *c;
    struct mlsim_cluster_result p[4];
    double step[4], compute[4], exposed[4], dp[4];
    for (int i = 0; i < 4; i++) {
        short_c.microbatches = m[i];
        enum mlsim_status st = simulate_once(&short_c, c->microbatches, &p[i], NULL);
        if (st != MLSIM_OK)
            return st;
        step[i] = p[i].step_s;
        compute[i] = p[i].compute_s;
        exposed[i] = p[i].exposed_comm_s;
        dp[i] = p[i].dp_comm_s;
    }
    if (!mlsim_fold_on_line(step, m, 4) || !mlsim_fold_on_line(compute, m, 4) ||
        !mlsim_fold_on_line(exposed, m, 4) || !mlsim_fold_on_line(dp, m, 4))
        return simulate_once(c, c->microbatches, r, NULL);
    double a = m[2], b = m[3], x = c->microbatches;
    *r = p[3]; /* parameters, and memory: already counted at M micro-batches */
#define EXTEND(f) r->f = mlsim_fold_extend(p[2].f, p[3].f, a, b, x)
    EXTEND(step_s);
    EXTEND(compute_s);
    EXTEND(dp_comm_s);
    EXTEND(tp_comm_s);
    EXTEND(exposed_comm_s);
    EXTEND(model_flops);
    EXTEND(hw_flops);
#undef EXTEND
    r->bubble_s = r->step_s - r->compute_s - r->exposed_comm_s;
    if (r->bubble_s < 1e-12 * r->step_s && r->bubble_s > -1e-12 * r->step_s)
        r->bubble_s = 0;
    r->events = p[0].events + p[1].events + p[2].events + p[3].events; /* what was simulated */
    r->tasks = p[3].tasks;
    r->folded = 1;
    return MLSIM_OK;
}
