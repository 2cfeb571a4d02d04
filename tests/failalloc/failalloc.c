/*
 * A failing allocator for the mlsim command line, in the manner of Lua's test allocator
 * (ltests.c, l_alloc with its memory limit) and SQLite's fault injector (test_malloc.c): linked
 * with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup, it counts every call mlsim's
 * own code makes and makes call number $MLSIM_FAILALLOC (1, 2, ...) fail, once, as malloc does
 * when memory runs out. With $MLSIM_FAILALLOC_COUNT naming a file, the number of calls made is
 * written there at exit, so the driver (failalloc.py) knows how many to try. With
 * $MLSIM_FAILALLOC_WHERE set, the failing call's stack goes to stderr (addresses: feed them to
 * addr2line -e mlsim_failalloc -f -i).
 *
 * Only mlsim's own calls are counted: libyaml, GSL and the C library allocate through their own
 * references to malloc, which --wrap does not redirect.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);

/* Test-only state: the process is one mlsim command, run once. */
static unsigned long calls, fail_at;
static int ready;

/* Nonzero if this call is the one to fail. */
static int failing(void)
{
    if (!ready) {
        const char *v = getenv("MLSIM_FAILALLOC");
        char *end = NULL;
        fail_at = v ? strtoul(v, &end, 10) : 0;
        if (!v || end == v || *end)
            fail_at = 0;
        ready = 1;
    }
    if (++calls != fail_at)
        return 0;
    if (getenv("MLSIM_FAILALLOC_WHERE")) {
        void *frames[32];
        backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
    }
    errno = ENOMEM;
    return 1;
}

void *__wrap_malloc(size_t size)
{
    return failing() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return failing() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return failing() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = __wrap_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Write the count of calls to $MLSIM_FAILALLOC_COUNT, with no allocation (write, not stdio). */
__attribute__((destructor)) static void report_count(void)
{
    const char *path = getenv("MLSIM_FAILALLOC_COUNT");
    if (!path)
        return;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lu\n", calls);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || n < 0)
        return;
    if (write(fd, buf, (size_t)n) != n)
        n = -1;
    close(fd);
}
