/*
 * The model zoo's loader. Each file is parsed by ydoc and each entry's `model:` and `training:`
 * by the run schema itself, into a run of its own, so a zoo file gets the same located errors,
 * units and did-you-means as a scenario, and applying an entry is a copy of the fields it gave.
 * A zoo holds tens of models and is read once per command: lists are linear.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/zoo.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/mem.h"
#include "mlsim/ydoc.h"

struct mlsim_zoo {
    struct mlsim_ydoc **docs; /* the files, kept: the entries' places point into them */
    size_t n_docs, cap_docs;
    struct mlsim_zoo_model *models;
    size_t n, cap;
};

static const char *const entry_keys[] = {"source", "model", "training"};
/* What a zoo entry must give: a shape the parameter count and a simulated step follow from. */
static const char *const shape_keys[] = {"model.layers", "model.hidden", "model.heads",
                                         "model.seq_len", "model.vocab"};

void mlsim_zoo_free(struct mlsim_zoo *z)
{
    if (!z)
        return;
    for (size_t i = 0; i < z->n_docs; i++)
        mlsim_ydoc_free(z->docs[i]);
    free(z->docs);
    free(z->models);
    free(z);
}

size_t mlsim_zoo_count(const struct mlsim_zoo *z)
{
    return z ? z->n : 0;
}

const struct mlsim_zoo_model *mlsim_zoo_at(const struct mlsim_zoo *z, size_t i)
{
    return z && i < z->n ? &z->models[i] : NULL;
}

const struct mlsim_zoo_model *mlsim_zoo_find(const struct mlsim_zoo *z, const char *id)
{
    for (size_t i = 0; z && i < z->n; i++) {
        if (strcmp(z->models[i].id, id) == 0)
            return &z->models[i];
    }
    return NULL;
}

const char *mlsim_zoo_suggest(const struct mlsim_zoo *z, const char *id)
{
    const char *cands[MLSIM_ZOO_MAX_MODELS];
    size_t n = 0;
    for (size_t i = 0; z && i < z->n; i++)
        cands[n++] = z->models[i].id;
    return mlsim_diag_suggest(id, cands, n);
}

void mlsim_zoo_apply(const struct mlsim_zoo_model *m, struct mlsim_run *r)
{
    const struct mlsim_schema *s = &mlsim_run_schema;
    for (size_t i = 0; i < s->n_fields; i++) {
        const struct mlsim_field *f = &s->fields[i];
        /* a section's place is the user's: a layout error points at their `training:` */
        if (!m->fields.prov.loc[i].file || f->kind == MLSIM_FIELD_SECTION || r->prov.seen[i])
            continue;
        memcpy((char *)r + f->offset, (const char *)&m->fields + f->offset, f->size);
        r->prov.loc[i] = m->fields.prov.loc[i];
        r->prov.seen[i] = 1;
    }
    if (!r->model.name[0])
        snprintf(r->model.name, sizeof r->model.name, "%s", m->id);
}

/* Ids are what a scenario writes: letters, digits, '-', '_' and '.', not starting with '.'. */
static int valid_id(const char *id)
{
    if (!id[0] || id[0] == '.' || strlen(id) >= sizeof((struct mlsim_zoo_model *)0)->id)
        return 0;
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* What the run schema would accept of an entry but a zoo must not hold: another zoo name, and
 * lists (an MLP's widths: the zoo is of transformers). */
static int check_entry(const struct mlsim_zoo_model *m, struct mlsim_diags *d)
{
    int ok = 1;
    for (size_t i = 0; i < mlsim_run_schema.n_fields; i++) {
        const struct mlsim_field *f = &mlsim_run_schema.fields[i];
        const struct mlsim_loc *at = &m->fields.prov.loc[i];
        if (at->file && (f->kind == MLSIM_FIELD_LIST || strcmp(f->path, "model.from") == 0)) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at, "'%s' is not a field of a zoo entry",
                               f->path);
            ok = 0;
        }
    }
    for (size_t i = 0; i < sizeof shape_keys / sizeof shape_keys[0]; i++) {
        if (!mlsim_schema_seen(&mlsim_run_schema, &m->fields, shape_keys[i])) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, m->loc,
                               "model '%s' is missing '%s' (a zoo entry gives the whole shape)",
                               m->id, shape_keys[i]);
            ok = 0;
        }
    }
    return ok;
}

