/* render: the text searchd sends.  See render.h for the contracts. */
#include "render.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the buffer ------------------------------------------------------------ */

void render_buf_init(render_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

void render_buf_free(render_buf *b)
{
    free(b->data);
    render_buf_init(b);
}

/* Makes room for `extra` more bytes plus the NUL; returns 0, or -1 (and
 * marks the buffer failed) when memory runs out. */
static int buf_reserve(render_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = 1;
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

void render_buf_add(render_buf *b, const char *s, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return;
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void render_buf_puts(render_buf *b, const char *s)
{
    render_buf_add(b, s, strlen(s));
}

void render_buf_printf(render_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void render_buf_add_html(render_buf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *entity;
        switch (*s) {
        case '&':
            entity = "&amp;";
            break;
        case '<':
            entity = "&lt;";
            break;
        case '>':
            entity = "&gt;";
            break;
        case '"':
            entity = "&quot;";
            break;
        case '\'':
            entity = "&#39;";
            break;
        default:
            continue;
        }
        render_buf_add(b, run, (size_t)(s - run));
        render_buf_puts(b, entity);
        run = s + 1;
    }
    render_buf_add(b, run, (size_t)(s - run));
}

void render_buf_add_url(render_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            render_buf_add(b, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            render_buf_add(b, esc, 3);
        }
    }
}

char *render_buf_release(render_buf *b, size_t *len)
{
    if (b->failed) {
        render_buf_free(b);
        return NULL;
    }
    if (!b->data && buf_reserve(b, 0) != 0)
        return NULL;
    if (!b->data)
        return NULL;
    b->data[b->len] = '\0';
    char *out = b->data;
    if (len)
        *len = b->len;
    render_buf_init(b);
    return out;
}

/* --- UTF-8 and formatting ---------------------------------------------------- */

int render_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0; /* a continuation byte, an overlong lead (C0, C1) or above F4 */
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

void render_date_fr(const char *iso, char *out, size_t out_size)
{
    static const char *const months[] = {"janvier",   "février", "mars",     "avril",
                                         "mai",       "juin",    "juillet",  "août",
                                         "septembre", "octobre", "novembre", "décembre"};
    int y, m, d;
    if (out_size == 0)
        return;
    if (sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
        /* The first day of a month is written "1er" in French. */
        snprintf(out, out_size, d == 1 ? "%der %s %d" : "%d %s %d", d, months[m - 1], y);
    } else {
        snprintf(out, out_size, "%s", iso);
    }
}

void render_count_fr(uint64_t n, char *out, size_t out_size)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    char tmp[64];
    size_t o = 0;
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0) {
            /* U+202F NARROW NO-BREAK SPACE, the French thousands separator. */
            memcpy(tmp + o, "\xE2\x80\xAF", 3);
            o += 3;
        }
        tmp[o++] = digits[i];
    }
    tmp[o] = '\0';
    snprintf(out, out_size, "%s", tmp);
}

/* --- JSON ---------------------------------------------------------------------- */

char *render_error_json(const char *code, const char *message, size_t *len)
{
    json_t *root = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    if (!root)
        return NULL;
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (text && len)
        *len = strlen(text);
    return text;
}

/* --- the page -------------------------------------------------------------------- */

/* A link to the search page: p's request with some parameters replaced. */
typedef struct page_link {
    const char *query, *section, *since, *until; /* "" for none */
    unsigned page;
} page_link;

/* The link to p itself at `page`, to be adjusted before add_link. */
static page_link link_from(const render_page_params *p, unsigned page)
{
    page_link l = {p->query, p->section, p->since, p->until, page};
    return l;
}

/* Appends the HTML-escaped URL of l (keeping p's sort order). */
static void add_link(render_buf *b, const render_page_params *p, const page_link *l)
{
    render_buf url = RENDER_BUF_INIT;
    const char *names[] = {"&section=", "&since=", "&until="};
    const char *values[] = {l->section, l->since, l->until};
    render_buf_puts(&url, "/?q=");
    render_buf_add_url(&url, l->query);
    for (size_t i = 0; i < 3; i++) {
        if (*values[i]) {
            render_buf_puts(&url, names[i]);
            render_buf_add_url(&url, values[i]);
        }
    }
    if (strcmp(p->sort, "relevance") != 0) {
        render_buf_puts(&url, "&sort=");
        render_buf_add_url(&url, p->sort);
    }
    if (l->page > 1)
        render_buf_printf(&url, "&page=%u", l->page);
    if (url.failed)
        b->failed = 1;
    else
        render_buf_add_html(b, url.data);
    render_buf_free(&url);
}

/* Appends the link to p filtered on `section`, at its first page. */
static void add_page_link(render_buf *b, const render_page_params *p, const char *section,
                          unsigned page)
{
    page_link l = link_from(p, page);
    l.section = section;
    add_link(b, p, &l);
}

