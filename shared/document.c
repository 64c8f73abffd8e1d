#include "document.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "hash.h"
#include "utf8.h"

/* The near-duplicate key being computed (document_duplicate_key): two
 * hashes fed the same terms, the opening's and the rest's. */
struct dupkey {
    document_dupkey_params p;
    int in_body;        /* 0: the chapô, 1: the body */
    size_t opening_end; /* body byte where its first paragraph ends; SIZE_MAX: its first sentence */
    int past_opening;   /* 1 once the body's first paragraph is behind */
    int body_started;   /* 1 after the body's first term */
    unsigned opening_terms; /* terms folded into `opening` */
    unsigned rest_terms;    /* terms folded into `rest` */
    uint64_t opening;       /* FNV-1a of the first terms of chapô and body (key version 1) */
    uint64_t rest;          /* FNV-1a of the first terms of the body after its first paragraph */
};

/* State of one document_build: where terms go and the first failure. */
struct build {
    index_doc *doc;
    unsigned weight;      /* wdf increment of the field being analysed */
    int in_title;         /* 1 while analysing the headline */
    int in_text;          /* 1 while analysing chapô and body (near-duplicate key) */
    unsigned title_words; /* content words of the headline (DOCUMENT_SLOT_TITLE_WORDS) */
    struct dupkey key;    /* the near-duplicate key (DOCUMENT_SLOT_COLLAPSE) */
    int in_pairs;         /* 1 while analysing a field whose word pairs are kept (XP) */
    size_t prev_len;      /* bytes of prev; 0 at the start of a field or sentence */
    char prev[DOCUMENT_MAX_TERM + 1]; /* the last content word of the field */
    kq_status status;
    char term[DOCUMENT_MAX_TERM * 2 + 8];
};

const document_dupkey_params document_dupkey_default = {
    .opening_terms = 40, .rest_terms = 50, .min_terms = 8, .skip_opening = 1};

/* Starts a key of the article with parameters p (NULL: the default). */
static void dupkey_start(struct dupkey *k, const document_dupkey_params *p)
{
    memset(k, 0, sizeof *k);
    k->p = p ? *p : document_dupkey_default;
    k->opening = k->rest = HASH_DUPLICATE_KEY_BASIS;
}

/* The body comes next: its first paragraph ends at its first line break,
 * or when it is one line (the team kit's corpus glues its paragraphs), at
 * its first sentence. */
static void dupkey_body(struct dupkey *k, const char *body)
{
    const char *nl = body ? strchr(body, '\n') : NULL;
    k->in_body = 1;
    k->opening_end = SIZE_MAX;
    if (nl) {
        while (*nl == '\n' || *nl == '\r' || *nl == ' ')
            nl++;
        if (*nl) /* text follows the line break */
            k->opening_end = (size_t)(nl - body);
    }
}

static void dupkey_token(struct dupkey *k, const analyzer_token *t)
{
    if (t->flags & TOKEN_COMPOUND)
        return;
    if (k->opening_terms < k->p.opening_terms) {
        k->opening = hash_fnv1a(k->opening, t->term, t->term_len + 1);
        k->opening_terms++;
    }
    if (!k->in_body)
        return;
    if (!k->past_opening && k->body_started)
        k->past_opening = k->opening_end != SIZE_MAX ? t->start >= k->opening_end
                                                     : (t->flags & TOKEN_SENTENCE_START) != 0;
    k->body_started = 1;
    if (k->past_opening && k->rest_terms < k->p.rest_terms) {
        k->rest = hash_fnv1a(k->rest, t->term, t->term_len + 1);
        k->rest_terms++;
    }
}

/* The key: the rest's when it has min_terms terms or more, else the
 * opening's, with the headline when even the opening is that short (too
 * short to tell copies apart by their text alone). */
static uint64_t dupkey_finish(struct dupkey *k, const char *title)
{
    if (k->p.skip_opening && k->rest_terms >= k->p.min_terms)
        return k->rest ^ 1; /* never equal to an opening key of the same terms */
    if (k->opening_terms < k->p.min_terms)
        k->opening = hash_fnv1a(k->opening, title, strlen(title));
    return k->opening;
}

static int on_key_token(void *ctx, const analyzer_token *t)
{
    if (t->term_len > 0 && t->term_len <= DOCUMENT_MAX_TERM)
        dupkey_token(ctx, t);
    return 0;
}

