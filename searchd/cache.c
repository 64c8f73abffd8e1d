/* cache: rendered API replies by request and revision.  See cache.h for the contracts. */
#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define CACHE_STRIPES 16
#define CACHE_WAYS                                                                                 \
    4 /* entries per bucket: popular keys that hash alike do not evict each other                  \
       */

typedef struct cache_entry {
    uint64_t hash;
    uint64_t revision;
    char *key; /* NULL when the slot is empty */
    char *body;
    size_t len;
    uint64_t used; /* tick of the last hit or store; the bucket evicts its least recently used */
} cache_entry;

struct cache {
    cache_entry *slots; /* (mask + 1) buckets of CACHE_WAYS entries */
    size_t mask;        /* buckets - 1; buckets is a power of two */
    size_t max_body;
    atomic_ullong tick;                   /* the use counter behind cache_entry.used */
    pthread_mutex_t locks[CACHE_STRIPES]; /* bucket i is guarded by locks[i % CACHE_STRIPES] */
    atomic_ulong hits, misses;
};

/* FNV-1a, 64 bits: short keys, good enough spread for a direct-mapped table. */
static uint64_t hash_key(const char *s)
{
    return hash_fnv1a_str(s);
}

cache *cache_new(size_t slots, size_t max_body)
{
    size_t n = CACHE_STRIPES;
    while (n * CACHE_WAYS < slots)
        n *= 2;
    cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->slots = calloc(n * CACHE_WAYS, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    c->max_body = max_body;
    for (size_t i = 0; i < CACHE_STRIPES; i++)
        pthread_mutex_init(&c->locks[i], NULL);
    return c;
}

void cache_free(cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < (c->mask + 1) * CACHE_WAYS; i++) {
        free(c->slots[i].key);
        free(c->slots[i].body);
    }
    for (size_t i = 0; i < CACHE_STRIPES; i++)
        pthread_mutex_destroy(&c->locks[i]);
    free(c->slots);
    free(c);
}

static char *lookup(cache *c, const char *key, uint64_t revision, size_t *len, int count_miss)
{
    uint64_t h = hash_key(key);
    size_t i = (size_t)h & c->mask;
    char *copy = NULL;
    pthread_mutex_lock(&c->locks[i % CACHE_STRIPES]);
    cache_entry *bucket = &c->slots[i * CACHE_WAYS];
    for (size_t w = 0; w < CACHE_WAYS; w++) {
        cache_entry *e = &bucket[w];
        if (e->key && e->hash == h && e->revision == revision && strcmp(e->key, key) == 0) {
            copy = malloc(e->len + 1);
            if (copy) {
                memcpy(copy, e->body, e->len + 1);
                *len = e->len;
                e->used = atomic_fetch_add(&c->tick, 1) + 1;
            }
            break;
        }
    }
    pthread_mutex_unlock(&c->locks[i % CACHE_STRIPES]);
    if (copy || count_miss)
        atomic_fetch_add(copy ? &c->hits : &c->misses, 1);
    return copy;
}

char *cache_get(cache *c, const char *key, uint64_t revision, size_t *len)
{
    return lookup(c, key, revision, len, 1);
}

char *cache_peek(cache *c, const char *key, uint64_t revision, size_t *len)
{
    return lookup(c, key, revision, len, 0);
}

void cache_put(cache *c, const char *key, uint64_t revision, const char *body, size_t len)
{
    if (len > c->max_body)
        return;
    uint64_t h = hash_key(key);
    size_t i = (size_t)h & c->mask;
    /* Copies are made outside the lock; the lock only swaps pointers. */
    char *k = strdup(key);
    char *b = malloc(len + 1);
    if (!k || !b) {
        free(k);
        free(b);
        return;
    }
    memcpy(b, body, len);
    b[len] = '\0';
    pthread_mutex_lock(&c->locks[i % CACHE_STRIPES]);
    /* The same key (stale revision), else an empty entry, else the least recently used. */
    cache_entry *bucket = &c->slots[i * CACHE_WAYS], *e = NULL;
    for (size_t w = 0; w < CACHE_WAYS && !e; w++)
        if (bucket[w].key && bucket[w].hash == h && strcmp(bucket[w].key, key) == 0)
            e = &bucket[w];
    for (size_t w = 0; w < CACHE_WAYS && !e; w++)
        if (!bucket[w].key)
            e = &bucket[w];
    if (!e) {
        e = &bucket[0];
        for (size_t w = 1; w < CACHE_WAYS; w++)
            if (bucket[w].used < e->used)
                e = &bucket[w];
    }
    char *old_key = e->key, *old_body = e->body;
    e->hash = h;
    e->revision = revision;
    e->key = k;
    e->body = b;
    e->len = len;
    e->used = atomic_fetch_add(&c->tick, 1) + 1;
    pthread_mutex_unlock(&c->locks[i % CACHE_STRIPES]);
    free(old_key);
    free(old_body);
}

void cache_stats(const cache *c, uint64_t *hits, uint64_t *misses)
{
    cache *m = (cache *)c; /* atomics are read, not written */
    *hits = atomic_load(&m->hits);
    *misses = atomic_load(&m->misses);
}
