/* test_query: the query language parser, input → tree description, malformed and hostile inputs. */
#include "harness.h"
#include "query.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct parse_case {
    const char *input;
    const char *want; /* query_describe of the tree */
};

/* Dates used below, seconds since the epoch, UTC (checked with Python's calendar.timegm):
 * 2000-02-29 951782400   2000-03-01 951868800   2023-01-01 1672531200
 * 2024-01-01 1704067200  2024-02-29 1709164800  2024-03-01 1709251200
 * 2024-03-05 1709596800  2024-03-06 1709683200  2024-04-01 1711929600
 * 2024-07-01 1719792000  2025-01-01 1735689600  2025-02-01 1738368000
 * 1969-01-01 -31536000 */
static const struct parse_case cases[] = {
    /* empty */
    {"", "(AND)"},
    {"   \t\n ", "(AND)"},
    {"\xC2\xA0\xE2\x80\xAF", "(AND)"},

    /* words, kept as typed */
    {"économie", "(AND word:\"économie\")"},
    {"L'économie française", "(AND word:\"L'économie\" word:\"française\")"},
    {"l\xE2\x80\x99"
     "Europe",
     "(AND word:\"l\xE2\x80\x99"
     "Europe\")"},
    {"porte-parole", "(AND word:\"porte-parole\")"},
    {"+gouvernement", "(AND word:\"gouvernement\")"},
    {"+", "(AND)"},
    {"a  b\tc\nd", "(AND word:\"a\" word:\"b\" word:\"c\" word:\"d\")"},
    {"a\xC2\xA0"
     "b\xE2\x80\xAF"
     "c\xE2\x80\x89"
     "d\xE3\x80\x80"
     "e",
     "(AND word:\"a\" word:\"b\" word:\"c\" word:\"d\" word:\"e\")"},
    {"NOT guerre", "(AND word:\"NOT\" word:\"guerre\")"},

    /* phrases */
    {"\"le monde\"", "(AND phrase:\"le monde\")"},
    {"\"  le   monde \"", "(AND phrase:\"le monde\")"},
    {"\xC2\xAB le monde \xC2\xBB", "(AND phrase:\"le monde\")"},
    {"\xC2\xAB\xE2\x80\xAFle\xC2\xA0monde\xE2\x80\xAF\xC2\xBB", "(AND phrase:\"le monde\")"},
    {"\xE2\x80\x9Cle monde\xE2\x80\x9D", "(AND phrase:\"le monde\")"},
    {"\xC2\xAB il a dit \"non\" \xC2\xBB", "(AND phrase:\"il a dit \\\"non\\\"\")"},
    {"\"le monde", "(AND phrase:\"le monde\")"},
    {"\xC2\xAB le monde", "(AND phrase:\"le monde\")"},
    {"\xE2\x80\x9Cle monde", "(AND phrase:\"le monde\")"},
    {"\"\"", "(AND)"},
    {"\"  \" a", "(AND word:\"a\")"},
    {"a\"b c\"d", "(AND word:\"a\" phrase:\"b c\" word:\"d\")"},
    {"\xC2\xBB a \xE2\x80\x9D", "(AND word:\"a\")"},
    {"\"a\"\"b\"", "(AND phrase:\"a\" phrase:\"b\")"},

    /* OR, precedence, grouping */
    {"a OR b", "(AND (OR word:\"a\" word:\"b\"))"},
    {"a b OR c d", "(AND word:\"a\" (OR word:\"b\" word:\"c\") word:\"d\")"},
    {"a OR b OR c", "(AND (OR word:\"a\" word:\"b\" word:\"c\"))"},
    {"(a OR b) OR c", "(AND (OR word:\"a\" word:\"b\" word:\"c\"))"},
    {"(a b) OR c", "(AND (OR (AND word:\"a\" word:\"b\") word:\"c\"))"},
    {"(a b) c", "(AND word:\"a\" word:\"b\" word:\"c\")"},
    {"((a))", "(AND word:\"a\")"},
    {"a (b (c d))", "(AND word:\"a\" word:\"b\" word:\"c\" word:\"d\")"},
    {"a ou b or c", "(AND word:\"a\" word:\"ou\" word:\"b\" word:\"or\" word:\"c\")"},
    {"a Or b", "(AND word:\"a\" word:\"Or\" word:\"b\")"},
    {"a OR(b c)", "(AND (OR word:\"a\" (AND word:\"b\" word:\"c\")))"},
    {"\"a b\" OR c*", "(AND (OR phrase:\"a b\" word:\"c\"))"},
    {"\"a b\" OR cd*", "(AND (OR phrase:\"a b\" prefix:\"cd\"))"},
    {"OR", "(AND)"},
    {"OR a", "(AND word:\"a\")"},
    {"a OR", "(AND word:\"a\")"},
    {"a OR OR b", "(AND (OR word:\"a\" word:\"b\"))"},
    {"a OR () OR b", "(AND (OR word:\"a\" word:\"b\"))"},
    {"() OR b", "(AND word:\"b\")"},
    {"(a OR) b", "(AND word:\"a\" word:\"b\")"},
    {"-OR a", "(AND -word:\"OR\" word:\"a\")"},
    {"\"OR\"", "(AND phrase:\"OR\")"},

    /* unbalanced and empty parentheses */
    {"()", "(AND)"},
    {"( ) a ()", "(AND word:\"a\")"},
    {"(a b", "(AND word:\"a\" word:\"b\")"},
    {"a b)", "(AND word:\"a\" word:\"b\")"},
    {")a(", "(AND word:\"a\")"},
    {"((a OR b)", "(AND (OR word:\"a\" word:\"b\"))"},
    {"f(x)", "(AND word:\"f\" word:\"x\")"},

    /* negation of each kind */
    {"-guerre", "(AND -word:\"guerre\")"},
    {"paix -guerre", "(AND word:\"paix\" -word:\"guerre\")"},
    {"-\"le monde\"", "(AND -phrase:\"le monde\")"},
    {"-\xC2\xAB le monde \xC2\xBB", "(AND -phrase:\"le monde\")"},
    {"-(a b)", "(AND -(AND word:\"a\" word:\"b\"))"},
    {"-(a OR b)", "(AND -(OR word:\"a\" word:\"b\"))"},
    {"-(a)", "(AND -word:\"a\")"},
    {"-(-a)", "(AND word:\"a\")"},
    {"-(-(a b)) c", "(AND word:\"a\" word:\"b\" word:\"c\")"},
    {"-titre:macron", "(AND -title:word:\"macron\")"},
    {"-intel*", "(AND -prefix:\"intel\")"},
    {"-date:2024", "(AND -date:[1704067200,1735689599])"},
    {"-a OR b", "(AND (OR -word:\"a\" word:\"b\"))"},
    {"-", "(AND)"},
    {"a - b", "(AND word:\"a\" word:\"b\")"},
    {"--", "(AND)"},
    {"--a", "(AND -word:\"a\")"},
    {"-)", "(AND)"},
    {"(a -)", "(AND word:\"a\")"},
    {"a)-b", "(AND word:\"a\" -word:\"b\")"},
    {"-()", "(AND)"},

    /* prefixes */
    {"intellig*", "(AND prefix:\"intellig\")"},
    {"intellig**", "(AND prefix:\"intellig\")"},
    {"*", "(AND)"},
    {"* a **", "(AND word:\"a\")"},
    {"*abc", "(AND word:\"abc\")"},
    {"*abc*", "(AND prefix:\"abc\")"},
    {"a*", "(AND word:\"a\")"},
    {"\xC3\xA9*", "(AND word:\"\xC3\xA9\")"},
    {"\xC3\xA9t*", "(AND prefix:\"\xC3\xA9t\")"},
    {"a*b", "(AND word:\"a*b\")"},

    /* fields: every alias, any case */
    {"titre:macron", "(AND title:word:\"macron\")"},
    {"title:macron", "(AND title:word:\"macron\")"},
    {"TITRE:macron", "(AND title:word:\"macron\")"},
    {"Title:Macron", "(AND title:word:\"Macron\")"},
    {"auteur:dupont", "(AND author:word:\"dupont\")"},
    {"author:dupont", "(AND author:word:\"dupont\")"},
    {"rubrique:sport", "(AND section:word:\"sport\")"},
    {"section:sport", "(AND section:word:\"sport\")"},
    {"motcle:climat", "(AND keyword:word:\"climat\")"},
    {"motcl\xC3\xA9:climat", "(AND keyword:word:\"climat\")"},
    {"MOTCL\xC3\x89:climat", "(AND keyword:word:\"climat\")"},
    {"mot-cl\xC3\xA9:climat", "(AND keyword:word:\"climat\")"},
    {"keyword:climat", "(AND keyword:word:\"climat\")"},
    {"keywords:climat", "(AND keyword:word:\"climat\")"},
    {"auteur:\"Jean Dupont\"", "(AND author:phrase:\"Jean Dupont\")"},
    {"auteur:\xC2\xAB Jean Dupont \xC2\xBB", "(AND author:phrase:\"Jean Dupont\")"},
    {"titre:intel*", "(AND title:prefix:\"intel\")"},
    {"titre:(a b)", "(AND title:word:\"a\" title:word:\"b\")"},
    {"titre:(a OR \"b c\" OR d\xC3\xA9*) e*",
     "(AND (OR title:word:\"a\" title:phrase:\"b c\" title:prefix:\"d\xC3\xA9\") word:\"e\")"},
    {"titre:(a auteur:b date:2024)",
     "(AND title:word:\"a\" author:word:\"b\" date:[1704067200,1735689599])"},
    {"titre:(a (b c))", "(AND title:word:\"a\" title:word:\"b\" title:word:\"c\")"},
    {"-titre:(a b)", "(AND -(AND title:word:\"a\" title:word:\"b\"))"},
    {"titre:12:30", "(AND title:word:\"12:30\")"},
    {"titre:", "(AND)"},
    {"a titre: b", "(AND word:\"a\" word:\"b\")"},
    {"titre:()", "(AND)"},
    {"(titre:)", "(AND)"},
    {"titre:*", "(AND)"},
    {"titre:\"\"", "(AND)"},
    {"a OR titre:b", "(AND (OR word:\"a\" title:word:\"b\"))"},

    /* unknown field names are text */
    {"http://example.com", "(AND word:\"http://example.com\")"},
    {"12:30", "(AND word:\"12:30\")"},
    {"xxx:yyy", "(AND word:\"xxx:yyy\")"},
    {"xxx:", "(AND word:\"xxx:\")"},
    {":titre", "(AND word:\":titre\")"},
    {"xxx:(a b)", "(AND word:\"xxx:\" word:\"a\" word:\"b\")"},

    /* dates */
    {"date:2024", "(AND date:[1704067200,1735689599])"},
    {"date:2024-03", "(AND date:[1709251200,1711929599])"},
    {"date:2024-3", "(AND date:[1709251200,1711929599])"},
    {"date:2024-03-05", "(AND date:[1709596800,1709683199])"},
    {"date:2024-3-5", "(AND date:[1709596800,1709683199])"},
    {"DATE:2024-03-05", "(AND date:[1709596800,1709683199])"},
    {"date:2024-01..2024-06", "(AND date:[1704067200,1719791999])"},
    {"date:2024-06..2024-01", "(AND date:[1704067200,1719791999])"},
    {"date:2024-03-05..2024-03-05", "(AND date:[1709596800,1709683199])"},
    {"date:2024..", "(AND date:[1704067200,0])"},
    {"date:..2024-06", "(AND date:[0,1719791999])"},
    {"date:2024-02-29", "(AND date:[1709164800,1709251199])"},
    {"date:2000-02-29", "(AND date:[951782400,951868799])"},
    {"date:1969", "(AND date:[-31536000,-1])"},
    {"depuis:2025-01-01", "(AND date:[1735689600,0])"},
    {"since:2025", "(AND date:[1735689600,0])"},
    {"avant:2025-02", "(AND date:[0,1738367999])"},
    {"before:2025-02", "(AND date:[0,1738367999])"},
    {"until:2025-02", "(AND date:[0,1738367999])"},
    {"apres:2024-03-05", "(AND date:[1709683200,0])"},
    {"apr\xC3\xA8s:2024-03-05", "(AND date:[1709683200,0])"},
    {"APR\xC3\x88S:2024-03-05", "(AND date:[1709683200,0])"},
    {"after:2023", "(AND date:[1704067200,0])"},
    {"depuis:2024 avant:2024-07", "(AND date:[1704067200,0] date:[0,1719791999])"},
    {"date:2023 OR date:2024",
     "(AND (OR date:[1672531200,1704067199] date:[1704067200,1735689599]))"},
    {"macron date:2024-03", "(AND word:\"macron\" date:[1709251200,1711929599])"},
    /* bad dates are words, the original token's text */
    {"date:2024-13", "(AND word:\"date:2024-13\")"},
    {"date:2024-00", "(AND word:\"date:2024-00\")"},
    {"date:2024-04-31", "(AND word:\"date:2024-04-31\")"},
    {"date:2023-02-29", "(AND word:\"date:2023-02-29\")"},
    {"date:1900-02-29", "(AND word:\"date:1900-02-29\")"},
    {"date:abc", "(AND word:\"date:abc\")"},
    {"date:24", "(AND word:\"date:24\")"},
    {"date:20245", "(AND word:\"date:20245\")"},
    {"date:0000", "(AND word:\"date:0000\")"},
    {"date:2024-", "(AND word:\"date:2024-\")"},
    {"date:2024-03-05x", "(AND word:\"date:2024-03-05x\")"},
    {"date:..", "(AND word:\"date:..\")"},
    {"date:2024...2025", "(AND word:\"date:2024...2025\")"},
    {"depuis:2024..2025", "(AND word:\"depuis:2024..2025\")"},
    {"-date:abc", "(AND -word:\"date:abc\")"},
    {"date:", "(AND)"},
    {"date:(a b)", "(AND word:\"a\" word:\"b\")"},
    {"-date:\"a b\"", "(AND -phrase:\"a b\")"},

    /* a mix */
    {"titre:(intelligence OR IA) -auteur:\"Jean Dupont\" date:2024 \xC2\xAB march\xC3\xA9 unique "
     "\xC2\xBB",
     "(AND (OR title:word:\"intelligence\" title:word:\"IA\") -author:phrase:\"Jean Dupont\" "
     "date:[1704067200,1735689599] phrase:\"march\xC3\xA9 unique\")"},
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        query_node *q = query_parse(cases[i].input, strlen(cases[i].input));
        CHECK_MSG(q != NULL, "input %s", cases[i].input);
        if (!q)
            continue;
        CHECK_MSG(q->kind == QUERY_AND && !q->negated, "root of %s", cases[i].input);
        char *got = query_describe(q);
        CHECK_MSG(got && strcmp(got, cases[i].want) == 0, "input [%s]: got %s, want %s",
                  cases[i].input, got ? got : "(null)", cases[i].want);
        free(got);
        query_free(q);
    }
}

