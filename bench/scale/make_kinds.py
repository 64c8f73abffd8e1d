#!/usr/bin/env python3
"""Query files by kind for the scale bench, from bench/http/make_queries.py's output (runs of
1 to 3 content words of the real corpus's headlines) and the real headlines themselves, so that
every size of the synthetic archive is asked the same queries.

Writes, URL-encoded, one query per line, into OUT_DIR:
  words.txt   1-3 words (mixed.txt)            two.txt     2 words (as is)
  phrase.txt  "w1 w2" or "w1 w2 w3" as phrases prefix.txt  a word of 7+ letters cut to 5, then *
  long.txt    a whole headline of 8+ words, as a pasted question
  field.txt   titre:w1 w2                      date.txt    w1 w2 date:Y1..Y2 (within 1995-2026)

Usage: make_kinds.py CORPUS.jsonl.gz QUERIES_DIR OUT_DIR [--count N] [--seed S]
"""
import argparse
import gzip
import json
import os
import random
import re
import urllib.parse


def read(path):
    with open(path, encoding="ascii") as f:
        return [urllib.parse.unquote(line.strip()) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("queries")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    mixed = read(os.path.join(args.queries, "mixed.txt"))
    two = read(os.path.join(args.queries, "two.txt"))
    multi = [q for q in mixed if " " in q]
    singles = [w for q in mixed for w in q.split() if len(w) >= 7 and "-" not in w]
    heads = []
    with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
        for line in f:
            h = json.loads(line).get("headline") or ""
            h = re.sub(r"\s*:\s*actualité automobile, infos, scoop\s*$", "", h)
            if len(h.split()) >= 8:
                heads.append(h)
    rng.shuffle(heads)
    n = args.count
    years = []
    for _ in range(n):
        a = rng.randint(1995, 2024)
        years.append(f"{a}..{min(2026, a + rng.randint(0, 4))}")
    kinds = {
        "words": mixed[:n],
        "two": two[:n],
        "phrase": [f'"{q}"' for q in multi[:n]],
        "prefix": sorted(set(w[:5] + "*" for w in singles), key=lambda w: rng.random())[:n],
        "long": heads[:n],
        "field": [f"titre:{q.split()[0]} {q.split()[1]}" for q in two[:n]],
        "date": [f"{q} date:{y}" for q, y in zip(two[n:2 * n] or two[:n], years)],
    }
    os.makedirs(args.out, exist_ok=True)
    for name, qs in kinds.items():
        with open(os.path.join(args.out, name + ".txt"), "w", encoding="ascii") as out:
            out.writelines(urllib.parse.quote(q, safe="") + "\n" for q in qs)
        print(f"{name}.txt: {len(qs)} queries, e.g. {' | '.join(qs[:2])}")


if __name__ == "__main__":
    main()
