#!/usr/bin/env python3
"""Shards on Xapian's remote backend end to end (README "Shards", issue 14): the sample archive and
the searchd fixtures are indexed once whole and once in three shards (indexer add --shard K/3), each
shard served by its own xapian-tcpsrv on a free loopback port and named in a stub file; search --json
and /api/search on the stub must give what the single index gives (the same hits in the same order,
snippets, totals, facets, suggestions, related articles; scores within 1e-9 relative: Xapian sums
the shards' statistics, so BM25 is the same, only the order of a floating-point sum may differ).
Then faults: a shard stopped (SIGSTOP: it accepts connections but never answers) and a shard killed
must make searchd answer 503 within a bounded time (--shard-timeout), never hang, and the command
line exit 2 naming the shard; when the shard is back, searchd gives full results again without a
restart.  Skipped (exit 77) when xapian-tcpsrv (Debian's xapian-tools) is not installed."""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs, Rows, Searchd  # noqa: E402

SHARDS = 3
QUERIES = ["macron", "réforme des retraites", "intelligence artificielle", "jeux olympiques", "paris",
           "budget -sécurité", "titre:macron", "date:2024-03", "intellig*", "intelligance",
           "retraites OR mistral", "le gouvernement a annoncé une baisse des impôts pour les ménages",
           "toitures chaudières internats", "informations pratiques horaires"]
VARIANTS = [[], ["--sort", "date"], ["--facets"], ["--offset", "5", "-n", "5"], ["--all"],
            ["--section", "politique"]]
HIT_FIELDS = ["id", "url", "title", "date", "author", "section", "snippet"]
REPLY_FIELDS = ["total", "total_exact", "total_lower", "partial", "suggestion", "facets", "offset",
                "limit"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Shard:
    """A xapian-tcpsrv serving one shard's index, in its own process group (it forks a child per
    connection, and a fault must reach them all)."""

    def __init__(self, path, port=None):
        self.path, self.port = path, port or free_port()
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["xapian-tcpsrv", "--interface", "127.0.0.1", "--port", str(self.port),
                                      self.path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"xapian-tcpsrv on port {self.port} did not start")

    def signal(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self):
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGKILL)
        self.proc.wait(10)


def close(x, y):
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1e-300)


