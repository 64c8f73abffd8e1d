/* snippet: the passage of an article that best shows why it matched (manual in snippet.h). */
#include "snippet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One word to mark.  Lengths are kept so that most tokens are told apart
 * without comparing bytes. */
struct snippet_word {
    char *term;      /* folded form, or the prefix */
    size_t term_len; /* bytes */
    char *stem;      /* NULL when matched by its folded form only */
    size_t stem_len;
    int prefix; /* 1: marks tokens whose folded form starts with term */
};

struct snippet_terms {
    struct snippet_word *w;
    size_t n, cap;
    /* Bit c set: some word's term or prefix starts with the byte c (all of
     * them for an empty prefix); likewise for their stems.  Most tokens of a
     * text start with none of them and are dismissed on that one test. */
    uint64_t first_term[4], first_stem[4];
    /* The tokens a scan looks at: those that may be one of the words (see
     * analyzer_filter); the analyzer does not report the others.  Of them,
     * only those that may stem to one of the stems are stemmed. */
    analyzer_filter report, stem;
    int reference; /* snippet_terms_set_reference */
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
        free(t->w[i].term);
        free(t->w[i].stem);
    }
    free(t->w);
    free(t);
}

static inline void byte_set(uint64_t set[4], unsigned char c)
{
    set[c >> 6] |= (uint64_t)1 << (c & 63);
}

static inline int byte_in(const uint64_t set[4], unsigned char c)
{
    return (int)((set[c >> 6] >> (c & 63)) & 1u);
}

static kq_status add(snippet_terms *t, const char *term, const char *stem, int prefix)
{
    struct snippet_word w = {0};

    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        struct snippet_word *grown = realloc(t->w, cap * sizeof *grown);
        if (!grown)
            return KQ_ERR_NOMEM;
        t->w = grown;
        t->cap = cap;
    }
    w.term = strdup(term);
    w.stem = stem ? strdup(stem) : NULL;
    if (!w.term || (stem && !w.stem)) {
        free(w.term);
        free(w.stem);
        return KQ_ERR_NOMEM;
    }
    w.term_len = strlen(term);
    w.stem_len = stem ? strlen(stem) : 0;
    w.prefix = prefix;
    if (w.term_len > 0)
        byte_set(t->first_term, (unsigned char)term[0]);
    else if (prefix) /* the empty prefix marks every token */
        memset(t->first_term, 0xFF, sizeof t->first_term);
    if (prefix)
        analyzer_filter_add_prefix(&t->report, term, w.term_len);
    else
        analyzer_filter_add_term(&t->report, term, w.term_len);
    if (w.stem_len > 0) {
        byte_set(t->first_stem, (unsigned char)stem[0]);
        analyzer_filter_add_stem(&t->report, stem, w.stem_len);
        analyzer_filter_add_stem(&t->stem, stem, w.stem_len);
    }
    t->w[t->n++] = w;
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

void snippet_terms_set_reference(snippet_terms *t, int on)
{
    t->reference = on != 0;
}

/* Which word of the set a token is, or -1: the first word whose term is
 * the token's, or is a prefix of it, or whose stem is the token's.  A token
 * left unstemmed by the filter cannot have the stem of any word (its real
 * stem starts with bytes no word's stem starts with), so its stem, which is
 * only its term, is not compared. */
static int match(const snippet_terms *t, const analyzer_token *tok)
{
    int stemmed = !(tok->flags & TOKEN_UNSTEMMED);

    if (!byte_in(t->first_term, (unsigned char)tok->term[0]) &&
        !(stemmed && byte_in(t->first_stem, (unsigned char)tok->stem[0])))
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        const struct snippet_word *w = &t->w[i];
        if (w->prefix) {
            if (tok->term_len >= w->term_len && memcmp(tok->term, w->term, w->term_len) == 0)
                return (int)i;
        } else if ((tok->term_len == w->term_len && memcmp(tok->term, w->term, w->term_len) == 0) ||
                   (w->stem && stemmed && tok->stem_len == w->stem_len &&
                    memcmp(tok->stem, w->stem, w->stem_len) == 0)) {
            return (int)i;
        }
    }
    return -1;
}

/* match as first written, with every token stemmed: what the fast path must
 * give (snippet_terms_set_reference). */
static int match_reference(const snippet_terms *t, const analyzer_token *tok)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct snippet_word *w = &t->w[i];
        if (w->prefix) {
            if (strncmp(tok->term, w->term, strlen(w->term)) == 0)
                return (int)i;
        } else if (strcmp(tok->term, w->term) == 0 ||
                   (w->stem && strcmp(tok->stem, w->stem) == 0)) {
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
    size_t limit;      /* the same, for analyzer_options.stop_after: SIZE_MAX until then */
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
    int w = s->terms->reference ? match_reference(s->terms, tok) : match(s->terms, tok);
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
        s->limit = s->stop_after = tok->start + s->window;
    return s->n >= s->max_hits;
}

/* Runs the analyzer over text for the scan s, reporting only the tokens
 * that may be a word to mark, and stemming only those that may have the stem
 * of one.  A token not reported cannot match, and the analyzer stops at the
 * first token past stop_after as on_token would, so the hits are the same. */
static kq_status scan_text(analyzer *a, const char *text, size_t len, struct scan *s)
{
    int fast = !s->terms->reference;
    analyzer_options opts = {
        .mode = ANALYZER_DOCUMENT,
        .first_position = 1,
        .report = fast ? &s->terms->report : NULL,
        .stem = fast ? &s->terms->stem : NULL,
        .stop_after = fast ? &s->limit : NULL,
    };
    kq_status st = analyzer_run_with(a, text, len, &opts, on_token, s, NULL);
    if (st == KQ_OK && s->failed)
        st = KQ_ERR_NOMEM;
    return st;
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
    struct scan s = {.terms = t, .max_hits = 64, .limit = SIZE_MAX};
    *marks = NULL;
    *n_marks = 0;
    if (t->n == 0 || len == 0)
        return KQ_OK;
    kq_status st = scan_text(a, text, len, &s);
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
    struct scan s = {.terms = t, .max_hits = 4096, .window = target_bytes, .limit = SIZE_MAX};
    size_t from = 0, to, best = 0;
    kq_status st = KQ_OK;

    *out = NULL;
    *marks = NULL;
    *n_marks = 0;
    if (t->n && len) {
        /* Long articles: the passage is looked for in their first SNIPPET_SCAN_BYTES. */
        size_t scan = len > SNIPPET_SCAN_BYTES ? char_start(text, SNIPPET_SCAN_BYTES) : len;
        st = scan_text(a, text, scan, &s);
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
    memcpy(buf + lead_len, text + from, to - from);
    for (char *p = buf + lead_len, *end = p + (to - from); p < end; p++)
        if ((unsigned char)*p <= ' ' && is_space((unsigned char)*p))
            *p = ' ';
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
