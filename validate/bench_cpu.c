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
 *
 *   bench_cpu [--quick] [--threads N] [-o FILE]
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

/* Cold GEMMs rotate through this many bytes: 16 times the 32 MB L3 of one Zen 5 core complex
 * and 5 times the 105 MB of a Xeon 8480+, so an operand is evicted before it comes round again. */
#define COLD_POOL_BYTES ((size_t)512 << 20)

struct opts {
    int quick;
    int threads;
    double sample_s; /* wall time of one sample */
    double point_s;  /* time budget of one point (fewer samples for big kernels, at least 3) */
    FILE *out;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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
    double t0 = now_s();
    k->run(k, 1);
    double one = now_s() - t0;
    while (one * (double)calls < o->sample_s && calls < (1L << 30))
        calls *= 2;
    k->run(k, calls); /* warm caches, threads and clocks at the batch size */
    double per_sample = one * (double)calls;
    int n = (int)(o->point_s / (per_sample > 1e-9 ? per_sample : 1e-9));
    n = n < 3 ? 3 : n > MAX_SAMPLES ? MAX_SAMPLES : n;
    double t[MAX_SAMPLES] = {0};
    for (int i = 0; i < n; i++) {
        t0 = now_s();
        k->run(k, calls);
        t[i] = (now_s() - t0) / (double)calls;
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    *samples = n;
    return t[n / 2];
}

static void emit(const struct opts *o, const char *kind, const char *prec, int threads,
                 struct kernel *k, double flops, double bytes)
{
    int samples;
    double s = time_kernel(k, o, &samples);
    fprintf(o->out, "%s,%s,%d,%s,%s,%s,%d,%d,%d,%.6g,%.6g,%d,%.6e\n", kind, prec, threads,
            k->pool ? "cold" : "warm", k->ta ? "T" : "N", k->tb ? "T" : "N", k->m, k->n, k->k,
            flops, bytes, samples, s);
    fflush(o->out);
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
    int max_sq = o->quick ? 512 : 4096;
    openblas_set_num_threads(threads);
    for (int p = 0; p < 2; p++) {
        for (int s = 16; s <= max_sq; s *= 2) {
            gemm_point(o, k, threads, p ? 'd' : 's', 0, 0, s, s, s);
            if (s >= 32 && s < max_sq)
                gemm_point(o, k, threads, p ? 'd' : 's', 0, 0, s * 3 / 2, s * 3 / 2, s * 3 / 2);
        }
    }
    for (int n = 16; n <= (o->quick ? 256 : 4096); n *= 2)
        mlp_shapes(o, k, threads, n);
    if (!o->quick)
        transformer_shapes(o, k, threads);
}

/* The triad (12 bytes an element: read b and c, write a) and the update (20) on one thread, from
 * 4 KiB to 384 MiB, doubling, so the steps from L1 to L2, L3 and DRAM show. */
static void stream(const struct opts *o, struct kernel *k)
{
    long max_len = o->quick ? 1L << 20 : 1L << 25;
    k->ta = k->tb = 0;
    k->m = k->n = k->k = 0;
    unsigned char *pool = k->pool;
    k->pool = NULL; /* streams are warm: the same arrays pass after pass */
    for (int u = 0; u < 2; u++) {
        k->run = u ? run_update : run_triad;
        for (long len = 1L << 10; len <= max_len; len *= 2) {
            k->len = len;
            double per = u ? 20.0 : 12.0;
            emit(o, u ? "update" : "triad", "fp32", 1, k, (u ? 6.0 : 2.0) * (double)len,
                 per * (double)len);
        }
    }
    k->pool = pool;
}

static int parse(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            o->quick = 1;
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

int main(int argc, char **argv)
{
    struct opts o = {0, 0, 0.02, 0.3, stdout};
    if (parse(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: bench_cpu [--quick] [--threads N] [-o FILE]\n");
        return 2;
    }
    if (o.quick) {
        o.sample_s = 0.002;
        o.point_s = 0.02;
    }
    int all = o.threads ? o.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    size_t max_elems = o.quick ? (size_t)1 << 20 : (size_t)1 << 25; /* 4096^2 x 2 doubles */
    struct kernel k = {0};
    size_t pool_bytes = o.quick ? COLD_POOL_BYTES / 8 : COLD_POOL_BYTES;
    float *pool = malloc(pool_bytes);
    k.a = malloc(max_elems * 8);
    k.b = malloc(max_elems * 8);
    k.c = malloc(max_elems * 8);
    if (!k.a || !k.b || !k.c || !pool) {
        fprintf(stderr, "bench_cpu: out of memory\n");
        free(k.a);
        free(k.b);
        free(k.c);
        free(pool);
        return 1;
    }
    for (size_t i = 0; i < pool_bytes / sizeof *pool; i++)
        pool[i] = (float)(i % 3) * 0.25f;
    k.pool = (unsigned char *)pool;
    k.pool_bytes = pool_bytes;
    for (size_t i = 0; i < max_elems * 2; i++) {
        ((float *)k.a)[i] = (float)(i % 7) * 0.25f;
        ((float *)k.b)[i] = (float)(i % 5) * 0.5f;
        ((float *)k.c)[i] = 0.0f;
    }
    validate_machine_header(o.out, "bench_cpu", all);
    fprintf(o.out, "# blas: OpenBLAS %s\n", openblas_get_config());
    fprintf(o.out, "# cold gemm: operands rotated through %zu MiB; warm: the same operands\n",
            pool_bytes >> 20);
    fprintf(o.out,
            "kind,precision,threads,cache,transa,transb,m,n,k,flops,bytes,samples,seconds\n");
    stream(&o, &k);
    sweep(&o, &k, 1);
    if (all > 1)
        sweep(&o, &k, all);
    free(k.a);
    free(k.b);
    free(k.c);
    free(k.pool);
    if (o.out != stdout)
        fclose(o.out);
    return 0;
}
