/*
 * Scenario files. One field table describes a run; a table file loads its `defaults:` into a
 * template run once, then each row is the template with the row's own fields loaded on top.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/scenario.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/layout.h"
#include "mlsim/units.h"

static enum mlsim_status load_widths(const struct mlsim_ynode *seq, void *obj,
                                     struct mlsim_diags *d);
static enum mlsim_status load_charts(const struct mlsim_ynode *seq, void *obj,
                                     struct mlsim_diags *d);

#define RF(path, kind, dim, member, lo, hi, flags, names)                                          \
    {                                                                                              \
        path, kind, dim, offsetof(struct mlsim_run, member),                                       \
            sizeof(((struct mlsim_run *)0)->member), lo, hi, flags, names, NULL                    \
    }
#define RSEC(path)                                                                                 \
    {                                                                                              \
        path, MLSIM_FIELD_SECTION, MLSIM_DIM_NUMBER, 0, 0, 0, 0, 0, NULL, NULL                     \
    }
#define RSTR(path, member)    RF(path, MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, member, 0, 0, 0, NULL)
#define RINT(path, member)    RF(path, MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, member, 0, 1e9, 0, NULL)
#define RQ(path, dim, member) RF(path, MLSIM_FIELD_QUANTITY, dim, member, 0, INFINITY, 0, NULL)

static const struct mlsim_field run_fields[] = {
    RSTR("name", name),
    {"charts", MLSIM_FIELD_LIST, MLSIM_DIM_NUMBER, offsetof(struct mlsim_run, charts),
     sizeof(((struct mlsim_run *)0)->charts), 0, 0, 0, NULL, load_charts},
    RSTR("description", description),
    RF("mode", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, mode, 0, 0, 0, mlsim_mode_names),
    RSEC("model"),
    RSTR("model.name", model.name),
    RF("model.type", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, model.type, 0, 0, 0,
       mlsim_model_type_names),
    {"model.widths", MLSIM_FIELD_LIST, MLSIM_DIM_NUMBER, offsetof(struct mlsim_run, model.widths),
     sizeof(((struct mlsim_run *)0)->model.widths), 0, 0, 0, NULL, load_widths},
    RQ("model.params", MLSIM_DIM_COUNT, model.params),
    RQ("model.tokens", MLSIM_DIM_COUNT, model.tokens),
    RINT("model.layers", model.layers),
    RINT("model.hidden", model.hidden),
    RINT("model.heads", model.heads),
    RINT("model.kv_heads", model.kv_heads),
    RINT("model.window", model.window),
    RF("model.parallel_block", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, model.parallel_block, 0, 0, 0,
       mlsim_bool_names),
    RF("model.gated_mlp", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, model.gated_mlp, 0, 0, 0,
       mlsim_bool_names),
    RF("model.biases", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, model.no_biases, 0, 0, 0,
       mlsim_bool_negated_names),
    RF("model.tied_embeddings", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, model.untied_embeddings, 0, 0,
       0, mlsim_bool_negated_names),
    RF("model.position", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, model.position, 0, 0, 0,
       mlsim_position_names),
    RINT("model.ffn", model.ffn),
    RINT("model.seq_len", model.seq_len),
    RINT("model.vocab", model.vocab),
    RSEC("hardware"),
    RSTR("hardware.device", device_id),
    RSTR("hardware.system", system_id),
    RINT("hardware.count", count),
    RINT("hardware.node_size", node_size),
    RSTR("hardware.link", link),
    RQ("hardware.nic_bandwidth", MLSIM_DIM_BANDWIDTH, nic_bw_Bps),
    RQ("hardware.nic_latency", MLSIM_DIM_TIME, nic_latency_s),
    RSEC("training"),
    RINT("training.micro_batch", training.micro_batch),
    RINT("training.global_batch", training.global_batch),
    RF("training.recompute", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.recompute, 0, 0, 0,
       mlsim_recompute_names),
    RF("training.attention", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.attention, 0, 0, 0,
       mlsim_attention_names),
    RF("training.optimizer", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.optimizer, 0, 0, 0,
       mlsim_optimizer_names),
    RQ("training.bucket_size", MLSIM_DIM_BYTES, training.bucket_bytes),
    RF("training.overlap_comm", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.overlap_comm, 0, 0, 0,
       mlsim_bool_names),
    RINT("training.tp", training.tp),
    RINT("training.pp", training.pp),
    RINT("training.interleave", training.interleave),
    RINT("training.first_stage_layers", training.first_stage_layers),
    RINT("training.last_stage_layers", training.last_stage_layers),
    RF("training.schedule", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.schedule, 0, 0, 0,
       mlsim_schedule_names),
    RF("training.sharding", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.sharding, 0, 0, 0,
       mlsim_sharding_names),
    RF("training.sequence_parallel", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.sequence_parallel,
       0, 0, 0, mlsim_bool_names),
    RF("training.memory_reserve", MLSIM_FIELD_QUANTITY, MLSIM_DIM_BYTES,
       training.memory_reserve_bytes, 0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("training.host_overhead", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME, training.host_s, 0, INFINITY,
       MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("precision", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, precision, 0, 0, 0, mlsim_precision_names),
    RF("mfu", MLSIM_FIELD_QUANTITY, MLSIM_DIM_RATIO, mfu, 0, 1, 0, NULL),
    RSEC("inference"),
    RQ("inference.latency_bound", MLSIM_DIM_TIME, latency_bound_s),
    RINT("inference.max_batch", max_batch),
    RSEC("reference"),
    RF("reference.tflops_per_device", MLSIM_FIELD_QUANTITY, MLSIM_DIM_FLOPS, ref_flops_per_device,
       0, INFINITY, 0, NULL),
    RF("reference.counting", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, ref_counting, 0, 0, 0,
       mlsim_counting_names),
    RQ("reference.iteration_time", MLSIM_DIM_TIME, ref_step_s),
    RSTR("reference.source", ref_source),
    RQ("reference.relative", MLSIM_DIM_NUMBER, ref_relative),
    RSEC("economics"),
    RF("economics.price_per_device_hour", MLSIM_FIELD_QUANTITY, MLSIM_DIM_MONEY_RATE,
       econ.price_usd_per_s, 0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("economics.electricity_price", MLSIM_FIELD_QUANTITY, MLSIM_DIM_ENERGY_PRICE,
       econ.electricity_usd_per_j, 0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("economics.pue", MLSIM_FIELD_QUANTITY, MLSIM_DIM_NUMBER, econ.pue, 1, 5,
       MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("economics.carbon_intensity", MLSIM_FIELD_QUANTITY, MLSIM_DIM_CARBON_INTENSITY,
       econ.carbon_kg_per_j, 0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RQ("economics.device_power", MLSIM_DIM_POWER, econ.device_power_w),
    RF("economics.host_power_per_device", MLSIM_FIELD_QUANTITY, MLSIM_DIM_POWER, econ.host_power_w,
       0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
};

const struct mlsim_schema mlsim_run_schema = {
    "run", run_fields, sizeof run_fields / sizeof run_fields[0], offsetof(struct mlsim_run, prov)};

static enum mlsim_status load_widths(const struct mlsim_ynode *seq, void *obj,
                                     struct mlsim_diags *d)
{
    struct mlsim_run *r = obj;
    int max = (int)(sizeof r->model.widths / sizeof r->model.widths[0]);
    r->model.n_widths = 0;
    if (seq->n < 2 || seq->n > (size_t)max) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, seq->loc,
                           "'model.widths' lists 2 to %d layer widths (inputs, hidden..., outputs)",
                           max);
        return MLSIM_ERR_INPUT;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const struct mlsim_ynode *it = seq->items[i];
        char *end = NULL;
        long v = it->type == MLSIM_YNODE_SCALAR ? strtol(it->value, &end, 10) : 0;
        if (it->type != MLSIM_YNODE_SCALAR || end == it->value || *end != '\0' || v <= 0 ||
            v > 100000000L) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, it->loc,
                               "a layer width is a whole number > 0");
            return MLSIM_ERR_INPUT;
        }
        r->model.widths[r->model.n_widths++] = (int)v;
    }
    return MLSIM_OK;
}

/* The names of the charts to draw; checked against the chart list by `mlsim plot`. */
static enum mlsim_status load_charts(const struct mlsim_ynode *seq, void *obj,
                                     struct mlsim_diags *d)
{
    struct mlsim_run *r = obj;
    int max = (int)(sizeof r->charts / sizeof r->charts[0]);
    r->n_charts = 0;
    for (size_t i = 0; i < seq->n; i++) {
        const struct mlsim_ynode *it = seq->items[i];
        if (it->type != MLSIM_YNODE_SCALAR || strlen(it->value) >= sizeof r->charts[0] ||
            r->n_charts == max) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, it->loc,
                               "'charts' lists up to %d chart names", max);
            return MLSIM_ERR_INPUT;
        }
        snprintf(r->charts[r->n_charts], sizeof r->charts[0], "%s", it->value);
        r->chart_locs[r->n_charts++] = it->loc;
    }
    return MLSIM_OK;
}