/* The fields of the nodes themselves, not only their description. */
static void test_node_fields(void)
{
    const char *in = "auteur:\"Jean Dupont\" -date:2024-03 intel*";
    query_node *q = query_parse(in, strlen(in));
    CHECK(q && q->n_children == 3);
    if (!q || q->n_children != 3)
        goto out;
    const query_node *p = q->children[0], *d = q->children[1], *x = q->children[2];
    CHECK(p->kind == QUERY_PHRASE && p->field == QUERY_FIELD_AUTHOR && !p->negated);
    CHECK_STR(p->text, "Jean Dupont");
    CHECK(p->children == NULL && p->n_children == 0);
    CHECK(d->kind == QUERY_DATE && d->negated && d->text == NULL);
    CHECK(d->date_from == 1709251200 && d->date_to == 1711929599);
    CHECK(x->kind == QUERY_PREFIX && x->field == QUERY_FIELD_ANY);
    CHECK_STR(x->text, "intel");
out:
    query_free(q);
}

/* Bytes that are not text: NUL, controls, invalid UTF-8. */
static void test_bytes(void)
{
    static const struct {
        const char *input;
        size_t len;
        const char *want;
    } raw[] = {
        {"a\0b", 3, "(AND word:\"a\" word:\"b\")"},
        {"\0", 1, "(AND)"},
        {"a\x01"
         "b\x7F"
         "c",
         5, "(AND word:\"a\" word:\"b\" word:\"c\")"},
        {"a\xC2\x85"
         "b",
         4, "(AND word:\"a\" word:\"b\")"},
        {"\xFF"
         "a",
         2,
         "(AND word:\"\xEF\xBF\xBD"
         "a\")"},
        {"\xC3", 1, "(AND word:\"\xEF\xBF\xBD\")"},
        {"\xC0\xA2", 2, "(AND word:\"\xEF\xBF\xBD\xEF\xBF\xBD\")"},
        {"\xED\xA0\x80", 3, "(AND word:\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\")"},
        {"\"\xC2", 2, "(AND phrase:\"\xEF\xBF\xBD\")"},
        {"\xC2\xAB", 2, "(AND)"},
        {"abc", 0, "(AND)"},
        {"titre:a", 6, "(AND)"}, /* only "titre:" is read */
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        query_node *q = query_parse(raw[i].input, raw[i].len);
        char *got = query_describe(q);
        CHECK_MSG(got && strcmp(got, raw[i].want) == 0, "raw case %zu: got %s, want %s", i,
                  got ? got : "(null)", raw[i].want);
        free(got);
        query_free(q);
    }
    query_node *q = query_parse(NULL, 0);
    char *got = query_describe(q);
    CHECK_STR(got, "(AND)");
    free(got);
    query_free(q);
    query_free(NULL);
}

