/*
 * The whole-run simulation. Failures are the only events: exponential components are pooled
 * into one Poisson process (memoryless, so it is redrawn after every event), Weibull components
 * each keep their next failure in a heap and are renewed when they fail. Between two failures
 * the run computes in cycles of (interval, checkpoint pause), in closed form; a failure loses
 * the compute since the last committed checkpoint and costs detection, a restart and, for a
 * node's hardware, a spare (or waiting for a repair when the pool is empty).
 */
#include "mlsim/wholerun.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/evq.h"

const char *const mlsim_component_names[] = {"gpu", "node", "nic", "switch", "software", NULL};
const char *const mlsim_failure_dist_names[] = {"exponential", "weibull", NULL};
const char *const mlsim_checkpoint_mode_names[] = {"sync", "async", NULL};

struct mlsim_wholerun {
    const struct mlsim_reliability *rel;
    double work_s;                    /* failure-free compute, stragglers included */
    double params;                    /* the model's parameters */
    int nodes;                        /* nodes of the job */
    double count[MLSIM_COMPONENT_N];  /* components of each kind */
    double rate_s[MLSIM_COMPONENT_N]; /* failures per component-second */
    double exp_rate_s;                /* pooled rate of the exponential components */
    double weib_scale_s[MLSIM_COMPONENT_N];
    double factor; /* this replicate's factor on every rate */
    size_t n_weib; /* Weibull components in the heap */
    gsl_rng *rng;
    struct mlsim_evq *weib;    /* next failure of each Weibull component */
    struct mlsim_evq *repairs; /* nodes coming back from repair */
};

static int is_node_hardware(enum mlsim_component c)
{
    return c == MLSIM_COMPONENT_GPU || c == MLSIM_COMPONENT_NODE || c == MLSIM_COMPONENT_NIC;
}

/* ---- resolve ---- */

static int rel_given(const struct mlsim_run *r, const char *path)
{
    return mlsim_schema_given(&mlsim_run_schema, r, path) != NULL;
}

static void default_value(const struct mlsim_run *r, const char *path, double *v, double def)
{
    if (!rel_given(r, path))
        *v = def;
}

/* ---- evaluation passes (MLPerf Training's quality evaluations) ---- */

double mlsim_wholerun_eval_passes(const struct mlsim_run *run)
{
    const double every = run->training.eval.every;
    if (every <= 0 || run->model.tokens <= 0)
        return 0;
    return ceil(run->model.tokens / every);
}

static const char *const eval_parts[] = {"training.evaluation.every", "training.evaluation.tokens",
                                         NULL};

/* At most MLSIM_WHOLERUN_MAX_EVAL_PASSES passes, told at 'every' (else at LOC). */
static int eval_within_limit(const struct mlsim_run *r, struct mlsim_loc loc, struct mlsim_diags *d)
{
    double passes = mlsim_wholerun_eval_passes(r);
    if (passes <= MLSIM_WHOLERUN_MAX_EVAL_PASSES)
        return 1;
    const struct mlsim_loc *every =
        mlsim_schema_given(&mlsim_run_schema, r, "training.evaluation.every");
    mlsim_diags_report(
        d, MLSIM_SEVERITY_ERROR, every ? *every : loc,
        "run '%s': %.3g evaluation passes (model.tokens / training.evaluation.every) "
        "are more than the %.0f a run may make; evaluate less often",
        r->name, passes, MLSIM_WHOLERUN_MAX_EVAL_PASSES);
    return 0;
}

/* An evaluation block needs both numbers; a part given alone (or an empty block) is told the
 * other, at the block or at the part that was given. Inference has no evaluation passes. */
