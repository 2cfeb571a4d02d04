/*
 * The closed-form run estimate. Energy takes the average power per device as given (default:
 * the device's TDP, an upper bound for a device kept busy) plus the host's share, times PUE
 * (cost.c).
 */
#include "mlsim/analytic.h"

#include <string.h>

#include "mlsim/cost.h"
#include "mlsim/diag.h"
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
    out->flops = 6.0 * run->model.params * run->model.tokens;
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
