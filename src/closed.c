/*
 * The closed form. A cache entry holds, for one (tp, sequence parallelism, micro-batch,
 * recomputation), the per-micro-batch cost of three one-layer workloads: a middle layer, the first
 * layer with the embedding and the last with the head (their differences are what the end stages
 * add). A stage of n layers is then n middle layers plus its end pieces.
 */
#include "mlsim/closed.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/collective.h"
#include "mlsim/framework.h"
#include "mlsim/kernel.h"
#include "mlsim/mem.h"
#include "mlsim/model.h"
#include "mlsim/moe.h"
#include "mlsim/pipeline.h"
#include "mlsim/scenario.h"
#include "mlsim/workload.h"

struct piece {
    double fwd_s, bwd_s, model_flops, hw_flops, params, act_bytes;
    double expert_params; /* of params, the routed experts' (moe.h) */
};

struct costs {
    int tp, sp, micro_batch, recompute, cp, cp_algo; /* the key */
    enum mlsim_status status;
    struct piece layer, embed, head; /* a middle layer; what the first and last stages add */
    double state_bytes_per_param;
    double opt_bytes_per_param; /* the update's bytes moved per parameter */
    struct mlsim_kernel opt;    /* the update kernel, to scale to a rank's parameters */
    double act_send_bytes;      /* activations a rank sends the next stage per micro-batch */
    /* a mixture of experts (moe.h): the key's expert parallelism, and a MoE layer's piece (the
     * layer piece above is then a dense layer's, where the model has any) */
    int ep, etp;
    struct piece moe;
    /* an encoder-decoder (model.h): the layer piece above is an encoder layer's; a decoder
     * layer's, what its first layer adds (the decoder's entry), and the encoder output a stage
     * of decoder layers keeps once */
    struct piece dec, entry;
    double enc_out;
};

struct mlsim_closed_work {
    const struct mlsim_run *run;
    struct mlsim_kernel_model km;
    const struct mlsim_collective_algo *algo;
    struct costs *entries;
    size_t n, cap;
    size_t last; /* the entry found last: layouts of a search come in runs of one shape */
    /* an encoder-decoder's stages differ: each rank's forward and backward time of one
     * micro-batch, 2 per rank, grown once and reused */
    double *stage_fb;
    size_t stage_cap;
};

struct mlsim_closed_work *mlsim_closed_work_alloc(const struct mlsim_run *run)
{
    struct mlsim_closed_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->run = run;
    mlsim_kernel_model_init(run->device, run->precision, &w->km);
    mlsim_kernel_model_attention(&w->km, run->device, run->training.attention);
    w->algo = mlsim_collective_find("ring");
    return w;
}

void mlsim_closed_work_free(struct mlsim_closed_work *w)
{
    if (!w)
        return;
    free(w->entries);
    free(w->stage_fb);
    free(w);
}

