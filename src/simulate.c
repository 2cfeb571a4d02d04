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
#include "mlsim/kernel.h"
#include "mlsim/pipeline.h"
#include "mlsim/step.h"
#include "mlsim/units.h"
#include "mlsim/workload.h"

double mlsim_precision_elem_bytes(int precision)
{
    switch (precision) {
    case MLSIM_PRECISION_FP64:
        return 8.0;
    case MLSIM_PRECISION_FP32:
    case MLSIM_PRECISION_TF32:
        return 4.0;
    case MLSIM_PRECISION_INT8:
        return 1.0;
    default:
        return 2.0;
    }
}

static void spec_of(const struct mlsim_run *r, int micro_batch, int recompute,
                    struct mlsim_workload_spec *s)
{
    memset(s, 0, sizeof *s);
    s->tp = r->training.tp > 0 ? r->training.tp : 1;
    s->sequence_parallel = r->training.sequence_parallel;
    s->is_mlp = r->model.type == 1;
    s->layers = r->model.layers;
    s->hidden = r->model.hidden;
    s->heads = r->model.heads;
    s->kv_heads = r->model.kv_heads;
    s->ffn = r->model.ffn;
    s->seq_len = r->model.seq_len;
    s->vocab = r->model.vocab;
    s->gated_mlp = r->model.gated_mlp;
    memcpy(s->widths, r->model.widths, sizeof s->widths);
    s->n_widths = r->model.n_widths;
    s->micro_batch = micro_batch;
    s->recompute = recompute;
    s->attention = r->training.attention;
    s->optimizer = r->training.optimizer;
    s->elem_bytes = mlsim_precision_elem_bytes(r->precision);
}

/* Memory per device for the run's shape at MICRO_BATCH and RECOMPUTE; 0 if the shape is bad. */
static double memory_need(const struct mlsim_run *r, int micro_batch, int recompute)
{
    struct mlsim_workload_spec s;
    struct mlsim_workload w;
    spec_of(r, micro_batch, recompute, &s);
    if (mlsim_workload_build(&s, &w) != MLSIM_OK)
        return 0;
    double need = w.params * w.state_bytes_per_param + w.act_bytes_per_micro +
                  r->training.memory_reserve_bytes;
    mlsim_workload_release(&w);
    return need;
}

static void report_no_fit(const struct mlsim_run *r, double need, struct mlsim_diags *d)
{
    char have[64], want[64], alt[256] = "";
    const double gib = 1073741824.0;
    size_t used = 0;
    snprintf(want, sizeof want, "%.1f GiB", need / gib);
    snprintf(have, sizeof have, "%.0f GiB", r->device->mem_bytes / gib);
    if (r->training.recompute != MLSIM_RECOMPUTE_FULL) {
        double full = memory_need(r, r->training.micro_batch, MLSIM_RECOMPUTE_FULL);
        int w = snprintf(alt + used, sizeof alt - used, "training.recompute: full needs %.1f GiB",
                         full / gib);
        used += w > 0 ? (size_t)w : 0;
    }
    if (r->training.micro_batch > 1 && used < sizeof alt) {
        double one = memory_need(r, 1, r->training.recompute);
        int w = snprintf(alt + used, sizeof alt - used, "%straining.micro_batch: 1 needs %.1f GiB",
                         used ? "; " : "", one / gib);
        used += w > 0 ? (size_t)w : 0;
    }
    if (used < sizeof alt)
        snprintf(alt + used, sizeof alt - used,
                 "%sa device with more memory, or sharding the model "
                 "(tensor, pipeline or ZeRO parallelism)",
                 used ? "; or " : "");
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                       "run '%s' needs %s per device, %s has %s (try: %s)", r->name, want,
                       r->device->id, have, alt);
}

static void step_config(const struct mlsim_run *r, const struct mlsim_workload *w,
                        const struct mlsim_kernel_model *km, struct mlsim_step_config *c)
{
    const struct mlsim_device *dev = r->device;
    memset(c, 0, sizeof *c);
    c->w = w;
    c->km = km;
    c->dp = r->count;
    c->grad_accum = r->training.global_batch / (r->training.micro_batch * r->count);
    c->bucket_bytes = r->training.bucket_bytes;
    c->grad_elem_bytes = mlsim_precision_elem_bytes(r->precision);
    c->algo = mlsim_collective_find("ring");
    c->overlap_comm = r->training.overlap_comm;
    c->host_s = r->training.host_s;
    for (int i = 0; i < dev->n_links; i++) {
        const struct mlsim_link *l = &dev->links[i];
        if (strcmp(l->name, r->link) == 0) {
            c->link.bw_Bps = l->bw_each_Bps * mlsim_link_efficiency(l->type);
            c->link.step_s =
                l->latency_s > 0 ? l->latency_s : MLSIM_COLLECTIVE_NVLINK_STEP_LATENCY_S;
            c->link.base_s = MLSIM_COLLECTIVE_BASE_LATENCY_S;
        }
        if (l->type == MLSIM_LINK_PCIE && c->h2d_Bps <= 0)
            c->h2d_Bps = l->bw_each_Bps;
    }
}

