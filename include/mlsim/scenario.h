/*
 * Scenarios: what to train, on what, and at what prices. A file holds one run (its top level is a
 * run) or a table of runs (`defaults:` and `runs:`, each run overriding any field of the
 * defaults). Loading is in three steps so that command-line overrides land between them:
 * mlsim_scenario_load (parse and check each field), mlsim_scenario_set (override a field of every
 * run), mlsim_scenario_resolve (fill defaults, derive what follows, find devices, check what
 * depends on more than one field).
 */
#ifndef MLSIM_SCENARIO_H
#define MLSIM_SCENARIO_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/hwdb.h"
#include "mlsim/reliability.h"
#include "mlsim/schema.h"

enum mlsim_mode { MLSIM_MODE_ANALYTIC, MLSIM_MODE_SIMULATE, MLSIM_MODE_INFERENCE };

/* NULL-terminated names of the modes, model types and training options. */
extern const char *const mlsim_mode_names[];
extern const char *const mlsim_model_type_names[];
extern const char *const mlsim_recompute_names[];
extern const char *const mlsim_attention_names[];
extern const char *const mlsim_optimizer_names[];
extern const char *const mlsim_bool_names[];
extern const char *const mlsim_counting_names[];

/* PyTorch DistributedDataParallel's default bucket_cap_mb (25 MiB). */
#define MLSIM_DEFAULT_BUCKET_BYTES (25.0 * 1048576.0)

/* The model: a parameter count, or a transformer shape it follows from. */
struct mlsim_model_spec {
    char name[128];
    int type;      /* 0 transformer, 1 mlp */
    double params; /* trainable parameters */
    double tokens; /* training tokens (samples for an MLP) */
    int layers, hidden, heads, kv_heads, ffn, seq_len, vocab;
    int gated_mlp;  /* 0 no, 1 yes */
    int widths[16]; /* MLP: inputs, hidden widths..., outputs */
    int n_widths;
};

/* How a simulated run trains. */
struct mlsim_training {
    int micro_batch;     /* sequences (samples for an MLP) per device per micro-batch */
    int global_batch;    /* sequences (samples) per step, all devices */
    int recompute;       /* enum mlsim_recompute */
    int attention;       /* enum mlsim_attention */
    int optimizer;       /* enum mlsim_optimizer */
    double bucket_bytes; /* gradient all-reduce bucket */
    int overlap_comm;    /* 1: all-reduce during the backward pass */
    double memory_reserve_bytes;
    int tp, pp;            /* tensor- and pipeline-parallel sizes (data parallel is what remains) */
    int interleave;        /* model chunks per pipeline rank, for the interleaved schedule */
    int schedule;          /* enum mlsim_schedule */
    int sharding;          /* enum mlsim_sharding */
    int sequence_parallel; /* 0/1 */
    double host_s;         /* the host's own work per step before the devices start, seconds */
};

/* Prices and the grid. All SI: USD/s, USD/J, kg CO2 per J, W. */
struct mlsim_economics {
    double price_usd_per_s;       /* rental price per device-second */
    double electricity_usd_per_j; /* 0 = not priced */
    double pue;                   /* facility power / IT power */
    double carbon_kg_per_j;       /* grid carbon intensity */
    double device_power_w;        /* average draw per device while training */
    double host_power_w;          /* host share per device (CPUs, memory, NICs, fans) */
};

