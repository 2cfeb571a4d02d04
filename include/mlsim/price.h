/*
 * Prices and their age, checked as a scenario is resolved: what date a run's prices are aged
 * against, whether a run has a price at all (a device with no price in hwdb leaves its cost out),
 * and the warnings a reader of a cost needs: a default price more than a year old, a table whose
 * runs are priced different ways. Input layer: it knows runs and devices, not the engine.
 */
#ifndef MLSIM_PRICE_H
#define MLSIM_PRICE_H

#include "mlsim/diag.h"
#include "mlsim/scenario.h"

/* Prices age. A default price (hwdb's rental price, dated by its price.rental_date) older than
 * this many months before the reference date gets a warning. The reference date is the run's
 * economics.price_as_of when given, else MLSIM_BUILD_DATE, the day CMake configured this build
 * (UTC; SOURCE_DATE_EPOCH is honoured). Not the day of the run: the same binary and input must
 * give byte-identical output on every day, and a test pins the date with price_as_of. */
#define MLSIM_PRICE_MAX_AGE_MONTHS 12
#ifndef MLSIM_BUILD_DATE
#define MLSIM_BUILD_DATE "1970-01-01" /* a build without CMake: no price is old */
#endif

/* Read DATE, "YYYY-MM" or "YYYY-MM-DD", into *YEAR and *MONTH (1-12); returns 0 if it is neither.
 */
int mlsim_price_parse_date(const char *date, int *year, int *month);

/* The date RUN's prices are aged against: its economics.price_as_of, else MLSIM_BUILD_DATE. */
const char *mlsim_price_as_of(const struct mlsim_run *run);

/* Whether RUN has a price (given, or hwdb's); a run without one has its cost left out (NAN). */
int mlsim_price_known(const struct mlsim_run *run);

/* Check the prices of SC's resolved runs into D: a price_as_of that is not a date, and a run with
 * no price whose scenario draws charts (they plot cost), are errors; a default price older than
 * MLSIM_PRICE_MAX_AGE_MONTHS is a warning (once per device), and so is a table whose runs
 * are not priced the same way (it names which differ). Returns MLSIM_ERR_INPUT after an error. */
enum mlsim_status mlsim_price_check(const struct mlsim_scenario *sc, struct mlsim_diags *d);

#endif
