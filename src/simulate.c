/*
 * From a resolved run to a simulated result: workload, kernel model, memory check, one step on
 * the engine, then the whole run. Power follows utilization: the device draws its TDP while its
 * compute stream is busy and its idle power otherwise (the TDP throughout when hwdb gives no idle
 * figure, as in analytic mode).
 */
#include "mlsim/simulate.h"

#include <string.h>

#include "mlsim/cluster.h"
#include "mlsim/cost.h"
#include "mlsim/framework.h"
#include "mlsim/kernel.h"
#include "mlsim/layout.h"
#include "mlsim/model.h"
#include "mlsim/pipeline.h"
#include "mlsim/step.h"
#include "mlsim/units.h"
#include "mlsim/workload.h"

/* Memory per device for the run's shape at MICRO_BATCH and RECOMPUTE; 0 if the shape is bad. */
static double memory_need(const struct mlsim_run *r, int micro_batch, int recompute)
{
    struct mlsim_workload_spec s;
    struct mlsim_workload w;
    mlsim_model_workload_spec(r, micro_batch, recompute, &s);
    if (mlsim_workload_build(&s, &w) != MLSIM_OK)
        return 0;
    double need = w.params * w.state_bytes_per_param + w.act_bytes_per_micro +
                  r->training.memory_reserve_bytes;
    mlsim_workload_release(&w);
    return need;
}

/* The alternatives a no-fit message offers: the memory with full recomputation and with
 * micro-batches of one (each < 0 where it does not apply), computed as the run itself was. */
struct no_fit {
    double need, full, one;
};

static void report_no_fit(const struct mlsim_run *r, const struct no_fit *nf,
                          struct mlsim_result *out, struct mlsim_diags *d)
{
    char have[64], want[64], alt[256] = "";
    const double gib = 1073741824.0;
    size_t used = 0;
    snprintf(want, sizeof want, "%.1f GiB", nf->need / gib);
    snprintf(have, sizeof have, "%.0f GiB", r->device->mem_bytes / gib);
    if (nf->full >= 0) {
        int w = snprintf(alt + used, sizeof alt - used, "training.recompute: full needs %.1f GiB",
                         nf->full / gib);
        used += w > 0 ? (size_t)w : 0;
    }
    if (nf->one >= 0 && used < sizeof alt) {
        int w = snprintf(alt + used, sizeof alt - used, "%straining.micro_batch: 1 needs %.1f GiB",
                         used ? "; " : "", nf->one / gib);
        used += w > 0 ? (size_t)w : 0;
    }
    if (used < sizeof alt)
        snprintf(alt + used, sizeof alt - used,
                 "%sa device with more memory, or sharding the model "
                 "(tensor, pipeline or ZeRO parallelism)",
                 used ? "; or " : "");
    if (r->table_row) { /* a row of a table answers with its reason; the table goes on */
        snprintf(out->not_run, sizeof out->not_run,
                 "does not fit: needs %.20s per device, %.60s has %.20s", want, r->device->id,
                 have);
        return;
    }
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                       "run '%s' needs %s per device, %s has %s (try: %s)", r->name, want,
                       r->device->id, have, alt);
}

/* One node, one device's whole model: the alternatives of a no-fit message. */
static void no_fit_single(const struct mlsim_run *r, double need, struct no_fit *nf)
{
    nf->need = need;
    nf->full = r->training.recompute != MLSIM_RECOMPUTE_FULL
                   ? memory_need(r, r->training.micro_batch, MLSIM_RECOMPUTE_FULL)
                   : -1;
    nf->one = r->training.micro_batch > 1 ? memory_need(r, 1, r->training.recompute) : -1;
}

/* A layout's alternatives, each in the layout's own closed-form memory (so a pipeline's message
 * counts its fullest stage, not the whole model). */
static void no_fit_layout(struct mlsim_layout_work *w, const struct mlsim_run *r,
                          const struct mlsim_layout *l, double need, struct no_fit *nf)
{
    struct mlsim_layout alt = *l;
    struct mlsim_layout_memory mem;
    nf->need = need;
    nf->full = nf->one = -1;
    alt.recompute = MLSIM_RECOMPUTE_FULL;
    if (l->recompute != MLSIM_RECOMPUTE_FULL && mlsim_layout_memory(w, r, &alt, &mem) == MLSIM_OK)
        nf->full = mem.total_bytes;
    alt = *l;
    alt.micro_batch = 1;
    alt.microbatches = l->global_batch / l->dp;
    if (l->micro_batch > 1 && mlsim_layout_memory(w, r, &alt, &mem) == MLSIM_OK)
        nf->one = mem.total_bytes;
}

/* The step would pass the engine's limit of work (MLSIM_SIM_MAX_TASKS): say which fields size
 * it, at the first of them given. */
static void report_too_large(const struct mlsim_run *run, struct mlsim_diags *d)
{
    static const char *const sizing[] = {"model.layers", "training.global_batch",
                                         "training.micro_batch", NULL};
    struct mlsim_loc loc = run->loc;
    for (int i = 0; sizing[i]; i++) {
        const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, run, sizing[i]);
        if (at) {
            loc = *at;
            break;
        }
    }
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc,
                       "run '%s': the step is too large to simulate (%d layers, %d sequences per "
                       "step in micro-batches of %d: more than %zu tasks); set fewer",
                       run->name, run->model.layers, run->training.global_batch,
                       run->training.micro_batch, (size_t)MLSIM_SIM_MAX_TASKS);
}

/* Whether layout L of RUN fits its devices' memory, in closed form, before anything is simulated;
 * MEM receives the memory. A layout that cannot be built or does not fit is reported. */
