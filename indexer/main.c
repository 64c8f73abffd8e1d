/* indexer: adds, replaces and deletes articles of a Kiosque database, one atomic batch per run. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "batch.h"
#include "check.h"
#include "dbpath.h"
#include "document.h"
#include "extract.h"
#include "index.h"
#include "store.h"

/* Exit statuses, documented in the README and indexer/PUBLISHING.md. */
enum {
    EXIT_OK = 0,       /* everything went in; check: consistent */
    EXIT_REJECTED = 1, /* the batch was committed, but some lines (or ids to delete) were
                          rejected, or a sync kept articles absent from the export;
                          check: inconsistencies found, all repaired */
    EXIT_FAILED = 2,   /* failure: bad usage, full disk, nothing committed; or an input could
                          not be read (the others were committed); check: not repairable */
    EXIT_LOCKED = 3,   /* another indexer is writing this database */
};

enum mode { MODE_ADD, MODE_SYNC, MODE_DELETE };

static void usage(FILE *f)
{
    fputs("usage: indexer [--db PATH] [-q|--quiet] [--jobs N] COMMAND ...\n"
          "       indexer -h|--help | --version\n"
          "\n"
          "commands:\n"
          "  add [--shard K/N] FILE|DIR|- ...\n"
          "                       add new and changed articles (.jsonl, .jsonl.gz, .json,\n"
          "                       .html, .htm pages; a directory and its subdirectories;\n"
          "                       - for stdin); --shard K/N: only those of shard K of N\n"
          "                       (by a stable hash of the identifier)\n"
          "  sync [--force] [--shard K/N] FILE|DIR|- ...\n"
          "                       make the index match a full export: add, update, and\n"
          "                       delete what the export no longer holds, in one step;\n"
          "                       deletions are refused when the export looks incomplete\n"
          "                       (rejected lines, unreadable input, no article, or most of\n"
          "                       the archive gone) unless --force\n"
          "  delete ID ...        remove articles from the index and the store\n"
          "  check [--no-repair]  verify the index and the store against each other, repair\n"
          "  stats                articles, terms, index size, last update\n"
          "  backup DEST          write a consistent copy of the database into the new\n"
          "                       directory DEST while searches go on\n"
          "  extract PAGE ...     print as JSON Lines the article each .html page would be\n"
          "                       indexed as (no database needed)\n"
          "\n"
          "--jobs N: threads that index a large batch (8 MB of input or more), each\n"
          "part of it into its own index, merged at the end; default: one per core.\n"
          "The database is --db PATH, else $KIOSQUE_DB, else ~/.local/share/kiosque.\n"
          "Exit status: 0 all went in, 1 some lines were rejected (or a sync kept\n"
          "articles), 2 failure, 3 another indexer holds the database.  check: 0\n"
          "consistent, 1 repaired, 2 not repairable, 3 locked.\n",
          f);
}

/* What the user can do about a failure that stopped a batch. */
static const char *hint_for(kq_status st)
{
    switch (st) {
    case KQ_ERR_FULL:
        return " (the disk is full: free some space and run the indexer again; the index is "
               "unchanged and can still be searched)";
    case KQ_ERR_READONLY:
        return " (the database cannot be written: read-only file system or permissions; the "
               "index is unchanged and can still be searched)";
    default:
        return "";
    }
}

static int exit_for(kq_status st)
{
    return st == KQ_ERR_LOCKED ? EXIT_LOCKED : EXIT_FAILED;
}

