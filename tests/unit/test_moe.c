/* Mixture of experts: parameter counts (total and active) of published shapes counted by hand
 * from their configs, the layers that route, and the busiest expert's load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/collective.h"
#include "mlsim/layout.h"
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

/* DeepSeek-V2 (arXiv:2405.04434, Sec. 3.1.2 and Appendix; the released config.json): 60 layers of
 * 5120, the first dense (FFN 12288), then 160 routed experts of 1536 (top-6) and 2 shared; the
 * same latent attention as V3 at this width; vocabulary 102400. By hand: attention q 5120 x 1536
 * + 1536 + 1536 x 128 x 192 = 45,614,592; kv 5120 x 576 + 512 + 512 x 128 x 256 = 19,726,848;
 * output 16384 x 5120 = 83,886,080; 149,227,520 a layer. The dense layer adds 3 x 5120 x 12288 and
 * norms: 337,981,440. A MoE layer: attention, norms 10,240, router 819,200, 162 experts of 3 x
 * 5120 x 1536 = 23,592,960: 3,972,116,480, 59 of them. Embedding and head 2 x 524,288,000 + 5,120.
 * Total 235,741,434,880 (the paper's 236B); active: 8 of the experts, 21,375,800,320 (21B). */
static const struct mlsim_model_spec deepseek_v2 = {.layers = 60,
                                                    .hidden = 5120,
                                                    .heads = 128,
                                                    .ffn = 12288,
                                                    .seq_len = 4096,
                                                    .vocab = 102400,
                                                    .gated_mlp = 1,
                                                    .no_biases = 1,
                                                    .untied_embeddings = 1,
                                                    .position = MLSIM_POSITION_ROTARY,
                                                    .experts = 160,
                                                    .top_k = 6,
                                                    .shared_experts = 2,
                                                    .expert_ffn = 1536,
                                                    .dense_layers = 1,
                                                    .q_lora_rank = 1536,
                                                    .kv_lora_rank = 512,
                                                    .qk_nope_dim = 128,
                                                    .qk_rope_dim = 64,
                                                    .v_dim = 128};

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
    assert_near(mlsim_model_params(&deepseek_v2), 235741434880.0, 0.5);
    assert_near(mlsim_model_active_params(&deepseek_v2), 21375800320.0, 0.5);
    assert_rel(mlsim_model_params(&deepseek_v2), 236e9, 0.002);
    assert_rel(mlsim_model_active_params(&deepseek_v2), 21e9, 0.02);
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

/* The closed-form count against a loop over every layer, for every window of small shapes; and a
 * billion layers counted at once (6ND of such a scenario must not loop). */
