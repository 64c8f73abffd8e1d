/* extract: finds the main text of a web page in gumbo's tree: the article, without its menus,
 * boxes and footers. */
#include "extract.h"
#include "render_buf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Words of a class or id naming a box that is not article text (matched as
 * whole parts, see name_kinds). */
const char *const extract_box_words[] = {
    "related",       "read-also",
    "lire-aussi",    "a-lire",
    "a-voir",        "voir-aussi",
    "see-also",      "also-read",
    "more-articles", "more-stories",
    "more-news",     "sidebar",
    "share",         "sharing",
    "shares",        "social",
    "socials",       "comments",
    "comment",       "newsletter",
    "breadcrumb",    "breadcrumbs",
    "advert",        "advertisement",
    "ads",           "ad",
    "pub",           "publicite",
    "promo",         "sponsor",
    "sponsored",     "outbrain",
    "taboola",       "nav",
    "navbar",        "navigation",
    "menu",          "footer",
    "popup",         "modal",
    "cookie",        "cookies",
    "consent",       "gdpr",
    "subscribe",     "subscription",
    "abonnement",    "abo",
    "login",         "signup",
    "tags",          "tag-list",
    "byline",        "author",
    "meta",          "dateline",
    "timestamp",     "credit",
    "credits",       "copyright",
    "recommended",   "recommendations",
    "most-read",     "most-popular",
    "popular",       "trending",
    "pagination",    "pager",
    "toolbar",       "carousel",
    "skip-link",     "notice",
    "disclaimer",    "community",
    "disqus",        "replies",
    "rss",           "shoutbox",
    "skyscraper",    "supplemental",
    "agegate",       NULL,
};

/* Words naming a promotion of other pages ("teaser"), or the lead of this
 * one ("teaser-text"): a box only when it holds a link. */
const char *const extract_teaser_words[] = {"teaser", "teasers", NULL};

/* Words naming a caption (a photo's legend or credit), or a type style
 * ("caption-s5" on a lead): a box unless on a heading. */
const char *const extract_caption_words[] = {"caption", "legend", "legende", NULL};

/* Words that make a candidate likelier to be the article (+25). */
const char *const extract_content_words[] = {
    "article", "articlebody", "body",         "content",      "entry", "hentry",
    "h-entry", "main",        "page",         "post",         "text",  "blog",
    "story",   "story-body",  "article-body", "post-content", NULL,
};

/* Words that make a candidate less likely (-25), besides the box words.
 * "paywall" names the article's free part as often as the prompt over the
 * rest ("steady-paywall-container" around the text): not a box. */
const char *const extract_negative_words[] = {
    "banner",   "combx", "contact", "foot",   "footnote", "masthead", "media",   "scroll",
    "shopping", "tool",  "tools",   "widget", "rail",     "aside",    "paywall", NULL,
};

/* Phrases that announce a box, folded (lower case, accents and
 * punctuation removed, see fold). */
const char *const extract_box_phrases[] = {
    /* French */
    "lire aussi",
    "a lire aussi",
    "lire egalement",
    "a lire egalement",
    "a lire",
    "voir aussi",
    "a voir aussi",
    "voir egalement",
    "a voir egalement",
    "sur le meme sujet",
    "sur le meme theme",
    "dans la meme rubrique",
    "abonnez vous",
    "inscrivez vous",
    "abonnez vous a notre newsletter",
    "inscrivez vous a notre newsletter",
    "partager",
    "partager cet article",
    "articles lies",
    "articles similaires",
    "les plus lus",
    "a decouvrir",
    "a decouvrir aussi",
    "publicite",
    "vous aimerez aussi",
    "vous aimerez aussi",
    "commentaires",
    "reagir",
    "mots cles",
    /* English */
    "read also",
    "read more",
    "see also",
    "also read",
    "related",
    "related articles",
    "related posts",
    "related stories",
    "related content",
    "related topics",
    "more from",
    "more stories",
    "more on this",
    "more on this story",
    "you may also like",
    "you might also like",
    "recommended",
    "recommended for you",
    "most read",
    "most popular",
    "trending",
    "subscribe",
    "sign up",
    "share",
    "share this",
    "share this article",
    "share this story",
    "advertisement",
    "comments",
    "leave a comment",
    "leave a reply",
    "tags",
    "newsletter",
    "don t miss",
    "further reading",
    /* German, Spanish, Portuguese, Italian, Dutch, Polish */
    "lesen sie auch",
    "auch interessant",
    "das konnte sie auch interessieren",
    "das konnte sie interessieren",
    "mehr zum thema",
    "weitere artikel",
    "weitere nachrichten",
    "weitere beitrage",
    "verwandte artikel",
    "verwandte themen",
    "anzeige",
    "teilen",
    "artikel teilen",
    "empfehlungen",
    "meistgelesen",
    "kommentare",
    "newsletter abonnieren",
    "weiterfuhrende links",
    "lee tambien",
    "lea tambien",
    "ver tambien",
    "te puede interesar",
    "noticias relacionadas",
    "compartir",
    "veja tambem",
    "leia tambem",
    "leia mais",
    "compartilhe",
    "leggi anche",
    "potrebbe interessarti",
    "condividi",
    "lees ook",
    "delen",
    "zobacz takze",
    "czytaj takze",
    "czytaj rowniez",
    NULL,
};

/* Calls to action that end an article (subscribe, download the app,
 * follow or join us, support us), folded; matched as whole words in the
 * last blocks of the text. */
const char *const extract_call_phrases[] = {
    /* English */
    "subscribe now",
    "subscribe to our",
    "subscribe today",
    "download the",
    "download our",
    "our app",
    "our apps",
    "follow us on",
    "join us on",
    "sign up for our",
    "support our journalism",
    /* French */
    "abonnez vous",
    "telechargez notre",
    "telechargez l application",
    "notre application",
    "suivez nous",
    "rejoignez nous",
    "soutenez nous",
    /* German */
    "jetzt abonnieren",
    "abonnieren sie",
    "unsere app",
    "folgen sie uns",
    "folge uns",
    "unterstutzen sie uns",
    "unterstutze uns",
    /* Spanish, Portuguese, Italian, Polish */
    "suscribete",
    "unete",
    "siguenos",
    "descarga nuestra",
    "canal de telegram",
    "canal de whatsapp",
    "assine",
    "siga nos",
    "baixe o",
    "abbonati",
    "seguici",
    "zapraszamy do",
    "zapraszamy tez do",
    "subskrypcji",
    NULL,
};

/* Words that name a photo's credit before a ':' (ASCII case ignored). */
const char *const extract_credit_words[] = {
    "foto",    "fotos",  "photo",   "photos", "bild",  "bilder",     "credit",
    "credits", "crédit", "crédits", "imagen", "image", "fotografía", NULL,
};

/* First words of a label that opens a box of other pages, folded. */
const char *const extract_label_starts[] = {
    "related",  "more",       "other",  "similar",  "recommended", "verwandte",  "weitere", "mehr",
    "ahnliche", "empfohlene", "autres", "d autres", "plus d",      "nos autres", NULL,
};

/* --- folding, for phrases and words ------------------------------------------ */

/* Base letters of U+00C0..U+017F (see the header of the method). */
static const char latin_base[] = "aaaaaaaceeeeiiiidnooooo ouuuuytsaaaaaaaceeeeiiiidnooooo ouuuuyty"
                                 "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiijjjjkkklllllll"
                                 "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
_Static_assert(sizeof latin_base == 0x180 - 0xC0 + 1, "one letter per code point");

/* Decodes one UTF-8 sequence at s (n bytes left): its code point, and its
 * length in *len (1 for a byte that starts no valid sequence). */
