/*
 * Layouts: the tiling rule, the groups and their links, memory in closed form, the chooser. The
 * memory here is the simulation's own account (cluster.c takes its ZeRO rule from here and counts
 * in-flight activations from the same pipeline orders), so a layout the chooser or the search
 * accepts is one the simulation fits.
 */
#include "mlsim/layout.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/collective.h"
#include "mlsim/framework.h"
#include "mlsim/hwdb.h"
#include "mlsim/mem.h"
#include "mlsim/moe.h"
#include "mlsim/pipeline.h"
#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/workload.h"

static int chunks_of(const struct mlsim_layout *l)
{
    return l->schedule == MLSIM_SCHEDULE_INTERLEAVED && l->interleave > 0 ? l->interleave : 1;
}

int mlsim_layout_cp(const struct mlsim_layout *l)
{
    return l->cp > 1 ? l->cp : 1;
}

int mlsim_layout_grad_ranks(const struct mlsim_layout *l)
{
    return l->dp * mlsim_layout_cp(l);
}

/* Uneven stages: the given first and last, the rest evenly among the stages between. */
static int uneven_stage_layers(const struct mlsim_layout *l, int layers, int vs, int *first,
                               int *count)
{
    int f = l->first_stage_layers, z = l->last_stage_layers, p = l->pp;
    int middle = p - (f > 0) - (z > 0), rest = layers - (f > 0 ? f : 0) - (z > 0 ? z : 0);
    if (f < 0 || z < 0 || middle < 0 || rest < 0 || (middle == 0 && rest != 0) ||
        (middle > 0 && (rest % middle != 0 || rest / middle == 0)))
        return 0;
    int even = middle > 0 ? rest / middle : 0;
    int start = f > 0 ? f : even;
    if (vs == 0) {
        *first = 0;
        *count = start;
    } else if (vs == p - 1 && z > 0) {
        *first = layers - z;
        *count = z;
    } else {
        *first = start + (vs - 1) * even;
        *count = even;
    }
    return *count > 0;
}

/* Uneven stages tile LAYERS in N_VS chunks: the first rank's, a middle one's and the last's
 * (the three kinds of stage) each split into their chunks. */
static int uneven_stages_tile(const struct mlsim_layout *l, int layers, int64_t n_vs)
{
    int ranks[3] = {0, l->pp > 2 ? 1 : 0, l->pp - 1}, f, n;
    if (n_vs > layers)
        return 0;
    for (int i = 0; i < 3; i++) {
        if (!mlsim_layout_stage_layers(l, layers, ranks[i], (int)n_vs, &f, &n))
            return 0;
    }
    return 1;
}

int mlsim_layout_stage_layers(const struct mlsim_layout *l, int layers, int vs, int n_vs,
                              int *first, int *count)
{
    *first = *count = 0;
    if (n_vs < 1 || vs < 0 || vs >= n_vs || layers < 1)
        return 0;
    if (l->embedding_in_split) {
        /* L + 2 places, the embedding the first and the loss the last: chunk VS holds places
         * [VS P, (VS + 1) P) of them, transformer layers one place behind */
        if (l->first_stage_layers != 0 || l->last_stage_layers != 0 || (layers + 2) % n_vs != 0)
            return 0;
        int per = (layers + 2) / n_vs, start = vs * per - 1, end = (vs + 1) * per - 1;
        *first = start > 0 ? start : 0;
        *count = (end < layers ? end : layers) - *first;
        return *count > 0;
    }
    if (l->first_stage_layers != 0 || l->last_stage_layers != 0) {
        if (l->pp < 1 || n_vs % l->pp != 0)
            return 0;
        int v = n_vs / l->pp, rank = vs % l->pp, chunk = vs / l->pp, f, n;
        if (!uneven_stage_layers(l, layers, rank, &f, &n) || n % v != 0)
            return 0;
        /* Interleaved (Megatron-LM's get_transformer_layer_offset and get_num_layers_to_build):
         * each rank's layers split into its V chunks, chunk c of every rank drawn from the c-th
         * V-th of the model, so rank r's chunk c starts at c L / V + (its first layer) / V. */
        *count = n / v;
        *first = chunk * (layers / v) + f / v;
        return 1;
    }
    if (layers % n_vs != 0)
        return 0;
    *count = layers / n_vs;
    *first = vs * *count;
    return 1;
}

