/* Report writers: columns, escaping, assumptions with their origin, determinism. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/report.h"

struct fixture {
    struct mlsim_diags *d;
    struct mlsim_hwdb *db;
    struct mlsim_scenario *sc;
    struct mlsim_result *res;
};

static int setup_file(void **state, const char *path)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->d = mlsim_diags_alloc();
    f->db = mlsim_hwdb_alloc(MLSIM_TEST_HWDB);
    if (mlsim_scenario_load(path, f->d, &f->sc) != MLSIM_OK ||
        mlsim_scenario_resolve(f->sc, f->db, f->d) != MLSIM_OK)
        return -1;
    f->res = calloc(f->sc->n_runs, sizeof *f->res);
    for (size_t i = 0; i < f->sc->n_runs; i++) {
        if (mlsim_analytic_estimate(&f->sc->runs[i], &f->res[i]) != MLSIM_OK)
            return -1;
    }
    *state = f;
    return 0;
}

static int setup_gpt3(void **state)
{
    return setup_file(state, MLSIM_TEST_SCENARIOS "/gpt3_a100.yaml");
}

static int setup_table(void **state)
{
    return setup_file(state, MLSIM_TEST_SCENARIOS "/llm_cost_table.yaml");
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->res);
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
    const struct mlsim_report_format *fmt = mlsim_report_format_find(format);
    assert_non_null(fmt);
    mlsim_report_write(out, fmt, f->sc, f->res, f->sc->n_runs);
    fclose(out);
    return buf;
}

static void test_formats_known(void **state)
{
    (void)state;
    assert_non_null(mlsim_report_format_find("table"));
    assert_non_null(mlsim_report_format_find("csv"));
    assert_non_null(mlsim_report_format_find("json"));
    assert_null(mlsim_report_format_find("xml"));
}

static void test_full_report(void **state)
{
    struct fixture *f = *state;
    char *s = render(f, "table");
    assert_non_null(strstr(s, "$841,346"));
    assert_non_null(strstr(s, "1024 x NVIDIA A100 SXM4 40GB"));
    assert_non_null(strstr(s, "560,897"));    /* device-hours, by hand in test_analytic */
    assert_non_null(strstr(s, "22.82 days")); /* 1,971,905 s */
    assert_non_null(strstr(s, "PUE 1.1 (given in gpt3_a100.yaml:"));
    assert_non_null(strstr(s, "Device power 400 W: the TDP of a100-sxm4-40gb"));
    free(s);
}

static void test_csv_columns_and_rows(void **state)
{
    struct fixture *f = *state;
    char *s = render(f, "csv");
    const char *header =
        "name,mode,params,tokens,flops,device,count,precision,peak_flops,mfu,time_s,"
        "device_hours,cost_usd,avg_power_w,pue,energy_kwh,energy_cost_usd,co2_kg,step_time_s,hfu,"
        "tflops_per_device,tokens_per_s,mem_per_device_bytes,closed_form_step_s,ref_metric,"
        "ref_predicted,ref_measured,ref_error_pct,batch,";
    /* mlsim 0.1.0's 29 columns keep their places; later ones follow, schema_version last */
    assert_memory_equal(s, header, strlen(header));
    const char *eol = strchr(s, '\n');
    assert_non_null(eol);
    assert_memory_equal(eol - strlen(",schema_version"), ",schema_version",
                        strlen(",schema_version"));
    size_t lines = 0;
    for (const char *p = s; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 13);
    assert_non_null(strstr(
        s, "\nOpenAI GPT-3,analytic,175000000000,300000000000,3.15e+23,a100-sxm4-40gb,1024,bf16,"));
    free(s);
}

static void test_csv_and_json_escaping(void **state)
{
    struct fixture *f = *state;
    snprintf(f->sc->runs[0].name, sizeof f->sc->runs[0].name, "a \"quoted\", name\\");
    char *csv = render(f, "csv");
    assert_non_null(strstr(csv, "\n\"a \"\"quoted\"\", name\\\","));
    char *json = render(f, "json");
    assert_non_null(strstr(json, "\"name\": \"a \\\"quoted\\\", name\\\\\""));
    free(csv);
    free(json);
}

static void test_table_assumptions_once(void **state)
{
    struct fixture *f = *state;
    char *s = render(f, "table");
    const char *line = "PUE 1.58: default, Uptime Institute";
    char *first = strstr(s, line);
    assert_non_null(first);
    assert_null(strstr(first + 1, line)); /* twelve runs, one line */
    assert_non_null(strstr(s, "$6,750,000"));
    free(s);
}

static void test_deterministic(void **state)
{
    struct fixture *f = *state;
    static const char *const formats[] = {"table", "csv", "json"};
    for (size_t i = 0; i < 3; i++) {
        char *a = render(f, formats[i]);
        char *b = render(f, formats[i]);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_known),
        cmocka_unit_test_setup_teardown(test_full_report, setup_gpt3, teardown),
        cmocka_unit_test_setup_teardown(test_csv_columns_and_rows, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_csv_and_json_escaping, setup_gpt3, teardown),
        cmocka_unit_test_setup_teardown(test_table_assumptions_once, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_deterministic, setup_table, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
