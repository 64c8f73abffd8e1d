/* test_document: the document data record: round trips and damaged records. */
#include "document.h"
#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static char tmp[256];

/* One reader for the whole test, reused across every record read (valid,
 * damaged, of any size), as a searchd worker reuses its own. */
static document_reader *shared_reader;

/* Returns a copy of n bytes in a buffer of exactly n bytes (one for n = 0),
 * so that the sanitizer build catches any read past the data.  The caller
 * frees it. */
static char *exact_copy(const void *p, size_t n)
{
    char *out = malloc(n ? n : 1);
    if (out && n)
        memcpy(out, p, n);
    return out;
}

/* Joins a list with sep, skipping empty items, into buf. */
static const char *join(char **v, size_t n, const char *sep, char *buf, size_t size)
{
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i][0])
            continue;
        if (buf[0])
            strncat(buf, sep, size - strlen(buf) - 1);
        strncat(buf, v[i], size - strlen(buf) - 1);
    }
    return buf;
}

static bool same_list(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

/* True when two articles hold the same fields, NULL-ness included. */
static bool same_article(const article *a, const article *b)
{
    return harness_same(a->id, b->id) && harness_same(a->title, b->title) &&
           harness_same(a->description, b->description) && harness_same(a->body, b->body) &&
           harness_same(a->url, b->url) && harness_same(a->language, b->language) &&
           harness_same(a->date, b->date) && harness_same(a->date_modified, b->date_modified) &&
           a->published == b->published && strcmp(a->hash, b->hash) == 0 &&
           same_list(a->authors, a->n_authors, b->authors, b->n_authors) &&
           same_list(a->sections, a->n_sections, b->sections, b->n_sections) &&
           same_list(a->keywords, a->n_keywords, b->keywords, b->n_keywords);
}

#define CHECK_VIEW(ctx, name, got, want)                                                           \
    CHECK_MSG(harness_same((got), (want)), "%s: %s: got \"%.80s\", want \"%.80s\"", (ctx), (name), \
              (got) ? (got) : "(null)", (want) ? (want) : "(null)")

/* Returns the field sequence in the zstd frame of version-2 record data
 * (len bytes) and its length in *n, or NULL when data is not that; the
 * caller frees it.  Independent of document.c's reader. */
static char *frame_content(const char *data, size_t len, size_t *n)
{
    if (len < DOCUMENT_DATA_MAGIC_LEN || memcmp(data, DOCUMENT_DATA_MAGIC, DOCUMENT_DATA_MAGIC_LEN))
        return NULL;
    unsigned long long size = ZSTD_getFrameContentSize(data + 4, len - 4);
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR)
        return NULL;
    char *out = malloc(size ? size : 1);
    size_t got = out ? ZSTD_decompress(out, size, data + 4, len - 4) : 0;
    if (!out || ZSTD_isError(got) || got != size) {
        free(out);
        return NULL;
    }
    *n = got;
    return out;
}

/* Writes field sequence f (n bytes) as a version-2 record into out (cap
 * bytes): magic and a level-3 zstd frame.  Returns its length, 0 if it does
 * not fit. */
static size_t wrap_v2(const void *f, size_t n, unsigned char *out, size_t cap)
{
    if (cap < 4)
        return 0;
    memcpy(out, DOCUMENT_DATA_MAGIC, 4);
    size_t z = ZSTD_compress(out + 4, cap - 4, f, n, 3);
    return ZSTD_isError(z) ? 0 : 4 + z;
}

/* Every property of the data of one article: the view shows each field
 * ("" when absent, lists joined), the article read back is the same record,
 * and encoding it again gives the same bytes.  The data is a version-2
 * record whose frame decodes to the field sequence, and that sequence
 * after the version-1 magic (a record of an index written before) reads
 * back to the same article. */
