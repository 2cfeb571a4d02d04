/*
 * A run's chips on a torus. A slice is the most cubic box of the pod's dimensions that holds the
 * run's chips (Google Cloud's slice shapes); ranks fill it in the run's order, tensor ranks
 * innermost along its first dimension (Megatron-LM's order, which layout.h uses throughout), so
 * a group of consecutive ranks is a line, then a plane, and a group strided by the ranks inside
 * it takes every T-th chip of the dimensions those leave. Each group's span feeds collective.c.
 */
#include "mlsim/torus.h"

#include <stddef.h>
#include <stdio.h>

#include "mlsim/hwdb.h"
#include "mlsim/layout.h"
#include "mlsim/result.h"
#include "mlsim/scenario.h"
#include "mlsim/units.h"

long mlsim_torus_ranks(const struct mlsim_torus_span *span)
{
    long n = 1;
    for (int i = 0; i < span->n_dims; i++)
        n *= span->extent[i];
    return n;
}

static void sort3(int v[MLSIM_TORUS_DIMS])
{
    for (int i = 1; i < MLSIM_TORUS_DIMS; i++) {
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    }
}

int mlsim_torus_shape(const int pod[MLSIM_TORUS_DIMS], long chips, int shape[MLSIM_TORUS_DIMS])
{
    int p[MLSIM_TORUS_DIMS];
    for (int i = 0; i < MLSIM_TORUS_DIMS; i++)
        p[i] = pod[i] > 0 ? pod[i] : 1;
    sort3(p);
    int found = 0;
    /* a <= b <= c against the pod's sorted dimensions: the smallest c, then the smallest b */
    for (long a = 1; a <= p[0] && a * a * a <= chips; a++) {
        if (chips % a)
            continue;
        for (long b = a; b <= p[1] && a * b * b <= chips; b++) {
            long c = chips / a;
            if (c % b)
                continue;
            c /= b;
            if (c > p[2] || (found && (c > shape[2] || (c == shape[2] && b >= shape[1]))))
                continue;
            shape[0] = (int)a;
            shape[1] = (int)b;
            shape[2] = (int)c;
            found = 1;
        }
    }
    return found;
}

int mlsim_torus_span_of(const int shape[MLSIM_TORUS_DIMS], int wrap, long stride, long size,
                        double link_Bps, struct mlsim_torus_span *span)
{
    struct mlsim_torus_span s = {0};
    long inner = 1, left = size, pos = stride; /* pos: the group's step, in chips */
    for (int i = 0; i < MLSIM_TORUS_DIMS && left > 1; i++) {
        long e = shape[i];
        if (pos >= inner * e) { /* the group's step skips this dimension */
            inner *= e;
            continue;
        }
        if (pos % inner || e % (pos / inner))
            break;
        long t = pos / inner, n = e / t < left ? e / t : left;
        if (left % n || (n * t < e && n != left))
            break;
        if (n > 1) {
            int closed = wrap > 0 && e % wrap == 0 && n * t == e;
            s.extent[s.n_dims] = (int)n;
            s.wraps[s.n_dims] = closed;
            s.bw_Bps[s.n_dims] = link_Bps * (closed ? 2.0 : 1.0) / (double)t;
            s.n_dims++;
        }
        left /= n;
        inner *= e;
        pos = inner;
    }
    if (left != 1) {
        struct mlsim_torus_span none = {0};
        *span = none;
        return 0;
    }
    *span = s;
    return 1;
}

/* The slice RUN's chips form on its device's torus, and the one link each port is; 0 where the
 * run is not on a torus. */
static int run_slice(const struct mlsim_run *run, int shape[MLSIM_TORUS_DIMS],
                     const struct mlsim_link **port)
{
    const struct mlsim_device *dev = run->device;
    if (!dev || dev->torus.x <= 0)
        return 0;
    *port = mlsim_layout_find_link(dev, run->link);
    if (!*port || (*port)->ports <= 0)
        return 0;
    long node = run->node_size > 0 ? run->node_size : run->count;
    long chips = run->count < node ? run->count : node;
    int pod[MLSIM_TORUS_DIMS] = {dev->torus.x, dev->torus.y, dev->torus.z};
    return chips > 1 && mlsim_torus_shape(pod, chips, shape);
}

static void place(struct mlsim_link_cost *c, const int shape[MLSIM_TORUS_DIMS], int wrap,
                  long stride, long size)
{
    if (size > 1)
        mlsim_torus_span_of(shape, wrap, stride, size, c->bw_Bps, &c->torus);
}

