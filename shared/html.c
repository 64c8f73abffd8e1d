/* html: reads a published news page (HTML) into an article, with a real HTML parser (gumbo). */
#include "html.h"
#include "render_buf.h"
#include "charset.h"
#include "extract.h"
#include "utf8.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gumbo.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The text a growable buffer holds, handed over ("" when empty), or NULL
 * when memory ran out. */
static char *take(render_buf *b)
{
    render_buf_add(b, "", 0);
    return render_buf_release(b, NULL);
}

/* --- the tree ---------------------------------------------------------------- */

static bool is_html_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* --- what the head says ------------------------------------------------------- */

typedef struct meta {
    char *key; /* property or name, lower-cased; "itemprop:" + itemprop for microdata,
                  "time:datetime" for a <time datetime>, "content-language" for http-equiv */
    const char *value;
    char *owned; /* value when it was made from the page's text (microdata), else NULL */
} meta;

typedef struct page {
    meta *metas;
    size_t n_metas, cap_metas;
    const char *canonical;
    const char *lang;
    const GumboNode *title;
    const GumboNode *h1;
    json_t *ld;        /* every parsed JSON-LD value, an array */
    bool article_item; /* a microdata item of an article type */
    bool failed;
} page;

static void add_meta(page *p, const char *prefix, const char *key, const char *value)
{
    if (!key || !value || p->failed)
        return;
    if (p->n_metas == p->cap_metas) {
        size_t c = p->cap_metas ? p->cap_metas * 2 : 32;
        meta *m = realloc(p->metas, c * sizeof *m);
        if (!m) {
            p->failed = true;
            return;
        }
        p->metas = m;
        p->cap_metas = c;
    }
    size_t n = strlen(prefix) + strlen(key) + 1;
    char *k = malloc(n);
    if (!k) {
        p->failed = true;
        return;
    }
    snprintf(k, n, "%s%s", prefix, key);
    for (char *c = k; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    p->metas[p->n_metas++] = (meta){k, value, NULL};
}

/* add_meta with a value the page takes over (freed with the page). */
static void add_meta_owned(page *p, const char *prefix, const char *key, char *value)
{
    size_t n = p->n_metas;
    add_meta(p, prefix, key, value);
    if (p->n_metas > n)
        p->metas[n].owned = value;
    else
        free(value);
}

/* The i-th non-blank value of meta `key` (0 for the first), or NULL. */
static const char *meta_nth(const page *p, const char *key, size_t nth)
{
    for (size_t i = 0; i < p->n_metas; i++) {
        if (strcmp(p->metas[i].key, key) != 0)
            continue;
        const char *v = p->metas[i].value;
        while (is_html_space(*v))
            v++;
        if (!*v)
            continue;
        if (nth-- == 0)
            return p->metas[i].value;
    }
    return NULL;
}

/* The first non-blank value of the first of keys[] that has one. */
static const char *meta_first(const page *p, const char *const *keys)
{
    for (; *keys; keys++) {
        const char *v = meta_nth(p, *keys, 0);
        if (v)
            return v;
    }
    return NULL;
}

/* Turns the text of a JSON-LD script into something jansson reads: comment
 * and CDATA wrappers and a trailing ';' removed, raw control characters
 * (line breaks inside strings, which sites often leave) made spaces. */
static char *clean_ld(const char *s)
{
    size_t len = strlen(s);
    while (len && is_html_space(*s))
        s++, len--;
    static const char *const openers[] = {"<!--", "//<![CDATA[", "<![CDATA["};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(openers[i]);
        if (len >= n && memcmp(s, openers[i], n) == 0) {
            s += n, len -= n;
            break;
        }
    }
    while (len && (is_html_space(s[len - 1]) || s[len - 1] == ';'))
        len--;
    static const char *const closers[] = {"-->", "//]]>", "]]>"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(closers[i]);
        if (len >= n && memcmp(s + len - n, closers[i], n) == 0) {
            len -= n;
            break;
        }
    }
    while (len && (is_html_space(s[len - 1]) || s[len - 1] == ';'))
        len--;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
    out[len] = '\0';
    return out;
}

static void read_ld_script(const GumboNode *n, page *p)
{
    render_buf b = RENDER_BUF_INIT;
    const GumboVector *kids = &n->v.element.children;
    for (unsigned i = 0; i < kids->length; i++) {
        const GumboNode *k = kids->data[i];
        if (k->type == GUMBO_NODE_TEXT || k->type == GUMBO_NODE_CDATA ||
            k->type == GUMBO_NODE_WHITESPACE)
            render_buf_add(&b, k->v.text.text, strlen(k->v.text.text));
    }
    char *raw = take(&b);
    char *text = raw ? clean_ld(raw) : NULL;
    free(raw);
    if (!text) {
        p->failed = true;
        return;
    }
    /* A script that is not JSON is ignored: the meta tags stand in for it. */
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    free(text);
    if (v && json_array_append_new(p->ld, v) != 0)
        p->failed = true;
}

/* The microdata properties of an article read from the page's items. */
static bool is_article_itemprop(const char *ip)
{
    static const char *const props[] = {"headline",       "description",   "author",
                                        "creator",        "datePublished", "dateModified",
                                        "articleSection", "keywords",      "inLanguage"};
    for (size_t i = 0; i < sizeof props / sizeof *props; i++)
        if (strcasecmp(ip, props[i]) == 0)
            return true;
    return false;
}

/* The first element below n (n included) whose itemprop holds `prop`. */
static const GumboNode *find_itemprop(const GumboNode *n, const char *prop, int depth)
{
    if (n->type != GUMBO_NODE_ELEMENT || depth > 8)
        return NULL;
    const char *ip = extract_attr(n, "itemprop");
    if (ip && extract_has_token(ip, prop))
        return n;
    const GumboVector *kids = &n->v.element.children;
    for (unsigned i = 0; i < kids->length; i++) {
        const GumboNode *f = find_itemprop(kids->data[i], prop, depth + 1);
        if (f)
            return f;
    }
    return NULL;
}