static void check_round_trip(const char *ctx, const article *art)
{
    size_t len = 0;
    char *enc = document_encode(art, &len);
    CHECK_MSG(enc != NULL, "%s: encode", ctx);
    if (!enc)
        return;
    char *data = exact_copy(enc, len);
    free(enc);

    size_t fields_len = 0;
    char *fields = frame_content(data, len, &fields_len);
    CHECK_MSG(fields && fields_len > 0 && fields[fields_len - 1] == 0,
              "%s: not a version-2 record with a frame of known content size", ctx);
    if (fields) {
        char *v1 = malloc(fields_len + 4);
        memcpy(v1, DOCUMENT_DATA_MAGIC_V1, 4);
        memcpy(v1 + 4, fields, fields_len);
        article old;
        char err[256] = "";
        kq_status st =
            document_reader_article(shared_reader, v1, fields_len + 4, &old, err, sizeof err);
        CHECK_MSG(st == KQ_OK && same_article(art, &old), "%s: version 1: %s %s", ctx,
                  status_to_string(st), err);
        article_clear(&old);
        free(v1);
        free(fields);
    }

    document_view v;
    static char buf[16384];
    for (int pass = 0; pass < 2; pass++) {
        kq_status st = pass ? document_reader_view(shared_reader, data, len, &v)
                            : document_view_parse(data, len, &v);
        CHECK_MSG(st == KQ_OK, "%s: view: %s", ctx, status_to_string(st));
        if (st == KQ_OK) {
            CHECK_VIEW(ctx, "id", v.id, art->id);
            CHECK_VIEW(ctx, "title", v.title, art->title);
            CHECK_VIEW(ctx, "url", v.url, art->url ? art->url : "");
            CHECK_VIEW(ctx, "description", v.description, art->description ? art->description : "");
            CHECK_VIEW(ctx, "date", v.date, art->date ? art->date : "");
            CHECK_VIEW(ctx, "language", v.language, art->language ? art->language : "");
            CHECK_VIEW(ctx, "hash", v.hash, art->hash);
            CHECK_VIEW(ctx, "body", v.body, art->body ? art->body : "");
            CHECK_VIEW(ctx, "author", v.author,
                       join(art->authors, art->n_authors, ", ", buf, sizeof buf));
            CHECK_VIEW(ctx, "section", v.section,
                       join(art->sections, art->n_sections, " / ", buf, sizeof buf));
        }
        document_view_clear(&v);
        CHECK(v.id == NULL && v.body == NULL);
    }

    for (int pass = 0; pass < 2; pass++) {
        article back;
        char err[256] = "";
        kq_status st =
            pass ? document_reader_article(shared_reader, data, len, &back, err, sizeof err)
                 : document_read_article(data, len, &back, err, sizeof err);
        CHECK_MSG(st == KQ_OK, "%s: read back: %s: %s", ctx, status_to_string(st), err);
        if (st == KQ_OK) {
            CHECK_MSG(same_article(art, &back), "%s: the article read back differs", ctx);
            size_t len2 = 0;
            char *again = document_encode(&back, &len2);
            CHECK_MSG(again && len2 == len && memcmp(again, data, len) == 0,
                      "%s: encoding the article read back gives other bytes", ctx);
            free(again);
        }
        article_clear(&back);
    }
    free(data);
}

/* Articles as the reader makes them (normalised, with their hash and date). */
static const char *const json_articles[] = {
    /* everything */
    "{\"identifier\":\"a1\",\"headline\":\"Élection à Marseille : le maire réélu\","
    "\"description\":\"Le chapô, avec des « guillemets » et un tiret — long.\","
    "\"articleBody\":\"Premier paragraphe.\\n\\nSecond paragraphe, cœur & âme.\","
    "\"url\":\"https://example.org/a1?x=1&y=2\",\"inLanguage\":\"fr\","
    "\"author\":[\"Zoé Müller\",{\"name\":\"Jean Dupont\"}],"
    "\"articleSection\":[\"politique\",\"régions\"],\"keywords\":[\"élection\",\"maire\"],"
    "\"datePublished\":\"2024-03-05T10:00:00+01:00\",\"dateModified\":\"2024-03-06\"}",
    /* only what is required */
    "{\"identifier\":\"a2\",\"headline\":\"T\"}",
    /* empty body and description kept as read */
    "{\"identifier\":\"a3\",\"headline\":\"Titre\",\"articleBody\":\"\",\"description\":\"\"}",
    /* characters outside the BMP, quotes, backslashes, control characters */
    "{\"identifier\":\"a4\",\"headline\":\"Emoji 😀 \\\"cité\\\" \\\\ fin\","
    "\"articleBody\":\"tab\\tnl\\ncr\\r 𝄞 中文 العربية\",\"author\":\"Œdipe Roi\"}",
    /* a number identifier and a one-string keyword list */
    "{\"identifier\":12345,\"headline\":\"Nombre\",\"keywords\":\"a, b, c\","
    "\"articleSection\":\"sport\"}",
};

static void test_json_articles(void)
{
    for (size_t i = 0; i < sizeof json_articles / sizeof *json_articles; i++) {
        article a;
        char err[256], ctx[32];
        snprintf(ctx, sizeof ctx, "json article %zu", i);
        kq_status st =
            article_from_json(json_articles[i], strlen(json_articles[i]), &a, err, sizeof err);
        CHECK_MSG(st == KQ_OK, "%s: %s", ctx, err);
        if (st == KQ_OK)
            check_round_trip(ctx, &a);
        article_clear(&a);
    }
}

/* Returns a malloc'd string of n bytes cycling through text; the caller
 * frees it. */
static char *repeat(const char *text, size_t n)
{
    size_t tl = strlen(text);
    char *s = malloc(n + 1);
    for (size_t i = 0; s && i < n; i++)
        s[i] = text[i % tl];
    if (s)
        s[n] = 0;
    return s;
}

static void test_built_articles(void)
{
    /* Optional strings absent and empty are told apart. */
    article a = {0};
    a.id = "x";
    a.title = "t";
    strcpy(a.hash, "0123456789abcdef");
    check_round_trip("bare", &a);
    a.body = "";
    a.description = "";
    a.url = "";
    a.language = "";
    check_round_trip("empty strings", &a);

    /* Many list items, and lengths around the varint boundaries (127, 128,
     * 16383, 16384 bytes) and a body of ARTICLE_MAX_BODY bytes. */
    char *authors[300], *sections[40], *keywords[200];
    char names[540][32];
    for (size_t i = 0; i < 540; i++) {
        if (i < 300) {
            snprintf(names[i], sizeof names[i], "Auteur n°%zu", i);
            authors[i] = names[i];
        } else if (i < 340) {
            snprintf(names[i], sizeof names[i], "rubrique-%zu", i - 300);
            sections[i - 300] = names[i];
        } else {
            snprintf(names[i], sizeof names[i], "mot clé %zu", i - 340);
            keywords[i - 340] = names[i];
        }
    }
    a.authors = authors;
    a.n_authors = 300;
    a.sections = sections;
    a.n_sections = 40;
    a.keywords = keywords;
    a.n_keywords = 200;
    a.date = "2024-03-05T09:00:00Z";
    article_parse_date(a.date, &a.published);
    a.date_modified = "2024-03-06T00:00:00Z";
    static const size_t sizes[] = {127, 128, 16383, 16384, ARTICLE_MAX_BODY};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char ctx[48];
        char *title = repeat("Un titre très long ", sizes[i] < 20000 ? sizes[i] : 200);
        char *body = repeat("Le corps, en français, où l'on lit « ça ». ", sizes[i]);
        a.title = title;
        a.body = body;
        a.description = body;
        snprintf(ctx, sizeof ctx, "lists, %zu-byte body", sizes[i]);
        if (title && body)
            check_round_trip(ctx, &a);
        free(title);
        free(body);
    }
}