kq_status document_duplicate_key(analyzer *a, const article *art, const document_dupkey_params *p,
                                 char out[17])
{
    struct dupkey k;
    const char *chapo = art->description ? art->description : "";
    const char *body = art->body ? art->body : "";
    unsigned pos = 1;
    dupkey_start(&k, p);
    kq_status st =
        analyzer_run(a, chapo, strlen(chapo), pos, ANALYZER_DOCUMENT, on_key_token, &k, &pos);
    dupkey_body(&k, body);
    if (st == KQ_OK)
        st = analyzer_run(a, body, strlen(body), pos, ANALYZER_DOCUMENT, on_key_token, &k, NULL);
    snprintf(out, 17, "%016llx", (unsigned long long)dupkey_finish(&k, art->title));
    return st;
}

/* Writes prefix + a [+ sep + b] into b->term; returns 0, or -1 when too long. */
static int make_term(struct build *b, const char *prefix, const char *s, size_t n, const char *s2,
                     size_t n2)
{
    size_t p = strlen(prefix);
    size_t total = p + n + (s2 ? 1 + n2 : 0);
    if (n == 0 || total > DOCUMENT_MAX_TERM)
        return -1;
    memcpy(b->term, prefix, p);
    memcpy(b->term + p, s, n);
    if (s2) {
        b->term[p + n] = ':';
        memcpy(b->term + p + n + 1, s2, n2);
    }
    b->term[total] = '\0';
    return 0;
}

const document_field_terms document_fields[DOCUMENT_FIELD_COUNT] = {
    [DOCUMENT_FIELD_TEXT] = {.words = "", .stems = DOCUMENT_PREFIX_STEM},
    [DOCUMENT_FIELD_TITLE] = {.words = DOCUMENT_PREFIX_TITLE, .stems = "Z" DOCUMENT_PREFIX_TITLE},
    [DOCUMENT_FIELD_AUTHOR] = {.words = DOCUMENT_PREFIX_AUTHOR,
                               .whole = DOCUMENT_PREFIX_AUTHOR_FULL},
    [DOCUMENT_FIELD_SECTION] = {.whole = DOCUMENT_PREFIX_SECTION},
    [DOCUMENT_FIELD_KEYWORD] = {.words = DOCUMENT_PREFIX_KEYWORD,
                                .whole = DOCUMENT_PREFIX_KEYWORD_FULL},
};

static void add_term(struct build *b, const char *prefix, const char *s, size_t n, unsigned wdf)
{
    if (b->status == KQ_OK && make_term(b, prefix, s, n, NULL, 0) == 0)
        b->status = index_doc_add_term(b->doc, b->term, wdf);
}

static void add_boolean(struct build *b, const char *prefix, const char *s, size_t n)
{
    if (b->status == KQ_OK && make_term(b, prefix, s, n, NULL, 0) == 0)
        b->status = index_doc_add_boolean_term(b->doc, b->term);
}

/* A content word and the content word before it in the same sentence of a
 * headline or chapô, as one filter term "XP" first " " second (document.h):
 * stop words and joined forms of hyphenated words are skipped. */
static void add_pair(struct build *b, const analyzer_token *t)
{
    if (t->flags & (TOKEN_STOPWORD | TOKEN_COMPOUND))
        return;
    if (t->flags & TOKEN_SENTENCE_START)
        b->prev_len = 0;
    size_t p = strlen(DOCUMENT_PREFIX_PAIR);
    if (b->prev_len && b->status == KQ_OK &&
        p + b->prev_len + 1 + t->term_len <= DOCUMENT_MAX_TERM) {
        memcpy(b->term, DOCUMENT_PREFIX_PAIR, p);
        memcpy(b->term + p, b->prev, b->prev_len);
        b->term[p + b->prev_len] = ' ';
        memcpy(b->term + p + b->prev_len + 1, t->term, t->term_len);
        b->term[p + b->prev_len + 1 + t->term_len] = '\0';
        b->status = index_doc_add_boolean_term(b->doc, b->term);
    }
    memcpy(b->prev, t->term, t->term_len);
    b->prev_len = t->term_len;
}