/* The first element below n (n included) with one of two classes. */
static const GumboNode *find_class(const GumboNode *n, const char *a, const char *b, int depth)
{
    if (n->type != GUMBO_NODE_ELEMENT || depth > 6)
        return NULL;
    const char *cls = extract_attr(n, "class");
    if (cls && (extract_has_token(cls, a) || extract_has_token(cls, b)))
        return n;
    const GumboVector *kids = &n->v.element.children;
    for (unsigned i = 0; i < kids->length; i++) {
        const GumboNode *f = find_class(kids->data[i], a, b, depth + 1);
        if (f)
            return f;
    }
    return NULL;
}

/* Records the text of n (on one line) as meta prefix + key. */
static void read_text_meta(const GumboNode *n, const char *prefix, const char *key, page *p)
{
    char *t = extract_node_text(n);
    if (!t) {
        p->failed = true;
        return;
    }
    for (char *c = t; *c; c++)
        if (*c == '\n')
            *c = ' ';
    add_meta_owned(p, prefix, key, t);
}

/* Records a microdata property of the article: its content, datetime or
 * href attribute, else its text (for an author item, its name's text). */
static void read_itemprop(const GumboNode *n, const char *ip, page *p)
{
    const char *v = extract_attr(n, "content");
    if (!v)
        v = extract_attr(n, "datetime");
    if (v) {
        add_meta(p, "itemprop:", ip, v);
        return;
    }
    const GumboNode *of = n;
    if (extract_attr(n, "itemscope")) {
        of = find_itemprop(n, "name", 0);
        if (!of || of == n)
            return;
        const char *c = extract_attr(of, "content");
        if (c) {
            add_meta(p, "itemprop:", ip, c);
            return;
        }
    }
    read_text_meta(of, "itemprop:", ip, p);
}

static int type_rank_one(const char *t);

/* Gathers what the page says about itself.  `item` is 0 outside microdata
 * items, 1 inside an article item (itemtype *Article, BlogPosting...), 2
 * inside any other item (a Person, an Organization), whose properties are
 * not the article's.  Elements nested deeper than SCAN_MAX_DEPTH are not
 * looked at (metadata sits near the top; the recursion stays bounded). */
#define SCAN_MAX_DEPTH 2000
static void scan_page(const GumboNode *n, page *p, int item, unsigned depth)
{
    if (n->type != GUMBO_NODE_ELEMENT || depth > SCAN_MAX_DEPTH)
        return;
    GumboTag tag = n->v.element.tag;
    const char *ip = extract_attr(n, "itemprop");
    switch (tag) {
    case GUMBO_TAG_HTML:
        p->lang = extract_attr(n, "lang");
        if (!p->lang)
            p->lang = extract_attr(n, "xml:lang");
        break;
    case GUMBO_TAG_META: {
        const char *content = extract_attr(n, "content");
        add_meta(p, "", extract_attr(n, "property"), content);
        add_meta(p, "", extract_attr(n, "name"), content);
        const char *equiv = extract_attr(n, "http-equiv");
        if (equiv && strcasecmp(equiv, "content-language") == 0)
            add_meta(p, "", "content-language", content);
        if (ip && item != 2)
            add_meta(p, "itemprop:", ip, content);
        return;
    }
    case GUMBO_TAG_LINK: {
        const char *rel = extract_attr(n, "rel");
        if (!p->canonical && rel && extract_has_token(rel, "canonical"))
            p->canonical = extract_attr(n, "href");
        return;
    }
    case GUMBO_TAG_TIME: {
        const char *dt = extract_attr(n, "datetime");
        if (dt && extract_attr(n, "pubdate"))
            add_meta(p, "", "time:pubdate", dt);
        add_meta(p, "", "time:datetime", dt);
        break;
    }
    case GUMBO_TAG_TITLE:
        if (!p->title)
            p->title = n;
        return;
    case GUMBO_TAG_H1:
        if (!p->h1)
            p->h1 = n;
        break;
    case GUMBO_TAG_SCRIPT: {
        const char *type = extract_attr(n, "type");
        if (type && strncasecmp(type, "application/ld+json", 19) == 0)
            read_ld_script(n, p);
        return;
    }
    default:
        break;
    }
    const char *rel = extract_attr(n, "rel"), *cls = extract_attr(n, "class");
    if (tag == GUMBO_TAG_A && rel && extract_has_token(rel, "author"))
        read_text_meta(n, "", "rel:author", p);
    else if (cls && (extract_has_token(cls, "vcard") || extract_has_token(cls, "h-card")) &&
             extract_has_token(cls, "author"))
        read_text_meta(find_class(n, "fn", "p-name", 0) ? find_class(n, "fn", "p-name", 0) : n, "",
                       "hcard:author", p);
    if (ip && item != 2 && is_article_itemprop(ip)) {
        read_itemprop(n, ip, p);
        if (!extract_attr(n, "itemscope"))
            return;
    }
    if (extract_attr(n, "itemscope")) {
        const char *type = extract_attr(n, "itemtype");
        char one[128];
        snprintf(one, sizeof one, "%s", type ? type : "");
        char *space = strchr(one, ' ');
        if (space)
            *space = '\0';
        item = item == 0 && *one && type_rank_one(one) > 0 ? 1 : 2;
        p->article_item = p->article_item || item == 1;
    }
    const GumboVector *kids = &n->v.element.children;
    for (unsigned i = 0; i < kids->length; i++)
        scan_page(kids->data[i], p, item, depth + 1);
}

/* --- the JSON-LD article --------------------------------------------------------- */