static void fill_result(const struct mlsim_run *r, const struct mlsim_workload *w,
                        const struct mlsim_step_config *c, const struct mlsim_step_result *sr,
                        struct mlsim_result *out)
{
    double peak = r->device->peak_flops[r->precision];
    double per_step_tokens =
        (double)r->training.global_batch * (r->model.type == 0 ? r->model.seq_len : 1);
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
    out->steps = r->model.tokens / per_step_tokens;
    out->events = sr->events;
    out->busy_fraction = sr->compute_s / sr->step_s;
    /* The run's FLOPs as the model counts them (per token: forward and backward of every weight and
     * of attention), so time = FLOPs / (devices x peak x MFU) holds as in analytic mode. */
    out->flops = model_flops_step * r->count * out->steps;
    out->time_s = out->steps * sr->step_s;
    mlsim_cost_finish(r, out->time_s * r->count, out->busy_fraction, out);
}

/* The links of the layout: tensor parallelism stays in a node (NVLink); pipeline neighbours and
 * data-parallel peers use the network when their group spans nodes (Megatron-LM's rank order:
 * tensor ranks innermost, then data, then pipeline), with one NIC's share per device. */
static void cluster_links(const struct mlsim_run *r, struct mlsim_cluster_config *c)
{
    const struct mlsim_device *dev = r->device;
    struct mlsim_link_cost fast = {0, MLSIM_COLLECTIVE_NVLINK_STEP_LATENCY_S,
                                   MLSIM_COLLECTIVE_BASE_LATENCY_S};
    for (int i = 0; i < dev->n_links; i++) {
        if (strcmp(dev->links[i].name, r->link) == 0) {
            fast.bw_Bps = dev->links[i].bw_each_Bps * mlsim_link_efficiency(dev->links[i].type);
            if (dev->links[i].latency_s > 0)
                fast.step_s = dev->links[i].latency_s;
        }
    }
    /* the network's type comes with a system; a bandwidth given alone is taken at face value */
    double net_eff = r->system ? mlsim_link_efficiency(r->system->network.type) : 1.0;
    struct mlsim_link_cost net = {r->nic_bw_Bps * net_eff / r->node_size,
                                  r->nic_latency_s > 0 ? r->nic_latency_s
                                                       : MLSIM_COLLECTIVE_NVLINK_STEP_LATENCY_S,
                                  MLSIM_COLLECTIVE_BASE_LATENCY_S};
    int group = c->tp * c->dp; /* devices of one pipeline stage */
    c->tp_link = fast;
    c->pp_link = group >= r->node_size && net.bw_Bps > 0 ? net : fast;
    c->dp_link = group > r->node_size && net.bw_Bps > 0 ? net : fast;
    /* A node holds node_size / tp ranks of each data-parallel group: those reduce on the fast link
     * and each reaches the other nodes through its own NIC (NCCL runs one ring per NIC). */
    c->dp_intra = fast;
    c->dp_per_node = group > r->node_size && c->tp < r->node_size ? r->node_size / c->tp : 1;
    c->share_nic = group > r->node_size && net.bw_Bps > 0;
}

