#include "search.h"

#include <jansson.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "date.h"
#include "dbpath.h"
#include "document.h"
#include "index.h"
#include "json_writer.h"
#include "query.h"
#include "snippet.h"

/* Ranking: a query word matches its stem (économiques for économie); the
 * word exactly as typed and its accents as typed add a little on top. */
/* Two kinds of queries are ranked apart (tuned with bench/relevance on
 * half A of each set, half B held out):
 *  - keywords: a few content words and no function word (`gilets jaunes
 *    Bercy`), every word required: a reader recalling an article.  The
 *    word as typed counts four times its stem (a stem-only match is often
 *    another word: expertise for expertiser), term frequency saturates
 *    early and length is normalised less; a headline holding every word
 *    ranks higher (rank_again).  News known-item sets, half A: headline
 *    words MRR@10 0.906 -> 0.958, body words 0.918 -> 0.930.
 *  - sentences: a question or a pasted passage (any function word among
 *    the words, or more than KEYWORD_MAX_WORDS content words): the stem
 *    counts most (questions paraphrase), full length normalisation; with
 *    more than LONG_QUERY_WORDS content words, ranked partial matching.
 * The word exactly as typed, accents included, adds a little in both. */
struct ranking {
    double stem, surface; /* weights of the stem and of the word as typed */
    double k1, b;         /* BM25 */
    double headline;      /* HEADLINE_WEIGHT when the headline holds every word; 0: none */
};
static const struct ranking RANK_KEYWORDS = {
    .stem = 0.5, .surface = 2.0, .k1 = 0.8, .b = 0.75, .headline = 0.5};
/* Tuned on PIAF and FQuAD (k1 1.2 rather than Xapian's 1: term frequency
 * saturates a little later; b 1: news bodies vary from a line to pages). */
static const struct ranking RANK_SENTENCES = {.stem = 1.0, .surface = 0.35, .k1 = 1.2, .b = 1.0};
#define WEIGHT_EXACT 0.05
#define WEIGHT_TITLE_SURFACE 0.35 /* titre:word as typed, beside its stem */
/* A query with more content words than this is read as a pasted sentence
 * or a question when it holds function words too (tuned on the PIAF and
 * FQuAD relevance sets: 4 gave MRR@10 0.657, 2 0.682). */
#define LONG_QUERY_WORDS 2
/* Up to this many content words without function words are keywords. */
#define KEYWORD_MAX_WORDS 4
/* Short documents are not favoured below a tenth of the average length. */
#define BM25_MIN_NORMLEN 0.1
/* Prefix searches expand to at most this many words, the most frequent. */
#define PREFIX_EXPANSION 64
/* Matches examined beyond the page: none.  Xapian then stops weighing
 * copies and freshness for matches that cannot reach the page, and totals
 * above a page are its estimate (total_exact false); an exact count is what
 * facets are for (they examine every match).  Measured on 2-word queries of
 * the 36k corpus: 257 here cost 8% more instructions per query. */
#define CHECK_AT_LEAST 0
/* Beyond the page, results are counted (copies collapsed) when at most this
 * many articles can match (Xapian's bound): the total is then exact.
 * Larger totals are announced by a true lower bound ("plus de"): Xapian's
 * estimate was measured far off (median +45% on the dev query sets:
 * correlated words, phrases).  Measured with callgrind on 200 queries of
 * bench/query (36k corpus): counting up to 1,000 costs 2.5% more
 * instructions on mixed 1-3 word queries, 2.9% on 2-word ones (400: 0.9%
 * and 1.0%); counting every total cost 38% on mixed queries. */
#define COUNT_MATCHES 1000
#define MAX_RETRIES 5

struct search_engine {
    index_db *index;
    analyzer *analyzer;
    document_reader *reader; /* reads the hits' document data (fill_hit) */
    /* The freshness weights of the last query, reused while the newest day
     * of the archive and the half-life stay the same (building them costs
     * more than the search itself). */
    index_query *freshness;
    char freshness_day[16];
    double freshness_half_life;
    unsigned refresh_ms; /* search_set_refresh_interval */
    int debug_query;     /* KQ_DEBUG_QUERY set: each Xapian query goes to stderr (ranking work) */
    double refreshed_at; /* now_ms() of the last look for a new revision; 0 never */
    char error[1024];
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void search_set_refresh_interval(search_engine *e, unsigned ms)
{
    e->refresh_ms = ms;
}

/* Opens the latest committed revision of the index, unless it was looked
 * for less than refresh_ms ago; `force` (a search found its revision gone)
 * always does. */
static kq_status refresh(search_engine *e, int force)
{
    double now = now_ms();
    if (!force && e->refreshed_at > 0 && now - e->refreshed_at < e->refresh_ms)
        return KQ_OK;
    kq_status st = index_reopen(e->index);
    if (st == KQ_OK)
        e->refreshed_at = now;
    return st;
}

kq_status search_refresh(search_engine *e)
{
    return refresh(e, 1);
}

static void set_error(search_engine *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->error, sizeof e->error, fmt, ap);
    va_end(ap);
}

search_engine *search_open(const char *db_dir, kq_status *status, char *err, size_t err_size)
{
    char path[PATH_MAX];
    search_engine *e = calloc(1, sizeof *e);
    if (!e) {
        *status = KQ_ERR_NOMEM;
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (dbpath_join(db_dir, DBPATH_XAPIAN, path, sizeof path) != 0) {
        *status = KQ_ERR_INVALID;
        snprintf(err, err_size, "database path too long: %s", db_dir);
        goto fail;
    }
    e->index = index_open(path, INDEX_READ, status, err, err_size);
    if (!e->index) {
        if (*status == KQ_ERR_NOT_FOUND)
            snprintf(err, err_size,
                     "no index at %s; create one with: indexer --db %s add ARTICLES.jsonl", db_dir,
                     db_dir);
        goto fail;
    }
    e->analyzer = analyzer_new();
    if (!e->analyzer) {
        *status = KQ_ERR_NOMEM;
        snprintf(err, err_size, "cannot create the French analyzer");
        goto fail;
    }
    e->debug_query = getenv("KQ_DEBUG_QUERY") != NULL;
    e->reader = document_reader_new();
    if (!e->reader) {
        *status = KQ_ERR_NOMEM;
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    *status = KQ_OK;
    return e;
fail:
    search_close(e);
    return NULL;
}

void search_close(search_engine *e)
{
    if (!e)
        return;
    index_close(e->index);
    analyzer_free(e->analyzer);
    document_reader_free(e->reader);
    index_query_free(e->freshness);
    free(e);
}

const char *search_last_error(const search_engine *e)
{
    return e->error;
}

/* ---- From the query tree to a Xapian query ---------------------------- */

/* One analysed token of a query word. */
struct qtoken {
    char term[DOCUMENT_MAX_TERM + 1];
    char exact[DOCUMENT_MAX_TERM + 1];
    char stem[DOCUMENT_MAX_TERM + 1];
    unsigned flags;
};

#define MAX_WORD_TOKENS 16

struct qtokens {
    struct qtoken t[MAX_WORD_TOKENS];
    size_t n;
};

static int collect_token(void *ctx, const analyzer_token *tok)
{
    struct qtokens *q = ctx;
    if (tok->term_len > DOCUMENT_MAX_TERM || tok->exact_len > DOCUMENT_MAX_TERM ||
        tok->stem_len > DOCUMENT_MAX_TERM)
        return 0;
    if (q->n == MAX_WORD_TOKENS)
        return 1;
    struct qtoken *t = &q->t[q->n++];
    memcpy(t->term, tok->term, tok->term_len + 1);
    memcpy(t->exact, tok->exact, tok->exact_len + 1);
    memcpy(t->stem, tok->stem, tok->stem_len + 1);
    t->flags = tok->flags;
    return 0;
}

/* The headline terms of a query's words (ZS stem, or S word for a word
 * searched as written), for ranking a headline match by the headline's own
 * length (rank_again). */
#define HEADLINE_MAX_TERMS 32
struct headline {
    char terms[HEADLINE_MAX_TERMS][DOCUMENT_MAX_TERM + 4];
    const char *ptrs[HEADLINE_MAX_TERMS];
    size_t n;
};

static void headline_add(struct headline *h, const char *prefix, const char *term)
{
    if (!h || h->n == HEADLINE_MAX_TERMS)
        return;
    char buf[DOCUMENT_MAX_TERM + 4];
    if ((size_t)snprintf(buf, sizeof buf, "%s%s", prefix, term) >= sizeof buf)
        return;
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->terms[i], buf) == 0)
            return;
    memcpy(h->terms[h->n], buf, strlen(buf) + 1);
    h->ptrs[h->n] = h->terms[h->n];
    h->n++;
}

static const struct ranking *ranking_of(int sentence)
{
    return sentence ? &RANK_SENTENCES : &RANK_KEYWORDS;
}

struct builder {
    search_engine *e;
    struct headline *headline; /* NULL: not collected */
    snippet_terms *marks;
    int partial;       /* words are alternatives (OR) instead of all required */
    int keep_stops;    /* the query has nothing but stop words: search them */
    int relax_phrases; /* a phrase matches its words, and ranks higher as a phrase */
    int sentence;      /* ranked as a sentence (struct ranking), not as keywords */
    kq_status status;
};

static index_query *term_with_prefix(const char *prefix, const char *term, double scale)
{
    char buf[DOCUMENT_MAX_TERM * 2 + 8];
    snprintf(buf, sizeof buf, "%s%s", prefix, term);
    index_query *q = index_query_term(buf, 1);
    if (q && scale != 1.0) {
        index_query *s = index_query_scale(q, scale);
        index_query_free(q);
        q = s;
    }
    return q;
}

static index_query *combine_free(enum index_op op, index_query **subs, size_t n, unsigned window)
{
    index_query *q = NULL;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (subs[i])
            subs[kept++] = subs[i];
    if (kept == 1 && op != INDEX_OP_PHRASE)
        return subs[0];
    if (kept)
        q = index_query_combine(op, subs, kept, window);
    for (size_t i = 0; i < kept; i++)
        index_query_free(subs[i]);
    return q;
}

/* Names and brands are searched as written, not by their stem, so that
 * `openai` (stem "open") does not find "open bar".  Which words are names is
 * learned from the archive: a word most of whose articles write it with a
 * capital inside a sentence (see DOCUMENT_PREFIX_CAPITALISED).  Term
 * frequencies add up over shards, so this holds for a remote index too. */
#define NAME_MIN_ARTICLES 1
static int is_name(struct builder *b, const struct qtoken *t)
{
    char buf[DOCUMENT_MAX_TERM + 8];
    uint64_t all = 0, capitalised = 0;
    if (strcmp(t->term, t->stem) == 0)
        return 0; /* stemming would change nothing */
    if (index_term_freq(b->e->index, t->term, &all) != KQ_OK || all < NAME_MIN_ARTICLES)
        return 0;
    snprintf(buf, sizeof buf, "%s%s", DOCUMENT_PREFIX_CAPITALISED, t->term);
    if (index_term_freq(b->e->index, buf, &capitalised) != KQ_OK)
        return 0;
    return capitalised * 2 > all;
}

static int found_term(void *ctx, const char *term, uint64_t freq)
{
    (void)term;
    (void)freq;
    *(int *)ctx = 1;
    return 1;
}

/* The exact form of a word typed without accents (`cote`): the articles
 * that write it so and never with accents (côte, coté) rank a little higher,
 * as an accented word typed with its accents does.  The accented forms are
 * the E terms of the folded word; a word the archive never writes with
 * accents (most words) needs nothing.  NULL when there is nothing to add. */