static int eval_resolve(struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, "training.evaluation");
    int seen[2] = {0, 0};
    for (int i = 0; eval_parts[i]; i++) {
        seen[i] = mlsim_schema_seen(&mlsim_run_schema, r, eval_parts[i]);
        if (!at)
            at = mlsim_schema_given(&mlsim_run_schema, r, eval_parts[i]);
    }
    if (!at && !seen[0] && !seen[1]) {
        r->training.eval.every = r->training.eval.tokens = 0;
        return 1;
    }
    struct mlsim_loc loc = at ? *at : r->loc;
    if (r->mode == MLSIM_MODE_INFERENCE) {
        mlsim_diags_report(d, MLSIM_SEVERITY_WARNING, loc,
                           "run '%s': 'training.evaluation' has no effect in inference mode, "
                           "which measures a batch's latency, not a training run",
                           r->name);
        r->training.eval.every = r->training.eval.tokens = 0;
        return 1;
    }
    int ok = 1;
    for (int i = 0; eval_parts[i]; i++) {
        if (seen[i])
            continue;
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc,
                           "run '%s' is missing required key '%s' (%s)", r->name, eval_parts[i],
                           i == 0 ? "the tokens trained between two evaluation passes"
                                  : "the held-out tokens each evaluation pass reads");
        ok = 0;
    }
    /* a value the schema refused is reported already and left at 0 */
    if (!ok || r->training.eval.every <= 0 || r->training.eval.tokens <= 0)
        return 0;
    return eval_within_limit(r, loc, d);
}

/* Initialization is a training run's: inference says it has no effect and drops it. */
static void init_resolve(struct mlsim_run *r, struct mlsim_diags *d)
{
    const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, "training.init_time");
    if (!at || r->mode != MLSIM_MODE_INFERENCE)
        return;
    mlsim_diags_report(d, MLSIM_SEVERITY_WARNING, *at,
                       "run '%s': 'training.init_time' has no effect in inference mode", r->name);
    r->training.init_s = 0;
}

double mlsim_wholerun_init_timed_s(const struct mlsim_run *run)
{
    double past = run->training.init_s - MLSIM_WHOLERUN_INIT_ALLOWANCE_S;
    return past > 0 ? past : 0;
}

double mlsim_wholerun_eval_share(double mfu, double hfu)
{
    return hfu > 0 && mfu > 0 ? mfu / (3.0 * hfu) : 1.0 / 3.0;
}

double mlsim_wholerun_eval_seconds(const struct mlsim_run *run, double tokens_per_s, double mfu,
                                   double hfu, double *passes)
{
    *passes = 0;
    if (tokens_per_s <= 0 || !isfinite(tokens_per_s))
        return 0;
    *passes = mlsim_wholerun_eval_passes(run);
    return *passes * run->training.eval.tokens * mlsim_wholerun_eval_share(mfu, hfu) / tokens_per_s;
}

void mlsim_wholerun_eval_assumptions(const struct mlsim_result *res, struct mlsim_assumptions *a)
{
    const struct mlsim_run *r = res->run;
    char x[64], y[64], z[64];
    if (res->eval_passes > 0)
        mlsim_assume(a,
                     "Evaluation on the clock, as MLPerf Training times it: %.0f passes (one after "
                     "each %s tokens trained, the last at the end of the run), each a forward pass "
                     "over %s held-out tokens with no backward pass or update, a token at %.3g of "
                     "a trained token's time (the forward third of the model FLOPs over the step's "
                     "HFU / MFU): %s in all",
                     res->eval_passes,
                     mlsim_units_format(r->training.eval.every, MLSIM_DIM_COUNT, x, sizeof x),
                     mlsim_units_format(r->training.eval.tokens, MLSIM_DIM_COUNT, y, sizeof y),
                     mlsim_wholerun_eval_share(res->mfu, res->hfu),
                     mlsim_units_format(res->eval_s, MLSIM_DIM_TIME, z, sizeof z));
    if (r->training.init_s > 0)
        mlsim_assume(
            a,
            "Model initialization %s (the starting checkpoint's load included), given: "
            "MLPerf Training's clock starts %s into it at the latest (training_rules.adoc, "
            "Run Results), so %s of it is on the clock",
            mlsim_units_format(r->training.init_s, MLSIM_DIM_TIME, x, sizeof x),
            mlsim_units_format(MLSIM_WHOLERUN_INIT_ALLOWANCE_S, MLSIM_DIM_TIME, y, sizeof y),
            mlsim_units_format(res->init_timed_s, MLSIM_DIM_TIME, z, sizeof z));
    else if (r->ref_time_to_train_s > 0)
        mlsim_assume(
            a,
            "Time to train as MLPerf Training's clock runs (run_start to run_stop): model "
            "initialization, the starting checkpoint's load included, is off the clock "
            "up to %s (training_rules.adoc, Run Results), so none of it is counted "
            "(training.init_time gives a longer one)",
            mlsim_units_format(MLSIM_WHOLERUN_INIT_ALLOWANCE_S, MLSIM_DIM_TIME, x, sizeof x));
}

