/*
 * CPU kernel benchmark for `mlsim calibrate`: OpenBLAS SGEMM and DGEMM over square sizes and the
 * shapes a training step uses (the MNIST MLP's forward, input-gradient and weight-gradient GEMMs
 * with the transposes the trainer uses, and GPT-2-small projections), with 1 thread and with all
 * threads, each twice: warm (the same operands call after call, so they stay in cache) and cold
 * (each call takes the next operands from a pool larger than any last-level cache, as a training
 * step's GEMMs find weights the optimizer has swept out and a fresh batch). Then two streams on
 * one thread (as the trainer's element-wise loops run) from cache-sized to DRAM-sized arrays: the
 * STREAM triad, and an in-place update with RMSprop's arithmetic (read p, g, s; write p, s), the
 * kind of element-wise kernel that carries most of a training step's bytes. Each point: one
 * warm-up, then repeated samples of enough back-to-back calls to last SAMPLE_S; the median
 * per-call time is written as CSV. The '#' lines name the machine, the BLAS and the date.
 * Progress goes to stderr: each section as it starts, and on a terminal each point.
 *
 * Operands hold small multiples of 1/4 in the precision the kernel reads them in (the fill is
 * redone when the precision changes): fp64 GEMMs once read the fp32 fill as doubles, whose low
 * words made a share of them subnormal, and ran up to a hundred times slow on CPUs that take a
 * microcode assist for subnormal operands (issue 17). `--check-data` checks every operand.
 *
 * --quick keeps the memory rows up to the full sweep's sizes (so the DRAM tier is measured
 * beyond any last-level cache), stops the cubes at 1024 and the MLP's shapes at n = 2048, leaves
 * out GPT-2's, and shortens the samples.
 *
 *   bench_cpu [--quick] [--once] [--cpu-time] [--threads N] [-o FILE] | --check-data
 *
 * --cpu-time (with --threads 1) times each call by the thread's CPU time instead of the wall
 * clock: on a machine shared with busier processes, a kernel's time without the waits for a CPU
 * (what others' cache and memory traffic cost it still counts). train_mlp has it too.
 *
 * --once times each point by one call after one warm-up: the rows of a sweep in seconds, for
 * tests of what reads them; its times are a single sample's, too noisy to calibrate from.
 */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"

/* OpenBLAS's own calls (declared in its cblas.h, repeated here for other headers). */
void openblas_set_num_threads(int n);
char *openblas_get_config(void);

#define MAX_SAMPLES 15

/* Streams run from 1 Ki to 32 Mi floats an array: 12 KiB to 384 MiB for the triad, up to 640 MiB
 * for the update, beyond the 384 MB of L3 of the largest EPYC 9654 socket's twelve complexes. */
#define STREAM_MIN_LEN (1L << 10)
#define STREAM_MAX_LEN (1L << 25)

/* Cold GEMMs rotate through this many bytes: 16 times the 32 MB L3 of one Zen 5 core complex
 * and 5 times the 105 MB of a Xeon 8480+, so an operand is evicted before it comes round again. */
#define COLD_POOL_BYTES ((size_t)512 << 20)

struct opts {
    int quick;
    int check_data;
    int once; /* one timed call a point: the sweep's rows fast, their times noisy (for tests) */
    int threads;
    clockid_t clock; /* what a kernel is timed by: the wall clock, or the thread's CPU time */
    double sample_s; /* wall time of one sample */
    double point_s;  /* time budget of one point (fewer samples for big kernels, at least 3) */
    FILE *out;
};

/* Where the sweep is, for the progress lines: counting (a dry pass that times nothing) gives the
 * total; the section is the kind, precision and threads of the last point. */
struct progress {
    int counting;
    int tty;
    long done, total;
    double start_s;
    char section[64];
};

static double clock_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The kernel under test, run CALLS times. */
struct kernel {
    void (*run)(struct kernel *k, long calls);
    char prec; /* 's' or 'd' */
    int ta, tb;
    int m, n, k;
    long len; /* stream elements */
    void *a, *b, *c;
    unsigned char *pool; /* cold GEMMs: pool_bytes of operands, NULL for warm */
    size_t pool_bytes;
    size_t footprint;     /* bytes of A, B and C together */
    size_t slot, n_slots; /* the next call's operands: pool + slot * footprint */
    size_t elems;         /* elements of A, B and C at 8 bytes each (twice as many floats) */
    char filled;          /* the precision the operands now hold: 's', 'd', or 0 (unknown) */
    struct progress *prog;
};