static enum mlsim_status check_memory(const struct mlsim_run *run, const struct mlsim_layout *l,
                                      struct mlsim_layout_memory *mem, struct mlsim_result *out,
                                      struct mlsim_diags *d)
{
    struct mlsim_layout_work *w = mlsim_layout_work_alloc();
    enum mlsim_status st = w ? mlsim_layout_memory(w, run, l, mem) : MLSIM_ERR_NOMEM;
    if (st == MLSIM_ERR_INPUT)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, run->loc,
                           "run '%s': this parallel layout cannot be built", run->name);
    if (st == MLSIM_OK && mem->total_bytes > run->device->mem_bytes && run->device->mem_bytes > 0) {
        struct no_fit nf;
        no_fit_layout(w, run, l, mem->total_bytes, &nf);
        report_no_fit(run, &nf, out, d);
        st = out->not_run[0] ? MLSIM_OK : MLSIM_ERR_INPUT;
    }
    mlsim_layout_work_free(w);
    return st;
}

/* The gradient bucket of RUN over RANKS data-parallel ranks: training.bucket_size, or its
 * framework's default (framework.h); the steps and the report's sentence ask this one. */
static double run_bucket_bytes(const struct mlsim_run *run, int ranks)
{
    return mlsim_framework_bucket_bytes(mlsim_framework_get(run->training.framework),
                                        run->training.bucket_bytes, ranks,
                                        mlsim_precision_elem_bytes(run->precision));
}

static void step_config(const struct mlsim_run *r, const struct mlsim_workload *w,
                        const struct mlsim_kernel_model *km, struct mlsim_step_config *c)
{
    struct mlsim_layout l;
    struct mlsim_layout_groups g;
    mlsim_layout_of_run(r, &l);
    mlsim_layout_groups(r, &l, &g);
    memset(c, 0, sizeof *c);
    c->w = w;
    c->km = km;
    c->dp = r->count;
    c->grad_accum = r->training.global_batch / (r->training.micro_batch * r->count);
    c->grad_elem_bytes = mlsim_precision_elem_bytes(r->precision);
    c->bucket_bytes = run_bucket_bytes(r, r->count);
    c->algo = mlsim_collective_find("ring");
    c->overlap_comm = r->training.overlap_comm;
    c->overlap_slowdown = MLSIM_OVERLAP_SLOWDOWN;
    c->host_s = r->training.host_s;
    const struct mlsim_framework_type *f = mlsim_framework_get(r->training.framework);
    c->kernel_host_s = mlsim_framework_kernel_s(f, r->device->kind);
    c->host_issues = mlsim_framework_offloaded(r->device->kind);
    c->sync_s = c->host_issues ? f->sync_s : 0.0;
    c->link = g.g[MLSIM_GROUP_DP].link;
    c->h2d_Bps = g.h2d_Bps;
}

static void fill_result(const struct mlsim_run *r, const struct mlsim_workload *w,
                        const struct mlsim_step_config *c, const struct mlsim_step_result *sr,
                        struct mlsim_result *out)
{
    double peak = r->device->peak_flops[r->precision];
    double per_step_tokens = (double)r->training.global_batch *
                             (r->model.type == MLSIM_MODEL_TRANSFORMER ? r->model.seq_len : 1);
    double model_flops_step = w->model_flops_per_micro * c->grad_accum; /* per device */
    double hw_flops_step = w->hw_flops_per_micro * c->grad_accum;
    out->run = r;
    out->simulated = 1;
    out->peak_flops = peak;
    out->step_s = sr->step_s;
    out->compute_s = sr->compute_s;
    out->exposed_comm_s = sr->exposed_comm_s;
    out->idle_s = sr->step_s - sr->compute_s - sr->exposed_comm_s - r->training.host_s;
    out->closed_form_step_s = sr->closed_form_s;
    out->mfu = model_flops_step / (sr->step_s * peak);
    out->hfu = hw_flops_step / (sr->step_s * peak);
    out->tflops_per_device = model_flops_step / sr->step_s / 1e12;
    out->tokens_per_s = per_step_tokens / sr->step_s;
    /* a run of fewer tokens than a step still takes its one step */
    out->steps = r->model.tokens >= per_step_tokens ? r->model.tokens / per_step_tokens : 1.0;
    out->events = sr->events;
    out->busy_fraction = sr->compute_s / sr->step_s;
    /* The run's FLOPs as the model counts them (per token: forward and backward of every weight and
     * of attention), so time = FLOPs / (devices x peak x MFU) holds as in analytic mode. */
    out->flops = model_flops_step * r->count * out->steps;
    out->time_s = out->steps * sr->step_s;
    mlsim_cost_finish(r, out->time_s * r->count, out->busy_fraction, out);
}