def same_reply(a, b, ranked=True):
    """'' when the replies agree, else what differs.  Hits of equal scores may come in another
    order (Xapian breaks ties by document id, and shards interleave ids), and a run of equal
    scores cut by the end of the page may hold others; not `ranked` (a wildcard): the totals and
    facets only."""
    for f in REPLY_FIELDS:
        if a.get(f) != b.get(f):
            return f"{f}: {a.get(f)!r} != {b.get(f)!r}"
    if not ranked:
        return ""
    ha, hb = a["hits"], b["hits"]
    if len(ha) != len(hb):
        return f"{len(ha)} hits != {len(hb)}"
    for x, y in zip(ha, hb):
        if not close(x.get("score", 0), y.get("score", 0)):
            return f"scores: {[(h['id'], h['score']) for h in ha]} != {[(h['id'], h['score']) for h in hb]}"
    cut = a["offset"] + len(ha) < a["total"]  # the page ends inside a run of equal scores
    i = 0
    while i < len(ha):
        j = i + 1
        while j < len(ha) and close(ha[j]["score"], ha[i]["score"]):
            j += 1
        ids_a, ids_b = {h["id"] for h in ha[i:j]}, {h["id"] for h in hb[i:j]}
        if ids_a != ids_b and not (cut and j == len(ha)) and not (a["offset"] and i == 0):
            return f"ids: {[h['id'] for h in ha]} != {[h['id'] for h in hb]}"
        i = j
    by_id = {h["id"]: h for h in hb}
    for x in ha:
        y = by_id.get(x["id"])
        for f in HIT_FIELDS:
            if y is not None and x.get(f) != y.get(f):
                return f"hit {x['id']} {f}: {x.get(f)!r} != {y.get(f)!r}"
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--inputs", nargs="+", required=True)
    args = ap.parse_args()
    if not shutil.which("xapian-tcpsrv"):
        print("SKIP: xapian-tcpsrv is not installed (Debian package xapian-tools; ./setup.sh deps)")
        return 77
    check = Rows()
    p = Programs(args.bin_dir)
    shards, servers = [], []
    try:
        tmp = p.tmp.name
        single = os.path.join(tmp, "single")
        p.run("indexer", "--db", single, "--quiet", "add", *args.inputs, db=False, check=0)

        # Bad shard specifications are refused before anything is written.
        for bad in ["0/3", "4/3", "1/0", "x/3", "1/3/", "2"]:
            code, _, err = p.run("indexer", "--db", os.path.join(tmp, "bad"), "add", "--shard", bad,
                                 *args.inputs, db=False)
            check(code == 2 and "--shard takes K/N" in err and not os.path.exists(os.path.join(tmp, "bad")),
                  f"indexer add --shard {bad}: exit 2 with a clear message, nothing created (exit {code})")

        counts = []
        for k in range(1, SHARDS + 1):
            d = os.path.join(tmp, f"shard{k}")
            code, _, err = p.run("indexer", "--db", d, "add", "--shard", f"{k}/{SHARDS}", *args.inputs, db=False)
            check(code == 0 and "other shards" in err, f"shard {k}/{SHARDS} built: {err.strip()}")
            shards.append(d)
            counts.append(int(p.run("indexer", "--db", d, "stats", db=False, check=0)[1].split("articles")[1].split()[0]))
        total = int(p.run("indexer", "--db", single, "stats", db=False, check=0)[1].split("articles")[1].split()[0])
        check(sum(counts) == total and min(counts) > 0,
              f"the shards hold {counts} articles, {sum(counts)} in all, as the single index ({total})")
        # The same run again changes nothing: the hash is stable.
        code, _, err = p.run("indexer", "--db", shards[0], "add", "--shard", f"1/{SHARDS}", *args.inputs, db=False)
        check(code == 0 and "added 0, updated 0" in err, f"shard 1 built again from the same export: {err.strip()}")
        # sync --shard keeps the shard's own articles: nothing deleted, nothing added.
        code, _, err = p.run("indexer", "--db", shards[1], "sync", "--shard", f"2/{SHARDS}", *args.inputs, db=False)
        check(code == 0 and "deleted 0" in err and "added 0" in err, f"sync --shard 2/{SHARDS}: {err.strip()}")

        servers = [Shard(os.path.join(d, "xapian")) for d in shards]
        stub = os.path.join(tmp, "shards.stub")
        with open(stub, "w") as f:
            f.write("# the three shards of the test archive\n")
            f.writelines(f"remote 127.0.0.1:{s.port}\n" for s in servers)
        local_stub = os.path.join(tmp, "local.stub")
        with open(local_stub, "w") as f:
            f.writelines(f"auto shard{k}\n" for k in range(1, SHARDS + 1))

        # search --json: the stub against the single index, every query in every variant.
        for q in QUERIES:
            for v in VARIANTS:
                want = p.search_json("--db", single, *v, q, db=False)
                for name, db in (("remote", stub), ("local", local_stub)):
                    got = p.search_json("--db", db, *v, q, db=False)
                    diff = same_reply(got, want, "*" not in q)
                    check(not diff, f"search {' '.join(v)} {q!r} ({name} shards): {len(want['hits'])} hits, "
                                    f"total {want['total']} {diff}")
        want = p.search_json("--db", single, "intelligance", db=False)
        check(want.get("suggestion") == "intelligence", "the single index offers intelligence for intelligance")
        for art in ["1001", "3001", "2050"]:
            want = p.search_json("--db", single, "--related", art, db=False)
            got = p.search_json("--db", stub, "--related", art, db=False)
            diff = same_reply(got, want)
            check(not diff and want["hits"], f"related to {art}: {[h['id'] for h in want['hits']]} {diff}")

        # A stub that names no database, or a line it cannot read: a clear error.
        for text, what in [("# nothing\n", "names no database"), ("remote nowhere\n", "HOST:PORT"),
                           ("tcp 127.0.0.1:1\n", "auto PATH"), ("auto no-such-shard\n", "no-such-shard")]:
            with open(os.path.join(tmp, "bad.stub"), "w") as f:
                f.write(text)
            code, _, err = p.run("search", "--db", os.path.join(tmp, "bad.stub"), "macron", db=False)
            check(code == 2 and what in err, f"stub {text.strip()!r}: exit {code}, {err.strip()}")

        # /api/search on searchd with the stub against searchd on the single index.
        timeout_ms = 1500
        remote_d = Searchd(args.bin_dir, stub, "--quiet", "--shard-timeout", str(timeout_ms))
        single_d = Searchd(args.bin_dir, single, "--quiet")
        try:
            def api(d, q, extra="", timeout=30):
                t = time.monotonic()
                status, _, body = d.request("/api/search?q=" + urllib.parse.quote(q) + extra, timeout=timeout)
                return status, json.loads(body), time.monotonic() - t

            for q in QUERIES:
                for extra in ["", "&facets=1", "&sort=date", "&offset=3&limit=4"]:
                    s1, want, _ = api(single_d, q, extra)
                    s2, got, _ = api(remote_d, q, extra)
                    diff = same_reply(got, want, "*" not in q)
                    check(s1 == s2 == 200 and not diff, f"/api/search?q={q}{extra}: {s2} {diff}")
            status, health, _ = api(remote_d, "")  # the empty search still answers
            code, _, body = remote_d.request("/healthz")
            check(code == 200, f"/healthz with every shard up: {code}")

            bound = 4 * timeout_ms / 1000 + 2
            # A shard that hangs: it accepts connections but never answers.
            servers[1].signal(signal.SIGSTOP)
            status, reply, took = api(remote_d, "gouvernement", timeout=60)
            check(status == 503 and took < bound,
                  f"shard 2 stopped: /api/search answers {status} in {took:.1f} s (bound {bound:.0f} s): "
                  f"{reply.get('error', {}).get('message', '')}")
            status, reply, took = api(remote_d, "ministre", timeout=60)
            check(status == 503 and took < bound, f"shard 2 still stopped: {status} in {took:.1f} s")
            servers[1].signal(signal.SIGCONT)
            status, got, _ = api(remote_d, "ministre")
            _, want, _ = api(single_d, "ministre")
            diff = same_reply(got, want)
            check(status == 200 and not diff, f"shard 2 answering again: full results without a restart {diff}")

            # A shard that is gone: connections refused.
            servers[1].kill()
            status, reply, took = api(remote_d, "élection", timeout=60)
            check(status == 503 and took < bound, f"shard 2 killed: /api/search answers {status} in {took:.1f} s: "
                                                  f"{reply.get('error', {}).get('message', '')}")
            t = time.monotonic()
            code, _, err = p.run("search", "--db", stub, "élection", db=False)
            took = time.monotonic() - t
            check(code == 2 and f"shard 2 (remote 127.0.0.1:{servers[1].port})" in err and took < bound,
                  f"shard 2 killed: search exits {code} in {took:.1f} s naming the shard: {err.strip()}")
            servers[1].start()
            status, got, _ = api(remote_d, "élection")
            _, want, _ = api(single_d, "élection")
            diff = same_reply(got, want)
            check(status == 200 and not diff and want["hits"],
                  f"shard 2 restarted: full results without restarting searchd: {status} {diff} "
                  f"{got.get('error', {}).get('message', '')}")
        finally:
            check(remote_d.stop() == 0, "searchd on the shards stops cleanly")
            single_d.stop()
    finally:
        for s in servers:
            s.kill()
        p.close()
    print(f"{check.failures} failure(s)")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
