/*
 * Device files and the database of them. A device file is checked against one field table; its
 * `links:` and `sources:` lists are loaded entry by entry with small tables of their own. After
 * loading, every number the file gives must be backed by a source (`for:` names its path or a
 * prefix of it): hardware is data, and data without a source is a guess.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/hwdb.h"

#include <dirent.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlsim/zoo.h"

/* `peak_published: false` stores 1 (the vendor gives no throughput figure at all). */
static const char *const unpublished_names[] = {"true", "false", NULL};
static const char *const direction_names[] = {"each_way", "both_ways", NULL};

int mlsim_precision_from_name(const char *name)
{
    for (int i = 0; mlsim_precision_names[i]; i++) {
        if (strcmp(mlsim_precision_names[i], name) == 0)
            return i;
    }
    return -1;
}

/* ---- links ---- */

struct link_entry {
    struct mlsim_link link;
    int direction; /* index into direction_names */
    double bw_Bps; /* as written */
    struct mlsim_provenance prov;
};

#define LF(path, kind, dim, member, lo, hi, flags, names)                                          \
    {                                                                                              \
        path, kind, dim, offsetof(struct link_entry, member),                                      \
            sizeof(((struct link_entry *)0)->member), lo, hi, flags, names, NULL                   \
    }

static const struct mlsim_field link_fields[] = {
    LF("name", MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, link.name, 0, 0, 0, NULL),
    LF("type", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, link.type, 0, 0, 0, mlsim_link_type_names),
    LF("bandwidth", MLSIM_FIELD_QUANTITY, MLSIM_DIM_BANDWIDTH, bw_Bps, 0, INFINITY, 0, NULL),
    LF("direction", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, direction, 0, 0, 0, direction_names),
    LF("latency", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME, link.latency_s, 0, INFINITY, 0, NULL),
    LF("ports", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, link.ports, 0, 64, 0, NULL),
};
_Static_assert(sizeof link_fields / sizeof link_fields[0] <= MLSIM_SCHEMA_MAX_FIELDS,
               "a schema holds at most MLSIM_SCHEMA_MAX_FIELDS fields (its provenance arrays)");

static const struct mlsim_schema link_schema = {"link", link_fields,
                                                sizeof link_fields / sizeof link_fields[0],
                                                offsetof(struct link_entry, prov), NULL};

/* Report each of the NAMES (NULL-terminated) that OBJ does not give. */
static int require(const struct mlsim_schema *s, const void *obj, const char *const *names,
                   struct mlsim_loc where, struct mlsim_diags *d)
{
    int ok = 1;
    for (size_t i = 0; names[i]; i++) {
        if (!mlsim_schema_seen(s, obj, names[i])) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, where, "%s is missing required key '%s'",
                               s->what, names[i]);
            ok = 0;
        }
    }
    return ok;
}

static enum mlsim_status load_links(const struct mlsim_ynode *seq, void *obj, struct mlsim_diags *d)
{
    static const char *const required[] = {"name", "type", "bandwidth", "direction", NULL};
    struct mlsim_device *dev = obj;
    enum mlsim_status st = MLSIM_OK;
    for (size_t i = 0; i < seq->n; i++) {
        struct link_entry e;
        memset(&e, 0, sizeof e);
        if (dev->n_links == MLSIM_HWDB_MAX_LINKS) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, seq->items[i]->loc,
                               "too many links (at most %d)", MLSIM_HWDB_MAX_LINKS);
            return MLSIM_ERR_INPUT;
        }
        /* Check both, so a bad value and a missing key are reported together. */
        int loaded = mlsim_schema_load(&link_schema, seq->items[i], &e, d) == MLSIM_OK;
        int complete = require(&link_schema, &e, required, seq->items[i]->loc, d);
        if (!loaded || !complete) {
            st = MLSIM_ERR_INPUT;
            continue;
        }
        e.link.both_ways = e.direction == 1;
        e.link.bw_each_Bps = e.link.both_ways ? e.bw_Bps / 2.0 : e.bw_Bps;
        dev->links[dev->n_links++] = e.link;
    }
    return st;
}

/* ---- sources ---- */

struct source_entry {
    struct mlsim_source src;
    struct mlsim_provenance prov;
    struct mlsim_loc cover_locs[MLSIM_HWDB_MAX_COVERS];
};

