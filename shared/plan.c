#include "plan.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "date.h"
#include "search_impl.h"

/* Two kinds of queries are ranked apart (tuned with bench/relevance on
 * half A of each set, half B held out):
 *  - keywords: a few content words and no function word (`gilets jaunes
 *    Bercy`), every word required: a reader recalling an article.  The
 *    word as typed counts four times its stem (a stem-only match is often
 *    another word: expertise for expertiser), term frequency saturates
 *    very early and length is normalised less; a headline holding every word
 *    ranks higher (execute.c).  News known-item sets, half A: headline
 *    words MRR@10 0.906 -> 0.958, body words 0.918 -> 0.930.  Then k1
 *    0.8 -> 0.2 and b 0.75 -> 0.6 (a remembered word counts by being
 *    there, hardly by how often): headline words 0.958 -> 0.964, body
 *    words 0.929 -> 0.932 (half A; k1 0.4 and 0.1 within 0.001).
 *  - sentences: a question or a pasted passage (any function word among
 *    the words, or more than KEYWORD_MAX_WORDS content words): the stem
 *    counts most (questions paraphrase), full length normalisation; with
 *    more than LONG_QUERY_WORDS content words, ranked partial matching.
 * The word exactly as typed, accents included, adds a little in both. */
static const struct ranking RANK_KEYWORDS = {
    .stem = 0.5, .surface = 2.0, .k1 = 0.2, .b = 0.6, .headline = 0.5};
/* Tuned on PIAF and FQuAD (k1 1.2 rather than Xapian's 1: term frequency
 * saturates a little later; b 1: news bodies vary from a line to pages). */
static const struct ranking RANK_SENTENCES = {.stem = 1.0, .surface = 0.35, .k1 = 1.2, .b = 1.0};
/* A query with more content words than this is read as a pasted sentence
 * or a question when it holds function words too (tuned on the PIAF and
 * FQuAD relevance sets: 4 gave MRR@10 0.657, 2 0.682). */
#define LONG_QUERY_WORDS 2
/* Up to this many content words without function words are keywords. */
#define KEYWORD_MAX_WORDS 4

const struct ranking *plan_ranking(int sentence)
{
    return sentence ? &RANK_SENTENCES : &RANK_KEYWORDS;
}

struct plan_text {
    char *text;
    struct qtokens tokens;
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
    t->name = -1;
    return 0;
}

struct qtokens *plan_words(search_plan *p, const char *text)
{
    for (size_t i = 0; i < p->n_texts; i++)
        if (strcmp(p->texts[i]->text, text) == 0)
            return &p->texts[i]->tokens;
    if (p->n_texts == p->cap_texts) {
        size_t cap = p->cap_texts ? p->cap_texts * 2 : 8;
        struct plan_text **grown = realloc(p->texts, cap * sizeof *grown);
        if (!grown) {
            p->status = KQ_ERR_NOMEM;
            return NULL;
        }
        p->texts = grown;
        p->cap_texts = cap;
    }
    struct plan_text *pt = malloc(sizeof *pt); /* 12 KB: not zeroed, n says what holds */
    if (pt)
        pt->tokens.n = 0;
    if (!pt || !(pt->text = strdup(text))) {
        free(pt);
        p->status = KQ_ERR_NOMEM;
        return NULL;
    }
    kq_status st = analyzer_run(p->e->analyzer, text, strlen(text), 1, ANALYZER_QUERY,
                                collect_token, &pt->tokens, NULL);
    if (st != KQ_OK) {
        free(pt->text);
        free(pt);
        if (p->status == KQ_OK)
            p->status = st;
        return NULL;
    }
    p->texts[p->n_texts++] = pt;
    return &pt->tokens;
}

/* Names and brands are searched as written, not by their stem, so that
 * `openai` (stem "open") does not find "open bar".  Which words are names is
 * learned from the archive: a word most of whose articles write it with a
 * capital inside a sentence (see DOCUMENT_PREFIX_CAPITALISED).  Term
 * frequencies add up over shards, so this holds for a remote index too. */
