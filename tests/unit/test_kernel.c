/* The kernel model under precision recipes: the recipe table (precision.h) against the frameworks'
 * own descriptions, the two matmul rates an fp8 or int8 run gets, the uncalibrated-ceiling flag,
 * and the kernels and bytes Transformer Engine's fp8 adds to a GPT layer, counted by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/kernel.h"
#include "mlsim/precision.h"
#include "mlsim/workload.h"

#include "check.h"

static void test_recipe_table(void **state)
{
    (void)state;
    for (int p = 0; p < MLSIM_PRECISION_N; p++) /* one row per word, in the vocabulary's order */
        assert_string_equal(mlsim_precision_recipe(p)->name, mlsim_precision_names[p]);
    const struct mlsim_precision_type *bf = mlsim_precision_recipe(MLSIM_PRECISION_BF16);
    const struct mlsim_precision_type *f8 = mlsim_precision_recipe(MLSIM_PRECISION_FP8);
    const struct mlsim_precision_type *i8 = mlsim_precision_recipe(MLSIM_PRECISION_INT8);
    assert_false(mlsim_precision_is_split(bf));
    assert_false(mlsim_precision_is_split(mlsim_precision_recipe(MLSIM_PRECISION_FP32)));
    /* TE: FP8 linear GEMMs on one-byte operands, bf16 for the rest and for stored tensors; the
     * cast-transpose reads 2 bytes and writes the FP8 copy and its transpose (1 + 1) */
    assert_true(mlsim_precision_is_split(f8));
    assert_int_equal(f8->compute, MLSIM_PRECISION_BF16);
    assert_int_equal(f8->linear, MLSIM_PRECISION_FP8);
    assert_near(f8->act_bytes, 2.0, 0);
    assert_near(f8->linear_in_bytes, 1.0, 0);
    assert_near(f8->cast_bytes, 4.0, 0);
    /* AQT: int8 dense matmuls, bf16 elsewhere; a quantize pass reads 2 and writes 1 */
    assert_int_equal(i8->compute, MLSIM_PRECISION_BF16);
    assert_int_equal(i8->linear, MLSIM_PRECISION_INT8);
    assert_near(i8->cast_bytes, 3.0, 0);
    assert_near(i8->serve_bytes, 1.0, 0); /* int8 inference serves int8 weights */
    assert_near(mlsim_precision_elem_bytes(MLSIM_PRECISION_INT8), 2.0, 0);
    /* out of range: bf16's */
    assert_ptr_equal(mlsim_precision_recipe(-1), bf);
    assert_ptr_equal(mlsim_precision_recipe(MLSIM_PRECISION_N), bf);
}

/* An H100-like device, round numbers: bf16 1000 TFLOP/s, fp8 2000, fp32 50, 3 TB/s. */
static void device(struct mlsim_device *d, double gemm, double fp8)
{
    memset(d, 0, sizeof *d);
    strcpy(d->id, "test-gpu");
    d->peak_flops[MLSIM_PRECISION_BF16] = 1000e12;
    d->peak_flops[MLSIM_PRECISION_FP8] = 2000e12;
    d->peak_flops[MLSIM_PRECISION_FP32] = 50e12;
    d->mem_bw_Bps = 3e12;
    d->calibration.gemm_efficiency = gemm;
    d->calibration.fp8_gemm_efficiency = fp8;
    d->calibration.launch_s = 2e-6;
}