static void print_summary(const batch_counts *c, enum mode mode)
{
    if (mode == MODE_DELETE)
        fprintf(stderr, "deleted %llu, not found %llu\n", (unsigned long long)c->deleted,
                (unsigned long long)c->missing);
    else {
        fprintf(stderr, "added %llu, updated %llu, unchanged %llu, rejected %llu",
                (unsigned long long)c->added, (unsigned long long)c->updated,
                (unsigned long long)c->unchanged, (unsigned long long)c->rejected);
        if (mode == MODE_SYNC)
            fprintf(stderr, ", deleted %llu", (unsigned long long)c->deleted);
        if (c->kept)
            fprintf(stderr, ", kept %llu absent from the export", (unsigned long long)c->kept);
        if (c->repeated)
            fprintf(stderr, ", repeated in this batch %llu (the last copy wins)",
                    (unsigned long long)c->repeated);
        if (c->elsewhere)
            fprintf(stderr, ", other shards %llu", (unsigned long long)c->elsewhere);
        if (c->skipped)
            fprintf(stderr, ", not articles %llu (pages without an article)",
                    (unsigned long long)c->skipped);
        if (c->unreadable)
            fprintf(stderr, ", unreadable inputs %llu", (unsigned long long)c->unreadable);
        fputc('\n', stderr);
    }
}

/* The threads of a sharded build, and from what input size (tests lower it
 * with KIOSQUE_SHARD_MIN_BYTES). */
static void set_jobs(batch *b, unsigned jobs)
{
    const char *env = getenv("KIOSQUE_SHARD_MIN_BYTES");
    uint64_t min_bytes = env && *env ? strtoull(env, NULL, 10) : BATCH_SHARD_MIN_BYTES;
    batch_set_jobs(b, jobs, min_bytes);
}

#define MAX_SHARDS 1024u

/* Reads "K/N" (1 <= K <= N <= MAX_SHARDS) into index K - 1 and count N;
 * returns 0, or -1 when it is not that. */
static int parse_shard(const char *v, unsigned *index, unsigned *count)
{
    char *end;
    if (*v < '0' || *v > '9')
        return -1;
    unsigned long k = strtoul(v, &end, 10);
    if (*end != '/' || end[1] < '0' || end[1] > '9')
        return -1;
    unsigned long n = strtoul(end + 1, &end, 10);
    if (*end || k < 1 || n < 1 || k > n || n > MAX_SHARDS)
        return -1;
    *index = (unsigned)k - 1;
    *count = (unsigned)n;
    return 0;
}

static int run_batch(const char *db, int argc, char **argv, enum mode mode, int quiet,
                     unsigned jobs)
{
    char err[1024];
    kq_status st;
    int force = 0, refused = 0;
    unsigned shard = 0, shards = 1;
    while (mode != MODE_DELETE && argc > 0) {
        if (mode == MODE_SYNC && strcmp(argv[0], "--force") == 0) {
            force = 1, argc--, argv++;
        } else if ((strcmp(argv[0], "--shard") == 0 && argc > 1) ||
                   strncmp(argv[0], "--shard=", 8) == 0) {
            int step = argv[0][7] == '=' ? 1 : 2;
            const char *v = step == 1 ? argv[0] + 8 : argv[1];
            if (parse_shard(v, &shard, &shards) != 0) {
                fprintf(stderr,
                        "indexer: --shard takes K/N, the shard K (from 1 to N) of N shards "
                        "(N from 1 to %u), not \"%s\"\n",
                        MAX_SHARDS, v);
                return EXIT_FAILED;
            }
            argc -= step;
            argv += step;
        } else if (strcmp(argv[0], "--shard") == 0) {
            fprintf(stderr, "indexer: --shard needs K/N\n");
            return EXIT_FAILED;
        } else {
            break;
        }
    }
    if (argc == 0) {
        fprintf(stderr, "indexer: %s needs at least one %s\n",
                mode == MODE_DELETE ? "delete"
                : mode == MODE_SYNC ? "sync"
                                    : "add",
                mode == MODE_DELETE ? "identifier" : "file");
        return EXIT_FAILED;
    }
    batch *b = batch_open(db, &st, err, sizeof err);
    if (!b) {
        fprintf(stderr, "indexer: %s\n", err);
        return exit_for(st);
    }
    set_jobs(b, jobs);
    batch_set_shard(b, shard, shards);
    for (int i = 0; i < argc; i++) {
        if (mode == MODE_DELETE) {
            st = batch_delete(b, argv[i]);
            if (st == KQ_ERR_NOT_FOUND) {
                fprintf(stderr, "indexer: no article %s in the index\n", argv[i]);
                continue;
            }
        } else {
            st = batch_add_path(b, argv[i], !quiet);
            if (st == KQ_ERR_IO) {
                /* An unreadable input does not stop the others from going in. */
                fprintf(stderr, "indexer: %s\n", batch_last_error(b));
                continue;
            }
        }
        if (st != KQ_OK) {
            fprintf(stderr, "indexer: %s; nothing of this batch was committed%s\n",
                    batch_last_error(b), hint_for(st));
            batch_close(b);
            return exit_for(st);
        }
    }
    if (mode == MODE_SYNC) {
        st = batch_sync(b, force);
        if (st == KQ_ERR_INVALID) {
            refused = 1;
            fprintf(stderr,
                    "indexer: sync: kept %llu articles absent from the export, because %s; "
                    "check the export, or run sync --force to delete them\n",
                    (unsigned long long)batch_get_counts(b)->kept, batch_last_error(b));
        } else if (st != KQ_OK) {
            fprintf(stderr, "indexer: %s; nothing of this batch was committed%s\n",
                    batch_last_error(b), hint_for(st));
            batch_close(b);
            return exit_for(st);
        }
    }
    st = batch_commit(b);
    if (st != KQ_OK) {
        fprintf(stderr, "indexer: %s%s\n", batch_last_error(b), hint_for(st));
        batch_close(b);
        return exit_for(st);
    }
    const batch_counts *c = batch_get_counts(b);
    if (!quiet)
        print_summary(c, mode);
    int empty_export = refused && c->added + c->updated + c->unchanged == 0;
    int code = c->unreadable || empty_export            ? EXIT_FAILED
               : (c->rejected || c->missing || refused) ? EXIT_REJECTED
                                                        : EXIT_OK;
    batch_close(b);
    return code;
}

