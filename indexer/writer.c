/* writer: the writer lock's note and the crash points (writer.h). */
#include "writer.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbpath.h"

static const char *crash_at(void)
{
    static int init;
    static const char *at;
    if (!init) {
        at = getenv("KIOSQUE_CRASH_AT");
        init = 1;
    }
    return at;
}

void writer_crash_point(const char *name)
{
    static int trace = -1;
    if (trace < 0)
        trace = getenv("KIOSQUE_CRASH_TRACE") != NULL;
    if (trace) /* one write: lines of several threads never mix */
        fprintf(stderr, "crash point %s\n", name);
    const char *at = crash_at();
    if (at && strcmp(at, name) == 0) {
        fflush(NULL);
        raise(SIGKILL);
    }
    static int pause_init;
    static const char *pause_at;
    if (!pause_init) {
        pause_at = getenv("KIOSQUE_PAUSE_AT");
        pause_init = 1;
    }
    if (pause_at && strcmp(pause_at, name) == 0) {
        fflush(NULL);
        raise(SIGSTOP); /* the test changes the disk under it, then sends SIGCONT */
    }
}

void writer_crash_after_articles(uint64_t n)
{
    const char *at = crash_at();
    if (at && strncmp(at, "articles:", 9) == 0 && strtoull(at + 9, NULL, 10) == n) {
        fflush(NULL);
        raise(SIGKILL);
    }
}

void writer_note_write(const char *db_dir)
{
    char path[PATH_MAX], host[256] = "unknown", when[32];
    if (dbpath_join(db_dir, DBPATH_LOCK, path, sizeof path) != 0)
        return;
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    gethostname(host, sizeof host - 1);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "pid %ld on %s since %s\n", (long)getpid(), host, when);
    fclose(f);
}

void writer_note_remove(const char *db_dir)
{
    char path[PATH_MAX];
    if (dbpath_join(db_dir, DBPATH_LOCK, path, sizeof path) == 0)
        unlink(path);
}

void writer_note_holder(const char *db_dir, char *out, size_t out_size)
{
    char path[PATH_MAX], line[400] = "";
    FILE *f = NULL;
    if (dbpath_join(db_dir, DBPATH_LOCK, path, sizeof path) == 0)
        f = fopen(path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
    }
    line[strcspn(line, "\n")] = '\0';
    snprintf(out, out_size, "%s", line[0] ? line : "an unknown process");
}
