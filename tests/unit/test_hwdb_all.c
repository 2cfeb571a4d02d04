/* The whole hardware database: every file under hwdb/ loads with no diagnostics and has sources,
 * its numbers lie in plausible ranges for its kind (a TFLOPS typed where GFLOPS was meant fails),
 * its precisions agree with each other, and mu and eta of the deck's devices match figures worked
 * out by hand from datasheets (each in a comment). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/hwdb.h"
#include "mlsim/hwtable.h"

#include "check.h"

#define MAX_DEVICES 256

struct all {
    struct mlsim_device dev[MAX_DEVICES];
    size_t n;
    size_t n_files; /* *.yaml files found, loaded or not */
    int failed;     /* some file did not load cleanly (reported) */
};

/* Load every *.yaml file in hwdb/<sub>/ into A, printing each file's diagnostics. */
static void load_dir(struct all *a, const char *sub)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", MLSIM_TEST_HWDB, sub);
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0)
            continue;
        a->n_files++;
        if (a->n == MAX_DEVICES) {
            a->failed = 1;
            continue;
        }
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct mlsim_diags *d = mlsim_diags_alloc();
        enum mlsim_status st = mlsim_device_load(path, &a->dev[a->n], d);
        if (st != MLSIM_OK || mlsim_diags_count(d) > 0) {
            print_error("%s does not load cleanly:\n", path);
            mlsim_diags_print(d, stderr);
            a->failed = 1;
        } else {
            a->n++;
        }
        mlsim_diags_free(d);
    }
    closedir(dp);
}

static int is_kind(const char *name)
{
    for (int k = 0; mlsim_kind_names[k]; k++) {
        if (strcmp(mlsim_kind_names[k], name) == 0)
            return 1;
    }
    return 0;
}

static int setup(void **state)
{
    struct all *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    DIR *dp = opendir(MLSIM_TEST_HWDB);
    if (!dp) {
        free(a);
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (!is_kind(de->d_name)) {
            /* A file or folder the loader would never read is a mistake too. */
            fprintf(stderr, "hwdb/%s is not a kind folder (%s...)\n", de->d_name,
                    mlsim_kind_names[0]);
            a->failed = 1;
            continue;
        }
        load_dir(a, de->d_name);
    }
    closedir(dp);
    *state = a;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static const struct mlsim_device *by_id(const struct all *a, const char *id)
{
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->dev[i].id, id) == 0)
            return &a->dev[i];
    }
    print_error("device '%s' is not in the database\n", id);
    fail();
    return NULL;
}

/* Report DEV's FIELD = V unless LO <= V <= HI; returns 1 if in range. */
static int in_range(const struct mlsim_device *dev, const char *field, double v, double lo,
                    double hi)
{
    if (v >= lo && v <= hi)
        return 1;
    print_error("%s: %s = %g, outside the plausible range [%g, %g] for a %s\n", dev->path, field, v,
                lo, hi, mlsim_kind_names[dev->kind]);
    return 0;
}

static void test_every_file_loads(void **state)
{
    const struct all *a = *state;
    assert_false(a->failed);
    assert_int_equal(a->n, a->n_files);
    /* The issue asks for at least 40 devices. */
    assert_true(a->n >= 40);
}

static void test_every_file_has_sources(void **state)
{
    const struct all *a = *state;
    int ok = 1;
    for (size_t i = 0; i < a->n; i++) {
        const struct mlsim_device *dev = &a->dev[i];
        if (dev->n_sources == 0) {
            print_error("%s: no sources\n", dev->path);
            ok = 0;
        }
        for (int s = 0; s < dev->n_sources; s++) {
            if (dev->sources[s].cite[0] == '\0' || dev->sources[s].n_covers == 0) {
                print_error("%s: source %d has no cite or no 'for'\n", dev->path, s + 1);
                ok = 0;
            }
        }
    }
    assert_true(ok);
}