/* document_build stores the record document_encode writes. */
static void test_build_stores_data(void)
{
    static const char *json = "{\"identifier\":\"b1\",\"headline\":\"Le titre\","
                              "\"articleBody\":\"Le corps de l'article.\",\"author\":\"Ana\"}";
    char path[300], err[256];
    article a;
    kq_status st;
    CHECK(article_from_json(json, strlen(json), &a, err, sizeof err) == KQ_OK);
    snprintf(path, sizeof path, "%s/db", tmp);
    analyzer *an = analyzer_new();
    index_doc *doc = index_doc_new();
    index_db *db = index_open(path, INDEX_WRITE, &st, err, sizeof err);
    CHECK_MSG(db != NULL, "%s", err);
    if (an && doc && db) {
        unsigned docid = 0;
        CHECK(index_begin(db) == KQ_OK);
        CHECK(document_build(an, &a, doc) == KQ_OK);
        CHECK(index_add(db, doc, &docid) == KQ_OK);
        CHECK(index_commit(db) == KQ_OK);
        char *data = NULL;
        size_t len = 0, want_len = 0;
        CHECK(index_get_document(db, docid, &data, &len) == KQ_OK);
        char *want = document_encode(&a, &want_len);
        CHECK(data && want && len == want_len && memcmp(data, want, len) == 0);
        CHECK(len > 4 && memcmp(data, DOCUMENT_DATA_MAGIC, DOCUMENT_DATA_MAGIC_LEN) == 0);
        free(want);
        free(data);
    }
    index_close(db);
    index_doc_free(doc);
    analyzer_free(an);
    article_clear(&a);
}

/* --- Damaged records ---------------------------------------------------- */

/* A record written by hand, independently of document.c: a version-1
 * record, whose field sequence the tests also wrap in a version-2 frame. */
struct rec {
    unsigned char b[512];
    size_t n;
};

static void rec_bytes(struct rec *r, const void *p, size_t n)
{
    memcpy(r->b + r->n, p, n);
    r->n += n;
}

static void rec_field(struct rec *r, unsigned tag, const char *s)
{
    size_t n = strlen(s);
    r->b[r->n++] = (unsigned char)tag;
    for (size_t v = n;; v >>= 7) {
        r->b[r->n++] = (unsigned char)((v & 0x7F) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80)
            break;
    }
    rec_bytes(r, s, n);
}

/* A valid record up to (not including) the hash: magic, id, title, author. */
static void rec_start(struct rec *r)
{
    r->n = 0;
    rec_bytes(r, DOCUMENT_DATA_MAGIC_V1, DOCUMENT_DATA_MAGIC_LEN);
    rec_field(r, 1, "id1");
    rec_field(r, 2, "Titre");
    rec_field(r, 7, "Ana");
}

static void rec_end(struct rec *r)
{
    rec_field(r, 11, "0123456789abcdef");
    rec_field(r, 12, "corps");
    r->b[r->n++] = 0;
}

/* Checks that both readers, with a reader of their own and with the shared
 * one, reject the n bytes at p (copied to an exact-size buffer) as
 * KQ_ERR_CORRUPT, and that the view is left empty.  A version-1 record is
 * checked again with its fields in a version-2 frame. */
static void check_corrupt_one(const char *ctx, const void *p, size_t n)
{
    char *data = exact_copy(p, n);
    for (int pass = 0; pass < 2; pass++) {
        document_view v;
        kq_status st = pass ? document_reader_view(shared_reader, data, n, &v)
                            : document_view_parse(data, n, &v);
        CHECK_MSG(st == KQ_ERR_CORRUPT && !v.id && !v.body, "%s: view gives %s", ctx,
                  status_to_string(st));
        document_view_clear(&v);
        article a;
        char err[256] = "";
        st = pass ? document_reader_article(shared_reader, data, n, &a, err, sizeof err)
                  : document_read_article(data, n, &a, err, sizeof err);
        CHECK_MSG(st == KQ_ERR_CORRUPT && err[0] && !a.id && !a.title,
                  "%s: read_article gives %s (%s)", ctx, status_to_string(st), err);
        article_clear(&a);
    }
    free(data);
}

static void check_corrupt(const char *ctx, const void *p, size_t n)
{
    check_corrupt_one(ctx, p, n);
    if (n >= 4 && memcmp(p, DOCUMENT_DATA_MAGIC_V1, 4) == 0) {
        unsigned char v2[1024];
        char ctx2[120];
        size_t n2 = wrap_v2((const char *)p + 4, n - 4, v2, sizeof v2);
        CHECK(n2 > 0);
        snprintf(ctx2, sizeof ctx2, "%s (version 2)", ctx);
        check_corrupt_one(ctx2, v2, n2);
    }
}

