/*
 * The hardware comparison table. Rows are plain data computed once from the device (peak, mu,
 * eta); columns are one const table that says how to read, sort and print each, so the text,
 * CSV and JSON writers and --sort all agree on the same names. Tables are small (the database
 * holds tens of devices, a few hundred rows at most): a stable insertion sort serves.
 */
#include "mlsim/hwtable.h"

#include <stdlib.h>
#include <string.h>

#include "mlsim/diag.h"
#include "mlsim/mem.h"
#include "mlsim/textio.h"
#include "mlsim/units.h"

struct mlsim_hwtable {
    struct mlsim_hwtable_row *rows;
    size_t n, cap;
};

/* ---- rows ---- */

/* A device's headline figure, the one a row takes without --precision: the largest of its
 * fp16, bf16 and fp32 peaks (the precisions ML trains in: a P40's fp32 beats its 1/64-rate fp16),
 * else fp64 (a supercomputer's Rpeak), else int8 (inference chips), else tf32, fp8. */
static const int headline_steps[][3] = {
    {MLSIM_PRECISION_FP16, MLSIM_PRECISION_BF16, MLSIM_PRECISION_FP32},
    {MLSIM_PRECISION_FP64, -1, -1},
    {MLSIM_PRECISION_INT8, -1, -1},
    {MLSIM_PRECISION_TF32, -1, -1},
    {MLSIM_PRECISION_FP8, -1, -1},
};

static int first_given(const double *peaks)
{
    for (size_t i = 0; i < sizeof headline_steps / sizeof headline_steps[0]; i++) {
        int best = -1;
        for (size_t k = 0; k < 3 && headline_steps[i][k] >= 0; k++) {
            int p = headline_steps[i][k];
            if (peaks[p] > 0 && (best < 0 || peaks[p] > peaks[best]))
                best = p;
        }
        if (best >= 0)
            return best;
    }
    return -1;
}

/* The precision of DEV's headline figure: dense if it has any, else sparse; fp16 if none. */
static int headline(const struct mlsim_device *dev)
{
    int p = first_given(dev->peak_flops);
    if (p < 0)
        p = first_given(dev->peak_sparse_flops);
    return p < 0 ? MLSIM_PRECISION_FP16 : p;
}

static int has_flops(const struct mlsim_device *dev)
{
    for (int p = 0; p < MLSIM_PRECISION_N; p++) {
        if (dev->peak_flops[p] > 0 || dev->peak_sparse_flops[p] > 0)
            return 1;
    }
    return 0;
}

static void set_merit(struct mlsim_hwtable_row *row)
{
    const struct mlsim_device *dev = row->dev;
    if (row->peak <= 0)
        return;
    if (dev->price_usd > 0)
        row->mu_usd = row->peak / dev->price_usd;
    if (dev->rental_usd_per_s > 0)
        row->mu_usd_h = row->peak / (dev->rental_usd_per_s * MLSIM_UNITS_S_PER_HOUR);
    if (dev->tdp_w > 0)
        row->eta_w = row->peak / dev->tdp_w;
}

/* Fill ROW at precision P from the dense figure, or from the sparse one when SPARSE. */
static void fill_at(struct mlsim_hwtable_row *row, const struct mlsim_device *dev, int p,
                    int sparse)
{
    memset(row, 0, sizeof *row);
    row->dev = dev;
    row->precision = p;
    row->peak = sparse ? dev->peak_sparse_flops[p] : dev->peak_flops[p];
    row->basis =
        row->peak > 0 ? (sparse ? MLSIM_HWTABLE_SPARSE : MLSIM_HWTABLE_DENSE) : MLSIM_HWTABLE_NONE;
    set_merit(row);
}

static void fill_hash(struct mlsim_hwtable_row *row, const struct mlsim_device *dev)
{
    memset(row, 0, sizeof *row);
    row->dev = dev;
    row->precision = -1;
    row->basis = MLSIM_HWTABLE_HASH;
    row->peak = dev->hashrate_sha256;
    set_merit(row);
}

void mlsim_hwtable_row_fill(struct mlsim_hwtable_row *row, const struct mlsim_device *dev, int p)
{
    if (!has_flops(dev) && dev->hashrate_sha256 > 0) {
        fill_hash(row, dev);
        return;
    }
    if (p < 0 || p >= MLSIM_PRECISION_N)
        p = headline(dev);
    /* Never a sparse figure where a dense one exists. */
    fill_at(row, dev, p, dev->peak_flops[p] <= 0 && dev->peak_sparse_flops[p] > 0);
}

