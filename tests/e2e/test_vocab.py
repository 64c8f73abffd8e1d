#!/usr/bin/env python3
"""Newsroom vocabulary and French dates in the box (issue 17), end to end: every behaviour a row,
through the real indexer, search and searchd, on fixtures written for the project
(tests/fixtures/vocab; its newest article is of Wednesday 18 March 2026, the archive's clock)."""
import argparse
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs, Rows, Searchd  # noqa: E402

# Synonyms and acronyms (data/synonyms.txt): (behaviour, query, must be found, must not be found).
SYNONYMS = [
    ("IA finds intelligence artificielle", "IA Mistral", ["ia-court", "ia-long"], ["ia-epars"]),
    ("ia in lower case too", "ia mistral", ["ia-court", "ia-long"], ["ia-epars"]),
    ("intelligence artificielle finds IA", "intelligence artificielle", ["ia-long", "ia-court"], []),
    ("PS finds Parti socialiste", "PS", ["ps-court", "ps-long"], []),
    ("Parti socialiste finds PS", "parti socialiste", ["ps-long", "ps-court"], []),
    ("RN finds Rassemblement national and Front national", "RN", ["rn-parti", "fn-histoire"], []),
    ("Front national finds RN and Rassemblement national", "Front national",
     ["fn-histoire", "rn-parti", "rn-route"], []),
    ("RN 7 is a road, not the party", "RN 7", ["rn-route"], ["rn-parti"]),
    ("JO finds Jeux olympiques, not the Journal officiel", "JO", ["jo-jeux"], ["jo-journal"]),
    ("JO with décret is the Journal officiel", "JO décret", ["jo-journal"], ["jo-jeux"]),
    ("JO with publié is the Journal officiel", "JO publié", ["jo-journal"], ["jo-jeux"]),
    ("UE finds Union européenne", "UE", ["ue-court", "ue-long"], []),
    ("Union européenne finds UE", "union européenne", ["ue-long", "ue-court"], []),
    ("PMA", "PMA", ["pma-long"], []),
    ("RSA", "RSA", ["rsa-long"], []),
    ("LR finds Les Républicains", "LR", ["lr-long"], []),
    ("a quoted acronym is searched alone", '"IA"', ["ia-court"], ["ia-long"]),
    ("a quoted name is searched alone", '"Front national"', ["fn-histoire"], ["rn-parti"]),
    ("an excluded acronym is excluded as typed", "Mistral -IA", ["ia-long", "ia-epars"], ["ia-court"]),
    # Inside OR, fields and phrases.
    ("IA inside OR", "IA OR robot", ["ia-court", "ia-long", "robot-usine"], ["ia-epars"]),
    ("IA inside OR, in parentheses", "(IA OR robot) Mistral", ["ia-court", "ia-long"], ["robot-usine", "ia-epars"]),
    ("intelligence artificielle in parentheses inside OR", "(intelligence artificielle) OR robot",
     ["ia-court", "ia-long", "robot-usine"], []),
    ("an acronym in the headline field", "titre:IA", ["ia-court", "ia-long", "gen-court", "gen-epars"],
     ["ia-epars"]),
    ("IA inside OR in the headline field", "titre:(IA OR robot)", ["ia-court", "ia-long", "robot-usine"],
     ["ia-epars"]),
    ("a form of two words in the headline field", "titre:(intelligence artificielle)",
     ["ia-long", "ia-court", "gen-long"], ["ia-epars"]),
    ("a phrase holding an acronym finds its synonym in place", '"l\'IA générative"',
     ["gen-court", "gen-long"], ["gen-epars", "ia-court"]),
    ("and the other way", '"intelligence artificielle générative"', ["gen-long", "gen-court"], ["gen-epars"]),
    ("a phrase in the headline field", 'titre:"IA générative"', ["gen-court", "gen-long"], ["ia-court"]),
    ("RN 7 in quotes is still a road", '"RN 7"', ["rn-route"], ["rn-parti"]),
]

