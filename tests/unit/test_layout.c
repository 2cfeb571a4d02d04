/* The layout: the one tiling rule, the groups' links by hand, memory in closed form equal to the
 * simulation's, and the chooser. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/layout.h"
#include "mlsim/run.h"
#include "mlsim/scenario.h"

/* GPT-3 175B on 1024 A100s in DGX A100 nodes (scenarios/gpt3_a100_simulated.yaml), TP and PP and
 * batch given on the command line of each test. */
static const char gpt3[] =
    "name: gpt3\nmode: simulate\n"
    "model: {layers: 96, hidden: 12288, heads: 96, seq_len: 2048, vocab: 51200, tokens: 300B}\n"
    "hardware: {system: dgx-a100-80gb-hdr, count: 1024}\nprecision: bf16\n"
    "training: {tp: 8, pp: 16, micro_batch: 1, global_batch: 1536, recompute: full, "
    "attention: plain}\n";

struct fixture {
    struct mlsim_diags *d;
    struct mlsim_hwdb *db;
    struct mlsim_scenario *sc;
};

static const struct mlsim_run *load(struct fixture *f, const char *text)
{
    char path[] = "/tmp/mlsim-layout-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    f->d = mlsim_diags_alloc();
    f->db = mlsim_hwdb_alloc(MLSIM_TEST_HWDB);
    assert_int_equal(mlsim_scenario_load(path, f->d, &f->sc), MLSIM_OK);
    unlink(path);
    assert_int_equal(mlsim_scenario_resolve(f->sc, f->db, f->d), MLSIM_OK);
    return &f->sc->runs[0];
}

static void release(struct fixture *f)
{
    mlsim_scenario_free(f->sc);
    mlsim_hwdb_free(f->db);
    mlsim_diags_free(f->d);
}

static void test_tiling_rule(void **state)
{
    (void)state;
    /* Llama 2 70B: 64 heads, 8 KV heads, 80 layers */
    struct mlsim_model_spec m = {.layers = 80, .hidden = 8192, .heads = 64, .kv_heads = 8};
    struct mlsim_layout l = {.tp = 8,
                             .pp = 4,
                             .micro_batch = 1,
                             .global_batch = 1024,
                             .schedule = MLSIM_SCHEDULE_1F1B,
                             .interleave = 1};
    assert_int_equal(mlsim_layout_check(&m, 1024, 8, &l), MLSIM_LAYOUT_OK); /* dp 32 */
    assert_int_equal(mlsim_layout_check(&m, 1000, 8, &l), MLSIM_LAYOUT_DEVICES);
    l.tp = 16; /* 8 KV heads on 16 ranks: Megatron-LM replicates each on two */
    assert_int_equal(mlsim_layout_check(&m, 1024, 16, &l), MLSIM_LAYOUT_OK);
    struct mlsim_model_spec odd = m;
    odd.heads = 96;     /* 96 heads and 8 KV heads on 12 ranks: neither divides the other */
    odd.hidden = 12288; /* 96 heads of 128 */
    l.tp = 12;
    assert_int_equal(mlsim_layout_check(&odd, 1536, 16, &l), MLSIM_LAYOUT_HEADS);
    struct mlsim_model_spec no_heads = m;
    no_heads.heads = 48; /* 8192 wide does not split into 48 heads, whatever the layout */
    assert_int_equal(mlsim_layout_check(&no_heads, 1536, 16, &l), MLSIM_LAYOUT_SHAPE);
    l.tp = 8;
    l.pp = 3; /* 80 layers do not split into 3 */
    assert_int_equal(mlsim_layout_check(&m, 1032, 8, &l), MLSIM_LAYOUT_LAYERS);
    l.pp = 4;
    assert_int_equal(mlsim_layout_check(&m, 1024, 4, &l), MLSIM_LAYOUT_NODE);
    l.global_batch = 1000; /* not a multiple of 1 x 32 */
    assert_int_equal(mlsim_layout_check(&m, 1024, 8, &l), MLSIM_LAYOUT_BATCH);
    l.global_batch = 32 * 6; /* 6 micro-batches per pipeline, not a multiple of pp 4 */
    l.schedule = MLSIM_SCHEDULE_INTERLEAVED;
    l.interleave = 2;
    assert_int_equal(mlsim_layout_check(&m, 1024, 8, &l), MLSIM_LAYOUT_INTERLEAVE);
    l.interleave = 3; /* 80 layers do not split into 4 x 3 chunks */
    assert_int_equal(mlsim_layout_check(&m, 1024, 8, &l), MLSIM_LAYOUT_LAYERS);
    /* products in 64 bits: 65536 x 65536 would overflow an int to 0 and divide by it */
    l = (struct mlsim_layout){
        .tp = 65536, .pp = 65536, .micro_batch = 65536, .global_batch = 1, .interleave = 1};
    assert_int_equal(mlsim_layout_check(&m, 1024, 0, &l), MLSIM_LAYOUT_DEVICES);
    struct mlsim_model_spec mlp = {.type = MLSIM_MODEL_MLP};
    l = (struct mlsim_layout){.tp = 2, .pp = 1, .micro_batch = 1, .global_batch = 4};
    assert_int_equal(mlsim_layout_check(&mlp, 4, 8, &l), MLSIM_LAYOUT_MLP);
}

