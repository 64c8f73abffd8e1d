/* routes: searchd's endpoints.  See routes.h for the contracts. */
#include "routes.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "assets.h"
#include "cache.h"
#include "feed.h"
#include "render.h"
#include "result_render.h"

/* How often, at most, a worker asks the index for its revision to
 * invalidate cached replies, in milliseconds: a commit is seen in the cache
 * within this delay (well inside the one second promised). */
#define REVISION_CHECK_MS 200u
/* How often, at most, a worker's engine looks for a new revision on its own
 * (each look opens and reads the index's version file). */
#define ENGINE_REFRESH_MS 100u
#define CACHE_SLOTS 1024u
#define CACHE_MAX_BODY (256u * 1024u)
#define PAGE_SIZE 10u         /* hits per page on the HTML page */
#define MAX_FILTER_BYTES 256u /* section and author filters */
#define MAX_ID_BYTES 256u     /* article ids in paths and parameters */
#define MAX_HALF_LIFE_DAYS 36500.0
#define RELATED_DEFAULT 10u
#define SUGGEST_DEFAULT 8u
#define SUGGEST_MAX 20u
#define FEED_DEFAULT 20u /* entries of a feed unless limit= says otherwise */
#define ATOM_TYPE "application/atom+xml; charset=utf-8"
#define SUGGESTIONS_TYPE "application/x-suggestions+json"
#define ARTICLES_PREFIX "/api/articles/"
#define RELATED_PREFIX "/api/related/"

/* One worker thread's engine.  Slots are created on a thread's first
 * request and kept in a list so routes_app_free can close them all once
 * the worker threads are gone (libmicrohttpd owns those threads, so there is
 * no hook at their exit). */
typedef struct engine_slot {
    const routes_app *app;
    search_engine *engine; /* NULL until opened, or after a failure closed it */
    uint64_t tag_seen;     /* the cache tag when the engine last opened the newest revision */
    struct engine_slot *next;
} engine_slot;

static _Thread_local engine_slot *thread_slot;

struct routes_app {
    char *db_dir;
    cache *replies;
    pthread_mutex_t slots_lock; /* guards slots */
    engine_slot *slots;
    atomic_ullong revision_tag;   /* revision and size of the index last seen; keys the cache */
    atomic_ullong revision_at_ms; /* monotonic time of that check */
    atomic_ulong
        search_failures; /* library calls that failed for another reason than the request */
    atomic_ulong partial_replies; /* results without the articles of shards that did not answer */
    searchlog *log;               /* NULL: searches are not recorded */
    int serve_report;             /* 1: /api/report answers */
    unsigned time_limit_ms;       /* routes_app_set_time_limit */
    atomic_ulong timed_out;       /* searches stopped by the time limit */
};

/* --- engines ------------------------------------------------------------------------- */

routes_app *routes_app_new(const char *db_dir)
{
    routes_app *app = calloc(1, sizeof *app);
    if (!app)
        return NULL;
    app->db_dir = strdup(db_dir);
    app->replies = cache_new(CACHE_SLOTS, CACHE_MAX_BODY);
    if (!app->db_dir || !app->replies) {
        free(app->db_dir);
        cache_free(app->replies);
        free(app);
        return NULL;
    }
    pthread_mutex_init(&app->slots_lock, NULL);
    return app;
}

void routes_app_set_searchlog(routes_app *app, searchlog *log, int serve_report)
{
    app->log = log;
    app->serve_report = serve_report;
}

void routes_app_set_time_limit(routes_app *app, unsigned ms)
{
    app->time_limit_ms = ms;
}

void routes_app_free(routes_app *app)
{
    if (!app)
        return;
    engine_slot *s = app->slots;
    while (s) {
        engine_slot *next = s->next;
        search_close(s->engine);
        free(s);
        s = next;
    }
    pthread_mutex_destroy(&app->slots_lock);
    cache_free(app->replies);
    free(app->db_dir);
    free(app);
}

/* The calling thread's engine, opened on first use.  Returns NULL with the
 * reason in err when the index cannot be opened (it is tried again on the
 * next request, so searchd recovers once an index appears). */
static search_engine *worker_engine(routes_app *app, char *err, size_t err_size)
{
    engine_slot *slot = thread_slot;
    if (!slot || slot->app != app) {
        slot = calloc(1, sizeof *slot);
        if (!slot) {
            snprintf(err, err_size, "out of memory");
            return NULL;
        }
        slot->app = app;
        pthread_mutex_lock(&app->slots_lock);
        slot->next = app->slots;
        app->slots = slot;
        pthread_mutex_unlock(&app->slots_lock);
        thread_slot = slot;
    }
    if (!slot->engine) {
        kq_status st = KQ_OK;
        char why[512] = "";
        slot->engine = search_open(app->db_dir, &st, why, sizeof why);
        if (!slot->engine)
            snprintf(err, err_size, "the index cannot be opened: %s",
                     *why ? why : status_to_string(st));
        else {
            search_set_refresh_interval(slot->engine, ENGINE_REFRESH_MS);
            search_set_time_limit(slot->engine, app->time_limit_ms);
        }
        slot->tag_seen = 0;
    }
    return slot->engine;
}

/* Drops the calling thread's engine after a failure that may have left it
 * unusable (a damaged or replaced index); the next request reopens it. */
static void worker_engine_reset(void)
{
    if (thread_slot) {
        search_close(thread_slot->engine);
        thread_slot->engine = NULL;
    }
}

kq_status routes_probe(routes_app *app, search_status *out, char *err, size_t err_size)
{
    kq_status st = KQ_OK;
    char why[512] = "";
    search_engine *e = search_open(app->db_dir, &st, why, sizeof why);
    if (!e) {
        snprintf(err, err_size, "%s", *why ? why : status_to_string(st));
        return st ? st : KQ_ERR_INTERNAL;
    }
    st = search_get_status(e, out);
    if (st != KQ_OK)
        snprintf(err, err_size, "%s", search_last_error(e));
    search_close(e);
    return st;
}

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t status_tag(const search_status *st)
{
    /* The document count joins the revision so that an index rebuilt from
     * scratch up to the same revision number still invalidates the cache.
     * While shards do not answer, the tag is another one (its top bit
     * set, the shards down mixed in), so that no reply cached with every
     * shard is confused with the state without some; partial results
     * themselves are never cached (reply_result_json). */
    uint64_t tag = st->revision * 1000003u + st->documents;
    if (st->shards_failed)
        tag = ((tag ^ (st->shards_down * 0x9e3779b97f4a7c15ull)) | 1ull << 63);
    return tag;
}

