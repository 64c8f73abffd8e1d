/* searchd: Kiosque's HTTP daemon — the search page, the JSON API, health and metrics over one
 * index.
 *
 *   searchd [--db PATH] [--listen 127.0.0.1:8080] [--threads N] [--allow-origin URL]... [--quiet]
 *           [--report] [--no-search-log] [--search-log-days N] [--search-log-max-mb N]
 *
 * The database is --db, else $KIOSQUE_DB, else the default (see dbpath.h).
 * It listens on the loopback interface unless told otherwise, logs one line
 * per request on stderr, and stops cleanly on SIGTERM or SIGINT.  It starts
 * even when the index cannot be read yet (then /healthz answers 503), so a
 * supervisor can start it before the first import. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dbpath.h"
#include "http.h"
#include "index.h"
#include "routes.h"
#include "searchlog.h"

#ifdef KIOSQUE_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#define MAX_ORIGINS 32
#define MAX_THREADS 256u
#define DEFAULT_PER_IP 128u
#define MAX_PER_IP 100000L
/* A search stops after this much work by default (--search-time-limit): the
 * slowest ordinary searches of a 300,000-article archive took 0.8 s (faceted,
 * bench/scale); a pathological query holds a worker no longer. */
#define DEFAULT_TIME_LIMIT_MS 1000u

static void usage(FILE *out)
{
    fprintf(out, "usage: searchd [--db PATH] [--listen HOST:PORT] [--threads N] [--allow-origin "
                 "URL]... [--per-ip-connections N] [--quiet]\n"
                 "               [--search-time-limit MS] [--shard-timeout MS]\n"
                 "               [--report] [--no-search-log] [--search-log-days N] "
                 "[--search-log-max-mb N]\n"
                 "       searchd -h|--help | --version\n"
                 "  --db PATH            the Kiosque database (default: $KIOSQUE_DB, else "
                 "~/.local/share/kiosque)\n"
                 "  --listen HOST:PORT   address to serve on (default 127.0.0.1:8080; port 0 picks "
                 "a free one)\n"
                 "  --threads N          worker threads, each with its own search engine, and as "
                 "many connection threads (default: one per CPU)\n"
                 "  --allow-origin URL   let pages of this origin call the API (CORS), e.g. "
                 "https://www.example.fr;\n"
                 "                       repeat for several origins\n"
                 "  --per-ip-connections N  connections open at once from one client "
                 "address (default 128; 0: no limit)\n"
                 "  --search-time-limit MS  a search stops after MS milliseconds and answers "
                 "with the\n"
                 "                       matches examined, saying so (default 1000; 0: no "
                 "limit)\n"
                 "  --shard-timeout MS   with --db a stub file of shards: how long a remote "
                 "shard may take\n"
                 "                       to connect or answer (default 10000)\n"
                 "  --quiet              no access log line per request\n"
                 "  --report             serve /api/report: what readers search, and do not find\n"
                 "  --no-search-log      record no search (by default each search's query, "
                 "filters,\n"
                 "                       result count and time go to searches.sqlite in the "
                 "database)\n"
                 "  --search-log-days N  keep recorded searches N days (default 90)\n"
                 "  --search-log-max-mb N  the record of searches never grows beyond N MB "
                 "(default 64)\n"
                 "  --help               this help; --version: the version\n");
}

/* Tells the service manager how searchd is doing (sd_notify(3)): READY=1
 * once it listens, STOPPING=1 on a stop signal, with a STATUS= line that
 * `systemctl status` shows.  Does nothing when not run by systemd
 * ($NOTIFY_SOCKET unset) or when built without libsystemd. */
static void notify_service(const char *state)
{
#ifdef KIOSQUE_HAVE_LIBSYSTEMD
    sd_notify(0, state);
#else
    (void)state;
#endif
}

/* Takes the value of option argv[*i], or reports it missing. */
static const char *option_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "searchd: %s needs a value\n", argv[*i]);
        usage(stderr);
        return NULL;
    }
    return argv[++*i];
}

