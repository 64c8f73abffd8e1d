#!/usr/bin/env python3
"""A read replica kept by xapian-replicate end to end (README "Shards", "Replicas"; issue 14): a
primary Kiosque database indexed with XAPIAN_MAX_CHANGESETS set, served by xapian-replicate-server
on a loopback port; xapian-replicate keeps a copy as the xapian/ of another Kiosque database
directory, and a searchd on that replica must give what a searchd on the primary gives (the same
hits in the same order, snippets, totals, facets), without a restart:
  - after the first copy;
  - after one article is published (a changeset: the replica's live copy stays the same);
  - after a large batch built in parts and switched to (a new database: a full copy, which the
    replica makes live beside the old one and names in its stub XAPIANDB);
  - after one more article on the database switched to (changesets again).
Glass renames its version file before the changeset of a commit (set_revision_number then
changes.commit, backends/glass/glass_database.cc): a poll in between finds the new revision and no
changeset from the old one, and is served a full copy (correct, but not what is under test). So
xapian-replicate is stopped while one article is published and started again after the commit;
it runs throughout the large batch, whose switch is a full copy anyway.
Skipped (exit 77) when xapian-replicate (Debian's xapian-tools) is not installed."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs, Rows, Searchd  # noqa: E402
from test_remote import free_port, same_reply, wait_for_port  # noqa: E402

QUERIES = ["macron", "réforme des retraites", "intelligence artificielle", "jeux olympiques", "paris",
           "budget -sécurité", "titre:macron", "retraites OR mistral"]
EXTRAS = ["", "&facets=1", "&sort=date", "&offset=3&limit=4"]


class Proc:
    """A background program in its own process group, its output kept in a file."""

    def __init__(self, cmd, log):
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def live_copy(replica):
    """The replica's live database, as its stub names it ("replica_0" or "replica_1")."""
    try:
        with open(os.path.join(replica, "xapian", "XAPIANDB")) as f:
            return [line.split()[1] for line in f if line.startswith("auto ")][0]
    except (OSError, IndexError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--corpus", required=True, help="a directory of JSON Lines exports (corpus/)")
    args = ap.parse_args()
    if not shutil.which("xapian-replicate") or not shutil.which("xapian-replicate-server"):
        print("SKIP: xapian-replicate is not installed (Debian package xapian-tools; ./setup.sh deps)")
        return 77
    exports = sorted(os.path.join(args.corpus, f) for f in os.listdir(args.corpus) if f.endswith(".jsonl"))
    if len(exports) < 3:
        print(f"FAIL: {args.corpus} should hold 3 exports")
        return 1
    check = Rows()
    p = Programs(args.bin_dir)
    procs, daemons = [], []
    # Glass writes a changeset at each commit only when the writer runs with this set.
    env = {"XAPIAN_MAX_CHANGESETS": "100"}
    try:
        tmp = p.tmp.name
        primary, replica = os.path.join(tmp, "primary"), os.path.join(tmp, "replica")
        p.run("indexer", "--db", primary, "--quiet", "--jobs", "1", "add", exports[0], db=False, env=env,
              check=0)
        os.makedirs(replica)
        port = free_port()
        server = Proc(["xapian-replicate-server", "-I", "127.0.0.1", "-p", str(port), primary],
                      os.path.join(tmp, "server.log"))
        procs.append(server)
        wait_for_port(port)

        clients = []

        def start_client():
            client = Proc(["xapian-replicate", "-h", "127.0.0.1", "-p", str(port), "-m", "xapian", "-i", "1",
                           "-r", "0", "-v", os.path.join(replica, "xapian")], os.path.join(tmp, "replicate.log"))
            procs.append(client)
            clients.append(client)
        start_client()
        deadline = time.time() + 30
        while time.time() < deadline and not live_copy(replica):
            time.sleep(0.1)
        first = live_copy(replica)
        check(first is not None, f"the replica's first copy is live ({first})")

        primary_d = Searchd(args.bin_dir, primary, "--quiet")
        daemons.append(primary_d)
        replica_d = Searchd(args.bin_dir, replica, "--quiet")
        daemons.append(replica_d)

        def api(d, q, extra=""):
            status, _, body = d.request("/api/search?q=" + urllib.parse.quote(q) + extra, timeout=30)
            return status, json.loads(body)

        def documents(d):
            code, _, health = d.json("/healthz")
            return health.get("documents") if code == 200 else None

        def wait_for(what, ok, limit=30):
            """Seconds until ok() holds (polled every 50 ms), or None after `limit` seconds."""
            t = time.monotonic()
            while time.monotonic() - t < limit:
                if ok():
                    return time.monotonic() - t
                time.sleep(0.05)
            check(False, f"{what}: not within {limit} s")
            return None

        def same_everywhere(what):
            # A reply cached before a commit is served until searchd checks the revision (every
            # 200 ms): both are given that long after the replica shows the primary's count.
            wait_for(f"{what}: the replica's count", lambda: documents(replica_d) == documents(primary_d))
            time.sleep(0.3)
            diffs = []
            for q in QUERIES:
                for extra in EXTRAS:
                    s1, want = api(primary_d, q, extra)
                    s2, got = api(replica_d, q, extra)
                    diff = same_reply(got, want)
                    if s1 != 200 or s2 != 200 or diff:
                        diffs.append(f"{q}{extra}: {s1} {s2} {diff}")
            n = documents(primary_d)
            check(not diffs and n and documents(replica_d) == n,
                  f"{what}: the replica answers as the primary ({n} articles, {len(QUERIES) * len(EXTRAS)} "
                  f"searches) {diffs[:3]}")

        same_everywhere("first copy")

        def publish(what, line, expect_copy):
            art = json.loads(line)
            path = os.path.join(tmp, f"{art['identifier']}.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.write(line)
            before = live_copy(replica)
            clients[-1].stop()
            p.run("indexer", "--db", primary, "--quiet", "add", path, db=False, env=env, check=0)
            start_client()
            took = wait_for(f"{what}: article {art['identifier']} through the replica",
                            lambda: replica_d.request("/api/articles/" + urllib.parse.quote(art["identifier"]))[0] == 200)
            check(took is not None and live_copy(replica) == before and not expect_copy,
                  f"{what}: article {art['identifier']} found through the replica's searchd {took or 0:.1f} s after the "
                  f"primary's commit, by a changeset (live copy {before} → {live_copy(replica)})")

        with open(exports[2], encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
        publish("one article published", lines[0], False)
        same_everywhere("after one article")
        applied = re.findall(r"Update complete: 0 copies, ([1-9][0-9]*) changesets", clients[-1].text())
        check(applied, f"xapian-replicate applied changesets ({applied})")

        # A large batch is built in parts, merged into a new database and switched to: the replica
        # gets a full copy, made live beside the old one.
        before = live_copy(replica)
        rest = os.path.join(tmp, "rest.jsonl")
        with open(rest, "w", encoding="utf-8") as f:
            f.writelines(lines[1:-1])
        code, _, err = p.run("indexer", "--db", primary, "--jobs", "2", "add", exports[1], rest, db=False,
                             env=dict(env, KIOSQUE_SHARD_MIN_BYTES="1"))
        switched = os.path.islink(os.path.join(primary, "xapian"))
        check(code == 0 and switched, f"large batch: built in parts and switched to ({err.strip()[-120:]})")
        n = documents(primary_d)
        # Readers of the replica keep getting answers while the new copy is made live.
        statuses, done = [], threading.Event()

        def hammer():
            while not done.is_set():
                statuses.append(replica_d.request("/api/search?q=gouvernement&limit=3")[0])
                time.sleep(0.02)
        reader = threading.Thread(target=hammer)
        reader.start()
        took = wait_for("large batch through the replica", lambda: documents(replica_d) == n, 60)
        time.sleep(0.5)
        done.set()
        reader.join()
        bad = [s for s in statuses if s != 200]
        check(statuses and not bad, f"large batch: {len(statuses)} searches on the replica while it switched "
                                    f"copies, {len(bad)} not answered 200 ({sorted(set(bad))})")
        check(took is not None and live_copy(replica) not in (None, before),
              f"large batch: {n} articles through the replica's searchd {took or 0:.1f} s after the commit, by a "
              f"full copy ({before} → {live_copy(replica)}), without restarting it")
        same_everywhere("after the large batch")

        publish("one article on the database switched to", lines[-1], False)
        same_everywhere("after one more article")
        check(primary_d.stop() == 0 and replica_d.stop() == 0, "both searchd stop cleanly")
    finally:
        for d in daemons:
            d.stop()
        for pr in procs:
            pr.stop()
        if check.failures:
            for pr in {pr.log: pr for pr in procs}.values():
                print(f"--- {pr.log}:\n{pr.text()[-2000:]}")
        p.close()
    print(f"{check.failures} failure(s)")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
