#!/usr/bin/env python3
"""The soak: searchd under wrk load on loopback while an indexer adds, updates and deletes
articles continuously, syncs a full export now and then, and is killed with kill -9 at random
moments (also during sharded builds and their merges).  At the end, a table per minute
(requests, errors, p50/p99, searchd's RSS and open descriptors), `indexer check`, and every
committed article looked up by its id and by its headline.  Run through bench/soak/run.sh."""
import argparse
import datetime
import gzip
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.parse

LUA = r"""
local urls = {}
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args)
  for line in io.lines(args[1]) do urls[#urls + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  failed = ""
end
request = function()
  return wrk.format("GET", urls[math.random(#urls)])
end
response = function(status, headers, body)
  if status >= 400 and #failed < 2000 then
    failed = failed .. status .. " " .. string.sub(body or "", 1, 160):gsub("\n", " ") .. "\n"
  end
end
done = function(summary, latency, requests)
  for _, t in ipairs(threads) do
    local f = t:get("failed")
    if f and #f > 0 then io.write("FAILED REPLIES\n" .. f) end
  end
end
"""


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def ms(text):
    """wrk's latency (e.g. 1.23ms, 850.00us, 1.02s) in milliseconds."""
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    v, unit = float(m.group(1)), m.group(2)
    return v * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


