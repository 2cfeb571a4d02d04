/*
 * `mlsim search SCENARIO.yaml`: the best layouts of the scenario's run (first run of a table),
 * on its device and count or over the --devices and --counts given, for an objective within
 * limits. Prints how many layouts were considered and why each rejected one was, then the ranked
 * table: the simulated best K first.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/par.h"
#include "mlsim/scenario.h"
#include "mlsim/search.h"
#include "mlsim/textio.h"
#include "mlsim/units.h"
#include "mlsim/version.h"

#include "cli.h"

static const char search_usage_text[] =
    "NAME\n"
    "    mlsim search - the best parallel layout, device and device count for a run\n"
    "\n"
    "SYNOPSIS\n"
    "    mlsim search SCENARIO.yaml [--objective time|cost|energy] [--deadline TIME]\n"
    "                 [--budget MONEY] [--max-devices N] [--devices ID,...] [--counts N,...]\n"
    "                 [--top K] [--check] [--format table|csv|json] [--set PATH=VALUE]...\n"
    "                 [--hwdb DIR]\n"
    "\n"
    "DESCRIPTION\n"
    "    Enumerates every layout of the scenario's model on its devices: tensor, pipeline and\n"
    "    data parallelism, micro-batch, 1F1B or interleaved schedule (2-8 chunks), recomputation,\n"
    "    ZeRO stage and sequence parallelism. A layout that does not tile the model, the devices\n"
    "    or the batch, or does not fit the devices' memory, is rejected before it is costed; the\n"
    "    rest are ranked by the closed form of the step (no simulation, a microsecond or so each)\n"
    "    and the best K are simulated on the engine, which sets the final order. The run's own\n"
    "    layout fields are ignored; its global batch, precision, model and prices are kept.\n"
    "    Under mpirun (a build with -DMLSIM_MPI=ON) the costing and the simulations are spread\n"
    "    over the ranks; the table is the one a single process prints.\n"
    "\n"
    "OPTIONS\n"
    "    -o, --objective O    time (default: the run's wall-clock), cost (rental dollars), or\n"
    "                         energy (facility energy).\n"
    "        --deadline TIME  keep runs that finish within TIME (e.g. 30d, 720h)\n"
    "        --budget MONEY   keep runs that cost at most MONEY (e.g. '$5M')\n"
    "        --max-devices N  keep runs on at most N devices\n"
    "        --devices LIST   search over these devices (comma-separated hwdb ids) instead of\n"
    "                         the scenario's device\n"
    "        --counts LIST    search over these device counts instead of the scenario's count\n"
    "    -k, --top K          simulate the closed form's best K on the engine (default 8)\n"
    "        --check          simulate every candidate and say whether the closed form's top K\n"
    "                         holds the simulation's best (slow: a simulation per layout)\n"
    "    -f, --format FORMAT  table (default), csv or json\n"
    "    -s, --set PATH=VALUE override a field of the scenario (as for mlsim SCENARIO)\n"
    "        --hwdb DIR       read devices from DIR\n"
    "    A search that simulates for over a second draws a progress line on stderr when it is a\n"
    "    terminal (MLSIM_PROGRESS_AFTER sets the seconds); piped, it says nothing.\n"
    "    -h, --help           print this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the table was written (it may have no row: the counts say why); 1 bad input; 2 bad\n"
    "    usage\n"
    "\n"
    "EXAMPLES\n"
    "    mlsim search scenarios/gpt3_a100_simulated.yaml\n"
    "    mlsim search scenarios/gpt3_a100_simulated.yaml --objective cost --deadline 40d\n"
    "    mlsim search scenarios/gpt3_a100_simulated.yaml --counts 512,1024,2048 --top 4\n";

#define MAX_SETS    64
#define MAX_CHOICES 16

struct search_args {
    struct mlsim_search_options o;
    const char *format, *hwdb, *file;
    const char *sets[MAX_SETS];
    size_t n_sets;
    char *devices[MAX_CHOICES];
    size_t n_devices;
    long counts[MAX_CHOICES];
    size_t n_counts;
    char device_buf[1024];
};

static int usage(const char *msg, const char *arg)
{
    fprintf(stderr,
            "mlsim search: %s%s%s\nusage: mlsim search SCENARIO.yaml [OPTIONS] (mlsim "
            "search --help)\n",
            msg, arg ? " " : "", arg ? arg : "");
    return MLSIM_EXIT_USAGE;
}

static int parse_quantity(const char *text, enum mlsim_dim dim, double *out, const char *what)
{
    char err[256];
    if (mlsim_units_parse(text, dim, out, err, sizeof err) != MLSIM_OK || *out <= 0) {
        fprintf(stderr, "mlsim search: --%s '%s': %s\n", what, text,
                err[0] ? err : "must be positive");
        return 0;
    }
    return 1;
}

static int parse_int(const char *text, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* Split the comma-separated LIST into ARGS' devices (BUF holds the words). */
static int split_devices(struct search_args *a, const char *list)
{
    size_t len = strlen(list);
    if (len >= sizeof a->device_buf)
        return 0;
    memcpy(a->device_buf, list, len + 1);
    char *p = a->device_buf;
    while (*p && a->n_devices < MAX_CHOICES) {
        a->devices[a->n_devices++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return a->n_devices > 0 && a->n_devices < MAX_CHOICES;
}

static int split_counts(struct search_args *a, const char *list)
{
    const char *p = list;
    while (*p) {
        char word[32];
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof word || a->n_counts == MAX_CHOICES)
            return 0;
        memcpy(word, p, n);
        word[n] = '\0';
        if (!parse_int(word, 1, 1L << 24, &a->counts[a->n_counts++]))
            return 0;
        p += n + (p[n] == ',');
    }
    return a->n_counts > 0;
}

/* Parse ARGV into *A. Returns -1 to go on, or an exit status. */
static int parse(int argc, char **argv, struct search_args *a)
{
    enum { O_DEADLINE = 256, O_BUDGET, O_MAXDEV, O_DEVICES, O_COUNTS, O_CHECK, O_HWDB };
    static const struct option longopts[] = {{"objective", required_argument, NULL, 'o'},
                                             {"deadline", required_argument, NULL, O_DEADLINE},
                                             {"budget", required_argument, NULL, O_BUDGET},
                                             {"max-devices", required_argument, NULL, O_MAXDEV},
                                             {"devices", required_argument, NULL, O_DEVICES},
                                             {"counts", required_argument, NULL, O_COUNTS},
                                             {"top", required_argument, NULL, 'k'},
                                             {"check", no_argument, NULL, O_CHECK},
                                             {"format", required_argument, NULL, 'f'},
                                             {"set", required_argument, NULL, 's'},
                                             {"hwdb", required_argument, NULL, O_HWDB},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    long v;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:k:f:s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (strcmp(optarg, "time") == 0)
                a->o.objective = MLSIM_OBJECTIVE_TIME;
            else if (strcmp(optarg, "cost") == 0)
                a->o.objective = MLSIM_OBJECTIVE_COST;
            else if (strcmp(optarg, "energy") == 0)
                a->o.objective = MLSIM_OBJECTIVE_ENERGY;
            else
                return usage("--objective is time, cost or energy, not", optarg);
            break;
        case O_DEADLINE:
            if (!parse_quantity(optarg, MLSIM_DIM_TIME, &a->o.deadline_s, "deadline"))
                return MLSIM_EXIT_USAGE;
            break;
        case O_BUDGET:
            if (!parse_quantity(optarg, MLSIM_DIM_MONEY, &a->o.budget_usd, "budget"))
                return MLSIM_EXIT_USAGE;
            break;
        case O_MAXDEV:
            if (!parse_int(optarg, 1, 1L << 24, &v))
                return usage("--max-devices takes a positive count, not", optarg);
            a->o.max_devices = (int)v;
            break;
        case O_DEVICES:
            if (!split_devices(a, optarg))
                return usage("--devices takes up to 15 comma-separated ids:", optarg);
            break;
        case O_COUNTS:
            if (!split_counts(a, optarg))
                return usage("--counts takes up to 16 comma-separated positive counts:", optarg);
            break;
        case 'k':
            if (!parse_int(optarg, 1, 1000000, &v))
                return usage("--top takes a positive count, not", optarg);
            a->o.top_k = (int)v;
            break;
        case O_CHECK:
            a->o.check = 1;
            break;
        case 'f':
            if (strcmp(optarg, "table") != 0 && strcmp(optarg, "csv") != 0 &&
                strcmp(optarg, "json") != 0)
                return usage("--format is table, csv or json, not", optarg);
            a->format = optarg;
            break;
        case 's':
            if (a->n_sets == MAX_SETS)
                return usage("too many --set options", NULL);
            a->sets[a->n_sets++] = optarg;
            break;
        case O_HWDB:
            a->hwdb = optarg;
            break;
        case 'h':
            fputs(search_usage_text, stdout);
            return MLSIM_EXIT_OK;
        default: {
            char bad[128];
            return usage("unknown option or missing argument:",
                         mlsim_cli_bad_option(argv[optind - 1], longopts, bad, sizeof bad));
        }
        }
    }
    if (optind == argc)
        return usage("no scenario file given", NULL);
    if (optind + 1 < argc)
        return usage("one scenario file at a time; extra argument:", argv[optind + 1]);
    a->file = argv[optind];
    return -1;
}

