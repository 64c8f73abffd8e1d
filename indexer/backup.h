/* backup: a consistent copy of a live Kiosque database, for `indexer backup DEST`. */
#ifndef KIOSQUE_BACKUP_H
#define KIOSQUE_BACKUP_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* What a backup copied. */
typedef struct backup_report {
    uint64_t revision;     /* the batch revision of the index and the store copied */
    uint64_t documents;    /* articles in the copied index */
    uint64_t rows;         /* rows of the copied store (equal to documents) */
    uint64_t bytes;        /* bytes written under DEST */
    double locked_seconds; /* how long the writer lock was held: batches wait this long */
} backup_report;

/* Writes a copy of the database db_dir into the new directory dest: the
 * index as a compacted Xapian database and the store through SQLite's
 * online backup API.  The writer lock is held from before the revision is
 * read until the index's files (as they are) and the store are copied, so
 * no batch commits in between and the copy's index and store are at the
 * same revision; the compaction of the copied index runs after the lock is
 * released (it needs as much space again, for a while).  Readers (search,
 * searchd) are never blocked.  The
 * copy is written into dest + ".partial", synced, and renamed to dest only
 * when complete, so a directory named dest is always a whole backup.
 * Restoring is copying dest in place of the database.
 *
 * Returns KQ_OK with *r filled; KQ_ERR_LOCKED when an indexer is writing
 * (err names it), KQ_ERR_INVALID when dest exists or db_dir holds no
 * database, KQ_ERR_FULL or KQ_ERR_IO when the copy cannot be written (dest
 * is then not created); err says what to do in every case. */
kq_status backup_run(const char *db_dir, const char *dest, backup_report *r, char *err,
                     size_t err_size);

/* `indexer backup DEST`: runs backup_run and prints its outcome; returns the
 * exit status (0 written, 2 failure, 3 locked; indexer(1)). */
int backup_command(const char *db_dir, int argc, char **argv);

#endif
