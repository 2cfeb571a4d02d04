/*
 * The schema walker. Paths are built as the mapping is walked ("economics" + "pue"), looked up in
 * the field table by a linear scan: tables hold tens of entries and are walked once per file.
 */
#include "mlsim/schema.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 128

const struct mlsim_field *mlsim_schema_find(const struct mlsim_schema *s, const char *path)
{
    for (size_t i = 0; i < s->n_fields; i++) {
        if (strcmp(s->fields[i].path, path) == 0)
            return &s->fields[i];
    }
    return NULL;
}

static struct mlsim_provenance *prov_of(const struct mlsim_schema *s, void *obj)
{
    return (struct mlsim_provenance *)((char *)obj + s->prov_offset);
}

const struct mlsim_loc *mlsim_schema_given(const struct mlsim_schema *s, const void *obj,
                                           const char *path)
{
    const struct mlsim_field *f = mlsim_schema_find(s, path);
    if (!f)
        return NULL;
    const struct mlsim_provenance *p =
        (const struct mlsim_provenance *)((const char *)obj + s->prov_offset);
    const struct mlsim_loc *loc = &p->loc[f - s->fields];
    return loc->file ? loc : NULL;
}

int mlsim_schema_seen(const struct mlsim_schema *s, const void *obj, const char *path)
{
    const struct mlsim_field *f = mlsim_schema_find(s, path);
    if (!f)
        return 0;
    const struct mlsim_provenance *p =
        (const struct mlsim_provenance *)((const char *)obj + s->prov_offset);
    return p->seen[f - s->fields];
}

/* The last component of PATH and whether its parent is PREFIX. */
static const char *child_name(const char *path, const char *prefix)
{
    size_t lp = strlen(prefix);
    if (lp == 0)
        return strchr(path, '.') ? NULL : path;
    if (strncmp(path, prefix, lp) != 0 || path[lp] != '.')
        return NULL;
    const char *name = path + lp + 1;
    return strchr(name, '.') ? NULL : name;
}

static void report_unknown_key(const struct mlsim_schema *s, const char *prefix,
                               const struct mlsim_ynode *key, void *obj, struct mlsim_diags *d)
{
    const char *cands[MLSIM_SCHEMA_MAX_FIELDS];
    size_t n = 0;
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < s->n_fields; i++) {
        const char *name = child_name(s->fields[i].path, prefix);
        if (!name)
            continue;
        cands[n++] = name;
        int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", name);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    const char *hint = mlsim_diag_suggest(key->value, cands, n);
    const char *where = prefix[0] ? prefix : s->what;
    if (hint) {
        /* The user meant HINT: count it as present, so it is not reported again as missing. */
        char meant[PATH_MAX_LEN];
        snprintf(meant, sizeof meant, "%s%s%s", prefix, prefix[0] ? "." : "", hint);
        const struct mlsim_field *f = mlsim_schema_find(s, meant);
        if (f)
            prov_of(s, obj)->seen[f - s->fields] = 1;
    }
    if (hint)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, key->loc,
                           "unknown key '%s' in %s (did you mean '%s'?)", key->value, where, hint);
    else
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, key->loc,
                           "unknown key '%s' in %s (valid keys: %s)", key->value, where, list);
}

int mlsim_schema_in_range(const struct mlsim_field *f, double v)
{
    int lo_ok = (f->flags & MLSIM_FIELD_LO_INCLUSIVE) ? v >= f->lo : v > f->lo;
    return lo_ok && v <= f->hi;
}

static int check_range(const struct mlsim_field *f, double v, const struct mlsim_ynode *node,
                       struct mlsim_diags *d)
{
    int lo_ok = (f->flags & MLSIM_FIELD_LO_INCLUSIVE) ? v >= f->lo : v > f->lo;
    if (lo_ok && v <= f->hi)
        return 1;
    const char *op = (f->flags & MLSIM_FIELD_LO_INCLUSIVE) ? ">=" : ">";
    if (isinf(f->hi))
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc, "'%s' must be %s %g, got '%s'",
                           f->path, op, f->lo, node->value);
    else
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc,
                           "'%s' must be %s %g and <= %g, got '%s'", f->path, op, f->lo, f->hi,
                           node->value);
    return 0;
}

