/*
 * `mlsim hw`: look at the hardware database. `list` shows every device (or one kind), `show` one
 * device with its sources, `compare` several side by side with mu (throughput per dollar) and eta
 * (per watt). Ids are exact, as in a scenario; a prefix or a near miss gets a did-you-mean. The
 * table itself is libmlsim's hwtable; this file parses arguments, finds devices and prints.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/hwtable.h"

#include "cli.h"

static const char hw_usage_text[] =
    "NAME\n"
    "    mlsim hw - list, show and compare the devices of the hardware database\n"
    "\n"
    "SYNOPSIS\n"
    "    mlsim hw list [--kind KIND] [--precision P] [OPTIONS]\n"
    "    mlsim hw show ID [OPTIONS]\n"
    "    mlsim hw compare ID... [--precision P] [OPTIONS]\n"
    "\n"
    "DESCRIPTION\n"
    "    list gives a line per device: its peak throughput, memory and TDP. compare puts\n"
    "    devices side by side with bandwidth, prices and the figures of merit: mu, the peak per\n"
    "    purchase dollar and per rental dollar-hour, and eta, the peak per watt of TDP (list\n"
    "    --format csv or json gives those columns too). Peaks are dense. Without --precision a\n"
    "    row takes the device's largest fp16, bf16 or fp32 peak, else fp64, int8, tf32, fp8. A\n"
    "    device whose only published figure is sparse (a 2:4-sparse or \"AI\" headline) shows\n"
    "    it marked 'sparse'; a mining ASIC shows SHA-256 hashes/s (H/s), marked 'hash': it\n"
    "    does no FLOPs.\n"
    "    A system (kind 'system') has its Rpeak as fp64 peak and its LINPACK Rmax beside it.\n"
    "    An ID is a device's id exactly, as in a scenario; a prefix or a near miss is told the\n"
    "    ids it may mean (v100: v100-sxm2-16gb, v100-sxm2-32gb).\n"
    "\n"
    "OPTIONS\n"
    "    -f, --format FORMAT  table (default), csv or json; CSV and JSON give every column,\n"
    "                         in SI units (FLOP/s, bytes, W, USD, USD/h).\n"
    "    -s, --sort COLUMN[:asc|:desc]\n"
    "                         Sort rows by a column (a unique prefix will do): id, name, kind,\n"
    "                         vendor, year, precision, basis, peak, unit, memory_bytes,\n"
    "                         bandwidth_Bps, tdp_w, price_usd, rental_usd_per_h, mu_per_usd,\n"
    "                         mu_per_usd_h, eta_per_w, rmax_flops. Numbers sort largest first\n"
    "                         and text A to Z unless :asc or :desc says otherwise; unknown\n"
    "                         values go last. Without --sort, rows keep the order of the ids\n"
    "                         given (list: by kind, then id).\n"
    "    -p, --precision P    fp64, fp32, tf32, fp16, bf16, fp8, int8, or 'all' for one row\n"
    "                         per precision a device has (list and compare).\n"
    "    -k, --kind KIND      list only devices of KIND: cpu, gpu, tpu, asic or system.\n"
    "        --hwdb DIR       Read devices from DIR (as `mlsim --hwdb`).\n"
    "    -h, --help           Print this text and exit.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the table was written; 1 an unknown device or a broken device file; 2 bad usage.\n"
    "    list still writes the devices it could read when some file is broken (a syntax\n"
    "    error, a FIFO, a link to /dev/zero): each broken file is reported on stderr and the\n"
    "    status is 1.\n"
    "\n"
    "EXAMPLES\n"
    "    mlsim hw list --kind tpu\n"
    "    mlsim hw show t4\n"
    "    mlsim hw compare t4 a100-pcie-40gb tpu-v4 antminer-s7\n"
    "    mlsim hw compare k80 p40 t4 v100-sxm2-16gb --precision fp32 --sort eta --format csv\n";

enum { CMD_LIST, CMD_SHOW, CMD_COMPARE };

/* Which options a subcommand takes. */
enum { TAKES_KIND = 1, TAKES_PRECISION = 2, TAKES_SORT = 4 };

struct hw_command {
    const char *name;
    unsigned takes;
};

static const struct hw_command hw_commands[] = {
    {"list", TAKES_KIND | TAKES_PRECISION | TAKES_SORT},
    {"show", 0},
    {"compare", TAKES_PRECISION | TAKES_SORT},
};
#define N_HW_COMMANDS (sizeof hw_commands / sizeof hw_commands[0])

