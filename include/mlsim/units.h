/*
 * Units at the edge. Every quantity in a YAML file may carry a unit ("312 TFLOPS", "40 GiB",
 * "$1.5/h", "175B"); the loader parses it once into an SI double (FLOP/s, bytes, W, J, USD, s,
 * USD/s, USD/J, kg/J) and the report formats it once on the way out. Nothing between the two sees
 * a unit string.
 */
#ifndef MLSIM_UNITS_H
#define MLSIM_UNITS_H

#include <stddef.h>

#include "mlsim/status.h"

/* What a quantity measures, and so which units it accepts: its name, the SI unit it is held in,
 * and what a bare number (one without a unit) means. Where the SI reading of a bare number is a
 * trap (2 as a price is $2 per second, $7,200/h; 0.1 as an electricity price is $0.1 per joule),
 * the last column is NULL: a bare number other than 0 is refused with a suggested unit. A failure
 * rate is held per component-hour, not per second: the unit its sources and reliability.h use. */
#define MLSIM_DIM_TABLE(X)                                                                         \
    X(NUMBER, "a plain number", "", "a plain number")                                              \
    X(COUNT, "a count", "", "a count")                                                             \
    X(RATIO, "a fraction", "", "a fraction (0.4 = 40%)")                                           \
    X(FLOP, "an amount of work in FLOP", "FLOP", "FLOP")                                           \
    X(FLOPS, "a throughput in FLOP/s", "FLOP/s", "FLOP/s")                                         \
    X(BYTES, "a size in bytes", "B", "bytes")                                                      \
    X(BANDWIDTH, "a bandwidth in bytes per second", "B/s", "bytes per second")                     \
    X(POWER, "a power in watts", "W", "watts")                                                     \
    X(ENERGY, "an energy", "J", NULL)                                                              \
    X(MONEY, "an amount of money", "USD", NULL)                                                    \
    X(MONEY_RATE, "a price per hour", "USD/s", NULL)                                               \
    X(ENERGY_PRICE, "a price of electricity", "USD/J", NULL)                                       \
    X(TIME, "a time", "s", "seconds")                                                              \
    X(CARBON_INTENSITY, "a carbon intensity", "kg/J", NULL)                                        \
    X(FREQUENCY, "a frequency", "Hz", "hertz")                                                     \
    X(HASHRATE, "a hash rate", "H/s", "hashes per second")                                         \
    X(FAILURE_RATE, "a failure rate", "/h", "failures per component-hour")

enum mlsim_dim {
#define MLSIM_DIM_ENUM(name, what, si, bare) MLSIM_DIM_##name,
    MLSIM_DIM_TABLE(MLSIM_DIM_ENUM)
#undef MLSIM_DIM_ENUM
        MLSIM_DIM_N
};

/* Parse TEXT as a quantity of dimension DIM into *OUT, in SI units. A bare number is taken as SI
 * where mlsim_units_bare_meaning(DIM) is not NULL; elsewhere only a bare 0 is (0 in any unit),
 * and another bare number is refused with a suggestion ("did you mean '$2/h'?"). On failure return
 * MLSIM_ERR_INPUT and write a one-line reason into ERR (ERRLEN bytes, always NUL-terminated when
 * ERRLEN > 0) that names the units DIM accepts. */
enum mlsim_status mlsim_units_parse(const char *text, enum mlsim_dim dim, double *out, char *err,
                                    size_t errlen);

/* A phrase naming DIM, e.g. "a throughput in FLOP/s". */
const char *mlsim_units_dim_name(enum mlsim_dim dim);

/* What a bare number of dimension DIM means ("seconds"), or NULL if DIM needs a unit. */
const char *mlsim_units_bare_meaning(enum mlsim_dim dim);

/* Write the comma-separated list of units DIM accepts into BUF; return BUF. */
char *mlsim_units_accepted(enum mlsim_dim dim, char *buf, size_t len);

/* Format VALUE (SI) of dimension DIM for people, with a readable prefix and 3-4 significant
 * digits, e.g. 3.12e14 FLOPS -> "312 TFLOP/s". Returns BUF. */
char *mlsim_units_format(double value, enum mlsim_dim dim, char *buf, size_t len);

/* VALUE rounded to a whole number with thousands separators: 560897.4 -> "560,897". */
char *mlsim_units_grouped(double value, char *buf, size_t len);

/* Conversion constants used at the edges (report columns named in these units). */
#define MLSIM_UNITS_J_PER_KWH  3.6e6
#define MLSIM_UNITS_S_PER_HOUR 3600.0
#define MLSIM_UNITS_S_PER_DAY  86400.0

#endif
