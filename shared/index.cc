/* index: the Xapian boundary (see index.h), the only C++ of Kiosque.
 *
 * Every exported function is extern "C", catches every exception (Xapian
 * errors, std::bad_alloc, other std::exception, and anything else) and turns
 * it into a kq_status, keeping the message in the handle, as notmuch's lib
 * does.  No C++ type crosses the header.
 *
 * Batches and flushing (checked in Xapian 1.4's sources, and proved by
 * tests/test_index.c, test_batch_spills):
 *
 *  - Database::Internal::begin_transaction(flushed) calls commit() first only
 *    when `flushed` is true, and commit_transaction() calls commit() after
 *    only when the transaction was flushed.  With begin_transaction(false),
 *    commit_transaction() therefore makes *nothing* visible: the batch just
 *    becomes ordinary pending changes, published by some later commit, by
 *    the next flush threshold or at close, and cancel_transaction() would
 *    also throw away whatever was pending before the batch.  That does not
 *    fit index_commit's contract ("one new revision, now"), so a batch is
 *    begin_transaction(true) ... commit_transaction(): changes pending before
 *    the batch are committed first (in practice there are none; the commit
 *    is skipped by glass when nothing changed), and the batch becomes exactly
 *    one revision.
 *
 *  - Inside a transaction, GlassWritableDatabase::check_flush_threshold()
 *    still calls flush_postlist_changes() every XAPIAN_FLUSH_THRESHOLD
 *    changes (default 10000), writing the buffered postings into the tables,
 *    but it skips apply() while transaction_active().  Glass tables are
 *    copy-on-write: modified blocks go to blocks unused by the committed
 *    revision, and only apply() writes the new roots into the version file,
 *    which is what readers open.  So a batch of 36k or 1M documents spills
 *    to disk and keeps memory bounded, yet readers (and a process restarted
 *    after a crash) still see the previous revision until commit_transaction;
 *    cancel_transaction() (or closing a writer mid-batch) discards it all. */

#include "index.h"
#include "dbpath.h"
#include "hash.h"

/* Documents buffered by a writer between flushes (see index_open). */
#define INDEX_FLUSH_THRESHOLD "1000"

#include <xapian.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <memory>
#include <mutex>
#include <netdb.h>
#include <new>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

/* The collapse keys of a read-only index by docid, read once per revision
 * (see collapse_keys). */
struct CollapseKeys {
    std::string uuid;
    Xapian::rev revision = 0;
    Xapian::valueno slot = Xapian::BAD_VALUENO; /* BAD_VALUENO: not read */
    std::vector<uint64_t> of;                   /* 0: no key, or a key no other document has */
    uint64_t redundant = 0; /* documents of `of` that are copies of an earlier one */
};

/* The facet values of every document that has copies in the index (its
 * collapse key shared with another), by docid, read once per revision with
 * the collapse keys: facets with copies collapsed read them for the copies
 * among the matches (see search_facets_collapsed). */
struct CopyValues {
    std::string uuid;
    Xapian::rev revision = 0;
    std::vector<unsigned> slots; /* the facet slots read; empty: not read */
    std::unordered_map<Xapian::docid, std::vector<std::string>> of; /* values, by slot */
};

/* One line of a stub file.  A remote shard that fails (its connection
 * lost, a reply or a connection timed out) is left out of the combined
 * database: the others still answer (partial results), and it comes back
 * once a probe finds it answering (see ShardHealth). */
struct Shard {
    std::string name;  /* "remote HOST:PORT", or the local database's path */
    std::string host;  /* remote: its host, port and the context Xapian gives */
    unsigned port = 0; /* its errors ("remote:tcp(HOST:PORT)"); 0: a local shard */
    std::string context;
    Xapian::Database db; /* meaningful while up */
    bool up = false;
};

struct index_db {
    Xapian::Database *db;          /* the reader, or the writer seen as a Database */
    Xapian::WritableDatabase *wdb; /* the same object when writing, else NULL */
    std::string path;
    std::string last_error;
    bool in_batch;
    CollapseKeys collapse;
    CopyValues copy_values;
    /* What `path` named when opened (device and inode, 0 when it could not
     * be stat'ed): a sharded build replaces the database under the same
     * path, and a reader must then open the new one instead of reopening. */
    dev_t dev;
    ino_t ino;
    /* Opened from a stub file (open_stub): its shards, those up also part
     * of `db`; read one by one for what Xapian reads from the first shard
     * only (metadata). */
    std::vector<Shard> shards;
    bool remote;         /* a shard is remote: Xapian's own classes only go to it */
    uint64_t recombined; /* times the shards were combined anew (index_shard_changes) */
};

/* The timeout of a remote shard, to connect and for each reply. */
static unsigned remote_timeout_ms = 10000;

/* A remote shard found failing is probed again after this long, doubled at
 * each failed probe up to the maximum. */
#define SHARD_RETRY_FIRST_MS 500.0
#define SHARD_RETRY_MAX_MS 5000.0

/* What the process knows of a remote shard, shared by all its handles (the
 * workers of searchd): once one handle finds the shard failing, the others
 * leave it out at their next reopen without waiting for it, and no search
 * waits for it again while it is down.  A probe (probe_step) connects
 * without blocking anyone and waits for the greeting xapian-tcpsrv sends
 * to every new connection (it sends nothing: nothing custom goes to a
 * shard); once it comes, every handle connects again at its next reopen. */
struct ShardHealth {
    bool down = false;
    double retry_at = 0; /* monotonic ms: the next probe starts then */
    double backoff = 0;  /* ms before the probe after a failed one */
    int probe_fd = -1;   /* a probe under way, or -1 */
    double probe_started = 0;
    uint64_t failures = 0; /* failures found by searches and connections (not probes) */
    std::string error;     /* the last failure */
};
static std::mutex health_lock;
static std::map<std::string, ShardHealth> health; /* by "HOST:PORT", guarded by health_lock */

/* The monotonic clock in milliseconds: of the shards' probes, and of
 * deadline_ms. */
static double monotonic_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The device and inode `path` names now (following a symbolic link);
 * false when it cannot be stat'ed.  A directory holding a stub file
 * XAPIANDB (a replica kept by xapian-replicate) is known by its stub: a
 * full copy writes the new database beside the old one and renames a new
 * stub over the old, after which reopen() would still read the old copy
 * (removed), so a new stub means opening anew. */
static bool identity_of(const std::string &path, dev_t &dev, ino_t &ino)
{
    struct stat sb;
    if (stat(path.c_str(), &sb) != 0)
        return false;
    struct stat stub;
    if (S_ISDIR(sb.st_mode) && stat((path + "/XAPIANDB").c_str(), &stub) == 0)
        sb = stub;
    dev = sb.st_dev;
    ino = sb.st_ino;
    return true;
}

struct index_doc {
    Xapian::Document doc;
};

struct index_query {
    Xapian::Query q;
};

/* --- Errors ---------------------------------------------------------------- */

/* Whether the Xapian error carries the errno `err`: Xapian keeps it privately
 * and exposes only its strerror text, which some messages also embed. */
static bool error_has_errno(const Xapian::Error &e, int err)
{
    const char *want = strerror(err);
    const char *got = e.get_error_string();
    if (got && strcmp(got, want) == 0)
        return true;
    return e.get_msg().find(want) != std::string::npos;
}

static std::string message_of_xapian(const Xapian::Error &e)
{
    std::string msg = e.get_type();
    msg += ": ";
    msg += e.get_msg();
    const char *es = e.get_error_string();
    if (es && e.get_msg().find(es) == std::string::npos) {
        msg += " (";
        msg += es;
        msg += ")";
    }
    return msg;
}

/* Records a failure in the handle; the message is best effort (it may itself
 * run out of memory, in which case the handle keeps its previous one). */
static kq_status fail(index_db *db, kq_status st, const char *msg)
{
    if (db) {
        try {
            db->last_error = msg;
        } catch (...) {
        }
    }
    return st;
}

/* The status of a Xapian error whose type alone gives `by_type`: a disk
 * full or a read-only file system wins over the type (a glass write failing
 * with ENOSPC is a plain DatabaseError; a lock file that cannot be created on
 * a read-only mount is a DatabaseLockError). */
static kq_status fail_xapian(index_db *db, const Xapian::Error &e, kq_status by_type)
{
    kq_status st = by_type;
    if (by_type != KQ_ERR_MODIFIED && by_type != KQ_ERR_NOT_FOUND) {
        if (error_has_errno(e, ENOSPC))
            st = KQ_ERR_FULL;
        else if (error_has_errno(e, EROFS) || error_has_errno(e, EACCES) ||
                 error_has_errno(e, EPERM))
            st = KQ_ERR_READONLY;
    }
    try {
        return fail(db, st, message_of_xapian(e).c_str());
    } catch (...) {
        return st;
    }
}

/* Opening or creating a database under a missing path is "not found". */
static kq_status fail_opening(index_db *db, const Xapian::Error &e)
{
    return fail_xapian(db, e, error_has_errno(e, ENOENT) ? KQ_ERR_NOT_FOUND : KQ_ERR_XAPIAN);
}

/* --- Shards that fail ------------------------------------------------------- */

/* Records a failure of a remote shard found by a search or a connection:
 * it is down for every handle of the process until a probe finds it
 * answering. */
static void note_failure(const Shard &s, const std::string &msg)
{
    std::lock_guard<std::mutex> lock(health_lock);
    ShardHealth &h = health[s.host + ":" + std::to_string(s.port)];
    h.failures++;
    h.error = msg;
    if (!h.down) {
        h.down = true;
        h.backoff = SHARD_RETRY_FIRST_MS;
        h.retry_at = monotonic_ms() + h.backoff;
    }
}

/* A probe failed: the next one waits twice as long, up to the maximum. */
static void probe_failed(ShardHealth &h, const std::string &why)
{
    if (h.probe_fd >= 0)
        close(h.probe_fd);
    h.probe_fd = -1;
    h.error = why;
    h.backoff = std::min(std::max(h.backoff * 2, SHARD_RETRY_FIRST_MS), SHARD_RETRY_MAX_MS);
    h.retry_at = monotonic_ms() + h.backoff;
}

/* Advances the probe of a shard that is down, never blocking (called with
 * health_lock held, at each reopen of any handle): starts it when its
 * time has come, then looks whether the shard's greeting arrived.  The
 * shard is up again once it did. */
