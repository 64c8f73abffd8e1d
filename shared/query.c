/* query: the Kiosque query language, parsed into a tree (see query.h for the language). */
#include "query.h"
#include "date.h"
#include "render_buf.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parentheses nested deeper than this are read as if they were absent (their
 * contents join the enclosing group), so recursion stays bounded whatever the
 * input.  32 is far more than a person types. */
#define QUERY_MAX_DEPTH 32

/* At most this many leaves (words, phrases, prefixes, dates) are kept; the
 * rest of the query is ignored.  A query longer than that is a pasted text,
 * and every leaf costs a posting-list lookup in compile.c. */
#define QUERY_MAX_LEAVES 64

/* A prefix needs at least this many characters (code points) before the
 * star; "a*" is read as the word "a".  How many terms a prefix may expand to
 * is bounded later by compile.c. */
#define QUERY_MIN_PREFIX_CHARS 2

/* At most this many prefixes a query; later ones are read as their words.
 * Xapian expands a prefix before matching, reading every term it starts
 * (a search's time limit cannot stop it): on the team kit's 36k articles
 * (877k terms), 64 two-letter prefixes cost 0.18 s of CPU before any match,
 * 16 of them 0.02 s. */
#define QUERY_MAX_PREFIXES 16

/* --- input cleaning ------------------------------------------------------ */

/* Copies the input into valid, NUL-terminated UTF-8 without control
 * characters: each byte of an invalid sequence becomes U+FFFD, and C0/C1
 * controls and NUL become spaces (they separate words).  Everything after
 * this works on clean text, so node texts are always valid UTF-8.
 * Returns NULL when out of memory; the caller frees the result. */
