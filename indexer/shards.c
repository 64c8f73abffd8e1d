#define _XOPEN_SOURCE 700 /* nftw */
#include "shards.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer.h"
#include "dbpath.h"
#include "document.h"
#include "index.h"
#include "writer.h"

/* One block of consecutive document ids, and the part it becomes. */
struct block {
    article *arts;
    unsigned *docids;
    size_t n;
    size_t part; /* index into paths */
    struct block *next;
};

struct shard_builder {
    char dir[PATH_MAX];
    pthread_mutex_t lock;
    pthread_cond_t changed;    /* a block was queued or taken, or the builder stops */
    struct block *head, *tail; /* blocks waiting for a worker */
    size_t queued;
    struct block *filling; /* the block shards_add is filling */
    char **paths;
    size_t n_paths, cap_paths;
    uint64_t docs;
    unsigned busy; /* workers building a part */
    int closing;   /* no more blocks will come */
    kq_status failed;
    char error[1024];
    pthread_t *threads;
    unsigned n_threads;
    /* Document ids to delete once the parts are merged (shards_drop_later). */
    unsigned *drop;
    size_t n_drop, cap_drop;
};

static void block_free(struct block *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        article_clear(&b->arts[i]);
    free(b->arts);
    free(b->docids);
    free(b);
}

static struct block *block_new(void)
{
    struct block *b = calloc(1, sizeof *b);
    if (b) {
        b->arts = calloc(SHARDS_BLOCK, sizeof *b->arts);
        b->docids = calloc(SHARDS_BLOCK, sizeof *b->docids);
    }
    if (!b || !b->arts || !b->docids) {
        block_free(b);
        return NULL;
    }
    return b;
}

/* Records the first failure (the caller holds the lock). */
static void fail_locked(shard_builder *s, kq_status st, const char *fmt, ...)
{
    if (s->failed != KQ_OK)
        return;
    s->failed = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
    pthread_cond_broadcast(&s->changed);
}

/* Builds one part: every article of the block, at its id. */
static kq_status build_part(const char *path, struct block *b, analyzer *a, index_doc *doc,
                            char *err, size_t err_size)
{
    kq_status st;
    index_db *db = index_open(path, INDEX_SCRATCH, &st, err, err_size);
    if (!db)
        return st;
    for (size_t i = 0; i < b->n && st == KQ_OK; i++) {
        st = document_build(a, &b->arts[i], doc);
        if (st != KQ_OK) {
            snprintf(err, err_size, "cannot analyse article %s: %s", b->arts[i].id,
                     status_to_string(st));
            break;
        }
        st = index_add_at(db, b->docids[i], doc);
        if (st == KQ_OK && (i + 1) % SHARDS_FLUSH == 0)
            st = index_flush(db);
        if (st != KQ_OK)
            snprintf(err, err_size, "cannot index article %s: %s", b->arts[i].id,
                     index_last_error(db));
    }
    if (st == KQ_OK && (st = index_flush(db)) != KQ_OK)
        snprintf(err, err_size, "cannot write a part of the build: %s", index_last_error(db));
    index_close(db);
    if (st == KQ_OK)
        writer_crash_point("part"); /* a part written, the batch not merged */
    return st;
}

static void *worker_main(void *arg)
{
    shard_builder *s = arg;
    analyzer *a = analyzer_new();
    index_doc *doc = index_doc_new();
    char err[1024];
    pthread_mutex_lock(&s->lock);
    if (!a || !doc)
        fail_locked(s, KQ_ERR_NOMEM, "out of memory (or the French stemmer is missing)");
    for (;;) {
        while (!s->head && !s->closing)
            pthread_cond_wait(&s->changed, &s->lock);
        struct block *b = s->head;
        if (!b)
            break;
        s->head = b->next;
        if (!s->head)
            s->tail = NULL;
        s->queued--;
        s->busy++;
        int skip = s->failed != KQ_OK;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s", s->paths[b->part]);
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->lock);

        kq_status st = skip ? KQ_OK : build_part(path, b, a, doc, err, sizeof err);
        size_t n = b->n;
        block_free(b);

        pthread_mutex_lock(&s->lock);
        s->busy--;
        if (st != KQ_OK)
            fail_locked(s, st, "%s", err);
        else if (!skip)
            s->docs += n;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->lock);
    analyzer_free(a);
    index_doc_free(doc);
    return NULL;
}

