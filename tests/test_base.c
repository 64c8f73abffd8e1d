/* test_base: the small helpers of shared/ that every module uses: date.h, hash.h, utf8.h's decoder,
 * render_buf_reserve. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness.h"
#include "hash.h"
#include "render_buf.h"
#include "utf8.h"

static void test_dates(void)
{
    static const struct {
        int64_t y;
        unsigned m, d;
        int64_t days;
    } cases[] = {
        {1970, 1, 1, 0},      {1969, 12, 31, -1},    {2000, 3, 1, 11017}, {2000, 2, 29, 11016},
        {1900, 3, 1, -25508}, {2024, 12, 31, 20088}, {1, 1, 1, -719162},  {2026, 12, 3, 20790},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t y;
        unsigned m, d;
        CHECK_MSG(date_days_from_civil(cases[i].y, cases[i].m, cases[i].d) == cases[i].days,
                  "case %zu: %" PRId64, i,
                  date_days_from_civil(cases[i].y, cases[i].m, cases[i].d));
        date_civil_from_days(cases[i].days, &y, &m, &d);
        CHECK_MSG(y == cases[i].y && m == cases[i].m && d == cases[i].d, "case %zu", i);
    }
    /* Every day of four centuries goes there and back. */
    int bad = 0;
    for (int64_t z = -146097; z < 2 * 146097; z++) {
        int64_t y;
        unsigned m, d;
        date_civil_from_days(z, &y, &m, &d);
        bad += date_days_from_civil(y, m, d) != z || d > date_days_in_month(y, m);
    }
    CHECK(bad == 0);
    CHECK(date_days_in_month(2024, 2) == 29 && date_days_in_month(2023, 2) == 28);
    CHECK(date_days_in_month(1900, 2) == 28 && date_days_in_month(2000, 2) == 29);
    CHECK(date_days_in_month(2025, 4) == 30 && date_days_in_month(2025, 12) == 31);
}

static void test_hashes(void)
{
    /* The published FNV-1a 64 test values. */
    CHECK(hash_fnv1a_str("") == 0xcbf29ce484222325ull);
    CHECK(hash_fnv1a_str("a") == 0xaf63dc4c8601ec8cull);
    CHECK(hash_fnv1a_str("foobar") == 0x85944171f73967e8ull);
    CHECK(hash_fnv1a(HASH_FNV1A_BASIS, "foobar", 6) == hash_fnv1a_str("foobar"));
    CHECK(hash_fnv1a(hash_fnv1a(HASH_FNV1A_BASIS, "foo", 3), "bar", 3) == hash_fnv1a_str("foobar"));
    /* The stored duplicate keys' basis is the one of the first indexes. */
    CHECK(HASH_DUPLICATE_KEY_BASIS == 1469598103934665603ull);
}

static void test_utf8_decode(void)
{
    static const struct {
        const char *s;
        size_t len;
        size_t n; /* 0: not a sequence */
        uint32_t cp;
    } cases[] = {
        {"a", 1, 1, 'a'},
        {"\xC3\xA9", 2, 2, 0xE9},       /* é */
        {"\xE2\x82\xAC", 3, 3, 0x20AC}, /* € */
        {"\xF0\x9F\x93\xB0", 4, 4, 0x1F4F0},
        {"\xC3", 1, 0, 0},             /* truncated */
        {"\xC0\xAF", 2, 0, 0},         /* overlong */
        {"\xE0\x80\xAF", 3, 0, 0},     /* overlong */
        {"\xED\xA0\x80", 3, 0, 0},     /* surrogate */
        {"\xF4\x90\x80\x80", 4, 0, 0}, /* above U+10FFFF */
        {"\x80", 1, 0, 0},             /* stray continuation */
        {"\xE2\x82"
         "a",
         3, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t cp = 0;
        size_t n = utf8_decode((const unsigned char *)cases[i].s, cases[i].len, &cp);
        CHECK_MSG(n == cases[i].n, "case %zu: length %zu", i, n);
        CHECK_MSG(n == 0 || cp == cases[i].cp, "case %zu: U+%04X", i, (unsigned)cp);
        CHECK_MSG(utf8_sequence_length((const unsigned char *)cases[i].s, cases[i].len) == n,
                  "case %zu", i);
    }
}

/* Each byte that starts no valid sequence becomes U+FFFD; valid text is kept. */
static void test_utf8_repaired(void)
{
    static const char *const cases[][2] = {
        {"vélo", "vélo"},
        {"", ""},
        {"cut \xE2\x80", "cut \xEF\xBF\xBD\xEF\xBF\xBD"}, /* U+200B cut after 2 bytes */
        {"\xE9t\xE9", "\xEF\xBF\xBDt\xEF\xBF\xBD"},       /* Latin-1 */
        {"\xC0\xAF/", "\xEF\xBF\xBD\xEF\xBF\xBD/"},       /* overlong */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = utf8_repaired(cases[i][0]);
        CHECK_MSG(r && strcmp(r, cases[i][1]) == 0, "case %zu: %s", i, r ? r : "(null)");
        CHECK(r && utf8_is_valid((const unsigned char *)r, strlen(r)));
        free(r);
    }
}

static void test_buffer_reserve(void)
{
    render_buf b = RENDER_BUF_INIT;
    CHECK(render_buf_reserve(&b, 1000) == 0 && b.cap >= 1001 && b.len == 0);
    memcpy(b.data, "abc", 3);
    b.len = 3;
    render_buf_puts(&b, "def");
    size_t len;
    char *s = render_buf_release(&b, &len);
    CHECK_STR(s, "abcdef");
    CHECK(len == 6);
    free(s);
    CHECK(b.data == NULL && b.len == 0);
}

int main(void)
{
    test_dates();
    test_hashes();
    test_utf8_decode();
    test_utf8_repaired();
    test_buffer_reserve();
    return harness_exit("test_base");
}
