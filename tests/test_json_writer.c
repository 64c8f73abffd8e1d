/* test_json_writer: the search reply's JSON writer, checked against jansson's own output. */
#include "harness.h"
#include "json_writer.h"

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))

/* Strings jansson accepts: every escape, control characters, accents,
 * four-byte characters, the slash and DEL left as they are. */
static const char *const strings[] = {
    "",
    "plain ascii",
    "guillemets \"Le Monde\" et barre \\ oblique",
    "lignes\nretour\rtab\tespace\bsaut\f",
    "contr\x01\x02\x1f\x7f",
    "accents éèêëàâîïôûüç ÉÀ œŒ æ",
    "apostrophe \xE2\x80\x99 tiret \xE2\x80\x94 emoji \xF0\x9F\x98\x80",
    "url https://www.exemple.fr/a/b?c=d&e=f",
    "<mark>html</mark> &amp; &lt;",
};

static const double reals[] = {0.0,       1.0,         -1.0,  0.5,     3.14159265, 1234567.0,
                               0.0001234, 1e-7,        1e20,  -2.5e-8, 123456.0,   1234567890123.0,
                               42.125,    0.333333333, 1e100, DBL_MIN};

static const long long ints[] = {0, 1, -1, 36152, 2147483648LL, -9223372036854775807LL};

static char *jansson_dump(json_t *v)
{
    char *s = json_dumps(v, DUMP_FLAGS | JSON_ENCODE_ANY);
    json_decref(v);
    return s;
}

static char *writer_value(void (*write)(json_writer *, const void *), const void *arg)
{
    json_writer w;
    jw_init(&w);
    write(&w, arg);
    return jw_finish(&w, NULL);
}

static void write_string(json_writer *w, const void *arg)
{
    jw_string(w, arg);
}

static void write_real(json_writer *w, const void *arg)
{
    jw_real(w, *(const double *)arg);
}

static void write_int(json_writer *w, const void *arg)
{
    jw_int(w, *(const long long *)arg);
}

static void same_as_jansson(json_t *want_value, char *got, const char *what)
{
    char *want = jansson_dump(want_value);
    CHECK_MSG(want && got && strcmp(want, got) == 0, "%s: got %s, want %s", what,
              got ? got : "(null)", want ? want : "(null)");
    free(want);
    free(got);
}

static void test_values(void)
{
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        same_as_jansson(json_string(strings[i]), writer_value(write_string, strings[i]),
                        strings[i]);
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) {
        char what[64];
        snprintf(what, sizeof what, "real %.17g", reals[i]);
        same_as_jansson(json_real(reals[i]), writer_value(write_real, &reals[i]), what);
    }
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        same_as_jansson(json_integer(ints[i]), writer_value(write_int, &ints[i]), "integer");
}

/* Nested objects and arrays, empty ones included, with commas in place. */
static void test_structure(void)
{
    json_t *want = json_pack("{s:s, s:[], s:{}, s:[{s:i, s:b}, {s:n, s:f}], s:{s:{s:i}}, s:b}",
                             "query", "chat", "empty", "none", "hits", "n", 1, "ok", 1, "x",
                             "score", 1.5, "facets", "section", "sport", 3, "last", 0);
    json_writer w;
    jw_init(&w);
    jw_begin(&w, '{');
    jw_key(&w, "query");
    jw_string(&w, "chat");
    jw_key(&w, "empty");
    jw_begin(&w, '[');
    jw_end(&w, ']');
    jw_key(&w, "none");
    jw_begin(&w, '{');
    jw_end(&w, '}');
    jw_key(&w, "hits");
    jw_begin(&w, '[');
    jw_begin(&w, '{');
    jw_key(&w, "n");
    jw_int(&w, 1);
    jw_key(&w, "ok");
    jw_bool(&w, 1);
    jw_end(&w, '}');
    jw_begin(&w, '{');
    jw_key(&w, "x");
    jw_null(&w);
    jw_key(&w, "score");
    jw_real(&w, 1.5);
    jw_end(&w, '}');
    jw_end(&w, ']');
    jw_key(&w, "facets");
    jw_begin(&w, '{');
    jw_key(&w, "section");
    jw_begin(&w, '{');
    jw_key(&w, "sport");
    jw_int(&w, 3);
    jw_end(&w, '}');
    jw_end(&w, '}');
    jw_key(&w, "last");
    jw_bool(&w, 0);
    jw_end(&w, '}');
    size_t len = 0;
    char *got = jw_finish(&w, &len);
    CHECK(got && len == strlen(got));
    same_as_jansson(want, got, "structure");
}

/* Text jansson refuses: each bad byte becomes U+FFFD, the rest is kept, and
 * the output parses. */
static void test_invalid_utf8(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"a\xFF"
         "b",
         "\"a\xEF\xBF\xBD"
         "b\""},
        {"\xC3", "\"\xEF\xBF\xBD\""},                                   /* truncated */
        {"\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},                   /* overlong slash */
        {"\xED\xA0\x80z", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz\""}, /* surrogate */
        {"ok \xC3\xA9", "\"ok \xC3\xA9\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = writer_value(write_string, cases[i].in);
        CHECK_STR(got, cases[i].want);
        json_error_t err;
        json_t *back = got ? json_loads(got, JSON_DECODE_ANY, &err) : NULL;
        CHECK_MSG(back != NULL, "case %zu does not parse", i);
        json_decref(back);
        free(got);
    }
    /* Embedded NUL bytes with an explicit length. */
    json_writer w;
    jw_init(&w);
    jw_stringn(&w, "a\0b", 3);
    char *got = jw_finish(&w, NULL);
    CHECK_STR(got, "\"a\\u0000b\"");
    free(got);
}

static void test_empty_and_large(void)
{
    json_writer w;
    jw_init(&w);
    size_t len = 99;
    char *got = jw_finish(&w, &len);
    CHECK_STR(got, "");
    CHECK(len == 0);
    free(got);

    /* Growth well past the first buffer. */
    enum { N = 5000 };
    json_t *want = json_array();
    jw_init(&w);
    jw_begin(&w, '[');
    for (int i = 0; i < N; i++) {
        json_array_append_new(want, json_string("entrée numéro \"n\""));
        jw_string(&w, "entrée numéro \"n\"");
    }
    jw_end(&w, ']');
    same_as_jansson(want, jw_finish(&w, NULL), "5000 strings");
}

int main(void)
{
    test_values();
    test_structure();
    test_invalid_utf8();
    test_empty_and_large();
    return harness_exit("test_json_writer");
}
