/*
 * The discrete-event engine. It knows nothing of ML: it runs a DAG of tasks on resources.
 * A resource is a stream: it serves its tasks one at a time, in the order they were added to it
 * (as a CUDA stream runs kernels in issue order), each as soon as it is at the head of the
 * stream and all the tasks it depends on are done. A task with no resource is a pure delay that
 * starts when its dependencies are done. Time advances by popping completion events from a
 * min-heap ordered by (time, sequence), so equal inputs give identical schedules.
 *
 * A task may also cross a shared link (a NIC, say): the link carries all its tasks at once and
 * divides its bandwidth equally among them (processor sharing). A task's duration is its time
 * alone on the link; while K tasks are on it, each progresses at 1/K of that rate, so their
 * completion times move whenever a task joins or leaves (the stale events are skipped).
 *
 * Use: alloc, add resources and tasks and dependencies, run once, then read start and end times.
 */
#ifndef MLSIM_SIM_H
#define MLSIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "mlsim/status.h"

/* The most tasks one simulation holds: 4,194,304, 32 times the largest shipped scenario's step
 * (130,176 tasks, validate/published/megatron2021_table1.yaml). About 150 bytes a task (the task,
 * its queue slots and per-task arrays of run), so at most some 0.6 GiB and a few seconds of run.
 * A model or batch that needs more (model.layers: 1000000000) is refused, not allocated. */
#define MLSIM_SIM_MAX_TASKS ((size_t)1 << 22)

/* The most dependencies: four per task; no shipped scenario has more than one per task. */
#define MLSIM_SIM_MAX_EDGES (4 * MLSIM_SIM_MAX_TASKS)

/* No resource: the task is a delay, not served by any stream. */
#define MLSIM_SIM_NO_RESOURCE (-1)

/* What a task was, for traces and breakdowns. NAME is borrowed (a string literal or one that
 * outlives the simulation); the numbers are carried, not used, by the engine. */
struct mlsim_sim_task {
    const char *name;
    int resource;
    int category;   /* the caller's classification (compute, communication, ...) */
    int layer;      /* -1 if none */
    int microbatch; /* -1 if none */
    double duration_s;
    double flops;
    double bytes;
    double start_s; /* set by run; -1 if it never ran */
    double end_s;
    int link; /* 0: none; else a shared link from mlsim_sim_link the task crosses while it runs */
};

struct mlsim_sim;

/* Return a new, empty simulation, or NULL if malloc fails. */
struct mlsim_sim *mlsim_sim_alloc(void);

/* Free SIM. NULL is a no-op. */
void mlsim_sim_free(struct mlsim_sim *sim);

/* Add a resource named NAME (borrowed). Returns its id (0, 1, ...) or -1 if malloc fails. */
int mlsim_sim_resource(struct mlsim_sim *sim, const char *name);

/* The same, for a resource of device GROUP (a pipeline rank, say), for traces. */
int mlsim_sim_resource_group(struct mlsim_sim *sim, const char *name, int group);

/* Add a shared link named NAME (borrowed). Returns its id (1, 2, ...) or -1 if malloc fails. */
int mlsim_sim_link(struct mlsim_sim *sim, const char *name);

/* Time shared link L carried at least one task. */
double mlsim_sim_link_busy(const struct mlsim_sim *sim, int link);

/* The group of resource R (-1 if none was given). */
int mlsim_sim_resource_group_of(const struct mlsim_sim *sim, int resource);

/* Add task T (its start and end are ignored). Returns its id (0, 1, ...) or -1 if malloc fails,
 * if SIM already holds MLSIM_SIM_MAX_TASKS tasks, or if T's resource or link does not exist;
 * mlsim_sim_status then says which. */
int64_t mlsim_sim_task(struct mlsim_sim *sim, const struct mlsim_sim_task *t);

/* Task TASK may not start before task ON is done. MLSIM_ERR_RANGE if either task does not exist
 * or SIM already holds MLSIM_SIM_MAX_EDGES dependencies, MLSIM_ERR_NOMEM if malloc fails. */
enum mlsim_status mlsim_sim_depend(struct mlsim_sim *sim, int64_t task, int64_t on);

/* The first failure while SIM was built, MLSIM_OK if none: MLSIM_ERR_NOMEM (malloc failed),
 * MLSIM_ERR_RANGE (past MLSIM_SIM_MAX_TASKS or MLSIM_SIM_MAX_EDGES: the step is too large to
 * simulate), MLSIM_ERR_INPUT (a task named a resource or link that does not exist). After a
 * failure the simulation is unusable; run returns this status. */
enum mlsim_status mlsim_sim_status(const struct mlsim_sim *sim);

/* Called at each completion, in completion order. */
typedef void (*mlsim_sim_done_fn)(void *ctx, int64_t task, double now_s);

/* Set the completion callback (NULL for none). */
void mlsim_sim_on_done(struct mlsim_sim *sim, mlsim_sim_done_fn fn, void *ctx);

/* Run every task. Returns MLSIM_ERR_INPUT if some tasks could never start (a dependency cycle,
 * or a task waiting on one queued behind it on the same stream), MLSIM_ERR_NOMEM on malloc
 * failure, or the failure of building (mlsim_sim_status) without running. Call once. */
enum mlsim_status mlsim_sim_run(struct mlsim_sim *sim);

/* The time the last task ended. */
double mlsim_sim_makespan(const struct mlsim_sim *sim);

/* Events processed by run. */
uint64_t mlsim_sim_events(const struct mlsim_sim *sim);

size_t mlsim_sim_task_count(const struct mlsim_sim *sim);
const struct mlsim_sim_task *mlsim_sim_task_get(const struct mlsim_sim *sim, int64_t task);
size_t mlsim_sim_resource_count(const struct mlsim_sim *sim);
const char *mlsim_sim_resource_name(const struct mlsim_sim *sim, int resource);

/* Time resource R spent serving tasks. */
double mlsim_sim_resource_busy(const struct mlsim_sim *sim, int resource);

#endif