#define NAME_MIN_ARTICLES 1
static int looks_like_name(search_engine *e, const struct qtoken *t)
{
    char buf[DOCUMENT_MAX_TERM + 8];
    uint64_t all = 0, capitalised = 0;
    if (strcmp(t->term, t->stem) == 0)
        return 0; /* stemming would change nothing */
    if (index_term_freq(e->index, t->term, &all) != KQ_OK || all < NAME_MIN_ARTICLES)
        return 0;
    snprintf(buf, sizeof buf, "%s%s", DOCUMENT_PREFIX_CAPITALISED, t->term);
    if (index_term_freq(e->index, buf, &capitalised) != KQ_OK)
        return 0;
    return capitalised * 2 > all;
}

int plan_is_name(search_plan *p, struct qtoken *t)
{
    if (t->name < 0)
        t->name = (signed char)looks_like_name(p->e, t);
    return t->name;
}

int plan_is_plain_word(const query_node *c)
{
    return c->kind == QUERY_WORD && !c->negated && c->field == QUERY_FIELD_ANY;
}

int plan_has_node(const query_node *node, enum query_kind kind)
{
    if (node->kind == kind && !node->negated)
        return 1;
    for (size_t i = 0; i < node->n_children; i++)
        if (plan_has_node(node->children[i], kind))
            return 1;
    return 0;
}

int plan_has_positive_terms(const query_node *node)
{
    if (node->negated)
        return 0;
    if (node->kind == QUERY_WORD || node->kind == QUERY_PHRASE || node->kind == QUERY_PREFIX)
        return 1;
    for (size_t i = 0; i < node->n_children; i++)
        if (plan_has_positive_terms(node->children[i]))
            return 1;
    return 0;
}

const struct plan_expansion *plan_expansion_at(const search_plan *p, const query_node *group,
                                               size_t i)
{
    for (size_t k = 0; k < p->n_expansions; k++)
        if (p->expansions[k].group == group && p->expansions[k].first == i)
            return &p->expansions[k];
    return NULL;
}

int plan_is_date_word(const search_plan *p, size_t i)
{
    return p->dates.count && i >= p->dates.first && i < p->dates.first + p->dates.count;
}

/* A word of the date phrase that is not searched as a word. */
static int is_date_filter_word(const search_plan *p, size_t i)
{
    return plan_is_date_word(p, i) && !p->dates.what.or_word;
}

/* Date phrases are read in a query of at most this many terms that is not
 * a question: a question or a pasted passage ("... en 2019 ...") is about
 * its words, and its dates are the article's subject, not when it was
 * published. */
#define DATE_MAX_QUERY_TERMS 8

/* The first French date phrase among the plain words of the top level. */
static void find_dates(search_plan *p)
{
    const query_node *root = p->tree;
    size_t n = root->n_children;
    if (p->question || n == 0 || n > DATE_MAX_QUERY_TERMS)
        return;
    char *words[DATE_MAX_QUERY_TERMS] = {0};
    for (size_t i = 0; i < n; i++) {
        const query_node *c = root->children[i];
        if (!plan_is_plain_word(c))
            continue;
        char *w = analyzer_fold(c->text, strlen(c->text));
        if (!w) {
            p->status = KQ_ERR_NOMEM;
            goto out;
        }
        /* ’ and ʼ are apostrophes (aujourd’hui, l’an dernier). */
        char *r = w;
        for (const char *s = w; *s;) {
            size_t quote = strncmp(s, "\xE2\x80\x99", 3) == 0 ? 3
                           : strncmp(s, "\xCA\xBC", 2) == 0   ? 2
                                                              : 0;
            if (quote) {
                s += quote; /* before writing: r writes over what s reads */
                *r++ = '\'';
            } else {
                *r++ = *s++;
            }
        }
        *r = '\0';
        words[i] = w;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = datewords_read((const char *const *)words, n, i, &p->dates.what);
        if (k) {
            p->dates.first = i;
            p->dates.count = k;
            break;
        }
    }
out:
    for (size_t i = 0; i < n; i++)
        free(words[i]);
}

