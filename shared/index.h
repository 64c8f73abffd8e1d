/* index: the Xapian boundary, the only C++ of Kiosque, as a C API whose every call returns a
 * kq_status. */
#ifndef KIOSQUE_INDEX_H
#define KIOSQUE_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every function catches every Xapian and C++ exception and turns it into a
 * status: DatabaseModifiedError → KQ_ERR_MODIFIED (reopen and retry),
 * DatabaseLockError → KQ_ERR_LOCKED, DatabaseNotFoundError/DocNotFoundError →
 * KQ_ERR_NOT_FOUND, DatabaseCorruptError → KQ_ERR_CORRUPT, ENOSPC →
 * KQ_ERR_FULL, EROFS/EACCES → KQ_ERR_READONLY, std::bad_alloc → KQ_ERR_NOMEM,
 * anything else → KQ_ERR_XAPIAN.  The message of the last failure is kept in
 * the handle (index_last_error).
 *
 * What the index holds (terms, values, data) is decided by document.h; this
 * module knows nothing of articles.  A handle is used by one thread at a time. */

typedef struct index_db index_db;
typedef struct index_doc index_doc;
typedef struct index_query index_query;

enum index_mode {
    INDEX_READ = 0,    /* a reader: sees the last committed revision until index_reopen */
    INDEX_WRITE = 1,   /* the single writer; creates the database when missing */
    INDEX_SCRATCH = 2, /* a private part of a sharded build: created empty (an
                        * existing one is overwritten), never synced to disk */
};

/* Opens the Xapian database at `path` (a directory, or for readers a Xapian
 * stub file listing local or remote shards).  Returns NULL on failure with
 * *status set and the reason written into err.  The caller owns the handle
 * and frees it with index_close; closing a writer cancels an open batch. */
index_db *index_open(const char *path, enum index_mode mode, kq_status *status, char *err,
                     size_t err_size);

/* A stub file names one database per line, "auto PATH" (relative to the
 * stub's directory; a Kiosque database directory stands for its xapian/) or
 * "remote HOST:PORT" (a xapian-tcpsrv), searched as one: the shards of an
 * archive (indexer add --shard K/N).  Sets the timeout of every remote
 * shard opened afterwards, to connect and for each reply, in milliseconds
 * (0: Xapian's default, 10 s).  A remote shard down or slower is left out
 * (see index_shards_up); opening fails only when no shard answers. */
void index_set_remote_timeout(unsigned ms);

/* Closes the database; index_close(NULL) does nothing. */
void index_close(index_db *db);

/* The detailed message of the last failure on this handle; "" when none. */
const char *index_last_error(const index_db *db);

/* Readers: moves to the latest committed revision. */
kq_status index_reopen(index_db *db);

/* --- Writing: one atomic batch at a time ------------------------------- */

/* Starts a batch.  Nothing written until index_commit is visible to readers,
 * and a crash before the commit leaves the previous revision intact. */
kq_status index_begin(index_db *db);
/* Makes the whole batch visible at once (one new revision). */
kq_status index_commit(index_db *db);
/* Throws the batch away. */
kq_status index_cancel(index_db *db);

/* Adds the document, or replaces the one indexed under `unique_term` (such as
 * "Q1234"; added to the document as a boolean term when missing).  *docid,
 * when not NULL, receives its document id. */
kq_status index_replace(index_db *db, const char *unique_term, const index_doc *doc,
                        unsigned *docid);
/* Adds a document known to be new (its unique term indexed nowhere yet):
 * cheaper than index_replace, which must look the term up first.  *docid,
 * when not NULL, receives its document id. */
kq_status index_add(index_db *db, const index_doc *doc, unsigned *docid);
/* Deletes the document indexed under `unique_term`; KQ_ERR_NOT_FOUND when none. */
kq_status index_delete(index_db *db, const char *unique_term);

/* Stores doc as document `docid` (a writer), replacing any document with
 * that id: sharded builds give each part a range of ids decided in advance,
 * so the merged parts keep them. */
