/* The layer fit: on times a known GEMM efficiency produces it gives that efficiency back; a layer's
 * time splits as the kernel model says (a GEMM-bound layer's time falls as the efficiency rises);
 * files of layer timings with faults are rejected with their place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/layerfit.h"
#include "mlsim/scenario.h"

#include "check.h"

/* An A100-like device by hand: 312 TFLOP/s fp16, 2.039 TB/s, a 300 GB/s-per-direction NVLink. */
static void device(struct mlsim_device *dev)
{
    memset(dev, 0, sizeof *dev);
    snprintf(dev->id, sizeof dev->id, "test-gpu");
    dev->peak_flops[MLSIM_PRECISION_FP16] = 312e12;
    dev->peak_flops[MLSIM_PRECISION_FP32] = 19.5e12;
    dev->mem_bw_Bps = 2.039e12;
    snprintf(dev->links[0].name, sizeof dev->links[0].name, "nvlink3");
    dev->links[0].type = MLSIM_LINK_NVLINK;
    dev->links[0].bw_each_Bps = 300e9;
    dev->n_links = 1;
}

/* The layer of Korthikanti et al. Table 4 (hidden 6144, 64 heads, tp 8, micro-batch 4), in the
 * five settings, with times to be filled. */
static void layers(struct mlsim_layer_data *data)
{
    memset(data, 0, sizeof *data);
    snprintf(data->device, sizeof data->device, "test-gpu");
    snprintf(data->link, sizeof data->link, "nvlink3");
    data->precision = MLSIM_PRECISION_FP16;
    data->hidden = 6144;
    data->heads = 64;
    data->seq_len = 2048;
    data->micro_batch = 4;
    data->tp = 8;
    int settings[5][2] = {{MLSIM_RECOMPUTE_NONE, 0},
                          {MLSIM_RECOMPUTE_NONE, 1},
                          {MLSIM_RECOMPUTE_FULL, 0},
                          {MLSIM_RECOMPUTE_SELECTIVE, 0},
                          {MLSIM_RECOMPUTE_SELECTIVE, 1}};
    for (int i = 0; i < 5; i++) {
        data->rows[i].recompute = settings[i][0];
        data->rows[i].sequence_parallel = settings[i][1];
    }
    data->n_rows = 5;
}

/* The device, the Table 4 layer (with HIDDEN and TP as given) and their models. */
struct fixture {
    struct mlsim_device dev;
    struct mlsim_layer_data data;
    struct mlsim_kernel_model km;
    struct mlsim_link_cost link;
};

static void setup(struct fixture *f, int hidden, int tp)
{
    device(&f->dev);
    layers(&f->data);
    f->data.hidden = hidden;
    f->data.tp = tp;
    assert_int_equal(mlsim_layerfit_models(&f->data, &f->dev, &f->km, &f->link), MLSIM_OK);
}

/* Times made at GEMM efficiency 0.55, then scaled by 1.02 / 0.98 alternately (noise the fit must
 * average out): the fit returns 0.55 to within its error, and exactly on the clean times. */
static void test_recovers_known_efficiency(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 6144, 8);
    struct mlsim_layer_data data = f.data;
    struct mlsim_kernel_model km = f.km;
    struct mlsim_link_cost link = f.link;
    assert_rel(link.bw_Bps, 300e9 * MLSIM_LINK_EFFICIENCY_NVLINK, 1e-15);
    km.gemm_eff = 0.55;
    for (int i = 0; i < data.n_rows; i++) {
        struct mlsim_workload_spec spec;
        mlsim_layerfit_spec(&data, &data.rows[i], &spec);
        assert_int_equal(
            mlsim_layer_time(&km, &link, &spec, &data.rows[i].forward_s, &data.rows[i].backward_s),
            MLSIM_OK);
    }
    struct mlsim_layerfit fit;
    assert_int_equal(mlsim_layerfit_fit(&data, &f.dev, &fit), MLSIM_OK);
    assert_near(fit.gemm_eff, 0.55, 1e-5);
    assert_true(fit.rms_rel < 1e-6);
    assert_int_equal(fit.n_points, 10);
    for (int i = 0; i < data.n_rows; i++) {
        data.rows[i].forward_s *= i % 2 ? 0.98 : 1.02;
        data.rows[i].backward_s *= i % 2 ? 1.02 : 0.98;
    }
    assert_int_equal(mlsim_layerfit_fit(&data, &f.dev, &fit), MLSIM_OK);
    assert_true(fit.sigma > 0);
    assert_true(fabs(fit.gemm_eff - 0.55) < 3 * fit.sigma + 0.01);
    assert_true(fit.rms_rel > 0.01 && fit.rms_rel < 0.03);
}

