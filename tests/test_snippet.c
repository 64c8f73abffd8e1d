/* test_snippet: snippets and marks, and proof that the fast scan (term filters, cheap matching)
 * gives what the reference scan gives. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "article.h"
#include "harness.h"
#include "snippet.h"

/* A fixed xorshift generator: every run draws the same cases. */
static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* ---- building the words to mark as search.c does ------------------------- */

/* How a query word is added: with its stem (most words), by its folded form
 * only (numbers and names), or as a prefix (a query ending in *). */
enum word_kind { WORD_STEMMED, WORD_TERM_ONLY };

struct add_ctx {
    snippet_terms *t;
    enum word_kind kind;
    kq_status st;
};

static int add_token(void *ctx, const analyzer_token *tok)
{
    struct add_ctx *c = ctx;
    kq_status st;
    if (tok->flags & TOKEN_COMPOUND)
        st = snippet_terms_add(c->t, tok->term, NULL); /* as a phrase query adds it */
    else if (c->kind == WORD_TERM_ONLY || (tok->flags & TOKEN_NUMBER))
        st = snippet_terms_add(c->t, tok->term, NULL);
    else
        st = snippet_terms_add(c->t, tok->term, tok->stem);
    if (st != KQ_OK)
        c->st = st;
    return 0;
}

/* Adds the words of a query text, analysed as a query. */
static void add_query(analyzer *a, snippet_terms *t, const char *text, enum word_kind kind)
{
    struct add_ctx c = {t, kind, KQ_OK};
    if (!text)
        return;
    CHECK(analyzer_run(a, text, strlen(text), 1, ANALYZER_QUERY, add_token, &c, NULL) == KQ_OK);
    CHECK(c.st == KQ_OK);
}

/* Adds the prefixes of a list separated by '|' (folded as search.c folds them). */
static void add_prefixes(snippet_terms *t, const char *list)
{
    char buf[256];
    const char *p = list;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        char *folded;
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        folded = analyzer_fold(buf, n);
        CHECK(folded != NULL);
        if (folded)
            CHECK(snippet_terms_add_prefix(t, folded) == KQ_OK);
        free(folded);
        p = bar ? bar + 1 : NULL;
    }
}

/* ---- comparing the fast scan with the reference scan -------------------- */

struct snip {
    char *text;
    search_mark *marks;
    size_t n_marks;
    search_mark *all; /* snippet_mark_all over the whole text */
    size_t n_all;
};

static void snip_clear(struct snip *s)
{
    free(s->text);
    free(s->marks);
    free(s->all);
    memset(s, 0, sizeof *s);
}

static int make(analyzer *a, snippet_terms *t, int reference, const char *text, size_t target,
                struct snip *out)
{
    memset(out, 0, sizeof *out);
    snippet_terms_set_reference(t, reference);
    if (snippet_make(a, t, text, strlen(text), target, &out->text, &out->marks, &out->n_marks) !=
        KQ_OK)
        return -1;
    if (snippet_mark_all(a, t, text, strlen(text), &out->all, &out->n_all) != KQ_OK)
        return -1;
    snippet_terms_set_reference(t, 0);
    return 0;
}

static int same_marks(const search_mark *x, size_t nx, const search_mark *y, size_t ny)
{
    if (nx != ny)
        return 0;
    for (size_t i = 0; i < nx; i++)
        if (x[i].start != y[i].start || x[i].end != y[i].end)
            return 0;
    return 1;
}

/* Makes the snippet of text both ways; checks they are the same and leaves
 * the fast one in *out.  Returns 1 when they are the same. */
static int compare(analyzer *a, snippet_terms *t, const char *text, size_t target, const char *what,
                   struct snip *out)
{
    struct snip ref;
    int ok;
    CHECK(make(a, t, 1, text, target, &ref) == 0);
    CHECK(make(a, t, 0, text, target, out) == 0);
    ok = ref.text && out->text && strcmp(ref.text, out->text) == 0 &&
         same_marks(ref.marks, ref.n_marks, out->marks, out->n_marks) &&
         same_marks(ref.all, ref.n_all, out->all, out->n_all);
    CHECK_MSG(ok,
              "%s (target %zu): fast \"%s\" (%zu marks, %zu in all), reference \"%s\" (%zu, %zu)",
              what, target, out->text ? out->text : "(null)", out->n_marks, out->n_all,
              ref.text ? ref.text : "(null)", ref.n_marks, ref.n_all);
    snip_clear(&ref);
    return ok;
}

