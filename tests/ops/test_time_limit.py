#!/usr/bin/env python3
"""A search's time limit (searchd --search-time-limit, search --time-limit): a costly query is
stopped and answered with the matches examined, said so, and never kept by a cache.

The archive is made by the test: 40,000 short articles over a vocabulary of 455 invented words,
so that an OR of 16 two-letter prefixes matches nearly all of them and counting its facets
examines every match (about 50 ms on an idle core; sorted by date without facets, 17 ms).  The
same query is asked of a searchd with a limit of 60 s (it completes) and of one with a 5 ms
limit (it is stopped).  With 8,000 articles, a fast machine completed the search sorted by
date within the 5 ms.  Times are compared loosely (the limited search at most half the
complete one), since the 2 cores of CI are shared."""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import kiosque_e2e as e2e  # noqa: E402

ARGS = None
N_ARTICLES = 40000
LIMIT_MS = 5
COSTLY = " OR ".join(a + b + "*" for a in "bcdf" for b in "aeio")  # 16 prefixes, the most a query keeps
FULL = {}  # the complete answers, from the searchd with a far limit


def write_archive(path):
    r = random.Random(15)
    vocab = [a + b + c for a in "bcdfglmnprstv" for b in "aeiou" for c in ("r", "l", "n", "s", "t", "ment", "tion")]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(N_ARTICLES):
            words = [r.choice(vocab) for _ in range(12)]
            f.write(json.dumps({
                "id": f"t{i}", "title": " ".join(words[:4]), "body": " ".join(words) + ".",
                "date": f"20{10 + i % 15:02d}-0{1 + i % 9}-1{i % 9}T10:00:00Z",
                "section": ("politique", "sport", "culture")[i % 3], "author": f"Auteur {i % 40}",
            }, ensure_ascii=False) + "\n")


def setUpModule():
    global FAST, LIMITED
    setUpModule.tmp = tempfile.TemporaryDirectory(prefix="kq-time-limit-")
    src = os.path.join(setUpModule.tmp.name, "articles.jsonl")
    setUpModule.db = os.path.join(setUpModule.tmp.name, "db")
    write_archive(src)
    p = subprocess.run([os.path.join(ARGS.bin_dir, "indexer"), "--db", setUpModule.db, "--quiet", "add", src],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError(f"indexer add exited {p.returncode}: {p.stderr}")
    # The reference: a limit far away (the default's 1 s may be reached by a loaded machine).
    FAST = e2e.Searchd(ARGS.bin_dir, setUpModule.db, "--quiet", "--no-search-log", "--search-time-limit", "60000")
    LIMITED = e2e.Searchd(ARGS.bin_dir, setUpModule.db, "--quiet", "--no-search-log",
                          "--search-time-limit", str(LIMIT_MS))


def tearDownModule():
    rcs = [FAST.stop(), LIMITED.stop()]
    setUpModule.tmp.cleanup()
    if rcs != [0, 0]:
        raise AssertionError(f"searchd exited {rcs} on SIGTERM")


def url(extra, i=0):
    # offset varies the request, so that the far-limit searchd's reply cache does not answer
    # the repeats (the limited one never caches a stopped search anyway).
    return f"/api/search?{extra}&limit=5&offset={i}&q=" + urllib.parse.quote(COSTLY)


def full(extra):
    """The complete answer (and the fastest of 3 tries' took_ms) from the far-limit searchd."""
    if extra not in FULL:
        tries = []
        for i in range(3):
            status, _, d = FAST.json(url(extra, i))
            assert status == 200, d
            tries.append(d)
        FULL[extra] = (tries[0], min(d["took_ms"] for d in tries))
    return FULL[extra]


class TimeLimit(unittest.TestCase):
    def test_complete_under_a_far_limit(self):
        d, took = full("facets=1&all=1")
        print(f"  complete: total {d['total']}, took_ms {took:.1f} (fastest of 3)")
        self.assertFalse(d["timed_out"])
        self.assertTrue(d["total_exact"])
        self.assertGreater(d["total"], N_ARTICLES * 0.9)
        self.assertEqual(sum(d["facets"]["section"].values()), d["total"])

    def test_costly_search_is_stopped_and_said_so(self):
        d_full, took_full = full("facets=1&all=1")
        tooks = []
        for i in range(3):
            status, headers, d = LIMITED.json(url("facets=1&all=1", i))
            self.assertEqual(status, 200, d)
            self.assertTrue(d["timed_out"], f"took {d['took_ms']} ms, not stopped")
            self.assertFalse(d["total_exact"])
            # The matches examined: a true lower bound, fewer than all; the facets count them.
            self.assertLess(d["total_lower"], d_full["total"])
            self.assertLess(sum(d["facets"]["section"].values()), d_full["total"])
            self.assertGreater(len(d["hits"]), 0)
            # Another try may complete it: no cache keeps it.
            self.assertEqual(headers.get("x-kiosque-cache"), "miss")
            self.assertEqual(headers.get("cache-control"), "no-store")
            self.assertNotIn("etag", headers)
            tooks.append(d["took_ms"])
        print(f"  with --search-time-limit {LIMIT_MS}: took_ms {sorted(tooks)}, complete {took_full:.1f}")
        self.assertLess(min(tooks), took_full / 2, "the limit did not shorten the search")

    def test_sorted_by_date_is_stopped_newest_first(self):
        # With its facets, as costly as the search above: sorted by date alone, a fast machine
        # (CI's) completed it within the 5 ms.
        status, _, d = LIMITED.json(url("facets=1&all=1&sort=date"))
        self.assertEqual(status, 200, d)
        self.assertTrue(d["timed_out"], f"took {d['took_ms']} ms, not stopped")
        dates = [h["date"] for h in d["hits"]]
        self.assertEqual(dates, sorted(dates, reverse=True))

    def test_page_says_it(self):
        status, headers, body = LIMITED.request("/?q=" + urllib.parse.quote(COSTLY) + "&facets=1")
        self.assertEqual(status, 200)
        self.assertIn("arrêtée au bout du temps permis", body.decode("utf-8"))
        self.assertNotIn("etag", headers)

    def test_metrics_count_them(self):
        LIMITED.json(url("facets=1&all=1", 7))
        status, _, body = LIMITED.request("/metrics")
        line = [x for x in body.decode().splitlines() if x.startswith("kiosque_searches_timed_out_total ")]
        self.assertEqual(len(line), 1, body[:300])
        self.assertGreaterEqual(int(line[0].split()[1]), 1)

    def test_cli(self):
        p = subprocess.run([os.path.join(ARGS.bin_dir, "search"), "--db", setUpModule.db, "--json", "--facets",
                            "--all", "--time-limit", str(LIMIT_MS), COSTLY], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(json.loads(p.stdout)["timed_out"])
        p = subprocess.run([os.path.join(ARGS.bin_dir, "search"), "--db", setUpModule.db, "--time-limit", "5",
                            "--facets", "--all", COSTLY], capture_output=True, text=True, timeout=120)
        self.assertIn("Recherche arrêtée au bout de 5 ms", p.stdout)

    def test_bad_option(self):
        for bad in ("-1", "x", "600001"):
            p = subprocess.run([os.path.join(ARGS.bin_dir, "searchd"), "--db", setUpModule.db,
                                "--search-time-limit", bad], capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2)
            self.assertIn("--search-time-limit must be milliseconds", p.stderr)


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin-dir", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
