/*
 * Status codes of the mlsim library. Every library function that can fail returns one of these;
 * the library never prints and never exits. One X-macro table yields the enum, the names and the
 * messages, so the three cannot drift apart.
 */
#ifndef MLSIM_STATUS_H
#define MLSIM_STATUS_H

#define MLSIM_STATUS_TABLE(X)                                                                      \
    X(OK, "ok")                                                                                    \
    X(ERR_NOMEM, "out of memory")                                                                  \
    X(ERR_IO, "cannot read file")                                                                  \
    X(ERR_INPUT, "invalid input")                                                                  \
    X(ERR_NOT_FOUND, "not found")                                                                  \
    X(ERR_RANGE, "value out of range")

enum mlsim_status {
#define MLSIM_STATUS_ENUM(name, msg) MLSIM_##name,
    MLSIM_STATUS_TABLE(MLSIM_STATUS_ENUM)
#undef MLSIM_STATUS_ENUM
};

/* Return a static, human-readable message for STATUS ("unknown status" if out of range). */
const char *mlsim_status_message(enum mlsim_status status);

/* Return the enum name without its prefix, e.g. "ERR_INPUT". */
const char *mlsim_status_name(enum mlsim_status status);

#endif
