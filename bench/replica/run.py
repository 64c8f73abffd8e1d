#!/usr/bin/env python3
"""bench/replica/run.py --bin-dir BUILD [--input EXPORT] [--articles N] [--batch N] [--interval S]

The delay from a commit on a primary to its visibility through a searchd on a read replica kept by
xapian-replicate on loopback (README "Shards", "Replicas").  The export (default
../shared/corpus/orangesum-fr.jsonl.gz when present, else corpus/) is split: all but the last
`--batch` + `--articles` articles are indexed on the primary (with XAPIAN_MAX_CHANGESETS set, so
that each commit writes a changeset), xapian-replicate-server serves it, xapian-replicate
(-i INTERVAL, -r 0) keeps a replica as the xapian/ of another Kiosque directory, and a searchd
(--threads 2) serves the replica.  Then:
  - changesets: `--articles` times, one article published on the primary (indexer add); the delay
    is from the indexer's exit (its commit is durable) to the first 200 of /api/articles/ID on the
    replica's searchd, polled every 10 ms;
  - full copy: the last `--batch` articles in one batch built in parts and switched to (indexer
    --jobs 2, KIOSQUE_SHARD_MIN_BYTES=1, a batch at least a tenth of the index so that it is
    merged into a new database), the delay to the replica's /healthz showing the primary's count.
xapian-replicate polls every INTERVAL seconds (an integer, at least 1): a commit waits for the
next poll, up to INTERVAL, before its changeset is asked for."""
import argparse
import gzip
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from kiosque_e2e import Searchd  # noqa: E402
from test_remote import free_port, wait_for_port  # noqa: E402


