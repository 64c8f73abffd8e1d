#define _XOPEN_SOURCE 700 /* nftw */
#include "shards.h"

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
#include "document.h"
#include "index.h"

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
