/*
 * Work spread over MPI ranks. Every collective here first agrees, with one small all-reduce,
 * whether each rank could allocate what it needs, so that memory running out on one rank is an
 * error on all of them instead of a job that waits forever. Items travel as a contiguous MPI type
 * of their size in bytes: the ranks are copies of one binary on one kind of machine (an MPI job),
 * so a struct's bytes mean the same on each; pointers in them are the caller's to fix up.
 */
#include "mlsim/par.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlsim/mem.h"

void mlsim_par_block(const struct mlsim_par *p, size_t n, size_t *lo, size_t *hi)
{
    if (!p || p->size <= 1) {
        *lo = 0;
        *hi = n;
        return;
    }
    /* The first N % SIZE ranks get one item more; no product that could overflow. */
    size_t size = (size_t)p->size, r = (size_t)p->rank;
    size_t base = n / size, extra = n % size;
    *lo = r * base + (r < extra ? r : extra);
    *hi = *lo + base + (r < extra ? 1 : 0);
}

/* One diagnostic as it travels: its fixed part, then FILE_LEN bytes of file name and MSG_LEN of
 * message (no NUL). HAS_FILE is 0 for a diagnostic with no place. */
struct diag_record {
    int32_t sev, line, col, has_file;
    uint64_t file_len, msg_len;
};

/* Append diagnostics FROM.. of D to *BUF (of *LEN bytes, room *CAP). */
static enum mlsim_status pack_diags(const struct mlsim_diags *d, size_t from, char **buf,
                                    size_t *len, size_t *cap)
{
    for (size_t i = from; i < mlsim_diags_count(d); i++) {
        struct mlsim_loc loc = mlsim_diags_loc(d, i);
        const char *msg = mlsim_diags_message(d, i);
        struct diag_record rec = {
            (int32_t)mlsim_diags_severity(d, i), loc.line,   loc.col, loc.file != NULL,
            loc.file ? strlen(loc.file) : 0,     strlen(msg)};
        size_t need = *len + sizeof rec + rec.file_len + rec.msg_len;
        void *grown = *buf;
        if (mlsim_mem_grow(&grown, cap, need, 1) != MLSIM_OK)
            return MLSIM_ERR_NOMEM;
        *buf = grown;
        memcpy(*buf + *len, &rec, sizeof rec);
        if (rec.file_len)
            memcpy(*buf + *len + sizeof rec, loc.file, rec.file_len);
        memcpy(*buf + *len + sizeof rec + rec.file_len, msg, rec.msg_len);
        *len = need;
    }
    return MLSIM_OK;
}

/* Record again into D the diagnostics packed in the LEN bytes at BUF. */
static enum mlsim_status unpack_diags(struct mlsim_diags *d, const char *buf, size_t len)
{
    char *file = NULL;
    size_t at = 0, file_cap = 0;
    while (at + sizeof(struct diag_record) <= len) {
        struct diag_record rec;
        memcpy(&rec, buf + at, sizeof rec);
        at += sizeof rec;
        if (rec.file_len > len - at || rec.msg_len > len - at - rec.file_len)
            break; /* cannot happen: the bytes were packed by pack_diags */
        void *grown = file;
        if (mlsim_mem_grow(&grown, &file_cap, (size_t)rec.file_len + 1, 1) != MLSIM_OK) {
            free(file);
            return MLSIM_ERR_NOMEM;
        }
        file = grown;
        memcpy(file, buf + at, (size_t)rec.file_len);
        file[rec.file_len] = '\0';
        at += (size_t)rec.file_len;
        /* the diagnostics copy the file name, so one buffer serves every record */
        struct mlsim_loc loc = {rec.has_file ? file : NULL, rec.line, rec.col};
        mlsim_diags_report(d, (enum mlsim_severity)rec.sev, loc, "%.*s", (int)rec.msg_len,
                           buf + at);
        at += (size_t)rec.msg_len;
    }
    free(file);
    return MLSIM_OK;
}

#ifdef MLSIM_MPI

#include <mpi.h>

int mlsim_par_built_with_mpi(void)
{
    return 1;
}

enum mlsim_status mlsim_par_init(int *argc, char ***argv, struct mlsim_par *p)
{
    p->rank = 0;
    p->size = 1;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return MLSIM_ERR_IO;
    mlsim_par_world(p);
    return MLSIM_OK;
}

void mlsim_par_finalize(void)
{
    int up = 0, down = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (up && !down)
        MPI_Finalize();
}

void mlsim_par_world(struct mlsim_par *p)
{
    int up = 0, down = 0;
    p->rank = 0;
    p->size = 1;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (!up || down)
        return;
    MPI_Comm_rank(MPI_COMM_WORLD, &p->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &p->size);
}

static int is_job(const struct mlsim_par *p)
{
    return p && p->size > 1;
}