def lines_of(path):
    files = [path]
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith((".jsonl", ".jsonl.gz")))
    out = []
    for f in files:
        with (gzip.open(f, "rt", encoding="utf-8") if f.endswith(".gz") else open(f, encoding="utf-8")) as fh:
            out.extend(line for line in fh if line.strip())
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(d, f)).st_size
            except OSError:
                pass
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    kit = os.path.join(ROOT, "..", "shared", "corpus", "orangesum-fr.jsonl.gz")
    ap.add_argument("--input", default=kit if os.path.exists(kit) else os.path.join(ROOT, "corpus"))
    ap.add_argument("--articles", type=int, default=20, help="articles published one at a time")
    ap.add_argument("--batch", type=int, default=0, help="articles of the large batch (default: a tenth "
                    "of the index, at least)")
    ap.add_argument("--interval", type=int, default=1, help="xapian-replicate's -i, seconds")
    ap.add_argument("--out", help="keep the databases here (default: a temporary directory, removed)")
    args = ap.parse_args()
    for prog in ("xapian-replicate", "xapian-replicate-server"):
        if not shutil.which(prog):
            sys.exit(f"{prog} is not installed (Debian package xapian-tools)")
    bin_dir = os.path.abspath(args.bin_dir)
    lines = lines_of(args.input)
    batch = args.batch or max(len(lines) // 10, 1)
    base = lines[:len(lines) - batch - args.articles]
    singles = lines[len(base):len(base) + args.articles]
    big = lines[len(base) + args.articles:]
    if len(big) * 10 < len(base):
        sys.exit(f"--batch {len(big)} is under a tenth of the {len(base)} articles indexed: it would be added in "
                 "place, not switched to")
    work = args.out or tempfile.mkdtemp(prefix="kiosque-replica-")
    os.makedirs(work, exist_ok=True)
    primary, replica = os.path.join(work, "primary"), os.path.join(work, "replica")
    env = dict(os.environ, XAPIAN_MAX_CHANGESETS="100")
    procs = []

    def spawn(cmd, log):
        with open(os.path.join(work, log), "wb") as out:
            pr = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(pr)
        return pr

    def index(paths, extra_env=None, jobs="2"):
        t = time.monotonic()
        subprocess.run([os.path.join(bin_dir, "indexer"), "--db", primary, "--quiet", "--jobs", jobs, "add",
                        *paths], env=dict(env, **(extra_env or {})), check=True)
        return time.monotonic() - t

    def write(name, rows):
        path = os.path.join(work, name)
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(rows)
        return path

    daemon = None
    try:
        took = index([write("base.jsonl", base)])
        print(f"input {args.input}: {len(lines)} articles; primary {len(base)} ({took:.0f} s to index), "
              f"{len(singles)} published one at a time, then a batch of {len(big)}; xapian-replicate -i "
              f"{args.interval} -r 0", flush=True)
        port = free_port()
        spawn(["xapian-replicate-server", "-I", "127.0.0.1", "-p", str(port), primary], "server.log")
        wait_for_port(port)
        os.makedirs(replica, exist_ok=True)
        t = time.monotonic()
        spawn(["xapian-replicate", "-h", "127.0.0.1", "-p", str(port), "-m", "xapian", "-i", str(args.interval),
               "-r", "0", "-v", os.path.join(replica, "xapian")], "replicate.log")
        # The replica's stub is written, naming an empty database, before the copy arrives.
        while not os.path.exists(os.path.join(replica, "xapian", "XAPIANDB")):
            time.sleep(0.05)
        daemon = Searchd(bin_dir, replica, "--quiet", "--threads", "2")
        while daemon.json("/healthz")[2].get("documents") != len(base):
            time.sleep(0.05)
        print(f"first copy: {du(os.path.join(primary, 'xapian') + '/') / 1e6:.1f} MB, through the replica's "
              f"searchd {time.monotonic() - t:.1f} s after xapian-replicate started", flush=True)

        delays, commits = [], []
        for k, line in enumerate(singles):
            art = json.loads(line)
            # A new identifier: the article is new to the primary, whatever the export holds.
            art["identifier"] = f"replica-bench-{k}-{art.get('identifier', '')}"
            path = write("one.jsonl", [json.dumps(art, ensure_ascii=False) + "\n"])
            commits.append(index([path], jobs="1"))
            t = time.monotonic()
            target = "/api/articles/" + urllib.parse.quote(art["identifier"])
            while daemon.request(target)[0] != 200:
                if time.monotonic() - t > 120:
                    sys.exit(f"article {art['identifier']} not seen through the replica within 120 s")
                time.sleep(0.01)
            delays.append((time.monotonic() - t) * 1000)
        print("\n| delay, commit → visible through the replica's searchd | n | mean ms | p50 | p90 | max |")
        print("|---|---|---|---|---|---|")
        print(f"| one article (changeset) | {len(delays)} | {statistics.mean(delays):.0f} | {pct(delays, 50):.0f} "
              f"| {pct(delays, 90):.0f} | {max(delays):.0f} |")
        n_docs = lambda d: d.json("/healthz")[2].get("documents")  # noqa: E731
        want = len(base) + len(singles) + len(big)
        took = index([write("big.jsonl", big)], {"KIOSQUE_SHARD_MIN_BYTES": "1"})
        t = time.monotonic()
        while n_docs(daemon) != want:
            if time.monotonic() - t > 600:
                sys.exit("the large batch not seen through the replica within 600 s")
            time.sleep(0.05)
        full = (time.monotonic() - t) * 1000
        size = du(os.path.join(primary, "xapian") + "/")
        print(f"| batch of {len(big)} (built in parts, switched to: a full copy of {size / 1e6:.1f} MB) | 1 | "
              f"{full:.0f} | | | |")
        time.sleep(args.interval + 0.5)
        with open(os.path.join(work, "replicate.log"), encoding="utf-8", errors="replace") as f:
            done = [x for x in f.read().splitlines() if x.startswith("Update complete") and "no changes" not in x]
        print(f"\nindexer: one article {statistics.mean(commits) * 1000:.0f} ms mean (process start to exit); "
              f"the batch of {len(big)} {took:.1f} s; xapian-replicate's updates: "
              f"{sum('1 copies' in x for x in done)} full copies (the first included), "
              f"{sum(' 0 copies' in x for x in done)} by changesets")
    finally:
        if daemon:
            daemon.stop()
        for pr in procs:
            try:
                os.killpg(pr.pid, signal.SIGTERM)
                pr.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if not args.out:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