/* The merge opens every part at once, five files each: a million articles
 * make 500 parts, past the usual soft limit of 1,024 open files.  The hard
 * limit is the system's word; the soft one is raised to it. */
static void raise_open_files_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

shard_builder *shards_start(const char *work_dir, unsigned threads, char *err, size_t err_size)
{
    shard_builder *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (threads < 1)
        threads = 1;
    raise_open_files_limit();
    snprintf(s->dir, sizeof s->dir, "%s", work_dir);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    if (mkdir(work_dir, 0755) != 0) {
        snprintf(err, err_size, "cannot create %s: %s", work_dir, strerror(errno));
        s->dir[0] = '\0'; /* not ours to remove */
        shards_free(s);
        return NULL;
    }
    s->threads = calloc(threads, sizeof *s->threads);
    if (!s->threads) {
        snprintf(err, err_size, "out of memory");
        shards_free(s);
        return NULL;
    }
    for (; s->n_threads < threads; s->n_threads++) {
        if (pthread_create(&s->threads[s->n_threads], NULL, worker_main, s) != 0) {
            snprintf(err, err_size, "cannot start the indexing threads");
            shards_free(s);
            return NULL;
        }
    }
    return s;
}

/* Queues the block being filled (the caller holds the lock): it gets the
 * next part's path.  Waits while as many blocks wait as there are workers. */
static kq_status queue_filling(shard_builder *s)
{
    struct block *b = s->filling;
    if (!b || b->n == 0)
        return s->failed;
    while (s->queued >= s->n_threads && s->failed == KQ_OK)
        pthread_cond_wait(&s->changed, &s->lock);
    if (s->failed != KQ_OK)
        return s->failed;
    if (s->n_paths == s->cap_paths) {
        size_t cap = s->cap_paths ? s->cap_paths * 2 : 16;
        char **paths = realloc(s->paths, cap * sizeof *paths);
        if (!paths)
            goto nomem;
        s->paths = paths;
        s->cap_paths = cap;
    }
    char path[PATH_MAX];
    int len = snprintf(path, sizeof path, "%s/part-%06zu", s->dir, s->n_paths);
    if (len < 0 || (size_t)len >= sizeof path) {
        fail_locked(s, KQ_ERR_INVALID, "database path too long: %s", s->dir);
        return s->failed;
    }
    if (!(s->paths[s->n_paths] = strdup(path)))
        goto nomem;
    b->part = s->n_paths++;
    s->filling = NULL;
    if (s->tail)
        s->tail->next = b;
    else
        s->head = b;
    s->tail = b;
    s->queued++;
    pthread_cond_broadcast(&s->changed);
    return KQ_OK;
nomem:
    fail_locked(s, KQ_ERR_NOMEM, "out of memory");
    return s->failed;
}

kq_status shards_add(shard_builder *s, article *art, unsigned docid)
{
    kq_status st = KQ_OK;
    pthread_mutex_lock(&s->lock);
    if (s->failed != KQ_OK) {
        st = s->failed;
        goto out;
    }
    if (!s->filling && !(s->filling = block_new())) {
        fail_locked(s, KQ_ERR_NOMEM, "out of memory");
        st = s->failed;
        goto out;
    }
    struct block *b = s->filling;
    b->arts[b->n] = *art;
    b->docids[b->n] = docid;
    b->n++;
    memset(art, 0, sizeof *art);
    if (b->n == SHARDS_BLOCK)
        st = queue_filling(s);
out:
    pthread_mutex_unlock(&s->lock);
    return st;
}

