/* test_html: reading published news pages: JSON-LD, meta tags, main text, encodings and rejects. */
#include "html.h"
#include "harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PAGES KQ_FIXTURES "/pages/"

/* Two sentences long enough to be paragraphs (extract.h). */
#define P1                                                                                         \
    "Le conseil municipal a voté jeudi soir, après deux heures de débat, le budget de la ville."
#define P2                                                                                         \
    "Les travaux de la nouvelle médiathèque commenceront en mars, pour une ouverture en 2027."

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
    {"class words split at case changes and underscores",
     "<body><article><p>A.</p><div class=\"relatedPosts\">R</div><div id=\"social_links\">S</div>"
     "<p>B.</p></article></body>",
     "A.\nB."},
    {"a class that hides, inline display:none and visibility:hidden",
     "<body><article><p>A.</p><span class=\"sr-only\">Partager sur X</span><p style=\"display: "
     "none\">Caché</p><p style=\"visibility:hidden\">Caché</p><p>B.</p></article></body>",
     "A.\nB."},
    {"a box a phrase announces is dropped with its list",
     "<body><article><p>A.</p><div><h3>À lire aussi</h3><ul><li><a href=\"/1\">Un</a></li>"
     "<li><a href=\"/2\">Deux</a></li></ul></div><p>B.</p></article></body>",
     "A.\nB."},
    {"a heading a phrase names drops the links after it",
     "<body><article><p>" P1 "</p><h2>Sur le même sujet</h2><ul><li><a href=\"/1\">Un "
     "autre article</a></li></ul><p>" P2 "</p><p>" P1 "</p><p>" P2 "</p><p>" P1
     "</p></article></body>",
     P1 "\n" P2 "\n" P1 "\n" P2 "\n" P1},
    {"a line starting with a phrase and a separator is dropped",
     "<body><article><p>A.</p><p>Lire aussi : <a href=\"/x\">Le budget</a></p><p>Voir aussi - "
     "<a href=\"/y\">la carte</a></p><p>Read more: <a href=\"/z\">the report</a></p><p>B.</p>"
     "</article></body>",
     "A.\nB."},
    {"phrases fold case, accents and punctuation, in several languages",
     "<body><article><p>A.</p><p><strong>A LIRE AUSSI »</strong> <a href=\"/x\">Le budget</a></p>"
     "<div><b>Abonnez-vous</b><p>à notre lettre.</p></div><div><span>Lesen Sie auch</span><a "
     "href=\"/d\">Der Haushalt</a></div><p>B.</p></article></body>",
     "A.\nB."},
    {"a phrase inside a sentence is text",
     "<body><article><p>Il faut lire aussi le rapport de la Cour des comptes, publié hier.</p>"
     "</article></body>",
     "Il faut lire aussi le rapport de la Cour des comptes, publié hier."},
    {"a block made mostly of links is dropped inside the article",
     "<body><article><p>" P1 "</p><div><a href=\"/1\">Municipales</a> <a href=\"/2\">Budget</a>"
     " <a href=\"/3\">Culture</a></div><p>" P2 "</p></article></body>",
     P1 "\n" P2},
    {"a form around the whole page is kept, a newsletter form is not",
     "<body><form id=\"aspnetForm\"><div class=\"text\"><p>" P1 "</p><p>" P2 "</p><p>" P1 "</p>"
     "<p>" P2 "</p></div><form><label>Votre e-mail</label><input></form></form></body>",
     P1 "\n" P2 "\n" P1 "\n" P2},
    {"a header inside the article stays, the page header does not",
     "<body><header><a href=\"/\">Le Journal</a> Édition du soir</header><article><header>"
     "<h1>Titre</h1><p class=\"chapo\">Le chapô de l'article, en une phrase.</p></header><p>" P1
     "</p></article></body>",
     "Le chapô de l'article, en une phrase.\n" P1},
    {"ruby annotations are not text",
     "<body><article><p><ruby>漢<rt>かん</rt></ruby><ruby>字<rt>じ</rt></ruby>を読む。"
     "これは長い文章の一部です、とても長い。</p></article></body>",
     "漢字を読む。これは長い文章の一部です、とても長い。"},
    {"without article markup, the scored text wins over menus and links",
     "<body><div id=\"top\"><a href=\"/\">Accueil</a> <a href=\"/p\">Politique</a></div>"
     "<div class=\"col\"><div class=\"txt\"><p>" P1 "</p><p>" P2 "</p><p>" P1 "</p></div></div>"
     "<div class=\"col2\"><ul><li><a href=\"/a\">Un lien vers un autre article du site</a></li>"
     "<li><a href=\"/b\">Un autre lien vers encore un autre article</a></li></ul></div></body>",
     P1 "\n" P2 "\n" P1},
    {"paragraph siblings join the best candidate",
     "<body><div><div class=\"intro\"><p>" P2 "</p></div><div class=\"body\"><p>" P1 "</p><p>" P1
     "</p><p>" P1 "</p></div></div><div><a href=\"/x\">Lien</a></div></body>",
     P2 "\n" P1 "\n" P1 "\n" P1},
    {"a box mark on the wrapper of most of the text is wrong",
     "<body><div class=\"post-wrap sidebar-on\"><p>" P1 "</p><p>" P2 "</p><aside>" P1 "</aside>"
     "</div><div class=\"sidebar\">" P2 "</div></body>",
     P1 "\n" P2},
    {"itemprop=articleBody on the first paragraph only is not the article",
     "<body><div class=\"story\"><p itemprop=\"articleBody\">" P1 "</p><p>" P2 "</p><p>" P1
     "</p><p>" P2 "</p></div></body>",
     P1 "\n" P2 "\n" P1 "\n" P2},
    {"a teaser <article> is not the article",
     "<body><div class=\"content\"><p>" P1 "</p><p>" P2 "</p><p>" P1 "</p><p>" P2 "</p></div>"
     "<article class=\"card\"><p>Un autre article, plus court.</p></article></body>",
     P1 "\n" P2 "\n" P1 "\n" P2},
    {"headings, lists, quotations and tables of the text stay",
     "<body><article><p>" P1 "</p><h2>Les chiffres</h2><ul><li>Trois écoles.</li><li>Deux "
     "crèches.</li></ul><blockquote>« Une bonne nouvelle »</blockquote><table><tr><td>2025</td>"
     "<td>12 M€</td></tr></table></article></body>",
     P1 "\nLes chiffres\nTrois écoles.\nDeux crèches.\n« Une bonne nouvelle »\n2025 12 M€"},
    {"a teaser with a link is a box, a teaser text without one is the lead",
     "<body><article><div class=\"teaser-text\"><p>" P2 "</p></div><p>" P1 "</p><div "
     "class=\"teaser\"><a href=\"/x\">Un autre article</a> et son résumé en quelques mots.</div>"
     "</article></body>",
     P2 "\n" P1},
    {"a caption class is a box, but not on a heading (a type style)",
     "<body><article><h2 class=\"caption-large\">" P2 "</h2><p>" P1 "</p><span class=\"legende\">"
     "Photo : Jean Dupont</span></article></body>",
     P2 "\n" P1},
    {"an image and its legend are left out",
     "<body><article><p>" P1 "</p><div class=\"img-inline\"><img src=\"a.jpg\"><span>Le port de "
     "Brest au lever du jour.</span></div><p>" P2 "</p></article></body>",
     P1 "\n" P2},
    {"an image in a <picture> or a link, and its legend, are left out",
     "<body><article><p>" P1 "</p><div class=\"visual\"><picture><source srcset=\"a.webp\">"
     "<img src=\"a.jpg\"></picture><div class=\"description\"><strong>Le port de Brest au lever "
     "du jour.</strong> © Jean Dupont</div></div><div class=\"visual\"><a href=\"/g\"><img "
     "src=\"b.jpg\"></a><span>La rade vue du Stangalard.</span></div><p>" P2
     "</p></article></body>",
     P1 "\n" P2},
    {"a label by its first word opens a box only when links follow",
     "<body><article><p>" P1 "</p><h3>Weitere Artikel</h3><ul><li><a href=\"/1\">Der Haushalt"
     "</a></li><li><a href=\"/2\">Die Rente</a></li></ul><h3>Plus d'efforts pour l'école</h3><p>" P2
     "</p></article></body>",
     P1 "\nPlus d'efforts pour l'école\n" P2},
    {"a label left alone (its links were buttons) is left out",
     "<body><article><p>" P1 "</p><div><div>Related topics</div><div class=\"row\"><form><button>"
     "Budget</button></form></div></div></article></body>",
     P1},
    {"a container with many links is left out, a paragraph with a few is text",
     "<body><article><p>" P1 " Voir <a href=\"/r\">le rapport</a>.</p><div><p>Ses autres "
     "articles :</p><p><a href=\"/1\">Le budget</a>, <a href=\"/2\">la dette</a></p></div><p>" P2
     "</p></article></body>",
     P1 " Voir le rapport.\n" P2},
    {"the lead next to the headline joins the text when it sits outside",
     "<body><div class=\"hero\"><h1>Titre</h1><h2 class=\"standfirst\">" P2 "</h2></div><div "
     "class=\"content\"><p>" P1 "</p><p>" P1 "</p><p>" P1 "</p></div></body>",
     P2 "\n" P1 "\n" P1 "\n" P1},
    {"form labels are not text",
     "<body><article><p>" P1 "</p><label>Votre adresse e-mail</label></article></body>", P1},
    {"Readability's unlikely names: disqus, community, rss",
     "<body><article><p>" P1 "</p><div id=\"disqus_thread\">Aucun commentaire.</div><div "
     "class=\"community-box\">La communauté</div><div class=\"rss-links\">Flux</div></article>"
     "</body>",
     P1},
    {"a custom element is named by its tag, and one with an href is a link",
     "<body><article><p>" P1 "</p><related-stories><p>Les autres articles de la rubrique, "
     "chaque jour.</p></related-stories><np-inline-teaser><np-link href=\"/faq\"><h3>Questions "
     "sur le budget</h3></np-link><p>Toutes les réponses de la mairie à vos questions.</p>"
     "</np-inline-teaser><p>" P2 "</p></article></body>",
     P1 "\n" P2},
    {"a photo box (images, a title, buttons, no sentence) is left out",
     "<body><article><p>" P1 "</p><div class=\"gallery-wrap\"><h2>Le chantier en images</h2>"
     "<div class=\"slides\"><div><a href=\"/g\"><img src=\"1.jpg\"></a></div><p><a "
     "href=\"/g\">Galerie</a></p></div></div><p>" P2 "</p></article></body>",
     P1 "\n" P2},
    {"a box of images with a sentence of text stays",
     "<body><article><p>" P1 "</p><div class=\"wrap\"><div><img src=\"1.jpg\"></div><p>Le "
     "chantier a commencé lundi.</p></div><p>" P2 "</p></article></body>",
     P1 "\nLe chantier a commencé lundi.\n" P2},
    {"calls to action that end the text are left out, in several languages",
     "<body><article><p>" P1 "</p><p>" P2 "</p><p>Abonnez-vous à notre lettre du matin pour "
     "ne rien manquer.</p><p>For breaking news, download our app for iOS and Android.</p>"
     "<p>Únete a nuestro canal de Telegram.</p></article></body>",
     P1 "\n" P2},
    {"a call to action in the middle of the text is text",
     "<body><article><p>Abonnez-vous à la piscine municipale, dit la mairie, dès lundi.</p><p>" P1
     "</p><p>" P2 "</p><p>" P1 "</p><p>" P2 "</p></article></body>",
     "Abonnez-vous à la piscine municipale, dit la mairie, dès lundi.\n" P1 "\n" P2 "\n" P1
     "\n" P2},
    {"a line made of a link, or a title and a link without a sentence, is left out",
     "<body><article><p>" P1 "<br><a href=\"/i\">Plus d'informations sur le site de la "
     "préfecture.</a></p><p><em>Le budget de Brest : <a href=\"/b\">les chiffres</a></em></p>"
     "<p>" P2 "</p></article></body>",
     P1 "\n" P2},
    {"a short sentence with a link, or one a <br> cuts, stays",
     "<body><article><p>" P1
     "</p><p>Selon <a href=\"/r\">le rapport</a>, la dette augmente.</p><p>Le rapport <a "
     "href=\"/c\">de la Cour des comptes</a> publié<br>hier montre une dette en hausse.</p><p>" P2
     "</p></article></body>",
     P1 "\nSelon le rapport, la dette augmente.\nLe rapport de la Cour des comptes publié\nhier "
        "montre une dette en "
        "hausse.\n" P2},
    {"photo credits and copyright lines are left out, a colon in a sentence is not one",
     "<body><article><p>" P1 "</p><p>Le port de Brest au matin. Photo : Jean Dupont</p><p>" P2
     "<br>(Bild: Max Muster)</p><p>Le préfet a tranché, une seule consigne : rester chez soi.</p>"
     "<p>© 2026 Le Journal de la Pointe</p></article></body>",
     P1 "\n" P2 "\nLe préfet a tranché, une seule consigne : rester chez soi."},
    {"a paywalled article body is the article, not a box",
     "<body><div class=\"comments\"><p>" P2 "</p><p>" P2 "</p><p>" P2 "</p></div><article "
     "class=\"post paywall-container\"><div class=\"entry paywall-container\"><p>" P1 "</p><p>" P1
     "</p></div></article></body>",
     P1 "\n" P1},
    {"an empty page has no text", "", ""},
};

