/* kiosque_run: queries in, a TREC-like run of the search library out (bench/relevance). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"

/* Usage: bench_relevance_kiosque --db DIR [-n N] < queries.tsv > run.tsv
 *
 * Reads `qid<TAB>text` lines on standard input and, for each, prints the top
 * N hits (default 10) as `qid<TAB>docid<TAB>rank` lines, rank counted from 1.
 * A query with no hit prints nothing; a query the library refuses (too long,
 * say) is reported on standard error and also prints nothing, so the scorer
 * counts both as zero-result queries.  The engine is opened once for the
 * whole file: one process per query would measure start-up, not ranking.
 * Exit status: 0 when every query ran, 1 when some failed, 2 on a usage or
 * open error. */

static void usage(FILE *f)
{
    fputs("usage: bench_relevance_kiosque --db DIR [-n N] < queries.tsv\n"
          "Prints qid<TAB>docid<TAB>rank for the top N hits (default 10) of each\n"
          "qid<TAB>text line read on standard input.\n",
          f);
}

/* Strips a trailing newline (and a carriage return before it). */
static void chomp(char *s, ssize_t *len)
{
    while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
        s[--*len] = '\0';
}

int main(int argc, char **argv)
{
    const char *db = NULL;
    unsigned limit = 10;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            limit = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!db || limit == 0 || limit > SEARCH_MAX_LIMIT) {
        usage(stderr);
        return 2;
    }

    kq_status st;
    char err[1024];
    search_engine *e = search_open(db, &st, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench_relevance_kiosque: %s: %s\n", status_to_string(st), err);
        return 2;
    }

    int rc = 0;
    unsigned long failed = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) != -1) {
        chomp(line, &len);
        char *tab = strchr(line, '\t');
        if (!tab)
            continue; /* not a query line */
        *tab = '\0';
        const char *qid = line, *text = tab + 1;

        search_request req = {.query = text, .limit = limit};
        search_result res;
        st = search_run(e, &req, &res);
        if (st != KQ_OK) {
            fprintf(stderr, "bench_relevance_kiosque: query %s: %s: %s\n", qid,
                    status_to_string(st), search_last_error(e));
            failed++;
            rc = 1;
        } else {
            for (size_t i = 0; i < res.n_hits; i++)
                printf("%s\t%s\t%zu\n", qid, res.hits[i].id, i + 1);
        }
        search_result_clear(&res);
    }
    free(line);
    search_close(e);
    if (fflush(stdout) != 0) {
        perror("bench_relevance_kiosque: stdout");
        return 2;
    }
    if (failed)
        fprintf(stderr, "bench_relevance_kiosque: %lu queries failed\n", failed);
    return rc;
}
