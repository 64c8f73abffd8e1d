/* estimate_bench: how far the announced total of a search is from the true count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"

/* For every query of the files given (qid<TAB>text, as in ../shared/eval),
 * runs the reader's request (10 hits, copies collapsed) and the same request
 * with facets, which counts every match exactly, and prints one line per
 * query: set, qid, true count, announced total, whether it is said to be
 * exact (1/0), the announced lower bound, and what the reader is told (0
 * the count, 2 "plus de" the lower bound: search.h).  At most MAX queries per file
 * (every STEP-th line, so a sample spreads over the file). */

static void run_file(search_engine *e, const char *path, size_t max, int all)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return;
    }
    const char *set = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char line[8192];
    size_t lines = 0;
    while (fgets(line, sizeof line, f))
        lines++;
    rewind(f);
    size_t step = max && lines > max ? lines / max : 1, k = 0, done = 0;
    while (fgets(line, sizeof line, f) && (!max || done < max)) {
        if (k++ % step)
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        const char *q = tab + 1;
        if (strlen(q) > SEARCH_MAX_QUERY_BYTES)
            continue;
        search_request req = {.query = q, .limit = 10, .no_collapse = all};
        search_result shown, counted;
        kq_status a = search_run(e, &req, &shown);
        req.facets = 1;
        req.limit = 1;
        kq_status b = search_run(e, &req, &counted);
        if (a == KQ_OK && b == KQ_OK && counted.total_exact)
            printf("%s\t%s\t%llu\t%llu\t%d\t%llu\t%d\n", set, line,
                   (unsigned long long)counted.total, (unsigned long long)shown.total,
                   shown.total_exact, (unsigned long long)shown.total_lower,
                   shown.total_exact ? 0 : 2);
        else
            fprintf(stderr, "%s %s: %s\n", set, line, search_last_error(e));
        search_result_clear(&shown);
        search_result_clear(&counted);
        done++;
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_estimate DB_DIR MAX_PER_FILE [--all] QUERIES.tsv...\n");
        return 2;
    }
    kq_status st;
    char err[512];
    search_engine *e = search_open(argv[1], &st, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench_estimate: %s\n", err);
        return 2;
    }
    size_t max = strtoul(argv[2], NULL, 10);
    int all = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0) {
            all = 1;
            continue;
        }
        run_file(e, argv[i], max, all);
    }
    search_close(e);
    return 0;
}
