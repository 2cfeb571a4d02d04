/* The calibration fit and its CSV reader. */
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
    struct mlsim_calib_point p = {MLSIM_CALIB_GEMM,  1, "fp32", 64, 64, 64, 2.0 * 64 * 64 * 64,
                                  3 * 64 * 64 * 4.0, 1, 1};
    assert_rel(mlsim_calibrate_predict(&p, v, 1e11, 1e11), 13.925e-6, 1e-4);
}

/* Points made from known parameters: the fit must give them back. */
static void test_fit_recovers_known_parameters(void **state)
{
    (void)state;
    const double truth[MLSIM_CALIB_NPARAM] = {0.42, 6.0, 9.0, 3.0, 0.15, 2e-7};
    const double peak = 2.5e11, bw = 6e11;
    char text[16384];
    size_t len = (size_t)snprintf(text, sizeof text,
                                  "# synthetic\nkind,precision,threads,m,n,k,"
                                  "flops,bytes,seconds\n");
    static const int dims[] = {10, 16, 64, 128, 784, 2048};
    for (int a = 0; a < 6; a++) {
        for (int b = 0; b < 6; b++) {
            for (int c = 0; c < 6; c += 2) {
                double m = dims[a], n = dims[b], k = dims[(c + a) % 6];
                struct mlsim_calib_point p = {MLSIM_CALIB_GEMM,
                                              1,
                                              "fp32",
                                              m,
                                              n,
                                              k,
                                              2 * m * n * k,
                                              4 * (m * k + k * n + m * n),
                                              1,
                                              0};
                len += (size_t)snprintf(
                    text + len, sizeof text - len, "gemm,fp32,1,%g,%g,%g,%.17g,%.17g,%.17g\n", m, n,
                    k, p.flops, p.bytes, mlsim_calibrate_predict(&p, truth, peak, bw));
            }
        }
    }
    for (double bytes = 1e3; bytes < 1e9; bytes *= 4) {
        struct mlsim_calib_point p = {MLSIM_CALIB_MEMORY, 1, "fp32", 0, 0, 0, 0, bytes, 1, 0};
        len += (size_t)snprintf(text + len, sizeof text - len, "triad,fp32,1,0,0,0,0,%.17g,%.17g\n",
                                bytes, mlsim_calibrate_predict(&p, truth, peak, bw));
    }
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_calib_data data;
    assert_int_equal(mlsim_calibrate_read(write_tmp("fit", text), &data, d), MLSIM_OK);
    struct mlsim_calib_fit fit;
    assert_int_equal(mlsim_calibrate_fit(&data, "fp32", 1, peak, bw, &fit, NULL), MLSIM_OK);
    for (int i = 0; i < MLSIM_CALIB_NPARAM; i++)
        assert_rel(fit.value[i], truth[i], 1e-3);
    assert_true(fit.rms_rel < 1e-6);
    /* no rows at 2 threads: nothing to fit */
    assert_int_equal(mlsim_calibrate_fit(&data, "fp32", 2, peak, bw, &fit, NULL), MLSIM_ERR_INPUT);
    mlsim_calibrate_release(&data);
    mlsim_diags_free(d);
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predict_by_hand),
        cmocka_unit_test(test_fit_recovers_known_parameters),
        cmocka_unit_test(test_reader_rejects_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