/* The cache tag of the index as last seen, refreshed by at most one worker
 * every REVISION_CHECK_MS.  Reading it before running a query keeps the
 * cache conservative: a reply is stored under a tag no newer than the
 * revision it was computed on, so it is never served after a newer commit
 * has been noticed.  (Engines look for new revisions only every
 * ENGINE_REFRESH_MS, so a worker whose engine has not seen the tag yet
 * opens the newest revision first.) */
static uint64_t current_tag(routes_app *app, search_engine *e)
{
    uint64_t now = monotonic_ms();
    unsigned long long last = atomic_load(&app->revision_at_ms);
    if (now - last >= REVISION_CHECK_MS &&
        atomic_compare_exchange_strong(&app->revision_at_ms, &last, now)) {
        search_status st;
        kq_status rc = search_get_status(e, &st);
        if (rc == KQ_OK)
            atomic_store(&app->revision_tag, status_tag(&st));
        else if (rc == KQ_ERR_UNAVAILABLE) /* no shard answers: no reply cached before */
            atomic_store(&app->revision_tag, UINT64_MAX);
    }
    uint64_t tag = atomic_load(&app->revision_tag);
    if (thread_slot && thread_slot->engine == e && thread_slot->tag_seen != tag &&
        search_refresh(e) == KQ_OK)
        thread_slot->tag_seen = tag;
    return tag;
}

/* Replies to a failed library call on the worker's engine. */
static void reply_search_failure(routes_app *app, http_request *req, search_engine *e, kq_status st)
{
    char message[640];
    const char *detail = search_last_error(e);
    snprintf(message, sizeof message, "%s", *detail ? detail : status_to_string(st));
    switch (st) {
    case KQ_ERR_INVALID:
        http_reply_error(req, 400, "bad_query", message);
        return;
    case KQ_ERR_UNAVAILABLE: /* shards do not answer; the engine follows them (index.h) */
        atomic_fetch_add(&app->search_failures, 1);
        http_reply_error(req, 503, "index_unavailable", message);
        return;
    case KQ_ERR_NOT_FOUND:
    case KQ_ERR_NO_INDEX:
    case KQ_ERR_IO:
    case KQ_ERR_CORRUPT:
    case KQ_ERR_XAPIAN:
    case KQ_ERR_SQLITE:
    case KQ_ERR_MODIFIED:
        atomic_fetch_add(&app->search_failures, 1);
        worker_engine_reset();
        http_reply_error(req, 503, "index_unavailable", message);
        return;
    default:
        atomic_fetch_add(&app->search_failures, 1);
        http_reply_error(req, 500, "internal", message);
        return;
    }
}

/* --- parameters ---------------------------------------------------------------------- */

/* Parses a decimal number of at most 9 digits (no sign, no spaces). */
static int parse_uint(const char *s, unsigned *out)
{
    unsigned v = 0;
    size_t n = 0;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 9)
            return -1;
        v = v * 10u + (unsigned)(s[n] - '0');
    }
    if (n == 0)
        return -1;
    *out = v;
    return 0;
}

/* A parameter's value, or NULL when absent or empty (an empty form field
 * means "no filter"). */
static const char *param(http_request *req, const char *name)
{
    const char *v = http_request_param(req, name);
    return v && *v ? v : NULL;
}

/* What /api/search and the page were asked, checked and normalised. */
typedef struct search_params {
    search_request req;
    char query[SEARCH_MAX_QUERY_BYTES + 1]; /* blanks trimmed, runs of blanks made one space */
    const char *since_text, *until_text, *sort_text;
    const char *related; /* the page only: the article whose related articles are listed */
    unsigned page;
} search_params;

/* Parses a 0/1 switch such as facets= or all=. */
static int parse_switch(http_request *req, const char *name, int *out, char *err, size_t err_size)
{
    const char *v = param(req, name);
    if (!v)
        return 0;
    if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
        snprintf(err, err_size, "%s must be 0 or 1", name);
        return -1;
    }
    *out = v[0] == '1';
    return 0;
}

/* Parses a number of days such as "90" or "7.5": at most 6 digits before
 * the point and 3 after, so strtod sees nothing but plain decimals. */
static int parse_days(const char *s, double *out)
{
    size_t int_digits = 0, frac_digits = 0;
    const char *c = s;
    for (; *c >= '0' && *c <= '9'; c++)
        int_digits++;
    if (*c == '.')
        for (c++; *c >= '0' && *c <= '9'; c++)
            frac_digits++;
    if (*c || int_digits == 0 || int_digits > 6 || frac_digits > 3 ||
        (s[int_digits] == '.' && frac_digits == 0))
        return -1;
    *out = strtod(s, NULL);
    return 0;
}

