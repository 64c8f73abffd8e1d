/* analyzer: the French analyzer (see analyzer.h for the manual). */
#include "analyzer.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "utf8.h"

/* Limits.  They bound the memory of a run whatever the input: a run never
 * allocates, it only fills the fixed buffers of the analyzer. */
/* Bytes of a term, exact form or stem, without the NUL; longer words are cut
 * at a code point. */
#define TERM_MAX 128
#define NORM_INPUT_MAX 512 /* bytes of one piece given to utf8proc for the exact form */
#define DECOMP_MAX 18      /* longest NFKC + case folding expansion of one code point (U+FDFA) */
#define CPBUF_SIZE (NORM_INPUT_MAX * DECOMP_MAX + 64) /* code points */
#define CHAIN_MAX 16          /* parts of a hyphenated or dotted word; more start a new word */
#define COMPOUND_MAX_PARTS 4  /* longer chains (URL slugs) get their parts but no joined form */
#define COMPOUND_MAX_BYTES 64 /* nor do joined forms longer than this */
#define DECIMAL_MAX 8         /* ",5" or ".14" groups joined to one number (also 14.07.2020) */
/* Code points below this have precomputed forms (Latin-1, Latin Extended-A/B). */
#define FAST_LIMIT 0x250
#define FOLD_CP_MAX 160   /* bytes of the folded form of one code point */
#define FOLD_ENTRY_MAX 7  /* longest form of a fast entry, in bytes */
#define STOP_MAX_LEN 8    /* longest stop word, in bytes */
#define STOP_TABLE_BITS 9 /* the stop-word table has 2^9 slots for about 160 words */
#define STOP_TABLE_SIZE (1u << STOP_TABLE_BITS)
#define BAD_CP 0xFFFFFFFFu /* an invalid UTF-8 byte */
/* The stem cache: 2^CACHE_SET_BITS sets of CACHE_WAYS entries (2 MB). */
#define CACHE_SET_BITS 14
#define CACHE_SETS (1u << CACHE_SET_BITS)
#define CACHE_WAYS 4   /* entries per set, most recently used first */
#define CACHE_WORD 24  /* longest term kept, in bytes */
#define CACHE_SUFFIX 4 /* longest end of a stem that is not its term's, in bytes */
/* Longest word, in input bytes, taken by the fast path (fast_word): its
 * forms then fit their buffers without a bound check, since one input byte
 * gives at most 3.5 bytes of a form (a 2-byte code point, at most 7). */
#define FAST_WORD_MAX 32

/* NOINLINE keeps a rarely taken path out of a hot function; ALWAYS_INLINE
 * puts a small one called per token into its callers. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NOINLINE
#define ALWAYS_INLINE inline
#endif
/* Eight bytes at a time where the byte order is known (see lower_run). */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_LE 1
#else
#define SWAR_LE 0
#endif

/* Character classes seen by the splitter. */
enum cclass {
    C_SEP = 0, /* anything that separates words */
    C_TERM,    /* ! ? … : ends a sentence */
    C_DOT,     /* . */
    C_COMMA,   /* , */
    C_APOS,    /* ' ’ ‘ ʼ */
    C_HYPHEN,  /* - U+2010 U+2011 */
    C_GROUPSP, /* space, NBSP, narrow NBSP, thin space: may join digit groups */
    C_UPPER,   /* upper- or title-case letter */
    C_LOWER,   /* lower-case letter */
    C_LETTER,  /* other letter (no case, modifier, letter number) */
    C_DIGIT,   /* decimal digit */
    C_MARK,    /* combining mark: continues a word */
    C_IGNORE,  /* soft hyphen, zero-width joiners: continue a word, dropped from its forms */
};

#define IS_START(c) ((c) >= C_UPPER && (c) <= C_DIGIT)
#define IS_CONT(c) ((c) >= C_UPPER)
#define IS_LETTER(c) ((c) >= C_UPPER && (c) <= C_LETTER)

/* A bounded byte buffer; once an append does not fit it stays full, so a cut
 * word never gets later, shorter pieces glued after the cut. */
typedef struct sbuf {
    char b[TERM_MAX + 1];
    size_t len;
    int full;
} sbuf;

/* The precomputed forms of one code point below FAST_LIMIT.  The forms are
 * at most FOLD_ENTRY_MAX bytes; the arrays have 8 so they are copied whole. */
struct fold_entry {
    unsigned char ok;   /* 1 when the fast path may use this entry */
    unsigned char word; /* 1 when ok and its term has no digit: fast_word may take it */
    unsigned char cls;  /* its class: C_UPPER, C_LOWER or C_LETTER */
    unsigned char term_len, exact_len;
    char term[8], exact[8];
};

/* One entry of the stem cache (32 bytes).  News vocabulary is Zipfian, so a
 * cache of term -> (stem, stop word) answers most tokens without running
 * Snowball, which costs thousands of instructions a word.  A Snowball stem
 * is its term cut short plus at most a couple of changed bytes (é -> e), so
 * an entry keeps the term and only how its stem differs. */
struct stem_entry {
    uint64_t key[3];          /* the term, zero-padded to CACHE_WORD bytes */
    unsigned char term_len;   /* bytes; 0: empty slot */
    unsigned char prefix;     /* the stem starts with this many bytes of the term */
    unsigned char suffix_len; /* then has these bytes of suffix */
    unsigned char stop;       /* the term is a stop word */
    char suffix[CACHE_SUFFIX];
};
_Static_assert(sizeof(struct stem_entry) == 32, "a stem cache entry is 32 bytes");

struct analyzer {
    struct sb_stemmer *stemmer;
    /* The same French stemmer for Latin-1 text, about twice as fast: on a
     * term of lower-case ASCII letters (most terms, accents being folded
     * away) it reads the same characters and gives the same stem.  NULL when
     * unavailable. */
    struct sb_stemmer *stemmer_ascii;
    /* CACHE_SETS sets of CACHE_WAYS entries: 4-way sets hold twice as many
     * words as a direct-mapped cache of the same size before they collide. */
    struct stem_entry cache[CACHE_SETS * CACHE_WAYS];
    struct fold_entry fast[FAST_LIMIT];
    /* The stop words as 8-byte keys (their bytes, zero-padded), in an open
     * addressing table: the stop-word test of a word that a run's filter
     * leaves unstemmed, which the stem cache does not answer. */
    uint64_t stop_table[STOP_TABLE_SIZE];
    sbuf stem;
    utf8proc_int32_t cps[CPBUF_SIZE];
};

/* A maximal run of letters, digits and marks, as found in the input. */
struct piece {
    size_t start, end; /* byte offsets in the input */
    unsigned ncp;      /* code points */
    unsigned nupper, nlower;
    int first_cls;  /* class of the first code point */
    int all_digits; /* only decimal digits */
    int fast;       /* every code point is ASCII or has a usable fast entry */
};

/* A word being built from one or more pieces (aujourd'hui, 30 000, S.N.C.F.). */
struct unit {
    size_t start, end;
    unsigned nupper, nlower;
    int first_upper;
    int all_digits;
    /* Number of ASCII digits when the unit is one piece of only those, else 0. */
    unsigned ascii_digits;
    sbuf term, exact;
};

/* The state of one analyzer_run. */
struct run {
    analyzer *a;
    const unsigned char *s;
    size_t len;
    unsigned pos;
    int sentence; /* the next token starts a sentence */
    int stop;     /* the callback asked to stop, or an error happened */
    kq_status status;
    analyzer_callback cb;
    void *ctx;
    const analyzer_filter *report; /* tokens to report; NULL: all */
    const analyzer_filter *stem;   /* words to stem; NULL: all */
    const size_t *stop_after;      /* analyzer_options.stop_after */
};

