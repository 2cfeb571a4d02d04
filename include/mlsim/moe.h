/*
 * Mixture of experts: which layers route their tokens to experts, what each layer's experts
 * hold, what a token is computed with, and how many tokens the busiest expert rank takes. One
 * place for the arithmetic that the parameter count (model.c), the workload (workload.c), the
 * layout's memory and the closed form share. Shapes follow the models' own configs: Switch and
 * GShard (every other layer, top-1 or top-2, a capacity factor), Mixtral (every layer, 8
 * experts, top-2), DeepSeek (the first layers dense, fine-grained routed experts beside shared
 * ones). Knows the model's description only (like model.h), so the loader may count with it.
 */
#ifndef MLSIM_MOE_H
#define MLSIM_MOE_H

#include "mlsim/model.h"

/* Whether layer LAYER (0-based) of M is a mixture of experts: none without experts; else the
 * layers from dense_layers on, every moe_every-th of them (Megatron-LM's moe_layer_freq counts
 * layer i as MoE when i % freq == 0; DeepSeek's first_k_dense_replace keeps the first K dense). */
int mlsim_moe_is_moe_layer(const struct mlsim_model_spec *m, int layer);

/* The MoE layers of M among layers [FIRST, FIRST + COUNT), counted in closed form. */
int mlsim_moe_count_layers(const struct mlsim_model_spec *m, int first, int count);

/* M's first MoE layer (MOE 1) or first dense one (MOE 0), or -1 where it has none. */
int mlsim_moe_first_layer(const struct mlsim_model_spec *m, int moe);

/* M's routing with its defaults applied: experts each token goes to (top_k, 1 when unset, at
 * most the experts), one expert's FFN width (expert_ffn, else ffn, else 4 h). */
int mlsim_moe_top_k(const struct mlsim_model_spec *m);
double mlsim_moe_expert_ffn(const struct mlsim_model_spec *m);

/* The busiest expert's tokens over the mean: the load imbalance given (1 when unset), cut to the
 * capacity factor when there is one (tokens past an expert's capacity are dropped, Fedus et al.
 * 2021, Switch Transformers, Sec. 2.1; Lepikhin et al. 2020, GShard, Sec. 2.2). */
double mlsim_moe_load(const struct mlsim_model_spec *m);

/* Parameters of layer LAYER of M as one rank holds them under TP tensor, EP expert and ETP
 * expert-tensor parallelism: the attention and norms (model.h), and for a MoE layer the router
 * (hidden x experts, replicated), the shared experts (each an MLP of expert_ffn, split TP ways)
 * and experts / EP routed experts (each split ETP ways); for a dense layer its MLP. */
double mlsim_moe_layer_params(const struct mlsim_model_spec *m, int tp, int etp, int ep, int layer);

/* Of those, the routed experts' own (what expert parallelism shards and what reduces over the
 * expert-data-parallel group, layout.h); 0 for a dense layer. */
double mlsim_moe_layer_expert_params(const struct mlsim_model_spec *m, int etp, int ep, int layer);

/* Parameters one token of layer LAYER is computed with: the layer less its routed experts but
 * top_k of them. */
double mlsim_moe_layer_active_params(const struct mlsim_model_spec *m, int layer);

#endif
