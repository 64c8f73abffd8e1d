/* http: searchd's HTTP layer over libmicrohttpd.  See http.h for the contracts. */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Per connection, the memory libmicrohttpd may use for the request line,
 * the headers and the reply headers: bigger requests are refused by
 * libmicrohttpd itself (414 or 431). */
#define HTTP_CONNECTION_MEMORY (32u * 1024u)
/* Connections open at once, in all; a connection over the limit, or over the
 * per-address limit of http_config, is closed as soon as it is accepted. */
#define HTTP_MAX_CONNECTIONS 2000u
/* A connection with no traffic in either direction for this long is closed
 * (a client that stopped reading its reply, an idle keep-alive connection). */
#define HTTP_IDLE_TIMEOUT_S 10u
/* A request head (request line and headers) must arrive whole within this
 * time, counted from the connection's opening or the end of its previous
 * reply, however steadily its bytes trickle in (slowloris); the guard
 * thread, which looks every HTTP_GUARD_TICK_MS, shuts such a connection down. */
#define HTTP_HEAD_DEADLINE_MS 10000
#define HTTP_GUARD_TICK_MS 250
#define HTTP_SEND_BUFFER (128 * 1024) /* bytes; the kernel doubles it */
#define HTTP_MAX_HEADERS 8
#define HTTP_STATUS_SLOTS 600 /* statuses 0..599 are counted; 0 is "no reply sent" */
#define HTTP_LOG_TARGET 256   /* bytes of the request target kept for the access log */
/* Request bodies: no route takes one; up to this many bytes are read and
 * ignored, a longer one is refused with 413 (announced) or cut (chunked). */
#define HTTP_MAX_BODY 1024u

/* Upper bounds of the latency histogram, in seconds. */
static const double latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define N_BUCKETS (sizeof latency_buckets / sizeof latency_buckets[0])

/* The counters of one endpoint (a route, or "other" for unmatched paths). */
typedef struct endpoint_metrics {
    atomic_ulong by_status[HTTP_STATUS_SLOTS];
    atomic_ulong buckets[N_BUCKETS + 1]; /* not cumulative; the last is +Inf */
    atomic_ulong latency_sum_us;         /* microseconds */
    atomic_ulong count;
} endpoint_metrics;

/* One open connection, watched by the guard thread for its request head's
 * deadline. */
typedef struct conn_watch {
    MHD_socket fd;
    atomic_llong waiting_since_ms; /* when it began to wait for a request head; 0 while one is
                                      handled or once it was shut down */
    struct conn_watch *prev, *next;
} conn_watch;

struct http_server {
    struct MHD_Daemon *daemon;
    http_config cfg;
    unsigned port;
    endpoint_metrics *metrics; /* cfg.n_routes + 1 entries; the last is "other" */
    atomic_ulong aborted;      /* requests whose connection failed before the reply was sent */
    atomic_long in_flight;     /* requests dispatched and not yet completed */
    /* The workers and their queue of suspended requests (see http.h). */
    pthread_t *workers;
    unsigned n_workers;
    pthread_mutex_t lock;
    pthread_cond_t queued;
    http_request *head, *tail; /* linked by next */
    int stopping;              /* under lock: workers leave once the queue is empty */
    /* The guard thread and the connections it watches (see HTTP_HEAD_DEADLINE_MS). */
    pthread_t guard;
    int guard_started;
    pthread_mutex_t watch_lock;
    pthread_cond_t guard_wake;
    conn_watch *watched;       /* under watch_lock */
    int guard_stopping;        /* under watch_lock */
    atomic_ulong slow_cut;     /* connections shut down for a request head too slow */
    atomic_llong log_last_ms;  /* when libmicrohttpd's last message was printed */
    atomic_ulong log_left_out; /* its messages left out since */
};

/* The parts of a request handled without a connection (http_handle). */
typedef struct raw_parts {
    const http_raw_request *in;
    http_raw_reply *out;
    char *buf;                   /* the target, split and decoded in place */
    const char **keys, **values; /* the query parameters */
    size_t *key_lens, *value_lens;
    size_t n_params;
} raw_parts;

struct http_request {
    http_server *server;
    struct MHD_Connection *conn; /* NULL for a request handled by http_handle */
    raw_parts *raw;              /* non-NULL for those */
    const char *method;
    const char *path;
    struct timespec start;        /* CLOCK_MONOTONIC when the request line arrived */
    size_t uri_bytes;             /* length of the raw request target */
    char target[HTTP_LOG_TARGET]; /* the request target (path and query) as the log prints it */
    size_t body_bytes;            /* bytes of the reply's body (0 for HEAD and 304) */
    int has_revision;             /* the reply depends on the index at `revision` only */
    uint64_t revision;
    char etag[48];                /* the reply's ETag, quoted; "" when it has none */
    int route;                    /* index in the route table, or -1 */
    unsigned status;              /* 0 until a reply is queued */
    int seen;                     /* the access handler was called once (headers read) */
    int dispatched;               /* the route's handler was called */
    size_t body_in;               /* bytes of request body read (and ignored) */
    conn_watch *watch;            /* the connection's watch, or NULL */
    const char *allow_origin;     /* the request's Origin when CORS allows it, else NULL */
    int on_worker;                /* handled by a worker: the reply waits in `pending` */
    struct MHD_Response *pending; /* a worker's reply, queued once the connection resumes */
    http_request *next;           /* in the workers' queue */
    struct {
        const char *name, *value;
    } headers[HTTP_MAX_HEADERS];
    size_t n_headers;
};

