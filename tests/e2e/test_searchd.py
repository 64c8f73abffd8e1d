#!/usr/bin/env python3
"""End-to-end tests of searchd: the real indexer builds a database from
tests/fixtures/searchd/, the real searchd serves it on a free loopback port,
and a real HTTP client (http.client) calls every endpoint and every error
case, including searches while the indexer commits, freshness of a new
article, escaping of echoed values, CORS and a clean exit on SIGTERM.

Usage: test_searchd.py --bin-dir DIR [--fixtures DIR]
Exit status: 0 all passed, 1 a test failed, 77 skipped (a program is missing).
Python 3 standard library only.
"""
import argparse
import html
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kiosque_e2e as e2e  # noqa: E402

ARGS = None
SERVER = None  # the searchd shared by most tests
FIXTURE_COUNT = 0
ORIGIN = "https://www.exemple.fr"


def metrics_matching(patterns, timeout=5.0):
    """GET /metrics until every pattern matches or the time is up; returns
    (status, headers, text) of the last reply.  searchd counts a request when
    libmicrohttpd reports it complete, just after its reply has gone out, so
    the client may ask /metrics before its previous request is counted."""
    deadline = time.monotonic() + timeout
    while True:
        status, headers, body = SERVER.request("/metrics")
        text = body.decode()
        if all(re.search(p, text) for p in patterns) or time.monotonic() > deadline:
            return status, headers, text
        time.sleep(0.05)


class Searchd(e2e.Searchd):
    """searchd of the build under test (kiosque_e2e.Searchd)."""

    def __init__(self, db, *extra):
        super().__init__(ARGS.bin_dir, db, *extra)


def indexer(db, *args, check=True):
    proc = subprocess.run([os.path.join(ARGS.bin_dir, "indexer"), "--db", db, "--quiet", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise RuntimeError(f"indexer {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def q(**params):
    return urllib.parse.urlencode(params)


def write_article(path, ident, headline, body, date="2024-09-01T09:00:00+02:00", section="societe"):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"@type": "NewsArticle", "identifier": ident, "url": f"https://kiosque.example/{ident}",
                            "headline": headline, "articleBody": body, "author": "Tests",
                            "datePublished": date, "articleSection": section}, ensure_ascii=False) + "\n")


def setUpModule():
    global SERVER, FIXTURE_COUNT
    setUpModule.tmp = tempfile.mkdtemp(prefix="kq-searchd-")
    db = os.path.join(setUpModule.tmp, "db")
    fixture = os.path.join(ARGS.fixtures, "articles.jsonl")
    with open(fixture, encoding="utf-8") as f:
        FIXTURE_COUNT = sum(1 for line in f if line.strip())
    indexer(db, "add", fixture)
    SERVER = Searchd(db, "--allow-origin", ORIGIN, "--allow-origin", "http://localhost:3000")
    setUpModule.db = db


def tearDownModule():
    rc = SERVER.stop() if SERVER else 0
    shutil.rmtree(setUpModule.tmp, ignore_errors=True)
    # After all the traffic, SIGTERM still ends the server cleanly (and a
    # sanitizer build reports no leak or error, which would change the status).
    if rc != 0:
        raise AssertionError(f"searchd exited with {rc} on SIGTERM:\n" + "\n".join(
            l for l in SERVER.lines if not re.match(r"\d{4}-", l)))


