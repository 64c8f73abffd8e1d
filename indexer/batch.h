/* batch: one run of the indexer, the single writer of a Kiosque database (Xapian index and SQLite
 * store). */
#ifndef KIOSQUE_BATCH_H
#define KIOSQUE_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include "article.h"
#include "status.h"

/* A batch holds the writer lock of a database from batch_open to
 * batch_close.  Everything it adds or deletes becomes visible to readers at
 * once, in batch_commit: first the Xapian index commits (one new revision),
 * then the store, both stamped with the same batch revision, so a crash
 * between the two is detected at the next batch_open and the store is
 * repaired from the index (check_handles, check.h).  A batch that changes
 * nothing commits nothing. */

typedef struct batch batch;

typedef struct batch_counts {
    uint64_t added;      /* new articles */
    uint64_t updated;    /* articles whose content changed */
    uint64_t unchanged;  /* articles already indexed with the same content */
    uint64_t rejected;   /* input lines that could not be read as an article */
    uint64_t repeated;   /* identifiers seen more than once in this batch (the last wins) */
    uint64_t deleted;    /* articles removed */
    uint64_t missing;    /* identifiers asked to delete that were not indexed */
    uint64_t unreadable; /* inputs that could not be opened or read to the end */
    uint64_t kept;       /* sync: articles absent from the export but not deleted (refused) */
    uint64_t skipped;    /* pages that are not articles (home and section pages) */
    uint64_t elsewhere;  /* articles of other shards, left out (batch_set_shard) */
} batch_counts;

/* Opens the database directory `db_dir` for writing, creating it when
 * missing.  When another indexer holds the lock, returns NULL with
 * KQ_ERR_LOCKED and err naming its pid, host and start time.  The caller
 * owns the batch and frees it with batch_close. */
batch *batch_open(const char *db_dir, kq_status *status, char *err, size_t err_size);

/* A batch whose inputs weigh at least min_bytes (a gzip file counts three
 * times its size) is built on `jobs` threads, when jobs is at least 2: its
 * new and changed articles are indexed into parts by block of consecutive
 * document ids, and the parts are merged at commit, copied into the index
 * when they are small next to it, else compacted with it into a new index
 * directory that readers switch to atomically (shards.h, dbpath.h).  The
 * outcome is the same index, with one difference: a changed article gets a
 * new document id (its new version is in a part), where one thread replaces
 * it under its old one.  Call it before adding; by default a batch uses one
 * thread.  The choice is made at each input until one is large enough; an
 * input that changed the index directly keeps the rest of the batch on one
 * thread (a compaction reads the committed index only). */
void batch_set_jobs(batch *b, unsigned jobs, uint64_t min_bytes);

/* Keeps only the articles of shard `index` (0 to count - 1) of `count`
 * (hash_shard_of, hash.h): the others are counted in `elsewhere` and left
 * out, so that every shard is built from the same export; a sync then
 * deletes what the shard holds of the others.  Call it before adding; by
 * default (count 1) every article is kept. */
void batch_set_shard(batch *b, unsigned index, unsigned count);

/* Inputs from which `indexer` builds on several threads by default: about
 * 2,500 articles. */
#define BATCH_SHARD_MIN_BYTES (8u << 20)

/* Adds or replaces every article of one input, in one of the formats of
 * input.h: an export ("-" is standard input), a published page, or a
 * directory, whose files of those formats (.jsonl, .jsonl.gz, .json,
 * .json.gz, .ndjson, .html and .htm) are added in path order,
 * subdirectories included (hidden entries and symbolic links to
 * directories skipped).
 * Rejected lines and pages are reported on stderr with file (and line) and
 * counted; reading goes on.  Pages that are not articles (html.h) are
 * reported as rejected with their reason, but counted apart, as skipped:
 * they hold no article a sync could lose.  An input that holds no article is reported.
 * With `progress`, a progress line (articles/s, ETA) is kept up to date on
 * stderr.  Returns KQ_OK; KQ_ERR_IO when the input (or, for a directory,
 * its listing) cannot be read, counted in `unreadable` (what was read still
 * goes in: the caller decides); or the failure that stopped the batch (then
 * nothing of it will be committed).  In a directory, an unreadable file is
 * reported, counted, and the others go in. */
kq_status batch_add_path(batch *b, const char *path, int progress);

/* A sync refuses to delete more than this many articles when that is more
 * than half of the archive (unless forced): see batch_sync. */
#define BATCH_SYNC_MAX_DELETE 10u

/* Ends a sync: after every input of a full export was added, deletes each
 * indexed article the batch did not see, in the same batch (so readers see
 * the archive switch to the export's content at once).  Unless `force`, it
 * deletes nothing and returns KQ_ERR_INVALID, with the count in `kept` and
 * the reason in batch_last_error, when the export looks incomplete: it held
 * no article, some lines were rejected (their articles would go), an input
 * could not be read, or it would delete every article, or more than
 * BATCH_SYNC_MAX_DELETE articles and more than half of the archive.  The
 * adds and updates stay in the batch either way.  Returns KQ_OK, or a
 * failure that stops the batch. */
kq_status batch_sync(batch *b, int force);

/* Deletes article `id` from the index and the store; counts it as missing
 * (and returns KQ_ERR_NOT_FOUND) when it is not indexed. */
kq_status batch_delete(batch *b, const char *id);

/* Commits the batch: readers see all of it, or, after a crash, none of it. */
kq_status batch_commit(batch *b);

/* The counts so far; owned by the batch. */
const batch_counts *batch_get_counts(const batch *b);

/* The detailed message of the last failure; "" when none. */
const char *batch_last_error(const batch *b);

/* Cancels an uncommitted batch, releases the lock and frees everything;
 * batch_close(NULL) does nothing. */
void batch_close(batch *b);

#endif
