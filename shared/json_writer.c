/* json_writer: JSON text written straight into a buffer (manual in json_writer.h). */
#include "json_writer.h"

#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jw_init(json_writer *w)
{
    render_buf_init(&w->out);
}

char *jw_finish(json_writer *w, size_t *len)
{
    char *text = render_buf_release(&w->out, len);
    if (!text && len)
        *len = 0;
    return text;
}

static void put(json_writer *w, const char *s, size_t n)
{
    render_buf_add(&w->out, s, n);
}

/* A comma before a key or a value that follows another in its container. */
static void separate(json_writer *w)
{
    if (w->out.len > 0 && !w->out.failed) {
        char last = w->out.data[w->out.len - 1];
        if (last != '{' && last != '[' && last != ':')
            put(w, ",", 1);
    }
}

void jw_begin(json_writer *w, char bracket)
{
    separate(w);
    put(w, &bracket, 1);
}

void jw_end(json_writer *w, char bracket)
{
    put(w, &bracket, 1);
}

/* The bytes of s that go out as they are: printable ASCII but for the quote
 * and the backslash. */
static size_t plain_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

static void quoted(json_writer *w, const char *text, size_t n)
{
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *s = (const unsigned char *)text;
    put(w, "\"", 1);
    size_t i = 0;
    while (i < n && !w->out.failed) {
        size_t run = plain_run(s + i, n - i);
        if (run) {
            put(w, text + i, run);
            i += run;
            continue;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t len = utf8_sequence_length(s + i, n - i);
            if (len)
                put(w, text + i, len), i += len;
            else
                put(w, replacement, 3), i++;
            continue;
        }
        char esc[8];
        switch (c) {
        case '"':
            put(w, "\\\"", 2);
            break;
        case '\\':
            put(w, "\\\\", 2);
            break;
        case '\b':
            put(w, "\\b", 2);
            break;
        case '\f':
            put(w, "\\f", 2);
            break;
        case '\n':
            put(w, "\\n", 2);
            break;
        case '\r':
            put(w, "\\r", 2);
            break;
        case '\t':
            put(w, "\\t", 2);
            break;
        default:
            snprintf(esc, sizeof esc, "\\u%04X", (unsigned)c);
            put(w, esc, 6);
        }
        i++;
    }
    put(w, "\"", 1);
}

void jw_key(json_writer *w, const char *key)
{
    separate(w);
    quoted(w, key, strlen(key));
    put(w, ":", 1);
}

void jw_stringn(json_writer *w, const char *s, size_t n)
{
    separate(w);
    quoted(w, s, n);
}

void jw_string(json_writer *w, const char *s)
{
    if (!s)
        jw_null(w);
    else
        jw_stringn(w, s, strlen(s));
}

void jw_int(json_writer *w, long long v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", v);
    separate(w);
    put(w, buf, (size_t)n);
}

/* As jansson writes a real with 6 significant digits: "%.6g", a ".0" when
 * that reads as an integer, no '+' or leading zeros in the exponent. */
void jw_real(json_writer *w, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        jw_null(w);
        return;
    }
    int n = snprintf(buf, sizeof buf, "%.6g", v);
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
    char *e = strchr(buf, 'e');
    if (e) {
        char *from = e + 1, *to = e + 1;
        if (*from == '+')
            from++;
        else if (*from == '-')
            from++, to++;
        while (*from == '0' && from[1])
            from++;
        memmove(to, from, strlen(from) + 1);
        n = (int)strlen(buf);
    }
    separate(w);
    put(w, buf, (size_t)n);
}

void jw_bool(json_writer *w, int v)
{
    separate(w);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void jw_null(json_writer *w)
{
    separate(w);
    put(w, "null", 4);
}
