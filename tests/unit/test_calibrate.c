/* The calibration fit and its CSV reader. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/calibrate.h"

static const char *write_tmp(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/mlsim_test_%s.csv",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* One 64^3 GEMM at peak 1e11, efficiency 0.5, half sizes 8, 4, 2: by hand,
 * eff = 0.5 x 64/72 x 64/68 x 64/66 = 0.40564; compute 2 x 64^3 / (1e11 x 0.40564) = 12.925 us,
 * memory 3 x 64^2 x 4 B / (1e11 B/s x 0.2) = 0.6144 us; plus 1 us overhead: 13.925 us. */
static void test_predict_by_hand(void **state)
{
    (void)state;
    double v[MLSIM_CALIB_NPARAM] = {0.5, 8, 4, 2, 0.2, 1e-6};
    struct mlsim_calib_point p = {MLSIM_CALIB_GEMM,  1, "fp32", 64,    64, 64, 2.0 * 64 * 64 * 64,
                                  3 * 64 * 64 * 4.0, 1, 1,      "gemm"};
    assert_rel(mlsim_calibrate_predict(&p, v, 1e11, 1e11), 13.925e-6, 1e-4);
}

/* Two tiers: DRAM at 1e11 B/s x 0.2 = 20 GB/s, on chip 80 GB/s up to 1 MB, overhead 1 us.
 * A 0.8 MB stream fits: 0.8e6 / 80e9 = 10 us, plus 1 us = 11 us. A 2 MB stream does not:
 * 2e6 / 20e9 = 100 us, plus 1 us = 101 us. Without the tier (on-chip bandwidth 0) the 0.8 MB
 * stream takes 0.8e6 / 20e9 = 40 us, plus 1 us = 41 us. */
static void test_predict_onchip_tier_by_hand(void **state)
{
    (void)state;
    double v[MLSIM_CALIB_NPARAM] = {0.5, 8, 4, 2, 0.2, 1e-6, 80e9, 1e6};
    struct mlsim_calib_point small = {
        MLSIM_CALIB_MEMORY, 1, "fp32", 0, 0, 0, 0, 0.8e6, 1, 1, "triad"};
    struct mlsim_calib_point big = {MLSIM_CALIB_MEMORY, 1, "fp32", 0, 0, 0, 0, 2e6, 1, 1, "triad"};
    assert_rel(mlsim_calibrate_predict(&small, v, 1e11, 1e11), 11e-6, 1e-12);
    assert_rel(mlsim_calibrate_predict(&big, v, 1e11, 1e11), 101e-6, 1e-12);
    v[MLSIM_CALIB_ONCHIP_BW] = 0;
    assert_rel(mlsim_calibrate_predict(&small, v, 1e11, 1e11), 41e-6, 1e-12);
}

/* CSV text of GEMMs over a grid of shapes and of streams of kind STREAM from 1 kB to 1 GB, timed
 * by the model at TRUTH (so the fit must give TRUTH back); appended to TEXT. */
static size_t synthetic_csv(char *text, size_t cap, size_t len, const double *truth, double peak,
                            double bw, const char *stream, double stream_scale)
{
    static const int dims[] = {10, 16, 64, 128, 784, 2048};
    for (int a = 0; a < 6; a++) {
        for (int b = 0; b < 6; b++) {
            for (int c = 0; c < 6; c += 2) {
                double m = dims[a], n = dims[b], k = dims[(c + a) % 6];
                struct mlsim_calib_point p = {.kind = MLSIM_CALIB_GEMM,
                                              .threads = 1,
                                              .prec = "fp32",
                                              .m = m,
                                              .n = n,
                                              .k = k,
                                              .flops = 2 * m * n * k,
                                              .bytes = 4 * (m * k + k * n + m * n)};
                len += (size_t)snprintf(
                    text + len, cap - len, "gemm,fp32,1,%g,%g,%g,%.17g,%.17g,%.17g\n", m, n, k,
                    p.flops, p.bytes, mlsim_calibrate_predict(&p, truth, peak, bw));
            }
        }
    }
    for (int i = 0; i < 10; i++) {
        double bytes = 1e3 * pow(4.0, i); /* 1 kB to 262 MB */
        struct mlsim_calib_point p = {
            MLSIM_CALIB_MEMORY, 1, "fp32", 0, 0, 0, 0, bytes, 1, 0, "triad"};
        len += (size_t)snprintf(text + len, cap - len, "%s,fp32,1,0,0,0,0,%.17g,%.17g\n", stream,
                                bytes, stream_scale * mlsim_calibrate_predict(&p, truth, peak, bw));
    }
    return len;
}

static void fit_file(const char *name, const char *text, struct mlsim_calib_data *data)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    assert_int_equal(mlsim_calibrate_read(write_tmp(name, text), data, d), MLSIM_OK);
    mlsim_diags_free(d);
}

