/*
 * The model's shape and parameter count. Counts follow the models' own definitions: per layer the
 * Q, K, V and output projections (K and V of kv_heads x head width), the MLP's two matrices (three
 * when gated), their biases when the model has them, and two norms; then the token embedding, a
 * learned position table if any, the final norm, and the head's matrix when it is not tied. An
 * encoder-decoder's decoder layers add a cross-attention and its norm (and the stacks a final norm
 * and a relative-bias table each). Checked by hand against published configs in
 * tests/unit/test_model.c and tests/unit/test_t5.c.
 */
#include "mlsim/model.h"

#include <math.h>
#include <string.h>

#include "mlsim/moe.h"
#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/units.h"
#include "mlsim/workload.h"

/* Multi-head latent attention (DeepSeek-V2, Sec. 2.1.2-2.1.3; the released modeling_deepseek.py):
 * queries through a down-projection (q_a_proj, h x q_lora, its norm) and an up-projection
 * (q_b_proj, to heads x (nope + rope)), or directly (q_proj) without q_lora; keys and values
 * through one down-projection (kv_a_proj_with_mqa, h x (kv_lora + rope): the shared rotary key
 * rides along), its norm, and an up-projection (kv_b_proj, kv_lora x heads x (nope + v)); the
 * output from heads x v. The up-projections and the output split over TP ranks by heads; the
 * down-projections and their norms are replicated (Megatron-core's MLASelfAttention). */
static double mla_params(const struct mlsim_model_spec *m, double t)
{
    double h = m->hidden, heads = m->heads > 0 ? m->heads : 1.0, hr = heads / t;
    double qk = (double)m->qk_nope_dim + m->qk_rope_dim, kvl = m->kv_lora_rank;
    double q = m->q_lora_rank > 0 ? h * m->q_lora_rank + m->q_lora_rank + m->q_lora_rank * hr * qk
                                  : h * hr * qk;
    double kv = h * (kvl + m->qk_rope_dim) + kvl + kvl * hr * ((double)m->qk_nope_dim + m->v_dim);
    double b = m->no_biases ? 0.0 : h;
    return q + kv + hr * m->v_dim * h + b;
}

double mlsim_model_head_dim(const struct mlsim_model_spec *m)
{
    if (m->head_dim > 0)
        return m->head_dim;
    return (double)m->hidden / (m->heads > 0 ? m->heads : 1.0);
}

double mlsim_model_attention_params(const struct mlsim_model_spec *m, int tp)
{
    double t = tp > 0 ? tp : 1;
    if (m->kv_lora_rank > 0)
        return mla_params(m, t);
    double heads = m->heads > 0 ? m->heads : 1.0;
    double h = m->hidden, d = mlsim_model_head_dim(m);
    double kv = m->kv_heads > 0 && m->heads > 0 ? m->kv_heads : heads;
    double hr = heads / t * d, kvd = (kv >= t ? kv / t : 1.0) * d, qkv = hr + 2.0 * kvd;
    double b = m->no_biases ? 0.0 : 1.0;
    return (h * qkv + b * qkv) + (hr * h + b * h);
}

int mlsim_model_is_encoder_decoder(const struct mlsim_model_spec *m)
{
    return m->type == MLSIM_MODEL_TRANSFORMER && m->encoder_layers > 0;
}

int mlsim_model_decoder_seq_len(const struct mlsim_model_spec *m)
{
    return m->decoder_seq_len > 0 ? m->decoder_seq_len : m->seq_len;
}

int mlsim_model_decoder_layers_in(const struct mlsim_model_spec *m, int first, int count)
{
    if (!mlsim_model_is_encoder_decoder(m))
        return 0;
    int lo = first > m->encoder_layers ? first : m->encoder_layers, hi = first + count;
    return hi > lo ? hi - lo : 0;
}

double mlsim_model_cross_params(const struct mlsim_model_spec *m, int tp)
{
    if (!mlsim_model_is_encoder_decoder(m))
        return 0.0;
    return mlsim_model_attention_params(m, tp) + (m->no_biases ? 1.0 : 2.0) * m->hidden;
}

double mlsim_model_mlp_params(const struct mlsim_model_spec *m, double width, int tp)
{
    double t = tp > 0 ? tp : 1, h = m->hidden, f = width / t;
    double fn = m->gated_mlp ? 2.0 * f : f, b = m->no_biases ? 0.0 : 1.0;
    return (h * fn + b * fn) + (f * h + b * h);
}

