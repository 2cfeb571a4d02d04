/*
 * Unit parsing and formatting. One table lists every unit symbol with its dimension and its
 * factor to SI; parsing looks the symbol up first among the units of the wanted dimension (so
 * "175B" is 175e9 as a count and 175 bytes as a size), then among all units, to tell a
 * mismatched unit ("40 GB" where a throughput is wanted) from an unknown one.
 */
#include "mlsim/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit {
    const char *symbol;
    enum mlsim_dim dim;
    double factor; /* SI value of one of this unit */
};

#define KWH 3.6e6
#define BIT 0.125 /* bytes per bit */

static const struct unit units[] = {
    {"K", MLSIM_DIM_COUNT, 1e3},
    {"k", MLSIM_DIM_COUNT, 1e3},
    {"M", MLSIM_DIM_COUNT, 1e6},
    {"B", MLSIM_DIM_COUNT, 1e9},
    {"G", MLSIM_DIM_COUNT, 1e9},
    {"T", MLSIM_DIM_COUNT, 1e12},
    {"thousand", MLSIM_DIM_COUNT, 1e3},
    {"million", MLSIM_DIM_COUNT, 1e6},
    {"billion", MLSIM_DIM_COUNT, 1e9},
    {"Billion", MLSIM_DIM_COUNT, 1e9},
    {"trillion", MLSIM_DIM_COUNT, 1e12},
    {"%", MLSIM_DIM_RATIO, 0.01},
    {"FLOP", MLSIM_DIM_FLOP, 1},
    {"GFLOP", MLSIM_DIM_FLOP, 1e9},
    {"TFLOP", MLSIM_DIM_FLOP, 1e12},
    {"PFLOP", MLSIM_DIM_FLOP, 1e15},
    {"EFLOP", MLSIM_DIM_FLOP, 1e18},
    {"ZFLOP", MLSIM_DIM_FLOP, 1e21},
    {"FLOP/s", MLSIM_DIM_FLOPS, 1},
    {"FLOPS", MLSIM_DIM_FLOPS, 1},
    {"GFLOP/s", MLSIM_DIM_FLOPS, 1e9},
    {"GFLOPS", MLSIM_DIM_FLOPS, 1e9},
    {"TFLOP/s", MLSIM_DIM_FLOPS, 1e12},
    {"TFLOPS", MLSIM_DIM_FLOPS, 1e12},
    {"PFLOP/s", MLSIM_DIM_FLOPS, 1e15},
    {"PFLOPS", MLSIM_DIM_FLOPS, 1e15},
    {"EFLOP/s", MLSIM_DIM_FLOPS, 1e18},
    {"EFLOPS", MLSIM_DIM_FLOPS, 1e18},
    {"GOPS", MLSIM_DIM_FLOPS, 1e9},
    {"TOPS", MLSIM_DIM_FLOPS, 1e12},
    {"POPS", MLSIM_DIM_FLOPS, 1e15},
    {"B", MLSIM_DIM_BYTES, 1},
    {"kB", MLSIM_DIM_BYTES, 1e3},
    {"KB", MLSIM_DIM_BYTES, 1e3},
    {"MB", MLSIM_DIM_BYTES, 1e6},
    {"GB", MLSIM_DIM_BYTES, 1e9},
    {"TB", MLSIM_DIM_BYTES, 1e12},
    {"PB", MLSIM_DIM_BYTES, 1e15},
    {"KiB", MLSIM_DIM_BYTES, 1024.0},
    {"MiB", MLSIM_DIM_BYTES, 1048576.0},
    {"GiB", MLSIM_DIM_BYTES, 1073741824.0},
    {"TiB", MLSIM_DIM_BYTES, 1099511627776.0},
    {"B/s", MLSIM_DIM_BANDWIDTH, 1},
    {"kB/s", MLSIM_DIM_BANDWIDTH, 1e3},
    {"MB/s", MLSIM_DIM_BANDWIDTH, 1e6},
    {"GB/s", MLSIM_DIM_BANDWIDTH, 1e9},
    {"GBps", MLSIM_DIM_BANDWIDTH, 1e9},
    {"TB/s", MLSIM_DIM_BANDWIDTH, 1e12},
    {"PB/s", MLSIM_DIM_BANDWIDTH, 1e15},
    {"MiB/s", MLSIM_DIM_BANDWIDTH, 1048576.0},
    {"GiB/s", MLSIM_DIM_BANDWIDTH, 1073741824.0},
    {"TiB/s", MLSIM_DIM_BANDWIDTH, 1099511627776.0},
    {"Mb/s", MLSIM_DIM_BANDWIDTH, 1e6 * BIT},
    {"Mbps", MLSIM_DIM_BANDWIDTH, 1e6 * BIT},
    {"Gb/s", MLSIM_DIM_BANDWIDTH, 1e9 * BIT},
    {"Gbps", MLSIM_DIM_BANDWIDTH, 1e9 * BIT},
    {"Tb/s", MLSIM_DIM_BANDWIDTH, 1e12 * BIT},
    {"Tbps", MLSIM_DIM_BANDWIDTH, 1e12 * BIT},
    {"Pb/s", MLSIM_DIM_BANDWIDTH, 1e15 * BIT},
    {"mW", MLSIM_DIM_POWER, 1e-3},
    {"W", MLSIM_DIM_POWER, 1},
    {"kW", MLSIM_DIM_POWER, 1e3},
    {"MW", MLSIM_DIM_POWER, 1e6},
    {"J", MLSIM_DIM_ENERGY, 1},
    {"kJ", MLSIM_DIM_ENERGY, 1e3},
    {"MJ", MLSIM_DIM_ENERGY, 1e6},
    {"GJ", MLSIM_DIM_ENERGY, 1e9},
    {"Wh", MLSIM_DIM_ENERGY, 3600.0},
    {"kWh", MLSIM_DIM_ENERGY, KWH},
    {"MWh", MLSIM_DIM_ENERGY, 1e3 * KWH},
    {"GWh", MLSIM_DIM_ENERGY, 1e6 * KWH},
    {"USD", MLSIM_DIM_MONEY, 1},
    {"kUSD", MLSIM_DIM_MONEY, 1e3},
    {"MUSD", MLSIM_DIM_MONEY, 1e6},
    {"USD/s", MLSIM_DIM_MONEY_RATE, 1},
    {"USD/h", MLSIM_DIM_MONEY_RATE, 1.0 / 3600.0},
    {"USD/hr", MLSIM_DIM_MONEY_RATE, 1.0 / 3600.0},
    {"USD/hour", MLSIM_DIM_MONEY_RATE, 1.0 / 3600.0},
    {"USD/d", MLSIM_DIM_MONEY_RATE, 1.0 / 86400.0},
    {"USD/J", MLSIM_DIM_ENERGY_PRICE, 1},
    {"USD/Wh", MLSIM_DIM_ENERGY_PRICE, 1.0 / 3600.0},
    {"USD/kWh", MLSIM_DIM_ENERGY_PRICE, 1.0 / KWH},
    {"USD/MWh", MLSIM_DIM_ENERGY_PRICE, 1.0 / (1e3 * KWH)},
    {"ns", MLSIM_DIM_TIME, 1e-9},
    {"us", MLSIM_DIM_TIME, 1e-6},
    {"\xc2\xb5s", MLSIM_DIM_TIME, 1e-6}, /* "µs" in UTF-8 */
    {"ms", MLSIM_DIM_TIME, 1e-3},
    {"s", MLSIM_DIM_TIME, 1},
    {"min", MLSIM_DIM_TIME, 60.0},
    {"h", MLSIM_DIM_TIME, 3600.0},
    {"d", MLSIM_DIM_TIME, 86400.0},
    {"kg/J", MLSIM_DIM_CARBON_INTENSITY, 1},
    {"gCO2/kWh", MLSIM_DIM_CARBON_INTENSITY, 1e-3 / KWH},
    {"gCO2e/kWh", MLSIM_DIM_CARBON_INTENSITY, 1e-3 / KWH},
    {"g/kWh", MLSIM_DIM_CARBON_INTENSITY, 1e-3 / KWH},
    {"kgCO2/kWh", MLSIM_DIM_CARBON_INTENSITY, 1.0 / KWH},
    {"kgCO2e/kWh", MLSIM_DIM_CARBON_INTENSITY, 1.0 / KWH},
    {"kg/kWh", MLSIM_DIM_CARBON_INTENSITY, 1.0 / KWH},
    {"tCO2/MWh", MLSIM_DIM_CARBON_INTENSITY, 1.0 / KWH},
    {"Hz", MLSIM_DIM_FREQUENCY, 1},
    {"kHz", MLSIM_DIM_FREQUENCY, 1e3},
    {"MHz", MLSIM_DIM_FREQUENCY, 1e6},
    {"GHz", MLSIM_DIM_FREQUENCY, 1e9},
    {"H/s", MLSIM_DIM_HASHRATE, 1},
    {"MH/s", MLSIM_DIM_HASHRATE, 1e6},
    {"GH/s", MLSIM_DIM_HASHRATE, 1e9},
    {"TH/s", MLSIM_DIM_HASHRATE, 1e12},
    {"PH/s", MLSIM_DIM_HASHRATE, 1e15},
    {"/h", MLSIM_DIM_FAILURE_RATE, 1},
    {"/d", MLSIM_DIM_FAILURE_RATE, 1.0 / 24.0},
    {"/1000d", MLSIM_DIM_FAILURE_RATE, 1.0 / 24000.0}, /* Kokolis et al.'s "per 1000 node-days" */
};

