/* dbpath: where a Kiosque database lives (see dbpath.h). */
#include "dbpath.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
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