kq_status shards_finish(shard_builder *s, const char *const **paths, size_t *n, uint64_t *docs)
{
    pthread_mutex_lock(&s->lock);
    kq_status st = queue_filling(s);
    while (st == KQ_OK && (s->head || s->busy) && s->failed == KQ_OK)
        pthread_cond_wait(&s->changed, &s->lock);
    if (st == KQ_OK)
        st = s->failed;
    pthread_mutex_unlock(&s->lock);
    if (st == KQ_OK) {
        *paths = (const char *const *)s->paths;
        *n = s->n_paths;
        *docs = s->docs;
    }
    return st;
}

/* Records a failure of the merge or the switch (the workers are done). */
static void merge_failed(shard_builder *s, kq_status st, const char *fmt, ...)
{
    s->failed = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
}

kq_status shards_drop_later(shard_builder *s, unsigned docid)
{
    if (s->n_drop == s->cap_drop) {
        size_t cap = s->cap_drop ? s->cap_drop * 2 : 64;
        unsigned *d = realloc(s->drop, cap * sizeof *d);
        if (!d)
            return KQ_ERR_NOMEM;
        s->drop = d;
        s->cap_drop = cap;
    }
    s->drop[s->n_drop++] = docid;
    return KQ_OK;
}

/* Deletes the ids waiting for the merge from db (a writer in a
 * transaction); an id already gone is not an error. */
static kq_status apply_drops(shard_builder *s, index_db *db)
{
    for (size_t i = 0; i < s->n_drop; i++) {
        kq_status st = index_delete_document(db, s->drop[i]);
        if (st != KQ_OK && st != KQ_ERR_NOT_FOUND) {
            merge_failed(s, st, "cannot delete document %u: %s", s->drop[i], index_last_error(db));
            return st;
        }
    }
    return KQ_OK;
}

kq_status shards_merge(shard_builder *s, index_db *index, const char *db_dir,
                       uint64_t indexed_before, const char *rev, const char *when,
                       index_db **merged, char *target, size_t target_size)
{
    const char *const *parts;
    size_t n_parts;
    uint64_t docs;
    char err[1024], xapian[PATH_MAX], dest[PATH_MAX];
    kq_status st = shards_finish(s, &parts, &n_parts, &docs);
    if (st != KQ_OK)
        return st;
    *merged = NULL;
    target[0] = '\0';
    writer_crash_point("merge"); /* every part written, none merged */
    /* A compaction rewrites the whole index (0.15 ms an article here: the
     * 36k corpus in 5.4 s), where a copy goes through Xapian's inverter
     * again, about what indexing an article costs (2 to 3 ms): from a tenth,
     * the compaction is cheaper. */
    if (docs * 10 < indexed_before) {
        for (size_t i = 0; i < n_parts && st == KQ_OK; i++)
            st = index_copy_from(index, parts[i]);
        if (st == KQ_OK)
            st = apply_drops(s, index);
        if (st != KQ_OK)
            merge_failed(s, st, "cannot add the indexed parts: %s", index_last_error(index));
        return st;
    }
    const char **sources = calloc(n_parts + 1, sizeof *sources);
    if (!sources) {
        merge_failed(s, KQ_ERR_NOMEM, "out of memory");
        return KQ_ERR_NOMEM;
    }
    size_t n = 0;
    dbpath_join(db_dir, DBPATH_XAPIAN, xapian, sizeof xapian);
    if (indexed_before > 0)
        sources[n++] = xapian;
    for (size_t i = 0; i < n_parts; i++)
        sources[n++] = parts[i];
    snprintf(target, target_size, "%s.r%s", DBPATH_XAPIAN, rev);
    dbpath_join(db_dir, target, dest, sizeof dest);
    shards_remove_tree(dest);
    st = index_compact(sources, n, dest, 1, err, sizeof err);
    free(sources);
    if (st != KQ_OK) {
        merge_failed(s, st, "cannot merge the indexed parts: %s", err);
        return st;
    }
    index_db *db = index_open(dest, INDEX_WRITE, &st, err, sizeof err);
    if (!db) {
        merge_failed(s, st, "cannot open the merged index: %s", err);
        return st;
    }
    st = index_begin(db);
    if (st == KQ_OK && (st = apply_drops(s, db)) != KQ_OK) {
        index_close(db);
        return st;
    }
    if (st == KQ_OK)
        st = index_set_metadata(db, DOCUMENT_META_COLLAPSE_KEY, DOCUMENT_COLLAPSE_KEY_VERSION);
    if (st == KQ_OK)
        st = index_set_metadata(db, DOCUMENT_META_REVISION, rev);
    if (st == KQ_OK)
        st = index_set_metadata(db, DOCUMENT_META_LAST_UPDATE, when);
    if (st == KQ_OK)
        st = index_commit(db);
    if (st != KQ_OK) {
        merge_failed(s, st, "cannot commit the merged index: %s", index_last_error(db));
        index_close(db);
        return st;
    }
    writer_crash_point("merged"); /* the merged index committed, readers not switched to it */
    *merged = db;
    return KQ_OK;
}

