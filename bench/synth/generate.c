/* generate: a synthetic news archive of any size, recombined from a real one, for the scale bench.
 *
 *   synth_generate [--seed S] [--source CORPUS] [--quiet] N OUT.jsonl.gz|-
 *
 * Writes N schema.org NewsArticle lines (gzip when OUT ends in .gz, else plain; - is stdout)
 * made from the team kit's real archive (../shared/corpus/orangesum-fr.jsonl.gz), which is
 * loaded once as source material; everything else streams, in constant memory.  Article i is
 * a pure function of (seed, i) except its date, which depends on i / N, so the output is
 * deterministic for a seed.  How an article is made:
 *
 *   template   a real article drawn uniformly: its section (so sections follow the real
 *              distribution), its shape (paragraphs, sentences, glued or spaced, a chapô or
 *              none, a dateModified or none, an empty body);
 *   body       each paragraph of the template kept (35%), replaced by a real paragraph of the
 *              same section of about its length (25%), or rebuilt sentence by sentence, each
 *              sentence kept (30%) or replaced by a real sentence of the same section;
 *   headline   a walk through the real headlines' word bigrams, starting from the first word
 *              of a headline of the same section (every consecutive pair is a real one);
 *   chapô      a real chapô of the same section;
 *   author     a real article's author, drawn uniformly (so the real distribution, absent
 *              ones included);
 *   date       spread over 1995-01-01 .. 2026-12-31 in the order of i, denser in later years
 *              (the density grows linearly, four times higher at the end than at the start);
 *   copies     5% of the articles republish one of the 2,000 before (same body; same
 *              headline and chapô, or a new headline), under a new identifier and date;
 *   new words  a real archive keeps meeting new names and rare words: every word that is
 *              rare in the source (at most RARE_MAX occurrences) is, in each article, either
 *              kept (KEEP_SHARE) or replaced by a derived form, the word plus a suffix
 *              naming a variant k drawn from a Pareto law of exponent PARETO_A (the same in
 *              the whole article, so a new name is repeated consistently).  Draws from a
 *              power law meet new values at a rate that falls as a power of their number,
 *              which is Heaps' law: the vocabulary keeps growing with N, as a real archive's
 *              does, with about the real hapax share.
 *
 * At the end it prints the vocabulary size (distinct lower-case words), the share of hapaxes
 * and the document lengths against N, for the real corpus (its prefixes, with a Heaps' law
 * fit V = K N^b) and for its output (to stdout, or stderr when OUT is -).  Over millions of
 * articles the vocabulary is counted on a hash sample of the words (adaptive: the sample
 * halves whenever it exceeds 2^19 words), so that the memory stays constant; the estimate is
 * then within a few per cent. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>
#include <zlib.h>

#include "hash.h"

#ifndef KQ_DEFAULT_CORPUS
#define KQ_DEFAULT_CORPUS "../shared/corpus/orangesum-fr.jsonl.gz"
#endif

enum {
    RARE_MAX = 3,           /* a source word seen at most this often may take derived forms */
    COPY_WINDOW = 2000,     /* a republished copy repeats one of the articles this close before */
    HEADLINE_MAX_WORDS = 40 /* a headline walk stops there at the latest */
};
static const double KEEP_SHARE = 0.55; /* a rare word kept as written in an article */
static const double PARETO_A = 1.1;    /* tail of the variant law: Heaps' b tends to 1/(1 + a) */
static const double COPY_SHARE = 0.05;

/* ---- random numbers: splitmix64 to seed, xoshiro256** per article ---------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t mix2(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0x9e3779b97f4a7c15ULL);
    return splitmix64(&x);
}

typedef struct {
    uint64_t s[4];
} rng;

static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = mix2(seed, stream);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* A uniform integer in [0, n), n > 0. */
static uint64_t rng_below(rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

/* A uniform double in [0, 1). */
static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double hash_unit(uint64_t h)
{
    return (double)(h >> 11) * 0x1.0p-53;
}

/* ---- growable buffers -------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} buf;

static void die(const char *msg)
{
    fprintf(stderr, "synth_generate: %s\n", msg);
    exit(2);
}

static void buf_reserve(buf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        die("out of memory");
    b->p = p;
    b->cap = cap;
}

static void buf_add(buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

#define VEC_PUSH(arr, n, cap, value)                                                               \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            size_t c_ = (cap) ? 2 * (cap) : 1024;                                                  \
            void *p_ = realloc((arr), c_ * sizeof *(arr));                                         \
            if (!p_)                                                                               \
                die("out of memory");                                                              \
            (arr) = p_;                                                                            \
            (cap) = c_;                                                                            \
        }                                                                                          \
        (arr)[(n)++] = (value);                                                                    \
    } while (0)

/* ---- words: runs of letters (and marks), compared lower-case ----------------------------- */

static int is_letter(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    utf8proc_category_t c = utf8proc_category(cp);
    return c <= UTF8PROC_CATEGORY_ME && c != UTF8PROC_CATEGORY_CN;
}

/* Calls fn(ctx, offset, length, hash of the lower-case word) for each word of s[0..n). */
typedef void word_fn(void *ctx, size_t off, size_t len, uint64_t hash);

static void for_each_word(const char *s, size_t n, word_fn *fn, void *ctx)
{
    size_t i = 0, start = 0;
    int in = 0;
    uint64_t h = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) {
            k = 1;
            cp = -1;
        }
        if (cp >= 0 && is_letter(cp)) {
            if (!in) {
                in = 1;
                start = i;
                h = HASH_FNV1A_BASIS;
            }
            utf8proc_int32_t low =
                cp < 0x80 ? (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp) : utf8proc_tolower(cp);
            h ^= (uint64_t)low; /* FNV-1a over code points */
            h *= HASH_FNV1A_PRIME;
        } else if (in) {
            in = 0;
            fn(ctx, start, i - start, h);
        }
        i += (size_t)k;
    }
    if (in)
        fn(ctx, start, n - start, h);
}

