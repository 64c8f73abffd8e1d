/* hash: FNV-1a, the one hash function of Kiosque (content hashes, duplicate keys, hash tables). */
#ifndef KIOSQUE_HASH_H
#define KIOSQUE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit FNV-1a (Fowler, Noll, Vo): start from HASH_FNV1A_BASIS and feed
 * the bytes of each piece with hash_fnv1a.  Not a defence against chosen
 * collisions: callers that must not confuse two keys compare the keys too.
 * The functions are in the header because the indexer calls them for every
 * term of every article. */
#define HASH_FNV1A_BASIS 14695981039346656037ull
#define HASH_FNV1A_PRIME 1099511628211ull

/* The offset basis of the near-duplicate keys (value slot
 * DOCUMENT_SLOT_COLLAPSE, document_duplicate_key in document.h): the first
 * version wrote FNV-1a's basis with a digit missing, 1469598103934665603.
 * Version 2's keys, and its fallback to version 1's for short articles,
 * keep that basis, so that a short article keeps the key it had. */
#define HASH_DUPLICATE_KEY_BASIS 1469598103934665603ull

/* Returns h updated with the n bytes at data. */
static inline uint64_t hash_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= HASH_FNV1A_PRIME;
    }
    return h;
}

/* FNV-1a of the NUL-terminated string s, from HASH_FNV1A_BASIS. */
static inline uint64_t hash_fnv1a_str(const char *s)
{
    uint64_t h = HASH_FNV1A_BASIS;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= HASH_FNV1A_PRIME;
    }
    return h;
}

/* The shard, from 0 to n - 1, of the article whose identifier is id when an
 * archive is split in n shards (indexer add|sync --shard K/N keeps the
 * articles of shard K - 1): FNV-1a of the identifier's bytes modulo n.
 * Stable across versions and machines: FNV-1a is published (the values of
 * tests/test_base.c), the identifier's bytes are the export's, and a shard
 * built by one version must keep its articles under the next; changing this
 * function means rebuilding every sharded archive.  A hash, and not the
 * date, so that every shard holds about as many articles of every period,
 * and searches (weighted to recent news) load every shard alike. */
static inline unsigned hash_shard_of(const char *id, unsigned n)
{
    return n > 1 ? (unsigned)(hash_fnv1a_str(id) % n) : 0;
}

#endif