static const char csp_page[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
static const char csp_other[] = "default-src 'none'; frame-ancestors 'none'";
static const char allow_methods[] = "GET, HEAD, OPTIONS";
/* Replies that depend on the index revision may be kept by shared caches, which revalidate
 * them (If-None-Match) before each use; replies that depend on nothing but the version
 * (static files) are kept an hour; the others (errors, health, metrics) are not kept. */
static const char cache_revisioned[] = "public, no-cache";
static const char cache_static[] = "public, max-age=3600";
static const char cache_none[] = "no-store";

/* --- requests ---------------------------------------------------------------------- */

const char *http_request_path(const http_request *req)
{
    return req->path;
}

const char *http_request_param(const http_request *req, const char *name)
{
    if (!req->raw)
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    for (size_t i = 0; i < req->raw->n_params; i++)
        if (strcmp(req->raw->keys[i], name) == 0)
            return req->raw->values[i];
    return NULL;
}

const char *http_request_header(const http_request *req, const char *name)
{
    if (!req->raw)
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
    const http_raw_request *in = req->raw->in;
    for (size_t i = 0; i < in->n_headers; i++)
        if (strcasecmp(in->headers[i].name, name) == 0)
            return in->headers[i].value;
    return NULL;
}

const http_server *http_request_server(const http_request *req)
{
    return req->server;
}

void http_request_set_revision(http_request *req, uint64_t revision)
{
    req->has_revision = 1;
    req->revision = revision;
}

void http_request_clear_revision(http_request *req)
{
    req->has_revision = 0;
    req->revision = 0;
}

void http_request_add_header(http_request *req, const char *name, const char *value)
{
    if (req->n_headers < HTTP_MAX_HEADERS) {
        req->headers[req->n_headers].name = name;
        req->headers[req->n_headers].value = value;
        req->n_headers++;
    }
}

/* --- replies ------------------------------------------------------------------------- */

static void free_body(void *body)
{
    free(body);
}

/* 1 when the If-None-Match header (a list of entity tags, or "*") names
 * etag, 2 when it names it as a weak tag (W/"..."), else 0.  Weak tags
 * compare equal to the strong one, as RFC 9110 asks for If-None-Match, and
 * as needed behind nginx, which makes the ETag of a reply it compresses weak. */
static int etag_matches(const char *header, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        int weak = p[0] == 'W' && p[1] == '/';
        if (weak)
            p += 2;
        const char *start = p;
        if (*p == '"') {
            const char *close = strchr(p + 1, '"');
            p = close ? close + 1 : p + strlen(p);
        } else {
            while (*p && *p != ',')
                p++;
        }
        if ((size_t)(p - start) == elen && memcmp(start, etag, elen) == 0)
            return weak ? 2 : 1;
    }
    return 0;
}

/* Sets req->etag for a 200 reply of `kind`: the version and, for a reply
 * computed on the index, its revision tag; "" when the reply has none. */
static void make_etag(http_request *req, unsigned status, enum http_kind kind)
{
    req->etag[0] = '\0';
    if (status != 200)
        return;
    if (req->has_revision)
        snprintf(req->etag, sizeof req->etag, "\"kq%s-r%llx\"", KIOSQUE_VERSION,
                 (unsigned long long)req->revision);
    else if (kind == HTTP_KIND_STATIC)
        snprintf(req->etag, sizeof req->etag, "\"kq%s\"", KIOSQUE_VERSION);
}

/* The one place that creates, queues and destroys a response.  With
 * `owned`, body is a malloc'd buffer handed to libmicrohttpd; otherwise it
 * is copied. */