static void probe_step(ShardHealth &h, const Shard &s)
{
    double now = monotonic_ms();
    if (h.probe_fd < 0) {
        if (now < h.retry_at)
            return;
        struct addrinfo hints, *ai = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;
        std::string port = std::to_string(s.port);
        int rc = getaddrinfo(s.host.c_str(), port.c_str(), &hints, &ai);
        if (rc != 0) {
            probe_failed(h, std::string("cannot resolve ") + s.host + ": " + gai_strerror(rc));
            return;
        }
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            int err = errno;
            close(fd);
            fd = -1;
            errno = err;
        }
        std::string why = fd < 0 ? std::string("cannot connect: ") + strerror(errno) : "";
        freeaddrinfo(ai);
        if (fd < 0) {
            probe_failed(h, why);
            return;
        }
        h.probe_fd = fd;
        h.probe_started = now;
    }
    struct pollfd p = {h.probe_fd, POLLIN, 0};
    if (poll(&p, 1, 0) > 0) {
        char buf[64];
        ssize_t got = (p.revents & POLLIN) ? read(h.probe_fd, buf, sizeof buf) : -1;
        if (got > 0) {
            close(h.probe_fd);
            h.probe_fd = -1;
            h.down = false;
            h.backoff = 0;
            return;
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (got < 0 && getsockopt(h.probe_fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
            probe_failed(h, std::string("cannot connect: ") + strerror(err));
        else
            probe_failed(h,
                         got == 0 ? "closed the connection without a greeting" : "cannot connect");
        return;
    }
    if (now - h.probe_started >= remote_timeout_ms)
        probe_failed(h, "no greeting within " + std::to_string(remote_timeout_ms) + " ms");
}

/* Connects to a remote shard (Xapian's own remote database, with the
 * timeout of index_set_remote_timeout); throws Xapian::NetworkError. */
static void connect_shard(Shard &s)
{
    s.db = Xapian::Remote::open(s.host, s.port, remote_timeout_ms, remote_timeout_ms);
    s.up = true;
}

/* The name of shard i as messages give it: "shard 2 (remote HOST:PORT)". */
static std::string shard_label(const index_db *db, size_t i)
{
    return "shard " + std::to_string(i + 1) + " (" + db->shards[i].name + ")";
}

/* Rebuilds db->db from the shards that are up; KQ_ERR_UNAVAILABLE, naming
 * every shard and why, when none is. */
static kq_status combine_shards(index_db *db)
{
    std::unique_ptr<Xapian::Database> all(new Xapian::Database());
    std::string why;
    for (size_t i = 0; i < db->shards.size(); i++) {
        const Shard &s = db->shards[i];
        if (s.up) {
            all->add_database(s.db);
            continue;
        }
        std::lock_guard<std::mutex> lock(health_lock);
        why += (why.empty() ? "" : "; ") + shard_label(db, i) + ": " +
               health[s.host + ":" + std::to_string(s.port)].error;
    }
    /* With none up, the empty database: nothing waits on a shard found down. */
    delete db->db;
    db->db = all.release();
    db->recombined++;
    if (db->db->size() == 0)
        return fail(db, KQ_ERR_UNAVAILABLE, ("no shard answers: " + why).c_str());
    return KQ_OK;
}

/* Leaves shard s out after a failure with `msg`: connected again at once
 * first when the failure was not a timeout (a shard that restarted). */
static void drop_shard(Shard &s, const std::string &msg, bool timeout)
{
    s.up = false;
    s.db = Xapian::Database();
    if (!timeout) {
        try {
            connect_shard(s);
            return;
        } catch (const Xapian::Error &) {
        }
    }
    note_failure(s, msg);
}

/* A network error from the combined database of remote shards: the shard
 * it came from is found (Xapian's context of the error names it; a
 * connection closed has none, and then each shard up is asked with a
 * reopen, which fails for the one that is gone), left out, and the
 * others combined again.  KQ_ERR_MODIFIED: run the operation again, on the
 * shards that answer; KQ_ERR_UNAVAILABLE when none does. */
static kq_status shard_failed(index_db *db, const Xapian::Error &e, bool timeout)
{
    std::string msg;
    try {
        msg = message_of_xapian(e);
        bool found = false;
        for (Shard &s : db->shards) {
            if (s.up && s.port && !e.get_context().empty() && e.get_context() == s.context) {
                drop_shard(s, msg, timeout);
                found = true;
            }
        }
        for (size_t i = 0; !found && i < db->shards.size(); i++) {
            Shard &s = db->shards[i];
            if (!s.up || !s.port)
                continue;
            try {
                s.db.reopen();
            } catch (const Xapian::NetworkTimeoutError &again) {
                drop_shard(s, message_of_xapian(again), true);
            } catch (const Xapian::Error &again) {
                drop_shard(s, message_of_xapian(again), false);
            }
        }
        kq_status st = combine_shards(db);
        if (st != KQ_OK)
            return st;
        return fail(db, KQ_ERR_MODIFIED, msg.c_str());
    } catch (const std::bad_alloc &) {
        return fail(db, KQ_ERR_NOMEM, "out of memory");
    } catch (...) {
        return fail(db, KQ_ERR_XAPIAN, msg.c_str());
    }
}

/* Before a handle's reopen: the shards another handle found failing are
 * left out, those found answering again are connected, and the probes of
 * those down are advanced.  Combines again when that changed anything. */
static kq_status sync_shards(index_db *db)
{
    bool changed = false;
    std::vector<Shard *> connect;
    {
        std::lock_guard<std::mutex> lock(health_lock);
        for (Shard &s : db->shards) {
            if (!s.port)
                continue;
            ShardHealth &h = health[s.host + ":" + std::to_string(s.port)];
            if (s.up && h.down) {
                s.up = false;
                s.db = Xapian::Database();
                changed = true;
            } else if (!s.up) {
                if (h.down)
                    probe_step(h, s);
                if (!h.down)
                    connect.push_back(&s);
            }
        }
    }
    for (Shard *s : connect) {
        try {
            connect_shard(*s);
            changed = true;
        } catch (const Xapian::Error &e) {
            note_failure(*s, message_of_xapian(e));
        }
    }
    return changed ? combine_shards(db) : KQ_OK;
}

/* Maps the exception being handled to a status recorded in db (may be NULL).
 * Xapian::Error is not polymorphic, so the type is found by rethrowing it
 * into an ordered list of handlers, most derived first. */
static kq_status fail_current(index_db *db) noexcept
{
    try {
        throw;
    } catch (const Xapian::DatabaseModifiedError &e) {
        return fail_xapian(db, e, KQ_ERR_MODIFIED);
    } catch (const Xapian::NetworkTimeoutError &e) {
        /* A shard hangs: left out, never waited for again while it does. */
        if (db && db->remote)
            return shard_failed(db, e, true);
        return fail_xapian(db, e, KQ_ERR_XAPIAN);
    } catch (const Xapian::NetworkError &e) {
        /* A remote shard's connection was lost: connected again at once
         * (it restarted), or left out when it does not answer. */
        if (db && db->remote)
            return shard_failed(db, e, false);
        return fail_xapian(db, e, KQ_ERR_XAPIAN);
    } catch (const Xapian::DatabaseLockError &e) {
        return fail_xapian(db, e, KQ_ERR_LOCKED);
    } catch (const Xapian::DatabaseNotFoundError &e) {
        return fail_xapian(db, e, KQ_ERR_NOT_FOUND);
    } catch (const Xapian::DocNotFoundError &e) {
        return fail_xapian(db, e, KQ_ERR_NOT_FOUND);
    } catch (const Xapian::DatabaseCorruptError &e) {
        return fail_xapian(db, e, KQ_ERR_CORRUPT);
    } catch (const Xapian::DatabaseOpeningError &e) {
        return fail_opening(db, e);
    } catch (const Xapian::DatabaseCreateError &e) {
        return fail_opening(db, e);
    } catch (const Xapian::Error &e) {
        return fail_xapian(db, e, KQ_ERR_XAPIAN);
    } catch (const std::bad_alloc &) {
        return fail(db, KQ_ERR_NOMEM, "out of memory");
    } catch (const std::exception &e) {
        return fail(db, KQ_ERR_XAPIAN, e.what());
    } catch (...) {
        return fail(db, KQ_ERR_XAPIAN, "unknown exception");
    }
}

/* Runs f, turning every exception into a status recorded in db (may be NULL). */
template <typename F> static kq_status guard(index_db *db, F &&f)
{
    try {
        return f();
    } catch (...) {
        return fail_current(db);
    }
}

static void copy_message(char *err, size_t err_size, const std::string &msg)
{
    if (err && err_size)
        snprintf(err, err_size, "%s", msg.c_str());
}

/* --- Opening --------------------------------------------------------------- */

extern "C" void index_set_remote_timeout(unsigned ms)
{
    remote_timeout_ms = ms ? ms : 10000;
}

static bool is_regular_file(const std::string &path)
{
    struct stat sb;
    return stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Opens the shards a Xapian stub file lists, as Xapian would, but with the
 * timeout of index_set_remote_timeout (Xapian's own reading of a stub keeps
 * 10 s).  A line is "auto|glass|chert PATH" (relative to the stub's
 * directory; a Kiosque database directory stands for its xapian/), or
 * "remote HOST:PORT" (xapian-tcpsrv); "#" starts a comment.  Throws
 * Xapian::DatabaseOpeningError naming the line it cannot read, or a local
 * shard's error.  A remote shard that does not answer is left out (and
 * not waited for when the process already knows it down); KQ_ERR_UNAVAILABLE
 * when no shard answers. */
static kq_status open_stub(index_db *db)
{
    FILE *opened = fopen(db->path.c_str(), "r");
    if (!opened)
        throw Xapian::DatabaseOpeningError("cannot read the stub file " + db->path, errno);
    /* Closed on every way out, a shard that cannot be opened included. */
    std::unique_ptr<FILE, int (*)(FILE *)> file(opened, fclose);
    FILE *f = file.get();
    std::string dir = db->path.substr(0, db->path.find_last_of('/') + 1);
    std::vector<Shard> shards;
    bool remote = false;
    char line[4096];
    unsigned number = 0;
    std::string bad;
    while (bad.empty() && fgets(line, sizeof line, f)) {
        number++;
        std::string l(line);
        while (!l.empty() &&
               (l.back() == '\n' || l.back() == '\r' || l.back() == ' ' || l.back() == '\t'))
            l.pop_back();
        size_t start = l.find_first_not_of(" \t");
        if (start == std::string::npos || l[start] == '#')
            continue;
        size_t sp = l.find_first_of(" \t", start);
        size_t arg = sp == std::string::npos ? sp : l.find_first_not_of(" \t", sp);
        std::string kind = l.substr(start, sp == std::string::npos ? sp : sp - start);
        std::string value = arg == std::string::npos ? "" : l.substr(arg);
        if ((kind == "auto" || kind == "glass" || kind == "chert") && !value.empty()) {
            std::string path = value[0] == '/' ? value : dir + value;
            struct stat sb;
            if (stat((path + "/" DBPATH_XAPIAN).c_str(), &sb) == 0 && S_ISDIR(sb.st_mode) &&
                stat((path + "/iamglass").c_str(), &sb) != 0)
                path += "/" DBPATH_XAPIAN;
            Shard s;
            s.name = path;
            s.db = Xapian::Database(path);
            s.up = true;
            shards.push_back(std::move(s));
        } else if (kind == "remote" && !value.empty() && value[0] != ':') {
            size_t colon = value.rfind(':');
            char *end = NULL;
            unsigned long port =
                colon == std::string::npos ? 0 : strtoul(value.c_str() + colon + 1, &end, 10);
            if (colon == 0 || colon == std::string::npos || !end || *end || port < 1 ||
                port > 65535) {
                bad = "not HOST:PORT";
            } else {
                Shard s;
                s.name = "remote " + value;
                s.host = value.substr(0, colon);
                s.port = (unsigned)port;
                s.context = "remote:tcp(" + s.host + ":" + std::to_string(port) + ")";
                shards.push_back(std::move(s));
                remote = true;
            }
        } else {
            bad = "not \"auto PATH\" nor \"remote HOST:PORT\"";
        }
    }
    file.reset();
    if (!bad.empty())
        throw Xapian::DatabaseOpeningError(db->path + ":" + std::to_string(number) + ": " + bad);
    if (shards.empty())
        throw Xapian::DatabaseOpeningError(db->path + ": the stub file names no database");
    db->shards = std::move(shards);
    db->remote = remote;
    /* The remote shards are connected as those found answering again. */
    kq_status st = sync_shards(db);
    return st == KQ_OK ? combine_shards(db) : st;
}

/* Opens a reader's Database at db->path. */
static kq_status open_reader(index_db *db)
{
    if (is_regular_file(db->path))
        return open_stub(db);
    Xapian::Database *fresh = new Xapian::Database(db->path);
    delete db->db;
    db->db = fresh;
    db->shards.clear();
    db->remote = false;
    return KQ_OK;
}

extern "C" index_db *index_open(const char *path, enum index_mode mode, kq_status *status,
                                char *err, size_t err_size)
{
    kq_status st = KQ_OK;
    index_db *db = NULL;
    copy_message(err, err_size, "");
    if (!path || !*path) {
        st = KQ_ERR_INVALID;
        copy_message(err, err_size, "no index path given");
        goto out;
    }
    db = new (std::nothrow) index_db();
    if (!db) {
        st = KQ_ERR_NOMEM;
        goto out;
    }
    st = guard(db, [&]() {
        db->path = path;
        if (mode == INDEX_WRITE) {
            /* Xapian buffers this many changed documents in memory before
             * writing them out (inside a batch, without a new revision).
             * Its default of 10,000 makes the in-memory inverter's maps so
             * large that indexing the sample corpus ran about 1.6x slower
             * than with 1,000 (bench figures in the README).  Xapian 1.4
             * reads the setting only from the environment; a value the user
             * set is kept. */
            setenv("XAPIAN_FLUSH_THRESHOLD", INDEX_FLUSH_THRESHOLD, 0);
            db->wdb = new Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OPEN);
            db->db = db->wdb;
        } else if (mode == INDEX_SCRATCH) {
            /* A private part of a build, merged and deleted afterwards:
             * created empty, and never synced to disk (the merged database
             * is, when it commits). */
            db->wdb = new Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OVERWRITE |
                                                             Xapian::DB_NO_SYNC);
            db->db = db->wdb;
        } else {
            kq_status opened = open_reader(db);
            if (opened != KQ_OK)
                return opened;
        }
        if (!identity_of(db->path, db->dev, db->ino))
            db->dev = 0, db->ino = 0;
        return KQ_OK;
    });
    if (st != KQ_OK) {
        copy_message(err, err_size, db->last_error);
        delete db->db; /* a stub's shards combined, none answering */
        delete db;
        db = NULL;
    }
out:
    if (status)
        *status = st;
    return db;
}