/* One workload of one layer: FIRST_LAYER's, with the embedding or the head. */
static enum mlsim_status cost_piece(const struct mlsim_closed_work *w, const struct mlsim_layout *l,
                                    const struct mlsim_layout_groups *g, int first, int embed,
                                    int head, struct piece *out, struct costs *c)
{
    struct mlsim_workload_spec s;
    struct mlsim_workload wl;
    mlsim_layout_workload_spec(w->run, l, &s);
    s.first_layer = first;
    s.n_layers = 1;
    s.with_embedding = embed;
    s.with_head = head;
    enum mlsim_status st = mlsim_workload_build(&s, &wl);
    if (st != MLSIM_OK)
        return st;
    memset(out, 0, sizeof *out);
    const struct mlsim_kernel *lists[2] = {wl.fwd, wl.bwd};
    size_t counts[2] = {wl.n_fwd, wl.n_bwd};
    double *times = malloc((wl.n_fwd > wl.n_bwd ? wl.n_fwd : wl.n_bwd) * sizeof *times + 1);
    if (!times) {
        mlsim_workload_release(&wl);
        return MLSIM_ERR_NOMEM;
    }
    for (int li = 0; li < 2; li++) {
        double prev = 0; /* the kernel before's time, which a ring exchange hides behind */
        for (size_t i = 0; i < counts[li]; i++) {
            const struct mlsim_kernel *k = &lists[li][i];
            times[i] = mlsim_kernel_time(&w->km, k);
            if (k->kind == MLSIM_KERNEL_COMM) {
                const struct mlsim_layout_group *grp = &g->g[k->group];
                times[i] = mlsim_workload_overlap_s(
                    k, grp->size, w->algo->time(k->coll_op, grp->size, k->bytes, &grp->link), prev);
            }
            prev = times[i];
        }
        if (s.overlap_ep) /* as cluster.c's cost_stage */
            mlsim_layout_hide_expert_comm(lists[li], counts[li], times);
        if (s.overlap_tp)
            mlsim_layout_hide_tensor_comm(lists[li], counts[li], times, l->tp,
                                          MLSIM_OVERLAP_SLOWDOWN);
        for (size_t i = 0; i < counts[li]; i++)
            *(li ? &out->bwd_s : &out->fwd_s) += times[i];
    }
    free(times);
    out->model_flops = wl.model_flops_per_micro;
    out->hw_flops = wl.hw_flops_per_micro;
    out->params = wl.params;
    out->expert_params = wl.expert_params;
    out->act_bytes = wl.act_bytes_per_micro;
    c->state_bytes_per_param = wl.state_bytes_per_param;
    if (wl.n_opt > 0 && wl.params > 0) {
        c->opt = wl.opt[0];
        c->opt_bytes_per_param = wl.opt[0].bytes / wl.params;
    }
    c->act_send_bytes = (double)s.micro_batch * s.model.seq_len * s.model.hidden * s.elem_bytes /
                        (l->tp > 0 ? l->tp : 1) / mlsim_layout_cp(l);
    mlsim_workload_release(&wl);
    return MLSIM_OK;
}

static void minus(struct piece *a, const struct piece *b)
{
    a->fwd_s -= b->fwd_s;
    a->bwd_s -= b->bwd_s;
    a->model_flops -= b->model_flops;
    a->hw_flops -= b->hw_flops;
    a->params -= b->params;
    a->act_bytes -= b->act_bytes;
    a->expert_params -= b->expert_params;
}

/* An encoder-decoder's decoder pieces, raw (each holding the encoder output once): DEC a decoder
 * layer that is not the first where there are two, ENTRY the first. */
static enum mlsim_status decoder_pieces(const struct mlsim_closed_work *w,
                                        const struct mlsim_layout *l,
                                        const struct mlsim_layout_groups *g, struct costs *c)
{
    const struct mlsim_model_spec *m = &w->run->model;
    int first = m->encoder_layers;
    enum mlsim_status st = cost_piece(w, l, g, first, 0, 0, &c->entry, c);
    if (st == MLSIM_OK && m->layers - first >= 2)
        st = cost_piece(w, l, g, first + 1, 0, 0, &c->dec, c);
    else
        c->dec = c->entry;
    struct mlsim_workload_spec s;
    mlsim_layout_workload_spec(w->run, l, &s);
    c->enc_out = mlsim_workload_encoder_output_bytes(&s);
    return st;
}

static int same_key(const struct costs *c, const struct mlsim_layout *l)
{
    return c->tp == l->tp && c->sp == l->sequence_parallel && c->micro_batch == l->micro_batch &&
           c->recompute == l->recompute && c->cp == mlsim_layout_cp(l) &&
           c->cp_algo == l->cp_algo && c->ep == (l->ep > 0 ? l->ep : 1) &&
           c->etp == (l->etp > 0 ? l->etp : l->tp);
}

