/* The hardware comparison table: rows and their mu and eta, the headline precision, sparse and
 * hash-rate rows kept apart from dense peaks, sorting, the three output formats, and id matching.
 * Devices are built here from round numbers, so every expected value is a hand calculation. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/hwtable.h"

#include "check.h"

/* A GPU: 10 TFLOP/s fp32, 100 fp16, 80 bf16; $1,000, $2/h, 200 W. */
static void make_gpu(struct mlsim_device *d, const char *id)
{
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", id);
    snprintf(d->name, sizeof d->name, "GPU %s", id);
    d->kind = MLSIM_KIND_GPU;
    d->year = 2020;
    d->peak_flops[MLSIM_PRECISION_FP32] = 10e12;
    d->peak_flops[MLSIM_PRECISION_FP16] = 100e12;
    d->peak_flops[MLSIM_PRECISION_BF16] = 80e12;
    d->price_usd = 1000;
    d->rental_usd_per_s = 2.0 / 3600;
    d->tdp_w = 200;
}

static void test_row_mu_eta(void **state)
{
    (void)state;
    struct mlsim_device g;
    make_gpu(&g, "g");
    struct mlsim_hwtable_row r;
    /* Headline: the largest of fp16, bf16, fp32: fp16's 100 TFLOP/s.
     * mu = 100e12 / 1000 = 1e11 per $; 100e12 / 2 = 5e13 per $/h; eta = 100e12 / 200 = 5e11. */
    mlsim_hwtable_row_fill(&r, &g, MLSIM_HWTABLE_HEADLINE);
    assert_int_equal(r.precision, MLSIM_PRECISION_FP16);
    assert_int_equal(r.basis, MLSIM_HWTABLE_DENSE);
    assert_rel(r.mu_usd, 1e11, 1e-12);
    assert_rel(r.mu_usd_h, 5e13, 1e-12);
    assert_rel(r.eta_w, 5e11, 1e-12);
    /* A precision the device lacks: no figure, no mu, no eta. */
    mlsim_hwtable_row_fill(&r, &g, MLSIM_PRECISION_FP8);
    assert_int_equal(r.basis, MLSIM_HWTABLE_NONE);
    assert_near(r.eta_w, 0.0, 0.0);
    /* Unknown price: mu unknown (0), eta still there. */
    g.price_usd = 0;
    mlsim_hwtable_row_fill(&r, &g, MLSIM_PRECISION_FP32);
    assert_near(r.mu_usd, 0.0, 0.0);
    assert_rel(r.eta_w, 10e12 / 200, 1e-12);
}

static void test_headline_prefers_fast_fp32(void **state)
{
    (void)state;
    /* A P40-like card: fp16 at 1/64 rate (0.184 TFLOP/s) below fp32's 11.76: fp32 is the
     * headline. A supercomputer with fp64 only: fp64. An inference chip with int8 only: int8. */
    struct mlsim_device d;
    struct mlsim_hwtable_row r;
    make_gpu(&d, "p");
    d.peak_flops[MLSIM_PRECISION_FP16] = 0.184e12;
    d.peak_flops[MLSIM_PRECISION_BF16] = 0;
    d.peak_flops[MLSIM_PRECISION_FP32] = 11.76e12;
    mlsim_hwtable_row_fill(&r, &d, MLSIM_HWTABLE_HEADLINE);
    assert_int_equal(r.precision, MLSIM_PRECISION_FP32);
    memset(d.peak_flops, 0, sizeof d.peak_flops);
    d.peak_flops[MLSIM_PRECISION_FP64] = 367e12;
    mlsim_hwtable_row_fill(&r, &d, MLSIM_HWTABLE_HEADLINE);
    assert_int_equal(r.precision, MLSIM_PRECISION_FP64);
    memset(d.peak_flops, 0, sizeof d.peak_flops);
    d.peak_flops[MLSIM_PRECISION_INT8] = 92e12;
    mlsim_hwtable_row_fill(&r, &d, MLSIM_HWTABLE_HEADLINE);
    assert_int_equal(r.precision, MLSIM_PRECISION_INT8);
}