static void reply(http_request *req, unsigned status, enum http_kind kind, const char *content_type,
                  char *body, size_t len, int owned)
{
    if (req->status != 0) {
        /* A handler replied twice: a bug; keep the first reply. */
        if (owned)
            free(body);
        return;
    }
    make_etag(req, status, kind);
    if (*req->etag) {
        const char *inm = http_request_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);
        int match = inm ? etag_matches(inm, req->etag) : 0;
        if (match) {
            /* The client's copy is current: the same headers, no body.  (libmicrohttpd
             * 0.9.75 adds "Content-Length: 0" to it, which RFC 9110 advises against and
             * browsers and nginx ignore on a 304; it cannot be turned off there.) */
            if (owned)
                free(body);
            status = MHD_HTTP_NOT_MODIFIED;
            body = NULL;
            len = 0;
            owned = 0;
            if (match == 2) {
                /* Answered with the tag as the client has it (weak: compressed by a proxy). */
                memmove(req->etag + 2, req->etag, strlen(req->etag) + 1);
                memcpy(req->etag, "W/", 2);
            }
        }
    }
    int is_head = req->method && strcmp(req->method, MHD_HTTP_METHOD_HEAD) == 0;
    req->body_bytes = is_head ? 0 : len;
    if (req->raw) {
        /* Handled by http_handle: the reply is handed back as it is. */
        http_raw_reply *out = req->raw->out;
        out->status = status;
        snprintf(out->content_type, sizeof out->content_type, "%s", content_type);
        snprintf(out->etag, sizeof out->etag, "%s", req->etag);
        out->body = malloc(len + 1);
        if (out->body) {
            if (len)
                memcpy(out->body, body, len);
            out->body[len] = '\0';
            out->len = len;
        }
        if (owned)
            free(body);
        req->status = out->body ? status : 0;
        return;
    }
    struct MHD_Response *resp;
    if (owned)
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free_body);
    else
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        if (owned)
            free(body);
        return; /* libmicrohttpd closes the connection; logged as status 0 */
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "strict-origin-when-cross-origin");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            kind == HTTP_KIND_PAGE ? csp_page : csp_other);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            !*req->etag                ? cache_none
                            : kind == HTTP_KIND_STATIC ? cache_static
                                                       : cache_revisioned);
    if (*req->etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, req->etag);
    if (req->route >= 0 && req->server->cfg.routes[req->route].cors &&
        req->server->cfg.n_allow_origins > 0) {
        /* The answer depends on Origin: shared caches must key on it (and on
         * what the handler's own Vary names, in the same header). */
        char vary[128] = "Origin";
        for (size_t i = 0; i < req->n_headers; i++) {
            if (strcasecmp(req->headers[i].name, MHD_HTTP_HEADER_VARY) == 0) {
                snprintf(vary, sizeof vary, "Origin, %s", req->headers[i].value);
                req->headers[i].name = NULL; /* merged */
            }
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, vary);
        if (req->allow_origin)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
                                    req->allow_origin);
    }
    for (size_t i = 0; i < req->n_headers; i++)
        if (req->headers[i].name)
            MHD_add_response_header(resp, req->headers[i].name, req->headers[i].value);
    if (req->on_worker) {
        /* Off the connection's thread: libmicrohttpd takes it on resuming. */
        req->pending = resp;
        req->status = status;
        return;
    }
    if (MHD_queue_response(req->conn, status, resp) == MHD_YES)
        req->status = status;
    MHD_destroy_response(resp);
}

void http_reply(http_request *req, unsigned status, enum http_kind kind, const char *content_type,
                const char *body, size_t len)
{
    reply(req, status, kind, content_type, (char *)body, len, 0);
}

void http_reply_owned(http_request *req, unsigned status, enum http_kind kind,
                      const char *content_type, char *body, size_t len)
{
    if (!body) {
        http_reply_error(req, 500, "internal", "out of memory while building the reply");
        return;
    }
    reply(req, status, kind, content_type, body, len, 1);
}