/* Reads the version-2 record data (n bytes) with the shared reader and
 * returns the status of document_reader_article, err set. */
static kq_status read_shared(const void *p, size_t n, char *err, size_t err_size)
{
    char *data = exact_copy(p, n);
    article a;
    err[0] = 0;
    kq_status st = document_reader_article(shared_reader, data, n, &a, err, err_size);
    article_clear(&a);
    free(data);
    return st;
}

static void test_corrupt(void)
{
    struct rec r;
    rec_start(&r);
    rec_end(&r);
    const struct rec valid = r;

    /* The hand-written record is valid: the tests below break one thing. */
    document_view v;
    CHECK(document_view_parse((const char *)valid.b, valid.n, &v) == KQ_OK);
    CHECK_STR(v.id, "id1");
    CHECK_STR(v.author, "Ana");
    CHECK_STR(v.body, "corps");
    CHECK_STR(v.url, "");
    document_view_clear(&v);

    check_corrupt("empty", "", 0);
    CHECK(document_view_parse(NULL, 0, &v) == KQ_ERR_CORRUPT);
    document_view_clear(&v);
    static const char old[] = "{\"identifier\":\"a\",\"headline\":\"t\",\"kiosqueHash\":"
                              "\"0123456789abcdef\"}\nLe corps";
    check_corrupt("previous JSON format", old, sizeof old - 1);
    check_corrupt("magic only", DOCUMENT_DATA_MAGIC, DOCUMENT_DATA_MAGIC_LEN);

    struct {
        const char *name;
        size_t at;          /* offset of the change */
        unsigned char byte; /* new value there */
    } flips[] = {
        {"wrong magic", 0, '{'},
        {"unknown version", 3, 3},
        {"version 2 without a frame", 3, 2},
        {"unknown tag", 4, 13},
        {"tag 0xFF", 4, 0xFF},
        {"end mark too early", 4, 0},
        {"length past the end", 5, 0x7F},
        {"length with a continuation into the data", 5, 0x83},
    };
    for (size_t i = 0; i < sizeof flips / sizeof *flips; i++) {
        r = valid;
        r.b[flips[i].at] = flips[i].byte;
        check_corrupt(flips[i].name, r.b, r.n);
    }

    /* Every proper prefix of a valid record, and one byte more. */
    for (size_t n = 0; n < valid.n; n++) {
        char ctx[80];
        snprintf(ctx, sizeof ctx, "truncated at byte %zu of %zu", n, valid.n);
        check_corrupt(ctx, valid.b, n);
    }
    r = valid;
    r.b[r.n++] = 0;
    check_corrupt("a byte after the end mark", r.b, r.n);

    /* Lengths: 10 continuation bytes (over 64 bits), a 10th byte above 1,
     * a length not in its shortest form, the largest 64-bit length. */
    static const unsigned char overflow[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                             0x80, 0x80, 0x80, 0x80, 0x01};
    static const unsigned char big10[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                          0xFF, 0xFF, 0xFF, 0xFF, 0x02};
    static const unsigned char max64[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                          0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    static const unsigned char padded[] = {0x83, 0x00};
    struct {
        const char *name;
        const unsigned char *len;
        size_t n;
    } lengths[] = {
        {"varint over 64 bits", overflow, sizeof overflow},
        {"varint 10th byte above 1", big10, sizeof big10},
        {"varint of 2^64 - 1", max64, sizeof max64},
        {"varint not in its shortest form", padded, sizeof padded},
    };
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        r.n = 0;
        rec_bytes(&r, DOCUMENT_DATA_MAGIC_V1, DOCUMENT_DATA_MAGIC_LEN);
        r.b[r.n++] = 1;
        rec_bytes(&r, lengths[i].len, lengths[i].n);
        rec_bytes(&r, "abc", 3);
        rec_field(&r, 2, "t");
        rec_field(&r, 11, "0123456789abcdef");
        r.b[r.n++] = 0;
        check_corrupt(lengths[i].name, r.b, r.n);
    }

    /* Structure: order, repeats, required fields. */
    struct {
        const char *name;
        const char *fields; /* tags in order, each with a short value */
    } shapes[] = {
        {"no identifier", "\x02\x0b"},
        {"no headline", "\x01\x0b"},
        {"no hash", "\x01\x02\x0c"},
        {"headline before identifier", "\x02\x01\x0b"},
        {"two identifiers", "\x01\x01\x02\x0b"},
        {"two bodies", "\x01\x02\x0b\x0c\x0c"},
        {"author after keyword", "\x01\x02\x09\x07\x0b"},
        {"body before hash", "\x01\x02\x0c\x0b"},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        r.n = 0;
        rec_bytes(&r, DOCUMENT_DATA_MAGIC_V1, DOCUMENT_DATA_MAGIC_LEN);
        for (const char *t = shapes[i].fields; *t; t++)
            rec_field(&r, (unsigned char)*t, *t == 11 ? "0123456789abcdef" : "v");
        r.b[r.n++] = 0;
        check_corrupt(shapes[i].name, r.b, r.n);
    }

    /* Well-formed records that hold no valid article: the view shows them
     * (it only needs bounds), document_read_article rejects them. */
    struct {
        const char *name;
        unsigned tag;
        const char *value;
    } bad_articles[] = {
        {"empty identifier", 1, ""},
        {"invalid UTF-8 headline", 2, "caf\xE9"},
        {"NUL inside a field", 4, "a\0b"}, /* rec_field stops at NUL: patched below */
        {"empty author", 7, ""},
        {"short hash", 11, "0123"},
        {"upper-case hash", 11, "0123456789ABCDEF"},
        {"date that does not parse", 5, "hier"},
    };
    for (size_t i = 0; i < sizeof bad_articles / sizeof *bad_articles; i++) {
        r.n = 0;
        rec_bytes(&r, DOCUMENT_DATA_MAGIC_V1, DOCUMENT_DATA_MAGIC_LEN);
        unsigned t = bad_articles[i].tag;
        rec_field(&r, 1, t == 1 ? bad_articles[i].value : "id");
        rec_field(&r, 2, t == 2 ? bad_articles[i].value : "t");
        if (t == 4) {
            rec_field(&r, 4, "axb");
            r.b[r.n - 2] = 0;
        }
        if (t == 5)
            rec_field(&r, 5, bad_articles[i].value);
        if (t == 7)
            rec_field(&r, 7, "");
        rec_field(&r, 11, t == 11 ? bad_articles[i].value : "0123456789abcdef");
        r.b[r.n++] = 0;
        unsigned char v2[1024];
        size_t n2 = wrap_v2(r.b + 4, r.n - 4, v2, sizeof v2);
        CHECK(n2 > 0);
        for (int version = 1; version <= 2; version++) {
            size_t n = version == 1 ? r.n : n2;
            char *data = exact_copy(version == 1 ? r.b : v2, n);
            CHECK_MSG(document_view_parse(data, n, &v) == KQ_OK, "%s: view, version %d",
                      bad_articles[i].name, version);
            document_view_clear(&v);
            article a;
            char err[256] = "";
            kq_status st = document_read_article(data, n, &a, err, sizeof err);
            CHECK_MSG(st == KQ_ERR_CORRUPT && err[0] && !a.id, "%s: read_article gives %s",
                      bad_articles[i].name, status_to_string(st));
            article_clear(&a);
            free(data);
        }
    }

    /* A NUL in the body does not stop the view's parser: what follows the
     * body is still checked (the end mark), and the copy is whole. */
    r.n = 0;
    rec_start(&r);
    rec_field(&r, 11, "0123456789abcdef");
    rec_field(&r, 12, "avant.apres");
    r.b[r.n - 6] = 0;
    r.b[r.n++] = 0;
    CHECK(document_view_parse((const char *)r.b, r.n, &v) == KQ_OK);
    CHECK(v.body && memcmp(v.body, "avant\0apres", 12) == 0);
    document_view_clear(&v);

    /* Any single byte changed anywhere: no crash, a known status. */
    for (size_t at = 0; at < valid.n; at++) {
        static const unsigned char values[] = {0x00, 0x01, 0x07, 0x0C, 0x7F, 0x80, 0xFF};
        for (size_t k = 0; k < sizeof values; k++) {
            r = valid;
            r.b[at] = values[k];
            char *data = exact_copy(r.b, r.n);
            kq_status st = document_view_parse(data, r.n, &v);
            CHECK(st == KQ_OK || st == KQ_ERR_CORRUPT);
            document_view_clear(&v);
            article a;
            char err[256];
            st = document_read_article(data, r.n, &a, err, sizeof err);
            CHECK(st == KQ_OK || st == KQ_ERR_CORRUPT);
            article_clear(&a);
            free(data);
        }
    }
}

