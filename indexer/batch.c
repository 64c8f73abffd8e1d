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
#include "check.h"
#include "article.h"
#include "dbpath.h"
#include "hash.h"
#include "document.h"
#include "input.h"
#include "index.h"
#include "shards.h"
#include "store.h"
#include "writer.h"

/* The identifiers met in this batch, exactly (sync deletes what it did not
 * see, so a hash collision must not pass for a sighting): an open
 * addressing set of copies, keyed by a 64-bit hash. */
struct id_slot {
    uint64_t hash; /* 0 marks an empty slot */
    char *id;
};

struct id_set {
    struct id_slot *slots;
    size_t cap, n;
};

struct batch {
    char dir[PATH_MAX];
    index_db *index;
    store *store;
    analyzer *analyzer;
    index_doc *doc;
    batch_counts counts;
    uint64_t revision; /* revision of the last committed batch */
    struct id_set seen;
    uint64_t indexed_before; /* articles in the index when the batch opened */
    uint64_t processed;      /* articles read in this run (for the crash hook) */
    double started;          /* monotonic seconds at open */
    double last_progress;    /* when the progress line was last drawn */
    int progress_shown;
    char error[1024];
    /* A sharded batch (see shards.h): new and changed articles get ids in
     * advance and go to the builder; ids to delete wait there for the merge. */
    unsigned jobs;            /* threads for a sharded build; 1: never sharded */
    uint64_t shard_min_bytes; /* inputs at least this large start one */
    shard_builder *shards;
    unsigned next_docid;
    unsigned shard, shard_count; /* batch_set_shard; shard_count 0 or 1: every article */
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

/* The set's hash of an id, never 0 (the mark of an empty slot). */
static uint64_t hash_id(const char *s)
{
    uint64_t h = hash_fnv1a_str(s);
    return h ? h : 1;
}

/* Adds id to the set; returns 1 when it was already there, 0 when new, -1 out of memory. */
static int id_set_add(struct id_set *set, const char *id)
{
    if (set->n * 2 >= set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 4096;
        struct id_slot *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < set->cap; i++) {
            if (!set->slots[i].hash)
                continue;
            size_t j = set->slots[i].hash & (cap - 1);
            while (slots[j].hash)
                j = (j + 1) & (cap - 1);
            slots[j] = set->slots[i];
        }
        free(set->slots);
        set->slots = slots;
        set->cap = cap;
    }
    uint64_t h = hash_id(id);
    size_t j = h & (set->cap - 1);
    while (set->slots[j].hash) {
        if (set->slots[j].hash == h && strcmp(set->slots[j].id, id) == 0)
            return 1;
        j = (j + 1) & (set->cap - 1);
    }
    char *copy = strdup(id);
    if (!copy)
        return -1;
    set->slots[j] = (struct id_slot){h, copy};
    set->n++;
    return 0;
}

static int id_set_has(const struct id_set *set, const char *id)
{
    if (!set->cap)
        return 0;
    uint64_t h = hash_id(id);
    size_t j = h & (set->cap - 1);
    while (set->slots[j].hash) {
        if (set->slots[j].hash == h && strcmp(set->slots[j].id, id) == 0)
            return 1;
        j = (j + 1) & (set->cap - 1);
    }
    return 0;
}

static void id_set_free(struct id_set *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slots[i].id);
    free(set->slots);
    *set = (struct id_set){0};
}

static void iso_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
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

/* Reads the revision of the last committed batch from the index into
 * b->revision; on failure, the reason goes into err. */
static kq_status read_revision(batch *b, char *err, size_t err_size)
{
    kq_status st;
    char *meta = index_get_metadata(b->index, DOCUMENT_META_REVISION, &st);
    if (!meta) {
        snprintf(err, err_size, "cannot read the index's revision: %s", index_last_error(b->index));
        return st;
    }
    b->revision = parse_revision(meta);
    free(meta);
    return KQ_OK;
}

/* The metadata a commit of the index carries (document.h): the version of
 * its near-duplicate keys, the batch revision and the time. */