static uint32_t decode(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    if (c < 0x80 || n < 2) {
        *len = 1;
        return c;
    }
    if ((c & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
        *len = 2;
        return ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    }
    if ((c & 0xF0) == 0xE0 && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *len = 3;
        return ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    }
    if ((c & 0xF8) == 0xF0 && n >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80) {
        *len = 4;
        return ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
               (s[3] & 0x3Fu);
    }
    *len = 1;
    return c;
}

/* Whether a code point separates words: ASCII other than letters and
 * digits, Latin-1 punctuation and signs, general and CJK punctuation. */
static bool is_separator(uint32_t cp)
{
    if (cp < 0x80)
        return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'));
    return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
           (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) || cp == 0xFEFF;
}

/* Appends the folded form of s[0..n) to out (cap bytes, NUL-terminated):
 * ASCII lower case, Latin letters to their base letter, other letters as
 * they are, every run of separators one space; *space says whether a space
 * is due before the next letter, carried across calls. */
static size_t fold_into(const char *s, size_t n, char *out, size_t o, size_t cap, bool *space)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n && o + 5 < cap;) {
        size_t len;
        uint32_t cp = decode(p + i, n - i, &len);
        if (is_separator(cp)) {
            *space = o > 0;
        } else {
            if (*space)
                out[o++] = ' ';
            *space = false;
            if (cp < 0x80)
                out[o++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
            else if (cp >= 0xC0 && cp <= 0x17F && latin_base[cp - 0xC0] != ' ')
                out[o++] = latin_base[cp - 0xC0];
            else {
                memcpy(out + o, p + i, len);
                o += len;
            }
        }
        i += len;
    }
    out[o] = '\0';
    return o;
}

void extract_fold(const char *s, char *out, size_t cap)
{
    bool space = false;
    if (cap == 0)
        return;
    out[0] = '\0';
    if (cap > 6)
        fold_into(s, strlen(s), out, 0, cap, &space);
}

/* --- the mirror of the tree ----------------------------------------------------- */

enum {
    F_BLOCK = 1 << 0,      /* a block element: its text is a line of its own */
    F_BOX = 1 << 1,        /* marked as a box or hidden: dropped unless it holds most text */
    F_GONE = 1 << 2,       /* always dropped (h1, figure) */
    F_DROP = 1 << 3,       /* dropped, with all it holds */
    F_LINK = 1 << 4,       /* inside a link */
    F_PRE = 1 << 5,        /* inside <pre> */
    F_BODYPROP = 1 << 6,   /* itemprop=articleBody */
    F_PARA = 1 << 7,       /* a paragraph: 25 characters of its own text or more */
    F_CAND = 1 << 8,       /* a scored candidate */
    F_CUT = 1 << 9,        /* left out of the text taken (step 5) */
    F_ARTICLE = 1 << 10,   /* inside <article>, <main> or the article body */
    F_FORM = 1 << 11,      /* a <form>: dropped unless it holds paragraphs */
    F_TEASER = 1 << 12,    /* named a teaser: a box when it holds a link */
    F_IMG = 1 << 13,       /* has an image among its children */
    F_IMG_BELOW = 1 << 14, /* has an image in its subtree, below its children */
};

enum {
    NO_NODE = UINT32_MAX,
    MIN_PARA = 25,
    FORM_MIN_PTEXT = 300,
    CAPTION_MAX_CHARS = 300,
    CALL_LAST_BLOCKS = 3,
    LINK_LINE_MAX_CHARS = 100,
    CREDIT_LINE_MAX_CHARS = 150,
    CALL_MAX_CHARS = 300,
    MEDIA_BOX_MAX_CHARS = 150,
    CONTAINER_MAX_LINKS = 25
};

typedef struct xnode {
    const GumboNode *g; /* the element or text node */
    const char *text;   /* text nodes: their text; elements: NULL */
    uint32_t parent;    /* NO_NODE for the root */
    uint32_t end;       /* one past the last node of the subtree */
    uint16_t tag;       /* the element's GumboTag */
    uint16_t flags;
    int32_t weight;                    /* class and id weight (step 3) */
    uint32_t tchars;                   /* text nodes: characters (white space runs count one) */
    uint32_t tpunct;                   /* text nodes: commas and sentence ends */
    uint32_t inl, inl_link, inl_punct; /* text not inside a block child */
    uint32_t chars, link;              /* all the text below, and of it inside links */
    uint32_t ptext;                    /* paragraph text outside links below */
    float score;
} xnode;

typedef struct tree {
    xnode *x;
    uint32_t n, cap;
    bool failed;
} tree;

const char *extract_attr(const GumboNode *n, const char *name)
{
    if (n->type != GUMBO_NODE_ELEMENT)
        return NULL;
    const GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, name);
    return a ? a->value : NULL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The next space-separated token of *list (an attribute's class list):
 * returns its start and sets *len (0 at the end) and *list past it. */
static const char *next_token(const char **list, size_t *len)
{
    const char *s = *list;
    while (*s && is_space(*s))
        s++;
    const char *e = s;
    while (*e && !is_space(*e))
        e++;
    *len = (size_t)(e - s);
    *list = e;
    return s;
}

int extract_has_token(const char *list, const char *word)
{
    size_t n = strlen(word), len;
    for (const char *p = list; p && *p;) {
        const char *t = next_token(&p, &len);
        if (len == n && strncasecmp(t, word, n) == 0)
            return true;
    }
    return false;
}

/* Writes a class or id token as lower-case parts joined by '-' ("relatedPosts"
 * and "related_posts" both give "related-posts"). */
static void token_parts(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 2 < cap; i++) {
        char c = s[i];
        bool upper = c >= 'A' && c <= 'Z';
        if (c == '-' || c == '_' || c == ':' || c == '.') {
            if (o > 0 && out[o - 1] != '-')
                out[o++] = '-';
            continue;
        }
        if (upper && i > 0 && s[i - 1] >= 'a' && s[i - 1] <= 'z' && o > 0 && out[o - 1] != '-')
            out[o++] = '-';
        out[o++] = upper ? (char)(c + 32) : c;
    }
    while (o > 0 && out[o - 1] == '-')
        o--;
    out[o] = '\0';
}

/* What the words of a class or id say (bits of enum name_kind). */
enum name_kind {
    NAME_BOX = 1,
    NAME_CONTENT = 2,
    NAME_NEGATIVE = 4,
    NAME_HIDES = 8,
    NAME_TEASER = 16,
    NAME_CAPTION = 32
};

typedef struct name_word {
    const char *word;
    unsigned kind;
} name_word;

/* Every word of the three lists, sorted, with what it says; built once. */
static name_word *name_words;
static size_t n_name_words;
static pthread_once_t name_words_once = PTHREAD_ONCE_INIT;

static int compare_name_words(const void *a, const void *b)
{
    return strcmp(((const name_word *)a)->word, ((const name_word *)b)->word);
}

static void build_name_words(void)
{
    const char *const *lists[5] = {extract_box_words, extract_content_words, extract_negative_words,
                                   extract_teaser_words, extract_caption_words};
    const unsigned kinds[5] = {NAME_BOX, NAME_CONTENT, NAME_NEGATIVE, NAME_TEASER, NAME_CAPTION};
    size_t n = 0;
    for (int l = 0; l < 5; l++)
        for (size_t i = 0; lists[l][i]; i++)
            n++;
    name_words = malloc(n * sizeof *name_words);
    if (!name_words)
        return;
    for (int l = 0; l < 5; l++)
        for (size_t i = 0; lists[l][i]; i++)
            name_words[n_name_words++] = (name_word){lists[l][i], kinds[l]};
    qsort(name_words, n_name_words, sizeof *name_words, compare_name_words);
    /* A word in two lists says both. */
    size_t o = 0;
    for (size_t i = 0; i < n_name_words; i++) {
        if (o > 0 && strcmp(name_words[o - 1].word, name_words[i].word) == 0)
            name_words[o - 1].kind |= name_words[i].kind;
        else
            name_words[o++] = name_words[i];
    }
    n_name_words = o;
}