/* --- Damaged version-2 records ------------------------------------------ */

/* Offset and size of the Frame_Content_Size field of the zstd frame at z
 * (RFC 8878, 3.1.1.1), 0 when it has none. */
static size_t fcs_field(const unsigned char *z, size_t *size)
{
    unsigned fhd = z[4];
    static const size_t dict_size[4] = {0, 1, 2, 4}, fcs_size[4] = {0, 2, 4, 8};
    int single = (fhd >> 5) & 1;
    *size = fcs_size[fhd >> 6] ? fcs_size[fhd >> 6] : (size_t)single;
    return 5 + (size_t)!single + dict_size[fhd & 3];
}

/* Writes content size v into the frame header at z (the field keeps its
 * size); returns 0, or -1 when v does not fit it. */
static int set_fcs(unsigned char *z, uint64_t v)
{
    size_t size, at = fcs_field(z, &size);
    if (size == 0 || (size == 1 && v > 255) || (size == 2 && (v < 256 || v > 65791)))
        return -1;
    if (size == 2)
        v -= 256;
    for (size_t i = 0; i < size; i++)
        z[at + i] = (unsigned char)(v >> (8 * i));
    return 0;
}

/* A valid zstd frame of `size` bytes 'a', made by hand of RLE blocks of at
 * most 128 KiB, with a 1 MiB window (not single-segment) and a 4-byte content
 * size, so that ZSTD_decompress would decode all of it.  Returns its
 * length in out (cap bytes), 0 when it does not fit. */
