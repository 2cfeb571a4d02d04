/*
 * Folding a long step (cluster.c, step.c): a step of many repeating micro-batches is simulated at
 * a few short counts and extended along the line through them, once they are checked to lie on
 * one. The two pieces of arithmetic both steps share.
 */
#ifndef MLSIM_FOLD_H
#define MLSIM_FOLD_H

/* X at count M on the line through (M1, X1) and (M2, X2). */
double mlsim_fold_extend(double x1, double x2, double m1, double m2, double m);

/* Whether the N points X at counts M lie on one line, to rounding (1e-9 of the last). */
int mlsim_fold_on_line(const double *x, const int *m, int n);

#endif