#define N_UNITS (sizeof units / sizeof units[0])

static const char *const dim_names[] = {
#define MLSIM_DIM_NAME(name, what, si, bare) what,
    MLSIM_DIM_TABLE(MLSIM_DIM_NAME)
#undef MLSIM_DIM_NAME
};

static const char *const bare_meanings[] = {
#define MLSIM_DIM_BARE(name, what, si, bare) bare,
    MLSIM_DIM_TABLE(MLSIM_DIM_BARE)
#undef MLSIM_DIM_BARE
};

const char *mlsim_units_bare_meaning(enum mlsim_dim dim)
{
    if ((unsigned)dim >= MLSIM_DIM_N)
        return NULL;
    return bare_meanings[dim];
}

const char *mlsim_units_dim_name(enum mlsim_dim dim)
{
    if ((unsigned)dim >= MLSIM_DIM_N)
        return "an unknown quantity";
    return dim_names[dim];
}

char *mlsim_units_accepted(enum mlsim_dim dim, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < N_UNITS; i++) {
        if (units[i].dim != dim)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", units[i].symbol);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    if (used == 0) {
        snprintf(buf, len, "none (a plain number)");
        return buf;
    }
    /* Say what a number without a unit means, so no reader has to guess the SI base. */
    const char *bare = mlsim_units_bare_meaning(dim);
    if (bare && used < len)
        snprintf(buf + used, len - used, "; a bare number means %s", bare);
    return buf;
}