static void test_two_rates(void **state)
{
    (void)state;
    struct mlsim_device d;
    struct mlsim_kernel_model km;
    device(&d, 0.8, 0.7);
    mlsim_kernel_model_init(&d, MLSIM_PRECISION_FP8, &km);
    assert_near(km.peak_flops, 1000e12, 0);
    assert_near(km.linear_flops, 2000e12, 0);
    assert_near(km.linear_eff, 0.7, 0);
    assert_true(km.linear_measured);
    /* 8192^3 GEMM: 2 x 8192^3 = 1.0995e12 FLOP; 3 x 8192^2 x 2 bytes = 403 MB (0.15 ms at 3 TB/s
     * x 0.88), so compute-bound: linear 1.0995e12 / (2000e12 x 0.7) = 785.4 us, the same GEMM
     * outside a linear layer 1.0995e12 / (1000e12 x 0.8) = 1374.4 us, each + 2 us */
    double n = 8192, f = 2 * n * n * n;
    struct mlsim_kernel g = {"g", MLSIM_KERNEL_GEMM, 0, 0, n, n, n, 1, f, 3 * n * n * 2, 0, 0, 1};
    assert_rel(mlsim_kernel_time(&km, &g), 2e-6 + f / (2000e12 * 0.7), 1e-12);
    g.linear = 0;
    assert_rel(mlsim_kernel_time(&km, &g), 2e-6 + f / (1000e12 * 0.8), 1e-12);
    struct mlsim_kernel att = {"a", MLSIM_KERNEL_ATTENTION, 0, 0, 0, 0, 0, 1, f, 0, 0, 0, 0};
    assert_rel(mlsim_kernel_time(&km, &att), 2e-6 + f / (1000e12 * 0.8), 1e-12);
    /* a device figure of its own for FlashAttention's kernels (the H100's 35%, Shah et al. 2024):
     * the fused attention at 1000e12 x 0.35, GEMMs unchanged */
    d.calibration.flash_efficiency = 0.35;
    mlsim_kernel_model_init(&d, MLSIM_PRECISION_FP8, &km);
    assert_rel(mlsim_kernel_time(&km, &att), 2e-6 + f / (1000e12 * 0.35), 1e-12);
    assert_rel(mlsim_kernel_time(&km, &g), 2e-6 + f / (1000e12 * 0.8), 1e-12);
    /* no fp8 figure: the 16-bit efficiency is carried and said to be */
    device(&d, 0.8, 0);
    mlsim_kernel_model_init(&d, MLSIM_PRECISION_FP8, &km);
    assert_near(km.linear_eff, 0.8, 0);
    assert_false(km.linear_measured);
    /* uniform (inference): everything at the fp8 peak */
    mlsim_kernel_model_init_uniform(&d, MLSIM_PRECISION_FP8, &km);
    assert_near(km.peak_flops, 2000e12, 0);
    assert_near(km.linear_flops, 2000e12, 0);
    /* bf16: one rate */
    mlsim_kernel_model_init(&d, MLSIM_PRECISION_BF16, &km);
    assert_near(km.linear_flops, km.peak_flops, 0);
    /* a device with int8 alone (the TPU v1) runs the int8 recipe's matmuls at int8 */
    memset(d.peak_flops, 0, sizeof d.peak_flops);
    d.peak_flops[MLSIM_PRECISION_INT8] = 92e12;
    mlsim_kernel_model_init(&d, MLSIM_PRECISION_INT8, &km);
    assert_near(km.peak_flops, 92e12, 0);
    assert_near(km.linear_flops, 92e12, 0);
}

static void test_ceiling_flag(void **state)
{
    (void)state;
    struct mlsim_device d;
    struct mlsim_kernel_model km;
    char buf[512];
    device(&d, 0.8, 0);
    mlsim_kernel_model_init(&d, MLSIM_PRECISION_BF16, &km);
    assert_false(km.gemm_ceiling); /* fitted to work (the A100's layer fit, say) */
    assert_string_equal(mlsim_kernel_ceiling_text(&d, &km, buf, sizeof buf), "");
    d.calibration.gemm_ceiling = MLSIM_BOOL_TRUE;
    mlsim_kernel_model_init(&d, MLSIM_PRECISION_BF16, &km);
    assert_true(km.gemm_ceiling);
    assert_non_null(strstr(mlsim_kernel_ceiling_text(&d, &km, buf, sizeof buf),
                           "test-gpu: UNCALIBRATED ceiling"));
    assert_non_null(strstr(buf, "errs optimistic"));
    assert_non_null(strstr(buf, "without a size falloff"));
    d.calibration.gemm_efficiency = 0; /* no calibration at all: the default, flagged */
    mlsim_kernel_model_init(&d, MLSIM_PRECISION_BF16, &km);
    assert_true(km.gemm_ceiling);
    assert_non_null(strstr(mlsim_kernel_ceiling_text(&d, &km, buf, sizeof buf), "default"));
    /* no room: BUF untouched */
    assert_ptr_equal(mlsim_kernel_ceiling_text(&d, &km, buf, 0), buf);
    assert_non_null(strstr(buf, "default"));
}

enum { H = 1024, A = 8, S = 512, B = 2, V = 1000 };

