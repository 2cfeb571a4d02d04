/* Device files and the database: the shipped devices against their datasheets, and each check the
 * loader makes (sources, id and folder, required keys). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mlsim/hwdb.h"

#include "check.h"

static const struct mlsim_device *find(struct mlsim_hwdb *db, const char *id, struct mlsim_diags *d)
{
    const struct mlsim_device *dev = NULL;
    assert_int_equal(mlsim_hwdb_find(db, id, d, &dev), MLSIM_OK);
    assert_int_equal(mlsim_diags_count(d), 0);
    return dev;
}

static void test_a100_matches_datasheet(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(MLSIM_TEST_HWDB);
    const struct mlsim_device *a100 = find(db, "a100-sxm4-40gb", d);
    /* NVIDIA A100 datasheet: 312 TFLOPS dense FP16/BF16, 19.5 FP32, 40 GB at 1,555 GB/s, 400 W,
     * NVLink 600 GB/s two-way = 300 GB/s each way. */
    assert_near(a100->peak_flops[MLSIM_PRECISION_BF16], 312e12, 1.0);
    assert_near(a100->peak_flops[MLSIM_PRECISION_FP16], 312e12, 1.0);
    assert_near(a100->peak_flops[MLSIM_PRECISION_FP32], 19.5e12, 1.0);
    assert_near(a100->peak_flops[MLSIM_PRECISION_FP8], 0.0, 0.0);
    assert_near(a100->mem_bytes, 40e9, 1.0);
    assert_near(a100->mem_bw_Bps, 1555e9, 1.0);
    assert_near(a100->tdp_w, 400.0, 1e-9);
    assert_int_equal(a100->kind, MLSIM_KIND_GPU);
    assert_true(a100->n_links >= 1);
    assert_string_equal(a100->links[0].name, "nvlink3");
    assert_near(a100->links[0].bw_each_Bps, 300e9, 1.0);
    assert_true(a100->n_sources >= 1);
    /* cached: a second find returns the same object */
    const struct mlsim_device *again = find(db, "a100-sxm4-40gb", d);
    assert_ptr_equal(a100, again);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
}

static void test_every_kind_loads(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(MLSIM_TEST_HWDB);
    /* Google Cloud TPU v4 docs: 275 TFLOPS bf16, 32 GiB HBM. */
    const struct mlsim_device *tpu = find(db, "tpu-v4", d);
    assert_int_equal(tpu->kind, MLSIM_KIND_TPU);
    assert_near(tpu->peak_flops[MLSIM_PRECISION_BF16], 275e12, 1.0);
    assert_near(tpu->mem_bytes, 32.0 * 1073741824.0, 1.0);
    /* Xeon Gold 6140: 18 cores x 2.3 GHz x 32 FP64 FLOP/cycle = 1324.8 GFLOP/s. */
    const struct mlsim_device *cpu = find(db, "xeon-gold-6140", d);
    assert_int_equal(cpu->kind, MLSIM_KIND_CPU);
    assert_int_equal(cpu->cores, 18);
    assert_rel(cpu->peak_flops[MLSIM_PRECISION_FP64], 18 * 2.3e9 * 32, 1e-12);
    /* V100 datasheet: 125 TFLOPS tensor FP16, no BF16. */
    const struct mlsim_device *v100 = find(db, "v100-sxm2-32gb", d);
    assert_near(v100->peak_flops[MLSIM_PRECISION_FP16], 125e12, 1.0);
    assert_near(v100->peak_flops[MLSIM_PRECISION_BF16], 0.0, 0.0);
    /* H100 SXM: dense BF16 989.4 TFLOPS (the 1,979 headline is 2:4 sparse). */
    const struct mlsim_device *h100 = find(db, "h100-sxm5-80gb", d);
    assert_near(h100->peak_flops[MLSIM_PRECISION_BF16], 989.4e12, 1e3);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
}