extern "C" void index_close(index_db *db)
{
    if (!db)
        return;
    guard(db, [&]() {
        if (db->wdb) {
            if (db->in_batch) {
                db->in_batch = false;
                db->wdb->cancel_transaction();
            }
            /* Commits changes made outside a batch, then releases the lock. */
            db->wdb->close();
        }
        return KQ_OK;
    });
    try {
        delete db->db;
    } catch (...) {
    }
    delete db;
}

extern "C" const char *index_last_error(const index_db *db)
{
    return db ? db->last_error.c_str() : "";
}

/* Replaces a reader's Database with one opened anew at its path. */
static kq_status open_again(index_db *db, dev_t dev, ino_t ino)
{
    kq_status st = open_reader(db);
    db->dev = dev;
    db->ino = ino;
    return st;
}

extern "C" kq_status index_reopen(index_db *db)
{
    if (!db)
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        if (db->wdb) {
            db->db->reopen(); /* a writer holds its directory's lock: never replaced */
            return KQ_OK;
        }
        dev_t dev = 0;
        ino_t ino = 0;
        /* The path names another database (a sharded build replaced it, or
         * the stub file was written again): reopen() would read the new
         * version file against the old tables, so open it anew.  When it
         * names nothing for a moment, keep the revision at hand. */
        if (identity_of(db->path, dev, ino) && (dev != db->dev || ino != db->ino))
            return open_again(db, dev, ino);
        if (db->remote) {
            kq_status st = sync_shards(db);
            if (st == KQ_OK && index_shards_up(db) == 0)
                st = combine_shards(db); /* says which and why */
            if (st != KQ_OK)
                return st;
        }
        /* Each shard that fails is left out and the others reopened again. */
        for (size_t attempt = 0;; attempt++) {
            try {
                std::string uuid = db->db->get_uuid();
                db->db->reopen();
                if (db->db->get_uuid() != uuid) {
                    /* Replaced between the stat and reopen(). */
                    identity_of(db->path, dev, ino);
                    return open_again(db, dev, ino);
                }
                return KQ_OK;
            } catch (const Xapian::DatabaseError &) {
                /* The old database was removed after the replacement. */
                if (!identity_of(db->path, dev, ino) || (dev == db->dev && ino == db->ino))
                    throw;
                return open_again(db, dev, ino);
            } catch (const Xapian::NetworkError &) {
                if (!db->remote || attempt > db->shards.size())
                    throw;
                kq_status st = fail_current(db); /* the failing shard left out */
                if (st != KQ_ERR_MODIFIED)
                    return st;
            }
        }
    });
}

/* --- Writing --------------------------------------------------------------- */

static kq_status need_writer(index_db *db)
{
    if (!db)
        return KQ_ERR_INVALID;
    if (!db->wdb)
        return fail(db, KQ_ERR_INVALID, "the index was opened read-only");
    return KQ_OK;
}

extern "C" kq_status index_begin(index_db *db)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (db->in_batch)
        return fail(db, KQ_ERR_INVALID, "a batch is already open");
    return guard(db, [&]() {
        db->wdb->begin_transaction(true); /* see the top of this file */
        db->in_batch = true;
        return KQ_OK;
    });
}

/* Ends the open batch, keeping or discarding it; whether or not Xapian
 * succeeds, the transaction is over afterwards. */
static kq_status end_batch(index_db *db, bool keep)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (!db->in_batch)
        return fail(db, KQ_ERR_INVALID, "no batch is open");
    db->in_batch = false;
    return guard(db, [&]() {
        if (keep)
            db->wdb->commit_transaction();
        else
            db->wdb->cancel_transaction();
        return KQ_OK;
    });
}

extern "C" kq_status index_commit(index_db *db)
{
    return end_batch(db, true);
}

extern "C" kq_status index_cancel(index_db *db)
{
    return end_batch(db, false);
}

/* The unique term is added to the document as a boolean term when missing,
 * so that the next replace or delete by that term finds it. */
extern "C" kq_status index_replace(index_db *db, const char *unique_term, const index_doc *doc,
                                   unsigned *docid)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (!unique_term || !*unique_term || !doc)
        return fail(db, KQ_ERR_INVALID, "index_replace: missing unique term or document");
    return guard(db, [&]() {
        Xapian::Document &d = const_cast<index_doc *>(doc)->doc;
        Xapian::TermIterator t = d.termlist_begin();
        t.skip_to(unique_term);
        if (t == d.termlist_end() || *t != unique_term)
            d.add_boolean_term(unique_term);
        Xapian::docid id = db->wdb->replace_document(unique_term, d);
        if (docid)
            *docid = id;
        return KQ_OK;
    });
}

extern "C" kq_status index_add(index_db *db, const index_doc *doc, unsigned *docid)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (!doc)
        return fail(db, KQ_ERR_INVALID, "index_add: missing document");
    return guard(db, [&]() {
        Xapian::docid id = db->wdb->add_document(doc->doc);
        if (docid)
            *docid = id;
        return KQ_OK;
    });
}

extern "C" kq_status index_add_at(index_db *db, unsigned docid, const index_doc *doc)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (!doc || docid == 0)
        return fail(db, KQ_ERR_INVALID, "index_add_at: missing document or document id");
    return guard(db, [&]() {
        db->wdb->replace_document(docid, doc->doc);
        return KQ_OK;
    });
}

extern "C" kq_status index_flush(index_db *db)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (db->in_batch)
        return fail(db, KQ_ERR_INVALID, "index_flush: a batch is open");
    return guard(db, [&]() {
        db->wdb->commit();
        return KQ_OK;
    });
}

extern "C" kq_status index_copy_from(index_db *db, const char *source)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (!source || !*source)
        return fail(db, KQ_ERR_INVALID, "index_copy_from: no source");
    return guard(db, [&]() {
        Xapian::Database from(source);
        for (Xapian::PostingIterator p = from.postlist_begin(""); p != from.postlist_end(""); ++p)
            db->wdb->replace_document(*p, from.get_document(*p));
        return KQ_OK;
    });
}

extern "C" kq_status index_lookup(index_db *db, const char *unique_term, unsigned *docid)
{
    if (!db || !unique_term || !*unique_term)
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        Xapian::PostingIterator p = db->db->postlist_begin(unique_term);
        if (p == db->db->postlist_end(unique_term))
            return KQ_ERR_NOT_FOUND;
        if (docid)
            *docid = *p;
        return KQ_OK;
    });
}

extern "C" kq_status index_delete(index_db *db, const char *unique_term)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (!unique_term || !*unique_term)
        return fail(db, KQ_ERR_INVALID, "index_delete: missing unique term");
    return guard(db, [&]() {
        /* get_termfreq on a writer includes the changes not yet flushed. */
        if (db->wdb->get_termfreq(unique_term) == 0)
            return fail(db, KQ_ERR_NOT_FOUND,
                        (std::string("no document indexed under ") + unique_term).c_str());
        db->wdb->delete_document(unique_term);
        return KQ_OK;
    });
}

extern "C" kq_status index_set_metadata(index_db *db, const char *key, const char *value)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (!key || !*key || !value)
        return fail(db, KQ_ERR_INVALID, "index_set_metadata: missing key or value");
    return guard(db, [&]() {
        db->wdb->set_metadata(key, value);
        return KQ_OK;
    });
}