/* The plausible range of a device's fp32 peak per kind, FLOP/s: a GPU between 0.1 and 200 TFLOP/s
 * (a 2014 K80 gives 8.7, a 2024 B200 80), a CPU socket between 10 GFLOP/s (a laptop chip) and
 * 20 TFLOP/s (a 96-core EPYC gives about 7). */
static int fp32_plausible(const struct mlsim_device *dev)
{
    double v = dev->peak_flops[MLSIM_PRECISION_FP32];
    if (v <= 0)
        return 1;
    if (dev->kind == MLSIM_KIND_GPU)
        return in_range(dev, "peak.fp32", v, 0.1e12, 200e12);
    if (dev->kind == MLSIM_KIND_CPU)
        return in_range(dev, "peak.fp32", v, 10e9, 20e12);
    return 1;
}

/* Every dense or sparse peak of one device (not a whole system): at least 1 GFLOP/s, at most
 * 10 PFLOP/s (B200's fp8 is 4.5 PFLOP/s dense), except a wafer-scale sparse headline (WSE-3,
 * 125 PFLOP/s), kept under 1 EFLOP/s. A system's peak (Rpeak) lies between 1 TFLOP/s and
 * 10 EFLOP/s. */
static int peaks_plausible(const struct mlsim_device *dev)
{
    int ok = 1;
    for (int p = 0; p < MLSIM_PRECISION_N; p++) {
        double dense = dev->peak_flops[p], sparse = dev->peak_sparse_flops[p];
        if (dense > 0 && dev->kind == MLSIM_KIND_SYSTEM)
            ok &= in_range(dev, mlsim_precision_names[p], dense, 1e12, 1e19);
        else if (dense > 0)
            ok &= in_range(dev, mlsim_precision_names[p], dense, 1e9, 1e16);
        if (sparse > 0)
            ok &= in_range(dev, mlsim_precision_names[p], sparse, 1e9, 1e18);
    }
    return ok;
}

/* Memory: on a device 100 MB (Groq's on-chip SRAM) to 2 TB (an M2 Ultra's 192 GB; a CPU socket's
 * DIMMs are not the device's); bandwidth 1 GB/s to 100 PB/s (WSE-3's on-wafer SRAM is 21 PB/s;
 * a GPU between 100 GB/s and 20 TB/s). */
static int memory_plausible(const struct mlsim_device *dev)
{
    int ok = 1;
    if (dev->mem_bytes > 0)
        ok &= in_range(dev, "memory.capacity", dev->mem_bytes, 100e6, 2e12);
    if (dev->mem_bw_Bps > 0 && dev->kind == MLSIM_KIND_GPU)
        ok &= in_range(dev, "memory.bandwidth", dev->mem_bw_Bps, 100e9, 20e12);
    else if (dev->mem_bw_Bps > 0)
        ok &= in_range(dev, "memory.bandwidth", dev->mem_bw_Bps, 1e9, 100e15);
    if (dev->onchip_bytes > 0)
        ok &= in_range(dev, "memory.on_chip", dev->onchip_bytes, 1e3, 100e9);
    return ok;
}

/* Power, prices and dates: TDP 0.5 W (an Edge TPU is 2 W) to 30 kW (a wafer-scale system), a
 * system up to 100 MW; a purchase price $10 to $10M; a rental $0.01/h to $500/h per device; a year
 * 1990 to 2030. */
static int economics_plausible(const struct mlsim_device *dev)
{
    int ok = 1;
    int system = dev->kind == MLSIM_KIND_SYSTEM;
    if (dev->tdp_w > 0)
        ok &= in_range(dev, "power.tdp", dev->tdp_w, 0.5, system ? 100e6 : 30e3);
    if (dev->idle_w > 0)
        ok &= in_range(dev, "power.idle", dev->idle_w, 0.1, dev->tdp_w > 0 ? dev->tdp_w : 30e3);
    if (dev->price_usd > 0)
        ok &= in_range(dev, "price.purchase", dev->price_usd, 10, 10e6);
    if (dev->rental_usd_per_s > 0)
        ok &= in_range(dev, "price.rental (USD/h)", dev->rental_usd_per_s * 3600, 0.01, 500);
    ok &= in_range(dev, "year", dev->year, 1990, 2030);
    return ok;
}

