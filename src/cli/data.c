/*
 * Where the command line finds its data: the shipped hardware database (mlsim_cli_locate_hwdb)
 * with a user's folders layered over it, so a user's own device is one file in a folder of their
 * own, not a copy of the whole database.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlsim/hwdb.h"
#include "mlsim/textio.h"

#include "cli.h"

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Find the hardware database: --hwdb, $MLSIM_HWDB, beside the installed binary, the source tree. */
const char *mlsim_cli_locate_hwdb(const char *given, char *buf, size_t len)
{
    if (given)
        return given;
    const char *env = getenv("MLSIM_HWDB");
    if (env && env[0])
        return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, len, "%s/../share/mlsim/hwdb", exe);
            if (is_dir(buf))
                return buf;
        }
    }
    return MLSIM_SOURCE_HWDB;
}

/* Layer DIR (LEN bytes, from WHAT) over DB; says why not on stderr. */
static int add_layer(struct mlsim_hwdb *db, const char *dir, size_t len, const char *what)
{
    char path[PATH_MAX];
    struct stat st;
    if (len == 0)
        return 1; /* an empty entry of a path list ("a::b") names nothing */
    if (len >= sizeof path) {
        fprintf(stderr, "mlsim: error: %s: a folder name is too long\n", what);
        return 0;
    }
    memcpy(path, dir, len);
    path[len] = '\0';
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "mlsim: error: %s: '", what);
        mlsim_term_text(stderr, path);
        fprintf(stderr, "' is not a folder (it should hold gpu/, tpu/, ... like hwdb/)\n");
        return 0;
    }
    enum mlsim_status s = mlsim_hwdb_add_dir(db, path);
    if (s == MLSIM_ERR_RANGE)
        fprintf(stderr, "mlsim: error: %s: at most %d folders are layered over the database\n",
                what, MLSIM_CLI_MAX_LAYERS);
    else if (s != MLSIM_OK)
        fputs("mlsim: error: out of memory\n", stderr);
    return s == MLSIM_OK;
}

int mlsim_cli_open_hwdb(const char *given, const char *const *adds, size_t n,
                        struct mlsim_hwdb **db)
{
    char buf[PATH_MAX + 32];
    *db = mlsim_hwdb_alloc(mlsim_cli_locate_hwdb(given, buf, sizeof buf));
    if (!*db) {
        fputs("mlsim: error: out of memory\n", stderr);
        return MLSIM_EXIT_INPUT;
    }
    int ok = 1;
    const char *env = getenv("MLSIM_HWDB_PATH");
    while (env && *env && ok) {
        const char *colon = strchr(env, ':');
        size_t len = colon ? (size_t)(colon - env) : strlen(env);
        ok = add_layer(*db, env, len, "MLSIM_HWDB_PATH");
        env = colon ? colon + 1 : NULL;
    }
    for (size_t i = 0; i < n && ok; i++)
        ok = add_layer(*db, adds[i], strlen(adds[i]), "--hwdb-add");
    if (ok)
        return MLSIM_EXIT_OK;
    mlsim_hwdb_free(*db);
    *db = NULL;
    return MLSIM_EXIT_INPUT;
}
