/* Workloads against the published formulas: Narayanan et al. 2021 (SC21) Eq. 3 for the FLOPs of a
 * GPT iteration, Korthikanti et al. 2022 Eq. 1 for activation memory, and the lecture's MNIST
 * network's parameter count P(n) = n^2 + 796 n + 10. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/scenario.h"
#include "mlsim/workload.h"

#include "check.h"

enum { L = 24, H = 2048, A = 16, S = 2048, V = 51200, B = 4 };

static struct mlsim_workload_spec gpt(int recompute, int attention)
{
    struct mlsim_workload_spec s;
    memset(&s, 0, sizeof s);
    s.model.layers = L;
    s.model.hidden = H;
    s.model.heads = A;
    s.model.seq_len = S;
    s.model.vocab = V;
    s.micro_batch = B;
    s.recompute = recompute;
    s.attention = attention;
    s.optimizer = MLSIM_OPTIMIZER_ADAM;
    s.elem_bytes = 2;
    return s;
}

static void test_narayanan_eq3_full_recompute(void **state)
{
    (void)state;
    struct mlsim_workload w;
    struct mlsim_workload_spec s = gpt(MLSIM_RECOMPUTE_FULL, MLSIM_ATTENTION_PLAIN);
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_OK);
    /* Eq. 3: F = 96 B s l h^2 (1 + s / (6h) + V / (16 l h)), with recomputation */
    double b = B, sl = S, l = L, h = H, v = V;
    double eq3 = 96.0 * b * sl * l * h * h * (1.0 + sl / (6.0 * h) + v / (16.0 * l * h));
    assert_rel(w.hw_flops_per_micro, eq3, 1e-12);
    /* without the recomputed forward: 72 B s l h^2 (1 + s / (6h) + V / (12 l h)) */
    double model = 72.0 * b * sl * l * h * h * (1.0 + sl / (6.0 * h) + v / (12.0 * l * h));
    assert_rel(w.model_flops_per_micro, model, 1e-12);
    /* the parameter count is Narayanan's (Sec. 5.1) plus the final LayerNorm he leaves out (2h) */
    assert_rel(w.params, 12.0 * l * h * h * (1 + 13 / (12 * h) + (v + sl) / (12 * l * h)) + 2.0 * h,
               1e-15);
    mlsim_workload_release(&w);
}

static void test_recompute_and_flash_flops(void **state)
{
    (void)state;
    struct mlsim_workload none, sel, flash;
    struct mlsim_workload_spec s = gpt(MLSIM_RECOMPUTE_NONE, MLSIM_ATTENTION_PLAIN);
    assert_int_equal(mlsim_workload_build(&s, &none), MLSIM_OK);
    s.recompute = MLSIM_RECOMPUTE_SELECTIVE;
    assert_int_equal(mlsim_workload_build(&s, &sel), MLSIM_OK);
    s = gpt(MLSIM_RECOMPUTE_NONE, MLSIM_ATTENTION_FLASH);
    assert_int_equal(mlsim_workload_build(&s, &flash), MLSIM_OK);
    double attn_fwd = 4.0 * B * (double)S * S * H; /* QK^T and AV, per layer (Korthikanti Sec. 5) */
    assert_rel(none.hw_flops_per_micro, none.model_flops_per_micro, 1e-15);
    assert_rel(sel.hw_flops_per_micro - none.hw_flops_per_micro, L * attn_fwd, 1e-12);
    assert_rel(sel.model_flops_per_micro, none.model_flops_per_micro, 1e-15);
    /* flash: the same model FLOPs; its backward recomputes QK^T (one more 2 b s^2 h per layer) */
    assert_rel(flash.model_flops_per_micro, none.model_flops_per_micro, 1e-12);
    assert_rel(flash.hw_flops_per_micro - none.hw_flops_per_micro, L * attn_fwd / 2.0, 1e-9);
    mlsim_workload_release(&none);
    mlsim_workload_release(&sel);
    mlsim_workload_release(&flash);
}

