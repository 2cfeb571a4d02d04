/*
 * Step to run. Power follows utilization: the device draws its average power (default: its TDP)
 * while its compute stream is busy and its idle power otherwise (the average throughout when
 * hwdb gives no idle figure), plus the host's share, times the facility's PUE.
 */
#include "mlsim/cost.h"

#include "mlsim/montecarlo.h"
#include "mlsim/price.h"
#include "mlsim/scenario.h"
#include "mlsim/units.h"
#include "mlsim/wholerun.h"

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

/* The step of B sequences of a batch of G (mlsim_cost_rampup_seconds). */
static double step_of(double b, double g, double step_s, double compute_s)
{
    return step_s - compute_s * (1.0 - b / g);
}

double mlsim_cost_rampup_seconds(const struct mlsim_training *t, double tokens, double seq_tokens,
                                 double step_s, double compute_s, double *steps)
{
    double g = t->global_batch, left = seq_tokens > 0 ? tokens / seq_tokens : 0, time = 0;
    int ramp = t->rampup.start > 0 && t->rampup.increment > 0 && t->rampup.start < t->global_batch;
    *steps = 0;
    if (ramp) {
        long long sizes = (t->global_batch - t->rampup.start) / t->rampup.increment;
        double per_size = t->rampup.tokens / seq_tokens / (double)(sizes > 0 ? sizes : 1);
        for (long long k = 0; k < sizes && left > 0; k++) {
            double b = t->rampup.start + (double)k * t->rampup.increment;
            double take = per_size < left ? per_size : left, n = take / b;
            time += n * step_of(b, g, step_s, compute_s);
            *steps += n;
            left -= take;
        }
    }
    if (left > 0) {
        *steps += left / g;
        time += left / g * step_s;
    }
    if (*steps < 1.0) { /* a run shorter than a step still takes its one step, at its batch */
        *steps = 1.0;
        time = ramp ? step_of(t->rampup.start, g, step_s, compute_s) : step_s;
    }
    return time;
}

/* A simulated run with a ramp-up: its steps and time summed batch size by batch size. */
static int ramped(const struct mlsim_run *run, const struct mlsim_result *out)
{
    return run->mode == MLSIM_MODE_SIMULATE && run->training.rampup.start > 0 && out->simulated &&
           out->step_s > 0 && run->model.type == MLSIM_MODEL_TRANSFORMER;
}

/* The ramp-up's sentence: its sizes, its steps and what it adds to the run at the full batch. */
static void rampup_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_run *r = res->run;
    const struct mlsim_training *t = &r->training;
    char x[64], y[64];
    struct mlsim_training flat = *t;
    flat.rampup.start = 0;
    double steps = 0, full_steps = 0;
    double ramp_s = mlsim_cost_rampup_seconds(t, r->model.tokens, r->model.seq_len, res->step_s,
                                              res->compute_s, &steps);
    double full_s = mlsim_cost_rampup_seconds(&flat, r->model.tokens, r->model.seq_len, res->step_s,
                                              res->compute_s, &full_steps);
    mlsim_assume(a,
                 "Batch ramped up as Megatron-LM's --rampup-batch-size (GPT-3's ramp, Brown et al. "
                 "2020, Sec. 2.3): from %d sequences by %d to %d over the first %s tokens, %d "
                 "sizes; a step of fewer sequences saves the busiest device's compute for those "
                 "left out, not the pipeline's fill and drain, the reduction or the update: %.4g "
                 "steps, %s more than %.4g steps at the full batch",
                 t->rampup.start, t->rampup.increment, t->global_batch,
                 mlsim_units_format(t->rampup.tokens, MLSIM_DIM_COUNT, x, sizeof x),
                 (t->global_batch - t->rampup.start) / t->rampup.increment, steps,
                 mlsim_units_format(ramp_s - full_s, MLSIM_DIM_TIME, y, sizeof y), full_steps);
}

void mlsim_cost_finish(const struct mlsim_run *run, double device_seconds, double busy,
                       struct mlsim_result *out)
{
    if (ramped(run, out)) {
        out->time_s =
            mlsim_cost_rampup_seconds(&run->training, run->model.tokens, run->model.seq_len,
                                      out->step_s, out->compute_s, &out->steps);
        device_seconds = out->time_s * run->count;
    }
    if (run->count > 0) { /* evaluation passes and initialization on the clock (wholerun.h) */
        double rate = out->tokens_per_s > 0 ? out->tokens_per_s : run->model.tokens / out->time_s;
        out->eval_s = mlsim_wholerun_eval_seconds(run, rate, out->mfu, out->hfu, &out->eval_passes);
        out->init_timed_s = mlsim_wholerun_init_timed_s(run);
        out->time_s += out->eval_s + out->init_timed_s;
        device_seconds += (out->eval_s + out->init_timed_s) * run->count;
    }
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
    else if (!mlsim_price_known(r))
        mlsim_assume(a,
                     "No price: %s has no rental price in hwdb, so the cost is left out (set "
                     "economics.price_per_device_hour to price the run)",
                     dev->id);
    else {
        /* A default price says where it is from and when, so its reader can judge its age */
        const struct mlsim_source *src = mlsim_device_source(dev, "price.rental");
        mlsim_assume(
            a, "Price %s per device-hour: the on-demand rental price of %s in hwdb (seen %s%s%s)",
            mlsim_units_format(e->price_usd_per_s, MLSIM_DIM_MONEY_RATE, x, sizeof x), dev->id,
            dev->rental_date, src ? "; " : "", src ? src->cite : "");
    }
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
    if (ramped(r, res))
        rampup_assumptions(res, a);
    mlsim_wholerun_eval_assumptions(res, a);
    if (r->reliability.enabled && res->rel.samples > 0)
        mlsim_montecarlo_assumptions(res, a);
}
