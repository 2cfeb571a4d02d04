/*
 * `mlsim run`: a scenario in one line. Its options (--model, --device, --count, --tokens, ...)
 * are written into a scenario in memory, one field a line, which then goes the way a file goes
 * (mlsim_cli_scenario): the same checks, defaults and located errors, the line shown being the
 * field the option made. Every other option is mlsim's own (--format, --set, --hwdb, ...).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/textio.h"

#include "cli.h"

static const char run_usage_text[] =
    "NAME\n"
    "    mlsim run - estimate a run given on the command line, no scenario file needed\n"
    "\n"
    "SYNOPSIS\n"
    "    mlsim run --model ID --device ID|--system ID --count N --tokens T [--mode M]\n"
    "              [--mfu X] [--precision P] [mlsim's options: --format, --set, --hwdb, ...]\n"
    "    mlsim run SCENARIO.yaml [OPTIONS]      (the same as mlsim SCENARIO.yaml)\n"
    "\n"
    "DESCRIPTION\n"
    "    Each option is a scenario field: --model model.from (a zoo model, `mlsim models`),\n"
    "    --tokens model.tokens, --device hardware.device, --system hardware.system, --count\n"
    "    hardware.count, --mode mode, --mfu mfu, --precision precision. What is not given takes\n"
    "    the scenario's defaults (`mlsim fields`): the zoo model's shape and batch, the device's\n"
    "    16-bit precision, simulate mode unless an MFU is given, the device's system when the\n"
    "    run spans nodes. Errors point at the field an option made, on the line shown.\n"
    "\n"
    "EXAMPLES\n"
    "    mlsim run --model llama-2-7b --device h100-sxm5-80gb --count 64 --tokens 2T\n"
    "    mlsim run --model gpt3-175b --device a100-sxm4-80gb --count 1024 --mfu 0.45\n";

/* The options, in the order their fields are written (grouped by section). */
static const struct {
    const char *option;  /* "--model" */
    const char *section; /* "model", or NULL for a top-level field */
    const char *key;
} run_options[] = {
    {"--model", "model", "from"},
    {"--tokens", "model", "tokens"},
    {"--device", "hardware", "device"},
    {"--system", "hardware", "system"},
    {"--count", "hardware", "count"},
    {"--mode", NULL, "mode"},
    {"--mfu", NULL, "mfu"},
    {"--precision", NULL, "precision"},
};
#define N_RUN_OPTIONS (sizeof run_options / sizeof run_options[0])

/* The longest value an option takes (a scenario's fields are shorter still). */
#define MAX_VALUE 256

/* If ARG is option O ("--model X" or "--model=X"), its value (*USED: 1 or 2 arguments), else
 * NULL. */
static const char *option_value(const char *o, char **argv, int i, int argc, int *used)
{
    size_t len = strlen(o);
    if (strncmp(argv[i], o, len) != 0)
        return NULL;
    if (argv[i][len] == '=') {
        *used = 1;
        return argv[i] + len + 1;
    }
    if (argv[i][len] != '\0')
        return NULL;
    *used = 2;
    return i + 1 < argc ? argv[i + 1] : NULL;
}

/* Append VALUE to TEXT (of CAP bytes, USED so far) as a YAML double-quoted scalar. */
static int append_quoted(char *text, size_t cap, size_t *used, const char *value)
{
    if (*used + 1 >= cap)
        return 0;
    text[(*used)++] = '"';
    for (const char *p = value; *p; p++) {
        if (*used + 4 >= cap)
            return 0;
        if (*p == '"' || *p == '\\')
            text[(*used)++] = '\\';
        text[(*used)++] = *p;
    }
    text[(*used)++] = '"';
    text[*used] = '\0';
    return 1;
}

static int run_usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "mlsim run: %s", msg);
    if (arg)
        mlsim_term_text(stderr, arg);
    fputs("\nusage: mlsim run --model ID --device ID --count N --tokens T [OPTIONS]\n"
          "       mlsim run --help for more\n",
          stderr);
    return MLSIM_EXIT_USAGE;
}

/* Write the scenario VALS make into TEXT (CAP bytes). */
static int write_text(const char *const *vals, char *text, size_t cap)
{
    size_t used = 0;
    const char *open = NULL; /* the section whose lines are being written */
    text[0] = '\0';
    for (size_t k = 0; k < N_RUN_OPTIONS; k++) {
        if (!vals[k])
            continue;
        const char *sec = run_options[k].section;
        int w = 0;
        if (sec && (!open || strcmp(open, sec) != 0))
            w = snprintf(text + used, cap - used, "%s:\n", sec);
        if (w < 0 || (size_t)w >= cap - used)
            return 0;
        used += (size_t)w;
        open = sec;
        w = snprintf(text + used, cap - used, "%s%s: ", sec ? "  " : "", run_options[k].key);
        if (w < 0 || (size_t)w >= cap - used)
            return 0;
        used += (size_t)w;
        if (!append_quoted(text, cap, &used, vals[k]) || used + 2 >= cap)
            return 0;
        text[used++] = '\n';
        text[used] = '\0';
    }
    return 1;
}

int mlsim_cli_run(int argc, char **argv)
{
    const char *vals[N_RUN_OPTIONS] = {NULL};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) {
        fputs("mlsim: error: out of memory\n", stderr);
        return MLSIM_EXIT_INPUT;
    }
    int n_rest = 0, any = 0, status = -1;
    rest[n_rest++] = argv[0];
    for (int i = 1; i < argc && status < 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(run_usage_text, stdout);
            status = MLSIM_EXIT_OK;
            break;
        }
        int used = 0;
        size_t k = 0;
        const char *v = NULL;
        for (; k < N_RUN_OPTIONS && !v && !used; k++)
            v = option_value(run_options[k].option, argv, i, argc, &used);
        if (!used) {
            rest[n_rest++] = argv[i];
            continue;
        }
        k--;
        if (!v)
            status = run_usage_error("missing value for ", run_options[k].option);
        else if (strlen(v) > MAX_VALUE || strpbrk(v, "\n\r\t"))
            status = run_usage_error("a value is one line of at most 256 characters: ", v);
        vals[k] = v;
        any = 1;
        i += used - 1;
    }
    /* each line: a section, its key and a quoted value (doubled escapes at worst) */
    char text[N_RUN_OPTIONS * (2 * MAX_VALUE + 48)];
    if (status < 0 && any && !write_text(vals, text, sizeof text))
        status = run_usage_error("options too long", NULL);
    if (status < 0)
        status = mlsim_cli_scenario(n_rest, rest, any ? "(command line)" : NULL, any ? text : NULL);
    free(rest);
    return status;
}