void plan_resolve_dates(search_plan *p)
{
    int y;
    unsigned m, d;
    int64_t now = (int64_t)(time(NULL) / 86400);
    if (!p->dates.count)
        return;
    char *newest = index_value_upper_bound(p->e->index, DOCUMENT_SLOT_DAY);
    if (newest && sscanf(newest, "%4d-%2u-%2u", &y, &m, &d) == 3 && m >= 1 && m <= 12 && d >= 1 &&
        d <= 31)
        now = date_days_from_civil(y, m, d);
    free(newest);
    datewords_resolve(&p->dates.what, now, &p->dates.from, &p->dates.to);
    datewords_label(&p->dates.what, p->dates.from, p->dates.to, p->dates.label,
                    sizeof p->dates.label);
}

/* A word the vocabulary may expand: not excluded, in the text, the headline
 * or the keywords (authors are names, sections whole values). */
static int expandable_word(const query_node *c)
{
    return c->kind == QUERY_WORD && !c->negated &&
           (c->field == QUERY_FIELD_ANY || c->field == QUERY_FIELD_TITLE ||
            c->field == QUERY_FIELD_KEYWORD);
}

/* The expansions of the words of one group of the tree (the root, a group
 * in parentheses or an OR, not excluded), then of the groups inside it.  A
 * form of several words is read among consecutive words of one field of an
 * AND (`intelligence artificielle`, `titre:(Front national)`); each
 * alternative of an OR is read alone (`IA OR robot`); the conditions of a
 * line (sauf, si) look at the other words of the group in that field. */
static void group_expansions(search_plan *p, const query_node *group)
{
    size_t n = group->n_children;
    int root = group == p->tree, alone = group->kind == QUERY_OR;
    const char **terms = calloc(n ? n : 1, sizeof *terms);
    if (!terms) {
        p->status = KQ_ERR_NOMEM;
        return;
    }
    for (int field = QUERY_FIELD_ANY; field <= QUERY_FIELD_KEYWORD; field++) {
        int any = 0;
        for (size_t i = 0; i < n; i++) {
            const query_node *c = group->children[i];
            terms[i] = NULL;
            if (!expandable_word(c) || (int)c->field != field ||
                (root && is_date_filter_word(p, i)))
                continue;
            const struct qtokens *tk = plan_words(p, c->text);
            size_t words = 0;
            for (size_t k = 0; tk && k < tk->n; k++)
                if (!(tk->t[k].flags & TOKEN_COMPOUND) && words++ == 0)
                    terms[i] = tk->t[k].term;
            if (words != 1)
                terms[i] = NULL;
            any |= terms[i] != NULL;
        }
        for (size_t i = 0; any && i < n && p->n_expansions < PLAN_MAX_EXPANSIONS; i++) {
            struct plan_expansion *x = &p->expansions[p->n_expansions];
            size_t k =
                alone ? (terms[i] ? vocab_match(p->e->vocab, &terms[i], 1, 0, x->alts, &x->n_alts)
                                  : 0)
                      : vocab_match(p->e->vocab, terms, n, i, x->alts, &x->n_alts);
            if (!k)
                continue;
            x->group = group;
            x->first = i;
            x->count = k;
            p->n_expansions++;
            i += k - 1;
        }
    }
    free(terms);
    for (size_t i = 0; i < n; i++) {
        const query_node *c = group->children[i];
        if ((c->kind == QUERY_AND || c->kind == QUERY_OR) && !c->negated)
            group_expansions(p, c);
    }
}

/* The words of the query that the vocabulary also finds as others; not
 * in a question, which paraphrases anyway (measured on PIAF and FQuAD: 6
 * questions of 6,835 moved their article, 4 of them down).  Words in
 * quotes are compiled with their phrase (compile.c). */
static void find_expansions(search_plan *p)
{
    if (!p->e->vocab || vocab_size(p->e->vocab) == 0 || p->tree->n_children == 0 || p->question)
        return;
    group_expansions(p, p->tree);
}

/* Counts the content words of the top level, to tell a question from a
 * few keywords, and the words that are function words only. */
