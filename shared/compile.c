#include "compile.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "date.h"
#include "search_impl.h"

/* From a plan to a Xapian query: each word of the tree becomes its stem,
 * its form as typed and its accents as typed (weighted by the plan's
 * ranking), or its form alone for a name; hyphenated and glued words their
 * parts near each other or their compound; phrases their words in order;
 * fields their prefixes (document.h's table); then the reader's filters,
 * freshness and the copies of an article. */
#define WEIGHT_EXACT 0.05
#define WEIGHT_TITLE_SURFACE 0.35 /* titre:word as typed, beside its stem */

/* The terms of a field named in the query (document.h's table, in the
 * same order as query.h's fields). */
_Static_assert((int)QUERY_FIELD_ANY == DOCUMENT_FIELD_TEXT &&
                   (int)QUERY_FIELD_TITLE == DOCUMENT_FIELD_TITLE &&
                   (int)QUERY_FIELD_AUTHOR == DOCUMENT_FIELD_AUTHOR &&
                   (int)QUERY_FIELD_SECTION == DOCUMENT_FIELD_SECTION &&
                   (int)QUERY_FIELD_KEYWORD == DOCUMENT_FIELD_KEYWORD,
               "query.h's fields and document.h's table");
static const document_field_terms *field_terms(enum query_field field)
{
    return &document_fields[field];
}

/* Adds a headline term of a query word (struct headline), once. */
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

struct builder {
    search_engine *e;
    search_plan *plan;
    struct headline *headline; /* NULL: not collected */
    snippet_terms *marks;
    int partial;       /* words are alternatives (OR) instead of all required */
    int keep_stops;    /* the query has nothing but stop words: search them */
    int relax_phrases; /* a phrase matches its words, and ranks higher as a phrase */
    int sentence;      /* ranked as a sentence (struct ranking), not as keywords */
    int no_variants;   /* phrases are searched without their variants (phrase_variants) */
    kq_status status;
};

/* The tokens of a text of the query, analysed once (plan_words). */
static struct qtokens *words_of(struct builder *b, const char *text)
{
    struct qtokens *tk = plan_words(b->plan, text);
    if (!tk)
        b->status = b->plan->status;
    return tk;
}

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

index_query *compile_combine(enum index_op op, index_query **subs, size_t n, unsigned window)
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
    return compile_combine(INDEX_OP_AND_NOT, pair, 2, 0);
}

/* The query of one analysed token searched anywhere in the text. */
static index_query *token_query(struct builder *b, struct qtoken *t)
{
    if ((t->flags & TOKEN_NUMBER) || plan_is_name(b->plan, t)) {
        snippet_terms_add(b->marks, t->term, NULL);
        headline_add(b->headline, field_terms(QUERY_FIELD_TITLE)->words, t->term);
        return index_query_term(t->term, 1);
    }
    snippet_terms_add(b->marks, t->term, t->stem);
    headline_add(b->headline, field_terms(QUERY_FIELD_TITLE)->stems, t->stem);
    index_query *alt[3] = {
        term_with_prefix(field_terms(QUERY_FIELD_ANY)->stems, t->stem,
                         plan_ranking(b->sentence)->stem),
        term_with_prefix("", t->term, plan_ranking(b->sentence)->surface),
        NULL,
    };
    if (strcmp(t->exact, t->term) != 0) {
        char buf[DOCUMENT_MAX_TERM * 2 + 2];
        snprintf(buf, sizeof buf, "%s:%s", t->term, t->exact);
        alt[2] = term_with_prefix(DOCUMENT_PREFIX_EXACT, buf, WEIGHT_EXACT);
    } else {
        alt[2] = unaccented_query(b, t->term);
    }
    return compile_combine(INDEX_OP_OR, alt, 3, 0);
}

/* A token searched in a named field: its stem and its form as written
 * where the field is stemmed (the headline), else its form. */
static index_query *field_token_query(struct builder *b, struct qtoken *t, enum query_field field)
{
    const document_field_terms *f = field_terms(field);
    if (field == QUERY_FIELD_ANY || !f->words)
        return token_query(b, t);
    if (!f->stems)
        return term_with_prefix(f->words, t->term, 1.0);
    snippet_terms_add(b->marks, t->term, t->stem);
    index_query *alt[2] = {term_with_prefix(f->stems, t->stem, 1.0),
                           term_with_prefix(f->words, t->term, WEIGHT_TITLE_SURFACE)};
    return compile_combine(INDEX_OP_OR, alt, 2, 0);
}