/* The costs of L's tensor-parallel shape, from the cache or made now. */
static enum mlsim_status costs_of(struct mlsim_closed_work *w, const struct mlsim_layout *l,
                                  const struct mlsim_layout_groups *g, const struct costs **out)
{
    if (w->n > 0 && same_key(&w->entries[w->last], l)) {
        *out = &w->entries[w->last];
        return w->entries[w->last].status;
    }
    for (size_t i = 0; i < w->n; i++) {
        if (same_key(&w->entries[i], l)) {
            w->last = i;
            *out = &w->entries[i];
            return w->entries[i].status;
        }
    }
    void *grown = w->entries;
    if (mlsim_mem_grow(&grown, &w->cap, w->n + 1, sizeof *w->entries) != MLSIM_OK)
        return MLSIM_ERR_NOMEM;
    w->entries = grown;
    struct costs *c = &w->entries[w->n];
    memset(c, 0, sizeof *c);
    c->tp = l->tp;
    c->sp = l->sequence_parallel;
    c->micro_batch = l->micro_batch;
    c->recompute = l->recompute;
    c->cp = mlsim_layout_cp(l);
    c->cp_algo = l->cp_algo;
    c->ep = l->ep > 0 ? l->ep : 1;
    c->etp = l->etp > 0 ? l->etp : l->tp;
    const struct mlsim_model_spec *m = &w->run->model;
    int last = m->layers - 1, dense = mlsim_moe_first_layer(m, 0),
        moe = mlsim_moe_first_layer(m, 1);
    if (dense < 0)
        dense = 0; /* every layer routes: the layer piece is a MoE one too */
    c->status = cost_piece(w, l, g, dense, 0, 0, &c->layer, c);
    if (c->status == MLSIM_OK && moe >= 0)
        c->status = cost_piece(w, l, g, moe, 0, 0, &c->moe, c);
    if (c->status == MLSIM_OK)
        c->status = cost_piece(w, l, g, 0, 1, 0, &c->embed, c);
    if (c->status == MLSIM_OK)
        c->status = cost_piece(w, l, g, last, 0, 1, &c->head, c);
    int encdec = mlsim_model_is_encoder_decoder(m);
    if (c->status == MLSIM_OK && encdec)
        c->status = decoder_pieces(w, l, g, c);
    if (c->status == MLSIM_ERR_NOMEM)
        return MLSIM_ERR_NOMEM; /* not cached: a later call may have the memory */
    minus(&c->embed, moe >= 0 && mlsim_moe_is_moe_layer(m, 0) ? &c->moe : &c->layer);
    if (encdec) { /* the last layer is a decoder layer, the entry itself when it is the only */
        minus(&c->head, last == m->encoder_layers ? &c->entry : &c->dec);
        minus(&c->entry, &c->dec);
        c->dec.act_bytes -= c->enc_out;
    } else {
        minus(&c->head, moe >= 0 && mlsim_moe_is_moe_layer(m, last) ? &c->moe : &c->layer);
    }
    w->last = w->n++;
    *out = c;
    return c->status;
}

static void add_times(struct piece *x, const struct piece *a, double n)
{
    x->fwd_s += a->fwd_s * n;
    x->bwd_s += a->bwd_s * n;
    x->model_flops += a->model_flops * n;
    x->hw_flops += a->hw_flops * n;
    x->params += a->params * n;
    x->act_bytes += a->act_bytes * n;
    x->expert_params += a->expert_params * n;
}

/* Chunk VS of N_VS (PER layers from FIRST of M, N_MOE of them MoE layers) as the sum of its
 * pieces. */
static struct piece chunk_of(const struct costs *c, const struct mlsim_model_spec *m, int vs,
                             int n_vs, int first, int per, int n_moe)
{
    struct piece x = c->layer;
    int n_dec = mlsim_model_decoder_layers_in(m, first, per);
    if (mlsim_model_is_encoder_decoder(m)) { /* encoder and decoder layers, each its own piece */
        memset(&x, 0, sizeof x);
        add_times(&x, &c->layer, per - n_dec);
        add_times(&x, &c->dec, n_dec);
        if (first <= m->encoder_layers && m->encoder_layers < first + per)
            add_times(&x, &c->entry, 1);
        if (n_dec > 0)
            x.act_bytes += c->enc_out;
    } else if (n_moe > 0) { /* a mixture of experts: dense and MoE layers, each its own piece */
        memset(&x, 0, sizeof x);
        add_times(&x, &c->layer, per - n_moe);
        add_times(&x, &c->moe, n_moe);
    } else {
        x.fwd_s *= per;
        x.bwd_s *= per;
        x.model_flops *= per;
        x.hw_flops *= per;
        x.params *= per;
        x.act_bytes *= per;
    }
    const struct piece *ends[2] = {vs == 0 ? &c->embed : NULL, vs == n_vs - 1 ? &c->head : NULL};
    for (int i = 0; i < 2; i++) {
        if (!ends[i])
            continue;
        x.fwd_s += ends[i]->fwd_s;
        x.bwd_s += ends[i]->bwd_s;
        x.model_flops += ends[i]->model_flops;
        x.hw_flops += ends[i]->hw_flops;
        x.params += ends[i]->params;
        x.act_bytes += ends[i]->act_bytes;
        x.expert_params += ends[i]->expert_params;
    }
    return x;
}