static void count_words(search_plan *p)
{
    const query_node *root = p->tree;
    for (size_t i = 0; i < root->n_children; i++) {
        const query_node *c = root->children[i];
        if (!plan_is_plain_word(c) || is_date_filter_word(p, i))
            continue;
        const struct qtokens *tk = plan_words(p, c->text);
        if (!tk)
            continue;
        int content = 0;
        for (size_t k = 0; k < tk->n; k++)
            content |= !(tk->t[k].flags & TOKEN_STOPWORD);
        if (content)
            p->words++;
        else if (tk->n)
            p->stops++;
    }
    p->only_stops = p->words == 0 && p->stops > 0;
}

/* The content words of the top-level plain words. */
static void proximity_terms(search_plan *p)
{
    const query_node *root = p->tree;
    struct proximity *x = &p->prox;
    x->n = 0;
    for (size_t i = 0; i < root->n_children && x->n < PROXIMITY_MAX_WORDS; i++) {
        const query_node *c = root->children[i];
        if (!plan_is_plain_word(c) || is_date_filter_word(p, i))
            continue;
        const struct qtokens *tk = plan_words(p, c->text);
        for (size_t k = 0; tk && k < tk->n && x->n < PROXIMITY_MAX_WORDS; k++) {
            if (tk->t[k].flags & (TOKEN_STOPWORD | TOKEN_COMPOUND))
                continue;
            snprintf(x->terms[x->n], sizeof x->terms[x->n], "%s", tk->t[k].term);
            x->ptrs[x->n] = x->terms[x->n];
            x->n++;
        }
    }
}

/* A question ends with its question mark. */
static int is_question(const char *text)
{
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    return n > 0 && text[n - 1] == '?';
}

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

const struct passage *plan_passage(search_plan *p)
{
    if (p->passage || p->question)
        return p->passage;
    struct passage *x = calloc(1, sizeof *x);
    if (!x) {
        p->status = KQ_ERR_NOMEM;
        return NULL;
    }
    const char *text = p->text;
    kq_status st = analyzer_run(p->e->analyzer, text, strlen(text), 1, ANALYZER_QUERY,
                                collect_passage, x, NULL);
    if (st != KQ_OK) {
        free(x);
        p->status = st;
        return NULL;
    }
    for (size_t i = 0; i + 1 < x->n_words; i++) {
        if (x->stop[i] && x->stop[i + 1])
            continue;
        x->terms[x->n_terms++] = x->words[i];
        x->terms[x->n_terms++] = x->words[i + 1];
        x->terms[x->n_terms++] = NULL;
        x->n_pairs++;
    }
    p->passage = x;
    return x;
}

/* What depends on which words are searched: their count, the kind of
 * query, the vocabulary's expansions, proximity. */
static void analyse_words(search_plan *p)
{
    p->words = p->stops = 0;
    p->n_expansions = 0;
    p->prox.n = 0;
    count_words(p);
    find_expansions(p);
    p->partial = p->words > LONG_QUERY_WORDS && (p->stops > 0 || p->words > KEYWORD_MAX_WORDS);
    p->dated = p->dated_by_request || (p->dates.count && !p->dates.what.or_word);
    if (p->words >= 2 && p->words <= 4)
        proximity_terms(p);
}

int plan_drop_dates(search_plan *p)
{
    if (!p->dates.count || p->dates.what.or_word)
        return 0;
    memset(&p->dates, 0, sizeof p->dates);
    analyse_words(p);
    return 1;
}

kq_status plan_make(search_plan *p, search_engine *e, const search_request *req)
{
    memset(p, 0, sizeof *p);
    p->e = e;
    p->text = req->query;
    p->tree = query_parse(req->query, strlen(req->query));
    if (!p->tree)
        return KQ_ERR_NOMEM;
    p->question = is_question(req->query);
    p->dated_by_request = plan_has_node(p->tree, QUERY_DATE) || req->since || req->until;
    find_dates(p);
    analyse_words(p);
    if (p->status != KQ_OK) {
        kq_status st = p->status;
        plan_clear(p);
        return st;
    }
    return KQ_OK;
}

void plan_clear(search_plan *p)
{
    for (size_t i = 0; i < p->n_texts; i++) {
        free(p->texts[i]->text);
        free(p->texts[i]);
    }
    free(p->texts);
    free(p->passage);
    query_free(p->tree);
    memset(p, 0, sizeof *p);
}