/* 2 for a *NewsArticle type, 1 for another article type, 0 otherwise. */
static int type_rank_one(const char *t)
{
    const char *slash = strrchr(t, '/');
    if (slash)
        t = slash + 1;
    const char *colon = strrchr(t, ':');
    if (colon)
        t = colon + 1;
    size_t n = strlen(t);
    if (n >= 11 && strcmp(t + n - 11, "NewsArticle") == 0)
        return 2;
    if ((n >= 7 && strcmp(t + n - 7, "Article") == 0) || strcmp(t, "BlogPosting") == 0 ||
        strcmp(t, "LiveBlogPosting") == 0 || strcmp(t, "Report") == 0)
        return 1;
    return 0;
}

static int type_rank(json_t *obj)
{
    json_t *t = json_object_get(obj, "@type");
    int best = 0;
    if (json_is_string(t))
        return type_rank_one(json_string_value(t));
    if (json_is_array(t)) {
        size_t i;
        json_t *e;
        json_array_foreach(t, i, e)
        {
            if (json_is_string(e)) {
                int r = type_rank_one(json_string_value(e));
                best = r > best ? r : best;
            }
        }
    }
    return best;
}

/* Looks for the best-ranked article in v (objects, arrays, @graph and
 * mainEntity, a few levels deep), and gathers every node with an @id. */
static void find_ld_article(json_t *v, int depth, json_t **best, int *best_rank, json_t *nodes)
{
    if (depth > 4 || !v)
        return;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) find_ld_article(e, depth + 1, best, best_rank, nodes);
        return;
    }
    if (!json_is_object(v))
        return;
    if (json_is_string(json_object_get(v, "@id")))
        json_array_append(nodes, v);
    int r = type_rank(v);
    if (r > *best_rank) {
        *best = v;
        *best_rank = r;
    }
    find_ld_article(json_object_get(v, "@graph"), depth + 1, best, best_rank, nodes);
    find_ld_article(json_object_get(v, "mainEntity"), depth + 1, best, best_rank, nodes);
}

/* Replaces a bare {"@id": ...} reference by the name of the node it points to. */
static void resolve_ref(json_t *parent, size_t index, const char *key, json_t *ref, json_t *nodes)
{
    if (!json_is_object(ref) || json_object_get(ref, "name"))
        return;
    json_t *id = json_object_get(ref, "@id");
    if (!json_is_string(id))
        return;
    size_t i;
    json_t *node;
    json_array_foreach(nodes, i, node)
    {
        json_t *nid = json_object_get(node, "@id");
        json_t *name = json_object_get(node, "name");
        if (node != ref && json_is_string(nid) && json_is_string(name) &&
            strcmp(json_string_value(nid), json_string_value(id)) == 0) {
            if (key)
                json_object_set(parent, key, name);
            else
                json_array_set(parent, index, name);
            return;
        }
    }
}

static void resolve_people(json_t *art, json_t *nodes)
{
    static const char *const keys[] = {"author", "creator"};
    for (int k = 0; k < 2; k++) {
        json_t *v = json_object_get(art, keys[k]);
        if (json_is_array(v)) {
            for (size_t i = 0; i < json_array_size(v); i++)
                resolve_ref(v, i, NULL, json_array_get(v, i), nodes);
        } else if (json_is_object(v)) {
            resolve_ref(art, 0, keys[k], v, nodes);
        }
    }
}

/* --- the article ----------------------------------------------------------------- */

/* Whether a JSON value carries text: a non-blank string, a number, an
 * object with a non-blank value under one of the keys, or an array whose
 * first element does. */
static bool has_text(json_t *v, const char *k1, const char *k2)
{
    if (!v)
        return false;
    if (json_is_number(v))
        return true;
    if (json_is_string(v)) {
        for (const char *s = json_string_value(v); *s; s++)
            if (!is_html_space(*s))
                return true;
        return false;
    }
    if (json_is_object(v))
        return (k1 && has_text(json_object_get(v, k1), NULL, NULL)) ||
               (k2 && has_text(json_object_get(v, k2), NULL, NULL));
    if (json_is_array(v))
        return has_text(json_array_get(v, 0), k1, k2);
    return false;
}

static bool prop_has_text(json_t *o, const char *name, const char *alias)
{
    return has_text(json_object_get(o, name), "name", "value") ||
           (alias && has_text(json_object_get(o, alias), "name", "value"));
}

/* Text that article.c will clean of markup is escaped, so that text taken
 * from the DOM (already decoded) comes back exactly: '&' and '<' only. */
static json_t *escaped(const char *s)
{
    render_buf b = RENDER_BUF_INIT;
    for (; *s; s++) {
        if (*s == '&')
            render_buf_add(&b, "&amp;", 5);
        else if (*s == '<')
            render_buf_add(&b, "&lt;", 4);
        else
            render_buf_add(&b, s, 1);
    }
    char *p = take(&b);
    json_t *v = p ? json_string(p) : NULL;
    free(p);
    return v;
}

/* Sets o[key] to v (taking it) unless v is NULL; records a failure. */
static void put(json_t *o, const char *key, json_t *v, bool *failed)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        *failed = true;
}

/* All non-blank values of meta `key` as a JSON array (URLs left out when
 * no_urls), or NULL when there is none. */
static json_t *meta_all(const page *p, const char *key, bool no_urls)
{
    json_t *a = NULL;
    const char *v;
    for (size_t i = 0; (v = meta_nth(p, key, i)); i++) {
        if (no_urls && (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0))
            continue;
        if (!a && !(a = json_array()))
            return NULL;
        json_array_append_new(a, json_string(v));
    }
    return a;
}

/* Separators between a headline and a site name in a title. */
static const char *const title_seps[] = {" - ",        " | ",  " \xE2\x80\x93 ", " \xE2\x80\x94 ",
                                         " \xC2\xB7 ", " :: ", " \xC2\xBB ",     " / ",
                                         " : "};

static size_t count_words(const char *s, size_t n)
{
    size_t w = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        bool sp = is_html_space(s[i]);
        w += !sp && !in;
        in = !sp;
    }
    return w;
}