static void test_korthikanti_activation_memory(void **state)
{
    (void)state;
    struct mlsim_workload w;
    double sbh = (double)S * B * H, logits = 4.0 * S * B * V;
    struct mlsim_workload_spec s = gpt(MLSIM_RECOMPUTE_NONE, MLSIM_ATTENTION_PLAIN);
    mlsim_workload_build(&s, &w);
    /* Eq. 1: s b h (34 + 5 a s / h) per layer: here 34 + 5*16*2048/2048 = 114 */
    assert_rel(w.act_bytes_per_micro, L * sbh * 114.0 + logits, 1e-15);
    mlsim_workload_release(&w);
    s.recompute = MLSIM_RECOMPUTE_SELECTIVE;
    mlsim_workload_build(&s, &w);
    assert_rel(w.act_bytes_per_micro, L * sbh * 34.0 + logits, 1e-15);
    mlsim_workload_release(&w);
    s.recompute = MLSIM_RECOMPUTE_FULL;
    mlsim_workload_build(&s, &w);
    assert_rel(w.act_bytes_per_micro, L * sbh * 2.0 + logits, 1e-15);
    /* mixed-precision Adam: 2 + 2 + 12 bytes per parameter (ZeRO, Sec. 3.1) */
    assert_near(w.state_bytes_per_param, 16.0, 0);
    mlsim_workload_release(&w);
}

static void test_mnist_mlp(void **state)
{
    (void)state;
    for (int n = 16; n <= 4096; n *= 4) {
        struct mlsim_workload_spec s;
        memset(&s, 0, sizeof s);
        s.model.type = MLSIM_MODEL_MLP;
        s.model.widths[0] = 784;
        s.model.widths[1] = n;
        s.model.widths[2] = n;
        s.model.widths[3] = 10;
        s.model.n_widths = 4;
        s.micro_batch = 128;
        s.optimizer = MLSIM_OPTIMIZER_RMSPROP;
        s.elem_bytes = 4;
        struct mlsim_workload w;
        assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_OK);
        double nn = n;
        /* the deck: P(n) = n^2 + 796 n + 10; n = 4096 gives 20,037,642 */
        assert_near(w.params, nn * nn + 796.0 * nn + 10.0, 0);
        if (n == 4096)
            assert_near(w.params, 20037642.0, 0);
        /* GEMM FLOPs: 2 b W forward, 2 b W weight gradients, 2 b (W - 784 n) input gradients
         * (none for the first layer's input), W = 784 n + n^2 + 10 n weights */
        double weights = 784.0 * nn + nn * nn + 10.0 * nn;
        assert_rel(w.model_flops_per_micro, 2.0 * 128 * (3.0 * weights - 784.0 * nn), 1e-12);
        mlsim_workload_release(&w);
    }
}

static void test_bad_shapes(void **state)
{
    (void)state;
    struct mlsim_workload w;
    struct mlsim_workload_spec s = gpt(0, 0);
    s.model.heads = 3; /* does not divide 2048 */
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_ERR_INPUT);
    s = gpt(0, 0);
    s.model.kv_heads = 5;
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_ERR_INPUT);
    memset(&s, 0, sizeof s);
    s.model.type = MLSIM_MODEL_MLP;
    s.model.n_widths = 1;
    s.model.widths[0] = 10;
    s.micro_batch = 1;
    s.elem_bytes = 4;
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_ERR_INPUT);
}

/* Sliding-window attention with flash: each of the s queries attends W = 512 keys, so the
 * attention's forward is 4 b s W h (QK^T and AV over the window), its backward 10 b s W h (Dao et
 * al. 2022: 5 matmuls, one recomputing QK^T), a quarter of the full 2048 x 2048 on every count.
 * The GEMMs are untouched: model FLOPs fall by 3 x 4 b s (S - W) h per layer (forward 1, backward
 * 2, the recomputing matmul not model work). Plain attention masks a full score matrix: no change.
 */
static void test_sliding_window(void **state)
{
    (void)state;
    struct mlsim_workload full, win, plain_full, plain_win;
    struct mlsim_workload_spec s = gpt(MLSIM_RECOMPUTE_NONE, MLSIM_ATTENTION_FLASH);
    assert_int_equal(mlsim_workload_build(&s, &full), MLSIM_OK);
    s.model.window = 512;
    assert_int_equal(mlsim_workload_build(&s, &win), MLSIM_OK);
    double b = B, sl = S, h = H, w = 512;
    assert_rel(full.model_flops_per_micro - win.model_flops_per_micro,
               L * 3.0 * 4.0 * b * sl * (sl - w) * h, 1e-12);
    assert_rel(full.hw_flops_per_micro - win.hw_flops_per_micro,
               L * (4.0 + 10.0) * b * sl * (sl - w) * h, 1e-12);
    s = gpt(MLSIM_RECOMPUTE_NONE, MLSIM_ATTENTION_PLAIN);
    assert_int_equal(mlsim_workload_build(&s, &plain_full), MLSIM_OK);
    s.model.window = 512;
    assert_int_equal(mlsim_workload_build(&s, &plain_win), MLSIM_OK);
    assert_rel(plain_win.hw_flops_per_micro, plain_full.hw_flops_per_micro, 1e-15);
    s = gpt(MLSIM_RECOMPUTE_NONE, MLSIM_ATTENTION_FLASH);
    s.model.window = 4096; /* wider than the sequence: every key */
    mlsim_workload_release(&win);
    assert_int_equal(mlsim_workload_build(&s, &win), MLSIM_OK);
    assert_rel(win.hw_flops_per_micro, full.hw_flops_per_micro, 1e-15);
    mlsim_workload_release(&full);
    mlsim_workload_release(&win);
    mlsim_workload_release(&plain_full);
    mlsim_workload_release(&plain_win);
}

