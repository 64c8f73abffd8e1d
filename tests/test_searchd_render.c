/* Unit tests of searchd's render module: escaping, UTF-8 validation, French formatting, the page.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "render.h"

static void test_html_escape(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", ""},
        {"plain", "plain"},
        {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
        {"a & b", "a &amp; b"},
        {"\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"},
        {"l’été à Paris", "l’été à Paris"},
        {"&amp;", "&amp;amp;"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        render_buf b = RENDER_BUF_INIT;
        render_buf_add_html(&b, cases[i].in);
        char *got = render_buf_release(&b, NULL);
        CHECK_STR(got, cases[i].want);
        free(got);
    }
}

static void test_xml_escape(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", ""},
        {"plain", "plain"},
        {"<a href=\"x\">l'été & co</a>",
         "&lt;a href=&quot;x&quot;&gt;l&apos;été &amp; co&lt;/a&gt;"},
        {"]]>", "]]&gt;"},
        {"tab\tline\ncr\r", "tab\tline\ncr\r"}, /* the controls XML allows */
        {"a\x01"
         "b\x1f\x7f",
         "ab\x7f"},                           /* C0 controls left out */
        {"x\xef\xbf\xbey\xef\xbf\xbf", "xy"}, /* U+FFFE, U+FFFF left out */
        {"\xc3\xa9\xff\xc3", "\xc3\xa9"},     /* bytes that are not UTF-8 left out */
        {"\xed\xa0\x80z", "z"},               /* a surrogate is not UTF-8 */
        {"\xf0\x9f\x93\xb0 journal", "\xf0\x9f\x93\xb0 journal"}, /* beyond the BMP, kept */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        render_buf b = RENDER_BUF_INIT;
        render_buf_add_xml(&b, cases[i].in);
        char *got = render_buf_release(&b, NULL);
        CHECK_STR(got ? got : "", cases[i].want);
        free(got);
    }
}

static void test_url_encode(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"vélo", "v%C3%A9lo"},
        {"a b&c=d", "a%20b%26c%3Dd"},
        {"AZaz09-._~", "AZaz09-._~"},
        {"\"<>/?#", "%22%3C%3E%2F%3F%23"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        render_buf b = RENDER_BUF_INIT;
        render_buf_add_url(&b, cases[i].in);
        char *got = render_buf_release(&b, NULL);
        CHECK_STR(got, cases[i].want);
        free(got);
    }
}

