/*
 * Build a node tree from libyaml's event stream. Recursive descent: each *_START event opens a
 * node whose children are parsed until the matching *_END. Faults that leave the tree usable
 * (duplicate keys, aliases, non-scalar keys) are reported and the entry is dropped, so a loader
 * can still check the rest of the file and report every error at once.
 */
#include "mlsim/ydoc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct builder {
    yaml_parser_t parser;
    struct mlsim_ydoc *doc;
    struct mlsim_diags *d;
    int nomem;
};

/* Why node parsing stopped: OK, a syntax error (already reported), or out of memory. */
enum parse_result { PARSE_OK, PARSE_SYNTAX, PARSE_NOMEM };

static struct mlsim_loc mark_loc(const struct builder *b, yaml_mark_t m)
{
    struct mlsim_loc loc = {b->doc->file, (int)m.line + 1, (int)m.column + 1};
    return loc;
}

/* Place of byte OFFSET of the text, for reader errors that carry only an offset. */
static struct mlsim_loc offset_loc(const struct builder *b, size_t offset)
{
    struct mlsim_loc loc = {b->doc->file, 1, 1};
    for (size_t i = 0; i < offset && i < b->doc->len; i++) {
        if (b->doc->text[i] == '\n') {
            loc.line++;
            loc.col = 1;
        } else {
            loc.col++;
        }
    }
    return loc;
}

static void report_syntax(struct builder *b)
{
    const yaml_parser_t *p = &b->parser;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_MEMORY_ERROR) {
        b->nomem = 1;
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, offset_loc(b, p->problem_offset),
                           "not a YAML text file: %s", problem);
        return;
    }
    if (p->context)
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, mark_loc(b, p->problem_mark),
                           "YAML syntax: %s %s", problem, p->context);
    else
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, mark_loc(b, p->problem_mark),
                           "YAML syntax: %s", problem);
}

static void node_free(struct mlsim_ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            node_free(n->keys[i]);
        node_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->value);
    free(n);
}

static struct mlsim_ynode *node_new(const struct builder *b, enum mlsim_ynode_type type,
                                    yaml_mark_t mark)
{
    struct mlsim_ynode *n = calloc(1, sizeof *n);
    if (n) {
        n->type = type;
        n->loc = mark_loc(b, mark);
    }
    return n;
}

/* Append (KEY, ITEM) to N; KEY is NULL for sequences. Returns 0 if malloc fails. */
static int node_append(struct mlsim_ynode *n, struct mlsim_ynode *key, struct mlsim_ynode *item)
{
    struct mlsim_ynode **items = realloc(n->items, (n->n + 1) * sizeof *items);
    if (!items)
        return 0;
    n->items = items;
    if (n->type == MLSIM_YNODE_MAP) {
        struct mlsim_ynode **keys = realloc(n->keys, (n->n + 1) * sizeof *keys);
        if (!keys)
            return 0;
        n->keys = keys;
        n->keys[n->n] = key;
    }
    n->items[n->n++] = item;
    return 1;
}

static enum parse_result parse_node(struct builder *b, yaml_event_t *ev, struct mlsim_ynode **out);

static enum parse_result next_event(struct builder *b, yaml_event_t *ev)
{
    if (yaml_parser_parse(&b->parser, ev))
        return PARSE_OK;
    report_syntax(b);
    return b->nomem ? PARSE_NOMEM : PARSE_SYNTAX;
}

static enum parse_result parse_scalar(struct builder *b, yaml_event_t *ev, struct mlsim_ynode **out)
{
    struct mlsim_ynode *n = node_new(b, MLSIM_YNODE_SCALAR, ev->start_mark);
    if (!n)
        return PARSE_NOMEM;
    size_t len = ev->data.scalar.length;
    n->value = malloc(len + 1);
    if (!n->value) {
        free(n);
        return PARSE_NOMEM;
    }
    memcpy(n->value, ev->data.scalar.value, len);
    n->value[len] = '\0';
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    *out = n;
    return PARSE_OK;
}

