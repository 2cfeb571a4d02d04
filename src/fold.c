/* The line a folded step is extended along (fold.h). */
#include "mlsim/fold.h"

#include <math.h>

double mlsim_fold_extend(double x1, double x2, double m1, double m2, double m)
{
    return x1 + (x2 - x1) * ((m - m1) / (m2 - m1));
}

int mlsim_fold_on_line(const double *x, const int *m, int n)
{
    double scale = fabs(x[n - 1]);
    for (int i = 1; i + 1 < n; i++) {
        double gap = x[i] - mlsim_fold_extend(x[0], x[n - 1], m[0], m[n - 1], m[i]);
        if (fabs(gap) > 1e-9 * (scale > 0 ? scale : 1))
            return 0;
    }
    return 1;
}
