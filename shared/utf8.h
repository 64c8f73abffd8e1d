/* utf8: validating and encoding UTF-8, the small pieces every reader of Kiosque needs. */
#ifndef KIOSQUE_UTF8_H
#define KIOSQUE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns the length (1 to 4) of the valid UTF-8 sequence starting at s,
 * which has len > 0 bytes, or 0 when the bytes there are not one: a bad lead
 * byte, a truncated sequence, an overlong form, a surrogate, or a code point
 * above U+10FFFF. */
size_t utf8_sequence_length(const unsigned char *s, size_t len);

/* Returns 1 when the len bytes at s are all valid UTF-8, else 0. */
int utf8_is_valid(const unsigned char *s, size_t len);

/* Writes the UTF-8 encoding of code point cp (at most U+10FFFF, not a
 * surrogate) into out, which has room for 4 bytes; returns its length. */
size_t utf8_encode(char *out, uint32_t cp);

#endif
