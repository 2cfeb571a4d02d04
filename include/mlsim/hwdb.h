/*
 * The hardware database: one YAML file per device under hwdb/<kind>/<id>.yaml, loaded into a plain
 * struct of SI doubles. Every number in a device file must be covered by an entry of its
 * `sources:` list; the loader enforces it. Throughput is dense (no 2:4 sparsity), per device, per
 * precision; a precision the device lacks holds 0. Link bandwidth is stored per direction.
 */
#ifndef MLSIM_HWDB_H
#define MLSIM_HWDB_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/schema.h"
#include "mlsim/status.h"
#include "mlsim/vocab.h"

#define MLSIM_HWDB_MAX_LINKS   8
#define MLSIM_HWDB_MAX_SOURCES 16
#define MLSIM_HWDB_MAX_COVERS  24

struct mlsim_link {
    char name[32];
    int type;           /* enum mlsim_link_type */
    double bw_each_Bps; /* bandwidth per direction, bytes/s */
    double latency_s;   /* 0 if unknown */
    int both_ways;      /* the file's figure was the two-way total (stored halved) */
    int ports;          /* links of this kind per chip (a torus's 4 or 6); 0: one, or not said */
};

struct mlsim_source {
    char cite[256];
    char url[256];
    char note[640];
    char covers[MLSIM_HWDB_MAX_COVERS][32]; /* field paths or prefixes this source backs */
    int n_covers;
};

/* Efficiencies measured or published for a device (all optional; 0 = unknown). The discrete-
 * event step simulation and the calibration fit use these. */
struct mlsim_calibration {
    double gemm_efficiency;    /* sustained / peak for large GEMMs */
    double gemm_efficiency_se; /* its fit's standard error (0: not fitted, or not said) */
    double memory_efficiency;  /* sustained / peak memory bandwidth */
    double launch_s;           /* per-kernel launch overhead */
    /* GEMM shape dependence (see kernel.h): the M, N and K at which each alone halves the GEMM
     * efficiency; 0 = none. */
    double gemm_half_m, gemm_half_n, gemm_half_k;
    int threads; /* CPU threads the calibration was measured with (0 = not said) */
    /* bandwidth reached by kernels that fit in memory.on_chip (bytes/s, effective); 0 = none */
    double onchip_bw_Bps;
    /* large-GEMM efficiency of fp8 matmuls, of the fp8 peak (0 = carry gemm_efficiency) */
    double fp8_gemm_efficiency;
    /* fraction of the matmul peak FlashAttention's fused kernels reach on this device (0 = carry
     * gemm_efficiency): attention is not a GEMM, and on Hopper FlashAttention-2 reaches about
     * half of what a GEMM does (Shah et al. 2024) */
    double flash_efficiency;
    /* the same for cuDNN's fused flash attention (training.attention: cudnn); 0 = carry
     * flash_efficiency (Transformer Engine runs FlashAttention-2 where cuDNN is not faster) */
    double cudnn_efficiency;
    /* enum mlsim_bool: TRUE if gemm_efficiency is a best-shape ceiling of a single matmul, fitted
     * to no training work (the report flags it as uncalibrated) */
    int gemm_ceiling;
};

struct mlsim_device {
    char id[64];
    char name[128];
    int kind; /* enum mlsim_device_kind */
    char vendor[64];
    int year;
    double peak_flops[MLSIM_PRECISION_N]; /* dense FLOP/s (OP/s for int8); 0 = not supported */
    int peak_unpublished;   /* the vendor publishes no throughput figure (peak_published: false) */
    double hashrate_sha256; /* SHA-256 hashes/s, for mining ASICs: not FLOPs, and kept apart */
    double mem_bytes;
    double mem_bw_Bps;
    double onchip_bytes;
    struct mlsim_link links[MLSIM_HWDB_MAX_LINKS];
    int n_links;
    double tdp_w;
    double idle_w;
    double price_usd;        /* purchase price of one device, 0 if unknown */
    double rental_usd_per_s; /* on-demand rental price per device-second, 0 if unknown */
    char rental_date[32];
    int cores;
    double clock_hz;
    struct mlsim_calibration calibration;
    /* 2:4-sparse or "AI" headline FLOP/s, for devices that publish only such a figure (Cerebras
     * WSE-3's "125 PFLOPS"): shown, never used as a dense peak; 0 = not given. */
    double peak_sparse_flops[MLSIM_PRECISION_N];
    double rmax_flops; /* systems: measured LINPACK Rmax in FLOP/s (peak.fp64 is Rpeak); 0 = none */
    /* A system built of nodes (kind system): what each node holds and how nodes connect. */
    struct {
        char device[64]; /* the device id of each node's accelerators */
        int devices;     /* per node */
        char link[32];   /* the device link used inside the node */
        double power_w;  /* the whole node's maximum power (host share = this - devices x TDP) */
    } node;
    struct {
        int type;           /* enum mlsim_link_type */
        double bw_each_Bps; /* per node, per direction */
        int both_ways;
        double latency_s;
        int topology; /* index into mlsim_topology_names */
    } network;
    int max_nodes;
    /* A chip of a torus (TPU ICI): the largest slice's dimensions (z 0 or 1 in 2D) and the
     * multiple at which a slice's dimension closes into a ring (v4's and v5p's optical switches
     * wrap every multiple of 4; v5e's 16 x 16 wraps only a full 16); all 0: no torus. Its link is
     * the `links:` entry with `ports`, each port one link at that entry's bandwidth. */
    struct {
        int x, y, z;
        int wrap;
    } torus;
    struct mlsim_source sources[MLSIM_HWDB_MAX_SOURCES];
    int n_sources;
    char path[512]; /* the file it was loaded from */
    struct mlsim_provenance prov;
};

