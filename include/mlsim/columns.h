/*
 * The result columns: every field a run's result carries, each named once with its unit, a
 * one-line meaning, the modes that have it and an accessor. The CSV and JSON writers of report.h
 * and the README's field list all derive from this one table, so they cannot drift apart; a new
 * field of struct mlsim_result becomes output by one entry here (appended, so that the columns of
 * earlier versions keep their places).
 */
#ifndef MLSIM_COLUMNS_H
#define MLSIM_COLUMNS_H

#include <stddef.h>
#include <stdio.h>

#include "mlsim/result.h"

/* The version of the column list, written as the last CSV column and a top-level JSON key. Bump
 * it whenever a column is added, renamed, moved or changes meaning. Version 1 is the unversioned
 * output of mlsim 0.1.0 (29 CSV columns, JSON without the reference and the layout); version 3
 * adds active_params and ep (mixtures of experts); version 4 eval_passes, eval_s and
 * init_timed_s (MLPerf's clock) and the time_to_train_s reference. */
#define MLSIM_COLUMNS_SCHEMA_VERSION 4

/* The name of the schema-version column and key. */
#define MLSIM_COLUMNS_SCHEMA_KEY "schema_version"

enum mlsim_column_kind {
    MLSIM_COLUMN_NUMBER, /* a double in SI units (counts are exact integers) */
    MLSIM_COLUMN_TEXT,   /* a string */
    MLSIM_COLUMN_BOOL,   /* true or false */
};

/* The modes a column has, as bits of enum mlsim_mode. */
#define MLSIM_COLUMN_ANALYTIC  (1u << MLSIM_MODE_ANALYTIC)
#define MLSIM_COLUMN_SIMULATE  (1u << MLSIM_MODE_SIMULATE)
#define MLSIM_COLUMN_INFERENCE (1u << MLSIM_MODE_INFERENCE)
#define MLSIM_COLUMN_ALL       (MLSIM_COLUMN_ANALYTIC | MLSIM_COLUMN_SIMULATE | MLSIM_COLUMN_INFERENCE)
/* A column of the run itself (what was asked), kept for a table's row that was not estimated. */
#define MLSIM_COLUMN_RUN (1u << 8)

/* One value of a column; the member that its kind names is set. */
struct mlsim_column_value {
    double number;    /* MLSIM_COLUMN_NUMBER */
    const char *text; /* MLSIM_COLUMN_TEXT: borrowed from the result, its run or a static table */
    int flag;         /* MLSIM_COLUMN_BOOL: 0 or 1 */
};

struct mlsim_column {
    const char *name;    /* the CSV header and the JSON key: [a-z0-9_], unique */
    int kind;            /* enum mlsim_column_kind */
    unsigned modes;      /* MLSIM_COLUMN_* bits: the modes whose results have it */
    const char *unit;    /* for people: "s", "bytes", "USD", "ratio", "text", ... */
    const char *meaning; /* one line */
    /* Fill *V from RES; return 0 where RES has no such figure though its mode has the column
     * (a reference not given, a pipeline figure of a run without one). */
    int (*get)(const struct mlsim_result *res, struct mlsim_column_value *v);
    /* Without a getter: the double at this offset of struct mlsim_result, plus one (so that 0
     * means none); the table's FIELD() fills it, which makes a plain figure one line. */
    size_t field;
};

/* Column I (0, 1, ... in output order), or NULL past the last. */
const struct mlsim_column *mlsim_columns_get(size_t i);

/* The number of columns. */
size_t mlsim_columns_count(void);

/* The column named NAME, or NULL. */
const struct mlsim_column *mlsim_columns_find(const char *name);

/* Fill *V with column C of RES (whose run is set); return 1, or 0 where RES's mode lacks the
 * column or RES has no such figure (then *V is untouched): an empty CSV cell, an absent JSON
 * key. */
int mlsim_columns_value(const struct mlsim_column *c, const struct mlsim_result *res,
                        struct mlsim_column_value *v);

/* Whether RES carries a published figure to compare with (a simulated run with
 * ref_flops_per_device, ref_step_s or ref_time_to_train_s, the first given; an analytic run with
 * ref_time_to_train_s); then *METRIC names it ("tflops_per_device", "hw_tflops_per_device",
 * "step_time_s" or "time_to_train_s") and *PREDICTED and *MEASURED are mlsim's value and the
 * published one, in TFLOP/s or s. */
int mlsim_columns_reference(const struct mlsim_result *res, const char **metric, double *predicted,
                            double *measured);

/* The modes of MODES_MASK in words ("all", "simulate, inference", ...), into BUF of LEN bytes;
 * returns BUF. */
const char *mlsim_columns_modes_text(unsigned modes_mask, char *buf, size_t len);

/* Write the field list as a Markdown table (name, unit, modes, meaning), the schema version's
 * row last: the README's list is this output, and a unit test holds it there. */
void mlsim_columns_write_markdown(FILE *out);

#endif