/* Load the scenario with the --set overrides and, for this variant, DEVICE and COUNT (NULL / 0:
 * the scenario's own), in simulate mode. NULL on a fault, reported into D, or when memory runs
 * out (*NOMEM set: the loader reports that to no one). */
static struct mlsim_scenario *load_variant(const struct search_args *a, struct mlsim_hwdb *db,
                                           const char *device, long count, struct mlsim_diags *d,
                                           int *nomem)
{
    struct mlsim_scenario *sc = NULL;
    enum mlsim_status st = mlsim_scenario_load(a->file, d, &sc);
    *nomem = st == MLSIM_ERR_NOMEM;
    if (!sc || st != MLSIM_OK) {
        mlsim_scenario_free(sc);
        return NULL;
    }
    char dev_set[160], count_set[64];
    const char *extra[MAX_SETS + 3];
    size_t n = 0;
    extra[n++] = "mode=simulate";
    for (size_t i = 0; i < a->n_sets; i++)
        extra[n++] = a->sets[i];
    if (device) {
        snprintf(dev_set, sizeof dev_set, "hardware.device=%s", device);
        extra[n++] = dev_set;
    }
    if (count > 0) {
        snprintf(count_set, sizeof count_set, "hardware.count=%ld", count);
        extra[n++] = count_set;
    }
    st = mlsim_scenario_set(sc, extra, n, d);
    if (st == MLSIM_OK)
        st = mlsim_scenario_resolve(sc, db, d);
    *nomem = st == MLSIM_ERR_NOMEM;
    if (st != MLSIM_OK || mlsim_diags_errors(d) > 0) {
        mlsim_scenario_free(sc);
        return NULL;
    }
    return sc;
}

