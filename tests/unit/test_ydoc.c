/* The YAML tree: structure, places, and every fault the loader must report. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

static void test_alias_copies_and_complex_key_rejected(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("a: &x {p: 1}\nb: *x\n? [k]\n: v\nc: *nope\n", d, MLSIM_OK);
    assert_int_equal(mlsim_diags_errors(d), 2);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "a key must be a plain word"));
    assert_non_null(strstr(mlsim_diags_message(d, 1), "alias *nope names no anchor"));
    assert_int_equal(mlsim_diags_loc(d, 1).line, 5);
    const struct mlsim_ynode *b = mlsim_ynode_get(doc->root, "b");
    assert_non_null(b);
    assert_string_equal(mlsim_ynode_get(b, "p")->value, "1");
    assert_int_equal(mlsim_ynode_get(b, "p")->loc.line, 2); /* a copy is placed at its alias */
    mlsim_ydoc_free(doc);
    mlsim_diags_free(d);
}

/* An anchor inside an entry that is dropped as a duplicate still names a live node: the dropped
 * entries are freed only at the end (under ASan a use after free would fail this test). */
static void test_anchor_in_dropped_duplicate(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("m: {a: 1, a: &x [7]}\nn: *x\n", d, MLSIM_OK);
    assert_int_equal(mlsim_diags_errors(d), 1);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "duplicate key 'a'"));
    const struct mlsim_ynode *n = mlsim_ynode_get(doc->root, "n");
    assert_non_null(n);
    assert_string_equal(n->items[0]->value, "7");
    mlsim_ydoc_free(doc);
    mlsim_diags_free(d);
}

/* Text of a document nesting DEPTH flow sequences: "[[...[]...]]". */
static char *nested(int depth)
{
    char *t = malloc(2 * (size_t)depth + 1);
    for (int i = 0; i < depth; i++) {
        t[i] = '[';
        t[2 * depth - 1 - i] = ']';
    }
    t[2 * depth] = '\0';
    return t;
}

static void test_depth_limit_at_its_edge(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    char *ok = nested(MLSIM_YDOC_MAX_DEPTH);
    mlsim_ydoc_free(load(ok, d, MLSIM_OK));
    assert_int_equal(mlsim_diags_count(d), 0);
    free(ok);
    char *deep = nested(MLSIM_YDOC_MAX_DEPTH + 1);
    assert_null(load(deep, d, MLSIM_ERR_INPUT));
    assert_non_null(strstr(mlsim_diags_message(d, 0), "nest deeper than 64 levels"));
    assert_int_equal(mlsim_diags_loc(d, 0).line, 1);
    assert_int_equal(mlsim_diags_loc(d, 0).col, MLSIM_YDOC_MAX_DEPTH + 1);
    free(deep);
    /* 40,000 levels (an 80 KB file) overflowed the stack before the limit */
    deep = nested(40000);
    assert_null(load(deep, d, MLSIM_ERR_INPUT));
    free(deep);
    mlsim_diags_free(d);
}

/* A mapping of N keys k0..k(N-1), one per line, the last repeated if DUP. */
static char *many_keys(size_t n, int dup)
{
    char *t = malloc(16 * (n + 1));
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(t + used, 16, "k%zu: 1\n", i);
    if (dup)
        snprintf(t + used, 16, "k%zu: 2\n", n - 1);
    return t;
}

static void test_key_limit_at_its_edge(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    char *t = many_keys(MLSIM_YDOC_MAX_KEYS, 0);
    struct mlsim_ydoc *doc = load(t, d, MLSIM_OK);
    assert_int_equal(doc->root->n, MLSIM_YDOC_MAX_KEYS);
    assert_int_equal(mlsim_diags_count(d), 0);
    mlsim_ydoc_free(doc);
    free(t);
    /* the duplicate of the last key is found among 4096 (by sorting, not 4096^2 compares) */
    t = many_keys(MLSIM_YDOC_MAX_KEYS - 1, 1);
    doc = load(t, d, MLSIM_OK);
    assert_int_equal(mlsim_diags_errors(d), 1);
    assert_non_null(
        strstr(mlsim_diags_message(d, 0), "duplicate key 'k4094' (first given at line 4095)"));
    mlsim_ydoc_free(doc);
    free(t);
    t = many_keys(MLSIM_YDOC_MAX_KEYS + 1, 0);
    assert_null(load(t, d, MLSIM_ERR_INPUT));
    assert_non_null(strstr(mlsim_diags_message(d, 1), "more than 4096 keys in one mapping"));
    assert_int_equal(mlsim_diags_loc(d, 1).line, MLSIM_YDOC_MAX_KEYS + 1);
    free(t);
    mlsim_diags_free(d);
}

static void test_scalar_limit_at_its_edge(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    size_t n = MLSIM_YDOC_MAX_SCALAR;
    char *t = malloc(n + 8);
    memcpy(t, "a: ", 3);
    memset(t + 3, 'x', n);
    t[3 + n] = '\0';
    struct mlsim_ydoc *doc = load(t, d, MLSIM_OK);
    assert_int_equal(strlen(mlsim_ynode_get(doc->root, "a")->value), n);
    mlsim_ydoc_free(doc);
    memcpy(t + 3 + n, "x", 2);
    assert_null(load(t, d, MLSIM_ERR_INPUT));
    assert_non_null(strstr(mlsim_diags_message(d, 0), "a value of 65537 bytes is longer than"));
    assert_int_equal(mlsim_diags_loc(d, 0).col, 4);
    free(t);
    mlsim_diags_free(d);
}

