#!/usr/bin/env python3
"""End-to-end tests of `indexer` and `search`, run as a user would, on fixtures written for the project."""
import argparse
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs  # noqa: E402

ARGS = None
SUMMARY = re.compile(r"added (\d+), updated (\d+), unchanged (\d+), rejected (\d+)")


def counts(stderr):
    m = SUMMARY.search(stderr)
    assert m, f"no summary in: {stderr}"
    return tuple(int(x) for x in m.groups())


class IndexAndSearch(unittest.TestCase):
    def setUp(self):
        self.p = Programs(ARGS.bin_dir)
        self.articles = os.path.join(ARGS.fixtures, "articles.jsonl")
        code, _, err = self.p.indexer("add", self.articles)
        self.assertEqual(code, 0, err)
        self.assertEqual(counts(err), (6, 0, 0, 0))

    def tearDown(self):
        self.p.close()

    def test_readding_unchanged_changes_nothing(self):
        code, _, err = self.p.indexer("add", self.articles)
        self.assertEqual(code, 0, err)
        self.assertEqual(counts(err), (0, 0, 6, 0))

    def test_changed_article_is_replaced(self):
        changed = os.path.join(self.p.tmp.name, "changed.jsonl")
        with open(changed, "w", encoding="utf-8") as f:
            f.write(json.dumps({"identifier": "e4", "headline": "Open d’Australie : finale reportée",
                                "articleBody": "La finale est reportée à cause d'un orage sur Melbourne.",
                                "datePublished": "2025-01-27"}, ensure_ascii=False) + "\n")
        code, _, err = self.p.indexer("add", changed)
        self.assertEqual(code, 0, err)
        self.assertEqual(counts(err), (0, 1, 0, 0))
        self.assertEqual(self.p.ids("orage"), ["e4"])
        self.assertEqual(self.p.ids("chaleur"), [])
        self.assertIn("1 article", self.p.search("finale")[1])

    def test_delete(self):
        self.assertEqual(self.p.ids("douane"), ["e5"])
        code, _, err = self.p.indexer("delete", "e5")
        self.assertEqual(code, 0, err)
        self.assertIn("deleted 1", err)
        self.assertEqual(self.p.ids("douane"), [])
        code, _, err = self.p.indexer("delete", "e5")
        self.assertEqual(code, 1)
        self.assertIn("no article e5", err)

    def test_stats(self):
        code, out, err = self.p.indexer("stats")
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"articles\s+6\b")
        self.assertRegex(out, r"terms\s+[1-9]\d*")
        self.assertRegex(out, r"index size\s+[\d.]+ MB")
        self.assertRegex(out, r"last update\s+\d{4}-\d\d-\d\dT")

    def test_search_ranks_articles_with_all_words(self):
        ids = self.p.ids("DeepSeek Mistral")
        self.assertEqual(ids[0], "e2")
        code, out, _ = self.p.search("DeepSeek", "Mistral")
        self.assertEqual(code, 0)
        self.assertIn("DeepSeek bouscule les laboratoires européens", out)
        self.assertIn("https://kiosque.example/tech/e2", out)
        self.assertIn("2025-02-03", out)
        self.assertIn("Hugo Lefèvre, Inès Moreau", out)
        self.assertIn("tech / ia", out)
        self.assertNotIn("\033[", out, "no terminal escapes when piped")

    def test_json_shape(self):
        r = self.p.search_json("-n", "2", "intelligence")
        for key in ("query", "total", "offset", "limit", "took_ms", "hits"):
            self.assertIn(key, r)
        self.assertEqual(r["limit"], 2)
        self.assertEqual(r["query"], "intelligence")
        hit = r["hits"][0]
        for key in ("id", "url", "title", "date", "author", "section", "snippet", "score"):
            self.assertIn(key, hit)
        self.assertIn("<mark>intelligence</mark>", hit["snippet"])
        self.assertNotIn("<mark>l", hit["snippet"], "the elided article is not highlighted")

    def test_accents_elision_and_case_do_not_matter(self):
        want = self.p.ids("economie")
        self.assertIn("e1", want)
        self.assertEqual(self.p.ids("L’économie"), want)
        self.assertEqual(self.p.ids("ÉCONOMIE"), want)
        self.assertEqual(self.p.ids("l'Economie"), want)

    def test_highlight_marks_what_the_reader_sees(self):
        hit = self.p.search_json("ecole")["hits"][0]
        self.assertRegex(hit["snippet"], r"<mark>école</mark>")

    def test_no_results_is_a_clear_message(self):
        code, out, _ = self.p.search("zzyzx")
        self.assertEqual(code, 1)
        self.assertIn("Aucun article ne correspond", out)

    def test_snippet_is_html_escaped(self):
        tricky = os.path.join(self.p.tmp.name, "tricky.jsonl")
        with open(tricky, "w", encoding="utf-8") as f:
            f.write(json.dumps({"identifier": "x", "headline": "Balises",
                                "articleBody": "Un texte avec <script>alert(1)</script> et des chevrons."}) + "\n")
        self.p.indexer("add", tricky, check=0)
        snippet = self.p.search_json("chevrons")["hits"][0]["snippet"]
        self.assertNotIn("<script>", snippet)

    def test_paging(self):
        first = self.p.ids("-n", "1", "la")
        second = self.p.ids("-n", "1", "--offset", "1", "la")
        self.assertEqual(len(first), 1)
        self.assertEqual(len(second), 1)
        self.assertNotEqual(first, second)

    def test_options_anywhere_and_exclusions_stay_words(self):
        self.assertEqual(self.p.ids("douane", "-n", "1"), ["e5"])
        self.assertEqual(self.p.ids("États-Unis", "--sort", "date", "-n", "5"), self.p.ids("--sort", "date", "-n", "5", "États-Unis"))
        self.assertNotIn("e5", self.p.ids("-n", "10", "la", "-douane"))
        self.assertIn("e5", self.p.ids("-n", "10", "--", "douane"))

    def test_db_from_environment(self):
        code, out, _ = self.p.search("douane", db=False, env={"KIOSQUE_DB": self.p.db})
        self.assertEqual(code, 0)
        self.assertIn("droits de douane", out)

    def test_bad_options(self):
        self.assertEqual(self.p.search("-n", "0", "x")[0], 2)
        self.assertEqual(self.p.search("-n", "abc", "x")[0], 2)
        self.assertEqual(self.p.search("--offset", "-3", "x")[0], 2)
        self.assertEqual(self.p.indexer("frobnicate")[0], 2)