kq_status shards_switch(shard_builder *s, const char *db_dir, index_db **index, index_db *merged,
                        const char *target)
{
    char old[PATH_MAX], old_path[PATH_MAX];
    if (dbpath_switch_index(db_dir, target, old, sizeof old) != 0) {
        merge_failed(s, KQ_ERR_IO, "cannot switch the index to %s: %s", target, strerror(errno));
        index_close(merged);
        return KQ_ERR_IO;
    }
    index_cancel(*index);
    index_close(*index);
    *index = merged;
    if (old[0] && dbpath_join(db_dir, old, old_path, sizeof old_path) == 0)
        shards_remove_tree(old_path);
    return KQ_OK;
}

void shards_restore_retired(const char *db_dir)
{
    char xapian[PATH_MAX], retired[PATH_MAX];
    struct stat sb;
    if (dbpath_join(db_dir, DBPATH_XAPIAN, xapian, sizeof xapian) == 0 &&
        dbpath_join(db_dir, DBPATH_XAPIAN_RETIRED, retired, sizeof retired) == 0 &&
        lstat(xapian, &sb) != 0 && errno == ENOENT && lstat(retired, &sb) == 0)
        rename(retired, xapian);
}

void shards_remove_leftovers(const char *db_dir)
{
    static const char *const fixed[] = {DBPATH_BUILD, DBPATH_XAPIAN_LINK_TMP,
                                        DBPATH_XAPIAN_RETIRED};
    char path[PATH_MAX], target[NAME_MAX + 1];
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (dbpath_join(db_dir, fixed[i], path, sizeof path) == 0)
            shards_remove_tree(path);
    if (dbpath_index_target(db_dir, target, sizeof target) != 0)
        return;
    DIR *d = opendir(db_dir);
    if (!d)
        return;
    struct dirent *e;
    size_t len = strlen(DBPATH_XAPIAN ".r");
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, DBPATH_XAPIAN ".r", len) != 0 || strcmp(e->d_name, target) == 0)
            continue;
        if (dbpath_join(db_dir, e->d_name, path, sizeof path) == 0)
            shards_remove_tree(path);
    }
    closedir(d);
}

const char *shards_last_error(const shard_builder *s)
{
    return s->error;
}

void shards_free(shard_builder *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->closing = 1;
    if (s->failed == KQ_OK)
        s->failed = KQ_ERR_INTERNAL; /* workers skip what is still queued */
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->n_threads; i++)
        pthread_join(s->threads[i], NULL);
    free(s->threads);
    block_free(s->filling);
    while (s->head) {
        struct block *next = s->head->next;
        block_free(s->head);
        s->head = next;
    }
    for (size_t i = 0; i < s->n_paths; i++)
        free(s->paths[i]);
    free(s->paths);
    free(s->drop);
    if (s->dir[0])
        shards_remove_tree(s->dir);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

int shards_remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sb.st_mode))
        return unlink(path);
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
