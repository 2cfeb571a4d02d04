/*
 * Collective costs in the alpha-beta form of Thakur, Rabenseifner and Gropp 2005 ("Optimization
 * of Collective Communication Operations in MPICH"). Ring: an all-reduce is a reduce-scatter then
 * an all-gather, 2 (P - 1) steps each moving N / P bytes per rank (Patarasuk and Yuan 2009).
 * Tree: recursive halving and doubling (Rabenseifner), 2 log2 P steps for the same bytes on the
 * wire, so fewer latencies for small messages. All-to-all: P - 1 pairwise exchanges of N / P.
 * Send/receive: one step of N bytes. On a torus (torus.h) a group's reductions run as rings along
 * each dimension it spans, at once, a share of the buffer on each (mlsim_collective_torus).
 */
#include "mlsim/collective.h"

#include <math.h>
#include <string.h>

#include "mlsim/hwdb.h"

double mlsim_link_efficiency(int type)
{
    switch (type) {
    case MLSIM_LINK_NVLINK:
        return MLSIM_LINK_EFFICIENCY_NVLINK;
    case MLSIM_LINK_INFINIBAND:
        return MLSIM_LINK_EFFICIENCY_INFINIBAND;
    default:
        return 1.0;
    }
}

/* One share of a reduce-scatter on SPAN, started on dimension FIRST: a ring along each dimension
 * in turn, the share shrinking by that dimension's ranks; (n - 1) steps and (n - 1) / n of what
 * it holds on the wire of each. An all-gather is the same steps in reverse, at the same cost. */
static double torus_share(const struct mlsim_torus_span *span, int first, double share,
                          double step_s)
{
    double t = 0.0;
    for (int q = 0; q < span->n_dims; q++) {
        int d = (first + q) % span->n_dims;
        double n = span->extent[d];
        t += (n - 1.0) * step_s + (n - 1.0) / n * share / span->bw_Bps[d];
        share /= n;
    }
    return t;
}

double mlsim_collective_torus(int op, double bytes, const struct mlsim_link_cost *link)
{
    const struct mlsim_torus_span *span = &link->torus;
    int k = span->n_dims;
    if (k <= 0 || op == MLSIM_COLL_SEND_RECV)
        return link->base_s + link->step_s + bytes / link->bw_Bps;
    double worst = 0.0, steps = 0.0;
    for (int first = 0; first < k; first++) {
        double t = torus_share(span, first, bytes / k, link->step_s);
        worst = t > worst ? t : worst;
    }
    for (int d = 0; d < k; d++)
        steps += span->extent[d] - 1.0;
    switch (op) {
    case MLSIM_COLL_ALL_REDUCE:
        return link->base_s + 2.0 * worst;
    case MLSIM_COLL_ALL_TO_ALL: /* each shard goes part way round: a quarter of the bytes */
        return link->base_s + steps * link->step_s + 0.25 * (worst - steps * link->step_s);
    default:
        return link->base_s + worst;
    }
}

/* Whether LINK carries RANKS ranks as a torus group (else a ring on the one link). */
static int on_torus(int ranks, const struct mlsim_link_cost *link)
{
    return link->torus.n_dims > 0 && mlsim_torus_ranks(&link->torus) == ranks;
}

static double ring_time(int op, int ranks, double bytes, const struct mlsim_link_cost *link)
{
    if (ranks <= 1)
        return 0.0;
    if (on_torus(ranks, link))
        return mlsim_collective_torus(op, bytes, link);
    double p = ranks;
    double steps = op == MLSIM_COLL_ALL_REDUCE ? 2.0 * (p - 1.0) : p - 1.0;
    return link->base_s + steps * link->step_s + steps * (bytes / p) / link->bw_Bps;
}

static double pairwise(int op, int ranks, double bytes, const struct mlsim_link_cost *link)
{
    double p = ranks;
    if (op == MLSIM_COLL_SEND_RECV)
        return link->base_s + link->step_s + bytes / link->bw_Bps;
    /* all-to-all: P - 1 exchanges of N / P bytes each */
    return link->base_s + (p - 1.0) * (link->step_s + bytes / p / link->bw_Bps);
}

static double ring_or_pairwise(int op, int ranks, double bytes, const struct mlsim_link_cost *link)
{
    if (op == MLSIM_COLL_ALL_TO_ALL && ranks > 1 && on_torus(ranks, link))
        return mlsim_collective_torus(op, bytes, link);
    if (op == MLSIM_COLL_ALL_TO_ALL || op == MLSIM_COLL_SEND_RECV)
        return ranks <= 1 && op != MLSIM_COLL_SEND_RECV ? 0.0 : pairwise(op, ranks, bytes, link);
    return ring_time(op, ranks, bytes, link);
}

static double tree_time(int op, int ranks, double bytes, const struct mlsim_link_cost *link)
{
    if (op == MLSIM_COLL_ALL_TO_ALL || op == MLSIM_COLL_SEND_RECV)
        return ring_or_pairwise(op, ranks, bytes, link);
    if (ranks <= 1)
        return 0.0;
    if (on_torus(ranks, link)) /* a torus has no tree: its rings are what it runs */
        return mlsim_collective_torus(op, bytes, link);
    double p = ranks, lg = ceil(log2(p));
    double steps = op == MLSIM_COLL_ALL_REDUCE ? 2.0 * lg : lg;
    double wire = (op == MLSIM_COLL_ALL_REDUCE ? 2.0 : 1.0) * (p - 1.0) / p * bytes;
    return link->base_s + steps * link->step_s + wire / link->bw_Bps;
}

static const struct mlsim_collective_algo algos[] = {
    {"ring", ring_or_pairwise},
    {"tree", tree_time},
};

double mlsim_collective_hierarchical(const struct mlsim_collective_algo *algo, int op, int nodes,
                                     int per_node, double bytes,
                                     const struct mlsim_link_cost *intra,
                                     const struct mlsim_link_cost *inter)
{
    if (nodes <= 1)
        return algo->time(op, per_node, bytes, intra);
    if (per_node <= 1)
        return algo->time(op, nodes, bytes, inter);
    double slice = bytes / per_node;
    switch (op) {
    case MLSIM_COLL_ALL_REDUCE:
        return ring_time(MLSIM_COLL_REDUCE_SCATTER, per_node, bytes, intra) +
               algo->time(MLSIM_COLL_ALL_REDUCE, nodes, slice, inter) +
               ring_time(MLSIM_COLL_ALL_GATHER, per_node, bytes, intra);
    case MLSIM_COLL_REDUCE_SCATTER:
        return ring_time(MLSIM_COLL_REDUCE_SCATTER, per_node, bytes, intra) +
               algo->time(MLSIM_COLL_REDUCE_SCATTER, nodes, slice, inter);
    case MLSIM_COLL_ALL_GATHER:
        return algo->time(MLSIM_COLL_ALL_GATHER, nodes, slice, inter) +
               ring_time(MLSIM_COLL_ALL_GATHER, per_node, bytes, intra);
    default:
        return algo->time(op, nodes * per_node, bytes, inter);
    }
}

const struct mlsim_collective_algo *mlsim_collective_find(const char *name)
{
    for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++) {
        if (strcmp(algos[i].name, name) == 0)
            return &algos[i];
    }
    return NULL;
}