kq_status index_add_at(index_db *db, unsigned docid, const index_doc *doc);

/* Writes out what a writer holds in memory, outside a batch (for scratch
 * databases, where it bounds the memory of the build). */
kq_status index_flush(index_db *db);

/* Copies every document of the database at `source` into db (a writer)
 * under the same document ids: how a sharded build merges parts too small
 * to be worth a compaction. */
kq_status index_copy_from(index_db *db, const char *source);

/* The id of the document indexed under `unique_term`; KQ_ERR_NOT_FOUND when
 * none. */
kq_status index_lookup(index_db *db, const char *unique_term, unsigned *docid);

/* User metadata of the database (key → value), committed with the batch. */
kq_status index_set_metadata(index_db *db, const char *key, const char *value);
/* Returns a copy of the value the caller frees with free(): "" when the key
 * is unset (*status KQ_OK), or NULL on failure, with the failure in *status
 * and its detail in index_last_error (status may be NULL). */
char *index_get_metadata(index_db *db, const char *key, kq_status *status);

/* The databases a stub file lists (1 for a database directory), and the
 * metadata of one of them (index_get_metadata reads the first only, as
 * Xapian does on several databases). */
size_t index_shard_count(const index_db *db);
char *index_get_shard_metadata(index_db *db, size_t shard, const char *key);

/* Partial results.  A remote shard that fails (connection refused or lost,
 * a reply or a connection slower than the timeout) is left out: the
 * operation fails with KQ_ERR_MODIFIED (run it again: the retry runs on
 * the shards that answer), or KQ_ERR_UNAVAILABLE when no shard answers.
 * The process then leaves it out of every handle's searches, without
 * waiting for it, until a probe finds it answering: the probe connects
 * without blocking anyone, 0.5 s after the failure and then at doubling
 * intervals up to 5 s, advanced at each index_reopen of any handle, and
 * sends nothing (xapian-tcpsrv greets every connection; the greeting is
 * the answer).  Each handle connects again at its next index_reopen. */

/* The shards searched now (1 for a database directory). */
size_t index_shards_up(const index_db *db);
/* Changes when the shards searched change (one left out, or back): what
 * was read before, document ids above all, belongs to another combination,
 * and a failure some caller let pass (a term frequency, say) may have
 * changed it under an operation. */
uint64_t index_shard_changes(const index_db *db);

typedef struct index_shard_info {
    char name[300];    /* "remote HOST:PORT", or the local database's path */
    int up;            /* 1: searched; 0: left out until it answers again */
    uint64_t failures; /* failures found in this process (searches, connections) */
    char error[300];   /* why it is down; "" while up */
} index_shard_info;

/* The state of shard `shard` (0 ≤ shard < index_shard_count) as this handle
 * sees it. */
void index_shard_state(const index_db *db, size_t shard, index_shard_info *out);

/* --- Documents under construction -------------------------------------- */

/* Creates an empty document; the caller frees it with index_doc_free. */
index_doc *index_doc_new(void);
void index_doc_free(index_doc *doc);
/* Empties the document so it can be reused for the next article. */
void index_doc_clear(index_doc *doc);
/* A term at a word position (for phrases), its wdf raised by wdf_inc. */
kq_status index_doc_add_posting(index_doc *doc, const char *term, unsigned position,
                                unsigned wdf_inc);
/* A term without position, its wdf raised by wdf_inc. */
kq_status index_doc_add_term(index_doc *doc, const char *term, unsigned wdf_inc);
/* A filter term (wdf 0): does not change document length or ranking. */
kq_status index_doc_add_boolean_term(index_doc *doc, const char *term);
kq_status index_doc_set_value(index_doc *doc, unsigned slot, const char *bytes, size_t len);
kq_status index_doc_set_data(index_doc *doc, const char *data, size_t len);
/* The value of `slot` of a document under construction, NUL-terminated, its
 * length in *len (may be NULL): a copy the caller frees with free(), ""
 * when unset, NULL when out of memory. */