/* Without tensor parallelism a layer's forward is its weight GEMMs, 24 b s h^2 FLOPs (QKV 6, proj
 * 2, MLP 16) at peak x efficiency, plus kernels that do not depend on the efficiency: the memory-
 * bound ones and the attention GEMMs. Those are memory-bound here: each of the 256 (b x heads)
 * 2048 x 2048 x 128 products moves (2 x 2048 x 128 + 2048^2) x 2 bytes, 2.68 GB in all, 1.50 ms at
 * 2.039 TB/s x 0.88, against 275 GFLOP in 1.26 ms at 312 TFLOP/s x 0.7. So forward(0.7) -
 * forward(0.9) = 24 b s h^2 / peak x (1/0.7 - 1/0.9), and the backward's two GEMMs per weight GEMM
 * give twice that; hidden 8192, b s = 8192 tokens. */
static void test_layer_time_splits(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 8192, 1);
    struct mlsim_kernel_model km = f.km;
    struct mlsim_workload_spec spec;
    mlsim_layerfit_spec(&f.data, &f.data.rows[0], &spec);
    double f1, b1, f2, b2;
    km.gemm_eff = 0.7;
    assert_int_equal(mlsim_layer_time(&km, &f.link, &spec, &f1, &b1), MLSIM_OK);
    km.gemm_eff = 0.9;
    assert_int_equal(mlsim_layer_time(&km, &f.link, &spec, &f2, &b2), MLSIM_OK);
    double t = 4.0 * 2048, h = 8192, gemm = 24.0 * t * h * h / 312e12;
    assert_rel(f1 - f2, gemm * (1 / 0.7 - 1 / 0.9), 1e-9);
    assert_rel(b1 - b2, 2.0 * gemm * (1 / 0.7 - 1 / 0.9), 1e-9);
}

/* The committed Table 4 file reads back as the paper's numbers (Korthikanti et al. 2022, Table 4,
 * typed here again from the paper: forward / backward ms). */
static void test_reads_table4(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_layer_data data;
    assert_int_equal(
        mlsim_layerfit_read(MLSIM_TEST_VALIDATE "/published/korthikanti2022_table4.yaml", &data, d),
        MLSIM_OK);
    assert_int_equal(mlsim_diags_errors(d), 0);
    assert_string_equal(data.device, "a100-sxm4-80gb");
    assert_int_equal(data.precision, MLSIM_PRECISION_FP16);
    assert_int_equal(data.tp, 8);
    assert_int_equal(data.micro_batch, 4);
    assert_int_equal(data.hidden, 6144);
    assert_int_equal(data.n_rows, 5);
    double want[5][2] = {{7.7, 11.9}, {7.2, 11.8}, {7.7, 19.5}, {7.7, 13.2}, {7.2, 13.1}};
    for (int i = 0; i < 5; i++) {
        assert_rel(data.rows[i].forward_s, want[i][0] * 1e-3, 1e-12);
        assert_rel(data.rows[i].backward_s, want[i][1] * 1e-3, 1e-12);
    }
    assert_int_equal(data.rows[2].recompute, MLSIM_RECOMPUTE_FULL);
    assert_int_equal(data.rows[4].sequence_parallel, 1);
    mlsim_layerfit_release(&data);
    mlsim_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovers_known_efficiency),
        cmocka_unit_test(test_layer_time_splits),
        cmocka_unit_test(test_reads_table4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