/* A whole value of a field searched as a filter (rubrique:politique). */
static index_query *whole_query(const char *text, enum query_field field)
{
    char *folded = analyzer_fold(text, strlen(text));
    index_query *q = folded ? term_with_prefix(field_terms(field)->whole, folded, 1.0) : NULL;
    free(folded);
    return q;
}

static index_query *section_query(const char *text)
{
    return whole_query(text, QUERY_FIELD_SECTION);
}

/* The query of the tokens t[0..n) of a phrase: in the text, the word terms
 * in order (stop words included: they are indexed with positions); in a
 * field, which has no positions, all the words, without their function
 * words (document.c does not index them there) unless it has nothing else.
 * NULL when there is nothing to search. */
static index_query *phrase_tokens_query(struct builder *b, struct qtoken *const *t, size_t n,
                                        enum query_field field)
{
    index_query *subs[MAX_WORD_TOKENS];
    size_t m = 0;
    int content = 0;
    for (size_t i = 0; i < n; i++)
        content |= !(t[i]->flags & TOKEN_STOPWORD);
    for (size_t i = 0; i < n && m < MAX_WORD_TOKENS; i++) {
        if (field != QUERY_FIELD_ANY && content && (t[i]->flags & TOKEN_STOPWORD))
            continue;
        if (field == QUERY_FIELD_ANY) {
            snippet_terms_add(b->marks, t[i]->term, NULL);
            subs[m++] = index_query_term(t[i]->term, 1);
        } else {
            subs[m++] = field_token_query(b, t[i], field);
        }
    }
    if (m == 0)
        return NULL;
    if (m == 1)
        return subs[0];
    return compile_combine(field == QUERY_FIELD_ANY ? INDEX_OP_PHRASE : INDEX_OP_AND, subs, m,
                           (unsigned)m);
}

/* What the vocabulary also finds for a word counts at most this much of
 * the word as typed, shared among its words (a phrase of two words, a
 * quarter each), so that an article with the word as typed ranks above one
 * with its synonym only. */
#define SYNONYM_WEIGHT 0.5

/* typed, or else other: an article matching typed weighs what it weighs
 * without the vocabulary, whether it matches other too or not, so those
 * articles keep their order: typed OR (other AND_NOT typed).  (Summed, the
 * "Rassemblement national journal" of news-kw-body lost its article from
 * rank 3 to 8; Xapian's OP_MAX crashes over several shards.)  Takes both. */
static index_query *typed_or_else(struct builder *b, index_query *typed, index_query *other)
{
    if (!other)
        return typed;
    if (!typed)
        return other;
    index_query *typed2 = index_query_scale(typed, 1.0);
    if (!typed2) {
        b->status = KQ_ERR_NOMEM;
        index_query_free(typed);
        index_query_free(other);
        return NULL;
    }
    index_query *unless[2] = {other, typed2};
    index_query *either[2] = {typed, compile_combine(INDEX_OP_AND_NOT, unless, 2, 0)};
    return compile_combine(INDEX_OP_OR, either, 2, 0);
}

/* The variants of a phrase of tokens t[0..n): the phrase with a form of
 * the vocabulary it holds in place of what the form also finds ("l'IA
 * générative": "l'intelligence artificielle générative"), each weighed
 * SYNONYM_WEIGHT of the phrase as typed.  Not for a phrase that is one form
 * and nothing else (`"IA"`, `"Front national"`: quotes around a name are
 * how a reader asks for it as typed), nor in a question.  Returns the
 * variants ORed, or NULL. */