char *index_doc_get_value(const index_doc *doc, unsigned slot, size_t *len);

/* Encodes a number so that byte order is numeric order (Xapian's
 * sortable_serialise), for values used in ranges and sorting.  Writes at most
 * 18 bytes into out and returns the length. */
size_t index_serialise_number(double value, char out[18]);

/* --- Reading ----------------------------------------------------------- */

typedef struct index_stats {
    uint64_t documents;    /* number of documents */
    uint64_t last_docid;   /* highest document id used */
    double average_length; /* mean document length, in words (wdf sum) */
    uint64_t revision;     /* committed revision number (0: several databases read as one) */
    uint64_t size_bytes;   /* bytes on disk of the database files */
} index_stats;

/* Fills *out; the size on disk walks the database's directory (a stat a
 * file), so searches that need the document count ask index_doc_count. */
kq_status index_get_stats(index_db *db, index_stats *out);

/* Number of documents, as index_get_stats gives it, without the disk size. */
kq_status index_doc_count(index_db *db, uint64_t *out);

/* Number of distinct terms (walks the term list: cost grows with the index). */
kq_status index_count_terms(index_db *db, uint64_t *out);

/* Number of documents indexed by `term` (0 when none). */
kq_status index_term_freq(index_db *db, const char *term, uint64_t *out);

/* Calls cb for each term starting with `prefix` in byte order, with its
 * document frequency, until cb returns nonzero or `max` terms were seen. */
kq_status index_terms_with_prefix(index_db *db, const char *prefix, size_t max,
                                  int (*cb)(void *ctx, const char *term, uint64_t freq), void *ctx);

/* The data of the document indexed under `unique_term`: a copy the caller
 * frees with free(), its length in *len.  KQ_ERR_NOT_FOUND when none. */
kq_status index_get_data(index_db *db, const char *unique_term, char **data, size_t *len,
                         unsigned *docid);

/* The value in `slot` of the document indexed under `unique_term`: a copy
 * the caller frees with free() ("" when unset); NULL with *status
 * KQ_ERR_NOT_FOUND when no such document, or another failure. */
char *index_get_value(index_db *db, const char *unique_term, unsigned slot, kq_status *status);

/* The highest value stored in `slot` (Xapian keeps this bound per slot): a
 * copy the caller frees with free(), "" when no document has one, NULL on
 * failure. */
char *index_value_upper_bound(index_db *db, unsigned slot);

/* The terms starting with `prefix` that best characterise the document
 * indexed under `unique_term` against the whole index (Xapian's relevance
 * feedback: an expand set over a relevance set of that one document), best
 * first, at most `max` of them, each passed to cb with its weight.
 * KQ_ERR_NOT_FOUND when no such document. */
kq_status index_expand(index_db *db, const char *unique_term, const char *prefix, size_t max,
                       int (*cb)(void *ctx, const char *term, double weight), void *ctx);

/* The data of document `docid`: a copy the caller frees with free(), its
 * length in *len.  KQ_ERR_NOT_FOUND when there is no such document.  Used
 * by checks and repairs. */
kq_status index_get_document(index_db *db, unsigned docid, char **data, size_t *len);

/* Deletes document `docid` (a writer, inside a batch); KQ_ERR_NOT_FOUND
 * when there is none.  Used by repairs, to drop a duplicate. */
kq_status index_delete_document(index_db *db, unsigned docid);

/* Sets value `slot` of document `docid` (a writer, inside a batch), the
 * rest of the document unchanged; KQ_ERR_NOT_FOUND when there is none.
 * Used to rewrite the near-duplicate keys of an index (batch.c). */
kq_status index_set_document_value(index_db *db, unsigned docid, unsigned slot, const char *bytes,
                                   size_t len);

/* Calls cb with each document's id and data, in docid order, until cb
 * returns nonzero.  Used by checks and repairs. */