static int set_quantity(const struct mlsim_field *f, const struct mlsim_ynode *node, void *dst,
                        struct mlsim_diags *d)
{
    char err[768];
    double v = 0;
    if (mlsim_units_parse(node->value, f->dim, &v, err, sizeof err) != MLSIM_OK) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc, "'%s': %s", f->path, err);
        return 0;
    }
    if (!check_range(f, v, node, d))
        return 0;
    memcpy(dst, &v, sizeof v);
    return 1;
}

int mlsim_schema_quantity(const struct mlsim_field *f, const struct mlsim_ynode *node, double *out,
                          struct mlsim_diags *d)
{
    if (node->type != MLSIM_YNODE_SCALAR) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc, "'%s' expects %s, not %s", f->path,
                           mlsim_units_dim_name(f->dim), mlsim_ynode_type_name(node->type));
        return 0;
    }
    return set_quantity(f, node, out, d);
}

static int set_int(const struct mlsim_field *f, const struct mlsim_ynode *node, void *dst,
                   struct mlsim_diags *d)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(node->value, &end, 10);
    if (end == node->value || *end != '\0' || errno == ERANGE || v > 2000000000L ||
        v < -2000000000L) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc,
                           "'%s' expects a whole number, got '%s'", f->path, node->value);
        return 0;
    }
    if (!check_range(f, (double)v, node, d))
        return 0;
    int iv = (int)v;
    memcpy(dst, &iv, sizeof iv);
    return 1;
}

static int set_string(const struct mlsim_field *f, const struct mlsim_ynode *node, void *dst,
                      struct mlsim_diags *d)
{
    size_t len = strlen(node->value);
    if (len + 1 > f->size) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc,
                           "'%s' is too long (at most %zu characters)", f->path, f->size - 1);
        return 0;
    }
    memcpy(dst, node->value, len + 1);
    return 1;
}

static int set_enum(const struct mlsim_field *f, const struct mlsim_ynode *node, void *dst,
                    struct mlsim_diags *d)
{
    char list[256] = "";
    size_t used = 0, n = 0;
    for (; f->names[n]; n++) {
        if (strcmp(f->names[n], node->value) == 0) {
            int iv = (int)n;
            memcpy(dst, &iv, sizeof iv);
            return 1;
        }
        int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", f->names[n]);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    const char *hint = mlsim_diag_suggest(node->value, f->names, n);
    if (hint)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc,
                           "unknown value '%s' for '%s' (did you mean '%s'? expected one of: %s)",
                           node->value, f->path, hint, list);
    else
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc,
                           "unknown value '%s' for '%s' (expected one of: %s)", node->value,
                           f->path, list);
    return 0;
}

static const char *kind_wants(const struct mlsim_field *f)
{
    switch (f->kind) {
    case MLSIM_FIELD_SECTION:
        return f->flags & MLSIM_FIELD_NAMED ? "a name or a mapping of keys" : "a mapping of keys";
    case MLSIM_FIELD_LIST:
        return f->flags & MLSIM_FIELD_TAKES_MAP ? "a mapping of keys" : "a list";
    case MLSIM_FIELD_QUANTITY:
        return mlsim_units_dim_name(f->dim);
    case MLSIM_FIELD_INT:
        return "a whole number";
    case MLSIM_FIELD_STRING:
    case MLSIM_FIELD_ENUM:
        break;
    }
    return "a single value";
}

static int load_section(const struct mlsim_schema *s, const char *prefix,
                        const struct mlsim_ynode *map, void *obj, struct mlsim_diags *d);

