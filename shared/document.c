#include "document.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* State of one document_build: where terms go and the first failure. */
struct build {
    index_doc *doc;
    unsigned weight;      /* wdf increment of the field being analysed */
    int in_title;         /* 1 while analysing the headline */
    int in_text;          /* 1 while analysing chapô and body (near-duplicate key) */
    unsigned key_terms;   /* terms folded into the near-duplicate key */
    uint64_t key;         /* FNV-1a of the first DUPLICATE_KEY_TERMS text terms */
    kq_status status;
    char term[DOCUMENT_MAX_TERM * 2 + 8];
};

/* Wire copy republished with a different headline or a corrected last
 * paragraph still shares its opening words. */
#define DUPLICATE_KEY_TERMS 40u

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
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

static int on_text_token(void *ctx, const analyzer_token *t)
{
    struct build *b = ctx;
    if (t->term_len == 0 || t->term_len > DOCUMENT_MAX_TERM)
        return 0;
    b->status = index_doc_add_posting(b->doc, t->term, t->position, b->weight);
    if (b->in_text && b->key_terms < DUPLICATE_KEY_TERMS && !(t->flags & TOKEN_COMPOUND)) {
        b->key = fnv1a(b->key, t->term, t->term_len + 1);
        b->key_terms++;
    }
    if (!(t->flags & TOKEN_STOPWORD)) {
        add_term(b, DOCUMENT_PREFIX_STEM, t->stem, t->stem_len, b->weight);
        if (t->exact_len != t->term_len || memcmp(t->exact, t->term, t->term_len) != 0) {
            if (b->status == KQ_OK &&
                make_term(b, DOCUMENT_PREFIX_EXACT, t->term, t->term_len, t->exact,
                          t->exact_len) == 0)
                b->status = index_doc_add_term(b->doc, b->term, b->weight);
        }
        /* Headlines capitalise freely; running text tells names apart. */
        if ((t->flags & TOKEN_CAPITALISED) && !(t->flags & TOKEN_SENTENCE_START) &&
            !b->in_title && !(t->flags & TOKEN_NUMBER))
            add_boolean(b, DOCUMENT_PREFIX_CAPITALISED, t->term, t->term_len);
        if (b->in_title) {
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
    kq_status st = analyzer_run(a, text, strlen(text), pos, ANALYZER_DOCUMENT, on_text_token, b,
                                &next);
    if (st != KQ_OK && b->status == KQ_OK)
        b->status = st;
    return next + DOCUMENT_FIELD_GAP;
}

static json_t *string_array(char *const *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(items[i]));
    return arr;
}

/* Returns the data of an article (see document.h): the JSON header, a line
 * break, the body; *len receives its length.  The caller frees it. */
static char *document_data(const article *art, size_t *len)
{
    json_t *o = json_object();
    char *header = NULL, *out = NULL;
    if (!o)
        return NULL;
    json_object_set_new(o, "identifier", json_string(art->id));
    json_object_set_new(o, "headline", json_string(art->title));
    if (art->url)
        json_object_set_new(o, "url", json_string(art->url));
    if (art->description)
        json_object_set_new(o, "description", json_string(art->description));
    if (art->date)
        json_object_set_new(o, "datePublished", json_string(art->date));
    if (art->date_modified)
        json_object_set_new(o, "dateModified", json_string(art->date_modified));
    json_object_set_new(o, "author", string_array(art->authors, art->n_authors));
    json_object_set_new(o, "articleSection", string_array(art->sections, art->n_sections));
    json_object_set_new(o, "keywords", string_array(art->keywords, art->n_keywords));
    if (art->language)
        json_object_set_new(o, "inLanguage", json_string(art->language));
    json_object_set_new(o, "kiosqueHash", json_string(art->hash));
    header = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!header)
        return NULL;
    size_t hl = strlen(header), bl = art->body ? strlen(art->body) : 0;
    out = malloc(hl + 1 + bl + 1);
    if (out) {
        memcpy(out, header, hl);
        out[hl] = '\n';
        if (bl)
            memcpy(out + hl + 1, art->body, bl);
        out[hl + 1 + bl] = '\0';
        *len = hl + 1 + bl;
    }
    free(header);
    return out;
}