kq_status index_foreach_document(index_db *db,
                                 int (*cb)(void *ctx, unsigned docid, const char *data, size_t len),
                                 void *ctx);

/* --- Queries: immutable trees ------------------------------------------ */

/* Every constructor returns a new query the caller frees with
 * index_query_free, or NULL when out of memory.  Combining copies its
 * arguments (Xapian queries are reference-counted), so they may be freed
 * right after. */

enum index_op {
    INDEX_OP_AND,
    INDEX_OP_OR,
    INDEX_OP_AND_NOT,   /* first minus the others */
    INDEX_OP_AND_MAYBE, /* first, ranked up by the others */
    INDEX_OP_FILTER,    /* first, restricted to the others, which add no weight */
    INDEX_OP_SYNONYM,   /* one term for ranking: the union weighted as one */
    INDEX_OP_PHRASE,    /* in order, adjacent (window = number of terms) */
    INDEX_OP_NEAR,      /* within a window, any order */
    INDEX_OP_MAX,
    INDEX_OP_ELITE_SET,
};

index_query *index_query_term(const char *term, unsigned wqf);
index_query *index_query_combine(enum index_op op, index_query *const *subs, size_t n,
                                 unsigned window);
index_query *index_query_scale(const index_query *q, double factor);
/* Documents whose value in `slot` lies in [lo, hi]; lo or hi NULL means unbounded. */
index_query *index_query_value_range(unsigned slot, const char *lo, size_t lo_len, const char *hi,
                                     size_t hi_len);
/* Terms starting with `prefix`, at most max_expansion of them (the most
 * frequent are kept; 0 means no limit), as a synonym. */
index_query *index_query_wildcard(const char *prefix, unsigned max_expansion);
/* A weight, not a filter: documents whose value in `slot` is one of keys[i]
 * get weights[i], the others `default_weight` (Xapian's
 * ValueMapPostingSource, which a remote xapian-tcpsrv also knows).  Used for
 * freshness: day → 2^(-age / half-life).  Combine with INDEX_OP_AND_MAYBE. */
index_query *index_query_value_weights(unsigned slot, const char *const *keys,
                                       const double *weights, size_t n, double default_weight);
index_query *index_query_match_all(void);
index_query *index_query_match_nothing(void);
/* Xapian's description of the query, for debugging; the caller frees it. */
char *index_query_describe(const index_query *q);
void index_query_free(index_query *q);

/* --- Searching --------------------------------------------------------- */

enum index_order {
    INDEX_ORDER_RELEVANCE = 0,
    INDEX_ORDER_VALUE_DESC, /* by the value in sort_slot, highest first, then relevance */
    INDEX_ORDER_VALUE_ASC,
};

typedef struct index_search_options {
    unsigned offset; /* hits to skip */
    unsigned limit;  /* hits to return */
    enum index_order order;
    unsigned sort_slot; /* for INDEX_ORDER_VALUE_* */
    int collapse_slot;  /* collapse hits sharing this value into one; -1 for none */
    double bm25_k1, bm25_k2, bm25_k3, bm25_b, bm25_min_normlen; /* all 0: Xapian's defaults */
    unsigned check_at_least; /* examine at least this many matches (exact totals and facets) */
    /* Count the values of these slots over every match; with collapse_slot,
     * a count is of distinct results (a value held by copies counts once). */
    const unsigned *facet_slots;
    size_t n_facet_slots;
    /* NULL, or for each facet slot the facet it counts for: when collapsing,
     * a value held in several slots of one facet by copies of one result
     * counts once (an author first on one copy, second on another). */
    const unsigned *facet_groups;
    int without_data; /* hits come without their data (index_fetch_data reads it) */
    /* When the matches examined do not give the total and at most this
     * many documents can match (Xapian's upper bound; 0: never), count the
     * results (copies collapsed), without weights: the total is then exact. */
    unsigned count_matches;
    /* A deadline on the CLOCK_MONOTONIC clock, in milliseconds (0: none).  On
     * local databases the match ends there and the matches seen so far are
     * the results (timed_out); over remote shards nothing can end a match
     * (its reply waits at most index_set_remote_timeout): only the counting
     * after it is skipped once the deadline has passed. */
    double deadline_ms;
} index_search_options;

