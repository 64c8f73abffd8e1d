/* fuzz_article: libFuzzer target for article_from_json and article_parse_date (any bytes in). */
#include "article.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* True when s is valid UTF-8 (no overlongs, surrogates or values above
 * U+10FFFF); written independently of article.c so that it checks it. */
static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n, cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

static void check_str(const char *s, bool required)
{
    if (!s) {
        if (required)
            abort();
        return;
    }
    if (!valid_utf8(s) || (required && !*s))
        abort();
}

static void check_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        check_str(v[i], true);
        for (size_t j = 0; j < i; j++)
            if (strcmp(v[i], v[j]) == 0)
                abort(); /* lists are deduplicated */
    }
}

/* Every accepted article must keep the record's contract: required fields
 * present, every string valid UTF-8, the id and the body within their
 * bounds, lists without empty or repeated items, a 16-digit hash, and a
 * date that parses back to the same instant.  A reject must say why. */
/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    article a;
    char err[256];
    err[0] = 0;
    kq_status st = article_from_json((const char *)data, size, &a, err, sizeof err);
    if (st == KQ_OK) {
        check_str(a.id, true);
        check_str(a.title, true);
        check_str(a.description, false);
        check_str(a.body, false);
        check_str(a.url, false);
        check_str(a.language, false);
        check_str(a.date, false);
        check_str(a.date_modified, false);
        check_list(a.authors, a.n_authors);
        check_list(a.sections, a.n_sections);
        check_list(a.keywords, a.n_keywords);
        if (strlen(a.id) > 256 || (a.body && strlen(a.body) > ARTICLE_MAX_BODY))
            abort();
        if (strlen(a.hash) != 16 || strspn(a.hash, "0123456789abcdef") != 16)
            abort();
        int64_t t;
        if (a.date && (article_parse_date(a.date, &t) != KQ_OK || t != a.published))
            abort();
        if (!a.date && a.published != 0)
            abort();
    } else if (st == KQ_ERR_INVALID) {
        if (!err[0] || strchr(err, '\n') || a.id || a.title)
            abort();
    } else if (st != KQ_ERR_NOMEM) {
        abort();
    }
    article_clear(&a);

    /* The same bytes as a date. */
    char buf[128];
    size_t n = size < sizeof buf - 1 ? size : sizeof buf - 1;
    memcpy(buf, data, n);
    buf[n] = 0;
    int64_t t;
    st = article_parse_date(buf, &t);
    if (st != KQ_OK && st != KQ_ERR_INVALID)
        abort();
    return 0;
}
