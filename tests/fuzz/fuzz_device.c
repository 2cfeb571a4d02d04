/*
 * libFuzzer target: any bytes as a device file, loaded and checked, and when it loads, put in a
 * hardware table and written in every format `mlsim hw` has. The file is <tmp>/gpu/fuzz.yaml, so
 * an input that says `id: fuzz` and `kind: gpu` passes the check of its place (the seeds do).
 * Whatever the input, mlsim must report errors and never crash, leak or read out of bounds. Build
 * (clang): see tests/fuzz/README.md.
 */
#include "fuzz_input.h"

#include <sys/stat.h>

#include "mlsim/hwdb.h"
#include "mlsim/hwtable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[] = "/tmp/mlsim-fuzz-device-XXXXXX";
    char kind[sizeof dir + 4], path[sizeof dir + 16];
    if (!mkdtemp(dir))
        return 0;
    snprintf(kind, sizeof kind, "%s/gpu", dir);
    snprintf(path, sizeof path, "%s/fuzz.yaml", kind);
    FILE *f = mkdir(kind, 0700) == 0 ? fopen(path, "wb") : NULL;
    if (!f || fwrite(data, 1, size, f) != size) {
        if (f)
            fclose(f);
        unlink(path);
        rmdir(kind);
        rmdir(dir);
        return 0;
    }
    fclose(f);
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_device dev;
    if (d && mlsim_device_load(path, &dev, d) == MLSIM_OK) {
        struct mlsim_hwtable *t = mlsim_hwtable_alloc();
        FILE *null = fopen("/dev/null", "w");
        if (t && null && mlsim_hwtable_add(t, &dev, MLSIM_HWTABLE_HEADLINE) == MLSIM_OK) {
            static const char *const formats[] = {"table", "csv", "json"};
            for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
                const struct mlsim_hwtable_format *fmt = mlsim_hwtable_format_find(formats[i]);
                if (fmt)
                    fmt->write(null, t, MLSIM_HWTABLE_VIEW_COMPARE);
            }
            mlsim_hwtable_show(null, &dev);
        }
        if (null)
            fclose(null);
        mlsim_hwtable_free(t);
    }
    if (d)
        fuzz_print_diags(d);
    mlsim_diags_free(d);
    unlink(path);
    rmdir(kind);
    rmdir(dir);
    return 0;
}