static const char *sched_word(const struct mlsim_layout *l)
{
    return l->schedule == MLSIM_SCHEDULE_INTERLEAVED ? "interleaved" : "1f1b";
}

static void write_table(FILE *out, const struct search_args *a, const struct mlsim_search *s,
                        const char *title)
{
    const struct mlsim_search_stats *st = mlsim_search_stats(s);
    size_t n;
    const struct mlsim_search_row *rows = mlsim_search_rows(s, &n);
    char x[64], y[64], z[64], t[64], u[64], w[64];
    static const char *const objectives[] = {"time", "cost", "energy"};
    fprintf(out, "mlsim %s search, scenario %s: %s, objective %s\n", MLSIM_VERSION, a->file, title,
            objectives[a->o.objective]);
    fprintf(out,
            "Considered %s layouts: %s do not tile, %s do not fit memory, %s past the limits; "
            "%s ranked by the closed form, %s simulated\n",
            mlsim_units_grouped((double)st->considered, x, sizeof x),
            mlsim_units_grouped((double)st->rejected_tiling, y, sizeof y),
            mlsim_units_grouped((double)st->rejected_memory, z, sizeof z),
            mlsim_units_grouped((double)st->rejected_limits, t, sizeof t),
            mlsim_units_grouped((double)st->ranked, u, sizeof u),
            mlsim_units_grouped((double)st->simulated, w, sizeof w));
    if (st->check_done)
        fprintf(out, "Check: the simulation's best is the closed form's #%zu, %s the top %d\n",
                st->check_rank_of_best, st->check_holds ? "within" : "NOT within", a->o.top_k);
    if (n == 0) {
        fputs("No layout is left.\n", out);
        return;
    }
    fprintf(out,
            "\n%3s  %-20.20s %6s %3s %3s %5s %3s %-11s %2s %-9s %-5s %2s %9s %10s %10s %8s "
            "%12s %9s\n",
            "#", "Device", "Count", "TP", "PP", "DP", "MB", "Schedule", "V", "Recompute", "ZeRO",
            "SP", "Mem/dev", "Step (cf)", "Step (sim)", "Time", "Cost", "Energy");
    size_t shown = 0;
    int any_ep = 0, any_cp = 0;
    for (size_t i = 0; i < n && shown < (size_t)a->o.top_k; i++, shown++) {
        const struct mlsim_search_row *r = &rows[i];
        const struct mlsim_layout *l = &r->layout;
        double time_s = r->simulated ? r->sim.time_s : r->run_s;
        double cost = r->simulated ? r->sim.cost_usd : r->cost_usd;
        double energy = r->simulated ? r->sim.energy_j : r->energy_j;
        char mem[32], step_cf[32], step_sim[32], when[32], money[32], en[32], dpc[32], tpc[32];
        /* a mixture of experts' expert parallelism beside the data parallelism it divides */
        if (l->ep > 1)
            snprintf(dpc, sizeof dpc, "%d/%d", l->dp, l->ep);
        else
            snprintf(dpc, sizeof dpc, "%d", l->dp);
        any_ep |= l->ep > 1;
        /* context parallelism beside the tensor parallelism it sits next to (layout.h) */
        if (l->cp > 1)
            snprintf(tpc, sizeof tpc, "%d/%d", l->tp, l->cp);
        else
            snprintf(tpc, sizeof tpc, "%d", l->tp);
        any_cp |= l->cp > 1;
        snprintf(mem, sizeof mem, "%.1f GiB", r->closed.mem.total_bytes / 1073741824.0);
        snprintf(step_cf, sizeof step_cf, "%.3f s", r->closed.step_s);
        if (r->simulated)
            snprintf(step_sim, sizeof step_sim, "%.3f s", r->sim.step_s);
        else
            snprintf(step_sim, sizeof step_sim, "-");
        snprintf(when, sizeof when, "%.1f d", time_s / 86400.0);
        mlsim_units_format(cost, MLSIM_DIM_MONEY, money, sizeof money);
        mlsim_units_format(energy, MLSIM_DIM_ENERGY, en, sizeof en);
        fprintf(out,
                "%3zu  %-20.20s %6d %3s %3d %5s %3d %-11s %2d %-9s %-5s %2s %9s %10s %10s %8s "
                "%12s %9s\n",
                i + 1, r->run->device->id, r->run->count, tpc, l->pp, dpc, l->micro_batch,
                sched_word(l), l->interleave, mlsim_recompute_names[l->recompute],
                mlsim_sharding_names[l->sharding], l->sequence_parallel ? "y" : "n", mem, step_cf,
                step_sim, when, money, en);
    }
    fputs("\nStep (cf): the closed form's step; Step (sim): simulated on the engine (the order "
          "follows it where given); Time, Cost and Energy are the whole run's.\n",
          out);
    if (any_ep)
        fputs("DP a/b: data parallelism a, of which b-way expert parallelism.\n", out);
    if (any_cp)
        fputs("TP a/c: tensor parallelism a beside c-way context parallelism (each sequence split "
              "over c ranks).\n",
              out);
}