static kq_status stamp_index(index_db *idx, const char *rev, const char *when)
{
    kq_status st =
        index_set_metadata(idx, DOCUMENT_META_COLLAPSE_KEY, DOCUMENT_COLLAPSE_KEY_VERSION);
    if (st == KQ_OK)
        st = index_set_metadata(idx, DOCUMENT_META_REVISION, rev);
    if (st == KQ_OK)
        st = index_set_metadata(idx, DOCUMENT_META_LAST_UPDATE, when);
    return st;
}

/* The store's side of the same commit: its revision and time, committed. */
static kq_status stamp_store(store *s, const char *rev, const char *when)
{
    kq_status st = store_meta_set(s, "revision", rev);
    if (st == KQ_OK)
        st = store_meta_set(s, "last_update", when);
    if (st == KQ_OK)
        st = store_commit(s);
    return st;
}

/* The near-duplicate keys of the index, rewritten: each document's own
 * key, from the article its data holds. */
struct rekey {
    analyzer *analyzer;
    unsigned *docids;
    char (*keys)[17];
    size_t n, cap;
    uint64_t unreadable;
    kq_status status;
};

static int rekey_one(void *ctx, unsigned docid, const char *data, size_t len)
{
    struct rekey *r = ctx;
    article art = {0};
    char why[256];
    kq_status st = document_read_article(data, len, &art, why, sizeof why);
    if (st == KQ_ERR_CORRUPT) { /* indexer check reports it; its key stays */
        r->unreadable++;
        return 0;
    }
    if (st == KQ_OK && r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        unsigned *d = realloc(r->docids, cap * sizeof *d);
        if (d)
            r->docids = d;
        char(*k)[17] = d ? realloc(r->keys, cap * sizeof *k) : NULL;
        if (k)
            r->keys = k, r->cap = cap;
        else
            st = KQ_ERR_NOMEM;
    }
    if (st == KQ_OK)
        st = document_duplicate_key(r->analyzer, &art, NULL, r->keys[r->n]);
    if (st == KQ_OK)
        r->docids[r->n++] = docid;
    article_clear(&art);
    r->status = st;
    return st != KQ_OK;
}

/* An index whose near-duplicate keys are of another version than
 * DOCUMENT_COLLAPSE_KEY_VERSION (document.h; an index written before
 * version 2 has none) gets every key rewritten, and the version, in a
 * batch of its own committed before the run's: keys of two versions never
 * match, so copies indexed before and after would not collapse.  A new
 * revision, so that searchd drops the replies it cached.  A crash leaves
 * the previous keys, rewritten by the next run. */
static kq_status rekey_duplicates(batch *b, uint64_t documents, char *err, size_t err_size)
{
    kq_status st;
    char *version = index_get_metadata(b->index, DOCUMENT_META_COLLAPSE_KEY, &st);
    if (!version) {
        snprintf(err, err_size, "cannot read the index's metadata: %s", index_last_error(b->index));
        return st;
    }
    int current = strcmp(version, DOCUMENT_COLLAPSE_KEY_VERSION) == 0;
    free(version);
    if (current || documents == 0) /* an empty index gets the version at its first commit */
        return KQ_OK;
    struct rekey r = {.analyzer = b->analyzer, .status = KQ_OK};
    char rev[32], when[32];
    snprintf(rev, sizeof rev, "%llu", (unsigned long long)(b->revision + 1));
    iso_now(when);
    st = index_begin(b->index);
    if (st == KQ_OK)
        st = index_foreach_document(b->index, rekey_one, &r);
    if (st == KQ_OK)
        st = r.status;
    for (size_t i = 0; i < r.n && st == KQ_OK; i++)
        st = index_set_document_value(b->index, r.docids[i], DOCUMENT_SLOT_COLLAPSE, r.keys[i], 16);
    if (st == KQ_OK)
        st = stamp_index(b->index, rev, when);
    if (st == KQ_OK)
        st = index_commit(b->index);
    if (st != KQ_OK) {
        snprintf(err, err_size, "cannot rewrite the near-duplicate keys: %s",
                 index_last_error(b->index));
        index_cancel(b->index);
        goto out;
    }
    b->revision++;
    /* The store follows, as after any batch (a crash here: repaired at the
     * next open, the store being behind the index). */
    st = store_begin(b->store);
    if (st == KQ_OK)
        st = stamp_store(b->store, rev, when);
    if (st != KQ_OK)
        snprintf(err, err_size, "the keys are rewritten but the store is not in step (%s)",
                 store_last_error(b->store));
    else
        fprintf(stderr,
                "indexer: near-duplicate keys of %zu indexed articles rewritten (key version "
                "%s)%s\n",
                r.n, DOCUMENT_COLLAPSE_KEY_VERSION,
                r.unreadable ? "; unreadable documents kept theirs (run indexer check)" : "");
out:
    free(r.docids);
    free(r.keys);
    return st;
}

