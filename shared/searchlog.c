/* searchlog: the record of searches and its report.  See searchlog.h for the contracts. */
#include "searchlog.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <utf8proc.h>

/* 1: a row per search; 2: identical searches of a batch in one row (column searches). */
#define SCHEMA_VERSION 2
/* The writer waits this long for a lock another process holds on the file (a report reading is
 * no lock in WAL mode; a backup or sqlite3 shell writing may be), then drops that batch. */
#define WRITER_BUSY_MS 10000
#define REPORT_BUSY_MS 2000
#define PRUNE_EVERY_S 3600 /* retention applied at start and then hourly */
#define BATCH_MAX 256      /* records per transaction */
#define RISING_MIN "3"     /* a rising query is asked at least this often in the period */
#define DEFAULT_PERIOD_S (7 * 86400)

static const char schema[] = "CREATE TABLE IF NOT EXISTS searches("
                             " id INTEGER PRIMARY KEY,"
                             " at INTEGER NOT NULL," /* seconds since the epoch, UTC */
                             " query TEXT NOT NULL," /* searchlog_normalise */
                             " section TEXT, author TEXT, since TEXT, until TEXT,"
                             " results INTEGER NOT NULL,"
                             " took_ms REAL NOT NULL," /* the mean of the searches */
                             " source TEXT NOT NULL,"
                             /* identical searches of one batch are one row */
                             " searches INTEGER NOT NULL DEFAULT 1);"
                             "CREATE INDEX IF NOT EXISTS searches_at ON searches(at);";

/* One queued record: the strings live in `text`, one allocation. */
typedef struct queued {
    int64_t at;
    uint64_t results;
    double took_ms;
    const char *query, *section, *author, *since, *until, *source;
    char text[];
} queued;

struct searchlog {
    sqlite3 *db; /* used by the writer thread only once it runs */
    sqlite3_stmt *insert;
    unsigned retention_days;
    char path[4096];
    pthread_t writer;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;
    queued *queue[SEARCHLOG_QUEUE];
    size_t n_queued;
    int closing, stopped;
    uint64_t recorded, dropped;
    char why[256]; /* SQLite's message of the last failed batch (writer thread) */
};

/* --- normalising ------------------------------------------------------------------------- */

char *searchlog_normalise(const char *query)
{
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)query, 0, &folded,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                          UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
    if (n < 0)
        return NULL;
    /* Blanks (space, tab, line breaks) trimmed and made single spaces, in place. */
    char *s = (char *)folded;
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        int blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' ||
                    s[i] == '\v';
        if (!blank)
            s[o++] = s[i];
        else if (o > 0 && s[o - 1] != ' ')
            s[o++] = ' ';
    }
    if (o > 0 && s[o - 1] == ' ')
        o--;
    s[o] = '\0';
    return s;
}

/* --- writing ----------------------------------------------------------------------------- */

/* Stops recording after a failure (with the lock held): says so once, on stderr. */
static void stop_recording(searchlog *log, const char *what)
{
    if (!log->stopped)
        fprintf(stderr,
                "searchd: recording of searches stopped: %s (%s); searches go on; free the disk "
                "or fix %s, then restart searchd to record again\n",
                what, log->why, log->path);
    log->stopped = 1;
}

static void prune_old(searchlog *log, int64_t now)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM searches WHERE at < %lld",
             (long long)(now - (int64_t)log->retention_days * 86400));
    sqlite3_exec(log->db, sql, NULL, NULL, NULL);
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Deletes the oldest tenth of the records (at least one); returns 0 when there was none. */
static int prune_oldest_tenth(searchlog *log)
{
    if (pragma_int(log->db, "SELECT count(*) FROM searches") <= 0)
        return 0;
    return sqlite3_exec(log->db,
                        "DELETE FROM searches WHERE id <= (SELECT min(id) + (max(id) - min(id)) / "
                        "10 FROM searches)",
                        NULL, NULL, NULL) == SQLITE_OK;
}

/* Orders records so that identical searches (the same query, filters, source and results)
 * are next to each other. */