static void add_option(render_buf *b, const char *value, const char *label, const char *current)
{
    render_buf_printf(b, "<option value=\"%s\"%s>%s</option>", value,
                      strcmp(value, current) == 0 ? " selected" : "", label);
}

static void add_form(render_buf *b, const render_page_params *p)
{
    int filtered = *p->section || *p->since || *p->until || strcmp(p->sort, "relevance") != 0;
    render_buf_puts(b,
                    "<form class=\"search\" action=\"/\" method=\"get\" role=\"search\">\n"
                    "<label class=\"search-label\" for=\"q\">Rechercher dans les archives</label>\n"
                    "<div class=\"search-row\">"
                    "<input type=\"search\" id=\"q\" name=\"q\" value=\"");
    render_buf_add_html(b, p->query);
    render_buf_printf(
        b,
        "\" maxlength=\"%u\" autocomplete=\"off\" spellcheck=\"false\" list=\"kq-suggestions\" "
        "placeholder=\"mots, &quot;expression exacte&quot;, -exclu\">"
        "<datalist id=\"kq-suggestions\"></datalist>"
        "<button type=\"submit\">Rechercher</button></div>\n",
        SEARCH_MAX_QUERY_BYTES);
    render_buf_printf(b,
                      "<details class=\"filters\"%s><summary>Filtres et tri</summary>\n<div "
                      "class=\"filter-grid\">\n",
                      filtered ? " open" : "");
    render_buf_puts(b, "<p><label for=\"section\">Rubrique</label>"
                       "<input type=\"text\" id=\"section\" name=\"section\" placeholder=\"par ex. "
                       "politique\" value=\"");
    render_buf_add_html(b, p->section);
    render_buf_puts(b, "\"></p>\n<p><label for=\"since\">Publié depuis le</label>"
                       "<input type=\"date\" id=\"since\" name=\"since\" value=\"");
    render_buf_add_html(b, p->since);
    render_buf_puts(b, "\"></p>\n<p><label for=\"until\">Publié jusqu’au</label>"
                       "<input type=\"date\" id=\"until\" name=\"until\" value=\"");
    render_buf_add_html(b, p->until);
    render_buf_puts(
        b, "\"></p>\n<p><label for=\"sort\">Trier par</label><select id=\"sort\" name=\"sort\">");
    add_option(b, "relevance", "pertinence", p->sort);
    add_option(b, "date", "les plus récents", p->sort);
    add_option(b, "date_asc", "les plus anciens", p->sort);
    render_buf_puts(b, "</select></p>\n</div></details>\n</form>\n");
}

/* 1 when url is an absolute http(s) URL, the only kind the page links to
 * (a "javascript:" URL in the archive must not become a live link). */
static int is_web_url(const char *url)
{
    return strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0;
}

static void add_hit(render_buf *b, const render_page_params *p, const search_hit *h)
{
    render_buf_puts(b, "<li class=\"hit\"><article>\n<h3 class=\"hit-title\">");
    if (h->url && is_web_url(h->url)) {
        render_buf_puts(b, "<a href=\"");
        render_buf_add_html(b, h->url);
        render_buf_puts(b, "\">");
        render_buf_add_html(b, h->title);
        render_buf_puts(b, "</a>");
    } else {
        render_buf_add_html(b, h->title);
    }
    render_buf_puts(b, "</h3>\n<p class=\"hit-meta\">");
    int sep = 0;
    if (h->date && *h->date) {
        char day[64];
        render_date_fr(h->date, day, sizeof day);
        render_buf_puts(b, "<time datetime=\"");
        render_buf_add_html(b, h->date);
        render_buf_puts(b, "\">");
        render_buf_add_html(b, day);
        render_buf_puts(b, "</time>");
        sep = 1;
    }
    if (h->section && *h->section) {
        /* Each part of "societe / culture" links to the page filtered on it. */
        if (sep)
            render_buf_puts(b, "<span class=\"sep\" aria-hidden=\"true\"> · </span>");
        render_buf_puts(b, "<span class=\"hit-section\">");
        const char *s = h->section;
        while (*s) {
            const char *end = strstr(s, " / ");
            size_t n = end ? (size_t)(end - s) : strlen(s);
            char *part = strndup(s, n);
            if (!part) {
                b->failed = 1;
                return;
            }
            render_buf_puts(b, "<a href=\"");
            add_page_link(b, p, part, 1);
            render_buf_puts(b, "\" title=\"Rubrique ");
            render_buf_add_html(b, part);
            render_buf_puts(b, "\">");
            render_buf_add_html(b, part);
            render_buf_puts(b, "</a>");
            free(part);
            s += n;
            if (end) {
                render_buf_puts(b, " / ");
                s += 3;
            }
        }
        render_buf_puts(b, "</span>");
        sep = 1;
    }
    if (h->author && *h->author) {
        if (sep)
            render_buf_puts(b, "<span class=\"sep\" aria-hidden=\"true\"> · </span>");
        render_buf_puts(b, "<span class=\"hit-author\">");
        render_buf_add_html(b, h->author);
        render_buf_puts(b, "</span>");
    }
    render_buf_puts(b, "</p>\n");
    char *snippet = search_snippet_html(h);
    if (!snippet) {
        b->failed = 1;
        return;
    }
    if (*snippet) {
        render_buf_puts(b, "<p class=\"hit-snippet\">");
        render_buf_puts(b, snippet); /* already HTML: escaped text and <mark> */
        render_buf_puts(b, "</p>\n");
    }
    free(snippet);
    if (h->duplicates > 0)
        render_buf_printf(b, "<p class=\"hit-dups\">et %u article%s presque identique%s</p>\n",
                          h->duplicates, h->duplicates > 1 ? "s" : "",
                          h->duplicates > 1 ? "s" : "");
    render_buf_puts(b, "</article></li>\n");
}

