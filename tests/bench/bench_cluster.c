/*
 * Cluster-scale benchmark: one training step of GPT-3 175B (tensor 8 x pipeline 16) on 1,024
 * and on 16,384 A100s, timed on one core, with 1F1B and interleaved schedules. Prints figures;
 * asserts nothing (a benchmark, not a test).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mlsim/cluster.h"
#include "mlsim/pipeline.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int one_run(int devices, int global_batch, int schedule, int interleave, int no_fold,
                   struct mlsim_cluster_result *out);

static int one(int devices, int global_batch, int schedule, int interleave)
{
    struct mlsim_cluster_result r;
    return one_run(devices, global_batch, schedule, interleave, 0, &r);
}

static int one_run(int devices, int global_batch, int schedule, int interleave, int no_fold,
                   struct mlsim_cluster_result *out)
{
    static const struct mlsim_kernel_model km = {.peak_flops = 312e12,
                                                 .vector_flops = 19.5e12,
                                                 .mem_bw_Bps = 2.039e12,
                                                 .gemm_eff = 0.781,
                                                 .mem_eff = 0.88,
                                                 .overhead_s = 5e-6};
    struct mlsim_cluster_config c;
    struct mlsim_cluster_result r;
    memset(&c, 0, sizeof c);
    c.spec.model.layers = 96;
    c.spec.model.hidden = 12288;
    c.spec.model.heads = 96;
    c.spec.model.seq_len = 2048;
    c.spec.model.vocab = 51200;
    c.spec.micro_batch = 1;
    c.spec.recompute = MLSIM_RECOMPUTE_FULL;
    c.spec.optimizer = MLSIM_OPTIMIZER_ADAM;
    c.spec.elem_bytes = 2;
    c.spec.tp = 8;
    c.km = &km;
    c.tp = 8;
    c.pp = 16;
    c.dp = devices / (c.tp * c.pp);
    c.microbatches = global_batch / c.dp;
    c.schedule = schedule;
    c.interleave = interleave;
    c.grad_elem_bytes = 2;
    struct mlsim_link_cost fast = {.bw_Bps = 300e9, .step_s = 3.4e-6, .base_s = 8.4e-6},
                           net = {.bw_Bps = 25e9, .step_s = 3.4e-6, .base_s = 8.4e-6};
    for (int g = 0; g < MLSIM_GROUP_N; g++) {
        c.groups.g[g].size = 1;
        c.groups.g[g].link = c.groups.g[g].intra = fast;
        c.groups.g[g].per_node = 1;
    }
    c.groups.g[MLSIM_GROUP_TP].size = c.groups.g[MLSIM_GROUP_SP].size = c.tp;
    c.groups.g[MLSIM_GROUP_PP].size = c.pp;
    c.groups.g[MLSIM_GROUP_PP].link = c.groups.g[MLSIM_GROUP_DP].link = net;
    c.groups.g[MLSIM_GROUP_DP].size = c.dp;
    c.groups.share_nic = 1; /* sends and reductions across nodes share each device's NIC */
    c.algo = mlsim_collective_find("ring");
    c.no_fold = no_fold;
    double t0 = now_s();
    enum mlsim_status st = mlsim_cluster_simulate(&c, &r, NULL);
    double dt = now_s() - t0;
    printf("GPT-3 175B, %5d A100s (tp 8, pp 16, dp %4d, %6d micro-batches, %s x%d%s): %9.3f ms to "
           "simulate, %8llu events, %8zu tasks, simulated step %.6g s%s\n",
           devices, c.dp, c.microbatches, mlsim_schedule_names[schedule], interleave,
           r.folded ? ", folded" : "", 1e3 * dt, (unsigned long long)r.events, r.tasks, r.step_s,
           st == MLSIM_OK ? "" : " FAILED");
    *out = r;
    return st != MLSIM_OK;
}

int main(void)
{
    int bad = one(1024, 1536, MLSIM_SCHEDULE_1F1B, 1);
    bad |= one(1024, 1536, MLSIM_SCHEDULE_INTERLEAVED, 2);
    bad |= one(16384, 16384, MLSIM_SCHEDULE_1F1B, 1);
    bad |= one(16384, 16384, MLSIM_SCHEDULE_INTERLEAVED, 3);
    /* Long steps (issue 12): 128 A100s (dp 1), so every sequence is a micro-batch of the one
     * pipeline. Unfolded, every task is built up front (about 146 bytes each): 1F1B with 262,144
     * micro-batches needs about 2.3 GB, interleaving by 6 more. Folded, the steady state is
     * simulated at four short counts. The folded and unfolded steps are compared at 16,384
     * micro-batches (4,096 interleaved: 16,384 of them are more tasks than one simulation
     * holds). */
    struct mlsim_cluster_result f, u;
    for (int i = 0; i < 2; i++) {
        int sched = i ? MLSIM_SCHEDULE_INTERLEAVED : MLSIM_SCHEDULE_1F1B, v = i ? 6 : 1;
        int check = i ? 4096 : 16384;
        bad |= one_run(128, check, sched, v, 0, &f);
        bad |= one_run(128, check, sched, v, 1, &u);
        printf("  folded against every micro-batch simulated: step %+.2e relative, %.0fx fewer "
               "tasks\n",
               f.step_s / u.step_s - 1, (double)u.tasks / (double)f.tasks);
        bad |= one_run(128, 262144, sched, v, 0, &f);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak resident memory of this benchmark: %.0f MB\n", (double)ru.ru_maxrss / 1024.0);
    return bad;
}