/* Returns a malloc'd copy of s (NUL-terminated, embedded NULs kept), or NULL. */
static char *dup_bytes(const std::string &s)
{
    char *p = static_cast<char *>(malloc(s.size() + 1));
    if (!p)
        return NULL;
    memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

extern "C" size_t index_shard_count(const index_db *db)
{
    return db && !db->shards.empty() ? db->shards.size() : 1;
}

extern "C" uint64_t index_shard_changes(const index_db *db)
{
    return db ? db->recombined : 0;
}

extern "C" size_t index_shards_up(const index_db *db)
{
    if (!db || db->shards.empty())
        return 1;
    size_t up = 0;
    for (const Shard &s : db->shards)
        up += s.up;
    return up;
}

extern "C" void index_shard_state(const index_db *db, size_t shard, index_shard_info *out)
{
    memset(out, 0, sizeof *out);
    if (!db || shard >= index_shard_count(db))
        return;
    if (db->shards.empty()) {
        snprintf(out->name, sizeof out->name, "%s", db->path.c_str());
        out->up = 1;
        return;
    }
    const Shard &s = db->shards[shard];
    snprintf(out->name, sizeof out->name, "%s", s.name.c_str());
    out->up = s.up;
    if (!s.port)
        return;
    try {
        std::lock_guard<std::mutex> lock(health_lock);
        const ShardHealth &h = health[s.host + ":" + std::to_string(s.port)];
        out->failures = h.failures;
        if (!s.up)
            snprintf(out->error, sizeof out->error, "%s", h.error.c_str());
    } catch (...) {
    }
}

extern "C" char *index_get_shard_metadata(index_db *db, size_t shard, const char *key)
{
    char *out = NULL;
    if (!db || !key || !*key || shard >= index_shard_count(db))
        return NULL;
    if (!db->shards.empty() && !db->shards[shard].up)
        return NULL;
    kq_status st = guard(db, [&]() {
        const Xapian::Database &d = db->shards.empty() ? *db->db : db->shards[shard].db;
        out = dup_bytes(d.get_metadata(key));
        return out ? KQ_OK : fail(db, KQ_ERR_NOMEM, "out of memory");
    });
    return st == KQ_OK ? out : NULL;
}

extern "C" char *index_get_metadata(index_db *db, const char *key, kq_status *status)
{
    char *out = NULL;
    kq_status st = KQ_ERR_INVALID;
    if (db && key && *key)
        st = guard(db, [&]() {
            out = dup_bytes(db->db->get_metadata(key));
            return out ? KQ_OK : fail(db, KQ_ERR_NOMEM, "out of memory");
        });
    else if (db)
        fail(db, KQ_ERR_INVALID, "no metadata key given");
    if (status)
        *status = st;
    return st == KQ_OK ? out : NULL;
}

/* --- Documents under construction ------------------------------------------ */

extern "C" index_doc *index_doc_new(void)
{
    try {
        return new index_doc();
    } catch (...) {
        return NULL;
    }
}

extern "C" void index_doc_free(index_doc *doc)
{
    delete doc;
}

extern "C" void index_doc_clear(index_doc *doc)
{
    if (!doc)
        return;
    try {
        doc->doc = Xapian::Document();
    } catch (...) {
        /* Only allocation can fail; clear_terms/values/data then frees instead. */
        doc->doc.clear_terms();
        doc->doc.clear_values();
        doc->doc.set_data(std::string());
    }
}

extern "C" kq_status index_doc_add_posting(index_doc *doc, const char *term, unsigned position,
                                           unsigned wdf_inc)
{
    if (!doc || !term || !*term)
        return KQ_ERR_INVALID;
    return guard(NULL, [&]() {
        doc->doc.add_posting(term, position, wdf_inc);
        return KQ_OK;
    });
}

extern "C" kq_status index_doc_add_term(index_doc *doc, const char *term, unsigned wdf_inc)
{
    if (!doc || !term || !*term)
        return KQ_ERR_INVALID;
    return guard(NULL, [&]() {
        doc->doc.add_term(term, wdf_inc);
        return KQ_OK;
    });
}

extern "C" kq_status index_doc_add_boolean_term(index_doc *doc, const char *term)
{
    if (!doc || !term || !*term)
        return KQ_ERR_INVALID;
    return guard(NULL, [&]() {
        doc->doc.add_boolean_term(term);
        return KQ_OK;
    });
}

extern "C" kq_status index_doc_set_value(index_doc *doc, unsigned slot, const char *bytes,
                                         size_t len)
{
    if (!doc || (!bytes && len))
        return KQ_ERR_INVALID;
    return guard(NULL, [&]() {
        doc->doc.add_value(slot, std::string(bytes ? bytes : "", len));
        return KQ_OK;
    });
}

extern "C" char *index_doc_get_value(const index_doc *doc, unsigned slot, size_t *len)
{
    if (!doc)
        return NULL;
    try {
        std::string v = doc->doc.get_value(slot);
        char *out = static_cast<char *>(malloc(v.size() + 1));
        if (!out)
            return NULL;
        memcpy(out, v.data(), v.size());
        out[v.size()] = '\0';
        if (len)
            *len = v.size();
        return out;
    } catch (...) {
        return NULL;
    }
}

extern "C" kq_status index_doc_set_data(index_doc *doc, const char *data, size_t len)
{
    if (!doc || (!data && len))
        return KQ_ERR_INVALID;
    return guard(NULL, [&]() {
        doc->doc.set_data(std::string(data ? data : "", len));
        return KQ_OK;
    });
}

extern "C" size_t index_serialise_number(double value, char out[18])
{
    /* sortable_serialise writes at most 18 bytes into a caller buffer and
     * does not allocate. */
    return Xapian::sortable_serialise_(value, out);
}

/* --- Reading --------------------------------------------------------------- */

/* Bytes of the regular files directly inside dir (a glass database is flat),
 * or the size of path itself when it is a file (a stub or single-file db). */
static uint64_t disk_size(const std::string &path)
{
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return (uint64_t)st.st_size;
    uint64_t total = 0;
    DIR *d = opendir(path.c_str());
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        std::string f = path + "/" + e->d_name;
        if (stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

extern "C" kq_status index_get_stats(index_db *db, index_stats *out)
{
    if (!db || !out)
        return KQ_ERR_INVALID;
    memset(out, 0, sizeof *out);
    return guard(db, [&]() {
        out->documents = db->db->get_doccount();
        out->last_docid = db->db->get_lastdocid();
        out->average_length = db->db->get_avlength();
        /* Several databases searched as one (shards), or a remote one, have no
         * revision Xapian gives. */
        out->revision = db->db->size() == 1 && !db->remote ? db->db->get_revision() : 0;
        out->size_bytes = disk_size(db->path);
        return KQ_OK;
    });
}

extern "C" kq_status index_doc_count(index_db *db, uint64_t *out)
{
    if (!db || !out)
        return KQ_ERR_INVALID;
    *out = 0;
    return guard(db, [&]() {
        *out = db->db->get_doccount();
        return KQ_OK;
    });
}

extern "C" kq_status index_count_terms(index_db *db, uint64_t *out)
{
    if (!db || !out)
        return KQ_ERR_INVALID;
    *out = 0;
    return guard(db, [&]() {
        uint64_t n = 0;
        for (Xapian::TermIterator t = db->db->allterms_begin(); t != db->db->allterms_end(); ++t)
            n++;
        *out = n;
        return KQ_OK;
    });
}

extern "C" kq_status index_term_freq(index_db *db, const char *term, uint64_t *out)
{
    if (!db || !term || !out)
        return KQ_ERR_INVALID;
    *out = 0;
    if (!*term)
        return KQ_OK;
    return guard(db, [&]() {
        *out = db->db->get_termfreq(term);
        return KQ_OK;
    });
}

extern "C" kq_status index_terms_with_prefix(index_db *db, const char *prefix, size_t max,
                                             int (*cb)(void *ctx, const char *term, uint64_t freq),
                                             void *ctx)
{
    if (!db || !cb)
        return KQ_ERR_INVALID;
    const char *p = prefix ? prefix : "";
    return guard(db, [&]() {
        size_t seen = 0;
        for (Xapian::TermIterator t = db->db->allterms_begin(p);
             t != db->db->allterms_end(p) && seen < max; ++t, ++seen) {
            std::string term = *t;
            if (cb(ctx, term.c_str(), t.get_termfreq()))
                break;
        }
        return KQ_OK;
    });
}

extern "C" kq_status index_get_data(index_db *db, const char *unique_term, char **data, size_t *len,
                                    unsigned *docid)
{
    if (!db || !unique_term || !data)
        return KQ_ERR_INVALID;
    *data = NULL;
    if (len)
        *len = 0;
    return guard(db, [&]() {
        Xapian::PostingIterator p = db->db->postlist_begin(unique_term);
        if (!*unique_term || p == db->db->postlist_end(unique_term))
            return fail(db, KQ_ERR_NOT_FOUND,
                        (std::string("no document indexed under ") + unique_term).c_str());
        Xapian::docid id = *p;
        std::string d = db->db->get_document(id).get_data();
        char *copy = dup_bytes(d);
        if (!copy)
            return fail(db, KQ_ERR_NOMEM, "out of memory");
        *data = copy;
        if (len)
            *len = d.size();
        if (docid)
            *docid = id;
        return KQ_OK;
    });
}

extern "C" char *index_get_value(index_db *db, const char *unique_term, unsigned slot,
                                 kq_status *status)
{
    char *out = nullptr;
    *status = guard(db, [&]() {
        Xapian::PostingIterator p = db->db->postlist_begin(unique_term);
        if (p == db->db->postlist_end(unique_term))
            return fail(db, KQ_ERR_NOT_FOUND,
                        (std::string("no document indexed under ") + unique_term).c_str());
        out = dup_bytes(db->db->get_document(*p).get_value(slot));
        return out ? KQ_OK : KQ_ERR_NOMEM;
    });
    return *status == KQ_OK ? out : nullptr;
}

extern "C" char *index_value_upper_bound(index_db *db, unsigned slot)
{
    char *out = nullptr;
    kq_status st = guard(db, [&]() {
        out = dup_bytes(db->db->get_value_upper_bound(slot));
        return out ? KQ_OK : KQ_ERR_NOMEM;
    });
    return st == KQ_OK ? out : nullptr;
}

extern "C" kq_status index_expand(index_db *db, const char *unique_term, const char *prefix,
                                  size_t max, int (*cb)(void *ctx, const char *term, double weight),
                                  void *ctx)
{
    if (!db || !unique_term || !prefix || !cb)
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        Xapian::PostingIterator p = db->db->postlist_begin(unique_term);
        if (p == db->db->postlist_end(unique_term))
            return fail(db, KQ_ERR_NOT_FOUND,
                        (std::string("no document indexed under ") + unique_term).c_str());
        Xapian::RSet rset;
        rset.add_document(*p);
        Xapian::Enquire enquire(*db->db);
        Xapian::ExpandDeciderFilterPrefix decider(prefix);
        /* Over shards, the terms' frequencies summed exactly, as one index
         * has them (Xapian approximates them by default). */
        Xapian::ESet eset = enquire.get_eset((Xapian::termcount)max, rset,
                                             Xapian::Enquire::USE_EXACT_TERMFREQ, &decider);
        for (Xapian::ESetIterator e = eset.begin(); e != eset.end(); ++e)
            if (cb(ctx, (*e).c_str(), e.get_weight()))
                break;
        return KQ_OK;
    });
}

extern "C" kq_status index_get_document(index_db *db, unsigned docid, char **data, size_t *len)
{
    if (!db || !data || docid == 0)
        return KQ_ERR_INVALID;
    *data = NULL;
    if (len)
        *len = 0;
    return guard(db, [&]() {
        std::string d = db->db->get_document(docid).get_data();
        char *copy = dup_bytes(d);
        if (!copy)
            return fail(db, KQ_ERR_NOMEM, "out of memory");
        *data = copy;
        if (len)
            *len = d.size();
        return KQ_OK;
    });
}

extern "C" kq_status index_delete_document(index_db *db, unsigned docid)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (docid == 0)
        return fail(db, KQ_ERR_INVALID, "index_delete_document: no document id");
    return guard(db, [&]() {
        db->wdb->delete_document(docid); /* DocNotFoundError becomes KQ_ERR_NOT_FOUND */
        return KQ_OK;
    });
}

