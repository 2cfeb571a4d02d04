/*
 * Build and run the step DAG. Kernels on one stream need no edges between them: the stream
 * serves them in issue order. Edges join the streams: a micro-batch's first kernel waits for its
 * input copy; each gradient bucket waits for the backward kernel that completes it; the optimizer
 * waits for every bucket.
 */
#include "mlsim/step.h"

#include <stdlib.h>

#include "mlsim/fold.h"

struct builder {
    struct mlsim_sim *sim;
    const struct mlsim_step_config *c;
    int compute, comm, copy, host;
    enum mlsim_status st;
    int64_t last;          /* the last compute kernel issued */
    int64_t last_bwd, opt; /* the wait between them is exposed communication */
};

static int64_t add(struct builder *b, const char *name, int res, int cat, int layer, int micro,
                   double dur, double flops, double bytes)
{
    struct mlsim_sim_task t = {name, res, cat, layer, micro, dur, flops, bytes, 0, 0, 0};
    int64_t id = mlsim_sim_task(b->sim, &t);
    if (id < 0 && b->st == MLSIM_OK)
        b->st = mlsim_sim_status(b->sim); /* out of memory, or past MLSIM_SIM_MAX_TASKS */
    return id;
}

static void depend(struct builder *b, int64_t task, int64_t on)
{
    if (b->st == MLSIM_OK && task >= 0 && on >= 0)
        b->st = mlsim_sim_depend(b->sim, task, on);
}

/* Kernel K on the compute stream. Where the host issues kernels, it first spends the
 * framework's time per kernel on the host stream and the kernel waits for that; where the host
 * is the device, that time is the kernel's own. */
static int64_t add_kernel(struct builder *b, const struct mlsim_kernel *k, int micro)
{
    const struct mlsim_step_config *c = b->c;
    double t = mlsim_kernel_time(c->km, k);
    int64_t issued = -1;
    if (c->host_issues && c->kernel_host_s > 0)
        issued =
            add(b, "host.launch", b->host, MLSIM_CAT_HOST, k->layer, micro, c->kernel_host_s, 0, 0);
    else
        t += c->kernel_host_s;
    int64_t id =
        add(b, k->name, b->compute, MLSIM_CAT_COMPUTE, k->layer, micro, t, k->flops, k->bytes);
    depend(b, id, issued);
    b->last = id;
    return id;
}

static double bucket_time(const struct mlsim_step_config *c, double params)
{
    return c->algo->time(MLSIM_COLL_ALL_REDUCE, c->dp, params * c->grad_elem_bytes, &c->link);
}

/* The all-reduce of PARAMS gradients, after task AFTER; appended to BUCKETS. */
static void add_bucket(struct builder *b, double params, int64_t after, int64_t *buckets, size_t *n)
{
    double bytes = params * b->c->grad_elem_bytes;
    int64_t id =
        add(b, "allreduce", b->comm, MLSIM_CAT_COMM, -1, -1, bucket_time(b->c, params), 0, bytes);
    depend(b, id, after);
    buckets[(*n)++] = id;
    if (b->c->overlap_comm && b->c->overlap_slowdown > 0) /* the SMs it takes from the backward */
        depend(b,
               add(b, "overlap.contention", b->compute, MLSIM_CAT_COMPUTE, -1, -1,
                   b->c->overlap_slowdown * bucket_time(b->c, params), 0, 0),
               after);
}

/* Whether backward kernel I of W completes a bucket: buckets close at layer boundaries once they
 * hold BUCKET_BYTES of gradients, and the last kernel closes the rest. *PENDING carries the
 * parameters gathered so far and receives 0 when a bucket closes; the closed bucket's size goes
 * to *CLOSED. Shared by the simulation and the closed form so both cut the same buckets. */
static int closes_bucket(const struct mlsim_step_config *c, size_t i, double *pending,
                         double *closed)
{
    const struct mlsim_workload *w = c->w;
    const struct mlsim_kernel *k = &w->bwd[i];
    int layer_done = k->layer >= 0 && (i + 1 == w->n_bwd || w->bwd[i + 1].layer != k->layer);
    if (layer_done)
        *pending += w->layer_params[k->layer];
    int last = i + 1 == w->n_bwd;
    if ((*pending * c->grad_elem_bytes >= c->bucket_bytes && *pending > 0) ||
        (last && *pending > 0)) {
        *closed = *pending;
        *pending = 0;
        return 1;
    }
    return 0;
}

/* Backward kernels of the last micro-batch; with overlap each bucket starts as soon as it is
 * complete, without it every bucket waits for the end of the backward pass. */
