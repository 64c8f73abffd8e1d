/* writer: the writer lock's note, and the crash points of the processes that hold the lock (batch,
 * check, backup). */
#ifndef KIOSQUE_WRITER_H
#define KIOSQUE_WRITER_H

#include <stddef.h>
#include <stdint.h>

/* The writer lock itself is Xapian's (opening the index for writing takes
 * it; the kernel releases it when the process dies).  Its note, writer.lock
 * in the database directory (DBPATH_LOCK), says who holds it and since when,
 * for the message another writer gets: informational, left behind by a
 * killed process and overwritten by the next writer.  Whoever opens the
 * index for writing writes the note, and removes it before closing. */

/* Writes "pid N on HOST since TIME" into db_dir's note (nothing when it
 * cannot be written). */
void writer_note_write(const char *db_dir);

/* Removes db_dir's note. */
void writer_note_remove(const char *db_dir);

/* Writes the note's line into out ("an unknown process" when there is
 * none), for a message saying who holds the lock. */
void writer_note_holder(const char *db_dir, char *out, size_t out_size);

/* Test hook: with the environment variable KIOSQUE_CRASH_AT set to `name`,
 * the process kills itself there (SIGKILL, as a power cut or the OOM killer
 * would), so tests reach the narrow windows a random kill rarely hits.  The
 * points are listed in indexer/PUBLISHING.md.  Unset, it costs one getenv
 * per process.  With KIOSQUE_CRASH_TRACE set, each point passed is also
 * written on stderr ("crash point NAME"), so that a test killing the
 * process at a random moment can tell in which phase it fell.  With
 * KIOSQUE_PAUSE_AT set to `name`, the process stops itself there (SIGSTOP)
 * until it is sent SIGCONT: a test fills the disk or makes it read-only at
 * that moment. */
void writer_crash_point(const char *name);

/* The same for "articles:N": fires when n, the articles read so far in
 * this run, is N. */
void writer_crash_after_articles(uint64_t n);

#endif
