/* utf8: validating, decoding and encoding UTF-8, the small pieces every reader of Kiosque needs. */
#ifndef KIOSQUE_UTF8_H
#define KIOSQUE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns the length (1 to 4) of the valid UTF-8 sequence starting at s,
 * which has len > 0 bytes, or 0 when the bytes there are not one: a bad lead
 * byte, a truncated sequence, an overlong form, a surrogate, or a code point
 * above U+10FFFF. */
size_t utf8_sequence_length(const unsigned char *s, size_t len);

/* Decodes the UTF-8 sequence starting at s, which has len > 0 bytes:
 * returns its length (1 to 4) with its code point in *cp, or 0 when the
 * bytes there are not a valid sequence (as utf8_sequence_length; *cp is
 * then unspecified).  In the header because the analyzer decodes every
 * character of every article with it. */
static inline size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned c = s[0];
    size_t n;
    uint32_t min, v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000, v = c & 0x07;
    else
        return 0;
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* Returns 1 when the len bytes at s are all valid UTF-8, else 0. */
int utf8_is_valid(const unsigned char *s, size_t len);

/* A copy of the NUL-terminated s in which each byte that starts no valid
 * sequence is U+FFFD (a message that quotes a value cut at a byte count
 * stays valid UTF-8); NULL when out of memory.  The caller frees it. */
char *utf8_repaired(const char *s);

/* Writes the UTF-8 encoding of code point cp (at most U+10FFFF, not a
 * surrogate) into out, which has room for 4 bytes; returns its length. */
size_t utf8_encode(char *out, uint32_t cp);

#endif