static index_query *unaccented_query(struct builder *b, const char *term)
{
    char prefix[DOCUMENT_MAX_TERM + 8];
    int accented = 0;
    snprintf(prefix, sizeof prefix, "%s%s:", DOCUMENT_PREFIX_EXACT, term);
    if (index_terms_with_prefix(b->e->index, prefix, 1, found_term, &accented) != KQ_OK ||
        !accented)
        return NULL;
    index_query *pair[2] = {term_with_prefix("", term, WEIGHT_EXACT),
                            index_query_wildcard(prefix, 0)};
    if (!pair[0] || !pair[1]) {
        index_query_free(pair[0]);
        index_query_free(pair[1]);
        return NULL;
    }
    return combine_free(INDEX_OP_AND_NOT, pair, 2, 0);
}

/* The query of one analysed token searched anywhere in the text. */
static index_query *token_query(struct builder *b, const struct qtoken *t)
{
    if ((t->flags & TOKEN_NUMBER) || is_name(b, t)) {
        snippet_terms_add(b->marks, t->term, NULL);
        headline_add(b->headline, DOCUMENT_PREFIX_TITLE, t->term);
        return index_query_term(t->term, 1);
    }
    snippet_terms_add(b->marks, t->term, t->stem);
    headline_add(b->headline, "Z" DOCUMENT_PREFIX_TITLE, t->stem);
    index_query *alt[3] = {
        term_with_prefix(DOCUMENT_PREFIX_STEM, t->stem, ranking_of(b->sentence)->stem),
        term_with_prefix("", t->term, ranking_of(b->sentence)->surface),
        NULL,
    };
    if (strcmp(t->exact, t->term) != 0) {
        char buf[DOCUMENT_MAX_TERM * 2 + 2];
        snprintf(buf, sizeof buf, "%s:%s", t->term, t->exact);
        alt[2] = term_with_prefix(DOCUMENT_PREFIX_EXACT, buf, WEIGHT_EXACT);
    } else {
        alt[2] = unaccented_query(b, t->term);
    }
    return combine_free(INDEX_OP_OR, alt, 3, 0);
}

static index_query *field_token_query(struct builder *b, const struct qtoken *t,
                                      enum query_field field)
{
    switch (field) {
    case QUERY_FIELD_TITLE: {
        snippet_terms_add(b->marks, t->term, t->stem);
        index_query *alt[2] = {
            term_with_prefix("Z" DOCUMENT_PREFIX_TITLE, t->stem, 1.0),
            term_with_prefix(DOCUMENT_PREFIX_TITLE, t->term, WEIGHT_TITLE_SURFACE)};
        return combine_free(INDEX_OP_OR, alt, 2, 0);
    }
    case QUERY_FIELD_AUTHOR:
        return term_with_prefix(DOCUMENT_PREFIX_AUTHOR, t->term, 1.0);
    case QUERY_FIELD_KEYWORD:
        return term_with_prefix(DOCUMENT_PREFIX_KEYWORD, t->term, 1.0);
    default:
        return token_query(b, t);
    }
}

/* Analyses `text` as a query; returns the tokens, compound forms included. */
static void analyse_words(struct builder *b, const char *text, struct qtokens *out)
{
    out->n = 0;
    kq_status st = analyzer_run(b->e->analyzer, text, strlen(text), 1, ANALYZER_QUERY,
                                collect_token, out, NULL);
    if (st != KQ_OK)
        b->status = st;
}

static index_query *section_query(const char *text)
{
    char *folded = analyzer_fold(text, strlen(text));
    index_query *q = folded ? term_with_prefix(DOCUMENT_PREFIX_SECTION, folded, 1.0) : NULL;
    free(folded);
    return q;
}

/* A phrase of the unprefixed word terms (stop words included: they are
 * indexed with positions); for fields without positions, all the words. */
static index_query *phrase_query(struct builder *b, const char *text, enum query_field field)
{
    struct qtokens tk;
    index_query *subs[MAX_WORD_TOKENS];
    size_t n = 0;
    if (field == QUERY_FIELD_SECTION)
        return section_query(text);
    analyse_words(b, text, &tk);
    for (size_t i = 0; i < tk.n; i++) {
        const struct qtoken *t = &tk.t[i];
        if (t->flags & TOKEN_COMPOUND)
            continue;
        if (field == QUERY_FIELD_ANY) {
            snippet_terms_add(b->marks, t->term, NULL);
            subs[n++] = index_query_term(t->term, 1);
        } else {
            subs[n++] = field_token_query(b, t, field);
        }
    }
    if (n == 0)
        return NULL;
    if (n == 1)
        return subs[0];
    index_query *phrase = combine_free(field == QUERY_FIELD_ANY ? INDEX_OP_PHRASE : INDEX_OP_AND,
                                       subs, n, (unsigned)n);
    if (!b->relax_phrases || field != QUERY_FIELD_ANY || !phrase)
        return phrase;
    /* Relaxed: the phrase's content words, ranked up by the phrase. */
    n = 0;
    for (size_t i = 0; i < tk.n; i++)
        if (!(tk.t[i].flags & (TOKEN_COMPOUND | TOKEN_STOPWORD)))
            subs[n++] = token_query(b, &tk.t[i]);
    index_query *words = combine_free(b->partial ? INDEX_OP_OR : INDEX_OP_AND, subs, n, 0);
    if (!words)
        return phrase;
    index_query *pair[2] = {words, phrase};
    return combine_free(INDEX_OP_AND_MAYBE, pair, 2, 0);
}

/* Interrogatives are left out of questions searched by partial matching
 * (measured on the relevance sets: +0.3% MRR@10). */
static int is_question_word(const char *term)
{
    static const char *const words[] = {"combien",  "comment",  "pourquoi",   "quand", "lequel",
                                        "laquelle", "lesquels", "lesquelles", "quoi",  "est"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcmp(term, words[i]) == 0)
            return 1;
    return 0;
}

/* A word typed with hyphens or dots (`elle-même`, `S.N.C.F.`), matched by
 * its tokens near each other as typed, or by its joined compound. */
struct split_word {
    index_query *parts;    /* every token's query (stem and forms): the weight */
    index_query *near;     /* the tokens as written, near each other: a filter */
    index_query *compound; /* the compound's query */
};

/* A word as typed: one token, or the tokens of a hyphenated word or of a
 * glued form, matched as a phrase or as the joined compound.  When `split`
 * is given and the word is one of those, its parts are left in *split (see
 * join_split) and NULL is returned. */
static index_query *word_query(struct builder *b, const char *text, enum query_field field,
                               struct split_word *split)
{
    struct qtokens tk;
    index_query *parts[MAX_WORD_TOKENS], *near[MAX_WORD_TOKENS];
    size_t n = 0;
    const struct qtoken *compound = NULL;
    int content = 0;

    if (field == QUERY_FIELD_SECTION)
        return section_query(text);
    analyse_words(b, text, &tk);
    for (size_t i = 0; i < tk.n; i++)
        if (!(tk.t[i].flags & TOKEN_STOPWORD))
            content = 1;
    if (!content && !b->keep_stops && field == QUERY_FIELD_ANY)
        return NULL; /* function words do not drive ranking */
    if (b->partial && tk.n == 1 && field == QUERY_FIELD_ANY && is_question_word(tk.t[0].term))
        return NULL; /* "combien", "pourquoi"... say what is asked, not what about */
    for (size_t i = 0; i < tk.n; i++) {
        if (tk.t[i].flags & TOKEN_COMPOUND) {
            compound = &tk.t[i];
        } else {
            near[n] = field == QUERY_FIELD_ANY ? index_query_term(tk.t[i].term, 1) : NULL;
            parts[n++] = field_token_query(b, &tk.t[i], field);
        }
    }
    if (n == 0)
        return compound ? field_token_query(b, compound, field) : NULL;
    if (n == 1 && !compound) {
        index_query_free(near[0]);
        return parts[0];
    }
    /* Several tokens: all of them near each other (as typed), or the
     * compound.  Only the words as written have positions: their nearness
     * filters the match of the tokens' full queries (stem, forms), which
     * give its weight. */
    index_query *all = combine_free(INDEX_OP_AND, parts, n, 0);
    index_query *close =
        field == QUERY_FIELD_ANY ? combine_free(INDEX_OP_NEAR, near, n, (unsigned)n + 1) : NULL;
    index_query *joined = compound ? field_token_query(b, compound, field) : NULL;
    if (split && close && joined) {
        *split = (struct split_word){all, close, joined};
        return NULL;
    }
    index_query *filter[2] = {all, close};
    index_query *together = combine_free(INDEX_OP_FILTER, filter, 2, 0);
    index_query *alt[2] = {together, joined};
    return combine_free(INDEX_OP_OR, alt, 2, 0);
}

/* rest AND a split word: the articles and weights of
 *     rest AND ((parts FILTER near) OR compound)
 * written so that Xapian checks the positions after every other condition,
 * as it does for a positional filter directly inside an AND.  (Under an OR,
 * the filter's small estimate made it lead the AND, and positions were
 * read for every article holding the tokens anywhere: a two-word query
 * with `elle-même` took 10 ms instead of 4.)  Split by the compound:
 *     (rest AND compound) AND_MAYBE (parts FILTER near)
 *     OR ((rest AND parts) FILTER near) AND_NOT compound
 * The two sides match different articles, so their weights never add up;
 * Xapian checks the positions of the first side's maybe only for the
 * articles holding the compound.  Takes rest (NULL: the word alone) and the
 * word's queries. */
static index_query *join_split(struct builder *b, index_query *rest, struct split_word *w)
{
    index_query *rest2 = rest ? index_query_scale(rest, 1.0) : NULL;
    index_query *parts2 = index_query_scale(w->parts, 1.0);
    index_query *near2 = index_query_scale(w->near, 1.0);
    index_query *compound2 = index_query_scale(w->compound, 1.0);
    int failed = (rest && !rest2) || !parts2 || !near2 || !compound2;
    index_query *joined[2] = {rest, w->compound};
    index_query *close[2] = {parts2, near2};
    index_query *maybe[2] = {combine_free(INDEX_OP_AND, joined, 2, 0),
                             combine_free(INDEX_OP_FILTER, close, 2, 0)};
    index_query *by_compound = combine_free(INDEX_OP_AND_MAYBE, maybe, 2, 0);
    index_query *tokens[2] = {rest2, w->parts};
    index_query *unless[2] = {combine_free(INDEX_OP_AND, tokens, 2, 0), compound2};
    index_query *filter[2] = {combine_free(INDEX_OP_AND_NOT, unless, 2, 0), w->near};
    index_query *by_tokens = combine_free(INDEX_OP_FILTER, filter, 2, 0);
    memset(w, 0, sizeof *w);
    index_query *either[2] = {by_compound, by_tokens};
    index_query *q = combine_free(INDEX_OP_OR, either, 2, 0);
    if (failed || !by_compound || !by_tokens || !q) {
        b->status = KQ_ERR_NOMEM;
        index_query_free(q);
        return NULL;
    }
    return q;
}

