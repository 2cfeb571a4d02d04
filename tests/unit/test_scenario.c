/* Scenario loading: single runs, tables with defaults, overrides, defaults with sources, derived
 * parameter counts, and the checks that span fields. */
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

#include "mlsim/scenario.h"

#include "check.h"

struct fixture {
    struct mlsim_diags *d;
    struct mlsim_hwdb *db;
    struct mlsim_scenario *sc;
    char path[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->d = mlsim_diags_alloc();
    f->db = mlsim_hwdb_alloc(MLSIM_TEST_HWDB);
    snprintf(f->path, sizeof f->path, "/tmp/mlsim-scn-XXXXXX");
    int fd = mkstemp(f->path);
    if (fd < 0)
        return -1;
    close(fd);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mlsim_scenario_free(f->sc);
    mlsim_hwdb_free(f->db);
    mlsim_diags_free(f->d);
    unlink(f->path);
    free(f);
    return 0;
}

/* Load TEXT (written to a temporary file) or a scenario file PATH, and resolve it. */
static enum mlsim_status load_resolve(struct fixture *f, const char *text, const char *path)
{
    if (text) {
        FILE *fp = fopen(f->path, "w");
        fputs(text, fp);
        fclose(fp);
        path = f->path;
    }
    enum mlsim_status st = mlsim_scenario_load(path, f->d, &f->sc);
    if (!f->sc)
        return st;
    enum mlsim_status st2 = mlsim_scenario_resolve(f->sc, f->db, f->d);
    return st != MLSIM_OK ? st : st2;
}

static int has_message(const struct mlsim_diags *d, const char *phrase)
{
    for (size_t i = 0; i < mlsim_diags_count(d); i++) {
        if (strstr(mlsim_diags_message(d, i), phrase))
            return 1;
    }
    return 0;
}

static void test_gpt3_scenario(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_resolve(f, NULL, MLSIM_TEST_SCENARIOS "/gpt3_a100.yaml"), MLSIM_OK);
    assert_int_equal(f->sc->n_runs, 1);
    const struct mlsim_run *r = &f->sc->runs[0];
    assert_string_equal(r->name, "OpenAI GPT-3");
    assert_near(r->model.params, 175e9, 1.0);
    assert_near(r->model.tokens, 300e9, 1.0);
    assert_int_equal(r->count, 1024);
    assert_int_equal(r->precision, MLSIM_PRECISION_BF16);
    assert_near(r->mfu, 0.5, 0.0);
    assert_near(r->econ.price_usd_per_s, 1.5 / 3600.0, 1e-15);
    assert_near(r->econ.pue, 1.1, 1e-15);
    assert_near(r->econ.carbon_kg_per_j, 0.429 / 3.6e6, 1e-18);
    assert_near(r->econ.device_power_w, 400.0, 0.0); /* the A100's TDP, from hwdb */
    assert_near(r->econ.host_power_w, 412.5, 0.0);
    assert_string_equal(r->device->id, "a100-sxm4-40gb");
}

static void test_table_defaults_and_overrides(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_resolve(f, NULL, MLSIM_TEST_SCENARIOS "/llm_cost_table.yaml"), MLSIM_OK);
    assert_int_equal(f->sc->n_runs, 12);
    assert_true(f->sc->is_table);
    assert_non_null(strstr(f->sc->title, "LLM training costs"));
    assert_string_equal(f->sc->runs[0].name, "MosaicML GPT-30B");
    assert_near(f->sc->runs[0].mfu, 0.45, 0.0); /* the row's own value */
    assert_near(f->sc->runs[1].mfu, 0.50, 0.0); /* from the defaults */
    assert_near(f->sc->runs[6].model.params, 176.247e9, 1.0);
    for (size_t i = 0; i < 12; i++) {
        assert_int_equal(f->sc->runs[i].count, 1024);
        assert_near(f->sc->runs[i].econ.price_usd_per_s, 1.5 / 3600.0, 1e-15);
    }
}

static const char minimal[] = "model: {params: 1B, tokens: 20B}\n"
                              "hardware: {device: a100-sxm4-40gb, count: 8}\n"
                              "precision: bf16\nmfu: 40%\n";

static void test_defaults_come_from_hwdb_and_sources(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_resolve(f, minimal, NULL), MLSIM_OK);
    const struct mlsim_run *r = &f->sc->runs[0];
    assert_string_equal(r->name, "run 1");
    /* PUE 1.58 (Uptime Institute 2023); 480 gCO2/kWh (Ember 2024); A100 rental $4.10/h (hwdb). */
    assert_near(r->econ.pue, 1.58, 0.0);
    assert_near(r->econ.carbon_kg_per_j, 0.480 / 3.6e6, 1e-18);
    assert_near(r->econ.price_usd_per_s, 4.10 / 3600.0, 1e-15);
    assert_near(r->econ.host_power_w, 0.0, 0.0);
}