class Api(unittest.TestCase):
    def test_search_shape(self):
        status, headers, r = SERVER.json("/api/search?" + q(q="vélo", limit=5))
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        for key in ("query", "total", "offset", "limit", "took_ms", "hits"):
            self.assertIn(key, r)
        self.assertEqual(r["query"], "vélo")
        self.assertGreater(r["total"], 10)
        self.assertEqual((r["offset"], r["limit"]), (0, 5))
        self.assertEqual(len(r["hits"]), 5)
        for hit in r["hits"]:
            for key in ("id", "url", "title", "date", "author", "section", "snippet", "score"):
                self.assertIn(key, hit)
            self.assertTrue(hit["id"].startswith("velo-"), hit["id"])
        self.assertTrue(any("<mark>" in h["snippet"] for h in r["hits"]))

    def test_search_paging_and_filters(self):
        _, _, first = SERVER.json("/api/search?" + q(q="vélo", limit=5))
        _, _, second = SERVER.json("/api/search?" + q(q="vélo", limit=5, offset=5))
        self.assertEqual(second["offset"], 5)
        self.assertFalse({h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]})
        _, _, dated = SERVER.json("/api/search?" + q(q="vélo", sort="date", limit=100))
        dates = [h["date"] for h in dated["hits"]]
        self.assertEqual(dates, sorted(dates, reverse=True))
        _, _, old = SERVER.json("/api/search?" + q(q="vélo", sort="date_asc", limit=3))
        self.assertEqual(old["hits"][0]["date"], min(dates))
        _, _, mob = SERVER.json("/api/search?" + q(q="vélo", section="mobilite", limit=100))
        self.assertGreater(mob["total"], 0)
        self.assertLess(mob["total"], first["total"])
        for h in mob["hits"]:
            self.assertIn("mobilite", h["section"])
        _, _, day = SERVER.json("/api/search?" + q(q="vélo", since="2024-01-03", until="2024-01-03"))
        self.assertEqual([h["id"] for h in day["hits"]], ["velo-01"])
        _, _, by = SERVER.json("/api/search?" + q(q="vélo", author="Inès Moreau", limit=100))
        self.assertGreater(by["total"], 0)
        self.assertTrue(all(h["author"] == "Inès Moreau" for h in by["hits"]))

    def test_facets_and_did_you_mean(self):
        _, _, r = SERVER.json("/api/search?" + q(q="vélo", facets=1, limit=100))
        self.assertEqual(r["facets"]["section"]["societe"], len(r["hits"]))  # facet counts are exact
        self.assertGreater(r["facets"]["section"]["mobilite"], 0)
        _, _, plain = SERVER.json("/api/search?" + q(q="vélo", limit=1))
        self.assertNotIn("facets", plain)
        _, _, body = SERVER.request("/?" + q(q="vélo"))
        self.assertIn('<nav class="facets" aria-label="Affiner la recherche">', body.decode())
        self.assertIn('href="/?q=v%C3%A9lo&amp;section=mobilite"', body.decode())
        _, _, r = SERVER.json("/api/search?" + q(q="veloo"))
        if r.get("suggestion"):
            _, _, body = SERVER.request("/?" + q(q="veloo"))
            self.assertIn('Vouliez-vous dire <a href="/?q=', body.decode())

    def test_cache_hit_same_body(self):
        path = "/api/search?" + q(q="piste cyclable", limit=3)
        s1, h1, b1 = SERVER.request(path)
        s2, h2, b2 = SERVER.request("/api/search?" + q(q="  piste   cyclable ", limit=3))
        self.assertEqual((s1, s2), (200, 200))
        self.assertEqual(h2.get("x-kiosque-cache"), "hit")
        self.assertEqual(b1, b2)

    def test_suggest(self):
        status, _, r = SERVER.json("/api/suggest?" + q(q="cycl"))
        self.assertEqual(status, 200)
        self.assertEqual(r["query"], "cycl")
        self.assertTrue(any(s.lower().startswith("cycl") for s in r["suggestions"]), r)
        status, _, r = SERVER.json("/api/suggest?q=")
        self.assertEqual((status, r["suggestions"]), (200, []))
        status, _, r = SERVER.json("/api/suggest?" + q(q="v", limit=2))
        self.assertLessEqual(len(r["suggestions"]), 2)

    def test_article(self):
        status, _, r = SERVER.json("/api/articles/velo-03")
        self.assertEqual(status, 200)
        self.assertEqual(r["id"], "velo-03")
        self.assertIn("Strasbourg", r["title"])
        status, _, r = SERVER.json("/api/articles/pas-un-article")
        self.assertEqual((status, r["error"]["code"]), (404, "not_found"))
        status, _, r = SERVER.json("/api/articles/")
        self.assertEqual(status, 404)

    def test_healthz(self):
        status, _, r = SERVER.json("/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(r["status"], "ok")
        self.assertGreaterEqual(r["documents"], FIXTURE_COUNT)
        self.assertGreaterEqual(r["revision"], 1)

    def test_metrics(self):
        SERVER.request("/api/search?" + q(q="budget"))
        SERVER.request("/nulle-part")
        expected = [
            r'kiosque_http_requests_total\{endpoint="api_search",status="200"\} [1-9]',
            r'kiosque_http_requests_total\{endpoint="other",status="404"\} [1-9]',
            r'kiosque_http_request_duration_seconds_bucket\{endpoint="api_search",le="\+Inf"\} [1-9]',
            r'kiosque_http_request_duration_seconds_count\{endpoint="api_search"\} [1-9]',
            r"kiosque_index_documents \d+",
            r"kiosque_index_revision [1-9]",
        ]
        status, headers, text = metrics_matching(expected)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        for e in expected:
            self.assertRegex(text, e)
        self.assertIn("kiosque_http_server_errors_total", text)
        self.assertIn("# TYPE kiosque_http_request_duration_seconds histogram", text)

    def test_head_and_keepalive(self):
        conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=10)
        conn.request("HEAD", "/healthz")
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (200, b""))
        conn.request("GET", "/healthz")  # the same connection, kept alive
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertIn(b"documents", resp.read())
        conn.close()


