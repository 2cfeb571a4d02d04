/*
 * libFuzzer target: any bytes as `--set` overrides (one per line, as `mlsim --set A --set B` gives
 * them) of a small fixed scenario, which is then resolved against the real hwdb and estimated.
 * --set values never pass through libyaml, so this is where their own checks (UTF-8, length,
 * units, ranges) are fuzzed. Build (clang): see tests/fuzz/README.md.
 */
#include "fuzz_input.h"

#include "mlsim/run.h"
#include "mlsim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SETS 16

static const char scenario[] = "name: fuzz\n"
                               "mode: analytic\n"
                               "model:\n"
                               "  params: 1.3B\n"
                               "  tokens: 26B\n"
                               "hardware:\n"
                               "  device: a100-sxm4-40gb\n"
                               "  count: 8\n"
                               "precision: bf16\n"
                               "mfu: 40%\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/mlsim-fuzz-set-XXXXXX";
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* split at newlines, in place; a NUL in the input ends that override, as argv would */
    const char *sets[MAX_SETS];
    size_t n = 0;
    for (char *p = text; n < MAX_SETS && p <= text + size;) {
        char *nl = memchr(p, '\n', (size_t)(text + size - p));
        if (nl)
            *nl = '\0';
        sets[n++] = p;
        if (!nl || nl + 1 == text + size) /* a final newline ends the last override */
            break;
        p = nl + 1;
    }
    if (!fuzz_write_temp(path, (const uint8_t *)scenario, sizeof scenario - 1)) {
        free(text);
        return 0;
    }
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(MLSIM_FUZZ_HWDB);
    struct mlsim_scenario *sc = NULL;
    if (d && db && mlsim_scenario_load(path, d, &sc) == MLSIM_OK &&
        mlsim_scenario_set(sc, sets, n, d) == MLSIM_OK &&
        mlsim_scenario_resolve(sc, db, d) == MLSIM_OK) {
        for (size_t i = 0; i < sc->n_runs && i < 4; i++) {
            struct mlsim_result r;
            if (sc->runs[i].count <= 4096) /* keep each input fast */
                mlsim_run_estimate(&sc->runs[i], &r, NULL, d);
        }
    }
    if (d)
        fuzz_print_diags(d);
    mlsim_scenario_free(sc);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    unlink(path);
    free(text);
    return 0;
}
