/*
 * Charts: for each chart of the lecture (and a few beyond it), the numbers behind it, computed by
 * the simulator, written as CSV beside a readable gnuplot script that draws them. The script is
 * self-contained: a few variables (data files, titles, the source footnote), then the shared
 * style (plots/style.gp) and the chart's own template (plots/<chart>.gp), both compiled into
 * mlsim (never read at run time, so no folder can change what gnuplot runs). Rendering is
 * the caller's business (`gnuplot -e "fmt='png'" CHART.gp` in the output folder); this module
 * runs nothing and prints nothing. Same inputs, same bytes.
 */
#ifndef MLSIM_PLOT_H
#define MLSIM_PLOT_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/status.h"

/* Output formats a script can render, as bits; their names are "png", "svg" and "pdf". */
enum mlsim_plot_format { MLSIM_PLOT_PNG = 1, MLSIM_PLOT_SVG = 2, MLSIM_PLOT_PDF = 4 };

/* Rendered size: 1920 x 1080 pixels (PNG, SVG); the PDF page has the same proportions. */
#define MLSIM_PLOT_WIDTH_PX  1920
#define MLSIM_PLOT_HEIGHT_PX 1080

/* What a chart reads: a scenario file or a device id of the hardware database. */
enum mlsim_plot_input { MLSIM_PLOT_INPUT_SCENARIO, MLSIM_PLOT_INPUT_DEVICE };

/* One chart request. Every path is borrowed. */
struct mlsim_plot_request {
    const char *out_dir;  /* an existing folder; the chart's files are written into it */
    const char *root;     /* the folder holding scenarios/ and validate/ (data, never code) */
    const char *input;    /* a scenario file or a device id; NULL: the chart's default */
    const char *x_field;  /* the sweep chart's x: a field the scenario sweeps (NULL: its first) */
    const char *y_column; /* the sweep chart's y: a numeric result column (NULL: time_s) */
};

struct mlsim_plot_job;

/* A chart: its name (also the stem of its files), what it shows, what it reads. */
struct mlsim_plot_chart {
    const char *name;
    const char *summary;
    int input;                 /* enum mlsim_plot_input */
    const char *default_input; /* a path relative to the root, or a device id */
    enum mlsim_status (*write)(struct mlsim_plot_job *job);
};

/* The number of charts, and chart I (NULL past the last), in the lecture's order. */
size_t mlsim_plot_chart_count(void);
const struct mlsim_plot_chart *mlsim_plot_chart_at(size_t i);

/* The chart named NAME, or NULL. */
const struct mlsim_plot_chart *mlsim_plot_chart_find(const char *name);

/* The format named NAME ("png", "svg", "pdf"): its bit, or 0. */
int mlsim_plot_format_from_name(const char *name);

/* Compute chart C as REQ asks, against the devices of DB, and write into REQ->out_dir its data,
 * C->name.csv (and C->name-*.csv where a chart has more than one table), and its gnuplot script,
 * C->name.gp. Each file is written beside its final name, and all are renamed into place
 * together once the whole chart succeeds (each only over nothing or a regular file), so a failed
 * chart leaves no file of its own half-written or mixed with an older run's. Faults of the input (a
 * scenario, a measured CSV) are reported into D, each with its place. Returns MLSIM_OK,
 * MLSIM_ERR_INPUT, MLSIM_ERR_IO (a file that cannot be written) or MLSIM_ERR_NOMEM. */
enum mlsim_status mlsim_plot_write(const struct mlsim_plot_chart *c,
                                   const struct mlsim_plot_request *req, struct mlsim_hwdb *db,
                                   struct mlsim_diags *d);

#endif
