/* test_index: library tests of the Xapian boundary (index.h) on small databases built here. */
#include "harness.h"
#include "index.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[256];

/* Writes "<tmp>/<name>" into out. */
static const char *tmp_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", tmp, name);
    return out;
}

static index_db *open_db(const char *path, enum index_mode mode)
{
    kq_status st;
    char err[256];
    index_db *db = index_open(path, mode, &st, err, sizeof err);
    CHECK_MSG(db != NULL, "opening %s: %s (%s)", path, status_to_string(st), err);
    return db;
}

/* One test document: id, space-separated words indexed with positions, and
 * three value slots (number, collapse key, facet value); NULL skips a slot. */
typedef struct test_doc {
    const char *id;
    const char *text;
    double number;
    const char *group;
    const char *section;
} test_doc;

enum { SLOT_NUMBER = 0, SLOT_GROUP = 1, SLOT_SECTION = 2 };

static void fill_doc(index_doc *doc, const test_doc *t)
{
    char word[64], data[512];
    unsigned pos = 0;
    index_doc_clear(doc);
    for (const char *p = t->text; *p;) {
        size_t n = strcspn(p, " ");
        if (n && n < sizeof word) {
            memcpy(word, p, n);
            word[n] = '\0';
            CHECK(index_doc_add_posting(doc, word, ++pos, 1) == KQ_OK);
        }
        p += n;
        p += strspn(p, " ");
    }
    char num[18];
    size_t len = index_serialise_number(t->number, num);
    CHECK(index_doc_set_value(doc, SLOT_NUMBER, num, len) == KQ_OK);
    if (t->group)
        CHECK(index_doc_set_value(doc, SLOT_GROUP, t->group, strlen(t->group)) == KQ_OK);
    if (t->section) {
        CHECK(index_doc_set_value(doc, SLOT_SECTION, t->section, strlen(t->section)) == KQ_OK);
        char term[80];
        snprintf(term, sizeof term, "XS%s", t->section);
        CHECK(index_doc_add_boolean_term(doc, term) == KQ_OK);
    }
    snprintf(data, sizeof data, "%s|%s", t->id, t->text);
    CHECK(index_doc_set_data(doc, data, strlen(data)) == KQ_OK);
}

static unsigned add_docs(index_db *db, const test_doc *docs, size_t n)
{
    index_doc *doc = index_doc_new();
    unsigned docid = 0;
    CHECK(doc != NULL);
    for (size_t i = 0; i < n; i++) {
        char q[80];
        fill_doc(doc, &docs[i]);
        snprintf(q, sizeof q, "Q%s", docs[i].id);
        kq_status st = index_replace(db, q, doc, &docid);
        CHECK_MSG(st == KQ_OK, "%s: %s", q, index_last_error(db));
    }
    index_doc_free(doc);
    return docid;
}

static uint64_t doc_count(index_db *db)
{
    index_stats s;
    uint64_t n = UINT64_MAX;
    kq_status st = index_get_stats(db, &s);
    CHECK_MSG(st == KQ_OK, "%s", index_last_error(db));
    /* The count searches ask for, without the size on disk: the same. */
    CHECK(index_doc_count(db, &n) == KQ_OK);
    CHECK_MSG(n == s.documents, "index_doc_count %llu, stats %llu", (unsigned long long)n,
              (unsigned long long)s.documents);
    return s.documents;
}

static uint64_t revision(index_db *db)
{
    index_stats s;
    CHECK(index_get_stats(db, &s) == KQ_OK);
    return s.revision;
}

/* French-ish fixture written for these tests. */
static const test_doc corpus[] = {
    {"a1", "le chat noir dort sur le canapé", 10, "g1", "societe"},
    {"a2", "le noir chat du voisin miaule", 20, "g1", "culture"},
    {"a3", "la maison du maire est fermée", 30, "g2", "societe"},
    {"a4", "les maisons du village et la mairie", 40, "g1", "societe"},
    {"a5", "un chien et un chat jouent dans la maison", 50, "g3", "sport"},
    {"a6", "le maire inaugure la maison de la culture", 60, NULL, "culture"},
};
#define N_CORPUS (sizeof corpus / sizeof corpus[0])

/* --- Search helpers ------------------------------------------------------- */

static index_search_options default_opts(void)
{
    index_search_options o;
    memset(&o, 0, sizeof o);
    o.limit = 100;
    o.collapse_slot = -1;
    o.check_at_least = 1000;
    return o;
}

/* Runs q (then frees it) and writes the ids of the hits, comma-separated, in
 * rank order into ids; returns the number of hits. */
static size_t run(index_db *db, index_query *q, const index_search_options *o, char *ids,
                  size_t size, index_results *keep)
{
    index_results r;
    ids[0] = '\0';
    CHECK(q != NULL);
    if (!q)
        return 0;
    kq_status st = index_search(db, q, o, &r);
    CHECK_MSG(st == KQ_OK, "%s", index_last_error(db));
    for (size_t i = 0; i < r.n_hits; i++) {
        const char *bar = memchr(r.hits[i].data, '|', r.hits[i].data_len);
        size_t n = bar ? (size_t)(bar - r.hits[i].data) : r.hits[i].data_len;
        size_t used = strlen(ids);
        snprintf(ids + used, size - used, "%s%.*s", used ? "," : "", (int)n, r.hits[i].data);
    }
    size_t n = r.n_hits;
    if (keep)
        *keep = r;
    else
        index_results_clear(&r);
    index_query_free(q);
    return n;
}

static index_query *term(const char *t)
{
    return index_query_term(t, 1);
}

static index_query *combine2(enum index_op op, index_query *a, index_query *b, unsigned window)
{
    index_query *subs[2] = {a, b};
    index_query *q = index_query_combine(op, subs, 2, window);
    index_query_free(a);
    index_query_free(b);
    return q;
}

/* --- Tests ------------------------------------------------------------------ */

static void test_missing(void)
{
    char path[300], err[256];
    kq_status st = KQ_OK;
    index_db *db =
        index_open(tmp_path(path, sizeof path, "nothing-here"), INDEX_READ, &st, err, sizeof err);
    CHECK(db == NULL);
    CHECK_MSG(st == KQ_ERR_NOT_FOUND, "got %s", status_to_string(st));
    CHECK(err[0] != '\0');

    db = index_open(tmp_path(path, sizeof path, "no/such/parent"), INDEX_WRITE, &st, err,
                    sizeof err);
    CHECK(db == NULL);
    CHECK_MSG(st == KQ_ERR_NOT_FOUND, "got %s: %s", status_to_string(st), err);

    db = index_open(NULL, INDEX_READ, &st, err, sizeof err);
    CHECK(db == NULL && st == KQ_ERR_INVALID);
    index_close(NULL);
}

