/* neardup_eval: how well republished and rewritten wire copy is found, measured on the team kit's
 * duplicate groups (issue 17, point 4).
 *
 *   neardup_eval CORPUS.jsonl.gz GROUPS.csv
 *
 * Reads every article of the corpus and compares, on the pairs of articles of the groups file
 * (ids of articles that republish the same text, one group a line):
 *   - the near-duplicate key the index collapses on, read from the value slot document_build
 *     fills (DOCUMENT_SLOT_COLLAPSE): exactly what the index holds; copies share it;
 *   - the same key computed by document_duplicate_key with other parameters: key version 1 (the
 *     first 40 terms of chapô and body) and the first N terms of the body after its first
 *     paragraph for several N, the parameter chosen on half A (best F1) and read on half B;
 *   - for reference, a MinHash of the text's 3-term shingles (128 hashes; candidates from 32
 *     bands of 4), two articles being copies when their estimated Jaccard similarity reaches a
 *     threshold: a relation between pairs, which no key of one document can give (Xapian
 *     collapses on one value per document).
 * Pairs are scored on half A and half B of the articles (by a hash of the id; a pair counts when
 * both its articles are in the half).  The pairs a key finds outside the groups are classed by
 * their estimated Jaccard and by whether their headlines differ: the groups file holds almost
 * only pairs of identical headlines, so a dispatch republished under a new headline counts as
 * wrong there.  Also the distribution of the true pairs' exact shingle Jaccard. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "article.h"
#include "document.h"
#include "hash.h"
#include "index.h"

#define N_HASHES 128
#define BAND_ROWS 4
#define N_BANDS (N_HASHES / BAND_ROWS)
#define SHINGLE 3
/* The keys compared: row 0 the index's (read from the document), then document_duplicate_key
 * with these parameters. */
static const document_dupkey_params key_rows[] = {
    {40, 0, 8, 0},  {40, 20, 8, 1}, {40, 30, 8, 1}, {40, 40, 8, 1},
    {40, 50, 8, 1}, {40, 60, 8, 1}, {40, 80, 8, 1}, {40, 120, 8, 1},
};
#define N_ROWS (1 + (int)(sizeof key_rows / sizeof key_rows[0]))
/* The groups file holds two groups of 55 and 83 daily roundups under one headline ("Coronavirus:
 * le point sur la pandémie"), whose texts differ (shingle Jaccard < 0.1): collapsing them would
 * hide a day's news.  Scores are given with every group, and without the pairs of groups of
 * more than BIG_GROUP articles (both their true pairs and the pairs found inside them). */
#define BIG_GROUP 10

typedef struct doc {
    char *id;
    uint64_t keys[N_ROWS]; /* keys[0]: the index's; keys[1 + i]: key_rows[i]'s */
    uint64_t title;        /* FNV-1a of the headline */
    uint32_t minhash[N_HASHES];
    uint64_t *shingles; /* sorted, unique: only for articles of a group */
    size_t n_shingles;
    int half;          /* 0: A, 1: B */
    int64_t published; /* seconds since the epoch, 0 when undated */
    int in_group;
} doc;

typedef struct terms {
    uint64_t *hashes; /* each term's FNV-1a */
    size_t n, cap;
} terms;

static int on_token(void *ctx, const analyzer_token *t)
{
    terms *ts = ctx;
    if (t->term_len == 0 || (t->flags & TOKEN_COMPOUND))
        return 0;
    if (ts->n == ts->cap) {
        ts->cap = ts->cap ? ts->cap * 2 : 256;
        ts->hashes = realloc(ts->hashes, ts->cap * sizeof *ts->hashes);
        if (!ts->hashes)
            exit(2);
    }
    ts->hashes[ts->n++] = hash_fnv1a(HASH_FNV1A_BASIS, t->term, t->term_len);
    return 0;
}

/* A 64-bit mix (splitmix64's finaliser): the i-th hash function is mix(x ^ seed_i). */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The shingles of the terms: each run of SHINGLE terms hashed (a text shorter than that is one
 * shingle of all its terms). */
static size_t shingles(const terms *ts, uint64_t *out)
{
    size_t n = ts->n < SHINGLE ? (ts->n > 0) : ts->n - SHINGLE + 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = HASH_FNV1A_BASIS;
        for (size_t k = i; k < i + SHINGLE && k < ts->n; k++)
            h = mix(h ^ ts->hashes[k]);
        out[i] = h;
    }
    return n;
}