enum mlsim_layout_fault mlsim_layout_check(const struct mlsim_model_spec *m, int count,
                                           int node_size, const struct mlsim_layout *l)
{
    int cp = mlsim_layout_cp(l);
    int64_t mp = (int64_t)l->tp * l->pp * cp;
    if (l->tp < 1 || l->pp < 1 || count % mp != 0)
        return MLSIM_LAYOUT_DEVICES;
    if (cp > 1 && (m->type != MLSIM_MODEL_TRANSFORMER || m->seq_len % (2 * (int64_t)cp) != 0))
        return MLSIM_LAYOUT_CONTEXT;
    if (m->type == MLSIM_MODEL_MLP && mp > 1)
        return MLSIM_LAYOUT_MLP;
    if (m->type == MLSIM_MODEL_TRANSFORMER && (m->heads <= 0 || m->hidden % m->heads != 0))
        return MLSIM_LAYOUT_SHAPE;
    if (m->type == MLSIM_MODEL_TRANSFORMER) {
        int kv = m->kv_heads > 0 ? m->kv_heads : m->heads;
        /* Megatron-LM replicates KV heads when there are fewer than tensor ranks, each rank
         * holding one (megatron/core/transformer/attention.py: num_query_groups_per_partition,
         * with tp a multiple of num_query_groups). */
        if (m->heads % l->tp != 0 || (kv % l->tp != 0 && l->tp % kv != 0))
            return MLSIM_LAYOUT_HEADS;
        int uneven =
            l->first_stage_layers != 0 || l->last_stage_layers != 0 || l->embedding_in_split;
        int64_t n_vs = (int64_t)l->pp * chunks_of(l);
        if (!uneven && m->layers % n_vs != 0)
            return MLSIM_LAYOUT_LAYERS;
        if (uneven && !uneven_stages_tile(l, m->layers, n_vs))
            return MLSIM_LAYOUT_STAGES;
    }
    if (node_size > 0 && l->tp > node_size)
        return MLSIM_LAYOUT_NODE;
    int64_t dp = count / mp, per_step = (int64_t)l->micro_batch * dp;
    if (per_step <= 0 || l->global_batch % per_step != 0)
        return MLSIM_LAYOUT_BATCH;
    if (l->schedule == MLSIM_SCHEDULE_INTERLEAVED && (l->global_batch / per_step) % l->pp != 0)
        return MLSIM_LAYOUT_INTERLEAVE;
    /* Megatron-LM carves the expert-parallel group out of the data-parallel one
     * (megatron/core/parallel_state.py, initialize_model_parallel: "data_parallel_size is not
     * divisible by expert_model_parallel_size"), and each rank holds experts / ep of them. */
    int ep = l->ep > 0 ? l->ep : 1, etp = l->etp > 0 ? l->etp : l->tp;
    int64_t grid = (int64_t)ep * etp, stage = (int64_t)l->tp * dp;
    int moe = m->type == MLSIM_MODEL_TRANSFORMER && m->experts > 0;
    if ((ep > 1 && !moe) ||
        (moe && (m->experts % ep != 0 || etp < 1 || l->tp % etp != 0 || stage % grid != 0 ||
                 (int64_t)mlsim_moe_expert_ffn(m) % etp != 0)))
        return MLSIM_LAYOUT_EXPERTS;
    return MLSIM_LAYOUT_OK;
}

