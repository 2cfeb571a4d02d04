/*
 * Kernel lists for a training step. The transformer follows the GPT layer of Megatron-LM:
 * layernorm, QKV projection, attention (two batched GEMMs around a fused softmax-dropout, or one
 * fused flash kernel), output projection, dropout + residual, layernorm, two MLP GEMMs around the
 * activation, dropout + residual. Each GEMM of the forward pass becomes two in the backward pass
 * (input gradient and weight gradient) of the same FLOPs. Memory-bound kernels carry bytes only.
 * An encoder-decoder (T5) is the same stack: its decoder layers run on the targets' tokens and
 * put a cross-attention between the two halves, its keys and values on the encoder's tokens.
 */
#include "mlsim/workload.h"

#include "mlsim/collective.h"
#include "mlsim/mem.h"
#include "mlsim/moe.h"
#include "mlsim/sim.h"

#include <stdlib.h>
#include <string.h>

struct list {
    struct mlsim_kernel *k;
    size_t n, cap;
    enum mlsim_status st; /* the first failure; later pushes are dropped */
};

/* Each kernel becomes at least one task of the simulated step, so a list longer than the engine
 * takes is refused here, before it takes the memory. */
static void push(struct list *l, struct mlsim_kernel k)
{
    if (l->st != MLSIM_OK)
        return;
    if (l->n >= MLSIM_SIM_MAX_TASKS) {
        l->st = MLSIM_ERR_RANGE;
        return;
    }
    void *p = l->k;
    l->st = mlsim_mem_grow(&p, &l->cap, l->n + 1, sizeof *l->k);
    l->k = p;
    if (l->st == MLSIM_OK)
        l->k[l->n++] = k;
}

/* Names of a GEMM in its three roles, and whether it is a linear layer's (the GEMMs a precision
 * recipe may run narrower: Transformer Engine's te.Linear family, AQT's dense layers). The LM
 * head is not: Megatron-core builds it as a plain ColumnParallelLinear, outside TE. */
struct gemm_names {
    const char *fwd, *dgrad, *wgrad;
    int linear;
};

static const struct gemm_names n_qkv = {"qkv", "qkv.dgrad", "qkv.wgrad", 1};
static const struct gemm_names n_proj = {"proj", "proj.dgrad", "proj.wgrad", 1};
static const struct gemm_names n_fc1 = {"fc1", "fc1.dgrad", "fc1.wgrad", 1};
static const struct gemm_names n_fc2 = {"fc2", "fc2.dgrad", "fc2.wgrad", 1};
static const struct gemm_names n_logits = {"logits", "logits.dgrad", "logits.wgrad", 0};
static const struct gemm_names n_dense = {"dense", "dense.dgrad", "dense.wgrad", 1};
/* A MoE layer's (moe.h): the router is a plain linear layer kept in full precision (Megatron-core's
 * TopKRouter; DeepSeek-V3, Sec. 3.3.2, keeps the gating in BF16/FP32 under its FP8 recipe); the
 * routed experts' GEMMs are grouped, one batched GEMM per layer; the shared experts are a dense
 * MLP of their own. */
static const struct gemm_names n_router = {"moe.router", "moe.router.dgrad", "moe.router.wgrad", 0};
static const struct gemm_names n_efc1 = {"moe.fc1", "moe.fc1.dgrad", "moe.fc1.wgrad", 1};
static const struct gemm_names n_efc2 = {"moe.fc2", "moe.fc2.dgrad", "moe.fc2.wgrad", 1};
static const struct gemm_names n_sfc1 = {"moe.shared.fc1", "moe.shared.fc1.dgrad",
                                         "moe.shared.fc1.wgrad", 1};
static const struct gemm_names n_sfc2 = {"moe.shared.fc2", "moe.shared.fc2.dgrad",
                                         "moe.shared.fc2.wgrad", 1};
static const struct gemm_names n_score = {"attn.score", "attn.score.dq", "attn.score.dk", 0};
static const struct gemm_names n_attnv = {"attn.v", "attn.v.dp", "attn.v.dv", 0};

/* Element sizes of a run's kernels under its recipe: E for activations, weights and every GEMM
 * outside a linear layer; a linear GEMM's inputs take LI bytes and, where the recipe casts them,
 * a cast kernel moving CAST bytes per input element. SPLIT: the recipe runs linear GEMMs apart. */
struct elems {
    double e, li, cast;
    int split;
};

static struct elems elems_of(const struct mlsim_workload_spec *sp)
{
    const struct mlsim_precision_type *r = sp->recipe;
    struct elems x = {sp->elem_bytes, sp->elem_bytes, 0.0, 0};
    if (r && mlsim_precision_is_split(r)) {
        x.li = r->linear_in_bytes;
        x.cast = r->cast_bytes;
        x.split = 1;
    }
    return x;
}

static struct mlsim_kernel gemm(const char *name, int phase, int layer, double m, double n,
                                double k, double batch, double e)
{
    struct mlsim_kernel g = {name, MLSIM_KERNEL_GEMM, phase, layer, m, n, k, batch, 0, 0, 0, 0, 0};
    g.flops = 2.0 * m * n * k * batch;
    g.bytes = (m * k + k * n + m * n) * e * batch;
    return g;
}

static struct mlsim_kernel memk(const char *name, int phase, int layer, double bytes)
{
    struct mlsim_kernel g = {name, MLSIM_KERNEL_MEMORY, phase, layer, 0, 0, 0, 1, 0, bytes, 0, 0,
                             0};
    return g;
}

/* A GEMM of NM under the recipe's element sizes X: a linear layer's, where the recipe splits,
 * reads inputs of x->li bytes, writes its output at x->e and runs at the linear precision. */
static struct mlsim_kernel gemm_of(const struct gemm_names *nm, const char *name, int phase,
                                   int layer, double m, double n, double k, double batch,
                                   const struct elems *x)
{
    struct mlsim_kernel g = gemm(name, phase, layer, m, n, k, batch, x->e);
    if (nm->linear && x->split) {
        g.bytes = ((m * k + k * n) * x->li + m * n * x->e) * batch;
        g.linear = 1;
    }
    return g;
}

/* The cast kernel of a split recipe over ELEMS input elements (cast, transpose and amax fused,
 * as Transformer Engine's cast_transpose; AQT's in-graph quantization). */
static void cast(struct list *l, const struct gemm_names *nm, const char *name, int phase,
                 int layer, double elems, const struct elems *x)
{
    if (nm->linear && x->split && x->cast > 0)
        push(l, memk(name, phase, layer, elems * x->cast));
}

/* Forward GEMM (M x K) x (K x N) and, in the backward list, its two gradients. A split recipe
 * casts the forward's two inputs (activation and weight, every micro-batch: the weight's cached
 * copy across micro-batches is not modelled) and the backward's incoming gradient once for both
 * gradient GEMMs. */
static void gemm_fwd(struct list *l, const struct gemm_names *nm, int phase, int layer, double m,
                     double n, double k, double batch, const struct elems *x)
{
    cast(l, nm, "cast", phase, layer, (m * k + k * n) * batch, x);
    push(l, gemm_of(nm, nm->fwd, phase, layer, m, n, k, batch, x));
}

static void gemm_bwd(struct list *l, const struct gemm_names *nm, int layer, double m, double n,
                     double k, double batch, const struct elems *x, int need_dgrad)
{
    cast(l, nm, "cast.bwd", MLSIM_PHASE_BWD, layer, m * n * batch, x);
    if (need_dgrad) /* dX = dY W^T */
        push(l, gemm_of(nm, nm->dgrad, MLSIM_PHASE_BWD, layer, m, k, n, batch, x));
    push(l, gemm_of(nm, nm->wgrad, MLSIM_PHASE_BWD, layer, k, n, m, batch, x)); /* dW = X^T dY */
}

/* The shape as one tensor-parallel rank sees it: heads, KV width, FFN width and vocabulary are
 * split TP ways (Megatron-LM, Shoeybi et al. 2019); with sequence parallelism the norms and
 * dropouts work on 1/TP of the tokens (Korthikanti et al. 2022). */