/* Uneven pipelines, by hand. Llama 3 405B: 126 layers on 16 stages (Dubey et al. 2024, Sec. 3.3.2
 * takes one layer each from the first and the last stage, which hold the embedding and the head)
 * as first 7 and last 7, the 14 stages between holding (126 - 14) / 14 = 8 each. BLOOM 176B: 70
 * layers on 12 stages (Scao et al. 2022: tp 4, pp 12, dp 8 on 384 GPUs), written here as first 5
 * and last 5, the 10 between (70 - 10) / 10 = 6. */
static void test_uneven_stages(void **state)
{
    (void)state;
    struct mlsim_model_spec llama = {.layers = 126, .hidden = 16384, .heads = 128, .kv_heads = 8};
    struct mlsim_layout l = {.tp = 8,
                             .pp = 16,
                             .micro_batch = 1,
                             .global_batch = 2048,
                             .schedule = MLSIM_SCHEDULE_1F1B,
                             .interleave = 1};
    assert_int_equal(mlsim_layout_check(&llama, 16384, 8, &l), MLSIM_LAYOUT_LAYERS);
    l.first_stage_layers = l.last_stage_layers = 7;
    assert_int_equal(mlsim_layout_check(&llama, 16384, 8, &l), MLSIM_LAYOUT_OK);
    int first, count;
    assert_true(mlsim_layout_stage_layers(&l, 126, 0, 16, &first, &count));
    assert_int_equal(first, 0);
    assert_int_equal(count, 7);
    assert_true(mlsim_layout_stage_layers(&l, 126, 1, 16, &first, &count));
    assert_int_equal(first, 7);
    assert_int_equal(count, 8);
    assert_true(mlsim_layout_stage_layers(&l, 126, 14, 16, &first, &count));
    assert_int_equal(first, 7 + 13 * 8); /* 111 */
    assert_int_equal(count, 8);
    assert_true(mlsim_layout_stage_layers(&l, 126, 15, 16, &first, &count));
    assert_int_equal(first, 119);
    assert_int_equal(count, 7);
    /* first 8, last 7: 111 layers do not split among 14 stages */
    l.first_stage_layers = 8;
    assert_int_equal(mlsim_layout_check(&llama, 16384, 8, &l), MLSIM_LAYOUT_STAGES);
    /* only the first given: 126 - 6 = 120 among the other 15 stages, 8 each */
    l.first_stage_layers = 6;
    l.last_stage_layers = 0;
    assert_int_equal(mlsim_layout_check(&llama, 16384, 8, &l), MLSIM_LAYOUT_OK);
    assert_true(mlsim_layout_stage_layers(&l, 126, 15, 16, &first, &count));
    assert_int_equal(first, 118);
    assert_int_equal(count, 8);
    /* interleaved, each stage's layers split into its chunks (Megatron-LM asserts
     * num_layers_per_pipeline_rank % vp_size == 0): 7 do not split in 2 */
    l.first_stage_layers = l.last_stage_layers = 7;
    l.schedule = MLSIM_SCHEDULE_INTERLEAVED;
    l.interleave = 2;
    assert_int_equal(mlsim_layout_check(&llama, 16384, 8, &l), MLSIM_LAYOUT_STAGES);
    char buf[256];
    mlsim_layout_fault_text(MLSIM_LAYOUT_STAGES, &llama, 16384, 8, &l, buf, sizeof buf);
    assert_non_null(strstr(buf, "the other 112 layers to split evenly"));
    assert_non_null(strstr(buf, "into its 2 interleaved chunks"));
    /* first 6, the rest even: 120 / 15 = 8 a stage, 3 and 4 a chunk */
    l.first_stage_layers = 6;
    l.last_stage_layers = 0;
    assert_int_equal(mlsim_layout_check(&llama, 16384, 8, &l), MLSIM_LAYOUT_OK);
    struct mlsim_model_spec bloom = {.layers = 70, .hidden = 14336, .heads = 112};
    l = (struct mlsim_layout){.tp = 4,
                              .pp = 12,
                              .micro_batch = 2,
                              .global_batch = 2048,
                              .schedule = MLSIM_SCHEDULE_1F1B,
                              .interleave = 1,
                              .first_stage_layers = 5,
                              .last_stage_layers = 5};
    assert_int_equal(mlsim_layout_check(&bloom, 384, 8, &l), MLSIM_LAYOUT_OK);
    assert_true(mlsim_layout_stage_layers(&l, 70, 10, 12, &first, &count));
    assert_int_equal(first, 5 + 9 * 6);
    assert_int_equal(count, 6);
    /* the same model on even stages is refused, as before */
    l.first_stage_layers = l.last_stage_layers = 0;
    assert_int_equal(mlsim_layout_check(&bloom, 384, 8, &l), MLSIM_LAYOUT_LAYERS);
}

