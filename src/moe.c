/*
 * Mixture-of-experts arithmetic (moe.h). A MoE layer's MLP is a router, the shared experts every
 * token passes and the routed experts a token is sent to; expert parallelism holds experts / ep
 * of the routed ones on each rank, and expert-tensor parallelism (Megatron-core's
 * expert_tensor_parallel_size, by default tp) splits each expert's FFN as tp splits a dense MLP.
 */
#include "mlsim/moe.h"

#include <stdint.h>

int mlsim_moe_is_moe_layer(const struct mlsim_model_spec *m, int layer)
{
    if (m->experts <= 0 || layer < m->dense_layers)
        return 0;
    int every = m->moe_every > 0 ? m->moe_every : 1;
    return (layer - m->dense_layers) % every == 0;
}

/* Counted, not looped: a scenario may give a billion layers, and this is asked per layout. */
int mlsim_moe_count_layers(const struct mlsim_model_spec *m, int first, int count)
{
    if (m->experts <= 0 || count <= 0)
        return 0;
    int64_t every = m->moe_every > 0 ? m->moe_every : 1,
            d = m->dense_layers > 0 ? m->dense_layers : 0;
    int64_t lo = first > d ? first : d, hi = (int64_t)first + count;
    if (lo >= hi)
        return 0;
    int64_t k0 = d + (lo - d + every - 1) / every * every; /* the first MoE layer from lo */
    return k0 < hi ? (int)((hi - 1 - k0) / every + 1) : 0;
}

int mlsim_moe_first_layer(const struct mlsim_model_spec *m, int moe)
{
    int d = m->dense_layers > 0 ? m->dense_layers : 0, every = m->moe_every > 0 ? m->moe_every : 1;
    if (moe)
        return m->experts > 0 && d < m->layers ? d : -1;
    if (m->experts <= 0 || d > 0)
        return m->layers > 0 ? 0 : -1;
    return every > 1 && m->layers > 1 ? 1 : -1; /* layer 0 routes: the next is dense if any */
}

int mlsim_moe_top_k(const struct mlsim_model_spec *m)
{
    int k = m->top_k > 0 ? m->top_k : 1;
    return m->experts > 0 && k > m->experts ? m->experts : k;
}

double mlsim_moe_expert_ffn(const struct mlsim_model_spec *m)
{
    return m->expert_ffn > 0 ? m->expert_ffn : m->ffn > 0 ? m->ffn : 4.0 * m->hidden;
}

double mlsim_moe_load(const struct mlsim_model_spec *m)
{
    double load = m->load_imbalance >= 1.0 ? m->load_imbalance : 1.0;
    return m->capacity_factor > 0 && m->capacity_factor < load ? m->capacity_factor : load;
}

/* The norms of one layer: a weight vector each, and a bias with LayerNorm; one in a parallel
 * block. */
static double norms(const struct mlsim_model_spec *m)
{
    return (m->parallel_block ? 1.0 : 2.0) * (m->no_biases ? 1.0 : 2.0) * m->hidden;
}

/* The router's weights: a hidden x experts linear layer without bias (Mixtral's gate, DeepSeek's
 * MoEGate, Megatron-core's TopKRouter), replicated on every rank. */
static double router(const struct mlsim_model_spec *m)
{
    return (double)m->hidden * m->experts;
}

double mlsim_moe_layer_expert_params(const struct mlsim_model_spec *m, int etp, int ep, int layer)
{
    if (!mlsim_moe_is_moe_layer(m, layer))
        return 0.0;
    double e = ep > 0 ? ep : 1;
    return (double)m->experts / e * mlsim_model_mlp_params(m, mlsim_moe_expert_ffn(m), etp);
}

double mlsim_moe_layer_params(const struct mlsim_model_spec *m, int tp, int etp, int ep, int layer)
{
    if (!mlsim_moe_is_moe_layer(m, layer))
        return mlsim_model_layer_params(m, tp);
    double shared = m->shared_experts * mlsim_model_mlp_params(m, mlsim_moe_expert_ffn(m), tp);
    return mlsim_model_attention_params(m, tp) + norms(m) + router(m) + shared +
           mlsim_moe_layer_expert_params(m, etp, ep, layer);
}

double mlsim_moe_layer_active_params(const struct mlsim_model_spec *m, int layer)
{
    if (!mlsim_moe_is_moe_layer(m, layer))
        return mlsim_model_layer_params(m, 1);
    double one = mlsim_model_mlp_params(m, mlsim_moe_expert_ffn(m), 1);
    return mlsim_moe_layer_params(m, 1, 1, 1, layer) -
           mlsim_moe_layer_expert_params(m, 1, 1, layer) + mlsim_moe_top_k(m) * one;
}
