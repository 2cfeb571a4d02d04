/* Mixture of experts: parameter counts (total and active) of published shapes counted by hand
 * from their configs, the layers that route, and the busiest expert's load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/model.h"
#include "mlsim/moe.h"
#include "mlsim/workload.h"

/* Mixtral 8x7B (Jiang et al. 2024, arXiv:2401.04088, Table 1; the released config.json): 32
 * layers of 4096, 32 heads of 128, 8 KV heads, 8 experts of a SwiGLU FFN of 14336, top-2,
 * vocabulary 32000, RMSNorm, no biases, untied head. By hand, per layer: attention 4096 x (4096 +
 * 2 x 1024) + 4096^2 = 41,943,040; norms 8,192; router 4096 x 8 = 32,768; an expert 3 x 4096 x
 * 14336 = 176,160,768, 8 of them 1,409,286,144; the layer 1,451,270,144, 32 of them
 * 46,440,644,608; embedding 131,072,000; head 131,072,000 and final norm 4,096. Total
 * 46,702,792,704 (the paper's 46.7B, 47B in its text). Active: 2 experts, 394,305,536 a layer,
 * 12,617,777,152 for 32, plus 262,148,096: 12,879,925,248 (the paper's 12.9B; 13B in its text). */
static const struct mlsim_model_spec mixtral = {.layers = 32,
                                                .hidden = 4096,
                                                .heads = 32,
                                                .kv_heads = 8,
                                                .ffn = 14336,
                                                .seq_len = 4096,
                                                .vocab = 32000,
                                                .gated_mlp = 1,
                                                .no_biases = 1,
                                                .untied_embeddings = 1,
                                                .position = MLSIM_POSITION_ROTARY,
                                                .experts = 8,
                                                .top_k = 2};

/* DeepSeek-V3 (arXiv:2412.19437, Sec. 4.2; the released config.json): 61 layers of 7168, the
 * first 3 dense (SwiGLU FFN 18432), the other 58 with 256 routed experts of 2048 (top-8) and 1
 * shared; multi-head latent attention with 128 heads, q_lora_rank 1536, kv_lora_rank 512, nope
 * 128, rope 64, v 128; vocabulary 129280, untied, RMSNorm, no biases. By hand: attention q
 * 7168 x 1536 + 1536 + 1536 x 128 x 192 = 48,760,320; kv 7168 x 576 + 512 + 512 x 128 x 256 =
 * 20,906,496; output 16384 x 7168 = 117,440,512; 187,107,328 a layer. A dense layer adds
 * 3 x 7168 x 18432 = 396,361,728 and norms 14,336: 583,483,392. A MoE layer adds norms, the router
 * 7168 x 256 = 1,835,008, the shared expert 3 x 7168 x 2048 = 44,040,192 and 256 routed ones
 * 11,274,289,152: 11,507,286,016. Embedding 926,679,040, head 926,679,040 + 7,168. Total
 * 671,026,404,352 (the paper's 671B, which leaves out the 14B multi-token-prediction module).
 * Active: 8 routed experts instead of 256: 37,552,282,624 (the paper says 37B: our count holds
 * the embedding and head, 1.85B, which the paper's rounding may not). The router's bias
 * (e_score_correction_bias, 256 per layer, not trained by gradient) is not counted. */
static const struct mlsim_model_spec deepseek_v3 = {.layers = 61,
                                                    .hidden = 7168,
                                                    .heads = 128,
                                                    .ffn = 18432,
                                                    .seq_len = 4096,
                                                    .vocab = 129280,
                                                    .gated_mlp = 1,
                                                    .no_biases = 1,
                                                    .untied_embeddings = 1,
                                                    .position = MLSIM_POSITION_ROTARY,
                                                    .experts = 256,
                                                    .top_k = 8,
                                                    .shared_experts = 1,
                                                    .expert_ffn = 2048,
                                                    .dense_layers = 3,
                                                    .q_lora_rank = 1536,
                                                    .kv_lora_rank = 512,
                                                    .qk_nope_dim = 128,
                                                    .qk_rope_dim = 64,
                                                    .v_dim = 128};