/* Appends s to a heap buffer; the test aborts on allocation failure. */
static void append(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    char *b = realloc(*buf, *len + n + 1);
    if (!b)
        abort();
    memcpy(b + *len, s, n + 1);
    *buf = b;
    *len += n;
}

static size_t count_leaves(const query_node *q)
{
    if (q->kind != QUERY_AND && q->kind != QUERY_OR)
        return 1;
    size_t n = 0;
    for (size_t i = 0; i < q->n_children; i++)
        n += count_leaves(q->children[i]);
    return n;
}

static size_t tree_depth(const query_node *q)
{
    size_t d = 0;
    for (size_t i = 0; i < q->n_children; i++) {
        size_t c = tree_depth(q->children[i]);
        if (c > d)
            d = c;
    }
    return d + 1;
}

/* 10,000 words are capped at 64 leaves, the first ones. */
static void test_long(void)
{
    char *buf = NULL, word[32];
    size_t len = 0;
    for (int i = 0; i < 10000; i++) {
        snprintf(word, sizeof word, "mot%d%s", i, i % 3 == 1 ? " OR " : " ");
        append(&buf, &len, word);
    }
    query_node *q = query_parse(buf, len);
    CHECK(q != NULL);
    if (q) {
        CHECK(count_leaves(q) == 64);
        CHECK(q->n_children > 0 && q->children[0]->kind == QUERY_WORD);
        if (q->n_children > 0 && q->children[0]->kind == QUERY_WORD)
            CHECK_STR(q->children[0]->text, "mot0");
        char *d = query_describe(q);
        CHECK(d != NULL && strstr(d, "\"mot63\"") != NULL && strstr(d, "\"mot64\"") == NULL);
        free(d);
    }
    query_free(q);
    free(buf);
}

