/* article: the article record and the reader of schema.org NewsArticle files (JSON Lines, JSON,
 * gzip). */
#include "article.h"
#include "date.h"
#include "hash.h"
#include "render_buf.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define ARTICLE_MAX_ID 256u

/* The longest line the JSON Lines reader accepts, in bytes.  Far above any
 * real article (a 10 MB body is fine); it only bounds the memory a file
 * without newlines (a binary file read by mistake) can take. */
#define READER_MAX_LINE (128u * 1024u * 1024u)

/* Size of the reader's input buffer, in (uncompressed) bytes. */
#define READER_CHUNK (256u * 1024u)

/* --- small string helpers ------------------------------------------------ */

/* Returns a NUL-terminated copy of s[0..len), or NULL when out of memory;
 * the caller owns it. */
static char *dup_span(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

/* The white space trimmed at both ends of every text field: ASCII space and
 * controls, no-break spaces, zero-width space and a stray byte-order mark. */
static const char *const blank_chars[] = {
    " ",        "\t",           "\n",           "\r",           "\f",           "\v",
    "\xC2\xA0", "\xE2\x80\xAF", "\xE2\x80\x8B", "\xE2\x80\x89", "\xE3\x80\x80", "\xEF\xBB\xBF",
};

static size_t blank_at_start(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof blank_chars / sizeof blank_chars[0]; i++) {
        size_t n = strlen(blank_chars[i]);
        if (n <= len && memcmp(s, blank_chars[i], n) == 0)
            return n;
    }
    return 0;
}

static size_t blank_at_end(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof blank_chars / sizeof blank_chars[0]; i++) {
        size_t n = strlen(blank_chars[i]);
        if (n <= len && memcmp(s + len - n, blank_chars[i], n) == 0)
            return n;
    }
    return 0;
}

static void trim_span(const char **s, size_t *len)
{
    size_t n;
    while (*len > 0 && (n = blank_at_start(*s, *len)) > 0) {
        *s += n;
        *len -= n;
    }
    while (*len > 0 && (n = blank_at_end(*s, *len)) > 0)
        *len -= n;
}

/* Checks the raw bytes of a JSON text before jansson sees them, so that the
 * reason names the real problem: a NUL byte, binary data (an ASCII control
 * byte JSON never allows raw), or invalid UTF-8.  The first NUL wins over
 * the first control byte, which wins over the first invalid sequence.
 * Returns true when the text is clean; otherwise writes the reason, with
 * its 1-based line and byte column, into err and sets *bad_line. */
static bool raw_check(const char *text, size_t len, char *err, size_t err_size, size_t *bad_line)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t line = 1, line_start = 0;
    size_t nul = SIZE_MAX, ctl = SIZE_MAX, bad = SIZE_MAX;
    size_t nul_line = 0, ctl_line = 0, bad_line_no = 0;
    size_t nul_col = 0, ctl_col = 0, bad_col = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c == '\n') {
            line++;
            line_start = i + 1;
            i++;
        } else if (c == 0) {
            if (nul == SIZE_MAX)
                nul = i, nul_line = line, nul_col = i - line_start + 1;
            break; /* nothing can outrank it */
        } else if (c < 0x20 && c != '\t' && c != '\r') {
            if (ctl == SIZE_MAX)
                ctl = i, ctl_line = line, ctl_col = i - line_start + 1;
            i++;
        } else if (c < 0x80) {
            i++;
        } else {
            size_t n = utf8_sequence_length(s + i, len - i);
            if (n == 0) {
                if (bad == SIZE_MAX)
                    bad = i, bad_line_no = line, bad_col = i - line_start + 1;
                i++;
            } else {
                i += n;
            }
        }
    }
    const char *where_fmt = line > 1 ? "line %zu column %zu" : "column %zu";
    char where[64];
    if (nul != SIZE_MAX) {
        if (line > 1)
            snprintf(where, sizeof where, where_fmt, nul_line, nul_col);
        else
            snprintf(where, sizeof where, where_fmt, nul_col);
        status_message(err, err_size, "NUL byte at %s", where);
        *bad_line = nul_line;
        return false;
    }
    if (ctl != SIZE_MAX) {
        if (line > 1)
            snprintf(where, sizeof where, where_fmt, ctl_line, ctl_col);
        else
            snprintf(where, sizeof where, where_fmt, ctl_col);
        status_message(err, err_size, "binary data: control byte 0x%02X at %s", s[ctl], where);
        *bad_line = ctl_line;
        return false;
    }
    if (bad != SIZE_MAX) {
        if (line > 1)
            snprintf(where, sizeof where, where_fmt, bad_line_no, bad_col);
        else
            snprintf(where, sizeof where, where_fmt, bad_col);
        status_message(err, err_size, "invalid UTF-8 at %s (byte 0x%02X)", where, s[bad]);
        *bad_line = bad_line_no;
        return false;
    }
    return true;
}

/* --- HTML markup and entities ------------------------------------------- */

/* Named entities decoded in text fields: XML's five, the Latin-1 letters of
 * French, and the punctuation news sites use.  Unknown names stay as they
 * are. */