class Errors(unittest.TestCase):
    # (path, status, error code) for every parameter the API refuses.
    CASES = [
        ("/api/search", 400, "bad_parameter"),
        ("/api/search?q=", 400, "bad_parameter"),
        ("/api/search?q=v%C3%A9lo&limit=0", 400, "bad_parameter"),
        ("/api/search?q=velo&limit=101", 400, "bad_parameter"),
        ("/api/search?q=velo&limit=abc", 400, "bad_parameter"),
        ("/api/search?q=velo&limit=-1", 400, "bad_parameter"),
        ("/api/search?q=velo&offset=10001", 400, "bad_parameter"),
        ("/api/search?q=velo&offset=1e3", 400, "bad_parameter"),
        ("/api/search?q=velo&offset=99999999999999999999", 400, "bad_parameter"),
        ("/api/search?q=velo&sort=random", 400, "bad_parameter"),
        ("/api/search?q=velo&facets=yes", 400, "bad_parameter"),
        ("/api/search?q=velo&facets=2", 400, "bad_parameter"),
        ("/api/search?q=velo&all=yes", 400, "bad_parameter"),
        ("/api/search?q=velo&all=2", 400, "bad_parameter"),
        ("/api/search?q=velo&half_life=-1", 400, "bad_parameter"),
        ("/api/search?q=velo&half_life=abc", 400, "bad_parameter"),
        ("/api/search?q=velo&half_life=1e3", 400, "bad_parameter"),
        ("/api/search?q=velo&half_life=.5", 400, "bad_parameter"),
        ("/api/search?q=velo&half_life=5.", 400, "bad_parameter"),
        ("/api/search?q=velo&half_life=36501", 400, "bad_parameter"),
        ("/api/search?q=velo&half_life=nan", 400, "bad_parameter"),
        ("/api/search?q=velo&duplicates_of=" + "d" * 300, 400, "bad_parameter"),
        ("/api/search?q=velo&duplicates_of=pas-un-article", 400, "bad_parameter"),
        ("/api/search?q=velo&author=" + "a" * 300, 400, "bad_parameter"),
        ("/api/search?q=velo&sort=DATE", 400, "bad_parameter"),
        ("/api/search?q=velo&until=2024-13-01", 400, "bad_parameter"),
        ("/api/related/train-1?limit=0", 400, "bad_parameter"),
        ("/api/related/train-1?limit=101", 400, "bad_parameter"),
        ("/api/related/train-1?limit=x", 400, "bad_parameter"),
        ("/api/related/pas-un-article", 404, "not_found"),
        ("/api/related/", 404, "not_found"),
        ("/api/related/" + "r" * 300, 404, "not_found"),
        ("/api/related/%FF", 400, "bad_parameter"),
        ("/api/search?q=velo&since=hier", 400, "bad_parameter"),
        ("/api/search?q=velo&since=2024-05-01&until=2024-01-01", 400, "bad_parameter"),
        ("/api/search?q=velo&section=" + "s" * 300, 400, "bad_parameter"),
        ("/api/search?q=" + "a" * 1025, 400, "bad_parameter"),
        ("/api/search?q=%FF", 400, "bad_parameter"),
        ("/api/search?q=%C0%AF", 400, "bad_parameter"),       # overlong "/"
        ("/api/search?q=%ED%A0%80", 400, "bad_parameter"),    # a surrogate
        ("/api/search?q=a%00b", 400, "bad_parameter"),        # NUL would cut the C string
        ("/api/search?%FF=1&q=velo", 400, "bad_parameter"),   # bad parameter name
        ("/api/suggest?q=velo&limit=0", 400, "bad_parameter"),
        ("/api/suggest?q=velo&limit=21", 400, "bad_parameter"),
        ("/api/suggest?q=%FF", 400, "bad_parameter"),
        ("/api/articles/%FF", 400, "bad_parameter"),
        ("/nulle-part", 404, "not_found"),
        ("/api", 404, "not_found"),
        ("/static/absent.js", 404, "not_found"),
        ("/api/search?q=" + "a" * 5000, 414, "uri_too_long"),
    ]

    def test_table(self):
        for path, status, code in self.CASES:
            with self.subTest(path=path[:80]):
                got, headers, body = SERVER.request(path)
                self.assertEqual(got, status, body[:200])
                self.assertTrue(headers["content-type"].startswith("application/json"))
                r = json.loads(body)
                self.assertEqual(r["error"]["code"], code)
                self.assertTrue(r["error"]["message"])

    def test_method_not_allowed(self):
        for method, path in (("POST", "/api/search"), ("DELETE", "/api/articles/velo-01"), ("PUT", "/"),
                             ("POST", "/healthz")):
            with self.subTest(method=method, path=path):
                status, headers, body = SERVER.request(path, method=method, body=b"x=1")
                self.assertEqual(status, 405)
                self.assertEqual(headers.get("allow"), "GET, HEAD, OPTIONS")
                self.assertEqual(json.loads(body)["error"]["code"], "method_not_allowed")

    def test_oversized_requests_refused(self):
        # Past the connection memory limit libmicrohttpd refuses by itself.
        status, _, _ = SERVER.request("/api/search?q=" + "a" * 60000)
        self.assertEqual(status, 414)
        status, _, _ = SERVER.request("/healthz", headers={"X-Enorme": "b" * 60000})
        self.assertIn(status, (413, 431))
        status, _, _ = SERVER.request("/healthz")  # and the server is still fine
        self.assertEqual(status, 200)

    def test_page_bad_parameter(self):
        status, headers, body = SERVER.request("/?" + q(q="vélo", page="0"))
        self.assertEqual(status, 400)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn("Requête invalide", body.decode())


