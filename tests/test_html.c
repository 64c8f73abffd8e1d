/* test_html: reading published news pages: JSON-LD, meta tags, main text, encodings and rejects. */
#include "html.h"
#include "harness.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PAGES KQ_FIXTURES "/pages/"

static bool same(const char *a, const char *b)
{
    return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

/* Joins a list with '|' into buf; NULL for an empty list. */
static const char *join(char **v, size_t n, char *buf, size_t size)
{
    if (n == 0)
        return NULL;
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(buf, "|", size - strlen(buf) - 1);
        strncat(buf, v[i], size - strlen(buf) - 1);
    }
    return buf;
}

#define CHECK_FIELD(ctx, name, got, want)                                                          \
    CHECK_MSG(same((got), (want)), "%s: %s: got \"%s\", want \"%s\"", (ctx), (name),               \
              (got) ? (got) : "(null)", (want) ? (want) : "(null)")

/* --- main text: what is article text and what is not ---------------------- */

static const struct {
    const char *name, *html, *want;
} main_cases[] = {
    {"paragraphs become lines, white space collapses",
     "<body><p>Un   premier\n paragraphe.</p><p>Un <b>second</b>.</p></body>",
     "Un premier paragraphe.\nUn second."},
    {"entities are decoded",
     "<body><p>L&rsquo;&eacute;t&eacute; &amp; l&#8217;hiver&nbsp;!</p></body>",
     "L’été & l’hiver\xC2\xA0!"},
    {"nav, header, footer, aside, script and style are left out",
     "<body><header>Logo</header><nav>Menu</nav><p>Texte.</p><aside>Pub</aside>"
     "<script>var x = 1;</script><style>p{}</style><footer>Pied</footer></body>",
     "Texte."},
    {"the article wins over the page around it",
     "<body><div>Bandeau cookies</div><article><p>Le vrai texte.</p></article>"
     "<div>Autre chose</div></body>",
     "Le vrai texte."},
    {"the longest article wins over teasers",
     "<body><article><p>Court.</p></article><article><p>Un article nettement plus long que "
     "l'autre.</p></article></body>",
     "Un article nettement plus long que l'autre."},
    {"itemprop=articleBody wins over article",
     "<body><article><p>Chapeau hors corps.</p><div itemprop=\"articleBody\"><p>Corps.</p>"
     "</div></article></body>",
     "Corps."},
    {"main is used when there is no article",
     "<body><div>Bandeau</div><main><p>Contenu principal.</p></main></body>", "Contenu principal."},
    {"role=main counts as main",
     "<body><div>Bandeau</div><div role=\"main\"><p>Contenu.</p></div></body>", "Contenu."},
    {"read-also boxes by class or id are left out",
     "<body><article><p>A.</p><div class=\"lire-aussi\">Lire aussi X</div>"
     "<div id=\"read-also\">Y</div><div class=\"bloc a-lire\">Z</div>"
     "<div class=\"article__related-links\">W</div><p>B.</p></article></body>",
     "A.\nB."},
    {"share, comments, newsletter and sidebar are left out",
     "<body><article><p>A.</p><div class=\"share\">Partager</div><div id=\"comments\">C</div>"
     "<div class=\"newsletter-signup\">N</div><div class=\"sidebar\">S</div></article></body>",
     "A."},
    {"a word inside a longer word does not count",
     "<body><article><p class=\"unrelated sharepoint\">Gardé.</p></article></body>", "Gardé."},
    {"layout classes on wrappers do not hide the page",
     "<body class=\"has-sidebar with-comments\"><div class=\"is-shared\"><p>Tout.</p></div>"
     "</body>",
     "Tout."},
    {"class words that would leave nothing are ignored",
     "<body><article><h1>T</h1><div class=\"article-body share-enabled\"><p>Le texte.</p>"
     "<nav>Menu</nav></div></article></body>",
     "Le texte."},
    {"role navigation and complementary are left out",
     "<body><article><div role=\"navigation\">N</div><p>T.</p><div role=\"complementary\">C"
     "</div></article></body>",
     "T."},
    {"hidden elements, figures and the h1 are left out",
     "<body><article><h1>Titre</h1><figure><img><figcaption>Légende</figcaption></figure>"
     "<p hidden>Caché</p><p aria-hidden=\"true\">Caché</p><p>Visible.</p></article></body>",
     "Visible."},
    {"line breaks and list items are lines",
     "<body><main>Un<br>deux<ul><li>trois</li><li>quatre</li></ul></main></body>",
     "Un\ndeux\ntrois\nquatre"},
    {"preformatted text keeps its lines", "<body><main><pre>a\nb</pre></main></body>", "a\nb"},
    {"an empty page has no text", "", ""},
};