static enum mlsim_status simulate_cluster(const struct mlsim_run *run, const struct mlsim_layout *l,
                                          const struct mlsim_kernel_model *km,
                                          struct mlsim_result *out, struct mlsim_sim **keep,
                                          struct mlsim_diags *d)
{
    const struct mlsim_training *t = &run->training;
    struct mlsim_cluster_config c;
    struct mlsim_cluster_result cr;
    memset(&c, 0, sizeof c);
    mlsim_layout_workload_spec(run, l, &c.spec);
    c.km = km;
    c.tp = l->tp;
    c.pp = l->pp;
    c.dp = l->dp;
    c.interleave = l->interleave;
    c.microbatches = l->microbatches;
    c.schedule = l->schedule;
    c.sharding = l->sharding;
    const struct mlsim_framework_type *f = mlsim_framework_get(t->framework);
    c.overlap_comm = mlsim_framework_dp_overlap(f, t->overlap_comm, l->pp);
    c.p2p_blocking = f->p2p_blocking && l->pp > 1;
    c.overlap_slowdown = MLSIM_OVERLAP_SLOWDOWN;
    c.first_stage_layers = l->first_stage_layers;
    c.embedding_in_split = l->embedding_in_split;
    c.last_stage_layers = l->last_stage_layers;
    c.grad_elem_bytes = mlsim_precision_elem_bytes(run->precision);
    c.bucket_bytes = run_bucket_bytes(run, l->dp * (l->cp > 1 ? l->cp : 1));
    c.algo = mlsim_collective_find("ring");
    mlsim_layout_groups(run, l, &c.groups);
    struct mlsim_layout_memory mem;
    size_t errors = mlsim_diags_errors(d);
    enum mlsim_status st = check_memory(run, l, &mem, out, d);
    if (st == MLSIM_OK && out->not_run[0]) { /* a table's row that does not fit: its reason */
        out->run = run;
        return MLSIM_OK;
    }
    if (st == MLSIM_OK)
        st = mlsim_cluster_simulate(&c, &cr, keep);
    if (st == MLSIM_ERR_INPUT && mlsim_diags_errors(d) == errors)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, run->loc,
                           "run '%s': this parallel layout cannot be built", run->name);
    if (st == MLSIM_ERR_RANGE)
        report_too_large(run, d);
    if (st != MLSIM_OK)
        return st;
    out->mem_bytes = mem.total_bytes;
    out->mem_states_bytes = mem.states_bytes;
    out->state_bytes_per_param = mem.state_bytes_per_param;
    out->mem_act_bytes = mem.act_bytes;
    /* every rank's host does its per-step work before its pipeline starts: the step is that much
     * longer (not in the trace's tasks) */
    cr.step_s += t->host_s;
    double peak = run->device->peak_flops[run->precision];
    double tokens_step = (double)t->global_batch * run->model.seq_len;
    out->run = run;
    out->simulated = 1;
    out->cluster = 1;
    out->peak_flops = peak;
    out->step_s = cr.step_s;
    out->compute_s = cr.compute_s;
    out->exposed_comm_s = cr.exposed_comm_s;
    out->idle_s = cr.bubble_s; /* the pipeline's bubble and its waits for neighbours */
    out->tp_comm_s = cr.tp_comm_s;
    out->dp_comm_s = cr.dp_comm_s;
    out->mfu = cr.model_flops / (cr.step_s * peak * run->count);
    out->hfu = cr.hw_flops / (cr.step_s * peak * run->count);
    out->tflops_per_device = cr.model_flops / run->count / cr.step_s / 1e12;
    out->tokens_per_s = tokens_step / cr.step_s;
    /* a run of fewer tokens than a step still takes its one step */
    out->steps = run->model.tokens >= tokens_step ? run->model.tokens / tokens_step : 1.0;
    out->events = cr.events;
    out->tp = l->tp;
    out->pp = l->pp;
    out->dp = l->dp;
    out->cp = l->cp;
    out->ep = l->ep;
    out->sharding = l->sharding;
    out->busy_fraction = cr.compute_s / cr.step_s;
    /* The closed form of a pipeline (Narayanan et al. 2021, Sec. 2.2): m micro-batches plus a
     * bubble of (p - 1) / v of them, then the data-parallel reduction and the update, unhidden. */
    double per_micro = cr.compute_s / (c.microbatches + 0.0);
    double v = l->schedule == MLSIM_SCHEDULE_INTERLEAVED ? l->interleave : 1.0;
    out->closed_form_step_s =
        per_micro * (c.microbatches + (l->pp - 1) / v) + cr.dp_comm_s + t->host_s;
    out->flops = cr.model_flops * out->steps;
    out->time_s = out->steps * cr.step_s;
    mlsim_cost_finish(run, out->time_s * run->count, out->busy_fraction, out);
    /* the pipeline simulated, for the report (cluster.c takes one chunk unless interleaved) */
    out->schedule = t->schedule;
    out->interleave = t->schedule == MLSIM_SCHEDULE_INTERLEAVED ? t->interleave : 1;
    out->sharding = t->sharding;
    return MLSIM_OK;
}

/* A framework's pipeline engine may lack a schedule, a ZeRO stage or the reduction during the
 * backward pass that the run names (framework.h's switches): each such field is an error at its
 * place. Only where the run pipelines (PP stages, given or chosen): without stages, the
 * frameworks run the same step. */
static int framework_fits(const struct mlsim_run *run, int pp, struct mlsim_diags *d)
{
    const struct mlsim_training *t = &run->training;
    const struct mlsim_framework_type *f = mlsim_framework_get(t->framework);
    const struct mlsim_loc *at;
    int ok = 1;
    if (pp <= 1)
        return 1;
    at = mlsim_schema_given(&mlsim_run_schema, run, "training.schedule");
    if (f->one_schedule && at && t->schedule != f->one_schedule - 1) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                           "run '%s': training.framework %s pipelines with %s only, not %s (%s)",
                           run->name, f->name, mlsim_schedule_names[f->one_schedule - 1],
                           mlsim_schedule_names[t->schedule], f->pipeline_source);
        ok = 0;
    }
    at = mlsim_schema_given(&mlsim_run_schema, run, "training.sharding");
    if (f->max_sharding && at && t->sharding > f->max_sharding - 1) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                           "run '%s': training.framework %s runs at most %s beside a pipeline, not "
                           "%s (%s)",
                           run->name, f->name, mlsim_sharding_names[f->max_sharding - 1],
                           mlsim_sharding_names[t->sharding], f->pipeline_source);
        ok = 0;
    }
    at = mlsim_schema_given(&mlsim_run_schema, run, "training.overlap_comm");
    if (f->dp_after_flush && at && t->overlap_comm) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *at,
                           "run '%s': training.framework %s reduces gradients after the pipeline's "
                           "flush, not during the backward pass (set training.overlap_comm: "
                           "false; %s)",
                           run->name, f->name, f->pipeline_source);
        ok = 0;
    }
    return ok;
}

