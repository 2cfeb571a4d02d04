/*
 * The model, described once: its shape, its parameter count, the GPT-3 family's shape rule for
 * runs that give only a parameter count, and the workload spec a run's model becomes. The
 * parameter count here is the one the report prints, the analytic mode's 6 N D uses and the
 * workload's kernels and memory are built from (workload.c counts each rank's share with the same
 * functions), so the three cannot disagree.
 */
#ifndef MLSIM_MODEL_H
#define MLSIM_MODEL_H

#include "mlsim/vocab.h"

#define MLSIM_MODEL_MAX_WIDTHS 16

/* The model: a parameter count, or a shape it follows from. Shapes are counted as their papers and
 * configs define them: attention with KV heads (grouped-query when fewer than heads), an MLP of
 * FFN width (gated, SwiGLU-style, with three matrices instead of two), norms of one weight vector,
 * plus a bias vector when the model has biases (LayerNorm; RMSNorm has none). */
struct mlsim_model_spec {
    char name[128];
    int type;      /* enum mlsim_model_kind */
    double params; /* trainable parameters */
    double tokens; /* training tokens (samples for an MLP) */
    int layers, hidden, heads, kv_heads, ffn, seq_len, vocab;
    int gated_mlp; /* 0 no, 1 yes */
    int window;    /* sliding-window attention: keys each query attends (Mistral 7B: 4096); 0 all */
    /* the width of one head's queries, keys and values (T5's d_kv, Gemma 7B's 256 beside a model
     * of 3072 and 16 heads): Q, K, V and the output projection are hidden x heads x head_dim;
     * 0: hidden / heads, the GPT rule */
    int head_dim;
    /* An encoder-decoder (T5; Raffel et al. 2020, Sec. 3.1.1): the first encoder_layers of the
     * layers are the encoder's, bidirectional over seq_len input tokens, the rest the decoder's,
     * over decoder_seq_len target tokens, each with a cross-attention whose queries are the
     * targets and whose keys and values are projected from the encoder's output. Kept as one
     * stack of layers so that pipeline stages divide encoder and decoder layers alike. */
    int encoder_layers;  /* 0: a decoder only */
    int decoder_seq_len; /* target tokens per sequence (T5 pre-training: 114); 0: seq_len */
    /* 1: attention and MLP side by side on one norm, y = x + Attn(LN(x)) + MLP(LN(x)) (GPT-J;
     * PaLM, Chowdhery et al. 2022, Sec. 2; Falcon-7B); 0: one after the other, two norms */
    int parallel_block;
    /* Zero is GPT-3's choice for each of these, so a zeroed spec is a GPT-style decoder. */
    int no_biases;         /* 1: no biases in linear layers and norms (Llama, MPT); 0: biases */
    int untied_embeddings; /* 1: the head has its own matrix (Llama); 0: it reuses the embedding */
    int position;          /* enum mlsim_position: a learned table adds seq_len x hidden weights */
    int widths[MLSIM_MODEL_MAX_WIDTHS]; /* MLP: inputs, hidden widths..., outputs */
    int n_widths;
    /* Mixture of experts (moe.h); experts 0: every layer's MLP is dense. */
    int experts;            /* routed experts per MoE layer (Mixtral 8, DeepSeek-V3 256) */
    int top_k;              /* routed experts each token goes to; 0: 1 (Switch) */
    int shared_experts;     /* experts every token goes to (DeepSeek's n_shared_experts) */
    int expert_ffn;         /* one expert's FFN width (moe_intermediate_size); 0: ffn */
    int dense_layers;       /* the first K layers keep a dense MLP (first_k_dense_replace) */
    int moe_every;          /* after those, every Nth layer is MoE (moe_layer_freq); 0: 1 */
    double capacity_factor; /* tokens an expert takes, over the mean (GShard, Switch); 0: all */
    double load_imbalance;  /* the busiest expert's tokens over the mean (an input); 0: 1 */
    /* Multi-head latent attention (DeepSeek-V2, arXiv:2405.04434, Sec. 2.1); kv_lora_rank 0: the
     * attention is the multi-head (or grouped-query) one above. */
    int q_lora_rank;  /* the queries' low-rank width (d_c'); 0: queries projected directly */
    int kv_lora_rank; /* the compressed KV width (d_c) */
    int qk_nope_dim;  /* per head: the query/key part without rotary positions (d_h) */
    int qk_rope_dim;  /* per head: the decoupled rotary part (d_h^R), its key shared by heads */
    int v_dim;        /* per head: the value width */
};

/* The width of one attention head of M: head_dim when given, else hidden / heads (1 head when M
 * gives none, as an analytic run's shape may). */
double mlsim_model_head_dim(const struct mlsim_model_spec *m);