static const struct mlsim_ynode *find_key(const struct mlsim_ynode *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i]->value, key) == 0)
            return map->keys[i];
    }
    return NULL;
}

/* Add KEY: VAL to MAP unless the key is not a scalar or is a duplicate (then report, drop). */
static enum parse_result map_add(struct builder *b, struct mlsim_ynode *map,
                                 struct mlsim_ynode *key, struct mlsim_ynode *val)
{
    const struct mlsim_ynode *first = NULL;
    if (key->type != MLSIM_YNODE_SCALAR) {
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, key->loc,
                           "a key must be a plain word, not %s", mlsim_ynode_type_name(key->type));
    } else if ((first = find_key(map, key->value)) != NULL) {
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, key->loc,
                           "duplicate key '%s' (first given at line %d)", key->value,
                           first->loc.line);
    } else if (!val) {
        /* alias value, already reported */
    } else if (node_append(map, key, val)) {
        return PARSE_OK;
    } else {
        node_free(key);
        node_free(val);
        return PARSE_NOMEM;
    }
    node_free(key);
    node_free(val);
    return PARSE_OK;
}

/* Parse the children of a collection N until its end event. */
static enum parse_result parse_children(struct builder *b, struct mlsim_ynode *n)
{
    yaml_event_type_t end =
        n->type == MLSIM_YNODE_MAP ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    for (;;) {
        yaml_event_t ev;
        struct mlsim_ynode *key = NULL, *val = NULL;
        enum parse_result r = next_event(b, &ev);
        if (r != PARSE_OK)
            return r;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return PARSE_OK;
        }
        r = parse_node(b, &ev, n->type == MLSIM_YNODE_MAP ? &key : &val);
        if (r == PARSE_OK && n->type == MLSIM_YNODE_MAP) {
            r = next_event(b, &ev);
            if (r != PARSE_OK) {
                node_free(key);
                return r;
            }
            r = parse_node(b, &ev, &val);
            if (r != PARSE_OK)
                node_free(key);
            else if (key)
                r = map_add(b, n, key, val);
            else
                node_free(val);
        } else if (r == PARSE_OK && val && !node_append(n, NULL, val)) {
            node_free(val);
            r = PARSE_NOMEM;
        }
        if (r != PARSE_OK)
            return r;
    }
}

/* Parse the node that starts with EV (consumed here). *OUT is NULL for an alias. */
static enum parse_result parse_node(struct builder *b, yaml_event_t *ev, struct mlsim_ynode **out)
{
    enum parse_result r = PARSE_OK;
    struct mlsim_ynode *n = NULL;
    *out = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        r = parse_scalar(b, ev, out);
        break;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        n = node_new(b, ev->type == YAML_MAPPING_START_EVENT ? MLSIM_YNODE_MAP : MLSIM_YNODE_SEQ,
                     ev->start_mark);
        if (!n) {
            r = PARSE_NOMEM;
            break;
        }
        r = parse_children(b, n);
        if (r == PARSE_OK)
            *out = n;
        else
            node_free(n);
        break;
    case YAML_ALIAS_EVENT:
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, mark_loc(b, ev->start_mark),
                           "YAML aliases (*%s) are not supported: write the value out",
                           (const char *)ev->data.alias.anchor);
        break;
    default:
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, mark_loc(b, ev->start_mark),
                           "unexpected YAML structure");
        r = PARSE_SYNTAX;
        break;
    }
    yaml_event_delete(ev);
    return r;
}