static int cmp_queued(const void *x, const void *y)
{
    const queued *a = *(const queued *const *)x, *b = *(const queued *const *)y;
    const char *sa[] = {a->query, a->section, a->author, a->since, a->until, a->source};
    const char *sb[] = {b->query, b->section, b->author, b->since, b->until, b->source};
    for (int i = 0; i < 6; i++) {
        int c = strcmp(sa[i], sb[i]);
        if (c)
            return c;
    }
    return a->results < b->results ? -1 : a->results > b->results;
}

/* One row: identical searches batch[first .. first + count - 1]. */
typedef struct batch_row {
    size_t first, count;
    int64_t at;     /* the latest */
    double took_ms; /* the mean */
} batch_row;

/* Inserts the n rows in one transaction; returns the SQLite result. */
static int write_batch(searchlog *log, queued **batch, const batch_row *rows, size_t n)
{
    int rc = sqlite3_exec(log->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        const queued *q = batch[rows[i].first];
        sqlite3_stmt *st = log->insert;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, rows[i].at);
        sqlite3_bind_text(st, 2, q->query, -1, SQLITE_STATIC);
        const char *opt[] = {q->section, q->author, q->since, q->until};
        for (int k = 0; k < 4; k++) {
            if (*opt[k])
                sqlite3_bind_text(st, 3 + k, opt[k], -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, 3 + k);
        }
        sqlite3_bind_int64(st, 7, (sqlite3_int64)q->results);
        sqlite3_bind_double(st, 8, rows[i].took_ms);
        sqlite3_bind_text(st, 9, q->source, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 10, (sqlite3_int64)rows[i].count);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(log->db);
    }
    sqlite3_reset(log->insert);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(log->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(log->why, sizeof log->why, "%s", sqlite3_errmsg(log->db));
        if (!sqlite3_get_autocommit(log->db))
            sqlite3_exec(log->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

/* Commits the n records: identical searches as one row (a popular query asked a thousand times
 * in a batch costs one insert), in transactions of at most BATCH_MAX rows.  A transaction that
 * would grow the file beyond its limit (SQLITE_FULL with the file at its limit) makes room by
 * deleting the oldest tenth of the records, as often as needed (the pages freed are reused, so
 * the file stays within the limit); SQLITE_FULL below the limit is a full disk, and is
 * returned.  `rows` has room for n rows. */
static int commit_records(searchlog *log, queued **batch, size_t n, batch_row *rows)
{
    qsort(batch, n, sizeof *batch, cmp_queued);
    size_t n_rows = 0;
    for (size_t i = 0; i < n; i++) {
        batch_row *r = n_rows > 0 ? &rows[n_rows - 1] : NULL;
        if (!r || cmp_queued(&batch[r->first], &batch[i]) != 0) {
            r = &rows[n_rows++];
            *r = (batch_row){.first = i, .count = 0, .at = 0, .took_ms = 0};
        }
        r->count++;
        r->took_ms += (batch[i]->took_ms - r->took_ms) / (double)r->count; /* running mean */
        if (batch[i]->at > r->at)
            r->at = batch[i]->at;
    }
    int rc = SQLITE_OK;
    for (size_t at = 0; rc == SQLITE_OK && at < n_rows; at += BATCH_MAX) {
        size_t m = n_rows - at < BATCH_MAX ? n_rows - at : BATCH_MAX;
        int64_t bytes = 0;
        for (size_t i = 0; i < m; i++)
            bytes += (int64_t)strlen(batch[rows[at + i].first]->query) + 64;
        for (int tries = 0;
             (rc = write_batch(log, batch, rows + at, m)) == SQLITE_FULL && tries < 100; tries++) {
            int64_t pages = pragma_int(log->db, "PRAGMA page_count");
            int64_t max_pages = pragma_int(log->db, "PRAGMA max_page_count");
            int at_limit = pages + bytes / 2048 + 2 >= max_pages; /* pages half full, at worst */
            if (!at_limit || !prune_oldest_tenth(log))
                break;
        }
    }
    return rc;
}

static void *writer_main(void *arg)
{
    searchlog *log = arg;
    queued **batch = malloc(SEARCHLOG_QUEUE * sizeof *batch);
    batch_row *rows = malloc(SEARCHLOG_QUEUE * sizeof *rows);
    if (!rows) {
        free(batch);
        batch = NULL; /* every record is dropped: out of memory */
    }
    int64_t last_prune = 0;
    pthread_mutex_lock(&log->lock);
    for (;;) {
        if (!log->closing && log->n_queued == 0) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)SEARCHLOG_BATCH_MS * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&log->wake, &log->lock, &until);
        }
        size_t n = batch ? log->n_queued : 0;
        if (n > 0)
            memcpy(batch, log->queue, n * sizeof *batch);
        if (batch)
            log->n_queued = 0;
        int closing = log->closing, stopped = log->stopped;
        pthread_mutex_unlock(&log->lock);

        int rc = SQLITE_OK;
        int64_t now = (int64_t)time(NULL);
        if (n > 0 && !stopped) {
            if (now - last_prune >= PRUNE_EVERY_S) {
                prune_old(log, now);
                last_prune = now;
            }
            rc = commit_records(log, batch, n, rows);
        }
        for (size_t i = 0; i < n; i++)
            free(batch[i]);

        pthread_mutex_lock(&log->lock);
        if (n > 0 && !stopped) {
            if (rc == SQLITE_OK) {
                log->recorded += n;
            } else {
                log->dropped += n;
                /* Another process holding a lock costs that batch only; anything else
                 * (a full disk, a read-only or damaged file) stops the recording. */
                if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                    stop_recording(log, rc == SQLITE_FULL ? "the disk is full" : "writing failed");
            }
        } else if (n > 0) {
            log->dropped += n;
        }
        if (closing && log->n_queued == 0)
            break;
    }
    pthread_mutex_unlock(&log->lock);
    free(batch);
    free(rows);
    return NULL;
}