/* The marked stretches of a snippet, joined by '|'. */
static void marked(const struct snip *s, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n_marks && n + 1 < size; i++) {
        size_t len = s->marks[i].end - s->marks[i].start;
        if (n + len + 2 > size)
            break;
        if (i)
            out[n++] = '|';
        memcpy(out + n, s->text + s->marks[i].start, len);
        n += len;
        out[n] = '\0';
    }
}

/* ---- table-driven cases ---------------------------------------------------- */

struct snippet_case {
    const char *what;
    const char *text;
    const char *query;    /* words added with their stems */
    const char *names;    /* words added by their folded form only */
    const char *prefixes; /* '|'-separated prefixes */
    const char *want;     /* the marked stretches at 220 bytes, '|'-separated */
};

static const struct snippet_case cases[] = {
    {"plurals in -aux",
     "Les chevaux du cheval blanc galopent. Le journal et les journaux locaux en parlent.",
     "chevaux journal", NULL, NULL, "chevaux|cheval|journal|journaux"},
    {"accents and elisions",
     "L’École d’économie de l'université a ouvert. Aujourd'hui, l'économiste s’est exprimé sur "
     "l’ECOLE.",
     "ecole économie", NULL, NULL, "École|économie|économiste|ECOLE"},
    {"hyphens: parts and joined form",
     "Le porte-parole du gouvernement a parlé. Un porte-avions arrive ; la parole est aux portes.",
     "parole porte", NULL, NULL, "porte|parole|porte|parole|portes"},
    {"a hyphenated query word", "Le porte-parole a parlé au porteparole du parti, sans parole.",
     "porte-parole", NULL, NULL, "porte-parole|porteparole|parole"},
    {"two-letter words with one-letter stems",
     "Le PS et les Verts ont voté ; es, ms et rs ne sont pas des mots, ps non plus, e non plus.",
     "es ps", NULL, NULL, "PS|es|ps|e"},
    {"one-letter query words whose stem other words have",
     "Les sigles e, es, m, ms, p, ps, r et rs ; E et ES.", "e m", NULL, NULL, "e|es|m|ms|E|ES"},
    {"one-letter words", "A a à y Y, il y a un an, à Paris.", "y", NULL, NULL, "y|Y|y"},
    {"names searched as written",
     "Emmanuel Macron a rencontré Olaf Scholz à Berlin ; les macronistes applaudissent.", NULL,
     "Macron scholz", NULL, "Macron|Scholz"},
    {"numbers",
     "Le budget atteint 30 000 euros en 2024, soit 1,5 % de plus qu'en 2023 et 30000 ailleurs.",
     NULL, "30000 2024 1,5", NULL, "30 000|2024|1,5|30000"},
    {"prefixes",
     "La numérisation des numéros numériques, annoncée en novembre, n'a rien de nouveau.", NULL,
     NULL, "numer|nov", "numérisation|numéros|numériques|novembre"},
    {"a one-letter prefix",
     "La numérisation des numéros, annoncée en novembre, n'a rien de nouveau.", NULL, NULL, "n",
     "numérisation|numéros|novembre|nouveau"},
    {"stems and prefixes together",
     "Les élections européennes : l'élu a été élu, les électeurs ont élu.", "election", NULL, "elu",
     "élections|élu|élu|élu"},
    {"a word of another alphabet", "Le mot grec λόγος et le russe Москва, à Москве, sont cités.",
     "москва λογος", NULL, NULL, "λόγος|Москва"},
    {"dots and acronyms", "La S.N.C.F. et la SNCF publient sur www.exemple.fr et exemple.fr.",
     "sncf exemple", NULL, NULL, "S.N.C.F.|SNCF|exemple|exemple"},
    {"no match: the opening", "Rien à voir ici. Une deuxième phrase suit.", "chevaux", NULL, NULL,
     ""},
    {"an empty query word list", "Rien à voir ici.", NULL, NULL, NULL, ""},
};

static void test_cases(analyzer *a)
{
    static const size_t targets[] = {220, 12, 20, 40, 60, 1000};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct snippet_case *c = &cases[i];
        snippet_terms *t = snippet_terms_new();
        CHECK(t != NULL);
        if (!t)
            return;
        add_query(a, t, c->query, WORD_STEMMED);
        add_query(a, t, c->names, WORD_TERM_ONLY);
        add_prefixes(t, c->prefixes);
        for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
            struct snip s;
            compare(a, t, c->text, targets[k], c->what, &s);
            if (targets[k] == 220) {
                char got[512];
                marked(&s, got, sizeof got);
                CHECK_MSG(strcmp(got, c->want) == 0, "%s: marked \"%s\", want \"%s\"", c->what, got,
                          c->want);
            }
            snip_clear(&s);
        }
        snippet_terms_free(t);
    }
}