/* Parse the stream: at most one document. */
static enum parse_result parse_stream(struct builder *b)
{
    yaml_event_t ev;
    enum parse_result r;
    while ((r = next_event(b, &ev)) == PARSE_OK) {
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return PARSE_OK;
        }
        if (t == YAML_DOCUMENT_START_EVENT && b->doc->root) {
            mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, mark_loc(b, ev.start_mark),
                               "a second YAML document ('---') in one file is not supported");
            yaml_event_delete(&ev);
            return PARSE_SYNTAX;
        }
        if (t == YAML_SCALAR_EVENT || t == YAML_MAPPING_START_EVENT ||
            t == YAML_SEQUENCE_START_EVENT || t == YAML_ALIAS_EVENT) {
            r = parse_node(b, &ev, &b->doc->root);
            if (r != PARSE_OK)
                return r;
            continue;
        }
        yaml_event_delete(&ev);
    }
    return r;
}

enum mlsim_status mlsim_ydoc_load_string(const char *name, const char *text, size_t len,
                                         struct mlsim_diags *d, struct mlsim_ydoc **out)
{
    struct builder b;
    memset(&b, 0, sizeof b);
    *out = NULL;
    b.d = d;
    b.doc = calloc(1, sizeof *b.doc);
    if (!b.doc)
        return MLSIM_ERR_NOMEM;
    b.doc->file = malloc(strlen(name) + 1);
    b.doc->text = malloc(len + 1);
    if (!b.doc->file || !b.doc->text || mlsim_diags_add_source(d, name, text, len) != MLSIM_OK ||
        !yaml_parser_initialize(&b.parser)) {
        mlsim_ydoc_free(b.doc);
        return MLSIM_ERR_NOMEM;
    }
    memcpy(b.doc->file, name, strlen(name) + 1);
    memcpy(b.doc->text, text, len);
    b.doc->text[len] = '\0';
    b.doc->len = len;
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)b.doc->text, len);
    enum parse_result r = parse_stream(&b);
    yaml_parser_delete(&b.parser);
    if (r != PARSE_OK) {
        mlsim_ydoc_free(b.doc);
        return r == PARSE_NOMEM ? MLSIM_ERR_NOMEM : MLSIM_ERR_INPUT;
    }
    /* A file of comments only, or a bare '---', is empty. */
    struct mlsim_ynode *root = b.doc->root;
    if (root && root->type == MLSIM_YNODE_SCALAR && !root->quoted && root->value[0] == '\0') {
        node_free(root);
        b.doc->root = NULL;
    }
    *out = b.doc;
    return MLSIM_OK;
}

enum mlsim_status mlsim_ydoc_load_file(const char *path, struct mlsim_diags *d,
                                       struct mlsim_ydoc **out)
{
    struct mlsim_loc whole = {path, 0, 0};
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, whole, "cannot open: %s", strerror(errno));
        return MLSIM_ERR_IO;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    enum mlsim_status st = MLSIM_OK;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? 2 * cap : 8192;
            char *t = realloc(text, cap);
            if (!t) {
                st = MLSIM_ERR_NOMEM;
                break;
            }
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (st == MLSIM_OK && ferror(f)) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, whole, "cannot read: %s", strerror(errno));
        st = MLSIM_ERR_IO;
    }
    fclose(f);
    if (st == MLSIM_OK)
        st = mlsim_ydoc_load_string(path, text ? text : "", len, d, out);
    free(text);
    return st;
}

void mlsim_ydoc_free(struct mlsim_ydoc *doc)
{
    if (!doc)
        return;
    node_free(doc->root);
    free(doc->file);
    free(doc->text);
    free(doc);
}

const struct mlsim_ynode *mlsim_ynode_get(const struct mlsim_ynode *map, const char *key)
{
    if (!map || map->type != MLSIM_YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i]->value, key) == 0)
            return map->items[i];
    }
    return NULL;
}

const char *mlsim_ynode_type_name(enum mlsim_ynode_type type)
{
    switch (type) {
    case MLSIM_YNODE_MAP:
        return "a mapping";
    case MLSIM_YNODE_SEQ:
        return "a list";
    case MLSIM_YNODE_SCALAR:
        break;
    }
    return "a single value";
}