static char *clean_input(const char *text, size_t len, size_t *out_len)
{
    if (!text)
        len = 0;
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t n = utf8_sequence_length(s + i, len - i);
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else if (s[i] < 0x20 || s[i] == 0x7F || (s[i] == 0xC2 && s[i + 1] < 0xA0)) {
            out[o++] = ' ';
            i += n;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* --- character classes (on clean text) ---------------------------------- */

/* Returns the byte length of the whitespace character at s[pos], or 0.
 * Unicode White_Space (controls are already spaces), plus U+200B zero-width
 * space and U+FEFF, which people paste but never mean as part of a word. */
static size_t space_len(const char *s, size_t len, size_t pos)
{
    const unsigned char *u = (const unsigned char *)s + pos;
    size_t n = len - pos;
    if (u[0] == ' ')
        return 1;
    if (n >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
        return 2; /* U+00A0 */
    if (n < 3)
        return 0;
    if (u[0] == 0xE1 && u[1] == 0x9A && u[2] == 0x80)
        return 3; /* U+1680 */
    if (u[0] == 0xE2 && u[1] == 0x80 &&
        (u[2] <= 0x8B || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
        return 3; /* U+2000..U+200B, U+2028, U+2029, U+202F */
    if (u[0] == 0xE2 && u[1] == 0x81 && u[2] == 0x9F)
        return 3; /* U+205F */
    if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80)
        return 3; /* U+3000 */
    if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        return 3; /* U+FEFF */
    return 0;
}

/* If an opening quote starts at s[pos], returns its byte length and sets
 * the closing quote it pairs with: " with ", « with », “ with ”. */
static size_t open_quote_len(const char *s, size_t len, size_t pos, const char **closer)
{
    const char *p = s + pos;
    size_t n = len - pos;
    if (p[0] == '"') {
        *closer = "\"";
        return 1;
    }
    if (n >= 2 && memcmp(p, "\xC2\xAB", 2) == 0) {
        *closer = "\xC2\xBB";
        return 2;
    }
    if (n >= 3 && memcmp(p, "\xE2\x80\x9C", 3) == 0) {
        *closer = "\xE2\x80\x9D";
        return 3;
    }
    return 0;
}

/* A closing quote with no opening one (» or ”) separates words like a space. */
static size_t stray_closer_len(const char *s, size_t len, size_t pos)
{
    size_t n = len - pos;
    if (n >= 2 && memcmp(s + pos, "\xC2\xBB", 2) == 0)
        return 2;
    if (n >= 3 && memcmp(s + pos, "\xE2\x80\x9D", 3) == 0)
        return 3;
    return 0;
}

/* Returns the length of a separator (space or stray closing quote) at pos, or 0. */
static size_t separator_len(const char *s, size_t len, size_t pos)
{
    size_t n = space_len(s, len, pos);
    return n ? n : stray_closer_len(s, len, pos);
}

/* Does a word end at pos?  Words end at separators, parentheses and opening quotes. */
static int word_ends_at(const char *s, size_t len, size_t pos)
{
    const char *closer;
    if (pos >= len)
        return 1;
    return s[pos] == '(' || s[pos] == ')' || separator_len(s, len, pos) ||
           open_quote_len(s, len, pos, &closer);
}

static size_t count_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    return chars;
}

/* --- nodes --------------------------------------------------------------- */

void query_free(query_node *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n_children; i++)
        query_free(q->children[i]);
    free(q->children);
    free(q->text);
    free(q);
}

/* Returns a new node with no text and no children, or NULL when out of memory. */
static query_node *node_new(enum query_kind kind)
{
    query_node *q = calloc(1, sizeof *q);
    if (q)
        q->kind = kind;
    return q;
}

/* Returns a new leaf whose text is a copy of s[0..n), or NULL when out of memory. */
static query_node *leaf_new(enum query_kind kind, const char *s, size_t n)
{
    query_node *q = node_new(kind);
    if (!q)
        return NULL;
    q->text = malloc(n + 1);
    if (!q->text) {
        free(q);
        return NULL;
    }
    memcpy(q->text, s, n);
    q->text[n] = '\0';
    return q;
}

/* Appends child to parent; returns 0, or -1 when out of memory (child then
 * still belongs to the caller). */
static int node_push(query_node *parent, query_node *child)
{
    /* Grows by doubling from 4: n_children is a power of two or below 4 when full. */
    size_t n = parent->n_children;
    if (n >= 4 ? (n & (n - 1)) == 0 : n == 0) {
        size_t cap = n == 0 ? 4 : n * 2;
        query_node **c = realloc(parent->children, cap * sizeof *c);
        if (!c)
            return -1;
        parent->children = c;
    }
    parent->children[parent->n_children++] = child;
    return 0;
}

/* Adds child to an AND or OR parent, taking ownership in every case: a
 * child of the same kind that is not negated has its children moved up
 * (flattening).  Returns 0, or -1 when out of memory (child freed). */
static int node_adopt(query_node *parent, query_node *child)
{
    if (child->kind == parent->kind && !child->negated) {
        size_t i = 0;
        for (; i < child->n_children; i++)
            if (node_push(parent, child->children[i]) != 0)
                break;
        int rc = i == child->n_children ? 0 : -1;
        /* Children moved so far are the parent's; the rest are freed with child. */
        memmove(child->children, child->children + i,
                (child->n_children - i) * sizeof(query_node *));
        child->n_children -= i;
        query_free(child);
        return rc;
    }
    if (node_push(parent, child) != 0) {
        query_free(child);
        return -1;
    }
    return 0;
}

/* --- dates --------------------------------------------------------------- */

/* Reads 1..max_digits ASCII digits at s[*i..n) into *v; returns 0 or -1. */
static int read_number(const char *s, size_t n, size_t *i, unsigned min_digits, unsigned max_digits,
                       unsigned *v)
{
    unsigned digits = 0, value = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9' && digits < max_digits) {
        value = value * 10 + (unsigned)(s[*i] - '0');
        (*i)++;
        digits++;
    }
    if (digits < min_digits)
        return -1;
    *v = value;
    return 0;
}

/* Parses a period "YYYY", "YYYY-MM" or "YYYY-MM-DD" (month and day may
 * have one digit) into its first and last second, UTC, inclusive.
 * Returns 0, or -1 when s[0..n) is not a valid period. */
static int parse_period(const char *s, size_t n, int64_t *first, int64_t *last)
{
    size_t i = 0;
    unsigned y, m = 0, d = 0;
    if (read_number(s, n, &i, 4, 4, &y) != 0 || y == 0)
        return -1;
    if (i < n) {
        if (s[i++] != '-' || read_number(s, n, &i, 1, 2, &m) != 0 || m < 1 || m > 12)
            return -1;
        if (i < n) {
            if (s[i++] != '-' || read_number(s, n, &i, 1, 2, &d) != 0 || d < 1 ||
                d > date_days_in_month(y, m))
                return -1;
        }
    }
    if (i != n)
        return -1;
    int64_t start, end; /* days */
    if (m == 0) {
        start = date_days_from_civil(y, 1, 1);
        end = date_days_from_civil((int64_t)y + 1, 1, 1);
    } else if (d == 0) {
        start = date_days_from_civil(y, m, 1);
        end = m == 12 ? date_days_from_civil((int64_t)y + 1, 1, 1)
                      : date_days_from_civil(y, m + 1, 1);
    } else {
        start = date_days_from_civil(y, m, d);
        end = start + 1;
    }
    *first = start * 86400;
    *last = end * 86400 - 1;
    return 0;
}

enum date_op { DATE_RANGE, DATE_SINCE, DATE_BEFORE, DATE_AFTER };

/* Parses the value of a date field into [*from, *to] (0: open).  DATE_RANGE
 * takes a period or "A..B", "A..", "..B" (a reversed range is put in
 * order); the others take one period.  Returns 0, or -1 when invalid. */
static int parse_date_value(enum date_op op, const char *s, size_t n, int64_t *from, int64_t *to)
{
    int64_t a_first, a_last, b_first, b_last;
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '.' && s[i + 1] == '.') {
            dots = s + i;
            break;
        }
    if (dots) {
        if (op != DATE_RANGE)
            return -1;
        size_t na = (size_t)(dots - s);
        const char *b = dots + 2;
        size_t nb = n - na - 2;
        if (na == 0 && nb == 0)
            return -1;
        if (na && parse_period(s, na, &a_first, &a_last) != 0)
            return -1;
        if (nb && parse_period(b, nb, &b_first, &b_last) != 0)
            return -1;
        if (na && nb && a_first > b_last) {
            *from = b_first;
            *to = a_last;
        } else {
            *from = na ? a_first : 0;
            *to = nb ? b_last : 0;
        }
        return 0;
    }
    if (parse_period(s, n, &a_first, &a_last) != 0)
        return -1;
    switch (op) {
    case DATE_RANGE:
        *from = a_first;
        *to = a_last;
        break;
    case DATE_SINCE:
        *from = a_first;
        *to = 0;
        break;
    case DATE_BEFORE:
        *from = 0;
        *to = a_first - 1;
        break;
    case DATE_AFTER:
        *from = a_last + 1;
        *to = 0;
        break;
    }
    return 0;
}