void http_reply_error(http_request *req, unsigned status, const char *code, const char *message)
{
    size_t len = 0;
    char *body = render_error_json(code, message, &len);
    if (!body) {
        static const char fallback[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        reply(req, 500, HTTP_KIND_API, "application/json", (char *)fallback, sizeof fallback - 1,
              0);
        return;
    }
    reply(req, status, HTTP_KIND_API, "application/json", body, len, 1);
}

/* --- dispatch ---------------------------------------------------------------------------- */

struct param_check {
    char message[160];
    int bad;
};

/* Refuses a parameter whose name or value is not UTF-8 or holds a NUL
 * (%00), which C strings would silently cut. */
static enum MHD_Result check_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    struct param_check *pc = cls;
    if (!render_utf8_valid(key, key_size)) {
        snprintf(pc->message, sizeof pc->message, "a parameter name is not valid UTF-8");
        pc->bad = 1;
        return MHD_NO;
    }
    if (value && !render_utf8_valid(value, value_size)) {
        snprintf(pc->message, sizeof pc->message,
                 "parameter '%.40s' is not valid UTF-8 text (or holds a NUL byte)", key);
        pc->bad = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

static int route_matches(const http_route *r, const char *path)
{
    if (r->prefix)
        return strncmp(path, r->path, strlen(r->path)) == 0;
    return strcmp(path, r->path) == 0;
}

/* Remembers the Origin header when it is one of the allowed origins. */
static void note_origin(http_request *req)
{
    const http_config *cfg = &req->server->cfg;
    const char *origin = http_request_header(req, MHD_HTTP_HEADER_ORIGIN);
    if (!origin)
        return;
    for (size_t i = 0; i < cfg->n_allow_origins; i++) {
        if (strcmp(origin, cfg->allow_origins[i]) == 0) {
            req->allow_origin = cfg->allow_origins[i];
            return;
        }
    }
}

/* The route of a request after the checks every route shares, or NULL
 * when they already replied (404, 405, 414, OPTIONS, bad parameters). */
static const http_route *route_of(http_request *req)
{
    http_server *s = req->server;
    if (req->uri_bytes > HTTP_MAX_URI_BYTES) {
        http_reply_error(req, MHD_HTTP_URI_TOO_LONG, "uri_too_long",
                         "the request URL is longer than 4096 bytes");
        return NULL;
    }
    for (size_t i = 0; i < s->cfg.n_routes; i++) {
        if (route_matches(&s->cfg.routes[i], req->path)) {
            req->route = (int)i;
            break;
        }
    }
    if (req->route < 0) {
        http_reply_error(req, MHD_HTTP_NOT_FOUND, "not_found",
                         "no such page; try /?q=… or /api/search?q=…");
        return NULL;
    }
    const http_route *route = &s->cfg.routes[req->route];
    if (route->cors)
        note_origin(req);
    int is_get = strcmp(req->method, MHD_HTTP_METHOD_GET) == 0 ||
                 strcmp(req->method, MHD_HTTP_METHOD_HEAD) == 0;
    if (strcmp(req->method, MHD_HTTP_METHOD_OPTIONS) == 0) {
        /* A CORS preflight, or a client asking what it may do. */
        http_request_add_header(req, MHD_HTTP_HEADER_ALLOW, allow_methods);
        if (req->allow_origin) {
            http_request_add_header(req, "Access-Control-Allow-Methods", "GET, HEAD");
            http_request_add_header(req, "Access-Control-Max-Age", "600");
        }
        http_reply(req, MHD_HTTP_NO_CONTENT, HTTP_KIND_API, "text/plain; charset=utf-8", "", 0);
        return NULL;
    }
    if (!is_get) {
        http_request_add_header(req, MHD_HTTP_HEADER_ALLOW, allow_methods);
        http_reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                         "this resource only answers GET and HEAD");
        return NULL;
    }
    if (!render_utf8_valid(req->path, strlen(req->path))) {
        http_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_parameter", "the path is not valid UTF-8");
        return NULL;
    }
    struct param_check pc = {{0}, 0};
    if (req->raw) {
        const raw_parts *r = req->raw;
        for (size_t i = 0; i < r->n_params && !pc.bad; i++)
            check_param(&pc, MHD_GET_ARGUMENT_KIND, r->keys[i], r->key_lens[i], r->values[i],
                        r->value_lens[i]);
    } else {
        MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, check_param, &pc);
    }
    if (pc.bad) {
        http_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_parameter", pc.message);
        return NULL;
    }
    return route;
}

static void run_handler(http_request *req, const http_route *route)
{
    route->handler(req, req->server->cfg.app);
    if (req->status == 0)
        http_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
                         "the handler sent no reply");
}

/* A worker: takes the oldest suspended request, runs its handler and hands
 * the connection back to libmicrohttpd (which may free the request at once:
 * it is not touched after).  Leaves when stopping and the queue is empty. */
static void *worker_main(void *arg)
{
    http_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->queued, &s->lock);
        http_request *req = s->head;
        if (req) {
            s->head = req->next;
            if (!s->head)
                s->tail = NULL;
        }
        pthread_mutex_unlock(&s->lock);
        if (!req)
            return NULL;
        struct MHD_Connection *conn = req->conn;
        run_handler(req, &s->cfg.routes[req->route]);
        MHD_resume_connection(conn);
    }
}

/* Suspends the request's connection and queues it for the workers; 0 when
 * the server is stopping (the workers may be gone: a request suspended then
 * would never be resumed). */