/* Cuts a site's name off a title, in place (see html.h): a known site name
 * after (or before) a separator; else the part before the last separator
 * when it is the page's <h1>; else a short last part (at most 4 words and
 * a third of the title, after at least 3 words) after " - ", " | ", " – ",
 * " — ", " · ", " :: " or " » ". */
static void cut_site_name(char *t, const char *const *sites, size_t n_sites, const char *h1)
{
    size_t n = strlen(t);
    for (size_t i = 0; i < n_sites; i++) {
        size_t m = sites[i] ? strlen(sites[i]) : 0;
        if (m == 0 || m + 3 >= n)
            continue;
        for (size_t k = 0; k < sizeof title_seps / sizeof *title_seps; k++) {
            size_t l = strlen(title_seps[k]);
            if (n > m + l && strcasecmp(t + n - m, sites[i]) == 0 &&
                memcmp(t + n - m - l, title_seps[k], l) == 0) {
                t[n - m - l] = '\0';
                return;
            }
            if (n > m + l && strncasecmp(t, sites[i], m) == 0 &&
                memcmp(t + m, title_seps[k], l) == 0) {
                memmove(t, t + m + l, n - m - l + 1);
                return;
            }
        }
    }
    /* The last separator, of those that do not belong to a headline (" : "
     * and " / " do). */
    const char *last = NULL;
    size_t last_len = 0;
    for (size_t k = 0; k + 2 < sizeof title_seps / sizeof *title_seps; k++) {
        size_t l = strlen(title_seps[k]);
        for (const char *f = strstr(t, title_seps[k]); f; f = strstr(f + 1, title_seps[k]))
            if (!last || f > last)
                last = f, last_len = l;
    }
    if (!last)
        return;
    size_t head = (size_t)(last - t);
    if (h1 && strlen(h1) == head && strncmp(t, h1, head) == 0) {
        t[head] = '\0';
        return;
    }
    const char *tail = last + last_len;
    size_t tail_len = strlen(tail);
    if (count_words(tail, tail_len) <= 4 && tail_len * 3 <= n && count_words(t, head) >= 3)
        t[head] = '\0';
}

/* The site's names a title may carry: og:site_name, application-name, the
 * JSON-LD article's publisher. */
static size_t site_names(const page *p, json_t *o, const char **out)
{
    size_t n = 0;
    const char *v;
    if ((v = meta_nth(p, "og:site_name", 0)))
        out[n++] = v;
    if ((v = meta_nth(p, "application-name", 0)))
        out[n++] = v;
    json_t *pub = json_object_get(o, "publisher");
    if (json_is_array(pub))
        pub = json_array_get(pub, 0);
    json_t *name = json_is_object(pub) ? json_object_get(pub, "name") : NULL;
    if (json_is_string(name))
        out[n++] = json_string_value(name);
    return n;
}

/* The headline when the JSON-LD has none: microdata, og:title,
 * twitter:title, dc.title, <title>, the first <h1>; a site's name cut off
 * all but microdata and the <h1>.  Returns a copy, or NULL. */
static char *page_headline(const page *p, json_t *o, bool *failed)
{
    const char *sites[3];
    size_t n_sites = site_names(p, o, sites);
    static const char *const keys[] = {"og:title", "twitter:title", "dc.title", "dcterms.title",
                                       NULL};
    const char *micro = meta_nth(p, "itemprop:headline", 0), *v = meta_first(p, keys);
    char *h1 = p->h1 ? extract_node_text(p->h1) : NULL;
    char *t = micro ? strdup(micro) : v ? strdup(v) : p->title ? extract_node_text(p->title) : NULL;
    if ((p->h1 && !h1) || ((micro || v || p->title) && !t)) {
        *failed = true;
        free(h1);
        free(t);
        return NULL;
    }
    if (t && !micro) {
        cut_site_name(t, sites, n_sites, h1);
        /* A separator left at the end ("Titre |", "Titre -"). */
        size_t n = strlen(t);
        while (n > 0 && (is_html_space(t[n - 1]) || t[n - 1] == '|' || t[n - 1] == '-'))
            t[--n] = '\0';
    }
    if (t && !*t) {
        free(t);
        t = NULL;
    }
    if (!t && h1 && *h1) {
        t = h1;
        h1 = NULL;
    }
    free(h1);
    return t;
}

/* Characters of text in a JSON-LD articleBody, markup left out (white
 * space runs count one), as extract.h counts them. */
static size_t ld_chars(const char *s)
{
    size_t n = 0;
    bool tag = false, space = false;
    for (; *s; s++) {
        if (*s == '<')
            tag = true;
        else if (*s == '>' && tag)
            tag = false;
        else if (tag)
            continue;
        else if (is_html_space(*s))
            space = n > 0;
        else if (((unsigned char)*s & 0xC0) != 0x80) {
            n += 1 + space;
            space = false;
        }
    }
    return n;
}

/* Whether a text ends as a teaser does: "…", "...", "[…]", "(...)". */
static bool ends_cut(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (is_html_space(s[n - 1]) || s[n - 1] == ']' || s[n - 1] == ')'))
        n--;
    return (n >= 3 && memcmp(s + n - 3, "...", 3) == 0) ||
           (n >= 3 && memcmp(s + n - 3, "\xE2\x80\xA6", 3) == 0);
}

/* The article's <h1> (extract.h) when the headline taken says something
 * else (the JSON-LD or og:title headline written for search engines and
 * social networks, while the page shows its reader another one), to be
 * indexed as the first line of the body; NULL when the <h1> is the
 * headline (or a part of it, or holds it) or is short (under 4 words). */