/* Switch-Base (Fedus et al. 2021, Table 9 and the released t5x config): T5-Base's 12 + 12 layers
 * are not a decoder; a decoder of its width stands in to check the every-other-layer rule: 12
 * layers of 768, FFN 3072 (ReLU, two matrices), 128 experts on every other layer, top-1. */
static const struct mlsim_model_spec switch_like = {.layers = 12,
                                                    .hidden = 768,
                                                    .heads = 12,
                                                    .ffn = 3072,
                                                    .seq_len = 512,
                                                    .vocab = 32128,
                                                    .no_biases = 1,
                                                    .position = MLSIM_POSITION_ROTARY,
                                                    .experts = 128,
                                                    .top_k = 1,
                                                    .moe_every = 2};

static void test_published_counts(void **state)
{
    (void)state;
    assert_near(mlsim_model_params(&mixtral), 46702792704.0, 0.5);
    assert_near(mlsim_model_active_params(&mixtral), 12879925248.0, 0.5);
    assert_rel(mlsim_model_params(&mixtral), 46.7e9, 0.001);
    assert_rel(mlsim_model_active_params(&mixtral), 12.9e9, 0.002);
    assert_near(mlsim_model_params(&deepseek_v3), 671026404352.0, 0.5);
    assert_near(mlsim_model_active_params(&deepseek_v3), 37552282624.0, 0.5);
    assert_rel(mlsim_model_params(&deepseek_v3), 671e9, 0.001);
    assert_rel(mlsim_model_active_params(&deepseek_v3), 37e9, 0.02);
}

static void test_which_layers(void **state)
{
    (void)state;
    /* DeepSeek-V3: layers 0-2 dense, 3-60 MoE */
    assert_int_equal(mlsim_moe_is_moe_layer(&deepseek_v3, 2), 0);
    assert_int_equal(mlsim_moe_is_moe_layer(&deepseek_v3, 3), 1);
    assert_int_equal(mlsim_moe_count_layers(&deepseek_v3, 0, 61), 58);
    /* every other layer from layer 0 (Megatron-LM's moe_layer_freq 2): 0, 2, ..., 10 */
    assert_int_equal(mlsim_moe_count_layers(&switch_like, 0, 12), 6);
    assert_int_equal(mlsim_moe_is_moe_layer(&switch_like, 1), 0);
    /* a dense model routes nothing */
    struct mlsim_model_spec dense = mixtral;
    dense.experts = 0;
    assert_int_equal(mlsim_moe_count_layers(&dense, 0, 32), 0);
    assert_near(mlsim_model_active_params(&dense), dense.params, 0.0);
    /* Switch-like: attention 4 h^2 = 2,359,296, norms 1,536, an MLP 2 x 768 x 3072 =
     * 4,718,592: a dense layer 7,079,424; a MoE layer the attention, norms, router 768 x 128 =
     * 98,304 and 128 MLPs (603,979,776): 606,438,912. Six of each 3,681,110,016; embedding
     * 32128 x 768 = 24,674,304, final norm 768 (tied head): 3,705,785,088. Active: a MoE layer
     * with one expert, 7,177,728. */
    assert_near(mlsim_model_params(&switch_like), 3705785088.0, 0.5);
    assert_near(mlsim_moe_layer_active_params(&switch_like, 0), 7177728.0, 0.5);
}

static void test_load(void **state)
{
    (void)state;
    struct mlsim_model_spec m = mixtral;
    assert_near(mlsim_moe_load(&m), 1.0, 0.0);
    m.load_imbalance = 1.5;
    assert_near(mlsim_moe_load(&m), 1.5, 0.0);
    m.capacity_factor = 1.25; /* tokens past capacity are dropped */
    assert_near(mlsim_moe_load(&m), 1.25, 0.0);
    m.capacity_factor = 2.0;
    assert_near(mlsim_moe_load(&m), 1.5, 0.0);
    m.top_k = 20; /* at most the experts */
    assert_int_equal(mlsim_moe_top_k(&m), 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_counts),
        cmocka_unit_test(test_which_layers),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
