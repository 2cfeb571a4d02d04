/*
 * `mlsim plot`: the lecture's charts. The library (plot.c) writes each chart's data and gnuplot
 * script into the output folder; this file picks the charts, makes the folder and runs gnuplot
 * once per format (fork and exec), showing progress on stderr. A chart is written and drawn in a
 * folder of its own inside the output folder (a stage); gnuplot draws into a temporary file that
 * is checked (plot_image.c) before it takes the image's name; only when every file of the chart
 * is complete do they all move out of the stage, so a chart that cannot be drawn leaves no file
 * and an earlier run's files as they were. What gnuplot prints is shown only when it fails.
 * Without gnuplot on PATH it says how to render what was written, and succeeds.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/mem.h"
#include "mlsim/plot.h"
#include "mlsim/plot_image.h"
#include "mlsim/scenario.h"

#include "cli.h"

static const char plot_usage[] =
    "usage: mlsim plot CHART [SCENARIO | DEVICE] [-o DIR] [--format png,svg,pdf] [--hwdb DIR]\n"
    "       mlsim plot sweep SCENARIO [--x FIELD] [--y COLUMN]   (a scenario with a sweep:)\n"
    "       mlsim plot all [-o DIR] [--format png,svg,pdf]   (every lecture chart)\n"
    "       mlsim plot --list\n";

static const char plot_help[] =
    "\n"
    "Writes each chart's data (CHART.csv) and a readable gnuplot script (CHART.gp) into DIR\n"
    "(default plots/out), then renders it with gnuplot at 1920 x 1080. Without gnuplot on PATH\n"
    "the data and scripts are still written, and mlsim says how to render them.\n"
    "\n"
    "    -o, --output DIR     the output folder (made if missing; default plots/out)\n"
    "    -f, --format LIST    comma-separated: png, svg, pdf (default png,svg,pdf)\n"
    "        --no-render      write data and scripts only\n"
    "        --hwdb DIR       the hardware database folder\n"
    "        --x FIELD        the sweep chart's x: a field the scenario sweeps (default: its "
    "first)\n"
    "        --y COLUMN       the sweep chart's y: a numeric result column (default: time_s);\n"
    "                         runs with a reliability: block draw their P10-P90 band\n"
    "        --list           list the charts and what each reads by default\n";

struct plot_opts {
    const char *out_dir;
    const char *hwdb;
    const char *chart;
    const char *input;
    const char *x_field, *y_column;
    int formats;
    int no_render;
    int list;
};

static int plot_usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "mlsim plot: %s%s%s\n%s", msg, arg ? " " : "", arg ? arg : "", plot_usage);
    return MLSIM_EXIT_USAGE;
}

/* Parse "png,svg" into format bits; 0 if a name is unknown. */
static int parse_formats(const char *list)
{
    int bits = 0;
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char word[16];
        if (len == 0 || len >= sizeof word)
            return 0;
        memcpy(word, p, len);
        word[len] = '\0';
        int bit = mlsim_plot_format_from_name(word);
        if (!bit)
            return 0;
        bits |= bit;
        p += len + (comma ? 1 : 0);
    }
    return bits;
}

/* Parse ARGV into *O. Returns -1 to go on, or an exit status. */
/* A scenario file given instead of a chart: it names its charts under 'charts:'. */
static int is_scenario(const char *arg)
{
    size_t n = strlen(arg);
    return n > 5 && (strcmp(arg + n - 5, ".yaml") == 0 || strcmp(arg + n - 4, ".yml") == 0);
}

/* CHART, with the chart it may mean ("cost" is cost-table), into BUF. */
static const char *chart_hint(const char *chart, char *buf, size_t len)
{
    const char *names[32] = {"all"};
    size_t n = 1;
    for (size_t i = 0; i < mlsim_plot_chart_count() && n < 32; i++)
        names[n++] = mlsim_plot_chart_at(i)->name;
    const char *near = mlsim_diag_suggest(chart, names, n);
    if (near)
        snprintf(buf, len, "%s (did you mean '%s'?)", chart, near);
    else
        snprintf(buf, len, "%s", chart);
    return buf;
}

