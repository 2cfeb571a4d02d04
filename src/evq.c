/*
 * Binary heap in an array, root at index 0. Each entry carries its key (time, seq) inline so the
 * sift loops compare without following pointers.
 */
#include "mlsim/evq.h"

#include <stdlib.h>

#include "mlsim/mem.h"

struct entry {
    double time;
    uint64_t seq;
    int64_t payload;
};

struct mlsim_evq {
    struct entry *heap;
    size_t n, cap;
    uint64_t next_seq;
};

struct mlsim_evq *mlsim_evq_alloc(size_t capacity)
{
    struct mlsim_evq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->cap = capacity > 0 ? capacity : 16;
    q->heap = malloc(q->cap * sizeof *q->heap);
    if (!q->heap) {
        free(q);
        return NULL;
    }
    return q;
}

void mlsim_evq_free(struct mlsim_evq *q)
{
    if (!q)
        return;
    free(q->heap);
    free(q);
}

static int earlier(const struct entry *a, const struct entry *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

enum mlsim_status mlsim_evq_push(struct mlsim_evq *q, double time_s, int64_t payload)
{
    void *heap = q->heap;
    enum mlsim_status st = mlsim_mem_grow(&heap, &q->cap, q->n + 1, sizeof *q->heap);
    q->heap = heap;
    if (st != MLSIM_OK)
        return st;
    struct entry e = {time_s, q->next_seq++, payload};
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(&e, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = e;
    return MLSIM_OK;
}

int mlsim_evq_pop(struct mlsim_evq *q, double *time_s, int64_t *payload)
{
    if (q->n == 0)
        return 0;
    *time_s = q->heap[0].time;
    *payload = q->heap[0].payload;
    struct entry last = q->heap[--q->n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= q->n)
            break;
        if (child + 1 < q->n && earlier(&q->heap[child + 1], &q->heap[child]))
            child++;
        if (!earlier(&q->heap[child], &last))
            break;
        q->heap[i] = q->heap[child];
        i = child;
    }
    q->heap[i] = last;
    return 1;
}

size_t mlsim_evq_size(const struct mlsim_evq *q)
{
    return q->n;
}
