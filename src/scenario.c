/*
 * Scenario files. One field table describes a run; a table file loads its `defaults:` into a
 * template run once, then each row is the template with the row's own fields loaded on top.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/scenario.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/layout.h"
#include "mlsim/price.h"
#include "mlsim/units.h"
#include "mlsim/wholerun.h"
#include "mlsim/zoo.h"

static enum mlsim_status load_widths(const struct mlsim_ynode *seq, void *obj,
                                     struct mlsim_diags *d);
static enum mlsim_status load_charts(const struct mlsim_ynode *seq, void *obj,
                                     struct mlsim_diags *d);
static enum mlsim_status load_sweep(const struct mlsim_ynode *map, void *obj,
                                    struct mlsim_diags *d);
static enum mlsim_status load_override(const struct mlsim_ynode *map, void *obj,
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
    {"sweep", MLSIM_FIELD_LIST, MLSIM_DIM_NUMBER, offsetof(struct mlsim_run, sweep),
     sizeof(((struct mlsim_run *)0)->sweep), 0, 0, MLSIM_FIELD_TAKES_MAP, NULL, load_sweep},
    RF("mode", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, mode, 0, 0, 0, mlsim_mode_names),
    /* `model: ID` names a zoo model (zoo.h): it is `model: {from: ID}` */
    {"model", MLSIM_FIELD_SECTION, MLSIM_DIM_NUMBER, 0, 0, 0, 0, MLSIM_FIELD_NAMED, NULL, NULL},
    RSTR("model.from", model_from),
    RSTR("model.name", model.name),
    RF("model.type", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, model.type, 0, 0, 0,
       mlsim_model_type_names),
    {"model.widths", MLSIM_FIELD_LIST, MLSIM_DIM_NUMBER, offsetof(struct mlsim_run, model.widths),
     sizeof(((struct mlsim_run *)0)->model.widths), 0, 0, 0, NULL, load_widths},
    RF("model.hidden_width", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, hidden_width, 0, 1e9, 0, NULL),
    RQ("model.params", MLSIM_DIM_COUNT, model.params),
    RQ("model.tokens", MLSIM_DIM_COUNT, model.tokens),
    RINT("model.layers", model.layers),
    RINT("model.hidden", model.hidden),
    RINT("model.heads", model.heads),
    RINT("model.kv_heads", model.kv_heads),
    RINT("model.head_dim", model.head_dim),
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
    RF("model.encoder_layers", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, model.encoder_layers, 0, 1e9,
       MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RINT("model.decoder_seq_len", model.decoder_seq_len),
    RINT("model.vocab", model.vocab),
    RF("model.experts", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, model.experts, 0, 1e9,
       MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RINT("model.top_k", model.top_k),
    RF("model.shared_experts", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, model.shared_experts, 0, 1e9,
       MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RINT("model.expert_ffn", model.expert_ffn),
    RF("model.dense_layers", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, model.dense_layers, 0, 1e9,
       MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RINT("model.moe_every", model.moe_every),
    RF("model.capacity_factor", MLSIM_FIELD_QUANTITY, MLSIM_DIM_NUMBER, model.capacity_factor, 0,
       INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("model.load_imbalance", MLSIM_FIELD_QUANTITY, MLSIM_DIM_NUMBER, model.load_imbalance, 1,
       INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("model.q_lora_rank", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, model.q_lora_rank, 0, 1e9,
       MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RINT("model.kv_lora_rank", model.kv_lora_rank),
    RINT("model.qk_nope_dim", model.qk_nope_dim),
    RINT("model.qk_rope_dim", model.qk_rope_dim),
    RINT("model.v_dim", model.v_dim),
    RSEC("hardware"),
    RSTR("hardware.device", device_id),
    RSTR("hardware.system", system_id),
    RINT("hardware.count", count),
    RINT("hardware.node_size", node_size),
    RSTR("hardware.link", link),
    RQ("hardware.nic_bandwidth", MLSIM_DIM_BANDWIDTH, nic_bw_Bps),
    RQ("hardware.nic_latency", MLSIM_DIM_TIME, nic_latency_s),
    {"hardware.override", MLSIM_FIELD_LIST, MLSIM_DIM_NUMBER,
     offsetof(struct mlsim_run, hw_override), sizeof(((struct mlsim_run *)0)->hw_override), 0, 0,
     MLSIM_FIELD_TAKES_MAP, NULL, load_override},
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
    RINT("training.ep", training.ep),
    RINT("training.etp", training.etp),
    RF("training.overlap_ep", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.overlap_ep, 0, 0, 0,
       mlsim_bool_names),
    RF("training.overlap_tp", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.overlap_tp, 0, 0, 0,
       mlsim_bool_names),
    RINT("training.interleave", training.interleave),
    RINT("training.cp", training.cp),
    RSEC("training.batch_rampup"),
    RINT("training.batch_rampup.start", training.rampup.start),
    RINT("training.batch_rampup.increment", training.rampup.increment),
    RQ("training.batch_rampup.tokens", MLSIM_DIM_COUNT, training.rampup.tokens),
    RF("training.cp_algo", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.cp_algo, 0, 0, 0,
       mlsim_cp_algo_names),
    RINT("training.first_stage_layers", training.first_stage_layers),
    RF("training.embedding_in_split", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER,
       training.embedding_in_split, 0, 0, 0, mlsim_bool_names),
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
    RF("training.framework", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, training.framework, 0, 0, 0,
       mlsim_framework_names),
    RSEC("training.evaluation"),
    RQ("training.evaluation.every", MLSIM_DIM_COUNT, training.eval.every),
    RQ("training.evaluation.tokens", MLSIM_DIM_COUNT, training.eval.tokens),
    RF("training.init_time", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME, training.init_s, 0, INFINITY,
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
    RQ("reference.time_to_train", MLSIM_DIM_TIME, ref_time_to_train_s),
    RSEC("economics"),
    RF("economics.price_per_device_hour", MLSIM_FIELD_QUANTITY, MLSIM_DIM_MONEY_RATE,
       econ.price_usd_per_s, 0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RSTR("economics.price_as_of", econ.price_as_of),
    RF("economics.electricity_price", MLSIM_FIELD_QUANTITY, MLSIM_DIM_ENERGY_PRICE,
       econ.electricity_usd_per_j, 0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("economics.pue", MLSIM_FIELD_QUANTITY, MLSIM_DIM_NUMBER, econ.pue, 1, 5,
       MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("economics.carbon_intensity", MLSIM_FIELD_QUANTITY, MLSIM_DIM_CARBON_INTENSITY,
       econ.carbon_kg_per_j, 0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RQ("economics.device_power", MLSIM_DIM_POWER, econ.device_power_w),
    RF("economics.host_power_per_device", MLSIM_FIELD_QUANTITY, MLSIM_DIM_POWER, econ.host_power_w,
       0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RSEC("reliability"),
    RQ("reliability.gpu_failure_rate", MLSIM_DIM_FAILURE_RATE,
       reliability.rate_per_h[MLSIM_COMPONENT_GPU]),
    RQ("reliability.node_failure_rate", MLSIM_DIM_FAILURE_RATE,
       reliability.rate_per_h[MLSIM_COMPONENT_NODE]),
    RQ("reliability.nic_failure_rate", MLSIM_DIM_FAILURE_RATE,
       reliability.rate_per_h[MLSIM_COMPONENT_NIC]),
    RQ("reliability.switch_failure_rate", MLSIM_DIM_FAILURE_RATE,
       reliability.rate_per_h[MLSIM_COMPONENT_SWITCH]),
    RQ("reliability.software_failure_rate", MLSIM_DIM_FAILURE_RATE,
       reliability.rate_per_h[MLSIM_COMPONENT_SOFTWARE]),
    RSTR("reliability.rate_source", reliability.rate_source),
    RF("reliability.rate_uncertainty", MLSIM_FIELD_QUANTITY, MLSIM_DIM_NUMBER,
       reliability.rate_uncertainty, 1, 100, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("reliability.distribution", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, reliability.distribution, 0,
       0, 0, mlsim_failure_dist_names),
    RF("reliability.weibull_shape", MLSIM_FIELD_QUANTITY, MLSIM_DIM_NUMBER,
       reliability.weibull_shape, 0.05, 20, 0, NULL),
    RINT("reliability.nics_per_node", reliability.nics_per_node),
    RINT("reliability.switches", reliability.switches),
    RF("reliability.detection_time", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME, reliability.detection_s,
       0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("reliability.restart_time", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME, reliability.restart_s, 0,
       INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("reliability.reschedule_time", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME,
       reliability.reschedule_s, 0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("reliability.repair_time", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME, reliability.repair_s, 0,
       INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("reliability.spare_nodes", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, reliability.spare_nodes, 0,
       1e9, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RQ("reliability.checkpoint_bytes_per_param", MLSIM_DIM_BYTES, reliability.ckpt_bytes_per_param),
    RQ("reliability.checkpoint_write_per_node", MLSIM_DIM_BANDWIDTH,
       reliability.ckpt_write_node_Bps),
    RQ("reliability.checkpoint_write_total", MLSIM_DIM_BANDWIDTH, reliability.ckpt_write_total_Bps),
    RF("reliability.checkpoint_mode", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, reliability.ckpt_mode, 0,
       0, 0, mlsim_checkpoint_mode_names),
    RF("reliability.checkpoint_stall", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME,
       reliability.ckpt_stall_s, 0, INFINITY, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RQ("reliability.checkpoint_interval", MLSIM_DIM_TIME, reliability.ckpt_interval_s),
    RF("reliability.straggler_slowdown", MLSIM_FIELD_QUANTITY, MLSIM_DIM_RATIO,
       reliability.straggler_slowdown, 0, 10, MLSIM_FIELD_LO_INCLUSIVE, NULL),
    RF("reliability.samples", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, reliability.samples, 0,
       MLSIM_RELIABILITY_MAX_SAMPLES, 0, NULL),
    RF("reliability.seed", MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, reliability.seed, 0, 2147483647.0,
       MLSIM_FIELD_LO_INCLUSIVE, NULL),
};
_Static_assert(sizeof run_fields / sizeof run_fields[0] <= MLSIM_SCHEMA_MAX_FIELDS,
               "a schema holds at most MLSIM_SCHEMA_MAX_FIELDS fields (its provenance arrays)");

double mlsim_dist_central(const struct mlsim_dist *x)
{
    return x->kind == MLSIM_DIST_UNIFORM      ? 0.5 * (x->p[0] + x->p[1])
           : x->kind == MLSIM_DIST_TRIANGULAR ? x->p[1]
                                              : x->p[0];
}

/* An uncertain input (struct mlsim_dist): `FIELD: {KIND: [P1, P2(, P3)]}`, each parameter in the
 * field's units (lognormal's second a plain factor), checked; the field takes the central value. */
static int load_distribution(const struct mlsim_field *f, const struct mlsim_ynode *map, void *obj,
                             struct mlsim_diags *d)
{
    struct mlsim_run *r = obj;
    const struct mlsim_ynode *key = map->n == 1 ? map->keys[0] : NULL,
                             *val = key ? map->items[0] : NULL;
    if (!key) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, map->loc,
                           "'%s' takes a value, or one distribution: {normal: [mean, sd]}, "
                           "{lognormal: [median, factor]}, {uniform: [low, high]} or "
                           "{triangular: [low, mode, high]}",
                           f->path);
        return 0;
    }
    int kind = -1;
    for (int i = 0; i < MLSIM_DIST_N; i++)
        kind = strcmp(key->value, mlsim_dist_names[i]) == 0 ? i : kind;
    if (kind < 0) {
        const char *hint = mlsim_diag_suggest(key->value, mlsim_dist_names, MLSIM_DIST_N);
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, key->loc,
                           "unknown distribution '%s' for '%s'%s%s%s (normal, lognormal, uniform, "
                           "triangular)",
                           key->value, f->path, hint ? " (did you mean '" : "", hint ? hint : "",
                           hint ? "'?)" : "");
        return 0;
    }
    size_t want = kind == MLSIM_DIST_TRIANGULAR ? 3 : 2;
    if (val->type != MLSIM_YNODE_SEQ || val->n != want) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, val->loc,
                           "a %s distribution takes a list of %zu values", key->value, want);
        return 0;
    }
    if (r->n_dists == MLSIM_RUN_MAX_DISTS) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, map->loc,
                           "a run has at most %d uncertain inputs", MLSIM_RUN_MAX_DISTS);
        return 0;
    }
    struct mlsim_dist dist = {(int)(f - mlsim_run_schema.fields), kind, {0, 0, 0}};
    for (size_t i = 0; i < want; i++) {
        const struct mlsim_ynode *v = val->items[i];
        if (kind == MLSIM_DIST_LOGNORMAL && i == 1) { /* a factor, no unit */
            char *end = NULL;
            dist.p[1] = v->type == MLSIM_YNODE_SCALAR ? strtod(v->value, &end) : 0;
            if (!end || end == v->value || *end != '\0' || !(dist.p[1] >= 1) ||
                !isfinite(dist.p[1])) {
                mlsim_diags_report(
                    d, MLSIM_SEVERITY_ERROR, v->loc,
                    "a lognormal's second value is its geometric standard deviation, "
                    "a plain factor of at least 1");
                return 0;
            }
        } else if (!mlsim_schema_quantity(f, v, &dist.p[i], d)) {
            return 0;
        }
    }
    const double *p = dist.p;
    const char *bad = kind == MLSIM_DIST_UNIFORM && !(p[0] <= p[1]) ? "its low above its high"
                      : kind == MLSIM_DIST_TRIANGULAR && !(p[0] <= p[1] && p[1] <= p[2])
                          ? "its mode outside [low, high]"
                      : kind == MLSIM_DIST_LOGNORMAL && !(p[0] > 0)
                          ? "a median that is not positive"
                          : NULL;
    if (bad) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, val->loc, "'%s': a %s distribution with %s",
                           f->path, key->value, bad);
        return 0;
    }
    double central = mlsim_dist_central(&dist);
    memcpy((char *)obj + f->offset, &central, sizeof central);
    r->dists[r->n_dists++] = dist;
    return 1;
}

const struct mlsim_schema mlsim_run_schema = {"run", run_fields,
                                              sizeof run_fields / sizeof run_fields[0],
                                              offsetof(struct mlsim_run, prov), load_distribution};

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
    free(sc->sweep_nodes);
    free(sc->devices);
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

/* `hardware.override:` is kept as its node and loaded over a copy of the device at resolve, when
 * the device is known (override_device). */
static enum mlsim_status load_override(const struct mlsim_ynode *map, void *obj,
                                       struct mlsim_diags *d)
{
    (void)d;
    ((struct mlsim_run *)obj)->hw_override = map;
    return MLSIM_OK;
}

/* `sweep:` is kept as its node and expanded once the runs are loaded (expand_sweeps). */
static enum mlsim_status load_sweep(const struct mlsim_ynode *map, void *obj, struct mlsim_diags *d)
{
    (void)d;
    ((struct mlsim_run *)obj)->sweep = map;
    return MLSIM_OK;
}

/* ---- sweeps: `sweep: {FIELD: [v1, v2, ...] | {from: A, to: B, step: S | factor: F}, ...,
 * combine: cross | zip}` makes one run per point ---- */

/* The most points all of a scenario's ranges may make together (each point of a range is a node
 * with its text), the most fields one sweep may vary, and the room for a point's text. */
enum { SWEEP_MAX_POINTS = 4096, SWEEP_MAX_DIMS = 8, SWEEP_TEXT = 40 };

struct sweep_made {
    struct mlsim_ynode nodes[SWEEP_MAX_POINTS];
    char text[SWEEP_MAX_POINTS][SWEEP_TEXT];
    size_t used;
};

struct sweep_dim {
    const char *path;
    const struct mlsim_ynode *list; /* the points as a list's items, or */
    const struct mlsim_ynode *made; /* the points a range made */
    size_t n;
};

static const struct mlsim_ynode *sweep_point(const struct sweep_dim *dim, size_t k)
{
    return dim->list ? dim->list->items[k] : &dim->made[k];
}

/* The points of a range node R of FIELD: from, to, and step (added) or factor (multiplied), with
 * the field's unit; made in M. Returns how many, 0 on a fault. */
static size_t sweep_range(const struct mlsim_field *field, const struct mlsim_ynode *r,
                          struct sweep_made *m, struct mlsim_diags *d)
{
    static const char *const keys[] = {"from", "to", "step", "factor"};
    double v[4] = {0, 0, 0, 0};
    int have[4] = {0, 0, 0, 0};
    enum mlsim_dim dim = field->kind == MLSIM_FIELD_QUANTITY ? field->dim : MLSIM_DIM_NUMBER;
    for (size_t i = 0; i < r->n; i++) {
        int k = 0;
        while (k < 4 && strcmp(r->keys[i]->value, keys[k]) != 0)
            k++;
        const struct mlsim_ynode *x = r->items[i];
        char err[256] = "";
        if (k == 4 || x->type != MLSIM_YNODE_SCALAR ||
            mlsim_units_parse(x->value, k == 3 ? MLSIM_DIM_NUMBER : dim, &v[k], err, sizeof err) !=
                MLSIM_OK) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, k == 4 ? r->keys[i]->loc : x->loc,
                               "a sweep range is {from: A, to: B, step: S} or {from: A, to: B, "
                               "factor: F}%s%s",
                               err[0] ? ": " : "", err);
            return 0;
        }
        have[k] = 1;
    }
    if (!have[0] || !have[1] || have[2] == have[3] || !(v[1] >= v[0]) ||
        !(have[2] ? v[2] > 0 : v[3] > 1)) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                           "a sweep range needs from <= to and one of step > 0 or factor > 1");
        return 0;
    }
    size_t n = 0;
    for (double x = v[0]; x <= v[1] * (1 + 1e-12); n++) {
        if (m->used + n == SWEEP_MAX_POINTS) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                               "a scenario's sweep ranges make at most %d points",
                               SWEEP_MAX_POINTS);
            return 0;
        }
        char *t = m->text[m->used + n];
        snprintf(t, SWEEP_TEXT, field->kind == MLSIM_FIELD_INT ? "%.0f" : "%.17g", x);
        m->nodes[m->used + n] =
            (struct mlsim_ynode){.type = MLSIM_YNODE_SCALAR, .loc = r->loc, .value = t};
        x = have[2] ? v[0] + (double)(n + 1) * v[2] : x * v[3];
    }
    return n;
}

/* Read the fields of sweep MAP into DIMS; returns how many, 0 on a fault; *ZIP says how they
 * combine. */
static size_t sweep_dims(struct sweep_made *m, const struct mlsim_ynode *map,
                         struct sweep_dim *dims, int *zip, struct mlsim_diags *d)
{
    size_t n = 0;
    *zip = 0;
    for (size_t i = 0; i < map->n; i++) {
        const char *key = map->keys[i]->value;
        const struct mlsim_ynode *val = map->items[i];
        if (strcmp(key, "combine") == 0) {
            if (val->type != MLSIM_YNODE_SCALAR ||
                (strcmp(val->value, "cross") != 0 && strcmp(val->value, "zip") != 0)) {
                mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, val->loc,
                                   "'combine' is cross (every combination) or zip (the i-th "
                                   "point of each)");
                return 0;
            }
            *zip = strcmp(val->value, "zip") == 0;
            continue;
        }
        const struct mlsim_field *f = mlsim_schema_find(&mlsim_run_schema, key);
        if (!f || f->kind == MLSIM_FIELD_SECTION || f->kind == MLSIM_FIELD_LIST ||
            n == SWEEP_MAX_DIMS) {
            if (n == SWEEP_MAX_DIMS)
                mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, map->keys[i]->loc,
                                   "a sweep varies at most %d fields", SWEEP_MAX_DIMS);
            else
                mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, map->keys[i]->loc,
                                   "'%s' is not a field a sweep can vary", key);
            return 0;
        }
        memset(&dims[n], 0, sizeof dims[n]);
        dims[n].path = key;
        if (val->type == MLSIM_YNODE_SEQ && val->n > 0) {
            dims[n].list = val;
            dims[n].n = val->n;
        } else if (val->type == MLSIM_YNODE_MAP) {
            dims[n].made = &m->nodes[m->used];
            dims[n].n = sweep_range(f, val, m, d);
            if (dims[n].n == 0)
                return 0;
            m->used += dims[n].n;
        } else {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, val->loc,
                               "'%s' in a sweep takes a list of values or a range {from, to, "
                               "step | factor}",
                               key);
            return 0;
        }
        n++;
    }
    if (n == 0)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, map->loc, "a sweep names at least one field");
    return n;
}