static int on_text_token(void *ctx, const analyzer_token *t)
{
    struct build *b = ctx;
    if (t->term_len == 0 || t->term_len > DOCUMENT_MAX_TERM)
        return 0;
    if (b->in_pairs)
        add_pair(b, t);
    b->status = index_doc_add_posting(b->doc, t->term, t->position, b->weight);
    if (b->in_text)
        dupkey_token(&b->key, t);
    if (!(t->flags & TOKEN_STOPWORD)) {
        add_term(b, DOCUMENT_PREFIX_STEM, t->stem, t->stem_len, b->weight);
        if (t->exact_len != t->term_len || memcmp(t->exact, t->term, t->term_len) != 0) {
            if (b->status == KQ_OK && make_term(b, DOCUMENT_PREFIX_EXACT, t->term, t->term_len,
                                                t->exact, t->exact_len) == 0)
                b->status = index_doc_add_term(b->doc, b->term, b->weight);
        }
        /* Headlines capitalise freely; running text tells names apart. */
        if ((t->flags & TOKEN_CAPITALISED) && !(t->flags & TOKEN_SENTENCE_START) && !b->in_title &&
            !(t->flags & TOKEN_NUMBER))
            add_boolean(b, DOCUMENT_PREFIX_CAPITALISED, t->term, t->term_len);
        if (b->in_title) {
            b->title_words += !(t->flags & TOKEN_COMPOUND);
            add_term(b, DOCUMENT_PREFIX_TITLE, t->term, t->term_len, 1);
            add_term(b, "Z" DOCUMENT_PREFIX_TITLE, t->stem, t->stem_len, 1);
        }
    }
    return b->status != KQ_OK;
}

/* Adds each word of a name under `prefix` as a filter term. */
struct name_words {
    struct build *b;
    const char *prefix;
};

static int on_name_token(void *ctx, const analyzer_token *t)
{
    struct name_words *w = ctx;
    add_boolean(w->b, w->prefix, t->term, t->term_len);
    return w->b->status != KQ_OK;
}

static void add_names(struct build *b, analyzer *a, char *const *names, size_t n,
                      const char *full_prefix, const char *word_prefix)
{
    for (size_t i = 0; i < n && b->status == KQ_OK; i++) {
        char *folded = analyzer_fold(names[i], strlen(names[i]));
        if (!folded) {
            b->status = KQ_ERR_NOMEM;
            return;
        }
        add_boolean(b, full_prefix, folded, strlen(folded));
        free(folded);
        if (word_prefix) {
            struct name_words w = {b, word_prefix};
            kq_status st = analyzer_run(a, names[i], strlen(names[i]), 1, ANALYZER_DOCUMENT,
                                        on_name_token, &w, NULL);
            if (st != KQ_OK && b->status == KQ_OK)
                b->status = st;
        }
    }
}

static unsigned analyse(struct build *b, analyzer *a, const char *text, unsigned pos)
{
    unsigned next = pos;
    if (!text || !*text || b->status != KQ_OK)
        return pos;
    kq_status st =
        analyzer_run(a, text, strlen(text), pos, ANALYZER_DOCUMENT, on_text_token, b, &next);
    if (st != KQ_OK && b->status == KQ_OK)
        b->status = st;
    return next + DOCUMENT_FIELD_GAP;
}

/* --- The document data ----------------------------------------------------
 * The record layout is described in document.h.  Tags, in the order they
 * must appear; the list tags may repeat, the others appear at most once. */
enum field_tag {
    TAG_END = 0,
    TAG_ID = 1,
    TAG_TITLE = 2,
    TAG_URL = 3,
    TAG_DESCRIPTION = 4,
    TAG_DATE = 5,
    TAG_DATE_MODIFIED = 6,
    TAG_AUTHOR = 7,
    TAG_SECTION = 8,
    TAG_KEYWORD = 9,
    TAG_LANGUAGE = 10,
    TAG_HASH = 11,
    TAG_BODY = 12,
    TAG_COUNT
};

static const unsigned char data_magic[DOCUMENT_DATA_MAGIC_LEN] = DOCUMENT_DATA_MAGIC;
static const unsigned char data_magic_v1[DOCUMENT_DATA_MAGIC_LEN] = DOCUMENT_DATA_MAGIC_V1;

/* zstd level of the frame: level 3 (zstd's default) compresses a 3 KB
 * article about as well as deflate at a fraction of the cost; higher levels
 * gain little on records this small.  Decoding speed does not depend on it. */
#define ZSTD_LEVEL 3

