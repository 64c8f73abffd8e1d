/* test_store: library tests of the SQLite metadata store (store.h) on small stores built here. */
#include "harness.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char tmp[256];

static store *open_store(const char *path, int writable)
{
    kq_status st;
    char err[256];
    store *s = store_open(path, writable, &st, err, sizeof err);
    CHECK_MSG(s != NULL, "opening %s: %s (%s)", path, status_to_string(st), err);
    return s;
}

/* An article written for these tests; its strings are not owned (store_put
 * only reads them). */
static char *authors_full[] = {"Marie Curie", "Jean d'Ormesson", "Zoé \"Z\" Ølsen"};
static char *sections_full[] = {"societe", "societe/education"};
static char *keywords_full[] = {"école", "réforme, débat", "lycée"};

static article make_article(const char *id, const char *title, const char *hash)
{
    article a;
    memset(&a, 0, sizeof a);
    a.id = (char *)id;
    a.title = (char *)title;
    snprintf(a.hash, sizeof a.hash, "%s", hash);
    return a;
}

static article full_article(void)
{
    article a = make_article("art-42", "La réforme du lycée « expliquée »", "0123456789abcdef");
    a.description = "Ce qui change à la rentrée.\nDeuxième ligne.";
    a.url = "https://exemple.fr/societe/2024/03/05/reforme?x=1&y=2";
    a.language = "fr";
    a.authors = authors_full;
    a.n_authors = 3;
    a.sections = sections_full;
    a.n_sections = 2;
    a.keywords = keywords_full;
    a.n_keywords = 3;
    a.date = "2024-03-05T09:00:00Z";
    a.published = 1709629200;
    a.date_modified = "2024-03-06T10:30:00Z";
    return a;
}

static void check_strings(char **got, size_t n_got, char **want, size_t n_want, const char *what)
{
    CHECK_MSG(n_got == n_want, "%s: %zu values, want %zu", what, n_got, n_want);
    for (size_t i = 0; i < n_got && i < n_want; i++)
        CHECK_STR(got[i], want[i]);
}

static void test_round_trip(store *s)
{
    article a = full_article(), got;
    unsigned docid = 0;
    memset(&got, 0, sizeof got);
    time_t before = time(NULL);
    CHECK(store_put(s, &a, 4242) == KQ_OK);

    CHECK(store_get(s, "art-42", &got, &docid) == KQ_OK);
    CHECK(docid == 4242);
    CHECK_STR(got.id, a.id);
    CHECK_STR(got.title, a.title);
    CHECK_STR(got.description, a.description);
    CHECK_STR(got.url, a.url);
    CHECK_STR(got.language, a.language);
    CHECK_STR(got.date, a.date);
    CHECK(got.published == a.published);
    CHECK_STR(got.date_modified, a.date_modified);
    CHECK_STR(got.hash, a.hash);
    CHECK(got.body == NULL);
    check_strings(got.authors, got.n_authors, a.authors, a.n_authors, "authors");
    check_strings(got.sections, got.n_sections, a.sections, a.n_sections, "sections");
    check_strings(got.keywords, got.n_keywords, a.keywords, a.n_keywords, "keywords");

    char hash[17] = "x";
    unsigned got_docid = 0;
    CHECK(store_get_hash(s, "art-42", hash, &got_docid) == KQ_OK);
    CHECK_STR(hash, "0123456789abcdef");
    CHECK(got_docid == 4242);
    CHECK(store_get_hash(s, "absent", hash, NULL) == KQ_ERR_NOT_FOUND);
    CHECK(strstr(store_last_error(s), "absent") != NULL);

    /* indexed_at is set when the row is written. */
    int64_t at = 0;
    const char *p[] = {"art-42"};
    CHECK(store_query_int(s, "SELECT indexed_at FROM articles WHERE id = ?1", p, 1, &at) == KQ_OK);
    CHECK(at >= (int64_t)before && at <= (int64_t)time(NULL));

    /* A minimal article: optional fields NULL, arrays empty.  store_get
     * clears what *out held before. */
    article m = make_article("art-7", "Brève", "fedcba9876543210");
    CHECK(store_put(s, &m, 7) == KQ_OK);
    CHECK(store_get(s, "art-7", &got, NULL) == KQ_OK);
    CHECK_STR(got.title, "Brève");
    CHECK(got.description == NULL && got.url == NULL && got.language == NULL);
    CHECK(got.date == NULL && got.date_modified == NULL && got.published == 0);
    CHECK(got.n_authors == 0 && got.authors == NULL);
    CHECK(got.n_sections == 0 && got.n_keywords == 0);

    /* Replacing keeps one row per id. */
    uint64_t n = 0;
    CHECK(store_count(s, &n) == KQ_OK && n == 2);
    m.title = "Brève (mise à jour)";
    snprintf(m.hash, sizeof m.hash, "%s", "1111111111111111");
    CHECK(store_put(s, &m, 8) == KQ_OK);
    CHECK(store_count(s, &n) == KQ_OK && n == 2);
    CHECK(store_get(s, "art-7", &got, &docid) == KQ_OK);
    CHECK_STR(got.title, "Brève (mise à jour)");
    CHECK(docid == 8);
    CHECK(store_get_hash(s, "art-7", hash, NULL) == KQ_OK);
    CHECK_STR(hash, "1111111111111111");

    /* Missing articles. */
    CHECK(store_get(s, "absent", &got, NULL) == KQ_ERR_NOT_FOUND);
    CHECK(got.id == NULL && got.title == NULL); /* cleared */
    article_clear(&got);

    /* Bad input. */
    article bad = make_article("art-bad", "Sans empreinte", "");
    CHECK(store_put(s, &bad, 1) == KQ_ERR_INVALID);
    bad = make_article("art-bad", NULL, "0123456789abcdef");
    CHECK(store_put(s, &bad, 1) == KQ_ERR_INVALID);
    char *bad_utf8[] = {"\xff\xfe"};
    bad = make_article("art-bad", "Auteur illisible", "0123456789abcdef");
    bad.authors = bad_utf8;
    bad.n_authors = 1;
    CHECK(store_put(s, &bad, 1) == KQ_ERR_INVALID);
    CHECK(store_get_hash(s, "art-bad", hash, NULL) == KQ_ERR_NOT_FOUND);
}

