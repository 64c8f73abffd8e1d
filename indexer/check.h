/* check: verifies a Kiosque database's index and store against each other and repairs what the
 * index allows. */
#ifndef KIOSQUE_CHECK_H
#define KIOSQUE_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include "index.h"
#include "status.h"
#include "store.h"

/* What is checked, and how each finding is repaired:
 *
 *   every indexed document is readable: its data is a normalised article
 *     (document.h) that document_read_article and document_view_parse read;
 *     an unreadable one cannot be repaired from the index (the article must
 *     be added again from the archive): reported, never deleted;
 *   one document per identifier: extra documents sharing one are deleted,
 *     the newest (highest docid) kept;
 *   each identifier's unique term finds its document (updates and deletes
 *     go through it): a document it does not find is indexed again;
 *   one store row per indexed article, with the same docid and content
 *     hash: missing or differing rows are written again from the index's
 *     copy, rows of articles the index does not hold are deleted;
 *   the store's revision equals the index's.
 *
 * Repairs take the writer lock, like a batch: the index's repairs commit
 * first (as one new revision), then the store's.  When the database cannot
 * be opened for writing (read-only file system, full disk), everything is
 * checked read-only and nothing is repaired. */

typedef struct check_report {
    uint64_t documents;      /* documents in the index */
    uint64_t rows;           /* rows in the store */
    uint64_t unreadable;     /* documents whose data is not an article: not repairable */
    uint64_t duplicates;     /* extra documents sharing an identifier */
    uint64_t unfindable;     /* documents their identifier's unique term does not find */
    uint64_t missing_rows;   /* indexed articles without a store row */
    uint64_t stale_rows;     /* store rows of articles the index does not hold */
    uint64_t wrong_rows;     /* rows whose docid or hash differ from the index */
    uint64_t index_revision; /* revisions found (before any repair) */
    uint64_t store_revision;
    int store_rebuilt; /* the store file was not a store: set aside, rebuilt */
    int read_only;     /* opened read-only: nothing was repaired */
    uint64_t found;    /* problems found (revision mismatch counts as one) */
    uint64_t repaired; /* of which repaired */
} check_report;

/* Checks the database in db_dir and, when `repair`, repairs it.  Writes a
 * line on stderr for each kind of problem found.  Returns KQ_OK when the
 * check ran (see the report for what it found and repaired); KQ_ERR_LOCKED
 * when a writer holds the database (err names it); KQ_ERR_NO_INDEX when
 * there is no index; or another failure, with the reason in err. */
kq_status check_run(const char *db_dir, int repair, check_report *out, char *err, size_t err_size);

/* The same on handles the caller opened (the index as the writer, or read
 * only with `repair` 0; the store writable when repairing), outside any
 * batch.  *out must be zeroed (check_run notes there what opening found).
 * The indexer runs it when a batch opens on a store whose revision is not
 * the index's. */
kq_status check_handles(index_db *idx, store *s, int repair, check_report *out, char *err,
                        size_t err_size);

#endif
