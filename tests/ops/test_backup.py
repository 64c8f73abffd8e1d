#!/usr/bin/env python3
"""indexer backup DEST on a live database: while searchd serves a steady stream of searches and
another indexer keeps committing batches, each backup is a consistent copy (index and store at
the same revision: `indexer check --no-repair` finds nothing); restored in place, it passes
`indexer check` and serves the same results as the database it was taken from, through search
and through searchd.  Also: DEST that exists, a database being written (exit 3), nothing left
behind by a failed backup.  CTest: e2e_backup."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import kiosque_e2e as e2e  # noqa: E402

ARGS = None
QUERIES = ["intelligence artificielle", "retraites", "\"Le Monde\"", "budget -sécurité", "mistral OR deepseek",
           "titre:climat", "date:2025", "vélo", "élections municipales", "football"]


def indexer(db, *args, stdin=None):
    p = subprocess.run([os.path.join(ARGS.bin_dir, "indexer"), "--db", db, *args], input=stdin,
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def search_hits(db, query):
    p = subprocess.run([os.path.join(ARGS.bin_dir, "search"), "--db", db, "--json", "-n", "20", query],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode in (0, 1), p.stderr
    r = json.loads(p.stdout)
    return r["total"], [(h["id"], h["score"], h["snippet"]) for h in r["hits"]]


def api_hits(server, query):
    import urllib.parse
    status, _, r = server.json("/api/search?" + urllib.parse.urlencode({"q": query, "limit": 20}))
    assert status == 200, (status, r)
    return r["total"], [(h["id"], h["score"], h["snippet"]) for h in r["hits"]]


def article(i, rev):
    return json.dumps({"@type": "NewsArticle", "identifier": f"live-{i}", "headline": f"Dépêche {i} révision {rev}",
                       "articleBody": f"Le conseil municipal vote le budget du vélo, version {rev} de la dépêche {i}.",
                       "datePublished": "2025-03-01T08:00:00Z", "articleSection": "societe"}, ensure_ascii=False)


class Backup(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="kq-backup-")
        self.db = os.path.join(self.tmp.name, "db")
        code, _, err = indexer(self.db, "--quiet", "add", ARGS.corpus)
        self.assertEqual(code, 0, err)

    def tearDown(self):
        self.tmp.cleanup()

    def test_live_backups_are_consistent_and_restore(self):
        server = e2e.Searchd(ARGS.bin_dir, self.db, "--quiet")
        stop = threading.Event()
        latencies, failures, commits, locked_out = [], [], [0], [0]

        def reader():
            import urllib.parse
            i = 0
            while not stop.is_set():
                q = QUERIES[i % len(QUERIES)] + f" {i % 7}"  # not all from searchd's cache
                t = time.monotonic()
                status, _, body = server.request("/api/search?" + urllib.parse.urlencode({"q": q}))
                latencies.append(time.monotonic() - t)
                if status != 200:
                    failures.append((status, body[:200]))
                i += 1

        def writer():
            rev = 0
            while not stop.is_set():
                rev += 1
                lines = "\n".join(article(i, rev) for i in range(rev % 5, rev % 5 + 20)) + "\n"
                code, _, err = indexer(self.db, "--quiet", "add", "-", stdin=lines)
                if code == 0:
                    commits[0] += 1
                elif code == 3:
                    locked_out[0] += 1  # the backup held the writer lock: the CMS runs it again
                else:
                    failures.append(("indexer", code, err))

        threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
        for t in threads:
            t.start()
        backups = []
        try:
            deadline = time.monotonic() + 60
            while len(backups) < 4 and time.monotonic() < deadline:
                dest = os.path.join(self.tmp.name, f"backup-{len(backups)}")
                code, out, err = indexer(self.db, "backup", dest)
                if code == 3:
                    self.assertIn("being written by another indexer", err)
                    continue
                self.assertEqual(code, 0, err)
                self.assertRegex(out, r"revision\s+\d+")
                backups.append((dest, int(re.search(r"revision\s+(\d+)", out).group(1)),
                                float(re.search(r"writer lock held ([\d.]+) s", out).group(1))))
                time.sleep(0.2)
        finally:
            stop.set()
            for t in threads:
                t.join(120)
        self.assertEqual(failures, [])
        self.assertEqual(len(backups), 4, "four backups in a minute")
        self.assertGreater(commits[0], 0, "the indexer committed while the backups ran")
        revisions = [rev for _, rev, _ in backups]
        self.assertEqual(revisions, sorted(revisions))
        for dest, rev, _ in backups:
            self.assertEqual(sorted(os.listdir(dest)), ["store.sqlite", "xapian"], dest)
            code, out, err = indexer(dest, "check", "--no-repair")
            self.assertEqual(code, 0, f"{dest}: {out}{err}")
            self.assertIn(f"revision     index {rev}, store {rev}", out)
            self.assertIn("consistent   yes", out)
        latencies.sort()
        print(f"searchd during {len(backups)} backups and {commits[0]} commits ({locked_out[0]} batches "
              f"refused while a backup held the lock): {len(latencies)} searches, none failed, "
              f"median {1000 * latencies[len(latencies) // 2]:.1f} ms, max {1000 * latencies[-1]:.1f} ms; "
              f"writer lock held {', '.join(f'{b[2]:.2f}' for b in backups)} s", file=sys.stderr)

        # The last backup, restored in place of the database after one more batch: it passes
        # indexer check and serves what the database served at its revision.
        last, rev, _ = backups[-1]
        rc = server.stop()
        self.assertEqual(rc, 0)
        final = os.path.join(self.tmp.name, "final")
        self.assertEqual(indexer(self.db, "backup", final)[0], 0)
        before = {q: search_hits(self.db, q) for q in QUERIES}
        code, _, err = indexer(self.db, "--quiet", "add", "-", stdin=article(999, "after") + "\n")
        self.assertEqual(code, 0, err)
        self.assertNotEqual(search_hits(self.db, "dépêche 999"), search_hits(final, "dépêche 999"))
        shutil.rmtree(self.db)
        shutil.copytree(final, self.db)  # restoring is copying the backup back
        code, out, err = indexer(self.db, "check")
        self.assertEqual(code, 0, out + err)
        self.assertIn("consistent   yes", out)
        after = {q: search_hits(self.db, q) for q in QUERIES}
        self.assertEqual(after, before)
        self.assertTrue(any(total for total, _ in after.values()))
        restored = e2e.Searchd(ARGS.bin_dir, self.db, "--quiet")
        try:
            served = {q: api_hits(restored, q) for q in QUERIES}
        finally:
            self.assertEqual(restored.stop(), 0)
        self.assertEqual(served, before)
        # ... and it takes new batches again.
        code, _, err = indexer(self.db, "--quiet", "add", "-", stdin=article(1000, "restored") + "\n")
        self.assertEqual(code, 0, err)
        self.assertEqual(indexer(self.db, "check", "--no-repair")[0], 0)

    def test_refusals_leave_nothing_behind(self):
        dest = os.path.join(self.tmp.name, "b")
        os.mkdir(dest)
        code, _, err = indexer(self.db, "backup", dest)
        self.assertEqual(code, 2)
        self.assertIn("already exists", err)
        self.assertEqual(os.listdir(dest), [])
        code, _, err = indexer(self.db, "backup")
        self.assertEqual(code, 2)
        self.assertIn("indexer backup DEST", err)
        code, _, err = indexer(os.path.join(self.tmp.name, "nothing"), "backup", os.path.join(self.tmp.name, "c"))
        self.assertEqual(code, 2)
        self.assertIn("no database at", err)
        code, _, err = indexer(self.db, "backup", os.path.join(self.tmp.name, "no", "such", "dir"))
        self.assertEqual(code, 2)
        self.assertIn("create the directory it goes in first", err)
        # An indexer holding the writer lock (reading its standard input): exit 3, named.
        holder = subprocess.Popen([os.path.join(ARGS.bin_dir, "indexer"), "--db", self.db, "--quiet", "add", "-"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(os.path.join(self.db, "writer.lock")) and time.monotonic() < deadline:
                time.sleep(0.02)
            code, _, err = indexer(self.db, "backup", os.path.join(self.tmp.name, "d"))
            self.assertEqual(code, 3, err)
            self.assertIn(f"pid {holder.pid}", err)
            self.assertIn("run the backup again when it is done", err)
        finally:
            holder.communicate(article(1, "held") + "\n", timeout=60)
        self.assertEqual(holder.returncode, 0)
        self.assertEqual(sorted(os.listdir(self.tmp.name)), ["b", "db"])
        self.assertEqual(indexer(self.db, "backup", os.path.join(self.tmp.name, "d"))[0], 0)


class Upgrade(unittest.TestCase):
    """A store of another schema version than this Kiosque's: the indexer says what to do
    (README, Upgrading) and searches go on; an older one is rebuilt from the index by check."""

    def test_store_of_another_version(self):
        import sqlite3
        with tempfile.TemporaryDirectory(prefix="kq-upgrade-") as tmp:
            db = os.path.join(tmp, "db")
            self.assertEqual(indexer(db, "--quiet", "add", ARGS.corpus)[0], 0)
            before = search_hits(db, "retraites")
            store = os.path.join(db, "store.sqlite")
            for version, advice in [("0", "written by an older Kiosque"), ("99", "written by a newer Kiosque")]:
                con = sqlite3.connect(store)
                con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
                con.commit()
                con.close()
                # Searches read the index alone, and go on; the indexer stops and says why.
                self.assertEqual(search_hits(db, "retraites"), before)
                code, _, err = indexer(db, "stats")
                self.assertEqual(code, 2)
                self.assertIn(f"schema version {version}, {advice}", err)
                code, _, err = indexer(db, "--quiet", "add", ARGS.corpus)
                self.assertEqual(code, 2)
                self.assertIn(advice, err)
            self.assertIn("restore the backup made before the upgrade", err)
            # The older-store path: moved out of the way, rebuilt by check from the index.
            os.rename(store, store + ".old")
            for suffix in ("-wal", "-shm"):
                if os.path.exists(store + suffix):
                    os.remove(store + suffix)
            code, out, err = indexer(db, "check")
            self.assertEqual(code, 1, out + err)  # repaired
            self.assertEqual(indexer(db, "check")[0], 0)
            self.assertEqual(search_hits(db, "retraites"), before)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--corpus", required=True)
    ARGS, rest = parser.parse_known_args()
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