static const struct {
    const char *name;
    const char *utf8;
} entities[] = {
    {"amp", "&"},
    {"lt", "<"},
    {"gt", ">"},
    {"quot", "\""},
    {"apos", "'"},
    {"nbsp", "\xC2\xA0"},
    {"eacute", "é"},
    {"egrave", "è"},
    {"ecirc", "ê"},
    {"euml", "ë"},
    {"agrave", "à"},
    {"acirc", "â"},
    {"auml", "ä"},
    {"ccedil", "ç"},
    {"icirc", "î"},
    {"iuml", "ï"},
    {"ocirc", "ô"},
    {"ouml", "ö"},
    {"ugrave", "ù"},
    {"ucirc", "û"},
    {"uuml", "ü"},
    {"yuml", "ÿ"},
    {"Eacute", "É"},
    {"Egrave", "È"},
    {"Ecirc", "Ê"},
    {"Euml", "Ë"},
    {"Agrave", "À"},
    {"Acirc", "Â"},
    {"Ccedil", "Ç"},
    {"Icirc", "Î"},
    {"Iuml", "Ï"},
    {"Ocirc", "Ô"},
    {"Ugrave", "Ù"},
    {"Ucirc", "Û"},
    {"oelig", "œ"},
    {"OElig", "Œ"},
    {"aelig", "æ"},
    {"AElig", "Æ"},
    {"laquo", "«"},
    {"raquo", "»"},
    {"lsquo", "‘"},
    {"rsquo", "’"},
    {"ldquo", "“"},
    {"rdquo", "”"},
    {"sbquo", "‚"},
    {"bdquo", "„"},
    {"hellip", "…"},
    {"ndash", "–"},
    {"mdash", "—"},
    {"euro", "€"},
    {"deg", "°"},
    {"middot", "·"},
    {"bull", "•"},
    {"copy", "©"},
    {"reg", "®"},
    {"trade", "™"},
    {"times", "×"},
    {"divide", "÷"},
    {"sect", "§"},
    {"para", "¶"},
    {"shy", ""},
    {"thinsp", "\xE2\x80\x89"},
    {"ensp", "\xE2\x80\x82"},
    {"emsp", "\xE2\x80\x83"},
    {"iexcl", "¡"},
    {"iquest", "¿"},
    {"pound", "£"},
    {"ordm", "º"},
    {"ordf", "ª"},
    {"frac12", "½"},
    {"frac14", "¼"},
    {"frac34", "¾"},
    {"sup2", "²"},
    {"ntilde", "ñ"},
    {"szlig", "ß"},
};

/* What numeric references 128-159 mean in practice: the Windows-1252
 * characters that sit there (HTML5 decodes them the same way); 0 where
 * that code page has none. */
static const uint16_t cp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(int c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Decodes the entity at s ('&' included, len bytes available) into out.
 * Returns the number of input bytes consumed, or 0 when s does not start a
 * known entity (the '&' is then copied as it is).  Writes at most as many
 * bytes as it consumes. */
static size_t entity_decode(const char *s, size_t len, char *out, size_t *out_len)
{
    size_t end = 1;
    while (end < len && end < 34 && (is_alnum((unsigned char)s[end]) || s[end] == '#'))
        end++;
    if (end >= len || s[end] != ';' || end == 1)
        return 0;
    const char *name = s + 1;
    size_t name_len = end - 1;
    if (name[0] == '#') {
        uint32_t cp = 0;
        size_t i = 1;
        bool hex = name_len > 1 && (name[1] == 'x' || name[1] == 'X');
        if (hex)
            i = 2;
        if (i >= name_len)
            return 0;
        for (; i < name_len; i++) {
            int c = (unsigned char)name[i];
            uint32_t d;
            if (c >= '0' && c <= '9')
                d = (uint32_t)(c - '0');
            else if (hex && lower(c) >= 'a' && lower(c) <= 'f')
                d = (uint32_t)(lower(c) - 'a' + 10);
            else
                return 0;
            cp = cp * (hex ? 16 : 10) + d;
            if (cp > 0x10FFFF)
                cp = 0x110000; /* keeps counting from overflowing; replaced below */
        }
        if (cp >= 0x80 && cp <= 0x9F)
            cp = cp1252[cp - 0x80] ? cp1252[cp - 0x80] : 0xFFFD;
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
            (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
            cp = 0xFFFD;
        /* The shortest numeric reference ("&#9;") is 4 bytes; no code
         * point needs more than 4, so the output never outgrows the input. */
        *out_len += utf8_encode(out + *out_len, cp);
        return end + 1;
    }
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
        if (strlen(entities[i].name) == name_len && memcmp(entities[i].name, name, name_len) == 0) {
            size_t n = strlen(entities[i].utf8);
            memcpy(out + *out_len, entities[i].utf8, n);
            *out_len += n;
            return end + 1;
        }
    }
    return 0;
}

/* Tags after which text starts a new block: they become a line break so
 * that paragraphs do not glue their words together. */
static bool is_block_tag(const char *name)
{
    static const char *const blocks[] = {
        "p",          "br",      "div",     "li",     "ul",     "ol",     "h1",         "h2",
        "h3",         "h4",      "h5",      "h6",     "tr",     "td",     "th",         "table",
        "blockquote", "section", "article", "header", "footer", "figure", "figcaption", "hr",
        "pre",        "dd",      "dt",      "dl",     "aside",  "nav",    "main",
    };
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (strcmp(blocks[i], name) == 0)
            return true;
    return false;
}

/* Finds the '>' closing a tag that starts at s[0] == '<', skipping quoted
 * attribute values.  Returns its index or len when there is none. */
static size_t tag_end(const char *s, size_t len)
{
    char quote = 0;
    for (size_t i = 1; i < len; i++) {
        if (quote) {
            if (s[i] == quote)
                quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            quote = s[i];
        } else if (s[i] == '>') {
            return i;
        }
    }
    return len;
}

/* Finds needle (ASCII, lower case) in s ignoring ASCII case; returns its
 * index or len. */
static size_t find_nocase(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        size_t k = 0;
        while (k < n && lower((unsigned char)s[i + k]) == needle[k])
            k++;
        if (k == n)
            return i;
    }
    return len;
}

