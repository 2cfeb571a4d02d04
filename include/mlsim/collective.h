/*
 * Collective communication costs, alpha-beta style: a collective over P ranks of N bytes takes a
 * base latency, a per-step latency for each of its steps, and its bytes on the wire over the
 * link bandwidth (per direction). Algorithms are entries of one const table.
 */
#ifndef MLSIM_COLLECTIVE_H
#define MLSIM_COLLECTIVE_H

#include <stddef.h>

/* NCCL's own tuning model (src/graph/tuning.cc): base latency of the Ring algorithm with the
 * Simple protocol, 8.4 us, and its NVLink per-step latency, 3.4 us. */
#define MLSIM_COLLECTIVE_BASE_LATENCY_S        8.4e-6
#define MLSIM_COLLECTIVE_NVLINK_STEP_LATENCY_S 3.4e-6

enum mlsim_collective_op {
    MLSIM_COLL_ALL_REDUCE,
    MLSIM_COLL_REDUCE_SCATTER,
    MLSIM_COLL_ALL_GATHER,
    MLSIM_COLL_ALL_TO_ALL,
    MLSIM_COLL_SEND_RECV,
};

/* A link as collectives see it. */
struct mlsim_link_cost {
    double bw_Bps; /* per direction, per rank */
    double step_s; /* latency of one step */
    double base_s; /* fixed cost of one collective */
};

struct mlsim_collective_algo {
    const char *name;
    /* Seconds for OP over RANKS ranks of BYTES bytes (the full buffer, per rank). */
    double (*time)(int op, int ranks, double bytes, const struct mlsim_link_cost *link);
};

/* The algorithm named NAME ("ring", "tree"), or NULL. */
const struct mlsim_collective_algo *mlsim_collective_find(const char *name);

/* A hierarchical collective over NODES nodes of PER_NODE ranks: inside each node a ring
 * reduce-scatter on INTRA, across nodes the algorithm ALGO on INTER over 1/PER_NODE of the bytes
 * (each rank of a node talks to its peers in the other nodes at once), then a ring all-gather
 * inside the node. Falls back to a plain ring when one of the levels has one rank. */
double mlsim_collective_hierarchical(const struct mlsim_collective_algo *algo, int op, int nodes,
                                     int per_node, double bytes,
                                     const struct mlsim_link_cost *intra,
                                     const struct mlsim_link_cost *inter);

#endif
