/*
 * The list of assumptions that the modes and the pricing write into.
 */
#include "mlsim/result.h"

#include <stdarg.h>
#include <stdio.h>

void mlsim_assume(struct mlsim_assumptions *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (a->n < a->max)
        vsnprintf(a->lines[a->n++], MLSIM_ASSUMPTION_LEN, fmt, ap);
    else
        a->dropped++;
    va_end(ap);
}