struct tshape {
    double b, s, h, a, d, kvd, f, fn, v, e, t;
    struct elems el; /* the recipe's element sizes (e is el.e) */
    double keys;     /* keys each query attends: s, or a sliding window's width */
    double kv_t;     /* tokens the keys and values are projected from: t, or a cross-attention's
                        encoder tokens */
    double tp;
    double t_seq; /* tokens the elementwise kernels see: t, or t / tp with sequence parallelism */
    int sp;
    /* context parallelism: s is this rank's s_kv / cp queries, s_kv the whole sequence */
    double s_kv;
    int cp, cp_algo;
    const struct mlsim_model_spec *m; /* the model, for which layers route to experts (moe.h) */
    /* multi-head latent attention (model.h): its per-head query/key and value widths */
    int mla;
    double dqk, dv;
    /* a MoE layer on this rank: routed experts held (experts / ep), the tokens they take at the
     * busiest rank (t x top_k x load), one expert's FFN columns and width (/ tp), the shared
     * experts' width (/ tp), the experts of the router and the expert-parallel ranks */
    double local_experts, routed_tokens, efn, ef, sf, experts, ep;
    double etp; /* expert-tensor ranks (a divisor of tp) */
};

static struct tshape shape_of(const struct mlsim_workload_spec *sp)
{
    struct tshape x;
    x.tp = sp->tp > 0 ? sp->tp : 1;
    x.b = sp->micro_batch;
    x.cp = sp->cp > 1 ? sp->cp : 1;
    x.cp_algo = sp->cp_algo;
    x.s_kv = sp->model.seq_len;
    x.s = x.s_kv / x.cp;
    /* Sliding-window attention (Beltagy et al. 2020; Mistral 7B, Jiang et al. 2023): each query
     * attends the last W keys. FlashAttention-2 skips the blocks outside the window
     * (flash_attn_func's window_size), so its FLOPs are the window's; a plain masked softmax
     * computes every score and masks them, so plain attention is left at s. */
    x.keys = sp->model.window > 0 && sp->model.window < sp->model.seq_len &&
                     MLSIM_ATTENTION_IS_FUSED(sp->attention)
                 ? sp->model.window
                 : x.s_kv;
    x.h = sp->model.hidden;
    x.d = mlsim_model_head_dim(&sp->model);
    x.a = sp->model.heads / x.tp;
    /* fewer KV heads than tensor ranks: each rank holds one, replicated (layout.h) */
    double kv = sp->model.kv_heads > 0 ? sp->model.kv_heads : sp->model.heads;
    x.kvd = (kv >= x.tp ? kv / x.tp : 1.0) * x.d;
    x.f = (sp->model.ffn > 0 ? sp->model.ffn : 4.0 * sp->model.hidden) / x.tp;
    x.fn = sp->model.gated_mlp ? 2.0 * x.f : x.f;
    x.v = sp->model.vocab / x.tp;
    x.el = elems_of(sp);
    x.e = x.el.e;
    x.t = x.b * x.s;
    x.kv_t = x.t;
    x.sp = sp->sequence_parallel && x.tp > 1;
    x.t_seq = x.sp ? x.t / x.tp : x.t;
    x.m = &sp->model;
    x.mla = sp->model.kv_lora_rank > 0;
    x.dqk = x.mla ? (double)sp->model.qk_nope_dim + sp->model.qk_rope_dim : x.d;
    x.dv = x.mla ? sp->model.v_dim : x.d;
    x.ep = sp->ep > 0 ? sp->ep : 1;
    x.experts = sp->model.experts;
    x.local_experts = x.experts > 0 ? x.experts / x.ep : 0;
    /* every rank of the expert group sends t x top_k token copies, spread over the group's
     * experts: t x top_k arrive at a rank on average, load times that at the busiest */
    /* with expert-tensor parallelism below tp, a rank's tokens are its tensor group's share
     * (sequence parallel, t / tp) gathered over its etp expert-tensor ranks */
    double etp = sp->etp > 0 ? sp->etp : x.tp;
    x.routed_tokens = x.t * mlsim_moe_top_k(&sp->model) * mlsim_moe_load(&sp->model) * etp / x.tp;
    x.ef = mlsim_moe_expert_ffn(&sp->model) / etp;
    x.efn = sp->model.gated_mlp ? 2.0 * x.ef : x.ef;
    x.sf = sp->model.shared_experts * mlsim_moe_expert_ffn(&sp->model) / x.tp;
    x.etp = etp;
    return x;
}

/* A tensor-parallel collective of the activations (t x h), or nothing without TP. */
static void tp_comm(struct list *l, const struct tshape *x, const char *name, int op, int phase,
                    int layer)
{
    if (x->tp <= 1)
        return;
    struct mlsim_kernel k = {name,  MLSIM_KERNEL_COMM,
                             phase, layer,
                             0,     0,
                             0,     1,
                             0,     0,
                             op,    x->sp ? MLSIM_GROUP_SP : MLSIM_GROUP_TP,
                             0};
    k.bytes = x->t * x->h * x->e; /* the full activation; the collective model splits it */
    push(l, k);
}

/* Entering a TP region (before a column-parallel GEMM): an all-gather with sequence parallelism. */
static void tp_enter(struct list *l, const struct tshape *x, int phase, int layer)
{
    if (x->sp)
        tp_comm(l, x, "tp.all_gather", MLSIM_COLL_ALL_GATHER, phase, layer);
}

/* Leaving a TP region (after a row-parallel GEMM): an all-reduce, or a reduce-scatter with
 * sequence parallelism (Korthikanti et al. 2022, Sec. 4.2.2: the same bytes either way). */
static void tp_leave(struct list *l, const struct tshape *x, int phase, int layer)
{
    if (x->sp)
        tp_comm(l, x, "tp.reduce_scatter", MLSIM_COLL_REDUCE_SCATTER, phase, layer);
    else
        tp_comm(l, x, "tp.all_reduce", MLSIM_COLL_ALL_REDUCE, phase, layer);
}

/* A context-parallel exchange of keys and values (or their gradients), or nothing without CP:
 * BYTES per rank over the CP group (a send/receive is one ring step, mlsim_workload_overlap_s). */
static void cp_comm(struct list *l, const struct tshape *x, const char *name, int op, int phase,
                    int layer, double bytes)
{
    if (x->cp <= 1)
        return;
    struct mlsim_kernel k = {name, MLSIM_KERNEL_COMM, phase, layer, 0, 0, 0, 1, 0, bytes,
                             op,   MLSIM_GROUP_CP,    0};
    push(l, k);
}

/* This rank's keys and values of its s / cp tokens (this tensor rank's KV heads). */
static double kv_chunk_bytes(const struct tshape *x)
{
    return 2.0 * x->t * x->kvd * x->e;
}

/* Before the attention: Llama 3's all-gather of every rank's K and V (Dubey et al. 2024, Sec.
 * 3.3.2), exposed; the ring has nothing to do yet. BACKWARD: the K and V gathered again, as
 * only the rank's own chunk was kept (Megatron-LM's context_parallel docs). */
static void cp_before(struct list *l, const struct tshape *x, int phase, int layer)
{
    if (x->cp_algo == MLSIM_CP_ALGO_ALLGATHER)
        cp_comm(l, x, "cp.all_gather.kv", MLSIM_COLL_ALL_GATHER, phase, layer,
                kv_chunk_bytes(x) * x->cp);
}

/* After the attention: the ring's cp - 1 transfers of a K and V chunk behind the chunks'
 * attention, in the backward pass with their gradients beside them (twice the bytes); or, for
 * the all-gather, the key and value gradients reduce-scattered back to their ranks. */
static void cp_after(struct list *l, const struct tshape *x, int phase, int layer, int backward)
{
    double chunk = kv_chunk_bytes(x);
    if (x->cp_algo == MLSIM_CP_ALGO_RING)
        cp_comm(l, x, backward ? "cp.ring.kv.bwd" : "cp.ring.kv", MLSIM_COLL_SEND_RECV, phase,
                layer, backward ? 2.0 * chunk : chunk);
    else if (backward)
        cp_comm(l, x, "cp.reduce_scatter.dkv", MLSIM_COLL_REDUCE_SCATTER, phase, layer,
                chunk * x->cp);
}

double mlsim_workload_overlap_s(const struct mlsim_kernel *k, int ranks, double step_s,
                                double prev_s)
{
    if (k->kind != MLSIM_KERNEL_COMM || k->group != MLSIM_GROUP_CP ||
        k->coll_op != MLSIM_COLL_SEND_RECV || ranks <= 1)
        return step_s;
    double hidden = prev_s / ranks;
    return step_s > hidden ? (ranks - 1.0) * (step_s - hidden) : 0.0;
}

