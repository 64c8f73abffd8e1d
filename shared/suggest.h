/* suggest: what the reader may have meant (did-you-mean) and what the archive holds for what they
 * are typing (search_suggest, declared in search.h). */
#ifndef KIOSQUE_SUGGEST_H
#define KIOSQUE_SUGGEST_H

#include "plan.h"

/* The query with each misspelt plain word (one the archive never holds)
 * replaced by the closest word it holds, with its accents; NULL when no
 * word was changed, when the query is more than plain words, or when out
 * of memory.  The caller frees it. */
char *suggest_correction(search_plan *p);

#endif