/* ---- stop words ---------------------------------------------------------- */

/* Folded forms (no accents: "où" is "ou", "été" is "ete"), sorted in byte
 * order for bsearch. */
static const char *const stop_words[] = {
    "a",      "ai",       "aie",     "aient",  "aies",     "ait",     "as",     "au",      "aura",
    "aurai",  "auraient", "aurais",  "aurait", "auras",    "aurez",   "auriez", "aurions", "aurons",
    "auront", "aux",      "avaient", "avais",  "avait",    "avec",    "avez",   "aviez",   "avions",
    "avoir",  "avons",    "ayant",   "c",      "ca",       "car",     "ce",     "ceci",    "cela",
    "celle",  "celles",   "celui",   "ces",    "cet",      "cette",   "ceux",   "chez",    "comme",
    "d",      "dans",     "de",      "des",    "donc",     "dont",    "du",     "elle",    "elles",
    "en",     "entre",    "es",      "est",    "et",       "etaient", "etais",  "etait",   "etant",
    "ete",    "etes",     "etiez",   "etions", "etre",     "eu",      "eux",    "fut",     "il",
    "ils",    "j",        "je",      "jusqu",  "l",        "la",      "le",     "les",     "leur",
    "leurs",  "lorsqu",   "lui",     "m",      "ma",       "mais",    "me",     "mes",     "moi",
    "mon",    "n",        "ne",      "ni",     "nos",      "notre",   "nous",   "on",      "ont",
    "or",     "ou",       "par",     "pas",    "plus",     "pour",    "puisqu", "qu",      "que",
    "quel",   "quelle",   "quelles", "quels",  "qui",      "quoi",    "quoiqu", "s",       "sa",
    "sans",   "se",       "sera",    "serai",  "seraient", "serais",  "serait", "seras",   "serez",
    "seriez", "serions",  "serons",  "seront", "ses",      "si",      "soi",    "soient",  "sois",
    "soit",   "sommes",   "son",     "sont",   "sous",     "soyez",   "soyons", "suis",    "sur",
    "t",      "ta",       "te",      "tes",    "toi",      "ton",     "tu",     "un",      "une",
    "vers",   "vos",      "votre",   "vous",   "y",
};

static int cmp_str(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static int stop_lookup(const char *term, size_t len)
{
    if (len == 0 || len > STOP_MAX_LEN)
        return 0;
    return bsearch(term, stop_words, sizeof stop_words / sizeof stop_words[0], sizeof stop_words[0],
                   cmp_str) != NULL;
}

/* ---- term filters --------------------------------------------------------- */

/* The key of a NUL-terminated term: its first two bytes, the second being
 * the NUL of a one-byte term. */
static inline unsigned filter_key(const char *term)
{
    return ((unsigned)(unsigned char)term[0] << 8) | (unsigned char)term[1];
}

static inline int filter_bit(const analyzer_filter *f, unsigned key)
{
    return (int)((f->bits[key >> 6] >> (key & 63)) & 1u);
}

static inline void filter_set(analyzer_filter *f, unsigned key)
{
    f->bits[key >> 6] |= (uint64_t)1 << (key & 63);
}

void analyzer_filter_clear(analyzer_filter *f)
{
    if (f)
        memset(f->bits, 0, sizeof f->bits);
}

void analyzer_filter_add_term(analyzer_filter *f, const char *term, size_t len)
{
    if (!f || !term || len == 0)
        return;
    filter_set(f,
               ((unsigned)(unsigned char)term[0] << 8) | (len >= 2 ? (unsigned char)term[1] : 0u));
}

void analyzer_filter_add_prefix(analyzer_filter *f, const char *prefix, size_t len)
{
    if (!f || !prefix)
        return;
    if (len == 0) {
        memset(f->bits, 0xFF, sizeof f->bits);
    } else if (len == 1) {
        /* The 256 keys (c, x) are the four words c * 4 to c * 4 + 3. */
        unsigned c = (unsigned char)prefix[0];
        for (unsigned k = 0; k < 4; k++)
            f->bits[c * 4 + k] = ~(uint64_t)0;
    } else {
        analyzer_filter_add_term(f, prefix, 2);
    }
}

void analyzer_filter_add_stem(analyzer_filter *f, const char *stem, size_t len)
{
    if (len > 0)
        analyzer_filter_add_prefix(f, stem, len);
}

int analyzer_filter_has(const analyzer_filter *f, const char *term, size_t len)
{
    if (!f || !term || len == 0)
        return 0;
    return filter_bit(f, ((unsigned)(unsigned char)term[0] << 8) |
                             (len >= 2 ? (unsigned char)term[1] : 0u));
}

/* The key of a word of 1 to STOP_MAX_LEN bytes in the stop-word table: its
 * bytes in order from the low one, zero-padded.  Words hold no NUL, so
 * equal keys are equal words, and no key is 0 (an empty slot). */
static inline uint64_t stop_key(const char *term, size_t len)
{
    uint64_t k = 0;

    for (size_t i = len; i-- > 0;)
        k = (k << 8) | (unsigned char)term[i];
    return k;
}

static inline size_t stop_slot(uint64_t key)
{
    return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - STOP_TABLE_BITS));
}

static void stop_table_init(analyzer *a)
{
    for (size_t k = 0; k < sizeof stop_words / sizeof stop_words[0]; k++) {
        uint64_t key = stop_key(stop_words[k], strlen(stop_words[k]));
        size_t i = stop_slot(key);
        while (a->stop_table[i] != 0)
            i = (i + 1) & (STOP_TABLE_SIZE - 1);
        a->stop_table[i] = key;
    }
}

/* Whether the word term (len bytes) is a stop word: stop_lookup through the
 * table, for the words whose stem (which brings the answer from the stem
 * cache) a run does not compute. */
static inline int stop_fast(const analyzer *a, const char *term, size_t len)
{
    uint64_t key;
    size_t i;

    if (len == 0 || len > STOP_MAX_LEN)
        return 0;
    key = stop_key(term, len);
    for (i = stop_slot(key); a->stop_table[i] != 0; i = (i + 1) & (STOP_TABLE_SIZE - 1))
        if (a->stop_table[i] == key)
            return 1;
    return 0;
}

int analyzer_is_stopword(const char *term)
{
    if (!term)
        return 0;
    return stop_lookup(term, strlen(term));
}

/* ---- UTF-8 and classes --------------------------------------------------- */

/* Decodes the code point at s[i] (i < len) into *cp and returns its length in
 * bytes.  An invalid, overlong, truncated or surrogate sequence gives BAD_CP
 * and length 1, so the next byte is decoded afresh and nothing is overread. */
static size_t decode_at(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    size_t n = utf8_decode(s + i, len - i, cp);
    if (!n) {
        *cp = BAD_CP;
        return 1;
    }
    return n;
}

/* Classes of the ASCII characters (index = code): space may join digit
 * groups; ! and ? end a sentence; ' - . , are apostrophe, hyphen, dot and
 * comma; every other non-alphanumeric character separates. */
#define S C_SEP
#define G C_GROUPSP
#define T C_TERM
#define A C_APOS
#define C C_COMMA
#define H C_HYPHEN
#define P C_DOT
#define D C_DIGIT
#define U C_UPPER
#define L C_LOWER
/* clang-format off */
static const unsigned char ascii_cls[128] = {
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
    G, T, S, S, S, S, S, A, S, S, S, S, C, H, P, S,
    D, D, D, D, D, D, D, D, D, D, S, S, S, S, S, T,
    S, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U, U, U, U, S, S, S, S, S,
    S, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,
    L, L, L, L, L, L, L, L, L, L, L, S, S, S, S, S,
};
/* clang-format on */
#undef S
#undef G
#undef T
#undef A
#undef C
#undef H
#undef P
#undef D
#undef U
#undef L

