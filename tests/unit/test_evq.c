/* The event queue: order by time, ties in push order, against a naive sorted reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "mlsim/evq.h"

static void test_order_and_ties(void **state)
{
    (void)state;
    struct mlsim_evq *q = mlsim_evq_alloc(1); /* forces growth */
    double times[] = {3.0, 1.0, 2.0, 1.0, 3.0, 0.5, 1.0};
    for (int i = 0; i < 7; i++)
        assert_int_equal(mlsim_evq_push(q, times[i], i), MLSIM_OK);
    assert_int_equal(mlsim_evq_size(q), 7);
    /* expected: 0.5(5), 1.0 in push order (1, 3, 6), 2.0(2), 3.0 (0, 4) */
    int64_t want[] = {5, 1, 3, 6, 2, 0, 4};
    for (int i = 0; i < 7; i++) {
        double t;
        int64_t p;
        assert_true(mlsim_evq_pop(q, &t, &p));
        assert_int_equal(p, want[i]);
    }
    double t;
    int64_t p;
    assert_false(mlsim_evq_pop(q, &t, &p));
    mlsim_evq_free(q);
}

/* Differential test: random pushes and pops against a linear scan for the minimum (time, seq). */
static void test_against_naive(void **state)
{
    (void)state;
    enum { N = 5000 };
    static double ref_t[N];
    static int64_t ref_seq[N];
    static int alive[N];
    struct mlsim_evq *q = mlsim_evq_alloc(16);
    unsigned seed = 12345;
    int64_t pushed = 0;
    for (int step = 0; step < 3 * N; step++) {
        seed = seed * 1103515245u + 12345u;
        if (pushed < N && (seed >> 16) % 3 != 0) {
            double tm = (double)((seed >> 8) % 50); /* many ties */
            ref_t[pushed] = tm;
            ref_seq[pushed] = pushed;
            alive[pushed] = 1;
            assert_int_equal(mlsim_evq_push(q, tm, pushed), MLSIM_OK);
            pushed++;
            continue;
        }
        int64_t best = -1;
        for (int64_t i = 0; i < pushed; i++) {
            if (alive[i] && (best < 0 || ref_t[i] < ref_t[best] ||
                             (ref_t[i] == ref_t[best] && ref_seq[i] < ref_seq[best])))
                best = i;
        }
        double tm;
        int64_t p;
        int got = mlsim_evq_pop(q, &tm, &p);
        assert_int_equal(got, best >= 0);
        if (best >= 0) {
            assert_int_equal(p, best);
            alive[best] = 0;
        }
    }
    mlsim_evq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_ties),
        cmocka_unit_test(test_against_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
