/* Checking rendered images: complete PNG, SVG and PDF files pass, the same cut short or empty do
 * not; a PDF's dates are blanked without moving a byte; an image takes its name only over nothing
 * or a regular file, and a refused one leaves no file behind. Files go to a fresh folder. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mlsim/plot.h"
#include "mlsim/plot_image.h"

/* The smallest PNG's frame, from the PNG spec: the 8-byte signature, an IHDR chunk (length 13)
 * for a 1 x 1 grey image, and the IEND chunk (length 0, CRC AE 42 60 82). The IHDR CRC is not
 * checked by the reader under test, so it is left zero; there is no IDAT. */
static const char png[] = "\x89PNG\r\n\x1a\n"
                          "\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\0\0\0\0\0\0\0\0"
                          "\0\0\0\0IEND\xae\x42\x60\x82";
static const char svg[] = "<?xml version=\"1.0\"?>\n<svg width=\"1\" height=\"1\">\n</svg>\n\n";
static const char pdf[] =
    "%PDF-1.5\n1 0 obj << /Producer (cairo) /CreationDate (D:20261201202400Z) "
    "/ModDate(D:20261201202401Z) >> endobj\ntrailer << /Info 1 0 R >>\n"
    "%%EOF\n";

static void test_fault(void **state)
{
    (void)state;
    size_t n = sizeof png - 1;
    assert_null(mlsim_plot_image_fault(MLSIM_PLOT_PNG, png, n));
    assert_non_null(mlsim_plot_image_fault(MLSIM_PLOT_PNG, png, n - 1));
    assert_non_null(mlsim_plot_image_fault(MLSIM_PLOT_PNG, png, 0));
    assert_non_null(mlsim_plot_image_fault(MLSIM_PLOT_PNG, svg, sizeof svg - 1));
    assert_null(mlsim_plot_image_fault(MLSIM_PLOT_SVG, svg, sizeof svg - 1));
    assert_non_null(mlsim_plot_image_fault(MLSIM_PLOT_SVG, svg, sizeof svg - 4));
    assert_non_null(mlsim_plot_image_fault(MLSIM_PLOT_SVG, svg, 0));
    assert_null(mlsim_plot_image_fault(MLSIM_PLOT_PDF, pdf, sizeof pdf - 1));
    assert_non_null(mlsim_plot_image_fault(MLSIM_PLOT_PDF, pdf, sizeof pdf - 3));
    assert_non_null(mlsim_plot_image_fault(MLSIM_PLOT_PDF, svg, sizeof svg - 1));
    assert_non_null(mlsim_plot_image_fault(0, png, n));
}

static void test_undate(void **state)
{
    (void)state;
    char buf[sizeof pdf];
    memcpy(buf, pdf, sizeof pdf);
    assert_int_equal(mlsim_plot_image_pdf_undate(buf, sizeof buf - 1), 2);
    assert_int_equal(strlen(buf), sizeof pdf - 1);
    assert_null(strstr(buf, "CreationDate"));
    assert_null(strstr(buf, "ModDate"));
    assert_null(strstr(buf, "2026"));
    assert_non_null(strstr(buf, "/Producer (cairo) "));
    assert_non_null(strstr(buf, " >> endobj"));
    assert_null(mlsim_plot_image_fault(MLSIM_PLOT_PDF, buf, sizeof buf - 1));
    assert_int_equal(mlsim_plot_image_pdf_undate(buf, sizeof buf - 1), 0);
}

struct dir {
    char path[64];
    char tmp[128], target[128];
};

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_install(void **state)
{
    (void)state;
    struct dir dr;
    snprintf(dr.path, sizeof dr.path, "/tmp/mlsim-test-plot-image-XXXXXX");
    assert_non_null(mkdtemp(dr.path));
    snprintf(dr.tmp, sizeof dr.tmp, "%s/.x.pdf.tmp", dr.path);
    snprintf(dr.target, sizeof dr.target, "%s/x.pdf", dr.path);

    /* complete: renamed into place, over an older file, undated */
    write_file(dr.target, "old", 3);
    write_file(dr.tmp, pdf, sizeof pdf - 1);
    struct mlsim_diags *d = mlsim_diags_alloc();
    assert_int_equal(mlsim_plot_image_install(MLSIM_PLOT_PDF, dr.tmp, dr.target, d), MLSIM_OK);
    assert_int_equal(mlsim_diags_count(d), 0);
    assert_false(exists(dr.tmp));
    FILE *f = fopen(dr.target, "rb");
    assert_non_null(f);
    char got[sizeof pdf];
    assert_int_equal(fread(got, 1, sizeof got, f), sizeof pdf - 1);
    fclose(f);
    got[sizeof pdf - 1] = '\0';
    assert_null(strstr(got, "CreationDate"));

    /* cut short: removed, the target left as it was */
    write_file(dr.tmp, pdf, sizeof pdf - 4);
    assert_int_equal(mlsim_plot_image_install(MLSIM_PLOT_PDF, dr.tmp, dr.target, d),
                     MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "cut short"));
    assert_false(exists(dr.tmp));
    assert_true(exists(dr.target));
    remove(dr.target);

    /* empty, with no target before: no file at all */
    write_file(dr.tmp, "", 0);
    assert_int_equal(mlsim_plot_image_install(MLSIM_PLOT_PDF, dr.tmp, dr.target, d),
                     MLSIM_ERR_INPUT);
    assert_false(exists(dr.tmp));
    assert_false(exists(dr.target));

    /* a folder or a link where the image goes: not replaced */
    assert_int_equal(mkdir(dr.target, 0700), 0);
    write_file(dr.tmp, pdf, sizeof pdf - 1);
    assert_int_equal(mlsim_plot_image_install(MLSIM_PLOT_PDF, dr.tmp, dr.target, d),
                     MLSIM_ERR_INPUT);
    assert_false(exists(dr.tmp));
    assert_int_equal(rmdir(dr.target), 0);
    assert_int_equal(symlink("/dev/null", dr.target), 0);
    write_file(dr.tmp, pdf, sizeof pdf - 1);
    assert_int_equal(mlsim_plot_image_install(MLSIM_PLOT_PDF, dr.tmp, dr.target, d),
                     MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, mlsim_diags_count(d) - 1), "not a regular"));
    assert_false(exists(dr.tmp));
    remove(dr.target);
    mlsim_diags_free(d);
    assert_int_equal(rmdir(dr.path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault),
        cmocka_unit_test(test_undate),
        cmocka_unit_test(test_install),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
