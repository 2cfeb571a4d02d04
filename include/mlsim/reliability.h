/*
 * The words of a run's `reliability:` block and of what the whole-run simulation returns: plain
 * data only, so that the scenario loader (which fills the first) and the result (which holds the
 * second) need not include the simulator. wholerun.h simulates one run of steps, checkpoints,
 * failures and restarts; montecarlo.h repeats it over the failure draws.
 */
#ifndef MLSIM_RELIABILITY_H
#define MLSIM_RELIABILITY_H

/* The failure processes, one per kind of component. Each has a rate per component-hour. */
enum mlsim_component {
    MLSIM_COMPONENT_GPU,      /* per device */
    MLSIM_COMPONENT_NODE,     /* per node: host, CPUs, memory, power; or a whole node's rate */
    MLSIM_COMPONENT_NIC,      /* per network interface */
    MLSIM_COMPONENT_SWITCH,   /* per network switch */
    MLSIM_COMPONENT_SOFTWARE, /* per node: crashes, hangs and timeouts of the software stack */
    MLSIM_COMPONENT_N
};

/* NULL-terminated names of the components, distributions and checkpoint modes. */
extern const char *const mlsim_component_names[];
extern const char *const mlsim_failure_dist_names[];
extern const char *const mlsim_checkpoint_mode_names[];

struct mlsim_par;

enum mlsim_failure_dist { MLSIM_FAILURE_EXPONENTIAL, MLSIM_FAILURE_WEIBULL };
enum mlsim_checkpoint_mode { MLSIM_CHECKPOINT_SYNC, MLSIM_CHECKPOINT_ASYNC };

/* The default failure rate: every cause counted in one per-node rate, as Kokolis et al. measured
 * it on Meta's RSC-1 (16k A100 GPUs, 11 months): 6.50 failures per 1000 node-days. */
#define MLSIM_RELIABILITY_DEFAULT_NODE_RATE_PER_H (6.50 / 1000.0 / 24.0)
#define MLSIM_RELIABILITY_DEFAULT_RATE_SOURCE                                                      \
    "Kokolis et al. 2024 (arXiv 2410.21680, HPCA 2025), RSC-1: 6.50 failures per 1000 node-days"
/* Checkpointed state per parameter: fp32 master weights, Adam's two moments (12 B) and the 16-bit
 * weights (2 B); gradients are not kept (Rajbhandari et al. 2020, ZeRO, Sec. 3.1: K = 12). */
#define MLSIM_RELIABILITY_DEFAULT_CKPT_BYTES_PER_PARAM 14.0
/* Detection: one health-check period, 5 minutes on RSC-1/RSC-2 (Kokolis et al. 2024). */
#define MLSIM_RELIABILITY_DEFAULT_DETECTION_S 300.0
/* Assumed, not sourced (said so in the assumptions): a restart reloads the checkpoint and
 * re-initializes the communicators in 10 minutes; swapping in a spare node takes 5 more;
 * a failed node is repaired in 24 hours; each node writes checkpoints at 12.5 GB/s (one
 * 100 Gb/s storage link); 8 NICs per node (one per GPU, as in DGX H100 and Grand Teton). */
#define MLSIM_RELIABILITY_DEFAULT_RESTART_S      600.0
#define MLSIM_RELIABILITY_DEFAULT_RESCHEDULE_S   300.0
#define MLSIM_RELIABILITY_DEFAULT_REPAIR_S       86400.0
#define MLSIM_RELIABILITY_DEFAULT_WRITE_NODE_BPS 12.5e9
#define MLSIM_RELIABILITY_DEFAULT_NICS_PER_NODE  8
#define MLSIM_RELIABILITY_DEFAULT_SAMPLES        200
#define MLSIM_RELIABILITY_MAX_SAMPLES            1000000
/* A two-level leaf-spine fabric of radix-64 switches: a leaf serves 32 ports down, and spines
 * are half the leaves, so 3 switches per 64 NIC ports. */
#define MLSIM_RELIABILITY_PORTS_PER_3_SWITCHES 64

