/*
 * Charts: the one table of them (name, summary, default input, the function that draws it) and
 * the entry point that sets up a chart's job. Each chart's function lives with its family in
 * src/chart_*.c; what they share is src/chart.c. Rendering is left to the caller.
 * Every number is printed with a fixed format and every list is in a fixed order, so a rerun
 * gives the same bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/plot.h"

#include <stdio.h>
#include <string.h>

#include "mlsim/chart.h"

/* The only list of charts, in the lecture's order. */
static const struct mlsim_plot_chart charts[] = {
    {"cost-table", "the deck's LLM training cost table as bars", MLSIM_PLOT_INPUT_SCENARIO,
     "scenarios/llm_cost_table.yaml", mlsim_chart_cost_table},
    {"cpu-vs-gpu", "MNIST MLP training time against trainable parameters, CPU vs GPU (log-log)",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/mnist_mlp_cpu_vs_gpu.yaml", mlsim_chart_cpu_vs_gpu},
    {"amdahl", "Amdahl's law for p = 0.5 to 0.95, with a simulated step's speed-up",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/gpt_1.3b_dgx_a100.yaml", mlsim_chart_amdahl},
    {"tpu-vs-gpu", "TPU vs GPU: throughput, power, throughput per watt, inferences/s",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/inference_k80_tpu_p40.yaml", mlsim_chart_tpu_vs_gpu},
    {"mu-eta", "mu (FLOP/s per $) and eta (FLOP/s per W) of every device, by year",
     MLSIM_PLOT_INPUT_SCENARIO, "hwdb", mlsim_chart_mu_eta},
    {"roofline", "a device's roofline with its measured calibration points",
     MLSIM_PLOT_INPUT_DEVICE, "epyc-zen5-2vcpu", mlsim_chart_roofline},
    {"scaling", "step time and efficiency against device count", MLSIM_PLOT_INPUT_SCENARIO,
     "scenarios/gpt_1.3b_dgx_a100.yaml", mlsim_chart_scaling},
    {"timeline", "the simulated step as a Gantt chart, one row per stream",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/gpt_1.3b_dgx_a100.yaml", mlsim_chart_timeline},
    {"pareto", "cost against time over what-ifs of device count, Pareto front marked",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/tpu_vs_gpu.yaml", mlsim_chart_pareto},
    {"search", "the layout search's candidates, time against cost, Pareto front across devices",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/tpu_vs_gpu.yaml", mlsim_chart_search},
    {"sweep", "a result column (--y) against a field the scenario sweeps (--x), P10-P90 bands",
     MLSIM_PLOT_INPUT_SCENARIO, "scenarios/gpt3_layout_sweep.yaml", mlsim_chart_swept},
};

#define N_CHARTS (sizeof charts / sizeof charts[0])

size_t mlsim_plot_chart_count(void)
{
    return N_CHARTS;
}

const struct mlsim_plot_chart *mlsim_plot_chart_at(size_t i)
{
    return i < N_CHARTS ? &charts[i] : NULL;
}

const struct mlsim_plot_chart *mlsim_plot_chart_find(const char *name)
{
    for (size_t i = 0; name && i < N_CHARTS; i++) {
        if (strcmp(charts[i].name, name) == 0)
            return &charts[i];
    }
    return NULL;
}

int mlsim_plot_format_from_name(const char *name)
{
    static const char *const names[] = {"png", "svg", "pdf"};
    for (int i = 0; name && i < 3; i++) {
        if (strcmp(names[i], name) == 0)
            return 1 << i;
    }
    return 0;
}

enum mlsim_status mlsim_plot_write(const struct mlsim_plot_chart *c,
                                   const struct mlsim_plot_request *req, struct mlsim_hwdb *db,
                                   struct mlsim_diags *d)
{
    if (!c || !req || !req->out_dir || !req->root || !db || !d)
        return MLSIM_ERR_INPUT;
    struct mlsim_plot_job job = {
        .chart = c, .req = req, .db = db, .d = d, .errors_before = mlsim_diags_errors(d)};
    int n;
    if (req->input)
        n = snprintf(job.input, sizeof job.input, "%s", req->input);
    else if (c->input == MLSIM_PLOT_INPUT_DEVICE || strcmp(c->default_input, "hwdb") == 0)
        n = snprintf(job.input, sizeof job.input, "%s", c->default_input);
    else
        n = snprintf(job.input, sizeof job.input, "%s/%s", req->root, c->default_input);
    if (n < 0 || (size_t)n >= sizeof job.input) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(c->name),
                           "input path too long");
        return MLSIM_ERR_INPUT;
    }
    size_t rl = strlen(req->root);
    const char *shown = job.input;
    if (strncmp(shown, req->root, rl) == 0 && shown[rl] == '/')
        shown += rl + 1;
    size_t len = strlen(shown) < sizeof job.shown ? strlen(shown) : sizeof job.shown - 1;
    memcpy(job.shown, shown, len); /* a long path is cut short: it is only shown */
    job.shown[len] = '\0';
    return mlsim_chart_finish(&job, c->write(&job));
}
