/* store: the SQLite metadata store, one row per indexed article, kept in step with the Xapian
 * index. */
#ifndef KIOSQUE_STORE_H
#define KIOSQUE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "article.h"
#include "status.h"

/* What the store is for.  Readers (search, searchd) never open it: what a
 * hit displays comes from the index, which holds every article whole
 * (document.h).  The store is the indexer's ledger of the archive: for every
 * indexed article, its identifier, content hash and Xapian document id, and
 * the revision of the last batch.  With it a batch tells an unchanged
 * article from a changed one by one lookup (store_get_hash) without reading
 * a document, `sync` lists what the archive holds (store_foreach), and
 * `indexer check` has a second account to compare the index with (a crash
 * between a batch's two commits shows as a store one revision behind).
 * Each row also keeps the article's metadata (everything of article.h but
 * the body) as SQL columns: Kiosque does not read them back, they let an
 * operator or a test query the archive in SQL (tests/e2e/test_news.py
 * checks facet counts against them), for about 4% of a database's size
 * (15.9 MB of 388 MB at 36k articles, README).  Everything in it can be
 * rebuilt from the index (`indexer check`, check.h).
 *
 * The database runs in WAL mode: readers never block the writer and never see
 * half a transaction.  A handle is used by one thread at a time. */

typedef struct store store;

/* Opens (and for writers creates) the store at `path`.  Returns NULL on
 * failure with the reason in err.  The caller owns the handle and frees it
 * with store_close. */
store *store_open(const char *path, int writable, kq_status *status, char *err, size_t err_size);

/* Closes the store, rolling back an open transaction; store_close(NULL) does nothing. */
void store_close(store *s);

/* The detailed message of the last failure on this handle; "" when none. */
const char *store_last_error(const store *s);

kq_status store_begin(store *s);
kq_status store_commit(store *s);
kq_status store_rollback(store *s);

/* Writes the content hash of article `id` into hash (16 hex digits and a NUL)
 * and, when docid is not NULL, its document id into *docid.
 * KQ_ERR_NOT_FOUND when the article is not stored. */
kq_status store_get_hash(store *s, const char *id, char hash[17], unsigned *docid);

/* Inserts or replaces the article's row (its body is not stored). */
kq_status store_put(store *s, const article *a, unsigned docid);

/* Deletes article `id`; KQ_ERR_NOT_FOUND when it is not stored. */
kq_status store_delete(store *s, const char *id);

/* Reads article `id` into *out (cleared first; body left NULL); *docid, when
 * not NULL, receives its Xapian document id.  KQ_ERR_NOT_FOUND when absent. */
kq_status store_get(store *s, const char *id, article *out, unsigned *docid);

/* Number of stored articles. */
kq_status store_count(store *s, uint64_t *out);

/* Calls cb with the id, docid and hash of every article, in id order, until
 * cb returns nonzero. */
kq_status store_foreach(store *s,
                        int (*cb)(void *ctx, const char *id, unsigned docid, const char *hash),
                        void *ctx);

/* Key/value metadata, written inside the current transaction when one is open. */
kq_status store_meta_set(store *s, const char *key, const char *value);
/* Returns a copy the caller frees with free(); NULL with KQ_ERR_NOT_FOUND in
 * *status when the key is unset. */
char *store_meta_get(store *s, const char *key, kq_status *status);

/* Runs a read-only SQL query returning one integer (for tests and checks,
 * e.g. brute-force facet counts).  Parameters are bound as text. */
kq_status store_query_int(store *s, const char *sql, const char *const *params, size_t n_params,
                          int64_t *out);

#endif