static void test_plausible_ranges(void **state)
{
    const struct all *a = *state;
    int ok = 1;
    for (size_t i = 0; i < a->n; i++) {
        const struct mlsim_device *dev = &a->dev[i];
        ok &= fp32_plausible(dev);
        ok &= peaks_plausible(dev);
        ok &= memory_plausible(dev);
        ok &= economics_plausible(dev);
    }
    assert_true(ok);
}

static int fail_at(const struct mlsim_device *dev, const char *what)
{
    print_error("%s: %s\n", dev->path, what);
    return 0;
}

/* A GPU with tensor (or matrix) cores: NVIDIA from Volta (2017) on, AMD's Instinct MI parts. */
static int tensor_core_gpu(const struct mlsim_device *dev)
{
    return dev->kind == MLSIM_KIND_GPU && dev->year >= 2017;
}

static int consistent(const struct mlsim_device *dev)
{
    const double *pk = dev->peak_flops;
    double fp16 = pk[MLSIM_PRECISION_FP16], bf16 = pk[MLSIM_PRECISION_BF16];
    int ok = 1;
    if (tensor_core_gpu(dev) && fp16 > 0 && fp16 < pk[MLSIM_PRECISION_FP32])
        ok = fail_at(dev, "fp16 below fp32 on a tensor-core GPU (a vector rate, or a typo?)");
    if (fp16 > 0 && bf16 > 0 && (fp16 > 2 * bf16 || bf16 > 2 * fp16))
        ok = fail_at(dev, "fp16 and bf16 more than 2x apart");
    for (int p = 0; p < MLSIM_PRECISION_N; p++) {
        /* 2:4 sparsity doubles a dense rate at most. */
        double sp = dev->peak_sparse_flops[p];
        if (sp > 0 && pk[p] > 0 && (sp < pk[p] || sp > 2.0 * pk[p] * (1 + 1e-9)))
            ok = fail_at(dev, "a sparse peak is not between 1x and 2x its dense peak");
    }
    if (dev->rmax_flops > 0 && (dev->kind != MLSIM_KIND_SYSTEM || pk[MLSIM_PRECISION_FP64] <= 0 ||
                                dev->rmax_flops > pk[MLSIM_PRECISION_FP64]))
        ok = fail_at(dev, "rmax needs a system whose fp64 peak (Rpeak) is at least Rmax");
    /* a whole machine gives its LINPACK rmax; a system of nodes names its nodes' device instead */
    if (dev->kind == MLSIM_KIND_SYSTEM && dev->rmax_flops <= 0 && !dev->node.device[0])
        ok = fail_at(dev, "a system gives its measured LINPACK rmax or its nodes' device");
    if (dev->hashrate_sha256 > 0 && dev->kind != MLSIM_KIND_ASIC)
        ok = fail_at(dev, "a hash rate on a device that is not an ASIC");
    return ok;
}

static void test_consistency(void **state)
{
    const struct all *a = *state;
    int ok = 1;
    for (size_t i = 0; i < a->n; i++)
        ok &= consistent(&a->dev[i]);
    assert_true(ok);
}

/* A field's source is the first entry whose 'for' list names it or a prefix of it. */
static void test_source_of_a_field(void **state)
{
    const struct all *a = *state;
    const struct mlsim_device *dev = by_id(a, "a100-sxm4-80gb");
    assert_non_null(dev);
    const struct mlsim_source *cal = mlsim_device_source(dev, "calibration.gemm_efficiency");
    assert_non_null(cal);
    assert_non_null(strstr(cal->cite, "korthikanti2022_table4.yaml"));
    const struct mlsim_source *peak = mlsim_device_source(dev, "peak.fp16");
    assert_non_null(peak);
    assert_non_null(strstr(peak->cite, "Lockwood"));
    assert_null(mlsim_device_source(dev, "calibrationx"));
    assert_null(mlsim_device_source(dev, "hashrate"));
}

