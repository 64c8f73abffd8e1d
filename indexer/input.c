/* input: the table of input formats and their readers (input.h). */
#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

struct input {
    const struct input_format *format;
    article_reader *reader; /* exports */
    const char *path;       /* pages: read at the first input_next */
    int done;
};

struct input_format {
    const char *name;
    int (*claims)(const char *name); /* whether a file name is of this format */
    kq_status (*open)(input *in, const char *path, char *err, size_t err_size);
    kq_status (*next)(input *in, article *out, char *err, size_t err_size);
    void (*close)(input *in);
    /* Formats of many articles a file: the line of the last one, the bytes
     * read so far (NULL for one article a file). */
    size_t (*line)(const input *in);
    uint64_t (*offset)(const input *in);
};

/* --- exports: JSON Lines and JSON (article.h) ------------------------- */

static int export_claims(const char *name)
{
    static const char *const suffixes[] = {".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t m = strlen(suffixes[i]);
        if (n > m && strcmp(name + n - m, suffixes[i]) == 0)
            return 1;
    }
    return 0;
}

static kq_status export_open(input *in, const char *path, char *err, size_t err_size)
{
    in->reader = article_reader_open(path, err, err_size);
    return in->reader ? KQ_OK : KQ_ERR_IO;
}

static kq_status export_next(input *in, article *out, char *err, size_t err_size)
{
    return article_reader_next(in->reader, out, err, err_size);
}

static void export_close(input *in)
{
    article_reader_close(in->reader);
}

static size_t export_line(const input *in)
{
    return article_reader_line(in->reader);
}

static uint64_t export_offset(const input *in)
{
    return article_reader_offset(in->reader);
}

/* --- published pages (html.h) ------------------------------------------ */

static kq_status page_open(input *in, const char *path, char *err, size_t err_size)
{
    in->path = path;
    return KQ_OK;
}

static kq_status page_next(input *in, article *out, char *err, size_t err_size)
{
    if (in->done)
        return KQ_END;
    in->done = 1;
    article_clear(out);
    return html_read_file(in->path, out, err, err_size);
}

static void page_close(input *in)
{
}

/* The formats; the first claims what no other does (a file named on the
 * command line, standard input). */
static const struct input_format formats[] = {
    {"JSON Lines or JSON export", export_claims, export_open, export_next, export_close,
     export_line, export_offset},
    {"published page", html_is_page_name, page_open, page_next, page_close, NULL, NULL},
};

#define N_FORMATS (sizeof formats / sizeof formats[0])

int input_is_name(const char *name)
{
    if (name[0] == '.')
        return 0;
    for (size_t i = 0; i < N_FORMATS; i++)
        if (formats[i].claims(name))
            return 1;
    return 0;
}

uint64_t input_weight(const char *path, uint64_t size)
{
    size_t n = strlen(path);
    return n > 3 && strcmp(path + n - 3, ".gz") == 0 ? size * 3 : size;
}

kq_status input_open(const char *path, input **out, char *err, size_t err_size)
{
    const struct input_format *format = &formats[0];
    *out = NULL;
    if (strcmp(path, "-") != 0)
        for (size_t i = 1; i < N_FORMATS; i++)
            if (formats[i].claims(path)) {
                format = &formats[i];
                break;
            }
    input *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err, err_size, "out of memory");
        return KQ_ERR_NOMEM;
    }
    in->format = format;
    kq_status st = format->open(in, path, err, err_size);
    if (st != KQ_OK) {
        free(in);
        return st;
    }
    *out = in;
    return KQ_OK;
}

kq_status input_next(input *in, article *out, char *err, size_t err_size)
{
    return in->format->next(in, out, err, err_size);
}

size_t input_line(const input *in)
{
    return in->format->line ? in->format->line(in) : 0;
}

int input_is_stream(const input *in)
{
    return in->format->offset != NULL;
}

uint64_t input_offset(const input *in)
{
    return in->format->offset ? in->format->offset(in) : 0;
}

void input_close(input *in)
{
    if (!in)
        return;
    in->format->close(in);
    free(in);
}