static void test_main_text(void)
{
    for (size_t i = 0; i < sizeof main_cases / sizeof *main_cases; i++) {
        char *got = html_main_text(main_cases[i].html, strlen(main_cases[i].html));
        CHECK_MSG(harness_same(got, main_cases[i].want), "%s: got \"%s\", want \"%s\"",
                  main_cases[i].name, got ? got : "(null)", main_cases[i].want);
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
        CHECK_FIELD(f, "authors", harness_join(a.authors, a.n_authors, buf, sizeof buf),
                    page_cases[i].authors);
        CHECK_FIELD(f, "sections", harness_join(a.sections, a.n_sections, buf, sizeof buf),
                    page_cases[i].sections);
        CHECK_FIELD(f, "keywords", harness_join(a.keywords, a.n_keywords, buf, sizeof buf),
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
             "<h1>La Loire déborde à Orléans et inonde les quais</h1><p>Autre texte</p></article>"
             "</body></html>",
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
     "<article><p>Le texte de l'article, enfin.</p></article>", "https://r.example/1",
     "Repli & titre", NULL},
    {"raw line breaks inside JSON-LD strings are tolerated",
     "<script type=\"application/ld+json\"><!--\n{\"@type\":\"NewsArticle\",\"identifier\":\"l"
     "\",\"headline\":\"Deux\nlignes\"};\n--></script>",
     "", "l", "Deux lignes", NULL},
    {"a name stands in for a missing headline",
     "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"identifier\":\"m\","
     "\"name\":\"Nom\"}</script>",
     "", "m", "Nom", NULL},
    {"the first h1 when there is no title at all", "",
     "<article><h1>Grand titre</h1><p>Le texte de l'article, enfin.</p></article>", "/f.html",
     "Grand titre", NULL},
    {"meta name=author and the canonical link",
     "<title>T</title><meta name=\"author\" content=\"Jeanne Roux\"><link rel=\"canonical\" "
     "href=\"https://c.example/t\"><meta property=\"og:type\" content=\"article\">",
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
        CHECK_FIELD(ld_cases[i].name, "authors",
                    harness_join(a.authors, a.n_authors, buf, sizeof buf), ld_cases[i].want_author);
        article_clear(&a);
    }
}

/* --- encodings and rejects -------------------------------------------------- */

/* Each page: its bytes (with the article below), and the headline read. */
#define ARTICLE_P "<article><p>Un texte assez long pour un article.</p></article>"
static const struct {
    const char *name, *bytes, *title;
} encoding_cases[] = {
    {"ISO-8859-1 (read as Windows-1252)",
     "<meta charset=\"iso-8859-1\"><title>\xC9t\xE9 \xE0 S\xE8te \x9C \x96</title>" ARTICLE_P,
     "Été à Sète œ –"},
    {"ISO-8859-15 declares œ at 0xBD, in http-equiv",
     "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-15\"><title>C\xBDur"
     "</title>" ARTICLE_P,
     "Cœur"},
    {"not UTF-8 and no charset said: Windows-1252", "<title>Caf\xE9</title>" ARTICLE_P, "Café"},
    {"a UTF-8 page with one stray Latin-1 byte keeps its UTF-8 letters",
     "<title>Été à Sète, caf\xE9 fermé</title>" ARTICLE_P, "Été à Sète, café fermé"},
    {"any charset iconv knows: KOI8-R",
     "<meta charset=\"koi8-r\"><title>\xF0\xD2\xC9\xD7\xC5\xD4</title>" ARTICLE_P, "Привет"},
    {"the encoding of an XML declaration",
     "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><html><head><title>Th\xE9\xE2tre</title>"
     "</head><body>" ARTICLE_P "</body></html>",
     "Théâtre"},
    {"declared Windows-1252 but written in UTF-8 (a re-encoded CMS)",
     "<meta charset=\"windows-1252\"><title>Été à Sète</title>" ARTICLE_P, "Été à Sète"},
    {"a \"charset\" in a script is not a declaration",
     "<script>var charset = 'koi8-r';</script><meta charset=\"utf-8\"><title>Été</title>" ARTICLE_P,
     "Été"},
    {"a UTF-8 byte-order mark is skipped", "\xEF\xBB\xBF<title>Été</title>" ARTICLE_P, "Été"},
};

static void test_encodings(void)
{
    char err[256];
    article a = {0};
    for (size_t i = 0; i < sizeof encoding_cases / sizeof *encoding_cases; i++) {
        const char *b = encoding_cases[i].bytes;
        kq_status st = html_read_article(b, strlen(b), "/e.html", &a, err, sizeof err);
        CHECK_MSG(st == KQ_OK, "%s: %s", encoding_cases[i].name, err);
        CHECK_FIELD(encoding_cases[i].name, "title", a.title, encoding_cases[i].title);
        article_clear(&a);
    }
    /* The body is transcoded as the headline is. */
    const char latin1[] = "<meta charset=\"iso-8859-1\"><title>T</title><article><p>Une \x9Cuvre "
                          "\x96 enfin, apr\xE8s dix ans.</p></article>";
    CHECK(html_read_article(latin1, strlen(latin1), "/l.html", &a, err, sizeof err) == KQ_OK);
    CHECK_STR(a.body ? a.body : "(null)", "Une œuvre – enfin, après dix ans.");
    article_clear(&a);

    /* UTF-16 with its byte-order mark, little and big endian. */
    static const char u16[] = "<title>\xC3\xA9t\xC3\xA9</title>" ARTICLE_P;
    for (int be = 0; be < 2; be++) {
        char buf16[512];
        size_t o = 0;
        buf16[o++] = be ? '\xFE' : '\xFF';
        buf16[o++] = be ? '\xFF' : '\xFE';
        for (const unsigned char *c = (const unsigned char *)u16; *c; c++) {
            unsigned cp = *c;
            if (cp == 0xC3) /* the two "é" of the title */
                cp = 0xC0 | (*++c & 0x3F);
            buf16[o++] = (char)(be ? 0 : cp);
            buf16[o++] = (char)(be ? cp : 0);
        }
        CHECK(html_read_article(buf16, o, "/w.html", &a, err, sizeof err) == KQ_OK);
        CHECK_STR(a.title ? a.title : "(null)", "été");
        article_clear(&a);
    }
}

static const struct {
    const char *name;
    const char *bytes;
    size_t len;
    const char *reason;
} reject_cases[] = {
    {"binary data with NUL bytes", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "binary data"},
    {"binary data with control bytes", "\x01\x02\x03\x04<title>x</title>", 20, "binary data"},
    {"an unsupported charset", "<meta charset=\"x-no-such-charset\"><title>x</title>", 0,
     "unsupported charset"},
    {"a page without any headline",
     "<html><body><article><p>Rien que du texte, sans titre.</p></article></body></html>", 0,
     "no headline"},
};

static void test_rejects(void)
{
    char err[256];
    /* A page nested deeper than gumbo can parse in good time; unclosed
     * paragraphs and list items do not count. */
    size_t n = HTML_MAX_NESTING + 10, dlen = 0;
    char *deep = malloc(n * 8 + 256);
    if (deep) {
        dlen += (size_t)sprintf(deep, "<title>T</title><article>");
        for (size_t i = 0; i < n; i++)
            dlen += (size_t)sprintf(deep + dlen, "<p><li>");
        dlen += (size_t)sprintf(deep + dlen, "Un texte assez long pour un article.</article>");
        article d = {0};
        CHECK(html_read_article(deep, dlen, "/d.html", &d, err, sizeof err) == KQ_OK);
        article_clear(&d);
        dlen = (size_t)sprintf(deep, "<title>T</title>");
        for (size_t i = 0; i < n / 2; i++)
            dlen += (size_t)sprintf(deep + dlen, "<div><b>");
        CHECK(html_read_article(deep, dlen, "/d.html", &d, err, sizeof err) == KQ_ERR_INVALID);
        CHECK_MSG(strstr(err, "nested") != NULL, "deep page: %s", err);
        free(deep);
    }
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
    CHECK(strstr(err, "not an article") != NULL);
    CHECK(html_read_file(PAGES "website.html", &a, err, sizeof err) == KQ_ERR_NOT_FOUND);
    CHECK(html_read_file(PAGES "absent.html", &a, err, sizeof err) == KQ_ERR_IO);
    CHECK(strstr(err, "absent.html") != NULL);
}

/* Metadata from every source a page offers, in the documented order. */
static const struct {
    const char *name, *head, *body;
    const char *id, *title, *date, *authors, *language, *keywords, *description;
} meta_cases[] = {
    {"Dublin Core",
     "<meta name=\"DC.title\" content=\"Le titre DC\"><meta name=\"DC.creator\" content=\"Anne "
     "Roux\"><meta name=\"DC.date.issued\" content=\"2025-03-04\"><meta name=\"DC.language\" "
     "content=\"fr\"><meta name=\"DC.subject\" content=\"mer, pêche\"><meta "
     "name=\"DC.description\" content=\"La description DC.\">",
     "<article><p>" P1 "</p></article>", "/m.html", "Le titre DC", "2025-03-04T00:00:00Z",
     "Anne Roux", "fr", "mer|pêche", "La description DC."},
    {"microdata of an article item, not of its author's item", "",
     "<div itemscope itemtype=\"https://schema.org/NewsArticle\"><h2 itemprop=\"headline\">Le "
     "titre microdata</h2><span itemprop=\"author\" itemscope itemtype=\"https://schema.org/"
     "Person\"><span itemprop=\"name\">Paul Marc</span><span itemprop=\"description\">Le "
     "journaliste</span></span><time itemprop=\"datePublished\" datetime=\"2025-05-06T10:00:00Z"
     "\">6 mai</time><meta itemprop=\"keywords\" content=\"ports\"><p itemprop=\"description"
     "\">Le résumé.</p><p>" P1 "</p></div>",
     "/m.html", "Le titre microdata", "2025-05-06T10:00:00Z", "Paul Marc", NULL, "ports",
     "Le résumé."},
    {"a <time datetime> and http-equiv content-language",
     "<title>Un titre simple</title><meta http-equiv=\"content-language\" content=\"fr-FR\">",
     "<article><time datetime=\"2025-06-01T08:00:00+02:00\">1er juin</time><p>" P1 "</p></article>",
     "/m.html", "Un titre simple", "2025-06-01T06:00:00Z", NULL, "fr-FR", NULL, NULL},
    {"OpenGraph wins over Dublin Core, <html lang> over og:locale",
     "<meta property=\"og:title\" content=\"Titre OG\"><meta name=\"dc.title\" content=\"Titre "
     "DC\"><meta property=\"og:locale\" content=\"fr_FR\"><meta property=\"article:published_"
     "time\" content=\"2025-01-02T03:04:05Z\"><meta name=\"dc.date\" content=\"2020-01-01\">",
     "<article><p>" P1 "</p></article>", "/m.html", "Titre OG", "2025-01-02T03:04:05Z", NULL,
     "fr-FR", NULL, NULL},
    {"the site's name is cut off the title, after it or before it",
     "<title>Marée noire au large de Brest - Le Télégramme</title><meta property=\"og:site_"
     "name\" content=\"Le Télégramme\">",
     "<article><p>" P1 "</p></article>", "/m.html", "Marée noire au large de Brest", NULL, NULL,
     NULL, NULL, NULL},
    {"a site's name before the headline",
     "<meta property=\"og:title\" content=\"Libération | Le Sénat vote la loi\"><meta "
     "name=\"application-name\" content=\"Libération\">",
     "<article><p>" P1 "</p></article>", "/m.html", "Le Sénat vote la loi", NULL, NULL, NULL, NULL,
     NULL},
    {"the <h1> tells where the headline ends",
     "<title>Grève : les trains à l’arrêt - Actu - Ouest Matin</title>",
     "<article><h1>Grève : les trains à l’arrêt - Actu</h1><p>" P1 "</p></article>", "/m.html",
     "Grève : les trains à l’arrêt - Actu", NULL, NULL, NULL, NULL, NULL},
    {"a short last part after a separator is a site's name",
     "<title>Les députés adoptent le budget de la Sécurité sociale | Le Monde</title>",
     "<article><p>" P1 "</p></article>", "/m.html",
     "Les députés adoptent le budget de la Sécurité sociale", NULL, NULL, NULL, NULL, NULL},
    {"a colon belongs to the headline",
     "<title>Budget : l’Assemblée adopte la première partie</title>",
     "<article><p>" P1 "</p></article>", "/m.html",
     "Budget : l’Assemblée adopte la première partie", NULL, NULL, NULL, NULL, NULL},
    {"a relative JSON-LD @id gives way to the canonical link",
     "<link rel=\"canonical\" href=\"https://e.example/a/1\"><script type=\"application/ld+json"
     "\">{\"@type\":\"NewsArticle\",\"@id\":\"#article\",\"headline\":\"Titre LD\"}</script>",
     "<article><p>" P1 "</p></article>", "https://e.example/a/1", "Titre LD", NULL, NULL, NULL,
     NULL, NULL},
};

static void test_metadata(void)
{
    char page[4096], err[256], buf[256];
    for (size_t i = 0; i < sizeof meta_cases / sizeof *meta_cases; i++) {
        snprintf(page, sizeof page, "<!doctype html><html><head>%s</head><body>%s</body></html>",
                 meta_cases[i].head, meta_cases[i].body);
        article a = {0};
        err[0] = 0;
        kq_status st = html_read_article(page, strlen(page), "/m.html", &a, err, sizeof err);
        const char *n = meta_cases[i].name;
        CHECK_MSG(st == KQ_OK, "%s: %s", n, err);
        CHECK_FIELD(n, "id", a.id, meta_cases[i].id);
        CHECK_FIELD(n, "title", a.title, meta_cases[i].title);
        CHECK_FIELD(n, "date", a.date, meta_cases[i].date);
        CHECK_FIELD(n, "authors", harness_join(a.authors, a.n_authors, buf, sizeof buf),
                    meta_cases[i].authors);
        CHECK_FIELD(n, "language", a.language, meta_cases[i].language);
        CHECK_FIELD(n, "keywords", harness_join(a.keywords, a.n_keywords, buf, sizeof buf),
                    meta_cases[i].keywords);
        CHECK_FIELD(n, "description", a.description, meta_cases[i].description);
        article_clear(&a);
    }
}

/* Checks that a body holds every phrase of kept[] and none of left_out[]
 * (NULL-terminated lists). */
static void check_body(const char *ctx, const char *body, const char *const *kept,
                       const char *const *left_out)
{
    for (; *kept; kept++)
        CHECK_MSG(strstr(body, *kept) != NULL, "%s: body lacks \"%s\": %s", ctx, *kept, body);
    for (; *left_out; left_out++)
        CHECK_MSG(strstr(body, *left_out) == NULL, "%s: body has \"%s\": %s", ctx, *left_out, body);
}

/* A newsroom CMS page with every kind of boilerplate around and inside the
 * article, and a JSON-LD article whose articleBody is cut to a teaser. */
static void test_cms_page(void)
{
    article a = {0};
    char err[256] = "", buf[256];
    CHECK_MSG(html_read_file(PAGES "cms-article.html", &a, err, sizeof err) == KQ_OK, "%s", err);
    if (!a.body)
        return;
    static const char *const kept[] = {
        "La préfecture des Côtes-d’Armor a fermé mardi trois plages",
        "taux d’hydrogène sulfuré supérieurs au seuil d’alerte",
        "Un ramassage quotidien",
        "compostées à Lantic.",
        "Morieux : accès interdit jusqu’à nouvel ordre",
        "Hillion : seule la partie nord",
        "« Nous ne pouvons pas prendre le moindre risque",
        "réduction des rejets d’azote agricoles",
        NULL,
    };
    static const char *const left_out[] = {
        "cookies",
        "Accepter",
        "Météo",
        "Accueil",
        "Publié le",
        "Facebook",
        "Lire aussi",
        "bilan de l’été",
        "Sur le même sujet",
        "inquiets",
        "newsletter",
        "Voir aussi",
        "Soutenez",
        "algues vertes plages",
        "commentaires",
        "Encore une fois",
        "Les plus lus",
        "Canicule",
        "Mentions légales",
        "Inscrivez-vous",
        "Texte caché",
        "Marée verte",
        NULL,
    };
    check_body("cms page", a.body, kept, left_out);
    CHECK_FIELD("cms", "title", a.title, "Marée verte : Saint-Brieuc ferme trois plages");
    CHECK_FIELD("cms", "authors", harness_join(a.authors, a.n_authors, buf, sizeof buf),
                "Yann Le Goff");
    CHECK_FIELD("cms", "date", a.date, "2025-07-15T06:20:00Z");
    article_clear(&a);
}

/* Two more French pages of the kinds newsrooms publish: a national daily's
 * (no articleBody in its JSON-LD, a paywall label, inline "Lire aussi" and
 * newsletter boxes) and a WordPress local blog in ISO-8859-1 (share and
 * related-posts plugins, comment form, widgets, an h-card byline). */
static const struct {
    const char *file, *title, *author, *date;
    const char *kept[5], *left_out[12];
} french_pages[] = {
    {"quotidien-national.html",
     "Réforme des retraites : le Conseil constitutionnel valide l’essentiel du texte",
     "Sophie Garnier",
     "2025-04-14T18:15:00Z",
     {"l’essentiel de la réforme des retraites", "« cavaliers sociaux »",
      "Une intersyndicale déterminée", "une seconde demande devant être examinée le 3 mai"},
     {"International", "S’abonner", "Temps de lecture", "réservé aux abonnés", "Lire aussi",
      "ce que contient la réforme", "Newsletter", "S’inscrire", "Contribuer", "Services",
      "Nous contacter"}},
    {"blog-local.html",
     "Le marché de Noël de Quimperlé ouvre ses portes",
     "Marie Le Du",
     "2025-12-01T08:00:00Z",
     {"Quarante exposants se sont installés", "producteurs de cidre et de miel",
      "avec une patinoire installée sur les quais."},
     {"Aller au contenu", "Agenda", "Publié le", "À lire aussi", "illuminations", "Partager",
      "Facebook", "Similaire", "vitrines", "Étiqueté", "commentaire", "festival des Rias"}},
};

static void test_french_pages(void)
{
    for (size_t i = 0; i < sizeof french_pages / sizeof *french_pages; i++) {
        article a = {0};
        char err[256] = "", path[PATH_MAX], buf[256];
        const char *f = french_pages[i].file;
        snprintf(path, sizeof path, "%s%s", PAGES, f);
        CHECK_MSG(html_read_file(path, &a, err, sizeof err) == KQ_OK, "%s: %s", f, err);
        if (!a.body)
            continue;
        for (size_t k = 0; k < 5 && french_pages[i].kept[k]; k++)
            CHECK_MSG(strstr(a.body, french_pages[i].kept[k]) != NULL, "%s: body lacks \"%s\": %s",
                      f, french_pages[i].kept[k], a.body);
        for (size_t k = 0; k < 12 && french_pages[i].left_out[k]; k++)
            CHECK_MSG(strstr(a.body, french_pages[i].left_out[k]) == NULL,
                      "%s: body has \"%s\": %s", f, french_pages[i].left_out[k], a.body);
        CHECK_FIELD(f, "title", a.title, french_pages[i].title);
        CHECK_FIELD(f, "authors", harness_join(a.authors, a.n_authors, buf, sizeof buf),
                    french_pages[i].author);
        CHECK_FIELD(f, "date", a.date, french_pages[i].date);
        article_clear(&a);
    }
}

/* The JSON-LD articleBody is taken when it is complete compared with the
 * page's own text, not when it is a teaser. */
static void test_ld_body_against_page(void)
{
    static const char *const ld[] = {
        /* complete: the page and the export give the same body */
        "\"articleBody\":\"" P1 " " P2 "\"",
        /* a teaser ending in an ellipsis */
        "\"articleBody\":\"Le conseil municipal a voté jeudi soir…\"",
        /* much shorter than the page's text */
        "\"articleBody\":\"Le conseil municipal a voté.\"",
    };
    static const char *const want[] = {P1 " " P2, P1 "\n" P2, P1 "\n" P2};
    for (size_t i = 0; i < sizeof ld / sizeof *ld; i++) {
        char page[2048], err[256];
        snprintf(page, sizeof page,
                 "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"identifier\":"
                 "\"b\",\"headline\":\"H\",%s}</script><article><p>%s</p><p>%s</p></article>",
                 ld[i], P1, P2);
        article a = {0};
        CHECK(html_read_article(page, strlen(page), "/b.html", &a, err, sizeof err) == KQ_OK);
        CHECK_FIELD(ld[i], "body", a.body, want[i]);
        article_clear(&a);
    }
}

/* A page built of custom elements (web components), with the boxes of
 * extract.h inside its article: a byline and a link line, a photo strip, an
 * inline teaser, calls to action at the end, and an <h1> that is not the
 * og:title. */
static void test_component_page(void)
{
    article a = {0};
    char err[256] = "";
    CHECK_MSG(html_read_file(PAGES "component-article.html", &a, err, sizeof err) == KQ_OK, "%s",
              err);
    if (!a.body)
        return;
    CHECK_FIELD("components", "title", a.title, "Le marché couvert de Quimper rouvre ses portes");
    const char h1[] = "Quimper : les Halles Saint-François accueillent de nouveau leurs clients\n"
                      "Après vingt-six mois de chantier";
    CHECK_MSG(strncmp(a.body, h1, strlen(h1)) == 0, "components: body starts \"%.200s\"", a.body);
    static const char *const kept[] = {
        "une verrière neuve qui laisse entrer la lumière",
        "deux crêpiers qui servaient déjà",
        "Le chantier a coûté 9,4 millions d’euros",
        "« Nous avons gardé l’âme du lieu",
        "dès le mois d’avril.",
        NULL,
    };
    static const char *const left_out[] = {
        "Maëlle Kerbrat",
        "La charpente restaurée, en images",
        "Toutes les photos",
        "Stationnement",
        "zones bleues",
        "horaires d’ouverture",
        "abonnez-vous",
        "téléchargez",
        "Kéréon",
        "Mentions légales",
        "Sports",
        NULL,
    };
    check_body("components", a.body, kept, left_out);
    article_clear(&a);
}

/* The page's <h1> is indexed at the head of the body when the headline
 * taken (JSON-LD, og:title) is another sentence; not when it is the same,
 * nor a site's logo in the page header. */
static void test_h1_besides_headline(void)
{
    static const struct {
        const char *name, *head, *body, *want;
    } cases[] = {
        {"an h1 that says something else",
         "<meta property=\"og:title\" content=\"La ville adopte son budget\">",
         "<div class=\"top\"><h1>Budget 2026 : la mairie de Brest vote ses comptes</h1><div>"
         "<article><p>" P1 "</p><p>" P2 "</p></article></div></div>",
         "Budget 2026 : la mairie de Brest vote ses comptes\n" P1 "\n" P2},
        {"an h1 that is the headline",
         "<meta property=\"og:title\" content=\"Budget 2026 : la mairie de Brest vote ses "
         "comptes - Le Journal\">",
         "<h1>Budget 2026 : la mairie de Brest vote ses comptes</h1><article><p>" P1 "</p><p>" P2
         "</p></article>",
         P1 "\n" P2},
        {"an h1 in the page header (a logo)",
         "<meta property=\"og:title\" content=\"La ville adopte son budget\">",
         "<header><h1>Le Journal de la Pointe Bretonne</h1></header><article><p>" P1 "</p><p>" P2
         "</p></article>",
         P1 "\n" P2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char page[4096], err[256] = "";
        snprintf(page, sizeof page, "<!doctype html><html><head>%s</head><body>%s</body></html>",
                 cases[i].head, cases[i].body);
        article a = {0};
        CHECK_MSG(html_read_article(page, strlen(page), "/h.html", &a, err, sizeof err) == KQ_OK,
                  "%s: %s", cases[i].name, err);
        CHECK_FIELD(cases[i].name, "body", a.body, cases[i].want);
        article_clear(&a);
    }
}

/* Pages that hold no article are not indexed as their menus. */
static const struct {
    const char *name, *html, *reason;
} not_article_cases[] = {
    {"a page of links",
     "<title>Politique</title><body><ul><li><a href=\"/1\">Le budget adopté en première "
     "lecture</a></li><li><a href=\"/2\">La réforme des retraites au Sénat</a></li><li><a "
     "href=\"/3\">Municipales : les listes déposées</a></li></ul></body>",
     "mostly links"},
    {"a 404 page",
     "<title>Page introuvable</title><body><nav><a href=\"/\">Accueil</a></nav><div "
     "class=\"error\"><h2>Erreur 404</h2><p>Cette page n'existe pas.</p></div></body>",
     "too little text"},
    {"a section front that says so",
     "<meta property=\"og:type\" content=\"website\"><title>Sport</title><body><div><p>Le XV "
     "de France bat l'Irlande à Dublin, 24 à 17, et prend la tête du tournoi.</p><p>Le Tour de "
     "France 2026 partira de Barcelone le 4 juillet, arrivée à Paris.</p><p>Le résumé de la "
     "journée sportive, avec les résultats de tous les matches.</p></div></body>",
     "og:type \"website\""},
};

static void test_not_articles(void)
{
    for (size_t i = 0; i < sizeof not_article_cases / sizeof *not_article_cases; i++) {
        article a = {0};
        char err[256] = "";
        const char *h = not_article_cases[i].html;
        kq_status st = html_read_article(h, strlen(h), "/n.html", &a, err, sizeof err);
        CHECK_MSG(st == KQ_ERR_NOT_FOUND, "%s: status %d", not_article_cases[i].name, st);
        CHECK_MSG(strstr(err, "not an article") && strstr(err, not_article_cases[i].reason),
                  "%s: reason \"%s\"", not_article_cases[i].name, err);
        CHECK(a.id == NULL);
    }
    /* A page that says it is an article keeps its headline even without text. */
    const char paywall[] = "<meta property=\"og:type\" content=\"article\"><meta property="
                           "\"og:description\" content=\"Le chapô.\"><title>Réservé</title>"
                           "<body><div class=\"content\"><p>Déjà abonné ?</p></div></body>";
    article a = {0};
    char err[256];
    CHECK(html_read_article(paywall, strlen(paywall), "/p.html", &a, err, sizeof err) == KQ_OK);
    CHECK_STR(a.title, "Réservé");
    CHECK_STR(a.body ? a.body : "(null)", "");
    article_clear(&a);
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
    test_metadata();
    test_cms_page();
    test_component_page();
    test_french_pages();
    test_ld_body_against_page();
    test_h1_besides_headline();
    test_not_articles();
    test_names();
    return harness_exit("test_html");
}