/* ---- reliability ---- */

static int reliability_resolve(struct mlsim_run *r, struct mlsim_diags *d)
{
    struct mlsim_reliability *rel = &r->reliability;
    /* A `reliability:` block, or any of its fields set from the command line, asks for it. */
    rel->enabled = 0;
    for (size_t i = 0; i < mlsim_run_schema.n_fields && !rel->enabled; i++) {
        const char *path = mlsim_run_schema.fields[i].path;
        if (strncmp(path, "reliability", 11) == 0)
            rel->enabled = mlsim_schema_seen(&mlsim_run_schema, r, path);
    }
    if (!rel->enabled)
        return 1;
    if (r->mode == MLSIM_MODE_INFERENCE) {
        mlsim_diags_report(d, MLSIM_SEVERITY_WARNING, r->loc,
                           "run '%s': 'reliability' has no effect in inference mode, which "
                           "measures a batch's latency, not a whole run",
                           r->name);
        rel->enabled = 0;
        return 1;
    }
    static const char *const rate_paths[MLSIM_COMPONENT_N] = {
        "reliability.gpu_failure_rate", "reliability.node_failure_rate",
        "reliability.nic_failure_rate", "reliability.switch_failure_rate",
        "reliability.software_failure_rate"};
    const struct mlsim_loc *first_rate = NULL;
    for (int c = 0; c < MLSIM_COMPONENT_N && !first_rate; c++)
        first_rate = mlsim_schema_given(&mlsim_run_schema, r, rate_paths[c]);
    int any_rate = first_rate != NULL;
    if (!any_rate) {
        rel->rate_per_h[MLSIM_COMPONENT_NODE] = MLSIM_RELIABILITY_DEFAULT_NODE_RATE_PER_H;
        if (!rel_given(r, "reliability.rate_source"))
            snprintf(rel->rate_source, sizeof rel->rate_source, "%s",
                     MLSIM_RELIABILITY_DEFAULT_RATE_SOURCE);
    }
    if (any_rate && !rel_given(r, "reliability.rate_source")) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, *first_rate,
                           "failure rates need their source: add 'reliability.rate_source'");
        return 0;
    }
    if (!rel_given(r, "reliability.weibull_shape"))
        rel->weibull_shape = 1.0;
    if (!rel_given(r, "reliability.nics_per_node"))
        rel->nics_per_node = MLSIM_RELIABILITY_DEFAULT_NICS_PER_NODE;
    default_value(r, "reliability.detection_time", &rel->detection_s,
                  MLSIM_RELIABILITY_DEFAULT_DETECTION_S);
    default_value(r, "reliability.restart_time", &rel->restart_s,
                  MLSIM_RELIABILITY_DEFAULT_RESTART_S);
    default_value(r, "reliability.reschedule_time", &rel->reschedule_s,
                  MLSIM_RELIABILITY_DEFAULT_RESCHEDULE_S);
    default_value(r, "reliability.repair_time", &rel->repair_s, MLSIM_RELIABILITY_DEFAULT_REPAIR_S);
    default_value(r, "reliability.checkpoint_bytes_per_param", &rel->ckpt_bytes_per_param,
                  MLSIM_RELIABILITY_DEFAULT_CKPT_BYTES_PER_PARAM);
    default_value(r, "reliability.checkpoint_write_per_node", &rel->ckpt_write_node_Bps,
                  MLSIM_RELIABILITY_DEFAULT_WRITE_NODE_BPS);
    rel->spares_given = rel_given(r, "reliability.spare_nodes");
    if (!rel_given(r, "reliability.samples"))
        rel->samples = MLSIM_RELIABILITY_DEFAULT_SAMPLES;
    if (rel->ckpt_mode == MLSIM_CHECKPOINT_ASYNC && !rel_given(r, "reliability.checkpoint_stall")) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR,
                           *mlsim_schema_given(&mlsim_run_schema, r, "reliability.checkpoint_mode"),
                           "asynchronous checkpoints need 'reliability.checkpoint_stall' (the "
                           "pause to copy the states out of device memory)");
        return 0;
    }
    return 1;
}

