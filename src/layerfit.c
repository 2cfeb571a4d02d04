/*
 * Fitting a device's large-GEMM efficiency to measured transformer-layer times; see layerfit.h.
 */
#include "mlsim/layerfit.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mlsim/layout.h"
#include "mlsim/minimize.h"
#include "mlsim/scenario.h"
#include "mlsim/simulate.h"

#define DF(path, kind, dim, member, lo, hi, names)                                                 \
    {                                                                                              \
        path, kind, dim, offsetof(struct mlsim_layer_data, member),                                \
            sizeof(((struct mlsim_layer_data *)0)->member), lo, hi, 0, names, NULL                 \
    }
#define DSEC(path)                                                                                 \
    {                                                                                              \
        path, MLSIM_FIELD_SECTION, MLSIM_DIM_NUMBER, 0, 0, 0, 0, 0, NULL, NULL                     \
    }
#define DSTR(path, member) DF(path, MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, member, 0, 0, NULL)
#define DINT(path, member) DF(path, MLSIM_FIELD_INT, MLSIM_DIM_NUMBER, member, 0, 1e9, NULL)

static enum mlsim_status load_rows(const struct mlsim_ynode *seq, void *obj, struct mlsim_diags *d);

static const struct mlsim_field data_fields[] = {
    DSTR("title", title),
    DSTR("source", source),
    DSTR("device", device),
    DF("precision", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, precision, 0, 0, mlsim_precision_names),
    DSTR("link", link),
    DSEC("model"),
    DINT("model.hidden", hidden),
    DINT("model.heads", heads),
    DINT("model.seq_len", seq_len),
    DSEC("training"),
    DINT("training.tp", tp),
    DINT("training.micro_batch", micro_batch),
    DF("training.attention", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, attention, 0, 0,
       mlsim_attention_names),
    {"layers", MLSIM_FIELD_LIST, MLSIM_DIM_NUMBER, offsetof(struct mlsim_layer_data, rows),
     sizeof(((struct mlsim_layer_data *)0)->rows), 0, 0, 0, NULL, load_rows},
};
_Static_assert(sizeof data_fields / sizeof data_fields[0] <= MLSIM_SCHEMA_MAX_FIELDS,
               "a schema holds at most MLSIM_SCHEMA_MAX_FIELDS fields (its provenance arrays)");

static const struct mlsim_schema data_schema = {"layer timings", data_fields,
                                                sizeof data_fields / sizeof data_fields[0],
                                                offsetof(struct mlsim_layer_data, prov), NULL};

#define RF(path, kind, dim, member, lo, hi, names)                                                 \
    {                                                                                              \
        path, kind, dim, offsetof(struct mlsim_layer_row, member),                                 \
            sizeof(((struct mlsim_layer_row *)0)->member), lo, hi, 0, names, NULL                  \
    }

static const struct mlsim_field row_fields[] = {
    RF("name", MLSIM_FIELD_STRING, MLSIM_DIM_NUMBER, name, 0, 0, NULL),
    RF("recompute", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, recompute, 0, 0, mlsim_recompute_names),
    RF("sequence_parallel", MLSIM_FIELD_ENUM, MLSIM_DIM_NUMBER, sequence_parallel, 0, 0,
       mlsim_bool_names),
    RF("forward", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME, forward_s, 0, INFINITY, NULL),
    RF("backward", MLSIM_FIELD_QUANTITY, MLSIM_DIM_TIME, backward_s, 0, INFINITY, NULL),
};
_Static_assert(sizeof row_fields / sizeof row_fields[0] <= MLSIM_SCHEMA_MAX_FIELDS,
               "a schema holds at most MLSIM_SCHEMA_MAX_FIELDS fields (its provenance arrays)");

static const struct mlsim_schema row_schema = {"layer", row_fields,
                                               sizeof row_fields / sizeof row_fields[0],
                                               offsetof(struct mlsim_layer_row, prov), NULL};

static int need(const struct mlsim_schema *s, const void *obj, const char *path,
                struct mlsim_loc where, const char *what, struct mlsim_diags *d)
{
    if (mlsim_schema_given(s, obj, path) || mlsim_schema_seen(s, obj, path))
        return 1;
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, where, "%s needs '%s'", what, path);
    return 0;
}

