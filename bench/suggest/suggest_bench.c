/* suggest_bench: in-process latency of search_suggest, key by key, as the search box asks it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "search.h"
#include "../bench_util.h"

/* Runs every prefix of a file (one per line, as bench/suggest/make_prefixes.py
 * writes them) through search_suggest on one engine, one thread, and prints
 * p50, p90, p99 and the slowest latency:
 *   cold  each prefix asked once, on an engine just opened (no reply cache
 *         helps: searchd keeps replies, so a key typed for the first time
 *         is what a reader waits for)
 *   warm  the same prefixes a second time, same engine
 * each as wall-clock time and as CPU time of the thread (the machine may be
 * shared: wall-clock figures then include waiting for a core).
 * With KQ_BENCH_SHOW=1 it prints each prefix with its suggestions. */

/* CPU time of this thread: what a call costs, whatever else runs on the
 * machine (wall-clock latency on a shared machine also counts the time the
 * thread waited for a core). */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void print_line(const char *pass, const char *clock, double *lat, size_t n, double shown)
{
    qsort(lat, n, sizeof *lat, bench_cmp_double);
    printf("%-5s %-5s %8zu %9.2f %9.2f %9.2f %9.2f %12.1f\n", pass, clock, n, n ? lat[n / 2] : 0,
           n ? lat[(size_t)((double)n * 0.9)] : 0, n ? lat[(size_t)((double)n * 0.99)] : 0,
           n ? lat[n - 1] : 0, n ? shown / (double)n : 0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_suggest DB_DIR PREFIXES_FILE [MAX]\n");
        return 2;
    }
    size_t max = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    char **prefixes = calloc(max ? max : 1, sizeof *prefixes);
    size_t n = 0;
    char line[2048];
    while (prefixes && n < max && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line && !(prefixes[n] = strdup(line)))
            break;
        n += *line != '\0';
    }
    fclose(f);
    double *lat = calloc(n ? n : 1, sizeof *lat), *cpu = calloc(n ? n : 1, sizeof *cpu);
    if (!prefixes || !lat || !cpu) {
        fprintf(stderr, "bench_suggest: out of memory\n");
        return 2;
    }
    kq_status st;
    char err[512];
    search_engine *e = search_open(argv[1], &st, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench_suggest: %s\n", err);
        return 2;
    }
    const char *show = getenv("KQ_BENCH_SHOW");
    printf("command: %s %s %s %zu\n", argv[0], argv[1], argv[2], max);
    printf("%-5s %-5s %8s %9s %9s %9s %9s %12s\n", "pass", "clock", "prefixes", "p50 ms", "p90 ms",
           "p99 ms", "max ms", "suggestions");
    static const char *const passes[] = {"cold", "warm"};
    int failed = 0;
    for (int pass = 0; pass < 2; pass++) {
        double shown = 0;
        for (size_t i = 0; i < n; i++) {
            char **items = NULL;
            size_t k = 0;
            double t0 = bench_now_ms(), c0 = cpu_ms();
            st = search_suggest(e, prefixes[i], 8, &items, &k, NULL);
            cpu[i] = cpu_ms() - c0;
            lat[i] = bench_now_ms() - t0;
            if (st != KQ_OK) {
                fprintf(stderr, "prefix %s: %s\n", prefixes[i], status_to_string(st));
                failed = 1;
            }
            if (show && pass == 0) {
                printf("%8.2f ms %8.2f cpu  %s →", lat[i], cpu[i], prefixes[i]);
                for (size_t j = 0; j < k; j++)
                    printf(" | %s", items[j]);
                printf("\n");
            }
            shown += (double)k;
            search_strings_free(items, k);
        }
        print_line(passes[pass], "wall", lat, n, shown);
        print_line(passes[pass], "cpu", cpu, n, shown);
    }
    search_close(e);
    for (size_t i = 0; i < n; i++)
        free(prefixes[i]);
    free(prefixes);
    free(lat);
    free(cpu);
    return failed;
}
