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

/* Subcommands: `mlsim NAME ARGS...` runs FN(argc - 1, argv + 1); `mlsim NAME --help` is its
 * manual. One line each: the manual's SYNOPSIS lists them from here, so a new subcommand is a
 * row and nothing else. */
struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *args;    /* what follows the name in the synopsis */
    const char *summary; /* what it does, in a few words */
};

static int help_command(int argc, char **argv);

static const struct subcommand subcommands[] = {
    {"hw", mlsim_cli_hw, "list|show|compare ...", "the hardware database"},
    {"search", mlsim_cli_search, "SCENARIO.yaml [...]", "the best layouts and devices"},
    {"run", mlsim_cli_run, "--model ID --device ID --count N ...",
     "a scenario in one line, no file"},
    {"models", mlsim_cli_models, "[ID...]", "the model zoo a scenario names with 'model: ID'"},
    {"fields", mlsim_cli_fields, "[--markdown]", "every scenario field: unit, default, meaning"},
    {"plot", mlsim_cli_plot, "CHART [SCENARIO | DEVICE] | all", "the lecture's charts"},
    {"calibrate", mlsim_cli_calibrate, "FILE.csv --device ID | LAYERS.yaml",
     "fit kernels to measurements"},
    {"help", help_command, "[COMMAND]", "this manual, or COMMAND's"},
    {NULL, NULL, NULL, NULL},
};

#define MAX_SETS 64

/* The manual, in two parts around the subcommands' synopsis lines (print_manual). */
static const char usage_head[] =
    "NAME\n"
    "    mlsim - what training a model on given hardware costs, in time, energy, dollars and CO2\n"
    "\n"
    "SYNOPSIS\n"
    "    mlsim [--format table|csv|json] [--set PATH=VALUE]... [--hwdb DIR] [--trace FILE] "
    "[--stats]\n"
    "          SCENARIO.yaml\n";

static const char usage_text[] =
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
    "        --hwdb-add DIR   Look for devices in DIR (laid out as hwdb/) before the database.\n"
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
    "    MLSIM_HWDB_PATH  folders (DIR1:DIR2) layered over it, as --hwdb-add\n"
    "\n"
    "FILES\n"
    "    Without --hwdb or MLSIM_HWDB, mlsim looks for ../share/mlsim/hwdb beside its own binary\n"
    "    (an installed mlsim), then the hwdb/ of the source tree it was built from.\n"
    "\n"
    "EXAMPLES\n"
    "    mlsim scenarios/gpt3_a100.yaml\n"
    "    mlsim scenarios/llm_cost_table.yaml --format csv\n"
    "    mlsim scenarios/gpt3_a100.yaml --set hardware.device=h100-sxm5-80gb --set mfu=0.4\n"
    "    mlsim help plot\n";

/* The manual: its head, a line per subcommand from the table, the rest. */
static void print_manual(FILE *f)
{
    fputs(usage_head, f);
    for (size_t i = 0; subcommands[i].name; i++) {
        int w = fprintf(f, "    mlsim %s %s", subcommands[i].name, subcommands[i].args);
        fprintf(f, "%*s%s\n", w < 56 ? 56 - w : 1, "", subcommands[i].summary);
    }
    fputs(usage_text, f);
}

/* The subcommand named NAME, or NULL. */
static const struct subcommand *find_subcommand(const char *name)
{
    for (size_t i = 0; subcommands[i].name; i++) {
        if (strcmp(name, subcommands[i].name) == 0)
            return &subcommands[i];
    }
    return NULL;
}

/* The subcommand near NAME (a did-you-mean), or NULL. */
static const char *near_subcommand(const char *name)
{
    enum { N = sizeof subcommands / sizeof subcommands[0] - 1 }; /* less the NULL row */
    const char *names[N];
    for (size_t i = 0; i < N; i++)
        names[i] = subcommands[i].name;
    return mlsim_diag_suggest(name, names, N);
}

/* `mlsim help [COMMAND]`: the manual, or COMMAND's (its --help). */
static int help_command(int argc, char **argv)
{
    if (argc < 2) {
        print_manual(stdout);
        return EXIT_OK;
    }
    const struct subcommand *sub = find_subcommand(argv[1]);
    if (sub && sub->fn == help_command) {
        print_manual(stdout);
        return EXIT_OK;
    }
    if (!sub) {
        const char *hint = near_subcommand(argv[1]);
        fprintf(stderr, "mlsim help: unknown command '%s'", argv[1]);
        if (hint)
            fprintf(stderr, " (did you mean '%s'?)", hint);
        fputs("\nusage: mlsim help [COMMAND]\n", stderr);
        return EXIT_USAGE;
    }
    char help_flag[] = "--help";
    char *args[] = {argv[1], help_flag, NULL};
    return sub->fn(2, args);
}

