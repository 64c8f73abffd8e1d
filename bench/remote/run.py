#!/usr/bin/env python3
"""bench/remote/run.py --bin-dir BUILD [--input EXPORT] [--queries N] [--out DIR]

The cost of searching 3 shards on Xapian's remote backend against one index, on loopback: the
export (default ../shared/corpus/orangesum-fr.jsonl.gz when present, else corpus/) is indexed
whole and in 3 shards (indexer add --shard K/3), each shard served by a xapian-tcpsrv on a free
loopback port; three searchd (2 threads each) serve the single index, a stub of the 3 remote
shards and a stub of the same shards opened locally.  N queries (default 300: the first two words
of headlines drawn with a fixed seed) are each asked once of each server, in turn (so the reply
caches never answer and a burst of load hits all three alike), and the table gives, per
server, the client's wall time per request (HTTP on loopback included) and searchd's own took_ms:
mean, p50, p90, p99.  Also how many replies differ from the single index's (top 10 ids)."""
import argparse
import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from kiosque_e2e import Programs, Searchd  # noqa: E402
from test_remote import Shard  # noqa: E402


def headlines(path, n, seed):
    files = []
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith((".jsonl", ".jsonl.gz")))
    else:
        files = [path]
    heads = []
    for f in files:
        with (gzip.open(f, "rt", encoding="utf-8") if f.endswith(".gz") else open(f, encoding="utf-8")) as fh:
            for line in fh:
                try:
                    h = json.loads(line).get("headline", "")
                except ValueError:
                    continue
                words = [w.strip(".,:;!?«»\"'()") for w in h.split()]
                words = [w for w in words if len(w) > 3]
                if len(words) >= 2:
                    heads.append(" ".join(words[:2]).lower())
    random.Random(seed).shuffle(heads)
    return list(dict.fromkeys(heads))[:n]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    kit = os.path.join(ROOT, "..", "shared", "corpus", "orangesum-fr.jsonl.gz")
    ap.add_argument("--input", default=kit if os.path.exists(kit) else os.path.join(ROOT, "corpus"))
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--out", default=None, help="keep the databases here (default: a temporary directory)")
    args = ap.parse_args()
    p = Programs(args.bin_dir)
    out = args.out or p.tmp.name
    os.makedirs(out, exist_ok=True)
    single = os.path.join(out, "single")
    shards = [os.path.join(out, f"shard{k}") for k in (1, 2, 3)]
    t = time.monotonic()
    p.run("indexer", "--db", single, "--quiet", "add", args.input, db=False, check=0)
    t_single = time.monotonic() - t
    t = time.monotonic()
    for k, d in enumerate(shards, 1):
        p.run("indexer", "--db", d, "--quiet", "add", "--shard", f"{k}/3", args.input, db=False, check=0)
    t_shards = time.monotonic() - t
    servers = [Shard(os.path.join(d, "xapian")) for d in shards]
    stub = os.path.join(out, "remote.stub")
    with open(stub, "w") as f:
        f.writelines(f"remote 127.0.0.1:{s.port}\n" for s in servers)
    local = os.path.join(out, "local.stub")
    with open(local, "w") as f:
        f.writelines(f"auto {d}\n" for d in shards)
    queries = headlines(args.input, args.queries, 1)
    daemons = {}
    try:
        daemons = {"single index": Searchd(args.bin_dir, single, "--quiet", "--no-search-log"),
                   "3 shards, remote (loopback)": Searchd(args.bin_dir, stub, "--quiet", "--no-search-log"),
                   "3 shards, local stub": Searchd(args.bin_dir, local, "--quiet", "--no-search-log")}
        wall = {k: [] for k in daemons}
        took = {k: [] for k in daemons}
        differ = {k: 0 for k in daemons}
        for q in queries:
            first = None
            for name, d in daemons.items():
                t = time.monotonic()
                status, _, body = d.request("/api/search?q=" + urllib.parse.quote(q), timeout=60)
                wall[name].append((time.monotonic() - t) * 1000)
                r = json.loads(body)
                if status != 200:
                    raise SystemExit(f"{name}: {q!r}: {status} {r}")
                took[name].append(r["took_ms"])
                ids = [h["id"] for h in r["hits"]]
                if first is None:
                    first = ids
                elif ids != first:
                    differ[name] += 1
        sizes = [int(p.run("indexer", "--db", d, "stats", db=False, check=0)[1].split("articles")[1].split()[0])
                 for d in [single] + shards]
        print(f"$ {' '.join(sys.argv)}")
        print(f"input {args.input}: {sizes[0]} articles; shards {sizes[1:]}; indexing {t_single:.0f} s whole, "
              f"{t_shards:.0f} s the 3 shards one after the other; {len(queries)} queries, each once per server")
        print("| server | wall mean ms | p50 | p90 | p99 | took_ms mean | p50 | p90 | p99 | top 10 differing |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name in daemons:
            w, k = wall[name], took[name]
            print(f"| {name} | {statistics.mean(w):.2f} | {pct(w, 50):.2f} | {pct(w, 90):.2f} | {pct(w, 99):.2f} "
                  f"| {statistics.mean(k):.2f} | {pct(k, 50):.2f} | {pct(k, 90):.2f} | {pct(k, 99):.2f} "
                  f"| {differ[name]} |")
    finally:
        for d in daemons.values():
            d.stop()
        for s in servers:
            s.kill()
        if not args.out:
            p.close()


if __name__ == "__main__":
    main()