void mlsim_torus_place(const struct mlsim_run *run, const struct mlsim_layout *l,
                       struct mlsim_layout_groups *g)
{
    int shape[MLSIM_TORUS_DIMS];
    const struct mlsim_link *port = NULL;
    if (!run_slice(run, shape, &port))
        return;
    int wrap = run->device->torus.wrap;
    long tp = l->tp, cp = mlsim_layout_cp(l);
    static const int inner[] = {MLSIM_GROUP_TP, MLSIM_GROUP_SP};
    for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++)
        place(&g->g[inner[i]].link, shape, wrap, 1, g->g[inner[i]].size);
    if (!g->g[MLSIM_GROUP_CP].crosses_network)
        place(&g->g[MLSIM_GROUP_CP].link, shape, wrap, tp, cp);
    if (!g->g[MLSIM_GROUP_EP].crosses_network)
        place(&g->g[MLSIM_GROUP_EP].link, shape, wrap, tp, g->g[MLSIM_GROUP_EP].size);
    struct mlsim_layout_group *dp = &g->g[MLSIM_GROUP_DP];
    if (!dp->crosses_network)
        place(&dp->link, shape, wrap, tp * cp, dp->size);
    else if (dp->per_node > 1) /* the reduce-scatter and all-gather inside each slice */
        place(&dp->intra, shape, wrap, tp * cp, dp->per_node);
}

static void span_text(const struct mlsim_torus_span *s, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->n_dims && at < len; i++) {
        int n = snprintf(buf + at, len - at, "%s%d%s", i ? " x " : "", s->extent[i],
                         s->wraps[i] ? " (ring)" : " (line)");
        if (n < 0)
            return;
        at += (size_t)n;
    }
}

/* "tensor 4 (line), data-parallel 4 (ring) x 16 (ring)": where the groups of G lie. */
static void groups_text(const struct mlsim_layout_groups *g, char *buf, size_t len)
{
    static const struct {
        int group;
        const char *name;
    } named[] = {{MLSIM_GROUP_TP, "tensor"},
                 {MLSIM_GROUP_CP, "context"},
                 {MLSIM_GROUP_EP, "expert"},
                 {MLSIM_GROUP_DP, "data-parallel"}};
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof named / sizeof named[0] && at < len; i++) {
        const struct mlsim_layout_group *grp = &g->g[named[i].group];
        const struct mlsim_torus_span *span =
            grp->crosses_network ? &grp->intra.torus : &grp->link.torus;
        if (span->n_dims == 0)
            continue;
        char dims[64];
        span_text(span, dims, sizeof dims);
        int n = snprintf(buf + at, len - at, "%s%s %s", at ? ", " : "", named[i].name, dims);
        if (n < 0)
            return;
        at += (size_t)n;
    }
}

void mlsim_torus_assumptions(const struct mlsim_run *run, int tp, int dp,
                             struct mlsim_assumptions *a)
{
    int shape[MLSIM_TORUS_DIMS];
    const struct mlsim_link *port = NULL;
    if (!run_slice(run, shape, &port))
        return;
    struct mlsim_layout l;
    struct mlsim_layout_groups g;
    mlsim_layout_of_run(run, &l);
    l.tp = tp > 0 ? tp : l.tp;
    l.dp = dp > 0 ? dp : l.dp;
    if (l.dp <= 0)
        return;
    mlsim_layout_groups(run, &l, &g);
    char dims[48], where[192], bw[32], net[32], chip[32];
    if (shape[0] > 1)
        snprintf(dims, sizeof dims, "%dx%dx%d", shape[0], shape[1], shape[2]);
    else
        snprintf(dims, sizeof dims, "%dx%d", shape[1], shape[2]);
    groups_text(&g, where, sizeof where);
    const struct mlsim_device *dev = run->device;
    char pod[48];
    if (dev->torus.z > 1)
        snprintf(pod, sizeof pod, "%dx%dx%d", dev->torus.x, dev->torus.y, dev->torus.z);
    else
        snprintf(pod, sizeof pod, "%dx%d", dev->torus.x, dev->torus.y);
    mlsim_assume(a,
                 "Collectives on the %s slice of the %s torus, %d links per chip (%s each way "
                 "each; a dimension wraps at multiples of %d), as rings along each dimension a "
                 "group spans, both "
                 "ways round where it wraps, a share of the buffer started on each dimension "
                 "(reduce-scatter dimension by dimension, all-gather back; Austin et al. 2025, "
                 "'How to Scale Your Model', Part 3): %s",
                 dims, pod, port->ports,
                 mlsim_units_format(port->bw_each_Bps, MLSIM_DIM_BANDWIDTH, bw, sizeof bw),
                 dev->torus.wrap, where[0] ? where : "no group spans more than a chip");
    if (g.g[MLSIM_GROUP_DP].crosses_network) {
        long node = run->node_size;
        mlsim_assume(a,
                     "%ld slices of %ld chips over the data-center network (%s each way per "
                     "slice, %s per chip): gradients reduce-scattered on each slice's ICI, "
                     "all-reduced across slices, all-gathered back (Google Cloud, 'Multislice')",
                     (run->count + node - 1) / node, node,
                     mlsim_units_format(run->nic_bw_Bps, MLSIM_DIM_BANDWIDTH, net, sizeof net),
                     mlsim_units_format(run->nic_bw_Bps / (double)node, MLSIM_DIM_BANDWIDTH, chip,
                                        sizeof chip));
    }
}
