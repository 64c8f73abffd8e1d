/* html: reads a published news page (HTML) into an article, with a real HTML parser (gumbo). */
#include "html.h"
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

const char *const html_boilerplate_words[] = {
    "related",    "read-also",  "lire-aussi",  "a-lire",     "a-voir",   "voir-aussi",
    "sidebar",    "share",      "sharing",     "social",     "comments", "comment",
    "newsletter", "breadcrumb", "breadcrumbs", "advert",     "ads",      "pub",
    "promo",      "nav",        "menu",        "footer",     "header",   "popup",
    "cookie",     "cookies",    "subscribe",   "abonnement", NULL,
};

/* --- a growable string with a sticky failure ------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool failed; /* out of memory: further appends do nothing */
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_putc(sbuf *b, char c)
{
    sb_putn(b, &c, 1);
}

/* Hands the string over to the caller ("" when empty), or NULL on failure. */
static char *sb_take(sbuf *b)
{
    if (!b->failed && !b->p)
        sb_putn(b, "", 0);
    if (b->failed) {
        free(b->p);
        b->p = NULL;
    }
    char *p = b->p;
    *b = (sbuf){0};
    return p;
}

/* --- bytes to UTF-8 --------------------------------------------------------- */

/* Windows-1252 bytes 0x80-0x9F; the five it leaves undefined become U+FFFD. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

/* The eight places where ISO-8859-15 differs from ISO-8859-1 (€, Š, š, Ž,
 * ž, Œ, œ, Ÿ). */
static uint32_t latin9(unsigned char c)
{
    switch (c) {
    case 0xA4:
        return 0x20AC;
    case 0xA6:
        return 0x0160;
    case 0xA8:
        return 0x0161;
    case 0xB4:
        return 0x017D;
    case 0xB8:
        return 0x017E;
    case 0xBC:
        return 0x0152;
    case 0xBD:
        return 0x0153;
    case 0xBE:
        return 0x0178;
    default:
        return c;
    }
}

/* Transcodes single-byte text to UTF-8, keeping the valid UTF-8 sequences
 * it holds: a Latin-1 page has none (an accented letter followed by ASCII
 * is never one), and a UTF-8 page with a stray Latin-1 byte keeps its
 * letters while the stray byte is read as Windows-1252 (or ISO-8859-15).
 * The caller frees the result. */
static char *from_single_byte(const unsigned char *s, size_t len, bool is_latin9, size_t *out_len)
{
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        size_t n = c >= 0x80 ? utf8_sequence_length(s + i, len - i) : 0;
        if (n > 1) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n - 1;
            continue;
        }
        uint32_t cp = c;
        if (is_latin9)
            cp = latin9(c);
        else if (c >= 0x80 && c <= 0x9F)
            cp = cp1252_high[c - 0x80];
        o += utf8_encode(out + o, cp);
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* Writes the charset a page declares in its first 4 KiB (<meta charset=X>
 * or content="text/html; charset=X"), lower-cased, into out; "" when none. */
static void declared_charset(const char *s, size_t len, char *out, size_t out_size)
{
    size_t n = len < 4096 ? len : 4096;
    out[0] = '\0';
    for (size_t i = 0; i + 7 < n; i++) {
        if (strncasecmp(s + i, "charset", 7) != 0)
            continue;
        size_t j = i + 7;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j >= n || s[j] != '=')
            continue;
        j++;
        while (j < n && (s[j] == ' ' || s[j] == '"' || s[j] == '\''))
            j++;
        size_t k = 0;
        while (j < n && k + 1 < out_size &&
               (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '_' || s[j] == ':')) {
            out[k++] = (char)tolower((unsigned char)s[j]);
            j++;
        }
        out[k] = '\0';
        return;
    }
}

/* Returns the page as UTF-8 (a copy the caller frees, length in *out_len),
 * or NULL with KQ_ERR_INVALID or KQ_ERR_NOMEM in *st and the reason in err. */
