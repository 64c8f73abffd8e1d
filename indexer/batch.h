/* batch: one run of the indexer, the single writer of a Kiosque database (Xapian index and SQLite store). */
#ifndef KIOSQUE_BATCH_H
#define KIOSQUE_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* A batch holds the writer lock of a database from batch_open to
 * batch_close.  Everything it adds or deletes becomes visible to readers at
 * once, in batch_commit: first the Xapian index commits (one new revision),
 * then the store, both stamped with the same batch revision, so a crash
 * between the two is detected at the next batch_open and the store is
 * rebuilt from the index.  A batch that changes nothing commits nothing. */

typedef struct batch batch;

typedef struct batch_counts {
    uint64_t added;     /* new articles */
    uint64_t updated;   /* articles whose content changed */
    uint64_t unchanged; /* articles already indexed with the same content */
    uint64_t rejected;  /* input lines that could not be read as an article */
    uint64_t repeated;  /* identifiers seen more than once in this batch (the last wins) */
    uint64_t deleted;   /* articles removed */
    uint64_t missing;   /* identifiers asked to delete that were not indexed */
} batch_counts;

/* Opens the database directory `db_dir` for writing, creating it when
 * missing.  When another indexer holds the lock, returns NULL with
 * KQ_ERR_LOCKED and err naming its pid, host and start time.  The caller
 * owns the batch and frees it with batch_close. */
batch *batch_open(const char *db_dir, kq_status *status, char *err, size_t err_size);

/* Adds or replaces every article of one input (see article.h for formats;
 * a directory adds each .jsonl, .jsonl.gz and .json file in it, in name
 * order).  Rejected lines are reported on stderr with file and line and
 * counted; reading goes on.  With `progress`, a progress line (articles/s,
 * ETA) is kept up to date on stderr.  Returns KQ_OK, or the failure that
 * stopped the batch (then nothing of it will be committed). */
kq_status batch_add_path(batch *b, const char *path, int progress);

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