void batch_set_jobs(batch *b, unsigned jobs, uint64_t min_bytes)
{
    b->jobs = jobs;
    b->shard_min_bytes = min_bytes;
}

batch *batch_open(const char *db_dir, kq_status *status, char *err, size_t err_size)
{
    batch *b = calloc(1, sizeof *b);
    char path[PATH_MAX];
    kq_status st = KQ_OK;
    char *meta = NULL;
    index_stats stats = {0};

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
    dbpath_join(db_dir, DBPATH_XAPIAN, path, sizeof path);
    b->jobs = 1;
    shards_restore_retired(db_dir);
    b->index = index_open(path, INDEX_WRITE, &st, err, err_size);
    if (!b->index) {
        if (st == KQ_ERR_LOCKED) {
            char holder[400];
            writer_note_holder(db_dir, holder, sizeof holder);
            snprintf(err, err_size,
                     "the index %s is being written by another indexer (%s); wait for it to "
                     "finish, or stop it",
                     db_dir, holder);
        }
        goto fail;
    }
    writer_note_write(db_dir);
    shards_remove_leftovers(db_dir);
    dbpath_join(db_dir, DBPATH_STORE, path, sizeof path);
    b->store = store_open(path, 1, &st, err, err_size);
    if (!b->store) {
        if (st == KQ_ERR_CORRUPT) {
            char detail[512];
            snprintf(detail, sizeof detail, "%s", err);
            snprintf(err, err_size,
                     "the store %s is damaged (%s); run `indexer check` to rebuild it from the "
                     "index",
                     path, detail);
        }
        goto fail;
    }
    b->analyzer = analyzer_new();
    b->doc = index_doc_new();
    if (!b->analyzer || !b->doc) {
        st = KQ_ERR_NOMEM;
        snprintf(err, err_size, "out of memory (or the French stemmer is missing)");
        goto fail;
    }

    if ((st = read_revision(b, err, err_size)) != KQ_OK)
        goto fail;
    kq_status mst;
    meta = store_meta_get(b->store, "revision", &mst);
    if (parse_revision(meta) != b->revision) {
        /* A crash fell between the two commits of a batch (or the store was
         * replaced): bring the store back in step with the index, exactly as
         * `indexer check` does, before anything is decided from it. */
        check_report r = {0};
        char why[512];
        st = check_handles(b->index, b->store, 1, &r, why, sizeof why);
        if (st != KQ_OK) {
            snprintf(err, err_size, "cannot repair the store from the index: %s", why);
            goto fail;
        }
        /* Unreadable documents cannot be repaired from the index; the batch
         * goes on, so that the articles can be added again. */
        if (r.unreadable)
            fprintf(stderr,
                    "indexer: %llu indexed documents are unreadable (listed above): add those "
                    "articles again\n",
                    (unsigned long long)r.unreadable);
        fprintf(stderr,
                "indexer: the store was behind the index (interrupted batch); repaired it from "
                "the index (%llu rows written, %llu deleted)\n",
                (unsigned long long)(r.missing_rows + r.wrong_rows),
                (unsigned long long)r.stale_rows);
        if ((st = read_revision(b, err, err_size)) != KQ_OK)
            goto fail;
    }
    free(meta);
    meta = NULL;

    writer_crash_point("open");
    st = index_get_stats(b->index, &stats);
    b->indexed_before = stats.documents;
    if (st == KQ_OK && (st = rekey_duplicates(b, stats.documents, err, err_size)) != KQ_OK)
        goto fail;
    if (st == KQ_OK)
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
    if (st == KQ_ERR_READONLY || st == KQ_ERR_FULL) {
        char detail[512];
        snprintf(detail, sizeof detail, "%s", err);
        snprintf(err, err_size, "cannot write to the database %s: %s (%s)", db_dir,
                 st == KQ_ERR_FULL ? "the disk is full"
                                   : "it is on a read-only file system or not writable",
                 detail);
    }
    free(meta);
    *status = st != KQ_OK ? st : KQ_ERR_INTERNAL;
    batch_close(b);
    return NULL;
}

