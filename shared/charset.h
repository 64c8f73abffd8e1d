/* charset: a web page's bytes as UTF-8, whatever its encoding (BOM, <meta charset>, http-equiv,
 * XML declaration; transcoded through glibc's iconv). */
#ifndef KIOSQUE_CHARSET_H
#define KIOSQUE_CHARSET_H

#include <stddef.h>
#include "status.h"

/* How a page's encoding is found, in the order browsers use:
 *
 *   1. a byte-order mark: UTF-8 (EF BB BF, skipped), UTF-16LE (FF FE) or
 *      UTF-16BE (FE FF);
 *   2. the charset the page declares in its first CHARSET_PRESCAN bytes:
 *      <meta charset=X>, <meta http-equiv="Content-Type"
 *      content="text/html; charset=X">, or <?xml ... encoding="X"?>;
 *      as in the WHATWG Encoding standard, the labels of ISO-8859-1 and
 *      US-ASCII mean Windows-1252 (a superset that browsers read them as);
 *   3. else UTF-8.
 *
 * Bytes that are valid UTF-8 holding at least one multi-byte sequence are
 * read as UTF-8 whatever the page declares: a CMS that re-encodes its pages
 * often keeps the old <meta>, and text in a single-byte charset is almost
 * never valid UTF-8 ("é" in Latin-1 is one byte followed by ASCII).  A page
 * read as UTF-8 that is not valid UTF-8 has each byte that starts no valid
 * sequence read as Windows-1252, the usual encoding of older French pages:
 * "é" written as 0xE9 is repaired, not dropped, and a UTF-8 page with one
 * stray Latin-1 byte keeps its other letters.  Any other charset glibc's
 * iconv knows (ISO-8859-15, KOI8-R, Shift_JIS...) is transcoded by iconv;
 * a sequence invalid in it becomes U+FFFD.
 *
 * Rejected: a charset iconv does not know, and binary data (a NUL byte, or
 * more than 1% of control bytes, outside UTF-16). */

/* How far into a page the declared charset is looked for, in bytes. */
#define CHARSET_PRESCAN 8192

/* Sets *out to the page bytes[0..len) as UTF-8 (NUL-terminated, no BOM, a
 * copy the caller frees with free()) and *out_len to its length.  Returns
 * KQ_OK; KQ_ERR_INVALID with a one-line reason in err (binary data, unknown
 * charset); or KQ_ERR_NOMEM.  When `encoding` is not NULL, it receives the
 * encoding read ("UTF-8", "WINDOWS-1252", "ISO-8859-15"...). */
kq_status charset_to_utf8(const char *bytes, size_t len, char **out, size_t *out_len,
                          char *encoding, size_t encoding_size, char *err, size_t err_size);

/* Writes the charset label the page declares (lower case, "" when none)
 * into out, as step 2 above finds it. */
void charset_declared(const char *bytes, size_t len, char *out, size_t out_size);

#endif
