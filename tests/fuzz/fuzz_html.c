/* fuzz_html: libFuzzer target for html_read_article and html_main_text (any bytes in). */
#include "html.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_text(const char *s)
{
    if (s && !utf8_is_valid((const unsigned char *)s, strlen(s)))
        abort();
}

/* A page read as an article has the required fields, every one valid UTF-8;
 * a page refused leaves the article cleared.  The main text of valid UTF-8
 * is valid UTF-8.  The sanitizers catch the rest. */
/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    article a;
    char err[256];
    memset(&a, 0, sizeof a);
    kq_status st = html_read_article((const char *)data, size, "fuzz-page", &a, err, sizeof err);
    if (st == KQ_OK) {
        if (!a.id || !*a.id || !a.title || !*a.title)
            abort();
        check_text(a.id);
        check_text(a.title);
        check_text(a.description);
        check_text(a.body);
        check_text(a.url);
        for (size_t i = 0; i < a.n_authors; i++)
            check_text(a.authors[i]);
        for (size_t i = 0; i < a.n_sections; i++)
            check_text(a.sections[i]);
    } else if (a.id || a.title || a.body) {
        abort();
    }
    article_clear(&a);
    if (utf8_is_valid(data, size)) {
        char *text = html_main_text((const char *)data, size);
        check_text(text);
        free(text);
    }
    return 0;
}