static int enqueue(http_server *s, http_request *req)
{
    pthread_mutex_lock(&s->lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    req->on_worker = 1;
    req->next = NULL;
    MHD_suspend_connection(req->conn);
    if (s->tail)
        s->tail->next = req;
    else
        s->head = req;
    s->tail = req;
    pthread_cond_signal(&s->queued);
    pthread_mutex_unlock(&s->lock);
    return 1;
}

/* Copies the request target (path and query string, as received) for the
 * log with every byte outside printable ASCII percent-encoded, so that no
 * target can forge a log line or put invalid UTF-8 into the log; a long
 * target is cut at a character boundary, ending with "...". */
static void log_target(const char *target, char *out, size_t out_size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)target;
    for (; *p && o + 4 + 3 < out_size; p++) {
        if (*p > 0x20 && *p < 0x7F) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (*p) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Called by libmicrohttpd once per request as soon as the request line is
 * read: creates the request record, which lives until request_completed. */
static void *request_begin(void *cls, const char *uri, struct MHD_Connection *conn)
{
    http_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->server = cls;
    req->conn = conn;
    req->route = -1;
    req->uri_bytes = strlen(uri);
    log_target(uri, req->target, sizeof req->target);
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    return req;
}

/* --- the guard: request heads that take too long ----------------------------------------- */

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* libmicrohttpd's notice of a connection opened or closed: keeps the list
 * of watched connections. */
static void connection_notice(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_watch *w = ci ? calloc(1, sizeof *w) : NULL;
        *socket_context = w;
        if (!w)
            return; /* not watched: the idle timeout still applies */
        w->fd = ci->connect_fd;
        /* The kernel's send buffer for the connection: without a bound it grows to
         * megabytes for a client that does not read (pipelined requests then
         * cost replies computed for nothing). */
        int sndbuf = HTTP_SEND_BUFFER;
        setsockopt(w->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        atomic_store(&w->waiting_since_ms, now_ms());
        pthread_mutex_lock(&s->watch_lock);
        w->next = s->watched;
        if (s->watched)
            s->watched->prev = w;
        s->watched = w;
        pthread_mutex_unlock(&s->watch_lock);
        return;
    }
    conn_watch *w = *socket_context;
    if (!w)
        return;
    /* libmicrohttpd closes the socket after this notice: under the lock the
     * guard never shuts down a descriptor that was closed and reused. */
    pthread_mutex_lock(&s->watch_lock);
    if (w->prev)
        w->prev->next = w->next;
    else
        s->watched = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&s->watch_lock);
    free(w);
    *socket_context = NULL;
}

/* The guard thread: shuts down every connection whose request head is
 * late (libmicrohttpd then sees the end of the stream and closes it). */
static void *guard_main(void *arg)
{
    http_server *s = arg;
    pthread_mutex_lock(&s->watch_lock);
    while (!s->guard_stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += HTTP_GUARD_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->guard_wake, &s->watch_lock, &until);
        long long now = now_ms();
        for (conn_watch *w = s->watched; w; w = w->next) {
            long long since = atomic_load(&w->waiting_since_ms);
            if (since && now - since > HTTP_HEAD_DEADLINE_MS) {
                atomic_store(&w->waiting_since_ms, 0);
                shutdown(w->fd, SHUT_RDWR);
                atomic_fetch_add(&s->slow_cut, 1);
            }
        }
    }
    pthread_mutex_unlock(&s->watch_lock);
    return NULL;
}

/* libmicrohttpd's messages, at most one a second: a flood of refused
 * connections would otherwise write one line each. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    http_server *s = cls;
    long long now = now_ms(), last = atomic_load(&s->log_last_ms);
    if (last != 0 && now - last < 1000) {
        atomic_fetch_add(&s->log_left_out, 1);
        return;
    }
    atomic_store(&s->log_last_ms, now);
    unsigned long left_out = atomic_exchange(&s->log_left_out, 0);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    if (left_out)
        fprintf(stderr, "searchd: libmicrohttpd: %s (%lu messages left out before it)\n", msg,
                left_out);
    else
        fprintf(stderr, "searchd: libmicrohttpd: %s\n", msg);
}

/* Records the request's method and path and counts it in flight: from
 * here on, request_completed counts its reply in the metrics. */
static void begin_dispatch(http_request *req, struct MHD_Connection *conn, const char *method,
                           const char *url)
{
    req->dispatched = 1;
    req->conn = conn;
    req->method = method;
    req->path = url;
    atomic_fetch_add(&req->server->in_flight, 1);
}

/* 1 when the request announces a body longer than HTTP_MAX_BODY. */
static int body_too_long(struct MHD_Connection *conn)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    return errno != 0 || n > HTTP_MAX_BODY;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    http_request *req = *con_cls;
    if (!req)
        return MHD_NO; /* out of memory in request_begin: drop the connection */
    if (!req->seen) {
        /* The first call only announces the headers.  Replying now would
         * make libmicrohttpd close the connection (it cannot know whether a
         * body follows), so the reply waits for the next call, when the
         * request has been read whole: keep-alive then works. */
        req->seen = 1;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        req->watch = ci ? ci->socket_context : NULL;
        if (req->watch) /* the head is in: no deadline while the request is handled */
            atomic_store(&req->watch->waiting_since_ms, 0);
        if (body_too_long(conn)) {
            /* Refused before reading it; the connection closes after the reply. */
            begin_dispatch(req, conn, method, url);
            http_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large",
                             "no resource takes a request body (at most 1024 bytes are ignored)");
            return req->status != 0 ? MHD_YES : MHD_NO;
        }
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        /* No route takes a body: a short one is ignored, a longer one (sent
         * in chunks, its length unannounced) cuts the connection. */
        req->body_in += *upload_data_size;
        *upload_data_size = 0;
        return req->body_in > HTTP_MAX_BODY ? MHD_NO : MHD_YES;
    }
    if (req->dispatched) {
        if (!req->pending)
            return MHD_YES;
        /* Resumed: the worker's reply. */
        struct MHD_Response *resp = req->pending;
        req->pending = NULL;
        enum MHD_Result queued = MHD_queue_response(conn, req->status, resp);
        MHD_destroy_response(resp);
        if (queued != MHD_YES)
            req->status = 0;
        return queued;
    }
    begin_dispatch(req, conn, method, url);
    http_server *s = req->server;
    const http_route *route = route_of(req);
    if (route && !(route->quick && route->quick(req, s->cfg.app))) {
        if (enqueue(s, req))
            return MHD_YES;
        http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "stopping",
                         "the server is shutting down");
    }
    return req->status != 0 ? MHD_YES : MHD_NO;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* The access log line, documented in searchd(8) (LOGS): time, method,
 * target, status, body bytes, milliseconds. */
