#include "result_render.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

static void append_escaped(char **p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        }
        if (rep) {
            size_t m = strlen(rep);
            memcpy(*p, rep, m);
            *p += m;
        } else {
            *(*p)++ = s[i];
        }
    }
}

char *result_snippet_html(const search_hit *hit)
{
    size_t len = strlen(hit->snippet);
    char *out = malloc(len * 6 + hit->n_marks * 13 + 1);
    char *p = out;
    size_t at = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < hit->n_marks; i++) {
        const search_mark *m = &hit->marks[i];
        if (m->start < at || m->end > len || m->start >= m->end)
            continue;
        append_escaped(&p, hit->snippet + at, m->start - at);
        memcpy(p, "<mark>", 6), p += 6;
        append_escaped(&p, hit->snippet + m->start, m->end - m->start);
        memcpy(p, "</mark>", 7), p += 7;
        at = m->end;
    }
    append_escaped(&p, hit->snippet + at, len - at);
    *p = '\0';
    return out;
}

char *result_json(const search_result *r)
{
    json_writer w;
    jw_init(&w);
    jw_begin(&w, '{');
    jw_key(&w, "query");
    jw_string(&w, r->query ? r->query : "");
    jw_key(&w, "total");
    jw_int(&w, (long long)r->total);
    jw_key(&w, "offset");
    jw_int(&w, r->offset);
    jw_key(&w, "limit");
    jw_int(&w, r->limit);
    jw_key(&w, "took_ms");
    jw_real(&w, round(r->took_ms * 1000) / 1000);
    jw_key(&w, "total_exact");
    jw_bool(&w, r->total_exact);
    jw_key(&w, "total_lower");
    jw_int(&w, (long long)r->total_lower);
    jw_key(&w, "partial");
    jw_bool(&w, r->partial);
    jw_key(&w, "timed_out");
    jw_bool(&w, r->timed_out);
    /* Elasticsearch's _shards: shards searched, answering, left out. */
    jw_key(&w, "shards");
    jw_begin(&w, '{');
    jw_key(&w, "total");
    jw_int(&w, r->shards_total);
    jw_key(&w, "successful");
    jw_int(&w, (long long)r->shards_total - r->shards_failed);
    jw_key(&w, "failed");
    jw_int(&w, r->shards_failed);
    jw_end(&w, '}');
    jw_key(&w, "hits");
    jw_begin(&w, '[');
    for (size_t i = 0; i < r->n_hits; i++) {
        const search_hit *h = &r->hits[i];
        const char *const fields[][2] = {{"id", h->id},         {"url", h->url},
                                         {"title", h->title},   {"date", h->date},
                                         {"author", h->author}, {"section", h->section}};
        jw_begin(&w, '{');
        for (size_t f = 0; f < sizeof fields / sizeof *fields; f++) {
            jw_key(&w, fields[f][0]);
            jw_string(&w, fields[f][1] ? fields[f][1] : "");
        }
        char *snippet = result_snippet_html(h);
        if (!snippet)
            w.out.failed = 1; /* out of memory: no reply rather than a wrong one */
        jw_key(&w, "snippet");
        jw_string(&w, snippet ? snippet : "");
        free(snippet);
        jw_key(&w, "score");
        jw_real(&w, round(h->score * 1000) / 1000);
        if (h->duplicates) {
            jw_key(&w, "duplicates");
            jw_int(&w, h->duplicates);
        }
        jw_end(&w, '}');
    }
    jw_end(&w, ']');
    jw_key(&w, "suggestion");
    jw_string(&w, r->suggestion);
    if (r->has_dates) {
        /* The date phrase read as a filter (search.h, search_dates). */
        const search_dates *d = &r->understood_dates;
        jw_key(&w, "understood_dates");
        jw_begin(&w, '{');
        jw_key(&w, "words");
        jw_string(&w, d->words);
        jw_key(&w, "from");
        jw_string(&w, d->from);
        jw_key(&w, "to");
        jw_string(&w, *d->to ? d->to : NULL);
        jw_key(&w, "label");
        jw_string(&w, d->label);
        jw_key(&w, "or_word");
        jw_bool(&w, d->or_word);
        jw_end(&w, '}');
    }
    if (r->has_facets) {
        jw_key(&w, "facets");
        jw_begin(&w, '{');
        for (size_t i = 0; i < SEARCH_FACET_COUNT; i++) {
            jw_key(&w, r->facets[i].name);
            jw_begin(&w, '{');
            for (size_t k = 0; k < r->facets[i].n_values; k++) {
                jw_key(&w, r->facets[i].values[k].value);
                jw_int(&w, (long long)r->facets[i].values[k].count);
            }
            jw_end(&w, '}');
        }
        jw_end(&w, '}');
    }
    jw_end(&w, '}');
    return jw_finish(&w, NULL);
}

/* Returns a JSON array of n strings (NULL when out of memory); the caller
 * owns the reference. */
static json_t *string_array(char *const *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_string(items[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

char *result_article_json(const search_article *a)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_string(a->id));
    json_object_set_new(o, "url", json_string(a->url));
    json_object_set_new(o, "title", json_string(a->title));
    json_object_set_new(o, "description", json_string(a->description));
    json_object_set_new(o, "date", json_string(a->date));
    json_object_set_new(o, "date_modified", json_string(a->date_modified));
    json_object_set_new(o, "author", json_string(a->author));
    json_object_set_new(o, "authors", string_array(a->authors, a->n_authors));
    json_object_set_new(o, "section", json_string(a->section));
    json_object_set_new(o, "sections", string_array(a->sections, a->n_sections));
    json_object_set_new(o, "keywords", string_array(a->keywords, a->n_keywords));
    json_object_set_new(o, "language", json_string(a->language));
    char *json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return json;
}