static enum mlsim_status simulate_cluster(const struct mlsim_run *run,
                                          const struct mlsim_kernel_model *km,
                                          struct mlsim_result *out, struct mlsim_sim **keep,
                                          struct mlsim_diags *d)
{
    const struct mlsim_training *t = &run->training;
    struct mlsim_cluster_config c;
    struct mlsim_cluster_result cr;
    memset(&c, 0, sizeof c);
    spec_of(run, t->micro_batch, t->recompute, &c.spec);
    c.km = km;
    c.tp = t->tp;
    c.pp = t->pp;
    c.dp = run->count / (t->tp * t->pp);
    c.interleave = t->interleave;
    c.microbatches = t->global_batch / (t->micro_batch * c.dp);
    c.schedule = t->schedule;
    c.sharding = t->sharding;
    c.overlap_comm = t->overlap_comm;
    c.grad_elem_bytes = mlsim_precision_elem_bytes(run->precision);
    c.algo = mlsim_collective_find("ring");
    cluster_links(run, &c);
    enum mlsim_status st = mlsim_cluster_simulate(&c, &cr, keep);
    if (st == MLSIM_ERR_INPUT)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, run->loc,
                           "run '%s': this parallel layout cannot be built", run->name);
    if (st != MLSIM_OK)
        return st;
    out->mem_bytes = cr.mem_bytes + t->memory_reserve_bytes;
    out->mem_states_bytes = cr.mem_states_bytes;
    out->mem_act_bytes = cr.mem_act_bytes;
    if (out->mem_bytes > run->device->mem_bytes && run->device->mem_bytes > 0) {
        report_no_fit(run, out->mem_bytes, d);
        if (keep) {
            mlsim_sim_free(*keep);
            *keep = NULL;
        }
        return MLSIM_ERR_INPUT;
    }
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
    out->steps = run->model.tokens / tokens_step;
    out->events = cr.events;
    out->busy_fraction = cr.compute_s / cr.step_s;
    /* The closed form of a pipeline (Narayanan et al. 2021, Sec. 2.2): m micro-batches plus a
     * bubble of (p - 1) / v of them, then the data-parallel reduction and the update, unhidden. */
    double per_micro = cr.compute_s / (c.microbatches + 0.0);
    double v = t->schedule == MLSIM_SCHEDULE_INTERLEAVED ? t->interleave : 1.0;
    out->closed_form_step_s =
        per_micro * (c.microbatches + (t->pp - 1) / v) + cr.dp_comm_s + t->host_s;
    out->flops = cr.model_flops * out->steps;
    out->time_s = out->steps * cr.step_s;
    mlsim_cost_finish(run, out->time_s * run->count, out->busy_fraction, out);
    /* the pipeline simulated, for the report (cluster.c takes one chunk unless interleaved) */
    out->schedule = t->schedule;
    out->interleave = t->schedule == MLSIM_SCHEDULE_INTERLEAVED ? t->interleave : 1;
    out->sharding = t->sharding;
    return MLSIM_OK;
}

/* Whether layout TP x PP tiles RUN (heads, layers, devices, batch). */
static int layout_tiles(const struct mlsim_run *run, int tp, int pp)
{
    const struct mlsim_training *t = &run->training;
    int kv = run->model.kv_heads > 0 ? run->model.kv_heads : run->model.heads;
    if (tp > run->node_size || run->model.heads % tp || kv % tp || run->model.layers % pp ||
        run->count % (tp * pp))
        return 0;
    int dp = run->count / (tp * pp);
    return t->global_batch % (t->micro_batch * dp) == 0;
}

/* The simplest layout that fits: the least model parallelism (tp x pp), tensor parallelism inside
 * a node before pipeline stages (Narayanan et al. 2021, Sec. 3.3's guidance), 1F1B; the run is
 * simulated with it and the report says what was chosen. */
