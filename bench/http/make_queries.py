#!/usr/bin/env python3
"""Draws typical reader queries from a corpus of NewsArticle JSON Lines for
the HTTP benchmark: runs of 1 to 3 consecutive content words taken from
headlines (stop words and short words dropped, lower case), each distinct.

Writes, URL-encoded, one query per line:
  OUT/mixed.txt    distinct 1–3 word queries, shuffled
  OUT/two.txt      distinct 2-word queries, shuffled
  OUT/popular.txt  the 50 most frequent 1–2 word queries (a "popular" set)

Usage: make_queries.py CORPUS.jsonl.gz OUT_DIR [--seed N] [--max N]
"""
import argparse
import collections
import gzip
import json
import os
import random
import re
import urllib.parse

STOP = set("""le la les l un une des du de d au aux et ou où en dans sur sous par pour avec sans
ce cet cette ces qui que qu quoi dont son sa ses leur leurs notre nos votre vos mon ma mes ton ta tes
il elle ils elles on nous vous je tu se s ne n pas plus moins très tout tous toute toutes est sont
été être a ont avait avoir fait faire comme mais si y c j m t après avant entre contre vers chez
selon depuis pendant lors alors aussi encore déjà même bien peu trop quand ans an
""".split())
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


def words(text):
    out = []
    for w in WORD.findall(text.replace("’", "'")):
        w = w.lower()
        out.append(None if (w in STOP or len(w) < 3) else w)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max", type=int, default=200000)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    spans = {1: collections.Counter(), 2: collections.Counter(), 3: collections.Counter()}
    with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
        for line in f:
            try:
                title = json.loads(line).get("headline") or ""
            except json.JSONDecodeError:
                continue
            ws = words(title)
            for n in (1, 2, 3):
                for i in range(len(ws) - n + 1):
                    span = ws[i:i + n]
                    if all(span):
                        spans[n][" ".join(span)] += 1
    os.makedirs(args.out, exist_ok=True)
    enc = lambda q: urllib.parse.quote(q, safe="")
    mixed = [q for n in (1, 2, 3) for q in spans[n]]
    rng.shuffle(mixed)
    two = list(spans[2])
    rng.shuffle(two)
    popular = [q for q, _ in (spans[1] + spans[2]).most_common(50)]
    for name, qs in (("mixed.txt", mixed[:args.max]), ("two.txt", two[:args.max]), ("popular.txt", popular)):
        with open(os.path.join(args.out, name), "w", encoding="ascii") as out:
            out.writelines(enc(q) + "\n" for q in qs)
        print(f"{name}: {min(len(qs), args.max)} queries, e.g. {', '.join(qs[:4])}")


if __name__ == "__main__":
    main()
