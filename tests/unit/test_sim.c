/* The engine against schedules computed by hand: chains, fork/join, a shared stream, in-order
 * streams, delays, deadlock detection, determinism, links shared by several tasks at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/sim.h"

#include "check.h"

static int64_t task(struct mlsim_sim *sim, int res, double dur)
{
    struct mlsim_sim_task t;
    memset(&t, 0, sizeof t);
    t.name = "t";
    t.resource = res;
    t.duration_s = dur;
    int64_t id = mlsim_sim_task(sim, &t);
    assert_true(id >= 0);
    return id;
}

static int64_t link_task(struct mlsim_sim *sim, int res, int link, double dur)
{
    struct mlsim_sim_task t;
    memset(&t, 0, sizeof t);
    t.name = "flow";
    t.resource = res;
    t.link = link;
    t.duration_s = dur;
    int64_t id = mlsim_sim_task(sim, &t);
    assert_true(id >= 0);
    return id;
}

static double start_of(const struct mlsim_sim *sim, int64_t t)
{
    return mlsim_sim_task_get(sim, t)->start_s;
}

static double end_of(const struct mlsim_sim *sim, int64_t t)
{
    return mlsim_sim_task_get(sim, t)->end_s;
}

static void test_chain_across_streams(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int a = mlsim_sim_resource(sim, "A"), b = mlsim_sim_resource(sim, "B");
    int64_t t1 = task(sim, a, 1.0), t2 = task(sim, b, 2.0), t3 = task(sim, a, 3.0);
    mlsim_sim_depend(sim, t2, t1);
    mlsim_sim_depend(sim, t3, t2);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    /* t1 [0,1], t2 [1,3], t3 [3,6] */
    assert_near(end_of(sim, t1), 1.0, 0);
    assert_near(start_of(sim, t2), 1.0, 0);
    assert_near(start_of(sim, t3), 3.0, 0);
    assert_near(mlsim_sim_makespan(sim), 6.0, 0);
    assert_int_equal(mlsim_sim_events(sim), 3);
    assert_near(mlsim_sim_resource_busy(sim, a), 4.0, 0);
    mlsim_sim_free(sim);
}

static void test_fork_join(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int r[4];
    for (int i = 0; i < 4; i++)
        r[i] = mlsim_sim_resource(sim, "r");
    int64_t src = task(sim, r[0], 1.0);
    int64_t x = task(sim, r[1], 5.0), y = task(sim, r[2], 2.0);
    int64_t join = task(sim, r[3], 1.0);
    mlsim_sim_depend(sim, x, src);
    mlsim_sim_depend(sim, y, src);
    mlsim_sim_depend(sim, join, x);
    mlsim_sim_depend(sim, join, y);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    /* x and y run in parallel after 1; join waits for the longer, x, ending at 6 */
    assert_near(start_of(sim, y), 1.0, 0);
    assert_near(start_of(sim, join), 6.0, 0);
    assert_near(mlsim_sim_makespan(sim), 7.0, 0);
    mlsim_sim_free(sim);
}

static void test_shared_stream_serializes(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int s = mlsim_sim_resource(sim, "stream");
    int64_t a = task(sim, s, 2.0), b = task(sim, s, 3.0), c = task(sim, s, 1.0);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    /* independent, but one stream: back to back in issue order */
    assert_near(start_of(sim, a), 0.0, 0);
    assert_near(start_of(sim, b), 2.0, 0);
    assert_near(start_of(sim, c), 5.0, 0);
    assert_near(mlsim_sim_makespan(sim), 6.0, 0);
    mlsim_sim_free(sim);
}

static void test_stream_keeps_issue_order(void **state)
{
    (void)state;
    /* On stream S, task b (issued first) waits for slow work elsewhere; c (issued second) is
     * ready at once but must not overtake b, as on a CUDA stream. */
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int s = mlsim_sim_resource(sim, "S"), o = mlsim_sim_resource(sim, "other");
    int64_t slow = task(sim, o, 4.0);
    int64_t b = task(sim, s, 1.0), c = task(sim, s, 1.0);
    mlsim_sim_depend(sim, b, slow);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    assert_near(start_of(sim, b), 4.0, 0);
    assert_near(start_of(sim, c), 5.0, 0);
    mlsim_sim_free(sim);
}