static int parse_plot_args(int argc, char **argv, struct plot_opts *o)
{
    char hint[160];
    enum { OPT_HWDB = 256, OPT_LIST, OPT_NO_RENDER, OPT_X, OPT_Y };
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"hwdb", required_argument, NULL, OPT_HWDB},
                                             {"list", no_argument, NULL, OPT_LIST},
                                             {"no-render", no_argument, NULL, OPT_NO_RENDER},
                                             {"x", required_argument, NULL, OPT_X},
                                             {"y", required_argument, NULL, OPT_Y},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o->out_dir = optarg;
            break;
        case 'f':
            o->formats = parse_formats(optarg);
            if (!o->formats)
                return plot_usage_error("unknown --format (use png, svg, pdf):", optarg);
            break;
        case OPT_HWDB:
            o->hwdb = optarg;
            break;
        case OPT_LIST:
            o->list = 1;
            break;
        case OPT_NO_RENDER:
            o->no_render = 1;
            break;
        case OPT_X:
            o->x_field = optarg;
            break;
        case OPT_Y:
            o->y_column = optarg;
            break;
        case 'h':
            printf("%s%s", plot_usage, plot_help);
            return MLSIM_EXIT_OK;
        default: {
            char bad[128];
            return plot_usage_error(
                "unknown option or missing argument:",
                mlsim_cli_bad_option(argv[optind - 1], longopts, bad, sizeof bad));
        }
        }
    }
    if (o->list)
        return optind == argc ? -1 : plot_usage_error("--list takes no chart:", argv[optind]);
    if (optind == argc)
        return plot_usage_error("no chart given (mlsim plot --list shows them)", NULL);
    o->chart = argv[optind++];
    if (optind < argc)
        o->input = argv[optind++];
    if (optind < argc)
        return plot_usage_error("extra argument:", argv[optind]);
    if (strcmp(o->chart, "all") == 0 && o->input)
        return plot_usage_error("'all' draws each chart from its own input; extra argument:",
                                o->input);
    if (strcmp(o->chart, "all") != 0 && !mlsim_plot_chart_find(o->chart) && !is_scenario(o->chart))
        return plot_usage_error("unknown chart (mlsim plot --list shows them):",
                                chart_hint(o->chart, hint, sizeof hint));
    return -1;
}

static void list_charts(void)
{
    for (size_t i = 0; i < mlsim_plot_chart_count(); i++) {
        const struct mlsim_plot_chart *c = mlsim_plot_chart_at(i);
        printf("%-11s %s\n            default: %s%s\n", c->name, c->summary,
               c->input == MLSIM_PLOT_INPUT_DEVICE ? "device " : "", c->default_input);
    }
}

