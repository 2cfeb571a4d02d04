/*
 * `mlsim models`: the model zoo (zoo.h). Without an id, one line per model with its shape and
 * recipe; with ids, each model's fields (as a scenario would write them), where each is given
 * and the sources it comes from. The zoo is the models/ folder beside the hardware database.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/model.h"
#include "mlsim/textio.h"
#include "mlsim/units.h"
#include "mlsim/zoo.h"

#include "cli.h"

static const char models_usage_text[] =
    "NAME\n"
    "    mlsim models - the model zoo: published models a scenario names with 'model: ID'\n"
    "\n"
    "SYNOPSIS\n"
    "    mlsim models [--hwdb DIR] [--models DIR]\n"
    "    mlsim models ID... [--hwdb DIR] [--models DIR]\n"
    "\n"
    "DESCRIPTION\n"
    "    Lists the zoo's models, each with its parameter count (counted from its shape, as a run\n"
    "    counts it), its shape, its training tokens and batch. With ids, shows each model's\n"
    "    fields and their sources. In a scenario, 'model: llama-2-70b' takes them all and\n"
    "    'model: {from: llama-2-70b, seq_len: 2048}' overrides some; a run's own fields and\n"
    "    --set always win over the zoo's.\n"
    "\n"
    "OPTIONS\n"
    "        --hwdb DIR    The hardware database (as `mlsim --hwdb`); the zoo is DIR's sibling\n"
    "                      models/ folder.\n"
    "        --models DIR  Read the zoo from DIR instead.\n"
    "    -h, --help        Print this text and exit.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the list was written; 1 an unknown model or a broken zoo file; 2 bad usage.\n"
    "\n"
    "EXAMPLES\n"
    "    mlsim models\n"
    "    mlsim models llama-2-70b\n";

/* The parameters a run of M counts: its published count if given, else its shape's. */
static double model_params(const struct mlsim_zoo_model *m)
{
    if (mlsim_schema_given(&mlsim_run_schema, &m->fields, "model.params"))
        return m->fields.model.params;
    return mlsim_model_params(&m->fields.model);
}

static void list_models(const struct mlsim_zoo *z)
{
    printf("%-16s %-20s %9s %6s %6s %5s %4s %6s %7s %6s %5s\n", "id", "name", "params", "layers",
           "hidden", "heads", "kv", "ffn", "seq_len", "tokens", "batch");
    for (size_t i = 0; i < mlsim_zoo_count(z); i++) {
        const struct mlsim_zoo_model *m = mlsim_zoo_at(z, i);
        const struct mlsim_model_spec *s = &m->fields.model;
        char p[32], t[32] = "-", b[16] = "-";
        mlsim_units_format(model_params(m), MLSIM_DIM_COUNT, p, sizeof p);
        if (mlsim_schema_given(&mlsim_run_schema, &m->fields, "model.tokens"))
            mlsim_units_format(s->tokens, MLSIM_DIM_COUNT, t, sizeof t);
        if (mlsim_schema_given(&mlsim_run_schema, &m->fields, "training.global_batch"))
            snprintf(b, sizeof b, "%d", m->fields.training.global_batch);
        int ffn = s->ffn > 0 ? s->ffn : 4 * s->hidden;
        printf("%-16s %-20.20s %9s %6d %6d %5d %4d %6d %7d %6s %5s\n", m->id, s->name, p, s->layers,
               s->hidden, s->heads, s->kv_heads > 0 ? s->kv_heads : s->heads, ffn, s->seq_len, t,
               b);
    }
}

static void show_model(const struct mlsim_zoo_model *m)
{
    char p[32];
    printf("%s (%s:%d)\n", m->id, m->loc.file, m->loc.line);
    mlsim_units_format(model_params(m), MLSIM_DIM_COUNT, p, sizeof p);
    printf("  parameters  %s (%.0f)%s\n", p, model_params(m),
           mlsim_schema_given(&mlsim_run_schema, &m->fields, "model.params")
               ? ", as published"
               : ", counted from the shape");
    for (size_t i = 0; i < mlsim_run_schema.n_fields; i++) {
        const struct mlsim_field *f = &mlsim_run_schema.fields[i];
        if (!m->fields.prov.loc[i].file || f->kind == MLSIM_FIELD_SECTION)
            continue;
        char v[160];
        printf("  %-22s %s\n", f->path, mlsim_schema_value_text(f, &m->fields, v, sizeof v));
    }
    printf("  source      ");
    mlsim_term_text(stdout, m->source);
    printf("\n");
}

/* Show each of IDS (N), or, if any is unknown, say which and show none. Returns an exit
 * status. */
static int show_models(const struct mlsim_zoo *z, char **ids, int n)
{
    int status = MLSIM_EXIT_OK;
    for (int i = 0; i < n; i++) {
        if (!mlsim_zoo_find(z, ids[i])) {
            const char *hint = mlsim_zoo_suggest(z, ids[i]);
            fprintf(stderr, "mlsim: error: unknown model '");
            mlsim_term_text(stderr, ids[i]);
            fprintf(stderr, "'%s%s%s\n", hint ? " (did you mean '" : "", hint ? hint : "",
                    hint ? "'?)" : "");
            status = MLSIM_EXIT_INPUT;
        }
    }
    for (int i = 0; i < n && status == MLSIM_EXIT_OK; i++) {
        if (i > 0)
            printf("\n");
        show_model(mlsim_zoo_find(z, ids[i]));
    }
    return status;
}

int mlsim_cli_models(int argc, char **argv)
{
    enum { OPT_HWDB = 256, OPT_MODELS };
    static const struct option longopts[] = {{"hwdb", required_argument, NULL, OPT_HWDB},
                                             {"models", required_argument, NULL, OPT_MODELS},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *hwdb = NULL, *models = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(models_usage_text, stdout);
            return MLSIM_EXIT_OK;
        }
        if (c == OPT_HWDB) {
            hwdb = optarg;
        } else if (c == OPT_MODELS) {
            models = optarg;
        } else {
            fprintf(stderr,
                    "mlsim models: unknown option or missing argument: %s\n"
                    "usage: mlsim models [ID...] [--hwdb DIR] [--models DIR]\n",
                    argv[optind - 1]);
            return MLSIM_EXIT_USAGE;
        }
    }
    char buf[PATH_MAX + 32];
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(mlsim_cli_locate_hwdb(hwdb, buf, sizeof buf));
    const struct mlsim_zoo *z = NULL;
    int status = MLSIM_EXIT_OK;
    if (!d || !db || (models && mlsim_hwdb_set_models_dir(db, models) != MLSIM_OK) ||
        mlsim_hwdb_zoo(db, d, &z) == MLSIM_ERR_NOMEM) {
        fputs("mlsim: error: out of memory\n", stderr);
        status = MLSIM_EXIT_INPUT;
    } else {
        if (mlsim_diags_errors(d) > 0 || !z)
            status = MLSIM_EXIT_INPUT; /* a broken zoo: nothing half-listed */
        mlsim_diags_print(d, stderr);
        if (status == MLSIM_EXIT_OK && optind == argc)
            list_models(z);
        else if (status == MLSIM_EXIT_OK)
            status = show_models(z, argv + optind, argc - optind);
    }
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    return status;
}
