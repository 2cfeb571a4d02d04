/* The result column table: well formed, written whole and in one order by CSV and JSON, the
 * README's field list equal to it, and the new fields' values checked by hand for three runs. */
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

#include "mlsim/columns.h"
#include "mlsim/mem.h"
#include "mlsim/report.h"
#include "mlsim/run.h"

#define README MLSIM_TEST_SCENARIOS "/../README.md"

/* A GPT-3 XL shape (1.318B parameters) on 8 A100 40GB, tensor 2 x pipeline 2 x data 2,
 * interleaved with 2 chunks, ZeRO-1, selective recomputation, sequence parallel. 1.31072e9
 * tokens at 64 sequences of 2048 per step are 10,000 steps. */
static const char simulate_yaml[] = "name: layout check\n"
                                    "mode: simulate\n"
                                    "model: {layers: 24, hidden: 2048, heads: 16, seq_len: 2048, "
                                    "vocab: 51200, tokens: 1310720000}\n"
                                    "hardware: {device: a100-sxm4-40gb, count: 8}\n"
                                    "precision: bf16\n"
                                    "training: {micro_batch: 2, global_batch: 64, tp: 2, pp: 2, "
                                    "schedule: interleaved, interleave: 2, sharding: zero1, "
                                    "recompute: selective, sequence_parallel: true, "
                                    "host_overhead: 1 ms}\n"
                                    "economics: {price_per_device_hour: $1/h}\n";

/* An MLP of four 40000 x 40000 layers: 6.4e9 weights, 25.6 GB in fp32, more than the K80's
 * 24 GB (hwdb/gpu/k80.yaml). Inference mode does not refuse it: `fits` must say false. */
static const char inference_yaml[] = "name: too big\n"
                                     "mode: inference\n"
                                     "model: {type: mlp, widths: [40000, 40000, 40000, 40000, "
                                     "40000]}\n"
                                     "hardware: {device: k80, count: 1}\n"
                                     "precision: fp32\n"
                                     "inference: {latency_bound: 1 s}\n"
                                     "economics: {price_per_device_hour: $1/h}\n";

static const char analytic_yaml[] = "name: closed form\n"
                                    "mode: analytic\n"
                                    "model: {params: 175B, tokens: 300B}\n"
                                    "hardware: {device: a100-sxm4-40gb, count: 1024}\n"
                                    "precision: bf16\n"
                                    "mfu: 50%\n"
                                    "economics: {price_per_device_hour: $1.5/h}\n";

struct fixture {
    struct mlsim_diags *d;
    struct mlsim_hwdb *db;
    struct mlsim_scenario *sc;
    struct mlsim_result res;
    char path[64];
};

static int setup_text(void **state, const char *text)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    snprintf(f->path, sizeof f->path, "/tmp/mlsim_columns_XXXXXX");
    int fd = mkstemp(f->path);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    close(fd);
    f->d = mlsim_diags_alloc();
    f->db = mlsim_hwdb_alloc(MLSIM_TEST_HWDB);
    if (w < 0 || (size_t)w != len || mlsim_scenario_load(f->path, f->d, &f->sc) != MLSIM_OK ||
        mlsim_scenario_resolve(f->sc, f->db, f->d) != MLSIM_OK || f->sc->n_runs != 1 ||
        mlsim_run_estimate(&f->sc->runs[0], &f->res, NULL, f->d) != MLSIM_OK)
        return -1;
    return 0;
}

static int setup_simulate(void **state)
{
    return setup_text(state, simulate_yaml);
}

static int setup_inference(void **state)
{
    return setup_text(state, inference_yaml);
}

static int setup_analytic(void **state)
{
    return setup_text(state, analytic_yaml);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (!f)
        return 0;
    if (f->path[0])
        unlink(f->path);
    mlsim_scenario_free(f->sc);
    mlsim_hwdb_free(f->db);
    mlsim_diags_free(f->d);
    free(f);
    return 0;
}

/* Render F in FORMAT into a malloc'd string. */
static char *render(const struct fixture *f, const char *format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    mlsim_report_write(out, mlsim_report_format_find(format), f->sc, &f->res, 1);
    fclose(out);
    return buf;
}

static void test_table_well_formed(void **state)
{
    (void)state;
    size_t n = mlsim_columns_count();
    assert_true(n >= 29);
    assert_null(mlsim_columns_get(n));
    for (size_t i = 0; i < n; i++) {
        const struct mlsim_column *c = mlsim_columns_get(i);
        assert_non_null(c);
        assert_true(c->name[0] != '\0');
        assert_int_equal(strspn(c->name, "abcdefghijklmnopqrstuvwxyz0123456789_"), strlen(c->name));
        assert_true(c->unit[0] != '\0');
        assert_true(c->meaning[0] != '\0');
        assert_null(strpbrk(c->meaning, "|\n")); /* one Markdown table cell */
        assert_null(strpbrk(c->unit, "|\n"));
        assert_true(c->kind == MLSIM_COLUMN_NUMBER || c->kind == MLSIM_COLUMN_TEXT ||
                    c->kind == MLSIM_COLUMN_BOOL);
        assert_true((c->modes & MLSIM_COLUMN_ALL) != 0 &&
                    (c->modes & ~(MLSIM_COLUMN_ALL | MLSIM_COLUMN_RUN)) == 0);
        assert_true(c->get != NULL || c->field > 0); /* a getter, or a plain field */
        assert_ptr_equal(mlsim_columns_find(c->name), c);
        assert_string_not_equal(c->name, MLSIM_COLUMNS_SCHEMA_KEY);
        assert_string_not_equal(c->name, "assumptions");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(mlsim_columns_get(j)->name, c->name);
    }
    assert_null(mlsim_columns_find("no_such_column"));
}

