/* test_analyzer: table-driven tests of the French analyzer (shared/analyzer.h). */
#include "analyzer.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One expected token.  flags must all be set on the token and noflags must
 * all be clear; a start of -1 and NULL exact/stem are not checked. */
struct want {
    const char *term;
    unsigned pos;
    unsigned flags;
    long start, end;
    const char *exact;
    const char *stem;
    unsigned noflags;
};

#define MAX_WANT 16

struct row {
    const char *name;
    const char *text;
    size_t len;              /* 0: strlen(text) */
    struct want w[MAX_WANT]; /* ends at the first NULL term */
};

enum {
    STOP = TOKEN_STOPWORD,
    CAP = TOKEN_CAPITALISED,
    NUM = TOKEN_NUMBER,
    PART = TOKEN_PART,
    COMP = TOKEN_COMPOUND,
    SENT = TOKEN_SENTENCE_START,
    ACR = TOKEN_ACRONYM,
};

/* Tokens collected from one run, copied out of the callback. */
struct got {
    char term[160], exact[160], stem[160];
    unsigned pos, flags;
    size_t start, end;
};

struct sink {
    struct got t[1024];
    size_t n;
    size_t stop_after; /* 0: never stop */
};

static int collect(void *ctx, const analyzer_token *tok)
{
    struct sink *s = ctx;
    struct got *g;

    CHECK(tok->term && tok->exact && tok->stem);
    CHECK(strlen(tok->term) == tok->term_len);
    CHECK(strlen(tok->exact) == tok->exact_len);
    CHECK(strlen(tok->stem) == tok->stem_len);
    CHECK(tok->term_len > 0);
    CHECK(tok->start < tok->end);
    if (s->n < sizeof s->t / sizeof s->t[0]) {
        g = &s->t[s->n];
        snprintf(g->term, sizeof g->term, "%s", tok->term);
        snprintf(g->exact, sizeof g->exact, "%s", tok->exact);
        snprintf(g->stem, sizeof g->stem, "%s", tok->stem);
        g->pos = tok->position;
        g->flags = tok->flags;
        g->start = tok->start;
        g->end = tok->end;
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

/* U+2019, U+02BC, U+2018 apostrophes; U+00A0, U+202F, U+2009 spaces;
 * U+2010, U+2011 hyphens. */
#define RSQ "\xe2\x80\x99"
#define MLA "\xca\xbc"
#define LSQ "\xe2\x80\x98"
#define NBSP "\xc2\xa0"
#define NNBSP "\xe2\x80\xaf"
#define THIN "\xe2\x80\x89"
#define HY "\xe2\x80\x90"
#define NBHY "\xe2\x80\x91"

static const struct row rows[] = {
    {"empty", "", 0, {{NULL, 0, 0, -1, -1, NULL, NULL, 0}}},
    {"only separators", " \t\n.,;:!?-'\"()" RSQ, 0, {{NULL, 0, 0, -1, -1, NULL, NULL, 0}}},
    {"simple words and offsets",
     "Le chat dort",
     0,
     {{"le", 0, STOP | CAP | SENT, 0, 2, "le", "le", 0},
      {"chat", 1, 0, 3, 7, "chat", "chat", STOP | CAP | SENT},
      {"dort", 2, 0, 8, 12, "dort", "dort", 0}}},

    /* Elision: every elided form, with the straight apostrophe. */
    {"elision with '",
     "l'arbre d'eau j'ai m'a n'est s'il t'aime c'est qu'elle jusqu'ici lorsqu'on puisqu'une "
     "quoiqu'ils",
     0,
     {{"arbre", 0, SENT, 2, 7, NULL, "arbre", 0},
      {"eau", 1, 0, 10, 13, NULL, NULL, STOP},
      {"ai", 2, STOP, 16, 18, NULL, NULL, 0},
      {"a", 3, STOP, 21, 22, NULL, NULL, 0},
      {"est", 4, STOP, 25, 28, NULL, NULL, 0},
      {"il", 5, STOP, 31, 33, NULL, NULL, 0},
      {"aime", 6, 0, 36, 40, NULL, "aim", 0},
      {"est", 7, STOP, 43, 46, NULL, NULL, 0},
      {"elle", 8, STOP, 50, 54, NULL, NULL, 0},
      {"ici", 9, 0, 61, 64, NULL, NULL, 0},
      {"on", 10, STOP, 72, 74, NULL, NULL, 0},
      {"une", 11, STOP, 82, 85, NULL, NULL, 0},
      {"ils", 12, STOP, 93, 96, NULL, "il", 0}}},
    {"elision with U+2019: highlight only the word",
     "l" RSQ "intelligence artificielle",
     0,
     {{"intelligence", 0, SENT, 4, 16, "intelligence", "intelligent", 0},
      {"artificielle", 1, 0, 17, 29, NULL, "artificiel", 0}}},
    {"elision with U+02BC",
     "l" MLA "intelligence",
     0,
     {{"intelligence", 0, 0, 3, 15, NULL, NULL, 0}}},
    {"elision with U+2018", "d" LSQ "abord", 0, {{"abord", 0, 0, 4, 9, NULL, NULL, 0}}},
    {"elision in capitals",
     "L'Express QU" RSQ "IL D'ABORD",
     0,
     {{"express", 0, CAP | SENT, 2, 9, NULL, NULL, 0},
      {"il", 1, CAP | ACR | STOP, 15, 17, NULL, NULL, 0},
      {"abord", 2, CAP | ACR, 20, 25, NULL, NULL, 0}}},
    {"elision with all forms and U+2019",
     "j" RSQ "ai qu" RSQ "on jusqu" RSQ "au lorsqu" RSQ "elle puisqu" RSQ "il quoiqu" RSQ "elle",
     0,
     {{"ai", 0, 0, -1, -1, NULL, NULL, 0},
      {"on", 1, 0, -1, -1, NULL, NULL, 0},
      {"au", 2, STOP, -1, -1, NULL, NULL, 0},
      {"elle", 3, 0, -1, -1, NULL, NULL, 0},
      {"il", 4, 0, -1, -1, NULL, NULL, 0},
      {"elle", 5, 0, -1, -1, NULL, NULL, 0}}},
    {"elided article then lexicalised word",
     "d'aujourd'hui",
     0,
     {{"aujourdhui", 0, 0, 2, 13, "aujourdhui", "aujourdhui", STOP}}},
    {"apostrophe without a word after it keeps the letter",
     "l' arbre",
     0,
     {{"l", 0, STOP, 0, 1, NULL, NULL, 0}, {"arbre", 1, 0, 3, 8, NULL, NULL, 0}}},
    {"other apostrophes split words",
     "don't 'citation'",
     0,
     {{"don", 0, 0, 0, 3, NULL, NULL, 0},
      {"t", 1, STOP, 4, 5, NULL, NULL, 0},
      {"citation", 2, 0, 7, 15, NULL, NULL, 0}}},

    /* Lexicalised words: one term without apostrophe, whatever the apostrophe. */
    {"lexicalised words",
     "aujourd'hui aujourd" RSQ "hui aujourd" MLA "hui presqu'île quelqu'un quelqu" RSQ
     "une prud'hommes",
     0,
     {{"aujourdhui", 0, SENT, 0, 11, NULL, NULL, 0},
      {"aujourdhui", 1, 0, 12, 25, NULL, NULL, 0},
      {"aujourdhui", 2, 0, 26, 38, NULL, NULL, 0},
      {"presquile", 3, 0, 39, 50, "presquîle", "presquil", 0},
      {"quelquun", 4, 0, 51, 60, NULL, NULL, 0},
      {"quelquune", 5, 0, 61, 73, NULL, NULL, 0},
      {"prudhommes", 6, 0, 74, 85, NULL, "prudhomm", 0}}},

    /* Accents, case, ligatures, NFKC. */
    {"accents fold, exact keeps them",
     "école ecole École ÉCOLE",
     0,
     {{"ecole", 0, SENT, 0, 6, "école", "ecol", CAP},
      {"ecole", 1, 0, 7, 12, "ecole", "ecol", CAP},
      {"ecole", 2, CAP, 13, 19, "école", "ecol", ACR},
      {"ecole", 3, CAP | ACR, 20, 26, "école", "ecol", 0}}},
    {"Élections stems like élection",
     "Élections élection elections",
     0,
     {{"elections", 0, CAP, 0, 10, "élections", "elect", 0},
      {"election", 1, 0, 11, 20, "élection", "elect", 0},
      {"elections", 2, 0, 21, 30, "elections", "elect", 0}}},
    {"ligatures",
     "œuvre oeuvre Œuvre cœur coeur Æsthète",
     0,
     {{"oeuvre", 0, 0, 0, 6, "œuvre", "oeuvr", 0},
      {"oeuvre", 1, 0, 7, 13, "oeuvre", "oeuvr", 0},
      {"oeuvre", 2, CAP, 14, 20, "œuvre", "oeuvr", 0},
      {"coeur", 3, 0, 21, 26, "cœur", "coeur", 0},
      {"coeur", 4, 0, 27, 32, "coeur", "coeur", 0},
      {"aesthete", 5, CAP, 33, 42, "æsthète", "aesthet", 0}}},
    {"NFKC: fi ligature and full-width forms",
     "\xef\xac\x81nance \xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3\xef\xbc\x91\xef\xbc\x92",
     0,
     {{"finance", 0, 0, 0, 8, "finance", "financ", 0},
      {"abc12", 1, CAP | ACR, 9, 24, "abc12", "abc12", 0}}},
    {"combining accent and soft hyphen",
     "e\xcc\x81"
     "cole inter\xc2\xadnational",
     0,
     {{"ecole", 0, 0, 0, 7,
       "\xc3\xa9"
       "cole",
       "ecol", 0},
      {"international", 1, 0, 8, 23, "international", NULL, 0}}},

    /* Hyphens. */
    {"porte-parole",
     "porte-parole",
     0,
     {{"porte", 0, PART | SENT, 0, 5, "porte", "port", COMP},
      {"parole", 1, PART, 6, 12, "parole", "parol", COMP | SENT},
      {"porteparole", 0, COMP | SENT, 0, 12, "porteparole", "porteparol", PART}}},
    {"États-Unis",
     "les États-Unis",
     0,
     {{"les", 0, STOP, -1, -1, NULL, NULL, 0},
      {"etats", 1, PART | CAP, 4, 10, "états", "etat", 0},
      {"unis", 2, PART | CAP, 11, 15, "unis", NULL, 0},
      {"etatsunis", 1, COMP | CAP, 4, 15, "étatsunis", "etatsun", 0}}},
    {"COVID-19",
     "COVID-19",
     0,
     {{"covid", 0, PART | ACR, 0, 5, NULL, NULL, 0},
      {"19", 1, PART | NUM, 6, 8, "19", "19", 0},
      {"covid19", 0, COMP | ACR, 0, 8, "covid19", "covid19", 0}}},
    {"Unicode hyphens",
     "porte" HY "parole porte" NBHY "parole",
     0,
     {{"porte", 0, PART, -1, -1, NULL, NULL, 0},
      {"parole", 1, PART, 8, 14, NULL, NULL, 0},
      {"porteparole", 0, COMP, 0, 14, NULL, NULL, 0},
      {"porte", 2, PART, 15, 20, NULL, NULL, 0},
      {"parole", 3, PART, 23, 29, NULL, NULL, 0},
      {"porteparole", 2, COMP, 15, 29, NULL, NULL, 0}}},
    {"hyphen chain with a stop word",
     "arc-en-ciel",
     0,
     {{"arc", 0, PART, -1, -1, NULL, NULL, 0},
      {"en", 1, PART | STOP, -1, -1, NULL, NULL, 0},
      {"ciel", 2, PART, -1, -1, NULL, NULL, 0},
      {"arcenciel", 0, COMP, 0, 11, NULL, NULL, 0}}},
    {"elision before a hyphenated word",
     "c'est-à-dire",
     0,
     {{"est", 0, PART | STOP, 2, 5, NULL, NULL, 0},
      {"a", 1, PART | STOP, 6, 8, "à", NULL, 0},
      {"dire", 2, PART, 9, 13, NULL, NULL, 0},
      {"estadire", 0, COMP, 2, 13, "estàdire", NULL, 0}}},
    {"loose hyphens separate",
     "-porte parole- a - b",
     0,
     {{"porte", 0, 0, 1, 6, NULL, NULL, PART},
      {"parole", 1, 0, 7, 13, NULL, NULL, PART},
      {"a", 2, STOP, 15, 16, NULL, NULL, 0},
      {"b", 3, 0, 19, 20, NULL, NULL, 0}}},
    {"inverted pronouns have no joined form",
     "a-t-il dit-elle rendez-vous",
     0,
     {{"a", 0, PART | STOP, 0, 1, NULL, NULL, 0},
      {"t", 1, PART | STOP, 2, 3, NULL, NULL, 0},
      {"il", 2, PART | STOP, 4, 6, NULL, NULL, 0},
      {"dit", 3, PART, 7, 10, NULL, NULL, 0},
      {"elle", 4, PART | STOP, 11, 15, NULL, NULL, 0},
      {"rendez", 5, PART, 16, 22, NULL, NULL, 0},
      {"vous", 6, PART | STOP, 23, 27, NULL, NULL, 0},
      {"rendezvous", 5, COMP, 16, 27, NULL, NULL, 0}}},
    {"elision inside a hyphenated word",
     "Côte-d'Ivoire",
     0,
     {{"cote", 0, PART | CAP, 0, 5, "côte", "cot", 0},
      {"ivoire", 1, PART | CAP, 8, 14, NULL, NULL, 0},
      {"coteivoire", 0, COMP | CAP, 0, 14, "côteivoire", NULL, 0}}},
    {"joined forms for up to four parts",
     "Provence-Alpes-Côte-d'Azur un-deux-trois-quatre-cinq",
     0,
     {{"provence", 0, PART, 0, 8, NULL, NULL, 0},
      {"alpes", 1, PART, 9, 14, NULL, NULL, 0},
      {"cote", 2, PART, 15, 20, NULL, NULL, 0},
      {"azur", 3, PART, 23, 27, NULL, NULL, 0},
      {"provencealpescoteazur", 0, COMP, 0, 27, NULL, NULL, 0},
      {"un", 4, PART | STOP, 28, 30, NULL, NULL, 0},
      {"deux", 5, PART, 31, 35, NULL, NULL, 0},
      {"trois", 6, PART, 36, 41, NULL, NULL, 0},
      {"quatre", 7, PART, 42, 48, NULL, NULL, 0},
      {"cinq", 8, PART, 49, 53, NULL, NULL, 0}}},
    {"number ranges have no joined form",
     "2019-2020",
     0,
     {{"2019", 0, NUM, 0, 4, NULL, NULL, PART}, {"2020", 1, NUM, 5, 9, NULL, NULL, PART}}},

    /* Numbers. */
    {"grouped thousands",
     "30 000 30" NBSP "000 30" NNBSP "000 30" THIN "000 1 000 000",
     0,
     {{"30000", 0, NUM, 0, 6, "30000", "30000", 0},
      {"30000", 1, NUM, 7, 14, NULL, NULL, 0},
      {"30000", 2, NUM, 15, 23, NULL, NULL, 0},
      {"30000", 3, NUM, 24, 32, NULL, NULL, 0},
      {"1000000", 4, NUM, 33, 42, NULL, NULL, 0}}},
    {"thousands written with dots",
     "100.000 1.000.000 3.500 1.000,50 2.0 6.75 1234.567",
     0,
     {{"100000", 0, NUM, 0, 7, "100000", "100000", 0},
      {"1000000", 1, NUM, 8, 17, NULL, NULL, 0},
      {"3500", 2, NUM, 18, 23, NULL, NULL, 0},
      {"1000,50", 3, NUM, 24, 32, NULL, NULL, 0},
      {"2.0", 4, NUM, 33, 36, NULL, NULL, 0},
      {"6.75", 5, NUM, 37, 41, NULL, NULL, 0},
      {"1234.567", 6, NUM, 42, 50, NULL, NULL, 0}}},
    {"groups must be three digits after one to three",
     "12 3456 1234 567 12 34",
     0,
     {{"12", 0, NUM, -1, -1, NULL, NULL, 0},
      {"3456", 1, NUM, -1, -1, NULL, NULL, 0},
      {"1234", 2, NUM, -1, -1, NULL, NULL, 0},
      {"567", 3, NUM, -1, -1, NULL, NULL, 0},
      {"12", 4, 0, -1, -1, NULL, NULL, 0},
      {"34", 5, 0, -1, -1, NULL, NULL, 0}}},
    {"decimals and years",
     "1,5 3.14 2024 30 000,50 en 2020, 3",
     0,
     {{"1,5", 0, NUM, 0, 3, "1,5", "1,5", 0},
      {"3.14", 1, NUM, 4, 8, "3.14", "3.14", 0},
      {"2024", 2, NUM, 9, 13, "2024", "2024", 0},
      {"30000,50", 3, NUM, 14, 23, NULL, NULL, 0},
      {"en", 4, STOP, -1, -1, NULL, NULL, 0},
      {"2020", 5, NUM, 27, 31, NULL, NULL, 0},
      {"3", 6, NUM, 33, 34, NULL, NULL, 0}}},
    {"ordinals stay words",
     "1er 2e XXIe 19e",
     0,
     {{"1er", 0, 0, 0, 3, "1er", "1er", NUM},
      {"2e", 1, 0, 4, 6, "2e", "2e", NUM},
      {"xxie", 2, CAP, 7, 11, "xxie", "xxi", NUM | ACR},
      {"19e", 3, 0, 12, 15, "19e", "19e", NUM}}},

    /* Dots. */
    {"glued sentences",
     "domestique.Consternant fin.Le",
     0,
     {{"domestique", 0, SENT, 0, 10, NULL, "domest", 0},
      {"consternant", 1, CAP | SENT, 11, 22, NULL, "constern", PART | COMP},
      {"fin", 2, 0, 23, 26, NULL, NULL, SENT},
      {"le", 3, SENT | CAP | STOP, 27, 29, NULL, NULL, 0}}},
    {"dotted acronyms",
     "la S.N.C.F. et la S.N.C.F",
     0,
     {{"la", 0, STOP, -1, -1, NULL, NULL, 0},
      {"sncf", 1, ACR | CAP, 3, 11, "sncf", "sncf", 0},
      {"et", 2, STOP, -1, -1, NULL, NULL, 0},
      {"la", 3, STOP, -1, -1, NULL, NULL, 0},
      {"sncf", 4, ACR | CAP, 18, 25, NULL, NULL, 0}}},
    {"plain acronyms",
     "SNCF OTAN Paris A",
     0,
     {{"sncf", 0, ACR | CAP, -1, -1, NULL, NULL, 0},
      {"otan", 1, ACR | CAP, -1, -1, NULL, NULL, 0},
      {"paris", 2, CAP, 10, 15, NULL, NULL, ACR},
      {"a", 3, CAP | STOP, 16, 17, NULL, NULL, ACR}}},
    {"domain names: parts, then the whole name",
     "www.exemple.fr exemple.fr",
     0,
     {{"www", 0, PART, 0, 3, NULL, NULL, 0},
      {"exemple", 1, PART, 4, 11, NULL, "exempl", 0},
      {"fr", 2, PART, 12, 14, NULL, NULL, 0},
      {"www.exemple.fr", 0, COMP, 0, 14, "www.exemple.fr", "www.exemple.fr", 0},
      {"exemple", 3, PART, 15, 22, NULL, NULL, 0},
      {"fr", 4, PART, 23, 25, NULL, NULL, 0},
      {"exemple.fr", 3, COMP, 15, 25, NULL, NULL, 0}}},
    {"sentence starts",
     "Il pleut. Elle rit! on sort\xe2\x80\xa6 Fin",
     0,
     {{"il", 0, SENT | CAP | STOP, -1, -1, NULL, NULL, 0},
      {"pleut", 1, 0, 3, 8, NULL, NULL, SENT},
      {"elle", 2, SENT, -1, -1, NULL, NULL, 0},
      {"rit", 3, 0, -1, -1, NULL, NULL, SENT},
      {"on", 4, SENT, -1, -1, NULL, NULL, 0},
      {"sort", 5, 0, -1, -1, NULL, NULL, SENT},
      {"fin", 6, SENT, -1, -1, NULL, NULL, 0}}},

    /* Stop words keep their positions, so phrases still match. */
    {"stop words flagged with positions",
     "Le Monde et La Poste",
     0,
     {{"le", 0, STOP | CAP, 0, 2, NULL, NULL, 0},
      {"monde", 1, CAP, 3, 8, NULL, "mond", STOP},
      {"et", 2, STOP, -1, -1, NULL, NULL, 0},
      {"la", 3, STOP | CAP, -1, -1, NULL, NULL, 0},
      {"poste", 4, CAP, 15, 20, NULL, "post", STOP}}},
    {"où and été are stop words once folded",
     "où été",
     0,
     {{"ou", 0, STOP, 0, 3, "où", NULL, 0}, {"ete", 1, STOP, 4, 9, "été", NULL, 0}}},
    {"offsets of an accented word",
     "À l'École",
     0,
     {{"a", 0, STOP | CAP, 0, 2, "à", NULL, 0}, {"ecole", 1, CAP, 5, 11, "école", "ecol", 0}}},

    /* Invalid UTF-8 separates and never enters a token. */
    {"invalid bytes separate",
     "ab\xff"
     "cd \xe9t\xe9 x\xc0\xafy \xed\xa0\x80z end\xc3",
     0,
     {{"ab", 0, 0, 0, 2, NULL, NULL, 0},
      {"cd", 1, 0, 3, 5, NULL, NULL, 0},
      {"t", 2, STOP, 7, 8, NULL, NULL, 0},
      {"x", 3, 0, 10, 11, NULL, NULL, 0},
      {"y", 4, STOP, 13, 14, NULL, NULL, 0},
      {"z", 5, 0, 18, 19, NULL, NULL, 0},
      {"end", 6, 0, 20, 23, NULL, NULL, 0}}},
    {"truncated sequences at the end", "mot\xe2\x80", 0, {{"mot", 0, 0, 0, 3, NULL, NULL, 0}}},
    {"NUL bytes separate",
     "un\0deux",
     7,
     {{"un", 0, STOP, 0, 2, NULL, NULL, 0}, {"deux", 1, 0, 3, 7, NULL, NULL, 0}}},
};

static int check_row(analyzer *a, const struct row *r)
{
    static struct sink s;
    size_t len = r->len ? r->len : strlen(r->text), n = 0, k;
    unsigned next = 12345;
    kq_status st;
    int before = harness_failures;

    memset(&s, 0, sizeof s);
    st = analyzer_run(a, r->text, len, 0, ANALYZER_DOCUMENT, collect, &s, &next);
    CHECK_MSG(st == KQ_OK, "%s: status %d", r->name, (int)st);
    while (n < MAX_WANT && r->w[n].term)
        n++;
    CHECK_MSG(s.n == n, "%s: %zu tokens, want %zu", r->name, s.n, n);
    for (k = 0; k < n && k < s.n; k++) {
        const struct want *w = &r->w[k];
        const struct got *g = &s.t[k];
        CHECK_MSG(strcmp(g->term, w->term) == 0, "%s #%zu: term \"%s\", want \"%s\"", r->name, k,
                  g->term, w->term);
        CHECK_MSG(g->pos == w->pos, "%s #%zu (%s): position %u, want %u", r->name, k, w->term,
                  g->pos, w->pos);
        CHECK_MSG((g->flags & w->flags) == w->flags, "%s #%zu (%s): flags %#x lack %#x", r->name, k,
                  w->term, g->flags, w->flags);
        CHECK_MSG((g->flags & w->noflags) == 0, "%s #%zu (%s): flags %#x have %#x", r->name, k,
                  w->term, g->flags, w->noflags);
        if (w->start >= 0) {
            CHECK_MSG(g->start == (size_t)w->start && g->end == (size_t)w->end,
                      "%s #%zu (%s): offsets [%zu,%zu), want [%ld,%ld)", r->name, k, w->term,
                      g->start, g->end, w->start, w->end);
        }
        if (w->exact)
            CHECK_MSG(strcmp(g->exact, w->exact) == 0, "%s #%zu: exact \"%s\", want \"%s\"",
                      r->name, k, g->exact, w->exact);
        if (w->stem)
            CHECK_MSG(strcmp(g->stem, w->stem) == 0, "%s #%zu: stem \"%s\", want \"%s\"", r->name,
                      k, g->stem, w->stem);
    }
    /* next_position is one past the highest position given. */
    {
        unsigned want_next = 0;
        for (k = 0; k < n; k++)
            if (r->w[k].pos + 1 > want_next)
                want_next = r->w[k].pos + 1;
        CHECK_MSG(next == want_next, "%s: next_position %u, want %u", r->name, next, want_next);
    }
    if (harness_failures != before) {
        for (k = 0; k < s.n && k < 64; k++)
            fprintf(stderr, "    got %s pos=%u flags=%#x [%zu,%zu) exact=%s stem=%s\n", s.t[k].term,
                    s.t[k].pos, s.t[k].flags, s.t[k].start, s.t[k].end, s.t[k].exact, s.t[k].stem);
    }
    return 0;
}

/* Offsets must be exact byte offsets: the surface text between them is what
 * a reader sees highlighted. */
static void test_highlight(analyzer *a)
{
    static struct sink s;
    const char *text = "Selon l" RSQ "intelligence de l'École, c'est aujourd" RSQ "hui.";
    const char *want[] = {"Selon", "intelligence", "de", "École", "est", "aujourd" RSQ "hui"};
    size_t k;

    memset(&s, 0, sizeof s);
    CHECK(analyzer_run(a, text, strlen(text), 0, ANALYZER_DOCUMENT, collect, &s, NULL) == KQ_OK);
    CHECK(s.n == sizeof want / sizeof want[0]);
    for (k = 0; k < s.n && k < sizeof want / sizeof want[0]; k++) {
        size_t n = s.t[k].end - s.t[k].start;
        CHECK_MSG(n == strlen(want[k]) && memcmp(text + s.t[k].start, want[k], n) == 0,
                  "highlight #%zu: \"%.*s\", want \"%s\"", k, (int)n, text + s.t[k].start, want[k]);
    }
}

static void test_long_words(analyzer *a)
{
    static struct sink s;
    size_t n = 100000, k;
    char *text = malloc(n * 2 + 8);

    CHECK(text != NULL);
    if (!text)
        return;
    /* ASCII: one token covering the whole word, its term cut. */
    memset(text, 'a', n);
    memset(&s, 0, sizeof s);
    CHECK(analyzer_run(a, text, n, 0, ANALYZER_DOCUMENT, collect, &s, NULL) == KQ_OK);
    CHECK(s.n == 1);
    CHECK(s.t[0].start == 0 && s.t[0].end == n);
    CHECK(strlen(s.t[0].term) > 0 && strlen(s.t[0].term) <= 245);

    /* Accented: the slow path, cut at a code point of the exact form. */
    for (k = 0; k < n; k++)
        memcpy(text + 2 * k, "\xc3\xa9", 2);
    memcpy(text + 2 * n, " fin", 4);
    memset(&s, 0, sizeof s);
    CHECK(analyzer_run(a, text, 2 * n + 4, 0, ANALYZER_DOCUMENT, collect, &s, NULL) == KQ_OK);
    CHECK(s.n == 2);
    CHECK(s.t[0].end == 2 * n);
    CHECK(strspn(s.t[0].term, "e") == strlen(s.t[0].term) && strlen(s.t[0].term) > 0);
    CHECK(strlen(s.t[0].exact) % 2 == 0 && strlen(s.t[0].exact) > 0);
    CHECK_STR(s.t[1].term, "fin");
    CHECK(s.t[1].pos == 1);

    /* A very long hyphen chain: parts all emitted, no joined form when too long. */
    for (k = 0; k < 200; k++)
        memcpy(text + 3 * k, "ab-", 3);
    memcpy(text + 600, "ab", 2);
    memset(&s, 0, sizeof s);
    CHECK(analyzer_run(a, text, 602, 0, ANALYZER_DOCUMENT, collect, &s, NULL) == KQ_OK);
    {
        size_t parts = 0;
        for (k = 0; k < s.n; k++) {
            if (s.t[k].flags & TOKEN_PART)
                parts++;
            CHECK(strlen(s.t[k].term) <= 245);
        }
        CHECK(parts == 201);
    }
    free(text);
}

static void test_positions_and_stop(analyzer *a)
{
    static struct sink s;
    unsigned next = 0;
    const char *title = "La Poste", *body = "porte-parole du gouvernement";

    /* Two fields one after the other, with a gap the caller chooses. */
    memset(&s, 0, sizeof s);
    CHECK(analyzer_run(a, title, strlen(title), 100, ANALYZER_DOCUMENT, collect, &s, &next) ==
          KQ_OK);
    CHECK(next == 102);
    CHECK(analyzer_run(a, body, strlen(body), next + 10, ANALYZER_DOCUMENT, collect, &s, &next) ==
          KQ_OK);
    CHECK(s.n == 2 + 5);
    CHECK(s.t[0].pos == 100 && s.t[1].pos == 101);
    CHECK(s.t[2].pos == 112 && s.t[3].pos == 113 &&
          s.t[4].pos == 112); /* porte parole porteparole */
    CHECK(s.t[5].pos == 114 && s.t[6].pos == 115);
    CHECK(next == 116);

    /* A callback that stops early: KQ_OK, no more calls. */
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    next = 0;
    CHECK(analyzer_run(a, body, strlen(body), 0, ANALYZER_DOCUMENT, collect, &s, &next) == KQ_OK);
    CHECK(s.n == 2);
    CHECK(next == 2);

    /* Empty and NULL input. */
    memset(&s, 0, sizeof s);
    next = 0;
    CHECK(analyzer_run(a, NULL, 0, 7, ANALYZER_QUERY, collect, &s, &next) == KQ_OK);
    CHECK(s.n == 0 && next == 7);
    CHECK(analyzer_run(a, "", 0, 3, ANALYZER_QUERY, collect, &s, NULL) == KQ_OK);
    CHECK(analyzer_run(NULL, "x", 1, 0, ANALYZER_QUERY, collect, &s, NULL) == KQ_ERR_INVALID);
    CHECK(analyzer_run(a, "x", 1, 0, ANALYZER_QUERY, NULL, &s, NULL) == KQ_ERR_INVALID);
}

static void test_helpers(analyzer *a)
{
    static const struct {
        const char *in, *out;
    } folds[] = {
        {"Élections présidentielles", "elections presidentielles"},
        {"Jean-Pierre Œuvre", "jean-pierre oeuvre"},
        {"\xef\xac\x81nance, Cœur & Æ", "finance, coeur & ae"},
        {"L" RSQ "Équipe", "l" RSQ "equipe"},
        {"Rédaction" NBSP "Sport", "redaction sport"},
        {"a\xff"
         "b",
         "a b"},
        {"", ""},
    };
    static const struct {
        const char *in, *out;
    } stems[] = {
        {"elections", "elect"}, {"ecole", "ecol"},      {"manifestants", "manifest"},
        {"2024", "2024"},       {"covid19", "covid19"}, {"", ""},
    };
    const char *stop[] = {"le",   "la",   "les",  "de",   "du",   "et",   "ou",   "que",
                          "qui",  "dont", "ce",   "il",   "elle", "nous", "ne",   "pas",
                          "plus", "est",  "sont", "a",    "ont",  "ete",  "etre", "avoir",
                          "par",  "pour", "sur",  "dans", "avec", "sans", "sous", "entre",
                          "vers", "chez", "l",    "d",    "qu",   "y",    "en",   "auraient"};
    const char *not_stop[] = {"monde", "poste", "ecole", "", "lesx", "l'", "Le"};
    char buf[64];
    size_t k;

    for (k = 0; k < sizeof folds / sizeof folds[0]; k++) {
        char *f = analyzer_fold(folds[k].in, strlen(folds[k].in));
        CHECK_STR(f, folds[k].out);
        free(f);
    }
    for (k = 0; k < sizeof stems / sizeof stems[0]; k++) {
        size_t n = analyzer_stem(a, stems[k].in, strlen(stems[k].in), buf, sizeof buf);
        CHECK_STR(buf, stems[k].out);
        CHECK(n == strlen(stems[k].out));
    }
    CHECK(analyzer_stem(a, "elections", 9, buf, 3) == 2);
    CHECK_STR(buf, "el");
    /* Truncation never splits a code point ("électoral" is not folded here). */
    CHECK(analyzer_stem(a, "\xc3\xa9lectoral", 10, buf, 2) == 0);
    CHECK_STR(buf, "");
    CHECK(analyzer_stem(a, "elections", 9, buf, 0) == 0);
    for (k = 0; k < sizeof stop / sizeof stop[0]; k++)
        CHECK_MSG(analyzer_is_stopword(stop[k]), "%s should be a stop word", stop[k]);
    for (k = 0; k < sizeof not_stop / sizeof not_stop[0]; k++)
        CHECK_MSG(!analyzer_is_stopword(not_stop[k]), "%s should not be a stop word", not_stop[k]);
    CHECK(!analyzer_is_stopword(NULL));
}

/* Every word of a document is found by querying it as a person would type
 * it: as written, without accents (the term), and in capitals. */
static const char paragraph[] =
    "Aujourd\xe2\x80\x99hui, le porte-parole du gouvernement a annonc\xc3\xa9 que 30\xe2\x80\xaf"
    "000 \xc3\xa9l\xc3\xa8ves de l\xe2\x80\x99\xc3\xa9"
    "cole publique suivront un cours "
    "d\xe2\x80\x99intelligence artificielle \xc3\xa0 la rentr\xc3\xa9"
    "e.Les \xc3\x89tats-Unis "
    "et la S.N.C.F. ont salu\xc3\xa9 cette \xc5\x93uvre commune, selon www.exemple.fr. "
    "Les prud\xe2\x80\x99hommes, presqu\xe2\x80\x99\xc3\xaele et c\xc5\x93ur du XXIe si\xc3\xa8"
    "cle : 1,5 million d\xe2\x80\x99"
    "euros pour la COVID-19 en 2024. Quelqu\xe2\x80\x99un "
    "l\xe2\x80\x99"
    "a dit : \xc2\xab\xc2\xa0"
    "C\xe2\x80\x99"
    "est l\xe2\x80\x99\xc5\x92uvre d\xe2\x80\x99"
    "une g\xc3\xa9n\xc3\xa9ration\xc2\xa0\xc2\xbb, a d\xc3\xa9"
    "clar\xc3\xa9 le ministre de "
    "l\xe2\x80\x99\xc3\x89"
    "conomie, Fran\xc3\xa7ois B\xc3\xa9rang\xc3\xa8re.";

static int query_has(analyzer *a, const char *q, size_t qlen, const struct got *want,
                     int must_be_alone)
{
    static struct sink s;
    size_t k;

    memset(&s, 0, sizeof s);
    if (analyzer_run(a, q, qlen, 0, ANALYZER_QUERY, collect, &s, NULL) != KQ_OK)
        return 0;
    if (must_be_alone && s.n != 1)
        return 0;
    for (k = 0; k < s.n; k++)
        if (strcmp(s.t[k].term, want->term) == 0 && strcmp(s.t[k].stem, want->stem) == 0)
            return 1;
    return 0;
}

static void test_query_finds_document_words(analyzer *a)
{
    static struct sink doc;
    size_t k, checked = 0;

    memset(&doc, 0, sizeof doc);
    CHECK(analyzer_run(a, paragraph, strlen(paragraph), 0, ANALYZER_DOCUMENT, collect, &doc,
                       NULL) == KQ_OK);
    CHECK(doc.n > 60);
    for (k = 0; k < doc.n; k++) {
        const struct got *g = &doc.t[k];
        char upper[160];
        size_t i, n = strlen(g->term);
        /* A lone word gives itself back alone; a joined form is among its parts. */
        int alone = !(g->flags & TOKEN_COMPOUND);

        if (g->flags & TOKEN_STOPWORD)
            continue;
        checked++;
        CHECK_MSG(query_has(a, paragraph + g->start, g->end - g->start, g, alone),
                  "surface \"%.*s\" does not find %s/%s", (int)(g->end - g->start),
                  paragraph + g->start, g->term, g->stem);
        CHECK_MSG(query_has(a, g->term, n, g, 0), "typed \"%s\" does not find %s/%s", g->term,
                  g->term, g->stem);
        for (i = 0; i <= n && i < sizeof upper; i++)
            upper[i] =
                (char)(g->term[i] >= 'a' && g->term[i] <= 'z' ? g->term[i] - 32 : g->term[i]);
        CHECK_MSG(query_has(a, upper, n, g, 0), "typed \"%s\" does not find %s/%s", upper, g->term,
                  g->stem);
        CHECK_MSG(query_has(a, g->exact, strlen(g->exact), g, 0),
                  "typed \"%s\" does not find %s/%s", g->exact, g->term, g->stem);
    }
    CHECK(checked > 40);

    /* Capitals with accents, as some people type them. */
    {
        struct got want = {"ecole", "", "ecol", 0, 0, 0, 0};
        struct got want2 = {"etatsunis", "", "etatsun", 0, 0, 0, 0};
        CHECK(query_has(a,
                        "\xc3\x89"
                        "COLE",
                        6, &want, 1));
        CHECK(query_has(a, "ECOLE", 5, &want, 1));
        CHECK(query_has(a, "ETATS-UNIS", 10, &want2, 0));
        CHECK(query_has(a, "\xc3\x89tats\xe2\x80\x91Unis", 13, &want2, 0));
    }
}

/* Random bytes biased towards the analyzer's special characters must never
 * crash, overread (run under the sanitizer build) or give a token with an
 * invalid UTF-8 term or offsets outside the input. */
static int check_fuzz_token(void *ctx, const analyzer_token *t)
{
    size_t len = *(size_t *)ctx;

    CHECK(t->start < t->end && t->end <= len);
    CHECK(t->term_len > 0 && t->term_len <= 245 && t->stem_len <= 245 && t->exact_len <= 245);
    CHECK(strlen(t->term) == t->term_len);
    return 0;
}

static void test_random_input(analyzer *a)
{
    static const char *bits[] = {
        "a",        "E",  "\xc3\xa9", "\xc3", "\xa9", "'",        RSQ,        "-",
        HY,         ".",  ",",        " ",    NBSP,   NNBSP,      "1",        "000",
        "l",        "qu", "aujourd",  "S.",   "\xff", "\xcc\x81", "\xc2\xad", "\xef\xb7\xba",
        "\xc5\x93", "0"};
    char buf[512];
    unsigned seed = 12345;
    int iter;

    for (iter = 0; iter < 20000; iter++) {
        size_t len = 0;
        int parts = (int)(seed % 40);
        while (parts-- > 0) {
            const char *b;
            seed = seed * 1103515245u + 12345u;
            b = bits[(seed >> 16) % (sizeof bits / sizeof bits[0])];
            if (len + strlen(b) >= sizeof buf)
                break;
            memcpy(buf + len, b, strlen(b));
            len += strlen(b);
        }
        seed = seed * 1103515245u + 12345u;
        /* Exact-length heap copy so the sanitizer sees any overread. */
        {
            char *copy = malloc(len ? len : 1);
            unsigned next;
            if (!copy)
                break;
            memcpy(copy, buf, len);
            CHECK(analyzer_run(a, copy, len, 0, ANALYZER_DOCUMENT, check_fuzz_token, &len, &next) ==
                  KQ_OK);
            free(copy);
        }
        if (harness_failures > 20)
            break;
    }
}

/* ---- term filters (analyzer_filter, analyzer_run_with) ------------------ */

struct filter_case {
    const char *add;  /* what is added */
    int how;          /* 't' term, 'p' prefix, 's' stem */
    const char *term; /* a term looked up */
    int want;
};

static void test_filter_api(void)
{
    static const struct filter_case cases[] = {
        {"de", 't', "de", 1},
        {"de", 't', "des", 1},
        {"de", 't', "d", 0},
        {"de", 't', "ed", 0},
        {"a", 't', "a", 1},
        {"a", 't', "ab", 0},
        {"n", 'p', "n", 1},
        {"n", 'p', "nx", 1},
        {"n", 'p', "m", 0},
        {"", 'p', "zz", 1},
        {"", 'p', "\xc3\xa9", 1},
        {"e", 's', "es", 1},
        {"e", 's', "e", 1},
        {"e", 's', "f", 0},
        {"", 's', "e", 0},
        {"num", 'p', "numero", 1},
        {"num", 'p', "nu", 1},
        {"num", 'p', "n", 0},
        {"cheval", 's', "chevaux", 1},
        {"cheval", 's', "cavalier", 0},
        {"\xce\xbb\xce\xbf", 't', "\xce\xbb\xcf\x8c", 1}, /* λο, λό: one two-byte key, λ */
        {"\xce\xbb\xce\xbf", 't', "\xce\xbc", 0},
    };
    static analyzer_filter f;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct filter_case *c = &cases[k];
        analyzer_filter_clear(&f);
        CHECK(!analyzer_filter_has(&f, c->term, strlen(c->term)));
        if (c->how == 't')
            analyzer_filter_add_term(&f, c->add, strlen(c->add));
        else if (c->how == 'p')
            analyzer_filter_add_prefix(&f, c->add, strlen(c->add));
        else
            analyzer_filter_add_stem(&f, c->add, strlen(c->add));
        CHECK_MSG(analyzer_filter_has(&f, c->term, strlen(c->term)) == c->want,
                  "filter with %c \"%s\": has \"%s\" should be %d", c->how, c->add, c->term,
                  c->want);
    }
    CHECK(!analyzer_filter_has(&f, "", 0));
    CHECK(!analyzer_filter_has(NULL, "de", 2));
    analyzer_filter_clear(NULL);
    analyzer_filter_add_term(NULL, "de", 2);
}

static int filter_key_in(const analyzer_filter *f, const char *term)
{
    return analyzer_filter_has(f, term, strlen(term));
}

/* Whether the analyzer computes a stem for this term (not a number, nor a
 * word with a digit, a dot or a comma). */
static int is_word_term(const char *term)
{
    return strpbrk(term, "0123456789.,") == NULL;
}

/* A filtered run reports exactly the tokens of the unfiltered run whose term
 * is in the report filter, with the same forms, positions, offsets and flags,
 * and the stems of the words in the stem filter; the others are flagged
 * TOKEN_UNSTEMMED with their term for a stem and their stop-word flag kept. */
static void check_filtered(analyzer *a, const char *text, size_t len, const analyzer_filter *report,
                           const analyzer_filter *stem, const char *what)
{
    static struct sink all, got;
    unsigned next_all = 0, next_got = 0;
    analyzer_options opts = {ANALYZER_DOCUMENT, 3, report, stem, NULL};
    size_t k, g = 0;

    memset(&all, 0, sizeof all);
    memset(&got, 0, sizeof got);
    CHECK(analyzer_run(a, text, len, 3, ANALYZER_DOCUMENT, collect, &all, &next_all) == KQ_OK);
    CHECK(analyzer_run_with(a, text, len, &opts, collect, &got, &next_got) == KQ_OK);
    CHECK_MSG(next_all == next_got, "%s: next position %u, want %u", what, next_got, next_all);
    for (k = 0; k < all.n && k < 1024; k++) {
        const struct got *u = &all.t[k], *t;
        if (report && !filter_key_in(report, u->term))
            continue;
        CHECK_MSG(g < got.n, "%s: token %s missing", what, u->term);
        if (g >= got.n || g >= 1024)
            return;
        t = &got.t[g++];
        CHECK_MSG(strcmp(t->term, u->term) == 0 && strcmp(t->exact, u->exact) == 0 &&
                      t->pos == u->pos && t->start == u->start && t->end == u->end &&
                      (t->flags & ~(unsigned)TOKEN_UNSTEMMED) == u->flags,
                  "%s: token %s/%u/%zu/%x, want %s/%u/%zu/%x", what, t->term, t->pos, t->start,
                  t->flags, u->term, u->pos, u->start, u->flags);
        if (stem && !filter_key_in(stem, u->term) && is_word_term(u->term)) {
            CHECK_MSG((t->flags & TOKEN_UNSTEMMED) && strcmp(t->stem, t->term) == 0,
                      "%s: %s should be unstemmed", what, t->term);
        } else {
            CHECK_MSG(!(t->flags & TOKEN_UNSTEMMED) && strcmp(t->stem, u->stem) == 0,
                      "%s: %s has stem %s, want %s", what, t->term, t->stem, u->stem);
        }
    }
    CHECK_MSG(g == got.n, "%s: %zu tokens reported, want %zu", what, got.n, g);
}

static void test_filtered_runs(analyzer *a)
{
    static const char stop_text[] =
        "Le la les de des du un une et est \xc3\xa9t\xc3\xa9 ou o\xc3\xb9 \xc3\xa0 a au aux lui "
        "leur "
        "ce cet cette ces se sa son ses sont suis quel quelles avoir \xc3\xaatre \xc3\xa9tions "
        "seraient ayant d l j qu jusqu lorsqu pas plus. Lee lest del dess sommet sommes y Y.";
    static analyzer_filter empty, odd, stems, one;
    static struct sink s;
    size_t k, n;

    /* Keys from the words of the paragraph: every other distinct term for
     * the report filter, the stems of every third for the stem filter, and
     * the one-letter stem "e" (every term starting with e). */
    memset(&s, 0, sizeof s);
    CHECK(analyzer_run(a, paragraph, sizeof paragraph - 1, 0, ANALYZER_DOCUMENT, collect, &s,
                       NULL) == KQ_OK);
    for (k = 0; k < s.n && k < 1024; k++) {
        if (k % 2)
            analyzer_filter_add_term(&odd, s.t[k].term, strlen(s.t[k].term));
        if (k % 3 == 0)
            analyzer_filter_add_stem(&stems, s.t[k].stem, strlen(s.t[k].stem));
    }
    analyzer_filter_add_stem(&one, "e", 1);
    analyzer_filter_add_term(&one, "le", 2);
    {
        const analyzer_filter *filters[] = {NULL, &empty, &odd, &stems, &one};
        const char *texts[] = {paragraph, stop_text};
        size_t lens[] = {sizeof paragraph - 1, sizeof stop_text - 1};
        for (size_t t = 0; t < 2; t++)
            for (size_t r = 0; r < 5; r++)
                for (size_t st = 0; st < 5; st++) {
                    char what[64];
                    snprintf(what, sizeof what, "text %zu, filters %zu/%zu", t, r, st);
                    check_filtered(a, texts[t], lens[t], filters[r], filters[st], what);
                }
    }
    /* Every row of the table, reporting every other key and stemming none. */
    for (k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        const struct row *r = &rows[k];
        n = r->len ? r->len : strlen(r->text);
        check_filtered(a, r->text, n, &odd, &empty, r->name);
        check_filtered(a, r->text, n, NULL, &empty, r->name);
    }
    /* The stop-word flag of unstemmed words, against the list. */
    memset(&s, 0, sizeof s);
    {
        analyzer_options opts = {ANALYZER_DOCUMENT, 0, NULL, &empty, NULL};
        CHECK(analyzer_run_with(a, stop_text, sizeof stop_text - 1, &opts, collect, &s, NULL) ==
              KQ_OK);
    }
    for (k = 0; k < s.n; k++)
        CHECK_MSG(!(s.t[k].flags & TOKEN_STOPWORD) == !analyzer_is_stopword(s.t[k].term),
                  "%s: stop-word flag %x", s.t[k].term, s.t[k].flags);
    CHECK(s.n > 40);
}

/* stop_after: the run ends at the first token starting past it, reported or
 * not, and the callback may lower it. */
struct lowering {
    struct sink s;
    size_t limit;
};

static int lower_limit(void *ctx, const analyzer_token *tok)
{
    struct lowering *l = ctx;
    collect(&l->s, tok);
    if (strcmp(tok->term, "porte") == 0)
        l->limit = tok->start + 5; /* "porte-parole": stops at "parole" */
    return 0;
}

static void test_stop_after(analyzer *a)
{
    static struct sink all, got;
    static struct lowering low;
    static analyzer_filter only_po;
    size_t limits[] = {0, 1, 9, 10, 40, 41, 200, sizeof paragraph, (size_t)-1};
    size_t k, i, want;

    memset(&all, 0, sizeof all);
    CHECK(analyzer_run(a, paragraph, sizeof paragraph - 1, 0, ANALYZER_DOCUMENT, collect, &all,
                       NULL) == KQ_OK);
    for (k = 0; k < sizeof limits / sizeof limits[0]; k++) {
        analyzer_options opts = {ANALYZER_DOCUMENT, 0, NULL, NULL, &limits[k]};
        memset(&got, 0, sizeof got);
        CHECK(analyzer_run_with(a, paragraph, sizeof paragraph - 1, &opts, collect, &got, NULL) ==
              KQ_OK);
        for (want = 0; want < all.n && all.t[want].start <= limits[k]; want++)
            ;
        CHECK_MSG(got.n == want, "stop_after %zu: %zu tokens, want %zu", limits[k], got.n, want);
        for (i = 0; i < got.n && i < want; i++)
            CHECK(strcmp(got.t[i].term, all.t[i].term) == 0 && got.t[i].pos == all.t[i].pos);
    }
    /* Lowered by the callback to end inside "porte-parole": "parole", past
     * the limit, stops the run although it is not reported (only terms
     * starting with "po" are), so the joined form porteparole, which starts
     * before the limit, is not seen. */
    analyzer_filter_add_term(&only_po, "po", 2);
    memset(&low, 0, sizeof low);
    low.limit = (size_t)-1;
    {
        analyzer_options opts = {ANALYZER_DOCUMENT, 0, &only_po, NULL, &low.limit};
        CHECK(analyzer_run_with(a, paragraph, sizeof paragraph - 1, &opts, lower_limit, &low,
                                NULL) == KQ_OK);
    }
    CHECK(low.s.n == 1 && strcmp(low.s.t[0].term, "porte") == 0);
    {
        analyzer_options none = {ANALYZER_DOCUMENT, 0, NULL, NULL, NULL};
        CHECK(analyzer_run_with(NULL, "a", 1, &none, collect, &got, NULL) == KQ_ERR_INVALID);
        CHECK(analyzer_run_with(a, "a", 1, NULL, collect, &got, NULL) == KQ_ERR_INVALID);
    }
}

int main(void)
{
    analyzer *a = analyzer_new();
    size_t k;

    CHECK(a != NULL);
    if (!a)
        return harness_exit("test_analyzer");
    analyzer_free(NULL);
    for (k = 0; k < sizeof rows / sizeof rows[0]; k++)
        check_row(a, &rows[k]);
    test_highlight(a);
    test_long_words(a);
    test_positions_and_stop(a);
    test_helpers(a);
    test_query_finds_document_words(a);
    test_random_input(a);
    test_filter_api();
    test_filtered_runs(a);
    test_stop_after(a);
    analyzer_free(a);
    return harness_exit("test_analyzer");
}