static enum mlsim_status load_covers(const struct mlsim_ynode *seq, void *obj,
                                     struct mlsim_diags *d)
{
    struct source_entry *e = obj;
    for (size_t i = 0; i < seq->n; i++) {
        const struct mlsim_ynode *item = seq->items[i];
        if (item->type != MLSIM_YNODE_SCALAR || strlen(item->value) >= sizeof e->src.covers[0]) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, item->loc,
                               "'for' lists field paths like 'peak' or 'memory.bandwidth'");
            return MLSIM_ERR_INPUT;
        }
        if (e->src.n_covers == MLSIM_HWDB_MAX_COVERS) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, item->loc,
                               "too many paths in 'for' (at most %d)", MLSIM_HWDB_MAX_COVERS);
            return MLSIM_ERR_INPUT;
        }
        e->cover_locs[e->src.n_covers] = item->loc;
        memcpy(e->src.covers[e->src.n_covers++], item->value, strlen(item->value) + 1);
    }
    return MLSIM_OK;
}

#define SF(path, kind, member, loader)                                                             \
    {                                                                                              \
        path, kind, MLSIM_DIM_NUMBER, offsetof(struct source_entry, member),                       \
            sizeof(((struct source_entry *)0)->member), 0, 0, 0, NULL, loader                      \
    }

static const struct mlsim_field source_fields[] = {
    SF("for", MLSIM_FIELD_LIST, src.covers, load_covers),
    SF("cite", MLSIM_FIELD_STRING, src.cite, NULL),
    SF("url", MLSIM_FIELD_STRING, src.url, NULL),
    SF("note", MLSIM_FIELD_STRING, src.note, NULL),
};
_Static_assert(sizeof source_fields / sizeof source_fields[0] <= MLSIM_SCHEMA_MAX_FIELDS,
               "a schema holds at most MLSIM_SCHEMA_MAX_FIELDS fields (its provenance arrays)");

static const struct mlsim_schema source_schema = {"source", source_fields,
                                                  sizeof source_fields / sizeof source_fields[0],
                                                  offsetof(struct source_entry, prov), NULL};

static int check_cover_path(const char *path, struct mlsim_loc loc, struct mlsim_diags *d)
{
    const struct mlsim_schema *s = &mlsim_device_schema;
    if (mlsim_schema_find(s, path) && strcmp(path, "sources") != 0)
        return 1;
    const char *cands[MLSIM_SCHEMA_MAX_FIELDS];
    for (size_t i = 0; i < s->n_fields; i++)
        cands[i] = s->fields[i].path;
    const char *hint = mlsim_diag_suggest(path, cands, s->n_fields);
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc,
                       "'for' names '%s', which is not a device field%s%s%s", path,
                       hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
    return 0;
}

static enum mlsim_status load_sources(const struct mlsim_ynode *seq, void *obj,
                                      struct mlsim_diags *d)
{
    static const char *const required[] = {"for", "cite", NULL};
    struct mlsim_device *dev = obj;
    enum mlsim_status st = MLSIM_OK;
    for (size_t i = 0; i < seq->n; i++) {
        struct source_entry e;
        memset(&e, 0, sizeof e);
        if (dev->n_sources == MLSIM_HWDB_MAX_SOURCES) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, seq->items[i]->loc,
                               "too many sources (at most %d)", MLSIM_HWDB_MAX_SOURCES);
            return MLSIM_ERR_INPUT;
        }
        int loaded = mlsim_schema_load(&source_schema, seq->items[i], &e, d) == MLSIM_OK;
        int complete = require(&source_schema, &e, required, seq->items[i]->loc, d);
        int paths_ok = 1;
        for (int c = 0; c < e.src.n_covers; c++)
            paths_ok &= check_cover_path(e.src.covers[c], e.cover_locs[c], d);
        if (!loaded || !complete || !paths_ok) {
            st = MLSIM_ERR_INPUT;
            continue;
        }
        dev->sources[dev->n_sources++] = e.src;
    }
    return st;
}

/* ---- the device ---- */

#define DF(path, kind, dim, member, lo, hi, flags, names, loader)                                  \
    {                                                                                              \
        path, kind, dim, offsetof(struct mlsim_device, member),                                    \
            sizeof(((struct mlsim_device *)0)->member), lo, hi, flags, names, loader               \
    }
#define DSEC(path)                                                                                 \
    {                                                                                              \
        path, MLSIM_FIELD_SECTION, MLSIM_DIM_NUMBER, 0, 0, 0, 0, 0, NULL, NULL                     \
    }
