#!/usr/bin/env python3
"""What a reader is told about the number of results, end to end through `indexer` and `search`:
on an archive generated here (a phrase in some articles, its words scattered in others, wire copies
republished under other ids), each total announced beyond the page must hold: said exact
(`total_exact`), it is the count; otherwise `total_lower` ("plus de N" on the page) is at most the
count (a search without `total_lower` announces "environ total", which must be within 20%).  The
counts are known by construction; some are counted (at most 1,000 articles can match), others not.

Usage: test_totals.py --bin-dir DIR
Exit status: 0 all passed, 1 a row failed.
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs, Rows  # noqa: E402

PHRASE = "Le gouvernement prolonge l'état d'urgence sanitaire jusqu'à l'automne, annonce le ministre."
SCATTERED = ("L'état des routes inquiète : le service des urgences rappelle les règles sanitaires "
             "et la préfecture publie un bulletin.")
OTHER = "Le conseil municipal vote le budget des écoles et des transports pour l'année prochaine."


def archive():
    """Articles and, for each query, the true number of results (copies collapsed, and all)."""
    arts = []
    for i in range(1500):
        kind = i % 3
        body = (PHRASE, SCATTERED, OTHER)[kind] + f" Article numéro {i}, rubrique {i % 7}."
        arts.append({"identifier": f"t{i}", "headline": f"Dépêche {i}", "articleBody": body,
                     "datePublished": f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00Z"})
    # Wire copies: the same text under another id, twice each for the first 30 phrase articles.
    copies = [dict(a, identifier=a["identifier"] + f"-r{k}") for a in arts[:90:3] for k in (1, 2)]
    truth = {
        '"état d\'urgence sanitaire"': (500, 500 + len(copies)),
        "urgence sanitaire": (1000, 1000 + len(copies)),
        "état urgence sanitaire": (1000, 1000 + len(copies)),
        "urgence OR budget": (1500, 1500 + len(copies)),
    }
    return arts + copies, truth


def holds(r, true):
    if r["total_exact"]:
        return r["total"] == true, f"{r['total']} said exact"
    if "total_lower" not in r:
        return abs(r["total"] - true) <= 0.2 * true, f"environ {r['total']}"
    return r["total_lower"] <= true, f"plus de {r['total_lower']} (estimate {r['total']})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    args = ap.parse_args()
    p = Programs(args.bin_dir)
    row = Rows()
    try:
        arts, truth = archive()
        path = os.path.join(p.tmp.name, "archive.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(a, ensure_ascii=False) + "\n" for a in arts)
        p.indexer("add", path, check=0)
        for query, (collapsed, everything) in truth.items():
            for mode, true in (([], collapsed), (["--all"], everything)):
                for n in ("5", "50"):
                    r = p.search_json("-n", n, *mode, query)
                    ok, told = holds(r, true)
                    row(ok, f"{query} {' '.join(mode)} -n {n}: {told}, true {true}")
    finally:
        p.close()
    print(f"{row.failures} failed")
    return 1 if row.failures else 0


if __name__ == "__main__":
    sys.exit(main())
