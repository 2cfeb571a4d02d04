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
#include "mlsim/model.h"
#include "mlsim/reliability.h"
#include "mlsim/schema.h"
#include "mlsim/vocab.h"

/* PyTorch DistributedDataParallel's default bucket_cap_mb (25 MiB). */

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
    int framework;         /* enum mlsim_framework: host work per kernel and per step */
    int first_stage_layers, last_stage_layers; /* uneven pipelines (layout.h); 0: even */
    int embedding_in_split; /* 0/1: the embedding and the loss count as a layer each (layout.h) */
    int cp;      /* context-parallel ranks each sequence is split over (layout.h); 1: none */
    int cp_algo; /* enum mlsim_cp_algo: how those ranks exchange keys and values */
    /* Batch-size ramp-up (Megatron-LM's --rampup-batch-size START INCREMENT SAMPLES; GPT-3's
     * linear ramp, Brown et al. 2020, Sec. 2.3): from START sequences per step, INCREMENT more at
     * a time, to global_batch over the first TOKENS of the run; START 0: none (cost.h). */
    struct {
        int start, increment;
        double tokens;
    } rampup;
    int ep; /* expert-parallel size, carved out of the data-parallel group (layout.h); 0: 1 */
    int overlap_ep; /* 0/1: expert all-to-alls overlapped with compute (DualPipe) */
    int overlap_tp; /* 0/1: sequence parallelism's collectives under their GEMMs (layout.h) */
    int etp;        /* expert-tensor-parallel size (a divisor of tp); 0: tp */
    /* Evaluation passes (wholerun.h): a forward pass over TOKENS held-out tokens after every
     * EVERY tokens trained, as MLPerf Training times its quality evaluations; EVERY 0: none. */
    struct {
        double every, tokens;
    } eval;
    double init_s; /* model initialization before the clock, the checkpoint's load included */
};

/* The most batch sizes a ramp-up may pass through (each is a term of cost.c's sum). */
#define MLSIM_SCENARIO_MAX_RAMP_SIZES 100000

/* Prices and the grid. All SI: USD/s, USD/J, kg CO2 per J, W. */
struct mlsim_economics {
    double price_usd_per_s;       /* rental price per device-second; NAN = none known */
    char price_as_of[16];         /* the date prices are aged against (price.h); "" = build's */
    double electricity_usd_per_j; /* 0 = not priced */
    double pue;                   /* facility power / IT power */
    double carbon_kg_per_j;       /* grid carbon intensity */
    double device_power_w;        /* average draw per device while training */
    double host_power_w;          /* host share per device (CPUs, memory, NICs, fans) */
};

/* An uncertain input: a quantity field given as a distribution (`mfu: {normal: [40%, 3%]}`): the
 * field (an index into mlsim_run_schema's fields), its kind (enum mlsim_dist_kind) and its
 * parameters in the field's SI unit: normal mean and standard deviation; lognormal median and
 * geometric standard deviation (a plain factor >= 1); uniform low and high; triangular low, mode
 * and high. The field itself holds the central value (the mean, median, midpoint or mode), which
 * the run's own answer uses; the Monte Carlo (uncertain.h) draws the rest. */
#define MLSIM_RUN_MAX_DISTS 8
struct mlsim_dist {
    int field, kind;
    double p[3];
};

/* X's central value: its mean (normal), median (lognormal), midpoint (uniform) or mode. */
double mlsim_dist_central(const struct mlsim_dist *x);