/* T5's relative position bias: a scalar per bucket and head, one table per stack, shared by its
 * layers (Raffel et al. 2020, Sec. 2.1; HF T5Config relative_attention_num_buckets 32). */
#define MLSIM_MODEL_RELATIVE_BUCKETS 32

/* 1 if M is an encoder-decoder transformer (encoder_layers > 0). */
int mlsim_model_is_encoder_decoder(const struct mlsim_model_spec *m);

/* The decoder's tokens per sequence: decoder_seq_len, else seq_len. */
int mlsim_model_decoder_seq_len(const struct mlsim_model_spec *m);

/* Of layers [FIRST, FIRST + COUNT), the decoder's of an encoder-decoder M (0 for a decoder-only
 * model, whose layers have no cross-attention). */
int mlsim_model_decoder_layers_in(const struct mlsim_model_spec *m, int first, int count);

/* What a decoder layer of an encoder-decoder adds to mlsim_model_layer_params, as one of TP ranks
 * holds it: the cross-attention (Q from the decoder, K and V from the encoder's output, the
 * output projection; as the self-attention's) and its norm. 0 for a decoder-only model. */
double mlsim_model_cross_params(const struct mlsim_model_spec *m, int tp);

/* Parameters of one dense transformer layer as one of TP tensor-parallel ranks holds them
 * (Megatron-LM's split: heads, KV heads, the FFN width divided TP ways; norms replicated). TP = 1:
 * the layer. A mixture of experts' layers differ: mlsim_moe_layer_params (moe.h). */
double mlsim_model_layer_params(const struct mlsim_model_spec *m, int tp);

/* The attention of one layer as one of TP ranks holds it (multi-head, grouped-query or
 * multi-head latent; no norms), and one MLP of WIDTH (its gate too when gated, with biases when
 * the model has them) split TP ways. mlsim_model_layer_params is these two and the norms. */
double mlsim_model_attention_params(const struct mlsim_model_spec *m, int tp);
double mlsim_model_mlp_params(const struct mlsim_model_spec *m, double width, int tp);

/* Parameters each token is computed with: every dense weight and, of a mixture of experts, the
 * router, the shared experts and top_k routed ones (moe.h). M's total for a dense model. */
double mlsim_model_active_params(const struct mlsim_model_spec *m);

/* The token embedding (vocabulary-parallel over TP ranks, shared by an encoder-decoder's two
 * stacks), a learned position table, or relative position biases (a table per stack). */
double mlsim_model_embedding_params(const struct mlsim_model_spec *m, int tp);

/* The output side: the final norm (an encoder-decoder's two, one per stack), and the head's own
 * matrix when embeddings are not tied. */
double mlsim_model_head_params(const struct mlsim_model_spec *m, int tp);

/* All trainable parameters of M: a transformer's layers, embedding and head, or an MLP's dense
 * layers (weights and biases). */
double mlsim_model_params(const struct mlsim_model_spec *m);

/* Give M a GPT-3-family decoder shape for PARAMS parameters: the family keeps d_model = 128 x
 * n_layers and heads of 128 (Brown et al. 2020, Table 2.1: 6.7B, 13B, 175B), so layers ~ (N / (12
 * x 128^2))^(1/3); layers are taken in steps of 8 and widths in steps of 1024 (8 heads, so tensor
 * parallelism of 8 fits), the pair whose 12 l h^2 is nearest N; sequences of 2048 and the GPT-2
 * vocabulary padded to 51,200, as GPT-3 and Megatron-LM use. GPT-3 175B comes out exact: 96
 * layers of 12,288. M's other fields are kept. */
void mlsim_model_derive_shape(double params, struct mlsim_model_spec *m);

/* The largest count a shape is derived for (10^16: about 3,700 layers of 470,000; past it the
 * layer count and width overflow an int). */
#define MLSIM_MODEL_MAX_DERIVED_PARAMS 1e16

/* Bytes per element of activations and weights a training run at PRECISION (enum mlsim_precision)
 * stores, its recipe's (precision.h): 8 for fp64, 4 for fp32/tf32, 2 for 16-bit and for the fp8
 * and int8 recipes (bf16 activations and weights beside narrow GEMM operands). */
double mlsim_precision_elem_bytes(int precision);

/* Say into A how M's parameters were counted from its shape (result.h's assumption list). */
struct mlsim_assumptions;
void mlsim_model_assumptions(const struct mlsim_model_spec *m, struct mlsim_assumptions *a);

/* Fill the workload spec S (whose shape is M) for one device's share of a run of RUN: the model's
 * shape, MICRO_BATCH, RECOMPUTE, and the run's training options and precision. */
struct mlsim_run;
struct mlsim_workload_spec;
void mlsim_model_workload_spec(const struct mlsim_run *run, int micro_batch, int recompute,
                               struct mlsim_workload_spec *s);

#endif