static unsigned lookup_word(const char *w)
{
    name_word key = {w, 0};
    const name_word *hit =
        bsearch(&key, name_words, n_name_words, sizeof *name_words, compare_name_words);
    return hit ? hit->kind : 0;
}

/* What a class or id list says: each token is split into parts
 * (token_parts), and each part, and each pair of consecutive parts
 * ("read-also"), is looked up in the word lists.  Tokens that describe a
 * layout ("has-sidebar", "with-comments", "no-ads", "is-shared") are
 * skipped; whole tokens that hide an element give NAME_HIDES. */
static unsigned name_kinds(const char *list)
{
    static const char *const layout[] = {"has-", "has_", "with-", "with_", "no-", "is-"};
    static const char *const hiding[] = {"hidden",
                                         "hide",
                                         "sr-only",
                                         "visually-hidden",
                                         "visuallyhidden",
                                         "screen-reader-text",
                                         "element-invisible",
                                         "invisible",
                                         "d-none",
                                         "is-hidden",
                                         "u-hidden"};
    unsigned kinds = 0;
    pthread_once(&name_words_once, build_name_words);
    for (const char *rest = list; rest && *rest;) {
        size_t len;
        const char *s = next_token(&rest, &len);
        for (size_t k = 0; k < sizeof hiding / sizeof *hiding; k++)
            if (len == strlen(hiding[k]) && strncasecmp(s, hiding[k], len) == 0)
                kinds |= NAME_HIDES;
        bool skip = len == 0;
        for (size_t k = 0; k < sizeof layout / sizeof *layout && !skip; k++)
            skip = len > strlen(layout[k]) && strncasecmp(s, layout[k], strlen(layout[k])) == 0;
        if (!skip && name_words) {
            char parts[128], pair[128];
            token_parts(s, len < 120 ? len : 120, parts, sizeof parts);
            const char *part = parts;
            while (*part) {
                const char *dash = strchr(part, '-');
                size_t n = dash ? (size_t)(dash - part) : strlen(part);
                memcpy(pair, part, n);
                pair[n] = '\0';
                kinds |= lookup_word(pair);
                if (dash) {
                    const char *next_dash = strchr(dash + 1, '-');
                    size_t m = next_dash ? (size_t)(next_dash - part) : strlen(part);
                    memcpy(pair, part, m);
                    pair[m] = '\0';
                    kinds |= lookup_word(pair);
                }
                part = dash ? dash + 1 : part + n;
            }
        }
    }
    return kinds;
}

/* Whether an inline style hides the element (display:none, visibility:hidden). */
static bool style_hides(const char *style)
{
    char buf[256];
    size_t o = 0;
    for (const char *p = style; p && *p && o + 1 < sizeof buf; p++)
        if (!is_space(*p))
            buf[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    buf[o] = '\0';
    return strstr(buf, "display:none") || strstr(buf, "visibility:hidden");
}

/* Elements whose content is never article text: not mirrored at all. */
static bool never_text(GumboTag t)
{
    switch (t) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_MAP:
    case GUMBO_TAG_LABEL:
    case GUMBO_TAG_RT:
    case GUMBO_TAG_RP:
        return true;
    default:
        return false;
    }
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
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_MENU:
        return true;
    default:
        return false;
    }
}

/* The name of a custom element ("pp-inline-teaser", "cmp-banner"), which
 * gumbo does not know, into out (cap bytes); "" for any other element. */
static void custom_name(const GumboNode *g, char *out, size_t cap)
{
    const GumboStringPiece *t = &g->v.element.original_tag;
    size_t o = 0;
    if (g->v.element.tag == GUMBO_TAG_UNKNOWN && t->data && t->length > 1 && t->data[0] == '<')
        for (size_t i = 1; i < t->length && o + 1 < cap; i++) {
            char c = t->data[i];
            if (is_space(c) || c == '/' || c == '>')
                break;
            out[o++] = c;
        }
    out[o] = '\0';
    if (!memchr(out, '-', o))
        out[0] = '\0';
}

/* The flags an element gets from its own markup (step 1), given whether it
 * is inside an article. */
static uint16_t element_flags(const GumboNode *g, bool in_article, int32_t *weight)
{
    const char *cls = extract_attr(g, "class"), *id = extract_attr(g, "id");
    char custom[64];
    custom_name(g, custom, sizeof custom);
    unsigned kc = name_kinds(cls) | name_kinds(custom), ki = name_kinds(id);
    *weight = ((kc & NAME_CONTENT) ? 25 : 0) + ((ki & NAME_CONTENT) ? 25 : 0) -
              ((kc & (NAME_BOX | NAME_NEGATIVE)) ? 25 : 0) -
              ((ki & (NAME_BOX | NAME_NEGATIVE)) ? 25 : 0);
    GumboTag tag = g->v.element.tag;
    uint16_t f = is_block(tag) ? F_BLOCK : 0;
    switch (tag) {
    case GUMBO_TAG_H1:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
        f |= F_GONE;
        break;
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_MENU:
        f |= F_BOX;
        break;
    case GUMBO_TAG_FORM:
        f |= F_FORM;
        break;
    case GUMBO_TAG_HEADER:
        if (!in_article)
            f |= F_BOX;
        break;
    default:
        break;
    }
    if (f & (F_BOX | F_GONE))
        return f;
    const char *v = extract_attr(g, "aria-hidden");
    if (extract_attr(g, "hidden") || (v && strcasecmp(v, "true") == 0) ||
        style_hides(extract_attr(g, "style")))
        return f | F_BOX;
    static const char *const roles[] = {"navigation", "complementary", "banner",  "contentinfo",
                                        "search",     "menu",          "menubar", "dialog",
                                        "alert",      "alertdialog",   "tablist", "toolbar"};
    const char *role = extract_attr(g, "role");
    for (size_t i = 0; role && i < sizeof roles / sizeof *roles; i++)
        if (extract_has_token(role, roles[i]))
            return f | F_BOX;
    if ((kc & (NAME_HIDES | NAME_BOX)) || (ki & NAME_BOX))
        return f | F_BOX;
    if (((kc | ki) & NAME_CAPTION) && !(tag >= GUMBO_TAG_H1 && tag <= GUMBO_TAG_H6))
        return f | F_BOX;
    if ((kc | ki) & NAME_TEASER)
        f |= F_TEASER;
    return f;
}

static uint32_t add_node(tree *t, const GumboNode *g, uint32_t parent)
{
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 1024;
        xnode *x = realloc(t->x, cap * sizeof *x);
        if (!x) {
            t->failed = true;
            return NO_NODE;
        }
        t->x = x;
        t->cap = cap;
    }
    xnode *e = &t->x[t->n];
    memset(e, 0, sizeof *e);
    e->g = g;
    e->parent = parent;
    return t->n++;
}

/* Counts the characters (white space runs one) and the punctuation of a text. */
static void count_text(const char *s, uint32_t *chars, uint32_t *punct)
{
    uint32_t c = 0, p = 0;
    bool space = false;
    for (; *s; s++) {
        unsigned char b = (unsigned char)*s;
        if (is_space((char)b)) {
            space = true;
            continue;
        }
        if (space)
            c++;
        space = false;
        if ((b & 0xC0) != 0x80)
            c++;
        if (b == ',' || b == '.' || b == '!' || b == '?' || b == ';')
            p++;
    }
    if (space && c > 0)
        c++;
    *chars = c;
    *punct = p;
}

typedef struct frame {
    const GumboNode *g;
    uint32_t index;     /* its node */
    unsigned next;      /* the next child to visit */
    uint16_t inherited; /* F_LINK, F_PRE, F_ARTICLE */
} frame;

