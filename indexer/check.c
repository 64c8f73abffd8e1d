/* check: verifies a Kiosque database's index and store against each other and repairs what the
 * index allows. */
#include "check.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "article.h"
#include "dbpath.h"
#include "document.h"
#include "index.h"
#include "store.h"
#include "writer.h"

/* One indexed document, or one store row. */
struct rec {
    char *id;
    unsigned docid;
    char hash[17];
};

struct recs {
    struct rec *v;
    size_t n, cap;
    int failed; /* out of memory */
};

static void recs_push(struct recs *r, const char *id, unsigned docid, const char *hash)
{
    if (r->failed)
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        struct rec *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            r->failed = 1;
            return;
        }
        r->v = v;
        r->cap = cap;
    }
    struct rec *e = &r->v[r->n];
    if (!(e->id = strdup(id))) {
        r->failed = 1;
        return;
    }
    e->docid = docid;
    snprintf(e->hash, sizeof e->hash, "%s", hash ? hash : "");
    r->n++;
}

static void recs_free(struct recs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].id);
    free(r->v);
    *r = (struct recs){0};
}

/* By identifier, then docid. */
static int compare_recs(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return x->docid < y->docid ? -1 : x->docid > y->docid;
}

struct walk {
    struct recs docs;
    unsigned *unreadable; /* docids of unreadable documents */
    size_t n_unreadable, cap_unreadable;
    check_report *report;
};

static int on_document(void *ctx, unsigned docid, const char *data, size_t len)
{
    struct walk *w = ctx;
    article art = {0};
    char err[256];
    w->report->documents++;
    if (document_read_article(data, len, &art, err, sizeof err) != KQ_OK) {
        fprintf(stderr, "indexer: check: document %u of the index is unreadable: %s\n", docid, err);
        if (w->n_unreadable == w->cap_unreadable) {
            size_t cap = w->cap_unreadable ? w->cap_unreadable * 2 : 16;
            unsigned *v = realloc(w->unreadable, cap * sizeof *v);
            if (!v) {
                w->docs.failed = 1;
                return 1;
            }
            w->unreadable = v;
            w->cap_unreadable = cap;
        }
        w->unreadable[w->n_unreadable++] = docid;
        return 0;
    }
    recs_push(&w->docs, art.id, docid, art.hash);
    article_clear(&art);
    return w->docs.failed;
}

static int on_row(void *ctx, const char *id, unsigned docid, const char *hash)
{
    struct recs *rows = ctx;
    recs_push(rows, id, docid, hash);
    return rows->failed;
}

static int is_unreadable(const struct walk *w, unsigned docid)
{
    for (size_t i = 0; i < w->n_unreadable; i++)
        if (w->unreadable[i] == docid)
            return 1;
    return 0;
}

static uint64_t parse_u64(const char *s)
{
    return s ? strtoull(s, NULL, 10) : 0;
}

static void iso_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Opens the store; a file that is not a store (damaged) is set aside with
 * its journal files, and a new one created, when `rebuild`. */
static store *open_store(const char *path, int writable, int rebuild, check_report *r,
                         kq_status *st, char *err, size_t err_size)
{
    store *s = store_open(path, writable, st, err, err_size);
    if (s || *st != KQ_ERR_CORRUPT || !writable || !rebuild)
        return s;
    char aside[PATH_MAX + 64], from[PATH_MAX + 8], to[PATH_MAX + 80];
    snprintf(aside, sizeof aside, "%s.damaged-%lld", path, (long long)time(NULL));
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(from, sizeof from, "%s%s", path, suffixes[i]);
        snprintf(to, sizeof to, "%s%s", aside, suffixes[i]);
        if (rename(from, to) != 0 && errno != ENOENT) {
            snprintf(err, err_size, "the store %s is damaged and cannot be set aside: %s", path,
                     strerror(errno));
            return NULL;
        }
    }
    fprintf(stderr,
            "indexer: check: the store was damaged (%s); set aside as %s, rebuilt from the index\n",
            err, aside);
    r->store_rebuilt = 1;
    r->found++;
    r->repaired++;
    return store_open(path, writable, st, err, err_size);
}

/* Indexes the article of document `docid` again as a new document (its
 * unique term did not find it), deleting the given old documents.  Writes
 * the new docid into *docid. */