/* ZeRO-3's buffers by hand: a unit of 1e9 parameters in bf16, prefetched one ahead, holds 2 units
 * gathered (4 GB) and one unit's gradient (2 GB) beyond the shards. */
static void test_zero3_buffers(void **state)
{
    (void)state;
    assert_rel(mlsim_layout_zero3_buffer_bytes(1e9, 2, 2, 8, MLSIM_SHARD_ZERO3), 6e9, 1e-15);
    assert_rel(mlsim_layout_zero3_buffer_bytes(1e9, 2, 2, 8, MLSIM_SHARD_ZERO2), 0, 0);
    assert_rel(mlsim_layout_zero3_buffer_bytes(1e9, 2, 2, 1, MLSIM_SHARD_ZERO3), 0, 0);
}

static void test_groups_by_hand(void **state)
{
    struct fixture f = {0};
    (void)state;
    const struct mlsim_run *r = load(&f, gpt3);
    struct mlsim_layout l;
    struct mlsim_layout_groups g;
    mlsim_layout_of_run(r, &l);
    assert_int_equal(l.dp, 8);             /* 1024 / (8 x 16) */
    assert_int_equal(l.microbatches, 192); /* 1536 / (1 x 8) */
    mlsim_layout_groups(r, &l, &g);
    assert_int_equal(g.g[MLSIM_GROUP_TP].size, 8);
    assert_int_equal(g.g[MLSIM_GROUP_PP].size, 16);
    assert_int_equal(g.g[MLSIM_GROUP_DP].size, 8);
    /* TP on NVLink 3 at NCCL's 80% of 300 GB/s per direction (collective.h) */
    assert_rel(g.g[MLSIM_GROUP_TP].link.bw_Bps, 0.8 * 300e9, 1e-12);
    assert_false(g.g[MLSIM_GROUP_TP].crosses_network);
    /* a stage is tp x dp = 64 devices, 8 nodes: pipeline and data-parallel traffic leave the node;
     * each GPU's share of the node's 1600 Gb/s HDR at 96%: 200e9 / 8 x 0.96 / 8 = 24 GB/s */
    assert_true(g.g[MLSIM_GROUP_PP].crosses_network);
    assert_true(g.g[MLSIM_GROUP_DP].crosses_network);
    assert_rel(g.g[MLSIM_GROUP_DP].link.bw_Bps, 200e9 * 0.96 / 8.0, 1e-12);
    /* tp 8 fills the node: one rank of each data-parallel group per node, a flat ring */
    assert_int_equal(g.g[MLSIM_GROUP_DP].per_node, 1);
    assert_true(g.share_nic);
    release(&f);
}