/* Set field F of OBJ from NODE; returns 1 on success, 0 if something was reported. */
static int set_field(const struct mlsim_schema *s, const struct mlsim_field *f,
                     const struct mlsim_ynode *node, void *obj, struct mlsim_diags *d)
{
    void *dst = (char *)obj + f->offset;
    if ((f->flags & MLSIM_FIELD_NAMED) && node->type == MLSIM_YNODE_SCALAR) {
        char from[PATH_MAX_LEN];
        snprintf(from, sizeof from, "%s.from", f->path);
        const struct mlsim_field *named = mlsim_schema_find(s, from);
        if (named) {
            prov_of(s, obj)->seen[f - s->fields] = 1;
            return set_field(s, named, node, obj, d);
        }
    }
    prov_of(s, obj)->seen[f - s->fields] = 1;
    if (f->kind == MLSIM_FIELD_QUANTITY && node->type == MLSIM_YNODE_MAP && s->quantity_map) {
        int ok = s->quantity_map(f, node, obj, d);
        if (ok)
            prov_of(s, obj)->loc[f - s->fields] = node->loc;
        return ok;
    }
    enum mlsim_ynode_type want =
        f->kind == MLSIM_FIELD_SECTION ? MLSIM_YNODE_MAP
        : f->kind == MLSIM_FIELD_LIST
            ? (f->flags & MLSIM_FIELD_TAKES_MAP ? MLSIM_YNODE_MAP : MLSIM_YNODE_SEQ)
            : MLSIM_YNODE_SCALAR;
    if (node->type != want) {
        /* The fields under a rejected section were present too: mark them seen. */
        size_t lp = strlen(f->path);
        for (size_t i = 0; i < s->n_fields; i++) {
            if (strncmp(s->fields[i].path, f->path, lp) == 0 && s->fields[i].path[lp] == '.')
                prov_of(s, obj)->seen[i] = 1;
        }
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc, "'%s' expects %s, not %s", f->path,
                           kind_wants(f), mlsim_ynode_type_name(node->type));
        return 0;
    }
    int ok = 0;
    switch (f->kind) {
    case MLSIM_FIELD_SECTION:
        ok = load_section(s, f->path, node, obj, d);
        break;
    case MLSIM_FIELD_LIST:
        ok = f->load_list(node, obj, d) == MLSIM_OK;
        break;
    case MLSIM_FIELD_QUANTITY:
        ok = set_quantity(f, node, dst, d);
        break;
    case MLSIM_FIELD_INT:
        ok = set_int(f, node, dst, d);
        break;
    case MLSIM_FIELD_STRING:
        ok = set_string(f, node, dst, d);
        break;
    case MLSIM_FIELD_ENUM:
        ok = set_enum(f, node, dst, d);
        break;
    }
    if (ok)
        prov_of(s, obj)->loc[f - s->fields] = node->loc;
    return ok;
}

static int load_section(const struct mlsim_schema *s, const char *prefix,
                        const struct mlsim_ynode *map, void *obj, struct mlsim_diags *d)
{
    int ok = 1;
    for (size_t i = 0; i < map->n; i++) {
        const struct mlsim_ynode *key = map->keys[i];
        char path[PATH_MAX_LEN];
        int w = prefix[0] ? snprintf(path, sizeof path, "%s.%s", prefix, key->value)
                          : snprintf(path, sizeof path, "%s", key->value);
        const struct mlsim_field *f =
            (w > 0 && (size_t)w < sizeof path) ? mlsim_schema_find(s, path) : NULL;
        if (!f) {
            report_unknown_key(s, prefix, key, obj, d);
            ok = 0;
            continue;
        }
        if (!set_field(s, f, map->items[i], obj, d))
            ok = 0;
    }
    return ok;
}

