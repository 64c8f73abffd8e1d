/* html: reads a published news page (HTML) into an article, with a real HTML parser (gumbo). */
#ifndef KIOSQUE_HTML_H
#define KIOSQUE_HTML_H

#include <stddef.h>
#include "article.h"
#include "status.h"

/* What a page gives, in order of preference, field by field:
 *
 *   1. its JSON-LD article: every <script type="application/ld+json"> of
 *      the page (several blocks, each an object, an array, an "@graph" or a
 *      WebPage's "mainEntity"), the best node whose @type is NewsArticle,
 *      Article, BlogPosting, LiveBlogPosting, Report or any other type
 *      ending in "Article" (a *NewsArticle type first).  It is read exactly
 *      like a line of a JSON Lines export (article.h), so a page and the
 *      export of the same article give the same content hash.  Author
 *      references to a Person of the @graph are resolved to its name; a
 *      headline missing but a "name" present gives the headline; a relative
 *      "@id" ("#article") is not an identifier.
 *   2. then, for each property the JSON-LD lacks, the first source that
 *      has it, in this order (microdata: the itemprops of the page outside
 *      items of other types, such as the Person of an author; an item's
 *      value is its content or datetime attribute, else its text):
 *        headline     itemprop=headline; og:title, twitter:title, dc.title,
 *                     <title>, with the site's name cut off (below); the <h1>
 *        description  itemprop=description, og:description, <meta
 *                     name=description>, twitter:description, dc.description
 *        url          <link rel=canonical>, og:url
 *        datePublished article:published_time, itemprop=datePublished,
 *                     dc.date.issued, dcterms.issued|created, dc.date,
 *                     <meta name=date|pubdate>, <time pubdate>, the first
 *                     <time datetime>
 *        dateModified article:modified_time, og:updated_time,
 *                     itemprop=dateModified, dcterms.modified
 *        section      every article:section, else itemprop=articleSection
 *        author       every article:author that is not a URL, else every
 *                     itemprop=author (an author item's name), else <meta
 *                     name=author>, dc.creator, a link rel=author, an
 *                     h-card (vcard) classed "author" (its "fn")
 *        keywords     every article:tag, else itemprop=keywords,
 *                     news_keywords, keywords, dc.subject
 *        inLanguage   <html lang>, itemprop=inLanguage, dc.language,
 *                     http-equiv content-language, og:locale (fr_FR: fr-FR)
 *   3. the body (extract.h for the method): the JSON-LD articleBody when it
 *      is complete compared with the page's own main text (at least
 *      HTML_LD_BODY_SHARE percent of its characters outside links, and not
 *      ending in "…" while the page has more), else the page's main text.
 *      The article's <h1> (extract.h) opens the page's main text taken as
 *      the body (not a JSON-LD articleBody, which stays the export's) when
 *      the headline taken is another sentence (a JSON-LD or og:title
 *      headline written for search engines while the reader sees the
 *      <h1>), unless it is under 4 words or the body opens with it already.
 *
 * The site's name is cut off a title: a known name (og:site_name,
 * application-name, the JSON-LD publisher) after or before a separator
 * (" - ", " | ", " – ", " — ", " · ", " :: ", " » ", " / ", " : "); else
 * what follows the last separator but " : " and " / " when the part before
 * it is the page's <h1>, or when it is short (at most 4 words and a third
 * of the title, after at least 3 words): "… | Libération", "… - Le Monde".
 *
 * The identifier is the JSON-LD's identifier, @id (absolute) or url; else
 * the canonical link or og:url; else `fallback_id` (the indexer passes the
 * file's absolute path).
 *
 * A page is no article (KQ_ERR_NOT_FOUND, "not an article: ...") when it
 * has no JSON-LD article, does not say it is one (og:type "article", or a
 * microdata item of an article type), and its main text is too short
 * (extract.h: a 404 page, a page of links), or its og:type is something
 * else and the text holds fewer than HTML_SECTION_MAX_CHARS characters
 * outside links (a home or section page).  A page that says it is an
 * article but whose main text is too short is indexed with an empty body
 * (a paywalled or video page: its headline and description).
 *
 * Encoding: see charset.h (BOM, <meta charset>, http-equiv, XML
 * declaration; glibc's iconv; a broken UTF-8 page repaired byte by byte as
 * Windows-1252).  Before parsing, comments, the content of <script> (but
 * JSON-LD) and <style>, and <svg> elements are left out, which halves the
 * bytes gumbo parses on real pages. */

/* The deepest nesting of elements read (counted before parsing, leaving out
 * the elements pages leave open: p, li, td...); a page nested deeper is
 * rejected, since the parser's time grows with the square of the depth
 * (20,000 levels: 3 s). */
#define HTML_MAX_NESTING 10000u

/* The largest page read, in bytes; larger files are rejected. */
#define HTML_MAX_PAGE (64u * 1024u * 1024u)

/* Fills *out (zeroed or cleared first) from the page html[0..len).  Returns
 * KQ_OK; KQ_ERR_NOT_FOUND when the page holds no article (above: a home,
 * section, error page or a page of links, which a folder of pages holds
 * besides its articles); KQ_ERR_INVALID when it should be an article but
 * gives none (binary data, unknown charset, no headline...); or
 * KQ_ERR_NOMEM.  err receives a one-line reason.  *out is left cleared on
 * failure. */
kq_status html_read_article(const char *html, size_t len, const char *fallback_id, article *out,
                            char *err, size_t err_size);

/* Reads the page at `path` with html_read_article, its absolute path as the
 * fallback identifier.  KQ_ERR_IO when the file cannot be read (err says
 * why), KQ_ERR_INVALID when it is rejected (too large, or as above),
 * KQ_ERR_NOT_FOUND as above. */
kq_status html_read_file(const char *path, article *out, char *err, size_t err_size);

/* The main text of a page as html_read_article takes it from the page
 * (extract.h), as plain UTF-8 paragraphs separated by '\n'.  The input
 * must be UTF-8.  Returns a string the caller frees with free() ("" when
 * the page has no text), or NULL when out of memory. */
char *html_main_text(const char *html, size_t len);

/* html_read_file, also writing into source (source_size bytes) where the
 * body was found: "JSON-LD articleBody", or the element extract.h took
 * ("itemprop=articleBody", "<article class=...>", "scored <div id=...>"). */
kq_status html_read_file_explained(const char *path, article *out, char *source, size_t source_size,
                                   char *err, size_t err_size);

/* The JSON-LD articleBody is taken when it holds at least this percentage
 * of the characters outside links of the page's own main text. */
#define HTML_LD_BODY_SHARE 70

/* A page without JSON-LD article whose og:type is not "article" is a home
 * or section page when its main text has fewer characters outside links. */
#define HTML_SECTION_MAX_CHARS 500

/* Whether a file name ends in .html or .htm (any case). */
int html_is_page_name(const char *name);

#endif
