/*
 * Writing text and numbers into CSV, JSON and the terminal: one place that knows the quoting
 * rules, shared by every writer (reports, traces, hardware tables, chart data), so that every
 * output parses whatever the names in the input files hold.
 *
 * Text is taken as UTF-8. Each invalid sequence (a stray continuation byte, a truncated or
 * overlong sequence, a surrogate, a code point above U+10FFFF) is written as one U+FFFD
 * REPLACEMENT CHARACTER per maximal invalid subpart (Unicode 15, section 3.9, "U+FFFD
 * Substitution of Maximal Subparts"), so CSV and JSON output is always valid UTF-8.
 */
#ifndef MLSIM_TEXTIO_H
#define MLSIM_TEXTIO_H

#include <stdio.h>

/* Write S as a CSV field (RFC 4180): as is, or in double quotes with quotes doubled when it
 * holds a comma, a quote, a tab or a line break. A control character other than tab, CR and LF
 * (C0, DEL, C1) has no CSV spelling and is written as U+FFFD. A field that begins with = + - @,
 * a tab or a CR would be run as a formula by a spreadsheet (OWASP, "CSV Injection"): it is
 * written quoted with a single quote in front ('=1+2 reads as text). */
void mlsim_csv_text(FILE *out, const char *s);

/* Write X as a CSV number: %.15g (as exact as a double's 15 significant digits), or an empty
 * cell for an infinity or a NaN, which no CSV reader takes as a number. Never neutralised as a
 * formula: a negative number is a number. */
void mlsim_csv_number(FILE *out, double x);

/* Write S as a JSON string (RFC 8259): in double quotes; quotes, backslashes and every control
 * character (C0, DEL, C1) escaped as \u00XX. */
void mlsim_json_string(FILE *out, const char *s);

/* Write X as a JSON number: %.15g, or null for an infinity or a NaN (JSON has neither). */
void mlsim_json_number(FILE *out, double x);

/* Write S for a terminal: every control character (C0, DEL, C1) and every escape sequence
 * (ESC [ ... final byte, ESC ] ... BEL or ESC \, ESC and one byte) becomes a single '?', and
 * so does invalid UTF-8, so a name read from a file cannot move the cursor, recolour or retitle
 * the terminal. For names echoed in messages. */
void mlsim_term_text(FILE *out, const char *s);

#endif