/* Raises the soft limit of open files to the hard one (systemd's default soft
 * limit is 1024): searchd may hold its connection limit of sockets, plus
 * each worker's index and store. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fprintf(stderr, "searchd: warning: cannot raise the open files limit: %s\n",
                    strerror(errno));
    }
}

int main(int argc, char **argv)
{
    const char *db_arg = NULL, *listen = "127.0.0.1:8080";
    const char *origins[MAX_ORIGINS];
    size_t n_origins = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = ncpu > 0 ? (unsigned)ncpu : 2u;
    unsigned per_ip = DEFAULT_PER_IP;
    unsigned time_limit = DEFAULT_TIME_LIMIT_MS;
    int access_log = 1, rc = 1, serve_report = 0, search_log = 1;
    searchlog_options log_opt = {0};
    searchlog *log = NULL;
    routes_app *app = NULL;
    http_server *server = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            puts("searchd (Kiosque) " KIOSQUE_VERSION);
            return 0;
        } else if (strcmp(a, "--quiet") == 0) {
            access_log = 0;
        } else if (strcmp(a, "--report") == 0) {
            serve_report = 1;
        } else if (strcmp(a, "--no-search-log") == 0) {
            search_log = 0;
        } else if (strcmp(a, "--search-time-limit") == 0) {
            if (!(v = option_value(argc, argv, &i)))
                return 2;
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 0 || n > 600000) {
                fprintf(stderr,
                        "searchd: --search-time-limit must be milliseconds from 0 (no limit) to "
                        "600000, not '%s'\n",
                        v);
                return 2;
            }
            time_limit = (unsigned)n;
        } else if (strcmp(a, "--shard-timeout") == 0) {
            if (!(v = option_value(argc, argv, &i)))
                return 2;
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 1 || n > 600000) {
                fprintf(stderr,
                        "searchd: --shard-timeout must be milliseconds from 1 to 600000, not "
                        "'%s'\n",
                        v);
                return 2;
            }
            index_set_remote_timeout((unsigned)n);
        } else if (strcmp(a, "--search-log-days") == 0 || strcmp(a, "--search-log-max-mb") == 0) {
            if (!(v = option_value(argc, argv, &i)))
                return 2;
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 1 || n > 100000) {
                fprintf(stderr, "searchd: %s must be a number from 1 to 100000\n", a);
                return 2;
            }
            if (a[13] == 'd')
                log_opt.retention_days = (unsigned)n;
            else
                log_opt.max_mb = (unsigned)n;
        } else if (strcmp(a, "--db") == 0 || strcmp(a, "--listen") == 0 ||
                   strcmp(a, "--threads") == 0 || strcmp(a, "--allow-origin") == 0 ||
                   strcmp(a, "--per-ip-connections") == 0) {
            if (!(v = option_value(argc, argv, &i)))
                return 2;
            if (strcmp(a, "--db") == 0) {
                db_arg = v;
            } else if (strcmp(a, "--listen") == 0) {
                listen = v;
            } else if (strcmp(a, "--threads") == 0) {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > (long)MAX_THREADS) {
                    fprintf(stderr, "searchd: --threads must be a number from 1 to %u\n",
                            MAX_THREADS);
                    return 2;
                }
                threads = (unsigned)n;
            } else if (strcmp(a, "--per-ip-connections") == 0) {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || end == v || n < 0 || n > MAX_PER_IP) {
                    fprintf(stderr,
                            "searchd: --per-ip-connections must be a number from 0 (no limit) "
                            "to %ld\n",
                            MAX_PER_IP);
                    return 2;
                }
                per_ip = (unsigned)n;
            } else {
                /* An origin is scheme://host[:port], compared exactly with the Origin header. */
                size_t len = strlen(v);
                if ((strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) ||
                    v[len - 1] == '/') {
                    fprintf(
                        stderr,
                        "searchd: --allow-origin '%s': give an origin like https://www.example.fr "
                        "(scheme and host, no path or trailing slash)\n",
                        v);
                    return 2;
                }
                if (n_origins == MAX_ORIGINS) {
                    fprintf(stderr, "searchd: at most %d --allow-origin\n", MAX_ORIGINS);
                    return 2;
                }
                origins[n_origins++] = v;
            }
        } else {
            fprintf(stderr, "searchd: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }

    char db_dir[4096];
    if (dbpath_resolve(db_arg, db_dir, sizeof db_dir) != 0) {
        fprintf(stderr,
                "searchd: cannot tell where the database is: give --db PATH or set KIOSQUE_DB\n");
        return 2;
    }

    /* SIGTERM and SIGINT are blocked in every thread (the workers inherit
     * this mask) and taken by sigwait below, so no handler runs inside a
     * worker; SIGPIPE from a client gone away is ignored. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A write beyond a file size limit fails (EFBIG, and the record of searches stops) rather
     * than killing the server. */
    signal(SIGXFSZ, SIG_IGN);

    app = routes_app_new(db_dir);
    if (!app) {
        fprintf(stderr, "searchd: out of memory\n");
        goto out;
    }
    search_status st;
    char err[1024], state[4096 + 1024];
    if (search_log) {
        log = searchlog_open(db_dir, &log_opt, err, sizeof err);
        if (!log)
            fprintf(stderr, "searchd: warning: searches are not recorded: %s\n", err);
    }
    routes_app_set_searchlog(app, log, serve_report);
    routes_app_set_time_limit(app, time_limit);
    if (routes_probe(app, &st, err, sizeof err) == KQ_OK) {
        fprintf(stderr, "searchd: index %s: %llu articles, revision %llu\n", db_dir,
                (unsigned long long)st.documents, (unsigned long long)st.revision);
        snprintf(state, sizeof state, "READY=1\nSTATUS=serving %llu articles (revision %llu)",
                 (unsigned long long)st.documents, (unsigned long long)st.revision);
    } else {
        fprintf(stderr,
                "searchd: warning: the index %s cannot be read yet (%s); /healthz answers 503 "
                "until it can\n",
                db_dir, err);
        /* Ready all the same: it serves the index as soon as one appears. */
        snprintf(state, sizeof state,
                 "READY=1\nSTATUS=waiting for an index at %s (/healthz answers 503)", db_dir);
    }

    size_t n_routes = 0;
    const http_route *routes = routes_table(&n_routes);
    http_config cfg = {
        .listen = listen,
        .threads = threads,
        .allow_origins = origins,
        .n_allow_origins = n_origins,
        .routes = routes,
        .n_routes = n_routes,
        .app = app,
        .access_log = access_log,
        .per_ip_connections = per_ip,
    };
    raise_fd_limit();
    server = http_server_start(&cfg, err, sizeof err);
    if (!server) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    /* Tests and scripts read the port from this line (with --listen …:0). */
    const char *colon = strrchr(listen, ':');
    fprintf(stderr, "searchd: listening on http://%.*s:%u/ with %u threads\n",
            (int)(colon - listen), listen, http_server_port(server), threads);
    notify_service(state);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    fprintf(stderr, "searchd: %s received, stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    notify_service("STOPPING=1\nSTATUS=stopping: finishing the requests in flight");
    rc = 0;
out:
    http_server_stop(server);
    routes_app_free(app);
    searchlog_close(log); /* commits what is queued */
    if (rc == 0)
        fprintf(stderr, "searchd: stopped\n");
    return rc;
}