static inline int ascii_class(unsigned c)
{
    return ascii_cls[c];
}

static int cp_class(uint32_t cp)
{
    if (cp < 0x80)
        return ascii_class(cp);
    if (cp == BAD_CP)
        return C_SEP;
    switch (cp) {
    case 0x00A0: /* no-break space */
    case 0x202F: /* narrow no-break space (French thousands separator) */
    case 0x2009: /* thin space */
        return C_GROUPSP;
    case 0x2019: /* right single quotation mark, the typographic apostrophe */
    case 0x2018: /* left single quotation mark, often typed for an apostrophe */
    case 0x02BC: /* modifier letter apostrophe */
        return C_APOS;
    case 0x2010: /* hyphen */
    case 0x2011: /* non-breaking hyphen */
        return C_HYPHEN;
    case 0x2026: /* horizontal ellipsis */
        return C_TERM;
    case 0x00AD: /* soft hyphen */
    case 0x200C: /* zero-width non-joiner */
    case 0x200D: /* zero-width joiner */
    case 0x2060: /* word joiner */
        return C_IGNORE;
    default:
        break;
    }
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT:
        return C_UPPER;
    case UTF8PROC_CATEGORY_LL:
        return C_LOWER;
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
        return C_LETTER;
    case UTF8PROC_CATEGORY_ND:
        return C_DIGIT;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return C_MARK;
    default:
        return C_SEP;
    }
}

/* Class and length of the code point at i (i < r->len). */
static inline size_t peek(const struct run *r, size_t i, uint32_t *cp, int *cls)
{
    unsigned c = r->s[i];
    size_t n;

    if (c < 0x80) {
        *cp = c;
        *cls = ascii_class(c);
        return 1;
    }
    n = decode_at(r->s, r->len, i, cp);
    *cls = cp_class(*cp);
    return n;
}

/* Class of the code point at i, or C_SEP at the end of the input. */
static inline int class_at(const struct run *r, size_t i)
{
    uint32_t cp;
    int cls;

    if (i >= r->len)
        return C_SEP;
    peek(r, i, &cp, &cls);
    return cls;
}

/* ---- folding ------------------------------------------------------------- */

