#!/usr/bin/env python3
"""bench/timelimit/run.py [--build BUILD] [--db DB] [--limits 0,1000,100]

What a search's time limit (searchd --search-time-limit MS) does to costly queries: one searchd
per limit on the same database (by default the team kit's 36k articles, indexed into
bench/out/timelimit/db), each query of the hostile set of tests/ops/test_hostile.py asked once
with facets (a first ordinary search warms both workers: the collapse keys are read once per
revision), and its took_ms, total, whether it was stopped (timed_out) and how many matches its
section facet counted.  Prints a table per limit and the command.  Skips (77) without the corpus.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import kiosque_e2e  # noqa: E402

COSTLY = kiosque_e2e.costly_queries()
COSTLY["nested ORs of prefixes, by date"] = COSTLY["nested ORs of prefixes"]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as r:
        return json.load(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--db", default=os.path.join(ROOT, "bench", "out", "timelimit", "db"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "orangesum-fr.jsonl.gz"))
    ap.add_argument("--limits", default="0,1000,100")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.db, "xapian")):
        if not os.path.exists(args.corpus):
            print(f"SKIP: no database {args.db} and no corpus {args.corpus}")
            return 77
        print(f"== indexing {args.corpus} into {args.db}", flush=True)
        subprocess.run([os.path.join(args.build, "indexer"), "--db", args.db, "--quiet", "add", args.corpus],
                       check=True)
    print("command: " + " ".join(["python3", "bench/timelimit/run.py"] + sys.argv[1:]))
    print(f"database: {args.db}; load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    for limit in [int(x) for x in args.limits.split(",")]:
        proc = subprocess.Popen([os.path.join(args.build, "searchd"), "--db", args.db, "--listen", "127.0.0.1:0",
                                 "--threads", "2", "--quiet", "--no-search-log", "--search-time-limit", str(limit)],
                                stderr=subprocess.PIPE, text=True)
        port = None
        for line in proc.stderr:
            if "listening on http://" in line:
                port = int(line.split("listening on http://")[1].split("/")[0].rsplit(":", 1)[1])
                break
        for w in ("macron", "retraites"):
            get(port, "/api/search?facets=1&q=" + w)
        print(f"\n--search-time-limit {limit}" + (" (none)" if limit == 0 else " ms"))
        print("| query (facets=1) | took_ms | total | timed_out | matches counted by the facets |")
        print("|---|---|---|---|---|")
        for name, q in COSTLY.items():
            extra = "&sort=date" if "by date" in name else ""
            t = time.monotonic()
            d = get(port, f"/api/search?facets=1{extra}&q=" + urllib.parse.quote(q))
            wall = (time.monotonic() - t) * 1e3
            counted = sum(d["facets"]["section"].values()) if d.get("facets") else 0
            print(f"| {name} | {d['took_ms']:.1f} (wall {wall:.0f}) | {d['total']}{'' if d['total_exact'] else '+'} "
                  f"| {'yes' if d.get('timed_out') else 'no'} | {counted} |", flush=True)
        proc.terminate()
        proc.wait(10)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
