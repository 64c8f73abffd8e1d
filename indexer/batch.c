#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#define META_REVISION "kiosque.revision"
#define META_LAST_UPDATE "kiosque.last_update"

/* The identifiers met in this batch, to tell repeated ones: an open
 * addressing set of 64-bit hashes (a collision only miscounts "repeated"). */
struct id_set {
    uint64_t *slots; /* 0 marks an empty slot */
    size_t cap, n;
};

struct batch {
    char dir[PATH_MAX];
    char lock_path[PATH_MAX];
    index_db *index;
    store *store;
    analyzer *analyzer;
    index_doc *doc;
    batch_counts counts;
    uint64_t revision; /* revision of the last committed batch */
    struct id_set seen;
    double started;         /* monotonic seconds at open */
    double last_progress;   /* when the progress line was last drawn */
    int progress_shown;
    char error[1024];
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_error(batch *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
}

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

/* Adds id to the set; returns 1 when it was already there, 0 when new, -1 out of memory. */
static int id_set_add(struct id_set *set, const char *id)
{
    if (set->n * 2 >= set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 4096;
        uint64_t *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < set->cap; i++) {
            if (!set->slots[i])
                continue;
            size_t j = set->slots[i] & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = set->slots[i];
        }
        free(set->slots);
        set->slots = slots;
        set->cap = cap;
    }
    uint64_t h = hash_id(id);
    size_t j = h & (set->cap - 1);
    while (set->slots[j]) {
        if (set->slots[j] == h)
            return 1;
        j = (j + 1) & (set->cap - 1);
    }
    set->slots[j] = h;
    set->n++;
    return 0;
}