static void test_write_read(void)
{
    char path[300];
    tmp_path(path, sizeof path, "basic");
    index_db *w = open_db(path, INDEX_WRITE);
    if (!w)
        return;
    CHECK(index_begin(w) == KQ_OK);
    CHECK(index_begin(w) == KQ_ERR_INVALID); /* one batch at a time */
    add_docs(w, corpus, N_CORPUS);
    CHECK(index_set_metadata(w, "revision", "7") == KQ_OK);
    CHECK(index_commit(w) == KQ_OK);
    CHECK(index_commit(w) == KQ_ERR_INVALID); /* no batch open */

    index_db *r = open_db(path, INDEX_READ);
    if (!r) {
        index_close(w);
        return;
    }
    CHECK(doc_count(r) == N_CORPUS);
    CHECK(index_begin(r) == KQ_ERR_INVALID);
    CHECK(index_delete(r, "Qa1") == KQ_ERR_INVALID);

    /* Stats. */
    index_stats s;
    CHECK(index_get_stats(r, &s) == KQ_OK);
    CHECK(s.last_docid == N_CORPUS);
    CHECK(s.size_bytes > 0);
    /* Lengths: 7+6+6+7+9+8 words (boolean terms add nothing). */
    CHECK_MSG(s.average_length > 7.16 && s.average_length < 7.17, "avg %f", s.average_length);

    /* Data by unique term, and missing ones. */
    char *data = NULL;
    size_t len = 0;
    unsigned docid = 0;
    CHECK(index_get_data(r, "Qa3", &data, &len, &docid) == KQ_OK);
    CHECK_STR(data, "a3|la maison du maire est fermée");
    CHECK(len == strlen("a3|la maison du maire est fermée"));
    CHECK(docid == 3);
    free(data);
    CHECK(index_get_data(r, "Qzz", &data, &len, NULL) == KQ_ERR_NOT_FOUND);
    CHECK(data == NULL);

    /* Metadata. */
    char *v = index_get_metadata(r, "revision", NULL);
    CHECK_STR(v, "7");
    free(v);
    v = index_get_metadata(r, "unset", NULL);
    CHECK_STR(v, "");
    free(v);

    /* Term frequencies and terms by prefix. */
    uint64_t f = 99;
    CHECK(index_term_freq(r, "chat", &f) == KQ_OK && f == 3);
    CHECK(index_term_freq(r, "girafe", &f) == KQ_OK && f == 0);
    CHECK(index_term_freq(r, "XSsociete", &f) == KQ_OK && f == 3);
    uint64_t nterms = 0;
    CHECK(index_count_terms(r, &nterms) == KQ_OK);
    CHECK_MSG(nterms > 30, "%llu terms", (unsigned long long)nterms);

    /* Updates: replace keeps the docid, delete by unique term. */
    index_doc *doc = index_doc_new();
    test_doc changed = {"a2", "le chat gris", 25, "g1", "culture"};
    fill_doc(doc, &changed);
    CHECK(index_begin(w) == KQ_OK);
    CHECK(index_replace(w, "Qa2", doc, &docid) == KQ_OK);
    CHECK(docid == 2);
    CHECK(index_delete(w, "Qa6") == KQ_OK);
    CHECK(index_delete(w, "Qa6") == KQ_ERR_NOT_FOUND);
    CHECK(strstr(index_last_error(w), "Qa6") != NULL);
    CHECK(index_delete(w, "Qnever") == KQ_ERR_NOT_FOUND);
    CHECK(index_commit(w) == KQ_OK);
    index_doc_free(doc);

    CHECK(index_reopen(r) == KQ_OK);
    CHECK(doc_count(r) == N_CORPUS - 1);
    CHECK(index_get_data(r, "Qa2", &data, &len, &docid) == KQ_OK);
    CHECK_STR(data, "a2|le chat gris");
    CHECK(docid == 2);
    free(data);
    CHECK(index_get_data(r, "Qa6", &data, &len, NULL) == KQ_ERR_NOT_FOUND);
    CHECK(index_term_freq(r, "miaule", &f) == KQ_OK && f == 0);
    CHECK(index_term_freq(r, "gris", &f) == KQ_OK && f == 1);

    index_close(r);
    index_close(w);
}

static int collect_terms(void *ctx, const char *t, uint64_t freq)
{
    char *out = ctx;
    size_t used = strlen(out);
    snprintf(out + used, 512 - used, "%s%s:%llu", used ? "," : "", t, (unsigned long long)freq);
    return 0;
}

static int stop_at_second(void *ctx, const char *t, uint64_t freq)
{
    int *n = ctx;
    return ++*n == 2;
}

static int collect_docs(void *ctx, unsigned docid, const char *data, size_t len)
{
    char *out = ctx;
    size_t used = strlen(out);
    const char *bar = memchr(data, '|', len);
    snprintf(out + used, 512 - used, "%s%u=%.*s", used ? "," : "", docid,
             (int)(bar ? bar - data : (long)len), data);
    return 0;
}

static void test_iteration(index_db *r)
{
    char out[512] = "";
    CHECK(index_terms_with_prefix(r, "mai", 100, collect_terms, out) == KQ_OK);
    CHECK_STR(out, "maire:2,mairie:1,maison:3,maisons:1");
    out[0] = '\0';
    CHECK(index_terms_with_prefix(r, "mai", 2, collect_terms, out) == KQ_OK);
    CHECK_STR(out, "maire:2,mairie:1");
    out[0] = '\0';
    CHECK(index_terms_with_prefix(r, "Q", 100, collect_terms, out) == KQ_OK);
    CHECK_STR(out, "Qa1:1,Qa2:1,Qa3:1,Qa4:1,Qa5:1,Qa6:1");
    int n = 0;
    CHECK(index_terms_with_prefix(r, "", 100, stop_at_second, &n) == KQ_OK);
    CHECK(n == 2);

    out[0] = '\0';
    CHECK(index_foreach_document(r, collect_docs, out) == KQ_OK);
    CHECK_STR(out, "1=a1,2=a2,3=a3,4=a4,5=a5,6=a6");
}

