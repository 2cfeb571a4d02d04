/*
 * The list of assumptions that the modes and the pricing write into.
 */
#include "mlsim/result.h"

#include <stdarg.h>
#include <stdio.h>

void mlsim_assume(struct mlsim_assumptions *a, const char *fmt, ...)
{
    if (a->n >= a->max) {
        a->dropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    /* started just above: clang-analyzer reports it uninitialized when it analyzes this file
     * after another in one clang-tidy run */
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
    vsnprintf(a->lines[a->n++], MLSIM_ASSUMPTION_LEN, fmt, ap);
    va_end(ap);
}
