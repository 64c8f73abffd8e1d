/* store: the SQLite metadata store (see store.h).
 *
 * Durability and the order of commits.  The store runs in WAL mode with
 * synchronous=NORMAL: a commit is atomic and survives a crash of the process,
 * but the last commits before a power cut may be rolled back (the WAL is
 * synced at checkpoints, not at every commit); the database itself is never
 * corrupted.  That is enough because the store is not the source of truth:
 * the indexer commits each batch to Xapian first, then to SQLite, and writes
 * the same batch number under the metadata key "revision" in both.  After a
 * crash (or power cut) between the two, the store's revision is behind the
 * index's; the indexer detects it at startup and repairs the store from the
 * index, whose documents carry everything a row holds (document.h).  The
 * opposite case (store ahead of index) cannot happen, since the store is
 * committed last and Xapian's commit is synced.
 *
 * Concurrency.  WAL lets one writer and any number of readers work at once;
 * readers see the last committed transaction, never half of one.  The busy
 * timeout (5 s) covers the short moments when a connection must wait anyway
 * (a checkpoint, a writer's lock held by another process).  A writer's batch
 * starts with BEGIN IMMEDIATE so that it takes the write lock up front rather
 * than failing with SQLITE_BUSY when a read transaction tries to upgrade.
 *
 * Table shape.  articles is an ordinary rowid table with `id TEXT PRIMARY
 * KEY`, not WITHOUT ROWID: its rows are large (title, description, url and
 * three JSON arrays, often over 1/20 of a page, beyond which SQLite's own
 * guidance says WITHOUT ROWID stops paying), and the secondary indexes on
 * docid and published then hold an 8-byte rowid instead of a copy of the
 * text id.  The price is a second b-tree lookup for reads by id, which are
 * not the hot path of searching.  Authors, sections and keywords are JSON
 * arrays, queried with json_each by brute-force checks (SQLite has JSON1
 * built in since 3.38). */

#include "store.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#define STORE_SCHEMA_VERSION "1"
#define STORE_BUSY_TIMEOUT_MS 5000

/* The statements prepared once per handle, on first use. */
enum stmt_id {
    STMT_GET_HASH,
    STMT_PUT,
    STMT_DELETE,
    STMT_GET,
    STMT_COUNT,
    STMT_META_SET,
    STMT_META_GET,
    STMT_N
};