static void test_main_text(void)
{
    for (size_t i = 0; i < sizeof main_cases / sizeof *main_cases; i++) {
        char *got = html_main_text(main_cases[i].html, strlen(main_cases[i].html));
        CHECK_MSG(same(got, main_cases[i].want), "%s: got \"%s\", want \"%s\"", main_cases[i].name,
                  got ? got : "(null)", main_cases[i].want);
        free(got);
    }
}

/* --- whole pages ---------------------------------------------------------- */

static const struct {
    const char *file;
    const char *id, *title, *description, *body_start, *url, *language, *date, *date_modified;
    const char *authors, *sections, *keywords;
    const char *absent; /* text that must not be in the body (NULL: none) */
} page_cases[] = {
    {"jsonld-news.html", "cp-4471", "Le tramway de Brest prolongé jusqu’au port",
     "La métropole vote une extension de 3,2 km vers le port de commerce.",
     "Le conseil de la métropole a voté jeudi soir",
     "https://courrier-ponant.example/brest/tramway-port-4471", "fr-FR", "2025-11-06T17:45:00Z",
     "2025-11-07T07:10:00Z", "Gwenaëlle Le Bihan", "Brest|Transports",
     "tramway|Brest|port de commerce", "Texte de la page"},
    {"jsonld-graph.html", "https://coteaux.example/gers/secheresse-nappes/#article",
     "Sécheresse : les nappes phréatiques au plus bas dans le Gers", NULL,
     "Les relevés du BRGM publiés lundi montrent des nappes très basses sur 80\xC2\xA0% des "
     "points de mesure du département.\nLa préfecture a pris un arrêté de restriction d’usage "
     "de l’eau : l’arrosage des jardins est interdit de 9\xC2\xA0h à 20\xC2\xA0h.\nLes "
     "agriculteurs irrigants devront réduire leurs prélèvements de moitié <au moins> jusqu’en "
     "octobre.",
     NULL, "fr", "2025-08-19T07:00:00Z", NULL, "Mathieu Castaing", "Gers", NULL, "Partager"},
    {"opengraph.html", "https://quotidien-soir.example/politique/budget-recettes-9921",
     "Budget : l’Assemblée adopte la première partie",
     "Les députés ont voté les recettes par 289 voix contre 250.",
     "Après trois semaines de débats, l’Assemblée nationale a adopté mardi soir la partie "
     "recettes du projet de loi de finances.\nLe texte part maintenant au Sénat",
     "https://quotidien-soir.example/politique/budget-recettes-9921", "fr", "2025-10-29T20:30:00Z",
     "2025-10-30T08:00:00Z", "Claire Dubreuil|Antoine Mercier", "Politique",
     "budget|Assemblée nationale|impôts", "À lire"},
    {"plain.html", NULL /* its path */, "Fête de la coquille Saint-Jacques à Erquy", NULL,
     "Plus de vingt mille visiteurs sont attendus ce week-end sur le port d’Erquy.\n"
     "Démonstrations d’écaillage",
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, "Accueil"},
};