typedef struct index_hit {
    unsigned docid;
    double weight; /* BM25 score */
    char *data;    /* the document's data (owned by the results); NULL until read */
    size_t data_len;
    unsigned collapsed; /* other matches collapsed into this one */
} index_hit;

typedef struct index_facet_value {
    char *value;    /* the value bytes, NUL-terminated */
    uint64_t count; /* matches having it */
} index_facet_value;

typedef struct index_facet {
    unsigned slot;
    index_facet_value *values; /* by descending count, then value */
    size_t n_values;
} index_facet;

typedef struct index_results {
    index_hit *hits;
    size_t n_hits;
    /* Equal when exact; matches_lower is always a true lower bound. */
    uint64_t matches_lower, matches_estimated, matches_upper;
    index_facet *facets; /* one per requested facet slot, in request order */
    size_t n_facets;
    /* 1 when the deadline ended the search: the hits are the best of the
     * matches seen, matches_lower counts some of them, facets count those seen. */
    int timed_out;
} index_results;

/* Runs a query.  *out is filled (the caller clears it with
 * index_results_clear, also after a failure). */
kq_status index_search(index_db *db, const index_query *query, const index_search_options *opts,
                       index_results *out);
void index_results_clear(index_results *r);

/* Reads the data of hits[0..n) (those without it yet), in one pass: after
 * index_search with without_data, for the hits that will be shown.  The
 * data belongs to the hits (index_results_clear frees it). */
kq_status index_fetch_data(index_db *db, index_hit *hits, size_t n);

/* For each of the documents docids[0..n_docs), sets has[i] to 1 when the
 * terms[0..n_terms) occur in it in this order within `window` consecutive
 * positions (Xapian's OP_PHRASE with that window), else 0.  Reads the
 * position lists of those documents only: ranking the best candidates of a
 * query this way costs a few reads per hit, where a phrase inside the query
 * reads the positions of every match. */
kq_status index_phrase_in(index_db *db, const char *const *terms, size_t n_terms, unsigned window,
                          const unsigned *docids, size_t n_docs, unsigned char *has);

/* For each of the documents docids[0..n_docs), sets pairs[i] to the
 * number of k in [0, n_terms - 1) such that terms[k + 1] directly follows
 * terms[k] somewhere in it (a NULL term breaks the sequence: no pair with
 * it).  Reads each distinct term's position list once per document. */
kq_status index_pairs_in(index_db *db, const char *const *terms, size_t n_terms,
                         const unsigned *docids, size_t n_docs, unsigned *pairs);

/* For each of the documents docids[0..n_docs) (any order), sets bit t of
 * masks[i] when terms[t] indexes it (at most 32 terms).  Reads each term's
 * posting list once, skipping to the documents asked about. */
kq_status index_terms_in(index_db *db, const char *const *terms, size_t n_terms,
                         const unsigned *docids, size_t n_docs, uint32_t *masks);

/* For each of the documents docids[0..n_docs), out[i] is its value in
 * `slot` read as index_serialise_number wrote it, or `missing` when unset. */
kq_status index_number_values(index_db *db, unsigned slot, const unsigned *docids, size_t n_docs,
                              double missing, double *out);

/* --- Maintenance ------------------------------------------------------- */

/* Merges the databases at sources[0..n) into a new compacted database at
 * dest (for sharded builds).  Documents are renumbered one source after the
 * other, or with keep_docids keep their ids, which needs sources whose id
 * ranges do not overlap, in increasing order. */
kq_status index_compact(const char *const *sources, size_t n, const char *dest, int keep_docids,
                        char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