int mlsim_wholerun_resolve(struct mlsim_run *r, struct mlsim_diags *d)
{
    init_resolve(r, d);
    int ok = eval_resolve(r, d);
    return reliability_resolve(r, d) && ok;
}

/* ---- workspace ---- */

static int job_nodes(const struct mlsim_run *r)
{
    int size = r->node_size > 0 ? r->node_size : (r->count < 8 ? r->count : 8);
    return (r->count + size - 1) / size;
}

static void count_components(struct mlsim_wholerun *w, const struct mlsim_run *r)
{
    const struct mlsim_reliability *rel = &r->reliability;
    double nics = (double)w->nodes * rel->nics_per_node;
    w->count[MLSIM_COMPONENT_GPU] = r->count;
    w->count[MLSIM_COMPONENT_NODE] = w->nodes;
    w->count[MLSIM_COMPONENT_NIC] = w->nodes > 1 ? nics : 0.0;
    w->count[MLSIM_COMPONENT_SWITCH] =
        rel->switches > 0 ? rel->switches
        : w->nodes > 1    ? ceil(3.0 * nics / MLSIM_RELIABILITY_PORTS_PER_3_SWITCHES)
                          : 0.0;
    w->count[MLSIM_COMPONENT_SOFTWARE] = w->nodes;
}

enum mlsim_status mlsim_wholerun_alloc(const struct mlsim_run *run, double work_s,
                                       struct mlsim_wholerun **out)
{
    *out = NULL;
    const struct mlsim_reliability *rel = &run->reliability;
    if (!(work_s > 0) || !isfinite(work_s) || run->count <= 0 || !(run->model.params > 0))
        return MLSIM_ERR_INPUT;
    struct mlsim_wholerun *w = calloc(1, sizeof *w);
    if (!w)
        return MLSIM_ERR_NOMEM;
    w->rel = rel;
    w->work_s = work_s * (1.0 + rel->straggler_slowdown);
    w->params = run->model.params;
    w->nodes = job_nodes(run);
    count_components(w, run);
    int weibull = rel->distribution == MLSIM_FAILURE_WEIBULL;
    double k = rel->weibull_shape > 0 ? rel->weibull_shape : 1.0;
    for (int c = 0; c < MLSIM_COMPONENT_N; c++) {
        w->rate_s[c] = rel->rate_per_h[c] / 3600.0;
        if (w->rate_s[c] <= 0)
            continue;
        if (weibull) {
            /* Mean life a Gamma(1 + 1/k) = 1 / rate, so the rate is the long-run one. */
            w->weib_scale_s[c] = 1.0 / (w->rate_s[c] * gsl_sf_gamma(1.0 + 1.0 / k));
            w->n_weib += (size_t)w->count[c];
        } else {
            w->exp_rate_s += w->count[c] * w->rate_s[c];
        }
    }
    w->rng = gsl_rng_alloc(gsl_rng_mt19937);
    w->weib = mlsim_evq_alloc(w->n_weib + 1);
    w->repairs = mlsim_evq_alloc((size_t)(rel->spares_given ? rel->spare_nodes : 0) + 1);
    if (!w->rng || !w->weib || !w->repairs) {
        mlsim_wholerun_free(w);
        return MLSIM_ERR_NOMEM;
    }
    *out = w;
    return MLSIM_OK;
}

void mlsim_wholerun_free(struct mlsim_wholerun *w)
{
    if (!w)
        return;
    gsl_rng_free(w->rng);
    mlsim_evq_free(w->weib);
    mlsim_evq_free(w->repairs);
    free(w);
}