static void test_memory_equals_the_simulation(void **state)
{
    struct fixture f = {0};
    (void)state;
    const struct mlsim_run *r = load(&f, gpt3);
    struct mlsim_layout l;
    struct mlsim_layout_memory mem;
    struct mlsim_layout_work *w = mlsim_layout_work_alloc();
    mlsim_layout_of_run(r, &l);
    assert_int_equal(mlsim_layout_memory(w, r, &l, &mem), MLSIM_OK);
    struct mlsim_result res;
    assert_int_equal(mlsim_run_estimate(r, &res, NULL, f.d), MLSIM_OK);
    assert_rel(mem.total_bytes, res.mem_bytes, 1e-12);
    assert_rel(mem.states_bytes, res.mem_states_bytes, 1e-12);
    /* by hand: the first stage's 6 layers (96 / 16), each rank holding 1/8 of the 12 h^2 weights
     * and of the QKV and fc1 biases (7h), all of the two row-parallel biases (2h, replicated) and
     * of the two LayerNorms (4h); plus 1/8 of the embeddings (51200 + 2048) x h. 16 bytes each
     * (Adam in mixed precision, ZeRO paper Sec. 3.1). */
    double h = 12288;
    double stage0 = 6.0 * ((12 * h * h + 7 * h) / 8.0 + 6 * h) + (51200.0 + 2048.0) * h / 8.0;
    assert_rel(mem.states_bytes, 16.0 * stage0, 1e-12);
    /* ZeRO-1 over dp 8: 2 + 2 + 12 / 8 bytes per parameter */
    l.sharding = MLSIM_SHARD_ZERO1;
    assert_int_equal(mlsim_layout_memory(w, r, &l, &mem), MLSIM_OK);
    assert_rel(mem.states_bytes, (4.0 + 12.0 / 8.0) * stage0, 1e-12);
    mlsim_layout_work_free(w);
    release(&f);
}

static void test_sharded_bytes(void **state)
{
    (void)state;
    /* ZeRO paper (Rajbhandari et al. 2020) Fig. 1, 16 bytes per parameter in mixed precision
     * over N_d = 64: stage 1 2 + 2 + 12/64, stage 2 2 + 14/64, stage 3 16/64 */
    assert_near(mlsim_layout_sharded_bytes(16, 2, 64, MLSIM_SHARD_NONE), 16.0, 0);
    assert_near(mlsim_layout_sharded_bytes(16, 2, 64, MLSIM_SHARD_ZERO1), 4.0 + 12.0 / 64, 1e-15);
    assert_near(mlsim_layout_sharded_bytes(16, 2, 64, MLSIM_SHARD_ZERO2), 2.0 + 14.0 / 64, 1e-15);
    assert_near(mlsim_layout_sharded_bytes(16, 2, 64, MLSIM_SHARD_ZERO3), 16.0 / 64, 1e-15);
}