/* A layout for a run that gave none (layout.h's chooser), simulated; the report says it was
 * chosen. */
static enum mlsim_status simulate_chosen_layout(const struct mlsim_run *run,
                                                const struct mlsim_kernel_model *km,
                                                struct mlsim_result *out, struct mlsim_sim **keep,
                                                struct mlsim_diags *d)
{
    struct mlsim_layout l;
    struct mlsim_layout_work *w = mlsim_layout_work_alloc();
    enum mlsim_status st = w ? mlsim_layout_choose(w, run, &l) : MLSIM_ERR_NOMEM;
    mlsim_layout_work_free(w);
    if (st == MLSIM_ERR_NOT_FOUND) {
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, run->loc,
            "run '%s': no tensor x pipeline layout of %d x %s fits (set training.tp, training.pp "
            "and training.sharding to try others)",
            run->name, run->count, run->device->id);
        return MLSIM_ERR_INPUT;
    }
    if (st != MLSIM_OK)
        return st;
    if (!framework_fits(run, l.pp, d)) /* the chosen pipeline, against what the run gave */
        return MLSIM_ERR_INPUT;
    st = simulate_cluster(run, &l, km, out, keep, d);
    out->layout_chosen = 1;
    return st;
}

enum mlsim_status mlsim_simulate_estimate(const struct mlsim_run *run, struct mlsim_result *out,
                                          struct mlsim_sim **keep, struct mlsim_diags *d)
{
    struct mlsim_workload_spec spec;
    struct mlsim_workload w;
    struct mlsim_kernel_model km;
    struct mlsim_step_config c;
    struct mlsim_step_result sr;
    memset(out, 0, sizeof *out);
    if (keep)
        *keep = NULL;
    const struct mlsim_training *t = &run->training;
    int node = run->node_size > 0 ? run->node_size : run->count;
    /* one node's sharded transformer runs take the path that models ZeRO's collectives */
    int sharded = t->sharding != MLSIM_SHARD_NONE && run->count > 1 &&
                  run->model.type == MLSIM_MODEL_TRANSFORMER;
    if (!framework_fits(run, run->layout_derived ? 1 : t->pp, d))
        return MLSIM_ERR_INPUT;
    if (mlsim_framework_has_host_work(mlsim_framework_get(t->framework)) &&
        (run->layout_derived || t->tp > 1 || t->pp > 1 || run->count > node || sharded)) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, run->loc,
                           "run '%s': training.framework is modelled on one node's data "
                           "parallelism only, not with tensor, pipeline, multi-node or ZeRO runs "
                           "(set training.framework: none)",
                           run->name);
        return MLSIM_ERR_INPUT;
    }
    if (run->layout_derived) {
        mlsim_kernel_model_init(run->device, run->precision, &km);
        mlsim_kernel_model_attention(&km, run->device, run->training.attention);
        return simulate_chosen_layout(run, &km, out, keep, d);
    }
    if (t->tp > 1 || t->pp > 1 || t->cp > 1 || t->ep > 1 || run->count > node || sharded) {
        struct mlsim_layout l;
        mlsim_layout_of_run(run, &l);
        mlsim_kernel_model_init(run->device, run->precision, &km);
        mlsim_kernel_model_attention(&km, run->device, run->training.attention);
        return simulate_cluster(run, &l, &km, out, keep, d);
    }
    mlsim_model_workload_spec(run, run->training.micro_batch, run->training.recompute, &spec);
    enum mlsim_status st = mlsim_workload_build(&spec, &w);
    if (st == MLSIM_ERR_INPUT)
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, run->loc,
            "run '%s': impossible model shape (heads must divide hidden, kv_heads divide heads)",
            run->name);
    if (st == MLSIM_ERR_RANGE)
        report_too_large(run, d);
    if (st != MLSIM_OK)
        return st;
    out->mem_states_bytes = w.params * w.state_bytes_per_param;
    out->state_bytes_per_param = w.state_bytes_per_param;
    out->mem_act_bytes = w.act_bytes_per_micro;
    out->mem_bytes =
        out->mem_states_bytes + out->mem_act_bytes + run->training.memory_reserve_bytes;
    if (out->mem_bytes > run->device->mem_bytes && run->device->mem_bytes > 0) {
        struct no_fit nf;
        no_fit_single(run, out->mem_bytes, &nf);
        report_no_fit(run, &nf, out, d);
        mlsim_workload_release(&w);
        out->run = run;
        return out->not_run[0] ? MLSIM_OK : MLSIM_ERR_INPUT;
    }
    mlsim_kernel_model_init(run->device, run->precision, &km);
    mlsim_kernel_model_attention(&km, run->device, run->training.attention);
    step_config(run, &w, &km, &c);
    st = mlsim_step_simulate(&c, &sr, keep);
    if (st == MLSIM_OK)
        fill_result(run, &w, &c, &sr, out);
    if (st == MLSIM_ERR_RANGE)
        report_too_large(run, d);
    mlsim_workload_release(&w);
    return st;
}

/* The forward pass under the run's framework, as the step takes it (step.c): the host issues each
 * kernel on an accelerator and the device runs it once issued and free, a CPU adds the dispatch
 * to each kernel; the inputs are copied before the first kernel, the outputs after the last, and
 * an accelerator's host then synchronises. */