double mlsim_wholerun_count(const struct mlsim_wholerun *w, enum mlsim_component c)
{
    return w->count[c];
}

double mlsim_wholerun_draws(const struct mlsim_wholerun *w)
{
    return w->work_s / mlsim_wholerun_mtbf_s(w) + (double)w->n_weib + 1.0;
}

double mlsim_wholerun_ckpt_bytes(const struct mlsim_wholerun *w)
{
    return w->params * w->rel->ckpt_bytes_per_param;
}

double mlsim_wholerun_ckpt_write_s(const struct mlsim_wholerun *w)
{
    double bw = w->nodes * w->rel->ckpt_write_node_Bps;
    if (w->rel->ckpt_write_total_Bps > 0 && w->rel->ckpt_write_total_Bps < bw)
        bw = w->rel->ckpt_write_total_Bps;
    return mlsim_wholerun_ckpt_bytes(w) / bw;
}

double mlsim_wholerun_mtbf_s(const struct mlsim_wholerun *w)
{
    double total = 0;
    for (int c = 0; c < MLSIM_COMPONENT_N; c++)
        total += w->count[c] * w->rate_s[c];
    return total > 0 ? 1.0 / total : INFINITY;
}

double mlsim_wholerun_ckpt_cost_s(const struct mlsim_wholerun *w)
{
    return w->rel->ckpt_mode == MLSIM_CHECKPOINT_ASYNC ? w->rel->ckpt_stall_s
                                                       : mlsim_wholerun_ckpt_write_s(w);
}

double mlsim_wholerun_young_daly_s(const struct mlsim_wholerun *w)
{
    return sqrt(2.0 * mlsim_wholerun_ckpt_cost_s(w) * mlsim_wholerun_mtbf_s(w));
}

/* ---- failure draws ---- */

/* Payload of a Weibull component: its kind in the low 3 bits. */
static int64_t weib_payload(size_t index, int c)
{
    return (int64_t)index * 8 + c;
}

static enum mlsim_status seed_failures(struct mlsim_wholerun *w)
{
    double t;
    int64_t p;
    while (mlsim_evq_pop(w->weib, &t, &p)) {
    }
    while (mlsim_evq_pop(w->repairs, &t, &p)) {
    }
    size_t index = 0;
    for (int c = 0; c < MLSIM_COMPONENT_N && w->n_weib > 0; c++) {
        if (w->weib_scale_s[c] <= 0)
            continue;
        for (size_t i = 0; i < (size_t)w->count[c]; i++) {
            double life =
                gsl_ran_weibull(w->rng, w->weib_scale_s[c] / w->factor, w->rel->weibull_shape);
            if (mlsim_evq_push(w->weib, life, weib_payload(index++, c)) != MLSIM_OK)
                return MLSIM_ERR_NOMEM;
        }
    }
    return MLSIM_OK;
}

/* The pooled exponential process's next failure after NOW. */
static double next_exponential(struct mlsim_wholerun *w, double now)
{
    return w->exp_rate_s > 0 ? now + gsl_ran_exponential(w->rng, 1.0 / (w->exp_rate_s * w->factor))
                             : INFINITY;
}

/* Which kind of exponential component failed: drawn in proportion to the kinds' rates. */
static int pick_exponential(struct mlsim_wholerun *w)
{
    double u = gsl_rng_uniform(w->rng) * w->exp_rate_s, acc = 0;
    int last = 0;
    for (int c = 0; c < MLSIM_COMPONENT_N; c++) {
        double share = w->weib_scale_s[c] > 0 ? 0.0 : w->count[c] * w->rate_s[c];
        if (share <= 0)
            continue;
        last = c;
        acc += share;
        if (u < acc)
            return c;
    }
    return last;
}

struct clock {
    double next_exp;  /* the pooled process's next failure */
    double next_weib; /* the earliest Weibull component's, or INFINITY */
    int64_t next_weib_payload;
};

