/*
 * The closed-form run estimate. Energy takes the average power per device as given (default:
 * the device's TDP, an upper bound for a device kept busy) plus the host's share, times PUE
 * (cost.c).
 */
#include "mlsim/analytic.h"

#include <string.h>

#include "mlsim/cost.h"
#include "mlsim/diag.h"
#include "mlsim/model.h"
#include "mlsim/units.h"

enum mlsim_status mlsim_analytic_estimate(const struct mlsim_run *run, struct mlsim_result *out)
{
    memset(out, 0, sizeof *out);
    if (!run->device || run->count <= 0 || run->mfu <= 0)
        return MLSIM_ERR_INPUT;
    double peak = run->device->peak_flops[run->precision];
    if (peak <= 0)
        return MLSIM_ERR_INPUT;
    out->run = run;
    /* a mixture of experts computes each token with its active parameters only (model.h) */
    out->flops = 6.0 * mlsim_model_active_params(&run->model) * run->model.tokens;
    out->peak_flops = peak;
    out->mfu = run->mfu;
    double device_seconds = out->flops / (peak * run->mfu);
    out->time_s = device_seconds / run->count;
    mlsim_cost_finish(run, device_seconds, 1.0, out);
    return MLSIM_OK;
}

void mlsim_analytic_memory_note(const struct mlsim_run *run, struct mlsim_diags *d)
{
    char need[64], have[64];
    double states = 16.0 * run->model.params;
    double total = run->device->mem_bytes * run->count;
    mlsim_units_format(states, MLSIM_DIM_BYTES, need, sizeof need);
    if (run->device->mem_bytes <= 0) {
        mlsim_diags_report(
            d, MLSIM_SEVERITY_NOTE, run->loc,
            "run '%s': memory not checked: %s has no memory capacity in hwdb (the model's states "
            "alone need %s)",
            run->name, run->device->id, need);
        return;
    }
    if (states > total)
        mlsim_diags_report(
            d, MLSIM_SEVERITY_NOTE, run->loc,
            "run '%s' would not fit: weights, gradients and Adam states alone need %s, and %d x %s "
            "hold %s in all",
            run->name, need, run->count, run->device->id,
            mlsim_units_format(total, MLSIM_DIM_BYTES, have, sizeof have));
}

void mlsim_analytic_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_run *r = res->run;
    const struct mlsim_device *dev = r->device;
    char x[64], y[64], o[160];
    mlsim_assume(a,
                 "Training FLOPs = 6 x params x tokens (forward 2ND + backward 4ND; attention and "
                 "recomputation not counted; Kaplan et al. 2020)");
    if (r->params_from_shape)
        mlsim_model_assumptions(&r->model, a);
    mlsim_assume(a, "MFU %s assumed (%s); peak %s per device is the dense %s figure of %s",
                 mlsim_units_format(r->mfu, MLSIM_DIM_RATIO, x, sizeof x),
                 mlsim_scenario_origin(r, "mfu", a->with_lines, o, sizeof o),
                 mlsim_units_format(res->peak_flops, MLSIM_DIM_FLOPS, y, sizeof y),
                 mlsim_precision_names[r->precision], dev->id);
    mlsim_cost_assumptions(res, a);
}
