/* feed: the Atom feed of a search and the OpenSearch description.  See feed.h. */
#include "feed.h"

#include <string.h>

#define ATOM_NS "http://www.w3.org/2005/Atom"
#define OPENSEARCH_NS "http://a9.com/-/spec/opensearch/1.1/"

/* Appends <name>text</name>, text escaped. */
static void add_element(render_buf *b, const char *name, const char *text)
{
    render_buf_printf(b, "<%s>", name);
    render_buf_add_xml(b, text);
    render_buf_printf(b, "</%s>\n", name);
}

/* Appends <link rel="rel" type="type" href="url"/>, consuming url. */
static void add_link(render_buf *b, const char *rel, const char *type, render_buf *url)
{
    render_buf_printf(b, "<link rel=\"%s\" type=\"%s\" href=\"", rel, type);
    if (url->failed || !url->data)
        b->failed = 1;
    else
        render_buf_add_xml(b, url->data);
    render_buf_puts(b, "\"/>\n");
    render_buf_free(url);
}

/* "; rubrique politique; depuis le 2 juillet 2020": the filters of the feed, for its subtitle. */
static void add_filters_text(render_buf *b, const render_page_params *s)
{
    const char *labels[] = {"rubrique", "auteur"};
    const char *values[] = {s->section, s->author};
    for (size_t i = 0; i < 2; i++) {
        if (values[i] && *values[i]) {
            render_buf_printf(b, " ; %s ", labels[i]);
            render_buf_add_xml(b, values[i]);
        }
    }
    char date[64];
    if (s->since && *s->since) {
        render_date_fr(s->since, date, sizeof date);
        render_buf_puts(b, " ; depuis le ");
        render_buf_add_xml(b, date);
    }
    if (s->until && *s->until) {
        render_date_fr(s->until, date, sizeof date);
        render_buf_puts(b, " ; jusqu’au ");
        render_buf_add_xml(b, date);
    }
    if (s->duplicates_of && *s->duplicates_of) {
        render_buf_puts(b, " ; reprises de l’article ");
        render_buf_add_xml(b, s->duplicates_of);
    }
    if (s->all)
        render_buf_puts(b, " ; reprises comprises");
}

/* Appends one <category term="…"/> per section of a hit ("societe / mobilite"). */
static void add_categories(render_buf *b, const char *sections)
{
    const char *s = sections;
    while (*s) {
        const char *sep = strstr(s, " / ");
        size_t len = sep ? (size_t)(sep - s) : strlen(s);
        if (len > 0) {
            char term[256];
            if (len >= sizeof term)
                len = sizeof term - 1;
            memcpy(term, s, len);
            term[len] = '\0';
            render_buf_puts(b, "<category term=\"");
            render_buf_add_xml(b, term);
            render_buf_puts(b, "\"/>\n");
        }
        s += sep ? len + 3 : len;
    }
}

static void add_entry(render_buf *b, const search_hit *h, const char *updated)
{
    const char *when = *h->date ? h->date : updated;
    render_buf_puts(b, "<entry>\n<id>" FEED_TAG_PREFIX "article/");
    render_buf_add_url(b, h->id); /* percent-encoded: nothing left to escape for XML */
    render_buf_puts(b, "</id>\n");
    add_element(b, "title", h->title);
    render_buf url = RENDER_BUF_INIT;
    if (render_is_web_url(h->url)) {
        render_buf_puts(&url, h->url);
    } else {
        /* No web page: the article's record in the API is the link Atom requires. */
        render_buf_puts(&url, "/api/articles/");
        render_buf_add_url(&url, h->id);
    }
    add_link(b, "alternate", render_is_web_url(h->url) ? "text/html" : "application/json", &url);
    if (*h->date)
        add_element(b, "published", h->date);
    add_element(b, "updated", when);
    if (*h->author) {
        render_buf_puts(b, "<author><name>");
        render_buf_add_xml(b, h->author);
        render_buf_puts(b, "</name></author>\n");
    }
    add_categories(b, h->section);
    render_buf_puts(b, "<summary type=\"text\">");
    render_buf_add_xml(b, h->snippet);
    render_buf_puts(b, "</summary>\n</entry>\n");
}

