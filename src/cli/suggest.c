/*
 * Did-you-mean for a mistyped long option, the same suggestion the YAML loader makes
 * (mlsim_diag_suggest), so that every subcommand says it the same way. (A mistyped device id is
 * hwdb's mlsim_hwdb_suggest, shared with the scenario loader: ids are exact everywhere, since a
 * prefix that is unique today stops being so when a device joins the database.)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "mlsim/diag.h"

#include "cli.h"

#define MAX_LONGOPTS 64

const char *mlsim_cli_bad_option(const char *arg, const struct option *longopts, char *buf,
                                 size_t len)
{
    if (len == 0)
        return arg;
    snprintf(buf, len, "%s", arg ? arg : "");
    if (!arg || strncmp(arg, "--", 2) != 0 || !longopts)
        return buf;
    char word[64];
    const char *eq = strchr(arg + 2, '=');
    size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    if (n == 0 || n >= sizeof word)
        return buf;
    memcpy(word, arg + 2, n);
    word[n] = '\0';
    const char *names[MAX_LONGOPTS];
    size_t k = 0;
    for (; k < MAX_LONGOPTS && longopts[k].name; k++) {
        if (strcmp(longopts[k].name, word) == 0)
            return buf; /* a known option whose argument is missing: nothing to suggest */
        names[k] = longopts[k].name;
    }
    const char *hint = mlsim_diag_suggest(word, names, k);
    if (hint)
        snprintf(buf, len, "%s (did you mean '--%s'?)", arg, hint);
    return buf;
}
