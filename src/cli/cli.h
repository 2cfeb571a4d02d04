/*
 * What the command line's files share. `mlsim SCENARIO` is main.c; each subcommand
 * (`mlsim hw ...`, `mlsim calibrate ...`) is a file of its own with one entry point, listed in
 * main.c's subcommand table. Exit status everywhere: 0 ok, 1 bad input, 2 bad usage.
 */
#ifndef MLSIM_CLI_H
#define MLSIM_CLI_H

#include <getopt.h>
#include <stddef.h>

enum { MLSIM_EXIT_OK = 0, MLSIM_EXIT_INPUT = 1, MLSIM_EXIT_USAGE = 2 };

/* The hardware database folder: GIVEN (--hwdb) if not NULL, else $MLSIM_HWDB, else
 * ../share/mlsim/hwdb beside the binary, else the source tree's hwdb/. BUF holds the result. */
const char *mlsim_cli_locate_hwdb(const char *given, char *buf, size_t len);

/* The most folders --hwdb-add and MLSIM_HWDB_PATH layer over the database, together. */
#define MLSIM_CLI_MAX_LAYERS 16

/* Open the hardware database into *DB (data.c): mlsim_cli_locate_hwdb(GIVEN), with the folders
 * of $MLSIM_HWDB_PATH (':'-separated) and then ADDS (N, from --hwdb-add) layered over it, each
 * searched before the shipped one. A layer that is not a folder is an error said on stderr.
 * Returns an exit status; on MLSIM_EXIT_OK *DB is the caller's to free. */
struct mlsim_hwdb;
int mlsim_cli_open_hwdb(const char *given, const char *const *adds, size_t n,
                        struct mlsim_hwdb **db);

/* `mlsim SCENARIO.yaml [OPTIONS]` (main.c): ARGV as main's. With TEXT not NULL, the scenario is
 * TEXT, named NAME in messages, and ARGV holds no file. Returns an exit status. */
int mlsim_cli_scenario(int argc, char **argv, const char *name, const char *text);

/* `mlsim models [ID...]` (models.c), `mlsim run --model ID --device ID ...` (run.c), `mlsim
 * fields` (fields.c): ARGV[0] is the subcommand's name. */
int mlsim_cli_models(int argc, char **argv);
int mlsim_cli_run(int argc, char **argv);
int mlsim_cli_fields(int argc, char **argv);

/* Did-you-mean (suggest.c). ARG as a getopt_long option it did not know, for a usage message:
 * "--formt (did you mean '--format'?)" when ARG is near one of LONGOPTS, else ARG; written into
 * BUF (LEN bytes). */
const char *mlsim_cli_bad_option(const char *arg, const struct option *longopts, char *buf,
                                 size_t len);
/* `mlsim hw list|show|compare ...` (hw.c): ARGV[0] is "hw". Returns an exit status. */
int mlsim_cli_hw(int argc, char **argv);

/* `mlsim calibrate FILE.csv --device ID ...` (calibrate.c): ARGV[0] is "calibrate". */
int mlsim_cli_calibrate(int argc, char **argv);

/* `mlsim calibrate LAYERS.yaml [--device ID] ...` (calibrate_layers.c): the GEMM efficiency of
 * DEVICE (default: the file's) fitted to the measured layer times in PATH. */
int mlsim_cli_calibrate_layers(const char *path, const char *device, const char *hwdb,
                               const char *out, int quiet);

/* `mlsim calibrate FILE.yaml` (calibrate_runs.c): a layer fit if FILE has `layers:`, else a fit
 * of DEVICE's GEMM efficiency scale to the scenario's runs with references. An exit status. */
int mlsim_cli_calibrate_yaml(const char *path, const char *device, const char *hwdb,
                             const char *out, int quiet);

/* A progress line for long work (progress.c): drawn on stderr only when it is a terminal and the
 * work has run over a second. */
struct mlsim_cli_progress {
    const char *what;
    double t0, last, after_s;
    int shown, tty;
};
void mlsim_cli_progress_start(struct mlsim_cli_progress *p, const char *what);
void mlsim_cli_progress(void *ctx, size_t done, size_t total); /* CTX: the progress */
void mlsim_cli_progress_end(struct mlsim_cli_progress *p);

/* `mlsim search SCENARIO.yaml ...` (search.c): ARGV[0] is "search". */
int mlsim_cli_search(int argc, char **argv);

/* `mlsim plot CHART [SCENARIO] ...` (plot.c): ARGV[0] is "plot". */
int mlsim_cli_plot(int argc, char **argv);

#endif