/* A run's reliability block (scenario fields `reliability.*`). Rates are per component-hour as
 * written in the file; times in seconds, bandwidths in B/s. */
struct mlsim_reliability {
    int enabled;                          /* the run has a reliability block (set by resolve) */
    double rate_per_h[MLSIM_COMPONENT_N]; /* failures per component-hour */
    char rate_source[192];                /* where the rates come from */
    double rate_uncertainty; /* each replicate scales every rate by a log-normal factor of median
                              * 1 and this geometric sd (1 or 0: the rates are known) */
    int distribution;        /* enum mlsim_failure_dist */
    double weibull_shape;    /* k; 1 is exponential */
    int nics_per_node, switches;   /* component counts (derived when not given) */
    double detection_s, restart_s; /* every failure: notice it, then restart the job */
    double reschedule_s;           /* a node failure: swap in a spare */
    double repair_s;               /* a failed node back in the pool */
    int spare_nodes, spares_given; /* a finite pool only when given */
    double ckpt_bytes_per_param;   /* bytes of state per parameter */
    double ckpt_write_node_Bps;    /* checkpoint write bandwidth of one node */
    double ckpt_write_total_Bps;   /* of the storage as a whole (0: no limit) */
    int ckpt_mode;                 /* enum mlsim_checkpoint_mode */
    double ckpt_stall_s;           /* async: the pause to snapshot the states */
    double ckpt_interval_s;        /* compute between checkpoints (0: chosen) */
    double straggler_slowdown;     /* each step stretched by this share */
    int samples, seed;             /* Monte Carlo replicates and their seed */
    /* the ranks the replicates are spread over (par.h; NULL: this process alone). Set by the
     * caller that runs the run on every rank alike, never by the loader. */
    const struct mlsim_par *par;
};

/* A P10/P50/P90 band and the mean of one figure over the Monte Carlo replicates. */
struct mlsim_band {
    double p10, p50, p90, mean;
};

/* Where the wall-clock time of one whole run goes, in seconds; the parts add up to wall_s. */
struct mlsim_badput {
    double useful_s;     /* the run's own compute, done once */
    double straggler_s;  /* the slowdown of stragglers on useful and lost compute */
    double lost_s;       /* compute redone after failures (since the last checkpoint) */
    double checkpoint_s; /* stalls to write checkpoints */
    double detection_s;  /* failures not yet noticed */
    double restart_s;    /* restarts and swapping in spares */
    double repair_s;     /* waiting for a node to be repaired (no spare) */
};

/* What the whole-run simulation adds to a result (struct mlsim_result's `rel`). SI units. */
struct mlsim_reliability_result {
    int status; /* enum mlsim_status of the simulation (0 = ran or not asked) */
    /* draws of the run's uncertain inputs (uncertain.h) behind the time, cost, energy and CO2
     * bands; 0: the bands are the failure draws' alone (or there are none) */
    int input_samples;
    int too_much_work;          /* status is MLSIM_ERR_RANGE because of the work limit */
    int samples;                /* replicates */
    double ckpt_bytes;          /* one checkpoint: all the model's states */
    double ckpt_write_s;        /* time to write it (sync: the stall) */
    double mtbf_s;              /* the job's mean time between failures, 1 / sum of rates */
    double expected_failures;   /* rates x component-hours of the mean wall-clock time */
    double interval_s;          /* the checkpoint interval used */
    int interval_chosen;        /* mlsim chose it (the run gave none) */
    double young_daly_s;        /* sqrt(2 C MTBF) */
    double best_interval_s;     /* the simulated optimum */
    double goodput;             /* useful / wall-clock, mean over replicates */
    struct mlsim_badput badput; /* mean over replicates */
    struct mlsim_band failures; /* interruptions */
    struct mlsim_band time_s;   /* wall-clock time */
    struct mlsim_band cost_usd; /* rental */
    struct mlsim_band energy_j; /* facility energy */
    struct mlsim_band co2_kg;   /* grid CO2 */
    struct mlsim_band goodput_band;
    double failures_by_component[MLSIM_COMPONENT_N]; /* mean over replicates */
};

#endif
