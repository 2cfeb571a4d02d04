/*
 * Diagnostics on user input. Loaders report every fault they find into one mlsim_diags, each with
 * its place (file, line, column); the caller decides when and where to print them. Printing shows
 * `file:line:col: error: message`, then the offending source line and a caret under the fault.
 * The diags object owns copies of the source texts it was given, so it can show lines later.
 */
#ifndef MLSIM_DIAG_H
#define MLSIM_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "mlsim/status.h"

/* A place in an input. FILE is borrowed and must outlive the loc; LINE and COL count from 1;
 * LINE 0 means "the whole file" (no line to show). */
struct mlsim_loc {
    const char *file;
    int line;
    int col;
};

enum mlsim_severity {
    MLSIM_SEVERITY_ERROR,
    MLSIM_SEVERITY_NOTE,
    MLSIM_SEVERITY_WARNING, /* the input is read, but part of it has no effect */
};

/* Limits on printing (the SQLITE_MAX_* style; see also ydoc.h). A file with thousands of faults
 * is one mistake made many times: after MLSIM_DIAG_MAX_PER_FILE diagnostics of a file the rest
 * are counted in one closing line, "FILE: note: N more errors not shown". A source line is shown
 * at most MLSIM_DIAG_MAX_EXCERPT bytes wide around the caret, and a message at most
 * MLSIM_DIAG_MAX_MESSAGE bytes, each cut with "...". */
#ifndef MLSIM_DIAG_MAX_PER_FILE
#define MLSIM_DIAG_MAX_PER_FILE 50
#endif
#ifndef MLSIM_DIAG_MAX_EXCERPT
#define MLSIM_DIAG_MAX_EXCERPT 120
#endif
#define MLSIM_DIAG_MAX_MESSAGE 1024

struct mlsim_diags;

/* Return a new, empty diagnostics list, or NULL if malloc fails. */
struct mlsim_diags *mlsim_diags_alloc(void);

/* Free D and everything it owns. NULL is a no-op. */
void mlsim_diags_free(struct mlsim_diags *d);

/* Keep a copy of TEXT (LEN bytes) as the source of FILE, so printed errors can show its lines. */
enum mlsim_status mlsim_diags_add_source(struct mlsim_diags *d, const char *file, const char *text,
                                         size_t len);

/* Read the regular file PATH whole (mlsim_mem_read_file, at most MLSIM_MEM_MAX_FILE_BYTES) into
 * a malloc'd, NUL-terminated *TEXT of *LEN bytes, owned by the caller. A fault is reported into D
 * at PATH ("cannot open: ...", "not a regular file", "larger than 64 MiB") and returned as
 * MLSIM_ERR_IO or MLSIM_ERR_RANGE; MLSIM_ERR_NOMEM is returned unreported. *TEXT is NULL on
 * error. The text is not registered as a source: the caller does that. */
enum mlsim_status mlsim_diags_read_file(struct mlsim_diags *d, const char *path, char **text,
                                        size_t *len);

/* Record a diagnostic at LOC. The message is formatted like printf (cut at
 * MLSIM_DIAG_MAX_MESSAGE bytes). The same diagnostic recorded again (a device file every run of
 * a table loads) is kept once; finding it is a hash lookup, so a file of a million faults costs
 * linear time. Out of memory is remembered and reported as an error of its own when printing. */
void mlsim_diags_report(struct mlsim_diags *d, enum mlsim_severity sev, struct mlsim_loc loc,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Number of errors recorded so far (notes do not count). */
size_t mlsim_diags_errors(const struct mlsim_diags *d);

/* Number of diagnostics of any kind. */
size_t mlsim_diags_count(const struct mlsim_diags *d);

/* The message of diagnostic I (0 <= I < count), for tests; NULL if I is out of range. */
const char *mlsim_diags_message(const struct mlsim_diags *d, size_t i);

/* The severity of diagnostic I (a note when I is out of range). */
enum mlsim_severity mlsim_diags_severity(const struct mlsim_diags *d, size_t i);

/* The place of diagnostic I. */
struct mlsim_loc mlsim_diags_loc(const struct mlsim_diags *d, size_t i);

/* Print the diagnostics to OUT in the order recorded, with source lines and carets: at most
 * MLSIM_DIAG_MAX_PER_FILE of each file, then a line that counts the rest. Linear in the number of
 * diagnostics; each source line is found from a sparse index of the source, not from its start. */
void mlsim_diags_print(const struct mlsim_diags *d, FILE *out);

/* Whether the LEN bytes at S are well-formed UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF). If not, *BAD (when not NULL) is the offset of the first byte at fault. The YAML
 * reader checks values with it, the schema --set text, and printing the excerpts it shows. */
int mlsim_diag_utf8_valid(const char *s, size_t len, size_t *bad);

/* Edit distance between A and B, for did-you-mean suggestions (capped at 64 characters each). */
size_t mlsim_diag_distance(const char *a, const char *b);

/* Return the candidate in CANDS (N entries) closest to WORD, or the only one that starts with WORD,
 * or NULL if none is close enough to be a likely meaning. */
const char *mlsim_diag_suggest(const char *word, const char *const *cands, size_t n);

#endif
