#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const messages[KQ_STATUS_COUNT] = {
    [KQ_OK] = "success",
    [KQ_END] = "end of input",
    [KQ_ERR_NOMEM] = "out of memory",
    [KQ_ERR_IO] = "input/output error",
    [KQ_ERR_INVALID] = "invalid input",
    [KQ_ERR_NOT_FOUND] = "not found",
    [KQ_ERR_LOCKED] = "the index is locked by another writer",
    [KQ_ERR_MODIFIED] = "the database was modified while reading; reopen and retry",
    [KQ_ERR_CORRUPT] = "the index or the store is damaged",
    [KQ_ERR_FULL] = "the disk is full",
    [KQ_ERR_READONLY] = "the index is read-only",
    [KQ_ERR_XAPIAN] = "Xapian error",
    [KQ_ERR_SQLITE] = "SQLite error",
    [KQ_ERR_INTERNAL] = "internal error",
    [KQ_ERR_NO_INDEX] = "no index (the indexer creates it)",
    [KQ_ERR_UNAVAILABLE] = "a shard of the index does not answer",
};

const char *status_to_string(kq_status status)
{
    if ((int)status < 0 || status >= KQ_STATUS_COUNT || !messages[status])
        return "unknown status";
    return messages[status];
}

void status_message(char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || err_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int full = vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    /* One line: messages quote input (jansson quotes the text near an
     * error), and a newline or escape there would break "file:line: message"
     * reports and terminals. */
    size_t n = 0;
    for (; err[n]; n++)
        if ((unsigned char)err[n] < 0x20 || err[n] == 0x7f)
            err[n] = ' ';
    /* Truncation must not leave half a UTF-8 sequence at the end. */
    if (full >= 0 && (size_t)full >= err_size) {
        size_t lead = n;
        while (lead > 0 && ((unsigned char)err[lead - 1] & 0xC0) == 0x80)
            lead--;
        if (lead > 0 && (unsigned char)err[lead - 1] >= 0xC0) {
            unsigned c = (unsigned char)err[lead - 1];
            size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (n - (lead - 1) < want)
                err[lead - 1] = 0;
        }
    }
}