double mlsim_model_layer_params(const struct mlsim_model_spec *m, int tp)
{
    double t = tp > 0 ? tp : 1;
    if (m->kv_lora_rank > 0) /* latent attention; the sum below is the dense layer's own */
        return mlsim_model_attention_params(m, tp) +
               mlsim_model_mlp_params(m, m->ffn > 0 ? m->ffn : 4.0 * m->hidden, tp) +
               (m->parallel_block ? 1.0 : 2.0) * (m->no_biases ? 1.0 : 2.0) * m->hidden;
    /* an analytic run may give a shape without heads: its attention is counted as multi-head */
    double heads = m->heads > 0 ? m->heads : 1.0;
    double h = m->hidden, d = mlsim_model_head_dim(m);
    double kv = m->kv_heads > 0 && m->heads > 0 ? m->kv_heads : heads;
    double hr = heads / t * d;                 /* this rank's query (and output) width */
    double kvd = (kv >= t ? kv / t : 1.0) * d; /* this rank's K (and V): replicated below tp */
    double qkv = hr + 2.0 * kvd;               /* Q, K and V columns */
    double f = (m->ffn > 0 ? m->ffn : 4.0 * h) / t;
    double fn = m->gated_mlp ? 2.0 * f : f; /* fc1's columns: gate and up when gated */
    double b = m->no_biases ? 0.0 : 1.0;
    double norm = m->no_biases ? h : 2.0 * h;     /* a weight, and a bias with LayerNorm */
    double norms = m->parallel_block ? 1.0 : 2.0; /* a parallel block shares one */
    return (h * qkv + b * qkv) + (hr * h + b * h) + (h * fn + b * fn) + (f * h + b * h) +
           norms * norm;
}

double mlsim_model_embedding_params(const struct mlsim_model_spec *m, int tp)
{
    double t = tp > 0 ? tp : 1;
    double positions = m->position == MLSIM_POSITION_LEARNED ? (double)m->seq_len : 0.0;
    double table = ((double)m->vocab / t + positions / t) * m->hidden;
    if (m->position != MLSIM_POSITION_RELATIVE)
        return table;
    double heads = m->heads > 0 ? m->heads : 1.0; /* split by heads over TP ranks */
    return table + (mlsim_model_is_encoder_decoder(m) ? 2.0 : 1.0) * MLSIM_MODEL_RELATIVE_BUCKETS *
                       heads / t;
}

double mlsim_model_head_params(const struct mlsim_model_spec *m, int tp)
{
    double t = tp > 0 ? tp : 1;
    double norm = m->no_biases ? (double)m->hidden : 2.0 * m->hidden; /* replicated */
    double norms = mlsim_model_is_encoder_decoder(m) ? 2.0 : 1.0;
    return norms * norm + (m->untied_embeddings ? (double)m->vocab / t * m->hidden : 0.0);
}

double mlsim_model_params(const struct mlsim_model_spec *m)
{
    if (m->type == MLSIM_MODEL_MLP) {
        double p = 0;
        for (int i = 0; i + 1 < m->n_widths; i++)
            p += (double)m->widths[i] * m->widths[i + 1] + m->widths[i + 1];
        return p;
    }
    if (m->experts > 0) { /* the MoE layers alike, the dense ones alike: counted, not looped */
        double n_moe = mlsim_moe_count_layers(m, 0, m->layers), moe = 0;
        if (n_moe > 0)
            moe = mlsim_moe_layer_params(m, 1, 1, 1, mlsim_moe_first_layer(m, 1));
        return mlsim_model_embedding_params(m, 1) + mlsim_model_head_params(m, 1) + n_moe * moe +
               (m->layers - n_moe) * mlsim_model_layer_params(m, 1);
    }
    double cross = mlsim_model_decoder_layers_in(m, 0, m->layers) * mlsim_model_cross_params(m, 1);
    return m->layers * mlsim_model_layer_params(m, 1) + mlsim_model_embedding_params(m, 1) +
           mlsim_model_head_params(m, 1) + cross;
}

double mlsim_model_active_params(const struct mlsim_model_spec *m)
{
    if (m->type != MLSIM_MODEL_TRANSFORMER || m->experts <= 0)
        return m->params;
    /* a count given without a shape has no experts to leave out */
    if (m->layers <= 0 || m->hidden <= 0)
        return m->params;
    double n_moe = mlsim_moe_count_layers(m, 0, m->layers), moe = 0;
    if (n_moe > 0)
        moe = mlsim_moe_layer_active_params(m, mlsim_moe_first_layer(m, 1));
    return mlsim_model_embedding_params(m, 1) + mlsim_model_head_params(m, 1) + n_moe * moe +
           (m->layers - n_moe) * mlsim_model_layer_params(m, 1);
}

void mlsim_model_derive_shape(double params, struct mlsim_model_spec *m)
{
    /* Layers near (N / (12 x 128^2))^(1/3) in steps of 8, widths in steps of 1024 (8 heads of 128,
     * so tensor parallelism of 8 divides them): the pair whose 12 l h^2 is nearest N. */
    double l0 = cbrt(params / (12.0 * 128.0 * 128.0));
    double best_err = INFINITY, best_l = 8, best_h = 1024;
    for (int k = -2; k <= 2; k++) {
        double l = 8.0 * (floor(l0 / 8.0 + 0.5) + k);
        if (l < 8)
            continue;
        double h = 1024.0 * floor(sqrt(params / (12.0 * l)) / 1024.0 + 0.5);
        if (h < 1024)
            h = 1024;
        double err = fabs(12.0 * l * h * h - params);
        if (err < best_err) {
            best_err = err;
            best_l = l;
            best_h = h;
        }
    }
    m->layers = (int)best_l;
    m->hidden = (int)best_h;
    m->heads = (int)(best_h / 128.0);
    m->seq_len = 2048;
    m->vocab = 51200;
}