static int collect(void *ctx, const char *id, unsigned docid, const char *hash)
{
    char *out = ctx;
    size_t used = strlen(out);
    snprintf(out + used, 512 - used, "%s%s=%u:%.4s", used ? "," : "", id, docid, hash);
    return 0;
}

static int stop_after_two(void *ctx, const char *id, unsigned docid, const char *hash)
{
    int *n = ctx;
    return ++*n == 2;
}

static void test_foreach_delete(store *s)
{
    const char *ids[] = {"c", "a", "d", "b"};
    for (unsigned i = 0; i < 4; i++) {
        article a = make_article(ids[i], "Titre", "abcd000000000000");
        CHECK(store_put(s, &a, 100 + i) == KQ_OK);
    }
    char out[512] = "";
    CHECK(store_foreach(s, collect, out) == KQ_OK);
    CHECK_STR(out, "a=101:abcd,art-42=4242:0123,art-7=8:1111,b=103:abcd,c=100:abcd,d=102:abcd");
    int n = 0;
    CHECK(store_foreach(s, stop_after_two, &n) == KQ_OK);
    CHECK(n == 2);

    CHECK(store_delete(s, "c") == KQ_OK);
    CHECK(store_delete(s, "c") == KQ_ERR_NOT_FOUND);
    CHECK(store_delete(s, "never") == KQ_ERR_NOT_FOUND);
    uint64_t count = 0;
    CHECK(store_count(s, &count) == KQ_OK && count == 5);
    char hash[17];
    CHECK(store_get_hash(s, "c", hash, NULL) == KQ_ERR_NOT_FOUND);
}