static void peek_weibull(struct mlsim_wholerun *w, struct clock *k)
{
    if (!mlsim_evq_pop(w->weib, &k->next_weib, &k->next_weib_payload))
        k->next_weib = INFINITY;
}

static double next_failure(const struct clock *k)
{
    return k->next_exp < k->next_weib ? k->next_exp : k->next_weib;
}

/* Take the failure at next_failure(K): return its kind and draw what comes after it. */
static int take_failure(struct mlsim_wholerun *w, struct clock *k)
{
    if (k->next_exp < k->next_weib) {
        int c = pick_exponential(w);
        k->next_exp = next_exponential(w, k->next_exp);
        return c;
    }
    int c = (int)(k->next_weib_payload % 8);
    double life = gsl_ran_weibull(w->rng, w->weib_scale_s[c] / w->factor, w->rel->weibull_shape);
    /* Cannot fail: the heap had this entry a moment ago, so it has room. */
    (void)mlsim_evq_push(w->weib, k->next_weib + life, k->next_weib_payload);
    peek_weibull(w, k);
    return c;
}

/* ---- the run between failures ---- */

struct cycle {
    double tau;   /* compute between checkpoints */
    double stall; /* the pause of one checkpoint */
    double lag;   /* from the end of the pause to the checkpoint's commit */
    double len;   /* tau + stall */
};

static struct cycle make_cycle(const struct mlsim_wholerun *w, double interval_s)
{
    struct cycle cy = {interval_s, mlsim_wholerun_ckpt_write_s(w), 0.0, 0.0};
    if (w->rel->ckpt_mode == MLSIM_CHECKPOINT_ASYNC) {
        /* The write goes on behind the compute; the next snapshot waits for it if need be. */
        double write = cy.stall;
        cy.stall = w->rel->ckpt_stall_s + (write > interval_s ? write - interval_s : 0.0);
        cy.lag = write;
    }
    cy.len = cy.tau + cy.stall;
    return cy;
}

/* Run from T0 with REMAIN seconds of compute left, until it ends or a failure comes at TF.
 * Adds the compute and pauses to *S; returns the compute committed (all of REMAIN if it ended),
 * and sets *ENDED and *END. */
static double advance(const struct cycle *cy, double t0, double remain, double tf,
                      struct mlsim_wholerun_sample *s, int *ended, double *end)
{
    double n_ckpt = ceil(remain / cy->tau) - 1.0;
    if (n_ckpt < 0)
        n_ckpt = 0;
    double finish = t0 + n_ckpt * cy->len + (remain - n_ckpt * cy->tau);
    if (tf >= finish) {
        s->busy_s += remain;
        s->badput.checkpoint_s += n_ckpt * cy->stall;
        *ended = 1;
        *end = finish;
        return remain;
    }
    double e = tf - t0, m = floor(e / cy->len), compute, stalls;
    if (m >= n_ckpt) {
        compute = n_ckpt * cy->tau + (e - n_ckpt * cy->len);
        stalls = n_ckpt * cy->stall;
    } else {
        double within = e - m * cy->len;
        compute = m * cy->tau + (within < cy->tau ? within : cy->tau);
        stalls = m * cy->stall + (within > cy->tau ? within - cy->tau : 0.0);
    }
    double committed = e >= cy->lag ? floor((e - cy->lag) / cy->len) : 0.0;
    if (committed > n_ckpt)
        committed = n_ckpt;
    s->busy_s += compute;
    s->badput.checkpoint_s += stalls;
    s->badput.lost_s += compute - committed * cy->tau;
    *ended = 0;
    *end = tf;
    return committed * cy->tau;
}

/* ---- failures and restarts ---- */