/* An expert-parallel all-to-all of the routed tokens (dispatch or combine), or nothing without
 * expert parallelism: each rank sends its t x top_k token copies (at the busiest rank's load),
 * each tensor rank 1/tp of them (the tensor group's own collectives gather the rest): the routed
 * tokens over etp. */
static void ep_comm(struct list *l, const struct tshape *x, const char *name, int phase, int layer)
{
    if (x->ep <= 1)
        return;
    struct mlsim_kernel k = {name, MLSIM_KERNEL_COMM,     phase,          layer, 0, 0, 0, 1, 0,
                             0,    MLSIM_COLL_ALL_TO_ALL, MLSIM_GROUP_EP, 0};
    k.bytes = x->routed_tokens * x->h * x->e / x->etp;
    push(l, k);
}

/* A MoE layer's MLP (Megatron-core's MoELayer with the all-to-all token dispatcher; GShard's
 * dispatch and combine, Lepikhin et al. 2020, Sec. 2.2): the router's logits (t x experts), their
 * softmax and top-k in fp32 (4 bytes written, then read twice, per score), the tokens permuted
 * into expert order, dispatched, the local experts' grouped GEMMs, combined back, un-permuted and
 * summed by their gate weights; then the shared experts as a dense MLP. */
static void moe_fwd(struct list *l, const struct tshape *x, int phase, int layer)
{
    double rt = x->routed_tokens, te = x->local_experts > 0 ? rt / x->local_experts : 0;
    gemm_fwd(l, &n_router, phase, layer, x->t, x->experts, x->h, 1, &x->el);
    push(l, memk("moe.topk", phase, layer, x->t * x->experts * 12.0));
    push(l, memk("moe.permute", phase, layer, rt * x->h * 2.0 * x->e));
    ep_comm(l, x, "moe.dispatch", phase, layer);
    gemm_fwd(l, &n_efc1, phase, layer, te, x->efn, x->h, x->local_experts, &x->el);
    push(l, memk("moe.act", phase, layer, rt * (x->efn + x->ef) * x->e));
    gemm_fwd(l, &n_efc2, phase, layer, te, x->h, x->ef, x->local_experts, &x->el);
    ep_comm(l, x, "moe.combine", phase, layer);
    push(l, memk("moe.unpermute", phase, layer, (2.0 * rt + x->t) * x->h * x->e));
    if (x->sf > 0) {
        double sfn = x->m->gated_mlp ? 2.0 * x->sf : x->sf;
        gemm_fwd(l, &n_sfc1, phase, layer, x->t, sfn, x->h, 1, &x->el);
        push(l, memk("moe.shared.act", phase, layer, x->t * (sfn + x->sf) * x->e));
        gemm_fwd(l, &n_sfc2, phase, layer, x->t, x->h, x->sf, 1, &x->el);
    }
}

/* Its backward: the same kernels in reverse, each all-to-all once more the other way. */
static void moe_bwd(struct list *l, const struct tshape *x, int layer)
{
    double rt = x->routed_tokens, te = x->local_experts > 0 ? rt / x->local_experts : 0;
    int B = MLSIM_PHASE_BWD;
    if (x->sf > 0) {
        double sfn = x->m->gated_mlp ? 2.0 * x->sf : x->sf;
        gemm_bwd(l, &n_sfc2, layer, x->t, x->h, x->sf, 1, &x->el, 1);
        push(l, memk("moe.shared.act.bwd", B, layer, x->t * (2.0 * sfn + x->sf) * x->e));
        gemm_bwd(l, &n_sfc1, layer, x->t, sfn, x->h, 1, &x->el, 1);
    }
    push(l, memk("moe.unpermute.bwd", B, layer, (2.0 * rt + x->t) * x->h * x->e));
    ep_comm(l, x, "moe.combine.bwd", B, layer);
    gemm_bwd(l, &n_efc2, layer, te, x->h, x->ef, x->local_experts, &x->el, 1);
    push(l, memk("moe.act.bwd", B, layer, rt * (2.0 * x->efn + x->ef) * x->e));
    gemm_bwd(l, &n_efc1, layer, te, x->efn, x->h, x->local_experts, &x->el, 1);
    ep_comm(l, x, "moe.dispatch.bwd", B, layer);
    push(l, memk("moe.permute.bwd", B, layer, rt * x->h * 2.0 * x->e));
    push(l, memk("moe.topk.bwd", B, layer, x->t * x->experts * 12.0));
    gemm_bwd(l, &n_router, layer, x->t, x->experts, x->h, 1, &x->el, 1);
}

/* A layer's MLP between the tensor group's collectives: dense, or a mixture of experts. */
static void mlp_fwd(struct list *l, const struct tshape *x, int phase, int layer)
{
    if (mlsim_moe_is_moe_layer(x->m, layer)) {
        moe_fwd(l, x, phase, layer);
        return;
    }
    gemm_fwd(l, &n_fc1, phase, layer, x->t, x->fn, x->h, 1, &x->el);
    push(l, memk("mlp.act", phase, layer, x->t * (x->fn + x->f) * x->e));
    gemm_fwd(l, &n_fc2, phase, layer, x->t, x->h, x->f, 1, &x->el);
}

static void mlp_bwd(struct list *l, const struct tshape *x, int layer)
{
    if (mlsim_moe_is_moe_layer(x->m, layer)) {
        moe_bwd(l, x, layer);
        return;
    }
    int B = MLSIM_PHASE_BWD;
    gemm_bwd(l, &n_fc2, layer, x->t, x->h, x->f, 1, &x->el, 1);
    push(l, memk("mlp.act.bwd", B, layer, x->t * (2.0 * x->fn + x->f) * x->e));
    gemm_bwd(l, &n_fc1, layer, x->t, x->fn, x->h, 1, &x->el, 1);
}

/* Multi-head latent attention's names (DeepSeek-V2, Sec. 2.1): the down- and up-projections of
 * the queries (q_a, q_b) and of the keys and values (kv_a, kv_b). */
static const struct gemm_names n_q_a = {"mla.q_a", "mla.q_a.dgrad", "mla.q_a.wgrad", 1};
static const struct gemm_names n_q_b = {"mla.q_b", "mla.q_b.dgrad", "mla.q_b.wgrad", 1};
static const struct gemm_names n_kv_a = {"mla.kv_a", "mla.kv_a.dgrad", "mla.kv_a.wgrad", 1};
static const struct gemm_names n_kv_b = {"mla.kv_b", "mla.kv_b.dgrad", "mla.kv_b.wgrad", 1};

/* The projections into the attention: Q, K and V in one GEMM, or latent attention's: the
 * queries through their low rank (or directly), the keys and values through the compressed
 * latent with the shared rotary key beside it, each down-projection followed by its norm. The
 * down-projections are replicated over TP ranks (model.c), the up-projections split by heads. */
static void qkv_fwd(struct list *l, const struct tshape *x, int phase, int layer)
{
    if (!x->mla) {
        gemm_fwd(l, &n_qkv, phase, layer, x->t, x->a * x->d + 2.0 * x->kvd, x->h, 1, &x->el);
        return;
    }
    double ql = x->m->q_lora_rank, kl = x->m->kv_lora_rank, rope = x->m->qk_rope_dim;
    if (ql > 0) {
        gemm_fwd(l, &n_q_a, phase, layer, x->t, ql, x->h, 1, &x->el);
        push(l, memk("mla.q_norm", phase, layer, 2.0 * x->t * ql * x->e));
        gemm_fwd(l, &n_q_b, phase, layer, x->t, x->a * x->dqk, ql, 1, &x->el);
    } else {
        gemm_fwd(l, &n_q_b, phase, layer, x->t, x->a * x->dqk, x->h, 1, &x->el);
    }
    gemm_fwd(l, &n_kv_a, phase, layer, x->t, kl + rope, x->h, 1, &x->el);
    push(l, memk("mla.kv_norm", phase, layer, 2.0 * x->t * kl * x->e));
    gemm_fwd(l, &n_kv_b, phase, layer, x->t, x->a * ((double)x->m->qk_nope_dim + x->dv), kl, 1,
             &x->el);
}