/* The points of a sweep: the product of its fields' counts (cross) or their common count (zip);
 * 0 if zipped fields differ in length (reported) or the product passes the run limit. */
static size_t sweep_points(const struct mlsim_ynode *map, const struct sweep_dim *dims, size_t n,
                           int zip, struct mlsim_diags *d)
{
    size_t points = zip ? dims[0].n : 1;
    for (size_t i = 0; i < n; i++) {
        if (zip && dims[i].n != points) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, map->loc,
                               "zipped sweep fields need as many points each ('%s' has %zu, "
                               "'%s' %zu)",
                               dims[0].path, dims[0].n, dims[i].path, dims[i].n);
            return 0;
        }
        if (!zip && points > MLSIM_SCENARIO_MAX_RUNS / dims[i].n)
            points = MLSIM_SCENARIO_MAX_RUNS + (size_t)1;
        else if (!zip)
            points *= dims[i].n;
    }
    if (points > MLSIM_SCENARIO_MAX_RUNS) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, map->loc, "a scenario holds at most %d runs",
                           MLSIM_SCENARIO_MAX_RUNS);
        return 0;
    }
    return points;
}

/* Point K of BASE's sweep into *OUT: BASE with each field set to its point, named after them. */
static int sweep_run(const struct mlsim_run *base, const struct sweep_dim *dims, size_t n, int zip,
                     size_t k, struct mlsim_run *out, struct mlsim_diags *d)
{
    *out = *base;
    out->sweep = NULL;
    out->table_row = 1;
    char label[128] = "";
    size_t used = 0, rest = k;
    for (size_t i = 0; i < n; i++) {
        size_t at = zip ? k : rest % dims[i].n;
        rest = zip ? rest : rest / dims[i].n;
        const struct mlsim_ynode *v = sweep_point(&dims[i], at);
        if (mlsim_schema_set(&mlsim_run_schema, dims[i].path, v, out, d) != MLSIM_OK)
            return 0;
        const char *dot = strrchr(dims[i].path, '.'); /* training.tp -> tp */
        int w = snprintf(label + used, sizeof label - used, "%s%s=%s", used ? ", " : "",
                         dot ? dot + 1 : dims[i].path, v->value);
        used = w > 0 && (size_t)w < sizeof label - used ? used + (size_t)w : sizeof label - 1;
    }
    const char *name = base->name[0]         ? base->name
                       : base->model.name[0] ? base->model.name
                       : out->model_from[0]  ? out->model_from
                                             : "run";
    char whole[sizeof out->name];
    snprintf(whole, sizeof whole, "%.60s (%.63s)", name, label);
    memcpy(out->name, whole, sizeof whole);
    return 1;
}