/* The entry ID (key node KEY) of value VAL into M. */
static int load_entry(const struct mlsim_ynode *key, const struct mlsim_ynode *val,
                      struct mlsim_zoo_model *m, struct mlsim_diags *d)
{
    memset(m, 0, sizeof *m);
    m->loc = key->loc;
    if (!valid_id(key->value)) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, key->loc,
                           "a model id is letters, digits, '-', '_' and '.' (under 64), got '%s'",
                           key->value);
        return 0;
    }
    memcpy(m->id, key->value, strlen(key->value) + 1);
    if (val->type != MLSIM_YNODE_MAP) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, val->loc,
                           "model '%s' expects a mapping of source, model and training, not %s",
                           m->id, mlsim_ynode_type_name(val->type));
        return 0;
    }
    /* the entry without its source, as a run's mapping: the schema loads what is left */
    struct mlsim_ynode *keys[2], *items[2];
    struct mlsim_ynode fields = {
        .type = MLSIM_YNODE_MAP, .loc = val->loc, .keys = keys, .items = items};
    int ok = 1;
    for (size_t i = 0; i < val->n; i++) {
        const char *k = val->keys[i]->value;
        const struct mlsim_ynode *v = val->items[i];
        if (strcmp(k, "source") == 0 && v->type == MLSIM_YNODE_SCALAR &&
            strlen(v->value) < sizeof m->source) {
            memcpy(m->source, v->value, strlen(v->value) + 1);
        } else if (strcmp(k, "source") == 0) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, v->loc,
                               "'source' expects a line of text (under %zu characters)",
                               sizeof m->source);
            ok = 0;
        } else if ((strcmp(k, "model") == 0 || strcmp(k, "training") == 0) && fields.n < 2) {
            /* (a key given twice is ydoc's error already, so two is all there can be) */
            keys[fields.n] = val->keys[i];
            items[fields.n++] = val->items[i];
        } else {
            const char *hint = mlsim_diag_suggest(k, entry_keys, 3);
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, val->keys[i]->loc,
                               "unknown key '%s' in a zoo entry (%s%s%s)", k,
                               hint ? "did you mean '" : "valid keys: source, model, training",
                               hint ? hint : "", hint ? "'?" : "");
            ok = 0;
        }
    }
    if (!m->source[0] && ok) {
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, key->loc,
            "model '%s' has no 'source': say which paper or config its shape is from", m->id);
        ok = 0;
    }
    m->fields.loc = val->loc;
    if (mlsim_schema_load(&mlsim_run_schema, &fields, &m->fields, d) != MLSIM_OK)
        ok = 0;
    return check_entry(m, d) && ok;
}

static enum mlsim_status add_model(struct mlsim_zoo *z, const struct mlsim_ynode *key,
                                   const struct mlsim_ynode *val, struct mlsim_diags *d)
{
    const struct mlsim_zoo_model *twice = mlsim_zoo_find(z, key->value);
    if (twice) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, key->loc,
                           "model '%s' is given twice (first in %s:%d)", key->value,
                           twice->loc.file, twice->loc.line);
        return MLSIM_ERR_INPUT;
    }
    if (z->n == MLSIM_ZOO_MAX_MODELS) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, key->loc, "a zoo holds at most %d models",
                           MLSIM_ZOO_MAX_MODELS);
        return MLSIM_ERR_INPUT;
    }
    void *arr = z->models;
    if (mlsim_mem_grow(&arr, &z->cap, z->n + 1, sizeof *z->models) != MLSIM_OK)
        return MLSIM_ERR_NOMEM;
    z->models = arr;
    if (!load_entry(key, val, &z->models[z->n], d))
        return MLSIM_ERR_INPUT;
    z->n++;
    return MLSIM_OK;
}

