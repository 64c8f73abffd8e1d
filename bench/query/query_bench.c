/* query_bench: in-process latency of Kiosque's search library (query → ranked hits with snippets).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "result_render.h"
#include "search.h"
#include "../bench_util.h"

/* Runs every query of a file (one per line; %XX and + decoded, as written
 * by bench/http/make_queries.py) through search_run in each mode and prints
 * queries per second and p50/p99 latency of one thread:
 *   plain   relevance order, 10 hits with snippets (the default request)
 *   facets  the same plus exact facet counts (sections, authors, years, months)
 *   date    sorted by date, newest first
 * KQ_BENCH_REPLIES=FILE also writes the JSON of every reply to FILE, one a
 * line, with took_ms 0 (what two builds must answer alike: compare the files). */

static int hex(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static void url_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+')
            *o++ = ' ';
        else if (*p == '%' && hex(p[1]) >= 0 && hex(p[2]) >= 0) {
            *o++ = (char)(hex(p[1]) * 16 + hex(p[2]));
            p += 2;
        } else
            *o++ = *p;
    }
    *o = '\0';
}

/* Prints the k slowest queries of a run, slowest first (KQ_BENCH_SLOWEST=k). */
static void print_slowest(char **queries, const double *lat, size_t n, size_t k)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 0; i < k && i < n; i++) { /* partial selection: k is small */
        size_t max = i;
        for (size_t j = i + 1; j < n; j++)
            if (lat[order[j]] > lat[order[max]])
                max = j;
        size_t t = order[i];
        order[i] = order[max];
        order[max] = t;
        printf("  slow %8.2f ms  %s\n", lat[order[i]], queries[order[i]]);
    }
    free(order);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_query DB_DIR QUERIES_FILE [MAX_QUERIES [MODES]]\n"
                        "  MODES: a comma-separated subset of plain,facets,date (default all)\n");
        return 2;
    }
    size_t max = argc > 3 ? strtoul(argv[3], NULL, 10) : 2000;
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    char **queries = calloc(max, sizeof *queries);
    size_t n = 0;
    char line[2048];
    while (n < max && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        url_decode(line);
        if (*line)
            queries[n++] = strdup(line);
    }
    fclose(f);

    kq_status st;
    char err[512];
    search_engine *e = search_open(argv[1], &st, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench_query: %s\n", err);
        return 2;
    }
    /* KQ_BENCH_TIME_LIMIT=MS: searches under a time limit, as searchd's (its cost measured). */
    const char *limit = getenv("KQ_BENCH_TIME_LIMIT");
    if (limit)
        search_set_time_limit(e, (unsigned)strtoul(limit, NULL, 10));
    static const char *const modes[] = {"plain", "facets", "date"};
    double *lat = calloc(n ? n : 1, sizeof *lat);
    printf("command: %s %s %s %zu\n", argv[0], argv[1], argv[2], max);
    printf("%-8s %8s %10s %9s %9s %9s %9s\n", "mode", "queries", "queries/s", "p50 ms", "p99 ms",
           "hits/q", "p95 ms");
    const char *only = argc > 4 ? argv[4] : "plain,facets,date";
    const char *env = getenv("KQ_BENCH_SLOWEST");
    size_t slowest = env ? strtoul(env, NULL, 10) : 0;
    const char *replies_path = getenv("KQ_BENCH_REPLIES");
    FILE *replies = replies_path ? fopen(replies_path, "w") : NULL;
    if (replies_path && !replies) {
        perror(replies_path);
        return 2;
    }
    for (int m = 0; m < 3; m++) {
        if (!strstr(only, modes[m]))
            continue;
        double hits = 0, start = bench_now_ms();
        for (size_t i = 0; i < n; i++) {
            search_request req = {.query = queries[i], .limit = 10};
            req.facets = m == 1;
            req.sort = m == 2 ? SEARCH_SORT_DATE : SEARCH_SORT_RELEVANCE;
            search_result r;
            double t0 = bench_now_ms();
            if (search_run(e, &req, &r) != KQ_OK)
                fprintf(stderr, "query %s: %s\n", queries[i], search_last_error(e));
            lat[i] = bench_now_ms() - t0;
            hits += (double)r.n_hits;
            if (replies) {
                r.took_ms = 0;
                char *json = result_json(&r);
                fprintf(replies, "%s\t%s\n", modes[m], json ? json : "(out of memory)");
                free(json);
            }
            search_result_clear(&r);
        }
        double total = bench_now_ms() - start;
        if (slowest)
            print_slowest(queries, lat, n, slowest);
        qsort(lat, n, sizeof *lat, bench_cmp_double);
        printf("%-8s %8zu %10.0f %9.2f %9.2f %9.1f %9.2f\n", modes[m], n, (double)n / (total / 1e3),
               n ? lat[n / 2] : 0, n ? lat[(size_t)((double)n * 0.99)] : 0,
               n ? hits / (double)n : 0, n ? lat[(size_t)((double)n * 0.95)] : 0);
    }
    if (replies && fclose(replies) != 0) {
        perror(replies_path);
        return 2;
    }
    search_close(e);
    for (size_t i = 0; i < n; i++)
        free(queries[i]);
    free(queries);
    free(lat);
    return 0;
}
