/*
 * Schedule orders. For interleaved 1F1B, the k-th forward of a rank runs chunk (k mod PV) / P of
 * micro-batch (k / PV) P + k mod P: micro-batches go through a chunk in groups of P before the
 * rank moves on to its next chunk; backwards visit chunks in the reverse order. A rank warms up
 * with 2 (P - r - 1) + (V - 1) P forwards (Megatron-LM's schedule for Narayanan et al. 2021).
 */
#include "mlsim/pipeline.h"

static struct mlsim_pipe_op op_of(int backward, int k, int p, int v)
{
    int group = k % (p * v);
    int chunk = group / p;
    struct mlsim_pipe_op o = {backward, (k / (p * v)) * p + k % p,
                              backward ? v - 1 - chunk : chunk};
    return o;
}

enum mlsim_status mlsim_pipeline_order(int schedule, int p, int m, int v, int rank,
                                       struct mlsim_pipe_op *ops)
{
    if (p < 1 || m < 1 || v < 1 || rank < 0 || rank >= p)
        return MLSIM_ERR_INPUT;
    if (schedule != MLSIM_SCHEDULE_INTERLEAVED)
        v = 1;
    else if (m % p != 0)
        return MLSIM_ERR_INPUT;
    int total = m * v, n = 0;
    if (schedule == MLSIM_SCHEDULE_GPIPE) {
        for (int k = 0; k < total; k++)
            ops[n++] = op_of(0, k, p, v);
        for (int k = 0; k < total; k++)
            ops[n++] = op_of(1, k, p, v);
        return MLSIM_OK;
    }
    int warmup =
        schedule == MLSIM_SCHEDULE_INTERLEAVED ? 2 * (p - rank - 1) + (v - 1) * p : p - rank - 1;
    if (warmup > total)
        warmup = total;
    int f = 0, b = 0;
    while (f < warmup)
        ops[n++] = op_of(0, f++, p, v);
    while (f < total) {
        ops[n++] = op_of(0, f++, p, v);
        ops[n++] = op_of(1, b++, p, v);
    }
    while (b < total)
        ops[n++] = op_of(1, b++, p, v);
    return MLSIM_OK;
}

int mlsim_pipeline_in_flight(const struct mlsim_pipe_op *ops, size_t n)
{
    int live = 0, most = 0;
    for (size_t i = 0; i < n; i++) {
        live += ops[i].backward ? -1 : 1;
        if (live > most)
            most = live;
    }
    return most;
}

int mlsim_pipeline_peak(int schedule, int p, int m, int v, int rank)
{
    if (schedule == MLSIM_SCHEDULE_GPIPE)
        return m;
    if (schedule != MLSIM_SCHEDULE_INTERLEAVED)
        v = 1;
    int total = m * v;
    int warmup =
        schedule == MLSIM_SCHEDULE_INTERLEAVED ? 2 * (p - rank - 1) + (v - 1) * p : p - rank - 1;
    /* the warm-up forwards, then one more before the first backward frees one */
    return warmup + 1 < total ? warmup + 1 : total;
}