static void run_gemm(struct kernel *x, long calls)
{
    enum CBLAS_TRANSPOSE ta = x->ta ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = x->tb ? CblasTrans : CblasNoTrans;
    int lda = x->ta ? x->m : x->k, ldb = x->tb ? x->k : x->n;
    size_t e = x->prec == 's' ? 4 : 8;
    for (long i = 0; i < calls; i++) {
        void *a = x->a, *b = x->b, *c = x->c;
        if (x->pool) {
            a = x->pool + x->slot * x->footprint;
            b = (unsigned char *)a + e * (size_t)x->m * (size_t)x->k;
            c = (unsigned char *)b + e * (size_t)x->k * (size_t)x->n;
            x->slot = (x->slot + 1) % x->n_slots;
        }
        if (x->prec == 's')
            cblas_sgemm(CblasRowMajor, ta, tb, x->m, x->n, x->k, 1.0f, a, lda, b, ldb, 0.0f, c,
                        x->n);
        else
            cblas_dgemm(CblasRowMajor, ta, tb, x->m, x->n, x->k, 1.0, a, lda, b, ldb, 0.0, c, x->n);
    }
}

static void run_triad(struct kernel *x, long calls)
{
    float *a = x->a;
    const float *b = x->b, *c = x->c;
    for (long i = 0; i < calls; i++) {
        float s = 1.0f + 1e-7f * (float)(i & 7);
        for (long j = 0; j < x->len; j++)
            a[j] = b[j] + s * c[j];
        __asm__ volatile("" : : "r"(a) : "memory"); /* keep every pass */
    }
}

/* RMSprop's update in place (Keras's rho 0.9, lr 0.001, epsilon 1e-7): 20 bytes an element. */
static void run_update(struct kernel *x, long calls)
{
    float *restrict p = x->a, *restrict s = x->c;
    const float *restrict g = x->b;
    for (long i = 0; i < calls; i++) {
        for (long j = 0; j < x->len; j++) {
            s[j] = 0.9f * s[j] + 0.1f * g[j] * g[j];
            p[j] -= 0.001f * g[j] / (sqrtf(s[j]) + 1e-7f);
        }
        __asm__ volatile("" : : "r"(p) : "memory");
    }
}