int mlsim_par_max(const struct mlsim_par *p, int v)
{
    int all = v;
    if (is_job(p))
        MPI_Allreduce(&v, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return all;
}

/* Whether every rank's OK is true (a collective). */
static int all_ok(const struct mlsim_par *p, int ok)
{
    return !mlsim_par_max(p, !ok);
}

enum mlsim_status mlsim_par_share(const struct mlsim_par *p, void *items, size_t n, size_t size)
{
    if (!is_job(p))
        return MLSIM_OK;
    if (n > INT_MAX || size > INT_MAX || size == 0)
        return MLSIM_ERR_RANGE; /* every rank sees the same N and SIZE: no rank is left waiting */
    int *counts = calloc((size_t)p->size, sizeof *counts);
    int *displs = calloc((size_t)p->size, sizeof *displs);
    if (!all_ok(p, counts && displs) || !counts || !displs) {
        free(counts);
        free(displs);
        return MLSIM_ERR_NOMEM;
    }
    for (int r = 0; r < p->size; r++) {
        struct mlsim_par other = {r, p->size};
        size_t lo, hi;
        mlsim_par_block(&other, n, &lo, &hi);
        counts[r] = (int)(hi - lo);
        displs[r] = (int)lo;
    }
    MPI_Datatype item;
    MPI_Type_contiguous((int)size, MPI_BYTE, &item);
    MPI_Type_commit(&item);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, items, counts, displs, item, MPI_COMM_WORLD);
    MPI_Type_free(&item);
    free(counts);
    free(displs);
    return MLSIM_OK;
}

/* Rank 0 receives every rank's LEN bytes at BUF, concatenated in rank order, into *ALL (malloc'd,
 * *ALL_LEN bytes); the others get NULL. A collective. */
static enum mlsim_status gather_bytes(const struct mlsim_par *p, const char *buf, size_t len,
                                      char **all, size_t *all_len)
{
    *all = NULL;
    *all_len = 0;
    if (!all_ok(p, len <= INT_MAX))
        return MLSIM_ERR_RANGE;
    int mine = (int)len, *counts = NULL, *displs = NULL;
    int ok = 1;
    if (p->rank == 0) {
        counts = calloc((size_t)p->size, sizeof *counts);
        displs = calloc((size_t)p->size, sizeof *displs);
        ok = counts && displs;
    }
    if (!all_ok(p, ok)) {
        free(counts);
        free(displs);
        return MLSIM_ERR_NOMEM;
    }
    MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (counts && displs) { /* rank 0, the only one that took them */
        size_t total = 0;
        for (int r = 0; r < p->size; r++) {
            displs[r] = (int)total;
            total += (size_t)counts[r];
        }
        ok = total <= INT_MAX && (*all = malloc(total ? total : 1)) != NULL;
        *all_len = total;
    }
    if (!all_ok(p, ok)) {
        free(*all);
        *all = NULL;
        free(counts);
        free(displs);
        return MLSIM_ERR_NOMEM;
    }
    MPI_Gatherv(buf, mine, MPI_BYTE, *all, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD);
    free(counts);
    free(displs);
    return MLSIM_OK;
}

enum mlsim_status mlsim_par_gather_diags(const struct mlsim_par *p, struct mlsim_diags *d,
                                         size_t from)
{
    if (!is_job(p))
        return MLSIM_OK;
    char *buf = NULL, *all = NULL;
    size_t len = 0, cap = 0, all_len = 0;
    /* rank 0's own diagnostics are already in its D */
    int ok = p->rank == 0 || pack_diags(d, from, &buf, &len, &cap) == MLSIM_OK;
    enum mlsim_status st =
        all_ok(p, ok) ? gather_bytes(p, buf, len, &all, &all_len) : MLSIM_ERR_NOMEM;
    if (st == MLSIM_OK && p->rank == 0)
        st = unpack_diags(d, all, all_len);
    free(buf);
    free(all);
    return st;
}

#else /* one process: each function is that of a job of one rank */

int mlsim_par_built_with_mpi(void)
{
    return 0;
}

/* ARGC is not const: the MPI build's MPI_Init may edit it. */
enum mlsim_status mlsim_par_init(int *argc, // NOLINT(readability-non-const-parameter)
                                 char ***argv, struct mlsim_par *p)
{
    (void)argc;
    (void)argv;
    mlsim_par_world(p);
    return MLSIM_OK;
}

void mlsim_par_finalize(void)
{
}

void mlsim_par_world(struct mlsim_par *p)
{
    p->rank = 0;
    p->size = 1;
}

enum mlsim_status mlsim_par_share(const struct mlsim_par *p, void *items, size_t n, size_t size)
{
    (void)p;
    (void)items;
    (void)n;
    (void)size;
    return MLSIM_OK;
}

int mlsim_par_max(const struct mlsim_par *p, int v)
{
    (void)p;
    return v;
}

enum mlsim_status mlsim_par_gather_diags(const struct mlsim_par *p, struct mlsim_diags *d,
                                         size_t from)
{
    if (p && p->size > 1)
        return MLSIM_ERR_RANGE; /* a job of several ranks needs the MPI build */
    (void)d;
    (void)from;
    return MLSIM_OK;
}

#endif

enum mlsim_status mlsim_par_copy_diags(struct mlsim_diags *dst, const struct mlsim_diags *src,
                                       size_t from)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    enum mlsim_status st = pack_diags(src, from, &buf, &len, &cap);
    if (st == MLSIM_OK)
        st = unpack_diags(dst, buf, len);
    free(buf);
    return st;
}