static void test_queries(index_db *r)
{
    index_search_options o = default_opts();
    char ids[512];

    /* Phrase: "chat noir" in that order and adjacent only; NEAR ignores order. */
    CHECK(run(r, combine2(INDEX_OP_PHRASE, term("chat"), term("noir"), 0), &o, ids, sizeof ids,
              NULL) == 1);
    CHECK_STR(ids, "a1");
    CHECK(run(r, combine2(INDEX_OP_NEAR, term("chat"), term("noir"), 2), &o, ids, sizeof ids,
              NULL) == 2);
    CHECK(run(r, combine2(INDEX_OP_PHRASE, term("chat"), term("dort"), 0), &o, ids, sizeof ids,
              NULL) == 0);
    CHECK(run(r, combine2(INDEX_OP_PHRASE, term("chat"), term("dort"), 3), &o, ids, sizeof ids,
              NULL) == 1);

    /* Boolean operators. */
    CHECK(run(r, combine2(INDEX_OP_AND, term("chat"), term("maison"), 0), &o, ids, sizeof ids,
              NULL) == 1);
    CHECK_STR(ids, "a5");
    CHECK(run(r, combine2(INDEX_OP_OR, term("chien"), term("maire"), 0), &o, ids, sizeof ids,
              NULL) == 3);
    CHECK(run(r, combine2(INDEX_OP_AND_NOT, term("chat"), term("noir"), 0), &o, ids, sizeof ids,
              NULL) == 1);
    CHECK_STR(ids, "a5");
    CHECK(run(r, combine2(INDEX_OP_FILTER, term("maison"), term("XSsociete"), 0), &o, ids,
              sizeof ids, NULL) == 1);
    CHECK_STR(ids, "a3");
    CHECK(run(r, combine2(INDEX_OP_SYNONYM, term("maison"), term("maisons"), 0), &o, ids,
              sizeof ids, NULL) == 4);
    CHECK(run(r, combine2(INDEX_OP_AND_MAYBE, term("maire"), term("culture"), 0), &o, ids,
              sizeof ids, NULL) == 2);
    CHECK_STR(ids, "a6,a3"); /* a6 ranked up by "culture" */
    CHECK(run(r, index_query_match_all(), &o, ids, sizeof ids, NULL) == N_CORPUS);
    CHECK(run(r, index_query_match_nothing(), &o, ids, sizeof ids, NULL) == 0);
    CHECK(index_query_combine((enum index_op)999, NULL, 0, 0) == NULL);

    /* A filter adds no weight; scaling multiplies it. */
    index_results a, b;
    run(r, term("maison"), &o, ids, sizeof ids, &a);
    run(r, combine2(INDEX_OP_FILTER, term("maison"), term("XSsociete"), 0), &o, ids, sizeof ids,
        &b);
    index_query *m = term("maison");
    index_results c;
    run(r, index_query_scale(m, 2.5), &o, ids, sizeof ids, &c);
    index_query_free(m);
    CHECK(a.n_hits == 3 && b.n_hits == 1 && c.n_hits == 3);
    for (size_t i = 0; i < a.n_hits; i++) {
        if (b.n_hits && a.hits[i].docid == b.hits[0].docid)
            CHECK(a.hits[i].weight == b.hits[0].weight);
        CHECK(c.hits[i].docid == a.hits[i].docid);
        CHECK(c.hits[i].weight > 2.49 * a.hits[i].weight &&
              c.hits[i].weight < 2.51 * a.hits[i].weight);
    }
    CHECK(a.matches_lower == 3 && a.matches_estimated == 3 && a.matches_upper == 3);

    /* BM25 parameters: k1 equal to the default changes nothing, another does. */
    index_search_options p = o;
    p.bm25_k1 = 1;
    index_results d, e;
    run(r, term("maison"), &p, ids, sizeof ids, &d);
    p.bm25_k1 = 3;
    p.bm25_b = 0.9;
    run(r, term("maison"), &p, ids, sizeof ids, &e);
    CHECK(d.n_hits == 3 && e.n_hits == 3);
    int differ = 0;
    for (size_t i = 0; i < d.n_hits && i < e.n_hits; i++) {
        CHECK(d.hits[i].weight == a.hits[i].weight);
        differ |= e.hits[i].weight != a.hits[i].weight;
    }
    CHECK(differ);
    index_results_clear(&a);
    index_results_clear(&b);
    index_results_clear(&c);
    index_results_clear(&d);
    index_results_clear(&e);
    index_results_clear(&e); /* twice is harmless */

    /* Offset and limit. */
    index_search_options lim = o;
    lim.order = INDEX_ORDER_VALUE_ASC;
    lim.offset = 1;
    lim.limit = 2;
    CHECK(run(r, index_query_match_all(), &lim, ids, sizeof ids, NULL) == 2);
    CHECK_STR(ids, "a2,a3");

    char *desc = index_query_describe(m = combine2(INDEX_OP_AND, term("chat"), term("noir"), 0));
    CHECK_MSG(desc && strstr(desc, "chat") && strstr(desc, "AND"), "%s", desc ? desc : "(null)");
    free(desc);
    index_query_free(m);
    index_query_free(NULL);
}

static void test_wildcard(index_db *r)
{
    index_search_options o = default_opts();
    char ids[512];
    /* "mai*": maison (a3 a5 a6), maire (a3 a6), mairie (a4), maisons (a4). */
    CHECK(run(r, index_query_wildcard("mai", 0), &o, ids, sizeof ids, NULL) == 4);
    /* At most one term: the most frequent, maison. */
    CHECK(run(r, index_query_wildcard("mai", 1), &o, ids, sizeof ids, NULL) == 3);
    /* maison and maire: still a3, a5, a6. */
    CHECK(run(r, index_query_wildcard("mai", 2), &o, ids, sizeof ids, NULL) == 3);
    /* A third term (mairie or maisons) reaches a4. */
    CHECK(run(r, index_query_wildcard("mai", 3), &o, ids, sizeof ids, NULL) == 4);
    CHECK(run(r, index_query_wildcard("zzz", 4), &o, ids, sizeof ids, NULL) == 0);
}