static double dp_collective(const struct mlsim_closed_work *w, const struct mlsim_layout_groups *g,
                            int dp, int op, double bytes)
{
    return mlsim_layout_dp_collective(g, w->algo, dp, op, bytes);
}

/* COMPUTE seconds beside GATHERS seconds of ZeRO-3's collectives: the gathers' SMs are taken from
 * the compute they overlap (MLSIM_OVERLAP_SLOWDOWN, as cluster.c puts it on the compute stream);
 * where the compute waits, it costs nothing. */
static double overlapped(double compute, double gathers)
{
    double both = compute + MLSIM_OVERLAP_SLOWDOWN * gathers;
    return both > gathers ? both : gathers;
}

/* One micro-batch's 1F1B pipeline over P stages of unequal forward and backward times FB (f, b
 * per stage) and M micro-batches: its critical path through stage R, the first micro-batch's
 * forwards to R, R's M forwards and backwards, the last backward back to stage 0; before R's
 * first backward the stages after it do one forward and backward, which R's P - 1 - R warm-up
 * forwards cover as far as they last. The longest over R; equal stages give (M + P - 1) (f + b). */
static double unequal_1f1b(const double *fb, int p, int m)
{
    double best = 0, before_f = 0, before_b = 0, after = 0;
    for (size_t i = 0; i < 2 * (size_t)p; i++)
        after += fb[i];
    for (int r = 0; r < p; r++) {
        size_t i = 2 * (size_t)r;
        double f = fb[i], b = fb[i + 1];
        after -= f + b;
        double wait = after - (p - 1 - r) * f;
        double path = before_f + m * (f + b) + before_b + (wait > 0 ? wait : 0.0);
        best = path > best ? path : best;
        before_f += f;
        before_b += b;
    }
    return best;
}

/* ZeRO-3's collectives of one layer of BYTES: gathered for the forward and the backward,
 * reduce-scattered after it. */
static double zero3_layer(const struct mlsim_closed_work *w, const struct mlsim_layout_groups *g,
                          int dp, double bytes)
{
    return 2.0 * dp_collective(w, g, dp, MLSIM_COLL_ALL_GATHER, bytes) +
           dp_collective(w, g, dp, MLSIM_COLL_REDUCE_SCATTER, bytes);
}

static double p2p(const struct mlsim_link_cost *l, double bytes)
{
    return l->base_s + l->step_s + bytes / l->bw_Bps;
}