static void test_count_layers(void **state)
{
    (void)state;
    struct mlsim_model_spec m = mixtral;
    for (int d = 0; d < 4; d++) {
        for (int every = 0; every < 4; every++) {
            m.dense_layers = d;
            m.moe_every = every;
            for (int first = 0; first < 9; first++) {
                for (int count = 0; count < 9; count++) {
                    int n = 0;
                    for (int i = first; i < first + count; i++)
                        n += mlsim_moe_is_moe_layer(&m, i);
                    assert_int_equal(mlsim_moe_count_layers(&m, first, count), n);
                }
            }
        }
    }
    m.dense_layers = 3;
    m.moe_every = 2;
    m.layers = 1000000003; /* 3 dense, then 500,000,000 MoE among the 1,000,000,000 */
    assert_int_equal(mlsim_moe_count_layers(&m, 0, m.layers), 500000000);
    assert_int_equal(mlsim_moe_first_layer(&m, 1), 3);
    assert_int_equal(mlsim_moe_first_layer(&m, 0), 0);
    m.dense_layers = 0;
    assert_int_equal(mlsim_moe_first_layer(&m, 0), 1);
    m.moe_every = 1;
    assert_int_equal(mlsim_moe_first_layer(&m, 0), -1);
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

/* One Mixtral layer on a rank of 4 expert-parallel ranks, one sequence of 4096, bf16. */
static void mixtral_layer(int ep, double load, struct mlsim_workload *w)
{
    struct mlsim_workload_spec s;
    memset(&s, 0, sizeof s);
    s.model = mixtral;
    s.model.load_imbalance = load;
    s.micro_batch = 1;
    s.elem_bytes = 2;
    s.tp = 1;
    s.ep = ep;
    s.attention = MLSIM_ATTENTION_FLASH;
    s.first_layer = 5;
    s.n_layers = 1;
    assert_int_equal(mlsim_workload_build(&s, w), MLSIM_OK);
}

static double flops_named(const struct mlsim_kernel *k, size_t n, const char *name)
{
    double f = 0;
    for (size_t i = 0; i < n; i++)
        f += strcmp(k[i].name, name) == 0 ? k[i].flops : 0.0;
    return f;
}

static void test_workload(void **state)
{
    (void)state;
    struct mlsim_workload w;
    mixtral_layer(4, 1.0, &w);
    /* the rank holds 2 of the 8 experts: attention 41,943,040, norms 8,192, router 32,768 and
     * 2 x 176,160,768 = 352,321,536 */
    assert_near(w.params, 394305536.0, 0.5);
    assert_near(w.expert_params, 352321536.0, 0.5);
    /* 4096 tokens x top-2 = 8192 reach the rank, 4096 per local expert: fc1 (gate and up)
     * 2 x 8192 x 28672 x 4096 FLOPs, fc2 2 x 8192 x 4096 x 14336; the router 2 x 4096 x 8 x 4096 */
    assert_near(flops_named(w.fwd, w.n_fwd, "moe.fc1"), 2.0 * 8192 * 28672 * 4096.0, 1.0);
    assert_near(flops_named(w.fwd, w.n_fwd, "moe.fc2"), 2.0 * 8192 * 4096 * 14336.0, 1.0);
    assert_near(flops_named(w.fwd, w.n_fwd, "moe.router"), 2.0 * 4096 * 8 * 4096.0, 1.0);
    /* dispatch and combine forward, both again backward: 8192 tokens x 4096 x 2 bytes each */
    int a2a = 0;
    const struct mlsim_kernel *lists[2] = {w.fwd, w.bwd};
    size_t counts[2] = {w.n_fwd, w.n_bwd};
    for (int li = 0; li < 2; li++) {
        for (size_t i = 0; i < counts[li]; i++) {
            if (lists[li][i].kind != MLSIM_KERNEL_COMM)
                continue;
            assert_int_equal(lists[li][i].coll_op, MLSIM_COLL_ALL_TO_ALL);
            assert_int_equal(lists[li][i].group, MLSIM_GROUP_EP);
            assert_near(lists[li][i].bytes, 8192.0 * 4096 * 2, 0.5);
            a2a++;
        }
    }
    assert_int_equal(a2a, 4);
    double flops = w.model_flops_per_micro;
    mlsim_workload_release(&w);
    /* a busiest rank at 1.5 x the mean runs 1.5 x the expert GEMMs; the model's FLOPs stay */
    mixtral_layer(4, 1.5, &w);
    assert_near(flops_named(w.fwd, w.n_fwd, "moe.fc1"), 1.5 * 2.0 * 8192 * 28672 * 4096.0, 1.0);
    assert_rel(w.model_flops_per_micro, flops, 1e-12);
    mlsim_workload_release(&w);
    /* no expert parallelism: all 8 experts, no all-to-all */
    mixtral_layer(1, 1.0, &w);
    assert_near(w.expert_params, 8.0 * 176160768.0, 0.5);
    for (size_t i = 0; i < w.n_fwd; i++)
        assert_int_not_equal(w.fwd[i].kind, MLSIM_KERNEL_COMM);
    mlsim_workload_release(&w);
}

/* Expert-tensor parallelism 1 under tp 2 (sequence parallel): each rank dispatches its half of
 * the 4096 tokens, 2048 x 2 = 4096 copies, to whole experts (2 of 8 with ep 4): fc1 2 x 4096 x
 * 28672 x 4096 FLOPs; the all-to-all 4096 x 4096 x 2 bytes; the rank holds 2 whole experts. */
static void test_expert_tensor(void **state)
{
    (void)state;
    struct mlsim_workload_spec s;
    struct mlsim_workload w;
    memset(&s, 0, sizeof s);
    s.model = mixtral;
    s.micro_batch = 1;
    s.elem_bytes = 2;
    s.tp = 2;
    s.sequence_parallel = 1;
    s.ep = 4;
    s.etp = 1;
    s.attention = MLSIM_ATTENTION_FLASH;
    s.first_layer = 5;
    s.n_layers = 1;
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_OK);
    assert_near(w.expert_params, 2.0 * 176160768.0, 0.5);
    assert_near(flops_named(w.fwd, w.n_fwd, "moe.fc1"), 2.0 * 4096 * 28672 * 4096.0, 1.0);
    for (size_t i = 0; i < w.n_fwd; i++) {
        if (w.fwd[i].kind == MLSIM_KERNEL_COMM && w.fwd[i].group == MLSIM_GROUP_EP)
            assert_near(w.fwd[i].bytes, 4096.0 * 4096 * 2, 0.5);
    }
    mlsim_workload_release(&w);
    s.etp = 3; /* not a divisor of tp */
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_ERR_INPUT);
}

