/*
 * The '#' header lines of a validate/ CSV: what machine, when. Shared by the benchmarks and the
 * trainer so that every measured file names the CPU model, its cores, SIMD flags and clock.
 */
#ifndef VALIDATE_MACHINE_H
#define VALIDATE_MACHINE_H

#include <stdio.h>

/* Write "# tool:", "# cpu:", "# cores:", "# simd:", "# clock:", "# threads:" and "# date:" lines to
 * OUT. THREADS is how many threads the run uses at most. */
void validate_machine_header(FILE *out, const char *tool, int threads);

#endif