/* True when text holds markup worth cleaning: '<' followed by a letter, '/'
 * or '!', or something shaped like an entity ("&name;", "&#233;"). */
static bool html_present(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] == '<' &&
            (is_alpha((unsigned char)s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!'))
            return true;
        if (s[i] == '&') {
            size_t j = i + 1;
            while (j < len && j - i < 34 && (is_alnum((unsigned char)s[j]) || s[j] == '#'))
                j++;
            if (j < len && j > i + 1 && s[j] == ';')
                return true;
        }
    }
    return false;
}

/* Strips tags (and the content of script and style elements), turns block
 * tags into line breaks and decodes entities.  A '<' that does not open a
 * tag, or a tag never closed, stays as text.  The result is never longer
 * than the input and is valid UTF-8 when the input is.  Returns a new
 * string (length in *out_len) the caller owns, or NULL when out of memory. */
static char *html_clean(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        char c = s[i];
        if (c == '&') {
            size_t n = entity_decode(s + i, len - i, out, &o);
            if (n) {
                i += n;
                continue;
            }
        } else if (c == '<' && i + 1 < len &&
                   (is_alpha((unsigned char)s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!')) {
            if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
                size_t e = find_nocase(s + i + 4, len - i - 4, "-->");
                if (e < len - i - 4) {
                    i += 4 + e + 3;
                    continue;
                }
            } else {
                size_t e = tag_end(s + i, len - i);
                if (e < len - i) {
                    char name[16];
                    size_t k = 0, j = i + 1;
                    bool closing = s[j] == '/';
                    if (closing)
                        j++;
                    while (j < i + e && is_alnum((unsigned char)s[j]) && k + 1 < sizeof name)
                        name[k++] = (char)lower((unsigned char)s[j++]);
                    name[k] = 0;
                    i += e + 1;
                    if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0)) {
                        char end_tag[24];
                        snprintf(end_tag, sizeof end_tag, "</%s", name);
                        size_t f = find_nocase(s + i, len - i, end_tag);
                        i += f;
                        if (i < len)
                            i += tag_end(s + i, len - i) + 1;
                        if (i > len)
                            i = len;
                    }
                    if (is_block_tag(name) && o > 0 && out[o - 1] != '\n')
                        out[o++] = '\n';
                    continue;
                }
            }
        }
        out[o++] = c;
        i++;
    }
    out[o] = 0;
    *out_len = o;
    return out;
}

/* --- dates ---------------------------------------------------------------- */

/* Reads exactly n decimal digits at *p into *v and advances. */
static bool read_digits(const char **p, int n, unsigned *v)
{
    unsigned x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *v = x;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Combines validated fields into seconds since the epoch. */
static bool make_time(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                      int offset_min, int64_t *out)
{
    if (mo < 1 || mo > 12 || d < 1 || d > date_days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return false;
    *out = date_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s -
           (int64_t)offset_min * 60;
    return true;
}

/* ISO 8601 extended format: a date, optionally followed by 'T' (or a space)
 * and HH:MM[:SS[.fraction]], optionally followed by Z or an offset
 * (+HH:MM, +HHMM, +HH).  A time without a zone is taken as UTC. */
static bool parse_iso(const char *p, int64_t *out)
{
    unsigned y, mo, d, h = 0, mi = 0, s = 0;
    int offset = 0;
    if (!read_digits(&p, 4, &y) || *p++ != '-' || !read_digits(&p, 2, &mo) || *p++ != '-' ||
        !read_digits(&p, 2, &d))
        return false;
    if (*p == 'T' || *p == 't' || (*p == ' ' && is_digit(p[1]))) {
        p++;
        if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &mi))
            return false;
        if (*p == ':') {
            p++;
            if (!read_digits(&p, 2, &s))
                return false;
            if (*p == '.' || *p == ',') {
                p++;
                if (!is_digit(*p))
                    return false;
                while (is_digit(*p))
                    p++; /* fractions of a second are dropped */
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            unsigned oh, om = 0;
            if (!read_digits(&p, 2, &oh))
                return false;
            if (*p == ':') {
                p++;
                if (!read_digits(&p, 2, &om))
                    return false;
            } else if (is_digit(*p) && !read_digits(&p, 2, &om)) {
                return false;
            }
            if (oh > 23 || om > 59)
                return false;
            offset = sign * (int)(oh * 60 + om);
        }
    }
    if (*p)
        return false;
    return make_time(y, mo, d, h, mi, s, offset, out);
}

static bool match_word(const char *p, const char *word)
{
    for (size_t i = 0; word[i]; i++)
        if (lower((unsigned char)p[i]) != word[i])
            return false;
    return true;
}

/* RFC 2822 (and its obsolete forms): [Day,] D Mon YYYY HH:MM[:SS] zone,
 * where zone is +HHMM/-HHMM, UT, GMT, UTC, Z or a US zone name; a missing
 * zone is taken as UTC, a trailing "(comment)" is ignored.  Month names may
 * be spelt in full ("March"); two-digit years follow RFC 2822 (<50 is 20xx). */
static bool parse_rfc2822(const char *p, int64_t *out)
{
    static const char *const months[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};
    static const char *const days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (int i = 0; i < 7; i++) {
        if (match_word(p, days[i])) {
            p += 3;
            while (is_alpha((unsigned char)*p))
                p++;
            if (*p == ',')
                p++;
            break;
        }
    }
    while (*p == ' ')
        p++;
    unsigned d = 0, mo = 0, y = 0, h, mi, s = 0;
    int nd = 0;
    while (is_digit(*p) && nd < 2)
        d = d * 10 + (unsigned)(*p++ - '0'), nd++;
    if (nd == 0 || *p != ' ')
        return false;
    while (*p == ' ')
        p++;
    for (unsigned i = 0; i < 12; i++) {
        if (match_word(p, months[i])) {
            mo = i + 1;
            break;
        }
    }
    if (!mo)
        return false;
    p += 3;
    while (is_alpha((unsigned char)*p))
        p++;
    if (*p != ' ')
        return false;
    while (*p == ' ')
        p++;
    int ny = 0;
    while (is_digit(*p) && ny < 5)
        y = y * 10 + (unsigned)(*p++ - '0'), ny++;
    if (ny == 2)
        y += y < 50 ? 2000 : 1900;
    else if (ny != 4)
        return false;
    if (*p != ' ')
        return false;
    while (*p == ' ')
        p++;
    if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &mi))
        return false;
    if (*p == ':') {
        p++;
        if (!read_digits(&p, 2, &s))
            return false;
    }
    while (*p == ' ')
        p++;
    int offset = 0;
    if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        unsigned oh, om;
        if (!read_digits(&p, 2, &oh) || !read_digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = sign * (int)(oh * 60 + om);
    } else if (is_alpha((unsigned char)*p)) {
        static const struct {
            const char *name;
            int offset;
        } zones[] = {{"utc", 0},       {"ut", 0},        {"gmt", 0},       {"z", 0},
                     {"edt", -4 * 60}, {"est", -5 * 60}, {"cdt", -5 * 60}, {"cst", -6 * 60},
                     {"mdt", -6 * 60}, {"mst", -7 * 60}, {"pdt", -7 * 60}, {"pst", -8 * 60}};
        size_t n = 0;
        while (is_alpha((unsigned char)p[n]))
            n++;
        bool found = false;
        for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
            if (strlen(zones[i].name) == n && match_word(p, zones[i].name)) {
                offset = zones[i].offset;
                found = true;
                break;
            }
        }
        if (!found)
            return false;
        p += n;
    }
    while (*p == ' ')
        p++;
    if (*p == '(') {
        const char *e = strchr(p, ')');
        if (!e)
            return false;
        p = e + 1;
        while (*p == ' ')
            p++;
    }
    if (*p)
        return false;
    return make_time(y, mo, d, h, mi, s, offset, out);
}

