/*
 * Work spread over processes (MPI ranks): the one seam between mlsim and MPI. A job of SIZE ranks
 * splits N items (search candidates, runs of a sweep, Monte Carlo replicates) into contiguous
 * blocks, one per rank, and gathers the results in item order, so that whatever is computed from
 * them afterwards is done in the same order as in one process and gives the same bytes. Built
 * without MLSIM_MPI (the default), every function here is that of a job of one rank.
 */
#ifndef MLSIM_PAR_H
#define MLSIM_PAR_H

#include <stddef.h>

#include "mlsim/diag.h"
#include "mlsim/status.h"

/* Which rank of how many this process is, in the job of every process started together (MPI's
 * world). Plain data: a NULL pointer to it wherever one is taken means "this process alone". */
struct mlsim_par {
    int rank, size;
};

/* Whether this binary was built with MPI (MLSIM_MPI). */
int mlsim_par_built_with_mpi(void);

/* Start the job (MPI_Init with ARGC and ARGV, which it may edit) and say where this process is
 * in it into *P. Without MPI, *P is rank 0 of 1. MLSIM_ERR_IO if MPI cannot start. */
enum mlsim_status mlsim_par_init(int *argc, char ***argv, struct mlsim_par *p);

/* End the job (MPI_Finalize) if mlsim_par_init started one; every rank must call it. */
void mlsim_par_finalize(void);

/* Where this process is in the job started by mlsim_par_init (rank 0 of 1 when none was). */
void mlsim_par_world(struct mlsim_par *p);

/* The block of N items of rank P->rank: [*LO, *HI). Blocks are contiguous, in rank order, and
 * differ in size by at most one item; a NULL P is one rank, which gets all of them. */
void mlsim_par_block(const struct mlsim_par *p, size_t n, size_t *lo, size_t *hi);

/* ITEMS holds N items of SIZE bytes; each rank has filled its block of them (mlsim_par_block).
 * Afterwards every rank holds all N. A collective: every rank calls it with the same N and SIZE.
 * MLSIM_ERR_NOMEM on every rank if one of them ran out of memory, MLSIM_ERR_RANGE if N or SIZE is
 * past what MPI counts (INT_MAX). Nothing is done for a NULL P or a job of one rank. */
enum mlsim_status mlsim_par_share(const struct mlsim_par *p, void *items, size_t n, size_t size);

/* The largest of every rank's V, on every rank (a collective; V itself for one rank). */
int mlsim_par_max(const struct mlsim_par *p, int v);

/* Diagnostics of ranks above 0 recorded into their D from index FROM on (what they added after
 * the part every rank did alike) are recorded again into rank 0's D, in rank order: what one
 * process would have recorded, in its order. A collective; MLSIM_ERR_NOMEM as for share. */
enum mlsim_status mlsim_par_gather_diags(const struct mlsim_par *p, struct mlsim_diags *d,
                                         size_t from);

/* What mlsim_par_gather_diags does between ranks, within one process: diagnostics FROM.. of SRC
 * packed as they travel and recorded again into DST (so a test of one process covers the form). */
enum mlsim_status mlsim_par_copy_diags(struct mlsim_diags *dst, const struct mlsim_diags *src,
                                       size_t from);

#endif
