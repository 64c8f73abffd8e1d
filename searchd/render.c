/* render: the text searchd sends.  See render.h for the contracts. */
#include "render.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result_render.h"
#include "utf8.h"

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

void render_buf_add_xml(render_buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);
    while (*s) {
        /* The longest run of characters that need nothing, appended at once. */
        const unsigned char *run = s;
        uint32_t cp = 0;
        size_t n = 0;
        while (*s && (n = utf8_decode(s, (size_t)(end - s), &cp)) > 0 && cp != '&' && cp != '<' &&
               cp != '>' && cp != '"' && cp != '\'' &&
               (cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r') && cp != 0xFFFE &&
               cp != 0xFFFF)
            s += n;
        render_buf_add(b, (const char *)run, (size_t)(s - run));
        if (!*s)
            break;
        if (n == 0) {
            s++; /* not UTF-8: left out */
            continue;
        }
        switch (cp) {
        case '&':
            render_buf_puts(b, "&amp;");
            break;
        case '<':
            render_buf_puts(b, "&lt;");
            break;
        case '>':
            render_buf_puts(b, "&gt;");
            break;
        case '"':
            render_buf_puts(b, "&quot;");
            break;
        case '\'':
            render_buf_puts(b, "&apos;");
            break;
        default:
            break; /* a character XML 1.0 forbids: left out */
        }
        s += n;
    }
}

/* --- UTF-8 and formatting ---------------------------------------------------- */

int render_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s[i] ? utf8_decode(s + i, len - i, &cp) : 0;
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

static const char *const months_fr[] = {"janvier",   "février", "mars",     "avril",
                                        "mai",       "juin",    "juillet",  "août",
                                        "septembre", "octobre", "novembre", "décembre"};

void render_date_fr(const char *iso, char *out, size_t out_size)
{
    const char *const *months = months_fr;
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
    /* A message may quote what the reader sent, cut at a byte count. */
    char *valid = utf8_repaired(message);
    json_t *root =
        valid ? json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", valid) : NULL;
    free(valid);
    if (!root)
        return NULL;
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (text && len)
        *len = strlen(text);
    return text;
}

/* --- the page -------------------------------------------------------------------- */

/* A link to the search page: the reader's request with some parameters
 * replaced.  Strings are "" for none. */
typedef struct page_link {
    const char *query, *section, *author, *since, *until, *sort, *duplicates_of, *related;
    int all;
    unsigned page;
} page_link;

/* The link to p itself at `page`, to be adjusted before add_link. */
static page_link link_from(const render_page_params *p, unsigned page)
{
    page_link l = {p->query, p->section,       p->author,  p->since, p->until,
                   p->sort,  p->duplicates_of, p->related, p->all,   page};
    return l;
}

/* The search p comes from, at its first page: without the list of copies or
 * of related articles p may show. */
static page_link search_link(const render_page_params *p)
{
    page_link l = link_from(p, 1);
    l.duplicates_of = l.related = "";
    return l;
}

/* Appends `path` and l's query string, not yet HTML-escaped, to url. */
static void put_url(render_buf *url, const char *path, const page_link *l)
{
    const char *names[] = {
        "&section=", "&author=", "&since=", "&until=", "&duplicates_of=", "&related="};
    const char *values[] = {l->section, l->author,        l->since,
                            l->until,   l->duplicates_of, l->related};
    render_buf_puts(url, path);
    render_buf_puts(url, "?q=");
    render_buf_add_url(url, l->query);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (*values[i]) {
            render_buf_puts(url, names[i]);
            render_buf_add_url(url, values[i]);
        }
    }
    if (strcmp(l->sort, "relevance") != 0) {
        render_buf_puts(url, "&sort=");
        render_buf_add_url(url, l->sort);
    }
    if (l->all)
        render_buf_puts(url, "&all=1");
    if (l->page > 1)
        render_buf_printf(url, "&page=%u", l->page);
}

/* Appends the HTML-escaped URL of `url`, consuming it. */
static void add_escaped_url(render_buf *b, render_buf *url)
{
    if (url->failed || !url->data)
        b->failed = 1;
    else
        render_buf_add_html(b, url->data);
    render_buf_free(url);
}

/* Appends the HTML-escaped URL of the page l describes. */
static void add_link(render_buf *b, const page_link *l)
{
    render_buf url = RENDER_BUF_INIT;
    put_url(&url, "/", l);
    add_escaped_url(b, &url);
}

