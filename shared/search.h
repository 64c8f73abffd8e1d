/* search: a reader's query in, ranked hits with highlighted snippets out; used by search, searchd
 * and tests. */
#ifndef KIOSQUE_SEARCH_H
#define KIOSQUE_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* A search engine handle owns its own French analyzer and Xapian reader:
 * open one per thread (a worker of searchd, the search
 * command).  Before each query it moves to the latest committed revision, and
 * it reopens and retries when a commit lands during a query, so callers never
 * see KQ_ERR_MODIFIED.  Everything a hit displays comes from the Xapian
 * documents themselves (see document.h), so the same code serves remote or
 * sharded indexes. */

typedef struct search_engine search_engine;

/* Opens the Kiosque database directory `db_dir` (see dbpath.h) for reading.
 * Returns NULL on failure with *status set and the reason in err;
 * KQ_ERR_NO_INDEX when the directory holds no index yet (err says what to
 * run to create one).  The caller owns the handle
 * and frees it with search_close. */
search_engine *search_open(const char *db_dir, kq_status *status, char *err, size_t err_size);

/* Closes the engine; search_close(NULL) does nothing. */
void search_close(search_engine *e);

/* By default every call opens the latest committed revision of the index
 * (a few system calls).  With ms > 0, a call made less than ms milliseconds
 * after the last look keeps the revision it has: a server asking many
 * times a second sees a commit within ms.  A search that finds its revision
 * replaced during the call still opens the new one and runs again, and an
 * article id unknown to the revision kept (search_get_article,
 * search_related, duplicates_of) is looked for again in the newest one, so
 * an article found by one engine is never missing from another. */
void search_set_refresh_interval(search_engine *e, unsigned ms);

/* With ms > 0, search_run and search_related stop after about ms
 * milliseconds of work: the reader gets the best of the matches examined
 * so far, said by search_result.timed_out (the total then a lower bound,
 * facets counting the matches examined, no did-you-mean), so that no query
 * holds the engine for long.  0 (the default): no limit.  Over remote
 * shards only the steps after the match stop (exact counts, did-you-mean):
 * a shard's match cannot be stopped, and its reply waits at most the remote
 * timeout (index_set_remote_timeout). */
void search_set_time_limit(search_engine *e, unsigned ms);

/* Opens the latest committed revision now.  search_get_status always does. */
kq_status search_refresh(search_engine *e);

/* The detailed message of the last failure on this handle; "" when none. */
const char *search_last_error(const search_engine *e);

enum search_sort {
    SEARCH_SORT_RELEVANCE = 0,
    SEARCH_SORT_DATE,     /* newest first */
    SEARCH_SORT_DATE_ASC, /* oldest first */
};

/* Limits applied to every request, whoever sends it. */
#define SEARCH_MAX_QUERY_BYTES 1024u
#define SEARCH_MAX_LIMIT 100u
#define SEARCH_MAX_OFFSET 10000u

typedef struct search_request {
    const char *query; /* UTF-8, as the reader typed it; at most SEARCH_MAX_QUERY_BYTES */
    unsigned offset;   /* hits to skip, at most SEARCH_MAX_OFFSET */
    unsigned limit;    /* hits to return, 1..SEARCH_MAX_LIMIT; 0 means 10 */
    enum search_sort sort;
    const char *section;       /* only this section (NULL: any) */
    const char *author;        /* only this author (NULL: any) */
    int64_t since;             /* published at or after, seconds since the epoch (0: no bound) */
    int64_t until;             /* published at or before (0: no bound) */
    unsigned snippet_bytes;    /* target snippet length in bytes; 0 means 220 */
    int facets;                /* 1: count sections, authors, years and months over every match */
    int no_collapse;           /* 1: republished copies are separate hits (default: collapsed) */
    const char *duplicates_of; /* only the copies of this article id (expands a collapsed hit) */
    double half_life_days; /* freshness half-life in days; 0: SEARCH_HALF_LIFE_DAYS; < 0: none */
} search_request;

/* Among comparably relevant articles, one published this many days before
 * the newest article of the archive counts half as fresh.  Freshness is not
 * applied when sorting by date or when the query or the filters name dates. */
#define SEARCH_HALF_LIFE_DAYS 180.0

/* Facets returned by a request with `facets` set, in this order. */
enum search_facet_kind {
    SEARCH_FACET_SECTION,
    SEARCH_FACET_AUTHOR,
    SEARCH_FACET_YEAR,
    SEARCH_FACET_MONTH,
    SEARCH_FACET_COUNT
};

typedef struct search_facet_value {
    char *value;    /* as written in the articles */
    uint64_t count; /* the results choosing it gives: exact, copies collapsed unless no_collapse */
} search_facet_value;

typedef struct search_facet {
    const char *name;           /* "section", "author", "year", "month" (static) */
    search_facet_value *values; /* sections, years, months: all, by count; authors: the top ones */
    size_t n_values;
} search_facet;

/* A highlighted stretch of a snippet: bytes [start, end) of the snippet text. */
typedef struct search_mark {
    size_t start, end;
} search_mark;

typedef struct search_hit {
    char *id;
    char *url; /* may be "" */
    char *title;
    char *date;         /* ISO 8601 UTC, or "" */
    char *author;       /* authors joined with ", ", or "" */
    char *section;      /* sections joined with " / ", or "" */
    char *snippet;      /* plain UTF-8 text, with "…" where it was cut */
    search_mark *marks; /* the words matching the query, in order, not overlapping */
    size_t n_marks;
    double score;
    unsigned duplicates; /* near-identical articles collapsed into this hit */
} search_hit;