struct options {
    const char *format;
    const char *hwdb;
    const char *trace;
    int stats;
    const char *file;
    const char *text; /* `mlsim run`'s scenario, made from its options (file is its name) */
    const char *adds[MLSIM_CLI_MAX_LAYERS]; /* --hwdb-add */
    size_t n_adds;
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
    enum { OPT_HWDB = 256, OPT_TRACE, OPT_STATS, OPT_SAMPLES, OPT_SEED, OPT_HWDB_ADD };
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"set", required_argument, NULL, 's'},
                                             {"hwdb", required_argument, NULL, OPT_HWDB},
                                             {"help", no_argument, NULL, 'h'},
                                             {"trace", required_argument, NULL, OPT_TRACE},
                                             {"stats", no_argument, NULL, OPT_STATS},
                                             {"version", no_argument, NULL, 'V'},
                                             {"samples", required_argument, NULL, OPT_SAMPLES},
                                             {"seed", required_argument, NULL, OPT_SEED},
                                             {"hwdb-add", required_argument, NULL, OPT_HWDB_ADD},
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
        case OPT_HWDB_ADD:
            if (opt->n_adds == MLSIM_CLI_MAX_LAYERS)
                return usage_error("too many --hwdb-add options", NULL);
            opt->adds[opt->n_adds++] = optarg;
            break;
        case OPT_TRACE:
            opt->trace = optarg;
            break;
        case OPT_STATS:
            opt->stats = 1;
            break;
        case 'h':
            print_manual(stdout);
            return EXIT_OK;
        case 'V':
            printf("mlsim %s\n", MLSIM_VERSION);
            return EXIT_OK;
        default: {
            char bad[128];
            return usage_error("unknown option or missing argument:",
                               mlsim_cli_bad_option(argv[optind - 1], longopts, bad, sizeof bad));
        }
        }
    }
    if (optind == argc && !opt->text)
        return usage_error("no scenario file given", NULL);
    if (optind + 1 < argc || (opt->text && optind < argc))
        return usage_error("one scenario file at a time; extra argument:",
                           argv[opt->text ? optind : optind + 1]);
    if (!opt->text)
        opt->file = argv[optind];
    if (!mlsim_report_format_find(opt->format))
        return usage_error("unknown --format (use table, csv or json):", opt->format);
    return -1;
}

/* A shipped scenario by name ("gpt3_a100" or "gpt3_a100.yaml"): a NAME with no '/' that is no
 * file here is looked for in the scenarios folder beside the hardware database HWDB (installed:
 * share/mlsim/scenarios; in the source tree: scenarios/). Returns NAME when not found, so the
 * loader's own error names what was given. */
static const char *locate_scenario(const char *name, const char *hwdb, char *buf, size_t len)
{
    struct stat st;
    if (strchr(name, '/') || stat(name, &st) == 0)
        return name;
    size_t n = strlen(name);
    int has_ext = n > 5 && strcmp(name + n - 5, ".yaml") == 0;
    size_t h = strlen(hwdb); /* ".../hwdb" -> ".../scenarios", so the report names it plainly */
    int plain = h >= 5 && strcmp(hwdb + h - 5, "/hwdb") == 0;
    int w = snprintf(buf, len, "%.*s%s/%s%s", (int)(plain ? h - 5 : h), hwdb,
                     plain ? "/scenarios" : "/../scenarios", name, has_ext ? "" : ".yaml");
    if (w > 0 && (size_t)w < len && stat(buf, &st) == 0 && S_ISREG(st.st_mode))
        return buf;
    return name;
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

/* A path given to --set twice is an error: the later would win without a word, and a run
 * priced or sized by a value its reader did not see is worse than one that stops. */
static int repeated_sets(const struct options *opt, struct mlsim_diags *d)
{
    int found = 0;
    for (size_t j = 1; j < opt->n_sets; j++) {
        size_t lj = strcspn(opt->sets[j], "=");
        for (size_t i = 0; i < j; i++) {
            if (strcspn(opt->sets[i], "=") != lj || strncmp(opt->sets[i], opt->sets[j], lj) != 0)
                continue;
            struct mlsim_loc at = {"--set", (int)j + 1, 1};
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at,
                               "'%.*s' is set again (first by --set %zu): give each path once",
                               (int)lj, opt->sets[j], i + 1);
            found = 1;
            break;
        }
    }
    return found;
}

