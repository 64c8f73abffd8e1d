/* execute: an index query run for a request, its first hits ranked again, the hits filled
 * (snippets, facets, totals); the last stages of search (parse, plan, compile, execute, fill hits).
 */
#ifndef KIOSQUE_EXECUTE_H
#define KIOSQUE_EXECUTE_H

#include "index.h"
#include "plan.h"
#include "search.h"
#include "snippet.h"
#include "status.h"

/* Runs q for the request's page and fills *out: hits with their snippets
 * (words of marks highlighted), totals, facets when asked.  The first
 * matches are ranked again (execute.c) by proximity (prox, when it has two
 * words or more), by the headline (headline's terms, as the ranking of
 * `sentence` weighs them) and, for a pasted passage (NULL: none), by its
 * headline words and word pairs.  KQ_ERR_MODIFIED: a commit replaced the
 * revision being read, the caller retries (search_with_retry). */
kq_status execute_query(search_engine *e, const search_request *req, const index_query *q,
                        const snippet_terms *marks, const struct proximity *prox,
                        const struct headline *headline, const struct passage *passage,
                        int sentence, search_result *out);

/* Frees the hits and facets of *out, leaving its other fields. */
void execute_clear_hits(search_result *out);

#endif
