/*
 * The diagnostics list: a growing array of (severity, place, message), the file names they name
 * (kept once each), and the source texts the messages point into. Usually tens of entries; a
 * hostile file can make a million, so every step is near-linear: a hash set finds repeats, each
 * source has a sparse index of its lines, and printing stops at a cap per file.
 */
#include "mlsim/diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mlsim/mem.h"

struct entry {
    enum mlsim_severity sev;
    struct mlsim_loc loc; /* loc.file points to a name in FILES */
    size_t file;          /* index into FILES, or SIZE_MAX for none */
    char *msg;
    uint64_t hash;
};

/* A file name diagnostics point at, copied: the loader may free its document before printing. */
struct file_name {
    char *name;
    size_t shown, hidden_errors, hidden_other; /* used while printing */
};

/* A place in a source where a line starts: every few lines or bytes, so finding line L scans
 * at most MARK_LINES lines and MARK_BYTES bytes from the mark before it. */
struct mark {
    int line;
    size_t off;
};
#define MARK_LINES 256
#define MARK_BYTES 65536

struct source {
    char *file;
    char *text;
    size_t len;
    struct mark *marks;
    size_t n_marks;
};

struct mlsim_diags {
    struct entry *entries;
    size_t n, cap;
    size_t *slots; /* hash set: entry index + 1, 0 for an empty slot */
    size_t n_slots;
    struct file_name *files;
    size_t n_files, cap_files, last_file;
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
    for (size_t i = 0; i < d->n; i++)
        free(d->entries[i].msg);
    for (size_t i = 0; i < d->n_files; i++)
        free(d->files[i].name);
    for (size_t i = 0; i < d->n_sources; i++) {
        free(d->sources[i].file);
        free(d->sources[i].text);
        free(d->sources[i].marks);
    }
    free(d->entries);
    free(d->slots);
    free(d->files);
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

/* The sparse line index of SRC; 0 if malloc fails. */
static int index_lines(struct source *src)
{
    size_t cap = 0;
    void *marks = NULL;
    struct mark next = {1, 0};
    size_t last_off = 0;
    int last_line = 1;
    for (;;) {
        if (next.line == 1 || next.line - last_line >= MARK_LINES ||
            next.off - last_off >= MARK_BYTES) {
            if (mlsim_mem_grow(&marks, &cap, src->n_marks + 1, sizeof next) != MLSIM_OK) {
                free(marks);
                return 0;
            }
            ((struct mark *)marks)[src->n_marks++] = next;
            last_line = next.line;
            last_off = next.off;
        }
        const char *nl = memchr(src->text + next.off, '\n', src->len - next.off);
        if (!nl || next.line == INT32_MAX)
            break;
        next.off = (size_t)(nl - src->text) + 1;
        next.line++;
    }
    src->marks = marks;
    return 1;
}

enum mlsim_status mlsim_diags_add_source(struct mlsim_diags *d, const char *file, const char *text,
                                         size_t len)
{
    void *arr = d->sources;
    if (mlsim_mem_grow(&arr, &d->cap_sources, d->n_sources + 1, sizeof *d->sources) != MLSIM_OK)
        return MLSIM_ERR_NOMEM;
    d->sources = arr;
    struct source *src = &d->sources[d->n_sources];
    memset(src, 0, sizeof *src);
    src->file = dup_bytes(file, strlen(file));
    src->text = dup_bytes(text, len);
    src->len = len;
    if (!src->file || !src->text || !index_lines(src)) {
        free(src->file);
        free(src->text);
        return MLSIM_ERR_NOMEM;
    }
    d->n_sources++;
    return MLSIM_OK;
}

enum mlsim_status mlsim_diags_read_file(struct mlsim_diags *d, const char *path, char **text,
                                        size_t *len)
{
    struct mlsim_loc whole = {path, 0, 0};
    enum mlsim_status st = mlsim_mem_read_file(path, MLSIM_MEM_MAX_FILE_BYTES, text, len);
    int err = errno;
    struct stat sb;
    if (st == MLSIM_ERR_IO && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, whole,
                           "not a regular file (a folder, FIFO or device): mlsim reads files");
    else if (st == MLSIM_ERR_IO)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, whole, "cannot open: %s", strerror(err));
    else if (st == MLSIM_ERR_RANGE)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, whole,
                           "larger than %zu MiB (MLSIM_MEM_MAX_FILE_BYTES), more than any input "
                           "mlsim reads",
                           MLSIM_MEM_MAX_FILE_BYTES >> 20);
    return st;
}