static void qkv_bwd(struct list *l, const struct tshape *x, int layer)
{
    if (!x->mla) {
        gemm_bwd(l, &n_qkv, layer, x->t, x->a * x->d + 2.0 * x->kvd, x->h, 1, &x->el, 1);
        return;
    }
    double ql = x->m->q_lora_rank, kl = x->m->kv_lora_rank, rope = x->m->qk_rope_dim;
    int B = MLSIM_PHASE_BWD;
    gemm_bwd(l, &n_kv_b, layer, x->t, x->a * ((double)x->m->qk_nope_dim + x->dv), kl, 1, &x->el, 1);
    push(l, memk("mla.kv_norm.bwd", B, layer, 3.0 * x->t * kl * x->e));
    gemm_bwd(l, &n_kv_a, layer, x->t, kl + rope, x->h, 1, &x->el, 1);
    if (ql > 0) {
        gemm_bwd(l, &n_q_b, layer, x->t, x->a * x->dqk, ql, 1, &x->el, 1);
        push(l, memk("mla.q_norm.bwd", B, layer, 3.0 * x->t * ql * x->e));
        gemm_bwd(l, &n_q_a, layer, x->t, ql, x->h, 1, &x->el, 1);
    } else {
        gemm_bwd(l, &n_q_b, layer, x->t, x->a * x->dqk, x->h, 1, &x->el, 1);
    }
}

/* Latent attention's core: heads of dqk for queries and keys (nope + rope) and dv for values,
 * trained on the up-projected keys and values (the absorbed form is an inference trick). Flash:
 * QK^T and PV forward, 2 b s keys a (dqk + dv); backward dV, dP, dQ, dK and the scores again,
 * 2 b s keys a (2 dv + 3 dqk), as layer_bwd counts multi-head attention. */
static void mla_core(struct list *l, const struct tshape *x, int flash, int phase, int layer)
{
    double ba = x->b * x->a;
    if (flash) {
        struct mlsim_kernel k = {
            "attn.flash", MLSIM_KERNEL_ATTENTION, phase, layer, 0, 0, 0, 1, 0, 0, 0, 0, 0};
        k.flops = 2.0 * x->b * x->s * x->keys * x->a * (x->dqk + x->dv);
        k.bytes = 2.0 * x->t * x->a * (x->dqk + x->dv) * x->e;
        push(l, k);
        return;
    }
    double scores = ba * x->s * x->s;
    gemm_fwd(l, &n_score, phase, layer, x->s, x->s, x->dqk, ba, &x->el);
    push(l, memk("attn.softmax", phase, layer, scores * 2.0 * x->e));
    push(l, memk("attn.dropout", phase, layer, scores * (2.0 * x->e + 1.0)));
    gemm_fwd(l, &n_attnv, phase, layer, x->s, x->dv, x->s, ba, &x->el);
}

static void mla_core_bwd(struct list *l, const struct tshape *x, int flash, int layer)
{
    double ba = x->b * x->a;
    int B = MLSIM_PHASE_BWD;
    if (flash) {
        struct mlsim_kernel k = {
            "attn.flash.bwd", MLSIM_KERNEL_ATTENTION, B, layer, 0, 0, 0, 1, 0, 0, 0, 0, 0};
        k.flops = 2.0 * x->b * x->s * x->keys * x->a * (2.0 * x->dv + 3.0 * x->dqk);
        k.bytes = 4.0 * x->t * x->a * (x->dqk + x->dv) * x->e;
        push(l, k);
        return;
    }
    push(l, gemm(n_attnv.dgrad, B, layer, x->s, x->s, x->dv, ba, x->e));
    push(l, gemm(n_attnv.wgrad, B, layer, x->s, x->dv, x->s, ba, x->e));
    push(l, memk("attn.dropout.bwd", B, layer, ba * x->s * x->s * (2.0 * x->e + 1.0)));
    push(l, memk("attn.softmax.bwd", B, layer, ba * x->s * x->s * 3.0 * x->e));
    push(l, gemm(n_score.dgrad, B, layer, x->s, x->dqk, x->s, ba, x->e));
    push(l, gemm(n_score.wgrad, B, layer, x->s, x->dqk, x->s, ba, x->e));
}

/* The attention core's forward kernels (what selective recomputation repeats). */
static void mla_core(struct list *l, const struct tshape *x, int flash, int phase, int layer);

static void attention_core(struct list *l, const struct tshape *x, int flash, int phase, int layer)
{
    if (x->mla) {
        mla_core(l, x, flash, phase, layer);
        return;
    }
    double hr = x->a * x->d; /* this rank's share of the hidden width */
    if (flash) {
        struct mlsim_kernel k = {
            "attn.flash", MLSIM_KERNEL_ATTENTION, phase, layer, 0, 0, 0, 1, 0, 0, 0, 0, 0};
        k.flops = 4.0 * x->b * x->s * x->keys * hr;
        k.bytes = (2.0 * x->t * hr + 2.0 * x->kv_t * x->kvd) * x->e;
        cp_before(l, x, phase, layer);
        push(l, k);
        cp_after(l, x, phase, layer, 0);
        return;
    }
    /* Megatron-LM: a fused scale-mask-softmax kernel, then dropout as a kernel of its own that
     * writes its output and a one-byte mask (the 2 + 1 + 2 bytes per score that Korthikanti et
     * al. 2022, Sec. 4.1, count as the softmax output, dropout mask and dropout output). */
    double ba = x->b * x->a, scores = ba * x->s * x->s_kv;
    cp_before(l, x, phase, layer);
    gemm_fwd(l, &n_score, phase, layer, x->s, x->s_kv, x->d, ba, &x->el);
    push(l, memk("attn.softmax", phase, layer, scores * 2.0 * x->e));
    push(l, memk("attn.dropout", phase, layer, scores * (2.0 * x->e + 1.0)));
    gemm_fwd(l, &n_attnv, phase, layer, x->s, x->d, x->s_kv, ba, &x->el);
    cp_after(l, x, phase, layer, 0); /* overlapped with the last GEMM only: CP runs flash */
}

/* A sequential layer's two halves: norm, attention and residual; norm, MLP and residual. */
static void attention_block_fwd(struct list *l, const struct tshape *x, int flash, int phase,
                                int layer)
{
    double th = x->t_seq * x->h, hr = x->a * x->d;
    push(l, memk("ln1", phase, layer, 2.0 * th * x->e));
    tp_enter(l, x, phase, layer);
    qkv_fwd(l, x, phase, layer);
    attention_core(l, x, flash, phase, layer);
    gemm_fwd(l, &n_proj, phase, layer, x->t, x->h, x->mla ? x->a * x->dv : hr, 1, &x->el);
    tp_leave(l, x, phase, layer);
    push(l, memk("dropout.residual", phase, layer, th * (3.0 * x->e + 1.0)));
}

static void mlp_block_fwd(struct list *l, const struct tshape *x, int phase, int layer)
{
    double th = x->t_seq * x->h;
    push(l, memk("ln2", phase, layer, 2.0 * th * x->e));
    tp_enter(l, x, phase, layer);
    mlp_fwd(l, x, phase, layer);
    tp_leave(l, x, phase, layer);
    push(l, memk("dropout.residual", phase, layer, th * (3.0 * x->e + 1.0)));
}

static void layer_fwd(struct list *l, const struct tshape *x, int flash, int phase, int layer)
{
    attention_block_fwd(l, x, flash, phase, layer);
    mlp_block_fwd(l, x, phase, layer);
}

static void attention_bwd(struct list *l, const struct tshape *x, int flash, int layer);

/* In the backward pass the roles swap: the gradient entering a row-parallel GEMM is gathered
 * (sequence parallel), and the input gradient of a column-parallel GEMM is all-reduced. */
static void mlp_block_bwd(struct list *l, const struct tshape *x, int layer)
{
    double th = x->t_seq * x->h;
    int B = MLSIM_PHASE_BWD;
    push(l, memk("dropout.residual.bwd", B, layer, th * (2.0 * x->e + 1.0)));
    tp_enter(l, x, B, layer);
    mlp_bwd(l, x, layer);
    tp_leave(l, x, B, layer);
    push(l, memk("ln2.bwd", B, layer, 3.0 * th * x->e));
}

static void attention_block_bwd(struct list *l, const struct tshape *x, int flash, int layer)
{
    double th = x->t_seq * x->h, hr = x->a * x->d;
    int B = MLSIM_PHASE_BWD;
    push(l, memk("dropout.residual.bwd", B, layer, th * (2.0 * x->e + 1.0)));
    tp_enter(l, x, B, layer);
    gemm_bwd(l, &n_proj, layer, x->t, x->h, x->mla ? x->a * x->dv : hr, 1, &x->el, 1);
    attention_bwd(l, x, flash, layer);
    qkv_bwd(l, x, layer);
    tp_leave(l, x, B, layer);
    push(l, memk("ln1.bwd", B, layer, 3.0 * th * x->e));
}

