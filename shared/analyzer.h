/* analyzer: the French analyzer, the one tokenizer used for indexing and for querying. */
#ifndef KIOSQUE_ANALYZER_H
#define KIOSQUE_ANALYZER_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* The analyzer turns UTF-8 text into a sequence of tokens, each reported to a
 * callback with its forms, its word position and the byte offsets of the text
 * a reader sees (for highlighting).  The same code serves documents and
 * queries, so index-time and query-time analysis cannot drift apart.
 *
 * What it does, in order:
 *  - Unicode: NFKC normalisation (ligature ﬁ → fi, full-width forms), case
 *    folding, all through utf8proc, word by word so offsets stay those of the
 *    input.  Invalid UTF-8 bytes (and NUL) are separators, never emitted
 *    inside a token.  Soft hyphens and zero-width joiners inside a word are
 *    dropped ("inter\u00adnational" is international).
 *  - Splitting: words are runs of letters, digits and combining marks.
 *    Elision is split for ', ’, ‘ and ʼ after l d j m n s t c qu jusqu
 *    lorsqu puisqu quoiqu: the elided article is dropped and takes no
 *    position, and the token starts after the apostrophe, so
 *    "l'intelligence artificielle" gives intelligence(p) artificielle(p+1).
 *    Lexicalised words stay whole, folded without their apostrophe whichever
 *    it is: aujourd'hui → aujourdhui, presqu'île → presquile, quelqu'un →
 *    quelquun, prud'hommes → prudhommes.  Any other apostrophe separates
 *    (don't → don, t).
 *  - Hyphens (-, U+2010, U+2011): "porte-parole" gives the parts porte(p)
 *    parole(p+1), both flagged TOKEN_PART, and the joined form porteparole(p)
 *    flagged TOKEN_COMPOUND.  An elided article inside is dropped
 *    (Côte-d'Ivoire: cote ivoire coteivoire).  No joined form for more than
 *    four parts (URL slugs), for a verb with its pronoun (a-t-il, dit-elle)
 *    or for digits only.  A hyphen not between two words separates.
 *  - Numbers: "30 000" (space, NBSP, narrow NBSP or thin space between
 *    groups of exactly three digits after a first group of one to three) is
 *    one token 30000 whose offsets cover "30 000"; "30.000" likewise.  "1,5"
 *    and "3.14" stay one number with their separator.  "1er", "2e", "XXIe"
 *    are kept as words.  Numbers and words with a digit are not stemmed.
 *  - Dots: "domestique.Consternant" (a glued sentence: dot, then a capital)
 *    is two words, the second flagged TOKEN_SENTENCE_START.  "S.N.C.F." and
 *    "S.N.C.F" are the acronym sncf.  "www.exemple.fr" (a dot, then a
 *    lower-case letter or a digit) is handled like a hyphenated word: parts
 *    www(p) exemple(p+1) fr(p+2), then the whole www.exemple.fr(p) flagged
 *    TOKEN_COMPOUND (its term keeps the dots and is its own stem), so both
 *    "exemple" and "exemple.fr" find it.
 *  - Sentences: the first word, and the first word after . ! ? or … (not a
 *    dot inside a number, a name or an acronym) get TOKEN_SENTENCE_START; an
 *    abbreviation such as "M. Dupont" also marks Dupont.
 *  - Forms: `term` is the folded form (lower case, accents removed, œ → oe,
 *    æ → ae, ø → o, ß → ss); `exact` is the lower-case NFKC form with accents
 *    kept; `stem` is the Snowball French stem (libstemmer) of `term`, so
 *    école and ecole share term and stem.  Forms are cut at 128 bytes (on a
 *    code point), well under Xapian's term limit.
 *  - Stop words are reported (with TOKEN_STOPWORD) and keep their positions,
 *    so phrases such as "Le Monde" still match; callers decide what to skip.
 *    The list (analyzer_is_stopword) holds folded articles, pronouns,
 *    prepositions, conjunctions and the forms of être and avoir, so the
 *    folded "ou" (où), "a" (à) and "ete" (été, also the season) are in it.
 *
 * An analyzer owns libstemmer handles, a stem cache and scratch buffers
 * (about 2 MB, touched as used): one per thread.  A run never allocates and
 * reads only the `len` bytes it is given, whatever they hold. */

typedef struct analyzer analyzer;

/* Both modes analyse text identically today, so that every word of a
 * document is found by typing it; the mode is there for query-only
 * behaviour should one ever be needed. */
enum analyzer_mode {
    ANALYZER_DOCUMENT = 0, /* text of an article being indexed */
    ANALYZER_QUERY = 1,    /* words typed by a reader */
};

enum analyzer_token_flags {
    TOKEN_STOPWORD = 1u << 0,    /* a French function word (le, de, et, ...) */
    TOKEN_CAPITALISED = 1u << 1, /* the surface form starts with an upper-case letter */
    TOKEN_NUMBER = 1u << 2,      /* a number: digits, joined groups, a decimal */
    TOKEN_PART = 1u << 3,        /* one part of a hyphenated word */
    /* the joined form of a hyphenated word; same position as its first part */
    TOKEN_COMPOUND = 1u << 4,
    TOKEN_SENTENCE_START = 1u << 5, /* the first word of the text or of a sentence */
    TOKEN_ACRONYM = 1u << 6,        /* written in capitals or with dots (SNCF, S.N.C.F.) */
    TOKEN_UNSTEMMED = 1u << 7,      /* not stemmed (analyzer_options.stem): stem is term */
};

typedef struct analyzer_token {
    const char *term; /* folded form, NUL-terminated; valid only during the callback */
    size_t term_len;  /* bytes, without the NUL */
    /* lower case with accents kept, NUL-terminated; equals term when unaccented */
    const char *exact;
    size_t exact_len;
    const char *stem; /* Snowball French stem of term, NUL-terminated; equals term for numbers */
    size_t stem_len;
    unsigned position; /* word position, counted from the caller's first_position */
    size_t start;      /* byte offset of the first byte of the surface form in the input */
    size_t end;        /* byte offset one past its last byte */
    unsigned flags;    /* enum analyzer_token_flags */
} analyzer_token;

/* Called once per token, in text order (a TOKEN_COMPOUND comes right after
 * its last part).  Return 0 to go on, nonzero to stop the run early. */
typedef int (*analyzer_callback)(void *ctx, const analyzer_token *token);

/* Creates an analyzer.  Returns NULL when memory or the French stemmer is
 * unavailable.  The caller owns the result and frees it with analyzer_free. */
analyzer *analyzer_new(void);

/* Frees an analyzer; analyzer_free(NULL) does nothing. */
void analyzer_free(analyzer *a);

/* Analyses `len` bytes of `text`, numbering word positions from
 * `first_position`, and calls `callback` for each token.  On return
 * *next_position (when not NULL) holds the position after the last token, so
 * fields can be analysed one after the other.  Returns KQ_OK, or KQ_ERR_NOMEM.
 * A callback that stops the run early still gives KQ_OK.  A NULL analyzer or
 * callback gives KQ_ERR_INVALID; text may be NULL when len is 0. */
kq_status analyzer_run(analyzer *a, const char *text, size_t len, unsigned first_position,
                       enum analyzer_mode mode, analyzer_callback callback, void *ctx,
                       unsigned *next_position);

/* Analysing for a few known words.
 *
 * A caller that only looks for a few words in a text (the snippet of a
 * result, which marks the query's words) can have a run skip most of its
 * work: not report the tokens that cannot be one of its words, and not stem
 * the words whose stem cannot be one of its stems.  Both are told by a term
 * filter: a set of keys, the key of a folded term being its first two
 * bytes, or its byte and 0 for a one-byte term (terms hold no NUL).
 *
 * That works for stems because Snowball's French rules never change the
 * first two bytes of a folded word: its suffix rules act in the regions R1,
 * R2 and RV, which start at the third letter or later, and the one rule
 * outside them deletes a final s, which can shorten a two-letter word to one
 * byte (es -> e, ms -> m).  So a stem starts with the first min(2, stem_len)
 * bytes of its term.  This was checked over every token of the team corpus
 * and every a-z word of up to four letters, and tests/test_snippet --corpus
 * checks it again. */

#define ANALYZER_FILTER_KEYS 65536 /* keys of a term filter: two bytes */

/* A set of keys of folded terms (8 KB).  Zero it, or clear it with
 * analyzer_filter_clear, then add terms, prefixes and stems. */
typedef struct analyzer_filter {
    uint64_t bits[ANALYZER_FILTER_KEYS / 64];
} analyzer_filter;

/* Empties the filter. */
void analyzer_filter_clear(analyzer_filter *f);

/* Adds the key of the folded term `term` (`len` bytes; nothing when 0). */
void analyzer_filter_add_term(analyzer_filter *f, const char *term, size_t len);

/* Adds the keys of every term starting with `prefix` (`len` bytes): its
 * first two bytes, or, for a one-byte prefix, the 256 keys starting with
 * that byte, or, for the empty prefix, every key. */
void analyzer_filter_add_prefix(analyzer_filter *f, const char *prefix, size_t len);

/* Adds the keys of every term whose stem may be `stem` (`len` bytes; nothing
 * when 0, since no word stems to nothing): by the rule above, the terms
 * starting with the stem's first min(2, len) bytes. */
void analyzer_filter_add_stem(analyzer_filter *f, const char *stem, size_t len);

/* Returns 1 when the key of the folded term `term` (`len` bytes) is in the
 * filter, else 0 (0 for an empty term). */
int analyzer_filter_has(const analyzer_filter *f, const char *term, size_t len);

/* How analyzer_run_with analyses a text. */
typedef struct analyzer_options {
    enum analyzer_mode mode;
    unsigned first_position; /* word position of the first token */
    /* NULL: every token is reported, as analyzer_run does.  Else only the
     * tokens whose term is in the filter; the others still take their
     * positions, so a reported token has the position, forms, flags and
     * offsets it has without the filter. */
    const analyzer_filter *report;
    /* NULL: every word is stemmed, as analyzer_run does.  Else only the words
     * whose term is in the filter; the others come with stem == term and
     * TOKEN_UNSTEMMED (their TOKEN_STOPWORD flag is still right).  Every
     * other form, flag, position and offset is the same either way. */
    const analyzer_filter *stem;
    /* NULL: the run goes to the end of the text.  Else it ends, without
     * reporting it, at the first token (one the report filter would report
     * or not) that starts more than *stop_after bytes into the text.  The
     * callback may lower *stop_after as it goes (once it has found what it
     * looked for); SIZE_MAX means no limit. */
    const size_t *stop_after;
} analyzer_options;

/* analyzer_run with options: the same contract, with mode, first position
 * and filters taken from *opts (which must not be NULL: KQ_ERR_INVALID). */
kq_status analyzer_run_with(analyzer *a, const char *text, size_t len, const analyzer_options *opts,
                            analyzer_callback callback, void *ctx, unsigned *next_position);

/* Writes the Snowball French stem of a folded word into out (NUL-terminated,
 * truncated to out_size), with the rules of analyzer_run: a word with a digit
 * or a dot is its own stem.  Returns the length written. */
size_t analyzer_stem(analyzer *a, const char *term, size_t term_len, char *out, size_t out_size);

/* Folds `len` bytes of UTF-8 text the way tokens are folded (NFKC, lower case,
 * accents removed, ligatures expanded), keeping non-letters as they are.
 * Invalid UTF-8 bytes become spaces.  Returns a NUL-terminated string the
 * caller frees with free(), or NULL when out of memory.  Used for author and
 * section names, facets and suggestions. */
char *analyzer_fold(const char *text, size_t len);

/* Returns 1 when the folded word is a French stop word, else 0. */
int analyzer_is_stopword(const char *term);

#endif
