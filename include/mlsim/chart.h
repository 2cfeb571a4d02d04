/*
 * What every chart shares (src/chart.c), and the chart functions of each family (src/chart_*.c).
 * A chart function is given a job; it writes its CSV files and its gnuplot script through the
 * helpers here, which write each file beside its final name and rename it into place, and escape
 * every string for the place it lands in, so that no text of a scenario, a device or a path can
 * become a gnuplot command. The templates come from mlsim itself (compiled in from the .gp files of
 * plots/), never from a folder found at run time. src/plot.c holds the one table of charts.
 */
#ifndef MLSIM_CHART_H
#define MLSIM_CHART_H

#include <stdio.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/plot.h"
#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/status.h"

/* Numbers in data files and scripts: enough digits to round-trip what a chart shows. */
#define MLSIM_CHART_NUM "%.10g"

#define MLSIM_CHART_PATH_LEN 1024

/* A file written in full under a temporary name, waiting for the chart to succeed. */
struct mlsim_chart_pending {
    char path[MLSIM_CHART_PATH_LEN];
    char tmp[MLSIM_CHART_PATH_LEN + 32];
};

/* One chart being written. Everything but PENDING is borrowed from mlsim_plot_write's caller. */
struct mlsim_plot_job {
    const struct mlsim_plot_chart *chart;
    const struct mlsim_plot_request *req;
    struct mlsim_hwdb *db;
    struct mlsim_diags *d;
    char input[MLSIM_CHART_PATH_LEN]; /* the scenario path or device id in use */
    char shown[200];                  /* the same for people: relative to the root when under it */
    struct mlsim_chart_pending *pending; /* the chart's closed files, renamed together at the end */
    size_t n_pending, cap_pending;
    size_t errors_before; /* errors in D when the job began */
};

/* A file written under a temporary name and renamed into place when complete. */
struct mlsim_chart_out {
    FILE *f;
    char path[MLSIM_CHART_PATH_LEN];
    char tmp[MLSIM_CHART_PATH_LEN + 32];
};

/* A place that names only FILE (no line). */
struct mlsim_loc mlsim_chart_nowhere(const char *file);

/* Open OUT_DIR/CHART SUFFIX for writing into *O: a new temporary file beside it (made with
 * O_EXCL, so never a file or link already there). Returns MLSIM_ERR_IO (reported into the job's
 * diags) if it cannot be. */
enum mlsim_status mlsim_chart_open(struct mlsim_plot_job *job, const char *suffix,
                                   struct mlsim_chart_out *o);

/* Close O. When ST is MLSIM_OK and every write succeeded the file waits in the job to be renamed
 * into place with the chart's other files once the whole chart succeeds (mlsim_chart_finish);
 * otherwise it is removed. Returns ST, or MLSIM_ERR_IO (reported) if the file could not be
 * completed, or MLSIM_ERR_NOMEM. */
enum mlsim_status mlsim_chart_close(struct mlsim_plot_job *job, struct mlsim_chart_out *o,
                                    enum mlsim_status st);

/* End the job: when ST is MLSIM_OK and the job reported no error, rename every pending file into
 * place, each only over nothing or a regular file (a folder or a link is reported and left);
 * otherwise, or if one cannot be renamed, remove the files not yet in place, so that a failed
 * chart leaves its earlier files as they were. Frees the pending list. Returns the status. */
enum mlsim_status mlsim_chart_finish(struct mlsim_plot_job *job, enum mlsim_status st);

/* ---- CSV: what gnuplot reads as data ---- */

/* A text field, always quoted: a double quote becomes a single one (gnuplot reads quoted fields
 * but not doubled quotes) and a control character a space (a newline would end the row). */
void mlsim_chart_csv_str(FILE *f, const char *s);

/* A number with MLSIM_CHART_NUM; NaN for unknown (NaN or infinite) values. */
void mlsim_chart_num(FILE *f, double x);

/* A comma, then the number X. */
void mlsim_chart_csv_num(FILE *f, double x);

/* ---- gnuplot script text ---- */