static void layer_bwd(struct list *l, const struct tshape *x, int flash, int layer)
{
    mlp_block_bwd(l, x, layer);
    attention_block_bwd(l, x, flash, layer);
}

/* The attention core's backward kernels. */
static void mla_core_bwd(struct list *l, const struct tshape *x, int flash, int layer);

static void attention_bwd(struct list *l, const struct tshape *x, int flash, int layer)
{
    if (x->mla) {
        mla_core_bwd(l, x, flash, layer);
        return;
    }
    double hr = x->a * x->d;
    int B = MLSIM_PHASE_BWD;
    if (flash) {
        /* FlashAttention's backward recomputes the scores: 5 matmuls to the forward's 2 (Dao et al.
         * 2022); 4 of them are the model's backward FLOPs, 1 is recomputation. */
        struct mlsim_kernel k = {
            "attn.flash.bwd", MLSIM_KERNEL_ATTENTION, B, layer, 0, 0, 0, 1, 0, 0, 0, 0, 0};
        k.flops = 10.0 * x->b * x->s * x->keys * hr;
        k.bytes = (4.0 * x->t * hr + 4.0 * x->kv_t * x->kvd) * x->e;
        cp_before(l, x, B, layer);
        push(l, k);
        cp_after(l, x, B, layer, 1);
    } else {
        double ba = x->b * x->a;
        /* attn.v: O = P V with P (s x s), V (s x d): dP = dO V^T, dV = P^T dO */
        double q = x->s, kv = x->s_kv; /* queries of this rank, the keys they attend */
        cp_before(l, x, B, layer);
        push(l, gemm(n_attnv.dgrad, B, layer, q, kv, x->d, ba, x->e));
        push(l, gemm(n_attnv.wgrad, B, layer, kv, x->d, q, ba, x->e));
        /* dropout's backward reads the gradient and the mask; softmax's reads its output too */
        push(l, memk("attn.dropout.bwd", B, layer, ba * q * kv * (2.0 * x->e + 1.0)));
        push(l, memk("attn.softmax.bwd", B, layer, ba * q * kv * 3.0 * x->e));
        /* score: S = Q K^T: dQ = dS K, dK = dS^T Q */
        push(l, gemm(n_score.dgrad, B, layer, q, x->d, kv, ba, x->e));
        push(l, gemm(n_score.wgrad, B, layer, kv, x->d, q, ba, x->e));
        cp_after(l, x, B, layer, 1);
    }
}

/* A parallel block (GPT-J; PaLM, Chowdhery et al. 2022, Sec. 2): one norm feeds the attention
 * and the MLP side by side, and their outputs are summed with the residual. Under tensor
 * parallelism the two row-parallel outputs are summed before one all-reduce (one reduce-scatter
 * with sequence parallelism) and, backward, the two column-parallel input gradients before one,
 * where the sequential block needs two each way. */
static void parallel_fwd(struct list *l, const struct tshape *x, int flash, int phase, int layer)
{
    double th = x->t_seq * x->h, hr = x->a * x->d;
    push(l, memk("ln1", phase, layer, 2.0 * th * x->e));
    tp_enter(l, x, phase, layer);
    qkv_fwd(l, x, phase, layer);
    attention_core(l, x, flash, phase, layer);
    gemm_fwd(l, &n_proj, phase, layer, x->t, x->h, x->mla ? x->a * x->dv : hr, 1, &x->el);
    mlp_fwd(l, x, phase, layer);
    tp_leave(l, x, phase, layer);
    /* the two branches and the residual read, the sum and a dropout mask written */
    push(l, memk("dropout.residual", phase, layer, th * (4.0 * x->e + 1.0)));
}

static void parallel_bwd(struct list *l, const struct tshape *x, int flash, int layer)
{
    double th = x->t_seq * x->h, hr = x->a * x->d;
    int B = MLSIM_PHASE_BWD;
    push(l, memk("dropout.residual.bwd", B, layer, th * (2.0 * x->e + 1.0)));
    tp_enter(l, x, B, layer);
    mlp_bwd(l, x, layer);
    gemm_bwd(l, &n_proj, layer, x->t, x->h, x->mla ? x->a * x->dv : hr, 1, &x->el, 1);
    attention_bwd(l, x, flash, layer);
    qkv_bwd(l, x, layer);
    tp_leave(l, x, B, layer);
    push(l, memk("ln1.bwd", B, layer, 3.0 * th * x->e));
}

static void block_fwd(struct list *l, const struct tshape *x, int parallel, int flash, int phase,
                      int layer)
{
    if (parallel)
        parallel_fwd(l, x, flash, phase, layer);
    else
        layer_fwd(l, x, flash, phase, layer);
}

/* An encoder-decoder's three shapes (model.h): the encoder's over its seq_len input tokens, the
 * decoder's over its decoder_seq_len targets, and the cross-attention's, the decoder's queries
 * over the encoder's keys. A decoder-only model has only the first, every layer's. */
struct stacks {
    struct tshape enc, dec, cross;
    int encdec;
    int first_dec; /* the decoder's first layer (encoder_layers) */
};

static struct stacks stacks_of(const struct mlsim_workload_spec *sp)
{
    struct stacks st;
    st.enc = shape_of(sp);
    st.encdec = mlsim_model_is_encoder_decoder(&sp->model);
    st.first_dec = st.encdec ? sp->model.encoder_layers : sp->model.layers;
    st.dec = st.enc;
    if (st.encdec) {
        double sd = mlsim_model_decoder_seq_len(&sp->model);
        st.dec.s = st.dec.s_kv = st.dec.keys = sd;
        st.dec.t = st.dec.kv_t = st.dec.b * sd;
        st.dec.t_seq = st.dec.sp ? st.dec.t / st.dec.tp : st.dec.t;
    }
    st.cross = st.dec;
    st.cross.s_kv = st.cross.keys = st.enc.s;
    st.cross.kv_t = st.enc.t;
    return st;
}

static const struct gemm_names n_xq = {"cross.q", "cross.q.dgrad", "cross.q.wgrad", 1};
static const struct gemm_names n_xkv = {"cross.kv", "cross.kv.dgrad", "cross.kv.wgrad", 1};
static const struct gemm_names n_xproj = {"cross.proj", "cross.proj.dgrad", "cross.proj.wgrad", 1};

/* A decoder layer's cross-attention (Vaswani et al. 2017, Sec. 3.2.3; T5's EncDecAttention): its
 * norm, the queries projected from the decoder's tokens, the keys and values from the encoder's
 * output on the encoder's tokens (gathered first under sequence parallelism), every target
 * attending every input, the output projection and the residual. */
static void cross_fwd(struct list *l, const struct stacks *st, int flash, int phase, int layer)
{
    const struct tshape *d = &st->dec, *e = &st->enc;
    double th = d->t_seq * d->h, hr = d->a * d->d;
    push(l, memk("ln_cross", phase, layer, 2.0 * th * d->e));
    tp_enter(l, d, phase, layer);
    gemm_fwd(l, &n_xq, phase, layer, d->t, hr, d->h, 1, &d->el);
    tp_enter(l, e, phase, layer);
    gemm_fwd(l, &n_xkv, phase, layer, e->t, 2.0 * e->kvd, e->h, 1, &e->el);
    attention_core(l, &st->cross, flash, phase, layer);
    gemm_fwd(l, &n_xproj, phase, layer, d->t, d->h, hr, 1, &d->el);
    tp_leave(l, d, phase, layer);
    push(l, memk("dropout.residual", phase, layer, th * (3.0 * d->e + 1.0)));
}

/* Its backward; the encoder output's gradient from the key and value projections is summed over
 * the tensor ranks (reduce-scattered with sequence parallelism). */
static void cross_bwd(struct list *l, const struct stacks *st, int flash, int layer)
{
    const struct tshape *d = &st->dec, *e = &st->enc;
    double th = d->t_seq * d->h, hr = d->a * d->d;
    int B = MLSIM_PHASE_BWD;
    push(l, memk("dropout.residual.bwd", B, layer, th * (2.0 * d->e + 1.0)));
    tp_enter(l, d, B, layer);
    gemm_bwd(l, &n_xproj, layer, d->t, d->h, hr, 1, &d->el, 1);
    attention_bwd(l, &st->cross, flash, layer);
    gemm_bwd(l, &n_xkv, layer, e->t, 2.0 * e->kvd, e->h, 1, &e->el, 1);
    tp_leave(l, e, B, layer);
    gemm_bwd(l, &n_xq, layer, d->t, hr, d->h, 1, &d->el, 1);
    tp_leave(l, d, B, layer);
    push(l, memk("ln_cross.bwd", B, layer, 3.0 * th * d->e));
}