static const char *basename_of(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

const char *mlsim_scenario_origin(const struct mlsim_run *r, const char *path, int with_lines,
                                  char *buf, size_t len)
{
    const struct mlsim_loc *loc = mlsim_schema_given(&mlsim_run_schema, r, path);
    if (!loc)
        return NULL;
    if (strcmp(loc->file, "--set") == 0)
        snprintf(buf, len, "set with --set");
    else if (with_lines)
        snprintf(buf, len, "given in %s:%d", basename_of(loc->file), loc->line);
    else
        snprintf(buf, len, "given in %s", basename_of(loc->file));
    return buf;
}

void mlsim_scenario_free(struct mlsim_scenario *sc)
{
    if (!sc)
        return;
    free(sc->runs);
    free(sc->set_text);
    mlsim_ydoc_free(sc->doc);
    free(sc);
}

static int given(const struct mlsim_run *r, const char *path)
{
    return mlsim_schema_given(&mlsim_run_schema, r, path) != NULL;
}

/* Present in the input, valid or not: a rejected value was reported already. */
static int seen(const struct mlsim_run *r, const char *path)
{
    return mlsim_schema_seen(&mlsim_run_schema, r, path);
}

static const char *const table_keys[] = {"title", "description", "defaults", "runs", "charts"};

/* Copy scalar NODE into BUF (LEN bytes) or report why not. */
static int copy_text(const struct mlsim_ynode *node, const char *key, char *buf, size_t len,
                     struct mlsim_diags *d)
{
    if (node->type != MLSIM_YNODE_SCALAR || strlen(node->value) >= len) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, node->loc,
                           "'%s' expects a line of text (under %zu characters)", key, len);
        return 0;
    }
    memcpy(buf, node->value, strlen(node->value) + 1);
    return 1;
}

