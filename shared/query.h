/* query: the Kiosque query language, parsed into a tree; forgiving, so no input is ever an error. */
#ifndef KIOSQUE_QUERY_H
#define KIOSQUE_QUERY_H

#include <stddef.h>
#include <stdint.h>

/* The language (the same in `search`, the page and the API):
 *   words                 all must match by default (ranked)
 *   "exact phrase"        the words in this order
 *   -word  -"phrase"      exclude
 *   a OR b                alternatives (also "ou" is NOT an operator: only upper-case OR)
 *   ( ... )               grouping
 *   titre:/title:  auteur:/author:  rubrique:/section:  motcle:/keyword:
 *                         restrict a word, a "phrase" or a (group) to a field
 *   date:2024  date:2024-03  date:2024-03-05  date:2024-01..2024-06
 *   depuis:2025-01-01 (since)  avant:2025-02 (before)   dates are UTC
 *   intellig*             prefix search (bounded expansion, done by search.c)
 * Malformed syntax is read as the words a person meant: an unbalanced quote
 * closes at the end, unbalanced parentheses are ignored, a lone OR or "-" is
 * dropped, an unknown field name ("http:", "12:30") is kept as ordinary text,
 * a bad date is read as words.  Words are kept as typed (not analysed): the
 * French analyzer runs on them later in search.c. */

enum query_kind {
    QUERY_AND,    /* children, all required (implicit between terms) */
    QUERY_OR,     /* children, any */
    QUERY_WORD,   /* text: one whitespace-free word as typed, e.g. "L'économie" or "porte-parole" */
    QUERY_PHRASE, /* text: the words between quotes, as typed */
    QUERY_PREFIX, /* text: the word before the '*', as typed (without the star) */
    QUERY_DATE,   /* a date range [date_from, date_to], seconds since the epoch, inclusive; 0: open */
};

enum query_field {
    QUERY_FIELD_ANY = 0,
    QUERY_FIELD_TITLE,
    QUERY_FIELD_AUTHOR,
    QUERY_FIELD_SECTION,
    QUERY_FIELD_KEYWORD,
};

typedef struct query_node {
    enum query_kind kind;
    enum query_field field;  /* for WORD, PHRASE, PREFIX (a field on a group is pushed down to its leaves) */
    int negated;             /* 1 for -word, -"phrase", -(group), -date:... */
    char *text;              /* WORD, PHRASE, PREFIX: NUL-terminated UTF-8; else NULL */
    int64_t date_from, date_to; /* QUERY_DATE only */
    struct query_node **children; /* AND, OR */
    size_t n_children;
} query_node;

/* Parses `len` bytes of a query.  Always returns a tree whose root is a
 * QUERY_AND (possibly with no children for an empty query), or NULL only when
 * out of memory.  The caller frees it with query_free. */
query_node *query_parse(const char *text, size_t len);

/* Frees a tree; query_free(NULL) does nothing. */
void query_free(query_node *q);

/* A compact description of the tree for tests and debugging, e.g.
 * (AND word:"l'économie" -phrase:"le monde" (OR title:word:"x" prefix:"intel") date:[1704067200,1735689599]);
 * the caller frees it. */
char *query_describe(const query_node *q);

#endif
