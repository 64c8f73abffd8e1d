/* analyzer_bench: measures the French analyzer's throughput on a JSON Lines archive. */
#include "analyzer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

/* Usage: bench_analyzer [archive.jsonl.gz] [max_mb]
 * Reads the whole (gzip or plain) archive into memory, then times
 * analyzer_run over each raw line, so decompression is not measured.  The
 * default archive is the team kit's corpus beside the checkout. */

struct counts {
    unsigned long long tokens, stop;
};

static int count_token(void *ctx, const analyzer_token *t)
{
    struct counts *c = ctx;
    c->tokens++;
    if (t->flags & TOKEN_STOPWORD)
        c->stop++;
    return 0;
}

/* CPU time of the process: the machine is shared, wall time would measure
 * the neighbours too. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : KQ_DEFAULT_CORPUS;
    /* Bytes to read: max_mb megabytes (2^20), the whole archive by default. */
    size_t max = argc > 2 ? (size_t)atol(argv[2]) * 1024 * 1024 : (size_t)-1;
    size_t cap = 1 << 20, len = 0, lines = 0, i, start;
    char *buf = malloc(cap);
    gzFile f = gzopen(path, "rb");
    analyzer *a = analyzer_new();
    struct counts c = {0, 0};
    double t0, t1;
    int rc = 1, n;

    if (!buf || !a) {
        fprintf(stderr, "bench_analyzer: out of memory\n");
        goto out;
    }
    if (!f) {
        fprintf(stderr, "bench_analyzer: cannot open %s\n", path);
        goto out;
    }
    /* Reads at most max bytes, so a slice is the same whatever the buffer growth. */
    while (len < max &&
           (n = gzread(f, buf + len, (unsigned)(cap - len < max - len ? cap - len : max - len))) >
               0) {
        len += (size_t)n;
        if (len == cap) {
            char *g = realloc(buf, cap * 2);
            if (!g) {
                fprintf(stderr, "bench_analyzer: out of memory\n");
                goto out;
            }
            buf = g;
            cap *= 2;
        }
    }
    t0 = now();
    for (i = start = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            if (i > start) {
                analyzer_run(a, buf + start, i - start, 0, ANALYZER_DOCUMENT, count_token, &c,
                             NULL);
                lines++;
            }
            start = i + 1;
        }
    }
    t1 = now();
    printf("command: %s %s\n", argv[0], path);
    printf("%zu lines, %.1f MB, %llu tokens (%llu stop words) in %.2f s of CPU: %.1f MB/s, %.2f M "
           "tokens/s\n",
           lines, (double)len / 1e6, c.tokens, c.stop, t1 - t0, (double)len / 1e6 / (t1 - t0),
           (double)c.tokens / 1e6 / (t1 - t0));
    rc = 0;
out:
    if (f)
        gzclose(f);
    free(buf);
    analyzer_free(a);
    return rc;
}