static const char csv_header[] =
    "rank,device,count,tp,pp,dp,micro_batch,schedule,interleave,recompute,sharding,"
    "sequence_parallel,mem_per_device_bytes,closed_form_step_s,simulated_step_s,time_s,cost_usd,"
    "energy_kwh,cp\n";

static void write_csv(FILE *out, const struct search_args *a, const struct mlsim_search *s)
{
    size_t n;
    const struct mlsim_search_row *rows = mlsim_search_rows(s, &n);
    fputs(csv_header, out);
    for (size_t i = 0; i < n && i < (size_t)a->o.top_k; i++) {
        const struct mlsim_search_row *r = &rows[i];
        const struct mlsim_layout *l = &r->layout;
        fprintf(out, "%zu,", i + 1);
        mlsim_csv_text(out, r->run->device->id);
        fprintf(out, ",%d,%d,%d,%d,%d,%s,%d,%s,%s,%d,%.15g,%.15g,", r->run->count, l->tp, l->pp,
                l->dp, l->micro_batch, sched_word(l), l->interleave,
                mlsim_recompute_names[l->recompute], mlsim_sharding_names[l->sharding],
                l->sequence_parallel, r->closed.mem.total_bytes, r->closed.step_s);
        if (r->simulated)
            fprintf(out, "%.15g", r->sim.step_s);
        fprintf(out, ",%.15g,%.15g,%.15g,%d\n", r->simulated ? r->sim.time_s : r->run_s,
                r->simulated ? r->sim.cost_usd : r->cost_usd,
                (r->simulated ? r->sim.energy_j : r->energy_j) / MLSIM_UNITS_J_PER_KWH,
                l->cp > 1 ? l->cp : 1);
    }
}

