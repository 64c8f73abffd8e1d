#!/usr/bin/env python3
"""What newsrooms ask for around search (issue 17), end to end against the real searchd:

* alerts: /feed.atom, the Atom 1.0 feed of a search, parsed with a real XML parser (expat, through
  xml.etree), its filters, ETag and 304, a new commit of the indexer followed into it, the page
  linking to it, nothing typed or archived able to inject XML;
* OpenSearch: /opensearch.xml parsed and every template followed, /api/suggest in the OpenSearch
  suggestions format;
* what readers look for and do not find: a scripted series of searches, then `search report` and
  /api/report checked; recording that never waits for its database, and that stops, while the
  searches go on, when its file cannot be written;

Runs the real indexer and searchd of a build on tests/fixtures/searchd (CTest: e2e_newsroom)."""
import argparse
import contextlib
import html.parser
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kiosque_e2e as e2e  # noqa: E402

ARGS = None
SERVER = None
DB = None
TMP = None
ATOM = "{http://www.w3.org/2005/Atom}"
OS = "{http://a9.com/-/spec/opensearch/1.1/}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def indexer(*args):
    p = subprocess.run([os.path.join(ARGS.bin_dir, "indexer"), "--db", DB, "--quiet", *args],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"indexer {args} exited {p.returncode}: {p.stderr}")


def setUpModule():
    global SERVER, DB, TMP
    TMP = tempfile.TemporaryDirectory(prefix="kq-newsroom-")
    DB = os.path.join(TMP.name, "db")
    indexer("add", os.path.join(ARGS.fixtures, "articles.jsonl"))
    SERVER = e2e.Searchd(ARGS.bin_dir, DB)


def tearDownModule():
    rc = SERVER.stop()
    TMP.cleanup()
    if rc != 0:
        raise AssertionError(f"searchd exited {rc} on SIGTERM")


def q(**params):
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


class Links(html.parser.HTMLParser):
    """The <link> and <a> elements of a page, with their attributes as the browser reads them."""

    def __init__(self):
        super().__init__()
        self.links, self.anchors = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "link":
            self.links.append(dict(attrs))
        elif tag == "a":
            self.anchors.append(dict(attrs))


def page_links(path):
    status, _, body = SERVER.request(path)
    assert status == 200, (path, status)
    p = Links()
    p.feed(body.decode("utf-8"))
    return p


def get_feed(path, **kw):
    """(status, headers, root element) of a feed, parsed by expat; fails on XML that is not
    well-formed."""
    status, headers, body = SERVER.request(path, **kw)
    root = ET.fromstring(body) if status == 200 else None
    return status, headers, root


def check_atom(test, root, where):
    """The rules of RFC 4287 a feed reader relies on."""
    test.assertEqual(root.tag, ATOM + "feed", where)
    for name in ("id", "title", "updated"):
        test.assertEqual(len(root.findall(ATOM + name)), 1, f"{where}: feed/{name}")
    test.assertRegex(root.findtext(ATOM + "updated"), RFC3339, where)
    test.assertTrue(root.findall(ATOM + "author"), f"{where}: a feed-level author")
    self_links = [l for l in root.findall(ATOM + "link") if l.get("rel") == "self"]
    test.assertEqual(len(self_links), 1, where)
    test.assertEqual(self_links[0].get("type"), "application/atom+xml", where)
    for entry in root.findall(ATOM + "entry"):
        for name in ("id", "title", "updated"):
            test.assertEqual(len(entry.findall(ATOM + name)), 1, f"{where}: entry/{name}")
        test.assertRegex(entry.findtext(ATOM + "updated"), RFC3339, where)
        test.assertTrue(entry.findtext(ATOM + "id").startswith("tag:kiosque,2026:article/"), where)
        # No <content>: an alternate link is then required.
        test.assertTrue([l for l in entry.findall(ATOM + "link") if l.get("rel") == "alternate"
                         and l.get("href")], where)
        test.assertIsNotNone(entry.find(ATOM + "summary"), where)


def entry_ids(root):
    return [urllib.parse.unquote(e.findtext(ATOM + "id").rsplit("/", 1)[1])
            for e in root.findall(ATOM + "entry")]