const char *mlsim_layout_fault_text(enum mlsim_layout_fault fault, const struct mlsim_model_spec *m,
                                    int count, int node_size, const struct mlsim_layout *l,
                                    char *buf, size_t len)
{
    int cp = mlsim_layout_cp(l);
    long long dp = l->tp > 0 && l->pp > 0 ? count / ((long long)l->tp * l->pp * cp) : 0;
    switch (fault) {
    case MLSIM_LAYOUT_OK:
        snprintf(buf, len, "the layout tiles the model");
        break;
    case MLSIM_LAYOUT_CONTEXT:
        if (m->type != MLSIM_MODEL_TRANSFORMER)
            snprintf(buf, len, "context parallelism splits a transformer's sequences");
        else
            snprintf(buf, len,
                     "cp %d must split the sequence of %d into 2 x cp = %lld equal chunks "
                     "(Megatron-LM's load-balanced causal split)",
                     cp, m->seq_len, 2LL * cp);
        break;
    case MLSIM_LAYOUT_DEVICES:
        if (cp > 1) {
            snprintf(buf, len,
                     "tp x cp x pp (%d x %d x %d) must divide the %d devices (data parallelism "
                     "takes the rest)",
                     l->tp, cp, l->pp, count);
            break;
        }
        snprintf(buf, len,
                 "tp x pp (%d x %d) must divide the %d devices (data parallelism takes the rest)",
                 l->tp, l->pp, count);
        break;
    case MLSIM_LAYOUT_SHAPE:
        snprintf(buf, len, "the %d attention heads must divide the hidden width %d", m->heads,
                 m->hidden);
        break;
    case MLSIM_LAYOUT_MLP:
        snprintf(buf, len, "tensor and pipeline parallelism are for transformers");
        break;
    case MLSIM_LAYOUT_HEADS:
        snprintf(buf, len,
                 "tp %d must divide the %d attention heads, and divide or be a multiple of the %d "
                 "KV heads",
                 l->tp, m->heads, m->kv_heads > 0 ? m->kv_heads : m->heads);
        break;
    case MLSIM_LAYOUT_LAYERS:
        snprintf(buf, len,
                 "the %d layers must split evenly into pp x interleave = %lld pipeline chunks",
                 m->layers, (long long)l->pp * chunks_of(l));
        break;
    case MLSIM_LAYOUT_STAGES:
        if (l->embedding_in_split)
            snprintf(buf, len,
                     "with the embedding and the loss counted as layers, the %d layers and those "
                     "two must split evenly into pp x interleave = %lld pipeline chunks of at "
                     "least two each (and first_stage_layers, last_stage_layers stay unset)",
                     m->layers, (long long)l->pp * chunks_of(l));
        else if (chunks_of(l) > 1)
            snprintf(buf, len,
                     "uneven stages (first %d, last %d layers) need the other %d layers to split "
                     "evenly among the stages between, and each stage's layers to split into its "
                     "%d interleaved chunks",
                     l->first_stage_layers, l->last_stage_layers,
                     m->layers - l->first_stage_layers - l->last_stage_layers, chunks_of(l));
        else
            snprintf(buf, len,
                     "uneven stages (first %d, last %d layers) need the other %d layers to split "
                     "evenly among the stages between",
                     l->first_stage_layers, l->last_stage_layers,
                     m->layers - l->first_stage_layers - l->last_stage_layers);
        break;
    case MLSIM_LAYOUT_NODE:
        snprintf(buf, len, "tp %d spans more than a node of %d devices", l->tp, node_size);
        break;
    case MLSIM_LAYOUT_BATCH:
        snprintf(buf, len,
                 "training.global_batch (%d) must be a multiple of micro_batch x data-parallel "
                 "size (%d x %lld)",
                 l->global_batch, l->micro_batch, dp);
        break;
    case MLSIM_LAYOUT_INTERLEAVE:
        snprintf(buf, len,
                 "the interleaved schedule needs the %lld micro-batches per pipeline to be a "
                 "multiple of pp %d",
                 dp > 0 && l->micro_batch > 0 ? l->global_batch / (l->micro_batch * dp) : 0LL,
                 l->pp);
        break;
    case MLSIM_LAYOUT_EXPERTS:
        snprintf(buf, len,
                 "training.ep %d must divide the %d routed experts (model.experts), and ep x "
                 "etp (%d x %d) the tp x dp ranks of a stage (%d x %lld), etp dividing tp",
                 l->ep, m->experts, l->ep, l->etp > 0 ? l->etp : l->tp, l->tp, dp);
        break;
    }
    return buf;
}

void mlsim_layout_of_run(const struct mlsim_run *run, struct mlsim_layout *l)
{
    const struct mlsim_training *t = &run->training;
    memset(l, 0, sizeof *l);
    l->tp = t->tp > 0 ? t->tp : 1;
    l->pp = t->pp > 0 ? t->pp : 1;
    l->cp = t->cp > 1 ? t->cp : 1;
    l->cp_algo = t->cp_algo;
    int64_t mp = (int64_t)l->tp * l->pp * l->cp;
    l->dp = run->count > 0 && run->count % mp == 0 ? (int)(run->count / mp) : 0;
    l->micro_batch = t->micro_batch;
    l->global_batch = t->global_batch;
    int64_t per_step = (int64_t)l->micro_batch * l->dp;
    l->microbatches = per_step > 0 ? (int)(l->global_batch / per_step) : 0;
    l->schedule = t->schedule;
    l->interleave = t->interleave > 0 ? t->interleave : 1;
    l->sharding = t->sharding;
    l->recompute = t->recompute;
    l->sequence_parallel = t->sequence_parallel;
    l->first_stage_layers = t->first_stage_layers;
    l->last_stage_layers = t->last_stage_layers;
    l->embedding_in_split = t->embedding_in_split;
    l->ep = t->ep > 0 ? t->ep : 1;
    l->etp = t->etp > 0 ? t->etp : l->tp;
}