/* Make DIR and its parents. Returns 0 on success. */
static int make_dirs(const char *dir)
{
    char buf[PATH_MAX];
    int n = snprintf(buf, sizeof buf, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* Is PROG an executable file in a folder of $PATH? */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        char full[PATH_MAX];
        int n = snprintf(full, sizeof full, "%.*s/%s", (int)len, len ? path : ".", prog);
        if (n > 0 && (size_t)n < sizeof full && access(full, X_OK) == 0)
            return 1;
        path += len + (colon ? 1 : 0);
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* What gnuplot said, kept to be shown only if it fails: its last GP_SAID_MAX bytes. */
#define GP_SAID_MAX ((size_t)64 << 10)
struct gp_said {
    char *text;
    size_t len, cap;
};

/* Read FD to its end into SAID (keeping the last GP_SAID_MAX bytes). */
static void read_said(int fd, struct gp_said *said)
{
    char buf[4096];
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return;
        size_t n = (size_t)got;
        if (said->len + n > GP_SAID_MAX) { /* n < GP_SAID_MAX: the oldest bytes go */
            size_t drop = said->len + n - GP_SAID_MAX;
            memmove(said->text, said->text + drop, said->len - drop);
            said->len -= drop;
        }
        void *arr = said->text;
        if (mlsim_mem_grow(&arr, &said->cap, said->len + n + 1, 1) != MLSIM_OK)
            continue; /* out of memory: what gnuplot says is lost, not its result */
        said->text = arr;
        memcpy(said->text + said->len, buf, n);
        said->len += n;
        said->text[said->len] = '\0';
    }
}

/* Run `gnuplot -e "fmt='FMT'; outfile='OUT'" NAME.gp` in DIR, what it prints to SAID. Returns
 * its exit status, or -1 if it could not be run. */
static int run_gnuplot(const char *dir, const char *name, const char *fmt, const char *out,
                       struct gp_said *said)
{
    char setfmt[PATH_MAX + 64], script[256];
    snprintf(setfmt, sizeof setfmt, "fmt='%s'; outfile='%s'", fmt, out);
    snprintf(script, sizeof script, "%s.gp", name);
    int fds[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        char *const args[] = {"gnuplot", "-e", setfmt, script, NULL};
        close(fds[0]);
        if (chdir(dir) != 0 || dup2(fds[1], STDOUT_FILENO) < 0 || dup2(fds[1], STDERR_FILENO) < 0)
            _exit(127);
        execvp("gnuplot", args);
        _exit(127);
    }
    close(fds[1]);
    read_said(fds[0], said);
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *const format_names[] = {"png", "svg", "pdf"};

/* A new, empty temporary file for chart NAME in FORMAT in DIR: its path into PATH and its name
 * (in DIR) into BASE. Its mode is that of a file gnuplot would make (0666 less the umask).
 * Returns 0, or -1 if it cannot be made. */
static int make_temp(const char *dir, const char *name, const char *format, char *path, size_t len,
                     const char **base)
{
    int n = snprintf(path, len, "%s/.%s.%s.XXXXXX", dir, name, format);
    if (n < 0 || (size_t)n >= len)
        return -1;
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    mode_t mask = umask(0);
    umask(mask);
    int bad = fchmod(fd, 0666 & ~mask) != 0;
    bad |= close(fd) != 0;
    if (bad) {
        remove(path);
        return -1;
    }
    *base = strrchr(path, '/') + 1;
    return 0;
}

/* Render chart NAME in FORMAT (its Ith name) in the stage STAGE of the output folder OUT: into a
 * temporary file, checked, then renamed to its name in the stage. What gnuplot prints is shown
 * only when it fails; faults name the image's place in OUT. */
static int render_one(const char *stage, const char *out, const char *name, int i)
{
    char tmp[PATH_MAX], staged[PATH_MAX], target[PATH_MAX];
    const char *base = NULL;
    int n = snprintf(target, sizeof target, "%s/%s.%s", out, name, format_names[i]);
    int m = snprintf(staged, sizeof staged, "%s/%s.%s", stage, name, format_names[i]);
    if (n < 0 || (size_t)n >= sizeof target || m < 0 || (size_t)m >= sizeof staged ||
        make_temp(stage, name, format_names[i], tmp, sizeof tmp, &base) != 0) {
        fprintf(stderr, "mlsim plot: error: cannot write in '%s'\n", out);
        return MLSIM_EXIT_INPUT;
    }
    struct gp_said said = {0};
    int rc = run_gnuplot(stage, name, format_names[i], base, &said);
    struct mlsim_diags *d = mlsim_diags_alloc();
    enum mlsim_status st = MLSIM_ERR_INPUT;
    if (rc == 0 && d)
        st = mlsim_plot_image_check(1 << i, tmp, target, d);
    if (st == MLSIM_OK && rename(tmp, staged) != 0) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, (struct mlsim_loc){target, 0, 0},
                           "cannot rename the image into place");
        st = MLSIM_ERR_IO;
    }
    if (st != MLSIM_OK) {
        remove(tmp);
        if (said.len)
            fputs(said.text, stderr);
        if (said.len && said.text[said.len - 1] != '\n')
            fputc('\n', stderr);
        if (rc != 0)
            fprintf(stderr, "mlsim plot: error: gnuplot failed on %s/%s.gp (fmt %s, status %d)\n",
                    out, name, format_names[i], rc);
        else if (d)
            mlsim_diags_print(d, stderr);
        else
            fputs("mlsim plot: out of memory\n", stderr);
    }
    mlsim_diags_free(d);
    free(said.text);
    return st == MLSIM_OK ? MLSIM_EXIT_OK : MLSIM_EXIT_INPUT;
}