static char *page_to_utf8(const char *html, size_t len, size_t *out_len, kq_status *st, char *err,
                          size_t err_size)
{
    const unsigned char *s = (const unsigned char *)html;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3, len -= 3;
    size_t controls = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == 0) {
            *st = KQ_ERR_INVALID;
            status_message(err, err_size, "binary data, not an HTML page (NUL byte at offset %zu)",
                           i);
            return NULL;
        }
        if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f')
            controls++;
    }
    if (controls * 100 > len) {
        *st = KQ_ERR_INVALID;
        status_message(err, err_size, "binary data, not an HTML page (%zu control bytes)",
                       controls);
        return NULL;
    }
    char cs[40];
    declared_charset((const char *)s, len, cs, sizeof cs);
    static const char *const known[] = {
        "",       "utf-8",       "utf8",         "iso-8859-1", "iso8859-1",
        "latin1", "latin-1",     "windows-1252", "cp1252",     "us-ascii",
        "ascii",  "iso-8859-15", "iso8859-15",   "latin9",
    };
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        ok = ok || strcmp(cs, known[i]) == 0;
    if (!ok) {
        *st = KQ_ERR_INVALID;
        status_message(err, err_size,
                       "unsupported charset \"%s\" (UTF-8, ISO-8859-1/15 and "
                       "Windows-1252 are read)",
                       cs);
        return NULL;
    }
    char *out;
    if (utf8_is_valid(s, len)) {
        out = malloc(len + 1);
        if (out) {
            memcpy(out, s, len);
            out[len] = '\0';
            *out_len = len;
        }
    } else {
        out = from_single_byte(s, len, strstr(cs, "15") || strcmp(cs, "latin9") == 0, out_len);
    }
    if (!out) {
        *st = KQ_ERR_NOMEM;
        status_message(err, err_size, "out of memory");
    }
    return out;
}

/* --- the tree ---------------------------------------------------------------- */

static const char *attr(const GumboNode *n, const char *name)
{
    if (n->type != GUMBO_NODE_ELEMENT)
        return NULL;
    const GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, name);
    return a ? a->value : NULL;
}

static bool is_html_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Whether the space-separated list `list` holds `word` (ASCII case ignored). */
static bool has_token(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        while (*p && is_html_space(*p))
            p++;
        const char *e = p;
        while (*e && !is_html_space(*e))
            e++;
        if ((size_t)(e - p) == n && strncasecmp(p, word, n) == 0)
            return true;
        p = e;
    }
    return false;
}

/* Whether the class or id list `s` holds `word` as a whole part of one of
 * its tokens, bounded by the token's ends, '-' or '_'
 * ("article__related-links" holds "related", "unrelated" does not).  Tokens
 * that describe a layout rather than name a box ("has-sidebar",
 * "with-comments", "no-ads", "is-shared") are skipped, since they sit on
 * wrappers of the whole page. */
static bool has_part(const char *s, const char *word)
{
    size_t n = strlen(word);
    static const char *const layout[] = {"has-", "has_", "with-", "with_", "no-", "is-"};
    while (*s) {
        while (*s && is_html_space(*s))
            s++;
        const char *e = s;
        while (*e && !is_html_space(*e))
            e++;
        size_t len = (size_t)(e - s);
        bool skip = false;
        for (size_t k = 0; k < sizeof layout / sizeof *layout; k++)
            skip = skip ||
                   (len > strlen(layout[k]) && strncasecmp(s, layout[k], strlen(layout[k])) == 0);
        for (size_t i = 0; !skip && i + n <= len; i++) {
            if (strncasecmp(s + i, word, n) != 0)
                continue;
            bool start = i == 0 || s[i - 1] == '-' || s[i - 1] == '_';
            bool end = i + n == len || s[i + n] == '-' || s[i + n] == '_';
            if (start && end)
                return true;
        }
        s = e;
    }
    return false;
}

/* Whether an element is something other than article text: by its tag,
 * role or hidden state, and, with `words`, by the words of its class or id. */
static bool is_boilerplate(const GumboNode *n, bool words)
{
    if (n->type != GUMBO_NODE_ELEMENT)
        return n->type == GUMBO_NODE_TEMPLATE;
    switch (n->v.element.tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_MENU:
    case GUMBO_TAG_H1:
        return true;
    default:
        break;
    }
    if (attr(n, "hidden"))
        return true;
    const char *v = attr(n, "aria-hidden");
    if (v && strcasecmp(v, "true") == 0)
        return true;
    static const char *const roles[] = {"navigation", "complementary", "banner",  "contentinfo",
                                        "search",     "menu",          "menubar", "dialog"};
    const char *role = attr(n, "role");
    for (size_t i = 0; role && i < sizeof roles / sizeof *roles; i++)
        if (has_token(role, roles[i]))
            return true;
    const char *names[2] = {attr(n, "class"), attr(n, "id")};
    for (int k = 0; words && k < 2; k++)
        for (size_t i = 0; names[k] && html_boilerplate_words[i]; i++)
            if (has_part(names[k], html_boilerplate_words[i]))
                return true;
    return false;
}

