/* shards: the articles of a large batch indexed on every core, each block of them into its own
 * Xapian database, merged at commit. */
#ifndef KIOSQUE_SHARDS_H
#define KIOSQUE_SHARDS_H

#include <stddef.h>
#include <stdint.h>
#include "article.h"
#include "index.h"
#include "status.h"

/* The batch gives every article it indexes a document id in advance, in
 * input order, after the highest id of the index, and hands the article to
 * the builder.  The builder cuts them into blocks of consecutive ids
 * (SHARDS_BLOCK articles); each block becomes its own scratch database
 * (INDEX_SCRATCH) under work_dir, built by one of the worker threads, each
 * with its own analyzer and document.  Parts therefore hold disjoint,
 * increasing ranges of ids: they merge into the index by a compaction that
 * keeps ids, or by copying their documents, and the ids the store recorded
 * stay right either way.
 *
 * Xapian's cost of adding a document grows with what its writer holds in
 * memory and with the size of the tables it merges into: a small fresh
 * database per block, written out every SHARDS_FLUSH documents, keeps both
 * small.  Measured on the 36k corpus (bench/index/run.sh, two runs), the
 * parts took 1% and 16% less CPU time than one database: the gain is mostly
 * the threads. */

#define SHARDS_BLOCK 2000u
#define SHARDS_FLUSH 250u

typedef struct shard_builder shard_builder;

/* Starts `threads` workers (at least 1) writing their parts under work_dir,
 * which must not exist yet and is created.  NULL on failure, with the
 * reason in err. */
shard_builder *shards_start(const char *work_dir, unsigned threads, char *err, size_t err_size);

/* Queues article *art as document `docid` (greater than the previous one):
 * its fields move into the builder, and *art is left cleared.  Waits while
 * the workers are too far behind, so memory stays bounded.  Returns the
 * first failure of a worker, after which nothing more is queued. */
kq_status shards_add(shard_builder *s, article *art, unsigned docid);

/* Waits for every part.  On success, *paths (owned by the builder, valid
 * until shards_free) lists the parts in increasing order of ids, *n of
 * them, holding *docs documents in all. */
kq_status shards_finish(shard_builder *s, const char *const **paths, size_t *n, uint64_t *docs);

/* Remembers document `docid` (of the index, or of a part when an article
 * came twice) to delete when the parts are merged: the previous version of
 * a changed article, or an article deleted in the batch, since the index is
 * a source of the merge and must not change before.  Called by the thread
 * that adds. */
kq_status shards_drop_later(shard_builder *s, unsigned docid);

/* Waits for every part (shards_finish) and merges them into the index of
 * the database db_dir: `index` is the batch's writer, in a transaction,
 * over an index that held `indexed_before` documents when the batch began.
 * When the parts are small next to it (under a tenth of it), their documents
 * are copied into `index` and the drops deleted there: the batch then
 * commits as usual, and *merged is NULL.  Otherwise the index and the parts
 * are compacted into a new directory of db_dir, named in target (at most
 * target_size bytes, "xapian.r" followed by `rev`), which gets the drops,
 * the metadata revision `rev` and last update `when`, and commits on its
 * own: *merged is then its writer, which the caller owns and passes to
 * shards_switch.  Returns KQ_OK, or the failure, with its reason in
 * shards_last_error. */
kq_status shards_merge(shard_builder *s, index_db *index, const char *db_dir,
                       uint64_t indexed_before, const char *rev, const char *when,
                       index_db **merged, char *target, size_t target_size);

/* Readers switch to the merged index: db_dir's index link is pointed at
 * target (dbpath_switch_index); *index, the batch's writer, which held the
 * writer lock until then, is cancelled, closed and replaced by merged; the
 * index directory it replaced is removed.  On failure, merged is closed,
 * *index is left as it was, and the reason is in shards_last_error. */
kq_status shards_switch(shard_builder *s, const char *db_dir, index_db **index, index_db *merged,
                        const char *target);

/* Puts back an index directory that a crash left renamed in the middle of
 * its first switch to a link (dbpath_switch_index).  Call it before
 * anything opens (or would create) db_dir's index. */
void shards_restore_retired(const char *db_dir);

/* Removes what an interrupted sharded build left in db_dir (its parts, a
 * merged index never switched to, a link never put in place, an index
 * replaced but not yet removed).  Only with the writer lock held. */
void shards_remove_leftovers(const char *db_dir);

/* The reason of the last failure ("" when none). */
const char *shards_last_error(const shard_builder *s);

/* Stops the workers (a build not finished is abandoned) and removes
 * work_dir with everything in it.  shards_free(NULL) does nothing. */
void shards_free(shard_builder *s);

/* Removes the directory `path` and everything in it (no symbolic link is
 * followed); 0 when done or when it did not exist, -1 otherwise. */
int shards_remove_tree(const char *path);

#endif
