/*
 * Step to run. Power follows utilization: the device draws its average power (default: its TDP)
 * while its compute stream is busy and its idle power otherwise (the average throughout when
 * hwdb gives no idle figure), plus the host's share, times the facility's PUE.
 */
#include "mlsim/cost.h"

#include "mlsim/montecarlo.h"
#include "mlsim/units.h"

static void price(const struct mlsim_run *run, double device_seconds, double busy,
                  struct mlsim_result *out)
{
    const struct mlsim_economics *e = &run->econ;
    double idle_w = run->device->idle_w > 0 ? run->device->idle_w : e->device_power_w;
    double device_w =
        busy >= 1.0 ? e->device_power_w : idle_w + (e->device_power_w - idle_w) * busy;
    out->device_hours = device_seconds / MLSIM_UNITS_S_PER_HOUR;
    out->cost_usd = device_seconds * e->price_usd_per_s;
    out->avg_power_w = device_w + e->host_power_w;
    out->energy_j = device_seconds * out->avg_power_w * e->pue;
    out->energy_cost_usd = out->energy_j * e->electricity_usd_per_j;
    out->co2_kg = out->energy_j * e->carbon_kg_per_j;
}

void mlsim_cost_finish(const struct mlsim_run *run, double device_seconds, double busy,
                       struct mlsim_result *out)
{
    /* A run with a reliability block is stretched by its failures, checkpoints and restarts
     * (montecarlo.h) before it is priced; a failure of that simulation is left in out->rel. */
    if (run->reliability.enabled && run->count > 0) {
        (void)mlsim_montecarlo_run(run, device_seconds / run->count, busy, price, out);
        return;
    }
    price(run, device_seconds, busy, out);
}