static int tag_repeats(unsigned tag)
{
    return tag == TAG_AUTHOR || tag == TAG_SECTION || tag == TAG_KEYWORD;
}

/* Bytes of the LEB128 encoding of v. */
static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Size of one field holding s (NULL: the field is left out). */
static size_t field_size(const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    return 1 + varint_size(n) + n;
}

static unsigned char *put_field(unsigned char *p, unsigned tag, const char *s)
{
    if (!s)
        return p;
    size_t n = strlen(s);
    uint64_t v = n;
    *p++ = (unsigned char)tag;
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    memcpy(p, s, n);
    return p + n;
}

/* Returns the field sequence of art (without magic) and its length in *len,
 * or NULL when out of memory.  The caller frees it. */
static unsigned char *encode_fields(const article *art, size_t *len)
{
    /* The identifier, headline and hash are always written, so that a
     * record without them is known to be damaged. */
    const char *id = art->id ? art->id : "", *title = art->title ? art->title : "";
    size_t size = field_size(id) + field_size(title) + field_size(art->url) +
                  field_size(art->description) + field_size(art->date) +
                  field_size(art->date_modified) + field_size(art->language) +
                  field_size(art->hash) + field_size(art->body) + 1;
    for (size_t i = 0; i < art->n_authors; i++)
        size += field_size(art->authors[i]);
    for (size_t i = 0; i < art->n_sections; i++)
        size += field_size(art->sections[i]);
    for (size_t i = 0; i < art->n_keywords; i++)
        size += field_size(art->keywords[i]);

    unsigned char *out = malloc(size), *p = out;
    if (!out)
        return NULL;
    p = put_field(p, TAG_ID, id);
    p = put_field(p, TAG_TITLE, title);
    p = put_field(p, TAG_URL, art->url);
    p = put_field(p, TAG_DESCRIPTION, art->description);
    p = put_field(p, TAG_DATE, art->date);
    p = put_field(p, TAG_DATE_MODIFIED, art->date_modified);
    for (size_t i = 0; i < art->n_authors; i++)
        p = put_field(p, TAG_AUTHOR, art->authors[i]);
    for (size_t i = 0; i < art->n_sections; i++)
        p = put_field(p, TAG_SECTION, art->sections[i]);
    for (size_t i = 0; i < art->n_keywords; i++)
        p = put_field(p, TAG_KEYWORD, art->keywords[i]);
    p = put_field(p, TAG_LANGUAGE, art->language);
    p = put_field(p, TAG_HASH, art->hash);
    p = put_field(p, TAG_BODY, art->body);
    *p++ = TAG_END;
    *len = (size_t)(p - out);
    return out;
}

char *document_encode(const article *art, size_t *len)
{
    size_t n = 0;
    char *out = NULL;
    unsigned char *fields = encode_fields(art, &n);
    if (!fields)
        return NULL;
    size_t bound = ZSTD_compressBound(n);
    out = malloc(sizeof data_magic + bound);
    if (!out)
        goto out;
    memcpy(out, data_magic, sizeof data_magic);
    /* ZSTD_compress writes the content size into the frame header, which
     * readers need to size their buffer; it fails only for lack of memory. */
    size_t z = ZSTD_compress(out + sizeof data_magic, bound, fields, n, ZSTD_LEVEL);
    if (ZSTD_isError(z)) {
        free(out);
        out = NULL;
        goto out;
    }
    *len = sizeof data_magic + z;
out:
    free(fields);
    return out;
}

