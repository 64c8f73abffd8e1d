#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

int harness_failures;
int harness_checks;
static char tmpdir[256];

int harness_exit(const char *name)
{
    harness_cleanup();
    printf("%s: %d checks, %d failed\n", name, harness_checks, harness_failures);
    return harness_failures ? 1 : 0;
}

void harness_skip(const char *reason)
{
    printf("SKIP: %s\n", reason);
    harness_cleanup();
    exit(77);
}

int harness_tmpdir(char *out, size_t out_size)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/kiosque-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    if ((size_t)snprintf(out, out_size, "%s", tmpdir) >= out_size)
        return -1;
    return 0;
}

void harness_cleanup(void)
{
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
        tmpdir[0] = 0;
    }
}

bool harness_same(const char *a, const char *b)
{
    return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

const char *harness_join(char **v, size_t n, char *buf, size_t size)
{
    if (n == 0)
        return NULL;
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(buf, "|", size - strlen(buf) - 1);
        strncat(buf, v[i], size - strlen(buf) - 1);
    }
    return buf;
}

const char *harness_or_null(const char *s)
{
    return s ? s : "(null)";
}