#define DQ(path, dim, member)                                                                      \
    DF(path, MLSIM_FIELD_QUANTITY, dim, member, 0, INFINITY, 0, NULL, NULL)
#define DPEAK(prec, idx)                                                                           \
    {                                                                                              \
        "peak." prec, MLSIM_FIELD_QUANTITY, MLSIM_DIM_FLOPS,                                       \
            offsetof(struct mlsim_device, peak_flops) + (idx) * sizeof(double), sizeof(double), 0, \
            INFINITY, 0, NULL, NULL                                                                \
    }

/* A 2:4-sparse or "AI" headline figure: shown, never used as a dense peak. */
#define DSPARSE(prec, idx)                                                                         \
    {                                                                                              \
        "peak_sparse." prec, MLSIM_FIELD_QUANTITY, MLSIM_DIM_FLOPS,                                \
            offsetof(struct mlsim_device, peak_sparse_flops) + (idx) * sizeof(double),             \
            sizeof(double), 0, INFINITY, 0, NULL, NULL                                             \
    }

static const struct mlsim_field device_fields[] = {
    DF("id", MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, id, 0, 0, 0, NULL, NULL),
    DF("name", MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, name, 0, 0, 0, NULL, NULL),
    DF("kind", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, kind, 0, 0, 0, mlsim_kind_names, NULL),
    DF("vendor", MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, vendor, 0, 0, 0, NULL, NULL),
    DF("year", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, year, 1940, 2100, MLSIM_FIELD_LO_INCLUSIVE, NULL,
       NULL),
    DSEC("peak"),
    DPEAK("fp64", MLSIM_PRECISION_FP64),
    DPEAK("fp32", MLSIM_PRECISION_FP32),
    DPEAK("tf32", MLSIM_PRECISION_TF32),
    DPEAK("fp16", MLSIM_PRECISION_FP16),
    DPEAK("bf16", MLSIM_PRECISION_BF16),
    DPEAK("fp8", MLSIM_PRECISION_FP8),
    DPEAK("int8", MLSIM_PRECISION_INT8),
    DSEC("peak_sparse"),
    DSPARSE("fp64", MLSIM_PRECISION_FP64),
    DSPARSE("fp32", MLSIM_PRECISION_FP32),
    DSPARSE("tf32", MLSIM_PRECISION_TF32),
    DSPARSE("fp16", MLSIM_PRECISION_FP16),
    DSPARSE("bf16", MLSIM_PRECISION_BF16),
    DSPARSE("fp8", MLSIM_PRECISION_FP8),
    DSPARSE("int8", MLSIM_PRECISION_INT8),
    DQ("rmax", MLSIM_DIM_FLOPS, rmax_flops),
    DSEC("node"),
    DF("node.device", MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, node.device, 0, 0, 0, NULL, NULL),
    DF("node.devices", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, node.devices, 0, 1e7, 0, NULL, NULL),
    DF("node.link", MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, node.link, 0, 0, 0, NULL, NULL),
    DQ("node.power", MLSIM_DIM_POWER, node.power_w),
    DSEC("network"),
    DF("network.type", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, network.type, 0, 0, 0,
       mlsim_link_type_names, NULL),
    DQ("network.bandwidth", MLSIM_DIM_BANDWIDTH, network.bw_each_Bps),
    DF("network.direction", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, network.both_ways, 0, 0, 0,
       direction_names, NULL),
    DQ("network.latency", MLSIM_DIM_TIME, network.latency_s),
    DF("network.topology", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, network.topology, 0, 0, 0,
       mlsim_topology_names, NULL),
    DF("max_nodes", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, max_nodes, 0, 1e9, 0, NULL, NULL),
    DSEC("torus"),
    DF("torus.x", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, torus.x, 0, 4096, 0, NULL, NULL),
    DF("torus.y", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, torus.y, 0, 4096, 0, NULL, NULL),
    DF("torus.z", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, torus.z, 0, 4096, 0, NULL, NULL),
    DF("torus.wrap", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, torus.wrap, 0, 4096, 0, NULL, NULL),
    DF("peak_published", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, peak_unpublished, 0, 0, 0,
       unpublished_names, NULL),
    DSEC("hashrate"),
    DQ("hashrate.sha256", MLSIM_DIM_HASHRATE, hashrate_sha256),
    DSEC("memory"),
    DQ("memory.capacity", MLSIM_DIM_BYTES, mem_bytes),
    DQ("memory.bandwidth", MLSIM_DIM_BANDWIDTH, mem_bw_Bps),
    DQ("memory.on_chip", MLSIM_DIM_BYTES, onchip_bytes),
    DF("links", MLSIM_FIELD_LIST, MLSIM_DIM_NUMBER, links, 0, 0, 0, NULL, load_links),
    DSEC("power"),
    DQ("power.tdp", MLSIM_DIM_POWER, tdp_w),
    DQ("power.idle", MLSIM_DIM_POWER, idle_w),
    DSEC("price"),
    DQ("price.purchase", MLSIM_DIM_MONEY, price_usd),
    DQ("price.rental", MLSIM_DIM_MONEY_RATE, rental_usd_per_s),
    DF("price.rental_date", MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, rental_date, 0, 0, 0, NULL, NULL),
    DF("cores", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, cores, 0, 1e7, 0, NULL, NULL),
    DQ("clock", MLSIM_DIM_FREQUENCY, clock_hz),
    DSEC("calibration"),
    DF("calibration.gemm_efficiency", MLSIM_FIELD_QUANTITY, MLSIM_DIM_RATIO,
       calibration.gemm_efficiency, 0, 1, 0, NULL, NULL),
    DF("calibration.gemm_efficiency_se", MLSIM_FIELD_QUANTITY, MLSIM_DIM_RATIO,
       calibration.gemm_efficiency_se, 0, 1, MLSIM_FIELD_LO_INCLUSIVE, NULL, NULL),
    DF("calibration.memory_efficiency", MLSIM_FIELD_QUANTITY, MLSIM_DIM_RATIO,
       calibration.memory_efficiency, 0, 1, 0, NULL, NULL),
    DQ("calibration.launch_overhead", MLSIM_DIM_TIME, calibration.launch_s),
    DQ("calibration.gemm_half_m", MLSIM_DIM_NUMBER, calibration.gemm_half_m),
    DQ("calibration.gemm_half_n", MLSIM_DIM_NUMBER, calibration.gemm_half_n),
    DQ("calibration.gemm_half_k", MLSIM_DIM_NUMBER, calibration.gemm_half_k),
    DF("calibration.threads", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, calibration.threads, 0, 1e6, 0,
       NULL, NULL),
    DQ("calibration.onchip_bandwidth", MLSIM_DIM_BANDWIDTH, calibration.onchip_bw_Bps),
    DF("calibration.fp8_gemm_efficiency", MLSIM_FIELD_QUANTITY, MLSIM_DIM_RATIO,
       calibration.fp8_gemm_efficiency, 0, 1, 0, NULL, NULL),
    DF("calibration.flash_efficiency", MLSIM_FIELD_QUANTITY, MLSIM_DIM_RATIO,
       calibration.flash_efficiency, 0, 1, 0, NULL, NULL),
    DF("calibration.cudnn_efficiency", MLSIM_FIELD_QUANTITY, MLSIM_DIM_RATIO,
       calibration.cudnn_efficiency, 0, 1, 0, NULL, NULL),
    DF("calibration.ceiling", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, calibration.gemm_ceiling, 0, 0, 0,
       mlsim_bool_names, NULL),
    DF("sources", MLSIM_FIELD_LIST, MLSIM_DIM_NUMBER, sources, 0, 0, 0, NULL, load_sources),
};
_Static_assert(sizeof device_fields / sizeof device_fields[0] <= MLSIM_SCHEMA_MAX_FIELDS,
               "a schema holds at most MLSIM_SCHEMA_MAX_FIELDS fields (its provenance arrays)");