void mlsim_layout_apply(const struct mlsim_layout *l, struct mlsim_run *run)
{
    struct mlsim_training *t = &run->training;
    t->tp = l->tp;
    t->pp = l->pp;
    t->micro_batch = l->micro_batch;
    t->schedule = l->schedule;
    t->interleave = l->interleave;
    t->first_stage_layers = l->first_stage_layers;
    t->last_stage_layers = l->last_stage_layers;
    t->embedding_in_split = l->embedding_in_split;
    t->recompute = l->recompute;
    t->sharding = l->sharding;
    t->sequence_parallel = l->sequence_parallel;
    t->cp = mlsim_layout_cp(l);
    t->cp_algo = l->cp_algo;
    t->ep = l->ep;
    t->etp = l->etp;
    run->layout_derived = 0;
}

void mlsim_layout_workload_spec(const struct mlsim_run *run, const struct mlsim_layout *l,
                                struct mlsim_workload_spec *s)
{
    struct mlsim_run r = *run;
    r.training.tp = l->tp;
    r.training.sequence_parallel = l->sequence_parallel;
    r.training.ep = l->ep;
    r.training.etp = l->etp > 0 ? l->etp : l->tp;
    mlsim_model_workload_spec(&r, l->micro_batch, l->recompute, s);
    s->cp = mlsim_layout_cp(l);
    s->cp_algo = l->cp_algo;
}

const struct mlsim_link *mlsim_layout_find_link(const struct mlsim_device *dev, const char *name)
{
    for (int i = 0; i < dev->n_links; i++) {
        if (strcmp(dev->links[i].name, name) == 0)
            return &dev->links[i];
    }
    return NULL;
}

struct mlsim_link_cost mlsim_layout_link_cost(const struct mlsim_link *link)
{
    struct mlsim_link_cost c = {.bw_Bps = 0,
                                .step_s = MLSIM_COLLECTIVE_NVLINK_STEP_LATENCY_S,
                                .base_s = MLSIM_COLLECTIVE_BASE_LATENCY_S};
    if (link) {
        c.bw_Bps = link->bw_each_Bps * mlsim_link_efficiency(link->type);
        if (link->latency_s > 0)
            c.step_s = link->latency_s;
    }
    return c;
}

/* The expert group: ep consecutive data-parallel ranks, tp apart (Megatron-LM's order), so it
 * spans tp x ep devices; inside a node on the fast link, else its all-to-all crosses the network
 * at each device's NIC share (taken as the bottleneck of the exchange). */
static void expert_group(const struct mlsim_layout *l, int node, const struct mlsim_link_cost *net,
                         struct mlsim_layout_groups *g)
{
    int ep = l->ep > 0 ? l->ep : 1, etp = l->etp > 0 ? l->etp : l->tp;
    g->g[MLSIM_GROUP_EP].size = ep;
    if (ep > 1 && (int64_t)etp * ep > node && net->bw_Bps > 0) {
        g->g[MLSIM_GROUP_EP].link = *net;
        g->g[MLSIM_GROUP_EP].crosses_network = 1;
    }
}