static void access_log(const http_request *req, double seconds)
{
    struct timespec now;
    struct tm tm;
    char stamp[32];
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf per line: stdio locks the stream, so lines never interleave. */
    fprintf(stderr, "%s.%03ldZ %s %s %u %zu %.3f ms\n", stamp, now.tv_nsec / 1000000L,
            req->method ? req->method : "-", *req->target ? req->target : "-", req->status,
            req->body_bytes, seconds * 1000.0);
}

static void count_request(http_server *s, const http_request *req, int ok);

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    http_server *s = cls;
    http_request *req = *con_cls;
    if (!req)
        return;
    *con_cls = NULL;
    if (req->watch && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) /* the next head's wait begins */
        atomic_store(&req->watch->waiting_since_ms, now_ms());
    if (req->pending) /* the connection closed before the worker's reply went out */
        MHD_destroy_response(req->pending);
    count_request(s, req, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    free(req);
}

/* Counts a request in the metrics and logs it, once it is over (`ok`: its
 * reply went out whole). */
static void count_request(http_server *s, const http_request *req, int ok)
{
    double seconds = seconds_since(&req->start);
    if (req->dispatched) {
        size_t ep = req->route >= 0 ? (size_t)req->route : s->cfg.n_routes;
        endpoint_metrics *m = &s->metrics[ep];
        atomic_fetch_add(&m->by_status[req->status < HTTP_STATUS_SLOTS ? req->status : 0], 1);
        size_t b = 0;
        while (b < N_BUCKETS && seconds > latency_buckets[b])
            b++;
        atomic_fetch_add(&m->buckets[b], 1);
        atomic_fetch_add(&m->latency_sum_us, (unsigned long)(seconds * 1e6));
        atomic_fetch_add(&m->count, 1);
        if (!ok)
            atomic_fetch_add(&s->aborted, 1);
        if (s->cfg.access_log)
            access_log(req, seconds);
        atomic_fetch_sub(&s->in_flight, 1);
    }
}

/* --- requests without a connection (http_handle) ------------------------------------- */

/* Decodes a query string component as libmicrohttpd does: '+' is a space,
 * then %XX escapes (an invalid one is kept as it is); returns its length. */
static size_t unescape_arg(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '+')
            *p = ' ';
    return MHD_http_unescape(s);
}

/* Splits the target of parts->in into the path (returned, decoded) and the
 * parameters; -1 when out of memory. */
static int split_target(raw_parts *r, const char **path)
{
    const char *target = r->in->target;
    r->buf = strdup(target);
    size_t n = 1;
    for (const char *p = target; *p; p++)
        n += *p == '&';
    r->keys = calloc(n, sizeof *r->keys);
    r->values = calloc(n, sizeof *r->values);
    r->key_lens = calloc(n, sizeof *r->key_lens);
    r->value_lens = calloc(n, sizeof *r->value_lens);
    if (!r->buf || !r->keys || !r->values || !r->key_lens || !r->value_lens)
        return -1;
    char *query = strchr(r->buf, '?');
    if (query)
        *query++ = '\0';
    MHD_http_unescape(r->buf);
    *path = r->buf;
    while (query && *query) {
        char *amp = strchr(query, '&');
        if (amp)
            *amp = '\0';
        if (*query) {
            char *eq = strchr(query, '=');
            if (eq)
                *eq = '\0';
            r->keys[r->n_params] = query;
            r->key_lens[r->n_params] = unescape_arg(query);
            if (eq) {
                r->values[r->n_params] = eq + 1;
                r->value_lens[r->n_params] = unescape_arg(eq + 1);
            }
            r->n_params++;
        }
        query = amp ? amp + 1 : NULL;
    }
    return 0;
}

http_server *http_server_new_unbound(const http_config *cfg)
{
    http_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->metrics = calloc(cfg->n_routes + 1, sizeof *s->metrics);
    if (!s->metrics) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->queued, NULL);
    pthread_mutex_init(&s->watch_lock, NULL);
    pthread_cond_init(&s->guard_wake, NULL);
    return s;
}