/* The early stop: once a window holds every word the scan ends just past it.
 * A hyphenated word straddling that end must be cut as the reference cuts
 * it, whatever the window: with the prefix gam* and 5 bytes, "gamma" of
 * "gamma-delta" completes the window, the reference stops at "delta" (past
 * the window) and marks "gamma"; a scan that went on would see the joined
 * form "gammadelta", which covers "gamma" and is longer than the snippet. */
static void test_early_stop(analyzer *a)
{
    static const char *const texts[] = {
        "alpha gammadelta gamma-delta alpha gammadelta gamma-delta-epsilon alpha",
        /* At 23 to 28 bytes the window completes at gammadelta and ends
         * inside gamma-delta: the reference stops at "delta", so the joined
         * form, which would make the window from the second alpha the best,
         * is never seen. */
        "alpha gammadelta alpha alpha gamma-delta",
        "alpha beta, puis gamma-delta et gamma-delta encore ; alpha-beta et beta-alpha.",
        "ab ab-cd cd ab-cd-ef ab cd-ab ab.cd ab'cd cd",
        "gamma-delta",
        "gamma-delta-alpha gamma",
    };
    static const char *const queries[] = {
        "alpha gammadelta", "alpha gamma-delta", "ab cd", "alphabeta delta", "cd", "gam*"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
            snippet_terms *t = snippet_terms_new();
            CHECK(t != NULL);
            if (!t)
                return;
            if (strchr(queries[q], '*'))
                add_prefixes(t, "gam");
            else
                add_query(a, t, queries[q], WORD_STEMMED);
            for (size_t target = 1; target <= 90; target++) {
                struct snip s;
                char what[128];
                snprintf(what, sizeof what, "early stop, text %zu, query \"%s\"", i, queries[q]);
                compare(a, t, texts[i], target, what, &s);
                snip_clear(&s);
            }
            snippet_terms_free(t);
        }
    }
}

/* Random texts from pieces chosen for their edge cases (hyphens, elisions,
 * dots, numbers, one- and two-letter words, accents), random words to mark
 * and random lengths: both scans must agree on every one. */
static void test_random(analyzer *a)
{
    static const char *const pieces[] = {
        "alpha",
        "gamma",
        "delta",
        "-",
        "-",
        " ",
        " ",
        " ",
        "'",
        "’",
        ".",
        ". ",
        ", ",
        "l'",
        "d’",
        "qu'",
        "aujourd'hui",
        "chevaux",
        "cheval",
        "Chevaux",
        "es",
        "e",
        "ES",
        "ps",
        "PS",
        "30 000",
        "1,5",
        "2024",
        "Élysée",
        "élysée",
        "porte-parole",
        "porte",
        "parole",
        "S.N.C.F.",
        "www.exemple.fr",
        "économie",
        "économiques",
        "\n",
        "a-t-il",
        "œuvre",
        "Œuvres",
        "y",
        "journaux",
        "journal",
        "numéros",
        "numérique",
        "\xC3",
        "\xE2\x80",
        "zz",
        "gamma-delta-alpha",
        "alpha-gamma",
    };
    static const char *const words[] = {
        "alpha", "gamma",   "delta",    "gammadelta", "cheval",       "chevaux",
        "es",    "e",       "ps",       "elysee",     "porte-parole", "parole",
        "sncf",  "exemple", "economie", "oeuvre",     "journal",      "y",
        "30000", "2024",    "1,5",      "numerique",  "aujourdhui",   "alphagamma",
    };
    static const char *const prefixes[] = {"", "a", "e", "gam", "chev", "num", "el", "30", "p"};
    size_t npieces = sizeof pieces / sizeof pieces[0], nwords = sizeof words / sizeof words[0];
    char text[2048], what[2400], query[200];

    for (int round = 0; round < 3000; round++) {
        size_t len = 0, n = 2 + rng() % 40, nq = 1 + rng() % 3;
        snippet_terms *t = snippet_terms_new();
        struct snip s;
        CHECK(t != NULL);
        if (!t)
            return;
        for (size_t k = 0; k < n; k++) {
            const char *p = pieces[rng() % npieces];
            size_t pl = strlen(p);
            if (len + pl + 2 >= sizeof text)
                break;
            memcpy(text + len, p, pl);
            len += pl;
            if (rng() % 2)
                text[len++] = ' ';
        }
        text[len] = '\0';
        query[0] = '\0';
        for (size_t q = 0; q < nq; q++) {
            uint32_t how = rng() % 8;
            const char *word = how == 0 ? prefixes[rng() % (sizeof prefixes / sizeof prefixes[0])]
                                        : words[rng() % nwords];
            if (how == 0)
                CHECK(snippet_terms_add_prefix(t, word) == KQ_OK);
            else
                add_query(a, t, word, how == 1 ? WORD_TERM_ONLY : WORD_STEMMED);
            snprintf(query + strlen(query), sizeof query - strlen(query), " %s%s", word,
                     how == 0   ? "*"
                     : how == 1 ? "(name)"
                                : "");
        }
        snprintf(what, sizeof what, "random text \"%s\", words%s", text, query);
        compare(a, t, text, 1 + rng() % 120, what, &s);
        snip_clear(&s);
        snippet_terms_free(t);
    }
}