const struct mlsim_schema mlsim_device_schema = {"device", device_fields,
                                                 sizeof device_fields / sizeof device_fields[0],
                                                 offsetof(struct mlsim_device, prov), NULL};

static int covers(const char *cover, const char *path)
{
    size_t n = strlen(cover);
    return strncmp(cover, path, n) == 0 && (path[n] == '\0' || path[n] == '.');
}

const struct mlsim_source *mlsim_device_source(const struct mlsim_device *dev, const char *path)
{
    for (int s = 0; s < dev->n_sources; s++) {
        for (int c = 0; c < dev->sources[s].n_covers; c++) {
            if (covers(dev->sources[s].covers[c], path))
                return &dev->sources[s];
        }
    }
    return NULL;
}

/* Every number given must be backed by a source. */
static int check_sourced(const struct mlsim_device *dev, struct mlsim_diags *d)
{
    int ok = 1;
    for (size_t i = 0; i < mlsim_device_schema.n_fields; i++) {
        const struct mlsim_field *f = &device_fields[i];
        int numeric = f->kind == MLSIM_FIELD_QUANTITY || f->kind == MLSIM_FIELD_INT ||
                      (f->kind == MLSIM_FIELD_LIST && strcmp(f->path, "links") == 0);
        const struct mlsim_loc *loc = &dev->prov.loc[i];
        if (!numeric || !loc->file)
            continue;
        int found = 0;
        for (int s = 0; s < dev->n_sources && !found; s++) {
            for (int c = 0; c < dev->sources[s].n_covers && !found; c++)
                found = covers(dev->sources[s].covers[c], f->path);
        }
        if (!found) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                               "'%s' has no source: name it in the 'for' list of a 'sources' entry",
                               f->path);
            ok = 0;
        }
    }
    return ok;
}

