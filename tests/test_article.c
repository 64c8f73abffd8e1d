/* test_article: the article record, its JSON reading, dates, markup, hash and the file reader. */
#include "article.h"
#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define FIX KQ_FIXTURES "/articles/"

static char tmp[512];

/* The expected article; fields left out of a row must be NULL (or 0). */
struct want {
    const char *id, *title, *description, *body, *url, *language;
    const char *authors, *sections, *keywords; /* joined with '|' */
    const char *date, *date_modified;
    int64_t published;
};

static void check_article(const char *ctx, const article *a, const struct want *w)
{
    char buf[1024];
    CHECK_FIELD(ctx, "id", a->id, w->id);
    CHECK_FIELD(ctx, "title", a->title, w->title);
    CHECK_FIELD(ctx, "description", a->description, w->description);
    CHECK_FIELD(ctx, "body", a->body, w->body);
    CHECK_FIELD(ctx, "url", a->url, w->url);
    CHECK_FIELD(ctx, "language", a->language, w->language);
    CHECK_FIELD(ctx, "authors", harness_join(a->authors, a->n_authors, buf, sizeof buf),
                w->authors);
    CHECK_FIELD(ctx, "sections", harness_join(a->sections, a->n_sections, buf, sizeof buf),
                w->sections);
    CHECK_FIELD(ctx, "keywords", harness_join(a->keywords, a->n_keywords, buf, sizeof buf),
                w->keywords);
    CHECK_FIELD(ctx, "date", a->date, w->date);
    CHECK_FIELD(ctx, "date_modified", a->date_modified, w->date_modified);
    CHECK_MSG(a->published == w->published, "%s: published %lld, want %lld", ctx,
              (long long)a->published, (long long)w->published);
    CHECK_MSG(strlen(a->hash) == 16 && strspn(a->hash, "0123456789abcdef") == 16, "%s: hash \"%s\"",
              ctx, a->hash);
}

/* --- article_from_json: properties, aliases and forms ------------------------ */

static void test_properties(void)
{
    static const struct {
        const char *json;
        struct want w;
    } rows[] = {
        {"{\"identifier\":\"a1\",\"headline\":\"Titre\"}", {.id = "a1", .title = "Titre"}},
        {"{\"@type\":\"NewsArticle\",\"identifier\":\"a2\",\"headline\":\"Le titre\","
         "\"description\":\"Le chapô.\",\"articleBody\":\"Le "
         "corps.\",\"url\":\"https://exemple.fr/a2\","
         "\"inLanguage\":\"fr\",\"author\":\"Jeanne "
         "Dupuis\",\"datePublished\":\"2024-03-05T10:00:00+01:00\","
         "\"dateModified\":\"2024-03-05T12:30:00Z\",\"articleSection\":\"societe\",\"keywords\":"
         "\"école,"
         "cantine\"}",
         {.id = "a2",
          .title = "Le titre",
          .description = "Le chapô.",
          .body = "Le corps.",
          .url = "https://exemple.fr/a2",
          .language = "fr",
          .authors = "Jeanne Dupuis",
          .sections = "societe",
          .keywords = "école|cantine",
          .date = "2024-03-05T09:00:00Z",
          .published = 1709629200,
          .date_modified = "2024-03-05T12:30:00Z"}},
        /* Every short alias. */
        {"{\"id\":\"a3\",\"title\":\"Alias\",\"body\":\"Corps\",\"creator\":\"Paul Morel\","
         "\"date\":\"2024-03-05\",\"section\":\"monde\"}",
         {.id = "a3",
          .title = "Alias",
          .body = "Corps",
          .authors = "Paul Morel",
          .sections = "monde",
          .date = "2024-03-05T00:00:00Z",
          .published = 1709596800}},
        /* The long names win over their aliases. */
        {"{\"identifier\":\"long\",\"id\":\"court\",\"headline\":\"H\",\"title\":\"T\","
         "\"author\":\"A\",\"creator\":\"C\"}",
         {.id = "long", .title = "H", .authors = "A"}},
        /* Numeric identifiers print as integers. */
        {"{\"identifier\":12345,\"headline\":\"Nombre\"}", {.id = "12345", .title = "Nombre"}},
        {"{\"identifier\":12345.0,\"headline\":\"Réel entier\"}",
         {.id = "12345", .title = "Réel entier"}},
        {"{\"id\":-7,\"headline\":\"Négatif\"}", {.id = "-7", .title = "Négatif"}},
        {"{\"identifier\":1.5,\"headline\":\"Fraction\"}", {.id = "1.5", .title = "Fraction"}},
        /* Fallbacks: @id, then url (a string or an object). */
        {"{\"@id\":\"https://exemple.fr/#a\",\"url\":\"https://exemple.fr/a\",\"headline\":\"Par "
         "@id\"}",
         {.id = "https://exemple.fr/#a", .title = "Par @id", .url = "https://exemple.fr/a"}},
        {"{\"url\":\"https://exemple.fr/b\",\"headline\":\"Par url\"}",
         {.id = "https://exemple.fr/b", .title = "Par url", .url = "https://exemple.fr/b"}},
        {"{\"url\":{\"@id\":\"https://exemple.fr/c\"},\"headline\":\"Url objet\"}",
         {.id = "https://exemple.fr/c", .title = "Url objet", .url = "https://exemple.fr/c"}},
        {"{\"identifier\":\"  \",\"@id\":\"repli\",\"headline\":\"Identifiant vide\"}",
         {.id = "repli", .title = "Identifiant vide"}},
        {"{\"identifier\":{\"@type\":\"PropertyValue\",\"value\":\"pv-1\"},\"headline\":\"PV\"}",
         {.id = "pv-1", .title = "PV"}},
        /* Trimming, including no-break spaces. */
        {"{\"identifier\":\" \\t a4 \\n\",\"headline\":\"\\u00a0 Espacé \\u00a0\"}",
         {.id = "a4", .title = "Espacé"}},
        /* Author forms. */
        {"{\"identifier\":\"a5\",\"headline\":\"H\",\"author\":{\"@type\":\"Person\",\"name\":\" "
         "Luc Bon \"}}",
         {.id = "a5", .title = "H", .authors = "Luc Bon"}},
        {"{\"identifier\":\"a6\",\"headline\":\"H\",\"author\":[\"Léa Martin\",{\"name\":\"Hugo "
         "Petit\"},"
         "\"Léa Martin\",\" \",{\"name\":\" Hugo Petit\"},{\"@type\":\"Person\"},42,[\"X\"],"
         "{\"@type\":\"Organization\",\"name\":\"AFP\"}]}",
         {.id = "a6", .title = "H", .authors = "Léa Martin|Hugo Petit|AFP"}},
        {"{\"identifier\":\"a7\",\"headline\":\"H\",\"creator\":[{\"name\":\"Zoé\"},\"Zoé\"]}",
         {.id = "a7", .title = "H", .authors = "Zoé"}},
        /* Sections and keywords. */
        {"{\"identifier\":\"a8\",\"headline\":\"H\",\"articleSection\":[\"societe\",\"sante\","
         "\"societe\",\"\"]}",
         {.id = "a8", .title = "H", .sections = "societe|sante"}},
        {"{\"identifier\":\"a9\",\"headline\":\"H\",\"keywords\":\" vélo, ,mobilité ,,  route \"}",
         {.id = "a9", .title = "H", .keywords = "vélo|mobilité|route"}},
        {"{\"identifier\":\"a10\",\"headline\":\"H\",\"keywords\":[\" climat "
         "\",\"\",\"énergie\",\"climat\"]}",
         {.id = "a10", .title = "H", .keywords = "climat|énergie"}},
        /* Language forms. */
        {"{\"identifier\":\"a11\",\"headline\":\"H\",\"inLanguage\":{\"name\":\"French\","
         "\"alternateName\":\"fr\"}}",
         {.id = "a11", .title = "H", .language = "fr"}},
        {"{\"identifier\":\"a12\",\"headline\":\"H\",\"inLanguage\":{\"name\":\"fr-FR\"}}",
         {.id = "a12", .title = "H", .language = "fr-FR"}},
        /* An unparsable date is not a reject: it stays unknown. */
        {"{\"identifier\":\"a13\",\"headline\":\"H\",\"datePublished\":\"mardi dernier\","
         "\"dateModified\":\"2024-02-30\"}",
         {.id = "a13", .title = "H"}},
        {"{\"identifier\":\"a14\",\"headline\":\"H\",\"datePublished\":\"Tue, 05 Mar 2024 10:00:00 "
         "+0100\"}",
         {.id = "a14", .title = "H", .date = "2024-03-05T09:00:00Z", .published = 1709629200}},
        /* Nulls are absent values; unknown properties and wrong types are ignored. */
        {"{\"identifier\":\"a15\",\"headline\":\"H\",\"description\":null,\"articleBody\":42,"
         "\"inconnu\":{\"a\":[1,2]},\"url\":null,\"keywords\":null,\"author\":true}",
         {.id = "a15", .title = "H"}},
        /* An empty body stays an empty string; an empty description is NULL. */
        {"{\"identifier\":\"a16\",\"headline\":\"H\",\"articleBody\":\"  \",\"description\":\" \"}",
         {.id = "a16", .title = "H", .body = ""}},
        /* Markup and entities in the title and the description. */
        {"{\"identifier\":\"a17\",\"headline\":\"Procter &amp; Gamble\",\"description\":\"<p>Un "
         "<i>chapô</i></p>\"}",
         {.id = "a17", .title = "Procter & Gamble", .description = "Un chapô"}},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        article a = {0};
        char err[256] = "", ctx[64];
        snprintf(ctx, sizeof ctx, "properties row %zu", i);
        kq_status st = article_from_json(rows[i].json, strlen(rows[i].json), &a, err, sizeof err);
        CHECK_MSG(st == KQ_OK, "%s: status %d: %s", ctx, st, err);
        if (st == KQ_OK)
            check_article(ctx, &a, &rows[i].w);
        article_clear(&a);
    }
}