static double framework_latency(const struct mlsim_run *run, const struct mlsim_kernel_model *km,
                                const struct mlsim_workload *w, double in_s, double out_s)
{
    const struct mlsim_framework_type *f = mlsim_framework_get(run->training.framework);
    int offloaded = mlsim_framework_offloaded(run->device->kind);
    double per = mlsim_framework_kernel_s(f, run->device->kind);
    double host = 0, dev = in_s;
    for (size_t i = 0; i < w->n_fwd; i++) {
        double d = mlsim_kernel_time(km, &w->fwd[i]);
        if (!offloaded) {
            dev += d + per;
            continue;
        }
        host += per;
        dev = (dev > host ? dev : host) + d;
    }
    dev += out_s;
    return offloaded ? (dev > host ? dev : host) + f->sync_s : dev;
}

/* Latency of one forward pass of BATCH inputs of RUN on its device. */
static enum mlsim_status forward_latency(const struct mlsim_run *run,
                                         const struct mlsim_kernel_model *km, double h2d_Bps,
                                         int batch, double *latency)
{
    struct mlsim_workload_spec spec;
    struct mlsim_workload w;
    mlsim_model_workload_spec(run, batch, MLSIM_RECOMPUTE_NONE, &spec);
    enum mlsim_status st = mlsim_workload_build(&spec, &w);
    if (st != MLSIM_OK)
        return st;
    double in_s = 0, out_s = 0, copy_s = 0;
    if (h2d_Bps > 0) {
        double out_elems = run->model.type == MLSIM_MODEL_MLP
                               ? run->model.widths[run->model.n_widths - 1]
                               : run->model.vocab;
        double in_bytes = run->model.type == MLSIM_MODEL_MLP
                              ? (double)batch * run->model.widths[0] * spec.elem_bytes
                              : w.input_bytes_per_micro;
        double out_bytes = (double)batch * out_elems * spec.elem_bytes;
        in_s = in_bytes / h2d_Bps;
        out_s = out_bytes / h2d_Bps;
        copy_s = (in_bytes + out_bytes) / h2d_Bps;
    }
    if (!mlsim_framework_has_host_work(mlsim_framework_get(run->training.framework))) {
        /* the sum, as it always was */
        double t = 0;
        for (size_t i = 0; i < w.n_fwd; i++)
            t += mlsim_kernel_time(km, &w.fwd[i]);
        *latency = t + copy_s;
    } else {
        *latency = framework_latency(run, km, &w, in_s, out_s);
    }
    mlsim_workload_release(&w);
    return MLSIM_OK;
}

enum mlsim_status mlsim_inference_estimate(const struct mlsim_run *run, struct mlsim_result *out,
                                           struct mlsim_diags *d)
{
    struct mlsim_kernel_model km;
    double h2d = 0, lat = 0;
    memset(out, 0, sizeof *out);
    mlsim_kernel_model_init_uniform(run->device, run->precision, &km);
    struct mlsim_layout l;
    struct mlsim_layout_groups g;
    mlsim_layout_of_run(run, &l);
    mlsim_layout_groups(run, &l, &g);
    h2d = g.h2d_Bps;
    /* Latency grows with the batch: double until the bound is passed, then bisect. */
    int lo = 0, hi = 1;
    enum mlsim_status st = MLSIM_OK;
    while (st == MLSIM_OK && hi <= run->max_batch &&
           (st = forward_latency(run, &km, h2d, hi, &lat)) == MLSIM_OK &&
           lat <= run->latency_bound_s) {
        lo = hi;
        hi *= 2;
    }
    if (hi > run->max_batch)
        hi = run->max_batch + 1;
    while (st == MLSIM_OK && hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        st = forward_latency(run, &km, h2d, mid, &lat);
        if (st == MLSIM_OK && lat <= run->latency_bound_s)
            lo = mid;
        else
            hi = mid;
    }
    if (st == MLSIM_ERR_INPUT)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, run->loc, "run '%s': impossible model shape",
                           run->name);
    if (st != MLSIM_OK)
        return st;
    if (lo == 0) {
        forward_latency(run, &km, h2d, 1, &lat);
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, run->loc,
            "run '%s': one input already takes %.3g ms on %s, over the %.3g ms bound", run->name,
            lat * 1e3, run->device->id, run->latency_bound_s * 1e3);
        return MLSIM_ERR_INPUT;
    }
    forward_latency(run, &km, h2d, lo, &lat);
    out->run = run;
    out->simulated = 1;
    out->batch = lo;
    out->peak_flops = run->device->peak_flops[run->precision];
    out->step_s = lat;
    out->tokens_per_s = lo / lat * run->count;
    struct mlsim_workload_spec spec;
    struct mlsim_workload w;
    mlsim_model_workload_spec(run, lo, MLSIM_RECOMPUTE_NONE, &spec);
    if (mlsim_workload_build(&spec, &w) == MLSIM_OK) {
        double f = 0;
        for (size_t i = 0; i < w.n_fwd; i++)
            f += w.fwd[i].flops;
        out->mfu = f / (lat * out->peak_flops);
        out->tflops_per_device = f / lat / 1e12;
        out->mem_bytes = w.params * spec.elem_bytes + w.act_bytes_per_micro;
        mlsim_workload_release(&w);
    }
    out->hfu = out->mfu;
    out->compute_s = lat;
    out->closed_form_step_s = lat;
    return MLSIM_OK;
}

/* ---- assumptions, said where they are made ---- */

/* "from the device's calibration in hwdb (CITE)", naming the source that backs the GEMM
 * efficiency. */