static void test_chooser(void **state)
{
    struct fixture f = {0};
    (void)state;
    /* GPT-3 175B from N alone on 1024 A100 80GB: 16 bytes x 175B = 2.8 TB of states; tp 8 in a node
     * leaves 350 GB a stage and 80 GB GPUs: the least pipeline depth whose fullest stage fits */
    const struct mlsim_run *r =
        load(&f, "name: n\nmode: simulate\nmodel: {params: 175B, tokens: 300B}\n"
                 "hardware: {system: dgx-a100-80gb-hdr, count: 1024}\nprecision: bf16\n");
    assert_true(r->layout_derived);
    struct mlsim_layout l;
    struct mlsim_layout_memory mem;
    struct mlsim_layout_work *w = mlsim_layout_work_alloc();
    assert_int_equal(mlsim_layout_choose(w, r, &l), MLSIM_OK);
    assert_int_equal(mlsim_layout_check(&r->model, r->count, r->node_size, &l), MLSIM_LAYOUT_OK);
    assert_int_equal(mlsim_layout_memory(w, r, &l, &mem), MLSIM_OK);
    assert_true(mem.total_bytes <= r->device->mem_bytes);
    /* and nothing with less model parallelism fits: one pipeline stage fewer */
    struct mlsim_layout less = l;
    for (less.pp = l.pp - 1; less.pp >= 1; less.pp--) {
        if (mlsim_layout_check(&r->model, r->count, r->node_size, &less) != MLSIM_LAYOUT_OK)
            continue;
        less.dp = r->count / (less.tp * less.pp);
        less.microbatches = less.global_batch / (less.micro_batch * less.dp);
        assert_int_equal(mlsim_layout_memory(w, r, &less, &mem), MLSIM_OK);
        assert_true(mem.total_bytes > r->device->mem_bytes);
        break;
    }
    mlsim_layout_work_free(w);
    release(&f);
}