class Feed(unittest.TestCase):
    def test_a_valid_feed_of_the_newest_matches(self):
        status, h, root = get_feed("/feed.atom?" + q(q="vélo"))
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], "application/atom+xml; charset=utf-8")
        check_atom(self, root, "vélo")
        self.assertEqual(root.findtext(ATOM + "title"), "« vélo » — Kiosque")
        entries = root.findall(ATOM + "entry")
        self.assertEqual(len(entries), 20)  # the default
        dates = [e.findtext(ATOM + "updated") for e in entries]
        self.assertEqual(dates, sorted(dates, reverse=True), "newest first")
        # The same articles as the API sorted by date without freshness, in its order.
        _, _, api = SERVER.json("/api/search?" + q(q="vélo", sort="date", half_life="0", limit="20"))
        self.assertEqual(entry_ids(root), [hit["id"] for hit in api["hits"]])
        first, hit = entries[0], api["hits"][0]
        self.assertEqual(first.findtext(ATOM + "title"), hit["title"])
        self.assertEqual(first.findtext(ATOM + "published"), hit["date"])
        self.assertEqual(root.findtext(ATOM + "updated"), hit["date"])
        self.assertEqual([l.get("href") for l in first.findall(ATOM + "link")], [hit["url"]])
        self.assertEqual(first.findtext(ATOM + "author/" + ATOM + "name"), hit["author"])
        self.assertEqual([c.get("term") for c in first.findall(ATOM + "category")],
                         hit["section"].split(" / "))
        # The snippet as plain text: the API's without its <mark> and entities.
        plain = re.sub(r"</?mark>", "", hit["snippet"]).replace("&#39;", "'").replace("&quot;", '"')
        self.assertEqual(first.findtext(ATOM + "summary"), plain)
        self.assertEqual(first.find(ATOM + "summary").get("type"), "text")

    def test_every_filter_of_the_api(self):
        cases = [
            dict(q="vélo", section="mobilite"),
            dict(q="vélo", author="Hugo Lefèvre"),
            dict(q="vélo", since="2024-06-01"),
            dict(q="vélo", until="2024-03-31"),
            dict(q="vélo", since="2024-03-01", until="2024-09-30", section="societe", limit="3"),
            dict(q="train", all="1"),
            dict(q="train"),
            dict(q="", duplicates_of="train-1"),
        ]
        for params in cases:
            status, _, root = get_feed("/feed.atom?" + q(**params))
            self.assertEqual(status, 200, params)
            check_atom(self, root, str(params))
            api_params = dict(params, sort="date", half_life="0", limit=params.get("limit", "20"))
            _, _, api = SERVER.json("/api/search?" + q(**api_params))
            ids = entry_ids(root)
            self.assertTrue(ids, params)
            self.assertEqual(ids, [hit["id"] for hit in api["hits"]], params)
        # No words (the API wants some): the newest articles of a section, or of the archive.
        with open(os.path.join(ARGS.fixtures, "articles.jsonl"), encoding="utf-8") as f:
            articles = [json.loads(line) for line in f]
        culture = [a for a in articles if "culture" in
                   (a["articleSection"] if isinstance(a["articleSection"], list) else [a["articleSection"]])]
        for params, count, section in [(dict(section="culture"), len(culture), "culture"),
                                       (dict(), 20, None)]:
            status, _, root = get_feed("/feed.atom?" + q(**params))
            self.assertEqual(status, 200, params)
            check_atom(self, root, str(params))
            entries = root.findall(ATOM + "entry")
            self.assertEqual(len(entries), count, params)
            dates = [e.findtext(ATOM + "updated") for e in entries]
            self.assertEqual(dates, sorted(dates, reverse=True), params)
            if section:
                self.assertTrue(all(section in [c.get("term") for c in e.findall(ATOM + "category")]
                                    for e in entries), params)
        # The filters go into the canonical URL, hence the feed's id, and into its subtitle.
        _, _, root = get_feed("/feed.atom?" + q(q="vélo", section="mobilite", since="2024-06-01"))
        self.assertEqual(root.findtext(ATOM + "id"),
                         "tag:kiosque,2026:feed.atom?q=v%C3%A9lo&section=mobilite&since=2024-06-01")
        self.assertIn("rubrique mobilite", root.findtext(ATOM + "subtitle"))
        self.assertIn("depuis le 1er juin 2024", root.findtext(ATOM + "subtitle"))

    def test_bad_parameters_get_400_with_a_json_message(self):
        for params, said in [
            (dict(q="vélo", offset="10"), "offset"),
            (dict(q="vélo", sort="relevance"), "sort"),
            (dict(q="vélo", facets="1"), "facets"),
            (dict(q="vélo", half_life="30"), "half_life"),
            (dict(q="vélo", limit="0"), "limit"),
            (dict(q="vélo", limit="101"), "limit"),
            (dict(q="vélo", since="hier"), "since"),
            (dict(q="vélo", since="2024-05-01", until="2024-01-01"), "since"),
            (dict(q="vélo", all="2"), "all"),
            (dict(q="x" * 1100), "q"),
        ]:
            status, h, body = SERVER.json("/feed.atom?" + q(**params))
            self.assertEqual(status, 400, params)
            self.assertEqual(h["content-type"], "application/json", params)
            self.assertEqual(body["error"]["code"], "bad_parameter", params)
            self.assertIn(said, body["error"]["message"], params)

    def test_nothing_typed_or_archived_injects_xml(self):
        typed = "<script>alert(1)</script> & \"l'été\" ]]>\x01\x1f\ufffe"
        status, _, root = get_feed("/feed.atom?" + q(q=typed))
        self.assertEqual(status, 200)
        check_atom(self, root, "typed")
        # Kept as typed but for the characters XML 1.0 cannot hold (left out).
        kept = "<script>alert(1)</script> & \"l'été\" ]]>"
        self.assertEqual(root.findtext(ATOM + "title"), f"« {kept} » — Kiosque")
        self.assertIn(kept, root.findtext(ATOM + "subtitle"))
        # Archived: a headline with tags, a javascript: URL, an author and a section with markup.
        for params, article in [(dict(q="balises"), "balises-1"), (dict(q="quenouille"), "quenouille-1")]:
            status, _, root = get_feed("/feed.atom?" + q(**params))
            check_atom(self, root, article)
            _, _, stored = SERVER.json(f"/api/articles/{article}")
            entry = [e for e in root.findall(ATOM + "entry") if entry_ids_of(e) == article][0]
            self.assertEqual(entry.findtext(ATOM + "title"), stored["title"])
            if article == "balises-1":
                # Never a javascript: link: the article's record instead.
                self.assertEqual([l.get("href") for l in entry.findall(ATOM + "link")],
                                 ["/api/articles/balises-1"])
            else:
                self.assertEqual(entry.findtext(ATOM + "author/" + ATOM + "name"), stored["author"])
                self.assertEqual([c.get("term") for c in entry.findall(ATOM + "category")],
                                 stored["sections"])
        # A section filter with markup, echoed in the subtitle and the links.
        status, _, root = get_feed("/feed.atom?" + q(section="arts<script>alert(4)</script>"))
        self.assertEqual(status, 200)
        self.assertEqual(sorted(entry_ids(root)), ["quenouille-1", "quenouille-2"])
        self.assertIn("rubrique arts<script>alert(4)</script>", root.findtext(ATOM + "subtitle"))

    def test_etag_304_and_a_new_commit_followed_into_the_feed(self):
        path = "/feed.atom?" + q(q="vélo", limit="5")
        status, h, root = get_feed(path)
        self.assertEqual(status, 200)
        etag = h["etag"]
        self.assertRegex(etag, r'^"kq[0-9.]+-r[0-9a-f]+"$')
        self.assertEqual(h["cache-control"], "public, no-cache")
        before = entry_ids(root)
        status, h2, body = SERVER.request(path, headers={"If-None-Match": etag})
        self.assertEqual((status, body, h2["etag"]), (304, b"", etag))
        # Stable ids: asked again, the same entries with the same ids.
        self.assertEqual(entry_ids(get_feed(path)[2]), before)
        # The newsroom publishes: one new article about bikes, newer than every other.
        new = {"@type": "NewsArticle", "identifier": "velo-99 <&>", "url": "https://kiosque.example/societe/velo-99",
               "headline": "Grenoble ouvre la plus grande vélostation de France",
               "description": "Mille places pour les vélos près de la gare.",
               "articleBody": "Mille places pour les vélos près de la gare. La métropole mise sur le vélo.",
               "author": "Camille Martin", "datePublished": "2026-11-30T09:00:00+01:00",
               "articleSection": "societe", "inLanguage": "fr"}
        export = os.path.join(TMP.name, "new.jsonl")
        with open(export, "w", encoding="utf-8") as f:
            f.write(json.dumps(new, ensure_ascii=False) + "\n")
        indexer("add", export)
        deadline = time.monotonic() + 10
        while True:
            status, h3, body = SERVER.request(path, headers={"If-None-Match": etag})
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(status, 200, "the commit changed the feed's ETag")
        self.assertNotEqual(h3["etag"], etag)
        root = ET.fromstring(body)
        check_atom(self, root, "after the commit")
        after = entry_ids(root)
        self.assertEqual(after, ["velo-99 <&>"] + before[:4])
        first = root.find(ATOM + "entry")
        self.assertEqual(first.findtext(ATOM + "id"), "tag:kiosque,2026:article/velo-99%20%3C%26%3E")
        self.assertEqual(first.findtext(ATOM + "updated"), "2026-11-30T08:00:00Z")
        self.assertEqual(root.findtext(ATOM + "updated"), "2026-11-30T08:00:00Z")
        # The next poll is a 304 again.
        self.assertEqual(SERVER.request(path, headers={"If-None-Match": h3["etag"]})[0], 304)

    def test_the_page_links_to_the_feed_of_its_search(self):
        for params in [dict(q="vélo"), dict(q="vélo", section="mobilite", sort="date", page="2"),
                       dict(q='"><script>alert(1)</script>&x=1'), dict()]:
            links = page_links("/?" + q(**params))
            alternates = [l for l in links.links if l.get("rel") == "alternate"
                          and l.get("type") == "application/atom+xml"]
            self.assertEqual(len(alternates), 1, params)
            visible = [a for a in links.anchors if a.get("type") == "application/atom+xml"]
            self.assertTrue(visible, params)
            want = {k: v for k, v in params.items() if k in ("q", "section")}
            want.setdefault("q", "")
            for href in [alternates[0]["href"]] + [a["href"] for a in visible]:
                url = urllib.parse.urlsplit(href)
                self.assertEqual(url.path, "/feed.atom", params)
                self.assertEqual(dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)), want, params)
                status, _, root = get_feed(href)
                self.assertEqual(status, 200, href)
                check_atom(self, root, href)
        # Related articles are not a search: no feed there.
        links = page_links("/?related=velo-21")
        self.assertFalse([l for l in links.links if l.get("type") == "application/atom+xml"])