/* The file's name must be <id>.yaml and its folder, if a kind, must be the device's kind. */
static int check_place(const struct mlsim_device *dev, const char *path, struct mlsim_diags *d)
{
    int ok = 1;
    const struct mlsim_loc *id_loc = mlsim_schema_given(&mlsim_device_schema, dev, "id");
    const struct mlsim_loc *kind_loc = mlsim_schema_given(&mlsim_device_schema, dev, "kind");
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(dev->id);
    if (id_loc && (strncmp(base, dev->id, n) != 0 || strcmp(base + n, ".yaml") != 0)) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *id_loc,
                           "id '%s' does not match the file name '%s'", dev->id, base);
        ok = 0;
    }
    if (kind_loc && base != path) {
        const char *dir_end = base - 1;
        const char *dir = dir_end;
        while (dir > path && dir[-1] != '/')
            dir--;
        size_t dl = (size_t)(dir_end - dir);
        for (int k = 0; mlsim_kind_names[k]; k++) {
            if (strlen(mlsim_kind_names[k]) == dl && strncmp(dir, mlsim_kind_names[k], dl) == 0 &&
                k != dev->kind) {
                mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *kind_loc,
                                   "kind '%s' but the file is in the '%s' folder",
                                   mlsim_kind_names[dev->kind], mlsim_kind_names[k]);
                ok = 0;
            }
        }
    }
    return ok;
}

/* A torus needs its x and y, the multiple at which it wraps, and a link with ports to run on:
 * a torus of some of them would be costed as if it had none. Placed at the torus's first key. */
static int check_torus(const struct mlsim_device *dev, struct mlsim_diags *d)
{
    static const char *const keys[] = {"torus.x", "torus.y", "torus.z", "torus.wrap"};
    const struct mlsim_loc *at = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !at; i++)
        at = mlsim_schema_given(&mlsim_device_schema, dev, keys[i]);
    if (!at)
        return 1;
    int ports = 0;
    for (int i = 0; i < dev->n_links; i++)
        ports |= dev->links[i].ports > 0;
    if (dev->torus.x > 0 && dev->torus.y > 0 && dev->torus.wrap > 0 && ports)
        return 1;
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                       "a torus needs 'torus.x', 'torus.y' and 'torus.wrap', and a link with "
                       "'ports' (links per chip) to run on");
    return 0;
}

static int check_device(const struct mlsim_device *dev, const char *path, struct mlsim_loc where,
                        struct mlsim_diags *d)
{
    static const char *const required[] = {"id", "name", "kind", "vendor", "year", "sources", NULL};
    int ok = require(&mlsim_device_schema, dev, required, where, d);
    int any_peak = 0;
    for (int p = 0; p < MLSIM_PRECISION_N; p++)
        any_peak |= dev->peak_flops[p] > 0 || dev->peak_sparse_flops[p] > 0;
    if (!any_peak && dev->hashrate_sha256 <= 0 && !dev->peak_unpublished && !dev->node.device[0]) {
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, where,
            "device has no 'peak' throughput (nor a 'peak_sparse' or a 'hashrate'; if the vendor "
            "publishes none, say 'peak_published: false')");
        ok = 0;
    }
    const struct mlsim_loc *rent = mlsim_schema_given(&mlsim_device_schema, dev, "price.rental");
    if (rent && !mlsim_schema_given(&mlsim_device_schema, dev, "price.rental_date")) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *rent,
                           "a rental price needs 'price.rental_date' (prices change)");
        ok = 0;
    }
    ok = check_torus(dev, d) && ok;
    if (ok)
        ok = check_place(dev, path, d);
    return check_sourced(dev, d) && ok;
}