static bool is_block(GumboTag t)
{
    switch (t) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_BODY:
        return true;
    default:
        return false;
    }
}

/* Plain text built from text nodes: white space runs become one space,
 * blocks become line breaks, and no line starts or ends with a space. */
typedef struct text_out {
    sbuf b;
    bool space; /* a space is due before the next character */
} text_out;

static void text_break(text_out *t)
{
    t->space = false;
    if (t->b.len > 0 && t->b.p[t->b.len - 1] != '\n')
        sb_putc(&t->b, '\n');
}

static void text_add(text_out *t, const char *s, bool pre)
{
    for (; *s; s++) {
        if (pre && *s == '\n') {
            text_break(t);
        } else if (is_html_space(*s)) {
            t->space = true;
        } else {
            if (t->space && t->b.len > 0 && t->b.p[t->b.len - 1] != '\n')
                sb_putc(&t->b, ' ');
            t->space = false;
            sb_putc(&t->b, *s);
        }
    }
}

/* How much is left out as boilerplate below a root: nothing, elements
 * known by tag, role or hidden state, or also those named by class or id. */
enum skip { SKIP_NONE, SKIP_TAGS, SKIP_WORDS };

/* Appends the text under n, leaving out boilerplate below it as `skip`
 * says (n itself is taken: it was chosen as the root). */
static void collect_text(const GumboNode *n, text_out *t, enum skip skip, bool pre, bool root)
{
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA ||
        n->type == GUMBO_NODE_WHITESPACE) {
        text_add(t, n->v.text.text, pre);
        return;
    }
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_DOCUMENT)
        return;
    if (n->type == GUMBO_NODE_ELEMENT) {
        if (skip != SKIP_NONE && !root && is_boilerplate(n, skip == SKIP_WORDS))
            return;
        GumboTag tag = n->v.element.tag;
        if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_TEMPLATE)
            return;
        pre = pre || tag == GUMBO_TAG_PRE;
        if (is_block(tag))
            text_break(t);
        else if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH)
            t->space = true;
    }
    const GumboVector *kids =
        n->type == GUMBO_NODE_ELEMENT ? &n->v.element.children : &n->v.document.children;
    for (unsigned i = 0; i < kids->length; i++)
        collect_text(kids->data[i], t, skip, pre, false);
    if (n->type == GUMBO_NODE_ELEMENT && is_block(n->v.element.tag))
        text_break(t);
}

/* The text under n as a new string (trailing line break removed), or NULL
 * when out of memory. */
static char *text_of_node(const GumboNode *n, enum skip skip)
{
    text_out t = {0};
    collect_text(n, &t, skip, false, true);
    while (t.b.len > 0 && t.b.p[t.b.len - 1] == '\n')
        t.b.p[--t.b.len] = '\0';
    return sb_take(&t.b);
}

/* The candidates for the main text, found outside boilerplate. */
typedef struct roots {
    const GumboNode **body_parts; /* itemprop=articleBody, outermost ones */
    size_t n_body_parts, cap_body_parts;
    const GumboNode **articles; /* outermost <article> elements */
    size_t n_articles, cap_articles;
    const GumboNode *main; /* first <main> or role=main */
    const GumboNode *body; /* <body> */
    bool failed;
} roots;

static void push_node(const GumboNode ***v, size_t *n, size_t *cap, const GumboNode *node,
                      bool *failed)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        const GumboNode **g = realloc(*v, c * sizeof *g);
        if (!g) {
            *failed = true;
            return;
        }
        *v = g;
        *cap = c;
    }
    (*v)[(*n)++] = node;
}

