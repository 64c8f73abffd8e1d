#!/usr/bin/env python3
"""The query language, filters, facets and news ranking, end to end through `indexer` and `search`.

Operators and ranking rules run on fixtures written for them (tests/fixtures/news); facet counts
are checked against a brute-force count over the SQLite store of the project's sample archive."""
import argparse
import calendar
import json
import os
import shutil
import sqlite3
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs, Rows  # noqa: E402

# (what, search arguments, the exact set of articles expected)
FINDS = [
    ("all words by default", ["budget", "sécurité"], {"n2"}),
    ("phrase", ['"réforme des retraites"'], {"n3"}),
    ("exclude a word", ["budget", "-sécurité"], {"n1"}),
    ("exclude a phrase", ["budget", '-"sécurité sociale"'], {"n1"}),
    ("OR", ["retraites OR mistral"], {"n3", "n4"}),
    ("parentheses", ["(retraites OR mistral) fonds"], {"n4"}),
    ("titre:", ["titre:budget"], {"n1", "n2"}),
    ("title:", ["title:budget"], {"n1", "n2"}),
    ("auteur: phrase", ['auteur:"Anne Martin"'], {"n1", "n3", "n11"}),
    ("author: word", ["author:roux"], {"n2", "n7", "n8", "n10"}),
    ("rubrique:", ["rubrique:politique"], {"n1", "n2", "n3"}),
    ("section:", ["--all", "section:tech"], {"n4", "n5", "n6"}),
    ("motcle:", ["motcle:mistral"], {"n4"}),
    ("keyword:", ["keyword:budget"], {"n1", "n2"}),
    ("date:year", ["--all", "date:2025"], {"n3", "n5", "n6", "n8"}),
    ("date:month", ["date:2024-10"], {"n1"}),
    ("date:range", ["date:2024-01..2024-06"], {"n4", "n11"}),
    ("depuis:", ["--all", "depuis:2025-01-16"], {"n5", "n6"}),
    ("avant:", ["avant:2024-04"], {"n7", "n11"}),
    ("words and a date", ["budget date:2024-12"], {"n2"}),
    ("prefix", ["intellig*"], {"n4", "n11"}),
    ("unclosed quote", ['"réforme des retraites'], {"n3"}),
    ("unclosed parenthesis", ["(budget"], {"n1", "n2"}),
    ("lone OR", ["OR budget"], {"n1", "n2"}),
    ("lone minus", ["budget -"], {"n1", "n2"}),
    ("filter section + author + since", ["--section", "politique", "--author", "Anne Martin",
                                         "--since", "2025-01-01", "retraites"], {"n3"}),
    ("filter until", ["--until", "2024-01-01", "--all", "prix"], {"n7"}),
    ("filters alone", ["--section", "culture", ""], {"n9"}),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--downgrade-keys", help="tests/downgrade_keys: an index with keys of version 1")
    args = ap.parse_args()
    p = Programs(args.bin_dir)
    row = Rows()

    try:
        p.indexer("add", os.path.join(args.fixtures, "articles.jsonl"), check=0)
        for what, argv, want in FINDS:
            ids = set(p.ids("-n", "50", *argv))
            row(ids == want, f"{what}: {argv} → {sorted(ids)}")

        r = p.search_json("budget retraites")
        row(r["partial"] and {"n1", "n3"} <= {h["id"] for h in r["hits"]},
            f"no article has every word: partial matching, said so ({r['partial']})")
        r = p.search_json("budget")
        row(r["partial"] is False, "all words matched: not partial")

        # Sorting and deep paging.
        q = ["--all", "-n", "100", "budget OR retraites OR mistral OR gaz OR tour"]
        newest = p.search_json("--sort", "date", *q)["hits"]
        dates = [h["date"] for h in newest]
        row(len(dates) == 8 and dates == sorted(dates, reverse=True), f"sort=date newest first: {dates}")
        oldest = [h["date"] for h in p.search_json("--sort", "date_asc", *q)["hits"]]
        row(oldest == sorted(dates), "sort=date_asc oldest first")
        paged = []
        for k in range(8):
            paged += p.ids("--sort", "date", "--all", "-n", "1", "--offset", str(k),
                           "budget OR retraites OR mistral OR gaz OR tour")
        row(paged == [h["id"] for h in newest], f"deep paging one by one gives the same order: {paged}")

        # Ranking for news.
        ids = p.ids("prix gaz")
        row(ids[:2] == ["n8", "n7"], f"freshness: the newer of two comparable articles first: {ids}")
        ids = p.ids("--half-life", "0", "prix gaz")
        row(ids[:2] == ["n7", "n8"], f"without freshness, BM25 alone prefers the shorter one: {ids}")
        ids = p.ids("prix gaz date:2023..2025")
        row(ids[:2] == ["n7", "n8"], f"a query naming dates is not skewed by freshness: {ids}")
        ids = p.ids("--sort", "date", "prix gaz")
        row(ids[:2] == ["n8", "n7"], "sorting by date ignores relevance and freshness")
        ids = p.ids("tour eiffel")
        row(ids and ids[0] == "n9", f"words next to each other rank above scattered ones: {ids}")
        code, out, _ = p.search("--json", "--facets", "titre:budget")
        row(json.loads(out)["hits"][0]["id"] in ("n1", "n2"), "title field query")

        # Republished wire copy.
        r = p.search_json("DeepSeek raisonnement")
        row(len(r["hits"]) == 1 and r["hits"][0].get("duplicates") == 1,
            f"wire copy collapsed into one hit with a count: {[(h['id'], h.get('duplicates')) for h in r['hits']]}")
        row(set(p.ids("--all", "DeepSeek raisonnement")) == {"n5", "n6"}, "--all shows every copy")
        row(set(p.ids("--duplicates-of", "n5", "")) == {"n5", "n6"}, "the copies of one hit can be expanded")

        # Assistance.
        r = p.search_json("retraittes")
        row(r["suggestion"] == "retraites", f"did-you-mean from the archive's words: {r['suggestion']}")
        r = p.search_json("intelligance")
        row(r["suggestion"] == "intelligence", f"did-you-mean keeps accents right: {r['suggestion']}")
        r = p.search_json("securite sociale")
        row(r["suggestion"] is None and r["total"] == 1, "a word without its accents is not a typo")
        rel = p.ids("--related", "n5")
        row(rel and rel[0] == "n6" and "n5" not in rel, f"related articles: {rel}")
    finally:
        p.close()

    check_facets(args, row)
    check_facets_chosen(args, row)
    if args.downgrade_keys:
        check_rekey(args, row)
    print(f"{row.failures} failed")
    return 1 if row.failures else 0


def check_rekey(args, row):
    """An index written before near-duplicate key version 2 (keys of the first 40 terms of chapô and
    body, no kiosque.collapse_key) has every key rewritten by the next indexer run, in a revision of
    its own, and then collapses a rewritten dispatch as a new index does."""
    p = Programs(args.bin_dir)
    fixture = os.path.join(args.fixtures, "..", "searchd", "articles.jsonl")
    words = "toitures chaudières internats"
    with open(fixture, encoding="utf-8") as f:
        n = sum(1 for line in f if line.strip())

    def hits():
        return sorted((h["id"], h.get("duplicates")) for h in p.search_json(words)["hits"])

    def revision():
        out = p.indexer("stats")[1]
        return next(line.split()[-1] for line in out.splitlines() if line.startswith("revision"))

    try:
        p.indexer("add", fixture, check=0)
        row(len(hits()) == 1, f"a rewritten dispatch is one hit: {hits()}")
        p.run(args.downgrade_keys, p.db, db=False, check=0)
        row(hits() == [("lycees-1", None), ("lycees-bis", None)],
            f"with the keys of version 1, the rewritten dispatch is two hits: {hits()}")
        row(p.search_json("TER")["hits"][0].get("duplicates") == 1, "version 1 collapses a copy of the same opening")
        before = revision()
        code, out, err = p.indexer("add", fixture)
        row(code == 0 and f"near-duplicate keys of {n} indexed articles rewritten (key version 2)" in err
            and f"unchanged {n}" in err, f"the next run rewrites every key and says so: {code} {err!r}")
        row(int(revision()) == int(before) + 1, f"in a revision of its own: {before} → {revision()}")
        row(len(hits()) == 1 and hits()[0][1] == 1, f"then the rewritten dispatch is one hit: {hits()}")
        row(set(p.ids("--duplicates-of", "lycees-bis", "")) == {"lycees-1", "lycees-bis"},
            "and its copies are listed")
        code, out, err = p.indexer("add", fixture)
        row(code == 0 and "rewritten" not in err and int(revision()) == int(before) + 1,
            f"keys of the current version are left as they are: {err!r}")
        code, out, _ = p.indexer("check")
        row(code == 0, f"indexer check finds the index consistent: {out!r}")
    finally:
        p.close()


def check_facets(args, row):
    """Facet counts equal a brute-force count over the store, for queries and filters."""
    p = Programs(args.bin_dir)
    try:
        p.indexer("add", args.corpus, check=0)
        db = sqlite3.connect(os.path.join(p.db, "store.sqlite"))
        rows = [(json.loads(s or "[]"), json.loads(a or "[]"), d or "", json.loads(k or "[]"))
                for s, a, d, k in db.execute("SELECT sections, authors, date, keywords FROM articles")]
        cases = [
            ([""], lambda s, a, d, k: True),
            (["--section", "ia", ""], lambda s, a, d, k: "ia" in s),
            (["--since", "2025-01-01", "--until", "2025-06-30T23:59:59Z", ""],
             lambda s, a, d, k: "2025-01-01" <= d[:10] <= "2025-06-30"),
            (["rubrique:sport date:2024"], lambda s, a, d, k: "sport" in s and d.startswith("2024")),
        ]
        for argv, keep in cases:
            r = p.search_json("--facets", "--all", *argv)
            chosen = [x for x in rows if keep(*x)]
            want = {
                "section": Counter(v for s, a, d, k in chosen for v in s[:2]),
                "author": Counter(v for s, a, d, k in chosen for v in a[:6]),
                "year": Counter(d[:4] for s, a, d, k in chosen if d),
                "month": Counter(d[:7] for s, a, d, k in chosen if d),
            }
            got = r["facets"]
            ok = r["total"] == len(chosen)
            for name in ("section", "year", "month"):
                ok = ok and got[name] == dict(want[name])
            top = dict(want["author"].most_common())
            ok = ok and all(top.get(a) == c for a, c in got["author"].items())
            ok = ok and len(got["author"]) == min(20, len(top))
            row(ok, f"facets exact against the store for {argv}: total {r['total']} vs {len(chosen)}")
    finally:
        p.close()


def facet_filter(name, value):
    """The search arguments that choose a facet value."""
    if name in ("section", "author"):
        return [f"--{name}", value]
    if name == "year":
        return ["--since", f"{value}-01-01", "--until", f"{value}-12-31T23:59:59Z"]
    y, m = map(int, value.split("-"))
    return ["--since", f"{value}-01", "--until", f"{value}-{calendar.monthrange(y, m)[1]:02d}T23:59:59Z"]


def check_facets_chosen(args, row):
    """Each facet count is the number of results choosing it gives, with republished copies
    collapsed in both (n5 and n6 are one wire story under two authors) or shown in both (--all)."""
    p = Programs(args.bin_dir)
    try:
        p.indexer("add", os.path.join(args.fixtures, "articles.jsonl"), check=0)
        for mode in ([], ["--all"]):
            for words in (["DeepSeek raisonnement"], ["modèle"], [""]):
                r = p.search_json("--facets", *mode, *words)
                wrong = []
                for name, values in r["facets"].items():
                    for value, count in values.items():
                        got = p.search_json(*mode, *facet_filter(name, value), *words)["total"]
                        if got != count:
                            wrong.append(f"{name} {value}: facet {count}, choosing it {got}")
                row(not wrong, f"facet counts are what choosing them gives {mode + words}: {wrong or 'all equal'}")
        # The same index as two shards read as one (a Xapian stub file), the copies n5 and n6
        # in different shards: Xapian's own collapse instead of the table of keys.
        with open(os.path.join(args.fixtures, "articles.jsonl"), encoding="utf-8") as f:
            lines = f.readlines()
        shards = os.path.join(p.tmp.name, "shards")
        stub = os.path.join(shards, "db")
        os.makedirs(stub)
        for name, part in (("a", lines[:5]), ("b", lines[5:])):
            path = os.path.join(shards, name + ".jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(part)
            p.run("indexer", "--db", os.path.join(shards, name), "add", path, db=False, check=0)
        shutil.copy(os.path.join(p.db, "store.sqlite"), stub)
        with open(os.path.join(stub, "xapian"), "w") as f:
            f.writelines(f"auto {os.path.realpath(os.path.join(shards, n, 'xapian'))}\n" for n in "ab")
        for mode in ([], ["--all"]):
            for words in (["DeepSeek raisonnement"], [""]):
                one = p.search_json("--facets", *mode, *words)
                two = p.search_json("--db", stub, "--facets", *mode, *words, db=False)
                row((one["total"], one["facets"]) == (two["total"], two["facets"]),
                    f"two shards count as one index {mode + words}: {two['total']} {two['facets']['year']}")
    finally:
        p.close()


if __name__ == "__main__":
    sys.exit(main())