static int64_t last_backward(struct builder *b, int micro, int64_t *buckets, size_t *n_buckets)
{
    const struct mlsim_workload *w = b->c->w;
    double pending = 0, closed = 0;
    double *deferred = malloc((w->n_bwd + 1) * sizeof *deferred);
    size_t n_deferred = 0;
    int64_t id = -1;
    if (!deferred) {
        b->st = MLSIM_ERR_NOMEM;
        return -1;
    }
    for (size_t i = 0; i < w->n_bwd; i++) {
        id = add_kernel(b, &w->bwd[i], micro);
        if (b->comm < 0 || !closes_bucket(b->c, i, &pending, &closed))
            continue;
        if (b->c->overlap_comm)
            add_bucket(b, closed, id, buckets, n_buckets);
        else
            deferred[n_deferred++] = closed;
    }
    for (size_t j = 0; j < n_deferred; j++)
        add_bucket(b, deferred[j], id, buckets, n_buckets);
    free(deferred);
    return id;
}

static enum mlsim_status build(struct builder *b, int64_t *buckets, size_t *n_buckets)
{
    const struct mlsim_step_config *c = b->c;
    const struct mlsim_workload *w = c->w;
    b->compute = mlsim_sim_resource(b->sim, "compute");
    b->comm = c->dp > 1 ? mlsim_sim_resource(b->sim, "comm") : -1;
    b->copy = c->h2d_Bps > 0 ? mlsim_sim_resource(b->sim, "h2d copy") : -1;
    int host_work = c->host_s > 0 || c->sync_s > 0 || (c->host_issues && c->kernel_host_s > 0);
    b->host = host_work ? mlsim_sim_resource(b->sim, "host") : -1;
    int64_t host = -1;
    if (c->host_s > 0)
        host = add(b, "host.step", b->host, MLSIM_CAT_HOST, -1, -1, c->host_s, 0, 0);
    for (int m = 0; m < c->grad_accum && b->st == MLSIM_OK; m++) {
        int64_t copy = -1;
        if (b->copy >= 0) {
            copy = add(b, "input.h2d", b->copy, MLSIM_CAT_COPY, -1, m,
                       w->input_bytes_per_micro / c->h2d_Bps, 0, w->input_bytes_per_micro);
            depend(b, copy, host);
        }
        for (size_t i = 0; i < w->n_fwd; i++) {
            int64_t id = add_kernel(b, &w->fwd[i], m);
            if (i == 0) {
                depend(b, id, copy);
                depend(b, id, host);
            }
        }
        if (m + 1 < c->grad_accum) {
            for (size_t i = 0; i < w->n_bwd; i++)
                add_kernel(b, &w->bwd[i], m);
        } else {
            b->last_bwd = last_backward(b, m, buckets, n_buckets);
        }
    }
    for (size_t i = 0; i < w->n_opt; i++) {
        b->opt = add_kernel(b, &w->opt[i], -1);
        for (size_t j = 0; j < *n_buckets; j++)
            depend(b, b->opt, buckets[j]);
    }
    if (c->sync_s > 0) /* the host waits for the step's last kernel, then reads the loss */
        depend(b, add(b, "host.sync", b->host, MLSIM_CAT_HOST, -1, -1, c->sync_s, 0, 0), b->last);
    return b->st;
}

/* The closed form's clock where the framework does host work per kernel: HOST is when the host
 * is free, DEV when the device is. */
struct clock {
    double host, dev;
};

static void issue(const struct mlsim_step_config *c, const struct mlsim_kernel *k, struct clock *t)
{
    double d = mlsim_kernel_time(c->km, k);
    if (!c->host_issues) {
        t->dev += d + c->kernel_host_s;
        return;
    }
    t->host += c->kernel_host_s;
    t->dev = (t->dev > t->host ? t->dev : t->host) + d;
}

/* The closed form with the framework's host work: the kernels in the order the step issues them
 * (micro-batch by micro-batch, then the buckets after the backward pass, then the optimizer). */
static double closed_with_host(const struct mlsim_step_config *c)
{
    const struct mlsim_workload *w = c->w;
    struct clock t = {c->host_s, c->host_s};
    if (c->h2d_Bps > 0)
        t.dev += w->input_bytes_per_micro / c->h2d_Bps;
    for (int m = 0; m < c->grad_accum; m++) {
        for (size_t i = 0; i < w->n_fwd; i++)
            issue(c, &w->fwd[i], &t);
        for (size_t i = 0; i < w->n_bwd; i++)
            issue(c, &w->bwd[i], &t);
    }
    if (c->dp > 1) {
        double pending = 0, closed = 0;
        for (size_t i = 0; i < w->n_bwd; i++) {
            if (closes_bucket(c, i, &pending, &closed))
                t.dev += bucket_time(c, closed);
        }
    }
    for (size_t i = 0; i < w->n_opt; i++)
        issue(c, &w->opt[i], &t);
    double end = t.dev > t.host ? t.dev : t.host;
    return end + c->sync_s;
}