/* ---- word counts: an open-addressing table of (hash, count), optionally a hash sample ---- */

typedef struct {
    uint64_t key; /* 0: an empty slot (a word hashing to 0 is counted as 1) */
    uint64_t count;
} count_slot;

typedef struct {
    count_slot *slots;
    size_t cap, used;
    unsigned level; /* a word is counted when the top `level` bits of its hash are zero */
    size_t limit;   /* when used exceeds it, level goes up and the table is thinned (0: never) */
} counter;

static void counter_alloc(counter *c, size_t cap)
{
    c->cap = cap;
    c->used = 0;
    c->slots = calloc(cap, sizeof *c->slots);
    if (!c->slots)
        die("out of memory");
}

static void counter_init(counter *c, size_t cap_log2, size_t limit)
{
    counter_alloc(c, (size_t)1 << cap_log2);
    c->level = 0;
    c->limit = limit;
}

static void counter_free(counter *c)
{
    free(c->slots);
}

static size_t counter_slot(const counter *c, uint64_t key)
{
    size_t m = c->cap - 1, i = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 20) & m;
    while (c->slots[i].key && c->slots[i].key != key)
        i = (i + 1) & m;
    return i;
}

static int counter_sampled(const counter *c, uint64_t key)
{
    return c->level == 0 || (key >> (64 - c->level)) == 0;
}

/* Moves the sampled words into a table of cap slots. */
static void counter_rehash(counter *c, size_t cap)
{
    count_slot *old = c->slots;
    size_t old_cap = c->cap;
    counter_alloc(c, cap);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key && counter_sampled(c, old[i].key)) {
            c->slots[counter_slot(c, old[i].key)] = old[i];
            c->used++;
        }
    free(old);
}

static void counter_add(counter *c, uint64_t key)
{
    key = key ? key : 1;
    if (!counter_sampled(c, key))
        return;
    size_t i = counter_slot(c, key);
    if (!c->slots[i].key) {
        c->slots[i].key = key;
        c->used++;
    }
    c->slots[i].count++;
    if (c->limit && c->used > c->limit) { /* keep half the sample: the words of one more zero bit */
        c->level++;
        counter_rehash(c, c->cap);
    }
    if (c->used * 2 > c->cap)
        counter_rehash(c, c->cap * 2);
}

static uint64_t counter_get(const counter *c, uint64_t key)
{
    key = key ? key : 1;
    return c->slots[counter_slot(c, key)].count;
}

/* Estimated number of distinct words, and of words seen once. */
static void counter_estimate(const counter *c, double *distinct, double *hapax)
{
    size_t once = 0;
    for (size_t i = 0; i < c->cap; i++)
        once += c->slots[i].key && c->slots[i].count == 1;
    double scale = ldexp(1.0, (int)c->level);
    *distinct = (double)c->used * scale;
    *hapax = (double)once * scale;
}

/* ---- statistics of a stream of articles: vocabulary, hapaxes, lengths, at checkpoints --- */

enum { LEN_BINS = 4096, LEN_BIN_WIDTH = 10, MAX_CHECKPOINTS = 16 };

typedef struct {
    uint64_t articles, words;
    double vocabulary, hapax_share;
} checkpoint;

typedef struct {
    counter words;
    uint64_t articles, total_words, doc_words;
    uint64_t len_hist[LEN_BINS + 1];
    checkpoint points[MAX_CHECKPOINTS];
    int n_points;
} stats;

static void stats_init(stats *s, size_t limit)
{
    memset(s, 0, sizeof *s);
    counter_init(&s->words, 20, limit);
}

static void stats_word(void *ctx, size_t off, size_t len, uint64_t hash)
{
    stats *s = ctx;
    counter_add(&s->words, hash);
    s->doc_words++;
}

static void stats_text(stats *s, const char *text, size_t len)
{
    for_each_word(text, len, stats_word, s);
}

static const uint64_t CHECKPOINTS[] = {1000,   3000,    10000,   36152,  100000,
                                       300000, 1000000, 3000000, 5000000};

/* Records a checkpoint of the statistics as they stand. */
static void stats_mark(stats *s)
{
    if (s->n_points >= MAX_CHECKPOINTS ||
        (s->n_points && s->points[s->n_points - 1].articles == s->articles))
        return;
    checkpoint *p = &s->points[s->n_points++];
    double hapax;
    p->articles = s->articles;
    p->words = s->total_words;
    counter_estimate(&s->words, &p->vocabulary, &hapax);
    p->hapax_share = p->vocabulary > 0 ? hapax / p->vocabulary : 0;
}

/* Ends the current article; marks a checkpoint at the usual sizes. */
static void stats_end_article(stats *s)
{
    s->articles++;
    s->total_words += s->doc_words;
    uint64_t bin = s->doc_words / LEN_BIN_WIDTH;
    s->len_hist[bin < LEN_BINS ? bin : LEN_BINS]++;
    s->doc_words = 0;
    for (size_t i = 0; i < sizeof CHECKPOINTS / sizeof *CHECKPOINTS; i++)
        if (s->articles == CHECKPOINTS[i])
            stats_mark(s);
}

/* The q-quantile of document length in words (the upper edge of its bin). */
static uint64_t stats_length_quantile(const stats *s, double q)
{
    uint64_t want = (uint64_t)ceil(q * (double)s->articles), seen = 0;
    for (int b = 0; b <= LEN_BINS; b++) {
        seen += s->len_hist[b];
        if (seen >= want && seen > 0)
            return (uint64_t)(b + 1) * LEN_BIN_WIDTH;
    }
    return 0;
}

