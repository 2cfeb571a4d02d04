/* Charts: the chart table, format names, and the data and script written for the deck's cost
 * table and for Amdahl's law, against the deck and against hand calculations; reruns give the
 * same bytes; a bad input is reported, not printed. Files go to a fresh folder under /tmp. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mlsim/chart.h"
#include "mlsim/plot.h"

#include "check.h"

/* The source root: the folder above hwdb/ (plots/, scenarios/, validate/). */
static void source_root(char *buf, size_t len)
{
    snprintf(buf, len, "%s", MLSIM_TEST_HWDB);
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

struct fixture {
    char dir[64];
    char root[512];
    struct mlsim_hwdb *db;
    struct mlsim_diags *d;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/mlsim-test-plot-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    source_root(fx->root, sizeof fx->root);
    fx->db = mlsim_hwdb_alloc(MLSIM_TEST_HWDB);
    fx->d = mlsim_diags_alloc();
    *state = fx;
    return fx->db && fx->d ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    const char *files[] = {"cost-table.csv", "cost-table.gp", "amdahl.csv", "amdahl.gp",
                           "amdahl-simulated.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", fx->dir, files[i]);
        remove(path);
    }
    rmdir(fx->dir);
    mlsim_hwdb_free(fx->db);
    mlsim_diags_free(fx->d);
    free(fx);
    return 0;
}

static void test_table(void **state)
{
    (void)state;
    assert_true(mlsim_plot_chart_count() >= 9);
    for (size_t i = 0; i < mlsim_plot_chart_count(); i++) {
        const struct mlsim_plot_chart *c = mlsim_plot_chart_at(i);
        assert_non_null(c);
        assert_ptr_equal(mlsim_plot_chart_find(c->name), c);
        assert_non_null(c->summary);
        assert_non_null(c->default_input);
    }
    assert_null(mlsim_plot_chart_at(mlsim_plot_chart_count()));
    assert_null(mlsim_plot_chart_find("pie"));
    assert_null(mlsim_plot_chart_find(NULL));
    assert_int_equal(mlsim_plot_format_from_name("png"), MLSIM_PLOT_PNG);
    assert_int_equal(mlsim_plot_format_from_name("svg"), MLSIM_PLOT_SVG);
    assert_int_equal(mlsim_plot_format_from_name("pdf"), MLSIM_PLOT_PDF);
    assert_int_equal(mlsim_plot_format_from_name("jpeg"), 0);
}

/* The deck's dollars, in its order (lecture-experiments.md sec. 1; GPT-3 by hand:
 * 6 x 175e9 x 300e9 / (312e12 x 0.5) / 3600 x 1.5 = 841,346.15). */
static const double deck_usd[12] = {325855,  368846,  480769,  833333,  841346,  855769,
                                    1033756, 1346154, 1745014, 1745014, 2293269, 6750000};

