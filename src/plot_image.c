/*
 * Checking a rendered image before it replaces its target. The checks are on the end of the
 * file, where a write cut short by a full disk or a size limit shows: PNG's last chunk is IEND
 * (PNG spec, sec. 5.6: length 0, type IEND, CRC AE 42 60 82), SVG's document element closes with
 * </svg>, and a PDF ends with the %%EOF marker (ISO 32000-1, sec. 7.5.5).
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/plot_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mlsim/mem.h"
#include "mlsim/plot.h"

static const char png_signature[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};
static const char png_iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', '\xae', '\x42', '\x60', '\x82'};

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Does TEXT of LEN bytes end with TAIL, once trailing white space is dropped? */
static int ends_with(const char *text, size_t len, const char *tail)
{
    while (len > 0 && is_space(text[len - 1]))
        len--;
    size_t n = strlen(tail);
    return len >= n && memcmp(text + len - n, tail, n) == 0;
}

const char *mlsim_plot_image_fault(int format, const char *text, size_t len)
{
    if (len == 0)
        return "empty";
    switch (format) {
    case MLSIM_PLOT_PNG:
        if (len < sizeof png_signature + sizeof png_iend ||
            memcmp(text, png_signature, sizeof png_signature) != 0)
            return "not a PNG";
        if (memcmp(text + len - sizeof png_iend, png_iend, sizeof png_iend) != 0)
            return "cut short (a PNG ends with its IEND chunk)";
        return NULL;
    case MLSIM_PLOT_SVG:
        return ends_with(text, len, "</svg>") ? NULL : "cut short (an SVG ends with </svg>)";
    case MLSIM_PLOT_PDF:
        if (len < 5 || memcmp(text, "%PDF-", 5) != 0)
            return "not a PDF";
        return ends_with(text, len, "%%EOF") ? NULL : "cut short (a PDF ends with %%EOF)";
    default:
        return "of no known format";
    }
}

/* Blank the entry KEY (a name such as "/CreationDate", then a (string)) wherever it appears. */
static size_t blank_entry(char *text, size_t len, const char *key)
{
    size_t n = strlen(key), count = 0;
    for (size_t i = 0; i + n < len; i++) {
        if (memcmp(text + i, key, n) != 0)
            continue;
        size_t j = i + n;
        while (j < len && is_space(text[j]))
            j++;
        if (j == len || text[j] != '(')
            continue;
        char *close = memchr(text + j, ')', len - j);
        if (!close)
            break;
        size_t end = (size_t)(close - text) + 1;
        memset(text + i, ' ', end - i);
        count++;
        i = end - 1;
    }
    return count;
}

size_t mlsim_plot_image_pdf_undate(char *text, size_t len)
{
    return blank_entry(text, len, "/CreationDate") + blank_entry(text, len, "/ModDate");
}

/* Write LEN bytes of TEXT over the file PATH (same length: only bytes change). */
static int rewrite(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return -1;
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

/* Is PATH absent or a regular file (not a link, a folder, a FIFO)? */
static int replaceable(const char *path)
{
    struct stat st;
    return lstat(path, &st) != 0 || S_ISREG(st.st_mode);
}

enum mlsim_status mlsim_plot_image_check(int format, const char *tmp, const char *target,
                                         struct mlsim_diags *d)
{
    struct mlsim_loc loc = {target, 0, 0};
    char *text = NULL;
    size_t len = 0;
    enum mlsim_status st = mlsim_mem_read_file(tmp, MLSIM_MEM_MAX_FILE_BYTES, &text, &len);
    if (st != MLSIM_OK) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc, "cannot read the image gnuplot wrote");
        return st == MLSIM_ERR_NOMEM ? st : MLSIM_ERR_IO;
    }
    const char *fault = mlsim_plot_image_fault(format, text, len);
    if (fault) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc,
                           "gnuplot wrote an image that is %s (is the disk full?); not written",
                           fault);
        st = MLSIM_ERR_INPUT;
    } else if (format == MLSIM_PLOT_PDF && mlsim_plot_image_pdf_undate(text, len) > 0 &&
               rewrite(tmp, text, len) != 0) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc, "cannot rewrite the PDF gnuplot wrote");
        st = MLSIM_ERR_IO;
    }
    free(text);
    return st;
}

enum mlsim_status mlsim_plot_image_install(int format, const char *tmp, const char *target,
                                           struct mlsim_diags *d)
{
    struct mlsim_loc loc = {target, 0, 0};
    enum mlsim_status st = mlsim_plot_image_check(format, tmp, target, d);
    if (st == MLSIM_OK && !replaceable(target)) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc,
                           "exists and is not a regular file (a folder, a link, a FIFO): not "
                           "replaced");
        st = MLSIM_ERR_INPUT;
    }
    if (st == MLSIM_OK && rename(tmp, target) != 0) {
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, loc, "cannot rename the image into place");
        st = MLSIM_ERR_IO;
    }
    if (st != MLSIM_OK)
        remove(tmp);
    return st;
}