struct mlsim_hwtable *mlsim_hwtable_alloc(void)
{
    return calloc(1, sizeof(struct mlsim_hwtable));
}

void mlsim_hwtable_free(struct mlsim_hwtable *t)
{
    if (!t)
        return;
    free(t->rows);
    free(t);
}

static enum mlsim_status push(struct mlsim_hwtable *t, const struct mlsim_hwtable_row *row)
{
    void *rows = t->rows;
    enum mlsim_status st = mlsim_mem_grow(&rows, &t->cap, t->n + 1, sizeof *t->rows);
    t->rows = rows;
    if (st != MLSIM_OK)
        return st;
    t->rows[t->n] = *row;
    t->rows[t->n].seq = t->n;
    t->n++;
    return MLSIM_OK;
}

/* One row per figure DEV has: dense, then sparse, per precision. */
static enum mlsim_status add_all(struct mlsim_hwtable *t, const struct mlsim_device *dev)
{
    struct mlsim_hwtable_row row;
    enum mlsim_status st = MLSIM_OK;
    if (!has_flops(dev)) {
        mlsim_hwtable_row_fill(&row, dev, MLSIM_HWTABLE_HEADLINE);
        return push(t, &row);
    }
    for (int p = 0; p < MLSIM_PRECISION_N && st == MLSIM_OK; p++) {
        for (int sparse = 0; sparse <= 1 && st == MLSIM_OK; sparse++) {
            fill_at(&row, dev, p, sparse);
            if (row.basis != MLSIM_HWTABLE_NONE)
                st = push(t, &row);
        }
    }
    return st;
}

enum mlsim_status mlsim_hwtable_add(struct mlsim_hwtable *t, const struct mlsim_device *dev,
                                    int precision)
{
    if (precision == MLSIM_HWTABLE_ALL)
        return add_all(t, dev);
    struct mlsim_hwtable_row row;
    mlsim_hwtable_row_fill(&row, dev, precision);
    return push(t, &row);
}

size_t mlsim_hwtable_size(const struct mlsim_hwtable *t)
{
    return t->n;
}

const struct mlsim_hwtable_row *mlsim_hwtable_row(const struct mlsim_hwtable *t, size_t i)
{
    return i < t->n ? &t->rows[i] : NULL;
}

/* ---- columns ---- */

static const char *const basis_names[] = {"dense", "sparse", "hash", "none"};

static const char *col_id(const struct mlsim_hwtable_row *r)
{
    return r->dev->id;
}
static const char *col_name(const struct mlsim_hwtable_row *r)
{
    return r->dev->name;
}
static const char *col_kind(const struct mlsim_hwtable_row *r)
{
    return mlsim_kind_names[r->dev->kind];
}
static const char *col_vendor(const struct mlsim_hwtable_row *r)
{
    return r->dev->vendor;
}
static const char *col_precision(const struct mlsim_hwtable_row *r)
{
    return r->precision < 0 ? "sha256" : mlsim_precision_names[r->precision];
}
static const char *col_basis(const struct mlsim_hwtable_row *r)
{
    return basis_names[r->basis];
}
static const char *col_unit(const struct mlsim_hwtable_row *r)
{
    if (r->basis == MLSIM_HWTABLE_NONE)
        return "";
    if (r->basis == MLSIM_HWTABLE_HASH)
        return "H/s";
    return r->precision == MLSIM_PRECISION_INT8 ? "OP/s" : "FLOP/s";
}
static double col_year(const struct mlsim_hwtable_row *r)
{
    return r->dev->year;
}
static double col_peak(const struct mlsim_hwtable_row *r)
{
    return r->peak;
}
static double col_memory(const struct mlsim_hwtable_row *r)
{
    return r->dev->mem_bytes;
}
static double col_bandwidth(const struct mlsim_hwtable_row *r)
{
    return r->dev->mem_bw_Bps;
}
static double col_tdp(const struct mlsim_hwtable_row *r)
{
    return r->dev->tdp_w;
}
static double col_price(const struct mlsim_hwtable_row *r)
{
    return r->dev->price_usd;
}
static double col_rental(const struct mlsim_hwtable_row *r)
{
    return r->dev->rental_usd_per_s * MLSIM_UNITS_S_PER_HOUR;
}
static double col_mu(const struct mlsim_hwtable_row *r)
{
    return r->mu_usd;
}
static double col_mu_h(const struct mlsim_hwtable_row *r)
{
    return r->mu_usd_h;
}
static double col_eta(const struct mlsim_hwtable_row *r)
{
    return r->eta_w;
}
static double col_rmax(const struct mlsim_hwtable_row *r)
{
    return r->dev->rmax_flops;
}

