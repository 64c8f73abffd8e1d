/* input: the formats the indexer reads (exports, published pages), one table entry each, behind
 * one reader of articles. */
#ifndef KIOSQUE_INPUT_H
#define KIOSQUE_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include "article.h"
#include "status.h"

/* The formats, in input.c's table:
 *   JSON Lines and JSON exports (article.h: .jsonl, .jsonl.gz, .json,
 *     .json.gz, .ndjson; also any file named on the command line that no
 *     other format claims, and "-", standard input): many articles, each
 *     with its line;
 *   published pages (html.h: .html, .htm, any case): one article a file,
 *     or none for a home or section page.
 * A new format is one entry of the table: its name test, and the open,
 * next and close functions of its reader. */

typedef struct input input;

/* Whether a file called `name`, met in a directory, is an input: not
 * hidden, and a format claims the name. */
int input_is_name(const char *name);

/* How much text an input of `size` bytes holds, roughly, for choosing to
 * index it on several threads: a gzip file (its name ends in .gz) about
 * three times its size. */
uint64_t input_weight(const char *path, uint64_t size);

/* Opens `path` ("-" is standard input) with the reader of its format.
 * Returns KQ_OK with the reader in *out, which the caller owns and frees
 * with input_close; or, with *out NULL and the reason in err, KQ_ERR_IO when
 * the file cannot be read, or KQ_ERR_NOMEM. */
kq_status input_open(const char *path, input **out, char *err, size_t err_size);

/* Reads the next article into *out (cleared first, so *out must be zeroed
 * or hold an earlier article).  Returns
 *   KQ_OK            an article was read;
 *   KQ_ERR_INVALID   a line or a page was rejected (err says why,
 *                    input_line where): call again to go on;
 *   KQ_ERR_NOT_FOUND the input is not an article (a home or section page;
 *                    err says why): call again;
 *   KQ_END           the input is exhausted;
 *   another failure  the input could not be read further (err says why). */
kq_status input_next(input *in, article *out, char *err, size_t err_size);

/* The 1-based line of what input_next last returned, or 0 when the format
 * holds one article a file. */
size_t input_line(const input *in);

/* Whether the format holds many articles a file, whose progress a
 * progress line shows. */
int input_is_stream(const input *in);

/* Bytes of the file consumed so far (compressed bytes for gzip; 0 for a
 * format of one article a file): enough for a progress line. */
uint64_t input_offset(const input *in);

/* Closes the reader; input_close(NULL) does nothing. */
void input_close(input *in);

#endif
