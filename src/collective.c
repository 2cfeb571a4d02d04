/*
 * Collective costs in the alpha-beta form of Thakur, Rabenseifner and Gropp 2005 ("Optimization
 * of Collective Communication Operations in MPICH"). Ring: an all-reduce is a reduce-scatter then
 * an all-gather, 2 (P - 1) steps each moving N / P bytes per rank (Patarasuk and Yuan 2009).
 * Tree: recursive halving and doubling (Rabenseifner), 2 log2 P steps for the same bytes on the
 * wire, so fewer latencies for small messages. All-to-all: P - 1 pairwise exchanges of N / P.
 * Send/receive: one step of N bytes.
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

static double ring_time(int op, int ranks, double bytes, const struct mlsim_link_cost *link)
{
    if (ranks <= 1)
        return 0.0;
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