static void test_pages(void)
{
    char buf[512], path[PATH_MAX], abs[PATH_MAX];
    for (size_t i = 0; i < sizeof page_cases / sizeof *page_cases; i++) {
        const char *f = page_cases[i].file;
        article a = {0};
        char err[256] = "";
        snprintf(path, sizeof path, "%s%s", PAGES, f);
        kq_status st = html_read_file(path, &a, err, sizeof err);
        CHECK_MSG(st == KQ_OK, "%s: %s", f, err);
        if (st != KQ_OK)
            continue;
        const char *want_id = page_cases[i].id;
        if (!want_id)
            want_id = realpath(path, abs) ? abs : path;
        CHECK_FIELD(f, "id", a.id, want_id);
        CHECK_FIELD(f, "title", a.title, page_cases[i].title);
        CHECK_FIELD(f, "description", a.description, page_cases[i].description);
        CHECK_MSG(a.body && strncmp(a.body, page_cases[i].body_start,
                                    strlen(page_cases[i].body_start)) == 0,
                  "%s: body starts \"%.300s\"", f, a.body ? a.body : "(null)");
        if (page_cases[i].absent)
            CHECK_MSG(a.body && !strstr(a.body, page_cases[i].absent), "%s: body has \"%s\"", f,
                      page_cases[i].absent);
        CHECK_FIELD(f, "url", a.url, page_cases[i].url);
        CHECK_FIELD(f, "language", a.language, page_cases[i].language);
        CHECK_FIELD(f, "date", a.date, page_cases[i].date);
        CHECK_FIELD(f, "date_modified", a.date_modified, page_cases[i].date_modified);
        CHECK_FIELD(f, "authors", join(a.authors, a.n_authors, buf, sizeof buf),
                    page_cases[i].authors);
        CHECK_FIELD(f, "sections", join(a.sections, a.n_sections, buf, sizeof buf),
                    page_cases[i].sections);
        CHECK_FIELD(f, "keywords", join(a.keywords, a.n_keywords, buf, sizeof buf),
                    page_cases[i].keywords);
        CHECK_MSG(strlen(a.hash) == 16, "%s: hash \"%s\"", f, a.hash);
        article_clear(&a);
    }
}

/* A page and the JSON export of the same article give the same record and
 * the same hash: the indexer sees "unchanged" whichever it reads. */
static void test_same_hash_as_export(void)
{
    const char *ld = "{\"@type\":\"NewsArticle\",\"identifier\":\"h-1\",\"headline\":\"Crue de la "
                     "Loire à Orléans\",\"articleBody\":\"<p>La Loire a d&eacute;pass&eacute; "
                     "4 m&egrave;tres.</p>\",\"datePublished\":\"2025-01-05\",\"author\":\"Léa "
                     "Martin\",\"keywords\":[\"crue\",\"Loire\"]}";
    char page[2048], err[256];
    snprintf(page, sizeof page,
             "<html><head><script type=\"application/ld+json\">%s</script></head><body><article>"
             "<p>Autre texte</p></article></body></html>",
             ld);
    article from_page = {0}, from_json = {0};
    CHECK(html_read_article(page, strlen(page), "/x.html", &from_page, err, sizeof err) == KQ_OK);
    CHECK(article_from_json(ld, strlen(ld), &from_json, err, sizeof err) == KQ_OK);
    CHECK_STR(from_page.hash, from_json.hash);
    CHECK_STR(from_page.body, "La Loire a dépassé 4 mètres.");
    article_clear(&from_page);
    article_clear(&from_json);
}