static void iso_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Writes who holds the writer lock into the lock file (informational: the
 * lock itself is Xapian's, released by the kernel if the process dies). */
static void write_lock_file(batch *b)
{
    char host[256] = "unknown", when[32];
    FILE *f = fopen(b->lock_path, "w");
    if (!f)
        return;
    gethostname(host, sizeof host - 1);
    iso_now(when);
    fprintf(f, "pid %ld on %s since %s\n", (long)getpid(), host, when);
    fclose(f);
}

static void describe_lock_holder(const char *lock_path, char *out, size_t out_size)
{
    char line[400] = "";
    FILE *f = fopen(lock_path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
    }
    line[strcspn(line, "\n")] = '\0';
    snprintf(out, out_size, "%s", line[0] ? line : "an unknown process");
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static uint64_t parse_revision(const char *s)
{
    return s ? strtoull(s, NULL, 10) : 0;
}

struct repair {
    batch *b;
    kq_status status;
    uint64_t restored;
};

static int restore_one(void *ctx, unsigned docid, const char *data, size_t len)
{
    struct repair *r = ctx;
    article art = {0};
    char err[256];
    if (article_from_json(data, len, &art, err, sizeof err) != KQ_OK) {
        fprintf(stderr, "indexer: document %u of the index is unreadable (%s); skipped\n", docid,
                err);
        return 0;
    }
    r->status = store_put(r->b->store, &art, docid);
    article_clear(&art);
    r->restored++;
    return r->status != KQ_OK;
}

struct stale {
    batch *b;
    char **ids;
    size_t n, cap;
};

static int collect_stale(void *ctx, const char *id, unsigned docid, const char *hash)
{
    struct stale *s = ctx;
    char term[300];
    char *data = NULL;
    size_t len;
    if (document_unique_term(id, term, sizeof term) != 0)
        return 0;
    kq_status st = index_get_data(s->b->index, term, &data, &len, NULL);
    free(data);
    if (st != KQ_ERR_NOT_FOUND)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **ids = realloc(s->ids, cap * sizeof *ids);
        if (!ids)
            return 1;
        s->ids = ids;
        s->cap = cap;
    }
    s->ids[s->n] = strdup(id);
    return s->ids[s->n++] == NULL;
}

/* Brings the store back in step with the index after a crash between the
 * two commits of a batch: every indexed article is written again from the
 * index's own copy, and rows the index no longer has are deleted. */
static kq_status repair_store(batch *b, uint64_t index_revision)
{
    struct repair r = {b, KQ_OK, 0};
    struct stale s = {b, NULL, 0, 0};
    char rev[32];
    kq_status st = store_begin(b->store);
    if (st == KQ_OK)
        st = index_foreach_document(b->index, restore_one, &r);
    if (st == KQ_OK)
        st = r.status;
    if (st == KQ_OK)
        st = store_foreach(b->store, collect_stale, &s);
    for (size_t i = 0; i < s.n; i++) {
        if (st == KQ_OK)
            st = store_delete(b->store, s.ids[i]);
        free(s.ids[i]);
    }
    free(s.ids);
    snprintf(rev, sizeof rev, "%llu", (unsigned long long)index_revision);
    if (st == KQ_OK)
        st = store_meta_set(b->store, "revision", rev);
    if (st == KQ_OK)
        st = store_commit(b->store);
    else
        store_rollback(b->store);
    if (st == KQ_OK)
        fprintf(stderr,
                "indexer: the store was behind the index (interrupted batch); restored %llu "
                "articles from the index\n",
                (unsigned long long)r.restored);
    return st;
}

batch *batch_open(const char *db_dir, kq_status *status, char *err, size_t err_size)
{
    batch *b = calloc(1, sizeof *b);
    char path[PATH_MAX];
    kq_status st = KQ_OK;
    char *meta = NULL;

    if (!b) {
        *status = KQ_ERR_NOMEM;
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    b->started = now_seconds();
    snprintf(b->dir, sizeof b->dir, "%s", db_dir);
    if (mkdir_p(db_dir) != 0) {
        st = errno == EROFS || errno == EACCES ? KQ_ERR_READONLY : KQ_ERR_IO;
        snprintf(err, err_size, "cannot create the database directory %s: %s", db_dir,
                 strerror(errno));
        goto fail;
    }
    dbpath_join(db_dir, DBPATH_LOCK, b->lock_path, sizeof b->lock_path);
    dbpath_join(db_dir, DBPATH_XAPIAN, path, sizeof path);
    b->index = index_open(path, INDEX_WRITE, &st, err, err_size);
    if (!b->index) {
        if (st == KQ_ERR_LOCKED) {
            char holder[400];
            describe_lock_holder(b->lock_path, holder, sizeof holder);
            snprintf(err, err_size,
                     "the index %s is being written by another indexer (%s); wait for it to "
                     "finish, or stop it",
                     db_dir, holder);
        }
        goto fail;
    }
    write_lock_file(b);
    dbpath_join(db_dir, DBPATH_STORE, path, sizeof path);
    b->store = store_open(path, 1, &st, err, err_size);
    if (!b->store)
        goto fail;
    b->analyzer = analyzer_new();
    b->doc = index_doc_new();
    if (!b->analyzer || !b->doc) {
        st = KQ_ERR_NOMEM;
        snprintf(err, err_size, "out of memory (or the French stemmer is missing)");
        goto fail;
    }

    meta = index_get_metadata(b->index, META_REVISION);
    b->revision = parse_revision(meta);
    free(meta);
    kq_status mst;
    meta = store_meta_get(b->store, "revision", &mst);
    if (parse_revision(meta) != b->revision) {
        st = repair_store(b, b->revision);
        if (st != KQ_OK) {
            snprintf(err, err_size, "cannot repair the store from the index: %s",
                     store_last_error(b->store));
            goto fail;
        }
    }
    free(meta);
    meta = NULL;

    st = index_begin(b->index);
    if (st == KQ_OK)
        st = store_begin(b->store);
    if (st != KQ_OK) {
        snprintf(err, err_size, "cannot start a batch: %s", status_to_string(st));
        goto fail;
    }
    *status = KQ_OK;
    return b;
fail:
    free(meta);
    *status = st != KQ_OK ? st : KQ_ERR_INTERNAL;
    batch_close(b);
    return NULL;
}

static void draw_progress(batch *b, article_reader *r, uint64_t done_before, uint64_t total,
                          int final)
{
    double t = now_seconds();
    if (!final && t - b->last_progress < 0.5)
        return;
    b->last_progress = t;
    const batch_counts *c = &b->counts;
    uint64_t n = c->added + c->updated + c->unchanged + c->rejected;
    double rate = n / (t - b->started > 1e-3 ? t - b->started : 1e-3);
    uint64_t done = done_before + (r ? article_reader_offset(r) : 0);
    char eta[32] = "";
    if (total && done > 0 && done < total && !final) {
        double left = (t - b->started) * (double)(total - done) / (double)done;
        snprintf(eta, sizeof eta, "  ETA %d:%02d", (int)left / 60, (int)left % 60);
    }
    fprintf(stderr, "\r\033[K%llu articles  %.0f/s%s", (unsigned long long)n, rate, eta);
    if (final)
        fputc('\n', stderr);
    b->progress_shown = 1;
}

static kq_status add_article(batch *b, article *art)
{
    char term[300], hash[17];
    unsigned docid;
    int seen = id_set_add(&b->seen, art->id);
    if (seen < 0)
        return KQ_ERR_NOMEM;
    if (seen)
        b->counts.repeated++;
    kq_status st = store_get_hash(b->store, art->id, hash);
    int exists = st == KQ_OK;
    if (st != KQ_OK && st != KQ_ERR_NOT_FOUND) {
        set_error(b, "cannot read the store: %s", store_last_error(b->store));
        return st;
    }
    if (exists && strcmp(hash, art->hash) == 0) {
        b->counts.unchanged++;
        return KQ_OK;
    }
    if (document_unique_term(art->id, term, sizeof term) != 0)
        return KQ_ERR_INVALID;
    st = document_build(b->analyzer, art, b->doc);
    /* The store knows whether the article is new: a new one needs no lookup. */
    if (st == KQ_OK)
        st = exists ? index_replace(b->index, term, b->doc, &docid)
                    : index_add(b->index, b->doc, &docid);
    if (st != KQ_OK) {
        set_error(b, "cannot index article %s: %s", art->id, index_last_error(b->index));
        return st;
    }
    st = store_put(b->store, art, docid);
    if (st != KQ_OK) {
        set_error(b, "cannot store article %s: %s", art->id, store_last_error(b->store));
        return st;
    }
    if (exists)
        b->counts.updated++;
    else
        b->counts.added++;
    return KQ_OK;
}

static kq_status add_file(batch *b, const char *path, int progress, uint64_t done_before,
                          uint64_t total)
{
    char err[512];
    article art = {0};
    kq_status st;
    article_reader *r = article_reader_open(path, err, sizeof err);
    if (!r) {
        set_error(b, "%s", err);
        return KQ_ERR_IO;
    }
    for (;;) {
        st = article_reader_next(r, &art, err, sizeof err);
        if (st == KQ_END) {
            st = KQ_OK;
            break;
        }
        if (st == KQ_ERR_INVALID) {
            if (b->progress_shown)
                fputs("\r\033[K", stderr);
            fprintf(stderr, "%s:%zu: rejected: %s\n", path, article_reader_line(r), err);
            b->counts.rejected++;
            continue;
        }
        if (st != KQ_OK) {
            set_error(b, "%s:%zu: %s", path, article_reader_line(r), err);
            break;
        }
        st = add_article(b, &art);
        article_clear(&art);
        if (st != KQ_OK)
            break;
        if (progress)
            draw_progress(b, r, done_before, total, 0);
    }
    article_clear(&art);
    article_reader_close(r);
    return st;
}

static int is_input_name(const char *name)
{
    static const char *const suffixes[] = {".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson"};
    size_t n = strlen(name);
    if (name[0] == '.')
        return 0;
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t m = strlen(suffixes[i]);
        if (n > m && strcmp(name + n - m, suffixes[i]) == 0)
            return 1;
    }
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

kq_status batch_add_path(batch *b, const char *path, int progress)
{
    struct stat sb;
    if (strcmp(path, "-") == 0 || stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        uint64_t total = strcmp(path, "-") != 0 && stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        kq_status st = add_file(b, path, progress && isatty(2), 0, total);
        if (b->progress_shown)
            draw_progress(b, NULL, 0, 0, 1), b->progress_shown = 0;
        return st;
    }

    DIR *d = opendir(path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0, done = 0;
    kq_status st = KQ_OK;
    struct dirent *e;
    if (!d) {
        set_error(b, "cannot open %s: %s", path, strerror(errno));
        return KQ_ERR_IO;
    }
    while ((e = readdir(d))) {
        if (!is_input_name(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) {
                st = KQ_ERR_NOMEM;
                break;
            }
            names = grown;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len))) {
            st = KQ_ERR_NOMEM;
            break;
        }
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        if (stat(names[n], &sb) == 0)
            total += (uint64_t)sb.st_size;
        n++;
    }
    closedir(d);
    if (st == KQ_OK)
        qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        if (st == KQ_OK) {
            st = add_file(b, names[i], progress && isatty(2), done, total);
            if (stat(names[i], &sb) == 0)
                done += (uint64_t)sb.st_size;
        }
        free(names[i]);
    }
    free(names);
    if (b->progress_shown)
        draw_progress(b, NULL, 0, 0, 1), b->progress_shown = 0;
    if (st == KQ_OK && n == 0)
        fprintf(stderr, "indexer: %s holds no .jsonl, .jsonl.gz or .json file\n", path);
    return st;
}

