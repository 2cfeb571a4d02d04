/*
 * libFuzzer target: any bytes as a scenario file, loaded, overridden, resolved against the real
 * hwdb and estimated; and the same bytes as a file of layer timings (`mlsim calibrate
 * LAYERS.yaml`), read and fitted. Whatever the input, mlsim must report errors and never crash,
 * leak or read out of bounds. Build (clang): see tests/fuzz/README.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mlsim/layerfit.h"
#include "mlsim/run.h"
#include "mlsim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/mlsim-fuzz-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(MLSIM_FUZZ_HWDB);
    struct mlsim_scenario *sc = NULL;
    enum mlsim_status st = mlsim_scenario_load(path, d, &sc);
    if (sc && st != MLSIM_ERR_NOMEM && mlsim_scenario_resolve(sc, db, d) == MLSIM_OK &&
        st == MLSIM_OK) {
        for (size_t i = 0; i < sc->n_runs && i < 4; i++) {
            struct mlsim_result r;
            const struct mlsim_run *run = &sc->runs[i];
            if (run->count > 4096)
                continue; /* keep each input fast */
            mlsim_run_estimate(run, &r, NULL, d);
        }
    }
    struct mlsim_layer_data layers;
    const struct mlsim_device *dev = NULL;
    if (mlsim_layerfit_read(path, &layers, d) == MLSIM_OK &&
        mlsim_hwdb_find(db, layers.device, d, &dev) == MLSIM_OK) {
        struct mlsim_layerfit fit;
        mlsim_layerfit_fit(&layers, dev, &fit);
    }
    mlsim_layerfit_release(&layers);
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        mlsim_diags_print(d, null);
        fclose(null);
    }
    mlsim_scenario_free(sc);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
    unlink(path);
    return 0;
}
