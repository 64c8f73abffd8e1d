/* plan: a reader's query analysed once, the second stage of search (parse, plan, compile, execute,
 * fill hits). */
#ifndef KIOSQUE_PLAN_H
#define KIOSQUE_PLAN_H

#include <stddef.h>
#include "datewords.h"
#include "document.h"
#include "query.h"
#include "search.h"
#include "status.h"
#include "vocab.h"

/* The plan holds what the later stages need of the query and would
 * otherwise compute again at each step and at each retry after a commit:
 * the parsed tree; every text of it analysed by the French analyzer, once
 * (plan_words); which words are names, decided once from the archive
 * (plan_is_name); the kind of query, which chooses its ranking; the words
 * ranked by proximity and the word pairs of a pasted passage.  compile.h
 * turns it into an index query, execute.h runs that. */

/* Ranking: a query word matches its stem (économiques for économie); the
 * word exactly as typed and its accents as typed add a little on top.
 * Two kinds of queries are ranked apart (plan.c says how they are told
 * apart and how each was tuned). */
struct ranking {
    double stem, surface; /* weights of the stem and of the word as typed */
    double k1, b;         /* BM25 */
    double headline;      /* HEADLINE_WEIGHT when the headline holds every word; 0: none */
};
/* The ranking of a query read as keywords (sentence 0) or as a sentence (1). */
const struct ranking *plan_ranking(int sentence);

/* One analysed token of a query word. */
struct qtoken {
    char term[DOCUMENT_MAX_TERM + 1];
    char exact[DOCUMENT_MAX_TERM + 1];
    char stem[DOCUMENT_MAX_TERM + 1];
    unsigned flags;
    signed char name; /* plan_is_name's answer; -1 until asked */
};

#define MAX_WORD_TOKENS 16

struct qtokens {
    struct qtoken t[MAX_WORD_TOKENS];
    size_t n;
};

/* The headline terms of a query's words (ZS stem, or S word for a word
 * searched as written), collected as the query is compiled, for ranking a
 * headline match by the headline's own length (execute.c). */
#define HEADLINE_MAX_TERMS 32
struct headline {
    char terms[HEADLINE_MAX_TERMS][DOCUMENT_MAX_TERM + 4];
    const char *ptrs[HEADLINE_MAX_TERMS];
    size_t n;
};

/* The content words of the top-level plain words, ranked by proximity
 * (execute.c); n < 2: no proximity ranking. */
#define PROXIMITY_MAX_WORDS 8
struct proximity {
    char terms[PROXIMITY_MAX_WORDS][DOCUMENT_MAX_TERM + 1];
    const char *ptrs[PROXIMITY_MAX_WORDS];
    size_t n;
};

/* The word pairs of a pasted passage (see PAIR_BONUS in execute.c): pairs
 * of consecutive words of the query, one of them at least a content word,
 * as terms[3k], terms[3k + 1] followed by NULL. */
#define PASSAGE_MAX_WORDS 48
struct passage {
    char words[PASSAGE_MAX_WORDS][DOCUMENT_MAX_TERM + 1];
    unsigned char stop[PASSAGE_MAX_WORDS];
    size_t n_words;
    const char *terms[PASSAGE_MAX_WORDS * 3];
    size_t n_terms, n_pairs;
};

/* Words of the query that the newsroom's vocabulary (vocab.h) also finds
 * as other words: children [first, first + count) of `group` (the root, or
 * a group inside it), and the texts of what they also find (phrases, as
 * written in the table). */
#define PLAN_MAX_EXPANSIONS 8
struct plan_expansion {
    const query_node *group;
    size_t first, count;
    const char *alts[VOCAB_MAX_ALTERNATIVES];
    size_t n_alts;
};

/* A French date phrase of the top level (datewords.h): children [first,
 * first + count) of the root, read as a period when the query is not a
 * question or a pasted passage; resolved against the archive's newest day
 * by plan_resolve_dates, at each compilation. */
struct plan_dates {
    size_t first, count; /* count 0: none */
    datewords what;
    int64_t from, to; /* days since 1970-01-01, inclusive; to -1: no end */
    char label[96];   /* datewords_label */
};

struct plan_text; /* one analysed text (plan.c) */

typedef struct search_plan {
    search_engine *e;
    const char *text; /* the query as typed (the request's) */
    query_node *tree;
    size_t words;         /* content words of the top level */
    size_t stops;         /* top-level words that are function words only */
    int only_stops;       /* nothing but function words: they are searched */
    int partial;          /* ranked partial matching (OR) from the start */
    int dated;            /* the query or the filters name dates: no freshness */
    int dated_by_request; /* date: nodes or the request's filters (not the date phrase) */
    int question;         /* the query ends with a question mark */
    struct proximity prox;
    struct plan_text **texts; /* the texts analysed so far */
    size_t n_texts, cap_texts;
    struct passage *passage; /* plan_passage's, once asked */
    struct plan_expansion expansions[PLAN_MAX_EXPANSIONS];
    size_t n_expansions;
    struct plan_dates dates;
    kq_status status; /* the first failure of an analysis */
} search_plan;

/* Parses and plans a request's query.  On failure the plan is cleared and
 * the status returned (KQ_ERR_NOMEM, or the analyzer's). */
kq_status plan_make(search_plan *p, search_engine *e, const search_request *req);
void plan_clear(search_plan *p);

/* The tokens of `text` analysed as a query, compound forms included,
 * analysed at the first call for that text only.  NULL when the analysis
 * failed (p->status says why). */
struct qtokens *plan_words(search_plan *p, const char *text);

/* 1 when the token is a name or a brand, searched as written and not by
 * its stem; decided once per token from the archive. */
int plan_is_name(search_plan *p, struct qtoken *t);

/* The word pairs of the query read as a pasted passage; NULL for a
 * question or on failure. */
const struct passage *plan_passage(search_plan *p);

/* The expansion beginning at child i of `group`, or NULL. */
const struct plan_expansion *plan_expansion_at(const search_plan *p, const query_node *group,
                                               size_t i);

/* 1 when child i of the root is a word of the date phrase. */
int plan_is_date_word(const search_plan *p, size_t i);

/* Forgets the date phrase (a filter that left no article): its words are
 * searched as words, and the plan is as without it.  1 when there was one
 * to forget; then p->status says whether the analysis failed. */
int plan_drop_dates(search_plan *p);

/* Resolves the date phrase against the newest day of the archive (today
 * for an empty one): p->dates.from, to and label. */
void plan_resolve_dates(search_plan *p);

/* A plain word of the top level: not excluded, in no field. */
int plan_is_plain_word(const query_node *c);
/* 1 when the tree holds a node of this kind that is not itself excluded. */
int plan_has_node(const query_node *node, enum query_kind kind);
/* 1 when the tree holds a word, a phrase or a prefix that is not excluded. */
int plan_has_positive_terms(const query_node *node);

#endif