static enum mlsim_status load_table(struct mlsim_scenario *sc, struct mlsim_diags *d)
{
    const struct mlsim_ynode *root = sc->doc->root;
    const struct mlsim_ynode *defaults = NULL, *runs = NULL, *charts = NULL;
    int ok = 1;
    for (size_t i = 0; i < root->n; i++) {
        const char *key = root->keys[i]->value;
        const struct mlsim_ynode *val = root->items[i];
        if (strcmp(key, "title") == 0) {
            ok &= copy_text(val, key, sc->title, sizeof sc->title, d);
        } else if (strcmp(key, "description") == 0) {
            ok &= copy_text(val, key, sc->description, sizeof sc->description, d);
        } else if (strcmp(key, "defaults") == 0) {
            defaults = val;
        } else if (strcmp(key, "runs") == 0) {
            runs = val;
        } else if (strcmp(key, "charts") == 0) {
            charts = val;
        } else {
            const char *hint = mlsim_diag_suggest(key, table_keys, 5);
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, root->keys[i]->loc,
                               "unknown key '%s' in a table of runs (%s%s%s)", key,
                               hint ? "did you mean '"
                                    : "valid keys: title, description, defaults, runs",
                               hint ? hint : "", hint ? "'?" : "");
            ok = 0;
        }
    }
    if (!runs)
        return MLSIM_ERR_INPUT; /* not a table: the caller checks for 'runs' first */
    if (runs->type != MLSIM_YNODE_SEQ || runs->n == 0) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, runs->loc,
                           "'runs' expects a non-empty list of runs");
        return MLSIM_ERR_INPUT;
    }
    struct mlsim_run tmpl;
    memset(&tmpl, 0, sizeof tmpl);
    if (defaults && mlsim_schema_load(&mlsim_run_schema, defaults, &tmpl, d) != MLSIM_OK)
        ok = 0;
    if (charts && (charts->type != MLSIM_YNODE_SEQ || load_charts(charts, &tmpl, d) != MLSIM_OK)) {
        if (charts->type != MLSIM_YNODE_SEQ)
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, charts->loc,
                               "'charts' expects a list of chart names");
        ok = 0;
    }
    sc->runs = calloc(runs->n, sizeof *sc->runs);
    if (!sc->runs)
        return MLSIM_ERR_NOMEM;
    for (size_t i = 0; i < runs->n; i++) {
        struct mlsim_run *r = &sc->runs[sc->n_runs++];
        *r = tmpl;
        r->loc = runs->items[i]->loc;
        if (mlsim_schema_load(&mlsim_run_schema, runs->items[i], r, d) != MLSIM_OK)
            ok = 0;
    }
    return ok ? MLSIM_OK : MLSIM_ERR_INPUT;
}