/* An article id parameter: absent, or at most MAX_ID_BYTES. */
static int parse_id_param(http_request *req, const char *name, const char **out, char *err,
                          size_t err_size)
{
    const char *v = param(req, name);
    if (v && strlen(v) > MAX_ID_BYTES) {
        snprintf(err, err_size, "%s is longer than %u bytes", name, MAX_ID_BYTES);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_date_param(const char *name, const char *text, int end_of_day, int64_t *out,
                            char *err, size_t err_size)
{
    if (article_parse_date(text, out) != KQ_OK) {
        snprintf(err, err_size, "%s must be a date such as 2020-07-02 (got '%.40s')", name, text);
        return -1;
    }
    /* A bare day as the upper bound includes that whole day. */
    if (end_of_day && strlen(text) == 10)
        *out += 86399;
    return 0;
}

/* Fills sp from the request; on a bad value returns -1 with the reason in
 * err.  The page counts in pages of PAGE_SIZE, the API in offset and limit. */
static int parse_search_params(http_request *req, int page_mode, search_params *sp, char *err,
                               size_t err_size)
{
    memset(sp, 0, sizeof *sp);
    const char *q = http_request_param(req, "q");
    if (!q)
        q = "";
    if (strlen(q) > SEARCH_MAX_QUERY_BYTES) {
        snprintf(err, err_size, "q is longer than %u bytes", SEARCH_MAX_QUERY_BYTES);
        return -1;
    }
    size_t o = 0;
    for (const char *s = q; *s; s++) {
        int blank = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v';
        if (!blank)
            sp->query[o++] = *s;
        else if (o > 0 && sp->query[o - 1] != ' ')
            sp->query[o++] = ' ';
    }
    if (o > 0 && sp->query[o - 1] == ' ')
        o--;
    sp->query[o] = '\0';
    sp->req.query = sp->query;

    sp->req.limit = page_mode ? PAGE_SIZE : 10;
    sp->page = 1;
    const char *v;
    if (page_mode) {
        if ((v = param(req, "page"))) {
            unsigned max_page = SEARCH_MAX_OFFSET / PAGE_SIZE + 1;
            if (parse_uint(v, &sp->page) != 0 || sp->page < 1 || sp->page > max_page) {
                snprintf(err, err_size, "page must be a number from 1 to %u", max_page);
                return -1;
            }
        }
        sp->req.offset = (sp->page - 1) * PAGE_SIZE;
        sp->req.facets = 1; /* the page offers sections and years to refine by */
    } else {
        if ((v = param(req, "offset")) &&
            (parse_uint(v, &sp->req.offset) != 0 || sp->req.offset > SEARCH_MAX_OFFSET)) {
            snprintf(err, err_size, "offset must be a number from 0 to %u", SEARCH_MAX_OFFSET);
            return -1;
        }
        if ((v = param(req, "limit")) && (parse_uint(v, &sp->req.limit) != 0 || sp->req.limit < 1 ||
                                          sp->req.limit > SEARCH_MAX_LIMIT)) {
            snprintf(err, err_size, "limit must be a number from 1 to %u", SEARCH_MAX_LIMIT);
            return -1;
        }
        if (parse_switch(req, "facets", &sp->req.facets, err, err_size) != 0)
            return -1;
        if ((v = param(req, "half_life"))) {
            double days = 0;
            if (parse_days(v, &days) != 0 || days > MAX_HALF_LIFE_DAYS) {
                snprintf(err, err_size,
                         "half_life must be a number of days from 0 (no freshness) to %.0f",
                         MAX_HALF_LIFE_DAYS);
                return -1;
            }
            /* 0 asks for no freshness at all, which the library spells < 0. */
            sp->req.half_life_days = days > 0 ? days : -1.0;
        }
    }
    if (parse_switch(req, "all", &sp->req.no_collapse, err, err_size) != 0 ||
        parse_id_param(req, "duplicates_of", &sp->req.duplicates_of, err, err_size) != 0)
        return -1;
    if (page_mode) {
        if (parse_id_param(req, "related", &sp->related, err, err_size) != 0)
            return -1;
        /* Facets refine a search; a list of copies or of related articles has none. */
        sp->req.facets = !sp->req.duplicates_of && !sp->related;
    }
    sp->sort_text = "relevance";
    if ((v = param(req, "sort"))) {
        if (strcmp(v, "relevance") == 0)
            sp->req.sort = SEARCH_SORT_RELEVANCE;
        else if (strcmp(v, "date") == 0)
            sp->req.sort = SEARCH_SORT_DATE;
        else if (strcmp(v, "date_asc") == 0)
            sp->req.sort = SEARCH_SORT_DATE_ASC;
        else {
            snprintf(err, err_size, "sort must be relevance, date or date_asc");
            return -1;
        }
        sp->sort_text = v;
    }
    const char *filters[] = {"section", "author"};
    const char **targets[] = {&sp->req.section, &sp->req.author};
    for (size_t i = 0; i < 2; i++) {
        if ((v = param(req, filters[i])) && strlen(v) > MAX_FILTER_BYTES) {
            snprintf(err, err_size, "%s is longer than %u bytes", filters[i], MAX_FILTER_BYTES);
            return -1;
        }
        *targets[i] = v;
    }
    if ((sp->since_text = param(req, "since")) &&
        parse_date_param("since", sp->since_text, 0, &sp->req.since, err, err_size) != 0)
        return -1;
    if ((sp->until_text = param(req, "until")) &&
        parse_date_param("until", sp->until_text, 1, &sp->req.until, err, err_size) != 0)
        return -1;
    if (sp->req.since && sp->req.until && sp->req.since > sp->req.until) {
        snprintf(err, err_size, "since must not be after until");
        return -1;
    }
    return 0;
}

/* The cache key of a normalised request: each field with its length, so
 * no value can forge another's boundary. */
static char *search_cache_key(const search_params *sp)
{
    const char *section = sp->req.section ? sp->req.section : "";
    const char *author = sp->req.author ? sp->req.author : "";
    render_buf b = RENDER_BUF_INIT;
    const char *dups = sp->req.duplicates_of ? sp->req.duplicates_of : "";
    render_buf_printf(&b, "search|%zu:%s|%u|%u|%d|%zu:%s|%zu:%s|%lld|%lld|%d|%d|%zu:%s|%.3f",
                      strlen(sp->query), sp->query, sp->req.offset, sp->req.limit,
                      (int)sp->req.sort, strlen(section), section, strlen(author), author,
                      (long long)sp->req.since, (long long)sp->req.until, sp->req.facets,
                      sp->req.no_collapse, strlen(dups), dups, sp->req.half_life_days);
    return render_buf_release(&b, NULL);
}

/* --- handlers ------------------------------------------------------------------------------ */

/* 1 when a library call failed with st because article `id` is not indexed
 * (and not because the index could not be read, which also says "not
 * found"): the index is asked for the article to tell them apart. */
static int unknown_article(search_engine *e, kq_status st, const char *id)
{
    if (st != KQ_ERR_NOT_FOUND || !id)
        return 0;
    search_article a;
    kq_status again = search_get_article(e, id, &a);
    search_article_clear(&a);
    return again == KQ_ERR_NOT_FOUND;
}

/* The headline of article `id`, or NULL with *st set (KQ_ERR_NOT_FOUND when
 * no such article).  The caller frees it with free(). */
static char *article_title(search_engine *e, const char *id, kq_status *st)
{
    search_article a;
    char *title = NULL;
    *st = search_get_article(e, id, &a);
    if (*st == KQ_OK) {
        title = a.title, a.title = NULL;
    }
    search_article_clear(&a);
    return title;
}

/* Replies with the body of content_type cached under key (when not NULL) for
 * index revision tag; returns 1 when it did, 0 on a miss.  A first look
 * (`peek`) leaves the miss to be counted by the look that follows it.  With
 * total not NULL, the body is a search's JSON and *total receives its total. */
static int reply_cached(routes_app *app, http_request *req, const char *key, uint64_t tag, int peek,
                        const char *content_type, uint64_t *total)
{
    size_t len = 0;
    char *hit = !key   ? NULL
                : peek ? cache_peek(app->replies, key, tag, &len)
                       : cache_get(app->replies, key, tag, &len);
    if (!hit)
        return 0;
    if (total) {
        /* search_result_to_json starts {"query":"…","total":N, the query's quotes
         * escaped: the first ,"total": is the key. */
        const char *t = strstr(hit, ",\"total\":");
        *total = t ? strtoull(t + 9, NULL, 10) : 0;
    }
    http_request_add_header(req, "X-Kiosque-Cache", "hit");
    http_request_set_revision(req, tag);
    http_reply_owned(req, 200, HTTP_KIND_API, content_type, hit, len);
    return 1;
}

/* 1 when a result may be kept (cached, with the ETag of its revision); 0 for
 * one stopped by the time limit, which another try may complete, or one
 * without the articles of shards that did not answer (partial results):
 * counted, and its reply is no-store. */
static int result_keepable(routes_app *app, http_request *req, const search_result *r)
{
    if (!r->timed_out && !r->shards_failed)
        return 1;
    if (r->timed_out)
        atomic_fetch_add(&app->timed_out, 1);
    if (r->shards_failed)
        atomic_fetch_add(&app->partial_replies, 1);
    http_request_clear_revision(req);
    return 0;
}

/* Replies with a result as JSON, caching it under key (when not NULL) for
 * index revision tag, or with the failure of the search that made it. */
static void reply_result_json(routes_app *app, http_request *req, search_engine *e, kq_status st,
                              const search_result *result, const char *key, uint64_t tag)
{
    if (st != KQ_OK) {
        reply_search_failure(app, req, e, st);
        return;
    }
    char *json = result_json(result);
    http_request_add_header(req, "X-Kiosque-Cache", "miss");
    if (result_keepable(app, req, result)) {
        if (json && key)
            cache_put(app->replies, key, tag, json, strlen(json));
        http_request_set_revision(req, tag);
    }
    http_reply_owned(req, 200, HTTP_KIND_API, "application/json", json, json ? strlen(json) : 0);
}

static int parse_feed_params(http_request *req, search_params *sp, char *err, size_t err_size);
static char *feed_cache_key(const search_params *sp);

/* Records a reader's search (searchlog.h): its first page only, so that
 * paging through results does not count the query again; the list of an
 * article's copies is no search. */
static void record_search(routes_app *app, const search_params *sp, const char *source,
                          uint64_t total, double took_ms)
{
    if (!app->log || sp->req.offset > 0 || sp->req.duplicates_of || sp->related)
        return;
    searchlog_entry entry = {
        .query = sp->query,
        .section = sp->req.section,
        .author = sp->req.author,
        .since = sp->since_text,
        .until = sp->until_text,
        .source = source,
        .results = total,
        .took_ms = took_ms,
    };
    searchlog_record(app->log, &entry);
}

/* A search's (or a feed's) cached reply, answered on the connection thread
 * while the cache tag is fresh (checked less than REVISION_CHECK_MS ago);
 * otherwise, and on a miss or a bad request, the worker's handler answers. */
static int quick_cached_search(http_request *req, routes_app *app, int feed)
{
    search_params sp;
    char err[512];
    if (monotonic_ms() - atomic_load(&app->revision_at_ms) >= REVISION_CHECK_MS)
        return 0;
    if (feed ? parse_feed_params(req, &sp, err, sizeof err) != 0
             : parse_search_params(req, 0, &sp, err, sizeof err) != 0 ||
                   (!*sp.query && !sp.req.duplicates_of))
        return 0;
    char *key = feed ? feed_cache_key(&sp) : search_cache_key(&sp);
    uint64_t total = 0;
    int done = reply_cached(app, req, key, atomic_load(&app->revision_tag), 1,
                            feed ? ATOM_TYPE : "application/json", feed ? NULL : &total);
    if (done && !feed)
        record_search(app, &sp, "api", total, 0);
    free(key);
    return done;
}

static int quick_api_search(http_request *req, void *ctx)
{
    return quick_cached_search(req, ctx, 0);
}

/* What /api/search and /feed.atom share: the parameters, the worker's engine,
 * then the reply cached for the current revision or the search.  Returns 1
 * when it replied (a bad request, no index, a cached reply, a failed
 * search); 0 with *result filled, the worker's engine *engine, and the
 * revision's *tag and the cache *key (NULL when out of memory; the caller
 * frees it) to reply with. */
static int run_search(routes_app *app, http_request *req, int feed, search_params *sp,
                      search_result *result, search_engine **engine, uint64_t *tag, char **key)
{
    char err[512];
    *key = NULL;
    if ((feed ? parse_feed_params(req, sp, err, sizeof err)
              : parse_search_params(req, 0, sp, err, sizeof err)) != 0) {
        http_reply_error(req, 400, "bad_parameter", err);
        return 1;
    }
    if (!feed && !*sp->query && !sp->req.duplicates_of) {
        http_reply_error(req, 400, "bad_parameter", "q is required: the words to search for");
        return 1;
    }
    search_engine *e = worker_engine(app, err, sizeof err);
    if (!e) {
        http_reply_error(req, 503, "index_unavailable", err);
        return 1;
    }
    *tag = current_tag(app, e);
    *key = feed ? feed_cache_key(sp) : search_cache_key(sp);
    uint64_t total = 0;
    if (reply_cached(app, req, *key, *tag, 0, feed ? ATOM_TYPE : "application/json",
                     feed ? NULL : &total)) {
        if (!feed)
            record_search(app, sp, "api", total, 0);
        return 1;
    }
    kq_status st = search_run(e, &sp->req, result);
    if (st != KQ_OK && unknown_article(e, st, sp->req.duplicates_of)) {
        snprintf(err, sizeof err, "duplicates_of: no article with id '%s' is indexed",
                 sp->req.duplicates_of);
        http_reply_error(req, 400, "bad_parameter", err);
        return 1;
    }
    if (st != KQ_OK) {
        reply_search_failure(app, req, e, st);
        return 1;
    }
    if (!feed)
        record_search(app, sp, "api", result->total, result->took_ms);
    *engine = e;
    return 0;
}

static void handle_api_search(http_request *req, void *ctx)
{
    routes_app *app = ctx;
    search_params sp;
    search_result result = {0};
    char *key = NULL;
    uint64_t tag = 0;
    search_engine *e = NULL;
    if (!run_search(app, req, 0, &sp, &result, &e, &tag, &key))
        reply_result_json(app, req, e, KQ_OK, &result, key, tag);
    search_result_clear(&result);
    free(key);
}

/* The page's reply when the index fails under a query. */
static char *page_unavailable(routes_app *app, search_engine *e, const render_page_params *p,
                              size_t *len)
{
    if (e) {
        atomic_fetch_add(&app->search_failures, 1);
        worker_engine_reset();
    }
    return render_page(p, NULL,
                       "La recherche est momentanément indisponible : l’index ne peut pas être "
                       "lu. Réessayez dans un instant.",
                       len);
}

/* The search page: a search (?q= and filters), the copies of one article
 * (?duplicates_of=) or the articles related to one (?related=). */
static void handle_page(http_request *req, void *ctx)
{
    routes_app *app = ctx;
    search_params sp;
    char err[512];
    char message[700];
    search_result result = {0};
    char *subject = NULL;
    int parsed = parse_search_params(req, 1, &sp, err, sizeof err) == 0;
    const char *raw_q = http_request_param(req, "q");
    render_page_params p = {
        .query = parsed ? sp.query : (raw_q ? raw_q : ""),
        .section = parsed && sp.req.section ? sp.req.section : "",
        .since = parsed && sp.since_text ? sp.since_text : "",
        .until = parsed && sp.until_text ? sp.until_text : "",
        .sort = parsed ? sp.sort_text : "relevance",
        .page = parsed ? sp.page : 1,
        .per_page = PAGE_SIZE,
        .author = parsed && sp.req.author ? sp.req.author : "",
        .all = parsed ? sp.req.no_collapse : 0,
        .duplicates_of = parsed && sp.req.duplicates_of ? sp.req.duplicates_of : "",
        .related = parsed && sp.related ? sp.related : "",
        .subject_title = "",
    };
    char *html = NULL;
    size_t len = 0;
    unsigned status = 200;
    const char *subject_id = parsed ? (sp.related ? sp.related : sp.req.duplicates_of) : NULL;
    if (!parsed) {
        /* The form is shown again, with the reason, in French for the reader. */
        snprintf(message, sizeof message, "Requête invalide : %s.", err);
        html = render_page(&p, NULL, message, &len);
        status = 400;
    } else if (!*sp.query && !subject_id) {
        html = render_page(&p, NULL, NULL, &len);
        http_request_set_revision(req, 0); /* the form alone: the same at every revision */
    } else {
        search_engine *e = worker_engine(app, err, sizeof err);
        kq_status st = e ? KQ_OK : KQ_ERR_IO;
        if (e)
            http_request_set_revision(req, current_tag(app, e));
        if (e && subject_id) {
            /* The article the list is about, named in its heading. */
            subject = article_title(e, subject_id, &st);
            if (subject)
                p.subject_title = subject;
        }
        if (st == KQ_OK)
            st = sp.related ? search_related(e, sp.related, PAGE_SIZE, &result)
                            : search_run(e, &sp.req, &result);
        if (st == KQ_OK) {
            record_search(app, &sp, "page", result.total, result.took_ms);
            result_keepable(app, req, &result);
            html = render_page(&p, &result, NULL, &len);
        } else if (st == KQ_ERR_NOT_FOUND && subject_id && unknown_article(e, st, subject_id)) {
            snprintf(message, sizeof message, "Aucun article n’a l’identifiant « %s ».",
                     subject_id);
            html = render_page(&p, NULL, message, &len);
            status = 404;
        } else if (st == KQ_ERR_INVALID) {
            snprintf(message, sizeof message, "Requête invalide : %s.", search_last_error(e));
            html = render_page(&p, NULL, message, &len);
            status = 400;
        } else {
            html = page_unavailable(app, e, &p, &len);
            status = 503;
        }
    }
    http_reply_owned(req, status, HTTP_KIND_PAGE, "text/html; charset=utf-8", html, len);
    search_result_clear(&result);
    free(subject);
}

/* --- feeds ------------------------------------------------------------------------------- */

/* Fills sp for /feed.atom: every filter of /api/search and limit (default
 * FEED_DEFAULT), sorted by date, newest first, without freshness; what a feed
 * cannot vary (its order, its start, facets, freshness) is refused, so a
 * feed URL never says something it does not do. */
static int parse_feed_params(http_request *req, search_params *sp, char *err, size_t err_size)
{
    const char *fixed[] = {"offset", "facets", "half_life"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (param(req, fixed[i])) {
            snprintf(err, err_size,
                     "%s does not apply to a feed, which lists the newest articles first",
                     fixed[i]);
            return -1;
        }
    }
    const char *sort = param(req, "sort");
    if (sort && strcmp(sort, "date") != 0) {
        snprintf(err, err_size, "a feed is sorted by date, newest first: sort must be date");
        return -1;
    }
    if (parse_search_params(req, 0, sp, err, err_size) != 0)
        return -1;
    if (!param(req, "limit"))
        sp->req.limit = FEED_DEFAULT;
    sp->req.sort = SEARCH_SORT_DATE;
    sp->req.half_life_days = -1.0; /* newest first, whatever freshness would say */
    sp->req.facets = 0;
    return 0;
}

static char *feed_cache_key(const search_params *sp)
{
    char *search_key = search_cache_key(sp);
    render_buf b = RENDER_BUF_INIT;
    render_buf_printf(&b, "feed|%s", search_key ? search_key : "");
    free(search_key);
    return render_buf_release(&b, NULL);
}

static int quick_feed(http_request *req, void *ctx)
{
    return quick_cached_search(req, ctx, 1);
}

/* /feed.atom: the newest articles of a search as an Atom feed, which a feed
 * reader polls with If-None-Match (304 until the next commit). */
static void handle_feed(http_request *req, void *ctx)
{
    routes_app *app = ctx;
    search_params sp;
    search_result result = {0};
    char *key = NULL;
    uint64_t tag = 0;
    search_engine *e = NULL;
    if (run_search(app, req, 1, &sp, &result, &e, &tag, &key))
        goto out;
    render_page_params pp = {
        .query = sp.query,
        .section = sp.req.section ? sp.req.section : "",
        .author = sp.req.author ? sp.req.author : "",
        .since = sp.since_text ? sp.since_text : "",
        .until = sp.until_text ? sp.until_text : "",
        .sort = "date",
        .all = sp.req.no_collapse,
        .duplicates_of = sp.req.duplicates_of ? sp.req.duplicates_of : "",
        .related = "",
        .subject_title = "",
        .page = 1,
    };
    search_status status = {0};
    int dated = 0;
    for (size_t i = 0; i < result.n_hits; i++)
        dated |= result.hits[i].date[0] != '\0';
    if (!dated && search_get_status(e, &status) != KQ_OK)
        status.last_update[0] = '\0';
    feed_params fp = {.search = &pp, .updated_fallback = status.last_update};
    size_t len = 0;
    char *xml = feed_atom(&fp, &result, &len);
    http_request_add_header(req, "X-Kiosque-Cache", "miss");
    if (result_keepable(app, req, &result)) {
        if (xml && key)
            cache_put(app->replies, key, tag, xml, len);
        http_request_set_revision(req, tag);
    }
    http_reply_owned(req, 200, HTTP_KIND_API, ATOM_TYPE, xml, len);
out:
    search_result_clear(&result);
    free(key);
}

/* The scheme and host the client reached searchd by ("https://www.example.fr"),
 * from the Host header and, behind a proxy, X-Forwarded-Proto; -1 when Host
 * is missing or not a host name (it goes into links: only host characters). */
static int public_base(http_request *req, char *out, size_t out_size)
{
    const char *host = http_request_header(req, "Host");
    if (!host || !*host || strlen(host) > 255)
        return -1;
    for (const char *c = host; *c; c++) {
        int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                 *c == '.' || *c == '-' || *c == ':' || *c == '[' || *c == ']';
        if (!ok)
            return -1;
    }
    const char *proto = http_request_header(req, "X-Forwarded-Proto");
    snprintf(out, out_size, "%s://%s", proto && strcmp(proto, "https") == 0 ? "https" : "http",
             host);
    return 0;
}

/* /opensearch.xml, answered on the connection thread (it reads no index).
 * Its URLs are those of the Host asked, so it is not kept by shared caches. */
static int quick_opensearch(http_request *req, void *ctx)
{
    (void)ctx;
    char base[300];
    if (public_base(req, base, sizeof base) != 0) {
        http_reply_error(req, 400, "bad_request",
                         "the Host header is missing or is not a host name");
        return 1;
    }
    size_t len = 0;
    char *xml = feed_opensearch(base, &len);
    http_reply_owned(req, 200, HTTP_KIND_API,
                     "application/opensearchdescription+xml; charset=utf-8", xml, len);
    return 1;
}

static void handle_opensearch(http_request *req, void *ctx)
{
    quick_opensearch(req, ctx);
}

/* 1 when /api/suggest is asked for the OpenSearch suggestions format
 * (["prefix",["completion",…]]): format=opensearch, or no format and an Accept
 * header naming application/x-suggestions+json (then *negotiated is 1); 0
 * for Kiosque's own JSON; -1 for another format. */
static int suggest_format(http_request *req, int *negotiated)
{
    const char *f = param(req, "format");
    *negotiated = 0;
    if (f)
        return strcmp(f, "opensearch") == 0 ? 1 : strcmp(f, "kiosque") == 0 ? 0 : -1;
    const char *accept = http_request_header(req, "Accept");
    *negotiated = accept && strstr(accept, SUGGESTIONS_TYPE) != NULL;
    return *negotiated;
}

static void handle_api_suggest(http_request *req, void *ctx)
{
    routes_app *app = ctx;
    char err[512];
    char **items = NULL;
    size_t n = 0, n_completions = 0;
    json_t *root = NULL;
    char *key = NULL;
    const char *q = http_request_param(req, "q");
    unsigned limit = SUGGEST_DEFAULT;
    int negotiated = 0, opensearch = suggest_format(req, &negotiated);
    /* The reply depends on Accept (suggest_format): shared caches must key on it. */
    http_request_add_header(req, "Vary", "Accept");
    if (opensearch < 0) {
        http_reply_error(req, 400, "bad_parameter",
                         "format must be opensearch, for [\"prefix\",[completions]], or kiosque");
        goto out;
    }
    const char *type = opensearch ? SUGGESTIONS_TYPE : "application/json";
    const char *v = param(req, "limit");
    if (v && (parse_uint(v, &limit) != 0 || limit < 1 || limit > SUGGEST_MAX)) {
        snprintf(err, sizeof err, "limit must be a number from 1 to %u", SUGGEST_MAX);
        http_reply_error(req, 400, "bad_parameter", err);
        goto out;
    }
    if (q && strlen(q) > SEARCH_MAX_QUERY_BYTES) {
        snprintf(err, sizeof err, "q is longer than %u bytes", SEARCH_MAX_QUERY_BYTES);
        http_reply_error(req, 400, "bad_parameter", err);
        goto out;
    }
    if (!q)
        q = "";
    search_engine *e = NULL;
    uint64_t tag = 0;
    if (*q) {
        e = worker_engine(app, err, sizeof err);
        if (!e) {
            http_reply_error(req, 503, "index_unavailable", err);
            goto out;
        }
        tag = current_tag(app, e);
        /* A negotiated reply has no ETag of its own: the URL's one is the JSON's. */
        if (!negotiated)
            http_request_set_revision(req, tag);
        render_buf kb = RENDER_BUF_INIT;
        render_buf_printf(&kb, "suggest|%u|%d|%s", limit, opensearch, q);
        key = render_buf_release(&kb, NULL);
        size_t len = 0;
        char *hit = key ? cache_get(app->replies, key, tag, &len) : NULL;
        if (hit) {
            http_reply_owned(req, 200, HTTP_KIND_API, type, hit, len);
            goto out;
        }
        /* A commit that discards the revision being read is retried
         * inside the library (search_with_retry). */
        kq_status st = search_suggest(e, q, limit, &items, &n, &n_completions);
        if (st != KQ_OK) {
            reply_search_failure(app, req, e, st);
            goto out;
        }
    }
    root = opensearch ? json_array() : json_object();
    json_t *list = json_array(), *kinds = json_array();
    if (!root || !list || !kinds) {
        json_decref(list);
        json_decref(kinds);
        http_reply_error(req, 500, "internal", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, json_string(items[i]));
        json_array_append_new(kinds, json_string(i < n_completions ? "completion" : "headline"));
    }
    if (opensearch) {
        /* The OpenSearch suggestions extension: [prefix, [completions…]]; the
         * headlines offered are searches too. */
        json_array_append_new(root, json_string(q));
        json_array_append_new(root, list);
        json_decref(kinds);
    } else {
        json_object_set_new(root, "query", json_string(q));
        json_object_set_new(root, "suggestions", list);
        json_object_set_new(root, "kinds", kinds);
    }
    char *json = json_dumps(root, JSON_COMPACT);
    if (json && key)
        cache_put(app->replies, key, tag, json, strlen(json));
    http_reply_owned(req, 200, HTTP_KIND_API, type, json, json ? strlen(json) : 0);
out:
    json_decref(root);
    search_strings_free(items, n);
    free(key);
}

static void handle_api_article(http_request *req, void *ctx)
{
    routes_app *app = ctx;
    char err[512];
    const char *id = http_request_path(req) + strlen(ARTICLES_PREFIX);
    if (!*id || strlen(id) > 256) {
        http_reply_error(req, 404, "not_found",
                         "no such article: give its id, as in /api/articles/42");
        return;
    }
    search_engine *e = worker_engine(app, err, sizeof err);
    if (!e) {
        http_reply_error(req, 503, "index_unavailable", err);
        return;
    }
    char *json = NULL;
    search_article a;
    http_request_set_revision(req, current_tag(app, e));
    kq_status st = search_get_article(e, id, &a);
    if (st == KQ_OK && !(json = result_article_json(&a)))
        st = KQ_ERR_NOMEM;
    search_article_clear(&a);
    if (st == KQ_ERR_NOT_FOUND) {
        snprintf(err, sizeof err, "no article with id '%s' is indexed", id);
        http_reply_error(req, 404, "not_found", err);
    } else if (st != KQ_OK) {
        reply_search_failure(app, req, e, st);
    } else {
        http_reply_owned(req, 200, HTTP_KIND_API, "application/json", json,
                         json ? strlen(json) : 0);
        json = NULL;
    }
    free(json);
}

/* /api/related/{id}?limit=: the articles closest to one, in /api/search's shape. */
static void handle_api_related(http_request *req, void *ctx)
{
    routes_app *app = ctx;
    char err[512];
    search_result result = {0};
    char *key = NULL;
    const char *id = http_request_path(req) + strlen(RELATED_PREFIX);
    unsigned limit = RELATED_DEFAULT;
    const char *v = param(req, "limit");
    if (v && (parse_uint(v, &limit) != 0 || limit < 1 || limit > SEARCH_MAX_LIMIT)) {
        snprintf(err, sizeof err, "limit must be a number from 1 to %u", SEARCH_MAX_LIMIT);
        http_reply_error(req, 400, "bad_parameter", err);
        goto out;
    }
    if (!*id || strlen(id) > MAX_ID_BYTES) {
        http_reply_error(req, 404, "not_found",
                         "no such article: give its id, as in /api/related/42");
        goto out;
    }
    search_engine *e = worker_engine(app, err, sizeof err);
    if (!e) {
        http_reply_error(req, 503, "index_unavailable", err);
        goto out;
    }
    uint64_t tag = current_tag(app, e);
    render_buf kb = RENDER_BUF_INIT;
    render_buf_printf(&kb, "related|%u|%s", limit, id);
    key = render_buf_release(&kb, NULL);
    if (reply_cached(app, req, key, tag, 0, "application/json", NULL))
        goto out;
    kq_status st = search_related(e, id, limit, &result);
    if (st != KQ_OK && unknown_article(e, st, id)) {
        snprintf(err, sizeof err, "no article with id '%s' is indexed", id);
        http_reply_error(req, 404, "not_found", err);
        goto out;
    }
    reply_result_json(app, req, e, st, &result, key, tag);
out:
    search_result_clear(&result);
    free(key);
}

/* /api/report: what readers search, as `search report --json` prints it;
 * only with --report (it tells what the newsroom's readers look for). */
static void handle_api_report(http_request *req, void *ctx)
{
    routes_app *app = ctx;
    char err[1024];
    searchlog_report_options opt = {0};
    if (!app->serve_report) {
        http_reply_error(req, 404, "not_found",
                         "the report of searches is served when searchd runs with --report");
        return;
    }
    const char *since = param(req, "since"), *until = param(req, "until"), *v;
    if ((since && parse_date_param("since", since, 0, &opt.since, err, sizeof err) != 0) ||
        (until && parse_date_param("until", until, 1, &opt.until, err, sizeof err) != 0)) {
        http_reply_error(req, 400, "bad_parameter", err);
        return;
    }
    if (until && strlen(until) == 10)
        opt.until += 1; /* the report's end is exclusive: the whole last day */
    if ((v = param(req, "top")) &&
        (parse_uint(v, &opt.top) != 0 || opt.top < 1 || opt.top > SEARCH_MAX_LIMIT)) {
        snprintf(err, sizeof err, "top must be a number from 1 to %u", SEARCH_MAX_LIMIT);
        http_reply_error(req, 400, "bad_parameter", err);
        return;
    }
    char *json = NULL;
    kq_status st = searchlog_report(app->db_dir, &opt, &json, err, sizeof err);
    if (st == KQ_ERR_INVALID)
        http_reply_error(req, 400, "bad_parameter", err);
    else if (st == KQ_ERR_NOT_FOUND)
        http_reply_error(req, 404, "not_found", err);
    else if (st != KQ_OK)
        http_reply_error(req, 503, "report_unavailable", err);
    else
        http_reply_owned(req, 200, HTTP_KIND_API, "application/json", json, strlen(json));
}

static void handle_healthz(http_request *req, void *ctx)
{
    routes_app *app = ctx;
    char err[512];
    search_status st;
    json_t *root = NULL;
    search_engine *e = worker_engine(app, err, sizeof err);
    kq_status rc = KQ_ERR_NO_INDEX;
    if (e) {
        rc = search_get_status(e, &st);
        if (rc != KQ_OK) {
            snprintf(err, sizeof err, "%s",
                     *search_last_error(e) ? search_last_error(e) : status_to_string(rc));
            worker_engine_reset();
        }
    }
    if (rc == KQ_OK) {
        /* While a shard answers: 200, "degraded" naming those that do not. */
        root = json_pack(
            "{s:s,s:I,s:I,s:s,s:{s:i,s:i,s:i}}", "status", st.shards_failed ? "degraded" : "ok",
            "documents", (json_int_t)st.documents, "revision", (json_int_t)st.revision,
            "last_update", st.last_update, "shards", "total", (int)st.shards_total, "successful",
            (int)(st.shards_total - st.shards_failed), "failed", (int)st.shards_failed);
        json_t *down = st.shards_failed ? json_array() : NULL;
        for (unsigned i = 0; down && i < st.shards_total; i++) {
            search_shard sh;
            search_shard_state(e, i, &sh);
            if (!sh.up)
                json_array_append_new(down, json_pack("{s:i,s:s,s:s}", "shard", (int)i + 1, "name",
                                                      sh.name, "error", sh.error));
        }
        if (root && down)
            json_object_set_new(root, "shards_down", down);
        else
            json_decref(down);
    } else
        root = json_pack("{s:s,s:s}", "status", "unavailable", "error", err);
    char *json = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    http_reply_owned(req, rc == KQ_OK ? 200 : 503, HTTP_KIND_API, "application/json", json,
                     json ? strlen(json) : 0);
}

/* Appends s to b as a Prometheus label value (backslash, quote and
 * newline escaped). */
static void add_label_value(render_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            render_buf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            render_buf_puts(b, "\\n");
        else
            render_buf_printf(b, "%c", *s);
    }
}

/* Each shard's state and failures, labelled with its number and name. */
static void add_shard_metrics(render_buf *b, search_engine *e, unsigned n)
{
    static const char *const lines[2][2] = {
        {"kiosque_shard_up", "# HELP kiosque_shard_up 1 while the shard answers, 0 while its "
                             "articles are missing from results.\n"
                             "# TYPE kiosque_shard_up gauge\n"},
        {"kiosque_shard_failures_total",
         "# HELP kiosque_shard_failures_total Failures of the shard found by searches and "
         "connections (refused, lost, timed out).\n"
         "# TYPE kiosque_shard_failures_total counter\n"},
    };
    for (int m = 0; m < 2; m++) {
        render_buf_puts(b, lines[m][1]);
        for (unsigned i = 0; i < n; i++) {
            search_shard sh;
            search_shard_state(e, i, &sh);
            render_buf_printf(b, "%s{shard=\"%u\",name=\"", lines[m][0], i + 1);
            add_label_value(b, sh.name);
            render_buf_printf(b, "\"} %llu\n",
                              m == 0 ? (unsigned long long)sh.up : (unsigned long long)sh.failures);
        }
    }
}

static void handle_metrics(http_request *req, void *ctx)
{
    routes_app *app = ctx;
    char err[512];
    render_buf b = RENDER_BUF_INIT;
    http_server_metrics(http_request_server(req), &b);
    uint64_t hits, misses;
    cache_stats(app->replies, &hits, &misses);
    render_buf_printf(
        &b,
        "# HELP kiosque_cache_hits_total API replies served from the reply cache.\n"
        "# TYPE kiosque_cache_hits_total counter\nkiosque_cache_hits_total %llu\n"
        "# HELP kiosque_cache_misses_total API replies computed because they were not cached.\n"
        "# TYPE kiosque_cache_misses_total counter\nkiosque_cache_misses_total %llu\n"
        "# HELP kiosque_search_failures_total Search library calls that failed (not bad "
        "requests).\n"
        "# TYPE kiosque_search_failures_total counter\nkiosque_search_failures_total %lu\n"
        "# HELP kiosque_searches_timed_out_total Searches stopped by the time limit "
        "(--search-time-limit), answered with the matches examined.\n"
        "# TYPE kiosque_searches_timed_out_total counter\nkiosque_searches_timed_out_total %lu\n",
        (unsigned long long)hits, (unsigned long long)misses, atomic_load(&app->search_failures),
        atomic_load(&app->timed_out));
    if (app->log) {
        searchlog_stats ls;
        searchlog_get_stats(app->log, &ls);
        render_buf_printf(
            &b,
            "# HELP kiosque_searches_recorded_total Searches recorded for the report.\n"
            "# TYPE kiosque_searches_recorded_total counter\nkiosque_searches_recorded_total %llu\n"
            "# HELP kiosque_searches_dropped_total Searches not recorded (queue full, recording "
            "stopped).\n"
            "# TYPE kiosque_searches_dropped_total counter\nkiosque_searches_dropped_total %llu\n"
            "# HELP kiosque_search_log_up 0 once writing the record of searches failed.\n"
            "# TYPE kiosque_search_log_up gauge\nkiosque_search_log_up %d\n",
            (unsigned long long)ls.recorded, (unsigned long long)ls.dropped, !ls.stopped);
    }
    search_status st;
    search_engine *e = worker_engine(app, err, sizeof err);
    int up = e && search_get_status(e, &st) == KQ_OK;
    render_buf_printf(&b,
                      "# HELP kiosque_index_up 1 when the index can be read.\n"
                      "# TYPE kiosque_index_up gauge\nkiosque_index_up %d\n",
                      up);
    if (up)
        render_buf_printf(&b,
                          "# HELP kiosque_index_documents Articles in the index.\n"
                          "# TYPE kiosque_index_documents gauge\nkiosque_index_documents %llu\n"
                          "# HELP kiosque_index_revision Committed revision of the index.\n"
                          "# TYPE kiosque_index_revision gauge\nkiosque_index_revision %llu\n",
                          (unsigned long long)st.documents, (unsigned long long)st.revision);
    render_buf_printf(&b,
                      "# HELP kiosque_partial_replies_total Results without the articles of "
                      "shards that did not answer.\n"
                      "# TYPE kiosque_partial_replies_total counter\n"
                      "kiosque_partial_replies_total %lu\n",
                      atomic_load(&app->partial_replies));
    if (up)
        add_shard_metrics(&b, e, st.shards_total);
    size_t len = 0;
    char *text = render_buf_release(&b, &len);
    http_reply_owned(req, 200, HTTP_KIND_API, "text/plain; version=0.0.4; charset=utf-8", text,
                     len);
}

static void handle_static(http_request *req, void *ctx)
{
    (void)ctx;
    const char *name = http_request_path(req) + strlen("/static/");
    for (size_t i = 0; i < assets_count; i++) {
        if (strcmp(assets[i].name, name) == 0) {
            http_reply(req, 200, HTTP_KIND_STATIC, assets[i].content_type,
                       (const char *)assets[i].data, assets[i].len);
            return;
        }
    }
    http_reply_error(req, 404, "not_found", "no such static file");
}

static int quick_static(http_request *req, void *ctx)
{
    handle_static(req, ctx);
    return 1;
}

static const http_route route_table[] = {
    {"page", "/", 0, 0, handle_page, NULL},
    {"api_search", "/api/search", 0, 1, handle_api_search, quick_api_search},
    {"api_suggest", "/api/suggest", 0, 1, handle_api_suggest, NULL},
    {"feed", "/feed.atom", 0, 1, handle_feed, quick_feed},
    {"opensearch", "/opensearch.xml", 0, 1, handle_opensearch, quick_opensearch},
    {"api_article", ARTICLES_PREFIX, 1, 1, handle_api_article, NULL},
    {"api_related", RELATED_PREFIX, 1, 1, handle_api_related, NULL},
    {"api_report", "/api/report", 0, 0, handle_api_report, NULL},
    {"healthz", "/healthz", 0, 0, handle_healthz, NULL},
    {"metrics", "/metrics", 0, 0, handle_metrics, NULL},
    {"static", "/static/", 1, 1, handle_static, quick_static},
};

const http_route *routes_table(size_t *n_routes)
{
    *n_routes = sizeof route_table / sizeof route_table[0];
    return route_table;
}
