/* trivial_server: the ceiling of searchd's HTTP benchmark — libmicrohttpd set up as searchd sets it
 * up (internal polling thread, a pool of worker threads, the same connection options), answering
 * every request with one fixed JSON body and no work at all.
 *
 *   trivial_server PORT THREADS
 *
 * Listens on 127.0.0.1 only; stops on SIGTERM or SIGINT. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* About the size of a one-hit /api/search reply. */
static const char body[] =
    "{\"query\":\"trivial\",\"total\":1,\"offset\":0,\"limit\":10,\"took_ms\":0.0,\"hits\":[{"
    "\"id\":\"1\","
    "\"url\":\"https://example.org/1\",\"title\":\"Un titre\",\"date\":\"2020-07-02T17:09:00Z\","
    "\"author\":\"R\\u00e9daction\",\"section\":\"france\",\"snippet\":\"\\u2026un "
    "<mark>extrait</mark>\\u2026\","
    "\"score\":1.0}]}";

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    static int first_call_marker;
    /* As in searchd: reply on the second call, once the request is read, so keep-alive holds. */
    if (*con_cls != &first_call_marker) {
        *con_cls = &first_call_marker;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: trivial_server PORT THREADS\n");
        return 2;
    }
    unsigned port = (unsigned)atoi(argv[1]);
    unsigned threads = (unsigned)atoi(argv[2]);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG | MHD_USE_ITC |
            MHD_USE_TURBO,
        0, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
        MHD_OPTION_CONNECTION_LIMIT, 2000u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "trivial_server: cannot listen on 127.0.0.1:%u\n", port);
        return 1;
    }
    fprintf(stderr, "trivial_server: listening on http://127.0.0.1:%u/ with %u threads\n", port,
            threads);
    int sig;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    return 0;
}