/* --- field names --------------------------------------------------------- */

enum field_class { FIELD_UNKNOWN, FIELD_TEXT, FIELD_DATE };

static const struct {
    const char *name; /* lower case */
    enum field_class cls;
    enum query_field field;
    enum date_op op;
} field_names[] = {
    {"titre", FIELD_TEXT, QUERY_FIELD_TITLE, 0},
    {"title", FIELD_TEXT, QUERY_FIELD_TITLE, 0},
    {"auteur", FIELD_TEXT, QUERY_FIELD_AUTHOR, 0},
    {"author", FIELD_TEXT, QUERY_FIELD_AUTHOR, 0},
    {"rubrique", FIELD_TEXT, QUERY_FIELD_SECTION, 0},
    {"section", FIELD_TEXT, QUERY_FIELD_SECTION, 0},
    {"motcle", FIELD_TEXT, QUERY_FIELD_KEYWORD, 0},
    {"motclé", FIELD_TEXT, QUERY_FIELD_KEYWORD, 0},
    {"mot-cle", FIELD_TEXT, QUERY_FIELD_KEYWORD, 0},
    {"mot-clé", FIELD_TEXT, QUERY_FIELD_KEYWORD, 0},
    {"keyword", FIELD_TEXT, QUERY_FIELD_KEYWORD, 0},
    {"keywords", FIELD_TEXT, QUERY_FIELD_KEYWORD, 0},
    {"date", FIELD_DATE, 0, DATE_RANGE},
    {"depuis", FIELD_DATE, 0, DATE_SINCE},
    {"since", FIELD_DATE, 0, DATE_SINCE},
    {"avant", FIELD_DATE, 0, DATE_BEFORE},
    {"before", FIELD_DATE, 0, DATE_BEFORE},
    {"until", FIELD_DATE, 0, DATE_BEFORE},
    {"apres", FIELD_DATE, 0, DATE_AFTER},
    {"après", FIELD_DATE, 0, DATE_AFTER},
    {"after", FIELD_DATE, 0, DATE_AFTER},
};

