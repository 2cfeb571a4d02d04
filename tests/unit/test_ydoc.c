/* The YAML tree: structure, places, and every fault the loader must report. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/ydoc.h"

static struct mlsim_ydoc *load(const char *text, struct mlsim_diags *d, enum mlsim_status want)
{
    struct mlsim_ydoc *doc = NULL;
    assert_int_equal(mlsim_ydoc_load_string("t.yaml", text, strlen(text), d, &doc), want);
    return doc;
}

static void test_tree_and_places(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("a: 1\nb:\n  c: 'x'\n  d: [1, 2]\n", d, MLSIM_OK);
    assert_int_equal(mlsim_diags_count(d), 0);
    const struct mlsim_ynode *b = mlsim_ynode_get(doc->root, "b");
    assert_non_null(b);
    assert_int_equal(b->type, MLSIM_YNODE_MAP);
    const struct mlsim_ynode *c = mlsim_ynode_get(b, "c");
    assert_string_equal(c->value, "x");
    assert_true(c->quoted);
    assert_int_equal(c->loc.line, 3);
    assert_int_equal(c->loc.col, 6);
    const struct mlsim_ynode *list = mlsim_ynode_get(b, "d");
    assert_int_equal(list->type, MLSIM_YNODE_SEQ);
    assert_int_equal(list->n, 2);
    assert_string_equal(list->items[1]->value, "2");
    assert_null(mlsim_ynode_get(doc->root, "missing"));
    mlsim_ydoc_free(doc);
    mlsim_diags_free(d);
}

static void test_duplicate_keys_reported_and_dropped(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("a: 1\nb: 2\na: 3\nb: 4\n", d, MLSIM_OK);
    assert_int_equal(mlsim_diags_errors(d), 2);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "duplicate key 'a' (first given at line 1)"));
    assert_int_equal(mlsim_diags_loc(d, 1).line, 4);
    assert_string_equal(mlsim_ynode_get(doc->root, "a")->value, "1");
    mlsim_ydoc_free(doc);
    mlsim_diags_free(d);
}

static void test_syntax_error_has_place(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("a: [1, 2\nb: 3\n", d, MLSIM_ERR_INPUT);
    assert_null(doc);
    assert_int_equal(mlsim_diags_errors(d), 1);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "YAML syntax"));
    assert_true(mlsim_diags_loc(d, 0).line >= 1);
    mlsim_diags_free(d);
}

static void test_empty_and_comment_only(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("", d, MLSIM_OK);
    assert_null(doc->root);
    mlsim_ydoc_free(doc);
    doc = load("# only a comment\n---\n", d, MLSIM_OK);
    assert_null(doc->root);
    mlsim_ydoc_free(doc);
    assert_int_equal(mlsim_diags_count(d), 0);
    mlsim_diags_free(d);
}

static void test_alias_and_complex_key_rejected(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("a: &x 1\nb: *x\n? [k]\n: v\n", d, MLSIM_OK);
    assert_int_equal(mlsim_diags_errors(d), 2);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "aliases"));
    assert_non_null(strstr(mlsim_diags_message(d, 1), "a key must be a plain word"));
    assert_null(mlsim_ynode_get(doc->root, "b"));
    mlsim_ydoc_free(doc);
    mlsim_diags_free(d);
}

static void test_binary_and_second_document(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    const char bin[] = "a: \xff\xfe\x01";
    struct mlsim_ydoc *doc = NULL;
    assert_int_equal(mlsim_ydoc_load_string("b.yaml", bin, sizeof bin - 1, d, &doc),
                     MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "not a YAML text file"));
    doc = load("a: 1\n---\nb: 2\n", d, MLSIM_ERR_INPUT);
    assert_non_null(strstr(mlsim_diags_message(d, 1), "second YAML document"));
    mlsim_diags_free(d);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = NULL;
    assert_int_equal(mlsim_ydoc_load_file("/nonexistent/x.yaml", d, &doc), MLSIM_ERR_IO);
    assert_null(doc);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "cannot open"));
    assert_int_equal(mlsim_diags_loc(d, 0).line, 0);
    mlsim_diags_free(d);
}

static void test_print_shows_line_and_caret(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("a: 1\nbb: 2\n", d, MLSIM_OK);
    const struct mlsim_ynode *bb = mlsim_ynode_get(doc->root, "bb");
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, bb->loc, "bad %s", "value");
    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    mlsim_ydoc_free(doc); /* printing must not need the document any more */
    mlsim_diags_print(d, f);
    fclose(f);
    assert_string_equal(buf, "t.yaml:2:5: error: bad value\n  bb: 2\n      ^\n");
    mlsim_diags_free(d);
}

static void test_suggest(void **state)
{
    (void)state;
    static const char *const keys[] = {"bandwidth", "capacity", "on_chip"};
    assert_string_equal(mlsim_diag_suggest("bandwith", keys, 3), "bandwidth");
    assert_null(mlsim_diag_suggest("zzzzzz", keys, 3));
    assert_string_equal(mlsim_diag_suggest("on", keys, 3), "on_chip");
    assert_int_equal(mlsim_diag_distance("kitten", "sitting"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_and_places),
        cmocka_unit_test(test_duplicate_keys_reported_and_dropped),
        cmocka_unit_test(test_syntax_error_has_place),
        cmocka_unit_test(test_empty_and_comment_only),
        cmocka_unit_test(test_alias_and_complex_key_rejected),
        cmocka_unit_test(test_binary_and_second_document),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_print_shows_line_and_caret),
        cmocka_unit_test(test_suggest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