static void test_list_sorted_and_unknown(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(MLSIM_TEST_HWDB);
    char **ids = NULL;
    size_t n = 0;
    assert_int_equal(mlsim_hwdb_list(db, &ids, &n), MLSIM_OK);
    assert_true(n >= 5);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(ids[i - 1], ids[i]) < 0);
    mlsim_hwdb_free_ids(ids, n);
    const struct mlsim_device *dev = NULL;
    assert_int_equal(mlsim_hwdb_find(db, "no-such-device", d, &dev), MLSIM_ERR_NOT_FOUND);
    /* an id is a file name, never a path */
    assert_int_equal(mlsim_hwdb_find(db, "../gpu/a100-sxm4-40gb", d, &dev), MLSIM_ERR_NOT_FOUND);
    assert_null(dev);
    assert_int_equal(mlsim_diags_count(d), 0);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
}

/* ---- broken device files, written to a temporary database ---- */

struct tmpdb {
    char root[64];
    char path[256];
};

static void write_device(struct tmpdb *t, const char *kind, const char *id, const char *text)
{
    char dir[96];
    snprintf(dir, sizeof dir, "%s/%s", t->root, kind);
    mkdir(dir, 0700);
    snprintf(t->path, sizeof t->path, "%s/%s.yaml", dir, id);
    FILE *f = fopen(t->path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup_tmp(void **state)
{
    static struct tmpdb t;
    snprintf(t.root, sizeof t.root, "/tmp/mlsim-hwdb-XXXXXX");
    if (!mkdtemp(t.root))
        return -1;
    *state = &t;
    return 0;
}

static int teardown_tmp(void **state)
{
    struct tmpdb *t = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
    return system(cmd) == 0 ? 0 : -1;
}

#define GOOD_HEAD "id: x1\nname: X One\nkind: gpu\nvendor: V\nyear: 2020\n"

static size_t load_errors(struct tmpdb *t, const char *kind, const char *id, const char *text,
                          struct mlsim_diags *d)
{
    struct mlsim_device dev;
    write_device(t, kind, id, text);
    enum mlsim_status st = mlsim_device_load(t->path, &dev, d);
    assert_true(st == MLSIM_OK || st == MLSIM_ERR_INPUT);
    assert_int_equal(st == MLSIM_OK, mlsim_diags_errors(d) == 0);
    return mlsim_diags_errors(d);
}

static int has_message(const struct mlsim_diags *d, const char *phrase)
{
    for (size_t i = 0; i < mlsim_diags_count(d); i++) {
        if (strstr(mlsim_diags_message(d, i), phrase))
            return 1;
    }
    return 0;
}

static void test_good_minimal_device(void **state)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    assert_int_equal(load_errors(*state, "gpu", "x1",
                                 GOOD_HEAD
                                 "peak: {fp32: 10 TFLOPS}\npower: {tdp: 100 W}\n"
                                 "sources:\n  - for: [peak, power, year]\n    cite: a datasheet\n",
                                 d),
                     0);
    mlsim_diags_free(d);
}

static void test_unsourced_number(void **state)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    assert_int_equal(load_errors(*state, "gpu", "x1",
                                 GOOD_HEAD
                                 "peak: {fp32: 10 TFLOPS}\npower: {tdp: 100 W}\n"
                                 "sources:\n  - for: [peak, year]\n    cite: a datasheet\n",
                                 d),
                     1);
    assert_true(has_message(d, "'power.tdp' has no source"));
    assert_int_equal(mlsim_diags_loc(d, 0).line, 7);
    mlsim_diags_free(d);
}

static void test_bad_cover_path_and_missing_cite(void **state)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    load_errors(*state, "gpu", "x1",
                GOOD_HEAD "peak: {fp32: 10 TFLOPS}\n"
                          "sources:\n  - for: [peek, year]\n  - for: [peak]\n    cite: c\n",
                d);
    assert_true(
        has_message(d, "'for' names 'peek', which is not a device field (did you mean 'peak'?)"));
    assert_true(has_message(d, "source is missing required key 'cite'"));
    mlsim_diags_free(d);
}

static void test_id_and_folder_must_match(void **state)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    load_errors(*state, "tpu", "x2",
                GOOD_HEAD "peak: {fp32: 10 TFLOPS}\nsources:\n  - for: [peak, year]\n    cite: c\n",
                d);
    assert_true(has_message(d, "id 'x1' does not match the file name 'x2.yaml'"));
    mlsim_diags_free(d);
    d = mlsim_diags_alloc();
    load_errors(*state, "tpu", "x1",
                GOOD_HEAD "peak: {fp32: 10 TFLOPS}\nsources:\n  - for: [peak, year]\n    cite: c\n",
                d);
    assert_true(has_message(d, "kind 'gpu' but the file is in the 'tpu' folder"));
    mlsim_diags_free(d);
}