/* Builds the mirror of the tree below root (step 1), without recursion. */
static void build(tree *t, const GumboNode *root)
{
    size_t depth_cap = 256, depth = 0;
    frame *stack = malloc(depth_cap * sizeof *stack);
    if (!stack) {
        t->failed = true;
        return;
    }
    uint32_t r = add_node(t, root, NO_NODE);
    if (r == NO_NODE)
        goto out;
    t->x[r].tag =
        root->type == GUMBO_NODE_ELEMENT ? (uint16_t)root->v.element.tag : (uint16_t)GUMBO_TAG_BODY;
    t->x[r].flags = F_BLOCK;
    stack[depth++] = (frame){root, r, 0, 0};
    while (depth > 0 && !t->failed) {
        frame *f = &stack[depth - 1];
        const GumboVector *kids = f->g->type == GUMBO_NODE_DOCUMENT  ? &f->g->v.document.children
                                  : f->g->type == GUMBO_NODE_ELEMENT ? &f->g->v.element.children
                                                                     : NULL;
        if (!kids || f->next >= kids->length) {
            t->x[f->index].end = t->n;
            depth--;
            continue;
        }
        const GumboNode *c = kids->data[f->next++];
        uint32_t parent = f->index;
        uint16_t inherited = f->inherited;
        if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_WHITESPACE ||
            c->type == GUMBO_NODE_CDATA) {
            uint32_t i = add_node(t, c, parent);
            if (i == NO_NODE)
                break;
            xnode *e = &t->x[i];
            e->text = c->v.text.text;
            e->tag = GUMBO_TAG_UNKNOWN;
            e->flags = inherited & (F_LINK | F_PRE);
            e->end = i + 1;
            count_text(e->text, &e->tchars, &e->tpunct);
            continue;
        }
        if (c->type == GUMBO_NODE_ELEMENT && c->v.element.tag == GUMBO_TAG_IMG) {
            /* An image in a <picture> or a link is one of the element around. */
            t->x[parent].flags |= F_IMG;
            const GumboNode *pg = t->x[parent].g;
            bool picture = pg->type == GUMBO_NODE_ELEMENT &&
                           pg->v.element.tag == GUMBO_TAG_UNKNOWN &&
                           pg->v.element.original_tag.length >= 8 &&
                           strncasecmp(pg->v.element.original_tag.data, "<picture", 8) == 0;
            if ((picture || t->x[parent].tag == GUMBO_TAG_A) && t->x[parent].parent != NO_NODE)
                t->x[t->x[parent].parent].flags |= F_IMG;
        }
        if (c->type != GUMBO_NODE_ELEMENT || never_text(c->v.element.tag))
            continue;
        GumboTag tag = c->v.element.tag;
        uint32_t i = add_node(t, c, parent);
        if (i == NO_NODE)
            break;
        xnode *e = &t->x[i];
        e->tag = (uint16_t)tag;
        e->flags =
            element_flags(c, inherited & F_ARTICLE, &e->weight) | (inherited & (F_LINK | F_PRE));
        const char *ip = extract_attr(c, "itemprop");
        if (ip && extract_has_token(ip, "articleBody"))
            e->flags |= F_BODYPROP;
        if (tag == GUMBO_TAG_A || (tag == GUMBO_TAG_UNKNOWN && extract_attr(c, "href")))
            e->flags |= F_LINK;
        if (tag == GUMBO_TAG_PRE)
            e->flags |= F_PRE;
        if (tag == GUMBO_TAG_ARTICLE || tag == GUMBO_TAG_MAIN || (e->flags & F_BODYPROP))
            e->flags |= F_ARTICLE;
        if (depth == depth_cap) {
            frame *s = realloc(stack, depth_cap * 2 * sizeof *s);
            if (!s) {
                t->failed = true;
                break;
            }
            stack = s;
            depth_cap *= 2;
        }
        stack[depth++] = (frame){c, i, 0, (uint16_t)(e->flags & (F_LINK | F_PRE | F_ARTICLE))};
    }
out:
    free(stack);
}

/* Sums the text of every subtree bottom up (step 2), leaving out the
 * dropped subtrees when use_drops. */
static void aggregate(tree *t, bool use_drops)
{
    xnode *x = t->x;
    for (uint32_t i = 0; i < t->n; i++) {
        x[i].inl = x[i].inl_link = x[i].inl_punct = 0;
        x[i].chars = x[i].link = x[i].ptext = 0;
        x[i].flags &= (uint16_t)~F_PARA;
    }
    for (uint32_t i = t->n; i-- > 0;) {
        xnode *e = &x[i];
        if (use_drops && (e->flags & F_DROP))
            continue;
        xnode *p = e->parent == NO_NODE ? NULL : &x[e->parent];
        if (e->text) {
            uint32_t l = (e->flags & F_LINK) ? e->tchars : 0;
            if (p) {
                p->chars += e->tchars;
                p->link += l;
                p->inl += e->tchars;
                p->inl_link += l;
                p->inl_punct += e->tpunct;
            }
            continue;
        }
        if (e->flags & F_BLOCK) {
            if (e->inl >= MIN_PARA) {
                e->flags |= F_PARA;
                e->ptext += e->inl - e->inl_link;
            }
        } else if (p) {
            p->inl += e->inl;
            p->inl_link += e->inl_link;
            p->inl_punct += e->inl_punct;
        }
        if (p) {
            p->chars += e->chars;
            p->link += e->link;
            p->ptext += e->ptext;
            if (e->flags & (F_IMG | F_IMG_BELOW))
                p->flags |= F_IMG_BELOW;
        }
    }
}

/* Decides which marked boxes are dropped (step 1), from the text counted
 * without drops. */
static void decide_drops(tree *t)
{
    xnode *x = t->x;
    bool by_chars = x[0].ptext == 0;
    uint64_t total = by_chars ? x[0].chars : x[0].ptext;
    for (uint32_t i = 1; i < t->n; i++) {
        xnode *e = &x[i];
        uint64_t held = by_chars ? e->chars : e->ptext;
        if ((e->flags & F_TEASER) && e->link > 0)
            e->flags |= F_BOX;
        if ((e->flags & F_GONE) || ((e->flags & F_FORM) && e->ptext < FORM_MIN_PTEXT))
            e->flags |= F_DROP;
        else if ((e->flags & F_BOX) &&
                 !(total > 0 && (by_chars ? held * 5 >= total * 4 : held * 2 >= total)))
            e->flags |= F_DROP;
    }
}

static bool contains(const tree *t, uint32_t a, uint32_t b)
{
    return b >= a && b < t->x[a].end;
}

/* --- scoring (step 3) --------------------------------------------------------- */

static int32_t tag_score(GumboTag tag)
{
    switch (tag) {
    case GUMBO_TAG_DIV:
        return 5;
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_BLOCKQUOTE:
        return 3;
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_FORM:
        return -3;
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_TH:
        return -5;
    default:
        return 0;
    }
}

static bool is_heading(GumboTag tag)
{
    return tag >= GUMBO_TAG_H1 && tag <= GUMBO_TAG_H6;
}

static float link_density(const xnode *e)
{
    return e->chars ? (float)e->link / (float)e->chars : 0.0f;
}