kq_status document_build(analyzer *a, const article *art, index_doc *doc)
{
    struct build b = {.doc = doc, .status = KQ_OK};
    char buf[64];
    char *data = NULL;
    unsigned pos = 1;

    index_doc_clear(doc);
    if (make_term(&b, DOCUMENT_PREFIX_ID, art->id, strlen(art->id), NULL, 0) != 0)
        return KQ_ERR_INVALID;
    b.status = index_doc_add_boolean_term(doc, b.term);

    b.weight = DOCUMENT_WEIGHT_TITLE;
    b.in_title = 1;
    b.in_pairs = 1;
    pos = analyse(&b, a, art->title, pos);
    b.in_title = 0;
    b.in_text = 1;
    dupkey_start(&b.key, NULL);
    b.weight = DOCUMENT_WEIGHT_DESCRIPTION;
    b.prev_len = 0;
    pos = analyse(&b, a, art->description, pos);
    b.in_pairs = 0;
    b.weight = DOCUMENT_WEIGHT_BODY;
    dupkey_body(&b.key, art->body);
    analyse(&b, a, art->body, pos);
    b.in_text = 0;
    uint64_t key = dupkey_finish(&b.key, art->title);

    add_names(&b, a, art->authors, art->n_authors, DOCUMENT_PREFIX_AUTHOR_FULL,
              DOCUMENT_PREFIX_AUTHOR);
    add_names(&b, a, art->sections, art->n_sections, DOCUMENT_PREFIX_SECTION, NULL);
    add_names(&b, a, art->keywords, art->n_keywords, DOCUMENT_PREFIX_KEYWORD_FULL,
              DOCUMENT_PREFIX_KEYWORD);
    if (art->language && *art->language)
        add_names(&b, a, &art->language, 1, DOCUMENT_PREFIX_LANGUAGE, NULL);
    if (b.status != KQ_OK)
        return b.status;

    if (art->date && strlen(art->date) >= 10) {
        const char *d = art->date; /* YYYY-MM-DDT... */
        char ymd[9] = {d[0], d[1], d[2], d[3], d[5], d[6], d[8], d[9], 0};
        add_boolean(&b, DOCUMENT_PREFIX_YEAR, ymd, 4);
        add_boolean(&b, DOCUMENT_PREFIX_MONTH, ymd, 6);
        add_boolean(&b, DOCUMENT_PREFIX_DAY, ymd, 8);
        index_doc_set_value(doc, DOCUMENT_SLOT_YEAR, d, 4);
        index_doc_set_value(doc, DOCUMENT_SLOT_MONTH, d, 7);
        index_doc_set_value(doc, DOCUMENT_SLOT_DAY, d, 10);
        size_t n = index_serialise_number((double)art->published, buf);
        index_doc_set_value(doc, DOCUMENT_SLOT_PUBLISHED, buf, n);
    }
    index_doc_set_value(doc, DOCUMENT_SLOT_HASH, art->hash, strlen(art->hash));
    size_t title_words = index_serialise_number((double)b.title_words, buf);
    index_doc_set_value(doc, DOCUMENT_SLOT_TITLE_WORDS, buf, title_words);
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)key);
    index_doc_set_value(doc, DOCUMENT_SLOT_COLLAPSE, buf, 16);
    for (size_t i = 0; i < art->n_sections && i < DOCUMENT_FACET_SECTIONS; i++)
        index_doc_set_value(doc, DOCUMENT_SLOT_SECTION + (unsigned)i, art->sections[i],
                            strlen(art->sections[i]));
    for (size_t i = 0; i < art->n_authors && i < DOCUMENT_FACET_AUTHORS; i++)
        index_doc_set_value(doc, DOCUMENT_SLOT_AUTHOR + (unsigned)i, art->authors[i],
                            strlen(art->authors[i]));

    size_t data_len = 0;
    data = document_encode(art, &data_len);
    if (!data)
        return KQ_ERR_NOMEM;
    if (b.status == KQ_OK)
        b.status = index_doc_set_data(doc, data, data_len);
    free(data);
    return b.status;
}

int document_unique_term(const char *id, char *out, size_t out_size)
{
    int n = snprintf(out, out_size, "%s%s", DOCUMENT_PREFIX_ID, id);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

/* One field's bytes inside the data. */
struct span {
    const unsigned char *p;
    size_t n;
};

/* A decoded record: the single fields, and for each list tag its first
 * field (list fields are adjacent), its count and the bytes of its items. */
struct record {
    struct span field[TAG_COUNT]; /* p NULL: the field is absent */
    const unsigned char *list_at[TAG_COUNT];
    size_t list_count[TAG_COUNT];
    size_t list_bytes[TAG_COUNT];
    const unsigned char *end; /* one past the record's last byte */
};

/* Reads one field at *p (before end): its tag, then its length as a
 * canonical LEB128 varint, then that many bytes.  Returns NULL and advances
 * *p past the field, or the reason the bytes are not a field.  A tag alone
 * (TAG_END) has no length. */
static const char *read_field(const unsigned char **p, const unsigned char *end, unsigned *tag,
                              struct span *value)
{
    const unsigned char *q = *p;
    if (q >= end)
        return "the record ends without its end mark";
    *tag = *q++;
    if (*tag == TAG_END) {
        *p = q;
        return NULL;
    }
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (q >= end)
            return "the record ends inside a field length";
        unsigned b = *q++;
        if (shift == 63 && b > 1)
            return "a field length overflows";
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0)
                return "a field length is not in its shortest form";
            break;
        }
        if (shift == 63)
            return "a field length overflows";
    }
    if (v > (uint64_t)(end - q))
        return "a field runs past the end of the record";
    value->p = q;
    value->n = (size_t)v;
    *p = q + v;
    return NULL;
}