extern "C" kq_status index_set_document_value(index_db *db, unsigned docid, unsigned slot,
                                              const char *bytes, size_t len)
{
    kq_status st = need_writer(db);
    if (st != KQ_OK)
        return st;
    if (docid == 0 || (!bytes && len))
        return fail(db, KQ_ERR_INVALID, "index_set_document_value: no document id or value");
    return guard(db, [&]() {
        /* Xapian writes back only what changed of a document it read. */
        Xapian::Document doc = db->wdb->get_document(docid);
        doc.add_value(slot, std::string(bytes ? bytes : "", len));
        db->wdb->replace_document(docid, doc);
        return KQ_OK;
    });
}

extern "C" kq_status index_foreach_document(
    index_db *db, int (*cb)(void *ctx, unsigned docid, const char *data, size_t len), void *ctx)
{
    if (!db || !cb)
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        /* The postlist of the empty term lists every document, in docid order. */
        for (Xapian::PostingIterator p = db->db->postlist_begin(""); p != db->db->postlist_end("");
             ++p) {
            std::string d = db->db->get_document(*p).get_data();
            if (cb(ctx, *p, d.data(), d.size()))
                break;
        }
        return KQ_OK;
    });
}

/* --- Queries ----------------------------------------------------------------
 * Xapian::Query reference counts are not atomic: a query tree belongs to one
 * thread, like the handles. */

static index_query *wrap(const Xapian::Query &q)
{
    try {
        return new index_query{q};
    } catch (...) {
        return NULL;
    }
}

extern "C" index_query *index_query_term(const char *term, unsigned wqf)
{
    if (!term)
        return NULL;
    try {
        return wrap(Xapian::Query(term, wqf ? wqf : 1));
    } catch (...) {
        return NULL;
    }
}

static bool op_of(enum index_op op, Xapian::Query::op *out)
{
    switch (op) {
    case INDEX_OP_AND:
        *out = Xapian::Query::OP_AND;
        return true;
    case INDEX_OP_OR:
        *out = Xapian::Query::OP_OR;
        return true;
    case INDEX_OP_AND_NOT:
        *out = Xapian::Query::OP_AND_NOT;
        return true;
    case INDEX_OP_AND_MAYBE:
        *out = Xapian::Query::OP_AND_MAYBE;
        return true;
    case INDEX_OP_FILTER:
        *out = Xapian::Query::OP_FILTER;
        return true;
    case INDEX_OP_SYNONYM:
        *out = Xapian::Query::OP_SYNONYM;
        return true;
    case INDEX_OP_PHRASE:
        *out = Xapian::Query::OP_PHRASE;
        return true;
    case INDEX_OP_NEAR:
        *out = Xapian::Query::OP_NEAR;
        return true;
    case INDEX_OP_MAX:
        *out = Xapian::Query::OP_MAX;
        return true;
    case INDEX_OP_ELITE_SET:
        *out = Xapian::Query::OP_ELITE_SET;
        return true;
    }
    return false;
}

/* `window` is the PHRASE/NEAR window (0: the number of subqueries) or the
 * ELITE_SET size (0: Xapian's default of 10); other operators ignore it. */
extern "C" index_query *index_query_combine(enum index_op op, index_query *const *subs, size_t n,
                                            unsigned window)
{
    Xapian::Query::op xop;
    if (!op_of(op, &xop) || (n && !subs))
        return NULL;
    try {
        std::vector<Xapian::Query> v;
        v.reserve(n);
        for (size_t i = 0; i < n; i++) {
            if (!subs[i])
                return NULL;
            v.push_back(subs[i]->q);
        }
        Xapian::termcount w = 0;
        if (op == INDEX_OP_PHRASE || op == INDEX_OP_NEAR)
            w = window ? window : (Xapian::termcount)n;
        else if (op == INDEX_OP_ELITE_SET)
            w = window;
        return wrap(Xapian::Query(xop, v.begin(), v.end(), w));
    } catch (...) {
        return NULL;
    }
}

extern "C" index_query *index_query_scale(const index_query *q, double factor)
{
    if (!q)
        return NULL;
    try {
        return wrap(Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q->q, factor));
    } catch (...) {
        return NULL;
    }
}

extern "C" index_query *index_query_value_range(unsigned slot, const char *lo, size_t lo_len,
                                                const char *hi, size_t hi_len)
{
    try {
        if (lo && hi)
            return wrap(Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot, std::string(lo, lo_len),
                                      std::string(hi, hi_len)));
        if (hi)
            return wrap(Xapian::Query(Xapian::Query::OP_VALUE_LE, slot, std::string(hi, hi_len)));
        /* Xapian turns ">= empty" into MatchAll, documents without the value
         * included; every non-empty value is >= "\0", so that bound keeps
         * exactly the documents having a value, as the bounded ranges do. */
        if (!lo || !lo_len)
            return wrap(Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, std::string(1, '\0')));
        return wrap(Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, std::string(lo, lo_len)));
    } catch (...) {
        return NULL;
    }
}

/* max_expansion 0 means no limit (with WILDCARD_LIMIT_MOST_FREQUENT, Xapian
 * would keep zero terms). */
extern "C" index_query *index_query_wildcard(const char *prefix, unsigned max_expansion)
{
    if (!prefix)
        return NULL;
    try {
        int limit = max_expansion ? Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT
                                  : Xapian::Query::WILDCARD_LIMIT_ERROR;
        return wrap(Xapian::Query(Xapian::Query::OP_WILDCARD, prefix, max_expansion, limit,
                                  Xapian::Query::OP_SYNONYM));
    } catch (...) {
        return NULL;
    }
}

/* A value -> weight map over one slot (freshness: month -> weight), as
 * Xapian's ValueMapPostingSource, whose name and serialisation it inherits,
 * so that a remote xapian-tcpsrv rebuilds a plain ValueMapPostingSource.
 * On a local database it reads the whole slot once per revision into a table
 * by docid, shared by the copies Xapian makes for each search: the plain
 * source reads the value stream at each match, about 3,000 instructions (a
 * chunk decoded from its start), where the table costs a load. */
/* The identity of the revision a database reads, for tables read once per
 * revision: false when it has none (several databases searched as one, or a
 * backend without revisions). */
static bool revision_of(const Xapian::Database &database, std::string &uuid, Xapian::rev &revision)
{
    try {
        uuid = database.get_uuid();
        revision = database.get_revision(); /* throws unless one database */
        return true;
    } catch (const Xapian::Error &) {
        return false;
    }
}

class TableMapSource : public Xapian::ValueMapPostingSource
{
  public:
    struct Table {
        Xapian::rev revision = 0;
        std::vector<uint16_t> entry_of; /* by docid: 0 no value, else 1 + index in weights */
        std::vector<double> weights;    /* the map's weights, then the default */
        Xapian::doccount with_value = 0;
    };
    /* Tables by database UUID (a local sharded search inits one copy per shard). */
    typedef std::map<std::string, Table> Tables;

    typedef std::vector<std::pair<std::string, double>> Map; /* sorted by key */

    TableMapSource(Xapian::valueno slot_number, std::shared_ptr<const Map> map,
                   double weight_otherwise, std::shared_ptr<Tables> tables)
        : Xapian::ValueMapPostingSource(slot_number), slot_(slot_number), map_(std::move(map)),
          default_(weight_otherwise), tables_(std::move(tables))
    {
        set_default_weight(default_);
    }

    /* The copies Xapian makes for each search share the map and the tables;
     * only the source the query holds fills the inherited map, which is what
     * serialise() sends to a remote server (or init falls back on). */
    TableMapSource *clone() const override
    {
        return new TableMapSource(slot_, map_, default_, tables_);
    }

    void fill_inherited_map()
    {
        if (inherited_filled_)
            return;
        for (const auto &kv : *map_)
            add_mapping(kv.first, kv.second);
        inherited_filled_ = true;
    }

    void init(const Xapian::Database &database) override
    {
        table_ = nullptr;
        std::string uuid;
        Xapian::rev revision;
        if (!revision_of(database, uuid, revision) || map_->size() + 1 >= 0xFFFF) {
            fill_inherited_map();
            Xapian::ValueMapPostingSource::init(database);
            return;
        }
        Table &t = (*tables_)[uuid];
        if (t.entry_of.empty() || t.revision != revision)
            build(database, revision, t);
        table_ = &t;
        did_ = 0;
        set_termfreq_min(0);
        set_termfreq_est(t.with_value);
        set_termfreq_max(t.with_value);
        double max = default_;
        for (const auto &kv : *map_)
            max = std::max(max, kv.second);
        set_maxweight(max);
    }

    Xapian::docid get_docid() const override
    {
        return table_ ? did_ : Xapian::ValueMapPostingSource::get_docid();
    }

    double get_weight() const override
    {
        if (!table_)
            return Xapian::ValueMapPostingSource::get_weight();
        return table_->weights[table_->entry_of[did_] - 1];
    }

    bool at_end() const override
    {
        return table_ ? did_ >= table_->entry_of.size() : Xapian::ValueMapPostingSource::at_end();
    }

    void next(double min_wt) override
    {
        if (!table_)
            return Xapian::ValueMapPostingSource::next(min_wt);
        move_from(did_ + 1);
    }

    void skip_to(Xapian::docid did, double min_wt) override
    {
        if (!table_)
            return Xapian::ValueMapPostingSource::skip_to(did, min_wt);
        if (did > did_)
            move_from(did);
    }

    bool check(Xapian::docid did, double min_wt) override
    {
        if (!table_)
            return Xapian::ValueMapPostingSource::check(did, min_wt);
        did_ = did;
        if (did < table_->entry_of.size() && table_->entry_of[did])
            return true;
        return false; /* "indeterminate": the next move goes past did */
    }

  private:
    void move_from(Xapian::docid did)
    {
        const std::vector<uint16_t> &e = table_->entry_of;
        while (did < e.size() && !e[did])
            did++;
        did_ = did;
    }

