/*
 * A YAML document as a small tree of scalars, mappings and sequences, each node carrying its
 * place in the file. Built with libyaml's event parser; duplicate keys, syntax errors and input
 * past a limit are reported as diagnostics with their line and column. The loaders of hardware
 * and scenarios walk this tree; nothing else in mlsim touches libyaml.
 *
 * What is read: one document per file (a second '---' is an error); plain, quoted and block
 * scalars as text; anchors and aliases (an alias is a copy of its anchor's node, placed at the
 * alias); only the core schema's tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq): any
 * other tag (!!python/object, !foo) is an error, as is a NUL byte or invalid UTF-8 in a value.
 */
#ifndef MLSIM_YDOC_H
#define MLSIM_YDOC_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/status.h"

/* Limits on what a file may hold, in the style of SQLite's SQLITE_MAX_*: each is far above any
 * real input (the shipped files nest 6 deep, hold under 60 keys in a mapping, 700-byte values
 * and no aliases) and each, when passed, is a located error. A build may lower or raise them
 * with -D. The file size limit is MLSIM_MEM_MAX_FILE_BYTES (mem.h). */
#ifndef MLSIM_YDOC_MAX_DEPTH
/* Mappings and sequences nested in one another; the tree is built by recursion, so this bounds
 * the stack (about 200 bytes a level). */
#define MLSIM_YDOC_MAX_DEPTH 64
#endif
#ifndef MLSIM_YDOC_MAX_KEYS
/* Keys in one mapping. */
#define MLSIM_YDOC_MAX_KEYS 4096
#endif
#ifndef MLSIM_YDOC_MAX_SCALAR
/* Bytes in one value (scalar), or in one `--set` value. */
#define MLSIM_YDOC_MAX_SCALAR 65536
#endif
#ifndef MLSIM_YDOC_MAX_ALIAS_NODES
/* Nodes made by expanding aliases in one document, all aliases together: a "billion laughs"
 * file (each anchor a list of ten aliases of the one before) stops here. */
#define MLSIM_YDOC_MAX_ALIAS_NODES 10000
#endif
#ifndef MLSIM_YDOC_MAX_ANCHORS
/* Anchors ('&name') in one document. */
#define MLSIM_YDOC_MAX_ANCHORS 256
#endif

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

/* Read and parse PATH (a regular file of at most MLSIM_MEM_MAX_FILE_BYTES). Syntax errors and
 * duplicate keys are reported into D with their place; the source text is also registered with
 * D. On success *OUT owns the document (free with mlsim_ydoc_free) even if D got errors; returns
 * MLSIM_ERR_IO if the file cannot be read, is not a regular file (a FIFO, /dev/zero) or is too
 * large, MLSIM_ERR_INPUT if it is not YAML or passes a limit above
 * (then *OUT is NULL), MLSIM_ERR_NOMEM if malloc fails. Every error is reported into D. */
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