static index_query *prefix_query(struct builder *b, const char *text, enum query_field field)
{
    char *folded = analyzer_fold(text, strlen(text));
    index_query *q = NULL;
    if (!folded)
        return NULL;
    const char *prefix = field == QUERY_FIELD_TITLE     ? DOCUMENT_PREFIX_TITLE
                         : field == QUERY_FIELD_AUTHOR  ? DOCUMENT_PREFIX_AUTHOR
                         : field == QUERY_FIELD_KEYWORD ? DOCUMENT_PREFIX_KEYWORD
                         : field == QUERY_FIELD_SECTION ? DOCUMENT_PREFIX_SECTION
                                                        : "";
    char buf[DOCUMENT_MAX_TERM + 8];
    if (strlen(folded) <= DOCUMENT_MAX_TERM) {
        snprintf(buf, sizeof buf, "%s%s", prefix, folded);
        q = index_query_wildcard(buf, PREFIX_EXPANSION);
        snippet_terms_add_prefix(b->marks, folded);
    }
    free(folded);
    return q;
}

static index_query *date_query(int64_t from, int64_t to)
{
    char lo[18], hi[18];
    size_t lo_len = from ? index_serialise_number((double)from, lo) : 0;
    size_t hi_len = to ? index_serialise_number((double)to, hi) : 0;
    return index_query_value_range(DOCUMENT_SLOT_PUBLISHED, from ? lo : NULL, lo_len,
                                   to ? hi : NULL, hi_len);
}

static index_query *build(struct builder *b, const query_node *node);

static int is_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int is_plain_word(const query_node *c)
{
    return c->kind == QUERY_WORD && !c->negated && c->field == QUERY_FIELD_ANY;
}

/* "30 000" typed with a space reaches us as two words: the number of
 * children from i that form one number written in groups of three digits. */
static size_t number_run(const query_node *node, size_t i)
{
    size_t n = 1;
    const query_node *c = node->children[i];
    if (!is_plain_word(c) || !is_digits(c->text, 1, 3))
        return 1;
    while (i + n < node->n_children && is_plain_word(node->children[i + n]) &&
           is_digits(node->children[i + n]->text, 3, 3))
        n++;
    return n;
}

static index_query *number_query(struct builder *b, const query_node *node, size_t i, size_t n)
{
    char buf[128];
    size_t at = 0;
    for (size_t k = 0; k < n && at + 8 < sizeof buf; k++)
        at += (size_t)snprintf(buf + at, sizeof buf - at, k ? " %s" : "%s",
                               node->children[i + k]->text);
    return word_query(b, buf, QUERY_FIELD_ANY, NULL);
}

#define MAX_SPLIT_WORDS 2
static index_query *build_group(struct builder *b, const query_node *node)
{
    size_t n = node->n_children;
    index_query **pos = calloc(n ? n : 1, sizeof *pos);
    index_query **neg = calloc(n ? n : 1, sizeof *neg);
    index_query **filters = calloc(n ? n : 1, sizeof *filters);
    size_t np = 0, nn = 0, nf = 0;
    index_query *q = NULL;
    if (!pos || !neg || !filters) {
        b->status = KQ_ERR_NOMEM;
        goto out;
    }
    /* Split words of an AND join the rest last (join_split); a few only,
     * since each copies what comes before it three times. */
    struct split_word split[MAX_SPLIT_WORDS] = {{0}};
    size_t ns = 0;
    int and = node->kind == QUERY_AND && !b->partial;
    for (size_t i = 0; i < n; i++) {
        const query_node *c = node->children[i];
        size_t run = node->kind == QUERY_AND ? number_run(node, i) : 1;
        struct split_word *sw =
            and&&run == 1 && ns < MAX_SPLIT_WORDS && c->kind == QUERY_WORD && !c->negated
                ? &split[ns]
                : NULL;
        index_query *sub = run > 1 ? number_query(b, node, i, run)
                           : sw    ? word_query(b, c->text, c->field, sw)
                                   : build(b, c);
        i += run - 1;
        if (sw && sw->parts) {
            ns++;
            continue;
        }
        if (!sub)
            continue;
        if (c->negated)
            neg[nn++] = sub;
        else if (c->kind == QUERY_DATE && node->kind == QUERY_AND)
            filters[nf++] = sub;
        else
            pos[np++] = sub;
    }
    enum index_op op = node->kind == QUERY_OR || b->partial ? INDEX_OP_OR : INDEX_OP_AND;
    q = np ? combine_free(op, pos, np, 0) : NULL;
    for (size_t i = 0; i < ns; i++)
        q = join_split(b, q, &split[i]);
    if (nf) {
        index_query *f = combine_free(INDEX_OP_AND, filters, nf, 0);
        if (!q)
            q = f;
        else {
            index_query *pair[2] = {q, f};
            q = combine_free(INDEX_OP_FILTER, pair, 2, 0);
        }
    }
    if (nn) {
        if (!q)
            q = index_query_match_all();
        index_query *excluded = combine_free(INDEX_OP_OR, neg, nn, 0);
        index_query *pair[2] = {q, excluded};
        q = combine_free(INDEX_OP_AND_NOT, pair, 2, 0);
    }
out:
    free(pos);
    free(neg);
    free(filters);
    return q;
}

static index_query *build(struct builder *b, const query_node *node)
{
    switch (node->kind) {
    case QUERY_AND:
    case QUERY_OR:
        return build_group(b, node);
    case QUERY_WORD:
        return word_query(b, node->text, node->field, NULL);
    case QUERY_PHRASE:
        return phrase_query(b, node->text, node->field);
    case QUERY_PREFIX:
        return prefix_query(b, node->text, node->field);
    case QUERY_DATE:
        return date_query(node->date_from, node->date_to);
    }
    return NULL;
}

/* Counts the content words of the top level, to tell a question from a few keywords. */
static size_t content_words(search_engine *e, const query_node *root, int *only_stops,
                            size_t *stop_words)
{
    size_t words = 0, stops = 0;
    for (size_t i = 0; i < root->n_children; i++) {
        const query_node *c = root->children[i];
        if (c->kind != QUERY_WORD || c->negated || c->field != QUERY_FIELD_ANY)
            continue;
        struct qtokens tk;
        struct builder tmp = {.e = e};
        analyse_words(&tmp, c->text, &tk);
        int content = 0;
        for (size_t k = 0; k < tk.n; k++)
            content |= !(tk.t[k].flags & TOKEN_STOPWORD);
        if (content)
            words++;
        else if (tk.n)
            stops++;
    }
    *only_stops = words == 0 && stops > 0;
    *stop_words = stops;
    return words;
}

static int has_positive_terms(const query_node *node)
{
    if (node->negated)
        return 0;
    if (node->kind == QUERY_WORD || node->kind == QUERY_PHRASE || node->kind == QUERY_PREFIX)
        return 1;
    for (size_t i = 0; i < node->n_children; i++)
        if (has_positive_terms(node->children[i]))
            return 1;
    return 0;
}

/* Adds the reader's filters (section, author, dates) to q. */
static index_query *add_filters(const search_request *req, index_query *q)
{
    index_query *f[4];
    size_t n = 0;
    if (req->section && *req->section)
        f[n++] = section_query(req->section);
    if (req->author && *req->author) {
        char *folded = analyzer_fold(req->author, strlen(req->author));
        if (folded)
            f[n++] = term_with_prefix(DOCUMENT_PREFIX_AUTHOR_FULL, folded, 1.0);
        free(folded);
    }
    if (req->since || req->until)
        f[n++] = date_query(req->since, req->until);
    if (n == 0)
        return q;
    index_query *all = combine_free(INDEX_OP_AND, f, n, 0);
    if (!q)
        return all;
    index_query *pair[2] = {q, all};
    return combine_free(INDEX_OP_FILTER, pair, 2, 0);
}

/* ---- Running a request ------------------------------------------------- */

static kq_status fill_hit(search_engine *e, const snippet_terms *marks, const index_hit *h,
                          unsigned snippet_bytes, search_hit *out)
{
    document_view v;
    kq_status st = document_reader_view(e->reader, h->data, h->data_len, &v);
    if (st != KQ_OK) {
        document_view_clear(&v);
        return st;
    }
    out->id = v.id, v.id = NULL;
    out->url = v.url, v.url = NULL;
    out->title = v.title, v.title = NULL;
    out->date = v.date, v.date = NULL;
    out->author = v.author, v.author = NULL;
    out->section = v.section, v.section = NULL;
    out->score = h->weight;
    out->duplicates = h->collapsed;

    /* Cut the snippet from the chapô and the body as one text. */
    size_t dl = strlen(v.description), bl = strlen(v.body);
    char *text = malloc(dl + bl + 3);
    if (!text) {
        document_view_clear(&v);
        return KQ_ERR_NOMEM;
    }
    memcpy(text, v.description, dl);
    size_t at = dl;
    if (dl && bl)
        text[at++] = '\n', text[at++] = '\n';
    memcpy(text + at, v.body, bl);
    at += bl;
    text[at] = '\0';
    st = snippet_make(e->analyzer, marks, text, at, snippet_bytes, &out->snippet, &out->marks,
                      &out->n_marks);
    free(text);
    document_view_clear(&v);
    return st;
}

static kq_status check_request(search_engine *e, const search_request *req)
{
    if (!req->query) {
        set_error(e, "a query is required");
        return KQ_ERR_INVALID;
    }
    if (strlen(req->query) > SEARCH_MAX_QUERY_BYTES) {
        set_error(e, "the query is longer than %u bytes", SEARCH_MAX_QUERY_BYTES);
        return KQ_ERR_INVALID;
    }
    if (req->limit > SEARCH_MAX_LIMIT) {
        set_error(e, "limit must be between 1 and %u", SEARCH_MAX_LIMIT);
        return KQ_ERR_INVALID;
    }
    if (req->offset > SEARCH_MAX_OFFSET) {
        set_error(e, "offset must be at most %u", SEARCH_MAX_OFFSET);
        return KQ_ERR_INVALID;
    }
    if (req->since && req->until && req->since > req->until) {
        set_error(e, "since is after until");
        return KQ_ERR_INVALID;
    }
    return KQ_OK;
}

static const char *const facet_names[SEARCH_FACET_COUNT] = {"section", "author", "year", "month"};

/* The Xapian slots counted for each facet (see document.h). */
static void facet_slots(unsigned slots[], size_t *n)
{
    *n = 0;
    for (unsigned i = 0; i < DOCUMENT_FACET_SECTIONS; i++)
        slots[(*n)++] = DOCUMENT_SLOT_SECTION + i;
    for (unsigned i = 0; i < DOCUMENT_FACET_AUTHORS; i++)
        slots[(*n)++] = DOCUMENT_SLOT_AUTHOR + i;
    slots[(*n)++] = DOCUMENT_SLOT_YEAR;
    slots[(*n)++] = DOCUMENT_SLOT_MONTH;
}

static enum search_facet_kind facet_of_slot(unsigned slot)
{
    if (slot == DOCUMENT_SLOT_YEAR)
        return SEARCH_FACET_YEAR;
    if (slot == DOCUMENT_SLOT_MONTH)
        return SEARCH_FACET_MONTH;
    if (slot >= DOCUMENT_SLOT_AUTHOR)
        return SEARCH_FACET_AUTHOR;
    return SEARCH_FACET_SECTION;
}

/* Periods newest first. */
static int by_value_desc(const void *a, const void *b)
{
    const search_facet_value *x = a, *y = b;
    return strcmp(y->value, x->value);
}

static int by_count(const void *a, const void *b)
{
    const search_facet_value *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->value, y->value);
}

/* Adds the counts of one slot to a facet; values met in several slots (an
 * author first on one article, second on another) are summed. */
