/*
 * Price checks. Dates are "YYYY-MM" or "YYYY-MM-DD" strings, read by hand (no locale, no
 * strptime); ages are whole calendar months, the resolution hwdb's price dates have.
 */
#include "mlsim/price.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlsim/units.h"

int mlsim_price_parse_date(const char *date, int *year, int *month)
{
    /* Digits by hand: "2023-07" only, no sign, no blanks, no "2023-7" */
    static const char pattern[] = "dddd-dd-dd";
    size_t n = strlen(date);
    if (n != 7 && n != 10)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int digit = date[i] >= '0' && date[i] <= '9';
        if (pattern[i] == 'd' ? !digit : date[i] != '-')
            return 0;
    }
    int y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
    int m = (date[5] - '0') * 10 + (date[6] - '0');
    int day = n == 10 ? (date[8] - '0') * 10 + (date[9] - '0') : 1;
    if (m < 1 || m > 12 || day < 1 || day > 31)
        return 0;
    *year = y;
    *month = m;
    return 1;
}

const char *mlsim_price_as_of(const struct mlsim_run *run)
{
    return run->econ.price_as_of[0] ? run->econ.price_as_of : MLSIM_BUILD_DATE;
}

int mlsim_price_known(const struct mlsim_run *run)
{
    return isfinite(run->econ.price_usd_per_s);
}

static int price_given(const struct mlsim_run *r)
{
    return mlsim_schema_given(&mlsim_run_schema, r, "economics.price_per_device_hour") != NULL;
}

/* Whole months from hwdb's date of R's default price to its reference date; 0 if unknown. */
static int price_age_months(const struct mlsim_run *r)
{
    int y0, m0, y1, m1;
    if (!mlsim_price_parse_date(r->device->rental_date, &y0, &m0) ||
        !mlsim_price_parse_date(mlsim_price_as_of(r), &y1, &m1))
        return 0;
    return (y1 - y0) * 12 + (m1 - m0);
}

static int check_as_of(const struct mlsim_run *r, struct mlsim_diags *d)
{
    int y, m;
    if (!r->econ.price_as_of[0] || mlsim_price_parse_date(r->econ.price_as_of, &y, &m))
        return 1;
    const struct mlsim_loc *at = mlsim_schema_given(&mlsim_run_schema, r, "economics.price_as_of");
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at ? *at : r->loc,
                       "'economics.price_as_of' expects a date like 2026-12 or 2026-12-01, got "
                       "'%s'",
                       r->econ.price_as_of);
    return 0;
}

/* Warn once per device (and reference date) that its default price is old. */
static void check_age(const struct mlsim_scenario *sc, size_t i, struct mlsim_diags *d)
{
    const struct mlsim_run *r = &sc->runs[i];
    int y, m;
    int dated = mlsim_price_parse_date(r->device->rental_date, &y, &m);
    int months = price_age_months(r);
    if (dated && months <= MLSIM_PRICE_MAX_AGE_MONTHS)
        return;
    for (size_t j = 0; j < i; j++) {
        const struct mlsim_run *q = &sc->runs[j];
        if (q->device == r->device && !price_given(q) &&
            strcmp(mlsim_price_as_of(q), mlsim_price_as_of(r)) == 0)
            return;
    }
    char x[64];
    if (!dated) { /* hwdb asks for a date, not its form: an unread one still gets a word */
        mlsim_diags_report(d, MLSIM_SEVERITY_WARNING, r->loc,
                           "the rental price of %s in hwdb is dated '%s', not YYYY-MM: its age "
                           "is unknown",
                           r->device->id, r->device->rental_date);
        return;
    }
    mlsim_diags_report(
        d, MLSIM_SEVERITY_WARNING, r->loc,
        "the rental price of %s in hwdb (%s) dates from %s, %d months before %s (%s): prices "
        "change; set 'economics.price_per_device_hour' to a current one",
        r->device->id,
        mlsim_units_format(r->econ.price_usd_per_s, MLSIM_DIM_MONEY_RATE, x, sizeof x),
        r->device->rental_date, months, mlsim_price_as_of(r),
        r->econ.price_as_of[0] ? "economics.price_as_of" : "the build date");
}

/* How R is priced, in words, e.g. "hwdb's rental price of 2023-07". */
static const char *price_kind(const struct mlsim_run *r, char *buf, size_t len)
{
    if (price_given(r))
        snprintf(buf, len, "a price set in the scenario");
    else if (!mlsim_price_known(r))
        snprintf(buf, len, "no price (cost left out)");
    else
        snprintf(buf, len, "hwdb's rental price of %s", r->device->rental_date);
    return buf;
}

/* Warn when the runs of SC are priced different ways: one line naming, for each way, its first
 * run and how many runs share it, so a table or chart is not read as like against like. */
static void check_same_way(const struct mlsim_scenario *sc, struct mlsim_diags *d)
{
    enum { MAX_KINDS = 8 };
    char kinds[MAX_KINDS][64], k[64];
    size_t first[MAX_KINDS], count[MAX_KINDS], n_kinds = 0, other = 0;
    for (size_t i = 0; i < sc->n_runs; i++) {
        price_kind(&sc->runs[i], k, sizeof k);
        size_t j = 0;
        while (j < n_kinds && strcmp(kinds[j], k) != 0)
            j++;
        if (j == n_kinds && n_kinds == MAX_KINDS) {
            other++;
            continue;
        }
        if (j == n_kinds) {
            memcpy(kinds[j], k, sizeof k);
            first[j] = i;
            count[j] = 0;
            n_kinds++;
        }
        count[j]++;
    }
    if (n_kinds < 2)
        return;
    char list[1024] = "";
    size_t used = 0;
    for (size_t j = 0; j < n_kinds; j++) {
        int w = count[j] > 1
                    ? snprintf(list + used, sizeof list - used, "%s'%s' and %zu more at %s",
                               j ? "; " : "", sc->runs[first[j]].name, count[j] - 1, kinds[j])
                    : snprintf(list + used, sizeof list - used, "%s'%s' at %s", j ? "; " : "",
                               sc->runs[first[j]].name, kinds[j]);
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    mlsim_diags_report(d, MLSIM_SEVERITY_WARNING, sc->runs[first[1]].loc,
                       "the runs are not priced the same way, so their costs do not compare "
                       "like for like: %s%s",
                       list, other ? "; and more" : "");
}

enum mlsim_status mlsim_price_check(const struct mlsim_scenario *sc, struct mlsim_diags *d)
{
    int ok = 1;
    for (size_t i = 0; i < sc->n_runs; i++) {
        const struct mlsim_run *r = &sc->runs[i];
        if (!check_as_of(r, d)) {
            ok = 0;
            continue;
        }
        if (!mlsim_price_known(r) && r->n_charts > 0) {
            mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, r->loc,
                               "%s has no rental price in the hardware database, and this "
                               "scenario draws charts of cost ('%s'): set "
                               "'economics.price_per_device_hour'",
                               r->device->id, r->charts[0]);
            ok = 0;
            continue;
        }
    }
    /* Warnings about prices are for a scenario that runs: after an error they are noise. */
    if (!ok || mlsim_diags_errors(d) > 0)
        return ok ? MLSIM_OK : MLSIM_ERR_INPUT;
    for (size_t i = 0; i < sc->n_runs; i++) {
        if (mlsim_price_known(&sc->runs[i]) && !price_given(&sc->runs[i]))
            check_age(sc, i, d);
    }
    if (sc->n_runs > 1)
        check_same_way(sc, d);
    return ok ? MLSIM_OK : MLSIM_ERR_INPUT;
}