/* FNV-1a, 64 bits, over N bytes at P, continuing from H. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001b3u;
    return h;
}

/* The index of FILE among the names kept (added if new), SIZE_MAX for none or if malloc fails. */
static size_t intern_file(struct mlsim_diags *d, const char *file)
{
    if (!file)
        return SIZE_MAX;
    /* A run of reports mostly names one file: try the last one first. */
    if (d->last_file < d->n_files && strcmp(d->files[d->last_file].name, file) == 0)
        return d->last_file;
    for (size_t i = 0; i < d->n_files; i++) {
        if (strcmp(d->files[i].name, file) == 0)
            return d->last_file = i;
    }
    void *arr = d->files;
    if (mlsim_mem_grow(&arr, &d->cap_files, d->n_files + 1, sizeof *d->files) != MLSIM_OK)
        return SIZE_MAX;
    d->files = arr;
    char *name = dup_bytes(file, strlen(file));
    if (!name)
        return SIZE_MAX;
    d->files[d->n_files] = (struct file_name){name, 0, 0, 0};
    return d->last_file = d->n_files++;
}

static int same_entry(const struct entry *e, enum mlsim_severity sev, struct mlsim_loc loc,
                      size_t file, const char *msg, uint64_t hash)
{
    return e->hash == hash && e->sev == sev && e->file == file && e->loc.line == loc.line &&
           e->loc.col == loc.col && strcmp(e->msg, msg) == 0;
}

/* Put entry I in the hash set (which has room). */
static void slot_insert(struct mlsim_diags *d, size_t i)
{
    size_t mask = d->n_slots - 1;
    size_t at = (size_t)d->entries[i].hash & mask;
    while (d->slots[at])
        at = (at + 1) & mask;
    d->slots[at] = i + 1;
}

/* Keep the hash set at most half full; 0 if malloc fails. */
static int slots_reserve(struct mlsim_diags *d)
{
    if (2 * (d->n + 1) <= d->n_slots)
        return 1;
    size_t n_slots = d->n_slots ? 2 * d->n_slots : 64;
    size_t *slots = calloc(n_slots, sizeof *slots);
    if (!slots)
        return 0;
    free(d->slots);
    d->slots = slots;
    d->n_slots = n_slots;
    for (size_t i = 0; i < d->n; i++)
        slot_insert(d, i);
    return 1;
}

/* Whether the diagnostic is recorded already. */
static int seen_before(const struct mlsim_diags *d, enum mlsim_severity sev, struct mlsim_loc loc,
                       size_t file, const char *msg, uint64_t hash)
{
    if (!d->n_slots)
        return 0;
    size_t mask = d->n_slots - 1;
    for (size_t at = (size_t)hash & mask; d->slots[at]; at = (at + 1) & mask) {
        if (same_entry(&d->entries[d->slots[at] - 1], sev, loc, file, msg, hash))
            return 1;
    }
    return 0;
}

/* Whether byte C continues a UTF-8 sequence (so a cut must not fall before it). */
static int utf8_continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

