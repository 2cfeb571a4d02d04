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

struct mlsim_diags;

/* Return a new, empty diagnostics list, or NULL if malloc fails. */
struct mlsim_diags *mlsim_diags_alloc(void);

/* Free D and everything it owns. NULL is a no-op. */
void mlsim_diags_free(struct mlsim_diags *d);

/* Keep a copy of TEXT (LEN bytes) as the source of FILE, so printed errors can show its lines. */
enum mlsim_status mlsim_diags_add_source(struct mlsim_diags *d, const char *file, const char *text,
                                         size_t len);

/* Record a diagnostic at LOC. The message is formatted like printf. Out of memory is remembered
 * and reported as an error of its own when printing. */
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

/* The place of diagnostic I. */
struct mlsim_loc mlsim_diags_loc(const struct mlsim_diags *d, size_t i);

/* Print every diagnostic to OUT in the order recorded, with source lines and carets. */
void mlsim_diags_print(const struct mlsim_diags *d, FILE *out);

/* Edit distance between A and B, for did-you-mean suggestions (capped at 64 characters each). */
size_t mlsim_diag_distance(const char *a, const char *b);

/* Return the candidate in CANDS (N entries) closest to WORD, or the only one that starts with WORD,
 * or NULL if none is close enough to be a likely meaning. */
const char *mlsim_diag_suggest(const char *word, const char *const *cands, size_t n);

#endif