/* The deck's devices and the list are all there. */
static void test_required_devices(void **state)
{
    static const char *const ids[] = {"i7-6600u",
                                      "i7-9700k",
                                      "xeon-gold-6140",
                                      "k80",
                                      "p40",
                                      "t4",
                                      "v100-sxm2-16gb",
                                      "rtx-2070-super",
                                      "rtx-3080",
                                      "rtx-3090",
                                      "a100-pcie-40gb",
                                      "a100-sxm4-40gb",
                                      "a100-sxm4-80gb",
                                      "tpu-v1",
                                      "tpu-v2",
                                      "tpu-v3",
                                      "edge-tpu",
                                      "antminer-s7",
                                      "h100-sxm5-80gb",
                                      "h100-pcie-80gb",
                                      "h200-sxm-141gb",
                                      "b200",
                                      "gb200",
                                      "l4",
                                      "a10",
                                      "mi250x",
                                      "mi300x",
                                      "tpu-v4",
                                      "tpu-v5e",
                                      "tpu-v5p",
                                      "tpu-v6e",
                                      "gaudi2",
                                      "gaudi3",
                                      "trainium1",
                                      "trainium2",
                                      "groq-lpu",
                                      "cerebras-wse3",
                                      "epyc-9654",
                                      "xeon-platinum-8480p",
                                      "apple-m2-ultra",
                                      "bluegene-l"};
    const struct all *a = *state;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        assert_non_null(by_id(a, ids[i]));
}

/* Issue 15's networks: each multi-chip system names a device of the database and one of that
 * device's links, and the per-direction figures are the datasheets' (by hand in each comment). */
static void test_networks(void **state)
{
    static const struct {
        const char *id;
        double link_each_Bps; /* the node link, per direction */
        double net_each_Bps;  /* per node, per direction; 0: one ICI / NVLink domain */
    } sys[] = {
        {"hls-gaudi2", 21 * 100e9 / 8, 8 * 3 * 100e9 / 8}, /* 21 scale-up, 3 scale-out x 100 GbE */
        {"hls-gaudi3", 21 * 200e9 / 8, 8 * 3 * 200e9 / 8}, /* the same ports at 200 GbE */
        {"h800-ib-cluster", 400e9 / 2, 8 * 400e9 / 8},     /* NVLink 400 GB/s two-way; 8 CX-7 */
        {"dgx-b200", 1.8e12 / 2, 8 * 400e9 / 8},           /* NVLink 5 1.8 TB/s; 8 CX-7 */
        {"gb200-nvl72", 1.8e12 / 2, 0},                    /* 72 GPUs, one NVLink domain */
        {"mi300x-roce", 7 * 128e9 / 2, 8 * 400e9 / 8},     /* 7 IF links of 128 GB/s two-way */
        /* TPUs: one ICI link each way, 4 or 6 a chip; DCN per slice: v5e 32 hosts x 2 x 100
         * Gb/s, v5p 6,144 chips x 50 Gb/s */
        {"tpu-v5e-pod", 400e9 / 2 / 4, 32 * 200e9 / 8},   /* 400 GB/s two-way over 4 ports */
        {"tpu-v5p-pod", 1200e9 / 2 / 6, 6144 * 50e9 / 8}, /* 1200 GB/s two-way over 6 */
        {"tpu-v6e-pod", 800e9 / 2 / 4, 0},                /* 800 GB/s two-way over 4 ports */
    };
    const struct all *a = *state;
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++) {
        const struct mlsim_device *s = by_id(a, sys[i].id);
        assert_non_null(s);
        const struct mlsim_device *dev = by_id(a, s->node.device);
        assert_non_null(dev);
        const struct mlsim_link *l = NULL;
        for (int k = 0; k < dev->n_links; k++) {
            if (strcmp(dev->links[k].name, s->node.link) == 0)
                l = &dev->links[k];
        }
        assert_non_null(l);
        assert_rel(l->bw_each_Bps, sys[i].link_each_Bps, 1e-12);
        assert_rel(s->network.bw_each_Bps, sys[i].net_each_Bps, 1e-12);
    }
}