/* Writes the record's path: in the database directory, or beside the stub
 * file that lists an archive's shards (index.h). */
static void record_path(const char *db_dir, char *out, size_t out_size)
{
    struct stat sb;
    const char *slash = strrchr(db_dir, '/');
    if (stat(db_dir, &sb) == 0 && S_ISREG(sb.st_mode))
        snprintf(out, out_size, "%.*s%s", slash ? (int)(slash - db_dir + 1) : 0, db_dir,
                 SEARCHLOG_FILE);
    else
        snprintf(out, out_size, "%s/%s", db_dir, SEARCHLOG_FILE);
}

searchlog *searchlog_open(const char *db_dir, const searchlog_options *opt, char *err,
                          size_t err_size)
{
    searchlog *log = calloc(1, sizeof *log);
    if (!log) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    log->retention_days =
        opt && opt->retention_days ? opt->retention_days : SEARCHLOG_RETENTION_DAYS;
    unsigned max_mb = opt && opt->max_mb ? opt->max_mb : SEARCHLOG_MAX_MB;
    record_path(db_dir, log->path, sizeof log->path);
    int rc =
        sqlite3_open_v2(log->path, &log->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    char pragmas[256];
    /* The page size is SQLite's default, 4096: max_page_count bounds the file. */
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA "
             "journal_size_limit=1048576; PRAGMA max_page_count=%u;",
             max_mb * 256u);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(log->db, WRITER_BUSY_MS);
        rc = sqlite3_exec(log->db, pragmas, NULL, NULL, NULL);
    }
    int64_t version = rc == SQLITE_OK ? pragma_int(log->db, "PRAGMA user_version") : 0;
    if (rc == SQLITE_OK && version > SCHEMA_VERSION) {
        snprintf(err, err_size, "%s was written by a newer Kiosque (schema %lld)", log->path,
                 (long long)version);
        sqlite3_close(log->db);
        free(log);
        return NULL;
    }
    if (rc == SQLITE_OK && version == 1) /* from the first version: every row one search */
        rc = sqlite3_exec(log->db,
                          "ALTER TABLE searches ADD COLUMN searches INTEGER NOT NULL DEFAULT 1",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(log->db, schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK && version != SCHEMA_VERSION) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", SCHEMA_VERSION);
        rc = sqlite3_exec(log->db, sql, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(log->db,
                                "INSERT INTO searches(at, query, section, author, since, until, "
                                "results, took_ms, source, searches) VALUES (?,?,?,?,?,?,?,?,?,?)",
                                -1, &log->insert, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "%s cannot be written: %s", log->path,
                 log->db ? sqlite3_errmsg(log->db) : sqlite3_errstr(rc));
        sqlite3_finalize(log->insert);
        sqlite3_close(log->db);
        free(log);
        return NULL;
    }
    pthread_mutex_init(&log->lock, NULL);
    pthread_cond_init(&log->wake, NULL);
    if (pthread_create(&log->writer, NULL, writer_main, log) != 0) {
        snprintf(err, err_size, "cannot start the writer thread");
        pthread_cond_destroy(&log->wake);
        pthread_mutex_destroy(&log->lock);
        sqlite3_finalize(log->insert);
        sqlite3_close(log->db);
        free(log);
        return NULL;
    }
    return log;
}