/* ---- the source: the real archive in memory ---------------------------------------------- */

typedef struct {
    uint32_t off, len;
} span;

typedef struct {
    span headline, description, body; /* description.len == UINT32_MAX: none */
    int32_t author;                   /* index into authors, -1: none */
    int32_t section;                  /* index into sections */
    uint32_t first_paragraph, n_paragraphs;
    uint8_t glued;    /* its paragraphs are glued with no space ("domestique.Consternant") */
    uint8_t modified; /* has a dateModified */
} source_article;

typedef struct {
    uint32_t first_sentence, n_sentences;
} paragraph;

typedef struct {
    uint32_t *items;
    size_t n, cap;
} index_list;

typedef struct {
    buf text; /* every string of the source, end to end */
    source_article *articles;
    size_t n_articles, cap_articles;
    span *sentences;
    size_t n_sentences, cap_sentences;
    paragraph *paragraphs;
    size_t n_paragraphs, cap_paragraphs;
    span *authors;
    size_t n_authors, cap_authors;
    uint32_t *author_count; /* per author: the articles signed so */
    json_t **sections;      /* the distinct articleSection values, as read */
    size_t n_sections, cap_sections;
    index_list *by_section;  /* per section: its articles */
    index_list *sent_by_sec; /* per section: its sentences */
    index_list *para_by_sec; /* per section: its paragraphs */
    /* Headline words: every headline word (split on spaces) as a word id, headlines end with
     * HEAD_END; contexts holds, sorted by key, every (two words before, position) pair, so
     * that the positions following a given pair of words are one range of it. */
    int32_t *hwords;
    size_t n_hwords, cap_hwords;
    uint32_t *head_start; /* per article: its first position in hwords */
    span *hvocab;
    size_t n_hvocab, cap_hvocab;
    struct context {
        uint64_t key; /* context_key of the two words before position pos */
        uint32_t pos;
    } * contexts;
    size_t n_contexts;
    counter freq; /* every source word's frequency (lower case) */
    stats real;   /* the statistics of the real corpus */
} source;

enum { HEAD_END = -1, HEAD_START = -2 };

static uint64_t context_key(int32_t a, int32_t b)
{
    return mix2((uint64_t)(uint32_t)a, (uint64_t)(uint32_t)b + 1);
}

static int context_cmp(const void *x, const void *y)
{
    const struct context *a = x, *b = y;
    return a->key < b->key ? -1 : a->key > b->key ? 1 : (a->pos > b->pos) - (a->pos < b->pos);
}

static span text_add(source *src, const char *s, size_t n)
{
    if (src->text.len + n >= UINT32_MAX)
        die("the source corpus is larger than 4 GB");
    span sp = {(uint32_t)src->text.len, (uint32_t)n};
    buf_add(&src->text, s, n);
    return sp;
}

static const char *span_ptr(const source *src, span sp)
{
    return src->text.p + sp.off;
}

static int is_upper_at(const char *s, size_t n)
{
    utf8proc_int32_t cp;
    if (n == 0 || utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &cp) <= 0)
        return 0;
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_LU;
}

/* Whether a sentence starts at s: a capital, or an opening quote then a capital. */
static int sentence_start(const char *s, size_t n)
{
    if (n >= 1 && s[0] == '"')
        return is_upper_at(s + 1, n - 1);
    if (n >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xab) /* « */
        return 1;
    return is_upper_at(s, n);
}

/* Splits a body into sentences and paragraphs.  A sentence ends at . ! or ? followed by a
 * sentence start, with a space between (same paragraph) or none (the next paragraph: the
 * source glued its paragraphs).  A single capital before the dot (M. Macron, S.N.C.F.) is an
 * abbreviation, not an end. */
static void split_body(source *src, source_article *a)
{
    const char *s = span_ptr(src, a->body);
    size_t n = a->body.len, start = 0;
    a->first_paragraph = (uint32_t)src->n_paragraphs;
    a->n_paragraphs = 0;
    a->glued = 0;
    paragraph cur = {(uint32_t)src->n_sentences, 0};
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '.' && s[i] != '!' && s[i] != '?')
            continue;
        if (s[i] == '.' && i >= 1 && s[i - 1] >= 'A' && s[i - 1] <= 'Z' &&
            (i < 2 || !((s[i - 2] | 0x20) >= 'a' && (s[i - 2] | 0x20) <= 'z')))
            continue;
        size_t j = i + 1;
        int spaced = 0;
        while (j < n && s[j] == ' ') {
            j++;
            spaced = 1;
        }
        if (j >= n || !sentence_start(s + j, n - j))
            continue;
        span sent = {a->body.off + (uint32_t)start, (uint32_t)(i + 1 - start)};
        VEC_PUSH(src->sentences, src->n_sentences, src->cap_sentences, sent);
        cur.n_sentences++;
        if (!spaced) {
            VEC_PUSH(src->paragraphs, src->n_paragraphs, src->cap_paragraphs, cur);
            a->n_paragraphs++;
            a->glued = 1;
            cur.first_sentence = (uint32_t)src->n_sentences;
            cur.n_sentences = 0;
        }
        start = j;
    }
    if (start < n) {
        span sent = {a->body.off + (uint32_t)start, (uint32_t)(n - start)};
        VEC_PUSH(src->sentences, src->n_sentences, src->cap_sentences, sent);
        cur.n_sentences++;
    }
    if (cur.n_sentences) {
        VEC_PUSH(src->paragraphs, src->n_paragraphs, src->cap_paragraphs, cur);
        a->n_paragraphs++;
    }
}

