/*
 * Build a node tree from libyaml's event stream. Recursive descent: each *_START event opens a
 * node whose children are parsed until the matching *_END, the depth bounded by
 * MLSIM_YDOC_MAX_DEPTH. Faults that leave the tree usable (duplicate keys, non-scalar keys, a tag
 * or a value we refuse) are reported and the entry is kept or dropped, so a loader can still
 * check the rest of the file and report every error at once; a limit passed stops the parse.
 * Duplicate keys are found once a mapping is complete, by sorting its keys: n log n, not n^2.
 */
#include "mlsim/ydoc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "mlsim/mem.h"

/* An anchor ('&name') and the finished node it names; the node is owned by the tree. */
struct anchor {
    char *name;
    const struct mlsim_ynode *node;
};

struct builder {
    yaml_parser_t parser;
    struct mlsim_ydoc *doc;
    struct mlsim_diags *d;
    int nomem;
    struct anchor *anchors;
    size_t n_anchors, cap_anchors;
    size_t alias_nodes; /* nodes made so far by expanding aliases */
    /* Entries dropped while the parse goes on (duplicates, non-scalar keys): an anchor may point
     * into them, so they are freed only when the parse is over. */
    struct mlsim_ynode **dropped;
    size_t n_dropped, cap_dropped;
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

/* Drop N (may be NULL) from the tree, to be freed at the end of the parse. */
static enum parse_result discard(struct builder *b, struct mlsim_ynode *n)
{
    if (!n)
        return PARSE_OK;
    void *arr = b->dropped;
    if (mlsim_mem_grow(&arr, &b->cap_dropped, b->n_dropped + 1, sizeof *b->dropped) != MLSIM_OK) {
        node_free(n); /* the parse stops on this error, so no alias can reach N any more */
        return PARSE_NOMEM;
    }
    b->dropped = arr;
    b->dropped[b->n_dropped++] = n;
    return PARSE_OK;
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

/* Append (KEY, ITEM) to N; KEY is NULL for sequences. Returns 0 if malloc fails. KEYS and ITEMS
 * hold 8 entries, then double: the capacity follows from N (a power of two from 8 up), so the
 * public node needs no field for it. */
static int node_append(struct mlsim_ynode *n, struct mlsim_ynode *key, struct mlsim_ynode *item)
{
    if (n->n == 0 || (n->n >= 8 && (n->n & (n->n - 1)) == 0)) {
        size_t cap = n->n ? n->n : 0, kcap = cap;
        void *items = n->items, *keys = n->keys;
        if (mlsim_mem_grow(&items, &cap, n->n + 1, sizeof *n->items) != MLSIM_OK)
            return 0;
        n->items = items;
        if (n->type == MLSIM_YNODE_MAP) {
            if (mlsim_mem_grow(&keys, &kcap, n->n + 1, sizeof *n->keys) != MLSIM_OK)
                return 0;
            n->keys = keys;
        }
    }
    if (n->type == MLSIM_YNODE_MAP)
        n->keys[n->n] = key;
    n->items[n->n++] = item;
    return 1;
}

static enum parse_result parse_node(struct builder *b, yaml_event_t *ev, struct mlsim_ynode **out,
                                    int depth);

static enum parse_result next_event(struct builder *b, yaml_event_t *ev)
{
    if (yaml_parser_parse(&b->parser, ev))
        return PARSE_OK;
    report_syntax(b);
    return b->nomem ? PARSE_NOMEM : PARSE_SYNTAX;
}

/* The core schema's tags (YAML 1.2, 10.3) and the non-specific '!': what a plain file may say. */
static int tag_allowed(const unsigned char *tag)
{
    static const char *const core[] = {"str", "int", "float", "bool", "null", "map", "seq"};
    static const char prefix[] = "tag:yaml.org,2002:";
    if (!tag || strcmp((const char *)tag, "!") == 0)
        return 1;
    if (strncmp((const char *)tag, prefix, sizeof prefix - 1) != 0)
        return 0;
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++) {
        if (strcmp((const char *)tag + sizeof prefix - 1, core[i]) == 0)
            return 1;
    }
    return 0;
}

/* Report TAG at MARK unless it is allowed; the node is kept, the file fails. */
static void check_tag(struct builder *b, const unsigned char *tag, yaml_mark_t mark)
{
    if (tag_allowed(tag))
        return;
    mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, mark_loc(b, mark),
                       "YAML tag '%.64s' is not supported (only the core schema's, like !!str)",
                       (const char *)tag);
}