void mlsim_diags_report(struct mlsim_diags *d, enum mlsim_severity sev, struct mlsim_loc loc,
                        const char *fmt, ...)
{
    char buf[MLSIM_DIAG_MAX_MESSAGE] = ""; /* the analyzer cannot see vsnprintf fill it */
    va_list ap;
    va_start(ap, fmt);
    /* clang-tidy 14 reports this va_list as uninitialized: a false positive. */
    int w = vsnprintf(buf, sizeof buf, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    if (w < 0) /* an encoding error: the buffer's content is unspecified */
        snprintf(buf, sizeof buf, "(a message that could not be formatted)");
    if (w >= (int)sizeof buf) { /* cut, and say so, on a character boundary */
        size_t at = sizeof buf - 4;
        while (at > 0 && utf8_continuation(buf[at]))
            at--;
        memcpy(buf + at, "...", 4);
    }
    if (sev == MLSIM_SEVERITY_ERROR)
        d->errors++;
    size_t file = intern_file(d, loc.file);
    if (loc.file && file == SIZE_MAX) {
        d->out_of_memory = 1;
        return;
    }
    uint64_t hash = fnv(0xcbf29ce484222325u, buf, strlen(buf));
    uint64_t place[4] = {(uint64_t)sev, (uint64_t)(unsigned)loc.line, (uint64_t)(unsigned)loc.col,
                         (uint64_t)file};
    for (size_t k = 0; k < 4; k++) /* the numbers byte by byte, as FNV does */
        for (int shift = 0; shift < 64; shift += 8)
            hash = (hash ^ ((place[k] >> shift) & 0xffu)) * 0x100000001b3u;
    /* the same fault found again (a device file every run of a table loads) is said once */
    if (seen_before(d, sev, loc, file, buf, hash))
        return;
    void *arr = d->entries;
    if (!slots_reserve(d) ||
        mlsim_mem_grow(&arr, &d->cap, d->n + 1, sizeof *d->entries) != MLSIM_OK) {
        d->out_of_memory = 1;
        return;
    }
    d->entries = arr;
    char *msg = dup_bytes(buf, strlen(buf));
    if (!msg) {
        d->out_of_memory = 1;
        return;
    }
    loc.file = file == SIZE_MAX ? NULL : d->files[file].name;
    d->entries[d->n] = (struct entry){sev, loc, file, msg, hash};
    slot_insert(d, d->n++);
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

enum mlsim_severity mlsim_diags_severity(const struct mlsim_diags *d, size_t i)
{
    return i < d->n ? d->entries[i].sev : MLSIM_SEVERITY_NOTE;
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

/* The start of line LINE of SRC, or NULL past its end: from the last mark at or before it. */
static const char *line_start(const struct source *src, int line)
{
    size_t lo = 0, hi = src->n_marks;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (src->marks[mid].line <= line)
            lo = mid;
        else
            hi = mid;
    }
    const char *p = src->text + src->marks[lo].off;
    const char *end = src->text + src->len;
    for (int l = src->marks[lo].line; l < line; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return NULL;
        p = nl + 1;
    }
    return p;
}

/* Length of the UTF-8 sequence led by byte C, or 0 if C cannot lead one (RFC 3629, 4). */
static size_t utf8_lead(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

int mlsim_diag_utf8_valid(const char *s, size_t len, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_lead(u[i]);
        int ok = n > 0 && n <= len - i;
        for (size_t k = 1; ok && k < n; k++)
            ok = (u[i + k] & 0xC0) == 0x80;
        /* the second byte's range rules out overlong forms, surrogates and > U+10FFFF */
        if (ok && n >= 3) {
            unsigned c0 = u[i], c1 = u[i + 1];
            ok = !(c0 == 0xE0 && c1 < 0xA0) && !(c0 == 0xED && c1 > 0x9F) &&
                 !(c0 == 0xF0 && c1 < 0x90) && !(c0 == 0xF4 && c1 > 0x8F);
        }
        if (!ok) {
            if (bad)
                *bad = i;
            return 0;
        }
        i += n;
    }
    return 1;
}

/* Write the N bytes at P with each control byte (but tab) and each byte of invalid UTF-8 as '?',
 * one for one so the caret below still lines up: stderr stays text, a NUL included. */
static void put_text(const char *p, size_t n, FILE *out)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        size_t len = utf8_lead(c), bad = 0;
        if (c < 0x80) {
            fputc((c < 0x20 && c != '\t') || c == 0x7f ? '?' : (int)c, out);
            i++;
        } else if (len > 0 && len <= n - i && mlsim_diag_utf8_valid(p + i, len, &bad)) {
            fwrite(p + i, 1, len, out);
            i += len;
        } else {
            fputc('?', out);
            i++;
        }
    }
}