void searchlog_record(searchlog *log, const searchlog_entry *e)
{
    if (!log || !e->query || !*e->query)
        return;
    pthread_mutex_lock(&log->lock);
    int stopped = log->stopped;
    if (stopped)
        log->dropped++;
    pthread_mutex_unlock(&log->lock);
    if (stopped)
        return;
    char *query = searchlog_normalise(e->query);
    if (!query || !*query) {
        free(query);
        return;
    }
    const char *fields[] = {query,
                            e->section ? e->section : "",
                            e->author ? e->author : "",
                            e->since ? e->since : "",
                            e->until ? e->until : "",
                            e->source ? e->source : ""};
    size_t lens[6], total = 0;
    for (int i = 0; i < 6; i++)
        total += (lens[i] = strlen(fields[i])) + 1;
    queued *q = malloc(sizeof *q + total);
    if (q) {
        q->at = (int64_t)time(NULL);
        q->results = e->results;
        q->took_ms = e->took_ms;
        const char **dst[] = {&q->query, &q->section, &q->author, &q->since, &q->until, &q->source};
        char *p = q->text;
        for (int i = 0; i < 6; i++) {
            memcpy(p, fields[i], lens[i] + 1);
            *dst[i] = p;
            p += lens[i] + 1;
        }
    }
    free(query);
    pthread_mutex_lock(&log->lock);
    if (q && log->n_queued < SEARCHLOG_QUEUE && !log->stopped && !log->closing) {
        log->queue[log->n_queued++] = q;
        q = NULL;
        /* Half full: the writer commits now rather than at its next tick. */
        if (log->n_queued == SEARCHLOG_QUEUE / 2)
            pthread_cond_signal(&log->wake);
    } else {
        log->dropped++;
    }
    pthread_mutex_unlock(&log->lock);
    free(q);
}

void searchlog_get_stats(searchlog *log, searchlog_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!log)
        return;
    pthread_mutex_lock(&log->lock);
    out->recorded = log->recorded;
    out->dropped = log->dropped;
    out->stopped = log->stopped;
    pthread_mutex_unlock(&log->lock);
}

void searchlog_close(searchlog *log)
{
    if (!log)
        return;
    pthread_mutex_lock(&log->lock);
    log->closing = 1;
    pthread_cond_signal(&log->wake);
    pthread_mutex_unlock(&log->lock);
    pthread_join(log->writer, NULL);
    sqlite3_finalize(log->insert);
    sqlite3_close(log->db);
    pthread_cond_destroy(&log->wake);
    pthread_mutex_destroy(&log->lock);
    free(log);
}

/* --- the report ---------------------------------------------------------------------------- */

static void iso_utc(int64_t t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Runs sql (parameters ?1 since, ?2 until, ?3 previous since, ?4 top, ?5 few) and appends each
 * row to `list` as an object whose keys are the column names (text or integer). */
static int query_rows(sqlite3 *db, const char *sql, const int64_t params[5], json_t *list)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    /* A parameter the statement does not use is SQLITE_RANGE, and harmless. */
    for (int i = 0; rc == SQLITE_OK && i < 5 && i < sqlite3_bind_parameter_count(st); i++)
        sqlite3_bind_int64(st, i + 1, params[i]);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_object();
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *name = sqlite3_column_name(st, c);
            if (sqlite3_column_type(st, c) == SQLITE_TEXT)
                json_object_set_new(row, name,
                                    json_string((const char *)sqlite3_column_text(st, c)));
            else
                json_object_set_new(row, name, json_integer(sqlite3_column_int64(st, c)));
        }
        json_array_append_new(list, row);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