struct mlsim_run {
    char name[128];
    char description[256];
    int mode; /* enum mlsim_mode */
    struct mlsim_model_spec model;
    /* model.hidden_width: every hidden width of an MLP's widths (one knob to sweep); 0: as given */
    int hidden_width;
    struct mlsim_dist dists[MLSIM_RUN_MAX_DISTS]; /* the run's uncertain inputs */
    int n_dists;
    char device_id[64];
    int count;     /* devices */
    int precision; /* enum mlsim_precision */
    double mfu;    /* assumed model FLOPs utilization (analytic mode; a reference in simulate) */
    char model_from[64]; /* the zoo model (zoo.h) the run's model fields start from, or "" */
    const struct mlsim_ynode *hw_override; /* `hardware.override:`, device fields (in the doc) */
    char link[32];      /* the device link collectives use ("" = the device's first fast link) */
    char system_id[64]; /* a system of nodes in hwdb (kind system), or "" */
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
    double ref_time_to_train_s; /* a measured time to train (MLPerf's run_start to run_stop) */
    /* inference mode */
    double latency_bound_s; /* the largest batch whose latency stays under this */
    /* charts to draw from this scenario (`mlsim plot SCENARIO.yaml`) */
    char charts[8][32];
    struct mlsim_loc chart_locs[8];
    int n_charts;
    int max_batch; /* search no further (default 2^20) */
    /* sweeps and tables: a run that is a row of a table answers with a reason when it does not
     * tile or fit, instead of failing the table */
    const struct mlsim_ynode *sweep; /* the run's `sweep:` mapping (in the scenario's doc) */
    int table_row;                   /* a row of a table or a point of a sweep */
    char not_run[192];               /* why the row was not estimated (resolve: does not tile) */
    struct mlsim_economics econ;
    struct mlsim_reliability reliability; /* failures, checkpoints, restarts (wholerun.h) */
    /* defaults resolve chose where the run gave nothing (the zoo model, the precision, the
     * mode), one sentence each, for the report's assumptions */
    char notes[5][200];
    int n_notes;
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
    struct mlsim_ydoc *doc;          /* the parsed file; runs' places point into it */
    char *set_text;                  /* the --set overrides, one per line, for messages */
    struct mlsim_ynode *sweep_nodes; /* the values a sweep's ranges made (their text follows) */
    struct mlsim_device *devices;    /* resolve: run I's device with its hardware.override */
};

/* The most runs a scenario may hold, its sweeps expanded. */
#define MLSIM_SCENARIO_MAX_RUNS 100000

/* Load the scenario file PATH. Every fault is reported into D. On MLSIM_OK or MLSIM_ERR_INPUT *OUT
 * is a scenario (possibly partial) to free with mlsim_scenario_free; on other errors it is NULL. */
enum mlsim_status mlsim_scenario_load(const char *path, struct mlsim_diags *d,
                                      struct mlsim_scenario **out);

/* The same for the scenario TEXT (LEN bytes) named NAME in messages (`mlsim run`'s options make
 * one in memory, so a command line and a file take the same path). */
enum mlsim_status mlsim_scenario_load_text(const char *name, const char *text, size_t len,
                                           struct mlsim_diags *d, struct mlsim_scenario **out);

/* Apply N overrides of the form "path=value" (e.g. "economics.pue=1.1") to every run of SC.
 * Faults are reported into D with the place "--set:I:COL". */
enum mlsim_status mlsim_scenario_set(struct mlsim_scenario *sc, const char *const *sets, size_t n,
                                     struct mlsim_diags *d);

/* Fill defaults, derive the parameter count from a shape, find each run's device in DB, and check
 * what spans fields (required fields, a precision the device lacks, a price to use). */
enum mlsim_status mlsim_scenario_resolve(struct mlsim_scenario *sc, struct mlsim_hwdb *db,
                                         struct mlsim_diags *d);

/* Where RUN's field PATH came from, written into BUF: "given in FILE:LINE" ("given in FILE"
 * without WITH_LINES), or "set with --set"; NULL if the field was not given. */
const char *mlsim_scenario_origin(const struct mlsim_run *r, const char *path, int with_lines,
                                  char *buf, size_t len);

/* Free SC. NULL is a no-op. */
void mlsim_scenario_free(struct mlsim_scenario *sc);

#endif
