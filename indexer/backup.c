/* backup: a consistent copy of a live Kiosque database.  See backup.h. */
#define _GNU_SOURCE /* copy_file_range; nftw */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dbpath.h"
#include "document.h"
#include "index.h"
#include "store.h"
#include "writer.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t parse_u64(const char *s)
{
    return s && *s ? strtoull(s, NULL, 10) : 0;
}

static kq_status status_of_errno(int e)
{
    return e == ENOSPC || e == EDQUOT                ? KQ_ERR_FULL
           : e == EROFS || e == EACCES || e == EPERM ? KQ_ERR_READONLY
                                                     : KQ_ERR_IO;
}

/* Syncs a file or a directory to disk; 0, or -1 with errno set. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* Syncs every file of the directory dir and dir itself, adding their sizes
 * to *bytes; 0, or -1 with errno set. */
static int sync_tree(const char *dir, uint64_t *bytes)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        char path[PATH_MAX];
        struct stat sb;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (dbpath_join(dir, de->d_name, path, sizeof path) != 0 || lstat(path, &sb) != 0) {
            rc = -1;
            break;
        }
        if (S_ISDIR(sb.st_mode))
            rc = sync_tree(path, bytes);
        else if (S_ISREG(sb.st_mode)) {
            rc = sync_path(path);
            *bytes += (uint64_t)sb.st_size;
        }
    }
    int e = errno;
    closedir(d);
    errno = e;
    return rc == 0 ? sync_path(dir) : -1;
}

/* Copies `size` bytes from in to out: in the kernel (copy_file_range), or
 * through a buffer where the file systems do not allow it.  0, or -1 with
 * errno set. */
static int copy_fd(int in, int out, off_t size)
{
    int kernel = 1;
    char buf[1 << 16];
    while (size > 0) {
        ssize_t n;
        if (kernel) {
            n = copy_file_range(in, NULL, out, NULL, (size_t)size, 0);
            if (n < 0 &&
                (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
                kernel = 0;
                continue;
            }
        } else {
            n = read(in, buf, size < (off_t)sizeof buf ? (size_t)size : sizeof buf);
            for (ssize_t done = 0, w; n > 0 && done < n; done += w)
                if ((w = write(out, buf + done, (size_t)(n - done))) < 0)
                    return -1;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* the file shrank: someone else writes it */
            return -1;
        }
        size -= n;
    }
    return 0;
}

/* Copies the regular files of the directory src (a Xapian glass database
 * is one flat directory) into the new directory dst, but its lock file;
 * the kernel copies (copy_file_range).  Safe only while no writer can
 * change src: the caller holds the writer lock.  0, or -1 with errno set. */
static int copy_dir_files(const char *src, const char *dst)
{
    DIR *d = opendir(src);
    if (!d)
        return -1;
    int rc = mkdir(dst, 0755);
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        char from[PATH_MAX], to[PATH_MAX];
        struct stat sb;
        if (de->d_name[0] == '.' || strcmp(de->d_name, "flintlock") == 0)
            continue;
        if (dbpath_join(src, de->d_name, from, sizeof from) != 0 ||
            dbpath_join(dst, de->d_name, to, sizeof to) != 0) {
            errno = ENAMETOOLONG;
            rc = -1;
            break;
        }
        if (stat(from, &sb) != 0) {
            rc = -1;
            break;
        }
        if (!S_ISREG(sb.st_mode))
            continue;
        int in = open(from, O_RDONLY | O_CLOEXEC);
        int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        int copied = out >= 0 ? copy_fd(in, out, sb.st_size) : -1;
        int e = errno;
        if (in >= 0)
            close(in);
        if (out >= 0)
            close(out);
        if (copied != 0) {
            errno = e;
            rc = -1;
        }
    }
    int e = errno;
    closedir(d);
    errno = e;
    return rc;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Copies the SQLite store at src into the new file dest with SQLite's online
 * backup API: one read transaction on src, so the copy is one committed
 * state; WAL lets the source's readers and writers go on meanwhile. */
static kq_status copy_store(const char *src, const char *dest, char *err, size_t err_size)
{
    sqlite3 *from = NULL, *to = NULL;
    kq_status st = KQ_ERR_SQLITE;
    int rc = sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_open_v2(dest, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "cannot open the store to copy it: %s",
                 sqlite3_errmsg(to ? to : from));
        goto out;
    }
    sqlite3_busy_timeout(from, 5000);
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    if (!b) {
        snprintf(err, err_size, "cannot copy the store: %s", sqlite3_errmsg(to));
        goto out;
    }
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        snprintf(err, err_size, "cannot copy the store: %s", sqlite3_errstr(rc));
        st = rc == SQLITE_FULL ? KQ_ERR_FULL : KQ_ERR_SQLITE;
        goto out;
    }
    /* The copy took the live store's WAL mode; a backup is one file that
     * can be read where nothing can be written (the indexer turns WAL on
     * again when it first writes a restored store). */
    char *msg = NULL;
    if (sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, err_size, "cannot copy the store: %s", msg ? msg : "journal mode");
        sqlite3_free(msg);
        goto out;
    }
    st = KQ_OK;
