/* search_impl: the engine's state, shared by the stages of search (plan, compile, execute,
 * suggest); not for callers of search.h. */
#ifndef KIOSQUE_SEARCH_IMPL_H
#define KIOSQUE_SEARCH_IMPL_H

#include "analyzer.h"
#include "document.h"
#include "index.h"
#include "search.h"
#include "status.h"
#include "vocab.h"

struct search_engine {
    index_db *index;
    analyzer *analyzer;
    document_reader *reader; /* reads the hits' document data (fill_hit) */
    vocab *vocab;            /* synonyms and acronyms: built in, then the database's synonyms.txt */
    /* The freshness weights of the last query, reused while the newest day
     * of the archive and the half-life stay the same (building them costs
     * more than the search itself). */
    index_query *freshness;
    char freshness_day[16];
    double freshness_half_life;
    unsigned refresh_ms;    /* search_set_refresh_interval */
    unsigned time_limit_ms; /* search_set_time_limit; 0: none */
    double deadline_ms;     /* search_now_ms() at which the running call stops; 0: none */
    int debug_query;     /* KQ_DEBUG_QUERY set: each Xapian query goes to stderr (ranking work) */
    double refreshed_at; /* search_now_ms() of the last look for a new revision; 0 never */
    char error[1024];
};

/* Sets the message search_last_error returns. */
void search_set_error(search_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs attempt(e, ctx) on the newest revision of the index, and again on
 * the next one while it fails with KQ_ERR_MODIFIED (a commit replaced the
 * revision it was reading), at most SEARCH_MAX_RETRIES times, so that no
 * caller of search.h sees KQ_ERR_MODIFIED.  With `not_found_again`, a first
 * KQ_ERR_NOT_FOUND also runs it again on the newest revision (an article
 * committed since this engine last looked).  The revision is looked for as
 * search_set_refresh_interval says, and always before a retry. */
#define SEARCH_MAX_RETRIES 5
kq_status search_with_retry(search_engine *e, kq_status (*attempt)(search_engine *e, void *ctx),
                            void *ctx, int not_found_again);

/* Monotonic milliseconds. */
double search_now_ms(void);

#endif
