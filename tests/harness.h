/* harness: the minimal test harness of Kiosque's C tests (checks that count failures, table-driven
 * style). */
#ifndef KIOSQUE_HARNESS_H
#define KIOSQUE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Each check prints the failing expression with its file and line and
 * counts a failure; harness_exit() ends main with the status CTest reads.
 * A test that cannot run (missing data) calls harness_skip, which exits
 * with 77, registered as SKIP_RETURN_CODE. */

extern int harness_failures;
extern int harness_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        harness_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            harness_failures++;                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        harness_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            harness_failures++;                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        harness_checks++;                                                                          \
        if (!g_ || !w_ ? g_ != w_ : strcmp(g_, w_) != 0) {                                         \
            harness_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got,      \
                    g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                       \
        }                                                                                          \
    } while (0)

/* Whether two strings are equal, NULL-ness included (NULL equals only NULL). */
bool harness_same(const char *a, const char *b);

/* Joins the n strings of v with '|' into buf (size bytes, truncated);
 * returns buf, or NULL for an empty list, to compare a list with one
 * string. */
const char *harness_join(char **v, size_t n, char *buf, size_t size);

/* s, or "(null)" when s is NULL, for a message. */
const char *harness_or_null(const char *s);

/* Checks that field `name` of case `ctx` is `want` (harness_same). */
#define CHECK_FIELD(ctx, name, got, want)                                                          \
    CHECK_MSG(harness_same((got), (want)), "%s: %s: got \"%s\", want \"%s\"", (ctx), (name),       \
              harness_or_null(got), harness_or_null(want))

/* Prints the summary and returns the exit status for main. */
int harness_exit(const char *name);

/* Prints why the test cannot run and exits with 77 (skipped). */
void harness_skip(const char *reason);

/* Creates a fresh temporary directory (removed by harness_cleanup) and
 * writes its path into out.  Returns 0 or -1. */
int harness_tmpdir(char *out, size_t out_size);
void harness_cleanup(void);

#endif
