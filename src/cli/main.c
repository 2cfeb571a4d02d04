/*
 * mlsim, the command line: parse arguments, call the library, print. All the work is in
 * libmlsim; this file only decides where the hardware database is and which format to write.
 * Exit status: 0 success, 1 bad input (reported as file:line:col: error: ...), 2 bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/outfile.h"
#include "mlsim/par.h"
#include "mlsim/report.h"
#include "mlsim/run.h"
#include "mlsim/scenario.h"
#include "mlsim/textio.h"
#include "mlsim/trace.h"
#include "mlsim/version.h"

#include "cli.h"

enum { EXIT_OK = MLSIM_EXIT_OK, EXIT_INPUT = MLSIM_EXIT_INPUT, EXIT_USAGE = MLSIM_EXIT_USAGE };

/* Subcommands: `mlsim NAME ARGS...` runs FN(argc - 1, argv + 1). One line each. */
struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
};

static const struct subcommand subcommands[] = {
    {"calibrate", mlsim_cli_calibrate}, {"hw", mlsim_cli_hw}, {"plot", mlsim_cli_plot},
    {"search", mlsim_cli_search},       {NULL, NULL},
};

#define MAX_SETS 64

static const char usage_text[] =
    "NAME\n"
    "    mlsim - what training a model on given hardware costs, in time, energy, dollars and CO2\n"
    "\n"
    "SYNOPSIS\n"
    "    mlsim [--format table|csv|json] [--set PATH=VALUE]... [--hwdb DIR] [--trace FILE] "
    "[--stats]\n"
    "          SCENARIO.yaml\n"
    "    mlsim hw list|show|compare ...      (mlsim hw --help)\n"
    "    mlsim search SCENARIO.yaml [...]     the best layouts (mlsim search --help)\n"
    "    mlsim calibrate FILE.csv --device ID (mlsim calibrate --help)\n"
    "    mlsim calibrate LAYERS.yaml          (a GPU's GEMM efficiency from layer times)\n"
    "    mlsim --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads a scenario (a model, its training tokens, a device from the hardware database and\n"
    "    how many of them, a precision, an assumed MFU, and prices) and prints what the run "
    "takes:\n"
    "    FLOPs, wall-clock time, device-hours, cost, energy and CO2, with every assumption and\n"
    "    where it came from. A scenario file holds one run, or a table of runs under 'runs:' with\n"
    "    shared 'defaults:'.\n"
    "\n"
    "    Modes (the scenario's 'mode:'): analytic, 6 N D FLOPs at an assumed MFU (the lecture's\n"
    "    cost table); simulate, a training step simulated kernel by kernel on a discrete-event\n"
    "    engine, from one device to clusters (tensor, pipeline, data parallelism, ZeRO), so the\n"
    "    MFU is an output; inference, the largest batch whose latency stays under a bound.\n"
    "\n"
    "    Built with MPI (cmake -DMLSIM_MPI=ON), 'mpirun -np N mlsim ...' spreads a table's runs,\n"
    "    or a single run's Monte Carlo replicates, over N ranks, and prints what one process\n"
    "    prints (only rank 0 writes).\n"
    "\n"
    "OPTIONS\n"
    "    -f, --format FORMAT  table (default: a report for people), csv, or json. CSV and JSON\n"
    "                         give numbers in SI units; energy in kWh, CO2 in kg.\n"
    "    -s, --set PATH=VALUE Override a field of every run, after the file is read, e.g.\n"
    "                         --set mfu=0.4 --set hardware.device=h100-sxm5-80gb\n"
    "                         --set economics.price_per_device_hour='$2/h'. May be repeated.\n"
    "        --hwdb DIR       Read devices from DIR (holding cpu/, gpu/, tpu/, asic/, system/).\n"
    "        --trace FILE     Write the simulated step of each 'mode: simulate' run to FILE as\n"
    "                         Chrome trace-event JSON (open it in ui.perfetto.dev).\n"
    "        --stats          Print simulation statistics to stderr: events, wall time, events/s.\n"
    "        --samples N      Monte Carlo replicates of a run with a 'reliability:' block\n"
    "                         (--set reliability.samples=N; default 200).\n"
    "        --seed S         Seed of their failure draws (--set reliability.seed=S; default 0):\n"
    "                         the same seed gives the same output.\n"
    "    -h, --help           Print this text and exit.\n"
    "    -V, --version        Print the version and exit.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  the report was written\n"
    "    1  bad input: every fault is printed to stderr as FILE:LINE:COL: error: MESSAGE, with "
    "the\n"
    "       line and a caret under the fault; nothing is written to stdout\n"
    "    2  bad usage (unknown option, no scenario file)\n"
    "\n"
    "ENVIRONMENT\n"
    "    MLSIM_HWDB  the hardware database folder, when --hwdb is not given\n"
    "\n"
    "FILES\n"
    "    Without --hwdb or MLSIM_HWDB, mlsim looks for ../share/mlsim/hwdb beside its own binary\n"
    "    (an installed mlsim), then the hwdb/ of the source tree it was built from.\n"
    "\n"
    "EXAMPLES\n"
    "    mlsim scenarios/gpt3_a100.yaml\n"
    "    mlsim scenarios/llm_cost_table.yaml --format csv\n"
    "    mlsim scenarios/gpt3_a100.yaml --set hardware.device=h100-sxm5-80gb --set mfu=0.4\n";