void render_search_url(render_buf *url, const char *path, const render_page_params *p)
{
    page_link l = link_from(p, 1);
    l.sort = "relevance"; /* left out: a feed is by date, the page says its own order */
    l.related = "";
    put_url(url, path, &l);
}

/* Appends the HTML-escaped URL of the Atom feed of p's search. */
static void add_feed_url(render_buf *b, const render_page_params *p)
{
    render_buf url = RENDER_BUF_INIT;
    render_search_url(&url, "/feed.atom", p);
    add_escaped_url(b, &url);
}

/* Appends <a href="l">text</a>, text escaped; `attrs` (trusted) goes inside the tag. */
static void add_anchor(render_buf *b, const page_link *l, const char *attrs, const char *text)
{
    render_buf_puts(b, "<a ");
    if (attrs) {
        render_buf_puts(b, attrs);
        render_buf_puts(b, " ");
    }
    render_buf_puts(b, "href=\"");
    add_link(b, l);
    render_buf_puts(b, "\">");
    render_buf_add_html(b, text);
    render_buf_puts(b, "</a>");
}

static void add_option(render_buf *b, const char *value, const char *label, const char *current)
{
    render_buf_printf(b, "<option value=\"%s\"%s>%s</option>", value,
                      strcmp(value, current) == 0 ? " selected" : "", label);
}

/* The sort orders, as the API names them and as the page says them. */
static const char *const sort_values[] = {"relevance", "date", "date_asc"};
static const char *const sort_labels[] = {"pertinence", "plus récents", "plus anciens"};

static void add_text_field(render_buf *b, const char *name, const char *type, const char *label,
                           const char *placeholder, const char *value)
{
    render_buf_printf(b, "<p><label for=\"%s\">%s</label><input type=\"%s\" id=\"%s\" name=\"%s\"",
                      name, label, type, name, name);
    if (placeholder)
        render_buf_printf(b, " placeholder=\"%s\"", placeholder);
    render_buf_puts(b, " value=\"");
    render_buf_add_html(b, value);
    render_buf_puts(b, "\"></p>\n");
}

/* The form; its filters start open when some are set and no results list
 * them as removable filters already (`listed`). */
static void add_form(render_buf *b, const render_page_params *p, int listed)
{
    int filtered = !listed && (*p->section || *p->author || *p->since || *p->until || p->all ||
                               strcmp(p->sort, "relevance") != 0);
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
    add_text_field(b, "section", "text", "Rubrique", "par ex. politique", p->section);
    add_text_field(b, "author", "text", "Auteur", "par ex. Camille Martin", p->author);
    add_text_field(b, "since", "date", "Publié depuis le", NULL, p->since);
    add_text_field(b, "until", "date", "Publié jusqu’au", NULL, p->until);
    render_buf_puts(b,
                    "<p><label for=\"sort\">Trier par</label><select id=\"sort\" name=\"sort\">");
    for (size_t i = 0; i < 3; i++)
        add_option(b, sort_values[i], sort_labels[i], p->sort);
    render_buf_printf(
        b,
        "</select></p>\n<p class=\"check\"><label><input type=\"checkbox\" "
        "name=\"all\" value=\"1\"%s> Montrer chaque reprise d’un article</label></p>\n"
        "</div></details>\n</form>\n",
        p->all ? " checked" : "");
}