static void test_set_overrides_every_run(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mlsim_scenario_load(MLSIM_TEST_SCENARIOS "/llm_cost_table.yaml", f->d, &f->sc),
                     MLSIM_OK);
    const char *sets[] = {"mfu=0.3", "hardware.device=h100-sxm5-80gb", "economics.pue=1.2"};
    assert_int_equal(mlsim_scenario_set(f->sc, sets, 3, f->d), MLSIM_OK);
    assert_int_equal(mlsim_scenario_resolve(f->sc, f->db, f->d), MLSIM_OK);
    for (size_t i = 0; i < f->sc->n_runs; i++) {
        assert_near(f->sc->runs[i].mfu, 0.3, 0.0);
        assert_string_equal(f->sc->runs[i].device->id, "h100-sxm5-80gb");
        assert_near(f->sc->runs[i].econ.pue, 1.2, 0.0);
    }
    const char *bad[] = {"mfu", "economics.pu=1", "mfu=2"};
    assert_int_equal(mlsim_scenario_set(f->sc, bad, 3, f->d), MLSIM_ERR_INPUT);
    assert_int_equal(mlsim_diags_errors(f->d), 3);
    assert_non_null(strstr(mlsim_diags_message(f->d, 0), "expected path=value"));
    assert_non_null(strstr(mlsim_diags_message(f->d, 1), "did you mean 'economics.pue'?"));
    assert_int_equal(mlsim_diags_loc(f->d, 2).line, 3);
    assert_int_equal(mlsim_diags_loc(f->d, 2).col, 5);
}

static void test_params_from_shape(void **state)
{
    struct fixture *f = *state;
    /* GPT-3 175B shape (Brown et al. 2020, Table 2.1): l=96, h=12288, s=2048, V=51200 (as in
     * Narayanan et al. 2021). By hand: 12 l h^2 = 173,946,175,488; 13 l h = 15,335,424;
     * (V + s) h = 654,311,424; total 174,615,822,336. */
    double l = 96, h = 12288, v = 51200, s = 2048;
    double narayanan = 12 * l * h * h * (1 + 13 / (12 * h) + (v + s) / (12 * l * h));
    assert_near(narayanan, 174615822336.0, 1.0);
    struct mlsim_model_spec gpt3 = {
        .layers = 96, .hidden = 12288, .heads = 96, .seq_len = 2048, .vocab = 51200};
    /* Narayanan's count leaves out the final LayerNorm (weight and bias, 2h = 24,576) */
    assert_near(mlsim_model_params(&gpt3), 174615822336.0 + 24576.0, 1.0);
    assert_int_equal(
        load_resolve(f,
                     "model: {layers: 96, hidden: 12288, heads: 96, seq_len: 2048, vocab: 51200, "
                     "tokens: 300B}\n"
                     "hardware: {device: a100-sxm4-40gb, count: 8}\nprecision: bf16\nmfu: 40%\n",
                     NULL),
        MLSIM_OK);
    assert_true(f->sc->runs[0].params_from_shape);
    assert_near(f->sc->runs[0].model.params, 174615822336.0 + 24576.0, 1.0);
}

static void test_cross_field_errors(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_resolve(f,
                                  "runs:\n"
                                  "  - {model: {tokens: 1B}, hardware: {device: a100-sxm4-40gb, "
                                  "count: 8}, precision: fp8, mfu: 40%}\n"
                                  "  - {model: {params: 1B, tokens: 1B, layers: 2}, hardware: "
                                  "{device: tpu-v4, count: 8}, precision: bf16, mode: analytic}\n"
                                  "  - {model: {params: 1B, tokens: 1B}, hardware: {device: h100, "
                                  "count: 8}, precision: bf16, mfu: 1}\n",
                                  NULL),
                     MLSIM_ERR_INPUT);
    assert_true(has_message(f->d, "needs 'model.params', or a transformer shape"));
    assert_true(has_message(f->d, "a100-sxm4-40gb has no fp8 throughput"));
    assert_true(has_message(f->d, "missing required key 'mfu'"));  /* analytic mode needs it */
    assert_false(has_message(f->d, "tpu-v4 has no rental price")); /* cost left out (cost.h) */
    /* two ids start with 'h100': both are offered */
    assert_true(has_message(
        f->d, "unknown device 'h100' (did you mean one of h100-pcie-80gb, h100-sxm5-80gb?)"));
}

static void test_bad_table_shapes(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_resolve(f, "runs: []\n", NULL), MLSIM_ERR_INPUT);
    assert_true(has_message(f->d, "'runs' expects a non-empty list"));
    mlsim_scenario_free(f->sc);
    f->sc = NULL;
    assert_int_equal(load_resolve(f, "- a\n- b\n", NULL), MLSIM_ERR_INPUT);
    assert_true(has_message(f->d, "must be a mapping of keys"));
}

static void test_derived_shape(void **state)
{
    (void)state;
    struct mlsim_model_spec m;
    /* GPT-3 175B: (175e9 / (12 x 128^2))^(1/3) = 96.2 -> 96 layers; sqrt(175e9 / (12 x 96)) =
     * 12,326
     * -> 12,288 = 96 heads of 128, GPT-3's own shape (Brown et al. 2020, Table 2.1). */
    mlsim_model_derive_shape(175e9, &m);
    assert_int_equal(m.layers, 96);
    assert_int_equal(m.hidden, 12288);
    assert_int_equal(m.heads, 96);
    /* 30B: l0 = 53.4; candidates 40, 48, 56 layers give widths 8192, 7168, 7168 and 12 l h^2 =
     * 32.2B, 29.6B, 34.5B: 48 layers of 7168 is nearest. */
    mlsim_model_derive_shape(30e9, &m);
    assert_int_equal(m.layers, 48);
    assert_int_equal(m.hidden, 7168);
    assert_int_equal(m.seq_len, 2048);
    assert_int_equal(m.vocab, 51200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gpt3_scenario, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_defaults_and_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_come_from_hwdb_and_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_overrides_every_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_from_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_field_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_table_shapes, setup, teardown),
        cmocka_unit_test(test_derived_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
