/* Unit tests of the record of searches (shared/searchlog.h): the normalised query, a series of
 * searches recorded then reported, identical searches as one row, the report's errors. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "searchlog.h"

static void test_normalise(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"vélo", "vélo"},
        {"  Réforme   des RETRAITES ", "réforme des retraites"},
        {"VÉLO\tvélo\n", "vélo vélo"},
        {"ŒUVRE", "œuvre"},                          /* case folded, not expanded */
        {"ﬁnance", "finance"},                       /* NFKC: the ligature ﬁ is two letters */
        {"Straße", "strasse"},                       /* full case folding */
        {"e\xcc\x81t\xc3\xa9", "\xc3\xa9t\xc3\xa9"}, /* composed: é typed as e + U+0301 */
        {"   ", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = searchlog_normalise(cases[i].in);
        CHECK_STR(got, cases[i].want);
        free(got);
    }
    char *bad = searchlog_normalise("\xff\xfe");
    CHECK(bad == NULL); /* not UTF-8 */
    free(bad);
}

/* The integer at key in the report's object, or -1. */
static long long field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static void test_record_then_report(void)
{
    char dir[4096], err[512];
    CHECK(harness_tmpdir(dir, sizeof dir) == 0);
    char *json = NULL;
    CHECK(searchlog_report(dir, NULL, &json, err, sizeof err) == KQ_ERR_NOT_FOUND);
    CHECK(strstr(err, "no search has been recorded") != NULL);

    searchlog *log = searchlog_open(dir, NULL, err, sizeof err);
    CHECK_MSG(log != NULL, "%s", err);
    if (!log)
        return;
    static const struct {
        const char *query, *section;
        unsigned times;
        uint64_t results;
    } script[] = {
        {"Vélo", NULL, 3, 22},         {"  vélo ", NULL, 2, 22},
        {"vélo", "mobilite", 1, 12},   {"quenouille", NULL, 2, 2},
        {"licorne bleue", NULL, 4, 0}, {"", NULL, 5, 0}, /* not recorded */
    };
    unsigned recorded = 0;
    for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
        for (unsigned k = 0; k < script[i].times; k++) {
            searchlog_entry e = {.query = script[i].query,
                                 .section = script[i].section,
                                 .source = "api",
                                 .results = script[i].results,
                                 .took_ms = 1.5};
            searchlog_record(log, &e);
        }
        recorded += *script[i].query ? script[i].times : 0;
    }
    searchlog_close(log); /* commits what is queued */

    CHECK(searchlog_report(dir, NULL, &json, err, sizeof err) == KQ_OK);
    json_t *r = json ? json_loads(json, 0, NULL) : NULL;
    CHECK(r != NULL);
    free(json);
    if (!r)
        return;
    CHECK(field(r, "searches") == recorded);
    CHECK(field(r, "distinct_queries") == 3);
    CHECK(field(r, "zero_result_searches") == 4);
    CHECK(field(r, "previous_searches") == 0);
    json_t *top = json_object_get(r, "top");
    CHECK(json_array_size(top) == 3);
    static const struct {
        const char *query;
        long long searches, results;
    } want_top[] = {{"vélo", 6, 12}, {"licorne bleue", 4, 0}, {"quenouille", 2, 2}};
    for (size_t i = 0; i < 3 && i < json_array_size(top); i++) {
        json_t *row = json_array_get(top, i);
        CHECK_STR(json_string_value(json_object_get(row, "query")), want_top[i].query);
        CHECK(field(row, "searches") == want_top[i].searches);
        /* vélo: its latest search, with a section, found 12, or, in the same second, 22 */
        if (i > 0)
            CHECK(field(row, "results") == want_top[i].results);
    }
    json_t *few = json_object_get(r, "few_results");
    CHECK(json_array_size(few) == 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(few, 0), "query")), "licorne bleue");
    json_t *rising = json_object_get(r, "rising");
    CHECK(json_array_size(rising) == 2); /* asked 3 times at least: vélo, licorne bleue */
    json_decref(r);

    /* A period with nothing in it, and an empty one. */
    searchlog_report_options old = {.since = 1000000000, .until = 1000086400};
    CHECK(searchlog_report(dir, &old, &json, err, sizeof err) == KQ_OK);
    r = json ? json_loads(json, 0, NULL) : NULL;
    CHECK(r && field(r, "searches") == 0 && json_array_size(json_object_get(r, "top")) == 0);
    json_decref(r);
    free(json);
    searchlog_report_options empty = {.since = 2000000000, .until = 1000000000};
    CHECK(searchlog_report(dir, &empty, &json, err, sizeof err) == KQ_ERR_INVALID);
}

static void test_cannot_open(void)
{
    char err[512] = "";
    searchlog *log = searchlog_open("/nonexistent/kiosque-db", NULL, err, sizeof err);
    CHECK(log == NULL);
    CHECK(strstr(err, "cannot be written") != NULL);
    searchlog_record(NULL, &(searchlog_entry){.query = "x"}); /* a NULL log records nothing */
    searchlog_close(NULL);
}

int main(void)
{
    test_normalise();
    test_record_then_report();
    test_cannot_open();
    harness_cleanup();
    return harness_exit("test_searchlog");
}