/* A NUL byte (from a "\0" escape) would cut the value short in C; invalid UTF-8 would reach
 * the JSON output. libyaml checks the encoding of the input, not of what escapes produce. */
static void check_value(struct builder *b, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length, bad = 0;
    struct mlsim_loc loc = mark_loc(b, ev->start_mark);
    if (memchr(v, '\0', len))
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, loc,
                           "a value holds a NUL character (\\0), which mlsim cannot keep");
    else if (!mlsim_diag_utf8_valid(v, len, &bad))
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, loc,
                           "a value holds invalid UTF-8 (byte %zu of the value)", bad + 1);
}

static enum parse_result parse_scalar(struct builder *b, yaml_event_t *ev, struct mlsim_ynode **out)
{
    size_t len = ev->data.scalar.length;
    if (len > MLSIM_YDOC_MAX_SCALAR) {
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, mark_loc(b, ev->start_mark),
                           "a value of %zu bytes is longer than the limit of %d "
                           "(MLSIM_YDOC_MAX_SCALAR)",
                           len, MLSIM_YDOC_MAX_SCALAR);
        return PARSE_SYNTAX;
    }
    check_tag(b, ev->data.scalar.tag, ev->start_mark);
    check_value(b, ev);
    struct mlsim_ynode *n = node_new(b, MLSIM_YNODE_SCALAR, ev->start_mark);
    if (!n)
        return PARSE_NOMEM;
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

/* A key of a mapping and its place in the mapping, for the duplicate search. */
struct key_ref {
    const char *key;
    size_t at;
};

static int cmp_key_ref(const void *pa, const void *pb)
{
    const struct key_ref *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c != 0)
        return c;
    return a->at < b->at ? -1 : a->at > b->at;
}

/* Report and drop every key of the finished mapping MAP that repeats an earlier one. Sorting the
 * keys with their places puts each repeat right after the first of its kind; the reports then go
 * out in file order. */
static enum parse_result drop_duplicates(struct builder *b, struct mlsim_ynode *map)
{
    if (map->n < 2)
        return PARSE_OK;
    struct key_ref *refs = malloc(map->n * sizeof *refs);
    size_t *first = malloc(map->n * sizeof *first);
    if (!refs || !first) {
        free(refs);
        free(first);
        return PARSE_NOMEM;
    }
    for (size_t i = 0; i < map->n; i++) {
        refs[i] = (struct key_ref){map->keys[i]->value, i};
        first[i] = i;
    }
    qsort(refs, map->n, sizeof *refs, cmp_key_ref);
    enum parse_result r = PARSE_OK;
    for (size_t i = 1; i < map->n; i++) {
        if (strcmp(refs[i].key, refs[i - 1].key) == 0)
            first[refs[i].at] = first[refs[i - 1].at];
    }
    size_t kept = 0;
    for (size_t i = 0; i < map->n; i++) {
        if (first[i] == i) {
            map->keys[kept] = map->keys[i];
            map->items[kept++] = map->items[i];
            continue;
        }
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, map->keys[i]->loc,
                           "duplicate key '%s' (first given at line %d)", map->keys[i]->value,
                           map->keys[first[i]]->loc.line);
        if (r == PARSE_OK)
            r = discard(b, map->keys[i]);
        else
            node_free(map->keys[i]);
        if (r == PARSE_OK)
            r = discard(b, map->items[i]);
        else
            node_free(map->items[i]);
    }
    map->n = kept;
    free(refs);
    free(first);
    return r;
}

/* Add KEY: VAL to MAP unless the key is not a scalar (then report, drop) or the mapping is full.
 * VAL is NULL for an alias already reported. */
static enum parse_result map_add(struct builder *b, struct mlsim_ynode *map,
                                 struct mlsim_ynode *key, struct mlsim_ynode *val)
{
    if (key->type != MLSIM_YNODE_SCALAR) {
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, key->loc,
                           "a key must be a plain word, not %s", mlsim_ynode_type_name(key->type));
    } else if (map->n >= MLSIM_YDOC_MAX_KEYS) {
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, key->loc,
                           "more than %d keys in one mapping (MLSIM_YDOC_MAX_KEYS)",
                           MLSIM_YDOC_MAX_KEYS);
        node_free(key);
        node_free(val);
        return PARSE_SYNTAX;
    } else if (!val) {
        /* alias value, already reported */
    } else if (node_append(map, key, val)) {
        return PARSE_OK;
    } else {
        node_free(key);
        node_free(val);
        return PARSE_NOMEM;
    }
    enum parse_result r = discard(b, key);
    if (r == PARSE_OK)
        return discard(b, val);
    node_free(val);
    return r;
}