static void test_values(index_db *r)
{
    index_search_options o = default_opts();
    char ids[512], lo[18], hi[18];
    size_t lo_len = index_serialise_number(15, lo), hi_len = index_serialise_number(45, hi);

    CHECK(run(r, index_query_value_range(SLOT_NUMBER, lo, lo_len, hi, hi_len), &o, ids, sizeof ids,
              NULL) == 3);
    CHECK(run(r, index_query_value_range(SLOT_NUMBER, NULL, 0, hi, hi_len), &o, ids, sizeof ids,
              NULL) == 4);
    CHECK(run(r, index_query_value_range(SLOT_NUMBER, lo, lo_len, NULL, 0), &o, ids, sizeof ids,
              NULL) == 5);
    CHECK(run(r, index_query_value_range(SLOT_GROUP, NULL, 0, NULL, 0), &o, ids, sizeof ids,
              NULL) == 5); /* a6 has no group */

    /* Sorting by value, both ways; the byte order is the numeric order. */
    char small[18], big[18];
    size_t ns = index_serialise_number(-3.5, small), nb = index_serialise_number(1e9, big);
    CHECK(ns <= 18 && nb <= 18 && memcmp(small, big, ns < nb ? ns : nb) < 0);
    o.order = INDEX_ORDER_VALUE_ASC;
    o.sort_slot = SLOT_NUMBER;
    run(r, index_query_match_all(), &o, ids, sizeof ids, NULL);
    CHECK_STR(ids, "a1,a2,a3,a4,a5,a6");
    o.order = INDEX_ORDER_VALUE_DESC;
    run(r, term("maison"), &o, ids, sizeof ids, NULL);
    CHECK_STR(ids, "a6,a5,a3");
    /* Ties on the value are broken by relevance: "maire" weighs ten times "chat". */
    o.sort_slot = SLOT_SECTION;
    o.order = INDEX_ORDER_VALUE_ASC;
    index_query *maire = term("maire");
    run(r, combine2(INDEX_OP_OR, term("chat"), index_query_scale(maire, 10), 0), &o, ids,
        sizeof ids, NULL);
    index_query_free(maire);
    /* culture: a6 (maire) before a2 (chat); societe: a3 before a1; sport: a5. */
    CHECK_STR(ids, "a6,a2,a3,a1,a5");
}

static void test_collapse_and_facets(index_db *r)
{
    index_search_options o = default_opts();
    char ids[512];
    index_results res;

    o.collapse_slot = SLOT_GROUP;
    o.order = INDEX_ORDER_VALUE_ASC;
    o.sort_slot = SLOT_NUMBER;
    CHECK(run(r, index_query_match_all(), &o, ids, sizeof ids, &res) == 4);
    /* g1 (a1, a2, a4) → a1 with 2 collapsed; g2 → a3; g3 → a5; no value → a6. */
    CHECK_STR(ids, "a1,a3,a5,a6");
    if (res.n_hits == 4) {
        CHECK(res.hits[0].collapsed == 2);
        CHECK(res.hits[1].collapsed == 0);
        CHECK(res.hits[3].collapsed == 0);
    }
    index_results_clear(&res);

    unsigned slots[] = {SLOT_SECTION, SLOT_GROUP};
    o = default_opts();
    o.facet_slots = slots;
    o.n_facet_slots = 2;
    o.limit = 1;
    o.check_at_least = N_CORPUS;
    CHECK(run(r, index_query_match_all(), &o, ids, sizeof ids, &res) == 1);
    CHECK(res.matches_lower == N_CORPUS && res.matches_upper == N_CORPUS);
    CHECK(res.n_facets == 2);
    if (res.n_facets == 2) {
        /* societe 3, culture 2, sport 1: by count, then value. */
        index_facet *f = &res.facets[0];
        CHECK(f->slot == SLOT_SECTION && f->n_values == 3);
        if (f->n_values == 3) {
            CHECK_STR(f->values[0].value, "societe");
            CHECK(f->values[0].count == 3);
            CHECK_STR(f->values[1].value, "culture");
            CHECK(f->values[1].count == 2);
            CHECK_STR(f->values[2].value, "sport");
            CHECK(f->values[2].count == 1);
        }
        /* g1 3, then g2 and g3 with 1 each in value order. */
        f = &res.facets[1];
        CHECK(f->slot == SLOT_GROUP && f->n_values == 3);
        if (f->n_values == 3) {
            CHECK_STR(f->values[0].value, "g1");
            CHECK(f->values[0].count == 3);
            CHECK_STR(f->values[1].value, "g2");
            CHECK_STR(f->values[2].value, "g3");
        }
    }
    index_results_clear(&res);

    /* Facets of a query's matches only. */
    o.n_facet_slots = 1;
    CHECK(run(r, term("chat"), &o, ids, sizeof ids, &res) == 1);
    CHECK(res.n_facets == 1 && res.facets[0].n_values == 3);
    if (res.n_facets == 1 && res.facets[0].n_values == 3) {
        CHECK_STR(res.facets[0].values[0].value, "culture");
        CHECK(res.facets[0].values[0].count == 1);
    }
    index_results_clear(&res);
}

/* Batch atomicity: a reader sees nothing of a batch until its commit, and a
 * cancelled batch leaves no trace. */
static void test_batches(void)
{
    char path[300];
    tmp_path(path, sizeof path, "batches");
    index_db *w = open_db(path, INDEX_WRITE);
    if (!w)
        return;
    CHECK(index_begin(w) == KQ_OK);
    add_docs(w, corpus, 2);
    CHECK(index_commit(w) == KQ_OK);
    uint64_t rev = revision(w);

    index_db *r = open_db(path, INDEX_READ);
    if (!r) {
        index_close(w);
        return;
    }
    CHECK(doc_count(r) == 2);

    /* A second writer is refused while the first holds the lock. */
    kq_status st;
    char err[256];
    index_db *w2 = index_open(path, INDEX_WRITE, &st, err, sizeof err);
    CHECK(w2 == NULL);
    CHECK_MSG(st == KQ_ERR_LOCKED, "got %s: %s", status_to_string(st), err);
    index_close(w2);

    CHECK(index_begin(w) == KQ_OK);
    add_docs(w, corpus + 2, 2);
    CHECK(doc_count(w) == 4); /* the writer sees its own batch */
    CHECK(index_reopen(r) == KQ_OK);
    CHECK(doc_count(r) == 2);
    CHECK(index_cancel(w) == KQ_OK);
    CHECK(doc_count(w) == 2);
    CHECK(index_get_data(w, "Qa3", &(char *){NULL}, NULL, NULL) == KQ_ERR_NOT_FOUND);
    CHECK(revision(w) == rev);

    CHECK(index_begin(w) == KQ_OK);
    add_docs(w, corpus + 2, 3);
    CHECK(index_delete(w, "Qa1") == KQ_OK);
    CHECK(index_reopen(r) == KQ_OK);
    CHECK(doc_count(r) == 2);
    CHECK(index_commit(w) == KQ_OK);
    CHECK(revision(w) == rev + 1); /* one batch, one revision */
    CHECK(doc_count(r) == 2);      /* until it reopens */
    CHECK(index_reopen(r) == KQ_OK);
    CHECK(doc_count(r) == 4);
    CHECK(revision(r) == rev + 1);

    /* Closing a writer mid-batch cancels the batch. */
    CHECK(index_begin(w) == KQ_OK);
    add_docs(w, corpus + 5, 1);
    index_close(w);
    CHECK(index_reopen(r) == KQ_OK);
    CHECK(doc_count(r) == 4);
    CHECK(revision(r) == rev + 1);
    index_close(r);
}

