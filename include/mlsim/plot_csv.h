/*
 * A reader for the measured-point files the charts draw beside the simulation (validate/ *.csv,
 * written by the benchmarks): '#' comment lines and blank lines anywhere, one header line naming
 * the columns, then rows of the same number of comma-separated fields; a field may be quoted
 * ("a, b", with "" for a quote). No limit on columns or rows but the file size
 * (MLSIM_MEM_MAX_FILE_BYTES). Every fault is reported as `file:line:col: error: ...`.
 */
#ifndef MLSIM_PLOT_CSV_H
#define MLSIM_PLOT_CSV_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/status.h"

struct mlsim_plot_csv;

/* Read the file PATH into a new table *T (the caller frees it with mlsim_plot_csv_free).
 * Reports into D every fault of the file: it cannot be read (MLSIM_ERR_IO), is too large
 * (MLSIM_ERR_RANGE), has no header, an empty or repeated column name, a NUL byte, a quote left
 * open, text after a closing quote, or a row whose field count differs from the header's
 * (MLSIM_ERR_INPUT). On any error *T is NULL. MLSIM_ERR_NOMEM if memory runs out. */
enum mlsim_status mlsim_plot_csv_read(const char *path, struct mlsim_plot_csv **t,
                                      struct mlsim_diags *d);

/* Free T and everything it owns. NULL is a no-op. */
void mlsim_plot_csv_free(struct mlsim_plot_csv *t);

/* The number of columns (of the header) and of data rows. */
size_t mlsim_plot_csv_cols(const struct mlsim_plot_csv *t);
size_t mlsim_plot_csv_rows(const struct mlsim_plot_csv *t);

/* The index of the column NAME, or -1 after reporting "no column NAME" at the header into D
 * (D may be NULL: then nothing is reported). */
int mlsim_plot_csv_column(const struct mlsim_plot_csv *t, const char *name, struct mlsim_diags *d);

/* The text of field COL of data row ROW (unquoted), or NULL if either is out of range. */
const char *mlsim_plot_csv_text(const struct mlsim_plot_csv *t, size_t row, size_t col);

/* Field COL of data row ROW as a finite number into *X. Returns MLSIM_ERR_INPUT, reported at
 * the field's line and column, if it is empty, not wholly a number, or not finite (an overflow
 * too); MLSIM_ERR_RANGE (not reported) if ROW or COL is out of range. */
enum mlsim_status mlsim_plot_csv_number(const struct mlsim_plot_csv *t, size_t row, size_t col,
                                        double *x, struct mlsim_diags *d);

#endif
