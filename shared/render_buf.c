/* render_buf: a growable text buffer.  See render_buf.h for the contracts. */
#include "render_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void render_buf_init(render_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

void render_buf_free(render_buf *b)
{
    free(b->data);
    render_buf_init(b);
}

int render_buf_reserve(render_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = 1;
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

void render_buf_add(render_buf *b, const char *s, size_t len)
{
    if (render_buf_reserve(b, len) != 0)
        return;
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void render_buf_puts(render_buf *b, const char *s)
{
    render_buf_add(b, s, strlen(s));
}

void render_buf_printf(render_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (render_buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *render_buf_release(render_buf *b, size_t *len)
{
    if (b->failed) {
        render_buf_free(b);
        return NULL;
    }
    if (!b->data && render_buf_reserve(b, 0) != 0)
        return NULL;
    if (!b->data)
        return NULL;
    b->data[b->len] = '\0';
    char *out = b->data;
    if (len)
        *len = b->len;
    render_buf_init(b);
    return out;
}