static kq_status merge_facet(search_facet *f, const index_facet *src)
{
    for (size_t i = 0; i < src->n_values; i++) {
        const index_facet_value *v = &src->values[i];
        size_t k = 0;
        while (k < f->n_values && strcmp(f->values[k].value, v->value) != 0)
            k++;
        if (k == f->n_values) {
            search_facet_value *grown = realloc(f->values, (k + 1) * sizeof *grown);
            if (!grown)
                return KQ_ERR_NOMEM;
            f->values = grown;
            if (!(f->values[k].value = strdup(v->value)))
                return KQ_ERR_NOMEM;
            f->values[k].count = 0;
            f->n_values++;
        }
        f->values[k].count += v->count;
    }
    return KQ_OK;
}

static kq_status fill_facets(const index_results *r, search_result *out)
{
    for (size_t i = 0; i < SEARCH_FACET_COUNT; i++)
        out->facets[i].name = facet_names[i];
    out->has_facets = 1;
    for (size_t i = 0; i < r->n_facets; i++) {
        kq_status st = merge_facet(&out->facets[facet_of_slot(r->facets[i].slot)], &r->facets[i]);
        if (st != KQ_OK)
            return st;
    }
    for (size_t i = 0; i < SEARCH_FACET_COUNT; i++) {
        search_facet *f = &out->facets[i];
        int period = i == SEARCH_FACET_YEAR || i == SEARCH_FACET_MONTH;
        if (f->n_values > 1)
            qsort(f->values, f->n_values, sizeof *f->values, period ? by_value_desc : by_count);
        while (i == SEARCH_FACET_AUTHOR && f->n_values > SEARCH_FACET_TOP_AUTHORS)
            free(f->values[--f->n_values].value);
    }
    return KQ_OK;
}

/* Query words next to each other (as a phrase, one word may come between)
 * rank higher than scattered ones.  Rather than a phrase inside the query,
 * whose positions Xapian would read for every match, the best
 * PROXIMITY_DEPTH matches are ranked again: those holding the top-level
 * words as such a phrase get PROXIMITY_BONUS more of their weight (about
 * what the phrase added as part of the query), and move up among them.  A
 * match further down cannot climb into the first pages; pages beyond
 * PROXIMITY_DEPTH keep the query's order, so paging stays consistent. */
#define PROXIMITY_BONUS 0.35
#define PROXIMITY_DEPTH 20
#define PROXIMITY_MAX_WORDS 8
struct proximity {
    char terms[PROXIMITY_MAX_WORDS][DOCUMENT_MAX_TERM + 1];
    const char *ptrs[PROXIMITY_MAX_WORDS];
    size_t n;
};

/* Fills p with the content words of the top-level plain words; p->n < 2
 * means no proximity ranking. */
static void proximity_terms(search_engine *e, const query_node *root, struct proximity *p)
{
    p->n = 0;
    for (size_t i = 0; i < root->n_children && p->n < PROXIMITY_MAX_WORDS; i++) {
        const query_node *c = root->children[i];
        if (!is_plain_word(c))
            continue;
        struct qtokens tk;
        struct builder tmp = {.e = e};
        analyse_words(&tmp, c->text, &tk);
        for (size_t k = 0; k < tk.n && p->n < PROXIMITY_MAX_WORDS; k++) {
            if (tk.t[k].flags & (TOKEN_STOPWORD | TOKEN_COMPOUND))
                continue;
            snprintf(p->terms[p->n], sizeof p->terms[p->n], "%s", tk.t[k].term);
            p->ptrs[p->n] = p->terms[p->n];
            p->n++;
        }
    }
}

/* A pasted passage (a chapô, a paragraph: a sentence that asks nothing)
 * says more of an article that has its words in its headline, any of them
 * (PASSAGE_HEADLINE times the headline BM25 of each, see HEADLINE_K1), and
 * of one that has its word pairs as written: each pair of consecutive words
 * of the passage (one of them a content word) found side by side in the
 * article adds PAIR_BONUS / pairs of its weight.  Tuned on half A of the
 * news-chapo set: MRR@10 0.710 -> 0.729 (half B 0.705 -> 0.710); questions
 * are ranked as before (PIAF, FQuAD unchanged). */
#define PASSAGE_HEADLINE 0.3
#define PAIR_BONUS 1.0
#define PASSAGE_MAX_WORDS 48
struct passage {
    char words[PASSAGE_MAX_WORDS][DOCUMENT_MAX_TERM + 1];
    unsigned char stop[PASSAGE_MAX_WORDS];
    size_t n_words;
    const char *terms[PASSAGE_MAX_WORDS * 3]; /* pairs, each followed by NULL */
    size_t n_terms, n_pairs;
};

static int collect_passage(void *ctx, const analyzer_token *tok)
{
    struct passage *p = ctx;
    if (tok->flags & TOKEN_COMPOUND)
        return 0;
    if (p->n_words == PASSAGE_MAX_WORDS)
        return 1;
    if (tok->term_len > DOCUMENT_MAX_TERM)
        return 0;
    memcpy(p->words[p->n_words], tok->term, tok->term_len + 1);
    p->stop[p->n_words] = (tok->flags & TOKEN_STOPWORD) != 0;
    p->n_words++;
    return 0;
}

/* A question ends with its question mark. */
static int is_question(const char *text)
{
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    return n > 0 && text[n - 1] == '?';
}

/* Fills p with the word pairs of a passage's text. */
static kq_status passage_pairs(search_engine *e, const char *text, struct passage *p)
{
    p->n_words = p->n_terms = p->n_pairs = 0;
    kq_status st =
        analyzer_run(e->analyzer, text, strlen(text), 1, ANALYZER_QUERY, collect_passage, p, NULL);
    for (size_t i = 0; st == KQ_OK && i + 1 < p->n_words; i++) {
        if (p->stop[i] && p->stop[i + 1])
            continue;
        p->terms[p->n_terms++] = p->words[i];
        p->terms[p->n_terms++] = p->words[i + 1];
        p->terms[p->n_terms++] = NULL;
        p->n_pairs++;
    }
    return st;
}

/* Hits by descending weight; equal weights keep the query's order. */
static int by_weight(const void *a, const void *b)
{
    const index_hit *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight < y->weight ? 1 : -1;
    return x->docid < y->docid ? -1 : x->docid > y->docid;
}

/* A headline holding query words says more than a body that does, the
 * more so the shorter it is: the best matches get, for each query word in
 * their headline, BM25 over the headline alone (its own length against
 * HEADLINE_AVERAGE_WORDS, the idf of the word among headlines), times the
 * ranking's headline weight, when the headline holds every word of the
 * query (a headline holding some is common: it would push aside the article
 * whose body holds them all).  Xapian weighs a document's terms by its whole length;
 * the headline's length is its value DOCUMENT_SLOT_TITLE_WORDS. */
#define HEADLINE_K1 1.2
#define HEADLINE_B 0.75
#define HEADLINE_AVERAGE_WORDS 7.2 /* measured on the team kit's 36k news articles */

/* The headline weight of each query term: its BM25 idf among headlines. */
static kq_status headline_idf(search_engine *e, const struct headline *h, double *idf)
{
    index_stats stats;
    kq_status st = index_get_stats(e->index, &stats);
    for (size_t t = 0; t < h->n && st == KQ_OK; t++) {
        uint64_t df = 0;
        st = index_term_freq(e->index, h->ptrs[t], &df);
        double n = (double)stats.documents, d = (double)df;
        idf[t] = log(1.0 + (n - d + 0.5) / (d + 0.5));
    }
    return st;
}

/* Ranks the first hits again by their headline (see HEADLINE_WEIGHT) and
 * by proximity (see PROXIMITY_BONUS). */