static void draw_progress(batch *b, input *in, uint64_t done_before, uint64_t total, int final)
{
    double t = now_seconds();
    if (!final && t - b->last_progress < 0.5)
        return;
    b->last_progress = t;
    const batch_counts *c = &b->counts;
    uint64_t n = c->added + c->updated + c->unchanged + c->rejected;
    double rate = (double)n / (t - b->started > 1e-3 ? t - b->started : 1e-3);
    uint64_t done = done_before + (in ? input_offset(in) : 0);
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

/* Writes the article's row (under document `docid`) into the store and
 * counts it as added, or as updated when it `exists`. */
static kq_status record_article(batch *b, const article *art, unsigned docid, int exists)
{
    kq_status st = store_put(b->store, art, docid);
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

/* A sharded batch: the article gets the next id, the store records it now,
 * the builder indexes it, and its previous version is deleted at the merge
 * (it may be in the index or in a part, when it came twice). */
static kq_status add_to_shards(batch *b, article *art, int exists, unsigned old_docid)
{
    kq_status st;
    if (b->next_docid == UINT_MAX) {
        set_error(b, "no document id left in the index");
        return KQ_ERR_FULL;
    }
    unsigned docid = b->next_docid++;
    if (exists && (st = shards_drop_later(b->shards, old_docid)) != KQ_OK) {
        set_error(b, "out of memory");
        return st;
    }
    if ((st = record_article(b, art, docid, exists)) != KQ_OK)
        return st;
    st = shards_add(b->shards, art, docid);
    if (st != KQ_OK)
        set_error(b, "%s", shards_last_error(b->shards));
    return st;
}

/* Starts a sharded build when inputs of `bytes` bytes make one worth it. */
static kq_status maybe_start_shards(batch *b, uint64_t bytes)
{
    char work[PATH_MAX], err[512];
    index_stats stats;
    if (b->shards || b->jobs < 2 || bytes < b->shard_min_bytes)
        return KQ_OK;
    /* Articles of an earlier input of this batch already went into the
     * index, uncommitted: a compaction reads the committed index only, so
     * the rest of the batch goes the same way. */
    if (b->counts.added + b->counts.updated + b->counts.deleted > 0)
        return KQ_OK;
    kq_status st = index_get_stats(b->index, &stats);
    if (st != KQ_OK) {
        set_error(b, "cannot read the index: %s", index_last_error(b->index));
        return st;
    }
    dbpath_join(b->dir, DBPATH_BUILD, work, sizeof work);
    shards_remove_tree(work);
    b->shards = shards_start(work, b->jobs, err, sizeof err);
    if (!b->shards) {
        set_error(b, "%s", err);
        return KQ_ERR_IO;
    }
    b->next_docid = (unsigned)stats.last_docid + 1;
    return KQ_OK;
}

void batch_set_shard(batch *b, unsigned index, unsigned count)
{
    b->shard = index;
    b->shard_count = count;
}

static kq_status add_article(batch *b, article *art)
{
    char term[300], hash[17];
    unsigned docid;
    if (b->shard_count > 1 && hash_shard_of(art->id, b->shard_count) != b->shard) {
        b->counts.elsewhere++;
        return KQ_OK;
    }
    int seen = id_set_add(&b->seen, art->id);
    if (seen < 0)
        return KQ_ERR_NOMEM;
    if (seen)
        b->counts.repeated++;
    unsigned old_docid = 0;
    kq_status st = store_get_hash(b->store, art->id, hash, &old_docid);
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
    if (b->shards)
        return add_to_shards(b, art, exists, old_docid);
    st = document_build(b->analyzer, art, b->doc);
    /* The store knows whether the article is new: a new one needs no lookup. */
    if (st == KQ_OK)
        st = exists ? index_replace(b->index, term, b->doc, &docid)
                    : index_add(b->index, b->doc, &docid);
    if (st != KQ_OK) {
        set_error(b, "cannot index article %s: %s", art->id, index_last_error(b->index));
        return st;
    }
    return record_article(b, art, docid, exists);
}

/* Reports a rejected input (a line of an export, or a whole page). */
static void reject(batch *b, const char *path, size_t line, const char *why)
{
    if (b->progress_shown)
        fputs("\r\033[K", stderr);
    if (line)
        fprintf(stderr, "%s:%zu: rejected: %s\n", path, line, why);
    else
        fprintf(stderr, "%s: rejected: %s\n", path, why);
    b->counts.rejected++;
}

/* Adds every article of one input (input.h): an export, or a page. */
static kq_status add_file(batch *b, const char *path, int progress, uint64_t done_before,
                          uint64_t total)
{
    char err[512];
    article art = {0};
    input *in;
    uint64_t read = 0, rejected = b->counts.rejected, skipped = b->counts.skipped;
    kq_status st = input_open(path, &in, err, sizeof err);
    if (st != KQ_OK) {
        set_error(b, "%s", err);
        return st;
    }
    progress = progress && input_is_stream(in);
    for (;;) {
        st = input_next(in, &art, err, sizeof err);
        if (st == KQ_END) {
            st = KQ_OK;
            break;
        }
        if (st == KQ_ERR_INVALID) {
            reject(b, path, input_line(in), err);
            continue;
        }
        if (st == KQ_ERR_NOT_FOUND) {
            /* A home, section or error page: reported with its reason, but
             * counted apart from rejected lines, since it holds no article
             * a sync could lose (a folder of pages holds such pages). */
            if (b->progress_shown)
                fputs("\r\033[K", stderr);
            fprintf(stderr, "%s: rejected: %s\n", path, err);
            b->counts.skipped++;
            continue;
        }
        if (st != KQ_OK) {
            if (input_is_stream(in))
                set_error(b, "%s:%zu: %s", path, input_line(in), err);
            else
                set_error(b, "%s", err);
            break;
        }
        st = add_article(b, &art);
        article_clear(&art);
        if (st != KQ_OK)
            break;
        read++;
        writer_crash_after_articles(++b->processed);
        if (progress)
            draw_progress(b, in, done_before, total, 0);
    }
    article_clear(&art);
    input_close(in);
    if (st == KQ_OK && read == 0 && b->counts.rejected == rejected &&
        b->counts.skipped == skipped) {
        if (b->progress_shown)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "indexer: %s holds no article\n",
                strcmp(path, "-") == 0 ? "standard input" : path);
    }
    return st;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The input files under a directory, gathered depth first. */
struct file_list {
    char **names;
    size_t n, cap;
    uint64_t bytes;  /* their sizes, in bytes */
    uint64_t weight; /* their text, roughly (input_weight) */
};

/* Adds the input files under dir, descending into subdirectories (hidden
 * ones and symbolic links to directories are skipped, so no loop). */
static kq_status list_inputs(batch *b, const char *dir, struct file_list *l, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    kq_status st = KQ_OK;
    if (!d) {
        set_error(b, "cannot open %s: %s", dir, strerror(errno));
        return KQ_ERR_IO;
    }
    while (st == KQ_OK && (e = readdir(d))) {
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path) {
            st = KQ_ERR_NOMEM;
            break;
        }
        snprintf(path, len, "%s/%s", dir, e->d_name);
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if (depth < 32)
                st = list_inputs(b, path, l, depth + 1);
            free(path);
            continue;
        }
        if (!input_is_name(e->d_name) || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(path);
            continue;
        }
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 16;
            char **grown = realloc(l->names, cap * sizeof *grown);
            if (!grown) {
                free(path);
                st = KQ_ERR_NOMEM;
                break;
            }
            l->names = grown;
            l->cap = cap;
        }
        l->names[l->n++] = path;
        l->bytes += (uint64_t)sb.st_size;
        l->weight += input_weight(path, (uint64_t)sb.st_size);
    }
    closedir(d);
    return st;
}

