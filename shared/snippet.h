/* snippet: the passage of an article that best shows why it matched, with the matching words
 * marked. */
#ifndef KIOSQUE_SNIPPET_H
#define KIOSQUE_SNIPPET_H

#include <stddef.h>
#include "analyzer.h"
#include "search.h"
#include "status.h"

/* The words to mark are described by their analysed forms, so a query word
 * marks what a reader sees: `intelligence` marks "intelligence" inside
 * "l’intelligence", `ecole` marks "École", `economie` marks "économiques"
 * (same stem). */

typedef struct snippet_terms snippet_terms;

/* Creates an empty set of words to mark; the caller frees it with snippet_terms_free. */
snippet_terms *snippet_terms_new(void);
void snippet_terms_free(snippet_terms *t);

/* Marks tokens whose folded form is `term`, or, when stem is not NULL,
 * whose stem is `stem`.  Returns KQ_OK or KQ_ERR_NOMEM. */
kq_status snippet_terms_add(snippet_terms *t, const char *term, const char *stem);
/* Marks tokens whose folded form starts with `prefix`. */
kq_status snippet_terms_add_prefix(snippet_terms *t, const char *prefix);
/* Number of words and prefixes added. */
size_t snippet_terms_count(const snippet_terms *t);

/* How a text is scanned: the analyzer reports only the tokens that may be a
 * word to mark and stems only those that may have the stem of one
 * (analyzer_filter), the others are dismissed on their first byte, and
 * lengths are compared before bytes.  With on != 0,
 * snippet_make and snippet_mark_all instead stem every word and compare each
 * token with every word, as first written: slower, with the same output.
 * For tests that prove it. */
void snippet_terms_set_reference(snippet_terms *t, int on);

/* Cuts from `text` the passage of about `target_bytes` bytes holding the
 * most distinct marked words (the opening of the text when none matches),
 * at word boundaries, with "…" where it was cut and line breaks turned into
 * spaces.  *out receives the passage (the caller frees it) and *marks the
 * marked stretches in it (the caller frees the array).  Returns KQ_OK or
 * KQ_ERR_NOMEM. */
kq_status snippet_make(analyzer *a, const snippet_terms *t, const char *text, size_t len,
                       size_t target_bytes, char **out, search_mark **marks, size_t *n_marks);

/* Finds the marked stretches of a short text shown whole (a headline).
 * *marks receives an array the caller frees. */
kq_status snippet_mark_all(analyzer *a, const snippet_terms *t, const char *text, size_t len,
                           search_mark **marks, size_t *n_marks);

#endif