class Page(unittest.TestCase):
    def test_page_results(self):
        status, headers, body = SERVER.request("/?" + q(q="vélo"))
        html = body.decode()
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn('<html lang="fr">', html)
        self.assertIn('<label class="search-label" for="q">', html)
        self.assertIn('value="vélo"', html)
        self.assertRegex(html, r"\d+ résultats pour « vélo »")
        self.assertEqual(html.count('<li class="hit">'), 10)
        self.assertIn('href="https://kiosque.example/societe/velo-', html)
        self.assertIn("<mark>", html)
        self.assertIn('rel="next" href="/?q=v%C3%A9lo&amp;page=2"', html)
        self.assertIn("<time datetime=", html)
        # Page 2 shows other articles and links back.
        _, _, body2 = SERVER.request("/?" + q(q="vélo", page=2))
        html2 = body2.decode()
        self.assertIn('rel="prev"', html2)
        titles = lambda h: set(re.findall(r'<h3 class="hit-title">(.*?)</h3>', h))
        self.assertTrue(titles(html2))
        self.assertFalse(titles(html) & titles(html2))

    def test_empty_and_no_result(self):
        status, _, body = SERVER.request("/")
        self.assertEqual(status, 200)
        self.assertIn('name="q"', body.decode())
        self.assertNotIn("résultat", body.decode())
        _, _, body = SERVER.request("/?" + q(q="zzyzxquuxnothing"))
        self.assertIn("Aucun résultat", body.decode())

    def test_security_headers_and_no_inline_script(self):
        _, headers, body = SERVER.request("/?" + q(q="vélo"))
        csp = headers["content-security-policy"]
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertIn("referrer-policy", headers)
        scripts = re.findall(r"<script([^>]*)>", body.decode())
        self.assertEqual(scripts, [' src="/static/kiosque.js" defer'])
        status, headers, js = SERVER.request("/static/kiosque.js")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/javascript"))
        self.assertIn(b"/api/suggest", js)
        status, headers, _ = SERVER.request("/static/kiosque.css")
        self.assertEqual((status, headers["content-type"].split(";")[0]), (200, "text/css"))

    def test_xss_echo(self):
        attack = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
        _, _, body = SERVER.request("/?" + q(q=attack, section=attack))
        html = body.decode()
        self.assertNotIn("<script>alert(1)", html)
        self.assertNotIn("<img src=x", html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)
        # An invalid filter is echoed in the error message: escaped too.
        status, _, body = SERVER.request("/?" + q(q=attack, since=attack))
        self.assertEqual(status, 400)
        self.assertNotIn("<script>alert(1)", body.decode())
        # Stored content holding HTML shows as text, and a javascript: URL is no link.
        _, _, body = SERVER.request("/?" + q(q="balises échappement"))
        html = body.decode()
        self.assertIn("Les balises", html)
        self.assertIn("&amp; le web", html)
        self.assertNotIn("javascript:", html)
        # The API returns the query as a JSON string, never interpreted.
        status, headers, r = SERVER.json("/api/search?" + q(q=attack))
        self.assertEqual(status, 200)
        self.assertEqual(r["query"], attack)
        self.assertEqual(headers["x-content-type-options"], "nosniff")


def page(path):
    """Returns (status, html) of a page path."""
    status, _, body = SERVER.request(path)
    return status, body.decode("utf-8")


def links(html_text):
    """{text: href} of the page's links, hrefs unescaped (as a browser follows them)."""
    found = {}
    for href, text in re.findall(r'<a [^>]*?href="([^"]*)"[^>]*>([^<]*)</a>', html_text):
        found.setdefault(html.unescape(text), html.unescape(href))
    return found


def hit_ids(html_text):
    """The fixture ids of a page's hits, in order (from the headline links)."""
    return re.findall(r'<h3 class="hit-title"><a href="https://kiosque\.example/[^/"]+/([^"]+)">', html_text)


def hit_dates(html_text):
    return re.findall(r'<time datetime="([^"]+)">', html_text)


