/* article: the article record and the reader of schema.org NewsArticle files (JSON Lines, JSON,
 * gzip). */
#ifndef KIOSQUE_ARTICLE_H
#define KIOSQUE_ARTICLE_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* One article as Kiosque indexes and displays it.  All strings are valid
 * UTF-8, NUL-terminated, owned by the record; optional ones may be NULL.
 *
 * Properties read from a schema.org NewsArticle (or Article, BlogPosting,
 * ReportageNewsArticle, ...), with their short aliases:
 *   identifier | id (string or number; else @id; else url) → id
 *   headline | title → title              description → description (the chapô)
 *   articleBody | body → body             url → url
 *   author | creator: string, {"name"}, or an array of either → authors
 *   datePublished | date → date           dateModified → date_modified
 *   articleSection | section: string or array → sections
 *   keywords: comma-separated string or array → keywords
 *   inLanguage: string or {"name"|"alternateName"} → language
 * Unknown properties are ignored.  The identifier falls back on @id, then on
 * url, when absent or blank; a whole number prints as an integer ("12345").
 * Text fields are trimmed (ASCII and no-break spaces); HTML tags and
 * entities in title, description and body are stripped and decoded (block
 * tags become line breaks).  Lists drop empty and repeated items.  An
 * unparsable date is not a reject: date stays NULL and published 0. */
typedef struct article {
    char *id;          /* required, non-empty, at most 256 bytes */
    char *title;       /* required, non-empty */
    char *description; /* may be NULL */
    char *body;        /* may be NULL or empty; truncated at ARTICLE_MAX_BODY bytes */
    char *url;         /* may be NULL */
    char *language;    /* may be NULL; e.g. "fr" */
    char **authors;    /* n_authors names, in input order */
    size_t n_authors;
    char **sections; /* n_sections names, most general first (e.g. "societe", "culture") */
    size_t n_sections;
    char **keywords; /* n_keywords, trimmed, no empty ones */
    size_t n_keywords;
    char *date; /* datePublished normalised to ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ", or NULL */
    int64_t published;   /* the same instant in seconds since the Unix epoch; 0 when unknown */
    char *date_modified; /* dateModified normalised the same way, or NULL */
    char hash[17];       /* content hash of every indexed field: 16 lower-case hex digits */
} article;

/* The longest body indexed, in bytes; longer bodies are cut at a UTF-8
 * boundary and the article is still indexed. */
#define ARTICLE_MAX_BODY (1024u * 1024u)

/* Frees every string an article owns and zeroes it; the struct itself is the
 * caller's.  article_clear(NULL) does nothing. */
void article_clear(article *a);

/* Fills *out from one JSON object given as text.  On failure returns
 * KQ_ERR_INVALID and writes a one-line reason into err (err_size bytes),
 * such as "missing headline" or "invalid JSON at column 17: ...".  *out is
 * left cleared on failure.  Used by the reader and by fuzzers. */
kq_status article_from_json(const char *text, size_t len, article *out, char *err, size_t err_size);

/* Parses an ISO 8601 date ("2024-03-05", "2024-03-05T10:00:00+01:00", ...;
 * also RFC 2822 "Tue, 05 Mar 2024 10:00:00 +0100") into seconds since the
 * epoch.  A date alone is midnight UTC; a time without a zone is UTC;
 * fractions of a second are dropped.  Returns KQ_OK or KQ_ERR_INVALID. */
kq_status article_parse_date(const char *text, int64_t *out);

/* Reads articles from one file, one after another.  Formats, chosen from the
 * content (gzip is detected by its magic bytes, whatever the name):
 *   JSON Lines (.jsonl, .jsonl.gz, "-" for stdin): one object per line;
 *   JSON (.json): one object, or an array of objects.
 * A file is read as one JSON document when its name ends in .json or
 * .json.gz, or when its first non-blank byte is '['; else as JSON Lines
 * (CRLF line ends and a leading byte-order mark are accepted). */
typedef struct article_reader article_reader;

/* Opens `path` ("-" is standard input).  Returns NULL on failure with the
 * reason in err.  The caller owns the reader and frees it with
 * article_reader_close. */
article_reader *article_reader_open(const char *path, char *err, size_t err_size);

/* Reads the next article into *out (cleared first, so *out must be zeroed
 * or hold an earlier article).  Blank lines are skipped.  Returns
 *   KQ_OK           an article was read;
 *   KQ_ERR_INVALID  the current line (or array element) was rejected: err
 *                   holds the reason, article_reader_line() its line; call
 *                   again to go on with the next one;
 *   KQ_END          the input is exhausted;
 *   KQ_ERR_IO       the file could not be read further (err says why). */
kq_status article_reader_next(article_reader *r, article *out, char *err, size_t err_size);

/* The 1-based line number of the article (or rejected line) last returned;
 * for a JSON document, the line where the array element (or the object)
 * starts, or the line of the syntax error when the document does not parse
 * (it is then one reject, and the reader ends). */
size_t article_reader_line(const article_reader *r);

/* Bytes of the file on disk consumed so far (compressed bytes for gzip), and
 * its total size (0 for stdin or a pipe): enough for a progress line. */
uint64_t article_reader_offset(const article_reader *r);
uint64_t article_reader_size(const article_reader *r);

/* Closes the reader; article_reader_close(NULL) does nothing. */
void article_reader_close(article_reader *r);

#endif