static enum mlsim_status load_rows(const struct mlsim_ynode *seq, void *obj, struct mlsim_diags *d)
{
    struct mlsim_layer_data *data = obj;
    int ok = 1;
    if (seq->n == 0 || seq->n > MLSIM_LAYERFIT_MAX_ROWS) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, seq->loc,
                           "'layers' lists 1 to %d measured layers", MLSIM_LAYERFIT_MAX_ROWS);
        return MLSIM_ERR_INPUT;
    }
    for (size_t i = 0; i < seq->n; i++) {
        struct mlsim_layer_row *r = &data->rows[data->n_rows++];
        memset(r, 0, sizeof *r);
        r->loc = seq->items[i]->loc;
        if (seq->items[i]->type != MLSIM_YNODE_MAP) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                               "each entry of 'layers' is a mapping (name, recompute, "
                               "sequence_parallel, forward, backward)");
            ok = 0;
            continue;
        }
        if (mlsim_schema_load(&row_schema, seq->items[i], r, d) != MLSIM_OK)
            ok = 0;
        ok &= need(&row_schema, r, "forward", r->loc, "a measured layer", d);
        ok &= need(&row_schema, r, "backward", r->loc, "a measured layer", d);
    }
    return ok ? MLSIM_OK : MLSIM_ERR_INPUT;
}

enum mlsim_status mlsim_layerfit_read(const char *path, struct mlsim_layer_data *data,
                                      struct mlsim_diags *d)
{
    memset(data, 0, sizeof *data);
    enum mlsim_status st = mlsim_ydoc_load_file(path, d, &data->doc);
    if (st != MLSIM_OK)
        return st;
    const struct mlsim_ynode *root = data->doc->root;
    struct mlsim_loc whole = {data->doc->file, 1, 1};
    if (!root || root->type != MLSIM_YNODE_MAP) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, root ? root->loc : whole,
                           "a file of layer timings is a mapping with 'device', 'precision', "
                           "'link', 'model', 'training' and 'layers'");
        return MLSIM_ERR_INPUT;
    }
    int ok = mlsim_schema_load(&data_schema, root, data, d) == MLSIM_OK;
    static const char *const required[] = {"device",       "precision",   "link",
                                           "model.hidden", "model.heads", "model.seq_len",
                                           "training.tp",  "layers",      "training.micro_batch"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        ok &= need(&data_schema, data, required[i], root->loc, "a file of layer timings", d);
    if (ok && (data->hidden <= 0 || data->heads <= 0 || data->seq_len <= 0 || data->tp <= 0 ||
               data->micro_batch <= 0)) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, root->loc,
                           "model.hidden, model.heads, model.seq_len, training.tp and "
                           "training.micro_batch must be positive");
        ok = 0;
    }
    return ok && mlsim_diags_errors(d) == 0 ? MLSIM_OK : MLSIM_ERR_INPUT;
}

void mlsim_layerfit_release(struct mlsim_layer_data *data)
{
    mlsim_ydoc_free(data->doc);
    data->doc = NULL;
}

void mlsim_layerfit_spec(const struct mlsim_layer_data *data, const struct mlsim_layer_row *row,
                         struct mlsim_workload_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->model.layers = 3; /* the middle one: no embedding before it, no head after */
    spec->first_layer = 1;
    spec->n_layers = 1;
    spec->model.hidden = data->hidden;
    spec->model.heads = data->heads;
    spec->model.seq_len = data->seq_len;
    spec->model.vocab = data->tp; /* unused by a middle layer; divisible by tp */
    spec->micro_batch = data->micro_batch;
    spec->tp = data->tp;
    spec->sequence_parallel = row->sequence_parallel;
    spec->recompute = row->recompute;
    spec->attention = data->attention;
    spec->optimizer = MLSIM_OPTIMIZER_ADAM;
    spec->elem_bytes = mlsim_precision_elem_bytes(data->precision);
}

enum mlsim_status mlsim_layer_time(const struct mlsim_kernel_model *km,
                                   const struct mlsim_link_cost *tp_link,
                                   const struct mlsim_workload_spec *spec, double *fwd_s,
                                   double *bwd_s)
{
    struct mlsim_workload w;
    enum mlsim_status st = mlsim_workload_build(spec, &w);
    if (st != MLSIM_OK)
        return st;
    const struct mlsim_collective_algo *ring = mlsim_collective_find("ring");
    const struct mlsim_kernel *lists[] = {w.fwd, w.bwd};
    size_t ns[] = {w.n_fwd, w.n_bwd};
    double t[2] = {0, 0};
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < ns[l]; i++) {
            const struct mlsim_kernel *k = &lists[l][i];
            t[l] += k->kind == MLSIM_KERNEL_COMM
                        ? ring->time(k->coll_op, spec->tp, k->bytes, tp_link)
                        : mlsim_kernel_time(km, k);
        }
    }
    mlsim_workload_release(&w);
    *fwd_s = t[0];
    *bwd_s = t[1];
    return MLSIM_OK;
}

