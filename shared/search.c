#include "search.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "analyzer.h"
#include "compile.h"
#include "date.h"
#include "dbpath.h"
#include "document.h"
#include "execute.h"
#include "index.h"
#include "plan.h"
#include "query.h"
#include "search_impl.h"
#include "snippet.h"
#include "suggest.h"

/* The pipeline of a search: query.h parses what the reader typed, plan.h
 * analyses it once (tokens, names, the kind of query), compile.h turns the
 * plan into a Xapian query in a matching mode, execute.h runs it, ranks the
 * first hits again and fills them; suggest.h corrects misspelt words.  This
 * file holds the engine and runs the stages, retrying through
 * search_with_retry; result_render.h (outside the library) writes results
 * as JSON and HTML. */

double search_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void search_set_refresh_interval(search_engine *e, unsigned ms)
{
    e->refresh_ms = ms;
}

void search_set_time_limit(search_engine *e, unsigned ms)
{
    e->time_limit_ms = ms;
}

/* The deadline of a call started at `started` (search_now_ms), 0 for none. */
static double deadline_of(const search_engine *e, double started)
{
    return e->time_limit_ms ? started + e->time_limit_ms : 0;
}

/* Opens the latest committed revision of the index, unless it was looked
 * for less than refresh_ms ago; `force` (a search found its revision gone)
 * always does. */
static kq_status refresh(search_engine *e, int force)
{
    double now = search_now_ms();
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

void search_set_error(search_engine *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->error, sizeof e->error, fmt, ap);
    va_end(ap);
}

/* The built-in vocabulary, then the newsroom's file in the database
 * directory (beside a stub file of shards) when there is one (see
 * data/synonyms.txt). */