static kq_status reindex(index_db *idx, analyzer *an, index_doc *doc, const char *id,
                         unsigned *docid, const struct rec *group, size_t n)
{
    char *data = NULL, err[256];
    size_t len = 0;
    article art = {0};
    kq_status st = index_get_document(idx, *docid, &data, &len);
    if (st == KQ_OK)
        st = document_read_article(data, len, &art, err, sizeof err);
    for (size_t i = 0; st == KQ_OK && i < n; i++)
        st = index_delete_document(idx, group[i].docid);
    if (st == KQ_OK)
        st = document_build(an, &art, doc);
    if (st == KQ_OK)
        st = index_add(idx, doc, docid);
    if (st != KQ_OK)
        fprintf(stderr, "indexer: check: cannot index article %s again: %s\n", id,
                index_last_error(idx)[0] ? index_last_error(idx) : status_to_string(st));
    article_clear(&art);
    free(data);
    return st;
}

/* Repairs the index: one document per identifier, found by its unique term.
 * Fills `unique` with the surviving document of each identifier. */
static kq_status check_index(index_db *idx, int repair, struct walk *w, struct recs *unique,
                             check_report *r, int *changed)
{
    kq_status st = KQ_OK;
    analyzer *an = NULL;
    index_doc *doc = NULL;
    struct recs *docs = &w->docs;
    qsort(docs->v, docs->n, sizeof *docs->v, compare_recs);
    for (size_t i = 0; i < docs->n && st == KQ_OK;) {
        size_t j = i + 1;
        while (j < docs->n && strcmp(docs->v[j].id, docs->v[i].id) == 0)
            j++;
        size_t group = j - i;
        struct rec keep = docs->v[j - 1]; /* the newest */
        char term[300];
        uint64_t freq = 0;
        if (document_unique_term(keep.id, term, sizeof term) != 0 ||
            index_term_freq(idx, term, &freq) != KQ_OK) {
            fprintf(stderr, "indexer: check: cannot look article %s up: %s\n", keep.id,
                    index_last_error(idx));
            st = KQ_ERR_XAPIAN;
            break;
        }
        int findable = freq == group;
        if (group > 1) {
            r->duplicates += group - 1;
            fprintf(
                stderr, "indexer: check: article %s is indexed %zu times (documents %u to %u)%s\n",
                keep.id, group, docs->v[i].docid, keep.docid, repair ? "; keeping the newest" : "");
        }
        if (!findable) {
            r->unfindable++;
            fprintf(stderr,
                    "indexer: check: article %s (document %u) is not found by its "
                    "identifier%s\n",
                    keep.id, keep.docid, repair ? "; indexing it again" : "");
        }
        if (repair && (group > 1 || !findable)) {
            if (!*changed && (st = index_begin(idx)) != KQ_OK)
                break;
            *changed = 1;
            if (findable) {
                for (size_t k = i; k + 1 < j && st == KQ_OK; k++)
                    st = index_delete_document(idx, docs->v[k].docid);
            } else {
                if (!an && !(an = analyzer_new())) {
                    st = KQ_ERR_NOMEM;
                    break;
                }
                if (!doc && !(doc = index_doc_new())) {
                    st = KQ_ERR_NOMEM;
                    break;
                }
                st = reindex(idx, an, doc, keep.id, &keep.docid, docs->v + i, group);
            }
            if (st == KQ_OK)
                r->repaired += (group - 1) + !findable;
        }
        recs_push(unique, keep.id, keep.docid, keep.hash);
        if (unique->failed)
            st = KQ_ERR_NOMEM;
        i = j;
    }
    index_doc_free(doc);
    analyzer_free(an);
    return st;
}

/* Writes the store row of article `id` again from document `docid`. */
static kq_status restore_row(index_db *idx, store *s, unsigned docid)
{
    char *data = NULL, err[256];
    size_t len = 0;
    article art = {0};
    kq_status st = index_get_document(idx, docid, &data, &len);
    if (st == KQ_OK)
        st = document_read_article(data, len, &art, err, sizeof err);
    if (st == KQ_OK)
        st = store_put(s, &art, docid);
    article_clear(&art);
    free(data);
    return st;
}