static const char *const stmt_sql[STMT_N] = {
    [STMT_GET_HASH] = "SELECT hash, docid FROM articles WHERE id = ?1",
    [STMT_PUT] = "INSERT OR REPLACE INTO articles (id, docid, hash, title, description, url, "
                 "language, date, published, date_modified, authors, sections, keywords, "
                 "indexed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [STMT_DELETE] = "DELETE FROM articles WHERE id = ?1",
    [STMT_GET] = "SELECT docid, hash, title, description, url, language, date, published, "
                 "date_modified, authors, sections, keywords FROM articles WHERE id = ?1",
    [STMT_COUNT] = "SELECT count(*) FROM articles",
    [STMT_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
    [STMT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta (\n"
    "  key TEXT PRIMARY KEY NOT NULL,\n"
    "  value TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS articles (\n"
    "  id TEXT PRIMARY KEY NOT NULL,\n"
    "  docid INTEGER NOT NULL,          -- Xapian document id\n"
    "  hash TEXT NOT NULL,              -- content hash, 16 hex digits\n"
    "  title TEXT NOT NULL,\n"
    "  description TEXT,\n"
    "  url TEXT,\n"
    "  language TEXT,\n"
    "  date TEXT,                       -- ISO 8601 UTC\n"
    "  published INTEGER NOT NULL DEFAULT 0, -- seconds since the epoch, 0 unknown\n"
    "  date_modified TEXT,\n"
    "  authors TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(authors)),\n"
    "  sections TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sections)),\n"
    "  keywords TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(keywords)),\n"
    "  indexed_at INTEGER NOT NULL      -- seconds since the epoch\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS articles_docid ON articles (docid);\n"
    "CREATE INDEX IF NOT EXISTS articles_published ON articles (published);\n"
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '" STORE_SCHEMA_VERSION
    "');\n";

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_N];
    int writable;
    char err[512];
};

/* --- Errors ------------------------------------------------------------------ */

static kq_status status_of_sqlite(sqlite3 *db, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return KQ_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return KQ_ERR_LOCKED;
    case SQLITE_NOMEM:
        return KQ_ERR_NOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return KQ_ERR_CORRUPT;
    case SQLITE_FULL:
        return KQ_ERR_FULL;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return KQ_ERR_READONLY;
    case SQLITE_CANTOPEN: {
        int e = db ? sqlite3_system_errno(db) : 0;
        if (e == EACCES || e == EROFS || e == EPERM)
            return KQ_ERR_READONLY;
        return e == ENOENT || e == 0 ? KQ_ERR_NOT_FOUND : KQ_ERR_IO;
    }
    case SQLITE_IOERR:
        return db && sqlite3_system_errno(db) == ENOSPC ? KQ_ERR_FULL : KQ_ERR_IO;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
        return KQ_ERR_INVALID;
    default:
        return KQ_ERR_SQLITE;
    }
}

/* Records "what: SQLite's message" in the handle and returns its status. */
static kq_status fail_sqlite(store *s, int rc, const char *what)
{
    kq_status st = status_of_sqlite(s->db, rc);
    snprintf(s->err, sizeof s->err, "%s: %s", what,
             s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return st;
}

/* Records a formatted message in the handle and returns st. */
static kq_status fail(store *s, kq_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return st;
}

/* --- Statements -------------------------------------------------------------- */

/* Returns the cached statement, reset and with no bindings, or NULL with the
 * failure recorded in *st. */
static sqlite3_stmt *stmt(store *s, enum stmt_id id, kq_status *st)
{
    sqlite3_stmt *q = s->stmts[id];
    if (!q) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &q, NULL);
        if (rc != SQLITE_OK) {
            *st = fail_sqlite(s, rc, "preparing a statement");
            return NULL;
        }
        s->stmts[id] = q;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return q;
}

static kq_status exec(store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? KQ_OK : fail_sqlite(s, rc, what);
}

static int bind_text_or_null(sqlite3_stmt *q, int i, const char *v)
{
    return v ? sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(q, i);
}

/* --- Opening ------------------------------------------------------------------ */

/* Checks the schema version a store was written with. */
static kq_status check_schema(store *s)
{
    kq_status st = KQ_OK;
    char *v = store_meta_get(s, "schema_version", &st);
    if (!v) {
        if (st == KQ_ERR_NOT_FOUND || st == KQ_ERR_SQLITE)
            return fail(s, KQ_ERR_CORRUPT, "not a Kiosque store (no schema version)");
        return st;
    }
    if (strcmp(v, STORE_SCHEMA_VERSION) != 0) {
        /* What to do differs with who wrote it (README, "Upgrading"): the
         * store can always be rebuilt from the index, which holds every
         * article whole. */
        if (strtol(v, NULL, 10) < strtol(STORE_SCHEMA_VERSION, NULL, 10))
            st = fail(s, KQ_ERR_INVALID,
                      "the store has schema version %s, written by an older Kiosque; this one "
                      "knows version %s: move store.sqlite out of the database and run "
                      "indexer check, which rebuilds it from the index",
                      v, STORE_SCHEMA_VERSION);
        else
            st = fail(s, KQ_ERR_INVALID,
                      "the store has schema version %s, written by a newer Kiosque; this one "
                      "knows version %s: run the newer Kiosque, or restore the backup made "
                      "before the upgrade",
                      v, STORE_SCHEMA_VERSION);
    }
    free(v);
    return st;
}

/* A WAL database cannot be opened, even read-only, where its -shm file can
 * neither be found nor created: on a read-only file system (a snapshot, a
 * read-only bind mount).  Nothing can write such a file, so it is opened
 * "immutable" there.  Returns 1 and writes the URI when the store's file
 * system is mounted read-only. */
static int on_read_only_media(const char *path, char *uri, size_t uri_size)
{
    struct statvfs vfs;
    if (statvfs(path, &vfs) != 0 || !(vfs.f_flag & ST_RDONLY))
        return 0;
    size_t o = 0;
    o += (size_t)snprintf(uri, uri_size, "file:");
    for (const char *p = path; *p && o + 4 < uri_size; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%' || c == '?' || c == '#' || c < 0x20)
            o += (size_t)snprintf(uri + o, uri_size - o, "%%%02X", c);
        else
            uri[o++] = (char)c;
    }
    uri[o] = '\0';
    return snprintf(uri + o, uri_size - o, "?immutable=1") < (int)(uri_size - o);
}

store *store_open(const char *path, int writable, kq_status *status, char *err, size_t err_size)
{
    kq_status st = KQ_OK;
    store *s = NULL;
    if (err && err_size)
        err[0] = '\0';
    if (!path || !*path) {
        st = KQ_ERR_INVALID;
        if (err && err_size)
            snprintf(err, err_size, "no store path given");
        goto out;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    s->writable = writable;
    struct stat sb;
    if (!writable && stat(path, &sb) != 0) {
        st = fail(s, errno == ENOENT ? KQ_ERR_NOT_FOUND : KQ_ERR_IO, "%s: %s", path,
                  strerror(errno));
        goto out;
    }
    int flags = writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    char uri[PATH_MAX * 3 + 32];
    const char *name = path;
    if (!writable && on_read_only_media(path, uri, sizeof uri)) {
        name = uri;
        flags |= SQLITE_OPEN_URI;
    }
    int rc = sqlite3_open_v2(name, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        st = fail_sqlite(s, rc, path);
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    st = exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys");
    if (st != KQ_OK)
        goto out;
    if (writable) {
        /* journal_mode=WAL is persistent: readers find the file in WAL mode. */
        st = exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", "enabling WAL");
        if (st != KQ_OK)
            goto out;
        int64_t tables = 0;
        st = store_query_int(s,
                             "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                             "AND name IN ('meta', 'articles')",
                             NULL, 0, &tables);
        if (st != KQ_OK)
            goto out;
        /* Only a new store takes the write lock here, so that opening a
         * writer does not wait for another one's batch. */
        if (tables != 2) {
            st = exec(s, "BEGIN IMMEDIATE", "creating the schema");
            if (st != KQ_OK)
                goto out;
            st = exec(s, schema_sql, "creating the schema");
            if (st == KQ_OK)
                st = exec(s, "COMMIT", "creating the schema");
            if (st != KQ_OK) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                goto out;
            }
        }
    }
    st = check_schema(s);
out:
    if (st != KQ_OK && s) {
        if (err && err_size)
            snprintf(err, err_size, "%s", s->err[0] ? s->err : status_to_string(st));
        store_close(s);
        s = NULL;
    } else if (st != KQ_OK && err && err_size && !err[0]) {
        snprintf(err, err_size, "%s", status_to_string(st));
    }
    if (status)
        *status = st;
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    for (int i = 0; i < STMT_N; i++)
        sqlite3_finalize(s->stmts[i]);
    if (s->db && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close_v2(s->db);
    free(s);
}

const char *store_last_error(const store *s)
{
    return s ? s->err : "";
}

/* --- Transactions ------------------------------------------------------------- */

kq_status store_begin(store *s)
{
    if (!s)
        return KQ_ERR_INVALID;
    if (!sqlite3_get_autocommit(s->db))
        return fail(s, KQ_ERR_INVALID, "a transaction is already open");
    /* A reader's deferred transaction gives a consistent snapshot of reads. */
    return exec(s, s->writable ? "BEGIN IMMEDIATE" : "BEGIN", "beginning a transaction");
}

kq_status store_commit(store *s)
{
    if (!s)
        return KQ_ERR_INVALID;
    if (sqlite3_get_autocommit(s->db))
        return fail(s, KQ_ERR_INVALID, "no transaction is open");
    return exec(s, "COMMIT", "committing");
}

kq_status store_rollback(store *s)
{
    if (!s)
        return KQ_ERR_INVALID;
    if (sqlite3_get_autocommit(s->db))
        return fail(s, KQ_ERR_INVALID, "no transaction is open");
    return exec(s, "ROLLBACK", "rolling back");
}

static kq_status need_writer(store *s)
{
    if (!s)
        return KQ_ERR_INVALID;
    if (!s->writable)
        return fail(s, KQ_ERR_INVALID, "the store was opened read-only");
    return KQ_OK;
}

/* --- Articles ----------------------------------------------------------------- */

kq_status store_get_hash(store *s, const char *id, char hash[17], unsigned *docid)
{
    kq_status st = KQ_OK;
    if (!s || !id || !hash)
        return KQ_ERR_INVALID;
    hash[0] = '\0';
    sqlite3_stmt *q = stmt(s, STMT_GET_HASH, &st);
    if (!q)
        return st;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(q, 0);
        snprintf(hash, 17, "%s", h ? h : "");
        if (docid)
            *docid = (unsigned)sqlite3_column_int64(q, 1);
    } else if (rc == SQLITE_DONE) {
        st = fail(s, KQ_ERR_NOT_FOUND, "no article %s in the store", id);
    } else {
        st = fail_sqlite(s, rc, "reading a hash");
    }
    sqlite3_reset(q);
    return st;
}

/* Returns a JSON array of the n strings, as compact text the caller frees
 * with free(), or NULL when a string is not valid UTF-8 or memory runs out. */
static char *json_of_strings(char *const *v, size_t n)
{
    json_t *arr = json_array();
    char *text = NULL;
    if (!arr)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!v[i] || json_array_append_new(arr, json_string(v[i])) != 0)
            goto out;
    }
    text = json_dumps(arr, JSON_COMPACT);
out:
    json_decref(arr);
    return text;
}