static int run_check(const char *db, int argc, char **argv)
{
    char err[1024];
    check_report r;
    int repair = 1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--no-repair") == 0) {
            repair = 0;
        } else {
            fprintf(stderr, "indexer: check: unknown argument %s\n", argv[i]);
            return EXIT_FAILED;
        }
    }
    kq_status st = check_run(db, repair, &r, err, sizeof err);
    if (st != KQ_OK) {
        fprintf(stderr, "indexer: check: %s\n", err);
        return exit_for(st);
    }
    printf("documents    %llu\n", (unsigned long long)r.documents);
    printf("store rows   %llu\n", (unsigned long long)r.rows);
    printf("revision     index %llu, store %llu\n", (unsigned long long)r.index_revision,
           (unsigned long long)r.store_revision);
    if (r.found == 0) {
        printf("consistent   yes\n");
        return EXIT_OK;
    }
    printf("found        %llu: unreadable %llu, duplicates %llu, not found by id %llu, "
           "rows missing %llu, rows stale %llu, rows differing %llu%s\n",
           (unsigned long long)r.found, (unsigned long long)r.unreadable,
           (unsigned long long)r.duplicates, (unsigned long long)r.unfindable,
           (unsigned long long)r.missing_rows, (unsigned long long)r.stale_rows,
           (unsigned long long)r.wrong_rows, r.store_rebuilt ? ", store rebuilt" : "");
    printf("repaired     %llu%s\n", (unsigned long long)r.repaired,
           r.read_only ? " (read-only database)"
           : !repair   ? " (--no-repair)"
                       : "");
    return r.repaired == r.found ? EXIT_REJECTED : EXIT_FAILED;
}