/* The query language of README.md ("The query language"), for readers. */
static void add_help(render_buf *b)
{
    static const char *const rows[][2] = {
        {"<code>retraites réforme</code>",
         "les articles qui contiennent tous les mots (à défaut, les plus proches)"},
        {"<code>\"réforme des retraites\"</code>", "l’expression exacte, entre guillemets"},
        {"<code>budget -sécurité</code>, <code>budget -\"sécurité sociale\"</code>",
         "exclut un mot ou une expression"},
        {"<code>retraites OR grève</code>", "l’un ou l’autre (OR en majuscules)"},
        {"<code>(retraites OR grève) Paris</code>", "des parenthèses pour grouper"},
        {"<code>titre:vélo</code>, <code>auteur:martin</code>, <code>rubrique:culture</code>, "
         "<code>motcle:climat</code>",
         "un mot, une \"expression\" ou un (groupe) dans le titre, les auteurs, la rubrique ou "
         "les mots-clés"},
        {"<code>date:2024</code>, <code>date:2024-03</code>, <code>date:2024-01..2024-06</code>",
         "publié pendant cette période"},
        {"<code>depuis:2024-01-01</code>, <code>avant:2024-06</code>",
         "publié depuis, ou avant, une date"},
        {"<code>intellig*</code>", "les mots qui commencent ainsi"},
    };
    render_buf_puts(b,
                    "<details class=\"help\" id=\"aide\"><summary>Syntaxe de recherche</summary>\n"
                    "<table>\n<thead><tr><th scope=\"col\">Vous tapez</th>"
                    "<th scope=\"col\">Vous trouvez</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        render_buf_printf(b, "<tr><td>%s</td><td>%s</td></tr>\n", rows[i][0], rows[i][1]);
    render_buf_puts(b, "</tbody>\n</table>\n<p>Les accents sont facultatifs : "
                       "<code>ecole</code> trouve <em>école</em>. Les reprises d’un même article "
                       "sont regroupées : le lien « +N reprises » les montre.</p>\n"
                       "</details>\n");
}

int render_is_web_url(const char *url)
{
    return strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0;
}

static void add_sep(render_buf *b)
{
    render_buf_puts(b, "<span class=\"sep\" aria-hidden=\"true\"> · </span>");
}

static void add_hit(render_buf *b, const render_page_params *p, const search_hit *h)
{
    render_buf_puts(b, "<li class=\"hit\"><article>\n<h3 class=\"hit-title\">");
    if (h->url && render_is_web_url(h->url)) {
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
        /* Each part of "societe / culture" links to the search filtered on it. */
        if (sep)
            add_sep(b);
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
            page_link l = search_link(p);
            l.section = part;
            render_buf_puts(b, "<a href=\"");
            add_link(b, &l);
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
            add_sep(b);
        render_buf_puts(b, "<span class=\"hit-author\">");
        render_buf_add_html(b, h->author);
        render_buf_puts(b, "</span>");
    }
    render_buf_puts(b, "</p>\n");
    char *snippet = result_snippet_html(h);
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
    /* Links that work without the script: the copies this hit stands for,
     * and the articles closest to it (both keep the search to come back to). */
    render_buf_puts(b, "<p class=\"hit-links\">");
    if (h->duplicates > 0) {
        char label[64];
        snprintf(label, sizeof label, "+%u reprise%s", h->duplicates, h->duplicates > 1 ? "s" : "");
        page_link l = search_link(p);
        l.duplicates_of = h->id;
        add_anchor(b, &l,
                   "class=\"hit-dups\" title=\"Le même article, republié ailleurs ou à une autre "
                   "date\"",
                   label);
        add_sep(b);
    }
    page_link l = search_link(p);
    l.related = h->id;
    add_anchor(b, &l, "class=\"hit-related\"", "Articles liés");
    render_buf_puts(b, "</p>\n</article></li>\n");
}

/* --- refinements -------------------------------------------------------------------- */

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* The period p is filtered on, when it is one calendar year or one month:
 * *year (0 when since and until are not both days of one year) and *month
 * (1-12 when exactly one whole month, else 0); whole_year is 1 when since
 * and until are exactly the year's first and last days. */
typedef struct period {
    int year, month, whole_year;
} period;

static period period_of(const render_page_params *p)
{
    period out = {0, 0, 0};
    int y1, m1, d1, y2, m2, d2;
    if (strlen(p->since) != 10 || strlen(p->until) != 10 ||
        sscanf(p->since, "%4d-%2d-%2d", &y1, &m1, &d1) != 3 ||
        sscanf(p->until, "%4d-%2d-%2d", &y2, &m2, &d2) != 3 || y1 != y2 || m1 < 1 || m1 > 12 ||
        m2 < 1 || m2 > 12)
        return out;
    out.year = y1;
    out.whole_year = m1 == 1 && d1 == 1 && m2 == 12 && d2 == 31;
    if (m1 == m2 && d1 == 1 && d2 == days_in_month(y2, m2))
        out.month = m1;
    return out;
}

/* One value of a refinement: a link applying it, or the current choice. */
static void add_facet_item(render_buf *b, const page_link *l, const char *label, uint64_t count,
                           int current)
{
    render_buf_puts(b, "<li>");
    if (current) {
        render_buf_puts(b, "<strong aria-current=\"true\">");
        render_buf_add_html(b, label);
        render_buf_puts(b, "</strong>");
    } else {
        add_anchor(b, l, NULL, label);
    }
    if (count > 0) {
        char n[64];
        render_count_fr(count, n, sizeof n);
        render_buf_printf(b, " <span class=\"count\">(%s)</span>", n);
    }
    render_buf_puts(b, "</li>");
}

static void open_facet(render_buf *b, const char *id, const char *name)
{
    render_buf_printf(b,
                      "<div class=\"facet\" id=\"facet-%s\"><span class=\"facet-name\" "
                      "id=\"facet-%s-name\">%s :</span> <ul aria-labelledby=\"facet-%s-name\">",
                      id, id, name, id);
}

static void close_facet(render_buf *b)
{
    render_buf_puts(b, "</ul></div>\n");
}

/* A facet of names (sections, authors): the most frequent `max` values,
 * each a link filtering on it, and a link back to all when one is chosen.
 * `field` points into the link at the filter to set. */
static void add_name_facet(render_buf *b, const render_page_params *p, const search_facet *f,
                           const char *id, const char *name, const char *all_label, size_t max,
                           int is_author)
{
    const char *current = is_author ? p->author : p->section;
    if (f->n_values == 0 && !*current)
        return;
    open_facet(b, id, name);
    page_link l = search_link(p);
    const char **field = is_author ? &l.author : &l.section;
    if (*current) {
        *field = "";
        add_facet_item(b, &l, all_label, 0, 0);
    }
    for (size_t i = 0; i < f->n_values && i < max; i++) {
        const search_facet_value *v = &f->values[i];
        *field = v->value;
        add_facet_item(b, &l, v->value, v->count, strcmp(v->value, current) == 0);
    }
    close_facet(b);
}

/* Years, the most recent first; and when the period is within one year,
 * that year's months in order. */
static void add_date_facets(render_buf *b, const render_page_params *p, const search_result *r)
{
    const search_facet *years = &r->facets[SEARCH_FACET_YEAR];
    const search_facet *months = &r->facets[SEARCH_FACET_MONTH];
    period chosen = period_of(p);
    if (years->n_values > 1 || *p->since || *p->until) {
        /* Years by count come from the library; show the ten most recent. */
        const search_facet_value *shown[10];
        size_t n = 0;
        for (size_t i = 0; i < years->n_values; i++) {
            const search_facet_value *v = &years->values[i];
            if (strlen(v->value) != 4)
                continue;
            size_t k = n < 10 ? n++ : 10;
            while (k > 0 && strcmp(shown[k - 1]->value, v->value) < 0) {
                if (k < 10)
                    shown[k] = shown[k - 1];
                k--;
            }
            if (k < 10)
                shown[k] = v;
        }
        open_facet(b, "year", "Années");
        page_link l = search_link(p);
        if (*p->since || *p->until) {
            l.since = l.until = "";
            add_facet_item(b, &l, "toutes", 0, 0);
        }
        for (size_t i = 0; i < n; i++) {
            char since[16], until[16];
            snprintf(since, sizeof since, "%s-01-01", shown[i]->value);
            snprintf(until, sizeof until, "%s-12-31", shown[i]->value);
            l.since = since;
            l.until = until;
            int current = chosen.whole_year && atoi(shown[i]->value) == chosen.year;
            add_facet_item(b, &l, shown[i]->value, shown[i]->count, current);
        }
        close_facet(b);
    }
    /* Every match in one year, no date asked: that year's months refine. */
    if (!chosen.year && !*p->since && !*p->until && years->n_values == 1 &&
        strlen(years->values[0].value) == 4)
        chosen.year = atoi(years->values[0].value);
    if (!chosen.year)
        return;
    /* The months of the chosen year, in calendar order. */
    const search_facet_value *by_month[13] = {0};
    int n_months = 0;
    for (size_t i = 0; i < months->n_values; i++) {
        int y, m;
        if (sscanf(months->values[i].value, "%4d-%2d", &y, &m) == 2 && y == chosen.year && m >= 1 &&
            m <= 12 && !by_month[m]) {
            by_month[m] = &months->values[i];
            n_months++;
        }
    }
    if (n_months == 0 || (n_months == 1 && !chosen.month && !chosen.whole_year && !*p->since))
        return; /* nothing to choose from */
    char name[32];
    snprintf(name, sizeof name, "Mois %04d", chosen.year);
    open_facet(b, "month", name);
    page_link l = search_link(p);
    char since[16], until[16], label[64];
    if (chosen.month) {
        snprintf(since, sizeof since, "%04d-01-01", chosen.year);
        snprintf(until, sizeof until, "%04d-12-31", chosen.year);
        snprintf(label, sizeof label, "toute l’année %04d", chosen.year);
        l.since = since;
        l.until = until;
        add_facet_item(b, &l, label, 0, 0);
    }
    for (int m = 1; m <= 12; m++) {
        if (!by_month[m])
            continue;
        snprintf(since, sizeof since, "%04d-%02d-01", chosen.year, m);
        snprintf(until, sizeof until, "%04d-%02d-%02d", chosen.year, m,
                 days_in_month(chosen.year, m));
        l.since = since;
        l.until = until;
        add_facet_item(b, &l, months_fr[m - 1], by_month[m]->count, chosen.month == m);
    }
    close_facet(b);
}

/* The refinements: sections, top authors, years (and months within a
 * chosen year) of every match with their exact counts, as links that
 * filter on them. */
static void add_facets(render_buf *b, const render_page_params *p, const search_result *r)
{
    render_buf_puts(b, "<nav class=\"facets\" aria-label=\"Affiner la recherche\">\n");
    add_name_facet(b, p, &r->facets[SEARCH_FACET_SECTION], "section", "Rubriques", "toutes", 8, 0);
    add_name_facet(b, p, &r->facets[SEARCH_FACET_AUTHOR], "author", "Auteurs", "tous", 8, 1);
    add_date_facets(b, p, r);
    render_buf_puts(b, "</nav>\n");
}

/* The filters in force, each with a link removing it. */
static void add_active_filters(render_buf *b, const render_page_params *p)
{
    if (!*p->section && !*p->author && !*p->since && !*p->until && !p->all)
        return;
    render_buf_puts(b, "<ul class=\"active-filters\" aria-label=\"Filtres appliqués\">");
    for (int i = 0; i < 4; i++) {
        page_link l = search_link(p);
        char label[200] = "";
        const char *what = NULL, *value = NULL;
        if (i == 0 && *p->section) {
            what = "Rubrique", value = p->section, l.section = "";
        } else if (i == 1 && *p->author) {
            what = "Auteur", value = p->author, l.author = "";
        } else if (i == 2 && (*p->since || *p->until)) {
            period pd = period_of(p);
            char d1[64], d2[64];
            render_date_fr(p->since, d1, sizeof d1);
            render_date_fr(p->until, d2, sizeof d2);
            if (pd.month)
                snprintf(label, sizeof label, "%s %04d", months_fr[pd.month - 1], pd.year);
            else if (pd.whole_year)
                snprintf(label, sizeof label, "%04d", pd.year);
            else if (*p->since && *p->until)
                snprintf(label, sizeof label, "du %s au %s", d1, d2);
            else if (*p->since)
                snprintf(label, sizeof label, "depuis le %s", d1);
            else
                snprintf(label, sizeof label, "jusqu’au %s", d2);
            what = "Période", value = label, l.since = l.until = "";
        } else if (i == 3 && p->all) {
            what = "Reprises", value = "toutes montrées", l.all = 0;
        }
        if (!what)
            continue;
        render_buf_printf(b, "<li class=\"active-filter\">%s : <strong>", what);
        render_buf_add_html(b, value);
        render_buf_puts(b, "</strong> ");
        render_buf_puts(b, "<a class=\"remove-filter\" href=\"");
        add_link(b, &l);
        render_buf_printf(b,
                          "\" title=\"Retirer ce filtre\" aria-label=\"Retirer le filtre %s\">"
                          "×</a></li>",
                          what);
    }
    render_buf_puts(b, "</ul>\n");
}

/* The sort orders as links, so they change without the form or a script. */
static void add_sort_links(render_buf *b, const render_page_params *p)
{
    render_buf_puts(b, "<p class=\"sort\"><span class=\"facet-name\">Trier :</span> ");
    for (size_t i = 0; i < 3; i++) {
        if (i > 0)
            add_sep(b);
        if (strcmp(p->sort, sort_values[i]) == 0) {
            render_buf_printf(b, "<strong aria-current=\"true\">%s</strong>", sort_labels[i]);
        } else {
            page_link l = search_link(p);
            l.sort = sort_values[i];
            render_buf_printf(b, "<a data-sort=\"%s\" href=\"", sort_values[i]);
            add_link(b, &l);
            render_buf_printf(b, "\">%s</a>", sort_labels[i]);
        }
    }
    render_buf_puts(b, "</p>\n");
}

/* "« title »", or "de cet article" when the headline is unknown. */
static void add_subject(render_buf *b, const render_page_params *p)
{
    if (*p->subject_title) {
        render_buf_puts(b, "« ");
        render_buf_add_html(b, p->subject_title);
        render_buf_puts(b, " »");
    } else {
        render_buf_puts(b, "cet article");
    }
}

/* A link back to the search a list of copies or related articles came from. */
static void add_back_link(render_buf *b, const render_page_params *p)
{
    if (!*p->query && !*p->section && !*p->author && !*p->since && !*p->until)
        return;
    page_link l = search_link(p);
    render_buf_puts(b, "<p class=\"back\"><a href=\"");
    add_link(b, &l);
    render_buf_puts(b, "\">← Retour à la recherche");
    if (*p->query) {
        render_buf_puts(b, " « ");
        render_buf_add_html(b, p->query);
        render_buf_puts(b, " »");
    }
    render_buf_puts(b, "</a></p>\n");
}

static void add_hit_list(render_buf *b, const render_page_params *p, const search_result *r)
{
    render_buf_printf(b, "<ol class=\"hits\" start=\"%u\">\n", r->offset + 1);
    for (size_t i = 0; i < r->n_hits; i++)
        add_hit(b, p, &r->hits[i]);
    render_buf_puts(b, "</ol>\n");
}

static void add_pager(render_buf *b, const render_page_params *p, const search_result *r)
{
    /* As far as the results go, and never past SEARCH_MAX_OFFSET. */
    uint64_t pages = (r->total + p->per_page - 1) / p->per_page;
    uint64_t max_pages = SEARCH_MAX_OFFSET / p->per_page + 1;
    if (pages > max_pages)
        pages = max_pages;
    if (pages <= 1)
        return;
    render_buf_puts(b, "<nav class=\"pager\" aria-label=\"Pages de résultats\">");
    if (p->page > 1) {
        page_link l = link_from(p, p->page - 1);
        add_anchor(b, &l, "rel=\"prev\"", "← Précédente");
    }
    char n_pages[64];
    render_count_fr(pages, n_pages, sizeof n_pages);
    render_buf_printf(b, "<span class=\"pager-pos\" aria-current=\"page\">Page %u sur %s</span>",
                      p->page, n_pages);
    if (p->page < pages) {
        page_link l = link_from(p, p->page + 1);
        add_anchor(b, &l, "rel=\"next\"", "Suivante →");
    }
    render_buf_puts(b, "</nav>\n");
}

/* Said when shards of the archive did not answer: their articles are
 * missing from the results shown. */
static void add_missing_shards(render_buf *b, const search_result *r)
{
    if (r->shards_failed == 0)
        return;
    render_buf_printf(b,
                      "<p class=\"notice shards-missing\" role=\"status\">Des résultats manquent : "
                      "%u partie%s de l’archive sur %u ne répond%s pas pour le moment. "
                      "Réessayez dans un instant.</p>\n",
                      r->shards_failed, r->shards_failed > 1 ? "s" : "", r->shards_total,
                      r->shards_failed > 1 ? "ent" : "");
}

/* The articles related to one (?related=). */
static void add_related(render_buf *b, const render_page_params *p, const search_result *r)
{
    render_buf_puts(b, "<section class=\"results\" aria-labelledby=\"results-title\">\n"
                       "<h2 id=\"results-title\" class=\"summary\">Articles liés à ");
    add_subject(b, p);
    render_buf_puts(b, "</h2>\n");
    add_back_link(b, p);
    add_missing_shards(b, r);
    if (r->n_hits == 0)
        render_buf_puts(b, "<p class=\"notice\">Aucun article proche n’a été trouvé.</p>\n");
    else
        add_hit_list(b, p, r);
    render_buf_puts(b, "</section>\n");
}

/* The date phrase of the query as the filter understood, and the same
 * search with its words in quotes (searched as words, not as dates). */
static void add_understood_dates(render_buf *b, const render_page_params *p, const search_result *r)
{
    const search_dates *d = &r->understood_dates;
    render_buf_puts(b, "<p class=\"understood-dates\">Articles publiés <strong>");
    render_buf_add_html(b, d->label);
    render_buf_puts(b, "</strong> (« ");
    render_buf_add_html(b, d->words);
    render_buf_puts(b, " »)");
    const char *at = *d->words ? strstr(p->query, d->words) : NULL;
    char *quoted = at ? malloc(strlen(p->query) + 3) : NULL;
    if (quoted) {
        size_t before = (size_t)(at - p->query), n = strlen(d->words);
        sprintf(quoted, "%.*s\"%s\"%s", (int)before, p->query, d->words, at + n);
        page_link l = search_link(p);
        l.query = quoted;
        render_buf_puts(b, " · ");
        add_anchor(b, &l, "class=\"as-words\"", "chercher ces mots plutôt");
        free(quoted);
    }
    render_buf_puts(b, "</p>\n");
}

static void add_results(render_buf *b, const render_page_params *p, const search_result *r)
{
    char count[64];
    render_count_fr(r->total, count, sizeof count);
    render_buf_puts(b, "<section class=\"results\" aria-labelledby=\"results-title\">\n"
                       "<h2 id=\"results-title\" class=\"summary\">");
    if (*p->duplicates_of) {
        /* The copies of one article: it and its republications. */
        render_buf_puts(b, "Reprises de ");
        add_subject(b, p);
        render_buf_printf(b, " : %s article%s</h2>\n", count, r->total > 1 ? "s" : "");
        add_back_link(b, p);
    } else {
        if (r->total == 0) {
            render_buf_puts(b, "Aucun résultat");
        } else if (!r->total_exact) {
            /* Only the lower bound is sure (search.h). */
            char lower[64];
            render_count_fr(r->total_lower, lower, sizeof lower);
            render_buf_printf(b, "plus de %s résultat%s", lower, r->total_lower > 1 ? "s" : "");
        } else {
            render_buf_printf(b, "%s résultat%s", count, r->total > 1 ? "s" : "");
        }
        render_buf_puts(b, " pour « ");
        render_buf_add_html(b, p->query);
        render_buf_puts(b, " »</h2>\n");
    }
    if (r->suggestion && *r->suggestion && !*p->duplicates_of) {
        page_link l = search_link(p);
        l.query = r->suggestion;
        render_buf_puts(b, "<p class=\"didyoumean\">Vouliez-vous dire ");
        add_anchor(b, &l, NULL, r->suggestion);
        render_buf_puts(b, " ?</p>\n");
    }
    if (r->has_dates && !*p->duplicates_of)
        add_understood_dates(b, p, r);
    /* A journalist follows the search in a feed reader, without an account. */
    render_buf_puts(b, "<p class=\"feed\"><a class=\"feed-link\" type=\"application/atom+xml\" "
                       "href=\"");
    add_feed_url(b, p);
    render_buf_puts(b, "\">Suivre cette recherche : flux Atom des nouveaux articles</a></p>\n");
    if (!*p->duplicates_of) {
        add_active_filters(b, p);
        if (r->total > 1)
            add_sort_links(b, p);
        if (r->has_facets && r->total > 0)
            add_facets(b, p, r);
    }
    if (r->partial && r->n_hits > 0)
        render_buf_puts(b, "<p class=\"notice partial\">Aucun article ne contient tous les mots : "
                           "résultats approchants.</p>\n");
    if (r->timed_out)
        render_buf_puts(b, "<p class=\"notice timed-out\">Cette recherche a été arrêtée au bout du "
                           "temps permis : les résultats ne portent que sur une partie des "
                           "articles. Précisez-la (des mots moins courants, un filtre) pour des "
                           "résultats complets.</p>\n");
    add_missing_shards(b, r);
    if (r->n_hits > 0)
        add_hit_list(b, p, r);
    else if (r->total == 0 && !r->timed_out)
        render_buf_puts(b, "<p class=\"notice\">Vérifiez l’orthographe, essayez moins de mots "
                           "ou retirez des filtres.</p>\n");
    else if (!r->timed_out)
        render_buf_puts(b,
                        "<p class=\"notice\">Cette page est au-delà des derniers résultats.</p>\n");
    add_pager(b, p, r);
    render_buf_puts(b, "</section>\n");
}

/* The JSON of what the page shows, for the colophon's link: the API
 * counts in offset and limit where the page counts in pages. */
static void add_api_link(render_buf *b, const render_page_params *p)
{
    render_buf url = RENDER_BUF_INIT;
    if (*p->related) {
        render_buf_puts(&url, "/api/related/");
        render_buf_add_url(&url, p->related);
    } else {
        page_link l = link_from(p, 1);
        put_url(&url, "/api/search", &l);
        if (p->page > 1)
            render_buf_printf(&url, "&offset=%u", (p->page - 1) * p->per_page);
    }
    add_escaped_url(b, &url);
}

char *render_page(const render_page_params *params, const search_result *r, const char *error,
                  size_t *len)
{
    /* Absent strings read as "", so callers may leave new fields out. */
    render_page_params np = *params;
    const char **strings[] = {&np.query,         &np.section, &np.since,
                              &np.until,         &np.sort,    &np.author,
                              &np.duplicates_of, &np.related, &np.subject_title};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (!*strings[i])
            *strings[i] = "";
    if (!*np.sort)
        np.sort = "relevance";
    const render_page_params *p = &np;
    render_buf b = RENDER_BUF_INIT;
    render_buf_puts(
        &b, "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    if (*p->related) {
        render_buf_puts(&b, "Articles liés — ");
    } else if (*p->query) {
        render_buf_add_html(&b, p->query);
        render_buf_puts(&b, " — ");
    }
    render_buf_puts(&b, "Kiosque, recherche dans les archives</title>\n"
                        "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n"
                        "<link rel=\"stylesheet\" href=\"/static/kiosque.css\">\n"
                        "<link rel=\"search\" type=\"application/opensearchdescription+xml\" "
                        "title=\"Kiosque\" href=\"/opensearch.xml\">\n");
    int feed = !error && !*p->related;
    if (feed) {
        /* Feed readers and browsers find the feed of the search here. */
        render_buf_puts(&b, "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"");
        if (*p->query) {
            render_buf_puts(&b, "« ");
            render_buf_add_html(&b, p->query);
            render_buf_puts(&b, " » — ");
        }
        render_buf_puts(&b, "Kiosque (Atom)\" href=\"");
        add_feed_url(&b, p);
        render_buf_puts(&b, "\">\n");
    }
    render_buf_puts(&b,
                    "<script src=\"/static/kiosque.js\" defer></script>\n</head>\n<body>\n"
                    "<a class=\"skip\" href=\"#main\">Aller au contenu</a>\n"
                    "<header class=\"masthead\"><h1><a href=\"/\">Kiosque</a></h1>"
                    "<p class=\"tagline\">Recherche dans les archives d’actualité</p></header>\n"
                    "<main id=\"main\">\n");
    add_form(&b, p, r && !error);
    add_help(&b);
    if (error) {
        /* A message may quote what the reader sent, cut at a byte count. */
        char *valid = utf8_repaired(error);
        render_buf_puts(&b, "<p class=\"error\" role=\"alert\">");
        render_buf_add_html(&b, valid ? valid : "Requête invalide.");
        render_buf_puts(&b, "</p>\n");
        free(valid);
    } else if (r && *p->related) {
        add_related(&b, p, r);
    } else if (r) {
        add_results(&b, p, r);
    }
    render_buf_puts(&b, "</main>\n<footer class=\"colophon\"><p>Kiosque · <a href=\"");
    add_api_link(&b, p);
    render_buf_puts(&b, "\">cette page en JSON</a>");
    if (feed) {
        render_buf_puts(&b, " · <a class=\"feed-link\" type=\"application/atom+xml\" href=\"");
        add_feed_url(&b, p);
        render_buf_puts(&b, *p->query || *p->section || *p->author || *p->since || *p->until
                                ? "\">suivre cette recherche (flux Atom)</a>"
                                : "\">les derniers articles (flux Atom)</a>");
    }
    render_buf_puts(&b, " · <a href=\"#aide\">syntaxe de recherche</a></p></footer>\n</body>\n"
                        "</html>\n");
    return render_buf_release(&b, len);
}