static inline int is_ascii_alnum(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Writes the folded form of one code point into out (FOLD_CP_MAX bytes):
 * NFKC compatibility mapping, case folding, combining marks and default
 * ignorables removed, œ æ ø ł đ ı spelled in ASCII.  With keep_punct == 0,
 * ASCII characters other than letters and digits are dropped (U+FDFA expands
 * to words with spaces, which must not enter a term).  Returns its length. */
static size_t fold_cp(uint32_t cp, char *out, int keep_punct)
{
    utf8proc_int32_t d[32];
    utf8proc_ssize_t n, k;
    int last_boundclass = 0;
    size_t len = 0;

    if (cp < 0x80) {
        if (!keep_punct && !is_ascii_alnum(cp))
            return 0;
        out[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        return 1;
    }
    n = utf8proc_decompose_char((utf8proc_int32_t)cp, d, 32,
                                UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE |
                                    UTF8PROC_STRIPMARK | UTF8PROC_IGNORE,
                                &last_boundclass);
    if (n < 0 || n > 32)
        return 0;
    for (k = 0; k < n; k++) {
        const char *ascii = NULL;
        switch (d[k]) {
        case 0x0153:
            ascii = "oe";
            break;
        case 0x00E6:
            ascii = "ae";
            break;
        case 0x00F8:
            ascii = "o";
            break;
        case 0x0142:
            ascii = "l";
            break;
        case 0x0111:
            ascii = "d";
            break;
        case 0x0131:
            ascii = "i";
            break;
        default:
            break;
        }
        if (ascii) {
            size_t al = strlen(ascii);
            memcpy(out + len, ascii, al);
            len += al;
        } else if (d[k] < 0x80) {
            if (keep_punct || is_ascii_alnum((uint32_t)d[k]))
                out[len++] = (char)d[k];
        } else {
            len += (size_t)utf8proc_encode_char(d[k], (utf8proc_uint8_t *)out + len);
        }
    }
    return len;
}

static inline void sb_reset(sbuf *b)
{
    b->len = 0;
    b->full = 0;
    b->b[0] = '\0';
}

static inline void sb_put(sbuf *b, const char *p, size_t n)
{
    if (b->full)
        return;
    if (n > TERM_MAX - b->len) {
        b->full = 1;
        return;
    }
    memcpy(b->b + b->len, p, n);
    b->len += n;
    b->b[b->len] = '\0';
}

/* Appends the exact form (NFKC, case folded, composed: accents kept) of the
 * valid UTF-8 text s[0..n) to exact.  Only the first NORM_INPUT_MAX bytes
 * are looked at: the result is cut at TERM_MAX bytes anyway. */
static void exact_slow(analyzer *a, const unsigned char *s, size_t n, sbuf *exact)
{
    const utf8proc_option_t opts =
        UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_COMPOSE | UTF8PROC_IGNORE;
    utf8proc_ssize_t m, k;
    size_t limit = NORM_INPUT_MAX;

    for (;;) {
        if (n > limit) {
            n = limit; /* cut at a code point: s[n] exists since n was larger */
            while (n > 0 && (s[n] & 0xC0) == 0x80)
                n--;
        }
        if (n == 0)
            return;
        m = utf8proc_decompose(s, (utf8proc_ssize_t)n, a->cps, CPBUF_SIZE, opts);
        if (m < 0)
            return;
        if (m <= CPBUF_SIZE)
            break;
        limit = n / 2; /* cannot happen while DECOMP_MAX is right; stay safe anyway */
    }
    m = utf8proc_normalize_utf32(a->cps, m, opts);
    if (m < 0)
        return;
    for (k = 0; k < m && !exact->full; k++) {
        char buf[4];
        utf8proc_int32_t cp = a->cps[k];
        if (cp < 0x80) {
            if (!is_ascii_alnum((uint32_t)cp))
                continue;
            buf[0] = (char)cp;
            sb_put(exact, buf, 1);
        } else {
            sb_put(exact, buf, (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)buf));
        }
    }
}

/* Fills the fast table from the slow path, so both give the same forms.
 * Only letters qualify: marks and ignorables must send their piece to the
 * slow path, where they combine with their neighbours. */
static void fast_table_init(analyzer *a)
{
    uint32_t cp;

    memset(a->fast, 0, sizeof a->fast);
    for (cp = 0x80; cp < FAST_LIMIT; cp++) {
        struct fold_entry *e = &a->fast[cp];
        unsigned char enc[4];
        char term[FOLD_CP_MAX];
        size_t tl;
        sbuf ex;
        int cls = cp_class(cp);

        if (!IS_LETTER(cls))
            continue;
        tl = fold_cp(cp, term, 0);
        sb_reset(&ex);
        exact_slow(a, enc, (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, enc), &ex);
        if (tl == 0 || tl > FOLD_ENTRY_MAX || ex.len == 0 || ex.len > FOLD_ENTRY_MAX)
            continue;
        memcpy(e->term, term, tl);
        e->term_len = (unsigned char)tl;
        memcpy(e->exact, ex.b, ex.len);
        e->exact_len = (unsigned char)ex.len;
        e->cls = (unsigned char)cls;
        e->ok = 1;
        e->word = 1; /* no letter here folds to a digit today; stay safe anyway */
        for (size_t k = 0; k < tl; k++)
            if (term[k] >= '0' && term[k] <= '9')
                e->word = 0;
    }
}

/* Appends one byte to b, with the cut of sb_put, leaving b without its NUL. */
static inline void sb_put1(sbuf *b, char c)
{
    if (b->full)
        return;
    if (b->len >= TERM_MAX) {
        b->full = 1;
        return;
    }
    b->b[b->len++] = c;
}

/* Appends the term and exact forms of a piece. */
static void norm_piece(struct run *r, const struct piece *p, sbuf *term, sbuf *exact)
{
    const unsigned char *s = r->s;
    size_t i = p->start;

    if (p->fast) {
        while (i < p->end && !(term->full && exact->full)) {
            unsigned c = s[i];
            if (c < 0x80) {
                char lc = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                sb_put1(term, lc);
                sb_put1(exact, lc);
                term->b[term->len] = '\0';
                exact->b[exact->len] = '\0';
                i++;
            } else {
                uint32_t cp;
                const struct fold_entry *e;
                i += decode_at(s, r->len, i, &cp);
                e = &r->a->fast[cp]; /* p->fast guarantees cp < FAST_LIMIT and e->ok */
                sb_put(term, e->term, e->term_len);
                sb_put(exact, e->exact, e->exact_len);
            }
        }
        return;
    }
    exact_slow(r->a, s + p->start, p->end - p->start, exact);
    while (i < p->end && !term->full) {
        uint32_t cp;
        char buf[FOLD_CP_MAX];
        i += decode_at(s, r->len, i, &cp);
        sb_put(term, buf, fold_cp(cp, buf, 0));
    }
}

/* ---- splitting ----------------------------------------------------------- */

/* Reads the piece starting at i, whose first code point is a word start. */
static void scan_piece(const struct run *r, size_t i, struct piece *p)
{
    const struct fold_entry *fast = r->a->fast;

    memset(p, 0, sizeof *p);
    p->start = i;
    p->all_digits = 1;
    p->fast = 1;
    p->first_cls = -1;
    while (i < r->len) {
        uint32_t cp;
        int cls;
        size_t n;
        if (r->s[i] < 0x80) { /* ASCII: letters and digits are always fast */
            cls = ascii_cls[r->s[i]];
            if (!IS_CONT(cls))
                break;
            if (p->first_cls < 0)
                p->first_cls = cls;
            p->nupper += cls == C_UPPER;
            p->nlower += cls == C_LOWER;
            if (cls != C_DIGIT)
                p->all_digits = 0;
            p->ncp++;
            i++;
            continue;
        }
        n = peek(r, i, &cp, &cls);
        if (!IS_CONT(cls))
            break;
        if (p->first_cls < 0)
            p->first_cls = cls;
        if (cls == C_UPPER)
            p->nupper++;
        else if (cls == C_LOWER)
            p->nlower++;
        if (cls != C_DIGIT)
            p->all_digits = 0;
        if (cp >= 0x80 && (cp >= FAST_LIMIT || !fast[cp].ok))
            p->fast = 0;
        p->ncp++;
        i += n;
    }
    p->end = i;
}

/* Finds the start of the next word at or after i (r->len at the end of the
 * input); notes sentence ends crossed on the way.  A dot directly followed by
 * a lower-case letter or a digit is not a sentence end (exemple.fr, 3.14). */
static size_t next_word(struct run *r, size_t i)
{
    const unsigned char *s = r->s;
    size_t len = r->len;

    while (i < len) {
        uint32_t cp;
        int cls;
        size_t n = 1;
        if (s[i] < 0x80)
            cls = ascii_cls[s[i]];
        else
            n = peek(r, i, &cp, &cls);
        if (IS_START(cls))
            return i;
        if (cls == C_TERM) {
            r->sentence = 1;
        } else if (cls == C_DOT) {
            int next = i + 1 < len && s[i + 1] < 0x80 ? ascii_cls[s[i + 1]] : class_at(r, i + 1);
            if (next != C_LOWER && next != C_DIGIT)
                r->sentence = 1;
        }
        i += n;
    }
    return i;
}

/* Compares an ASCII piece, case-insensitively, with one of the lower-case
 * words of list. */
static int piece_in(const struct run *r, const struct piece *p, const char *const *list)
{
    size_t n = p->end - p->start, k;

    if (n > 7 || !p->fast)
        return 0;
    for (; *list; list++) {
        unsigned c0 = r->s[p->start];
        if ((c0 | 0x20) != (unsigned char)(*list)[0])
            continue;
        if (strlen(*list) != n)
            continue;
        for (k = 0; k < n; k++) {
            unsigned c = r->s[p->start + k];
            if (c >= 'A' && c <= 'Z')
                c += 32;
            if (c != (unsigned char)(*list)[k])
                break;
        }
        if (k == n)
            return 1;
    }
    return 0;
}

/* Elided words: dropped when an apostrophe and a word follow. */
static const char *const elision_words[] = {"l", "d",  "j",     "m",      "n",      "s",      "t",
                                            "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", NULL};
/* First halves of lexicalised words kept whole: aujourd'hui, presqu'île,
 * quelqu'un(e), prud'homme(s). */
static const char *const lexical_words[] = {"aujourd", "presqu", "quelqu", "prud", NULL};

/* When an apostrophe at i is directly followed by a word, stores where that
 * word starts in *after and returns 1. */
static int apostrophe_then_word(const struct run *r, size_t i, size_t *after)
{
    uint32_t cp;
    int cls;
    size_t n;

    if (i >= r->len)
        return 0;
    n = peek(r, i, &cp, &cls);
    if (cls != C_APOS || !IS_START(class_at(r, i + n)))
        return 0;
    *after = i + n;
    return 1;
}

static void unit_add(struct run *r, struct unit *u, const struct piece *p)
{
    norm_piece(r, p, &u->term, &u->exact);
    u->nupper += p->nupper;
    u->nlower += p->nlower;
    u->end = p->end;
    if (!p->all_digits)
        u->all_digits = 0;
}

/* Starts a unit with piece p, joining the second half of a lexicalised word.
 * Returns the offset after the unit. */
static size_t read_unit(struct run *r, const struct piece *p, struct unit *u)
{
    size_t after;

    u->start = p->start;
    u->end = p->end;
    u->nupper = u->nlower = 0;
    u->first_upper = p->first_cls == C_UPPER;
    u->all_digits = 1;
    u->ascii_digits = 0;
    sb_reset(&u->term);
    sb_reset(&u->exact);
    unit_add(r, u, p);
    if (p->all_digits && p->fast)
        u->ascii_digits = (unsigned)(p->end - p->start);
    if (apostrophe_then_word(r, p->end, &after) && piece_in(r, p, lexical_words)) {
        struct piece q;
        scan_piece(r, after, &q);
        unit_add(r, u, &q);
        u->ascii_digits = 0;
    }
    return u->end;
}

static int is_ascii_digit(unsigned c)
{
    return c >= '0' && c <= '9';
}

/* Joins digit groups ("30 000", "30\u202f000", and "30.000" as French news
 * often write it) and decimals ("1,5", "3.14") to the number u ending at i.
 * A group is exactly three digits after a first group of one to three.
 * Returns the offset after the number. */
static size_t extend_number(struct run *r, struct unit *u, size_t i)
{
    const unsigned char *s = r->s;
    int d;

    if (u->ascii_digits >= 1 && u->ascii_digits <= 3) {
        while (i < r->len) {
            uint32_t cp;
            int cls;
            size_t n = peek(r, i, &cp, &cls), k = i + n;
            if ((cls != C_GROUPSP && cls != C_DOT) || r->len - k < 3 || !is_ascii_digit(s[k]) ||
                !is_ascii_digit(s[k + 1]) || !is_ascii_digit(s[k + 2]) ||
                IS_CONT(class_at(r, k + 3)))
                break;
            sb_put(&u->term, (const char *)s + k, 3);
            sb_put(&u->exact, (const char *)s + k, 3);
            u->end = i = k + 3;
        }
    }
    for (d = 0; d < DECIMAL_MAX && i + 1 < r->len; d++) {
        struct piece q;
        if ((s[i] != ',' && s[i] != '.') || class_at(r, i + 1) != C_DIGIT)
            break;
        scan_piece(r, i + 1, &q);
        if (!q.all_digits)
            break;
        sb_put(&u->term, (const char *)s + i, 1);
        sb_put(&u->exact, (const char *)s + i, 1);
        unit_add(r, u, &q);
        i = q.end;
    }
    return i;
}

/* Extends a one-letter unit to a dotted acronym (S.N.C.F. or S.N.C.F) when
 * at least one more ".letter" follows.  Returns the new end, or i. */
static size_t extend_acronym(struct run *r, struct unit *u, size_t i)
{
    unsigned letters = 1;
    size_t j = i;

    while (j + 1 < r->len && r->s[j] == '.' && IS_LETTER(class_at(r, j + 1))) {
        struct piece q;
        scan_piece(r, j + 1, &q);
        if (q.ncp != 1)
            break;
        unit_add(r, u, &q);
        letters++;
        j = q.end;
    }
    if (letters < 2)
        return i;
    if (j < r->len && r->s[j] == '.')
        u->end = ++j;
    return j;
}

/* ---- emitting ------------------------------------------------------------ */

/* Stems are only computed for words: a term with a digit or a dot (numbers,
 * 1er, covid19, exemple.fr) is its own stem. */
static int needs_stem(const sbuf *term)
{
    size_t k;

    for (k = 0; k < term->len; k++) {
        unsigned c = (unsigned char)term->b[k];
        if (is_ascii_digit(c) || c == '.' || c == ',')
            return 0;
    }
    return 1;
}

/* Whether s[0..n) holds only the letters a to z. */
static int is_lower_ascii(const char *s, size_t n)
{
    size_t k;

    for (k = 0; k < n; k++)
        if ((unsigned)(unsigned char)s[k] - 'a' >= 26u)
            return 0;
    return 1;
}

/* Computes the stem of term into a->stem; returns 0, or -1 out of memory. */
static int stem_into(analyzer *a, const char *term, size_t len, int stem_it)
{
    const sb_symbol *st;
    size_t n;

    sb_reset(&a->stem);
    if (!stem_it || len == 0) {
        sb_put(&a->stem, term, len < TERM_MAX ? len : TERM_MAX);
        return 0;
    }
    st = NULL;
    if (a->stemmer_ascii && is_lower_ascii(term, len)) {
        st = sb_stemmer_stem(a->stemmer_ascii, (const sb_symbol *)term, (int)len);
        if (!st)
            return -1;
        n = (size_t)sb_stemmer_length(a->stemmer_ascii);
        /* The French rules never add a letter beyond a-z to such a word;
         * should one ever appear, the UTF-8 stemmer decides. */
        if (!is_lower_ascii((const char *)st, n))
            st = NULL;
    }
    if (!st) {
        st = sb_stemmer_stem(a->stemmer, (const sb_symbol *)term, (int)len);
        if (!st)
            return -1;
        n = (size_t)sb_stemmer_length(a->stemmer);
    }
    sb_put(&a->stem, (const char *)st, n < TERM_MAX ? n : TERM_MAX);
    return 0;
}

/* Loads the cache key of a term of len <= CACHE_WORD bytes: its bytes,
 * zero-padded.  Terms hold no NUL, so equal keys mean equal terms.  t must
 * have CACHE_WORD readable bytes, as every term buffer of a run has. */
static inline void cache_key(const char *t, size_t len, uint64_t key[3])
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    size_t k;

    memcpy(key, t, CACHE_WORD); /* three loads; the bytes past len are masked off */
    for (k = 0; k < 3; k++) {
        size_t have = len > 8 * k ? len - 8 * k : 0;
        if (have < 8)
            key[k] &= have ? ~(uint64_t)0 >> (64 - 8 * have) : 0;
    }
#else
    memset(key, 0, CACHE_WORD);
    memcpy(key, t, len);
#endif
}

