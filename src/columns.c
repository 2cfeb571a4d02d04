/*
 * The result column table. The first 29 entries are the CSV columns of mlsim 0.1.0 in their
 * order, so that a consumer reading columns by position keeps working; every later field is
 * appended. A getter reads one figure of a result (or of the run it belongs to) and says when the
 * result has none; which modes have a column is the table's business, not the getter's.
 */
#include "mlsim/columns.h"

#include <string.h>

#include "mlsim/cluster.h"
#include "mlsim/model.h"
#include "mlsim/pipeline.h"
#include "mlsim/units.h"

/* A getter that always has its figure: EXPR of the result X into member M of V. */
#define GETTER(fn, m, expr)                                                                        \
    static int fn(const struct mlsim_result *x, struct mlsim_column_value *v)                      \
    {                                                                                              \
        v->m = (expr);                                                                             \
        return 1;                                                                                  \
    }
#define NUMBER(fn, expr) GETTER(fn, number, expr)
#define TEXT(fn, expr)   GETTER(fn, text, expr)
#define FLAG(fn, expr)   GETTER(fn, flag, (expr) != 0)

TEXT(get_name, x->run->name)
TEXT(get_mode, mlsim_mode_names[x->run->mode])
NUMBER(get_params, x->run->model.params)
NUMBER(get_tokens, x->run->model.tokens)
NUMBER(get_flops, x->flops)
TEXT(get_device, x->run->device->id)
NUMBER(get_count, x->run->count)
TEXT(get_precision, mlsim_precision_names[x->run->precision])
NUMBER(get_peak_flops, x->peak_flops)
NUMBER(get_mfu, x->mfu)
NUMBER(get_time_s, x->time_s)
NUMBER(get_device_hours, x->device_hours)
NUMBER(get_cost_usd, x->cost_usd)
NUMBER(get_avg_power_w, x->avg_power_w)
NUMBER(get_pue, x->run->econ.pue)
NUMBER(get_energy_kwh, x->energy_j / MLSIM_UNITS_J_PER_KWH)
NUMBER(get_energy_cost_usd, x->energy_cost_usd)
NUMBER(get_co2_kg, x->co2_kg)
NUMBER(get_step_s, x->step_s)
NUMBER(get_hfu, x->hfu)
NUMBER(get_tflops_per_device, x->tflops_per_device)
NUMBER(get_tokens_per_s, x->tokens_per_s)
NUMBER(get_mem_bytes, x->mem_bytes)
NUMBER(get_closed_form_step_s, x->closed_form_step_s)
NUMBER(get_batch, x->batch)
NUMBER(get_compute_s, x->compute_s)
NUMBER(get_exposed_comm_s, x->exposed_comm_s)
NUMBER(get_idle_s, x->idle_s)
NUMBER(get_host_s, x->run->training.host_s)
NUMBER(get_steps, x->steps)
NUMBER(get_events, (double)x->events)
NUMBER(get_busy_fraction, x->busy_fraction)
NUMBER(get_mem_states_bytes, x->mem_states_bytes)
NUMBER(get_mem_act_bytes, x->mem_act_bytes)

/* The reason a table's row was not estimated; absent for a row that was. */
static int get_not_run(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->text = x->not_run;
    return x->not_run[0] != 0;
}
FLAG(get_layout_chosen, x->layout_chosen)
NUMBER(get_micro_batch, x->run->training.micro_batch)
NUMBER(get_global_batch, x->run->training.global_batch)
TEXT(get_sharding, mlsim_sharding_names[x->sharding])
TEXT(get_recompute, mlsim_recompute_names[x->run->training.recompute])
FLAG(get_sequence_parallel, x->run->training.sequence_parallel)
FLAG(get_cluster, x->cluster)
FLAG(get_simulated, x->simulated)
NUMBER(get_active_params, mlsim_model_active_params(&x->run->model))
NUMBER(get_ep, x->run->training.ep > 0 ? x->run->training.ep : 1)

/* A run without an evaluation block has no evaluation figures (an absent JSON key). */
static int get_eval_passes(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->eval_passes;
    return x->run->training.eval.every > 0;
}

static int get_eval_s(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->eval_s;
    return x->run->training.eval.every > 0;
}

