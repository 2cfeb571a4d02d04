/*
 * The lecture's CPU experiment run for real: train Keras's mnist_mlp (784-n-n-10, ReLU, dropout
 * 0.2, softmax cross-entropy, RMSprop, batch 128) for each hidden width n and time its steps, on
 * synthetic MNIST-shaped data (a random linear teacher labels uniform pixels, so the task is
 * learnable) or on the MNIST files in --mnist DIR. Writes CSV: n, trainable parameters, steps
 * timed, seconds, seconds per step (the median of 5 blocks of steps), loss at the first and last
 * timed step.
 *
 *   train_mlp [--n 64,128,...] [--steps S] [--threads T] [--cpu-time] [--mnist DIR] [-o FILE]
 *   (--cpu-time, with --threads 1: steps timed by the thread's CPU time, as bench_cpu's)
 *   train_mlp --check-grad     finite differences against the backward pass (exit 1 if off)
 *   train_mlp --check-learn    the loss falls on the synthetic task (exit 1 if not)
 */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "machine.h"
#include "mlp.h"

void openblas_set_num_threads(int n);
char *openblas_get_config(void);

#define INPUTS  784
#define CLASSES 10
#define BATCH   128

struct data {
    long n;
    float *x; /* n x INPUTS */
    int *y;
};

static double now_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* N MNIST-shaped samples: each class has a random prototype image (about a fifth of its pixels
 * on, as in MNIST's digits), and a sample is its class's prototype with a tenth of its pixels
 * flipped, and a twentieth of the labels are random: learnable, but the loss stays away from zero
 * (as on MNIST) instead of driving the gradients into denormals. */
static int synthetic(struct data *d, long n, uint64_t seed)
{
    d->n = n;
    d->x = malloc((size_t)n * INPUTS * sizeof(float));
    d->y = malloc((size_t)n * sizeof(int));
    unsigned char *proto = malloc((size_t)INPUTS * CLASSES);
    if (!d->x || !d->y || !proto) {
        free(proto);
        return -1;
    }
    for (long i = 0; i < (long)INPUTS * CLASSES; i++)
        proto[i] = splitmix(&seed) % 5 == 0;
    for (long i = 0; i < n; i++) {
        int c = (int)(splitmix(&seed) % CLASSES);
        float *x = d->x + i * INPUTS;
        for (int j = 0; j < INPUTS; j++) {
            int on = proto[c * INPUTS + j] ^ (splitmix(&seed) % 10 == 0);
            x[j] = on ? 1.0f : 0.0f;
        }
        d->y[i] = splitmix(&seed) % 20 == 0 ? (int)(splitmix(&seed) % CLASSES) : c;
    }
    free(proto);
    return 0;
}

static long be32(const unsigned char *p)
{
    return (long)p[0] << 24 | (long)p[1] << 16 | (long)p[2] << 8 | (long)p[3];
}

/* MNIST's idx files in DIR (train-images-idx3-ubyte, train-labels-idx1-ubyte). */
static int mnist(struct data *d, const char *dir)
{
    char path[4096];
    unsigned char h[16];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", dir);
    FILE *fi = fopen(path, "rb");
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir);
    FILE *fl = fopen(path, "rb");
    int ok = fi && fl && fread(h, 1, 16, fi) == 16 && be32(h) == 2051 && be32(h + 8) == 28 &&
             be32(h + 12) == 28;
    d->n = ok ? be32(h + 4) : 0;
    ok = ok && fread(h, 1, 8, fl) == 8 && be32(h) == 2049 && be32(h + 4) == d->n && d->n > 0;
    unsigned char *px = ok ? malloc((size_t)d->n * INPUTS) : NULL;
    d->x = ok ? malloc((size_t)d->n * INPUTS * sizeof(float)) : NULL;
    d->y = ok ? malloc((size_t)d->n * sizeof(int)) : NULL;
    ok = px && d->x && d->y && fread(px, 1, (size_t)d->n * INPUTS, fi) == (size_t)d->n * INPUTS;
    for (long i = 0; ok && i < d->n * INPUTS; i++)
        d->x[i] = (float)px[i] / 255.0f;
    for (long i = 0; ok && i < d->n; i++) {
        int c = fgetc(fl);
        ok = c >= 0 && c < CLASSES;
        d->y[i] = c;
    }
    free(px);
    if (fi)
        fclose(fi);
    if (fl)
        fclose(fl);
    return ok ? 0 : -1;
}