#define THROUGHPUT MLSIM_DIM_N /* formatted in the row's own unit: FLOP/s or H/s */

/* A column: read as text (TEXT) or as a number (NUM, 0 = unknown), printed in the table with
 * mlsim_units_format(NUM x SCALE, DIM). */
struct column {
    const char *key;
    const char *header;
    const char *(*text)(const struct mlsim_hwtable_row *r);
    double (*num)(const struct mlsim_hwtable_row *r);
    enum mlsim_dim dim;
    double scale;
};

#define TEXT_COL(key, header, fn)                                                                  \
    {                                                                                              \
        key, header, fn, NULL, MLSIM_DIM_NUMBER, 1.0                                               \
    }
#define NUM_COL(key, header, fn, dim, scale)                                                       \
    {                                                                                              \
        key, header, NULL, fn, dim, scale                                                          \
    }

enum {
    C_ID,
    C_NAME,
    C_KIND,
    C_VENDOR,
    C_YEAR,
    C_PRECISION,
    C_BASIS,
    C_PEAK,
    C_UNIT,
    C_MEMORY,
    C_BANDWIDTH,
    C_TDP,
    C_PRICE,
    C_RENTAL,
    C_MU,
    C_MU_H,
    C_ETA,
    C_RMAX,
    C_N
};

static const struct column columns[C_N] = {
    TEXT_COL("id", "id", col_id),
    TEXT_COL("name", "name", col_name),
    TEXT_COL("kind", "kind", col_kind),
    TEXT_COL("vendor", "vendor", col_vendor),
    NUM_COL("year", "year", col_year, MLSIM_DIM_NUMBER, 1.0),
    TEXT_COL("precision", "precision", col_precision),
    TEXT_COL("basis", "basis", col_basis),
    NUM_COL("peak", "peak", col_peak, THROUGHPUT, 1.0),
    TEXT_COL("unit", "unit", col_unit),
    NUM_COL("memory_bytes", "memory", col_memory, MLSIM_DIM_BYTES, 1.0),
    NUM_COL("bandwidth_Bps", "bandwidth", col_bandwidth, MLSIM_DIM_BANDWIDTH, 1.0),
    NUM_COL("tdp_w", "TDP", col_tdp, MLSIM_DIM_POWER, 1.0),
    NUM_COL("price_usd", "price", col_price, MLSIM_DIM_MONEY, 1.0),
    /* USD/h in CSV; the table's money-rate format takes USD/s. */
    NUM_COL("rental_usd_per_h", "rental", col_rental, MLSIM_DIM_MONEY_RATE,
            1.0 / MLSIM_UNITS_S_PER_HOUR),
    NUM_COL("mu_per_usd", "mu per $", col_mu, THROUGHPUT, 1.0),
    NUM_COL("mu_per_usd_h", "mu per $/h", col_mu_h, THROUGHPUT, 1.0),
    NUM_COL("eta_per_w", "eta per W", col_eta, THROUGHPUT, 1.0),
    NUM_COL("rmax_flops", "Rmax", col_rmax, MLSIM_DIM_FLOPS, 1.0),
};

const char *mlsim_hwtable_column_key(int col)
{
    return col >= 0 && col < C_N ? columns[col].key : NULL;
}

static const int view_list[] = {C_ID,    C_KIND, C_YEAR,   C_NAME, C_PRECISION,
                                C_BASIS, C_PEAK, C_MEMORY, C_TDP,  -1};
static const int view_compare[] = {C_ID,        C_PRECISION, C_BASIS, C_PEAK,   C_MEMORY,
                                   C_BANDWIDTH, C_TDP,       C_PRICE, C_RENTAL, C_MU,
                                   C_MU_H,      C_ETA,       -1};
static const int view_show[] = {C_PRECISION, C_BASIS, C_PEAK, C_MU, C_MU_H, C_ETA, -1};

static const int *view_columns(enum mlsim_hwtable_view view)
{
    switch (view) {
    case MLSIM_HWTABLE_VIEW_LIST:
        return view_list;
    case MLSIM_HWTABLE_VIEW_SHOW:
        return view_show;
    case MLSIM_HWTABLE_VIEW_COMPARE:
        break;
    }
    return view_compare;
}

