/*
 * One-parameter minimisation for the fits (layerfit.h, runfit.h): a scan finds a point below
 * both ends of a bracket, and GSL's Brent minimiser polishes it.
 */
#ifndef MLSIM_MINIMIZE_H
#define MLSIM_MINIMIZE_H

/* The minimum of F (called with ARG) in [A, B] from BEST, a point of it below both ends, by
 * GSL's Brent minimiser to an interval of 1e-7 in at most 100 iterations; BEST itself where
 * Brent cannot start (a minimum at an end of the bracket) or memory runs out. */
double mlsim_minimize_brent(double (*f)(double x, void *arg), void *arg, double best, double a,
                            double b);

#endif
