/* routes: searchd's endpoints — the route table, its handlers, each worker's search engine and the
 * reply cache. */
#ifndef KIOSQUE_ROUTES_H
#define KIOSQUE_ROUTES_H

#include <stddef.h>
#include "http.h"
#include "search.h"
#include "searchlog.h"

/* The endpoints (all GET; see searchd/EMBED.md and the README):
 *   /                    the search page (HTML, French), ?q=&page=&section=&author=&since=&until=
 *                        &sort=&all=; ?duplicates_of=ID lists the copies of one article,
 *                        ?related=ID the articles related to one (404 for an unknown id)
 *   /api/search          JSON results, ?q=&offset=&limit=&section=&author=&since=&until=&sort=
 *                        &facets=&all=&duplicates_of=&half_life=; q may be empty with duplicates_of
 *   /api/suggest         JSON completions then headlines, ?q=&limit=; ?format=opensearch (or
 *                        Accept: application/x-suggestions+json): ["prefix",[completions]]
 *   /feed.atom           the Atom feed of a search, newest first: /api/search's filters, limit
 *   /opensearch.xml      the OpenSearch 1.1 description (URLs from the Host header)
 *   /api/articles/{id}   the stored metadata of one article
 *   /api/related/{id}    JSON articles related to one, ?limit= (default 10), in /api/search's shape
 *   /api/report          what readers search (searchlog.h), ?since=&until=&top=; 404 unless
 *                        searchd runs with --report
 *   /healthz             document count and revision; 503 when the index cannot be read
 *   /metrics             Prometheus text format
 *   /static/…            the page's stylesheet and script, embedded in the binary
 * Handlers only parse, call the search library and render (STYLE rule 7). */

typedef struct routes_app routes_app;

/* Creates the application state the handlers share: the database
 * directory, the reply cache and the registry of per-thread engines.
 * Opens nothing yet: each worker thread opens its own engine on its first
 * request.  Returns NULL when out of memory; the caller frees it with
 * routes_app_free after the server has stopped. */
routes_app *routes_app_new(const char *db_dir);

/* Frees the state and every worker's engine.  Call only once no worker
 * thread runs any more (after http_server_stop).  routes_app_free(NULL)
 * does nothing. */
void routes_app_free(routes_app *app);

/* Searches of readers (the page's and /api/search's first pages, not feeds or suggestions) are
 * recorded in log (NULL: none), which the caller owns and closes after routes_app_free;
 * serve_report 1 answers /api/report. */
void routes_app_set_searchlog(routes_app *app, searchlog *log, int serve_report);

/* Each search and list of related articles stops after about ms milliseconds of work (0: no
 * limit; search_set_time_limit): its reply says timed_out, is not cached and carries no ETag. */
void routes_app_set_time_limit(routes_app *app, unsigned ms);

/* The route table, for http_config; static storage. */
const http_route *routes_table(size_t *n_routes);

/* Opens the index once from the calling thread to report its state at
 * startup; the engine is closed again.  On failure returns the status and
 * the reason in err. */
kq_status routes_probe(routes_app *app, search_status *out, char *err, size_t err_size);

#endif
