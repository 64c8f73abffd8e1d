/* search: the command line of Kiosque: ranked articles with highlighted snippets. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "article.h"
#include "dbpath.h"
#include "index.h"
#include "result_render.h"
#include "search.h"
#include "searchlog.h"

enum { EXIT_FOUND = 0, EXIT_NONE = 1, EXIT_FAILED = 2 };

static void usage(FILE *f)
{
    fputs(
        "usage: search [--db PATH] [-n N] [--offset K] [--json] [--sort relevance|date|date_asc]\n"
        "              [--section S] [--author A] [--since DATE] [--until DATE] [--facets]\n"
        "              [--all] [--duplicates-of ID] [--half-life DAYS] [--time-limit MS]\n"
        "              [--shard-timeout MS] QUERY...\n"
        "       search [--db PATH] [-n N] [--json] --related ID\n"
        "       search [--db PATH] report [--since DATE] [--until DATE] [-n N] [--json]\n"
        "       search -h|--help | --version\n"
        "\n"
        "Prints the best-matching articles: headline, date, section, author, URL and a\n"
        "snippet with the matched words highlighted.  -n N (or --limit N): at most N hits\n"
        "(default 10).  The query language: man kiosque-query.  The database is --db PATH, else\n"
        "$KIOSQUE_DB, else ~/.local/share/kiosque.  Exit status: 0 articles found, 1 none,\n"
        "2 error.  --time-limit MS: stop after MS milliseconds with the matches examined\n"
        "(\"timed_out\"; default: no limit).\n"
        "With --db a stub file of shards, a shard that does not answer within\n"
        "--shard-timeout MS (default 10000) is left out: the others' articles are printed,\n"
        "and standard error names the shards missing.\n"
        "\n"
        "search report: what readers searched with searchd (the last 7 days, or --since DATE\n"
        "to --until DATE), against the period as long before: the most frequent queries, the\n"
        "most frequent with zero or few results, rising queries; -n N rows each (default 20).\n"
        "To search for the word itself: search -- report.\n",
        f);
}

/* Names on stderr the shards whose articles are missing from r. */
static void warn_missing_shards(search_engine *e, const search_result *r)
{
    for (unsigned i = 0; r->shards_failed && i < r->shards_total; i++) {
        search_shard s;
        search_shard_state(e, i, &s);
        if (!s.up)
            fprintf(stderr, "search: shard %u (%s) does not answer, its articles are missing: %s\n",
                    i + 1, s.name, s.error);
    }
}

/* Prints text without control characters, so an article cannot drive the terminal. */
static void put_clean(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        putchar(c < 0x20 || c == 0x7f ? ' ' : c);
    }
}

static void print_hit(const search_hit *h, unsigned rank, int tty)
{
    const char *bold = tty ? "\033[1m" : "", *plain = tty ? "\033[0m" : "";
    const char *dim = tty ? "\033[2m" : "";
    printf("%u. %s", rank, bold);
    put_clean(h->title, strlen(h->title));
    printf("%s\n   %s", plain, dim);
    if (*h->date)
        put_clean(h->date, strlen(h->date) >= 10 ? 10 : strlen(h->date));
    if (*h->section)
        fputs(" · ", stdout), put_clean(h->section, strlen(h->section));
    if (*h->author)
        fputs(" · ", stdout), put_clean(h->author, strlen(h->author));
    if (h->duplicates)
        printf(" · +%u reprise%s", h->duplicates, h->duplicates > 1 ? "s" : "");
    printf("%s\n", plain);
    if (*h->url) {
        fputs("   ", stdout);
        put_clean(h->url, strlen(h->url));
        putchar('\n');
    }
    fputs("   ", stdout);
    size_t at = 0, len = strlen(h->snippet);
    for (size_t i = 0; i < h->n_marks; i++) {
        const search_mark *m = &h->marks[i];
        if (m->start < at || m->end > len)
            continue;
        put_clean(h->snippet + at, m->start - at);
        fputs(tty ? "\033[1m" : "", stdout);
        put_clean(h->snippet + m->start, m->end - m->start);
        fputs(tty ? "\033[0m" : "", stdout);
        at = m->end;
    }
    put_clean(h->snippet + at, len - at);
    fputs("\n\n", stdout);
}

