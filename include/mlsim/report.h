/*
 * Reports: results written for people (a table, or a full report for a single run) or for
 * programs (CSV, JSON: the columns of columns.h, so both carry the same fields in the same
 * order). Each format is an entry of one const table. Every report prints the
 * assumptions behind its numbers and where each came from (the scenario, a default with its
 * source, or the hardware database). Output is deterministic: same inputs, same bytes.
 */
#ifndef MLSIM_REPORT_H
#define MLSIM_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "mlsim/analytic.h"
#include "mlsim/scenario.h"

struct mlsim_report_format {
    const char *name;
    void (*write)(FILE *out, const struct mlsim_scenario *sc, const struct mlsim_result *res,
                  size_t n);
};

/* The format named NAME ("table", "csv", "json"), or NULL. */
const struct mlsim_report_format *mlsim_report_format_find(const char *name);

/* Write N results of SC to OUT in FORMAT. */
void mlsim_report_write(FILE *out, const struct mlsim_report_format *format,
                        const struct mlsim_scenario *sc, const struct mlsim_result *res, size_t n);

#define MLSIM_REPORT_MAX_ASSUMPTIONS 24
#define MLSIM_REPORT_ASSUMPTION_LEN  MLSIM_ASSUMPTION_LEN
/* A table prints each distinct assumption of its runs once, up to this many (then says how many
 * it left out). */
#define MLSIM_REPORT_MAX_SHARED 256

/* Fill LINES with the assumptions behind RES, one sentence each, as its mode's code wrote them
 * (run.h's mode table); returns how many. With WITH_LINES, a field given in a file is cited with
 * its line number. */
size_t mlsim_report_assumptions(const struct mlsim_result *res, int with_lines,
                                char lines[][MLSIM_REPORT_ASSUMPTION_LEN], size_t max);

#endif