/* Render chart NAME in STAGE in every format O asks. */
static int render(const struct plot_opts *o, const char *stage, const char *name)
{
    for (int i = 0; i < 3; i++) {
        if (!(o->formats & (1 << i)))
            continue;
        int rc = render_one(stage, o->out_dir, name, i);
        if (rc != MLSIM_EXIT_OK)
            return rc;
    }
    return MLSIM_EXIT_OK;
}

/* A new, empty stage for chart NAME in OUT: a hidden folder, its path into STAGE. */
static int make_stage(const char *out, const char *name, char *stage, size_t len)
{
    int n = snprintf(stage, len, "%s/.%s.stage.XXXXXX", out, name);
    return n < 0 || (size_t)n >= len || !mkdtemp(stage) ? -1 : 0;
}

/* Remove the stage STAGE and every file left in it (it holds no folder). */
static void remove_stage(const char *stage)
{
    DIR *dir = opendir(stage);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s/%s", stage, e->d_name);
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && n > 0 &&
            (size_t)n < sizeof path)
            remove(path);
    }
    if (dir)
        closedir(dir);
    rmdir(stage);
}

/* Is PATH absent or a regular file (not a link, a folder, a FIFO)? */
static int replaceable(const char *path)
{
    struct stat st;
    return lstat(path, &st) != 0 || S_ISREG(st.st_mode);
}

/* Move every file of STAGE into OUT, checking every place first so that a refusal (a folder,
 * a link or a FIFO where a file would go) moves nothing. */
static int publish(const char *stage, const char *out)
{
    int rc = MLSIM_EXIT_OK;
    for (int pass = 0; pass < 2 && rc == MLSIM_EXIT_OK; pass++) {
        DIR *dir = opendir(stage);
        if (!dir) {
            fprintf(stderr, "mlsim plot: error: cannot read '%s'\n", stage);
            return MLSIM_EXIT_INPUT;
        }
        struct dirent *e;
        while (rc == MLSIM_EXIT_OK && (e = readdir(dir)) != NULL) {
            if (e->d_name[0] == '.')
                continue; /* ".", "..": the stage's own files never start with a dot */
            char from[PATH_MAX], to[PATH_MAX];
            int n = snprintf(from, sizeof from, "%s/%s", stage, e->d_name);
            int m = snprintf(to, sizeof to, "%s/%s", out, e->d_name);
            if (n < 0 || (size_t)n >= sizeof from || m < 0 || (size_t)m >= sizeof to) {
                fprintf(stderr, "mlsim plot: error: output path too long in '%s'\n", out);
                rc = MLSIM_EXIT_INPUT;
            } else if (pass == 0 && !replaceable(to)) {
                fprintf(stderr,
                        "%s: error: exists and is not a regular file (a folder, a link, a FIFO): "
                        "not replaced\n",
                        to);
                rc = MLSIM_EXIT_INPUT;
            } else if (pass == 1 && rename(from, to) != 0) {
                fprintf(stderr, "%s: error: cannot write '%s'\n", to, to);
                rc = MLSIM_EXIT_INPUT;
            }
        }
        closedir(dir);
    }
    return rc;
}