static enum mlsim_status load_single(struct mlsim_scenario *sc, struct mlsim_diags *d)
{
    sc->runs = calloc(1, sizeof *sc->runs);
    if (!sc->runs)
        return MLSIM_ERR_NOMEM;
    sc->n_runs = 1;
    sc->runs[0].loc = sc->doc->root->loc;
    return mlsim_schema_load(&mlsim_run_schema, sc->doc->root, &sc->runs[0], d);
}

enum mlsim_status mlsim_scenario_load(const char *path, struct mlsim_diags *d,
                                      struct mlsim_scenario **out)
{
    *out = NULL;
    struct mlsim_scenario *sc = calloc(1, sizeof *sc);
    if (!sc)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = mlsim_ydoc_load_file(path, d, &sc->doc);
    if (st != MLSIM_OK) {
        mlsim_scenario_free(sc);
        return st;
    }
    const struct mlsim_ynode *root = sc->doc->root;
    struct mlsim_loc whole = {sc->doc->file, 0, 0};
    if (!root) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, whole,
                           "the file is empty: a scenario needs at least 'model', 'hardware', "
                           "'precision' and 'mfu'");
        st = MLSIM_ERR_INPUT;
    } else if (root->type != MLSIM_YNODE_MAP) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, root->loc,
                           "a scenario must be a mapping of keys (like 'model:'), not %s",
                           mlsim_ynode_type_name(root->type));
        st = MLSIM_ERR_INPUT;
    } else if (mlsim_ynode_get(root, "runs")) {
        sc->is_table = 1;
        st = load_table(sc, d);
    } else {
        st = load_single(sc, d);
    }
    if (st == MLSIM_ERR_NOMEM) {
        mlsim_scenario_free(sc);
        return st;
    }
    *out = sc;
    return st;
}

/* Parse one "path=value" of line LINE of the --set text into a scalar node. */
static int parse_set(const char *text, int line, struct mlsim_ynode *node, char *path, size_t plen,
                     struct mlsim_diags *d)
{
    const char *eq = strchr(text, '=');
    struct mlsim_loc loc = {"--set", line, 1};
    if (!eq || eq == text || (size_t)(eq - text) >= plen) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc,
                           "expected path=value, like economics.pue=1.1");
        return 0;
    }
    memcpy(path, text, (size_t)(eq - text));
    path[eq - text] = '\0';
    memset(node, 0, sizeof *node);
    node->type = MLSIM_YNODE_SCALAR;
    node->loc = (struct mlsim_loc){"--set", line, (int)(eq - text) + 2};
    node->value = (char *)(eq + 1); /* borrowed for the call; never freed through this node */
    return 1;
}

enum mlsim_status mlsim_scenario_set(struct mlsim_scenario *sc, const char *const *sets, size_t n,
                                     struct mlsim_diags *d)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(sets[i]) + 1;
    free(sc->set_text);
    sc->set_text = malloc(total);
    if (!sc->set_text)
        return MLSIM_ERR_NOMEM;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(sets[i]);
        memcpy(sc->set_text + used, sets[i], l);
        sc->set_text[used + l] = '\n';
        used += l + 1;
    }
    sc->set_text[used] = '\0';
    if (n > 0 && mlsim_diags_add_source(d, "--set", sc->set_text, used) != MLSIM_OK)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = MLSIM_OK;
    for (size_t i = 0; i < n; i++) {
        struct mlsim_ynode node;
        char path[128];
        if (!parse_set(sets[i], (int)i + 1, &node, path, sizeof path, d)) {
            st = MLSIM_ERR_INPUT;
            continue;
        }
        /* Report a bad value once, not once per run. */
        for (size_t r = 0; r < sc->n_runs; r++) {
            if (mlsim_schema_set(&mlsim_run_schema, path, &node, &sc->runs[r], d) != MLSIM_OK) {
                st = MLSIM_ERR_INPUT;
                break;
            }
        }
    }
    return st;
}

/* ---- resolve ---- */