void mlsim_layout_groups(const struct mlsim_run *run, const struct mlsim_layout *l,
                         struct mlsim_layout_groups *g)
{
    const struct mlsim_device *dev = run->device;
    struct mlsim_link_cost fast = mlsim_layout_link_cost(mlsim_layout_find_link(dev, run->link));
    int node = run->node_size > 0 ? run->node_size : run->count;
    /* the network's type comes with a system; a bandwidth given alone is taken at face value */
    double net_eff = run->system ? mlsim_link_efficiency(run->system->network.type) : 1.0;
    struct mlsim_link_cost net = {.bw_Bps = node > 0 ? run->nic_bw_Bps * net_eff / node : 0,
                                  .step_s = run->nic_latency_s > 0
                                                ? run->nic_latency_s
                                                : MLSIM_COLLECTIVE_NVLINK_STEP_LATENCY_S,
                                  .base_s = MLSIM_COLLECTIVE_BASE_LATENCY_S};
    int cp = mlsim_layout_cp(l);
    int64_t stage = (int64_t)l->tp * cp * l->dp; /* devices of one pipeline stage */
    memset(g, 0, sizeof *g);
    for (int i = 0; i < MLSIM_GROUP_N; i++) {
        g->g[i].size = 1;
        g->g[i].link = fast;
        g->g[i].intra = fast;
        g->g[i].per_node = 1;
    }
    g->g[MLSIM_GROUP_TP].size = g->g[MLSIM_GROUP_SP].size = l->tp;
    g->g[MLSIM_GROUP_PP].size = l->pp;
    g->g[MLSIM_GROUP_DP].size = l->dp;
    /* The context ranks sit just outside the tensor ranks: in the node while tp x cp fits it,
     * as tensor parallelism is, else each rank's ring neighbours are across the network. */
    g->g[MLSIM_GROUP_CP].size = cp;
    if ((int64_t)l->tp * cp > node && net.bw_Bps > 0) {
        g->g[MLSIM_GROUP_CP].link = net;
        g->g[MLSIM_GROUP_CP].crosses_network = 1;
    }
    if (stage >= node && net.bw_Bps > 0) {
        g->g[MLSIM_GROUP_PP].link = net;
        g->g[MLSIM_GROUP_PP].crosses_network = 1;
    }
    if (stage > node && net.bw_Bps > 0) {
        g->g[MLSIM_GROUP_DP].link = net;
        g->g[MLSIM_GROUP_DP].crosses_network = 1;
        g->share_nic = 1;
    }
    /* A node holds node / tp ranks of each data-parallel group: those reduce on the fast link and
     * each reaches the other nodes through its own NIC (NCCL runs one ring per NIC). */
    if (stage > node && l->tp < node)
        g->g[MLSIM_GROUP_DP].per_node = node / l->tp;
    expert_group(l, node, &net, g);
    mlsim_torus_place(run, l, g);
    for (int i = 0; i < dev->n_links && g->h2d_Bps <= 0; i++) {
        if (dev->links[i].type == MLSIM_LINK_PCIE)
            g->h2d_Bps = dev->links[i].bw_each_Bps;
    }
}

/* ---- memory in closed form ---- */

struct chunk {
    double params, act_bytes, state_bytes_per_param;
    double expert_params;   /* of params, the routed experts' */
    double max_unit_params; /* the largest layer, embedding and head folded in (ZeRO-3's unit) */
};

struct mlsim_layout_work {
    struct chunk *chunks;
    size_t cap_chunks;
};

struct mlsim_layout_work *mlsim_layout_work_alloc(void)
{
    return calloc(1, sizeof(struct mlsim_layout_work));
}

void mlsim_layout_work_free(struct mlsim_layout_work *w)
{
    if (!w)
        return;
    free(w->chunks);
    free(w);
}

double mlsim_layout_zero3_buffer_bytes(double unit_params, double elem_bytes,
                                       double grad_elem_bytes, int dp, int sharding)
{
    if (sharding != MLSIM_SHARD_ZERO3 || dp <= 1)
        return 0;
    return (MLSIM_LAYOUT_ZERO3_PREFETCH + 1) * unit_params * elem_bytes +
           unit_params * grad_elem_bytes;
}

double mlsim_layout_sharded_bytes(double per_param, double elem_bytes, int dp, int sharding)
{
    double e = elem_bytes, d = dp;
    if (sharding == MLSIM_SHARD_ZERO1)
        return 2 * e + (per_param - 2 * e) / d;
    if (sharding == MLSIM_SHARD_ZERO2)
        return e + (per_param - e) / d;
    if (sharding == MLSIM_SHARD_ZERO3)
        return per_param / d;
    return per_param;
}