static double exact_jaccard(const doc *a, const doc *b)
{
    size_t i = 0, j = 0, both = 0;
    while (i < a->n_shingles && j < b->n_shingles) {
        if (a->shingles[i] == b->shingles[j])
            both++, i++, j++;
        else if (a->shingles[i] < b->shingles[j])
            i++;
        else
            j++;
    }
    size_t all = a->n_shingles + b->n_shingles - both;
    return all ? (double)both / (double)all : 0;
}

static double estimated_jaccard(const doc *a, const doc *b)
{
    int same = 0;
    for (int i = 0; i < N_HASHES; i++)
        same += a->minhash[i] == b->minhash[i];
    return (double)same / N_HASHES;
}

/* --- a hash set of pairs (document indices, i < j) -------------------------------------- */

typedef struct pairset {
    uint64_t *slots; /* (i << 32 | j) + 1; 0 is empty */
    size_t cap, n;
} pairset;

static uint64_t pair_code(uint32_t i, uint32_t j)
{
    return i < j ? ((uint64_t)i << 32 | j) + 1 : ((uint64_t)j << 32 | i) + 1;
}

static int pairset_add(pairset *s, uint64_t code)
{
    if (s->n * 2 >= s->cap) {
        pairset bigger = {calloc(s->cap ? s->cap * 2 : 1024, sizeof(uint64_t)),
                          s->cap ? s->cap * 2 : 1024, 0};
        if (!bigger.slots)
            exit(2);
        for (size_t k = 0; k < s->cap; k++)
            if (s->slots[k])
                pairset_add(&bigger, s->slots[k]);
        free(s->slots);
        *s = bigger;
    }
    size_t k = mix(code) & (s->cap - 1);
    while (s->slots[k]) {
        if (s->slots[k] == code)
            return 0;
        k = (k + 1) & (s->cap - 1);
    }
    s->slots[k] = code;
    s->n++;
    return 1;
}

static int pairset_has(const pairset *s, uint64_t code)
{
    if (!s->cap)
        return 0;
    size_t k = mix(code) & (s->cap - 1);
    while (s->slots[k]) {
        if (s->slots[k] == code)
            return 1;
        k = (k + 1) & (s->cap - 1);
    }
    return 0;
}

/* --- ids ----------------------------------------------------------------------------------- */

typedef struct idmap {
    char **ids;
    uint32_t *index;
    size_t cap;
} idmap;

static void idmap_put(idmap *m, char *id, uint32_t index)
{
    size_t k = hash_fnv1a_str(id) & (m->cap - 1);
    while (m->ids[k])
        k = (k + 1) & (m->cap - 1);
    m->ids[k] = id;
    m->index[k] = index;
}

static long idmap_get(const idmap *m, const char *id)
{
    size_t k = hash_fnv1a_str(id) & (m->cap - 1);
    while (m->ids[k]) {
        if (strcmp(m->ids[k], id) == 0)
            return m->index[k];
        k = (k + 1) & (m->cap - 1);
    }
    return -1;
}

/* --- scoring ------------------------------------------------------------------------------ */

typedef struct score {
    size_t found, right, truth;
} score;

static double f1_of(const score *s);

/* With a window (seconds), MinHash pairs count only when published at most that far apart
 * (0: any dates). */
static int64_t window_s;

static int within_window(const doc *p, const doc *q)
{
    int64_t d = p->published - q->published;
    return window_s == 0 || (p->published && q->published && (d < 0 ? -d : d) <= window_s);
}

static void print_score(const char *what, const score s[2])
{
    printf("| %s |", what);
    for (int h = 0; h < 2; h++) {
        double p = s[h].found ? (double)s[h].right / (double)s[h].found : 0;
        double r = s[h].truth ? (double)s[h].right / (double)s[h].truth : 0;
        printf(" %zu | %.3f | %.3f | %.3f |", s[h].found, p, r,
               p + r > 0 ? 2 * p * r / (p + r) : 0);
    }
    printf("\n");
}

/* Adds to out the pairs of articles whose MinHash values first .. first + rows - 1 are all
 * equal (a band of rows; rows 0: the key keys[first]). */
static void same_key_pairs(const doc *docs, size_t n, int first, int rows, pairset *out)
{
    size_t tcap = 1;
    while (tcap < n * 2)
        tcap *= 2;
    uint64_t *keys = malloc(tcap * sizeof *keys);
    uint32_t *heads = malloc(tcap * sizeof *heads), *next = malloc(n * sizeof *next);
    memset(heads, 0xff, tcap * sizeof *heads);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = rows == 0 ? docs[i].keys[first] : (uint64_t)HASH_FNV1A_BASIS + (uint64_t)first;
        for (int row = first; row < first + rows; row++)
            k = mix(k ^ docs[i].minhash[row]);
        size_t s = mix(k) & (tcap - 1);
        while (heads[s] != UINT32_MAX && keys[s] != k)
            s = (s + 1) & (tcap - 1);
        for (uint32_t j = heads[s]; j != UINT32_MAX; j = next[j])
            pairset_add(out, pair_code((uint32_t)i, j));
        keys[s] = k;
        next[i] = heads[s];
        heads[s] = (uint32_t)i;
    }
    free(keys);
    free(heads);
    free(next);
}

