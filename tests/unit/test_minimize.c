/* minimize.h: the fits' Brent polish, on functions whose minima are known by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "check.h"
#include "mlsim/minimize.h"

static double parabola(double x, void *arg)
{
    double c = *(const double *)arg;
    return (x - c) * (x - c) + 1.0;
}

/* (x - 0.3)^2 + 1 on [0, 1] from 0.5: the minimum is at 0.3, to the 1e-7 interval. */
static void test_parabola(void **state)
{
    (void)state;
    double c = 0.3;
    assert_near(mlsim_minimize_brent(parabola, &c, 0.5, 0.0, 1.0), 0.3, 1e-6);
}

/* A start that is not below both ends (the minimum at an end of the bracket) cannot start
 * Brent: the start comes back as it was. */
static void test_no_bracket(void **state)
{
    (void)state;
    double c = -1.0; /* rising over [0, 1]: 0.5 is above the end at 0 */
    assert_near(mlsim_minimize_brent(parabola, &c, 0.5, 0.0, 1.0), 0.5, 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parabola),
        cmocka_unit_test(test_no_bracket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
