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
    /* clang-tidy 14 reports this va_list as uninitialized: a false positive (as in diag.c). */
    if (a->n < a->max)
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
        vsnprintf(a->lines[a->n++], MLSIM_ASSUMPTION_LEN, fmt, ap);
    else
        a->dropped++;
    va_end(ap);
}
