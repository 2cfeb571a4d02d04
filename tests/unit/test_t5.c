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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemma_7b_heads_of_256),
        cmocka_unit_test(test_head_dim_activations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
