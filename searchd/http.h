/* http: searchd's HTTP layer over libmicrohttpd — route table, parameters, replies, CORS, caching
 * headers (ETag, 304), access log and request metrics. */
#ifndef KIOSQUE_HTTP_H
#define KIOSQUE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "render.h"

/* The server runs libmicrohttpd with a pool of `threads` connection
 * threads, which read requests and send replies, and as many worker
 * threads, which run the handlers.  The connection thread of a request
 * matches its path and method against the route table and validates what
 * every route shares (URL length, UTF-8 parameters); a route's `quick`
 * function may then answer at once (a cached reply, a static file);
 * otherwise the connection is suspended and the request waits in one queue,
 * first come first served, for the first free worker, which calls the
 * route's handler and hands the reply back to the connection thread.  So
 * the workers share the load whatever connections the requests came on (a
 * reverse proxy may keep few connections, which libmicrohttpd would pin to
 * few threads), and each worker may keep per-thread state (searchd gives
 * each its own search engine).  Handlers reply exactly once with
 * http_reply, http_reply_owned or http_reply_error. */

typedef struct http_server http_server;
typedef struct http_request http_request;

/* Every handler has this signature; `app` is http_config.app. */
typedef void (*http_handler)(http_request *req, void *app);

/* A route's quick answer, on the connection thread: 1 when it replied, 0
 * to leave the request to a worker (the handler). */
typedef int (*http_quick)(http_request *req, void *app);

typedef struct http_route {
    const char *name;     /* the endpoint label of metrics and logs, e.g. "api_search" */
    const char *path;     /* the exact path, or with prefix set the start of the path */
    int prefix;           /* 1: the route matches every path starting with `path` */
    int cors;             /* 1: allowed origins may call it from their pages */
    http_handler handler; /* answers GET on a worker; HEAD is answered the same without a body */
    http_quick quick;     /* NULL, or answers what it can without waiting for a worker */
} http_route;

typedef struct http_config {
    const char *listen;               /* "HOST:PORT", "[IPV6]:PORT"; port 0 picks a free one */
    unsigned threads;                 /* connection threads, and as many workers; >= 1 */
    const char *const *allow_origins; /* origins allowed by CORS, e.g. "https://www.example.fr" */
    size_t n_allow_origins;
    const http_route *routes;
    size_t n_routes;
    void *app;
    int access_log;              /* 1: one line per request on stderr */
    unsigned per_ip_connections; /* connections open at once from one address; 0: no limit */
} http_config;

/* The longest request target accepted (path and query string), in bytes;
 * longer ones get 414. */
#define HTTP_MAX_URI_BYTES 4096u

/* Starts serving; returns NULL with the reason in err on failure.  The
 * config (routes, origins) must outlive the server.  The caller owns the
 * server and stops it with http_server_stop. */
http_server *http_server_start(const http_config *cfg, char *err, size_t err_size);

/* The TCP port the server listens on (useful after asking for port 0). */
unsigned http_server_port(const http_server *s);

/* Stops accepting connections, lets the requests being handled finish (for
 * up to 5 seconds), closes every connection, joins every worker thread and
 * frees the server.  http_server_stop(NULL) does nothing. */
void http_server_stop(http_server *s);

/* --- requests without a connection: tests and the fuzz target (tests/fuzz/fuzz_http.c) --- */

typedef struct http_header {
    const char *name, *value;
} http_header;

/* A request as its parts, as if read from a connection. */
typedef struct http_raw_request {
    const char *method; /* "GET", "HEAD", ... */
    const char *target; /* the request target as sent: path and query string, percent-encoded */
    const http_header *headers;
    size_t n_headers;
} http_raw_request;

/* Its reply. */
typedef struct http_raw_reply {
    unsigned status;
    char content_type[96];
    char etag[48]; /* "" when none */
    char *body;    /* malloc'd, NUL-terminated; free with http_raw_reply_free */
    size_t len;
} http_raw_reply;

/* A server that listens nowhere and runs no thread: requests are given to
 * http_handle.  NULL when out of memory; stopped with http_server_stop. */
http_server *http_server_new_unbound(const http_config *cfg);

/* Handles one request on the calling thread as a connection thread and a
 * worker would: the target is split and percent-decoded as libmicrohttpd
 * does, then the checks every route shares, the route's quick answer or its
 * handler.  Returns 0 with the reply in out (free it with
 * http_raw_reply_free), -1 when out of memory. */
int http_handle(http_server *s, const http_raw_request *in, http_raw_reply *out);
void http_raw_reply_free(http_raw_reply *out);

/* The request path, percent-decoded and valid UTF-8 (the dispatcher checked). */
const char *http_request_path(const http_request *req);

/* The value of query parameter `name`, percent-decoded, valid UTF-8 with no
 * NUL byte (the dispatcher checked every parameter), or NULL when absent.
 * The string lives as long as the request. */
const char *http_request_param(const http_request *req, const char *name);

/* The value of request header `name` (case-insensitive), or NULL when absent; it lives as long
 * as the request. */
const char *http_request_header(const http_request *req, const char *name);

/* Says that the reply about to be sent was computed on the index as of
 * `revision` (a tag that changes at each commit; 0 for a reply that depends
 * on no index) and on nothing else of the request than its URL: a 200 reply
 * then carries `ETag: "kq<version>-r<revision in hex>"` and `Cache-Control:
 * public, no-cache`, and a request whose If-None-Match names that ETag is
 * answered 304 without a body.  Static files get an ETag of the version;
 * other replies get `Cache-Control: no-store`. */
void http_request_set_revision(http_request *req, uint64_t revision);
/* Undoes http_request_set_revision: the reply is `no-store`, without ETag (a
 * search stopped by its time limit may give more another time, one without
 * shards that did not answer too). */
void http_request_clear_revision(http_request *req);

/* Adds a header to the reply the handler is about to send (up to 8 per
 * request; name and value must live until the reply is sent). */
void http_request_add_header(http_request *req, const char *name, const char *value);

/* What a reply is, for its headers. */
enum http_kind {
    HTTP_KIND_API = 0, /* JSON or text: kept by caches only with http_request_set_revision */
    HTTP_KIND_PAGE,    /* the HTML page: its Content-Security-Policy; cached as API */
    HTTP_KIND_STATIC,  /* an embedded asset, cacheable for an hour, ETag of the version */
};

/* Creates, queues and destroys the response: sends `len` bytes of `body`
 * (copied) with `status`, `content_type` and the headers of `kind`: security
 * headers, CORS for allowed origins, and the ones added with
 * http_request_add_header. */
void http_reply(http_request *req, unsigned status, enum http_kind kind, const char *content_type,
                const char *body, size_t len);

/* The same, taking ownership of a malloc'd `body` (freed by the server,
 * also on failure).  A NULL body replies 500. */
void http_reply_owned(http_request *req, unsigned status, enum http_kind kind,
                      const char *content_type, char *body, size_t len);

/* The one error reply: {"error":{"code":code,"message":message}} with status. */
void http_reply_error(http_request *req, unsigned status, const char *code, const char *message);

/* The server answering req (for its metrics). */
const http_server *http_request_server(const http_request *req);

/* Appends the request metrics in the Prometheus text format: requests by
 * endpoint and status, a latency histogram by endpoint, server errors. */
void http_server_metrics(const http_server *s, render_buf *b);

#endif