static void score_paragraphs(tree *t)
{
    xnode *x = t->x;
    for (uint32_t i = 0; i < t->n;) {
        xnode *e = &x[i];
        if (e->flags & F_DROP) {
            i = e->end;
            continue;
        }
        i++;
        if (!(e->flags & F_PARA))
            continue;
        GumboTag tag = e->tag;
        if ((tag == GUMBO_TAG_LI || is_heading(tag)) && e->inl < 80)
            continue;
        uint32_t len = e->inl;
        float s = 1.0f + (float)e->inl_punct + (float)(len / 100 < 3 ? len / 100 : 3);
        uint32_t a = e->parent;
        for (int level = 0; level < 5 && a != NO_NODE; level++, a = x[a].parent) {
            xnode *c = &x[a];
            if (!(c->flags & F_CAND)) {
                c->flags |= F_CAND;
                c->score = (float)(tag_score(c->tag) + c->weight);
            }
            c->score += level == 0 ? s : level == 1 ? s / 2 : s / (float)(level * 3);
        }
    }
    for (uint32_t i = 0; i < t->n; i++)
        if (x[i].flags & F_CAND)
            x[i].score *= 1.0f - link_density(&x[i]);
}

/* The number of element children of a node that are not dropped. */
static uint32_t kept_children(const tree *t, uint32_t p, uint32_t *only)
{
    uint32_t n = 0;
    for (uint32_t c = p + 1; c < t->x[p].end; c = t->x[c].end) {
        if (t->x[c].text || (t->x[c].flags & F_DROP))
            continue;
        n++;
        *only = c;
    }
    return n;
}

/* The best candidate, moved up as Readability does; NO_NODE when no
 * paragraph scored. */
static uint32_t top_candidate(const tree *t)
{
    const xnode *x = t->x;
    uint32_t top5[5] = {NO_NODE, NO_NODE, NO_NODE, NO_NODE, NO_NODE};
    for (uint32_t i = 0; i < t->n; i++) {
        if (!(x[i].flags & F_CAND) || (x[i].flags & F_DROP))
            continue;
        for (int k = 0; k < 5; k++) {
            if (top5[k] == NO_NODE || x[i].score > x[top5[k]].score) {
                memmove(top5 + k + 1, top5 + k, (size_t)(4 - k) * sizeof *top5);
                top5[k] = i;
                break;
            }
        }
    }
    uint32_t top = top5[0];
    if (top == NO_NODE)
        return NO_NODE;
    /* Several near-best candidates under one ancestor: the ancestor. */
    uint32_t alts[4];
    int n_alts = 0;
    for (int k = 1; k < 5; k++)
        if (top5[k] != NO_NODE && x[top5[k]].score >= 0.75f * x[top].score)
            alts[n_alts++] = top5[k];
    if (n_alts >= 3) {
        for (uint32_t a = x[top].parent; a != NO_NODE && a != 0; a = x[a].parent) {
            int inside = 0;
            for (int k = 0; k < n_alts; k++)
                inside += contains(t, a, alts[k]);
            if (inside >= 3) {
                top = a;
                break;
            }
        }
    }
    /* Up while the parent scores higher, down to a third of the best. */
    float last = x[top].score, floor = last / 3;
    for (uint32_t p = x[top].parent; p != NO_NODE && p != 0; p = x[p].parent) {
        if (!(x[p].flags & F_CAND))
            continue;
        if (x[p].score < floor)
            break;
        if (x[p].score > last) {
            top = p;
            break;
        }
        last = x[p].score;
    }
    uint32_t only = NO_NODE;
    while (x[top].parent != NO_NODE && x[top].parent != 0 &&
           kept_children(t, x[top].parent, &only) == 1)
        top = x[top].parent;
    return top;
}

static bool same_class(const xnode *a, const xnode *b)
{
    const char *ca = extract_attr(a->g, "class"), *cb = extract_attr(b->g, "class");
    return ca && cb && *ca && strcmp(ca, cb) == 0;
}

/* Whether a text block ends a sentence ("." at the end or before a space). */
static bool has_sentence(const tree *t, uint32_t i)
{
    for (uint32_t k = i; k < t->x[i].end; k++) {
        const char *s = t->x[k].text;
        if (!s)
            continue;
        const char *dot = strchr(s, '.');
        while (dot) {
            if (dot[1] == '\0' || is_space(dot[1]))
                return true;
            dot = strchr(dot + 1, '.');
        }
    }
    return false;
}

/* The top candidate and the siblings that join it, in document order. */
static size_t with_siblings(const tree *t, uint32_t top, uint32_t *out, size_t cap)
{
    const xnode *x = t->x;
    uint32_t p = x[top].parent;
    if (p == NO_NODE) {
        out[0] = top;
        return 1;
    }
    float threshold = x[top].score * 0.2f > 10 ? x[top].score * 0.2f : 10;
    size_t n = 0;
    for (uint32_t c = p + 1; c < x[p].end && n < cap; c = x[c].end) {
        const xnode *s = &x[c];
        if (s->text || (s->flags & F_DROP))
            continue;
        bool take = c == top;
        if (!take && (s->flags & F_CAND)) {
            float bonus = same_class(s, &x[top]) ? x[top].score * 0.2f : 0;
            take = s->score + bonus >= threshold;
        }
        if (!take && s->chars > 0) {
            /* Text made of paragraphs: a lead in a block of its own. */
            float ld = link_density(s);
            take = (s->chars > 80 && ld < 0.25f && s->ptext * 10 >= s->chars * 8 &&
                    ((s->flags & F_PARA) || c < top)) ||
                   ((s->flags & F_PARA) && s->chars < 80 && s->link == 0 && has_sentence(t, c));
        }
        if (take)
            out[n++] = c;
    }
    return n;
}

/* --- the text (steps 5 and 6) ------------------------------------------------- */

typedef struct text_out {
    render_buf b; /* the text; b.failed: memory ran out */
    bool space;   /* a space is due before the next word */
    size_t chars, link_chars;
    bool prune;                   /* leave out link lines (step 5) */
    size_t line_start;            /* the offset in b where the line being written starts */
    size_t line_chars, line_link; /* its characters, and of them inside links */
    uint16_t line_block;          /* the tag of the block its first text is in */
    bool line_br;                 /* a <br> starts or ends it: a part of a paragraph */
} text_out;

static void put(text_out *o, const char *s, size_t n)
{
    render_buf_add(&o->b, s, n);
}

/* Whether the line being written ends a sentence: ". ! ? …" before any
 * closing quotes, brackets and spaces. */
static bool line_ends_sentence(const text_out *o)
{
    size_t n = o->b.len;
    const unsigned char *d = (const unsigned char *)o->b.data;
    while (n > o->line_start) {
        unsigned char c = d[n - 1];
        if (c == ' ' || c == '"' || c == '\'' || c == ')' || c == ']')
            n--;
        else if (n - o->line_start >= 2 && d[n - 2] == 0xC2 && (c == 0xBB || c == 0xAB))
            n -= 2; /* » « */
        else if (n - o->line_start >= 3 && d[n - 3] == 0xE2 && d[n - 2] == 0x80 &&
                 (c == 0x9D || c == 0x9C || c == 0x99 || c == 0x98))
            n -= 3; /* ” “ ’ ‘ */
        else
            break;
    }
    if (n == o->line_start)
        return false;
    unsigned char c = d[n - 1];
    return c == '.' || c == '!' || c == '?' ||
           (n - o->line_start >= 3 && d[n - 3] == 0xE2 && d[n - 2] == 0x80 && c == 0xA6);
}

/* Whether the line being written points to another page rather than
 * saying something (step 5): a short line of a paragraph or a div (not a
 * list item, cell or heading) holding a link, made of it, or a whole
 * paragraph of a title and a link without a sentence ("Weitere
 * Informationen auf der Website des Verbands.", "Der Haushalt: <a>die
 * Zahlen</a>"; a sentence a <br> cuts in two goes on after it). */