/* Where the decoder begins (kernels of its first layer, so on the stage that holds it): the
 * encoder's final norm over its output and the targets' lookup in the shared embedding, summed
 * over the vocabulary-parallel ranks. Forward and backward only: no recomputation repeats them. */
static void decoder_entry_fwd(struct list *l, const struct stacks *st, int layer)
{
    const struct tshape *d = &st->dec, *e = &st->enc;
    push(l, memk("ln_f.encoder", MLSIM_PHASE_FWD, layer, 2.0 * e->t_seq * e->h * e->e));
    push(l, memk("embedding.decoder", MLSIM_PHASE_FWD, layer, 3.0 * d->t_seq * d->h * d->e));
    tp_leave(l, d, MLSIM_PHASE_FWD, layer);
}

static void decoder_entry_bwd(struct list *l, const struct stacks *st, int layer)
{
    const struct tshape *d = &st->dec, *e = &st->enc;
    push(l, memk("embedding.decoder.bwd", MLSIM_PHASE_BWD, layer, 2.0 * d->t_seq * d->h * d->e));
    push(l, memk("ln_f.encoder.bwd", MLSIM_PHASE_BWD, layer, 3.0 * e->t_seq * e->h * e->e));
}

/* Layer LAYER forward (or recomputed): an encoder's or a decoder-only model's block, or a decoder
 * layer of self-attention, cross-attention and MLP. */
static void any_layer_fwd(struct list *l, const struct stacks *st, int parallel, int flash,
                          int phase, int layer)
{
    if (!st->encdec || layer < st->first_dec) {
        block_fwd(l, &st->enc, parallel, flash, phase, layer);
        return;
    }
    attention_block_fwd(l, &st->dec, flash, phase, layer);
    cross_fwd(l, st, flash, phase, layer);
    mlp_block_fwd(l, &st->dec, phase, layer);
}

static void any_layer_bwd(struct list *l, const struct stacks *st, int parallel, int flash,
                          int layer)
{
    if (st->encdec && layer >= st->first_dec) {
        mlp_block_bwd(l, &st->dec, layer);
        cross_bwd(l, st, flash, layer);
        attention_block_bwd(l, &st->dec, flash, layer);
    } else if (parallel) {
        parallel_bwd(l, &st->enc, flash, layer);
    } else {
        layer_bwd(l, &st->enc, flash, layer);
    }
}

/* Selective recomputation (without flash): the attention cores again, a decoder layer's two. */
static void any_core_recompute(struct list *l, const struct stacks *st, int layer)
{
    int dec = st->encdec && layer >= st->first_dec;
    attention_core(l, dec ? &st->dec : &st->enc, 0, MLSIM_PHASE_RECOMPUTE, layer);
    if (dec)
        attention_core(l, &st->cross, 0, MLSIM_PHASE_RECOMPUTE, layer);
}

/* Flash attention's built-in recomputation: the 1 of its 5 backward matmuls that is not model
 * work (see layer_bwd). */
static double flash_recompute_flops(const struct tshape *x)
{
    if (x->mla) /* the scores again, at the query/key width */
        return 2.0 * x->b * x->s * x->keys * x->a * x->dqk;
    return 2.0 * x->b * x->s * x->keys * x->a * x->d;
}

static double sum_flops(const struct mlsim_kernel *k, size_t n, int phase)
{
    double f = 0;
    for (size_t i = 0; i < n; i++) {
        if (phase < 0 || k[i].phase == phase)
            f += k[i].flops;
    }
    return f;
}

/* Bytes of weights, gradients and optimizer states per parameter (Rajbhandari et al. 2020, ZeRO,
 * Sec. 3.1: mixed-precision Adam keeps 2 + 2 + 12). */
static double state_bytes(int optimizer, double e)
{
    double master = e < 4 ? 4.0 : 0.0; /* fp32 master copy when training in 16-bit */
    double states = optimizer == MLSIM_OPTIMIZER_ADAM      ? 8.0
                    : optimizer == MLSIM_OPTIMIZER_RMSPROP ? 4.0
                                                           : 0.0;
    return e + e + master + states;
}

/* Bytes the update moves per parameter, pass by pass as Megatron-LM's mixed-precision optimizer
 * makes them (megatron/optimizer: MixedPrecisionOptimizer.step): the 16-bit gradients copied to
 * fp32 (e + 4), unscaled and checked for infinities (4 + 4), their norm taken for clipping (4),
 * the optimizer's own pass (read weights, gradient and states, write weights and states), the
 * fp32 weights copied back to the 16-bit model (4 + e), and the gradient buffer zeroed for the
 * next step (e). In fp32 the copies and the unscaling fall away. */
static double update_bytes(int optimizer, double e)
{
    double states = optimizer == MLSIM_OPTIMIZER_ADAM      ? 8.0
                    : optimizer == MLSIM_OPTIMIZER_RMSPROP ? 4.0
                                                           : 0.0;
    double update = 4.0 + 4.0 + states + 4.0 + states; /* read w, g, states; write w, states */
    double mixed = e < 4 ? (e + 4.0) + 8.0 + (4.0 + e) : 0.0;
    return mixed + 4.0 + update + e;
}

/* A mixture of experts' per-layer parameters on this rank (moe.h): each layer its own count,
 * the embedding and head folded into the first and last; the routed experts' share apart. */
static void moe_params(const struct mlsim_workload_spec *sp, int tp, int etp, int ep, int first,
                       double embedding, double head, struct mlsim_workload *w)
{
    w->params = embedding + head;
    w->expert_params = 0;
    for (int i = 0; i < w->n_layers; i++) {
        w->layer_params[i] = mlsim_moe_layer_params(&sp->model, tp, etp, ep, first + i);
        w->params += w->layer_params[i];
        w->expert_params += mlsim_moe_layer_expert_params(&sp->model, etp, ep, first + i);
    }
    w->layer_params[0] += embedding;
    w->layer_params[w->n_layers - 1] += head;
}

/* What a MoE layer keeps for its backward pass beyond a dense layer of Korthikanti et al.'s
 * count, whose MLP keeps 16 s b h / t (the fc1 output and the activation's, 4h wide at 2 bytes;
 * its input and dropout mask are among the 10 replicated): the router's fp32 probabilities
 * (4 t E), and for the routed tokens their permuted input (2 h), the experts' fc1 output and
 * activation output (2 (efn + ef)), and the shared experts' (2 (sfn + sf)) on every token. */
static double moe_act_delta(const struct tshape *x)
{
    double sfn = x->m->gated_mlp ? 2.0 * x->sf : x->sf;
    double kept = 4.0 * x->t * x->experts + x->routed_tokens * x->e * (x->h + x->efn + x->ef) +
                  x->t * x->e * (sfn + x->sf);
    return kept - 16.0 * x->t * x->h / x->tp;
}

/* Korthikanti et al. 2022, Eqs. 1-2 and Table 2, per layer of shape X and rank: without
 * recomputation s b h (10 + 24/t + 5 a s / (h t)), with sequence parallelism s b h (34 + 5 a s /
 * h) / t; selective recomputation (or flash attention) drops the 5 a s / h term; full
 * recomputation keeps the layer input, 2 s b h (/ t with sequence parallelism). Of the replicated
 * 10 (Sec. 4.1: two norms' inputs 2 + 2, the QKV and fc1 inputs 2 + 2, two dropout masks 1 + 1), a
 * parallel block keeps one norm's input, one input shared by QKV and fc1 and one mask: 5, so 29 of
 * the 34 with sequence parallelism. SPLIT is the 24 (or what stands for it). */