/* The set of a key: a multiplicative hash, taking its top bits. */
static inline size_t cache_set(const uint64_t key[3])
{
    uint64_t h =
        key[0] ^ (key[1] * UINT64_C(0xC2B2AE3D27D4EB4F)) ^ (key[2] * UINT64_C(0x165667B19E3779F9));
    h *= UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> (64 - CACHE_SET_BITS));
}

/* How emit finds the stem of a term. */
enum stem_how {
    STEM_SELF,   /* the term is its own stem: it has a digit, a dot or a comma */
    STEM_WORD,   /* a word, with CACHE_WORD readable bytes */
    STEM_PADDED, /* a word followed by CACHE_WORD bytes of zeros */
};

/* The miss path of stem_cached, out of line so that the hit path stays
 * small: runs Snowball and keeps the result as the most recent entry of set. */
static NOINLINE int stem_miss(analyzer *a, const char *term, size_t len, const uint64_t key[3],
                              struct stem_entry *set)
{
    struct stem_entry *e;
    size_t prefix, k;
    int stop;

    if (stem_into(a, term, len, 1) != 0)
        return -1;
    stop = stop_lookup(term, len);
    for (prefix = 0; prefix < len && prefix < a->stem.len && term[prefix] == a->stem.b[prefix];
         prefix++)
        ;
    if (a->stem.len - prefix <= CACHE_SUFFIX) { /* else not kept: never seen so far */
        for (k = CACHE_WAYS - 1; k > 0; k--)    /* the least recent goes */
            set[k] = set[k - 1];
        e = &set[0];
        memset(e, 0, sizeof *e);
        memcpy(e->key, key, sizeof e->key);
        e->term_len = (unsigned char)len;
        e->prefix = (unsigned char)prefix;
        e->suffix_len = (unsigned char)(a->stem.len - prefix);
        memcpy(e->suffix, a->stem.b + prefix, e->suffix_len);
        e->stop = (unsigned char)stop;
    }
    return stop;
}

/* Sets a->stem to the stem of the word term (no digit, dot or comma) and
 * returns whether it is a stop word, through the cache; returns -1 out of
 * memory.  term is NUL-terminated; how is STEM_WORD or STEM_PADDED. */
static ALWAYS_INLINE int stem_cached(analyzer *a, const char *term, size_t len, enum stem_how how)
{
    struct stem_entry *set, *e, hit;
    uint64_t key[3];
    size_t k;
    int stop;

    if (len > CACHE_WORD) {
        if (stem_into(a, term, len, 1) != 0)
            return -1;
        return 0; /* no stop word is that long */
    }
    if (how == STEM_PADDED)
        memcpy(key, term, CACHE_WORD);
    else
        cache_key(term, len, key);
    set = &a->cache[cache_set(key) * CACHE_WAYS];
    for (k = 0; k < CACHE_WAYS; k++) {
        e = &set[k];
        if (e->key[0] != key[0] || e->key[1] != key[1] || e->key[2] != key[2] || e->term_len != len)
            continue;
        /* The stem: the term's first bytes (the key holds them), then its suffix. */
        memcpy(a->stem.b, key, CACHE_WORD);
        memcpy(a->stem.b + e->prefix, e->suffix, CACHE_SUFFIX);
        a->stem.len = (size_t)e->prefix + e->suffix_len;
        a->stem.b[a->stem.len] = '\0';
        a->stem.full = 0;
        stop = e->stop;
        if (k > 0) { /* most recently used first */
            hit = *e;
            for (; k > 0; k--)
                set[k] = set[k - 1];
            set[0] = hit;
        }
        return stop;
    }
    return stem_miss(a, term, len, key, set);
}