static kq_status rank_again(search_engine *e, const struct proximity *p, const struct headline *h,
                            const struct passage *passage, int sentence, size_t page_end,
                            index_results *r)
{
    double hw = passage ? PASSAGE_HEADLINE : ranking_of(sentence)->headline;
    double pairs = passage && passage->n_pairs > 0 ? PAIR_BONUS : 0.0;
    size_t n = r->n_hits < PROXIMITY_DEPTH ? r->n_hits : PROXIMITY_DEPTH;
    unsigned docids[PROXIMITY_DEPTH];
    unsigned char has[PROXIMITY_DEPTH];
    uint32_t masks[PROXIMITY_DEPTH];
    double words[PROXIMITY_DEPTH], idf[HEADLINE_MAX_TERMS];
    double prox = p && p->n >= 2 ? PROXIMITY_BONUS : 0.0, most = 0.0;
    int moved = 0;
    kq_status st = KQ_OK;
    int by_headline = h && h->n > 0 && hw > 0;
    if (by_headline && (st = headline_idf(e, h, idf)) != KQ_OK)
        return st;
    for (size_t t = 0; by_headline && t < h->n; t++)
        most += hw * idf[t] * (HEADLINE_K1 + 1) / (1 + HEADLINE_K1 * (1 - HEADLINE_B));
    /* A hit whose weight with every bonus stays below that of the page's
     * last hit cannot reach the page: it is not read. */
    if (page_end < n) {
        double last = r->hits[page_end - 1].weight;
        while (n > page_end && (r->hits[n - 1].weight + most) * (1.0 + prox) * (1.0 + pairs) < last)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        docids[i] = r->hits[i].docid;
    if (by_headline) {
        /* Only the headlines holding every word (any word of a passage) are
         * weighed: their lengths alone are read (a value read costs more
         * than the posting lists). */
        uint32_t every = h->n == 32 ? UINT32_MAX : (UINT32_C(1) << h->n) - 1;
        unsigned full[PROXIMITY_DEPTH];
        size_t at[PROXIMITY_DEPTH], n_full = 0;
        if ((st = index_terms_in(e->index, h->ptrs, h->n, docids, n, masks)) != KQ_OK)
            return st;
        for (size_t i = 0; i < n; i++)
            if (masks[i] == every || (passage && masks[i]))
                at[n_full] = i, full[n_full++] = docids[i];
        if ((st = index_number_values(e->index, DOCUMENT_SLOT_TITLE_WORDS, full, n_full,
                                      HEADLINE_AVERAGE_WORDS, words)) != KQ_OK)
            return st;
        for (size_t k = 0; k < n_full; k++) {
            double norm = 1 - HEADLINE_B + HEADLINE_B * words[k] / HEADLINE_AVERAGE_WORDS;
            for (size_t t = 0; t < h->n; t++)
                if (masks[at[k]] & (UINT32_C(1) << t))
                    r->hits[at[k]].weight +=
                        hw * idf[t] * (HEADLINE_K1 + 1) / (1 + HEADLINE_K1 * norm);
            moved = 1;
        }
    }
    if (pairs > 0) {
        unsigned found[PROXIMITY_DEPTH];
        st = index_pairs_in(e->index, passage->terms, passage->n_terms, docids, n, found);
        if (st != KQ_OK)
            return st;
        for (size_t i = 0; i < n; i++) {
            if (found[i]) {
                r->hits[i].weight *= 1.0 + pairs * found[i] / (double)passage->n_pairs;
                moved = 1;
            }
        }
    }
    if (prox > 0) {
        st = index_phrase_in(e->index, p->ptrs, p->n, (unsigned)p->n + 1, docids, n, has);
        if (st != KQ_OK)
            return st;
        for (size_t i = 0; i < n; i++) {
            if (has[i]) {
                r->hits[i].weight *= 1.0 + prox;
                moved = 1;
            }
        }
    }
    /* Ties in Xapian's order are broken by docid too (the default
     * docid order ascending), so sorting keeps the order of unbonused hits. */
    if (moved)
        qsort(r->hits, n, sizeof *r->hits, by_weight);
    return KQ_OK;
}

/* Runs one Xapian query and fills the hits; KQ_ERR_MODIFIED means retry. */
static kq_status execute(search_engine *e, const search_request *req, const index_query *q,
                         const snippet_terms *marks, const struct proximity *prox,
                         const struct headline *headline, const struct passage *passage,
                         int sentence, search_result *out)
{
    index_search_options opts = {0};
    index_results r = {0};
    unsigned slots[DOCUMENT_FACET_SECTIONS + DOCUMENT_FACET_AUTHORS + 2];
    unsigned groups[DOCUMENT_FACET_SECTIONS + DOCUMENT_FACET_AUTHORS + 2];
    size_t n_slots;
    unsigned limit = req->limit ? req->limit : 10;
    /* Ranking by proximity takes the first PROXIMITY_DEPTH matches (or as
     * many as the page needs) and shows the page from them. */
    int rerank = ((prox && prox->n >= 2) || passage ||
                  (headline && headline->n > 0 && ranking_of(sentence)->headline > 0)) &&
                 req->sort == SEARCH_SORT_RELEVANCE && req->offset < PROXIMITY_DEPTH;
    opts.offset = rerank ? 0 : req->offset;
    opts.limit = rerank ? req->offset + limit : limit;
    if (rerank && opts.limit < PROXIMITY_DEPTH)
        opts.limit = PROXIMITY_DEPTH;
    opts.without_data = 1; /* read for the hits shown only */
    /* The total a reader is told: counted when small enough. */
    opts.count_matches = COUNT_MATCHES;
    opts.collapse_slot = req->no_collapse || req->duplicates_of ? -1 : DOCUMENT_SLOT_COLLAPSE;
    opts.check_at_least = CHECK_AT_LEAST;
    opts.bm25_k1 = ranking_of(sentence)->k1;
    opts.bm25_b = ranking_of(sentence)->b;
    opts.bm25_min_normlen = BM25_MIN_NORMLEN;
    if (req->sort != SEARCH_SORT_RELEVANCE) {
        opts.order = req->sort == SEARCH_SORT_DATE ? INDEX_ORDER_VALUE_DESC : INDEX_ORDER_VALUE_ASC;
        opts.sort_slot = DOCUMENT_SLOT_PUBLISHED;
    }
    if (req->facets) {
        /* Facet counts are exact: every match is examined.  With copies
         * collapsed, a count is the number of results choosing it gives. */
        index_stats stats;
        facet_slots(slots, &n_slots);
        for (size_t i = 0; i < n_slots; i++)
            groups[i] = facet_of_slot(slots[i]);
        opts.facet_slots = slots;
        opts.n_facet_slots = n_slots;
        opts.facet_groups = groups;
        if (index_get_stats(e->index, &stats) == KQ_OK)
            opts.check_at_least =
                (unsigned)(stats.documents > UINT_MAX ? UINT_MAX : stats.documents);
    }
    kq_status st = index_search(e->index, q, &opts, &r);
    if (st != KQ_OK) {
        set_error(e, "search failed: %s", index_last_error(e->index));
        goto out;
    }
    out->total = r.matches_estimated;
    out->total_exact = r.matches_lower == r.matches_upper;
    out->total_lower = r.matches_lower;
    /* With copies collapsed, Xapian keeps its upper bound loose even when it
     * has seen every match; having found fewer distinct articles than it was
     * asked for (or than it was asked to check), it has seen them all. */
    if (!out->total_exact && opts.collapse_slot >= 0 && r.n_hits > 0 && r.n_hits < opts.limit) {
        out->total = opts.offset + r.n_hits;
        out->total_exact = 1;
    } else if (!out->total_exact && opts.collapse_slot >= 0 &&
               r.matches_lower + 1 < opts.check_at_least) {
        out->total = r.matches_lower;
        out->total_exact = 1;
    }
    if (out->total_exact)
        out->total_lower = out->total;
    if (rerank &&
        (st = rank_again(e, prox, headline, passage, sentence, req->offset + limit, &r)) != KQ_OK) {
        set_error(e, "search failed: %s", index_last_error(e->index));
        goto out;
    }
    size_t first = rerank ? req->offset : 0;
    size_t shown = r.n_hits > first ? r.n_hits - first : 0;
    if (shown > limit)
        shown = limit;
    if (out->total_lower < req->offset + shown) /* the hits shown are there */
        out->total_lower = req->offset + shown;
    if ((st = index_fetch_data(e->index, r.hits + first, shown)) != KQ_OK) {
        set_error(e, "search failed: %s", index_last_error(e->index));
        goto out;
    }
    out->hits = calloc(shown ? shown : 1, sizeof *out->hits);
    if (!out->hits) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < shown && st == KQ_OK; i++) {
        unsigned bytes = req->snippet_bytes ? req->snippet_bytes : 220;
        const index_hit *h = &r.hits[first + i];
        st = fill_hit(e, marks, h, bytes, &out->hits[i]);
        out->n_hits = i + 1;
        if (st == KQ_ERR_CORRUPT)
            set_error(e, "document %u has unreadable data", h->docid);
    }
    if (st == KQ_OK && req->facets)
        st = fill_facets(&r, out);
out:
    index_results_clear(&r);
    return st;
}

static void clear_hits(search_result *out)
{
    for (size_t i = 0; i < out->n_hits; i++) {
        search_hit *h = &out->hits[i];
        free(h->id);
        free(h->url);
        free(h->title);
        free(h->date);
        free(h->author);
        free(h->section);
        free(h->snippet);
        free(h->marks);
    }
    free(out->hits);
    out->hits = NULL;
    out->n_hits = 0;
    for (size_t i = 0; i < SEARCH_FACET_COUNT; i++) {
        for (size_t k = 0; k < out->facets[i].n_values; k++)
            free(out->facets[i].values[k].value);
        free(out->facets[i].values);
        out->facets[i].values = NULL;
        out->facets[i].n_values = 0;
    }
    out->has_facets = 0;
}

/* 1 when the tree holds a node of this kind that is not itself excluded. */
static int has_node(const query_node *node, enum query_kind kind)
{
    if (node->kind == kind && !node->negated)
        return 1;
    for (size_t i = 0; i < node->n_children; i++)
        if (has_node(node->children[i], kind))
            return 1;
    return 0;
}

/* Freshness: a weight of FRESHNESS_WEIGHT for an article of the newest
 * day of the archive, halved every half-life before it.  Measured from the
 * newest article rather than from today, so an archive that stopped in 2020
 * still prefers its latest news.  Keyed by day through a value map, which a
 * remote shard computes on its own. */
#define FRESHNESS_WEIGHT 0.6
#define FRESHNESS_HALF_LIVES 6 /* older than this many half-lives: no boost */
/* The weights are keyed by month (a few dozen entries) unless the half-life
 * is shorter than FRESHNESS_DAILY_BELOW days: Xapian copies the whole map
 * for every search, so its size is paid on every query. */
#define FRESHNESS_DAILY_BELOW 60.0
static index_query *build_freshness(const char *newest, double half_life_days)
{
    int y;
    unsigned m, d;
    index_query *q = NULL;
    if (sscanf(newest, "%4d-%2u-%2u", &y, &m, &d) != 3)
        return NULL;
    int daily = half_life_days < FRESHNESS_DAILY_BELOW;
    int64_t last = date_days_from_civil(y, m, d);
    size_t n = (size_t)(half_life_days * FRESHNESS_HALF_LIVES / (daily ? 1 : 30)) + 2;
    if (n > 4000)
        n = 4000;
    char(*keys)[24] = malloc(n * sizeof *keys);
    const char **key_ptrs = malloc(n * sizeof *key_ptrs);
    double *weights = malloc(n * sizeof *weights);
    if (keys && key_ptrs && weights) {
        for (size_t i = 0; i < n; i++) {
            double age; /* days between the newest article and this day or mid-month */
            if (daily) {
                age = (double)i;
                time_t t = (time_t)((last - (int64_t)i) * 86400);
                struct tm tm;
                gmtime_r(&t, &tm);
                strftime(keys[i], sizeof keys[i], "%Y-%m-%d", &tm);
            } else {
                int mm = (int)m - 1 - (int)i, yy = y;
                while (mm < 0)
                    mm += 12, yy--;
                snprintf(keys[i], sizeof keys[i], "%04d-%02d", (yy % 10000 + 10000) % 10000,
                         (mm + 1) % 100);
                age = (double)(last - date_days_from_civil(yy, (unsigned)mm + 1, 15));
                if (age < 0)
                    age = 0;
            }
            key_ptrs[i] = keys[i];
            weights[i] = FRESHNESS_WEIGHT * pow(2.0, -age / half_life_days);
        }
        q = index_query_value_weights(daily ? DOCUMENT_SLOT_DAY : DOCUMENT_SLOT_MONTH, key_ptrs,
                                      weights, n, 0.0);
    }
    free(keys);
    free(key_ptrs);
    free(weights);
    return q;
}

/* The freshness part of a query: a copy the caller frees, or NULL. */
static index_query *freshness_query(search_engine *e, double half_life_days)
{
    char *newest = index_value_upper_bound(e->index, DOCUMENT_SLOT_DAY);
    if (!newest)
        return NULL;
    if (!e->freshness || strcmp(newest, e->freshness_day) != 0 ||
        e->freshness_half_life != half_life_days) {
        index_query_free(e->freshness);
        e->freshness = build_freshness(newest, half_life_days);
        snprintf(e->freshness_day, sizeof e->freshness_day, "%s", newest);
        e->freshness_half_life = half_life_days;
    }
    free(newest);
    return e->freshness ? index_query_scale(e->freshness, 1.0) : NULL;
}

static index_query *maybe(index_query *q, index_query *extra)
{
    if (!extra)
        return q;
    index_query *pair[2] = {q, extra};
    return combine_free(INDEX_OP_AND_MAYBE, pair, 2, 0);
}

/* The characteristic terms of an article, as queries. */
#define RELATED_TERMS 24
struct expanded {
    index_query *terms[RELATED_TERMS];
    size_t n;
};

static int collect_expanded(void *ctx, const char *term, double weight)
{
    struct expanded *rel = ctx;
    (void)weight;
    if (rel->n == RELATED_TERMS)
        return 1;
    rel->terms[rel->n] = index_query_term(term, 1);
    return rel->terms[rel->n++] == NULL;
}

/* Restricts q to the republished copies of article `id` (its near-duplicate key). */
static index_query *duplicates_filter(search_engine *e, const char *id, index_query *q,
                                      kq_status *st)
{
    char term[512];
    *st = KQ_OK;
    if (document_unique_term(id, term, sizeof term) != 0) {
        *st = KQ_ERR_NOT_FOUND;
        return q;
    }
    char *key = index_get_value(e->index, term, DOCUMENT_SLOT_COLLAPSE, st);
    if (!key)
        return q;
    index_query *f =
        index_query_value_range(DOCUMENT_SLOT_COLLAPSE, key, strlen(key), key, strlen(key));
    free(key);
    index_query *pair[2] = {q, f};
    return combine_free(INDEX_OP_FILTER, pair, 2, 0);
}

static char *did_you_mean(search_engine *e, const query_node *root);

/* 1 when at least one article matches q (the first match found is enough). */
static int has_any_match(search_engine *e, const index_query *q)
{
    index_search_options opts = {.limit = 1, .collapse_slot = -1};
    index_results r = {0};
    int found = index_search(e->index, q, &opts, &r) == KQ_OK && r.n_hits > 0;
    index_results_clear(&r);
    return found;
}

