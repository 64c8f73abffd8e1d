/* fuzz_document: libFuzzer target for the document data record (view, article, encoding). */
#include "document.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* One reader for every input, as a searchd worker keeps its own: state
 * left by one record must not change how the next is read. */
static document_reader *reader;

static bool same(const char *a, const char *b)
{
    return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

/* The view of data must agree with the article read from the same data. */
static void check_view_matches(const document_view *v, const article *a)
{
    if (!same(v->id, a->id) || !same(v->title, a->title) || !same(v->url, a->url ? a->url : "") ||
        !same(v->description, a->description ? a->description : "") ||
        !same(v->date, a->date ? a->date : "") ||
        !same(v->language, a->language ? a->language : "") ||
        !same(v->body, a->body ? a->body : "") || !same(v->hash, a->hash))
        abort();
    if ((a->n_authors == 0) != (v->author[0] == 0) || (a->n_sections == 0) != (v->section[0] == 0))
        abort();
}

/* Checks encode → view and encode → article → encode on an accepted
 * article: the article comes back field for field, the bytes are the same. */
static void check_round_trip(const article *a)
{
    size_t len = 0, len2 = 0;
    char *data = document_encode(a, &len);
    if (!data)
        return;
    article back;
    char err[256];
    if (document_read_article(data, len, &back, err, sizeof err) != KQ_OK)
        abort();
    char *again = document_encode(&back, &len2);
    if (again && (len2 != len || memcmp(again, data, len) != 0))
        abort();
    if (back.published != a->published || strcmp(back.hash, a->hash) != 0)
        abort();
    document_view v;
    if (document_view_parse(data, len, &v) != KQ_OK)
        abort();
    check_view_matches(&v, &back);
    document_view_clear(&v);
    free(again);
    article_clear(&back);
    free(data);
}

/* Returns the field sequence of record data (n bytes): after the magic of
 * version 1, in the zstd frame of version 2; NULL when there is none.
 * The caller frees it. */
static unsigned char *fields_of(const char *data, size_t n, size_t *len)
{
    if (n < DOCUMENT_DATA_MAGIC_LEN)
        return NULL;
    if (memcmp(data, DOCUMENT_DATA_MAGIC_V1, DOCUMENT_DATA_MAGIC_LEN) == 0) {
        unsigned char *out = malloc(n - 4 ? n - 4 : 1);
        if (out) {
            memcpy(out, data + 4, n - 4);
            *len = n - 4;
        }
        return out;
    }
    unsigned long long size = ZSTD_getFrameContentSize(data + 4, n - 4);
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
        size > DOCUMENT_MAX_CONTENT)
        return NULL;
    unsigned char *out = malloc(size ? size : 1);
    size_t got = out ? ZSTD_decompress(out, size, data + 4, n - 4) : 0;
    if (!out || ZSTD_isError(got) || got != size) {
        free(out);
        return NULL;
    }
    *len = got;
    return out;
}

/* Reads record data (size bytes, an exact-size buffer) with every reader:
 * each returns a known status without reading outside the buffer (the
 * sanitizers watch), the shared reader agrees with a reader of its own,
 * and data they accept holds the field sequence its article encodes to
 * (the layout has one encoding per article).  Returns the status of
 * document_read_article. */
static kq_status check_record(const char *copy, size_t size)
{
    document_view v, v2;
    kq_status vst = document_view_parse(copy, size, &v);
    if (vst != KQ_OK && vst != KQ_ERR_CORRUPT && vst != KQ_ERR_NOMEM)
        abort();
    if (vst == KQ_OK && (!v.id || !v.url || !v.title || !v.description || !v.date || !v.language ||
                         !v.body || !v.hash || !v.author || !v.section))
        abort();
    kq_status vst2 = document_reader_view(reader, copy, size, &v2);
    if (vst2 != vst || (vst == KQ_OK && (!same(v.id, v2.id) || !same(v.body, v2.body) ||
                                         !same(v.author, v2.author))))
        abort();
    document_view_clear(&v2);

    article a, a2;
    char err[256], err2[256];
    err[0] = 0;
    kq_status st = document_read_article(copy, size, &a, err, sizeof err);
    kq_status st2 = document_reader_article(reader, copy, size, &a2, err2, sizeof err2);
    if (st2 != st || (st == KQ_OK && (!same(a.id, a2.id) || !same(a.body, a2.body))))
        abort();
    article_clear(&a2);
    if (st == KQ_OK) {
        if (vst != KQ_OK)
            abort(); /* an article is always a valid view */
        check_view_matches(&v, &a);
        size_t len = 0, have_len = 0, want_len = 0;
        char *again = document_encode(&a, &len);
        if (again) {
            unsigned char *have = fields_of(copy, size, &have_len);
            unsigned char *want = fields_of(again, len, &want_len);
            if (!have || !want || have_len != want_len || memcmp(have, want, have_len) != 0)
                abort();
            free(have);
            free(want);
        }
        free(again);
    } else if (st == KQ_ERR_CORRUPT) {
        if (!err[0] || a.id || a.title)
            abort();
    } else if (st != KQ_ERR_NOMEM) {
        abort();
    }
    article_clear(&a);
    document_view_clear(&v);
    return st;
}

/* Any bytes as document data, and as the field sequence of a version-1
 * record and of a version-2 record (so the fields are fuzzed behind a valid
 * frame too): the two versions read the same.  The same bytes as article
 * JSON: an accepted article makes the round trip through the record. */
/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!reader && !(reader = document_reader_new()))
        abort();
    /* An exact-size copy, so the sanitizer sees any read past the end. */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    check_record(copy, size);

    size_t bound = ZSTD_compressBound(size);
    char *v1 = malloc(4 + size), *v2 = malloc(4 + bound);
    if (v1 && v2) {
        memcpy(v1, DOCUMENT_DATA_MAGIC_V1, 4);
        if (size)
            memcpy(v1 + 4, data, size);
        memcpy(v2, DOCUMENT_DATA_MAGIC, 4);
        size_t z = ZSTD_compress(v2 + 4, bound, data, size, 1);
        if (!ZSTD_isError(z)) {
            char *exact = malloc(4 + z);
            if (exact) {
                memcpy(exact, v2, 4 + z);
                kq_status s1 = check_record(v1, 4 + size);
                kq_status s2 = check_record(exact, 4 + z);
                if (s1 != s2 && s1 != KQ_ERR_NOMEM && s2 != KQ_ERR_NOMEM)
                    abort();
                free(exact);
            }
        }
    }
    free(v1);
    free(v2);

    article a;
    char err[256];

    if (article_from_json(copy, size, &a, err, sizeof err) == KQ_OK)
        check_round_trip(&a);
    article_clear(&a);
    free(copy);
    return 0;
}
