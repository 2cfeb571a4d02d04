/*
 * Brent's method as GSL runs it (minimize.h), its error handler off: a failed step ends the
 * search at the best point so far.
 */
#include "mlsim/minimize.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>

double mlsim_minimize_brent(double (*f)(double x, void *arg), void *arg, double best, double a,
                            double b)
{
    gsl_function fn = {f, arg};
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_min_fminimizer *m = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    int s = m ? gsl_min_fminimizer_set(m, &fn, best, a, b) : GSL_ENOMEM;
    for (int it = 0; s == GSL_SUCCESS && it < 100; it++) {
        s = gsl_min_fminimizer_iterate(m);
        if (s != GSL_SUCCESS)
            break;
        best = gsl_min_fminimizer_x_minimum(m);
        if (gsl_min_test_interval(gsl_min_fminimizer_x_lower(m), gsl_min_fminimizer_x_upper(m),
                                  1e-7, 0.0) == GSL_SUCCESS)
            break;
    }
    gsl_min_fminimizer_free(m);
    gsl_set_error_handler(old);
    return best;
}