int mlsim_hwtable_column_find(const char *name)
{
    int found = -1;
    size_t len = strlen(name);
    for (int c = 0; c < C_N; c++) {
        if (strcmp(columns[c].key, name) == 0)
            return c;
    }
    for (int c = 0; c < C_N && len > 0; c++) {
        if (strncmp(columns[c].key, name, len) == 0) {
            if (found >= 0)
                return -1;
            found = c;
        }
    }
    return found;
}

/* ---- sorting ---- */

/* Whether row R has no value in column C. Throughput-derived columns of a hashing device count
 * as unknown: hashes/s do not sort among FLOP/s. */
static int unknown(const struct column *c, const struct mlsim_hwtable_row *r)
{
    if (c->text)
        return c->text(r)[0] == '\0';
    if (c->dim == THROUGHPUT && r->basis == MLSIM_HWTABLE_HASH)
        return 1;
    return !(c->num(r) > 0);
}

/* Negative if A goes before B. */
static int compare(const struct column *c, int descending, const struct mlsim_hwtable_row *a,
                   const struct mlsim_hwtable_row *b)
{
    int ua = unknown(c, a), ub = unknown(c, b);
    int order = 0;
    if (ua != ub)
        return ua - ub;
    if (!ua && c->text)
        order = strcmp(c->text(a), c->text(b));
    else if (!ua)
        order = (c->num(a) > c->num(b)) - (c->num(a) < c->num(b));
    if (descending)
        order = -order;
    if (order != 0)
        return order;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

void mlsim_hwtable_sort(struct mlsim_hwtable *t, int col, int descending)
{
    if (col < 0 || col >= C_N)
        return;
    const struct column *c = &columns[col];
    if (descending < 0)
        descending = c->text == NULL;
    for (size_t i = 1; i < t->n; i++) {
        struct mlsim_hwtable_row row = t->rows[i];
        size_t j = i;
        while (j > 0 && compare(c, descending, &row, &t->rows[j - 1]) < 0) {
            t->rows[j] = t->rows[j - 1];
            j--;
        }
        t->rows[j] = row;
    }
}

/* ---- the text table ---- */

#define CELL_LEN 160

static const char *cell(const struct column *c, const struct mlsim_hwtable_row *r, char *buf)
{
    if (c->text) {
        const char *s = c->text(r);
        return s[0] ? s : "-";
    }
    double v = c->num(r);
    if (!(v > 0))
        return "-";
    enum mlsim_dim dim = c->dim;
    if (dim == THROUGHPUT)
        dim = r->basis == MLSIM_HWTABLE_HASH ? MLSIM_DIM_HASHRATE : MLSIM_DIM_FLOPS;
    mlsim_units_format(v * c->scale, dim, buf, CELL_LEN);
    /* int8 counts operations, not floating-point ones: "130 TOP/s", not "130 TFLOP/s". */
    char *flop = strstr(buf, "FLOP/s");
    if (flop && r->basis != MLSIM_HWTABLE_HASH && r->precision == MLSIM_PRECISION_INT8)
        memmove(flop, flop + 2, strlen(flop + 2) + 1);
    return buf;
}

static void write_line(FILE *out, const int *cols, const size_t *width, const char *const *cells)
{
    for (size_t k = 0; cols[k] >= 0; k++) {
        int last = cols[k + 1] < 0;
        int left = columns[cols[k]].text != NULL;
        if (k > 0)
            fputs("  ", out);
        if (left && last)
            fputs(cells[k], out);
        else
            fprintf(out, left ? "%-*s" : "%*s", (int)width[k], cells[k]);
    }
    fputc('\n', out);
}

static void write_notes(FILE *out, const struct mlsim_hwtable *t, enum mlsim_hwtable_view view)
{
    int seen[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < t->n; i++)
        seen[t->rows[i].basis] = 1;
    fputc('\n', out);
    if (view != MLSIM_HWTABLE_VIEW_LIST)
        fputs("mu: peak per purchase dollar and per rental dollar-hour; eta: peak per watt of "
              "TDP; '-': not in the database\n",
              out);
    if (seen[MLSIM_HWTABLE_SPARSE])
        fputs("sparse: a 2:4-sparse or \"AI\" headline figure, the only one published; not a "
              "dense peak, so not comparable with dense rows and never used as one\n",
              out);
    if (seen[MLSIM_HWTABLE_NONE])
        fputs("none: the device has no figure at that precision\n", out);
    for (size_t i = 0; i < t->n; i++) {
        const struct mlsim_hwtable_row *r = &t->rows[i];
        if (r->basis == MLSIM_HWTABLE_HASH)
            fprintf(out,
                    "%s: does no FLOPs; its throughput is SHA-256 hashes/s, so its mu and eta "
                    "are hashes/s per dollar and per watt\n",
                    r->dev->id);
        if (r->dev->rmax_flops > 0 && r->dev->peak_flops[MLSIM_PRECISION_FP64] > 0 &&
            r->precision == MLSIM_PRECISION_FP64) {
            char a[CELL_LEN], b[CELL_LEN];
            fprintf(out, "%s: a whole system; peak is its Rpeak %s, measured LINPACK Rmax %s\n",
                    r->dev->id,
                    mlsim_units_format(r->dev->peak_flops[MLSIM_PRECISION_FP64], MLSIM_DIM_FLOPS, a,
                                       sizeof a),
                    mlsim_units_format(r->dev->rmax_flops, MLSIM_DIM_FLOPS, b, sizeof b));
        }
    }
}

static void write_table(FILE *out, const struct mlsim_hwtable *t, enum mlsim_hwtable_view view)
{
    const int *cols = view_columns(view);
    size_t width[C_N] = {0};
    const char *cells[C_N];
    char bufs[C_N][CELL_LEN];
    for (size_t k = 0; cols[k] >= 0; k++) {
        cells[k] = columns[cols[k]].header;
        width[k] = strlen(cells[k]);
    }
    for (size_t i = 0; i < t->n; i++) {
        for (size_t k = 0; cols[k] >= 0; k++) {
            size_t w = strlen(cell(&columns[cols[k]], &t->rows[i], bufs[k]));
            width[k] = w > width[k] ? w : width[k];
        }
    }
    write_line(out, cols, width, cells);
    for (size_t i = 0; i < t->n; i++) {
        for (size_t k = 0; cols[k] >= 0; k++)
            cells[k] = cell(&columns[cols[k]], &t->rows[i], bufs[k]);
        write_line(out, cols, width, cells);
    }
    write_notes(out, t, view);
}

/* ---- CSV and JSON ---- */

static void write_csv(FILE *out, const struct mlsim_hwtable *t, enum mlsim_hwtable_view view)
{
    (void)view;
    for (int c = 0; c < C_N; c++)
        fprintf(out, "%s%s", c ? "," : "", columns[c].key);
    fputc('\n', out);
    for (size_t i = 0; i < t->n; i++) {
        for (int c = 0; c < C_N; c++) {
            const struct column *col = &columns[c];
            if (c)
                fputc(',', out);
            if (col->text)
                mlsim_csv_text(out, col->text(&t->rows[i]));
            else if (col->num(&t->rows[i]) > 0)
                fprintf(out, "%.10g", col->num(&t->rows[i]));
        }
        fputc('\n', out);
    }
}

static void write_json(FILE *out, const struct mlsim_hwtable *t, enum mlsim_hwtable_view view)
{
    (void)view;
    fputs("[", out);
    for (size_t i = 0; i < t->n; i++) {
        fputs(i ? ",\n  {" : "\n  {", out);
        for (int c = 0; c < C_N; c++) {
            const struct column *col = &columns[c];
            fprintf(out, "%s\"%s\": ", c ? ", " : "", col->key);
            if (col->text)
                mlsim_json_string(out, col->text(&t->rows[i]));
            else if (col->num(&t->rows[i]) > 0)
                fprintf(out, "%.10g", col->num(&t->rows[i]));
            else
                fputs("null", out);
        }
        fputs("}", out);
    }
    fputs(t->n ? "\n]\n" : "]\n", out);
}

static const struct mlsim_hwtable_format formats[] = {
    {"table", write_table},
    {"csv", write_csv},
    {"json", write_json},
};

const struct mlsim_hwtable_format *mlsim_hwtable_format_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    }
    return NULL;
}