kq_status document_build(analyzer *a, const article *art, index_doc *doc)
{
    struct build b = {.doc = doc, .status = KQ_OK, .key = 1469598103934665603ull};
    char buf[64];
    char *data = NULL;
    unsigned pos = 1;

    index_doc_clear(doc);
    if (make_term(&b, DOCUMENT_PREFIX_ID, art->id, strlen(art->id), NULL, 0) != 0)
        return KQ_ERR_INVALID;
    b.status = index_doc_add_boolean_term(doc, b.term);

    b.weight = DOCUMENT_WEIGHT_TITLE;
    b.in_title = 1;
    pos = analyse(&b, a, art->title, pos);
    b.in_title = 0;
    b.in_text = 1;
    b.weight = DOCUMENT_WEIGHT_DESCRIPTION;
    pos = analyse(&b, a, art->description, pos);
    b.weight = DOCUMENT_WEIGHT_BODY;
    analyse(&b, a, art->body, pos);
    b.in_text = 0;
    if (b.key_terms < 8) /* too short to tell copies apart by their text alone */
        b.key = fnv1a(b.key, art->title, strlen(art->title));

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
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)b.key);
    index_doc_set_value(doc, DOCUMENT_SLOT_COLLAPSE, buf, 16);
    for (size_t i = 0; i < art->n_sections && i < DOCUMENT_FACET_SECTIONS; i++)
        index_doc_set_value(doc, DOCUMENT_SLOT_SECTION + (unsigned)i, art->sections[i],
                            strlen(art->sections[i]));
    for (size_t i = 0; i < art->n_authors && i < DOCUMENT_FACET_AUTHORS; i++)
        index_doc_set_value(doc, DOCUMENT_SLOT_AUTHOR + (unsigned)i, art->authors[i],
                            strlen(art->authors[i]));

    size_t data_len = 0;
    data = document_data(art, &data_len);
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

static char *dup_string(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return strdup(s ? s : "");
}

/* Returns the strings of array `key` joined with `sep`; the caller frees it. */
static char *join_array(json_t *o, const char *key, const char *sep)
{
    json_t *arr = json_object_get(o, key);
    size_t total = 1, i;
    json_t *item;
    json_array_foreach(arr, i, item) total += strlen(json_string_value(item) ? json_string_value(item) : "") + strlen(sep);
    char *out = malloc(total);
    if (!out)
        return NULL;
    out[0] = '\0';
    json_array_foreach(arr, i, item)
    {
        const char *s = json_string_value(item);
        if (!s || !*s)
            continue;
        if (out[0])
            strcat(out, sep);
        strcat(out, s);
    }
    return out;
}

/* Splits data into its JSON header (parsed) and its body. */
static json_t *split_data(const char *data, size_t len, const char **body, size_t *body_len)
{
    const char *nl = memchr(data, '\n', len);
    if (!nl)
        return NULL;
    *body = nl + 1;
    *body_len = len - (size_t)(nl + 1 - data);
    json_t *o = json_loadb(data, (size_t)(nl - data), 0, NULL);
    if (o && !json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

kq_status document_view_parse(const char *data, size_t len, document_view *out)
{
    const char *body;
    size_t body_len;
    memset(out, 0, sizeof *out);
    json_t *o = split_data(data, len, &body, &body_len);
    if (!o)
        return KQ_ERR_CORRUPT;
    out->id = dup_string(o, "identifier");
    out->url = dup_string(o, "url");
    out->title = dup_string(o, "headline");
    out->description = dup_string(o, "description");
    out->date = dup_string(o, "datePublished");
    out->language = dup_string(o, "inLanguage");
    out->hash = dup_string(o, "kiosqueHash");
    out->author = join_array(o, "author", ", ");
    out->section = join_array(o, "articleSection", " / ");
    out->body = malloc(body_len + 1);
    if (out->body) {
        memcpy(out->body, body, body_len);
        out->body[body_len] = '\0';
    }
    json_decref(o);
    if (!out->id || !out->url || !out->title || !out->description || !out->date ||
        !out->language || !out->body || !out->hash || !out->author || !out->section)
        return KQ_ERR_NOMEM;
    return KQ_OK;
}

kq_status document_read_article(const char *data, size_t len, article *out, char *err,
                                size_t err_size)
{
    const char *body;
    size_t body_len;
    char *text = NULL;
    kq_status st = KQ_ERR_CORRUPT;
    json_t *o = split_data(data, len, &body, &body_len);
    if (!o) {
        snprintf(err, err_size, "the document data is not Kiosque's");
        return KQ_ERR_CORRUPT;
    }
    json_object_set_new(o, "articleBody", json_stringn(body, body_len));
    text = json_dumps(o, JSON_COMPACT);
    if (text)
        st = article_from_json(text, strlen(text), out, err, err_size);
    else
        snprintf(err, err_size, "out of memory");
    /* Reading the article back normalises it again, which is not always
     * idempotent (an absent body comes back empty, "&amp;amp;" decodes once
     * more), so the hash computed when it was indexed is kept: it is what
     * the next run compares the export with. */
    const char *hash = json_string_value(json_object_get(o, "kiosqueHash"));
    if (st == KQ_OK && hash && strlen(hash) == 16)
        memcpy(out->hash, hash, 17);
    free(text);
    json_decref(o);
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