static void test_sparse_and_hash_kept_apart(void **state)
{
    (void)state;
    struct mlsim_device w, s;
    struct mlsim_hwtable_row r;
    make_gpu(&w, "wafer");
    memset(w.peak_flops, 0, sizeof w.peak_flops);
    w.peak_sparse_flops[MLSIM_PRECISION_FP16] = 125e15;
    mlsim_hwtable_row_fill(&r, &w, MLSIM_HWTABLE_HEADLINE);
    assert_int_equal(r.basis, MLSIM_HWTABLE_SPARSE);
    assert_near(r.peak, 125e15, 1.0);
    /* Where a dense figure exists, the sparse one is never taken. */
    w.peak_flops[MLSIM_PRECISION_FP16] = 60e15;
    mlsim_hwtable_row_fill(&r, &w, MLSIM_PRECISION_FP16);
    assert_int_equal(r.basis, MLSIM_HWTABLE_DENSE);
    assert_near(r.peak, 60e15, 1.0);
    /* A miner: 4.8 TH/s, 1,210 W, whatever precision is asked. eta = 4.8e12 / 1210 H/s per W. */
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "miner");
    s.kind = MLSIM_KIND_ASIC;
    s.hashrate_sha256 = 4.8e12;
    s.tdp_w = 1210;
    mlsim_hwtable_row_fill(&r, &s, MLSIM_PRECISION_FP32);
    assert_int_equal(r.basis, MLSIM_HWTABLE_HASH);
    assert_int_equal(r.precision, -1);
    assert_rel(r.eta_w, 4.8e12 / 1210, 1e-12);
}

static void test_all_precisions_and_sort(void **state)
{
    (void)state;
    struct mlsim_device a, b, m;
    make_gpu(&a, "a");
    make_gpu(&b, "b");
    b.tdp_w = 50; /* eta 2e12 per W at fp16, four times a's */
    memset(&m, 0, sizeof m);
    snprintf(m.id, sizeof m.id, "miner");
    m.kind = MLSIM_KIND_ASIC;
    m.hashrate_sha256 = 1e15; /* a huge eta in H/s: must not sort among FLOP/s */
    m.tdp_w = 1;
    struct mlsim_hwtable *t = mlsim_hwtable_alloc();
    assert_non_null(t);
    assert_int_equal(mlsim_hwtable_add(t, &m, MLSIM_HWTABLE_HEADLINE), MLSIM_OK);
    assert_int_equal(mlsim_hwtable_add(t, &a, MLSIM_HWTABLE_HEADLINE), MLSIM_OK);
    assert_int_equal(mlsim_hwtable_add(t, &b, MLSIM_HWTABLE_HEADLINE), MLSIM_OK);
    assert_int_equal(mlsim_hwtable_add(t, &a, MLSIM_HWTABLE_ALL), MLSIM_OK); /* fp32 fp16 bf16 */
    assert_int_equal(mlsim_hwtable_size(t), 6);
    int eta = mlsim_hwtable_column_find("eta");
    assert_true(eta >= 0);
    assert_string_equal(mlsim_hwtable_column_key(eta), "eta_per_w");
    mlsim_hwtable_sort(t, eta, -1); /* numbers: largest first, hash rows last */
    assert_string_equal(mlsim_hwtable_row(t, 0)->dev->id, "b");
    assert_string_equal(mlsim_hwtable_row(t, 5)->dev->id, "miner");
    /* Ties keep the order of insertion: a's headline fp16 row before its ALL fp16 row. */
    assert_true(mlsim_hwtable_row(t, 1)->seq < mlsim_hwtable_row(t, 2)->seq);
    mlsim_hwtable_sort(t, eta, 0); /* ascending: a's fp32 row (5e10) first, the miner still last */
    assert_int_equal(mlsim_hwtable_row(t, 0)->precision, MLSIM_PRECISION_FP32);
    assert_string_equal(mlsim_hwtable_row(t, 5)->dev->id, "miner");
    mlsim_hwtable_sort(t, mlsim_hwtable_column_find("id"), -1); /* text: A to Z */
    assert_string_equal(mlsim_hwtable_row(t, 0)->dev->id, "a");
    assert_string_equal(mlsim_hwtable_row(t, 5)->dev->id, "miner");
    assert_int_equal(mlsim_hwtable_column_find("mu"), -1); /* ambiguous prefix */
    assert_int_equal(mlsim_hwtable_column_find("nonsense"), -1);
    assert_null(mlsim_hwtable_row(t, 6));
    mlsim_hwtable_free(t);
    mlsim_hwtable_free(NULL);
}

/* Write T in FORMAT into a string (caller frees). */
static char *render(const struct mlsim_hwtable *t, const char *format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    const struct mlsim_hwtable_format *fmt = mlsim_hwtable_format_find(format);
    assert_non_null(fmt);
    fmt->write(f, t, MLSIM_HWTABLE_VIEW_COMPARE);
    fclose(f);
    return buf;
}