class News(unittest.TestCase):
    """Issue 5: the query language, filters, facets and ranking made for news, on the API and the page."""

    # --- the API ---------------------------------------------------------------------------------

    def test_rewritten_dispatch_collapsed(self):
        # A dispatch republished under another headline, with another chapô and first paragraph
        # (lycees-1, lycees-bis): one hit, its copy listed; two articles sharing a closing sentence
        # of boilerplate (fete-musique, piscine-rouvre): two hits.
        for words in ("rénovation lycées", "toitures chaudières internats"):
            _, _, r = SERVER.json("/api/search?" + q(q=words))
            hits = [(h["id"], h.get("duplicates")) for h in r["hits"]]
            self.assertEqual(len(hits), 1, f"{words}: {hits}")
            self.assertIn(hits[0], [("lycees-1", 1), ("lycees-bis", 1)], words)
            self.assertEqual(r["total"], 1)
        _, _, every = SERVER.json("/api/search?" + q(q="toitures chaudières internats", all=1))
        self.assertEqual({h["id"] for h in every["hits"]}, {"lycees-1", "lycees-bis"})
        for one in ("lycees-1", "lycees-bis"):
            _, _, copies = SERVER.json("/api/search?" + q(duplicates_of=one))
            self.assertEqual({h["id"] for h in copies["hits"]}, {"lycees-1", "lycees-bis"}, one)
        _, _, r = SERVER.json("/api/search?" + q(q="informations pratiques horaires tarifs"))
        self.assertEqual(sorted((h["id"], h.get("duplicates")) for h in r["hits"]),
                         [("fete-musique", None), ("piscine-rouvre", None)])
        _, _, copies = SERVER.json("/api/search?" + q(duplicates_of="fete-musique"))
        self.assertEqual([h["id"] for h in copies["hits"]], ["fete-musique"])
        # The page offers the other copy.
        status, html_text = page("/?" + q(q="toitures chaudières internats"))
        self.assertEqual(status, 200)
        copies = [href for text, href in links(html_text).items() if text.startswith("+1 ")]
        self.assertEqual(len(copies), 1, links(html_text))
        self.assertRegex(copies[0], r"duplicates_of=lycees-(1|bis)$")

    def test_copies_collapsed_listed_and_shown_all(self):
        _, _, r = SERVER.json("/api/search?" + q(q="TER"))
        by_id = {h["id"]: h for h in r["hits"]}
        self.assertEqual(set(by_id), {"train-1", "train-2", "train-3"})
        self.assertEqual(by_id["train-1"]["duplicates"], 1)
        self.assertNotIn("duplicates", by_id["train-2"])
        _, _, every = SERVER.json("/api/search?" + q(q="TER", all=1))
        self.assertEqual({h["id"] for h in every["hits"]}, {"train-1", "train-1-reprise", "train-2", "train-3"})
        self.assertFalse(any("duplicates" in h for h in every["hits"]))
        _, _, copies = SERVER.json("/api/search?" + q(q="TER", duplicates_of="train-1"))
        self.assertEqual({h["id"] for h in copies["hits"]}, {"train-1", "train-1-reprise"})
        # Without words: every copy of the article.
        status, _, copies = SERVER.json("/api/search?" + q(duplicates_of="train-1-reprise"))
        self.assertEqual(status, 200)
        self.assertEqual({h["id"] for h in copies["hits"]}, {"train-1", "train-1-reprise"})
        status, _, err = SERVER.json("/api/search?" + q(q="TER", duplicates_of="pas-un-article"))
        self.assertEqual((status, err["error"]["code"]), (400, "bad_parameter"))
        self.assertIn("pas-un-article", err["error"]["message"])

    def test_half_life(self):
        _, _, default = SERVER.json("/api/search?" + q(q="musée"))
        _, _, none = SERVER.json("/api/search?" + q(q="musée", half_life=0))
        _, _, short = SERVER.json("/api/search?" + q(q="musée", half_life="7.5"))
        ids = lambda r: {h["id"] for h in r["hits"]}
        self.assertEqual(ids(default), ids(none))
        self.assertEqual(ids(default), ids(short))
        scores = lambda r: {h["id"]: h["score"] for h in r["hits"]}
        # Freshness adds to the newer articles' scores: none of it with 0.
        self.assertNotEqual(scores(default), scores(none))
        self.assertNotEqual(scores(short), scores(default))
        newest = max(none["hits"], key=lambda h: h["date"])["id"]
        self.assertGreater(scores(default)[newest], scores(none)[newest])

    def test_facets_exact_for_filters(self):
        _, _, r = SERVER.json("/api/search?" + q(q="musée", facets=1))
        f = r["facets"]
        self.assertEqual(f["section"], {"culture": 5, "societe": 1})
        self.assertEqual(f["author"], {"Léa Dubois": 3, "Marc Petit": 2})
        self.assertEqual(f["year"], {"2022": 1, "2023": 2, "2024": 2})
        self.assertEqual(f["month"]["2023-10"], 1)
        self.assertIn("suggestion", r)
        self.assertIs(r["total_exact"], True)
        self.assertIs(r["partial"], False)
        _, _, by = SERVER.json("/api/search?" + q(q="musée", facets=1, author="Marc Petit", since="2023-01-01",
                                                    until="2023-12-31"))
        self.assertEqual([h["id"] for h in by["hits"]], ["musee-3"])
        self.assertEqual(by["facets"]["author"], {"Marc Petit": 1})

    def test_related(self):
        status, headers, r = SERVER.json("/api/related/train-1")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        for key in ("query", "total", "offset", "limit", "took_ms", "hits"):
            self.assertIn(key, r)
        ids = [h["id"] for h in r["hits"]]
        self.assertNotIn("train-1", ids)
        self.assertTrue({"train-2", "train-3"} <= set(ids), ids)
        for hit in r["hits"]:
            for key in ("id", "url", "title", "date", "author", "section", "snippet", "score"):
                self.assertIn(key, hit)
        # Earlier tests committed to the index: let searchd's revision check (every
        # 200 ms) catch up, so both replies below belong to the same revision.
        time.sleep(0.3)
        status, _, two = SERVER.json("/api/related/train-1?limit=2")
        self.assertEqual((status, [h["id"] for h in two["hits"]]), (200, ids[:2]))
        status, headers, again = SERVER.json("/api/related/train-1?limit=2")
        self.assertEqual(headers.get("x-kiosque-cache"), "hit")
        self.assertEqual(again, two)
        status, _, err = SERVER.json("/api/related/pas-un-article")
        self.assertEqual((status, err["error"]["code"]), (404, "not_found"))
        expected = [
            r'kiosque_http_requests_total\{endpoint="api_related",status="200"\} [1-9]',
            r'kiosque_http_requests_total\{endpoint="api_related",status="404"\} [1-9]',
        ]
        _, _, text = metrics_matching(expected)
        for e in expected:
            self.assertRegex(text, e)

    # --- the page --------------------------------------------------------------------------------

    def test_page_facets_apply_filters(self):
        status, html_text = page("/?" + q(q="musée"))
        self.assertEqual(status, 200)
        self.assertEqual(len(hit_ids(html_text)), 5)
        for facet in ("section", "author", "year"):
            self.assertIn(f'<div class="facet" id="facet-{facet}">', html_text)
        self.assertNotIn('id="facet-month"', html_text)  # months only within a chosen year
        self.assertIn('Léa Dubois</a> <span class="count">(3)</span>', html_text)
        self.assertIn('societe</a> <span class="count">(1)</span>', html_text)
        self.assertIn('2023</a> <span class="count">(2)</span>', html_text)
        found = links(html_text)
        # An author: only theirs, and a link that removes the filter.
        _, by = page(found["Marc Petit"])
        self.assertEqual(set(hit_ids(by)), {"musee-3", "musee-4"})
        self.assertIn("Auteur : <strong>Marc Petit</strong>", by)
        self.assertIn('<strong aria-current="true">Marc Petit</strong>', by)
        remove = re.search(r'<a class="remove-filter" href="([^"]*)"', by).group(1)
        self.assertEqual(html.unescape(remove), "/?q=mus%C3%A9e")
        self.assertEqual(len(hit_ids(page(html.unescape(remove))[1])), 5)
        # A section.
        _, soc = page(found["societe"])
        self.assertEqual(hit_ids(soc), ["musee-3"])
        # A year, then its months, then one month.
        _, year = page(found["2023"])
        self.assertEqual(set(hit_ids(year)), {"musee-2", "musee-3"})
        self.assertIn('<div class="facet" id="facet-month">', year)
        self.assertIn("Période : <strong>2023</strong>", year)
        months = links(year)
        self.assertIn("octobre", months)
        self.assertNotIn("mai", months)  # 2022's month
        _, october = page(months["octobre"])
        self.assertEqual(hit_ids(october), ["musee-3"])
        self.assertIn("Période : <strong>octobre 2023</strong>", october)
        self.assertIn("toute l’année 2023", links(october))
        # Without JavaScript the filters are also in the form.
        self.assertIn('<input type="text" id="author" name="author"', by)
        self.assertIn('value="Marc Petit"', by)

    def test_page_months_of_a_single_year(self):
        # Every vélo article is from 2024: its months refine directly.
        _, html_text = page("/?" + q(q="vélo"))
        self.assertNotIn('id="facet-year"', html_text)
        self.assertIn('<span class="facet-name" id="facet-month-name">Mois 2024 :</span>', html_text)
        found = links(html_text)
        self.assertEqual(found["février"], "/?q=v%C3%A9lo&since=2024-02-01&until=2024-02-29")
        _, january = page(found["janvier"])
        self.assertEqual(set(hit_ids(january)), {"velo-01", "velo-13"})
        self.assertIn("Période : <strong>janvier 2024</strong>", january)

    def test_page_sort(self):
        for sort, newest_first in (("date", True), ("date_asc", False)):
            with self.subTest(sort=sort):
                _, html_text = page("/?" + q(q="musée", sort=sort))
                dates = hit_dates(html_text)
                self.assertEqual(len(dates), 5)
                self.assertEqual(dates, sorted(dates, reverse=newest_first))
                self.assertIn(f'<option value="{sort}" selected>', html_text)
        _, html_text = page("/?" + q(q="musée"))
        self.assertIn('<option value="relevance" selected>pertinence</option>', html_text)
        self.assertIn('<option value="date">plus récents</option>', html_text)
        self.assertIn('<option value="date_asc">plus anciens</option>', html_text)
        found = links(html_text)
        self.assertEqual(found["plus récents"], "/?q=mus%C3%A9e&sort=date")
        _, by_date = page(found["plus anciens"])
        self.assertEqual(hit_ids(by_date)[0], "musee-1")
        # Facet links keep the order chosen.
        self.assertIn("sort=date_asc", links(by_date)["Marc Petit"])

    def test_page_copies(self):
        _, html_text = page("/?" + q(q="TER"))
        self.assertEqual(len(hit_ids(html_text)), 3)
        found = links(html_text)
        self.assertEqual(found["+1 reprise"], "/?q=TER&duplicates_of=train-1")
        status, copies = page(found["+1 reprise"])
        self.assertEqual(status, 200)
        self.assertEqual(set(hit_ids(copies)), {"train-1", "train-1-reprise"})
        self.assertIn("Reprises de « La région obtient des TER supplémentaires pour l&#39;été » : 2 articles",
                      copies)
        self.assertEqual(links(copies)["← Retour à la recherche « TER »"], "/?q=TER")
        # all=1 shows every copy as its own hit, and the links keep it.
        _, every = page("/?" + q(q="TER", all=1))
        self.assertEqual(len(hit_ids(every)), 4)
        self.assertNotIn("reprise</a>", every)
        self.assertIn("Reprises : <strong>toutes montrées</strong>", every)
        self.assertIn('name="all" value="1" checked', every)
        status, html_text = page("/?" + q(q="TER", duplicates_of="pas-un-article"))
        self.assertEqual(status, 404)
        self.assertIn("Aucun article n’a l’identifiant « pas-un-article »", html_text)

    def test_page_related(self):
        _, html_text = page("/?" + q(q="TER"))
        related = re.findall(r'<a class="hit-related" href="([^"]*)">Articles liés</a>', html_text)
        self.assertEqual(len(related), 3)
        self.assertEqual(html.unescape(related[0]), "/?q=TER&related=train-1")
        status, rel = page(html.unescape(related[0]))
        self.assertEqual(status, 200)
        self.assertIn("Articles liés à « La région obtient des TER supplémentaires pour l&#39;été »", rel)
        ids = hit_ids(rel)
        self.assertNotIn("train-1", ids)
        self.assertTrue({"train-2", "train-3"} <= set(ids), ids)
        self.assertIn('value="TER"', rel)  # the search stays in the box
        self.assertEqual(links(rel)["← Retour à la recherche « TER »"], "/?q=TER")
        self.assertIn('href="/api/related/train-1"', rel)
        # Straight from a link elsewhere, without a search.
        status, rel = page("/?" + q(related="musee-4"))
        self.assertEqual(status, 200)
        self.assertTrue(set(hit_ids(rel)) & {"musee-1", "musee-2", "musee-3", "musee-5"})
        status, rel = page("/?" + q(related="pas-un-article"))
        self.assertEqual(status, 404)
        self.assertIn("Aucun article n’a l’identifiant « pas-un-article »", rel)

    def test_page_help_partial_and_did_you_mean(self):
        _, html_text = page("/")
        self.assertIn("<summary>Syntaxe de recherche</summary>", html_text)
        for example in ('"réforme des retraites"', "-sécurité", "OR", "(retraites OR grève)", "titre:",
                        "auteur:", "rubrique:", "motcle:", "date:2024", "depuis:", "avant:", "intellig*"):
            self.assertIn(example, html_text)
        _, _, r = SERVER.json("/api/search?" + q(q="musée quenouille"))
        self.assertTrue(r["partial"])
        self.assertGreater(len(r["hits"]), 0)
        _, html_text = page("/?" + q(q="musée quenouille"))
        self.assertIn("Aucun article ne contient tous les mots : résultats approchants", html_text)
        _, _, r = SERVER.json("/api/search?" + q(q="quenoulle"))
        self.assertEqual(r["suggestion"], "quenouille")
        _, html_text = page("/?" + q(q="quenoulle"))
        self.assertEqual(links(html_text)["quenouille"], "/?q=quenouille")

    def test_page_escapes_new_values(self):
        attack = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
        # Facet values and hit metadata from the index that hold HTML.
        _, html_text = page("/?" + q(q="quenouille"))
        self.assertEqual(len(hit_ids(html_text)), 2)
        self.assertNotIn("<script>alert(4)", html_text)
        self.assertNotIn("<img src=x", html_text)
        self.assertIn("arts&lt;script&gt;alert(4)&lt;/script&gt;</a>", html_text)
        self.assertIn("Zoé &quot;&lt;img src=x onerror=alert(3)&gt;&#39;</a>", html_text)
        # Following those facet links works and stays escaped.
        found = links(html_text)
        _, by = page(found["Zoé \"<img src=x onerror=alert(3)>'"])
        self.assertEqual(len(hit_ids(by)), 2)
        self.assertNotIn("<img src=x", by)
        _, sec = page(found["arts<script>alert(4)</script>"])
        self.assertEqual(len(hit_ids(sec)), 2)
        self.assertNotIn("<script>alert(4)", sec)
        # Every new parameter echoed back from the request.
        for params, want in (({"q": attack, "author": attack}, 200), ({"q": attack, "duplicates_of": attack}, 404),
                             ({"q": attack, "related": attack}, 404), ({"q": attack, "all": attack}, 400),
                             ({"related": attack}, 404), ({"q": "musée", "author": attack, "sort": "date"}, 200)):
            with self.subTest(params=list(params)):
                status, html_text = page("/?" + q(**params))
                self.assertEqual(status, want)
                self.assertNotIn("<script>alert(1)", html_text)
                self.assertNotIn("<img src=x", html_text)
                self.assertNotIn("'><img", html_text)
        status, _, r = SERVER.json("/api/search?" + q(q="musée", author=attack, all=1, half_life=30))
        self.assertEqual((status, r["total"]), (200, 0))