enum mlsim_status mlsim_schema_load(const struct mlsim_schema *s, const struct mlsim_ynode *map,
                                    void *obj, struct mlsim_diags *d)
{
    if (map->type != MLSIM_YNODE_MAP) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, map->loc,
                           "a %s must be a mapping of keys, not %s", s->what,
                           mlsim_ynode_type_name(map->type));
        return MLSIM_ERR_INPUT;
    }
    return load_section(s, "", map, obj, d) ? MLSIM_OK : MLSIM_ERR_INPUT;
}

/* Text given on the command line (a --set path or value) never passed libyaml's checks: refuse
 * invalid UTF-8 (it would reach the JSON output) and a value longer than a file's could be, at
 * the byte at fault. */
static int set_text_ok(const char *text, struct mlsim_loc at, struct mlsim_diags *d)
{
    size_t len = strlen(text), bad = 0;
    if (len > MLSIM_YDOC_MAX_SCALAR) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at,
                           "a --set of %zu bytes is longer than the limit of %d "
                           "(MLSIM_YDOC_MAX_SCALAR)",
                           len, MLSIM_YDOC_MAX_SCALAR);
        return 0;
    }
    if (mlsim_diag_utf8_valid(text, len, &bad))
        return 1;
    if (bad < (size_t)(INT_MAX - at.col))
        at.col += (int)bad;
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "invalid UTF-8 in a --set (byte %zu)", bad + 1);
    return 0;
}

enum mlsim_status mlsim_schema_set(const struct mlsim_schema *s, const char *path,
                                   const struct mlsim_ynode *value, void *obj,
                                   struct mlsim_diags *d)
{
    const struct mlsim_field *f = mlsim_schema_find(s, path);
    struct mlsim_loc at_path = value->loc; /* faults of the path point at its start */
    at_path.col = 1;
    if (!set_text_ok(path, at_path, d) || !set_text_ok(value->value, value->loc, d))
        return MLSIM_ERR_INPUT;
    if (!f) {
        const char *cands[MLSIM_SCHEMA_MAX_FIELDS];
        size_t n = 0;
        for (size_t i = 0; i < s->n_fields; i++) {
            if (s->fields[i].kind != MLSIM_FIELD_SECTION)
                cands[n++] = s->fields[i].path;
        }
        const char *hint = mlsim_diag_suggest(path, cands, n);
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at_path, "unknown %s field '%s'%s%s%s", s->what,
                           path, hint ? " (did you mean '" : "", hint ? hint : "",
                           hint ? "'?)" : "");
        return MLSIM_ERR_INPUT;
    }
    if ((f->kind == MLSIM_FIELD_SECTION && !(f->flags & MLSIM_FIELD_NAMED)) ||
        f->kind == MLSIM_FIELD_LIST) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at_path,
                           "'%s' is not a single value; set one of its fields, like '%s.<key>'",
                           path, path);
        return MLSIM_ERR_INPUT;
    }
    return set_field(s, f, value, obj, d) ? MLSIM_OK : MLSIM_ERR_INPUT;
}

char *mlsim_schema_value_text(const struct mlsim_field *f, const void *obj, char *buf, size_t len)
{
    const char *src = (const char *)obj + f->offset;
    double v = 0;
    int iv = 0;
    buf[0] = '\0';
    switch (f->kind) {
    case MLSIM_FIELD_QUANTITY:
        memcpy(&v, src, sizeof v);
        mlsim_units_format(v, f->dim, buf, len);
        break;
    case MLSIM_FIELD_INT:
        memcpy(&iv, src, sizeof iv);
        snprintf(buf, len, "%d", iv);
        break;
    case MLSIM_FIELD_STRING:
        snprintf(buf, len, "%.*s", (int)f->size, src);
        break;
    case MLSIM_FIELD_ENUM: {
        memcpy(&iv, src, sizeof iv);
        size_t n = 0;
        while (f->names[n])
            n++;
        snprintf(buf, len, "%s", iv >= 0 && (size_t)iv < n ? f->names[iv] : "?");
        break;
    }
    case MLSIM_FIELD_SECTION:
    case MLSIM_FIELD_LIST:
        break;
    }
    return buf;
}
