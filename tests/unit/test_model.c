/* The model described once: parameter counts of published shapes, counted by hand from their
 * configs, and the workload's own count equal to the model's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/model.h"
#include "mlsim/workload.h"

/* Llama 2 7B (Touvron et al. 2023; the released config.json): 32 layers, hidden 4096, 32 heads,
 * 32 KV heads, SwiGLU FFN of 11008, vocabulary 32000, RMSNorm, rotary positions, no biases, an
 * untied head. By hand: attention 4 x 4096^2 = 67,108,864; MLP 3 x 4096 x 11008 = 135,266,304;
 * two norms 8,192; a layer 202,383,360, 32 of them 6,476,267,520; embedding and head 2 x 32000 x
 * 4096 = 262,144,000; final norm 4,096. Total 6,738,415,616 (the published 6.74B). */
static const struct mlsim_model_spec llama2_7b = {.layers = 32,
                                                  .hidden = 4096,
                                                  .heads = 32,
                                                  .kv_heads = 32,
                                                  .ffn = 11008,
                                                  .seq_len = 4096,
                                                  .vocab = 32000,
                                                  .gated_mlp = 1,
                                                  .no_biases = 1,
                                                  .untied_embeddings = 1,
                                                  .position = MLSIM_POSITION_ROTARY};

/* Llama 2 70B: 80 layers, hidden 8192, 64 heads of 128, 8 KV heads (grouped-query: K and V 1024
 * wide), SwiGLU FFN of 28672, vocabulary 32000. By hand: Q and O 2 x 8192^2 = 134,217,728; K and V
 * 2 x 8192 x 1024 = 16,777,216; MLP 3 x 8192 x 28672 = 704,643,072; norms 16,384; a layer
 * 855,654,400, 80 of them 68,452,352,000; embedding and head 2 x 32000 x 8192 = 524,288,000;
 * final norm 8,192. Total 68,976,648,192 (the published 68.98B). */
static const struct mlsim_model_spec llama2_70b = {.layers = 80,
                                                   .hidden = 8192,
                                                   .heads = 64,
                                                   .kv_heads = 8,
                                                   .ffn = 28672,
                                                   .seq_len = 4096,
                                                   .vocab = 32000,
                                                   .gated_mlp = 1,
                                                   .no_biases = 1,
                                                   .untied_embeddings = 1,
                                                   .position = MLSIM_POSITION_ROTARY};

/* GPT-3 175B (Brown et al. 2020, Table 2.1): 96 layers of 12288, 96 heads, FFN 4h, GPT-2's
 * vocabulary of 50257, 2048 learned positions, biases, LayerNorm, tied head. By hand: a layer
 * 12 h^2 + 13 h = 1,811,939,328 + 159,744 = 1,812,099,072, 96 of them 173,961,510,912;
 * embeddings (50257 + 2048) x 12288 = 642,723,840; final LayerNorm 24,576. Total
 * 174,604,259,328 (the 174.6B of the issue; "175B" in the paper). */
static const struct mlsim_model_spec gpt3 = {
    .layers = 96, .hidden = 12288, .heads = 96, .seq_len = 2048, .vocab = 50257};

/* MPT-7B (MosaicML 2023, the released config: d_model 4096, 32 heads, 32 layers, expansion
 * ratio 4, vocabulary 50432, ALiBi, no biases, LayerNorm without bias, tied head). By hand: a
 * layer 12 h^2 + 2 h = 201,326,592 + 8,192 = 201,334,784, 32 of them 6,442,713,088; embedding
 * 50432 x 4096 = 206,569,472; final norm 4,096. Total 6,649,286,656 (MosaicML calls it 6.7B). */
static const struct mlsim_model_spec mpt_7b = {.layers = 32,
                                               .hidden = 4096,
                                               .heads = 32,
                                               .seq_len = 2048,
                                               .vocab = 50432,
                                               .no_biases = 1,
                                               .position = MLSIM_POSITION_ALIBI};

static void test_published_counts(void **state)
{
    (void)state;
    assert_near(mlsim_model_params(&llama2_7b), 6738415616.0, 0.5);
    assert_near(mlsim_model_params(&llama2_70b), 68976648192.0, 0.5);
    assert_near(mlsim_model_params(&gpt3), 174604259328.0, 0.5);
    assert_near(mlsim_model_params(&mpt_7b), 6649286656.0, 0.5);
    assert_rel(mlsim_model_params(&mpt_7b), 6.7e9, 0.01);
}

static void test_mlp_count(void **state)
{
    (void)state;
    /* 784-16-16-10: 784 x 16 + 16 + 16 x 16 + 16 + 16 x 10 + 10 = 12,544 + 16 + 256 + 16 + 160 +
     * 10 = 13,002 */
    struct mlsim_model_spec m = {
        .type = MLSIM_MODEL_MLP, .widths = {784, 16, 16, 10}, .n_widths = 4};
    assert_near(mlsim_model_params(&m), 13002.0, 0.0);
}

/* The workload's count (each stage's share, summed over tensor ranks) equals the model's. */
static double workload_params(const struct mlsim_model_spec *m, int tp, int stages)
{
    double total = 0;
    int per = m->layers / stages;
    for (int st = 0; st < stages; st++) {
        struct mlsim_workload_spec s;
        struct mlsim_workload w;
        memset(&s, 0, sizeof s);
        s.model = *m;
        s.micro_batch = 1;
        s.elem_bytes = 2;
        s.tp = tp;
        s.first_layer = st * per;
        s.n_layers = per;
        s.with_embedding = st == 0;
        s.with_head = st == stages - 1;
        assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_OK);
        total += w.params;
        mlsim_workload_release(&w);
    }
    return total;
}

static void test_workload_counts_the_same(void **state)
{
    (void)state;
    /* tensor parallelism replicates the norms (and the row-parallel biases): with TP = 1 the
     * stages' shares add up to the model exactly */
    assert_rel(workload_params(&llama2_7b, 1, 4), mlsim_model_params(&llama2_7b), 1e-12);
    assert_rel(workload_params(&llama2_70b, 1, 8), mlsim_model_params(&llama2_70b), 1e-12);
    assert_rel(workload_params(&gpt3, 1, 8), mlsim_model_params(&gpt3), 1e-12);
    assert_rel(workload_params(&mpt_7b, 1, 2), mlsim_model_params(&mpt_7b), 1e-12);
    /* Llama 2 70B on 8 tensor ranks: each holds 1/8 of every matrix; its norms (2 x 8192 per
     * layer and the final 8192) are held 8 times, so 8 ranks hold 7 x (80 x 16384 + 8192) more */
    assert_rel(8.0 * workload_params(&llama2_70b, 8, 1),
               mlsim_model_params(&llama2_70b) + 7.0 * (80.0 * 16384.0 + 8192.0), 1e-12);
}

static void test_derived_shape_keeps_the_rest(void **state)
{
    (void)state;
    struct mlsim_model_spec m = {.tokens = 300e9, .no_biases = 1};
    mlsim_model_derive_shape(175e9, &m);
    assert_int_equal(m.layers, 96); /* Brown et al. 2020, Table 2.1 */
    assert_int_equal(m.hidden, 12288);
    assert_near(m.tokens, 300e9, 0.0);
    assert_int_equal(m.no_biases, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_counts),
        cmocka_unit_test(test_mlp_count),
        cmocka_unit_test(test_workload_counts_the_same),
        cmocka_unit_test(test_derived_shape_keeps_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