static size_t rle_frame(uint32_t size, unsigned char *out, size_t cap)
{
    size_t n = 0;
    static const unsigned char head[] = {0x28,          0xB5, 0x2F, 0xFD, /* magic */
                                         0x80,            /* FCS 4 bytes, windowed */
                                         (20 - 10) << 3}; /* window 2^20 */
    if (cap < sizeof head + 4)
        return 0;
    memcpy(out, head, sizeof head);
    n = sizeof head;
    for (int i = 0; i < 4; i++)
        out[n++] = (unsigned char)(size >> (8 * i));
    uint32_t left = size;
    do {
        uint32_t block = left > (128u << 10) ? 128u << 10 : left;
        left -= block;
        uint32_t bh = (uint32_t)(left == 0) | 1u << 1 | block << 3; /* last, RLE, size */
        if (n + 4 > cap)
            return 0;
        out[n++] = (unsigned char)bh;
        out[n++] = (unsigned char)(bh >> 8);
        out[n++] = (unsigned char)(bh >> 16);
        out[n++] = 'a';
    } while (left);
    return n;
}

static void test_corrupt_v2(void)
{
    struct rec r;
    rec_start(&r);
    rec_end(&r);
    unsigned char valid[1024], b[1024];
    size_t n = wrap_v2(r.b + 4, r.n - 4, valid, sizeof valid);
    CHECK(n > 0);
    char err[256];

    /* The wrapped record is valid, and its frame has a content size field. */
    CHECK(read_shared(valid, n, err, sizeof err) == KQ_OK);
    CHECK(ZSTD_getFrameContentSize(valid + 4, n - 4) == r.n - 4);
    size_t fcs_size;
    fcs_field(valid, &fcs_size);
    CHECK(fcs_size > 0);

    /* Every proper prefix of the record, and one byte more. */
    for (size_t k = 0; k < n; k++) {
        char ctx[80];
        snprintf(ctx, sizeof ctx, "version 2 truncated at byte %zu of %zu", k, n);
        check_corrupt(ctx, valid, k);
    }
    memcpy(b, valid, n);
    b[n] = 0;
    check_corrupt("a byte after the frame", b, n + 1);
    memcpy(b + n, valid + 4, n - 4);
    check_corrupt("two frames", b, 2 * n - 4);

    /* The frame declares a content size other than its content's. */
    static const int deltas[] = {-1, 1, -20, 100};
    for (size_t i = 0; i < sizeof deltas / sizeof *deltas; i++) {
        char ctx[80];
        memcpy(b, valid, n);
        uint64_t want = (uint64_t)((int64_t)(r.n - 4) + deltas[i]);
        CHECK(set_fcs(b + 4, want) == 0);
        CHECK(ZSTD_getFrameContentSize(b + 4, n - 4) == want);
        snprintf(ctx, sizeof ctx, "content size off by %d", deltas[i]);
        check_corrupt_one(ctx, b, n);
    }

    /* A frame without its content size. */
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    CHECK(cctx != NULL);
    if (cctx) {
        CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)));
        memcpy(b, DOCUMENT_DATA_MAGIC, 4);
        size_t z = ZSTD_compress2(cctx, b + 4, sizeof b - 4, r.b + 4, r.n - 4);
        CHECK(!ZSTD_isError(z));
        CHECK(ZSTD_getFrameContentSize(b + 4, z) == ZSTD_CONTENTSIZE_UNKNOWN);
        check_corrupt_one("no content size", b, 4 + z);
        CHECK(read_shared(b, 4 + z, err, sizeof err) == KQ_ERR_CORRUPT &&
              strstr(err, "content size"));
        ZSTD_freeCCtx(cctx);
    }

    /* Garbage: not a frame, a skippable frame, a frame magic and noise. */
    static const unsigned char not_frame[] = "\xFFKQ\x02 plain text, no frame at all";
    check_corrupt_one("garbage after the magic", not_frame, sizeof not_frame - 1);
    static const unsigned char skippable[] = {0xFF, 'K', 'Q', 2, 0x50, 0x2A, 0x4D, 0x18,
                                              3,    0,   0,   0, 1,    2,    3};
    check_corrupt_one("skippable frame", skippable, sizeof skippable);
    static const unsigned char noise[] = {0xFF, 'K',  'Q',  2,    0x28, 0xB5, 0x2F, 0xFD, 0x20,
                                          0x10, 0xFF, 0xFF, 0xFF, 0x13, 0x37, 0x00, 0x42};
    check_corrupt_one("frame magic and noise", noise, sizeof noise);

    /* A real frame larger than DOCUMENT_MAX_CONTENT is refused from its
     * header, before anything is allocated or decoded; the same hand-made
     * frame, small, decodes (the frame builder is right). */
    static unsigned char big[16384];
    size_t small = rle_frame(200000, big, sizeof big);
    static char out[200000];
    CHECK(small > 0 && ZSTD_findFrameCompressedSize(big, small) == small &&
          ZSTD_decompress(out, sizeof out, big, small) == sizeof out && out[0] == 'a' &&
          out[sizeof out - 1] == 'a');
    memcpy(big, DOCUMENT_DATA_MAGIC, 4);
    size_t bn = rle_frame((uint32_t)DOCUMENT_MAX_CONTENT + 1, big + 4, sizeof big - 4);
    CHECK(bn > 0);
    CHECK(ZSTD_findFrameCompressedSize(big + 4, bn) == bn);
    CHECK(ZSTD_getFrameContentSize(big + 4, bn) == DOCUMENT_MAX_CONTENT + 1);
    check_corrupt_one("content size above the cap", big, 4 + bn);
    CHECK(read_shared(big, 4 + bn, err, sizeof err) == KQ_ERR_CORRUPT &&
          strstr(err, "implausible"));

    /* Any single byte of the frame changed: no crash, a known status (zstd
     * frames carry no checksum here: a changed literal may still decode). */
    for (size_t at = 4; at < n; at++) {
        static const unsigned char values[] = {0x00, 0x01, 0x7F, 0x80, 0xFF};
        for (size_t k = 0; k < sizeof values; k++) {
            memcpy(b, valid, n);
            b[at] ^= values[k] ? values[k] : 0x20;
            kq_status st = read_shared(b, n, err, sizeof err);
            CHECK(st == KQ_OK || st == KQ_ERR_CORRUPT);
        }
    }
}

