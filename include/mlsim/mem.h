/*
 * Resource discipline in one place: growing an array and reading a whole file. Every module grows
 * its arrays with mlsim_mem_grow and reads its input files with mlsim_mem_read_file, so overflow
 * of a size, a file that never ends and an allocation that fails are each handled once.
 */
#ifndef MLSIM_MEM_H
#define MLSIM_MEM_H

#include <stddef.h>

#include "mlsim/status.h"

/* The largest input file mlsim reads (scenarios, device files, calibration CSVs, layer timings,
 * chart data): 64 MiB, far above any real one (the largest shipped file is under 100 KiB). */
#define MLSIM_MEM_MAX_FILE_BYTES ((size_t)64 << 20)

/* Make the array *ARR of *CAP elements of SIZE bytes hold at least NEED elements, doubling its
 * capacity (at least 8). On MLSIM_ERR_NOMEM (allocation failed, or NEED x SIZE overflows) *ARR and
 * *CAP are unchanged and still owned by the caller. */
enum mlsim_status mlsim_mem_grow(void **arr, size_t *cap, size_t need, size_t size);

/* Read the regular file PATH whole into a malloc'd, NUL-terminated *TEXT of *LEN bytes (the
 * caller frees it). MLSIM_ERR_IO if it cannot be opened or read, or is not a regular file (a
 * FIFO, a device such as /dev/zero, a folder); MLSIM_ERR_RANGE if it is larger than MAX bytes;
 * MLSIM_ERR_NOMEM if memory runs out. On any error *TEXT is NULL. */
enum mlsim_status mlsim_mem_read_file(const char *path, size_t max, char **text, size_t *len);

#endif