/* --- article_from_json: rejects ------------------------------------------------ */

static void test_rejects(void)
{
    char long_id[400], too_long_id[400];
    snprintf(long_id, sizeof long_id, "{\"identifier\":\"%0256d\",\"headline\":\"H\"}", 7);
    snprintf(too_long_id, sizeof too_long_id, "{\"identifier\":\"%0257d\",\"headline\":\"H\"}", 7);
    static const char nul[] = "{\"identifier\":\"x\",\"headline\":\"a\0b\"}";
    const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *reason;
    } rows[] = {
        {"{\"identifier\":\"x\",\"headline\":\"a\"", 0, "invalid JSON at column"},
        {"{\"identifier\":\"x\" \"headline\":\"a\"}", 0, "invalid JSON at column 28"},
        {"{\"identifier\":\"x\",\"headline\":\"a\"} en trop", 0, "invalid JSON"},
        {"", 0, "invalid JSON"},
        {"[]", 0, "not a JSON object but an array"},
        {"\"texte\"", 0, "not a JSON object but a string"},
        {"42", 0, "not a JSON object but a number"},
        {"null", 0, "not a JSON object but null"},
        {"{\"headline\":\"Sans identifiant\"}", 0, "missing identifier"},
        {"{\"identifier\":null,\"headline\":\"a\"}", 0, "missing identifier"},
        {"{\"identifier\":\"  \",\"headline\":\"a\"}", 0, "empty identifier"},
        {"{\"identifier\":\"x\"}", 0, "missing headline"},
        {"{\"identifier\":\"x\",\"headline\":\"\"}", 0, "empty headline"},
        {"{\"identifier\":\"x\",\"title\":\" \\u00a0 \"}", 0, "empty headline"},
        {"{\"identifier\":\"x\",\"headline\":\"<p></p>\"}", 0, "empty headline"},
        {"{\"identifier\":\"x\",\"headline\":3}", 0, "headline is a number"},
        {"{\"identifier\":\"x\",\"headline\":\"caf\xe9\"}", 0, "invalid UTF-8 at column 34"},
        {"{\"identifier\":\"x\",\"headline\":\"\xc0\xaf\"}", 0, "invalid UTF-8"},
        {"{\"identifier\":\"x\",\"headline\":\"\xed\xa0\x80\"}", 0, "invalid UTF-8"},
        {"{\"identifier\":\"x\",\"headline\":\"\xf4\x90\x80\x80\"}", 0, "invalid UTF-8"},
        {"{\"identifier\":\"x\",\"headline\":\"\xe2\x82\"}", 0, "invalid UTF-8"},
        {nul, sizeof nul - 1, "NUL byte at column 32"},
        {"\xde\xad\xbe\xef\x01\x02\x03 n'importe quoi \xff", 0, "binary data"},
        {"{\"identifier\":\"x\",\"headline\":\"a\\u0000b\"}", 0, "invalid JSON"},
        {"{\"identifier\":\"x\",\"headline\":\"\\ud800\"}", 0, "invalid JSON"},
        {too_long_id, 0, "identifier longer than 256 bytes"},
        /* jansson quotes the text near the error, here a raw newline (found by fuzz_article). */
        {"{\"identifier\":\"x\",\n\"headline\":\"a \\\n\"}", 0, "invalid escape near '\"a \\ '"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        article a = {0};
        memset(&a, 0x5a, sizeof a); /* must come back cleared */
        char err[256] = "";
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].text);
        kq_status st = article_from_json(rows[i].text, len, &a, err, sizeof err);
        CHECK_MSG(st == KQ_ERR_INVALID, "reject row %zu: status %d", i, st);
        CHECK_MSG(strstr(err, rows[i].reason) != NULL, "reject row %zu: reason \"%s\", want \"%s\"",
                  i, err, rows[i].reason);
        CHECK_MSG(!strchr(err, '\n'), "reject row %zu: reason on more than one line", i);
        CHECK_MSG(a.id == NULL && a.title == NULL && a.n_authors == 0 && a.hash[0] == 0,
                  "reject row %zu: article not cleared", i);
        article_clear(&a);
    }
    /* 256 bytes is the longest identifier accepted. */
    article a = {0};
    char err[256] = "";
    CHECK(article_from_json(long_id, strlen(long_id), &a, err, sizeof err) == KQ_OK);
    CHECK(a.id && strlen(a.id) == 256);
    article_clear(&a);
    /* Unusual calls. */
    CHECK(article_from_json(NULL, 0, &a, err, sizeof err) == KQ_ERR_INVALID);
    CHECK(article_from_json("{}", 2, &a, NULL, 0) == KQ_ERR_INVALID);
    article_clear(NULL);
    article_reader_close(NULL);
}