/* S as a gnuplot single-quoted string: a quote is doubled and a control character becomes a
 * space. Inside single quotes gnuplot expands neither backticks nor @macros, and a backslash is
 * an ordinary character, so nothing in S can leave the string. */
void mlsim_chart_gp_quote(FILE *f, const char *s);

/* S as text of a comment line: a control character (a newline would end the comment and start a
 * command), a backslash (at the end of a line it continues the comment onto the next) and a
 * backtick (command substitution; gnuplot 5.4 does not expand it in a comment, but that is not
 * promised) each become '?'. */
void mlsim_chart_gp_comment(FILE *f, const char *s);

/* `KEY = 'VALUE'`, `KEY = NUMBER`, and `array KEY[N] = ['A', ...]` lines; KEY is mlsim's own. */
void mlsim_chart_gp_str(FILE *f, const char *key, const char *value);
void mlsim_chart_gp_num(FILE *f, const char *key, double value);
void mlsim_chart_gp_array(FILE *f, const char *key, const char *const *items, size_t n);

/* The text of the template FILE ("style.gp", "<chart>.gp") compiled into mlsim from plots/, or
 * NULL if there is none. Defined in the source that CMake generates (plots/embed.cmake). */
const char *mlsim_chart_template(const char *file);

/* Open the chart's script and write its banner and the variables every chart has: name, data,
 * chart_title (TITLE) and footnote (FOOTNOTE, broken into lines). */
enum mlsim_status mlsim_chart_script_begin(struct mlsim_plot_job *job, struct mlsim_chart_out *o,
                                           const char *title, const char *footnote);

/* Append the shared style and the chart's template, and close the script. */
enum mlsim_status mlsim_chart_script_end(struct mlsim_plot_job *job, struct mlsim_chart_out *o);

/* ---- scenarios ---- */

/* Load the scenario PATH, override it with the N SETS (`key=value`) and resolve it into *SC
 * (freed here on failure), reporting into D. */
enum mlsim_status mlsim_chart_load(struct mlsim_plot_job *job, const char *path,
                                   const char *const *sets, size_t n, struct mlsim_diags *d,
                                   struct mlsim_scenario **sc);

/* The job's scenario loaded into *SC and every run estimated into a malloc'd *RES. */
enum mlsim_status mlsim_chart_load_estimated(struct mlsim_plot_job *job, struct mlsim_scenario **sc,
                                             struct mlsim_result **res);

/* The scenario's title, or its first run's name. */
const char *mlsim_chart_title(const struct mlsim_scenario *sc);

/* SC's own `sweep:` mapping (its one run's, or a table's defaults'), or NULL. */
struct mlsim_ynode;
const struct mlsim_ynode *mlsim_chart_own_sweep(const struct mlsim_scenario *sc);

/* ---- the charts, by family ---- */

/* chart_cost.c: the deck's LLM training cost table. */
enum mlsim_status mlsim_chart_cost_table(struct mlsim_plot_job *job);

/* chart_mnist.c: MNIST MLP training time, simulated and measured, per device. */
enum mlsim_status mlsim_chart_cpu_vs_gpu(struct mlsim_plot_job *job);

/* chart_sweep.c: what-ifs of a scenario over device counts. */
enum mlsim_status mlsim_chart_amdahl(struct mlsim_plot_job *job);
enum mlsim_status mlsim_chart_scaling(struct mlsim_plot_job *job);
enum mlsim_status mlsim_chart_pareto(struct mlsim_plot_job *job);
enum mlsim_status mlsim_chart_search(struct mlsim_plot_job *job);

/* chart_swept.c: a result column against a field the scenario sweeps, with Monte Carlo bands. */
enum mlsim_status mlsim_chart_swept(struct mlsim_plot_job *job);

/* chart_hw.c: charts of the hardware database. */
enum mlsim_status mlsim_chart_tpu_vs_gpu(struct mlsim_plot_job *job);
enum mlsim_status mlsim_chart_mu_eta(struct mlsim_plot_job *job);
enum mlsim_status mlsim_chart_roofline(struct mlsim_plot_job *job);

/* chart_timeline.c: one simulated step as a Gantt chart. */
enum mlsim_status mlsim_chart_timeline(struct mlsim_plot_job *job);

#endif
