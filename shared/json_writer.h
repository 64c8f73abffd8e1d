/* json_writer: JSON text written straight into a buffer, for the reply every
 * search sends.
 *
 * Kiosque reads JSON with jansson (articles, the store) and builds its other
 * replies with it.  The search reply is written here instead: building it as
 * jansson values and dumping them, which checks and escapes the text one
 * character at a time through a callback, took 11% of searchd's time on
 * distinct two-word queries over the 36k-article corpus (perf record).  The
 * output is byte for byte what json_dumps gives with JSON_COMPACT |
 * JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6), which tests/test_json_writer.c
 * checks against jansson itself, except for text that is not UTF-8 (jansson
 * refuses it): each bad byte is written as U+FFFD.
 *
 *     json_writer w;
 *     jw_init(&w);
 *     jw_begin(&w, '{');
 *     jw_key(&w, "total");
 *     jw_int(&w, 12);
 *     jw_end(&w, '}');
 *     char *text = jw_finish(&w, &len);   // NULL when out of memory
 *
 * Commas come by themselves: a key or a value written after another one in
 * the same object or array is preceded by one. */
#ifndef KIOSQUE_JSON_WRITER_H
#define KIOSQUE_JSON_WRITER_H

#include <stddef.h>

#include "render_buf.h"

typedef struct json_writer {
    render_buf out; /* out.failed: memory ran out, the rest is not written */
} json_writer;

void jw_init(json_writer *w);

/* The text written, NUL-terminated, which the caller frees; its length in
 * *len when len is not NULL.  NULL (and the buffer freed) when memory ran
 * out on the way.  The writer is empty again afterwards. */
char *jw_finish(json_writer *w, size_t *len);

/* Opens or closes an object ('{', '}') or an array ('[', ']'). */
void jw_begin(json_writer *w, char bracket);
void jw_end(json_writer *w, char bracket);

/* The name of the next member of an object. */
void jw_key(json_writer *w, const char *key);

/* Values.  jw_string writes null for NULL; jw_real writes null for a value
 * that is not finite (jansson has no such reals). */
void jw_string(json_writer *w, const char *s);
void jw_stringn(json_writer *w, const char *s, size_t n);
void jw_int(json_writer *w, long long v);
void jw_real(json_writer *w, double v);
void jw_bool(json_writer *w, int v);
void jw_null(json_writer *w);

#endif
