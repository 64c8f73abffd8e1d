/* shards: the articles of a large batch indexed on every core, each block of them into its own
 * Xapian database, merged at commit. */
#ifndef KIOSQUE_SHARDS_H
#define KIOSQUE_SHARDS_H

#include <stddef.h>
#include <stdint.h>
#include "article.h"
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

/* The reason of the last failure ("" when none). */
const char *shards_last_error(const shard_builder *s);

/* Stops the workers (a build not finished is abandoned) and removes
 * work_dir with everything in it.  shards_free(NULL) does nothing. */
void shards_free(shard_builder *s);

/* Removes the directory `path` and everything in it (no symbolic link is
 * followed); 0 when done or when it did not exist, -1 otherwise. */
int shards_remove_tree(const char *path);

#endif