/* DeepSeek-V3's dense and MoE layers in 4 uneven stages add up to the model's count. */
static void test_stages_add_up(void **state)
{
    (void)state;
    static const int firsts[] = {0, 16, 32, 48}, counts[] = {16, 16, 16, 13};
    double total = 0;
    for (int st = 0; st < 4; st++) {
        struct mlsim_workload_spec s;
        struct mlsim_workload w;
        memset(&s, 0, sizeof s);
        s.model = deepseek_v3;
        s.micro_batch = 1;
        s.elem_bytes = 2;
        s.tp = 1;
        s.ep = 1;
        s.first_layer = firsts[st];
        s.n_layers = counts[st];
        s.with_embedding = st == 0;
        s.with_head = st == 3;
        assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_OK);
        total += w.params;
        mlsim_workload_release(&w);
    }
    assert_rel(total, 671026404352.0, 1e-12);
}

static void test_layout_rule(void **state)
{
    (void)state;
    struct mlsim_layout l = {.tp = 1, .pp = 4, .micro_batch = 1, .global_batch = 512, .ep = 8};
    /* 64 devices, pp 4: dp 16; ep 8 divides the 8 experts and the 16 */
    assert_int_equal(mlsim_layout_check(&mixtral, 64, 8, &l), MLSIM_LAYOUT_OK);
    l.ep = 3; /* not a divisor of the experts */
    assert_int_equal(mlsim_layout_check(&mixtral, 64, 8, &l), MLSIM_LAYOUT_EXPERTS);
    l.ep = 16; /* more than the experts */
    assert_int_equal(mlsim_layout_check(&mixtral, 64, 8, &l), MLSIM_LAYOUT_EXPERTS);
    l.ep = 8;
    l.pp = 16; /* dp 4: ep 8 does not divide it */
    assert_int_equal(mlsim_layout_check(&mixtral, 64, 8, &l), MLSIM_LAYOUT_EXPERTS);
    l.pp = 8; /* dp 8 */
    assert_int_equal(mlsim_layout_check(&mixtral, 64, 8, &l), MLSIM_LAYOUT_OK);
    l.tp = 2; /* dp 4: ep 8 x etp 2 does not divide the stage's 2 x 4 ranks */
    assert_int_equal(mlsim_layout_check(&mixtral, 64, 8, &l), MLSIM_LAYOUT_EXPERTS);
    l.etp = 1; /* whole experts (MoE parallel folding): 8 x 1 ranks tile the 8 */
    assert_int_equal(mlsim_layout_check(&mixtral, 64, 8, &l), MLSIM_LAYOUT_OK);
    assert_int_equal(mlsim_layout_expert_dp(2, 4, 8, 1), 1);
    assert_int_equal(mlsim_layout_expert_dp(1, 16, 8, 1), 2);
    l.etp = 3; /* not a divisor of tp */
    assert_int_equal(mlsim_layout_check(&mixtral, 64, 8, &l), MLSIM_LAYOUT_EXPERTS);
    l.etp = 0;
    struct mlsim_model_spec dense = mixtral;
    dense.experts = 0;
    l.tp = 1;
    assert_int_equal(mlsim_layout_check(&dense, 64, 8, &l), MLSIM_LAYOUT_EXPERTS);
    /* ZeRO-1 states: 100 dense parameters over dp 16, 60 expert ones over dp / ep = 2 (the
     * expert-data-parallel size), at 16
     * bytes unsharded and 2-byte weights: 100 x (4 + 12/16) + 60 x (4 + 12/2) = 475 + 600 */
    assert_near(mlsim_layout_states_bytes(160, 60, 16, 2, 16, 2, MLSIM_SHARD_ZERO1), 1075.0, 1e-9);
}

/* The all-to-all the dispatch uses (collective.c): P - 1 pairwise exchanges of N / P each. On 8
 * ranks of 100 GB/s, 1 us a step and 10 us base, 64 MiB: 10 us + 7 x (1 us + 8 MiB / 100 GB/s)
 * = 10 + 7 x (1 + 83.886) us = 604.2 us. */
