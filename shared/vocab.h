/* vocab: the newsroom's vocabulary, synonyms and acronyms (IA = intelligence artificielle), read
 * once per engine and applied at query time by plan.c and compile.c. */
#ifndef KIOSQUE_VOCAB_H
#define KIOSQUE_VOCAB_H

#include <stddef.h>
#include "analyzer.h"
#include "status.h"

/* A table is lines of text (UTF-8), the format data/synonyms.txt documents:
 *
 *   # a comment; blank lines are ignored
 *   IA = intelligence artificielle                 every form finds the others
 *   RN = Rassemblement national = Front national ; sauf #nombre
 *   JO = Jeux olympiques ; sauf officiel décret
 *   JO > Journal officiel ; si officiel décret     the first form finds the others, not back
 *   - JO                                           forget the lines above whose first form is JO
 *
 * A form is one word or a phrase; forms are compared as the analyzer folds
 * them (case and accents ignored: `ia` is IA).  `sauf W...` leaves the line
 * out when another word of the query is one of W, or, for `#nombre`, when
 * the form is followed by a number (`RN 7`, a road); `si W...` applies the
 * line only when another word of the query is one of W. */
#define VOCAB_MAX_ALTERNATIVES 8

typedef struct vocab vocab;

/* A new empty table; NULL when out of memory.  Freed with vocab_free. */
vocab *vocab_new(void);
void vocab_free(vocab *v);

/* The table built into Kiosque (data/synonyms.txt, embedded at build time),
 * NUL-terminated. */
extern const unsigned char vocab_shipped[];

/* Adds the lines of text[0..len) to v, analysed by a.  `name` names the
 * text in messages.  On a malformed line, KQ_ERR_INVALID with "NAME:LINE:
 * reason" in err (v keeps the lines before it). */
kq_status vocab_add_text(vocab *v, analyzer *a, const char *text, size_t len, const char *name,
                         char *err, size_t err_size);

/* Adds the lines of the file at path; KQ_ERR_NOT_FOUND when it does not
 * exist, KQ_ERR_IO when it cannot be read, as vocab_add_text otherwise. */
kq_status vocab_add_file(vocab *v, analyzer *a, const char *path, char *err, size_t err_size);

/* The words of a group of a query (or of a phrase), as folded terms: terms[k] is
 * NULL for a word that is not one term (a phrase, a hyphenated word...).
 * When forms of v begin at word i, returns the number of words of the
 * longest and puts the texts of what it also finds (as written in the
 * table; valid while v is) in alts[0..*n_alts), at most
 * VOCAB_MAX_ALTERNATIVES; 0 when none applies there. */
size_t vocab_match(const vocab *v, const char *const *terms, size_t n, size_t i, const char **alts,
                   size_t *n_alts);

/* The number of lines of v. */
size_t vocab_size(const vocab *v);

#endif