struct options {
    const char *format;
    const char *hwdb;
    const char *trace;
    int stats;
    const char *file;
    const char *sets[MAX_SETS];
    size_t n_sets;
    char mc_sets[2][64];  /* --samples and --seed, as the --set they stand for */
    struct mlsim_par par; /* where this process is in an MPI job (rank 0 of 1 without one) */
};

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "mlsim: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
    fprintf(
        stderr,
        "usage: mlsim [--format table|csv|json] [--set PATH=VALUE]... [--hwdb DIR] SCENARIO.yaml\n"
        "       mlsim --help for more\n");
    return EXIT_USAGE;
}

/* Parse ARGV into *OPT. Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct options *opt)
{
    enum { OPT_HWDB = 256, OPT_TRACE, OPT_STATS, OPT_SAMPLES, OPT_SEED };
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"set", required_argument, NULL, 's'},
                                             {"hwdb", required_argument, NULL, OPT_HWDB},
                                             {"help", no_argument, NULL, 'h'},
                                             {"trace", required_argument, NULL, OPT_TRACE},
                                             {"stats", no_argument, NULL, OPT_STATS},
                                             {"version", no_argument, NULL, 'V'},
                                             {"samples", required_argument, NULL, OPT_SAMPLES},
                                             {"seed", required_argument, NULL, OPT_SEED},
                                             {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:s:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            opt->format = optarg;
            break;
        case 's':
            if (opt->n_sets == MAX_SETS)
                return usage_error("too many --set options", NULL);
            opt->sets[opt->n_sets++] = optarg;
            break;
        case OPT_SAMPLES:
        case OPT_SEED: {
            /* Shorthands for --set reliability.samples=N and --set reliability.seed=S. */
            char *buf = opt->mc_sets[c == OPT_SEED];
            size_t len = sizeof opt->mc_sets[0];
            int w =
                snprintf(buf, len, "reliability.%s=%s", c == OPT_SEED ? "seed" : "samples", optarg);
            if (w < 0 || (size_t)w >= len)
                return usage_error("value too long:", optarg);
            if (opt->n_sets == MAX_SETS)
                return usage_error("too many --set options", NULL);
            opt->sets[opt->n_sets++] = buf;
            break;
        }
        case OPT_HWDB:
            opt->hwdb = optarg;
            break;
        case OPT_TRACE:
            opt->trace = optarg;
            break;
        case OPT_STATS:
            opt->stats = 1;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        case 'V':
            printf("mlsim %s\n", MLSIM_VERSION);
            return EXIT_OK;
        default:
            return usage_error("unknown option or missing argument:", argv[optind - 1]);
        }
    }
    if (optind == argc)
        return usage_error("no scenario file given", NULL);
    if (optind + 1 < argc)
        return usage_error("one scenario file at a time; extra argument:", argv[optind + 1]);
    opt->file = argv[optind];
    if (!mlsim_report_format_find(opt->format))
        return usage_error("unknown --format (use table, csv or json):", opt->format);
    return -1;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Find the hardware database: --hwdb, $MLSIM_HWDB, beside the installed binary, the source tree. */
const char *mlsim_cli_locate_hwdb(const char *given, char *buf, size_t len)
{
    if (given)
        return given;
    const char *env = getenv("MLSIM_HWDB");
    if (env && env[0])
        return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, len, "%s/../share/mlsim/hwdb", exe);
            if (is_dir(buf))
                return buf;
        }
    }
    return MLSIM_SOURCE_HWDB;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Say that memory ran out (the library reports it as a status, with no place in a file). */
