/* cache: a small thread-safe cache of rendered API replies, keyed by the normalised request and the
 * index revision. */
#ifndef KIOSQUE_CACHE_H
#define KIOSQUE_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Popular queries are asked again and again; their replies are kept here.
 * An entry is only returned for the index revision it was stored under, so
 * a commit makes every older entry a miss: freshness is the caller's
 * revision check, not a time to live.  The table is a fixed array of
 * 4-entry buckets (a new entry replaces the least recently used of its
 * bucket), guarded by striped mutexes so worker threads rarely wait on each
 * other. */

typedef struct cache cache;

/* Creates a cache of at least `slots` entries (rounded up to a power of two) whose
 * replies are at most max_body bytes each (bigger ones are not kept).
 * Returns NULL when out of memory; the caller frees it with cache_free. */
cache *cache_new(size_t slots, size_t max_body);

/* Frees the cache and every entry; cache_free(NULL) does nothing. */
void cache_free(cache *c);

/* Looks up `key` stored under `revision`.  On a hit returns a copy of the
 * reply that the caller owns and frees with free(), its length in *len;
 * NULL on a miss. */
char *cache_get(cache *c, const char *key, uint64_t revision, size_t *len);

/* cache_get for a first look whose miss is followed by a cache_get: a miss
 * is not counted. */
char *cache_peek(cache *c, const char *key, uint64_t revision, size_t *len);

/* Keeps a copy of body under key and revision (silently not, when too big
 * or out of memory: a cache may forget). */
void cache_put(cache *c, const char *key, uint64_t revision, const char *body, size_t len);

/* Hits and misses since the cache was created. */
void cache_stats(const cache *c, uint64_t *hits, uint64_t *misses);

#endif