/* The models of one parsed file. */
static enum mlsim_status load_doc(struct mlsim_zoo *z, const struct mlsim_ydoc *doc,
                                  struct mlsim_diags *d)
{
    const struct mlsim_ynode *root = doc->root;
    const struct mlsim_ynode *models = root ? mlsim_ynode_get(root, "models") : NULL;
    struct mlsim_loc whole = {doc->file, 0, 0};
    if (!models || models->type != MLSIM_YNODE_MAP || root->n != 1) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, root ? root->loc : whole,
                           "a zoo file holds one key, 'models:', a mapping of model ids to "
                           "their source, model and training");
        return MLSIM_ERR_INPUT;
    }
    enum mlsim_status st = MLSIM_OK;
    for (size_t i = 0; i < models->n && st != MLSIM_ERR_NOMEM; i++) {
        enum mlsim_status one = add_model(z, models->keys[i], models->items[i], d);
        if (one != MLSIM_OK)
            st = one;
    }
    return st;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_model(const void *a, const void *b)
{
    return strcmp(((const struct mlsim_zoo_model *)a)->id, ((const struct mlsim_zoo_model *)b)->id);
}

/* The *.yaml names of DIR, sorted, into *NAMES (malloc'd, each malloc'd). */
static enum mlsim_status list_files(DIR *dp, char ***names, size_t *n)
{
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0 || de->d_name[0] == '.')
            continue;
        void *arr = *names;
        if (mlsim_mem_grow(&arr, &cap, *n + 1, sizeof **names) != MLSIM_OK)
            return MLSIM_ERR_NOMEM;
        *names = arr;
        (*names)[*n] = malloc(len + 1);
        if (!(*names)[*n])
            return MLSIM_ERR_NOMEM;
        memcpy((*names)[(*n)++], de->d_name, len + 1);
    }
    if (*n > 1)
        qsort(*names, *n, sizeof **names, cmp_name);
    return MLSIM_OK;
}

static enum mlsim_status load_file(struct mlsim_zoo *z, const char *dir, const char *name,
                                   struct mlsim_diags *d)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path)
        return MLSIM_ERR_NOMEM;
    snprintf(path, len, "%s/%s", dir, name);
    struct mlsim_ydoc *doc = NULL;
    void *arr = z->docs;
    enum mlsim_status st = mlsim_mem_grow(&arr, &z->cap_docs, z->n_docs + 1, sizeof *z->docs);
    z->docs = arr;
    if (st == MLSIM_OK)
        st = mlsim_ydoc_load_file(path, d, &doc);
    free(path);
    if (st != MLSIM_OK)
        return st;
    z->docs[z->n_docs++] = doc;
    return load_doc(z, doc, d);
}

enum mlsim_status mlsim_zoo_load(const char *dir, struct mlsim_diags *d, struct mlsim_zoo **out)
{
    *out = NULL;
    DIR *dp = opendir(dir);
    if (!dp) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, (struct mlsim_loc){dir, 0, 0},
                           "cannot read the model zoo folder");
        return MLSIM_ERR_IO;
    }
    char **names = NULL;
    size_t n = 0;
    struct mlsim_zoo *z = calloc(1, sizeof *z);
    enum mlsim_status st = z ? list_files(dp, &names, &n) : MLSIM_ERR_NOMEM;
    closedir(dp);
    for (size_t i = 0; i < n && st != MLSIM_ERR_NOMEM; i++) {
        enum mlsim_status one = load_file(z, dir, names[i], d);
        if (one != MLSIM_OK)
            st = one == MLSIM_ERR_NOMEM ? one : MLSIM_ERR_INPUT;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (st == MLSIM_ERR_NOMEM) {
        mlsim_zoo_free(z);
        return st;
    }
    if (z->n > 1)
        qsort(z->models, z->n, sizeof *z->models, cmp_model);
    *out = z;
    return st;
}
