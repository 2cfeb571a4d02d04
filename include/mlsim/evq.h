/*
 * The event queue: a binary min-heap of (time, sequence, payload). Ties in time break on the
 * sequence number, which only grows, so events at equal times come out in the order they were
 * pushed and every run is deterministic. The heap grows by doubling; push and pop are O(log n)
 * and allocate nothing once the heap has room.
 */
#ifndef MLSIM_EVQ_H
#define MLSIM_EVQ_H

#include <stddef.h>
#include <stdint.h>

#include "mlsim/status.h"

struct mlsim_evq;

/* Return an empty queue with room for CAPACITY events (grows as needed), or NULL. */
struct mlsim_evq *mlsim_evq_alloc(size_t capacity);

/* Free Q. NULL is a no-op. */
void mlsim_evq_free(struct mlsim_evq *q);

/* Add an event at TIME_S carrying PAYLOAD. Returns MLSIM_ERR_NOMEM if the heap cannot grow. */
enum mlsim_status mlsim_evq_push(struct mlsim_evq *q, double time_s, int64_t payload);

/* Remove the earliest event (ties: first pushed) into *TIME_S and *PAYLOAD; 0 if Q is empty. */
int mlsim_evq_pop(struct mlsim_evq *q, double *time_s, int64_t *payload);

/* Number of pending events. */
size_t mlsim_evq_size(const struct mlsim_evq *q);

#endif
