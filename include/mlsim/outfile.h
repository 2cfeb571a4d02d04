/*
 * Output files written safely: into a temporary file made with mkstemp in the target's folder
 * (O_EXCL, an unpredictable name, no symlink followed), renamed over the target only when the
 * whole output was written. A target that is not a regular file (a device, a FIFO, a folder, a
 * symbolic link) is refused, and so is one that is an input of the same command (same device and
 * inode), so `--trace scenario.yaml` cannot overwrite the scenario it reads. "-" and /dev/stdout
 * mean standard output, written directly.
 */
#ifndef MLSIM_OUTFILE_H
#define MLSIM_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

#include "mlsim/status.h"

struct mlsim_outfile;

/* Nonzero if PATH names standard output ("-" or "/dev/stdout"). */
int mlsim_outfile_is_stdout(const char *path);

/* Open PATH for writing; *OF receives the handle (NULL on error). INPUTS are the N_INPUTS paths
 * the command reads (NULL entries are skipped), none of which PATH may be. Errors, with *WHY set
 * to a static phrase to print after the path: MLSIM_ERR_INPUT (PATH is not a regular file, or is
 * one of INPUTS), MLSIM_ERR_IO (the temporary file cannot be made), MLSIM_ERR_NOMEM. Nothing is
 * created on error. */
enum mlsim_status mlsim_outfile_open(const char *path, const char *const *inputs, size_t n_inputs,
                                     struct mlsim_outfile **of, const char **why);

/* The stream to write to; owned by OF. */
FILE *mlsim_outfile_stream(const struct mlsim_outfile *of);

/* Finish OF and free it: flush, close and rename the temporary file over the target (for standard
 * output: flush only). On error (a write failed, the target became a non-regular file, the
 * rename failed) the temporary file is removed, the target is untouched, *WHY is set and
 * MLSIM_ERR_IO returned. */
enum mlsim_status mlsim_outfile_commit(struct mlsim_outfile *of, const char **why);

/* Abandon OF: remove its temporary file, leave the target as it was, free OF. NULL is a no-op. */
void mlsim_outfile_discard(struct mlsim_outfile *of);

#endif