static void test_all_to_all_cost(void **state)
{
    (void)state;
    const struct mlsim_collective_algo *ring = mlsim_collective_find("ring");
    struct mlsim_link_cost link = {.bw_Bps = 100e9, .step_s = 1e-6, .base_s = 10e-6};
    double n = 64.0 * 1048576.0;
    assert_rel(ring->time(MLSIM_COLL_ALL_TO_ALL, 8, n, &link),
               10e-6 + 7.0 * (1e-6 + n / 8.0 / 100e9), 1e-12);
    assert_near(ring->time(MLSIM_COLL_ALL_TO_ALL, 8, n, &link), 604.2e-6, 0.1e-6);
    assert_near(ring->time(MLSIM_COLL_ALL_TO_ALL, 1, n, &link), 0.0, 0.0);
}

/* DeepSeek-V3's latent attention on one sequence of 4096 (flash): the projections' GEMMs hold
 * 187,107,328 - 1,536 - 512 (the two norms) = 187,105,280 weights, so 2 x 4096 x that FLOPs
 * forward; the core 2 x 4096 x 4096 x 128 x (192 + 128) forward and 2 x 4096^2 x 128 x (256 +
 * 576) backward, of which the scores again (2 x 4096^2 x 128 x 192) are recomputation. */
static void test_mla_flops(void **state)
{
    (void)state;
    struct mlsim_workload_spec s;
    struct mlsim_workload w;
    memset(&s, 0, sizeof s);
    s.model = deepseek_v3;
    s.micro_batch = 1;
    s.elem_bytes = 2;
    s.tp = 1;
    s.ep = 1;
    s.attention = MLSIM_ATTENTION_FLASH;
    s.first_layer = 0; /* a dense layer */
    s.n_layers = 1;
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_OK);
    static const char *const proj[] = {"mla.q_a", "mla.q_b", "mla.kv_a", "mla.kv_b", "proj"};
    double f = 0;
    for (int i = 0; i < 5; i++)
        f += flops_named(w.fwd, w.n_fwd, proj[i]);
    assert_near(f, 2.0 * 4096 * 187105280.0, 1.0);
    double s2 = 4096.0 * 4096.0 * 128.0;
    assert_near(flops_named(w.fwd, w.n_fwd, "attn.flash"), 2.0 * s2 * 320.0, 1.0);
    assert_near(flops_named(w.bwd, w.n_bwd, "attn.flash.bwd"), 2.0 * s2 * 832.0, 1.0);
    /* the model's FLOPs leave the recomputed scores out: the dense MLP 3 x 7168 x 18432 and
     * the projections, forward and backward (x 3), plus the core's 4 + 10 less 1 */
    double mlp = 2.0 * 4096 * 3.0 * 7168 * 18432;
    double model = 3.0 * (f + mlp) + 2.0 * s2 * (320.0 + 832.0 - 192.0);
    assert_rel(w.model_flops_per_micro, model, 1e-3); /* the rest: none, the head is not here */
    mlsim_workload_release(&w);
}

/* DualPipe's overlap (layout.h): layer 0 computes 1 + 2 s beside all-to-alls of 1 + 3 s, which
 * keep the 1 s beyond it, in proportion (0.25 and 0.75); layer 1's 2 s hide under its 5 s; a
 * kernel of no layer keeps its time. */
static void test_overlap(void **state)
{
    (void)state;
    struct mlsim_kernel k[7];
    memset(k, 0, sizeof k);
    static const int layer[] = {0, 0, 0, 0, 1, 1, -1}, ep[] = {0, 1, 0, 1, 0, 1, 1};
    double t[] = {1, 1, 2, 3, 5, 2, 4};
    for (int i = 0; i < 7; i++) {
        k[i].layer = layer[i];
        k[i].kind = ep[i] ? MLSIM_KERNEL_COMM : MLSIM_KERNEL_GEMM;
        k[i].group = MLSIM_GROUP_EP;
    }
    mlsim_layout_hide_expert_comm(k, 7, t);
    static const double want[] = {1, 0.25, 2, 0.75, 5, 0, 4};
    for (int i = 0; i < 7; i++)
        assert_near(t[i], want[i], 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_counts), cmocka_unit_test(test_which_layers),
        cmocka_unit_test(test_count_layers),     cmocka_unit_test(test_load),
        cmocka_unit_test(test_workload),         cmocka_unit_test(test_expert_tensor),
        cmocka_unit_test(test_stages_add_up),    cmocka_unit_test(test_layout_rule),
        cmocka_unit_test(test_all_to_all_cost),  cmocka_unit_test(test_mla_flops),
        cmocka_unit_test(test_overlap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