def entry_ids_of(entry):
    return urllib.parse.unquote(entry.findtext(ATOM + "id").rsplit("/", 1)[1])


class OpenSearch(unittest.TestCase):
    def description(self, headers=None):
        status, h, body = SERVER.request("/opensearch.xml", headers=headers or {})
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], "application/opensearchdescription+xml; charset=utf-8")
        return ET.fromstring(body)

    def test_description_and_every_template_followed(self):
        root = self.description()
        self.assertEqual(root.tag, OS + "OpenSearchDescription")
        short = root.findtext(OS + "ShortName")
        self.assertTrue(0 < len(short) <= 16, short)
        self.assertTrue(root.findtext(OS + "Description"))
        self.assertEqual(root.findtext(OS + "InputEncoding"), "UTF-8")
        urls = {u.get("type"): u.get("template") for u in root.findall(OS + "Url")}
        base = f"http://127.0.0.1:{SERVER.port}"
        for t in ("text/html", "application/x-suggestions+json", "application/atom+xml",
                  "application/json", "application/opensearchdescription+xml"):
            self.assertIn(t, urls)
            self.assertTrue(urls[t].startswith(base + "/"), urls[t])

        def fill(template, terms):
            # Required parameters get the terms, optional ones ({name?}) are left empty.
            t = template.replace("{searchTerms}", urllib.parse.quote(terms))
            return re.sub(r"\{[a-zA-Z:]+\?\}", "", t)[len(base):]

        status, h, body = SERVER.request(fill(urls["text/html"], "vélo"))
        self.assertEqual(status, 200)
        self.assertIn("pour « vélo »", body.decode("utf-8"))
        status, h, body = SERVER.request(fill(urls["application/x-suggestions+json"], "vél"))
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], "application/x-suggestions+json")
        sugg = json.loads(body)
        self.assertEqual(sugg[0], "vél")
        self.assertIn("vélo", sugg[1])
        self.assertTrue(all(isinstance(s, str) for s in sugg[1]))
        status, _, feed = get_feed(fill(urls["application/atom+xml"], "vélo"))
        self.assertEqual(status, 200)
        check_atom(self, feed, "opensearch feed")
        status, _, api = SERVER.json(fill(urls["application/json"], "vélo"))
        self.assertEqual((status, api["query"]), (200, "vélo"))
        self.assertEqual(SERVER.request(fill(urls["application/opensearchdescription+xml"], ""))[0], 200)
        # The page links to it so a browser offers to add the archive as a search engine.
        links = page_links("/")
        self.assertEqual([l["href"] for l in links.links if l.get("rel") == "search"
                          and l.get("type") == "application/opensearchdescription+xml"],
                         ["/opensearch.xml"])

    def test_behind_a_proxy_and_a_forged_host(self):
        root = self.description({"Host": "archives.example.fr", "X-Forwarded-Proto": "https"})
        for u in root.findall(OS + "Url"):
            self.assertTrue(u.get("template").startswith("https://archives.example.fr/"), u.get("template"))
        for host in ['evil"><x', "a b", "x/y"]:
            status, h, body = SERVER.request("/opensearch.xml", headers={"Host": host})
            self.assertEqual(status, 400, host)
            self.assertEqual(json.loads(body)["error"]["code"], "bad_request")

    def test_suggestions_in_the_opensearch_format(self):
        status, h, own = SERVER.json("/api/suggest?q=v%C3%A9l")
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], "application/json")
        self.assertIn("Accept", h.get("vary", ""))
        status, h, body = SERVER.request("/api/suggest?format=opensearch&q=v%C3%A9l")
        self.assertEqual((status, h["content-type"]), (200, "application/x-suggestions+json"))
        self.assertEqual(json.loads(body), ["vél", own["suggestions"]])
        self.assertIn("etag", h)
        # Asked by the Accept type: the same, not kept by caches under the JSON's ETag.
        status, h, body = SERVER.request("/api/suggest?q=v%C3%A9l",
                                         headers={"Accept": "application/x-suggestions+json, */*"})
        self.assertEqual((status, h["content-type"]), (200, "application/x-suggestions+json"))
        self.assertEqual(json.loads(body), ["vél", own["suggestions"]])
        self.assertNotIn("etag", h)
        self.assertEqual(h["cache-control"], "no-store")
        self.assertEqual(json.loads(SERVER.request("/api/suggest?format=opensearch&q=")[2]), ["", []])
        status, _, err = SERVER.json("/api/suggest?format=rss&q=v")
        self.assertEqual((status, err["error"]["code"]), (400, "bad_parameter"))