/* The training recipe's stored element size (precision.h): 16-bit, fp8 and int8 recipes keep bf16
 * activations and weights. */
double mlsim_precision_elem_bytes(int precision)
{
    return mlsim_precision_recipe(precision)->act_bytes;
}

void mlsim_model_workload_spec(const struct mlsim_run *r, int micro_batch, int recompute,
                               struct mlsim_workload_spec *s)
{
    memset(s, 0, sizeof *s);
    s->model = r->model;
    s->tp = r->training.tp > 0 ? r->training.tp : 1;
    s->sequence_parallel = r->training.sequence_parallel;
    s->ep = r->training.ep > 0 ? r->training.ep : 1;
    s->etp = r->training.etp > 0 ? r->training.etp : s->tp;
    s->overlap_ep = r->training.overlap_ep;
    s->overlap_tp = r->training.overlap_tp;
    s->micro_batch = micro_batch;
    s->recompute = recompute;
    s->attention = r->training.attention;
    s->optimizer = r->training.optimizer;
    const struct mlsim_precision_type *recipe = mlsim_precision_recipe(r->precision);
    /* inference runs at the named precision throughout, on its served element size */
    int serve = r->mode == MLSIM_MODE_INFERENCE;
    s->elem_bytes = serve ? recipe->serve_bytes : recipe->act_bytes;
    s->recipe = serve ? NULL : recipe;
}

void mlsim_model_assumptions(const struct mlsim_model_spec *m, struct mlsim_assumptions *a)
{
    char n[64];
    int kv = m->kv_heads > 0 ? m->kv_heads : m->heads;
    int ffn = m->ffn > 0 ? m->ffn : 4 * m->hidden;
    mlsim_assume(a,
                 "Parameters %s counted from the transformer shape: %d layers of %d, %d of %d "
                 "heads for keys and values, %s MLP of %d%s, %s, %s head, %s positions",
                 mlsim_units_format(m->params, MLSIM_DIM_COUNT, n, sizeof n), m->layers, m->hidden,
                 kv, m->heads, m->gated_mlp ? "a gated" : "an", ffn,
                 m->parallel_block ? " beside the attention (parallel blocks)" : "",
                 m->no_biases ? "no biases" : "biases",
                 m->untied_embeddings ? "an untied" : "a tied", mlsim_position_names[m->position]);
    if (m->head_dim > 0 && m->kv_lora_rank <= 0)
        mlsim_assume(a,
                     "Attention heads of %d (model.head_dim), not hidden / heads: Q, K, V and "
                     "the output projection are %d x %d",
                     m->head_dim, m->hidden, m->heads * m->head_dim);
    if (mlsim_model_is_encoder_decoder(m))
        mlsim_assume(a,
                     "Encoder-decoder: %d encoder layers over %d input tokens, %d decoder layers "
                     "over %d targets, each with cross-attention (queries from the targets, keys "
                     "and values projected from the encoder's output, %d x %d scores); the "
                     "run's tokens are its inputs, %d a sequence, as Raffel et al. 2020 count "
                     "them; analytic mode's 6 N D would put every parameter on every input",
                     m->encoder_layers, m->seq_len, m->layers - m->encoder_layers,
                     mlsim_model_decoder_seq_len(m), mlsim_model_decoder_seq_len(m), m->seq_len,
                     m->seq_len);
    if (m->kv_lora_rank > 0)
        mlsim_assume(
            a,
            "Multi-head latent attention (DeepSeek-V2): queries %s %d, keys and values "
            "compressed to %d, heads of %d + %d rotary for queries and keys, %d for values",
            m->q_lora_rank > 0 ? "through a rank of" : "projected directly, rank", m->q_lora_rank,
            m->kv_lora_rank, m->qk_nope_dim, m->qk_rope_dim, m->v_dim);
    if (m->experts <= 0)
        return;
    char act[64];
    double load = mlsim_moe_load(m);
    mlsim_assume(
        a,
        "Mixture of experts on %d of %d layers (the first %d dense, then every %d): %d "
        "routed experts of FFN %.0f, top-%d, %d shared; %s of the parameters are active "
        "per token, and the 6 N D FLOPs and MFU count those",
        mlsim_moe_count_layers(m, 0, m->layers), m->layers, m->dense_layers,
        m->moe_every > 0 ? m->moe_every : 1, m->experts, mlsim_moe_expert_ffn(m),
        mlsim_moe_top_k(m), m->shared_experts,
        mlsim_units_format(mlsim_model_active_params(m), MLSIM_DIM_COUNT, act, sizeof act));
    mlsim_assume(a, "The busiest expert takes %.2f x the mean tokens (load imbalance %.2f%s); %s",
                 load, m->load_imbalance >= 1 ? m->load_imbalance : 1.0,
                 m->capacity_factor > 0 ? ", cut to the capacity factor" : "",
                 m->capacity_factor > 0 ? "tokens past an expert's capacity are dropped"
                                        : "dropless routing");
}
