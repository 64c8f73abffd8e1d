/* render_buf: a growable text buffer, shared by searchd's rendering and the library's writers. */
#ifndef KIOSQUE_RENDER_BUF_H
#define KIOSQUE_RENDER_BUF_H

#include <stddef.h>

/* A growable byte buffer with a sticky error, in the spirit of git's strbuf
 * and FTS5's builders: a chain of appends needs one check at the end.  The
 * struct is transparent so it can live on the stack; start it with
 * RENDER_BUF_INIT or render_buf_init.  data is always NUL-terminated once
 * anything has been appended. */
typedef struct render_buf {
    char *data;
    size_t len; /* bytes used, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
    int failed; /* set when an allocation failed; every later append is a no-op */
} render_buf;

#define RENDER_BUF_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

void render_buf_init(render_buf *b);
/* Frees the buffer's memory and resets it; the struct itself is the caller's. */
void render_buf_free(render_buf *b);

/* Makes room for `extra` more bytes after len, plus the NUL, for a caller
 * that writes into data + len itself (iconv, a read) and then advances
 * len; returns 0, or -1 (and marks the buffer failed) when memory runs
 * out. */
int render_buf_reserve(render_buf *b, size_t extra);

void render_buf_add(render_buf *b, const char *s, size_t len);
void render_buf_puts(render_buf *b, const char *s);
void render_buf_printf(render_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hands over the buffer's contents: returns NULL when an append failed (and
 * frees what was built).  The caller owns the returned string and frees it
 * with free(); *len (if not NULL) receives its length.  The buffer is reset. */
char *render_buf_release(render_buf *b, size_t *len);

#endif