/* Points made from known parameters: the fit must give them back, with one memory tier. */
static void test_fit_recovers_known_parameters(void **state)
{
    (void)state;
    const double truth[MLSIM_CALIB_NPARAM] = {0.42, 6.0, 9.0, 3.0, 0.15, 2e-7, 0, 0};
    const double peak = 2.5e11, bw = 6e11;
    static char text[32768];
    size_t len = (size_t)snprintf(
        text, sizeof text, "# synthetic\nkind,precision,threads,m,n,k,flops,bytes,seconds\n");
    synthetic_csv(text, sizeof text, len, truth, peak, bw, "triad", 1.0);
    struct mlsim_calib_data data;
    fit_file("fit", text, &data);
    struct mlsim_calib_fit fit;
    struct mlsim_calib_spec spec = {"fp32", 1, NULL, peak, bw, 0};
    assert_int_equal(mlsim_calibrate_fit(&data, &spec, &fit, NULL), MLSIM_OK);
    for (int i = 0; i <= MLSIM_CALIB_OVERHEAD; i++)
        assert_rel(fit.value[i], truth[i], 1e-3);
    assert_true(fit.value[MLSIM_CALIB_ONCHIP_BW] == 0 && fit.value[MLSIM_CALIB_ONCHIP_BYTES] == 0);
    assert_true(fit.rms_rel < 1e-6);
    /* no rows at 2 threads: nothing to fit */
    spec.threads = 2;
    assert_int_equal(mlsim_calibrate_fit(&data, &spec, &fit, NULL), MLSIM_ERR_INPUT);
    mlsim_calibrate_release(&data);
}

/* Two tiers, 250 GB/s up to 4 MB: the fit gives back both bandwidths and holds the size. The
 * streams of another kind (the "copy" rows, twice as slow) are left out when --stream says so. */
static void test_fit_recovers_onchip_tier(void **state)
{
    (void)state;
    const double truth[MLSIM_CALIB_NPARAM] = {0.42, 6.0, 9.0, 3.0, 0.15, 2e-7, 250e9, 4e6};
    const double peak = 2.5e11, bw = 6e11;
    static char text[49152];
    size_t len = (size_t)snprintf(text, sizeof text,
                                  "kind,precision,threads,m,n,k,flops,bytes,"
                                  "seconds\n");
    len = synthetic_csv(text, sizeof text, len, truth, peak, bw, "update", 1.0);
    synthetic_csv(text, sizeof text, len, truth, peak, bw, "copy", 2.0);
    struct mlsim_calib_data data;
    fit_file("tier", text, &data);
    struct mlsim_calib_fit fit;
    double *rel = malloc(data.n * sizeof *rel);
    assert_non_null(rel);
    struct mlsim_calib_spec spec = {"fp32", 1, "update", peak, bw, 4e6};
    assert_int_equal(mlsim_calibrate_fit(&data, &spec, &fit, rel), MLSIM_OK);
    for (int i = 0; i < MLSIM_CALIB_NPARAM; i++)
        assert_rel(fit.value[i], truth[i], 1e-3);
    assert_true(fit.sigma[MLSIM_CALIB_ONCHIP_BYTES] == 0);
    assert_true(fit.rms_rel < 1e-6);
    size_t used = 0;
    for (size_t i = 0; i < data.n; i++) {
        int copy = strcmp(data.points[i].name, "copy") == 0;
        assert_true(copy ? isnan(rel[i]) : fabs(rel[i]) < 1e-6);
        used += !copy;
    }
    assert_int_equal(fit.n_used, used);
    /* an on-chip size above every stream leaves no DRAM points: nothing fixes memory_efficiency */
    spec.onchip_bytes = 1e10;
    assert_int_equal(mlsim_calibrate_fit(&data, &spec, &fit, NULL), MLSIM_ERR_INPUT);
    /* a kind with no rows: no memory points at all */
    spec.onchip_bytes = 4e6;
    spec.stream = "triad";
    assert_int_equal(mlsim_calibrate_fit(&data, &spec, &fit, NULL), MLSIM_ERR_INPUT);
    free(rel);
    mlsim_calibrate_release(&data);
}

/* GEMMs alone (a published sweep): efficiency, one half size and the overhead come back, the memory
 * efficiency is held at mlsim's default with no error. The times are the model written out by
 * hand: 2 us + 2 m n k / (1e11 x 0.55 x s(m) s(n) s(k)), s(x) = x / (x + 50). */
