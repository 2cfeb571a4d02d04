/*
 * A YAML document as a small tree of scalars, mappings and sequences, each node carrying its
 * place in the file. Built with libyaml's event parser; duplicate keys, aliases and syntax errors
 * are reported as diagnostics with their line and column. The loaders of hardware and scenarios
 * walk this tree; nothing else in mlsim touches libyaml.
 */
#ifndef MLSIM_YDOC_H
#define MLSIM_YDOC_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/status.h"

enum mlsim_ynode_type {
    MLSIM_YNODE_SCALAR,
    MLSIM_YNODE_MAP,
    MLSIM_YNODE_SEQ,
};

/* A node. For a scalar, VALUE holds its text and QUOTED says whether it was written in quotes.
 * For a mapping, KEYS[i] (scalars) maps to ITEMS[i]; for a sequence, ITEMS holds the entries.
 * Nodes are owned by their document. */
struct mlsim_ynode {
    enum mlsim_ynode_type type;
    struct mlsim_loc loc;
    char *value;
    int quoted;
    struct mlsim_ynode **keys;
    struct mlsim_ynode **items;
    size_t n;
};

/* A parsed file: its name, its text, and the root node (NULL for an empty file). */
struct mlsim_ydoc {
    char *file;
    char *text;
    size_t len;
    struct mlsim_ynode *root;
};

/* Read and parse PATH. Syntax errors, duplicate keys and aliases are reported into D with their
 * place; the source text is also registered with D. On success *OUT owns the document (free with
 * mlsim_ydoc_free) even if D got errors; returns MLSIM_ERR_IO if the file cannot be read,
 * MLSIM_ERR_INPUT if it is not YAML (then *OUT is NULL), MLSIM_ERR_NOMEM if malloc fails. */
enum mlsim_status mlsim_ydoc_load_file(const char *path, struct mlsim_diags *d,
                                       struct mlsim_ydoc **out);

/* The same for TEXT (LEN bytes) named NAME. */
enum mlsim_status mlsim_ydoc_load_string(const char *name, const char *text, size_t len,
                                         struct mlsim_diags *d, struct mlsim_ydoc **out);

/* Free DOC and all its nodes. NULL is a no-op. */
void mlsim_ydoc_free(struct mlsim_ydoc *doc);

/* In mapping MAP, the value of KEY, or NULL if absent or MAP is not a mapping. */
const struct mlsim_ynode *mlsim_ynode_get(const struct mlsim_ynode *map, const char *key);

/* A word naming TYPE for messages ("a mapping", "a list", "a value"). */
const char *mlsim_ynode_type_name(enum mlsim_ynode_type type);

#endif