static uint64_t file_size(const char *dir, const char *name)
{
    char p[400];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* A batch larger than XAPIAN_FLUSH_THRESHOLD spills to disk, yet no reader
 * (open before, or opened fresh, or after a crash) sees any of it until the
 * commit.  See the top of shared/index.cc. */
static void test_batch_spills(void)
{
    enum { BATCH = 3000 }; /* documents, against a flush threshold of 20 */
    char path[300];
    tmp_path(path, sizeof path, "spill");
    setenv("XAPIAN_FLUSH_THRESHOLD", "20", 1); /* read when a writer opens */
    index_db *w = open_db(path, INDEX_WRITE);
    if (!w)
        return;
    CHECK(index_begin(w) == KQ_OK);
    add_docs(w, corpus, 1);
    CHECK(index_commit(w) == KQ_OK);
    uint64_t rev = revision(w);
    index_db *r = open_db(path, INDEX_READ);
    index_stats before;
    CHECK(index_get_stats(w, &before) == KQ_OK);
    uint64_t postlist_before = file_size(path, "postlist.glass");

    index_doc *doc = index_doc_new();
    char id[32], text[600], data[700];
    CHECK(index_begin(w) == KQ_OK);
    for (int i = 0; i < BATCH; i++) {
        snprintf(id, sizeof id, "Qspill%d", i);
        snprintf(text, sizeof text, "mot%d", i);
        index_doc_clear(doc);
        CHECK(index_doc_add_posting(doc, text, 1, 1) == KQ_OK);
        CHECK(index_doc_add_posting(doc, "commun", 2, 1) == KQ_OK);
        memset(data, 'x', sizeof data);
        snprintf(data, 32, "%d|", i);
        CHECK(index_doc_set_data(doc, data, sizeof data) == KQ_OK);
        if (index_replace(w, id, doc, NULL) != KQ_OK) {
            CHECK_MSG(0, "%s", index_last_error(w));
            break;
        }
    }
    /* The batch went to disk, postings included (flushed every THRESHOLD
     * documents into copy-on-write blocks)... */
    index_stats during;
    CHECK(index_get_stats(w, &during) == KQ_OK);
    CHECK_MSG(during.size_bytes > before.size_bytes + (uint64_t)BATCH * 100,
              "size %llu → %llu: the batch did not spill", (unsigned long long)before.size_bytes,
              (unsigned long long)during.size_bytes);
    CHECK_MSG(file_size(path, "postlist.glass") > postlist_before + 16384,
              "postlist.glass %llu → %llu: postings were not flushed",
              (unsigned long long)postlist_before,
              (unsigned long long)file_size(path, "postlist.glass"));
    CHECK(during.revision == rev);
    /* ...but no revision was made visible. */
    if (r) {
        CHECK(index_reopen(r) == KQ_OK);
        CHECK(doc_count(r) == 1);
    }
    index_db *fresh = open_db(path, INDEX_READ);
    if (fresh) {
        CHECK(doc_count(fresh) == 1);
        CHECK(revision(fresh) == rev);
        index_close(fresh);
    }
    CHECK(index_commit(w) == KQ_OK);
    CHECK(revision(w) == rev + 1);
    if (r) {
        CHECK(doc_count(r) == 1);
        CHECK(index_reopen(r) == KQ_OK);
        CHECK(doc_count(r) == 1 + BATCH);
        uint64_t f = 0;
        CHECK(index_term_freq(r, "commun", &f) == KQ_OK && f == BATCH);
    }
    index_close(w);

    /* A crash in the middle of a spilled batch leaves the last revision. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        kq_status st;
        index_db *cw = index_open(path, INDEX_WRITE, &st, NULL, 0);
        if (!cw || index_begin(cw) != KQ_OK)
            _exit(2);
        for (int i = 0; i < BATCH; i++) {
            snprintf(id, sizeof id, "Qcrash%d", i);
            index_doc_clear(doc);
            index_doc_add_posting(doc, "crash", 1, 1);
            index_doc_set_data(doc, data, sizeof data);
            if (index_replace(cw, id, doc, NULL) != KQ_OK)
                _exit(3);
        }
        _exit(0); /* no commit, no close: as if killed */
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    index_doc_free(doc);
    unsetenv("XAPIAN_FLUSH_THRESHOLD");

    w = open_db(path, INDEX_WRITE); /* the lock died with the process */
    if (w) {
        CHECK(doc_count(w) == 1 + BATCH);
        CHECK(revision(w) == rev + 1);
        uint64_t f = 9;
        CHECK(index_term_freq(w, "crash", &f) == KQ_OK && f == 0);
        index_close(w);
    }
    if (r) {
        CHECK(index_reopen(r) == KQ_OK);
        CHECK(doc_count(r) == 1 + BATCH);
        index_close(r);
    }
}

static void test_compact(void)
{
    char a[300], b[300], dest[300], err[256];
    tmp_path(a, sizeof a, "shard-a");
    tmp_path(b, sizeof b, "shard-b");
    tmp_path(dest, sizeof dest, "compacted");
    index_db *w = open_db(a, INDEX_WRITE);
    if (w) {
        CHECK(index_begin(w) == KQ_OK);
        add_docs(w, corpus, 3);
        CHECK(index_commit(w) == KQ_OK);
        index_close(w);
    }
    w = open_db(b, INDEX_WRITE);
    if (w) {
        CHECK(index_begin(w) == KQ_OK);
        add_docs(w, corpus + 3, 3);
        CHECK(index_commit(w) == KQ_OK);
        index_close(w);
    }
    const char *sources[] = {a, b};
    kq_status st = index_compact(sources, 2, dest, 0, err, sizeof err);
    CHECK_MSG(st == KQ_OK, "%s: %s", status_to_string(st), err);
    index_db *r = open_db(dest, INDEX_READ);
    if (r) {
        CHECK(doc_count(r) == N_CORPUS);
        index_search_options o = default_opts();
        char ids[512];
        CHECK(run(r, term("maison"), &o, ids, sizeof ids, NULL) == 3);
        unsigned docid = 0;
        char *data = NULL;
        CHECK(index_get_data(r, "Qa5", &data, NULL, &docid) == KQ_OK);
        CHECK(docid == 5);
        free(data);
        index_close(r);
    }
    const char *missing[] = {a, "/nonexistent/kiosque"};
    CHECK(index_compact(missing, 2, dest, 0, err, sizeof err) == KQ_ERR_NOT_FOUND);
    CHECK(index_compact(NULL, 0, dest, 0, err, sizeof err) == KQ_ERR_INVALID);
}

/* Writes docs[0..n) into a new scratch part at ids first, first+1, ... */
static void write_part(const char *path, const test_doc *docs, size_t n, unsigned first)
{
    index_db *w = open_db(path, INDEX_SCRATCH);
    index_doc *doc = index_doc_new();
    if (!w || !doc)
        return;
    for (size_t i = 0; i < n; i++) {
        char q[80];
        fill_doc(doc, &docs[i]);
        snprintf(q, sizeof q, "Q%s", docs[i].id);
        CHECK(index_doc_add_boolean_term(doc, q) == KQ_OK);
        CHECK(index_add_at(w, first + (unsigned)i, doc) == KQ_OK);
    }
    CHECK(index_flush(w) == KQ_OK);
    index_doc_free(doc);
    index_close(w);
}

static unsigned docid_of(index_db *db, const char *unique_term)
{
    unsigned docid = 0;
    kq_status st = index_lookup(db, unique_term, &docid);
    CHECK_MSG(st == KQ_OK, "%s: %s", unique_term, status_to_string(st));
    return docid;
}

/* A sharded build's pieces (indexer/shards.h): parts written at ids chosen
 * in advance, merged by a compaction that keeps the ids or by copying, and
 * a reader that follows its path to the merged directory. */
static void test_parts(void)
{
    char main_db[300], p1[300], p2[300], merged[300], link[300], tmp_link[300], err[256];
    tmp_path(main_db, sizeof main_db, "parts-main");
    tmp_path(p1, sizeof p1, "parts-1");
    tmp_path(p2, sizeof p2, "parts-2");
    tmp_path(merged, sizeof merged, "parts-merged");
    tmp_path(link, sizeof link, "parts-link");
    tmp_path(tmp_link, sizeof tmp_link, "parts-link.tmp");
    index_db *w = open_db(main_db, INDEX_WRITE);
    if (!w)
        return;
    CHECK(index_begin(w) == KQ_OK);
    add_docs(w, corpus, 2); /* ids 1 and 2 */
    CHECK(index_commit(w) == KQ_OK);
    write_part(p1, corpus + 2, 2, 3); /* ids 3, 4 */
    write_part(p2, corpus + 4, 2, 5); /* ids 5, 6 */

    /* Compaction keeping ids: every document where it was put. */
    const char *sources[] = {main_db, p1, p2};
    kq_status st = index_compact(sources, 3, merged, 1, err, sizeof err);
    CHECK_MSG(st == KQ_OK, "%s: %s", status_to_string(st), err);
    const char *overlap[] = {p1, p1};
    CHECK(index_compact(overlap, 2, merged, 1, err, sizeof err) != KQ_OK);
    st = index_compact(sources, 3, merged, 1, err, sizeof err);
    CHECK(st == KQ_OK);

    /* Copying the parts into the main database gives the same ids. */
    CHECK(index_begin(w) == KQ_OK);
    CHECK(index_copy_from(w, p1) == KQ_OK);
    CHECK(index_copy_from(w, p2) == KQ_OK);
    CHECK(index_copy_from(w, "/nonexistent/kiosque") == KQ_ERR_NOT_FOUND);
    CHECK(index_commit(w) == KQ_OK);
    CHECK(doc_count(w) == N_CORPUS);
    CHECK(docid_of(w, "Qa4") == 4 && docid_of(w, "Qa6") == 6);
    CHECK(index_lookup(w, "Qabsent", NULL) == KQ_ERR_NOT_FOUND);
    index_close(w);

    /* A reader opened through a link follows it when it names another
     * directory, even once the old one is gone. */
    unlink(link);
    CHECK(symlink(main_db, link) == 0);
    index_db *r = open_db(link, INDEX_READ);
    index_db *m = open_db(merged, INDEX_READ);
    if (!r || !m) {
        index_close(r);
        index_close(m);
        return;
    }
    CHECK(doc_count(m) == N_CORPUS);
    for (size_t i = 0; i < N_CORPUS; i++) {
        char q[16];
        snprintf(q, sizeof q, "Q%s", corpus[i].id);
        CHECK_MSG(docid_of(m, q) == (unsigned)i + 1, "%s keeps its id", q);
    }
    index_close(m);
    /* The merged index gets one more document, so the switch shows. */
    static const test_doc extra = {"a7", "une maison neuve", 70, NULL, "societe"};
    w = open_db(merged, INDEX_WRITE);
    if (w) {
        CHECK(index_begin(w) == KQ_OK);
        add_docs(w, &extra, 1);
        CHECK(index_commit(w) == KQ_OK);
        index_close(w);
    }
    CHECK(doc_count(r) == N_CORPUS);
    unlink(tmp_link);
    CHECK(symlink(merged, tmp_link) == 0 && rename(tmp_link, link) == 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", main_db);
    CHECK(system(cmd) == 0);
    CHECK(index_reopen(r) == KQ_OK);
    CHECK(doc_count(r) == N_CORPUS + 1);
    index_search_options o = default_opts();
    char ids[512];
    CHECK(run(r, term("maison"), &o, ids, sizeof ids, NULL) == 4);
    index_close(r);
}

/* Several threads each with their own reader handle search at once. */
struct reader_job {
    const char *path;
    int failures;
};

static void *reader_thread(void *arg)
{
    struct reader_job *job = arg;
    kq_status st;
    index_db *r = index_open(job->path, INDEX_READ, &st, NULL, 0);
    if (!r) {
        job->failures++;
        return NULL;
    }
    index_search_options o = default_opts();
    for (int i = 0; i < 200; i++) {
        index_query *q = index_query_wildcard("mai", 0);
        index_results res;
        if (!q || index_search(r, q, &o, &res) != KQ_OK || res.n_hits != 4)
            job->failures++;
        index_results_clear(&res);
        index_query_free(q);
    }
    index_close(r);
    return NULL;
}

static void test_threads(const char *path)
{
    enum { N = 4 };
    pthread_t t[N];
    struct reader_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct reader_job){path, 0};
        CHECK(pthread_create(&t[i], NULL, reader_thread, &jobs[i]) == 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        CHECK(jobs[i].failures == 0);
    }
}

/* index_phrase_in: terms in order within a window, over the given documents
 * only (docids 1..6 are a1..a6). */
static void test_phrase_in(index_db *r)
{
    static const struct {
        const char *terms[3];
        size_t n;
        unsigned window;
        const char *expect; /* has[] for a1..a6 */
    } rows[] = {
        {{"chat", "noir"}, 2, 2, "100000"}, /* a2 has "noir chat": wrong order */
        {{"chat", "dort"}, 2, 3, "100000"}, /* one word between */
        {{"chat", "dort"}, 2, 2, "000000"},
        {{"maison", "culture"}, 2, 4, "000001"}, /* maison(5) culture(8) */
        {{"maison", "culture"}, 2, 3, "000000"},
        {{"la", "la"}, 2, 4, "000001"}, /* la(4) la(7); a3 has one "la" */
        {{"la", "la"}, 2, 3, "000000"},
        {{"le", "chat", "noir"}, 3, 3, "100000"},
        {{"chat", "inconnu"}, 2, 8, "000000"},
        {{"chat"}, 1, 1, "110010"},
    };
    unsigned docids[N_CORPUS];
    unsigned char has[N_CORPUS];
    for (size_t i = 0; i < N_CORPUS; i++)
        docids[i] = (unsigned)(i + 1);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char got[N_CORPUS + 1];
        kq_status st =
            index_phrase_in(r, rows[i].terms, rows[i].n, rows[i].window, docids, N_CORPUS, has);
        CHECK_MSG(st == KQ_OK, "%s", index_last_error(r));
        for (size_t d = 0; d < N_CORPUS; d++)
            got[d] = has[d] ? '1' : '0';
        got[N_CORPUS] = '\0';
        CHECK_MSG(strcmp(got, rows[i].expect) == 0, "row %zu: %s, expected %s", i, got,
                  rows[i].expect);
    }
    /* Only the documents asked about are read, in the order given. */
    unsigned two[2] = {6, 1};
    const char *cn[2] = {"chat", "noir"};
    CHECK(index_phrase_in(r, cn, 2, 2, two, 2, has) == KQ_OK);
    CHECK(has[0] == 0 && has[1] == 1);
}

