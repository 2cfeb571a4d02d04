/*
 * What every chart shares: its files, written beside their final names and renamed into place;
 * CSV and gnuplot text, each string escaped for where it lands (a quoted gnuplot string, a comment
 * line, a CSV field), so that data never becomes a command; the script's banner, variables and
 * compiled-in templates; and the loading and estimating of a chart's scenario.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/chart.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlsim/mem.h"
#include "mlsim/run.h"
#include "mlsim/version.h"
#include "mlsim/ydoc.h"

struct mlsim_loc mlsim_chart_nowhere(const char *file)
{
    struct mlsim_loc loc = {file, 0, 0};
    return loc;
}

/* Open a new temporary file beside O->path into O->tmp: O_EXCL refuses a file or a link that is
 * already there, so another name is tried. */
static FILE *open_temp(struct mlsim_chart_out *o)
{
    for (int i = 0; i < 100; i++) {
        int n = snprintf(o->tmp, sizeof o->tmp, "%s.tmp%ld-%d", o->path, (long)getpid(), i);
        if (n < 0 || (size_t)n >= sizeof o->tmp)
            return NULL;
        int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return NULL;
        FILE *f = fdopen(fd, "w");
        if (!f) {
            close(fd);
            remove(o->tmp);
        }
        return f;
    }
    return NULL;
}

enum mlsim_status mlsim_chart_open(struct mlsim_plot_job *job, const char *suffix,
                                   struct mlsim_chart_out *o)
{
    int n =
        snprintf(o->path, sizeof o->path, "%s/%s%s", job->req->out_dir, job->chart->name, suffix);
    if (n < 0 || (size_t)n >= sizeof o->path) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(job->req->out_dir),
                           "output path too long");
        return MLSIM_ERR_IO;
    }
    o->f = open_temp(o);
    if (!o->f) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(o->path),
                           "cannot write '%s'", o->path);
        return MLSIM_ERR_IO;
    }
    return MLSIM_OK;
}

/* Keep the closed file O in the job, to be renamed when the chart is done. */
static enum mlsim_status pend(struct mlsim_plot_job *job, const struct mlsim_chart_out *o)
{
    void *arr = job->pending;
    enum mlsim_status st =
        mlsim_mem_grow(&arr, &job->cap_pending, job->n_pending + 1, sizeof *job->pending);
    job->pending = arr;
    if (st != MLSIM_OK)
        return st;
    struct mlsim_chart_pending *p = &job->pending[job->n_pending++];
    memcpy(p->path, o->path, sizeof p->path);
    memcpy(p->tmp, o->tmp, sizeof p->tmp);
    return MLSIM_OK;
}

enum mlsim_status mlsim_chart_close(struct mlsim_plot_job *job, struct mlsim_chart_out *o,
                                    enum mlsim_status st)
{
    if (!o->f)
        return st;
    int bad = ferror(o->f);
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    if (st == MLSIM_OK && !bad) {
        st = pend(job, o);
        if (st == MLSIM_OK)
            return MLSIM_OK;
    }
    remove(o->tmp);
    if (st != MLSIM_OK)
        return st;
    mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(o->path),
                       "cannot write '%s'", o->path);
    return MLSIM_ERR_IO;
}

/* Is PATH absent or a regular file (not a link, a folder, a FIFO)? */
static int replaceable(const char *path)
{
    struct stat st;
    return lstat(path, &st) != 0 || S_ISREG(st.st_mode);
}

enum mlsim_status mlsim_chart_finish(struct mlsim_plot_job *job, enum mlsim_status st)
{
    if (st == MLSIM_OK && mlsim_diags_errors(job->d) > job->errors_before)
        st = MLSIM_ERR_INPUT;
    /* every place is checked before any file moves, so a refusal leaves none moved */
    for (size_t i = 0; i < job->n_pending && st == MLSIM_OK; i++) {
        if (replaceable(job->pending[i].path))
            continue;
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(job->pending[i].path),
                           "exists and is not a regular file (a folder, a link, a FIFO): not "
                           "replaced");
        st = MLSIM_ERR_IO;
    }
    for (size_t i = 0; i < job->n_pending; i++) {
        const struct mlsim_chart_pending *p = &job->pending[i];
        if (st == MLSIM_OK && rename(p->tmp, p->path) != 0) {
            mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(p->path),
                               "cannot write '%s'", p->path);
            st = MLSIM_ERR_IO;
        }
        if (st != MLSIM_OK)
            remove(p->tmp);
    }
    free(job->pending);
    job->pending = NULL;
    job->n_pending = job->cap_pending = 0;
    return st;
}