static const char *calibration_origin(const struct mlsim_device *dev, char *buf, size_t len)
{
    const struct mlsim_source *src = mlsim_device_source(dev, "calibration.gemm_efficiency");
    if (src && src->cite[0])
        snprintf(buf, len, "from the device's calibration in hwdb (%s)", src->cite);
    else
        snprintf(buf, len, "from the device's calibration in hwdb");
    return buf;
}

/* The share of the node link's bandwidth collectives reach (collective.h). */
static double link_efficiency(const struct mlsim_run *r)
{
    const struct mlsim_link *l = mlsim_layout_find_link(r->device, r->link);
    return l ? mlsim_link_efficiency(l->type) : 1.0;
}

/* ", the network at N% of each NIC's" where the run spans nodes of a system, else "". */
static const char *network_efficiency(const struct mlsim_run *r, char *buf, size_t len)
{
    buf[0] = '\0';
    if (r->node_size > 0 && r->count > r->node_size && r->nic_bw_Bps > 0)
        snprintf(buf, len, ", the network at %.0f%% of its NICs'",
                 100.0 * (r->system ? mlsim_link_efficiency(r->system->network.type) : 1.0));
    return buf;
}

/* What the states cost per parameter, as the workload counted them (workload.c, state_bytes):
 * e.g. "16 bytes per parameter (2-byte weights and gradients, fp32 master weights, Adam's two
 * fp32 moments)", then how ZeRO shards them. */
static const char *states_text(const struct mlsim_result *res, char *buf, size_t len)
{
    const struct mlsim_run *r = res->run;
    double e = mlsim_precision_elem_bytes(r->precision);
    const char *opt = r->training.optimizer == MLSIM_OPTIMIZER_ADAM ? "Adam's two fp32 moments"
                      : r->training.optimizer == MLSIM_OPTIMIZER_RMSPROP
                          ? "RMSprop's fp32 mean square"
                          : "no optimizer state";
    int n =
        e < 4 ? snprintf(buf, len,
                         "%.3g bytes per parameter (%.3g-byte weights and gradients, fp32 "
                         "master weights, %s; ZeRO paper, Sec. 3.1)",
                         res->state_bytes_per_param, e, opt)
              : snprintf(
                    buf, len,
                    "%.3g bytes per parameter (%s weights and gradients, %s; ZeRO paper, Sec. 3.1)",
                    res->state_bytes_per_param, e > 4 ? "fp64" : "fp32", opt);
    int ranks = res->dp * (r->training.cp > 1 ? r->training.cp : 1); /* with context ranks */
    if (res->sharding != MLSIM_SHARD_NONE && ranks > 1 && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ", %s over %d data-parallel ranks: %.3g bytes",
                 res->sharding == MLSIM_SHARD_ZERO1   ? "ZeRO-1"
                 : res->sharding == MLSIM_SHARD_ZERO2 ? "ZeRO-2"
                                                      : "ZeRO-3",
                 ranks,
                 mlsim_layout_sharded_bytes(res->state_bytes_per_param, e, ranks, res->sharding));
    return buf;
}

/* Whether the cluster step of RES reduced its gradients in buckets during the backward pass (the
 * run's overlap_comm, unless its framework's pipeline engine reduces after the flush). */
static int dp_overlap(const struct mlsim_result *res)
{
    const struct mlsim_training *t = &res->run->training;
    return mlsim_framework_dp_overlap(mlsim_framework_get(t->framework), t->overlap_comm, res->pp);
}

/* How the data-parallel gradients are reduced, as the step that was simulated does it: in
 * buckets during the backward pass (step.c, cluster.c), or once after it; ZeRO-3 per layer as
 * FSDP does (cluster.c). */
static const char *reduction_text(const struct mlsim_result *res, char *buf, size_t len)
{
    const struct mlsim_run *r = res->run;
    char b[64];
    const char *op = res->sharding == MLSIM_SHARD_NONE ? "all-reduced" : "reduce-scattered";
    const struct mlsim_framework_type *f = mlsim_framework_get(r->training.framework);
    int cp = r->training.cp > 1 ? r->training.cp : 1;
    double bucket = run_bucket_bytes(r, res->cluster ? res->dp * cp : r->count);
    if (res->cluster && res->sharding == MLSIM_SHARD_ZERO3 && res->dp > 1)
        snprintf(buf, len,
                 "ZeRO-3 as PyTorch FSDP: each layer's parameters all-gathered before its forward "
                 "and its backward pass, one layer ahead, its gradients reduce-scattered after its "
                 "backward, every micro-batch");
    else if (res->cluster && dp_overlap(res))
        snprintf(buf, len,
                 "data-parallel gradients %s in %s buckets in reverse layer order during the last "
                 "micro-batch's backward pass (%s)",
                 op, mlsim_units_format(bucket, MLSIM_DIM_BYTES, b, sizeof b),
                 r->training.bucket_bytes > 0 ? "training.bucket_size" : f->bucket_source);
    else if (res->cluster)
        snprintf(buf, len, "data-parallel gradients %s after the backward pass", op);
    else
        snprintf(buf, len, "gradients all-reduced in %s buckets%s",
                 mlsim_units_format(bucket, MLSIM_DIM_BYTES, b, sizeof b),
                 r->training.overlap_comm ? "" : " after the backward pass");
    int overlapped = res->dp > 1 && ((res->cluster ? dp_overlap(res) : r->training.overlap_comm) ||
                                     (res->cluster && res->sharding == MLSIM_SHARD_ZERO3));
    size_t n = strlen(buf);
    if (overlapped && n < len)
        snprintf(buf + n, len - n,
                 "; compute beside a collective slowed by %.3g s per second of it (NCCL's kernels "
                 "take SMs: 18.9%% on average, Lee et al. 2025)",
                 MLSIM_OVERLAP_SLOWDOWN);
    return buf;
}

