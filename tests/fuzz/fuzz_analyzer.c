/* fuzz_analyzer: libFuzzer target for analyzer_run, as for an article and as for a query (any bytes
 * in). */
#include "analyzer.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static analyzer *shared;

struct seen {
    size_t len;
    unsigned last_position;
};

/* Every token lies inside the input, has a non-empty term, exact form and
 * stem of valid UTF-8 of the lengths given, and positions never go back
 * (but for a compound, which takes the position of its first part). */
static int on_token(void *ctx, const analyzer_token *t)
{
    struct seen *s = ctx;
    int compound = (t->flags & TOKEN_COMPOUND) != 0;
    if (t->start > t->end || t->end > s->len || t->term_len == 0 ||
        strlen(t->term) != t->term_len || strlen(t->exact) != t->exact_len ||
        strlen(t->stem) != t->stem_len || t->position < 1 ||
        (!compound && t->position < s->last_position) || t->position > s->last_position + 1000)
        abort();
    if (!utf8_is_valid((const unsigned char *)t->term, t->term_len) ||
        !utf8_is_valid((const unsigned char *)t->exact, t->exact_len) ||
        !utf8_is_valid((const unsigned char *)t->stem, t->stem_len))
        abort();
    if (!compound)
        s->last_position = t->position;
    return 0;
}

/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!shared && !(shared = analyzer_new()))
        abort();
    for (int mode = ANALYZER_DOCUMENT; mode <= ANALYZER_QUERY; mode++) {
        struct seen s = {size, 1};
        unsigned next = 0;
        kq_status st = analyzer_run(shared, (const char *)data, size, 1, (enum analyzer_mode)mode,
                                    on_token, &s, &next);
        if (st != KQ_OK && st != KQ_ERR_NOMEM)
            abort();
        if (st == KQ_OK && next < s.last_position)
            abort();
    }
    return 0;
}