kq_status store_put(store *s, const article *a, unsigned docid)
{
    kq_status st = need_writer(s);
    char *authors = NULL, *sections = NULL, *keywords = NULL;
    if (st != KQ_OK)
        return st;
    if (!a || !a->id || !*a->id || !a->title)
        return fail(s, KQ_ERR_INVALID, "store_put: an article needs an id and a title");
    if (strlen(a->hash) != 16)
        return fail(s, KQ_ERR_INVALID, "store_put: article %s has no content hash", a->id);
    if ((a->n_authors && !a->authors) || (a->n_sections && !a->sections) ||
        (a->n_keywords && !a->keywords))
        return fail(s, KQ_ERR_INVALID, "store_put: article %s has a NULL array", a->id);
    authors = json_of_strings(a->authors, a->n_authors);
    sections = json_of_strings(a->sections, a->n_sections);
    keywords = json_of_strings(a->keywords, a->n_keywords);
    if (!authors || !sections || !keywords) {
        st = fail(s, KQ_ERR_INVALID,
                  "store_put: article %s has a NULL or non-UTF-8 author, "
                  "section or keyword",
                  a->id);
        goto out;
    }
    sqlite3_stmt *q = stmt(s, STMT_PUT, &st);
    if (!q)
        goto out;
    sqlite3_bind_text(q, 1, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, docid);
    sqlite3_bind_text(q, 3, a->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, a->title, -1, SQLITE_STATIC);
    bind_text_or_null(q, 5, a->description);
    bind_text_or_null(q, 6, a->url);
    bind_text_or_null(q, 7, a->language);
    bind_text_or_null(q, 8, a->date);
    sqlite3_bind_int64(q, 9, a->published);
    bind_text_or_null(q, 10, a->date_modified);
    sqlite3_bind_text(q, 11, authors, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 12, sections, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 13, keywords, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 14, (sqlite3_int64)time(NULL));
    int rc = sqlite3_step(q);
    if (rc != SQLITE_DONE)
        st = fail_sqlite(s, rc, "storing an article");
    /* Drop the bindings now: they point into memory freed below. */
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
out:
    free(authors);
    free(sections);
    free(keywords);
    return st;
}