static const struct unit *find_unit(const char *symbol, enum mlsim_dim dim, int any_dim)
{
    for (size_t i = 0; i < N_UNITS; i++) {
        if ((any_dim || units[i].dim == dim) && strcmp(units[i].symbol, symbol) == 0)
            return &units[i];
    }
    return NULL;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Copy the unit part of S (leading and trailing blanks dropped) into SYM; "$" prefix becomes USD.
 */
static int unit_symbol(const char *s, int dollar, char *sym, size_t len)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        n--;
    int w =
        dollar ? snprintf(sym, len, "USD%.*s", (int)n, s) : snprintf(sym, len, "%.*s", (int)n, s);
    return w >= 0 && (size_t)w < len;
}

/* The unit a bare number of DIM was most likely meant in, as the user would write it around the
 * number NUM: a price per hour, not per second; electricity per kWh, not per joule. */
static void suggest(enum mlsim_dim dim, const char *num, char *buf, size_t len)
{
    switch (dim) {
    case MLSIM_DIM_MONEY:
        snprintf(buf, len, "'$%s'", num);
        return;
    case MLSIM_DIM_MONEY_RATE:
        snprintf(buf, len, "'$%s/h'", num);
        return;
    case MLSIM_DIM_ENERGY_PRICE:
        snprintf(buf, len, "'$%s/kWh'", num);
        return;
    case MLSIM_DIM_ENERGY:
        snprintf(buf, len, "'%s kWh' or '%s J'", num, num);
        return;
    case MLSIM_DIM_CARBON_INTENSITY:
        snprintf(buf, len, "'%s gCO2/kWh'", num);
        return;
    default:
        snprintf(buf, len, "'%s %s'", num, "<unit>");
        return;
    }
}

/* Say why the bare number TEXT (its digits from NUM to END) is refused for DIM. */
static void refuse_bare(const char *text, const char *num, const char *end, enum mlsim_dim dim,
                        char *err, size_t errlen)
{
    char digits[64], meant[160], accepted[512];
    snprintf(digits, sizeof digits, "%.*s", (int)(end - num), num);
    suggest(dim, digits, meant, sizeof meant);
    mlsim_units_accepted(dim, accepted, sizeof accepted);
    snprintf(err, errlen,
             "'%s' has no unit, and %s needs one (did you mean %s? accepted units: %s)", text,
             mlsim_units_dim_name(dim), meant, accepted);
}