/* Looks a field name up, ignoring case (ASCII and the Latin-1 letters
 * such as É/È).  Returns its index in field_names, or -1. */
static int field_lookup(const char *s, size_t n)
{
    char folded[16];
    if (n == 0 || n >= sizeof folded)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        else if (i > 0 && (unsigned char)s[i - 1] == 0xC3 && c >= 0x80 && c <= 0x9E && c != 0x97)
            c = (unsigned char)(c + 0x20);
        folded[i] = (char)c;
    }
    for (size_t k = 0; k < sizeof field_names / sizeof field_names[0]; k++)
        if (strlen(field_names[k].name) == n && memcmp(field_names[k].name, folded, n) == 0)
            return (int)k;
    return -1;
}

/* --- lexer --------------------------------------------------------------- */

enum token_kind { TOKEN_END, TOKEN_LEAF, TOKEN_OPEN, TOKEN_CLOSE, TOKEN_OR };

struct token {
    enum token_kind kind;
    query_node *leaf;       /* TOKEN_LEAF: owned by the token until taken */
    int negated;            /* TOKEN_OPEN */
    enum query_field field; /* TOKEN_OPEN */
};

/* The lexer turns clean text into tokens, dropping what carries nothing
 * (lone "-", bare "*", empty quotes, a field with no value, unbalanced ")"),
 * and applies the depth and leaf limits, so the parser only sees balanced
 * parentheses nested at most QUERY_MAX_DEPTH deep. */
struct lexer {
    const char *s;
    size_t len, pos;
    int depth;       /* open parentheses emitted and not yet closed */
    size_t ignored;  /* open parentheses beyond the depth limit, read as absent */
    size_t leaves;   /* leaf tokens emitted */
    size_t prefixes; /* of them, prefixes */
    int oom;         /* sticky: an allocation failed */
    struct token peeked;
    int has_peeked;
};

/* The outcome of scanning one piece of input. */
enum scan { SCAN_TOKEN, SCAN_NOTHING };

static enum scan emit_leaf(struct lexer *lx, struct token *t, query_node *leaf, int negated,
                           enum query_field field)
{
    if (!leaf) {
        lx->oom = 1;
        return SCAN_NOTHING;
    }
    leaf->negated = negated;
    leaf->field = field;
    lx->leaves++;
    t->kind = TOKEN_LEAF;
    t->leaf = leaf;
    return SCAN_TOKEN;
}

/* An opening parenthesis at lx->pos. */
static enum scan scan_open(struct lexer *lx, struct token *t, int negated, enum query_field field)
{
    lx->pos++;
    if (lx->depth >= QUERY_MAX_DEPTH) {
        /* Read as absent, with its sign and field: this only happens in
         * machine-made input, and keeps the parser's recursion bounded. */
        lx->ignored++;
        return SCAN_NOTHING;
    }
    lx->depth++;
    t->kind = TOKEN_OPEN;
    t->negated = negated;
    t->field = field;
    return SCAN_TOKEN;
}

/* A quoted phrase whose opening quote (qlen bytes) is at lx->pos; it ends
 * at its closing quote or at the end of the input.  Runs of spaces inside
 * become one ASCII space and the ends are trimmed; an empty phrase is dropped. */