kq_status article_parse_date(const char *text, int64_t *out)
{
    if (!text || !out)
        return KQ_ERR_INVALID;
    const char *s = text;
    size_t len = strlen(text);
    trim_span(&s, &len);
    char buf[96];
    if (len == 0 || len >= sizeof buf)
        return KQ_ERR_INVALID;
    memcpy(buf, s, len);
    buf[len] = 0;
    int64_t t;
    if (parse_iso(buf, &t) || parse_rfc2822(buf, &t)) {
        *out = t;
        return KQ_OK;
    }
    return KQ_ERR_INVALID;
}

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes).  Returns
 * false for instants outside years 0000-9999. */
static bool format_date(int64_t t, char *out, size_t out_size)
{
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0)
        secs += 86400, days--;
    int64_t y;
    unsigned m, d;
    date_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return false;
    snprintf(out, out_size, "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)y, m, d, (unsigned)(secs / 3600),
             (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
    return true;
}

/* --- from a JSON object to an article -------------------------------------- */

/* A growable list of distinct, trimmed, non-empty strings. */
typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Adds s[0..len) trimmed, unless it is empty or already in the list. */
static kq_status strlist_add(strlist *l, const char *s, size_t len)
{
    trim_span(&s, &len);
    if (len == 0)
        return KQ_OK;
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->v[i]) == len && memcmp(l->v[i], s, len) == 0)
            return KQ_OK;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return KQ_ERR_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    char *copy = dup_span(s, len);
    if (!copy)
        return KQ_ERR_NOMEM;
    l->v[l->n++] = copy;
    return KQ_OK;
}

/* The value of the first of two property names that is present and not
 * null, or NULL. */
static json_t *get_prop(json_t *obj, const char *name, const char *alias)
{
    json_t *v = json_object_get(obj, name);
    if ((!v || json_is_null(v)) && alias)
        v = json_object_get(obj, alias);
    return v && !json_is_null(v) ? v : NULL;
}

/* The text of a value given as a string, as an object carrying it under
 * key1 or key2 (e.g. a Person's "name"), or as an array whose first usable
 * element is either.  Returns NULL when there is none. */
static json_t *text_of(json_t *v, const char *key1, const char *key2)
{
    if (!v)
        return NULL;
    if (json_is_string(v))
        return v;
    if (json_is_object(v)) {
        json_t *s = key1 ? json_object_get(v, key1) : NULL;
        if ((!s || !json_is_string(s)) && key2)
            s = json_object_get(v, key2);
        return s && json_is_string(s) ? s : NULL;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_array(e)) {
                json_t *s = text_of(e, key1, key2);
                if (s)
                    return s;
            }
        }
    }
    return NULL;
}

/* Copies a JSON string, trimmed, into *out; an empty result leaves *out
 * NULL. */
static kq_status copy_trimmed(json_t *s, char **out)
{
    *out = NULL;
    if (!s)
        return KQ_OK;
    const char *p = json_string_value(s);
    size_t len = json_string_length(s);
    trim_span(&p, &len);
    if (len == 0)
        return KQ_OK;
    *out = dup_span(p, len);
    return *out ? KQ_OK : KQ_ERR_NOMEM;
}

/* Copies a JSON string with its markup cleaned (when it has any) and
 * trimmed into *out; an empty result gives "" when keep_empty, else NULL. */
