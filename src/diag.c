/*
 * The diagnostics list: a growing array of (severity, place, message), and the source texts the
 * messages point into. Small by design: a file with errors yields tens of entries, not millions.
 */
#include "mlsim/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    enum mlsim_severity sev;
    struct mlsim_loc loc; /* loc.file points to FILE, a copy owned by the entry */
    char *file;
    char *msg;
};

struct source {
    char *file;
    char *text;
    size_t len;
};

struct mlsim_diags {
    struct entry *entries;
    size_t n, cap;
    struct source *sources;
    size_t n_sources, cap_sources;
    size_t errors;
    int out_of_memory;
};

struct mlsim_diags *mlsim_diags_alloc(void)
{
    return calloc(1, sizeof(struct mlsim_diags));
}

void mlsim_diags_free(struct mlsim_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->entries[i].msg);
        free(d->entries[i].file);
    }
    for (size_t i = 0; i < d->n_sources; i++) {
        free(d->sources[i].file);
        free(d->sources[i].text);
    }
    free(d->entries);
    free(d->sources);
    free(d);
}

static char *dup_bytes(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

enum mlsim_status mlsim_diags_add_source(struct mlsim_diags *d, const char *file, const char *text,
                                         size_t len)
{
    if (d->n_sources == d->cap_sources) {
        size_t cap = d->cap_sources ? 2 * d->cap_sources : 4;
        struct source *s = realloc(d->sources, cap * sizeof *s);
        if (!s)
            return MLSIM_ERR_NOMEM;
        d->sources = s;
        d->cap_sources = cap;
    }
    struct source *src = &d->sources[d->n_sources];
    src->file = dup_bytes(file, strlen(file));
    src->text = dup_bytes(text, len);
    src->len = len;
    if (!src->file || !src->text) {
        free(src->file);
        free(src->text);
        return MLSIM_ERR_NOMEM;
    }
    d->n_sources++;
    return MLSIM_OK;
}

void mlsim_diags_report(struct mlsim_diags *d, enum mlsim_severity sev, struct mlsim_loc loc,
                        const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    /* clang-tidy 14 reports this va_list as uninitialized: a false positive. */
    vsnprintf(buf, sizeof buf, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    if (sev == MLSIM_SEVERITY_ERROR)
        d->errors++;
    /* the same fault found again (a device file every run of a table loads) is said once */
    for (size_t i = 0; i < d->n; i++) {
        const struct entry *e = &d->entries[i];
        if (e->sev == sev && e->loc.line == loc.line && e->loc.col == loc.col &&
            (e->file && loc.file ? strcmp(e->file, loc.file) == 0 : e->file == loc.file) &&
            strcmp(e->msg, buf) == 0)
            return;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        struct entry *e = realloc(d->entries, cap * sizeof *e);
        if (!e) {
            d->out_of_memory = 1;
            return;
        }
        d->entries = e;
        d->cap = cap;
    }
    /* Copy the file name: the loader that reported may free its document before printing. */
    char *msg = dup_bytes(buf, strlen(buf));
    char *file = loc.file ? dup_bytes(loc.file, strlen(loc.file)) : NULL;
    if (!msg || (loc.file && !file)) {
        free(msg);
        free(file);
        d->out_of_memory = 1;
        return;
    }
    loc.file = file;
    d->entries[d->n++] = (struct entry){sev, loc, file, msg};
}

size_t mlsim_diags_errors(const struct mlsim_diags *d)
{
    return d->errors;
}

size_t mlsim_diags_count(const struct mlsim_diags *d)
{
    return d->n;
}

const char *mlsim_diags_message(const struct mlsim_diags *d, size_t i)
{
    return i < d->n ? d->entries[i].msg : NULL;
}

struct mlsim_loc mlsim_diags_loc(const struct mlsim_diags *d, size_t i)
{
    struct mlsim_loc none = {NULL, 0, 0};
    return i < d->n ? d->entries[i].loc : none;
}

static const struct source *find_source(const struct mlsim_diags *d, const char *file)
{
    for (size_t i = d->n_sources; i-- > 0;) {
        if (strcmp(d->sources[i].file, file) == 0)
            return &d->sources[i];
    }
    return NULL;
}

/* Print line LINE of SRC and a caret under column COL. Tabs are kept so the caret lines up. */
static void print_excerpt(const struct source *src, int line, int col, FILE *out)
{
    const char *p = src->text;
    const char *end = src->text + src->len;
    for (int l = 1; l < line && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return;
        p = nl + 1;
    }
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    fprintf(out, "  %.*s\n  ", (int)n, p);
    for (int c = 1; c < col && (size_t)(c - 1) < n; c++)
        fputc(p[c - 1] == '\t' ? '\t' : ' ', out);
    fputs("^\n", out);
}

void mlsim_diags_print(const struct mlsim_diags *d, FILE *out)
{
    static const char *const sev_names[] = {"error", "note", "warning"};
    for (size_t i = 0; i < d->n; i++) {
        const struct entry *e = &d->entries[i];
        const char *file = e->loc.file ? e->loc.file : "mlsim";
        if (e->loc.line > 0)
            fprintf(out, "%s:%d:%d: %s: %s\n", file, e->loc.line, e->loc.col, sev_names[e->sev],
                    e->msg);
        else
            fprintf(out, "%s: %s: %s\n", file, sev_names[e->sev], e->msg);
        const struct source *src = e->loc.file ? find_source(d, e->loc.file) : NULL;
        if (src && e->loc.line > 0)
            print_excerpt(src, e->loc.line, e->loc.col, out);
    }
    if (d->out_of_memory)
        fputs("mlsim: error: out of memory while recording errors; some were lost\n", out);
}

#define MAX_WORD 64

size_t mlsim_diag_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[MAX_WORD + 1];
    if (la > MAX_WORD)
        la = MAX_WORD;
    if (lb > MAX_WORD)
        lb = MAX_WORD;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *mlsim_diag_suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    /* Short words allow one edit, longer ones about one in three ("lable" -> "label"). */
    size_t limit = strlen(word) <= 4 ? 1 : strlen(word) / 3 + 1;
    for (size_t i = 0; i < n; i++) {
        size_t dist = mlsim_diag_distance(word, cands[i]);
        if (dist < best_d) {
            best_d = dist;
            best = cands[i];
        }
    }
    if (best_d <= limit)
        return best;
    /* A unique candidate that starts with WORD ("h100" for "h100-sxm5-80gb") is a likely meaning.
     */
    const char *prefixed = NULL;
    size_t lw = strlen(word);
    for (size_t i = 0; i < n && lw > 0; i++) {
        if (strncmp(cands[i], word, lw) == 0) {
            if (prefixed)
                return NULL;
            prefixed = cands[i];
        }
    }
    return prefixed;
}