/* snippet_mark_all keeps at most 64 marks, snippet_make 4096. */
static void test_many_hits(analyzer *a)
{
    size_t n = 5000, len = 0;
    char *text = malloc(n * 12 + 1);
    snippet_terms *t = snippet_terms_new();
    struct snip s;
    CHECK(text && t);
    if (!text || !t)
        goto out;
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, i % 3 ? "chevaux " : "autre mot ");
    add_query(a, t, "cheval", WORD_STEMMED);
    compare(a, t, text, 220, "many hits", &s);
    CHECK(s.n_all == 64);
    CHECK(s.n_marks > 10);
    snip_clear(&s);
out:
    snippet_terms_free(t);
    free(text);
}

/* ---- the real corpus ------------------------------------------------------- */

/* The tokens of one text, for drawing query words from it. */
struct words {
    char (*term)[64];
    unsigned char *stemmed; /* the term has a stem of its own (not a number) */
    size_t n, cap;
    /* The rule the term filter relies on, checked on every token. */
    size_t tokens, broken;
};

static int collect(void *ctx, const analyzer_token *tok)
{
    struct words *w = ctx;
    size_t k = tok->stem_len < 2 ? tok->stem_len : 2;
    w->tokens++;
    if (tok->stem_len == 0 || tok->term_len < k || memcmp(tok->stem, tok->term, k) != 0) {
        if (w->broken++ < 10)
            fprintf(stderr, "stem \"%s\" does not start like its term \"%s\"\n", tok->stem,
                    tok->term);
    }
    if ((tok->flags & (TOKEN_STOPWORD | TOKEN_COMPOUND)) || tok->term_len >= 64)
        return 0;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        void *t = realloc(w->term, cap * sizeof *w->term);
        void *s = t ? realloc(w->stemmed, cap) : NULL;
        if (t)
            w->term = t;
        if (!s)
            return 1;
        w->stemmed = s;
        w->cap = cap;
    }
    memcpy(w->term[w->n], tok->term, tok->term_len + 1);
    w->stemmed[w->n] = !(tok->flags & TOKEN_NUMBER);
    w->n++;
    return 0;
}

/* Draws query words from the article's own words (and one from the previous
 * article now and then), adds them as search.c would, and compares the two
 * scans over the chapô and body as search.c joins them. */