static void test_required_and_rental_date(void **state)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    load_errors(
        *state, "gpu", "x1",
        "id: x1\nkind: gpu\nprice: {rental: $2/h}\nsources:\n  - for: [price]\n    cite: c\n", d);
    assert_true(has_message(d, "device is missing required key 'name'"));
    assert_true(has_message(d, "device is missing required key 'year'"));
    assert_true(has_message(d, "device has no 'peak' throughput"));
    assert_true(has_message(d, "a rental price needs 'price.rental_date'"));
    mlsim_diags_free(d);
}

static void test_link_direction(void **state)
{
    struct mlsim_diags *d = mlsim_diags_alloc();
    struct mlsim_device dev;
    write_device(
        *state, "gpu", "x1",
        GOOD_HEAD
        "peak: {fp32: 10 TFLOPS}\nlinks:\n"
        "  - {name: a, type: nvlink, bandwidth: 600 GB/s, direction: both_ways}\n"
        "  - {name: b, type: infiniband, bandwidth: 200 Gb/s, direction: each_way, latency: 1 us}\n"
        "  - {name: c, type: warp, bandwidth: 1 GB/s}\n"
        "sources:\n  - for: [peak, links, year]\n    cite: c\n");
    assert_int_equal(mlsim_device_load(((struct tmpdb *)*state)->path, &dev, d), MLSIM_ERR_INPUT);
    assert_true(has_message(d, "unknown value 'warp' for 'type'"));
    assert_true(has_message(d, "link is missing required key 'direction'"));
    assert_int_equal(dev.n_links, 2);
    assert_near(dev.links[0].bw_each_Bps, 300e9, 1.0); /* two-way total halved */
    assert_near(dev.links[1].bw_each_Bps, 25e9, 1.0);  /* 200 Gb/s = 25 GB/s */
    assert_near(dev.links[1].latency_s, 1e-6, 1e-15);
    mlsim_diags_free(d);
}

#define GOOD_X1                                                                                    \
    GOOD_HEAD "peak: {fp32: 10 TFLOPS}\nsources:\n  - for: [peak, year]\n    cite: a datasheet\n"

/* Device files that are not files, or too deep: each is refused with its reason, at once (a FIFO
 * must not wait for a writer), and the good file beside them still loads and is listed. */
static void test_hostile_device_files(void **state)
{
    struct tmpdb *t = *state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    write_device(t, "gpu", "x1", GOOD_X1);
    char deep[128] = "id: ";
    memset(deep + 4, '[', 100); /* 100 levels, past MLSIM_YDOC_MAX_DEPTH */
    write_device(t, "gpu", "deep", deep);
    char path[128];
    snprintf(path, sizeof path, "%s/gpu/zero.yaml", t->root);
    assert_int_equal(symlink("/dev/zero", path), 0);
    snprintf(path, sizeof path, "%s/gpu/fifo.yaml", t->root);
    assert_int_equal(mkfifo(path, 0600), 0);
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(t->root);
    char **ids = NULL;
    size_t n = 0;
    assert_int_equal(mlsim_hwdb_list(db, &ids, &n), MLSIM_OK);
    static const char *const want[] = {"deep", "fifo", "x1", "zero"};
    unsigned seen = 0; /* the shared folder holds other tests' files too: a bit for each */
    for (size_t i = 0; i < n; i++) {
        for (unsigned w = 0; w < 4; w++)
            seen |= strcmp(ids[i], want[w]) == 0 ? 1u << w : 0u;
    }
    assert_int_equal(seen, 15);
    mlsim_hwdb_free_ids(ids, n);
    const struct mlsim_device *dev = NULL;
    assert_int_equal(mlsim_hwdb_find(db, "zero", d, &dev), MLSIM_ERR_INPUT);
    assert_int_equal(mlsim_hwdb_find(db, "fifo", d, &dev), MLSIM_ERR_INPUT);
    assert_int_equal(mlsim_hwdb_find(db, "deep", d, &dev), MLSIM_ERR_INPUT);
    assert_true(has_message(d, "not a regular file"));
    assert_true(has_message(d, "nest deeper than 64 levels"));
    assert_int_equal(mlsim_hwdb_find(db, "x1", d, &dev), MLSIM_OK);
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
}