struct document_reader {
    ZSTD_DCtx *dctx;    /* made at the first version-2 record */
    unsigned char *buf; /* the field sequence of the last record read */
    size_t cap;
};

/* A buffer grown past this for one large record is given back after it, so
 * that a reader kept by a thread holds little memory between reads. */
#define READER_KEEP ((size_t)1 << 20)

document_reader *document_reader_new(void)
{
    return calloc(1, sizeof(document_reader));
}

/* Frees what r holds, leaving it empty (also for readers on the stack). */
static void reader_release(document_reader *r)
{
    ZSTD_freeDCtx(r->dctx);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

void document_reader_free(document_reader *r)
{
    if (!r)
        return;
    reader_release(r);
    free(r);
}

/* Gives back a buffer that grew past READER_KEEP (called once the record
 * read is no longer needed). */
static void reader_trim(document_reader *r)
{
    if (r->cap > READER_KEEP) {
        free(r->buf);
        r->buf = NULL;
        r->cap = 0;
    }
}

static const char out_of_memory[] = "out of memory";

/* Decompresses the zstd frame of a version-2 record (z, n bytes) into r's
 * buffer: its field sequence at *fields, *fields_len bytes.  Returns NULL,
 * out_of_memory, or the reason the bytes are not one whole frame. */
static const char *unframe(document_reader *r, const unsigned char *z, size_t n,
                           const unsigned char **fields, size_t *fields_len)
{
    /* Only zstd's stable API: a plain frame (not a skippable one) without
     * a dictionary, as ZSTD_compress writes. */
    if (n < 4 || (z[0] | (unsigned)z[1] << 8 | (unsigned)z[2] << 16 | (uint32_t)z[3] << 24) !=
                     ZSTD_MAGICNUMBER)
        return "the record does not hold a zstd frame";
    unsigned long long size = ZSTD_getFrameContentSize(z, n);
    if (size == ZSTD_CONTENTSIZE_ERROR)
        return "the record's zstd frame header is damaged or truncated";
    if (size == ZSTD_CONTENTSIZE_UNKNOWN)
        return "the record's zstd frame does not give its content size";
    if (size > DOCUMENT_MAX_CONTENT)
        return "the record's zstd frame declares an implausible content size";
    if (ZSTD_getDictID_fromFrame(z, n) != 0)
        return "the record's zstd frame needs a dictionary";
    /* ZSTD_decompressDCtx would also decode frames concatenated after the
     * first: the record is one frame, nothing more. */
    size_t framed = ZSTD_findFrameCompressedSize(z, n);
    if (ZSTD_isError(framed) || framed != n)
        return "the record's zstd frame is truncated or followed by other bytes";
    size_t want = (size_t)size;
    if (want > r->cap || !r->buf) {
        size_t cap = want > 4096 ? want : 4096;
        unsigned char *buf = malloc(cap);
        if (!buf)
            return out_of_memory;
        free(r->buf);
        r->buf = buf;
        r->cap = cap;
    }
    if (!r->dctx && !(r->dctx = ZSTD_createDCtx()))
        return out_of_memory;
    /* The buffer holds exactly the declared size: a frame that decodes to
     * more fails with dstSize_tooSmall, one that decodes to less is
     * caught below (zstd also checks it). */
    size_t got = ZSTD_decompressDCtx(r->dctx, r->buf, want, z, n);
    if (ZSTD_isError(got)) {
        if (ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation)
            return out_of_memory;
        return "the record's zstd frame does not decode";
    }
    if (got != want)
        return "the record's zstd frame decodes to another size than it declares";
    *fields = r->buf;
    *fields_len = got;
    return NULL;
}

/* Decodes data into *r with reader rd.  Returns NULL, out_of_memory, or
 * the reason it is not a record written by document_encode.  The spans of
 * *r point into data or into rd's buffer: they are valid until rd reads
 * again. */
static const char *decode(document_reader *rd, const char *data, size_t len, struct record *r)
{
    unsigned last = TAG_END;
    memset(r, 0, sizeof *r);
    if (!data || len < sizeof data_magic)
        return "the document data is not in Kiosque's format (written by an older version? "
               "index the archive again into a new database: README, Upgrading)";
    const unsigned char *p = (const unsigned char *)data + sizeof data_magic;
    const unsigned char *end = (const unsigned char *)data + len;
    if (memcmp(data, data_magic, sizeof data_magic) == 0) {
        size_t n = 0;
        const char *why = unframe(rd, p, len - sizeof data_magic, &p, &n);
        if (why)
            return why;
        end = p + n;
    } else if (memcmp(data, data_magic_v1, sizeof data_magic_v1) != 0) {
        return "the document data is not in Kiosque's format (written by an older version? "
               "index the archive again into a new database: README, Upgrading)";
    }
    r->end = end;
    for (;;) {
        unsigned tag;
        struct span v;
        const unsigned char *at = p;
        const char *why = read_field(&p, end, &tag, &v);
        if (why)
            return why;
        if (tag == TAG_END)
            break;
        if (tag >= TAG_COUNT)
            return "the record holds an unknown field";
        if (tag < last || (tag == last && !tag_repeats(tag)))
            return "the record's fields are out of order or repeated";
        last = tag;
        if (tag_repeats(tag)) {
            if (!r->list_count[tag])
                r->list_at[tag] = at;
            r->list_count[tag]++;
            r->list_bytes[tag] += v.n;
        } else {
            r->field[tag] = v;
        }
    }
    if (p != end)
        return "bytes follow the record's end mark";
    if (!r->field[TAG_ID].p || !r->field[TAG_TITLE].p || !r->field[TAG_HASH].p)
        return "the record lacks its identifier, headline or hash";
    return NULL;
}

/* Returns a NUL-terminated copy of s ("" for an absent field); the caller
 * frees it. */
static char *span_dup(struct span s)
{
    char *out = malloc(s.n + 1);
    if (out) {
        if (s.n)
            memcpy(out, s.p, s.n);
        out[s.n] = '\0';
    }
    return out;
}

/* Returns the non-empty items of list `tag` joined with sep; the caller
 * frees it. */
static char *join_list(const struct record *r, unsigned tag, const char *sep)
{
    size_t sep_len = strlen(sep), at = 0;
    size_t n = r->list_count[tag];
    char *out = malloc(r->list_bytes[tag] + (n ? (n - 1) * sep_len : 0) + 1);
    if (!out)
        return NULL;
    const unsigned char *p = r->list_at[tag];
    for (size_t i = 0; i < n; i++) {
        unsigned t;
        struct span v = {0};
        /* The record was decoded: these fields are known to be whole. */
        read_field(&p, r->end, &t, &v);
        if (!v.n)
            continue;
        if (at) {
            memcpy(out + at, sep, sep_len);
            at += sep_len;
        }
        memcpy(out + at, v.p, v.n);
        at += v.n;
    }
    out[at] = '\0';
    return out;
}

kq_status document_reader_view(document_reader *rd, const char *data, size_t len,
                               document_view *out)
{
    struct record r;
    kq_status st = KQ_OK;
    memset(out, 0, sizeof *out);
    const char *why = decode(rd, data, len, &r);
    if (why) {
        st = why == out_of_memory ? KQ_ERR_NOMEM : KQ_ERR_CORRUPT;
        goto out;
    }
    out->id = span_dup(r.field[TAG_ID]);
    out->url = span_dup(r.field[TAG_URL]);
    out->title = span_dup(r.field[TAG_TITLE]);
    out->description = span_dup(r.field[TAG_DESCRIPTION]);
    out->date = span_dup(r.field[TAG_DATE]);
    out->language = span_dup(r.field[TAG_LANGUAGE]);
    out->hash = span_dup(r.field[TAG_HASH]);
    out->author = join_list(&r, TAG_AUTHOR, ", ");
    out->section = join_list(&r, TAG_SECTION, " / ");
    out->body = span_dup(r.field[TAG_BODY]);
    if (!out->id || !out->url || !out->title || !out->description || !out->date || !out->language ||
        !out->body || !out->hash || !out->author || !out->section)
        st = KQ_ERR_NOMEM;
out:
    reader_trim(rd);
    return st;
}

kq_status document_view_parse(const char *data, size_t len, document_view *out)
{
    document_reader rd = {0};
    kq_status st = document_reader_view(&rd, data, len, out);
    reader_release(&rd);
    return st;
}

/* Copies an optional text field into *out (NULL when absent); returns NULL
 * or the reason it is not text an article may hold. */
static const char *read_text(struct span s, char **out)
{
    *out = NULL;
    if (!s.p)
        return NULL;
    if (memchr(s.p, '\0', s.n) || !utf8_is_valid(s.p, s.n))
        return "a field is not UTF-8 text";
    *out = span_dup(s);
    return *out ? NULL : out_of_memory;
}

/* Copies list `tag` into *items / *n; returns NULL or the reason. */
static const char *read_list(const struct record *r, unsigned tag, char ***items, size_t *n)
{
    const unsigned char *p = r->list_at[tag];
    *n = 0;
    *items = NULL;
    if (!r->list_count[tag])
        return NULL;
    *items = calloc(r->list_count[tag], sizeof **items);
    if (!*items)
        return out_of_memory;
    for (size_t i = 0; i < r->list_count[tag]; i++) {
        unsigned t;
        struct span v;
        read_field(&p, r->end, &t, &v);
        if (v.n == 0)
            return "a list holds an empty item";
        const char *why = read_text(v, &(*items)[i]);
        if (why)
            return why;
        (*n)++;
    }
    return NULL;
}

static int is_hash(struct span s)
{
    if (s.n != 16)
        return 0;
    for (size_t i = 0; i < 16; i++)
        if (!((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'a' && s.p[i] <= 'f')))
            return 0;
    return 1;
}

kq_status document_reader_article(document_reader *rd, const char *data, size_t len, article *out,
                                  char *err, size_t err_size)
{
    struct record r;
    memset(out, 0, sizeof *out);
    /* The article is copied as it was indexed, not normalised again: reading
     * it back gives exactly the record document_build was given, with the
     * content hash computed then. */
    const char *why = decode(rd, data, len, &r);
    if (!why)
        why = read_text(r.field[TAG_ID], &out->id);
    if (!why)
        why = read_text(r.field[TAG_TITLE], &out->title);
    if (!why)
        why = read_text(r.field[TAG_URL], &out->url);
    if (!why)
        why = read_text(r.field[TAG_DESCRIPTION], &out->description);
    if (!why)
        why = read_text(r.field[TAG_DATE], &out->date);
    if (!why)
        why = read_text(r.field[TAG_DATE_MODIFIED], &out->date_modified);
    if (!why)
        why = read_list(&r, TAG_AUTHOR, &out->authors, &out->n_authors);
    if (!why)
        why = read_list(&r, TAG_SECTION, &out->sections, &out->n_sections);
    if (!why)
        why = read_list(&r, TAG_KEYWORD, &out->keywords, &out->n_keywords);
    if (!why)
        why = read_text(r.field[TAG_LANGUAGE], &out->language);
    if (!why)
        why = read_text(r.field[TAG_BODY], &out->body);
    if (!why) {
        if (!*out->id || strlen(out->id) > 256 || !*out->title)
            why = "the record's identifier or headline is empty or too long";
        else if (!is_hash(r.field[TAG_HASH]))
            why = "the record's content hash is not 16 hexadecimal digits";
        else if (out->date && article_parse_date(out->date, &out->published) != KQ_OK)
            why = "the record's publication date does not parse";
        else
            memcpy(out->hash, r.field[TAG_HASH].p, 16);
    }
    reader_trim(rd);
    if (!why)
        return KQ_OK;
    int nomem = why == out_of_memory;
    article_clear(out);
    snprintf(err, err_size, "%s", why);
    return nomem ? KQ_ERR_NOMEM : KQ_ERR_CORRUPT;
}

kq_status document_read_article(const char *data, size_t len, article *out, char *err,
                                size_t err_size)
{
    document_reader rd = {0};
    kq_status st = document_reader_article(&rd, data, len, out, err, err_size);
    reader_release(&rd);
    return st;
}

void document_view_clear(document_view *v)
{
    if (!v)
        return;
    free(v->id);
    free(v->url);
    free(v->title);
    free(v->description);
    free(v->date);
    free(v->language);
    free(v->body);
    free(v->hash);
    free(v->author);
    free(v->section);
    memset(v, 0, sizeof *v);
}