/* Parse the children of a collection N, at DEPTH, until its end event. */
static enum parse_result parse_children(struct builder *b, struct mlsim_ynode *n, int depth)
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
            return n->type == MLSIM_YNODE_MAP ? drop_duplicates(b, n) : PARSE_OK;
        }
        r = parse_node(b, &ev, n->type == MLSIM_YNODE_MAP ? &key : &val, depth + 1);
        if (r == PARSE_OK && n->type == MLSIM_YNODE_MAP) {
            r = next_event(b, &ev);
            if (r != PARSE_OK) {
                node_free(key);
                return r;
            }
            r = parse_node(b, &ev, &val, depth + 1);
            if (r != PARSE_OK)
                node_free(key);
            else if (key)
                r = map_add(b, n, key, val);
            else
                r = discard(b, val);
        } else if (r == PARSE_OK && val && !node_append(n, NULL, val)) {
            node_free(val);
            r = PARSE_NOMEM;
        }
        if (r != PARSE_OK)
            return r;
    }
}

/* Copy SRC for an alias at LOC, placed at DEPTH: every copy is placed at the alias. Counts each
 * node against MLSIM_YDOC_MAX_ALIAS_NODES; NULL with *R set if a limit or malloc fails. */
static struct mlsim_ynode *node_copy(struct builder *b, const struct mlsim_ynode *src,
                                     struct mlsim_loc loc, int depth, enum parse_result *r)
{
    if (b->alias_nodes >= MLSIM_YDOC_MAX_ALIAS_NODES || depth > MLSIM_YDOC_MAX_DEPTH) {
        *r = PARSE_SYNTAX;
        return NULL;
    }
    b->alias_nodes++;
    struct mlsim_ynode *n = calloc(1, sizeof *n);
    if (!n) {
        *r = PARSE_NOMEM;
        return NULL;
    }
    n->type = src->type;
    n->loc = loc;
    n->quoted = src->quoted;
    if (src->value) {
        size_t len = strlen(src->value);
        n->value = malloc(len + 1);
        if (!n->value) {
            free(n);
            *r = PARSE_NOMEM;
            return NULL;
        }
        memcpy(n->value, src->value, len + 1);
    }
    for (size_t i = 0; i < src->n; i++) {
        struct mlsim_ynode *key = NULL;
        if (src->keys && !(key = node_copy(b, src->keys[i], loc, depth + 1, r)))
            break;
        struct mlsim_ynode *item = node_copy(b, src->items[i], loc, depth + 1, r);
        if (!item || !node_append(n, key, item)) {
            if (item)
                *r = PARSE_NOMEM;
            node_free(key);
            node_free(item);
            break;
        }
    }
    if (n->n != src->n) {
        node_free(n);
        return NULL;
    }
    return n;
}

static const struct mlsim_ynode *find_anchor(const struct builder *b, const char *name)
{
    for (size_t i = b->n_anchors; i-- > 0;) { /* a name given again means its latest node */
        if (strcmp(b->anchors[i].name, name) == 0)
            return b->anchors[i].node;
    }
    return NULL;
}

/* Remember the finished node N under NAME (NULL: none). */
static enum parse_result add_anchor(struct builder *b, const unsigned char *name,
                                    const struct mlsim_ynode *n)
{
    if (!name)
        return PARSE_OK;
    if (b->n_anchors >= MLSIM_YDOC_MAX_ANCHORS) {
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, n->loc,
                           "more than %d anchors in one file (MLSIM_YDOC_MAX_ANCHORS)",
                           MLSIM_YDOC_MAX_ANCHORS);
        return PARSE_SYNTAX;
    }
    void *arr = b->anchors;
    if (mlsim_mem_grow(&arr, &b->cap_anchors, b->n_anchors + 1, sizeof *b->anchors) != MLSIM_OK)
        return PARSE_NOMEM;
    b->anchors = arr;
    size_t len = strlen((const char *)name);
    char *copy = malloc(len + 1);
    if (!copy)
        return PARSE_NOMEM;
    memcpy(copy, name, len + 1);
    b->anchors[b->n_anchors].name = copy;
    b->anchors[b->n_anchors++].node = n;
    return PARSE_OK;
}

