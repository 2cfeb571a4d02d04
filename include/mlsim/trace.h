/*
 * Timelines: a simulated step written as Chrome trace-event JSON, which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open. One process per run, one track per resource
 * (compute stream, communication stream, copy stream); each task is a complete event with its
 * FLOPs, bytes, layer and micro-batch as arguments.
 */
#ifndef MLSIM_TRACE_H
#define MLSIM_TRACE_H

#include <stdio.h>

#include "mlsim/sim.h"

/* Write the opening of a trace file to OUT. */
void mlsim_trace_begin(FILE *out);

/* Write SIM's tasks as process PID named NAME. FIRST is nonzero for the first process written. */
void mlsim_trace_process(FILE *out, const struct mlsim_sim *sim, int pid, const char *name,
                         int first);

/* Close the trace. */
void mlsim_trace_end(FILE *out);

#endif