    void build(const Xapian::Database &database, Xapian::rev revision, Table &t)
    {
        t.revision = revision;
        t.entry_of.assign((size_t)database.get_lastdocid() + 1, 0);
        t.weights.clear();
        for (const auto &kv : *map_)
            t.weights.push_back(kv.second);
        t.weights.push_back(default_);
        t.with_value = 0;
        /* Documents next to each other often have the same value: the
         * previous one's entry is reused without looking it up again. */
        std::string value, last;
        size_t index = map_->size();
        bool have_last = false;
        for (Xapian::ValueIterator v = database.valuestream_begin(slot_);
             v != database.valuestream_end(slot_); ++v) {
            Xapian::docid did = v.get_docid();
            if (did >= t.entry_of.size())
                continue;
            value = *v;
            if (!have_last || value != last) {
                auto it = std::lower_bound(map_->begin(), map_->end(), value,
                                           [](const std::pair<std::string, double> &kv,
                                              const std::string &k) { return kv.first < k; });
                index = it != map_->end() && it->first == value ? (size_t)(it - map_->begin())
                                                                : map_->size();
                last.swap(value);
                have_last = true;
            }
            t.entry_of[did] = (uint16_t)(index + 1);
            t.with_value++;
        }
    }

    Xapian::valueno slot_;
    std::shared_ptr<const Map> map_;
    double default_;
    bool inherited_filled_ = false;
    std::shared_ptr<Tables> tables_;
    const Table *table_ = nullptr; /* NULL: reading the value stream (remote, or no revision) */
    Xapian::docid did_ = 0;
};

extern "C" index_query *index_query_value_weights(unsigned slot, const char *const *keys,
                                                  const double *weights, size_t n,
                                                  double default_weight)
{
    try {
        TableMapSource::Map map;
        for (size_t i = 0; i < n; i++)
            map.emplace_back(keys[i], weights[i]);
        std::sort(map.begin(), map.end());
        map.erase(
            std::unique(map.begin(), map.end(),
                        [](const std::pair<std::string, double> &a,
                           const std::pair<std::string, double> &b) { return a.first == b.first; }),
            map.end());
        /* The query holds the source by reference count (release()). */
        TableMapSource *src =
            new TableMapSource(slot, std::make_shared<const TableMapSource::Map>(std::move(map)),
                               default_weight, std::make_shared<TableMapSource::Tables>());
        src->fill_inherited_map();
        return wrap(Xapian::Query(src->release()));
    } catch (...) {
        return nullptr;
    }
}

extern "C" index_query *index_query_match_all(void)
{
    try {
        return wrap(Xapian::Query::MatchAll);
    } catch (...) {
        return NULL;
    }
}

extern "C" index_query *index_query_match_nothing(void)
{
    try {
        return wrap(Xapian::Query::MatchNothing);
    } catch (...) {
        return NULL;
    }
}

extern "C" char *index_query_describe(const index_query *q)
{
    if (!q)
        return NULL;
    try {
        return dup_bytes(q->q.get_description());
    } catch (...) {
        return NULL;
    }
}

extern "C" void index_query_free(index_query *q)
{
    delete q;
}

/* --- Searching ------------------------------------------------------------- */

extern "C" void index_results_clear(index_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_hits; i++)
        free(r->hits[i].data);
    free(r->hits);
    for (size_t i = 0; i < r->n_facets; i++) {
        for (size_t j = 0; j < r->facets[i].n_values; j++)
            free(r->facets[i].values[j].value);
        free(r->facets[i].values);
    }
    free(r->facets);
    memset(r, 0, sizeof *r);
}

static double or_default(double v, double def)
{
    return v != 0.0 ? v : def;
}

/* The counts of one spy, by value. */
static std::map<std::string, uint64_t> spy_counts(const Xapian::ValueCountMatchSpy &spy)
{
    std::map<std::string, uint64_t> counts;
    for (Xapian::TermIterator t = spy.values_begin(); t != spy.values_end(); ++t)
        counts[*t] = t.get_termfreq();
    return counts;
}

