/*
 * Writing text fields into CSV and JSON output: one place that knows the quoting rules, shared
 * by every writer (reports, traces, hardware tables, chart data).
 */
#ifndef MLSIM_TEXTIO_H
#define MLSIM_TEXTIO_H

#include <stdio.h>

/* Write S as a CSV field (RFC 4180): as is, or in double quotes with quotes doubled when it holds
 * a comma, a quote or a line break. */
void mlsim_csv_text(FILE *out, const char *s);

/* Write S as a JSON string: in double quotes, with quotes, backslashes and control characters
 * escaped. */
void mlsim_json_string(FILE *out, const char *s);

#endif