static int out_of_memory(void)
{
    fputs("mlsim: error: out of memory\n", stderr);
    return EXIT_INPUT;
}

/* The ranks a scenario's runs are spread over: a table's runs go in blocks to the ranks and a
 * single run spreads its Monte Carlo replicates instead (par.h). A trace needs every simulated
 * step in one process, so rank 0 then does the work alone (NULL). */
static const struct mlsim_par *runs_par(const struct options *opt, struct mlsim_scenario *sc)
{
    if (opt->trace || opt->par.size <= 1)
        return NULL;
    if (sc->n_runs == 1) {
        sc->runs[0].reliability.par = &opt->par;
        return NULL;
    }
    return &opt->par;
}

/* Bring every rank's block of RES to each rank (their run pointers made this process's), its
 * diagnostics to rank 0's D, and the worst of the ranks' STATUS to all. */
static int gather_runs(const struct mlsim_par *par, struct mlsim_scenario *sc,
                       struct mlsim_result *res, struct mlsim_diags *d, size_t from, int status)
{
    if (!par)
        return status;
    if (mlsim_par_share(par, res, sc->n_runs, sizeof *res) != MLSIM_OK ||
        mlsim_par_gather_diags(par, d, from) != MLSIM_OK)
        return out_of_memory();
    for (size_t i = 0; i < sc->n_runs; i++)
        res[i].run = &sc->runs[i];
    return mlsim_par_max(par, status);
}

/* Estimate every run of SC into RES; simulated steps are kept in SIMS when a trace is asked. */
static int estimate_all(const struct options *opt, struct mlsim_scenario *sc,
                        struct mlsim_result *res, struct mlsim_sim **sims, struct mlsim_diags *d)
{
    uint64_t events = 0;
    double t0 = wall_now();
    int status = EXIT_OK;
    const struct mlsim_par *par = runs_par(opt, sc);
    size_t lo, hi, from = mlsim_diags_count(d);
    mlsim_par_block(par, sc->n_runs, &lo, &hi);
    if (opt->trace && opt->par.rank > 0)
        hi = lo; /* rank 0 traces alone */
    struct mlsim_cli_progress progress;
    mlsim_cli_progress_start(&progress, "run");
    progress.tty &= opt->par.rank == 0;
    for (size_t i = lo; i < hi; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        mlsim_cli_progress(&progress, i - lo, hi - lo);
        size_t errors = mlsim_diags_errors(d);
        enum mlsim_status st = mlsim_run_estimate(r, &res[i], opt->trace ? &sims[i] : NULL, d);
        if (st != MLSIM_OK)
            status = EXIT_INPUT; /* go on: report every run's faults */
        if (st != MLSIM_OK && mlsim_diags_errors(d) == errors) { /* never fail silently */
            fprintf(stderr, "mlsim: error: %s: run '", opt->file);
            mlsim_term_text(stderr, r->name);
            fprintf(stderr, "': %s\n", mlsim_status_message(st));
        }
    }
    mlsim_cli_progress_end(&progress);
    status = gather_runs(par, sc, res, d, from, status);
    for (size_t i = 0; i < sc->n_runs; i++)
        events += res[i].events;
    double dt = wall_now() - t0;
    if (opt->stats && opt->par.rank == 0)
        fprintf(stderr, "mlsim: %llu events simulated in %.6f s (%.3g events/s)\n",
                (unsigned long long)events, dt, dt > 0 ? (double)events / dt : 0.0);
    return status;
}

/* Load, override, resolve and estimate; on success *RES holds one result per run. */
static int run(const struct options *opt, struct mlsim_diags *d, struct mlsim_hwdb *db,
               struct mlsim_scenario **sc, struct mlsim_result **res, struct mlsim_sim ***sims)
{
    /* Go on past input errors as far as the file allows, to report every error at once. */
    enum mlsim_status st = mlsim_scenario_load(opt->file, d, sc);
    if (st == MLSIM_ERR_NOMEM)
        return out_of_memory();
    if (!*sc)
        return EXIT_INPUT;
    if (mlsim_scenario_set(*sc, opt->sets, opt->n_sets, d) == MLSIM_ERR_NOMEM)
        return out_of_memory();
    enum mlsim_status resolved = mlsim_scenario_resolve(*sc, db, d);
    if (resolved == MLSIM_ERR_NOMEM)
        return out_of_memory();
    if (resolved != MLSIM_OK || st != MLSIM_OK)
        return EXIT_INPUT;
    *res = calloc((*sc)->n_runs, sizeof **res);
    *sims = calloc((*sc)->n_runs, sizeof **sims);
    int failed = !*res || !*sims;
    if (mlsim_par_max(&opt->par, failed) || failed) /* every rank stops, or none */
        return out_of_memory();
    return estimate_all(opt, *sc, *res, *sims, d);
}