/* The recipe's sentence where it splits the linear GEMMs off, and the uncalibrated-ceiling flag. */
static void precision_assumptions(const struct mlsim_run *r, const struct mlsim_kernel_model *km,
                                  struct mlsim_assumptions *a)
{
    const struct mlsim_precision_type *p = mlsim_precision_recipe(r->precision);
    char x[64], flag[512];
    if (mlsim_precision_is_split(p))
        mlsim_assume(a,
                     "Precision %s: %s; linear GEMMs at %s x %.3g%s, other matmuls at the %s "
                     "peak, cast kernels of %.0f bytes per GEMM input element",
                     p->name, p->source,
                     mlsim_units_format(km->linear_flops, MLSIM_DIM_FLOPS, x, sizeof x),
                     km->linear_eff,
                     km->linear_measured ? "" : " (the 16-bit efficiency carried: errs optimistic)",
                     mlsim_precision_names[p->compute], p->cast_bytes);
    if (mlsim_kernel_ceiling_text(r->device, km, flag, sizeof flag)[0])
        mlsim_assume(a, "%s", flag);
}

/* What the framework's host work per kernel is and where it goes, when the run names one. */
static void framework_assumptions(const struct mlsim_run *r, struct mlsim_assumptions *a)
{
    const struct mlsim_framework_type *f = mlsim_framework_get(r->training.framework);
    if (!mlsim_framework_has_host_work(f))
        return;
    if (!mlsim_framework_offloaded(r->device->kind)) {
        mlsim_assume(a,
                     "Framework %s: %.3g us of host work per kernel, added to each kernel (the CPU "
                     "is its own host); %s",
                     f->name, f->dispatch_s * 1e6, f->source);
        return;
    }
    mlsim_assume(a,
                 "Framework %s: the host issues each kernel ahead of %s, %.3g us each (dispatch "
                 "%.3g us + launch %.3g us), and a kernel starts once issued and the device is "
                 "free; %.3g us of synchronisation ends each step (in inference, each batch); %s",
                 f->name, r->device->id, mlsim_framework_kernel_s(f, r->device->kind) * 1e6,
                 f->dispatch_s * 1e6, f->launch_s * 1e6, f->sync_s * 1e6, f->source);
}

/* What a framework's pipeline engine changes in a pipelined step (framework.h's switches). */
static void pipeline_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_framework_type *f = mlsim_framework_get(res->run->training.framework);
    if (!res->cluster || res->pp <= 1 || !(f->dp_after_flush || f->p2p_blocking))
        return;
    mlsim_assume(a, "Framework %s: %s%s%s; %s", f->name,
                 f->one_schedule ? mlsim_schedule_names[f->one_schedule - 1] : "",
                 f->p2p_blocking ? ", each send between stages blocking both stages' compute "
                                   "until it is received, in the engine's order"
                                 : "",
                 f->dp_after_flush ? ", gradients reduced only after the pipeline's flush" : "",
                 f->pipeline_source);
}