kq_status batch_add_path(batch *b, const char *path, int progress)
{
    struct stat sb;
    if (strcmp(path, "-") == 0 || stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        uint64_t total = strcmp(path, "-") != 0 && stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        kq_status st = maybe_start_shards(b, input_weight(path, total));
        if (st != KQ_OK)
            return st;
        st = add_file(b, path, progress && isatty(2), 0, total);
        if (st == KQ_ERR_IO)
            b->counts.unreadable++;
        if (b->progress_shown)
            draw_progress(b, NULL, 0, 0, 1), b->progress_shown = 0;
        return st;
    }

    struct file_list l = {0};
    uint64_t done = 0;
    kq_status st = list_inputs(b, path, &l, 0);
    if (st == KQ_ERR_IO)
        b->counts.unreadable++;
    if (st == KQ_OK)
        qsort(l.names, l.n, sizeof *l.names, compare_names);
    if (st == KQ_OK)
        st = maybe_start_shards(b, l.weight);
    for (size_t i = 0; i < l.n; i++) {
        if (st == KQ_OK) {
            st = add_file(b, l.names[i], progress && isatty(2), done, l.bytes);
            if (st == KQ_ERR_IO) {
                /* One unreadable file does not stop the others. */
                b->counts.unreadable++;
                fprintf(stderr, "indexer: %s\n", b->error);
                st = KQ_OK;
            }
            if (stat(l.names[i], &sb) == 0)
                done += (uint64_t)sb.st_size;
        }
        free(l.names[i]);
    }
    free(l.names);
    if (b->progress_shown)
        draw_progress(b, NULL, 0, 0, 1), b->progress_shown = 0;
    if (st == KQ_OK && l.n == 0)
        fprintf(stderr, "indexer: %s holds no .jsonl, .jsonl.gz, .json, .html or .htm file\n",
                path);
    return st;
}