/* Context parallelism by hand on GPT-3 175B (2048 tokens, 96 heads) in DGX A100 nodes of 8. */
static void test_context_parallel(void **state)
{
    struct fixture f = {0};
    (void)state;
    struct mlsim_model_spec m = {.type = MLSIM_MODEL_TRANSFORMER,
                                 .layers = 96,
                                 .hidden = 12288,
                                 .heads = 96,
                                 .seq_len = 2048};
    struct mlsim_layout l = {.tp = 4,
                             .pp = 8,
                             .cp = 2,
                             .micro_batch = 1,
                             .global_batch = 64,
                             .schedule = MLSIM_SCHEDULE_1F1B,
                             .interleave = 1};
    /* 4 x 2 x 8 = 64 devices of 128 leave dp 2; 64 = 1 x 2 x 32 micro-batches */
    assert_int_equal(mlsim_layout_check(&m, 128, 8, &l), MLSIM_LAYOUT_OK);
    assert_int_equal(mlsim_layout_check(&m, 96, 8, &l), MLSIM_LAYOUT_DEVICES); /* 96 % 64 */
    char buf[256];
    mlsim_layout_fault_text(MLSIM_LAYOUT_DEVICES, &m, 96, 8, &l, buf, sizeof buf);
    assert_non_null(strstr(buf, "tp x cp x pp (4 x 2 x 8)"));
    l.cp = 3; /* 2048 tokens do not split into 6 chunks */
    assert_int_equal(mlsim_layout_check(&m, 96 * 2, 8, &l), MLSIM_LAYOUT_CONTEXT);
    mlsim_layout_fault_text(MLSIM_LAYOUT_CONTEXT, &m, 192, 8, &l, buf, sizeof buf);
    assert_non_null(strstr(buf, "2 x cp = 6"));
    l.cp = 1024; /* 2048 chunks of one token: still a split (dp 1, 64 micro-batches) */
    assert_int_equal(mlsim_layout_check(&m, 4 * 8 * 1024, 8, &l), MLSIM_LAYOUT_OK);
    l.cp = 2048; /* 4096 chunks of 2048 tokens: no */
    assert_int_equal(mlsim_layout_check(&m, 4 * 8 * 2048, 8, &l), MLSIM_LAYOUT_CONTEXT);
    struct mlsim_model_spec mlp = {.type = MLSIM_MODEL_MLP};
    l = (struct mlsim_layout){.tp = 1, .pp = 1, .cp = 2, .micro_batch = 1, .global_batch = 8};
    assert_int_equal(mlsim_layout_check(&mlp, 8, 8, &l), MLSIM_LAYOUT_CONTEXT);
    /* the groups: tp 4 x cp 2 = 8 fits a node, on NVLink; tp 8 x cp 2 spans two, on the network
     * (200e9 / 8 x 0.96 per GPU as in test_groups_by_hand) */
    struct mlsim_run *r = (struct mlsim_run *)load(&f, gpt3);
    r->training.tp = 4;
    r->training.cp = 2;
    r->training.pp = 16;
    struct mlsim_layout_groups g;
    mlsim_layout_of_run(r, &l);
    assert_int_equal(l.dp, 8); /* 1024 / (4 x 2 x 16) */
    assert_int_equal(mlsim_layout_grad_ranks(&l), 16);
    mlsim_layout_groups(r, &l, &g);
    assert_int_equal(g.g[MLSIM_GROUP_CP].size, 2);
    assert_false(g.g[MLSIM_GROUP_CP].crosses_network);
    assert_rel(g.g[MLSIM_GROUP_CP].link.bw_Bps, 0.8 * 300e9, 1e-12);
    r->training.tp = 8;
    r->training.pp = 8;
    mlsim_layout_of_run(r, &l);
    mlsim_layout_groups(r, &l, &g);
    assert_true(g.g[MLSIM_GROUP_CP].crosses_network);
    assert_rel(g.g[MLSIM_GROUP_CP].link.bw_Bps, 200e9 * 0.96 / 8.0, 1e-12);
    /* memory: ZeRO-1 shards the optimizer over dp x cp = 16 ranks, and the activations of 1024
     * tokens are half those of 2048 (full recomputation keeps 2 s b h per layer) */
    struct mlsim_layout_work *w = mlsim_layout_work_alloc();
    struct mlsim_layout_memory one, two;
    l.sharding = MLSIM_SHARD_ZERO1;
    assert_int_equal(mlsim_layout_memory(w, r, &l, &two), MLSIM_OK);
    struct mlsim_layout l1 = l;
    l1.cp = 1;
    l1.dp = 16;
    l1.microbatches = 1536 / 16;
    assert_int_equal(mlsim_layout_memory(w, r, &l1, &one), MLSIM_OK);
    assert_rel(two.states_bytes, one.states_bytes, 1e-12); /* the same 16-way shards */
    assert_rel(two.act_bytes, one.act_bytes / 2, 1e-12);
    mlsim_layout_work_free(w);
    release(&f);
}

/* Uneven stages interleaved, by hand: 16 layers on 4 stages of 2, 6, 6, 2 layers, 2 chunks each.
 * Megatron-LM's offset (get_transformer_layer_offset) takes chunk c of every rank from the c-th
 * half of the model, 8 layers: rank 0 holds [0, 1) and [8, 9), rank 1 [1, 4) and [9, 12), rank 2
 * [4, 7) and [12, 15), rank 3 [7, 8) and [15, 16): each half covered once, in order. */