/* --- dates ---------------------------------------------------------------------- */

static void test_dates(void)
{
    static const struct {
        const char *text;
        kq_status st;
        int64_t epoch;
    } rows[] = {
        {"2024-03-05", KQ_OK, 1709596800},
        {"2024-03-05T10:00:00+01:00", KQ_OK, 1709629200},
        {"2024-03-05T10:00:00+0100", KQ_OK, 1709629200},
        {"2024-03-05T10:00:00+01", KQ_OK, 1709629200},
        {"2024-03-05T09:00:00Z", KQ_OK, 1709629200},
        {"2024-03-05t09:00:00z", KQ_OK, 1709629200},
        {"2024-03-05T09:00:00.123456Z", KQ_OK, 1709629200},
        {"2024-03-05T10:00:00,5+01:00", KQ_OK, 1709629200},
        {"2024-03-05 09:00:00", KQ_OK, 1709629200},
        {"2024-03-05T09:00Z", KQ_OK, 1709629200},
        {"2024-03-05T04:00:00-05:00", KQ_OK, 1709629200},
        {"  2024-03-05T09:00:00Z \n", KQ_OK, 1709629200},
        {"Tue, 05 Mar 2024 10:00:00 +0100", KQ_OK, 1709629200},
        {"5 Mar 2024 09:00:00 GMT", KQ_OK, 1709629200},
        {"Tuesday, 5 March 2024 04:00:00 EST", KQ_OK, 1709629200},
        {"Tue, 05 Mar 24 09:00 +0000", KQ_OK, 1709629200},
        {"Tue, 05 Mar 2024 09:00:00 +0000 (UTC)", KQ_OK, 1709629200},
        {"2000-02-29T23:59:59Z", KQ_OK, 951868799},
        {"1970-01-01T00:00:00Z", KQ_OK, 0},
        {"1970-01-01T00:30:00+01:30", KQ_OK, -3600},
        {"2020-07-02T19:09:00+02:00", KQ_OK, 1593709740},
        {"", KQ_ERR_INVALID, 0},
        {"le 5 mars", KQ_ERR_INVALID, 0},
        {"mardi 5 mars 2024", KQ_ERR_INVALID, 0},
        {"2024-02-30", KQ_ERR_INVALID, 0},
        {"2023-02-29", KQ_ERR_INVALID, 0},
        {"2024-13-01", KQ_ERR_INVALID, 0},
        {"2024-00-10", KQ_ERR_INVALID, 0},
        {"2024-3-5", KQ_ERR_INVALID, 0},
        {"05/03/2024", KQ_ERR_INVALID, 0},
        {"2024-03-05T25:00:00Z", KQ_ERR_INVALID, 0},
        {"2024-03-05T10:60:00Z", KQ_ERR_INVALID, 0},
        {"2024-03-05T10:00:00+24:00", KQ_ERR_INVALID, 0},
        {"2024-03-05T10:00:00+01:00 en trop", KQ_ERR_INVALID, 0},
        {"2024-03-05T10", KQ_ERR_INVALID, 0},
        {"2024-03-05T10:00:00.Z", KQ_ERR_INVALID, 0},
        {"Tue, 32 Mar 2024 10:00:00 +0100", KQ_ERR_INVALID, 0},
        {"Tue, 05 Xyz 2024 10:00:00 +0100", KQ_ERR_INVALID, 0},
        {"Tue, 05 Mar 2024 10:00:00 CEST", KQ_ERR_INVALID, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t t = 42;
        kq_status st = article_parse_date(rows[i].text, &t);
        CHECK_MSG(st == rows[i].st, "date \"%s\": status %d, want %d", rows[i].text, st,
                  rows[i].st);
        if (st == KQ_OK && rows[i].st == KQ_OK)
            CHECK_MSG(t == rows[i].epoch, "date \"%s\": %lld, want %lld", rows[i].text,
                      (long long)t, (long long)rows[i].epoch);
    }
    int64_t t;
    CHECK(article_parse_date(NULL, &t) == KQ_ERR_INVALID);
}

/* --- markup and entities ---------------------------------------------------------- */

static void test_html(void)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"<p>Un</p><p>Deux</p>", "Un\nDeux"},
        {"a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &apos;f&apos;", "a & b <c> \"d\" 'e' 'f'"},
        {"caf&eacute; caf&#233; caf&#xE9; caf&#XE9; caf&#xe9;", "café café café café café"},
        {"prix&nbsp;: 5&nbsp;&euro;", "prix\xC2\xA0: 5\xC2\xA0€"},
        {"&laquo;&#160;Bonjour&#160;&raquo; &Eacute;t&eacute; &oelig;uvre&hellip;",
         "«\xC2\xA0"
         "Bonjour\xC2\xA0» Été œuvre…"},
        {"<b>gras</b>ement <i>ita</i>lique", "grasement italique"},
        {"ligne<br/>suivante<br>fin<BR />", "ligne\nsuivante\nfin"},
        {"<script type=\"text/javascript\">var x = '<p>';</script>Texte<style>p{}</style>",
         "Texte"},
        {"<!-- commentaire <p> -->Texte", "Texte"},
        {"<a href=\"/x?a=1&b=2\" title=\"a>b\">lien</a>", "lien"},
        {"3 < 4 et 5 > 2", "3 < 4 et 5 > 2"},
        {"AT&T & co", "AT&T & co"},
        {"&inconnu; reste", "&inconnu; reste"},
        {"&#0; &#xD800; &#99999999999; &#1;",
         "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD"},
        {"l&#146;été", "l’été"},
        {"<p>Non fermé <b", "Non fermé <b"},
        {"  <div>  Espaces  </div>  ", "Espaces"},
        {"<ul><li>un</li><li>deux</li></ul>", "un\ndeux"},
        {"&amp;lt; reste", "&lt; reste"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char json[1024];
        /* The body is given raw inside the JSON string: rows avoid '"' and '\\'
         * except in attribute values, which are escaped here. */
        size_t o = (size_t)snprintf(
            json, sizeof json, "{\"identifier\":\"h%zu\",\"headline\":\"H\",\"articleBody\":\"", i);
        for (const char *p = rows[i].in; *p && o + 3 < sizeof json; p++) {
            if (*p == '"' || *p == '\\')
                json[o++] = '\\';
            json[o++] = *p;
        }
        snprintf(json + o, sizeof json - o, "\"}");
        article a = {0};
        char err[256] = "";
        kq_status st = article_from_json(json, strlen(json), &a, err, sizeof err);
        CHECK_MSG(st == KQ_OK, "html row %zu: %s", i, err);
        CHECK_MSG(harness_same(a.body, rows[i].out), "html row %zu: got \"%s\", want \"%s\"", i,
                  a.body ? a.body : "(null)", rows[i].out);
        article_clear(&a);
    }
}