enum mlsim_status mlsim_closed_step(struct mlsim_closed_work *w, const struct mlsim_layout *l,
                                    struct mlsim_closed_step *out)
{
    const struct mlsim_run *run = w->run;
    struct mlsim_layout_groups g;
    const struct costs *c;
    memset(out, 0, sizeof *out);
    mlsim_layout_groups(run, l, &g);
    enum mlsim_status st = costs_of(w, l, &g, &c);
    if (st != MLSIM_OK)
        return st;
    /* dp: the ranks a gradient is reduced over, the replicas times the context ranks (layout.h),
     * which is also the ranks of a stage that do one tensor rank's work */
    int p = l->pp, m = l->microbatches, dp = mlsim_layout_grad_ranks(l);
    int v = l->schedule == MLSIM_SCHEDULE_INTERLEAVED ? l->interleave : 1;
    int n_vs = p * v, per = run->model.layers / n_vs;
    double e = mlsim_precision_elem_bytes(run->precision);
    double grad_bytes = mlsim_precision_elem_bytes(run->precision);
    double send = p > 1 ? p2p(&g.g[MLSIM_GROUP_PP].link, c->act_send_bytes) : 0.0;
    int zero3 = l->sharding == MLSIM_SHARD_ZERO3 && dp > 1;
    int edp = mlsim_layout_expert_dp(l->tp, dp, c->ep, c->etp); /* the experts' replicas */
    int reduce_op =
        l->sharding == MLSIM_SHARD_NONE ? MLSIM_COLL_ALL_REDUCE : MLSIM_COLL_REDUCE_SCATTER;
    double t_micro = 0, busiest = -1, step = 0;
    double t_sum = 0; /* every rank's micro-batch time, for stages that differ */
    double sends = 0; /* their sends on the critical path, each rank's at its own size */
    int alike = !mlsim_model_is_encoder_decoder(&run->model);
    if (!alike) {
        void *grown = w->stage_fb;
        if (mlsim_mem_grow(&grown, &w->stage_cap, 2 * (size_t)p, sizeof *w->stage_fb) != MLSIM_OK)
            return MLSIM_ERR_NOMEM;
        w->stage_fb = grown;
    }
    double shard = l->sharding == MLSIM_SHARD_NONE ? 1.0 : (double)dp;
    /* Ranks 1 .. p - 2 hold the same chunks (no embedding, no head); of them rank 1 has the most
     * in flight and finishes last, so it stands for all: ranks 0, 1 and p - 1 are costed, and
     * rank 1's FLOPs counted p - 2 times. */
    /* an encoder-decoder's middle ranks differ (encoder or decoder layers): each is costed */
    for (int r = 0; r < p; r = r == 1 && p > 3 && alike ? p - 1 : r + 1) {
        double times = r == 1 && p > 3 && alike ? p - 2 : 1;
        double t = 0, gathers = 0, last_bwd = 0, params = 0, act = 0, experts = 0;
        double bwd_total = 0; /* the rank's backward passes of one micro-batch */
        double fwd_total = 0;
        double dec_t = 0, dec_gathers = 0; /* an encoder-decoder's decoder layers' share */
        double unit = 0;
        double rank_send = 0; /* an encoder-decoder's: its first chunk's (workload.h) */
        double last_unit = c->layer.params; /* the unit whose reduce-scatter ends the backward */
        for (int ch = 0; ch < v; ch++) {
            int vs = ch * p + r;
            int first_layer = 0;
            if (!mlsim_layout_stage_layers(l, run->model.layers, vs, n_vs, &first_layer, &per))
                return MLSIM_ERR_INPUT;
            assert(per > 0); /* the layout tiles (mlsim_layout_check): every chunk has layers */
            struct piece x = chunk_of(c, &run->model, vs, n_vs, first_layer, per,
                                      mlsim_moe_count_layers(&run->model, first_layer, per));
            /* ZeRO-3's unit is a layer, the embedding and the head folded into their neighbours */
            double ends =
                per > 1
                    ? (vs == 0 ? c->embed.params : 0.0) > (vs == n_vs - 1 ? c->head.params : 0.0)
                          ? (vs == 0 ? c->embed.params : 0.0)
                          : (vs == n_vs - 1 ? c->head.params : 0.0)
                    : (vs == 0 ? c->embed.params : 0.0) + (vs == n_vs - 1 ? c->head.params : 0.0);
            /* an encoder-decoder's decoder layers are larger than its encoder's */
            int n_dec = mlsim_model_decoder_layers_in(&run->model, first_layer, per);
            double lp = n_dec > 0 ? c->dec.params : c->layer.params;
            double u = lp + ends;
            unit = u > unit ? u : unit;
            if (ch == 0 && n_dec == per)
                last_unit = c->dec.params;
            if (ch == 0 && !alike && p > 1)
                rank_send = p2p(&g.g[MLSIM_GROUP_PP].link,
                                c->act_send_bytes *
                                    mlsim_workload_send_scale(&run->model, first_layer, per));
            t += x.fwd_s + x.bwd_s;
            bwd_total += x.bwd_s;
            fwd_total += x.fwd_s;
            /* each pass waits for its chunk's weights, gathered on the data-parallel stream,
             * which runs ahead of compute: the slower of the two streams sets the pace */
            if (zero3 && n_dec > 0) { /* as below, each stack's layers at their own size */
                double enc_b = c->layer.params * e, dec_b = c->dec.params * e, lb = lp * e;
                double extra = x.params * e - (per - n_dec) * enc_b - n_dec * dec_b;
                double dec_g = n_dec * zero3_layer(w, &g, dp, dec_b);
                gathers += (per - n_dec) * zero3_layer(w, &g, dp, enc_b) + dec_g;
                dec_gathers += dec_g;
                dec_t += n_dec * (c->dec.fwd_s + c->dec.bwd_s);
                if (extra > 0)
                    gathers += 3.0 * extra / lb *
                               dp_collective(w, &g, dp, MLSIM_COLL_ALL_GATHER, lb) / per;
            } else if (zero3) { /* FSDP: per layer, a gather before each pass, a reduce-scatter
                                   after */
                double layer_b = c->layer.params * e, extra = x.params * e - per * layer_b;
                gathers += per * (2.0 * dp_collective(w, &g, dp, MLSIM_COLL_ALL_GATHER, layer_b) +
                                  dp_collective(w, &g, dp, MLSIM_COLL_REDUCE_SCATTER, layer_b));
                if (extra > 0) /* the embedding and head, folded into their neighbours' units */
                    gathers += 3.0 * extra / layer_b *
                               dp_collective(w, &g, dp, MLSIM_COLL_ALL_GATHER, layer_b) / per;
            }
            if (ch == 0)
                last_bwd = x.bwd_s;
            params += x.params;
            experts += x.expert_params;
            act += x.act_bytes / v;
            out->model_flops += x.model_flops * m * l->tp * dp * times;
            out->hw_flops += x.hw_flops * m * l->tp * dp * times;
        }
        /* the gathers' SMs are taken from the compute they overlap (MLSIM_OVERLAP_SLOWDOWN, as
         * cluster.c puts it on the compute stream); where the compute waits, it costs nothing */
        /* each layer's gather overlaps its neighbour's compute (cluster.c): an encoder-decoder's
         * two stacks differ, the decoder's large layers on few tokens waiting on their gathers,
         * so each stack is paced on its own */
        t = overlapped(t - dec_t, gathers - dec_gathers) + overlapped(dec_t, dec_gathers);
        /* the update: the reduction of what is not yet reduced, the optimizer, ZeRO's gather */
        double reduce = 0;
        if (dp > 1 && zero3) {
            /* FSDP reduce-scatters each unit after its backward: the last unit's is left */
            reduce = dp_collective(w, &g, dp, MLSIM_COLL_REDUCE_SCATTER, last_unit * grad_bytes);
        } else if (dp > 1 &&
                   mlsim_framework_dp_overlap(mlsim_framework_get(run->training.framework),
                                              run->training.overlap_comm, p)) {
            /* DDP's buckets during the last micro-batch's backward (cluster.c): what that pass
             * does not hide, and the last bucket after it */
            double bucket =
                mlsim_framework_bucket_bytes(mlsim_framework_get(run->training.framework),
                                             run->training.bucket_bytes, dp, grad_bytes);
            double bytes = params * grad_bytes, n = bytes > bucket ? bytes / bucket : 1.0;
            double all = n * dp_collective(w, &g, dp, reduce_op, bytes / n);
            if (experts > 0 &&
                edp != dp) /* each bucket's experts' share over dp / ep (cluster.c) */
                all =
                    n * (dp_collective(w, &g, dp, reduce_op, bytes / n * (1.0 - experts / params)) +
                         dp_collective(w, &g, edp, reduce_op, bytes / n * experts / params));
            /* the buckets beside the backward slow it (MLSIM_OVERLAP_SLOWDOWN, cluster.c) */
            double busy = bwd_total + MLSIM_OVERLAP_SLOWDOWN * all;
            reduce = (all > busy ? all : busy) - bwd_total + all / n;
        } else if (dp > 1 && experts > 0 && edp != dp) {
            /* the routed experts' gradients over the dp / ep ranks holding the same experts
             * (cluster.c's dp_reduce_moe_time) */
            reduce = dp_collective(w, &g, dp, reduce_op, (params - experts) * grad_bytes) +
                     dp_collective(w, &g, edp, reduce_op, experts * grad_bytes);
        } else if (dp > 1) {
            reduce = dp_collective(w, &g, dp, reduce_op, params * grad_bytes);
        }
        struct mlsim_kernel k = c->opt;
        k.bytes = c->opt_bytes_per_param * params / shard;
        double opt = mlsim_kernel_time(&w->km, &k);
        double gather = dp > 1 && l->sharding != MLSIM_SHARD_NONE && !zero3
                            ? dp_collective(w, &g, dp, MLSIM_COLL_ALL_GATHER, params * grad_bytes)
                            : 0.0;
        double contention = 0;
        if (gather > 0 && mlsim_framework_dp_overlap(mlsim_framework_get(run->training.framework),
                                                     run->training.overlap_comm, p)) {
            /* overlapped with the next step's first forward, unit by unit, one ahead
             * (cluster.c's overlapped_param_gather): the first unit's gather waits, the rest
             * hides behind that forward where it is long enough; its SMs slow the compute */
            double first = dp_collective(w, &g, dp, MLSIM_COLL_ALL_GATHER, unit * grad_bytes);
            double rest = gather - first > fwd_total ? gather - first - fwd_total : 0.0;
            contention = MLSIM_OVERLAP_SLOWDOWN * gather;
            gather = first + rest;
        }
        double compute = m * t + opt + contention;
        if (compute > busiest) {
            busiest = compute;
            out->compute_s = compute;
        }
        if (t > t_micro)
            t_micro = t;
        t_sum += t;
        sends += rank_send * ((r < p - 1) + (r > 0)); /* forward to r + 1, backward to r - 1 */
        if (!alike) { /* the rank's time, gathers included, split as its passes are */
            double f = fwd_total + bwd_total > 0 ? t * fwd_total / (fwd_total + bwd_total) : 0;
            w->stage_fb[2 * (size_t)r] = f;
            w->stage_fb[2 * (size_t)r + 1] = t - f;
        }
        /* rank r's last backward ends about r backward passes and sends before rank 0's */
        double tail = reduce + opt + gather - r * (last_bwd + (alike ? send : rank_send));
        if (tail > step)
            step = tail;
        if (r == 0)
            out->dp_exposed_s = reduce + gather;
        /* memory, as layout.c counts it */
        double states = mlsim_layout_states_bytes(params, experts, c->state_bytes_per_param, e, dp,
                                                  edp, l->sharding);
        double acts = act * mlsim_pipeline_peak(l->schedule, p, m, v, r);
        double buffers = mlsim_layout_zero3_buffer_bytes(unit, e, e, dp, l->sharding);
        if (states + acts + buffers >
            out->mem.states_bytes + out->mem.act_bytes + out->mem.buffer_bytes) {
            out->mem.states_bytes = states;
            out->mem.act_bytes = acts;
            out->mem.buffer_bytes = buffers;
        }
    }
    out->mem.state_bytes_per_param = c->state_bytes_per_param;
    out->mem.total_bytes = out->mem.states_bytes + out->mem.act_bytes + out->mem.buffer_bytes +
                           run->training.memory_reserve_bytes;
    double pipe = (m + (p - 1) / (double)v) * t_micro;
    double bubble = (p - 1) / (double)v * t_micro;
    if (!alike && v == 1) {
        pipe = unequal_1f1b(w->stage_fb, p, m);
        bubble = pipe - m * t_micro;
    } else if (!alike) { /* interleaved: fill and drain pass every stage at its own pace */
        bubble = (t_sum - t_micro) / v;
        pipe = m * t_micro + bubble;
    }
    out->pp_comm_s = alike ? 2.0 * (p - 1) * send : sends;
    out->bubble_s = bubble;
    out->step_s = pipe + out->pp_comm_s + step + run->training.host_s;
    return MLSIM_OK;
}