/* Write chart C in the stage STAGE and render it there (the Ith of N, for progress). */
static int stage_chart(const struct plot_opts *o, const struct mlsim_plot_chart *c, size_t i,
                       size_t n, const char *root, struct mlsim_hwdb *db, int gnuplot,
                       const char *stage)
{
    double t0 = now_s();
    struct mlsim_diags *d = mlsim_diags_alloc();
    if (!d) {
        fputs("mlsim plot: out of memory\n", stderr);
        return MLSIM_EXIT_INPUT;
    }
    char hint[600];
    if (c->input == MLSIM_PLOT_INPUT_DEVICE && o->input &&
        mlsim_hwdb_suggest(db, o->input, hint, sizeof hint)[0]) { /* ids are exact */
        fprintf(stderr, "mlsim plot: error: unknown device '%s'%s\n", o->input, hint);
        mlsim_diags_free(d);
        return MLSIM_EXIT_INPUT;
    }
    struct mlsim_plot_request req = {.out_dir = stage,
                                     .root = root,
                                     .input = o->input,
                                     .x_field = o->x_field,
                                     .y_column = o->y_column};
    enum mlsim_status st = mlsim_plot_write(c, &req, db, d);
    int bad = st != MLSIM_OK || mlsim_diags_errors(d) > 0;
    mlsim_diags_print(d, stderr);
    mlsim_diags_free(d);
    if (bad) {
        fprintf(stderr, "mlsim plot: [%zu/%zu] %s: failed\n", i + 1, n, c->name);
        return MLSIM_EXIT_INPUT;
    }
    fprintf(stderr, "mlsim plot: [%zu/%zu] %s: data and script written in %.1f s\n", i + 1, n,
            c->name, now_s() - t0);
    if (!gnuplot)
        return MLSIM_EXIT_OK;
    t0 = now_s();
    int rc = render(o, stage, c->name);
    if (rc == MLSIM_EXIT_OK)
        fprintf(stderr, "mlsim plot: [%zu/%zu] %s: rendered in %.1f s\n", i + 1, n, c->name,
                now_s() - t0);
    return rc;
}

/* Write chart C (the Ith of N) and render it in a stage, then move its files into the output
 * folder and name them on stdout. */
static int plot_one(const struct plot_opts *o, const struct mlsim_plot_chart *c, size_t i, size_t n,
                    const char *root, struct mlsim_hwdb *db, int gnuplot)
{
    char stage[PATH_MAX];
    if (make_stage(o->out_dir, c->name, stage, sizeof stage) != 0) {
        fprintf(stderr, "mlsim plot: error: cannot write in '%s'\n", o->out_dir);
        return MLSIM_EXIT_INPUT;
    }
    int rc = stage_chart(o, c, i, n, root, db, gnuplot, stage);
    if (rc == MLSIM_EXIT_OK)
        rc = publish(stage, o->out_dir);
    remove_stage(stage);
    if (rc != MLSIM_EXIT_OK)
        return rc;
    printf("%s/%s.csv\n%s/%s.gp\n", o->out_dir, c->name, o->out_dir, c->name);
    for (int k = 0; gnuplot && k < 3; k++) {
        if (o->formats & (1 << k))
            printf("%s/%s.%s\n", o->out_dir, c->name, format_names[k]);
    }
    return MLSIM_EXIT_OK;
}

/* The folder above the hardware database: it holds plots/, scenarios/ and validate/. */
static void root_of(const char *hwdb, char *buf, size_t len)
{
    snprintf(buf, len, "%s", hwdb);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        snprintf(buf, len, ".");
    else if (slash == buf)
        buf[1] = '\0';
    else
        *slash = '\0';
}

