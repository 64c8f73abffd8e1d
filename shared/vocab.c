/* vocab: the newsroom's vocabulary (see vocab.h). */
#include "vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A form: its text as written in the table and its folded terms. */
struct form {
    char *text;
    char **terms;
    size_t n_terms;
};

/* Words of a context clause, folded. */
struct words {
    char **w;
    size_t n;
};

struct line {
    struct form *forms;
    size_t n_forms;
    int one_way;       /* `>`: only the first form finds the others */
    int unless_number; /* sauf #nombre */
    struct words unless, only_if;
};

struct vocab {
    struct line *lines;
    size_t n, cap;
};

vocab *vocab_new(void)
{
    return calloc(1, sizeof(vocab));
}

static void words_free(struct words *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->w[i]);
    free(w->w);
}

static void line_free(struct line *l)
{
    for (size_t f = 0; f < l->n_forms; f++) {
        free(l->forms[f].text);
        words_free(&(struct words){l->forms[f].terms, l->forms[f].n_terms});
    }
    free(l->forms);
    words_free(&l->unless);
    words_free(&l->only_if);
}

void vocab_free(vocab *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++)
        line_free(&v->lines[i]);
    free(v->lines);
    free(v);
}

size_t vocab_size(const vocab *v)
{
    return v ? v->n : 0;
}