/* Replace every run that has a sweep by the runs of its points; the scenario becomes a table. */
static enum mlsim_status expand_sweeps(struct mlsim_scenario *sc, struct mlsim_diags *d)
{
    size_t total = 0, with = 0;
    for (size_t i = 0; i < sc->n_runs; i++)
        with += sc->runs[i].sweep != NULL;
    if (with == 0)
        return MLSIM_OK;
    struct sweep_made *m = calloc(1, sizeof *m);
    struct sweep_dim(*dims)[SWEEP_MAX_DIMS] = calloc(sc->n_runs, sizeof *dims);
    size_t *n_dims = calloc(sc->n_runs, sizeof *n_dims),
           *points = calloc(sc->n_runs, sizeof *points);
    int *zips = calloc(sc->n_runs, sizeof *zips);
    enum mlsim_status st = m && dims && n_dims && points && zips ? MLSIM_OK : MLSIM_ERR_NOMEM;
    for (size_t i = 0; i < sc->n_runs && st == MLSIM_OK; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        points[i] = 1;
        if (!r->sweep)
            continue;
        n_dims[i] = sweep_dims(m, r->sweep, dims[i], &zips[i], d);
        points[i] = n_dims[i] ? sweep_points(r->sweep, dims[i], n_dims[i], zips[i], d) : 0;
        if (points[i] == 0)
            st = MLSIM_ERR_INPUT;
        total += points[i];
        if (total > MLSIM_SCENARIO_MAX_RUNS) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->sweep->loc,
                               "a scenario holds at most %d runs", MLSIM_SCENARIO_MAX_RUNS);
            st = MLSIM_ERR_INPUT;
        }
    }
    struct mlsim_run *runs = st == MLSIM_OK ? calloc(total, sizeof *runs) : NULL;
    if (st == MLSIM_OK && !runs)
        st = MLSIM_ERR_NOMEM;
    size_t at = 0;
    for (size_t i = 0; i < sc->n_runs && st == MLSIM_OK; i++) {
        if (!sc->runs[i].sweep) {
            runs[at++] = sc->runs[i];
            continue;
        }
        /* a bad point is reported once: stop this sweep at its first fault */
        for (size_t k = 0; k < points[i] && st == MLSIM_OK; k++) {
            if (!sweep_run(&sc->runs[i], dims[i], n_dims[i], zips[i], k, &runs[at++], d))
                st = MLSIM_ERR_INPUT;
        }
    }
    if (st == MLSIM_OK) {
        free(sc->runs);
        sc->runs = runs;
        sc->n_runs = total;
        sc->is_table = 1;
        sc->sweep_nodes = (struct mlsim_ynode *)m; /* the made points' text lives on in M */
        m = NULL;
    } else {
        free(runs);
    }
    free(m);
    free(dims);
    free(n_dims);
    free(points);
    free(zips);
    return st;
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
        r->table_row = 1;
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