/* Reports one token; a term that is its own stem is no stop word. */
static ALWAYS_INLINE void emit(struct run *r, const char *term, size_t term_len, const char *exact,
                               size_t exact_len, size_t start, size_t end, unsigned position,
                               unsigned flags, enum stem_how how)
{
    analyzer_token t;
    int stop = 0;

    if (r->stop)
        return;
    if (r->stop_after && start > *r->stop_after) {
        r->stop = 1;
        return;
    }
    if (r->report && !filter_bit(r->report, filter_key(term)))
        return; /* the caller has no use for it; its position is taken all the same */
    t.stem = term;
    t.stem_len = term_len;
    if (how != STEM_SELF && r->stem && !filter_bit(r->stem, filter_key(term))) {
        /* The caller has no use for this stem (see analyzer_filter). */
        stop = stop_fast(r->a, term, term_len);
        flags |= TOKEN_UNSTEMMED;
    } else if (how != STEM_SELF) {
        stop = stem_cached(r->a, term, term_len, how);
        if (stop < 0) {
            r->status = KQ_ERR_NOMEM;
            r->stop = 1;
            return;
        }
        t.stem = r->a->stem.b;
        t.stem_len = r->a->stem.len;
    }
    if (stop)
        flags |= TOKEN_STOPWORD;
    t.term = term;
    t.term_len = term_len;
    t.exact = exact;
    t.exact_len = exact_len;
    t.position = position;
    t.start = start;
    t.end = end;
    t.flags = flags;
    if (r->cb(r->ctx, &t) != 0)
        r->stop = 1;
}

/* Reports a token whose forms are in sbufs. */
static void emit_sb(struct run *r, const sbuf *term, const sbuf *exact, size_t start, size_t end,
                    unsigned position, unsigned flags)
{
    emit(r, term->b, term->len, exact->b, exact->len, start, end, position, flags,
         needs_stem(term) ? STEM_WORD : STEM_SELF);
}

static unsigned unit_flags(const struct unit *u)
{
    unsigned f = 0;

    if (u->all_digits)
        f |= TOKEN_NUMBER;
    if (u->first_upper)
        f |= TOKEN_CAPITALISED;
    if (u->nupper >= 2 && u->nlower == 0)
        f |= TOKEN_ACRONYM;
    return f;
}

/* Takes the sentence-start flag for the next word. */
static unsigned take_sentence(struct run *r)
{
    unsigned f = r->sentence ? TOKEN_SENTENCE_START : 0;
    r->sentence = 0;
    return f;
}

/* Emits a one-token word; an empty term (a word of only ignorable or
 * unmappable characters) takes no position. */
static void emit_unit(struct run *r, const struct unit *u, unsigned flags)
{
    if (u->term.len == 0)
        return;
    flags |= unit_flags(u) | take_sentence(r);
    emit_sb(r, &u->term, &u->exact, u->start, u->end, r->pos++, flags);
}

enum chain_kind { CHAIN_NONE, CHAIN_HYPHEN, CHAIN_DOT };

/* Whether a chain of the given kind continues at i after the unit cur; sets
 * *next to the start of the next part.  Hyphens join any words.  Dots join a
 * word to one starting with a lower-case letter or a digit (exemple.fr), or
 * a word in capitals to another one (WWW.EXEMPLE.FR, as a query may be
 * typed); "fin.Le" is two sentences. */
static int chain_continues(const struct run *r, size_t i, enum chain_kind kind,
                           const struct unit *cur, size_t *next)
{
    uint32_t cp;
    int cls, after;
    size_t n;

    if (i >= r->len)
        return 0;
    n = peek(r, i, &cp, &cls);
    after = class_at(r, i + n);
    if (kind == CHAIN_HYPHEN && cls == C_HYPHEN && IS_START(after)) {
        *next = i + n;
        return 1;
    }
    if (kind == CHAIN_DOT && cls == C_DOT && (after == C_LOWER || after == C_DIGIT)) {
        *next = i + n;
        return 1;
    }
    if (kind == CHAIN_DOT && cls == C_DOT && after == C_UPPER && cur->nlower == 0 &&
        cur->nupper > 0) {
        struct piece q;
        scan_piece(r, i + n, &q);
        if (q.nlower == 0) {
            *next = i + n;
            return 1;
        }
    }
    return 0;
}

/* Subject pronouns after a verb: "a-t-il", "dit-elle", "est-ce" have no
 * useful joined form. */
static int is_inverted_pronoun(const sbuf *term)
{
    static const char *const pronouns[] = {"il", "elle", "on", "ils", "elles", "je", "tu", "ce"};
    size_t k;

    for (k = 0; k < sizeof pronouns / sizeof pronouns[0]; k++)
        if (strcmp(term->b, pronouns[k]) == 0)
            return 1;
    return 0;
}

/* Emits the parts of a hyphenated or dotted word, then its joined form at the
 * position of the first part.  Inside a hyphenated word an elided article is
 * dropped as elsewhere (Côte-d'Ivoire: cote, ivoire, coteivoire).  Returns the
 * offset after the chain. */
static size_t run_chain(struct run *r, struct unit *first, size_t i, enum chain_kind kind)
{
    sbuf cterm, cexact;
    struct unit next, *u = first;
    unsigned p0 = r->pos, cflags = TOKEN_COMPOUND, nupper = 0, nlower = 0;
    int nparts = 0, all_digits = 1, pronoun_last = 0;
    size_t start = first->start, end = first->end, j, after;

    sb_reset(&cterm);
    sb_reset(&cexact);
    for (;;) {
        if (u->term.len > 0) {
            unsigned f = TOKEN_PART | unit_flags(u);
            if (nparts == 0) {
                f |= take_sentence(r);
                cflags |= f & (TOKEN_SENTENCE_START | TOKEN_CAPITALISED);
                p0 = r->pos;
                start = u->start;
            } else if (kind == CHAIN_DOT) {
                sb_put(&cterm, ".", 1);
                sb_put(&cexact, ".", 1);
            }
            sb_put(&cterm, u->term.b, u->term.len);
            sb_put(&cexact, u->exact.b, u->exact.len);
            nupper += u->nupper;
            nlower += u->nlower;
            if (!u->all_digits)
                all_digits = 0;
            pronoun_last = kind == CHAIN_HYPHEN && is_inverted_pronoun(&u->term);
            emit_sb(r, &u->term, &u->exact, u->start, u->end, r->pos++, f);
            nparts++;
            end = u->end;
        }
        if (nparts >= CHAIN_MAX || r->stop || !chain_continues(r, i, kind, u, &j))
            break;
        {
            struct piece q;
            scan_piece(r, j, &q);
            if (kind == CHAIN_HYPHEN && apostrophe_then_word(r, q.end, &after) &&
                piece_in(r, &q, elision_words))
                scan_piece(r, after, &q);
            i = read_unit(r, &q, &next);
            u = &next;
        }
    }
    /* A range of numbers (2019-2020 cannot start a chain, but 19-20 inside
     * one can) has no useful joined form, nor has a verb with its pronoun;
     * long chains are URL slugs or lists, not words. */
    if (nparts >= 2 && nparts <= COMPOUND_MAX_PARTS && !all_digits && !pronoun_last &&
        !cterm.full && cterm.len <= COMPOUND_MAX_BYTES) {
        if (nupper >= 2 && nlower == 0)
            cflags |= TOKEN_ACRONYM;
        emit_sb(r, &cterm, &cexact, start, end, p0, cflags);
    }
    return i;
}

/* Copies the lower-case ASCII letters from s[j] on, up to lim, to out at
 * *ol; returns where they end.  out has 8 bytes of slack past what it gets. */
