/* extract: finds the main text of a web page in gumbo's tree: the article, without its menus,
 * boxes and footers. */
#ifndef KIOSQUE_EXTRACT_H
#define KIOSQUE_EXTRACT_H

#include <gumbo.h>
#include <stddef.h>
#include "status.h"

/* The method, after Mozilla Readability (candidate scoring), jusText (text
 * blocks and link density) and trafilatura (the page's own markup first,
 * boilerplate pruned inside the article too).  No rule names a site.
 *
 * 1. A mirror of the tree.  Elements that never hold text (script, style,
 *    svg, iframe, form controls and their labels, media, ruby annotations)
 *    are left out.  Every other node is marked:
 *      box      nav, aside, footer, menu, dialog; <header> outside <article>
 *               and <main>; a <form>; role navigation, complementary,
 *               banner, contentinfo, search, menu, dialog, alert...; a
 *               class or id holding one of extract_box_words as a whole
 *               part ("article__related-links" and "relatedPosts" hold
 *               "related", "unrelated" does not; parts split at '-', '_'
 *               and lower-to-upper case changes; tokens starting with
 *               "has-", "with-", "no-", "is-" describe a layout and are
 *               ignored; a custom element's tag name, "related-stories"
 *               or "np-inline-teaser", is read as one more class); a
 *               class or id of extract_caption_words
 *               ("caption", "legende") but on a heading, where it is a
 *               type style; of extract_teaser_words when the element
 *               holds a link (a promotion of another page; a "teaser-text"
 *               without links is the lead; a custom element with an href
 *               is a link);
 *      hidden   the hidden attribute, aria-hidden="true", an inline style
 *               display:none or visibility:hidden, or a class that hides
 *               (hidden, sr-only, visually-hidden, screen-reader-text...);
 *      gone     the <h1> (it is the headline, indexed as such; the first
 *               <h1>, when no box holds it and it sits at most
 *               EXTRACT_H1_LEVELS above the text taken, is given apart as
 *               extract_result.h1), figures and their captions (photo
 *               credits).
 *    A box or hidden element is dropped with all it holds, unless it holds
 *    at least half of the page's paragraph text (step 2), or 80% of its
 *    text when it has no paragraph: then the mark is wrong (a wrapper named
 *    "sidebar-on", a page hidden until a script runs).  A <form> is
 *    dropped unless it holds 300 characters of paragraph text (some pages
 *    are one form around everything).
 *
 * 2. Text blocks.  The text of a block element (p, div, li, td, h2...) that
 *    is not inside a block child is its own text.  A block whose own text
 *    has 25 characters or more is a paragraph; its paragraph text is its
 *    own text outside links (link text counts as links: the text of <a>).
 *
 * 3. Candidate scoring (Readability).  Each paragraph scores 1, plus one
 *    per comma or sentence end (. ! ? ;), plus one per 100 characters (at
 *    most 3).  Its parent gets the whole score, its grandparent half, the
 *    three ancestors above a third of that per level.  A candidate starts at
 *    a score for its tag (div +5; pre, td, blockquote +3; lists, forms -3;
 *    headings -5) and for its class and id (+25 for a word of
 *    extract_content_words, -25 for a box word or one of
 *    extract_negative_words).  The final score is multiplied by one minus
 *    the candidate's link density (link characters over characters).  The
 *    best candidate is taken, moved up to its parent while the parent scores
 *    higher (down to a third of the best, as Readability does) or when it is
 *    the only child, and its siblings join it when they score a fifth of it
 *    (plus a fifth when they share its class), or are paragraphs of over
 *    80 characters with under 25% of links (before the candidate, also a
 *    block made of such paragraphs: a lead in a block of its own), or are
 *    one short sentence without links.
 *
 * 4. The page's own signals come first when they agree with the text: the
 *    elements with itemprop="articleBody" (all of them), else the <article>
 *    with the most paragraph text, are taken instead of the scored
 *    candidate when they hold it or when they hold at least 70% of its
 *    paragraph text (an itemprop on the first paragraph only, or a teaser
 *    <article>, is not enough).  When no paragraph scores, the article
 *    body, <article>, <main> (or role=main), then <body> are taken as they
 *    are.  (The JSON-LD articleBody is weighed against this text by
 *    html.c.)
 *
 * 5. Inside the text taken, still left out: blocks whose text is mostly
 *    links (a list of other articles, a tag cloud, a "read also" line),
 *    and containers (div, section, lists, tables) with over 25% of links
 *    and no content word in their class (Readability's conditional
 *    cleaning); an image with its legend (a div or span holding an <img>,
 *    directly or in a <picture> or a link, and under 300 characters); and
 *    the boxes a phrase announces: an
 *    element whose text is one of extract_box_phrases ("Lire aussi", "À
 *    lire aussi", "Voir aussi", "Sur le même sujet", "Abonnez-vous", "Read
 *    more", "Related articles", ...; case, accents and punctuation
 *    ignored) is dropped with the small box it opens (its parent when that
 *    holds little else, else the list or links that follow it); a short
 *    label starting with one of extract_label_starts ("Weitere Artikel",
 *    "More from", "Autres articles", at most 5 words) likewise, but only
 *    when links follow it or nothing is left beside it; and a short block
 *    starting with a phrase and a separator ("Lire aussi : <a>...</a>");
 *    a photo box (a div or section with images below it, under 150
 *    characters and no sentence: a gallery's title and buttons); and the
 *    calls to action that end the text: of its last 3 blocks with text,
 *    those of at most 300 characters holding one of extract_call_phrases
 *    ("Abonnez-vous", "download our app", "folgen Sie uns", "únete").
 *    As the text is written, a line of a paragraph or a div (not a list
 *    item, cell or heading) of at most 100 characters that points to
 *    another page is left out: 90% of it inside links, or a whole
 *    paragraph (no <br> before or after it) a third inside links and not
 *    ending a sentence ("Plus d'informations sur le site de la mairie",
 *    "Der Haushalt: <a>die Zahlen</a>", a byline "Par <a>X</a>"); and a
 *    line of at most 150 characters that is a photo credit: ending in one
 *    of extract_credit_words, ':' and a name ("Le port. Photo : J. Dupont",
 *    "(Bild: X)"), or starting with "©".
 *    Headings, lists, quotations and tables that belong to the text stay.
 *    The block right after the first <h1>, when neither is in the text
 *    taken, is put first when it is a paragraph of 80 characters or more
 *    without links: a lead set apart with the headline.

 * 6. The text is written as paragraphs separated by '\n' (white space
 *    collapsed, blank lines dropped, <pre> keeping its lines).  A page
 *    has no article (a 404 page, a page of links, a section front) when
 *    the text taken holds fewer than EXTRACT_MIN_CHARS characters outside
 *    links, or, when it is what the page marks as its article (the article
 *    body or an <article>), fewer than one paragraph (25 characters). */

