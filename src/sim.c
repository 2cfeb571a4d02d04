/*
 * The engine. Dependencies are collected as edges while the DAG is built and turned into
 * compressed arrays (dependents of each task, tasks of each stream in order) once, when run
 * starts; the event loop then allocates nothing.
 */
#include "mlsim/sim.h"

#include <stdlib.h>
#include <string.h>

#include "mlsim/evq.h"
#include "mlsim/mem.h"

struct edge {
    int64_t from, to;
};

struct resource {
    const char *name;
    int group;
    size_t first, count; /* its tasks in stream_tasks[first .. first+count) */
    size_t head;         /* next to serve, relative to first */
    int busy;
    double busy_s;
};

/* A shared link: the tasks on it now, each with the work (seconds alone) it has left. */
struct link {
    const char *name;
    size_t first, count; /* its slots in link_active[first .. first+count) */
    size_t n_active;
    double since; /* when the remaining work was last brought up to date */
    double busy_s;
};

struct mlsim_sim {
    struct mlsim_sim_task *tasks;
    size_t n_tasks, cap_tasks;
    struct resource *res;
    size_t n_res, cap_res;
    struct link *links; /* links[0] unused: link 0 means none */
    size_t n_links, cap_links;
    struct edge *edges;
    size_t n_edges, cap_edges;
    /* built by run */
    int64_t
        *dependents; /* CSR: dependents of task t in dependents[dep_first[t] .. dep_first[t+1]) */
    size_t *dep_first;
    int64_t *stream_tasks;
    uint32_t *waiting;    /* unfinished dependencies of each task */
    int64_t *link_active; /* the tasks on each link now */
    double *left;         /* work left to a task on a link, seconds alone */
    double *due;          /* its completion as last scheduled; other events for it are stale */
    struct mlsim_evq *q;
    double now;
    uint64_t events;
    mlsim_sim_done_fn on_done;
    void *ctx;
    enum mlsim_status status; /* the first failure while building, returned by run */
};

struct mlsim_sim *mlsim_sim_alloc(void)
{
    return calloc(1, sizeof(struct mlsim_sim));
}

void mlsim_sim_free(struct mlsim_sim *sim)
{
    if (!sim)
        return;
    free(sim->tasks);
    free(sim->res);
    free(sim->links);
    free(sim->link_active);
    free(sim->left);
    free(sim->due);
    free(sim->edges);
    free(sim->dependents);
    free(sim->dep_first);
    free(sim->stream_tasks);
    free(sim->waiting);
    mlsim_evq_free(sim->q);
    free(sim);
}

/* Record ST as the first failure of building SIM. */
static void fail(struct mlsim_sim *sim, enum mlsim_status st)
{
    if (sim->status == MLSIM_OK)
        sim->status = st;
}

/* Make room for element N of SIZE bytes in *ARR of *CAP; on failure record it in SIM. */
static int grow(struct mlsim_sim *sim, void **arr, size_t *cap, size_t n, size_t size)
{
    enum mlsim_status st = mlsim_mem_grow(arr, cap, n + 1, size);
    if (st != MLSIM_OK)
        fail(sim, st);
    return st == MLSIM_OK;
}

int mlsim_sim_resource(struct mlsim_sim *sim, const char *name)
{
    return mlsim_sim_resource_group(sim, name, -1);
}

int mlsim_sim_link(struct mlsim_sim *sim, const char *name)
{
    if (sim->n_links == 0)
        sim->n_links = 1;
    void *links = sim->links;
    int ok = grow(sim, &links, &sim->cap_links, sim->n_links, sizeof *sim->links);
    sim->links = links;
    if (!ok)
        return -1;
    struct link *l = &sim->links[sim->n_links];
    memset(l, 0, sizeof *l);
    l->name = name;
    return (int)sim->n_links++;
}

int mlsim_sim_resource_group_of(const struct mlsim_sim *sim, int resource)
{
    return resource >= 0 && (size_t)resource < sim->n_res ? sim->res[resource].group : -1;
}

int mlsim_sim_resource_group(struct mlsim_sim *sim, const char *name, int group)
{
    void *res = sim->res;
    int ok = grow(sim, &res, &sim->cap_res, sim->n_res, sizeof *sim->res);
    sim->res = res;
    if (!ok)
        return -1;
    struct resource *r = &sim->res[sim->n_res];
    memset(r, 0, sizeof *r);
    r->name = name;
    r->group = group;
    return (int)sim->n_res++;
}

int64_t mlsim_sim_task(struct mlsim_sim *sim, const struct mlsim_sim_task *t)
{
    if (t->resource < MLSIM_SIM_NO_RESOURCE ||
        (t->resource >= 0 && (size_t)t->resource >= sim->n_res) || t->link < 0 ||
        (t->link > 0 && (size_t)t->link >= sim->n_links)) {
        fail(sim, MLSIM_ERR_INPUT);
        return -1;
    }
    if (sim->n_tasks >= MLSIM_SIM_MAX_TASKS) {
        fail(sim, MLSIM_ERR_RANGE);
        return -1;
    }
    void *tasks = sim->tasks;
    int ok = grow(sim, &tasks, &sim->cap_tasks, sim->n_tasks, sizeof *sim->tasks);
    sim->tasks = tasks;
    if (!ok)
        return -1;
    struct mlsim_sim_task *dst = &sim->tasks[sim->n_tasks];
    *dst = *t;
    dst->start_s = -1;
    dst->end_s = -1;
    if (t->resource >= 0)
        sim->res[t->resource].count++;
    if (t->link > 0)
        sim->links[t->link].count++;
    return (int64_t)sim->n_tasks++;
}