/* --- content hash ---------------------------------------------------------------- */

static void hash_of(const char *json, char out[17])
{
    article a = {0};
    char err[256] = "";
    out[0] = 0;
    kq_status st = article_from_json(json, strlen(json), &a, err, sizeof err);
    CHECK_MSG(st == KQ_OK, "hash input %s: %s", json, err);
    if (st == KQ_OK)
        memcpy(out, a.hash, 17);
    article_clear(&a);
}

static void test_hash(void)
{
#define BASE_FIELDS                                                                                \
    "\"description\":\"D\",\"articleBody\":\"B\",\"url\":\"U\",\"inLanguage\":\"fr\",\"author\":[" \
    "\"A1\",\"A2\"],"                                                                              \
    "\"articleSection\":\"S\",\"keywords\":\"K1,K2\",\"datePublished\":\"2024-03-05\","            \
    "\"dateModified\":\"2024-03-06\""
    static const char base[] = "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS "}";
    static const char *const same_content[] = {
        base,
        /* Other key order, aliases, extra spaces and unknown keys: same content. */
        "{\"title\":\" T \",\"id\":\"I\",\"inconnu\":1," BASE_FIELDS "}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS
        ",\"datePublished\":\"2024-03-05T00:00:00Z\"}",
    };
    static const char *const variants[] = {
        "{\"identifier\":\"I2\",\"headline\":\"T\"," BASE_FIELDS "}",
        "{\"identifier\":\"I\",\"headline\":\"T2\"," BASE_FIELDS "}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"description\":\"D2\"}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"articleBody\":\"B2\"}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"articleBody\":\"\"}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"url\":\"U2\"}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"inLanguage\":\"en\"}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"author\":[\"A1\"]}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"author\":[\"A2\",\"A1\"]}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"author\":[\"A1A2\"]}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS
        ",\"articleSection\":[\"S\",\"S2\"]}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"keywords\":\"K1\"}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS
        ",\"datePublished\":\"2024-03-07\"}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"dateModified\":\"2024-03-07\"}",
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS ",\"dateModified\":null}",
        /* Text moved from one field to the next. */
        "{\"identifier\":\"I\",\"headline\":\"TD\"," BASE_FIELDS ",\"description\":\"\"}",
        /* Lists whose items move between lists. */
        "{\"identifier\":\"I\",\"headline\":\"T\"," BASE_FIELDS
        ",\"author\":[\"A1\",\"A2\",\"S\"],\"articleSection\":null}",
    };
    enum { NV = sizeof variants / sizeof variants[0] };
    char h0[17], h[17], seen[NV][17];
    hash_of(base, h0);
    for (size_t i = 0; i < sizeof same_content / sizeof same_content[0]; i++) {
        hash_of(same_content[i], h);
        CHECK_MSG(strcmp(h, h0) == 0, "same content %zu: hash %s, want %s", i, h, h0);
    }
    for (size_t i = 0; i < NV; i++) {
        hash_of(variants[i], seen[i]);
        CHECK_MSG(strcmp(seen[i], h0) != 0, "variant %zu has the base hash %s", i, h0);
        for (size_t j = 0; j < i; j++)
            CHECK_MSG(strcmp(seen[i], seen[j]) != 0, "variants %zu and %zu share hash %s", j, i,
                      seen[i]);
    }
