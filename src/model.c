/*
 * The model's shape and parameter count. Counts follow the models' own definitions: per layer the
 * Q, K, V and output projections (K and V of kv_heads x head width), the MLP's two matrices (three
 * when gated), their biases when the model has them, and two norms; then the token embedding, a
 * learned position table if any, the final norm, and the head's matrix when it is not tied.
 * Checked by hand against published configs in tests/unit/test_model.c.
 */
#include "mlsim/model.h"

#include <math.h>
#include <string.h>

#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/units.h"
#include "mlsim/workload.h"

double mlsim_model_layer_params(const struct mlsim_model_spec *m, int tp)
{
    double t = tp > 0 ? tp : 1;
    /* an analytic run may give a shape without heads: its attention is counted as multi-head */
    double heads = m->heads > 0 ? m->heads : 1.0;
    double h = m->hidden, d = h / heads;
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
    return ((double)m->vocab / t + positions / t) * m->hidden;
}

double mlsim_model_head_params(const struct mlsim_model_spec *m, int tp)
{
    double t = tp > 0 ? tp : 1;
    double norm = m->no_biases ? (double)m->hidden : 2.0 * m->hidden; /* replicated */
    return norm + (m->untied_embeddings ? (double)m->vocab / t * m->hidden : 0.0);
}

double mlsim_model_params(const struct mlsim_model_spec *m)
{
    if (m->type == MLSIM_MODEL_MLP) {
        double p = 0;
        for (int i = 0; i + 1 < m->n_widths; i++)
            p += (double)m->widths[i] * m->widths[i + 1] + m->widths[i + 1];
        return p;
    }
    return m->layers * mlsim_model_layer_params(m, 1) + mlsim_model_embedding_params(m, 1) +
           mlsim_model_head_params(m, 1);
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
}