static uint64_t dir_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static int run_stats(const char *db)
{
    char path[PATH_MAX], err[1024];
    kq_status st;
    index_stats is;
    uint64_t terms = 0, stored = 0;
    int code = EXIT_FAILED;
    char *last = NULL, *rev = NULL;

    dbpath_join(db, DBPATH_XAPIAN, path, sizeof path);
    index_db *idx = index_open(path, INDEX_READ, &st, err, sizeof err);
    if (!idx) {
        fprintf(stderr, "indexer: no index at %s (%s); create one with: indexer add FILE\n", db,
                err);
        return EXIT_FAILED;
    }
    dbpath_join(db, DBPATH_STORE, path, sizeof path);
    store *s = store_open(path, 0, &st, err, sizeof err);
    if (!s) {
        fprintf(stderr, "indexer: cannot open the store of %s: %s\n", db, err);
        goto out;
    }
    if ((st = index_get_stats(idx, &is)) != KQ_OK ||
        (st = index_count_terms(idx, &terms)) != KQ_OK || (st = store_count(s, &stored)) != KQ_OK) {
        fprintf(stderr, "indexer: cannot read statistics: %s\n", status_to_string(st));
        goto out;
    }
    last = index_get_metadata(idx, DOCUMENT_META_LAST_UPDATE, &st);
    if (last)
        rev = index_get_metadata(idx, DOCUMENT_META_REVISION, &st);
    if (!last || !rev) {
        fprintf(stderr, "indexer: cannot read the index's metadata: %s\n", index_last_error(idx));
        goto out;
    }
    uint64_t store_bytes = dir_size(path);
    printf("database     %s\n", db);
    printf("articles     %llu", (unsigned long long)is.documents);
    if (stored != is.documents)
        printf("  (the store has %llu: run indexer check to repair)", (unsigned long long)stored);
    printf("\nterms        %llu\n", (unsigned long long)terms);
    printf("index size   %.1f MB (Xapian %.1f MB, store %.1f MB)\n",
           (double)(is.size_bytes + store_bytes) / 1e6, (double)is.size_bytes / 1e6,
           (double)store_bytes / 1e6);
    /* The batch revision: Xapian's own starts again after a sharded build. */
    printf("revision     %llu\n",
           rev && *rev ? strtoull(rev, NULL, 10) : (unsigned long long)is.revision);
    printf("last update  %s\n", last && *last ? last : "never");
    code = EXIT_OK;
out:
    free(last);
    free(rev);
    store_close(s);
    index_close(idx);
    return code;
}

int main(int argc, char **argv)
{
    const char *db_arg = NULL;
    char db[PATH_MAX];
    int quiet = 0, i = 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned jobs = cores < 1 ? 1 : cores > 8 ? 8 : (unsigned)cores;

    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db_arg = argv[++i];
        else if (strncmp(argv[i], "--db=", 5) == 0)
            db_arg = argv[i] + 5;
        else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
            quiet = 1;
        else if ((strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) ||
                 strncmp(argv[i], "--jobs=", 7) == 0) {
            const char *v = argv[i][6] == '=' ? argv[i] + 7 : argv[++i];
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (!*v || *end || n < 1 || n > 64) {
                fprintf(stderr, "indexer: --jobs must be a number from 1 to 64, not \"%s\"\n", v);
                return EXIT_FAILED;
            }
            jobs = (unsigned)n;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            puts("indexer (Kiosque) " KIOSQUE_VERSION);
            return EXIT_OK;
        } else {
            fprintf(stderr, "indexer: unknown option %s\n", argv[i]);
            usage(stderr);
            return EXIT_FAILED;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_FAILED;
    }
    if (strcmp(argv[i], "extract") == 0)
        return extract_run(argc - i - 1, argv + i + 1);
    if (dbpath_resolve(db_arg, db, sizeof db) != 0) {
        fprintf(stderr, "indexer: no database location: give --db PATH or set KIOSQUE_DB\n");
        return EXIT_FAILED;
    }
    const char *cmd = argv[i++];
    if (strcmp(cmd, "add") == 0)
        return run_batch(db, argc - i, argv + i, MODE_ADD, quiet, jobs);
    if (strcmp(cmd, "sync") == 0)
        return run_batch(db, argc - i, argv + i, MODE_SYNC, quiet, jobs);
    if (strcmp(cmd, "delete") == 0)
        return run_batch(db, argc - i, argv + i, MODE_DELETE, quiet, jobs);
    if (strcmp(cmd, "check") == 0)
        return run_check(db, argc - i, argv + i);
    if (strcmp(cmd, "stats") == 0)
        return run_stats(db);
    if (strcmp(cmd, "backup") == 0)
        return backup_command(db, argc - i, argv + i);
    fprintf(stderr, "indexer: unknown command %s\n", cmd);
    usage(stderr);
    return EXIT_FAILED;
}