/* Median seconds per call of K: a warm-up sized the batch, then samples within the budget. */
static double time_kernel(struct kernel *k, const struct opts *o, int *samples)
{
    long calls = 1;
    double t0 = clock_s(o->clock);
    k->run(k, 1);
    double one = clock_s(o->clock) - t0;
    if (o->once) { /* the warm-up above, then one timed call */
        t0 = clock_s(o->clock);
        k->run(k, 1);
        *samples = 1;
        return clock_s(o->clock) - t0;
    }
    while (one * (double)calls < o->sample_s && calls < (1L << 30))
        calls *= 2;
    k->run(k, calls); /* warm caches, threads and clocks at the batch size */
    double per_sample = one * (double)calls;
    int n = (int)(o->point_s / (per_sample > 1e-9 ? per_sample : 1e-9));
    n = n < 3 ? 3 : n > MAX_SAMPLES ? MAX_SAMPLES : n;
    double t[MAX_SAMPLES] = {0};
    for (int i = 0; i < n; i++) {
        t0 = clock_s(o->clock);
        k->run(k, calls);
        t[i] = (clock_s(o->clock) - t0) / (double)calls;
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    *samples = n;
    return t[n / 2];
}

/* One progress line to stderr: a new section always, each point only on a terminal (where it
 * overwrites itself), so that a log gets a dozen lines and a person sees the sweep move. */
static void progress(struct progress *pr, const char *kind, const char *prec, int threads,
                     const struct kernel *k)
{
    char section[64];
    snprintf(section, sizeof section, "%s %s, %d thread%s", kind, prec, threads,
             threads == 1 ? "" : "s");
    double t = now_s() - pr->start_s;
    int fresh = strcmp(section, pr->section) != 0;
    if (fresh) {
        snprintf(pr->section, sizeof pr->section, "%s", section);
        fprintf(stderr, "%sbench_cpu: [%ld/%ld] %s (%.0f s so far)\n", pr->tty ? "\r\033[K" : "",
                pr->done, pr->total, section, t);
    }
    if (pr->tty) {
        if (strcmp(kind, "gemm") == 0)
            fprintf(stderr, "\r\033[K  [%ld/%ld] %dx%dx%d %s", pr->done + 1, pr->total, k->m, k->n,
                    k->k, k->pool ? "cold" : "warm");
        else
            fprintf(stderr, "\r\033[K  [%ld/%ld] %ld elements", pr->done + 1, pr->total, k->len);
    }
}

static void emit(const struct opts *o, const char *kind, const char *prec, int threads,
                 struct kernel *k, double flops, double bytes)
{
    struct progress *pr = k->prog;
    if (pr->counting) {
        pr->total++;
        return;
    }
    progress(pr, kind, prec, threads, k);
    int samples;
    double s = time_kernel(k, o, &samples);
    pr->done++;
    fprintf(o->out, "%s,%s,%d,%s,%s,%s,%d,%d,%d,%.6g,%.6g,%d,%.6e\n", kind, prec, threads,
            k->pool ? "cold" : "warm", k->ta ? "T" : "N", k->tb ? "T" : "N", k->m, k->n, k->k,
            flops, bytes, samples, s);
    fflush(o->out);
}

/* The value operand I of buffer WHICH (0: A, 1: B, 2: the cold pool) is meant to hold: small
 * multiples of 1/4 and 1/2, exact in either precision, never subnormal. C starts at 0. */
static double operand_value(int which, size_t i)
{
    return which == 0   ? (double)(i % 7) * 0.25
           : which == 1 ? (double)(i % 5) * 0.5
                        : (double)(i % 3) * 0.25;
}

/* Fill A, B, C and the cold pool for kernels that read them in precision PREC, unless they hold
 * it already. The pool is read as operands of both precisions, so it is refilled too. */
static void fill_operands(struct kernel *k, char prec)
{
    if (k->filled == prec || k->prog->counting)
        return;
    size_t n = prec == 's' ? 2 * k->elems : k->elems;
    size_t n_pool = k->pool_bytes / (prec == 's' ? 4 : 8);
    for (int which = 0; which < 3; which++) {
        void *buf = which == 0 ? k->a : which == 1 ? k->b : k->pool;
        size_t len = which == 2 ? n_pool : n;
        for (size_t i = 0; i < len; i++) {
            if (prec == 's')
                ((float *)buf)[i] = (float)operand_value(which, i);
            else
                ((double *)buf)[i] = operand_value(which, i);
        }
    }
    memset(k->c, 0, k->elems * 8);
    k->filled = prec;
}

static void gemm_point(const struct opts *o, struct kernel *k, int threads, char prec, int ta,
                       int tb, int m, int n, int kk)
{
    double e = prec == 's' ? 4.0 : 8.0;
    k->run = run_gemm;
    k->prec = prec;
    k->ta = ta;
    k->tb = tb;
    k->m = m;
    k->n = n;
    k->k = kk;
    double flops = 2.0 * m * (double)n * kk;
    double bytes = e * ((double)m * kk + (double)kk * n + (double)m * n);
    fill_operands(k, prec);
    unsigned char *pool = k->pool;
    k->pool = NULL;
    emit(o, "gemm", prec == 's' ? "fp32" : "fp64", threads, k, flops, bytes);
    k->pool = pool;
    k->footprint = (size_t)bytes;
    k->n_slots = k->pool_bytes / k->footprint;
    k->slot = 0;
    if (pool && k->n_slots >= 1)
        emit(o, "gemm", prec == 's' ? "fp32" : "fp64", threads, k, flops, bytes);
}

/* The MNIST MLP 784-n-n-10 at batch 128, row-major as validate/train_mlp.c runs it:
 * forward Y = X W (W in x out), input gradient dX = dY W^T, weight gradient dW = X^T dY. */
static void mlp_shapes(const struct opts *o, struct kernel *k, int threads, int n)
{
    const int b = 128, in0 = 784, out = 10;
    gemm_point(o, k, threads, 's', 0, 0, b, n, in0);
    gemm_point(o, k, threads, 's', 0, 0, b, n, n);
    gemm_point(o, k, threads, 's', 0, 0, b, out, n);
    gemm_point(o, k, threads, 's', 0, 1, b, n, out);
    gemm_point(o, k, threads, 's', 0, 1, b, n, n);
    gemm_point(o, k, threads, 's', 1, 0, n, out, b);
    gemm_point(o, k, threads, 's', 1, 0, n, n, b);
    gemm_point(o, k, threads, 's', 1, 0, in0, n, b);
}

/* GPT-2 small (hidden 768, 1024 tokens): QKV, output projection, the two MLP GEMMs. */
static void transformer_shapes(const struct opts *o, struct kernel *k, int threads)
{
    static const int shapes[][3] = {
        {1024, 2304, 768}, {1024, 768, 768}, {1024, 3072, 768}, {1024, 768, 3072}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        gemm_point(o, k, threads, 's', 0, 0, shapes[i][0], shapes[i][1], shapes[i][2]);
}

static void sweep(const struct opts *o, struct kernel *k, int threads)
{
    int max_sq = o->quick ? 1024 : 4096;
    if (!k->prog->counting)
        openblas_set_num_threads(threads);
    for (int p = 0; p < 2; p++) {
        for (int s = 16; s <= max_sq; s *= 2) {
            gemm_point(o, k, threads, p ? 'd' : 's', 0, 0, s, s, s);
            if (s >= 32 && s < max_sq)
                gemm_point(o, k, threads, p ? 'd' : 's', 0, 0, s * 3 / 2, s * 3 / 2, s * 3 / 2);
        }
    }
    for (int n = 16; n <= (o->quick ? 2048 : 4096); n *= 2)
        mlp_shapes(o, k, threads, n);
    if (!o->quick)
        transformer_shapes(o, k, threads);
}

/* The triad (12 bytes an element: read b and c, write a) and the update (20) on one thread, from
 * 12 KiB to 384 MiB (the update: 20 KiB to 640 MiB), doubling, so the steps from L1 to L2, L3
 * and DRAM show; --quick measures the same sizes with shorter samples. */
static void stream(const struct opts *o, struct kernel *k)
{
    k->ta = k->tb = 0;
    k->m = k->n = k->k = 0;
    fill_operands(k, 's');
    unsigned char *pool = k->pool;
    k->pool = NULL; /* streams are warm: the same arrays pass after pass */
    for (int u = 0; u < 2; u++) {
        k->run = u ? run_update : run_triad;
        for (long len = STREAM_MIN_LEN; len <= STREAM_MAX_LEN; len *= 2) {
            k->len = len;
            double per = u ? 20.0 : 12.0;
            emit(o, u ? "update" : "triad", "fp32", 1, k, (u ? 6.0 : 2.0) * (double)len,
                 per * (double)len);
        }
    }
    k->filled = 0; /* the streams wrote into A and C */
    k->pool = pool;
}

/* Every operand as the kernels read it: the fill's value, and never subnormal. */
static int check_buffer(const struct kernel *k, int which, char prec)
{
    const void *buf = which == 0 ? k->a : which == 1 ? k->b : k->pool;
    size_t len = which == 2 ? k->pool_bytes / (prec == 's' ? 4 : 8)
                            : (prec == 's' ? 2 * k->elems : k->elems);
    size_t bad = 0, subnormal = 0;
    for (size_t i = 0; i < len; i++) {
        double v = prec == 's' ? (double)((const float *)buf)[i] : ((const double *)buf)[i];
        subnormal += fpclassify(v) == FP_SUBNORMAL;
        bad += v != operand_value(which, i);
    }
    printf("%s %s: %zu values, %zu subnormal, %zu not as intended\n", prec == 's' ? "fp32" : "fp64",
           which == 0   ? "A"
           : which == 1 ? "B"
                        : "cold pool",
           len, subnormal, bad);
    return subnormal == 0 && bad == 0;
}

/* --check-data: fill for fp32, then fp64, then fp32 again (as a sweep does) and check every
 * operand each time, and that one DGEMM of them gives the sum a hand can do. */
static int check_data(struct kernel *k)
{
    static const char order[] = {'s', 'd', 's'};
    int ok = 1;
    for (size_t p = 0; p < sizeof order; p++) {
        fill_operands(k, order[p]);
        for (int which = 0; which < 3; which++)
            ok &= check_buffer(k, which, order[p]);
    }
    /* C = A B with A 1 x 7 (0, 0.25, ..., 1.5) and B 7 x 1 (0, 0.5, 1, 1.5, 2, 0, 0.5) read from
     * the fp64 fill: 0.25 x 0.5 + 0.5 x 1 + 0.75 x 1.5 + 1 x 2 + 1.25 x 0 + 1.5 x 0.5 = 4.5. */
    fill_operands(k, 'd');
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 7, 1.0, k->a, 7, k->b, 1, 0.0,
                k->c, 1);
    double c = ((const double *)k->c)[0];
    printf("fp64 1x7 by 7x1 GEMM: %g (by hand 4.5)\n", c);
    ok &= c == 4.5;
    printf("%s\n", ok ? "operands: ok" : "operands: WRONG");
    return ok;
}

static int parse(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            o->quick = 1;
        } else if (strcmp(argv[i], "--check-data") == 0) {
            o->check_data = 1;
        } else if (strcmp(argv[i], "--once") == 0) {
            o->once = 1;
        } else if (strcmp(argv[i], "--cpu-time") == 0) {
            o->clock = CLOCK_THREAD_CPUTIME_ID;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            long v = strtol(argv[++i], &end, 10);
            if (errno || *end || v < 1 || v > 1024)
                return -1;
            o->threads = (int)v;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            o->out = fopen(argv[++i], "w");
            if (!o->out) {
                perror(argv[i]);
                return -1;
            }
        } else {
            return -1;
        }
    }
    return 0;
}

