/*
 * The mode table and its dispatcher. Analytic mode also says, as a note, when the run's states
 * cannot fit its devices: it checks memory no other way.
 */
#include "mlsim/run.h"

#include <stdio.h>
#include <string.h>

#include "mlsim/analytic.h"
#include "mlsim/simulate.h"
#include "mlsim/uncertain.h"

static enum mlsim_status analytic(const struct mlsim_run *run, struct mlsim_result *out,
                                  struct mlsim_sim **keep, struct mlsim_diags *d)
{
    (void)keep;
    enum mlsim_status st = mlsim_analytic_estimate(run, out);
    if (st == MLSIM_OK)
        mlsim_analytic_memory_note(run, d);
    else
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, run->loc, "run '%s' cannot be estimated",
                           run->name);
    return st;
}

static enum mlsim_status inference(const struct mlsim_run *run, struct mlsim_result *out,
                                   struct mlsim_sim **keep, struct mlsim_diags *d)
{
    (void)keep;
    return mlsim_inference_estimate(run, out, d);
}

/* In the order of enum mlsim_mode. */
static const struct mlsim_mode_type modes[] = {
    {"analytic", analytic, mlsim_analytic_assumptions},
    {"simulate", mlsim_simulate_estimate, mlsim_simulate_assumptions},
    {"inference", inference, mlsim_inference_assumptions},
};

_Static_assert(sizeof modes / sizeof modes[0] == MLSIM_MODE_N, "one mode type per enum mlsim_mode");

const struct mlsim_mode_type *mlsim_run_mode(int mode)
{
    if (mode < 0 || (size_t)mode >= sizeof modes / sizeof modes[0])
        return NULL;
    return &modes[mode];
}

/* One draw of a run's uncertain inputs (uncertain.h), estimated as any run. */
static enum mlsim_status estimate_draw(const struct mlsim_run *run, struct mlsim_result *out,
                                       struct mlsim_diags *d)
{
    return mlsim_run_estimate(run, out, NULL, d);
}

void mlsim_run_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_mode_type *m = res->run ? mlsim_run_mode(res->run->mode) : NULL;
    if (m && m->assumptions)
        m->assumptions(res, a);
    mlsim_uncertain_assumptions(res, a);
}

enum mlsim_status mlsim_run_estimate(const struct mlsim_run *run, struct mlsim_result *out,
                                     struct mlsim_sim **keep, struct mlsim_diags *d)
{
    const struct mlsim_mode_type *m = mlsim_run_mode(run->mode);
    memset(out, 0, sizeof *out);
    if (keep)
        *keep = NULL;
    if (!m) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, run->loc, "run '%s': unknown mode", run->name);
        return MLSIM_ERR_INPUT;
    }
    if (run->not_run[0]) { /* a table's row the loader found not to tile */
        out->run = run;
        snprintf(out->not_run, sizeof out->not_run, "%s", run->not_run);
        return MLSIM_OK;
    }
    enum mlsim_status st = m->estimate(run, out, keep, d);
    if (st == MLSIM_OK && out->rel.status != MLSIM_OK) {
        st = (enum mlsim_status)out->rel.status;
        mlsim_diags_report(
            d, MLSIM_SEVERITY_ERROR, run->loc,
            "run '%s': the whole run with failures cannot be simulated: %s", run->name,
            out->rel.too_much_work
                ? "more replicates and failures than the limit of work (set fewer samples)"
            : st == MLSIM_ERR_RANGE ? "failures come faster than it can progress (goodput under 1%)"
                                    : mlsim_status_message(st));
    }
    if (st == MLSIM_OK && run->n_dists > 0) /* its uncertain inputs drawn, its bands */
        st = mlsim_uncertain_run(run, out, estimate_draw, d);
    return st;
}