enum mlsim_status mlsim_device_load(const char *path, struct mlsim_device *dev,
                                    struct mlsim_diags *d)
{
    struct mlsim_ydoc *doc = NULL;
    memset(dev, 0, sizeof *dev);
    size_t errors_before = mlsim_diags_errors(d);
    if (strlen(path) >= sizeof dev->path) { /* kept whole or not at all: a cut path misleads */
        struct mlsim_loc whole = {path, 0, 0};
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, whole,
                           "the path of a device file must be under %zu bytes", sizeof dev->path);
        return MLSIM_ERR_INPUT;
    }
    enum mlsim_status st = mlsim_ydoc_load_file(path, d, &doc);
    if (st != MLSIM_OK)
        return st;
    struct mlsim_loc whole = {doc->file, 0, 0};
    if (!doc->root) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, whole, "device file is empty");
    } else if (mlsim_schema_load(&mlsim_device_schema, doc->root, dev, d) == MLSIM_OK) {
        struct mlsim_loc top = doc->root->loc;
        if (dev->network.both_ways) { /* stored per direction, like device links */
            dev->network.bw_each_Bps /= 2.0;
            dev->network.both_ways = 0;
        }
        check_device(dev, path, top, d);
    }
    snprintf(dev->path, sizeof dev->path, "%s", path);
    /* Provenance points into DOC, which is freed here: keep only whether a field was given. */
    for (size_t i = 0; i < MLSIM_SCHEMA_MAX_FIELDS; i++) {
        if (dev->prov.loc[i].file)
            dev->prov.loc[i] =
                (struct mlsim_loc){dev->path, dev->prov.loc[i].line, dev->prov.loc[i].col};
    }
    mlsim_ydoc_free(doc);
    return mlsim_diags_errors(d) > errors_before ? MLSIM_ERR_INPUT : MLSIM_OK;
}

/* ---- the database ---- */

/* The most folders layered over the shipped one (--hwdb-add, MLSIM_HWDB_PATH). */
#define MAX_LAYERS 16

struct mlsim_hwdb {
    char *dir;
    char *layers[MAX_LAYERS]; /* searched before DIR, first added first */
    int n_layers;
    struct mlsim_device **devices;
    size_t n, cap;
    char *models_dir;      /* the model zoo's folder: DIR/../models unless set */
    struct mlsim_zoo *zoo; /* read on first use */
    enum mlsim_status zoo_st;
    int zoo_tried;
};

/* A malloc'd copy of S, or NULL. */
static char *copy_str(const char *s)
{
    char *c = malloc(strlen(s) + 1);
    if (c)
        memcpy(c, s, strlen(s) + 1);
    return c;
}

enum mlsim_status mlsim_hwdb_add_dir(struct mlsim_hwdb *db, const char *dir)
{
    if (db->n_layers == MAX_LAYERS)
        return MLSIM_ERR_RANGE;
    db->layers[db->n_layers] = copy_str(dir);
    if (!db->layers[db->n_layers])
        return MLSIM_ERR_NOMEM;
    db->n_layers++;
    return MLSIM_OK;
}

enum mlsim_status mlsim_hwdb_set_models_dir(struct mlsim_hwdb *db, const char *dir)
{
    char *c = copy_str(dir);
    if (!c)
        return MLSIM_ERR_NOMEM;
    free(db->models_dir);
    db->models_dir = c;
    return MLSIM_OK;
}

const char *mlsim_hwdb_models_dir(const struct mlsim_hwdb *db)
{
    return db->models_dir;
}

enum mlsim_status mlsim_hwdb_zoo(struct mlsim_hwdb *db, struct mlsim_diags *d,
                                 const struct mlsim_zoo **out)
{
    if (!db->zoo_tried) {
        db->zoo_tried = 1;
        db->zoo_st = mlsim_zoo_load(db->models_dir, d, &db->zoo);
    }
    *out = db->zoo;
    return db->zoo_st;
}