/* ---- one device in full ---- */

static void show_field(FILE *out, const char *label, double v, enum mlsim_dim dim)
{
    char buf[CELL_LEN];
    if (v > 0)
        fprintf(out, "  %-12s %s\n", label, mlsim_units_format(v, dim, buf, sizeof buf));
}

static void show_links(FILE *out, const struct mlsim_device *dev)
{
    char buf[CELL_LEN], both[CELL_LEN];
    for (int i = 0; i < dev->n_links; i++) {
        const struct mlsim_link *l = &dev->links[i];
        fprintf(out, "  %-12s %s: %s each way", i ? "" : "Links", l->name,
                mlsim_units_format(l->bw_each_Bps, MLSIM_DIM_BANDWIDTH, buf, sizeof buf));
        if (l->both_ways)
            fprintf(
                out, " (%s both ways in the source)",
                mlsim_units_format(2.0 * l->bw_each_Bps, MLSIM_DIM_BANDWIDTH, both, sizeof both));
        if (l->ports > 0)
            fprintf(out, ", %d a chip", l->ports);
        fputc('\n', out);
    }
    if (dev->torus.x <= 0)
        return;
    char dims[48]; /* the largest slice; smaller ones wrap only at multiples of wrap */
    if (dev->torus.z > 1)
        snprintf(dims, sizeof dims, "%dx%dx%d", dev->torus.x, dev->torus.y, dev->torus.z);
    else
        snprintf(dims, sizeof dims, "%dx%d", dev->torus.x, dev->torus.y);
    fprintf(out, "  %-12s %s (a dimension wraps at multiples of %d)\n", "Torus", dims,
            dev->torus.wrap);
}

