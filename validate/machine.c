/* The machine header of validate/ CSVs, read from /proc/cpuinfo (Linux) and the clock. */
#include "machine.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* Copy the value of the first "KEY<tabs>: value" line of /proc/cpuinfo into BUF ("unknown"). */
static void cpuinfo(const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[4096];
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, key, n) != 0 || !colon || (line[n] != '\t' && line[n] != ' '))
            continue;
        colon += colon[1] == ' ' ? 2 : 1;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(buf, len, "%s", colon);
        break;
    }
    fclose(f);
}

static void simd_flags(const char *flags, FILE *out)
{
    static const char *const wanted[] = {"sse4_2",   "avx",      "avx2",        "fma",
                                         "avx512f",  "avx512bw", "avx512_bf16", "avx512_fp16",
                                         "amx_tile", "neon",     "asimd",       "sve"};
    fprintf(out, "# simd:");
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        size_t n = strlen(wanted[i]);
        for (const char *p = strstr(flags, wanted[i]); p; p = strstr(p + 1, wanted[i])) {
            if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) {
                fprintf(out, " %s", wanted[i]);
                break;
            }
        }
    }
    fprintf(out, "\n");
}

void validate_machine_header(FILE *out, const char *tool, int threads)
{
    char buf[4096];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out, "# tool: %s\n# date: %s\n", tool, buf);
    cpuinfo("model name", buf, sizeof buf);
    fprintf(out, "# cpu: %s\n", buf);
    fprintf(out, "# cores: %ld online\n", sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(out, "# threads: %d\n", threads);
    cpuinfo("cpu MHz", buf, sizeof buf);
    fprintf(out, "# clock: %s MHz (as /proc/cpuinfo reports it)\n", buf);
    cpuinfo("flags", buf, sizeof buf);
    simd_flags(buf, out);
}