/* Load a scenario from a file (PATH) or, with PATH NULL, from TEXT of LEN bytes named NAME. */
static enum mlsim_status load_doc(const char *path, const char *name, const char *text, size_t len,
                                  struct mlsim_diags *d, struct mlsim_scenario **out)
{
    *out = NULL;
    struct mlsim_scenario *sc = calloc(1, sizeof *sc);
    if (!sc)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = path ? mlsim_ydoc_load_file(path, d, &sc->doc)
                                : mlsim_ydoc_load_string(name, text, len, d, &sc->doc);
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
    if (st == MLSIM_OK)
        st = expand_sweeps(sc, d);
    if (st == MLSIM_ERR_NOMEM) {
        mlsim_scenario_free(sc);
        return st;
    }
    *out = sc;
    return st;
}

enum mlsim_status mlsim_scenario_load(const char *path, struct mlsim_diags *d,
                                      struct mlsim_scenario **out)
{
    return load_doc(path, NULL, NULL, 0, d, out);
}

enum mlsim_status mlsim_scenario_load_text(const char *name, const char *text, size_t len,
                                           struct mlsim_diags *d, struct mlsim_scenario **out)
{
    return load_doc(NULL, name, text, len, d, out);
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
    char hint[600];
    if (mlsim_hwdb_suggest(db, r->device_id, hint, sizeof hint)[0])
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc, "unknown device '%s'%s", r->device_id,
                           hint);
    else
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "unknown device '%s': no file %s/<kind>/%s.yaml", r->device_id,
                           mlsim_hwdb_dir(db), r->device_id);
}