static int parse_unsigned(const char *s, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* 1 when the command line is `search [--db PATH] report [report options]`: the word report
 * alone among report options (`search report du vote` searches words, `search -- report`
 * the word). */
static int is_report(int argc, char **argv)
{
    int words = 0, report = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--db") == 0 || strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0 ||
            strcmp(a, "-n") == 0 || strcmp(a, "--limit") == 0)
            i++;
        else if (strcmp(a, "--json") == 0)
            continue;
        else if (a[0] == '-')
            return 0;
        else
            report = words++ == 0 && strcmp(a, "report") == 0;
    }
    return report && words == 1;
}

static void print_rows(const char *title, json_t *rows, const char *what)
{
    printf("\n%s\n", title);
    if (json_array_size(rows) == 0)
        printf("   (aucune)\n");
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *q = json_string_value(json_object_get(row, "query"));
        printf("%6lld  ", (long long)json_integer_value(json_object_get(row, "searches")));
        put_clean(q ? q : "", q ? strlen(q) : 0);
        json_int_t n = json_integer_value(json_object_get(row, what));
        if (strcmp(what, "previous") == 0)
            printf("  (%lld avant)\n", (long long)n);
        else
            printf("  (%lld résultat%s)\n", (long long)n, n > 1 ? "s" : "");
    }
}

/* search report: see usage(). */
static int run_report(int argc, char **argv)
{
    const char *db_arg = NULL;
    int json = 0;
    searchlog_report_options opt = {0};
    char db[PATH_MAX], err[1024];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "report") == 0)
            continue;
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        const char *v = argv[++i]; /* is_report saw a value after each of these */
        if (!v) {
            fprintf(stderr, "search: %s needs a value\n", a);
            return EXIT_FAILED;
        }
        if (strcmp(a, "--db") == 0) {
            db_arg = v;
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "--limit") == 0) {
            if (parse_unsigned(v, SEARCH_MAX_LIMIT, &opt.top) != 0 || opt.top == 0) {
                fprintf(stderr, "search: -n must be between 1 and %u\n", SEARCH_MAX_LIMIT);
                return EXIT_FAILED;
            }
        } else {
            int64_t t;
            if (article_parse_date(v, &t) != KQ_OK) {
                fprintf(stderr, "search: %s wants a date such as 2025-01-31, not %s\n", a, v);
                return EXIT_FAILED;
            }
            if (a[2] == 's')
                opt.since = t;
            else /* the whole day of a bare date, the end being exclusive */
                opt.until = t + (strlen(v) == 10 ? 86400 : 0);
        }
    }
    if (dbpath_resolve(db_arg, db, sizeof db) != 0) {
        fprintf(stderr, "search: no database location: give --db PATH or set KIOSQUE_DB\n");
        return EXIT_FAILED;
    }
    char *text = NULL;
    kq_status st = searchlog_report(db, &opt, &text, err, sizeof err);
    if (st != KQ_OK) {
        fprintf(stderr, "search: %s\n", err);
        return st == KQ_ERR_NOT_FOUND ? EXIT_NONE : EXIT_FAILED;
    }
    if (json) {
        puts(text);
        free(text);
        return EXIT_FOUND;
    }
    json_t *r = json_loads(text, 0, NULL);
    free(text);
    if (!r)
        return EXIT_FAILED;
    const char *since = json_string_value(json_object_get(r, "since"));
    const char *until = json_string_value(json_object_get(r, "until"));
    printf("Recherches du %.10s au %.10s : %lld (%lld requêtes distinctes, %lld sans résultat) ; "
           "période précédente : %lld\n",
           since ? since : "", until ? until : "",
           (long long)json_integer_value(json_object_get(r, "searches")),
           (long long)json_integer_value(json_object_get(r, "distinct_queries")),
           (long long)json_integer_value(json_object_get(r, "zero_result_searches")),
           (long long)json_integer_value(json_object_get(r, "previous_searches")));
    print_rows("Les plus fréquentes :", json_object_get(r, "top"), "results");
    print_rows("Sans résultat ou presque :", json_object_get(r, "few_results"), "results");
    print_rows("En hausse sur la période précédente :", json_object_get(r, "rising"), "previous");
    json_decref(r);
    return EXIT_FOUND;
}