static bool is_link_line(const text_out *o)
{
    if (o->line_link == 0 || o->line_chars > LINK_LINE_MAX_CHARS)
        return false;
    GumboTag b = (GumboTag)o->line_block;
    if (b != GUMBO_TAG_P && b != GUMBO_TAG_DIV && b != GUMBO_TAG_SECTION && b != GUMBO_TAG_CENTER)
        return false;
    return o->line_link * 10 >= o->line_chars * 9 ||
           (o->line_link * 3 >= o->line_chars && !o->line_br && !line_ends_sentence(o));
}

/* Ends the line being written; `br` when a <br> ends it. */
/* Whether the line being written is a photo credit (step 5): at most
 * CREDIT_LINE_MAX_CHARS characters ending in one of extract_credit_words
 * (at the line's start, or after a space or '(') with ':' and a name of at
 * most 60 bytes ("Foto: Andina", "Le port. Photo : J. Dupont", "(Bild: X)"),
 * or starting with "©". */
static bool is_credit_line(const text_out *o)
{
    if (o->line_chars > CREDIT_LINE_MAX_CHARS)
        return false;
    const char *line = o->b.data + o->line_start, *end = o->b.data + o->b.len;
    if (end - line >= 2 && (unsigned char)line[0] == 0xC2 && (unsigned char)line[1] == 0xA9)
        return true;
    const char *colon = NULL;
    for (const char *c = end; c > line && end - c <= 60; c--)
        if (c[-1] == ':')
            colon = c - 1;
    if (!colon || colon + 1 >= end)
        return false;
    const char *w = colon;
    while (w > line && w[-1] == ' ')
        w--;
    const char *word_end = w;
    while (w > line && w[-1] != ' ' && w[-1] != '(' && w[-1] != '|')
        w--;
    for (size_t i = 0; extract_credit_words[i]; i++) {
        size_t n = strlen(extract_credit_words[i]);
        if ((size_t)(word_end - w) == n && strncasecmp(w, extract_credit_words[i], n) == 0)
            return true;
    }
    return false;
}

static void end_line(text_out *o, bool br)
{
    o->space = false;
    o->line_br = o->line_br || br;
    if (o->line_chars == 0)
        return; /* the line after a <br> is still to come */
    if (o->prune && (is_link_line(o) || is_credit_line(o))) {
        o->b.len = o->line_start;
        o->b.data[o->b.len] = '\0';
        o->chars -= o->line_chars;
        o->link_chars -= o->line_link;
    }
    if (o->b.len > 0 && o->b.data[o->b.len - 1] != '\n')
        put(o, "\n", 1);
    o->line_start = o->b.len;
    o->line_chars = o->line_link = 0;
    o->line_br = br;
}

static void line_break(text_out *o)
{
    end_line(o, false);
}

static void add_text(text_out *o, const char *s, bool pre, bool link)
{
    while (*s) {
        if (pre && *s == '\n') {
            line_break(o);
            s++;
        } else if (is_space(*s)) {
            o->space = true;
            s++;
        } else {
            const char *e = s;
            while (*e && !is_space(*e))
                e++;
            if (o->space && o->b.len > 0 && o->b.data[o->b.len - 1] != '\n') {
                put(o, " ", 1);
                o->chars++;
                o->link_chars += link;
                o->line_chars++;
                o->line_link += link;
            }
            o->space = false;
            put(o, s, (size_t)(e - s));
            size_t cps = 0;
            for (const char *c = s; c < e; c++)
                cps += ((unsigned char)*c & 0xC0) != 0x80;
            o->chars += cps;
            o->line_chars += cps;
            if (link) {
                o->link_chars += cps;
                o->line_link += cps;
            }
            s = e;
        }
    }
}

/* The folded text of a subtree, at most cap - 1 bytes. */
static void folded_text(const tree *t, uint32_t i, char *out, size_t cap)
{
    size_t o = 0;
    bool space = false;
    out[0] = '\0';
    for (uint32_t k = i + 1; k < t->x[i].end && o + 8 < cap;) {
        const xnode *e = &t->x[k];
        if (!e->text && (e->flags & F_DROP)) {
            k = e->end;
            continue;
        }
        if (e->text)
            o = fold_into(e->text, strlen(e->text), out, o, cap, &space);
        else if (e->flags & F_BLOCK)
            space = o > 0;
        k++;
    }
}

static bool is_phrase(const char *folded)
{
    for (size_t i = 0; extract_box_phrases[i]; i++)
        if (strcmp(folded, extract_box_phrases[i]) == 0)
            return true;
    return false;
}

/* Whether the folded text starts with a word that opens a box of other
 * pages ("Weitere Artikel", "More from Wired", "Autres articles"). */
static bool starts_like_label(const char *folded)
{
    for (size_t i = 0; extract_label_starts[i]; i++) {
        size_t n = strlen(extract_label_starts[i]);
        if (strncmp(folded, extract_label_starts[i], n) == 0 && (folded[n] == ' ' || !folded[n]))
            return true;
    }
    return false;
}

/* Whether the folded text starts with a phrase as a whole word, and the
 * raw text has a separator right after it (":" "-" "»" ">" "|"). */
static bool starts_with_phrase(const char *folded)
{
    for (size_t i = 0; extract_box_phrases[i]; i++) {
        size_t n = strlen(extract_box_phrases[i]);
        if (strncmp(folded, extract_box_phrases[i], n) == 0 && folded[n] == ' ')
            return true;
    }
    return false;
}

/* The raw first characters of a subtree's text, after its first `skip`
 * letters and digits, to see the separator that follows a phrase. */
static char separator_after(const tree *t, uint32_t i, size_t words)
{
    size_t seen = 0;
    bool in_word = false;
    for (uint32_t k = i + 1; k < t->x[i].end; k++) {
        const char *s = t->x[k].text;
        if (!s || (t->x[k].flags & F_DROP))
            continue;
        size_t left = strlen(s);
        for (; *s; s++) {
            size_t len;
            uint32_t cp = decode((const unsigned char *)s, left, &len);
            left -= len;
            bool sep = is_separator(cp);
            if (!sep && !in_word)
                seen++;
            in_word = !sep;
            if (seen > words)
                return 0;
            if (seen == words && sep && !is_space(*s) && cp != 0xA0 && cp != '\'' && cp != 0x2019)
                return *s;
            s += len - 1;
        }
    }
    return seen == words ? '\n' : 0;
}

static size_t count_words(const char *folded)
{
    size_t n = *folded ? 1 : 0;
    for (; *folded; folded++)
        n += *folded == ' ';
    return n;
}

/* The nearest block at or above i. */
static uint32_t block_of(const tree *t, uint32_t i)
{
    while (i != NO_NODE && !(t->x[i].flags & F_BLOCK))
        i = t->x[i].parent;
    return i;
}

/* The next element sibling that is not dropped, or NO_NODE. */
static uint32_t next_element(const tree *t, uint32_t i)
{
    uint32_t p = t->x[i].parent;
    if (p == NO_NODE)
        return NO_NODE;
    for (uint32_t c = t->x[i].end; c < t->x[p].end; c = t->x[c].end)
        if (!t->x[c].text && !(t->x[c].flags & F_DROP))
            return c;
    return NO_NODE;
}

/* Elements that hold blocks rather than text (step 5). */
static bool is_container(GumboTag tag)
{
    return tag == GUMBO_TAG_DIV || tag == GUMBO_TAG_SECTION || tag == GUMBO_TAG_UL ||
           tag == GUMBO_TAG_OL || tag == GUMBO_TAG_TABLE || tag == GUMBO_TAG_DL;
}

static bool link_dense(const xnode *e)
{
    return e->chars > 0 && e->link * 2 > e->chars;
}