void mlsim_layout_expert_assumptions(const struct mlsim_run *run, struct mlsim_assumptions *a)
{
    if (run->model.type != MLSIM_MODEL_TRANSFORMER || run->model.experts <= 0)
        return;
    struct mlsim_layout l;
    struct mlsim_layout_groups g;
    mlsim_layout_of_run(run, &l);
    if (l.dp < 1)
        return;
    mlsim_layout_groups(run, &l, &g);
    int ep = l.ep, edp = mlsim_layout_expert_dp(l.tp, l.dp, l.ep, l.etp);
    if (ep <= 1) {
        mlsim_assume(a,
                     "No expert parallelism: all %d routed experts on every rank (each expert's "
                     "FFN split over etp %d of tp %d)",
                     run->model.experts, l.etp, l.tp);
        return;
    }
    mlsim_assume(a,
                 "Expert parallelism %d: %d of the %d routed experts on each rank (each expert's "
                 "FFN split over etp %d of tp %d); dispatch and combine all-to-alls (2 forward, 2 "
                 "backward per MoE layer) over %d ranks %s, %s; expert gradients and ZeRO states "
                 "over the %d ranks that hold the same experts, the rest over %d",
                 ep, run->model.experts / ep, run->model.experts, l.etp, l.tp, ep,
                 g.g[MLSIM_GROUP_EP].crosses_network ? "across nodes on the network"
                                                     : "inside a node",
                 run->training.overlap_ep ? "hidden behind each layer's compute (DualPipe)"
                                          : "blocking their rank",
                 edp, l.dp);
}

void mlsim_layout_hide_expert_comm(const struct mlsim_kernel *k, size_t n, double *t)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        double comp = 0, ep = 0;
        for (; j < n && k[j].layer == k[i].layer; j++) {
            if (k[j].kind == MLSIM_KERNEL_COMM && k[j].group == MLSIM_GROUP_EP)
                ep += t[j];
            else
                comp += t[j];
        }
        double keep = ep > comp && k[i].layer >= 0 ? (ep - comp) / ep : 1.0;
        for (size_t x = i; x < j && ep > 0 && k[i].layer >= 0; x++) {
            if (k[x].kind == MLSIM_KERNEL_COMM && k[x].group == MLSIM_GROUP_EP)
                t[x] = ep > comp ? t[x] * keep : 0.0;
        }
        i = j;
    }
}

/* The GEMM of layer LAYER that sequence-parallel collective I of K pairs with: the next GEMM
 * after an all-gather, the one before a reduce-scatter, not yet used; N (none) otherwise. */
static size_t tensor_partner(const struct mlsim_kernel *k, size_t n, size_t i,
                             const unsigned char *used)
{
    int gather = k[i].coll_op == MLSIM_COLL_ALL_GATHER;
    for (size_t step = 1; step <= n; step++) {
        if (!gather && step > i)
            break;
        size_t j = gather ? i + step : i - step;
        if (j >= n || k[j].layer != k[i].layer)
            break;
        if (k[j].kind == MLSIM_KERNEL_GEMM && !used[j])
            return j;
    }
    return n;
}

void mlsim_layout_hide_tensor_comm(const struct mlsim_kernel *k, size_t n, double *t, int tp,
                                   double slowdown)
{
    if (tp < 2 || n == 0)
        return;
    unsigned char *used = calloc(n, 1);
    if (!used) /* nothing hidden: the serial times stand, an upper bound */
        return;
    for (size_t i = 0; i < n; i++) {
        if (k[i].kind != MLSIM_KERNEL_COMM || k[i].group != MLSIM_GROUP_SP || k[i].layer < 0)
            continue;
        size_t j = tensor_partner(k, n, i, used);
        if (j == n)
            continue;
        used[j] = 1;
        double c = t[i], g = t[j];
        double exposed = fmax(0.0, c - g) + fmin(c, g) / tp;
        t[j] = g + slowdown * (c - exposed);
        t[i] = exposed;
    }
    free(used);
}

int mlsim_layout_expert_dp(int tp, int dp, int ep, int etp)
{
    int64_t grid = (int64_t)(ep > 0 ? ep : 1) * (etp > 0 ? etp : tp);
    int64_t edp = grid > 0 ? (int64_t)tp * dp / grid : dp;
    return edp > 0 ? (int)edp : 1;
}

double mlsim_layout_states_bytes(double params, double expert_params, double per_param,
                                 double elem_bytes, int dp, int edp, int sharding)
{
    double dense =
        (params - expert_params) * mlsim_layout_sharded_bytes(per_param, elem_bytes, dp, sharding);
    if (expert_params <= 0)
        return dense;
    return dense + expert_params * mlsim_layout_sharded_bytes(per_param, elem_bytes,
                                                              edp > 0 ? edp : 1, sharding);
}

