/*
 * The measured-point CSV reader. The file is read whole and split in place: each field is a
 * pointer into the text, with the line and column it started at, so that a fault found later (a
 * field that is not a number) is reported where it is. Fields are kept in one array grown with
 * mlsim_mem_grow, the header's first and then each row's; the workload is a few files of tens to
 * thousands of rows.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/plot_csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/mem.h"

struct field {
    const char *text;
    int line, col;
};

struct mlsim_plot_csv {
    char *text;    /* the file, split in place */
    char *path;    /* a copy, for the places of later reports */
    int head_line; /* the header's line */
    size_t n_cols, n_rows;
    struct field *fields; /* n_cols header fields, then n_cols per row */
    size_t n_fields, cap;
};

/* The fields of one line while it is split. */
struct line_fields {
    struct field *f;
    size_t n, cap;
};

static struct mlsim_loc at(const struct mlsim_plot_csv *t, int line, int col)
{
    struct mlsim_loc loc = {t->path, line, col};
    return loc;
}

static enum mlsim_status push(struct line_fields *lf, const char *text, int line, int col)
{
    void *arr = lf->f;
    enum mlsim_status st = mlsim_mem_grow(&arr, &lf->cap, lf->n + 1, sizeof *lf->f);
    lf->f = arr;
    if (st != MLSIM_OK)
        return st;
    lf->f[lf->n++] = (struct field){text, line, col};
    return MLSIM_OK;
}

/* Unquote the quoted field at *Q (a '"') in place, up to END; *Q is left at the character after
 * the closing quote. Returns MLSIM_ERR_INPUT (reported) if the quote is left open or text
 * follows it before the next comma. */
static enum mlsim_status unquote(struct mlsim_plot_csv *t, char **q, const char *end,
                                 const char *start, int line, struct mlsim_diags *d)
{
    char *w = *q, *r = *q + 1;
    int col = (int)(*q - start) + 1;
    while (r < end && !(*r == '"' && (r + 1 == end || r[1] != '"'))) {
        if (*r == '"')
            r++; /* "" is a quote */
        *w++ = *r++;
    }
    if (r == end) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, line, col),
                           "quote left open (a field ends with '\"')");
        return MLSIM_ERR_INPUT;
    }
    r++;
    if (r < end && *r != ',') {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, line, (int)(r - start) + 1),
                           "text after a closing quote (expected ',' or the end of the line)");
        return MLSIM_ERR_INPUT;
    }
    *w = '\0';
    *q = r;
    return MLSIM_OK;
}

/* Split the line [START, END) of line number LINE into LF, in place. */
static enum mlsim_status split_line(struct mlsim_plot_csv *t, char *start, char *end, int line,
                                    struct line_fields *lf, struct mlsim_diags *d)
{
    lf->n = 0;
    char *q = start;
    for (;;) {
        int col = (int)(q - start) + 1;
        const char *text = q;
        if (q < end && *q == '"') {
            enum mlsim_status st = unquote(t, &q, end, start, line, d);
            if (st != MLSIM_OK)
                return st;
        } else {
            while (q < end && *q != ',')
                q++;
        }
        int last = q == end;
        *q = '\0'; /* a comma, the end of the line or the closing quote's next character */
        enum mlsim_status st = push(lf, text, line, col);
        if (st != MLSIM_OK || last)
            return st;
        q++;
    }
}

static enum mlsim_status keep(struct mlsim_plot_csv *t, const struct line_fields *lf)
{
    void *arr = t->fields;
    enum mlsim_status st = mlsim_mem_grow(&arr, &t->cap, t->n_fields + lf->n, sizeof *t->fields);
    t->fields = arr;
    if (st != MLSIM_OK)
        return st;
    memcpy(t->fields + t->n_fields, lf->f, lf->n * sizeof *lf->f);
    t->n_fields += lf->n;
    return MLSIM_OK;
}

/* Check the header's names: none empty, none repeated. */
static enum mlsim_status check_header(struct mlsim_plot_csv *t, const struct line_fields *lf,
                                      struct mlsim_diags *d)
{
    enum mlsim_status st = MLSIM_OK;
    for (size_t i = 0; i < lf->n; i++) {
        const struct field *f = &lf->f[i];
        if (!f->text[0]) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, f->line, f->col),
                               "column %zu of the header has no name", i + 1);
            st = MLSIM_ERR_INPUT;
        }
        for (size_t j = 0; j < i && f->text[0]; j++) {
            if (strcmp(lf->f[j].text, f->text) == 0) {
                mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, f->line, f->col),
                                   "column '%s' named twice (first in column %d)", f->text,
                                   lf->f[j].col);
                st = MLSIM_ERR_INPUT;
                break;
            }
        }
    }
    return st;
}

/* Take the split line LF (which ends at column END_COL) as the header or as a row. */
static enum mlsim_status take_line(struct mlsim_plot_csv *t, const struct line_fields *lf,
                                   int end_col, struct mlsim_diags *d)
{
    if (t->head_line == 0) {
        t->head_line = lf->f[0].line;
        t->n_cols = lf->n;
        enum mlsim_status st = check_header(t, lf, d);
        return st == MLSIM_OK ? keep(t, lf) : st;
    }
    if (lf->n != t->n_cols) {
        int col = lf->n > t->n_cols ? lf->f[t->n_cols].col : end_col;
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, lf->f[0].line, col),
                           "%zu fields, but the header (line %d) names %zu columns", lf->n,
                           t->head_line, t->n_cols);
        return MLSIM_ERR_INPUT;
    }
    t->n_rows++;
    return keep(t, lf);
}

