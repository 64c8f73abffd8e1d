/* extract: the `indexer extract` command, which shows the article each published page would be
 * indexed as. */
#include "extract.h"
#include "article.h"
#include "html.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_string(json_t *o, const char *key, const char *v)
{
    return !v || json_object_set_new(o, key, json_string(v)) == 0 ? 0 : -1;
}

static int set_list(json_t *o, const char *key, char **v, size_t n)
{
    if (n == 0)
        return 0;
    json_t *a = json_array();
    if (!a || json_object_set_new(o, key, a) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) != 0)
            return -1;
    return 0;
}

/* The article as one JSON line on stdout; -1 when memory ran out. */
static int print_article(const char *path, const article *a, const char *source)
{
    json_t *o = json_object();
    int rc = o ? 0 : -1;
    rc |= set_string(o, "@type", "NewsArticle");
    rc |= set_string(o, "identifier", a->id);
    rc |= set_string(o, "headline", a->title);
    rc |= set_string(o, "description", a->description);
    rc |= set_string(o, "url", a->url);
    rc |= set_string(o, "datePublished", a->date);
    rc |= set_string(o, "dateModified", a->date_modified);
    rc |= set_list(o, "author", a->authors, a->n_authors);
    rc |= set_list(o, "articleSection", a->sections, a->n_sections);
    rc |= set_list(o, "keywords", a->keywords, a->n_keywords);
    rc |= set_string(o, "inLanguage", a->language);
    rc |= set_string(o, "articleBody", a->body);
    rc |= set_string(o, "kiosqueFile", path);
    rc |= set_string(o, "kiosqueHash", a->hash);
    rc |= set_string(o, "kiosqueBodyFrom", source);
    char *line = rc == 0 ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (line) {
        puts(line);
        free(line);
    }
    json_decref(o);
    return line ? 0 : -1;
}

int extract_run(int n, char **paths)
{
    int code = 0;
    if (n == 0) {
        fprintf(stderr, "indexer: extract needs at least one page (.html, .htm)\n");
        return 2;
    }
    for (int i = 0; i < n; i++) {
        char err[512], source[192] = "";
        article a = {0};
        kq_status st =
            html_read_file_explained(paths[i], &a, source, sizeof source, err, sizeof err);
        if (st == KQ_OK) {
            if (print_article(paths[i], &a, source) != 0) {
                fprintf(stderr, "indexer: extract: out of memory\n");
                code = 2;
            }
        } else if (st == KQ_ERR_INVALID || st == KQ_ERR_NOT_FOUND) {
            fprintf(stderr, "%s: rejected: %s\n", paths[i], err);
            code = code ? code : 1;
        } else {
            fprintf(stderr, "indexer: %s: %s\n", paths[i], err);
            code = 2;
        }
        article_clear(&a);
    }
    if (fflush(stdout) != 0) {
        perror("indexer: extract: stdout");
        code = 2;
    }
    return code;
}