struct hw_options {
    int cmd;
    const char *format;
    const char *hwdb;
    int kind;      /* -1: every kind */
    int precision; /* an enum mlsim_precision, MLSIM_HWTABLE_HEADLINE or MLSIM_HWTABLE_ALL */
    int sort_col;  /* -1: no sort */
    int sort_desc; /* -1: the column's default order */
    char **ids;
    int n_ids;
};

static int hw_usage(const char *msg, const char *arg, const char *hint)
{
    fprintf(stderr, "mlsim hw: %s%s%s", msg, arg ? " " : "", arg ? arg : "");
    if (hint)
        fprintf(stderr, " (did you mean '%s'?)", hint);
    fputs("\nusage: mlsim hw list [--kind K] | show ID | compare ID... [--precision P]\n"
          "       [--format table|csv|json] [--sort COLUMN[:asc|:desc]] [--hwdb DIR]\n"
          "       mlsim hw --help for more\n",
          stderr);
    return MLSIM_EXIT_USAGE;
}

/* The index of NAME in the NULL-terminated NAMES, or -1 with *HINT set to a near name. */
static int name_index(const char *name, const char *const *names, const char **hint)
{
    size_t n = 0;
    for (; names[n]; n++) {
        if (strcmp(names[n], name) == 0)
            return (int)n;
    }
    *hint = mlsim_diag_suggest(name, names, n);
    return -1;
}

static int parse_precision(const char *arg, struct hw_options *o)
{
    const char *hint = NULL;
    if (strcmp(arg, "all") == 0) {
        o->precision = MLSIM_HWTABLE_ALL;
        return -1;
    }
    o->precision = name_index(arg, mlsim_precision_names, &hint);
    if (o->precision < 0)
        return hw_usage("unknown --precision (fp64, fp32, tf32, fp16, bf16, fp8, int8, all):", arg,
                        hint);
    return -1;
}

static int parse_kind(const char *arg, struct hw_options *o)
{
    const char *hint = NULL;
    o->kind = name_index(arg, mlsim_kind_names, &hint);
    if (o->kind < 0)
        return hw_usage("unknown --kind (cpu, gpu, tpu, asic, system):", arg, hint);
    return -1;
}

/* COLUMN, COLUMN:asc or COLUMN:desc. */
static int parse_sort(const char *arg, struct hw_options *o)
{
    char col[64];
    const char *colon = strchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
    if (len >= sizeof col)
        return hw_usage("unknown --sort column:", arg, NULL);
    memcpy(col, arg, len);
    col[len] = '\0';
    o->sort_desc = -1;
    if (colon && strcmp(colon + 1, "asc") == 0)
        o->sort_desc = 0;
    else if (colon && strcmp(colon + 1, "desc") == 0)
        o->sort_desc = 1;
    else if (colon)
        return hw_usage("--sort order must be :asc or :desc, not", colon, NULL);
    o->sort_col = mlsim_hwtable_column_find(col);
    if (o->sort_col < 0) {
        const char *keys[32];
        size_t n = 0;
        while (n < 32 && (keys[n] = mlsim_hwtable_column_key((int)n)) != NULL)
            n++;
        return hw_usage("unknown or ambiguous --sort column:", col,
                        mlsim_diag_suggest(col, keys, n));
    }
    return -1;
}

