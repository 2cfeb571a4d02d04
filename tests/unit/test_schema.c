/* The table-driven loader: kinds, ranges, unknown keys, overrides and provenance. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/schema.h"

#include "check.h"

struct thing {
    char label[8];
    double power_w;
    double share;
    int cores;
    int color;
    struct mlsim_provenance prov;
};

static const char *const colors[] = {"red", "green", "blue", NULL};

static const struct mlsim_field fields[] = {
    {"label", MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, offsetof(struct thing, label), 8, 0, 0, 0, NULL,
     NULL},
    {"spec", MLSIM_FIELD_SECTION, MLSIM_DIM_NUMBER, 0, 0, 0, 0, 0, NULL, NULL},
    {"spec.power", MLSIM_FIELD_QUANTITY, MLSIM_DIM_POWER, offsetof(struct thing, power_w),
     sizeof(double), 0, INFINITY, 0, NULL, NULL},
    {"spec.share", MLSIM_FIELD_QUANTITY, MLSIM_DIM_RATIO, offsetof(struct thing, share),
     sizeof(double), 0, 1, 0, NULL, NULL},
    {"cores", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, offsetof(struct thing, cores), sizeof(int), 1,
     1024, MLSIM_FIELD_LO_INCLUSIVE, NULL, NULL},
    {"color", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, offsetof(struct thing, color), sizeof(int), 0, 0,
     0, colors, NULL},
};

static const struct mlsim_schema schema = {"thing", fields, sizeof fields / sizeof fields[0],
                                           offsetof(struct thing, prov), NULL};

static enum mlsim_status load(const char *text, struct thing *t, struct mlsim_diags *d)
{
    struct mlsim_ydoc *doc = NULL;
    memset(t, 0, sizeof *t);
    assert_int_equal(mlsim_ydoc_load_string("s.yaml", text, strlen(text), d, &doc), MLSIM_OK);
    enum mlsim_status st = mlsim_schema_load(&schema, doc->root, t, d);
    mlsim_ydoc_free(doc);
    return st;
}

static void test_loads_every_kind(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct thing t;
    assert_int_equal(
        load("label: abc\nspec:\n  power: 1.5 kW\n  share: 25%\ncores: 18\ncolor: blue\n", &t, d),
        MLSIM_OK);
    assert_string_equal(t.label, "abc");
    assert_near(t.power_w, 1500.0, 1e-9);
    assert_near(t.share, 0.25, 1e-15);
    assert_int_equal(t.cores, 18);
    assert_int_equal(t.color, 2);
    assert_non_null(mlsim_schema_given(&schema, &t, "spec.power"));
    assert_int_equal(mlsim_schema_given(&schema, &t, "spec.power")->line, 3);
    assert_null(mlsim_schema_given(&schema, &t, "nope"));
    mlsim_diags_free(d);
}

static void test_every_fault_reported(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct thing t;
    const char *text = "lable: x\n" /* unknown key, close to 'label' */
                       "spec:\n"
                       "  power: -3 W\n" /* out of range */
                       "  share: 2\n"    /* above 1 */
                       "  zzz: 1\n"      /* unknown, no close match */
                       "cores: 1.5\n"    /* not whole */
                       "color: gren\n";  /* bad enum, close to 'green' */
    assert_int_equal(load(text, &t, d), MLSIM_ERR_INPUT);
    assert_int_equal(mlsim_diags_errors(d), 6);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "did you mean 'label'?"));
    assert_non_null(strstr(mlsim_diags_message(d, 1), "'spec.power' must be > 0"));
    assert_non_null(strstr(mlsim_diags_message(d, 2), "must be > 0 and <= 1"));
    assert_non_null(strstr(mlsim_diags_message(d, 3), "valid keys: power, share"));
    assert_non_null(strstr(mlsim_diags_message(d, 4), "whole number"));
    assert_non_null(strstr(mlsim_diags_message(d, 5), "did you mean 'green'?"));
    assert_true(mlsim_schema_seen(&schema, &t, "cores"));
    assert_null(mlsim_schema_given(&schema, &t, "cores"));
    mlsim_diags_free(d);
}

