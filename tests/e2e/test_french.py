#!/usr/bin/env python3
"""French analysis, end to end: each behaviour of the analyzer is a row, checked through
the real indexer and search on fixtures written for the project (tests/fixtures/french)."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs, Rows  # noqa: E402

NB, NNB = "\u00a0", "\u202f"

# (behaviour, query, articles that must be found, articles that must not be found)
FINDS = [
    ("elision l'", "l'intelligence", ["ia"], []),
    ("elision ’", "l’intelligence", ["ia"], []),
    ("elision ʼ", "lʼintelligence", ["ia"], []),
    ("elision d' in a query", "d'économie", ["econ2"], []),
    # In quotes: unquoted, aujourd'hui is a date (the newest day; tests/e2e/test_vocab.py).
    ("lexicalised aujourd'hui", "\"aujourd'hui\"", ["aujourdhui"], []),
    ("lexicalised aujourd’hui", "\"aujourd’hui\"", ["aujourdhui"], []),
    ("accents: plain finds accented", "ecole", ["ecole", "ecole2"], []),
    ("accents: accented finds plain", "école", ["ecole", "ecole2"], []),
    ("ligature oe finds œ", "oeuvre", ["oeuvre"], []),
    ("œ finds oe", "cœur", ["oeuvre"], []),
    ("compatibility form ﬁ", "finance", ["oeuvre"], []),
    ("ﬁ in the query", "ﬁnance", ["oeuvre"], []),
    ("capitals", "Élections", ["elections"], []),
    ("singular finds plural", "election", ["elections"], []),
    ("upper case", "ÉLECTIONS", ["elections"], []),
    ("hyphen as typed", "porte-parole", ["porte"], []),
    ("hyphen as two words", "porte parole", ["porte"], []),
    ("hyphen joined", "porteparole", ["porte"], []),
    ("hyphen part", "parole", ["porte"], []),
    ("États-Unis as etats unis", "etats unis", ["etats"], []),
    ("États-Unis as typed", "États-Unis", ["etats"], []),
    ("COVID-19 as covid 19", "covid 19", ["covid"], []),
    ("COVID-19 as covid-19", "covid-19", ["covid"], []),
    ("number with NBSP found by 30000", "30000", ["nombres"], []),
    ("number found by 30 000", "30 000", ["nombres"], []),
    ("number typed with NBSP", f"30{NB}000", ["nombres"], []),
    ("number with narrow NBSP", "12500", ["nombres"], []),
    ("decimal stays one number", "1,5", ["nombres"], []),
    ("1er", "1er", ["nombres"], []),
    ("XXIe", "XXIe", ["nombres"], []),
    ("year-like number", "xxie siècle", ["nombres"], []),
    ("glued sentence, first word", "domestique", ["colle"], []),
    ("glued sentence, second word", "consternant", ["colle"], []),
    ("acronym with dots", "S.N.C.F.", ["colle"], []),
    ("acronym without dots", "sncf", ["colle", "sncf"], []),
    # A split word among other words is searched apart from them (search.c, join_split).
    ("hyphenated word and another word", "porte-parole gouvernement", ["porte"], []),
    ("hyphenated word and a headline word", "porte-parole calendrier", ["porte"], ["sncf"]),
    ("hyphenated word written apart, and a word", "porte-parole travaux", ["sncf"], ["porte"]),
    ("dotted acronym and a word, written with dots", "S.N.C.F. voyageurs", ["colle", "sncf"], []),
    ("dotted acronym and a word, written joined", "S.N.C.F. travaux", ["sncf"], ["colle"]),
    ("two split words and a word", "porte-parole Porte-Parole réformes", ["porte"], []),
    ("domain name", "www.exemple.fr", ["colle"], []),
    ("phrase with stop words: Le Monde", '"Le Monde"', ["monde"], ["tour"]),
    ("phrase with stop words: La Poste", '"La Poste"', ["poste"], []),
    # A quotation no article holds as written: its words instead, never a dead end.
    ("a pasted quotation that no article holds",
     '"Tous ceux qui se prononcent sur un remaniement ne savent rien", tranche-t-il.', ["citation"], []),
    # A phrase in the headline: its function words are not headline terms.
    ("a headline phrase with function words", 'titre:"incendie dans les Landes"', ["passage"],
     ["passage2"]),
    ("brand not over-stemmed", "openai", ["openai"], ["openbar"]),
    ("brand in capitals", "OpenAI", ["openai"], ["openbar"]),
]

# (behaviour, query, article expected first, article expected below it)
RANKS = [
    ("exact accents rank a little higher", "école", "ecole", "ecole2"),
    ("accents as typed without accents", "ecole numerique", "ecole2", "ecole"),
    # The word exactly as typed ranks first, both ways: cote (a rating) and côte (a coast).
    ("typed without accents: the unaccented word first", "cote", "cote", "cote2"),
    ("typed with accents: the accented word first", "côte", "cote2", "cote"),
    ("the word as typed beats a stem-only match", "économiques", "econ1", "econ2"),
    ("the word as typed beats a stem-only match (2)", "économie", "econ2", "econ1"),
    ("a long question returns the best article first",
     "Combien de personnes travaillent au ministère des sports ?", "ministere", "sports"),
    ("a short query prefers articles with all its words", "ministère sports", "ministere", "ministere2"),
    ("three words: the article with all of them first", "sports ministère agents", "ministere", "sports"),
    # A pasted passage (no question): the article whose headline holds its words and whose
    # text holds its word pairs first, above one that only repeats its words (execute.c).
    ("a pasted passage: headline words and word pairs first",
     "Les pompiers luttent depuis mardi contre un incendie qui a ravagé 500 hectares de pins "
     "dans les Landes.", "passage", "passage2"),
]

# (behaviour, query, article, text that must appear in its snippet)
MARKS = [
    ("highlight inside l’intelligence", "intelligence", "ia", "l’<mark>intelligence</mark>"),
    ("highlight École for ecole", "ecole", "ecole", "<mark>École</mark>"),
    ("highlight a hyphenated word", "porte-parole", "porte", "<mark>porte-parole</mark>"),
    ("highlight a number with NBSP", "30000", "nombres", f"<mark>30{NB}000</mark>"),
    ("highlight a stemmed form", "election", "elections", "<mark>élections</mark>"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    p = Programs(args.bin_dir)
    row = Rows()

    try:
        p.indexer("add", os.path.join(args.fixtures, "articles.jsonl"), check=0)
        for what, q, want, unwanted in FINDS:
            ids = p.ids("-n", "50", q)
            row(all(w in ids for w in want) and not any(u in ids for u in unwanted),
                f"{what}: {q!r} → {ids}")
        for what, q, first, below in RANKS:
            ids = p.ids("-n", "50", q)
            ok = first in ids and (below not in ids or ids.index(first) < ids.index(below))
            row(ok and ids[0] == first, f"{what}: {q!r} → {ids}")
        for what, q, ident, text in MARKS:
            hits = {h["id"]: h for h in p.search_json("-n", "50", q)["hits"]}
            snippet = hits.get(ident, {}).get("snippet", "")
            row(text in snippet, f"{what}: {q!r} → {snippet!r}")
    finally:
        p.close()
    print(f"{row.failures} failed")
    return 1 if row.failures else 0


if __name__ == "__main__":
    sys.exit(main())
