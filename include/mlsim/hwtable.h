/*
 * The hardware comparison table behind `mlsim hw`: one row per device (or per device and
 * precision), with its peak, memory, power and prices and the figures of merit of the lecture:
 * mu, throughput per purchase dollar and per rental dollar-hour, and eta, throughput per watt of
 * TDP. A row's throughput is a dense FLOP/s peak where the device has one; a sparse headline
 * figure or a SHA-256 hash rate is carried too, but marked as such (its `basis`), never passed
 * off as a dense peak. The table sorts by any column and writes itself as text, CSV or JSON to a
 * FILE * the caller gives; it never prints anywhere else.
 */
#ifndef MLSIM_HWTABLE_H
#define MLSIM_HWTABLE_H

#include <stddef.h>
#include <stdio.h>

#include "mlsim/hwdb.h"
#include "mlsim/status.h"

/* What a row's throughput is. */
enum mlsim_hwtable_basis {
    MLSIM_HWTABLE_DENSE,  /* a dense peak at the row's precision */
    MLSIM_HWTABLE_SPARSE, /* a 2:4-sparse or "AI" headline figure: not comparable with dense */
    MLSIM_HWTABLE_HASH,   /* SHA-256 hashes/s: the device does no FLOPs at all */
    MLSIM_HWTABLE_NONE,   /* no figure at the precision asked for */
};

/* Precision arguments of mlsim_hwtable_add besides an enum mlsim_precision. */
#define MLSIM_HWTABLE_HEADLINE                                                                     \
    (-1)                       /* the largest of fp16/bf16/fp32, else fp64, int8, tf32, fp8        \
                                */
#define MLSIM_HWTABLE_ALL (-2) /* one row per precision the device has a figure for */

struct mlsim_hwtable_row {
    const struct mlsim_device *dev; /* borrowed: outlives the table */
    int precision;                  /* enum mlsim_precision, or -1 for a hash rate */
    int basis;                      /* enum mlsim_hwtable_basis */
    double peak;                    /* FLOP/s (OP/s for int8, H/s for a hash rate); 0 = none */
    double mu_usd;                  /* peak / purchase price, per USD; 0 = unknown */
    double mu_usd_h;                /* peak / rental price, per (USD/h); 0 = unknown */
    double eta_w;                   /* peak / TDP, per W; 0 = unknown */
    size_t seq;                     /* order of insertion: ties in a sort keep it */
};

/* Which columns the text format shows; CSV and JSON always write every column. */
enum mlsim_hwtable_view {
    MLSIM_HWTABLE_VIEW_LIST,    /* id, kind, year, name, precision, peak, memory, TDP */
    MLSIM_HWTABLE_VIEW_COMPARE, /* id, precision, peak, memory, bandwidth, TDP, prices, mu, eta */
    MLSIM_HWTABLE_VIEW_SHOW,    /* precision, peak, mu, eta: one device's rows */
};

/* The name of column COL (0, 1, ... in CSV order), or NULL past the last: the CSV header, the
 * keys of the JSON objects and of --sort. */
const char *mlsim_hwtable_column_key(int col);

struct mlsim_hwtable;

/* A new, empty table, or NULL if malloc fails. */
struct mlsim_hwtable *mlsim_hwtable_alloc(void);

/* Free T (not the devices its rows point to). NULL is a no-op. */
void mlsim_hwtable_free(struct mlsim_hwtable *t);

/* Add DEV's row at PRECISION (an enum mlsim_precision, MLSIM_HWTABLE_HEADLINE or
 * MLSIM_HWTABLE_ALL). A precision the device lacks gives a row of basis NONE, unless the device
 * has a sparse figure there (basis SPARSE); a hashing device always gives its hash-rate row.
 * DEV must outlive T. Returns MLSIM_OK or MLSIM_ERR_NOMEM. */
enum mlsim_status mlsim_hwtable_add(struct mlsim_hwtable *t, const struct mlsim_device *dev,
                                    int precision);

/* The number of rows of T, and row I (0 <= I < n; NULL otherwise). */
size_t mlsim_hwtable_size(const struct mlsim_hwtable *t);
const struct mlsim_hwtable_row *mlsim_hwtable_row(const struct mlsim_hwtable *t, size_t i);

/* Fill *ROW for DEV at precision P (an enum mlsim_precision or MLSIM_HWTABLE_HEADLINE). */
void mlsim_hwtable_row_fill(struct mlsim_hwtable_row *row, const struct mlsim_device *dev, int p);

/* The column named NAME (exactly, else a unique prefix: "eta" is "eta_per_w"), or -1. */
int mlsim_hwtable_column_find(const char *name);

/* Sort T by column COL: numbers largest first and text A to Z when DESCENDING is -1 (the
 * default order), or as DESCENDING (1 or 0) says. Unknown values go last either way; ties keep
 * the order rows were added in. */
void mlsim_hwtable_sort(struct mlsim_hwtable *t, int col, int descending);

/* An output format: the text table for people, or CSV or JSON (SI units) for programs. */
struct mlsim_hwtable_format {
    const char *name;
    void (*write)(FILE *out, const struct mlsim_hwtable *t, enum mlsim_hwtable_view view);
};

/* The format named NAME ("table", "csv", "json"), or NULL. */
const struct mlsim_hwtable_format *mlsim_hwtable_format_find(const char *name);

/* Write everything the database holds on DEV for people: its figures per precision with mu and
 * eta, memory, links, power, prices, and every source. */
void mlsim_hwtable_show(FILE *out, const struct mlsim_device *dev);

/* How a word typed for a device id matched the ids of the database. */
enum mlsim_hwtable_match {
    MLSIM_HWTABLE_EXACT,     /* *INDEX is the id */
    MLSIM_HWTABLE_PREFIX,    /* the only id that starts with the word: *INDEX */
    MLSIM_HWTABLE_AMBIGUOUS, /* several ids start with it; *INDEX is the first */
    MLSIM_HWTABLE_CLOSE,     /* no such id, but *INDEX is close (a did-you-mean) */
    MLSIM_HWTABLE_UNKNOWN,   /* nothing like it */
};

/* Match WORD against the N ids IDS: exactly, else by unique prefix, else by edit distance. */
enum mlsim_hwtable_match mlsim_hwtable_match_id(const char *word, const char *const *ids, size_t n,
                                                size_t *index);

#endif