static kq_status load_vocab(search_engine *e, const char *db_dir, char *err, size_t err_size)
{
    char path[PATH_MAX];
    if (!(e->vocab = vocab_new())) {
        snprintf(err, err_size, "out of memory");
        return KQ_ERR_NOMEM;
    }
    const char *shipped = (const char *)vocab_shipped;
    kq_status st = vocab_add_text(e->vocab, e->analyzer, shipped, strlen(shipped),
                                  "data/synonyms.txt", err, err_size);
    if (st != KQ_OK)
        return st;
    if (dbpath_beside(db_dir, DBPATH_SYNONYMS, path, sizeof path) != 0) {
        snprintf(err, err_size, "database path too long: %s", db_dir);
        return KQ_ERR_INVALID;
    }
    st = vocab_add_file(e->vocab, e->analyzer, path, err, err_size);
    if (st == KQ_ERR_NOT_FOUND) {
        err[0] = '\0';
        return KQ_OK;
    }
    return st;
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
    struct stat sb;
    int stub = stat(db_dir, &sb) == 0 && S_ISREG(sb.st_mode);
    if (stub) {
        /* A Xapian stub file: the shards of an archive (index.h). */
        if (snprintf(path, sizeof path, "%s", db_dir) >= (int)sizeof path) {
            *status = KQ_ERR_INVALID;
            snprintf(err, err_size, "database path too long: %s", db_dir);
            goto fail;
        }
    } else if (dbpath_join(db_dir, DBPATH_XAPIAN, path, sizeof path) != 0) {
        *status = KQ_ERR_INVALID;
        snprintf(err, err_size, "database path too long: %s", db_dir);
        goto fail;
    }
    e->index = index_open(path, INDEX_READ, status, err, err_size);
    if (!e->index) {
        if (*status == KQ_ERR_NOT_FOUND && !stub) { /* a stub's message names the shard */
            *status = KQ_ERR_NO_INDEX;              /* the directory, not an article */
            snprintf(err, err_size,
                     "no index at %s; create one with: indexer --db %s add ARTICLES.jsonl", db_dir,
                     db_dir);
        }
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
    if ((*status = load_vocab(e, db_dir, err, err_size)) != KQ_OK)
        goto fail;
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
    vocab_free(e->vocab);
    index_query_free(e->freshness);
    free(e);
}

const char *search_last_error(const search_engine *e)
{
    return e->error;
}

kq_status search_with_retry(search_engine *e, kq_status (*attempt)(search_engine *e, void *ctx),
                            void *ctx, int not_found_again)
{
    for (int i = 0;; i++) {
        double began = search_now_ms();
        uint64_t shards = index_shard_changes(e->index);
        kq_status st = refresh(e, i > 0);
        if (e->deadline_ms > 0 && index_shard_changes(e->index) != shards)
            e->deadline_ms += search_now_ms() - began; /* waited for a shard left out */
        began = search_now_ms();
        shards = index_shard_changes(e->index);
        if (st == KQ_OK)
            st = attempt(e, ctx);
        if (st == KQ_OK && index_shard_changes(e->index) != shards)
            st = KQ_ERR_MODIFIED; /* a shard left out while it ran, a failure let pass */
        if (st == KQ_ERR_MODIFIED && e->deadline_ms > 0)
            /* The attempt thrown away does not count against the time
             * limit: a shard left out after its timeout (index.h) may
             * have held it for longer than the limit. */
            e->deadline_ms += search_now_ms() - began;
        else if (st != KQ_ERR_MODIFIED)
            search_set_error(e, "%s", index_last_error(e->index)); /* no shard answers, say */
        if ((st == KQ_ERR_MODIFIED || (not_found_again && st == KQ_ERR_NOT_FOUND && i == 0)) &&
            i < SEARCH_MAX_RETRIES)
            continue; /* a commit landed, or may have: read the newest revision */
        return st;
    }
}

static kq_status check_request(search_engine *e, const search_request *req)
{
    if (!req->query) {
        search_set_error(e, "a query is required");
        return KQ_ERR_INVALID;
    }
    if (strlen(req->query) > SEARCH_MAX_QUERY_BYTES) {
        search_set_error(e, "the query is longer than %u bytes", SEARCH_MAX_QUERY_BYTES);
        return KQ_ERR_INVALID;
    }
    if (req->limit > SEARCH_MAX_LIMIT) {
        search_set_error(e, "limit must be between 1 and %u", SEARCH_MAX_LIMIT);
        return KQ_ERR_INVALID;
    }
    if (req->offset > SEARCH_MAX_OFFSET) {
        search_set_error(e, "offset must be at most %u", SEARCH_MAX_OFFSET);
        return KQ_ERR_INVALID;
    }
    if (req->since && req->until && req->since > req->until) {
        search_set_error(e, "since is after until");
        return KQ_ERR_INVALID;
    }
    return KQ_OK;
}

/* 1 when at least one article matches q (the first match found is enough). */
static int has_any_match(search_engine *e, const index_query *q)
{
    index_search_options opts = {.limit = 1, .collapse_slot = -1, .deadline_ms = e->deadline_ms};
    index_results r = {0};
    int found = index_search(e->index, q, &opts, &r) == KQ_OK && r.n_hits > 0;
    index_results_clear(&r);
    return found;
}

/* The shards a result comes from: those searched by its last attempt. */
static void note_shards(search_engine *e, search_result *out)
{
    out->shards_total = (unsigned)index_shard_count(e->index);
    out->shards_failed = out->shards_total - (unsigned)index_shards_up(e->index);
}

void search_shard_state(search_engine *e, unsigned i, search_shard *out)
{
    index_shard_info info;
    index_shard_state(e->index, i, &info);
    memset(out, 0, sizeof *out);
    memcpy(out->name, info.name, sizeof out->name);
    memcpy(out->error, info.error, sizeof out->error);
    out->up = info.up;
    out->failures = info.failures;
}

/* One search of a plan in one matching mode (search_with_retry's attempt). */
struct run {
    const search_request *req;
    search_plan *plan;
    compile_mode mode;
    double half_life;
    int none_has_all; /* no article has every word (partial matching is said) */
    search_result *out;
};

static kq_status run_once(search_engine *e, void *ctx)
{
    struct run *r = ctx;
    search_plan *p = r->plan;
    const search_request *req = r->req;
    struct headline headline; /* not zeroed: 8 KB, and n says what holds */
    kq_status st = KQ_OK;
    index_query *q = NULL;
    snippet_terms *marks = snippet_terms_new();

    headline.n = 0;
    execute_clear_hits(r->out);
    if (!marks)
        return KQ_ERR_NOMEM;
    q = compile_query(p, &r->mode, marks, &headline, &st);
    if (st != KQ_OK)
        goto out;
    if (!q && plan_has_positive_terms(p->tree))
        q = index_query_match_nothing(); /* nothing searchable was typed (punctuation) */
    int compiled = q != NULL;
    r->none_has_all = 1;
    if (q && r->mode.partial && p->words >= 2) {
        /* Partial matching is said to be partial only when no article has
         * every word.  (Adding the all-words match as a bonus was measured:
         * MRR@10 0.672 instead of 0.685 on PIAF; BM25 over the words
         * already ranks the articles having more of them higher.) */
        compile_mode every_word = {0};
        index_query *every = compile_query(p, &every_word, marks, NULL, &st);
        r->none_has_all = every && !has_any_match(e, every);
        index_query_free(every);
        if (st != KQ_OK)
            goto out;
    }
    if (q && req->sort == SEARCH_SORT_RELEVANCE && !p->dated && r->half_life > 0)
        q = compile_maybe(q, compile_freshness(e, r->half_life));
    q = compile_filters(req, q);
    if (!q)
        q = index_query_match_all(); /* filters alone, or an empty query: browse */
    if (q && req->duplicates_of) {
        q = compile_duplicates(e, req->duplicates_of, q, &st);
        if (st == KQ_ERR_NOT_FOUND)
            search_set_error(e, "no article %s", req->duplicates_of);
        else if (st != KQ_OK)
            search_set_error(e, "search failed: %s", index_last_error(e->index));
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
    const struct passage *passage = r->mode.partial ? plan_passage(p) : NULL;
    if (!passage && r->mode.partial && p->status != KQ_OK) {
        st = p->status;
        goto out;
    }
    static const struct proximity none = {.n = 0};
    st = execute_query(e, req, q, marks, compiled && !r->mode.partial ? &p->prox : &none, &headline,
                       passage, r->mode.sentence, r->out);
out:
    index_query_free(q);
    snippet_terms_free(marks);
    return st;
}

static void day_text(int64_t z, char out[11])
{
    int64_t y;
    unsigned m, d;
    date_civil_from_days(z, &y, &m, &d);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y & 0x1fff) % 10000, m % 13, d % 32);
}