/* A node's hardware failed at TF (noticed at TDET): the time until a spare can take its place. */
static enum mlsim_status spare_ready(struct mlsim_wholerun *w, double tf, double tdet, int *spares,
                                     double *ready)
{
    const struct mlsim_reliability *rel = w->rel;
    *ready = tdet;
    if (!rel->spares_given)
        return MLSIM_OK;
    double t;
    int64_t p;
    /* Nodes repaired by now are back in the pool. */
    while (mlsim_evq_pop(w->repairs, &t, &p)) {
        if (t > tdet) {
            if (mlsim_evq_push(w->repairs, t, p) != MLSIM_OK)
                return MLSIM_ERR_NOMEM;
            break;
        }
        (*spares)++;
    }
    if (*spares == 0 && mlsim_evq_pop(w->repairs, &t, &p)) {
        *ready = t; /* wait for the first repair */
        (*spares)++;
    }
    if (*spares > 0) {
        (*spares)--;
        if (mlsim_evq_push(w->repairs, tf + rel->repair_s, 0) != MLSIM_OK)
            return MLSIM_ERR_NOMEM;
    } else {
        *ready = tdet + rel->repair_s; /* no pool at all: wait for this node's repair */
    }
    return MLSIM_OK;
}

/* Attribute ELAPSED seconds of a down period to its phases in order: detection, waiting for a
 * repair, then the restart (with the reschedule). */
static void account_down(struct mlsim_badput *b, double elapsed, double det, double wait)
{
    double part = elapsed < det ? elapsed : det;
    b->detection_s += part;
    elapsed -= part;
    part = elapsed < wait ? elapsed : wait;
    b->repair_s += part;
    b->restart_s += elapsed - part;
}

static void finish_sample(const struct mlsim_wholerun *w, struct mlsim_wholerun_sample *s)
{
    double slow = w->rel->straggler_slowdown, compute = s->busy_s;
    s->badput.useful_s = w->work_s / (1.0 + slow);
    s->badput.straggler_s = compute * slow / (1.0 + slow);
    s->badput.lost_s /= 1.0 + slow;
}

enum mlsim_status mlsim_wholerun_simulate(struct mlsim_wholerun *w, double interval_s,
                                          uint64_t seed, struct mlsim_wholerun_sample *out)
{
    memset(out, 0, sizeof *out);
    if (!(interval_s > 0))
        return MLSIM_ERR_INPUT;
    const struct mlsim_reliability *rel = w->rel;
    gsl_rng_set(w->rng, (unsigned long)seed);
    /* Drawn only when asked, so that a run with known rates keeps its draws. */
    w->factor = rel->rate_uncertainty > 1.0
                    ? exp(gsl_ran_gaussian(w->rng, log(rel->rate_uncertainty)))
                    : 1.0;
    enum mlsim_status st = seed_failures(w);
    if (st != MLSIM_OK)
        return st;
    struct clock k = {next_exponential(w, 0.0), INFINITY, 0};
    peek_weibull(w, &k);
    struct cycle cy = make_cycle(w, interval_s);
    double t = 0, done = 0;
    int spares = rel->spares_given ? rel->spare_nodes : 0, ended = 0;
    while (!ended) {
        double tf = next_failure(&k), end;
        done += advance(&cy, t, w->work_s - done, tf, out, &ended, &end);
        t = end;
        while (!ended) {
            if (out->failures >= (double)MLSIM_WHOLERUN_MAX_FAILURES ||
                t * MLSIM_WHOLERUN_MIN_GOODPUT > w->work_s)
                return MLSIM_ERR_RANGE;
            int c = take_failure(w, &k);
            out->failures += 1;
            out->by_component[c] += 1;
            double tdet = t + rel->detection_s, ready = tdet, wait = 0;
            if (is_node_hardware((enum mlsim_component)c)) {
                st = spare_ready(w, t, tdet, &spares, &ready);
                if (st != MLSIM_OK)
                    return st;
                wait = ready - tdet; /* >= 0: spare_ready never answers before TDET */
                ready += rel->reschedule_s;
            }
            ready += rel->restart_s;
            double tn = next_failure(&k);
            /* A failure during the restart starts the recovery over from there. */
            double stop = tn < ready ? tn : ready;
            account_down(&out->badput, stop - t, rel->detection_s, wait);
            t = stop;
            if (tn >= ready)
                break;
        }
    }
    out->wall_s = t;
    out->rate_factor = w->factor;
    finish_sample(w, out);
    return MLSIM_OK;
}