#undef BASE_FIELDS
}

/* --- the reader -------------------------------------------------------------------- */

/* One item returned by the reader. */
struct item {
    kq_status st;
    size_t line;
    char id[64];
    char hash[17];
    char err[256];
};

/* Reads a whole file; returns the number of items (KQ_OK or KQ_ERR_INVALID),
 * the final status in *end, and the offset and size at the end. */
static size_t read_items(const char *path, struct item *items, size_t max, kq_status *end,
                         char *end_err, size_t end_err_size)
{
    char err[256] = "";
    article_reader *r = article_reader_open(path, err, sizeof err);
    CHECK_MSG(r != NULL, "open %s: %s", path, err);
    *end = KQ_ERR_INTERNAL;
    if (!r)
        return 0;
    size_t n = 0;
    article a = {0};
    memset(&a, 0, sizeof a);
    for (;;) {
        err[0] = 0;
        kq_status st = article_reader_next(r, &a, err, sizeof err);
        if (st != KQ_OK && st != KQ_ERR_INVALID) {
            *end = st;
            if (end_err)
                snprintf(end_err, end_err_size, "%s", err);
            break;
        }
        if (n < max) {
            struct item *it = &items[n];
            memset(it, 0, sizeof *it);
            it->st = st;
            it->line = article_reader_line(r);
            if (st == KQ_OK) {
                snprintf(it->id, sizeof it->id, "%s", a.id);
                memcpy(it->hash, a.hash, 17);
            } else {
                snprintf(it->err, sizeof it->err, "%s", err);
            }
        }
        n++;
        if (n > 10000)
            break; /* a reader that never ends */
    }
    /* The end is sticky. */
    if (*end == KQ_END)
        CHECK(article_reader_next(r, &a, err, sizeof err) == KQ_END);
    article_clear(&a);
    article_reader_close(r);
    return n;
}

/* An expected item: id for an article, reason for a reject. */
struct expect {
    size_t line;
    const char *id;
    const char *reason;
};

static void check_items(const char *ctx, const struct item *items, size_t n, kq_status end,
                        const struct expect *want, size_t n_want)
{
    CHECK_MSG(end == KQ_END, "%s: ends with status %d", ctx, end);
    CHECK_MSG(n == n_want, "%s: %zu items, want %zu", ctx, n, n_want);
    for (size_t i = 0; i < n && i < n_want; i++) {
        CHECK_MSG(items[i].line == want[i].line, "%s item %zu: line %zu, want %zu", ctx, i,
                  items[i].line, want[i].line);
        if (want[i].id) {
            CHECK_MSG(items[i].st == KQ_OK && strcmp(items[i].id, want[i].id) == 0,
                      "%s item %zu: status %d id \"%s\" (%s), want id \"%s\"", ctx, i, items[i].st,
                      items[i].id, items[i].err, want[i].id);
        } else {
            CHECK_MSG(items[i].st == KQ_ERR_INVALID && strstr(items[i].err, want[i].reason),
                      "%s item %zu: status %d reason \"%s\", want \"%s\"", ctx, i, items[i].st,
                      items[i].err, want[i].reason);
        }
    }
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Returns the whole content of a file (caller frees) or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int write_gz(const char *path, const void *data, size_t len)
{
    gzFile gz = gzopen(path, "wb");
    if (!gz)
        return -1;
    int w = gzwrite(gz, data, (unsigned)len);
    return gzclose(gz) == Z_OK && (size_t)w == len ? 0 : -1;
}

static const struct expect fixture_articles[] = {
    {1, "fx-001", NULL},
    {2, "fx-002", NULL},
    {3, "12345", NULL},
    {5, "https://exemple.fr/#fx-004", NULL},
    {6, "https://exemple.fr/sport/fx-005", NULL},
    {7, "fx-006", NULL},
};

/* The fixture's articles, field by field, in file order. */
static void test_reader_fixture(void)
{
    static const struct want want[] = {
        {.id = "fx-001",
         .title = "La médiathèque de Saint-Aubin ouvre le dimanche",
         .description = "Les habitants pourront emprunter des livres sept jours sur sept.",
         .body = "Le conseil municipal a voté mardi l'ouverture dominicale de la médiathèque.",
         .url = "https://exemple.fr/societe/fx-001",
         .language = "fr",
         .authors = "Rédaction Kiosque",
         .sections = "societe",
         .keywords = "culture|lecture|bibliothèque",
         .date = "2024-03-05T09:00:00Z",
         .published = 1709629200,
         .date_modified = "2024-03-05T12:30:00Z"},
        {.id = "fx-002",
         .title = "Un nouveau centre de santé à Brissac",
         .body = "Trois médecins généralistes s'installent dans l'ancienne poste.",
         .authors = "Camille Roux",
         .sections = "societe|sante",
         .keywords = "santé|médecins",
         .language = "fr",
         .date = "2024-03-05T00:00:00Z",
         .published = 1709596800},
        {.id = "12345",
         .title = "Le marché de Noël reviendra en décembre",
         .authors = "Léa Martin|Hugo Petit",
         .sections = "culture"},
        {.id = "https://exemple.fr/#fx-004",
         .title = "La piscine municipale rouvre après travaux",
         .body = ""},
        {.id = "https://exemple.fr/sport/fx-005",
         .title = "Le club de rugby monte en Fédérale 1",
         .url = "https://exemple.fr/sport/fx-005",
         .language = "fr-FR",
         .date = "2024-03-05T09:00:00Z",
         .published = 1709629200},
        {.id = "fx-006",
         .title = "Reportage : les vendanges à la main",
         .body = "Dans les vignes de l'Anjou, les vendangeurs & les viticulteurs travaillent dès "
                 "l'aube.\n«\xC2\xA0"
                 "C\xC3\xA9tait une belle année\xC2\xA0», dit-on."},
    };
    char err[256] = "";
    article_reader *r = article_reader_open(FIX "articles.jsonl", err, sizeof err);
    CHECK_MSG(r != NULL, "%s", err);
    if (!r)
        return;
    article a = {0};
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "articles.jsonl article %zu", i + 1);
        kq_status st = article_reader_next(r, &a, err, sizeof err);
        CHECK_MSG(st == KQ_OK, "%s: status %d: %s", ctx, st, err);
        if (st != KQ_OK)
            break;
        CHECK_MSG(article_reader_line(r) == fixture_articles[i].line, "%s: line %zu", ctx,
                  article_reader_line(r));
        check_article(ctx, &a, &want[i]);
    }
    CHECK(article_reader_next(r, &a, err, sizeof err) == KQ_END);
    struct stat sb;
    CHECK(stat(FIX "articles.jsonl", &sb) == 0);
    CHECK(article_reader_size(r) == (uint64_t)sb.st_size);
    CHECK(article_reader_offset(r) == (uint64_t)sb.st_size);
    article_clear(&a);
    article_reader_close(r);
}