static void show_sources(FILE *out, const struct mlsim_device *dev)
{
    fputs("\nSources\n", out);
    for (int s = 0; s < dev->n_sources; s++) {
        const struct mlsim_source *src = &dev->sources[s];
        fprintf(out, "  %d. %s\n", s + 1, src->cite);
        if (src->url[0])
            fprintf(out, "     %s\n", src->url);
        fputs("     for: ", out);
        for (int c = 0; c < src->n_covers; c++)
            fprintf(out, "%s%s", c ? ", " : "", src->covers[c]);
        fputc('\n', out);
        if (src->note[0])
            fprintf(out, "     note: %s\n", src->note);
    }
}

void mlsim_hwtable_show(FILE *out, const struct mlsim_device *dev)
{
    char buf[CELL_LEN];
    fprintf(out, "%s (%s): %s, %s, %d\n", dev->name, dev->id, mlsim_kind_names[dev->kind],
            dev->vendor, dev->year);
    fprintf(out, "  %-12s %s\n\n", "File", dev->path);
    struct mlsim_hwtable t = {NULL, 0, 0};
    if (add_all(&t, dev) == MLSIM_OK)
        write_table(out, &t, MLSIM_HWTABLE_VIEW_SHOW);
    free(t.rows);
    fputc('\n', out);
    show_field(out, "Rmax", dev->rmax_flops, MLSIM_DIM_FLOPS);
    show_field(out, "Memory", dev->mem_bytes, MLSIM_DIM_BYTES);
    show_field(out, "Bandwidth", dev->mem_bw_Bps, MLSIM_DIM_BANDWIDTH);
    show_field(out, "On chip", dev->onchip_bytes, MLSIM_DIM_BYTES);
    show_links(out, dev);
    show_field(out, "TDP", dev->tdp_w, MLSIM_DIM_POWER);
    show_field(out, "Idle", dev->idle_w, MLSIM_DIM_POWER);
    show_field(out, "Price", dev->price_usd, MLSIM_DIM_MONEY);
    if (dev->rental_usd_per_s > 0)
        fprintf(out, "  %-12s %s (%s)\n", "Rental",
                mlsim_units_format(dev->rental_usd_per_s, MLSIM_DIM_MONEY_RATE, buf, sizeof buf),
                dev->rental_date);
    if (dev->cores > 0)
        fprintf(out, "  %-12s %d\n", "Cores", dev->cores);
    show_field(out, "Clock", dev->clock_hz, MLSIM_DIM_FREQUENCY);
    show_sources(out, dev);
}

/* ---- finding ids ---- */

enum mlsim_hwtable_match mlsim_hwtable_match_id(const char *word, const char *const *ids, size_t n,
                                                size_t *index)
{
    size_t len = strlen(word), n_prefixed = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ids[i], word) == 0) {
            *index = i;
            return MLSIM_HWTABLE_EXACT;
        }
    }
    for (size_t i = 0; i < n && len > 0; i++) {
        if (strncmp(ids[i], word, len) == 0 && n_prefixed++ == 0)
            *index = i;
    }
    if (n_prefixed == 1)
        return MLSIM_HWTABLE_PREFIX;
    if (n_prefixed > 1)
        return MLSIM_HWTABLE_AMBIGUOUS;
    const char *hint = mlsim_diag_suggest(word, ids, n);
    for (size_t i = 0; hint && i < n; i++) {
        if (ids[i] == hint) {
            *index = i;
            return MLSIM_HWTABLE_CLOSE;
        }
    }
    return MLSIM_HWTABLE_UNKNOWN;
}