typedef struct {
    const char *key;
    size_t len;
    int32_t value;
} slot;

/* A small string-to-index map, for authors, sections and headline words at load time. */
typedef struct {
    slot *slots;
    size_t cap, used;
} strmap;

static uint64_t fnv(const char *s, size_t n)
{
    return hash_fnv1a(HASH_FNV1A_BASIS, s, n);
}

/* Returns the value of key, inserting `value` when absent (keys must outlive the map). */
static int32_t strmap_get(strmap *m, const char *key, size_t len, int32_t value)
{
    if ((m->used + 1) * 2 > m->cap) {
        strmap n = {calloc(m->cap ? m->cap * 2 : 1024, sizeof(slot)), m->cap ? m->cap * 2 : 1024,
                    0};
        if (!n.slots)
            die("out of memory");
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key)
                strmap_get(&n, m->slots[i].key, m->slots[i].len, m->slots[i].value);
        free(m->slots);
        *m = n;
    }
    size_t i = fnv(key, len) & (m->cap - 1);
    while (m->slots[i].key) {
        if (m->slots[i].len == len && memcmp(m->slots[i].key, key, len) == 0)
            return m->slots[i].value;
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i] = (slot){key, len, value};
    m->used++;
    return value;
}

static void list_push(index_list *l, uint32_t v)
{
    VEC_PUSH(l->items, l->n, l->cap, v);
}

/* A source word: counted in the frequencies and in the real corpus's statistics. */
static void source_word(void *ctx, size_t off, size_t len, uint64_t hash)
{
    source *src = ctx;
    counter_add(&src->freq, hash);
    stats_word(&src->real, off, len, hash);
}

/* Reads one line of any length from a gzip stream into b; returns 0 at the end. */
static int read_line(gzFile in, buf *b)
{
    b->len = 0;
    for (;;) {
        buf_reserve(b, 65536);
        if (!gzgets(in, b->p + b->len, (int)(b->cap - b->len)))
            return b->len > 0;
        b->len += strlen(b->p + b->len);
        if (b->len && b->p[b->len - 1] == '\n')
            return 1;
    }
}

static const char *str_field(json_t *o, const char *key, size_t *len)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return NULL;
    *len = json_string_length(v);
    return json_string_value(v);
}

/* Returns the index of key in map m, adding it (a copy) with the value `next` when absent. */
static int32_t intern(strmap *m, const char *key, size_t len, int32_t next)
{
    char *copy = strndup(key, len);
    if (!copy)
        die("out of memory");
    int32_t v = strmap_get(m, copy, len, next);
    if (v != next)
        free(copy);
    return v;
}

static void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free((char *)m->slots[i].key);
    free(m->slots);
}

/* Records the headline of the article just added as word ids, for the bigram walk. */
static void add_headline_words(source *src, strmap *hvocab, span headline)
{
    size_t n_heads = src->n_articles - 1; /* head_start grows with the articles, 1024 at a time */
    if (n_heads % 1024 == 0) {
        uint32_t *p = realloc(src->head_start, (n_heads + 1024) * sizeof *p);
        if (!p)
            die("out of memory");
        src->head_start = p;
    }
    src->head_start[n_heads] = (uint32_t)src->n_hwords;
    const char *hp = span_ptr(src, headline);
    size_t hl = headline.len;
    for (size_t i = 0; i < hl;) {
        while (i < hl && hp[i] == ' ')
            i++;
        size_t j = i;
        while (j < hl && hp[j] != ' ')
            j++;
        if (j > i) {
            int32_t id = intern(hvocab, hp + i, j - i, (int32_t)src->n_hvocab);
            if (id == (int32_t)src->n_hvocab) {
                span sp = {headline.off + (uint32_t)i, (uint32_t)(j - i)};
                VEC_PUSH(src->hvocab, src->n_hvocab, src->cap_hvocab, sp);
            }
            VEC_PUSH(src->hwords, src->n_hwords, src->cap_hwords, id);
        }
        i = j;
    }
    int32_t end = HEAD_END;
    VEC_PUSH(src->hwords, src->n_hwords, src->cap_hwords, end);
}

/* Builds the per-section lists and the occurrence index of headline words. */
static void source_index(source *src)
{
    src->by_section = calloc(src->n_sections, sizeof *src->by_section);
    src->sent_by_sec = calloc(src->n_sections, sizeof *src->sent_by_sec);
    src->para_by_sec = calloc(src->n_sections, sizeof *src->para_by_sec);
    src->contexts = calloc(src->n_hwords + 1, sizeof *src->contexts);
    if (!src->by_section || !src->sent_by_sec || !src->para_by_sec || !src->contexts)
        die("out of memory");
    src->author_count = calloc(src->n_authors + 1, sizeof *src->author_count);
    if (!src->author_count)
        die("out of memory");
    for (size_t i = 0; i < src->n_articles; i++) {
        const source_article *a = &src->articles[i];
        list_push(&src->by_section[a->section], (uint32_t)i);
        if (a->author >= 0)
            src->author_count[a->author]++;
        for (uint32_t p = 0; p < a->n_paragraphs; p++) {
            const paragraph *para = &src->paragraphs[a->first_paragraph + p];
            list_push(&src->para_by_sec[a->section], a->first_paragraph + p);
            for (uint32_t k = 0; k < para->n_sentences; k++)
                list_push(&src->sent_by_sec[a->section], para->first_sentence + k);
        }
    }
    /* Every headline position p and the two words before it (HEAD_START before the first). */
    for (size_t h = 0; h < src->n_articles; h++)
        for (uint32_t p = src->head_start[h], k = 0;; p++, k++) {
            int32_t a = k >= 2 ? src->hwords[p - 2] : HEAD_START,
                    b = k >= 1 ? src->hwords[p - 1] : HEAD_START;
            src->contexts[src->n_contexts++] = (struct context){context_key(a, b), p};
            if (src->hwords[p] == HEAD_END)
                break;
        }
    qsort(src->contexts, src->n_contexts, sizeof *src->contexts, context_cmp);
}