static void test_formats(void **state)
{
    (void)state;
    struct mlsim_device g, m;
    make_gpu(&g, "g");
    snprintf(g.name, sizeof g.name, "Card, \"big\"");
    memset(&m, 0, sizeof m);
    snprintf(m.id, sizeof m.id, "miner");
    m.kind = MLSIM_KIND_ASIC;
    m.hashrate_sha256 = 4.8e12;
    struct mlsim_hwtable *t = mlsim_hwtable_alloc();
    mlsim_hwtable_add(t, &g, MLSIM_PRECISION_INT8); /* g has no int8: basis none */
    mlsim_hwtable_add(t, &g, MLSIM_HWTABLE_HEADLINE);
    mlsim_hwtable_add(t, &m, MLSIM_HWTABLE_HEADLINE);
    char *csv = render(t, "csv");
    assert_non_null(strstr(csv, "id,name,kind,vendor,year,precision,basis,peak,unit,"));
    /* fp16 row: 1e14 FLOP/s; mu = 1e14 / 1000 = 1e11; the name is quoted with its quote doubled. */
    assert_non_null(strstr(csv, "g,\"Card, \"\"big\"\"\",gpu,,2020,fp16,dense,1e+14,FLOP/s,"));
    assert_non_null(strstr(csv, ",1e+11,"));
    assert_non_null(strstr(csv, "miner,,asic,,,sha256,hash,4.8e+12,H/s,"));
    free(csv);
    char *json = render(t, "json");
    assert_non_null(strstr(json, "\"name\": \"Card, \\\"big\\\"\""));
    assert_non_null(strstr(json, "\"basis\": \"none\", \"peak\": null"));
    free(json);
    char *text = render(t, "table");
    assert_non_null(strstr(text, "100 TFLOP/s"));
    assert_non_null(strstr(text, "4.8 TH/s"));
    assert_non_null(strstr(text, "miner: does no FLOPs"));
    assert_non_null(strstr(text, "none: the device has no figure at that precision"));
    free(text);
    assert_null(mlsim_hwtable_format_find("xml"));
    mlsim_hwtable_free(t);
}

static void test_match_id(void **state)
{
    (void)state;
    static const char *const ids[] = {"a100-pcie-40gb", "a100-sxm4-40gb", "t4", "tpu-v4"};
    size_t at = 99;
    assert_int_equal(mlsim_hwtable_match_id("t4", ids, 4, &at), MLSIM_HWTABLE_EXACT);
    assert_int_equal(at, 2);
    assert_int_equal(mlsim_hwtable_match_id("a100-p", ids, 4, &at), MLSIM_HWTABLE_PREFIX);
    assert_int_equal(at, 0);
    assert_int_equal(mlsim_hwtable_match_id("a100", ids, 4, &at), MLSIM_HWTABLE_AMBIGUOUS);
    assert_int_equal(at, 0);
    /* "tpu-v5" is one edit from "tpu-v4". */
    assert_int_equal(mlsim_hwtable_match_id("tpu-v5", ids, 4, &at), MLSIM_HWTABLE_CLOSE);
    assert_int_equal(at, 3);
    assert_int_equal(mlsim_hwtable_match_id("xyzzy-9000", ids, 4, &at), MLSIM_HWTABLE_UNKNOWN);
}

static void test_show(void **state)
{
    (void)state;
    struct mlsim_device g;
    make_gpu(&g, "g");
    g.n_sources = 1;
    snprintf(g.sources[0].cite, sizeof g.sources[0].cite, "A datasheet");
    snprintf(g.sources[0].covers[0], sizeof g.sources[0].covers[0], "peak");
    g.sources[0].n_covers = 1;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    mlsim_hwtable_show(f, &g);
    fclose(f);
    assert_non_null(strstr(buf, "GPU g (g): gpu"));
    assert_non_null(strstr(buf, "1. A datasheet"));
    assert_non_null(strstr(buf, "for: peak"));
    assert_non_null(strstr(buf, "$2/h"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_mu_eta),
        cmocka_unit_test(test_headline_prefers_fast_fp32),
        cmocka_unit_test(test_sparse_and_hash_kept_apart),
        cmocka_unit_test(test_all_precisions_and_sort),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_match_id),
        cmocka_unit_test(test_show),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