/* index_pairs_in: how many of the given pairs (consecutive terms, NULL
 * breaking the sequence) stand side by side in each document. */
static void test_pairs_in(index_db *r)
{
    static const struct {
        const char *terms[6];
        size_t n;
        const char *expect; /* pairs[] for a1..a6 */
    } rows[] = {
        {{"le", "chat", "noir"}, 3, "200000"},                 /* a2 has "le noir chat" */
        {{"noir", "chat"}, 2, "010000"},                       /* order counts */
        {{"la", "maison", NULL, "maison", "de"}, 5, "001012"}, /* a6: both */
        {{"chat", NULL, "noir"}, 3, "000000"},                 /* NULL: no pair */
        {{"la", "la"}, 2, "000000"},                           /* la(4), la(7): not side by side */
        {{"du", "maire"}, 2, "001000"},
        {{"chat"}, 1, "000000"},
    };
    unsigned docids[N_CORPUS], pairs[N_CORPUS];
    for (size_t i = 0; i < N_CORPUS; i++)
        docids[i] = (unsigned)(i + 1);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char got[N_CORPUS + 1];
        kq_status st = index_pairs_in(r, rows[i].terms, rows[i].n, docids, N_CORPUS, pairs);
        CHECK_MSG(st == KQ_OK, "%s", index_last_error(r));
        for (size_t d = 0; d < N_CORPUS; d++)
            got[d] = (char)('0' + (pairs[d] > 9 ? 9 : pairs[d]));
        got[N_CORPUS] = '\0';
        CHECK_MSG(strcmp(got, rows[i].expect) == 0, "row %zu: %s, expected %s", i, got,
                  rows[i].expect);
    }
}

