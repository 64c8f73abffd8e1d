/* search_inproc: the in-process baseline of searchd's HTTP benchmark — the same queries run by the
 * search library on one thread, rendered to JSON as /api/search does, with no HTTP at all.
 *
 *   search_inproc DB QUERIES_FILE START COUNT
 *
 * QUERIES_FILE holds URL-encoded queries, one a line (see make_queries.py); lines START to
 * START+COUNT-1 are run once each, after a warm-up of 200 other lines.  Prints queries per second
 * and the p50/p99 latency of search_run plus search_result_to_json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "result_render.h"
#include "search.h"
#include "../bench_util.h"

static void url_decode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '%' && s[1] && s[2]) {
            char hex[3] = {s[1], s[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

/* Runs one query; returns its time in ms, or -1 on failure. */
static double run_one(search_engine *e, const char *query)
{
    search_request req = {0};
    search_result res = {0};
    req.query = query;
    req.limit = 10;
    double t0 = bench_now_ms();
    kq_status st = search_run(e, &req, &res);
    char *json = st == KQ_OK ? result_json(&res) : NULL;
    double t = bench_now_ms() - t0;
    free(json);
    search_result_clear(&res);
    return st == KQ_OK ? t : -1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: search_inproc DB QUERIES_FILE START COUNT\n");
        return 2;
    }
    long start = atol(argv[3]), count = atol(argv[4]);
    int rc = 1;
    char err[512], line[4096];
    char **queries = calloc((size_t)(count + 200), sizeof *queries);
    double *times = calloc((size_t)count, sizeof *times);
    kq_status st = KQ_OK;
    search_engine *e = search_open(argv[1], &st, err, sizeof err);
    FILE *f = fopen(argv[2], "r");
    long n = 0, i = 0;
    if (!e || !f || !queries || !times) {
        fprintf(stderr, "search_inproc: %s\n",
                !e   ? err
                : !f ? "cannot read the queries file"
                     : "out of memory");
        goto out;
    }
    /* Lines START-200 .. START-1 warm up (or the file's first lines); START .. START+COUNT-1 are
     * measured. */
    long first = start >= 200 ? start - 200 : 0;
    while (fgets(line, sizeof line, f) && n < count + 200) {
        if (i++ < first)
            continue;
        line[strcspn(line, "\n")] = '\0';
        url_decode(line);
        queries[n++] = strdup(line);
    }
    long warm = start - first;
    for (long k = 0; k < warm && k < n; k++)
        run_one(e, queries[k]);
    long done = 0, failed = 0;
    double t0 = bench_now_ms();
    for (long k = warm; k < n; k++) {
        double t = run_one(e, queries[k]);
        if (t < 0)
            failed++;
        else
            times[done++] = t;
    }
    double total = bench_now_ms() - t0;
    if (done == 0) {
        fprintf(stderr, "search_inproc: no query succeeded (%s)\n", search_last_error(e));
        goto out;
    }
    qsort(times, (size_t)done, sizeof *times, bench_cmp_double);
    printf("inproc %ld queries, %ld failed: %.1f q/s on one thread, p50 %.2f ms, p99 %.2f ms\n",
           done, failed, (double)done * 1e3 / total, times[done / 2],
           times[(size_t)((double)done * 0.99)]);
    rc = 0;
out:
    for (long k = 0; k < n; k++)
        free(queries[k]);
    free(queries);
    free(times);
    if (f)
        fclose(f);
    search_close(e);
    return rc;
}
