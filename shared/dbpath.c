/* dbpath: where a Kiosque database lives (see dbpath.h). */
#include "dbpath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes the formatted string into out; -1 when it is cut. */
static int put(char *out, size_t out_size, const char *a, const char *b)
{
    if (!out || !out_size)
        return -1;
    int n = snprintf(out, out_size, "%s%s", a, b);
    if (n < 0 || (size_t)n >= out_size) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

int dbpath_resolve(const char *cli_value, char *out, size_t out_size)
{
    if (cli_value && *cli_value)
        return put(out, out_size, cli_value, "");
    const char *env = getenv("KIOSQUE_DB");
    if (env && *env)
        return put(out, out_size, env, "");
    const char *xdg = getenv("XDG_DATA_HOME");
    /* The XDG spec says a relative XDG_DATA_HOME is invalid and is ignored. */
    if (xdg && xdg[0] == '/')
        return put(out, out_size, xdg, "/kiosque");
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !*home) {
        if (out && out_size)
            out[0] = '\0';
        return -1;
    }
    return put(out, out_size, home, "/.local/share/kiosque");
}

int dbpath_beside(const char *db, const char *name, char *out, size_t out_size)
{
    struct stat sb;
    if (stat(db, &sb) != 0 || !S_ISREG(sb.st_mode))
        return dbpath_join(db, name, out, out_size);
    const char *slash = strrchr(db, '/');
    int n = snprintf(out, out_size, "%.*s%s", slash ? (int)(slash - db + 1) : 0, db, name);
    if (n < 0 || (size_t)n >= out_size) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

int dbpath_join(const char *dir, const char *name, char *out, size_t out_size)
{
    if (!dir || !name || !out || !out_size)
        return -1;
    size_t len = 0;
    while (dir[len])
        len++;
    /* "dir/" joined with "name" gives "dir/name", not "dir//name". */
    const char *sep = len && dir[len - 1] == '/' ? "" : "/";
    int n = snprintf(out, out_size, "%s%s%s", dir, sep, name);
    if (n < 0 || (size_t)n >= out_size) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

int dbpath_index_target(const char *dir, char *out, size_t out_size)
{
    char link[PATH_MAX];
    if (!out || !out_size || dbpath_join(dir, DBPATH_XAPIAN, link, sizeof link) != 0)
        return -1;
    out[0] = '\0';
    ssize_t n = readlink(link, out, out_size);
    if (n < 0)
        return errno == EINVAL || errno == ENOENT ? 0 : -1; /* a directory, or nothing */
    if ((size_t)n >= out_size || memchr(out, '/', (size_t)n)) {
        out[0] = '\0';
        errno = EINVAL;
        return -1; /* not a link Kiosque made */
    }
    out[n] = '\0';
    return 0;
}

/* Makes sure the directory entries of `dir` reach the disk. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int dbpath_switch_index(const char *dir, const char *target, char *old, size_t old_size)
{
    char link[PATH_MAX], tmp[PATH_MAX], retired[PATH_MAX];
    struct stat sb;
    if (!old || !old_size || strchr(target, '/') ||
        dbpath_join(dir, DBPATH_XAPIAN, link, sizeof link) != 0 ||
        dbpath_join(dir, DBPATH_XAPIAN_LINK_TMP, tmp, sizeof tmp) != 0 ||
        dbpath_join(dir, DBPATH_XAPIAN_RETIRED, retired, sizeof retired) != 0) {
        errno = EINVAL;
        return -1;
    }
    old[0] = '\0';
    if (lstat(link, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        /* A database written before its first sharded build: the directory
         * steps aside once (readers opening in that instant retry). */
        if (rename(link, retired) != 0)
            return -1;
        snprintf(old, old_size, "%s", DBPATH_XAPIAN_RETIRED);
    } else if (dbpath_index_target(dir, old, old_size) != 0) {
        return -1;
    }
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, link) != 0) {
        int saved = errno;
        unlink(tmp);
        if (strcmp(old, DBPATH_XAPIAN_RETIRED) == 0)
            rename(retired, link);
        errno = saved;
        return -1;
    }
    return sync_dir(dir);
}