/* Hits without their data, then the data of some of them. */
static void test_fetch_data(index_db *r)
{
    index_search_options o = default_opts();
    o.without_data = 1;
    index_results res;
    index_query *q = term("maison");
    CHECK(index_search(r, q, &o, &res) == KQ_OK);
    index_query_free(q);
    CHECK(res.n_hits == 3);
    for (size_t i = 0; i < res.n_hits; i++)
        CHECK(res.hits[i].data == NULL);
    if (res.n_hits == 3) {
        CHECK(index_fetch_data(r, res.hits + 1, 2) == KQ_OK);
        CHECK(res.hits[0].data == NULL);
        for (size_t i = 1; i < 3; i++) {
            char want[8];
            snprintf(want, sizeof want, "a%u|", res.hits[i].docid);
            CHECK(res.hits[i].data && res.hits[i].data_len > 3 &&
                  strncmp(res.hits[i].data, want, strlen(want)) == 0);
        }
        CHECK(index_fetch_data(r, res.hits, 3) == KQ_OK); /* the missing one only */
        CHECK(res.hits[0].data != NULL);
    }
    index_results_clear(&res);
}

/* index_query_value_weights: each document weighs what its value maps to,
 * and the table it is read into follows new revisions. */
static void test_value_weights(void)
{
    char path[300], ids[512];
    tmp_path(path, sizeof path, "weights");
    index_db *w = open_db(path, INDEX_WRITE);
    if (!w)
        return;
    CHECK(index_begin(w) == KQ_OK);
    add_docs(w, corpus, N_CORPUS);
    CHECK(index_commit(w) == KQ_OK);
    index_db *r = open_db(path, INDEX_READ);
    const char *keys[] = {"societe", "culture", "absente"};
    const double weights[] = {1.0, 2.0, 9.0};
    index_query *map = index_query_value_weights(SLOT_SECTION, keys, weights, 3, 0.5);
    index_query *all = index_query_match_all();
    index_query *pair[2] = {all, map};
    index_query *q = index_query_combine(INDEX_OP_AND_MAYBE, pair, 2, 0);
    index_search_options o = default_opts();
    index_results res;
    if (r && q) {
        run(r, index_query_scale(q, 1.0), &o, ids, sizeof ids, &res);
        /* culture 2, societe 1, sport (not in the map) 0.5; ties by docid. */
        CHECK_STR(ids, "a2,a6,a1,a3,a4,a5");
        static const double expect[] = {2.0, 2.0, 1.0, 1.0, 1.0, 0.5};
        for (size_t i = 0; i < res.n_hits && i < 6; i++)
            CHECK_MSG(res.hits[i].weight == expect[i], "hit %zu weighs %g", i, res.hits[i].weight);
        index_results_clear(&res);

        /* A new revision: the same query sees the new document's value. */
        test_doc extra = {"a7", "un article de plus", 70, NULL, "culture"};
        CHECK(index_begin(w) == KQ_OK);
        add_docs(w, &extra, 1);
        CHECK(index_commit(w) == KQ_OK);
        CHECK(index_reopen(r) == KQ_OK);
        run(r, index_query_scale(q, 1.0), &o, ids, sizeof ids, NULL);
        CHECK_STR(ids, "a2,a6,a7,a1,a3,a4,a5");
        /* Relevance still adds up with the map's weight. */
        index_query *chat[2] = {term("chat"), index_query_scale(map, 1.0)};
        index_query *cq = index_query_combine(INDEX_OP_AND_MAYBE, chat, 2, 0);
        index_query_free(chat[0]);
        index_query_free(chat[1]);
        CHECK(run(r, cq, &o, ids, sizeof ids, NULL) == 3);
    }
    index_query_free(q);
    index_query_free(all);
    index_query_free(map);
    index_close(r);
    index_close(w);
}