static void find_roots(const GumboNode *n, roots *r, bool in_article)
{
    if (n->type != GUMBO_NODE_ELEMENT)
        return;
    GumboTag tag = n->v.element.tag;
    if (tag == GUMBO_TAG_BODY)
        r->body = n;
    else if (tag != GUMBO_TAG_HTML && is_boilerplate(n, true))
        return;
    const char *ip = attr(n, "itemprop");
    if (ip && has_token(ip, "articleBody")) {
        push_node(&r->body_parts, &r->n_body_parts, &r->cap_body_parts, n, &r->failed);
        return;
    }
    if (tag == GUMBO_TAG_ARTICLE && !in_article) {
        push_node(&r->articles, &r->n_articles, &r->cap_articles, n, &r->failed);
        in_article = true;
    }
    const char *role = attr(n, "role");
    if (!r->main && (tag == GUMBO_TAG_MAIN || (role && has_token(role, "main"))))
        r->main = n;
    const GumboVector *kids = &n->v.element.children;
    for (unsigned i = 0; i < kids->length; i++)
        find_roots(kids->data[i], r, in_article);
}

/* The text of a chosen root without its boilerplate.  Class and id words
 * are a guess: when they leave nothing ("article-body share-enabled"), only
 * the boilerplate known by tag and role is left out. */
static char *root_text(const GumboNode *const *nodes, size_t n)
{
    char *s = NULL;
    for (enum skip level = SKIP_WORDS; level >= SKIP_TAGS; level--) {
        text_out t = {0};
        for (size_t i = 0; i < n; i++) {
            collect_text(nodes[i], &t, level, false, true);
            text_break(&t);
        }
        while (t.b.len > 0 && t.b.p[t.b.len - 1] == '\n')
            t.b.p[--t.b.len] = '\0';
        free(s);
        s = sb_take(&t.b);
        if (!s || *s)
            break;
    }
    return s;
}

/* The main text of a parsed page (see html_main_text). */
static char *main_text(const GumboOutput *out)
{
    roots r = {0};
    char *best = NULL;
    find_roots(out->root, &r, false);
    if (r.failed)
        goto out;
    if (r.n_body_parts) {
        best = root_text(r.body_parts, r.n_body_parts);
        if (!best || *best)
            goto out;
        free(best);
        best = NULL;
    }
    for (size_t i = 0; i < r.n_articles; i++) {
        char *s = root_text(&r.articles[i], 1);
        if (!s) {
            free(best);
            best = NULL;
            goto out;
        }
        if (!best || strlen(s) > strlen(best)) {
            free(best);
            best = s;
        } else {
            free(s);
        }
    }
    if (best && *best)
        goto out;
    const GumboNode *fallbacks[2] = {r.main, r.body};
    for (int i = 0; i < 2; i++) {
        if (!fallbacks[i])
            continue;
        free(best);
        best = root_text(&fallbacks[i], 1);
        if (!best || *best)
            goto out;
    }
    if (!best)
        best = strdup("");
out:
    free(r.body_parts);
    free(r.articles);
    return best;
}

/* --- what the head says ------------------------------------------------------- */

typedef struct meta {
    char *key; /* property or name, lower-cased; "itemprop:" + itemprop for microdata */
    const char *value;
} meta;

