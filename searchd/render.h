/* render: the text searchd sends — HTML and URL escaping, French dates and
 * numbers, and the search page. */
#ifndef KIOSQUE_RENDER_H
#define KIOSQUE_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include "render_buf.h"
#include "search.h"

/* Appends s with & < > " ' replaced by entities: safe in text and in quoted attributes. */
void render_buf_add_html(render_buf *b, const char *s);
/* Appends s percent-encoded for a URL query component (RFC 3986 unreserved kept, space as %20). */
void render_buf_add_url(render_buf *b, const char *s);
/* Appends the UTF-8 text s escaped for XML 1.0 text and quoted attributes: & < > " ' as
 * entities, and the characters XML 1.0 forbids (controls other than tab, line feed and carriage
 * return, U+FFFE, U+FFFF) left out, so no text from a request or the archive can break a feed. */
void render_buf_add_xml(render_buf *b, const char *s);
/* 1 when url is an absolute http(s) URL, the only kind the page and the feeds link to (a
 * "javascript:" URL in the archive must not become a live link). */
int render_is_web_url(const char *url);

/* 1 when the len bytes at s are well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) and hold no NUL byte; else 0. */
int render_utf8_valid(const char *s, size_t len);

/* Writes "2 juillet 2020" for an ISO 8601 date "2020-07-02…" into out; an
 * unparseable date is copied as it is.  Truncates to out_size. */
void render_date_fr(const char *iso, char *out, size_t out_size);

/* Writes n with French digit grouping ("36 152", U+202F between groups). */
void render_count_fr(uint64_t n, char *out, size_t out_size);

/* What the reader asked for on the search page, echoed back into the form
 * and the links.  Strings are "" (or NULL) when absent. */
typedef struct render_page_params {
    const char *query;
    const char *section;
    const char *since; /* as typed: "YYYY-MM-DD" or "" */
    const char *until;
    const char *sort;  /* "relevance", "date" or "date_asc" */
    unsigned page;     /* 1-based */
    unsigned per_page; /* hits per page */
    const char *author;
    int all;                   /* 1: republished copies are separate hits */
    const char *duplicates_of; /* the page lists the copies of this article id */
    const char *related;       /* the page lists the articles related to this id */
    const char *subject_title; /* the headline of that article, when known */
} render_page_params;

/* Appends to url `path` then the query string of the search p shows (the query, its filters,
 * duplicates_of; not its sort, page or related): the feed of the page's search is
 * render_search_url(url, "/feed.atom", p).  Not HTML-escaped. */
void render_search_url(render_buf *url, const char *path, const render_page_params *p);

/* The whole search page in French: the form with its filters and the help
 * on the query language, then either the results of r, or the message
 * `error` (when not NULL), or nothing more when r is NULL.  The results are,
 * for a search: the total ("environ" when not exact), did-you-mean, the
 * filters in force (each removable), sort links, refinements from r's facets
 * (sections, authors, years, and months within a chosen year), the hits with
 * their links to their copies and related articles, and pagination; with
 * duplicates_of, the copies of one article; with related, r holds the
 * related articles.  Every value from the request and the index is escaped.  The head links
 * the OpenSearch description and, but for related articles and errors, the Atom feed of the
 * search (render_search_url), which the results also link to.
 * Returns NULL when out of memory; the caller frees the result with free(). */
char *render_page(const render_page_params *p, const search_result *r, const char *error,
                  size_t *len);

/* The JSON error body {"error":{"code":code,"message":message}}; the caller frees it. */
char *render_error_json(const char *code, const char *message, size_t *len);

#endif
