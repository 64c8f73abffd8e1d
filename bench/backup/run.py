#!/usr/bin/env python3
"""bench/backup/run.py [BUILD]: what `indexer backup` costs on the team kit's archive.

Indexes ../shared/corpus/orangesum-fr.jsonl.gz (or uses $KIOSQUE_BENCH_DB, an existing
database), starts searchd on it, and measures searches over HTTP (one client, distinct queries,
so searchd's reply cache does not answer them) for 20 s without a backup, then during
`indexer backup` run back to back for 20 s: search latency (median, p99, max), and per backup
its time, the time it held the writer lock (batches wait that long) and its size.  Prints the
figures with the commands that made them.  Skips when the corpus is absent."""
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "orangesum-fr.jsonl.gz")
WORDS = ("gouvernement réforme retraites budget élection président ministre grève santé école climat "
         "énergie prix police justice football europe chine guerre économie emploi").split()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else float("nan")


def load(port, seconds, out, stop=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop and stop.is_set()):
        q = f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7 + 3) % len(WORDS)]} {i}"
        t = time.monotonic()
        conn.request("GET", "/api/search?" + urllib.parse.urlencode({"q": q}))
        r = conn.getresponse()
        r.read()
        out.append((time.monotonic() - t, r.status))
        i += 1
    conn.close()


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
    db = os.environ.get("KIOSQUE_BENCH_DB")
    if not db and not os.path.exists(CORPUS):
        print(f"SKIP: no corpus at {CORPUS}", file=sys.stderr)
        return 0
    tmp = tempfile.mkdtemp(prefix="kq-bench-backup-")
    try:
        if not db:
            db = os.path.join(tmp, "db")
            t = time.monotonic()
            subprocess.run([f"{build}/indexer", "--db", db, "--quiet", "add", CORPUS], check=True)
            print(f"$ {build}/indexer --db DB --quiet add {CORPUS}   # {time.monotonic() - t:.0f} s")
        searchd = subprocess.Popen([f"{build}/searchd", "--db", db, "--listen", "127.0.0.1:0", "--threads", "2",
                                    "--quiet"], stderr=subprocess.PIPE, text=True)
        port = None
        for line in searchd.stderr:
            m = re.search(r"listening on http://[^ ]*:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
        threading.Thread(target=lambda: [None for _ in searchd.stderr], daemon=True).start()
        try:
            base = []
            load(port, 20, base)
            during, backups = [], []
            stop = threading.Event()
            th = threading.Thread(target=load, args=(port, 600, during, stop))
            th.start()
            end = time.monotonic() + 20
            n = 0
            while time.monotonic() < end or not backups:
                dest = os.path.join(tmp, f"backup-{n}")
                t = time.monotonic()
                p = subprocess.run([f"{build}/indexer", "--db", db, "backup", dest], capture_output=True, text=True)
                if p.returncode != 0:
                    raise SystemExit(p.stderr)
                lock = float(re.search(r"writer lock held ([\d.]+) s", p.stdout).group(1))
                size = float(re.search(r"size\s+([\d.]+) MB", p.stdout).group(1))
                backups.append((time.monotonic() - t, lock, size))
                shutil.rmtree(dest)
                n += 1
            stop.set()
            th.join()
        finally:
            searchd.terminate()
            searchd.wait(20)
        docs = re.search(r"articles\s+(\d+)", subprocess.run([f"{build}/indexer", "--db", db, "stats"],
                                                               capture_output=True, text=True).stdout).group(1)
        print(f"\n$ indexer --db DB backup DEST, on {docs} articles, searchd --threads 2 serving one client of distinct"
              f" searches; machine: {os.cpu_count()} cores, shared with other work (figures vary with its load)\n")
        print("| | searches | failed | median ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|")
        for name, xs in [("no backup (20 s)", base), (f"during {len(backups)} backup(s), back to back", during)]:
            lat = [x for x, _ in xs]
            print(f"| {name} | {len(xs)} | {sum(1 for _, s in xs if s != 200)} | {pct(lat, 0.5):.1f} | "
                  f"{pct(lat, 0.99):.1f} | {max(lat) * 1000:.1f} |")
        print("\n| backup | time s | writer lock held s | size MB |")
        print("|---|---|---|---|")
        for i, (t, lock, size) in enumerate(backups):
            print(f"| {i + 1} | {t:.2f} | {lock:.2f} | {size:.1f} |")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