/* The least text outside links an article has, in characters. */
#define EXTRACT_MIN_CHARS 150

typedef struct extract_result {
    char *text;   /* the main text, UTF-8 ("" when none); owned, freed by extract_result_clear */
    size_t chars; /* characters of text in it (white space runs count one) */
    size_t link_chars; /* of which inside links */
    char source[160];  /* where the text was found, for `indexer extract`: "itemprop=articleBody",
                          "<article class=\"...\">", "scored <div id=\"...\">", "<body>" */
    const char *no_article; /* NULL, or why the page holds no article (a static sentence) */
    char *h1; /* the text of the article's <h1> (left out of text, step 1), or NULL when the
                 first <h1> of the page is in a dropped box or far from the text taken (more
                 than EXTRACT_H1_LEVELS levels above it: a site's logo); owned */
} extract_result;

/* How far above the text taken the article's <h1> may sit, in levels of
 * elements (the headline above the text, in a header of the article). */
#define EXTRACT_H1_LEVELS 3

/* Finds the main text below `root` (a document or an element of a parsed
 * page; the text is as UTF-8 as the page given to gumbo, and the bytes
 * given to gumbo must still be alive: a custom element's name is read from
 * its original_tag).  Fills *out
 * (zeroed first).  Returns KQ_OK, or KQ_ERR_NOMEM with *out cleared. */
kq_status extract_main_text(const GumboNode *root, extract_result *out);

/* Frees what *r holds and zeroes it; extract_result_clear(NULL) does nothing. */
void extract_result_clear(extract_result *r);

/* All the text of a node (a title, a heading), as the text above is
 * written, nothing left out but what never holds text (script, style...).
 * Returns a string the caller frees with free(), or NULL when out of memory. */
char *extract_node_text(const GumboNode *n);

/* Writes into out (cap bytes, NUL-terminated, cut at a character) the
 * folded form of a UTF-8 text, as box phrases are compared: ASCII lower
 * case, Latin letters to their base letter, every run of punctuation and
 * white space one space. */
void extract_fold(const char *s, char *out, size_t cap);

/* The value of an element's attribute, or NULL (also for a node that is
 * not an element). */
const char *extract_attr(const GumboNode *n, const char *name);

/* Whether a space-separated attribute value (class, rel, itemprop, role)
 * holds `word`, ASCII case ignored. */
int extract_has_token(const char *list, const char *word);

/* The word lists of the method above, NULL-terminated, lower case. */
extern const char *const extract_box_words[];
extern const char *const extract_content_words[];
extern const char *const extract_negative_words[];
extern const char *const extract_box_phrases[];
extern const char *const extract_teaser_words[];
extern const char *const extract_caption_words[];
extern const char *const extract_label_starts[];
extern const char *const extract_call_phrases[];
extern const char *const extract_credit_words[];

#endif
