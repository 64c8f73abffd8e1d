/* test_dbpath: where the database lives: --db, then $KIOSQUE_DB, then the XDG default. */
#include "dbpath.h"
#include "harness.h"

#include <stdlib.h>

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
    return harness_exit("test_dbpath");
}
