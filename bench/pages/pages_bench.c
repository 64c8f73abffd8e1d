/* pages_bench: the speed of reading published pages into articles (html_read_article, the code
 * path of `indexer add page.html`), in MB of HTML per second on one core.
 *
 * usage: bench_pages [--rounds N] [--parse-only] DIR
 *
 * Reads every .html/.htm file of DIR into memory once, then reads them all as articles N times
 * (default 5) on one thread, and prints the best and median round: pages, MB of HTML, seconds,
 * MB/s (1 MB = 10^6 bytes).  Seconds are the process's CPU time, so that other work on a shared
 * machine does not count (it still slows the caches).  --parse-only times gumbo's parse of the
 * raw pages alone, for scale. */
#include "html.h"

#include <dirent.h>
#include <gumbo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct page_buf {
    char *data;
    size_t len;
} page_buf;

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, page_buf *p)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16;
    p->data = malloc(cap);
    p->len = 0;
    size_t n;
    while (p->data && (n = fread(p->data + p->len, 1, cap - p->len, f)) > 0) {
        p->len += n;
        if (p->len == cap) {
            cap *= 2;
            char *d = realloc(p->data, cap);
            if (!d) {
                free(p->data);
                p->data = NULL;
            }
            p->data = d;
        }
    }
    fclose(f);
    return p->data ? 0 : -1;
}

int main(int argc, char **argv)
{
    int rounds = 5, parse_only = 0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--parse-only") == 0)
            parse_only = 1;
        else
            dir = argv[i];
    }
    if (!dir || rounds < 1) {
        fprintf(stderr, "usage: bench_pages [--rounds N] [--parse-only] DIR\n");
        return 2;
    }
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return 2;
    }
    page_buf *pages = NULL;
    size_t n_pages = 0, bytes = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!html_is_page_name(e->d_name))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        page_buf p;
        page_buf *grown = realloc(pages, (n_pages + 1) * sizeof *pages);
        if (!grown || load(path, &p) != 0) {
            fprintf(stderr, "bench_pages: cannot read %s\n", path);
            return 2;
        }
        pages = grown;
        pages[n_pages++] = p;
        bytes += p.len;
    }
    closedir(d);
    double *secs = calloc((size_t)rounds, sizeof *secs);
    size_t articles = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        articles = 0;
        for (size_t i = 0; i < n_pages; i++) {
            if (parse_only) {
                GumboOutput *g =
                    gumbo_parse_with_options(&kGumboDefaultOptions, pages[i].data, pages[i].len);
                gumbo_destroy_output(&kGumboDefaultOptions, g);
                continue;
            }
            article a = {0};
            char err[256];
            if (html_read_article(pages[i].data, pages[i].len, "bench", &a, err, sizeof err) ==
                KQ_OK)
                articles++;
            article_clear(&a);
        }
        secs[r] = now() - t0;
    }
    qsort(secs, (size_t)rounds, sizeof *secs, compare_double);
    printf("%s: %zu pages, %.1f MB of HTML, %zu read as articles\n",
           parse_only ? "gumbo parse only" : "html_read_article", n_pages, (double)bytes / 1e6,
           parse_only ? (size_t)0 : articles);
    printf("  best round   %.3f s  %.1f MB/s\n", secs[0], (double)bytes / 1e6 / secs[0]);
    printf("  median round %.3f s  %.1f MB/s\n", secs[rounds / 2],
           (double)bytes / 1e6 / secs[rounds / 2]);
    for (size_t i = 0; i < n_pages; i++)
        free(pages[i].data);
    free(pages);
    free(secs);
    return 0;
}