static void test_cost_table(void **state)
{
    struct fixture *fx = *state;
    struct mlsim_plot_request req = {.out_dir = fx->dir, .root = fx->root, .input = NULL};
    const struct mlsim_plot_chart *c = mlsim_plot_chart_find("cost-table");
    assert_int_equal(mlsim_plot_write(c, &req, fx->db, fx->d), MLSIM_OK);
    assert_int_equal(mlsim_diags_errors(fx->d), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/cost-table.csv", fx->dir);
    size_t len;
    char *csv = slurp(path, &len);
    assert_non_null(csv);
    /* cost_usd is the 10th column; names hold no commas. */
    char *line = strchr(csv, '\n');
    for (int row = 0; row < 12; row++) {
        assert_non_null(line);
        char *p = line + 1;
        for (int col = 0; col < 9; col++) {
            p = strchr(p, ',');
            assert_non_null(p);
            p++;
        }
        char *end;
        double usd = strtod(p, &end);
        assert_true(end != p);
        assert_near(usd, deck_usd[row], 0.5);
        line = strchr(p, '\n');
    }
    assert_non_null(strstr(csv, "\"$6,750,000\""));
    free(csv);

    /* A rerun gives the same bytes, data and script. */
    snprintf(path, sizeof path, "%s/cost-table.gp", fx->dir);
    size_t len1, len2;
    char *gp1 = slurp(path, &len1);
    assert_non_null(gp1);
    assert_non_null(strstr(gp1, "# ---- plots/style.gp ----"));
    assert_non_null(strstr(gp1, "# ---- plots/cost-table.gp ----"));
    assert_int_equal(mlsim_plot_write(c, &req, fx->db, fx->d), MLSIM_OK);
    char *gp2 = slurp(path, &len2);
    assert_non_null(gp2);
    assert_int_equal(len1, len2);
    assert_memory_equal(gp1, gp2, len1);
    free(gp1);
    free(gp2);
}

static void test_amdahl(void **state)
{
    struct fixture *fx = *state;
    struct mlsim_plot_request req = {.out_dir = fx->dir, .root = fx->root, .input = NULL};
    assert_int_equal(mlsim_plot_write(mlsim_plot_chart_find("amdahl"), &req, fx->db, fx->d),
                     MLSIM_OK);
    char path[128];
    snprintf(path, sizeof path, "%s/amdahl.csv", fx->dir);
    size_t len;
    char *csv = slurp(path, &len);
    assert_non_null(csv);
    /* Row k is N = 2^(k/4); N = 16 is row 16: S = 1 / (0.05 + 0.95 / 16) = 9.1428571 for
     * p = 0.95, 1 / (0.5 + 0.5 / 16) = 1.8823529 for p = 0.5. N = 65536 (row 64): p = 0.95
     * gives 1 / (0.05 + 0.95 / 65536) = 19.994. */
    char *line = csv;
    for (int k = 0; k <= 16; k++)
        line = strchr(line, '\n') + 1;
    double v[5];
    char *p = line;
    for (int i = 0; i < 5; i++) {
        v[i] = strtod(p, &p);
        p++;
    }
    assert_near(v[0], 16, 1e-9);
    assert_near(v[1], 1.0 / (0.5 + 0.5 / 16), 1e-8);
    assert_near(v[4], 1.0 / (0.05 + 0.95 / 16), 1e-8);
    for (int k = 17; k <= 64; k++)
        line = strchr(line, '\n') + 1;
    p = line;
    for (int i = 0; i < 5; i++) {
        v[i] = strtod(p, &p);
        p++;
    }
    assert_near(v[0], 65536, 1e-6);
    assert_near(v[4], 1.0 / (0.05 + 0.95 / 65536), 1e-6);
    free(csv);
}

static void test_bad_input(void **state)
{
    struct fixture *fx = *state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    assert_non_null(d);
    struct mlsim_plot_request req = {
        .out_dir = fx->dir, .root = fx->root, .input = MLSIM_TEST_DATA "/bad_unknown_key.yaml"};
    assert_int_not_equal(mlsim_plot_write(mlsim_plot_chart_find("cost-table"), &req, fx->db, d),
                         MLSIM_OK);
    assert_true(mlsim_diags_errors(d) > 0);
    mlsim_diags_free(d);

    d = mlsim_diags_alloc();
    req.input = "no-such-device";
    assert_int_equal(mlsim_plot_write(mlsim_plot_chart_find("roofline"), &req, fx->db, d),
                     MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "no-such-device"));
    mlsim_diags_free(d);

    d = mlsim_diags_alloc();
    req.input = NULL;
    req.out_dir = "/nonexistent-mlsim-folder";
    assert_int_equal(mlsim_plot_write(mlsim_plot_chart_find("amdahl"), &req, fx->db, d),
                     MLSIM_ERR_IO);
    mlsim_diags_free(d);
    assert_int_equal(mlsim_plot_write(NULL, &req, fx->db, fx->d), MLSIM_ERR_INPUT);
}

/* What FN writes for S, in a malloc'd string. */
static char *written(void (*fn)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(f, s);
    fclose(f);
    return buf;
}

/* Each string lands where it is written and nowhere else: in a single-quoted gnuplot string a
 * quote is doubled and newlines, tabs and escapes become spaces (backslash, backtick and @ are
 * plain characters there); in a comment a newline, a backslash (which would continue the
 * comment onto the next line) and a backtick become '?'; in a CSV field a double quote becomes a
 * single one and a newline a space. */
static void test_escaping(void **state)
{
    (void)state;
    const char *evil = "a'b\nsystem(\"touch x\")\r\t\\`c`@d\x1b";
    char *q = written(mlsim_chart_gp_quote, evil);
    assert_string_equal(q, "'a''b system(\"touch x\")  \\`c`@d '");
    free(q);
    char *c = written(mlsim_chart_gp_comment, evil);
    assert_string_equal(c, "a'b?system(\"touch x\")????c?@d?");
    free(c);
    char *v = written(mlsim_chart_csv_str, evil);
    assert_string_equal(v, "\"a'b system('touch x')  \\`c`@d \"");
    free(v);
}

/* The templates compiled into mlsim are plots/ *.gp byte for byte; no other name is one. */
static void test_templates(void **state)
{
    struct fixture *fx = *state;
    const char *names[] = {"style.gp",    "amdahl.gp",    "cost-table.gp", "cpu-vs-gpu.gp",
                           "mu-eta.gp",   "pareto.gp",    "roofline.gp",   "scaling.gp",
                           "timeline.gp", "tpu-vs-gpu.gp"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/plots/%s", fx->root, names[i]);
        size_t len;
        char *text = slurp(path, &len);
        assert_non_null(text);
        const char *tpl = mlsim_chart_template(names[i]);
        assert_non_null(tpl);
        assert_int_equal(strlen(tpl), len);
        assert_memory_equal(tpl, text, len);
        free(text);
    }
    assert_null(mlsim_chart_template("pie.gp"));
    assert_null(mlsim_chart_template("../plots/style.gp"));
    assert_null(mlsim_chart_template(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cost_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_amdahl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
