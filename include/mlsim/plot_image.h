/*
 * Images rendered by gnuplot, checked before they take their name. gnuplot writes an image in
 * place and exits 0 even when the disk fills under it, so the caller renders into a temporary
 * file beside the target and hands it here: an image that is empty or cut short (a PNG without
 * its IEND chunk, an SVG without its closing </svg>, a PDF without its %%EOF trailer) is
 * removed, never renamed into place. A PDF loses its creation date (cairo writes the clock into
 * it), so the same chart gives the same bytes.
 */
#ifndef MLSIM_PLOT_IMAGE_H
#define MLSIM_PLOT_IMAGE_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/status.h"

/* Is the image TEXT of LEN bytes complete for FORMAT (MLSIM_PLOT_PNG, _SVG, _PDF)? Returns NULL
 * if it is, or why it is not (a static string). */
const char *mlsim_plot_image_fault(int format, const char *text, size_t len);

/* Blank, in place and with spaces, the /CreationDate and /ModDate entries of the PDF TEXT of LEN
 * bytes; the length and so every offset of the file is kept. Returns the number blanked. */
size_t mlsim_plot_image_pdf_undate(char *text, size_t len);

/* Check the image TMP in FORMAT and undate it if it is a PDF, leaving it where it is; a fault is
 * reported into D at TARGET (the name it is meant to take): MLSIM_ERR_INPUT (incomplete),
 * MLSIM_ERR_IO (TMP cannot be read or rewritten), MLSIM_ERR_NOMEM. */
enum mlsim_status mlsim_plot_image_check(int format, const char *tmp, const char *target,
                                         struct mlsim_diags *d);

/* Check the image TMP in FORMAT (undating a PDF), then rename it to TARGET if TARGET is absent or
 * a regular file. On any fault TMP is removed and the fault reported into D at TARGET:
 * MLSIM_ERR_INPUT (the image is incomplete, or TARGET is a folder, a link or another kind of
 * file), MLSIM_ERR_IO (TMP cannot be read or rewritten, or the rename fails). */
enum mlsim_status mlsim_plot_image_install(int format, const char *tmp, const char *target,
                                           struct mlsim_diags *d);

#endif