/* Copies the counts of one slot into f, by descending count then value. */
static void fill_facet(const std::map<std::string, uint64_t> &counts, unsigned slot, index_facet *f)
{
    std::vector<std::pair<std::string, uint64_t>> vals(counts.begin(), counts.end());
    std::sort(vals.begin(), vals.end(), [](const auto &a, const auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    f->slot = slot;
    if (vals.empty())
        return;
    f->values = static_cast<index_facet_value *>(calloc(vals.size(), sizeof *f->values));
    if (!f->values)
        throw std::bad_alloc();
    for (const auto &v : vals) {
        index_facet_value *fv = &f->values[f->n_values];
        fv->value = dup_bytes(v.first);
        if (!fv->value)
            throw std::bad_alloc();
        fv->count = v.second;
        f->n_values++;
    }
}

/* A collapse key as a number: FNV-1a of its bytes, never 0. */
static uint64_t key_number(const std::string &v)
{
    uint64_t h = hash_fnv1a(HASH_FNV1A_BASIS, v.data(), v.size());
    return h ? h : 1;
}

/* The collapse keys of db's current revision, or NULL when they cannot be
 * had that way: a writer (its uncommitted changes have no revision), several
 * databases searched as one.  Xapian collapses then. */
static const std::vector<uint64_t> *collapse_keys(index_db *db, Xapian::valueno slot)
{
    if (db->wdb || db->remote)
        return nullptr;
    std::string uuid;
    Xapian::rev revision;
    if (!revision_of(*db->db, uuid, revision))
        return nullptr;
    CollapseKeys &k = db->collapse;
    if (k.slot == slot && k.revision == revision && k.uuid == uuid)
        return &k.of;
    k.slot = Xapian::BAD_VALUENO; /* until read whole */
    k.of.assign((size_t)db->db->get_lastdocid() + 1, 0);
    std::vector<uint64_t> held; /* every document's key */
    held.reserve(k.of.size());
    for (Xapian::ValueIterator v = db->db->valuestream_begin(slot);
         v != db->db->valuestream_end(slot); ++v) {
        Xapian::docid did = v.get_docid();
        if (did < k.of.size())
            held.push_back(k.of[did] = key_number(*v));
    }
    /* A key no other document has collapses nothing: such documents count
     * as distinct at once, and only the copies are looked up.  Sorted, the
     * keys held by several documents are runs; a table of them (far fewer
     * than the documents) says which keys to keep. */
    std::sort(held.begin(), held.end());
    std::vector<uint64_t> shared; /* sorted */
    k.redundant = 0;
    for (size_t i = 1; i < held.size(); i++) {
        if (held[i] != held[i - 1])
            continue;
        k.redundant++;
        if (shared.empty() || shared.back() != held[i])
            shared.push_back(held[i]);
    }
    for (uint64_t &key : k.of)
        if (key && !std::binary_search(shared.begin(), shared.end(), key))
            key = 0;
    k.uuid = uuid;
    k.revision = revision;
    k.slot = slot;
    return &k.of;
}

/* The facet values of the documents that have copies, for db's current
 * revision (collapse_keys read just before, so their revision is this one). */
static const CopyValues &copy_values(index_db *db, const std::vector<uint64_t> &keys,
                                     const unsigned *slots, size_t n_slots)
{
    CopyValues &c = db->copy_values;
    std::string uuid;
    Xapian::rev revision = 0;
    revision_of(*db->db, uuid, revision);
    std::vector<unsigned> want(slots, slots + n_slots);
    if (c.slots == want && c.revision == revision && c.uuid == uuid)
        return c;
    c.slots.clear(); /* until read whole */
    c.of.clear();
    for (size_t did = 0; did < keys.size(); did++) {
        if (!keys[did]) /* no copy */
            continue;
        Xapian::Document doc = db->db->get_document((Xapian::docid)did);
        std::vector<std::string> &v = c.of[(Xapian::docid)did];
        for (unsigned slot : want)
            v.push_back(doc.get_value(slot));
    }
    c.uuid = uuid;
    c.revision = revision;
    c.slots = want;
    return c;
}

/* Ends a local match at a deadline.  Filtering a query (OP_FILTER), it
 * claims every document, so that Xapian's bounds and estimates are the
 * query's own and it is consulted last, on each candidate the rest of the
 * query agrees on (phrase checks come after it); every 16 candidates it
 * reads the clock, and past the deadline it ends, so that the matcher stops
 * and returns the best of the matches seen.  Xapian's Enquire::set_time_limit
 * cannot do this: it only stops examining matches beyond the page.  Xapian
 * copies it for each database searched; the copies share the flag.  Never
 * sent to a remote shard (xapian-tcpsrv knows Xapian's classes only). */
class DeadlineSource : public Xapian::PostingSource
{
  public:
    DeadlineSource(double deadline_ms, std::shared_ptr<bool> expired)
        : deadline_(deadline_ms), expired_(std::move(expired))
    {
    }

    DeadlineSource *clone() const override
    {
        return new DeadlineSource(deadline_, expired_);
    }

    void init(const Xapian::Database &database) override
    {
        last_ = database.get_lastdocid();
        did_ = 0;
        n_ = database.get_doccount();
    }

    Xapian::doccount get_termfreq_min() const override
    {
        return n_;
    }

    Xapian::doccount get_termfreq_est() const override
    {
        return n_;
    }

    Xapian::doccount get_termfreq_max() const override
    {
        return n_;
    }

    Xapian::docid get_docid() const override
    {
        return did_;
    }

    bool at_end() const override
    {
        return *expired_ || did_ > last_;
    }

    void next(double) override
    {
        did_++;
        tick();
    }

    void skip_to(Xapian::docid did, double) override
    {
        if (did > did_)
            did_ = did;
        tick();
    }

    bool check(Xapian::docid did, double) override
    {
        did_ = did;
        tick();
        return true;
    }

  private:
    void tick()
    {
        if ((++calls_ & 15) == 0 && monotonic_ms() >= deadline_)
            *expired_ = true;
    }

    double deadline_;
    std::shared_ptr<bool> expired_;
    Xapian::docid did_ = 0, last_ = 0;
    Xapian::doccount n_ = 0;
    unsigned calls_ = 0;
};

/* The deadline of one index_search: the queries it runs, bounded.  On
 * remote shards nothing ends a match: xapian-tcpsrv knows Xapian's classes
 * only, and Xapian's own Enquire::set_time_limit, which the remote protocol
 * carries, only stops examining matches beyond those asked for (facets ask
 * for every match); the steps after the match are skipped once the deadline
 * has passed, and a shard's reply waits at most the remote timeout. */
class Deadline
{
  public:
    Deadline(const index_db *db, double deadline_ms)
        : at_(deadline_ms), remote_(db->remote), expired_(std::make_shared<bool>(false))
    {
    }

    /* q, ending at the deadline (as it is without one, or remote). */
    Xapian::Query bound(const Xapian::Query &q) const
    {
        if (at_ <= 0 || remote_)
            return q;
        return Xapian::Query(Xapian::Query::OP_FILTER, q,
                             Xapian::Query((new DeadlineSource(at_, expired_))->release()));
    }

    /* True once a bounded query has ended at the deadline: its matches are
     * those seen before it. */
    bool expired() const
    {
        return *expired_;
    }

    /* True once the deadline has passed: no further step is worth starting. */
    bool passed() const
    {
        return at_ > 0 && monotonic_ms() >= at_;
    }

  private:
    double at_;
    bool remote_;
    std::shared_ptr<bool> expired_;
};

struct collapsed_hit {
    Xapian::docid did;
    double weight;
    unsigned collapsed;
};

/* The number of results of q, counted: every match, no weights (the
 * postings merged, positions read for phrases), copies collapsed by the
 * table of keys when given, else by Xapian's collapse on collapse_slot
 * (-1: none).  `upper` bounds the matches (Xapian's bound).  Xapian's
 * estimate beyond the first matches was measured far off (median +45% on
 * the dev query sets: correlated words, phrases).  Ended by the deadline
 * (dl.expired() after it), the count is of the matches seen. */
static Xapian::doccount count_results(const Xapian::Database &database, const Xapian::Query &q,
                                      Xapian::doccount upper, const std::vector<uint64_t> *keys,
                                      int collapse_slot, const Deadline &dl)
{
    Xapian::Enquire counter(database);
    counter.set_query(dl.bound(q));
    counter.set_weighting_scheme(Xapian::BoolWeight());
    upper = std::max<Xapian::doccount>(upper, 1);
    if (collapse_slot < 0)
        return counter.get_mset(0, 0, upper).get_matches_estimated();
    if (!keys) { /* Xapian folds the copies: one item per result */
        counter.set_collapse_key((Xapian::valueno)collapse_slot);
        return counter.get_mset(0, upper, upper).size();
    }
    Xapian::MSet all = counter.get_mset(0, upper, upper);
    Xapian::doccount results = 0;
    std::unordered_map<uint64_t, bool> seen; /* only documents with copies have a key */
    for (Xapian::MSetIterator m = all.begin(); m != all.end(); ++m) {
        uint64_t key = *m < keys->size() ? (*keys)[*m] : 0;
        if (!key || seen.emplace(key, true).second)
            results++;
    }
    return results;
}

/* The data of document did, a match of db's current revision.  The
 * document is not looked up first (DOC_ASSUME_VALID: Xapian's check reads
 * its length, 40% of the cost of a hit's data); a document that is not
 * there reads as no data, so only then is it looked up, which throws
 * DocNotFoundError as before. */
static std::string match_data(const Xapian::Database &database, Xapian::docid did)
{
    std::string data = database.get_document(did, Xapian::DOC_ASSUME_VALID).get_data();
    if (data.empty())
        data = database.get_document(did).get_data();
    return data;
}

/* Value slot of document did, a match, read as match_data reads its data. */
static std::string match_value(const Xapian::Database &database, Xapian::docid did,
                               Xapian::valueno slot)
{
    std::string v = database.get_document(did, Xapian::DOC_ASSUME_VALID).get_value(slot);
    if (v.empty())
        v = database.get_document(did).get_value(slot);
    return v;
}

/* Collapsing with a table of keys: the first matches are fetched as they
 * rank, each copy is folded into the best-ranked match of its key (as
 * Xapian's collapse does), and more are fetched while the page of distinct
 * matches is short.  Xapian's own collapse reads the key of every candidate
 * from the value stream, the costliest part of a two-word search.  Totals:
 * exact when every match was fetched, else Xapian's, scaled by the share of
 * distinct matches among those fetched. */
static void search_collapsed(Xapian::Enquire &enquire, const Xapian::Database &database,
                             const Xapian::Query &query, const std::vector<uint64_t> &keys,
                             uint64_t redundant, const index_search_options *opts,
                             const Deadline &dl, index_results *out,
                             std::vector<collapsed_hit> &page)
{
    size_t want = (size_t)opts->offset + opts->limit;
    Xapian::doccount fetch = (Xapian::doccount)(want + want / 2 + 8);
    std::vector<collapsed_hit> distinct;
    std::unordered_map<uint64_t, size_t> first; /* key → index in distinct */
    for (;;) {
        Xapian::MSet mset = enquire.get_mset(0, fetch, opts->check_at_least);
        distinct.clear();
        first.clear();
        for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m) {
            Xapian::docid did = *m;
            uint64_t key = did < keys.size() ? keys[did] : 0;
            if (key) {
                auto seen = first.emplace(key, distinct.size());
                if (!seen.second) {
                    distinct[seen.first->second].collapsed++;
                    continue;
                }
            }
            distinct.push_back({did, m.get_weight(), 0});
        }
        Xapian::doccount upper = mset.get_matches_upper_bound();
        bool cut = dl.expired(); /* the matches seen are not all */
        bool all = !cut && (mset.size() < fetch || mset.size() >= upper);
        if (all) {
            out->matches_lower = out->matches_estimated = out->matches_upper = distinct.size();
        } else if (cut || distinct.size() >= want) {
            /* Few enough matches to count: the count.  Else true lower
             * bounds: the distinct matches fetched, and Xapian's bound less
             * every copy the index holds; the estimate is Xapian's, less the
             * share of copies among those fetched. */
            if (!cut && !dl.passed() && upper <= opts->count_matches) {
                Xapian::doccount n =
                    count_results(database, query, upper, &keys, opts->collapse_slot, dl);
                if (!dl.expired()) {
                    out->matches_lower = out->matches_estimated = out->matches_upper = n;
                    break;
                }
            }
            double matches = mset.get_matches_estimated();
            uint64_t lower = mset.get_matches_lower_bound();
            lower = lower > redundant ? lower - redundant : 0;
            out->matches_lower = std::max<uint64_t>({distinct.size(), lower, cut ? 0u : 1u});
            out->matches_upper = std::max<uint64_t>(upper, out->matches_lower);
            double share = mset.empty() ? 1.0 : (double)distinct.size() / (double)mset.size();
            uint64_t est = (uint64_t)(matches * share + 0.5);
            out->matches_estimated =
                std::min(std::max(est, out->matches_lower), out->matches_upper);
        } else {
            fetch *= 2;                 /* many copies among the first matches */
            enquire.clear_matchspies(); /* they have seen every match once */
            continue;
        }
        break;
    }
    for (size_t i = opts->offset; i < distinct.size() && i < want; i++)
        page.push_back(distinct[i]);
}

/* The id of every match, as the matcher sees it: with a table of keys, what
 * facets with copies collapsed read instead of a result set holding every
 * match (a local database: a remote shard knows only Xapian's own spies). */
class MatchIds : public Xapian::MatchSpy
{
  public:
    std::vector<Xapian::docid> ids;
    void operator()(const Xapian::Document &doc, double) override
    {
        ids.push_back(doc.get_docid());
    }
};

/* Facet counts with copies collapsed.  A facet count must be the number of
 * results a reader gets by choosing it: the matches holding the value, their
 * copies collapsed, that is the distinct collapse keys among them.  The
 * spies count every match (facets examine them all); the matches and their
 * keys come from a MatchIds spy and the table of keys or, on shards, from
 * Xapian's collapse with no limit per key (which folds nothing and keeps
 * each match's key) over a result set of every match.  For each set of
 * copies, the values they hold are read from their documents and each value
 * is counted once, whichever slots of its facet hold it.  Only copies are
 * read.  Totals are exact. */
static void search_facets_collapsed(
    index_db *db, Xapian::Enquire &enquire, const Xapian::Query &query,
    const std::vector<uint64_t> *keys, const index_search_options *opts, const Deadline &dl,
    const std::vector<std::unique_ptr<Xapian::ValueCountMatchSpy>> &spies, index_results *out,
    std::vector<collapsed_hit> &page, std::vector<std::map<std::string, uint64_t>> &counts)
{
    Xapian::doccount all = std::max<Xapian::doccount>(db->db->get_doccount(), 1);
    std::unordered_map<uint64_t, std::vector<Xapian::docid>> sets; /* key → its matches */
    uint64_t distinct = 0;
    if (keys) {
        MatchIds ids;
        enquire.add_matchspy(&ids);
        index_search_options first = *opts;
        first.check_at_least = all;
        search_collapsed(enquire, *db->db, query, *keys, db->collapse.redundant, &first, dl, out,
                         page);
        for (size_t i = 0; i < spies.size(); i++) /* before a retry cleared them */
            counts[i] = spy_counts(*spies[i]);
        for (Xapian::docid did : ids.ids) {
            uint64_t key = did < keys->size() ? (*keys)[did] : 0;
            if (!key)
                distinct++;
            else
                sets[key].push_back(did);
        }
    } else {
        enquire.set_collapse_key((Xapian::valueno)opts->collapse_slot, all);
        Xapian::doccount upper = enquire.get_mset(0, 0).get_matches_upper_bound();
        Xapian::MSet mset = enquire.get_mset(0, std::max<Xapian::doccount>(upper, 1), all);
        for (size_t i = 0; i < spies.size(); i++)
            counts[i] = spy_counts(*spies[i]);
        std::unordered_map<uint64_t, size_t> first; /* key → index in page order */
        size_t rank = 0, want = (size_t)opts->offset + opts->limit;
        for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m) {
            std::string k = m.get_collapse_key();
            uint64_t key = k.empty() ? 0 : key_number(k);
            if (key) {
                std::vector<Xapian::docid> &set = sets[key];
                set.push_back(*m);
                if (set.size() > 1) {
                    auto f = first.find(key);
                    if (f != first.end())
                        page[f->second].collapsed++;
                    continue;
                }
            }
            if (rank >= opts->offset && rank < want) {
                if (key)
                    first[key] = page.size();
                page.push_back({*m, m.get_weight(), 0});
            }
            rank++;
        }
    }
    distinct += sets.size();
    if (dl.expired()) /* the facets count the matches seen */
        out->matches_lower = out->matches_estimated =
            std::max<uint64_t>(out->matches_lower, distinct);
    else
        out->matches_lower = out->matches_estimated = out->matches_upper = distinct;
    const CopyValues *cached =
        keys ? &copy_values(db, *keys, opts->facet_slots, opts->n_facet_slots) : nullptr;
    /* Each set of copies: a value its matches hold n times in the slots of
     * one facet was counted n times, and counts once. */
    for (const auto &set : sets) {
        if (set.second.size() < 2)
            continue;
        std::map<std::pair<unsigned, std::string>, std::vector<size_t>> held; /* → slots */
        for (Xapian::docid did : set.second) {
            const std::vector<std::string> *values = nullptr;
            std::vector<std::string> read;
            if (cached) {
                auto known = cached->of.find(did);
                if (known != cached->of.end())
                    values = &known->second;
            }
            if (!values) {
                Xapian::Document doc = db->db->get_document(did);
                for (size_t i = 0; i < opts->n_facet_slots; i++)
                    read.push_back(doc.get_value(opts->facet_slots[i]));
                values = &read;
            }
            for (size_t i = 0; i < opts->n_facet_slots; i++)
                if (!(*values)[i].empty())
                    held[{opts->facet_groups ? opts->facet_groups[i] : (unsigned)i, (*values)[i]}]
                        .push_back(i);
        }
        for (const auto &h : held)
            for (size_t k = 1; k < h.second.size(); k++) { /* all but one */
                auto c = counts[h.second[k]].find(h.first.second);
                if (c != counts[h.second[k]].end() && --c->second == 0)
                    counts[h.second[k]].erase(c);
            }
    }
}