/* JSON-LD in its other shapes, and what to do when it is broken. */
static const struct {
    const char *name, *head, *body, *want_id, *want_title, *want_author;
} ld_cases[] = {
    {"an array holding a breadcrumb and the article",
     "<script type=\"application/ld+json\">[{\"@type\":\"BreadcrumbList\",\"name\":\"Fil\"},"
     "{\"@type\":\"ReportageNewsArticle\",\"identifier\":77,\"headline\":\"Reportage\"}]</script>",
     "<article><p>x</p></article>", "77", "Reportage", NULL},
    {"a WebPage whose mainEntity is the article",
     "<script type=\"application/ld+json\">{\"@type\":\"WebPage\",\"mainEntity\":{\"@type\":"
     "\"BlogPosting\",\"url\":\"https://b.example/p/1\",\"headline\":\"Billet\"}}</script>",
     "<main><p>x</p></main>", "https://b.example/p/1", "Billet", NULL},
    {"the NewsArticle wins over a plain Article",
     "<script type=\"application/ld+json\">{\"@graph\":[{\"@type\":\"Article\",\"identifier\":"
     "\"a\",\"headline\":\"A\"},{\"@type\":\"http://schema.org/NewsArticle\",\"identifier\":\"n"
     "\",\"headline\":\"N\",\"author\":[{\"@id\":\"#p\"},\"Bob\"]},{\"@type\":\"Person\","
     "\"@id\":\"#p\",\"name\":\"Alice\"}]}</script>",
     "", "n", "N", "Alice|Bob"},
    {"invalid JSON-LD falls back on the meta tags",
     "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",</script>"
     "<meta property=\"og:title\" content=\"Repli &amp; titre\"><meta property=\"og:url\" "
     "content=\"https://r.example/1\">",
     "<article><p>x</p></article>", "https://r.example/1", "Repli & titre", NULL},
    {"raw line breaks inside JSON-LD strings are tolerated",
     "<script type=\"application/ld+json\"><!--\n{\"@type\":\"NewsArticle\",\"identifier\":\"l"
     "\",\"headline\":\"Deux\nlignes\"};\n--></script>",
     "", "l", "Deux lignes", NULL},
    {"a name stands in for a missing headline",
     "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"identifier\":\"m\","
     "\"name\":\"Nom\"}</script>",
     "", "m", "Nom", NULL},
    {"the first h1 when there is no title at all", "", "<h1>Grand titre</h1><p>t</p>", "/f.html",
     "Grand titre", NULL},
    {"meta name=author and the canonical link",
     "<title>T</title><meta name=\"author\" content=\"Jeanne Roux\"><link rel=\"canonical\" "
     "href=\"https://c.example/t\">",
     "<p>t</p>", "https://c.example/t", "T", "Jeanne Roux"},
};

static void test_ld_shapes(void)
{
    char page[4096], err[256], buf[256];
    for (size_t i = 0; i < sizeof ld_cases / sizeof *ld_cases; i++) {
        snprintf(page, sizeof page, "<!doctype html><html><head>%s</head><body>%s</body></html>",
                 ld_cases[i].head, ld_cases[i].body);
        article a = {0};
        err[0] = 0;
        kq_status st = html_read_article(page, strlen(page), "/f.html", &a, err, sizeof err);
        CHECK_MSG(st == KQ_OK, "%s: %s", ld_cases[i].name, err);
        CHECK_FIELD(ld_cases[i].name, "id", a.id, ld_cases[i].want_id);
        CHECK_FIELD(ld_cases[i].name, "title", a.title, ld_cases[i].want_title);
        CHECK_FIELD(ld_cases[i].name, "authors", join(a.authors, a.n_authors, buf, sizeof buf),
                    ld_cases[i].want_author);
        article_clear(&a);
    }
}

/* --- encodings and rejects -------------------------------------------------- */