kq_status search_run(search_engine *e, const search_request *req, search_result *out)
{
    double started = now_ms();
    query_node *tree = NULL;
    index_query *q = NULL;
    snippet_terms *marks = NULL;
    kq_status st;

    memset(out, 0, sizeof *out);
    e->error[0] = '\0';
    if ((st = check_request(e, req)) != KQ_OK)
        return st;
    out->query = strdup(req->query);
    out->offset = req->offset;
    out->limit = req->limit ? req->limit : 10;
    tree = query_parse(req->query, strlen(req->query));
    if (!out->query || !tree) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    int only_stops = 0;
    size_t stops = 0;
    size_t words = content_words(e, tree, &only_stops, &stops);
    int partial = words > LONG_QUERY_WORDS && (stops > 0 || words > KEYWORD_MAX_WORDS);
    int dated = has_node(tree, QUERY_DATE) || req->since || req->until;
    int none_has_all = 1;
    int relaxed = 0; /* phrases relaxed to their words (see builder) */
    double half_life = req->half_life_days == 0 ? SEARCH_HALF_LIFE_DAYS : req->half_life_days;
    struct proximity prox;
    struct headline headline;
    struct passage passage;
    int pasted = -1; /* a passage (see PAIR_BONUS); -1: not known yet */

    for (int attempt = 0;; attempt++) {
        index_query_free(q);
        snippet_terms_free(marks);
        q = NULL;
        marks = snippet_terms_new();
        if (!marks) {
            st = KQ_ERR_NOMEM;
            goto out;
        }
        st = refresh(e, attempt > 0);
        if (st != KQ_OK)
            goto out;
        /* Function words say a question or a passage, whatever its length. */
        int sentence = partial || stops > 0;
        if (partial && pasted < 0 && !is_question(req->query)) {
            if ((st = passage_pairs(e, req->query, &passage)) != KQ_OK)
                goto out;
            pasted = 1;
        }
        headline.n = 0;
        struct builder b = {.e = e,
                            .headline = &headline,
                            .marks = marks,
                            .partial = partial,
                            .keep_stops = only_stops,
                            .relax_phrases = relaxed || partial,
                            .sentence = sentence,
                            .status = KQ_OK};
        q = build(&b, tree);
        if (b.status != KQ_OK) {
            st = b.status;
            goto out;
        }
        if (!q && has_positive_terms(tree))
            q = index_query_match_nothing(); /* nothing searchable was typed (punctuation) */
        if (q && partial && words >= 2) {
            /* Partial matching is said to be partial only when no article has
             * every word.  (Adding the all-words match as a bonus was measured:
             * MRR@10 0.672 instead of 0.685 on PIAF; BM25 over the words
             * already ranks the articles having more of them higher.) */
            struct builder all = {
                .e = e, .marks = marks, .keep_stops = only_stops, .status = KQ_OK};
            index_query *every = build(&all, tree);
            none_has_all = every && !has_any_match(e, every);
            index_query_free(every);
        }
        prox.n = 0;
        if (q && !partial && words >= 2 && words <= 4)
            proximity_terms(e, tree, &prox);
        if (q && req->sort == SEARCH_SORT_RELEVANCE && !dated && half_life > 0)
            q = maybe(q, freshness_query(e, half_life));
        q = add_filters(req, q);
        if (!q)
            q = index_query_match_all(); /* filters alone, or an empty query: browse */
        if (q && req->duplicates_of) {
            q = duplicates_filter(e, req->duplicates_of, q, &st);
            if ((st == KQ_ERR_MODIFIED || (st == KQ_ERR_NOT_FOUND && attempt == 0)) &&
                attempt < MAX_RETRIES)
                continue; /* a commit landed, or may have: read the newest revision */
            if (st == KQ_ERR_NOT_FOUND)
                set_error(e, "no article %s", req->duplicates_of);
            else if (st != KQ_OK)
                set_error(e, "search failed: %s", index_last_error(e->index));
            if (st != KQ_OK)
                goto out; /* never the search without its filter */
        }
        if (!q) {
            st = KQ_ERR_NOMEM;
            goto out;
        }
        if (e->debug_query) {
            char *d = index_query_describe(q);
            fprintf(stderr, "query: %s\n", d ? d : "?");
            free(d);
        }
        st = execute(e, req, q, marks, &prox, &headline, pasted > 0 && partial ? &passage : NULL,
                     sentence, out);
        if (st == KQ_ERR_MODIFIED && attempt < MAX_RETRIES) {
            clear_hits(out);
            continue; /* a commit landed during the query: read the new revision */
        }
        if (st != KQ_OK)
            goto out;
        if (out->total == 0 && !relaxed && has_node(tree, QUERY_PHRASE)) {
            /* No article has the phrases (a pasted quotation, say): their
             * words instead, the articles with a phrase ranked first. */
            relaxed = partial = none_has_all = 1;
            clear_hits(out);
            continue;
        }
        if (out->total == 0 && !partial && words > 1) {
            none_has_all = 1;
            /* No article has every word: ranked partial matching instead. */
            partial = 1;
            clear_hits(out);
            continue;
        }
        break;
    }
    out->partial = partial && none_has_all;
    if ((out->total < 3 || out->partial) && words > 0)
        out->suggestion = did_you_mean(e, tree);
out:
    if (st != KQ_OK && !e->error[0])
        set_error(e, "%s", status_to_string(st));
    out->took_ms = now_ms() - started;
    index_query_free(q);
    snippet_terms_free(marks);
    query_free(tree);
    return st;
}

kq_status search_related(search_engine *e, const char *id, unsigned limit, search_result *out)
{
    char term[512];
    struct expanded rel = {.n = 0};
    search_request req = {.query = "", .limit = limit ? limit : 5, .half_life_days = -1};
    snippet_terms *none = snippet_terms_new();
    index_query *q = NULL;
    kq_status st;

    memset(out, 0, sizeof *out);
    out->query = strdup("");
    out->limit = req.limit;
    if (!none || !out->query) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    if (req.limit > SEARCH_MAX_LIMIT || document_unique_term(id, term, sizeof term) != 0) {
        st = KQ_ERR_INVALID;
        set_error(e, "bad article id or limit");
        goto out;
    }
    for (int attempt = 0;; attempt++) {
        st = refresh(e, attempt > 0);
        for (size_t i = 0; i < rel.n; i++)
            index_query_free(rel.terms[i]);
        rel.n = 0;
        if (st == KQ_OK)
            st = index_expand(e->index, term, DOCUMENT_PREFIX_STEM, RELATED_TERMS, collect_expanded,
                              &rel);
        if (st == KQ_OK) {
            index_query *any = combine_free(INDEX_OP_OR, rel.terms, rel.n, 0);
            rel.n = 0;
            index_query *self = index_query_term(term, 1);
            index_query *pair[2] = {any, self};
            index_query_free(q);
            q = any ? combine_free(INDEX_OP_AND_NOT, pair, 2, 0) : index_query_match_nothing();
            if (!any)
                index_query_free(self);
            st = q ? execute(e, &req, q, none, NULL, NULL, NULL, 1, out) : KQ_ERR_NOMEM;
        }
        /* An article unknown to a revision read less than refresh_ms ago
         * may have been committed since: look at the newest once. */
        if ((st == KQ_ERR_MODIFIED || (st == KQ_ERR_NOT_FOUND && attempt == 0)) &&
            attempt < MAX_RETRIES) {
            clear_hits(out);
            continue;
        }
        break;
    }
    if (st == KQ_ERR_NOT_FOUND)
        set_error(e, "no article %s", id);
out:
    for (size_t i = 0; i < rel.n; i++)
        index_query_free(rel.terms[i]);
    index_query_free(q);
    snippet_terms_free(none);
    return st;
}

void search_result_clear(search_result *r)
{
    if (!r)
        return;
    clear_hits(r);
    free(r->query);
    free(r->suggestion);
    memset(r, 0, sizeof *r);
}

/* ---- Rendering ---------------------------------------------------------- */

static void append_escaped(char **p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        }
        if (rep) {
            size_t m = strlen(rep);
            memcpy(*p, rep, m);
            *p += m;
        } else {
            *(*p)++ = s[i];
        }
    }
}

char *search_snippet_html(const search_hit *hit)
{
    size_t len = strlen(hit->snippet);
    char *out = malloc(len * 6 + hit->n_marks * 13 + 1);
    char *p = out;
    size_t at = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < hit->n_marks; i++) {
        const search_mark *m = &hit->marks[i];
        if (m->start < at || m->end > len || m->start >= m->end)
            continue;
        append_escaped(&p, hit->snippet + at, m->start - at);
        memcpy(p, "<mark>", 6), p += 6;
        append_escaped(&p, hit->snippet + m->start, m->end - m->start);
        memcpy(p, "</mark>", 7), p += 7;
        at = m->end;
    }
    append_escaped(&p, hit->snippet + at, len - at);
    *p = '\0';
    return out;
}

char *search_result_to_json(const search_result *r)
{
    json_writer w;
    jw_init(&w);
    jw_begin(&w, '{');
    jw_key(&w, "query");
    jw_string(&w, r->query ? r->query : "");
    jw_key(&w, "total");
    jw_int(&w, (long long)r->total);
    jw_key(&w, "offset");
    jw_int(&w, r->offset);
    jw_key(&w, "limit");
    jw_int(&w, r->limit);
    jw_key(&w, "took_ms");
    jw_real(&w, round(r->took_ms * 1000) / 1000);
    jw_key(&w, "total_exact");
    jw_bool(&w, r->total_exact);
    jw_key(&w, "total_lower");
    jw_int(&w, (long long)r->total_lower);
    jw_key(&w, "partial");
    jw_bool(&w, r->partial);
    jw_key(&w, "hits");
    jw_begin(&w, '[');
    for (size_t i = 0; i < r->n_hits; i++) {
        const search_hit *h = &r->hits[i];
        const char *const fields[][2] = {{"id", h->id},         {"url", h->url},
                                         {"title", h->title},   {"date", h->date},
                                         {"author", h->author}, {"section", h->section}};
        jw_begin(&w, '{');
        for (size_t f = 0; f < sizeof fields / sizeof *fields; f++) {
            jw_key(&w, fields[f][0]);
            jw_string(&w, fields[f][1] ? fields[f][1] : "");
        }
        char *snippet = search_snippet_html(h);
        if (!snippet)
            w.out.failed = 1; /* out of memory: no reply rather than a wrong one */
        jw_key(&w, "snippet");
        jw_string(&w, snippet ? snippet : "");
        free(snippet);
        jw_key(&w, "score");
        jw_real(&w, round(h->score * 1000) / 1000);
        if (h->duplicates) {
            jw_key(&w, "duplicates");
            jw_int(&w, h->duplicates);
        }
        jw_end(&w, '}');
    }
    jw_end(&w, ']');
    jw_key(&w, "suggestion");
    jw_string(&w, r->suggestion);
    if (r->has_facets) {
        jw_key(&w, "facets");
        jw_begin(&w, '{');
        for (size_t i = 0; i < SEARCH_FACET_COUNT; i++) {
            jw_key(&w, facet_names[i]);
            jw_begin(&w, '{');
            for (size_t k = 0; k < r->facets[i].n_values; k++) {
                jw_key(&w, r->facets[i].values[k].value);
                jw_int(&w, (long long)r->facets[i].values[k].count);
            }
            jw_end(&w, '}');
        }
        jw_end(&w, '}');
    }
    jw_end(&w, '}');
    return jw_finish(&w, NULL);
}

/* ---- Suggestions, articles, status ------------------------------------ */

struct candidate {
    char *word;
    uint64_t freq;
};

struct candidates {
    struct candidate *c;
    size_t n, cap;
    size_t prefix_len;
};