enum mlsim_status mlsim_layerfit_models(const struct mlsim_layer_data *data,
                                        const struct mlsim_device *dev,
                                        struct mlsim_kernel_model *km,
                                        struct mlsim_link_cost *tp_link)
{
    if (dev->peak_flops[data->precision] <= 0 || dev->mem_bw_Bps <= 0)
        return MLSIM_ERR_INPUT;
    mlsim_kernel_model_init(dev, data->precision, km);
    const struct mlsim_link *link = mlsim_layout_find_link(dev, data->link);
    if (!link && data->tp > 1)
        return MLSIM_ERR_INPUT;
    *tp_link = mlsim_layout_link_cost(link);
    return MLSIM_OK;
}

struct problem {
    const struct mlsim_layer_data *data;
    struct mlsim_kernel_model km;
    struct mlsim_link_cost link;
    enum mlsim_status st;
};

/* Sum of squared log(predicted / measured) at GEMM efficiency G; predictions into FIT if given. */
static double cost(double g, void *arg, struct mlsim_layerfit *fit)
{
    struct problem *pr = arg;
    struct mlsim_kernel_model km = pr->km;
    /* flash kernels carry the fitted efficiency unless the device has a figure of their own */
    if (km.flash_eff == km.gemm_eff)
        km.flash_eff = g;
    km.gemm_eff = g;
    double sum = 0;
    for (int i = 0; i < pr->data->n_rows; i++) {
        const struct mlsim_layer_row *r = &pr->data->rows[i];
        struct mlsim_workload_spec spec;
        double f = 0, b = 0;
        mlsim_layerfit_spec(pr->data, r, &spec);
        enum mlsim_status st = mlsim_layer_time(&km, &pr->link, &spec, &f, &b);
        if (st != MLSIM_OK) {
            pr->st = st;
            return HUGE_VAL;
        }
        sum += log(f / r->forward_s) * log(f / r->forward_s) +
               log(b / r->backward_s) * log(b / r->backward_s);
        if (fit) {
            fit->fwd_s[i] = f;
            fit->bwd_s[i] = b;
        }
    }
    return sum;
}

static double cost_fn(double g, void *arg)
{
    return cost(g, arg, NULL);
}

enum mlsim_status mlsim_layerfit_fit(const struct mlsim_layer_data *data,
                                     const struct mlsim_device *dev, struct mlsim_layerfit *fit)
{
    memset(fit, 0, sizeof *fit);
    struct problem pr;
    memset(&pr, 0, sizeof pr);
    pr.data = data;
    pr.st = MLSIM_OK;
    if (data->n_rows < 1 || mlsim_layerfit_models(data, dev, &pr.km, &pr.link) != MLSIM_OK)
        return MLSIM_ERR_INPUT;
    const double lo = 0.01, hi = 1.0;
    /* Brent needs a point below both ends: take the best of a coarse scan */
    double best = 0.5, best_c = HUGE_VAL;
    for (int i = 1; i < 100; i++) {
        double g = lo + (hi - lo) * i / 100.0, c = cost_fn(g, &pr);
        if (pr.st != MLSIM_OK)
            return pr.st;
        if (c < best_c) {
            best_c = c;
            best = g;
        }
    }
    double a = best - 0.01 > lo ? best - 0.01 : lo, b = best + 0.01 < hi ? best + 0.01 : hi;
    best = mlsim_minimize_brent(cost_fn, &pr, best, a, b);
    /* the scan's best stands if Brent could not start (a minimum at an end of the range) */
    double chisq = cost(best, &pr, fit);
    int n = 2 * data->n_rows;
    /* one standard error: residual variance over the summed squared slopes of the residuals */
    double h = 1e-4 * best, slopes = 0;
    struct mlsim_layerfit up, down;
    cost(best + h, &pr, &up);
    cost(best - h, &pr, &down);
    for (int i = 0; i < data->n_rows; i++) {
        double jf = (log(up.fwd_s[i]) - log(down.fwd_s[i])) / (2 * h);
        double jb = (log(up.bwd_s[i]) - log(down.bwd_s[i])) / (2 * h);
        slopes += jf * jf + jb * jb;
    }
    fit->gemm_eff = best;
    fit->n_points = n;
    fit->rms_rel = sqrt(chisq / n);
    fit->sigma = n > 1 && slopes > 0 ? sqrt(chisq / (n - 1) / slopes) : 0;
    return pr.st;
}