/* At most 16 prefixes: the 17th and later are read as their words. */
static void test_many_prefixes(void)
{
    char *buf = NULL, word[32];
    size_t len = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(word, sizeof word, "p%c* OR ", 'a' + i);
        append(&buf, &len, word);
    }
    query_node *q = query_parse(buf, len);
    char *d = query_describe(q);
    CHECK(d != NULL);
    if (d) {
        CHECK(strstr(d, "prefix:\"pp\"") != NULL); /* the 16th */
        CHECK(strstr(d, "prefix:\"pq\"") == NULL); /* the 17th */
        CHECK(strstr(d, "word:\"pq\"") != NULL);
        CHECK(strstr(d, "word:\"pt\"") != NULL);
    }
    free(d);
    query_free(q);
    free(buf);
}

/* Parentheses 1000 deep: no recursion blow-up, the word is still found, and
 * the tree stays shallow.  Then alternating signs and fields at each level. */
static void test_deep(void)
{
    char *buf = NULL;
    size_t len = 0;
    for (int i = 0; i < 1000; i++)
        append(&buf, &len, "(");
    append(&buf, &len, "a b");
    for (int i = 0; i < 1000; i++)
        append(&buf, &len, ")");
    append(&buf, &len, " c");
    query_node *q = query_parse(buf, len);
    char *d = query_describe(q);
    CHECK_STR(d, "(AND word:\"a\" word:\"b\" word:\"c\")");
    free(d);
    query_free(q);

    /* Unclosed, with OR and negation at every level. */
    free(buf);
    buf = NULL;
    len = 0;
    for (int i = 0; i < 1000; i++)
        append(&buf, &len, i % 2 ? "x OR -(" : "titre:(y ");
    q = query_parse(buf, len);
    CHECK(q != NULL);
    if (q) {
        CHECK(tree_depth(q) <= 40);
        CHECK(count_leaves(q) == 64);
        d = query_describe(q);
        CHECK(d != NULL);
        free(d);
    }
    query_free(q);

    free(buf);
    buf = NULL;
    len = 0;
    for (int i = 0; i < 5000; i++)
        append(&buf, &len, ")(OR");
    q = query_parse(buf, len);
    d = query_describe(q);
    CHECK_STR(d, "(AND)");
    free(d);
    query_free(q);
    free(buf);
}