char *feed_atom(const feed_params *p, const search_result *r, size_t *len)
{
    const render_page_params *s = p->search;
    const char *query = s->query ? s->query : "";
    /* The feed changed last when its newest entry appeared (ISO 8601 UTC compares as text). */
    const char *updated = "";
    for (size_t i = 0; i < r->n_hits; i++)
        if (strcmp(r->hits[i].date, updated) > 0)
            updated = r->hits[i].date;
    if (!*updated)
        updated = *p->updated_fallback ? p->updated_fallback : "1970-01-01T00:00:00Z";

    render_buf b = RENDER_BUF_INIT;
    render_buf self = RENDER_BUF_INIT, page = RENDER_BUF_INIT;
    render_search_url(&self, "/feed.atom", s);
    render_search_url(&page, "/", s);
    render_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                        "<feed xmlns=\"" ATOM_NS "\" xml:lang=\"fr\">\n<id>" FEED_TAG_PREFIX);
    /* The canonical URL is percent-encoded already; & still needs its entity. */
    render_buf_add_xml(&b, self.data ? self.data + 1 : "");
    render_buf_puts(&b, "</id>\n<title type=\"text\">");
    if (*query) {
        render_buf_puts(&b, "« ");
        render_buf_add_xml(&b, query);
        render_buf_puts(&b, " » — Kiosque");
    } else {
        render_buf_puts(&b, "Derniers articles — Kiosque");
    }
    render_buf_puts(&b, "</title>\n<subtitle type=\"text\">Les articles les plus récents");
    if (*query) {
        render_buf_puts(&b, " pour « ");
        render_buf_add_xml(&b, query);
        render_buf_puts(&b, " »");
    }
    add_filters_text(&b, s);
    render_buf_puts(&b, "</subtitle>\n");
    add_element(&b, "updated", updated);
    add_link(&b, "self", "application/atom+xml", &self);
    add_link(&b, "alternate", "text/html", &page);
    render_buf_puts(&b, "<author><name>Kiosque</name></author>\n"
                        "<generator version=\"" KIOSQUE_VERSION "\">Kiosque</generator>\n");
    for (size_t i = 0; i < r->n_hits; i++)
        add_entry(&b, &r->hits[i], updated);
    render_buf_puts(&b, "</feed>\n");
    return render_buf_release(&b, len);
}

/* Appends <Url type="type" … template="base + path"/>; path is trusted XML. */
static void add_template(render_buf *b, const char *base, const char *type, const char *extra,
                         const char *path)
{
    render_buf_printf(b, "<Url type=\"%s\" method=\"get\"%s template=\"", type, extra);
    render_buf_add_xml(b, base);
    render_buf_puts(b, path);
    render_buf_puts(b, "\"/>\n");
}

char *feed_opensearch(const char *base_url, size_t *len)
{
    render_buf b = RENDER_BUF_INIT;
    render_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<OpenSearchDescription xmlns=\"" OPENSEARCH_NS "\">\n"
                        "<ShortName>Kiosque</ShortName>\n"
                        "<Description>Recherche dans les archives d’actualité</Description>\n"
                        "<Tags>actualité archives presse</Tags>\n"
                        "<Image height=\"16\" width=\"16\" type=\"image/svg+xml\">");
    render_buf_add_xml(&b, base_url);
    render_buf_puts(&b, "/static/favicon.svg</Image>\n");
    add_template(&b, base_url, "text/html", "", "/?q={searchTerms}&amp;page={startPage?}");
    add_template(&b, base_url, "application/x-suggestions+json", "",
                 "/api/suggest?format=opensearch&amp;q={searchTerms}");
    add_template(&b, base_url, "application/atom+xml", "", "/feed.atom?q={searchTerms}");
    add_template(&b, base_url, "application/json", " indexOffset=\"0\"",
                 "/api/search?q={searchTerms}&amp;offset={startIndex?}&amp;limit={count?}");
    add_template(&b, base_url, "application/opensearchdescription+xml", " rel=\"self\"",
                 "/opensearch.xml");
    render_buf_puts(&b, "<Query role=\"example\" searchTerms=\"réforme des retraites\"/>\n"
                        "<Language>fr</Language>\n<InputEncoding>UTF-8</InputEncoding>\n"
                        "<OutputEncoding>UTF-8</OutputEncoding>\n</OpenSearchDescription>\n");
    return render_buf_release(&b, len);
}