static int count_comm(const struct mlsim_workload *w, int op)
{
    int n = 0;
    for (size_t i = 0; i < w->n_fwd; i++)
        n += w->fwd[i].kind == MLSIM_KERNEL_COMM && w->fwd[i].coll_op == op;
    for (size_t i = 0; i < w->n_bwd; i++)
        n += w->bwd[i].kind == MLSIM_KERNEL_COMM && w->bwd[i].coll_op == op;
    return n;
}

/* The parallel block (PaLM, Sec. 2) by hand, on 2 tensor ranks: one LayerNorm per layer instead
 * of two (2h parameters fewer each), one all-reduce forward and one backward per layer instead of
 * two each (4 L + 2 become 2 L + 2: the embedding's and the logits' input gradient's stay), the
 * same GEMMs and so the same model FLOPs, and 5 s b h bytes fewer activations per layer (one norm
 * input, one shared QKV and fc1 input, one dropout mask). With sequence parallelism, one
 * all-gather and one reduce-scatter each way per layer instead of two. */
static void test_parallel_block(void **state)
{
    (void)state;
    struct mlsim_workload seq, par;
    struct mlsim_workload_spec s = gpt(MLSIM_RECOMPUTE_NONE, MLSIM_ATTENTION_PLAIN);
    s.tp = 2;
    assert_int_equal(mlsim_workload_build(&s, &seq), MLSIM_OK);
    s.model.parallel_block = 1;
    assert_int_equal(mlsim_workload_build(&s, &par), MLSIM_OK);
    double h = H;
    assert_rel(seq.params - par.params, L * 2.0 * h, 1e-12);
    assert_int_equal(count_comm(&seq, MLSIM_COLL_ALL_REDUCE), 4 * L + 2);
    assert_int_equal(count_comm(&par, MLSIM_COLL_ALL_REDUCE), 2 * L + 2);
    assert_rel(par.model_flops_per_micro, seq.model_flops_per_micro, 1e-15);
    assert_rel(seq.act_bytes_per_micro - par.act_bytes_per_micro, L * 5.0 * S * B * h, 1e-12);
    mlsim_workload_release(&seq);
    mlsim_workload_release(&par);
    s.sequence_parallel = 1;
    s.model.parallel_block = 0;
    assert_int_equal(mlsim_workload_build(&s, &seq), MLSIM_OK);
    s.model.parallel_block = 1;
    assert_int_equal(mlsim_workload_build(&s, &par), MLSIM_OK);
    int seq_rs = count_comm(&seq, MLSIM_COLL_REDUCE_SCATTER);
    assert_int_equal(seq_rs - count_comm(&par, MLSIM_COLL_REDUCE_SCATTER), 2 * L);
    assert_int_equal(
        count_comm(&seq, MLSIM_COLL_ALL_GATHER) - count_comm(&par, MLSIM_COLL_ALL_GATHER), 2 * L);
    /* 34 of s b h / t with sequence parallelism become 29 */
    assert_rel(seq.act_bytes_per_micro - par.act_bytes_per_micro, L * 5.0 * S * B * h / 2, 1e-12);
    mlsim_workload_release(&seq);
    mlsim_workload_release(&par);
}

static void test_grouped_query_and_gated(void **state)
{
    (void)state;
    struct mlsim_workload w;
    struct mlsim_workload_spec s = gpt(0, 0);
    s.model.kv_heads = 4;  /* 4 KV heads of 128: K and V are 512 wide */
    s.model.gated_mlp = 1; /* SwiGLU-style: fc1 is two h x f projections */
    s.model.ffn = 5632;
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_OK);
    double h = H, kvd = 512, f = 5632;
    double per_layer =
        (h * (h + 2 * kvd) + h + 2 * kvd) + (h * h + h) + (h * 2 * f + 2 * f) + (f * h + h) + 4 * h;
    /* embeddings, and the final LayerNorm (2h) */
    assert_rel(w.params, L * per_layer + (double)(V + S) * H + 2 * h, 1e-15);
    mlsim_workload_release(&w);
}

