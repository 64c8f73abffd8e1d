#!/usr/bin/env python3
"""Indexes the team kit's real archive (36,152 articles) and checks a few searches.

Skips (exit 77) with a message when ../shared/corpus is absent, so a fresh clone
without the kit still passes.  Timings are printed for the record, not asserted:
speed is measured in bench/, tests check behaviour."""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs  # noqa: E402

SUMMARY = re.compile(r"added (\d+), updated (\d+), unchanged (\d+), rejected (\d+)")
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--corpus", required=True)
    args = ap.parse_args()
    if not os.path.exists(args.corpus):
        print(f"SKIP: {args.corpus} is absent (the team kit's corpus); nothing to index")
        return 77
    p = Programs(args.bin_dir)
    try:
        t0 = time.monotonic()
        code, _, err = p.indexer("add", args.corpus)
        first = time.monotonic() - t0
        m = SUMMARY.search(err)
        print(f"first indexing: {first:.1f} s: {m.group(0) if m else err[-500:]}")
        check(code == 0, f"indexer exit status 0 (got {code})")
        check(m and int(m.group(1)) == 36152 and int(m.group(4)) == 0, "36152 added, 0 rejected")

        t0 = time.monotonic()
        code, _, err = p.indexer("add", args.corpus)
        second = time.monotonic() - t0
        m = SUMMARY.search(err)
        print(f"second indexing: {second:.1f} s ({100 * second / first:.0f}% of the first): {m.group(0) if m else err}")
        check(m and int(m.group(3)) == 36152 and int(m.group(1)) == 0 and int(m.group(2)) == 0,
              "every article unchanged the second time")

        r = p.search_json("Olivier Véran")
        check(r["total"] > 0 and "ran" in r["hits"][0]["snippet"], "Olivier Véran is found and highlighted")
        # Sorted by date, so that the accent bonus of the ranking does not reorder them.
        a = p.ids("-n", "100", "--sort", "date", "economie")
        b = p.ids("-n", "100", "--sort", "date", "ÉCONOMIE")
        c = p.ids("-n", "100", "--sort", "date", "l’économie")
        check(len(a) == 100 and a == b == c, "economie, ÉCONOMIE and l’économie find the same articles")
        r = p.search_json("domestique")
        check(r["total"] > 0, "words of glued sentences are found (domestique)")
        r = p.search_json("Combien de personnes travaillent au ministère des sports ?")
        check(r["total"] > 0, "a long question still returns articles")
        times = []
        for q in ("coronavirus", "Emmanuel Macron", "réforme des retraites", "Tour de France", "gilets jaunes"):
            t0 = time.monotonic()
            code, _, _ = p.search(q)
            times.append(time.monotonic() - t0)
            check(code == 0, f"search {q!r} finds articles")
        times.sort()
        print(f"median time of a search process: {1000 * times[len(times) // 2]:.0f} ms")
    finally:
        p.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
