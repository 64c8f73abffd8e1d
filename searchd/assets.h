/* assets: the page's stylesheet and script, embedded in the searchd binary at build time (see
 * assets.cmake). */
#ifndef KIOSQUE_ASSETS_H
#define KIOSQUE_ASSETS_H

#include <stddef.h>

typedef struct asset {
    const char *name;         /* file name under /static/, e.g. "kiosque.js" */
    const char *content_type; /* with its charset */
    const unsigned char *data;
    size_t len; /* bytes */
} asset;

/* The embedded files, generated from searchd/assets/ into the build tree. */
extern const asset assets[];
extern const size_t assets_count;

#endif
