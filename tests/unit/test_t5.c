/* Attention heads wider than hidden / heads (model.head_dim) and encoder-decoder transformers
 * (T5): parameter counts and per-token FLOPs counted by hand from the papers' and configs'
 * shapes, beside the workload's kernels and the model's count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/model.h"
#include "mlsim/workload.h"

/* Gemma 7B (Gemma Team 2024, arXiv:2403.08295, Table 1; google/gemma_pytorch's 7B config): 28
 * layers of 3072, 16 heads of 256 (so Q, K, V and O are 3072 x 4096, not 3072 x 3072), GeGLU of
 * 24576, vocabulary 256000, RMSNorm, no biases, tied head. By hand: attention 4 x 3072 x 4096 =
 * 50,331,648; MLP 3 x 3072 x 24576 = 226,492,416; two norms 6,144; a layer 276,830,208, 28 of
 * them 7,751,245,824; embedding 256000 x 3072 = 786,432,000; final norm 3,072. Total
 * 8,537,680,896. The paper's Table 2 gives 7,751,248,896 non-embedding parameters: the layers and
 * the final norm here, to the parameter (its embedding is of a 256,128-token table). */
static const struct mlsim_model_spec gemma_7b = {.layers = 28,
                                                 .hidden = 3072,
                                                 .heads = 16,
                                                 .kv_heads = 16,
                                                 .head_dim = 256,
                                                 .ffn = 24576,
                                                 .seq_len = 8192,
                                                 .vocab = 256000,
                                                 .gated_mlp = 1,
                                                 .no_biases = 1,
                                                 .position = MLSIM_POSITION_ROTARY};

static enum mlsim_status build(const struct mlsim_model_spec *m, int tp, int attention,
                               int recompute, struct mlsim_workload *w)
{
    struct mlsim_workload_spec s;
    memset(&s, 0, sizeof s);
    s.model = *m;
    s.micro_batch = 1;
    s.tp = tp;
    s.attention = attention;
    s.recompute = recompute;
    s.elem_bytes = 2;
    return mlsim_workload_build(&s, w);
}

/* The first forward kernel named NAME, or NULL. */
static const struct mlsim_kernel *find(const struct mlsim_workload *w, const char *name)
{
    for (size_t i = 0; i < w->n_fwd; i++) {
        if (strcmp(w->fwd[i].name, name) == 0)
            return &w->fwd[i];
    }
    return NULL;
}

static void test_gemma_7b_heads_of_256(void **state)
{
    (void)state;
    assert_near(mlsim_model_params(&gemma_7b), 8537680896.0, 0.0);
    assert_near(mlsim_model_head_dim(&gemma_7b), 256.0, 0.0);
    struct mlsim_workload w;
    assert_int_equal(build(&gemma_7b, 2, MLSIM_ATTENTION_FLASH, MLSIM_RECOMPUTE_NONE, &w),
                     MLSIM_OK);
    /* on 2 tensor ranks: 8 heads of 256 each, Q, K and V 3 x 2048 columns from 3072 */
    const struct mlsim_kernel *qkv = find(&w, "qkv"), *proj = find(&w, "proj");
    const struct mlsim_kernel *flash = find(&w, "attn.flash");
    assert_non_null(qkv);
    assert_non_null(proj);
    assert_non_null(flash);
    assert_near(qkv->n, 6144.0, 0.0);
    assert_near(qkv->k, 3072.0, 0.0);
    assert_near(proj->k, 2048.0, 0.0); /* the output projection reads 8 x 256 per token */
    assert_near(proj->n, 3072.0, 0.0);
    /* QK^T and PV: 2 x 2 x s^2 x (8 x 256) = 4 x 8192^2 x 2048 */
    assert_near(flash->flops, 4.0 * 8192.0 * 8192.0 * 2048.0, 0.0);
    /* the rank holds half of every matrix and all of its norms: (28 x 276,830,208 + 786,432,000)
     * / 2 + 28 x 6,144 / 2 + 3,072 / 2 (the norms held twice over) */
    assert_near(w.params, (8537680896.0 - 28.0 * 6144.0 - 3072.0) / 2.0 + 28.0 * 6144.0 + 3072.0,
                0.0);
    mlsim_workload_release(&w);
}

