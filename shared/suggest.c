#include "suggest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "compile.h"
#include "document.h"
#include "index.h"
#include "search_impl.h"

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

char *suggest_correction(search_plan *plan)
{
    search_engine *e = plan->e;
    const query_node *root = plan->tree;
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
        if (e->deadline_ms > 0 && search_now_ms() >= e->deadline_ms) {
            free(out); /* the time limit (search_set_time_limit): no suggestion */
            return NULL;
        }
        if (c->kind != QUERY_WORD || c->negated || c->field != QUERY_FIELD_ANY) {
            free(out); /* keep it simple: only plain word queries get a suggestion */
            return NULL;
        }
        const char *shown = c->text;
        char *fix = NULL, *accented = NULL;
        const struct qtokens *tk = plan_words(plan, c->text);
        uint64_t freq = 1;
        if (tk && tk->n == 1 && !(tk->t[0].flags & (TOKEN_NUMBER | TOKEN_STOPWORD)) &&
            index_term_freq(e->index, tk->t[0].term, &freq) == KQ_OK && freq == 0 &&
            (fix = closest_word(e, tk->t[0].term))) {
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
    return n ? compile_combine(INDEX_OP_OR, subs, n, 0) : NULL;
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

/* One call of search_suggest (its attempt through search_with_retry). */
struct suggest_call {
    const char *prefix;
    size_t max;
    char ***out;
    size_t *n, *n_completions;
};

static kq_status suggest_once(search_engine *e, void *ctx)
{
    const struct suggest_call *call = ctx;
    const char *prefix = call->prefix;
    size_t max = call->max;
    char ***out = call->out;
    size_t *n = call->n, *n_completions = call->n_completions;
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
    if ((st = analyzer_run(e->analyzer, prefix, len, 1, ANALYZER_QUERY, collect_suggest_token, &tk,
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
            last = index_query_wildcard(title_prefix, COMPILE_PREFIX_EXPANSION);
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

kq_status search_suggest(search_engine *e, const char *prefix, size_t max, char ***out, size_t *n,
                         size_t *n_completions)
{
    struct suggest_call call = {prefix, max, out, n, n_completions};
    return search_with_retry(e, suggest_once, &call, 0);
}

void search_strings_free(char **strings, size_t n)
{
    for (size_t i = 0; strings && i < n; i++)
        free(strings[i]);
    free(strings);
}
