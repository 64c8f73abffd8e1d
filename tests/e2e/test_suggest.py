#!/usr/bin/env python3
"""Suggestions as the reader types, end to end: the real indexer builds a database from
tests/fixtures/suggest/, the real searchd serves /api/suggest, and every row of the table is one
thing a reader types with what must (and must not) be offered.

Usage: test_suggest.py --bin-dir DIR --fixtures DIR
Exit status: 0 all passed, 1 a row failed, 77 skipped (a program is missing).
"""
import argparse
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kiosque_e2e as e2e  # noqa: E402

# (what, typed, completions expected first in this order, completions that must not be offered,
#  a word every headline offered must hold or None for no headline check)
ROWS = [
    ("a phrase the archive holds, not the last word alone", "gilets j", ["gilets jaunes"],
     {"gilets jean", "gilets jérôme", "gilets journée"}, "jaunes"),
    ("what was typed is kept as typed", "Gilets J", ["Gilets jaunes"], {"Gilets jean"}, "jaunes"),
    ("after a word and a space: what follows it", "gilets ", ["gilets jaunes"], {"gilets jean"}, None),
    ("another first word, another phrase", "gilet j", ["gilet jean"], {"gilet jaunes"}, "jean"),
    ("the first word, then the phrase it starts", "gil", ["gilets", "gilets jaunes"], set(), "gilet"),
    ("accents restored", "ecol", ["école"], {"ecole"}, "éco"),
    ("accents typed", "écol", ["école"], {"ecole"}, "éco"),
    ("a word of the text only, no headline holds it", "jérô", ["jérôme"], set(), None),
    ("a stop word between the words", "état d'u", ["état d'urgence"], set(), "urgence"),
    ("the phrase continued", "état d'urgence s", ["état d'urgence sanitaire"], set(), "sanitaire"),
    ("a hyphenated word", "porte-pa", ["porte-parole"], set(), "porte-parole"),
    ("a quotation opened", "\"l'émission p", ["\"l'émission politique"], set(), "politique"),
    ("nothing follows: no completion", "gilets z", [], {"gilets zèbre"}, None),
    ("one letter is not enough for a first word", "g", [], set(), None),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.bin_dir, "searchd")):
        print("SKIP: searchd is not built")
        return 77
    p = e2e.Programs(args.bin_dir)
    row = e2e.Rows()
    server = None
    try:
        p.indexer("add", os.path.join(args.fixtures, "articles.jsonl"), check=0)
        server = e2e.Searchd(args.bin_dir, p.db)
        for what, typed, first, never, headline_word in ROWS:
            status, _, r = server.json("/api/suggest?" + urllib.parse.urlencode({"q": typed}))
            items, kinds = r.get("suggestions", []), r.get("kinds", [])
            completions = [s for s, k in zip(items, kinds) if k == "completion"]
            headlines = [s for s, k in zip(items, kinds) if k == "headline"]
            ok = status == 200 and len(kinds) == len(items)
            ok = ok and completions[:len(first)] == first and not (never & set(completions))
            ok = ok and (first or not completions)
            if headline_word:
                ok = ok and headlines and all(headline_word in h.lower() for h in headlines)
            row(ok, f"{what}: {typed!r} → completions {completions}, headlines {headlines}")
        status, _, r = server.json("/api/suggest?" + urllib.parse.urlencode({"q": "gil", "limit": 1}))
        row(status == 200 and r["kinds"].count("completion") == 1, f"limit bounds the completions: {r}")
    finally:
        if server:
            server.stop()
        p.close()
    print(f"{row.failures} failed")
    return 1 if row.failures else 0


if __name__ == "__main__":
    sys.exit(main())