static int push_word(struct words *w, const char *s, size_t n)
{
    char **grown = realloc(w->w, (w->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    w->w = grown;
    if (!(w->w[w->n] = strndup(s, n)))
        return -1;
    w->n++;
    return 0;
}

struct collect {
    struct words *out;
    int failed;
};

static int collect_term(void *ctx, const analyzer_token *tok)
{
    struct collect *c = ctx;
    if (tok->flags & TOKEN_COMPOUND)
        return 0;
    if (push_word(c->out, tok->term, tok->term_len) != 0) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

/* The folded terms of s[0..n) into *out (appended); 0, or -1 when out of
 * memory or the analyzer failed. */
static int analyse(analyzer *a, const char *s, size_t n, struct words *out)
{
    struct collect c = {out, 0};
    if (analyzer_run(a, s, n, 1, ANALYZER_QUERY, collect_term, &c, NULL) != KQ_OK)
        return -1;
    return c.failed ? -1 : 0;
}

static const char *skip_blanks(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

static const char *trim_end(const char *s, const char *end)
{
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    return end;
}

/* Forgets the lines whose first form has the terms of `form`. */
static void forget(vocab *v, const struct words *form)
{
    size_t kept = 0;
    for (size_t i = 0; i < v->n; i++) {
        const struct form *f = &v->lines[i].forms[0];
        int same = f->n_terms == form->n;
        for (size_t k = 0; same && k < form->n; k++)
            same = strcmp(f->terms[k], form->w[k]) == 0;
        if (same)
            line_free(&v->lines[i]);
        else
            v->lines[kept++] = v->lines[i];
    }
    v->n = kept;
}

/* Reads the clause `sauf ...` or `si ...` s[0..end) into l. */
static const char *read_clause(analyzer *a, struct line *l, const char *s, const char *end)
{
    struct words *into;
    if (end - s > 5 && memcmp(s, "sauf", 4) == 0 && (s[4] == ' ' || s[4] == '\t'))
        into = &l->unless, s += 5;
    else if (end - s > 3 && memcmp(s, "si", 2) == 0 && (s[2] == ' ' || s[2] == '\t'))
        into = &l->only_if, s += 3;
    else
        return "a clause after ';' begins with 'sauf' or 'si'";
    for (;;) {
        s = skip_blanks(s, end);
        if (s == end)
            break;
        const char *w = s;
        while (s < end && *s != ' ' && *s != '\t' && *s != ',')
            s++;
        if ((size_t)(s - w) == 7 && memcmp(w, "#nombre", 7) == 0 && into == &l->unless)
            l->unless_number = 1;
        else if (analyse(a, w, (size_t)(s - w), into) != 0)
            return "out of memory";
        if (s < end && *s == ',')
            s++;
    }
    if (into->n == 0 && !l->unless_number)
        return "'sauf' or 'si' without words";
    return NULL;
}

/* Reads one line s[0..end) into a new line of v; NULL, or the reason it is malformed. */
static const char *read_line(vocab *v, analyzer *a, const char *s, const char *end)
{
    struct line l = {0};
    const char *why = NULL;
    const char *clauses = memchr(s, ';', (size_t)(end - s));
    const char *forms_end = clauses ? clauses : end;
    if (*s == '-') {
        struct words form = {0};
        s = skip_blanks(s + 1, end);
        if (analyse(a, s, (size_t)(trim_end(s, end) - s), &form) != 0)
            why = "out of memory";
        else if (form.n == 0)
            why = "'-' without a form to forget";
        else
            forget(v, &form);
        words_free(&form);
        return why;
    }
    while (s < forms_end) {
        const char *sep = s;
        while (sep < forms_end && *sep != '=' && *sep != '>')
            sep++;
        if (sep < forms_end && *sep == '>') {
            if (l.n_forms != 0 || l.one_way) {
                why = "'>' comes once, after the first form";
                goto out;
            }
            l.one_way = 1;
        }
        const char *a0 = skip_blanks(s, sep), *a1 = trim_end(a0, sep);
        struct form *grown = realloc(l.forms, (l.n_forms + 1) * sizeof *grown);
        if (!grown) {
            why = "out of memory";
            goto out;
        }
        l.forms = grown;
        struct form *f = &l.forms[l.n_forms++];
        struct words terms = {0};
        *f = (struct form){0};
        if (!(f->text = strndup(a0, (size_t)(a1 - a0))) ||
            analyse(a, a0, (size_t)(a1 - a0), &terms)) {
            f->terms = terms.w;
            f->n_terms = terms.n;
            why = "out of memory";
            goto out;
        }
        f->terms = terms.w;
        f->n_terms = terms.n;
        if (f->n_terms == 0) {
            why = "an empty form (two '=' in a row, or one at an end)";
            goto out;
        }
        s = sep + (sep < forms_end);
        if (sep < forms_end && s == forms_end) {
            why = "an empty form (two '=' in a row, or one at an end)";
            goto out;
        }
    }
    if (l.n_forms < 2) {
        why = "a line needs two forms at least: FORM = FORM";
        goto out;
    }
    while (clauses && !why) {
        const char *c = skip_blanks(clauses + 1, end);
        size_t left = c < end ? (size_t)(end - c) : 0;
        const char *next = left ? memchr(c, ';', left) : NULL;
        why = read_clause(a, &l, c, trim_end(c, next ? next : end));
        clauses = next;
    }
    if (!why && v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        struct line *grown = realloc(v->lines, cap * sizeof *grown);
        if (!grown)
            why = "out of memory";
        else
            v->lines = grown, v->cap = cap;
    }
    if (!why) {
        v->lines[v->n++] = l;
        return NULL;
    }
out:
    line_free(&l);
    return why;
}

kq_status vocab_add_text(vocab *v, analyzer *a, const char *text, size_t len, const char *name,
                         char *err, size_t err_size)
{
    const char *s = text, *end = text + len;
    for (unsigned lineno = 1; s < end; lineno++) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        const char *stop = eol ? eol : end;
        const char *b = skip_blanks(s, stop), *e = trim_end(b, stop);
        if (b < e && *b != '#') {
            const char *why = read_line(v, a, b, e);
            if (why) {
                snprintf(err, err_size, "%s:%u: %s", name, lineno, why);
                return strcmp(why, "out of memory") == 0 ? KQ_ERR_NOMEM : KQ_ERR_INVALID;
            }
        }
        s = stop + (eol != NULL);
    }
    return KQ_OK;
}

kq_status vocab_add_file(vocab *v, analyzer *a, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    kq_status st = KQ_OK;
    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? KQ_ERR_NOT_FOUND : KQ_ERR_IO;
    }
    for (;;) {
        if (len == cap) {
            char *grown = realloc(buf, cap = cap ? cap * 2 : 4096);
            if (!grown) {
                st = KQ_ERR_NOMEM;
                snprintf(err, err_size, "%s: out of memory", path);
                goto out;
            }
            buf = grown;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        st = KQ_ERR_IO;
        snprintf(err, err_size, "%s: cannot be read", path);
        goto out;
    }
    st = vocab_add_text(v, a, buf, len, path, err, err_size);
out:
    free(buf);
    fclose(f);
    return st;
}

static int has_word(const struct words *w, const char *const *terms, size_t n, size_t first,
                    size_t count)
{
    for (size_t k = 0; k < n; k++) {
        if ((k >= first && k < first + count) || !terms[k])
            continue;
        for (size_t j = 0; j < w->n; j++)
            if (strcmp(terms[k], w->w[j]) == 0)
                return 1;
    }
    return 0;
}

static int is_number(const char *t)
{
    if (!t || !*t)
        return 0;
    for (; *t; t++)
        if ((*t < '0' || *t > '9') && *t != ',' && *t != '.')
            return 0;
    return 1;
}

/* 1 when form f of a line is written at terms[i...]. */
static int form_at(const struct form *f, const char *const *terms, size_t n, size_t i)
{
    if (i + f->n_terms > n)
        return 0;
    for (size_t k = 0; k < f->n_terms; k++)
        if (!terms[i + k] || strcmp(terms[i + k], f->terms[k]) != 0)
            return 0;
    return 1;
}

static void add_alternative(const char **alts, size_t *n, const char *text)
{
    for (size_t k = 0; k < *n; k++)
        if (strcmp(alts[k], text) == 0)
            return;
    if (*n < VOCAB_MAX_ALTERNATIVES)
        alts[(*n)++] = text;
}

size_t vocab_match(const vocab *v, const char *const *terms, size_t n, size_t i, const char **alts,
                   size_t *n_alts)
{
    size_t best = 0;
    *n_alts = 0;
    if (!v)
        return 0;
    /* The longest form written at i first, then every line holding it. */
    for (size_t l = 0; l < v->n; l++)
        for (size_t f = 0; f < v->lines[l].n_forms; f++)
            if (v->lines[l].forms[f].n_terms > best && form_at(&v->lines[l].forms[f], terms, n, i))
                best = v->lines[l].forms[f].n_terms;
    if (!best)
        return 0;
    for (size_t l = 0; l < v->n; l++) {
        const struct line *ln = &v->lines[l];
        size_t found = ln->n_forms;
        for (size_t f = 0; f < ln->n_forms && found == ln->n_forms; f++)
            if (ln->forms[f].n_terms == best && form_at(&ln->forms[f], terms, n, i))
                found = f;
        if (found == ln->n_forms || (ln->one_way && found != 0))
            continue;
        if (ln->unless_number && i + best < n && is_number(terms[i + best]))
            continue;
        if (has_word(&ln->unless, terms, n, i, best))
            continue;
        if (ln->only_if.n && !has_word(&ln->only_if, terms, n, i, best))
            continue;
        for (size_t f = 0; f < ln->n_forms; f++)
            if (f != found)
                add_alternative(alts, n_alts, ln->forms[f].text);
    }
    return *n_alts ? best : 0;
}