static void write_json(FILE *out, const struct search_args *a, const struct mlsim_search *s)
{
    const struct mlsim_search_stats *st = mlsim_search_stats(s);
    size_t n;
    const struct mlsim_search_row *rows = mlsim_search_rows(s, &n);
    static const char *const objectives[] = {"time", "cost", "energy"};
    fprintf(out, "{\n  \"mlsim_version\": \"%s\",\n  \"scenario\": ", MLSIM_VERSION);
    mlsim_json_string(out, a->file);
    fprintf(out,
            ",\n  \"objective\": \"%s\",\n  \"considered\": %zu,\n  \"rejected_tiling\": %zu,\n"
            "  \"rejected_memory\": %zu,\n  \"rejected_limits\": %zu,\n  \"ranked\": %zu,\n"
            "  \"simulated\": %zu,\n",
            objectives[a->o.objective], st->considered, st->rejected_tiling, st->rejected_memory,
            st->rejected_limits, st->ranked, st->simulated);
    if (st->check_done)
        fprintf(out, "  \"check_rank_of_best\": %zu,\n  \"check_holds\": %s,\n",
                st->check_rank_of_best, st->check_holds ? "true" : "false");
    fputs("  \"layouts\": [", out);
    for (size_t i = 0; i < n && i < (size_t)a->o.top_k; i++) {
        const struct mlsim_search_row *r = &rows[i];
        const struct mlsim_layout *l = &r->layout;
        fputs(i ? ",\n    {\"device\": " : "\n    {\"device\": ", out);
        mlsim_json_string(out, r->run->device->id);
        fprintf(out,
                ", \"count\": %d, \"tp\": %d, \"pp\": %d, \"dp\": %d, \"micro_batch\": %d, "
                "\"schedule\": \"%s\", \"interleave\": %d, \"recompute\": \"%s\", "
                "\"sharding\": \"%s\", \"sequence_parallel\": %s, \"mem_per_device_bytes\": "
                "%.15g, \"closed_form_step_s\": %.15g",
                r->run->count, l->tp, l->pp, l->dp, l->micro_batch, sched_word(l), l->interleave,
                mlsim_recompute_names[l->recompute], mlsim_sharding_names[l->sharding],
                l->sequence_parallel ? "true" : "false", r->closed.mem.total_bytes,
                r->closed.step_s);
        if (r->run->model.experts > 0) /* a mixture of experts' layout (dense rows unchanged) */
            fprintf(out, ", \"ep\": %d, \"etp\": %d", l->ep, l->etp);
        if (l->cp > 1) /* context parallelism (rows without it unchanged) */
            fprintf(out, ", \"cp\": %d", l->cp);
        if (r->simulated)
            fprintf(out, ", \"simulated_step_s\": %.15g", r->sim.step_s);
        fprintf(out, ", \"time_s\": %.15g, \"cost_usd\": %.15g, \"energy_kwh\": %.15g}",
                r->simulated ? r->sim.time_s : r->run_s,
                r->simulated ? r->sim.cost_usd : r->cost_usd,
                (r->simulated ? r->sim.energy_j : r->energy_j) / MLSIM_UNITS_J_PER_KWH);
    }
    fputs(n ? "\n  ]\n}\n" : "]\n}\n", out);
}