static void source_load(source *src, const char *path)
{
    memset(src, 0, sizeof *src);
    gzFile in = gzopen(path, "rb");
    if (!in) {
        fprintf(stderr, "synth_generate: cannot read the source corpus %s: %s\n", path,
                strerror(errno));
        exit(2);
    }
    counter_init(&src->freq, 19, 0);
    stats_init(&src->real, 0);
    strmap authors = {0}, sections = {0}, hvocab = {0};
    buf line = {0};
    size_t lineno = 0;
    while (read_line(in, &line)) {
        lineno++;
        json_error_t err;
        json_t *o = json_loadb(line.p, line.len, 0, &err);
        if (!o) {
            fprintf(stderr, "synth_generate: %s:%zu: skipped: %s\n", path, lineno, err.text);
            continue;
        }
        size_t hl = 0, dl = 0, bl = 0, al = 0;
        const char *h = str_field(o, "headline", &hl), *d = str_field(o, "description", &dl),
                   *b = str_field(o, "articleBody", &bl), *au = str_field(o, "author", &al);
        json_t *sec = json_object_get(o, "articleSection");
        if (!h || !hl || !sec) {
            fprintf(stderr, "synth_generate: %s:%zu: skipped: no headline or section\n", path,
                    lineno);
            json_decref(o);
            continue;
        }
        source_article a = {0};
        a.headline = text_add(src, h, hl);
        a.description = d ? text_add(src, d, dl) : (span){0, UINT32_MAX};
        a.body = text_add(src, b ? b : "", b ? bl : 0);
        a.modified = json_object_get(o, "dateModified") != NULL;
        a.author = -1;
        if (au && al) {
            a.author = intern(&authors, au, al, (int32_t)src->n_authors);
            if (a.author == (int32_t)src->n_authors) {
                span sp = text_add(src, au, al);
                VEC_PUSH(src->authors, src->n_authors, src->cap_authors, sp);
            }
        }
        char *sec_key = json_dumps(sec, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!sec_key)
            die("out of memory");
        a.section = intern(&sections, sec_key, strlen(sec_key), (int32_t)src->n_sections);
        free(sec_key);
        if (a.section == (int32_t)src->n_sections)
            VEC_PUSH(src->sections, src->n_sections, src->cap_sections, json_incref(sec));
        json_decref(o);

        split_body(src, &a);
        VEC_PUSH(src->articles, src->n_articles, src->cap_articles, a);
        add_headline_words(src, &hvocab, a.headline);

        /* Word frequencies and the real corpus's statistics, over the same fields as the output. */
        const source_article *sa = &src->articles[src->n_articles - 1];
        span fields[3] = {sa->headline, sa->description, sa->body};
        for (int f = 0; f < 3; f++)
            if (fields[f].len != UINT32_MAX)
                for_each_word(span_ptr(src, fields[f]), fields[f].len, source_word, src);
        stats_end_article(&src->real);
    }
    gzclose(in);
    free(line.p);
    strmap_free(&authors);
    strmap_free(&sections);
    strmap_free(&hvocab);
    if (src->n_articles == 0) {
        fprintf(stderr, "synth_generate: %s holds no article\n", path);
        exit(2);
    }
    /* The last prefix of the real corpus is a checkpoint too. */
    stats_mark(&src->real);
    source_index(src);
}

/* ---- composing an article ---------------------------------------------------------------- */

/* The text of an article before its rare words are varied, and its metadata. */
typedef struct {
    buf headline, description, body;
    int has_description, modified;
    int32_t author, section;
} content;

/* Streams of the per-article generator, so that each decision is drawn independently. */
enum { STREAM_CONTENT = 1, STREAM_COPY = 2, STREAM_DATE = 3, STREAM_HEADLINE = 4 };

static uint32_t pick(rng *r, const index_list *l)
{
    return l->items[rng_below(r, l->n)];
}

static void add_span(buf *b, const source *src, span sp)
{
    buf_add(b, span_ptr(src, sp), sp.len);
}

static void add_paragraph(buf *b, const source *src, const paragraph *p)
{
    for (uint32_t k = 0; k < p->n_sentences; k++) {
        if (k)
            buf_add(b, " ", 1);
        add_span(b, src, src->sentences[p->first_sentence + k]);
    }
}