enum mlsim_status mlsim_units_parse(const char *text, enum mlsim_dim dim, double *out, char *err,
                                    size_t errlen)
{
    char accepted[512];
    char sym[64];
    const char *s = text;
    int dollar = 0;

    if (errlen > 0)
        err[0] = '\0';
    while (is_space(*s))
        s++;
    if (*s == '$') {
        dollar = 1;
        s++;
    }
    errno = 0;
    char *end = NULL;
    double value = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(value)) {
        snprintf(err, errlen, "expected %s, got '%s'", mlsim_units_dim_name(dim), text);
        return MLSIM_ERR_INPUT;
    }
    if (!unit_symbol(end, dollar, sym, sizeof sym)) {
        snprintf(err, errlen, "unit in '%s' is too long", text);
        return MLSIM_ERR_INPUT;
    }
    if (sym[0] == '\0') {
        /* A bare number is in SI units where that is the reading people mean; 0 is 0 in any. */
        if (value == 0.0 || mlsim_units_bare_meaning(dim)) {
            *out = value;
            return MLSIM_OK;
        }
        refuse_bare(text, s, end, dim, err, errlen);
        return MLSIM_ERR_INPUT;
    }
    const struct unit *u = find_unit(sym, dim, 0);
    if (u) {
        /* Percentages divide by 100 exactly: 45% is the double nearest 0.45, as 0.45 is. */
        double si = u->dim == MLSIM_DIM_RATIO ? value / 100.0 : value * u->factor;
        if (!isfinite(si)) { /* "1e308 PFLOP/s": finite as written, not once scaled */
            snprintf(err, errlen, "'%s' is too large to hold", text);
            return MLSIM_ERR_INPUT;
        }
        *out = si;
        return MLSIM_OK;
    }
    mlsim_units_accepted(dim, accepted, sizeof accepted);
    u = find_unit(sym, dim, 1);
    if (u)
        snprintf(err, errlen, "'%s' is %s, but %s is wanted (accepted units: %s)", text,
                 mlsim_units_dim_name(u->dim), mlsim_units_dim_name(dim), accepted);
    else
        snprintf(err, errlen, "unknown unit '%s' in '%s' for %s (accepted units: %s)", sym, text,
                 mlsim_units_dim_name(dim), accepted);
    return MLSIM_ERR_INPUT;
}

/* Readable prefixes per dimension, largest first; the last entry is the fallback. */
struct scale {
    double factor;
    const char *suffix;
};

static const struct scale flops_scales[] = {{1e18, " EFLOP/s"}, {1e15, " PFLOP/s"},
                                            {1e12, " TFLOP/s"}, {1e9, " GFLOP/s"},
                                            {1e6, " MFLOP/s"},  {1, " FLOP/s"}};
static const struct scale flop_scales[] = {{1e21, " ZFLOP"}, {1e18, " EFLOP"}, {1e15, " PFLOP"},
                                           {1e12, " TFLOP"}, {1e9, " GFLOP"},  {1, " FLOP"}};
static const struct scale byte_scales[] = {{1e15, " PB"}, {1e12, " TB"}, {1e9, " GB"},
                                           {1e6, " MB"},  {1e3, " kB"},  {1, " B"}};
static const struct scale bw_scales[] = {
    {1e15, " PB/s"}, {1e12, " TB/s"}, {1e9, " GB/s"}, {1e6, " MB/s"}, {1, " B/s"}};
static const struct scale power_scales[] = {{1e6, " MW"}, {1e3, " kW"}, {1, " W"}};
static const struct scale energy_scales[] = {
    {3.6e12, " GWh"}, {3.6e9, " MWh"}, {3.6e6, " kWh"}, {3600, " Wh"}, {1, " J"}};
static const struct scale time_scales[] = {{365.25 * 86400, " years"},
                                           {86400, " days"},
                                           {3600, " h"},
                                           {60, " min"},
                                           {1, " s"},
                                           {1e-3, " ms"},
                                           {1e-6, " us"}};
static const struct scale count_scales[] = {
    {1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}, {1, ""}};
static const struct scale freq_scales[] = {{1e9, " GHz"}, {1e6, " MHz"}, {1, " Hz"}};
static const struct scale hash_scales[] = {
    {1e12, " TH/s"}, {1e9, " GH/s"}, {1e6, " MH/s"}, {1, " H/s"}};

static char *format_scaled(double v, const struct scale *s, size_t n, char *buf, size_t len)
{
    size_t i = 0;
    while (i + 1 < n && fabs(v) < s[i].factor)
        i++;
    snprintf(buf, len, "%.4g%s", v / s[i].factor, s[i].suffix);
    return buf;
}