class BadInput(unittest.TestCase):
    def setUp(self):
        self.p = Programs(ARGS.bin_dir)

    def tearDown(self):
        self.p.close()

    def test_bad_lines_are_reported_and_the_rest_goes_in(self):
        bad = os.path.join(ARGS.fixtures, "bad.jsonl")
        code, _, err = self.p.indexer("add", bad)
        self.assertEqual(code, 1, "exit status 1: some lines rejected")
        self.assertEqual(counts(err), (2, 0, 0, 4))
        for line in (2, 3, 4, 5):
            self.assertIn(f"{bad}:{line}: rejected", err)
        self.assertNotIn(f"{bad}:6:", err, "a blank line is not an error")
        self.assertEqual(sorted(self.p.ids("valide")), ["b1", "b2"])

    def test_missing_file(self):
        code, _, err = self.p.indexer("add", "/nonexistent/today.jsonl")
        self.assertEqual(code, 2)
        self.assertIn("/nonexistent/today.jsonl", err)

    def test_stdin(self):
        line = json.dumps({"identifier": "s1", "headline": "Depuis l'entrée standard", "articleBody": "Lu sur stdin."})
        code, _, err = self.p.indexer("add", "-", stdin=(line + "\n").encode())
        self.assertEqual(code, 0, err)
        self.assertEqual(self.p.ids("standard"), ["s1"])

    def test_search_without_index(self):
        code, _, err = self.p.search("x")
        self.assertEqual(code, 2)
        self.assertIn("indexer", err)

    def test_directory_and_db_before_subcommand(self):
        code, _, err = self.p.indexer("add", ARGS.fixtures)
        self.assertEqual(code, 1, err)  # bad.jsonl is in the folder too
        self.assertIn("added 8", err)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--fixtures", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
