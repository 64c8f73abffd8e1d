/* document: how an article is laid out in the Xapian index (terms, positions, values, data), in one
 * place. */
#ifndef KIOSQUE_DOCUMENT_H
#define KIOSQUE_DOCUMENT_H

#include <stddef.h>
#include <stdint.h>
#include "analyzer.h"
#include "article.h"
#include "index.h"
#include "status.h"

/* Every term and value of an indexed article is decided here, and compile.c
 * builds its queries with the same prefixes, so indexing and querying cannot
 * drift apart.  Term conventions follow Xapian's omega:
 *
 *   (none)  folded word, with positions: every word of headline, chapô and
 *           body, stop words included (so "Le Monde" matches as a phrase);
 *           parts and joined form of hyphenated words
 *   Z       Snowball stem of a folded word (no positions; stop words skipped)
 *   E       exact form of an accented word: "E" folded ":" accented
 *           (Eecole:école), to rank a match of the accents typed a little
 *           higher and to show suggestions with their accents
 *   S, ZS   headline word and its stem (titre:)
 *   A       author name word (auteur:)          XA  whole author name (filter)
 *   K       keyword word (motcle:)              XK  whole keyword (filter)
 *   XS      section (rubrique:, filter)         L   language
 *   Y, M, D year, month, day published: Y2024, M202403, D20240305
 *   XC      a word written with a capital inside a sentence (a name, a
 *           brand: OpenAI, Mistral), once per article; plan.c compares
 *           its frequency with the word's to learn, from the archive
 *           itself, which words are names that must not be stemmed
 *   XP      two content words that follow each other in a sentence of the
 *           headline or the chapô, stop words between them skipped, folded,
 *           joined by a space: "XPgilets jaunes", "XPetat urgence" (état
 *           d'urgence); a filter term (no weight, no position) whose
 *           frequency tells search_suggest which phrases the archive holds
 *   Q       the article's identifier: the unique term
 *
 * Field weights (BM25 over one text with per-field term frequencies): a word
 * of the headline counts DOCUMENT_WEIGHT_TITLE times, of the chapô
 * DOCUMENT_WEIGHT_DESCRIPTION times, of the body once.  Fields are separated
 * by a gap of DOCUMENT_FIELD_GAP positions so phrases do not straddle them.
 *
 * The document data is the article itself, as Kiosque's own compact binary
 * record (not JSON: hits are read by the thousand per second, and a JSON
 * parse was most of the cost of a hit).  It holds everything a hit displays,
 * so a remote or sharded index serves complete hits on its own, and the store
 * can be rebuilt from the index (document_read_article).  Layout:
 *
 *   magic    DOCUMENT_DATA_MAGIC: 0xFF 'K' 'Q' and the format version (2);
 *            0xFF is never in UTF-8 text, so data of the previous JSON format
 *            (or anything else) is told apart and reported as KQ_ERR_CORRUPT
 *   frame    one zstd frame (level 3) with its content size in its header,
 *            and nothing after it; its content is the field sequence below.
 *            Xapian's glass backend deflates any document data zlib makes
 *            smaller and inflates it again at every get_data(): a zstd frame
 *            does not deflate, so glass stores it as is, and zstd decodes it
 *            in a fraction of zlib's time (19% of a query's instructions went
 *            to inflate).  Readers refuse a frame of unknown content size, of
 *            more than DOCUMENT_MAX_CONTENT bytes, or that does not decode to
 *            exactly its content size.
 *
 * The field sequence (version 1 had it right after its magic, uncompressed;
 * readers still accept such records, so an index written before version 2
 * is read as is):
 *
 *   fields   each <tag byte><length: LEB128 varint, shortest form><bytes>,
 *            the strings as written in the article (UTF-8, no NUL), in
 *            increasing tag order:
 *              1 identifier (always)   2 headline (always)   3 url
 *              4 description           5 datePublished       6 dateModified
 *              7 author, 8 articleSection, 9 keywords: one field per item,
 *                in the article's order
 *              10 inLanguage           11 kiosqueHash (always, 16 hex digits)
 *              12 articleBody, last, so a hit's snippet is cut from it as is
 *            an absent optional string has no field (so NULL and "" differ);
 *            every field but the lists appears at most once
 *   end      one byte 0, the last byte of the field sequence
 *
 * Readers check every length against the bytes left; a record that is
 * truncated anywhere, holds an unknown or misplaced tag, or has bytes after
 * its end mark is KQ_ERR_CORRUPT.  A new layout takes a new version byte. */

/* The index's metadata (Xapian user metadata) written by the indexer at
 * each commit: the batch revision (a decimal number that only grows, also
 * across the directories a sharded build switches to, where Xapian's own
 * revision starts again) and the UTC time of the commit (ISO 8601). */