class Cors(unittest.TestCase):
    def test_allowed_origin(self):
        status, headers, _ = SERVER.request("/api/suggest?q=cycl", headers={"Origin": ORIGIN})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("access-control-allow-origin"), ORIGIN)
        self.assertIn("Origin", headers.get("vary", ""))
        status, headers, _ = SERVER.request("/api/search?q=velo", method="OPTIONS",
                                            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
        self.assertEqual(status, 204)
        self.assertEqual(headers.get("access-control-allow-origin"), ORIGIN)
        self.assertIn("GET", headers.get("access-control-allow-methods", ""))

    def test_denied_origin(self):
        for origin in ("https://evil.example", ORIGIN + ".evil.example", "null", "https://www.exemple.fr:8443"):
            with self.subTest(origin=origin):
                status, headers, _ = SERVER.request("/api/search?q=velo", headers={"Origin": origin})
                self.assertEqual(status, 200)
                self.assertNotIn("access-control-allow-origin", headers)
        # The page and the metrics are never shared cross-origin.
        _, headers, _ = SERVER.request("/metrics", headers={"Origin": ORIGIN})
        self.assertNotIn("access-control-allow-origin", headers)


class Live(unittest.TestCase):
    """Behaviour while the index changes under the server."""

    def test_fresh_within_one_second(self):
        word = "zorglubophone"
        path = "/api/search?" + q(q=word)
        _, _, before = SERVER.json(path)  # also caches the empty answer
        self.assertEqual(before["total"], 0)
        src = os.path.join(setUpModule.tmp, "fresh.jsonl")
        write_article(src, "fresh-1", f"Le {word} arrive en France", f"Un appareil nommé {word} intrigue les passants.")
        indexer(setUpModule.db, "add", src)
        committed = time.monotonic()
        found_after = None
        while time.monotonic() - committed < 3:
            _, _, r = SERVER.json(path)
            if r["total"] >= 1:
                found_after = time.monotonic() - committed
                break
            time.sleep(0.02)
        self.assertIsNotNone(found_after, "the new article was never found")
        self.assertLess(found_after, 1.0)
        self.assertEqual(r["hits"][0]["id"], "fresh-1")
        status, _, art = SERVER.json("/api/articles/fresh-1")
        self.assertEqual(status, 200)

    def test_search_while_indexer_commits(self):
        stop = threading.Event()
        commits = []
        indexer_errors = []

        def keep_indexing():
            n = 0
            while not stop.is_set():
                src = os.path.join(setUpModule.tmp, f"commit-{n % 3}.jsonl")
                write_article(src, f"commit-{n % 5}", f"Vélo et commit numéro {n}",
                              f"Le vélo revient dans l'article de test {n}, modifié à chaque commit.")
                p = indexer(setUpModule.db, "add", src, check=False)
                if p.returncode != 0:
                    indexer_errors.append(p.stderr)
                commits.append(n)
                n += 1

        failures = []
        done = [0]
        lock = threading.Lock()
        queries = ["vélo", "vélo électrique", "piste cyclable", "commit", "budget", "orages", "vélo gare",
                   "ville cyclistes", "théâtre", "football"]

        def hammer(k):
            conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=10)
            i = 0
            while not stop.is_set():
                path = "/api/search?" + q(q=queries[(i + k) % len(queries)], offset=i % 7, limit=5)
                try:
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    body = resp.read()
                    if resp.status != 200:
                        failures.append((resp.status, body[:200]))
                    else:
                        json.loads(body)
                except Exception as e:  # noqa: BLE001 - any failure is a test failure
                    failures.append(repr(e))
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=10)
                with lock:
                    done[0] += 1
                i += 1
            conn.close()

        workers = [threading.Thread(target=hammer, args=(k,)) for k in range(4)]
        writer = threading.Thread(target=keep_indexing)
        writer.start()
        for w in workers:
            w.start()
        # 8 s, or 80 under valgrind (tests/valgrind/run.py), where every program is 10 to 50 times slower.
        deadline = time.monotonic() + (80 if os.environ.get("KIOSQUE_UNDER_VALGRIND") else 8)
        while time.monotonic() < deadline and len(commits) < 30:
            time.sleep(0.1)
        stop.set()
        writer.join(60)
        for w in workers:
            w.join(30)
        print(f"\n  {done[0]} searches during {len(commits)} commits", file=sys.stderr)
        self.assertFalse(indexer_errors, indexer_errors[:2])
        self.assertGreaterEqual(len(commits), 3)
        self.assertGreater(done[0], 50)
        self.assertEqual(failures, [])


