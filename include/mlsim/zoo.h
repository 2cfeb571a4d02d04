/*
 * The model zoo: published models by name, so a scenario can say `model: llama-2-70b` (or
 * `model: {from: llama-2-70b, seq_len: 2048}`) instead of copying a shape. The zoo is a folder of
 * YAML files (models/, installed beside hwdb/), each a `models:` mapping of ids to entries; an
 * entry holds the run fields of its model (`model:` and `training:`, with the run schema's names,
 * units and checks) and a `source:` for them. A run takes every field of its entry that it does
 * not give itself.
 */
#ifndef MLSIM_ZOO_H
#define MLSIM_ZOO_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/scenario.h"
#include "mlsim/status.h"

/* One model of the zoo. FIELDS holds the entry's fields as a run would (its provenance says
 * which were given, and where in the zoo file). */
struct mlsim_zoo_model {
    char id[64];
    char source[512];
    struct mlsim_loc loc; /* the entry's id in its file */
    struct mlsim_run fields;
};

struct mlsim_zoo;

/* The most models a zoo may hold (far above the shipped ~50; a located error past it). */
#define MLSIM_ZOO_MAX_MODELS 4096

/* Read every *.yaml file of folder DIR (in name order) into a new zoo at *OUT. Every fault in a
 * file (an unknown key, a bad value, a missing source or shape, an id given twice) is reported
 * into D with its place. Returns MLSIM_OK; MLSIM_ERR_INPUT if anything was reported (*OUT still
 * holds the good entries); MLSIM_ERR_IO if DIR cannot be read (reported; *OUT is NULL);
 * MLSIM_ERR_NOMEM (unreported; *OUT is NULL). Free with mlsim_zoo_free. */
enum mlsim_status mlsim_zoo_load(const char *dir, struct mlsim_diags *d, struct mlsim_zoo **out);

/* Free Z. NULL is a no-op. */
void mlsim_zoo_free(struct mlsim_zoo *z);

/* The number of models of Z, and the I-th in id order (NULL past the end). */
size_t mlsim_zoo_count(const struct mlsim_zoo *z);
const struct mlsim_zoo_model *mlsim_zoo_at(const struct mlsim_zoo *z, size_t i);

/* The model named ID, or NULL. */
const struct mlsim_zoo_model *mlsim_zoo_find(const struct mlsim_zoo *z, const char *id);

/* The id in Z nearest to ID (for a did-you-mean), or NULL. */
const char *mlsim_zoo_suggest(const struct mlsim_zoo *z, const char *id);

/* Give run R every field of M that R has not given (their places point into the zoo file, so
 * the report says where each came from). */
void mlsim_zoo_apply(const struct mlsim_zoo_model *m, struct mlsim_run *r);

#endif