/* Compares the store with the index's articles (both sorted by id) and,
 * when `repair`, rewrites what differs inside the open store transaction. */
static kq_status check_store(index_db *idx, store *s, int repair, const struct walk *w,
                             const struct recs *unique, const struct recs *rows, check_report *r)
{
    kq_status st = KQ_OK;
    size_t i = 0, j = 0;
    uint64_t shown = 0;
    while ((i < unique->n || j < rows->n) && st == KQ_OK) {
        int c = i == unique->n ? 1 : j == rows->n ? -1 : strcmp(unique->v[i].id, rows->v[j].id);
        if (c < 0) {
            /* Indexed, not stored. */
            r->missing_rows++;
            if (shown++ < 20)
                fprintf(stderr, "indexer: check: article %s is indexed but not stored\n",
                        unique->v[i].id);
            if (repair && (st = restore_row(idx, s, unique->v[i].docid)) == KQ_OK)
                r->repaired++;
            i++;
        } else if (c > 0) {
            /* Stored, not indexed. */
            if (is_unreadable(w, rows->v[j].docid)) {
                fprintf(stderr,
                        "indexer: check: article %s: its indexed document %u is unreadable; "
                        "add the article again from the archive\n",
                        rows->v[j].id, rows->v[j].docid);
            } else {
                r->stale_rows++;
                if (shown++ < 20)
                    fprintf(stderr, "indexer: check: article %s is stored but not indexed\n",
                            rows->v[j].id);
                if (repair && (st = store_delete(s, rows->v[j].id)) == KQ_OK)
                    r->repaired++;
            }
            j++;
        } else {
            if (unique->v[i].docid != rows->v[j].docid ||
                strcmp(unique->v[i].hash, rows->v[j].hash) != 0) {
                r->wrong_rows++;
                if (shown++ < 20)
                    fprintf(stderr,
                            "indexer: check: article %s: the store says document %u, hash %s; "
                            "the index, document %u, hash %s\n",
                            unique->v[i].id, rows->v[j].docid, rows->v[j].hash, unique->v[i].docid,
                            unique->v[i].hash);
                if (repair && (st = restore_row(idx, s, unique->v[i].docid)) == KQ_OK)
                    r->repaired++;
            }
            i++;
            j++;
        }
    }
    if (shown > 20)
        fprintf(stderr, "indexer: check: ... %llu store rows in all differ from the index\n",
                (unsigned long long)shown);
    return st; /* the caller reports a failure, with store_last_error */
}