int http_handle(http_server *s, const http_raw_request *in, http_raw_reply *out)
{
    memset(out, 0, sizeof *out);
    raw_parts parts = {.in = in, .out = out};
    http_request *req = calloc(1, sizeof *req);
    const char *path = NULL;
    int rc = -1;
    if (!req || split_target(&parts, &path) != 0)
        goto done;
    req->server = s;
    req->raw = &parts;
    req->route = -1;
    req->uri_bytes = strlen(in->target);
    log_target(in->target, req->target, sizeof req->target);
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    begin_dispatch(req, NULL, in->method, path);
    const http_route *route = route_of(req);
    if (route && !(route->quick && route->quick(req, s->cfg.app)))
        run_handler(req, route);
    count_request(s, req, req->status != 0);
    rc = req->status != 0 ? 0 : -1;
done:
    free(req);
    free(parts.buf);
    free(parts.keys);
    free(parts.values);
    free(parts.key_lens);
    free(parts.value_lens);
    return rc;
}

void http_raw_reply_free(http_raw_reply *out)
{
    free(out->body);
    out->body = NULL;
}

/* --- metrics ------------------------------------------------------------------------------------
 */

void http_server_metrics(const http_server *cs, render_buf *b)
{
    http_server *s = (http_server *)cs; /* atomics are read, not written */
    size_t n = s->cfg.n_routes + 1;
    render_buf_puts(
        b, "# HELP kiosque_http_requests_total HTTP requests answered, by endpoint and status.\n"
           "# TYPE kiosque_http_requests_total counter\n");
    for (size_t e = 0; e < n; e++) {
        const char *name = e < s->cfg.n_routes ? s->cfg.routes[e].name : "other";
        for (unsigned st = 0; st < HTTP_STATUS_SLOTS; st++) {
            unsigned long v = atomic_load(&s->metrics[e].by_status[st]);
            if (v)
                render_buf_printf(
                    b, "kiosque_http_requests_total{endpoint=\"%s\",status=\"%u\"} %lu\n", name, st,
                    v);
        }
    }
    render_buf_puts(
        b, "# HELP kiosque_http_server_errors_total Replies with a 5xx status, by endpoint.\n"
           "# TYPE kiosque_http_server_errors_total counter\n");
    for (size_t e = 0; e < n; e++) {
        const char *name = e < s->cfg.n_routes ? s->cfg.routes[e].name : "other";
        unsigned long v = 0;
        for (unsigned st = 500; st < HTTP_STATUS_SLOTS; st++)
            v += atomic_load(&s->metrics[e].by_status[st]);
        v += atomic_load(&s->metrics[e].by_status[0]); /* no reply could be sent */
        render_buf_printf(b, "kiosque_http_server_errors_total{endpoint=\"%s\"} %lu\n", name, v);
    }
    render_buf_printf(b,
                      "# HELP kiosque_http_aborted_total Requests whose connection closed before "
                      "the reply was sent.\n"
                      "# TYPE kiosque_http_aborted_total counter\nkiosque_http_aborted_total %lu\n",
                      atomic_load(&s->aborted));
    render_buf_printf(b,
                      "# HELP kiosque_http_slow_heads_total Connections closed because a request "
                      "head took over %d s to arrive.\n"
                      "# TYPE kiosque_http_slow_heads_total counter\nkiosque_http_slow_heads_total "
                      "%lu\n",
                      HTTP_HEAD_DEADLINE_MS / 1000, atomic_load(&s->slow_cut));
    render_buf_puts(
        b, "# HELP kiosque_http_request_duration_seconds Time from request line to reply sent.\n"
           "# TYPE kiosque_http_request_duration_seconds histogram\n");
    for (size_t e = 0; e < n; e++) {
        const char *name = e < s->cfg.n_routes ? s->cfg.routes[e].name : "other";
        unsigned long cumulative = 0;
        for (size_t k = 0; k <= N_BUCKETS; k++) {
            cumulative += atomic_load(&s->metrics[e].buckets[k]);
            if (k < N_BUCKETS)
                render_buf_printf(
                    b,
                    "kiosque_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %lu\n",
                    name, latency_buckets[k], cumulative);
            else
                render_buf_printf(b,
                                  "kiosque_http_request_duration_seconds_bucket{endpoint=\"%s\",le="
                                  "\"+Inf\"} %lu\n",
                                  name, cumulative);
        }
        render_buf_printf(b, "kiosque_http_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n",
                          name, (double)atomic_load(&s->metrics[e].latency_sum_us) / 1e6);
        render_buf_printf(b, "kiosque_http_request_duration_seconds_count{endpoint=\"%s\"} %lu\n",
                          name, atomic_load(&s->metrics[e].count));
    }
}

/* --- the server ---------------------------------------------------------------------------------
 */