/* Initialization on MLPerf's clock, for a run that gives its initialization time. */
static int get_init_timed_s(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->init_timed_s;
    return x->run->training.init_s > 0;
}

/* A published time to train against the whole run, its evaluation passes included: a figure
 * of any training mode, analytic as well. */
static int time_to_train(const struct mlsim_result *res, const char **metric, double *predicted,
                         double *measured)
{
    const struct mlsim_run *r = res->run;
    if (r->ref_time_to_train_s <= 0 || r->mode == MLSIM_MODE_INFERENCE)
        return 0;
    *metric = "time_to_train_s";
    *predicted = res->time_s;
    *measured = r->ref_time_to_train_s;
    return 1;
}

int mlsim_columns_reference(const struct mlsim_result *res, const char **metric, double *predicted,
                            double *measured)
{
    const struct mlsim_run *r = res->run;
    if (!res->simulated)
        return time_to_train(res, metric, predicted, measured);
    if (r->ref_flops_per_device > 0) {
        *metric = r->ref_counting == 1 ? "hw_tflops_per_device" : "tflops_per_device";
        *predicted =
            (r->ref_counting == 1 ? res->hfu * res->peak_flops : res->tflops_per_device * 1e12) /
            1e12;
        *measured = r->ref_flops_per_device / 1e12;
        return 1;
    }
    if (r->ref_step_s > 0) {
        *metric = "step_time_s";
        *predicted = res->step_s;
        *measured = r->ref_step_s;
        return 1;
    }
    return time_to_train(res, metric, predicted, measured);
}

static int get_ref_metric(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    double pred, meas;
    return mlsim_columns_reference(x, &v->text, &pred, &meas);
}

static int get_ref_predicted(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    const char *metric;
    double meas;
    return mlsim_columns_reference(x, &metric, &v->number, &meas);
}

static int get_ref_measured(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    const char *metric;
    double pred;
    return mlsim_columns_reference(x, &metric, &pred, &v->number);
}

static int get_ref_error_pct(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    const char *metric;
    double pred, meas;
    if (!mlsim_columns_reference(x, &metric, &pred, &meas))
        return 0;
    v->number = 100.0 * (pred - meas) / meas;
    return 1;
}

/* Tensor- and data-parallel communication are split out by the cluster model only; the
 * single-node step reports its all-reduce as exposed communication alone. */
static int get_tp_comm_s(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->tp_comm_s;
    return x->cluster;
}

static int get_dp_comm_s(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->dp_comm_s;
    return x->cluster;
}

/* A capacity of 0 is one hwdb does not know: then whether the run fits is not known either. */
static int get_device_mem_bytes(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->run->device->mem_bytes;
    return x->run->device->mem_bytes > 0;
}

/* The test simulate mode makes before it refuses a run (simulate.c): so a simulated run that is
 * reported always fits; an inference run is not refused and may not. */
static int get_fits(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->flag = x->mem_bytes <= x->run->device->mem_bytes;
    return x->run->device->mem_bytes > 0;
}

/* The single-node step leaves the result's layout at 0: it is the run's tp = pp = 1 (resolve
 * sends every other layout to the cluster model) with all devices data parallel. */
static int get_tp(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->tp > 0 ? x->tp : x->run->training.tp;
    return 1;
}

static int get_pp(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->pp > 0 ? x->pp : x->run->training.pp;
    return 1;
}

static int get_dp(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->dp > 0 ? x->dp : x->run->count;
    return 1;
}

static int get_schedule(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->text = mlsim_schedule_names[x->schedule];
    return x->cluster;
}

static int get_interleave(const struct mlsim_result *x, struct mlsim_column_value *v)
{
    v->number = x->interleave;
    return x->cluster;
}

#define A   MLSIM_COLUMN_ANALYTIC
#define S   MLSIM_COLUMN_SIMULATE
#define I   MLSIM_COLUMN_INFERENCE
#define ALL MLSIM_COLUMN_ALL
#define RUN MLSIM_COLUMN_RUN
#define NUM MLSIM_COLUMN_NUMBER
#define TXT MLSIM_COLUMN_TEXT
#define BOO MLSIM_COLUMN_BOOL
/* A column that is a plain double of the result: one line of the table. */
#define FIELD(name, modes, unit, meaning, member)                                                  \
    {                                                                                              \
        name, NUM, modes, unit, meaning, NULL, offsetof(struct mlsim_result, member) + 1           \
    }

