#!/usr/bin/env python3
"""Shards on Xapian's remote backend end to end (README "Shards", issue 14): the sample archive and
the searchd fixtures are indexed once whole and once in three shards (indexer add --shard K/3), each
shard served by its own xapian-tcpsrv on a free loopback port and named in a stub file; search --json
and /api/search on the stub must give what the single index gives (the same hits in the same order,
snippets, totals, facets, suggestions, related articles; scores within 1e-9 relative: Xapian sums
the shards' statistics, so BM25 is the same, only the order of a floating-point sum may differ).
Then faults: a shard stopped (SIGSTOP: it accepts connections but never answers) and a shard killed
give the other shards' results (partial results: exactly what a stub of the two others gives, none
of the missing shard's articles, "shards": {"total": 3, "successful": 2, "failed": 1}, not cached),
the first search within a bounded time (--shard-timeout), the next ones without waiting for the
shard; the page says results are missing, /metrics counts the failures, /healthz answers 200
naming the shard, and the command line prints the others' hits and names it; when the shard is
back, searchd gives full, identical results again without a restart.  Every shard down: 503.  Skipped (exit 77) when xapian-tcpsrv (Debian's xapian-tools) is not installed."""
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


def wait_for_port(port, seconds=10):
    """True once a server accepts connections on the loopback port, False after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


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
        if wait_for_port(self.port):
            return
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
                status, headers, body = d.request("/api/search?q=" + urllib.parse.quote(q) + extra,
                                                  timeout=timeout)
                reply = json.loads(body)
                reply["_headers"] = headers
                return status, reply, time.monotonic() - t

            for q in QUERIES:
                for extra in ["", "&facets=1", "&sort=date", "&offset=3&limit=4"]:
                    s1, want, _ = api(single_d, q, extra)
                    s2, got, _ = api(remote_d, q, extra)
                    diff = same_reply(got, want, "*" not in q)
                    check(s1 == s2 == 200 and not diff, f"/api/search?q={q}{extra}: {s2} {diff}")
            _, got, _ = api(remote_d, "macron")
            _, want, _ = api(single_d, "macron")
            check(got.get("shards") == {"total": 3, "successful": 3, "failed": 0} and
                  want.get("shards") == {"total": 1, "successful": 1, "failed": 0},
                  f"every reply says its shards: {got.get('shards')} over the stub, {want.get('shards')} "
                  "on one index")
            code, _, health = remote_d.json("/healthz")
            check(code == 200 and health.get("status") == "ok" and
                  health.get("shards") == {"total": 3, "successful": 3, "failed": 0},
                  f"/healthz with every shard up: {code} {health}")

            down_port = servers[1].port
            down_name = f"remote 127.0.0.1:{down_port}"
            # What the other two shards give: the partial answer must be exactly that.
            two_stub = os.path.join(tmp, "two.stub")
            with open(two_stub, "w") as f:
                f.write("auto shard1\nauto shard3\n")
            only2 = set()
            for q in ["gouvernement", "ministre", "élection", "macron"]:
                only2 |= set(p.ids("--db", shards[1], "-n", "100", q, db=False))

            def partial_as_two(what, q, status, got, took, bound):
                want = p.search_json("--db", two_stub, q, db=False)
                diff = same_reply(got, want)
                ids = {h["id"] for h in got.get("hits", [])}
                check(status == 200 and got.get("shards") == {"total": 3, "successful": 2, "failed": 1}
                      and not diff and ids and not ids & only2 and took < bound,
                      f"{what}: {q!r} answers {status} in {took:.1f} s (bound {bound:.1f} s) with the "
                      f"other shards' {len(ids)} hits, shards {got.get('shards')} {diff}")
                check("etag" not in got["_headers"] and got["_headers"].get("cache-control") == "no-store",
                      f"{what}: a partial reply is not to be cached: {got['_headers'].get('cache-control')}")

            def degraded(what):
                code, _, health = remote_d.json("/healthz")
                names = [(d.get("shard"), d.get("name")) for d in health.get("shards_down", [])]
                check(code == 200 and health.get("status") == "degraded" and names == [(2, down_name)] and
                      health.get("shards", {}).get("failed") == 1,
                      f"{what}: /healthz 200 naming shard 2: {code} {health}")
                _, _, metrics = remote_d.request("/metrics")
                m = metrics.decode()
                up = f'kiosque_shard_up{{shard="2",name="{down_name}"}} 0'
                failures = [int(line.split()[-1]) for line in m.splitlines()
                            if line.startswith('kiosque_shard_failures_total{shard="2"')]
                partial = [int(line.split()[-1]) for line in m.splitlines()
                           if line.startswith("kiosque_partial_replies_total ")]
                check(up in m and failures and failures[0] >= 1 and partial and partial[0] >= 1 and
                      'kiosque_shard_up{shard="1"' in m,
                      f"{what}: /metrics says shard 2 down, {failures} failures, {partial} partial replies")
                code, _, page = remote_d.request("/?q=" + urllib.parse.quote("ministre"))
                check(code == 200 and "Des résultats manquent" in page.decode(),
                      f"{what}: the page says results are missing ({code})")

            def back(what, q):
                """Full, identical results without restarting searchd, once the shard answers (it is
                probed again within 5 s of its last failed probe)."""
                _, want, _ = api(single_d, q)
                deadline, status, got, diff = time.monotonic() + 30, 0, {}, "not tried"
                while time.monotonic() < deadline:
                    status, got, _ = api(remote_d, q, timeout=60)
                    diff = same_reply(got, want)
                    if status == 200 and got.get("shards", {}).get("failed") == 0:
                        break
                    time.sleep(0.25)
                check(status == 200 and not diff and got.get("shards") == {"total": 3, "successful": 3,
                                                                            "failed": 0} and want["hits"],
                      f"{what}: full results again without restarting searchd: {status} {got.get('shards')} "
                      f"{diff}")
                code, _, health = remote_d.json("/healthz")
                check(code == 200 and health.get("status") == "ok", f"{what}: /healthz ok again: {health}")

            # A shard that hangs: it accepts connections but never answers.  The first search
            # waits once for the timeout, the next ones not at all while it stays down.
            first = 3 * timeout_ms / 1000 + 3
            quick = timeout_ms / 1000
            servers[1].signal(signal.SIGSTOP)
            status, got, took = api(remote_d, "gouvernement", timeout=60)
            partial_as_two("shard 2 stopped", "gouvernement", status, got, took, first)
            for q in ["ministre", "élection", "macron"]:
                status, got, took = api(remote_d, q, timeout=60)
                partial_as_two("shard 2 still stopped", q, status, got, took, quick)
            status, again, _ = api(remote_d, "macron")
            check(again["_headers"].get("x-kiosque-cache") == "miss" and
                  again.get("shards", {}).get("failed") == 1,
                  f"shard 2 still stopped: the partial reply was not cached: {again['_headers']}")
            degraded("shard 2 stopped")
            t = time.monotonic()
            code, out, err = p.run("search", "--db", stub, "--shard-timeout", str(timeout_ms), "--json",
                                   "élection", db=False)
            took = time.monotonic() - t
            reply = json.loads(out) if out.strip().startswith("{") else {}
            check(code == 0 and reply.get("shards", {}).get("failed") == 1 and
                  f"shard 2 ({down_name}) does not answer" in err and took < first,
                  f"shard 2 stopped: search exits {code} in {took:.1f} s with the others' hits, naming it: "
                  f"{err.strip()}")
            servers[1].signal(signal.SIGCONT)
            back("shard 2 answering again", "ministre")

            # A shard that is gone: connections refused.
            servers[1].kill()
            status, got, took = api(remote_d, "élection", timeout=60)
            partial_as_two("shard 2 killed", "élection", status, got, took, first)
            status, got, took = api(remote_d, "gouvernement", timeout=60)
            partial_as_two("shard 2 still killed", "gouvernement", status, got, took, quick)
            degraded("shard 2 killed")
            code, out, err = p.run("search", "--db", stub, "--json", "élection", db=False)
            reply = json.loads(out) if out.strip().startswith("{") else {}
            check(code == 0 and reply.get("shards", {}).get("failed") == 1 and
                  f"shard 2 ({down_name}) does not answer" in err,
                  f"shard 2 killed: search exits {code} with the others' hits, naming it: {err.strip()}")
            servers[1].start()
            back("shard 2 restarted", "élection")

            # Every shard gone: no answer at all, 503 (and /healthz 503), then back.
            for s in servers:
                s.kill()
            time.sleep(0.5)  # cached replies are served until the revision is checked (200 ms)
            status, got, took = api(remote_d, "ministre", timeout=60)
            code, _, health = remote_d.json("/healthz")
            check(status == 503 and code == 503 and took < first,
                  f"every shard down: /api/search {status} in {took:.1f} s, /healthz {code}: "
                  f"{got.get('error', {}).get('message', '')}")
            code, _, err = p.run("search", "--db", stub, "ministre", db=False)
            check(code == 2 and "no shard answers" in err, f"every shard down: search exits {code}: {err.strip()}")
            for s in servers:
                s.start()
            back("every shard restarted", "ministre")
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