static const char *h1_besides_headline(const extract_result *ex, json_t *o)
{
    json_t *hl = json_object_get(o, "headline");
    if (!ex->h1 || !json_is_string(hl))
        return NULL;
    char fh[512], fl[512];
    extract_fold(ex->h1, fh, sizeof fh);
    extract_fold(json_string_value(hl), fl, sizeof fl);
    if (count_words(fh, strlen(fh)) < 4 || strstr(fl, fh) || strstr(fh, fl))
        return NULL;
    return ex->h1;
}

/* The article body: the JSON-LD articleBody when it is complete compared
 * with the page's own main text (at least HTML_LD_BODY_SHARE percent of
 * its characters outside links, and not ending as a teaser does while the
 * page has more), else the page's main text.  Returns whether the JSON-LD
 * articleBody is taken. */
static bool choose_body(json_t *o, const extract_result *ex, char *source, size_t source_size,
                        bool *failed)
{
    const char *key = json_is_string(json_object_get(o, "articleBody")) ? "articleBody" : "body";
    json_t *ld = json_object_get(o, key);
    size_t page_chars = ex->chars - ex->link_chars;
    if (json_is_string(ld) && prop_has_text(o, key, NULL)) {
        size_t n = ld_chars(json_string_value(ld));
        bool cut = ends_cut(json_string_value(ld)) && page_chars > n;
        if (!cut && n * 100 >= page_chars * HTML_LD_BODY_SHARE) {
            if (source)
                snprintf(source, source_size, "JSON-LD articleBody");
            return true;
        }
        json_object_del(o, "body");
        json_object_del(o, "articleBody");
    }
    if (source)
        snprintf(source, source_size, "%s%s", ex->no_article ? "nothing: " : "",
                 ex->no_article ? ex->no_article : ex->source);
    /* article.c cuts the body at ARTICLE_MAX_BODY: what is beyond twice
     * that (a huge page) is not escaped and parsed again for nothing. */
    char empty[1] = "";
    char *text = ex->no_article ? empty : ex->text;
    size_t n = strlen(text);
    char saved = 0;
    if (n > 2 * (size_t)ARTICLE_MAX_BODY) {
        n = 2 * (size_t)ARTICLE_MAX_BODY;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
        saved = text[n];
        text[n] = '\0';
    }
    put(o, "articleBody", escaped(text), failed);
    if (saved)
        text[n] = saved;
    return false;
}

/* Fills the properties the JSON-LD object `o` lacks from the page. */
static void fill_from_page(json_t *o, const page *p, const extract_result *ex,
                           const char *fallback_id, char *source, size_t source_size, bool *failed)
{
    const char *v;
    json_t *list;
    if (!prop_has_text(o, "headline", "title")) {
        json_t *name = json_object_get(o, "name");
        if (has_text(name, NULL, NULL) && json_is_string(name)) {
            put(o, "headline", json_copy(name), failed);
        } else {
            char *t = page_headline(p, o, failed);
            if (t)
                put(o, "headline", escaped(t), failed);
            free(t);
        }
    }
    if (!prop_has_text(o, "description", NULL)) {
        static const char *const keys[] = {"itemprop:description", "og:description",
                                           "description",          "twitter:description",
                                           "dc.description",       "dcterms.description",
                                           "dcterms.abstract",     NULL};
        if ((v = meta_first(p, keys)))
            put(o, "description", escaped(v), failed);
    }
    if (!prop_has_text(o, "url", NULL)) {
        v = p->canonical && *p->canonical ? p->canonical : meta_nth(p, "og:url", 0);
        if (v)
            put(o, "url", json_string(v), failed);
    }
    if (!prop_has_text(o, "datePublished", "date")) {
        static const char *const keys[] = {"article:published_time",
                                           "og:article:published_time",
                                           "itemprop:datepublished",
                                           "dc.date.issued",
                                           "dcterms.issued",
                                           "dcterms.created",
                                           "dc.date.created",
                                           "dc.date",
                                           "dcterms.date",
                                           "date",
                                           "pubdate",
                                           "publishdate",
                                           "time:pubdate",
                                           "time:datetime",
                                           NULL};
        if ((v = meta_first(p, keys)))
            put(o, "datePublished", json_string(v), failed);
    }
    if (!prop_has_text(o, "dateModified", NULL)) {
        static const char *const keys[] = {"article:modified_time", "og:updated_time",
                                           "itemprop:datemodified", "dcterms.modified",
                                           "dc.date.modified",      NULL};
        if ((v = meta_first(p, keys)))
            put(o, "dateModified", json_string(v), failed);
    }
    if (!prop_has_text(o, "articleSection", "section") &&
        ((list = meta_all(p, "article:section", false)) ||
         (list = meta_all(p, "itemprop:articlesection", false))))
        put(o, "articleSection", list, failed);
    if (!prop_has_text(o, "author", "creator")) {
        static const char *const keys[] = {"author",     "dc.creator",   "dcterms.creator",
                                           "rel:author", "hcard:author", NULL};
        if ((list = meta_all(p, "article:author", true)) ||
            (list = meta_all(p, "itemprop:author", true)) ||
            (list = meta_all(p, "itemprop:creator", true)))
            put(o, "author", list, failed);
        else if ((v = meta_first(p, keys)))
            put(o, "author", json_string(v), failed);
    }
    if (!prop_has_text(o, "keywords", NULL)) {
        static const char *const keys[] = {"itemprop:keywords", "news_keywords", "keywords",
                                           "dc.subject", NULL};
        if ((list = meta_all(p, "article:tag", false)))
            put(o, "keywords", list, failed);
        else if ((v = meta_first(p, keys)))
            put(o, "keywords", json_string(v), failed);
    }
    if (!prop_has_text(o, "inLanguage", NULL)) {
        static const char *const keys[] = {"itemprop:inlanguage", "dc.language", "dcterms.language",
                                           "content-language",    "og:locale",   NULL};
        v = p->lang && *p->lang ? p->lang : meta_first(p, keys);
        if (v) {
            char lang[32];
            snprintf(lang, sizeof lang, "%s", v);
            for (char *c = lang; *c; c++)
                if (*c == '_')
                    *c = '-';
            put(o, "inLanguage", json_string(lang), failed);
        }
    }
    /* The JSON-LD body is the export's: it stays as it is, so that the page
     * and the export of the article give the same content hash. */
    bool ld_body = choose_body(o, ex, source, source_size, failed);
    const char *h1 = ld_body ? NULL : h1_besides_headline(ex, o);
    const char *key = json_object_get(o, "articleBody") ? "articleBody" : "body";
    json_t *body = json_object_get(o, key);
    if (h1 && json_is_string(body)) {
        /* Unless the body opens with it already. */
        char fb[512], fh[512];
        extract_fold(json_string_value(body), fb, sizeof fb);
        extract_fold(h1, fh, sizeof fh);
        json_t *e = strncmp(fb, fh, strlen(fh)) == 0 ? NULL : escaped(h1);
        if (e) {
            render_buf b = RENDER_BUF_INIT;
            render_buf_add(&b, json_string_value(e), strlen(json_string_value(e)));
            render_buf_add(&b, "\n", 1);
            render_buf_add(&b, json_string_value(body), strlen(json_string_value(body)));
            char *joined = take(&b);
            put(o, key, joined ? json_string(joined) : NULL, failed);
            free(joined);
            json_decref(e);
        }
    }
    if (!prop_has_text(o, "identifier", "id") && !prop_has_text(o, "@id", NULL) &&
        !prop_has_text(o, "url", NULL) && fallback_id && *fallback_id)
        put(o, "identifier", json_string(fallback_id), failed);
}