static void test_meta_and_queries(store *s)
{
    kq_status st = KQ_OK;
    char *v = store_meta_get(s, "schema_version", &st);
    CHECK_STR(v, "1");
    free(v);
    v = store_meta_get(s, "revision", &st);
    CHECK(v == NULL && st == KQ_ERR_NOT_FOUND);
    CHECK(store_meta_set(s, "revision", "12") == KQ_OK);
    CHECK(store_meta_set(s, "revision", "13") == KQ_OK);
    v = store_meta_get(s, "revision", NULL);
    CHECK_STR(v, "13");
    free(v);

    /* Brute-force facet counts with json_each, as the checks do. */
    int64_t n = -1;
    const char *author[] = {"Marie Curie"};
    CHECK(store_query_int(s,
                          "SELECT count(*) FROM articles, json_each(articles.authors) "
                          "WHERE json_each.value = ?1",
                          author, 1, &n) == KQ_OK);
    CHECK(n == 1);
    const char *kw[] = {"réforme, débat"};
    CHECK(store_query_int(s,
                          "SELECT count(*) FROM articles WHERE EXISTS (SELECT 1 FROM "
                          "json_each(keywords) WHERE value = ?1)",
                          kw, 1, &n) == KQ_OK);
    CHECK(n == 1);
    CHECK(store_query_int(s, "SELECT count(*) FROM articles WHERE json_array_length(authors) = 0",
                          NULL, 0, &n) == KQ_OK);
    CHECK(n == 4);
    const char *section[] = {"societe/education", "1709000000"};
    CHECK(store_query_int(s,
                          "SELECT count(*) FROM articles, json_each(sections) "
                          "WHERE json_each.value = ?1 AND published > CAST(?2 AS INTEGER)",
                          section, 2, &n) == KQ_OK);
    CHECK(n == 1);

    /* Only one read-only statement, with as many parameters as placeholders. */
    CHECK(store_query_int(s, "DELETE FROM articles", NULL, 0, &n) == KQ_ERR_INVALID);
    CHECK(store_query_int(s, "SELECT 1; DELETE FROM articles", NULL, 0, &n) == KQ_ERR_INVALID);
    CHECK(store_query_int(s, "SELECT ?1", NULL, 0, &n) == KQ_ERR_INVALID);
    CHECK(store_query_int(s, "SELECT 1 WHERE 0", NULL, 0, &n) == KQ_ERR_NOT_FOUND);
    CHECK(store_query_int(s, "SELECT nonsense FROM nowhere", NULL, 0, &n) == KQ_ERR_SQLITE);
    CHECK(store_last_error(s)[0] != '\0');
    CHECK(store_query_int(s, "SELECT 41 + 1;", NULL, 0, &n) == KQ_OK && n == 42);
}

static void test_transactions(store *s)
{
    uint64_t n0 = 0, n = 0;
    CHECK(store_count(s, &n0) == KQ_OK);
    CHECK(store_commit(s) == KQ_ERR_INVALID);
    CHECK(store_rollback(s) == KQ_ERR_INVALID);

    CHECK(store_begin(s) == KQ_OK);
    CHECK(store_begin(s) == KQ_ERR_INVALID);
    article a = make_article("tx-1", "Annulé", "0000000000000001");
    CHECK(store_put(s, &a, 501) == KQ_OK);
    CHECK(store_meta_set(s, "revision", "99") == KQ_OK);
    CHECK(store_delete(s, "a") == KQ_OK);
    CHECK(store_count(s, &n) == KQ_OK && n == n0);
    CHECK(store_rollback(s) == KQ_OK);
    CHECK(store_count(s, &n) == KQ_OK && n == n0);
    char hash[17];
    CHECK(store_get_hash(s, "tx-1", hash, NULL) == KQ_ERR_NOT_FOUND);
    CHECK(store_get_hash(s, "a", hash, NULL) == KQ_OK);
    char *v = store_meta_get(s, "revision", NULL);
    CHECK_STR(v, "13");
    free(v);

    CHECK(store_begin(s) == KQ_OK);
    CHECK(store_put(s, &a, 501) == KQ_OK);
    CHECK(store_meta_set(s, "revision", "14") == KQ_OK);
    CHECK(store_commit(s) == KQ_OK);
    CHECK(store_count(s, &n) == KQ_OK && n == n0 + 1);
    v = store_meta_get(s, "revision", NULL);
    CHECK_STR(v, "14");
    free(v);
}

/* A writer and a reader at once, in WAL mode: the reader is never blocked and
 * sees only committed transactions. */