#define DOCUMENT_META_REVISION "kiosque.revision"
#define DOCUMENT_META_LAST_UPDATE "kiosque.last_update"
/* The version of the near-duplicate keys the index holds in
 * DOCUMENT_SLOT_COLLAPSE (unset: 1, the first 40 terms of chapô and body).
 * Keys of two versions never match, so an index whose keys are of another
 * version has them all rewritten by the next indexer run (batch.c), from
 * the articles its documents hold, before anything else is indexed. */
#define DOCUMENT_META_COLLAPSE_KEY "kiosque.collapse_key"
#define DOCUMENT_COLLAPSE_KEY_VERSION "2"

#define DOCUMENT_PREFIX_ID "Q"
#define DOCUMENT_PREFIX_STEM "Z"
#define DOCUMENT_PREFIX_EXACT "E"
#define DOCUMENT_PREFIX_TITLE "S"
#define DOCUMENT_PREFIX_AUTHOR "A"
#define DOCUMENT_PREFIX_AUTHOR_FULL "XA"
#define DOCUMENT_PREFIX_KEYWORD "K"
#define DOCUMENT_PREFIX_KEYWORD_FULL "XK"
#define DOCUMENT_PREFIX_SECTION "XS"
#define DOCUMENT_PREFIX_LANGUAGE "L"
#define DOCUMENT_PREFIX_YEAR "Y"
#define DOCUMENT_PREFIX_MONTH "M"
#define DOCUMENT_PREFIX_DAY "D"
#define DOCUMENT_PREFIX_CAPITALISED "XC"
#define DOCUMENT_PREFIX_PAIR "XP"

/* The fields a query names (query.h: titre:, auteur:, rubrique:, motcle:,
 * and the text when it names none), in query.h's enum query_field order,
 * and the terms each is indexed under: the one table the indexer and the
 * query compiler (compile.c) share. */
enum document_field {
    DOCUMENT_FIELD_TEXT,
    DOCUMENT_FIELD_TITLE,
    DOCUMENT_FIELD_AUTHOR,
    DOCUMENT_FIELD_SECTION,
    DOCUMENT_FIELD_KEYWORD,
    DOCUMENT_FIELD_COUNT
};
typedef struct document_field_terms {
    const char *words; /* prefix of its folded words; NULL: not searched by word */
    const char *stems; /* prefix of their stems; NULL: not stemmed */
    const char *whole; /* prefix of its whole folded value, a filter; NULL: none */
} document_field_terms;
extern const document_field_terms document_fields[DOCUMENT_FIELD_COUNT];

#define DOCUMENT_WEIGHT_TITLE 2
#define DOCUMENT_WEIGHT_DESCRIPTION 2
#define DOCUMENT_WEIGHT_BODY 1
#define DOCUMENT_FIELD_GAP 100

/* Value slots.  Facets count values with Xapian's ValueCountMatchSpy, one
 * slot per author and per section level, so that a remote xapian-tcpsrv
 * (which knows only Xapian's own classes) can count them too. */
enum document_slot {
    DOCUMENT_SLOT_PUBLISHED = 0, /* publication time, index_serialise_number(seconds) */
    DOCUMENT_SLOT_HASH = 1,      /* content hash, 16 hex digits */
    DOCUMENT_SLOT_COLLAPSE = 2,  /* near-duplicate key (document_duplicate_key), 16 hex digits */
    DOCUMENT_SLOT_YEAR = 3,      /* "2024" */
    DOCUMENT_SLOT_MONTH = 4,     /* "2024-03" */
    DOCUMENT_SLOT_DAY = 5,       /* "2024-03-05": freshness weights are keyed by day */
    DOCUMENT_SLOT_SECTION = 6,   /* sections as written, one per slot, most general first */
    DOCUMENT_SLOT_AUTHOR = DOCUMENT_SLOT_SECTION + 2, /* authors as written, one per slot */
    /* content words of the headline, index_serialise_number(count): a
     * headline match is weighed by the headline's own length (execute.c) */
    DOCUMENT_SLOT_TITLE_WORDS = DOCUMENT_SLOT_AUTHOR + 6,
};

/* Section levels and authors that get a facet slot; the others are still
 * searchable and filterable, but not counted in facets. */
#define DOCUMENT_FACET_SECTIONS 2
#define DOCUMENT_FACET_AUTHORS 6

/* Longest term Xapian accepts is 245 bytes; longer words are skipped. */
#define DOCUMENT_MAX_TERM 240

/* Fills `doc` (cleared first) with the terms, values and data of `art`,
 * analysed by `a`.  Returns KQ_OK or KQ_ERR_NOMEM. */
kq_status document_build(analyzer *a, const article *art, index_doc *doc);