/* Pseudo-random byte strings, biased towards the syntax characters: the
 * parser must return a tree, with AND at the root, whatever the bytes.
 * Run under the sanitizer build to catch memory errors. */
static void test_random(void)
{
    static const char *const pieces[] = {
        "(",
        ")",
        "\"",
        "-",
        "+",
        "*",
        ":",
        " ",
        "OR",
        "titre:",
        "date:",
        "..",
        "2024",
        "-03",
        "\xC2\xAB",
        "\xC2\xBB",
        "\xE2\x80\x9C",
        "\xE2\x80\x9D",
        "\xC2\xA0",
        "\xC3",
        "\xE2\x80",
        "a",
        "\xC3\xA9",
        "'",
        "0",
        "\xFF",
    };
    uint32_t seed = 12345;
    char buf[256];
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        size_t target = (seed >> 16) % sizeof buf;
        while (len < target) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 16;
            if (round % 2) {
                buf[len++] = (char)(r & 0xFF);
            } else {
                const char *p = pieces[r % (sizeof pieces / sizeof pieces[0])];
                size_t n = strlen(p);
                if (len + n > sizeof buf)
                    break;
                memcpy(buf + len, p, n);
                len += n;
            }
        }
        query_node *q = query_parse(buf, len);
        CHECK(q != NULL && q->kind == QUERY_AND && !q->negated);
        char *d = query_describe(q);
        CHECK(d != NULL);
        free(d);
        query_free(q);
    }
}

int main(void)
{
    test_table();
    test_node_fields();
    test_bytes();
    test_long();
    test_many_prefixes();
    test_deep();
    test_random();
    return harness_exit("test_query");
}