static const struct mlsim_column columns[] = {
    /* the CSV columns of mlsim 0.1.0, in their order */
    {"name", TXT, ALL | RUN, "text", "the run's name", get_name, 0},
    {"mode", TXT, ALL | RUN, "text", "analytic, simulate or inference", get_mode, 0},
    {"params", NUM, ALL | RUN, "count", "trainable parameters", get_params, 0},
    {"tokens", NUM, ALL | RUN, "count", "training tokens (samples for an MLP)", get_tokens, 0},
    {"flops", NUM, ALL, "FLOP", "model FLOPs of the whole run", get_flops, 0},
    {"device", TXT, ALL | RUN, "text", "the device's id in hwdb", get_device, 0},
    {"count", NUM, ALL | RUN, "count", "devices", get_count, 0},
    {"precision", TXT, ALL | RUN, "text", "the arithmetic precision", get_precision, 0},
    {"peak_flops", NUM, ALL, "FLOP/s", "dense peak per device at the precision", get_peak_flops, 0},
    {"mfu", NUM, ALL, "ratio", "model FLOPs utilization (assumed in analytic mode)", get_mfu, 0},
    {"time_s", NUM, ALL, "s", "wall-clock time of the run", get_time_s, 0},
    {"device_hours", NUM, ALL, "h", "devices x hours", get_device_hours, 0},
    {"cost_usd", NUM, ALL, "USD", "device-hours x rental price", get_cost_usd, 0},
    {"avg_power_w", NUM, ALL, "W", "average power per device, device and host share, before PUE",
     get_avg_power_w, 0},
    {"pue", NUM, ALL, "ratio", "facility power / IT power", get_pue, 0},
    {"energy_kwh", NUM, ALL, "kWh", "facility energy: devices x power x time x PUE", get_energy_kwh,
     0},
    {"energy_cost_usd", NUM, ALL, "USD", "energy x electricity price (0 if not billed)",
     get_energy_cost_usd, 0},
    {"co2_kg", NUM, ALL, "kg", "CO2 emitted: energy x grid intensity", get_co2_kg, 0},
    {"step_time_s", NUM, S | I, "s", "one training step (inference: one batch's latency)",
     get_step_s, 0},
    {"hfu", NUM, S | I, "ratio", "hardware FLOPs utilization (recomputation counted)", get_hfu, 0},
    {"tflops_per_device", NUM, S | I, "TFLOP/s", "model FLOP/s per device", get_tflops_per_device,
     0},
    {"tokens_per_s", NUM, S | I, "tokens/s",
     "tokens per second, all devices (samples for an MLP, inferences in inference mode)",
     get_tokens_per_s, 0},
    {"mem_per_device_bytes", NUM, S | I, "bytes",
     "memory per device: states (inference: weights) + activations + reserve", get_mem_bytes, 0},
    {"closed_form_step_s", NUM, S | I, "s", "the step in closed form", get_closed_form_step_s, 0},
    {"ref_metric", TXT, A | S, "text",
     "the published figure compared: tflops_per_device, hw_tflops_per_device, step_time_s or "
     "time_to_train_s",
     get_ref_metric, 0},
    {"ref_predicted", NUM, A | S, "ref_metric's", "mlsim's value of ref_metric (TFLOP/s or s)",
     get_ref_predicted, 0},
    {"ref_measured", NUM, A | S, "ref_metric's", "the published value of ref_metric",
     get_ref_measured, 0},
    {"ref_error_pct", NUM, A | S, "%", "100 x (predicted - measured) / measured", get_ref_error_pct,
     0},
    {"batch", NUM, I, "count", "the largest batch whose latency stays under the bound", get_batch,
     0},
    /* added in schema 2 */
    {"compute_s", NUM, S | I, "s", "compute stream busy per step", get_compute_s, 0},
    {"exposed_comm_s", NUM, S | I, "s", "communication not hidden behind compute, per step",
     get_exposed_comm_s, 0},
    {"idle_s", NUM, S | I, "s", "the rest of the step: idle, or the pipeline's bubble", get_idle_s,
     0},
    {"tp_comm_s", NUM, S, "s", "tensor-parallel collectives inside the compute, per step",
     get_tp_comm_s, 0},
    {"dp_comm_s", NUM, S, "s", "data-parallel communication per step, overlapped or not",
     get_dp_comm_s, 0},
    {"host_s", NUM, S, "s", "the host's own work per step before the devices start", get_host_s, 0},
    {"steps", NUM, S, "count", "training steps in the run", get_steps, 0},
    {"events", NUM, S, "count", "simulation events per step", get_events, 0},
    {"busy_fraction", NUM, S, "ratio", "compute stream busy / step", get_busy_fraction, 0},
    {"mem_states_bytes", NUM, S, "bytes", "per device: weights, gradients, optimizer states",
     get_mem_states_bytes, 0},
    {"mem_act_bytes", NUM, S, "bytes", "per device: activations kept for the backward pass",
     get_mem_act_bytes, 0},
    FIELD("state_bytes_per_param", S, "bytes", "states per parameter", state_bytes_per_param),
    FIELD("goodput", ALL, "ratio", "whole run: useful compute / wall-clock (mean)", rel.goodput),
    FIELD("goodput_p10", ALL, "ratio", "whole run: goodput, 10th percentile", rel.goodput_band.p10),
    FIELD("goodput_p90", ALL, "ratio", "whole run: goodput, 90th percentile", rel.goodput_band.p90),
    FIELD("interruptions", ALL, "count", "whole run: failures met (mean)", rel.failures.mean),
    FIELD("interruptions_p10", ALL, "count", "whole run: failures, P10", rel.failures.p10),
    FIELD("interruptions_p90", ALL, "count", "whole run: failures, P90", rel.failures.p90),
    FIELD("expected_interruptions", ALL, "count", "rates x component-hours", rel.expected_failures),
    FIELD("mtbf_s", ALL, "s", "the job's mean time between failures", rel.mtbf_s),
    FIELD("checkpoint_bytes", ALL, "bytes", "one checkpoint of the states", rel.ckpt_bytes),
    FIELD("checkpoint_write_s", ALL, "s", "time to write one checkpoint", rel.ckpt_write_s),
    FIELD("checkpoint_interval_s", ALL, "s", "compute between checkpoints", rel.interval_s),
    FIELD("young_daly_interval_s", ALL, "s", "sqrt(2 x write time x MTBF)", rel.young_daly_s),
    FIELD("lost_work_s", ALL, "s", "whole run: compute redone after failures", rel.badput.lost_s),
    FIELD("checkpoint_s", ALL, "s", "whole run: checkpoint stalls", rel.badput.checkpoint_s),
    FIELD("restart_s", ALL, "s", "whole run: restarts and spares swapped in", rel.badput.restart_s),
    FIELD("time_p10_s", ALL, "s", "whole run: wall-clock, P10", rel.time_s.p10),
    FIELD("time_p50_s", ALL, "s", "whole run: wall-clock, P50", rel.time_s.p50),
    FIELD("time_p90_s", ALL, "s", "whole run: wall-clock, P90", rel.time_s.p90),
    FIELD("cost_p10_usd", ALL, "USD", "whole run: cost, P10", rel.cost_usd.p10),
    FIELD("cost_p50_usd", ALL, "USD", "whole run: cost, P50", rel.cost_usd.p50),
    FIELD("cost_p90_usd", ALL, "USD", "whole run: cost, P90", rel.cost_usd.p90),
    {"not_run", TXT, ALL | RUN, "text", "why a table's row was not estimated", get_not_run, 0},
    {"device_mem_bytes", NUM, S | I, "bytes", "the device's memory capacity in hwdb",
     get_device_mem_bytes, 0},
    {"fits", BOO, S | I, "bool",
     "mem_per_device_bytes <= device_mem_bytes (simulate mode refuses a run that does not fit)",
     get_fits, 0},
    {"tp", NUM, S, "count", "tensor-parallel size simulated", get_tp, 0},
    {"pp", NUM, S, "count", "pipeline-parallel size simulated", get_pp, 0},
    {"dp", NUM, S, "count", "data-parallel size simulated (count / (tp x pp))", get_dp, 0},
    {"layout_chosen", BOO, S, "bool", "mlsim chose tp and pp (the run gave none)",
     get_layout_chosen, 0},
    {"micro_batch", NUM, S, "count", "sequences (samples) per device per micro-batch",
     get_micro_batch, 0},
    {"global_batch", NUM, S, "count", "sequences (samples) per step, all devices", get_global_batch,
     0},
    {"schedule", TXT, S, "text", "pipeline schedule simulated: gpipe, 1f1b or interleaved",
     get_schedule, 0},
    {"interleave", NUM, S, "count", "model chunks per pipeline rank simulated", get_interleave, 0},
    {"sharding", TXT, S, "text", "ZeRO sharding simulated: none, zero1, zero2 or zero3",
     get_sharding, 0},
    {"recompute", TXT, S, "text", "activation recomputation: none, selective or full",
     get_recompute, 0},
    {"sequence_parallel", BOO, S, "bool", "sequence parallelism in the tensor-parallel group",
     get_sequence_parallel, 0},
    {"cluster", BOO, S, "bool", "simulated by the cluster model (tensor, pipeline or multi-node)",
     get_cluster, 0},
    {"simulated", BOO, ALL, "bool",
     "costed kernel by kernel (simulate and inference modes), not in closed form", get_simulated,
     0},
    {"active_params", NUM, ALL | RUN, "count",
     "parameters each token is computed with (a mixture of experts' active ones; else params)",
     get_active_params, 0},
    {"ep", NUM, S, "count", "expert-parallel size simulated (1 without experts)", get_ep, 0},
    /* added in schema 4 */
    {"eval_passes", NUM, A | S, "count", "evaluation passes on the clock (training.evaluation)",
     get_eval_passes, 0},
    {"eval_s", NUM, A | S, "s", "the evaluation passes' wall-clock time, inside time_s", get_eval_s,
     0},
    {"init_timed_s", NUM, A | S, "s",
     "initialization past MLPerf's 20-minute allowance (training.init_time), inside time_s",
     get_init_timed_s, 0},
};

