/* status: the one status type of Kiosque, its codes and their messages. */
#ifndef KIOSQUE_STATUS_H
#define KIOSQUE_STATUS_H

#include <stddef.h>

/* Every fallible function of the project returns a kq_status; zero is success.
 * The detail of a failure reaches the user one way for each kind of call:
 *   - a function on a handle records it in the handle, read with the
 *     module's *_last_error (index_last_error, store_last_error,
 *     search_last_error, batch_last_error, shards_last_error...);
 *   - a function without a handle, or one that creates it (*_open, *_new,
 *     *_start, check_run, index_compact...), writes it into the caller's
 *     buffer `err` of `err_size` bytes (status_message);
 *   - the library never prints it: the programs do, once, on stderr.  (What
 *     goes to stderr besides is the programs' report of findings, such as
 *     rejected lines; and searchd's search log, whose writer thread has no
 *     caller, says there once that recording stopped.) */
typedef enum kq_status {
    KQ_OK = 0,
    KQ_END,             /* no more items: end of an input or an iteration; not a failure */
    KQ_ERR_NOMEM,       /* out of memory */
    KQ_ERR_IO,          /* a file could not be opened, read or written */
    KQ_ERR_INVALID,     /* bad input or argument; the detailed message says which */
    KQ_ERR_NOT_FOUND,   /* no such article or document (or file, at the lowest level) */
    KQ_ERR_LOCKED,      /* another writer holds the index */
    KQ_ERR_MODIFIED,    /* the database changed under a reader: reopen and retry */
    KQ_ERR_CORRUPT,     /* the index or the store is damaged */
    KQ_ERR_FULL,        /* the disk is full */
    KQ_ERR_READONLY,    /* the index is on a read-only file system or not writable */
    KQ_ERR_XAPIAN,      /* any other Xapian error */
    KQ_ERR_SQLITE,      /* any other SQLite error */
    KQ_ERR_INTERNAL,    /* a bug: an invariant did not hold */
    KQ_ERR_NO_INDEX,    /* the database directory holds no index yet: index something first */
    KQ_ERR_UNAVAILABLE, /* a shard that would hold the answer does not answer (index.h) */
    KQ_STATUS_COUNT
} kq_status;

/* Returns a short English description of a status; never NULL, static storage. */
const char *status_to_string(kq_status status);

/* Writes a printf-style message into err (err_size bytes, truncated); does
 * nothing when err is NULL or err_size is 0.  For functions that report the
 * detail of a failure into a caller's buffer.  The message is one line:
 * control characters become spaces, and truncation never leaves half a
 * UTF-8 sequence. */
void status_message(char *err, size_t err_size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
