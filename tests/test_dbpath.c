/* test_dbpath: where the database lives: --db, then $KIOSQUE_DB, then the XDG default. */
#include "dbpath.h"
#include "harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct resolve_case {
    const char *cli, *env, *xdg, *home;
    const char *want; /* NULL: dbpath_resolve fails */
};

static const struct resolve_case resolve_cases[] = {
    {"/srv/kq", "/env/kq", "/xdg", "/home/u", "/srv/kq"}, /* --db wins */
    {NULL, "/env/kq", "/xdg", "/home/u", "/env/kq"},      /* then $KIOSQUE_DB */
    {"", "/env/kq", "/xdg", "/home/u", "/env/kq"},        /* an empty --db is no --db */
    {NULL, NULL, "/xdg", "/home/u", "/xdg/kiosque"},      /* then $XDG_DATA_HOME */
    {NULL, "", "/xdg", "/home/u", "/xdg/kiosque"},        /* empty variables are unset */
    {NULL, NULL, "relative", "/home/u", "/home/u/.local/share/kiosque"}, /* XDG: must be absolute */
    {NULL, NULL, NULL, "/home/u", "/home/u/.local/share/kiosque"},
    {"relative/db", NULL, NULL, "/home/u", "relative/db"}, /* kept as given */
};

static void set(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

/* "<dir>/<name>" is a directory. */
static int is_dir(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The index switches from a directory to a link, then from link to link. */
static void test_switch(void)
{
    char dir[] = "/tmp/kq-dbpath-XXXXXX", path[PATH_MAX], old[64], target[64];
    if (!mkdtemp(dir)) {
        CHECK_MSG(0, "mkdtemp");
        return;
    }
    const char *names[] = {DBPATH_XAPIAN, "xapian.r2", "xapian.r3"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        CHECK(mkdir(path, 0755) == 0);
    }
    CHECK(dbpath_index_target(dir, target, sizeof target) == 0);
    CHECK_STR(target, ""); /* a directory */
    CHECK(dbpath_switch_index(dir, "xapian.r2", old, sizeof old) == 0);
    CHECK_STR(old, DBPATH_XAPIAN_RETIRED);
    CHECK(is_dir(dir, DBPATH_XAPIAN_RETIRED));
    CHECK(dbpath_index_target(dir, target, sizeof target) == 0);
    CHECK_STR(target, "xapian.r2");
    CHECK(dbpath_switch_index(dir, "xapian.r3", old, sizeof old) == 0);
    CHECK_STR(old, "xapian.r2");
    CHECK(dbpath_index_target(dir, target, sizeof target) == 0);
    CHECK_STR(target, "xapian.r3");
    snprintf(path, sizeof path, "%s/%s", dir, DBPATH_XAPIAN);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)); /* the link leads to a directory */
    CHECK(!is_dir(dir, DBPATH_XAPIAN_LINK_TMP));
    /* A target with a slash is refused, and nothing changes. */
    CHECK(dbpath_switch_index(dir, "../elsewhere", old, sizeof old) == -1);
    CHECK(dbpath_index_target(dir, target, sizeof target) == 0);
    CHECK_STR(target, "xapian.r3");
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    char out[256];
    for (size_t i = 0; i < sizeof resolve_cases / sizeof resolve_cases[0]; i++) {
        const struct resolve_case *c = &resolve_cases[i];
        set("KIOSQUE_DB", c->env);
        set("XDG_DATA_HOME", c->xdg);
        set("HOME", c->home);
        int rc = dbpath_resolve(c->cli, out, sizeof out);
        CHECK_MSG(rc == 0, "case %zu", i);
        CHECK_STR(out, c->want);
    }

    /* Too long for the buffer: an error, not a truncated path. */
    char small[8];
    set("KIOSQUE_DB", NULL);
    set("XDG_DATA_HOME", NULL);
    set("HOME", "/home/someone");
    CHECK(dbpath_resolve(NULL, small, sizeof small) == -1);
    CHECK(dbpath_resolve("/a/long/path", small, sizeof small) == -1);
    CHECK(dbpath_resolve("/short", small, sizeof small) == 0);
    CHECK_STR(small, "/short");

    struct {
        const char *dir, *name, *want;
    } joins[] = {
        {"/data/kq", DBPATH_XAPIAN, "/data/kq/xapian"},
        {"/data/kq/", DBPATH_STORE, "/data/kq/store.sqlite"},
        {"rel", DBPATH_LOCK, "rel/writer.lock"},
    };
    for (size_t i = 0; i < sizeof joins / sizeof joins[0]; i++) {
        CHECK(dbpath_join(joins[i].dir, joins[i].name, out, sizeof out) == 0);
        CHECK_STR(out, joins[i].want);
    }
    CHECK(dbpath_join("/data/kq", DBPATH_STORE, small, sizeof small) == -1);
    CHECK(dbpath_join(NULL, "x", out, sizeof out) == -1);
    test_switch();
    return harness_exit("test_dbpath");
}