static void report_missing(const struct mlsim_run *r, const char *what, struct mlsim_diags *d)
{
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc, "run '%s' is missing required key '%s'",
                       r->name, what);
}

static int resolve_model(struct mlsim_run *r, struct mlsim_diags *d)
{
    int ok = 1;
    if (!seen(r, "model.tokens") && r->mode != MLSIM_MODE_INFERENCE) {
        report_missing(r, "model.tokens", d);
        ok = 0;
    }
    if (seen(r, "model.params") || seen(r, "model.widths"))
        return ok;
    static const char *const shape[] = {"model.layers", "model.hidden", "model.seq_len",
                                        "model.vocab"};
    int have = 0, present = 0;
    for (int i = 0; i < 4; i++) {
        have += given(r, shape[i]);
        present += seen(r, shape[i]);
    }
    if (present > have)
        return 0; /* a bad shape value, reported already */
    if (have == 4) {
        r->model.params = mlsim_model_params(&r->model);
        r->params_from_shape = 1;
        return ok;
    }
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                       "run '%s' needs 'model.params', or a transformer shape "
                       "(model.layers, model.hidden, model.seq_len, model.vocab)",
                       r->name);
    return 0;
}

static void report_unknown_device(const struct mlsim_run *r, struct mlsim_hwdb *db,
                                  struct mlsim_diags *d)
{
    const struct mlsim_loc *loc = mlsim_schema_given(&mlsim_run_schema, r, "hardware.device");
    char **ids = NULL;
    size_t n = 0;
    const char *hint = NULL;
    if (mlsim_hwdb_list(db, &ids, &n) == MLSIM_OK)
        hint = mlsim_diag_suggest(r->device_id, (const char *const *)ids, n);
    char several[256] = "";
    size_t used = 0, n_prefixed = 0, len = strlen(r->device_id);
    for (size_t i = 0; i < n && !hint; i++) {
        if (strncmp(ids[i], r->device_id, len) != 0)
            continue;
        int w = snprintf(several + used, sizeof several - used, "%s%s", used ? ", " : "", ids[i]);
        if (w > 0 && (size_t)w < sizeof several - used)
            used += (size_t)w;
        n_prefixed++;
    }
    if (hint)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "unknown device '%s' (did you mean '%s'?)", r->device_id, hint);
    else if (n_prefixed > 1)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "unknown device '%s' (did you mean one of %s?)", r->device_id, several);
    else
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "unknown device '%s': no file %s/<kind>/%s.yaml", r->device_id,
                           mlsim_hwdb_dir(db), r->device_id);
    mlsim_hwdb_free_ids(ids, n);
}

/* A system in hwdb gives the device, the node size, the node's link, the network and the host's
 * share of the node's power, each unless the run sets it. */
static int resolve_system(struct mlsim_run *r, struct mlsim_hwdb *db, struct mlsim_diags *d)
{
    const struct mlsim_loc *loc = mlsim_schema_given(&mlsim_run_schema, r, "hardware.system");
    if (!loc)
        return 1;
    enum mlsim_status st = mlsim_hwdb_find(db, r->system_id, d, &r->system);
    if (st == MLSIM_ERR_NOT_FOUND || (st == MLSIM_OK && !r->system->node.device[0])) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "'%s' is not a system of nodes in the hardware database (hwdb/system/)",
                           r->system_id);
        return 0;
    }
    if (st != MLSIM_OK)
        return 0;
    const struct mlsim_device *sys = r->system;
    if (!given(r, "hardware.device")) {
        snprintf(r->device_id, sizeof r->device_id, "%s", sys->node.device);
        r->prov.loc[mlsim_schema_find(&mlsim_run_schema, "hardware.device") -
                    mlsim_run_schema.fields] = *loc;
    }
    if (!given(r, "hardware.node_size") && sys->node.devices > 0) {
        r->node_size = sys->node.devices;
        r->prov.loc[mlsim_schema_find(&mlsim_run_schema, "hardware.node_size") -
                    mlsim_run_schema.fields] = *loc;
    }
    if (!given(r, "hardware.link") && sys->node.link[0])
        snprintf(r->link, sizeof r->link, "%s", sys->node.link);
    if (!given(r, "hardware.nic_bandwidth") && sys->network.bw_each_Bps > 0) {
        r->nic_bw_Bps = sys->network.bw_each_Bps;
        r->prov.loc[mlsim_schema_find(&mlsim_run_schema, "hardware.nic_bandwidth") -
                    mlsim_run_schema.fields] = *loc;
    }
    if (!given(r, "hardware.nic_latency") && sys->network.latency_s > 0)
        r->nic_latency_s = sys->network.latency_s;
    return 1;
}

