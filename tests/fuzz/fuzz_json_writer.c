/* fuzz_json_writer: libFuzzer target for the JSON writer's strings (any bytes in, JSON out). */
#include "json_writer.h"
#include "utf8.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Any bytes written as a string inside an array give JSON that jansson
 * reads back; when the bytes are valid UTF-8, as the same bytes. */
/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_writer w;
    jw_init(&w);
    jw_begin(&w, '[');
    jw_stringn(&w, (const char *)data, size);
    jw_real(&w, size * 0.001);
    jw_end(&w, ']');
    size_t len = 0;
    char *text = jw_finish(&w, &len);
    if (!text)
        return 0;
    json_error_t err;
    json_t *v = json_loadb(text, len, JSON_ALLOW_NUL, &err);
    if (!v || !json_is_array(v) || json_array_size(v) != 2 || !json_is_string(json_array_get(v, 0)))
        abort();
    json_t *s = json_array_get(v, 0);
    if (utf8_is_valid(data, size) &&
        (json_string_length(s) != size || memcmp(json_string_value(s), data, size) != 0))
        abort();
    json_decref(v);
    free(text);
    return 0;
}
