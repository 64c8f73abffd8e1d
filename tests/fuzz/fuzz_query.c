/* fuzz_query: libFuzzer target for query_parse and query_describe (any bytes in, a tree out). */
#include "query.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Every input must give a tree with an AND root (NULL only when out of
 * memory) whose description can be built; the sanitizers catch the rest. */
/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    query_node *q = query_parse((const char *)data, size);
    if (!q)
        return 0;
    if (q->kind != QUERY_AND || q->negated)
        abort();
    char *d = query_describe(q);
    if (d && strncmp(d, "(AND", 4) != 0)
        abort();
    free(d);
    query_free(q);
    return 0;
}