static enum mlsim_status simulate_chosen_layout(const struct mlsim_run *run,
                                                const struct mlsim_kernel_model *km,
                                                struct mlsim_result *out, struct mlsim_sim **keep,
                                                struct mlsim_diags *d)
{
    struct mlsim_run r = *run;
    int best_tp = 0, best_pp = 0, best_shard = 0;
    /* Without sharding first; then with the optimizer states sharded (ZeRO-1), which costs no more
     * communication than the all-reduce it replaces (Rajbhandari et al. 2020, Sec. 7); last with
     * everything sharded (ZeRO-3), which gathers the weights before each use. */
    static const int shardings[] = {-1, MLSIM_SHARD_ZERO1, MLSIM_SHARD_ZERO3};
    for (int shard = 0; shard < 3 && !best_tp; shard++) {
        for (int mp = 1; mp <= run->count && !best_tp; mp++) {
            for (int tp = mp < run->node_size ? mp : run->node_size; tp >= 1 && !best_tp; tp--) {
                int pp = mp / tp;
                if (mp % tp != 0 || !layout_tiles(run, tp, pp))
                    continue;
                r.training.tp = tp;
                r.training.pp = pp;
                r.training.schedule = MLSIM_SCHEDULE_1F1B;
                r.training.sharding =
                    shardings[shard] < 0 ? run->training.sharding : shardings[shard];
                struct mlsim_result trial;
                struct mlsim_diags *quiet = mlsim_diags_alloc();
                if (!quiet)
                    return MLSIM_ERR_NOMEM;
                enum mlsim_status st = simulate_cluster(&r, km, &trial, NULL, quiet);
                mlsim_diags_free(quiet);
                if (st == MLSIM_OK) {
                    best_tp = tp;
                    best_pp = pp;
                    best_shard = r.training.sharding;
                }
            }
        }
    }
    if (!best_tp) {
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, run->loc,
            "run '%s': no tensor x pipeline layout of %d x %s fits (set training.tp, training.pp "
            "and training.sharding to try others)",
            run->name, run->count, run->device->id);
        return MLSIM_ERR_INPUT;
    }
    r.training.tp = best_tp;
    r.training.pp = best_pp;
    r.training.sharding = best_shard;
    enum mlsim_status st = simulate_cluster(&r, km, out, keep, d);
    out->sharding = best_shard;
    out->run = run;
    out->tp = best_tp;
    out->pp = best_pp;
    out->dp = run->count / (best_tp * best_pp);
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
    if (run->layout_derived) {
        mlsim_kernel_model_init(run->device, run->precision, &km);
        return simulate_chosen_layout(run, &km, out, keep, d);
    }
    if (t->tp > 1 || t->pp > 1 || run->count > node) {
        mlsim_kernel_model_init(run->device, run->precision, &km);
        enum mlsim_status st = simulate_cluster(run, &km, out, keep, d);
        out->tp = t->tp;
        out->pp = t->pp;
        out->dp = run->count / (t->tp * t->pp);
        return st;
    }
    spec_of(run, run->training.micro_batch, run->training.recompute, &spec);
    enum mlsim_status st = mlsim_workload_build(&spec, &w);
    if (st == MLSIM_ERR_INPUT)
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, run->loc,
            "run '%s': impossible model shape (heads must divide hidden, kv_heads divide heads)",
            run->name);
    if (st != MLSIM_OK)
        return st;
    out->mem_states_bytes = w.params * w.state_bytes_per_param;
    out->mem_act_bytes = w.act_bytes_per_micro;
    out->mem_bytes =
        out->mem_states_bytes + out->mem_act_bytes + run->training.memory_reserve_bytes;
    if (out->mem_bytes > run->device->mem_bytes && run->device->mem_bytes > 0) {
        report_no_fit(run, out->mem_bytes, d);
        mlsim_workload_release(&w);
        return MLSIM_ERR_INPUT;
    }
    mlsim_kernel_model_init(run->device, run->precision, &km);
    step_config(run, &w, &km, &c);
    st = mlsim_step_simulate(&c, &sr, keep);
    if (st == MLSIM_OK)
        fill_result(run, &w, &c, &sr, out);
    mlsim_workload_release(&w);
    return st;
}

/* Latency of one forward pass of BATCH inputs of RUN on its device. */
static enum mlsim_status forward_latency(const struct mlsim_run *run,
                                         const struct mlsim_kernel_model *km, double h2d_Bps,
                                         int batch, double *latency)
{
    struct mlsim_workload_spec spec;
    struct mlsim_workload w;
    spec_of(run, batch, MLSIM_RECOMPUTE_NONE, &spec);
    enum mlsim_status st = mlsim_workload_build(&spec, &w);
    if (st != MLSIM_OK)
        return st;
    double t = 0;
    for (size_t i = 0; i < w.n_fwd; i++)
        t += mlsim_kernel_time(km, &w.fwd[i]);
    if (h2d_Bps > 0) {
        double out_elems =
            run->model.type == 1 ? run->model.widths[run->model.n_widths - 1] : run->model.vocab;
        double in_bytes = run->model.type == 1
                              ? (double)batch * run->model.widths[0] * spec.elem_bytes
                              : w.input_bytes_per_micro;
        t += (in_bytes + (double)batch * out_elems * spec.elem_bytes) / h2d_Bps;
    }
    *latency = t;
    mlsim_workload_release(&w);
    return MLSIM_OK;
}

enum mlsim_status mlsim_inference_estimate(const struct mlsim_run *run, struct mlsim_result *out,
                                           struct mlsim_diags *d)
{
    struct mlsim_kernel_model km;
    double h2d = 0, lat = 0;
    memset(out, 0, sizeof *out);
    mlsim_kernel_model_init(run->device, run->precision, &km);
    for (int i = 0; i < run->device->n_links; i++) {
        if (run->device->links[i].type == MLSIM_LINK_PCIE && h2d <= 0)
            h2d = run->device->links[i].bw_each_Bps;
    }
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
    spec_of(run, lo, MLSIM_RECOMPUTE_NONE, &spec);
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