static void test_delay_tasks(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int s = mlsim_sim_resource(sim, "S");
    int64_t d1 = task(sim, MLSIM_SIM_NO_RESOURCE, 2.5), d2 = task(sim, MLSIM_SIM_NO_RESOURCE, 1.0);
    int64_t k = task(sim, s, 1.0);
    mlsim_sim_depend(sim, k, d1);
    mlsim_sim_depend(sim, k, d2);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    /* delays overlap: k starts at max(2.5, 1.0) */
    assert_near(start_of(sim, k), 2.5, 0);
    assert_near(mlsim_sim_makespan(sim), 3.5, 0);
    mlsim_sim_free(sim);
}

static void test_deadlock_and_bad_ids(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int s = mlsim_sim_resource(sim, "S");
    int64_t a = task(sim, s, 1.0), b = task(sim, s, 1.0);
    mlsim_sim_depend(sim, a, b); /* a is ahead of b on S but waits for b: never runs */
    assert_int_equal(mlsim_sim_depend(sim, a, 99), MLSIM_ERR_RANGE);
    struct mlsim_sim_task bad = {"x", 7, 0, -1, -1, 1.0, 0, 0, 0, 0, 0};
    assert_int_equal(mlsim_sim_task(sim, &bad), -1);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_ERR_INPUT);
    assert_true(start_of(sim, a) < 0);
    mlsim_sim_free(sim);
}

struct log {
    int64_t order[8];
    int n;
};

static void on_done(void *ctx, int64_t t, double now)
{
    struct log *l = ctx;
    (void)now;
    l->order[l->n++] = t;
}

static void test_callbacks_in_completion_order(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int a = mlsim_sim_resource(sim, "A"), b = mlsim_sim_resource(sim, "B");
    int64_t t0 = task(sim, a, 3.0), t1 = task(sim, b, 1.0), t2 = task(sim, b, 2.0);
    struct log l = {{0}, 0};
    mlsim_sim_on_done(sim, on_done, &l);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    /* t1 ends at 1, t0 and t2 both at 3: the tie goes to the one scheduled first, t0 (at time 0) */
    assert_int_equal(l.n, 3);
    assert_int_equal(l.order[0], t1);
    assert_int_equal(l.order[1], t0);
    assert_int_equal(l.order[2], t2);
    mlsim_sim_free(sim);
}

/* Two flows that each take 1 s alone start together on one link: each gets half the bandwidth,
 * so both end at 2 s. Flows of 1 s and 3 s: the short one ends at 2 s (half rate), the long one
 * has 3 - 1 = 2 s of work left and ends at 2 + 2 = 4 s, the total work. */
static void test_link_shares_bandwidth(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int nic = mlsim_sim_link(sim, "nic"), other = mlsim_sim_link(sim, "other");
    assert_true(nic > 0 && other > 0 && nic != other);
    int64_t a = link_task(sim, MLSIM_SIM_NO_RESOURCE, nic, 1.0);
    int64_t b = link_task(sim, MLSIM_SIM_NO_RESOURCE, nic, 1.0);
    int64_t c = link_task(sim, MLSIM_SIM_NO_RESOURCE, other, 1.0); /* alone on its link */
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    assert_near(end_of(sim, a), 2.0, 1e-12);
    assert_near(end_of(sim, b), 2.0, 1e-12);
    assert_near(end_of(sim, c), 1.0, 1e-12);
    assert_near(mlsim_sim_link_busy(sim, nic), 2.0, 1e-12);
    assert_int_equal(mlsim_sim_events(sim), 3); /* superseded events are not counted */
    mlsim_sim_free(sim);

    sim = mlsim_sim_alloc();
    nic = mlsim_sim_link(sim, "nic");
    int64_t s = link_task(sim, MLSIM_SIM_NO_RESOURCE, nic, 1.0);
    int64_t l = link_task(sim, MLSIM_SIM_NO_RESOURCE, nic, 3.0);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    assert_near(end_of(sim, s), 2.0, 1e-12);
    assert_near(end_of(sim, l), 4.0, 1e-12);
    mlsim_sim_free(sim);
}

/* A flows for 2 s alone from 0; B (0.5 s alone) joins at 1 s, behind a 1 s task on its stream.
 * At 1 s A has 1 s left; sharing, B ends at 1 + 2 x 0.5 = 2 s, when A has 0.5 s left, alone
 * again: A ends at 2.5 s. Flows on two streams are still served in order on each. */
