/*
 * A progress line on stderr for work that runs over a second: only when stderr is a terminal
 * (silent when piped or redirected, so logs and tests see nothing), redrawn at most ten times a
 * second, and cleared when the work ends.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void mlsim_cli_progress_start(struct mlsim_cli_progress *p, const char *what)
{
    p->what = what;
    p->t0 = now_s();
    p->last = 0;
    p->shown = 0;
    p->tty = isatty(STDERR_FILENO);
    /* MLSIM_PROGRESS_AFTER: seconds before the line shows (default 1; tests set 0) */
    const char *after = getenv("MLSIM_PROGRESS_AFTER");
    char *end = NULL;
    double v = after ? strtod(after, &end) : 1.0;
    p->after_s = after && end != after && v >= 0 ? v : 1.0;
}

void mlsim_cli_progress(void *ctx, size_t done, size_t total)
{
    struct mlsim_cli_progress *p = ctx;
    if (!p->tty)
        return;
    double t = now_s();
    if (t - p->t0 < p->after_s || (p->shown && t - p->last < 0.1))
        return;
    p->last = t;
    p->shown = 1;
    fprintf(stderr, "\rmlsim: %s %zu of %zu (%.0f%%)", p->what, done, total,
            total ? 100.0 * (double)done / (double)total : 100.0);
    fflush(stderr);
}

void mlsim_cli_progress_end(struct mlsim_cli_progress *p)
{
    if (p->tty && p->shown) {
        fputs("\r\033[K", stderr); /* clear the line */
        fflush(stderr);
    }
}