static ALWAYS_INLINE size_t lower_run(const unsigned char *s, size_t j, size_t lim, char *out,
                                      size_t *ol)
{
    size_t o = *ol;
#if SWAR_LE
    const uint64_t ones = UINT64_C(0x0101010101010101), high = ones * 0x80;
    while (j + 8 <= lim) { /* j may be past lim: a 2-byte letter crossed it */
        uint64_t v, bad;
        memcpy(&v, s + j, 8);
        /* A byte x < 0x80 is in a..z when x + 0x1F has its high bit (x >= 'a')
         * and x + 0x05 has not (x <= 'z'); a byte >= 0x80 is not. */
        bad = ((~(v + ones * 0x1F) | (v + ones * 0x05)) & high) | (v & high);
        memcpy(out + o, &v, 8);
        if (bad) {
            size_t k = (size_t)__builtin_ctzll(bad) >> 3;
            *ol = o + k;
            return j + k;
        }
        o += 8;
        j += 8;
    }
#endif
    while (j < lim && (unsigned)s[j] - 'a' < 26u)
        out[o++] = (char)s[j++];
    *ol = o;
    return j;
}

/* Whether the 2-byte UTF-8 sequence at s[j] (c == s[j], j + 1 < len) is a
 * letter fast_word takes. */
static ALWAYS_INLINE int fast_letter2(const struct fold_entry *fast, const unsigned char *s,
                                      size_t j, size_t len, unsigned c)
{
    uint32_t cp;

    if (c < 0xC2 || c >= 0xC0 + ((FAST_LIMIT + 63) >> 6) || j + 1 >= len ||
        (s[j + 1] & 0xC0) != 0x80)
        return 0;
    cp = ((c & 0x1Fu) << 6) | (s[j + 1] & 0x3Fu);
    return cp < FAST_LIMIT && fast[cp].word;
}

/* The fast path of analyzer_run, for most words of a text: at most
 * FAST_WORD_MAX bytes of ASCII letters and digits and of letters with a
 * fast entry, not only digits, and not followed by an apostrophe, a hyphen or
 * a dot and then a word (but for an elided article).  It reads the word and
 * builds its forms in one pass, and emits the token the generic path would,
 * or skips the elided article as it would.  Returns the offset after what it
 * took, or 0 to leave the word at i (a word start) to the generic path. */