static int collect_candidate(void *ctx, const char *term, uint64_t freq)
{
    struct candidates *cs = ctx;
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 64;
        struct candidate *c = realloc(cs->c, cap * sizeof *c);
        if (!c)
            return 1;
        cs->c = c;
        cs->cap = cap;
    }
    cs->c[cs->n].word = strdup(term + cs->prefix_len);
    cs->c[cs->n].freq = freq;
    if (cs->c[cs->n].word)
        cs->n++;
    return 0;
}

static int by_freq(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    return x->freq < y->freq ? 1 : x->freq > y->freq ? -1 : strcmp(x->word, y->word);
}

static void free_candidates(struct candidates *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        free(cs->c[i].word);
    free(cs->c);
}

/* The accented spelling most used for a folded word, or NULL. */
static char *accented_form(search_engine *e, const char *folded, uint64_t freq)
{
    char prefix[DOCUMENT_MAX_TERM + 8];
    struct candidates cs = {.prefix_len = strlen(DOCUMENT_PREFIX_EXACT) + strlen(folded) + 1};
    char *best = NULL;
    snprintf(prefix, sizeof prefix, "%s%s:", DOCUMENT_PREFIX_EXACT, folded);
    if (index_terms_with_prefix(e->index, prefix, 16, collect_candidate, &cs) == KQ_OK && cs.n) {
        if (cs.n > 1)
            qsort(cs.c, cs.n, sizeof *cs.c, by_freq);
        if (cs.c[0].freq * 2 >= freq)
            best = strdup(cs.c[0].word);
    }
    free_candidates(&cs);
    return best;
}

/* Edit distance between two folded words (insertions, deletions,
 * substitutions and transpositions), or max + 1 when larger than max. */
static size_t edit_distance(const char *a, const char *b, size_t max)
{
    size_t la = strlen(a), lb = strlen(b);
    if ((la > lb ? la - lb : lb - la) > max || la > 64 || lb > 64)
        return max + 1;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t row_min = max + 1;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > max)
            return max + 1;
    }
    return d[la][lb];
}

/* The archive's word closest to a folded word the archive does not have:
 * the fewest edits (at most 1 for short words, 2 otherwise), then the most
 * articles.  Candidates share the first letter.  Accents are folded before
 * this, so a missing accent is never taken for a typo.  The caller frees
 * the result. */
#define SPELLING_SCAN 200000
static char *closest_word(search_engine *e, const char *word)
{
    struct candidates cs = {0};
    char first[8] = {0};
    size_t len = strlen(word), max = len <= 4 ? 1 : 2;
    char *best = NULL;
    size_t best_dist = max + 1;
    uint64_t best_freq = 0;
    first[0] = word[0];
    if (len < 3 ||
        index_terms_with_prefix(e->index, first, SPELLING_SCAN, collect_candidate, &cs) != KQ_OK)
        goto out;
    for (size_t i = 0; i < cs.n; i++) {
        const char *w = cs.c[i].word;
        size_t d = edit_distance(word, w, max);
        if (d == 0 || d > max)
            continue;
        if (d < best_dist || (d == best_dist && cs.c[i].freq > best_freq)) {
            best_dist = d;
            best_freq = cs.c[i].freq;
            best = cs.c[i].word;
        }
    }
    if (best)
        best = strdup(best);
out:
    free_candidates(&cs);
    return best;
}

static char *did_you_mean(search_engine *e, const query_node *root)
{
    size_t cap = 1, at = 0;
    char *out = NULL;
    int changed = 0;
    for (size_t i = 0; i < root->n_children; i++) {
        const query_node *c = root->children[i];
        if (c->kind == QUERY_WORD)
            cap += strlen(c->text) + DOCUMENT_MAX_TERM * 2 + 2;
    }
    out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t i = 0; i < root->n_children; i++) {
        const query_node *c = root->children[i];
        if (c->kind != QUERY_WORD || c->negated || c->field != QUERY_FIELD_ANY) {
            free(out); /* keep it simple: only plain word queries get a suggestion */
            return NULL;
        }
        const char *shown = c->text;
        char *fix = NULL, *accented = NULL;
        struct qtokens tk;
        struct builder tmp = {.e = e};
        analyse_words(&tmp, c->text, &tk);
        uint64_t freq = 1;
        if (tk.n == 1 && !(tk.t[0].flags & (TOKEN_NUMBER | TOKEN_STOPWORD)) &&
            index_term_freq(e->index, tk.t[0].term, &freq) == KQ_OK && freq == 0 &&
            (fix = closest_word(e, tk.t[0].term))) {
            uint64_t fix_freq = 0;
            index_term_freq(e->index, fix, &fix_freq);
            accented = accented_form(e, fix, fix_freq);
            shown = accented ? accented : fix;
            changed = 1;
        }
        at += (size_t)snprintf(out + at, cap - at, "%s%s", at ? " " : "", shown);
        free(fix);
        free(accented);
    }
    if (!changed) {
        free(out);
        return NULL;
    }
    return out;
}

/* Suggestions.  What was typed is analysed as a query; its last token, when
 * the text ends inside it, is the word being typed (a prefix), and the
 * content word before it, if any, says which phrases to complete: the word
 * pairs of headlines and chapôs (XP terms, document.h) that start with that
 * word and the prefix, the most frequent first.  Without a word before, the
 * headline words (S terms) with that prefix are completed, the most frequent
 * first, and the leading one also as the phrase it most often starts.  Only
 * term lists are read (a few hundred terms), plus the headlines searched
 * last: all of it Xapian's own data, so it works the same on shards. */
struct suggest_token {
    char term[DOCUMENT_MAX_TERM + 1];
    char stem[DOCUMENT_MAX_TERM + 1];
    unsigned flags;
    size_t start, end; /* bytes of the surface form in the text typed */
};

#define SUGGEST_TOKENS 32

struct suggest_tokens {
    struct suggest_token t[SUGGEST_TOKENS];
    size_t n;
};

/* Keeps the last SUGGEST_TOKENS tokens, without joined forms of hyphenated
 * words (their parts are kept). */
static int collect_suggest_token(void *ctx, const analyzer_token *tok)
{
    struct suggest_tokens *s = ctx;
    if (tok->flags & TOKEN_COMPOUND || tok->term_len > DOCUMENT_MAX_TERM ||
        tok->stem_len > DOCUMENT_MAX_TERM)
        return 0;
    if (s->n == SUGGEST_TOKENS) {
        memmove(s->t, s->t + 1, (SUGGEST_TOKENS - 1) * sizeof *s->t);
        s->n--;
    }
    struct suggest_token *t = &s->t[s->n++];
    memcpy(t->term, tok->term, tok->term_len + 1);
    memcpy(t->stem, tok->stem, tok->stem_len + 1);
    t->flags = tok->flags;
    t->start = tok->start;
    t->end = tok->end;
    return 0;
}

#define SUGGEST_HEADLINES 3
#define SUGGEST_SCAN 20000   /* terms read at most for one prefix */
#define SUGGEST_MIN_PREFIX 2 /* letters typed before the first word is completed */
#define GLUED_MIN_FREQ 20    /* articles holding a word that ends a glued one */

/* The list being filled: completions, then headlines. */
struct suggest_list {
    char **items;
    size_t n, cap;
};

static int add_suggestion(struct suggest_list *l, const char *head, size_t head_len,
                          const char *tail)
{
    size_t tail_len = strlen(tail);
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->items[i]) == head_len + tail_len &&
            strncmp(l->items[i], head, head_len) == 0 && strcmp(l->items[i] + head_len, tail) == 0)
            return 0;
    if (l->n == l->cap)
        return 0;
    char *s = malloc(head_len + tail_len + 1);
    if (!s)
        return -1;
    memcpy(s, head, head_len);
    memcpy(s + head_len, tail, tail_len + 1);
    l->items[l->n++] = s;
    return 0;
}

/* The terms starting with prefix, the most frequent first, at most
 * SUGGEST_SCAN of them read; each candidate word is the term without the
 * prefix's first `strip` bytes. */
static kq_status scan_terms(search_engine *e, const char *prefix, size_t strip,
                            struct candidates *cs)
{
    cs->prefix_len = strip;
    kq_status st = index_terms_with_prefix(e->index, prefix, SUGGEST_SCAN, collect_candidate, cs);
    if (st == KQ_OK && cs->n > 1)
        qsort(cs->c, cs->n, sizeof *cs->c, by_freq);
    return st;
}

/* Appends head + `words` shown with their accents ("ecole" → "école"). */
static kq_status add_completion(search_engine *e, struct suggest_list *l, const char *head,
                                size_t head_len, const char *words)
{
    char shown[2 * DOCUMENT_MAX_TERM + 2];
    size_t at = 0;
    const char *w = words;
    while (*w) {
        size_t len = strcspn(w, " ");
        char word[DOCUMENT_MAX_TERM + 1];
        uint64_t freq = 0;
        if (len > DOCUMENT_MAX_TERM)
            return KQ_OK;
        memcpy(word, w, len);
        word[len] = '\0';
        index_term_freq(e->index, word, &freq);
        char *accented = accented_form(e, word, freq);
        at += (size_t)snprintf(shown + at, sizeof shown - at, "%s%s", at ? " " : "",
                               accented ? accented : word);
        free(accented);
        if (at >= sizeof shown)
            return KQ_OK;
        w += len + (w[len] == ' ');
    }
    return add_suggestion(l, head, head_len, shown) == 0 ? KQ_OK : KQ_ERR_NOMEM;
}

/* The second words of the pairs "first p…", the most frequent first. */
static kq_status pair_completions(search_engine *e, const char *first, const char *p,
                                  struct candidates *cs)
{
    char prefix[2 * DOCUMENT_MAX_TERM + 8];
    int len = snprintf(prefix, sizeof prefix, "%s%s %s", DOCUMENT_PREFIX_PAIR, first, p);
    if (len < 0 || (size_t)len >= sizeof prefix)
        return KQ_OK;
    return scan_terms(e, prefix, strlen(DOCUMENT_PREFIX_PAIR) + strlen(first) + 1, cs);
}

/* Up to SUGGEST_HEADLINES headlines holding the words typed (stems of the
 * content words before, `last` the title terms one of which completes the
 * last word). */
static kq_status add_headlines(search_engine *e, const struct suggest_tokens *tk, size_t n_before,
                               index_query *last, struct suggest_list *l)
{
    index_query *subs[SUGGEST_TOKENS + 1];
    size_t n = 0;
    index_results hr = {0};
    kq_status st = KQ_OK;
    char term[DOCUMENT_MAX_TERM + 8];
    for (size_t i = 0; i < n_before; i++) {
        if (tk->t[i].flags & TOKEN_STOPWORD)
            continue;
        snprintf(term, sizeof term, "Z%s%s", DOCUMENT_PREFIX_TITLE, tk->t[i].stem);
        if (!(subs[n] = index_query_term(term, 1)))
            goto nomem;
        n++;
    }
    if (last)
        subs[n++] = last;
    if (n == 0)
        return KQ_OK;
    index_query *q = index_query_combine(INDEX_OP_AND, subs, n, 0);
    for (size_t i = 0; i < n; i++)
        if (subs[i] != last)
            index_query_free(subs[i]);
    if (!q)
        return KQ_ERR_NOMEM;
    index_search_options opts = {.limit = SUGGEST_HEADLINES,
                                 .collapse_slot = DOCUMENT_SLOT_COLLAPSE};
    st = index_search(e->index, q, &opts, &hr);
    index_query_free(q);
    for (size_t i = 0; st == KQ_OK && i < hr.n_hits; i++) {
        document_view v;
        st = document_reader_view(e->reader, hr.hits[i].data, hr.hits[i].data_len, &v);
        if (st == KQ_OK && add_suggestion(l, "", 0, v.title) != 0)
            st = KQ_ERR_NOMEM;
        document_view_clear(&v);
    }
    index_results_clear(&hr);
    return st;
nomem:
    for (size_t i = 0; i < n; i++)
        index_query_free(subs[i]);
    return KQ_ERR_NOMEM;
}