/* A system holds at most its max_nodes (hwdb/system/): a run on more nodes than that is not a
 * run of that system. Placed at the device count, the system named beside it. */
static int check_max_nodes(const struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_device *sys = r->system;
    int per = r->node_size > 0 ? r->node_size : sys->node.devices;
    if (sys->max_nodes <= 0 || per <= 0 || r->count <= 0)
        return 1;
    long long nodes = ((long long)r->count + per - 1) / per;
    if (nodes <= sys->max_nodes)
        return 1;
    const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, "hardware.count");
    if (!at)
        at = mlsim_schema_given(&mlsim_run_schema, r, "hardware.system");
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at ? *at : r->loc,
                       "%d devices in nodes of %d need %lld nodes, but system '%s' holds at most "
                       "%d (its max_nodes)",
                       r->count, per, nodes, sys->id, sys->max_nodes);
    return 0;
}

static void apply_system(struct mlsim_run *r, const struct mlsim_loc *loc);
static void add_note(struct mlsim_run *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A system in hwdb gives the device, the node size, the node's link, the network and the host's
 * share of the node's power, each unless the run sets it. */
static int resolve_system(struct mlsim_run *r, struct mlsim_hwdb *db, struct mlsim_diags *d)
{
    const struct mlsim_loc *loc = mlsim_schema_given(&mlsim_run_schema, r, "hardware.system");
    if (!loc)
        return 1;
    enum mlsim_status st = mlsim_hwdb_find(db, r->system_id, d, &r->system);
    if (st == MLSIM_ERR_NOMEM)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "out of memory while reading '%s' from the hardware database",
                           r->system_id);
    if (st == MLSIM_ERR_NOT_FOUND || (st == MLSIM_OK && !r->system->node.device[0])) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "'%s' is not a system of nodes in the hardware database (hwdb/system/)",
                           r->system_id);
        return 0;
    }
    if (st != MLSIM_OK)
        return 0;
    apply_system(r, loc);
    return check_max_nodes(r, d);
}

/* The fields system R->system gives R, each unless R sets it; their place is LOC. */
static void apply_system(struct mlsim_run *r, const struct mlsim_loc *loc)
{
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
}

/* A simulated run of more devices than a node, naming no system, node size or network, runs in
 * its device's system: the one system in hwdb whose nodes hold that device (a TPU's pod, all on
 * the ICI: tpu-v4-pod; an H100's DGX H100 nodes on NDR InfiniBand), where there is exactly one.
 * Device files that do not load are skipped here (a scratch diagnostics list): they are not this
 * run's. */