static double layer_act_bytes(const struct mlsim_workload_spec *sp, const struct tshape *x,
                              double split)
{
    double sbh = x->s * x->b * x->h, t = x->tp, as_h = 5.0 * sp->model.heads * x->s_kv / x->h;
    double kept = sp->model.parallel_block ? 5.0 : 10.0;
    int no_scores =
        sp->recompute == MLSIM_RECOMPUTE_SELECTIVE || MLSIM_ATTENTION_IS_FUSED(sp->attention);
    if (sp->recompute == MLSIM_RECOMPUTE_FULL)
        return x->sp ? 2.0 * sbh / t : 2.0 * sbh;
    if (x->sp)
        return sbh * (kept + split + (no_scores ? 0.0 : as_h)) / t;
    return sbh * (kept + split / t + (no_scores ? 0.0 : as_h / t));
}

/* The 24 split of a layer of M: 8 for the attention's Q, K, V and output-projection input (2 + 2 +
 * 2 + 2, Sec. 4.1), at heads x head_dim over hidden where head_dim is given; 16 for the MLP's fc1
 * and activation outputs (8 + 8 at 4h). An encoder-decoder (new to mlsim, so no output it changes)
 * counts the MLP at its own widths, 2 (fc1 columns + ffn) / h: T5-11B's 65,536 is 64 h. */
static double split_of(const struct mlsim_model_spec *m, double head_dim)
{
    double h = m->hidden, r = m->heads * head_dim / h;
    if (mlsim_model_is_encoder_decoder(m)) {
        double f = m->ffn > 0 ? m->ffn : 4.0 * h, fn = m->gated_mlp ? 2.0 * f : f;
        return 8.0 * r + 2.0 * (fn + f) / h;
    }
    return m->head_dim > 0 ? 16.0 + 8.0 * r : 24.0;
}

/* What a decoder layer's cross-attention keeps, counted as Sec. 4.1 counts a self-attention: its
 * norm's input, the queries' input and a dropout mask (2 + 2 + 1 s_d b h, replicated), the queries
 * and the projection's input (2 + 2 s_d b h, at the heads' width), the keys and values over the
 * encoder's tokens (2 + 2 s_e b h, at that width), and the softmax output, mask and dropout output
 * of its scores (5 a s_d s_e b). The encoder output the keys and values come from is kept once per
 * stage (mlsim_workload_encoder_output_bytes). Full recomputation keeps the layer's input only. */
static double cross_act_bytes(const struct mlsim_workload_spec *sp, const struct stacks *st)
{
    if (sp->recompute == MLSIM_RECOMPUTE_FULL)
        return 0.0;
    const struct tshape *d = &st->dec, *e = &st->enc;
    double r = sp->model.heads * d->d / d->h, t = d->tp;
    double sdbh = d->s * d->b * d->h, sebh = e->s * e->b * e->h;
    int no_scores =
        sp->recompute == MLSIM_RECOMPUTE_SELECTIVE || MLSIM_ATTENTION_IS_FUSED(sp->attention);
    double split = 4.0 * r * sdbh + 4.0 * r * sebh +
                   (no_scores ? 0.0 : 5.0 * sp->model.heads * d->s * e->s * d->b);
    return d->sp ? (5.0 * sdbh + split) / t : 5.0 * sdbh + split / t;
}

double mlsim_workload_encoder_output_bytes(const struct mlsim_workload_spec *sp)
{
    if (!mlsim_model_is_encoder_decoder(&sp->model))
        return 0.0;
    double tp = sp->tp > 1 ? sp->tp : 1,
           sebh = (double)sp->micro_batch * sp->model.seq_len * sp->model.hidden;
    return sp->sequence_parallel && tp > 1 ? 2.0 * sebh / tp : 2.0 * sebh;
}

double mlsim_workload_send_scale(const struct mlsim_model_spec *m, int first, int count)
{
    if (mlsim_model_decoder_layers_in(m, first, count) <= 0 || m->seq_len <= 0)
        return 1.0;
    return ((double)m->seq_len + mlsim_model_decoder_seq_len(m)) / m->seq_len;
}

/* An encoder-decoder's options mlsim does not model beside it: refused (the scenario's resolve
 * says which, at its place). */
static int encdec_ok(const struct mlsim_workload_spec *sp)
{
    const struct mlsim_model_spec *m = &sp->model;
    if (!mlsim_model_is_encoder_decoder(m))
        return 1;
    return m->encoder_layers < m->layers && m->decoder_seq_len >= 0 && m->experts <= 0 &&
           m->kv_lora_rank <= 0 && !m->parallel_block && m->window <= 0 && sp->cp <= 1;
}

static enum mlsim_status build_transformer(const struct mlsim_workload_spec *sp,
                                           struct mlsim_workload *w, struct list *fwd,
                                           struct list *bwd)
{
    int tp = sp->tp > 0 ? sp->tp : 1;
    int first = sp->n_layers > 0 ? sp->first_layer : 0;
    int count = sp->n_layers > 0 ? sp->n_layers : sp->model.layers;
    int embed = sp->n_layers > 0 ? sp->with_embedding : 1;
    int head = sp->n_layers > 0 ? sp->with_head : 1;
    int kv = sp->model.kv_heads > 0 ? sp->model.kv_heads : sp->model.heads;
    double ffn = sp->model.ffn > 0 ? sp->model.ffn : 4.0 * sp->model.hidden;
    if (sp->model.layers <= 0 || sp->model.hidden <= 0 || sp->model.heads <= 0 ||
        (sp->model.head_dim <= 0 && sp->model.hidden % sp->model.heads != 0) ||
        sp->model.seq_len <= 0 || sp->model.vocab <= 0 || sp->micro_batch <= 0 ||
        sp->model.heads % kv != 0 || sp->model.heads % tp != 0 || (kv % tp != 0 && tp % kv != 0) ||
        (int)ffn % tp != 0 || first < 0 || count <= 0 || first + count > sp->model.layers)
        return MLSIM_ERR_INPUT;
    if (sp->model.kv_lora_rank > 0 &&
        (sp->model.v_dim <= 0 || sp->model.qk_nope_dim + sp->model.qk_rope_dim <= 0))
        return MLSIM_ERR_INPUT;
    int ep = sp->ep > 0 ? sp->ep : 1, etp = sp->etp > 0 ? sp->etp : tp;
    if (sp->model.experts > 0 && (sp->model.experts % ep != 0 || tp % etp != 0 ||
                                  (long long)mlsim_moe_expert_ffn(&sp->model) % etp != 0))
        return MLSIM_ERR_INPUT;
    if ((sp->model.experts <= 0 && ep != 1) || !encdec_ok(sp))
        return MLSIM_ERR_INPUT;
    if ((size_t)count > MLSIM_SIM_MAX_TASKS) /* a kernel a layer at least: refuse before calloc */
        return MLSIM_ERR_RANGE;
    struct stacks st = stacks_of(sp);
    const struct tshape x = st.enc;
    const struct tshape *xo = &st.dec; /* the head's tokens: the decoder's (x's without one) */
    int flash = MLSIM_ATTENTION_IS_FUSED(sp->attention);
    double th = x.t_seq * x.h, tho = xo->t_seq * xo->h;
    int n_dec = mlsim_model_decoder_layers_in(&sp->model, first, count);
    w->n_layers = count;
    w->layer_params = calloc((size_t)count, sizeof *w->layer_params);
    if (!w->layer_params)
        return MLSIM_ERR_NOMEM;
    /* This rank's parameters, counted as model.c counts the whole model: the split weights and
     * biases and the (replicated) norms; the embedding on the first stage, the head's own matrix
     * (when not tied) on the last. */
    double per_layer = mlsim_model_layer_params(&sp->model, tp);
    double cross = mlsim_model_cross_params(&sp->model, tp); /* a decoder layer's more */
    double embedding = embed ? mlsim_model_embedding_params(&sp->model, tp) : 0.0;
    double head_params = head ? mlsim_model_head_params(&sp->model, tp) : 0.0;
    for (int i = 0; i < count; i++)
        w->layer_params[i] = per_layer + (first + i >= st.first_dec ? cross : 0.0);
    w->layer_params[0] += embedding;
    w->layer_params[count - 1] += head_params;
    w->params = per_layer * count + embedding + head_params + n_dec * cross;
    if (sp->model.experts > 0) /* a mixture of experts: layers differ (moe.h) */
        moe_params(sp, tp, etp, ep, first, embedding, head_params, w);