/* The range of contexts whose key is key: *first and the count. */
static size_t context_range(const source *src, uint64_t key, size_t *first)
{
    size_t lo = 0, hi = src->n_contexts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (src->contexts[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < src->n_contexts && src->contexts[end].key == key)
        end++;
    *first = lo;
    return end - lo;
}

/* A headline: a walk through the real headlines' word trigrams (each word follows the two
 * before it somewhere in a real headline), from the start of a real headline of the section,
 * at most twice as long as that headline plus two words. */
static void compose_headline(const source *src, rng *r, int32_t section, buf *out)
{
    out->len = 0;
    uint32_t h = pick(r, &src->by_section[section]);
    uint32_t pos = src->head_start[h], len = 0;
    while (src->hwords[pos + len] != HEAD_END)
        len++;
    if (len == 0) { /* a headline of spaces only: take it as it is */
        add_span(out, src, src->articles[h].headline);
        return;
    }
    uint32_t max = 2 * len + 2 < HEADLINE_MAX_WORDS ? 2 * len + 2 : HEADLINE_MAX_WORDS;
    int32_t a = HEAD_START, b = src->hwords[pos];
    for (uint32_t n = 0; n < max && b != HEAD_END; n++) {
        if (n)
            buf_add(out, " ", 1);
        add_span(out, src, src->hvocab[b]);
        size_t first, count = context_range(src, context_key(a, b), &first);
        a = b;
        b = count ? src->hwords[src->contexts[first + rng_below(r, count)].pos] : HEAD_END;
    }
}

/* The original content of article j (for a copy, the article it repeats composes it). */
static void compose(const source *src, uint64_t seed, uint64_t j, content *c)
{
    rng r;
    rng_seed(&r, seed, j * 8 + STREAM_CONTENT);
    const source_article *t = &src->articles[rng_below(&r, src->n_articles)];
    c->section = t->section;
    c->modified = t->modified;
    c->author = src->articles[rng_below(&r, src->n_articles)].author;

    c->body.len = 0;
    if (c->body.p)
        c->body.p[0] = '\0';
    const index_list *paras = &src->para_by_sec[t->section], *sents = &src->sent_by_sec[t->section];
    for (uint32_t p = 0; p < t->n_paragraphs; p++) {
        const paragraph *para = &src->paragraphs[t->first_paragraph + p];
        if (p && !t->glued)
            buf_add(&c->body, " ", 1);
        double u = rng_unit(&r);
        if (u < 0.35) {
            add_paragraph(&c->body, src, para);
            continue;
        }
        if (u < 0.60) {
            const paragraph *other = &src->paragraphs[pick(&r, paras)];
            /* Within a factor of two either way, so that lengths keep their distribution. */
            if (2 * other->n_sentences + 1 >= para->n_sentences &&
                other->n_sentences <= 2 * para->n_sentences + 1) {
                add_paragraph(&c->body, src, other);
                continue;
            }
        }
        for (uint32_t k = 0; k < para->n_sentences; k++) {
            if (k)
                buf_add(&c->body, " ", 1);
            span sp = rng_unit(&r) < 0.30 ? src->sentences[para->first_sentence + k]
                                          : src->sentences[pick(&r, sents)];
            add_span(&c->body, src, sp);
        }
    }

    c->has_description = t->description.len != UINT32_MAX;
    c->description.len = 0;
    if (c->has_description) {
        const source_article *d = t;
        for (int tries = 0; tries < 8; tries++) {
            const source_article *o = &src->articles[pick(&r, &src->by_section[t->section])];
            if (o->description.len != UINT32_MAX) {
                d = o;
                break;
            }
        }
        add_span(&c->description, src, d->description);
    }
    rng hr;
    rng_seed(&hr, seed, j * 8 + STREAM_HEADLINE);
    compose_headline(src, &hr, t->section, &c->headline);
}

/* Whether article i republishes an earlier one: returns that article's index (itself not a
 * copy), or -1; *new_headline says whether the copy has a headline of its own. */
static int64_t copy_of(uint64_t seed, uint64_t i, int *new_headline)
{
    int64_t j = (int64_t)i, found = -1;
    *new_headline = 0;
    for (;;) {
        rng r;
        rng_seed(&r, seed, (uint64_t)j * 8 + STREAM_COPY);
        if (j == 0 || rng_unit(&r) >= COPY_SHARE)
            return found;
        uint64_t window = (uint64_t)j < COPY_WINDOW ? (uint64_t)j : COPY_WINDOW;
        if (found < 0)
            *new_headline = rng_below(&r, 2) == 0;
        else
            rng_below(&r, 2);
        j = j - 1 - (int64_t)rng_below(&r, window);
        found = j;
    }
}

/* ---- new words: derived forms of rare words ---------------------------------------------- */

static const char SYLLABLES[16][4] = {"bal", "dor", "kin", "lur", "mok", "nap", "pir", "rov",
                                      "sul", "tam", "vik", "zor", "gan", "fel", "hod", "jun"};

/* Appends the suffix naming variant k >= 1: k in bijective base 16, one syllable a digit. */
static void add_suffix(buf *b, uint64_t k)
{
    char tmp[64];
    int n = 0;
    while (k > 0 && n < 60) {
        k--;
        memcpy(tmp + n, SYLLABLES[k % 16], 3);
        n += 3;
        k /= 16;
    }
    buf_add(b, tmp, (size_t)n);
}

/* The variant a rare word takes in article j: 0 (kept) or k >= 1, from its lower-case hash. */
static uint64_t variant(uint64_t seed, uint64_t j, uint64_t word_hash)
{
    double u = hash_unit(mix2(mix2(seed, j), word_hash));
    if (u < KEEP_SHARE)
        return 0;
    double v = (u - KEEP_SHARE) / (1 - KEEP_SHARE); /* uniform in [0, 1) */
    double k = pow(1 - v, -1 / PARETO_A);
    return k >= 1e12 ? (uint64_t)1e12 : (uint64_t)k;
}

typedef struct {
    const source *src;
    uint64_t seed, j;
    const char *in;
    size_t done; /* bytes of `in` already copied */
    buf *out;
} vary_ctx;

static void vary_word(void *ctx, size_t off, size_t len, uint64_t hash)
{
    vary_ctx *v = ctx;
    if (counter_get(&v->src->freq, hash) > RARE_MAX)
        return;
    uint64_t k = variant(v->seed, v->j, hash);
    if (!k)
        return;
    buf_add(v->out, v->in + v->done, off + len - v->done);
    v->done = off + len;
    add_suffix(v->out, k);
}

/* Copies text into out with the rare words varied as article j varies them. */
static void vary(const source *src, uint64_t seed, uint64_t j, const buf *text, buf *out)
{
    out->len = 0;
    buf_reserve(out, text->len + 64);
    out->p[0] = '\0';
    vary_ctx v = {src, seed, j, text->p ? text->p : "", 0, out};
    for_each_word(v.in, text->len, vary_word, &v);
    buf_add(out, v.in + v.done, text->len - v.done);
}

/* ---- dates ------------------------------------------------------------------------------- */

static const int64_t DATE_FIRST = 788918400; /* 1995-01-01T00:00:00Z */
static const int64_t DATE_END = 1798761600;  /* 2027-01-01T00:00:00Z */

/* Article i of n: the density of dates grows linearly, 4 times higher at the end. */
static int64_t date_of(uint64_t i, uint64_t n)
{
    double x = ((double)i + 0.5) / (double)n, t = (-1 + sqrt(1 + 15 * x)) / 3;
    return DATE_FIRST + (int64_t)(t * (double)(DATE_END - DATE_FIRST));
}

/* ISO 8601 in Paris time, roughly: +02:00 from April to October, else +01:00. */
static void format_date(int64_t ts, char out[48])
{
    time_t t = (time_t)ts;
    struct tm tm;
    gmtime_r(&t, &tm);
    int off = tm.tm_mon >= 3 && tm.tm_mon <= 9 ? 2 : 1;
    t += off * 3600;
    gmtime_r(&t, &tm);
    snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d+0%d:00", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off);
}

/* ---- the report -------------------------------------------------------------------------- */

static void print_lengths(FILE *f, const char *name, const stats *s)
{
    fprintf(f, "%-10s %9" PRIu64 " %8.0f %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64 "\n",
            name, s->articles, s->articles ? (double)s->total_words / (double)s->articles : 0.0,
            stats_length_quantile(s, 0.10), stats_length_quantile(s, 0.50),
            stats_length_quantile(s, 0.90), stats_length_quantile(s, 0.99));
}

static void report(FILE *f, const source *src, const char *source_path, const stats *out,
                   uint64_t n, uint64_t seed, uint64_t copies, uint64_t body_bytes)
{
    /* Heaps' law V = K N^b, least squares on the real corpus's prefixes of 1,000 articles or more.
     */
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int m = 0;
    for (int i = 0; i < src->real.n_points; i++) {
        const checkpoint *p = &src->real.points[i];
        if (p->articles < 1000)
            continue;
        double x = log((double)p->articles), y = log(p->vocabulary);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        m++;
    }
    double b = m > 1 ? (m * sxy - sx * sy) / (m * sxx - sx * sx) : 0.5,
           k = exp((sy - b * sx) / (m ? m : 1));
    fprintf(f,
            "synthetic archive: %" PRIu64 " articles, seed %" PRIu64 ", from %s (%zu articles)\n",
            n, seed, source_path, src->n_articles);
    fprintf(f, "republished copies: %" PRIu64 " (%.1f%%)\n", copies,
            n ? 100.0 * (double)copies / (double)n : 0);
    fprintf(f, "body text: %" PRIu64 " bytes (%.1f MB)\n", body_bytes, (double)body_bytes / 1e6);
    fprintf(f,
            "\nvocabulary (distinct lower-case words of headline, chapô and body) against N;\n"
            "Heaps' law fitted on the real corpus's prefixes: V = %.1f N^%.3f\n",
            k, b);
    fprintf(f, "%-10s %9s %12s %11s %7s %11s %7s\n", "archive", "articles", "words", "vocabulary",
            "hapax", "Heaps' fit", "ratio");
    const stats *both[2] = {&src->real, out};
    const char *names[2] = {"real", "synthetic"};
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < both[w]->n_points; i++) {
            const checkpoint *p = &both[w]->points[i];
            double fit = k * pow((double)p->articles, b);
            fprintf(f, "%-10s %9" PRIu64 " %12" PRIu64 " %11.0f %6.1f%% %11.0f %7.2f\n", names[w],
                    p->articles, p->words, p->vocabulary, 100 * p->hapax_share, fit,
                    p->vocabulary / fit);
        }
    if (out->words.level)
        fprintf(f,
                "(synthetic vocabulary beyond 2^19 words: estimated from a 1/%.0f hash sample)\n",
                ldexp(1.0, (int)out->words.level));
    fprintf(f, "\ndocument length in words (headline + chapô + body)\n");
    fprintf(f, "%-10s %9s %8s %6s %6s %6s %6s\n", "archive", "articles", "mean", "p10", "p50",
            "p90", "p99");
    print_lengths(f, "real", &src->real);
    print_lengths(f, "synthetic", out);
}