static index_query *phrase_variants(struct builder *b, struct qtoken *const *t, size_t n,
                                    enum query_field field)
{
    const vocab *v = b->e->vocab;
    if (!v || vocab_size(v) == 0 || b->plan->question || b->no_variants || n < 2)
        return NULL;
    const char *terms[MAX_WORD_TOKENS], *alts[VOCAB_MAX_ALTERNATIVES];
    index_query *variants[VOCAB_MAX_ALTERNATIVES];
    size_t n_variants = 0, n_alts;
    for (size_t i = 0; i < n; i++)
        terms[i] = t[i]->term;
    for (size_t i = 0; i < n && n_variants < VOCAB_MAX_ALTERNATIVES; i++) {
        size_t k = vocab_match(v, terms, n, i, alts, &n_alts);
        if (!k)
            continue;
        for (size_t a = 0; k < n && a < n_alts && n_variants < VOCAB_MAX_ALTERNATIVES; a++) {
            struct qtokens *alt = words_of(b, alts[a]);
            struct qtoken *w[MAX_WORD_TOKENS];
            size_t m = 0;
            for (size_t j = 0; j < i; j++)
                w[m++] = t[j];
            for (size_t j = 0; alt && j < alt->n && m < MAX_WORD_TOKENS; j++)
                if (!(alt->t[j].flags & TOKEN_COMPOUND))
                    w[m++] = &alt->t[j];
            for (size_t j = i + k; j < n && m < MAX_WORD_TOKENS; j++)
                w[m++] = t[j];
            index_query *q = alt ? phrase_tokens_query(b, w, m, field) : NULL;
            if (q) {
                variants[n_variants++] =
                    index_query_scale(q, SYNONYM_WEIGHT * (double)n / (double)m);
                index_query_free(q);
            }
        }
        i += k - 1;
    }
    return compile_combine(INDEX_OP_OR, variants, n_variants, 0);
}

/* A phrase: its words in order in the text, all of them in a field, and
 * its variants by the vocabulary ranked below (phrase_variants). */