static enum scan scan_phrase(struct lexer *lx, struct token *t, size_t qlen, const char *closer,
                             int negated, enum query_field field)
{
    const char *s = lx->s;
    size_t clen = strlen(closer);
    size_t start = lx->pos + qlen, end = start;
    while (end < lx->len && !(lx->len - end >= clen && memcmp(s + end, closer, clen) == 0))
        end++;
    lx->pos = end < lx->len ? end + clen : end;

    char *buf = malloc(end - start + 1);
    if (!buf) {
        lx->oom = 1;
        return SCAN_NOTHING;
    }
    size_t o = 0;
    int pending_space = 0;
    for (size_t i = start; i < end;) {
        size_t sp = space_len(s, end, i);
        if (sp) {
            pending_space = o > 0;
            i += sp;
            continue;
        }
        if (pending_space)
            buf[o++] = ' ';
        pending_space = 0;
        buf[o++] = s[i++];
    }
    enum scan r = SCAN_NOTHING;
    if (o > 0)
        r = emit_leaf(lx, t, leaf_new(QUERY_PHRASE, buf, o), negated, field);
    free(buf);
    return r;
}

/* A word s[start..end): leading stars are dropped, trailing stars make a
 * prefix when QUERY_MIN_PREFIX_CHARS characters remain and the query has
 * fewer than QUERY_MAX_PREFIXES; nothing left, nothing emitted. */
static enum scan scan_word(struct lexer *lx, struct token *t, size_t start, size_t end, int negated,
                           enum query_field field)
{
    const char *s = lx->s;
    int star = 0;
    while (start < end && s[start] == '*')
        start++;
    while (end > start && s[end - 1] == '*') {
        end--;
        star = 1;
    }
    if (start == end)
        return SCAN_NOTHING;
    enum query_kind kind = star && count_chars(s + start, end - start) >= QUERY_MIN_PREFIX_CHARS &&
                                   lx->prefixes < QUERY_MAX_PREFIXES
                               ? QUERY_PREFIX
                               : QUERY_WORD;
    lx->prefixes += kind == QUERY_PREFIX;
    return emit_leaf(lx, t, leaf_new(kind, s + start, end - start), negated, field);
}

/* One term starting at lx->pos, which is not a separator. */
static enum scan scan_term(struct lexer *lx, struct token *t)
{
    const char *s = lx->s, *closer;
    size_t len = lx->len;

    if (s[lx->pos] == ')') {
        lx->pos++;
        if (lx->ignored > 0) {
            lx->ignored--;
            return SCAN_NOTHING;
        }
        if (lx->depth == 0)
            return SCAN_NOTHING; /* unbalanced */
        lx->depth--;
        t->kind = TOKEN_CLOSE;
        return SCAN_TOKEN;
    }

    /* Signs: "-" excludes, "+" is accepted and means nothing. */
    int negated = 0, signed_term = 0;
    while (lx->pos < len && (s[lx->pos] == '-' || s[lx->pos] == '+')) {
        negated |= s[lx->pos] == '-';
        signed_term = 1;
        lx->pos++;
    }
    if (lx->pos >= len || s[lx->pos] == ')' || separator_len(s, len, lx->pos))
        return SCAN_NOTHING; /* a lone sign */
    if (s[lx->pos] == '(')
        return scan_open(lx, t, negated, QUERY_FIELD_ANY);
    size_t qlen = open_quote_len(s, len, lx->pos, &closer);
    if (qlen)
        return scan_phrase(lx, t, qlen, closer, negated, QUERY_FIELD_ANY);

    size_t start = lx->pos, end = start;
    while (!word_ends_at(s, len, end))
        end++;
    lx->pos = end;

    if (!signed_term && end - start == 2 && memcmp(s + start, "OR", 2) == 0) {
        t->kind = TOKEN_OR;
        return SCAN_TOKEN;
    }

    const char *colon = memchr(s + start, ':', end - start);
    int k = colon ? field_lookup(s + start, (size_t)(colon - (s + start))) : -1;
    if (k < 0)
        return scan_word(lx, t, start, end, negated, QUERY_FIELD_ANY);