/* PaLM 540B (Chowdhery et al. 2022, Table 1: 118 layers, 48 heads, d_model 18432, 540.35B; its
 * caption: "attention head size is always 256"; multi-query, SwiGLU of 4 d_model, parallel blocks,
 * no biases, 256k vocabulary, tied). By hand: Q and O 2 x 18432 x 12288 = 452,984,832; K and V 2 x
 * 18432 x 256 = 9,437,184; MLP 3 x 18432 x 73728 = 4,076,863,488; one norm 18,432: a layer
 * 4,539,303,936, 118 of them 535,637,864,448; embedding 256000 x 18432 = 4,718,592,000; final
 * norm 18,432. Total 540,356,474,880: Table 1's 540.35B. */
static void test_palm_540b_heads_of_256(void **state)
{
    (void)state;
    const struct mlsim_model_spec palm = {.layers = 118,
                                          .hidden = 18432,
                                          .heads = 48,
                                          .kv_heads = 1,
                                          .head_dim = 256,
                                          .ffn = 73728,
                                          .seq_len = 2048,
                                          .vocab = 256000,
                                          .gated_mlp = 1,
                                          .parallel_block = 1,
                                          .no_biases = 1,
                                          .position = MLSIM_POSITION_ROTARY};
    assert_near(mlsim_model_params(&palm), 540356474880.0, 0.0);
}

/* Korthikanti et al. 2022's 34 s b h per layer without TP has 8 s b h for Q, K, V and the
 * projection's input; at heads x head_dim = 4096 beside 3072 they are 8 x 4/3: a layer keeps s b
 * h (10 + 16 + 32/3) with flash attention (no scores), 8192 x 3072 x 110/3 bytes. */
static void test_head_dim_activations(void **state)
{
    (void)state;
    struct mlsim_model_spec one = gemma_7b;
    one.layers = 1;
    struct mlsim_workload w;
    assert_int_equal(build(&one, 1, MLSIM_ATTENTION_FLASH, MLSIM_RECOMPUTE_NONE, &w), MLSIM_OK);
    double logits = 4.0 * 8192.0 * 256000.0; /* fp32 logits of the head */
    assert_rel(w.act_bytes_per_micro - logits, 8192.0 * 3072.0 * 110.0 / 3.0, 1e-12);
    mlsim_workload_release(&w);
}

/* T5-11B (Raffel et al. 2020, Sec. 3.7; HF t5-11b config.json): 24 + 24 layers of d_model 1024,
 * 128 heads of d_kv 128 (inner width H = 16384), ReLU MLP of 65536, vocabulary 32128, no biases,
 * relative position biases of 32 buckets a head in each stack, a head tied to the shared
 * embedding; pre-training sequences of 512 inputs and 114 targets. */
static const struct mlsim_model_spec t5_11b = {.layers = 48,
                                               .encoder_layers = 24,
                                               .hidden = 1024,
                                               .heads = 128,
                                               .head_dim = 128,
                                               .ffn = 65536,
                                               .seq_len = 512,
                                               .decoder_seq_len = 114,
                                               .vocab = 32128,
                                               .no_biases = 1,
                                               .position = MLSIM_POSITION_RELATIVE};