#undef A
#undef S
#undef I
#undef ALL
#undef NUM
#undef TXT
#undef BOO

const struct mlsim_column *mlsim_columns_get(size_t i)
{
    return i < sizeof columns / sizeof columns[0] ? &columns[i] : NULL;
}

size_t mlsim_columns_count(void)
{
    return sizeof columns / sizeof columns[0];
}

const struct mlsim_column *mlsim_columns_find(const char *name)
{
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        if (strcmp(columns[i].name, name) == 0)
            return &columns[i];
    }
    return NULL;
}

int mlsim_columns_value(const struct mlsim_column *c, const struct mlsim_result *res,
                        struct mlsim_column_value *v)
{
    struct mlsim_column_value got = {0, NULL, 0};
    int mode = res->run->mode;
    if (mode < 0 || mode > MLSIM_MODE_INFERENCE || !(c->modes & (1u << mode)))
        return 0;
    /* a row that was not estimated has its run's columns and its reason only */
    if (res->not_run[0] && !(c->modes & MLSIM_COLUMN_RUN))
        return 0;
    if (c->get && !c->get(res, &got))
        return 0;
    if (!c->get && c->field > 0)
        memcpy(&got.number, (const char *)res + c->field - 1, sizeof got.number);
    *v = got;
    return 1;
}

const char *mlsim_columns_modes_text(unsigned modes_mask, char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if ((modes_mask & MLSIM_COLUMN_ALL) == MLSIM_COLUMN_ALL) {
        snprintf(buf, len, "all");
        return buf;
    }
    for (int m = 0; m <= MLSIM_MODE_INFERENCE; m++) {
        if (!(modes_mask & (1u << m)))
            continue;
        int k = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", mlsim_mode_names[m]);
        if (k < 0 || (size_t)k >= len - at)
            break;
        at += (size_t)k;
    }
    return buf;
}

void mlsim_columns_write_markdown(FILE *out)
{
    char modes[64];
    fputs("| Field | Unit | Modes | Meaning |\n|---|---|---|---|\n", out);
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        const struct mlsim_column *c = &columns[i];
        fprintf(out, "| `%s` | %s | %s | %s |\n", c->name, c->unit,
                mlsim_columns_modes_text(c->modes, modes, sizeof modes), c->meaning);
    }
    fprintf(out,
            "| `%s` | count | all | %d: the version of this list (CSV: the last column; JSON: a "
            "top-level key) |\n",
            MLSIM_COLUMNS_SCHEMA_KEY, MLSIM_COLUMNS_SCHEMA_VERSION);
}