static kq_status copy_text(json_t *s, bool keep_empty, char **out)
{
    *out = NULL;
    if (!s)
        return KQ_OK;
    const char *p = json_string_value(s);
    size_t len = json_string_length(s);
    char *clean = NULL;
    if (html_present(p, len)) {
        clean = html_clean(p, len, &len);
        if (!clean)
            return KQ_ERR_NOMEM;
        p = clean;
    }
    trim_span(&p, &len);
    if (len == 0 && !keep_empty) {
        free(clean);
        return KQ_OK;
    }
    *out = dup_span(p, len);
    free(clean);
    return *out ? KQ_OK : KQ_ERR_NOMEM;
}

/* Adds the names in v (a string, an object with key, or an array of
 * either) to list; when split, strings are comma-separated lists. */
static kq_status add_names(strlist *list, json_t *v, const char *key, bool split)
{
    if (!v)
        return KQ_OK;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (json_is_array(e))
                continue; /* nested arrays mean nothing here */
            kq_status st = add_names(list, e, key, split);
            if (st)
                return st;
        }
        return KQ_OK;
    }
    json_t *s = text_of(v, key, NULL);
    if (!s)
        return KQ_OK;
    const char *p = json_string_value(s);
    size_t len = json_string_length(s);
    if (!split)
        return strlist_add(list, p, len);
    while (len > 0) {
        const char *comma = memchr(p, ',', len);
        size_t n = comma ? (size_t)(comma - p) : len;
        kq_status st = strlist_add(list, p, n);
        if (st)
            return st;
        if (!comma)
            break;
        p += n + 1;
        len -= n + 1;
    }
    return KQ_OK;
}

/* Reads the identifier: identifier|id (a string, an integer, or a
 * PropertyValue's "value"), else @id, else url.  Numbers are written as
 * integers when they are whole ("12345", not "12345.0"). */
static kq_status read_id(json_t *obj, char **out, char *err, size_t err_size)
{
    json_t *cands[3] = {get_prop(obj, "identifier", "id"), get_prop(obj, "@id", NULL),
                        get_prop(obj, "url", NULL)};
    bool empty = false; /* some candidate was a blank string */
    *out = NULL;
    for (int i = 0; i < 3; i++) {
        json_t *v = cands[i];
        if (!v)
            continue;
        char num[48];
        json_t *s = NULL;
        if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        } else if (json_is_real(v)) {
            double d = json_real_value(v);
            if (d > -9.2e18 && d < 9.2e18 && (double)(long long)d == d)
                snprintf(num, sizeof num, "%lld", (long long)d);
            else
                snprintf(num, sizeof num, "%.17g", d);
        } else {
            s = text_of(v, i == 2 ? "url" : "value", "@id");
            if (!s)
                continue;
        }
        char *id = NULL;
        if (s) {
            kq_status st = copy_trimmed(s, &id);
            if (st)
                return st;
            if (!id) {
                empty = true;
                continue;
            }
        } else if (!(id = dup_span(num, strlen(num)))) {
            return KQ_ERR_NOMEM;
        }
        if (strlen(id) > ARTICLE_MAX_ID) {
            status_message(err, err_size, "identifier longer than %u bytes (%zu)", ARTICLE_MAX_ID,
                           strlen(id));
            free(id);
            return KQ_ERR_INVALID;
        }
        *out = id;
        return KQ_OK;
    }
    status_message(err, err_size,
                   empty ? "empty identifier" : "missing identifier (no identifier, @id or url)");
    return KQ_ERR_INVALID;
}

static kq_status read_date(json_t *v, char **out, int64_t *epoch)
{
    *out = NULL;
    if (!v || !json_is_string(v))
        return KQ_OK;
    int64_t t;
    char buf[32];
    if (article_parse_date(json_string_value(v), &t) != KQ_OK || !format_date(t, buf, sizeof buf))
        return KQ_OK; /* an unparsable date is left unknown, not a reject */
    *out = dup_span(buf, strlen(buf));
    if (!*out)
        return KQ_ERR_NOMEM;
    if (epoch)
        *epoch = t;
    return KQ_OK;
}

/* Each field enters the hash as a tag byte, a presence byte, its bytes and a
 * NUL (which no field contains), so moving text between fields, or a NULL
 * against an empty string, changes the hash. */
static uint64_t hash_str(uint64_t h, char tag, const char *s)
{
    h = hash_fnv1a(h, &tag, 1);
    h = hash_fnv1a(h, s ? "\1" : "\0", 1);
    if (s)
        h = hash_fnv1a(h, s, strlen(s) + 1);
    return h;
}

static uint64_t hash_list(uint64_t h, char tag, char **v, size_t n)
{
    h = hash_fnv1a(h, &tag, 1);
    uint64_t count = n;
    h = hash_fnv1a(h, &count, sizeof count);
    for (size_t i = 0; i < n; i++)
        h = hash_fnv1a(h, v[i], strlen(v[i]) + 1);
    return h;
}

static void article_hash(article *a)
{
    uint64_t h = HASH_FNV1A_BASIS; /* stored: the value must not change */
    h = hash_str(h, 'i', a->id);
    h = hash_str(h, 't', a->title);
    h = hash_str(h, 'd', a->description);
    h = hash_str(h, 'b', a->body);
    h = hash_str(h, 'u', a->url);
    h = hash_str(h, 'l', a->language);
    h = hash_list(h, 'a', a->authors, a->n_authors);
    h = hash_list(h, 's', a->sections, a->n_sections);
    h = hash_list(h, 'k', a->keywords, a->n_keywords);
    h = hash_str(h, 'p', a->date);
    h = hash_str(h, 'm', a->date_modified);
    snprintf(a->hash, sizeof a->hash, "%016" PRIx64, h);
}