extern "C" kq_status index_search(index_db *db, const index_query *query,
                                  const index_search_options *opts, index_results *out)
{
    if (!out)
        return KQ_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (!db || !query || !opts)
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        Xapian::Enquire enquire(*db->db);
        Deadline dl(db, opts->deadline_ms);
        enquire.set_query(dl.bound(query->q));

        if (opts->bm25_k1 != 0 || opts->bm25_k2 != 0 || opts->bm25_k3 != 0 || opts->bm25_b != 0 ||
            opts->bm25_min_normlen != 0) {
            /* Xapian's BM25Weight() defaults stand in for the zero ones. */
            enquire.set_weighting_scheme(
                Xapian::BM25Weight(or_default(opts->bm25_k1, 1), or_default(opts->bm25_k2, 0),
                                   or_default(opts->bm25_k3, 1), or_default(opts->bm25_b, 0.5),
                                   or_default(opts->bm25_min_normlen, 0.5)));
        }

        switch (opts->order) {
        case INDEX_ORDER_RELEVANCE:
            break;
        case INDEX_ORDER_VALUE_DESC:
            enquire.set_sort_by_value_then_relevance(opts->sort_slot, true);
            break;
        case INDEX_ORDER_VALUE_ASC:
            enquire.set_sort_by_value_then_relevance(opts->sort_slot, false);
            break;
        default:
            return fail(db, KQ_ERR_INVALID, "unknown result order");
        }

        const std::vector<uint64_t> *keys = nullptr;
        bool facets_collapsed = opts->collapse_slot >= 0 && opts->n_facet_slots > 0;
        if (opts->collapse_slot >= 0)
            keys = collapse_keys(db, (Xapian::valueno)opts->collapse_slot);
        if (opts->collapse_slot >= 0 && !keys && !facets_collapsed)
            enquire.set_collapse_key((Xapian::valueno)opts->collapse_slot);

        /* The spies live as long as the enquire uses them (this scope). */
        std::vector<std::unique_ptr<Xapian::ValueCountMatchSpy>> spies;
        for (size_t i = 0; i < opts->n_facet_slots; i++) {
            spies.push_back(std::make_unique<Xapian::ValueCountMatchSpy>(opts->facet_slots[i]));
            enquire.add_matchspy(spies.back().get());
        }

        std::vector<collapsed_hit> page;
        std::vector<std::map<std::string, uint64_t>> counts(opts->n_facet_slots);
        if (facets_collapsed) {
            search_facets_collapsed(db, enquire, query->q, keys, opts, dl, spies, out, page,
                                    counts);
        } else if (keys) {
            search_collapsed(enquire, *db->db, query->q, *keys, db->collapse.redundant, opts, dl,
                             out, page);
        } else {
            Xapian::MSet mset = enquire.get_mset(opts->offset, opts->limit, opts->check_at_least);
            out->matches_lower = mset.get_matches_lower_bound();
            out->matches_estimated = mset.get_matches_estimated();
            out->matches_upper = mset.get_matches_upper_bound();
            for (Xapian::MSetIterator m = mset.begin(); m != mset.end(); ++m)
                page.push_back({*m, m.get_weight(), m.get_collapse_count()});
            if (!dl.passed() && out->matches_lower != out->matches_upper &&
                out->matches_upper <= opts->count_matches) {
                Xapian::doccount n =
                    count_results(*db->db, query->q, (Xapian::doccount)out->matches_upper, nullptr,
                                  opts->collapse_slot, dl);
                if (!dl.expired())
                    out->matches_lower = out->matches_estimated = out->matches_upper = n;
            }
        }
        if (dl.expired()) {
            /* The matches seen: the total is no count, at most a lower bound. */
            out->timed_out = 1;
            out->matches_upper =
                std::max({out->matches_upper, out->matches_estimated, out->matches_lower + 1});
        }
        if (!page.empty()) {
            out->hits = static_cast<index_hit *>(calloc(page.size(), sizeof *out->hits));
            if (!out->hits)
                throw std::bad_alloc();
        }
        for (const collapsed_hit &p : page) {
            index_hit *h = &out->hits[out->n_hits];
            if (!opts->without_data) {
                std::string data = match_data(*db->db, p.did);
                h->data = dup_bytes(data);
                if (!h->data)
                    throw std::bad_alloc();
                h->data_len = data.size();
            }
            h->docid = p.did;
            h->weight = p.weight;
            h->collapsed = p.collapsed;
            out->n_hits++;
        }

        if (opts->n_facet_slots) {
            out->facets =
                static_cast<index_facet *>(calloc(opts->n_facet_slots, sizeof *out->facets));
            if (!out->facets)
                throw std::bad_alloc();
            for (size_t i = 0; i < opts->n_facet_slots; i++) {
                out->n_facets++;
                fill_facet(facets_collapsed ? counts[i] : spy_counts(*spies[i]),
                           opts->facet_slots[i], &out->facets[i]);
            }
        }
        return KQ_OK;
    });
}

extern "C" kq_status index_fetch_data(index_db *db, index_hit *hits, size_t n)
{
    if (!db || (!hits && n))
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        for (size_t i = 0; i < n; i++) {
            if (hits[i].data)
                continue;
            std::string d = match_data(*db->db, hits[i].docid);
            hits[i].data = dup_bytes(d);
            if (!hits[i].data)
                throw std::bad_alloc();
            hits[i].data_len = d.size();
        }
        return KQ_OK;
    });
}

extern "C" kq_status index_terms_in(index_db *db, const char *const *terms, size_t n_terms,
                                    const unsigned *docids, size_t n_docs, uint32_t *masks)
{
    if (!db || n_terms > 32 || (!terms && n_terms) || (!docids && n_docs) || (!masks && n_docs))
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        std::vector<size_t> order(n_docs);
        for (size_t d = 0; d < n_docs; d++) {
            order[d] = d;
            masks[d] = 0;
        }
        std::sort(order.begin(), order.end(),
                  [&](size_t a, size_t b) { return docids[a] < docids[b]; });
        for (size_t t = 0; t < n_terms; t++) {
            Xapian::PostingIterator p = db->db->postlist_begin(terms[t]);
            const Xapian::PostingIterator end = db->db->postlist_end(terms[t]);
            for (size_t k = 0; k < n_docs && p != end; k++) {
                p.skip_to(docids[order[k]]);
                if (p != end && *p == docids[order[k]])
                    masks[order[k]] |= UINT32_C(1) << t;
            }
        }
        return KQ_OK;
    });
}

extern "C" kq_status index_number_values(index_db *db, unsigned slot, const unsigned *docids,
                                         size_t n_docs, double missing, double *out)
{
    if (!db || (!docids && n_docs) || (!out && n_docs))
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        for (size_t d = 0; d < n_docs; d++) {
            std::string v = match_value(*db->db, docids[d], slot);
            out[d] = v.empty() ? missing : Xapian::sortable_unserialise(v);
        }
        return KQ_OK;
    });
}

/* 1 when, starting at one of the positions of the first term, each next
 * term follows at its first position after the previous one and the last
 * lies within `window` positions of the start.  Taking the first position
 * after the previous gives the shortest span from a given start, so no
 * match is missed. */
static bool phrase_within(const std::vector<std::vector<Xapian::termpos>> &pos, unsigned window)
{
    for (Xapian::termpos start : pos[0]) {
        Xapian::termpos at = start;
        size_t k = 1;
        for (; k < pos.size(); k++) {
            auto next = std::upper_bound(pos[k].begin(), pos[k].end(), at);
            if (next == pos[k].end())
                return false; /* no later start can do better */
            at = *next;
            if (at - start >= window)
                break;
        }
        if (k == pos.size())
            return true;
    }
    return false;
}

extern "C" kq_status index_phrase_in(index_db *db, const char *const *terms, size_t n_terms,
                                     unsigned window, const unsigned *docids, size_t n_docs,
                                     unsigned char *has)
{
    if (!db || (!terms && n_terms) || (!docids && n_docs) || (!has && n_docs))
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        std::vector<std::vector<Xapian::termpos>> pos(n_terms);
        for (size_t d = 0; d < n_docs; d++) {
            has[d] = 0;
            if (n_terms == 0)
                continue;
            bool all = true;
            for (size_t t = 0; t < n_terms && all; t++) {
                pos[t].clear();
                Xapian::PositionIterator p = db->db->positionlist_begin(docids[d], terms[t]);
                for (; p != db->db->positionlist_end(docids[d], terms[t]); ++p)
                    pos[t].push_back(*p);
                all = !pos[t].empty();
            }
            has[d] = all && phrase_within(pos, window);
        }
        return KQ_OK;
    });
}

extern "C" kq_status index_pairs_in(index_db *db, const char *const *terms, size_t n_terms,
                                    const unsigned *docids, size_t n_docs, unsigned *pairs)
{
    if (!db || (!terms && n_terms) || (!docids && n_docs) || (!pairs && n_docs))
        return KQ_ERR_INVALID;
    return guard(db, [&]() {
        /* The distinct terms, and each query term's index among them. */
        std::vector<std::string> distinct;
        std::vector<size_t> which(n_terms, SIZE_MAX);
        for (size_t t = 0; t < n_terms; t++) {
            if (!terms[t])
                continue;
            size_t k = 0;
            while (k < distinct.size() && distinct[k] != terms[t])
                k++;
            if (k == distinct.size())
                distinct.emplace_back(terms[t]);
            which[t] = k;
        }
        std::vector<std::vector<Xapian::termpos>> pos(distinct.size());
        for (size_t d = 0; d < n_docs; d++) {
            for (size_t k = 0; k < distinct.size(); k++) {
                pos[k].clear();
                Xapian::PositionIterator p = db->db->positionlist_begin(docids[d], distinct[k]);
                for (; p != db->db->positionlist_end(docids[d], distinct[k]); ++p)
                    pos[k].push_back(*p);
            }
            unsigned count = 0;
            for (size_t t = 0; t + 1 < n_terms; t++) {
                if (which[t] == SIZE_MAX || which[t + 1] == SIZE_MAX)
                    continue;
                const auto &a = pos[which[t]], &b = pos[which[t + 1]];
                for (Xapian::termpos at : a)
                    if (std::binary_search(b.begin(), b.end(), at + 1)) {
                        count++;
                        break;
                    }
            }
            pairs[d] = count;
        }
        return KQ_OK;
    });
}

/* --- Maintenance ----------------------------------------------------------- */

extern "C" kq_status index_compact(const char *const *sources, size_t n, const char *dest,
                                   int keep_docids, char *err, size_t err_size)
{
    copy_message(err, err_size, "");
    if (!sources || !n || !dest || !*dest) {
        copy_message(err, err_size, "index_compact: no source or destination");
        return KQ_ERR_INVALID;
    }
    index_db scratch{};
    kq_status st = guard(&scratch, [&]() {
        Xapian::Database all;
        for (size_t i = 0; i < n; i++)
            all.add_database(Xapian::Database(sources[i]));
        /* Multi-file glass.  Documents are renumbered source after source,
         * or keep their ids (the sources' ranges must not overlap). */
        all.compact(dest, keep_docids ? Xapian::DBCOMPACT_NO_RENUMBER : 0);
        return KQ_OK;
    });
    if (st != KQ_OK)
        copy_message(err, err_size, scratch.last_error);
    return st;
}
