/* Uncertain inputs drawn and the run estimated for each draw (uncertain.h). */
#include "mlsim/uncertain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "mlsim/montecarlo.h"
#include "mlsim/par.h"
#include "mlsim/schema.h"
#include "mlsim/units.h"

/* One draw of X. The triangular one by its inverse distribution function. */
static double draw(const struct mlsim_dist *x, gsl_rng *rng)
{
    const double *p = x->p;
    switch (x->kind) {
    case MLSIM_DIST_NORMAL:
        return p[0] + gsl_ran_gaussian(rng, p[1]);
    case MLSIM_DIST_LOGNORMAL: /* median p0, geometric standard deviation p1 */
        return p[0] * exp(gsl_ran_gaussian(rng, log(p[1])));
    case MLSIM_DIST_UNIFORM:
        return p[0] + (p[1] - p[0]) * gsl_rng_uniform(rng);
    default: {
        double u = gsl_rng_uniform(rng), w = p[2] - p[0];
        if (w <= 0)
            return p[1];
        double c = (p[1] - p[0]) / w;
        return u < c ? p[0] + sqrt(u * w * (p[1] - p[0]))
                     : p[2] - sqrt((1.0 - u) * w * (p[2] - p[1]));
    }
    }
}

/* A draw of X inside its field's range: draws outside it (a normal's tail below zero) are drawn
 * again, and after 100 the central value is taken. */
static double draw_in_range(const struct mlsim_dist *x, gsl_rng *rng, double central)
{
    const struct mlsim_field *f = &mlsim_run_schema.fields[x->field];
    for (int i = 0; i < 100; i++) {
        double v = draw(x, rng);
        if (mlsim_schema_in_range(f, v))
            return v;
    }
    return central;
}

/* What one draw gives: time, cost, energy, CO2. */
struct draw_out {
    double x[4];
};

enum mlsim_status mlsim_uncertain_run(const struct mlsim_run *run, struct mlsim_result *out,
                                      mlsim_uncertain_estimate_fn *estimate, struct mlsim_diags *d)
{
    int n =
        run->reliability.samples > 0 ? run->reliability.samples : MLSIM_UNCERTAIN_DEFAULT_SAMPLES;
    struct mlsim_run *copy = malloc(sizeof *copy);
    /* a simulated run's device's fitted GEMM efficiency is drawn within its standard error too
     * (analytic mode assumes its MFU instead) */
    const struct mlsim_device *fitted = run->device && run->mode == MLSIM_MODE_SIMULATE &&
                                                run->device->calibration.gemm_efficiency_se > 0
                                            ? run->device
                                            : NULL;
    struct mlsim_device *dev = fitted ? malloc(sizeof *dev) : NULL;
    struct mlsim_result *r = malloc(sizeof *r);
    struct draw_out *v = calloc((size_t)n, sizeof *v);
    double *band = malloc((size_t)n * sizeof *band);
    struct mlsim_diags *scratch = mlsim_diags_alloc();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    enum mlsim_status st =
        copy && r && v && band && scratch && rng && (!fitted || dev) ? MLSIM_OK : MLSIM_ERR_NOMEM;
    /* over MPI ranks, each its block of draws, then shared (par.h): the draws, and so the
     * bytes, do not depend on the split */
    const struct mlsim_par *par = run->reliability.par;
    size_t lo = 0, hi = 0;
    mlsim_par_block(par, (size_t)n, &lo, &hi);
    int failed_at = 0; /* the first draw that could not be estimated, from 1 */
    for (int i = (int)lo; i < (int)hi && st == MLSIM_OK; i++) {
        uint64_t seed = mlsim_montecarlo_seed((uint64_t)run->reliability.seed, (uint64_t)i);
        gsl_rng_set(rng, (unsigned long)seed);
        *copy = *run;
        copy->n_dists = 0;
        copy->reliability.par = NULL;    /* each draw whole on its rank */
        if (copy->reliability.enabled) { /* one failure history per draw, its own */
            copy->reliability.samples = 1;
            copy->reliability.seed = (int)(seed & 0x3fffffff);
        }
        for (int k = 0; k < run->n_dists; k++) {
            const struct mlsim_field *f = &mlsim_run_schema.fields[run->dists[k].field];
            double central = 0;
            memcpy(&central, (const char *)run + f->offset, sizeof central);
            if (central != mlsim_dist_central(&run->dists[k]))
                continue; /* set again after the file (--set, a sweep's point): that value holds */
            double x = draw_in_range(&run->dists[k], rng, central);
            memcpy((char *)copy + f->offset, &x, sizeof x);
        }
        if (fitted && dev) {
            const struct mlsim_calibration *c = &fitted->calibration;
            const struct mlsim_dist fit = {
                0, MLSIM_DIST_NORMAL, {c->gemm_efficiency, c->gemm_efficiency_se, 0}};
            *dev = *fitted;
            double g = draw(&fit, rng);
            dev->calibration.gemm_efficiency = g > 0 && g <= 1 ? g : fit.p[0];
            copy->device = dev;
        }
        if (estimate(copy, r, scratch) != MLSIM_OK) {
            failed_at = i + 1;
            break;
        }
        v[i] = (struct draw_out){{r->time_s, r->cost_usd, r->energy_j, r->co2_kg}};
    }
    /* every rank learns of a failure on any, and of which draw (the first) */
    int nomem = mlsim_par_max(par, st != MLSIM_OK);
    int failed = mlsim_par_max(par, failed_at > 0 ? n + 1 - failed_at : 0);
    if (nomem)
        st = MLSIM_ERR_NOMEM;
    else if (failed) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, run->loc,
                           "run '%s': draw %d of its uncertain inputs cannot be estimated",
                           run->name, n + 1 - failed);
        st = MLSIM_ERR_INPUT;
    }
    if (st == MLSIM_OK)
        st = mlsim_par_share(par, v, (size_t)n, sizeof *v);
    if (st == MLSIM_OK) {
        struct mlsim_band *bands[4] = {&out->rel.time_s, &out->rel.cost_usd, &out->rel.energy_j,
                                       &out->rel.co2_kg};
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < n; i++)
                band[i] = v[i].x[k];
            *bands[k] = mlsim_montecarlo_band(band, (size_t)n);
        }
        out->rel.input_samples = n;
    }
    gsl_rng_free(rng);
    mlsim_diags_free(scratch);
    free(dev);
    free(band);
    free(v);
    free(r);
    free(copy);
    return st;
}