/* The refinements: the sections and years of every match, as links that
 * filter on them (the most frequent sections, the most recent years), and
 * a link back to all of them when one is chosen. */
static void add_facets(render_buf *b, const render_page_params *p, const search_result *r)
{
    const search_facet *sections = &r->facets[SEARCH_FACET_SECTION];
    const search_facet *years = &r->facets[SEARCH_FACET_YEAR];
    char count[64];
    render_buf_puts(b, "<nav class=\"facets\" aria-label=\"Affiner la recherche\">\n");
    if (sections->n_values > 0 || *p->section) {
        render_buf_puts(b, "<p><span class=\"facet-name\">Rubriques :</span> ");
        if (*p->section) {
            render_buf_puts(b, "<a href=\"");
            add_page_link(b, p, "", 1);
            render_buf_puts(b, "\">toutes</a>");
        }
        for (size_t i = 0; i < sections->n_values && i < 8; i++) {
            const search_facet_value *v = &sections->values[i];
            if (i > 0 || *p->section)
                render_buf_puts(b, "<span class=\"sep\" aria-hidden=\"true\"> · </span>");
            render_count_fr(v->count, count, sizeof count);
            if (strcmp(v->value, p->section) == 0) {
                render_buf_puts(b, "<strong aria-current=\"true\">");
                render_buf_add_html(b, v->value);
                render_buf_puts(b, "</strong>");
            } else {
                render_buf_puts(b, "<a href=\"");
                add_page_link(b, p, v->value, 1);
                render_buf_puts(b, "\">");
                render_buf_add_html(b, v->value);
                render_buf_puts(b, "</a>");
            }
            render_buf_printf(b, " <span class=\"count\">(%s)</span>", count);
        }
        render_buf_puts(b, "</p>\n");
    }
    if (years->n_values > 1 || *p->since || *p->until) {
        /* Years by count come from the library; show the ten most recent. */
        const search_facet_value *shown[10];
        size_t n = 0;
        for (size_t i = 0; i < years->n_values; i++) {
            const search_facet_value *v = &years->values[i];
            size_t k = n < 10 ? n++ : 10;
            while (k > 0 && strcmp(shown[k - 1]->value, v->value) < 0) {
                if (k < 10)
                    shown[k] = shown[k - 1];
                k--;
            }
            if (k < 10)
                shown[k] = v;
        }
        render_buf_puts(b, "<p><span class=\"facet-name\">Années :</span> ");
        if (*p->since || *p->until) {
            page_link l = link_from(p, 1);
            l.since = l.until = "";
            render_buf_puts(b, "<a href=\"");
            add_link(b, p, &l);
            render_buf_puts(b, "\">toutes</a>");
        }
        for (size_t i = 0; i < n; i++) {
            char since[16], until[16];
            if (strlen(shown[i]->value) != 4)
                continue;
            snprintf(since, sizeof since, "%s-01-01", shown[i]->value);
            snprintf(until, sizeof until, "%s-12-31", shown[i]->value);
            if (i > 0 || *p->since || *p->until)
                render_buf_puts(b, "<span class=\"sep\" aria-hidden=\"true\"> · </span>");
            page_link l = link_from(p, 1);
            l.since = since;
            l.until = until;
            render_count_fr(shown[i]->count, count, sizeof count);
            render_buf_puts(b, "<a href=\"");
            add_link(b, p, &l);
            render_buf_puts(b, "\">");
            render_buf_add_html(b, shown[i]->value);
            render_buf_printf(b, "</a> <span class=\"count\">(%s)</span>", count);
        }
        render_buf_puts(b, "</p>\n");
    }
    render_buf_puts(b, "</nav>\n");
}