DAY = 86400


@contextlib.contextmanager
def file_size_limit(nbytes):
    """Programs started inside inherit a file size limit of nbytes (RLIMIT_FSIZE): a write beyond
    fails as on a full disk (EFBIG).  The limit is put back for this process on the way out."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def metric(server, name):
    _, _, body = server.request("/metrics")
    m = re.search(rf"^{name} (\d+)$", body.decode(), re.M)
    return int(m.group(1)) if m else None


def wait_recorded(server, n, timeout=10):
    deadline = time.monotonic() + timeout
    while (got := metric(server, "kiosque_searches_recorded_total")) != n and time.monotonic() < deadline:
        time.sleep(0.05)
    return got


class Report(unittest.TestCase):
    """Each test has its own database (a copy of the fixtures indexed) and searchd."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="kq-report-")
        self.db = os.path.join(self.tmp.name, "db")
        p = subprocess.run([os.path.join(ARGS.bin_dir, "indexer"), "--db", self.db, "--quiet", "add",
                            os.path.join(ARGS.fixtures, "articles.jsonl")], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            self.assertEqual(s.stop(), 0, s.lines[-5:])
        self.tmp.cleanup()

    def start(self, *extra):
        s = e2e.Searchd(ARGS.bin_dir, self.db, *extra)
        self.servers.append(s)
        return s

    def stop(self, server):
        self.servers.remove(server)
        self.assertEqual(server.stop(), 0, server.lines[-5:])
        return server

    def cli_report(self, *args):
        p = subprocess.run([os.path.join(ARGS.bin_dir, "search"), "--db", self.db, "report", *args],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_scripted_searches_then_the_report(self):
        log = os.path.join(self.db, "searches.sqlite")
        # A first run creates the record; what readers searched weeks ago is put in it as the
        # previous period (and beyond the retention of 30 days, something to be deleted).
        self.stop(self.start())
        now = int(time.time())
        with sqlite3.connect(log) as c:
            old = [("vélo", 10 * DAY, 22)] + [("musée", 9 * DAY, 5)] * 5 + [("budget", 40 * DAY, 1)]
            c.executemany("INSERT INTO searches(at, query, results, took_ms, source) VALUES (?,?,?,1,'api')",
                          [(now - age, query, n) for query, age, n in old])
        server = self.start("--report", "--search-log-days", "30")
        script = (
            [("/api/search?" + q(q=v), 200) for v in ["vélo", "Vélo", "  VÉLO  ", "vélo", "vélo\tvélo"]]
            + [("/?" + q(q="vélo", section="mobilite"), 200)]
            + [("/?" + q(q="trottinette volante"), 200)] * 4
            + [("/api/search?" + q(q="quenouille"), 200)] * 3
            + [("/?" + q(q="musée"), 200), ("/api/search?" + q(q="Musée", limit="3"), 200)]
            # Not searches of readers: later pages, feeds, suggestions, copies, bad requests.
            + [("/api/search?" + q(q="vélo", offset="10"), 200), ("/?" + q(q="vélo", page="2"), 200),
               ("/feed.atom?" + q(q="vélo"), 200), ("/api/suggest?" + q(q="vél"), 200),
               ("/api/search?" + q(q="", duplicates_of="train-1"), 200), ("/?related=velo-21", 200),
               ("/api/search?" + q(q="vélo", limit="0"), 400)]
        )
        for path, status in script:
            self.assertEqual(server.request(path)[0], status, path)
        # The last three vélo searches above were answered from the reply cache: recorded too.
        self.assertEqual(wait_recorded(server, 15), 15)
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 7 * DAY))
        status, h, api = server.json("/api/report?" + q(since=since, until=until))
        self.assertEqual((status, h["cache-control"]), (200, "no-store"))
        code, out, err = self.cli_report("--since", since, "--until", until, "--json")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out), api, "the same JSON from search report and /api/report")
        self.assertEqual((api["searches"], api["distinct_queries"], api["zero_result_searches"],
                          api["previous_searches"]), (15, 5, 4, 6))
        rows = lambda key, *cols: [tuple(r[c] for c in ("query",) + cols) for r in api[key]]
        self.assertEqual(rows("top", "searches", "results"),
                         [("vélo", 5, 22), ("trottinette volante", 4, 0), ("quenouille", 3, 2),
                          ("musée", 2, 5), ("vélo vélo", 1, 22)])
        self.assertEqual(rows("few_results", "searches", "results"),
                         [("trottinette volante", 4, 0), ("quenouille", 3, 2)])
        self.assertEqual(rows("rising", "searches", "previous"),
                         [("vélo", 5, 1), ("trottinette volante", 4, 0), ("quenouille", 3, 0)])
        # -n and the period: the previous week alone.
        _, _, prev = server.json("/api/report?" + q(since=time.strftime("%Y-%m-%d", time.gmtime(now - 11 * DAY)),
                                                     until=time.strftime("%Y-%m-%d", time.gmtime(now - 8 * DAY)), top="1"))
        self.assertEqual(rows_of(prev, "top"), [("musée", 5)])
        # The text report says the same, in French.
        code, out, err = self.cli_report("--since", since, "--until", until)
        self.assertEqual(code, 0, err)
        self.assertIn("Recherches du", out)
        self.assertRegex(out, r"Les plus fréquentes :\n +5  vélo  \(22 résultats\)")
        self.assertRegex(out, r"Sans résultat ou presque :\n +4  trottinette volante  \(0 résultat\)")
        self.assertRegex(out, r"En hausse sur la période précédente :\n +5  vélo  \(1 avant\)")
        # What a record holds: the normalised query, its filters, the count, the time; no address.
        p = subprocess.run([os.path.join(ARGS.bin_dir, "search"), "--db", self.db, "--json",
                            "--section", "mobilite", "vélo"], capture_output=True, text=True, timeout=60)
        mobilite = json.loads(p.stdout)["total"]
        with sqlite3.connect(log) as c:
            cols = [r[1] for r in c.execute("PRAGMA table_info(searches)")]
            self.assertEqual(cols, ["id", "at", "query", "section", "author", "since", "until",
                                    "results", "took_ms", "source", "searches"])
            # Identical searches of one batch are one row: fewer rows than searches.
            rows_now, searches_now = c.execute("SELECT count(*), sum(searches) FROM searches "
                                               "WHERE at > ?", (now - DAY,)).fetchone()
            self.assertEqual(searches_now, 15)
            self.assertLess(rows_now, 15)
            self.assertEqual(c.execute("SELECT query, section, results, source FROM searches "
                                       "WHERE section IS NOT NULL").fetchall(),
                             [("vélo", "mobilite", mobilite, "page")])
            self.assertEqual(c.execute("SELECT count(*) FROM searches WHERE query = 'budget'").fetchone(),
                             (0,), "older than --search-log-days: deleted")
        self.stop(server)
        with open(log, "rb") as f:
            self.assertNotIn(b"127.0.0.1", f.read())

    def test_report_errors(self):
        code, out, err = self.cli_report()
        self.assertEqual(code, 1)
        self.assertIn("no search has been recorded", err)
        off = self.start("--no-search-log")
        self.assertEqual(off.request("/api/search?q=velo")[0], 200)
        self.stop(off)
        self.assertFalse(os.path.exists(os.path.join(self.db, "searches.sqlite")), "--no-search-log")
        # Without --report the report is not served.
        plain = self.start()
        status, _, body = plain.json("/api/report")
        self.assertEqual((status, body["error"]["code"]), (404, "not_found"))
        self.assertIn("--report", body["error"]["message"])
        self.stop(plain)
        server = self.start("--report")
        for params in [dict(since="hier"), dict(until="2024-13-01"), dict(top="0"), dict(top="101"),
                       dict(since="2024-05-01", until="2024-01-01")]:
            status, h, body = server.json("/api/report?" + q(**params))
            self.assertEqual((status, body["error"]["code"]), (400, "bad_parameter"), params)
        for args in [["--since", "hier"], ["-n", "0"], ["--since", "2024-05-01", "--until", "2024-01-01"]]:
            code, out, err = self.cli_report(*args)
            self.assertEqual(code, 2, args)
            self.assertTrue(err.startswith("search: "), err)
        # `search report du vote` searches words; `search -- report` the word.
        for args in [["report", "du", "vote"], ["--", "report"]]:
            p = subprocess.run([os.path.join(ARGS.bin_dir, "search"), "--db", self.db, "--json", *args],
                               capture_output=True, text=True, timeout=60)
            self.assertIn(p.returncode, (0, 1), p.stderr)
            self.assertEqual(json.loads(p.stdout)["query"], " ".join(a for a in args if a != "--"))

    def test_recording_never_waits_for_its_database(self):
        server = self.start("--report")
        self.assertEqual(server.request("/api/search?q=velo")[0], 200)
        self.assertEqual(wait_recorded(server, 1), 1)
        # Another process holds the write lock of the record (as a backup or a shell might):
        # searches are answered all the same, and recorded once the lock is released.
        holder = sqlite3.connect(os.path.join(self.db, "searches.sqlite"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            for i in range(30):
                status, _, body = server.request("/api/search?" + q(q=f"vélo {i}"), timeout=5)
                self.assertEqual(status, 200)
            self.assertEqual(metric(server, "kiosque_searches_recorded_total"), 1, "still waiting")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        self.assertEqual(wait_recorded(server, 31, timeout=20), 31)
        self.assertEqual(metric(server, "kiosque_search_log_up"), 1)

    def test_a_full_disk_stops_the_recording_not_the_searching(self):
        self.stop(self.start())  # the record exists, empty
        log = os.path.join(self.db, "searches.sqlite")
        size = max(os.path.getsize(p) for p in (log, log + "-wal") if os.path.exists(p))
        with file_size_limit(size + 48 * 1024):
            server = self.start("--report")
        answered = 0
        for i in range(200):
            status, _, body = server.request("/api/search?" + q(q=f"{'mot' * 300} {i}"))
            self.assertEqual(status, 200, body[:200])
            answered += 1
            if i % 20 == 19 and metric(server, "kiosque_search_log_up") == 0:
                break
        deadline = time.monotonic() + 10
        while metric(server, "kiosque_search_log_up") != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(metric(server, "kiosque_search_log_up"), 0, "recording stopped")
        self.assertTrue([l for l in server.lines if "recording of searches stopped" in l
                         and "searches go on" in l], server.lines[-5:])
        recorded = metric(server, "kiosque_searches_recorded_total")
        # Searching goes on, the page too; nothing more is recorded, and nothing is lost of what was.
        for path in ["/api/search?q=velo", "/?q=velo", "/feed.atom?q=velo"]:
            self.assertEqual(server.request(path)[0], 200, path)
        time.sleep(0.8)  # a batch would have been written by now (SEARCHLOG_BATCH_MS)
        self.assertEqual(metric(server, "kiosque_searches_recorded_total"), recorded)
        self.assertGreater(metric(server, "kiosque_searches_dropped_total"), 0)
        self.stop(server)
        with sqlite3.connect(log) as c:
            self.assertEqual(c.execute("PRAGMA integrity_check").fetchone(), ("ok",))
            self.assertEqual(c.execute("SELECT count(*) FROM searches").fetchone(), (recorded,))

    def test_bounded_size(self):
        # 1 MB at most: about 1.5 MB of records go in; the oldest make room, recording goes on.
        server = self.start("--search-log-max-mb", "1")
        n = 1500
        for i in range(n):
            self.assertEqual(server.request("/api/search?" + q(q=f"{i} " + "mot" * 330))[0], 200)
        self.assertEqual(wait_recorded(server, n, timeout=30), n)
        self.assertEqual(metric(server, "kiosque_search_log_up"), 1)
        self.stop(server)
        log = os.path.join(self.db, "searches.sqlite")
        self.assertLessEqual(os.path.getsize(log), 1024 * 1024)
        with sqlite3.connect(log) as c:
            ids = [int(r[0].split()[0]) for r in c.execute("SELECT query FROM searches ORDER BY id")]
        self.assertLess(len(ids), n, "the oldest were deleted")
        self.assertGreater(len(ids), n // 3, "a tenth at a time")
        self.assertNotIn(0, ids, "the oldest were deleted")
        self.assertLessEqual(set(range(n - 300, n)), set(ids), "the newest are kept")

    def test_a_record_of_the_first_version_is_upgraded(self):
        # The first version wrote one row per search, without the column `searches`.
        log = os.path.join(self.db, "searches.sqlite")
        now = int(time.time())
        with sqlite3.connect(log) as c:
            c.executescript("CREATE TABLE searches(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, "
                            "query TEXT NOT NULL, section TEXT, author TEXT, since TEXT, until TEXT, "
                            "results INTEGER NOT NULL, took_ms REAL NOT NULL, source TEXT NOT NULL);"
                            "PRAGMA user_version=1;")
            c.executemany("INSERT INTO searches(at, query, results, took_ms, source) VALUES (?,?,?,1,'api')",
                          [(now - 60, "vélo", 22)] * 2)
        server = self.start("--report")
        self.assertEqual(server.request("/api/search?q=V%C3%A9lo")[0], 200)
        self.assertEqual(wait_recorded(server, 1), 1)
        _, _, report = server.json("/api/report")
        self.assertEqual(rows_of(report, "top"), [("vélo", 3)])
        with sqlite3.connect(log) as c:
            self.assertEqual(c.execute("PRAGMA user_version").fetchone(), (2,))

    def test_a_record_that_cannot_be_opened(self):
        # searches.sqlite is not a file SQLite can open (here a directory): a warning at start,
        # then searches as usual.
        os.mkdir(os.path.join(self.db, "searches.sqlite"))
        server = self.start("--report")
        self.assertTrue([l for l in server.lines if "searches are not recorded" in l], server.lines)
        self.assertEqual(server.request("/api/search?q=velo")[0], 200)
        self.assertEqual(server.request("/?q=velo")[0], 200)
        self.assertIsNone(metric(server, "kiosque_search_log_up"))


def rows_of(report, key):
    return [(r["query"], r["searches"]) for r in report[key]]


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--fixtures", required=True)
    ARGS, rest = parser.parse_known_args()
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
