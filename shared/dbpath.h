/* dbpath: where a Kiosque database lives, shared by indexer, search and searchd. */
#ifndef KIOSQUE_DBPATH_H
#define KIOSQUE_DBPATH_H

#include <stddef.h>

/* A Kiosque database is a directory holding
 *   xapian/        the Xapian index (terms, positions, values, document data):
 *                  a directory, or after a sharded build a symbolic link to
 *                  the directory xapian.rN beside it that the build wrote
 *                  (N: the batch revision); replacing the link is atomic,
 *                  and readers that see it name another directory open
 *                  that one (index_reopen)
 *   store.sqlite   the SQLite metadata store
 *   writer.lock    who holds the writer lock, and since when
 *   synonyms.txt   (optional) the newsroom's synonyms and acronyms (beside a
 *                  stub file of shards), read by
 *                  search and searchd at start (data/synonyms.txt)
 * Its location is --db PATH, else $KIOSQUE_DB, else the default
 * $XDG_DATA_HOME/kiosque (~/.local/share/kiosque). */

/* Writes the database directory chosen from the command-line value (may be
 * NULL), the environment and the default into out.  Returns 0, or -1 when it
 * does not fit in out_size bytes or no home directory is known. */
int dbpath_resolve(const char *cli_value, char *out, size_t out_size);

/* Writes the path of file `name` of database `db` into out: "<db>/<name>",
 * or beside db when db is a stub file listing an archive's shards
 * (index.h).  Returns 0, or -1 when it does not fit. */
int dbpath_beside(const char *db, const char *name, char *out, size_t out_size);

/* Writes "<dir>/<name>" into out; returns 0, or -1 when it does not fit. */
int dbpath_join(const char *dir, const char *name, char *out, size_t out_size);

#define DBPATH_XAPIAN "xapian"
#define DBPATH_XAPIAN_LINK_TMP "xapian.link"   /* the next link, before it replaces xapian */
#define DBPATH_XAPIAN_RETIRED "xapian.retired" /* a directory xapian replaced by a link */
#define DBPATH_BUILD "build.tmp"               /* the parts of a sharded build */
#define DBPATH_STORE "store.sqlite"
#define DBPATH_LOCK "writer.lock"
#define DBPATH_SYNONYMS "synonyms.txt" /* the newsroom's vocabulary (data/synonyms.txt) */

/* Writes into out the name of the directory <dir>/xapian links to ("" when
 * xapian is a directory itself, or missing).  Returns 0, or -1 on failure. */
int dbpath_index_target(const char *dir, char *out, size_t out_size);

/* Makes <dir>/xapian name the directory <dir>/<target> (a name, no slash),
 * by replacing the link atomically, then syncs the directory; a database
 * that is still a directory is first renamed DBPATH_XAPIAN_RETIRED.  Writes
 * into old the name of what xapian named before ("" when nothing), for the
 * caller to remove.  Returns 0, or -1 with errno set (nothing changed). */
int dbpath_switch_index(const char *dir, const char *target, char *old, size_t old_size);

#endif
