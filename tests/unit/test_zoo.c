/* The model zoo and the field reference: the shipped zoo loads clean, an entry applies only
 * where a run is silent, and every run field has exactly one doc, in the schema's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/fields.h"
#include "mlsim/model.h"
#include "mlsim/scenario.h"
#include "mlsim/zoo.h"

#define ZOO_DIR MLSIM_TEST_HWDB "/../models"

static void test_shipped_zoo_is_clean(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_zoo *z = NULL;
    assert_int_equal(mlsim_zoo_load(ZOO_DIR, d, &z), MLSIM_OK);
    assert_int_equal(mlsim_diags_count(d), 0);
    assert_true(mlsim_zoo_count(z) >= 40);
    /* HF meta-llama/Llama-2-70b-hf: 68,976,648,192 (tests/cli/test_zoo.py counts it by hand) */
    const struct mlsim_zoo_model *m = mlsim_zoo_find(z, "llama-2-70b");
    assert_non_null(m);
    assert_true(mlsim_model_params(&m->fields.model) == 68976648192.0);
    assert_null(mlsim_zoo_find(z, "llama-2-71b"));
    assert_string_equal(mlsim_zoo_suggest(z, "llama2-70b"), "llama-2-70b");
    for (size_t i = 0; i + 1 < mlsim_zoo_count(z); i++)
        assert_true(strcmp(mlsim_zoo_at(z, i)->id, mlsim_zoo_at(z, i + 1)->id) < 0);
    assert_null(mlsim_zoo_at(z, mlsim_zoo_count(z)));
    mlsim_zoo_free(z);
    mlsim_zoo_free(NULL);
    mlsim_diags_free(d);
}

static void test_apply_keeps_the_runs_own(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_zoo *z = NULL;
    assert_int_equal(mlsim_zoo_load(ZOO_DIR, d, &z), MLSIM_OK);
    struct mlsim_run *r = calloc(1, sizeof *r);
    const struct mlsim_field *layers = mlsim_schema_find(&mlsim_run_schema, "model.layers");
    r->model.layers = 16;
    r->prov.seen[layers - mlsim_run_schema.fields] = 1;
    mlsim_zoo_apply(mlsim_zoo_find(z, "llama-2-7b"), r);
    assert_int_equal(r->model.layers, 16);   /* the run's own */
    assert_int_equal(r->model.hidden, 4096); /* Llama 2 7B's (arXiv:2307.09288) */
    assert_int_equal(r->training.global_batch, 1024);
    assert_string_equal(r->model.name, "Llama 2 7B");
    assert_non_null(mlsim_schema_given(&mlsim_run_schema, r, "model.hidden"));
    free(r);
    mlsim_zoo_free(z);
    mlsim_diags_free(d);
}

static void test_missing_folder(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_zoo *z = NULL;
    assert_int_equal(mlsim_zoo_load("/nonexistent-zoo", d, &z), MLSIM_ERR_IO);
    assert_null(z);
    assert_int_equal(mlsim_diags_errors(d), 1);
    mlsim_diags_free(d);
}

static void test_every_field_has_one_doc(void **state)
{
    (void)state;
    assert_int_equal(mlsim_fields_n_docs, mlsim_run_schema.n_fields);
    for (size_t i = 0; i < mlsim_run_schema.n_fields; i++) {
        assert_string_equal(mlsim_fields_docs[i].path, mlsim_run_schema.fields[i].path);
        assert_true(strlen(mlsim_fields_docs[i].meaning) > 0);
        assert_true(strlen(mlsim_fields_docs[i].default_text) > 0);
    }
    char buf[128];
    const struct mlsim_field *f = mlsim_schema_find(&mlsim_run_schema, "training.schedule");
    assert_string_equal(mlsim_fields_takes(f, buf, sizeof buf), "gpipe|1f1b|interleaved");
    assert_null(mlsim_fields_doc("training.nonexistent"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_zoo_is_clean),
        cmocka_unit_test(test_apply_keeps_the_runs_own),
        cmocka_unit_test(test_missing_folder),
        cmocka_unit_test(test_every_field_has_one_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