/* Marks what is left out inside the root r (step 5). */
static void cut_boxes(tree *t, uint32_t r)
{
    xnode *x = t->x;
    char folded[128];
    for (uint32_t i = r + 1; i < x[r].end;) {
        xnode *e = &x[i];
        if (e->text || (e->flags & (F_DROP | F_CUT))) {
            i = e->text ? i + 1 : e->end;
            continue;
        }
        if ((e->flags & F_IMG) && (e->tag == GUMBO_TAG_DIV || e->tag == GUMBO_TAG_SPAN) &&
            e->chars > 0 && e->chars < CAPTION_MAX_CHARS) {
            /* An image and its legend. */
            e->flags |= F_CUT;
            i = e->end;
            continue;
        }
        if ((e->flags & F_IMG_BELOW) && (e->tag == GUMBO_TAG_DIV || e->tag == GUMBO_TAG_SECTION) &&
            e->chars > 0 && e->chars < MEDIA_BOX_MAX_CHARS && !has_sentence(t, i)) {
            /* A photo box: images with a title and buttons, no sentence. */
            e->flags |= F_CUT;
            i = e->end;
            continue;
        }
        if ((e->flags & F_BLOCK) &&
            (link_dense(e) || (is_container(e->tag) && e->weight < 25 && e->chars > 0 &&
                               e->link * 100 > e->chars * CONTAINER_MAX_LINKS))) {
            e->flags |= F_CUT;
            i = e->end;
            continue;
        }
        if (e->chars > 0 && e->chars <= 60) {
            folded_text(t, i, folded, sizeof folded);
            bool phrase = is_phrase(folded);
            if (phrase || (starts_like_label(folded) && count_words(folded) <= 5)) {
                /* A label: drop the small box it opens.  A label only by
                 * its first word ("Weitere Artikel") must open links. */
                uint32_t b = block_of(t, i), p = x[i].parent;
                uint32_t box = NO_NODE, next = next_element(t, i);
                bool links_after = next != NO_NODE && link_dense(&x[next]);
                if (b != i && b != NO_NODE && b != r && contains(t, r, b) &&
                    x[b].chars <= e->chars + 300 &&
                    (phrase || (x[b].link - x[i].link) * 2 >= x[b].chars - x[i].chars))
                    box = b;
                else if (b == i && p != r && contains(t, r, p) &&
                         ((phrase && x[p].chars <= e->chars + 600) ||
                          (x[p].chars > x[i].chars &&
                           (x[p].link - x[i].link) * 2 >= x[p].chars - x[i].chars)))
                    box = p;
                if (box != NO_NODE) {
                    x[box].flags |= F_CUT;
                    i = x[box].end;
                    continue;
                }
                if (phrase || links_after || (p != NO_NODE && x[p].chars <= x[i].chars)) {
                    e->flags |= F_CUT;
                    if (next != NO_NODE &&
                        (links_after || x[next].tag == GUMBO_TAG_UL || x[next].tag == GUMBO_TAG_OL))
                        x[next].flags |= F_CUT;
                    i = e->end;
                    continue;
                }
            }
        }
        if ((e->flags & F_BLOCK) && e->chars <= 300 && e->link > 0) {
            folded_text(t, i, folded, sizeof folded);
            if (starts_with_phrase(folded)) {
                size_t words = 0;
                for (size_t k = 0; extract_box_phrases[k]; k++) {
                    size_t n = strlen(extract_box_phrases[k]);
                    if (strncmp(folded, extract_box_phrases[k], n) == 0 && folded[n] == ' ')
                        words = count_words(extract_box_phrases[k]) > words
                                    ? count_words(extract_box_phrases[k])
                                    : words;
                }
                char sep = separator_after(t, i, words);
                if (sep || e->link * 2 >= e->chars) {
                    e->flags |= F_CUT;
                    i = e->end;
                    continue;
                }
            }
        }
        i++;
    }
}

/* Whether folded text holds one of extract_call_phrases as whole words. */
static bool has_call_phrase(const char *folded)
{
    for (size_t i = 0; extract_call_phrases[i]; i++) {
        size_t n = strlen(extract_call_phrases[i]);
        for (const char *f = strstr(folded, extract_call_phrases[i]); f;
             f = strstr(f + 1, extract_call_phrases[i]))
            if ((f == folded || f[-1] == ' ') && (f[n] == ' ' || f[n] == '\0'))
                return true;
    }
    return false;
}

/* Leaves out the calls to action that end the text (step 5): of the last
 * CALL_LAST_BLOCKS blocks with text of their own, those of at most
 * CALL_MAX_CHARS characters holding one of extract_call_phrases. */
static void cut_calls_to_action(tree *t, const uint32_t *roots, size_t n_roots)
{
    xnode *x = t->x;
    uint32_t last[CALL_LAST_BLOCKS];
    size_t n = 0;
    for (size_t k = 0; k < n_roots; k++)
        for (uint32_t i = roots[k]; i < x[roots[k]].end;) {
            if (x[i].text) {
                i++;
                continue;
            }
            if (i != roots[k] && (x[i].flags & (F_DROP | F_CUT))) {
                i = x[i].end;
                continue;
            }
            if ((x[i].flags & F_BLOCK) && x[i].inl > 0) {
                memmove(last, last + (n == CALL_LAST_BLOCKS),
                        (n - (n == CALL_LAST_BLOCKS)) * sizeof *last);
                last[n - (n == CALL_LAST_BLOCKS)] = i;
                n += n < CALL_LAST_BLOCKS;
            }
            i++;
        }
    char folded[4 * CALL_MAX_CHARS];
    for (size_t k = 0; k < n; k++) {
        if (x[last[k]].chars > CALL_MAX_CHARS)
            continue;
        folded_text(t, last[k], folded, sizeof folded);
        if (has_call_phrase(folded))
            x[last[k]].flags |= F_CUT;
    }
}

/* Writes the text of the subtree r, leaving out what is dropped or cut. */
static void write_text(const tree *t, uint32_t r, text_out *o, uint32_t *opened)
{
    const xnode *x = t->x;
    size_t depth = 0;
    line_break(o);
    for (uint32_t i = r; i < x[r].end;) {
        while (depth > 0 && opened[depth - 1] <= i) {
            depth--;
            line_break(o);
        }
        const xnode *e = &x[i];
        if (e->text) {
            if (o->line_chars == 0) {
                uint32_t b = block_of(t, i);
                o->line_block = (e->flags & F_PRE) || b == NO_NODE ? GUMBO_TAG_PRE : x[b].tag;
            }
            add_text(o, e->text, e->flags & F_PRE, e->flags & F_LINK);
            i++;
            continue;
        }
        if (i != r && (e->flags & (F_DROP | F_CUT))) {
            if (e->flags & F_BLOCK)
                line_break(o);
            else
                o->space = true;
            i = e->end;
            continue;
        }
        if (e->flags & F_BLOCK) {
            end_line(o, e->tag == GUMBO_TAG_BR);
            opened[depth++] = e->end;
        } else if (e->tag == GUMBO_TAG_TD || e->tag == GUMBO_TAG_TH) {
            o->space = true;
        }
        i++;
    }
    line_break(o);
}

/* The first <h1> of the page when no dropped box holds it, else NO_NODE. */
static uint32_t first_h1(const tree *t)
{
    const xnode *x = t->x;
    uint32_t h = NO_NODE;
    for (uint32_t i = 0; i < t->n && h == NO_NODE; i++)
        if (x[i].tag == GUMBO_TAG_H1 && !x[i].text)
            h = i;
    for (uint32_t a = h == NO_NODE ? NO_NODE : x[h].parent; a != NO_NODE; a = x[a].parent)
        if (x[a].flags & F_DROP)
            return NO_NODE;
    return h;
}

/* The lead of the article when it sits outside the text taken, next to
 * the headline: the block right after the first <h1>, when the roots hold
 * neither, made of a paragraph of 80 characters or more without links. */