# (behaviour, query, article expected above, article expected below it)
SYNONYM_RANKS = [
    ("IA as typed above its synonym", "IA", "ia-court", "ia-long"),
    ("intelligence artificielle as typed above IA", "intelligence artificielle", "ia-long", "ia-court"),
    ("IA Mistral as typed above its synonym", "IA Mistral", "ia-court", "ia-long"),
    ("PS as typed above Parti socialiste", "PS", "ps-court", "ps-long"),
    ("Parti socialiste as typed above PS", "parti socialiste", "ps-long", "ps-court"),
    ("UE as typed above Union européenne", "UE", "ue-court", "ue-long"),
    ("Union européenne as typed above UE", "union européenne", "ue-long", "ue-court"),
    ("IA as typed above its synonym inside OR", "IA OR robot", "ia-court", "ia-long"),
    ("IA as typed above its synonym in the headline", "titre:IA", "ia-court", "ia-long"),
    ("the phrase as typed above its variant", '"l\'IA générative"', "gen-court", "gen-long"),
    ("the other phrase as typed above its variant", '"intelligence artificielle générative"', "gen-long",
     "gen-court"),
]

# French dates, the archive's clock being 2026-03-18: (behaviour, query, the articles found
# exactly (None: not checked), the label of the filter understood or None when none is).
WEEK = ["d-aujourdhui", "d-hier", "d-lundi"]
MARCH = WEEK + ["d-semaine-derniere"]
SINCE_JANUARY = MARCH + ["d-fevrier", "d-janvier"]
DATES = [
    ("hier", "conseil hier", ["d-hier"], "le 17 mars 2026"),
    ("aujourd'hui", "conseil aujourd'hui", ["d-aujourdhui"], "le 18 mars 2026"),
    ("aujourd’hui", "conseil aujourd’hui", ["d-aujourdhui"], "le 18 mars 2026"),
    ("hier alone", "hier", ["d-hier"], "le 17 mars 2026"),
    ("cette semaine", "conseil cette semaine", WEEK, "depuis le 16 mars 2026"),
    ("la semaine dernière", "conseil la semaine dernière", ["d-semaine-derniere"], "du 9 au 15 mars 2026"),
    ("en mars: this March", "conseil en mars", MARCH, "en mars 2026"),
    ("en mars 2025", "conseil en mars 2025", ["d-mars-2025"], "en mars 2025"),
    ("depuis janvier", "conseil depuis janvier", SINCE_JANUARY, "depuis le 1ᵉʳ janvier 2026"),
    ("depuis avril: the last April", "conseil depuis avril",
     SINCE_JANUARY + ["d-juin-2025", "ps-court"], "depuis le 1ᵉʳ avril 2025"),
    ("depuis le 3 février", "conseil depuis le 3 février", MARCH + ["d-fevrier"], "depuis le 3 février 2026"),
    ("l'an dernier", "conseil l'an dernier", ["d-mars-2025", "d-juin-2025", "ps-court"], "en 2025"),
    ("en 2025", "conseil en 2025", ["d-mars-2025", "d-juin-2025", "ps-court"], "en 2025"),
    # A bare year: the articles of that year or naming it, never only a filter.
    ("a bare year: published then, or naming it", "Renault 2019", ["renault-2019", "renault-cite"],
     "en 2019, ou qui citent 2019"),
    ("in quotes the words are searched", 'voyage "en mars"', ["en-mars"], None),
    # A period that leaves no article: the words are searched instead (never a dead end).
    ("no article in the period: the words instead", "voyage en mars", ["en-mars"], None),
    ("hier among words recalled from an article", "voyages printemps hier", ["en-mars"], None),
    ("a question keeps its dates as words", "Quel conseil a voté hier ?", None, None),
    ("mai 68 is not a date", "conseil en mai 68", None, None),
]