/* A byte that must not reach a script or a data row as itself: C0 controls (newline, carriage
 * return, tab, escape) and DEL. */
static int is_control(char c)
{
    unsigned char u = (unsigned char)c;
    return u < 0x20 || u == 0x7f;
}

void mlsim_chart_csv_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : is_control(*s) ? ' ' : *s, f);
    fputc('"', f);
}

void mlsim_chart_num(FILE *f, double x)
{
    if (isnan(x) || isinf(x))
        fputs("NaN", f);
    else
        fprintf(f, MLSIM_CHART_NUM, x);
}

void mlsim_chart_csv_num(FILE *f, double x)
{
    fputc(',', f);
    mlsim_chart_num(f, x);
}

void mlsim_chart_gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(is_control(*s) ? ' ' : *s, f);
    }
    fputc('\'', f);
}

void mlsim_chart_gp_comment(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(is_control(*s) || *s == '\\' || *s == '`' ? '?' : *s, f);
}

void mlsim_chart_gp_str(FILE *f, const char *key, const char *value)
{
    fprintf(f, "%s = ", key);
    mlsim_chart_gp_quote(f, value);
    fputc('\n', f);
}

void mlsim_chart_gp_num(FILE *f, const char *key, double value)
{
    fprintf(f, "%s = ", key);
    mlsim_chart_num(f, value);
    fputc('\n', f);
}

/* The footnote, broken at spaces into lines of at most FOOT_LINE characters, joined by "\n",
 * then how many lines it took (footnote_lines: style.gp raises the first line by that much).
 * 138 characters of the 20 pt footnote fill 1,820 of the 1,920 pixels (DejaVu Sans averages
 * 13.2 pixels a character there, measured on the PNG); two lines sit below the x axis' label. */
#define FOOT_LINE 138
static void gp_footnote(FILE *f, const char *text)
{
    fputs("footnote = ", f);
    size_t len = strlen(text), lines = 1;
    const char *p = text;
    while (1) {
        size_t rest = len - (size_t)(p - text), cut = rest;
        if (rest > FOOT_LINE) {
            cut = FOOT_LINE;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = FOOT_LINE;
        }
        char line[FOOT_LINE + 1];
        memcpy(line, p, cut);
        line[cut] = '\0';
        mlsim_chart_gp_quote(f, line);
        p += cut;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        fputs(" . \"\\n\" . ", f);
        lines++;
    }
    fprintf(f, "\nfootnote_lines = %zu\n", lines);
}

void mlsim_chart_gp_array(FILE *f, const char *key, const char *const *items, size_t n)
{
    fprintf(f, "array %s[%zu] = [", key, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        mlsim_chart_gp_quote(f, items[i]);
    }
    if (!n)
        fputs("''", f);
    fputs("]\n", f);
}

/* Copy the compiled-in template FILE into F under a banner naming it. */
static enum mlsim_status copy_template(struct mlsim_plot_job *job, FILE *f, const char *file)
{
    const char *text = mlsim_chart_template(file);
    if (!text) {
        mlsim_diags_report(job->d, MLSIM_SEVERITY_ERROR, mlsim_chart_nowhere(file),
                           "mlsim has no chart template 'plots/%s'", file);
        return MLSIM_ERR_INPUT;
    }
    fprintf(f, "\n# ---- plots/%s ----\n", file);
    fputs(text, f);
    size_t len = strlen(text);
    if (len && text[len - 1] != '\n')
        fputc('\n', f);
    return MLSIM_OK;
}