static int resolve_device(struct mlsim_run *r, struct mlsim_hwdb *db, struct mlsim_diags *d)
{
    if (!given(r, "hardware.device")) {
        if (!seen(r, "hardware.device"))
            report_missing(r, "hardware.device", d);
        return 0;
    }
    enum mlsim_status st = mlsim_hwdb_find(db, r->device_id, d, &r->device);
    if (st == MLSIM_ERR_NOT_FOUND)
        report_unknown_device(r, db, d);
    return st == MLSIM_OK;
}

static int resolve_precision(struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_loc *loc = mlsim_schema_given(&mlsim_run_schema, r, "precision");
    if (!loc) {
        if (!seen(r, "precision"))
            report_missing(r, "precision", d);
        return 0;
    }
    if (r->device->peak_flops[r->precision] > 0)
        return 1;
    char have[128] = "";
    size_t used = 0;
    for (int p = 0; p < MLSIM_PRECISION_N; p++) {
        if (r->device->peak_flops[p] <= 0)
            continue;
        int w = snprintf(have + used, sizeof have - used, "%s%s", used ? ", " : "",
                         mlsim_precision_names[p]);
        if (w > 0 && (size_t)w < sizeof have - used)
            used += (size_t)w;
    }
    if (!have[0])
        snprintf(have, sizeof have, "none: %s",
                 r->device->peak_unpublished      ? "no figure is published"
                 : r->device->hashrate_sha256 > 0 ? "it computes SHA-256 hashes"
                                                  : "only a sparse headline");
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc, "%s has no %s throughput (it has %s)",
                       r->device->id, mlsim_precision_names[r->precision], have);
    return 0;
}

static int resolve_economics(struct mlsim_run *r, struct mlsim_diags *d)
{
    struct mlsim_economics *e = &r->econ;
    int ok = 1;
    if (!given(r, "economics.pue"))
        e->pue = MLSIM_DEFAULT_PUE;
    if (!given(r, "economics.carbon_intensity"))
        e->carbon_kg_per_j = MLSIM_DEFAULT_CARBON_G_PER_KWH * 1e-3 / MLSIM_UNITS_J_PER_KWH;
    if (!given(r, "economics.price_per_device_hour")) {
        e->price_usd_per_s = r->device->rental_usd_per_s;
        if (e->price_usd_per_s <= 0) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                               "%s has no rental price in the hardware database: set "
                               "'economics.price_per_device_hour'",
                               r->device->id);
            ok = 0;
        }
    }
    if (!given(r, "economics.device_power")) {
        e->device_power_w = r->device->tdp_w;
        if (e->device_power_w <= 0) {
            mlsim_diags_report(
                d, MLSIM_SEVERITY_ERROR, r->loc,
                "%s has no TDP in the hardware database: set 'economics.device_power'",
                r->device->id);
            ok = 0;
        }
    }
    return ok;
}

/* The link collectives use: the one named, else the first NVLink or ICI link, else the first. */
static int resolve_link(struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_device *dev = r->device;
    const struct mlsim_loc *loc = mlsim_schema_given(&mlsim_run_schema, r, "hardware.link");
    if (loc) {
        for (int i = 0; i < dev->n_links; i++) {
            if (strcmp(dev->links[i].name, r->link) == 0)
                return 1;
        }
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc, "%s has no link named '%s'%s%s", dev->id,
                           r->link, dev->n_links ? "; it has " : "",
                           dev->n_links ? dev->links[0].name : "");
        return 0;
    }
    for (int i = 0; i < dev->n_links && !r->link[0]; i++) {
        if (dev->links[i].type == MLSIM_LINK_NVLINK || dev->links[i].type == MLSIM_LINK_ICI)
            snprintf(r->link, sizeof r->link, "%s", dev->links[i].name);
    }
    if (!r->link[0] && dev->n_links > 0)
        snprintf(r->link, sizeof r->link, "%s", dev->links[0].name);
    if (!r->link[0] && r->count > 1) {
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, r->loc,
            "%s has no links in the hardware database, so %d of them cannot exchange gradients",
            dev->id, r->count);
        return 0;
    }
    return 1;
}

static int check_layout(struct mlsim_run *r, struct mlsim_diags *d);