static void test_encodings(void)
{
    char err[256];
    article a = {0};
    /* ISO-8859-1 bytes: "Été à Sète" and "œuvre" written as Windows-1252 0x9C. */
    const char latin1[] = "<html><head><meta charset=\"iso-8859-1\"><title>\xC9t\xE9 \xE0 "
                          "S\xE8te</title></head><body><main><p>Une \x9Cuvre "
                          "\x96 enfin.</p></main></body></html>";
    CHECK(html_read_article(latin1, strlen(latin1), "/l.html", &a, err, sizeof err) == KQ_OK);
    CHECK_STR(a.title, "Été à Sète");
    CHECK_STR(a.body, "Une œuvre – enfin.");
    article_clear(&a);

    /* ISO-8859-15 declares œ at 0xBD. */
    const char latin9[] = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
                          "charset=ISO-8859-15\"><title>C\xBDur</title></head><body><p>x</p>"
                          "</body></html>";
    CHECK(html_read_article(latin9, strlen(latin9), "/l.html", &a, err, sizeof err) == KQ_OK);
    CHECK_STR(a.title, "Cœur");
    article_clear(&a);

    /* Not UTF-8 and no charset said: read as Windows-1252 too. */
    const char undeclared[] = "<title>Caf\xE9</title><p>x</p>";
    CHECK(html_read_article(undeclared, strlen(undeclared), "/u.html", &a, err, sizeof err) ==
          KQ_OK);
    CHECK_STR(a.title, "Café");
    article_clear(&a);

    /* A UTF-8 page with one stray Latin-1 byte keeps its UTF-8 letters. */
    const char mixed[] = "<title>Été à Sète, caf\xE9 fermé</title><p>x</p>";
    CHECK(html_read_article(mixed, strlen(mixed), "/m.html", &a, err, sizeof err) == KQ_OK);
    CHECK_STR(a.title, "Été à Sète, café fermé");
    article_clear(&a);

    /* A byte-order mark is skipped. */
    const char bom[] = "\xEF\xBB\xBF<title>Été</title><p>x</p>";
    CHECK(html_read_article(bom, strlen(bom), "/b.html", &a, err, sizeof err) == KQ_OK);
    CHECK_STR(a.title, "Été");
    article_clear(&a);
}

static const struct {
    const char *name;
    const char *bytes;
    size_t len;
    const char *reason;
} reject_cases[] = {
    {"binary data with NUL bytes", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "binary data"},
    {"binary data with control bytes", "\x01\x02\x03\x04<title>x</title>", 20, "binary data"},
    {"an unsupported charset", "<meta charset=\"shift_jis\"><title>x</title>", 0,
     "unsupported charset"},
    {"a page without any headline", "<html><body><p>Rien.</p></body></html>", 0, "no headline"},
};

static void test_rejects(void)
{
    char err[256];
    for (size_t i = 0; i < sizeof reject_cases / sizeof *reject_cases; i++) {
        article a = {0};
        size_t len = reject_cases[i].len ? reject_cases[i].len : strlen(reject_cases[i].bytes);
        err[0] = 0;
        kq_status st =
            html_read_article(reject_cases[i].bytes, len, "/r.html", &a, err, sizeof err);
        CHECK_MSG(st == KQ_ERR_INVALID, "%s: status %d", reject_cases[i].name, st);
        CHECK_MSG(strstr(err, reject_cases[i].reason), "%s: reason \"%s\"", reject_cases[i].name,
                  err);
        CHECK(a.id == NULL && a.title == NULL);
    }
    article a = {0};
    /* A home or section page is not an article: skipped, not rejected. */
    const char home[] = "<meta property=\"og:type\" content=\"website\"><title>Accueil</title>"
                        "<main>x</main>";
    CHECK(html_read_article(home, strlen(home), "/h.html", &a, err, sizeof err) ==
          KQ_ERR_NOT_FOUND);
    CHECK(strstr(err, "not an article page") != NULL);
    CHECK(html_read_file(PAGES "website.html", &a, err, sizeof err) == KQ_ERR_NOT_FOUND);
    CHECK(html_read_file(PAGES "absent.html", &a, err, sizeof err) == KQ_ERR_IO);
    CHECK(strstr(err, "absent.html") != NULL);
}

static void test_names(void)
{
    CHECK(html_is_page_name("a.html"));
    CHECK(html_is_page_name("dir/B.HTM"));
    CHECK(!html_is_page_name("a.jsonl"));
    CHECK(!html_is_page_name(".html"));
    CHECK(!html_is_page_name("a.html.gz"));
}

int main(void)
{
    test_main_text();
    test_pages();
    test_same_hash_as_export();
    test_ld_shapes();
    test_encodings();
    test_rejects();
    test_names();
    return harness_exit("test_html");
}