/* "a: &x [1, 1, ...]" with ITEMS entries, then B aliases of it. */
static char *anchored(size_t items, int b)
{
    char *t = malloc(3 * items + 16 * (size_t)b + 16);
    size_t used = (size_t)snprintf(t, 16, "a: &x [");
    for (size_t i = 0; i < items; i++)
        used += (size_t)snprintf(t + used, 4, "%s1", i ? "," : "");
    used += (size_t)snprintf(t + used, 4, "]\n");
    for (int i = 0; i < b; i++)
        used += (size_t)snprintf(t + used, 16, "b%d: *x\n", i);
    return t;
}

static void test_alias_expansion_limit_at_its_edge(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    /* one alias of a list of 9,999 values makes 10,000 nodes: the limit, allowed */
    char *t = anchored(MLSIM_YDOC_MAX_ALIAS_NODES - 1, 1);
    struct mlsim_ydoc *doc = load(t, d, MLSIM_OK);
    assert_int_equal(mlsim_ynode_get(doc->root, "b0")->n, MLSIM_YDOC_MAX_ALIAS_NODES - 1);
    mlsim_ydoc_free(doc);
    free(t);
    t = anchored(MLSIM_YDOC_MAX_ALIAS_NODES, 1);
    assert_null(load(t, d, MLSIM_ERR_INPUT));
    assert_non_null(strstr(mlsim_diags_message(d, 0), "aliases expand past 10000 nodes"));
    assert_int_equal(mlsim_diags_loc(d, 0).line, 2);
    free(t);
    /* billion laughs: each level ten aliases of the one before, 10^9 values in 9 levels */
    static const char laughs[] = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                                 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                                 "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                                 "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                                 "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                                 "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                                 "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                                 "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    assert_null(load(laughs, d, MLSIM_ERR_INPUT));
    assert_non_null(strstr(mlsim_diags_message(d, 1), "aliases expand past"));
    mlsim_diags_free(d);
}

static void test_anchor_limit_at_its_edge(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    char *t = malloc(32 * (MLSIM_YDOC_MAX_ANCHORS + 1));
    size_t used = 0;
    for (int i = 0; i < MLSIM_YDOC_MAX_ANCHORS; i++)
        used += (size_t)snprintf(t + used, 32, "k%d: &a%d 1\n", i, i);
    mlsim_ydoc_free(load(t, d, MLSIM_OK));
    assert_int_equal(mlsim_diags_count(d), 0);
    snprintf(t + used, 32, "last: &z 1\n");
    assert_null(load(t, d, MLSIM_ERR_INPUT));
    assert_non_null(strstr(mlsim_diags_message(d, 0), "more than 256 anchors"));
    free(t);
    mlsim_diags_free(d);
}

static void test_tags_beyond_the_core_schema(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("a: !!str 1\nb: !!python/object:os.system x\nc: !foo {}\n"
                                  "d: !!seq [1]\n",
                                  d, MLSIM_OK);
    assert_int_equal(mlsim_diags_errors(d), 2);
    assert_non_null(
        strstr(mlsim_diags_message(d, 0),
               "YAML tag 'tag:yaml.org,2002:python/object:os.system' is not supported"));
    assert_int_equal(mlsim_diags_loc(d, 0).line, 2);
    assert_non_null(strstr(mlsim_diags_message(d, 1), "YAML tag '!foo'"));
    mlsim_ydoc_free(doc);
    mlsim_diags_free(d);
}

static void test_nul_in_a_quoted_value(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_ydoc *doc = load("device: \"a100-sxm4-40gb\\0../../x\"\n", d, MLSIM_OK);
    assert_int_equal(mlsim_diags_errors(d), 1);
    assert_non_null(strstr(mlsim_diags_message(d, 0), "NUL character"));
    assert_int_equal(mlsim_diags_loc(d, 0).col, 9);
    mlsim_ydoc_free(doc);
    mlsim_diags_free(d);
}

static void test_utf8_validation(void **state)
{
    (void)state;
    size_t bad = 99;
    static const char good[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"; /* 2, 3, 4 bytes */
    assert_true(mlsim_diag_utf8_valid(good, sizeof good - 1, &bad));
    assert_int_equal(bad, 99);
    /* RFC 3629: overlong forms, surrogates, past U+10FFFF, a cut sequence, a stray continuation */
    static const struct {
        const char *s;
        size_t at;
    } cases[] = {
        {"a\xc0\x80", 1},  {"ab\xe0\x80\x80", 2}, {"\xed\xa0\x80", 0}, {"\xf4\x90\x80\x80", 0},
        {"xy\xe2\x82", 2}, {"\x80", 0},           {"\xff", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_false(mlsim_diag_utf8_valid(cases[i].s, strlen(cases[i].s), &bad));
        assert_int_equal(bad, cases[i].at);
    }
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
        cmocka_unit_test(test_alias_copies_and_complex_key_rejected),
        cmocka_unit_test(test_anchor_in_dropped_duplicate),
        cmocka_unit_test(test_depth_limit_at_its_edge),
        cmocka_unit_test(test_key_limit_at_its_edge),
        cmocka_unit_test(test_scalar_limit_at_its_edge),
        cmocka_unit_test(test_alias_expansion_limit_at_its_edge),
        cmocka_unit_test(test_anchor_limit_at_its_edge),
        cmocka_unit_test(test_tags_beyond_the_core_schema),
        cmocka_unit_test(test_nul_in_a_quoted_value),
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_binary_and_second_document),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_print_shows_line_and_caret),
        cmocka_unit_test(test_suggest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