/* Devices beyond one node need the network between nodes. */
static int check_network(const struct mlsim_run *r, struct mlsim_diags *d)
{
    if (r->count <= r->node_size || given(r, "hardware.nic_bandwidth"))
        return 1;
    mlsim_diags_report(
        d, MLSIM_SEVERITY_ERROR, r->loc,
        "%d devices span %d-device nodes: give the network's 'hardware.nic_bandwidth' per node",
        r->count, r->node_size);
    return 0;
}

/* What simulate mode needs beyond the analytic fields. */
static int resolve_simulate(struct mlsim_run *r, struct mlsim_diags *d)
{
    struct mlsim_training *t = &r->training;
    int ok = 1;
    if (r->model.type == MLSIM_MODEL_MLP) {
        if (!seen(r, "model.widths")) {
            report_missing(r, "model.widths", d);
            ok = 0;
        } else if (!seen(r, "model.params")) {
            r->model.params = mlsim_model_params(&r->model);
        }
    } else {
        static const char *const shape[] = {"model.layers",  "model.hidden", "model.heads",
                                            "model.seq_len", "model.vocab",  NULL};
        int any = 0;
        for (int i = 0; shape[i]; i++)
            any |= seen(r, shape[i]);
        if (!any && given(r, "model.params")) {
            mlsim_model_derive_shape(r->model.params, &r->model);
            r->shape_derived = 1;
        }
        for (int i = 0; shape[i] && !r->shape_derived; i++) {
            if (!seen(r, shape[i])) {
                mlsim_diags_report(
                    d, MLSIM_SEVERITY_ERROR, r->loc,
                    "run '%s': simulate mode needs the transformer's shape: missing '%s'", r->name,
                    shape[i]);
                ok = 0;
            }
        }
    }
    /* A derived run trains as GPT-3 did: micro-batches of 1 sequence, batches of 3.2M tokens above
     * 100B parameters and of 2M below (Brown et al. 2020, Table 2.1), in sequences of 2048. */
    if (r->shape_derived && !seen(r, "training.micro_batch"))
        t->micro_batch = 1;
    if (r->shape_derived && !seen(r, "training.global_batch"))
        t->global_batch = r->model.params >= 100e9 ? 1536 : 1024;
    static const char *const needed[] = {"training.micro_batch", "training.global_batch", NULL};
    for (int i = 0; needed[i] && !r->shape_derived; i++) {
        if (!seen(r, needed[i])) {
            report_missing(r, needed[i], d);
            ok = 0;
        }
    }
    /* A batch that was misspelt is reported already (with its did-you-mean) but holds no value. */
    if (t->micro_batch <= 0 || t->global_batch <= 0)
        ok = 0;
    if (!given(r, "training.bucket_size"))
        t->bucket_bytes = MLSIM_DEFAULT_BUCKET_BYTES;
    if (!given(r, "training.overlap_comm"))
        t->overlap_comm = 1;
    if (!given(r, "hardware.node_size"))
        r->node_size = r->count < 8 ? r->count : 8;
    if (!given(r, "training.tp"))
        t->tp = 1;
    if (!given(r, "training.pp"))
        t->pp = 1;
    if (!given(r, "training.interleave"))
        t->interleave = 1;
    if (!given(r, "training.schedule"))
        t->schedule = MLSIM_SCHEDULE_1F1B;
    r->layout_derived = r->model.type == MLSIM_MODEL_TRANSFORMER && !given(r, "training.tp") &&
                        !given(r, "training.pp") && (r->shape_derived || r->count > r->node_size);
    if (ok && !r->layout_derived)
        ok = check_layout(r, d);
    if (ok && r->layout_derived)
        ok = check_network(r, d);
    return ok && resolve_link(r, d);
}

/* The parallel layout must tile the devices, the heads, the layers and the batch (layout.h's
 * rule); a batch that does not split is placed at the batch, the rest at the training block. */
static int check_layout(struct mlsim_run *r, struct mlsim_diags *d)
{
    struct mlsim_layout l;
    char why[256];
    mlsim_layout_of_run(r, &l);
    enum mlsim_layout_fault fault = mlsim_layout_check(&r->model, r->count, r->node_size, &l);
    if (fault != MLSIM_LAYOUT_OK) {
        const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, "training");
        const struct mlsim_loc *gb =
            mlsim_schema_given(&mlsim_run_schema, r, "training.global_batch");
        struct mlsim_loc loc = at ? *at : r->loc;
        if (fault == MLSIM_LAYOUT_BATCH && gb)
            loc = *gb;
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, loc, "%s",
            mlsim_layout_fault_text(fault, &r->model, r->count, r->node_size, &l, why, sizeof why));
        return 0;
    }
    return check_network(r, d);
}