    if (embed) {
        /* a vocabulary-parallel embedding sums its ranks' partial lookups (Megatron-LM) */
        push(fwd, memk("embedding", MLSIM_PHASE_FWD, -1, 3.0 * th * x.e));
        tp_leave(fwd, &x, MLSIM_PHASE_FWD, -1);
    }
    for (int i = 0; i < count; i++) {
        if (st.encdec && first + i == st.first_dec)
            decoder_entry_fwd(fwd, &st, first + i);
        any_layer_fwd(fwd, &st, sp->model.parallel_block, flash, MLSIM_PHASE_FWD, first + i);
    }
    if (head) {
        push(fwd, memk("ln_f", MLSIM_PHASE_FWD, -1, 2.0 * tho * x.e));
        tp_enter(fwd, xo, MLSIM_PHASE_FWD, -1);
        gemm_fwd(fwd, &n_logits, MLSIM_PHASE_FWD, -1, xo->t, x.v, x.h, 1, &x.el);
        /* Megatron-LM's vocabulary-parallel cross-entropy on fp32 logits, pass by pass: the cast
         * (e + 4), the maximum (4), its subtraction (8), exp (8), the sum (4) and the division
         * that leaves the softmax for the backward (8); the backward scales it in place (8) and
         * casts the gradient back (4 + e). */
        push(fwd, memk("softmax.cross_entropy", MLSIM_PHASE_FWD, -1, xo->t * x.v * (x.e + 36.0)));
        push(bwd,
             memk("softmax.cross_entropy.bwd", MLSIM_PHASE_BWD, -1, xo->t * x.v * (x.e + 12.0)));
        gemm_bwd(bwd, &n_logits, -1, xo->t, x.v, x.h, 1, &x.el, 1);
        tp_leave(bwd, xo, MLSIM_PHASE_BWD, -1);
        push(bwd, memk("ln_f.bwd", MLSIM_PHASE_BWD, -1, 3.0 * tho * x.e));
    }
    for (int i = count - 1; i >= 0; i--) {
        if (sp->recompute == MLSIM_RECOMPUTE_FULL)
            any_layer_fwd(bwd, &st, sp->model.parallel_block, flash, MLSIM_PHASE_RECOMPUTE,
                          first + i);
        else if (sp->recompute == MLSIM_RECOMPUTE_SELECTIVE && !flash)
            any_core_recompute(bwd, &st, first + i);
        any_layer_bwd(bwd, &st, sp->model.parallel_block, flash, first + i);
        if (st.encdec && first + i == st.first_dec)
            decoder_entry_bwd(bwd, &st, first + i);
    }
    if (embed)
        push(bwd, memk("embedding.bwd", MLSIM_PHASE_BWD, -1, 2.0 * th * x.e));

    /* activations: each layer's (layer_act_bytes, cross_act_bytes), the encoder's output once on
     * a stage of decoder layers, and the fp32 logits */
    double split = split_of(&sp->model, x.d);
    w->act_bytes_per_micro =
        layer_act_bytes(sp, &x, split) * (count - n_dec) + (head ? 4.0 * xo->t * x.v : 0.0);
    if (n_dec > 0)
        w->act_bytes_per_micro +=
            (layer_act_bytes(sp, xo, split) + cross_act_bytes(sp, &st)) * n_dec +
            mlsim_workload_encoder_output_bytes(sp);
    int n_moe = mlsim_moe_count_layers(&sp->model, first, count);
    if (n_moe > 0 && sp->recompute != MLSIM_RECOMPUTE_FULL)
        w->act_bytes_per_micro += n_moe * moe_act_delta(&x);
    /* int32 token ids: the inputs', and an encoder-decoder's targets' */
    w->input_bytes_per_micro = embed ? (x.t + (st.encdec ? xo->t : 0.0)) * 4.0 : 0.0;
    double model =
        sum_flops(fwd->k, fwd->n, MLSIM_PHASE_FWD) + sum_flops(bwd->k, bwd->n, MLSIM_PHASE_BWD);
    double redo = (count - n_dec) * flash_recompute_flops(&x) +
                  n_dec * (flash_recompute_flops(xo) + flash_recompute_flops(&st.cross));
    w->model_flops_per_micro = flash ? model - redo : model;
    /* the busiest rank's extra tokens are not the model's work: the mean rank's count */
    double load = mlsim_moe_load(&sp->model);
    if (n_moe > 0 && load > 1.0)
        w->model_flops_per_micro -=
            n_moe * 6.0 * x.routed_tokens * x.h * (x.efn + x.ef) * (1.0 - 1.0 / load);
    return MLSIM_OK;
}

static enum mlsim_status build_mlp(const struct mlsim_workload_spec *sp, struct mlsim_workload *w,
                                   struct list *fwd, struct list *bwd)
{
    int nl = sp->model.n_widths - 1;
    if (nl < 1 || sp->micro_batch <= 0)
        return MLSIM_ERR_INPUT;
    for (int i = 0; i < sp->model.n_widths; i++) {
        if (sp->model.widths[i] <= 0)
            return MLSIM_ERR_INPUT;
    }
    double b = sp->micro_batch, e = sp->elem_bytes;
    struct elems el = elems_of(sp);
    w->n_layers = nl;
    w->layer_params = calloc((size_t)nl, sizeof *w->layer_params);
    if (!w->layer_params)
        return MLSIM_ERR_NOMEM;
    w->params = 0;
    double act = 0;
    for (int i = 0; i < nl; i++) {
        double in = sp->model.widths[i], out = sp->model.widths[i + 1];
        w->layer_params[i] = in * out + out;
        w->params += w->layer_params[i];
        gemm_fwd(fwd, &n_dense, MLSIM_PHASE_FWD, i, b, out, in, 1, &el);
        int last = i == nl - 1;
        push(fwd, memk(last ? "bias.softmax.loss" : "bias.relu.dropout", MLSIM_PHASE_FWD, i,
                       b * out * (last ? 4.0 * e : 2.0 * e + 1.0)));
        act += b * in * e + (last ? b * out * 4.0 : b * out * (e + 1.0));
    }
    for (int i = nl - 1; i >= 0; i--) {
        double in = sp->model.widths[i], out = sp->model.widths[i + 1];
        int last = i == nl - 1;
        push(bwd, memk(last ? "softmax.loss.bwd" : "relu.dropout.bwd", MLSIM_PHASE_BWD, i,
                       b * out * (last ? 2.0 * e : 3.0 * e + 1.0)));
        gemm_bwd(bwd, &n_dense, i, b, out, in, 1, &el, i > 0);
        push(bwd, memk("bias.grad", MLSIM_PHASE_BWD, i, b * out * e));
    }
    w->act_bytes_per_micro = act;
    w->input_bytes_per_micro =
        b * (sp->model.widths[0] * 4.0 + 4.0); /* fp32 features and a label */
    w->model_flops_per_micro = sum_flops(fwd->k, fwd->n, -1) + sum_flops(bwd->k, bwd->n, -1);
    return MLSIM_OK;
}

enum mlsim_status mlsim_workload_build(const struct mlsim_workload_spec *sp,
                                       struct mlsim_workload *w)
{
    struct list fwd = {0}, bwd = {0}, opt = {0};
    memset(w, 0, sizeof *w);
    if (sp->elem_bytes <= 0)
        return MLSIM_ERR_INPUT;
    enum mlsim_status st = sp->model.type == MLSIM_MODEL_MLP ? build_mlp(sp, w, &fwd, &bwd)
                                                             : build_transformer(sp, w, &fwd, &bwd);
    if (st == MLSIM_OK) {
        struct mlsim_kernel k = memk("optimizer", MLSIM_PHASE_OPT, -1,
                                     w->params * update_bytes(sp->optimizer, sp->elem_bytes));
        k.kind = MLSIM_KERNEL_OPTIMIZER;
        push(&opt, k);
        st = fwd.st != MLSIM_OK ? fwd.st : bwd.st != MLSIM_OK ? bwd.st : opt.st;
    }
    w->fwd = fwd.k;
    w->n_fwd = fwd.n;
    w->bwd = bwd.k;
    w->n_bwd = bwd.n;
    w->opt = opt.k;
    w->n_opt = opt.n;
    if (st != MLSIM_OK) {
        mlsim_workload_release(w);
        return st;
    }
    w->hw_flops_per_micro = sum_flops(w->fwd, w->n_fwd, -1) + sum_flops(w->bwd, w->n_bwd, -1);
    w->state_bytes_per_param = state_bytes(sp->optimizer, sp->elem_bytes);
    return MLSIM_OK;
}

void mlsim_workload_release(struct mlsim_workload *w)
{
    free(w->fwd);
    free(w->bwd);
    free(w->opt);
    free(w->layer_params);
    memset(w, 0, sizeof *w);
}