/* One training step on batch number STEP (batches in order, wrapping). */
static double step(struct mlp *m, const struct data *d, long s)
{
    long batches = d->n / BATCH, first = (s % batches) * BATCH;
    double loss = mlp_forward(m, d->x + first * INPUTS, d->y + first);
    mlp_backward(m, d->y + first);
    mlp_update(m);
    return loss;
}

#define BLOCKS 5

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Time STEPS steps in BLOCKS blocks; seconds per step is the median block's, so that another
 * process waking up on this shared machine spoils one block, not the figure (as bench_cpu takes
 * the median of its samples). */
static int time_width(FILE *out, const struct data *d, int n, long steps, clockid_t clock)
{
    int widths[] = {INPUTS, n, n, CLASSES};
    struct mlp *m = mlp_alloc(widths, 3, BATCH, 0.2f, 42);
    if (!m)
        return -1;
    for (int s = 0; s < 3; s++) /* warm-up: pages, caches, BLAS threads */
        step(m, d, s);
    double first = 0, last = 0, total = 0, per[BLOCKS];
    long done = 0;
    for (int b = 0; b < BLOCKS; b++) {
        long block_steps = (steps - done) / (BLOCKS - b);
        block_steps = block_steps < 1 ? 1 : block_steps;
        double t0 = now_s(clock);
        for (long s = 0; s < block_steps; s++) {
            last = step(m, d, done + s + 3);
            first = done + s == 0 ? last : first;
        }
        double t = now_s(clock) - t0;
        total += t;
        per[b] = t / (double)block_steps;
        done += block_steps;
    }
    qsort(per, BLOCKS, sizeof per[0], cmp_double);
    fprintf(out, "%d,%ld,%d,%ld,%.6e,%.6e,%.5f,%.5f\n", n, m->n_params, BATCH, done, total,
            per[BLOCKS / 2], first, last);
    fflush(out);
    mlp_free(m);
    return 0;
}

/* Central differences of the loss (dropout off) against the analytic gradient on a small net. */
static int check_grad(void)
{
    int widths[] = {12, 7, 5, 4};
    int labels[6] = {0, 3, 1, 2, 3, 0};
    float x[6 * 12];
    uint64_t seed = 7;
    for (int i = 0; i < 6 * 12; i++)
        x[i] = (float)(splitmix(&seed) >> 40) / 16777216.0f;
    struct mlp *m = mlp_alloc(widths, 3, 6, 0.0f, 3);
    if (!m)
        return 1;
    for (long j = 0; j < m->n_params; j++) /* nonzero biases too */
        m->params[j] += 0.05f * (float)((j % 5) - 2);
    mlp_forward(m, x, labels);
    mlp_backward(m, labels);
    int bad = 0;
    double worst = 0, h = 1e-2;
    for (long j = 0; j < m->n_params; j++) {
        float keep = m->params[j];
        m->params[j] = keep + (float)h;
        double up = mlp_forward(m, x, labels);
        m->params[j] = keep - (float)h;
        double down = mlp_forward(m, x, labels);
        m->params[j] = keep;
        double num = (up - down) / (2 * h), err = fabs(num - m->grads[j]);
        worst = err > worst ? err : worst;
        bad += err > 1e-3 + 1e-2 * fabs(num); /* O(h^2) truncation and float rounding */
    }
    printf("gradient check: %ld parameters, worst |analytic - numeric| %.3g, %d off\n", m->n_params,
           worst, bad);
    mlp_free(m);
    return bad != 0;
}

