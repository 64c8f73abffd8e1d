#include "snippet.h"

#include <stdlib.h>
#include <string.h>

struct snippet_terms {
    char **terms; /* folded forms */
    char **stems; /* stems (may be NULL entries) */
    unsigned char *is_prefix;
    size_t n, cap;
};

snippet_terms *snippet_terms_new(void)
{
    return calloc(1, sizeof(snippet_terms));
}

void snippet_terms_free(snippet_terms *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->terms[i]);
        free(t->stems[i]);
    }
    free(t->terms);
    free(t->stems);
    free(t->is_prefix);
    free(t);
}

static kq_status add(snippet_terms *t, const char *term, const char *stem, int prefix)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        char **terms = realloc(t->terms, cap * sizeof *terms);
        if (!terms)
            return KQ_ERR_NOMEM;
        t->terms = terms;
        char **stems = realloc(t->stems, cap * sizeof *stems);
        if (!stems)
            return KQ_ERR_NOMEM;
        t->stems = stems;
        unsigned char *p = realloc(t->is_prefix, cap);
        if (!p)
            return KQ_ERR_NOMEM;
        t->is_prefix = p;
        t->cap = cap;
    }
    t->terms[t->n] = strdup(term);
    t->stems[t->n] = stem ? strdup(stem) : NULL;
    t->is_prefix[t->n] = (unsigned char)prefix;
    if (!t->terms[t->n] || (stem && !t->stems[t->n])) {
        free(t->terms[t->n]);
        free(t->stems[t->n]);
        return KQ_ERR_NOMEM;
    }
    t->n++;
    return KQ_OK;
}

kq_status snippet_terms_add(snippet_terms *t, const char *term, const char *stem)
{
    return add(t, term, stem, 0);
}

kq_status snippet_terms_add_prefix(snippet_terms *t, const char *prefix)
{
    return add(t, prefix, NULL, 1);
}

size_t snippet_terms_count(const snippet_terms *t)
{
    return t->n;
}

/* Which word of the set a token is, or -1. */
static int match(const snippet_terms *t, const analyzer_token *tok)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->is_prefix[i]) {
            if (strncmp(tok->term, t->terms[i], strlen(t->terms[i])) == 0)
                return (int)i;
        } else if (strcmp(tok->term, t->terms[i]) == 0 ||
                   (t->stems[i] && strcmp(tok->stem, t->stems[i]) == 0)) {
            return (int)i;
        }
    }
    return -1;
}

#define SNIPPET_SCAN_BYTES 16384

struct hit {
    size_t start, end;
    int word;
};

struct scan {
    const snippet_terms *terms;
    size_t window;     /* snippet length: once a window holds every word, finish it and stop */
    size_t stop_after; /* byte offset past which the scan stops; 0 until then */
    struct hit *hits;
    size_t n, cap;
    size_t max_hits;
    int failed;
};

/* 1 when the hits within one window before the last hit cover every word. */
static int window_complete(const struct scan *s)
{
    unsigned char seen[256] = {0};
    size_t distinct = 0, words = s->terms->n < 256 ? s->terms->n : 256;
    const struct hit *last = &s->hits[s->n - 1];
    for (size_t i = s->n; i-- > 0 && last->end - s->hits[i].start <= s->window;) {
        int w = s->hits[i].word;
        if (w < 256 && !seen[w])
            seen[w] = 1, distinct++;
    }
    return distinct >= words;
}

static int on_token(void *ctx, const analyzer_token *tok)
{
    struct scan *s = ctx;
    if (s->stop_after && tok->start > s->stop_after)
        return 1;
    int w = match(s->terms, tok);
    if (w < 0)
        return 0;
    /* A hyphenated word matched whole covers its matched parts: keep the widest. */
    while (s->n > 0 && s->hits[s->n - 1].start >= tok->start && s->hits[s->n - 1].end <= tok->end)
        s->n--;
    if (s->n > 0 && s->hits[s->n - 1].end > tok->start)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct hit *h = realloc(s->hits, cap * sizeof *h);
        if (!h) {
            s->failed = 1;
            return 1;
        }
        s->hits = h;
        s->cap = cap;
    }
    s->hits[s->n++] = (struct hit){tok->start, tok->end, w};
    /* No later window can hold more distinct words: mark the rest of this
     * one, then stop analysing (most of the cost of a hit). */
    if (s->window && !s->stop_after && window_complete(s))
        s->stop_after = tok->start + s->window;
    return s->n >= s->max_hits;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Moves i back to the start of a UTF-8 character. */
static size_t char_start(const char *text, size_t i)
{
    while (i > 0 && ((unsigned char)text[i] & 0xC0) == 0x80)
        i--;
    return i;
}