static void test_two_handles(const char *path)
{
    store *w = open_store(path, 1);
    store *r = open_store(path, 0);
    if (!w || !r) {
        store_close(w);
        store_close(r);
        return;
    }
    int64_t wal = 0;
    CHECK(store_query_int(r, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'",
                          NULL, 0, &wal) == KQ_OK);
    CHECK(wal == 1);

    uint64_t n0 = 0, n = 0;
    CHECK(store_count(r, &n0) == KQ_OK);
    article a = make_article("wal-1", "Deux lecteurs", "2222222222222222");
    CHECK(store_put(r, &a, 1) == KQ_ERR_INVALID); /* read-only handle */
    CHECK(store_meta_set(r, "x", "y") == KQ_ERR_INVALID);
    CHECK(store_delete(r, "a") == KQ_ERR_INVALID);

    CHECK(store_begin(w) == KQ_OK);
    CHECK(store_put(w, &a, 601) == KQ_OK);
    CHECK(store_count(r, &n) == KQ_OK && n == n0); /* not blocked, not visible */
    char hash[17];
    CHECK(store_get_hash(r, "wal-1", hash, NULL) == KQ_ERR_NOT_FOUND);

    /* A reader's transaction is a snapshot: a commit after its first read
     * stays invisible until it ends. */
    CHECK(store_begin(r) == KQ_OK);
    CHECK(store_count(r, &n) == KQ_OK && n == n0);
    CHECK(store_commit(w) == KQ_OK);
    CHECK(store_count(r, &n) == KQ_OK && n == n0);
    CHECK(store_commit(r) == KQ_OK);
    CHECK(store_count(r, &n) == KQ_OK && n == n0 + 1);
    CHECK(store_get_hash(r, "wal-1", hash, NULL) == KQ_OK);

    /* A second writer can open while the first is in a batch (only a new
     * store takes the lock at open); its writes would wait up to the busy
     * timeout, then fail with KQ_ERR_LOCKED (not waited for here). */
    CHECK(store_begin(w) == KQ_OK);
    store *w2 = open_store(path, 1);
    if (w2) {
        int64_t timeout = 0;
        CHECK(store_query_int(w2, "SELECT timeout FROM pragma_busy_timeout", NULL, 0, &timeout) ==
              KQ_OK);
        CHECK(timeout == 5000);
        store_close(w2);
    }

    /* Closing a writer rolls back its open transaction. */
    article b = make_article("wal-2", "Jamais écrit", "3333333333333333");
    CHECK(store_put(w, &b, 602) == KQ_OK);
    store_close(w);
    CHECK(store_get_hash(r, "wal-2", hash, NULL) == KQ_ERR_NOT_FOUND);
    store_close(r);

    /* A reader opens the store alone once every writer is gone. */
    r = open_store(path, 0);
    if (r) {
        CHECK(store_count(r, &n) == KQ_OK && n == n0 + 1);
        store_close(r);
    }
}

static void test_open_errors(void)
{
    char path[300], err[256];
    kq_status st = KQ_OK;
    snprintf(path, sizeof path, "%s/missing.sqlite", tmp);
    store *s = store_open(path, 0, &st, err, sizeof err);
    CHECK(s == NULL && st == KQ_ERR_NOT_FOUND);
    CHECK(err[0] != '\0');
    snprintf(path, sizeof path, "%s/no/such/dir/store.sqlite", tmp);
    s = store_open(path, 1, &st, err, sizeof err);
    CHECK_MSG(s == NULL && st == KQ_ERR_NOT_FOUND, "got %s: %s", status_to_string(st), err);
    s = store_open(NULL, 1, &st, err, sizeof err);
    CHECK(s == NULL && st == KQ_ERR_INVALID);

    /* Not an SQLite file at all. */
    snprintf(path, sizeof path, "%s/garbage.sqlite", tmp);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        for (int i = 0; i < 512; i++)
            fputs("ceci n'est pas une base ", f);
        fclose(f);
    }
    s = store_open(path, 1, &st, err, sizeof err);
    CHECK_MSG(s == NULL && st == KQ_ERR_CORRUPT, "got %s: %s", status_to_string(st), err);
    s = store_open(path, 0, &st, err, sizeof err);
    CHECK_MSG(s == NULL && st == KQ_ERR_CORRUPT, "got %s: %s", status_to_string(st), err);

    /* A valid SQLite database that is not a store. */
    snprintf(path, sizeof path, "%s/other.sqlite", tmp);
    s = open_store(path, 1); /* creates the schema */
    if (s) {
        CHECK(store_meta_set(s, "schema_version", "999") == KQ_OK);
        store_close(s);
    }
    s = store_open(path, 0, &st, err, sizeof err);
    CHECK_MSG(s == NULL && st == KQ_ERR_INVALID, "got %s: %s", status_to_string(st), err);
    CHECK(strstr(err, "999") != NULL);
    store_close(NULL);
}

int main(void)
{
    if (harness_tmpdir(tmp, sizeof tmp) != 0)
        harness_skip("no temporary directory");
    char path[300];
    snprintf(path, sizeof path, "%s/store.sqlite", tmp);
    store *s = open_store(path, 1);
    if (s) {
        test_round_trip(s);
        test_foreach_delete(s);
        test_meta_and_queries(s);
        test_transactions(s);
        store_close(s);
    }
    /* Reopening finds everything committed. */
    s = open_store(path, 1);
    if (s) {
        uint64_t n = 0;
        CHECK(store_count(s, &n) == KQ_OK && n == 6);
        store_close(s);
    }
    test_two_handles(path);
    test_open_errors();
    return harness_exit("test_store");
}