int mlsim_cli_search(int argc, char **argv)
{
    struct search_args a;
    memset(&a, 0, sizeof a);
    a.format = "table";
    a.o.top_k = 8;
    int status = parse(argc, argv, &a);
    if (status >= 0)
        return status;
    struct mlsim_hwdb *db = NULL; /* with MLSIM_HWDB_PATH's layers (data.c) */
    if (mlsim_cli_open_hwdb(a.hwdb, NULL, 0, &db) != MLSIM_EXIT_OK)
        return MLSIM_EXIT_INPUT;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_cli_progress progress;
    a.o.progress = mlsim_cli_progress;
    a.o.progress_ctx = &progress;
    /* in an MPI job every rank loads the same variants; the costing and the simulations are
     * spread over them and rank 0 writes the table (par.h) */
    struct mlsim_par par;
    mlsim_par_world(&par);
    a.o.par = &par;
    struct mlsim_search *s = mlsim_search_alloc(&a.o);
    struct mlsim_scenario *scs[MAX_CHOICES * MAX_CHOICES];
    size_t n_scs = 0;
    char title[160] = "";
    status = MLSIM_EXIT_OK;
    int failed = !d || !db || !s;
    if (mlsim_par_max(&par, failed) || failed) { /* every rank stops, or none */
        fputs("mlsim search: out of memory\n", stderr);
        status = MLSIM_EXIT_INPUT;
    }
    size_t nd = a.n_devices ? a.n_devices : 1, nc = a.n_counts ? a.n_counts : 1;
    for (size_t i = 0; i < nd && status == MLSIM_EXIT_OK; i++) {
        for (size_t j = 0; j < nc && status == MLSIM_EXIT_OK; j++) {
            int nomem = 0;
            struct mlsim_scenario *sc = load_variant(&a, db, a.n_devices ? a.devices[i] : NULL,
                                                     a.n_counts ? a.counts[j] : 0, d, &nomem);
            if (!sc) {
                if (nomem)
                    fputs("mlsim search: out of memory\n", stderr);
                status = MLSIM_EXIT_INPUT;
                break;
            }
            scs[n_scs++] = sc;
            if (!title[0])
                snprintf(title, sizeof title, "%s",
                         sc->runs[0].model.name[0] ? sc->runs[0].model.name : sc->runs[0].name);
            if (mlsim_search_add(s, &sc->runs[0]) != MLSIM_OK) {
                fputs("mlsim search: out of memory\n", stderr);
                status = MLSIM_EXIT_INPUT;
            }
        }
    }
    mlsim_cli_progress_start(&progress, "simulating layout");
    progress.tty &= par.rank == 0;
    enum mlsim_status fin = status == MLSIM_EXIT_OK ? mlsim_search_finish(s, d) : MLSIM_OK;
    mlsim_cli_progress_end(&progress);
    if (status == MLSIM_EXIT_OK && fin != MLSIM_OK) {
        fputs("mlsim search: out of memory\n", stderr);
        status = MLSIM_EXIT_INPUT;
    }
    if (d) {
        if (mlsim_diags_errors(d) > 0 && status == MLSIM_EXIT_OK && n_scs == 0)
            status = MLSIM_EXIT_INPUT;
        if (par.rank == 0) /* rank 0 holds every rank's diagnostics */
            mlsim_diags_print(d, stderr);
    }
    if (status == MLSIM_EXIT_OK) {
        if (strcmp(a.format, "csv") == 0)
            write_csv(stdout, &a, s);
        else if (strcmp(a.format, "json") == 0)
            write_json(stdout, &a, s);
        else
            write_table(stdout, &a, s, title);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fputs("mlsim search: error: cannot write to standard output\n", stderr);
            status = MLSIM_EXIT_INPUT;
        }
    }
    mlsim_search_free(s);
    for (size_t i = 0; i < n_scs; i++)
        mlsim_scenario_free(scs[i]);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    return status;
}
