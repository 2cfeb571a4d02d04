/*
 * Chips on a torus (TPU ICI): the shape of a slice of a run's chips, and where a communication
 * group of ranks lies on it, dimension by dimension, with the bandwidth each rank has along
 * each. The collectives that use it are collective.c's; the groups are layout.c's. Plain data:
 * this header includes nothing, so layout.h can carry a span inside its link cost.
 */
#ifndef MLSIM_TORUS_H
#define MLSIM_TORUS_H

#define MLSIM_TORUS_DIMS 3

/* Where one group of ranks lies on a torus: the dimensions it spans (those with more than one of
 * its ranks), its ranks along each, and the bytes/s per direction each rank moves along each. A
 * dimension the group closes into a ring (the slice wraps it and the group covers it whole) has
 * two links per rank, one each way round, so a bidirectional ring sends on both: twice a link.
 * An open line carries a ring as one link each way. Where T groups interleave along one
 * dimension (a data-parallel group taking every T-th chip after T tensor ranks), each link
 * carries all T of them: a T-th each. n_dims 0: not on a torus (a switched link). */
struct mlsim_torus_span {
    int n_dims;
    int extent[MLSIM_TORUS_DIMS];
    int wraps[MLSIM_TORUS_DIMS];
    double bw_Bps[MLSIM_TORUS_DIMS];
};

/* The ranks of SPAN (the product of its extents; 1 when it spans nothing). */
long mlsim_torus_ranks(const struct mlsim_torus_span *span);

/* The slice of CHIPS chips a pod of POD (x, y, z; z 0 or 1 for 2D) gives: the most cubic
 * a <= b <= c whose product is CHIPS and that fits the pod's dimensions, sorted (Google Cloud's
 * shapes: v5e 4x8, 8x16; v5p 2x4x4, 4x4x8, 8x16x16), into SHAPE ascending. Returns 0 when no
 * shape fits (CHIPS not a product of the pod's dimensions' divisors, or too many). */
int mlsim_torus_shape(const int pod[MLSIM_TORUS_DIMS], long chips, int shape[MLSIM_TORUS_DIMS]);

/* Where a group of SIZE ranks, STRIDE apart in the run's rank order, lies on a slice of SHAPE
 * whose dimensions wrap at multiples of WRAP, ranks filling SHAPE[0] first (the innermost ranks
 * on the first dimension, as tensor ranks are innermost): into *SPAN, each dimension's bandwidth
 * from LINK_BPS (one link, per direction). Returns 0 when the group is not a product of whole
 * runs along the dimensions (a stride or size that cuts a dimension unevenly) or leaves the
 * slice; *SPAN then spans nothing. */
int mlsim_torus_span_of(const int shape[MLSIM_TORUS_DIMS], int wrap, long stride, long size,
                        double link_Bps, struct mlsim_torus_span *span);

/* Give RUN's groups under L (layout.c's, on the node's fast link) their places on RUN's
 * device's torus, where the device has one and the fast link is its ports: tensor, sequence,
 * context, data (or, across slices, the data group's ranks inside one slice) and expert groups.
 * Pipeline sends stay on one link. Nothing changes for a device without a torus. */
struct mlsim_run;
struct mlsim_layout;
struct mlsim_layout_groups;
void mlsim_torus_place(const struct mlsim_run *run, const struct mlsim_layout *l,
                       struct mlsim_layout_groups *g);

/* Say into A, for RUN on a torus at tensor TP and data DP (0: the run's own), the slice's shape,
 * its links per chip and their bandwidth, whether its dimensions wrap, where the data-parallel
 * group lies, and, over several slices, the data-center network between them. Nothing for a run not
 * on a torus. */
struct mlsim_assumptions;
void mlsim_torus_assumptions(const struct mlsim_run *run, int tp, int dp,
                             struct mlsim_assumptions *a);

#endif