/* The date phrase of the plan as the reader is shown it. */
static void understood_dates(const search_plan *p, search_dates *out)
{
    size_t at = 0;
    for (size_t i = 0; i < p->dates.count; i++) {
        const char *w = p->tree->children[p->dates.first + i]->text;
        int n = snprintf(out->words + at, sizeof out->words - at, i ? " %s" : "%s", w);
        if (n < 0 || (size_t)n >= sizeof out->words - at)
            break;
        at += (size_t)n;
    }
    day_text(p->dates.from, out->from);
    if (p->dates.to >= 0)
        day_text(p->dates.to, out->to);
    else
        out->to[0] = '\0';
    snprintf(out->label, sizeof out->label, "%s", p->dates.label);
    out->or_word = p->dates.what.or_word;
}

kq_status search_run(search_engine *e, const search_request *req, search_result *out)
{
    double started = search_now_ms();
    search_plan plan = {0};
    kq_status st;

    memset(out, 0, sizeof *out);
    e->error[0] = '\0';
    if ((st = check_request(e, req)) != KQ_OK)
        return st;
    out->query = strdup(req->query);
    out->offset = req->offset;
    out->limit = req->limit ? req->limit : 10;
    if (!out->query) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    e->deadline_ms = deadline_of(e, started);
    uint64_t shards = index_shard_changes(e->index);
    if ((st = plan_make(&plan, e, req)) != KQ_OK)
        goto out;
    if (index_shard_changes(e->index) != shards) {
        /* A shard failed while the plan read term frequencies (its
         * timeout waited for): planned again on the shards that answer,
         * and the time waited does not count against the time limit. */
        plan_clear(&plan);
        e->deadline_ms = deadline_of(e, search_now_ms());
        if ((st = plan_make(&plan, e, req)) != KQ_OK)
            goto out;
    }
    struct run r = {
        .req = req,
        .plan = &plan,
        .mode = {.partial = plan.partial},
        .half_life = req->half_life_days == 0 ? SEARCH_HALF_LIFE_DAYS : req->half_life_days,
        .out = out,
    };
    int relaxed = 0; /* phrases relaxed to their words (see compile_mode) */
    for (;;) {
        r.mode.relax_phrases = relaxed || r.mode.partial;
        /* Function words say a question or a passage, whatever its length. */
        r.mode.sentence = r.mode.partial || plan.stops > 0;
        st = search_with_retry(e, run_once, &r, req->duplicates_of != NULL);
        if (st != KQ_OK || out->timed_out)
            break; /* a failure, or the time limit: no other matching mode */
        if (out->total == 0 && !relaxed && plan_has_node(plan.tree, QUERY_PHRASE)) {
            /* No article has the phrases (a pasted quotation, say): their
             * words instead, the articles with a phrase ranked first. */
            relaxed = r.mode.partial = 1;
            continue;
        }
        if (out->total == 0 && !r.mode.partial && plan.words > 1) {
            /* No article has every word: ranked partial matching instead. */
            r.mode.partial = 1;
            continue;
        }
        if (out->total == 0 && plan_drop_dates(&plan)) {
            /* No article of the period a date phrase says ("hier" in words
             * recalled from an article): its words are searched instead,
             * exactly as without the phrase. */
            if ((st = plan.status) != KQ_OK)
                goto out;
            relaxed = 0;
            r.mode.partial = plan.partial;
            continue;
        }
        break;
    }
    if (st != KQ_OK)
        goto out;
    out->partial = r.mode.partial && r.none_has_all;
    note_shards(e, out); /* those the hits came from, before did-you-mean reads */
    if (plan.dates.count) {
        out->has_dates = 1;
        understood_dates(&plan, &out->understood_dates);
    }
    if ((out->total < 3 || out->partial) && plan.words > 0 && !out->timed_out)
        out->suggestion = suggest_correction(&plan);
out:
    e->deadline_ms = 0;
    if (st != KQ_OK && !e->error[0])
        search_set_error(e, "%s", status_to_string(st));
    out->took_ms = search_now_ms() - started;
    plan_clear(&plan);
    return st;
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

struct related {
    const char *term; /* the article's unique term */
    search_request req;
    search_result *out;
};

static kq_status related_once(search_engine *e, void *ctx)
{
    struct related *x = ctx;
    struct expanded rel = {.n = 0};
    snippet_terms *none = snippet_terms_new();
    execute_clear_hits(x->out);
    if (!none)
        return KQ_ERR_NOMEM;
    kq_status st = index_expand(e->index, x->term, DOCUMENT_PREFIX_STEM, RELATED_TERMS,
                                collect_expanded, &rel);
    if (st == KQ_OK) {
        index_query *any = compile_combine(INDEX_OP_OR, rel.terms, rel.n, 0);
        rel.n = 0;
        index_query *self = index_query_term(x->term, 1);
        index_query *pair[2] = {any, self};
        index_query *q =
            any ? compile_combine(INDEX_OP_AND_NOT, pair, 2, 0) : index_query_match_nothing();
        if (!any)
            index_query_free(self);
        st = q ? execute_query(e, &x->req, q, none, NULL, NULL, NULL, 1, x->out) : KQ_ERR_NOMEM;
        index_query_free(q);
    }
    for (size_t i = 0; i < rel.n; i++)
        index_query_free(rel.terms[i]);
    snippet_terms_free(none);
    return st;
}

/* An article not found while shards are down may be on one of them: the
 * answer is then unknown (KQ_ERR_UNAVAILABLE), not "no such article". */
static kq_status not_found_in_shards(search_engine *e, kq_status st, const char *id)
{
    size_t down = index_shard_count(e->index) - index_shards_up(e->index);
    if (st != KQ_ERR_NOT_FOUND || down == 0)
        return st;
    search_set_error(e,
                     "article %s is not in the shards that answer; %zu of %zu shards do not "
                     "answer",
                     id, down, index_shard_count(e->index));
    return KQ_ERR_UNAVAILABLE;
}

kq_status search_related(search_engine *e, const char *id, unsigned limit, search_result *out)
{
    char term[512];
    struct related x = {
        .term = term,
        .req = {.query = "", .limit = limit ? limit : 5, .half_life_days = -1},
        .out = out,
    };
    kq_status st;

    memset(out, 0, sizeof *out);
    out->query = strdup("");
    out->limit = x.req.limit;
    if (!out->query)
        return KQ_ERR_NOMEM;
    if (x.req.limit > SEARCH_MAX_LIMIT || document_unique_term(id, term, sizeof term) != 0) {
        search_set_error(e, "bad article id or limit");
        return KQ_ERR_INVALID;
    }
    /* An article unknown to a revision read less than refresh_ms ago may
     * have been committed since: the newest is looked at once. */
    e->deadline_ms = deadline_of(e, search_now_ms());
    st = search_with_retry(e, related_once, &x, 1);
    e->deadline_ms = 0;
    st = not_found_in_shards(e, st, id);
    if (st == KQ_ERR_NOT_FOUND)
        search_set_error(e, "no article %s", id);
    else if (st == KQ_OK)
        note_shards(e, out);
    return st;
}

void search_result_clear(search_result *r)
{
    if (!r)
        return;
    execute_clear_hits(r);
    free(r->query);
    free(r->suggestion);
    memset(r, 0, sizeof *r);
}

/* Moves a list out of an article (which then holds none). */
static char **steal_list(char ***items, size_t *n, size_t *out_n)
{
    char **list = *items;
    *items = NULL;
    *out_n = *n;
    *n = 0;
    return list;
}

struct article_lookup {
    const char *id;
    const char *term;
    search_article *out;
};

static kq_status article_once(search_engine *e, void *ctx)
{
    struct article_lookup *x = ctx;
    char *data = NULL;
    size_t len = 0;
    document_view v;
    article art = {0};
    char why[256];
    kq_status st = index_get_data(e->index, x->term, &data, &len, NULL);
    if (st != KQ_OK) {
        if (st != KQ_ERR_NOT_FOUND)
            search_set_error(e, "%s", index_last_error(e->index));
        return st;
    }
    /* The view joins the lists as hits show them; the article has them one by one. */
    st = document_reader_view(e->reader, data, len, &v);
    if (st == KQ_OK)
        st = document_reader_article(e->reader, data, len, &art, why, sizeof why);
    if (st != KQ_OK) {
        search_set_error(e, "article %s has unreadable data", x->id);
    } else {
        search_article *a = x->out;
        search_article_clear(a);
        a->id = v.id, v.id = NULL;
        a->url = v.url, v.url = NULL;
        a->title = v.title, v.title = NULL;
        a->description = v.description, v.description = NULL;
        a->date = v.date, v.date = NULL;
        a->date_modified = strdup(art.date_modified ? art.date_modified : "");
        a->author = v.author, v.author = NULL;
        a->section = v.section, v.section = NULL;
        a->language = v.language, v.language = NULL;
        a->authors = steal_list(&art.authors, &art.n_authors, &a->n_authors);
        a->sections = steal_list(&art.sections, &art.n_sections, &a->n_sections);
        a->keywords = steal_list(&art.keywords, &art.n_keywords, &a->n_keywords);
        if (!a->date_modified)
            st = KQ_ERR_NOMEM;
    }
    document_view_clear(&v);
    article_clear(&art);
    free(data);
    return st;
}

kq_status search_get_article(search_engine *e, const char *id, search_article *out)
{
    char term[512];
    memset(out, 0, sizeof *out);
    if (document_unique_term(id, term, sizeof term) != 0)
        return KQ_ERR_NOT_FOUND;
    struct article_lookup x = {.id = id, .term = term, .out = out};
    kq_status st = not_found_in_shards(e, search_with_retry(e, article_once, &x, 1), id);
    if (st != KQ_OK)
        search_article_clear(out);
    return st;
}

void search_article_clear(search_article *a)
{
    if (!a)
        return;
    free(a->id);
    free(a->url);
    free(a->title);
    free(a->description);
    free(a->date);
    free(a->date_modified);
    free(a->author);
    free(a->section);
    free(a->language);
    search_strings_free(a->authors, a->n_authors);
    search_strings_free(a->sections, a->n_sections);
    search_strings_free(a->keywords, a->n_keywords);
    memset(a, 0, sizeof *a);
}

static kq_status status_once(search_engine *e, void *ctx)
{
    search_status *out = ctx;
    index_stats s;
    kq_status st = index_get_stats(e->index, &s);
    if (st != KQ_OK) {
        search_set_error(e, "%s", index_last_error(e->index));
        return st;
    }
    out->documents = s.documents;
    /* The indexer's batch revision: Xapian's own starts again in the new
     * directory a sharded build switches to, so it could come back to a
     * number already seen, with the same count, and key a stale cache. */
    /* Over shards (a stub file), the sum of their revisions, which grows
     * whenever one commits, and the latest of their updates. */
    /* A shard left out (partial results) counts for nothing but its bit
     * in shards_down; one that fails while read here is left out, and the
     * status read again. */
    size_t shards = index_shard_count(e->index);
    uint64_t sum = 0;
    out->shards_total = (unsigned)shards;
    out->shards_failed = 0;
    out->shards_down = 0;
    out->last_update[0] = '\0';
    for (size_t i = 0; i < shards; i++) {
        index_shard_info info;
        index_shard_state(e->index, i, &info);
        if (!info.up) {
            out->shards_failed++;
            out->shards_down |= 1ull << (i < 63 ? i : 63);
            continue;
        }
        char *rev = index_get_shard_metadata(e->index, i, DOCUMENT_META_REVISION);
        if (!rev && shards > 1) {
            search_set_error(e, "%s", index_last_error(e->index));
            return KQ_ERR_MODIFIED; /* the shard was left out: again without it */
        }
        sum += rev && *rev ? strtoull(rev, NULL, 10) : shards == 1 ? s.revision : 0;
        free(rev);
        char *last = index_get_shard_metadata(e->index, i, DOCUMENT_META_LAST_UPDATE);
        if (last && strcmp(last, out->last_update) > 0) /* ISO 8601 UTC sorts as text */
            snprintf(out->last_update, sizeof out->last_update, "%s", last);
        free(last);
    }
    out->revision = sum;
    return KQ_OK;
}

kq_status search_get_status(search_engine *e, search_status *out)
{
    memset(out, 0, sizeof *out);
    e->refreshed_at = 0; /* the status is always of the newest revision */
    kq_status st = search_with_retry(e, status_once, out, 0);
    if (st != KQ_OK)
        search_set_error(e, "%s", index_last_error(e->index));
    return st;
}
