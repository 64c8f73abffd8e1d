#!/usr/bin/env python3
"""Sharded builds end to end (indexer/shards.h): a batch built on two threads, in parts merged at
commit, must give exactly the index one thread gives (same hits, scores, totals and document ids),
whether the parts are compacted with the index or copied into it; updates, repeats and sync
deletions included; searchd follows the index to its new directory without a failed request; and a
crash at any step of the merge leaves the previous revision, tidied up by the next run.

The articles are generated here (about 4,600 short French news items), so that a batch spans
several parts of 2,000 articles; KIOSQUE_SHARD_MIN_BYTES=0 lets batches this small be sharded."""
import argparse
import json
import os
import random
import re
import signal
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiosque_e2e import Programs, Searchd  # noqa: E402

ARGS = None
SHARDED = {"KIOSQUE_SHARD_MIN_BYTES": "0"}

WORDS = ("mairie conseil municipal tramway ligne travaux gare train grève rentrée école collège "
         "lycée élève enseignant hôpital urgences médecin santé vaccin épidémie élection maire "
         "député sénat loi budget impôt entreprise usine emploi salarié chômage marché prix "
         "essence énergie électricité chauffage hiver neige tempête pluie inondation sécheresse "
         "incendie forêt pompier police gendarmerie enquête tribunal procès juge avocat football "
         "match stade équipe victoire défaite championnat festival concert théâtre cinéma musée "
         "exposition livre auteur bibliothèque port pêche bateau mer plage tourisme hôtel "
         "restaurant boulangerie commerce centre-ville parking vélo piste cyclable autoroute "
         "accident route aéroport vol avion").split()
CITIES = "Quimper Brest Rennes Nantes Lorient Vannes Lannion Morlaix Dinan Saint-Malo".split()
SECTIONS = ["Politique", "Économie", "Sport", "Culture", "Faits divers"]