/* Resolves "HOST:PORT" or "[V6]:PORT" into addr. */
static int parse_listen(const char *listen, struct sockaddr_storage *addr, socklen_t *addr_len,
                        char *err, size_t err_size)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || colon[1] == '\0') {
        snprintf(err, err_size, "--listen '%s': expected HOST:PORT, e.g. 127.0.0.1:8080", listen);
        return -1;
    }
    size_t hlen = (size_t)(colon - listen);
    const char *h = listen;
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= sizeof host) {
        snprintf(err, err_size, "--listen: host name too long");
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
        snprintf(err, err_size, "--listen '%s': the port must be a number from 0 to 65535", listen);
        return -1;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, err_size, "--listen '%s': cannot resolve '%s': %s", listen, host,
                 gai_strerror(rc));
        return -1;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Says why libmicrohttpd could not listen on addr, and what to do: it does
 * not tell, so the bind is tried again here to learn errno. */
static void listen_error(const char *listen, const struct sockaddr_storage *addr,
                         socklen_t addr_len, char *err, size_t err_size)
{
    int fd = socket(addr->ss_family, SOCK_STREAM, 0);
    int one = 1, e = 0;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (const struct sockaddr *)addr, addr_len) != 0)
            e = errno;
        close(fd);
    }
    if (e == EADDRINUSE)
        snprintf(err, err_size,
                 "cannot listen on %s: the address is in use (another searchd, or another "
                 "service, listens there): stop it, or choose another --listen",
                 listen);
    else if (e == EACCES)
        snprintf(err, err_size,
                 "cannot listen on %s: ports below 1024 need privileges; listen on a higher "
                 "port (8080) behind a reverse proxy (docs/nginx.conf)",
                 listen);
    else if (e == EADDRNOTAVAIL)
        snprintf(err, err_size,
                 "cannot listen on %s: no interface of this machine has that address; give one "
                 "it has (127.0.0.1, or 0.0.0.0 for every interface)",
                 listen);
    else
        snprintf(err, err_size, "cannot listen on %s: %s", listen,
                 e ? strerror(e) : "libmicrohttpd could not start (see its message above)");
}

/* Lets the workers finish the queue, joins them and frees what they share. */
static void stop_workers(http_server *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->queued);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->n_workers; i++)
        pthread_join(s->workers[i], NULL);
    free(s->workers);
    s->workers = NULL;
    s->n_workers = 0;
    pthread_cond_destroy(&s->queued);
    pthread_mutex_destroy(&s->lock);
}

/* Stops the guard thread (once no connection is left to watch). */
static void stop_guard(http_server *s)
{
    if (s->guard_started) {
        pthread_mutex_lock(&s->watch_lock);
        s->guard_stopping = 1;
        pthread_cond_signal(&s->guard_wake);
        pthread_mutex_unlock(&s->watch_lock);
        pthread_join(s->guard, NULL);
        s->guard_started = 0;
    }
    pthread_cond_destroy(&s->guard_wake);
    pthread_mutex_destroy(&s->watch_lock);
}

http_server *http_server_start(const http_config *cfg, char *err, size_t err_size)
{
    http_server *s = NULL;
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    if (cfg->threads < 1) {
        snprintf(err, err_size, "--threads must be at least 1");
        goto fail;
    }
    if (parse_listen(cfg->listen, &addr, &addr_len, err, err_size) != 0)
        goto fail;
    s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->queued, NULL);
    pthread_mutex_init(&s->watch_lock, NULL);
    pthread_cond_init(&s->guard_wake, NULL);
    s->cfg = *cfg;
    s->metrics = calloc(cfg->n_routes + 1, sizeof *s->metrics);
    if (!s->metrics)
        goto nomem;
    s->workers = calloc(cfg->threads, sizeof *s->workers);
    if (!s->workers)
        goto nomem;
    for (; s->n_workers < cfg->threads; s->n_workers++) {
        if (pthread_create(&s->workers[s->n_workers], NULL, worker_main, s) != 0) {
            snprintf(err, err_size, "cannot start the worker threads");
            goto fail;
        }
    }
    if (pthread_create(&s->guard, NULL, guard_main, s) != 0) {
        snprintf(err, err_size, "cannot start the guard thread");
        goto fail;
    }
    s->guard_started = 1;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_URI_LOG_CALLBACK, request_begin, s,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
        connection_notice, s, MHD_OPTION_END);
    if (!s->daemon) {
        listen_error(cfg->listen, &addr, addr_len, err, err_size);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return s;
nomem:
    snprintf(err, err_size, "out of memory");
fail:
    if (s) {
        stop_workers(s);
        stop_guard(s);
        free(s->metrics);
        free(s);
    }
    return NULL;
}

unsigned http_server_port(const http_server *s)
{
    return s->port;
}

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    if (!s->daemon) { /* made by http_server_new_unbound */
        stop_workers(s);
        stop_guard(s);
        free(s->metrics);
        free(s);
        return;
    }
    /* After quiescing, the listen socket is ours to close. */
    MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
    for (int i = 0; i < 500 && atomic_load(&s->in_flight) > 0; i++) {
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
    }
    /* Every queued request is answered and its connection resumed before
     * libmicrohttpd stops (it refuses to stop with suspended connections). */
    stop_workers(s);
    MHD_stop_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    stop_guard(s); /* every connection is closed: nothing is watched any more */
    free(s->metrics);
    free(s);
}