/* Bytes of one kernel named NAME in the phase PHASE of W (the first found), or -1. */
static double bytes_of(const struct mlsim_workload *w, const char *name, int phase)
{
    const struct mlsim_kernel *lists[] = {w->fwd, w->bwd, w->opt};
    size_t ns[] = {w->n_fwd, w->n_bwd, w->n_opt};
    for (int l = 0; l < 3; l++) {
        for (size_t i = 0; i < ns[l]; i++) {
            if (strcmp(lists[l][i].name, name) == 0 && lists[l][i].phase == phase)
                return lists[l][i].bytes;
        }
    }
    return -1;
}

/* The memory-bound kernels as Megatron-LM runs them, bytes counted by hand (fp16, e = 2):
 * fused softmax reads and writes 2 + 2 per score, dropout reads 2 and writes 2 + a 1-byte mask;
 * backward: dropout reads 2 + 1 and writes 2, softmax reads 2 + 2 and writes 2. The fp32 cross-
 * entropy moves 38 bytes per logit forward (cast 2 + 4, max 4, subtract 8, exp 8, sum 4, divide 8)
 * and 14 backward (scale 8, cast 4 + 2). The optimizer 54 bytes per parameter with Adam (grads to
 * fp32 6, unscale 8, norm 4, Adam 28, weights back to fp16 6, zeroing 2), 36 in fp32 (norm 4,
 * Adam 28, zeroing 4). */
static void test_megatron_memory_passes(void **state)
{
    (void)state;
    struct mlsim_workload w;
    struct mlsim_workload_spec s = gpt(MLSIM_RECOMPUTE_NONE, MLSIM_ATTENTION_PLAIN);
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_OK);
    double scores = (double)B * A * S * S, logits = (double)B * S * V;
    int F = MLSIM_PHASE_FWD, BW = MLSIM_PHASE_BWD;
    assert_rel(bytes_of(&w, "attn.softmax", F), 4.0 * scores, 1e-15);
    assert_rel(bytes_of(&w, "attn.dropout", F), 5.0 * scores, 1e-15);
    assert_rel(bytes_of(&w, "attn.dropout.bwd", BW), 5.0 * scores, 1e-15);
    assert_rel(bytes_of(&w, "attn.softmax.bwd", BW), 6.0 * scores, 1e-15);
    assert_rel(bytes_of(&w, "softmax.cross_entropy", F), 38.0 * logits, 1e-15);
    assert_rel(bytes_of(&w, "softmax.cross_entropy.bwd", BW), 14.0 * logits, 1e-15);
    assert_rel(bytes_of(&w, "optimizer", MLSIM_PHASE_OPT), 54.0 * w.params, 1e-15);
    mlsim_workload_release(&w);
    s.elem_bytes = 4;
    assert_int_equal(mlsim_workload_build(&s, &w), MLSIM_OK);
    assert_rel(bytes_of(&w, "optimizer", MLSIM_PHASE_OPT), 36.0 * w.params, 1e-15);
    mlsim_workload_release(&w);
}

/* Context parallelism by hand: cp 4 of the sequence of S = 2048 leaves each rank 512 queries,
 * which attend all 2048 keys. Flash forward FLOPs per layer and rank 4 B (S / 4) S h (Dao et al.
 * 2022's 4 N^2 d per head over h = A d), a quarter of cp 1's; the GEMMs see a quarter of the
 * tokens, so the whole micro-batch's model FLOPs are a quarter too. The ring sends one K and V
 * chunk per step: 2 (K, V) x B x 512 tokens x h x 2 bytes = 16 MiB forward, 32 MiB backward
 * (with dK, dV); the all-gather gathers cp of them, and the backward gathers again and
 * reduce-scatters the gradients. */