/* The sweep, once to count its points and once to measure them. */
static void run_all(const struct opts *o, struct kernel *k, int all)
{
    for (int pass = 0; pass < 2; pass++) {
        k->prog->counting = pass == 0;
        stream(o, k);
        sweep(o, k, 1);
        if (all > 1)
            sweep(o, k, all);
    }
    if (k->prog->tty)
        fprintf(stderr, "\r\033[K");
    fprintf(stderr, "bench_cpu: [%ld/%ld] done in %.0f s\n", k->prog->done, k->prog->total,
            now_s() - k->prog->start_s);
}

int main(int argc, char **argv)
{
    struct opts o = {0, 0, 0, 0, CLOCK_MONOTONIC, 0.02, 0.3, stdout};
    int parsed = parse(argc, argv, &o);
    if (parsed == 0 && o.clock == CLOCK_THREAD_CPUTIME_ID && o.threads != 1) {
        fprintf(stderr, "bench_cpu: --cpu-time times one thread: it needs --threads 1\n");
        parsed = -1;
    }
    if (parsed < 0) {
        fprintf(stderr,
                "usage: bench_cpu [--quick] [--once] [--cpu-time] [--threads N] [-o FILE] | "
                "--check-data\n");
        return 2;
    }
    if (o.quick || o.check_data) {
        o.sample_s = 0.002;
        o.point_s = 0.02;
    }
    int all = o.threads ? o.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    /* GEMMs need 4096^2 doubles an operand (the quick sweep 2048^2 floats), streams 32 Mi
     * floats; --check-data checks a smaller fill */
    size_t gemm_elems = o.check_data ? (size_t)1 << 18
                        : o.quick    ? (size_t)1 << 21
                                     : (size_t)1 << 24;
    size_t stream_elems = (size_t)STREAM_MAX_LEN / 2;
    struct progress prog = {0, isatty(STDERR_FILENO), 0, 0, now_s(), ""};
    struct kernel k = {0};
    k.prog = &prog;
    k.elems = o.check_data ? gemm_elems : gemm_elems > stream_elems ? gemm_elems : stream_elems;
    k.pool_bytes = o.quick || o.check_data ? COLD_POOL_BYTES / 8 : COLD_POOL_BYTES;
    k.pool = malloc(k.pool_bytes);
    k.a = malloc(k.elems * 8);
    k.b = malloc(k.elems * 8);
    k.c = malloc(k.elems * 8);
    int rc = 0;
    if (!k.a || !k.b || !k.c || !k.pool) {
        fprintf(stderr, "bench_cpu: out of memory\n");
        rc = 1;
    } else if (o.check_data) {
        rc = check_data(&k) ? 0 : 1;
    } else {
        validate_machine_header(o.out, "bench_cpu", all);
        fprintf(o.out, "# blas: OpenBLAS %s\n", openblas_get_config());
        fprintf(o.out, "# cold gemm: operands rotated through %zu MiB; warm: the same operands\n",
                k.pool_bytes >> 20);
        fprintf(o.out, "# sweep: %s%s\n", o.quick ? "quick" : "full",
                o.once ? ", one timed call a point" : "");
        fprintf(o.out, "# timing: %s\n",
                o.clock == CLOCK_MONOTONIC ? "wall clock" : "thread CPU time (--cpu-time)");
        fprintf(o.out,
                "kind,precision,threads,cache,transa,transb,m,n,k,flops,bytes,samples,seconds\n");
        run_all(&o, &k, all);
    }
    free(k.a);
    free(k.b);
    free(k.c);
    free(k.pool);
    if (o.out != stdout && fclose(o.out) != 0) {
        perror("bench_cpu");
        rc = 1;
    }
    return rc;
}
