/*
 * Table-driven loading of YAML mappings into plain structs. A schema is a const table of fields,
 * each a dotted path ("economics.pue"), a kind, a unit dimension and an offset into the struct.
 * One table serves three jobs: loading a file (unknown keys get a did-you-mean from the keys that
 * are valid at that level), `--set path=value` overrides, and knowing which fields a user gave
 * (their place is kept in the struct's provenance, so later errors can point at them).
 */
#ifndef MLSIM_SCHEMA_H
#define MLSIM_SCHEMA_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/units.h"
#include "mlsim/ydoc.h"

#define MLSIM_SCHEMA_MAX_FIELDS 192

enum mlsim_field_kind {
    MLSIM_FIELD_SECTION,  /* a mapping whose keys are further fields */
    MLSIM_FIELD_QUANTITY, /* a double, parsed with a unit of DIM */
    MLSIM_FIELD_INT,      /* an int */
    MLSIM_FIELD_STRING,   /* a char array of SIZE bytes */
    MLSIM_FIELD_ENUM,     /* an int holding an index into NAMES */
    MLSIM_FIELD_LIST,     /* a sequence (or, with MLSIM_FIELD_TAKES_MAP, a mapping) handed to
                             LOAD_LIST */
};

/* Range flags: a value must be > LO (or >= LO with MLSIM_FIELD_LO_INCLUSIVE) and <= HI. */
#define MLSIM_FIELD_LO_INCLUSIVE 1u
/* A LIST field whose LOAD_LIST takes a mapping instead of a sequence (a scenario's sweep:). */
#define MLSIM_FIELD_TAKES_MAP 2u
/* A SECTION a single value may stand for: the value is loaded as the section's `from` field
 * (`model: llama-2-70b` is `model: {from: llama-2-70b}`). */
#define MLSIM_FIELD_NAMED 4u

/* Where each field given by the user came from; LOC[i].file == NULL means "not given".
 * SEEN[i] is set when the field was present, even if its value was rejected, so that a bad value
 * is not reported a second time as a missing field. */
struct mlsim_provenance {
    struct mlsim_loc loc[MLSIM_SCHEMA_MAX_FIELDS];
    unsigned char seen[MLSIM_SCHEMA_MAX_FIELDS];
};

struct mlsim_field {
    const char *path;
    enum mlsim_field_kind kind;
    enum mlsim_dim dim;
    size_t offset;
    size_t size;
    double lo, hi;
    unsigned flags;
    const char *const *names; /* ENUM: NULL-terminated */
    enum mlsim_status (*load_list)(const struct mlsim_ynode *seq, void *obj, struct mlsim_diags *d);
};

struct mlsim_schema {
    const char *what; /* "scenario", "device": for messages */
    const struct mlsim_field *fields;
    size_t n_fields;
    size_t prov_offset; /* offset of the struct mlsim_provenance in the object */
    /* A quantity field given a mapping instead of a value (a scenario's uncertain input,
     * `mfu: {normal: [40%, 3%]}`): read by this hook, which sets the field and says whether it
     * could; NULL: a mapping is a type error there, as everywhere else. */
    int (*quantity_map)(const struct mlsim_field *f, const struct mlsim_ynode *map, void *obj,
                        struct mlsim_diags *d);
};

/* Read NODE (a scalar) as field F's quantity into *OUT: its unit and its range checked, faults
 * reported into D at NODE. Returns 1 on success. */
int mlsim_schema_quantity(const struct mlsim_field *f, const struct mlsim_ynode *node, double *out,
                          struct mlsim_diags *d);

/* Whether V lies in field F's range (what mlsim_schema_quantity checks). */
int mlsim_schema_in_range(const struct mlsim_field *f, double v);

/* Load the fields of mapping MAP into OBJ. Every fault (unknown key, wrong type, bad unit, out
 * of range) is reported into D; loading goes on past faults. Returns MLSIM_ERR_INPUT if anything
 * was reported, MLSIM_OK otherwise. */
enum mlsim_status mlsim_schema_load(const struct mlsim_schema *s, const struct mlsim_ynode *map,
                                    void *obj, struct mlsim_diags *d);

/* Set the field at dotted PATH of OBJ from scalar node VALUE (as `--set path=value` does).
 * Reports an unknown path (with a did-you-mean) or a bad value at VALUE's place. */
enum mlsim_status mlsim_schema_set(const struct mlsim_schema *s, const char *path,
                                   const struct mlsim_ynode *value, void *obj,
                                   struct mlsim_diags *d);

/* The value of field F of OBJ as a scenario would write it ("4096", "2T", "bf16", "true"), in
 * BUF of LEN bytes; "" for a section or a list. Returns BUF. */
char *mlsim_schema_value_text(const struct mlsim_field *f, const void *obj, char *buf, size_t len);

/* The field at PATH, or NULL. */
const struct mlsim_field *mlsim_schema_find(const struct mlsim_schema *s, const char *path);

/* Whether field PATH of OBJ was present in the input, valid or not. */
int mlsim_schema_seen(const struct mlsim_schema *s, const void *obj, const char *path);

/* Where field PATH of OBJ was given, or NULL if it was not (it holds its default). */
const struct mlsim_loc *mlsim_schema_given(const struct mlsim_schema *s, const void *obj,
                                           const char *path);

#endif
