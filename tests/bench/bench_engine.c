/*
 * Engine benchmark: prints figures, asserts nothing (speed is measured here, not in tests).
 * 1. The classic hold model on the event queue: N events pending; repeatedly pop the earliest and
 *    push one a random (exponential) time later, so the queue stays at N. Reports ns per hold.
 * 2. The whole engine: a DAG of streams of tasks with cross-stream dependencies, reported as
 *    events per second.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mlsim/evq.h"
#include "mlsim/sim.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* xorshift64*: a small deterministic generator, uniform in (0, 1). */
static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return ((double)((*s * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
}

static int hold(size_t pending, size_t holds)
{
    struct mlsim_evq *q = mlsim_evq_alloc(pending);
    uint64_t seed = 88172645463325252ULL;
    if (!q)
        return 1;
    for (size_t i = 0; i < pending; i++)
        mlsim_evq_push(q, -log(uniform(&seed)), (int64_t)i);
    double t0 = now_s();
    double sink = 0;
    for (size_t i = 0; i < holds; i++) {
        double t;
        int64_t p;
        mlsim_evq_pop(q, &t, &p);
        sink += t;
        mlsim_evq_push(q, t - log(uniform(&seed)), p);
    }
    double dt = now_s() - t0;
    printf("hold model, %8zu pending: %7.1f ns per event (pop + push), %6.2f M events/s%s\n",
           pending, 1e9 * dt / (double)holds, (double)holds / dt / 1e6, sink < 0 ? "!" : "");
    mlsim_evq_free(q);
    return 0;
}

static int engine(size_t streams, size_t per_stream)
{
    struct mlsim_sim *sim = mlsim_sim_alloc();
    uint64_t seed = 42;
    if (!sim)
        return 1;
    for (size_t s = 0; s < streams; s++)
        mlsim_sim_resource(sim, "stream");
    int64_t prev = -1;
    for (size_t i = 0; i < per_stream; i++) {
        for (size_t s = 0; s < streams; s++) {
            struct mlsim_sim_task t = {"k", (int)s, 0, -1, -1, 1e-6 * (0.5 + uniform(&seed)),
                                       0,   0,      0, 0,  0};
            int64_t id = mlsim_sim_task(sim, &t);
            if (prev >= 0 && uniform(&seed) < 0.25)
                mlsim_sim_depend(sim, id, prev); /* a cross-stream dependency now and then */
            prev = id;
        }
    }
    double t0 = now_s();
    enum mlsim_status st = mlsim_sim_run(sim);
    double dt = now_s() - t0;
    printf("engine, %zu streams x %zu tasks: %.3f s, %llu events, %.2f M events/s (incl. DAG "
           "build)%s\n",
           streams, per_stream, dt, (unsigned long long)mlsim_sim_events(sim),
           (double)mlsim_sim_events(sim) / dt / 1e6, st == MLSIM_OK ? "" : " FAILED");
    mlsim_sim_free(sim);
    return st != MLSIM_OK;
}

int main(void)
{
    int bad = hold(10000, 20000000);
    bad |= hold(1000000, 5000000);
    bad |= engine(64, 20000);
    return bad;
}