static void test_uneven_interleaved(void **state)
{
    (void)state;
    struct mlsim_layout l = {.pp = 4, .first_stage_layers = 2, .last_stage_layers = 2};
    static const int want[8][2] = {{0, 1}, {1, 3}, {4, 3},  {7, 1},
                                   {8, 1}, {9, 3}, {12, 3}, {15, 1}};
    for (int vs = 0; vs < 8; vs++) { /* virtual stage c pp + r */
        int first, count;
        assert_true(mlsim_layout_stage_layers(&l, 16, vs, 8, &first, &count));
        assert_int_equal(first, want[vs][0]);
        assert_int_equal(count, want[vs][1]);
    }
    int first, count;
    l.first_stage_layers = l.last_stage_layers = 1; /* 1 layer does not split in 2 */
    assert_false(mlsim_layout_stage_layers(&l, 16, 0, 8, &first, &count));
    l.first_stage_layers = l.last_stage_layers = 4; /* 8 / 2 = 4 a middle stage: 2 a chunk */
    assert_true(mlsim_layout_stage_layers(&l, 16, 6, 8, &first, &count));
    assert_int_equal(first, 8 + 2 + 2);
    assert_int_equal(count, 2);
    struct mlsim_model_spec m = {
        .type = MLSIM_MODEL_TRANSFORMER, .layers = 16, .hidden = 1024, .heads = 8, .seq_len = 1024};
    l = (struct mlsim_layout){.tp = 1,
                              .pp = 4,
                              .micro_batch = 1,
                              .global_batch = 8,
                              .schedule = MLSIM_SCHEDULE_INTERLEAVED,
                              .interleave = 2,
                              .first_stage_layers = 2,
                              .last_stage_layers = 2};
    assert_int_equal(mlsim_layout_check(&m, 4, 4, &l), MLSIM_LAYOUT_OK);
    l.interleave = 4; /* 6 layers do not split in 4 */
    assert_int_equal(mlsim_layout_check(&m, 4, 4, &l), MLSIM_LAYOUT_STAGES);
}

/* The embedding and the loss counted as a layer each (Megatron-LM's account-for-embedding and
 * account-for-loss split): Llama 3 405B's 126 layers on 16 stages of 4 chunks are 128 places in
 * 64 chunks of 2, by hand: chunk 0 the embedding and layer 0, chunk 1 layers 1-2, chunk c
 * layers 2c - 1 and 2c, chunk 63 layer 125 and the loss. At 8 chunks a stage (128 of 1 place)
 * the first chunk would hold the embedding alone: refused. */
static void test_embedding_in_split(void **state)
{
    (void)state;
    struct mlsim_layout l = {.pp = 16, .embedding_in_split = 1};
    int first, count;
    static const int want[4][3] = {{0, 0, 1}, {1, 1, 2}, {30, 59, 2}, {63, 125, 1}};
    for (int i = 0; i < 4; i++) {
        assert_true(mlsim_layout_stage_layers(&l, 126, want[i][0], 64, &first, &count));
        assert_int_equal(first, want[i][1]);
        assert_int_equal(count, want[i][2]);
    }
    assert_false(mlsim_layout_stage_layers(&l, 126, 0, 128, &first, &count));
    assert_false(mlsim_layout_stage_layers(&l, 125, 0, 64, &first, &count)); /* 127 / 64 */
    struct mlsim_model_spec m = {.type = MLSIM_MODEL_TRANSFORMER,
                                 .layers = 126,
                                 .hidden = 1024,
                                 .heads = 8,
                                 .seq_len = 1024};
    l = (struct mlsim_layout){.tp = 1,
                              .pp = 16,
                              .micro_batch = 1,
                              .global_batch = 16,
                              .schedule = MLSIM_SCHEDULE_INTERLEAVED,
                              .interleave = 4,
                              .embedding_in_split = 1};
    assert_int_equal(mlsim_layout_check(&m, 16, 8, &l), MLSIM_LAYOUT_OK);
    l.interleave = 8;
    assert_int_equal(mlsim_layout_check(&m, 16, 8, &l), MLSIM_LAYOUT_STAGES);
    l.interleave = 4;
    l.first_stage_layers = 7; /* the two ways of evening the ends do not mix */
    assert_int_equal(mlsim_layout_check(&m, 16, 8, &l), MLSIM_LAYOUT_STAGES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiling_rule),
        cmocka_unit_test(test_uneven_stages),
        cmocka_unit_test(test_uneven_interleaved),
        cmocka_unit_test(test_embedding_in_split),
        cmocka_unit_test(test_zero3_buffers),
        cmocka_unit_test(test_groups_by_hand),
        cmocka_unit_test(test_memory_equals_the_simulation),
        cmocka_unit_test(test_sharded_bytes),
        cmocka_unit_test(test_chooser),
        cmocka_unit_test(test_context_parallel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