    size_t vstart = (size_t)(colon - s) + 1;
    if (vstart == end) {
        /* Nothing glued to the field name in the word: a group or a phrase
         * may follow; anything else leaves the field empty, and it is dropped.
         * A date field takes neither, so they are read without it. */
        enum query_field f =
            field_names[k].cls == FIELD_TEXT ? field_names[k].field : QUERY_FIELD_ANY;
        if (end < len && s[end] == '(')
            return scan_open(lx, t, negated, f);
        qlen = open_quote_len(s, len, end, &closer);
        if (qlen)
            return scan_phrase(lx, t, qlen, closer, negated, f);
        return SCAN_NOTHING;
    }
    if (field_names[k].cls == FIELD_TEXT)
        return scan_word(lx, t, vstart, end, negated, field_names[k].field);

    int64_t from = 0, to = 0;
    if (parse_date_value(field_names[k].op, s + vstart, end - vstart, &from, &to) != 0)
        return emit_leaf(lx, t, leaf_new(QUERY_WORD, s + start, end - start), negated,
                         QUERY_FIELD_ANY);
    query_node *d = node_new(QUERY_DATE);
    if (d) {
        d->date_from = from;
        d->date_to = to;
    }
    return emit_leaf(lx, t, d, negated, QUERY_FIELD_ANY);
}

/* Returns the next token; TOKEN_END at the end of the input, after
 * QUERY_MAX_LEAVES leaves, or once an allocation failed. */
static struct token lexer_next(struct lexer *lx)
{
    struct token t = {0};
    if (lx->has_peeked) {
        lx->has_peeked = 0;
        return lx->peeked;
    }
    while (!lx->oom && lx->leaves < QUERY_MAX_LEAVES && lx->pos < lx->len) {
        size_t sep = separator_len(lx->s, lx->len, lx->pos);
        if (sep) {
            lx->pos += sep;
            continue;
        }
        if (scan_term(lx, &t) == SCAN_TOKEN)
            return t;
    }
    t.kind = TOKEN_END;
    return t;
}

static enum token_kind lexer_peek(struct lexer *lx)
{
    if (!lx->has_peeked) {
        lx->peeked = lexer_next(lx);
        lx->has_peeked = 1;
    }
    return lx->peeked.kind;
}

/* --- parser -------------------------------------------------------------- */

/* Grammar, on the lexer's balanced tokens:
 *   sequence := (clause | OR)* [")" | end]     implicit AND; stray ORs dropped
 *   clause   := term (OR+ term)*               OR binds tighter than AND
 *   term     := leaf | "(" sequence
 * Out of memory is sticky in lx->oom; the functions then return what they have. */

static query_node *parse_sequence(struct lexer *lx, enum query_field field);

/* Returns a term, or NULL when it holds nothing (an empty group) or on OOM. */
static query_node *parse_term(struct lexer *lx, enum query_field field)
{
    struct token t = lexer_next(lx);
    if (t.kind == TOKEN_LEAF) {
        if (t.leaf->field == QUERY_FIELD_ANY && t.leaf->kind != QUERY_DATE)
            t.leaf->field = field;
        return t.leaf;
    }
    if (t.kind != TOKEN_OPEN)
        return NULL;
    query_node *g = parse_sequence(lx, t.field != QUERY_FIELD_ANY ? t.field : field);
    if (!g)
        return NULL;
    if (g->n_children == 0) {
        query_free(g);
        return NULL;
    }
    if (g->n_children == 1) {
        query_node *only = g->children[0];
        g->n_children = 0;
        query_free(g);
        only->negated ^= t.negated;
        return only;
    }
    g->negated = t.negated;
    return g;
}

static int starts_term(enum token_kind k)
{
    return k == TOKEN_LEAF || k == TOKEN_OPEN;
}