class Lifecycle(unittest.TestCase):
    def test_bad_arguments(self):
        exe = os.path.join(ARGS.bin_dir, "searchd")
        for args in (["--threads", "0"], ["--threads"], ["--bogus"], ["--allow-origin", "www.exemple.fr"],
                     ["--allow-origin", "https://www.exemple.fr/"]):
            with self.subTest(args=args):
                p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=10)
                self.assertEqual(p.returncode, 2)
                self.assertTrue(p.stderr.strip())
        p = subprocess.run([exe, "--db", setUpModule.db, "--listen", "127.0.0.1:99999"], capture_output=True,
                           text=True, timeout=10)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("port", p.stderr)

    def test_unreadable_index_503_then_sigterm(self):
        empty = os.path.join(setUpModule.tmp, "no-index-here")
        s = Searchd(empty)
        try:
            status, _, r = s.json("/healthz")
            self.assertEqual((status, r["status"]), (503, "unavailable"))
            status, _, r = s.json("/api/search?q=velo")
            self.assertEqual((status, r["error"]["code"]), (503, "index_unavailable"))
            status, _, body = s.request("/?q=velo")
            self.assertEqual(status, 503)
            self.assertIn("indisponible", body.decode())
            self.assertIn("kiosque_index_up 0", s.request("/metrics")[2].decode())
            # Once an index appears there, searchd serves it without a restart.
            indexer(empty, "add", os.path.join(ARGS.fixtures, "articles.jsonl"))
            status, _, r = s.json("/healthz")
            self.assertEqual(status, 200)
            self.assertGreater(s.json("/api/search?q=velo")[2]["total"], 0)
        finally:
            rc = s.stop(signal.SIGTERM)
        self.assertEqual(rc, 0)
        self.assertIn("searchd: stopped", s.lines)
        # One access log line per request: time, method, target, status, bytes, duration
        # (tests/ops/test_http_ops.py checks every field).
        self.assertTrue(any(re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z GET /healthz 503 \d+ [\d.]+ ms$", l) for l in s.lines),
                        s.lines[:5])

    def test_db_from_environment(self):
        env = dict(os.environ, KIOSQUE_DB=setUpModule.db)
        proc = subprocess.Popen([os.path.join(ARGS.bin_dir, "searchd"), "--listen", "127.0.0.1:0", "--threads", "1"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, errors="replace", env=env)
        try:
            port = None
            for line in proc.stderr:
                m = re.search(r"listening on http://[^ ]*:(\d+)/", line)
                if m:
                    port = int(m.group(1))
                    break
            self.assertIsNotNone(port)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/healthz")
            r = json.loads(conn.getresponse().read())
            conn.close()
            self.assertGreaterEqual(r["documents"], FIXTURE_COUNT)
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(10), 0)
            proc.stderr.close()

    def test_sigint_during_requests(self):
        s = Searchd(setUpModule.db, "--quiet")
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        conn.request("GET", "/api/search?q=velo")
        self.assertEqual(conn.getresponse().status, 200)  # a kept-alive idle connection stays open
        t0 = time.monotonic()
        rc = s.stop(signal.SIGINT)
        conn.close()
        self.assertEqual(rc, 0)
        self.assertLess(time.monotonic() - t0, 8)
        self.assertFalse(any(" GET " in l for l in s.lines))  # --quiet


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--fixtures", default=os.path.join(HERE, "..", "fixtures", "searchd"))
    ARGS, rest = parser.parse_known_args()
    for prog in ("searchd", "indexer"):
        if not os.access(os.path.join(ARGS.bin_dir, prog), os.X_OK):
            print(f"SKIP: {prog} is not built in {ARGS.bin_dir}", file=sys.stderr)
            return 77
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