def check_page(p, row):
    d = Searchd(p.bin_dir, p.db)
    try:
        # Every row again, through the real searchd's /api/search.
        def api(query):
            status, _, body = d.json(f"/api/search?q={urllib.parse.quote(query)}&limit=50")
            return status, body

        for what, query, want, unwanted in SYNONYMS:
            status, body = api(query)
            ids = [h["id"] for h in body.get("hits", [])]
            row(status == 200 and all(w in ids for w in want) and not any(u in ids for u in unwanted),
                f"searchd: {what}: {query!r} → {ids}")
        for what, query, first, below in SYNONYM_RANKS:
            status, body = api(query)
            ids = [h["id"] for h in body.get("hits", [])]
            row(status == 200 and first in ids and below in ids and ids.index(first) < ids.index(below),
                f"searchd: {what}: {query!r} → {ids}")
        for what, query, want, label in DATES:
            status, body = api(query)
            ids = sorted(h["id"] for h in body.get("hits", []))
            got = (body.get("understood_dates") or {}).get("label")
            row(status == 200 and (want is None or ids == sorted(want)) and got == label,
                f"searchd: {what}: {query!r} → {ids}, understood {got!r}")
        q = urllib.parse.quote("conseil depuis janvier")
        status, _, body = d.json(f"/api/search?q={q}&limit=20")
        u = body.get("understood_dates") or {}
        row(status == 200 and u.get("label") == "depuis le 1ᵉʳ janvier 2026" and u.get("from") == "2026-01-01"
            and u.get("to") is None and u.get("words") == "depuis janvier"
            and sorted(h["id"] for h in body["hits"]) == sorted(SINCE_JANUARY),
            f"/api/search understood_dates → {status} {u}")
        status, _, body = d.json(f"/api/search?q={urllib.parse.quote('conseil')}")
        row(status == 200 and "understood_dates" not in body, "no date phrase: no understood_dates")
        status, _, page = d.request(f"/?q={q}")
        html = page.decode("utf-8")
        row(status == 200 and "Articles publiés <strong>depuis le 1ᵉʳ janvier 2026</strong>" in html
            and "q=conseil%20%22depuis%20janvier%22" in html,
            "the page shows the filter understood and the search of the words")
        status, _, body = d.json(f"/api/search?q={urllib.parse.quote('JO décret')}")
        row(status == 200 and [h["id"] for h in body["hits"]] == ["jo-journal"], f"searchd: JO décret → {body.get('hits')}")
    finally:
        d.stop()


def check_newsroom_file(p, row):
    path = os.path.join(p.db, "synonyms.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("# the newsroom's own\nCSE = comité social et économique\n- JO\n")
    ids = p.ids("-n", "20", "CSE")
    row(ids == ["cse-long"], f"the newsroom's line CSE = comité social et économique → {ids}")
    ids = p.ids("-n", "20", "JO")
    row("jo-jeux" not in ids, f"the newsroom's '- JO' forgets the built-in JO lines → {ids}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("IA = intelligence artificielle\nCSE =\n")
    code, _, err = p.search("CSE")
    row(code == 2 and "synonyms.txt:2:" in err, f"a malformed line stops search with FILE:LINE → {code} {err.strip()}")
    os.remove(path)
    ids = p.ids("-n", "20", "CSE")
    row(ids == [], f"without the file, CSE is only CSE → {ids}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    p = Programs(args.bin_dir)
    row = Rows()
    try:
        p.indexer("add", os.path.join(args.fixtures, "articles.jsonl"), check=0)
        for what, q, want, unwanted in SYNONYMS:
            ids = p.ids("-n", "50", q)
            row(all(w in ids for w in want) and not any(u in ids for u in unwanted), f"{what}: {q!r} → {ids}")
        for what, q, first, below in SYNONYM_RANKS:
            ids = p.ids("-n", "50", q)
            row(first in ids and below in ids and ids.index(first) < ids.index(below), f"{what}: {q!r} → {ids}")
        for what, q, want, label in DATES:
            r = p.search_json("-n", "50", q)
            ids = sorted(h["id"] for h in r["hits"])
            got = (r.get("understood_dates") or {}).get("label")
            row((want is None or ids == sorted(want)) and got == label, f"{what}: {q!r} → {ids}, understood {got!r}")
        check_page(p, row)
        check_newsroom_file(p, row)
    finally:
        p.close()
    print(f"{row.failures} failed")
    return 1 if row.failures else 0


if __name__ == "__main__":
    sys.exit(main())