/* Parameters by hand. T5-11B: an encoder layer's attention 4 x 1024 x 16384 = 67,108,864, MLP 2 x
 * 1024 x 65536 = 134,217,728, two norms 2,048: 201,328,640, 24 of them 4,831,887,360; a decoder
 * layer adds a cross-attention (67,108,864) and a third norm: 268,438,528, 24 of them
 * 6,442,524,672; embedding 32128 x 1024 = 32,899,072; relative biases 2 x 32 x 128 = 8,192; two
 * final norms 2,048. Total 11,307,321,344 (the paper's "11B"; HF's t5-11b 11.3B).
 * T5-3B (32 heads of 128, d_ff 16384): encoder layers 24 x (16,777,216 + 33,554,432 + 2,048) =
 * 1,208,008,704; decoder layers 24 x (2 x 16,777,216 + 33,554,432 + 3,072) = 1,610,686,464;
 * embedding 32,899,072, biases 2 x 32 x 32 = 2,048, final norms 2,048: 2,851,598,336 ("3B"; HF's
 * t5-3b 2.85B).
 * T5-Large (16 heads of 64, d_model 1024, d_ff 4096, 24 + 24): 24 x 12,584,960 + 24 x 16,780,288
 * + 32,899,072 + 2 x 32 x 16 + 2,048 = 737,668,096, the 737.67M of a published per-tensor listing
 * of HF t5-large (KwangryeolPark/Model.Summary), which counts the shared embedding once as here.
 * Flan-T5-XXL (HF google/flan-t5-xxl: d_model 4096, 64 heads of 64, gated-GELU of 10240, untied):
 * encoder 24 x (67,108,864 + 3 x 4096 x 10240 + 8,192) = 4,630,708,224; decoder 24 x (2 x
 * 67,108,864 + 125,829,120 + 12,288) = 6,241,419,264; embedding and head 2 x 32128 x 4096 =
 * 263,192,576; biases 2 x 32 x 64 = 4,096; final norms 8,192: 11,135,332,352. */
static void test_t5_parameters(void **state)
{
    (void)state;
    assert_near(mlsim_model_params(&t5_11b), 11307321344.0, 0.0);
    struct mlsim_model_spec t5_3b = t5_11b, large = t5_11b, flan = t5_11b;
    t5_3b.heads = 32;
    t5_3b.ffn = 16384;
    assert_near(mlsim_model_params(&t5_3b), 2851598336.0, 0.0);
    large.heads = 16;
    large.head_dim = 64;
    large.ffn = 4096;
    assert_near(mlsim_model_params(&large), 737668096.0, 0.0);
    flan.hidden = 4096;
    flan.heads = 64;
    flan.head_dim = 64;
    flan.ffn = 10240;
    flan.gated_mlp = 1;
    flan.untied_embeddings = 1;
    assert_near(mlsim_model_params(&flan), 11135332352.0, 0.0);
    /* the workload's own count, whole and on 8 tensor ranks (each holds 1/8 of every matrix and
     * of the relative biases, and every norm: 24 x 2 + 24 x 3 + 2 = 122 of 1024) */
    struct mlsim_workload w;
    assert_int_equal(build(&t5_11b, 1, MLSIM_ATTENTION_FLASH, MLSIM_RECOMPUTE_NONE, &w), MLSIM_OK);
    assert_near(w.params, 11307321344.0, 0.0);
    mlsim_workload_release(&w);
    assert_int_equal(build(&t5_11b, 8, MLSIM_ATTENTION_FLASH, MLSIM_RECOMPUTE_NONE, &w), MLSIM_OK);
    assert_near(w.params, (11307321344.0 - 122.0 * 1024.0) / 8.0 + 122.0 * 1024.0, 0.0);
    mlsim_workload_release(&w);
}

/* Model FLOPs of one T5-11B sequence (512 inputs, 114 targets), forward by hand, backward twice
 * the forward. An encoder layer: 2 x 512 x (4 x 1024 x 16384 + 2 x 1024 x 65536) = 206,158,430,208
 * in its GEMMs and 4 x 512^2 x 16384 = 17,179,869,184 in attention: 223,338,299,392. A decoder
 * layer: self-attention 2 x 114 x 67,108,864 + 4 x 114^2 x 16384 = 15,300,820,992 + 851,705,856;
 * cross-attention Q and O on the targets 2 x 114 x 33,554,432 = 7,650,410,496, K and V on the
 * inputs 2 x 512 x 33,554,432 = 34,359,738,368, scores 4 x 114 x 512 x 16384 = 3,825,205,248; MLP
 * 2 x 114 x 134,217,728 = 30,601,641,984: 92,589,522,944. Logits on the targets 2 x 114 x 1024 x
 * 32128 = 7,500,988,416. Forward 24 x 223,338,299,392 + 24 x 92,589,522,944 + 7,500,988,416 =
 * 7,589,768,724,480; with the backward 22,769,306,173,440, 44.47 GFLOP an input token where 6 N
 * would say 67.84. */