/* Every device with a GEMM measurement in the development set is calibrated from it; those with
 * only a best shape carry it as a flagged ceiling: MAMF TFLOP/s over the file's peak, by hand. */
static void test_gemm_calibration(void **state)
{
    static const struct {
        const char *id;
        double eff;
        int ceiling;
    } cal[] = {
        {"mi300x", 668.4 / 1307.4, 1},
        {"gaudi3", 1243.0 / 1835.0, 1},
        {"a100-pcie-40gb", 252.9 / 312, 1},
        /* fitted to sweeps (test_calibrate.py holds the values): not flagged, with a falloff */
        {"h100-sxm5-80gb", 0, 0},
        {"b200", 0, 0},
        {"h200-sxm-141gb", 0, 0},
        {"h800-sxm5-80gb", 0, 0},
        {"gb200", 0, 0},   /* the B200's, carried (checked by b200_runs.yaml) */
        {"gaudi2", -1, 0}, /* fitted to whole runs (test_calibrate.py): no falloff, no fp8 */
    };
    const struct all *a = *state;
    for (size_t i = 0; i < sizeof cal / sizeof cal[0]; i++) {
        const struct mlsim_device *d = by_id(a, cal[i].id);
        assert_non_null(d);
        assert_true(d->calibration.gemm_efficiency > 0);
        assert_int_equal(d->calibration.gemm_ceiling == MLSIM_BOOL_TRUE, cal[i].ceiling);
        if (cal[i].ceiling)
            assert_near(d->calibration.gemm_efficiency, cal[i].eff, 5e-4);
        else if (cal[i].eff == 0) /* fitted to sweeps: a falloff and an fp8 figure */
            assert_true(d->calibration.gemm_half_m > 0 && d->calibration.fp8_gemm_efficiency > 0);
        else /* fitted to whole runs: a standard error */
            assert_true(d->calibration.gemm_efficiency_se > 0);
    }
}

static struct mlsim_hwtable_row row_at(const struct mlsim_device *dev, int p)
{
    struct mlsim_hwtable_row row;
    mlsim_hwtable_row_fill(&row, dev, p);
    return row;
}

