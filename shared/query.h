/* query: the Kiosque query language, parsed into a tree; forgiving, so no input is ever an error.
 */
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
 *   intellig*             prefix search (bounded expansion, done by compile.c)
 * Malformed syntax is read as the words a person meant: an unbalanced quote
 * closes at the end, unbalanced parentheses are ignored, a lone OR or "-" is
 * dropped, an unknown field name ("http:", "12:30") is kept as ordinary text,
 * a bad date is read as words.  Words are kept as typed (not analysed): the
 * French analyzer runs on them later, in plan.c.
 *
 * Details of the reading:
 * - Words are separated by Unicode spaces (including U+00A0 and U+202F),
 *   parentheses and opening quotes; apostrophes and hyphens stay inside words
 *   ("L'économie", "porte-parole").  NOT is an ordinary word.
 * - Quotes pair as " ", « », “ ”; inside, runs of spaces become one space and
 *   the ends are trimmed; an empty phrase is dropped.  A stray » or ” is a space.
 * - Precedence: OR binds tighter than the implicit AND, so "a b OR c d" is
 *   (AND a (OR b c) d).  Only upper-case OR, alone, is the operator.
 * - A leading "-" excludes a word, phrase, prefix, group, field or date term;
 *   a leading "+" is accepted and means nothing.
 * - Field names ignore case: titre/title, auteur/author, rubrique/section,
 *   motcle/motclé/mot-clé/keyword/keywords; a field on a group applies to the
 *   leaves inside that have none.  "titre:" with nothing after it is dropped.
 * - Dates: date:P is period P (a year, month or day); date:P..Q from the start
 *   of P to the end of Q (put in order if reversed), date:P.. and date:..Q are
 *   open; depuis:/since: P from its start; avant:/before:/until: P up to the
 *   second before its start; apres:/après:/after: P from the second after its
 *   end.  Month 1-12, day valid in its month; anything else is the word
 *   "date:..." as typed.  Several dates are all required (AND).
 * - "intellig*" is a prefix when at least 2 characters precede the star
 *   ("a*" is the word "a"); stars before a word are dropped, a bare "*" too.
 * - Limits: parentheses nested deeper than 32 are read as absent; only the
 *   first 64 leaves (words, phrases, prefixes, dates) are kept, the rest of
 *   the query is ignored.  Any bytes are accepted: NUL and control characters
 *   are spaces, invalid UTF-8 becomes U+FFFD, so node texts are valid UTF-8.
 * - Shape: the root is always an AND and never negated; nested ANDs and ORs
 *   that are not negated are flattened into their parent; a group of one
 *   term is that term (a "-" on the group flips the term's own). */

enum query_kind {
    QUERY_AND,  /* children, all required (implicit between terms) */
    QUERY_OR,   /* children, any */
    QUERY_WORD, /* text: one whitespace-free word as typed, e.g. "L'économie" or "porte-parole" */
    QUERY_PHRASE, /* text: the words between quotes, as typed */
    QUERY_PREFIX, /* text: the word before the '*', as typed (without the star) */
    QUERY_DATE,   /* a date range [date_from, date_to], seconds since the epoch, UTC, inclusive;
                     0: open (so a bound falling exactly on 1970-01-01T00:00:00 also reads as open) */
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
    enum query_field
        field;   /* for WORD, PHRASE, PREFIX (a field on a group is pushed down to its leaves) */
    int negated; /* 1 for -word, -"phrase", -(group), -date:... */
    char *text;  /* WORD, PHRASE, PREFIX: NUL-terminated UTF-8; else NULL */
    int64_t date_from, date_to;   /* QUERY_DATE only */
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
 * (AND word:"l'économie" -phrase:"le monde" (OR title:word:"x" prefix:"intel")
 * date:[1704067200,1735689599]); groups are "(AND ...)"/"(OR ...)", leaves [-][field:]kind:"text"
 * with field one of title, author, section, keyword and '"' and '\' escaped by '\'; dates
 * [-]date:[from,to].  Returns NULL when out of memory; the caller frees it. */
char *query_describe(const query_node *q);

#endif