/* Cuts body at ARTICLE_MAX_BODY bytes, backing up to the start of a UTF-8
 * character so that the result stays valid. */
static void cut_body(char *body)
{
    size_t len = strlen(body);
    if (len <= ARTICLE_MAX_BODY)
        return;
    len = ARTICLE_MAX_BODY;
    while (len > 0 && ((unsigned char)body[len] & 0xC0) == 0x80)
        len--;
    body[len] = 0;
}

static const char *json_kind(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    default:
        return "an object";
    }
}

/* Fills *out (already cleared) from one parsed JSON value. */
static kq_status article_from_value(json_t *v, article *out, char *err, size_t err_size)
{
    kq_status st = KQ_OK;
    strlist authors = {0}, sections = {0}, keywords = {0};
    if (!json_is_object(v)) {
        status_message(err, err_size, "not a JSON object but %s", json_kind(v));
        return KQ_ERR_INVALID;
    }
    if ((st = read_id(v, &out->id, err, err_size)))
        goto out;

    json_t *title = get_prop(v, "headline", "title");
    if (!title) {
        status_message(err, err_size, "missing headline");
        st = KQ_ERR_INVALID;
        goto out;
    }
    if (!json_is_string(title)) {
        status_message(err, err_size, "headline is %s, not a string", json_kind(title));
        st = KQ_ERR_INVALID;
        goto out;
    }
    if ((st = copy_text(title, false, &out->title)))
        goto out;
    if (!out->title) {
        status_message(err, err_size, "empty headline");
        st = KQ_ERR_INVALID;
        goto out;
    }

    json_t *p = get_prop(v, "description", NULL);
    if ((st = copy_text(p && json_is_string(p) ? p : NULL, false, &out->description)))
        goto out;
    p = get_prop(v, "articleBody", "body");
    if ((st = copy_text(p && json_is_string(p) ? p : NULL, true, &out->body)))
        goto out;
    if (out->body)
        cut_body(out->body);
    if ((st = copy_trimmed(text_of(get_prop(v, "url", NULL), "url", "@id"), &out->url)))
        goto out;
    if ((st = copy_trimmed(text_of(get_prop(v, "inLanguage", NULL), "alternateName", "name"),
                           &out->language)))
        goto out;

    if ((st = add_names(&authors, get_prop(v, "author", "creator"), "name", false)) ||
        (st = add_names(&sections, get_prop(v, "articleSection", "section"), "name", false)) ||
        (st = add_names(&keywords, get_prop(v, "keywords", NULL), "name", true)))
        goto out;
    out->authors = authors.v, out->n_authors = authors.n;
    out->sections = sections.v, out->n_sections = sections.n;
    out->keywords = keywords.v, out->n_keywords = keywords.n;
    authors = (strlist){0}, sections = (strlist){0}, keywords = (strlist){0};

    if ((st = read_date(get_prop(v, "datePublished", "date"), &out->date, &out->published)) ||
        (st = read_date(get_prop(v, "dateModified", NULL), &out->date_modified, NULL)))
        goto out;
    article_hash(out);
out:
    if (st == KQ_ERR_NOMEM)
        status_message(err, err_size, "out of memory");
    strlist_free(&authors);
    strlist_free(&sections);
    strlist_free(&keywords);
    if (st)
        article_clear(out);
    return st;
}

void article_clear(article *a)
{
    if (!a)
        return;
    free(a->id);
    free(a->title);
    free(a->description);
    free(a->body);
    free(a->url);
    free(a->language);
    for (size_t i = 0; i < a->n_authors; i++)
        free(a->authors[i]);
    free(a->authors);
    for (size_t i = 0; i < a->n_sections; i++)
        free(a->sections[i]);
    free(a->sections);
    for (size_t i = 0; i < a->n_keywords; i++)
        free(a->keywords[i]);
    free(a->keywords);
    free(a->date);
    free(a->date_modified);
    memset(a, 0, sizeof *a);
}

/* Parses text with jansson after the raw byte checks; *line (may be NULL)
 * receives the line of the problem on failure. */
static json_t *parse_json(const char *text, size_t len, char *err, size_t err_size, size_t *line)
{
    size_t bad_line = 1;
    if (!raw_check(text, len, err, err_size, &bad_line)) {
        if (line)
            *line = bad_line;
        return NULL;
    }
    json_error_t jerr;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
    if (!v) {
        if (json_error_code(&jerr) == json_error_out_of_memory) {
            status_message(err, err_size, "out of memory");
        } else if (jerr.line > 1) {
            status_message(err, err_size, "invalid JSON at line %d column %d: %s", jerr.line,
                           jerr.column, jerr.text);
        } else {
            status_message(err, err_size, "invalid JSON at column %d: %s", jerr.column, jerr.text);
        }
        if (line)
            *line = jerr.line > 0 ? (size_t)jerr.line : 1;
    }
    return v;
}

kq_status article_from_json(const char *text, size_t len, article *out, char *err, size_t err_size)
{
    if (!out)
        return KQ_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (!text) {
        status_message(err, err_size, "no text");
        return KQ_ERR_INVALID;
    }
    json_t *v = parse_json(text, len, err, err_size, NULL);
    if (!v)
        return KQ_ERR_INVALID;
    kq_status st = article_from_value(v, out, err, err_size);
    json_decref(v);
    return st;
}

/* --- the reader ------------------------------------------------------------ */

enum reader_mode { MODE_UNKNOWN, MODE_LINES, MODE_DOCUMENT };

