/*
 * CSV, JSON and terminal text. Each writer walks its string one unit at a time (an ASCII byte, a
 * valid UTF-8 sequence, or a maximal invalid subpart) and decides per unit: copy, escape, or
 * replace. The UTF-8 ranges are those of Unicode 15, table 3-7 (well-formed byte sequences).
 */
#include "mlsim/textio.h"

#include <math.h>
#include <string.h>

enum unit_kind { UNIT_TEXT, UNIT_CONTROL, UNIT_INVALID };

struct unit {
    enum unit_kind kind;
    size_t len;  /* bytes of the string it covers, at least 1 */
    unsigned cp; /* the code point of a control character */
};

/* The UTF-8 encoding of U+FFFD REPLACEMENT CHARACTER. */
static const char replacement[] = "\xef\xbf\xbd";

/* The unit at P (not at the terminating NUL). */
static struct unit next_unit(const unsigned char *p)
{
    struct unit u = {UNIT_TEXT, 1, p[0]};
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80) {
        u.kind = c < 0x20 || c == 0x7f ? UNIT_CONTROL : UNIT_TEXT;
        return u;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong form */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogate */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80; /* no overlong form */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    } else {
        u.kind = UNIT_INVALID; /* a continuation byte, C0, C1 or F5..FF as a lead */
        return u;
    }
    for (size_t i = 1; i < n; i++, lo = 0x80, hi = 0xBF) {
        if (p[i] < lo || p[i] > hi) { /* the NUL at the end fails this too */
            u.kind = UNIT_INVALID;
            u.len = i;
            return u;
        }
    }
    u.len = n;
    if (n == 2 && c == 0xC2 && p[1] <= 0x9F) { /* U+0080..U+009F: C1 controls */
        u.kind = UNIT_CONTROL;
        u.cp = p[1];
    }
    return u;
}

/* A spreadsheet takes a cell beginning with one of these as a formula. */
static int formula_start(const char *s)
{
    return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

void mlsim_csv_text(FILE *out, const char *s)
{
    int formula = formula_start(s);
    int quoted = formula || strpbrk(s, ",\"\n\r\t") != NULL;
    if (quoted)
        fputs(formula ? "\"'" : "\"", out);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        struct unit u = next_unit(p);
        if (u.kind == UNIT_INVALID ||
            (u.kind == UNIT_CONTROL && u.cp != '\t' && u.cp != '\n' && u.cp != '\r'))
            fputs(replacement, out);
        else if (*p == '"')
            fputs("\"\"", out);
        else
            fwrite(p, 1, u.len, out);
        p += u.len;
    }
    if (quoted)
        fputc('"', out);
}

void mlsim_csv_number(FILE *out, double x)
{
    if (isfinite(x))
        fprintf(out, "%.15g", x);
}

void mlsim_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        struct unit u = next_unit(p);
        if (u.kind == UNIT_INVALID)
            fputs(replacement, out);
        else if (u.kind == UNIT_CONTROL)
            fprintf(out, "\\u%04x", u.cp);
        else if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else
            fwrite(p, 1, u.len, out);
        p += u.len;
    }
    fputc('"', out);
}

void mlsim_json_number(FILE *out, double x)
{
    if (isfinite(x))
        fprintf(out, "%.15g", x);
    else
        fputs("null", out);
}

/* Bytes of the escape sequence at P (P[0] is ESC): CSI up to its final byte, a string command
 * (OSC, DCS, SOS, PM, APC) up to BEL or ESC \, else ESC and the byte after it. */
static size_t escape_len(const unsigned char *p)
{
    size_t i = 2;
    if (p[1] == '[') {
        while (p[i] >= 0x20 && p[i] <= 0x3F) /* parameters and intermediates */
            i++;
        return p[i] >= 0x40 && p[i] <= 0x7E ? i + 1 : i;
    }
    if (p[1] != '\0' && strchr("]PX^_", p[1])) {
        for (; p[i] && p[i] != 0x07; i++) {
            if (p[i] == 0x1b && p[i + 1] == '\\')
                return i + 2;
        }
        return p[i] ? i + 1 : i;
    }
    return p[1] >= 0x20 && p[1] <= 0x7E ? 2 : 1;
}

void mlsim_term_text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        struct unit u = next_unit(p);
        if (u.kind == UNIT_TEXT) {
            fwrite(p, 1, u.len, out);
        } else {
            fputc('?', out);
            if (*p == 0x1b)
                u.len = escape_len(p);
        }
        p += u.len;
    }
}