/* Writes the ids of r's hits with their collapse counts ("d0+29,d30") into buf. */
static const char *ids_counts(const index_results *r, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_hits; i++) {
        const char *bar = memchr(r->hits[i].data, '|', r->hits[i].data_len);
        size_t used = strlen(buf), n = bar ? (size_t)(bar - r->hits[i].data) : 0;
        snprintf(buf + used, size - used, "%s%.*s", used ? "," : "", (int)n, r->hits[i].data);
        used = strlen(buf);
        if (r->hits[i].collapsed)
            snprintf(buf + used, size - used, "+%u", r->hits[i].collapsed);
    }
    return buf;
}

/* Collapsing pages when most first matches are copies of one another: a
 * reader folds them with its table of keys, fetching more matches while the
 * page is short; a writer lets Xapian collapse.  Both give the same pages,
 * counts and totals, and the reader's table follows new revisions. */
static void test_collapse_pages(void)
{
    char path[300], want[1024], got[1024], id[16], group[16];
    tmp_path(path, sizeof path, "copies");
    index_db *w = open_db(path, INDEX_WRITE);
    if (!w)
        return;
    /* d0..d29: one wire story; d30..d39: each its own; d40: no key. */
    test_doc docs[41];
    char ids[41][8], groups[41][8];
    for (int i = 0; i < 41; i++) {
        snprintf(ids[i], sizeof ids[i], "d%d", i);
        snprintf(groups[i], sizeof groups[i], "k%d", i);
        docs[i] = (test_doc){ids[i], "dépêche agence", i, i < 30 ? "wire" : groups[i], NULL};
    }
    docs[40].group = NULL;
    CHECK(index_begin(w) == KQ_OK);
    add_docs(w, docs, 41);
    CHECK(index_commit(w) == KQ_OK);
    index_db *r = open_db(path, INDEX_READ);
    static const struct {
        unsigned offset, limit;
        const char *ids;
        uint64_t total; /* exact total, or 0 when only estimated */
    } pages[] = {
        {0, 3, "d0+29,d30,d31", 0},
        {3, 4, "d32,d33,d34,d35", 0},
        {0, 20, "d0+29,d30,d31,d32,d33,d34,d35,d36,d37,d38,d39,d40", 12},
        {10, 5, "d39,d40", 12},
        {12, 5, "", 12},
    };
    for (size_t i = 0; r && i < sizeof pages / sizeof *pages; i++) {
        index_search_options o = default_opts();
        o.collapse_slot = SLOT_GROUP;
        o.order = INDEX_ORDER_VALUE_ASC;
        o.sort_slot = SLOT_NUMBER;
        o.check_at_least = 0;
        o.offset = pages[i].offset;
        o.limit = pages[i].limit;
        index_results rr, rw;
        index_query *q = term("agence");
        CHECK(index_search(r, q, &o, &rr) == KQ_OK);
        CHECK(index_search(w, q, &o, &rw) == KQ_OK);
        index_query_free(q);
        CHECK_STR(ids_counts(&rr, got, sizeof got), pages[i].ids);
        CHECK_STR(ids_counts(&rw, want, sizeof want), pages[i].ids);
        if (pages[i].total) {
            CHECK_MSG(rr.matches_lower == pages[i].total && rr.matches_upper == pages[i].total,
                      "page %zu: %llu..%llu", i, (unsigned long long)rr.matches_lower,
                      (unsigned long long)rr.matches_upper);
        } else {
            CHECK(rr.matches_lower <= rr.matches_estimated &&
                  rr.matches_estimated <= rr.matches_upper && rr.matches_upper <= 41);
            CHECK(rr.matches_lower >= pages[i].offset + pages[i].limit);
        }
        index_results_clear(&rr);
        index_results_clear(&rw);
    }
    /* A new copy at the top: the reader sees it after reopening. */
    snprintf(id, sizeof id, "d41");
    snprintf(group, sizeof group, "k31");
    test_doc extra = {id, "dépêche agence", -1, group, NULL};
    CHECK(index_begin(w) == KQ_OK);
    add_docs(w, &extra, 1);
    CHECK(index_commit(w) == KQ_OK);
    if (r) {
        CHECK(index_reopen(r) == KQ_OK);
        index_search_options o = default_opts();
        o.collapse_slot = SLOT_GROUP;
        o.order = INDEX_ORDER_VALUE_ASC;
        o.sort_slot = SLOT_NUMBER;
        o.limit = 3;
        index_results rr;
        index_query *q = term("agence");
        CHECK(index_search(r, q, &o, &rr) == KQ_OK);
        index_query_free(q);
        CHECK_STR(ids_counts(&rr, got, sizeof got), "d41+1,d0+29,d30");
        index_results_clear(&rr);
    }
    index_close(r);
    index_close(w);
}

int main(void)
{
    if (harness_tmpdir(tmp, sizeof tmp) != 0)
        harness_skip("no temporary directory");
    test_missing();
    test_write_read();

    char path[300];
    tmp_path(path, sizeof path, "search");
    index_db *w = open_db(path, INDEX_WRITE);
    if (w) {
        CHECK(index_begin(w) == KQ_OK);
        add_docs(w, corpus, N_CORPUS);
        CHECK(index_commit(w) == KQ_OK);
        index_close(w);
    }
    index_db *r = open_db(path, INDEX_READ);
    if (r) {
        test_iteration(r);
        test_queries(r);
        test_wildcard(r);
        test_values(r);
        test_collapse_and_facets(r);
        test_phrase_in(r);
        test_pairs_in(r);
        test_fetch_data(r);
        index_close(r);
    }
    test_threads(path);
    test_value_weights();
    test_collapse_pages();
    test_batches();
    test_batch_spills();
    test_compact();
    test_parts();
    return harness_exit("test_index");
}