struct article_reader {
    gzFile gz;
    char *name;     /* the path, or "standard input", for messages */
    bool json_name; /* the name ends in .json or .json.gz */
    uint64_t size;  /* bytes of a regular file, else 0 */
    uint64_t raw;   /* uncompressed bytes read, the offset when gzoffset cannot tell */
    enum reader_mode mode;
    kq_status failed; /* sticky KQ_ERR_IO once a read failed */
    char *fail_msg;

    unsigned char *in; /* input buffer: in[in_pos..in_len) not yet consumed */
    size_t in_pos, in_len;
    bool eof;

    render_buf line;   /* the current line (JSON Lines mode) */
    size_t lines_read; /* lines consumed so far */
    size_t line_no;    /* the line of the item last returned */

    json_t *doc; /* JSON mode: the whole document, its elements and their lines */
    size_t *elem_lines;
    size_t n_elems, next_elem;
    bool doc_loaded;
};

/* Refills the input buffer.  Returns KQ_OK (possibly setting eof) or
 * KQ_ERR_IO with the reason in err. */
static kq_status reader_fill(article_reader *r, char *err, size_t err_size)
{
    r->in_pos = r->in_len = 0;
    if (r->eof)
        return KQ_OK;
    int n = gzread(r->gz, r->in, READER_CHUNK);
    int errnum = Z_OK;
    const char *msg = gzerror(r->gz, &errnum);
    if (n < 0 || (n == 0 && errnum != Z_OK)) {
        /* zlib reports a truncated gzip stream as Z_BUF_ERROR at the end. */
        if (errnum == Z_ERRNO)
            msg = strerror(errno);
        status_message(err, err_size, "cannot read %s: %s", r->name,
                       errnum == Z_BUF_ERROR ? "unexpected end of file (truncated gzip data?)"
                                             : msg);
        free(r->fail_msg);
        r->fail_msg = err ? dup_span(err, strlen(err)) : NULL;
        r->failed = KQ_ERR_IO;
        return KQ_ERR_IO;
    }
    if (n == 0)
        r->eof = true;
    r->in_len = (size_t)n;
    r->raw += (uint64_t)n;
    return KQ_OK;
}

/* Reads the next line (without its newline) into r->line.  Returns KQ_OK,
 * KQ_END when there is no more input, or an error.  *too_long is set when
 * the line exceeded READER_MAX_LINE: its end was consumed and discarded. */
static kq_status reader_line(article_reader *r, bool *too_long, char *err, size_t err_size)
{
    r->line.len = 0;
    *too_long = false;
    bool any = false;
    for (;;) {
        if (r->in_pos == r->in_len) {
            kq_status st = reader_fill(r, err, err_size);
            if (st)
                return st;
            if (r->eof)
                return any ? KQ_OK : KQ_END;
        }
        any = true;
        unsigned char *start = r->in + r->in_pos;
        size_t avail = r->in_len - r->in_pos;
        unsigned char *nl = memchr(start, '\n', avail);
        size_t n = nl ? (size_t)(nl - start) : avail;
        if (!*too_long && r->line.len + n > READER_MAX_LINE) {
            *too_long = true;
            r->line.len = 0;
        }
        if (!*too_long) {
            if (render_buf_reserve(&r->line, n) != 0) {
                status_message(err, err_size, "out of memory");
                return KQ_ERR_NOMEM;
            }
            memcpy(r->line.data + r->line.len, start, n);
            r->line.len += n;
        }
        r->in_pos += n + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (render_buf_reserve(&r->line, 0) != 0) {
        status_message(err, err_size, "out of memory");
        return KQ_ERR_NOMEM;
    }
    r->line.data[r->line.len] = 0;
    return KQ_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

article_reader *article_reader_open(const char *path, char *err, size_t err_size)
{
    article_reader *r = NULL;
    int fd = -1;
    if (!path) {
        status_message(err, err_size, "no file given");
        return NULL;
    }
    bool is_stdin = strcmp(path, "-") == 0;
    fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        status_message(err, err_size, "cannot open %s: %s", is_stdin ? "standard input" : path,
                       strerror(errno));
        goto fail;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        status_message(err, err_size, "cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(sb.st_mode)) {
        status_message(err, err_size, "cannot open %s: %s", path, strerror(EISDIR));
        goto fail;
    }
    r = calloc(1, sizeof *r);
    if (!r)
        goto nomem;
    r->name = is_stdin ? dup_span("standard input", 14) : dup_span(path, strlen(path));
    r->in = malloc(READER_CHUNK);
    if (!r->name || !r->in)
        goto nomem;
    r->json_name = ends_with(path, ".json") || ends_with(path, ".json.gz");
    r->size = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
    r->gz = gzdopen(fd, "rb");
    if (!r->gz)
        goto nomem;
    fd = -1; /* gzclose closes it now */
    gzbuffer(r->gz, 128 * 1024);
    return r;
nomem:
    status_message(err, err_size, "cannot open %s: out of memory", path);
fail:
    if (fd >= 0)
        close(fd);
    article_reader_close(r);
    return NULL;
}

/* Chooses between JSON Lines and a JSON document: a document when the first
 * non-blank byte is '[' or the name ends in .json. */
static kq_status reader_detect(article_reader *r, char *err, size_t err_size)
{
    kq_status st = reader_fill(r, err, err_size);
    if (st)
        return st;
    size_t i = 0;
    if (r->in_len >= 3 && memcmp(r->in, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < r->in_len &&
           (r->in[i] == ' ' || r->in[i] == '\t' || r->in[i] == '\r' || r->in[i] == '\n'))
        i++;
    r->mode = r->json_name || (i < r->in_len && r->in[i] == '[') ? MODE_DOCUMENT : MODE_LINES;
    return KQ_OK;
}

/* Finds the line where each element of a top-level array starts.  The text
 * is valid JSON (jansson accepted it), so tracking strings and nesting
 * depth is enough.  Returns the number of elements found. */
static size_t element_lines(const char *s, size_t len, size_t *lines, size_t max)
{
    size_t line = 1, n = 0;
    int depth = 0;
    bool in_str = false, esc = false, expect = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\n')
            line++;
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (depth == 1 && expect && c != ']') {
            if (n < max)
                lines[n] = line;
            n++;
            expect = false;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth == 1)
                expect = true;
        } else if (c == ']' || c == '}') {
            depth--;
        } else if (c == ',' && depth == 1) {
            expect = true;
        }
    }
    return n;
}

/* Loads the whole document and parses it.  A document that does not parse
 * is returned as one rejected item at the line of the error. */
static kq_status reader_load_document(article_reader *r, char *err, size_t err_size)
{
    kq_status st = KQ_OK;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    r->doc_loaded = true;
    for (;;) {
        size_t n = r->in_len - r->in_pos;
        if (len + n + 1 > cap) {
            size_t ncap = cap ? cap : 1u << 20;
            while (ncap < len + n + 1)
                ncap *= 2;
            char *p = realloc(buf, ncap);
            if (!p) {
                status_message(err, err_size, "out of memory");
                st = KQ_ERR_NOMEM;
                goto out;
            }
            buf = p;
            cap = ncap;
        }
        memcpy(buf + len, r->in + r->in_pos, n);
        len += n;
        r->in_pos = r->in_len;
        if (r->eof)
            break;
        if ((st = reader_fill(r, err, err_size)))
            goto out;
    }
    const char *text = buf ? buf : "";
    size_t skip = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    size_t i = skip;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i == len) {
        st = KQ_END; /* an empty document holds no article */
        goto out;
    }
    size_t bad_line = 1;
    r->doc = parse_json(text + skip, len - skip, err, err_size, &bad_line);
    if (!r->doc) {
        r->line_no = bad_line;
        st = KQ_ERR_INVALID;
        goto out;
    }
    if (json_is_array(r->doc)) {
        r->n_elems = json_array_size(r->doc);
        r->elem_lines = calloc(r->n_elems ? r->n_elems : 1, sizeof *r->elem_lines);
        if (!r->elem_lines) {
            status_message(err, err_size, "out of memory");
            st = KQ_ERR_NOMEM;
            goto out;
        }
        if (element_lines(text + skip, len - skip, r->elem_lines, r->n_elems) != r->n_elems)
            for (size_t k = 0; k < r->n_elems; k++)
                r->elem_lines[k] = k + 1; /* cannot happen on valid JSON; index+1 then */
    } else {
        r->n_elems = 1;
        r->elem_lines = malloc(sizeof *r->elem_lines);
        if (!r->elem_lines) {
            status_message(err, err_size, "out of memory");
            st = KQ_ERR_NOMEM;
            goto out;
        }
        size_t line = 1;
        for (size_t k = skip; k < i; k++)
            line += text[k] == '\n';
        r->elem_lines[0] = line;
    }
out:
    free(buf);
    return st;
}

