/* Unit tests of searchd's reply cache: hits, revisions, eviction, size limit, many popular keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "harness.h"

static void test_basic(void)
{
    cache *c = cache_new(64, 100);
    CHECK(c != NULL);
    size_t len = 0;
    char *got = cache_get(c, "search|vélo", 1, &len);
    CHECK(got == NULL);
    cache_put(c, "search|vélo", 1, "{\"total\":3}", 11);
    got = cache_get(c, "search|vélo", 1, &len);
    CHECK_STR(got, "{\"total\":3}");
    CHECK(len == 11);
    free(got);
    /* A new revision makes the entry a miss, and storing it again replaces it. */
    CHECK(cache_get(c, "search|vélo", 2, &len) == NULL);
    cache_put(c, "search|vélo", 2, "{\"total\":4}", 11);
    got = cache_get(c, "search|vélo", 2, &len);
    CHECK_STR(got, "{\"total\":4}");
    free(got);
    CHECK(cache_get(c, "search|vélo", 1, &len) == NULL);
    /* Too big a reply is not kept. */
    char big[200];
    memset(big, 'x', sizeof big);
    cache_put(c, "big", 2, big, sizeof big);
    CHECK(cache_get(c, "big", 2, &len) == NULL);
    uint64_t hits, misses;
    cache_stats(c, &hits, &misses);
    CHECK(hits == 2);
    CHECK(misses == 4);
    cache_free(c);
    cache_free(NULL);
}

/* Fifty popular queries in a 1024-entry cache: every one must stay cached
 * (a direct-mapped table lost some to collisions and recomputed them on
 * every other request). */
static void test_popular_keys_stay(void)
{
    cache *c = cache_new(1024, 1024);
    char key[64], body[64];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 50; i++) {
            snprintf(key, sizeof key, "search|%d:requête %d|0|10", i, i);
            snprintf(body, sizeof body, "{\"n\":%d}", i);
            size_t len = 0;
            char *got = cache_get(c, key, 7, &len);
            if (round == 0)
                CHECK(got == NULL);
            else
                CHECK_STR(got, body);
            if (!got)
                cache_put(c, key, 7, body, strlen(body));
            free(got);
        }
    }
    cache_free(c);
}

/* When a bucket is full the least recently used entry goes. */
static void test_eviction(void)
{
    cache *c = cache_new(1, 100); /* the smallest table: 16 buckets of 4 */
    char key[32];
    size_t len;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        cache_put(c, key, 1, key, strlen(key));
        char *keep = cache_get(c, "k0", 1, &len); /* k0 is used all the time: it stays */
        CHECK_MSG(keep != NULL, "k0 evicted after %d puts", i);
        free(keep);
    }
    int present = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        char *got = cache_get(c, key, 1, &len);
        present += got != NULL;
        free(got);
    }
    CHECK(present <= 64);
    CHECK(present > 16);
    cache_free(c);
}

/* A peek (searchd's first look, on the connection thread) counts its hits
 * but not its misses: the worker's cache_get after it counts the miss once. */
static void test_peek(void)
{
    cache *c = cache_new(64, 100);
    CHECK(c != NULL);
    size_t len = 0;
    CHECK(cache_peek(c, "search|gare", 7, &len) == NULL);
    CHECK(cache_get(c, "search|gare", 7, &len) == NULL);
    cache_put(c, "search|gare", 7, "{}", 2);
    char *got = cache_peek(c, "search|gare", 7, &len);
    CHECK_STR(got, "{}");
    CHECK(len == 2);
    free(got);
    CHECK(cache_peek(c, "search|gare", 8, &len) == NULL);
    uint64_t hits, misses;
    cache_stats(c, &hits, &misses);
    CHECK(hits == 1);
    CHECK(misses == 1);
    cache_free(c);
}

int main(void)
{
    test_basic();
    test_peek();
    test_popular_keys_stay();
    test_eviction();
    return harness_exit("test_searchd_cache");
}