/* 3 epochs of 4096 synthetic samples: the loss must fall below half of ln(10). */
static int check_learn(void)
{
    struct data d;
    if (synthetic(&d, 4096, 11) < 0) {
        free(d.x);
        free(d.y);
        return 1;
    }
    int widths[] = {INPUTS, 64, 64, CLASSES};
    struct mlp *m = mlp_alloc(widths, 3, BATCH, 0.2f, 5);
    double first = 0, tail = 0;
    long steps = 3 * d.n / BATCH;
    for (long s = 0; m && s < steps; s++) {
        double loss = step(m, &d, s);
        first = s == 0 ? loss : first;
        tail += s >= steps - 32 ? loss / 32 : 0;
    }
    printf("learning check: loss %.4f at the first step, %.4f over the last 32 of %ld\n", first,
           tail, steps);
    mlp_free(m);
    free(d.x);
    free(d.y);
    return !(tail < 0.5 * log(10.0));
}

static int parse_long(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return errno == 0 && end != s && (*end == '\0' || *end == ',') && *v >= lo && *v <= hi;
}

int main(int argc, char **argv)
{
    long widths[32], nw = 0, steps = 200, threads = sysconf(_SC_NPROCESSORS_ONLN);
    const char *dir = NULL;
    FILE *out = stdout;
    clockid_t clock = CLOCK_MONOTONIC;
    for (long n = 16; n <= 4096; n *= 2)
        widths[nw++] = n;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--check-grad") == 0)
            return check_grad();
        if (strcmp(a, "--check-learn") == 0)
            return check_learn();
        if (strcmp(a, "--cpu-time") == 0) {
            clock = CLOCK_THREAD_CPUTIME_ID;
            continue;
        }
        int ok = val != NULL;
        if (ok && strcmp(a, "--n") == 0) {
            nw = 0;
            for (const char *p = val; ok && p && nw < 32; p = strchr(p, ','), p = p ? p + 1 : p)
                ok = parse_long(p, 1, 65536, &widths[nw++]);
        } else if (ok && strcmp(a, "--steps") == 0) {
            ok = parse_long(val, 1, 1000000, &steps);
        } else if (ok && strcmp(a, "--threads") == 0) {
            ok = parse_long(val, 1, 1024, &threads);
        } else if (ok && strcmp(a, "--mnist") == 0) {
            dir = val;
        } else if (ok && strcmp(a, "-o") == 0) {
            out = fopen(val, "w");
            ok = out != NULL;
        } else {
            ok = 0;
        }
        if (!ok) {
            fprintf(stderr,
                    "usage: train_mlp [--n N,N,...] [--steps S] [--threads T] "
                    "[--cpu-time] [--mnist DIR] [-o FILE] | --check-grad | --check-learn\n");
            return 2;
        }
        i++;
    }
    if (clock == CLOCK_THREAD_CPUTIME_ID && threads != 1) {
        fprintf(stderr, "train_mlp: --cpu-time times one thread: it needs --threads 1\n");
        return 2;
    }
    openblas_set_num_threads((int)threads);
#if defined(__SSE__)
    /* Flush denormals to zero, as TensorFlow does on CPUs (tensorflow/core/platform/denormal.cc):
     * a step must not slow down by orders of magnitude once gradients get tiny. */
    _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
    struct data d;
    if (dir ? mnist(&d, dir) : synthetic(&d, 60000, 1)) {
        fprintf(stderr, "train_mlp: cannot load %s\n", dir ? dir : "synthetic data (memory)");
        return 1;
    }
    validate_machine_header(out, "train_mlp", (int)threads);
    fprintf(out, "# blas: OpenBLAS %s\n# data: %s, %ld samples\n", openblas_get_config(),
            dir ? dir : "synthetic", d.n);
    fprintf(out, "# timing: %s\n",
            clock == CLOCK_MONOTONIC ? "wall clock" : "thread CPU time (--cpu-time)");
    fprintf(out, "n,params,batch,steps,seconds,seconds_per_step,first_loss,last_loss\n");
    for (long i = 0; i < nw; i++) {
        if (time_width(out, &d, (int)widths[i], steps, clock) < 0)
            return 1;
    }
    free(d.x);
    free(d.y);
    return 0;
}
