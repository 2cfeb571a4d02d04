/*
 * libFuzzer target: any bytes as a calibration CSV (`mlsim calibrate DEVICE FILE.csv`), read and,
 * when it reads, fitted at the precision and thread count of its first row against made-up peaks
 * (a 1 TFLOP/s, 100 GB/s device with 1 MiB on chip). Whatever the input, mlsim must report errors
 * and never crash, leak, read out of bounds or convert an out-of-range double. Build (clang): see
 * tests/fuzz/README.md.
 */
#include "fuzz_input.h"

#include "mlsim/calibrate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/mlsim-fuzz-csv-XXXXXX";
    if (!fuzz_write_temp(path, data, size))
        return 0;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_calib_data cd;
    /* the solver's cost grows with the points: keep each input fast */
    if (d && mlsim_calibrate_read(path, &cd, d) == MLSIM_OK && cd.n <= 256) {
        struct mlsim_calib_spec spec = {cd.points[0].prec, cd.points[0].threads, NULL, 1e12, 1e11,
                                        1048576.0};
        struct mlsim_calib_fit fit;
        mlsim_calibrate_fit(&cd, &spec, &fit, NULL);
    }
    if (d) {
        mlsim_calibrate_release(&cd);
        fuzz_print_diags(d);
    }
    mlsim_diags_free(d);
    unlink(path);
    return 0;
}