static void test_fit_gemm_only(void **state)
{
    (void)state;
    static const double dims[][3] = {{32, 32, 32},    {64, 64, 64},    {128, 128, 128},
                                     {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024},
                                     {64, 1024, 256}, {2048, 128, 512}};
    static char text[4096];
    size_t len = (size_t)snprintf(text, sizeof text,
                                  "kind,precision,threads,m,n,k,flops,bytes,"
                                  "seconds\n");
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        double m = dims[i][0], n = dims[i][1], k = dims[i][2], f = 2 * m * n * k;
        double sh = m / (m + 50) * n / (n + 50) * k / (k + 50);
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "gemm,fp32,1,%g,%g,%g,%.17g,%.17g,%.17g\n", m, n, k, f,
                                4 * (m * k + k * n + m * n), 2e-6 + f / (1e11 * 0.55 * sh));
    }
    struct mlsim_calib_data data;
    fit_file("gemm_only", text, &data);
    struct mlsim_calib_fit fit;
    struct mlsim_calib_spec spec = {"fp32", 1, NULL, 1e11, 5e10, 0};
    assert_int_equal(mlsim_calibrate_fit(&data, &spec, &fit, NULL), MLSIM_OK);
    assert_true(fit.gemm_only);
    assert_rel(fit.value[MLSIM_CALIB_GEMM_EFF], 0.55, 1e-4);
    assert_rel(fit.value[MLSIM_CALIB_HALF_M], 50, 1e-3);
    assert_rel(fit.value[MLSIM_CALIB_HALF_K], 50, 1e-3);
    assert_rel(fit.value[MLSIM_CALIB_OVERHEAD], 2e-6, 1e-3);
    assert_rel(fit.value[MLSIM_CALIB_MEM_EFF], 0.88, 0); /* held: MLSIM_DEFAULT_MEMORY_EFFICIENCY */
    assert_true(fit.sigma[MLSIM_CALIB_MEM_EFF] == 0);
    /* a file with no stream rows at all: a stream filter selects nothing and GEMMs still fit (a
     * filter that leaves out rows a file does have is an error: test_calibrate.py) */
    spec.stream = "triad";
    assert_int_equal(mlsim_calibrate_fit(&data, &spec, &fit, NULL), MLSIM_OK);
    mlsim_calibrate_release(&data);
}

static void expect_error(const char *name, const char *text, int line, int col, const char *what)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_calib_data data;
    assert_int_equal(mlsim_calibrate_read(write_tmp(name, text), &data, d), MLSIM_ERR_INPUT);
    assert_true(mlsim_diags_errors(d) >= 1);
    assert_int_equal(mlsim_diags_loc(d, 0).line, line);
    assert_int_equal(mlsim_diags_loc(d, 0).col, col);
    assert_non_null(strstr(mlsim_diags_message(d, 0), what));
    assert_null(data.points);
    mlsim_diags_free(d);
}

static void test_reader_rejects_malformed(void **state)
{
    (void)state;
    const char *hdr = "kind,precision,threads,m,n,k,flops,bytes,seconds\n";
    char buf[512];
    expect_error("nocol", "kind,precision,threads,m,n,k,flops,bytes\n", 1, 1, "'seconds'");
    snprintf(buf, sizeof buf, "%sgemm,fp32,1,8,8,8,1024,768,abc\n", hdr);
    expect_error("badnum", buf, 2, 28, "seconds"); /* a-b-c starts at column 28 */
    snprintf(buf, sizeof buf, "%sgemm,fp32,1,8,8,8,1024,768\n", hdr);
    expect_error("fields", buf, 2, 1, "expected 9 fields");
    snprintf(buf, sizeof buf, "%sconv,fp32,1,8,8,8,1024,768,1e-6\n", hdr);
    expect_error("kind", buf, 2, 1, "kind");
    snprintf(buf, sizeof buf, "%sgemm,fp32,1,0,8,8,1024,768,1e-6\n", hdr);
    expect_error("zero", buf, 2, 13, "m, n and k");
    expect_error("empty", hdr, 0, 0, "no measurements");
    /* -inf was converted to int before it was checked (undefined; UBSan stops on it) */
    snprintf(buf, sizeof buf, "%sgemm,fp32,-inf,8,8,8,1024,768,1e-6\n", hdr);
    expect_error("threads_inf", buf, 2, 11, "threads: expected a non-negative number, got '-inf'");
    snprintf(buf, sizeof buf, "%sgemm,fp32,nan,8,8,8,1024,768,1e-6\n", hdr);
    expect_error("threads_nan", buf, 2, 11, "threads");
}

/* Huge but finite thread counts are read and not converted out of int's range. */
static void test_reader_huge_threads(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_calib_data data;
    const char *path =
        write_tmp("threads_huge", "kind,precision,threads,m,n,k,flops,bytes,seconds\n"
                                  "gemm,fp32,1e300,8,8,8,1024,768,1e-6\n");
    assert_int_equal(mlsim_calibrate_read(path, &data, d), MLSIM_OK);
    assert_int_equal(data.points[0].threads, 0); /* "not said" */
    mlsim_calibrate_release(&data);
    mlsim_diags_free(d);
}

/* A CSV that is a FIFO or /dev/zero is refused at once, not read until memory runs out. */
static void test_reader_refuses_non_regular(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_calib_data data;
    assert_int_equal(mlsim_calibrate_read("/dev/zero", &data, d), MLSIM_ERR_IO);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "not a regular file"));
    assert_null(data.points);
    mlsim_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predict_by_hand),
        cmocka_unit_test(test_predict_onchip_tier_by_hand),
        cmocka_unit_test(test_fit_recovers_known_parameters),
        cmocka_unit_test(test_fit_recovers_onchip_tier),
        cmocka_unit_test(test_fit_gemm_only),
        cmocka_unit_test(test_reader_rejects_malformed),
        cmocka_unit_test(test_reader_huge_threads),
        cmocka_unit_test(test_reader_refuses_non_regular),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