/* Print line LINE of SRC and a caret under column COL. Tabs are kept so the caret lines up. A
 * line wider than MLSIM_DIAG_MAX_EXCERPT is shown as a window around the caret, cut with "...". */
static void print_excerpt(const struct source *src, int line, int col, FILE *out)
{
    const char *p = line_start(src, line);
    if (!p)
        return;
    const char *end = src->text + src->len;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    size_t at = col > 1 ? (size_t)col - 1 : 0; /* the caret's byte in the line */
    if (at > n)
        at = n;
    size_t from = 0, to = n;
    if (n > MLSIM_DIAG_MAX_EXCERPT) {
        from = at > MLSIM_DIAG_MAX_EXCERPT / 2 ? at - MLSIM_DIAG_MAX_EXCERPT / 2 : 0;
        if (from > n - MLSIM_DIAG_MAX_EXCERPT) /* near the end: show the last bytes in full */
            from = n - MLSIM_DIAG_MAX_EXCERPT;
        to = from + MLSIM_DIAG_MAX_EXCERPT;
        /* cut between characters: back over at most 3 continuation bytes (a sequence has at
         * most 4); a run of stray ones longer than that is cut anywhere, and shows as '?' */
        for (int k = 0; k < 3 && from > 0 && utf8_continuation(p[from]); k++)
            from--;
        for (int k = 0; k < 3 && to < n && utf8_continuation(p[to]); k++)
            to--;
    }
    const char *pre = from > 0 ? "..." : "", *post = to < n ? "..." : "";
    fprintf(out, "  %s", pre);
    put_text(p + from, to - from, out);
    fprintf(out, "%s\n  %s", post, from > 0 ? "   " : "");
    for (size_t c = from; c < at && c < to; c++)
        fputc(p[c] == '\t' ? '\t' : ' ', out);
    fputs("^\n", out);
}

static void print_entry(const struct mlsim_diags *d, const struct entry *e, FILE *out)
{
    static const char *const sev_names[] = {"error", "note", "warning"};
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

void mlsim_diags_print(const struct mlsim_diags *d, FILE *out)
{
    /* The counts per file are scratch for this print; D is otherwise left as it was. */
    for (size_t f = 0; f < d->n_files; f++) {
        d->files[f].shown = 0;
        d->files[f].hidden_errors = 0;
        d->files[f].hidden_other = 0;
    }
    for (size_t i = 0; i < d->n; i++) {
        const struct entry *e = &d->entries[i];
        struct file_name *f = e->file == SIZE_MAX ? NULL : &d->files[e->file];
        if (f && f->shown >= MLSIM_DIAG_MAX_PER_FILE) {
            if (e->sev == MLSIM_SEVERITY_ERROR)
                f->hidden_errors++;
            else
                f->hidden_other++;
            continue;
        }
        if (f)
            f->shown++;
        print_entry(d, e, out);
    }
    for (size_t i = 0; i < d->n_files; i++) {
        const struct file_name *f = &d->files[i];
        if (f->hidden_errors + f->hidden_other == 0)
            continue;
        fprintf(out, "%s: note: %zu more error%s", f->name, f->hidden_errors,
                f->hidden_errors == 1 ? "" : "s");
        if (f->hidden_other)
            fprintf(out, " and %zu more note%s or warning%s", f->hidden_other,
                    f->hidden_other == 1 ? "" : "s", f->hidden_other == 1 ? "" : "s");
        fprintf(out, " not shown (at most %d are shown per file)\n", MLSIM_DIAG_MAX_PER_FILE);
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