kq_status check_handles(index_db *idx, store *s, int repair, check_report *r, char *err,
                        size_t err_size)
{
    char rev[32], when[32];
    kq_status st = KQ_OK;
    struct walk w = {.report = r};
    struct recs unique = {0}, rows = {0};
    char *meta = NULL;
    int index_changed = 0, store_open_tx = 0;

    meta = index_get_metadata(idx, DOCUMENT_META_REVISION, &st);
    if (!meta) {
        snprintf(err, err_size, "cannot read the index's revision: %s", index_last_error(idx));
        goto out;
    }
    r->index_revision = parse_u64(meta);
    free(meta);
    kq_status mst;
    meta = store_meta_get(s, "revision", &mst);
    r->store_revision = parse_u64(meta);
    free(meta);
    meta = NULL;

    if ((st = index_foreach_document(idx, on_document, &w)) != KQ_OK) {
        snprintf(err, err_size, "cannot read the index: %s", index_last_error(idx));
        goto out;
    }
    if ((st = store_foreach(s, on_row, &rows)) != KQ_OK) {
        snprintf(err, err_size, "cannot read the store: %s", store_last_error(s));
        goto out;
    }
    if (w.docs.failed || rows.failed) {
        st = KQ_ERR_NOMEM;
        snprintf(err, err_size, "out of memory");
        goto out;
    }
    r->rows = rows.n;
    r->unreadable = w.n_unreadable;

    /* The index first, as a batch would: its repairs commit as one new
     * revision before the store follows. */
    st = check_index(idx, repair, &w, &unique, r, &index_changed);
    uint64_t revision = r->index_revision;
    if (st == KQ_OK && index_changed) {
        snprintf(rev, sizeof rev, "%llu", (unsigned long long)(revision + 1));
        iso_now(when);
        st = index_set_metadata(idx, DOCUMENT_META_REVISION, rev);
        if (st == KQ_OK)
            st = index_set_metadata(idx, DOCUMENT_META_LAST_UPDATE, when);
        if (st == KQ_OK)
            st = index_commit(idx);
        if (st == KQ_OK)
            revision++;
    }
    if (st != KQ_OK) {
        snprintf(err, err_size, "cannot repair the index: %s", index_last_error(idx));
        goto out;
    }

    if (repair) {
        if ((st = store_begin(s)) != KQ_OK) {
            snprintf(err, err_size, "cannot repair the store: %s", store_last_error(s));
            goto out;
        }
        store_open_tx = 1;
    }
    st = check_store(idx, s, repair, &w, &unique, &rows, r);
    if (st == KQ_OK && r->store_revision != r->index_revision) {
        fprintf(stderr, "indexer: check: the store is at revision %llu, the index at %llu\n",
                (unsigned long long)r->store_revision, (unsigned long long)r->index_revision);
        r->found++;
        if (repair)
            r->repaired++;
    }
    if (st == KQ_OK && repair && (r->store_revision != revision || r->repaired)) {
        snprintf(rev, sizeof rev, "%llu", (unsigned long long)revision);
        st = store_meta_set(s, "revision", rev);
    }
    if (st == KQ_OK && store_open_tx) {
        writer_crash_point("repair");
        st = store_commit(s);
        store_open_tx = 0;
    }
    if (st != KQ_OK) {
        snprintf(err, err_size, "cannot repair the store: %s", store_last_error(s));
        goto out;
    }
    r->found += r->unreadable + r->duplicates + r->unfindable + r->missing_rows + r->stale_rows +
                r->wrong_rows;
out:
    if (store_open_tx)
        store_rollback(s);
    recs_free(&w.docs);
    free(w.unreadable);
    recs_free(&unique);
    recs_free(&rows);
    return st;
}

kq_status check_run(const char *db_dir, int repair, check_report *r, char *err, size_t err_size)
{
    char xapian[PATH_MAX], spath[PATH_MAX];
    struct stat sb;
    kq_status st = KQ_OK;
    index_db *idx = NULL;
    store *s = NULL;
    int writer = 0;

    memset(r, 0, sizeof *r);
    err[0] = '\0';
    dbpath_join(db_dir, DBPATH_XAPIAN, xapian, sizeof xapian);
    dbpath_join(db_dir, DBPATH_STORE, spath, sizeof spath);
    if (stat(xapian, &sb) != 0) {
        snprintf(err, err_size, "no index at %s", db_dir);
        return KQ_ERR_NO_INDEX;
    }

    /* The writer lock keeps a batch from committing under the check (which
     * would look like a store behind its index); without write access the
     * check still runs, read-only. */
    idx = index_open(xapian, INDEX_WRITE, &st, err, err_size);
    if (!idx && st == KQ_ERR_LOCKED) {
        char holder[400];
        writer_note_holder(db_dir, holder, sizeof holder);
        snprintf(err, err_size,
                 "the index %s is being written by another indexer (%s); check it when it is done",
                 db_dir, holder);
        goto out;
    }
    if (idx) {
        writer = 1;
        writer_note_write(db_dir);
    } else if (st == KQ_ERR_READONLY || st == KQ_ERR_FULL) {
        fprintf(stderr, "indexer: check: %s cannot be written (%s); checking read-only\n", db_dir,
                status_to_string(st));
        idx = index_open(xapian, INDEX_READ, &st, err, err_size);
        r->read_only = 1;
        repair = 0;
    }
    if (!idx)
        goto out;
    s = open_store(spath, writer, repair, r, &st, err, err_size);
    if (!s && writer && (st == KQ_ERR_READONLY || st == KQ_ERR_FULL)) {
        r->read_only = 1;
        repair = 0;
        s = open_store(spath, 0, 0, r, &st, err, err_size);
    }
    if (!s) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, err_size, "cannot open the store: %s", why);
        goto out;
    }

    st = check_handles(idx, s, repair, r, err, err_size);
out:
    store_close(s);
    if (writer)
        writer_note_remove(db_dir);
    index_close(idx);
    return st;
}