/* One reader reads records of very different sizes in turn, failed reads
 * between them, and every read gives its own record whole. */
static void test_reader_reuse(void)
{
    static const size_t sizes[] = {0, 5, 3000, 70000, ARTICLE_MAX_BODY, 40, 131072, 1, 9000};
    enum { N = sizeof sizes / sizeof *sizes };
    char *data[N] = {0}, *bodies[N] = {0};
    size_t len[N] = {0};
    for (size_t i = 0; i < N; i++) {
        char id[16];
        article a = {0};
        snprintf(id, sizeof id, "r%zu", i);
        a.id = id;
        a.title = "t";
        strcpy(a.hash, "0123456789abcdef");
        bodies[i] = repeat(i % 2 ? "du texte, " : "autre chose; ", sizes[i]);
        a.body = bodies[i];
        data[i] = document_encode(&a, &len[i]);
        CHECK(data[i] != NULL);
    }
    document_reader *own = document_reader_new();
    CHECK(own != NULL);
    static const unsigned char junk[] = "\xFFKQ\x02\x28\xB5\x2F\xFD junk";
    for (size_t round = 0; round < 3 && own; round++) {
        for (size_t k = 0; k < N; k++) {
            size_t i = (k * 5 + round * 3) % N; /* a different order each round */
            document_view v;
            kq_status st = document_reader_view(own, data[i], len[i], &v);
            CHECK_MSG(st == KQ_OK && strlen(v.body) == sizes[i] && strcmp(v.body, bodies[i]) == 0,
                      "record %zu (%zu bytes), round %zu", i, sizes[i], round);
            document_view_clear(&v);
            article a;
            char err[256];
            st = document_reader_article(own, data[i], len[i], &a, err, sizeof err);
            CHECK(st == KQ_OK && a.body && strcmp(a.body, bodies[i]) == 0);
            article_clear(&a);
            st = document_reader_view(own, (const char *)junk, sizeof junk - 1, &v);
            CHECK(st == KQ_ERR_CORRUPT);
            document_view_clear(&v);
        }
    }
    document_reader_free(own);
    document_reader_free(NULL);
    for (size_t i = 0; i < N; i++) {
        free(data[i]);
        free(bodies[i]);
    }
}

/* --- The near-duplicate key (DOCUMENT_SLOT_COLLAPSE) ----------------------
 * Paragraphs of a regional dispatch, written for this test: P1 its lead, P1B
 * another lead for the same news, then the rest. */
#define P1                                                                                         \
    "Le conseil régional a voté jeudi un plan de quarante millions d'euros pour rénover les "   \
    "lycées les plus anciens du département."
#define P1B                                                                                                \
    "Réunis en séance plénière, les élus régionaux ont adopté à une large majorité un programme " \
    "de rénovation des vieux lycées."
#define P2                                                                                           \
    "Les travaux commenceront à l'automne par les toitures et les chaudières, puis viendront les " \
    "salles de sciences et les internats, selon le calendrier présenté aux élus par la "          \
    "vice-présidente chargée de l'éducation."
#define P3                                                                                         \
    "Les syndicats d'enseignants saluent un effort attendu depuis dix ans, mais regrettent que "   \
    "les établissements privés sous contrat reçoivent une part de l'enveloppe."
#define P4 "Le plan doit encore être approuvé par le préfet avant la fin du mois."
#define P4B "Le préfet a approuvé le plan vendredi, sans y changer une ligne."
/* Boilerplate two unrelated articles of one site share. */
#define BOILER                                                                                     \
    "Retrouvez toutes les informations pratiques sur les horaires, les tarifs et les accès sur "  \
    "le site de la mairie ou en appelant le standard du lundi au vendredi."
#define NOTICE                                                                                     \
    "Cet article réservé à nos abonnés est mis à jour régulièrement au fil de la journée."
#define FETE                                                                                        \
    "La fête de la musique s'installe cette année sur les quais, avec six scènes ouvertes aux "  \
    "groupes amateurs de la ville et un concert gratuit de l'orchestre municipal à la tombée de " \
    "la nuit."
#define PISCINE                                                                                    \
    "La piscine municipale rouvre ses bassins après deux ans de travaux, avec un toit ouvrant, "  \
    "un bassin nordique chauffé toute l'année et des créneaux réservés aux écoles le matin."

struct dup_case {
    const char *what;
    const char *title[2], *chapo[2], *body[2];
    int same;    /* the two are copies: the same key */
    int same_v1; /* what key version 1 (the first 40 terms of chapô and body) said */
};