kq_status store_delete(store *s, const char *id)
{
    kq_status st = need_writer(s);
    if (st != KQ_OK)
        return st;
    if (!id)
        return KQ_ERR_INVALID;
    sqlite3_stmt *q = stmt(s, STMT_DELETE, &st);
    if (!q)
        return st;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_DONE)
        st = fail_sqlite(s, rc, "deleting an article");
    else if (sqlite3_changes(s->db) == 0)
        st = fail(s, KQ_ERR_NOT_FOUND, "no article %s in the store", id);
    sqlite3_reset(q);
    return st;
}

/* Copies text column i into *out (NULL stays NULL); -1 when out of memory. */
static int dup_column(sqlite3_stmt *q, int i, char **out)
{
    const unsigned char *v = sqlite3_column_text(q, i);
    *out = NULL;
    if (!v)
        return sqlite3_column_type(q, i) == SQLITE_NULL ? 0 : -1;
    *out = strdup((const char *)v);
    return *out ? 0 : -1;
}

/* Reads the JSON array of strings in column i into a new vector owned by the
 * article; KQ_ERR_CORRUPT when it is not one. */
static kq_status strings_of_column(store *s, sqlite3_stmt *q, int i, char ***out, size_t *n)
{
    const char *text = (const char *)sqlite3_column_text(q, i);
    json_error_t jerr;
    kq_status st = KQ_OK;
    *out = NULL;
    *n = 0;
    if (!text)
        return KQ_OK;
    json_t *arr = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!arr || !json_is_array(arr)) {
        st = fail(s, KQ_ERR_CORRUPT, "column %s is not a JSON array: %s", sqlite3_column_name(q, i),
                  text);
        goto out;
    }
    size_t len = json_array_size(arr);
    if (!len)
        goto out;
    *out = calloc(len, sizeof **out);
    if (!*out) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    for (size_t k = 0; k < len; k++) {
        const char *v = json_string_value(json_array_get(arr, k));
        if (!v) {
            st = fail(s, KQ_ERR_CORRUPT, "column %s holds a non-string: %s",
                      sqlite3_column_name(q, i), text);
            goto out;
        }
        (*out)[k] = strdup(v);
        if (!(*out)[k]) {
            st = KQ_ERR_NOMEM;
            goto out;
        }
        (*n)++;
    }