/* Whether a start tag opens an element that holds the ones after it,
 * for counting how deep a page nests: not the void elements, nor those a
 * sibling closes by itself (p, li, td...), which pages often leave open. */
static bool nests(const char *name, size_t n)
{
    static const char *const flat[] = {
        "p",     "li",     "dt",    "dd",       "tr",       "td",    "th",   "option", "br",
        "img",   "hr",     "input", "meta",     "link",     "area",  "base", "col",    "embed",
        "param", "source", "track", "wbr",      "script",   "style", "svg",  "html",   "head",
        "body",  "tbody",  "thead", "colgroup", "optgroup", "rt",    "rp"};
    for (size_t i = 0; i < sizeof flat / sizeof *flat; i++)
        if (strlen(flat[i]) == n && strncasecmp(name, flat[i], n) == 0)
            return false;
    return true;
}

/* Copies a page leaving out what is never text and costs the parser most
 * of its time: comments, the content of <script> (but JSON-LD) and <style>,
 * and <svg> elements.  Tags are read as the HTML tokenizer reads them
 * (attribute values quoted or not), so a "<script" inside an attribute is
 * not taken for a tag.  Returns a copy the caller frees, or NULL. */
static char *strip_raw_text(const char *s, size_t len, size_t *out_len, size_t *max_depth)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t i = 0, o = 0, depth = 0;
    *max_depth = 0;
    while (i < len) {
        const char *lt = memchr(s + i, '<', len - i);
        size_t j = lt ? (size_t)(lt - s) : len;
        memcpy(out + o, s + i, j - i);
        o += j - i;
        i = j;
        if (i >= len)
            break;
        if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            size_t e = i + 4;
            while (e + 3 <= len && memcmp(s + e, "-->", 3) != 0) {
                const char *dash = memchr(s + e + 1, '-', len - e - 1);
                e = dash ? (size_t)(dash - s) : len;
            }
            i = e + 3 <= len ? e + 3 : len;
            continue;
        }
        size_t k = i + 1, name = k;
        while (k < len && isalnum((unsigned char)s[k]))
            k++;
        size_t name_len = k - name;
        if (name_len == 0) {
            size_t e = i + 2, end_name = e;
            while (i + 1 < len && s[i + 1] == '/' && e < len && isalnum((unsigned char)s[e]))
                e++;
            if (e > end_name && depth > 0 && nests(s + end_name, e - end_name))
                depth--;
            out[o++] = s[i++];
            continue;
        }
        /* The end of the tag, attributes read as the tokenizer does. */
        while (k < len && s[k] != '>') {
            if (is_html_space(s[k]) || s[k] == '/') {
                k++;
                continue;
            }
            while (k < len && !is_html_space(s[k]) && s[k] != '/' && s[k] != '>' && s[k] != '=')
                k++;
            while (k < len && is_html_space(s[k]))
                k++;
            if (k < len && s[k] == '=') {
                k++;
                while (k < len && is_html_space(s[k]))
                    k++;
                if (k < len && (s[k] == '"' || s[k] == '\'')) {
                    const char *q = memchr(s + k + 1, s[k], len - k - 1);
                    k = q ? (size_t)(q - s) + 1 : len;
                } else {
                    while (k < len && !is_html_space(s[k]) && s[k] != '>')
                        k++;
                }
            }
        }
        size_t tag_end = k < len ? k + 1 : len;
        if (nests(s + name, name_len) && !(k < len && k > i && s[k - 1] == '/') &&
            ++depth > *max_depth)
            *max_depth = depth;
        bool script = name_len == 6 && strncasecmp(s + name, "script", 6) == 0;
        bool style = name_len == 5 && strncasecmp(s + name, "style", 5) == 0;
        bool svg = name_len == 3 && strncasecmp(s + name, "svg", 3) == 0;
        if (!script && !style && !svg) {
            memcpy(out + o, s + i, tag_end - i);
            o += tag_end - i;
            i = tag_end;
            continue;
        }
        const char *closer = script ? "</script" : style ? "</style" : "</svg";
        size_t cl = strlen(closer), e = tag_end;
        int open = 1; /* <svg> elements open */
        for (;;) {
            const char *lt2 = memchr(s + e, '<', len - e);
            if (!lt2) {
                e = len;
                break;
            }
            e = (size_t)(lt2 - s);
            if (len - e >= cl && strncasecmp(s + e, closer, cl) == 0 &&
                (e + cl == len || is_html_space(s[e + cl]) || s[e + cl] == '>' ||
                 s[e + cl] == '/')) {
                if (--open == 0)
                    break;
            } else if (svg && len - e >= 4 && strncasecmp(s + e, "<svg", 4) == 0) {
                open++;
            }
            e++;
        }
        const char *close_gt = e < len ? memchr(s + e, '>', len - e) : NULL;
        size_t after = close_gt ? (size_t)(close_gt - s) + 1 : len;
        if (svg) {
            i = after;
            continue;
        }
        bool keep = false;
        if (script) {
            for (size_t t = i; t + 7 <= tag_end && !keep; t++)
                keep = strncasecmp(s + t, "ld+json", 7) == 0;
        }
        memcpy(out + o, s + i, tag_end - i);
        o += tag_end - i;
        if (keep) {
            memcpy(out + o, s + tag_end, e - tag_end);
            o += e - tag_end;
        }
        if (e < len) {
            memcpy(out + o, s + e, after - e);
            o += after - e;
        }
        i = after;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* Gumbo's memory: parsing a page makes hundreds of thousands of small
 * allocations, most freed before the end.  They are taken from large
 * chunks instead and all freed at once with the tree (a third of the time
 * of reading a page went to malloc and free).  Past ARENA_MAX bytes (a huge
 * page), the rest comes from malloc, each block marked in its header. */