static void test_reader_rejects(void)
{
    static const struct expect want[] = {
        {1, "ok-1", NULL},
        {2, NULL, "invalid JSON at column"},
        {3, NULL, "not a JSON object but an array"},
        {4, NULL, "missing identifier"},
        {6, NULL, "missing headline"},
        {7, NULL, "empty headline"},
        {8, NULL, "not a JSON object but a string"},
        {9, "ok-9", NULL},
    };
    struct item items[32];
    kq_status end;
    size_t n = read_items(FIX "rejets.jsonl", items, 32, &end, NULL, 0);
    check_items("rejets.jsonl", items, n, end, want, sizeof want / sizeof want[0]);
}

/* CRLF, a byte-order mark, blank lines, NUL bytes, binary garbage, invalid
 * UTF-8 and a last line without newline, written at test time. */
static void test_reader_bytes(void)
{
    static const char data[] =
        "\xEF\xBB\xBF{\"identifier\":\"m-1\",\"headline\":\"Ligne CRLF\"}\r\n"
        "\r\n"
        "{\"identifier\":\"m-3\",\"headline\":\"Avec un \0 nul\"}\n"
        "\xde\xad\xbe\xef\x01\x02 charabia \xff\x80\n"
        "{\"identifier\":\"m-5\",\"headline\":\"Caf\xe9 en latin-1\"}\r\n"
        "   \t  \n"
        "{\"identifier\":\"m-7\",\"headline\":\"Apr\xC3\xA8s les rejets\"}\r\n"
        "\n"
        "{\"identifier\":\"m-9\",\"headline\":\"Sans fin de ligne\"}";
    static const struct expect want[] = {
        {1, "m-1", NULL},         {3, NULL, "NUL byte at column 41"},
        {4, NULL, "binary data"}, {5, NULL, "invalid UTF-8 at column 36"},
        {7, "m-7", NULL},         {9, "m-9", NULL},
    };
    char path[600];
    snprintf(path, sizeof path, "%s/octets.jsonl", tmp);
    CHECK(write_file(path, data, sizeof data - 1) == 0);
    struct item items[32];
    kq_status end;
    size_t n = read_items(path, items, 32, &end, NULL, 0);
    check_items("octets.jsonl", items, n, end, want, sizeof want / sizeof want[0]);

    /* The CR does not reach the title. */
    char err[256];
    article_reader *r = article_reader_open(path, err, sizeof err);
    article a = {0};
    CHECK(r && article_reader_next(r, &a, err, sizeof err) == KQ_OK);
    if (r)
        CHECK_STR(a.title, "Ligne CRLF");
    article_clear(&a);
    article_reader_close(r);
}

static void test_reader_gzip(void)
{
    size_t len;
    char *plain = slurp(FIX "articles.jsonl", &len);
    CHECK(plain != NULL);
    if (!plain)
        return;
    struct item ref[16], got[16];
    kq_status end;
    size_t nref = read_items(FIX "articles.jsonl", ref, 16, &end, NULL, 0);
    CHECK(nref == 6 && end == KQ_END);

    /* Compressed, with and without the .gz suffix: gzip is found by its magic. */
    const char *names[] = {"articles.jsonl.gz", "sans-extension"};
    for (size_t k = 0; k < 2; k++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", tmp, names[k]);
        CHECK(write_gz(path, plain, len) == 0);
        size_t n = read_items(path, got, 16, &end, NULL, 0);
        check_items(names[k], got, n, end, fixture_articles,
                    sizeof fixture_articles / sizeof fixture_articles[0]);
        for (size_t i = 0; i < n && i < nref; i++)
            CHECK_MSG(strcmp(got[i].hash, ref[i].hash) == 0, "%s item %zu: hash differs", names[k],
                      i);
        struct stat sb;
        CHECK(stat(path, &sb) == 0);
        char err[256];
        article_reader *r = article_reader_open(path, err, sizeof err);
        CHECK(r != NULL);
        if (r) {
            CHECK(article_reader_size(r) == (uint64_t)sb.st_size);
            CHECK(article_reader_size(r) < len); /* the compressed size, not the text's */
            article a = {0};
            while (article_reader_next(r, &a, err, sizeof err) == KQ_OK)
                ;
            CHECK_MSG(article_reader_offset(r) == (uint64_t)sb.st_size, "gzip offset %llu of %llu",
                      (unsigned long long)article_reader_offset(r), (unsigned long long)sb.st_size);
            article_clear(&a);
            article_reader_close(r);
        }
    }
    free(plain);

    /* A truncated gzip file: the articles before the cut, then an I/O error. */
    size_t cap = 4 << 20, o = 0;
    char *big = malloc(cap);
    CHECK(big != NULL);
    if (!big)
        return;
    uint32_t x = 12345;
    for (int i = 0; i < 3000; i++) {
        o +=
            (size_t)snprintf(big + o, cap - o, "{\"identifier\":\"t-%d\",\"headline\":\"Titre ", i);
        for (int k = 0; k < 40; k++) {
            x = x * 1103515245u + 12345u;
            o += (size_t)snprintf(big + o, cap - o, "%08x", x);
        }
        o += (size_t)snprintf(big + o, cap - o, "\"}\n");
    }
    char path[600];
    snprintf(path, sizeof path, "%s/tronque.jsonl.gz", tmp);
    CHECK(write_gz(path, big, o) == 0);
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    CHECK(truncate(path, sb.st_size / 2) == 0);
    struct item *items = malloc(3000 * sizeof *items);
    char end_err[256] = "";
    size_t n = read_items(path, items, 3000, &end, end_err, sizeof end_err);
    CHECK_MSG(end == KQ_ERR_IO, "truncated gzip: ends with %d", end);
    CHECK_MSG(strstr(end_err, "tronque.jsonl.gz") && strstr(end_err, "unexpected end of file"),
              "truncated gzip: \"%s\"", end_err);
    CHECK_MSG(n > 100 && n < 3000, "truncated gzip: %zu articles before the error", n);
    free(items);
    free(big);
}

