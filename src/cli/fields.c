/*
 * `mlsim fields`: every scenario field with what it takes, its default and its meaning, from
 * the run schema and its docs (fields.h); --markdown writes the table README.md holds.
 */
#include <stdio.h>
#include <string.h>

#include "mlsim/fields.h"

#include "cli.h"

int mlsim_cli_fields(int argc, char **argv)
{
    int markdown = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0) {
            markdown = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs("usage: mlsim fields [--markdown]\n"
                  "    Every scenario field: its path, what it takes (a unit's dimension, a\n"
                  "    whole number, one of some words), its default and its meaning.\n"
                  "    --markdown writes the table of README.md's field reference.\n",
                  stdout);
            return MLSIM_EXIT_OK;
        } else {
            fprintf(stderr,
                    "mlsim fields: unknown argument: %s\nusage: mlsim fields "
                    "[--markdown]\n",
                    argv[i]);
            return MLSIM_EXIT_USAGE;
        }
    }
    mlsim_fields_write(stdout, markdown);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("mlsim: error: cannot write to standard output\n", stderr);
        return MLSIM_EXIT_INPUT;
    }
    return MLSIM_EXIT_OK;
}