static uint32_t lead_outside(const tree *t, const uint32_t *roots, size_t n_roots)
{
    const xnode *x = t->x;
    uint32_t h = first_h1(t);
    if (h == NO_NODE)
        return NO_NODE;
    uint32_t lead = next_element(t, h);
    if (lead == NO_NODE || !(x[lead].flags & F_BLOCK) || x[lead].chars < 80 || x[lead].link ||
        x[lead].ptext * 10 < x[lead].chars * 8)
        return NO_NODE;
    for (size_t k = 0; k < n_roots; k++)
        if (contains(t, roots[k], h) || contains(t, roots[k], lead) || contains(t, lead, roots[k]))
            return NO_NODE;
    return lead;
}

/* The first <h1> of the page when no box holds it and it sits in the text
 * taken or at most EXTRACT_H1_LEVELS levels above it; else NO_NODE. */
static uint32_t article_h1(const tree *t, const uint32_t *roots, size_t n_roots)
{
    const xnode *x = t->x;
    uint32_t h = first_h1(t);
    if (h == NO_NODE || n_roots == 0)
        return NO_NODE;
    uint32_t a = roots[0];
    for (int level = 0; level <= EXTRACT_H1_LEVELS && a != NO_NODE; level++, a = x[a].parent)
        if (contains(t, a, h))
            return h;
    return NO_NODE;
}

/* --- choosing the root (step 4) ----------------------------------------------- */

static void describe(char *out, size_t size, const char *prefix, const xnode *e)
{
    const char *name = gumbo_normalized_tagname((GumboTag)e->tag);
    const char *id = extract_attr(e->g, "id"), *cls = extract_attr(e->g, "class");
    if (id && *id)
        snprintf(out, size, "%s<%s id=\"%.60s\">", prefix, name, id);
    else if (cls && *cls)
        snprintf(out, size, "%s<%s class=\"%.60s\">", prefix, name, cls);
    else
        snprintf(out, size, "%s<%s>", prefix, name);
}

kq_status extract_main_text(const GumboNode *root, extract_result *out)
{
    kq_status st = KQ_OK;
    tree t = {0};
    uint32_t *roots = NULL, *props = NULL;
    size_t n_roots = 0, n_props = 0;
    bool signal = false; /* the text taken is what the page marks as its article */
    text_out o = {0};
    o.prune = true;
    memset(out, 0, sizeof *out);

    build(&t, root);
    if (t.failed)
        goto nomem;
    aggregate(&t, false);
    decide_drops(&t);
    aggregate(&t, true);
    score_paragraphs(&t);

    xnode *x = t.x;
    roots = malloc((t.n + 1) * sizeof *roots);
    props = malloc((t.n + 1) * sizeof *props);
    if (!roots || !props)
        goto nomem;
    /* The page's signals: the article body parts, the best <article>, <main>. */
    uint32_t article = NO_NODE, main_el = NO_NODE;
    uint64_t props_ptext = 0;
    for (uint32_t i = 0; i < t.n;) {
        xnode *e = &x[i];
        if (e->text || (e->flags & F_DROP)) {
            i = e->text ? i + 1 : e->end;
            continue;
        }
        if (e->flags & F_BODYPROP) {
            props[n_props++] = i;
            props_ptext += e->ptext;
            i = e->end;
            continue;
        }
        if (e->tag == GUMBO_TAG_ARTICLE && e->chars > 0 &&
            (article == NO_NODE || e->ptext > x[article].ptext ||
             (e->ptext == x[article].ptext && e->chars > x[article].chars) ||
             (contains(&t, article, i) && e->ptext * 10 >= x[article].ptext * 9)))
            article = i;
        const char *role = extract_attr(e->g, "role");
        if (main_el == NO_NODE &&
            (e->tag == GUMBO_TAG_MAIN || (role && extract_has_token(role, "main"))))
            main_el = i;
        i++;
    }
    uint32_t top = top_candidate(&t);
    if (top != NO_NODE) {
        n_roots = with_siblings(&t, top, roots, t.n);
        uint64_t scored = 0;
        for (size_t k = 0; k < n_roots; k++)
            scored += x[roots[k]].ptext;
        bool props_hold = false;
        for (size_t k = 0; k < n_props; k++)
            props_hold = props_hold || contains(&t, props[k], top);
        if (n_props && props_ptext > 0 && (props_hold || props_ptext * 10 >= scored * 7)) {
            memcpy(roots, props, n_props * sizeof *roots);
            n_roots = n_props;
            signal = true;
            snprintf(out->source, sizeof out->source, "itemprop=articleBody");
        } else if (article != NO_NODE &&
                   (contains(&t, article, top) || x[article].ptext * 10 >= scored * 7)) {
            roots[0] = article;
            n_roots = 1;
            signal = true;
            describe(out->source, sizeof out->source, "", &x[article]);
        } else {
            describe(out->source, sizeof out->source, "scored ", &x[top]);
            if (n_roots > 1) {
                size_t l = strlen(out->source);
                snprintf(out->source + l, sizeof out->source - l, " and %zu siblings", n_roots - 1);
            }
        }
    } else if (n_props) {
        memcpy(roots, props, n_props * sizeof *roots);
        n_roots = n_props;
        signal = true;
        snprintf(out->source, sizeof out->source, "itemprop=articleBody");
    } else {
        roots[0] = article != NO_NODE ? article : main_el != NO_NODE ? main_el : 0;
        n_roots = 1;
        signal = article != NO_NODE;
        describe(out->source, sizeof out->source, "", &x[roots[0]]);
    }
    uint32_t h1 = article_h1(&t, roots, n_roots);
    if (h1 != NO_NODE && !(out->h1 = extract_node_text(x[h1].g)))
        goto nomem;
    uint32_t lead = lead_outside(&t, roots, n_roots);
    if (lead != NO_NODE)
        write_text(&t, lead, &o, props);
    for (size_t k = 0; k < n_roots; k++)
        cut_boxes(&t, roots[k]);
    cut_calls_to_action(&t, roots, n_roots);
    for (size_t k = 0; k < n_roots; k++)
        write_text(&t, roots[k], &o, props);
    while (o.b.len > 0 && o.b.data[o.b.len - 1] == '\n')
        o.b.data[--o.b.len] = '\0';
    if (!o.b.data)
        put(&o, "", 0);
    if (o.b.failed)
        goto nomem;
    out->text = o.b.data;
    o.b.data = NULL;
    out->chars = o.chars;
    out->link_chars = o.link_chars;
    if (out->chars - out->link_chars < (signal ? (size_t)MIN_PARA : (size_t)EXTRACT_MIN_CHARS))
        out->no_article = x[0].chars > 0 && x[0].link * 2 > x[0].chars
                              ? "no article text: the page is mostly links (a section front or "
                                "a list of links)"
                              : "no article text: too little text outside menus and links (an "
                                "empty, error or index page)";
    goto out;
nomem:
    st = KQ_ERR_NOMEM;
    extract_result_clear(out);
out:
    free(o.b.data);
    free(roots);
    free(props);
    free(t.x);
    return st;
}

void extract_result_clear(extract_result *r)
{
    if (!r)
        return;
    free(r->text);
    free(r->h1);
    memset(r, 0, sizeof *r);
}

char *extract_node_text(const GumboNode *n)
{
    tree t = {0};
    text_out o = {0};
    uint32_t *opened = NULL;
    build(&t, n);
    if (!t.failed)
        opened = malloc((t.n + 1) * sizeof *opened);
    if (opened) {
        write_text(&t, 0, &o, opened);
        while (o.b.len > 0 && o.b.data[o.b.len - 1] == '\n')
            o.b.data[--o.b.len] = '\0';
        if (!o.b.data)
            put(&o, "", 0);
    }
    free(opened);
    free(t.x);
    if (t.failed || !opened || o.b.failed) {
        free(o.b.data);
        return NULL;
    }
    return o.b.data;
}