static void test_reader_json(void)
{
    static const struct expect one[] = {{1, "doc-1", NULL}};
    static const struct expect list[] = {
        {3, "liste-1", NULL},
        {7, "liste-2", NULL},
        {8, NULL, "not a JSON object but a number"},
        {9, NULL, "missing headline"},
        {13, "liste-5", NULL},
    };
    struct item items[16];
    kq_status end;
    size_t n = read_items(FIX "un-article.json", items, 16, &end, NULL, 0);
    check_items("un-article.json", items, n, end, one, 1);
    n = read_items(FIX "liste.json", items, 16, &end, NULL, 0);
    check_items("liste.json", items, n, end, list, sizeof list / sizeof list[0]);

    char err[256];
    article_reader *r = article_reader_open(FIX "un-article.json", err, sizeof err);
    article a = {0};
    CHECK(r && article_reader_next(r, &a, err, sizeof err) == KQ_OK);
    if (r) {
        struct want w = {.id = "doc-1",
                         .title = "Le festival de jazz change de parc",
                         .authors = "Inès Garnier",
                         .sections = "culture",
                         .date = "2023-07-14T18:00:00Z",
                         .published = 1689357600};
        check_article("un-article.json", &a, &w);
    }
    article_clear(&a);
    article_reader_close(r);

    /* Written at test time: an array in a .jsonl file (found by its '['),
     * a gzipped .json, a broken document and an empty one. */
    static const struct {
        const char *name, *text;
        bool gz;
        struct expect want[3];
        size_t n;
    } docs[] = {
        {"tableau.jsonl",
         "  [{\"identifier\":\"t1\",\"headline\":\"Un\"},\n{\"id\":\"t2\",\"title\":\"Deux\"}]\n",
         false,
         {{1, "t1", NULL}, {2, "t2", NULL}},
         2},
        {"doc.json.gz",
         "{\n\"identifier\": \"z1\",\n\"headline\": \"Compressé\"\n}\n",
         true,
         {{1, "z1", NULL}},
         1},
        {"casse.json",
         "[\n{\"identifier\":\"c1\",\"headline\":\"Un\"},\n{\"identifier\":\"c2\"\n]\n",
         false,
         {{4, NULL, "invalid JSON at line 4 column 1"}},
         1},
        {"mauvais.json",
         "[\n{\"identifier\":\"c1\",\"headline\":\"Caf\xe9\"}\n]\n",
         false,
         {{2, NULL, "invalid UTF-8 at line 2 column 35"}},
         1},
        {"vide.json", " \n\n", false, {{0, NULL, NULL}}, 0},
        {"tableau-vide.json", "[]", false, {{0, NULL, NULL}}, 0},
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", tmp, docs[i].name);
        int rc = docs[i].gz ? write_gz(path, docs[i].text, strlen(docs[i].text))
                            : write_file(path, docs[i].text, strlen(docs[i].text));
        CHECK(rc == 0);
        n = read_items(path, items, 16, &end, NULL, 0);
        check_items(docs[i].name, items, n, end, docs[i].want, docs[i].n);
    }
}

static void test_reader_edges(void)
{
    char err[256] = "";
    char path[600];
    snprintf(path, sizeof path, "%s/absent.jsonl", tmp);
    article_reader *r = article_reader_open(path, err, sizeof err);
    CHECK(r == NULL);
    char want[700];
    snprintf(want, sizeof want, "cannot open %s: No such file or directory", path);
    CHECK_STR(err, want);

    r = article_reader_open(tmp, err, sizeof err);
    CHECK(r == NULL);
    CHECK_MSG(strstr(err, "Is a directory") != NULL, "directory: \"%s\"", err);

    /* "-" reads standard input (here the fixture put in its place), and
     * closing the reader leaves standard input open. */
    int saved = dup(STDIN_FILENO);
    int fd = open(FIX "articles.jsonl", O_RDONLY);
    CHECK(saved >= 0 && fd >= 0 && dup2(fd, STDIN_FILENO) == STDIN_FILENO);
    if (fd >= 0)
        close(fd);
    struct item items[16];
    kq_status end;
    size_t n = read_items("-", items, 16, &end, NULL, 0);
    check_items("stdin", items, n, end, fixture_articles,
                sizeof fixture_articles / sizeof fixture_articles[0]);
    CHECK(fcntl(STDIN_FILENO, F_GETFD) != -1);
    if (saved >= 0) {
        dup2(saved, STDIN_FILENO);
        close(saved);
    }

    static const struct {
        const char *name, *text;
    } empties[] = {{"vide.jsonl", ""}, {"blanc.jsonl", "\n  \n\r\n\t\n"}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, empties[i].name);
        CHECK(write_file(path, empties[i].text, strlen(empties[i].text)) == 0);
        n = read_items(path, items, 16, &end, NULL, 0);
        CHECK_MSG(n == 0 && end == KQ_END, "%s: %zu items, end %d", empties[i].name, n, end);
    }
}

