/* downgrade_keys: makes a Kiosque database look written before near-duplicate key version 2, for
 * tests/e2e/test_news.py (how the indexer brings such an index up to date).
 *
 *   downgrade_keys DB_DIR
 *
 * Gives every document the key of version 1 (the first 40 terms of chapô and body:
 * document_duplicate_key with skip_opening 0, what the index stored before) and removes the
 * index's kiosque.collapse_key metadata, in one commit.  Exit 0, or 2 with the reason. */
#include <stdio.h>
#include <stdlib.h>

#include "dbpath.h"
#include "document.h"
#include "index.h"

struct job {
    analyzer *a;
    index_db *db;
    unsigned done;
    kq_status st;
};

static const document_dupkey_params version_1 = {40, 0, 8, 0};

/* Collected, then written: the index is not changed while its documents are read. */
static unsigned *ids;
static char (*keys)[17];
static size_t n, cap;

static int one(void *ctx, unsigned docid, const char *data, size_t len)
{
    struct job *j = ctx;
    article art = {0};
    char why[256];
    j->st = document_read_article(data, len, &art, why, sizeof why);
    if (j->st == KQ_OK && n == cap) {
        size_t more = cap ? cap * 2 : 256;
        unsigned *new_ids = realloc(ids, more * sizeof *ids);
        if (new_ids)
            ids = new_ids;
        char(*new_keys)[17] = new_ids ? realloc(keys, more * sizeof *keys) : NULL;
        if (new_keys)
            keys = new_keys;
        if (new_ids && new_keys)
            cap = more;
        else
            j->st = KQ_ERR_NOMEM;
    }
    if (j->st == KQ_OK)
        j->st = document_duplicate_key(j->a, &art, &version_1, keys[n]);
    if (j->st == KQ_OK)
        ids[n++] = docid;
    article_clear(&art);
    return j->st != KQ_OK;
}

int main(int argc, char **argv)
{
    char path[4096], err[512];
    kq_status st;
    if (argc != 2) {
        fprintf(stderr, "usage: downgrade_keys DB_DIR\n");
        return 2;
    }
    dbpath_join(argv[1], DBPATH_XAPIAN, path, sizeof path);
    struct job j = {.a = analyzer_new(), .st = KQ_OK};
    j.db = index_open(path, INDEX_WRITE, &st, err, sizeof err);
    if (!j.a || !j.db) {
        fprintf(stderr, "downgrade_keys: %s\n", j.db ? "no analyzer" : err);
        return 2;
    }
    st = index_begin(j.db);
    if (st == KQ_OK)
        st = index_foreach_document(j.db, one, &j);
    if (st == KQ_OK)
        st = j.st;
    for (size_t i = 0; i < n && st == KQ_OK; i++)
        st = index_set_document_value(j.db, ids[i], DOCUMENT_SLOT_COLLAPSE, keys[i], 16);
    if (st == KQ_OK)
        st = index_set_metadata(j.db, DOCUMENT_META_COLLAPSE_KEY, "");
    if (st == KQ_OK)
        st = index_commit(j.db);
    if (st != KQ_OK)
        fprintf(stderr, "downgrade_keys: %s: %s\n", status_to_string(st), index_last_error(j.db));
    else
        printf("%zu keys of version 1\n", n);
    index_close(j.db);
    analyzer_free(j.a);
    free(ids);
    free(keys);
    return st == KQ_OK ? 0 : 2;
}