static const struct dup_case dup_cases[] = {
    {"the same dispatch under another headline",
     {"Quarante millions pour les lycées", "Lycées : la région vote un plan"},
     {"Un plan de rénovation.", "Un plan de rénovation."},
     {P1 "\n" P2 "\n" P3 "\n" P4, P1 "\n" P2 "\n" P3 "\n" P4},
     1,
     1},
    {"rewritten: new headline, new chapô, new first paragraph",
     {"Quarante millions pour les lycées", "Lycées : la région vote un plan de rénovation"},
     {"La région investit dans ses lycées.",
      "Les élus ont tranché jeudi soir après trois heures de débat."},
     {P1 "\n" P2 "\n" P3 "\n" P4, P1B "\n" P2 "\n" P3 "\n" P4},
     1,
     0},
    {"rewritten, paragraphs glued (one line): new first sentence",
     {"Quarante millions pour les lycées", "Lycées : la région vote un plan de rénovation"},
     {NULL, NULL},
     {P1 P2 P3 P4, P1B P2 P3 P4},
     1,
     0},
    {"rewritten lead of two paragraphs on separate lines, the rest the same",
     {"Quarante millions pour les lycées", "Lycées : un plan voté"},
     {NULL, NULL},
     {P1 "\n" P2 "\n" P3 "\n" P4, P1B " Le vote a eu lieu jeudi.\n" P2 "\n" P3 "\n" P4},
     1,
     0},
    {"the ending corrected",
     {"Quarante millions pour les lycées", "Quarante millions pour les lycées"},
     {NULL, NULL},
     {P1 "\n" P2 "\n" P3 "\n" P4, P1 "\n" P2 "\n" P3 "\n" P4B},
     1,
     1},
    {"two articles sharing a closing sentence of boilerplate",
     {"La fête de la musique sur les quais", "La piscine rouvre"},
     {NULL, NULL},
     {"Programme complet ce week-end.\n" FETE "\n" BOILER,
      "Enfin la réouverture.\n" PISCINE "\n" BOILER},
     0,
     0},
    {"two articles opening on the same notice",
     {"La fête de la musique sur les quais", "La piscine rouvre"},
     {NULL, NULL},
     {NOTICE "\n" FETE "\n" BOILER, NOTICE "\n" PISCINE "\n" BOILER},
     0,
     0},
    {"two articles sharing a first sentence, glued",
     {"La fête de la musique sur les quais", "La piscine rouvre"},
     {NULL, NULL},
     {NOTICE FETE, NOTICE PISCINE},
     0,
     0},
    {"short copies: the opening decides",
     {"Match reporté", "Le match de dimanche est reporté"},
     {"Le match contre Nantes est reporté à dimanche prochain en raison de la pluie.",
      "Le match contre Nantes est reporté à dimanche prochain en raison de la pluie."},
     {"Décision de la ligue.", "Décision de la ligue."},
     1,
     1},
    {"short articles under one headline, other texts",
     {"Mercato : qui part, qui reste ?", "Mercato : qui part, qui reste ?"},
     {"L'heure des transferts a sonné pour les radios.",
      "Europe 1 chamboule de nouveau sa grille du matin."},
     {NULL, NULL},
     0,
     0},
};

static void test_duplicate_keys(void)
{
    analyzer *an = analyzer_new();
    index_doc *doc = index_doc_new();
    const document_dupkey_params v1 = {40, 0, 8, 0};
    CHECK(an && doc);
    for (size_t i = 0; an && doc && i < sizeof dup_cases / sizeof dup_cases[0]; i++) {
        const struct dup_case *c = &dup_cases[i];
        char stored[2][17] = {"", ""}, old[2][17] = {"", ""};
        for (int k = 0; k < 2; k++) {
            article a = {.id = (char *)(k ? "copie" : "original"),
                         .title = (char *)c->title[k],
                         .description = (char *)c->chapo[k],
                         .body = (char *)c->body[k]};
            char key[17];
            CHECK(document_build(an, &a, doc) == KQ_OK);
            char *v = index_doc_get_value(doc, DOCUMENT_SLOT_COLLAPSE, NULL);
            CHECK_MSG(v && strlen(v) == 16, "%s: a key of 16 hex digits", c->what);
            snprintf(stored[k], sizeof stored[k], "%s", v ? v : "");
            free(v);
            CHECK(document_duplicate_key(an, &a, NULL, key) == KQ_OK);
            CHECK_MSG(strcmp(key, stored[k]) == 0,
                      "%s: document_duplicate_key gives what the index stores", c->what);
            CHECK(document_duplicate_key(an, &a, &v1, old[k]) == KQ_OK);
        }
        CHECK_MSG((strcmp(stored[0], stored[1]) == 0) == c->same, "%s: %s", c->what,
                  c->same ? "copies, but the keys differ" : "distinct articles, but one key");
        CHECK_MSG((strcmp(old[0], old[1]) == 0) == c->same_v1, "%s: key version 1 %s", c->what,
                  c->same_v1 ? "collapsed them" : "told them apart");
    }
    index_doc_free(doc);
    analyzer_free(an);
}

int main(void)
{
    if (harness_tmpdir(tmp, sizeof tmp) != 0)
        return 1;
    shared_reader = document_reader_new();
    if (!shared_reader)
        return 1;
    test_json_articles();
    test_built_articles();
    test_build_stores_data();
    test_corrupt();
    test_corrupt_v2();
    test_reader_reuse();
    test_duplicate_keys();
    document_reader_free(shared_reader);
    harness_cleanup();
    return harness_exit("test_document");
}