char *mlsim_units_grouped(double v, char *buf, size_t len)
{
    char digits[64];
    /* past 10^18 (or not a number) whole digits say nothing more and need not fit: %.4g */
    if (!(fabs(v) < 1e18)) {
        snprintf(buf, len, "%.4g", v);
        return buf;
    }
    snprintf(digits, sizeof digits, "%.0f", fabs(v));
    size_t nd = strlen(digits);
    size_t o = 0;
    if (len < 2)
        return buf;
    if (v <= -0.5 && o + 1 < len)
        buf[o++] = '-';
    for (size_t i = 0; i < nd && o + 1 < len; i++) {
        buf[o++] = digits[i];
        size_t left = nd - i - 1;
        if (left > 0 && left % 3 == 0 && o + 1 < len)
            buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}

/* Whole dollars: 841346.15 -> "$841,346". */
static char *format_money(double v, char *buf, size_t len)
{
    char digits[64];
    if (!isfinite(v)) { /* no price known: the cost is left out, said as a dash */
        snprintf(buf, len, "-");
        return buf;
    }
    if (v != 0.0 && fabs(v) < 10.0) { /* a small run's cost in cents, not "$0" */
        snprintf(buf, len, fabs(v) < 0.01 ? "$%.2g" : "$%.2f", v);
        return buf;
    }
    snprintf(buf, len, "$%s", mlsim_units_grouped(v, digits, sizeof digits));
    return buf;
}

/* A size that is a whole number of GiB (or TiB) was given in binary units (a TPU v4's 32 GiB):
 * said in them, not as "34.36 GB". Decimal sizes keep their decimal prefixes. */
static char *format_bytes(double v, char *buf, size_t len)
{
    static const struct scale binary[] = {{1099511627776.0, " TiB"}, {1073741824.0, " GiB"}};
    for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++) {
        double k = v / binary[i].factor;
        if (fabs(v) >= binary[i].factor && k == floor(k) && fabs(k) < 1e6) {
            snprintf(buf, len, "%.0f%s", k, binary[i].suffix);
            return buf;
        }
    }
    return format_scaled(v, byte_scales, sizeof byte_scales / sizeof byte_scales[0], buf, len);
}

#define SCALED(arr) format_scaled(value, (arr), sizeof(arr) / sizeof((arr)[0]), buf, len)

char *mlsim_units_format(double value, enum mlsim_dim dim, char *buf, size_t len)
{
    switch (dim) {
    case MLSIM_DIM_FLOPS:
        return SCALED(flops_scales);
    case MLSIM_DIM_FLOP:
        return SCALED(flop_scales);
    case MLSIM_DIM_BYTES:
        return format_bytes(value, buf, len);
    case MLSIM_DIM_BANDWIDTH:
        return SCALED(bw_scales);
    case MLSIM_DIM_POWER:
        return SCALED(power_scales);
    case MLSIM_DIM_ENERGY:
        return SCALED(energy_scales);
    case MLSIM_DIM_TIME:
        return SCALED(time_scales);
    case MLSIM_DIM_COUNT:
        return SCALED(count_scales);
    case MLSIM_DIM_FREQUENCY:
        return SCALED(freq_scales);
    case MLSIM_DIM_HASHRATE:
        return SCALED(hash_scales);
    case MLSIM_DIM_MONEY:
        return format_money(value, buf, len);
    case MLSIM_DIM_MONEY_RATE:
        if (!isfinite(value))
            return format_money(value, buf, len);
        snprintf(buf, len, "$%.4g/h", value * 3600.0);
        return buf;
    case MLSIM_DIM_ENERGY_PRICE:
        snprintf(buf, len, "$%.4g/kWh", value * KWH);
        return buf;
    case MLSIM_DIM_CARBON_INTENSITY:
        snprintf(buf, len, "%.4g gCO2/kWh", value * 1e3 * KWH);
        return buf;
    case MLSIM_DIM_RATIO: /* below 1%, two figures: 0.0046%, not 0.004614% */
        snprintf(buf, len, fabs(value) < 0.01 ? "%.2g%%" : "%.4g%%", value * 100.0);
        return buf;
    case MLSIM_DIM_FAILURE_RATE:
        snprintf(buf, len, "%.4g /1000d", value * 24000.0);
        return buf;
    case MLSIM_DIM_NUMBER:
    case MLSIM_DIM_N:
        break;
    }
    snprintf(buf, len, "%.4g", value);
    return buf;
}