/* The near-duplicate key of an article (DOCUMENT_SLOT_COLLAPSE): articles
 * with the same key are copies of one dispatch, collapsed into one hit.
 * Computed from the article alone, so that a document's key does not depend
 * on what else is indexed, nor on which shard holds it (Xapian collapses on
 * one value, also over remote shards, and no custom class can go to those):
 * a sharded archive collapses exactly as one index does.
 *
 * The key is a fingerprint of the first `rest_terms` terms (the folded
 * words, stop words included, as the index holds them) of the body after its
 * first paragraph: its first line, or when the body is one line, its first
 * sentence.  A dispatch republished with a new headline, a new chapô or a
 * new first paragraph keeps it, and so does one with a corrected ending;
 * two articles that only share a sentence of boilerplate do not, unless it
 * opens the rest of both.  When the rest has fewer than `min_terms` terms,
 * the key is that of version 1, the first `opening_terms` terms of chapô
 * and body (with the headline when they are fewer than `min_terms`).
 * `rest_terms` was chosen on half A of the team kit's duplicate groups and
 * measured on both halves: bench/duplicates, whose figures are in its
 * README.  skip_opening 0 gives the key of version 1. */
typedef struct document_dupkey_params {
    unsigned opening_terms, rest_terms, min_terms;
    int skip_opening;
} document_dupkey_params;
extern const document_dupkey_params document_dupkey_default; /* what document_build stores */

/* Writes the key of `art` with parameters p (NULL: the default) into out
 * as 16 hex digits and a NUL, as document_build stores it in
 * DOCUMENT_SLOT_COLLAPSE.  Returns KQ_OK or the analyzer's failure. */
kq_status document_duplicate_key(analyzer *a, const article *art, const document_dupkey_params *p,
                                 char out[17]);

/* Writes the unique term of an article identifier ("Q" + id) into out.
 * Returns 0, or -1 when it does not fit. */
int document_unique_term(const char *id, char *out, size_t out_size);

/* The first bytes of every document data; the last one is the version.
 * document_encode writes version 2; version 1 is still read. */
#define DOCUMENT_DATA_MAGIC "\xFFKQ\x02"
#define DOCUMENT_DATA_MAGIC_V1 "\xFFKQ\x01"
#define DOCUMENT_DATA_MAGIC_LEN 4

/* Largest field sequence a version-2 record may declare (a bound on what a
 * damaged frame header can make a reader allocate). */
#define DOCUMENT_MAX_CONTENT ((size_t)256 << 20)

/* Returns the document data of `art` (the layout above) and its length in
 * *len, or NULL when out of memory.  document_build stores it; it is public
 * for tests and fuzzers.  The caller frees it. */
char *document_encode(const article *art, size_t *len);

/* What a hit displays, read back from the document data.  All strings are
 * owned by the view and never NULL ("" when absent). */
typedef struct document_view {
    char *id, *url, *title, *description, *date, *language, *body, *hash;
    char *author;  /* authors joined with ", " */
    char *section; /* sections joined with " / " */
} document_view;

/* Reads document data: holds a zstd decompression context and a buffer
 * for the field sequence, both reused from record to record (a context
 * costs an allocation of over 100 KB, more than decoding a record).  One
 * reader per thread: a reader is not safe to share between threads. */
typedef struct document_reader document_reader;

/* Returns a new reader, or NULL when out of memory; the caller frees it
 * with document_reader_free. */
document_reader *document_reader_new(void);
void document_reader_free(document_reader *r);

/* Parses document data (any len bytes) into *out with reader r.  Returns
 * KQ_OK, KQ_ERR_CORRUPT for data that is not a whole record of a known
 * version, or KQ_ERR_NOMEM.  The view owns copies: r may read the next
 * record at once.  The caller clears the view with document_view_clear,
 * also after a failure. */
kq_status document_reader_view(document_reader *r, const char *data, size_t len,
                               document_view *out);

/* document_reader_view with a reader of its own, for occasional reads. */
kq_status document_view_parse(const char *data, size_t len, document_view *out);
void document_view_clear(document_view *v);

/* Reads document data back into the article it was built from, exactly as
 * it was given to document_build (*out, which the caller clears with
 * article_clear), with the content hash computed when it was indexed and
 * `published` computed from its date.  Returns KQ_OK, KQ_ERR_NOMEM, or
 * KQ_ERR_CORRUPT with the reason in err (err_size bytes) for data that is not
 * a record of a known version or does not hold a valid article (required
 * fields, UTF-8 text, a 16-digit hash, a date that parses). */
kq_status document_read_article(const char *data, size_t len, article *out, char *err,
                                size_t err_size);

/* document_read_article with reader r (see document_reader_view). */
kq_status document_reader_article(document_reader *r, const char *data, size_t len, article *out,
                                  char *err, size_t err_size);

#endif