/* mlsim 0.1.0's CSV header, from its writer: a consumer reading by position keeps working. */
static void test_first_columns_are_the_old_csv(void **state)
{
    (void)state;
    static const char *const old[] = {"name",
                                      "mode",
                                      "params",
                                      "tokens",
                                      "flops",
                                      "device",
                                      "count",
                                      "precision",
                                      "peak_flops",
                                      "mfu",
                                      "time_s",
                                      "device_hours",
                                      "cost_usd",
                                      "avg_power_w",
                                      "pue",
                                      "energy_kwh",
                                      "energy_cost_usd",
                                      "co2_kg",
                                      "step_time_s",
                                      "hfu",
                                      "tflops_per_device",
                                      "tokens_per_s",
                                      "mem_per_device_bytes",
                                      "closed_form_step_s",
                                      "ref_metric",
                                      "ref_predicted",
                                      "ref_measured",
                                      "ref_error_pct",
                                      "batch"};
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++)
        assert_string_equal(mlsim_columns_get(i)->name, old[i]);
}

static void test_modes_text(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(mlsim_columns_modes_text(MLSIM_COLUMN_ALL, buf, sizeof buf), "all");
    assert_string_equal(
        mlsim_columns_modes_text(MLSIM_COLUMN_SIMULATE | MLSIM_COLUMN_INFERENCE, buf, sizeof buf),
        "simulate, inference");
    assert_string_equal(mlsim_columns_modes_text(MLSIM_COLUMN_ANALYTIC, buf, sizeof buf),
                        "analytic");
    assert_string_equal(mlsim_columns_modes_text(MLSIM_COLUMN_SIMULATE, buf, 5),
                        "simu"); /* cut short, still terminated */
}

/* The next comma-separated field of *P (no quoting: the fixtures' texts hold no comma). */
static size_t next_field(const char **p, char *buf, size_t len)
{
    size_t k = strcspn(*p, ",\n");
    assert_true(k < len);
    memcpy(buf, *p, k);
    buf[k] = '\0';
    *p += k + ((*p)[k] == ',' ? 1 : 0);
    return k;
}

/* The CSV header is every column then schema_version; the row's cells are empty exactly where
 * the column is absent; the JSON run has the present columns as keys in the same order, then
 * its assumptions. */
static void check_formats_agree(const struct fixture *f)
{
    char *csv = render(f, "csv");
    char *json = render(f, "json");
    const char *h = csv, *row = strchr(csv, '\n') + 1;
    const char *j = strstr(json, "\"runs\": [\n    {\n") + strlen("\"runs\": [\n    {\n");
    char name[64], cell[256];
    const struct mlsim_column *c;
    struct mlsim_column_value v;
    for (size_t i = 0; (c = mlsim_columns_get(i)) != NULL; i++) {
        next_field(&h, name, sizeof name);
        assert_string_equal(name, c->name);
        int present = mlsim_columns_value(c, &f->res, &v);
        assert_int_equal(next_field(&row, cell, sizeof cell) > 0, present);
        if (!present)
            continue;
        char key[80];
        snprintf(key, sizeof key, "      \"%s\": ", c->name);
        assert_memory_equal(j, key, strlen(key));
        j = strchr(j, '\n') + 1;
    }
    next_field(&h, name, sizeof name);
    assert_string_equal(name, MLSIM_COLUMNS_SCHEMA_KEY);
    assert_int_equal(*h, '\n');
    next_field(&row, cell, sizeof cell);
    assert_string_equal(cell, "4");
    assert_memory_equal(j, "      \"assumptions\": [", strlen("      \"assumptions\": ["));
    assert_non_null(strstr(json, "\n  \"schema_version\": 4,\n"));
    free(csv);
    free(json);
}

static void test_formats_agree(void **state)
{
    check_formats_agree(*state);
}

/* Column NAME of F's result as text ("" where absent); numbers with %.15g. */
static const char *value_of(const struct fixture *f, const char *name, char *buf, size_t len)
{
    const struct mlsim_column *c = mlsim_columns_find(name);
    struct mlsim_column_value v;
    assert_non_null(c);
    buf[0] = '\0';
    if (!mlsim_columns_value(c, &f->res, &v))
        return buf;
    if (c->kind == MLSIM_COLUMN_TEXT)
        snprintf(buf, len, "%s", v.text);
    else if (c->kind == MLSIM_COLUMN_BOOL)
        snprintf(buf, len, "%s", v.flag ? "true" : "false");
    else
        snprintf(buf, len, "%.15g", v.number);
    return buf;
}

