/* feed: the XML searchd sends to feed readers and browsers — the Atom 1.0 feed of a search (a
 * reader's alert, RFC 4287) and the OpenSearch 1.1 description of the archive. */
#ifndef KIOSQUE_FEED_H
#define KIOSQUE_FEED_H

#include <stddef.h>
#include "render.h"
#include "search.h"

/* Entry ids are tag: URIs (RFC 4151) made of this prefix and the article identifier,
 * percent-encoded: "tag:kiosque,2026:article/velo-12".  They never change for an article, so a
 * feed reader never shows one article twice; the prefix must never change either. */
#define FEED_TAG_PREFIX "tag:kiosque,2026:"

/* What an Atom feed is of. */
typedef struct feed_params {
    const render_page_params *search; /* the query and filters, as the page would show them */
    const char *updated_fallback;     /* ISO 8601 UTC of the index's last commit, or "": the
                                       * feed's <updated> when no entry is dated */
} feed_params;

/* The Atom 1.0 feed of r, the newest articles of a search, newest first: the feed's id (the tag:
 * URI of its canonical URL), title and subtitle saying the query and filters, <updated> (the
 * newest entry's date), links to itself and to the search page (relative to the server), and an
 * entry per hit with its tag: id, headline, link (the article's URL, else its /api/articles/
 * record), published and updated dates, authors, sections as categories and the snippet as a
 * plain-text summary.  Everything from the request and the archive is escaped for XML.  Returns
 * NULL when out of memory; the caller frees the result with free(). */
char *feed_atom(const feed_params *p, const search_result *r, size_t *len);

/* The OpenSearch 1.1 description of the archive served at base_url ("https://host", no trailing
 * slash, trusted to be a scheme and host): the search page, the JSON API, the suggestions
 * (application/x-suggestions+json) and the Atom feed as URL templates, in French.  Returns NULL
 * when out of memory; the caller frees the result with free(). */
char *feed_opensearch(const char *base_url, size_t *len);

#endif