static int find_system(struct mlsim_run *r, struct mlsim_hwdb *db, struct mlsim_diags *d)
{
    if (r->mode != MLSIM_MODE_SIMULATE || r->system || given(r, "hardware.nic_bandwidth") ||
        given(r, "hardware.node_size") || r->count <= 8)
        return 1;
    char **ids = NULL;
    size_t n = 0;
    struct mlsim_diags *scratch = mlsim_diags_alloc();
    const struct mlsim_device *pod = NULL;
    int found = 0;
    enum mlsim_status st = scratch ? mlsim_hwdb_list(db, &ids, &n) : MLSIM_ERR_NOMEM;
    for (size_t i = 0; i < n && st == MLSIM_OK; i++) {
        const struct mlsim_device *sys = NULL;
        enum mlsim_status one = mlsim_hwdb_find(db, ids[i], scratch, &sys);
        if (one == MLSIM_ERR_NOMEM)
            st = one;
        if (one == MLSIM_OK && sys->kind == MLSIM_KIND_SYSTEM &&
            strcmp(sys->node.device, r->device->id) == 0) {
            pod = sys;
            found++;
        }
    }
    mlsim_hwdb_free_ids(ids, n);
    mlsim_diags_free(scratch);
    if (st == MLSIM_ERR_NOMEM) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                           "out of memory while looking for a system of %s nodes", r->device->id);
        return 0;
    }
    if (found != 1)
        return 1;
    r->system = pod;
    snprintf(r->system_id, sizeof r->system_id, "%s", pod->id);
    apply_system(r, mlsim_schema_given(&mlsim_run_schema, r, "hardware.device"));
    add_note(r,
             "System %s: the one system of %s nodes in hwdb, for %d devices with no system or "
             "network given",
             pod->id, r->device->id, r->count);
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
    if (st == MLSIM_ERR_NOMEM)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                           "out of memory while reading '%s' from the hardware database",
                           r->device_id);
    return st == MLSIM_OK;
}

static void add_note(struct mlsim_run *r, const char *fmt, ...)
{
    if (r->n_notes == (int)(sizeof r->notes / sizeof r->notes[0]))
        return;
    va_list ap;
    va_start(ap, fmt);
    /* clang-tidy 14 reports this va_list as uninitialized: a false positive (as in diag.c). */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vsnprintf(r->notes[r->n_notes++], sizeof r->notes[0], fmt, ap);
    va_end(ap);
}

/* The precision a run gets when it names none: the 16-bit format of mixed-precision training
 * (Micikevicius et al. 2018, arXiv:1710.03740), bf16 where the device has it (as Llama 2 and 3,
 * PaLM and Gopher trained), else fp16, else the widest format it has. -1 if it has none. */
static int default_precision(const struct mlsim_device *dev)
{
    static const int order[] = {MLSIM_PRECISION_BF16, MLSIM_PRECISION_FP16, MLSIM_PRECISION_TF32,
                                MLSIM_PRECISION_FP32, MLSIM_PRECISION_FP64};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (dev->peak_flops[order[i]] > 0)
            return order[i];
    }
    return -1;
}

static int resolve_precision(struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_loc *loc = mlsim_schema_given(&mlsim_run_schema, r, "precision");
    if (!loc && seen(r, "precision"))
        return 0; /* a bad value, reported already */
    if (!loc && default_precision(r->device) >= 0) {
        r->precision = default_precision(r->device);
        add_note(r,
                 "Precision %s: default, mixed-precision training (Micikevicius et al. 2018) in "
                 "%s's 16-bit format, bf16 first; set 'precision' to choose",
                 mlsim_precision_names[r->precision], r->device->id);
        return 1;
    }
    if (!loc) {
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
        /* No price known: the cost is left out (NAN), not guessed (price.h) */
        e->price_usd_per_s =
            r->device->rental_usd_per_s > 0 ? r->device->rental_usd_per_s : (double)NAN;
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

/* Context parallelism splits the attention's sequence, which Megatron-LM does only in Transformer
 * Engine's fused attention (megatron/core/transformer/dot_product_attention.py, the unfused
 * DotProductAttention, asserts context_parallel_size == 1): a plain softmax has no CP here. */
static int check_context(const struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, "training.cp");
    if (!at || r->training.cp <= 1 || MLSIM_ATTENTION_IS_FUSED(r->training.attention))
        return 1;
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                       "context parallelism (cp %d) runs in fused attention: set "
                       "'training.attention: flash' (or cudnn)",
                       r->training.cp);
    return 0;
}

/* A batch ramp-up needs its three numbers, a start below the batch, the rest a whole number of
 * increments (Megatron-LM's RampupBatchsizeNumMicroBatches asserts both) and, where the layout is
 * known, every batch of the ramp a whole number of micro-batches x data-parallel replicas (it
 * asserts that at each step). */
static int check_rampup(const struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, "training.batch_rampup");
    static const char *const parts[] = {"training.batch_rampup.start",
                                        "training.batch_rampup.increment",
                                        "training.batch_rampup.tokens", NULL};
    if (!at)
        return 1;
    int ok = 1;
    for (int i = 0; parts[i]; i++) {
        if (!seen(r, parts[i])) {
            report_missing(r, parts[i], d);
            ok = 0;
        }
    }
    const struct mlsim_training *t = &r->training;
    if (!ok || t->rampup.start <= 0 || t->rampup.increment <= 0)
        return 0; /* a value that was refused is reported already */
    if (t->rampup.start >= t->global_batch) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                           "the ramp-up's start (%d sequences) must be below training.global_batch "
                           "(%d)",
                           t->rampup.start, t->global_batch);
        return 0;
    }
    if ((t->global_batch - t->rampup.start) % t->rampup.increment != 0) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                           "the ramp-up from %d to training.global_batch %d must be a whole number "
                           "of increments of %d",
                           t->rampup.start, t->global_batch, t->rampup.increment);
        return 0;
    }
    if ((t->global_batch - t->rampup.start) / t->rampup.increment > MLSIM_SCENARIO_MAX_RAMP_SIZES) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                           "a ramp-up passes through at most %d batch sizes: %d to %d by %d is %d",
                           MLSIM_SCENARIO_MAX_RAMP_SIZES, t->rampup.start, t->global_batch,
                           t->rampup.increment,
                           (t->global_batch - t->rampup.start) / t->rampup.increment);
        return 0;
    }
    struct mlsim_layout l;
    mlsim_layout_of_run(r, &l);
    long long per = (long long)l.micro_batch * l.dp;
    if (!r->layout_derived && per > 0 &&
        (t->rampup.start % per != 0 || t->rampup.increment % per != 0)) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                           "every batch of the ramp-up must be a multiple of micro_batch x "
                           "data-parallel size (%d x %d): start %d and increment %d are not",
                           l.micro_batch, l.dp, t->rampup.start, t->rampup.increment);
        return 0;
    }
    return 1;
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
        if (!any && given(r, "model.params") && r->model.params > MLSIM_MODEL_MAX_DERIVED_PARAMS) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR,
                               *mlsim_schema_given(&mlsim_run_schema, r, "model.params"),
                               "a shape is derived for at most %.0e parameters; give the "
                               "model's layers, hidden, heads, seq_len and vocab",
                               MLSIM_MODEL_MAX_DERIVED_PARAMS);
            return 0;
        }
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
        t->bucket_bytes = 0; /* the framework's (framework.h), which depends on the layout */
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
    if (!given(r, "training.cp"))
        t->cp = 1;
    if (!given(r, "training.schedule"))
        t->schedule = MLSIM_SCHEDULE_1F1B;
    if (ok && !check_context(r, d))
        ok = 0;
    r->layout_derived = r->model.type == MLSIM_MODEL_TRANSFORMER && !given(r, "training.tp") &&
                        !given(r, "training.pp") && (r->shape_derived || r->count > r->node_size);
    if (ok && !r->layout_derived)
        ok = check_layout(r, d);
    if (ok && r->layout_derived)
        ok = check_network(r, d);
    if (ok && !r->not_run[0])
        ok = check_rampup(r, d);
    return ok && resolve_link(r, d);
}

