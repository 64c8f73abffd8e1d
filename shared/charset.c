/* charset: a web page's bytes as UTF-8, whatever its encoding (BOM, <meta charset>, http-equiv,
 * XML declaration; transcoded through glibc's iconv). */
#include "charset.h"
#include "render_buf.h"
#include "utf8.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *find_ci(const char *s, const char *end, const char *what)
{
    size_t n = strlen(what);
    for (; s + n <= end; s++)
        if (strncasecmp(s, what, n) == 0)
            return s;
    return NULL;
}

/* Reads the label after "charset" or "encoding" at p (optional spaces, '=',
 * optional quote) into out. */
static bool read_label(const char *p, const char *end, char *out, size_t out_size)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p != '=')
        return false;
    p++;
    while (p < end && (*p == ' ' || *p == '"' || *p == '\''))
        p++;
    size_t k = 0;
    while (p < end && k + 1 < out_size &&
           (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == ':' || *p == '.'))
        out[k++] = (char)tolower((unsigned char)*p++);
    out[k] = '\0';
    return k > 0;
}

void charset_declared(const char *bytes, size_t len, char *out, size_t out_size)
{
    const char *end = bytes + (len < CHARSET_PRESCAN ? len : CHARSET_PRESCAN);
    out[0] = '\0';
    if (out_size < 2)
        return;
    if (len > 5 && strncmp(bytes, "<?xml", 5) == 0) {
        const char *close = find_ci(bytes, end, "?>");
        const char *enc = close ? find_ci(bytes, close, "encoding") : NULL;
        if (enc && read_label(enc + 8, close, out, out_size))
            return;
    }
    for (const char *p = bytes; (p = find_ci(p, end, "<meta")) != NULL; p += 5) {
        const char *close = memchr(p, '>', (size_t)(end - p));
        if (!close)
            return;
        for (const char *c = p + 5; (c = find_ci(c, close, "charset")) != NULL; c += 7)
            if (read_label(c + 7, close, out, out_size))
                return;
    }
}

/* The iconv name of a declared label; NULL for UTF-8. */
static const char *iconv_name(const char *label)
{
    static const struct {
        const char *label, *name;
    } aliases[] = {
        {"utf-8", NULL},
        {"utf8", NULL},
        {"unicode-1-1-utf-8", NULL},
        {"iso-8859-1", "WINDOWS-1252"},
        {"iso8859-1", "WINDOWS-1252"},
        {"iso_8859-1", "WINDOWS-1252"},
        {"latin1", "WINDOWS-1252"},
        {"latin-1", "WINDOWS-1252"},
        {"l1", "WINDOWS-1252"},
        {"us-ascii", "WINDOWS-1252"},
        {"ascii", "WINDOWS-1252"},
        {"windows-1252", "WINDOWS-1252"},
        {"cp1252", "WINDOWS-1252"},
        {"x-cp1252", "WINDOWS-1252"},
        {"iso-8859-15", "ISO-8859-15"},
        {"iso8859-15", "ISO-8859-15"},
        {"latin9", "ISO-8859-15"},
        {"latin-9", "ISO-8859-15"},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(label, aliases[i].label) == 0)
            return aliases[i].name;
    return label;
}

/* Transcodes s[0..len) from `from` to UTF-8 into o; invalid sequences become
 * U+FFFD.  Returns KQ_OK, KQ_ERR_INVALID (unknown charset) or KQ_ERR_NOMEM. */
static kq_status transcode(const char *from, const char *s, size_t len, render_buf *o)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return KQ_ERR_INVALID;
    kq_status st = KQ_OK;
    char *in = (char *)s;
    size_t left = len;
    while (left > 0) {
        if (render_buf_reserve(o, left * 2 + 16) != 0) {
            st = KQ_ERR_NOMEM;
            break;
        }
        char *dst = o->data + o->len;
        size_t room = o->cap - o->len - 1;
        size_t r = iconv(cd, &in, &left, &dst, &room);
        o->len = (size_t)(dst - o->data);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG)
            continue;
        /* EILSEQ or EINVAL (cut short): one byte becomes U+FFFD. */
        if (render_buf_reserve(o, 3) != 0) {
            st = KQ_ERR_NOMEM;
            break;
        }
        memcpy(o->data + o->len, "\xEF\xBF\xBD", 3);
        o->len += 3;
        in++;
        left--;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    iconv_close(cd);
    if (st == KQ_OK && render_buf_reserve(o, 0) == 0)
        o->data[o->len] = '\0';
    else if (st == KQ_OK)
        st = KQ_ERR_NOMEM;
    return st;
}

