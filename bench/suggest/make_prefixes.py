#!/usr/bin/env python3
"""Draws what a reader types into the search box, key by key, from the headlines of a corpus of
NewsArticle JSON Lines: for headlines picked at random (seeded), every prefix of their first words
from the second character on ("gi", "gil", …, "gilets j", "gilets ja", …), lower case as typed
on a phone, each prefix once.  Prints one prefix per line, the first MAX distinct ones.

Usage: make_prefixes.py CORPUS.jsonl.gz [--max N] [--seed N] [--words N]
"""
import argparse
import gzip
import json
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--max", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--words", type=int, default=3, help="words typed of each headline")
    args = ap.parse_args()
    titles = []
    with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
        for line in f:
            try:
                t = json.loads(line).get("headline") or ""
            except json.JSONDecodeError:
                continue
            if t.strip():
                titles.append(" ".join(t.replace("’", "'").split()))
    rng = random.Random(args.seed)
    rng.shuffle(titles)
    seen, out = set(), []
    for t in titles:
        typed = " ".join(t.split()[: args.words]).lower()
        for k in range(2, len(typed) + 1):
            p = typed[:k]
            if p.endswith(" ") or p in seen:
                continue
            seen.add(p)
            out.append(p)
        if len(out) >= args.max:
            break
    print("\n".join(out[: args.max]))


if __name__ == "__main__":
    main()