static void add_results(render_buf *b, const render_page_params *p, const search_result *r)
{
    char count[64];
    render_count_fr(r->total, count, sizeof count);
    render_buf_puts(b, "<section class=\"results\" aria-labelledby=\"results-title\">\n"
                       "<h2 id=\"results-title\" class=\"summary\">");
    if (r->total == 0)
        render_buf_puts(b, "Aucun résultat");
    else
        render_buf_printf(b, "%s résultat%s", count, r->total > 1 ? "s" : "");
    render_buf_puts(b, " pour « ");
    render_buf_add_html(b, p->query);
    render_buf_puts(b, " »</h2>\n");
    if (r->suggestion && *r->suggestion) {
        page_link l = link_from(p, 1);
        l.query = r->suggestion;
        render_buf_puts(b, "<p class=\"didyoumean\">Vouliez-vous dire <a href=\"");
        add_link(b, p, &l);
        render_buf_puts(b, "\">");
        render_buf_add_html(b, r->suggestion);
        render_buf_puts(b, "</a> ?</p>\n");
    }
    if (r->has_facets && r->total > 0)
        add_facets(b, p, r);
    if (r->partial && r->n_hits > 0)
        render_buf_puts(b, "<p class=\"notice\">Aucun article ne contient tous les mots : voici "
                           "les plus proches.</p>\n");
    if (r->n_hits == 0) {
        if (r->total == 0)
            render_buf_puts(b, "<p class=\"notice\">Vérifiez l’orthographe, essayez moins de mots "
                               "ou retirez des filtres.</p>\n");
        else
            render_buf_puts(
                b, "<p class=\"notice\">Cette page est au-delà des derniers résultats.</p>\n");
    } else {
        render_buf_printf(b, "<ol class=\"hits\" start=\"%u\">\n", r->offset + 1);
        for (size_t i = 0; i < r->n_hits; i++)
            add_hit(b, p, &r->hits[i]);
        render_buf_puts(b, "</ol>\n");
    }

    /* Pagination: as far as the results go, and never past SEARCH_MAX_OFFSET. */
    uint64_t pages = (r->total + p->per_page - 1) / p->per_page;
    uint64_t max_pages = SEARCH_MAX_OFFSET / p->per_page + 1;
    if (pages > max_pages)
        pages = max_pages;
    if (pages > 1) {
        render_buf_puts(b, "<nav class=\"pager\" aria-label=\"Pages de résultats\">");
        if (p->page > 1) {
            render_buf_puts(b, "<a rel=\"prev\" href=\"");
            add_page_link(b, p, p->section, p->page - 1);
            render_buf_puts(b, "\">← Précédente</a>");
        }
        char n_pages[64];
        render_count_fr(pages, n_pages, sizeof n_pages);
        render_buf_printf(b,
                          "<span class=\"pager-pos\" aria-current=\"page\">Page %u sur %s</span>",
                          p->page, n_pages);
        if (p->page < pages) {
            render_buf_puts(b, "<a rel=\"next\" href=\"");
            add_page_link(b, p, p->section, p->page + 1);
            render_buf_puts(b, "\">Suivante →</a>");
        }
        render_buf_puts(b, "</nav>\n");
    }
    render_buf_puts(b, "</section>\n");
}

char *render_page(const render_page_params *p, const search_result *r, const char *error,
                  size_t *len)
{
    render_buf b = RENDER_BUF_INIT;
    render_buf_puts(
        &b, "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    if (*p->query) {
        render_buf_add_html(&b, p->query);
        render_buf_puts(&b, " — ");
    }
    render_buf_puts(&b,
                    "Kiosque, recherche dans les archives</title>\n"
                    "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n"
                    "<link rel=\"stylesheet\" href=\"/static/kiosque.css\">\n"
                    "<script src=\"/static/kiosque.js\" defer></script>\n</head>\n<body>\n"
                    "<a class=\"skip\" href=\"#main\">Aller au contenu</a>\n"
                    "<header class=\"masthead\"><h1><a href=\"/\">Kiosque</a></h1>"
                    "<p class=\"tagline\">Recherche dans les archives d’actualité</p></header>\n"
                    "<main id=\"main\">\n");
    add_form(&b, p);
    if (error) {
        render_buf_puts(&b, "<p class=\"error\" role=\"alert\">");
        render_buf_add_html(&b, error);
        render_buf_puts(&b, "</p>\n");
    } else if (r) {
        add_results(&b, p, r);
    }
    render_buf_puts(&b,
                    "</main>\n<footer class=\"colophon\"><p>Kiosque · <a href=\"/api/search?q=");
    render_buf_add_url(&b, p->query);
    render_buf_puts(&b, "\">cette recherche en JSON</a></p></footer>\n</body>\n</html>\n");
    return render_buf_release(&b, len);
}