enum mlsim_status mlsim_sim_depend(struct mlsim_sim *sim, int64_t task, int64_t on)
{
    if (task < 0 || on < 0 || (size_t)task >= sim->n_tasks || (size_t)on >= sim->n_tasks)
        return MLSIM_ERR_RANGE;
    if (sim->n_edges >= MLSIM_SIM_MAX_EDGES) {
        fail(sim, MLSIM_ERR_RANGE);
        return MLSIM_ERR_RANGE;
    }
    void *edges = sim->edges;
    int ok = grow(sim, &edges, &sim->cap_edges, sim->n_edges, sizeof *sim->edges);
    sim->edges = edges;
    if (!ok)
        return MLSIM_ERR_NOMEM;
    sim->edges[sim->n_edges++] = (struct edge){on, task};
    return MLSIM_OK;
}

void mlsim_sim_on_done(struct mlsim_sim *sim, mlsim_sim_done_fn fn, void *ctx)
{
    sim->on_done = fn;
    sim->ctx = ctx;
}

/* Build the dependents lists and the stream queues. */
static enum mlsim_status build(struct mlsim_sim *sim)
{
    size_t n = sim->n_tasks;
    sim->dep_first = calloc(n + 1, sizeof *sim->dep_first);
    sim->dependents = malloc((sim->n_edges + 1) * sizeof *sim->dependents);
    sim->waiting = calloc(n + 1, sizeof *sim->waiting);
    sim->stream_tasks = malloc((n + 1) * sizeof *sim->stream_tasks);
    sim->q = mlsim_evq_alloc(sim->n_res + 64);
    sim->link_active = malloc((n + 1) * sizeof *sim->link_active);
    sim->left = calloc(n + 1, sizeof *sim->left);
    sim->due = calloc(n + 1, sizeof *sim->due);
    if (!sim->dep_first || !sim->dependents || !sim->waiting || !sim->stream_tasks || !sim->q ||
        !sim->link_active || !sim->left || !sim->due)
        return MLSIM_ERR_NOMEM;
    size_t slot = 0;
    for (size_t l = 1; l < sim->n_links; l++) {
        sim->links[l].first = slot;
        slot += sim->links[l].count;
    }
    for (size_t e = 0; e < sim->n_edges; e++) {
        sim->dep_first[sim->edges[e].from + 1]++;
        sim->waiting[sim->edges[e].to]++;
    }
    for (size_t t = 0; t < n; t++)
        sim->dep_first[t + 1] += sim->dep_first[t];
    size_t *fill = calloc(n + 1, sizeof *fill);
    if (!fill)
        return MLSIM_ERR_NOMEM;
    for (size_t e = 0; e < sim->n_edges; e++) {
        int64_t from = sim->edges[e].from;
        sim->dependents[sim->dep_first[from] + fill[from]++] = sim->edges[e].to;
    }
    free(fill);
    size_t first = 0;
    for (size_t r = 0; r < sim->n_res; r++) {
        sim->res[r].first = first;
        first += sim->res[r].count;
        sim->res[r].count = 0;
    }
    for (size_t t = 0; t < n; t++) {
        int r = sim->tasks[t].resource;
        if (r >= 0)
            sim->stream_tasks[sim->res[r].first + sim->res[r].count++] = (int64_t)t;
    }
    return MLSIM_OK;
}

/* Bring the work left to the tasks on link L up to now: each progressed at 1/K while K shared it.
 */
static void link_advance(struct mlsim_sim *sim, struct link *l)
{
    if (l->n_active > 0) {
        double done = (sim->now - l->since) / (double)l->n_active;
        for (size_t i = 0; i < l->n_active; i++)
            sim->left[sim->link_active[l->first + i]] -= done;
        l->busy_s += sim->now - l->since;
    }
    l->since = sim->now;
}

/* Schedule the completion of every task on L at its new share of the bandwidth. */
static enum mlsim_status link_reschedule(struct mlsim_sim *sim, const struct link *l)
{
    enum mlsim_status st = MLSIM_OK;
    for (size_t i = 0; i < l->n_active && st == MLSIM_OK; i++) {
        int64_t t = sim->link_active[l->first + i];
        double left = sim->left[t] > 0 ? sim->left[t] : 0.0;
        sim->due[t] = sim->now + left * (double)l->n_active;
        st = mlsim_evq_push(sim->q, sim->due[t], t);
    }
    return st;
}