struct mlsim_run {
    char name[128];
    char description[256];
    int mode; /* enum mlsim_mode */
    struct mlsim_model_spec model;
    char device_id[64];
    int count;     /* devices */
    int precision; /* enum mlsim_precision */
    double mfu;    /* assumed model FLOPs utilization (analytic mode; a reference in simulate) */
    char link[32]; /* the device link collectives use ("" = the device's first fast link) */
    char system_id[64];                /* a system of nodes in hwdb (kind system), or "" */
    const struct mlsim_device *system; /* set by resolve */
    int host_power_from_system;        /* host share derived from the system's node power */
    int node_size;                     /* devices per node */
    double nic_bw_Bps;                 /* network bandwidth per node, each way (all its NICs) */
    double nic_latency_s;
    struct mlsim_training training;
    /* a published measurement of this run, to print the prediction against */
    double ref_flops_per_device; /* measured FLOP/s per device */
    int ref_counting;            /* 0: counted as model FLOPs (MFU), 1: as hardware FLOPs (HFU) */
    double ref_step_s;           /* measured iteration time */
    char ref_source[256];
    double ref_relative; /* a published throughput relative to the run whose ref_relative is 1 */
    /* inference mode */
    double latency_bound_s; /* the largest batch whose latency stays under this */
    /* charts to draw from this scenario (`mlsim plot SCENARIO.yaml`) */
    char charts[8][32];
    struct mlsim_loc chart_locs[8];
    int n_charts;
    int max_batch; /* search no further (default 2^20) */
    struct mlsim_economics econ;
    struct mlsim_reliability reliability; /* failures, checkpoints, restarts (wholerun.h) */
    struct mlsim_provenance prov;
    struct mlsim_loc loc;              /* the run's mapping */
    const struct mlsim_device *device; /* set by resolve; owned by the hwdb */
    int params_from_shape;             /* params were derived from the shape */
    int shape_derived;                 /* the shape was derived from params (GPT-3 family rule) */
    int layout_derived;                /* tp and pp are to be chosen by the simulator */
};

/* Default PUE and grid intensity, with their sources (printed as assumptions). */
#define MLSIM_DEFAULT_PUE              1.58
#define MLSIM_DEFAULT_PUE_SOURCE       "Uptime Institute Global Data Center Survey 2023, industry average"
#define MLSIM_DEFAULT_CARBON_G_PER_KWH 480.0
#define MLSIM_DEFAULT_CARBON_SOURCE    "Ember Global Electricity Review 2024, world average for 2023"

/* The schema of one run (shared by single runs, table defaults and table rows). */
extern const struct mlsim_schema mlsim_run_schema;

struct mlsim_scenario {
    char title[128];
    char description[256];
    int is_table;
    struct mlsim_run *runs;
    size_t n_runs;
    struct mlsim_ydoc *doc; /* the parsed file; runs' places point into it */
    char *set_text;         /* the --set overrides, one per line, for messages */
};

/* Load the scenario file PATH. Every fault is reported into D. On MLSIM_OK or MLSIM_ERR_INPUT *OUT
 * is a scenario (possibly partial) to free with mlsim_scenario_free; on other errors it is NULL. */
enum mlsim_status mlsim_scenario_load(const char *path, struct mlsim_diags *d,
                                      struct mlsim_scenario **out);

/* Apply N overrides of the form "path=value" (e.g. "economics.pue=1.1") to every run of SC.
 * Faults are reported into D with the place "--set:I:COL". */
enum mlsim_status mlsim_scenario_set(struct mlsim_scenario *sc, const char *const *sets, size_t n,
                                     struct mlsim_diags *d);

/* Fill defaults, derive the parameter count from a shape, find each run's device in DB, and check
 * what spans fields (required fields, a precision the device lacks, a price to use). */
enum mlsim_status mlsim_scenario_resolve(struct mlsim_scenario *sc, struct mlsim_hwdb *db,
                                         struct mlsim_diags *d);

/* A GPT-3-family decoder shape for PARAMS parameters: the family keeps d_model = 128 x n_layers and
 * heads of 128 (Brown et al. 2020, Table 2.1: 6.7B, 13B, 175B), so layers ~ (N / (12 x
 * 128^2))^(1/3); layers are taken in steps of 8 and widths in steps of 1024 (8 heads, so tensor
 * parallelism of 8 fits), the pair whose 12 l h^2 is nearest N; sequences of 2048 and the GPT-2
 * vocabulary padded to 51,200, as GPT-3 and Megatron-LM use. GPT-3 175B comes out exact: 96 layers
 * of 12,288. */
void mlsim_derive_shape(double params, struct mlsim_model_spec *m);

/* Free SC. NULL is a no-op. */
void mlsim_scenario_free(struct mlsim_scenario *sc);

/* Trainable parameters of a GPT-style decoder: per layer 4h^2 + 4h (attention with biases),
 * 2hf + f + h (MLP with biases), 4h (two layer norms); plus (V + s)h for token and position
 * embeddings. With f = 4h this is the count of Narayanan et al. 2021 (SC21), Section 5.1:
 * 12 l h^2 (1 + 13/(12h) + (V + s)/(12 l h)). */
double mlsim_transformer_params(int layers, int hidden, int ffn, int seq_len, int vocab);

#endif