static void test_wrong_shapes(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct thing t;
    assert_int_equal(load("spec: 3\nlabel: [a]\nlabel2: x\n", &t, d), MLSIM_ERR_INPUT);
    assert_non_null(
        strstr(mlsim_diags_message(d, 0), "'spec' expects a mapping of keys, not a single value"));
    assert_non_null(
        strstr(mlsim_diags_message(d, 1), "'label' expects a single value, not a list"));
    /* the fields under a rejected section count as present, so none is "missing" later */
    assert_true(mlsim_schema_seen(&schema, &t, "spec.power"));
    mlsim_diags_free(d);
}

static void test_string_too_long(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct thing t;
    assert_int_equal(load("label: abcdefghijk\n", &t, d), MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "at most 7 characters"));
    mlsim_diags_free(d);
}

static void test_set_override(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct thing t;
    memset(&t, 0, sizeof t);
    char value[] = "2 kW";
    struct mlsim_ynode node = {MLSIM_YNODE_SCALAR, {"--set", 1, 12}, value, 0, NULL, NULL, 0};
    assert_int_equal(mlsim_schema_set(&schema, "spec.power", &node, &t, d), MLSIM_OK);
    assert_near(t.power_w, 2000.0, 1e-9);
    assert_string_equal(mlsim_schema_given(&schema, &t, "spec.power")->file, "--set");
    assert_int_equal(mlsim_schema_set(&schema, "spec.pwer", &node, &t, d), MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "did you mean 'spec.power'?"));
    assert_int_equal(mlsim_schema_set(&schema, "spec", &node, &t, d), MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 1), "not a single value"));
    mlsim_diags_free(d);
}

/* --set text never passes libyaml: invalid UTF-8 is refused at the byte at fault, and so is a
 * value longer than MLSIM_YDOC_MAX_SCALAR (the limit itself is allowed through to the field). */
static void test_set_checks_utf8_and_length(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct thing t;
    memset(&t, 0, sizeof t);
    char value[] = "ab\xc3";
    struct mlsim_ynode node = {MLSIM_YNODE_SCALAR, {"--set", 2, 7}, value, 0, NULL, NULL, 0};
    assert_int_equal(mlsim_schema_set(&schema, "label", &node, &t, d), MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "invalid UTF-8 in a --set (byte 3)"));
    assert_int_equal(mlsim_diags_loc(d, 0).line, 2);
    assert_int_equal(mlsim_diags_loc(d, 0).col, 9);
    char ok[] = "ok";
    node.value = ok;
    assert_int_equal(mlsim_schema_set(&schema, "spec.\xff", &node, &t, d), MLSIM_ERR_INPUT);
    assert_int_equal(mlsim_diags_loc(d, 1).col, 6); /* the path starts at column 1 */
    char *big = malloc(MLSIM_YDOC_MAX_SCALAR + 2);
    memset(big, 'x', MLSIM_YDOC_MAX_SCALAR + 1);
    big[MLSIM_YDOC_MAX_SCALAR] = '\0';
    node.value = big;
    assert_int_equal(mlsim_schema_set(&schema, "label", &node, &t, d), MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 2), "is too long")); /* reached the field */
    big[MLSIM_YDOC_MAX_SCALAR] = 'x';
    big[MLSIM_YDOC_MAX_SCALAR + 1] = '\0';
    assert_int_equal(mlsim_schema_set(&schema, "label", &node, &t, d), MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 3), "a --set of 65537 bytes is longer"));
    free(big);
    mlsim_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_every_kind), cmocka_unit_test(test_every_fault_reported),
        cmocka_unit_test(test_wrong_shapes),     cmocka_unit_test(test_string_too_long),
        cmocka_unit_test(test_set_override),     cmocka_unit_test(test_set_checks_utf8_and_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