#define assert_column(f, name, want)                                                               \
    do {                                                                                           \
        char buf_[64];                                                                             \
        assert_string_equal(value_of(f, name, buf_, sizeof buf_), want);                           \
    } while (0)

static void test_simulate_values(void **state)
{
    struct fixture *f = *state;
    assert_column(f, "mode", "simulate");
    assert_column(f, "tp", "2");
    assert_column(f, "pp", "2");
    assert_column(f, "dp", "2"); /* 8 / (2 x 2) */
    assert_column(f, "micro_batch", "2");
    assert_column(f, "global_batch", "64");
    assert_column(f, "schedule", "interleaved");
    assert_column(f, "interleave", "2");
    assert_column(f, "sharding", "zero1");
    assert_column(f, "recompute", "selective");
    assert_column(f, "sequence_parallel", "true");
    assert_column(f, "layout_chosen", "false");
    assert_column(f, "cluster", "true");
    assert_column(f, "simulated", "true");
    assert_column(f, "host_s", "0.001");
    assert_column(f, "steps", "10000"); /* 1.31072e9 / (64 x 2048) */
    assert_column(f, "device_mem_bytes", "40000000000");
    /* 16 bytes x 1.318e9 parameters over tp x pp = 4 is 5.3 GB of states before ZeRO-1: fits */
    assert_column(f, "fits", "true");
    assert_true(f->res.mem_bytes > 1e9 && f->res.mem_bytes < 40e9);
    assert_column(f, "batch", "");      /* inference only */
    assert_column(f, "ref_metric", ""); /* no reference given */
    /* the step's parts: compute, exposed communication and the bubble, plus the host, make it */
    assert_true(f->res.step_s >= f->res.compute_s + f->res.exposed_comm_s);
    assert_true(f->res.tp_comm_s > 0 && f->res.dp_comm_s > 0);
}

static void test_inference_values(void **state)
{
    struct fixture *f = *state;
    assert_column(f, "mode", "inference");
    assert_column(f, "device_mem_bytes", "24000000000");
    assert_true(f->res.mem_bytes >= 25.6e9); /* 6.4e9 weights x 4 bytes, plus activations */
    assert_column(f, "fits", "false");
    assert_true(f->res.batch >= 1);
    assert_column(f, "tp", ""); /* training layout: simulate only */
    assert_column(f, "schedule", "");
    assert_column(f, "simulated", "true");
}

static void test_analytic_values(void **state)
{
    struct fixture *f = *state;
    assert_column(f, "mode", "analytic");
    assert_column(f, "fits", ""); /* analytic mode models no memory per device */
    assert_column(f, "tp", "");
    assert_column(f, "step_time_s", "");
    assert_column(f, "compute_s", "");
    assert_column(f, "simulated", "false");
    assert_column(f, "count", "1024");
    assert_column(f, "flops", "3.15e+23"); /* 6 x 175e9 x 300e9 */
}

/* The README's list between its markers equals mlsim_columns_write_markdown's output; on drift
 * the wanted list is left in README.fields.md in the test's directory to paste in. */
static void test_readme_lists_the_table(void **state)
{
    (void)state;
    static const char begin[] = "<!-- result fields: begin -->\n";
    static const char end[] = "<!-- result fields: end -->\n";
    char *readme = NULL, *want = NULL;
    size_t readme_len = 0, want_len = 0;
    assert_int_equal(mlsim_mem_read_file(README, MLSIM_MEM_MAX_FILE_BYTES, &readme, &readme_len),
                     MLSIM_OK);
    FILE *out = open_memstream(&want, &want_len);
    assert_non_null(out);
    mlsim_columns_write_markdown(out);
    fclose(out);
    const char *b = strstr(readme, begin);
    assert_non_null(b);
    b += strlen(begin);
    const char *e = strstr(b, end);
    assert_non_null(e);
    int same = (size_t)(e - b) == want_len && memcmp(b, want, want_len) == 0;
    if (!same) {
        FILE *fix = fopen("README.fields.md", "w");
        if (fix) {
            fputs(want, fix);
            fclose(fix);
        }
        print_error("README.md's field list differs from src/columns.c: the list wanted is in "
                    "README.fields.md\n");
    }
    assert_true(same);
    free(readme);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_well_formed),
        cmocka_unit_test(test_first_columns_are_the_old_csv),
        cmocka_unit_test(test_modes_text),
        cmocka_unit_test(test_readme_lists_the_table),
        cmocka_unit_test_setup_teardown(test_formats_agree, setup_simulate, teardown),
        cmocka_unit_test_setup_teardown(test_formats_agree, setup_inference, teardown),
        cmocka_unit_test_setup_teardown(test_formats_agree, setup_analytic, teardown),
        cmocka_unit_test_setup_teardown(test_simulate_values, setup_simulate, teardown),
        cmocka_unit_test_setup_teardown(test_inference_values, setup_inference, teardown),
        cmocka_unit_test_setup_teardown(test_analytic_values, setup_analytic, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