kq_status snippet_mark_all(analyzer *a, const snippet_terms *t, const char *text, size_t len,
                           search_mark **marks, size_t *n_marks)
{
    struct scan s = {.terms = t, .max_hits = 64};
    *marks = NULL;
    *n_marks = 0;
    if (t->n == 0 || len == 0)
        return KQ_OK;
    kq_status st = analyzer_run(a, text, len, 1, ANALYZER_DOCUMENT, on_token, &s, NULL);
    if (st == KQ_OK && s.failed)
        st = KQ_ERR_NOMEM;
    if (st == KQ_OK && s.n) {
        *marks = malloc(s.n * sizeof **marks);
        if (!*marks)
            st = KQ_ERR_NOMEM;
        for (size_t i = 0; st == KQ_OK && i < s.n; i++)
            (*marks)[i] = (search_mark){s.hits[i].start, s.hits[i].end};
        if (st == KQ_OK)
            *n_marks = s.n;
    }
    free(s.hits);
    return st;
}

kq_status snippet_make(analyzer *a, const snippet_terms *t, const char *text, size_t len,
                       size_t target_bytes, char **out, search_mark **marks, size_t *n_marks)
{
    static const char ellipsis[] = "\xE2\x80\xA6"; /* … */
    struct scan s = {.terms = t, .max_hits = 4096, .window = target_bytes};
    size_t from = 0, to, best = 0;
    kq_status st = KQ_OK;

    *out = NULL;
    *marks = NULL;
    *n_marks = 0;
    if (t->n && len) {
        /* Long articles: the passage is looked for in their first SNIPPET_SCAN_BYTES. */
        size_t scan = len > SNIPPET_SCAN_BYTES ? char_start(text, SNIPPET_SCAN_BYTES) : len;
        st = analyzer_run(a, text, scan, 1, ANALYZER_DOCUMENT, on_token, &s, NULL);
        if (st == KQ_OK && s.failed)
            st = KQ_ERR_NOMEM;
        if (st != KQ_OK)
            goto out;
    }

    if (s.n) {
        /* The window starting at a hit that covers the most distinct words,
         * then the most hits; earlier windows win ties. */
        int best_score = -1;
        unsigned char seen[256];
        for (size_t i = 0; i < s.n; i++) {
            int distinct = 0, count = 0;
            memset(seen, 0, sizeof seen);
            for (size_t j = i; j < s.n && s.hits[j].end - s.hits[i].start <= target_bytes; j++) {
                int w = s.hits[j].word & 0xFF;
                if (!seen[w])
                    seen[w] = 1, distinct++;
                count++;
            }
            int score = distinct * 1000 + count;
            if (score > best_score)
                best_score = score, best = i;
        }
        /* Some context before the first hit: from the start of its
         * sentence when that is close enough, else from a word start. */
        size_t hit = s.hits[best].start, lead = target_bytes / 5;
        from = hit > lead ? hit - lead : 0;
        for (size_t k = hit; k > from; k--) {
            if ((text[k - 1] == '.' || text[k - 1] == '!' || text[k - 1] == '?' ||
                 text[k - 1] == '\n') &&
                (k == hit || is_space((unsigned char)text[k]))) {
                from = k;
                break;
            }
        }
        if (from > 0 && !is_space((unsigned char)text[from - 1]) && text[from - 1] != '.' &&
            text[from - 1] != '!' && text[from - 1] != '?')
            while (from < hit && !is_space((unsigned char)text[from]))
                from++; /* inside a word: skip to its end */
        while (from < hit && is_space((unsigned char)text[from]))
            from++;
    }
    to = from + target_bytes < len ? from + target_bytes : len;
    if (to < len) {
        size_t cut = to;
        while (cut > from && !is_space((unsigned char)text[cut]))
            cut--;
        to = cut > from ? cut : char_start(text, to);
    }
    while (to > from && is_space((unsigned char)text[to - 1]))
        to--;

    size_t lead_len = from > 0 ? sizeof ellipsis - 1 : 0;
    size_t tail_len = to < len ? sizeof ellipsis - 1 : 0;
    char *buf = malloc(lead_len + (to - from) + tail_len + 1);
    if (!buf) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    memcpy(buf, ellipsis, lead_len);
    for (size_t k = from; k < to; k++)
        buf[lead_len + k - from] = is_space((unsigned char)text[k]) ? ' ' : text[k];
    memcpy(buf + lead_len + (to - from), ellipsis, tail_len);
    buf[lead_len + (to - from) + tail_len] = '\0';

    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        n += s.hits[i].start >= from && s.hits[i].end <= to;
    if (n) {
        *marks = malloc(n * sizeof **marks);
        if (!*marks) {
            free(buf);
            st = KQ_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < s.n; i++)
            if (s.hits[i].start >= from && s.hits[i].end <= to)
                (*marks)[(*n_marks)++] = (search_mark){s.hits[i].start - from + lead_len,
                                                       s.hits[i].end - from + lead_len};
    }
    *out = buf;
out:
    free(s.hits);
    return st;
}