#define ARENA_CHUNK (1u << 20)
#define ARENA_MAX (256u << 20)
#define ARENA_HEADER 16 /* keeps blocks aligned for any type */

typedef struct arena {
    char **chunks;
    size_t n_chunks, cap_chunks;
    size_t used, room; /* in the last chunk */
    size_t total;      /* bytes of chunks */
    bool own_blocks;   /* some blocks were allocated on their own (past ARENA_MAX) */
} arena;

static void *arena_alloc(void *userdata, size_t size)
{
    arena *a = userdata;
    size_t need = (size + ARENA_HEADER + 15) & ~(size_t)15;
    if (need > a->room - a->used) {
        size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        char *chunk = NULL;
        if (a->total + cap <= ARENA_MAX && a->n_chunks == a->cap_chunks) {
            size_t c = a->cap_chunks ? a->cap_chunks * 2 : 16;
            char **grown = realloc(a->chunks, c * sizeof *grown);
            if (grown) {
                a->chunks = grown;
                a->cap_chunks = c;
            }
        }
        if (a->total + cap <= ARENA_MAX && a->n_chunks < a->cap_chunks)
            chunk = malloc(cap);
        if (!chunk) {
            /* Past the limit: a block of its own, freed by gumbo. */
            char *block = malloc(size + ARENA_HEADER);
            if (!block)
                return NULL;
            block[0] = 1;
            a->own_blocks = true;
            return block + ARENA_HEADER;
        }
        a->chunks[a->n_chunks++] = chunk;
        a->total += cap;
        a->used = 0;
        a->room = cap;
    }
    char *block = a->chunks[a->n_chunks - 1] + a->used;
    a->used += need;
    block[0] = 0;
    return block + ARENA_HEADER;
}

static void arena_free(void *userdata, void *ptr)
{
    (void)userdata;
    if (ptr && ((char *)ptr - ARENA_HEADER)[0] == 1)
        free((char *)ptr - ARENA_HEADER);
}

/* A parsed page and the memory of its tree. */
typedef struct parsed {
    GumboOutput *g;
    size_t too_deep; /* not parsed: the elements nest this deep (> HTML_MAX_NESTING) */
    GumboOptions opts;
    arena mem;
    char *source; /* the bytes parsed, kept with the tree: the original_tag of an element
                     (the name of a custom element, extract.h) points into them */
} parsed;

/* Frees the tree: the blocks of its own (past ARENA_MAX) through gumbo,
 * then every chunk at once. */
static void parsed_free(parsed *p)
{
    if (p->g && p->mem.own_blocks)
        gumbo_destroy_output(&p->opts, p->g);
    for (size_t i = 0; i < p->mem.n_chunks; i++)
        free(p->mem.chunks[i]);
    free(p->mem.chunks);
    free(p->source);
    memset(p, 0, sizeof *p);
}

/* Parses the page (UTF-8), what is never text left out (strip_raw_text).
 * Returns false when memory ran out. */
static bool parse(const char *utf8, size_t len, parsed *out)
{
    size_t n = 0, depth = 0;
    memset(out, 0, sizeof *out);
    char *lean = strip_raw_text(utf8, len, &n, &depth);
    if (!lean)
        return false;
    out->opts = kGumboDefaultOptions;
    out->opts.max_errors = 0;
    out->opts.allocator = arena_alloc;
    out->opts.deallocator = arena_free;
    out->opts.userdata = &out->mem;
    if (depth > HTML_MAX_NESTING) {
        /* gumbo's time grows with the square of the nesting. */
        free(lean);
        out->too_deep = depth;
        return false;
    }
    out->g = gumbo_parse_with_options(&out->opts, lean, n);
    out->source = lean;
    if (!out->g)
        parsed_free(out);
    return out->g != NULL;
}

/* Whether a page with no JSON-LD article says it is no article page:
 * og:type other than "article" and little text (a home or section page). */
static bool says_not_article(const page *p, const extract_result *ex, char *err, size_t err_size)
{
    const char *type = meta_nth(p, "og:type", 0);
    bool says_article = (type && strcasecmp(type, "article") == 0) || p->article_item;
    if (ex->no_article && !says_article) {
        status_message(err, err_size, "not an article: %s", ex->no_article);
        return true;
    }
    if (type && strcasecmp(type, "article") != 0 &&
        ex->chars - ex->link_chars < HTML_SECTION_MAX_CHARS) {
        status_message(err, err_size,
                       "not an article: og:type \"%s\", no JSON-LD article and only %zu "
                       "characters of text outside links (a home or section page)",
                       type, ex->chars - ex->link_chars);
        return true;
    }
    return false;
}

