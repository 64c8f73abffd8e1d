/* result_render: results and articles written as JSON and HTML, for `search --json` and searchd;
 * the search library returns structs and renders nothing. */
#ifndef KIOSQUE_RESULT_RENDER_H
#define KIOSQUE_RESULT_RENDER_H

#include "search.h"

/* The JSON form of a result, the shape of both `search --json` and
 * /api/search: {"query","total","offset","limit","took_ms","hits":[{"id",
 * "url","title","date","author","section","snippet","score"}]}, with
 * snippets HTML-escaped and matches in <mark>; also "total_exact",
 * "total_lower", "partial", "suggestion" (string or null), "duplicates" on
 * a hit that stands for republished copies, and "facets"
 * ({"section":{"politique":120,...}, "author":{...},"year":{...},
 * "month":{...}}) when asked.  The caller frees it; NULL when out of memory. */
char *result_json(const search_result *r);

/* A hit's snippet HTML-escaped with its marks in <mark>…</mark>; the caller frees it. */
char *result_snippet_html(const search_hit *hit);

/* An article as the JSON object {"id","url","title","description","date",
 * "date_modified","author","authors","section","sections","keywords",
 * "language"} (/api/articles/ID); the caller frees it. */
char *result_article_json(const search_article *a);

#endif
