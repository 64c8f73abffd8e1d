/* dbpath: where a Kiosque database lives, shared by indexer, search and searchd. */
#ifndef KIOSQUE_DBPATH_H
#define KIOSQUE_DBPATH_H

#include <stddef.h>

/* A Kiosque database is a directory holding
 *   xapian/        the Xapian index (terms, positions, values, document data)
 *   store.sqlite   the SQLite metadata store
 *   writer.lock    who holds the writer lock, and since when
 * Its location is --db PATH, else $KIOSQUE_DB, else the default
 * $XDG_DATA_HOME/kiosque (~/.local/share/kiosque). */

/* Writes the database directory chosen from the command-line value (may be
 * NULL), the environment and the default into out.  Returns 0, or -1 when it
 * does not fit in out_size bytes or no home directory is known. */
int dbpath_resolve(const char *cli_value, char *out, size_t out_size);

/* Writes "<dir>/<name>" into out; returns 0, or -1 when it does not fit. */
int dbpath_join(const char *dir, const char *name, char *out, size_t out_size);

#define DBPATH_XAPIAN "xapian"
#define DBPATH_STORE "store.sqlite"
#define DBPATH_LOCK "writer.lock"

#endif