/* ---- main -------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(
        stderr,
        "usage: synth_generate [--seed S] [--source CORPUS.jsonl.gz] [--quiet] N OUT.jsonl.gz|-\n"
        "  writes N synthetic NewsArticle lines recombined from the real corpus (default\n"
        "  %s), then prints the vocabulary, hapax share and lengths of both\n",
        KQ_DEFAULT_CORPUS);
    exit(2);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return 0;
    *v = x;
    return 1;
}

/* Sets a string member of o to the n bytes at s (valid UTF-8: they come from the source). */
static void set_text(json_t *o, const char *key, const char *s, size_t n)
{
    json_t *v = json_stringn(s, n);
    if (!v)
        die("an article's text is not valid UTF-8");
    json_object_set_new(o, key, v);
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, n = 0;
    const char *source_path =
        getenv("KQ_SYNTH_SOURCE") ? getenv("KQ_SYNTH_SOURCE") : KQ_DEFAULT_CORPUS;
    const char *pos[2] = {NULL, NULL};
    int n_pos = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], &seed))
                usage();
        } else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
            source_path = argv[++i];
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = 1;
        else if (n_pos < 2 && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
            pos[n_pos++] = argv[i];
        else
            usage();
    }
    if (n_pos != 2 || !parse_u64(pos[0], &n) || n == 0)
        usage();
    const char *out_path = pos[1];
    int to_stdout = strcmp(out_path, "-") == 0;
    size_t ol = strlen(out_path);
    int gz = ol > 3 && strcmp(out_path + ol - 3, ".gz") == 0;

    source src;
    source_load(&src, source_path);

    char *part = NULL;
    gzFile out;
    if (to_stdout)
        out = gzdopen(1, "wT");
    else {
        part = malloc(ol + 6);
        if (!part)
            die("out of memory");
        snprintf(part, ol + 6, "%s.part", out_path);
        out = gzopen(part, gz ? "wb1" : "wT");
    }
    if (!out) {
        fprintf(stderr, "synth_generate: cannot write %s: %s\n", part ? part : "stdout",
                strerror(errno));
        return 2;
    }
    gzbuffer(out, 1 << 20);

    stats st;
    stats_init(&st, (size_t)1 << 19);
    content c = {0};
    buf headline = {0}, description = {0}, body = {0}, author = {0};
    uint64_t copies = 0, body_bytes = 0;
    time_t started = time(NULL);
    for (uint64_t i = 0; i < n; i++) {
        int new_headline;
        int64_t j = copy_of(seed, i, &new_headline);
        uint64_t origin = j >= 0 ? (uint64_t)j : i;
        copies += j >= 0;
        compose(&src, seed, origin, &c);
        vary(&src, seed, origin, &c.body, &body);
        vary(&src, seed, origin, &c.description, &description);
        if (j >= 0 && new_headline) {
            rng hr;
            rng_seed(&hr, seed, i * 8 + STREAM_HEADLINE);
            compose_headline(&src, &hr, c.section, &c.headline);
            vary(&src, seed, i, &c.headline, &headline);
        } else
            vary(&src, seed, origin, &c.headline, &headline);

        json_t *o = json_object();
        char id[32], date[48], url[96];
        snprintf(id, sizeof id, "%" PRIu64, i + 1);
        json_object_set_new(o, "@type", json_string("NewsArticle"));
        json_object_set_new(o, "identifier", json_string(id));
        json_t *sec = src.sections[c.section];
        const char *sec_name =
            json_is_array(sec) ? json_string_value(json_array_get(sec, 0)) : json_string_value(sec);
        snprintf(url, sizeof url, "https://archive.example/%s/%s.html",
                 sec_name ? sec_name : "news", id);
        json_object_set_new(o, "url", json_string(url));
        set_text(o, "headline", headline.p, headline.len);
        if (c.has_description)
            set_text(o, "description", description.p, description.len);
        set_text(o, "articleBody", body.p ? body.p : "", body.len);
        body_bytes += body.len;
        if (c.author >= 0) {
            author.len = 0;
            add_span(&author, &src, src.authors[c.author]);
            /* A rarely seen signature is a person: take a new one's name, as archives do. */
            if (src.author_count[c.author] <= RARE_MAX) {
                uint64_t k = variant(seed, origin, mix2(0xa0, (uint64_t)c.author));
                if (k)
                    add_suffix(&author, k);
            }
            set_text(o, "author", author.p, author.len);
        }
        rng dr;
        rng_seed(&dr, seed, i * 8 + STREAM_DATE);
        int64_t ts = date_of(i, n);
        format_date(ts, date);
        json_object_set_new(o, "datePublished", json_string(date));
        if (c.modified) {
            format_date(ts + 3600 + (int64_t)rng_below(&dr, 47 * 3600), date);
            json_object_set_new(o, "dateModified", json_string(date));
        }
        json_object_set(o, "articleSection", sec);
        json_object_set_new(o, "inLanguage", json_string("fr"));
        char *line = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!line)
            die("out of memory");
        size_t ll = strlen(line);
        line[ll] = '\n';
        if (gzwrite(out, line, (unsigned)(ll + 1)) != (int)(ll + 1)) {
            int e;
            fprintf(stderr, "synth_generate: writing %s failed: %s\n", part ? part : "stdout",
                    gzerror(out, &e));
            if (part)
                remove(part);
            return 2;
        }
        free(line);

        stats_text(&st, headline.p, headline.len);
        if (c.has_description)
            stats_text(&st, description.p, description.len);
        stats_text(&st, body.p ? body.p : "", body.len);
        stats_end_article(&st);
        if (!quiet && (i + 1) % 100000 == 0) {
            double el = difftime(time(NULL), started);
            fprintf(stderr, "synth_generate: %" PRIu64 " articles, %.0f s, %.0f articles/s\n",
                    i + 1, el, el > 0 ? (double)(i + 1) / el : 0);
        }
    }
    stats_mark(&st);
    int zr = gzclose(out);
    if (zr != Z_OK) {
        fprintf(stderr, "synth_generate: closing %s failed (zlib error %d): the disk may be full\n",
                part ? part : "stdout", zr);
        if (part)
            remove(part);
        return 2;
    }
    if (part && rename(part, out_path) != 0) {
        fprintf(stderr, "synth_generate: cannot rename %s to %s: %s\n", part, out_path,
                strerror(errno));
        remove(part);
        return 2;
    }
    report(to_stdout ? stderr : stdout, &src, source_path, &st, n, seed, copies, body_bytes);
    free(part);
    free(headline.p);
    free(description.p);
    free(body.p);
    free(author.p);
    free(c.headline.p);
    free(c.description.p);
    free(c.body.p);
    counter_free(&st.words);
    return 0;
}