static enum mlsim_status cost_chunk(const struct mlsim_run *run, const struct mlsim_layout *l,
                                    int vs, int n_vs, struct chunk *c)
{
    struct mlsim_workload_spec s;
    struct mlsim_workload w;
    mlsim_layout_workload_spec(run, l, &s);
    if (!mlsim_layout_stage_layers(l, s.model.layers, vs, n_vs, &s.first_layer, &s.n_layers))
        return MLSIM_ERR_INPUT;
    s.with_embedding = vs == 0;
    s.with_head = vs == n_vs - 1;
    enum mlsim_status st = mlsim_workload_build(&s, &w);
    if (st != MLSIM_OK)
        return st;
    c->params = w.params;
    c->expert_params = w.expert_params;
    c->act_bytes = w.act_bytes_per_micro;
    c->state_bytes_per_param = w.state_bytes_per_param;
    c->max_unit_params = 0;
    for (int i = 0; i < w.n_layers; i++)
        c->max_unit_params =
            w.layer_params[i] > c->max_unit_params ? w.layer_params[i] : c->max_unit_params;
    mlsim_workload_release(&w);
    return MLSIM_OK;
}

enum mlsim_status mlsim_layout_memory(struct mlsim_layout_work *w, const struct mlsim_run *run,
                                      const struct mlsim_layout *l, struct mlsim_layout_memory *out)
{
    int v = chunks_of(l), p = l->pp, m = l->microbatches;
    size_t n_vs = (size_t)p * (size_t)v;
    memset(out, 0, sizeof *out);
    if (p < 1 || m < 1 || l->dp < 1)
        return MLSIM_ERR_INPUT;
    void *chunks = w->chunks;
    enum mlsim_status st = mlsim_mem_grow(&chunks, &w->cap_chunks, n_vs, sizeof *w->chunks);
    w->chunks = chunks;
    for (size_t vs = 0; vs < n_vs && st == MLSIM_OK; vs++)
        st = cost_chunk(run, l, (int)vs, (int)n_vs, &w->chunks[vs]);
    double e = mlsim_precision_elem_bytes(run->precision);
    if (st == MLSIM_OK && l->schedule == MLSIM_SCHEDULE_INTERLEAVED && m % p != 0)
        st = MLSIM_ERR_INPUT; /* interleaving needs whole groups of P micro-batches */
    for (int rank = 0; rank < p && st == MLSIM_OK; rank++) {
        int in_flight = mlsim_pipeline_peak(l->schedule, p, m, v, rank);
        double params = 0, act = 0, unit = 0, experts = 0;
        for (int ch = 0; ch < v; ch++) {
            const struct chunk *c = &w->chunks[(size_t)ch * (size_t)p + (size_t)rank];
            params += c->params;
            experts += c->expert_params;
            act += c->act_bytes / v;
            unit = c->max_unit_params > unit ? c->max_unit_params : unit;
        }
        double states = mlsim_layout_states_bytes(
            params, experts, w->chunks[rank].state_bytes_per_param, e, mlsim_layout_grad_ranks(l),
            mlsim_layout_expert_dp(l->tp, l->dp, l->ep, l->etp), l->sharding);
        double acts = act * in_flight;
        double buffers =
            mlsim_layout_zero3_buffer_bytes(unit, e, e, mlsim_layout_grad_ranks(l), l->sharding);
        if (states + acts + buffers > out->states_bytes + out->act_bytes + out->buffer_bytes) {
            out->states_bytes = states;
            out->act_bytes = acts;
            out->buffer_bytes = buffers;
        }
        out->state_bytes_per_param = w->chunks[rank].state_bytes_per_param;
    }
    out->total_bytes =
        out->states_bytes + out->act_bytes + out->buffer_bytes + run->training.memory_reserve_bytes;
    return st;
}

