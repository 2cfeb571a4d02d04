/*
 * Runs the fuzz target on the files named on the command line, without libFuzzer: ctest replays
 * every scenario and bad input through it, so the harness builds on every compiler and inputs that
 * once crashed stay fixed (under the sanitizer build as well).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 1;
        }
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0, n;
        uint8_t chunk[4096];
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
            if (len + n > cap) {
                cap = 2 * (len + n);
                uint8_t *nb = realloc(buf, cap);
                if (!nb) {
                    free(buf);
                    fclose(f);
                    return 1;
                }
                buf = nb;
            }
            for (size_t k = 0; k < n; k++)
                buf[len + k] = chunk[k];
            len += n;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf ? buf : (const uint8_t *)"", len);
        free(buf);
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}
