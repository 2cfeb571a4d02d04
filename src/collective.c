/*
 * Ring collectives (Patarasuk and Yuan 2009; Thakur et al. 2005): an all-reduce is a
 * reduce-scatter then an all-gather, 2 (P - 1) steps each moving N / P bytes per rank.
 */
#include "mlsim/collective.h"

#include <string.h>

static double ring_time(int op, int ranks, double bytes, const struct mlsim_link_cost *link)
{
    if (ranks <= 1)
        return 0.0;
    double p = ranks;
    double steps = op == MLSIM_COLL_ALL_REDUCE ? 2.0 * (p - 1.0) : p - 1.0;
    return link->base_s + steps * link->step_s + steps * (bytes / p) / link->bw_Bps;
}

static const struct mlsim_collective_algo algos[] = {
    {"ring", ring_time},
};

const struct mlsim_collective_algo *mlsim_collective_find(const char *name)
{
    for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++) {
        if (strcmp(algos[i].name, name) == 0)
            return &algos[i];
    }
    return NULL;
}