class Searchd:
    def __init__(self, build, db):
        self.proc = subprocess.Popen([os.path.join(build, "searchd"), "--db", db, "--listen", "127.0.0.1:0",
                                      "--threads", "2", "--quiet"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.port = None
        ready = threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.lines.append(line.rstrip())
                m = re.search(r"listening on http://[^ ]*:(\d+)/", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(30) or not self.port:
            raise SystemExit("searchd did not start:\n" + "\n".join(self.lines))

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))


class Publisher:
    """The indexer side: batches of new, corrected and deleted articles, syncs of a full export,
    kill -9 at random moments; `expected` is what is committed once each step has completed."""

    def __init__(self, args, db, pool, initial):
        self.args, self.db = args, db
        self.rng = random.Random(args.seed)
        self.pool = pool  # articles not yet published
        self.expected = {a["identifier"]: a for a in initial}
        self.stable = set(list(self.expected)[: len(self.expected) // 4])  # never deleted: wrk asks them
        self.deleted = set()
        self.stop = threading.Event()
        self.counts = {"batches": 0, "syncs": 0, "deletes": 0, "articles added": 0, "articles updated": 0,
                       "articles deleted": 0, "indexer runs": 0, "kill -9": 0, "kill -9 of sharded runs": 0,
                       "kill -9 of syncs": 0, "runs that found the lock taken": 0}
        self.failures = []
        self.tmp = tempfile.mkdtemp(prefix="kq-soak-batch-")
        self.next_sync = time.monotonic() + args.sync_every

    def indexer(self, *argv, kill_after=None, sharded=False):
        env = dict(os.environ)
        env.pop("KIOSQUE_DB", None)
        env["KIOSQUE_SHARD_MIN_BYTES"] = "0" if sharded else str(1 << 40)
        cmd = [os.path.join(self.args.build, "indexer"), "--db", self.db, "--quiet", "--jobs", "2", *argv]
        self.counts["indexer runs"] += 1
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            out, err = p.communicate(timeout=kill_after)
            return p.returncode, err.decode(errors="replace")
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.communicate()
            self.counts["kill -9"] += 1
            self.counts["kill -9 of sharded runs"] += sharded
            self.counts["kill -9 of syncs"] += argv[0] == "sync"
            return None, "killed"

    def step(self, *argv, ok=(0,)):
        """Runs a step, maybe killed at a random moment first, then to its end."""
        sharded = self.rng.random() < 0.3
        killed = False
        if self.rng.random() < self.args.kill_share:
            code, err = self.indexer(*argv, kill_after=self.rng.uniform(0.05, 2.0), sharded=sharded)
            killed = code is None
            if code in ok:  # it finished before its kill
                return
        for _ in range(200):
            code, err = self.indexer(*argv, sharded=self.rng.random() < 0.3)
            if code == 3:
                self.counts["runs that found the lock taken"] += 1
                time.sleep(0.05)
                continue
            if code == 1 and killed and argv[0] == "delete":
                return  # the killed run had committed the deletions: nothing left to delete
            if code not in ok:
                self.failures.append(f"indexer {argv[0]} exited {code}: {err.strip()[-300:]}")
            return
        self.failures.append(f"indexer {argv[0]}: the lock was never released")

    def export(self, path, arts):
        with open(path, "w", encoding="utf-8") as f:
            for a in arts:
                f.write(json.dumps(a, ensure_ascii=False) + "\n")

    def one_round(self, k):
        if time.monotonic() >= self.next_sync:
            path = os.path.join(self.tmp, "full.jsonl")
            self.export(path, self.expected.values())
            self.step("sync", path)
            self.counts["syncs"] += 1
            self.next_sync = time.monotonic() + self.args.sync_every
            return
        new = [self.pool.pop() for _ in range(min(len(self.pool), self.args.batch))]
        mutable = [i for i in self.expected if i not in self.stable]
        updated = []
        for i in self.rng.sample(mutable, min(len(mutable), self.args.batch // 3)):
            a = dict(self.expected[i])
            a["headline"] = re.sub(r" \(mis à jour \d+\)$", "", a["headline"]) + f" (mis à jour {k})"
            updated.append(a)
        path = os.path.join(self.tmp, f"batch-{k % 4}.jsonl")
        self.export(path, new + updated)
        self.step("add", path)
        self.counts["batches"] += 1
        for a in new + updated:
            self.expected[a["identifier"]] = a
        self.counts["articles added"] += len(new)
        self.counts["articles updated"] += len(updated)
        gone = self.rng.sample([i for i in self.expected if i not in self.stable], min(len(mutable), 5))
        if gone:
            self.step("delete", *gone)
            self.counts["deletes"] += 1
            for i in gone:
                del self.expected[i]
                self.deleted.add(i)
            self.counts["articles deleted"] += len(gone)

    def run(self):
        k = 0
        while not self.stop.is_set():
            k += 1
            self.one_round(k)
            self.stop.wait(self.rng.uniform(0.0, 1.0))


def wrk_minute(args, port, urls_path, lua_path):
    p = subprocess.run([args.wrk, "-t1", f"-c{args.connections}", "-d60s", "--latency", "--timeout", "5s",
                        "-s", lua_path, f"http://127.0.0.1:{port}/", "--", urls_path],
                       capture_output=True, text=True, timeout=120)
    out = p.stdout
    row = {"requests": 0, "errors": 0, "p50": None, "p99": None}
    m = re.search(r"(\d+) requests in", out)
    row["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    row["errors"] += int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        row["errors"] += sum(map(int, m.groups()))
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        row["p" + pct] = ms(m.group(1)) if m else None
    row["raw"] = out
    row["failed"] = out.split("FAILED REPLIES\n", 1)[1].strip().splitlines() if "FAILED REPLIES" in out else []
    return row


def same_text(stored, sent):
    """A headline as Kiosque stores it against the one sent: blanks collapsed and invisible
    format characters (zero-width spaces, category Cf, which the synthetic articles inherit
    from real ones and Kiosque drops) left out on both sides."""
    def norm(t):
        return " ".join("".join(c for c in t if unicodedata.category(c) != "Cf").split())
    return norm(stored) == norm(sent)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True)
    ap.add_argument("--minutes", type=int, default=30)
    ap.add_argument("--articles", type=int, default=20000, help="articles indexed before the load starts")
    ap.add_argument("--source", required=True, help="the source corpus of build/synth_generate")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=60, help="new articles per batch (and a third as many updated)")
    ap.add_argument("--sync-every", type=float, default=90.0, help="seconds between syncs of a full export")
    ap.add_argument("--kill-share", type=float, default=0.35, help="share of steps killed once with kill -9")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--wrk", default="wrk")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    db = os.path.join(args.out, "db")
    subprocess.run(["rm", "-rf", db], check=True)

    # Input: the synthetic generator, enough for the initial archive and every batch.
    total = args.articles + args.batch * 60 * args.minutes + 1000
    archive = os.path.join(args.out, f"archive-{total}.jsonl.gz")
    gen = [os.path.join(args.build, "synth_generate"), "--source", args.source, "--seed", str(args.seed),
           "--quiet", str(total), archive]
    log("input: " + " ".join(gen))
    subprocess.run(gen, check=True, stdout=subprocess.DEVNULL)
    with gzip.open(archive, "rt", encoding="utf-8") as f:
        arts = [json.loads(line) for line in f]
    initial, pool = arts[: args.articles], arts[args.articles:][::-1]
    first = os.path.join(args.out, "initial.jsonl")
    with open(first, "w", encoding="utf-8") as f:
        for a in initial:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    t = time.monotonic()
    subprocess.run([os.path.join(args.build, "indexer"), "--db", db, "--quiet", "add", first], check=True)
    log(f"indexed {len(initial)} articles in {time.monotonic() - t:.1f} s")

    server = Searchd(args.build, db)
    pub = Publisher(args, db, pool, initial)
    rng = random.Random(args.seed)
    stable = sorted(pub.stable)
    urls = []
    heads = [a["headline"] for a in initial]
    popular = []
    for h in rng.sample(heads, 20):
        words = [w for w in re.findall(r"\w+", h) if len(w) > 3][:2]
        if words:
            popular.append(" ".join(words))
    quote = urllib.parse.quote
    # The mix of requests: (share, URL from a query of headline words).
    mix = [(0.35, lambda q: f"/api/search?q={quote(q)}"),
           (0.20, lambda q: f"/api/search?q={quote(rng.choice(popular))}"),
           (0.10, lambda q: f"/?q={quote(q)}"),
           (0.10, lambda q: f"/api/suggest?q={quote(q[: rng.randint(2, 6)])}"),
           (0.10, lambda q: f"/api/articles/{quote(rng.choice(stable))}"),
           (0.07, lambda q: f"/api/related/{quote(rng.choice(stable))}"),
           (0.08, lambda q: f"/api/search?q={quote(q)}&facets=1")]
    for _ in range(3000):
        words = [w for w in re.findall(r"\w+", rng.choice(heads)) if len(w) > 3]
        q = " ".join(rng.sample(words, min(len(words), rng.randint(1, 3)))) if words else "france"
        make = rng.choices([m for _, m in mix], weights=[w for w, _ in mix])[0]
        urls.append(make(q))
    urls_path = os.path.join(args.out, "urls.txt")
    with open(urls_path, "w") as f:
        f.write("\n".join(urls) + "\n")
    lua_path = os.path.join(args.out, "soak.lua")
    with open(lua_path, "w") as f:
        f.write(LUA)

    # Warm-up: one pass over a tenth of the URLs, then the figures of reference.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    for u in urls[:300]:
        conn.request("GET", u)
        conn.getresponse().read()
    conn.close()
    rss0, fds0 = server.rss_mb(), server.fds()
    log(f"searchd after warm-up: {rss0:.1f} MB, {fds0} descriptors; load for {args.minutes} min")

    publisher = threading.Thread(target=pub.run, daemon=True)
    publisher.start()
    rows = []
    for minute in range(1, args.minutes + 1):
        row = wrk_minute(args, server.port, urls_path, lua_path)
        row["rss"], row["fds"] = server.rss_mb(), server.fds()
        rows.append(row)
        log(f"minute {minute}: {row['requests']} requests, {row['errors']} errors, p50 {row['p50']} ms, "
            f"p99 {row['p99']} ms, {row['rss']:.1f} MB, {row['fds']} fds; {pub.counts['indexer runs']} indexer runs, "
            f"{pub.counts['kill -9']} killed")
        if server.proc.poll() is not None:
            break
    pub.stop.set()
    publisher.join(600)

    # The end: the database is consistent and every committed article is there.
    check = subprocess.run([os.path.join(args.build, "indexer"), "--db", db, "check", "--no-repair"],
                           capture_output=True, text=True, timeout=1800)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def get(path):
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()

    by_id = by_headline = 0
    missing_id, missing_head, still_there = [], [], []
    for i, a in pub.expected.items():
        st, body = get(f"/api/articles/{urllib.parse.quote(i)}")
        if st == 200 and same_text(json.loads(body).get("title", ""), a["headline"]):
            by_id += 1
        else:
            missing_id.append(i)
        # Its headline as a phrase, on its day of publication (a short headline,
        # "Le Maire", is shared by hundreds of articles): pages of 100 until it comes.
        q = urllib.parse.quote(('"' + a["headline"].replace('"', " ") + '"').encode()[:1000].decode("utf-8", "ignore"))
        dates = ""
        if a.get("datePublished"):  # its day in UTC, give or take one
            d = datetime.date.fromisoformat(a["datePublished"][:10])
            dates = f"&since={d - datetime.timedelta(days=1)}&until={d + datetime.timedelta(days=1)}"
        found = False
        for offset in range(0, 1000, 100):
            st, body = get(f"/api/search?all=1&limit=100&offset={offset}{dates}&q={q}")
            hits = [h["id"] for h in json.loads(body)["hits"]] if st == 200 else []
            if i in hits:
                found = True
            if found or len(hits) < 100:
                break
        if found:
            by_headline += 1
        else:
            missing_head.append(i)
    for i in sorted(pub.deleted)[:2000]:
        if i not in pub.expected and get(f"/api/articles/{urllib.parse.quote(i)}")[0] != 404:
            still_there.append(i)
    st, metrics = get("/metrics")
    conn.close()
    server_errors = [l for l in metrics.decode().splitlines()
                     if l.startswith("kiosque_http_requests_total") and re.search(r'status="5\d\d"', l)]
    server.proc.send_signal(signal.SIGTERM)
    rc = server.proc.wait(30)

    print()
    print("command: bench/soak/run.sh " + str(args.minutes) + f"  (searchd --threads 2; wrk -t1 -c{args.connections} "
          "-d60s --latency per minute; " + f"{args.articles} synthetic articles to start)")
    print(f"{'minute':>6} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'RSS MB':>7} {'fds':>5}")
    for n, r in enumerate(rows, 1):
        p50 = f"{r['p50']:.2f}" if r["p50"] is not None else "-"
        p99 = f"{r['p99']:.2f}" if r["p99"] is not None else "-"
        print(f"{n:>6} {r['requests']:>9} {r['errors']:>7} {r['requests'] / 60:>7.0f} {p50:>8} {p99:>8} "
              f"{r['rss']:>7.1f} {r['fds']:>5}")
    reqs = sum(r["requests"] for r in rows)
    errs = sum(r["errors"] for r in rows)
    print(f"{'all':>6} {reqs:>9} {errs:>7}")
    print(f"searchd after warm-up: {rss0:.1f} MB, {fds0} descriptors; at the end {rows[-1]['rss']:.1f} MB, "
          f"{rows[-1]['fds']} descriptors; exit status on SIGTERM {rc}")
    print("publishing: " + ", ".join(f"{k} {v}" for k, v in pub.counts.items()))
    print(f"indexer check --no-repair: exit {check.returncode} ({(check.stdout + check.stderr).strip().splitlines()[-1:]})")
    print(f"committed articles: {len(pub.expected)}; found by id {by_id}, by their headline {by_headline}; "
          f"deleted ones still served: {len(still_there)}")
    # Warm-up is the first third of the run, at least its first minute: the reply cache (1,024
    # replies of every size) fills as the URLs come, which took 3 to 4 minutes at 12,000 requests
    # a minute on the loaded machine (searchd on a static index, the soak's URLs: RSS +632 KB in
    # the first 30 s, +68 KB in the 7th).  A leak grows on after it; the growth is measured there.
    warm_minute = max(1, len(rows) // 3)
    rss1 = rows[warm_minute - 1]["rss"] if rows else 0
    fds1 = rows[0]["fds"] if rows else 0
    problems = []
    if errs:
        problems.append(f"{errs} errors")
    if rows and rows[-1]["rss"] > rss1 * 1.10:
        problems.append(f"RSS grew from {rss1:.1f} MB after minute {warm_minute} (the warm-up) to "
                        f"{rows[-1]['rss']:.1f} MB")
    if rows[-1]["fds"] > fds1 + 4:
        problems.append(f"descriptors grew from {fds1} after the first minute to {rows[-1]['fds']}")
    if check.returncode != 0:
        problems.append("indexer check is not clean:\n" + (check.stdout + check.stderr)[-2000:])
    if missing_id or missing_head or still_there:
        problems.append(f"articles missing by id {missing_id[:5]}, by headline {missing_head[:5]}, "
                        f"deleted still there {still_there[:5]}")
    if pub.failures:
        problems.append("publishing failures: " + "; ".join(pub.failures[:5]))
    if rc != 0 or len(rows) < args.minutes:
        problems.append(f"searchd exited {rc} after {len(rows)} minutes")
    failed = [f for r in rows for f in r["failed"]]
    if server_errors:
        print("5xx replies by endpoint (searchd's /metrics): " + "; ".join(server_errors))
    # Searches stopped by searchd's time limit (--search-time-limit, 1 s): answered, and said so.
    timed_out = [l.split()[-1] for l in metrics.decode().splitlines()
                 if l.startswith("kiosque_searches_timed_out_total ")]
    print(f"searches stopped by the time limit (searchd's /metrics): {timed_out[0] if timed_out else '-'}")
    if failed:
        print("failed replies (status, body):")
        for f in failed[:20]:
            print("  " + f)
    for p in problems:
        print("FAIL: " + p)
    if not problems:
        print("soak: PASS")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