out:
    json_decref(arr);
    return st;
}

kq_status store_get(store *s, const char *id, article *out, unsigned *docid)
{
    kq_status st = KQ_OK;
    if (!s || !id || !out)
        return KQ_ERR_INVALID;
    article_clear(out);
    sqlite3_stmt *q = stmt(s, STMT_GET, &st);
    if (!q)
        return st;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        st = fail(s, KQ_ERR_NOT_FOUND, "no article %s in the store", id);
        goto out;
    }
    if (rc != SQLITE_ROW) {
        st = fail_sqlite(s, rc, "reading an article");
        goto out;
    }
    if (docid)
        *docid = (unsigned)sqlite3_column_int64(q, 0);
    const char *h = (const char *)sqlite3_column_text(q, 1);
    snprintf(out->hash, sizeof out->hash, "%s", h ? h : "");
    out->published = sqlite3_column_int64(q, 7);
    out->id = strdup(id);
    if (!out->id || dup_column(q, 2, &out->title) || dup_column(q, 3, &out->description) ||
        dup_column(q, 4, &out->url) || dup_column(q, 5, &out->language) ||
        dup_column(q, 6, &out->date) || dup_column(q, 8, &out->date_modified)) {
        st = fail(s, KQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = strings_of_column(s, q, 9, &out->authors, &out->n_authors);
    if (st == KQ_OK)
        st = strings_of_column(s, q, 10, &out->sections, &out->n_sections);
    if (st == KQ_OK)
        st = strings_of_column(s, q, 11, &out->keywords, &out->n_keywords);
out:
    sqlite3_reset(q);
    if (st != KQ_OK)
        article_clear(out);
    return st;
}

kq_status store_count(store *s, uint64_t *out)
{
    kq_status st = KQ_OK;
    if (!s || !out)
        return KQ_ERR_INVALID;
    *out = 0;
    sqlite3_stmt *q = stmt(s, STMT_COUNT, &st);
    if (!q)
        return st;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(q, 0);
    else
        st = fail_sqlite(s, rc, "counting articles");
    sqlite3_reset(q);
    return st;
}

kq_status store_foreach(store *s,
                        int (*cb)(void *ctx, const char *id, unsigned docid, const char *hash),
                        void *ctx)
{
    sqlite3_stmt *q = NULL;
    if (!s || !cb)
        return KQ_ERR_INVALID;
    /* A statement of its own, so that cb may use the handle (even to iterate). */
    int rc =
        sqlite3_prepare_v2(s->db, "SELECT id, docid, hash FROM articles ORDER BY id", -1, &q, NULL);
    if (rc != SQLITE_OK)
        return fail_sqlite(s, rc, "listing articles");
    kq_status st = KQ_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(q, 0);
        const char *hash = (const char *)sqlite3_column_text(q, 2);
        if (cb(ctx, id ? id : "", (unsigned)sqlite3_column_int64(q, 1), hash ? hash : ""))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = fail_sqlite(s, rc, "listing articles");
    sqlite3_finalize(q);
    return st;
}

/* --- Metadata ------------------------------------------------------------------ */

kq_status store_meta_set(store *s, const char *key, const char *value)
{
    kq_status st = need_writer(s);
    if (st != KQ_OK)
        return st;
    if (!key || !value)
        return fail(s, KQ_ERR_INVALID, "store_meta_set: missing key or value");
    sqlite3_stmt *q = stmt(s, STMT_META_SET, &st);
    if (!q)
        return st;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_DONE)
        st = fail_sqlite(s, rc, "writing metadata");
    sqlite3_reset(q);
    return st;
}

