/*
 * What the fuzz targets share: the input written to a temporary file (the readers take paths,
 * as the CLI gives them), and the diagnostics printed to /dev/null so that printing is fuzzed
 * too (excerpts, caps). Header-only: each target is one translation unit with replay.c.
 */
#ifndef MLSIM_FUZZ_INPUT_H
#define MLSIM_FUZZ_INPUT_H

#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "mlsim/diag.h"

/* Write DATA to a new file named from the template PATH (ending in XXXXXX), in place. Returns 0
 * on failure. */
static inline int fuzz_write_temp(char *path, const uint8_t *data, size_t size)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    return 1;
}

/* With MLSIM_FUZZ_VERBOSE set, to stderr instead: to see what an input does. */
static inline void fuzz_print_diags(const struct mlsim_diags *d)
{
    if (getenv("MLSIM_FUZZ_VERBOSE")) {
        mlsim_diags_print(d, stderr);
        return;
    }
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        mlsim_diags_print(d, null);
        fclose(null);
    }
}

#endif