kq_status batch_delete(batch *b, const char *id)
{
    char term[300];
    if (document_unique_term(id, term, sizeof term) != 0) {
        b->counts.missing++;
        return KQ_ERR_NOT_FOUND;
    }
    kq_status st = index_delete(b->index, term);
    if (st == KQ_ERR_NOT_FOUND) {
        b->counts.missing++;
        return st;
    }
    if (st != KQ_OK) {
        set_error(b, "cannot delete article %s: %s", id, index_last_error(b->index));
        return st;
    }
    st = store_delete(b->store, id);
    if (st != KQ_OK && st != KQ_ERR_NOT_FOUND) {
        set_error(b, "cannot delete article %s from the store: %s", id,
                  store_last_error(b->store));
        return st;
    }
    b->counts.deleted++;
    return KQ_OK;
}

kq_status batch_commit(batch *b)
{
    char rev[32], when[32];
    kq_status st;
    const batch_counts *c = &b->counts;
    if (c->added + c->updated + c->deleted == 0) {
        /* Nothing changed: no new revision, and readers keep their caches. */
        index_cancel(b->index);
        store_rollback(b->store);
        return KQ_OK;
    }
    snprintf(rev, sizeof rev, "%llu", (unsigned long long)(b->revision + 1));
    iso_now(when);
    st = index_set_metadata(b->index, META_REVISION, rev);
    if (st == KQ_OK)
        st = index_set_metadata(b->index, META_LAST_UPDATE, when);
    if (st == KQ_OK)
        st = index_commit(b->index);
    if (st != KQ_OK) {
        set_error(b, "cannot commit the index: %s", index_last_error(b->index));
        return st;
    }
    b->revision++;
    st = store_meta_set(b->store, "revision", rev);
    if (st == KQ_OK)
        st = store_meta_set(b->store, "last_update", when);
    if (st == KQ_OK)
        st = store_commit(b->store);
    if (st != KQ_OK)
        set_error(b,
                  "the index is committed but the store is not (%s); the next run of the "
                  "indexer repairs it",
                  store_last_error(b->store));
    return st;
}

const batch_counts *batch_get_counts(const batch *b)
{
    return &b->counts;
}

const char *batch_last_error(const batch *b)
{
    return b->error;
}

void batch_close(batch *b)
{
    if (!b)
        return;
    store_close(b->store);
    if (b->index)
        unlink(b->lock_path);
    index_close(b->index);
    index_doc_free(b->doc);
    analyzer_free(b->analyzer);
    free(b->seen.slots);
    free(b);
}