/* A 10 MB body: the line is read whole, the body cut at ARTICLE_MAX_BODY
 * bytes on a character boundary, and the next line keeps its number. */
static void test_reader_long_body(void)
{
    const size_t n_e = 5u * 1024u * 1024u; /* "é" is 2 bytes: a 10 MB body */
    size_t cap = 2 * n_e + 512, o = 0;
    char *data = malloc(cap);
    CHECK(data != NULL);
    if (!data)
        return;
    o += (size_t)snprintf(
        data, cap, "{\"identifier\":\"long\",\"headline\":\"Très long\",\"articleBody\":\"a");
    for (size_t i = 0; i < n_e; i++) {
        data[o++] = '\xC3';
        data[o++] = '\xA9';
    }
    o += (size_t)snprintf(data + o, cap - o,
                          "\"}\n{\"identifier\":\"apres\",\"headline\":\"Après\"}\n");
    char path[600];
    snprintf(path, sizeof path, "%s/long.jsonl", tmp);
    CHECK(write_file(path, data, o) == 0);
    free(data);

    char err[256] = "";
    article_reader *r = article_reader_open(path, err, sizeof err);
    CHECK(r != NULL);
    if (!r)
        return;
    article a = {0};
    kq_status st = article_reader_next(r, &a, err, sizeof err);
    CHECK_MSG(st == KQ_OK, "long body: %d %s", st, err);
    if (st == KQ_OK) {
        size_t len = strlen(a.body);
        /* 'a' then characters of 2 bytes: byte ARTICLE_MAX_BODY-1 starts an
         * "é" that would be split, so it goes too. */
        CHECK_MSG(len == ARTICLE_MAX_BODY - 1, "long body: %zu bytes", len);
        CHECK(len <= ARTICLE_MAX_BODY);
        CHECK(a.body[0] == 'a');
        CHECK(len >= 2 && memcmp(a.body + len - 2, "\xC3\xA9", 2) == 0);
        CHECK(article_reader_line(r) == 1);
    }
    st = article_reader_next(r, &a, err, sizeof err);
    CHECK(st == KQ_OK && article_reader_line(r) == 2);
    if (st == KQ_OK)
        CHECK_STR(a.id, "apres");
    CHECK(article_reader_next(r, &a, err, sizeof err) == KQ_END);
    article_clear(&a);
    article_reader_close(r);
}

/* --- the real corpus ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus(void)
{
    const char *path = getenv("KIOSQUE_CORPUS");
    if (!path || !*path)
        path = KQ_FIXTURES "/../../../shared/corpus/orangesum-fr.jsonl.gz";
    struct stat sb;
    if (stat(path, &sb) != 0) {
        char why[900];
        snprintf(why, sizeof why, "corpus %s is absent (set KIOSQUE_CORPUS to its path)", path);
        harness_skip(why);
    }
    char err[256] = "";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    article_reader *r = article_reader_open(path, err, sizeof err);
    CHECK_MSG(r != NULL, "%s", err);
    if (!r)
        return;
    size_t ok = 0, rejects = 0, dated = 0, french = 0, sectioned = 0, cap = 40000;
    char **ids = malloc(cap * sizeof *ids);
    article a = {0};
    memset(&a, 0, sizeof a);
    kq_status st;
    while ((st = article_reader_next(r, &a, err, sizeof err)) == KQ_OK || st == KQ_ERR_INVALID) {
        if (st == KQ_ERR_INVALID) {
            if (rejects++ < 5)
                fprintf(stderr, "corpus line %zu rejected: %s\n", article_reader_line(r), err);
            continue;
        }
        dated += a.date != NULL && a.published > 0;
        french += a.language && strcmp(a.language, "fr") == 0;
        sectioned += a.n_sections > 0;
        if (ids && ok < cap)
            ids[ok] = strdup(a.id);
        ok++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_MSG(st == KQ_END, "corpus: ends with %d: %s", st, err);
    CHECK_MSG(ok == 36152, "corpus: %zu articles, want 36152", ok);
    CHECK_MSG(rejects == 0, "corpus: %zu rejects", rejects);
    CHECK_MSG(dated == ok, "corpus: %zu of %zu dated", dated, ok);
    CHECK_MSG(french == ok, "corpus: %zu of %zu in French", french, ok);
    CHECK_MSG(sectioned == ok, "corpus: %zu of %zu with a section", sectioned, ok);
    CHECK(article_reader_offset(r) == article_reader_size(r));
    CHECK(article_reader_line(r) == 36152);
    size_t dups = 0;
    if (ids && ok <= cap) {
        qsort(ids, ok, sizeof *ids, cmp_str);
        for (size_t i = 1; i < ok; i++)
            dups += strcmp(ids[i - 1], ids[i]) == 0;
    }
    CHECK_MSG(dups == 0, "corpus: %zu duplicate identifiers", dups);
    for (size_t i = 0; ids && i < ok && i < cap; i++)
        free(ids[i]);
    free(ids);
    printf("corpus: %zu articles, %zu rejects, read in %.2f s (%.1f MB/s of gzip)\n", ok, rejects,
           secs, (double)sb.st_size / 1e6 / secs);
    article_clear(&a);
    article_reader_close(r);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--corpus") == 0) {
        test_corpus();
        return harness_exit("test_article --corpus");
    }
    if (harness_tmpdir(tmp, sizeof tmp) != 0) {
        fprintf(stderr, "cannot create a temporary directory\n");
        return 1;
    }
    test_properties();
    test_rejects();
    test_dates();
    test_html();
    test_hash();
    test_reader_fixture();
    test_reader_rejects();
    test_reader_bytes();
    test_reader_gzip();
    test_reader_json();
    test_reader_edges();
    test_reader_long_body();
    return harness_exit("test_article");
}