/* The title terms of the first completions, as alternatives; NULL when none. */
static index_query *title_terms(const struct candidates *cs, size_t max)
{
    index_query *subs[SUGGEST_HEADLINES];
    size_t n = 0;
    char term[DOCUMENT_MAX_TERM + 8];
    for (size_t i = 0; i < cs->n && n < max && n < SUGGEST_HEADLINES; i++) {
        if (analyzer_is_stopword(cs->c[i].word))
            continue;
        snprintf(term, sizeof term, "%s%s", DOCUMENT_PREFIX_TITLE, cs->c[i].word);
        if (!(subs[n] = index_query_term(term, 1)))
            break;
        n++;
    }
    return n ? combine_free(INDEX_OP_OR, subs, n, 0) : NULL;
}

/* A completed first word also offered as the phrase it most often starts,
 * when at least a quarter of its headlines hold that phrase ("gil" →
 * "gilets", "gilets jaunes"). */
static kq_status add_phrase_of(search_engine *e, struct suggest_list *l, const char *head,
                               size_t head_len, const struct candidate *word)
{
    struct candidates pairs = {0};
    kq_status st = pair_completions(e, word->word, "", &pairs);
    if (st == KQ_OK && pairs.n && pairs.c[0].freq * 4 >= word->freq &&
        strlen(word->word) + 1 + strlen(pairs.c[0].word) <= DOCUMENT_MAX_TERM) {
        char phrase[2 * DOCUMENT_MAX_TERM + 2];
        snprintf(phrase, sizeof phrase, "%s %s", word->word, pairs.c[0].word);
        st = add_completion(e, l, head, head_len, phrase);
    }
    free_candidates(&pairs);
    return st;
}

/* 1 when a word of the text is a headline word glued to the next word by
 * a missing space (municipales + son, coronavirus + covid19: text pasted
 * from pages), which a reader never means. */
static int glued(search_engine *e, const struct candidates *headline_words, const char *word)
{
    for (size_t i = 0; i < headline_words->n; i++) {
        const char *w = headline_words->c[i].word;
        size_t len = strlen(w);
        uint64_t freq = 0;
        if (len < strlen(word) && strncmp(word, w, len) == 0 &&
            (analyzer_is_stopword(word + len) ||
             (index_term_freq(e->index, word + len, &freq) == KQ_OK && freq >= GLUED_MIN_FREQ)))
            return 1;
    }
    return 0;
}

kq_status search_suggest(search_engine *e, const char *prefix, size_t max, char ***out, size_t *n,
                         size_t *n_completions)
{
    struct suggest_tokens tk = {.n = 0};
    struct candidates cs = {0};
    struct suggest_list l = {0};
    index_query *last = NULL;
    kq_status st = KQ_OK;
    size_t len = strlen(prefix);
    const char *head = prefix; /* what completions start with */
    char *spaced = NULL;       /* prefix and a space, when head is that */
    *out = NULL;
    *n = 0;
    if (n_completions)
        *n_completions = 0;
    if (len > SEARCH_MAX_QUERY_BYTES)
        return KQ_ERR_INVALID;
    l.cap = max + SUGGEST_HEADLINES;
    if (!(l.items = calloc(l.cap + 1, sizeof *l.items)))
        return KQ_ERR_NOMEM;
    if ((st = refresh(e, 0)) != KQ_OK ||
        (st = analyzer_run(e->analyzer, prefix, len, 1, ANALYZER_QUERY, collect_suggest_token, &tk,
                           NULL)) != KQ_OK)
        goto out;
    /* The word being typed: the last token, when nothing follows it. */
    const struct suggest_token *typing = tk.n && tk.t[tk.n - 1].end == len ? &tk.t[tk.n - 1] : NULL;
    size_t n_before = tk.n - (typing != NULL);
    size_t head_len = typing ? typing->start : len;
    const struct suggest_token *before = NULL;
    for (size_t i = n_before; i-- > 0 && !before;)
        if (!(tk.t[i].flags & TOKEN_STOPWORD))
            before = &tk.t[i];
    const char *p = typing ? typing->term : "";
    /* After a closing quote or a colon, the next word comes after a space. */
    if (!typing && len && prefix[len - 1] != ' ') {
        if (!(spaced = malloc(len + 2))) {
            st = KQ_ERR_NOMEM;
            goto out;
        }
        memcpy(spaced, prefix, len);
        memcpy(spaced + len, " ", 2);
        head = spaced;
        head_len = len + 1;
    }
    if (before) {
        /* After a word: the phrases the archive holds ("gilets j" →
         * "gilets jaunes"), and headlines with those words. */
        if ((st = pair_completions(e, before->term, p, &cs)) != KQ_OK)
            goto out;
        for (size_t i = 0; i < cs.n && l.n < max && st == KQ_OK; i++)
            st = add_completion(e, &l, head, head_len, cs.c[i].word);
        if (st != KQ_OK)
            goto out;
        last = title_terms(&cs, SUGGEST_HEADLINES);
        if (!last && strlen(p) >= SUGGEST_MIN_PREFIX) {
            char title_prefix[DOCUMENT_MAX_TERM + 8];
            snprintf(title_prefix, sizeof title_prefix, "%s%s", DOCUMENT_PREFIX_TITLE, p);
            last = index_query_wildcard(title_prefix, PREFIX_EXPANSION);
        }
    } else if (strlen(p) >= SUGGEST_MIN_PREFIX) {
        /* A first word: the headline words it starts, the most frequent
         * first; the leading one also as the phrase it most often starts. */
        char title_prefix[DOCUMENT_MAX_TERM + 8];
        snprintf(title_prefix, sizeof title_prefix, "%s%s", DOCUMENT_PREFIX_TITLE, p);
        if ((st = scan_terms(e, title_prefix, strlen(DOCUMENT_PREFIX_TITLE), &cs)) != KQ_OK)
            goto out;
        size_t shown = 0;
        for (size_t i = 0; i < cs.n && l.n < max && st == KQ_OK; i++) {
            if (analyzer_is_stopword(cs.c[i].word) && strlen(cs.c[i].word) < 4)
                continue;
            st = add_completion(e, &l, head, head_len, cs.c[i].word);
            if (st == KQ_OK && shown++ == 0 && l.n < max)
                st = add_phrase_of(e, &l, head, head_len, &cs.c[i]);
        }
        if (st != KQ_OK)
            goto out;
        last = title_terms(&cs, SUGGEST_HEADLINES);
        /* A word no headline holds (a name met in the text only): the
         * archive's words, once three letters are typed. */
        if (l.n < max && strlen(p) >= 3) {
            struct candidates words = {0};
            if ((st = scan_terms(e, p, 0, &words)) != KQ_OK) {
                free_candidates(&words);
                goto out;
            }
            for (size_t i = 0; i < words.n && l.n < max && st == KQ_OK; i++)
                if (!analyzer_is_stopword(words.c[i].word) && !glued(e, &cs, words.c[i].word))
                    st = add_completion(e, &l, head, head_len, words.c[i].word);
            free_candidates(&cs);
            cs = words;
            if (st != KQ_OK)
                goto out;
            if (!last)
                last = title_terms(&cs, SUGGEST_HEADLINES);
        }
    }
    if (n_completions)
        *n_completions = l.n;
    /* Headlines hold the word being typed, or else the words before it. */
    if (last || (n_before && !typing))
        st = add_headlines(e, &tk, n_before, last, &l);
out:
    index_query_free(last);
    free_candidates(&cs);
    free(spaced);
    if (st != KQ_OK) {
        search_strings_free(l.items, l.n);
        return st;
    }
    *out = l.items;
    *n = l.n;
    return KQ_OK;
}

void search_strings_free(char **strings, size_t n)
{
    for (size_t i = 0; strings && i < n; i++)
        free(strings[i]);
    free(strings);
}

/* Returns a JSON array of n strings (NULL when out of memory); the caller
 * owns the reference. */
static json_t *string_array(char *const *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_string(items[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

kq_status search_article_json(search_engine *e, const char *id, char **json)
{
    char term[512];
    char *data = NULL;
    size_t len = 0;
    document_view v;
    article art = {0};
    char why[256];
    json_t *o = NULL;
    *json = NULL;
    if (document_unique_term(id, term, sizeof term) != 0)
        return KQ_ERR_NOT_FOUND;
    kq_status st = refresh(e, 0);
    if (st == KQ_OK)
        st = index_get_data(e->index, term, &data, &len, NULL);
    if (st == KQ_ERR_NOT_FOUND && (st = refresh(e, 1)) == KQ_OK)
        st = index_get_data(e->index, term, &data, &len, NULL); /* committed since? */
    if (st != KQ_OK) {
        if (st != KQ_ERR_NOT_FOUND)
            set_error(e, "%s", index_last_error(e->index));
        return st;
    }
    /* The view joins the lists as hits show them; the article has them one by one. */
    st = document_reader_view(e->reader, data, len, &v);
    if (st == KQ_OK)
        st = document_reader_article(e->reader, data, len, &art, why, sizeof why);
    o = json_object();
    if (st == KQ_OK && !o)
        st = KQ_ERR_NOMEM;
    if (st != KQ_OK) {
        set_error(e, "article %s has unreadable data", id);
        goto out;
    }
    json_object_set_new(o, "id", json_string(v.id));
    json_object_set_new(o, "url", json_string(v.url));
    json_object_set_new(o, "title", json_string(v.title));
    json_object_set_new(o, "description", json_string(v.description));
    json_object_set_new(o, "date", json_string(v.date));
    json_object_set_new(o, "date_modified",
                        json_string(art.date_modified ? art.date_modified : ""));
    json_object_set_new(o, "author", json_string(v.author));
    json_object_set_new(o, "authors", string_array(art.authors, art.n_authors));
    json_object_set_new(o, "section", json_string(v.section));
    json_object_set_new(o, "sections", string_array(art.sections, art.n_sections));
    json_object_set_new(o, "keywords", string_array(art.keywords, art.n_keywords));
    json_object_set_new(o, "language", json_string(v.language));
    *json = json_dumps(o, JSON_COMPACT);
    if (!*json)
        st = KQ_ERR_NOMEM;
out:
    document_view_clear(&v);
    article_clear(&art);
    json_decref(o);
    free(data);
    return st;
}

kq_status search_get_status(search_engine *e, search_status *out)
{
    index_stats s;
    memset(out, 0, sizeof *out);
    kq_status st = refresh(e, 1);
    if (st == KQ_OK)
        st = index_get_stats(e->index, &s);
    if (st != KQ_OK) {
        set_error(e, "%s", index_last_error(e->index));
        return st;
    }
    out->documents = s.documents;
    /* The indexer's batch revision: Xapian's own starts again in the new
     * directory a sharded build switches to, so it could come back to a
     * number already seen, with the same count, and key a stale cache. */
    char *rev = index_get_metadata(e->index, DOCUMENT_META_REVISION);
    out->revision = rev && *rev ? strtoull(rev, NULL, 10) : s.revision;
    free(rev);
    char *last = index_get_metadata(e->index, DOCUMENT_META_LAST_UPDATE);
    if (last)
        snprintf(out->last_update, sizeof out->last_update, "%s", last);
    free(last);
    return KQ_OK;
}
