/*
 * GPU kernel benchmark for `mlsim calibrate`, the CUDA counterpart of bench_cpu.c: cuBLAS GEMMs
 * (fp32, tf32, fp16 and bf16 with fp32 accumulation; fp8 through cuBLASLt is not measured yet)
 * over square sizes from 16 to 8192 and the shapes a training step uses (the MNIST MLP at batch 128
 * and GPT-2-small projections), timed with CUDA events; a device-memory stream (the triad);
 * host-to-device copy bandwidth from pageable and pinned memory; and the latency of launching an
 * empty kernel and of a launch waited for. These are the costs that make a GPU lose on a small
 * network. Each point: warm-up, then samples of enough back-to-back calls to last about 20 ms; the
 * median per-call time is written as CSV in bench_cpu's columns, '#' lines naming the device, the
 * driver, the runtime and the date.
 *
 *   bench_gpu [--quick] [-o FILE]        (validate/run_gpu_sweep.sh runs the whole sweep)
 */
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SAMPLES  7
#define SAMPLE_S 0.02

#define CHECK(call)                                                                                \
    do {                                                                                           \
        cudaError_t err_ = (call);                                                                 \
        if (err_ != cudaSuccess) {                                                                 \
            fprintf(stderr, "bench_gpu: %s: %s\n", #call, cudaGetErrorString(err_));               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_BLAS(call)                                                                           \
    do {                                                                                           \
        cublasStatus_t st_ = (call);                                                               \
        if (st_ != CUBLAS_STATUS_SUCCESS) {                                                        \
            fprintf(stderr, "bench_gpu: %s: cuBLAS status %d\n", #call, (int)st_);                 \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

struct precision {
    const char *name;
    cudaDataType_t ab; /* inputs */
    cudaDataType_t c;  /* output */
    cublasComputeType_t compute;
    double elem; /* bytes per input element */
};

static const struct precision precisions[] = {
    {"fp32", CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, 4},
    {"tf32", CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, 4},
    {"fp16", CUDA_R_16F, CUDA_R_16F, CUBLAS_COMPUTE_32F, 2},
    {"bf16", CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, 2},
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static FILE *out;
static cublasHandle_t blas;
static cudaEvent_t ev0, ev1;

/* The work being timed: CALLS back to back on the default stream. */
struct work {
    void (*run)(const struct work *w, long calls);
    const struct precision *p;
    int m, n, k;
    void *a, *b, *c;
    float *x, *y, *z;
    size_t len;
    void *host;
};

/* Seconds per call: median of SAMPLES samples of enough calls to last SAMPLE_S. */
static double time_per_call(const struct work *w, int *samples)
{
    w->run(w, 1); /* warm-up */
    CHECK(cudaDeviceSynchronize());
    long calls = 1;
    float ms = 0;
    for (;;) {
        CHECK(cudaEventRecord(ev0));
        w->run(w, calls);
        CHECK(cudaEventRecord(ev1));
        CHECK(cudaEventSynchronize(ev1));
        CHECK(cudaEventElapsedTime(&ms, ev0, ev1));
        if (ms * 1e-3 >= SAMPLE_S / 4 || calls >= (1L << 20))
            break;
        calls *= 2;
    }
    if (ms > 0 && ms * 1e-3 < SAMPLE_S)
        calls = (long)((double)calls * SAMPLE_S / (ms * 1e-3)) + 1;
    double t[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
        CHECK(cudaEventRecord(ev0));
        w->run(w, calls);
        CHECK(cudaEventRecord(ev1));
        CHECK(cudaEventSynchronize(ev1));
        CHECK(cudaEventElapsedTime(&ms, ev0, ev1));
        t[i] = ms * 1e-3 / (double)calls;
    }
    qsort(t, SAMPLES, sizeof t[0], cmp_double);
    *samples = SAMPLES;
    return t[SAMPLES / 2];
}

static void emit(const char *kind, const char *prec, const char *ta, const char *tb, int m, int n,
                 int k, double flops, double bytes, const struct work *w)
{
    int samples = 0;
    double s = time_per_call(w, &samples);
    fprintf(out, "%s,%s,1,warm,%s,%s,%d,%d,%d,%.6e,%.6e,%d,%.6e\n", kind, prec, ta, tb, m, n, k,
            flops, bytes, samples, s);
    fflush(out);
}

/* ---- GEMM: C (m x n) = A (m x k) B (k x n), row-major as the trainer and bench_cpu store them,
 * called as cuBLAS's column-major C^T = B^T A^T. ---- */

static void run_gemm(const struct work *w, long calls)
{
    const float one = 1.0f, zero = 0.0f;
    for (long i = 0; i < calls; i++)
        CHECK_BLAS(cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, w->n, w->m, w->k, &one, w->b,
                                w->p->ab, w->n, w->a, w->p->ab, w->k, &zero, w->c, w->p->c, w->n,
                                w->p->compute, CUBLAS_GEMM_DEFAULT));
}

static void gemm_point(const struct precision *p, int m, int n, int k)
{
    struct work w;
    memset(&w, 0, sizeof w);
    w.run = run_gemm;
    w.p = p;
    w.m = m;
    w.n = n;
    w.k = k;
    size_t sa = (size_t)m * (size_t)k, sb = (size_t)k * (size_t)n, sc = (size_t)m * (size_t)n;
    CHECK(cudaMalloc(&w.a, sa * 4));
    CHECK(cudaMalloc(&w.b, sb * 4));
    CHECK(cudaMalloc(&w.c, sc * 4));
    CHECK(cudaMemset(w.a, 0, sa * 4));
    CHECK(cudaMemset(w.b, 0, sb * 4));
    double flops = 2.0 * m * (double)n * k;
    double bytes = p->elem * ((double)sa + (double)sb + (double)sc);
    emit("gemm", p->name, "N", "N", m, n, k, flops, bytes, &w);
    CHECK(cudaFree(w.a));
    CHECK(cudaFree(w.b));
    CHECK(cudaFree(w.c));
}

/* ---- device-memory triad: a = b + s c ---- */

__global__ void triad_kernel(float *a, const float *b, const float *c, float s, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i < n; i += (size_t)gridDim.x * blockDim.x)
        a[i] = b[i] + s * c[i];
}

static void run_triad(const struct work *w, long calls)
{
    for (long i = 0; i < calls; i++)
        triad_kernel<<<1024, 256>>>(w->x, w->y, w->z, 3.0f, w->len);
    CHECK(cudaGetLastError());
}

/* ---- host to device copies ---- */

static void run_h2d(const struct work *w, long calls)
{
    for (long i = 0; i < calls; i++)
        CHECK(cudaMemcpyAsync(w->x, w->host, w->len, cudaMemcpyHostToDevice));
}

/* ---- launch latency ---- */

__global__ void empty_kernel(void)
{
}

static void run_launch(const struct work *w, long calls)
{
    (void)w;
    for (long i = 0; i < calls; i++)
        empty_kernel<<<1, 1>>>();
    CHECK(cudaGetLastError());
}

static void run_launch_sync(const struct work *w, long calls)
{
    (void)w;
    for (long i = 0; i < calls; i++) {
        empty_kernel<<<1, 1>>>();
        CHECK(cudaStreamSynchronize(0));
    }
}

static void header(int quick)
{
    cudaDeviceProp prop;
    int dev = 0, driver = 0, runtime = 0;
    CHECK(cudaGetDevice(&dev));
    CHECK(cudaGetDeviceProperties(&prop, dev));
    CHECK(cudaDriverGetVersion(&driver));
    CHECK(cudaRuntimeGetVersion(&runtime));
    int blas_version = 0;
    CHECK_BLAS(cublasGetVersion(blas, &blas_version));
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fprintf(out, "# tool: bench_gpu%s\n# date: %s\n# gpu: %s\n", quick ? " --quick" : "", date,
            prop.name);
    fprintf(out, "# compute capability: %d.%d, %d SMs, %.1f GiB\n", prop.major, prop.minor,
            prop.multiProcessorCount, (double)prop.totalGlobalMem / 1073741824.0);
    fprintf(out, "# cuda driver %d, runtime %d, cublas %d\n", driver, runtime, blas_version);
    fprintf(
        out,
        "# gemm rows: cublasGemmEx, fp32 accumulation; h2d: bytes copied; launch: empty kernel\n");
    fputs("kind,precision,threads,cache,transa,transb,m,n,k,flops,bytes,samples,seconds\n", out);
}

int main(int argc, char **argv)
{
    int quick = 0;
    out = stdout;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = fopen(argv[++i], "w");
            if (!out) {
                fprintf(stderr, "bench_gpu: cannot write %s\n", argv[i]);
                return 1;
            }
        } else {
            fprintf(stderr, "usage: bench_gpu [--quick] [-o FILE]\n");
            return 2;
        }
    }
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
        fprintf(stderr, "bench_gpu: no CUDA device\n");
        return 1;
    }
    CHECK_BLAS(cublasCreate(&blas));
    CHECK(cudaEventCreate(&ev0));
    CHECK(cudaEventCreate(&ev1));
    header(quick);

    int max_sq = quick ? 1024 : 8192;
    for (size_t p = 0; p < sizeof precisions / sizeof precisions[0]; p++) {
        for (int s = 16; s <= max_sq; s *= 2) {
            gemm_point(&precisions[p], s, s, s);
            if (s >= 32 && s < max_sq)
                gemm_point(&precisions[p], s * 3 / 2, s * 3 / 2, s * 3 / 2);
        }
        /* the MNIST MLP 784-n-n-10 at batch 128: forward GEMMs */
        for (int n = 16; n <= (quick ? 256 : 4096); n *= 2) {
            gemm_point(&precisions[p], 128, n, 784);
            gemm_point(&precisions[p], 128, n, n);
            gemm_point(&precisions[p], 128, 10, n);
        }
        /* GPT-2 small, 1024 tokens: QKV, output projection, the two MLP GEMMs */
        static const int gpt[][3] = {
            {1024, 2304, 768}, {1024, 768, 768}, {1024, 3072, 768}, {1024, 768, 3072}};
        for (size_t i = 0; i < sizeof gpt / sizeof gpt[0]; i++)
            gemm_point(&precisions[p], gpt[i][0], gpt[i][1], gpt[i][2]);
    }

    struct work w;
    memset(&w, 0, sizeof w);
    size_t max_len = quick ? (size_t)1 << 22 : (size_t)1 << 28;
    CHECK(cudaMalloc(&w.x, max_len * 4));
    CHECK(cudaMalloc(&w.y, max_len * 4));
    CHECK(cudaMalloc(&w.z, max_len * 4));
    CHECK(cudaMemset(w.y, 0, max_len * 4));
    CHECK(cudaMemset(w.z, 0, max_len * 4));
    w.run = run_triad;
    for (size_t len = (size_t)1 << 12; len <= max_len; len *= 4) {
        w.len = len;
        emit("triad", "fp32", "N", "N", 0, 0, 0, 2.0 * (double)len, 12.0 * (double)len, &w);
    }

    /* host to device: pageable, then pinned; the input batch of the MNIST MLP is 128 x 784 x 4 B */
    size_t max_bytes = quick ? (size_t)1 << 22 : (size_t)1 << 28;
    for (int pinned = 0; pinned < 2; pinned++) {
        if (pinned)
            CHECK(cudaMallocHost(&w.host, max_bytes));
        else
            w.host = calloc(1, max_bytes);
        w.run = run_h2d;
        for (size_t bytes = 4096; bytes <= max_bytes; bytes *= 4) {
            w.len = bytes;
            emit(pinned ? "h2d_pinned" : "h2d_pageable", "fp32", "N", "N", 0, 0, 0, 0,
                 (double)bytes, &w);
        }
        if (pinned)
            CHECK(cudaFreeHost(w.host));
        else
            free(w.host);
    }

    w.run = run_launch;
    emit("launch", "fp32", "N", "N", 0, 0, 0, 0, 0, &w);
    w.run = run_launch_sync;
    emit("launch_sync", "fp32", "N", "N", 0, 0, 0, 0, 0, &w);

    CHECK(cudaFree(w.x));
    CHECK(cudaFree(w.y));
    CHECK(cudaFree(w.z));
    cublasDestroy(blas);
    if (out != stdout)
        fclose(out);
    return 0;
}