static enum mlsim_status start(struct mlsim_sim *sim, int64_t t)
{
    struct mlsim_sim_task *task = &sim->tasks[t];
    task->start_s = sim->now;
    if (task->link == 0)
        return mlsim_evq_push(sim->q, sim->now + task->duration_s, t);
    struct link *l = &sim->links[task->link];
    link_advance(sim, l);
    sim->left[t] = task->duration_s;
    sim->link_active[l->first + l->n_active++] = t;
    return link_reschedule(sim, l);
}

/* Task T leaves its link at its completion. */
static enum mlsim_status link_leave(struct mlsim_sim *sim, int64_t t)
{
    struct link *l = &sim->links[sim->tasks[t].link];
    link_advance(sim, l);
    for (size_t i = 0; i < l->n_active; i++) {
        if (sim->link_active[l->first + i] == t) {
            sim->link_active[l->first + i] = sim->link_active[l->first + --l->n_active];
            break;
        }
    }
    return link_reschedule(sim, l);
}

/* Start the head of stream R if the stream is free and the head's dependencies are done. */
static enum mlsim_status serve(struct mlsim_sim *sim, int r)
{
    struct resource *res = &sim->res[r];
    if (res->busy || res->head == res->count)
        return MLSIM_OK;
    int64_t t = sim->stream_tasks[res->first + res->head];
    if (sim->waiting[t] > 0)
        return MLSIM_OK;
    res->busy = 1;
    return start(sim, t);
}

/* Task T has no unfinished dependency left. */
static enum mlsim_status ready(struct mlsim_sim *sim, int64_t t)
{
    int r = sim->tasks[t].resource;
    return r == MLSIM_SIM_NO_RESOURCE ? start(sim, t) : serve(sim, r);
}

static enum mlsim_status complete(struct mlsim_sim *sim, int64_t t)
{
    struct mlsim_sim_task *task = &sim->tasks[t];
    enum mlsim_status st = MLSIM_OK;
    task->end_s = sim->now;
    if (task->resource >= 0) {
        struct resource *res = &sim->res[task->resource];
        res->busy = 0;
        res->head++;
        res->busy_s += task->end_s - task->start_s;
    }
    if (sim->on_done)
        sim->on_done(sim->ctx, t, sim->now);
    for (size_t i = sim->dep_first[t]; i < sim->dep_first[t + 1] && st == MLSIM_OK; i++) {
        int64_t d = sim->dependents[i];
        if (--sim->waiting[d] == 0)
            st = ready(sim, d);
    }
    if (st == MLSIM_OK && task->resource >= 0)
        st = serve(sim, task->resource);
    return st;
}

enum mlsim_status mlsim_sim_status(const struct mlsim_sim *sim)
{
    return sim->status;
}

enum mlsim_status mlsim_sim_run(struct mlsim_sim *sim)
{
    enum mlsim_status st = sim->status != MLSIM_OK ? sim->status : build(sim);
    for (size_t t = 0; t < sim->n_tasks && st == MLSIM_OK; t++) {
        if (sim->tasks[t].resource == MLSIM_SIM_NO_RESOURCE && sim->waiting[t] == 0)
            st = start(sim, (int64_t)t);
    }
    for (size_t r = 0; r < sim->n_res && st == MLSIM_OK; r++)
        st = serve(sim, (int)r);
    double time;
    int64_t t;
    size_t done = 0;
    while (st == MLSIM_OK && mlsim_evq_pop(sim->q, &time, &t)) {
        if (sim->tasks[t].link > 0 && (sim->tasks[t].end_s >= 0 || time != sim->due[t]))
            continue; /* superseded when its link's sharing changed */
        sim->now = time;
        sim->events++;
        done++;
        if (sim->tasks[t].link > 0)
            st = link_leave(sim, t);
        if (st == MLSIM_OK)
            st = complete(sim, t);
    }
    if (st == MLSIM_OK && done < sim->n_tasks)
        st = MLSIM_ERR_INPUT;
    return st;
}

double mlsim_sim_makespan(const struct mlsim_sim *sim)
{
    return sim->now;
}

uint64_t mlsim_sim_events(const struct mlsim_sim *sim)
{
    return sim->events;
}

size_t mlsim_sim_task_count(const struct mlsim_sim *sim)
{
    return sim->n_tasks;
}

const struct mlsim_sim_task *mlsim_sim_task_get(const struct mlsim_sim *sim, int64_t task)
{
    return task >= 0 && (size_t)task < sim->n_tasks ? &sim->tasks[task] : NULL;
}

size_t mlsim_sim_resource_count(const struct mlsim_sim *sim)
{
    return sim->n_res;
}

const char *mlsim_sim_resource_name(const struct mlsim_sim *sim, int resource)
{
    return resource >= 0 && (size_t)resource < sim->n_res ? sim->res[resource].name : "";
}

double mlsim_sim_link_busy(const struct mlsim_sim *sim, int link)
{
    return link > 0 && (size_t)link < sim->n_links ? sim->links[link].busy_s : 0.0;
}

double mlsim_sim_resource_busy(const struct mlsim_sim *sim, int resource)
{
    return resource >= 0 && (size_t)resource < sim->n_res ? sim->res[resource].busy_s : 0.0;
}