int main(int argc, char **argv)
{
    const char *db_arg = NULL;
    char db[PATH_MAX], err[1024];
    int json = 0, i;
    const char *related = NULL;
    unsigned time_limit = 0;
    search_request req = {0};
    req.limit = 10;
    if (is_report(argc, argv))
        return run_report(argc, argv);

    /* Options may come before, between or after the words of the query, as
     * with GNU tools; an argument such as -chine that is no option is a
     * word (an exclusion), and everything after -- is words. */
    int n_words = 0; /* the words are gathered in place, at argv[1..n_words] */
    for (i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (opt[0] != '-' || !opt[1] ||
            (opt[1] != '-' && strcmp(opt, "-n") != 0 && strcmp(opt, "-h") != 0)) {
            argv[1 + n_words++] = argv[i];
            continue;
        }
        if (strcmp(opt, "--") == 0) {
            while (++i < argc)
                argv[1 + n_words++] = argv[i];
            break;
        } else if (strcmp(opt, "--json") == 0) {
            json = 1;
            continue;
        } else if (strcmp(opt, "--facets") == 0) {
            req.facets = 1;
            continue;
        } else if (strcmp(opt, "--all") == 0) {
            req.no_collapse = 1;
            continue;
        } else if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            usage(stdout);
            return EXIT_FOUND;
        } else if (strcmp(opt, "--version") == 0) {
            puts("search (Kiosque) " KIOSQUE_VERSION);
            return EXIT_FOUND;
        }
        if (!val) {
            fprintf(stderr, "search: %s needs a value\n", opt);
            return EXIT_FAILED;
        }
        i++;
        if (strcmp(opt, "--db") == 0)
            db_arg = val;
        else if (strcmp(opt, "-n") == 0 || strcmp(opt, "--limit") == 0) {
            if (parse_unsigned(val, SEARCH_MAX_LIMIT, &req.limit) != 0 || req.limit == 0) {
                fprintf(stderr, "search: -n must be between 1 and %u\n", SEARCH_MAX_LIMIT);
                return EXIT_FAILED;
            }
        } else if (strcmp(opt, "--offset") == 0) {
            if (parse_unsigned(val, SEARCH_MAX_OFFSET, &req.offset) != 0) {
                fprintf(stderr, "search: --offset must be between 0 and %u\n", SEARCH_MAX_OFFSET);
                return EXIT_FAILED;
            }
        } else if (strcmp(opt, "--sort") == 0) {
            if (strcmp(val, "relevance") == 0)
                req.sort = SEARCH_SORT_RELEVANCE;
            else if (strcmp(val, "date") == 0)
                req.sort = SEARCH_SORT_DATE;
            else if (strcmp(val, "date_asc") == 0)
                req.sort = SEARCH_SORT_DATE_ASC;
            else {
                fprintf(stderr, "search: --sort must be relevance, date or date_asc\n");
                return EXIT_FAILED;
            }
        } else if (strcmp(opt, "--section") == 0)
            req.section = val;
        else if (strcmp(opt, "--author") == 0)
            req.author = val;
        else if (strcmp(opt, "--duplicates-of") == 0)
            req.duplicates_of = val;
        else if (strcmp(opt, "--related") == 0)
            related = val;
        else if (strcmp(opt, "--time-limit") == 0) {
            if (parse_unsigned(val, 600000, &time_limit) != 0) {
                fprintf(stderr,
                        "search: --time-limit must be milliseconds from 0 (none) to 600000\n");
                return EXIT_FAILED;
            }
        } else if (strcmp(opt, "--shard-timeout") == 0) {
            unsigned ms;
            if (parse_unsigned(val, 600000, &ms) != 0 || ms == 0) {
                fprintf(stderr, "search: --shard-timeout must be milliseconds from 1 to 600000\n");
                return EXIT_FAILED;
            }
            index_set_remote_timeout(ms);
        } else if (strcmp(opt, "--half-life") == 0) {
            char *end;
            req.half_life_days = strtod(val, &end);
            if (*end || end == val || req.half_life_days > 36500) {
                fprintf(stderr, "search: --half-life wants a number of days (0 or less: none)\n");
                return EXIT_FAILED;
            }
            if (req.half_life_days == 0)
                req.half_life_days = -1;
        } else if (strcmp(opt, "--since") == 0 || strcmp(opt, "--until") == 0) {
            int64_t t;
            if (article_parse_date(val, &t) != KQ_OK) {
                fprintf(stderr, "search: %s wants a date such as 2025-01-31, not %s\n", opt, val);
                return EXIT_FAILED;
            }
            if (opt[2] == 's')
                req.since = t;
            else
                req.until = t;
        } else {
            fprintf(stderr, "search: unknown option %s\n", opt);
            usage(stderr);
            return EXIT_FAILED;
        }
    }
    if (n_words == 0 && !related) {
        usage(stderr);
        return EXIT_FAILED;
    }
    /* The words of the query, as one string. */
    size_t total = 1;
    for (int k = 0; k < n_words; k++)
        total += strlen(argv[1 + k]) + 1;
    char *query = calloc(1, total);
    if (!query)
        return EXIT_FAILED;
    for (int k = 0; k < n_words; k++) {
        if (k > 0)
            strcat(query, " ");
        strcat(query, argv[1 + k]);
    }
    req.query = query;

    if (dbpath_resolve(db_arg, db, sizeof db) != 0) {
        fprintf(stderr, "search: no database location: give --db PATH or set KIOSQUE_DB\n");
        free(query);
        return EXIT_FAILED;
    }
    kq_status st;
    int code = EXIT_FAILED;
    search_result r = {0};
    search_engine *e = search_open(db, &st, err, sizeof err);
    if (!e) {
        fprintf(stderr, "search: %s\n", err);
        goto out;
    }
    search_set_time_limit(e, time_limit);
    st = related ? search_related(e, related, req.limit, &r) : search_run(e, &req, &r);
    if (st != KQ_OK) {
        fprintf(stderr, "search: %s\n", search_last_error(e));
        goto out;
    }
    code = r.n_hits ? EXIT_FOUND : EXIT_NONE;
    warn_missing_shards(e, &r);
    if (json) {
        char *s = result_json(&r);
        if (!s) {
            code = EXIT_FAILED;
            goto out;
        }
        puts(s);
        free(s);
        goto out;
    }
    int tty = isatty(1);
    if (r.suggestion) {
        printf("Vouliez-vous dire : ");
        put_clean(r.suggestion, strlen(r.suggestion));
        printf(" ?\n");
    }
    if (r.has_dates) {
        printf("Articles publiés %s (« ", r.understood_dates.label);
        put_clean(r.understood_dates.words, strlen(r.understood_dates.words));
        printf(" » ; entre guillemets, ces mots sont cherchés comme des mots)\n");
    }
    if (r.timed_out)
        printf("Recherche arrêtée au bout de %u ms : résultats parmi les articles examinés.\n",
               time_limit);
    if (r.total == 0) {
        printf("Aucun article ne correspond à « ");
        put_clean(query, strlen(query));
        printf(" ».\nEssayez d'autres mots, moins de mots, ou sans filtre.\n");
        goto out;
    }
    if (r.partial)
        printf("Aucun article ne contient tous les mots : voici les plus proches.\n");
    if (!r.total_exact) /* only the lower bound is sure */
        printf("plus de %llu article%s pour « ", (unsigned long long)r.total_lower,
               r.total_lower > 1 ? "s" : "");
    else
        printf("%llu article%s pour « ", (unsigned long long)r.total, r.total > 1 ? "s" : "");
    put_clean(query, strlen(query));
    printf(" » (%.1f ms)\n\n", r.took_ms);
    for (size_t k = 0; k < r.n_hits; k++)
        print_hit(&r.hits[k], req.offset + (unsigned)k + 1, tty);
    for (size_t f = 0; r.has_facets && f < SEARCH_FACET_COUNT; f++) {
        printf("%s:", r.facets[f].name);
        for (size_t k = 0; k < r.facets[f].n_values && k < 12; k++) {
            putchar(' ');
            put_clean(r.facets[f].values[k].value, strlen(r.facets[f].values[k].value));
            printf(" (%llu)", (unsigned long long)r.facets[f].values[k].count);
        }
        putchar('\n');
    }
    if (r.n_hits == 0)
        printf("Pas d'autres résultats après le %u%s.\n", req.offset, req.offset == 1 ? "er" : "e");
    else if (req.offset + r.n_hits < r.total)
        printf("Suite : search --offset %u ...\n", req.offset + (unsigned)r.n_hits);
out:
    search_result_clear(&r);
    search_close(e);
    free(query);
    return code;
}