out:
    if (to && sqlite3_close(to) != SQLITE_OK && st == KQ_OK) {
        snprintf(err, err_size, "cannot close the copy of the store: %s", sqlite3_errmsg(to));
        st = KQ_ERR_SQLITE;
    }
    sqlite3_close(from);
    return st;
}

/* Reads the revision and the rows of the copied store, through the store
 * module (which also checks its schema). */
static kq_status read_copied_store(const char *path, uint64_t *revision, uint64_t *rows, char *err,
                                   size_t err_size)
{
    kq_status st;
    store *s = store_open(path, 0, &st, err, err_size);
    if (!s)
        return st;
    char *rev = store_meta_get(s, "revision", &st);
    *revision = parse_u64(rev);
    free(rev);
    st = store_count(s, rows);
    if (st != KQ_OK)
        snprintf(err, err_size, "cannot count the rows of the copied store: %s",
                 store_last_error(s));
    store_close(s);
    return st;
}

kq_status backup_run(const char *db_dir, const char *dest, backup_report *r, char *err,
                     size_t err_size)
{
    char xapian[PATH_MAX], store_path[PATH_MAX], partial[PATH_MAX], dest_xapian[PATH_MAX],
        dest_store[PATH_MAX], raw[PATH_MAX], why[1024];
    struct stat sb;
    kq_status st = KQ_OK;
    index_db *idx = NULL;
    int created = 0, locked = 0;
    double t_lock = 0;

    memset(r, 0, sizeof *r);
    err[0] = '\0';
    dbpath_join(db_dir, DBPATH_XAPIAN, xapian, sizeof xapian);
    dbpath_join(db_dir, DBPATH_STORE, store_path, sizeof store_path);
    if (stat(xapian, &sb) != 0 || stat(store_path, &sb) != 0) {
        snprintf(err, err_size, "no database at %s to back up (give it with --db PATH)", db_dir);
        return KQ_ERR_INVALID;
    }
    if (stat(dest, &sb) == 0) {
        snprintf(err, err_size,
                 "%s already exists: a backup goes into a new directory (it never overwrites "
                 "one); give another DEST, e.g. with the date in its name",
                 dest);
        return KQ_ERR_INVALID;
    } else if (errno != ENOENT) {
        int e = errno;
        snprintf(err, err_size, "cannot write a backup at %s: %s", dest, strerror(e));
        return status_of_errno(e);
    }
    if (snprintf(partial, sizeof partial, "%s.partial", dest) >= (int)sizeof partial ||
        dbpath_join(partial, DBPATH_XAPIAN, dest_xapian, sizeof dest_xapian) != 0 ||
        dbpath_join(partial, DBPATH_STORE, dest_store, sizeof dest_store) != 0 ||
        dbpath_join(partial, "xapian.raw", raw, sizeof raw) != 0) {
        snprintf(err, err_size, "the path %s is too long", dest);
        return KQ_ERR_INVALID;
    }
    /* The writer lock: no batch commits while the two are copied (and no
     * other backup writes into the same DEST.partial). */
    t_lock = now_seconds();
    idx = index_open(xapian, INDEX_WRITE, &st, why, sizeof why);
    if (!idx) {
        if (st == KQ_ERR_LOCKED) {
            char holder[400];
            writer_note_holder(db_dir, holder, sizeof holder);
            snprintf(err, err_size,
                     "the database %s is being written by another indexer (%s); run the backup "
                     "again when it is done",
                     db_dir, holder);
        } else {
            snprintf(err, err_size,
                     "cannot take the writer lock of %s: %s (a backup needs write access to "
                     "the database, to keep batches from committing during the copy)",
                     db_dir, why);
        }
        goto out;
    }
    locked = 1;
    writer_note_write(db_dir);
    if (lstat(partial, &sb) == 0) /* left by a backup that was killed */
        nftw(partial, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (mkdir(partial, 0755) != 0) {
        int e = errno;
        snprintf(err, err_size, "cannot create %s: %s%s", partial, strerror(e),
                 e == ENOENT ? " (create the directory it goes in first)" : "");
        st = status_of_errno(e);
        goto out;
    }
    created = 1;

    char *rev = index_get_metadata(idx, DOCUMENT_META_REVISION, &st);
    if (!rev) {
        snprintf(err, err_size, "cannot read the index's revision: %s", index_last_error(idx));
        goto out;
    }
    r->revision = parse_u64(rev);
    free(rev);
    index_stats is;
    if ((st = index_get_stats(idx, &is)) != KQ_OK) {
        snprintf(err, err_size, "cannot read the index: %s", index_last_error(idx));
        goto out;
    }
    r->documents = is.documents;

    /* Under the lock, the files of the committed revision are copied as
     * they are (the directory xapian names, through its link after a
     * sharded build), and the store through SQLite's online backup API;
     * then the lock is released and Xapian compacts the private copy into
     * the backup, keeping document ids and user metadata (the batch
     * revision).  Batches wait for the copies only, not the compaction. */
    if (copy_dir_files(xapian, raw) != 0) {
        int e = errno;
        snprintf(err, err_size, "cannot copy the index into %s: %s", raw, strerror(e));
        st = status_of_errno(e);
        goto out;
    }
    st = copy_store(store_path, dest_store, why, sizeof why);
    if (st != KQ_OK) {
        snprintf(err, err_size, "%s", why);
        goto out;
    }
    index_close(idx);
    idx = NULL;
    writer_note_remove(db_dir);
    locked = 0;
    r->locked_seconds = now_seconds() - t_lock;

    const char *sources[] = {raw};
    st = index_compact(sources, 1, dest_xapian, 1, why, sizeof why);
    nftw(raw, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (st != KQ_OK) {
        snprintf(err, err_size, "cannot compact the copy of the index: %s", why);
        goto out;
    }

    uint64_t store_revision = 0;
    st = read_copied_store(dest_store, &store_revision, &r->rows, why, sizeof why);
    if (st != KQ_OK) {
        snprintf(err, err_size, "the copied store cannot be read: %s", why);
        goto out;
    }
    if (store_revision != r->revision || r->rows != r->documents) {
        /* The database itself is inconsistent (a crash between the commits of
         * the index and of the store): a backup of it would be too. */
        snprintf(err, err_size,
                 "the database is not consistent (index at revision %llu with %llu articles, "
                 "store at revision %llu with %llu rows): run indexer check to repair it, then "
                 "back it up",
                 (unsigned long long)r->revision, (unsigned long long)r->documents,
                 (unsigned long long)store_revision, (unsigned long long)r->rows);
        st = KQ_ERR_CORRUPT;
        goto out;
    }
    if (sync_tree(partial, &r->bytes) != 0 || rename(partial, dest) != 0) {
        int e = errno;
        snprintf(err, err_size, "cannot write the backup into %s: %s", dest, strerror(e));
        st = status_of_errno(e);
        goto out;
    }
    created = 0;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", dest);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, "%s", slash ? "/" : ".");
    sync_path(parent);
out:
    if (locked) {
        index_close(idx);
        writer_note_remove(db_dir);
        r->locked_seconds = now_seconds() - t_lock;
    }
    if (created)
        nftw(partial, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return st;
}

int backup_command(const char *db_dir, int argc, char **argv)
{
    char err[2048];
    backup_report r;
    if (argc != 1 || argv[0][0] == '-') {
        fprintf(stderr, "indexer: backup needs one argument, the new directory to write the "
                        "copy into (indexer backup DEST)\n");
        return 2;
    }
    double t0 = now_seconds();
    kq_status st = backup_run(db_dir, argv[0], &r, err, sizeof err);
    if (st != KQ_OK) {
        fprintf(stderr, "indexer: backup: %s\n", err);
        return st == KQ_ERR_LOCKED ? 3 : 2;
    }
    printf("backup       %s\n", argv[0]);
    printf("revision     %llu\n", (unsigned long long)r.revision);
    printf("articles     %llu\n", (unsigned long long)r.documents);
    printf("size         %.1f MB\n", (double)r.bytes / 1e6);
    printf("time         %.2f s, writer lock held %.2f s\n", now_seconds() - t0, r.locked_seconds);
    return 0;
}