kq_status batch_delete(batch *b, const char *id)
{
    char term[300];
    if (document_unique_term(id, term, sizeof term) != 0) {
        b->counts.missing++;
        return KQ_ERR_NOT_FOUND;
    }
    kq_status st;
    if (b->shards) {
        /* The index is a source of the merge: it must not change before. */
        unsigned docid;
        st = index_lookup(b->index, term, &docid);
        if (st == KQ_OK)
            st = shards_drop_later(b->shards, docid);
    } else {
        st = index_delete(b->index, term);
    }
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
        set_error(b, "cannot delete article %s from the store: %s", id, store_last_error(b->store));
        return st;
    }
    b->counts.deleted++;
    return KQ_OK;
}

struct absent {
    const struct id_set *seen;
    char **ids;
    size_t n, cap;
};

static int collect_absent(void *ctx, const char *id, unsigned docid, const char *hash)
{
    struct absent *a = ctx;
    if (id_set_has(a->seen, id))
        return 0;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        char **ids = realloc(a->ids, cap * sizeof *ids);
        if (!ids)
            return 1;
        a->ids = ids;
        a->cap = cap;
    }
    a->ids[a->n] = strdup(id);
    return a->ids[a->n++] == NULL;
}

kq_status batch_sync(batch *b, int force)
{
    struct absent a = {&b->seen, NULL, 0, 0};
    const batch_counts *c = &b->counts;
    char reason[256] = "";
    kq_status st = store_foreach(b->store, collect_absent, &a);
    if (st != KQ_OK) {
        set_error(b, "cannot list the stored articles: %s", store_last_error(b->store));
        goto out;
    }
    if (a.n && a.ids[a.n - 1] == NULL) {
        st = KQ_ERR_NOMEM;
        set_error(b, "out of memory");
        goto out;
    }
    if (b->seen.n == 0)
        snprintf(reason, sizeof reason, "the export holds no article");
    else if (c->rejected)
        snprintf(reason, sizeof reason,
                 "the export had %llu rejected line(s), whose articles would be deleted",
                 (unsigned long long)c->rejected);
    else if (c->unreadable)
        snprintf(reason, sizeof reason, "%llu input(s) could not be read to the end",
                 (unsigned long long)c->unreadable);
    else if (a.n > 0 && a.n >= b->indexed_before)
        snprintf(reason, sizeof reason, "it would delete every article of the archive");
    else if (a.n > BATCH_SYNC_MAX_DELETE && a.n * 2 > b->indexed_before)
        snprintf(reason, sizeof reason,
                 "it would delete %zu of the %llu articles of the archive (more than half)", a.n,
                 (unsigned long long)b->indexed_before);
    if (a.n > 0 && reason[0] && !force) {
        b->counts.kept = a.n;
        set_error(b, "%s", reason);
        st = KQ_ERR_INVALID;
        goto out;
    }
    for (size_t i = 0; i < a.n && st == KQ_OK; i++) {
        st = batch_delete(b, a.ids[i]);
        if (st == KQ_ERR_NOT_FOUND) {
            /* In the store but not in the index: the row alone goes. */
            b->counts.missing--;
            st = store_delete(b->store, a.ids[i]);
            if (st == KQ_OK)
                b->counts.deleted++;
            else
                set_error(b, "cannot delete article %s from the store: %s", a.ids[i],
                          store_last_error(b->store));
        }
        if (i == 0)
            writer_crash_point("sync-delete");
    }
out:
    for (size_t i = 0; i < a.n; i++)
        free(a.ids[i]);
    free(a.ids);
    return st;
}