/* Split the whole text of LEN bytes, reporting every faulty line. */
static enum mlsim_status parse(struct mlsim_plot_csv *t, size_t len, struct mlsim_diags *d)
{
    struct line_fields lf = {0};
    enum mlsim_status st = MLSIM_OK;
    char *p = t->text, *text_end = t->text + len;
    for (int line = 1; p < text_end && st != MLSIM_ERR_NOMEM; line++) {
        size_t rest = (size_t)(text_end - p);
        char *nl = memchr(p, '\n', rest);
        size_t n = nl ? (size_t)(nl - p) : rest;
        char *next = nl ? nl + 1 : text_end;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        char *end = p + n;
        char *nul = memchr(p, '\0', n);
        enum mlsim_status s = MLSIM_OK;
        if (nul) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, line, (int)(nul - p) + 1),
                               "a NUL byte: not a text file");
            s = MLSIM_ERR_INPUT;
        } else if (end > p && *p != '#') {
            int end_col = (int)(end - p) + 1;
            s = split_line(t, p, end, line, &lf, d);
            if (s == MLSIM_OK)
                s = take_line(t, &lf, end_col, d);
        }
        if (s != MLSIM_OK)
            st = st == MLSIM_OK || s == MLSIM_ERR_NOMEM ? s : st;
        p = next;
    }
    free(lf.f);
    if (st == MLSIM_OK && t->head_line == 0) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, 0, 0),
                           "no header line (only comments or nothing)");
        st = MLSIM_ERR_INPUT;
    }
    return st;
}

enum mlsim_status mlsim_plot_csv_read(const char *path, struct mlsim_plot_csv **out,
                                      struct mlsim_diags *d)
{
    *out = NULL;
    struct mlsim_plot_csv *t = calloc(1, sizeof *t);
    size_t plen = strlen(path);
    char *copy = malloc(plen + 1);
    if (!t || !copy) {
        free(t);
        free(copy);
        return MLSIM_ERR_NOMEM;
    }
    memcpy(copy, path, plen + 1);
    t->path = copy;
    size_t len = 0;
    enum mlsim_status st = mlsim_mem_read_file(path, MLSIM_MEM_MAX_FILE_BYTES, &t->text, &len);
    if (st == MLSIM_ERR_IO)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, 0, 0),
                           "cannot read '%s' (missing, unreadable or not a regular file)", path);
    else if (st == MLSIM_ERR_RANGE)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, 0, 0), "larger than %zu MiB",
                           MLSIM_MEM_MAX_FILE_BYTES >> 20);
    if (st == MLSIM_OK)
        st = mlsim_diags_add_source(d, path, t->text, len);
    if (st == MLSIM_OK)
        st = parse(t, len, d);
    if (st != MLSIM_OK) {
        mlsim_plot_csv_free(t);
        return st;
    }
    *out = t;
    return MLSIM_OK;
}

void mlsim_plot_csv_free(struct mlsim_plot_csv *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->path);
    free(t->fields);
    free(t);
}

size_t mlsim_plot_csv_cols(const struct mlsim_plot_csv *t)
{
    return t->n_cols;
}

size_t mlsim_plot_csv_rows(const struct mlsim_plot_csv *t)
{
    return t->n_rows;
}

int mlsim_plot_csv_column(const struct mlsim_plot_csv *t, const char *name, struct mlsim_diags *d)
{
    for (size_t i = 0; i < t->n_cols; i++) {
        if (strcmp(t->fields[i].text, name) == 0)
            return (int)i;
    }
    if (d)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, t->head_line, 1),
                           "no column '%s' in the header", name);
    return -1;
}

static const struct field *field_at(const struct mlsim_plot_csv *t, size_t row, size_t col)
{
    if (row >= t->n_rows || col >= t->n_cols)
        return NULL;
    return &t->fields[(row + 1) * t->n_cols + col];
}

const char *mlsim_plot_csv_text(const struct mlsim_plot_csv *t, size_t row, size_t col)
{
    const struct field *f = field_at(t, row, col);
    return f ? f->text : NULL;
}

enum mlsim_status mlsim_plot_csv_number(const struct mlsim_plot_csv *t, size_t row, size_t col,
                                        double *x, struct mlsim_diags *d)
{
    const struct field *f = field_at(t, row, col);
    if (!f)
        return MLSIM_ERR_RANGE;
    const char *name = t->fields[col].text;
    if (!f->text[0]) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, f->line, f->col),
                           "'%s' is empty: expected a number", name);
        return MLSIM_ERR_INPUT;
    }
    char *end;
    double v = strtod(f->text, &end);
    if (end == f->text || *end != '\0' || !isfinite(v)) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at(t, f->line, f->col),
                           "'%s' is '%s': expected a finite number", name, f->text);
        return MLSIM_ERR_INPUT;
    }
    *x = v;
    return MLSIM_OK;
}