char *store_meta_get(store *s, const char *key, kq_status *status)
{
    kq_status st = KQ_OK;
    char *value = NULL;
    if (!s || !key) {
        st = KQ_ERR_INVALID;
        goto out;
    }
    sqlite3_stmt *q = stmt(s, STMT_META_GET, &st);
    if (!q)
        goto out;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(q, 0);
        value = strdup(v ? v : "");
        if (!value)
            st = fail(s, KQ_ERR_NOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        st = fail(s, KQ_ERR_NOT_FOUND, "no metadata %s", key);
    } else {
        st = fail_sqlite(s, rc, "reading metadata");
    }
    sqlite3_reset(q);
out:
    if (status)
        *status = st;
    return value;
}

/* --- Checks --------------------------------------------------------------------- */

kq_status store_query_int(store *s, const char *sql, const char *const *params, size_t n_params,
                          int64_t *out)
{
    sqlite3_stmt *q = NULL;
    const char *tail = NULL;
    kq_status st = KQ_OK;
    if (!s || !sql || !out || (n_params && !params))
        return KQ_ERR_INVALID;
    *out = 0;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, &tail);
    if (rc != SQLITE_OK)
        return fail_sqlite(s, rc, "store_query_int");
    if (!q) {
        st = fail(s, KQ_ERR_INVALID, "store_query_int: empty SQL");
        goto out;
    }
    if (tail && tail[strspn(tail, " \t\r\n;")]) {
        st = fail(s, KQ_ERR_INVALID, "store_query_int: one statement only");
        goto out;
    }
    if (!sqlite3_stmt_readonly(q)) {
        st = fail(s, KQ_ERR_INVALID, "store_query_int: the query must be read-only");
        goto out;
    }
    if ((int)n_params != sqlite3_bind_parameter_count(q)) {
        st = fail(s, KQ_ERR_INVALID, "store_query_int: %zu parameters for %d placeholders",
                  n_params, sqlite3_bind_parameter_count(q));
        goto out;
    }
    for (size_t i = 0; i < n_params; i++) {
        rc = bind_text_or_null(q, (int)i + 1, params[i]);
        if (rc != SQLITE_OK) {
            st = fail_sqlite(s, rc, "store_query_int: binding");
            goto out;
        }
    }
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(q, 0);
    else if (rc == SQLITE_DONE)
        st = fail(s, KQ_ERR_NOT_FOUND, "store_query_int: no row");
    else
        st = fail_sqlite(s, rc, "store_query_int");
out:
    sqlite3_finalize(q);
    return st;
}