/* UTF-8 kept, each byte that starts no valid sequence read as Windows-1252. */
static kq_status repair_utf8(const unsigned char *s, size_t len, render_buf *o)
{
    iconv_t cd = iconv_open("UTF-8", "WINDOWS-1252");
    if (cd == (iconv_t)-1)
        return KQ_ERR_INVALID;
    kq_status st = render_buf_reserve(o, len * 3) == 0 ? KQ_OK : KQ_ERR_NOMEM;
    for (size_t i = 0; st == KQ_OK && i < len;) {
        size_t n = utf8_sequence_length(s + i, len - i);
        if (n > 0) {
            memcpy(o->data + o->len, s + i, n);
            o->len += n;
            i += n;
            continue;
        }
        char *in = (char *)s + i, *dst = o->data + o->len;
        size_t left = 1, room = 4;
        if (iconv(cd, &in, &left, &dst, &room) == (size_t)-1) {
            /* The five bytes Windows-1252 leaves undefined. */
            memcpy(o->data + o->len, "\xEF\xBF\xBD", 3);
            o->len += 3;
            iconv(cd, NULL, NULL, NULL, NULL);
        } else {
            o->len = (size_t)(dst - o->data);
        }
        i++;
    }
    iconv_close(cd);
    if (st == KQ_OK)
        o->data[o->len] = '\0';
    return st;
}

/* What one pass over the bytes finds. */
typedef struct byte_scan {
    bool valid;      /* valid UTF-8 */
    bool multibyte;  /* holds a byte of 0x80 or more */
    size_t nul;      /* offset of the first NUL byte, or SIZE_MAX */
    size_t controls; /* control bytes other than tab, line feed, carriage return, form feed */
} byte_scan;

/* Scans the bytes once, eight at a time while they are plain printable
 * ASCII (most of a page's markup). */
static byte_scan scan_bytes(const unsigned char *s, size_t len)
{
    byte_scan r = {true, false, SIZE_MAX, 0};
    const uint64_t high = 0x8080808080808080ull, spaces = 0x2020202020202020ull;
    for (size_t i = 0; i < len;) {
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            /* No byte of 0x80 or more, and none under 0x20. */
            if (!(w & high) && !((w - spaces) & ~w & high)) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c == 0 && r.nul == SIZE_MAX)
                r.nul = i;
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
                r.controls++;
            i++;
            continue;
        }
        r.multibyte = true;
        size_t n = r.valid ? utf8_sequence_length(s + i, len - i) : 0;
        if (n == 0) {
            r.valid = false;
            n = 1;
        }
        i += n;
    }
    return r;
}

/* Binary data: a NUL byte, or more than 1% of control bytes. */
static bool is_binary(const byte_scan *b, size_t len, char *err, size_t err_size)
{
    if (b->nul != SIZE_MAX) {
        status_message(err, err_size, "binary data, not an HTML page (NUL byte at offset %zu)",
                       b->nul);
        return true;
    }
    if (b->controls * 100 > len) {
        status_message(err, err_size, "binary data, not an HTML page (%zu control bytes)",
                       b->controls);
        return true;
    }
    return false;
}

kq_status charset_to_utf8(const char *bytes, size_t len, char **out, size_t *out_len,
                          char *encoding, size_t encoding_size, char *err, size_t err_size)
{
    const unsigned char *s = (const unsigned char *)bytes;
    render_buf o = RENDER_BUF_INIT;
    kq_status st;
    const char *from = NULL; /* NULL: UTF-8 */
    char label[48] = "";
    *out = NULL;
    *out_len = 0;
    bool utf16 = len >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF));
    if (utf16) {
        from = s[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
        s += 2, len -= 2;
    } else {
        if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, len -= 3;
    }
    byte_scan scan = scan_bytes(s, len);
    if (!utf16) {
        if (is_binary(&scan, len, err, err_size))
            return KQ_ERR_INVALID;
        charset_declared((const char *)s, len, label, sizeof label);
        from = *label ? iconv_name(label) : NULL;
    }
    bool valid = !utf16 && scan.valid;
    if (from && valid && scan.multibyte)
        from = NULL;
    if (!from && valid) {
        st = render_buf_reserve(&o, len) == 0 ? KQ_OK : KQ_ERR_NOMEM;
        if (st == KQ_OK) {
            memcpy(o.data, s, len);
            o.len = len;
            o.data[len] = '\0';
        }
    } else if (!from) {
        st = repair_utf8(s, len, &o);
    } else {
        st = transcode(from, (const char *)s, len, &o);
    }
    if (st == KQ_ERR_INVALID) {
        status_message(err, err_size, "unsupported charset \"%s\" (iconv does not know it)",
                       *label ? label : from);
        goto fail;
    }
    if (st != KQ_OK) {
        status_message(err, err_size, "out of memory");
        goto fail;
    }
    if (utf16) {
        byte_scan decoded = scan_bytes((const unsigned char *)o.data, o.len);
        if (is_binary(&decoded, o.len, err, err_size)) {
            st = KQ_ERR_INVALID;
            goto fail;
        }
    }
    if (encoding && encoding_size)
        snprintf(encoding, encoding_size, "%s", from ? from : "UTF-8");
    *out = o.data;
    *out_len = o.len;
    return KQ_OK;
fail:
    free(o.data);
    return st;
}
