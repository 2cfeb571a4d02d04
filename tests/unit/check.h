/* Helpers for CMocka tests: comparisons of doubles (CMocka 1.1.5 compares only floats). */
#ifndef MLSIM_TEST_CHECK_H
#define MLSIM_TEST_CHECK_H

#include <math.h>

/* |A - B| <= TOL, reported at the caller's line with both values. */
#define assert_near(a, b, tol) check_near((a), (b), (tol), 0, #a, __FILE__, __LINE__)
/* |A - B| <= REL * |B|. */
#define assert_rel(a, b, rel) check_near((a), (b), (rel), 1, #a, __FILE__, __LINE__)

static inline void check_near(double a, double b, double tol, int relative, const char *expr,
                              const char *file, int line)
{
    double limit = relative ? tol * fabs(b) : tol;
    if (fabs(a - b) <= limit)
        return;
    print_error("%s = %.17g, expected %.17g (%s tolerance %g)\n", expr, a, b,
                relative ? "relative" : "absolute", tol);
    _fail(file, line);
}

#endif