struct mlsim_hwdb *mlsim_hwdb_alloc(const char *dir)
{
    struct mlsim_hwdb *db = calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->dir = malloc(strlen(dir) + 1);
    if (!db->dir) {
        free(db);
        return NULL;
    }
    memcpy(db->dir, dir, strlen(dir) + 1);
    /* the data folder holds hwdb/ and models/ side by side, in the source tree and installed:
     * DIR's parent's models/ (DIR/../models where DIR has no parent to name) */
    size_t len = strlen(dir) + sizeof "/../models";
    db->models_dir = malloc(len);
    if (!db->models_dir) {
        mlsim_hwdb_free(db);
        return NULL;
    }
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/')
        end--;
    size_t cut = end;
    while (cut > 0 && dir[cut - 1] != '/')
        cut--;
    int plain = end > cut && strncmp(dir + cut, ".", end - cut) != 0 &&
                strncmp(dir + cut, "..", end - cut) != 0;
    if (plain)
        snprintf(db->models_dir, len, "%.*smodels", (int)cut, dir);
    else
        snprintf(db->models_dir, len, "%s/../models", dir);
    return db;
}

void mlsim_hwdb_free(struct mlsim_hwdb *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n; i++)
        free(db->devices[i]);
    free(db->devices);
    free(db->dir);
    for (int i = 0; i < db->n_layers; i++)
        free(db->layers[i]);
    free(db->models_dir);
    mlsim_zoo_free(db->zoo);
    free(db);
}

const char *mlsim_hwdb_dir(const struct mlsim_hwdb *db)
{
    return db->dir;
}

/* DIR/KIND/ID.yaml, or DIR/KIND when ID is NULL, malloc'd whatever the length; NULL if malloc
 * fails. */
static char *join_path(const char *dir, const char *kind, const char *id)
{
    size_t len = strlen(dir) + strlen(kind) + (id ? strlen(id) + 6 : 0) + 2;
    char *p = malloc(len);
    if (p && id)
        snprintf(p, len, "%s/%s/%s.yaml", dir, kind, id);
    else if (p)
        snprintf(p, len, "%s/%s", dir, kind);
    return p;
}

static enum mlsim_status load_into(struct mlsim_hwdb *db, const char *path, struct mlsim_diags *d,
                                   const struct mlsim_device **out);

/* Ids are file names: letters, digits, '-', '_' and '.', not starting with '.'. */
static int valid_id(const char *id)
{
    if (!id[0] || id[0] == '.' || strlen(id) >= 64)
        return 0;
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

enum mlsim_status mlsim_hwdb_find(struct mlsim_hwdb *db, const char *id, struct mlsim_diags *d,
                                  const struct mlsim_device **out)
{
    *out = NULL;
    if (!valid_id(id))
        return MLSIM_ERR_NOT_FOUND;
    for (size_t i = 0; i < db->n; i++) {
        if (strcmp(db->devices[i]->id, id) == 0) {
            *out = db->devices[i];
            return MLSIM_OK;
        }
    }
    char *path = NULL;
    /* the layers first, in the order added, then the shipped folder */
    for (int l = 0; l <= db->n_layers && !path; l++) {
        const char *dir = l < db->n_layers ? db->layers[l] : db->dir;
        for (int k = 0; mlsim_kind_names[k] && !path; k++) {
            path = join_path(dir, mlsim_kind_names[k], id);
            if (!path)
                return MLSIM_ERR_NOMEM;
            if (access(path, R_OK) != 0) {
                free(path);
                path = NULL;
            }
        }
    }
    if (!path)
        return MLSIM_ERR_NOT_FOUND;
    enum mlsim_status st = load_into(db, path, d, out);
    free(path);
    return st;
}

/* Load the device file PATH into DB; *OUT is the device. */
static enum mlsim_status load_into(struct mlsim_hwdb *db, const char *path, struct mlsim_diags *d,
                                   const struct mlsim_device **out)
{
    if (db->n == db->cap) {
        size_t cap = db->cap ? 2 * db->cap : 8;
        struct mlsim_device **p = realloc(db->devices, cap * sizeof *p);
        if (!p)
            return MLSIM_ERR_NOMEM;
        db->devices = p;
        db->cap = cap;
    }
    struct mlsim_device *dev = malloc(sizeof *dev);
    if (!dev)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = mlsim_device_load(path, dev, d);
    if (st != MLSIM_OK) {
        free(dev);
        return st == MLSIM_ERR_NOMEM ? st : MLSIM_ERR_INPUT;
    }
    db->devices[db->n++] = dev;
    *out = dev;
    return MLSIM_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void mlsim_hwdb_free_ids(char **ids, size_t n)
{
    if (!ids)
        return;
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

/* The ids of IDS that begin with the first PLEN bytes of WORD, as "A, B" into BUF; how many (a
 * list too long for BUF stops where it is: it says enough). */
static size_t list_prefixed(const char *word, size_t plen, char *const *ids, size_t n, char *buf,
                            size_t len)
{
    size_t found = 0, at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (strncmp(ids[i], word, plen) != 0)
            continue;
        int w = snprintf(buf + at, len - at, "%s%s", found ? ", " : "", ids[i]);
        if (w < 0 || (size_t)w >= len - at) {
            buf[at] = '\0';
            break;
        }
        at += (size_t)w;
        found++;
    }
    return found;
}

static const char *say_list(char *buf, size_t len, size_t found, const char *list)
{
    if (found == 1)
        snprintf(buf, len, " (did you mean '%s'?)", list);
    else
        snprintf(buf, len, " (did you mean one of %s?)", list);
    return buf;
}

const char *mlsim_hwdb_suggest_ids(const char *word, char *const *ids, size_t n, char *buf,
                                   size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    size_t wlen = strlen(word);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ids[i], word) == 0)
            return buf; /* an id: nothing to say */
    }
    /* Ids that begin with WORD come first: "a100-p" means a100-pcie-40gb, not the nearer a10. */
    char list[512];
    size_t found = wlen > 0 ? list_prefixed(word, wlen, ids, n, list, sizeof list) : 0;
    if (found > 0)
        return say_list(buf, len, found, list);
    const char *close = mlsim_diag_suggest(word, (const char *const *)ids, n);
    if (close) {
        snprintf(buf, len, " (did you mean '%s'?)", close);
        return buf;
    }
    for (size_t plen = wlen; plen-- > 2;) {
        found = list_prefixed(word, plen, ids, n, list, sizeof list);
        if (found > 0)
            return say_list(buf, len, found, list);
    }
    return buf;
}