/* Parse the options after `mlsim hw CMD`. Returns -1 to go on, or an exit status. */
static int parse_hw_args(int argc, char **argv, struct hw_options *o)
{
    enum { OPT_HWDB = 256 };
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"sort", required_argument, NULL, 's'},
                                             {"precision", required_argument, NULL, 'p'},
                                             {"kind", required_argument, NULL, 'k'},
                                             {"hwdb", required_argument, NULL, OPT_HWDB},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    unsigned takes = hw_commands[o->cmd].takes;
    int c, st = -1;
    opterr = 0;
    while (st < 0 && (c = getopt_long(argc, argv, "f:s:p:k:h", longopts, NULL)) != -1) {
        unsigned need = c == 'k'   ? TAKES_KIND
                        : c == 'p' ? TAKES_PRECISION
                        : c == 's' ? TAKES_SORT
                                   : 0;
        if (need && !(takes & need))
            return hw_usage("option not taken by this subcommand:", argv[optind - 1], NULL);
        switch (c) {
        case 'f':
            o->format = optarg;
            break;
        case 's':
            st = parse_sort(optarg, o);
            break;
        case 'p':
            st = parse_precision(optarg, o);
            break;
        case 'k':
            st = parse_kind(optarg, o);
            break;
        case OPT_HWDB:
            o->hwdb = optarg;
            break;
        case 'h':
            fputs(hw_usage_text, stdout);
            return MLSIM_EXIT_OK;
        default: {
            char bad[128];
            return hw_usage("unknown option or missing argument:",
                            mlsim_cli_bad_option(argv[optind - 1], longopts, bad, sizeof bad),
                            NULL);
        }
        }
    }
    if (st >= 0)
        return st;
    if (!mlsim_hwtable_format_find(o->format))
        return hw_usage("unknown --format (use table, csv or json):", o->format, NULL);
    o->ids = argv + optind;
    o->n_ids = argc - optind;
    if (o->cmd == CMD_LIST && o->n_ids > 0)
        return hw_usage("list takes no device ids; extra argument:", o->ids[0], NULL);
    if (o->cmd == CMD_SHOW && o->n_ids != 1)
        return hw_usage("show takes one device id", NULL, NULL);
    if (o->cmd == CMD_COMPARE && o->n_ids == 0)
        return hw_usage("compare needs at least one device id", NULL, NULL);
    return -1;
}

/* Report WORD as no device id, with the ids it may have meant. */
static void report_unknown(const char *word, char **ids, size_t n, const char *dir)
{
    char hint[600];
    mlsim_hwdb_suggest_ids(word, ids, n, hint, sizeof hint);
    if (hint[0]) {
        fprintf(stderr, "mlsim hw: error: unknown device '%s'%s\n", word, hint);
        return;
    }
    fprintf(stderr,
            "mlsim hw: error: unknown device '%s': no file %s/<kind>/%s.yaml "
            "(mlsim hw list shows the ids)\n",
            word, dir, word);
}

/* Load device ID, reporting a broken file into D. NULL if it cannot be loaded. */
static const struct mlsim_device *load(struct mlsim_hwdb *db, const char *id, struct mlsim_diags *d)
{
    const struct mlsim_device *dev = NULL;
    enum mlsim_status st = mlsim_hwdb_find(db, id, d, &dev);
    if (st == MLSIM_ERR_NOMEM)
        fputs("mlsim hw: error: out of memory\n", stderr);
    else if (st == MLSIM_ERR_NOT_FOUND)
        fprintf(stderr, "mlsim hw: error: device '%s' cannot be read\n", id);
    return st == MLSIM_OK ? dev : NULL;
}

/* Add the devices the user named to T; every unknown id is reported. Returns an exit status. */
static int add_named(const struct hw_options *o, struct mlsim_hwdb *db, char **ids, size_t n,
                     struct mlsim_hwtable *t, struct mlsim_diags *d)
{
    int status = MLSIM_EXIT_OK;
    for (int i = 0; i < o->n_ids; i++) {
        size_t at = 0;
        enum mlsim_hwtable_match m =
            mlsim_hwtable_match_id(o->ids[i], (const char *const *)ids, n, &at);
        if (m != MLSIM_HWTABLE_EXACT) { /* ids are exact, as in a scenario */
            report_unknown(o->ids[i], ids, n, mlsim_hwdb_dir(db));
            status = MLSIM_EXIT_INPUT;
            continue;
        }
        const struct mlsim_device *dev = load(db, ids[at], d);
        if (!dev) {
            status = MLSIM_EXIT_INPUT;
        } else if (mlsim_hwtable_add(t, dev, o->precision) != MLSIM_OK) {
            fputs("mlsim hw: error: out of memory\n", stderr);
            status = MLSIM_EXIT_INPUT;
        }
    }
    return status;
}

/* Add every device of the chosen kind (all kinds if none), kind by kind, to T. A broken file
 * is reported into D and left out; the others are still added (one bad file must not hide the
 * database), and the status says that something was left out. */
static int add_listed(const struct hw_options *o, struct mlsim_hwdb *db, char **ids, size_t n,
                      struct mlsim_hwtable *t, struct mlsim_diags *d)
{
    const struct mlsim_device **devs = calloc(n, sizeof *devs);
    if (!devs) {
        fputs("mlsim hw: error: out of memory\n", stderr);
        return MLSIM_EXIT_INPUT;
    }
    int status = MLSIM_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        devs[i] = load(db, ids[i], d);
        if (!devs[i])
            status = MLSIM_EXIT_INPUT; /* go on: report every broken file */
    }
    for (int k = 0; k < MLSIM_KIND_N; k++) {
        for (size_t i = 0; i < n; i++) {
            if (!devs[i] || devs[i]->kind != k || (o->kind >= 0 && k != o->kind))
                continue;
            if (mlsim_hwtable_add(t, devs[i], o->precision) != MLSIM_OK) {
                free(devs);
                fputs("mlsim hw: error: out of memory\n", stderr);
                return -1;
            }
        }
    }
    free(devs);
    return status;
}