static void test_context_parallel(void **state)
{
    (void)state;
    struct mlsim_workload one, ring, ag;
    struct mlsim_workload_spec s = gpt(MLSIM_RECOMPUTE_NONE, MLSIM_ATTENTION_FLASH);
    assert_int_equal(mlsim_workload_build(&s, &one), MLSIM_OK);
    s.cp = 4;
    s.cp_algo = MLSIM_CP_ALGO_RING;
    assert_int_equal(mlsim_workload_build(&s, &ring), MLSIM_OK);
    s.cp_algo = MLSIM_CP_ALGO_ALLGATHER;
    assert_int_equal(mlsim_workload_build(&s, &ag), MLSIM_OK);
    assert_rel(ring.model_flops_per_micro, one.model_flops_per_micro / 4, 1e-12);
    assert_rel(ring.params, one.params, 0);
    double chunk = 2.0 * B * (S / 4) * H * 2, flash = 0;
    int rings = 0, ring_bwd = 0, gathers = 0, scatters = 0;
    for (size_t i = 0; i < ring.n_fwd; i++) {
        const struct mlsim_kernel *k = &ring.fwd[i];
        if (k->kind == MLSIM_KERNEL_ATTENTION && flash == 0)
            flash = k->flops;
        if (k->kind == MLSIM_KERNEL_COMM && k->group == MLSIM_GROUP_CP) {
            assert_int_equal(k->coll_op, MLSIM_COLL_SEND_RECV);
            assert_rel(k->bytes, chunk, 1e-15);
            assert_int_equal(ring.fwd[i - 1].kind, MLSIM_KERNEL_ATTENTION); /* what it hides in */
            rings++;
        }
    }
    assert_rel(flash, 4.0 * B * (S / 4) * S * H, 1e-15);
    for (size_t i = 0; i < ring.n_bwd; i++) {
        const struct mlsim_kernel *k = &ring.bwd[i];
        if (k->kind == MLSIM_KERNEL_COMM && k->group == MLSIM_GROUP_CP) {
            assert_rel(k->bytes, 2 * chunk, 1e-15);
            ring_bwd++;
        }
    }
    assert_int_equal(rings, L);
    assert_int_equal(ring_bwd, L);
    for (size_t i = 0; i < ag.n_fwd + ag.n_bwd; i++) {
        const struct mlsim_kernel *k = i < ag.n_fwd ? &ag.fwd[i] : &ag.bwd[i - ag.n_fwd];
        if (k->kind != MLSIM_KERNEL_COMM || k->group != MLSIM_GROUP_CP)
            continue;
        assert_rel(k->bytes, 4 * chunk, 1e-15);
        gathers += k->coll_op == MLSIM_COLL_ALL_GATHER;
        scatters += k->coll_op == MLSIM_COLL_REDUCE_SCATTER;
    }
    assert_int_equal(gathers, 2 * L);
    assert_int_equal(scatters, L);
    /* Korthikanti's s b h (10 + 24) per layer at s = 512 (flash keeps no scores), plus the fp32
     * logits of 512 tokens: a quarter of cp 1's */
    assert_rel(ring.act_bytes_per_micro, one.act_bytes_per_micro / 4, 1e-12);
    mlsim_workload_release(&one);
    mlsim_workload_release(&ring);
    mlsim_workload_release(&ag);
}

/* The ring's overlap by hand: 4 ranks, attention of 2 ms cut in 4 parts of 0.5 ms, transfers of
 * 1 ms: each of the 3 later parts waits 0.5 ms for its chunk, 1.5 ms in all; with attention of
 * 8 ms (parts of 2 ms) every transfer is hidden. Other kernels take their own time. */
static void test_ring_overlap(void **state)
{
    (void)state;
    struct mlsim_kernel k = {"cp.ring.kv",         MLSIM_KERNEL_COMM, 0, 0, 0, 0, 0, 1, 0, 1.0,
                             MLSIM_COLL_SEND_RECV, MLSIM_GROUP_CP,    0};
    assert_rel(mlsim_workload_overlap_s(&k, 4, 1e-3, 2e-3), 1.5e-3, 1e-12);
    assert_rel(mlsim_workload_overlap_s(&k, 4, 1e-3, 8e-3), 0.0, 0);
    k.group = MLSIM_GROUP_TP;
    assert_rel(mlsim_workload_overlap_s(&k, 4, 1e-3, 8e-3), 1e-3, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_narayanan_eq3_full_recompute),
        cmocka_unit_test(test_recompute_and_flash_flops),
        cmocka_unit_test(test_sliding_window),
        cmocka_unit_test(test_parallel_block),
        cmocka_unit_test(test_korthikanti_activation_memory),
        cmocka_unit_test(test_mnist_mlp),
        cmocka_unit_test(test_bad_shapes),
        cmocka_unit_test(test_grouped_query_and_gated),
        cmocka_unit_test(test_megatron_memory_passes),
        cmocka_unit_test(test_context_parallel),
        cmocka_unit_test(test_ring_overlap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