kq_status searchlog_report(const char *db_dir, const searchlog_report_options *opt, char **json,
                           char *err, size_t err_size)
{
    char path[4096];
    *json = NULL;
    record_path(db_dir, path, sizeof path);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, err_size,
                 "no search has been recorded in %s yet (searchd records them in %s unless "
                 "started with --no-search-log)",
                 db_dir, SEARCHLOG_FILE);
        return KQ_ERR_NOT_FOUND;
    }
    int64_t until = opt && opt->until ? opt->until : (int64_t)time(NULL) + 1;
    int64_t since = opt && opt->since ? opt->since : until - DEFAULT_PERIOD_S;
    if (since >= until) {
        snprintf(err, err_size, "the period is empty: since must be before until");
        return KQ_ERR_INVALID;
    }
    int64_t params[5] = {since, until, since - (until - since), opt && opt->top ? opt->top : 20,
                         opt && opt->few ? opt->few : 3};
    sqlite3 *db = NULL;
    kq_status status = KQ_ERR_SQLITE;
    json_t *root = json_object();
    json_t *totals = json_array(), *top = json_array(), *few = json_array(), *rising = json_array();
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(db, REPORT_BUSY_MS);
        /* The latest search of a query gives its results (SQLite takes the bare column from the
         * row where max(at) is). */
/* Each query's searches in the period; the latest search gives its results (SQLite takes the
 * bare column from the row where max(at) is). */
#define PER_QUERY                                                                                  \
    "(SELECT query, sum(searches) AS searches, results, max(at) AS last FROM searches WHERE at "   \
    ">= ?1 "                                                                                       \
    "AND at < ?2 GROUP BY query)"
    const struct {
        const char *sql;
        json_t *rows;
    } lists[] = {
        {"SELECT (SELECT total(searches) FROM searches WHERE at >= ?1 AND at < ?2) AS searches, "
         "(SELECT "
         "count(DISTINCT query) FROM searches WHERE at >= ?1 AND at < ?2) AS distinct_queries, "
         "(SELECT total(searches) FROM searches WHERE at >= ?1 AND at < ?2 AND results = 0) AS "
         "zero_result_searches, (SELECT total(searches) FROM searches WHERE at >= ?3 AND at < ?1) "
         "AS "
         "previous_searches",
         totals},
        {"SELECT query, searches, results FROM " PER_QUERY
         " ORDER BY searches DESC, query LIMIT ?4",
         top},
        {"SELECT query, searches, results FROM " PER_QUERY
         " WHERE results <= ?5 ORDER BY searches DESC, results, query LIMIT ?4",
         few},
        {"SELECT c.query AS query, c.n AS searches, coalesce(p.n, 0) AS previous FROM (SELECT "
         "query, sum(searches) AS n FROM searches WHERE at >= ?1 AND at < ?2 GROUP BY query) c "
         "LEFT "
         "JOIN (SELECT query, sum(searches) AS n FROM searches WHERE at >= ?3 AND at < ?1 GROUP BY "
         "query) p ON p.query = c.query WHERE c.n >= " RISING_MIN
         " AND c.n >= 2 * coalesce(p.n, 0) ORDER BY c.n - coalesce(p.n, 0) DESC, c.n DESC, "
         "c.query LIMIT ?4",
         rising},
    };
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof lists / sizeof lists[0]; i++)
        rc = query_rows(db, lists[i].sql, params, lists[i].rows);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "%s cannot be read: %s", path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto out;
    }
    char t[32];
    const char *names[] = {"since", "until", "previous_since"};
    int64_t times[] = {since, until, params[2]};
    for (int i = 0; i < 3; i++) {
        iso_utc(times[i], t, sizeof t);
        json_object_set_new(root, names[i], json_string(t));
    }
    json_object_update(root, json_array_get(totals, 0));
    json_object_set(root, "top", top);
    json_object_set(root, "few_results", few);
    json_object_set(root, "rising", rising);
    *json = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    status = *json ? KQ_OK : KQ_ERR_NOMEM;
out:
    sqlite3_close(db);
    json_decref(root);
    json_decref(totals);
    json_decref(top);
    json_decref(few);
    json_decref(rising);
    return status;
}