enum mlsim_status mlsim_layout_choose(struct mlsim_layout_work *w, const struct mlsim_run *run,
                                      struct mlsim_layout *out)
{
    static const int shardings[] = {-1, MLSIM_SHARD_ZERO1, MLSIM_SHARD_ZERO3};
    const struct mlsim_framework_type *fw = mlsim_framework_get(run->training.framework);
    double capacity = run->device->mem_bytes;
    struct mlsim_layout l;
    mlsim_layout_of_run(run, &l);
    int cp = mlsim_layout_cp(&l);
    for (int shard = 0; shard < 3; shard++) {
        for (int mp = 1; mp <= run->count / cp; mp++) {
            for (int tp = mp < run->node_size ? mp : run->node_size; tp >= 1; tp--) {
                if (mp % tp != 0)
                    continue;
                l.tp = tp;
                l.pp = mp / tp;
                l.etp = run->training.etp > 0 ? run->training.etp : tp;
                l.schedule = MLSIM_SCHEDULE_1F1B;
                l.sharding = shardings[shard] < 0 ? run->training.sharding : shardings[shard];
                if (l.pp > 1 && fw->max_sharding && l.sharding >= fw->max_sharding)
                    continue; /* more ZeRO than the framework's pipeline engine runs */
                if (mlsim_layout_check(&run->model, run->count, run->node_size, &l) !=
                    MLSIM_LAYOUT_OK)
                    continue;
                l.dp = run->count / (mp * cp);
                l.microbatches = l.global_batch / (l.micro_batch * l.dp);
                struct mlsim_layout_memory mem;
                enum mlsim_status st = mlsim_layout_memory(w, run, &l, &mem);
                if (st == MLSIM_ERR_NOMEM)
                    return st;
                if (st == MLSIM_OK && (capacity <= 0 || mem.total_bytes <= capacity)) {
                    *out = l;
                    return MLSIM_OK;
                }
            }
        }
    }
    return MLSIM_ERR_NOT_FOUND;
}

double mlsim_layout_dp_collective(const struct mlsim_layout_groups *groups,
                                  const struct mlsim_collective_algo *algo, int dp, int op,
                                  double bytes)
{
    const struct mlsim_layout_group *g = &groups->g[MLSIM_GROUP_DP];
    int per = g->per_node;
    if (per > 1 && per < dp && dp % per == 0) {
        int nodes = dp / per;
        double t = mlsim_collective_hierarchical(algo, op, nodes, per, bytes, &g->intra, &g->link);
        /* NCCL runs all-gather and reduce-scatter as rings through every rank (one ring per
         * NIC, so the bandwidth is the hierarchical one's), not as a ring inside each node and
         * one across nodes: its latency is P - 1 steps, NODES - 1 of them on the network, and
         * one base latency (NCCL's tuning model, src/graph/tuning.cc: ring latency grows with
         * nRanks). Over hundreds of ranks these collectives become latency-bound. */
        if ((op == MLSIM_COLL_ALL_GATHER || op == MLSIM_COLL_REDUCE_SCATTER) &&
            strcmp(algo->name, "ring") == 0 && g->intra.torus.n_dims == 0)
            t += (double)(dp - nodes - (per - 1)) * g->intra.step_s - g->intra.base_s;
        return t;
    }
    return algo->time(op, dp, bytes, &g->link);
}

void mlsim_layout_cp_assumptions(const struct mlsim_run *run, int tp, int dp,
                                 struct mlsim_assumptions *a)
{
    struct mlsim_layout l;
    struct mlsim_layout_groups g;
    mlsim_layout_of_run(run, &l);
    l.tp = tp > 0 ? tp : l.tp;
    l.dp = dp > 0 ? dp : l.dp;
    int cp = mlsim_layout_cp(&l);
    if (cp <= 1 || run->model.type != MLSIM_MODEL_TRANSFORMER)
        return;
    mlsim_layout_groups(run, &l, &g);
    const char *where = g.g[MLSIM_GROUP_CP].crosses_network ? "across the network" : "in the node";
    if (l.cp_algo == MLSIM_CP_ALGO_ALLGATHER)
        mlsim_assume(a,
                     "Context parallelism %d: each rank holds %d of a sequence's %d tokens (2 x %d "
                     "chunks, load-balanced for the causal mask); keys and values all-gathered "
                     "before each attention and their gradients reduce-scattered after, %s, not "
                     "overlapped (Dubey et al. 2024, Sec. 3.3.2); gradients reduced over data x "
                     "context = %d ranks",
                     cp, run->model.seq_len / cp, run->model.seq_len, cp, where, l.dp * cp);
    else
        mlsim_assume(a,
                     "Context parallelism %d: each rank holds %d of a sequence's %d tokens (2 x %d "
                     "chunks, load-balanced for the causal mask); a ring of %d K and V transfers "
                     "per attention (with their gradients in the backward pass), %s, each "
                     "overlapped with the attention of the chunk before (Megatron-LM; Liu et al. "
                     "2023); gradients reduced over data x context = %d ranks",
                     cp, run->model.seq_len / cp, run->model.seq_len, cp, cp - 1, where, l.dp * cp);
}