/* Load, override, resolve and estimate; on success *RES holds one result per run. */
static int run(const struct options *opt, struct mlsim_diags *d, struct mlsim_hwdb *db,
               struct mlsim_scenario **sc, struct mlsim_result **res, struct mlsim_sim ***sims)
{
    /* Go on past input errors as far as the file allows, to report every error at once. */
    enum mlsim_status st =
        opt->text ? mlsim_scenario_load_text(opt->file, opt->text, strlen(opt->text), d, sc)
                  : mlsim_scenario_load(opt->file, d, sc);
    if (st == MLSIM_ERR_NOMEM)
        return out_of_memory();
    if (!*sc)
        return EXIT_INPUT;
    if (mlsim_scenario_set(*sc, opt->sets, opt->n_sets, d) == MLSIM_ERR_NOMEM)
        return out_of_memory();
    if (repeated_sets(opt, d))
        st = MLSIM_ERR_INPUT;
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
    if (first) /* an empty trace without a word reads as a broken writer */
        fprintf(stderr,
                "mlsim: warning: trace '%s': no run of this scenario is simulated ('mode: "
                "simulate'), so the trace holds no slices\n",
                path);
    if (mlsim_outfile_commit(of, &why) != MLSIM_OK) {
        fprintf(stderr, "mlsim: error: trace '%s': %s\n", path, why);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

/* Whether ARG, where a subcommand or a scenario may stand, is a word that names neither: no
 * option, no file, no YAML name, no folder in it, no shipped scenario of that name ("plt"). */
static int not_a_scenario(const char *arg)
{
    size_t n = strlen(arg);
    int yaml =
        (n > 5 && strcmp(arg + n - 5, ".yaml") == 0) || (n > 4 && strcmp(arg + n - 4, ".yml") == 0);
    struct stat st;
    if (arg[0] == '-' || yaml || strchr(arg, '/') || stat(arg, &st) == 0)
        return 0;
    char hwdb_buf[PATH_MAX + 32], scenario_buf[2 * PATH_MAX + 64];
    const char *hwdb = mlsim_cli_locate_hwdb(NULL, hwdb_buf, sizeof hwdb_buf);
    return locate_scenario(arg, hwdb, scenario_buf, sizeof scenario_buf) == arg;
}

/* Where this process is in an MPI job: main's, for `mlsim SCENARIO.yaml`; rank 0 of 1 for a
 * scenario a subcommand makes (`mlsim run`, which rank 0 alone runs). */
static struct mlsim_par scenario_par = {0, 1};

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
    if (argc > 1) {
        const struct subcommand *sub = find_subcommand(argv[1]);
        /* the search spreads its work over the ranks; the other subcommands are rank 0's alone
         * (their files would be written by every rank at once) */
        if (sub)
            status = par.rank == 0 || sub->fn == mlsim_cli_search ? sub->fn(argc - 1, argv + 1)
                                                                  : EXIT_OK;
        else if (not_a_scenario(argv[1])) {
            if (par.rank == 0) {
                const char *hint = near_subcommand(argv[1]);
                fprintf(stderr, "mlsim: unknown command '%s'", argv[1]);
                if (hint)
                    fprintf(stderr, " (did you mean '%s'?)", hint);
                else
                    fputs(", and no scenario file of that name", stderr);
                fputs("\n       mlsim --help lists the commands\n", stderr);
            }
            status = EXIT_USAGE;
        }
    }
    if (status < 0) {
        scenario_par = par;
        status = mlsim_cli_scenario(argc, argv, NULL, NULL);
    }
    mlsim_par_finalize();
    return status;
}

int mlsim_cli_scenario(int argc, char **argv, const char *name, const char *text)
{
    struct options opt = {.format = "table", .text = text, .file = name, .par = scenario_par};
    int status = parse_args(argc, argv, &opt);
    if (status >= 0)
        return status;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = NULL;
    if (d && mlsim_cli_open_hwdb(opt.hwdb, opt.adds, opt.n_adds, &db) != MLSIM_EXIT_OK) {
        mlsim_diags_free(d);
        return EXIT_INPUT;
    }
    char hwdb_buf[PATH_MAX + 32], scenario_buf[2 * PATH_MAX + 64];
    if (opt.file && !opt.text) /* a shipped scenario by name (mlsim gpt3_a100) */
        opt.file =
            locate_scenario(opt.file, mlsim_cli_locate_hwdb(opt.hwdb, hwdb_buf, sizeof hwdb_buf),
                            scenario_buf, sizeof scenario_buf);
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
        status = write_trace(opt.trace, opt.text ? "" : opt.file, sc, sims);
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
