/* fuzz_document: libFuzzer target for the document data record (view, article, encoding). */
#include "document.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Any bytes as document data: both readers return a known status without
 * reading outside the buffer (the sanitizers watch); data they accept
 * re-encodes to the same bytes, since the layout has one encoding per
 * article.  The same bytes as article JSON: an accepted article makes the
 * round trip through the record. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so the sanitizer sees any read past the end. */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);

    document_view v;
    kq_status vst = document_view_parse(copy, size, &v);
    if (vst != KQ_OK && vst != KQ_ERR_CORRUPT && vst != KQ_ERR_NOMEM)
        abort();
    if (vst == KQ_OK && (!v.id || !v.url || !v.title || !v.description || !v.date || !v.language ||
                         !v.body || !v.hash || !v.author || !v.section))
        abort();

    article a;
    char err[256];
    err[0] = 0;
    kq_status st = document_read_article(copy, size, &a, err, sizeof err);
    if (st == KQ_OK) {
        if (vst != KQ_OK)
            abort(); /* an article is always a valid view */
        check_view_matches(&v, &a);
        size_t len = 0;
        char *again = document_encode(&a, &len);
        if (again && (len != size || memcmp(again, copy, size) != 0))
            abort();
        free(again);
    } else if (st == KQ_ERR_CORRUPT) {
        if (!err[0] || a.id || a.title)
            abort();
    } else if (st != KQ_ERR_NOMEM) {
        abort();
    }
    article_clear(&a);
    document_view_clear(&v);

    if (article_from_json(copy, size, &a, err, sizeof err) == KQ_OK)
        check_round_trip(&a);
    article_clear(&a);
    free(copy);
    return 0;
}
