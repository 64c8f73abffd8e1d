/* html: reads a published news page (HTML) into an article, with a real HTML parser (gumbo). */
#ifndef KIOSQUE_HTML_H
#define KIOSQUE_HTML_H

#include <stddef.h>
#include "article.h"
#include "status.h"

/* What a page gives, in order of preference, field by field:
 *
 *   1. its JSON-LD article: a <script type="application/ld+json"> holding an
 *      object, an array, an "@graph" or a WebPage's "mainEntity" whose @type
 *      is NewsArticle, Article, BlogPosting, LiveBlogPosting, Report or any
 *      other type ending in "Article" (a *NewsArticle type first).  It is
 *      read exactly like a line of a JSON Lines export (article.h), so a
 *      page and the export of the same article give the same content hash.
 *      Author references to a Person of the @graph are resolved to its name;
 *      a headline missing but a "name" present gives the headline.
 *   2. then, for each property the JSON-LD lacks, the page's meta tags:
 *        headline     og:title, twitter:title, <title> (a trailing
 *                     " - og:site_name" cut), the first <h1>
 *        description  og:description, <meta name=description>, twitter:description
 *        url          <link rel=canonical>, og:url
 *        datePublished article:published_time, itemprop=datePublished (meta or
 *                     <time datetime>), <meta name=date|pubdate|dc.date.issued>
 *        dateModified article:modified_time, og:updated_time, itemprop=dateModified
 *        section      every article:section
 *        author       every article:author that is not a URL, else <meta name=author>
 *        keywords     every article:tag, else <meta name=keywords|news_keywords>
 *        inLanguage   <html lang>, else og:locale (fr_FR becomes fr-FR)
 *   3. the article body, when the JSON-LD has none: the page's main text
 *      (html_main_text).
 *
 * The identifier is the JSON-LD's identifier, @id or url; else the
 * canonical link or og:url; else `fallback_id` (the indexer passes the
 * file's absolute path).
 *
 * Encoding: pages are read as UTF-8 (a byte-order mark is skipped).  In a
 * page that is not valid UTF-8, each byte that does not start a valid UTF-8
 * sequence is read as Windows-1252 (which covers ISO-8859-1; ISO-8859-15
 * when the page declares it), the usual encoding of older French pages: "é"
 * written as the byte 0xE9 is repaired, not dropped, and a UTF-8 page with
 * one stray Latin-1 byte keeps its other letters.  A page declaring any
 * other charset, and binary data (a NUL byte, or more than 1% of control
 * bytes), is rejected. */

/* The largest page read, in bytes; larger files are rejected. */
#define HTML_MAX_PAGE (64u * 1024u * 1024u)

/* Fills *out (zeroed or cleared first) from the page html[0..len).  Returns
 * KQ_OK; KQ_ERR_NOT_FOUND when the page says it is not an article (no
 * JSON-LD article, no <article> and an og:type other than "article": a home
 * or section page, which a folder of pages holds besides its articles);
 * KQ_ERR_INVALID when it should be an article but gives none (binary data,
 * unsupported charset, no headline...); or KQ_ERR_NOMEM.  err receives a
 * one-line reason.  *out is left cleared on failure. */
kq_status html_read_article(const char *html, size_t len, const char *fallback_id, article *out,
                            char *err, size_t err_size);

/* Reads the page at `path` with html_read_article, its absolute path as the
 * fallback identifier.  KQ_ERR_IO when the file cannot be read (err says
 * why), KQ_ERR_INVALID when it is rejected (too large, or as above),
 * KQ_ERR_NOT_FOUND as above. */
kq_status html_read_file(const char *path, article *out, char *err, size_t err_size);

/* The main text of a page, as plain UTF-8 paragraphs separated by '\n'
 * (white space collapsed, blank lines dropped).  Taken from the elements
 * with itemprop=articleBody, else the <article> with the most text, else
 * <main> (or role=main), else <body>; in all of them, what is not article
 * text is left out: script, style, nav, header, footer, aside, form,
 * figure, h1 (the headline), hidden elements, role=navigation, complementary,
 * banner, contentinfo, search, and elements whose class or id holds one of
 * the words of html_boilerplate_words as a whole dash- or underscore-
 * separated part ("read-also", "article__related", not "unrelated"; tokens
 * starting with "has-", "with-", "no-" or "is-" describe a layout and are
 * ignored).  Class and id words are a guess: when they would leave a root
 * with no text at all, that root is read again without them.
 * The input must be UTF-8.  Returns a string the caller frees with free()
 * ("" when the page has no text), or NULL when out of memory. */
char *html_main_text(const char *html, size_t len);

/* The class and id words that mark boilerplate, NULL-terminated. */
extern const char *const html_boilerplate_words[];

/* Whether a file name ends in .html or .htm (any case). */
int html_is_page_name(const char *name);

#endif