/* Write T (or the one device of `show`) to stdout. */
static int write_out(const struct hw_options *o, const struct mlsim_hwtable *t)
{
    const struct mlsim_hwtable_format *f = mlsim_hwtable_format_find(o->format);
    if (o->cmd == CMD_SHOW && strcmp(f->name, "table") == 0)
        mlsim_hwtable_show(stdout, mlsim_hwtable_row(t, 0)->dev);
    else
        f->write(stdout, t,
                 o->cmd == CMD_LIST ? MLSIM_HWTABLE_VIEW_LIST : MLSIM_HWTABLE_VIEW_COMPARE);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("mlsim hw: error: cannot write to standard output\n", stderr);
        return MLSIM_EXIT_INPUT;
    }
    return MLSIM_EXIT_OK;
}

static int run_hw(const struct hw_options *o, struct mlsim_hwdb *db, struct mlsim_hwtable *t,
                  struct mlsim_diags *d)
{
    char **ids = NULL;
    size_t n = 0;
    if (mlsim_hwdb_list(db, &ids, &n) != MLSIM_OK) {
        fputs("mlsim hw: error: out of memory\n", stderr);
        return MLSIM_EXIT_INPUT;
    }
    if (n == 0)
        fprintf(stderr, "mlsim hw: error: no device files under %s\n", mlsim_hwdb_dir(db));
    int status = n == 0               ? MLSIM_EXIT_INPUT
                 : o->cmd == CMD_LIST ? add_listed(o, db, ids, n, t, d)
                                      : add_named(o, db, ids, n, t, d);
    mlsim_hwdb_free_ids(ids, n);
    mlsim_diags_print(d, stderr);
    /* list writes what it could read even past a broken file; show and compare write nothing */
    int partial = o->cmd == CMD_LIST && status == MLSIM_EXIT_INPUT && mlsim_hwtable_size(t) > 0;
    if (!partial && (status != MLSIM_EXIT_OK || mlsim_diags_errors(d) > 0))
        return MLSIM_EXIT_INPUT;
    if (partial)
        fputs("mlsim hw: error: some device files cannot be read (above); the others are "
              "listed\n",
              stderr);
    if (o->sort_col >= 0)
        mlsim_hwtable_sort(t, o->sort_col, o->sort_desc);
    int written = write_out(o, t);
    return partial ? MLSIM_EXIT_INPUT : written;
}

int mlsim_cli_hw(int argc, char **argv)
{
    if (argc < 2)
        return hw_usage("no subcommand given (list, show or compare)", NULL, NULL);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(hw_usage_text, stdout);
        return MLSIM_EXIT_OK;
    }
    struct hw_options o = {.cmd = -1,
                           .format = "table",
                           .kind = -1,
                           .precision = MLSIM_HWTABLE_HEADLINE,
                           .sort_col = -1,
                           .sort_desc = -1};
    const char *names[N_HW_COMMANDS + 1] = {NULL};
    for (size_t i = 0; i < N_HW_COMMANDS; i++) {
        names[i] = hw_commands[i].name;
        if (strcmp(argv[1], names[i]) == 0)
            o.cmd = (int)i;
    }
    if (o.cmd < 0)
        return hw_usage("unknown subcommand:", argv[1],
                        mlsim_diag_suggest(argv[1], names, N_HW_COMMANDS));
    int status = parse_hw_args(argc - 1, argv + 1, &o);
    if (status >= 0)
        return status;
    struct mlsim_hwdb *db = NULL; /* with MLSIM_HWDB_PATH's layers (data.c) */
    if (mlsim_cli_open_hwdb(o.hwdb, NULL, 0, &db) != MLSIM_EXIT_OK)
        return MLSIM_EXIT_INPUT;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwtable *t = mlsim_hwtable_alloc();
    if (!d || !db || !t) {
        fputs("mlsim hw: error: out of memory\n", stderr);
        status = MLSIM_EXIT_INPUT;
    } else {
        status = run_hw(&o, db, t, d);
    }
    mlsim_hwtable_free(t);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    return status;
}