static void test_t5_model_flops(void **state)
{
    (void)state;
    struct mlsim_workload w;
    const double want = 3.0 * 7589768724480.0;
    assert_int_equal(build(&t5_11b, 1, MLSIM_ATTENTION_FLASH, MLSIM_RECOMPUTE_NONE, &w), MLSIM_OK);
    assert_rel(w.model_flops_per_micro, want, 1e-12);
    mlsim_workload_release(&w);
    /* the same model work with plain attention, and with full recomputation on top */
    assert_int_equal(build(&t5_11b, 1, MLSIM_ATTENTION_PLAIN, MLSIM_RECOMPUTE_NONE, &w), MLSIM_OK);
    assert_rel(w.model_flops_per_micro, want, 1e-12);
    mlsim_workload_release(&w);
    assert_int_equal(build(&t5_11b, 4, MLSIM_ATTENTION_FLASH, MLSIM_RECOMPUTE_FULL, &w), MLSIM_OK);
    assert_rel(4.0 * w.model_flops_per_micro, want, 1e-12);
    assert_true(w.hw_flops_per_micro > w.model_flops_per_micro * 1.3); /* the forward again */
    mlsim_workload_release(&w);
}

/* Where a decoder layer's cross-attention runs: K and V on the 512 inputs, Q on the 114 targets,
 * 114 x 512 scores; and the logits on the targets only. */
static void test_t5_cross_attention_kernels(void **state)
{
    (void)state;
    struct mlsim_workload w;
    assert_int_equal(build(&t5_11b, 1, MLSIM_ATTENTION_PLAIN, MLSIM_RECOMPUTE_NONE, &w), MLSIM_OK);
    const struct mlsim_kernel *kv = find(&w, "cross.kv"), *q = find(&w, "cross.q");
    const struct mlsim_kernel *logits = find(&w, "logits"), *qkv = find(&w, "qkv");
    assert_non_null(kv);
    assert_non_null(q);
    assert_non_null(logits);
    assert_non_null(qkv);
    assert_near(kv->m, 512.0, 0.0);
    assert_near(kv->n, 2.0 * 16384.0, 0.0);
    assert_near(q->m, 114.0, 0.0);
    assert_int_equal(q->layer, 24); /* the first decoder layer */
    assert_int_equal(qkv->layer, 0);
    assert_near(qkv->m, 512.0, 0.0); /* the encoder's self-attention on the inputs */
    assert_near(logits->m, 114.0, 0.0);
    size_t scores = 0;
    for (size_t i = 0; i < w.n_fwd; i++) {
        if (strcmp(w.fwd[i].name, "attn.score") == 0 && w.fwd[i].layer == 30) {
            scores++; /* the self-attention's 114 x 114, then the cross-attention's 114 x 512 */
            assert_near(w.fwd[i].m, 114.0, 0.0);
            assert_near(w.fwd[i].n, scores == 1 ? 114.0 : 512.0, 0.0);
        }
    }
    assert_int_equal(scores, 2);
    mlsim_workload_release(&w);
}

/* Activations of T5-11B at one sequence, no TP, flash attention (no scores kept), Korthikanti et
 * al.'s per-layer count at T5's widths: r = 128 x 128 / 1024 = 16, the split part 8 r + 2 (65536 +
 * 65536) / 1024 = 384. An encoder layer s b h (10 + 384) = 512 x 1024 x 394 = 206,569,472; a
 * decoder layer 114 x 1024 x 394 = 45,993,984, its cross-attention 114 x 1024 x (5 + 4 r) =
 * 8,054,784 and K, V of the inputs 4 r x 512 x 1024 = 33,554,432: 87,603,200; the encoder's output
 * 2 x 512 x 1024 = 1,048,576 once; fp32 logits 4 x 114 x 32128 = 14,650,368. Total 24 x
 * 206,569,472 + 24 x 87,603,200 + 1,048,576 + 14,650,368 = 7,075,843,072. */