kq_status batch_commit(batch *b)
{
    char rev[32], when[32], target[64];
    index_db *merged = NULL;
    kq_status st;
    const batch_counts *c = &b->counts;
    if (c->added + c->updated + c->deleted == 0) {
        /* Nothing changed: no new revision, and readers keep their caches. */
        index_cancel(b->index);
        store_rollback(b->store);
        return KQ_OK;
    }
    b->error[0] = '\0';
    snprintf(rev, sizeof rev, "%llu", (unsigned long long)(b->revision + 1));
    iso_now(when);
    st = KQ_OK;
    if (b->shards) {
        st = shards_merge(b->shards, b->index, b->dir, b->indexed_before, rev, when, &merged,
                          target, sizeof target);
        if (st != KQ_OK) {
            set_error(b, "%s", shards_last_error(b->shards));
            return st;
        }
    }
    if (!merged)
        st = stamp_index(b->index, rev, when);
    writer_crash_point("index-commit");
    if (st == KQ_OK && merged) {
        st = shards_switch(b->shards, b->dir, &b->index, merged, target);
        if (st != KQ_OK)
            set_error(b, "%s", shards_last_error(b->shards));
    } else if (st == KQ_OK) {
        st = index_commit(b->index);
    }
    if (st != KQ_OK) {
        if (!b->error[0])
            set_error(b, "cannot commit the index: %s", index_last_error(b->index));
        return st;
    }
    b->revision++;
    writer_crash_point("between-commits");
    st = stamp_store(b->store, rev, when);
    if (st != KQ_OK)
        set_error(b,
                  "the index is committed but the store is not (%s); the next run of the "
                  "indexer repairs it",
                  store_last_error(b->store));
    else
        writer_crash_point("store-commit");
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
    shards_free(b->shards);
    store_close(b->store);
    if (b->index)
        writer_note_remove(b->dir);
    index_close(b->index);
    index_doc_free(b->doc);
    analyzer_free(b->analyzer);
    id_set_free(&b->seen);
    free(b);
}