static size_t fast_word(struct run *r, size_t i)
{
    const unsigned char *s = r->s;
    const struct fold_entry *fast = r->a->fast;
    /* At most 3.5 bytes a byte of input (see FAST_WORD_MAX), then the slack
     * of whole copies (8 bytes, FAST_WORD_MAX bytes) or the CACHE_WORD bytes
     * of zeros after the term. */
    char term[FAST_WORD_MAX * 4 + 48], exact[FAST_WORD_MAX * 4 + 48];
    const char *ex;
    size_t j = i, lim = r->len - i > FAST_WORD_MAX ? i + FAST_WORD_MAX : r->len;
    size_t tl = 0, el = 0, n = 1;
    unsigned nupper = 0, nlower = 0, ndigit = 0, nother = 0, flags;
    int accents = 0; /* exact differs from term: it is built beside it */
    int first, next;

    for (;;) {
        size_t j0 = j;
        unsigned c;
        uint32_t cp;
        int cls;
        /* Runs of lower-case ASCII letters: most bytes of a French text. */
        if (!accents) {
            j = lower_run(s, j, lim, term, &tl);
        } else {
            size_t t0 = tl;
            j = lower_run(s, j, lim, term, &tl);
            memcpy(exact + el, term + t0, FAST_WORD_MAX); /* at most that many, whole */
            el += tl - t0;
        }
        nlower += (unsigned)(j - j0);
        if (j >= lim) {
            if (lim < r->len)
                return 0; /* too long for the buffers */
            next = C_SEP;
            break;
        }
        c = s[j];
        if (c < 0x80) {
            cls = ascii_cls[c];
            if (!IS_CONT(cls)) {
                next = cls;
                break;
            }
            if (cls == C_UPPER) {
                c += 32;
                nupper++;
            } else {
                ndigit++;
            }
            term[tl++] = (char)c;
            if (accents)
                exact[el++] = (char)c;
            j++;
        } else if (fast_letter2(fast, s, j, r->len, c)) {
            const struct fold_entry *e = &fast[((c & 0x1Fu) << 6) | (s[j + 1] & 0x3Fu)];
            if (!accents) {
                memcpy(exact, term, FAST_WORD_MAX * 4); /* tl bytes, copied whole */
                el = tl;
                accents = 1;
            }
            memcpy(term + tl, e->term, sizeof e->term);
            memcpy(exact + el, e->exact, sizeof e->exact);
            tl += e->term_len;
            el += e->exact_len;
            nupper += e->cls == C_UPPER;
            nlower += e->cls == C_LOWER;
            nother += e->cls == C_LETTER;
            j += 2;
        } else {
            n = peek(r, j, &cp, &cls);
            if (IS_CONT(cls))
                return 0; /* a mark, or a letter without a fast entry */
            next = cls;
            break;
        }
    }
    if (nupper + nlower + nother == 0)
        return 0; /* a number, which may go on with groups or decimals */
    if ((next == C_APOS || next == C_HYPHEN || next == C_DOT) && IS_START(class_at(r, j + n))) {
        struct piece p;
        if (next != C_APOS)
            return 0; /* a hyphenated or dotted word, an acronym */
        memset(&p, 0, sizeof p);
        p.start = i;
        p.end = j;
        p.fast = 1;
        if (piece_in(r, &p, elision_words))
            return j + n; /* the elided article takes no position */
        if (piece_in(r, &p, lexical_words))
            return 0;
    }
    if (r->report && !filter_bit(r->report, ((unsigned)(unsigned char)term[0] << 8) |
                                                (tl >= 2 ? (unsigned char)term[1] : 0u))) {
        /* What emit would do with a token the caller does not want, without
         * building its forms. */
        if (r->stop_after && i > *r->stop_after)
            r->stop = 1;
        take_sentence(r);
        r->pos++;
        return j;
    }
    memset(term + tl, 0, CACHE_WORD); /* the NUL, and the padding of the cache key */
    exact[el] = '\0';
    ex = exact;
    first = s[i] < 0x80 ? ascii_cls[s[i]] : fast[((s[i] & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu)].cls;
    flags = take_sentence(r);
    if (first == C_UPPER)
        flags |= TOKEN_CAPITALISED;
    if (nupper >= 2 && nlower == 0)
        flags |= TOKEN_ACRONYM;
    if (!accents) {
        ex = term;
        el = tl;
    }
    emit(r, term, tl, ex, el, i, j, r->pos++, flags, ndigit == 0 ? STEM_PADDED : STEM_SELF);
    return j;
}

/* With a report filter, passes over words the caller does not want without
 * building their forms: words fast_word would emit as one token each, which
 * emit would then drop.  Such a word starts with two ASCII letters, or is
 * one, whose key (lower-cased) is not in the filter; has
 * only ASCII letters and digits and letters with a fast entry; is shorter
 * than fast_word's limit; and is followed by the end of the text or by an
 * ASCII character that neither continues it nor may join it to another (an
 * apostrophe, a hyphen, a dot).  Each takes its position and the sentence
 * start as emit would.  Goes on while one space (or ", ") and another such
 * word follow.  Returns the offset after what it took, or 0 when the word
 * at i is not one for it. */
static size_t skim_words(struct run *r, size_t i)
{
    const unsigned char *s = r->s;
    const struct fold_entry *fast = r->a->fast;
    size_t first = i;

    for (;;) {
        size_t j, lim;
        unsigned c0, c1, c, key;

        /* c | 0x20 is in a..z exactly when c is an ASCII letter. */
        c0 = s[i] | 0x20u;
        if (c0 - 'a' >= 26u)
            return i == first ? 0 : i;
        if (r->len - i >= 2 && (c1 = s[i + 1] | 0x20u) - 'a' < 26u) {
            key = (c0 << 8) | c1;
            j = i + 2;
        } else if (r->len - i < 2 || (s[i + 1] < 0x80 && !IS_CONT(ascii_cls[s[i + 1]]))) {
            key = c0 << 8; /* a one-letter word: what follows is checked below */
            j = i + 1;
        } else {
            return i == first ? 0 : i; /* a digit or a non-ASCII character second */
        }
        if (filter_bit(r->report, key))
            return i == first ? 0 : i;
        lim = r->len - i > FAST_WORD_MAX ? i + FAST_WORD_MAX : r->len;
        for (;;) {
#if SWAR_LE
            const uint64_t ones = UINT64_C(0x0101010101010101), high = ones * 0x80;
            while (j + 8 <= lim) { /* ASCII letters of either case, as in lower_run */
                uint64_t v, bad;
                memcpy(&v, s + j, 8);
                bad = v & high;
                v |= ones * 0x20;
                bad |= (~(v + ones * 0x1F) | (v + ones * 0x05)) & high;
                if (bad) {
                    j += (size_t)__builtin_ctzll(bad) >> 3;
                    break;
                }
                j += 8;
            }
#endif
            if (j >= lim)
                break;
            c = s[j];
            if (c < 0x80) {
                if (!IS_CONT(ascii_cls[c]))
                    break;
                j++; /* a letter or a digit */
            } else if (fast_letter2(fast, s, j, r->len, c)) {
                j += 2;
            } else {
                /* A mark, another letter, a typographic apostrophe, a
                 * space: fast_word decides. */
                return i == first ? 0 : i;
            }
        }
        if (j >= lim && lim < r->len)
            return i == first ? 0 : i; /* too long for fast_word */
        if (j < r->len) {
            c = s[j];
            if (c >= 0x80 || ascii_cls[c] == C_APOS || ascii_cls[c] == C_HYPHEN ||
                ascii_cls[c] == C_DOT)
                return i == first ? 0 : i;
        }
        take_sentence(r);
        r->pos++;
        if (r->stop_after && i > *r->stop_after) {
            r->stop = 1;
            return j;
        }
        /* One space, or a comma and a space, cross no sentence end.  A
         * word that is not one for this loop is left, from its start, to
         * the caller. */
        if (r->len - j >= 2 && s[j] == ' ' && ((s[j + 1] | 0x20u) - 'a') < 26u)
            i = j + 1;
        else if (r->len - j >= 3 && s[j] == ',' && s[j + 1] == ' ' &&
                 ((s[j + 2] | 0x20u) - 'a') < 26u)
            i = j + 2;
        else
            return j;
    }
}

kq_status analyzer_run(analyzer *a, const char *text, size_t len, unsigned first_position,
                       enum analyzer_mode mode, analyzer_callback callback, void *ctx,
                       unsigned *next_position)
{
    analyzer_options opts = {.mode = mode, .first_position = first_position};

    return analyzer_run_with(a, text, len, &opts, callback, ctx, next_position);
}

kq_status analyzer_run_with(analyzer *a, const char *text, size_t len, const analyzer_options *opts,
                            analyzer_callback callback, void *ctx, unsigned *next_position)
{
    struct run r;
    size_t i = 0;

    /* opts->mode is not read: documents and queries are analysed identically, on purpose. */
    if (next_position && opts)
        *next_position = opts->first_position;
    if (!a || !opts || !callback || (!text && len > 0))
        return KQ_ERR_INVALID;
    r.a = a;
    r.s = (const unsigned char *)text;
    r.len = text ? len : 0;
    r.pos = opts->first_position;
    r.sentence = 1;
    r.stop = 0;
    r.status = KQ_OK;
    r.cb = callback;
    r.ctx = ctx;
    r.report = opts->report;
    r.stem = opts->stem;
    r.stop_after = opts->stop_after;

    while (!r.stop) {
        struct piece p;
        struct unit u;
        size_t after;
        enum chain_kind kind = CHAIN_NONE;

        i = next_word(&r, i);
        if (i >= r.len)
            break;
        after = r.report ? skim_words(&r, i) : 0;
        if (!after)
            after = fast_word(&r, i);
        if (after) {
            i = after;
            continue;
        }
        scan_piece(&r, i, &p);
        if (apostrophe_then_word(&r, p.end, &after) && piece_in(&r, &p, elision_words)) {
            i = after; /* the elided article takes no position */
            continue;
        }
        i = read_unit(&r, &p, &u);
        if (u.all_digits) {
            i = extend_number(&r, &u, i);
            emit_unit(&r, &u, TOKEN_NUMBER);
            continue;
        }
        if (p.ncp == 1 && u.end == p.end && IS_LETTER(p.first_cls)) {
            size_t j = extend_acronym(&r, &u, i);
            if (j != i) {
                i = j;
                emit_unit(&r, &u, TOKEN_ACRONYM);
                continue;
            }
        }
        if (chain_continues(&r, i, CHAIN_HYPHEN, &u, &after))
            kind = CHAIN_HYPHEN;
        else if (chain_continues(&r, i, CHAIN_DOT, &u, &after))
            kind = CHAIN_DOT;
        if (kind == CHAIN_NONE)
            emit_unit(&r, &u, 0);
        else
            i = run_chain(&r, &u, i, kind);
    }
    if (next_position)
        *next_position = r.pos;
    return r.status;
}

/* ---- the rest of the API --------------------------------------------------- */

analyzer *analyzer_new(void)
{
    analyzer *a = calloc(1, sizeof *a);

    if (!a)
        return NULL;
    a->stemmer = sb_stemmer_new("french", "UTF_8");
    a->stemmer_ascii = sb_stemmer_new("french", "ISO_8859_1");
    if (!a->stemmer) {
        sb_stemmer_delete(a->stemmer_ascii);
        free(a);
        return NULL;
    }
    fast_table_init(a);
    stop_table_init(a);
    return a;
}

void analyzer_free(analyzer *a)
{
    if (!a)
        return;
    sb_stemmer_delete(a->stemmer);
    sb_stemmer_delete(a->stemmer_ascii);
    free(a);
}

/* The longest prefix of s[0..n) of at most max bytes that does not split a
 * UTF-8 sequence. */
static size_t utf8_prefix(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

size_t analyzer_stem(analyzer *a, const char *term, size_t term_len, char *out, size_t out_size)
{
    sbuf t;
    size_t n;

    if (!a || !out || out_size == 0)
        return 0;
    out[0] = '\0';
    if (!term)
        return 0;
    sb_reset(&t);
    sb_put(&t, term, utf8_prefix(term, term_len, TERM_MAX));
    if (stem_into(a, t.b, t.len, needs_stem(&t)) != 0)
        return 0;
    n = utf8_prefix(a->stem.b, a->stem.len, out_size - 1);
    memcpy(out, a->stem.b, n);
    out[n] = '\0';
    return n;
}

char *analyzer_fold(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t cap = len + 16, n = 0, i = 0;
    char *out = malloc(cap);

    if (!out)
        return NULL;
    while (s && i < len) {
        char buf[FOLD_CP_MAX];
        size_t bl;
        uint32_t cp;

        i += decode_at(s, len, i, &cp);
        if (cp == BAD_CP) {
            buf[0] = ' '; /* an invalid byte separates, as in analyzer_run */
            bl = 1;
        } else {
            bl = fold_cp(cp, buf, 1);
        }
        if (cap - n < bl + 1) {
            size_t ncap = cap * 2 + bl;
            char *grown;
            if (ncap < cap) {
                free(out);
                return NULL;
            }
            grown = realloc(out, ncap);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
            cap = ncap;
        }
        memcpy(out + n, buf, bl);
        n += bl;
    }
    out[n] = '\0';
    return out;
}