/* An encoder-decoder (model.h) takes its encoder's layers out of model.layers, and is modelled
 * as T5 is built: no experts, latent attention, parallel blocks, sliding windows or context
 * parallelism beside it, and no inference (a decoding loop over the encoder's output). */
static int check_encoder_decoder(const struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, "model.encoder_layers");
    const struct mlsim_loc *sd = mlsim_schema_given(&mlsim_run_schema, r, "model.decoder_seq_len");
    const struct mlsim_model_spec *m = &r->model;
    if (sd && m->encoder_layers <= 0) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *sd,
                           "model.decoder_seq_len is an encoder-decoder's target length, but "
                           "the model has no encoder: give model.encoder_layers (the encoder's "
                           "share of model.layers)");
        return 0;
    }
    if (!at || m->encoder_layers <= 0)
        return 1;
    if (m->type != MLSIM_MODEL_TRANSFORMER || m->layers <= m->encoder_layers) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                           "model.encoder_layers %d must be fewer than the transformer's %d "
                           "model.layers, which count both stacks (T5-11B: 48 layers, 24 of "
                           "them the encoder's)",
                           m->encoder_layers, m->layers);
        return 0;
    }
    const char *beside = m->experts > 0        ? "a mixture of experts (model.experts)"
                         : m->kv_lora_rank > 0 ? "latent attention (model.kv_lora_rank)"
                         : m->parallel_block   ? "parallel blocks (model.parallel_block)"
                         : m->window > 0       ? "sliding-window attention (model.window)"
                         : r->training.cp > 1  ? "context parallelism (training.cp)"
                         : r->mode == MLSIM_MODE_INFERENCE ? "inference (mode)"
                                                           : NULL;
    if (!beside)
        return 1;
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                       "an encoder-decoder model with %s is not modelled", beside);
    return 0;
}

/* A mixture of experts routes each token to at most all of its experts. */
static int check_experts(const struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, "model.top_k");
    if (!at || r->model.experts <= 0 || r->model.top_k <= r->model.experts)
        return 1; /* no experts: a dense model, its routing fields unused */
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                       "model.top_k %d must be at most the %d routed experts (model.experts)",
                       r->model.top_k, r->model.experts);
    return 0;
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
        mlsim_layout_fault_text(fault, &r->model, r->count, r->node_size, &l, why, sizeof why);
        if (r->table_row) { /* a row of a table answers with its reason; the table goes on */
            snprintf(r->not_run, sizeof r->not_run, "does not tile: %.170s", why);
            return 1;
        }
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc, "%s", why);
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
        if (strncmp(f->path, "training.evaluation.", 20) == 0 ||
            strcmp(f->path, "training.init_time") == 0)
            continue; /* they add to an analytic run's time too (wholerun.h) */
        const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, f->path);
        /* a zoo model's recipe is for simulating; an analytic run of it just ignores it */
        int from_zoo = at && at->file != r->loc.file && strcmp(at->file, "--set") != 0;
        if (at && !from_zoo)
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
    r->training.tp = r->training.pp = r->training.cp = 1;
    return ok;
}

/* A run that names a zoo model takes each of its fields the run does not give. */
static int resolve_zoo(struct mlsim_run *r, struct mlsim_hwdb *db, struct mlsim_diags *d)
{
    const struct mlsim_loc *loc = mlsim_schema_given(&mlsim_run_schema, r, "model.from");
    if (!loc)
        return !seen(r, "model.from");
    const struct mlsim_zoo *zoo = NULL;
    enum mlsim_status st = mlsim_hwdb_zoo(db, d, &zoo);
    const struct mlsim_zoo_model *m = zoo ? mlsim_zoo_find(zoo, r->model_from) : NULL;
    if (m) {
        mlsim_zoo_apply(m, r);
        add_note(r, "Model %s from the model zoo (%s:%d, with its sources; 'mlsim models %s')",
                 m->id, basename_of(m->loc.file), m->loc.line, m->id);
        return st != MLSIM_ERR_NOMEM;
    }
    /* the model's own fields are missing for this one reason: say it once */
    static const char *const from_zoo[] = {"model.params", "model.tokens"};
    for (size_t i = 0; i < sizeof from_zoo / sizeof from_zoo[0]; i++)
        r->prov.seen[mlsim_schema_find(&mlsim_run_schema, from_zoo[i]) - mlsim_run_schema.fields] =
            1;
    const char *hint = mlsim_zoo_suggest(zoo, r->model_from);
    if (st == MLSIM_ERR_NOMEM)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc, "out of memory reading the model zoo");
    else if (!zoo)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "model '%s' names a zoo model, but there is no model zoo at %s",
                           r->model_from, mlsim_hwdb_models_dir(db));
    else if (hint)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "unknown model '%s' (did you mean '%s'? 'mlsim models' lists them)",
                           r->model_from, hint);
    else
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *loc,
                           "unknown model '%s' ('mlsim models' lists the zoo)", r->model_from);
    return 0;
}

/* With no 'mode' and no 'mfu', a run is simulated: the MFU is then an output, not a guess the
 * user had to make. */
static void default_mode(struct mlsim_run *r)
{
    if (seen(r, "mode") || seen(r, "mfu"))
        return;
    r->mode = MLSIM_MODE_SIMULATE;
    add_note(r, "Mode simulate: default when no 'mfu' is given, so the MFU is simulated (give "
                "'mfu' for the 6 N D estimate)");
}