void mlsim_simulate_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_run *r = res->run;
    const struct mlsim_device *dev = r->device;
    char x[64], y[64], o[160];
    char cal[320];
    struct mlsim_kernel_model km;
    mlsim_kernel_model_init(dev, r->precision, &km);
    mlsim_kernel_model_attention(&km, dev, r->training.attention);
    mlsim_assume(a,
                 "Step simulated kernel by kernel on the discrete-event engine; MFU = model FLOPs "
                 "(forward and "
                 "backward, attention included, recomputation not) / (step time x peak)");
    if (r->params_from_shape)
        mlsim_model_assumptions(&r->model, a);
    mlsim_layout_expert_assumptions(r, a);
    if (r->shape_derived)
        mlsim_assume(
            a,
            "%s: shape derived from %s parameters by the GPT-3 family's rule (d_model ~ 128 x "
            "layers, "
            "heads of 128; Brown et al. 2020): %d layers of %d, %d heads, sequences of %d",
            r->name, mlsim_units_format(r->model.params, MLSIM_DIM_COUNT, y, sizeof y),
            r->model.layers, r->model.hidden, r->model.heads, r->model.seq_len);
    if (res->layout_chosen)
        mlsim_assume(
            a,
            "%s: layout chosen by mlsim, the least model parallelism that fits memory: tensor "
            "%d x pipeline "
            "%d x data %d%s, 1F1B, micro-batch %d, batch %d",
            r->name, res->tp, res->pp, res->dp,
            res->sharding == 0   ? ""
            : res->sharding == 1 ? " with ZeRO-1"
            : res->sharding == 2 ? " with ZeRO-2"
                                 : " with ZeRO-3",
            r->training.micro_batch, r->training.global_batch);
    mlsim_assume(
        a,
        "Kernel time = %.3g us + max(FLOPs / (%s x %.3g), bytes / (%s x %.3g)); efficiencies "
        "%s",
        km.overhead_s * 1e6, mlsim_units_format(km.peak_flops, MLSIM_DIM_FLOPS, x, sizeof x),
        km.gemm_eff, mlsim_units_format(km.mem_bw_Bps, MLSIM_DIM_BANDWIDTH, y, sizeof y),
        km.mem_eff,
        km.calibrated_gemm ? calibration_origin(dev, cal, sizeof cal)
                           : "are mlsim's defaults (median measured GEMM efficiency; A100 "
                             "streaming bandwidth; XLA's smallest GEMM time)");
    precision_assumptions(r, &km, a);
    if (r->model.type == MLSIM_MODEL_TRANSFORMER &&
        MLSIM_ATTENTION_IS_FUSED(r->training.attention)) {
        const struct mlsim_calibration *c = &dev->calibration;
        int cudnn = r->training.attention == MLSIM_ATTENTION_CUDNN;
        int own = cudnn ? c->cudnn_efficiency > 0 : c->flash_efficiency > 0;
        mlsim_assume(a, "Attention as %s at %.3g of the matmul peak (%s)",
                     cudnn ? "cuDNN's fused flash attention" : "FlashAttention-2", km.flash_eff,
                     own ? (cudnn ? "the device's calibration.cudnn_efficiency"
                                  : "the device's calibration.flash_efficiency")
                     : cudnn && c->flash_efficiency > 0
                         ? "no cuDNN figure for the device: FlashAttention-2's"
                         : "no attention measurement for the device: its GEMM efficiency");
    }
    mlsim_layout_cp_assumptions(r, res->tp, res->dp, a);
    char red[256];
    if (r->count > 1)
        mlsim_assume(a,
                     "Collectives and sends over %s at %.0f%% of its per-direction bandwidth%s; "
                     "%s; latencies from NCCL's tuning model (8.4 us + 3.4 us per step)",
                     r->link, 100.0 * link_efficiency(r), network_efficiency(r, o, sizeof o),
                     reduction_text(res, red, sizeof red));
    mlsim_torus_assumptions(r, res->tp, res->dp, a);
    if (r->training.overlap_tp && res->tp > 1 && r->training.sequence_parallel)
        mlsim_assume(a,
                     "Tensor-parallel all-gathers and reduce-scatters under the GEMMs beside "
                     "them, each GEMM in %d chunks (Megatron-LM --tp-comm-overlap, Transformer "
                     "Engine userbuffers): one chunk's worth of the shorter of the two left "
                     "exposed, the GEMM slowed by %.3g s per second of the collective under it",
                     res->tp, MLSIM_OVERLAP_SLOWDOWN);
    else if (r->training.overlap_tp && res->tp > 1)
        mlsim_assume(a, "training.overlap_tp is set, but without sequence parallelism it has "
                        "nothing to overlap (Megatron-LM needs both): the tensor-parallel "
                        "all-reduces stay serial");
    if (r->training.host_s > 0 &&
        mlsim_scenario_origin(r, "training.host_overhead", a->with_lines, o, sizeof o))
        mlsim_assume(a,
                     "Host work %s per step before the devices start (framework, data loading; %s)",
                     mlsim_units_format(r->training.host_s, MLSIM_DIM_TIME, x, sizeof x), o);
    framework_assumptions(r, a);
    pipeline_assumptions(res, a);
    char states[200], buffers[96] = "";
    double gathered = res->mem_bytes - res->mem_states_bytes - res->mem_act_bytes -
                      r->training.memory_reserve_bytes;
    if (res->cluster && res->sharding == MLSIM_SHARD_ZERO3 && res->dp > 1)
        snprintf(buffers, sizeof buffers, ", plus %s of layers gathered whole and their gradients",
                 mlsim_units_format(gathered, MLSIM_DIM_BYTES, x, sizeof x));
    mlsim_assume(a,
                 "Memory per device: weights, gradients and optimizer states at %s, plus "
                 "activations (Korthikanti et al. 2022, Eq. 1)%s%s",
                 states_text(res, states, sizeof states), buffers,
                 r->training.memory_reserve_bytes > 0
                     ? " plus the reserve given"
                     : "; no allowance for the CUDA context or fragmentation");
    if (mlsim_schema_given(&mlsim_run_schema, r, "mfu"))
        mlsim_assume(
            a, "The scenario's assumed MFU %s is shown beside the simulated %s for comparison",
            mlsim_units_format(r->mfu, MLSIM_DIM_RATIO, x, sizeof x),
            mlsim_units_format(res->mfu, MLSIM_DIM_RATIO, y, sizeof y));
    mlsim_cost_assumptions(res, a);
}

void mlsim_inference_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_run *r = res->run;
    const struct mlsim_device *dev = r->device;
    char x[64], y[64];
    struct mlsim_kernel_model km;
    mlsim_kernel_model_init_uniform(dev, r->precision, &km);
    if (!mlsim_framework_has_host_work(mlsim_framework_get(r->training.framework)))
        mlsim_assume(a, "Inference latency = inputs copied to the device over its PCIe link + the "
                        "forward kernels + outputs copied back; no host, driver or framework time, "
                        "no queueing of requests");
    else
        mlsim_assume(a, "Inference latency = inputs copied to the device over its PCIe link, the "
                        "forward kernels as the framework issues them, outputs copied back; no "
                        "queueing of requests");
    framework_assumptions(r, a);
    mlsim_assume(
        a,
        "Kernel time = %.3g us + max(FLOPs / (%s x %.3g), bytes / (%s x %.3g)): weights are "
        "read from "
        "device memory by every batch",
        km.overhead_s * 1e6, mlsim_units_format(km.peak_flops, MLSIM_DIM_FLOPS, x, sizeof x),
        km.gemm_eff, mlsim_units_format(km.mem_bw_Bps, MLSIM_DIM_BANDWIDTH, y, sizeof y),
        km.mem_eff);
    mlsim_assume(
        a, "Activations pass through device memory between kernels: a chip that keeps them on "
           "chip (the "
           "TPU v1's 24 MiB unified buffer) does better than this, one with host and launch "
           "costs per step "
           "(the K80's 2017 software) worse");
    mlsim_assume(a,
                 "The largest batch whose latency stays under %s, found by doubling and bisection",
                 mlsim_units_format(r->latency_bound_s, MLSIM_DIM_TIME, x, sizeof x));
}