static double f1_of(const score *s)
{
    double p = s->found ? (double)s->right / (double)s->found : 0;
    double r = s->truth ? (double)s->right / (double)s->truth : 0;
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

/* Scores the pairs of `found` whose estimated Jaccard reaches t (all of them with t 0), and
 * with `also`, the pairs of `also` as well (key or MinHash), into out[0] (half A), out[1] (B),
 * against the true pairs `scored`; a pair that is in `all` (every true pair) but not in scored
 * (a pair of a big group only) is neither right nor wrong, and left out. */
static void score_pairs(score out[2], const doc *docs, const pairset *found, const pairset *also,
                        double t, const pairset *all, const pairset *scored,
                        const size_t truth_n[2])
{
    for (int h = 0; h < 2; h++)
        out[h] = (score){0, 0, truth_n[h]};
    for (int pass = 0; pass < (also ? 2 : 1); pass++) {
        const pairset *set = pass ? also : found;
        for (size_t k = 0; k < set->cap; k++) {
            uint64_t c = set->slots[k];
            if (!c)
                continue;
            const doc *p = &docs[(c - 1) >> 32], *q = &docs[(c - 1) & 0xffffffffu];
            if (p->half != q->half || (pairset_has(all, c) && !pairset_has(scored, c)))
                continue;
            int by_minhash = pairset_has(found, c) &&
                             (t <= 0 || (estimated_jaccard(p, q) >= t && within_window(p, q)));
            if (pass == 0 ? !by_minhash : by_minhash)
                continue; /* pass 1 adds the key's pairs the MinHash did not find */
            out[p->half].found++;
            out[p->half].right += (size_t)pairset_has(scored, c);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: neardup_eval CORPUS.jsonl.gz GROUPS.csv\n");
        return 2;
    }
    char err[512];
    article_reader *r = article_reader_open(argv[1], err, sizeof err);
    analyzer *a = analyzer_new();
    if (!r || !a) {
        fprintf(stderr, "neardup_eval: %s\n", r ? "no analyzer" : err);
        return 2;
    }
    index_doc *idoc = index_doc_new();
    if (!idoc)
        return 2;
    doc *docs = NULL;
    size_t n = 0, cap = 0;
    terms ts = {0};
    article art = {0};
    uint64_t seeds[N_HASHES];
    for (int i = 0; i < N_HASHES; i++)
        seeds[i] = mix((uint64_t)0x9e3779b97f4a7c15ull * (uint64_t)(i + 1));
    uint64_t *sh = NULL;
    size_t sh_cap = 0;
    kq_status st;
    while ((st = article_reader_next(r, &art, err, sizeof err)) != KQ_END) {
        if (st != KQ_OK)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            docs = realloc(docs, cap * sizeof *docs);
            if (!docs)
                return 2;
        }
        doc *d = &docs[n];
        memset(d, 0, sizeof *d);
        d->id = strdup(art.id);
        d->published = art.published;
        ts.n = 0;
        unsigned pos = 1;
        const char *chapo = art.description ? art.description : "",
                   *body = art.body ? art.body : "";
        analyzer_run(a, chapo, strlen(chapo), pos, ANALYZER_DOCUMENT, on_token, &ts, &pos);
        analyzer_run(a, body, strlen(body), pos, ANALYZER_DOCUMENT, on_token, &ts, NULL);
        /* The index's key: what document_build stores, read back from the document; then the
         * same function with the parameters compared. */
        if (document_build(a, &art, idoc) != KQ_OK) {
            fprintf(stderr, "neardup_eval: cannot build the document of %s\n", art.id);
            return 2;
        }
        char *stored = index_doc_get_value(idoc, DOCUMENT_SLOT_COLLAPSE, NULL);
        char key[17];
        if (!stored || document_duplicate_key(a, &art, NULL, key) != KQ_OK ||
            strcmp(stored, key) != 0) {
            fprintf(stderr,
                    "neardup_eval: %s: the index's key %s is not document_duplicate_key's\n",
                    art.id, stored ? stored : "(none)");
            return 2;
        }
        d->keys[0] = strtoull(stored, NULL, 16);
        free(stored);
        for (int row = 1; row < N_ROWS; row++) {
            if (document_duplicate_key(a, &art, &key_rows[row - 1], key) != KQ_OK)
                return 2;
            d->keys[row] = strtoull(key, NULL, 16);
        }
        d->title = hash_fnv1a_str(art.title);
        if (ts.n + 1 > sh_cap) {
            sh_cap = ts.n + 1;
            sh = realloc(sh, sh_cap * sizeof *sh);
        }
        size_t ns = shingles(&ts, sh);
        for (int i = 0; i < N_HASHES; i++) {
            uint32_t m = UINT32_MAX;
            for (size_t k = 0; k < ns; k++) {
                uint32_t v = (uint32_t)mix(sh[k] ^ seeds[i]);
                if (v < m)
                    m = v;
            }
            d->minhash[i] = m;
        }
        qsort(sh, ns, sizeof *sh, cmp_u64);
        size_t u = 0;
        for (size_t k = 0; k < ns; k++)
            if (u == 0 || sh[k] != sh[u - 1])
                sh[u++] = sh[k];
        d->shingles = malloc((u ? u : 1) * sizeof *sh);
        memcpy(d->shingles, sh, u * sizeof *sh);
        d->n_shingles = u;
        d->half = (int)(hash_fnv1a_str(d->id) >> 17 & 1);
        n++;
        article_clear(&art);
    }
    article_reader_close(r);

    idmap ids = {0};
    for (ids.cap = 1; ids.cap < n * 2; ids.cap *= 2)
        ;
    ids.ids = calloc(ids.cap, sizeof *ids.ids);
    ids.index = calloc(ids.cap, sizeof *ids.index);
    for (size_t i = 0; i < n; i++)
        idmap_put(&ids, docs[i].id, (uint32_t)i);

    /* The true pairs: every pair within a group, in half A, half B, or across (not scored). */
    FILE *g = fopen(argv[2], "r");
    if (!g) {
        fprintf(stderr, "neardup_eval: cannot read %s\n", argv[2]);
        return 2;
    }
    pairset truth = {0},
            truth_small = {0}; /* truth_small: the pairs of groups of BIG_GROUP at most */
    size_t truth_n[2] = {0, 0}, truth_small_n[2] = {0, 0}, groups = 0, missing = 0;
    double jbins[11] = {0};
    char line[4096];
    while (fgets(line, sizeof line, g)) {
        long members[256];
        int m = 0;
        for (char *tok = strtok(line, ",\r\n"); tok && m < 256; tok = strtok(NULL, ",\r\n")) {
            long i = idmap_get(&ids, tok);
            if (i < 0)
                missing++;
            else
                members[m++] = i;
        }
        groups++;
        for (int x = 0; x < m; x++) {
            docs[members[x]].in_group = 1;
            for (int y = x + 1; y < m; y++) {
                uint64_t c = pair_code((uint32_t)members[x], (uint32_t)members[y]);
                if (m <= BIG_GROUP && pairset_add(&truth_small, c) &&
                    docs[members[x]].half == docs[members[y]].half)
                    truth_small_n[docs[members[x]].half]++;
                if (!pairset_add(&truth, c))
                    continue;
                const doc *p = &docs[members[x]], *q = &docs[members[y]];
                jbins[(int)(exact_jaccard(p, q) * 10)]++;
                if (p->half == q->half)
                    truth_n[p->half]++;
            }
        }
    }
    fclose(g);

    /* Candidate pairs: articles sharing one band of their MinHash; and each key's pairs. */
    pairset cands = {0}, keyed[N_ROWS] = {{0}};
    for (int band = 0; band < N_BANDS; band++)
        same_key_pairs(docs, n, band * BAND_ROWS, BAND_ROWS, &cands);
    for (int row = 0; row < N_ROWS; row++)
        same_key_pairs(docs, n, row, 0, &keyed[row]);

    printf("articles %zu, groups %zu (ids not in the corpus: %zu), true pairs %zu (half A %zu, "
           "half B %zu), MinHash candidate pairs %zu\n\n",
           n, groups, missing, truth.n, truth_n[0], truth_n[1], cands.n);
    printf("Exact Jaccard of the true pairs' 3-term shingles:\n\n| Jaccard | pairs |\n|---|---|\n");
    for (int b = 0; b <= 10; b++)
        if (jbins[b] > 0)
            printf("| %.1f%s | %.0f |\n", b / 10.0, b < 10 ? "–" : "", jbins[b]);

    if (getenv("NEARDUP_DUMP")) {
        /* Examples, for reading: true pairs the index's key misses, and the pairs it finds
         * that the groups do not hold. */
        for (size_t k = 0; k < truth.cap; k++) {
            uint64_t c = truth.slots[k];
            if (!c || pairset_has(&keyed[0], c) || !pairset_has(&truth_small, c))
                continue;
            const doc *p = &docs[(c - 1) >> 32], *q = &docs[(c - 1) & 0xffffffffu];
            printf("missed-by-key %s %s J=%.2f est=%.2f\n", p->id, q->id, exact_jaccard(p, q),
                   estimated_jaccard(p, q));
        }
        for (size_t k = 0; k < keyed[0].cap; k++) {
            uint64_t c = keyed[0].slots[k];
            if (!c || pairset_has(&truth, c))
                continue;
            const doc *p = &docs[(c - 1) >> 32], *q = &docs[(c - 1) & 0xffffffffu];
            printf("not-in-groups %s %s est=%.2f same-headline=%d\n", p->id, q->id,
                   estimated_jaccard(p, q), p->title == q->title);
        }
    }
    /* Scores: a pair counts in half h when both its articles are in h. */
    for (int small = 0; small < 2; small++) {
        const size_t *tn = small ? truth_small_n : truth_n;
        const pairset *scored = small ? &truth_small : &truth;
        printf("\n%s\n\n| key | A pairs | A precision | A recall | A F1 | B pairs | B precision | "
               "B recall | B F1 |\n|---|---|---|---|---|---|---|---|---|\n",
               small ? "Without the two recurring roundups (groups of more than 10):"
                     : "Every group:");
        int best_row = 0;
        double best_f1 = -1;
        for (int row = 0; row < N_ROWS; row++) {
            score ks[2];
            score_pairs(&ks[0], docs, &keyed[row], NULL, 0, &truth, scored, tn);
            char what[128];
            const document_dupkey_params *kp = row ? &key_rows[row - 1] : &document_dupkey_default;
            if (kp->skip_opening)
                snprintf(what, sizeof what,
                         "%sfirst %u terms of the body after its first paragraph",
                         row ? "" : "**the index's key**: ", kp->rest_terms);
            else
                snprintf(what, sizeof what, "%sversion 1: first %u terms of chapô and body",
                         row ? "" : "**the index's key**: ", kp->opening_terms);
            print_score(what, ks);
            if (row && kp->skip_opening && f1_of(&ks[0]) > best_f1)
                best_f1 = f1_of(&ks[0]), best_row = row;
        }
        printf("\nchosen on half A (best F1 of the keys skipping the opening): the first %u terms "
               "(F1 %.3f)%s\n",
               key_rows[best_row - 1].rest_terms, best_f1,
               key_rows[best_row - 1].rest_terms == document_dupkey_default.rest_terms
                   ? ", the index's"
                   : "; the index uses another: see document.c");
        /* The pairs the index's key finds outside the groups, by how much text they share. */
        if (small) {
            size_t bins[3][2] = {{0}}; /* est. Jaccard >= 0.5, 0.2-0.5, < 0.2; same headline */
            for (size_t k = 0; k < keyed[0].cap; k++) {
                uint64_t c = keyed[0].slots[k];
                if (!c || pairset_has(&truth, c))
                    continue;
                const doc *p = &docs[(c - 1) >> 32], *q = &docs[(c - 1) & 0xffffffffu];
                double j = estimated_jaccard(p, q);
                bins[j >= 0.5 ? 0 : j >= 0.2 ? 1 : 2][p->title == q->title]++;
            }
            printf("\nPairs the index's key finds that no group holds (whole corpus), by the "
                   "estimated Jaccard of their shingles:\n\n| Jaccard | other headline | same "
                   "headline |\n|---|---|---|\n| ≥ 0.5 | %zu | %zu |\n| 0.2–0.5 | %zu | %zu |\n| "
                   "< 0.2 | %zu | %zu |\n",
                   bins[0][0], bins[0][1], bins[1][0], bins[1][1], bins[2][0], bins[2][1]);
        }
        /* For reference: pairs, not a key (the union of the index's key and a MinHash
         * threshold). */
        printf(
            "\n| for reference, pairs (no key gives them) | A pairs | A precision | A recall | A "
            "F1 | B pairs | B precision | B recall | B F1 "
            "|\n|---|---|---|---|---|---|---|---|---|\n");
        for (int ti = 50; ti <= 90; ti += 20) {
            double t = ti / 100.0;
            score us[2];
            score_pairs(&us[0], docs, &cands, &keyed[0], t, &truth, scored, tn);
            char what[96];
            snprintf(what, sizeof what, "the index's key or MinHash ≥ %.2f", t);
            print_score(what, us);
        }
    }
    index_doc_free(idoc);
    return 0;
}
