/* searchlog: what readers look for, and do not find.  searchd records each search (the query
 * normalised, its filters, the number of results, the time; never who asked) in a SQLite
 * database beside the index, searches.sqlite; `search report` and searchd's /api/report read it:
 * the most frequent queries, the most frequent with zero or few results, and rising ones.
 *
 * Recording never slows a search: searchlog_record only queues the record (no disk, no SQLite),
 * and one writer thread commits the queue in batches, identical searches of a batch as one row
 * (column `searches`).  The database stays bounded (records older
 * than the retention are deleted; at the size limit the oldest tenth goes), and when writing
 * fails (a full disk, a read-only or damaged file) recording stops, with one message, while the
 * searches go on. */
#ifndef KIOSQUE_SEARCHLOG_H
#define KIOSQUE_SEARCHLOG_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* The file, in the database directory. */
#define SEARCHLOG_FILE "searches.sqlite"

#define SEARCHLOG_RETENTION_DAYS 90u /* default: records are kept this long */
#define SEARCHLOG_MAX_MB 64u         /* default: the file never grows beyond this */
#define SEARCHLOG_QUEUE 8192u   /* records waiting for the writer; beyond, new ones are dropped */
#define SEARCHLOG_BATCH_MS 500u /* the writer commits what is queued at least this often */

typedef struct searchlog searchlog;

typedef struct searchlog_options {
    unsigned retention_days; /* 0: SEARCHLOG_RETENTION_DAYS */
    unsigned max_mb;         /* 0: SEARCHLOG_MAX_MB */
} searchlog_options;

/* Opens (creating it) DB_DIR/searches.sqlite for recording and starts the writer thread.
 * Returns NULL with the reason in err when the file cannot be opened or written; the caller
 * then serves without recording.  The caller owns the handle and closes it with
 * searchlog_close. */
searchlog *searchlog_open(const char *db_dir, const searchlog_options *opt, char *err,
                          size_t err_size);

/* What a search was, for searchlog_record.  Strings are UTF-8, NULL or "" for none. */
typedef struct searchlog_entry {
    const char *query; /* as typed: searchlog_record normalises it */
    const char *section, *author, *since, *until;
    const char *source; /* "page" or "api" */
    uint64_t results;   /* the total the reader was told */
    double took_ms;
} searchlog_entry;

/* Queues one search; safe from any thread, never waits for the disk (it copies the strings
 * and takes a lock held for a few instructions).  A record is dropped, and counted, when the
 * queue is full or recording has stopped.  Does nothing for a NULL log or an empty query. */
void searchlog_record(searchlog *log, const searchlog_entry *entry);

typedef struct searchlog_stats {
    uint64_t recorded; /* records committed */
    uint64_t dropped;  /* records lost: queue full, or recording stopped */
    int stopped;       /* 1 once writing failed: nothing more is recorded */
} searchlog_stats;

void searchlog_get_stats(searchlog *log, searchlog_stats *out);

/* Commits what is queued, stops the writer thread and closes the database.
 * searchlog_close(NULL) does nothing. */
void searchlog_close(searchlog *log);

/* The query as recorded: Unicode NFKC and case folded, blanks trimmed and made single spaces
 * ("  Réforme   des RETRAITES " -> "réforme des retraites"), so that one query typed two ways
 * counts once.  The caller frees it; NULL when out of memory or not UTF-8. */
char *searchlog_normalise(const char *query);

/* A report covers [since, until) and compares it with the period of the same length before. */
typedef struct searchlog_report_options {
    int64_t since, until; /* seconds since the epoch; 0: until now, since 7 days before until */
    unsigned top;         /* rows per list; 0: 20 */
    unsigned few;         /* "few results": at most this many; 0: 3 */
} searchlog_report_options;

/* The report as JSON: {"since","until","previous_since" (ISO 8601 UTC), "searches",
 * "distinct_queries","zero_result_searches","previous_searches", "top":[{"query","searches",
 * "results"}], "few_results":[{"query","searches","results"}], "rising":[{"query","searches",
 * "previous"}]}.  "results" is what the latest search of the query in the period found;
 * few_results are the most frequent queries finding at most `few` (zero first among equals);
 * rising are the queries asked at least 3 times in the period and at least twice as often as
 * in the previous one, the largest rise first.  Opens DB_DIR/searches.sqlite read-only.
 * Returns KQ_OK with *json (the caller frees it); KQ_ERR_NOT_FOUND when no search was ever
 * recorded there, KQ_ERR_SQLITE when it cannot be read, with the reason in err. */
kq_status searchlog_report(const char *db_dir, const searchlog_report_options *opt, char **json,
                           char *err, size_t err_size);

#endif