/* A database folder whose path is longer than any fixed buffer: it is listed whole (the listing
 * cut the path at 1024 bytes and found nothing), and a device path of 512 bytes or more, too long
 * to keep in struct mlsim_device, is an error rather than a cut name. */
static void test_long_hwdb_path(void **state)
{
    struct tmpdb *t = *state;
    char dir[1400];
    size_t used = (size_t)snprintf(dir, sizeof dir, "%s", t->root);
    for (int i = 0; i < 12; i++) {
        used += (size_t)snprintf(dir + used, sizeof dir - used, "/%0100d", i);
        assert_int_equal(mkdir(dir, 0700), 0);
    }
    char gpu[1408];
    snprintf(gpu, sizeof gpu, "%s/gpu", dir);
    assert_int_equal(mkdir(gpu, 0700), 0);
    char file[1420];
    snprintf(file, sizeof file, "%s/x1.yaml", gpu);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(GOOD_X1, f);
    fclose(f);
    struct mlsim_hwdb *db = mlsim_hwdb_alloc(dir);
    char **ids = NULL;
    size_t n = 0;
    assert_int_equal(mlsim_hwdb_list(db, &ids, &n), MLSIM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], "x1");
    mlsim_hwdb_free_ids(ids, n);
    struct mlsim_diags *d = mlsim_diags_alloc();
    const struct mlsim_device *dev = NULL;
    assert_int_equal(mlsim_hwdb_find(db, "x1", d, &dev), MLSIM_ERR_INPUT);
    assert_true(has_message(d, "the path of a device file must be under 512 bytes"));
    mlsim_hwdb_free(db);
    mlsim_diags_free(d);
}

/* What a mistyped id is told, by hand: ids that begin with the word first, then the nearest id by
 * edit distance, then the ids sharing the word's longest beginning; nothing for an id. */
static void test_suggest_ids(void **state)
{
    (void)state;
    char *ids[] = {"a10", "a100-pcie-40gb", "a100-sxm4-40gb", "h100-pcie-80gb", "h100-sxm5-80gb",
                   "t4"};
    size_t n = sizeof ids / sizeof ids[0];
    char buf[256];
    assert_string_equal(mlsim_hwdb_suggest_ids("t4", ids, n, buf, sizeof buf), "");
    /* a prefix of one id: that id, though "a10" is 3 edits away and nearer */
    assert_string_equal(mlsim_hwdb_suggest_ids("a100-p", ids, n, buf, sizeof buf),
                        " (did you mean 'a100-pcie-40gb'?)");
    assert_string_equal(mlsim_hwdb_suggest_ids("a100", ids, n, buf, sizeof buf),
                        " (did you mean one of a100-pcie-40gb, a100-sxm4-40gb?)");
    assert_string_equal(mlsim_hwdb_suggest_ids("t5", ids, n, buf, sizeof buf),
                        " (did you mean 't4'?)");
    /* "h100x" begins no id and is 10 edits from each; "h100" begins two */
    assert_string_equal(mlsim_hwdb_suggest_ids("h100x", ids, n, buf, sizeof buf),
                        " (did you mean one of h100-pcie-80gb, h100-sxm5-80gb?)");
    assert_string_equal(mlsim_hwdb_suggest_ids("zzz-quantum", ids, n, buf, sizeof buf), "");
    /* a buffer too small for the whole sentence still ends in a NUL */
    char small[8];
    mlsim_hwdb_suggest_ids("a100", ids, n, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a100_matches_datasheet),
        cmocka_unit_test(test_every_kind_loads),
        cmocka_unit_test(test_list_sorted_and_unknown),
        cmocka_unit_test(test_good_minimal_device),
        cmocka_unit_test(test_unsourced_number),
        cmocka_unit_test(test_bad_cover_path_and_missing_cite),
        cmocka_unit_test(test_id_and_folder_must_match),
        cmocka_unit_test(test_required_and_rental_date),
        cmocka_unit_test(test_link_direction),
        cmocka_unit_test(test_hostile_device_files),
        cmocka_unit_test(test_long_hwdb_path),
        cmocka_unit_test(test_suggest_ids),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
