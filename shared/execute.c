#include "execute.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_impl.h"

/* Short documents are not favoured below a tenth of the average length. */
#define BM25_MIN_NORMLEN 0.1
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
    uint64_t documents = 0;
    kq_status st = index_doc_count(e->index, &documents);
    for (size_t t = 0; t < h->n && st == KQ_OK; t++) {
        uint64_t df = 0;
        st = index_term_freq(e->index, h->ptrs[t], &df);
        double n = (double)documents, d = (double)df;
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
    double hw = passage ? PASSAGE_HEADLINE : plan_ranking(sentence)->headline;
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
kq_status execute_query(search_engine *e, const search_request *req, const index_query *q,
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
                  (headline && headline->n > 0 && plan_ranking(sentence)->headline > 0)) &&
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
    opts.deadline_ms = e->deadline_ms;
    opts.bm25_k1 = plan_ranking(sentence)->k1;
    opts.bm25_b = plan_ranking(sentence)->b;
    opts.bm25_min_normlen = BM25_MIN_NORMLEN;
    if (req->sort != SEARCH_SORT_RELEVANCE) {
        opts.order = req->sort == SEARCH_SORT_DATE ? INDEX_ORDER_VALUE_DESC : INDEX_ORDER_VALUE_ASC;
        opts.sort_slot = DOCUMENT_SLOT_PUBLISHED;
    }
    if (req->facets) {
        /* Facet counts are exact: every match is examined.  With copies
         * collapsed, a count is the number of results choosing it gives. */
        uint64_t documents = 0;
        facet_slots(slots, &n_slots);
        for (size_t i = 0; i < n_slots; i++)
            groups[i] = facet_of_slot(slots[i]);
        opts.facet_slots = slots;
        opts.n_facet_slots = n_slots;
        opts.facet_groups = groups;
        if (index_doc_count(e->index, &documents) == KQ_OK)
            opts.check_at_least = (unsigned)(documents > UINT_MAX ? UINT_MAX : documents);
    }
    kq_status st = index_search(e->index, q, &opts, &r);
    if (st != KQ_OK) {
        search_set_error(e, "search failed: %s", index_last_error(e->index));
        goto out;
    }
    out->total = r.matches_estimated;
    out->total_exact = r.matches_lower == r.matches_upper && !r.timed_out;
    out->total_lower = r.matches_lower;
    out->timed_out = r.timed_out;
    /* With copies collapsed, Xapian keeps its upper bound loose even when it
     * has seen every match; having found fewer distinct articles than it was
     * asked for (or than it was asked to check), it has seen them all. */
    int seen_all = !r.timed_out; /* stopped by the time limit, the matches seen are not all */
    if (seen_all && !out->total_exact && opts.collapse_slot >= 0 && r.n_hits > 0 &&
        r.n_hits < opts.limit) {
        out->total = opts.offset + r.n_hits;
        out->total_exact = 1;
    } else if (seen_all && !out->total_exact && opts.collapse_slot >= 0 &&
               r.matches_lower + 1 < opts.check_at_least) {
        out->total = r.matches_lower;
        out->total_exact = 1;
    }
    if (out->total_exact)
        out->total_lower = out->total;
    if (rerank &&
        (st = rank_again(e, prox, headline, passage, sentence, req->offset + limit, &r)) != KQ_OK) {
        search_set_error(e, "search failed: %s", index_last_error(e->index));
        goto out;
    }
    size_t first = rerank ? req->offset : 0;
    size_t shown = r.n_hits > first ? r.n_hits - first : 0;
    if (shown > limit)
        shown = limit;
    if (out->total_lower < req->offset + shown) /* the hits shown are there */
        out->total_lower = req->offset + shown;
    /* A page past the last hit shows none: no pointer is formed past the hits read. */
    index_hit *page = shown ? r.hits + first : NULL;
    if ((st = index_fetch_data(e->index, page, shown)) != KQ_OK) {
        search_set_error(e, "search failed: %s", index_last_error(e->index));
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
            search_set_error(e, "document %u has unreadable data", h->docid);
    }
    if (st == KQ_OK && req->facets)
        st = fill_facets(&r, out);
out:
    index_results_clear(&r);
    return st;
}

void execute_clear_hits(search_result *out)
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