static void corpus_article(analyzer *a, const struct words *w, const char *prev_word,
                           const char *text, const char *title, size_t *compared)
{
    snippet_terms *t = snippet_terms_new();
    char stem[256];
    size_t nq = 1 + rng() % 3;
    CHECK(t != NULL);
    if (!t)
        return;
    for (size_t q = 0; q < nq && w->n; q++) {
        const char *term = w->term[rng() % w->n];
        uint32_t how = rng() % 10;
        if (how == 0) { /* a prefix of 1 to 5 bytes (on a code point) */
            char p[8];
            size_t n = 1 + rng() % 5, len = strlen(term);
            if (n > len)
                n = len;
            while (n < len && ((unsigned char)term[n] & 0xC0) == 0x80)
                n++;
            if (n < sizeof p) {
                memcpy(p, term, n);
                p[n] = '\0';
                CHECK(snippet_terms_add_prefix(t, p) == KQ_OK);
            }
        } else if (how == 1) { /* a name */
            CHECK(snippet_terms_add(t, term, NULL) == KQ_OK);
        } else { /* a word, with its stem */
            analyzer_stem(a, term, strlen(term), stem, sizeof stem);
            CHECK(snippet_terms_add(t, term, stem) == KQ_OK);
        }
    }
    if (prev_word && rng() % 4 == 0) {
        analyzer_stem(a, prev_word, strlen(prev_word), stem, sizeof stem);
        CHECK(snippet_terms_add(t, prev_word, stem) == KQ_OK);
    }
    {
        static const size_t targets[] = {220, 80, 400};
        struct snip s;
        size_t target = targets[rng() % 3];
        char what[300];
        snprintf(what, sizeof what, "article \"%.200s\"", title);
        if (compare(a, t, text, target, what, &s))
            (*compared)++;
        snip_clear(&s);
        /* The headline, marked whole. */
        CHECK(make(a, t, 1, title, 220, &s) == 0);
        {
            struct snip f;
            CHECK(make(a, t, 0, title, 220, &f) == 0);
            CHECK_MSG(same_marks(s.all, s.n_all, f.all, f.n_all), "headline \"%s\"", title);
            snip_clear(&f);
        }
        snip_clear(&s);
    }
    snippet_terms_free(t);
}

static void test_corpus(analyzer *a, size_t every)
{
    const char *path = getenv("KIOSQUE_CORPUS");
    char err[256], why[600], prev[64] = "";
    article_reader *r;
    article art = {0};
    size_t articles = 0, compared = 0, tokens = 0, broken = 0;
    kq_status st;

    if (!path)
        path = KQ_FIXTURES "/../../../shared/corpus/orangesum-fr.jsonl.gz";
    r = article_reader_open(path, err, sizeof err);
    if (!r) {
        snprintf(why, sizeof why, "corpus %s is absent (set KIOSQUE_CORPUS to its path): %s", path,
                 err);
        harness_skip(why);
    }
    while ((st = article_reader_next(r, &art, err, sizeof err)) != KQ_END) {
        struct words w = {0};
        const char *fields[2] = {art.description ? art.description : "", art.body ? art.body : ""};
        size_t dl, bl;
        char *text;
        if (st != KQ_OK)
            continue;
        articles++;
        /* Every token of every article checks the stem rule. */
        CHECK(analyzer_run(a, art.title, strlen(art.title), 1, ANALYZER_DOCUMENT, collect, &w,
                           NULL) == KQ_OK);
        for (int f = 0; f < 2; f++)
            CHECK(analyzer_run(a, fields[f], strlen(fields[f]), 1, ANALYZER_DOCUMENT, collect, &w,
                               NULL) == KQ_OK);
        tokens += w.tokens;
        broken += w.broken;
        if (articles % every == 0) {
            dl = strlen(fields[0]);
            bl = strlen(fields[1]);
            text = malloc(dl + bl + 3);
            CHECK(text != NULL);
            if (text) {
                size_t at = dl;
                memcpy(text, fields[0], dl);
                if (dl && bl)
                    text[at++] = '\n', text[at++] = '\n';
                memcpy(text + at, fields[1], bl);
                text[at + bl] = '\0';
                corpus_article(a, &w, prev[0] ? prev : NULL, text, art.title, &compared);
                free(text);
            }
            if (w.n)
                snprintf(prev, sizeof prev, "%s", w.term[rng() % w.n]);
        }
        free(w.term);
        free(w.stemmed);
    }
    article_clear(&art);
    article_reader_close(r);
    CHECK_MSG(articles > 1000, "corpus: %zu articles", articles);
    CHECK_MSG(broken == 0, "corpus: %zu of %zu tokens break the stem rule", broken, tokens);
    printf("corpus: %zu articles, %zu tokens checked for the stem rule, %zu snippets compared\n",
           articles, tokens, compared);
}

int main(int argc, char **argv)
{
    analyzer *a = analyzer_new();
    CHECK(a != NULL);
    if (!a)
        return harness_exit("test_snippet");
    if (argc > 1 && strcmp(argv[1], "--corpus") == 0) {
        test_corpus(a, argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 4);
        analyzer_free(a);
        return harness_exit("test_snippet --corpus");
    }
    test_cases(a);
    test_early_stop(a);
    test_random(a);
    test_many_hits(a);
    analyzer_free(a);
    return harness_exit("test_snippet");
}