/* Write the trace safely (outfile.h): never half-written, never over the scenario it reads nor
 * through a device, a FIFO or a symbolic link. */
static int write_trace(const char *path, const char *input, const struct mlsim_scenario *sc,
                       struct mlsim_sim *const *sims)
{
    struct mlsim_outfile *of = NULL;
    const char *why = "";
    if (mlsim_outfile_open(path, &input, 1, &of, &why) != MLSIM_OK) {
        fprintf(stderr, "mlsim: error: trace '%s': %s\n", path, why);
        return EXIT_INPUT;
    }
    FILE *f = mlsim_outfile_stream(of);
    mlsim_trace_begin(f);
    int first = 1;
    for (size_t i = 0; i < sc->n_runs; i++) {
        if (!sims[i])
            continue;
        mlsim_trace_process(f, sims[i], (int)i, sc->runs[i].name, first);
        first = 0;
    }
    mlsim_trace_end(f);
    if (mlsim_outfile_commit(of, &why) != MLSIM_OK) {
        fprintf(stderr, "mlsim: error: trace '%s': %s\n", path, why);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

/* `mlsim SCENARIO.yaml` and its options, on rank PAR of a job (of one rank without MPI). */
static int estimate_command(int argc, char **argv, const struct mlsim_par *par)
{
    struct options opt = {.format = "table", .par = *par};
    int status = parse_args(argc, argv, &opt);
    if (status >= 0)
        return status;
    char hwdb_buf[PATH_MAX + 32];
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db =
        mlsim_hwdb_alloc(mlsim_cli_locate_hwdb(opt.hwdb, hwdb_buf, sizeof hwdb_buf));
    struct mlsim_scenario *sc = NULL;
    struct mlsim_result *res = NULL;
    struct mlsim_sim **sims = NULL;
    int failed = !d || !db;
    if (mlsim_par_max(&opt.par, failed) || failed) { /* every rank stops, or none */
        status = out_of_memory();
    } else {
        status = run(&opt, d, db, &sc, &res, &sims);
        if (mlsim_diags_errors(d) > 0)
            status = EXIT_INPUT;
        if (opt.par.rank == 0) /* rank 0 holds every rank's diagnostics */
            mlsim_diags_print(d, stderr);
    }
    if (status == EXIT_OK && opt.trace && opt.par.rank == 0)
        status = write_trace(opt.trace, opt.file, sc, sims);
    if (status == EXIT_OK && opt.par.rank == 0) {
        mlsim_report_write(stdout, mlsim_report_format_find(opt.format), sc, res, sc->n_runs);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fputs("mlsim: error: cannot write the report to standard output\n", stderr);
            status = EXIT_INPUT;
        }
    }
    for (size_t i = 0; sims && i < sc->n_runs; i++)
        mlsim_sim_free(sims[i]);
    free(sims);
    free(res);
    mlsim_scenario_free(sc);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    return status;
}

int main(int argc, char **argv)
{
    struct mlsim_par par;
    if (mlsim_par_init(&argc, &argv, &par) != MLSIM_OK) {
        fputs("mlsim: error: cannot start MPI\n", stderr);
        return EXIT_INPUT;
    }
    /* In a job of several ranks only rank 0 writes: the others' standard output goes nowhere. */
    if (par.rank > 0 && !freopen("/dev/null", "w", stdout)) {
        mlsim_par_finalize();
        return EXIT_INPUT;
    }
    int status = -1;
    for (size_t i = 0; argc > 1 && subcommands[i].name && status < 0; i++) {
        if (strcmp(argv[1], subcommands[i].name) != 0)
            continue;
        /* the search spreads its work over the ranks; the other subcommands are rank 0's alone
         * (their files would be written by every rank at once) */
        if (par.rank == 0 || subcommands[i].fn == mlsim_cli_search)
            status = subcommands[i].fn(argc - 1, argv + 1);
        else
            status = EXIT_OK;
    }
    if (status < 0)
        status = estimate_command(argc, argv, &par);
    mlsim_par_finalize();
    return status;
}