static void test_link_join_and_leave(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    int s1 = mlsim_sim_resource(sim, "s1"), s2 = mlsim_sim_resource(sim, "s2");
    int nic = mlsim_sim_link(sim, "nic");
    int64_t a = link_task(sim, s1, nic, 2.0);
    int64_t pre = task(sim, s2, 1.0);
    int64_t b = link_task(sim, s2, nic, 0.5);
    int64_t after = task(sim, s2, 1.0); /* on s2 behind B, no link */
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    assert_near(end_of(sim, pre), 1.0, 1e-12);
    assert_near(start_of(sim, b), 1.0, 1e-12);
    assert_near(end_of(sim, b), 2.0, 1e-12);
    assert_near(end_of(sim, a), 2.5, 1e-12);
    assert_near(start_of(sim, after), 2.0, 1e-12);
    assert_near(end_of(sim, after), 3.0, 1e-12);
    assert_near(mlsim_sim_link_busy(sim, nic), 2.5, 1e-12);
    assert_near(mlsim_sim_resource_busy(sim, s2), 3.0, 1e-12);
    mlsim_sim_free(sim);

    /* four 1 s flows, two per stream, all on one link: 0-2 s two at once, then 2-4 s */
    sim = mlsim_sim_alloc();
    s1 = mlsim_sim_resource(sim, "s1");
    s2 = mlsim_sim_resource(sim, "s2");
    nic = mlsim_sim_link(sim, "nic");
    int64_t f[4];
    for (int i = 0; i < 4; i++)
        f[i] = link_task(sim, i % 2 ? s2 : s1, nic, 1.0);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_OK);
    for (int i = 0; i < 4; i++)
        assert_near(end_of(sim, f[i]), i < 2 ? 2.0 : 4.0, 1e-12);
    mlsim_sim_free(sim);

    /* a task naming a link that does not exist is refused */
    sim = mlsim_sim_alloc();
    struct mlsim_sim_task bad;
    memset(&bad, 0, sizeof bad);
    bad.resource = MLSIM_SIM_NO_RESOURCE;
    bad.link = 3;
    assert_true(mlsim_sim_task(sim, &bad) < 0);
    bad.link = -1;
    assert_true(mlsim_sim_task(sim, &bad) < 0);
    mlsim_sim_free(sim);
}

/* The limit on simulated work, at its edge: MLSIM_SIM_MAX_TASKS tasks are taken, one more is
 * refused with MLSIM_ERR_RANGE (not allocated), and run returns that status without running. */
static void test_task_limit(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    struct mlsim_sim_task t;
    memset(&t, 0, sizeof t);
    t.name = "t";
    t.resource = MLSIM_SIM_NO_RESOURCE;
    t.duration_s = 1e-9;
    for (size_t i = 0; i < MLSIM_SIM_MAX_TASKS; i++) {
        if (mlsim_sim_task(sim, &t) != (int64_t)i)
            fail_msg("task %zu refused below the limit", i);
    }
    assert_int_equal(mlsim_sim_status(sim), MLSIM_OK);
    assert_int_equal(mlsim_sim_task(sim, &t), -1);
    assert_int_equal(mlsim_sim_status(sim), MLSIM_ERR_RANGE);
    assert_int_equal(mlsim_sim_task_count(sim), MLSIM_SIM_MAX_TASKS);
    assert_int_equal(mlsim_sim_run(sim), MLSIM_ERR_RANGE);
    assert_int_equal(mlsim_sim_events(sim), 0);
    mlsim_sim_free(sim);
}

/* A bad resource or link is recorded as the simulation's failure too, and run reports it. */
static void test_bad_task_recorded(void **state)
{
    (void)state;
    struct mlsim_sim *sim = mlsim_sim_alloc();
    struct mlsim_sim_task t;
    memset(&t, 0, sizeof t);
    t.name = "t";
    t.resource = 3; /* no such stream */
    assert_int_equal(mlsim_sim_task(sim, &t), -1);
    assert_int_equal(mlsim_sim_status(sim), MLSIM_ERR_INPUT);
    t.resource = MLSIM_SIM_NO_RESOURCE;
    t.link = 1; /* no such link */
    assert_int_equal(mlsim_sim_task(sim, &t), -1);
    assert_int_equal(mlsim_sim_status(sim), MLSIM_ERR_INPUT); /* the first failure stays */
    assert_int_equal(mlsim_sim_run(sim), MLSIM_ERR_INPUT);
    mlsim_sim_free(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_across_streams),
        cmocka_unit_test(test_fork_join),
        cmocka_unit_test(test_shared_stream_serializes),
        cmocka_unit_test(test_stream_keeps_issue_order),
        cmocka_unit_test(test_delay_tasks),
        cmocka_unit_test(test_deadlock_and_bad_ids),
        cmocka_unit_test(test_callbacks_in_completion_order),
        cmocka_unit_test(test_link_shares_bandwidth),
        cmocka_unit_test(test_link_join_and_leave),
        cmocka_unit_test(test_task_limit),
        cmocka_unit_test(test_bad_task_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