/* An alias: a copy of its anchor's node. An unknown anchor is reported and yields no node. */
static enum parse_result parse_alias(struct builder *b, const yaml_event_t *ev, int depth,
                                     struct mlsim_ynode **out)
{
    const char *name = (const char *)ev->data.alias.anchor;
    struct mlsim_loc loc = mark_loc(b, ev->start_mark);
    const struct mlsim_ynode *src = find_anchor(b, name);
    if (!src) {
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, loc,
                           "alias *%.64s names no anchor given before it (&%.64s)", name, name);
        return PARSE_OK;
    }
    enum parse_result r = PARSE_OK;
    *out = node_copy(b, src, loc, depth, &r);
    if (r == PARSE_SYNTAX && b->alias_nodes >= MLSIM_YDOC_MAX_ALIAS_NODES)
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, loc,
                           "aliases expand past %d nodes (MLSIM_YDOC_MAX_ALIAS_NODES)",
                           MLSIM_YDOC_MAX_ALIAS_NODES);
    else if (r == PARSE_SYNTAX)
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, loc,
                           "alias *%.64s, copied here, nests deeper than %d levels "
                           "(MLSIM_YDOC_MAX_DEPTH)",
                           name, MLSIM_YDOC_MAX_DEPTH);
    return r;
}

/* A mapping or sequence at DEPTH (the root is 1), up to MLSIM_YDOC_MAX_DEPTH. */
static enum parse_result parse_collection(struct builder *b, const yaml_event_t *ev, int depth,
                                          struct mlsim_ynode **out)
{
    int is_map = ev->type == YAML_MAPPING_START_EVENT;
    if (depth > MLSIM_YDOC_MAX_DEPTH) {
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, mark_loc(b, ev->start_mark),
                           "mappings and lists nest deeper than %d levels (MLSIM_YDOC_MAX_DEPTH)",
                           MLSIM_YDOC_MAX_DEPTH);
        return PARSE_SYNTAX;
    }
    check_tag(b, is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag, ev->start_mark);
    struct mlsim_ynode *n = node_new(b, is_map ? MLSIM_YNODE_MAP : MLSIM_YNODE_SEQ, ev->start_mark);
    if (!n)
        return PARSE_NOMEM;
    enum parse_result r = parse_children(b, n, depth);
    if (r == PARSE_OK)
        *out = n;
    else
        node_free(n);
    return r;
}

/* Parse the node that starts with EV (consumed here), at DEPTH. *OUT is NULL for an alias of no
 * anchor. */
static enum parse_result parse_node(struct builder *b, yaml_event_t *ev, struct mlsim_ynode **out,
                                    int depth)
{
    enum parse_result r = PARSE_OK;
    const unsigned char *anchor = NULL;
    *out = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        r = parse_scalar(b, ev, out);
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        r = parse_collection(b, ev, depth, out);
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        r = parse_collection(b, ev, depth, out);
        break;
    case YAML_ALIAS_EVENT:
        r = parse_alias(b, ev, depth, out);
        break;
    default:
        mlsim_diags_report(b->d, MLSIM_SEVERITY_ERROR, mark_loc(b, ev->start_mark),
                           "unexpected YAML structure");
        r = PARSE_SYNTAX;
        break;
    }
    if (r == PARSE_OK && *out) {
        r = add_anchor(b, anchor, *out);
        if (r != PARSE_OK) { /* the caller takes a node only with PARSE_OK */
            node_free(*out);
            *out = NULL;
        }
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
            r = parse_node(b, &ev, &b->doc->root, 1);
            if (r != PARSE_OK)
                return r;
            continue;
        }
        yaml_event_delete(&ev);
    }
    return r;
}

static void free_anchors(struct builder *b)
{
    for (size_t i = 0; i < b->n_anchors; i++)
        free(b->anchors[i].name);
    free(b->anchors);
    for (size_t i = 0; i < b->n_dropped; i++)
        node_free(b->dropped[i]);
    free(b->dropped);
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
    free_anchors(&b);
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
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    enum mlsim_status st = mlsim_diags_read_file(d, path, &text, &len);
    if (st == MLSIM_OK)
        st = mlsim_ydoc_load_string(path, text, len, d, out);
    else if (st == MLSIM_ERR_RANGE)
        st = MLSIM_ERR_IO; /* to a loader, a file too large is one it cannot read */
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