static index_query *phrase_query(struct builder *b, const char *text, enum query_field field)
{
    index_query *subs[MAX_WORD_TOKENS];
    struct qtoken *t[MAX_WORD_TOKENS];
    size_t n = 0;
    if (field == QUERY_FIELD_SECTION)
        return section_query(text);
    struct qtokens *tk = words_of(b, text);
    if (!tk)
        return NULL;
    for (size_t i = 0; i < tk->n; i++)
        if (!(tk->t[i].flags & TOKEN_COMPOUND))
            t[n++] = &tk->t[i];
    index_query *phrase = phrase_tokens_query(b, t, n, field);
    if (phrase)
        phrase = typed_or_else(b, phrase, phrase_variants(b, t, n, field));
    if (!b->relax_phrases || field != QUERY_FIELD_ANY || !phrase)
        return phrase;
    /* Relaxed: the phrase's content words, ranked up by the phrase. */
    n = 0;
    for (size_t i = 0; i < tk->n; i++)
        if (!(tk->t[i].flags & (TOKEN_COMPOUND | TOKEN_STOPWORD)))
            subs[n++] = token_query(b, &tk->t[i]);
    index_query *words = compile_combine(b->partial ? INDEX_OP_OR : INDEX_OP_AND, subs, n, 0);
    if (!words)
        return phrase;
    index_query *pair[2] = {words, phrase};
    return compile_combine(INDEX_OP_AND_MAYBE, pair, 2, 0);
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
    index_query *parts[MAX_WORD_TOKENS], *near[MAX_WORD_TOKENS];
    size_t n = 0;
    struct qtoken *compound = NULL;
    int content = 0;

    if (field == QUERY_FIELD_SECTION)
        return section_query(text);
    struct qtokens *tk = words_of(b, text);
    if (!tk)
        return NULL;
    for (size_t i = 0; i < tk->n; i++)
        if (!(tk->t[i].flags & TOKEN_STOPWORD))
            content = 1;
    if (!content && !b->keep_stops && field == QUERY_FIELD_ANY)
        return NULL; /* function words do not drive ranking */
    if (b->partial && tk->n == 1 && field == QUERY_FIELD_ANY && is_question_word(tk->t[0].term))
        return NULL; /* "combien", "pourquoi"... say what is asked, not what about */
    for (size_t i = 0; i < tk->n; i++) {
        if (tk->t[i].flags & TOKEN_COMPOUND) {
            compound = &tk->t[i];
        } else {
            near[n] = field == QUERY_FIELD_ANY ? index_query_term(tk->t[i].term, 1) : NULL;
            parts[n++] = field_token_query(b, &tk->t[i], field);
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
    index_query *all = compile_combine(INDEX_OP_AND, parts, n, 0);
    index_query *close =
        field == QUERY_FIELD_ANY ? compile_combine(INDEX_OP_NEAR, near, n, (unsigned)n + 1) : NULL;
    index_query *joined = compound ? field_token_query(b, compound, field) : NULL;
    if (split && close && joined) {
        *split = (struct split_word){all, close, joined};
        return NULL;
    }
    index_query *filter[2] = {all, close};
    index_query *together = compile_combine(INDEX_OP_FILTER, filter, 2, 0);
    index_query *alt[2] = {together, joined};
    return compile_combine(INDEX_OP_OR, alt, 2, 0);
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
    index_query *maybe[2] = {compile_combine(INDEX_OP_AND, joined, 2, 0),
                             compile_combine(INDEX_OP_FILTER, close, 2, 0)};
    index_query *by_compound = compile_combine(INDEX_OP_AND_MAYBE, maybe, 2, 0);
    index_query *tokens[2] = {rest2, w->parts};
    index_query *unless[2] = {compile_combine(INDEX_OP_AND, tokens, 2, 0), compound2};
    index_query *filter[2] = {compile_combine(INDEX_OP_AND_NOT, unless, 2, 0), w->near};
    index_query *by_tokens = compile_combine(INDEX_OP_FILTER, filter, 2, 0);
    memset(w, 0, sizeof *w);
    index_query *either[2] = {by_compound, by_tokens};
    index_query *q = compile_combine(INDEX_OP_OR, either, 2, 0);
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
    const document_field_terms *f = field_terms(field);
    const char *prefix = f->words ? f->words : f->whole;
    char buf[DOCUMENT_MAX_TERM + 8];
    if (strlen(folded) <= DOCUMENT_MAX_TERM) {
        snprintf(buf, sizeof buf, "%s%s", prefix, folded);
        q = index_query_wildcard(buf, COMPILE_PREFIX_EXPANSION);
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

/* "30 000" typed with a space reaches us as two words: the number of
 * children from i that form one number written in groups of three digits. */
static size_t number_run(const query_node *node, size_t i)
{
    size_t n = 1;
    const query_node *c = node->children[i];
    if (!plan_is_plain_word(c) || !is_digits(c->text, 1, 3))
        return 1;
    while (i + n < node->n_children && plan_is_plain_word(node->children[i + n]) &&
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

/* Children [x->first, + x->count) of a group as typed, or what the
 * vocabulary also finds for them, each searched as a phrase in the words'
 * field; an article with the words as typed weighs them only. */
static index_query *expansion_query(struct builder *b, const query_node *node,
                                    const struct plan_expansion *x)
{
    index_query *words[PLAN_MAX_EXPANSIONS * 2], *alts[VOCAB_MAX_ALTERNATIVES];
    size_t n = 0, n_alts = 0;
    enum query_field field = node->children[x->first]->field;
    for (size_t k = 0; k < x->count && n < sizeof words / sizeof *words; k++)
        words[n++] = build(b, node->children[x->first + k]);
    index_query *typed = compile_combine(b->partial ? INDEX_OP_OR : INDEX_OP_AND, words, n, 0);
    int relax = b->relax_phrases;
    b->relax_phrases = 0; /* a synonym is its phrase, never its words apart */
    b->no_variants = 1;   /* and only itself */
    for (size_t k = 0; k < x->n_alts; k++) {
        const struct qtokens *tk = words_of(b, x->alts[k]);
        size_t terms = 0;
        for (size_t t = 0; tk && t < tk->n; t++)
            terms += !(tk->t[t].flags & TOKEN_COMPOUND);
        index_query *q = terms ? phrase_query(b, x->alts[k], field) : NULL;
        if (q) {
            alts[n_alts++] = index_query_scale(q, SYNONYM_WEIGHT / (double)terms);
            index_query_free(q);
        }
    }
    b->relax_phrases = relax;
    b->no_variants = 0;
    return typed_or_else(b, typed, compile_combine(INDEX_OP_OR, alts, n_alts, 0));
}

/* The period of the plan's date phrase, as a filter. */
static index_query *plan_dates_query(const struct plan_dates *d)
{
    return date_query(d->from * 86400, d->to < 0 ? 0 : (d->to + 1) * 86400 - 1);
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
    int root = node == b->plan->tree;
    for (size_t i = 0; i < n; i++) {
        const query_node *c = node->children[i];
        if (root && plan_is_date_word(b->plan, i)) {
            /* The date phrase: a filter; a bare year, its word or its period. */
            const struct plan_dates *d = &b->plan->dates;
            if (i != d->first)
                continue;
            index_query *period = plan_dates_query(d);
            if (!d->what.or_word) {
                if (period)
                    filters[nf++] = period;
                continue;
            }
            index_query *either[2] = {build(b, c), period};
            index_query *sub = compile_combine(INDEX_OP_OR, either, 2, 0);
            if (sub)
                pos[np++] = sub;
            continue;
        }
        const struct plan_expansion *x = plan_expansion_at(b->plan, node, i);
        if (x) {
            index_query *sub = expansion_query(b, node, x);
            i += x->count - 1;
            if (sub)
                pos[np++] = sub;
            continue;
        }
        size_t run = node->kind == QUERY_AND ? number_run(node, i) : 1;
        struct split_word *sw =
            and&&run == 1 && ns < MAX_SPLIT_WORDS && c->kind == QUERY_WORD && !c->negated
                ? &split[ns]
                : NULL;
        int variants = b->no_variants;
        b->no_variants |= c->negated; /* an exclusion is searched as typed */
        index_query *sub = run > 1 ? number_query(b, node, i, run)
                           : sw    ? word_query(b, c->text, c->field, sw)
                                   : build(b, c);
        b->no_variants = variants;
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
    q = np ? compile_combine(op, pos, np, 0) : NULL;
    for (size_t i = 0; i < ns; i++)
        q = join_split(b, q, &split[i]);
    if (nf) {
        index_query *f = compile_combine(INDEX_OP_AND, filters, nf, 0);
        if (!q)
            q = f;
        else {
            index_query *pair[2] = {q, f};
            q = compile_combine(INDEX_OP_FILTER, pair, 2, 0);
        }
    }
    if (nn) {
        if (!q)
            q = index_query_match_all();
        index_query *excluded = compile_combine(INDEX_OP_OR, neg, nn, 0);
        index_query *pair[2] = {q, excluded};
        q = compile_combine(INDEX_OP_AND_NOT, pair, 2, 0);
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

/* Adds the reader's filters (section, author, dates) to q. */
index_query *compile_filters(const search_request *req, index_query *q)
{
    index_query *f[4];
    size_t n = 0;
    if (req->section && *req->section)
        f[n++] = section_query(req->section);
    if (req->author && *req->author)
        f[n++] = whole_query(req->author, QUERY_FIELD_AUTHOR);
    if (req->since || req->until)
        f[n++] = date_query(req->since, req->until);
    if (n == 0)
        return q;
    index_query *all = compile_combine(INDEX_OP_AND, f, n, 0);
    if (!q)
        return all;
    index_query *pair[2] = {q, all};
    return compile_combine(INDEX_OP_FILTER, pair, 2, 0);
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
index_query *compile_freshness(search_engine *e, double half_life_days)
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

index_query *compile_maybe(index_query *q, index_query *extra)
{
    if (!extra)
        return q;
    index_query *pair[2] = {q, extra};
    return compile_combine(INDEX_OP_AND_MAYBE, pair, 2, 0);
}

/* Restricts q to the republished copies of article `id` (its near-duplicate key). */
index_query *compile_duplicates(search_engine *e, const char *id, index_query *q, kq_status *st)
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
    return compile_combine(INDEX_OP_FILTER, pair, 2, 0);
}

index_query *compile_query(search_plan *p, const compile_mode *m, snippet_terms *marks,
                           struct headline *headline, kq_status *st)
{
    struct builder b = {.e = p->e,
                        .plan = p,
                        .headline = headline,
                        .marks = marks,
                        .partial = m->partial,
                        .keep_stops = p->only_stops,
                        .relax_phrases = m->relax_phrases,
                        .sentence = m->sentence,
                        .status = KQ_OK};
    plan_resolve_dates(p);
    index_query *q = build(&b, p->tree);
    *st = b.status;
    if (b.status != KQ_OK) {
        index_query_free(q);
        return NULL;
    }
    return q;
}