/* A French date phrase of the query read as a period (datewords.h): what
 * the reader is shown as the filter understood. */
typedef struct search_dates {
    char words[128]; /* the words read, as typed ("depuis mars") */
    char from[11];   /* the first day, YYYY-MM-DD (UTC) */
    char to[11];     /* the last day, YYYY-MM-DD, or "" when open */
    char label[96];  /* in French: "depuis le 1ᵉʳ mars 2026", "en 2019, ou qui citent 2019" */
    int or_word;     /* a bare year: its articles, or those naming it (no filter) */
} search_dates;

typedef struct search_result {
    char *query;          /* the query as received */
    uint64_t total;       /* matching articles: exact, or else Xapian's estimate */
    int total_exact;      /* 1 when total is the count */
    uint64_t total_lower; /* a true lower bound of the count ("plus de"): total when exact */
    unsigned offset, limit;
    double took_ms; /* wall-clock time of search_run */
    int partial;    /* 1 when no article had every word and partial matching was used */
    int timed_out;  /* 1 when the time limit stopped the search: results among the matches seen */
    search_hit *hits;
    size_t n_hits;
    char *suggestion; /* did-you-mean: the query with misspelt words corrected, or NULL */
    search_facet facets[SEARCH_FACET_COUNT]; /* filled when the request asked for facets */
    int has_facets;
    int has_dates; /* 1 when the query held a date phrase (understood_dates) */
    search_dates understood_dates;
    /* The shards searched (a stub file's lines; 1 for a database
     * directory) and those that did not answer, whose articles are
     * missing from the result (index.h, partial results). */
    unsigned shards_total, shards_failed;
} search_result;

/* At most this many authors are listed in a facet. */
#define SEARCH_FACET_TOP_AUTHORS 20

/* Runs a request.  *out is filled and must be cleared with
 * search_result_clear, also after a failure.  A request that breaks the
 * limits above gives KQ_ERR_INVALID with the reason in search_last_error. */
kq_status search_run(search_engine *e, const search_request *req, search_result *out);

void search_result_clear(search_result *r);

/* Articles related to article `id`, from its most characteristic terms
 * (Xapian's relevance feedback), best first, the article itself excluded.
 * Fills *out like search_run (snippets are the opening of each article);
 * KQ_ERR_NOT_FOUND when no such article. */
kq_status search_related(search_engine *e, const char *id, unsigned limit, search_result *out);

/* Completions of what a reader is typing (`prefix`, as typed), from what
 * the archive holds: after a word, up to `max` phrases of headlines and
 * chapôs that continue it ("gilets j" → "gilets jaunes", never a word that
 * does not follow "gilets" there), the most frequent first; as the first
 * word (two letters at least), the headline words it starts, the most
 * frequent first, the leading one also as the phrase it most often starts
 * ("gil" → "gilets", "gilets jaunes").  What was typed is kept as typed and
 * the completed words get their accents ("ecol" → "école").  Then up to 3
 * headlines holding the words typed.  *out is an array of *n strings the
 * caller frees with search_strings_free; the first *n_completions of them
 * (when n_completions is not NULL) are completions, the others headlines. */
kq_status search_suggest(search_engine *e, const char *prefix, size_t max, char ***out, size_t *n,
                         size_t *n_completions);
void search_strings_free(char **strings, size_t n);

/* The stored metadata of an article, as its hits show it (strings "" when
 * absent) and its lists item by item. */
typedef struct search_article {
    char *id, *url, *title, *description, *date, *date_modified, *language;
    char *author;  /* authors joined with ", " */
    char *section; /* sections joined with " / " */
    char **authors, **sections, **keywords;
    size_t n_authors, n_sections, n_keywords;
} search_article;

/* Reads article `id` into *out, cleared with search_article_clear (also
 * after a failure).  KQ_ERR_NOT_FOUND when no such article is indexed. */
kq_status search_get_article(search_engine *e, const char *id, search_article *out);
void search_article_clear(search_article *a);

typedef struct search_status {
    uint64_t documents;   /* articles in the index */
    uint64_t revision;    /* the indexer's batch revision (kiosque.revision); Xapian's own
                           * revision for an index without one */
    char last_update[32]; /* ISO 8601 UTC time of the last commit, or "" */
    /* Shards as in search_result; documents, revision and last_update are
     * those of the shards that answer.  Bit i of shards_down is set when
     * shard i (of the first 63; bit 63 for any later one) does not answer. */
    unsigned shards_total, shards_failed;
    uint64_t shards_down;
} search_status;

/* The state of the index as this engine sees it now (after a reopen).
 * KQ_ERR_UNAVAILABLE when no shard answers (search_last_error says why). */
kq_status search_get_status(search_engine *e, search_status *out);

/* One shard as this engine sees it now (0 ≤ i < shards_total). */
typedef struct search_shard {
    char name[300];    /* "remote HOST:PORT", or the local database's path */
    int up;            /* 0: its articles are missing from the results */
    uint64_t failures; /* failures found by this process since it started */
    char error[300];   /* why it is down; "" while up */
} search_shard;
void search_shard_state(search_engine *e, unsigned i, search_shard *out);

#endif