const char *mlsim_hwdb_suggest(const struct mlsim_hwdb *db, const char *word, char *buf, size_t len)
{
    char **ids = NULL;
    size_t n = 0;
    if (len > 0)
        buf[0] = '\0';
    if (!word || mlsim_hwdb_list(db, &ids, &n) != MLSIM_OK)
        return buf;
    mlsim_hwdb_suggest_ids(word, ids, n, buf, len);
    mlsim_hwdb_free_ids(ids, n);
    return buf;
}

/* Append the ids of the *.yaml files in DIR to *IDS. */
static enum mlsim_status list_dir(const char *dir, char ***ids, size_t *n, size_t *cap)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return MLSIM_OK; /* a kind with no folder has no devices */
    enum mlsim_status st = MLSIM_OK;
    struct dirent *de;
    while (st == MLSIM_OK && (de = readdir(dp)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0 || de->d_name[0] == '.')
            continue;
        if (*n == *cap) {
            size_t c = *cap ? 2 * *cap : 32;
            char **p = realloc(*ids, c * sizeof *p);
            if (!p) {
                st = MLSIM_ERR_NOMEM;
                break;
            }
            *ids = p;
            *cap = c;
        }
        char *id = malloc(len - 4);
        if (!id) {
            st = MLSIM_ERR_NOMEM;
            break;
        }
        memcpy(id, de->d_name, len - 5);
        id[len - 5] = '\0';
        (*ids)[(*n)++] = id;
    }
    closedir(dp);
    return st;
}

enum mlsim_status mlsim_hwdb_list(const struct mlsim_hwdb *db, char ***ids, size_t *n)
{
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    for (int l = 0; l <= db->n_layers; l++) {
        const char *root = l < db->n_layers ? db->layers[l] : db->dir;
        for (int k = 0; mlsim_kind_names[k]; k++) {
            char *dir = join_path(root, mlsim_kind_names[k], NULL);
            enum mlsim_status st = dir ? list_dir(dir, ids, n, &cap) : MLSIM_ERR_NOMEM;
            free(dir);
            if (st != MLSIM_OK) {
                mlsim_hwdb_free_ids(*ids, *n);
                *ids = NULL;
                *n = 0;
                return st;
            }
        }
    }
    if (*n > 1)
        qsort(*ids, *n, sizeof **ids, cmp_str);
    /* a device a layer shadows is listed once */
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        if (kept > 0 && strcmp((*ids)[kept - 1], (*ids)[i]) == 0)
            free((*ids)[i]);
        else
            (*ids)[kept++] = (*ids)[i];
    }
    *n = kept;
    return MLSIM_OK;
}
