#!/usr/bin/env python3
"""Scores the extraction of published pages against the judgments of ../shared/pages.

usage: score.py EXPECT_JSON EXTRACT_JSONL [--rejected FILE] [--pages] [--half A|B]

EXTRACT_JSONL is the output of `indexer extract` over the pages (one NewsArticle per line,
with "kiosqueFile"); a page absent from it was rejected (its reason is read from the
stderr of `indexer extract`, given with --rejected).

A page's indexed text is its headline, description and body, as `indexer add` indexes them.
A snippet is found when it occurs in that text as a phrase: both are compared after Unicode
NFKC normalisation and case folding, with every run of characters that are not letters or
digits made one space (as a phrase query reads words, not punctuation; a snippet may begin
or end inside a word).  A page is clean when every "with" snippet is found and no "without"
snippet is.

The pages are split into two halves by the first byte of the SHA-1 of their file name
(even: half A, the development half; odd: half B, held out), reported apart and together.
"""
import argparse
import hashlib
import json
import os
import re
import sys
import unicodedata

NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def norm(s):
    s = unicodedata.normalize("NFKC", s).casefold()
    return " " + NON_WORD.sub(" ", s).strip() + " "


def norm_snippet(s):
    # The snippet may start or end inside a word: no padding spaces.
    return NON_WORD.sub(" ", unicodedata.normalize("NFKC", s).casefold()).strip()


def half_of(name):
    return "A" if hashlib.sha1(name.encode()).digest()[0] % 2 == 0 else "B"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expect")
    ap.add_argument("extract")
    ap.add_argument("--rejected", help="stderr of indexer extract")
    ap.add_argument("--pages", action="store_true", help="print one line per page")
    ap.add_argument("--half", choices=["A", "B"], help="only this half")
    ap.add_argument("--show", help="print the missing and kept snippets of pages matching this")
    args = ap.parse_args()

    expect = json.load(open(args.expect, encoding="utf-8"))
    texts, sources = {}, {}
    with open(args.extract, encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            name = os.path.basename(a["kiosqueFile"])
            texts[name] = "\n".join(a.get(k) or "" for k in ("headline", "description", "articleBody"))
            sources[name] = a.get("kiosqueBodyFrom") or ""
    reasons = {}
    if args.rejected:
        for line in open(args.rejected, encoding="utf-8", errors="replace"):
            m = re.match(r"(.*?\.html?): rejected: (.*)", line.rstrip("\n"))
            if m:
                reasons[os.path.basename(m.group(1))] = m.group(2)

    totals = {}
    for h in ("A", "B", "all"):
        totals[h] = dict(pages=0, clean=0, with_n=0, with_found=0, without_n=0, without_out=0,
                         rejected=0)
    rows = []
    for e in expect:
        name = e["file"]
        h = half_of(name)
        if args.half and h != args.half:
            continue
        text = norm(texts.get(name, ""))
        found = [s for s in e["with"] if norm_snippet(s) in text]
        kept = [s for s in e["without"] if norm_snippet(s) in text]
        clean = len(found) == len(e["with"]) and not kept
        for t in (totals[h], totals["all"]):
            t["pages"] += 1
            t["clean"] += clean
            t["with_n"] += len(e["with"])
            t["with_found"] += len(found)
            t["without_n"] += len(e["without"])
            t["without_out"] += len(e["without"]) - len(kept)
            t["rejected"] += name not in texts
        rows.append((name, h, clean, len(found), len(e["with"]), len(kept), len(e["without"]),
                     ("rejected: " + reasons.get(name, "")) if name not in texts
                     else sources.get(name, "")))
        if args.show and re.search(args.show, name):
            print(f"== {name}")
            for s in e["with"]:
                if s not in found:
                    print(f"   missing: {s!r}")
            for s in kept:
                print(f"   kept:    {s!r}")

    if args.pages:
        print(f"{'page':60} half clean  found  kept  body from")
        for name, h, clean, f, fn, k, kn, note in rows:
            print(f"{name[:60]:60} {h:4} {'yes' if clean else 'no':5} {f:2}/{fn:<2}  {k:2}/{kn:<2}  {note[:70]}")
        print()
    print("| half | pages | clean | article snippets found | boilerplate kept out | rejected |")
    print("|---|---|---|---|---|---|")
    for h, label in (("A", "A (development)"), ("B", "B (held out)"), ("all", "total")):
        t = totals[h]
        if t["pages"] == 0:
            continue
        pf = 100.0 * t["with_found"] / t["with_n"] if t["with_n"] else 100.0
        pk = 100.0 * t["without_out"] / t["without_n"] if t["without_n"] else 100.0
        print(f"| {label} | {t['pages']} | {t['clean']} | {t['with_found']}/{t['with_n']} ({pf:.1f}%) "
              f"| {t['without_out']}/{t['without_n']} ({pk:.1f}%) | {t['rejected']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