double mlsim_step_closed_form(const struct mlsim_step_config *c)
{
    const struct mlsim_workload *w = c->w;
    if (c->kernel_host_s > 0 || c->sync_s > 0)
        return closed_with_host(c);
    double micro = 0, t = 0;
    for (size_t i = 0; i < w->n_fwd; i++)
        micro += mlsim_kernel_time(c->km, &w->fwd[i]);
    for (size_t i = 0; i < w->n_bwd; i++)
        micro += mlsim_kernel_time(c->km, &w->bwd[i]);
    t = micro * c->grad_accum;
    for (size_t i = 0; i < w->n_opt; i++)
        t += mlsim_kernel_time(c->km, &w->opt[i]);
    if (c->h2d_Bps > 0)
        t += w->input_bytes_per_micro / c->h2d_Bps;
    t += c->host_s;
    if (c->dp > 1) {
        double pending = 0, closed = 0;
        for (size_t i = 0; i < w->n_bwd; i++) {
            if (closes_bucket(c, i, &pending, &closed))
                t += bucket_time(c, closed);
        }
    }
    return t;
}

static enum mlsim_status step_once(const struct mlsim_step_config *c, struct mlsim_step_result *r,
                                   struct mlsim_sim **keep)
{
    struct builder b = {mlsim_sim_alloc(), c, -1, -1, -1, -1, MLSIM_OK, -1, -1, -1};
    size_t max_buckets = c->w->n_bwd + 1; /* at most one per backward kernel */
    int64_t *buckets = malloc(max_buckets * sizeof *buckets);
    size_t n_buckets = 0;
    r->folded = 0;
    if (keep)
        *keep = NULL;
    if (!b.sim || !buckets) {
        mlsim_sim_free(b.sim);
        free(buckets);
        return MLSIM_ERR_NOMEM;
    }
    enum mlsim_status st = build(&b, buckets, &n_buckets);
    free(buckets);
    if (st == MLSIM_OK)
        st = mlsim_sim_run(b.sim);
    if (st == MLSIM_OK) {
        r->step_s = mlsim_sim_makespan(b.sim);
        r->compute_s = mlsim_sim_resource_busy(b.sim, b.compute);
        r->comm_s = b.comm >= 0 ? mlsim_sim_resource_busy(b.sim, b.comm) : 0.0;
        r->copy_s = b.copy >= 0 ? mlsim_sim_resource_busy(b.sim, b.copy) : 0.0;
        const struct mlsim_sim_task *lb = mlsim_sim_task_get(b.sim, b.last_bwd);
        const struct mlsim_sim_task *op = mlsim_sim_task_get(b.sim, b.opt);
        r->exposed_comm_s = lb && op ? op->start_s - lb->end_s : 0.0;
        r->closed_form_s = mlsim_step_closed_form(c);
        r->events = mlsim_sim_events(b.sim);
        r->tasks = mlsim_sim_task_count(b.sim);
    }
    if (keep && st == MLSIM_OK)
        *keep = b.sim;
    else
        mlsim_sim_free(b.sim);
    return st;
}

enum mlsim_status mlsim_step_simulate(const struct mlsim_step_config *c,
                                      struct mlsim_step_result *r, struct mlsim_sim **keep)
{
    if (keep || c->no_fold || c->grad_accum < 64)
        return step_once(c, r, keep);
    static const int g[4] = {4, 5, 6, 24};
    struct mlsim_step_config short_c = *c;
    struct mlsim_step_result p[4];
    double step[4], compute[4], copy[4], comm[4];
    for (int i = 0; i < 4; i++) {
        short_c.grad_accum = g[i];
        enum mlsim_status st = step_once(&short_c, &p[i], NULL);
        if (st != MLSIM_OK)
            return st;
        step[i] = p[i].step_s;
        compute[i] = p[i].compute_s;
        copy[i] = p[i].copy_s;
        comm[i] = p[i].comm_s;
    }
    if (!mlsim_fold_on_line(step, g, 4) || !mlsim_fold_on_line(compute, g, 4) ||
        !mlsim_fold_on_line(copy, g, 4) || !mlsim_fold_on_line(comm, g, 4))
        return step_once(c, r, NULL);
    double a = g[2], b = g[3], x = c->grad_accum;
    *r = p[3];
    r->step_s = mlsim_fold_extend(p[2].step_s, p[3].step_s, a, b, x);
    r->compute_s = mlsim_fold_extend(p[2].compute_s, p[3].compute_s, a, b, x);
    r->comm_s = mlsim_fold_extend(p[2].comm_s, p[3].comm_s, a, b, x);
    r->copy_s = mlsim_fold_extend(p[2].copy_s, p[3].copy_s, a, b, x);
    r->exposed_comm_s = mlsim_fold_extend(p[2].exposed_comm_s, p[3].exposed_comm_s, a, b, x);
    r->closed_form_s = mlsim_step_closed_form(c);
    r->events = p[0].events + p[1].events + p[2].events + p[3].events;
    r->folded = 1;
    return MLSIM_OK;
}