static void test_utf8(void)
{
    static const struct {
        const char *s;
        size_t len;
        int valid;
    } cases[] = {
        {"", 0, 1},
        {"ascii", 5, 1},
        {"é", 2, 1},
        {"€", 3, 1},
        {"\xF0\x9F\x98\x80", 4, 1}, /* U+1F600 */
        {"\xF4\x8F\xBF\xBF", 4, 1}, /* U+10FFFF, the last code point */
        {"\xFF", 1, 0},
        {"\xC3", 1, 0},             /* truncated */
        {"\xC0\xAF", 2, 0},         /* overlong '/' */
        {"\xE0\x80\xAF", 3, 0},     /* overlong */
        {"\xED\xA0\x80", 3, 0},     /* a surrogate */
        {"\xF4\x90\x80\x80", 4, 0}, /* above U+10FFFF */
        {"\x80", 1, 0},             /* lone continuation */
        {"a\0b", 3, 0},             /* NUL */
        {"\xE2\x82", 2, 0},         /* truncated euro */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_MSG(render_utf8_valid(cases[i].s, cases[i].len) == cases[i].valid, "case %zu", i);
}

static void test_formatting(void)
{
    char out[64];
    render_date_fr("2020-07-02T17:09:00Z", out, sizeof out);
    CHECK_STR(out, "2 juillet 2020");
    render_date_fr("2024-08-01", out, sizeof out);
    CHECK_STR(out, "1er août 2024");
    render_date_fr("hier", out, sizeof out);
    CHECK_STR(out, "hier");
    render_count_fr(0, out, sizeof out);
    CHECK_STR(out, "0");
    render_count_fr(999, out, sizeof out);
    CHECK_STR(out, "999");
    render_count_fr(36152, out, sizeof out);
    CHECK_STR(out, "36\xE2\x80\xAF"
                   "152");
    render_count_fr(1234567, out, sizeof out);
    CHECK_STR(out, "1\xE2\x80\xAF"
                   "234\xE2\x80\xAF"
                   "567");
}

static void test_error_json(void)
{
    size_t len = 0;
    char *json = render_error_json("bad_parameter", "limit \"x\" <b>", &len);
    CHECK_STR(json, "{\"error\":{\"code\":\"bad_parameter\",\"message\":\"limit \\\"x\\\" <b>\"}}");
    CHECK(json && len == strlen(json));
    free(json);
    /* A message quoting a value cut inside a character (found by fuzz_http:
     * a 500 "out of memory" instead of the 400). */
    json = render_error_json("bad_parameter", "until (got '4\xE2\x80')", &len);
    CHECK_STR(json, "{\"error\":{\"code\":\"bad_parameter\",\"message\":"
                    "\"until (got '4\xEF\xBF\xBD\xEF\xBF\xBD')\"}}");
    free(json);
}

static void test_page(void)
{
    char title[] = "Vélo <b>gras</b> & co", id[] = "a1", url[] = "javascript:alert(1)",
         date[] = "2024-03-05T10:00:00Z", author[] = "Inès", section[] = "societe / mobilite",
         snippet[] = "le vélo en ville";
    search_mark mark = {3, 8}; /* "vélo": bytes 3..7 */
    search_hit hit = {id, url, title, date, author, section, snippet, &mark, 1, 1.0, 0};
    char query[] = "vélo";
    search_result r = {.query = query,
                       .total = 25,
                       .total_exact = 1,
                       .offset = 10,
                       .limit = 10,
                       .took_ms = 1.0,
                       .hits = &hit,
                       .n_hits = 1};
    render_page_params p = {.query = "vélo\"><script>",
                            .section = "",
                            .since = "",
                            .until = "",
                            .sort = "relevance",
                            .page = 2,
                            .per_page = 10};
    size_t len = 0;
    char *html = render_page(&p, &r, NULL, &len);
    CHECK(html != NULL);
    if (!html)
        return;
    CHECK(len == strlen(html));
    CHECK(strstr(html, "<html lang=\"fr\">") != NULL);
    CHECK(strstr(html, "value=\"vélo&quot;&gt;&lt;script&gt;\"") != NULL);
    CHECK(strstr(html, "<script>") == NULL);
    CHECK(strstr(html, "Vélo &lt;b&gt;gras&lt;/b&gt; &amp; co") != NULL);
    CHECK(strstr(html, "javascript:") == NULL); /* not a web URL: no link */
    CHECK(strstr(html, "le <mark>vélo</mark> en ville") != NULL);
    CHECK(strstr(html, "5 mars 2024") != NULL);
    CHECK(strstr(html, "25 résultats") != NULL);
    CHECK(strstr(html, "Page 2 sur 3") != NULL);
    CHECK(strstr(html, "<ol class=\"hits\" start=\"11\">") != NULL);
    CHECK(strstr(html, "rel=\"prev\" href=\"/?q=v%C3%A9lo%22%3E%3Cscript%3E\"") != NULL);
    CHECK(strstr(html, "rel=\"next\" href=\"/?q=v%C3%A9lo%22%3E%3Cscript%3E&amp;page=3\"") != NULL);
    CHECK(strstr(html, "section=mobilite") != NULL);
    free(html);

    /* Refinements and did-you-mean, escaped like everything else. */
    search_facet_value sections[] = {{"politique", 12}, {"<b>x</b>", 3}};
    search_facet_value years[] = {{"2019", 5}, {"2024", 9}, {"2020", 1}};
    char suggestion[] = "vélo \"rouge\"";
    r.facets[SEARCH_FACET_SECTION].values = sections;
    r.facets[SEARCH_FACET_SECTION].n_values = 2;
    r.facets[SEARCH_FACET_YEAR].values = years;
    r.facets[SEARCH_FACET_YEAR].n_values = 3;
    r.has_facets = 1;
    r.suggestion = suggestion;
    html = render_page(&p, &r, NULL, &len);
    CHECK(html != NULL);
    if (html) {
        CHECK(strstr(html, "section=politique\">politique</a> <span class=\"count\">(12)</span>") !=
              NULL);
        CHECK(strstr(html, ">&lt;b&gt;x&lt;/b&gt;</a>") != NULL);
        char *y2024 = strstr(html, "since=2024-01-01&amp;until=2024-12-31\">2024</a>");
        char *y2019 = strstr(html, "since=2019-01-01&amp;until=2019-12-31\">2019</a>");
        CHECK(y2024 && y2019 && y2024 < y2019); /* most recent year first */
        CHECK(strstr(html, "Vouliez-vous dire <a href=\"/?q=v%C3%A9lo%20%22rouge%22\">vélo "
                           "&quot;rouge&quot;</a>") != NULL);
        free(html);
    }

    /* Authors, and the months of a chosen year in calendar order. */
    search_facet_value authors[] = {{"Inès Moreau", 4}, {"Zoé \"<i>\"", 2}};
    search_facet_value months[] = {{"2024-03", 5}, {"2024-01", 4}, {"2023-12", 1}};
    r.facets[SEARCH_FACET_AUTHOR].values = authors;
    r.facets[SEARCH_FACET_AUTHOR].n_values = 2;
    r.facets[SEARCH_FACET_MONTH].values = months;
    r.facets[SEARCH_FACET_MONTH].n_values = 3;
    render_page_params py = p;
    py.since = "2024-01-01";
    py.until = "2024-12-31";
    py.author = "Inès Moreau";
    html = render_page(&py, &r, NULL, &len);
    CHECK(html != NULL);
    if (html) {
        CHECK(strstr(html, "<strong aria-current=\"true\">Inès Moreau</strong>") != NULL);
        CHECK(strstr(html,
                     "author=Zo%C3%A9%20%22%3Ci%3E%22&amp;since=2024-01-01&amp;until=2024-"
                     "12-31\">Zoé &quot;&lt;i&gt;&quot;</a> <span class=\"count\">(2)</span>") !=
              NULL);
        CHECK(strstr(html, "<strong aria-current=\"true\">2024</strong>") != NULL);
        char *jan = strstr(html, "since=2024-01-01&amp;until=2024-01-31\">janvier</a>");
        char *mar = strstr(html, "since=2024-03-01&amp;until=2024-03-31\">mars</a>");
        CHECK(jan && mar && jan < mar);
        CHECK(strstr(html, "décembre") == NULL); /* another year's month */
        /* Filters in force, each removable. */
        CHECK(strstr(html, "Auteur : <strong>Inès Moreau</strong> <a class=\"remove-filter\" "
                           "href=\"/?q=v%C3%A9lo%22%3E%3Cscript%3E&amp;since=2024-01-01&amp;"
                           "until=2024-12-31\"") != NULL);
        CHECK(strstr(html, "Période : <strong>2024</strong>") != NULL);
        free(html);
    }
    py.since = "2024-02-01";
    py.until = "2024-02-29"; /* a leap year's February is a whole month */
    html = render_page(&py, &r, NULL, &len);
    CHECK(html && strstr(html, "Période : <strong>février 2024</strong>") != NULL);
    CHECK(html && strstr(html, "until=2024-12-31\">toute l’année 2024</a>") != NULL);
    free(html);

    /* A hit standing for copies links to them and to related articles; a
     * total that is not exact is announced by its true lower bound;
     * partial matching is announced. */
    hit.duplicates = 2;
    r.total_exact = 0;
    r.total_lower = 1234;
    r.partial = 1;
    r.has_facets = 0;
    r.suggestion = NULL;
    html = render_page(&p, &r, NULL, &len);
    CHECK(html != NULL);
    if (html) {
        CHECK(strstr(html, "plus de 1\xE2\x80\xAF"
                           "234 résultats") != NULL);
        CHECK(strstr(html, "environ") == NULL);
        CHECK(strstr(html, "class=\"hit-dups\"") != NULL);
        CHECK(strstr(html, "href=\"/?q=v%C3%A9lo%22%3E%3Cscript%3E&amp;duplicates_of=a1\">+2 "
                           "reprises</a>") != NULL);
        CHECK(strstr(html, "class=\"hit-related\" href=\"/?q=v%C3%A9lo%22%3E%3Cscript%3E&amp;"
                           "related=a1\">Articles liés</a>") != NULL);
        CHECK(strstr(html, "Aucun article ne contient tous les mots : résultats approchants") !=
              NULL);
        CHECK(strstr(html, "<summary>Syntaxe de recherche</summary>") != NULL);
        CHECK(strstr(html, "<code>intellig*</code>") != NULL);
        CHECK(strstr(html, "data-sort=\"date\"") != NULL);
        free(html);
    }

    /* The copies of one article, and the related articles of one: headings
     * name the article (escaped) and link back to the search. */
    render_page_params pd = p;
    pd.duplicates_of = "a1\"<x>";
    pd.subject_title = "Le <b>titre</b>";
    html = render_page(&pd, &r, NULL, &len);
    CHECK(html &&
          strstr(html, "Reprises de « Le &lt;b&gt;titre&lt;/b&gt; » : 25 articles") != NULL);
    CHECK(html && strstr(html, "duplicates_of=a1%22%3Cx%3E&amp;page=3") != NULL); /* pager */
    CHECK(html && strstr(html, "← Retour à la recherche") != NULL);
    CHECK(html && strstr(html, "<x>") == NULL);
    free(html);
    render_page_params pr = p;
    pr.related = "a1\"<x>";
    pr.subject_title = "Le <b>titre</b>";
    html = render_page(&pr, &r, NULL, &len);
    CHECK(html && strstr(html, "Articles liés à « Le &lt;b&gt;titre&lt;/b&gt; »") != NULL);
    CHECK(html && strstr(html, "href=\"/api/related/a1%22%3Cx%3E\"") != NULL);
    CHECK(html && strstr(html, "rel=\"next\"") == NULL); /* no pager */
    CHECK(html && strstr(html, "<x>") == NULL);
    free(html);

    html = render_page(&p, NULL, "Requête invalide : <since>.", &len);
    CHECK(html && strstr(html, "role=\"alert\">Requête invalide : &lt;since&gt;.</p>") != NULL);
    free(html);
}

int main(void)
{
    test_html_escape();
    test_xml_escape();
    test_url_encode();
    test_utf8();
    test_formatting();
    test_error_json();
    test_page();
    return harness_exit("test_searchd_render");
}