/* A zoo model's recipe gives the global batch; its micro-batch is one sequence, the smallest
 * (the layout search, layout.h, then finds the rest). */
static void default_micro_batch(struct mlsim_run *r)
{
    if (!given(r, "model.from") || !seen(r, "training.global_batch") ||
        seen(r, "training.micro_batch"))
        return;
    r->training.micro_batch = 1;
    r->prov.seen[mlsim_schema_find(&mlsim_run_schema, "training.micro_batch") -
                 mlsim_run_schema.fields] = 1;
}

/* `hardware.override:` loads device fields (hwdb's names and units) over a copy of the run's
 * device, held by the scenario: "the same GPU with twice the bandwidth". The device's identity
 * and its lists stay the file's. */
static int override_device(struct mlsim_scenario *sc, size_t index, struct mlsim_diags *d)
{
    struct mlsim_run *r = &sc->runs[index];
    if (!r->hw_override)
        return 1;
    if (!sc->devices)
        sc->devices = calloc(sc->n_runs, sizeof *sc->devices);
    if (!sc->devices) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->hw_override->loc,
                           "out of memory for 'hardware.override'");
        return 0;
    }
    struct mlsim_device *dev = &sc->devices[index];
    *dev = *r->device;
    memset(&dev->prov, 0, sizeof dev->prov);
    if (mlsim_schema_load(&mlsim_device_schema, r->hw_override, dev, d) != MLSIM_OK)
        return 0;
    static const char *const fixed[] = {"id", "kind", "links", "sources", "node", "network"};
    int ok = 1;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        const struct mlsim_loc *at = mlsim_schema_given(&mlsim_device_schema, dev, fixed[i]);
        if (at) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                               "'%s' cannot be overridden in a scenario (it names or links the "
                               "device); add a device file with --hwdb-add instead",
                               fixed[i]);
            ok = 0;
        }
    }
    char list[160] = "";
    size_t used = 0;
    for (size_t i = 0; i < mlsim_device_schema.n_fields; i++) {
        const struct mlsim_field *f = &mlsim_device_schema.fields[i];
        if (!dev->prov.loc[i].file || f->kind == MLSIM_FIELD_SECTION)
            continue;
        int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", f->path);
        used = w > 0 && (size_t)w < sizeof list - used ? used + (size_t)w : used;
    }
    add_note(r, "Device %s with hardware.override (line %d): %s", r->device->id,
             r->hw_override->loc.line, list);
    r->device = dev;
    return ok;
}

/* What a run lacks that no device could give, reported when the device itself is missing or
 * unknown, so that one pass names every missing field. */
static void report_missing_rest(const struct mlsim_run *r, struct mlsim_diags *d)
{
    static const char *const shape[] = {"model.layers",  "model.hidden", "model.heads",
                                        "model.seq_len", "model.vocab",  NULL};
    static const char *const batch[] = {"training.micro_batch", "training.global_batch", NULL};
    int derives =
        r->mode == MLSIM_MODE_SIMULATE && seen(r, "model.params") && !seen(r, "model.layers");
    if (r->mode == MLSIM_MODE_INFERENCE && !seen(r, "inference.latency_bound"))
        report_missing(r, "inference.latency_bound", d);
    if (r->mode == MLSIM_MODE_ANALYTIC || r->model.type != MLSIM_MODEL_TRANSFORMER || derives)
        return;
    for (int i = 0; shape[i] && seen(r, "model.params"); i++) {
        if (!seen(r, shape[i]))
            report_missing(r, shape[i], d);
    }
    for (int i = 0; batch[i] && r->mode == MLSIM_MODE_SIMULATE; i++) {
        if (!seen(r, batch[i]))
            report_missing(r, batch[i], d);
    }
}

static int resolve_run(struct mlsim_scenario *sc, size_t index, struct mlsim_hwdb *db,
                       struct mlsim_diags *d)
{
    struct mlsim_run *r = &sc->runs[index];
    int zoo_ok = resolve_zoo(r, db, d);
    default_mode(r);
    default_micro_batch(r);
    if (!r->name[0]) {
        if (r->model.name[0])
            snprintf(r->name, sizeof r->name, "%s", r->model.name);
        else
            snprintf(r->name, sizeof r->name, "run %zu", index + 1);
    }
    int ok = resolve_model(r, d) && zoo_ok && check_experts(r, d);
    ok = check_encoder_decoder(r, d) && ok;
    if (!given(r, "hardware.count")) {
        if (!seen(r, "hardware.count"))
            report_missing(r, "hardware.count", d);
        ok = 0;
    }
    const struct mlsim_loc *hw_at = mlsim_schema_given(&mlsim_run_schema, r, "model.hidden_width");
    if (hw_at && r->model.n_widths < 3) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *hw_at,
                           "'model.hidden_width' sets the hidden widths of 'model.widths', which "
                           "lists none (inputs, hidden..., outputs)");
        ok = 0;
    } else if (hw_at) { /* the inputs and the outputs stay */
        for (int i = 1; i + 1 < r->model.n_widths; i++)
            r->model.widths[i] = r->hidden_width;
    }
    if (r->model.n_widths > 0 && !seen(r, "model.params"))
        r->model.params = mlsim_model_params(&r->model);
    if (r->mode == MLSIM_MODE_ANALYTIC && !seen(r, "mfu")) {
        report_missing(r, "mfu", d);
        ok = 0;
    }
    if (!resolve_system(r, db, d) || !resolve_device(r, db, d)) {
        report_missing_rest(r, d);
        return 0;
    }
    if (!override_device(sc, index, d))
        return 0;
    if (!find_system(r, db, d))
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
    ok &= mlsim_wholerun_resolve(r, d);
    return ok;
}

enum mlsim_status mlsim_scenario_resolve(struct mlsim_scenario *sc, struct mlsim_hwdb *db,
                                         struct mlsim_diags *d)
{
    int ok = 1;
    for (size_t i = 0; i < sc->n_runs; i++)
        ok &= resolve_run(sc, i, db, d);
    if (ok && mlsim_price_check(sc, d) != MLSIM_OK)
        ok = 0;
    return ok ? MLSIM_OK : MLSIM_ERR_INPUT;
}