def make_article(rng, i, version=0):
    words = [rng.choice(WORDS) for _ in range(rng.randint(30, 80))]
    city = rng.choice(CITIES)
    head = f"{city} : {' '.join(words[:5])}"
    if version:
        head += f" (mise à jour {version})"
    body = f"À {city}, l'affaire du {words[5]} " + " ".join(words[6:]) + "."
    return {"@type": "NewsArticle", "identifier": f"a{i:05d}", "headline": head,
            "articleBody": body, "articleSection": rng.choice(SECTIONS),
            "datePublished": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+01:00"}


def jsonl(articles):
    return "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles)


QUERIES = ["tramway", "Quimper mairie", "grève gare", "incendie forêt pompier", "\"conseil municipal\"",
           "élection", "Saint-Malo", "mise à jour", "football -défaite", "école OR collège", "vélo",
           "rubrique:Sport stade", "hôpital urgences"]


class Sharded(unittest.TestCase):
    """Two databases fed the same batches: `one` on one thread, `two` sharded on two."""

    def setUp(self):
        self.one = Programs(ARGS.bin_dir)
        self.two = Programs(ARGS.bin_dir)
        self.tmp = self.one.tmp.name
        self.rng = random.Random(7)
        self.first = [make_article(self.rng, i) for i in range(4600)]

    def tearDown(self):
        self.one.close()
        self.two.close()

    def write(self, name, articles):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(jsonl(articles))
        return path

    def both(self, *args):
        """Runs the indexer on both databases; returns the sharded run's stderr."""
        code1, _, err1 = self.one.indexer("--jobs", "1", *args)
        code2, _, err2 = self.two.indexer("--jobs", "2", *args, env=SHARDED)
        self.assertEqual(code1, code2, err1 + err2)
        summary = re.compile(r"(?:added|deleted) .*")
        self.assertEqual(summary.findall(err1), summary.findall(err2))
        return err2

    def assert_same(self, same_docids=False):
        for q in QUERIES:
            r1 = self.one.search_json("-n", "50", q)
            r2 = self.two.search_json("-n", "50", q)
            self.assertEqual(r1["total"], r2["total"], q)
            self.assertEqual([(h["id"], round(h["score"], 6)) for h in r1["hits"]],
                             [(h["id"], round(h["score"], 6)) for h in r2["hits"]], q)
            self.assertEqual([h["snippet"] for h in r1["hits"]], [h["snippet"] for h in r2["hits"]], q)
        # A changed article keeps its id on one thread (replaced in place) and gets a
        # new one when sharded (its new version is in a part); `check` proves the
        # store's ids right either way.
        if same_docids:
            self.assertEqual(self.docids(self.one), self.docids(self.two))
        else:
            self.assertEqual([i for i, _ in self.docids(self.one)], [i for i, _ in self.docids(self.two)])
        for p in (self.one, self.two):
            code, out, err = p.indexer("check")
            self.assertEqual(code, 0, out + err)
            self.assertIn("consistent   yes", out)

    @staticmethod
    def docids(p):
        with sqlite3.connect(os.path.join(p.db, "store.sqlite")) as c:
            return c.execute("SELECT id, docid FROM articles ORDER BY id").fetchall()

    def leftovers(self, p):
        return sorted(n for n in os.listdir(p.db) if n.startswith(("xapian.", "build.")))

    def test_same_index_through_compaction_copies_updates_and_sync(self):
        path = self.write("first.jsonl", self.first)
        self.both("add", path)
        xapian = os.path.join(self.two.db, "xapian")
        self.assertTrue(os.path.islink(xapian), "a sharded build switches the index to a link")
        self.assertEqual(self.leftovers(self.two), [os.readlink(xapian)])
        self.assertEqual(self.leftovers(self.one), [])
        self.assert_same(same_docids=True)

        # A small batch next to the index: its parts are copied into the index in place.
        target = os.readlink(xapian)
        small = [make_article(self.rng, i, version=1) for i in range(0, 300, 3)]
        small += [make_article(self.rng, 5000 + i) for i in range(50)]
        small.append(make_article(self.rng, 5000, version=2))  # the same id twice: the last wins
        self.both("add", self.write("small.jsonl", small))
        self.assertEqual(os.readlink(xapian), target, "copied, not compacted")
        self.assertEqual(self.two.ids('"mise à jour 2"'), ["a05000"])
        self.assert_same()

        # A large one, with changes, repeats and new articles: compacted with the index.
        big = [make_article(self.rng, i, version=3) for i in range(1, 4600, 4)]
        big += [make_article(self.rng, 6000 + i) for i in range(1200)]
        big += [make_article(self.rng, 6000 + i, version=4) for i in range(0, 1200, 50)]
        self.both("add", self.write("big.jsonl", big))
        self.assertNotEqual(os.readlink(xapian), target, "compacted into a new directory")
        self.assertEqual(self.leftovers(self.two), [os.readlink(xapian)], "the old index is removed")
        self.assert_same()

        # A sync that drops a few articles, in a batch large enough to be compacted.
        export = [make_article(self.rng, i, version=5) for i in range(40, 4600)]
        export += [make_article(self.rng, 6000 + i) for i in range(1200)]
        export_path = self.write("export.jsonl", export)
        err = self.both("sync", export_path)
        self.assertRegex(err, r"deleted (?:[1-9]\d*)")
        self.assertEqual(self.two.ids("-n", "5", "mise à jour 3"), self.one.ids("-n", "5", "mise à jour 3"))
        self.assert_same()

        # `indexer delete` and an unchanged re-run on the link layout.
        self.both("delete", "a04599")
        err = self.both("add", export_path)
        self.assertIn("added 1, updated 0, unchanged 5759", err)
        self.assert_same()

    def test_a_small_input_then_a_large_one_in_one_batch(self):
        # The first input goes into the index directly (too small to shard); the
        # second would be sharded, but a compaction reads only the committed index:
        # the batch must keep to one way, and lose nothing.
        small = self.write("small.jsonl", self.first[:20])
        large = self.write("large.jsonl", self.first[20:])
        env = {"KIOSQUE_SHARD_MIN_BYTES": str(os.path.getsize(small) + 1)}
        code, _, err = self.two.indexer("--jobs", "2", "add", small, large, env=env)
        self.assertEqual(code, 0, err)
        self.assertIn("added 4600,", err)
        self.one.indexer("--jobs", "1", "add", small, large, check=0)
        self.assertEqual(self.two.ids("-n", "100", "tramway"), self.one.ids("-n", "100", "tramway"))
        code, out, err = self.two.indexer("stats")
        self.assertIn("articles     4600\n", out)
        self.assert_same(same_docids=True)

    def test_searchd_follows_the_index_to_its_new_directory(self):
        self.two.indexer("--jobs", "1", "add", self.write("first.jsonl", self.first[:300]), check=0)
        server = Searchd(ARGS.bin_dir, self.two.db, "--quiet")
        try:
            stop, failures, answered = threading.Event(), [], [0]

            def get(path):
                status, _, body = server.request(path)
                return status, body

            def reader():
                while not stop.is_set():
                    status, body = get("/api/search?q=Quimper+mairie&limit=5")
                    answered[0] += 1
                    if status != 200:
                        failures.append((status, body[:200]))

            threads = [threading.Thread(target=reader) for _ in range(2)]
            for t in threads:
                t.start()
            try:
                # Two sharded batches: the first switches the directory to a link, the
                # second from one link target to the next.
                for name, arts in (("b1.jsonl", self.first[300:2600]), ("b2.jsonl", self.first[2600:])):
                    code, _, err = self.two.indexer("--jobs", "2", "add", self.write(name, arts), env=SHARDED)
                    self.assertEqual(code, 0, err)
                    seen = False
                    deadline = time.monotonic() + 2
                    last = json.dumps({"identifier": arts[-1]["identifier"]})
                    while time.monotonic() < deadline and not seen:
                        status, body = get(f"/api/articles/{arts[-1]['identifier']}")
                        seen = status == 200
                        time.sleep(0.05)
                    self.assertTrue(seen, f"searchd does not serve {last} within 2 s of the commit")
                # Every article changed, none added: the merged directory has Xapian's
                # revision and the count of the one before; the cache must still move on.
                changed = [make_article(random.Random(9), i, version=1) for i in range(4600)]
                code, _, err = self.two.indexer("--jobs", "2", "add", self.write("b3.jsonl", changed),
                                                env=SHARDED)
                self.assertEqual(code, 0, err)
                fresh = False
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline and not fresh:
                    status, body = get("/api/search?q=Quimper+mairie&limit=5")
                    hits = json.loads(body)["hits"] if status == 200 else []
                    fresh = bool(hits) and all("mise à jour 1" in h["title"] for h in hits)
                    time.sleep(0.05)
                self.assertTrue(fresh, "searchd still serves the headlines before the update")
            finally:
                stop.set()
                for t in threads:
                    t.join()
            self.assertEqual(failures, [], f"{len(failures)} failed of {answered[0]} searches")
            self.assertGreater(answered[0], 10)
            status, body = get("/healthz")
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["documents"], 4600)
        finally:
            server.stop()

    def test_crash_during_the_merge_keeps_the_previous_revision(self):
        self.two.indexer("--jobs", "1", "add", self.write("first.jsonl", self.first[:2500]), check=0)
        for round, point in enumerate(("index-commit", "between-commits")):
            # New articles, and new versions of the first ones, each round.
            arts = [make_article(random.Random(round), i, version=round + 1) for i in range(2500)]
            more = self.write(f"more{round}.jsonl", self.first[2500:] + arts)
            before = self.two.ids("-n", "100", "tramway")
            env = dict(SHARDED, KIOSQUE_CRASH_AT=point)
            code, _, err = self.two.indexer("--jobs", "2", "add", more, env=env)
            self.assertEqual(code, -signal.SIGKILL, err)
            if point == "index-commit":
                # Not switched: readers still see the previous revision.
                self.assertEqual(self.two.ids("-n", "100", "tramway"), before)
            # The next run tidies up (and, after the switch, brings the store in step).
            code, out, err = self.two.indexer("check")
            self.assertIn(code, (0, 1), out + err)
            code, _, err = self.two.indexer("--jobs", "2", "add", more, env=SHARDED)
            self.assertEqual(code, 0, err)
            names = self.leftovers(self.two)
            self.assertEqual(names, [os.readlink(os.path.join(self.two.db, "xapian"))], names)
            code, out, err = self.two.indexer("check")
            self.assertEqual(code, 0, out + err)
        self.one.indexer("--jobs", "1", "add", self.write("all.jsonl", self.first[:2500]), check=0)
        self.one.indexer("--jobs", "1", "add", os.path.join(self.tmp, "more0.jsonl"), check=0)
        self.one.indexer("--jobs", "1", "add", os.path.join(self.tmp, "more1.jsonl"), check=0)
        self.assertEqual(self.two.ids("-n", "100", "tramway"), self.one.ids("-n", "100", "tramway"))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