void mlsim_uncertain_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_run *r = res->run;
    if (!r || r->n_dists == 0 || res->rel.input_samples == 0)
        return;
    for (int k = 0; k < r->n_dists; k++) {
        const struct mlsim_dist *x = &r->dists[k];
        const struct mlsim_field *f = &mlsim_run_schema.fields[x->field];
        char p0[64], p1[64], p2[64];
        mlsim_units_format(x->p[0], f->dim, p0, sizeof p0);
        mlsim_units_format(x->p[1], f->dim, p1, sizeof p1);
        mlsim_units_format(x->p[2], f->dim, p2, sizeof p2);
        switch (x->kind) {
        case MLSIM_DIST_NORMAL:
            mlsim_assume(a, "Uncertain %s: normal, mean %s, standard deviation %s", f->path, p0,
                         p1);
            break;
        case MLSIM_DIST_LOGNORMAL:
            mlsim_assume(a, "Uncertain %s: lognormal, median %s, geometric standard deviation %.3g",
                         f->path, p0, x->p[1]);
            break;
        case MLSIM_DIST_UNIFORM:
            mlsim_assume(a, "Uncertain %s: uniform from %s to %s", f->path, p0, p1);
            break;
        default:
            mlsim_assume(a, "Uncertain %s: triangular from %s to %s, mode %s", f->path, p0, p2, p1);
            break;
        }
    }
    const struct mlsim_device *fitted =
        r->device && r->mode == MLSIM_MODE_SIMULATE && r->device->calibration.gemm_efficiency_se > 0
            ? r->device
            : NULL;
    if (fitted)
        mlsim_assume(a,
                     "Uncertain GEMM efficiency of %s: normal, its fit's %.4g +/- %.2g (one "
                     "standard error), drawn with the inputs",
                     fitted->id, fitted->calibration.gemm_efficiency,
                     fitted->calibration.gemm_efficiency_se);
    mlsim_assume(a,
                 "The run's own figures take each uncertain input at its central value (mean, "
                 "median, midpoint, mode); its bands are %d draws of them (seed %d)%s, each "
                 "estimated anew",
                 res->rel.input_samples, r->reliability.seed,
                 r->reliability.enabled ? " with one failure history each" : "");
}