enum mlsim_status mlsim_chart_script_begin(struct mlsim_plot_job *job, struct mlsim_chart_out *o,
                                           const char *title, const char *footnote)
{
    enum mlsim_status st = mlsim_chart_open(job, ".gp", o);
    if (st != MLSIM_OK)
        return st;
    const char *name = job->chart->name;
    fprintf(o->f,
            "# %s.gp: %s\n"
            "# Written by mlsim %s (`mlsim plot %s ",
            name, job->chart->summary, MLSIM_VERSION, name);
    /* the input is the user's text: a comment must not end inside it */
    mlsim_chart_gp_comment(o->f, job->shown);
    fprintf(o->f,
            "`); the data are in %s*.csv beside it.\n"
            "# Render it in this folder: gnuplot -e \"fmt='png'\" %s.gp   (fmt: png, svg or pdf)\n"
            "# Below: the chart's variables, then plots/style.gp and plots/%s.gp copied in.\n\n"
            "if (!exists(\"fmt\")) fmt = 'png'\n",
            name, name, name);
    mlsim_chart_gp_str(o->f, "name", name);
    char data[MLSIM_CHART_PATH_LEN];
    snprintf(data, sizeof data, "%s.csv", name);
    mlsim_chart_gp_str(o->f, "data", data);
    mlsim_chart_gp_str(o->f, "chart_title", title);
    gp_footnote(o->f, footnote);
    return MLSIM_OK;
}

enum mlsim_status mlsim_chart_script_end(struct mlsim_plot_job *job, struct mlsim_chart_out *o)
{
    char tpl[128];
    snprintf(tpl, sizeof tpl, "%s.gp", job->chart->name);
    enum mlsim_status st = copy_template(job, o->f, "style.gp");
    if (st == MLSIM_OK)
        st = copy_template(job, o->f, tpl);
    return mlsim_chart_close(job, o, st);
}

enum mlsim_status mlsim_chart_load(struct mlsim_plot_job *job, const char *path,
                                   const char *const *sets, size_t n, struct mlsim_diags *d,
                                   struct mlsim_scenario **sc)
{
    enum mlsim_status st = mlsim_scenario_load(path, d, sc);
    if (*sc && st == MLSIM_OK && n)
        st = mlsim_scenario_set(*sc, sets, n, d);
    if (*sc && st == MLSIM_OK)
        st = mlsim_scenario_resolve(*sc, job->db, d);
    if (*sc && st == MLSIM_OK && mlsim_diags_errors(d) == 0)
        return MLSIM_OK;
    mlsim_scenario_free(*sc);
    *sc = NULL;
    return st == MLSIM_OK || st == MLSIM_ERR_IO ? MLSIM_ERR_INPUT : st;
}

/* Estimate every run of SC into a malloc'd *RES. */
static enum mlsim_status estimate_all(struct mlsim_plot_job *job, const struct mlsim_scenario *sc,
                                      struct mlsim_result **res)
{
    *res = calloc(sc->n_runs ? sc->n_runs : 1, sizeof **res);
    if (!*res)
        return MLSIM_ERR_NOMEM;
    enum mlsim_status st = MLSIM_OK;
    for (size_t i = 0; i < sc->n_runs; i++) {
        enum mlsim_status s = mlsim_run_estimate(&sc->runs[i], &(*res)[i], NULL, job->d);
        if (s != MLSIM_OK)
            st = s;
    }
    if (st != MLSIM_OK) {
        free(*res);
        *res = NULL;
    }
    return st;
}

enum mlsim_status mlsim_chart_load_estimated(struct mlsim_plot_job *job, struct mlsim_scenario **sc,
                                             struct mlsim_result **res)
{
    enum mlsim_status st = mlsim_chart_load(job, job->input, NULL, 0, job->d, sc);
    return st == MLSIM_OK ? estimate_all(job, *sc, res) : st;
}

const char *mlsim_chart_title(const struct mlsim_scenario *sc)
{
    if (sc->title[0])
        return sc->title;
    return sc->n_runs ? sc->runs[0].name : "";
}

const struct mlsim_ynode *mlsim_chart_own_sweep(const struct mlsim_scenario *sc)
{
    const struct mlsim_ynode *root = sc->doc ? sc->doc->root : NULL;
    if (!root || root->type != MLSIM_YNODE_MAP)
        return NULL;
    const struct mlsim_ynode *sw = mlsim_ynode_get(root, "sweep");
    const struct mlsim_ynode *defaults = mlsim_ynode_get(root, "defaults");
    if (!sw && defaults && defaults->type == MLSIM_YNODE_MAP)
        sw = mlsim_ynode_get(defaults, "sweep");
    return sw && sw->type == MLSIM_YNODE_MAP ? sw : NULL;
}
