/* fuzz_http: libFuzzer target for searchd's request handling, in-process and without sockets:
 * any request target (paths, query strings), method and headers go through http_handle, that is
 * the checks every route shares, the parameter parser and every route's quick answer and
 * handler, on a small index built at start from tests/fixtures/searchd.
 *
 * An input is read as lines: the first is "METHOD TARGET" (or only a target, for GET), the
 * others "Name: value" headers.  Every reply must have a status searchd documents (never 5xx:
 * the index is there), a JSON body where it says JSON, valid UTF-8 text, and an ETag only on
 * a 200 or 304; the sanitizers catch the rest. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "render.h"
#include "routes.h"

#define MAX_HEADERS 16

static http_server *server;
static routes_app *app;
static char db[] = "/tmp/kq-fuzz-http-XXXXXX";

static void remove_db(void)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", db);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_http: could not remove %s\n", db);
}

/* Builds the index with the indexer next to this program (build-fuzz/indexer). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    if (!mkdtemp(db)) {
        perror("fuzz_http: mkdtemp");
        exit(1);
    }
    atexit(remove_db);
    char dir[4096], cmd[16384];
    snprintf(dir, sizeof dir, "%s", (*argv)[0]);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    snprintf(cmd, sizeof cmd, "'%s/indexer' --db '%s/db' --quiet add '%s/searchd/articles.jsonl'",
             dir, db, KQ_FIXTURES_DIR);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz_http: cannot build the index: %s\n", cmd);
        exit(1);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/db", db);
    app = routes_app_new(path);
    size_t n_routes = 0;
    const http_route *routes = routes_table(&n_routes);
    static const char *const origins[] = {"https://www.example.fr"};
    http_config cfg = {.listen = "127.0.0.1:0",
                       .threads = 1,
                       .allow_origins = origins,
                       .n_allow_origins = 1,
                       .routes = routes,
                       .n_routes = n_routes,
                       .app = app};
    server = app ? http_server_new_unbound(&cfg) : NULL;
    if (!server) {
        fprintf(stderr, "fuzz_http: out of memory\n");
        exit(1);
    }
    return 0;
}

static int known_status(unsigned s)
{
    static const unsigned ok[] = {200, 204, 304, 400, 404, 405, 414};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (s == ok[i])
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Lines of a NUL-free copy: a C string cannot carry a NUL, nor can a request line. */
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    for (size_t i = 0; i < size; i++)
        buf[i] = data[i] ? (char)data[i] : ' ';
    buf[size] = '\0';
    char *line = buf, *next = strchr(line, '\n');
    if (next)
        *next++ = '\0';
    const char *method = "GET", *target = line;
    char *space = strchr(line, ' ');
    if (space && line[0] != '/') {
        *space = '\0';
        method = line;
        target = space + 1;
    }
    http_header headers[MAX_HEADERS];
    size_t n = 0;
    while (next && n < MAX_HEADERS) {
        line = next;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        const char *value = colon + 1;
        while (*value == ' ')
            value++;
        headers[n].name = line;
        headers[n].value = value;
        n++;
    }
    http_raw_request in = {.method = method, .target = target, .headers = headers, .n_headers = n};
    http_raw_reply out;
    if (http_handle(server, &in, &out) == 0) {
        if (!known_status(out.status)) {
            fprintf(stderr, "fuzz_http: status %u for %s %s: %s\n", out.status, method, target,
                    out.body);
            abort();
        }
        if (*out.etag && out.status != 200 && out.status != 304)
            abort();
        if (strncmp(out.content_type, "application/json", 16) == 0 && out.len > 0) {
            json_error_t err;
            json_t *j = json_loadb(out.body, out.len, 0, &err);
            if (!j) {
                fprintf(stderr, "fuzz_http: not JSON (%s) for %s: %.200s\n", err.text, target,
                        out.body);
                abort();
            }
            if (out.status >= 400 &&
                !json_is_string(json_object_get(json_object_get(j, "error"), "code")))
                abort();
            json_decref(j);
        }
        if (strncmp(out.content_type, "text/", 5) == 0 && !render_utf8_valid(out.body, out.len))
            abort();
        http_raw_reply_free(&out);
    }
    free(buf);
    return 0;
}
