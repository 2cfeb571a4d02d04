/*
 * Collective communication costs, alpha-beta style: a collective over P ranks of N bytes takes a
 * base latency, a per-step latency for each of its steps, and its bytes on the wire over the
 * link bandwidth (per direction). Algorithms are entries of one const table.
 */
#ifndef MLSIM_COLLECTIVE_H
#define MLSIM_COLLECTIVE_H

#include <stddef.h>

#include "mlsim/layout.h"
#include "mlsim/vocab.h"

/* NCCL's own tuning model (src/graph/tuning.cc): base latency of the Ring algorithm with the
 * Simple protocol, 8.4 us, and its NVLink per-step latency, 3.4 us. */
#define MLSIM_COLLECTIVE_BASE_LATENCY_S        8.4e-6
#define MLSIM_COLLECTIVE_NVLINK_STEP_LATENCY_S 3.4e-6

/* What NCCL reaches of a link's per-direction bandwidth (bus bandwidth of large collectives).
 * NVLink: "450GB/s is the line rate. With the protocol overhead (~20%) NCCL can get an effective
 * NVLink bandwidth of 370GB/s" (S. Jeaugey, NCCL maintainer, NVIDIA/nccl-tests issue 212,
 * 2024-05-06; likewise ~160 of 200 GB/s on A800 NVLink, NVIDIA/nccl issue 412): 0.8.
 * InfiniBand: "We usually consider 24GB/s is the peak performance per 200G NIC" (same author,
 * NVIDIA/nccl-tests issue 119, 2022-11-17; NVIDIA/nccl issue 812 reports 192 GB/s all-reduce bus
 * bandwidth from a DGX A100's 8 x 200 Gb/s): 24 of 25 GB/s. */
#define MLSIM_LINK_EFFICIENCY_NVLINK     0.80
#define MLSIM_LINK_EFFICIENCY_INFINIBAND 0.96

/* Compute slowed by communication running beside it: NCCL's kernels take SMs and memory
 * bandwidth from the compute they overlap. Lee et al. 2025 ("Characterizing Compute-Communication
 * Overlap in GPU-Accelerated Distributed Deep Learning", arXiv:2507.03114) measured compute
 * 18.9% slower on average while overlapped (at most 40%), over GPT and Llama training on A100,
 * H100, MI250 and MI210: each second of a collective overlapping compute costs the compute
 * 0.189 s. */
#define MLSIM_OVERLAP_SLOWDOWN 0.189

/* The fraction of a link's bandwidth collectives reach on a link of TYPE (enum mlsim_link_type):
 * the figures above, or 1 (the full bandwidth) where mlsim has no measurement. */
double mlsim_link_efficiency(int type);

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