/* html_read_article, also saying where the body was found when `source` is not NULL. */
static kq_status read_article(const char *html, size_t len, const char *fallback_id, article *out,
                              char *source, size_t source_size, char *err, size_t err_size)
{
    kq_status st = KQ_OK;
    size_t ulen = 0;
    char *text = NULL, *json = NULL;
    parsed tree = {0};
    json_t *nodes = NULL, *o = NULL;
    page p = {0};
    extract_result ex = {0};
    bool failed = false;

    if (!out)
        return KQ_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (!html) {
        status_message(err, err_size, "no page");
        return KQ_ERR_INVALID;
    }
    if (len > HTML_MAX_PAGE) {
        status_message(err, err_size, "page larger than %u MiB", HTML_MAX_PAGE >> 20);
        return KQ_ERR_INVALID;
    }
    st = charset_to_utf8(html, len, &text, &ulen, NULL, 0, err, err_size);
    if (st != KQ_OK)
        goto out;
    bool parsed_ok = parse(text, ulen, &tree);
    p.ld = json_array();
    nodes = json_array();
    if (!parsed_ok && tree.too_deep) {
        status_message(err, err_size, "elements nested %zu deep (at most %u are read)",
                       tree.too_deep, HTML_MAX_NESTING);
        st = KQ_ERR_INVALID;
        goto out;
    }
    if (!parsed_ok || !p.ld || !nodes) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    scan_page(tree.g->root, &p, 0, 0);
    if (p.failed || (st = extract_main_text(tree.g->root, &ex)) != KQ_OK) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    json_t *best = NULL;
    int rank = 0;
    find_ld_article(p.ld, 0, &best, &rank, nodes);
    if (!best && says_not_article(&p, &ex, err, err_size)) {
        st = KQ_ERR_NOT_FOUND;
        goto out;
    }
    o = best ? json_deep_copy(best) : json_object();
    if (!o) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    resolve_people(o, nodes);
    /* A relative @id ("#article") names a node of this page only, not the
     * article: the url or canonical link identifies it instead. */
    json_t *at_id = json_object_get(o, "@id");
    if (json_is_string(at_id) && !strstr(json_string_value(at_id), "://"))
        json_object_del(o, "@id");
    fill_from_page(o, &p, &ex, fallback_id, source, source_size, &failed);
    if (failed) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    if (!prop_has_text(o, "headline", "title")) {
        status_message(err, err_size,
                       "no headline (no JSON-LD headline, og:title, <title> or <h1>)");
        st = KQ_ERR_INVALID;
        goto out;
    }
    json = json_dumps(o, JSON_COMPACT);
    if (!json) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    st = article_from_json(json, strlen(json), out, err, err_size);
out:
    if (st == KQ_ERR_NOMEM)
        status_message(err, err_size, "out of memory");
    for (size_t i = 0; i < p.n_metas; i++) {
        free(p.metas[i].key);
        free(p.metas[i].owned);
    }
    free(p.metas);
    json_decref(p.ld);
    json_decref(nodes);
    json_decref(o);
    free(json);
    extract_result_clear(&ex);
    parsed_free(&tree);
    free(text);
    return st;
}

kq_status html_read_article(const char *html, size_t len, const char *fallback_id, article *out,
                            char *err, size_t err_size)
{
    return read_article(html, len, fallback_id, out, NULL, 0, err, err_size);
}

char *html_main_text(const char *html, size_t len)
{
    parsed tree;
    if (!parse(html, len, &tree))
        return NULL;
    extract_result ex = {0};
    char *s = NULL;
    if (extract_main_text(tree.g->root, &ex) == KQ_OK) {
        s = ex.text;
        ex.text = NULL;
    }
    extract_result_clear(&ex);
    parsed_free(&tree);
    return s;
}

static kq_status read_file(const char *path, article *out, char *source, size_t source_size,
                           char *err, size_t err_size)
{
    kq_status st = KQ_OK;
    char *buf = NULL;
    char abs[PATH_MAX];
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (out)
        memset(out, 0, sizeof *out);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        status_message(err, err_size, "cannot open %s: %s", path, strerror(errno));
        st = KQ_ERR_IO;
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        status_message(err, err_size, "%s is not a regular file", path);
        st = KQ_ERR_IO;
        goto out;
    }
    if ((uint64_t)sb.st_size > HTML_MAX_PAGE) {
        status_message(err, err_size, "page larger than %u MiB (%lld bytes)", HTML_MAX_PAGE >> 20,
                       (long long)sb.st_size);
        st = KQ_ERR_INVALID;
        goto out;
    }
    buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        status_message(err, err_size, "out of memory");
        st = KQ_ERR_NOMEM;
        goto out;
    }
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            status_message(err, err_size, "cannot read %s: %s", path, strerror(errno));
            st = KQ_ERR_IO;
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got == 0) {
        status_message(err, err_size, "empty file");
        st = KQ_ERR_INVALID;
        goto out;
    }
    if (!realpath(path, abs))
        snprintf(abs, sizeof abs, "%s", path);
    st = read_article(buf, got, abs, out, source, source_size, err, err_size);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return st;
}

kq_status html_read_file(const char *path, article *out, char *err, size_t err_size)
{
    return read_file(path, out, NULL, 0, err, err_size);
}

kq_status html_read_file_explained(const char *path, article *out, char *source, size_t source_size,
                                   char *err, size_t err_size)
{
    return read_file(path, out, source, source_size, err, err_size);
}

int html_is_page_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcasecmp(name + n - 5, ".html") == 0) ||
           (n > 4 && strcasecmp(name + n - 4, ".htm") == 0);
}
