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

/* OP over the torus group of LINK (its torus span, torus.h) of BYTES bytes, on every dimension
 * the group spans at once. TPU pods reduce gradients by a 2-D torus all-reduce (Ying et al.
 * 2018, arXiv:1811.06992: ResNet-50 on a 1,024-chip TPU v3 pod), and a collective over several
 * mesh axes takes bytes / (bidirectional ICI bandwidth x axes), with (n - 1) / n of it along an
 * axis of n (Austin et al. 2025, "How to Scale Your Model", Part 3, its table of collectives);
 * bidirectional only where the axis wraps, else one way round an open line (Part 2). That bound
 * is reached here (our derivation) by splitting the buffer into one share per dimension, each
 * share reduce-scattered dimension by dimension starting on a dimension of its own (x then y,
 * y then x), so every phase keeps every dimension's links busy. Along a dimension of n ranks at
 * w bytes/s a share of s bytes takes (n - 1) steps and (n - 1) / n x s / w, and then shrinks by
 * n; an all-gather is the reverse at the same cost. T_rs = T_ag = base + the slowest share's
 * sum over dimensions; T_ar = base + 2 x that. On k equal dimensions of n (P = n^k) the
 * bandwidth term is (1 - 1 / P) x bytes / (k w), Austin et al.'s. All-to-all: the same steps
 * and a quarter of the bytes (Part 3: shards travel a quarter of a bidirectional ring);
 * send/receive: one link. Seconds. */
double mlsim_collective_torus(int op, double bytes, const struct mlsim_link_cost *link);

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