/* An analytic run assumes its MFU: the training layout and its options would change nothing, and
 * a user who set them probably meant 'mode: simulate'. Said once per place given. */
static void warn_unused_training(const struct mlsim_run *r, struct mlsim_diags *d)
{
    for (size_t i = 0; i < mlsim_run_schema.n_fields; i++) {
        const struct mlsim_field *f = &mlsim_run_schema.fields[i];
        if (strncmp(f->path, "training.", 9) != 0 || f->kind == MLSIM_FIELD_SECTION)
            continue;
        const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, f->path);
        if (at)
            mlsim_diags_report(d, MLSIM_SEVERITY_WARNING, *at,
                               "'%s' has no effect in analytic mode, which assumes the MFU "
                               "(did you mean 'mode: simulate'?)",
                               f->path);
    }
}

/* Inference: a shape to run forward and a latency bound. */
static int resolve_inference(struct mlsim_run *r, struct mlsim_diags *d)
{
    int ok = 1;
    if (!seen(r, "inference.latency_bound")) {
        report_missing(r, "inference.latency_bound", d);
        ok = 0;
    }
    if (r->model.type == MLSIM_MODEL_MLP && !seen(r, "model.widths")) {
        report_missing(r, "model.widths", d);
        ok = 0;
    }
    static const char *const shape[] = {"model.layers",  "model.hidden", "model.heads",
                                        "model.seq_len", "model.vocab",  NULL};
    for (int i = 0; r->model.type == MLSIM_MODEL_TRANSFORMER && shape[i]; i++) {
        if (!seen(r, shape[i])) {
            report_missing(r, shape[i], d);
            ok = 0;
        }
    }
    if (!given(r, "inference.max_batch"))
        r->max_batch = 1 << 20;
    if (!given(r, "hardware.node_size"))
        r->node_size = r->count;
    r->training.tp = r->training.pp = 1;
    return ok;
}

static int resolve_run(struct mlsim_run *r, size_t index, struct mlsim_hwdb *db,
                       struct mlsim_diags *d)
{
    if (!r->name[0]) {
        if (r->model.name[0])
            snprintf(r->name, sizeof r->name, "%s", r->model.name);
        else
            snprintf(r->name, sizeof r->name, "run %zu", index + 1);
    }
    int ok = resolve_model(r, d);
    if (!given(r, "hardware.count")) {
        if (!seen(r, "hardware.count"))
            report_missing(r, "hardware.count", d);
        ok = 0;
    }
    if (r->model.n_widths > 0 && !seen(r, "model.params"))
        r->model.params = mlsim_model_params(&r->model);
    if (r->mode == MLSIM_MODE_ANALYTIC && !seen(r, "mfu")) {
        report_missing(r, "mfu", d);
        ok = 0;
    }
    if (!resolve_system(r, db, d) || !resolve_device(r, db, d))
        return 0;
    /* The host's share of a system's node power, unless given (the node's maximum less its
     * devices'). */
    if (r->system && r->system->node.power_w > 0 && r->device->tdp_w > 0 &&
        !given(r, "economics.host_power_per_device")) {
        double share = r->system->node.power_w / r->system->node.devices - r->device->tdp_w;
        r->econ.host_power_w = share > 0 ? share : 0.0;
        r->host_power_from_system = 1;
    }
    ok &= resolve_precision(r, d);
    ok &= resolve_economics(r, d);
    if (r->mode == MLSIM_MODE_ANALYTIC)
        warn_unused_training(r, d);
    if (ok && r->mode == MLSIM_MODE_SIMULATE)
        ok = resolve_simulate(r, d);
    if (ok && r->mode == MLSIM_MODE_INFERENCE)
        ok = resolve_inference(r, d);
    return ok;
}

enum mlsim_status mlsim_scenario_resolve(struct mlsim_scenario *sc, struct mlsim_hwdb *db,
                                         struct mlsim_diags *d)
{
    int ok = 1;
    for (size_t i = 0; i < sc->n_runs; i++)
        ok &= resolve_run(&sc->runs[i], i, db, d);
    return ok ? MLSIM_OK : MLSIM_ERR_INPUT;
}
