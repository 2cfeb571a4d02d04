/*
 * The reference of a scenario's fields: for every field of the run schema (scenario.h) its
 * default and its meaning, said once here; the kind and unit come from the schema itself. `mlsim
 * fields` prints it and the README's field list is made from it, so neither can drift from the
 * table the loader reads. A unit test holds the two tables to the same fields in the same order.
 */
#ifndef MLSIM_FIELDS_H
#define MLSIM_FIELDS_H

#include <stddef.h>
#include <stdio.h>

#include "mlsim/schema.h"

struct mlsim_field_doc {
    const char *path;
    const char *default_text; /* what a run that does not give it gets ("required", "-", ...) */
    const char *meaning;
};

/* The docs of the run schema's fields, in its order, and how many. */
extern const struct mlsim_field_doc mlsim_fields_docs[];
extern const size_t mlsim_fields_n_docs;

/* The doc of field PATH, or NULL. */
const struct mlsim_field_doc *mlsim_fields_doc(const char *path);

/* What field F takes, for people: "a size in bytes", "whole number", "one of: a, b", ... in
 * BUF (LEN bytes). Returns BUF. */
char *mlsim_fields_takes(const struct mlsim_field *f, char *buf, size_t len);

/* Write the reference to OUT: one line per field (path, what it takes, default, meaning) when
 * MARKDOWN is 0, a Markdown table when 1. */
void mlsim_fields_write(FILE *out, int markdown);

#endif