/* Returns a clause (a term or an OR of terms), or NULL when it holds nothing or on OOM. */
static query_node *parse_clause(struct lexer *lx, enum query_field field)
{
    query_node *first = parse_term(lx, field), *any = NULL;
    while (lexer_peek(lx) == TOKEN_OR) {
        while (lexer_peek(lx) == TOKEN_OR)
            lexer_next(lx);
        if (!starts_term(lexer_peek(lx)))
            break; /* a trailing OR */
        query_node *next = parse_term(lx, field);
        if (!next)
            continue; /* an empty group: "a OR () OR b" is "a OR b" */
        if (!first && !any) {
            first = next;
            continue;
        }
        if (!any) {
            any = node_new(QUERY_OR);
            if (!any)
                query_free(first); /* node_adopt frees it on failure */
            if (!any || node_adopt(any, first) != 0) {
                query_free(any);
                query_free(next);
                lx->oom = 1;
                return NULL;
            }
            first = NULL; /* now a child of any */
        }
        if (node_adopt(any, next) != 0) {
            lx->oom = 1;
            break;
        }
    }
    return any ? any : first;
}

/* Returns an AND of the clauses up to the matching ")" or the end, or NULL on OOM. */
static query_node *parse_sequence(struct lexer *lx, enum query_field field)
{
    query_node *all = node_new(QUERY_AND);
    if (!all) {
        lx->oom = 1;
        return NULL;
    }
    for (;;) {
        enum token_kind k = lexer_peek(lx);
        if (k == TOKEN_END)
            break;
        if (k == TOKEN_CLOSE || k == TOKEN_OR) {
            lexer_next(lx);
            if (k == TOKEN_CLOSE)
                break;
            continue; /* a leading or doubled OR */
        }
        query_node *c = parse_clause(lx, field);
        if (c && node_adopt(all, c) != 0)
            lx->oom = 1;
        if (lx->oom)
            break;
    }
    return all;
}

query_node *query_parse(const char *text, size_t len)
{
    struct lexer lx = {0};
    query_node *root = NULL;
    char *clean = clean_input(text, len, &lx.len);
    if (!clean)
        return NULL;
    lx.s = clean;
    root = parse_sequence(&lx, QUERY_FIELD_ANY);
    /* The top-level sequence ends only at TOKEN_END (the lexer never emits an
     * unbalanced ")"), unless an allocation failed. */
    if (lx.oom) {
        query_free(root);
        root = NULL;
    }
    if (lx.has_peeked && lx.peeked.kind == TOKEN_LEAF)
        query_free(lx.peeked.leaf);
    free(clean);
    return root;
}

/* --- describe ------------------------------------------------------------ */

static void describe(render_buf *b, const query_node *q)
{
    static const char *const fields[] = {"", "title:", "author:", "section:", "keyword:"};
    static const char *const kinds[] = {"AND", "OR", "word:", "phrase:", "prefix:", "date:"};
    if (q->negated)
        render_buf_puts(b, "-");
    if ((unsigned)q->kind > QUERY_DATE) {
        render_buf_puts(b, "?");
        return;
    }
    if (q->kind == QUERY_AND || q->kind == QUERY_OR) {
        render_buf_puts(b, "(");
        render_buf_puts(b, kinds[q->kind]);
        for (size_t i = 0; i < q->n_children; i++) {
            render_buf_puts(b, " ");
            describe(b, q->children[i]);
        }
        render_buf_puts(b, ")");
        return;
    }
    if (q->kind == QUERY_DATE) {
        char num[64];
        snprintf(num, sizeof num, "date:[%" PRId64 ",%" PRId64 "]", q->date_from, q->date_to);
        render_buf_puts(b, num);
        return;
    }
    if ((unsigned)q->field < sizeof fields / sizeof fields[0])
        render_buf_puts(b, fields[q->field]);
    render_buf_puts(b, kinds[q->kind]);
    render_buf_puts(b, "\"");
    for (const char *p = q->text ? q->text : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            render_buf_puts(b, "\\");
        render_buf_add(b, p, 1);
    }
    render_buf_puts(b, "\"");
}

char *query_describe(const query_node *q)
{
    render_buf b = RENDER_BUF_INIT;
    if (!q)
        render_buf_puts(&b, "(null)");
    else
        describe(&b, q);
    return render_buf_release(&b, NULL);
}
