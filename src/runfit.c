/*
 * The run fit (runfit.h): a one-parameter least squares over whole simulated runs, GSL's Brent
 * minimiser after a coarse scan, as the layer fit does.
 */
#include "mlsim/runfit.h"

#include <math.h>
#include <string.h>

#include "mlsim/columns.h"
#include "mlsim/minimize.h"
#include "mlsim/kernel.h"
#include "mlsim/result.h"
#include "mlsim/run.h"

struct problem {
    struct mlsim_scenario *sc;
    const struct mlsim_device *dev;
    struct mlsim_runfit *fit; /* the runs; their predictions are written at each evaluation */
    struct mlsim_diags *d;
    enum mlsim_status st;
};

/* The GEMM efficiency DEV runs at: its calibration's, or mlsim's default where it has none. */
static double gemm_base(const struct mlsim_device *dev)
{
    double e = dev->calibration.gemm_efficiency;
    return e > 0 ? e : MLSIM_DEFAULT_GEMM_EFFICIENCY;
}

/* The runs' predictions with their devices' GEMM efficiencies times SCALE, into OUT (N of them).
 * Each run's own device is scaled, so that its hardware.override (a memory bandwidth) stays. */
static enum mlsim_status predict(struct problem *pr, double scale, double *out)
{
    for (size_t i = 0; i < pr->fit->n; i++) {
        struct mlsim_run *run = &pr->sc->runs[pr->fit->run[i]];
        const struct mlsim_device *held = run->device;
        struct mlsim_device copy = *held;
        struct mlsim_calibration *c = &copy.calibration;
        c->gemm_efficiency = fmin(1.0, gemm_base(held) * scale);
        c->fp8_gemm_efficiency = fmin(1.0, held->calibration.fp8_gemm_efficiency * scale);
        struct mlsim_result res;
        run->device = &copy;
        enum mlsim_status st = mlsim_run_estimate(run, &res, NULL, pr->d);
        run->device = held;
        const char *metric;
        double measured;
        if (st != MLSIM_OK)
            return st;
        if (!mlsim_columns_reference(&res, &metric, &out[i], &measured) || !(out[i] > 0))
            return MLSIM_ERR_INPUT;
    }
    return MLSIM_OK;
}

/* The summed squared log errors at SCALE; HUGE_VAL (and PR->st set) on a fault. */
static double cost(double scale, void *arg)
{
    struct problem *pr = arg;
    double pred[MLSIM_RUNFIT_MAX_RUNS];
    enum mlsim_status st = predict(pr, scale, pred);
    if (st != MLSIM_OK) {
        pr->st = st;
        return HUGE_VAL;
    }
    double sum = 0;
    for (size_t i = 0; i < pr->fit->n; i++) {
        double e = log(pred[i] / pr->fit->measured[i]);
        sum += e * e;
    }
    return sum;
}

/* The runs of SC on DEV that carry a reference, into FIT. */
static enum mlsim_status select_runs(struct mlsim_scenario *sc, const struct mlsim_device *dev,
                                     struct mlsim_runfit *fit, struct mlsim_diags *d)
{
    struct mlsim_loc at = sc->n_runs ? sc->runs[0].loc : (struct mlsim_loc){0};
    for (size_t i = 0; i < sc->n_runs; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        if (!r->device || strcmp(r->device->id, dev->id) != 0 || r->not_run[0])
            continue;
        if (!(r->ref_flops_per_device > 0) && !(r->ref_step_s > 0))
            continue;
        if (fit->n == MLSIM_RUNFIT_MAX_RUNS) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc, "more than %d runs to fit on '%s'",
                               MLSIM_RUNFIT_MAX_RUNS, dev->id);
            return MLSIM_ERR_INPUT;
        }
        /* the reference as mlsim_columns_reference reads it back */
        fit->measured[fit->n] =
            r->ref_flops_per_device > 0 ? r->ref_flops_per_device / 1e12 : r->ref_step_s;
        fit->run[fit->n++] = i;
    }
    if (fit->n == 0) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at,
                           "no run on '%s' with a reference (reference.tflops_per_device or "
                           "reference.iteration_time) to fit",
                           dev->id);
        return MLSIM_ERR_INPUT;
    }
    return MLSIM_OK;
}

enum mlsim_status mlsim_runfit_fit(struct mlsim_scenario *sc, const struct mlsim_device *dev,
                                   struct mlsim_runfit *fit, struct mlsim_diags *d)
{
    memset(fit, 0, sizeof *fit);
    enum mlsim_status st = select_runs(sc, dev, fit, d);
    if (st != MLSIM_OK)
        return st;
    struct problem pr = {sc, dev, fit, d, MLSIM_OK};
    if ((st = predict(&pr, 1.0, fit->unfitted)) != MLSIM_OK)
        return st;
    /* a scale that keeps every efficiency in (0, 1]: from a tenth to the largest allowed */
    double top = 3.0;
    for (size_t i = 0; i < fit->n; i++) {
        const struct mlsim_calibration *c = &sc->runs[fit->run[i]].device->calibration;
        double g = gemm_base(sc->runs[fit->run[i]].device);
        top = fmin(top, 1.0 / fmax(g, fmax(c->fp8_gemm_efficiency, 1e-9)));
    }
    const double lo = 0.1, hi = top;
    double best = 1.0, best_c = HUGE_VAL;
    for (int i = 1; i < 60; i++) {
        double s = lo + (hi - lo) * i / 60.0, c = cost(s, &pr);
        if (pr.st != MLSIM_OK)
            return pr.st;
        if (c < best_c) {
            best_c = c;
            best = s;
        }
    }
    double step = (hi - lo) / 60.0;
    double a = fmax(lo, best - step), b = fmin(hi, best + step);
    best = mlsim_minimize_brent(cost, &pr, best, a, b);
    if (pr.st != MLSIM_OK)
        return pr.st;
    /* the scan's best stands if Brent could not start (a minimum at an end of the range) */
    double chisq = cost(best, &pr);
    if ((st = predict(&pr, best, fit->predicted)) != MLSIM_OK)
        return st;
    /* one standard error: residual variance over the summed squared slopes of log predictions */
    double h = 1e-4 * best, up[MLSIM_RUNFIT_MAX_RUNS], down[MLSIM_RUNFIT_MAX_RUNS], slopes = 0;
    if ((st = predict(&pr, best + h, up)) != MLSIM_OK ||
        (st = predict(&pr, best - h, down)) != MLSIM_OK)
        return st;
    for (size_t i = 0; i < fit->n; i++) {
        double j = (log(up[i]) - log(down[i])) / (2 * h);
        slopes += j * j;
    }
    size_t n = fit->n;
    fit->scale = best;
    fit->rms_log = sqrt(chisq / (double)n);
    fit->sigma = n > 1 && slopes > 0 ? sqrt(chisq / (double)(n - 1) / slopes) : 0;
    fit->gemm_eff = fmin(1.0, gemm_base(dev) * best);
    fit->fp8_eff = fmin(1.0, dev->calibration.fp8_gemm_efficiency * best);
    return MLSIM_OK;
}
