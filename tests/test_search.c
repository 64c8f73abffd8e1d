/* test_search: the search pipeline as a library (plan, compile, the retry
 * helper, search_run, articles, rendering) on a small index of French
 * articles written for the project. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "article.h"
#include <sys/stat.h>

#include "compile.h"
#include "dbpath.h"
#include "document.h"
#include "harness.h"
#include "index.h"
#include "plan.h"
#include "result_render.h"
#include "search.h"
#include "search_impl.h"

static char tmp[256];

static const char *const articles[] = {
    "{\"identifier\":\"s1\",\"headline\":\"Le chat noir du quartier\","
    "\"articleBody\":\"Le chat noir dort sur le canapé de la maison du maire.\","
    "\"author\":\"Ana Lopez\",\"articleSection\":\"societe\","
    "\"datePublished\":\"2024-03-05T10:00:00Z\"}",
    "{\"identifier\":\"s2\",\"headline\":\"La maison de la culture rouvre\","
    "\"articleBody\":\"Le maire inaugure la maison de la culture, fermée depuis un an. "
    "Le groupe Vivendi présente son modèle aux élus.\",\"author\":\"Paul Martin\","
    "\"articleSection\":\"culture\",\"datePublished\":\"2024-03-06T10:00:00Z\"}",
    "{\"identifier\":\"s3\",\"headline\":\"Un chien perdu retrouvé\","
    "\"articleBody\":\"Un chien et un chat jouent dans le jardin. La société Vivendi "
    "recrute, écrit Vivendi dans un communiqué.\",\"author\":\"Ana Lopez\","
    "\"articleSection\":\"societe\",\"datePublished\":\"2024-03-07T10:00:00Z\"}",
};
#define N_ARTICLES (sizeof articles / sizeof *articles)

static int build_index(void)
{
    char path[512], err[256];
    kq_status st;
    snprintf(path, sizeof path, "%s/db/%s", tmp, DBPATH_XAPIAN);
    analyzer *an = analyzer_new();
    index_doc *doc = index_doc_new();
    index_db *db = index_open(path, INDEX_WRITE, &st, err, sizeof err);
    int ok = an && doc && db && index_begin(db) == KQ_OK;
    for (size_t i = 0; ok && i < N_ARTICLES; i++) {
        article a;
        unsigned docid;
        ok = article_from_json(articles[i], strlen(articles[i]), &a, err, sizeof err) == KQ_OK;
        if (ok)
            article_parse_date(a.date, &a.published);
        ok = ok && document_build(an, &a, doc) == KQ_OK && index_add(db, doc, &docid) == KQ_OK;
        article_clear(&a);
    }
    ok = ok && index_commit(db) == KQ_OK;
    index_close(db);
    index_doc_free(doc);
    analyzer_free(an);
    return ok;
}

/* The plan: the kind of query, its words analysed once. */
static void test_plan(search_engine *e)
{
    static const struct {
        const char *query;
        size_t words, stops;
        int partial, question;
        size_t prox;
    } rows[] = {
        {"chat noir", 2, 0, 0, 0, 2},
        {"le chat noir", 2, 1, 0, 0, 2},
        {"chat", 1, 0, 0, 0, 0},
        {"le la", 0, 2, 0, 0, 0},
        {"où dort le chat noir du maire ?", 4, 3, 1, 1, 4},
        {"le maire inaugure la maison de la culture", 4, 4, 1, 0, 4},
        {"chat chien maison culture maire", 5, 0, 1, 0, 0},
        {"\"chat noir\" -chien", 0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        search_request req = {.query = rows[i].query};
        search_plan p;
        CHECK(plan_make(&p, e, &req) == KQ_OK);
        CHECK_MSG(p.words == rows[i].words && p.stops == rows[i].stops &&
                      p.partial == rows[i].partial && p.question == rows[i].question &&
                      p.prox.n == rows[i].prox,
                  "%s: words %zu stops %zu partial %d question %d prox %zu", rows[i].query, p.words,
                  p.stops, p.partial, p.question, p.prox.n);
        plan_clear(&p);
    }

    /* A text is analysed once: the same tokens the second time. */
    search_request req = {.query = "Vivendi recrute"};
    search_plan p;
    CHECK(plan_make(&p, e, &req) == KQ_OK);
    size_t before = p.n_texts;
    struct qtokens *a = plan_words(&p, "Vivendi");
    struct qtokens *b = plan_words(&p, "Vivendi");
    CHECK(a && a == b && p.n_texts == before);
    CHECK(plan_words(&p, "élus") && p.n_texts == before + 1);
    /* "Vivendi" (stem "vivend") is written with a capital inside
     * sentences: a name, decided once and kept on the token; "recrute" is
     * not one. */
    if (a && a->n == 1) {
        CHECK(a->t[0].name == -1);
        CHECK(plan_is_name(&p, &a->t[0]) == 1);
        CHECK(a->t[0].name == 1);
    }
    struct qtokens *c = plan_words(&p, "recrute");
    CHECK(c && c->n == 1 && plan_is_name(&p, &c->t[0]) == 0 && c->t[0].name == 0);
    /* A passage's word pairs, one of each pair a content word. */
    plan_clear(&p);
    req.query = "le maire inaugure la maison";
    CHECK(plan_make(&p, e, &req) == KQ_OK);
    const struct passage *x = plan_passage(&p);
    CHECK(x && x->n_pairs == 4 && x->n_terms == 12);
    if (x && x->n_terms == 12)
        CHECK_STR(x->terms[6], "inaugure");
    plan_clear(&p);
    req.query = "qui inaugure la maison ?";
    CHECK(plan_make(&p, e, &req) == KQ_OK);
    CHECK(plan_passage(&p) == NULL && p.status == KQ_OK); /* a question is no passage */
    plan_clear(&p);
}

/* Compiling: the terms of each field come from document.h's table. */
static void test_compile(search_engine *e)
{
    static const struct {
        const char *query;
        const char *has; /* in the described query */
    } rows[] = {
        {"titre:maison", "ZSmais"}, {"titre:maison", "Smaison"},
        {"auteur:lopez", "Alopez"}, {"rubrique:culture", "XSculture"},
        {"motcle:maire", "Kmaire"}, {"chat", "Zchat"},
        {"Vivendi", "vivendi"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        search_request req = {.query = rows[i].query};
        search_plan p;
        kq_status st;
        CHECK(plan_make(&p, e, &req) == KQ_OK);
        compile_mode m = {0};
        snippet_terms *marks = snippet_terms_new();
        index_query *q = compile_query(&p, &m, marks, NULL, &st);
        char *d = q ? index_query_describe(q) : NULL;
        CHECK_MSG(st == KQ_OK && d && strstr(d, rows[i].has), "%s: %s", rows[i].query,
                  d ? d : "(none)");
        free(d);
        index_query_free(q);
        snippet_terms_free(marks);
        plan_clear(&p);
    }
}

/* The retry helper: again after KQ_ERR_MODIFIED, a bounded number of times. */
struct attempts {
    int calls;
    int modified; /* answer KQ_ERR_MODIFIED this many times */
    int not_found;
};

static kq_status flaky(search_engine *e, void *ctx)
{
    (void)e;
    struct attempts *a = ctx;
    a->calls++;
    if (a->modified > 0) {
        a->modified--;
        return KQ_ERR_MODIFIED;
    }
    if (a->not_found > 0) {
        a->not_found--;
        return KQ_ERR_NOT_FOUND;
    }
    return KQ_OK;
}

static void test_retry(search_engine *e)
{
    struct attempts a = {.modified = 3};
    CHECK(search_with_retry(e, flaky, &a, 0) == KQ_OK && a.calls == 4);
    a = (struct attempts){.modified = 100};
    CHECK(search_with_retry(e, flaky, &a, 0) == KQ_ERR_MODIFIED &&
          a.calls == SEARCH_MAX_RETRIES + 1);
    a = (struct attempts){.not_found = 1};
    CHECK(search_with_retry(e, flaky, &a, 0) == KQ_ERR_NOT_FOUND && a.calls == 1);
    a = (struct attempts){.not_found = 1};
    CHECK(search_with_retry(e, flaky, &a, 1) == KQ_OK && a.calls == 2);
    a = (struct attempts){.not_found = 5};
    CHECK(search_with_retry(e, flaky, &a, 1) == KQ_ERR_NOT_FOUND && a.calls == 2);
}

/* The whole pipeline, then an article and its JSON. */
static void test_run(search_engine *e)
{
    search_request req = {.query = "chat noir"};
    search_result r;
    CHECK(search_run(e, &req, &r) == KQ_OK);
    CHECK(r.n_hits >= 1 && r.total_exact);
    if (r.n_hits >= 1)
        CHECK_STR(r.hits[0].id, "s1");
    char *json = result_json(&r);
    CHECK(json && strstr(json, "\"id\":\"s1\"") && strstr(json, "<mark>"));
    free(json);
    search_result_clear(&r);

    /* No article has every word: partial matching, said so. */
    req.query = "chien canapé";
    CHECK(search_run(e, &req, &r) == KQ_OK);
    CHECK(r.partial && r.n_hits == 2);
    search_result_clear(&r);

    /* A page past the last hit, ranked or by date, and a query nothing
     * matches: no hits and no fault (UBSan saw a pointer formed past them). */
    const enum search_sort sorts[] = {SEARCH_SORT_RELEVANCE, SEARCH_SORT_DATE};
    for (size_t i = 0; i < sizeof sorts / sizeof *sorts; i++) {
        req = (search_request){.query = "chat OR maison", .offset = 10, .sort = sorts[i]};
        CHECK(search_run(e, &req, &r) == KQ_OK);
        CHECK(r.n_hits == 0 && r.total == 3);
        search_result_clear(&r);
        req = (search_request){.query = "xylophone", .sort = sorts[i]};
        CHECK(search_run(e, &req, &r) == KQ_OK);
        CHECK(r.n_hits == 0 && r.total == 0);
        search_result_clear(&r);
    }

    search_article a;
    CHECK(search_get_article(e, "s2", &a) == KQ_OK);
    CHECK(a.title && strcmp(a.title, "La maison de la culture rouvre") == 0);
    CHECK(a.n_authors == 1 && a.n_sections == 1 && a.date_modified && !*a.date_modified);
    json = result_article_json(&a);
    CHECK(json && strstr(json, "\"title\":\"La maison de la culture rouvre\"") &&
          strstr(json, "\"authors\":[\"Paul Martin\"]"));
    free(json);
    search_article_clear(&a);
    CHECK(search_get_article(e, "nope", &a) == KQ_ERR_NOT_FOUND && a.title == NULL);
}

int main(void)
{
    char path[512];
    kq_status st;
    char err[512];
    if (harness_tmpdir(tmp, sizeof tmp) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/db", tmp);
    CHECK(mkdir(path, 0700) == 0);
    CHECK(build_index());
    search_engine *e = search_open(path, &st, err, sizeof err);
    CHECK_MSG(e != NULL, "%s", err);
    if (e) {
        test_plan(e);
        test_compile(e);
        test_retry(e);
        test_run(e);
    }
    search_close(e);
    harness_cleanup();
    return harness_exit("test_search");
}