static struct mlsim_workload_spec layer(int precision)
{
    struct mlsim_workload_spec s;
    memset(&s, 0, sizeof s);
    s.model.layers = 1;
    s.model.hidden = H;
    s.model.heads = A;
    s.model.seq_len = S;
    s.model.vocab = V;
    s.micro_batch = B;
    s.attention = MLSIM_ATTENTION_FLASH;
    s.optimizer = MLSIM_OPTIMIZER_ADAM;
    s.recipe = mlsim_precision_recipe(precision);
    s.elem_bytes = s.recipe->act_bytes;
    return s;
}

static const struct mlsim_kernel *find(const struct mlsim_kernel *k, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(k[i].name, name) == 0)
            return &k[i];
    }
    return NULL;
}

static void test_fp8_layer(void **state)
{
    (void)state;
    struct mlsim_workload bf, f8;
    struct mlsim_workload_spec s = layer(MLSIM_PRECISION_BF16);
    assert_int_equal(mlsim_workload_build(&s, &bf), MLSIM_OK);
    s = layer(MLSIM_PRECISION_FP8);
    assert_int_equal(mlsim_workload_build(&s, &f8), MLSIM_OK);
    double t = (double)B * S, h = H;
    /* qkv forward: (t x h) x (h x 3h): bf16 moves 2 (t h + 3 h^2 + 3 t h); fp8 reads its inputs at
     * 1 byte and writes bf16: t h + 3 h^2 + 2 x 3 t h */
    const struct mlsim_kernel *q = find(f8.fwd, f8.n_fwd, "qkv");
    assert_non_null(q);
    assert_true(q->linear);
    assert_rel(q->bytes, t * h + 3 * h * h + 6 * t * h, 1e-15);
    assert_rel(find(bf.fwd, bf.n_fwd, "qkv")->bytes, 2 * (t * h + 3 * h * h + 3 * t * h), 1e-15);
    assert_false(find(bf.fwd, bf.n_fwd, "qkv")->linear);
    /* the cast-transpose before it: (t h + 3 h^2) elements x 4 bytes */
    const struct mlsim_kernel *c = find(f8.fwd, f8.n_fwd, "cast");
    assert_non_null(c);
    assert_int_equal(c->kind, MLSIM_KERNEL_MEMORY);
    assert_rel(c->bytes, 4 * (t * h + 3 * h * h), 1e-15);
    assert_null(find(bf.fwd, bf.n_fwd, "cast"));
    /* four linear GEMMs per layer: four casts forward and four backward, none for the head */
    size_t casts = 0;
    for (size_t i = 0; i < f8.n_fwd; i++)
        casts += strcmp(f8.fwd[i].name, "cast") == 0;
    assert_int_equal(casts, 4);
    assert_int_equal(f8.n_fwd, bf.n_fwd + 4);
    assert_int_equal(f8.n_bwd, bf.n_bwd + 4);
    assert_false(find(f8.fwd, f8.n_fwd, "logits")->linear);
    assert_false(find(f8.fwd, f8.n_fwd, "attn.flash")->linear);
    /* the recipe moves bytes, not FLOPs; the states stay 2 + 2 + 4 + 4 + 4 (ZeRO paper, Sec. 3.1:
     * fp32 master weights and both Adam moments), as in bf16 */
    assert_rel(f8.hw_flops_per_micro, bf.hw_flops_per_micro, 1e-15);
    assert_rel(f8.state_bytes_per_param, 16.0, 0);
    assert_rel(bf.state_bytes_per_param, 16.0, 0);
    assert_rel(f8.act_bytes_per_micro, bf.act_bytes_per_micro, 1e-15);
    mlsim_workload_release(&bf);
    mlsim_workload_release(&f8);
    /* no recipe: the bf16 recipe's kernels exactly */
    s = layer(MLSIM_PRECISION_BF16);
    s.recipe = NULL;
    struct mlsim_workload none;
    assert_int_equal(mlsim_workload_build(&s, &none), MLSIM_OK);
    s = layer(MLSIM_PRECISION_BF16);
    assert_int_equal(mlsim_workload_build(&s, &bf), MLSIM_OK);
    assert_int_equal(none.n_fwd, bf.n_fwd);
    for (size_t i = 0; i < bf.n_fwd; i++)
        assert_true(none.fwd[i].bytes == bf.fwd[i].bytes);
    mlsim_workload_release(&bf);
    mlsim_workload_release(&none);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipe_table),
        cmocka_unit_test(test_two_rates),
        cmocka_unit_test(test_ceiling_flag),
        cmocka_unit_test(test_fp8_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
