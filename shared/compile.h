/* compile: a query plan turned into a Xapian query (index.h), the third stage of search (parse,
 * plan, compile, execute, fill hits). */
#ifndef KIOSQUE_COMPILE_H
#define KIOSQUE_COMPILE_H

#include "index.h"
#include "plan.h"
#include "search.h"
#include "snippet.h"
#include "status.h"

/* Prefix searches (and the headline words a suggestion looks for) expand
 * to at most this many words, the most frequent. */
#define COMPILE_PREFIX_EXPANSION 64

/* How a plan is matched; search_run tries a mode, then a looser one when
 * the first finds nothing. */
typedef struct compile_mode {
    int partial;       /* words are alternatives (OR) instead of all required */
    int relax_phrases; /* a phrase matches its words, and ranks higher as a phrase */
    int sentence;      /* ranked as a sentence (struct ranking), not as keywords */
} compile_mode;

/* The index query of the plan's tree, with the terms and prefixes fields
 * are indexed under (document.h).  The words to highlight go to marks, the
 * headline terms of the words to headline (when not NULL).  NULL with
 * *st KQ_OK when nothing in the tree is searchable (only function words,
 * punctuation); NULL with *st set on failure. */
index_query *compile_query(search_plan *p, const compile_mode *m, snippet_terms *marks,
                           struct headline *headline, kq_status *st);

/* The subqueries subs[0..n) (NULL ones skipped) joined by op and freed;
 * one left is returned as is.  NULL when none. */
index_query *compile_combine(enum index_op op, index_query **subs, size_t n, unsigned window);

/* q AND_MAYBE extra (q when extra is NULL); takes both. */
index_query *compile_maybe(index_query *q, index_query *extra);

/* q with the request's filters (section, author, dates); takes q, which
 * may be NULL (filters alone). */
index_query *compile_filters(const search_request *req, index_query *q);

/* The freshness weights of the archive for a half-life (FRESHNESS_WEIGHT
 * in compile.c): a query the caller frees, or NULL. */
index_query *compile_freshness(search_engine *e, double half_life_days);

/* q restricted to the republished copies of article `id`; *st is
 * KQ_ERR_NOT_FOUND when no such article, or the index's failure. */
index_query *compile_duplicates(search_engine *e, const char *id, index_query *q, kq_status *st);

#endif