/* `mlsim plot SCENARIO.yaml`: the charts the scenario names, each drawn from it. */
static int plot_scenario_charts(const struct plot_opts *o, struct mlsim_hwdb *db, const char *root)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_scenario *sc = NULL;
    if (!d)
        return MLSIM_EXIT_INPUT;
    int rc = MLSIM_EXIT_OK;
    if (mlsim_scenario_load(o->chart, d, &sc) != MLSIM_OK || !sc || sc->n_runs == 0) {
        rc = MLSIM_EXIT_INPUT;
    } else if (sc->runs[0].n_charts == 0) {
        struct mlsim_loc whole = {o->chart, 0, 0};
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, whole,
                           "names no charts: add 'charts: [NAME, ...]'");
        rc = MLSIM_EXIT_INPUT;
    }
    const struct mlsim_run *r = rc == MLSIM_EXIT_OK ? &sc->runs[0] : NULL;
    for (int i = 0; r && i < r->n_charts; i++) {
        if (!mlsim_plot_chart_find(r->charts[i])) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->chart_locs[i],
                               "unknown chart '%s' (mlsim plot --list shows them)", r->charts[i]);
            rc = MLSIM_EXIT_INPUT;
        }
    }
    mlsim_diags_print(d, stderr);
    int gnuplot = !o->no_render && on_path("gnuplot");
    for (int i = 0; r && rc == MLSIM_EXIT_OK && i < r->n_charts; i++) {
        struct plot_opts one = *o;
        one.chart = r->charts[i];
        one.input = o->chart;
        rc = plot_one(&one, mlsim_plot_chart_find(one.chart), (size_t)i, (size_t)r->n_charts, root,
                      db, gnuplot);
    }
    mlsim_scenario_free(sc);
    mlsim_diags_free(d);
    return rc;
}

static int plot_charts(const struct plot_opts *o, struct mlsim_hwdb *db, const char *root)
{
    if (is_scenario(o->chart) && !mlsim_plot_chart_find(o->chart))
        return plot_scenario_charts(o, db, root);
    int gnuplot = !o->no_render && on_path("gnuplot");
    size_t n = strcmp(o->chart, "all") == 0 ? mlsim_plot_chart_count() : 1;
    int rc = MLSIM_EXIT_OK;
    for (size_t i = 0; i < n && rc == MLSIM_EXIT_OK; i++) {
        const struct mlsim_plot_chart *c =
            n == 1 ? mlsim_plot_chart_find(o->chart) : mlsim_plot_chart_at(i);
        rc = plot_one(o, c, i, n, root, db, gnuplot);
    }
    if (rc == MLSIM_EXIT_OK && !gnuplot && !o->no_render)
        fprintf(stderr,
                "mlsim plot: gnuplot is not on PATH: data and scripts are in %s; to render, "
                "install gnuplot (Debian: apt-get install gnuplot-nox) and run in that folder:\n"
                "    for f in *.gp; do gnuplot -e \"fmt='png'\" \"$f\"; done\n",
                o->out_dir);
    return rc;
}

int mlsim_cli_plot(int argc, char **argv)
{
    struct plot_opts o = {.out_dir = "plots/out",
                          .formats = MLSIM_PLOT_PNG | MLSIM_PLOT_SVG | MLSIM_PLOT_PDF};
    int rc = parse_plot_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.list) {
        list_charts();
        return MLSIM_EXIT_OK;
    }
    char hwdb_buf[PATH_MAX + 32], root[PATH_MAX + 32];
    const char *hwdb = mlsim_cli_locate_hwdb(o.hwdb, hwdb_buf, sizeof hwdb_buf);
    root_of(hwdb, root, sizeof root);
    if (make_dirs(o.out_dir) != 0) {
        fprintf(stderr, "mlsim plot: error: cannot make the output folder '%s'\n", o.out_dir);
        return MLSIM_EXIT_INPUT;
    }
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(hwdb);
    if (!db) {
        fputs("mlsim plot: out of memory\n", stderr);
        return MLSIM_EXIT_INPUT;
    }
    rc = plot_charts(&o, db, root);
    mlsim_hwdb_free(db);
    if (rc == MLSIM_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout))) {
        fputs("mlsim plot: error: cannot write to standard output\n", stderr);
        rc = MLSIM_EXIT_INPUT;
    }
    return rc;
}
