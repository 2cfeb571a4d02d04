/*
 * Step to run. Power follows utilization: the device draws its average power (default: its TDP)
 * while its compute stream is busy and its idle power otherwise (the average throughout when
 * hwdb gives no idle figure), plus the host's share, times the facility's PUE.
 */
#include "mlsim/cost.h"

#include "mlsim/montecarlo.h"
#include "mlsim/scenario.h"
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

void mlsim_cost_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_run *r = res->run;
    const struct mlsim_device *dev = r->device;
    const struct mlsim_economics *e = &r->econ;
    char x[64], y[64], o[160];
    for (int i = 0; i < r->n_notes; i++) /* the defaults resolve chose (scenario.h) */
        mlsim_assume(a, "%s", r->notes[i]);
    if (mlsim_scenario_origin(r, "economics.price_per_device_hour", a->with_lines, o, sizeof o))
        mlsim_assume(a, "Price %s per device-hour (%s)",
                     mlsim_units_format(e->price_usd_per_s, MLSIM_DIM_MONEY_RATE, x, sizeof x), o);
    else
        mlsim_assume(a,
                     "Price %s per device-hour: the on-demand rental price of %s in hwdb (seen %s)",
                     mlsim_units_format(e->price_usd_per_s, MLSIM_DIM_MONEY_RATE, x, sizeof x),
                     dev->id, dev->rental_date);
    if (res->simulated && dev->idle_w > 0)
        mlsim_assume(
            a, "Device power follows utilization: %s idle to %s busy (busy %.0f%% of the step)",
            mlsim_units_format(dev->idle_w, MLSIM_DIM_POWER, x, sizeof x),
            mlsim_units_format(e->device_power_w, MLSIM_DIM_POWER, y, sizeof y),
            100.0 * res->busy_fraction);
    else if (mlsim_scenario_origin(r, "economics.device_power", a->with_lines, o, sizeof o))
        mlsim_assume(a, "Device power %s on average (%s)",
                     mlsim_units_format(e->device_power_w, MLSIM_DIM_POWER, x, sizeof x), o);
    else
        mlsim_assume(
            a,
            "Device power %s: the TDP of %s, an upper bound for a device kept busy the whole run",
            mlsim_units_format(e->device_power_w, MLSIM_DIM_POWER, x, sizeof x), dev->id);
    if (mlsim_scenario_origin(r, "economics.host_power_per_device", a->with_lines, o, sizeof o))
        mlsim_assume(a, "Host power %s per device (%s)",
                     mlsim_units_format(e->host_power_w, MLSIM_DIM_POWER, x, sizeof x), o);
    else if (r->host_power_from_system)
        mlsim_assume(
            a, "Host power %s per device: %s's node maximum of %s over %d devices, less their TDP",
            mlsim_units_format(e->host_power_w, MLSIM_DIM_POWER, x, sizeof x), r->system->id,
            mlsim_units_format(r->system->node.power_w, MLSIM_DIM_POWER, y, sizeof y),
            r->system->node.devices);
    else
        mlsim_assume(
            a, "Host power not counted (set economics.host_power_per_device to add CPUs, memory, "
               "network)");
    if (mlsim_scenario_origin(r, "economics.pue", a->with_lines, o, sizeof o))
        mlsim_assume(a, "PUE %.3g (%s)", e->pue, o);
    else
        mlsim_assume(a, "PUE %.3g: default, %s", e->pue, MLSIM_DEFAULT_PUE_SOURCE);
    if (mlsim_scenario_origin(r, "economics.carbon_intensity", a->with_lines, o, sizeof o))
        mlsim_assume(
            a, "Grid %s (%s)",
            mlsim_units_format(e->carbon_kg_per_j, MLSIM_DIM_CARBON_INTENSITY, x, sizeof x), o);
    else
        mlsim_assume(
            a, "Grid %s: default, %s",
            mlsim_units_format(e->carbon_kg_per_j, MLSIM_DIM_CARBON_INTENSITY, x, sizeof x),
            MLSIM_DEFAULT_CARBON_SOURCE);
    if (e->electricity_usd_per_j > 0)
        mlsim_assume(
            a, "Electricity %s, billed on top of the rental price",
            mlsim_units_format(e->electricity_usd_per_j, MLSIM_DIM_ENERGY_PRICE, x, sizeof x));
    else
        mlsim_assume(a,
                     "Electricity not billed separately: the rental price is taken to include it");
    if (r->reliability.enabled && res->rel.samples > 0)
        mlsim_montecarlo_assumptions(res, a);
}