typedef struct page {
    meta *metas;
    size_t n_metas, cap_metas;
    const char *canonical;
    const char *lang;
    const GumboNode *title;
    const GumboNode *h1;
    json_t *ld; /* every parsed JSON-LD value, an array */
    bool has_article_element;
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
    p->metas[p->n_metas++] = (meta){k, value};
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
    text_out t = {0};
    const GumboVector *kids = &n->v.element.children;
    for (unsigned i = 0; i < kids->length; i++) {
        const GumboNode *k = kids->data[i];
        if (k->type == GUMBO_NODE_TEXT || k->type == GUMBO_NODE_CDATA ||
            k->type == GUMBO_NODE_WHITESPACE)
            sb_putn(&t.b, k->v.text.text, strlen(k->v.text.text));
    }
    char *raw = sb_take(&t.b);
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

static void scan_page(const GumboNode *n, page *p)
{
    if (n->type != GUMBO_NODE_ELEMENT)
        return;
    GumboTag tag = n->v.element.tag;
    const char *ip = attr(n, "itemprop");
    switch (tag) {
    case GUMBO_TAG_HTML:
        p->lang = attr(n, "lang");
        if (!p->lang)
            p->lang = attr(n, "xml:lang");
        break;
    case GUMBO_TAG_META: {
        const char *content = attr(n, "content");
        add_meta(p, "", attr(n, "property"), content);
        add_meta(p, "", attr(n, "name"), content);
        if (ip)
            add_meta(p, "itemprop:", ip, content);
        break;
    }
    case GUMBO_TAG_LINK: {
        const char *rel = attr(n, "rel");
        if (!p->canonical && rel && has_token(rel, "canonical"))
            p->canonical = attr(n, "href");
        break;
    }
    case GUMBO_TAG_TIME:
        if (ip)
            add_meta(p, "itemprop:", ip, attr(n, "datetime"));
        break;
    case GUMBO_TAG_TITLE:
        if (!p->title)
            p->title = n;
        break;
    case GUMBO_TAG_H1:
        if (!p->h1)
            p->h1 = n;
        break;
    case GUMBO_TAG_ARTICLE:
        p->has_article_element = true;
        break;
    case GUMBO_TAG_SCRIPT: {
        const char *type = attr(n, "type");
        if (type && strncasecmp(type, "application/ld+json", 19) == 0)
            read_ld_script(n, p);
        return;
    }
    default:
        break;
    }
    if (ip && has_token(ip, "articleBody"))
        p->has_article_element = true;
    const GumboVector *kids = &n->v.element.children;
    for (unsigned i = 0; i < kids->length; i++)
        scan_page(kids->data[i], p);
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
    sbuf b = {0};
    for (; *s; s++) {
        if (*s == '&')
            sb_putn(&b, "&amp;", 5);
        else if (*s == '<')
            sb_putn(&b, "&lt;", 4);
        else
            sb_putc(&b, *s);
    }
    char *p = sb_take(&b);
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

/* The page title without a trailing " - Site name" (or | – — :). */
static char *page_title(const page *p)
{
    if (!p->title)
        return NULL;
    char *t = text_of_node(p->title, SKIP_NONE);
    const char *site = meta_nth(p, "og:site_name", 0);
    if (!t || !site)
        return t;
    size_t n = strlen(t), m = strlen(site);
    if (n > m + 3 && strcmp(t + n - m, site) == 0) {
        size_t cut = n - m;
        while (cut > 0 && t[cut - 1] == ' ')
            cut--;
        static const char *const seps[] = {"-",       "|", ":", "\xE2\x80\x93", "\xE2\x80\x94",
                                           "\xC2\xB7"};
        for (size_t i = 0; i < sizeof seps / sizeof *seps; i++) {
            size_t k = strlen(seps[i]);
            if (cut > k && memcmp(t + cut - k, seps[i], k) == 0) {
                cut -= k;
                while (cut > 0 && t[cut - 1] == ' ')
                    cut--;
                if (cut > 0)
                    t[cut] = '\0';
                break;
            }
        }
    }
    return t;
}

/* Fills the properties the JSON-LD object `o` lacks from the page. */
static void fill_from_page(json_t *o, const page *p, const GumboOutput *out,
                           const char *fallback_id, bool *failed)
{
    const char *v;
    if (!prop_has_text(o, "headline", "title")) {
        json_t *name = json_object_get(o, "name");
        static const char *const keys[] = {"og:title", "twitter:title", NULL};
        if (has_text(name, NULL, NULL) && json_is_string(name)) {
            put(o, "headline", json_copy(name), failed);
        } else if ((v = meta_first(p, keys))) {
            put(o, "headline", escaped(v), failed);
        } else {
            char *t = page_title(p);
            if (t && !*t && p->h1) {
                free(t);
                t = NULL;
            }
            if (!t && p->h1)
                t = text_of_node(p->h1, SKIP_NONE);
            if (t && *t)
                put(o, "headline", escaped(t), failed);
            free(t);
        }
    }
    if (!prop_has_text(o, "description", NULL)) {
        static const char *const keys[] = {"og:description", "description", "twitter:description",
                                           NULL};
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
                                           "date",
                                           "pubdate",
                                           "publishdate",
                                           "dc.date.issued",
                                           "dcterms.created",
                                           "dc.date",
                                           NULL};
        if ((v = meta_first(p, keys)))
            put(o, "datePublished", json_string(v), failed);
    }
    if (!prop_has_text(o, "dateModified", NULL)) {
        static const char *const keys[] = {"article:modified_time", "og:updated_time",
                                           "itemprop:datemodified", "dcterms.modified", NULL};
        if ((v = meta_first(p, keys)))
            put(o, "dateModified", json_string(v), failed);
    }
    json_t *list;
    if (!prop_has_text(o, "articleSection", "section") &&
        (list = meta_all(p, "article:section", false)))
        put(o, "articleSection", list, failed);
    if (!prop_has_text(o, "author", "creator")) {
        if ((list = meta_all(p, "article:author", true)))
            put(o, "author", list, failed);
        else if ((v = meta_nth(p, "author", 0)))
            put(o, "author", json_string(v), failed);
    }
    if (!prop_has_text(o, "keywords", NULL)) {
        static const char *const keys[] = {"news_keywords", "keywords", NULL};
        if ((list = meta_all(p, "article:tag", false)))
            put(o, "keywords", list, failed);
        else if ((v = meta_first(p, keys)))
            put(o, "keywords", json_string(v), failed);
    }
    if (!prop_has_text(o, "inLanguage", NULL)) {
        if (p->lang && *p->lang) {
            put(o, "inLanguage", json_string(p->lang), failed);
        } else if ((v = meta_nth(p, "og:locale", 0))) {
            char lang[32];
            snprintf(lang, sizeof lang, "%s", v);
            for (char *c = lang; *c; c++)
                if (*c == '_')
                    *c = '-';
            put(o, "inLanguage", json_string(lang), failed);
        }
    }
    if (!prop_has_text(o, "articleBody", "body")) {
        char *text = main_text(out);
        if (!text)
            *failed = true;
        else
            put(o, "articleBody", escaped(text), failed);
        free(text);
    }
    if (!prop_has_text(o, "identifier", "id") && !prop_has_text(o, "@id", NULL) &&
        !prop_has_text(o, "url", NULL) && fallback_id && *fallback_id)
        put(o, "identifier", json_string(fallback_id), failed);
}

kq_status html_read_article(const char *html, size_t len, const char *fallback_id, article *out,
                            char *err, size_t err_size)
{
    kq_status st = KQ_OK;
    size_t ulen = 0;
    char *text = NULL, *json = NULL;
    GumboOutput *g = NULL;
    json_t *nodes = NULL, *o = NULL;
    page p = {0};
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
    text = page_to_utf8(html, len, &ulen, &st, err, err_size);
    if (!text)
        goto out;
    g = gumbo_parse_with_options(&kGumboDefaultOptions, text, ulen);
    p.ld = json_array();
    nodes = json_array();
    if (!g || !p.ld || !nodes) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    scan_page(g->root, &p);
    if (p.failed) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    json_t *best = NULL;
    int rank = 0;
    find_ld_article(p.ld, 0, &best, &rank, nodes);
    if (!best) {
        /* No JSON-LD article: a page that says it is something else (a
         * home or section page, og:type "website") is not an article. */
        const char *type = meta_nth(&p, "og:type", 0);
        if (type && strcasecmp(type, "article") != 0 && !p.has_article_element) {
            status_message(err, err_size,
                           "not an article page (og:type \"%s\", no JSON-LD article, no <article>)",
                           type);
            st = KQ_ERR_NOT_FOUND;
            goto out;
        }
    }
    o = best ? json_deep_copy(best) : json_object();
    if (!o) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    resolve_people(o, nodes);
    fill_from_page(o, &p, g, fallback_id, &failed);
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
    for (size_t i = 0; i < p.n_metas; i++)
        free(p.metas[i].key);
    free(p.metas);
    json_decref(p.ld);
    json_decref(nodes);
    json_decref(o);
    free(json);
    if (g)
        gumbo_destroy_output(&kGumboDefaultOptions, g);
    free(text);
    return st;
}

char *html_main_text(const char *html, size_t len)
{
    GumboOutput *g = gumbo_parse_with_options(&kGumboDefaultOptions, html, len);
    if (!g)
        return NULL;
    char *s = main_text(g);
    gumbo_destroy_output(&kGumboDefaultOptions, g);
    return s;
}

kq_status html_read_file(const char *path, article *out, char *err, size_t err_size)
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
    st = html_read_article(buf, got, abs, out, err, err_size);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return st;
}

int html_is_page_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcasecmp(name + n - 5, ".html") == 0) ||
           (n > 4 && strcasecmp(name + n - 4, ".htm") == 0);
}