static void test_t5_activations(void **state)
{
    (void)state;
    struct mlsim_workload w;
    assert_int_equal(build(&t5_11b, 1, MLSIM_ATTENTION_FLASH, MLSIM_RECOMPUTE_NONE, &w), MLSIM_OK);
    assert_near(w.act_bytes_per_micro, 7075843072.0, 0.0);
    mlsim_workload_release(&w);
}

/* A pipeline stage is a slice of the one stack: the encoder's half and the decoder's half add up to
 * the whole, the encoder output counted on the decoder's stage. */
static void test_t5_stages_add_up(void **state)
{
    (void)state;
    struct mlsim_workload_spec s;
    struct mlsim_workload whole, enc, dec;
    memset(&s, 0, sizeof s);
    s.model = t5_11b;
    s.micro_batch = 1;
    s.tp = 1;
    s.attention = MLSIM_ATTENTION_FLASH;
    s.elem_bytes = 2;
    assert_int_equal(mlsim_workload_build(&s, &whole), MLSIM_OK);
    s.n_layers = 24;
    s.with_embedding = 1;
    assert_int_equal(mlsim_workload_build(&s, &enc), MLSIM_OK);
    s.first_layer = 24;
    s.with_embedding = 0;
    s.with_head = 1;
    assert_int_equal(mlsim_workload_build(&s, &dec), MLSIM_OK);
    assert_rel(enc.params + dec.params, whole.params, 1e-15);
    assert_rel(enc.model_flops_per_micro + dec.model_flops_per_micro, whole.model_flops_per_micro,
               1e-12);
    assert_rel(enc.act_bytes_per_micro + dec.act_bytes_per_micro, whole.act_bytes_per_micro, 1e-15);
    assert_near(enc.act_bytes_per_micro, 24.0 * 206569472.0, 0.0);
    mlsim_workload_release(&whole);
    mlsim_workload_release(&enc);
    mlsim_workload_release(&dec);
}

/* What a stage sends the next: an encoder stage its b s_e h, a stage of decoder layers the
 * encoder's output beside the targets' hidden state, (512 + 114) / 512 = 1.22265625 of it; a
 * decoder-only model 1 everywhere. */
static void test_t5_send_scale(void **state)
{
    (void)state;
    assert_near(mlsim_workload_send_scale(&t5_11b, 0, 24), 1.0, 0.0);
    assert_near(mlsim_workload_send_scale(&t5_11b, 12, 24), 1.22265625, 0.0);
    assert_near(mlsim_workload_send_scale(&t5_11b, 24, 24), 1.22265625, 0.0);
    assert_near(mlsim_workload_send_scale(&gemma_7b, 14, 14), 1.0, 0.0);
}

/* The shapes mlsim does not model beside an encoder are refused, not guessed. */
static void test_t5_refusals(void **state)
{
    (void)state;
    struct mlsim_workload w;
    struct mlsim_model_spec m = t5_11b;
    m.encoder_layers = 48; /* no decoder left */
    assert_int_equal(build(&m, 1, MLSIM_ATTENTION_FLASH, MLSIM_RECOMPUTE_NONE, &w),
                     MLSIM_ERR_INPUT);
    m = t5_11b;
    m.experts = 8;
    assert_int_equal(build(&m, 1, MLSIM_ATTENTION_FLASH, MLSIM_RECOMPUTE_NONE, &w),
                     MLSIM_ERR_INPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemma_7b_heads_of_256),
        cmocka_unit_test(test_head_dim_activations),
        cmocka_unit_test(test_palm_540b_heads_of_256),
        cmocka_unit_test(test_t5_parameters),
        cmocka_unit_test(test_t5_model_flops),
        cmocka_unit_test(test_t5_cross_attention_kernels),
        cmocka_unit_test(test_t5_activations),
        cmocka_unit_test(test_t5_stages_add_up),
        cmocka_unit_test(test_t5_send_scale),
        cmocka_unit_test(test_t5_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