/* mu and eta of the deck's devices, by hand from the datasheets. */
static void test_golden_mu_eta(void **state)
{
    const struct all *a = *state;
    /* T4 datasheet: 65 TFLOPS mixed-precision FP16, 70 W:
     * eta = 65e12 / 70 = 0.9286e12 FLOP/s per W (0.929 TFLOP/s/W).
     * Rental $0.53/h (AWS g4dn.xlarge, 2022-08): mu = 65e12 / 0.53 = 122.6e12 per $/h. */
    struct mlsim_hwtable_row t4 = row_at(by_id(a, "t4"), MLSIM_PRECISION_FP16);
    assert_rel(t4.eta_w, 65e12 / 70.0, 1e-12);
    assert_rel(t4.eta_w, 0.92857e12, 1e-5);
    assert_rel(t4.mu_usd_h, 122.64e12, 1e-4);
    /* T4 fp32: 8.1 TFLOPS / 70 W = 115.7 GFLOP/s per W. */
    assert_rel(row_at(by_id(a, "t4"), MLSIM_PRECISION_FP32).eta_w, 115.71e9, 1e-4);
    /* A100 PCIe 40GB: 312 TFLOPS dense FP16 tensor (datasheet), $8,009.99 (the deck's Amazon
     * listing): mu = 312e12 / 8009.99 = 38.95e9 FLOP/s per $; 250 W: eta = 1.248e12 per W. */
    struct mlsim_hwtable_row a100 = row_at(by_id(a, "a100-pcie-40gb"), MLSIM_PRECISION_FP16);
    assert_rel(a100.mu_usd, 38.951e9, 1e-4);
    assert_rel(a100.eta_w, 1.248e12, 1e-9);
    /* Tesla K80 (the deck's TPU-vs-GPU slide): 8.74 TFLOPS FP32 (boost, both GPUs), 300 W:
     * eta = 29.13 GFLOP/s per W. */
    assert_rel(row_at(by_id(a, "k80"), MLSIM_PRECISION_FP32).eta_w, 29.133e9, 1e-4);
    /* V100 SXM2: 125 TFLOPS tensor, 300 W: eta = 416.7 GFLOP/s per W. */
    assert_rel(row_at(by_id(a, "v100-sxm2-16gb"), MLSIM_PRECISION_FP16).eta_w, 416.67e9, 1e-4);
    /* TPU v4: 275 TFLOPS bf16 (Google Cloud docs) at its ~340 W TDP estimate: 808.8 GFLOP/s/W. */
    assert_rel(row_at(by_id(a, "tpu-v4"), MLSIM_PRECISION_BF16).eta_w, 808.82e9, 1e-4);
    /* AntMiner S7 (deck): 4.8 TH/s at 1,210 W, the deck's 0.25 W/GH: eta = 3.967e9 H/s per W,
     * and $479.95: mu = 10.0e9 H/s per $. A hash rate, never FLOPs. */
    struct mlsim_hwtable_row s7 = row_at(by_id(a, "antminer-s7"), MLSIM_HWTABLE_HEADLINE);
    assert_int_equal(s7.basis, MLSIM_HWTABLE_HASH);
    assert_rel(s7.eta_w, 3.9669e9, 1e-4);
    assert_rel(1.0 / (s7.eta_w / 1e9), 0.252, 1e-2); /* W per GH/s */
    assert_rel(s7.mu_usd, 10.001e9, 1e-4);
    /* BlueGene/L, Top500 June 2007: Rpeak 367 TFLOP/s over 1,433 kW = 256.1 MFLOP/s per W;
     * Rmax 280.6 TFLOP/s is 76.5% of Rpeak. */
    const struct mlsim_device *bgl = by_id(a, "bluegene-l");
    struct mlsim_hwtable_row bg = row_at(bgl, MLSIM_HWTABLE_HEADLINE);
    assert_int_equal(bg.precision, MLSIM_PRECISION_FP64);
    assert_rel(bg.eta_w, 256.11e6, 1e-4);
    assert_rel(bgl->rmax_flops / bgl->peak_flops[MLSIM_PRECISION_FP64], 0.7646, 1e-3);
    /* Cerebras WSE-3: 125 PFLOPS is a sparse headline, never a dense peak. */
    const struct mlsim_device *wse3 = by_id(a, "cerebras-wse3");
    assert_near(wse3->peak_flops[MLSIM_PRECISION_FP16], 0.0, 0.0);
    struct mlsim_hwtable_row w = row_at(wse3, MLSIM_HWTABLE_HEADLINE);
    assert_int_equal(w.basis, MLSIM_HWTABLE_SPARSE);
    assert_near(w.peak, 125e15, 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_file_loads),  cmocka_unit_test(test_every_file_has_sources),
        cmocka_unit_test(test_plausible_ranges),  cmocka_unit_test(test_consistency),
        cmocka_unit_test(test_required_devices),  cmocka_unit_test(test_golden_mu_eta),
        cmocka_unit_test(test_source_of_a_field), cmocka_unit_test(test_networks),
        cmocka_unit_test(test_gemm_calibration),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