/* The schema of a device file (for `--set`-style access and documentation). */
extern const struct mlsim_schema mlsim_device_schema;

/* Load the device file PATH into *DEV (zeroed first). Every fault is reported into D, including a
 * number not covered by any source and an id or kind that disagrees with the file's place.
 * Returns MLSIM_OK, MLSIM_ERR_IO or MLSIM_ERR_INPUT. */
enum mlsim_status mlsim_device_load(const char *path, struct mlsim_device *dev,
                                    struct mlsim_diags *d);

struct mlsim_hwdb;

/* Open the database rooted at DIR (which holds cpu/, gpu/, tpu/, asic/, system/). Nothing is read
 * until a device is asked for. Returns NULL if malloc fails. */
struct mlsim_hwdb *mlsim_hwdb_alloc(const char *dir);

/* Free DB and every device it loaded. NULL is a no-op. */
void mlsim_hwdb_free(struct mlsim_hwdb *db);

/* The root folder of DB. */
const char *mlsim_hwdb_dir(const struct mlsim_hwdb *db);

/* Find device ID: load hwdb/<kind>/<ID>.yaml on first use and cache it. *OUT stays owned by DB.
 * Returns MLSIM_ERR_NOT_FOUND if no file has that id (nothing reported), MLSIM_ERR_INPUT if the
 * file is broken (reported into D). */
/* The first of DEV's sources that backs the field at PATH (a dotted path, or a prefix of one that
 * a source names), or NULL. */
const struct mlsim_source *mlsim_device_source(const struct mlsim_device *dev, const char *path);

enum mlsim_status mlsim_hwdb_find(struct mlsim_hwdb *db, const char *id, struct mlsim_diags *d,
                                  const struct mlsim_device **out);

/* Layer folder DIR (laid out as the database, cpu/ ... system/) over DB: a device is looked for
 * in each layer, in the order added, before the database's own folder, so a user's folder adds
 * devices or shadows shipped ones without copying the rest. Returns MLSIM_ERR_RANGE past 16
 * layers, MLSIM_ERR_NOMEM. */
enum mlsim_status mlsim_hwdb_add_dir(struct mlsim_hwdb *db, const char *dir);

/* The model zoo (zoo.h) that scenarios of DB name models from: read from DB's models folder
 * (the database folder's sibling `models/`, or the one set with mlsim_hwdb_set_models_dir) on
 * first use, its faults reported into D then. *OUT stays owned by DB; it is NULL when the folder
 * cannot be read (MLSIM_ERR_IO, reported) or memory ran out. Returns the load's status. */
struct mlsim_zoo;
enum mlsim_status mlsim_hwdb_zoo(struct mlsim_hwdb *db, struct mlsim_diags *d,
                                 const struct mlsim_zoo **out);
enum mlsim_status mlsim_hwdb_set_models_dir(struct mlsim_hwdb *db, const char *dir);
const char *mlsim_hwdb_models_dir(const struct mlsim_hwdb *db);

/* List every device id in DB (its layers too, each id once), sorted. *IDS is a malloc'd array of
 * malloc'd strings; free it with mlsim_hwdb_free_ids. */
enum mlsim_status mlsim_hwdb_list(const struct mlsim_hwdb *db, char ***ids, size_t *n);

/* Free a list returned by mlsim_hwdb_list. */
void mlsim_hwdb_free_ids(char **ids, size_t n);

/* What a device WORD that is no id may have meant, the one wording every place that takes an id
 * uses (a scenario's hardware.device, mlsim hw, plot, calibrate): ids are exact everywhere, so a
 * prefix is told its ids rather than taken. Into BUF (LEN bytes): " (did you mean 'ID'?)" or
 * " (did you mean one of A, B?)" for the ids of the N IDS that begin with WORD, else the nearest
 * id (mlsim_diag_suggest), else the ids that share WORD's longest beginning of at least 2 bytes
 * ("h100x": the H100s); "" when WORD is an id or nothing is near. Returns BUF. */
const char *mlsim_hwdb_suggest_ids(const char *word, char *const *ids, size_t n, char *buf,
                                   size_t len);

/* The same against the ids of DB ("" if they cannot be listed). */
const char *mlsim_hwdb_suggest(const struct mlsim_hwdb *db, const char *word, char *buf,
                               size_t len);

/* The precision named NAME, or -1. */
int mlsim_precision_from_name(const char *name);

#endif