static kq_status reader_next_document(article_reader *r, article *out, char *err, size_t err_size)
{
    if (!r->doc_loaded) {
        kq_status st = reader_load_document(r, err, err_size);
        if (st)
            return st;
    }
    if (!r->doc || r->next_elem >= r->n_elems)
        return KQ_END;
    size_t k = r->next_elem++;
    r->line_no = r->elem_lines[k];
    json_t *v = json_is_array(r->doc) ? json_array_get(r->doc, k) : r->doc;
    return article_from_value(v, out, err, err_size);
}

static bool blank_line(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static kq_status reader_next_line(article_reader *r, article *out, char *err, size_t err_size)
{
    for (;;) {
        bool too_long;
        kq_status st = reader_line(r, &too_long, err, err_size);
        if (st)
            return st;
        r->line_no = ++r->lines_read;
        if (too_long) {
            status_message(err, err_size, "line longer than %u bytes", READER_MAX_LINE);
            return KQ_ERR_INVALID;
        }
        const char *s = r->line.data;
        size_t len = r->line.len;
        if (len > 0 && s[len - 1] == '\r')
            len--;
        if (r->lines_read == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, len -= 3;
        if (blank_line(s, len))
            continue;
        return article_from_json(s, len, out, err, err_size);
    }
}

kq_status article_reader_next(article_reader *r, article *out, char *err, size_t err_size)
{
    if (!r || !out)
        return KQ_ERR_INVALID;
    article_clear(out);
    if (r->failed) {
        status_message(err, err_size, "%s", r->fail_msg ? r->fail_msg : "read error");
        return r->failed;
    }
    if (r->mode == MODE_UNKNOWN) {
        kq_status st = reader_detect(r, err, err_size);
        if (st)
            return st;
    }
    return r->mode == MODE_DOCUMENT ? reader_next_document(r, out, err, err_size)
                                    : reader_next_line(r, out, err, err_size);
}

size_t article_reader_line(const article_reader *r)
{
    return r ? r->line_no : 0;
}

uint64_t article_reader_offset(const article_reader *r)
{
    if (!r)
        return 0;
    z_off_t off = gzoffset(r->gz);
    return off >= 0 ? (uint64_t)off : r->raw;
}

uint64_t article_reader_size(const article_reader *r)
{
    return r ? r->size : 0;
}

void article_reader_close(article_reader *r)
{
    if (!r)
        return;
    if (r->gz)
        gzclose(r->gz);
    json_decref(r->doc);
    free(r->elem_lines);
    render_buf_free(&r->line);
    free(r->in);
    free(r->name);
    free(r->fail_msg);
    free(r);
}
